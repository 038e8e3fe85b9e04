"""The precheck of an access request: rules run when it is submitted, each answering with its
legal anchors, before any person reviews it. Plain logic on plain facts, no database.

Outcomes of a rule: ``pass``; ``fail`` (the request cannot be granted as it stands: it is
rejected, with the reasons published); ``info`` (something the requester must supply: the
request goes to ``info_requested``); ``not_needed`` (an open dataset: no agreement is needed,
the licence says how to reuse it). ``outcome(findings)`` combines them: any ``fail`` rejects,
then every dataset ``not_needed`` rejects with the licences to follow, then any ``info``
asks for information, else the request goes to review.

Personal data are what the requester declares, or what the datasets' quality verdicts found
(``categories`` of the detectors; a category ``possible`` alone does not count): the worse
of the two applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from catalogue.vocabularies import ACCESS_TYPE_LABELS
from sharing_agreements import vocabularies as vocab

PASS, FAIL, INFO, NOT_NEEDED = "pass", "fail", "info", "not_needed"
# Detector categories that make a dataset hold personal data, and the special ones.
PERSONAL_CATEGORIES = frozenset({"identifier", "direct", "quasi", "sensitive"})
SPECIAL_CATEGORIES = frozenset({"sensitive"})
DECLARATIONS = ("none", "personal", "special", "criminal")
# Organisation kinds that are public authorities (GDPR art. 6(1), last subparagraph).
PUBLIC_KINDS = frozenset({"commune", "epci", "departement", "region", "syndicat", "opsn",
                          "state_service", "committee"})
TRANSFER_BASES = ("gdpr-45", "gdpr-46-2-c")


@dataclass(frozen=True)
class DatasetFacts:
    slug: str
    title: str
    access_type: str
    licence: str
    licence_title: str
    licence_url: str | None
    licence_open: bool
    # Declared in the dataset's metadata: yes, no or unknown.
    contains_personal_data: str = "unknown"
    # From the quality verdict (None: never scored).
    verdict: str | None = None
    ai_training: str | None = None
    categories: frozenset[str] = frozenset()

    @property
    def open(self) -> bool:
        """Reusable without agreement: open access, open licence, a verdict that agrees."""
        return (self.access_type == "open" and self.licence_open
                and self.verdict in (None, "open"))

    @property
    def personal(self) -> bool:
        return self.contains_personal_data == "yes" or bool(
            self.categories & PERSONAL_CATEGORIES)


@dataclass(frozen=True)
class RequestFacts:
    purposes: Sequence[str]
    legal_bases: Sequence[str]
    personal_data: str = "none"
    requester_kind: str = "company"
    hosting_country: str | None = None
    # None: not declared; each item has a "name" and a "country".
    subprocessors: Sequence[dict[str, Any]] | None = None
    dpia_reference: str | None = None
    committee_decision: str | None = None
    minimised_version: bool = False


@dataclass(frozen=True)
class Policy:
    """The committee's policy the rules apply: whether personal data may be hosted outside
    the EU/EEA at all (with a transfer basis), which ctd refuses by default."""

    allow_transfers: bool = False


@dataclass(frozen=True)
class Finding:
    rule: str
    outcome: str
    message: str
    anchors: tuple[str, ...] = ()
    dataset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome, "message": self.message,
                "anchors": [anchor(a) for a in self.anchors], "dataset": self.dataset}


@dataclass
class _Findings:
    items: list[Finding] = field(default_factory=list)

    def add(self, rule: str, outcome: str, message: str, *anchors: str,
            dataset: str | None = None) -> None:
        self.items.append(Finding(rule, outcome, message, anchors, dataset))


def anchor(term: str) -> dict[str, str]:
    """A legal anchor's id, label and URL (a reference or a legal basis)."""
    try:
        ref = vocab.reference(term)
        return {"id": ref.id, "label": ref.label, "url": ref.url}
    except vocab.UnknownTerm:
        basis = vocab.legal_basis(term)
        return {"id": basis.id, "label": f"{basis.article} — {basis.label}", "url": basis.url}


def run(request: RequestFacts, datasets: Sequence[DatasetFacts],
        policy: Policy = Policy()) -> list[Finding]:
    """Every rule's findings on a request for ``datasets``."""
    found = _Findings()
    _open_data(found, datasets)
    _do_not_share(found, datasets)
    personal, special = personal_involved(request, datasets)
    _legal_basis(found, request, personal)
    _special(found, request, special)
    _ai_training(found, request, datasets, personal)
    _hosting(found, request, personal, policy)
    _subprocessors(found, request, personal, policy)
    return found.items


def outcome(findings: Sequence[Finding]) -> str:
    """``fail``, ``not_needed``, ``info`` or ``pass`` (see the module's docstring)."""
    outcomes = {f.outcome for f in findings}
    if FAIL in outcomes:
        return FAIL
    open_rule = [f for f in findings if f.rule == "open-data"]
    if open_rule and all(f.outcome == NOT_NEEDED for f in open_rule):
        return NOT_NEEDED
    return INFO if INFO in outcomes else PASS


def reasons(findings: Sequence[Finding]) -> str:
    """The published reasons of the combined outcome: its findings' messages."""
    result = outcome(findings)
    wanted = {FAIL: FAIL, NOT_NEEDED: NOT_NEEDED, INFO: INFO}.get(result)
    return "\n".join(f.message for f in findings if f.outcome == wanted)


def personal_involved(request: RequestFacts, datasets: Sequence[DatasetFacts]) -> tuple[bool, str]:
    """Whether personal data are involved, and the special kind: "", "special", "criminal"
    or "special+criminal"."""
    declared = request.personal_data
    found_special = any(d.categories & SPECIAL_CATEGORIES for d in datasets)
    special = {"special"} if declared == "special" or found_special else set()
    if declared == "criminal":
        special.add("criminal")
    personal = declared != "none" or any(d.personal for d in datasets)
    return personal, "+".join(sorted(special))


def _open_data(found: _Findings, datasets: Sequence[DatasetFacts]) -> None:
    for d in datasets:
        if d.open:
            where = f" ({d.licence_url})" if d.licence_url else ""
            found.add("open-data", NOT_NEEDED,
                      f"« {d.title} » est en données ouvertes sous {d.licence_title}{where} : "
                      "il se réutilise librement selon cette licence, sans convention.",
                      "crpa-l321-1", "crpa-l323-2", dataset=d.slug)
        else:
            access = ACCESS_TYPE_LABELS.get(d.access_type, d.access_type)
            found.add("open-data", PASS, f"« {d.title} » n'est pas en données ouvertes "
                      f"(accès {access}, licence {d.licence_title}) : une convention "
                      "est nécessaire.", "dga-5", dataset=d.slug)


def _do_not_share(found: _Findings, datasets: Sequence[DatasetFacts]) -> None:
    for d in datasets:
        if d.verdict == "do_not_share":
            found.add("do-not-share", FAIL,
                      f"« {d.title} » : l'analyse de qualité conclut « ne pas partager » "
                      "(identifiants directs bloquants ou données sensibles à côté "
                      "d'identifiants) ; aucun partage n'est possible avant minimisation.",
                      "gdpr-5-1-c", dataset=d.slug)


def _legal_basis(found: _Findings, request: RequestFacts, personal: bool) -> None:
    if not personal:
        found.add("legal-basis", PASS, "Aucune donnée personnelle n'est en jeu : pas de base "
                  "légale RGPD à fournir.", "dga-5")
        return
    bases = [vocab.legal_basis(b) for b in request.legal_bases]
    lawful = [b for b in bases if b.id.startswith("gdpr-6-1-")]
    if not lawful:
        found.add("legal-basis", FAIL, "Des données personnelles sont en jeu : la demande doit "
                  "indiquer une base légale de l'article 6(1) du RGPD.", "gdpr-6-1")
        return
    purposes = [vocab.purpose(p) for p in request.purposes]
    public = request.requester_kind in PUBLIC_KINDS or any(p.on_behalf for p in purposes)
    refused = [b for b in lawful if not b.public_authority]
    if refused and public:
        found.add("legal-basis", FAIL, "L'intérêt légitime (RGPD art. 6(1)(f)) ne peut pas "
                  "fonder un traitement effectué par une autorité publique ou pour son compte "
                  "dans l'exécution de ses missions : choisissez une autre base.", "gdpr-6-1")
    elif refused and len(lawful) == len(refused):
        found.add("legal-basis", PASS, "Base légale : intérêt légitime (RGPD art. 6(1)(f)) ; "
                  "la mise en balance des intérêts sera examinée.", "gdpr-6-1")
    else:
        found.add("legal-basis", PASS, "Base légale : " + ", ".join(
            b.article for b in lawful) + ".", "gdpr-6-1")


def _special(found: _Findings, request: RequestFacts, special: str) -> None:
    if "special" in special:
        exceptions = [b for b in request.legal_bases if b.startswith("gdpr-9-2-")]
        if not exceptions:
            found.add("special-categories", FAIL, "Des données de catégorie particulière "
                      "(santé, opinions, origine…) sont en jeu : une exception de l'article "
                      "9(2) du RGPD est requise.", "gdpr-9")
        elif not (request.dpia_reference or "").strip():
            found.add("special-categories", INFO, "Des données de catégorie particulière sont "
                      "en jeu : indiquez la référence de l'analyse d'impact (AIPD).", "gdpr-35")
        else:
            found.add("special-categories", PASS, f"Exception de l'article 9(2) et analyse "
                      f"d'impact « {request.dpia_reference} » fournies.", "gdpr-9", "gdpr-35")
    if "criminal" in special:
        if "gdpr-10" in request.legal_bases:
            found.add("special-categories", PASS, "Données pénales : traitement fondé sur "
                      "l'article 10 du RGPD.", "gdpr-10")
        else:
            found.add("special-categories", FAIL, "Des données relatives aux condamnations et "
                      "infractions sont en jeu : l'article 10 du RGPD doit être invoqué.",
                      "gdpr-10")


def _ai_training(found: _Findings, request: RequestFacts, datasets: Sequence[DatasetFacts],
                 personal: bool) -> None:
    ai = [vocab.purpose(p) for p in request.purposes if vocab.purpose(p).ai]
    if not ai:
        return
    decision = (request.committee_decision or "").strip()
    blocked = [d for d in datasets if d.ai_training == "blocked"]
    if blocked and not decision:
        found.add("ai-training", FAIL, "L'analyse de qualité exclut l'entraînement d'IA sur "
                  + ", ".join(f"« {d.title} »" for d in blocked)
                  + " ; seule une décision explicite du comité peut l'autoriser.",
                  "gdpr-5-1-c", "ai-act-10")
    elif personal and not (request.minimised_version or decision):
        found.add("ai-training", FAIL, "Une finalité d'IA sur des données personnelles exige "
                  "la version minimisée des données ou une décision explicite du comité.",
                  "gdpr-5-1-c", "ai-act-10")
    else:
        how = (f"décision du comité « {decision} »" if decision
               else "version minimisée" if personal else "aucune donnée personnelle")
        found.add("ai-training", PASS, f"Finalité d'IA admise : {how}.", "ai-act-10")


def _outside(found: _Findings, rule: str, what: str, code: str, request: RequestFacts,
             personal: bool, policy: Policy) -> None:
    """A place of hosting or processing outside the EU/EEA."""
    country = vocab.country(code)
    if not policy.allow_transfers:
        found.add(rule, FAIL, f"{what} hors de l'Union européenne ({country.label}) : refusé "
                  "par la politique du comité (hébergement en France ou dans l'UE exigé).",
                  "gdpr-ch-5", "gdpr-48", "cloud-doctrine")
        return
    bases = set(request.legal_bases)
    if not personal:
        found.add(rule, PASS, f"{what} en {country.label} : données non personnelles, "
                  "conditions de l'article 5 du DGA applicables.", "dga-5-9-12")
    elif "gdpr-46-2-c" in bases or ("gdpr-45" in bases and country.transfer_free):
        found.add(rule, PASS, f"{what} en {country.label} : transfert fondé sur "
                  + ("une décision d'adéquation (art. 45)" if "gdpr-46-2-c" not in bases
                     else "des clauses contractuelles types (art. 46(2)(c))") + ".",
                  *TRANSFER_BASES)
    else:
        found.add(rule, FAIL, f"{what} en {country.label} : des données personnelles ne peuvent "
                  "y être transférées sans décision d'adéquation (art. 45) ni clauses "
                  "contractuelles types (art. 46(2)(c)).", *TRANSFER_BASES)


def _hosting(found: _Findings, request: RequestFacts, personal: bool, policy: Policy) -> None:
    if not request.hosting_country:
        found.add("hosting", INFO, "Indiquez le pays où les données seront hébergées et "
                  "traitées.", "gdpr-ch-5")
        return
    code = vocab.country_code(request.hosting_country)
    if vocab.country(code).eea:
        found.add("hosting", PASS, f"Hébergement en {vocab.country(code).label} (EEE).",
                  "gdpr-ch-5")
    else:
        _outside(found, "hosting", "Hébergement", code, request, personal, policy)


def _subprocessors(found: _Findings, request: RequestFacts, personal: bool,
                   policy: Policy) -> None:
    if request.subprocessors is None:
        found.add("subprocessors", INFO, "Fournissez la liste des sous-traitants (liste vide "
                  "s'il n'y en a aucun), avec leur pays.", "gdpr-28-2", "gdpr-28-4")
        return
    outside = False
    for sub in request.subprocessors:
        code = vocab.country_code(sub["country"])
        if not vocab.country(code).eea:
            outside = True
            _outside(found, "subprocessors", f"Sous-traitant « {sub['name']} »", code, request,
                     personal, policy)
    if not outside:
        names = ", ".join(s["name"] for s in request.subprocessors) or "aucun"
        found.add("subprocessors", PASS, f"Sous-traitants déclarés : {names}.", "gdpr-28-2")
