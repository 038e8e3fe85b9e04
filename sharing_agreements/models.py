"""Tables of the access log: its entries (the leaves of an RFC 9162 Merkle tree), the hashes
of the tree's complete subtrees, its head, its signed checkpoints, and the erasable table that
says who stands behind a keyed hash of a person.

The entries, nodes and checkpoints are only ever inserted (on PostgreSQL a trigger refuses
UPDATE and DELETE); the head is the one row that changes, and everything in it can be
recomputed from the entries (``sharing_agreements.log.verify`` does)."""

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
