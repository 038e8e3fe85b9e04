"""The access log (sharing_agreements.log): RFC 8785 canonical JSON, RFC 9162 hashing and
proofs against published vectors and against the RFC's definitions written out here, the
stored log (appends, proofs of every shape, concurrent appends), refused entries, keyed
person hashes and their erasure, signed checkpoints, the HTTP routes, ``ctd log``, the
append-only trigger on PostgreSQL, and tampering done directly in the database: altered,
deleted, swapped, inserted entries, altered nodes and signatures."""

from __future__ import annotations

import base64
import json
import stat
import threading
from datetime import UTC, datetime
from hashlib import sha256

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from typer.testing import CliRunner

from catalogue import db
from catalogue.cli import app
from catalogue.config import load_settings
from catalogue.errors import Invalid, NotFound
from catalogue.models import User
from sharing_agreements import log
from sharing_agreements.models import PersonKey

PROBLEM = "application/problem+json"


# --- the RFC's definitions, written out (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1) ------------

def H(data: bytes) -> bytes:
    return sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    """MTH over leaf *hashes*."""
    n = len(leaves)
    if n == 0:
        return H(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return H(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


# Certificate Transparency's reference tree (RFC 6962 test data): leaf inputs, the roots of
# the trees of 0 to 8 leaves, and audit and consistency paths.
CT_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


def memory_nodes(leaves: list[bytes]) -> log.Nodes:
    return log.levels_nodes(log.build_levels(leaves))


# --- canonical JSON -----------------------------------------------------------------------

def test_canonical_json_follows_rfc8785():
    # RFC 8785 §3.2.3: members sorted by UTF-16 code units (the emoji's surrogates come
    # before U+FB33, although its code point is greater).
    names = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    text = log.canonical_json({name: i for i, name in enumerate(names)})
    assert list(json.loads(text)) == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600",
                                      "\ufb33"]
    # RFC 8785 §3.2.2.2: only quote, backslash and controls escaped, in lower-case hex.
    assert log.canonical_json("\u20ac$\u000f\nA'B\"\\\\\"/") == \
        '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'
    assert log.canonical_json({"b": [True, False, None], "a": {"d": -7, "c": "é"}}) == \
        '{"a":{"c":"é","d":-7},"b":[true,false,null]}'
    for bad in (1.5, 0.0, [1, 2.0], {"a": float("nan")}, 2**53, "\ud800", {1: "x"},
                {"\udc00": 1}, b"bytes"):
        with pytest.raises(Invalid):
            log.canonical_json(bad)


# --- the tree, without storage ------------------------------------------------------------

def test_known_vectors_of_rfc6962():
    leaves = [log.leaf_hash(bytes.fromhex(data)) for data in CT_INPUTS]
    assert log.EMPTY_ROOT.hex() == CT_ROOTS[0]
    for n in range(0, 9):
        assert log.tree_root(n, memory_nodes(leaves[:n])).hex() == CT_ROOTS[n]
        assert mth(leaves[:n]).hex() == CT_ROOTS[n]
    for index, size, expected in CT_INCLUSION:
        proof = log.inclusion_path(index, size, memory_nodes(leaves[:size]))
        assert [p.hex() for p in proof] == expected
        assert log.verify_inclusion(leaves[index], index, size, proof,
                                    bytes.fromhex(CT_ROOTS[size]))
    for m, n, expected in CT_CONSISTENCY:
        proof = log.consistency_path(m, n, memory_nodes(leaves[:n]))
        assert [p.hex() for p in proof] == expected
        assert log.verify_consistency(m, n, bytes.fromhex(CT_ROOTS[m]),
                                      bytes.fromhex(CT_ROOTS[n]), proof)


def test_small_trees_computed_by_hand():
    L = [log.leaf_hash(bytes([i])) for i in range(5)]
    assert L[0] == H(b"\x00\x00")
    node = log.node_hash
    assert node(L[0], L[1]) == H(b"\x01" + L[0] + L[1])
    by_hand = {
        1: L[0],
        2: node(L[0], L[1]),
        3: node(node(L[0], L[1]), L[2]),
        4: node(node(L[0], L[1]), node(L[2], L[3])),
        5: node(node(node(L[0], L[1]), node(L[2], L[3])), L[4]),
    }
    for n, expected in by_hand.items():
        assert log.tree_root(n, memory_nodes(L[:n])) == expected
    # The audit path of leaf 2 in the tree of 5, and the consistency path from 3 to 5.
    assert log.inclusion_path(2, 5, memory_nodes(L)) == [L[3], node(L[0], L[1]), L[4]]
    assert log.consistency_path(3, 5, memory_nodes(L)) == [L[2], L[3], node(L[0], L[1]),
                                                           L[4]]


def test_every_proof_up_to_20_leaves_matches_the_rfc_and_verifies():
    leaves = [log.leaf_hash(f"entry {i}".encode()) for i in range(20)]
    nodes = memory_nodes(leaves)
    roots = {n: mth(leaves[:n]) for n in range(1, 21)}
    for n in range(1, 21):
        assert log.tree_root(n, nodes) == roots[n]
        for i in range(n):
            proof = log.inclusion_path(i, n, nodes)
            assert proof == path(i, leaves[:n]), (i, n)
            assert log.verify_inclusion(leaves[i], i, n, proof, roots[n])
            assert not log.verify_inclusion(flip(leaves[i]), i, n, proof, roots[n])
            assert not log.verify_inclusion(leaves[i], i, n, proof, flip(roots[n]))
            assert not log.verify_inclusion(leaves[i], n, n, proof, roots[n])
            assert not log.verify_inclusion(leaves[i], i, n, proof + [leaves[0]], roots[n])
            for k in range(len(proof)):
                tampered = proof[:k] + [flip(proof[k])] + proof[k + 1:]
                assert not log.verify_inclusion(leaves[i], i, n, tampered, roots[n])
            if proof:
                assert not log.verify_inclusion(leaves[i], i, n, proof[:-1], roots[n])
        for m in range(1, n + 1):
            proof = log.consistency_path(m, n, nodes)
            assert proof == subproof(m, leaves[:n], True), (m, n)
            assert log.verify_consistency(m, n, roots[m], roots[n], proof)
            assert not log.verify_consistency(m, n, flip(roots[m]), roots[n], proof)
            assert not log.verify_consistency(m, n, roots[m], flip(roots[n]), proof)
            for k in range(len(proof)):
                tampered = proof[:k] + [flip(proof[k])] + proof[k + 1:]
                assert not log.verify_consistency(m, n, roots[m], roots[n], tampered)
            if proof:
                assert not log.verify_consistency(m, n, roots[m], roots[n], proof[:-1])
    assert not log.verify_consistency(0, 5, log.EMPTY_ROOT, roots[5], [])
    assert not log.verify_consistency(6, 5, roots[6], roots[5], [])


# --- the stored log -----------------------------------------------------------------------

def entry(i: int, **changes) -> dict:
    value = {"time": datetime(2025, 3, 1, 8, 0, i % 60, tzinfo=UTC), "agreement_id": 7,
             "person": log.person_hash(42), "action": "download",
             "target": f"datasets/budget-nancy/resources/{i}", "purpose": "research",
             "volume": 1000 + i, "decision": "deny" if i % 5 == 0 else "allow",
             "policy_hash": "a" * 64, "report_hash": f"{i:064x}"}
    value.update(changes)
    return value


def fill(count: int, batch: int = 1) -> None:
    """``count`` entries, ``batch`` per transaction."""
    done = current_size()
    while done < count:
        with db.session_scope() as session:
            log.append_many(session, [entry(i) for i in range(done, min(count,
                                                                         done + batch))])
        done = min(count, done + batch)


def current_size() -> int:
    with db.session_scope() as session:
        return log.size(session)


def stored_leaves() -> list[bytes]:
    with db.session_scope() as session:
        texts = session.execute(sa.text("SELECT entry FROM access_log_entry ORDER BY id"))
        return [log.leaf_hash(text.encode()) for (text,) in texts]


def check_stored_proofs(sizes: list[int], leaves: list[bytes]) -> None:
    with db.session_scope() as session:
        for n in sizes:
            root = mth(leaves[:n])
            assert log.root(session, n) == root.hex()
            for i in range(n):
                proof = log.inclusion_proof(session, i, n)
                assert proof.leaf_hash == leaves[i].hex() and proof.root == root.hex()
                assert [bytes.fromhex(p) for p in proof.path] == path(i, leaves[:n])
            for m in sizes:
                if m <= n:
                    proof = log.consistency_proof(session, m, n)
                    assert [bytes.fromhex(p) for p in proof.path] == subproof(m, leaves[:n],
                                                                             True)
                    assert proof.first_root == mth(leaves[:m]).hex()


def test_appended_entries_are_canonical_and_proofs_match_the_rfc():
    with db.session_scope() as session:
        assert log.size(session) == 0 and log.root(session) == log.EMPTY_ROOT.hex()
        first = log.append(session, entry(0, time="2025-03-01T09:00:00+01:00"))
    assert first.id == 0
    assert first.entry == log.canonical_json(json.loads(first.entry))
    assert json.loads(first.entry)["time"] == "2025-03-01T08:00:00.000000Z"
    assert first.leaf_hash == H(b"\x00" + first.entry.encode()).hex()
    # Without optional fields: every leaf has the same members, null when not given.
    with db.session_scope() as session:
        second = log.append(session, {"action": "download", "target": "x",
                                      "decision": "deny"})
    assert second.id == 1
    assert set(json.loads(second.entry)) == set(log.ENTRY_FIELDS)
    fill(20)
    leaves = stored_leaves()
    assert len(leaves) == 20
    check_stored_proofs(list(range(1, 21)), leaves)


def test_stored_subtrees_beyond_a_block():
    # 64 leaves and more: stored subtree hashes (level 6 and up) and recomputed ones meet.
    fill(150, batch=40)
    fill(203, batch=1)
    leaves = stored_leaves()
    check_stored_proofs([1, 63, 64, 65, 127, 128, 129, 150, 191, 192, 203], leaves)
    with db.session_scope() as session:
        levels = dict(session.execute(sa.text(
            "SELECT level, count(*) FROM access_log_node GROUP BY level")).all())
        assert levels == {0: 203, 6: 3, 7: 1}
        result = log.verify(session)
    assert result.ok and result.size == 203 and result.root == mth(leaves).hex()


def test_concurrent_appends_get_contiguous_positions():
    errors = []

    def worker(k: int) -> None:
        try:
            for i in range(15):
                with db.session_scope() as session:
                    log.append(session, entry(100 * k + i))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.session_scope() as session:
        result = log.verify(session)
        ids = session.execute(sa.text("SELECT id FROM access_log_entry ORDER BY id")).scalars()
        assert list(ids) == list(range(60))
    assert result.ok and result.size == 60


def test_verify_reads_one_snapshot_while_the_log_grows():
    fill(70)
    done = threading.Event()

    def writer() -> None:
        for i in range(70, 190):
            with db.session_scope() as session:
                log.append(session, entry(i))
                if i % 10 == 0:
                    log.checkpoint(session)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    results = []
    while not done.is_set():
        with db.session_scope() as session:
            results.append(log.verify(session))
    thread.join()
    assert results and all(result.ok for result in results), \
        [r.problems for r in results if not r.ok]


@pytest.mark.parametrize("bad, field", [
    ({"name": "Jean Dupont"}, "name"),
    ({"user_id": 12}, "user_id"),
    ({"volume": 12.0}, "volume"),
    ({"agreement_id": 3.5}, "agreement_id"),
    ({"volume": -1}, "volume"),
    ({"volume": True}, "volume"),
    ({"volume": 2**60}, "volume"),
    ({"target": ["a", "b"]}, "target"),
    ({"decision": "maybe"}, "decision"),
    ({"decision": None}, "decision"),
    ({"person": "Jean Dupont"}, "person"),
    ({"person": "A" * 64}, "person"),
    ({"time": "hier"}, "time"),
    ({"time": "2025-03-01T08:00:00"}, "time"),
    ({"purpose": "\ud800"}, "purpose"),
    ({"target": "x" * 2001}, "target"),
])
def test_entries_with_other_fields_or_floats_are_refused(bad, field):
    with db.session_scope() as session, pytest.raises(Invalid) as refused:
        log.append(session, entry(1, **bad))
    assert refused.value.errors[0]["field"] == field
    with db.session_scope() as session:
        with pytest.raises(Invalid):
            log.append_many(session, [entry(1), entry(2, score=0.5)])
        assert log.size(session) == 0


def test_person_hash_is_keyed_and_the_person_erasable():
    digest = log.person_hash(42)
    assert log.HEX64.fullmatch(digest) and digest == log.person_hash("42")
    assert digest != log.person_hash(43) and digest != sha256(b"42").hexdigest()
    key_file = load_settings().data_dir / "access-log" / "person.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    with db.session_scope() as session:
        user = User(name="agent-donnees")
        session.add(user)
        session.flush()
        assert log.remember_person(session, user.id, user.name) == log.person_hash(user.id)
        log.append(session, entry(1, person=log.person_hash(user.id)))
        user_id = user.id
    with db.session_scope() as session:
        assert log.resolve_person(session, log.person_hash(user_id)).name == "agent-donnees"
        assert log.erase_person(session, user_id)
        assert not log.erase_person(session, user_id)
    with db.session_scope() as session:
        assert log.resolve_person(session, log.person_hash(user_id)) is None
        assert session.get(PersonKey, log.person_hash(user_id)) is None
        assert log.verify(session).ok


def test_checkpoints_are_signed_and_made_when_the_log_grows():
    fill(5)
    with db.session_scope() as session:
        first = log.checkpoint(session)
        assert log.checkpoint(session).id == first.id
    assert (first.size, first.root_hash) == (5, mth(stored_leaves()).hex())
    key_file = load_settings().data_dir / "access-log" / "checkpoint-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    public = log.public_key()
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public["public_key"]))
    body = f"{first.origin}\n5\n{base64.b64encode(bytes.fromhex(first.root_hash)).decode()}\n"
    key.verify(base64.b64decode(first.signature), body.encode())
    # The C2SP signed note: body, blank line, "— origin base64(key id ‖ signature)".
    note = log.checkpoint_note(first)
    text, signature_line = note.split("\n\n")
    assert text + "\n" == body
    dash, name, blob = signature_line.split()
    assert dash == "\u2014" and name == first.origin
    assert base64.b64decode(blob)[:4].hex() == first.key_id == public["key_id"]
    fill(6)
    with db.session_scope() as session:
        second = log.checkpoint(session)
        assert second.id != first.id and second.size == 6


# --- HTTP ---------------------------------------------------------------------------------

def test_http_checkpoint_and_proofs(client):
    empty = client.get("/api/v1/log/checkpoint").json()
    assert empty["size"] == 0 and empty["root_hash"] == log.EMPTY_ROOT.hex()
    fill(13)
    cp = client.get("/api/v1/log/checkpoint").json()
    assert cp["size"] == 13 and cp["note"].startswith(f"{cp['origin']}\n13\n")
    public = client.get("/api/v1/log/public-key").json()
    assert public["algorithm"] == "Ed25519" and public["key_id"] == cp["key_id"]
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public["public_key"])).verify(
        base64.b64decode(cp["signature"]), cp["note"].split("\n\n")[0].encode() + b"\n")
    root = bytes.fromhex(cp["root_hash"])
    for index in range(13):
        proof = client.get(f"/api/v1/log/entries/{index}/proof").json()
        assert proof["size"] == 13 and proof["root"] == cp["root_hash"]
        assert log.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), index, 13,
                                    [bytes.fromhex(p) for p in proof["path"]], root)
    old = client.get("/api/v1/log/entries/2/proof", params={"size": 5}).json()
    assert old["size"] == 5 and len(old["path"]) == 3
    consistency = client.get("/api/v1/log/consistency", params={"first": 5}).json()
    assert consistency["second"] == 13 and consistency["second_root"] == cp["root_hash"]
    assert log.verify_consistency(5, 13, bytes.fromhex(old["root"]), root,
                                  [bytes.fromhex(p) for p in consistency["path"]])


@pytest.mark.parametrize("url, status", [
    ("/api/v1/log/entries/3/proof", 404),
    ("/api/v1/log/entries/99999999999999999999999/proof", 404),
    ("/api/v1/log/entries/1/proof?size=4", 404),
    ("/api/v1/log/entries/2/proof?size=2", 422),
    ("/api/v1/log/entries/0/proof?size=0", 422),
    ("/api/v1/log/entries/-1/proof", 422),
    ("/api/v1/log/entries/x/proof", 422),
    ("/api/v1/log/consistency?first=2&second=1", 422),
    ("/api/v1/log/consistency?first=0", 422),
    ("/api/v1/log/consistency?first=4", 422),
    ("/api/v1/log/consistency?first=1&second=4", 404),
    ("/api/v1/log/consistency?first=1&second=99999999999999999999999", 404),
    ("/api/v1/log/consistency", 422),
])
def test_http_bad_index_or_size_is_a_problem(client, url, status):
    fill(3)
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status


def test_bad_index_or_size_in_logic():
    fill(3)
    with db.session_scope() as session:
        with pytest.raises(NotFound):
            log.inclusion_proof(session, 3)
        with pytest.raises(Invalid):
            log.inclusion_proof(session, 2, 2)
        with pytest.raises(NotFound):
            log.root(session, 4)
        with pytest.raises(Invalid):
            log.consistency_proof(session, 0, 2)


# --- ctd log, and tampering ---------------------------------------------------------------

def run_cli(*args: str):
    return CliRunner().invoke(app, ["log", *args])


def tamper(*statements: str, **params) -> None:
    """Change the log behind its back: on PostgreSQL with the append-only triggers off."""
    engine = db.get_engine()
    postgres = engine.dialect.name == "postgresql"
    tables = ("access_log_entry", "access_log_node", "access_log_checkpoint")
    with engine.begin() as connection:
        for table in tables if postgres else ():
            connection.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for statement in statements:
            connection.execute(sa.text(statement), params)
        for table in tables if postgres else ():
            connection.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def verify() -> log.VerifyResult:
    with db.session_scope() as session:
        return log.verify(session)


def test_ctd_log_verify_and_checkpoint():
    result = run_cli("verify")
    assert result.exit_code == 0, result.output
    assert "Journal intègre : 0 entrées" in result.output
    fill(10)
    result = run_cli("checkpoint")
    assert result.exit_code == 0, result.output
    assert "Point de contrôle n° " in result.output and ": 10 entrées" in result.output
    result = run_cli("verify")
    assert result.exit_code == 0, result.output
    assert f"Journal intègre : 10 entrées, racine {mth(stored_leaves()).hex()}" in \
        result.output
    assert "1 point(s) de contrôle vérifié(s)" in result.output


def test_a_row_altered_in_the_database_is_named():
    fill(10)
    assert run_cli("checkpoint").exit_code == 0
    assert run_cli("verify").exit_code == 0
    tamper("UPDATE access_log_entry SET entry = replace(entry, '\"deny\"', '\"allow\"') "
           "WHERE id = 5")
    result = verify()
    assert not result.ok and result.first_bad == 5
    assert "contenu modifié" in result.reason
    assert any("racine recalculée diffère" in p for p in result.problems)
    cli = run_cli("verify")
    assert cli.exit_code == 1
    assert "Journal altéré : entrée n° 5" in cli.output


def test_an_altered_row_with_its_leaf_hash_recomputed_is_named():
    fill(10)
    with db.session_scope() as session:
        text = json.dumps(json.loads(session.execute(sa.text(
            "SELECT entry FROM access_log_entry WHERE id = 4")).scalar()) | {"volume": 1},
            sort_keys=True, separators=(",", ":"))
    tamper("UPDATE access_log_entry SET entry = :text, leaf_hash = :leaf WHERE id = 4",
           text=text, leaf=log.leaf_hash(text.encode()).hex())
    result = verify()
    assert not result.ok and result.first_bad == 4
    assert "ne correspond pas à la feuille enregistrée" in result.reason


@pytest.mark.parametrize("size, a, b", [(10, 3, 8), (150, 10, 100)])
def test_swapped_entries_are_detected(size, a, b):
    fill(size, batch=50)
    tamper(f"UPDATE access_log_entry SET id = -1 WHERE id = {a}",
           f"UPDATE access_log_entry SET id = {a} WHERE id = {b}",
           f"UPDATE access_log_entry SET id = {b} WHERE id = -1")
    result = verify()
    assert not result.ok and result.first_bad == a, result
    assert "déplacée" in result.reason
    assert any(p.startswith(f"entrée n° {b} ") for p in result.problems)
    cli = run_cli("verify")
    assert cli.exit_code == 1 and f"Journal altéré : entrée n° {a} " in cli.output


@pytest.mark.parametrize("deleted, checkpoint", [(7, False), (9, False), (9, True),
                                                 (0, True)])
def test_deleted_entries_are_detected(deleted, checkpoint):
    fill(10)
    if checkpoint:
        with db.session_scope() as session:
            log.checkpoint(session)
    tamper(f"DELETE FROM access_log_entry WHERE id = {deleted}")
    result = verify()
    assert not result.ok and result.first_bad == deleted, result
    assert "supprimée" in result.reason
    assert f"Journal altéré : entrée n° {deleted} " in run_cli("verify").output


def test_deleted_last_entries_with_their_nodes_and_head_are_detected_by_the_checkpoint():
    fill(70)
    with db.session_scope() as session:
        log.checkpoint(session)
    # A careful forger: the last entries, their leaves, and the head put back to 65 entries
    # (frontier: leaf 64 at level 0, the first 64 leaves' subtree at level 6).
    leaves = stored_leaves()
    block = log.build_levels(leaves[:64])[6][0]
    tamper("DELETE FROM access_log_entry WHERE id >= 65",
           "DELETE FROM access_log_node WHERE level = 0 AND position >= 65",
           f"UPDATE access_log_head SET size = 65, "
           f"frontier = '{leaves[64].hex()},,,,,,{block.hex()}'")
    result = verify()
    assert not result.ok and result.first_bad == 65, result
    assert "point de contrôle" in result.reason


def test_an_entry_inserted_outside_the_log_is_detected():
    fill(5)
    text = log.entry_text(entry(5))
    tamper("INSERT INTO access_log_entry (id, created, entry, leaf_hash) VALUES "
           "(5, '2025-03-01 08:00:00', :text, :leaf)",
           text=text, leaf=log.leaf_hash(text.encode()).hex())
    result = verify()
    assert not result.ok and result.first_bad == 5, result


def test_an_altered_checkpoint_signature_or_node_is_detected():
    fill(130)
    with db.session_scope() as session:
        cp = log.checkpoint(session)
    signature = bytearray(base64.b64decode(cp.signature))
    signature[10] ^= 1
    tamper(f"UPDATE access_log_checkpoint SET signature = "
           f"'{base64.b64encode(bytes(signature)).decode()}' WHERE id = {cp.id}")
    result = verify()
    assert not result.ok and result.first_bad is None
    assert result.reason == f"point de contrôle n° {cp.id} (130 entrées) : signature invalide."
    cli = run_cli("verify")
    assert cli.exit_code == 1
    assert f"Journal altéré : point de contrôle n° {cp.id} (130 entrées) : signature " \
        "invalide." in cli.output
    tamper(f"UPDATE access_log_checkpoint SET signature = '{cp.signature}', "
           f"root_hash = '{'0' * 64}' WHERE id = {cp.id}")
    assert "signature invalide" in verify().reason
    tamper(f"UPDATE access_log_checkpoint SET root_hash = '{cp.root_hash}' "
           f"WHERE id = {cp.id}")
    assert verify().ok
    tamper("UPDATE access_log_node SET hash = '" + "0" * 64 + "' WHERE level = 7")
    result = verify()
    assert not result.ok and result.first_bad is None
    assert result.reason == "nœud de l'arbre (niveau 7, position 0) altéré ou manquant."


def test_the_log_is_append_only_on_postgresql():
    fill(3)
    with db.session_scope() as session:
        log.checkpoint(session)
    engine = db.get_engine()
    statements = ["UPDATE access_log_entry SET entry = '{}' WHERE id = 1",
                  "DELETE FROM access_log_entry WHERE id = 2",
                  "UPDATE access_log_node SET hash = '' WHERE position = 0",
                  "DELETE FROM access_log_checkpoint"]
    if engine.dialect.name == "postgresql":
        for statement in statements:
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), \
                    engine.begin() as connection:
                connection.execute(sa.text(statement))
        assert verify().ok
    else:
        # SQLite has no such trigger: the change goes through, and verify finds it.
        with engine.begin() as connection:
            connection.execute(sa.text(statements[0]))
        assert verify().first_bad == 1
