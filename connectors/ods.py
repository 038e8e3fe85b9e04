"""The ``ods`` connector: an OpenDataSoft portal's catalog, through the Explore API v2.1.

A listing pages ``/catalog/datasets`` 100 at a time (the API's maximum), ordered by
``dataset_id``. The API refuses ``offset + limit`` above 10,000, so when the first page
announces more, the listing is read from ``/catalog/exports/json`` instead: downloaded to a
temporary file, parsed one dataset at a time with ijson, then deleted.

With a cursor (the latest ``modified``, ``data_processed`` or ``metadata_processed`` seen),
only the datasets changed since are listed (an ODSQL ``where`` on those three dates, joined
to the source's own ``where``), and ``present`` comes from an ids-only listing
(``select=dataset_id``), paged or exported the same way.

Identifier: ``https://<host>/explore/dataset/<id>/``, the dataset's page on the portal that
publishes it. A federated dataset (republished from another portal: ``federated`` or
``shared_catalog`` with a ``source_domain``) gets its origin's host and id, so the same dataset
read on its own portal and on a federating one has the same identifier. ODS portals are
served over https only, hence the fixed scheme whatever the gathering URL says.
"""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import ijson

from catalogue.fetch import Fetcher, FetchError
from connectors import mapping
from connectors.records import Gathering, ItemError, RemoteDataset, RemoteResource

API = "/api/explore/v2.1/catalog"
LIMIT = 100
# The API's bound on offset + limit.
WINDOW = 10_000
# A whole catalog's metadata can be large: the export has a cap of its own.
EXPORT_MAX_BYTES = 1 << 30
CHANGE_DATES = ("modified", "data_processed", "metadata_processed")
# (export, format, media type, title) of the files every dataset offers.
EXPORTS = [
    ("csv", "CSV", "text/csv", "Export CSV"),
    ("geojson", "GEOJSON", "application/geo+json", "Export GeoJSON"),
    ("parquet", "PARQUET", "application/vnd.apache.parquet", "Export Parquet"),
]
# INSEE codes among territory values: communes (54395, 2A004, 97411), départements and
# régions (54, 2A, 971, 44).
_INSEE = re.compile(r"(?:\d{2}|2[AB])(?:\d{3})?|97\d(?:\d{2})?")
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|h\d|tr)>", re.I)


def gather(gathering: Gathering, fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    base = gathering.url.rstrip("/")
    scope = {"where": gathering.config.get("where") or None,
             "refine": gathering.config.get("refine") or None}
    since = mapping.parse_datetime(gathering.cursor)
    where = _joined(scope["where"], _changed_since(since))
    listing = _Listing(fetcher, base, {**scope, "where": where, "order_by": "dataset_id"})
    newest = since
    for item in listing:
        gathering.total = listing.total
        if isinstance(item, ItemError):
            yield item
            continue
        stamp = _stamp(item)
        if since is not None and stamp is not None and stamp <= since:
            continue  # the date literal is cut to the second: this one is not newer
        if stamp is not None and (newest is None or stamp > newest):
            newest = stamp
        yield _mapped(base, item)
    if since is None:
        present = listing.ids if listing.complete else None
    else:
        present = _present(fetcher, base, scope)
    gathering.present = present
    gathering.new_cursor = (newest.isoformat() if listing.complete and newest
                            else gathering.cursor)


def _present(fetcher: Fetcher, base: str, scope: dict[str, Any]) -> set[str] | None:
    """Every dataset id of the source, from a listing of ids only."""
    listing = _Listing(fetcher, base, {**scope, "select": "dataset_id",
                                       "order_by": "dataset_id"})
    for item in listing:
        if isinstance(item, ItemError):
            break
    return listing.ids if listing.complete else None


def _joined(*clauses: str | None) -> str | None:
    return " AND ".join(f"({clause})" for clause in clauses if clause) or None


def _changed_since(since: datetime | None) -> str | None:
    if since is None:
        return None
    literal = f"date'{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    return " OR ".join(f"{name} > {literal}" for name in CHANGE_DATES)


def _stamp(item: dict) -> datetime | None:
    """The latest of the dataset's change dates."""
    default = _default(item) or {}
    dates = [mapping.parse_datetime(default.get(name)) for name in CHANGE_DATES]
    return max((d for d in dates if d), default=None)


class _Listing:
    """The datasets a catalog query matches, each once: pages of ``LIMIT`` while the API
    allows it, else the JSON export. A page that fails after the first stops the listing
    with an ItemError; ``complete`` tells whether every dataset announced was seen."""

    def __init__(self, fetcher: Fetcher, base: str, params: dict[str, Any]):
        self.fetcher, self.base = fetcher, base
        self.params = {name: value for name, value in params.items() if value is not None}
        self.ids: set[str] = set()
        self.total: int | None = None
        self.stopped = False

    @property
    def complete(self) -> bool:
        return not self.stopped and len(self.ids) >= (self.total or 0)

    def __iter__(self) -> Iterator[dict | ItemError]:
        results = self._page(0)
        if (self.total or 0) > WINDOW:
            yield from self._new(self._export())
            return
        offset = 0
        while results:
            yield from self._new(results)
            offset += LIMIT
            if offset >= (self.total or 0) or offset + LIMIT > WINDOW:
                return
            try:
                results = self._page(offset)
            except FetchError as error:
                self.stopped = True
                yield ItemError(None, "fetch", f"the listing stopped: {error.message}",
                                remote_url=error.url, http=error.http())
                return

    def _page(self, offset: int) -> list:
        response = self.fetcher.get(f"{self.base}{API}/datasets",
                                    params={**self.params, "limit": LIMIT, "offset": offset})
        page = response.json()
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise FetchError("parse", response.url, "not an Explore API answer: no results "
                             "list", response.status, response.headers.get("content-type"))
        total = page.get("total_count")
        self.total = total if isinstance(total, int) else len(page["results"])
        return page["results"]

    def _export(self) -> Iterator[Any]:
        url = f"{self.base}{API}/exports/json?{urlencode(self.params, doseq=True)}"
        with tempfile.TemporaryDirectory(prefix="ctd-ods-") as directory:
            path = Path(directory) / "catalog.json"
            self.fetcher.download(url, path, max_bytes=EXPORT_MAX_BYTES)
            with path.open("rb") as export:
                try:
                    yield from ijson.items(export, "item", use_float=True)
                except ijson.JSONError as error:
                    raise FetchError("parse", url, f"unreadable catalog export: {error}") \
                        from error

    def _new(self, items: Any) -> Iterator[dict]:
        for item in items:
            dataset_id = item.get("dataset_id") if isinstance(item, dict) else None
            if dataset_id and str(dataset_id) not in self.ids:
                self.ids.add(str(dataset_id))
                yield item


def _default(item: dict) -> dict | None:
    metas = item.get("metas")
    default = metas.get("default") if isinstance(metas, dict) else None
    return default if isinstance(default, dict) else None


def _mapped(base: str, item: dict) -> RemoteDataset | ItemError:
    try:
        return to_record(base, item)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        dataset_id = str(item.get("dataset_id") or "")
        return ItemError(dataset_id or None, "map", f"unreadable ODS dataset: {error}",
                         remote_url=f"{base}/explore/dataset/{dataset_id}/")


def to_record(base: str, item: dict) -> RemoteDataset:
    """An Explore API v2.1 dataset (``metas.default``, and ``metas.dcat`` when the portal
    fills that template: contact, frequency, creation date)."""
    dataset_id = str(item["dataset_id"])
    default = _default(item)
    if default is None:
        raise ValueError("no metas.default")
    dcat = item["metas"].get("dcat")
    dcat = dcat if isinstance(dcat, dict) else {}
    origin = _origin(default)
    processed = mapping.parse_datetime(default.get("data_processed"))
    return RemoteDataset(
        remote_id=dataset_id,
        title=str(default.get("title") or dataset_id).strip(),
        remote_url=f"{base}/explore/dataset/{dataset_id}/",
        identifier=_identifier(urlsplit(base).netloc, dataset_id, origin, default),
        original_domain=origin,
        name=dataset_id,
        description=_text(default.get("description")),
        licence=_licence(default.get("license"), default.get("license_url")),
        keywords=_strings(default.get("keyword")),
        themes=list(_themes(tuple(_strings(default.get("theme"))))),
        frequency=mapping.frequency_code(dcat.get("accrualperiodicity")),
        insee_codes=[t for t in _strings(default.get("territory")) if _INSEE.fullmatch(t)],
        contact_name=dcat.get("contact_name") or None,
        contact_email=dcat.get("contact_email") or None,
        modified=mapping.parse_datetime(default.get("modified")),
        created=mapping.parse_datetime(dcat.get("created") or dcat.get("issued")),
        resources=_exports(base, dataset_id, item, processed),
    )


def _origin(default: dict) -> str | None:
    """The portal a federated dataset is republished from (its address when given)."""
    if not (default.get("federated") or default.get("shared_catalog")):
        return None
    domain = default.get("source_domain_address") or default.get("source_domain")
    return str(domain) if domain else None


def _identifier(host: str, dataset_id: str, origin: str | None, default: dict) -> str | None:
    if origin is None:
        return f"https://{host}/explore/dataset/{dataset_id}/"
    if "." not in origin:  # a bare ODS domain id: its address is unknown
        return None
    # On the federating portal the id is often <source id>@<source domain>.
    source_id = default.get("source_dataset") or dataset_id.split("@", 1)[0]
    return f"https://{origin}/explore/dataset/{source_id}/"


def _licence(name: Any, url: Any) -> str | None:
    return _licence_of(name if isinstance(name, str) else None,
                       url if isinstance(url, str) else None)


@lru_cache(maxsize=1024)
def _licence_of(name: str | None, url: str | None) -> str | None:
    """The licence from its name, else from its URL when the name says nothing ctd knows
    (cached: a portal uses few licences)."""
    by_name = mapping.licence_id(name)
    if by_name not in (None, "other"):
        return by_name
    by_url = mapping.licence_id(url)
    return by_url if by_url not in (None, "other") else by_name or by_url


@lru_cache(maxsize=1024)
def _themes(labels: tuple[str, ...]) -> tuple[str, ...]:
    """A portal uses few theme labels, and matching them word by word is slow: cached."""
    return tuple(mapping.theme_codes(list(labels)))


def _strings(value: Any) -> list[str]:
    """A multivalued meta (a list, sometimes a single string) as stripped strings."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def _text(description: Any) -> str:
    """Plain text of an HTML description: tags dropped, paragraphs kept apart."""
    if not isinstance(description, str):
        return ""
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", description)))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _exports(base: str, dataset_id: str, item: dict,
             processed: datetime | None) -> list[RemoteResource]:
    """The files the API derives from the records: CSV and Parquet, GeoJSON when the dataset
    has geometries; none for a dataset without records (attachments only)."""
    if item.get("has_records") is False:
        return []
    geo = "geo" in _strings(item.get("features"))
    return [
        RemoteResource(url=f"{base}{API}/datasets/{dataset_id}/exports/{export}",
                       title=title, format=fmt, media_type=media_type, type="main",
                       last_modified=processed)
        for export, fmt, media_type, title in EXPORTS if export != "geojson" or geo
    ]
