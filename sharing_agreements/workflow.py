"""The state machine of an access request and of the agreement it leads to, enforced here:
a request's ``state`` changes only through ``move``, which checks that the transition exists
from the current state and that the actor plays the party it belongs to, records the event
and writes it to the access log (so the case's history is as tamper-evident as the accesses).

::

    draft → submitted → precheck → rejected | info_requested | under_review
    under_review ⇄ info_requested;  under_review → counter_offered → submitted | withdrawn
    under_review → rejected (reasons published) | approved → signed → active
    active ⇄ suspended;  active → expired;  active | suspended → revoked
    expired | revoked → closing → closed;  anything before active → withdrawn

Parties: the ``requester`` (a vendor of the requesting organisation), the ``reviewer`` (a
publisher of the organisation publishing every dataset asked for, or the coordinator of the
committee when the datasets come from several members), and the ``system`` (ctd itself:
the precheck, ``ctd agreements check``). An administrator may act as either person.

Two transitions go beyond the design note's diagram, named for what they do:
``fail_precheck`` also leaves ``info_requested`` (an answer that makes the request
unlawful), and ``supersede`` closes an agreement an amendment replaced.

The Data Governance Act's deadline (art. 9: two months, thirty more days for a complex
case) runs from the first submission to the decision (approval or rejection).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from catalogue.auth import Actor
from catalogue.errors import Conflict
from catalogue.models import utcnow
from sharing_agreements import log
from sharing_agreements.models import AccessRequest, RequestEvent

REQUESTER, REVIEWER, SYSTEM = "requester", "reviewer", "system"

STATES: dict[str, str] = {
    "draft": "brouillon",
    "submitted": "soumise",
    "precheck": "en vérification préalable",
    "under_review": "en instruction",
    "info_requested": "compléments demandés",
    "counter_offered": "contre-proposition",
    "approved": "approuvée",
    "signed": "signée par le demandeur",
    "active": "en vigueur",
    "suspended": "suspendue",
    "expired": "échue",
    "revoked": "résiliée",
    "closing": "en clôture",
    "closed": "close",
    "rejected": "refusée",
    "withdrawn": "retirée",
}
BEFORE_ACTIVE = ("draft", "submitted", "precheck", "under_review", "info_requested",
                 "counter_offered", "approved", "signed")
# States in which an agreement exists and binds (shown in the public register).
AGREED = ("approved", "signed", "active", "suspended", "expired", "revoked", "closing",
          "closed")
DECISIONS = ("approve", "reject", "fail_precheck", "not_needed")
DGA_MONTHS = 2
DGA_EXTENSION_DAYS = 30


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    parties: tuple[str, ...]
    # What the party does, in French, for messages (« Impossible de … »).
    label: str


TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    Transition("submit", ("draft",), "submitted", (REQUESTER,), "soumettre la demande"),
    Transition("precheck", ("submitted",), "precheck", (SYSTEM,),
               "lancer la vérification préalable"),
    Transition("pass_precheck", ("precheck",), "under_review", (SYSTEM,),
               "mettre la demande en instruction"),
    Transition("fail_precheck", ("precheck", "info_requested"), "rejected", (SYSTEM,),
               "refuser la demande à la vérification préalable"),
    Transition("not_needed", ("precheck",), "rejected", (SYSTEM,),
               "clore la demande (données ouvertes)"),
    Transition("incomplete", ("precheck",), "info_requested", (SYSTEM,),
               "demander des compléments"),
    Transition("request_info", ("under_review",), "info_requested", (REVIEWER,),
               "demander des compléments"),
    Transition("answer", ("info_requested",), "under_review", (REQUESTER,),
               "répondre à la demande de compléments"),
    Transition("counter_offer", ("under_review",), "counter_offered", (REVIEWER,),
               "faire une contre-proposition"),
    Transition("accept_counter_offer", ("counter_offered",), "submitted", (REQUESTER,),
               "accepter la contre-proposition"),
    Transition("reject", ("under_review",), "rejected", (REVIEWER,), "refuser la demande"),
    Transition("approve", ("under_review",), "approved", (REVIEWER,), "approuver la demande"),
    Transition("sign", ("approved",), "signed", (REQUESTER,), "signer la convention"),
    Transition("countersign", ("signed",), "active", (REVIEWER,),
               "contresigner la convention"),
    Transition("suspend", ("active",), "suspended", (REVIEWER, SYSTEM),
               "suspendre la convention"),
    Transition("resume", ("suspended",), "active", (REVIEWER,), "rétablir la convention"),
    Transition("expire", ("active",), "expired", (SYSTEM,), "constater l'échéance"),
    Transition("revoke", ("active", "suspended"), "revoked", (REVIEWER,),
               "résilier la convention"),
    Transition("start_closing", ("expired", "revoked"), "closing", (SYSTEM,),
               "ouvrir la clôture"),
    Transition("close", ("closing",), "closed", (REVIEWER,), "clore la convention"),
    Transition("supersede", ("active", "suspended"), "closed", (SYSTEM,),
               "remplacer la convention par son avenant"),
    Transition("withdraw", BEFORE_ACTIVE, "withdrawn", (REQUESTER,), "retirer la demande"),
]}


def parties(actor: Actor | None, request: AccessRequest) -> set[str]:
    """The parties ``actor`` plays on ``request`` (None is the system)."""
    if actor is None:
        return {SYSTEM}
    played = set()
    if actor.admin or request.requester_id in actor.vendor_of:
        played.add(REQUESTER)
    if actor.admin or (request.reviewer_org_id is not None
                       and request.reviewer_org_id in actor.publisher_of) or (
            request.committee_id is not None and request.committee_id in actor.coordinator_of):
        played.add(REVIEWER)
    return played


def allowed_actions(actor: Actor | None, request: AccessRequest) -> list[str]:
    """The actions ``actor`` may take now (what a page or client offers)."""
    played = parties(actor, request)
    return [t.action for t in TRANSITIONS.values()
            if request.state in t.sources and played & set(t.parties) and SYSTEM not in
            t.parties]


def move(session: Session, request: AccessRequest, action: str, actor: Actor | None,
         note: str = "") -> RequestEvent:
    """Apply transition ``action`` to ``request`` for ``actor`` (None: the system); refuse
    (403) an actor who is not its party and (409) a state it does not leave from."""
    transition = TRANSITIONS[action]
    if actor is not None and not parties(actor, request) & set(transition.parties):
        actor.require(False, f"{transition.label} (demande n° {request.id})")
    if request.state not in transition.sources:
        raise Conflict(f"Impossible de {transition.label} : la demande n° {request.id} est "
                       f"« {STATES[request.state]} ».")
    now = utcnow()
    event = RequestEvent(request_id=request.id, time=now,
                         user_id=actor.user_id if actor else None, action=action,
                         from_state=request.state, to_state=transition.target, note=note)
    request.state = transition.target
    request.modified = now
    if action == "submit" and request.submitted is None:
        request.submitted = now
    session.add(request)
    session.add(event)
    session.flush()
    person = (log.remember_person(session, actor.user_id, actor.name)
              if actor is not None and actor.user_id is not None else None)
    log.append(session, {"time": now, "agreement_id": request.id, "person": person,
                         "action": f"workflow:{action}", "target": request_iri(request.id),
                         "decision": "allow"})
    return event


def request_iri(request_id: int) -> str:
    return f"urn:ctd:request:{request_id}"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has none."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def dga_deadline(request: AccessRequest) -> datetime | None:
    """When the decision is due under the DGA (None before submission)."""
    if request.submitted is None:
        return None
    start = request.submitted
    due = datetime.combine(add_months(start.date(), DGA_MONTHS), start.timetz())
    return due + timedelta(days=DGA_EXTENSION_DAYS) if request.complex else due


def decided(session: Session, request: AccessRequest) -> datetime | None:
    """When the request was approved or rejected, if it was."""
    event = session.exec(select(RequestEvent).where(
        RequestEvent.request_id == request.id, RequestEvent.action.in_(DECISIONS))
        .order_by(RequestEvent.id.desc())).first()
    return event.time if event else None


def deadline_status(session: Session, request: AccessRequest,
                    now: datetime | None = None) -> dict[str, Any] | None:
    """The DGA clock: deadline, extended or not, decided when, days left, late or not."""
    deadline = dga_deadline(request)
    if deadline is None:
        return None
    when = decided(session, request)
    reference = when or now or utcnow()
    return {"deadline": deadline, "extended": request.complex, "decided": when,
            "days_left": None if when else (deadline - reference).days,
            "late": reference > deadline}


def events(session: Session, request: AccessRequest) -> list[RequestEvent]:
    return list(session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)
                             .order_by(RequestEvent.id)))
