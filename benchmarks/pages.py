"""Page benchmark: how long the web pages and the committee's views take on the demo data.

A scratch data directory gets the demo catalogue (``ctd demo``: the Lorraine committee, its
members and 32 datasets, with its roadmap) and every file is scanned (``ctd quality
scan-all``), so dataset pages carry their quality report; the application is served by
uvicorn in a child process, and each page is fetched ``--rounds`` times after a warm-up, one
request at a time, by the public or by a user signed in with a demo token (a CDO of the Ville
de Nancy, the committee's coordinator, the vendor). The anchor is issue 8's budget: every
page in 200 ms or less.

    python benchmarks/pages.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import dcat_export
import httpx

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 200
COMMITTEE = "ctd-lorraine"


def signed_in(url: str, token: str) -> httpx.Client:
    """A client holding the session cookie of ``token``, as a browser would after /connexion."""
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/connexion").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    signed = client.post("/connexion", data={"token": token, "csrf": csrf})
    if signed.status_code != 303:
        raise SystemExit(f"sign-in refused: {signed.status_code}")
    return client


def pages(client: httpx.Client) -> list[tuple[str, str]]:
    """What the public sees: the pages, and the committee's views they draw on."""
    first = client.get("/api/v1/datasets", params={"limit": 1}).json()["datasets"][0]["slug"]
    return [
        ("home", "/"),
        ("committee dashboard", f"/comites/{COMMITTEE}"),
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


# Pages behind sign-in: (who, demo user, [(page, path)]); {request} is a request the
# vendor made of the Ville de Nancy's school enrolments.
SIGNED_IN = [
    ("CDO", "cdo-nancy", [
        ("dataset with upload form", "/jeux-de-donnees/subventions-ville-de-nancy"),
        ("publish form", "/publier"),
        ("review queue", "/demandes"),
        ("a request, to review", "/demandes/{request}"),
        ("harvest sources", "/moissonnage"),
    ]),
    ("coordinator", "coordination-lorraine", [
        ("committee dashboard", f"/comites/{COMMITTEE}"),
        ("review queue", "/demandes"),
    ]),
    ("vendor", "vendeur-donnees-territoires", [
        ("access-request form", "/demandes/nouvelle?jeu=inscriptions-scolaires-ville-de-nancy"),
        ("own requests", "/demandes"),
        ("a request", "/demandes/{request}"),
    ]),
]


def access_request(url: str, token: str) -> int:
    """A request of the vendor, submitted: the reviewers' queue is not empty."""
    headers = {"Authorization": f"Bearer {token}"}
    today = date.today()
    with httpx.Client(base_url=url, timeout=60, headers=headers) as api:
        made = api.post("/api/v1/access-requests", json={
            "title": "Étude de la carte scolaire",
            "datasets": ["inscriptions-scolaires-ville-de-nancy"],
            "purposes": ["scientific-research"], "personal_data": "personal",
            "legal_bases": ["gdpr-6-1-e"], "hosting_country": "FR", "subprocessors": [],
            "start": today.isoformat(), "end": date(today.year + 1, 12, 31).isoformat(),
            "max_requests": 1000, "max_bytes": 10**9})
        made.raise_for_status()
        number = made.json()["id"]
        api.post(f"/api/v1/access-requests/{number}/submit").raise_for_status()
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctd-bench-pages-") as tmp:
        os.environ["CTD_DATA_DIR"] = tmp
        os.environ["CTD_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite"
        ctd = str(Path(sys.executable).parent / "ctd")
        demo = subprocess.run([ctd, "demo"], cwd=ROOT, check=True, capture_output=True,
                              text=True, env=os.environ | {"COLUMNS": "200"}).stdout
        tokens = dict(re.findall(r"^\s+(\S+)\s+\S+\s+(ctd_\S+)$", demo, re.M))
        subprocess.run([ctd, "quality", "scan-all"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        server, url = dcat_export.start_server()
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                rows = [measure(client, name, path, args.rounds)
                        for name, path in pages(client)]
            request = access_request(url, tokens["vendeur-donnees-territoires"])
            for who, user, paths in SIGNED_IN:
                client = signed_in(url, tokens[user])
                rows += [measure(client, f"{name} ({who})", path.format(request=request),
                                 args.rounds) for name, path in paths]
                client.close()
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
