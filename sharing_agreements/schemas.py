"""What the sharing agreements' API accepts (Pydantic): requests and the reviewers' and
requesters' actions on them. Ids of the vocabularies are checked here, so a bad one is a 422
naming the field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sharing_agreements import clauses as lib
from sharing_agreements import vocabularies as vocab
from sharing_agreements.precheck import DECLARATIONS


def _known(getter, name: str):
    def check(values: list[str]) -> list[str]:
        for value in values:
            try:
                getter(value)
            except vocab.UnknownTerm as error:
                raise ValueError(f"{name} inconnu(e) : « {value} »") from error
        return list(dict.fromkeys(values))
    return check


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return vocab.country(value).code
    except vocab.UnknownTerm as error:
        raise ValueError(f"pays inconnu : « {value} » (code ISO 3166-1 alpha-2 attendu)"
                         ) from error


def _role(value: str) -> str:
    try:
        return vocab.role(value).id
    except vocab.UnknownTerm as error:
        raise ValueError(f"rôle inconnu : « {value} » ; valeurs possibles : "
                         f"{sorted(vocab.roles())}") from error


def _qualification(value: str | None) -> str | None:
    if value is not None:
        try:
            vocab.qualification(value)
        except vocab.UnknownTerm as error:
            raise ValueError(f"qualification inconnue : « {value} » ; valeurs possibles : "
                             f"{sorted(vocab.qualifications())}") from error
    return value


def _declaration(value: str) -> str:
    if value not in DECLARATIONS:
        raise ValueError(f"valeurs possibles : {', '.join(DECLARATIONS)}")
    return value


Purposes = Annotated[list[str], Field(min_length=1, max_length=10),
                     AfterValidator(_known(vocab.purpose, "finalité"))]
LegalBases = Annotated[list[str], Field(max_length=20),
                       AfterValidator(_known(vocab.legal_basis, "base légale"))]
ClauseIds = Annotated[list[str], Field(max_length=40),
                      AfterValidator(_known(lib.clause, "clause"))]
Country = Annotated[str | None, AfterValidator(_country)]
Text = Annotated[str, Field(max_length=300)]


class Subprocessor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    country: Annotated[str, AfterValidator(_country)]


class RequestTerms(BaseModel):
    """The fields of a request the requester writes (while a draft or answering questions)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=3, max_length=300)] | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    datasets: Annotated[list[str], Field(min_length=1, max_length=50)] | None = None
    purposes: Purposes | None = None
    legal_bases: LegalBases | None = None
    personal_data: Annotated[str, AfterValidator(_declaration)] | None = None
    role: Annotated[str, AfterValidator(_role)] | None = None
    hosting_country: Country = None
    hosting_provider: Text | None = None
    hosting_qualification: Annotated[str | None, AfterValidator(_qualification)] = None
    subprocessors: Annotated[list[Subprocessor], Field(max_length=50)] | None = None
    dpia_reference: Text | None = None
    committee_decision: Text | None = None
    minimised_version: bool | None = None
    # A date means from that day's start, or to that day's end (included), Paris time.
    start: date | datetime | None = None
    end: date | datetime | None = None
    max_requests: Annotated[int, Field(ge=1, le=10**9)] | None = None
    max_bytes: Annotated[int, Field(ge=1, le=2**53 - 1)] | None = None


class RequestCreate(RequestTerms):
    title: Annotated[str, Field(min_length=3, max_length=300)]
    datasets: Annotated[list[str], Field(min_length=1, max_length=50)]
    purposes: Purposes
    start: date | datetime
    end: date | datetime
    # Caps are required: the VOLUME clause every agreement carries applies them.
    max_requests: Annotated[int, Field(ge=1, le=10**9)]
    max_bytes: Annotated[int, Field(ge=1, le=2**53 - 1)]
    # The requesting organisation (slug); optional when the user is vendor for one only.
    requester: str | None = None

    @model_validator(mode="after")
    def _period(self) -> RequestCreate:
        if lib.end_instant(self.end) <= lib.start_instant(self.start):
            raise ValueError("la fin de l'accès doit suivre son début")
        return self


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(max_length=5000)] = ""


class Reasons(BaseModel):
    """A decision that must say why (a rejection, a request for information, a suspension,
    a revocation): the reasons are published."""

    model_config = ConfigDict(extra="forbid")

    reasons: Annotated[str, Field(min_length=3, max_length=5000)]


class CounterOffer(BaseModel):
    """What the reviewers change: clauses added (never removed below the base set), tighter
    caps or dates, the complex-case flag (DGA +30 days)."""

    model_config = ConfigDict(extra="forbid")

    reasons: Annotated[str, Field(min_length=3, max_length=5000)]
    add_clauses: ClauseIds = []
    end: date | datetime | None = None
    max_requests: Annotated[int, Field(ge=1, le=10**9)] | None = None
    max_bytes: Annotated[int, Field(ge=1, le=2**53 - 1)] | None = None


class Complexity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    complex: bool


class Evidence(BaseModel):
    """A usage report or a deletion certificate: its text (or a reference to the signed
    document)."""

    model_config = ConfigDict(extra="forbid")

    evidence: Annotated[str, Field(min_length=3, max_length=20_000)]


class SignIn(BaseModel):
    """A signature: the agreement's hash as the signer read it (checked when given)."""

    model_config = ConfigDict(extra="forbid")

    agreement_hash: Annotated[str, Field(pattern="^[0-9a-f]{64}$")] | None = None
