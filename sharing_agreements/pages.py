"""Pages of the sharing agreements: the public register (``/registre``), the requests a
person follows (``/demandes``: a vendor's own, a reviewer's queue), the access-request form
(``/demandes/nouvelle?jeu=<slug>``) and the form completing a request
(``/demandes/{id}/modifier``), a request's page with the actions its reader may take
(``/demandes/{id}``, each action a POST to ``/demandes/{id}/{action}``), and the agreement's
document for its parties (``/conventions/{id}``, ``.pdf``).

Every page calls the logic the JSON API calls (``requests``, ``agreements``, ``workflow``),
so what it shows — state, precheck, DGA deadline, the actions offered — is what the API
answers to the same person. A button is shown only when the API lists its action in the
request's ``actions``; the logic refuses it anyway when it is not allowed (wrong party,
wrong state), and the page then says why, in French, with the error's status.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from catalogue import auth
from catalogue import datasets as catalogue_datasets
from catalogue.api.deps import SessionDep, base_url
from catalogue.errors import CatalogueError, Conflict, Forbidden, NotFound, Unauthorized
from catalogue.models import Dataset, Organization
from catalogue.web.forms import errors_by_field
from catalogue.web.render import add_templates, error_page, render
from catalogue.web.routing import PageActor, Posted, page_router, refuse_forgery
from sharing_agreements import (
    agreements,
    document,
    precheck,
    register,
    requests,
    workflow,
)
from sharing_agreements import clauses as lib
from sharing_agreements import vocabularies as vocab
from sharing_agreements.api import AgreementId, RequestId
from sharing_agreements.clauses import PARIS
from sharing_agreements.document import PERSONAL_DATA, paris_time, upper_first
from sharing_agreements.models import AccessRequest, AccessRequestDataset
from sharing_agreements.schemas import (
    CounterOffer,
    Note,
    Reasons,
    RequestCreate,
    RequestTerms,
    SignIn,
)

router = page_router()
add_templates("sharing_agreements")

# States in which the next step is the reviewers' (their queue): a decision, a countersignature.
AWAITING_REVIEW = ("under_review", "signed")
OUTCOMES = {precheck.PASS: "conforme", precheck.FAIL: "bloquant",
            precheck.INFO: "complément demandé",
            precheck.NOT_NEEDED: "convention inutile (données ouvertes)"}
RULES = {"open-data": "Données ouvertes ou non", "do-not-share": "Analyse de qualité",
         "legal-basis": "Base légale", "special-categories": "Données particulières ou pénales",
         "ai-training": "Intelligence artificielle", "hosting": "Hébergement",
         "subprocessors": "Sous-traitants"}
DECLARATIONS = {
    "none": "Aucune donnée personnelle",
    "personal": "Des données personnelles",
    "special": "Des catégories particulières de données (santé, opinions, origine… — RGPD "
               "art. 9)",
    "criminal": "Des données relatives aux condamnations et aux infractions (RGPD art. 10)",
}
BASIS_GROUPS = {
    "personal": "Licéité du traitement (RGPD art. 6)",
    "special": "Catégories particulières (RGPD art. 9)",
    "criminal": "Données pénales (RGPD art. 10)",
    "transfer": "Transferts hors de l'Union européenne",
    "non_personal": "Réutilisation de données publiques",
}
# The form's fields as the request form names them (RequestCreate's), in French.
FIELDS = {
    "requester": "Organisation demandeuse", "title": "Objet de la demande",
    "description": "Description", "datasets": "Jeux de données", "purposes": "Finalités",
    "legal_bases": "Bases légales", "personal_data": "Données personnelles",
    "role": "Rôle", "hosting_country": "Pays d'hébergement", "hosting_provider": "Hébergeur",
    "hosting_qualification": "Qualification de l'hébergement",
    "subprocessors": "Sous-traitants", "dpia_reference": "Référence de l'analyse d'impact",
    "committee_decision": "Décision du comité", "minimised_version": "Version minimisée",
    "start": "Début de l'accès", "end": "Fin de l'accès",
    "max_requests": "Nombre maximal de requêtes", "max_bytes": "Volume maximal",
    "reasons": "Motifs", "note": "Observation", "add_clauses": "Clauses ajoutées",
    "agreement_hash": "Empreinte de la convention",
}
TEXT_FIELDS = ("requester", "title", "description", "personal_data", "role",
               "hosting_country", "hosting_provider", "hosting_qualification",
               "dpia_reference", "committee_decision", "start", "end", "max_requests",
               "max_bytes")
LIST_FIELDS = ("purposes", "legal_bases", "add_clauses")
LIST_MESSAGES = {"datasets": "Indiquez au moins un jeu de données.",
                 "purposes": "Choisissez au moins une finalité."}


# --- the public register -------------------------------------------------------------------

@router.get("/registre")
def register_page(request: Request, session: SessionDep, actor: PageActor):
    """The register as a French page, for citizens: what ``/api/v1/register`` gives."""
    rows = register.entries(session)
    for row in rows:
        row["last_day"] = date.fromisoformat(row["last_day"])
    return render(request, "registre.html", actor=actor, current="register", rows=rows,
                  refused=register.refusals(session))


# --- who may see what ----------------------------------------------------------------------

def sign_in_first(request: Request, why: str) -> Response:
    """The 401 page inviting the public to sign in."""
    return error_page(request, 401, f"Connectez-vous pour {why}.")


def _may_request(actor: auth.Actor) -> None:
    """The API's own check before a request is made (403 for anyone but a vendor)."""
    actor.require(actor.admin or bool(actor.vendor_of), "demander un accès (rôle vendor)")


# --- the requests a person follows ---------------------------------------------------------

def _day(instant: datetime | None) -> date | None:
    return instant.astimezone(PARIS).date() if instant else None


def _rows(session: Session, cases: list[AccessRequest], urgent: bool = False
          ) -> list[dict[str, Any]]:
    """Table rows for ``cases``: requester and datasets in two queries; for the queue
    (``urgent``) the DGA clock with days left, one query each."""
    ids = [c.id for c in cases]
    names = dict(session.exec(select(Organization.id, Organization.name).where(
        col(Organization.id).in_({c.requester_id for c in cases}))).all()) if cases else {}
    chosen: dict[int, list[dict[str, str]]] = defaultdict(list)
    if ids:
        for request_id, slug, title in session.exec(
                select(AccessRequestDataset.request_id, Dataset.slug, Dataset.title)
                .join(Dataset, col(Dataset.id) == AccessRequestDataset.dataset_id)
                .where(col(AccessRequestDataset.request_id).in_(ids)).order_by(Dataset.title)):
            chosen[request_id].append({"slug": slug, "title": title})
    rows = []
    for case in cases:
        clock = (workflow.deadline_status(session, case) if urgent
                 else {"deadline": workflow.dga_deadline(case)})
        rows.append({
            "id": case.id, "title": case.title, "state": case.state,
            "state_label": workflow.STATES[case.state], "requester": names.get(case.requester_id),
            "datasets": chosen[case.id], "first_day": _day(case.start),
            "last_day": lib.last_day(case.end), "submitted": _day(case.submitted),
            "dga": clock and {**clock, "deadline": _day(clock["deadline"])},
        })
    return rows


@router.get("/demandes")
def requests_page(request: Request, session: SessionDep, actor: PageActor):
    """A vendor's own requests; a reviewer's queue (awaiting their decision, most urgent
    first), then the other requests they review."""
    if actor.anonymous:
        return sign_in_first(request, "voir vos demandes d'accès et celles que vous instruisez")
    mine = queue = others = None
    if actor.vendor_of:
        mine = _rows(session, requests.list_for(session, actor, role="requester"))
    if actor.admin or actor.publisher_of or actor.coordinator_of:
        reviewed = requests.list_for(session, actor, role="reviewer")
        queue = _rows(session, [c for c in reviewed if c.state in AWAITING_REVIEW], urgent=True)
        queue.sort(key=lambda row: row["dga"]["deadline"] if row["dga"] else date.max)
        others = _rows(session, [c for c in reviewed if c.state not in AWAITING_REVIEW])
    return render(request, "demandes.html", actor=actor, current="requests", mine=mine,
                  queue=queue, others=others,
                  may_request=actor.admin or bool(actor.vendor_of))


# --- the access-request form ---------------------------------------------------------------

def _sort_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@cache
def choices() -> dict[str, Any]:
    """The form's options, from the vocabularies (French labels)."""
    countries = sorted(vocab.countries().values(), key=lambda c: _sort_key(c.label))
    bases: dict[str, list[vocab.LegalBasis]] = {kind: [] for kind in BASIS_GROUPS}
    for basis in vocab.legal_bases().values():
        bases[basis.kind].append(basis)
    return {
        "purposes": list(vocab.purposes().values()),
        "bases": [(BASIS_GROUPS[kind], kind, items) for kind, items in bases.items() if items],
        "declarations": DECLARATIONS,
        "roles": list(vocab.roles().values()),
        "eea": [c for c in countries if c.eea],
        "elsewhere": [c for c in countries if not c.eea],
        "qualifications": list(vocab.qualifications().values()),
        "clauses": list(lib.library().values()),
    }


def _requesters(session: Session, actor: auth.Actor) -> list[Organization]:
    """The organisations the actor may request for, when there is a choice to make."""
    if len(actor.vendor_of) == 1:
        return []
    query = select(Organization).order_by(Organization.name)
    if not actor.admin:
        query = query.where(col(Organization.id).in_(actor.vendor_of))
    return list(session.exec(query))


def _form_page(request: Request, session: Session, actor: auth.Actor, values: dict[str, Any],
               errors: dict[str, str] | None = None, status: int = 200,
               case: AccessRequest | None = None) -> Response:
    """The form: a new request, or ``case`` to complete."""
    jeu = None
    slugs = _lines(values.get("datasets", ""))
    if len(slugs) == 1 and case is None:
        with contextlib.suppress(NotFound):
            jeu = catalogue_datasets.find(session, actor, slugs[0])
    return render(request, "demande_formulaire.html", status=status, actor=actor,
                  current="requests", values=values, errors=errors or {}, jeu=jeu,
                  case=case, labels=FIELDS, states=workflow.STATES,
                  requesters=[] if case else _requesters(session, actor), **choices())


@router.get("/demandes/nouvelle")
def request_form(request: Request, session: SessionDep, actor: PageActor,
                 jeu: Annotated[str | None, Query(max_length=200)] = None):
    """The access-request form; ``?jeu=<slug>`` fills in the dataset."""
    if actor.anonymous:
        return sign_in_first(request, "demander l'accès à un jeu de données")
    _may_request(actor)
    values = {"datasets": (jeu or "").strip(), "personal_data": "none", "role": "controller",
              "start": date.today().isoformat(), "purposes": [], "legal_bases": []}
    return _form_page(request, session, actor, values)


def _lines(text: str) -> list[str]:
    """Items one per line (or separated by commas or spaces), blanks dropped."""
    return [item for item in text.replace(",", " ").split() if item]


def kept(form: FormData) -> dict[str, Any]:
    """An action's fields as posted, to show them again."""
    return {name: form.getlist(name) if name in LIST_FIELDS else str(form.get(name) or "")
            for name in form}


def form_values(form: FormData) -> dict[str, Any]:
    """What was typed, as typed: shown again when the form comes back with errors."""
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in (
        *TEXT_FIELDS, "datasets", "subprocessors", "subprocessors_declared", "note")}
    for name in LIST_FIELDS:
        values[name] = [str(v) for v in form.getlist(name)]
    values["minimised_version"] = bool(form.get("minimised_version"))
    return values


def _subprocessors(values: dict[str, Any]) -> tuple[list[dict[str, str]] | None, str | None]:
    """The declared sub-processors (« nom ; pays » a line), or None when not declared."""
    declared = values["subprocessors_declared"]
    if declared == "none":
        return [], None
    if declared != "list":
        return None, None
    found = []
    for number, line in enumerate(values["subprocessors"].splitlines(), start=1):
        if not line.strip():
            continue
        name, separator, country = line.rpartition(";")
        if not separator or not name.strip() or not country.strip():
            return None, (f"Ligne {number} : écrivez « nom ; code du pays », par exemple "
                          "« OVHcloud ; FR ».")
        found.append({"name": name.strip(), "country": country.strip()})
    if not found:
        return None, "Indiquez au moins un sous-traitant, ou choisissez « aucun »."
    return found, None


def _payload(values: dict[str, Any], clear: bool = False
             ) -> tuple[dict[str, Any], dict[str, str]]:
    """The request as RequestCreate (or RequestTerms) takes it, and the errors found on the
    way. A blank field is left out, or with ``clear`` emptied when it may be."""
    payload: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS if values[name]}
    if clear:
        payload |= {name: None for name in TEXT_FIELDS
                    if not values[name] and name in requests.NULLABLE}
    payload |= {"datasets": _lines(values["datasets"]), "purposes": values["purposes"],
                "legal_bases": values["legal_bases"],
                "minimised_version": values["minimised_version"]}
    subprocessors, problem = _subprocessors(values)
    if subprocessors is not None:
        payload["subprocessors"] = subprocessors
    return payload, {"subprocessors": problem} if problem else {}


def form_errors(error: ValidationError | CatalogueError) -> dict[str, str]:
    """Field → French message; the model's own checks go to the end of the period, the
    only one RequestCreate has."""
    found = errors_by_field(error, fields=FIELDS, empty=LIST_MESSAGES, lines={"subprocessors"})
    if isinstance(error, ValidationError) and "" in found:
        found.setdefault("end", found.pop(""))
    return found


@router.post("/demandes/nouvelle")
def create_request(request: Request, session: SessionDep, actor: PageActor, form: Posted):
    """Create the request and submit it, as a client of the API would (POST then submit)."""
    if refused := refuse_forgery(request, str(form.get("csrf") or "")):
        return refused
    if actor.anonymous:
        return sign_in_first(request, "demander l'accès à un jeu de données")
    _may_request(actor)
    values = form_values(form)
    payload, errors = _payload(values)
    try:
        data = RequestCreate.model_validate(payload)
    except ValidationError as error:
        errors = form_errors(error) | errors
    if errors:
        return _form_page(request, session, actor, values, errors, status=422)
    try:
        case = requests.create(session, actor, data)
        requests.submit(session, actor, case)
    except (Unauthorized, Forbidden):
        raise
    except CatalogueError as error:
        session.rollback()
        return _form_page(request, session, actor, values, form_errors(error),
                          status=error.status)
    session.commit()
    return RedirectResponse(f"/demandes/{case.id}?fait=submit", status_code=303)


# --- completing a request ------------------------------------------------------------------

def editable(actor: auth.Actor, case: AccessRequest) -> bool:
    """Whether ``requests.update`` would let the actor change the request's terms now."""
    return case.state in requests.EDITABLE and \
        workflow.REQUESTER in workflow.parties(actor, case)


def stored_values(session: Session, case: AccessRequest) -> dict[str, Any]:
    """The form's fields filled in from the request."""
    subs = case.subprocessors
    return {
        "title": case.title, "description": case.description,
        "datasets": "\n".join(d.slug for d in requests.datasets_of(session, case)),
        "purposes": case.purposes, "legal_bases": case.legal_bases,
        "personal_data": case.personal_data, "role": case.role,
        "hosting_country": case.hosting_country or "",
        "hosting_provider": case.hosting_provider or "",
        "hosting_qualification": case.hosting_qualification or "",
        "subprocessors_declared": "" if subs is None else "list" if subs else "none",
        "subprocessors": "\n".join(f"{s['name']} ; {s['country']}" for s in subs or []),
        "dpia_reference": case.dpia_reference or "",
        "committee_decision": case.committee_decision or "",
        "minimised_version": case.minimised_version,
        "start": _day(case.start).isoformat(), "end": lib.last_day(case.end).isoformat(),
        "max_requests": case.max_requests or "", "max_bytes": case.max_bytes or "",
        "note": "",
    }


def _editable_case(session: Session, actor: auth.Actor, request_id: int) -> AccessRequest:
    case = requests.find(session, actor, request_id)
    if not editable(actor, case):
        actor.require(workflow.REQUESTER in workflow.parties(actor, case),
                      f"modifier la demande n° {case.id}")
        raise Conflict(f"La demande n° {case.id} est « {workflow.STATES[case.state]} » : elle "
                       "ne se modifie plus.")
    return case


@router.get("/demandes/{request_id}/modifier")
def edit_form(request_id: RequestId, request: Request, session: SessionDep, actor: PageActor):
    """The form filled in from a draft, or from a request the reviewers asked more of."""
    if actor.anonymous:
        return sign_in_first(request, "modifier une demande d'accès")
    case = _editable_case(session, actor, request_id)
    return _form_page(request, session, actor, stored_values(session, case), case=case)


@router.post("/demandes/{request_id}/modifier")
def edit_request(request_id: RequestId, request: Request, session: SessionDep,
                 actor: PageActor, form: Posted):
    """Change the terms (the API's PATCH), then submit a draft or answer the reviewers'
    question (the precheck runs again). The change stays even when something is still
    missing, as with the API's two calls."""
    if refused := refuse_forgery(request, str(form.get("csrf") or "")):
        return refused
    if actor.anonymous:
        return sign_in_first(request, "modifier une demande d'accès")
    case = _editable_case(session, actor, request_id)
    values = form_values(form)
    payload, errors = _payload(values, clear=True)
    try:
        data = RequestTerms.model_validate(payload)
    except ValidationError as error:
        errors = form_errors(error) | errors
    if errors:
        return _form_page(request, session, actor, values, errors, status=422, case=case)
    try:
        requests.update(session, actor, case, data)
    except (Unauthorized, Forbidden):
        raise
    except CatalogueError as error:
        session.rollback()
        return _form_page(request, session, actor, values, form_errors(error),
                          status=error.status, case=case)
    session.commit()
    done = "submit" if case.state == "draft" else "answer"
    try:
        if done == "submit":
            requests.submit(session, actor, case)
        else:
            requests.answer(session, actor, case, values["note"])
    except CatalogueError as error:
        session.rollback()
        return _form_page(request, session, actor, values, {"": error.detail},
                          status=error.status, case=case)
    session.commit()
    return RedirectResponse(f"/demandes/{case.id}?fait={done}", status_code=303)


# --- a request and its actions -------------------------------------------------------------

def _decide(action: str) -> Callable[..., object]:
    return lambda session, actor, case, data: requests.decide(session, actor, case, action,
                                                                data.reasons)


@dataclass(frozen=True)
class Action:
    """An action's button, what it asks for (``schema``, as the API's route takes it), the
    logic it calls (the API route's), and the confirmation shown after it."""

    button: str
    done: str
    run: Callable[[Session, auth.Actor, AccessRequest, Any], object]
    schema: type[BaseModel] | None = None
    # The label of the text it asks for (reasons or a note).
    prompt: str = ""
    hint: str = ""

    @property
    def kind(self) -> str:
        return {Reasons: "reasons", Note: "note", SignIn: "sign",
                CounterOffer: "counter_offer"}.get(self.schema, "plain")


PUBLISHED = "Le demandeur les lira ; un refus et ses motifs sont publiés au registre."
ACTIONS: dict[str, Action] = {
    "submit": Action("Soumettre", "La demande est soumise : la vérification préalable a "
                     "été faite (voir son résultat ci-dessous).",
                     lambda s, a, c, d: requests.submit(s, a, c)),
    "answer": Action("Répondre", "Votre réponse est transmise : la demande revient en "
                     "instruction.", lambda s, a, c, d: requests.answer(s, a, c, d.note),
                     Note, "Votre réponse", "Ce que vous avez complété ou précisé."),
    "request_info": Action("Demander des compléments", "La demande de compléments est "
                           "envoyée au demandeur.", _decide("request_info"), Reasons,
                           "Compléments demandés", "Ce qui manque pour décider. " + PUBLISHED),
    "counter_offer": Action("Faire une contre-proposition", "La contre-proposition est "
                            "envoyée au demandeur.",
                            lambda s, a, c, d: requests.counter_offer(s, a, c, d),
                            CounterOffer, "Motifs de la contre-proposition", PUBLISHED),
    "accept_counter_offer": Action("Accepter la contre-proposition", "Vous avez accepté la "
                                   "contre-proposition : la demande est soumise de nouveau.",
                                   lambda s, a, c, d: requests.accept_counter_offer(s, a, c)),
    "reject": Action("Refuser", "La demande est refusée ; les motifs sont publiés au registre.",
                     _decide("reject"), Reasons, "Motifs du refus", PUBLISHED),
    "approve": Action("Approuver", "La demande est approuvée : la convention est établie et "
                      "attend la signature du demandeur.",
                      lambda s, a, c, d: agreements.approve(s, a, c, d.note), Note,
                      "Observation (facultative)", "Jointe à l'historique de la demande."),
    "sign": Action("Signer", "Vous avez signé la convention : elle attend la contresignature "
                   "de la collectivité.",
                   lambda s, a, c, d: agreements.sign(s, a, c, d.agreement_hash), SignIn),
    "countersign": Action("Contresigner", "La convention est contresignée : elle est en "
                          "vigueur.",
                          lambda s, a, c, d: agreements.countersign(s, a, c, d.agreement_hash),
                          SignIn),
    "suspend": Action("Suspendre", "La convention est suspendue.", _decide("suspend"),
                      Reasons, "Motifs de la suspension", PUBLISHED),
    "resume": Action("Rétablir", "La convention est de nouveau en vigueur.",
                     lambda s, a, c, d: agreements.resume(s, a, c, d.note), Note,
                     "Observation (facultative)", "Jointe à l'historique de la demande."),
    "revoke": Action("Résilier", "La convention est résiliée : le certificat de suppression "
                     "est attendu.", lambda s, a, c, d: agreements.revoke(s, a, c, d.reasons),
                     Reasons, "Motifs de la résiliation", PUBLISHED),
    "close": Action("Clore", "La convention est close.",
                    lambda s, a, c, d: agreements.close(s, a, c, d.note), Note,
                    "Observation (facultative)", "Jointe à l'historique de la demande."),
    "withdraw": Action("Retirer", "La demande est retirée.", _decide("withdraw"), Reasons,
                       "Motif du retrait", "Le motif est joint à l'historique de la demande."),
}


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _basis(term: str) -> dict[str, str]:
    basis = vocab.legal_basis(term)
    return {"article": basis.article, "label": basis.label, "url": basis.url}


def request_view(session: Session, actor: auth.Actor, case: AccessRequest) -> dict[str, Any]:
    """The API's answer for this reader (``requests.to_out``), with French labels."""
    out = requests.to_out(session, actor, case)
    dga = out["dga"]
    country = out["hosting"]["country"]
    qualification = out["hosting"]["qualification"]
    return {
        "out": out,
        "requester": session.get(Organization, case.requester_id).name,
        "datasets": requests.datasets_of(session, case),
        "purposes": [vocab.purpose(p) for p in out["purposes"]],
        "legal_bases": [_basis(b) for b in out["legal_bases"]],
        "personal_data": PERSONAL_DATA.get(out["personal_data"], out["personal_data"]),
        "role": vocab.role(out["role"]).label,
        "country": vocab.country(country).label if country else None,
        "qualification": vocab.qualification(qualification).label if qualification else None,
        "first_day": _day(case.start), "last_day": lib.last_day(case.end),
        "max_bytes": lib.french_bytes(out["max_bytes"]) if out["max_bytes"] else None,
        "clauses": [lib.clause(c) for c in out["clauses"]],
        "precheck": [{**f, "rule_label": RULES.get(f["rule"], f["rule"]),
                      "outcome_label": OUTCOMES.get(f["outcome"], f["outcome"])}
                     for f in out["precheck"] or []],
        "dga": dga and {**dga, "deadline": paris_time(_instant(dga["deadline"])),
                        "decided": dga["decided"] and paris_time(_instant(dga["decided"]))},
        "events": [{**e, "time": paris_time(_instant(e["time"])),
                    "label": upper_first(workflow.TRANSITIONS[e["action"]].label),
                    "from_label": workflow.STATES.get(e["from"], e["from"]),
                    "to_label": workflow.STATES.get(e["to"], e["to"])}
                   for e in out["events"]],
        "submitted": _day(case.submitted),
        "actions": [(name, ACTIONS[name]) for name in ACTIONS if name in out["actions"]],
        "can_grant": case.state == "active"
        and workflow.REQUESTER in workflow.parties(actor, case),
        "can_edit": editable(actor, case),
    }


def request_page(request: Request, session: Session, actor: auth.Actor, case: AccessRequest,
                 *, status: int = 200, **context: Any) -> Response:
    """The request's page; ``context`` may carry ``done`` (a confirmation), ``error``,
    ``failed`` (the action that failed), ``field_errors``, ``values`` and ``token``."""
    return render(request, "demande.html", status=status, actor=actor, current="requests",
                  r=request_view(session, actor, case), clause_library=choices()["clauses"],
                  labels=FIELDS,
                  **{"done": None, "error": None, "failed": None, "field_errors": {},
                     "values": {}, "token": None, **context})


# --- the agreement's document, for a signed-in party ---------------------------------------
# The API's document routes read a bearer token, which a browser does not send: these serve
# the same document (the API's own arguments) to the page's session.

@router.get("/conventions/{agreement_id}.pdf")
def agreement_pdf(agreement_id: AgreementId, request: Request, session: SessionDep,
                  actor: PageActor):
    if actor.anonymous:
        return sign_in_first(request, "lire une convention")
    pdf = document.render_pdf(**agreements.document_inputs(session, actor, agreement_id,
                                                           base_url(request)))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="convention-{agreement_id}.pdf"'})


@router.get("/conventions/{agreement_id}")
def agreement_html(agreement_id: AgreementId, request: Request, session: SessionDep,
                   actor: PageActor):
    if actor.anonymous:
        return sign_in_first(request, "lire une convention")
    return HTMLResponse(document.render_html(**agreements.document_inputs(
        session, actor, agreement_id, base_url(request))))


@router.get("/demandes/{request_id}")
def request_detail(request_id: RequestId, request: Request, session: SessionDep,
                   actor: PageActor, fait: Annotated[str | None, Query(max_length=40)] = None):
    if actor.anonymous:
        return sign_in_first(request, "voir une demande d'accès")
    case = requests.find(session, actor, request_id)
    done = ACTIONS[fait].done if fait in ACTIONS else None
    return request_page(request, session, actor, case, done=done)


def _action_payload(form: FormData, schema: type[BaseModel]) -> dict[str, Any]:
    """The schema's fields from the form: lists as lists, blank values left out."""
    payload: dict[str, Any] = {}
    for name in schema.model_fields:
        if name in LIST_FIELDS:
            payload[name] = [str(v) for v in form.getlist(name)]
        elif str(form.get(name) or "").strip():
            payload[name] = str(form.get(name)).strip()
    return payload


@router.post("/demandes/{request_id}/grant")
def grant(request_id: RequestId, request: Request, session: SessionDep, actor: PageActor,
          form: Posted):
    """A grant token for the agreement's files, shown once on the page (not redirected)."""
    if refused := refuse_forgery(request, str(form.get("csrf") or "")):
        return refused
    if actor.anonymous:
        return sign_in_first(request, "obtenir un jeton d'accès")
    case = requests.find(session, actor, request_id)
    try:
        _, token = agreements.issue_grant(session, actor, case)
    except CatalogueError as error:
        session.rollback()
        return request_page(request, session, actor, case, status=error.status,
                            error=error.detail, failed="grant")
    session.commit()
    return request_page(request, session, actor, case, token=token)


@router.post("/demandes/{request_id}/{action}")
def act(request_id: RequestId, action: str, request: Request, session: SessionDep,
        actor: PageActor, form: Posted):
    """One action of the workflow (the API's ``/{action}`` route, hyphens and all), then back
    to the request's page with a confirmation; a refusal comes back on the page."""
    if refused := refuse_forgery(request, str(form.get("csrf") or "")):
        return refused
    if actor.anonymous:
        return sign_in_first(request, "agir sur une demande d'accès")
    name = action.replace("-", "_")
    if name not in ACTIONS:
        raise NotFound(f"Action inconnue : « {action} ».")
    case = requests.find(session, actor, request_id)
    chosen = ACTIONS[name]
    data = None
    if chosen.schema is not None:
        try:
            data = chosen.schema.model_validate(_action_payload(form, chosen.schema))
        except ValidationError as error:
            found = form_errors(error)
            return request_page(request, session, actor, case, status=422, failed=name,
                                error=" ".join(f"{FIELDS.get(f, f)} : {m}"
                                               for f, m in found.items()),
                                field_errors=found, values=kept(form))
    try:
        chosen.run(session, actor, case, data)
    except CatalogueError as error:
        session.rollback()
        return request_page(request, session, actor, case, status=error.status,
                            error=error.detail, failed=name, values=kept(form))
    session.commit()
    return RedirectResponse(f"/demandes/{case.id}?fait={name}", status_code=303)

