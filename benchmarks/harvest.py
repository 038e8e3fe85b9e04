"""Harvest benchmark: first harvest and unchanged re-harvest of a 10,000-dataset portal.

For each protocol (CKAN, OpenDataSoft, DCAT) a fixture portal of ``tests/portals`` is served
from a child process (so that it does not share the harvester's interpreter), and another
child process — a fresh SQLite catalogue each time — harvests it twice through ctd's real
runner: once from nothing, once with nothing changed. Figures: time and datasets/s of the
first harvest, time of the re-harvest and its share of the first, peak RSS growth of the
harvesting process.

The anchors are the design notes' figures for published harvesters (data.gov's
ckanext-harvest, about 1 dataset/s) and the issue's targets: ≥ 200 datasets/s, re-harvest
≤ 10 % of the first, peak RSS growth ≤ 300 MB at 10,000 datasets.

    python benchmarks/harvest.py [--datasets 10000] [--protocols ckan ods dcat]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATE, TARGET_RERUN_SHARE, TARGET_RSS_MB, ANCHOR_RATE = 200.0, 0.10, 300.0, 1.0


def portal_for(protocol: str, count: int):
    """The fixture portal of a protocol, and the source type and path ctd harvests."""
    sys.path.insert(0, str(ROOT / "tests"))
    if protocol == "ckan":
        from portals.ckan import CkanPortal

        return CkanPortal(count=count, resources=3), "ckan", ""
    if protocol == "ods":
        from portals.ods import OdsPortal

        return OdsPortal(count=count), "ods", ""
    if protocol == "dcat":
        from portals.dcat import DcatPortal

        return DcatPortal(count=count, page_size=100), "dcat", "/catalog"
    raise SystemExit(f"unknown protocol {protocol}")


def serve_portal(protocol: str, count: int) -> None:
    """Child process: serve the portal and print its URL."""
    from portals import serve

    portal, _, path = portal_for(protocol, count)
    with serve(portal) as url:
        print(url + path, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def harvest_twice(source_type: str, url: str) -> dict:
    """Child process: a fresh catalogue harvesting ``url`` twice."""
    from catalogue import db
    from catalogue.auth import OPERATOR
    from catalogue.organizations import create as create_org
    from catalogue.schemas import OrganizationCreate
    from connectors import harvest, sources
    from connectors.models import HarvestSource
    from connectors.schemas import SourceCreate

    db.upgrade()
    with db.session_scope() as session:
        create_org(session, OPERATOR, OrganizationCreate(
            name="Métropole du Grand Nancy", kind="epci", siren="245400676"))
        sources.create(session, OPERATOR, SourceCreate(
            name="bench", type=source_type, url=url, organization="metropole-du-grand-nancy"))
    baseline = rss_mb()
    figures = {}
    for run in ("first", "rerun"):
        with db.session_scope() as session:
            source = session.query(HarvestSource).one()
            job = harvest.create_job(session, source)
        started = time.perf_counter()
        job = harvest.run_job(job.id)
        figures[run] = {"seconds": time.perf_counter() - started, "status": job.status,
                        "added": job.added, "unchanged": job.unchanged, "seen": job.seen,
                        "errored": job.errored, "message": job.message}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["rss_growth_mb"] = peak - baseline
    return figures


def measure(protocol: str, count: int) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}")
    portal = subprocess.Popen([sys.executable, __file__, "--serve", protocol, "--datasets",
                               str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        url = portal.stdout.readline().strip()
        _, source_type, _ = portal_for(protocol, 0)
        with tempfile.TemporaryDirectory(prefix="ctd-bench-harvest-") as tmp:
            child_env = env | {"CTD_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
                               "CTD_DATA_DIR": tmp, "CTD_HARVEST_ALLOWED_HOSTS": "127.0.0.1"}
            out = subprocess.run([sys.executable, __file__, "--harvest", source_type, url],
                                 env=child_env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        portal.stdin.close()
        portal.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--protocols", nargs="+", default=["ckan", "ods", "dcat"])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--harvest", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve_portal(args.serve, args.datasets)
    if args.harvest:
        print(json.dumps(harvest_twice(*args.harvest)))
        return None
    print(f"{'protocol':<9}{'first (s)':>10}{'datasets/s':>12}{'rerun (s)':>10}"
          f"{'rerun share':>12}{'RSS growth':>12}   anchor / target")
    for protocol in args.protocols:
        figures = measure(protocol, args.datasets)
        first, rerun = figures["first"], figures["rerun"]
        rate = first["added"] / first["seconds"]
        share = rerun["seconds"] / first["seconds"]
        print(f"{protocol:<9}{first['seconds']:>10.1f}{rate:>12.0f}{rerun['seconds']:>10.2f}"
              f"{share:>11.1%}{figures['rss_growth_mb']:>10.0f} MB   "
              f"published harvesters ~{ANCHOR_RATE:.0f}/s; targets ≥ {TARGET_RATE:.0f}/s, "
              f"≤ {TARGET_RERUN_SHARE:.0%}, ≤ {TARGET_RSS_MB:.0f} MB", flush=True)
        for run in ("first", "rerun"):
            if figures[run]["status"] != "done" or figures[run]["errored"]:
                print(f"   {run}: {figures[run]}")
    return None


if __name__ == "__main__":
    main()
