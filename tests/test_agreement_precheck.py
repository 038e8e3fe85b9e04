"""Each precheck rule, on plain facts: what passes, what fails, what asks for information,
and the legal anchor each answer cites."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sharing_agreements import precheck
from sharing_agreements.precheck import DatasetFacts, Policy, RequestFacts

RESTRICTED = DatasetFacts(slug="piscines", title="Fréquentation des piscines",
                          access_type="restricted", licence="other",
                          licence_title="Autre licence", licence_url=None, licence_open=False,
                          contains_personal_data="no", verdict="agreement_only",
                          ai_training="agreement_only")
OPEN = DatasetFacts(slug="budget", title="Budget primitif", access_type="open",
                    licence="fr-lo-2.0", licence_title="Licence Ouverte / Open Licence 2.0",
                    licence_url="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
                    licence_open=True, verdict="open", ai_training="allowed")
PERSONAL = replace(RESTRICTED, slug="usagers", title="Usagers du transport",
                   categories=frozenset({"direct", "quasi"}))
SENSITIVE = replace(RESTRICTED, slug="aides", title="Aides sociales",
                    categories=frozenset({"quasi", "sensitive"}))
COMPLETE = RequestFacts(purposes=["scientific-research"], legal_bases=[], personal_data="none",
                        requester_kind="research", hosting_country="FR", subprocessors=[])


def findings(request: RequestFacts, datasets=(RESTRICTED,), policy: Policy = Policy()):
    found = precheck.run(request, list(datasets), policy)
    return found, precheck.outcome(found)


def rule(found, name: str) -> list[precheck.Finding]:
    return [f for f in found if f.rule == name]


def test_a_complete_request_on_restricted_data_goes_to_review():
    found, outcome = findings(COMPLETE)
    assert outcome == "pass"
    assert all(f.outcome == "pass" for f in found)
    assert rule(found, "open-data")[0].anchors == ("dga-5",)


def test_open_datasets_need_no_agreement_and_name_their_licence():
    found, outcome = findings(COMPLETE, [OPEN])
    assert outcome == "not_needed"
    message = rule(found, "open-data")[0].message
    assert "Licence Ouverte" in message and "etalab.gouv.fr" in message
    assert rule(found, "open-data")[0].to_dict()["anchors"][0]["id"] == "crpa-l321-1"
    assert "sans convention" in precheck.reasons(found)
    # Beside a restricted dataset, the open one does not stop the request.
    assert findings(COMPLETE, [OPEN, RESTRICTED])[1] == "pass"
    # Open access under a closed licence still needs an agreement.
    closed = replace(OPEN, licence="other", licence_open=False)
    assert findings(COMPLETE, [closed])[1] == "pass"


def test_a_do_not_share_verdict_blocks():
    blocked = replace(PERSONAL, verdict="do_not_share", ai_training="blocked")
    found, outcome = findings(replace(COMPLETE, legal_bases=["gdpr-6-1-e"]), [blocked])
    assert outcome == "fail"
    assert rule(found, "do-not-share")[0].anchors == ("gdpr-5-1-c",)


@pytest.mark.parametrize("request_facts, datasets", [
    (replace(COMPLETE, personal_data="personal"), [RESTRICTED]),   # declared
    (COMPLETE, [PERSONAL]),                                          # found by the detectors
    (COMPLETE, [replace(RESTRICTED, contains_personal_data="yes")]),  # in the metadata
])
def test_personal_data_need_a_legal_basis(request_facts, datasets):
    found, outcome = findings(request_facts, datasets)
    assert outcome == "fail"
    assert "6(1)" in rule(found, "legal-basis")[0].message
    with_basis = replace(request_facts, legal_bases=["gdpr-6-1-e"])
    assert findings(with_basis, datasets)[1] == "pass"


def test_a_possible_category_alone_is_not_personal_data():
    weak = replace(RESTRICTED, categories=frozenset({"possible"}))
    assert findings(COMPLETE, [weak])[1] == "pass"


def test_legitimate_interest_is_refused_for_public_authorities():
    interest = replace(COMPLETE, personal_data="personal", legal_bases=["gdpr-6-1-f"])
    # A company's research on its own account may invoke it (the balance is reviewed)…
    assert findings(interest)[1] == "pass"
    # …a commune may not, nor a contractor working on an authority's behalf.
    found, outcome = findings(replace(interest, requester_kind="commune"))
    assert outcome == "fail" and rule(found, "legal-basis")[0].anchors == ("gdpr-6-1",)
    on_behalf = replace(interest, purposes=["public-contract-performance"])
    assert findings(on_behalf)[1] == "fail"
    # Another basis beside it does not make it acceptable.
    both = replace(interest, requester_kind="epci", legal_bases=["gdpr-6-1-e", "gdpr-6-1-f"])
    assert findings(both)[1] == "fail"


def test_special_categories_need_an_exception_and_a_dpia():
    special = replace(COMPLETE, personal_data="special", legal_bases=["gdpr-6-1-e"])
    found, outcome = findings(special)
    assert outcome == "fail" and rule(found, "special-categories")[0].anchors == ("gdpr-9",)
    excepted = replace(special, legal_bases=["gdpr-6-1-e", "gdpr-9-2-j"])
    found, outcome = findings(excepted)
    assert outcome == "info" and "analyse d'impact" in precheck.reasons(found)
    assert findings(replace(excepted, dpia_reference="AIPD-2026-014"))[1] == "pass"
    # The detectors' sensitive category counts, whatever is declared.
    found, outcome = findings(replace(COMPLETE, legal_bases=["gdpr-6-1-e"]), [SENSITIVE])
    assert outcome == "fail" and rule(found, "special-categories")


def test_criminal_data_need_article_10():
    criminal = replace(COMPLETE, personal_data="criminal", legal_bases=["gdpr-6-1-e"])
    assert findings(criminal)[1] == "fail"
    assert findings(replace(criminal, legal_bases=["gdpr-6-1-e", "gdpr-10"]))[1] == "pass"


def test_ai_training_on_personal_data_needs_the_minimised_version_or_a_decision():
    ai = replace(COMPLETE, purposes=["ai-model-training"], legal_bases=["gdpr-6-1-e"])
    found, outcome = findings(ai, [PERSONAL])
    assert outcome == "fail" and "minimisée" in rule(found, "ai-training")[0].message
    assert findings(replace(ai, minimised_version=True), [PERSONAL])[1] == "pass"
    assert findings(replace(ai, committee_decision="Délibération CTD 2026-07"),
                    [PERSONAL])[1] == "pass"
    # Without personal data, AI training passes this rule.
    assert findings(ai, [RESTRICTED])[1] == "pass"
    # A dataset the quality verdict excludes from AI training needs the committee.
    excluded = replace(RESTRICTED, ai_training="blocked")
    assert findings(replace(ai, minimised_version=True), [excluded])[1] == "fail"
    assert findings(replace(ai, committee_decision="Délibération CTD 2026-08"),
                    [excluded])[1] == "pass"


def test_hosting_must_be_declared_and_stays_in_the_eu_by_default():
    found, outcome = findings(replace(COMPLETE, hosting_country=None))
    assert outcome == "info" and rule(found, "hosting")[0].outcome == "info"
    found, outcome = findings(replace(COMPLETE, hosting_country="US"))
    assert outcome == "fail"
    assert "politique du comité" in rule(found, "hosting")[0].message
    assert "gdpr-48" in rule(found, "hosting")[0].anchors
    assert findings(replace(COMPLETE, hosting_country="NO"))[1] == "pass"  # EEA


def test_with_transfers_allowed_personal_data_need_a_transfer_basis():
    allowed = Policy(allow_transfers=True)
    personal = replace(COMPLETE, personal_data="personal", legal_bases=["gdpr-6-1-e"],
                       hosting_country="US")
    assert findings(personal, policy=allowed)[1] == "fail"
    with_sccs = replace(personal, legal_bases=["gdpr-6-1-e", "gdpr-46-2-c"])
    assert findings(with_sccs, policy=allowed)[1] == "pass"
    adequate = replace(personal, hosting_country="CH", legal_bases=["gdpr-6-1-e", "gdpr-45"])
    assert findings(adequate, policy=allowed)[1] == "pass"
    # Adequacy is no basis for a country without an adequacy decision.
    not_adequate = replace(personal, legal_bases=["gdpr-6-1-e", "gdpr-45"])
    assert findings(not_adequate, policy=allowed)[1] == "fail"
    # Non-personal data may go, under the DGA's conditions.
    found, outcome = findings(replace(COMPLETE, hosting_country="US"), policy=allowed)
    assert outcome == "pass" and rule(found, "hosting")[0].anchors == ("dga-5-9-12",)


def test_a_missing_subprocessor_list_asks_for_information():
    found, outcome = findings(replace(COMPLETE, subprocessors=None))
    assert outcome == "info"
    assert rule(found, "subprocessors")[0].anchors == ("gdpr-28-2", "gdpr-28-4")
    outside = replace(COMPLETE, subprocessors=[{"name": "Cloud US", "country": "US"}])
    found, outcome = findings(outside)
    assert outcome == "fail" and "Cloud US" in rule(found, "subprocessors")[0].message


def test_a_failure_outweighs_a_missing_piece():
    found, outcome = findings(replace(COMPLETE, hosting_country="US", subprocessors=None))
    assert outcome == "fail"
    assert "politique du comité" in precheck.reasons(found)
    assert "sous-traitants" not in precheck.reasons(found)


def test_every_anchor_resolves_to_a_link():
    everything = replace(COMPLETE, personal_data="special", hosting_country="US",
                         subprocessors=None, purposes=["ai-model-training"],
                         legal_bases=["gdpr-6-1-f"])
    found = precheck.run(everything, [OPEN, PERSONAL, SENSITIVE], Policy(allow_transfers=True))
    for finding in found:
        for anchor in finding.to_dict()["anchors"]:
            assert anchor["url"].startswith("https://") and anchor["label"]
