"""HTTP routes of the access log: signed checkpoints, the public key, inclusion and
consistency proofs (RFC 9162). They give hashes only, never an entry's content, so they are
public: anyone holding a checkpoint can check that the log only grows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from catalogue.api.deps import SessionDep
from sharing_agreements import log

router = APIRouter(prefix="/api/v1/log", tags=["access log"])


@router.get("/checkpoint")
def checkpoint(session: SessionDep) -> dict[str, Any]:
    """The latest signed checkpoint (a new one is signed if the log grew): origin, size,
    root hash, Ed25519 signature, and the same as a C2SP signed note."""
    cp = log.checkpoint(session)
    session.commit()
    return {"origin": cp.origin, "size": cp.size, "root_hash": cp.root_hash,
            "key_id": cp.key_id, "signature": cp.signature, "created": cp.created,
            "note": log.checkpoint_note(cp)}


@router.get("/public-key")
def public_key() -> dict[str, str]:
    """The Ed25519 key that signs the checkpoints: raw (base64), PEM, and as a signed-note
    verifier key (``origin+key_id+base64``)."""
    return log.public_key()


@router.get("/entries/{index}/proof")
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


@router.get("/consistency")
def consistency_proof(
    session: SessionDep,
    first: Annotated[int, Query(ge=1, description="The older tree's size.")],
    second: Annotated[int | None, Query(ge=1, description="The newer tree's size (the "
                                                          "whole log by default).")] = None,
) -> dict[str, Any]:
    """The consistency path (hex) showing the tree of ``first`` entries is a prefix of the
    tree of ``second`` entries (RFC 9162 §2.1.4), with both roots."""
    return asdict(log.consistency_proof(session, first, second))
