"""The whole life of an agreement through HTTP, on a live server: a vendor's request, the
precheck, the CDO's approval, both signatures, the grant, an allowed download (logged), a
download for an undeclared purpose (denied, logged), the expiry (denied), an overdue duty
(suspended by ``ctd agreements check``), ``ctd log verify`` passing, then failing and naming
the entry once a row is altered in the database."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from typer.testing import CliRunner

from catalogue import db
from catalogue.cli import app

CSV = b"bassin;date;entrees\nNancy-Thermal;2025-06-01;1204\nLaxou;2025-06-01;388\n"
# Long enough for the steps before expiry on a slow machine, short enough to wait out.
WINDOW = timedelta(seconds=8)


def restricted_dataset(client, world) -> tuple[str, int]:
    headers = world.headers("publisher")
    made = client.post("/api/v1/datasets", headers=headers, json={
        "title": "Fréquentation des piscines", "publisher": "ville-de-nancy",
        "licence": "other", "access_type": "restricted", "state": "published"})
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]
    upload = client.post(f"/api/v1/datasets/{slug}/resources/upload", headers=headers,
                         files={"file": ("piscines.csv", CSV, "text/csv")})
    assert upload.status_code == 201, upload.text
    return slug, upload.json()["id"]


def tamper(statement: str, **params) -> None:
    """Change the log behind its back (on PostgreSQL, with the append-only trigger off)."""
    engine = db.get_engine()
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            connection.execute(sa.text("ALTER TABLE access_log_entry DISABLE TRIGGER USER"))
        connection.execute(sa.text(statement), params)
        if postgres:
            connection.execute(sa.text("ALTER TABLE access_log_entry ENABLE TRIGGER USER"))


def test_agreement_from_request_to_tampered_log(client, world):
    slug, resource_id = restricted_dataset(client, world)
    vendor, cdo = world.headers("vendor"), world.headers("publisher")
    now = datetime.now(UTC)
    end = now + WINDOW

    # The vendor asks; the precheck sends the request to review.
    made = client.post("/api/v1/access-requests", headers=vendor, json={
        "title": "Étude de la fréquentation des piscines", "datasets": [slug],
        "purposes": ["scientific-research"], "personal_data": "none",
        "hosting_country": "FR", "hosting_provider": "Hébergeur Exemple",
        "subprocessors": [], "start": (now - timedelta(minutes=1)).isoformat(),
        "end": end.isoformat(), "max_requests": 50, "max_bytes": 10_000_000})
    assert made.status_code == 201, made.text
    request = made.json()
    number = request["id"]
    assert request["state"] == "draft" and "PURPOSE" in request["clauses"]
    assert request["reviewer"] == {"organization": "ville-de-nancy", "name": "Ville de Nancy"}
    submitted = client.post(f"/api/v1/access-requests/{number}/submit", headers=vendor).json()
    assert submitted["state"] == "under_review", submitted
    assert {f["rule"] for f in submitted["precheck"]} >= {"open-data", "hosting",
                                                          "subprocessors", "legal-basis"}
    assert submitted["dga"]["days_left"] >= 58 and not submitted["dga"]["late"]

    # Neither the vendor nor another member's CDO may approve; the CDO does.
    for who in ("vendor", "other_publisher"):
        refused = client.post(f"/api/v1/access-requests/{number}/approve",
                              headers=world.headers(who), json={})
        assert refused.status_code in (403, 404), refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    approved = client.post(f"/api/v1/access-requests/{number}/approve", headers=cdo,
                           json={"note": "Finalité conforme."})
    assert approved.status_code == 200, approved.text
    approved = approved.json()
    assert approved["state"] == "approved"
    agreement = approved["agreement"]

    # Both parties sign the agreement's hash; it comes into force.
    signed = client.post(f"/api/v1/access-requests/{number}/sign", headers=vendor,
                         json={"agreement_hash": agreement["hash"]})
    assert signed.json()["state"] == "signed", signed.text
    active = client.post(f"/api/v1/access-requests/{number}/countersign", headers=cdo,
                         json={"agreement_hash": agreement["hash"]}).json()
    assert active["state"] == "active"
    document = client.get(f"/api/v1/agreements/{agreement['id']}/document", headers=vendor)
    assert document.status_code == 200 and "Fréquentation des piscines" in document.text

    # The grant; an allowed download, logged.
    grant = client.post(f"/api/v1/access-requests/{number}/grant", headers=vendor)
    assert grant.status_code == 201, grant.text
    token = {"Authorization": f"Bearer {grant.json()['token']}"}
    url = f"/api/v1/access/resources/{resource_id}"
    allowed = client.get(url, headers=token, params={"purpose": "scientific-research"})
    assert allowed.status_code == 200, allowed.text
    assert allowed.content == CSV and allowed.headers["x-ctd-decision"] == "allow"
    allowed_entry = int(allowed.headers["x-ctd-log-entry"])

    # An undeclared purpose: denied, explained, logged.
    denied = client.get(url, headers=token, params={"purpose": "commercial-reuse"})
    assert denied.status_code == 403
    problem = denied.json()
    assert "finalité" in problem["detail"] and problem["decision"]["allowed"] is False
    purpose_checks = [c for rule in problem["decision"]["rules"] for c in rule["constraints"]
                      if c["left"] == "purpose"]
    assert purpose_checks and purpose_checks[0]["satisfied"] is False
    denied_entry = problem["log_entry"]
    assert denied_entry == allowed_entry + 1

    # After the end: denied by the time window.
    time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds()) + 0.2)
    late = client.get(url, headers=token, params={"purpose": "scientific-research"})
    assert late.status_code == 403
    windows = [c for rule in late.json()["decision"]["rules"] for c in rule["constraints"]
               if c["left"] == "dateTime" and c["satisfied"] is False]
    assert windows, late.json()

    # The final usage report was due at the end: the check suspends the agreement.
    result = CliRunner().invoke(app, ["agreements", "check"])
    assert result.exit_code == 0, result.output
    assert f"n° {number} suspendue" in result.output
    assert client.get(f"/api/v1/access-requests/{number}", headers=cdo).json()["state"] == \
        "suspended"
    suspended = client.get(url, headers=token, params={"purpose": "scientific-research"})
    assert suspended.status_code == 403

    # Every decision is in the log: allow, deny, deny, deny.
    entries = log_entries()
    decisions = [e["decision"] for e in entries if e["action"] == "read"]
    assert decisions == ["allow", "deny", "deny", "deny"]
    assert entries[allowed_entry]["purpose"] == "scientific-research"
    assert entries[denied_entry]["purpose"] == "commercial-reuse"

    verified = CliRunner().invoke(app, ["log", "verify"])
    assert verified.exit_code == 0, verified.output

    # The denial rewritten as an allowance, in the database: verify names the entry.
    tamper("UPDATE access_log_entry SET entry = :entry WHERE id = :id", id=denied_entry,
           entry=json.dumps({**entries[denied_entry], "decision": "allow"},
                            ensure_ascii=False, separators=(",", ":"), sort_keys=True))
    broken = CliRunner().invoke(app, ["log", "verify"])
    assert broken.exit_code == 1
    assert f"entrée n° {denied_entry}" in broken.output


def log_entries() -> list[dict]:
    with db.get_engine().connect() as connection:
        return [json.loads(text) for text in connection.execute(
            sa.text("SELECT entry FROM access_log_entry ORDER BY id")).scalars()]
