"""Access-log benchmark: appends, verification of a million entries, proof latency.

Measured, on a database of its own (a SQLite file in a scratch directory, or a scratch
PostgreSQL database on the server ``--database-url`` names):

- appends directly through ``sharing_agreements.log.append``, one transaction each: the
  whole transaction (session, append, commit: what an access costs the log) and the call
  alone;
- building the log up to ``--entries`` entries with ``append_many`` (batches of 10,000);
- ``verify`` of the whole log (every leaf, node, the head and a checkpoint recomputed);
- inclusion-proof latency at that size, in-process and through HTTP (the real application
  under uvicorn in a process of its own, queried with httpx, beside GET /healthz as the
  floor of any request), and consistency-proof latency;
- evaluated and logged accesses under an agreement in force (a vendor's grant token, a
  declared purpose, a 2 KB file): directly through ``sharing_agreements.access`` (one
  transaction each: grant lookup, usage lock, ODRL evaluation, report hash, log append,
  counters, commit), and through ``GET /api/v1/access/resources/{id}`` with the file
  served, one client after the other and four at once; one access in ten is for an
  undeclared purpose and is denied (and logged too).

Targets (issue 7): ≥ 1,000 evaluated and logged accesses/s through the API, 1,000,000
entries verified in ≤ 10 s, a proof in ≤ 5 ms.

    python benchmarks/access_log.py [--entries 1000000] [--appends 3000] [--proofs 2000]
                                    [--accesses 3000]
                                    [--database-url postgresql+psycopg://postgres@host/db]
                                    [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

BATCH = 10_000


def entries(start: int, count: int, rng: random.Random) -> list[dict]:
    """Entries shaped like the enforcement's: hashes, a dataset path, a purpose."""
    base = datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for i in range(start, start + count):
        out.append({
            "time": base + timedelta(milliseconds=i),
            "agreement_id": rng.randrange(1, 400),
            "person": f"{rng.getrandbits(256):064x}",
            "action": "download" if i % 7 else "read_metadata",
            "target": f"datasets/jeu-{rng.randrange(5000)}/resources/{rng.randrange(20)}",
            "purpose": "research" if i % 3 else "public_service",
            "volume": rng.randrange(10_000_000),
            "decision": "deny" if i % 11 == 0 else "allow",
            "policy_hash": f"{rng.getrandbits(256):064x}",
            "report_hash": f"{rng.getrandbits(256):064x}",
        })
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * .99))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--accesses", type=int, default=3000)
    parser.add_argument("--server-workers", type=int, default=1,
                        help="uvicorn worker processes of the server measured through HTTP")
    parser.add_argument("--database-url", help="a PostgreSQL server (a scratch database "
                        "is created on it and dropped); SQLite by default")
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args()

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="ctd-bench-log-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["CTD_DATA_DIR"] = str(work)
    from catalogue import db

    if args.database_url:
        url, drop = db.scratch_database(args.database_url, "ctd_bench_log")
    else:
        (work / "log.sqlite").unlink(missing_ok=True)
        url, drop = f"sqlite:///{work / 'log.sqlite'}", lambda: None
    os.environ["CTD_DATABASE_URL"] = url
    try:
        run(args, db)
    finally:
        drop()
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, db) -> None:
    import httpx

    from sharing_agreements import log

    db.upgrade()
    rng = random.Random(6962)
    dialect = db.get_engine().dialect.name
    print(f"Database: {dialect}; log of {args.entries:,} entries")

    # Appends, one transaction each, as accesses come: the whole transaction (session,
    # append, commit), and the append call alone in a transaction that has already read
    # (as the access route will have, looking up the agreement).
    sample = entries(0, args.appends, rng)
    inside = 0.0
    started = time.perf_counter()
    for entry in sample:
        with db.session_scope() as session:
            session.execute(sa.text("SELECT 1"))
            began = time.perf_counter()
            log.append(session, entry)
            inside += time.perf_counter() - began
    per_transaction = (time.perf_counter() - started) / len(sample)
    per_call = inside / len(sample)
    done = args.appends

    started = time.perf_counter()
    while done < args.entries:
        count = min(BATCH, args.entries - done)
        with db.session_scope() as session:
            log.append_many(session, entries(done, count, rng))
        done += count
    build = time.perf_counter() - started
    with db.session_scope() as session:
        cp = log.checkpoint(session)

    with db.session_scope() as session:
        started = time.perf_counter()
        result = log.verify(session)
        verify_seconds = time.perf_counter() - started
    assert result.ok and result.size == args.entries, result
    assert result.root == cp.root_hash

    size = args.entries
    indexes = [rng.randrange(size) for _ in range(args.proofs)]
    samples = []
    with db.session_scope() as session:
        for index in indexes:
            started = time.perf_counter()
            proof = log.inclusion_proof(session, index, size)
            samples.append(time.perf_counter() - started)
        assert log.verify_inclusion(bytes.fromhex(proof.leaf_hash), index, size,
                                    [bytes.fromhex(p) for p in proof.path],
                                    bytes.fromhex(cp.root_hash))
    proof_median, proof_p99 = percentiles(samples)
    samples = []
    with db.session_scope() as session:
        for index in indexes[: args.proofs // 4]:
            started = time.perf_counter()
            log.consistency_proof(session, index + 1, size)
            samples.append(time.perf_counter() - started)
    consistency_median, consistency_p99 = percentiles(samples)

    token, resource_id = agreement_in_force(db)
    purposes = ["scientific-research"] * 9 + ["commercial-reuse"]
    from sharing_agreements import access

    started = time.perf_counter()
    for i in range(args.accesses):
        with db.session_scope() as session:
            access.access_resource(session, token, resource_id, purposes[i % 10])
    direct = args.accesses / (time.perf_counter() - started)

    # Through HTTP: the application in a process of its own (as `ctd serve` runs it), so
    # that client and server do not share an interpreter; /healthz gives the floor.
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "catalogue.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--workers", str(args.server_workers)],
        cwd=ROOT, env=os.environ.copy())
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            http = {}
            for name, url in (("healthz", lambda _: "/healthz"),
                              ("proof", lambda i: f"/api/v1/log/entries/{i}/proof")):
                samples = []
                for index in indexes[: args.proofs // 2]:
                    started = time.perf_counter()
                    response = client.get(url(index))
                    samples.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text
                http[name] = percentiles(samples)
            url = f"/api/v1/access/resources/{resource_id}"
            grant = {"Authorization": f"Bearer {token}"}
            served = rate(client, url, args.accesses, 1, grant, purposes)
            served_4 = rate(client, url, args.accesses, 4, grant, purposes)
            floor = rate(client, "/healthz", args.accesses, 1)
            floor_4 = rate(client, "/healthz", args.accesses, 4)
    finally:
        server.terminate()
        server.wait(timeout=30)
    http_median, http_p99 = http["proof"]

    ms = 1000
    rows = [
        ("appends, one transaction each", f"{1 / per_transaction:,.0f} appends/s "
         f"({per_transaction * ms:.2f} ms)", "≥ 1,000 evaluated+logged accesses/s via the API "
         "(logging share only)"),
        ("append call alone", f"{per_call * 1e6:,.0f} µs ({1 / per_call:,.0f}/s)",
         "well under 1 ms"),
        (f"build to {args.entries:,} (append_many)",
         f"{build:.1f} s ({(args.entries - args.appends) / build:,.0f} entries/s)", ""),
        (f"verify {args.entries:,} entries", f"{verify_seconds:.2f} s", "≤ 10 s"),
        ("inclusion proof, in-process", f"median {proof_median * ms:.2f} ms, "
         f"p99 {proof_p99 * ms:.2f} ms", "≤ 5 ms"),
        ("inclusion proof, through HTTP", f"median {http_median * ms:.2f} ms, "
         f"p99 {http_p99 * ms:.2f} ms", f"(GET /healthz: median {http['healthz'][0] * ms:.2f}"
         f" ms, p99 {http['healthz'][1] * ms:.2f} ms)"),
        ("consistency proof, in-process", f"median {consistency_median * ms:.2f} ms, "
         f"p99 {consistency_p99 * ms:.2f} ms", ""),
        ("accesses evaluated+logged, direct", f"{direct:,.0f}/s", "≥ 1,000/s"),
        ("accesses via the API, 1 client", f"{served:,.0f}/s",
         f"≥ 1,000/s (GET /healthz, 1 client: {floor:,.0f}/s)"),
        ("accesses via the API, 4 clients", f"{served_4:,.0f}/s",
         f"≥ 1,000/s (GET /healthz, 4 clients: {floor_4:,.0f}/s)"),
    ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {target}")


def agreement_in_force(db) -> tuple[str, int]:
    """A vendor's agreement on a restricted dataset, signed and in force, and its grant."""
    from datetime import date

    from catalogue import auth, datasets, organizations, resources
    from catalogue.schemas import DatasetCreate, OrganizationCreate
    from catalogue.vocabularies import Role
    from sharing_agreements import agreements, requests
    from sharing_agreements.schemas import RequestCreate

    with db.session_scope() as session:
        operator = auth.OPERATOR
        organizations.create(session, operator, OrganizationCreate(
            name="Ville de Nancy", kind="commune", siren="215403957", insee_code="54395"))
        organizations.create(session, operator, OrganizationCreate(
            name="Données Conseil SAS", kind="company"))
        cdo = auth.actor_for(session, auth.grant_role(session, "cdo", Role.publisher,
                                                      organization="ville-de-nancy"))
        vendor = auth.actor_for(session, auth.grant_role(session, "vendor", Role.vendor,
                                                         organization="donnees-conseil-sas"))
        dataset = datasets.create(session, cdo, DatasetCreate(
            title="Comptages vélo", publisher="ville-de-nancy", licence="other",
            access_type="restricted", state="published"))
        row = "2025-06-01T08:00:00;Quai Claude-le-Lorrain;{};nord\n"
        body = "horodatage;site;passages;sens\n" + "".join(row.format(i) for i in range(60))
        resource = resources.create_upload(session, cdo, dataset, io.BytesIO(body.encode()),
                                           "comptages.csv")
        request = requests.create(session, vendor, RequestCreate(
            title="Étude des mobilités", datasets=[dataset.slug],
            purposes=["scientific-research"], hosting_country="FR", subprocessors=[],
            start=date.today(), end=date(2099, 12, 31), max_requests=10**9,
            max_bytes=10**15))
        requests.submit(session, vendor, request)
        agreements.approve(session, cdo, request)
        agreements.sign(session, vendor, request)
        agreements.countersign(session, cdo, request)
        _, token = agreements.issue_grant(session, vendor, request)
        return token, resource.id


def rate(client, url: str, count: int, clients: int, headers: dict | None = None,
         purposes: list[str] | None = None) -> float:
    """Requests per second to ``url``, ``clients`` at once, each with its own connection
    (accesses alternate the purposes: allowed and denied are both answered and logged)."""
    import httpx

    base = str(client.base_url)

    def work(share: int) -> None:
        with httpx.Client(base_url=base, timeout=30, headers=headers) as own:
            for i in range(share):
                params = {"purpose": purposes[i % len(purposes)]} if purposes else None
                response = own.get(url, params=params)
                assert response.status_code in (200, 403), response.text

    threads = [threading.Thread(target=work, args=(count // clients,)) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (count // clients * clients) / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
