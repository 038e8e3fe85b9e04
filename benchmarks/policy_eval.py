"""ODRL evaluator (``sharing_agreements.policy``): evaluations per second in-process, on the
agreement a personal-data request gets by default (19 clauses: one permission with 8
constraints and 4 duties, 11 prohibitions, 2 obligations), with a mix of requests that are
allowed and denied for each reason. Also: the time to build and to compile the policy, and
evaluations per second when each decision is also turned into JSON (as the access log
stores it): the explanation is built when first read.

Target (issue 7): at least 20,000 evaluations/s.

    python benchmarks/policy_eval.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sharing_agreements import clauses, policy  # noqa: E402

TARGET = 20_000
DATASET = "https://ctd.example.fr/datasets/subventions-2026"
VENDOR = "https://ctd.example.fr/organizations/acme-analytics"


def agreement() -> dict:
    ids = clauses.default_clauses(["scientific-research"], personal=True, fees=True)
    terms = clauses.Terms(
        uid="https://ctd.example.fr/agreements/bench", assigner="https://ctd.example.fr/org/mgn",
        assignee=VENDOR, targets=[DATASET], purposes=["scientific-research"],
        start=date(2027, 1, 1), end=date(2027, 12, 31), clauses=ids, max_requests=100_000,
        max_bytes=50_000_000_000, allowed_countries=["FR", "DE"], fee_amount=250,
        assigner_name="Métropole du Grand Nancy")
    return policy.build_agreement(terms)


def requests() -> list[tuple[policy.Request, policy.World]]:
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    ok = policy.Request(action="read", target=DATASET, assignee=VENDOR,
                        purpose="scientific-research", size=2_000_000, hosting_country="FR")
    world = policy.World(now=now, count=120, volume=300_000_000)
    return [
        (ok, world),
        (ok, world),
        (policy.Request(**{**_fields(ok), "purpose": "commercial-reuse"}), world),
        (policy.Request(**{**_fields(ok), "action": "ctdai:ai-training"}), world),
        (policy.Request(**{**_fields(ok), "hosting_country": "US"}), world),
        (ok, policy.World(now=now, state="suspended")),
        (ok, policy.World(now=datetime(2028, 2, 1, tzinfo=UTC))),
        (ok, policy.World(now=now, overdue=frozenset({"AUDIT"}))),
    ]


def _fields(request: policy.Request) -> dict:
    return {name: getattr(request, name) for name in request.__slots__}


def rate(function, seconds: float) -> float:
    """Calls per second of ``function`` (which makes ``len(requests())`` calls) over
    about ``seconds``."""
    cases = requests()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for request, world in cases:
            function(request, world)
        done += len(cases)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    start = time.perf_counter()
    document = agreement()
    built = time.perf_counter() - start
    start = time.perf_counter()
    compiled = policy.compile(document)
    compiled_in = time.perf_counter() - start
    print(f"policy: {len(json.dumps(document)):,} bytes of JSON-LD, built in "
          f"{built * 1000:.1f} ms, compiled in {compiled_in * 1000:.2f} ms")

    allowed = sum(policy.evaluate(compiled, r, w).allowed for r, w in requests())
    print(f"mix: {len(requests())} requests, {allowed} allowed")
    evaluations = rate(lambda r, w: policy.evaluate(compiled, r, w), args.seconds)
    explained = rate(lambda r, w: policy.evaluate(compiled, r, w).rules, args.seconds)
    with_json = rate(lambda r, w: json.dumps(policy.evaluate(compiled, r, w).to_dict(),
                                             ensure_ascii=False), args.seconds)
    verdict = "meets" if evaluations >= TARGET else "MISSES"
    print(f"evaluate: {evaluations:,.0f} evaluations/s ({verdict} the {TARGET:,}/s target)")
    print(f"evaluate + rule-by-rule explanation: {explained:,.0f}/s")
    print(f"evaluate + explanation + decision as JSON: {with_json:,.0f}/s")


if __name__ == "__main__":
    main()
