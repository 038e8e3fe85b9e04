"""The ``ckan`` connector: a CKAN portal's Action API v3, through ckanapi's ``RemoteCKAN``.

ckanapi speaks the protocol; its HTTP goes through our polite ``Fetcher`` (retries,
Retry-After, size caps, SSRF guard) by way of a small session adapter.

Gathering pages ``package_search`` sorted by ``metadata_modified`` then ``id``, so that a
dataset modified while we page moves to the end (seen twice, dropped the second time) rather
than being skipped. With a cursor only ``fq=metadata_modified:[cursor TO *]`` is read, and the
full list of ids comes from a cheap ``fl=id`` listing so deletions are still noticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import ckanapi
from ckanapi.errors import CKANAPIError

from catalogue.fetch import Fetcher, FetchError
from catalogue.vocabularies import ResourceType
from connectors import mapping
from connectors.records import Gathering, ItemError, RemoteDataset, RemoteResource

ROWS = 1000
# Pages beyond the announced count that we accept before calling the paging broken.
SPARE_PAGES = 5
SORT = "metadata_modified asc, id asc"


class _Session:
    """What ``RemoteCKAN`` needs of a ``requests.Session``, over the Fetcher."""

    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher

    def get(self, url: str, params: dict | None = None, headers: dict | None = None, **_):
        response = self.fetcher.get(url, params=params, headers=headers, check_status=False)
        return SimpleNamespace(status_code=response.status, text=response.text)

    def close(self) -> None:
        pass


def _call(ckan: ckanapi.RemoteCKAN, action: str, **params: Any) -> Any:
    """One action; what is not a CKAN answer (an HTML page, truncated JSON, an error envelope)
    becomes a FetchError naming the action."""
    url = f"{ckan.address.rstrip('/')}/api/action/{action}"
    try:
        return ckan.call_action(action, params)
    except CKANAPIError as error:
        text = str(error)
        if text.startswith("['") and "<html" in text[:2000].lower():
            text = "an HTML page instead of the CKAN JSON envelope"
        raise FetchError("parse", url, f"{action}: {text[:300]}") from None


def _fq(gathering: Gathering, since: str | None) -> str:
    parts = []
    if organization := gathering.config.get("organization"):
        parts.append(f"organization:{organization}")
    if extra := gathering.config.get("fq"):
        parts.append(f"({extra})")
    if since:
        parts.append(f"metadata_modified:[{since} TO *]")
    return " ".join(parts)


def _pages(ckan, fq: str, rows: int, gathering: Gathering | None = None,
           **extra) -> Iterator[dict]:
    """Every record of a ``package_search``, page after page, each id once."""
    seen: set[str] = set()
    start, count = 0, None
    while count is None or start < count:
        page = _call(ckan, "package_search", q="*:*", fq=fq, rows=rows, start=start,
                     **({"sort": SORT} | extra))
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise FetchError("parse", ckan.address, "package_search: no result list")
        if count is None:
            count = int(page.get("count") or 0)
            if gathering is not None:
                gathering.total = count
            last_start = count + SPARE_PAGES * rows
        results = page["results"]
        if not results:
            break
        for record in results:
            remote_id = str(record.get("id") or "")
            if remote_id and remote_id not in seen:
                seen.add(remote_id)
                yield record
        start += len(results)
        if start > last_start:
            raise FetchError("parse", ckan.address, "package_search: paging does not end")


def gather(gathering: Gathering, fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    base = gathering.url.rstrip("/")
    ckan = ckanapi.RemoteCKAN(base, get_only=True, session=_Session(fetcher),
                              user_agent=fetcher.user_agent)
    since = mapping.parse_datetime(gathering.cursor)
    rows = int(gathering.config.get("page_size") or ROWS)
    newest = gathering.cursor
    read: set[str] = set()
    for record in _pages(ckan, _fq(gathering, _solr_date(since)), rows, gathering):
        read.add(str(record["id"]))
        newest = _later(newest, record.get("metadata_modified"))
        yield _mapped(base, record)
    # Offset paging skips a record when an earlier one moves (edited while we page): the
    # list of ids and dates, cheap to get, shows what was skipped, read one by one.
    listing = {str(r["id"]): mapping.parse_datetime(r.get("metadata_modified"))
               for r in _pages(ckan, _fq(gathering, None), rows,
                               fl="id metadata_modified", sort="id asc")}
    for remote_id, modified in listing.items():
        if remote_id in read or (since and modified and modified < since):
            continue
        try:
            record = _call(ckan, "package_show", id=remote_id)
        except FetchError as error:
            yield ItemError(remote_id, "fetch", error.message, http=error.http())
            continue
        newest = _later(newest, record.get("metadata_modified"))
        yield _mapped(base, record)
    gathering.present = set(listing)
    gathering.new_cursor = newest


def _later(current: str | None, stamp) -> str | None:
    """The later of two CKAN timestamps (ISO 8601 text of one form compares as text)."""
    if not isinstance(stamp, str):
        return current
    return stamp if current is None or stamp > current else current


def _mapped(base: str, record: dict) -> RemoteDataset | ItemError:
    remote_id = str(record.get("id"))
    try:
        return to_record(base, record)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return ItemError(remote_id, "map", f"unreadable CKAN record: {error!r}",
                         remote_url=f"{base}/dataset/{record.get('name') or remote_id}")


def _solr_date(moment: datetime | None) -> str | None:
    """A moment as a Solr date, cut to the millisecond Solr keeps (rounding down keeps the
    range inclusive)."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _extras(record: dict) -> dict[str, str]:
    return {str(e.get("key")): e.get("value") for e in record.get("extras") or []
            if isinstance(e, dict) and e.get("value") not in (None, "")}


_SHA256 = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")


def _resource(item: dict) -> RemoteResource | None:
    url = (item.get("url") or "").strip()
    if not url:
        return None
    checksum = _SHA256.match(str(item.get("hash") or "").strip())
    size = item.get("size")
    kind = item.get("resource_type") or "main"
    return RemoteResource(
        url=url, title=item.get("name") or item.get("description") or url.rsplit("/", 1)[-1],
        remote_id=str(item["id"]) if item.get("id") else None,
        description=item.get("description") or "",
        format=(item.get("format") or "").strip().upper() or None,
        media_type=item.get("mimetype") or None,
        size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        sha256=checksum.group(1).lower() if checksum else None,
        type=kind if kind in ResourceType.__members__ else ResourceType.other,
        last_modified=mapping.parse_datetime(item.get("last_modified")),
    )


def _geometry(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "type" in value else None


def to_record(base: str, record: dict) -> RemoteDataset:
    """A CKAN package (with ckanext-spatial's ``spatial`` extra and the extras ctd emits)."""
    extras = _extras(record)
    name = record.get("name") or str(record["id"])
    groups = [g.get("name") or "" for g in record.get("groups") or []] + [
        g.get("title") or "" for g in record.get("groups") or []]
    zones = [z for z in (extras.get("spatial_zones") or "").split(",") if z]
    resources = [r for r in map(_resource, record.get("resources") or []) if r is not None]
    return RemoteDataset(
        remote_id=str(record["id"]),
        title=(record.get("title") or name).strip(),
        remote_url=f"{base}/dataset/{name}",
        identifier=extras.get("uri") or extras.get("identifier") or extras.get("dct_identifier"),
        name=name,
        description=record.get("notes") or "",
        licence=mapping.licence_id(record.get("license_id") or record.get("license_url")
                                   or record.get("license_title")),
        keywords=[t["name"] for t in record.get("tags") or [] if t.get("name")],
        themes=mapping.theme_codes([g for g in groups if g]),
        frequency=mapping.frequency_code(extras.get("frequency")
                                         or extras.get("accrual_periodicity")),
        temporal_start=mapping.parse_date(extras.get("temporal_start")),
        temporal_end=mapping.parse_date(extras.get("temporal_end")),
        insee_codes=[z.rsplit(":", 1)[-1] for z in zones],
        geometry=None if zones else _geometry(extras.get("spatial")),
        granularity=extras.get("spatial_granularity"),
        schema_name=extras.get("schema"),
        schema_version=extras.get("schema_version"),
        contact_name=record.get("maintainer") or record.get("author"),
        contact_email=record.get("maintainer_email") or record.get("author_email"),
        modified=mapping.parse_datetime(record.get("metadata_modified")),
        created=mapping.parse_datetime(record.get("metadata_created")),
        resources=resources,
    )
