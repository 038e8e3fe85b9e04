"""Every transition of the request and agreement workflow through the API, the forbidden
ones included (wrong party, wrong state), the DGA clock, immutability, amendments, duties,
the public register."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from catalogue import db
from catalogue.cli import app

CSV = b"code;valeur\n54395;12\n88160;7\n"
REQUESTS = "/api/v1/access-requests"


class Case:
    """A vendor's request on restricted datasets, driven through the API."""

    def __init__(self, client, world):
        self.client, self.world = client, world

    def dataset(self, who: str = "publisher", org: str = "ville-de-nancy",
                title: str = "Comptages vélo", **fields) -> tuple[str, int]:
        headers = self.world.headers(who)
        made = self.client.post("/api/v1/datasets", headers=headers, json={
            "title": title, "publisher": org, "licence": "other",
            "access_type": "restricted", "state": "published", **fields})
        assert made.status_code == 201, made.text
        slug = made.json()["slug"]
        upload = self.client.post(f"/api/v1/datasets/{slug}/resources/upload",
                                  headers=headers, files={"file": ("data.csv", CSV)})
        assert upload.status_code == 201, upload.text
        return slug, upload.json()["id"]

    def create(self, datasets: list[str], **fields) -> dict:
        now = datetime.now(UTC)
        body = {"title": "Étude des mobilités", "datasets": datasets,
                "purposes": ["scientific-research"], "hosting_country": "FR",
                "subprocessors": [], "start": (now - timedelta(days=1)).date().isoformat(),
                "end": (now + timedelta(days=365)).date().isoformat(), "max_requests": 1000,
                "max_bytes": 10**9, **fields}
        made = self.client.post(REQUESTS, headers=self.world.headers("vendor"), json=body)
        assert made.status_code == 201, made.text
        return made.json()

    def act(self, who: str, number: int, action: str, body: dict | None = None,
            expect: int = 200, method: str = "post") -> dict:
        response = self.client.request(method, f"{REQUESTS}/{number}/{action}",
                                       headers=self.world.headers(who), json=body or {})
        assert response.status_code == expect, response.text
        if expect >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
        return response.json()

    def state(self, number: int, who: str = "vendor") -> str:
        return self.client.get(f"{REQUESTS}/{number}", headers=self.world.headers(who)
                               ).json()["state"]

    def in_force(self, datasets: list[str], reviewer: str = "publisher", **fields) -> dict:
        number = self.create(datasets, **fields)["id"]
        assert self.act("vendor", number, "submit")["state"] == "under_review"
        agreement = self.act(reviewer, number, "approve")["agreement"]
        self.act("vendor", number, "sign", {"agreement_hash": agreement["hash"]})
        self.act(reviewer, number, "countersign")
        return self.client.get(f"{REQUESTS}/{number}", headers=self.world.headers("vendor")
                               ).json()


@pytest.fixture
def case(client, world) -> Case:
    return Case(client, world)


def test_only_a_vendor_requests_and_only_its_requester_submits(case):
    slug, _ = case.dataset()
    refused = case.client.post(REQUESTS, headers=case.world.headers("publisher"), json={
        "title": "Demande", "datasets": [slug], "purposes": ["scientific-research"],
        "start": "2027-01-01", "end": "2027-12-31", "max_requests": 10,
        "max_bytes": 10**6})
    assert refused.status_code == 403
    anonymous = case.client.post(REQUESTS, json={})
    assert anonymous.status_code in (401, 422)
    number = case.create([slug])["id"]
    case.act("publisher", number, "submit", expect=403)
    assert case.act("vendor", number, "submit")["state"] == "under_review"
    case.act("vendor", number, "submit", expect=409)


def test_bad_input_is_a_422_naming_the_field(case):
    slug, _ = case.dataset()
    for field, value in [("purposes", ["espionnage"]), ("legal_bases", ["gdpr-48"]),
                         ("hosting_country", "ZZ"), ("datasets", ["inconnu"]),
                         ("personal_data", "peut-être"), ("end", "2020-01-01")]:
        body = {"title": "Demande", "datasets": [slug], "purposes": ["scientific-research"],
                "start": "2027-01-01", "end": "2027-12-31", "max_requests": 10,
                "max_bytes": 10**6, field: value}
        response = case.client.post(REQUESTS, headers=case.world.headers("vendor"), json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_the_precheck_rejects_with_published_reasons(case, client):
    slug, _ = case.dataset()
    number = case.create([slug], hosting_country="US")["id"]
    submitted = case.act("vendor", number, "submit")
    assert submitted["state"] == "rejected"
    assert "politique du comité" in submitted["reasons"]
    assert [e["action"] for e in submitted["events"]] == ["submit", "precheck",
                                                          "fail_precheck"]
    register = client.get("/api/v1/register").json()
    assert register["refusals"][0]["number"] == number
    assert "politique du comité" in register["refusals"][0]["reasons"]
    case.act("publisher", number, "approve", expect=409)


def test_open_data_need_no_agreement(case):
    made = case.client.post("/api/v1/datasets", headers=case.world.headers("publisher"), json={
        "title": "Budget primitif", "publisher": "ville-de-nancy", "licence": "fr-lo-2.0",
        "access_type": "open", "state": "published"})
    number = case.create([made.json()["slug"]])["id"]
    submitted = case.act("vendor", number, "submit")
    assert submitted["state"] == "rejected"
    assert "Licence Ouverte" in submitted["reasons"]
    assert submitted["events"][-1]["action"] == "not_needed"


def test_information_asked_and_supplied(case):
    slug, _ = case.dataset()
    created = case.create([slug], subprocessors=None)
    number = created["id"]
    assert case.act("vendor", number, "submit")["state"] == "info_requested"
    # Answering without supplying anything: still missing, nothing moves.
    case.act("vendor", number, "answer", {"note": "Voici."}, expect=422)
    assert case.state(number) == "info_requested"
    # Only the requester edits; then the answer returns the request to review.
    patched = case.client.patch(f"{REQUESTS}/{number}", headers=case.world.headers("publisher"),
                                json={"subprocessors": []})
    assert patched.status_code == 403
    patched = case.client.patch(f"{REQUESTS}/{number}", headers=case.world.headers("vendor"),
                                json={"subprocessors": [{"name": "OVH", "country": "FR"}]})
    assert patched.status_code == 200, patched.text
    assert case.act("vendor", number, "answer", {"note": "Liste jointe."})["state"] == \
        "under_review"
    # The reviewer may ask again; the vendor cannot ask itself.
    case.act("vendor", number, "request-info", {"reasons": "Question ?"}, expect=403)
    asked = case.act("publisher", number, "request-info",
                     {"reasons": "Précisez la durée de conservation."})
    assert asked["state"] == "info_requested"
    assert asked["reasons"] == "Précisez la durée de conservation."
    assert case.act("vendor", number, "answer", {"note": "Trois mois."})["state"] == \
        "under_review"
    # A draft is edited; a request under review is not.
    edit = case.client.patch(f"{REQUESTS}/{number}", headers=case.world.headers("vendor"),
                             json={"title": "Autre titre"})
    assert edit.status_code == 409


def test_counter_offer_accepted_or_withdrawn(case):
    slug, _ = case.dataset()
    number = case.create([slug], max_requests=1000)["id"]
    case.act("vendor", number, "submit")
    offer = {"reasons": "Relecture des résultats et plafond réduit.",
             "add_clauses": ["OUTPUT-REVIEW"], "max_requests": 200}
    case.act("vendor", number, "counter-offer", offer, expect=403)
    case.act("publisher", number, "counter-offer", {**offer, "max_requests": 5000},
             expect=422)
    countered = case.act("publisher", number, "counter-offer", offer)
    assert countered["state"] == "counter_offered"
    assert "OUTPUT-REVIEW" in countered["clauses"] and countered["max_requests"] == 200
    case.act("publisher", number, "accept-counter-offer", expect=403)
    accepted = case.act("vendor", number, "accept-counter-offer")
    assert accepted["state"] == "under_review"
    assert [e["action"] for e in accepted["events"]][-3:] == [
        "accept_counter_offer", "precheck", "pass_precheck"]
    # Countered again, the vendor walks away.
    case.act("publisher", number, "counter-offer", offer)
    assert case.act("vendor", number, "withdraw", {"reasons": "Conditions trop strictes."}
                    )["state"] == "withdrawn"


def test_rejection_by_the_reviewer(case):
    slug, _ = case.dataset()
    number = case.create([slug])["id"]
    case.act("vendor", number, "submit")
    case.act("vendor", number, "reject", {"reasons": "Non."}, expect=403)
    rejected = case.act("publisher", number, "reject",
                        {"reasons": "Finalité sans lien avec une mission d'intérêt général."})
    assert rejected["state"] == "rejected" and rejected["dga"]["decided"]
    case.act("publisher", number, "approve", expect=409)
    case.act("vendor", number, "withdraw", {"reasons": "Trop tard."}, expect=409)


def test_another_members_cdo_cannot_see_or_approve(case):
    slug, _ = case.dataset()
    number = case.create([slug])["id"]
    case.act("vendor", number, "submit")
    case.act("other_publisher", number, "approve", expect=404)
    case.act("coordinator", number, "approve", expect=404)  # a single member's dataset
    assert case.state(number) == "under_review"
    queue = case.client.get(REQUESTS, params={"role": "reviewer"},
                            headers=case.world.headers("other_publisher")).json()
    assert queue == []
    mine = case.client.get(REQUESTS, params={"role": "reviewer"},
                           headers=case.world.headers("publisher")).json()
    assert [r["id"] for r in mine] == [number]


def test_requests_spanning_members_go_to_the_committee_coordinator(case):
    nancy, _ = case.dataset()
    epinal, _ = case.dataset("other_publisher", "ville-d-epinal", "Comptages vélo Épinal")
    created = case.create([nancy, epinal])
    number = created["id"]
    assert created["reviewer"] == {"committee": "comite-test", "name": "Comité de test"}
    case.act("vendor", number, "submit")
    case.act("publisher", number, "approve", expect=404)
    agreement = case.act("coordinator", number, "approve")["agreement"]
    assert agreement["version"] == 1


def test_signatures_in_order_and_on_the_right_hash(case):
    slug, _ = case.dataset()
    number = case.create([slug])["id"]
    case.act("vendor", number, "submit")
    case.act("publisher", number, "sign", expect=409)      # nothing approved yet
    case.act("vendor", number, "approve", expect=403)
    agreement = case.act("publisher", number, "approve")["agreement"]
    case.act("publisher", number, "countersign", expect=409)  # the vendor signs first
    case.act("publisher", number, "sign", expect=403)
    case.act("vendor", number, "sign", {"agreement_hash": "0" * 64}, expect=409)
    case.act("vendor", number, "sign", {"agreement_hash": agreement["hash"]})
    case.act("vendor", number, "countersign", expect=403)
    case.act("vendor", number, "grant", expect=409)          # not in force yet
    assert case.act("publisher", number, "countersign")["state"] == "active"
    case.act("vendor", number, "withdraw", {"reasons": "Trop tard."}, expect=409)
    case.act("publisher", number, "grant", expect=403)
    detail = case.client.get(f"/api/v1/agreements/{agreement['id']}",
                             headers=case.world.headers("vendor")).json()
    assert [s["party"] for s in sorted(detail["signatures"], key=lambda s: s["signed"])] == [
        "assignee", "assigner"]
    assert all(s["agreement_hash"] == agreement["hash"] for s in detail["signatures"])
    assert {d["kind"] for d in detail["duties"]} == {"usage_report", "deletion_certificate"}
    odrl = case.client.get(f"/api/v1/agreements/{agreement['id']}/odrl",
                           headers=case.world.headers("vendor"))
    assert odrl.headers["content-type"] == "application/ld+json"
    assert odrl.json()["@type"] == "Agreement"
    pdf = case.client.get(f"/api/v1/agreements/{agreement['id']}/document.pdf",
                          headers=case.world.headers("publisher"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert case.client.get(f"/api/v1/agreements/{agreement['id']}",
                           headers=case.world.headers("other_publisher")).status_code == 404


def test_a_signed_agreement_cannot_be_changed(case):
    slug, _ = case.dataset()
    agreement = case.in_force([slug])["agreement"]
    engine = db.get_engine()
    if engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(sa.text("UPDATE agreement SET content = '{}' WHERE id = :id"),
                      {"id": agreement["id"]})
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT content, hash FROM agreement WHERE id = :id"),
                                    {"id": agreement["id"]}).one()
    import hashlib

    assert hashlib.sha256(stored[0].encode()).hexdigest() == stored[1] == agreement["hash"]


def test_suspension_resumption_revocation_and_closing(case):
    slug, resource = case.dataset()
    number = case.in_force([slug])["id"]
    token = {"Authorization": "Bearer " + case.act("vendor", number, "grant", expect=201)["token"]}
    case.act("vendor", number, "suspend", {"reasons": "Non."}, expect=403)
    suspended = case.act("publisher", number, "suspend",
                         {"reasons": "Soupçon de réutilisation hors finalité."})
    assert suspended["state"] == "suspended"
    denied = case.client.get(f"/api/v1/access/resources/{resource}", headers=token,
                             params={"purpose": "scientific-research"})
    assert denied.status_code == 403 and "state" in str(denied.json()["decision"]["checks"])
    case.act("vendor", number, "grant", expect=409)
    case.act("vendor", number, "resume", expect=403)
    assert case.act("publisher", number, "resume")["state"] == "active"
    allowed = case.client.get(f"/api/v1/access/resources/{resource}", headers=token,
                              params={"purpose": "scientific-research"})
    assert allowed.status_code == 200
    revoked = case.act("publisher", number, "revoke",
                       {"reasons": "Manquement à la clause d'hébergement."})
    assert revoked["state"] == "closing"
    assert [e["action"] for e in revoked["events"]][-2:] == ["revoke", "start_closing"]
    gone = case.client.get(f"/api/v1/access/resources/{resource}", headers=token,
                           params={"purpose": "scientific-research"})
    assert gone.status_code == 401  # revocation revokes the grant
    case.act("publisher", number, "close", expect=409)  # no deletion certificate yet
    agreement = case.client.get(f"/api/v1/agreements/{revoked['agreement']['id']}",
                                headers=case.world.headers("vendor")).json()
    certificate = next(d for d in agreement["duties"] if d["kind"] == "deletion_certificate")
    case.act("publisher", number, f"duties/{certificate['id']}/fulfil",
             {"evidence": "Certificat"}, expect=403)
    case.act("vendor", number, f"duties/{certificate['id']}/fulfil",
             {"evidence": "Certificat de suppression signé le 3 mars, réf. DC-12."})
    case.act("vendor", number, f"duties/{certificate['id']}/fulfil",
             {"evidence": "Encore"}, expect=409)
    case.act("vendor", number, "close", expect=403)
    assert case.act("publisher", number, "close")["state"] == "closed"


def test_caps_used_up_expire_the_agreement_into_closing(case):
    slug, resource = case.dataset()
    number = case.in_force([slug], max_requests=1)["id"]
    token = {"Authorization": "Bearer " + case.act("vendor", number, "grant", expect=201)["token"]}
    url = f"/api/v1/access/resources/{resource}"
    assert case.client.get(url, headers=token,
                           params={"purpose": "scientific-research"}).status_code == 200
    over = case.client.get(url, headers=token, params={"purpose": "scientific-research"})
    assert over.status_code == 403
    assert any(c["left"] == "count" and c["satisfied"] is False
               for r in over.json()["decision"]["rules"] for c in r["constraints"])
    result = CliRunner().invoke(app, ["agreements", "check"])
    assert result.exit_code == 0 and f"n° {number} échue" in result.output
    assert case.state(number) == "closing"
    again = CliRunner().invoke(app, ["agreements", "check"])
    assert "Aucune convention" in again.output


def test_an_amendment_supersedes_the_agreement_in_force(case):
    slug, _ = case.dataset()
    first = case.in_force([slug])
    case.act("publisher", first["id"], "amend", expect=403)
    amendment = case.act("vendor", first["id"], "amend", expect=201)
    assert amendment["state"] == "draft" and amendment["amends"] == first["id"]
    patched = case.client.patch(f"{REQUESTS}/{amendment['id']}",
                                headers=case.world.headers("vendor"),
                                json={"purposes": ["scientific-research",
                                                   "official-statistics"]})
    assert patched.status_code == 200, patched.text
    case.act("vendor", amendment["id"], "submit")
    second = case.act("publisher", amendment["id"], "approve")["agreement"]
    assert second["version"] == 2 and second["hash"] != first["agreement"]["hash"]
    case.act("vendor", amendment["id"], "sign")
    case.act("publisher", amendment["id"], "countersign")
    assert case.state(first["id"]) == "closed"
    detail = case.client.get(f"/api/v1/agreements/{second['id']}",
                             headers=case.world.headers("vendor")).json()
    assert detail["content"]["supersedes"]["hash"] == first["agreement"]["hash"]
    register = case.client.get("/api/v1/register").json()["agreements"]
    assert [(r["number"], r["version"], r["state"]) for r in register] == [
        (amendment["id"], 2, "active"), (first["id"], 1, "closed")]


def test_the_dga_deadline_is_two_months_and_thirty_days_for_a_complex_case(case):
    slug, _ = case.dataset()
    number = case.create([slug])["id"]
    assert case.client.get(f"{REQUESTS}/{number}", headers=case.world.headers("vendor")
                           ).json()["dga"] is None
    submitted = case.act("vendor", number, "submit")
    deadline = datetime.fromisoformat(submitted["dga"]["deadline"])
    start = datetime.fromisoformat(submitted["events"][0]["time"])
    assert 59 <= (deadline - start).days <= 62
    case.act("vendor", number, "complexity", {"complex": True}, method="put", expect=403)
    flagged = case.act("publisher", number, "complexity", {"complex": True}, method="put")
    extended = datetime.fromisoformat(flagged["dga"]["deadline"])
    assert extended - deadline == timedelta(days=30) and flagged["dga"]["extended"]


def test_the_public_register_has_no_secret_and_no_person(case, client):
    slug, _ = case.dataset()
    number = case.in_force([slug], hosting_provider="Hébergeur Secret SAS",
                           subprocessors=[{"name": "Sous-traitant Discret", "country": "FR"}]
                           )["id"]
    body = client.get("/api/v1/register").text
    page = client.get("/registre")
    text = client.get("/api/v1/register", params={"format": "csv"}).text
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Registre public des conventions" in page.text and '<html lang="fr">' in page.text
    for shown in (body, page.text, text):
        assert "Données Conseil SAS" in shown and "Ville de Nancy" in shown
        for secret in ("Hébergeur Secret", "Sous-traitant Discret", "vendor", "publisher",
                       "ctdg_"):
            assert secret not in shown
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["number"] == str(number) and rows[0]["state"] == "active"
    assert "PURPOSE" in rows[0]["clauses"] and rows[0]["purposes"] == "scientific-research"


def scan_now(resource_id: int) -> None:
    """Run the resource's pending quality scan here (the upload queued it)."""
    from sqlmodel import select

    from quality import reports
    from quality.models import QualityReport

    with db.session_scope() as session:
        report = session.exec(select(QualityReport).where(
            QualityReport.resource_id == resource_id)).one()
    reports.run_scan(report.id)


PATIENTS = ("nom;prenom;email;diagnostic\n" + "".join(
    f"{last};{first};{first.lower()}.{last.lower()}@gmail.com;{illness}\n"
    for last, first, illness in [
        ("Martin", "Julie", "diabète"), ("Bernard", "Nicolas", "asthme"),
        ("Petit", "Camille", "dépression"), ("Durand", "Thomas", "hypertension"),
        ("Leroy", "Sophie", "asthme"), ("Moreau", "Lucas", "diabète")] * 5)).encode()
USERS = ("age;sexe;code_postal;trajets\n" + "".join(
    f"{20 + i % 50};{'F' if i % 2 else 'M'};54{i % 9}00;{i % 13}\n"
    for i in range(120))).encode()


def test_the_precheck_reads_the_quality_verdict_of_the_files(case):
    made = case.client.post("/api/v1/datasets", headers=case.world.headers("publisher"), json={
        "title": "Suivi des patients", "publisher": "ville-de-nancy", "licence": "other",
        "access_type": "restricted", "state": "published"})
    slug = made.json()["slug"]
    upload = case.client.post(f"/api/v1/datasets/{slug}/resources/upload",
                              headers=case.world.headers("publisher"),
                              files={"file": ("patients.csv", PATIENTS)})
    scan_now(upload.json()["id"])
    verdict = case.client.get(f"/api/v1/datasets/{slug}/quality").json()["scores"]["verdict"]
    assert verdict["verdict"] == "do_not_share" and "sensitive" in verdict["categories"]
    number = case.create([slug], personal_data="special", dpia_reference="AIPD-1",
                         legal_bases=["gdpr-6-1-e", "gdpr-9-2-h"])["id"]
    submitted = case.act("vendor", number, "submit")
    assert submitted["state"] == "rejected"
    assert "ne pas partager" in submitted["reasons"]

    # Users' travels: no name, but ages, sexes and postal codes of persons.
    slug, resource = case.dataset(title="Déplacements des usagers")
    upload = case.client.post(f"/api/v1/datasets/{slug}/resources/upload",
                              headers=case.world.headers("publisher"),
                              files={"file": ("usagers.csv", USERS)})
    scan_now(upload.json()["id"])
    number = case.create([slug])["id"]  # declared without personal data, without basis
    submitted = case.act("vendor", number, "submit")
    assert submitted["state"] == "rejected", submitted["precheck"]
    assert "6(1)" in submitted["reasons"]


def test_access_answers_every_bad_request_clearly_and_logs_every_decision(case):
    slug, resource = case.dataset()
    other, foreign = case.dataset(title="Autre jeu")
    number = case.in_force([slug])["id"]
    token = {"Authorization": "Bearer " + case.act("vendor", number, "grant", expect=201)
             ["token"]}
    scope = case.client.get("/api/v1/access", headers=token).json()
    assert scope["state"] == "active" and scope["purposes"] == ["scientific-research"]
    assert [r["id"] for r in scope["resources"]] == [resource]
    ok = {"purpose": "scientific-research"}
    # No token, a user token, an unknown grant: 401, nothing logged.
    assert case.client.get(f"/api/v1/access/resources/{resource}", params=ok
                           ).status_code == 401
    assert case.client.get(f"/api/v1/access/resources/{resource}", params=ok,
                           headers=case.world.headers("vendor")).status_code == 401
    assert case.client.get(f"/api/v1/access/resources/{resource}", params=ok, headers={
        "Authorization": "Bearer ctdg_inconnu"}).status_code == 401
    # No purpose: 422; an unknown resource: 404; nothing logged either.
    assert case.client.get(f"/api/v1/access/resources/{resource}", headers=token
                           ).status_code == 422
    assert case.client.get("/api/v1/access/resources/999999", params=ok, headers=token
                           ).status_code == 404
    before = log_size()
    # A dataset outside the agreement, an action it forbids: denied and logged.
    outside = case.client.get(f"/api/v1/access/resources/{foreign}", params=ok,
                              headers=token)
    assert outside.status_code == 403
    assert outside.json()["decision"]["checks"][1] == {
        "check": "target", "expected": [f"urn:ctd:dataset:{resource_dataset(resource)}"],
        "actual": f"urn:ctd:dataset:{resource_dataset(foreign)}", "satisfied": False}
    training = case.client.get(f"/api/v1/access/resources/{resource}", headers=token,
                               params={**ok, "action": "ai-training"})
    assert training.status_code == 403 and "NO-AI-TRAINING" in training.text
    abroad = case.client.get(f"/api/v1/access/resources/{resource}", headers=token,
                             params={**ok, "hosting_country": "US"})
    assert abroad.status_code == 403
    assert log_size() == before + 3
    # Null for a term that needs a value is a 422, not a 500.
    amendment = case.act("vendor", number, "amend", expect=201)
    cleared = case.client.patch(f"{REQUESTS}/{amendment['id']}",
                                headers=case.world.headers("vendor"), json={"purposes": None})
    assert cleared.status_code == 422


def log_size() -> int:
    with db.get_engine().connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM access_log_entry")).scalar()


def resource_dataset(resource_id: int) -> int:
    with db.get_engine().connect() as connection:
        return connection.execute(sa.text("SELECT dataset_id FROM resource WHERE id = :id"),
                                  {"id": resource_id}).scalar()
