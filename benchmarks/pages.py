"""Page benchmark: how long the web pages and the committee's views take on the demo data.

A scratch data directory gets the demo catalogue (``ctd demo``: the Lorraine committee, its
members and 32 datasets); the application is served by uvicorn in a child process, and each
page is fetched ``--rounds`` times after a warm-up, one request at a time. The anchor is
issue 8's budget: every page in 200 ms or less.

    python benchmarks/pages.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dcat_export
import httpx

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 200
COMMITTEE = "ctd-lorraine"


def pages(client: httpx.Client) -> list[tuple[str, str]]:
    """What is measured: the pages, and the committee's views they draw on."""
    first = client.get("/api/v1/datasets", params={"limit": 1}).json()["datasets"][0]["slug"]
    return [
        ("home", "/"),
        ("search", "/jeux-de-donnees"),
        ("search, text and facet", "/jeux-de-donnees?q=subventions&publisher=ville-de-nancy"),
        ("dataset", f"/jeux-de-donnees/{first}"),
        ("organisation", "/organisations/ville-de-nancy"),
        ("register of agreements", "/registre"),
        ("committee roadmap (JSON)", f"/api/v1/committees/{COMMITTEE}/roadmap"),
        ("coverage matrix (JSON)", f"/api/v1/committees/{COMMITTEE}/coverage"),
        ("committee map (SVG)", f"/api/v1/committees/{COMMITTEE}/map.svg"),
        ("score chart (SVG)", f"/api/v1/committees/{COMMITTEE}/charts/scores.svg"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctd-bench-pages-") as tmp:
        os.environ["CTD_DATA_DIR"] = tmp
        os.environ["CTD_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite"
        subprocess.run([str(Path(sys.executable).parent / "ctd"), "demo"], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        server, url = dcat_export.start_server()
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                rows = [measure(client, name, path, args.rounds)
                        for name, path in pages(client)]
        finally:
            server.terminate()
            server.wait(timeout=30)
    width = max(len(r[0]) for r in rows)
    print(f"{'page':<{width}}  status  median    p95       budget")
    for name, status, median, p95 in rows:
        verdict = "missing" if status != 200 else "ok" if median <= BUDGET_MS else "over"
        print(f"{name:<{width}}  {status:<6}  {median:6.1f} ms {p95:6.1f} ms "
              f"≤ {BUDGET_MS} ms ({verdict})")


def measure(client: httpx.Client, name: str, path: str, rounds: int
            ) -> tuple[str, int, float, float]:
    status = client.get(path).status_code  # warm-up: imports, caches, compiled queries
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return name, status, statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


if __name__ == "__main__":
    main()
