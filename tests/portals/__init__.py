"""Fixture portals: small real HTTP servers on a free loopback port that speak the protocols
ctd harvests (CKAN, udata, OpenDataSoft, DCAT, a SCDL catalogue CSV), with faults that a test
can inject (429 with Retry-After, 500s, slowness, truncated bodies, HTML error pages,
redirect loops).

A portal is a ``Portal`` with a ``handle(request) -> Reply`` method; ``serve(portal)``
starts it in a thread and gives its base URL. Benchmarks import this package too.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    # Query parameters, each with its last value.
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(cls, value: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(value, default=str).encode(), headers=headers)


@dataclass
class Fault:
    """Served instead of the real reply to the next ``times`` requests whose path starts with
    ``path``. Kinds: ``429`` (with Retry-After ``seconds``), ``500``, ``slow`` (waits
    ``seconds`` then replies normally), ``truncated`` (half the real body), ``html`` (an
    HTML error page with status 200), ``redirect-loop`` (302 to itself)."""

    kind: str
    path: str = "/"
    times: int = 1
    seconds: float = 1.0


class Portal:
    """Base of the fixture portals: routing is the subclass's ``handle``."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Reply:  # pragma: no cover - overridden
        return Reply(404, b"{}")

    def inject(self, kind: str, path: str = "/", times: int = 1, seconds: float = 1.0) -> None:
        with self._lock:
            self.faults.append(Fault(kind, path, times, seconds))

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def respond(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(request.path)
        if fault is None:
            return self.handle(request)
        if fault.kind == "429":
            return Reply(429, b'{"error": "quota"}',
                         headers={"Retry-After": str(int(fault.seconds))})
        if fault.kind == "500":
            return Reply(500, b"Internal Server Error", "text/plain")
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return self.handle(request)
        if fault.kind == "truncated":
            reply = self.handle(request)
            return Reply(reply.status, reply.body[: len(reply.body) // 2], reply.content_type,
                         reply.headers)
        if fault.kind == "html":
            return Reply(200, b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>",
                         "text/html; charset=utf-8")
        if fault.kind == "redirect-loop":
            return Reply(302, b"", "text/plain", {"Location": request.path})
        raise ValueError(f"unknown fault {fault.kind}")


def _handler(portal: Portal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without this, Nagle's algorithm and delayed
        # ACKs add some 40 ms to every response.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command, path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True)
                       .items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"")
            reply = portal.respond(request)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_HEAD = _serve

        def log_message(self, *args) -> None:
            pass

    return Handler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(portal: Portal) -> Iterator[str]:
    """Serve ``portal`` on a free loopback port for the duration; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(portal))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
