"""Tables of the sharing agreements: requests and their events, frozen agreements, their
signatures, grants, duties and usage counters; and the tables of the access log: its
entries (the leaves of an RFC 9162 Merkle tree), the hashes of the tree's complete
subtrees, its head, its signed checkpoints, and the erasable table that says who stands
behind a keyed hash of a person.

The entries, nodes and checkpoints, the agreements and their signatures are only ever
inserted (on PostgreSQL a trigger refuses UPDATE and DELETE); the log's head is the one
row that changes, and everything in it can be recomputed from the entries
(``sharing_agreements.log.verify`` does)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from catalogue.models import UTCDateTime, utcnow


class LogEntry(SQLModel, table=True):
    """One access decision: a leaf of the tree. ``id`` is its position (0, 1, 2…)."""

    __tablename__ = "access_log_entry"

    id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    created: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The entry as RFC 8785 canonical JSON: the exact bytes the leaf hash is computed on.
    entry: str = Field(sa_type=sa.Text)
    # SHA-256(0x00 ‖ entry), hex.
    leaf_hash: str = Field(max_length=64)


class LogNode(SQLModel, table=True):
    """The hash of a complete subtree: the 2**level leaves from ``position * 2**level``, for
    levels 6 and up (smaller subtrees are hashed again from the entries' leaf hashes). Level 0
    repeats each leaf hash at its position, so a moved or replaced entry is named."""

    __tablename__ = "access_log_node"

    level: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True,
                                           autoincrement=False))
    position: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True,
                                              autoincrement=False))
    hash: str = Field(max_length=64)


class LogHead(SQLModel, table=True):
    """The tree's current size and frontier (the hashes of the complete subtrees the size
    decomposes into, by level; empty where the size's bit is 0). One row, ``id`` 1: updating
    it is what serialises appends, on SQLite as on PostgreSQL."""

    __tablename__ = "access_log_head"

    id: int = Field(default=1, primary_key=True)
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    frontier: str = Field(default="", sa_type=sa.Text)


class LogCheckpoint(SQLModel, table=True):
    """A signed tree head, in the C2SP checkpoint form: origin, size and root signed with the
    log's Ed25519 key (a signed note, which witnesses can cosign)."""

    __tablename__ = "access_log_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    origin: str = Field(max_length=200)
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    root_hash: str = Field(max_length=64)
    # The signed-note key hash (4 bytes, hex) of the key that signed.
    key_id: str = Field(max_length=8)
    # Ed25519 signature of the checkpoint text, base64.
    signature: str = Field(max_length=100)
    created: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PersonKey(SQLModel, table=True):
    """Who stands behind a keyed hash found in the log's entries. Deleting the row erases the
    person without touching a leaf."""

    __tablename__ = "person_key"

    person_hash: str = Field(primary_key=True, max_length=64)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True,
                                ondelete="CASCADE")
    name: str | None = Field(default=None, max_length=100)
    created: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- requests, agreements, grants, duties --------------------------------------------------

def _empty() -> list:
    """A plain factory: pydantic inspects a factory's signature, slowly for builtins."""
    return []


def _json(**kw):
    return Field(sa_type=sa.JSON, **kw)


class AccessRequest(SQLModel, table=True):
    """A vendor's request for access to datasets, and the case it opens: its ``state`` moves
    only through ``sharing_agreements.workflow``. Once approved, its terms are frozen in an
    ``Agreement``; the request keeps the state of that agreement (signed, active…)."""

    __tablename__ = "access_request"

    id: int | None = Field(default=None, primary_key=True)
    requester_id: int = Field(foreign_key="organization.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    title: str = Field(max_length=300)
    description: str = ""
    state: str = Field(default="draft", max_length=32, index=True)
    purposes: list[str] = _json(default_factory=_empty)
    legal_bases: list[str] = _json(default_factory=_empty)
    # Personal data the requester declares: none, personal, special (GDPR Art. 9), criminal
    # (Art. 10). The datasets' quality verdicts may say more; the precheck takes the worse.
    personal_data: str = Field(default="none", max_length=16)
    role: str = Field(default="controller", max_length=32)
    hosting_country: str | None = Field(default=None, max_length=2)
    hosting_provider: str | None = Field(default=None, max_length=200)
    hosting_qualification: str | None = Field(default=None, max_length=32)
    # The sub-processors ([{"name", "country"}]); None: not declared yet ([] declares none).
    subprocessors: list[dict] | None = _json(default=None)
    dpia_reference: str | None = Field(default=None, max_length=300)
    committee_decision: str | None = Field(default=None, max_length=300)
    # The requester asks for the minimised version of personal data.
    minimised_version: bool = False
    # Access opens at ``start`` and closes at ``end`` (excluded), as UTC instants; a date
    # given for the end means access until that day's end, Paris time.
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    max_requests: int | None = None
    max_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    clauses: list[str] = _json(default_factory=_empty)
    # The reviewers flagged the case as complex: the DGA deadline gets 30 more days.
    complex: bool = False
    # Who reviews, fixed at submission: the publisher when one organisation publishes every
    # dataset asked for, else the coordinator of a committee they are all members of.
    reviewer_org_id: int | None = Field(default=None, foreign_key="organization.id")
    committee_id: int | None = Field(default=None, foreign_key="committee.id")
    # When the DGA clock started (the first submission).
    submitted: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The latest precheck: one result per rule.
    precheck: list[dict] = _json(default_factory=_empty)
    # Published reasons of a rejection, a question of the reviewers, a suspension…
    reasons: str | None = None
    # An amendment: the request whose agreement this one's will supersede.
    amends_id: int | None = Field(default=None, foreign_key="access_request.id")
    created: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    modified: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AccessRequestDataset(SQLModel, table=True):
    __tablename__ = "access_request_dataset"

    request_id: int = Field(foreign_key="access_request.id", primary_key=True,
                            ondelete="CASCADE")
    dataset_id: int = Field(foreign_key="dataset.id", primary_key=True, index=True)


class RequestEvent(SQLModel, table=True):
    """A transition of a request (also written to the access log)."""

    __tablename__ = "access_request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="access_request.id", index=True, ondelete="CASCADE")
    time: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    action: str = Field(max_length=32)
    from_state: str = Field(max_length=32)
    to_state: str = Field(max_length=32)
    note: str = ""


class Agreement(SQLModel, table=True):
    """The terms of an approved request, frozen: ``content`` is their canonical JSON (parties,
    datasets, purposes, legal bases, clause texts, dates, caps, duties and the ODRL policy)
    and ``hash`` its SHA-256. Never updated (on PostgreSQL a trigger refuses it): an
    amendment is a new request whose agreement supersedes this one."""

    __tablename__ = "agreement"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="access_request.id", unique=True)
    # 1, then 2 for the agreement of an amendment, and so on.
    version: int = 1
    content: str = Field(sa_type=sa.Text)
    hash: str = Field(max_length=64)
    policy_hash: str = Field(max_length=64)
    created: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Signature(SQLModel, table=True):
    """A party's signature of an agreement's hash: the assignee's, then the assigner's."""

    __tablename__ = "agreement_signature"

    agreement_id: int = Field(foreign_key="agreement.id", primary_key=True)
    party: str = Field(primary_key=True, max_length=16)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    agreement_hash: str = Field(max_length=64)
    signed: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Grant(SQLModel, table=True):
    """An access grant: the token a vendor reaches the agreed files with (stored as its
    SHA-256). Issuing a new one revokes the previous ones."""

    __tablename__ = "access_grant"

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    token_hash: str = Field(max_length=64, unique=True)
    created: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Duty(SQLModel, table=True):
    """A monitored duty of an agreement: a usage report (AUDIT) or the deletion certificate
    (DELETE-AT-END), due at a time; the evidence is the text the vendor sends."""

    __tablename__ = "agreement_duty"

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    kind: str = Field(max_length=32)
    clause: str = Field(max_length=32)
    due: datetime = Field(sa_type=UTCDateTime, index=True)
    fulfilled: datetime | None = Field(default=None, sa_type=UTCDateTime)
    evidence: str | None = None


class Usage(SQLModel, table=True):
    """Requests and bytes served under an agreement: what its count and volume caps are
    checked against. Updated with each allowed access, in the same transaction as its log
    entry (the row lock also serialises concurrent accesses to one agreement)."""

    __tablename__ = "agreement_usage"

    agreement_id: int = Field(foreign_key="agreement.id", primary_key=True)
    requests: int = 0
    bytes: int = Field(default=0, sa_type=sa.BigInteger)
    last_access: datetime | None = Field(default=None, sa_type=UTCDateTime)
