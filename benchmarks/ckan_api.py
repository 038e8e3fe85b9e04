"""CKAN API benchmark: a CKAN harvester's reading of ctd, with the real ckanapi client.

A scratch SQLite database is filled with ``--datasets`` synthetic datasets (the generator of
``benchmarks/search.py``), the application is served by uvicorn in a child process, and:

- gather: every published dataset through ``package_search`` paged by ``start``/``rows=1000``
  (what ckanext-harvest's CKAN harvester and udata's CKAN backend do);
- fetch: ``package_show`` of ``--shows`` datasets one by one;
- an incremental gather with ``fq=metadata_modified:[… TO *]``.

The anchor is the throughput the design notes report for existing harvesters
(data.gov's ckanext-harvest, about 1 dataset/s), which this side must not be the limit of.

    python benchmarks/ckan_api.py [--datasets 10000] [--shows 500]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import ckanapi
import dcat_export
import search as synthetic

ROOT = Path(__file__).resolve().parents[1]
ANCHOR_DATASETS_PER_S = 1.0


def gather(ckan: ckanapi.RemoteCKAN, **params) -> tuple[list[str], float]:
    started, names, start = time.perf_counter(), [], 0
    while True:
        page = ckan.action.package_search(start=start, rows=1000, sort="id asc", **params)
        names += [d["name"] for d in page["results"]]
        start += 1000
        if start >= page["count"]:
            return names, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--shows", type=int, default=500)
    parser.add_argument("--seed", type=int, default=synthetic.SEED)
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="ctd-bench-ckan-") as tmp:
        os.environ["CTD_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite"
        os.environ["CTD_DATA_DIR"] = tmp
        print(f"filling a scratch database with {args.datasets:,} datasets…", flush=True)
        filled = dcat_export.fill(args.datasets, args.seed)
        server, url = dcat_export.start_server()
        try:
            ckan = ckanapi.RemoteCKAN(url, user_agent="ctd-benchmark")
            names, gather_s = gather(ckan)
            assert len(names) == len(set(names)) == filled["published"], len(names)
            started = time.perf_counter()
            for name in names[:args.shows]:
                ckan.action.package_show(id=name)
            show_s = time.perf_counter() - started
            recent, recent_s = gather(ckan, fq="metadata_modified:[2000-01-01T00:00:00Z TO *]")
            peak = dcat_export.memory_mb(server.pid)["peak"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    shows = min(args.shows, len(names))
    print(f"\n{filled['published']:,} published datasets (of {args.datasets:,}), SQLite")
    print(f"{'':38} {'datasets/s':>11} {'seconds':>8}")
    print(f"{'gather: package_search rows=1000':38} {len(names) / gather_s:11.0f} "
          f"{gather_s:8.1f}")
    print(f"{'gather with fq=metadata_modified:[…]':38} {len(recent) / recent_s:11.0f} "
          f"{recent_s:8.1f}")
    print(f"{'fetch: package_show one by one':38} {shows / show_s:11.0f} {show_s:8.1f}")
    print(f"{'anchor: ckanext-harvest (data.gov)':38} {ANCHOR_DATASETS_PER_S:11.0f}")
    print(f"server peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
