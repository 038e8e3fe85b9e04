"""The ``udata`` connector: one organization's datasets on a udata portal (data.gouv.fr and
its siblings), through the API v1.

A full gather pages ``/api/1/datasets/?organization=<id>&sort=created``, following
``next_page``: oldest first, so that a dataset created while we page lands on a later page
instead of shifting the ones not read yet. The listing only takes an organization's id, so a
slug is first resolved through ``/api/1/organizations/<slug>/``.

The v1 API cannot sort by ``last_modified`` (its sorts are title, created, last_update,
reuses, followers and views, and ``last_update`` only follows the resources, not metadata
edits). An incremental gather therefore lists ids and dates only, through a flask-restx
``X-Fields`` mask: small pages that give both the ``present`` ids and which datasets changed
since the cursor. Those are then read one by one (``/api/1/datasets/<id>/``), or through a
full listing when that takes fewer requests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from catalogue.fetch import Fetcher, FetchError
from catalogue.vocabularies import ResourceType
from connectors import mapping
from connectors.records import Gathering, ItemError, RemoteDataset, RemoteResource

PAGE_SIZE = 100
# Pages beyond the announced total that we follow before calling the paging broken.
SPARE_PAGES = 5
# What an incremental listing reads of each dataset.
LIGHT_MASK = "data{id,last_modified,deleted,private,archived},next_page,total"
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
# fr:commune:54395, fr:departement:2A, fr:region:44 (older zones end with @<validity>).
_ZONE = re.compile(r"fr:(?:commune|departement|region):([0-9AB]{2,5})(?:@.*)?")
_GRANULARITIES = {
    "fr:commune": "commune", "fr:departement": "departement", "fr:region": "region",
    "fr:epci": "epci", "fr:iris": "iris", "poi": "point",
}


def gather(gathering: Gathering, fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    base = gathering.url.rstrip("/")
    params = {"organization": _organization_id(base, gathering.config, fetcher),
              "sort": "created", "page_size": PAGE_SIZE, "page": 1}
    if gathering.cursor is None:
        yield from _full(base, params, gathering, fetcher)
    else:
        yield from _incremental(base, params, gathering, fetcher)


def _organization_id(base: str, config: dict[str, Any], fetcher: Fetcher) -> str:
    organization = str(config.get("organization") or "").strip()
    if not organization:
        raise ValueError("a udata source needs config 'organization': the id or slug of the "
                         "organization whose datasets are harvested")
    if _OBJECT_ID.fullmatch(organization):
        return organization
    response = fetcher.get(f"{base}/api/1/organizations/{quote(organization, safe='')}/",
                           headers={"X-Fields": "id"})
    found = response.json()
    if not isinstance(found, dict) or not _OBJECT_ID.fullmatch(str(found.get("id") or "")):
        raise FetchError("parse", response.url, f"organization {organization!r}: no id in "
                         "the answer", response.status, response.headers.get("content-type"))
    return found["id"]


class _Listing:
    """The pages of one ``/api/1/datasets/`` query, through ``next_page``: each dataset once,
    at most ``total / page_size`` pages plus a margin. A failure after the first page, or a
    paging that does not end, stops the listing with an ItemError; ``complete`` tells whether
    every dataset the portal announced was seen."""

    def __init__(self, fetcher: Fetcher, url: str, params: dict[str, Any],
                 headers: dict[str, str] | None = None):
        self.fetcher, self.url, self.params, self.headers = fetcher, url, params, headers
        self.ids: set[str] = set()
        self.total: int | None = None
        self.stopped = False

    @property
    def complete(self) -> bool:
        return not self.stopped and len(self.ids) >= (self.total or 0)

    def __iter__(self) -> Iterator[dict | ItemError]:
        url, params = self.url, self.params
        followed: set[str] = set()
        while True:
            try:
                page = self._page(url, params)
            except FetchError as error:
                if self.total is None:
                    raise
                self.stopped = True
                yield ItemError(None, "fetch", f"the listing stopped: {error.message}",
                                remote_url=error.url, http=error.http())
                return
            yield from self._new(page["data"])
            url, params = page.get("next_page"), None
            if not url:
                return
            if url in followed or len(followed) >= self._max_pages():
                self.stopped = True
                yield ItemError(None, "gather", f"paging does not end: next_page {url} after "
                                f"{len(followed) + 1} pages", remote_url=url)
                return
            followed.add(url)

    def _page(self, url: str, params: dict[str, Any] | None) -> dict:
        response = self.fetcher.get(url, params=params, headers=self.headers)
        page = response.json()
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise FetchError("parse", response.url, "not a udata page: no data list",
                             response.status, response.headers.get("content-type"))
        total = page.get("total")
        self.total = total if isinstance(total, int) else len(page["data"])
        return page

    def _new(self, items: list) -> Iterator[dict]:
        for item in items:
            if not isinstance(item, dict):
                continue
            remote_id = str(item.get("id") or "")
            if remote_id and remote_id not in self.ids:
                self.ids.add(remote_id)
                yield item

    def _max_pages(self) -> int:
        return math.ceil((self.total or 0) / PAGE_SIZE) + SPARE_PAGES


def _hidden(item: dict) -> bool:
    """Deleted, private and archived datasets are not harvested (nor present)."""
    return bool(item.get("deleted") or item.get("private") or item.get("archived"))


def _visible(listing: _Listing) -> Iterator[dict | ItemError]:
    """The listing's errors, and its datasets that are not hidden."""
    for item in listing:
        if isinstance(item, ItemError) or not _hidden(item):
            yield item


def _full(base: str, params: dict[str, Any], gathering: Gathering,
          fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    listing = _Listing(fetcher, f"{base}/api/1/datasets/", params)
    present: set[str] = set()
    newest = None
    for item in _visible(listing):
        gathering.total = listing.total
        if isinstance(item, ItemError):
            yield item
            continue
        present.add(str(item["id"]))
        newest = _later(newest, item.get("last_modified"))
        yield _mapped(item)
    _conclude(gathering, listing, present, newest)


def _incremental(base: str, params: dict[str, Any], gathering: Gathering,
                 fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    since = mapping.parse_datetime(gathering.cursor)
    listing = _Listing(fetcher, f"{base}/api/1/datasets/", params, {"X-Fields": LIGHT_MASK})
    present: set[str] = set()
    changed: list[str] = []
    # The dates of this listing, not of the datasets read after it: a change made in
    # between is then read again next time rather than missed.
    newest = since
    for item in _visible(listing):
        if isinstance(item, ItemError):
            yield item
            continue
        present.add(str(item["id"]))
        modified = mapping.parse_datetime(item.get("last_modified"))
        if modified is None or since is None or modified > since:
            changed.append(str(item["id"]))
        newest = _later(newest, modified)
    gathering.total = len(changed)
    if len(changed) <= math.ceil(len(present) / PAGE_SIZE):
        yield from _one_by_one(base, changed, present, fetcher)
    elif changed:
        yield from _relisted(base, params, set(changed), fetcher)
    _conclude(gathering, listing, present, newest)


def _conclude(gathering: Gathering, listing: _Listing, present: set[str],
              newest: datetime | None) -> None:
    """The present ids and the next cursor, only from a listing that saw every dataset."""
    complete = listing.complete
    gathering.present = present if complete else None
    gathering.new_cursor = (_iso(newest) if complete else None) or gathering.cursor


def _one_by_one(base: str, ids: list[str], present: set[str],
                fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    for remote_id in ids:
        url = f"{base}/api/1/datasets/{remote_id}/"
        try:
            item = fetcher.get(url).json()
        except FetchError as error:
            if error.status in (404, 410):  # deleted or made private since the listing
                present.discard(remote_id)
                continue
            yield ItemError(remote_id, "parse" if error.stage == "parse" else "fetch",
                            error.message, remote_url=error.url, http=error.http())
            continue
        if not isinstance(item, dict):
            yield ItemError(remote_id, "parse", "not a udata dataset", remote_url=url)
        elif _hidden(item):
            present.discard(remote_id)
        else:
            yield _mapped(item)


def _relisted(base: str, params: dict[str, Any], wanted: set[str],
              fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    """The changed datasets, read from a full listing: fewer requests than one by one."""
    for item in _visible(_Listing(fetcher, f"{base}/api/1/datasets/", params)):
        if isinstance(item, ItemError):
            yield item
        elif str(item["id"]) in wanted:
            yield _mapped(item)


def _later(newest: datetime | None, value: Any) -> datetime | None:
    moment = value if isinstance(value, datetime) else mapping.parse_datetime(value)
    if moment is None:
        return newest
    return moment if newest is None or moment > newest else newest


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _mapped(item: dict) -> RemoteDataset | ItemError:
    try:
        return to_record(item)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return ItemError(str(item.get("id") or "") or None, "map",
                         f"unreadable udata dataset: {error}", remote_url=item.get("page"))


def _object(item: dict, key: str) -> dict:
    """A nested object of the dataset, ``{}`` when null; ValueError when it is not one."""
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} is not an object: {value!r:.60}")
    return value


def _list(item: dict, key: str) -> list:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list: {value!r:.60}")
    return value


def to_record(item: dict) -> RemoteDataset:
    """A udata API v1 dataset. The identifier is the upstream IRI when udata harvested the
    dataset itself (what udata's own DCAT export uses), else its API URI."""
    remote_id = str(item["id"])
    spatial, temporal = _object(item, "spatial"), _object(item, "temporal_coverage")
    schema, harvest = _object(item, "schema"), _object(item, "harvest")
    contact = next((c for c in _list(item, "contact_points") if isinstance(c, dict)), {})
    geometry = spatial.get("geom")
    return RemoteDataset(
        remote_id=remote_id,
        title=str(item.get("title") or item.get("slug") or remote_id).strip(),
        remote_url=item.get("page"),
        identifier=harvest.get("uri") or item.get("uri") or item.get("page"),
        original_domain=_origin(harvest),
        name=item.get("slug"),
        description=item.get("description") or "",
        licence=mapping.licence_id(item.get("license")),
        keywords=[str(tag) for tag in _list(item, "tags") if tag],
        frequency=mapping.frequency_code(item.get("frequency")),
        temporal_start=mapping.parse_date(temporal.get("start")),
        temporal_end=mapping.parse_date(temporal.get("end")),
        insee_codes=_insee_codes(spatial.get("zones")),
        geometry=geometry if isinstance(geometry, dict) and "type" in geometry else None,
        granularity=_granularity(spatial.get("granularity")),
        schema_name=schema.get("name"),
        schema_version=schema.get("version"),
        contact_name=contact.get("name"),
        contact_email=contact.get("email"),
        modified=mapping.parse_datetime(item.get("last_modified")),
        created=mapping.parse_datetime(item.get("created_at")),
        resources=[r for r in map(_resource, _list(item, "resources")) if r is not None],
    )


def _origin(harvest: dict) -> str | None:
    """The domain udata harvested the dataset from, if it did."""
    if harvest.get("domain"):
        return str(harvest["domain"])
    if harvest.get("remote_url"):
        return urlsplit(str(harvest["remote_url"])).hostname
    return None


def _insee_codes(zones: Any) -> list[str]:
    """INSEE codes of the commune, département and région zones; other kinds (country:fr,
    fr:epci:…) are left out. Zones are ids, or objects with ``X-Get-Datasets-Full-Objects``."""
    codes = []
    for zone in zones or []:
        zone_id = zone.get("id") if isinstance(zone, dict) else zone
        match = _ZONE.fullmatch(str(zone_id or ""))
        if match:
            codes.append(match[1])
    return list(dict.fromkeys(codes))


def _granularity(value: Any) -> str | None:
    if isinstance(value, dict):  # a full object with X-Get-Datasets-Full-Objects
        value = value.get("id")
    return _GRANULARITIES.get(str(value or ""))


def _resource(item: Any) -> RemoteResource | None:
    if not isinstance(item, dict) or not str(item.get("url") or "").strip():
        return None
    url = str(item["url"]).strip()
    checksum = item.get("checksum") if isinstance(item.get("checksum"), dict) else {}
    digest = str(checksum.get("value") or "")
    size = item.get("filesize")
    kind = str(item.get("type") or "main")
    return RemoteResource(
        url=url,
        title=str(item.get("title") or url.rstrip("/").rsplit("/", 1)[-1]),
        remote_id=str(item["id"]) if item.get("id") else None,
        description=item.get("description") or "",
        format=str(item.get("format") or "").strip().upper() or None,
        media_type=item.get("mime") or None,
        size=size if isinstance(size, int) and size >= 0 else None,
        sha256=digest.lower() if checksum.get("type") == "sha256"
        and _SHA256.fullmatch(digest) else None,
        type=kind if kind in ResourceType.__members__ else "other",
        last_modified=mapping.parse_datetime(item.get("last_modified")),
    )
