"""Polite and safe HTTP fetching for the harvesters (INTERFACE — being implemented).

Every request a connector makes to a remote portal goes through one ``Fetcher``:
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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


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
    def text(self) -> str: ...

    def json(self) -> Any:
        """The body as JSON; FetchError(stage="parse") naming what came instead (an HTML
        page, a truncated body…)."""


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
    def __init__(self, *, allowed_hosts: set[str] | None = None, timeout: float = 30.0,
                 retries: int = 4, backoff: float = 0.5, max_retry_after: float = 120.0,
                 max_bytes: int = 50 * 1024 * 1024, max_redirects: int = 5,
                 per_host: int = 2, user_agent: str | None = None): ...

    def get(self, url: str, *, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None, etag: str | None = None,
            last_modified: str | None = None, max_bytes: int | None = None,
            check_status: bool = True) -> Response:
        """GET with all the rules above. With ``check_status`` a final 4xx/5xx raises
        FetchError(stage="http"); without, the response is returned (CKAN's error envelope
        comes with 4xx codes). 304 gives ``Response(not_modified=True)``."""

    def download(self, url: str, path: Path, *, max_bytes: int, etag: str | None = None,
                 last_modified: str | None = None) -> Download:
        """Stream a file to ``path`` (through a temporary file renamed at the end), computing
        its sha256 and sniffing its media type; a 304 leaves ``path`` as it was."""

    def close(self) -> None: ...

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def allowed_hosts_from_env() -> set[str]:
    """``CTD_HARVEST_ALLOWED_HOSTS`` as a set of lower-case host names."""
