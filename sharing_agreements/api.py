"""HTTP routes of the sharing agreements.

- ``/api/v1/access-requests``: a vendor's requests and every transition of their workflow
  (the reviewers' queue is ``?role=reviewer``);
- ``/api/v1/agreements/{id}``: an agreement's frozen terms, its ODRL policy (JSON-LD) and
  its French document (HTML, PDF);
- ``/api/v1/access``: the files of agreed datasets, with a grant token and a declared
  purpose; every decision is logged;
- ``/api/v1/register``: the public register of agreements (its page, ``/registre``, is in
  ``pages.py``);
- ``/api/v1/log``: the access log's signed checkpoints, public key, inclusion and consistency
  proofs (RFC 9162). They give hashes only, never an entry's content, so they are public:
  anyone holding a checkpoint can check that the log only grows.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from catalogue import auth
from catalogue.api.deps import ActorDep, SessionDep, base_url
from catalogue.api.problems import PROBLEM
from catalogue.db import get_engine
from catalogue.errors import Unauthorized
from sharing_agreements import (
    access,
    agreements,
    document,
    log,
    policy,
    register,
    requests,
    workflow,
)
from sharing_agreements.models import AccessRequest, Duty
from sharing_agreements.schemas import (
    Complexity,
    CounterOffer,
    Evidence,
    Note,
    Reasons,
    RequestCreate,
    RequestTerms,
    SignIn,
)

log_router = APIRouter(prefix="/api/v1/log", tags=["access log"])


@log_router.get("/checkpoint")
def checkpoint(session: SessionDep) -> dict[str, Any]:
    """The latest signed checkpoint (a new one is signed if the log grew): origin, size,
    root hash, Ed25519 signature, and the same as a C2SP signed note."""
    cp = log.checkpoint(session)
    session.commit()
    return {"origin": cp.origin, "size": cp.size, "root_hash": cp.root_hash,
            "key_id": cp.key_id, "signature": cp.signature, "created": cp.created,
            "note": log.checkpoint_note(cp)}


@log_router.get("/public-key")
def public_key() -> dict[str, str]:
    """The Ed25519 key that signs the checkpoints: raw (base64), PEM, and as a signed-note
    verifier key (``origin+key_id+base64``)."""
    return log.public_key()


@log_router.get("/entries/{index}/proof")
def inclusion_proof(
    session: SessionDep,
    index: Annotated[int, Path(ge=0, description="The entry's position (0 for the first).")],
    size: Annotated[int | None, Query(ge=1, description="Size of the tree the proof leads "
                                                        "to (the whole log by default).")
                    ] = None,
) -> dict[str, Any]:
    """The entry's leaf hash and its audit path (hex, leaf side first) to the root of the
    tree of the first ``size`` entries (RFC 9162 §2.1.3)."""
    return asdict(log.inclusion_proof(session, index, size))


@log_router.get("/consistency")
def consistency_proof(
    session: SessionDep,
    first: Annotated[int, Query(ge=1, description="The older tree's size.")],
    second: Annotated[int | None, Query(ge=1, description="The newer tree's size (the "
                                                          "whole log by default).")] = None,
) -> dict[str, Any]:
    """The consistency path (hex) showing the tree of ``first`` entries is a prefix of the
    tree of ``second`` entries (RFC 9162 §2.1.4), with both roots."""
    return asdict(log.consistency_proof(session, first, second))


# --- access requests and their workflow ----------------------------------------------------

requests_router = APIRouter(prefix="/api/v1/access-requests", tags=["access requests"])
RequestId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The request's number.")]


def _request(session: Session, actor: auth.Actor, request_id: int) -> AccessRequest:
    return requests.find(session, actor, request_id)


def _done(session: Session, actor: auth.Actor, request: AccessRequest) -> dict[str, Any]:
    session.commit()
    return requests.to_out(session, actor, request)


@requests_router.post("", status_code=201)
def create_request(data: RequestCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A vendor drafts a request: datasets, purposes, legal bases, hosting, sub-processors,
    period and caps. The clauses are proposed from the purposes and the data."""
    actor.require(actor.admin or bool(actor.vendor_of), "demander un accès (rôle vendor)")
    return _done(session, actor, requests.create(session, actor, data))


@requests_router.get("")
def list_requests(
    session: SessionDep, actor: ActorDep,
    role: Annotated[Literal["requester", "reviewer"] | None,
                    Query(description="Only those the caller requests, or reviews.")] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
) -> list[dict[str, Any]]:
    actor.require(not actor.anonymous, "consulter des demandes d'accès")
    return [requests.to_out(session, actor, r)
            for r in requests.list_for(session, actor, role=role, state=state)]


@requests_router.get("/{request_id}")
def get_request(request_id: RequestId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The request, its precheck, the DGA deadline, its history and the caller's actions."""
    return requests.to_out(session, actor, _request(session, actor, request_id))


@requests_router.patch("/{request_id}")
def update_request(request_id: RequestId, data: RequestTerms, session: SessionDep,
                   actor: ActorDep) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    return _done(session, actor, requests.update(session, actor, request, data))


@requests_router.post("/{request_id}/submit")
def submit(request_id: RequestId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Submit: the DGA clock starts and the precheck runs, sending the request to review,
    to information requested, or to rejection with its published reasons."""
    request = _request(session, actor, request_id)
    return _done(session, actor, requests.submit(session, actor, request))


@requests_router.post("/{request_id}/answer")
def answer(request_id: RequestId, data: Note, session: SessionDep,
           actor: ActorDep) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    return _done(session, actor, requests.answer(session, actor, request, data.note))


def _with_reasons(session: Session, actor: auth.Actor, request_id: int, action: str,
                  reasons: str) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    return _done(session, actor, requests.decide(session, actor, request, action, reasons))


@requests_router.post("/{request_id}/request-info")
def request_info(request_id: RequestId, data: Reasons, session: SessionDep,
                 actor: ActorDep) -> dict[str, Any]:
    """The reviewer asks the requester for information (the question is published)."""
    return _with_reasons(session, actor, request_id, "request_info", data.reasons)


@requests_router.post("/{request_id}/reject")
def reject(request_id: RequestId, data: Reasons, session: SessionDep,
           actor: ActorDep) -> dict[str, Any]:
    """The reviewer rejects the request; the reasons are published."""
    return _with_reasons(session, actor, request_id, "reject", data.reasons)


@requests_router.post("/{request_id}/withdraw")
def withdraw(request_id: RequestId, data: Reasons, session: SessionDep,
             actor: ActorDep) -> dict[str, Any]:
    """The requester withdraws the request (any time before the agreement is in force)."""
    return _with_reasons(session, actor, request_id, "withdraw", data.reasons)


@requests_router.post("/{request_id}/counter-offer")
def counter_offer(request_id: RequestId, data: CounterOffer, session: SessionDep,
                  actor: ActorDep) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    return _done(session, actor, requests.counter_offer(session, actor, request, data))


@requests_router.post("/{request_id}/accept-counter-offer")
def accept_counter_offer(request_id: RequestId, session: SessionDep,
                         actor: ActorDep) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    return _done(session, actor, requests.accept_counter_offer(session, actor, request))


@requests_router.put("/{request_id}/complexity")
def complexity(request_id: RequestId, data: Complexity, session: SessionDep,
               actor: ActorDep) -> dict[str, Any]:
    """The reviewer flags a complex case: the DGA deadline gets 30 more days."""
    request = _request(session, actor, request_id)
    return _done(session, actor, requests.set_complex(session, actor, request, data.complex))


@requests_router.post("/{request_id}/approve")
def approve(request_id: RequestId, data: Note, session: SessionDep,
            actor: ActorDep) -> dict[str, Any]:
    """The reviewer approves: the agreement is established and frozen (its hash is what the
    parties sign)."""
    request = _request(session, actor, request_id)
    agreements.approve(session, actor, request, data.note)
    return _done(session, actor, request)


@requests_router.post("/{request_id}/sign")
def sign(request_id: RequestId, data: SignIn, session: SessionDep,
         actor: ActorDep) -> dict[str, Any]:
    """The requester signs the agreement (``agreement_hash``, when given, must match)."""
    request = _request(session, actor, request_id)
    agreements.sign(session, actor, request, data.agreement_hash)
    return _done(session, actor, request)


@requests_router.post("/{request_id}/countersign")
def countersign(request_id: RequestId, data: SignIn, session: SessionDep,
                actor: ActorDep) -> dict[str, Any]:
    """The reviewer countersigns: the agreement comes into force with its duties."""
    request = _request(session, actor, request_id)
    agreements.countersign(session, actor, request, data.agreement_hash)
    return _done(session, actor, request)


@requests_router.post("/{request_id}/grant", status_code=201)
def grant(request_id: RequestId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A grant token for the agreement's files, shown once (earlier ones are revoked)."""
    request = _request(session, actor, request_id)
    issued, token = agreements.issue_grant(session, actor, request)
    session.commit()
    return {"token": token, "agreement": issued.agreement_id, "created": issued.created,
            "access": "/api/v1/access"}


@requests_router.post("/{request_id}/suspend")
def suspend(request_id: RequestId, data: Reasons, session: SessionDep,
            actor: ActorDep) -> dict[str, Any]:
    return _with_reasons(session, actor, request_id, "suspend", data.reasons)


@requests_router.post("/{request_id}/resume")
def resume(request_id: RequestId, data: Note, session: SessionDep,
           actor: ActorDep) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    agreements.resume(session, actor, request, data.note)
    return _done(session, actor, request)


@requests_router.post("/{request_id}/revoke")
def revoke(request_id: RequestId, data: Reasons, session: SessionDep,
           actor: ActorDep) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    agreements.revoke(session, actor, request, data.reasons)
    return _done(session, actor, request)


@requests_router.post("/{request_id}/close")
def close(request_id: RequestId, data: Note, session: SessionDep,
          actor: ActorDep) -> dict[str, Any]:
    request = _request(session, actor, request_id)
    agreements.close(session, actor, request, data.note)
    return _done(session, actor, request)


@requests_router.post("/{request_id}/amend", status_code=201)
def amend(request_id: RequestId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A draft amendment: once in force, its agreement supersedes this one."""
    request = _request(session, actor, request_id)
    return _done(session, actor, agreements.amend(session, actor, request))


@requests_router.post("/{request_id}/duties/{duty_id}/fulfil")
def fulfil(request_id: RequestId, duty_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
           data: Evidence, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The requester sends a usage report or the deletion certificate."""
    request = _request(session, actor, request_id)
    duty = agreements.fulfil(session, actor, request, duty_id, data.evidence)
    session.commit()
    return _duty_out(duty)


# --- agreements ----------------------------------------------------------------------------

agreements_router = APIRouter(prefix="/api/v1/agreements", tags=["agreements"])
AgreementId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _duty_out(duty: Duty) -> dict[str, Any]:
    return {"id": duty.id, "kind": duty.kind, "clause": duty.clause, "due": duty.due,
            "fulfilled": duty.fulfilled}


@agreements_router.get("/{agreement_id}")
def get_agreement(agreement_id: AgreementId, session: SessionDep,
                  actor: ActorDep) -> dict[str, Any]:
    """The agreement (to its parties): state, hash, signatures, duties and frozen terms."""
    agreement, request = agreements.find(session, actor, agreement_id)
    return {"id": agreement.id, "request": request.id, "version": agreement.version,
            "state": request.state, "state_label": workflow.STATES[request.state],
            "hash": agreement.hash, "policy_hash": agreement.policy_hash,
            "created": agreement.created,
            "signatures": [{"party": s.party, "signed": s.signed,
                            "agreement_hash": s.agreement_hash}
                           for s in agreements.signatures(session, agreement)],
            "duties": [_duty_out(d) for d in agreements.duties(session, agreement)],
            "content": agreements.content(agreement)}


@agreements_router.get("/{agreement_id}/odrl")
def get_odrl(agreement_id: AgreementId, session: SessionDep, actor: ActorDep) -> Response:
    """The ODRL 2.2 Agreement (JSON-LD) access is evaluated against."""
    agreement, _ = agreements.find(session, actor, agreement_id)
    return Response(policy.canonical_json(agreements.content(agreement)["policy"]),
                    media_type="application/ld+json")


@agreements_router.get("/{agreement_id}/document", response_class=HTMLResponse)
def get_document(agreement_id: AgreementId, request: Request, session: SessionDep,
                 actor: ActorDep) -> HTMLResponse:
    """The agreement as a French HTML document."""
    return HTMLResponse(document.render_html(**agreements.document_inputs(
        session, actor, agreement_id, base_url(request))))


@agreements_router.get("/{agreement_id}/document.pdf")
def get_document_pdf(agreement_id: AgreementId, request: Request, session: SessionDep,
                     actor: ActorDep) -> Response:
    """The same document as a PDF."""
    pdf = document.render_pdf(**agreements.document_inputs(session, actor, agreement_id,
                                                           base_url(request)))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="convention-{agreement_id}.pdf"'})


# --- access to the files -------------------------------------------------------------------

access_router = APIRouter(prefix="/api/v1/access", tags=["access"])
# Files up to this size are sent from memory: FileResponse's threaded reads cost about
# 1.5 ms a request, more than the evaluation and the log together (benchmarks/access_log.py).
SMALL_FILE = 1 << 20


async def grant_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """``Authorization: Bearer <grant token>`` (``ctdg_…``). Async: no I/O, so FastAPI runs
    it in the loop rather than a thread."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip().startswith(agreements.GRANT_PREFIX):
        raise Unauthorized("Jeton d'accès de convention attendu : « Authorization: Bearer "
                           "ctdg_… ».")
    return token.strip()


GrantToken = Annotated[str, Depends(grant_token)]


@access_router.get("")
def access_scope(session: SessionDep, token: GrantToken) -> dict[str, Any]:
    """What the grant reaches: the agreement, its state and purposes, and the resources."""
    return access.scope(session, token)


@access_router.get("/resources/{resource_id}")
def access_resource(
    resource_id: Annotated[int, Path(ge=1, le=2**31 - 1)], request: Request,
    token: GrantToken,
    purpose: Annotated[str, Query(min_length=1, max_length=200,
                                  description="The declared purpose (an id of the "
                                              "purposes vocabulary).")],
    action: Annotated[str, Query(min_length=1, max_length=100)] = access.DEFAULT_ACTION,
    hosting_country: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The file, if the agreement allows this access now; else 403 with the rule-by-rule
    explanation. Every decision is written to the access log (its position is in the
    ``X-Ctd-Log-Entry`` header)."""
    # A session of its own rather than the SessionDep dependency: one thread hop, not three
    # (each costs a fair share of an access).
    with Session(get_engine(), expire_on_commit=False) as session:
        outcome = access.access_resource(session, token, resource_id, purpose, action,
                                         hosting_country)
        session.commit()
    headers = {"X-Ctd-Log-Entry": str(outcome.log_index),
               "X-Ctd-Decision": "allow" if outcome.path else "deny",
               "X-Ctd-Report-Hash": outcome.report_hash}
    if outcome.path is None:
        body = {"type": "about:blank", "title": "Forbidden", "status": 403,
                "detail": outcome.decision.reason, "instance": request.url.path,
                "log_entry": outcome.log_index, "decision": outcome.decision.to_dict()}
        return JSONResponse(jsonable_encoder(body), status_code=403, media_type=PROBLEM,
                            headers=headers)
    media_type = outcome.media_type or "application/octet-stream"
    headers["Content-Disposition"] = f'attachment; filename="{outcome.path.name}"'
    if outcome.path.stat().st_size <= SMALL_FILE:
        return Response(outcome.path.read_bytes(), headers=headers, media_type=media_type)
    return FileResponse(outcome.path, headers=headers, media_type=media_type)


# --- the public register -------------------------------------------------------------------

register_router = APIRouter(tags=["register"])


@register_router.get("/api/v1/register")
def get_register(session: SessionDep,
                 format: Annotated[Literal["json", "csv"], Query()] = "json") -> Response:
    """Every agreement approved or beyond: parties, datasets, purposes, legal bases, clause
    ids, dates and state — no secret, no personal data. ``?format=csv`` for a spreadsheet."""
    rows = register.entries(session)
    if format == "csv":
        return Response(register.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 'attachment; filename="registre-conventions.csv"'})
    return JSONResponse(jsonable_encoder({"count": len(rows), "agreements": rows,
                                          "refusals": register.refusals(session)}))


router = APIRouter()
for _sub in (log_router, requests_router, agreements_router, access_router, register_router):
    router.include_router(_sub)
