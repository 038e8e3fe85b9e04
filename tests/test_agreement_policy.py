"""Sharing agreements: vocabularies, the clause library, ODRL agreements and their evaluator
(`sharing_agreements.vocabularies`, `.clauses`, `.policy`). Pure logic: no database, no HTTP."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from sharing_agreements import clauses as lib
from sharing_agreements import policy
from sharing_agreements import vocabularies as vocab
from sharing_agreements.clauses import Terms
from sharing_agreements.policy import Request, World

AGREEMENT = "https://ctd.example.fr/agreements/7"
MEMBER = "https://ctd.example.fr/organizations/metropole-du-grand-nancy"
VENDOR = "https://ctd.example.fr/organizations/acme-analytics"
HOSTER = "https://ctd.example.fr/organizations/hebergeur-sas"
DATASET = "https://ctd.example.fr/datasets/subventions-2026"
OTHER_DATASET = "https://ctd.example.fr/datasets/menus-collectifs"
MIDSUMMER = datetime(2027, 6, 15, 12, tzinfo=UTC)


def make_terms(**changes) -> Terms:
    values = dict(
        uid=AGREEMENT, assigner=MEMBER, assignee=VENDOR, targets=[DATASET],
        purposes=["scientific-research", "official-statistics"],
        start=date(2027, 1, 1), end=date(2027, 12, 31),
        clauses=lib.default_clauses(["scientific-research"], personal=True),
        max_requests=100, max_bytes=1_000_000, allowed_countries=["FR", "DE"],
        subprocessors={HOSTER: "Hébergeur SAS"}, assigner_name="Métropole du Grand Nancy",
        assignee_name="ACME Analytics", legal_bases=["gdpr-6-1-e", "gdpr-9-2-j"],
    )
    values.update(changes)
    return Terms(**values)


def full_terms() -> Terms:
    """Terms with every clause of the library and every parameter."""
    return make_terms(clauses=list(lib.library()), fee_amount="250.50")


@pytest.fixture(scope="module")
def compiled() -> policy.CompiledPolicy:
    return policy.compile(policy.build_agreement(make_terms()))


def read(**changes) -> Request:
    values = dict(action="read", target=DATASET, assignee=VENDOR, purpose="scientific-research",
                  size=10_000, hosting_country="FR")
    values.update(changes)
    return Request(**values)


def world(**changes) -> World:
    return World(**{"now": MIDSUMMER, **changes})


def failing(decision: policy.Decision) -> list[tuple[str | None, str, str]]:
    """(clause, left operand, operator) of every failing constraint of the explanation."""
    return [(c["clause"] or rule["clause"], c["left"], c["operator"])
            for rule in decision.rules for c in rule["constraints"] if c["satisfied"] is False]


# Vocabularies.
def test_vocabularies_and_clauses_cross_reference():
    assert vocab.validate() == []
    versions = vocab.versions()
    assert set(versions) >= {"purposes", "legal_bases", "roles", "hosting", "clauses"}
    assert all(versions.values())


def test_purposes_carry_the_flags_the_precheck_needs():
    purposes = vocab.purposes()
    for key in ("public-service-delivery", "scientific-research", "official-statistics",
                "ai-model-training", "ai-evaluation", "product-development",
                "commercial-reuse", "archiving"):
        assert purposes[key].label and purposes[key].description
    assert purposes["ai-model-training"].ai_training and purposes["ai-model-training"].ai
    assert purposes["ai-evaluation"].ai and not purposes["ai-evaluation"].ai_training
    assert purposes["commercial-reuse"].commercial
    assert not purposes["scientific-research"].commercial
    assert vocab.purpose(purposes["archiving"].iri).id == "archiving"
    with pytest.raises(vocab.UnknownTerm, match="unknown purpose"):
        vocab.purpose("surveillance")


def test_legal_bases_cover_gdpr_dga_crpa_and_ccp():
    bases = vocab.legal_bases()
    expected = {f"gdpr-6-1-{x}": "personal" for x in "abcdef"}
    expected |= {f"gdpr-9-2-{x}": "special" for x in "abcdefghij"}
    expected |= {"gdpr-10": "criminal", "gdpr-45": "transfer", "gdpr-46-2-c": "transfer",
                 "gdpr-49": "transfer", "dga-5": "non_personal", "crpa-l321-1": "non_personal",
                 "crpa-l323-2": "non_personal", "ccp-l3131-2": "non_personal"}
    assert {key: bases[key].kind for key in expected} == expected
    for basis in bases.values():
        assert basis.label and basis.article
        assert basis.url.startswith(("https://eur-lex.europa.eu/", "https://www.legifrance.gouv.fr/"))
    assert not bases["gdpr-6-1-f"].public_authority and bases["gdpr-6-1-e"].public_authority
    assert "gdpr-48" not in bases
    assert "n'est pas une base" in vocab.not_legal_bases()["gdpr-48"].note


def test_roles_and_hosting():
    assert {"controller", "processor", "joint-controller", "recipient"} <= set(vocab.roles())
    assert "28" in " ".join(vocab.role("processor").references)
    france, norway, swiss, usa = (vocab.country(c) for c in ("fr", "NO", "CH", "US"))
    assert france.eu and france.eea and not france.adequacy and france.label == "France"
    assert norway.eea and not norway.eu
    assert swiss.adequacy and swiss.transfer_free
    assert usa.adequacy and usa.adequacy_scope and not usa.transfer_free
    assert not vocab.country("CN").adequacy and not vocab.country("CN").eea
    assert vocab.country("https://www.iso.org/obp/ui/#iso:code:3166:DE").code == "DE"
    assert len(vocab.countries()) >= 249 and len(vocab.eea_countries()) >= 30
    assert vocab.provider_kind("non-eu-provider").extraterritorial
    assert vocab.qualification("secnumcloud").secnumcloud
    with pytest.raises(vocab.UnknownTerm):
        vocab.country("XX")


def test_ai_actions_and_their_hierarchy():
    assert vocab.action("ai-training").iri == "https://w3id.org/ctd/odrl/ai#ai-training"
    assert vocab.action_id("odrl:ai-augment") == "ai-augmentation"
    assert vocab.action_id("https://w3id.org/ctd/odrl/ai#data-mining") == "data-mining"
    assert vocab.action_id("http://www.w3.org/ns/odrl/2/read") == "read"
    assert vocab.action_ancestors("gen-ai") >= {"ai-training", "data-mining", "use"}
    assert "use" not in vocab.action_ancestors("sell")
    assert vocab.action_ancestors("exfiltrate") == {"exfiltrate"}


# Clauses.
def test_library_has_the_clauses_of_the_design():
    expected = ["PURPOSE", "NO-AI-TRAINING", "NO-ONWARD", "NO-EXCLUSIVITY", "HOSTING-EU",
                "SUBPROCESSORS", "SPE-ONLY", "NO-REID", "OUTPUT-REVIEW", "TERM", "VOLUME",
                "DELETE-AT-END", "AUDIT", "LOGGING", "RESTITUTION", "NO-IP-CLAIM",
                "CONFIDENTIALITY", "FEES", "ATTRIBUTION", "AI-SUPPLY", "REMEDIES"]
    library = lib.library()
    assert len(library) >= 21 and set(expected) <= set(library)
    for c in library.values():
        assert c.title and c.protects_against and c.checks
        assert set(c.checks) <= set(lib.CHECKS)
        assert c.text.count(". ") >= 2, f"{c.id}: a clause is several sentences"
        assert "Bénéficiaire" in c.text or "Collectivité" in c.text
        assert c.anchors and all(a.label and a.url.startswith("https://") for a in c.anchors)
    assert "pillage" in library["NO-AI-TRAINING"].protects_against
    assert {"dga-4"} == {a.id for a in library["NO-EXCLUSIVITY"].anchors}
    assert lib.definitions()["le Bénéficiaire"]


@pytest.mark.parametrize("clause_id", list(lib.library()))
def test_every_clause_renders_and_compiles(clause_id):
    terms = full_terms()
    text = lib.render(clause_id, lib.text_params(terms))
    assert "{" not in text and "}" not in text
    fragment = lib.machine_form(clause_id, lib.odrl_params(terms))
    assert fragment
    agreement = policy.build_agreement(replace(terms, clauses=["PURPOSE", clause_id]))
    compiled = policy.compile(agreement)
    assert clause_id in agreement["ctd:clauses"]
    rules = compiled.permissions + compiled.prohibitions + compiled.obligations
    own = [r for r in rules if r.clause == clause_id]
    own += [c for r in compiled.permissions for c in r.constraints if c.clause == clause_id]
    own += [d for r in compiled.permissions for d in r.duties if d.clause == clause_id]
    if clause_id != "REMEDIES":  # REMEDIES adds remedies to the prohibitions of others
        assert own, f"{clause_id} leaves nothing in the compiled policy"


@pytest.mark.parametrize("clause_id", [c.id for c in lib.library().values() if c.placeholders])
def test_a_missing_parameter_is_named(clause_id):
    c = lib.clause(clause_id)
    params = lib.text_params(full_terms())
    name = sorted(c.placeholders - set(c.defaults))[0] if c.placeholders - set(c.defaults) \
        else sorted(c.placeholders)[0]
    params[name] = None
    without_defaults = replace(c, defaults={})
    with pytest.raises(lib.MissingParameter, match=name) as error:
        lib.render(without_defaults, params)
    assert error.value.clause_id == clause_id and name in error.value.names


def test_render_shows_values_the_french_way():
    terms = make_terms(max_requests=12_000, max_bytes=10_000_000_000)
    params = lib.text_params(terms)
    term = lib.render("TERM", params)
    assert "du 1er janvier 2027 au 31 décembre 2027 inclus" in term
    volume = lib.render("VOLUME", params)
    assert "12\u202f000 requêtes" in volume and "10 Go" in volume
    purpose = lib.render("PURPOSE", params)
    assert "« recherche scientifique » et « statistique publique »" in purpose
    assert "France et Allemagne" in lib.render("HOSTING-EU", params)
    assert "néant" in lib.render("SUBPROCESSORS", lib.text_params(make_terms(subprocessors={})))
    assert "« Source : Métropole du Grand Nancy »" in lib.render("ATTRIBUTION", params)
    assert "72 heures" in lib.render(
        "NO-REID", lib.text_params(make_terms(parameters={"breach_notice_hours": 72})))
    with pytest.raises(lib.MissingParameter, match="fee_amount"):
        lib.render("FEES", params)


def test_default_clauses():
    research = lib.default_clauses(["scientific-research"], personal=False)
    assert {"PURPOSE", "NO-AI-TRAINING", "NO-ONWARD", "HOSTING-EU", "TERM", "VOLUME",
            "DELETE-AT-END", "LOGGING", "REMEDIES"} <= set(research)
    assert "NO-REID" not in research and "SPE-ONLY" not in research
    personal = lib.default_clauses(["scientific-research"], personal=True)
    assert {"NO-REID", "SUBPROCESSORS", "OUTPUT-REVIEW"} <= set(personal)
    assert "SPE-ONLY" in lib.default_clauses(["official-statistics"], personal=True, special=True)
    contractor = lib.default_clauses(["public-contract-performance"], personal=False,
                                     fees=True, ai_supply=True)
    assert {"RESTITUTION", "FEES", "AI-SUPPLY"} <= set(contractor)
    assert personal == [c for c in lib.library() if c in personal]  # library order


# Building and hashing.
def test_build_agreement_is_an_odrl_agreement():
    agreement = policy.build_agreement(make_terms())
    assert agreement["@context"][0] == "http://www.w3.org/ns/odrl.jsonld"
    assert agreement["@type"] == "Agreement" and agreement["conflict"] == "prohibit"
    assert (agreement["uid"], agreement["assigner"], agreement["assignee"]) == (
        AGREEMENT, MEMBER, VENDOR)
    assert agreement["target"] == [DATASET]
    [permission] = agreement["permission"]
    assert permission["action"] == "use"
    purpose = next(c for c in permission["constraint"] if c["leftOperand"] == "purpose")
    assert purpose["operator"] == "isAnyOf" and purpose["rightOperand"] == [
        "https://w3id.org/ctd/purpose#scientific-research",
        "https://w3id.org/ctd/purpose#official-statistics"]
    spatial = next(c for c in permission["constraint"] if c["leftOperand"] == "spatial")
    assert spatial["rightOperand"] == ["https://www.iso.org/obp/ui/#iso:code:3166:FR",
                                       "https://www.iso.org/obp/ui/#iso:code:3166:DE"]
    prohibited = {p["action"] for p in agreement["prohibition"]}
    assert {"ctdai:ai-training", "ctdai:data-mining", "index", "ctdai:ai-augmentation", "sell",
            "distribute", "grantUse"} <= prohibited
    assert all(p["remedy"] for p in agreement["prohibition"])
    json.dumps(agreement)
    with pytest.raises(lib.ClauseError, match="PURPOSE"):
        policy.build_agreement(make_terms(clauses=["TERM"]))
    with pytest.raises(lib.MissingParameter, match="max_requests"):
        policy.build_agreement(make_terms(max_requests=None))


def test_policy_hash_is_stable():
    agreement = policy.build_agreement(make_terms())
    digest = policy.policy_hash(agreement)
    assert len(digest) == 64 and int(digest, 16) >= 0
    shuffled = json.loads(json.dumps(agreement, sort_keys=True))
    shuffled = dict(reversed(list(shuffled.items())))
    assert policy.policy_hash(shuffled) == digest
    assert policy.policy_hash(policy.build_agreement(make_terms())) == digest
    assert policy.compile(agreement).hash == digest
    assert policy.policy_hash(policy.build_agreement(make_terms(max_requests=101))) != digest
    assert policy.canonical_json({"b": "é", "a": [1, 2]}) == '{"a":[1,2],"b":"é"}'.encode()


# Evaluating.
def test_allowed_purpose_in_the_window(compiled):
    decision = policy.evaluate(compiled, read(), world())
    assert decision.allowed, decision.failures
    assert decision.reason.startswith("Accès autorisé")
    assert "recherche scientifique" in decision.reason
    assert not failing(decision)
    [permission] = [r for r in decision.rules if r["type"] == "permission"]
    assert permission["applies"] and permission["active"]
    assert all(c["satisfied"] for c in permission["constraints"])
    json.dumps(decision.to_dict())


def test_undeclared_purpose_is_denied_and_named(compiled):
    decision = policy.evaluate(compiled, read(purpose="commercial-reuse"), world())
    assert not decision.allowed
    assert failing(decision) == [("PURPOSE", "purpose", "isAnyOf")]
    assert decision.constraint("purpose")["actual"] == "commercial-reuse"
    assert "finalité déclarée « commercial-reuse »" in decision.reason
    assert "PURPOSE" in decision.reason
    assert not policy.evaluate(compiled, read(purpose=None), world()).allowed
    by_iri = read(purpose="https://w3id.org/ctd/purpose#official-statistics")
    assert policy.evaluate(compiled, by_iri, world()).allowed


def test_before_the_start_and_after_the_end_are_denied(compiled):
    paris = lib.PARIS
    eve = world(now=datetime(2026, 12, 31, 23, 59, tzinfo=paris))
    before = policy.evaluate(compiled, read(), eve)
    assert not before.allowed and failing(before) == [("TERM", "dateTime", "gteq")]
    assert "à compter du 1er janvier 2027" in before.reason
    last_minute = world(now=datetime(2027, 12, 31, 23, 59, tzinfo=paris))
    assert policy.evaluate(compiled, read(), last_minute).allowed
    after = policy.evaluate(compiled, read(), world(now=datetime(2028, 1, 1, tzinfo=paris)))
    assert not after.allowed and failing(after) == [("TERM", "dateTime", "lt")]
    assert "a pris fin" in after.reason


def test_count_exceeded_is_denied(compiled):
    assert policy.evaluate(compiled, read(), world(count=99)).allowed  # the 100th request
    decision = policy.evaluate(compiled, read(), world(count=100))
    assert not decision.allowed
    assert failing(decision) == [("VOLUME", "count", "lteq")]
    assert decision.constraint("count")["actual"] == 101
    assert "nombre maximal de requêtes (100)" in decision.reason


def test_volume_exceeded_is_denied(compiled):
    assert policy.evaluate(compiled, read(size=10_000), world(volume=990_000)).allowed
    decision = policy.evaluate(compiled, read(size=10_001), world(volume=990_000))
    assert not decision.allowed
    assert failing(decision) == [("VOLUME", "ctd:volume", "lteq")]
    assert decision.constraint("ctd:volume")["actual"] == 1_000_001


@pytest.mark.parametrize("action", ["ctdai:ai-training", "ai-training", "odrl:gen-ai",
                                    "https://w3id.org/ctd/odrl/ai#ai-augmentation", "index",
                                    "ctdai:data-mining", "use"])
def test_ai_actions_are_denied_by_no_ai_training(compiled, action):
    decision = policy.evaluate(compiled, read(action=action), world())
    assert not decision.allowed
    [permission] = [r for r in decision.rules if r["type"] == "permission"]
    assert permission["applies"] and permission["active"]  # `use` would allow it…
    hits = [r for r in decision.rules
            if r["type"] == "prohibition" and r["applies"] and r["active"]]
    assert "NO-AI-TRAINING" in {r["clause"] for r in hits}  # …the prohibition wins
    if action != "use":  # `use` is broader than every prohibited action, and caught by all
        assert {r["clause"] for r in hits} == {"NO-AI-TRAINING"}
    assert "NO-AI-TRAINING" in decision.reason


def test_an_agreed_ai_purpose_is_spared_by_no_ai_training():
    terms = make_terms(purposes=["ai-model-training", "scientific-research"])
    compiled = policy.compile(policy.build_agreement(terms))
    training = read(action="ctdai:ai-training", purpose="ai-model-training")
    assert policy.evaluate(compiled, training, world()).allowed
    outside = read(action="ctdai:ai-training", purpose="scientific-research")
    assert not policy.evaluate(compiled, outside, world()).allowed


@pytest.mark.parametrize("action", ["https://example.org/actions/exfiltrate", "sell",
                                    "transfer"])
def test_unknown_or_unpermitted_actions_are_denied(compiled, action):
    decision = policy.evaluate(compiled, read(action=action), world())
    assert not decision.allowed
    [permission] = [r for r in decision.rules if r["type"] == "permission"]
    assert not permission["applies"]
    assert "n'est permise par aucune règle de l'accord" in " ".join(decision.failures)
    if action.startswith("https://"):  # sell and transfer are also prohibited by NO-ONWARD
        assert "n'est permise par aucune règle" in decision.reason


def test_suspended_agreement_is_denied(compiled):
    for state in ("suspended", "expired", "revoked", "signed"):
        decision = policy.evaluate(compiled, read(), world(state=state))
        assert not decision.allowed
        assert decision.checks[0] == {"check": "state", "expected": "active", "actual": state,
                                      "satisfied": False}
        assert f"« {state} »" in decision.reason


def test_overdue_duty_is_denied(compiled):
    for name in ("AUDIT", f"{AGREEMENT}#AUDIT-inform", "AUDIT-inform"):
        decision = policy.evaluate(compiled, read(), world(overdue=frozenset({name})))
        assert not decision.allowed
        [permission] = [r for r in decision.rules if r["type"] == "permission"]
        assert not permission["active"]
        assert [d["clause"] for d in permission["duties"] if d["overdue"]] == ["AUDIT"]
        assert "« inform » (clause AUDIT) est échue" in decision.reason
    deletion = policy.evaluate(compiled, read(), world(overdue=frozenset({"DELETE-AT-END"})))
    assert not deletion.allowed and "DELETE-AT-END" in deletion.reason
    [obligation] = [r for r in deletion.rules if r["clause"] == "DELETE-AT-END"]
    assert obligation["overdue"] and obligation["constraints"][0]["satisfied"] is None
    assert policy.evaluate(compiled, read(), world(overdue=frozenset({"FEES"}))).allowed


def test_hosting_country_outside_the_list_is_denied(compiled):
    assert policy.evaluate(compiled, read(hosting_country="DE"), world()).allowed
    decision = policy.evaluate(compiled, read(hosting_country="US"), world())
    assert not decision.allowed
    assert failing(decision) == [("HOSTING-EU", "spatial", "isAnyOf")]
    assert "pays d'hébergement déclaré (US)" in decision.reason
    assert not policy.evaluate(compiled, read(hosting_country=None), world()).allowed
    iri = read(hosting_country="https://www.iso.org/obp/ui/#iso:code:3166:FR")
    assert policy.evaluate(compiled, iri, world()).allowed


def test_recipients_targets_and_assignee(compiled):
    assert policy.evaluate(compiled, read(recipient=HOSTER), world()).allowed
    third = policy.evaluate(compiled, read(recipient="https://broker.example/"), world())
    assert not third.allowed and ("NO-ONWARD", "recipient", "isAnyOf") in failing(third)
    other = policy.evaluate(compiled, read(target=OTHER_DATASET), world())
    assert not other.allowed and "n'est pas couvert" in other.reason
    stranger = policy.evaluate(compiled, read(assignee="https://other.example/"), world())
    assert not stranger.allowed and "n'est pas le bénéficiaire" in stranger.reason


def test_secure_processing_environment_only():
    terms = make_terms(clauses=lib.default_clauses(["official-statistics"], personal=True,
                                                   special=True))
    compiled = policy.compile(policy.build_agreement(terms))
    assert policy.evaluate(compiled, read(channel="ctd:spe"), world()).allowed
    download = policy.evaluate(compiled, read(channel="api"), world())
    assert not download.allowed and ("SPE-ONLY", "deliveryChannel", "eq") in failing(download)
    assert not policy.evaluate(compiled, read(action="reproduce", channel="spe"), world()).allowed


def test_requests_and_worlds_as_mappings_and_json_policies():
    agreement = policy.build_agreement(make_terms())
    request = {"action": "read", "target": DATASET, "assignee": VENDOR,
               "purpose": "scientific-research", "size": 1, "hosting_country": "FR"}
    decision = policy.evaluate(agreement, request, {"now": MIDSUMMER, "overdue": []})
    assert decision.allowed
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["policy_hash"] == policy.policy_hash(agreement)
    assert {r["type"] for r in data["rules"]} == {"permission", "prohibition", "obligation"}


def test_conflict_strategies():
    agreement = policy.build_agreement(make_terms())
    agreement["permission"].append({"uid": f"{AGREEMENT}#train", "action": "ctdai:ai-training"})
    denied = policy.evaluate(agreement, read(action="ai-training"), world())
    assert not denied.allowed  # prohibit: the prohibition wins
    agreement["conflict"] = "perm"
    assert policy.evaluate(agreement, read(action="ai-training"), world()).allowed
    agreement["conflict"] = "invalid"
    assert not policy.evaluate(agreement, read(action="ai-training"), world()).allowed


@pytest.mark.parametrize("constraint", [
    {"or": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "x"}]},
    {"leftOperand": "systemDevice", "operator": "eq", "rightOperand": "x"},
    {"leftOperand": "purpose", "operator": "isA", "rightOperand": "x"},
    {"leftOperand": "dateTime", "operator": "isAnyOf", "rightOperand": ["2027-01-01"]},
])
def test_unsupported_policies_are_refused(constraint):
    agreement = policy.build_agreement(make_terms())
    broken = copy.deepcopy(agreement)
    broken["permission"][0]["constraint"].append(constraint)
    with pytest.raises(policy.PolicyError):
        policy.compile(broken)


def test_a_bare_date_bound_is_midnight_in_paris():
    agreement = policy.build_agreement(make_terms(clauses=["PURPOSE"]))
    agreement["permission"][0]["constraint"].append(
        {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-07-01"})
    compiled = policy.compile(agreement)
    midnight = datetime(2027, 7, 1, tzinfo=lib.PARIS)
    assert policy.evaluate(compiled, read(), world(now=midnight - timedelta(seconds=1))).allowed
    assert not policy.evaluate(compiled, read(), world(now=midnight)).allowed
