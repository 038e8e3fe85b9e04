"""catalogue.fetch against a real fixture portal on 127.0.0.1: retries, Retry-After, timeouts,
redirects, size caps, the SSRF guard, conditional GET, the per-host limit and downloads."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from portals import Portal, Reply, Request, free_port, serve

from catalogue.fetch import Fetcher, FetchError, allowed_hosts_from_env

ZIP = b"PK\x03\x04" + bytes(range(256)) * 4
FILES = {
    # name: (body, Content-Type, expected media type)
    "table.csv": (b"commune;population\nNancy;104000\n", "text/plain", "text/csv"),
    "latin1.csv": ("nom;ville\nÉcole;Épinal\n".encode("latin-1"), "application/octet-stream",
                   "text/csv"),
    "export": (b"a,b\n1,2\n", "text/csv; charset=utf-8", "text/csv"),
    "notes.txt": (b"Lisez-moi\n", "text/plain", "text/plain"),
    "archive.bin": (ZIP, "application/octet-stream", "application/zip"),
    "budget.xlsx": (ZIP, "application/octet-stream",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "report.pdf": (b"%PDF-1.7\n" + bytes(range(256)), "application/octet-stream",
                   "application/pdf"),
    "table.parquet": (b"PAR1" + bytes(range(256)), "application/octet-stream",
                      "application/vnd.apache.parquet"),
    "communes.geojson": (b'{"type": "FeatureCollection", "features": []}', "application/json",
                         "application/geo+json"),
    "data.json": (b' [{"id": 1}]', "text/plain", "application/json"),
    "catalog.rdf": (b'<?xml version="1.0"?><rdf:RDF/>', "text/plain", "application/xml"),
    "blob": (bytes(range(256)), "image/png", "image/png"),
}


class Files(Portal):
    """A portal with the paths these tests need; it counts the requests it serves at once."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.faults, self.requests = [], []
        self.active = self.peak = self.busy = 0

    def handle(self, request: Request) -> Reply:
        path = request.path
        if path == "/data":
            return Reply.of_json({"items": list(range(50))})
        if path == "/missing":
            return Reply.of_json({"success": False, "error": {"message": "Not found"}}, 404)
        if path == "/etag":
            if request.headers.get("if-none-match") == '"v1"':
                return Reply(304, headers={"ETag": '"v1"'})
            return Reply(200, b"id;name\n1;one\n", "text/csv", {"ETag": '"v1"'})
        if path == "/dated":
            stamp = "Mon, 06 Jan 2025 10:00:00 GMT"
            if request.headers.get("if-modified-since") == stamp:
                return Reply(304)
            return Reply.of_json({"ok": True}, **{"Last-Modified": stamp})
        if path.startswith("/hop/"):
            left = int(path.removeprefix("/hop/"))
            if left:
                return Reply(302, headers={"Location": f"/hop/{left - 1}"})
            return Reply.of_json({"arrived": True})
        if path == "/away":
            return Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        if path == "/big":
            return Reply(200, b"x" * 10_000, "text/plain")
        if path == "/bomb":  # a small gzip body that inflates past the caps used below
            return Reply(200, gzip.compress(b"a" * 200_000), "text/csv",
                         {"Content-Encoding": "gzip"})
        if path == "/busy":  # a 429 whose Retry-After is an HTTP date, 5 s ahead
            with self.counter:
                self.busy += 1
                first = self.busy == 1
            if first:
                when = datetime.now(UTC) + timedelta(seconds=5)
                return Reply(429, headers={"Retry-After": format_datetime(when, usegmt=True)})
            return Reply.of_json({"ok": True})
        if path == "/slow":
            with self.counter:
                self.active += 1
                self.peak = max(self.peak, self.active)
            time.sleep(0.2)
            with self.counter:
                self.active -= 1
            return Reply.of_json({"ok": True})
        if path.startswith("/files/"):
            body, content_type, _ = FILES[path.removeprefix("/files/")]
            return Reply(200, body, content_type, {"ETag": '"f1"'})
        return Reply(404, b"{}")


@pytest.fixture(scope="module")
def served() -> tuple[Files, str]:
    """One server for the module (stopping one takes half a second)."""
    portal = Files()
    with serve(portal) as url:
        yield portal, url


@pytest.fixture
def portal(served) -> Files:
    served[0].reset()
    return served[0]


@pytest.fixture
def base(served, portal) -> str:
    return served[1]


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(base, sleeps):
    """Fetchers allowed to reach 127.0.0.1 and recording their sleeps instead of sleeping;
    closed before the portal stops."""
    made: list[Fetcher] = []

    def make_fetcher(**options) -> Fetcher:
        options = {"allowed_hosts": {"127.0.0.1"}, "sleep": sleeps.append, **options}
        made.append(Fetcher(**options))
        return made[-1]

    yield make_fetcher
    for fetcher in made:
        fetcher.close()


def fails(call, *args, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as caught:
        call(*args, **kwargs)
    return caught.value


def hits(portal: Portal, path: str) -> int:
    return sum(request.path == path for request in portal.requests)


def test_get_returns_the_body_as_json_and_text(make, base):
    response = make().get(f"{base}/data", params={"page": 2})
    assert (response.status, response.not_modified) == (200, False)
    assert response.url == f"{base}/data?page=2"
    assert response.json() == {"items": list(range(50))}
    assert response.text.startswith('{"items": [0, 1')


def test_user_agent_names_ctd(make, base, portal):
    make().get(f"{base}/data")
    assert portal.requests[-1].headers["user-agent"].startswith("ctd-harvester/")


def test_429_waits_what_retry_after_asks_then_succeeds(make, base, portal, sleeps):
    portal.inject("429", "/data", times=1, seconds=3)
    assert make().get(f"{base}/data").json()["items"][0] == 0
    assert sleeps == [3.0]
    assert hits(portal, "/data") == 2


def test_429_retry_after_as_an_http_date(make, base, portal, sleeps):
    assert make().get(f"{base}/busy").json() == {"ok": True}
    assert len(sleeps) == 1 and 3 < sleeps[0] <= 5


def test_429_asking_longer_than_the_cap_gives_up_at_once(make, base, portal, sleeps):
    portal.inject("429", "/data", times=1, seconds=600)
    error = fails(make(max_retry_after=60).get, f"{base}/data")
    assert (error.stage, error.status) == ("http", 429)
    assert "Retry-After" in error.message and "600" in error.message
    assert sleeps == [] and hits(portal, "/data") == 1


def test_500_then_success_backs_off_with_jitter(make, base, portal, sleeps):
    portal.inject("500", "/data", times=2)
    assert make(retries=3, backoff=0.1).get(f"{base}/data").status == 200
    assert hits(portal, "/data") == 3
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.15 and 0.1 <= sleeps[1] <= 0.3


def test_500_forever_fails_after_every_retry(make, base, portal, sleeps):
    portal.inject("500", "/data", times=100)
    error = fails(make(retries=2).get, f"{base}/data")
    assert (error.stage, error.status, error.content_type) == ("http", 500, "text/plain")
    assert "3 attempt" in error.message
    assert hits(portal, "/data") == 3 and len(sleeps) == 2
    # Without check_status, the last 5xx comes back once the retries are spent.
    response = make(retries=2).get(f"{base}/data", check_status=False)
    assert response.status == 500 and hits(portal, "/data") == 6


def test_4xx_is_not_retried_and_returned_without_check_status(make, base, portal, sleeps):
    fetcher = make()
    error = fails(fetcher.get, f"{base}/missing")
    assert (error.stage, error.status) == ("http", 404)
    assert error.http() == {"url": f"{base}/missing", "status": 404,
                            "content_type": "application/json"}
    response = fetcher.get(f"{base}/missing", check_status=False)
    assert response.status == 404 and response.json()["success"] is False
    assert hits(portal, "/missing") == 2 and sleeps == []


def test_timeout_is_retried_then_fails(make, base, portal, sleeps):
    portal.inject("slow", "/data", times=1, seconds=0.5)
    assert make(timeout=0.1, retries=1).get(f"{base}/data").status == 200
    portal.inject("slow", "/data", times=2, seconds=0.5)
    error = fails(make(timeout=0.1, retries=1).get, f"{base}/data")
    assert error.stage == "timeout" and "2 attempt" in error.message
    assert len(sleeps) == 2


def test_connection_refused(make, sleeps):
    error = fails(make(retries=2).get, f"http://127.0.0.1:{free_port()}/")
    assert error.stage == "connect" and len(sleeps) == 2


def test_truncated_json_is_a_parse_error(make, base, portal):
    portal.inject("truncated", "/data")
    response = make().get(f"{base}/data")
    error = fails(response.json)
    assert (error.stage, error.status, error.content_type) == ("parse", 200, "application/json")
    assert error.message.startswith("truncated JSON")


def test_html_instead_of_json_is_a_parse_error_naming_html(make, base, portal):
    portal.inject("html", "/data")
    error = fails(make().get(f"{base}/data").json)
    assert error.stage == "parse" and error.content_type.startswith("text/html")
    assert "expected JSON, got an HTML page" in error.message


def test_redirect_loop(make, base, portal):
    portal.inject("redirect-loop", "/loop", times=10)
    error = fails(make().get, f"{base}/loop")
    assert error.stage == "redirect" and "loop" in error.message


def test_redirects_are_followed_up_to_the_limit(make, base):
    fetcher = make(max_redirects=2)
    response = fetcher.get(f"{base}/hop/2")
    assert response.url == f"{base}/hop/0" and response.json() == {"arrived": True}
    error = fails(fetcher.get, f"{base}/hop/3")
    assert error.stage == "redirect" and "more than 2 redirects" in error.message


def test_each_redirect_hop_is_checked(make, base):
    error = fails(make().get, f"{base}/away")
    assert error.stage == "ssrf" and "169.254.169.254" in error.url


def test_size_cap(make, base):
    fetcher = make(max_bytes=1000)
    error = fails(fetcher.get, f"{base}/big")
    assert error.stage == "size" and "announces 10000 bytes" in error.message
    assert len(fetcher.get(f"{base}/big", max_bytes=10_000).content) == 10_000
    # A small gzip body is counted as it inflates, and cut off.
    error = fails(fetcher.get, f"{base}/bomb", max_bytes=50_000)
    assert error.stage == "size" and "larger than the 50000 bytes" in error.message


def test_ssrf_loopback_refused_unless_allow_listed(make, base, portal, monkeypatch):
    assert fails(make(allowed_hosts=set()).get, f"{base}/data").stage == "ssrf"
    # Allow-listing is by the host as written: 127.0.0.1 does not let localhost in.
    port = base.rsplit(":", 1)[1]
    assert fails(make().get, f"http://localhost:{port}/data").stage == "ssrf"
    assert hits(portal, "/data") == 0
    assert make().get(f"{base}/data").status == 200
    monkeypatch.setenv("CTD_HARVEST_ALLOWED_HOSTS", "127.0.0.1")
    assert make(allowed_hosts=None).get(f"{base}/data").status == 200


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://224.0.0.1/",
    "file:///etc/passwd", "ftp://example.org/file.csv", "/relative/path",
])
def test_ssrf_refused_without_connecting(make, url, sleeps):
    # A tiny timeout and no retries: had a connection been tried, the stage would differ.
    error = fails(make(allowed_hosts=set(), timeout=0.01, retries=0).get, url)
    assert error.stage == "ssrf" and error.message.startswith("refused")
    assert sleeps == []


def test_conditional_get(make, base, portal):
    fetcher = make()
    first = fetcher.get(f"{base}/etag")
    assert first.status == 200 and first.headers["etag"] == '"v1"'
    again = fetcher.get(f"{base}/etag", etag=first.headers["etag"])
    assert (again.status, again.not_modified, again.content) == (304, True, b"")
    assert portal.requests[-1].headers["if-none-match"] == '"v1"'
    stamp = fetcher.get(f"{base}/dated").headers["last-modified"]
    assert fetcher.get(f"{base}/dated", last_modified=stamp).not_modified


def test_per_host_concurrency_limit(make, base, portal):
    fetcher = make(per_host=2)
    statuses: list[int] = []

    def fetch() -> None:
        statuses.append(fetcher.get(f"{base}/slow").status)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert statuses == [200] * 6
    assert portal.peak == 2


@pytest.mark.parametrize("name", FILES)
def test_download_writes_the_file_with_its_hash_and_media_type(make, base, tmp_path, name):
    body, _, media_type = FILES[name]
    path = tmp_path / "a" / "b" / name
    download = make().download(f"{base}/files/{name}", path, max_bytes=10_000)
    assert path.read_bytes() == body
    assert (download.path, download.size, download.sha256) == (
        path, len(body), hashlib.sha256(body).hexdigest())
    assert download.media_type == media_type
    assert (download.etag, download.not_modified) == ('"f1"', False)
    assert [p.name for p in path.parent.iterdir()] == [name]


def test_download_not_modified_leaves_the_file(make, base, tmp_path, portal):
    fetcher, path = make(), tmp_path / "table.csv"
    first = fetcher.download(f"{base}/etag", path, max_bytes=1000)
    modified = path.stat().st_mtime_ns
    again = fetcher.download(f"{base}/etag", path, max_bytes=1000, etag=first.etag)
    assert again.not_modified and portal.requests[-1].headers["if-none-match"] == '"v1"'
    assert (again.path, again.size, again.sha256) == (path, first.size, first.sha256)
    assert path.stat().st_mtime_ns == modified
    # Without the file, the validators are not sent: there would be nothing to keep.
    path.unlink()
    third = fetcher.download(f"{base}/etag", path, max_bytes=1000, etag=first.etag)
    assert not third.not_modified and path.read_bytes() == b"id;name\n1;one\n"
    assert "if-none-match" not in portal.requests[-1].headers


def test_failed_download_leaves_the_existing_file_and_no_temporary(make, base, tmp_path,
                                                                   portal):
    path = tmp_path / "table.csv"
    path.write_bytes(b"old")
    fetcher = make(retries=1)
    assert fails(fetcher.download, f"{base}/bomb", path, max_bytes=50_000).stage == "size"
    portal.inject("500", "/files/table.csv", times=5)
    assert fails(fetcher.download, f"{base}/files/table.csv", path, max_bytes=1000).status == 500
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_allowed_hosts_from_env(monkeypatch):
    monkeypatch.setenv("CTD_HARVEST_ALLOWED_HOSTS", " Data.Example.org, ,127.0.0.1 ,,")
    assert allowed_hosts_from_env() == {"data.example.org", "127.0.0.1"}
    monkeypatch.delenv("CTD_HARVEST_ALLOWED_HOSTS")
    assert allowed_hosts_from_env() == set()
