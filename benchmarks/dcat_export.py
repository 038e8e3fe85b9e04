"""DCAT export benchmark: the whole catalogue exported page by page over HTTP, beside the
anchor of one rdflib Graph of the whole catalogue serialised at once.

A scratch SQLite database in a temporary directory is filled with ``--datasets`` synthetic
datasets by the generator of ``benchmarks/search.py`` (bulk inserts, then
``catalogue.search.reindex_all``). Then:

- the export: the real application is served by uvicorn in a child process, and every page
  of ``/catalog.<ext>?items_per_page=1000`` is fetched, counted and dropped; the server's peak
  RSS is its VmHWM, read from /proc (Linux) before it stops;
- the anchor: a child process loads every published dataset, builds one Graph of them with
  ``catalogue.dcat`` (the same triples as the export) and serialises it once.

    python benchmarks/dcat_export.py [--datasets 10000] [--formats ttl,jsonld,rdf]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import search as synthetic

ROOT = Path(__file__).resolve().parents[1]
ITEMS_PER_PAGE = 1000
BASE = "http://127.0.0.1"
# What each format writes once per dataset: counted, it shows that every dataset came.
DATASET_MARK = {"ttl": " a dcat:Dataset", "jsonld": '"@type": "dcat:Dataset"',
                "rdf": 'rdf:resource="http://www.w3.org/ns/dcat#Dataset"'}
ANCHOR_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}


def memory_mb(pid: int | str = "self") -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return {"rss": fields["VmRSS"], "peak": fields["VmHWM"]}


def fill(count: int, seed: int) -> dict:
    """The scratch database, filled as benchmarks/search.py does."""
    import sqlalchemy as sa
    from sqlmodel import Session, select

    from catalogue import db, search
    from catalogue.models import Dataset

    started = time.perf_counter()
    db.upgrade()
    engine = db.get_engine()
    rng = random.Random(seed)
    with Session(engine) as session:
        world = synthetic.load_areas(session)
    synthetic.build_organizations(world, rng)
    loaded = synthetic.load(world, engine, count, rng)
    with Session(engine) as session:
        search.reindex_all(session)
        session.commit()
        published = session.exec(select(sa.func.count()).select_from(Dataset)
                                 .where(Dataset.state == "published")).one()
    return {**loaded, "published": published, "fill_s": time.perf_counter() - started}


def start_server() -> tuple[subprocess.Popen, str]:
    port = synthetic.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "catalogue.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], cwd=ROOT)
    url = f"{BASE}:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return server, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("the server did not start")
        time.sleep(0.1)


def export(url: str, extension: str, published: int) -> dict:
    """Every page of the catalogue in one format, fetched in turn."""
    pages = max(1, -(-published // ITEMS_PER_PAGE))
    size = datasets = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as client:
        for page in range(1, pages + 1):
            response = client.get(f"/catalog.{extension}",
                                  params={"page": page, "items_per_page": ITEMS_PER_PAGE})
            response.raise_for_status()
            size += len(response.content)
            datasets += response.text.count(DATASET_MARK[extension])
    return {"seconds": time.perf_counter() - started, "bytes": size, "pages": pages,
            "datasets": datasets}


def anchor(fmt: str) -> dict:
    """One Graph of the whole published catalogue, serialised at once (in this process)."""
    from sqlmodel import Session, select

    from catalogue import dcat, search
    from catalogue.auth import ANONYMOUS
    from catalogue.db import get_engine
    from catalogue.models import Dataset

    before = memory_mb()
    started = time.perf_counter()
    with Session(get_engine()) as session:
        datasets = list(session.exec(select(Dataset).where(Dataset.state == "published")
                                     .order_by(Dataset.id)))
        page = dcat.CatalogPage(base=BASE, items_per_page=search.MAX_LIMIT)
        graph = dcat.datasets_graph(session, datasets, BASE, ANONYMOUS, page.catalog)
        graph += dcat.catalog_graph(session, page, len(datasets))
    built = time.perf_counter() - started
    size = len(graph.serialize(format=ANCHOR_FORMATS[fmt]).encode())
    return {"seconds": time.perf_counter() - started, "build_s": built, "bytes": size,
            "triples": len(graph), "datasets": len(datasets), "before": before,
            "after": memory_mb()}


def run_anchor(fmt: str) -> dict:
    """The anchor in a fresh child process, so that its peak memory is its own."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--anchor", fmt,
                        "--result-file", out.name], check=True)
        return json.loads(Path(out.name).read_text())


def report(filled: dict, exports: dict, server: dict, anchors: dict) -> None:
    published = filled["published"]
    print(f"\n{filled['datasets']:,} datasets ({published:,} published), "
          f"{filled['resources']:,} resources; database filled in {filled['fill_s']:.0f} s")
    print(f"server RSS after start-up and one small page: {server['start']['rss']:.0f} MB\n")
    print(f"{'':<34} {'datasets/s':>10} {'seconds':>8} {'peak RSS MB':>12} {'output MB':>10}")
    for extension, result in exports.items():
        print(f"{'export /catalog.' + extension + ', 1000 a page':<34} "
              f"{published / result['seconds']:>10,.0f} {result['seconds']:>8.1f} "
              f"{server['peak']:>12.0f} {result['bytes'] / 1e6:>10.1f}"
              f"   ({result['pages']} pages, {result['datasets']:,} datasets)")
    for extension, result in anchors.items():
        print(f"{'anchor: one Graph, ' + ANCHOR_FORMATS[extension]:<34} "
              f"{published / result['seconds']:>10,.0f} {result['seconds']:>8.1f} "
              f"{result['after']['peak']:>12.0f} {result['bytes'] / 1e6:>10.1f}"
              f"   ({result['triples']:,} triples, built in {result['build_s']:.1f} s; "
              f"RSS before building {result['before']['rss']:.0f} MB)")
    print("(peak RSS of the export: the server process over all the formats above; "
          "of the anchor: its own process, imports and database rows included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--formats", default="ttl,jsonld,rdf",
                        help="formats exported over HTTP (ttl, jsonld, rdf)")
    parser.add_argument("--anchor-formats", default="ttl",
                        help="formats of the one-Graph anchor (each in its own process)")
    parser.add_argument("--seed", type=int, default=synthetic.SEED)
    parser.add_argument("--anchor", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    if args.anchor:  # the child process, in the parent's environment
        Path(args.result_file).write_text(json.dumps(anchor(args.anchor)))
        return

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    anchor_formats = [f.strip() for f in args.anchor_formats.split(",") if f.strip()]
    unknown = set(formats + anchor_formats) - set(DATASET_MARK)
    if unknown:
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="ctd-bench-dcat-") as tmp:
        # Before anything of catalogue is imported; the child processes inherit them.
        os.environ["CTD_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite"
        os.environ["CTD_DATA_DIR"] = tmp
        os.environ.pop("CTD_PUBLIC_URL", None)
        print(f"filling a scratch database with {args.datasets:,} datasets…", flush=True)
        filled = fill(args.datasets, args.seed)
        server, url = start_server()
        try:
            httpx.get(f"{url}/catalog.ttl", params={"items_per_page": 1}).raise_for_status()
            usage = {"start": memory_mb(server.pid)}
            exports = {}
            for extension in formats:
                print(f"exporting /catalog.{extension}…", flush=True)
                exports[extension] = export(url, extension, filled["published"])
            usage["peak"] = memory_mb(server.pid)["peak"]
        finally:
            server.terminate()
            server.wait(timeout=30)
        anchors = {}
        for extension in anchor_formats:
            print(f"anchor: one Graph in {ANCHOR_FORMATS[extension]}…", flush=True)
            anchors[extension] = run_anchor(extension)
    report(filled, exports, usage, anchors)


if __name__ == "__main__":
    main()
