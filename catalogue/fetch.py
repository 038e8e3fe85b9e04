"""Polite and safe HTTP fetching: harvests, their file downloads, and schemas fetched by URL.

Every request ctd makes to a remote server goes through one ``Fetcher``:
- timeouts; retries with exponential backoff and jitter on 5xx, timeouts and connection
  errors; 429 honoured through ``Retry-After`` (seconds or HTTP date, capped);
- a per-host concurrency limit (threads share a semaphore per host);
- conditional GET (``If-None-Match`` / ``If-Modified-Since``) returning ``not_modified``;
- a User-Agent naming ctd; at most ``max_redirects`` redirects, each re-checked;
- a response size cap (bodies are streamed and cut off, never read whole first);
- URLs whose host resolves to a private, link-local, loopback, multicast or reserved
  address are refused (stage ``ssrf``) unless the host is allow-listed
  (``CTD_HARVEST_ALLOWED_HOSTS``, comma-separated, e.g. ``127.0.0.1,localhost``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import httpx

ALLOWED_HOSTS_ENV = "CTD_HARVEST_ALLOWED_HOSTS"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Statuses whose Retry-After is honoured.
THROTTLE_STATUSES = {429, 503}
# How many first bytes of a download are kept to sniff its media type.
SNIFF_BYTES = 8192

T = TypeVar("T")


class FetchError(Exception):
    """A request that failed for good (after retries). ``stage`` is one of: ssrf, connect,
    timeout, http, redirect, size, parse."""

    def __init__(self, stage: str, url: str, message: str, status: int | None = None,
                 content_type: str | None = None):
        super().__init__(message)
        self.stage, self.url, self.message = stage, url, message
        self.status, self.content_type = status, content_type

    def http(self) -> dict[str, Any]:
        """The HTTP context stored with a harvest item's error."""
        return {"url": self.url, "status": self.status, "content_type": self.content_type}


@dataclass
class Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes = b""
    not_modified: bool = False

    @property
    def text(self) -> str:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.headers.get("content-type", ""), re.I)
        try:
            return self.content.decode(match[1] if match else "utf-8-sig", errors="replace")
        except LookupError:  # an unknown charset
            return self.content.decode("utf-8-sig", errors="replace")

    def json(self) -> Any:
        """The body as JSON; FetchError(stage="parse") naming what came instead (an HTML
        page, a truncated body…)."""
        try:
            return json.loads(self.content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FetchError("parse", self.url, self._not_json(exc), self.status,
                             self.headers.get("content-type")) from exc

    def _not_json(self, exc: ValueError) -> str:
        content_type = self.headers.get("content-type", "")
        kind = f" ({content_type})" if content_type else ""
        start = self.content.lstrip(b"\xef\xbb\xbf \t\r\n")[:100].lower()
        if not start:
            return f"expected JSON, got an empty body{kind}"
        if "html" in content_type or start.startswith((b"<!doctype html", b"<html")):
            return f"expected JSON, got an HTML page{kind}"
        if start.startswith(b"<"):
            return f"expected JSON, got XML or markup{kind}"
        if isinstance(exc, UnicodeDecodeError):
            return f"expected JSON, got a body that is not UTF-8 text{kind}"
        if exc.msg.startswith("Unterminated string") or not exc.doc[exc.pos:].strip():
            return (f"truncated JSON: the body stops after {len(self.content)} bytes, in the "
                    "middle of the document")
        return f"invalid JSON at byte {len(exc.doc[: exc.pos].encode())}: {exc.msg}{kind}"


@dataclass
class Download:
    path: Path
    size: int
    sha256: str
    media_type: str | None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class Fetcher:
    """Thread-safe: one Fetcher (one connection pool, one semaphore per host) is meant to be
    shared by every thread of a harvest."""

    def __init__(self, *, allowed_hosts: set[str] | None = None, timeout: float = 30.0,
                 retries: int = 4, backoff: float = 0.5, max_retry_after: float = 120.0,
                 max_bytes: int = 50 * 1024 * 1024, max_redirects: int = 5,
                 per_host: int = 2, user_agent: str | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.allowed_hosts = {host.lower() for host in (
            allowed_hosts_from_env() if allowed_hosts is None else allowed_hosts)}
        self.retries, self.backoff, self.max_retry_after = retries, backoff, max_retry_after
        self.max_bytes, self.max_redirects, self.per_host = max_bytes, max_redirects, per_host
        self._sleep = sleep
        self.user_agent = user_agent or _default_user_agent()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False,
            headers={"User-Agent": self.user_agent})

    def get(self, url: str, *, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None, etag: str | None = None,
            last_modified: str | None = None, max_bytes: int | None = None,
            check_status: bool = True) -> Response:
        """GET with all the rules above. With ``check_status`` a final 4xx/5xx raises
        FetchError(stage="http"); without, the response is returned (CKAN's error envelope
        comes with 4xx codes). 304 gives ``Response(not_modified=True)``."""
        if params:
            url = str(_parse(url).copy_merge_params(params))
        limit = self.max_bytes if max_bytes is None else max_bytes

        def read(final_url: str, response: httpx.Response) -> Response:
            content = b"".join(self._chunks(final_url, response, limit))
            return Response(final_url, response.status_code, response.headers, content,
                            not_modified=response.status_code == 304)

        return self._fetch(url, _conditional(headers, etag, last_modified), check_status, read)

    def download(self, url: str, path: Path, *, max_bytes: int, etag: str | None = None,
                 last_modified: str | None = None) -> Download:
        """Stream a file to ``path`` (through a temporary file renamed at the end), computing
        its sha256 and sniffing its media type; a 304 leaves ``path`` as it was. The
        validators are only sent when ``path`` exists (a 304 needs something to keep)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        headers = _conditional(None, etag, last_modified) if path.exists() else {}

        def save(final_url: str, response: httpx.Response) -> Download:
            content_type = response.headers.get("content-type")
            if response.status_code == 304:
                with path.open("rb") as existing:
                    size, sha256, head = _digest(iter(lambda: existing.read(1 << 16), b""))
                return Download(path, size, sha256, _sniff(head, final_url, None),
                                response.headers.get("etag", etag),
                                response.headers.get("last-modified", last_modified),
                                not_modified=True, headers=dict(response.headers.items()))
            with temporary.open("wb") as out:  # "wb": a retry starts the file afresh
                size, sha256, head = _digest(
                    _written(out, self._chunks(final_url, response, max_bytes)))
                out.flush()
                os.fsync(out.fileno())
            return Download(path, size, sha256, _sniff(head, final_url, content_type),
                            response.headers.get("etag"), response.headers.get("last-modified"),
                            headers=dict(response.headers.items()))

        try:
            result = self._fetch(url, headers, True, save)
            if not result.not_modified:
                os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return result

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _fetch(self, url: str, headers: dict[str, str], check_status: bool,
               read: Callable[[str, httpx.Response], T]) -> T:
        """Follow redirects and retry failures until a final response, whose body ``read``
        consumes (once per try: a body cut by a timeout is read again from the start)."""
        url = str(_parse(url))
        seen = {url}
        failures = 0
        # Bounded: each turn returns, raises, follows one of at most max_redirects hops or
        # counts one of at most ``retries`` failures.
        while True:
            host = self._guard(url)
            delay = error = None
            try:
                with self._slot(host), self._client.stream("GET", url, headers=headers) as r:
                    if r.status_code in REDIRECT_STATUSES and "location" in r.headers:
                        _discard(r)
                        url = self._next_hop(url, r, seen)
                        continue
                    retry = r.status_code >= 500 or r.status_code == 429
                    if not retry or failures >= self.retries:
                        return self._final(url, r, failures + 1, check_status, read)
                    delay = self._retry_after(url, r)
                    _discard(r)
            except httpx.TimeoutException as exc:
                error = FetchError("timeout", url, f"timed out ({type(exc).__name__}) after "
                                   f"{failures + 1} attempt(s)")
            except httpx.TransportError as exc:
                error = FetchError("connect", url, f"connection failed after {failures + 1} "
                                   f"attempt(s): {exc or type(exc).__name__}")
            failures += 1
            if error is not None and failures > self.retries:
                raise error
            self._sleep(self._backoff(failures) if delay is None else delay)

    def _final(self, url: str, r: httpx.Response, attempts: int, check_status: bool,
               read: Callable[[str, httpx.Response], T]) -> T:
        if check_status and r.status_code >= 400:
            raise FetchError("http", url, f"HTTP {r.status_code} {r.reason_phrase} after "
                             f"{attempts} attempt(s)", r.status_code,
                             r.headers.get("content-type"))
        return read(url, r)

    def _next_hop(self, url: str, r: httpx.Response, seen: set[str]) -> str:
        target = str(r.url.join(r.headers["location"]))
        if target in seen:
            raise FetchError("redirect", url, f"redirect loop: {url} sends back to {target}",
                             r.status_code)
        if len(seen) > self.max_redirects:
            raise FetchError("redirect", url, f"more than {self.max_redirects} redirects",
                             r.status_code)
        seen.add(target)
        return target

    def _retry_after(self, url: str, r: httpx.Response) -> float | None:
        """The wait a 429 or 503 asks for, None when it asks nothing (then: backoff)."""
        if r.status_code not in THROTTLE_STATUSES:
            return None
        seconds = _parse_retry_after(r.headers.get("retry-after"))
        if seconds is not None and seconds > self.max_retry_after:
            raise FetchError("http", url, f"HTTP {r.status_code}: the server asks to wait "
                             f"{seconds:.0f} s (Retry-After), more than the "
                             f"{self.max_retry_after:.0f} s we accept", r.status_code,
                             r.headers.get("content-type"))
        return seconds

    def _backoff(self, failures: int) -> float:
        delay = self.backoff * 2 ** (failures - 1) * random.uniform(0.5, 1.5)
        return min(delay, self.max_retry_after)

    def _chunks(self, url: str, r: httpx.Response, max_bytes: int) -> Iterator[bytes]:
        """The (decoded) body, cut off with FetchError(stage="size") past ``max_bytes``."""
        announced = r.headers.get("content-length", "")
        if announced.isdigit() and int(announced) > max_bytes:
            raise FetchError("size", url, f"the body announces {announced} bytes, more than "
                             f"the {max_bytes} allowed", r.status_code,
                             r.headers.get("content-type"))
        total = 0
        try:
            for chunk in r.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise FetchError("size", url, f"the body is larger than the {max_bytes} "
                                     "bytes allowed", r.status_code,
                                     r.headers.get("content-type"))
                yield chunk
        except httpx.DecodingError as exc:  # a garbled gzip or brotli body
            raise FetchError("parse", url, f"the body could not be decoded ({exc})",
                             r.status_code, r.headers.get("content-type")) from exc

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._slots_lock:
            if host not in self._slots:
                self._slots[host] = threading.BoundedSemaphore(self.per_host)
            return self._slots[host]

    def _guard(self, url: str) -> str:
        """Refuse what a harvester must not reach; the URL's host (lower-case) otherwise.

        The addresses checked are not the ones httpx then connects to (it resolves the name
        again): a DNS rebinding between the two is out of scope."""
        parts = _parse(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError("ssrf", url, f"refused: only http and https URLs are fetched, "
                             f"not {parts.scheme or 'a relative'} URL")
        host = parts.host.lower()
        if not host:
            raise FetchError("ssrf", url, "refused: the URL has no host")
        if host in self.allowed_hosts:
            return host
        try:
            addresses = {ipaddress.ip_address(host)}
        except ValueError:
            try:
                infos = socket.getaddrinfo(host, parts.port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise FetchError("connect", url, f"cannot resolve {host}: {exc}") from exc
            addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
        for address in addresses:
            if _forbidden(address):
                raise FetchError("ssrf", url, f"refused: {host} ({address}) is a private, "
                                 "loopback, link-local, multicast or reserved address "
                                 f"(allow-list it in {ALLOWED_HOSTS_ENV} if intended)")
        return host


def allowed_hosts_from_env() -> set[str]:
    """``CTD_HARVEST_ALLOWED_HOSTS`` as a set of lower-case host names."""
    value = os.environ.get(ALLOWED_HOSTS_ENV, "")
    return {host.strip().lower() for host in value.split(",") if host.strip()}


def _default_user_agent() -> str:
    """``ctd-harvester/<version>``, with the service's public URL as contact when set."""
    try:
        ctd_version = version("ctd")
    except PackageNotFoundError:
        ctd_version = "0"
    contact = os.environ.get("CTD_PUBLIC_URL", "").strip().rstrip("/")
    about = f"+{contact}" if contact else "open data catalogue harvester"
    return f"ctd-harvester/{ctd_version} ({about})"


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError("ssrf", url, f"refused: invalid URL ({exc})") from exc


# Bytes found in text (the ASCII controls of text, and everything from space on but DEL).
TEXT_BYTES = bytes({7, 8, 9, 10, 12, 13, 27} | set(range(0x20, 0x100)) - {0x7F})
GEOJSON = re.compile(rb'"type"\s*:\s*"(Feature|FeatureCollection)"')


def _sniff(head: bytes, url: str, content_type: str | None) -> str | None:
    """The media type of a file from its first bytes; the URL's extension and the
    Content-Type only tell apart formats that look alike, or serve when nothing matched."""
    declared = (content_type or "").split(";")[0].strip().lower() or None
    extension = Path(httpx.URL(url).path).suffix.lower()
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"PK\x03\x04"):
        return {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ".ods": "application/vnd.oasis.opendocument.spreadsheet"}.get(
                    extension, "application/zip")
    for magic, media_type in ((b"%PDF", "application/pdf"),
                              (b"PAR1", "application/vnd.apache.parquet"),
                              (b"\x1f\x8b", "application/gzip")):
        if head.startswith(magic):
            return media_type
    if start.startswith((b"{", b"[")):
        return "application/geo+json" if GEOJSON.search(head) else "application/json"
    if start.startswith((b"<?xml", b"<rdf")):
        return "application/xml"
    if start[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if start and not head.translate(None, TEXT_BYTES):
        return "text/csv" if "csv" in extension or "csv" in (declared or "") else "text/plain"
    return declared


def _conditional(headers: dict[str, str] | None, etag: str | None,
                 last_modified: str | None) -> dict[str, str]:
    result = dict(headers or {})
    if etag:
        result["If-None-Match"] = etag
    if last_modified:
        result["If-Modified-Since"] = last_modified
    return result


def _discard(r: httpx.Response) -> None:
    """Read a small unwanted body (a redirect's, an error page) so that the connection goes
    back to the pool instead of being reset."""
    length = r.headers.get("content-length", "")
    if length.isdigit() and int(length) <= 65536:
        r.read()


def _written(out: BinaryIO, chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        out.write(chunk)
        yield chunk


def _digest(chunks: Iterator[bytes]) -> tuple[int, str, bytes]:
    """Size, sha256 and first bytes of a stream of chunks."""
    digest, size, head = hashlib.sha256(), 0, b""
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
    return size, digest.hexdigest(), head


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date); None if absent or garbled."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    with suppress(TypeError, ValueError, IndexError):
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified)
