"""The access log: an append-only Merkle tree as RFC 9162 (certificate transparency v2)
defines it, over canonical JSON entries (RFC 8785), with Ed25519-signed checkpoints.

Leaf hash ``SHA-256(0x00 ‖ entry)``, node hash ``SHA-256(0x01 ‖ left ‖ right)``; the tree of
``n`` leaves splits at the largest power of two below ``n`` (RFC 9162 §2.1.1).

Storage (``sharing_agreements.models``): each entry row keeps its leaf hash; the hash of
every complete subtree of 64 leaves or more is stored once, when its last leaf is appended
(``access_log_node``, about one row per 32 entries), and smaller subtrees are hashed again
from their leaves when needed. Every range the RFC's recursions ask for (a root of any size,
an audit path, a consistency path) is a handful of complete subtrees, so a proof is two
indexed queries: at most 128 leaf hashes and O(log n) stored nodes. The head row holds the
size and the frontier (the complete subtrees of the current size), so an append reads one
row and writes the entry, plus a copy of its leaf hash at its position (level 0 of the node
table, which lets ``verify`` name a moved entry). ``verify`` trusts none of it: it recomputes
every hash from the entries' stored JSON.

Entries hold no personal data: the requesting person appears as a keyed hash
(``person_hash``); who stands behind it is in ``person_key``, which can be erased.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, select

from catalogue.config import load_settings
from catalogue.errors import Invalid, NotFound, Unavailable
from catalogue.files import secret_file
from catalogue.models import utcnow
from sharing_agreements.models import LogCheckpoint, LogEntry, PersonKey

# --- entries and canonical JSON -----------------------------------------------------------

# What a leaf holds, and nothing else.
ENTRY_FIELDS = ("time", "agreement_id", "person", "action", "target", "purpose", "volume",
                "decision", "policy_hash", "report_hash")
REQUIRED = ("action", "target", "decision")
DECISIONS = ("allow", "deny")
MAX_TEXT = 2000
# I-JSON (RFC 7493): integers beyond ±(2**53 - 1) are not exchanged exactly.
MAX_INT = 2**53 - 1
HEX64 = re.compile(r"[0-9a-f]{64}")


def canonical_json(value: Any) -> str:
    """RFC 8785 (JCS) for the JSON types entries use: strings, integers, booleans, null,
    arrays and objects. Floats are refused (their JCS form is the ECMAScript one, and no entry
    needs them); so are integers outside the I-JSON range and strings that are not valid
    Unicode. Members are sorted by their names' UTF-16 code units; Python's ``json`` already
    writes strings as JCS does (only ``"``, ``\\`` and controls escaped, ``\\u00xx`` in
    lower case)."""
    return json.dumps(_jcs(value, "entrée"), ensure_ascii=False, separators=(",", ":"))


def _jcs(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid(f"{where} : texte qui n'est pas de l'Unicode valide.") from None
        return value
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise Invalid(f"{where} : entier hors de ±(2⁵³ − 1).")
        return int(value)
    if isinstance(value, float):
        raise Invalid(f"{where} : nombre à virgule refusé (entiers seulement).")
    if isinstance(value, list | tuple):
        return [_jcs(item, where) for item in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise Invalid(f"{where} : les noms de membres doivent être du texte.")
            _jcs(key, where)
        return {key: _jcs(value[key], f"{where}.{key}")
                for key in sorted(value, key=lambda k: k.encode("utf-16-be"))}
    raise Invalid(f"{where} : valeur de type {type(value).__name__} refusée.")


def normalise_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry as it goes into the leaf: the known fields only, every one present (null
    when not given), ``time`` (now by default) in UTC to the microsecond."""
    if not isinstance(entry, Mapping):
        raise Invalid("Une entrée du journal est un objet JSON.")
    unknown = [name for name in entry if name not in ENTRY_FIELDS]
    if unknown:
        raise Invalid(f"Champ refusé dans une entrée du journal : {unknown[0]} (permis : "
                      f"{', '.join(ENTRY_FIELDS)}).", field=str(unknown[0]))
    for name in REQUIRED:
        if entry.get(name) in (None, ""):
            raise Invalid(f"Champ obligatoire dans une entrée du journal : {name}.", field=name)
    out = {name: entry.get(name) for name in ENTRY_FIELDS}
    for name, value in out.items():
        if isinstance(value, float):
            raise Invalid(f"{name} : nombre à virgule refusé (entiers seulement).", field=name)
        if name != "time" and value is not None and (isinstance(value, bool)
                                                     or not isinstance(value, str | int)):
            raise Invalid(f"{name} : texte, entier ou null attendu.", field=name)
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise Invalid(f"{name} : plus de {MAX_TEXT} caractères.", field=name)
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise Invalid(f"{name} : texte qui n'est pas de l'Unicode valide.",
                                  field=name) from None
        elif isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise Invalid(f"{name} : entier hors de ±(2⁵³ − 1).", field=name)
    out["time"] = _utc_text(out["time"])
    if out["decision"] not in DECISIONS:
        raise Invalid("decision : « allow » ou « deny ».", field="decision")
    for name in ("action", "target", "purpose", "policy_hash", "report_hash"):
        if out[name] is not None and not isinstance(out[name], str):
            raise Invalid(f"{name} : texte attendu.", field=name)
    volume = out["volume"]
    if volume is not None and (not isinstance(volume, int) or volume < 0):
        raise Invalid("volume : entier positif ou nul attendu.", field="volume")
    if out["person"] is not None and not (isinstance(out["person"], str)
                                          and HEX64.fullmatch(out["person"])):
        raise Invalid("person : empreinte à clé (person_hash) attendue, jamais l'identité "
                      "d'une personne.", field="person")
    return out


def entry_text(entry: Mapping[str, Any]) -> str:
    """The entry's canonical JSON (what ``canonical_json(normalise_entry(entry))`` gives,
    faster: the names are ASCII, so ``sort_keys`` is the RFC 8785 order, and the values are
    checked scalars)."""
    return json.dumps(normalise_entry(entry), ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True)


def _utc_text(value: Any) -> str:
    if value is None:
        value = utcnow()
    elif isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid("time : date ISO 8601 attendue.", field="time") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise Invalid("time : date ISO 8601 avec fuseau attendue.", field="time")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the tree, without storage (RFC 9162 §2.1) --------------------------------------------

EMPTY_ROOT = sha256(b"").digest()
# (level, position): the complete subtree of the 2**level leaves from position * 2**level.
Key = tuple[int, int]
# Gives the hashes of the complete subtrees asked for (from the database, or from memory).
Nodes = Callable[[Iterable[Key]], Mapping[Key, bytes]]


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtrees(start: int, end: int) -> list[Key]:
    """The complete subtrees whose hashes make MTH(D[start:end]), largest first, for the
    ranges the RFC's recursions reach (``start`` a multiple of a power of two ≥ the size)."""
    out, position, size = [], start, end - start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, position >> level))
            position += 1 << level
    return out


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs make PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), in order."""
    ranges, start, end = [], 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs make PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) (RFC 9162
    §2.1.4.1), in order; 0 < m ≤ n."""
    ranges, start, end, whole = [], 0, n, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            whole = False
    if not whole:
        ranges.append((start, end))
    return ranges[::-1]


def range_hashes(ranges: Sequence[tuple[int, int]], nodes: Nodes) -> list[bytes]:
    """MTH(D[a:b]) for each range, from one request for complete subtrees."""
    plans = [subtrees(a, b) for a, b in ranges]
    found = nodes({key for plan in plans for key in plan})
    out = []
    for plan in plans:
        value = found[plan[-1]]
        for key in reversed(plan[:-1]):
            value = node_hash(found[key], value)
        out.append(value)
    return out


def tree_root(size: int, nodes: Nodes) -> bytes:
    return range_hashes([(0, size)], nodes)[0] if size else EMPTY_ROOT


def inclusion_path(index: int, size: int, nodes: Nodes) -> list[bytes]:
    return range_hashes(inclusion_ranges(index, size), nodes)


def consistency_path(m: int, n: int, nodes: Nodes) -> list[bytes]:
    return range_hashes(consistency_ranges(m, n), nodes)


def build_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete subtree's hash, level by level (level 0: the leaves)."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([sha256(b"\x01" + left + right).digest()
                       for left, right in zip(below[0::2], below[1::2], strict=False)])
    return levels


def levels_nodes(levels: list[list[bytes]]) -> Nodes:
    return lambda keys: {(level, pos): levels[level][pos] for level, pos in keys}


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, for 0 < first ≤ second (equal sizes: an empty path, equal roots)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and hmac.compare_digest(first_root, second_root)
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return (sn == 0 and hmac.compare_digest(fr, first_root)
            and hmac.compare_digest(sr, second_root))


# --- keys in the data directory -----------------------------------------------------------

def _key_dir() -> Path:
    return load_settings().data_dir / "access-log"


@cache
def _person_secret(directory: Path) -> bytes:
    return secret_file(directory / "person.key", lambda: secrets.token_bytes(32))


@cache
def _signing_key(directory: Path) -> Ed25519PrivateKey:
    pem = secret_file(directory / "checkpoint-key.pem", lambda: Ed25519PrivateKey.generate()
                       .private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise Unavailable("La clé de signature du journal n'est pas une clé Ed25519.")
    return key


def signing_key() -> Ed25519PrivateKey:
    """The log's Ed25519 key (``<data dir>/access-log/checkpoint-key.pem``)."""
    return _signing_key(_key_dir())


# --- persons ------------------------------------------------------------------------------

def person_hash(user_id: int | str) -> str:
    """HMAC-SHA256 of the user id with the log's secret person key: what leaves hold. Without
    the key (``<data dir>/access-log/person.key``) the small space of user ids cannot be
    searched for a match."""
    return hmac.new(_person_secret(_key_dir()), str(user_id).encode(), "sha256").hexdigest()


def remember_person(session: Session, user_id: int, name: str | None = None) -> str:
    """The person's keyed hash, recorded in the erasable side table."""
    digest = person_hash(user_id)
    if session.get(PersonKey, digest) is None:
        session.add(PersonKey(person_hash=digest, user_id=user_id, name=name))
        session.flush()
    return digest


def resolve_person(session: Session, digest: str) -> PersonKey | None:
    return session.get(PersonKey, digest)


def erase_person(session: Session, user_id: int) -> bool:
    """Forget who stands behind the person's hash; the log's leaves stay as they are."""
    row = session.get(PersonKey, person_hash(user_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# --- storage: append ----------------------------------------------------------------------

# Taking the head row is what orders appends: on PostgreSQL a row lock (SELECT … FOR
# UPDATE, so that the row gets one new version per append, not two), on SQLite the database's
# write lock (which only a write takes), both held until the transaction ends. Appends run
# these on the driver's cursor (qmark placeholders, adapted to the dialect): SQLAlchemy's
# execution would otherwise be most of an append's cost.
_LOCK_HEAD = "SELECT size, frontier FROM access_log_head WHERE id = 1 FOR UPDATE"
_TAKE_HEAD = "UPDATE access_log_head SET size = size + ? WHERE id = 1 RETURNING size, frontier"
_MAKE_HEAD = ("INSERT INTO access_log_head (id, size, frontier) VALUES (1, 0, '') "
              "ON CONFLICT (id) DO NOTHING")
_SET_HEAD = "UPDATE access_log_head SET size = ?, frontier = ? WHERE id = 1"
_INSERT_ENTRY = "INSERT INTO access_log_entry (id, created, entry, leaf_hash) VALUES (?, ?, ?, ?)"
_INSERT_NODE = "INSERT INTO access_log_node (level, position, hash) VALUES (?, ?, ?)"
_READ_HEAD = sa.text("SELECT size, frontier FROM access_log_head WHERE id = 1")
# Subtrees of 2**6 = 64 leaves and more are stored; smaller ones are hashed again from their
# leaves when a proof needs them (at most two blocks of 64 leaves per proof). Levels 1 to 5
# would be 97% of the stored nodes, and verify would read them all.
BLOCK_LEVEL = 6


def driver(connection: sa.Connection) -> Callable[..., Any]:
    """Run a qmark statement on the driver's cursor, in the connection's transaction (with
    one tuple of parameters, or a list for executemany); return the first row, or every row
    with ``rows=True``. For the hot paths (an append, an access), where SQLAlchemy's
    statement building would cost more than the database."""
    cursor = connection.connection.driver_connection.cursor()
    convert = connection.dialect.paramstyle != "qmark"

    def run(sql: str, params: Sequence = (), rows: bool = False) -> Any:
        sql = sql.replace("?", "%s") if convert else sql
        if params and isinstance(params, list):
            cursor.executemany(sql, params)
            return None
        cursor.execute(sql, params)
        if not cursor.description:
            return None
        return cursor.fetchall() if rows else cursor.fetchone()

    return run


@cache
def time_processor(dialect: sa.Dialect) -> Callable[[Any], Any]:
    """How an aware UTC datetime is bound in a ``UTCDateTime`` column of the dialect."""
    bind = LogEntry.__table__.c.created.type.bind_processor(dialect)
    return bind or (lambda value: value)


@dataclass(frozen=True, slots=True)
class Appended:
    """An entry just appended: its position, time, canonical JSON and leaf hash (hex)."""

    id: int
    created: datetime
    entry: str
    leaf_hash: str


def append(session: Session, entry: Mapping[str, Any]) -> Appended:
    """Add one entry to the log, in the caller's transaction: the access and its record are
    committed together or not at all. Appends are serialised from here to the commit, so call
    this last, just before committing. Fields: ``ENTRY_FIELDS``; anything else, or a float,
    is refused (``Invalid``)."""
    return append_many(session, [entry])[0]


def append_many(session: Session, entries: Sequence[Mapping[str, Any]]) -> list[Appended]:
    """Add entries in order, with one statement per table."""
    texts = [entry_text(entry) for entry in entries]
    if not texts:
        return []
    connection = session.connection()
    first, frontier = _take_head(connection, len(texts))
    created = utcnow()
    stored_created = time_processor(connection.dialect)(created)
    rows, nodes = [], []
    for offset, text in enumerate(texts):
        index = first + offset
        value = leaf_hash(text.encode())
        rows.append((index, stored_created, text, value.hex()))
        nodes.append((0, index, rows[-1][3]))
        level, position = 0, index
        # A subtree completes at each level where the old size had its bit set.
        while level < len(frontier) and frontier[level] is not None:
            value = node_hash(frontier[level], value)
            frontier[level] = None
            level += 1
            position >>= 1
            if level >= BLOCK_LEVEL:
                nodes.append((level, position, value.hex()))
        if level == len(frontier):
            frontier.append(None)
        frontier[level] = value
    _write(connection, rows, nodes, first + len(rows), _encode_frontier(frontier))
    return [Appended(index, created, text, digest) for index, _, text, digest in rows]


def _take_head(connection: sa.Connection, count: int) -> tuple[int, list[bytes | None]]:
    """Lock the head; the position of the first new entry, and the frontier."""
    run = driver(connection)
    postgres = connection.dialect.name == "postgresql"
    take = (lambda: run(_LOCK_HEAD)) if postgres else (lambda: run(_TAKE_HEAD, (count,)))
    head = take()
    if head is None:
        run(_MAKE_HEAD)
        head = take()
    return head[0] if postgres else head[0] - count, _decode_frontier(head[1])


def _write(connection: sa.Connection, rows: list[tuple], nodes: list[tuple], size: int,
           frontier: str) -> None:
    """Insert the entries and nodes and store the new head: on PostgreSQL in one round trip
    (the head's lock is held from the first statement to the commit, and round trips are most
    of that time), elsewhere statement by statement."""
    run = driver(connection)
    if connection.dialect.name == "postgresql" and len(nodes) <= 1000:
        entries = ", ".join(["(?, ?, ?, ?)"] * len(rows))
        leaves = ", ".join(["(?, ?, ?)"] * len(nodes))
        run(f"WITH e AS ({_INSERT_ENTRY.split(' VALUES ')[0]} VALUES {entries}), "
            f"n AS ({_INSERT_NODE.split(' VALUES ')[0]} VALUES {leaves}) {_SET_HEAD}",
            (*(value for row in rows for value in row),
             *(value for node in nodes for value in node), size, frontier))
        return
    run(_INSERT_ENTRY, rows if len(rows) > 1 else rows[0])
    run(_INSERT_NODE, nodes if len(nodes) > 1 else nodes[0])
    run(_SET_HEAD, (size, frontier))


def _decode_frontier(text: str) -> list[bytes | None]:
    return [bytes.fromhex(part) if part else None for part in text.split(",")] if text else []


def _encode_frontier(frontier: list[bytes | None]) -> str:
    while frontier and frontier[-1] is None:
        frontier.pop()
    return ",".join(value.hex() if value else "" for value in frontier)


def _frontier_root(frontier: list[bytes | None]) -> bytes:
    value = None
    for part in frontier:
        if part is not None:
            value = part if value is None else node_hash(part, value)
    return value or EMPTY_ROOT


# --- storage: reading the tree ------------------------------------------------------------

def size(session: Session) -> int:
    head = session.connection().execute(_READ_HEAD).first()
    return head[0] if head else 0


def _stored_nodes(session: Session) -> Nodes:
    connection = session.connection()

    def fetch(keys: Iterable[Key]) -> dict[Key, bytes]:
        keys = {(int(level), int(position)) for level, position in keys}
        small = [key for key in keys if key[0] < BLOCK_LEVEL]
        large = [key for key in keys if key[0] >= BLOCK_LEVEL]
        found: dict[Key, bytes] = {}
        if small:
            # From the entries' own leaf_hash, which verify checks against their JSON.
            leaves = _leaf_hashes(connection, [(p << level, (p + 1) << level)
                                               for level, p in small])
            for level, position in small:
                layer = [leaves.get(i) for i in range(position << level,
                                                      (position + 1) << level)]
                if None in layer:
                    _damaged((0, position << level))
                while len(layer) > 1:
                    layer = [node_hash(a, b) for a, b in zip(layer[0::2], layer[1::2],
                                                             strict=True)]
                found[level, position] = layer[0]
        if large:
            by_level: dict[int, list[int]] = defaultdict(list)
            for level, position in large:
                by_level[level].append(position)
            # Integers we computed, inlined (no statement to compile and cache): one OR of
            # (level, IN) per level uses the primary key on SQLite, where a row-value IN
            # scans the table.
            where = " OR ".join(f"(level = {level} AND position IN "
                                f"({','.join(map(str, sorted(positions)))}))"
                                for level, positions in sorted(by_level.items()))
            rows = connection.exec_driver_sql(
                f"SELECT level, position, hash FROM access_log_node WHERE {where}")
            found.update(((level, position), bytes.fromhex(value))
                         for level, position, value in rows)
            for key in large:
                if key not in found:
                    _damaged(key)
        return found

    return fetch


def _leaf_hashes(connection: sa.Connection, ranges: list[tuple[int, int]]) -> dict[int, bytes]:
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    where = " OR ".join(f"(id >= {start} AND id < {end})" for start, end in merged)
    rows = connection.exec_driver_sql(f"SELECT id, leaf_hash FROM access_log_entry WHERE {where}")
    return {index: bytes.fromhex(value) for index, value in rows}


def _damaged(key: Key) -> None:
    raise Unavailable(f"Journal endommagé : le nœud {key} de l'arbre manque ; lancez "
                      "« ctd log verify ».")


def _tree_size(session: Session, requested: int | None, name: str = "size",
               current: int | None = None) -> int:
    current = size(session) if current is None else current
    if requested is None:
        return current
    if requested > current:
        raise NotFound(f"Le journal ne compte que {current} entrée(s) : pas d'arbre de taille "
                       f"{requested}.")
    if requested < 0:
        raise Invalid(f"{name} : entier positif attendu.", field=name)
    return requested


def root(session: Session, size: int | None = None) -> str:
    """The root hash (hex) of the tree of the first ``size`` entries (all by default)."""
    return tree_root(_tree_size(session, size), _stored_nodes(session)).hex()


@dataclass
class InclusionProof:
    index: int
    size: int
    leaf_hash: str
    path: list[str]
    root: str


@dataclass
class ConsistencyProof:
    first: int
    second: int
    first_root: str
    second_root: str
    path: list[str]


def inclusion_proof(session: Session, index: int, size: int | None = None) -> InclusionProof:
    """The audit path of entry ``index`` in the tree of the first ``size`` entries."""
    current = _tree_size(session, None)
    if not 0 <= index < current:
        raise NotFound(f"Pas d'entrée n° {index} : le journal en compte {current}.")
    size = _tree_size(session, size, current=current)
    if index >= size:
        raise Invalid(f"L'entrée n° {index} n'est pas dans l'arbre des {size} premières "
                      "entrées.", field="size")
    ranges = [(index, index + 1), (0, size), *inclusion_ranges(index, size)]
    leaf, top, *path = range_hashes(ranges, _stored_nodes(session))
    return InclusionProof(index=index, size=size, leaf_hash=leaf.hex(),
                          path=[p.hex() for p in path], root=top.hex())


def consistency_proof(session: Session, m: int, n: int | None = None) -> ConsistencyProof:
    """The consistency path from the tree of the first ``m`` entries to the first ``n``."""
    n = _tree_size(session, n, "second")
    if not 0 < m <= n:
        raise Invalid(f"Tailles attendues : 0 < first ≤ second ≤ {n}.", field="first")
    ranges = [(0, m), (0, n), *consistency_ranges(m, n)]
    first_root, second_root, *path = range_hashes(ranges, _stored_nodes(session))
    return ConsistencyProof(first=m, second=n, first_root=first_root.hex(),
                            second_root=second_root.hex(), path=[p.hex() for p in path])


# --- checkpoints --------------------------------------------------------------------------

# The signed-note signature type of Ed25519.
ED25519 = b"\x01"


def origin() -> str:
    """The log's name in its checkpoints: where it is published, without the scheme."""
    public = load_settings().public_url
    base = public.split("://", 1)[-1] if public else "ctd"
    return f"{base}/access-log"


def key_id(name: str, public: bytes) -> bytes:
    """The C2SP signed-note key hash of an Ed25519 key: SHA-256(name ‖ \\n ‖ 0x01 ‖ key)[:4]."""
    return sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def checkpoint_text(origin: str, size: int, root_hex: str) -> str:
    """The C2SP tlog-checkpoint body that is signed: origin, size, base64 root."""
    return f"{origin}\n{size}\n{base64.b64encode(bytes.fromhex(root_hex)).decode()}\n"


def checkpoint_note(cp: LogCheckpoint) -> str:
    """The checkpoint as a C2SP signed note, the form witnesses read and cosign."""
    signature = bytes.fromhex(cp.key_id) + base64.b64decode(cp.signature)
    return (checkpoint_text(cp.origin, cp.size, cp.root_hash)
            + f"\n\u2014 {cp.origin} {base64.b64encode(signature).decode()}\n")


def public_key() -> dict[str, str]:
    """The key that signs checkpoints: raw (base64), PEM, and as a signed-note verifier."""
    key = signing_key()
    raw, name = _raw_public(key), origin()
    kid = key_id(name, raw)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"algorithm": "Ed25519", "origin": name, "key_id": kid.hex(),
            "public_key": base64.b64encode(raw).decode(), "pem": pem.decode(),
            "verifier": f"{name}+{kid.hex()}+{base64.b64encode(ED25519 + raw).decode()}"}


def latest_checkpoint(session: Session) -> LogCheckpoint | None:
    return session.exec(select(LogCheckpoint).order_by(LogCheckpoint.id.desc())
                        .limit(1)).first()


def checkpoint(session: Session) -> LogCheckpoint:
    """The latest checkpoint, after signing a new one if the log grew (or the origin or key
    changed)."""
    key, name = signing_key(), origin()
    kid = key_id(name, _raw_public(key)).hex()
    current = size(session)
    latest = latest_checkpoint(session)
    if latest and (latest.size, latest.origin, latest.key_id) == (current, name, kid):
        return latest
    top = root(session, current)
    signature = key.sign(checkpoint_text(name, current, top).encode())
    made = LogCheckpoint(origin=name, size=current, root_hash=top, key_id=kid,
                         signature=base64.b64encode(signature).decode())
    session.add(made)
    session.flush()
    return made


def _signature_ok(cp: LogCheckpoint, key: Ed25519PrivateKey) -> bool:
    raw = _raw_public(key)
    if cp.key_id != key_id(cp.origin, raw).hex():
        return False
    try:
        key.public_key().verify(base64.b64decode(cp.signature, validate=True),
                                checkpoint_text(cp.origin, cp.size, cp.root_hash).encode())
    except (InvalidSignature, ValueError):
        return False
    return True


# --- verification -------------------------------------------------------------------------

BATCH = 50_000
MAX_PROBLEMS = 20


@dataclass
class VerifyResult:
    ok: bool
    size: int
    # The root recomputed from the stored entries (hex).
    root: str
    checkpoints: int
    # The position of the first bad entry, if an entry is to blame, and why (French).
    first_bad: int | None = None
    reason: str | None = None
    problems: list[str] = field(default_factory=list)


def verify(session: Session) -> VerifyResult:
    """Recompute everything from the stored canonical JSON: each leaf hash, the stored
    subtree hashes, the head, and each checkpoint's root and signature. An altered entry
    fails its leaf hash; a deleted one leaves a gap, or a shorter log than the head and
    the checkpoints say; moved or replaced ones no longer match the leaf recorded at their
    position when they were appended."""
    connection = session.connection()
    _snapshot(connection)
    found: list[tuple[int | None, str]] = []

    def problem(position: int | None, reason: str) -> None:
        if len(found) < 50 * MAX_PROBLEMS:
            found.append((position, reason))

    leaves, expected = _read_leaves(connection, problem)
    count = len(leaves)

    levels = build_levels(leaves)
    _check_nodes(connection, levels, problem)
    _check_head(connection, levels, count, expected, problem)
    checkpoints = _check_checkpoints(session, levels, count, problem)

    # One reason per entry (the first found, the most direct), entries first.
    seen: set[int] = set()
    found = [item for item in found if item[0] is None or not (item[0] in seen
                                                                or seen.add(item[0]))]
    found.sort(key=lambda item: (item[0] is None, item[0] or 0))
    messages = [f"entrée n° {p} : {why}" if p is not None else why for p, why in found]
    top = tree_root(count, levels_nodes(levels)).hex()
    if not found:
        return VerifyResult(ok=True, size=count, root=top, checkpoints=checkpoints)
    return VerifyResult(ok=False, size=count, root=top, checkpoints=checkpoints,
                        first_bad=found[0][0], reason=found[0][1],
                        problems=messages[:MAX_PROBLEMS])


def _snapshot(connection: sa.Connection) -> None:
    """Read everything from one snapshot (unless the transaction has already read), so that
    entries appended meanwhile are not taken for entries missing from the head or the
    checkpoints."""
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        if raw.info.transaction_status.name == "IDLE":
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    elif connection.dialect.name == "sqlite" and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _read_leaves(connection: sa.Connection,
                 problem: Callable[[int | None, str], None]) -> tuple[list[bytes], int]:
    """Every entry's leaf hash, recomputed from its JSON and compared with its stored one;
    and the position after the last entry. Reading rows is most of verify's time, so each
    row is one value, leaf_hash and JSON as UTF-8 bytes, and ids are read only when they
    are not exactly 0 to n-1."""
    count, low, high = connection.execute(sa.text(
        "SELECT count(*), min(id), max(id) FROM access_log_entry")).one()
    contiguous = not count or (low == 0 and high == count - 1)
    joined = ("convert_to(leaf_hash || entry, 'UTF8')"
              if connection.dialect.name == "postgresql" else "CAST(leaf_hash || entry AS BLOB)")
    query = f"SELECT {joined if contiguous else 'id, ' + joined} FROM access_log_entry ORDER BY id"
    leaves: list[bytes] = []
    expected = 0
    for batch in _batches(connection, query):
        if contiguous:
            ids: Sequence[int] = range(expected, expected + len(batch))
            rows = [row[0] for row in batch]
            expected += len(batch)
        else:
            ids, rows = zip(*batch, strict=True)
            for position in ids:
                if position != expected:
                    problem(expected, "entrée supprimée (position absente du journal).")
                expected = position + 1
        digests = [sha256(b"\x00" + row[64:]).digest() for row in rows]
        # One comparison per batch; entry by entry only when it differs.
        if b"".join(digests).hex().encode() != b"".join([row[:64] for row in rows]):
            for position, digest, row in zip(ids, digests, rows, strict=True):
                if digest.hex().encode() != row[:64]:
                    problem(position, "contenu modifié (son empreinte ne correspond plus).")
        leaves.extend(digests)
    return leaves, expected


def _batches(connection: sa.Connection, sql: str, params: tuple = ()) -> Iterator[list]:
    """Rows in batches straight from the driver (building SQLAlchemy's rows would cost as
    much as reading them); on PostgreSQL through a server-side cursor, so that a million
    rows are never all in memory at once, in binary (bytea as is: twice as fast as hex)."""
    raw = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    cursor = (raw.cursor(name=f"access_log_{secrets.token_hex(4)}", binary=True) if postgres
              else raw.cursor())
    try:
        cursor.execute(sql.replace("?", "%s") if postgres else sql, params)
        while rows := cursor.fetchmany(BATCH):
            yield rows
    finally:
        cursor.close()


def _check_nodes(connection: sa.Connection, levels: list[list[bytes]],
                 problem: Callable[[int | None, str], None]) -> None:
    """Compare the stored subtree hashes with the recomputed ones, from ``BLOCK_LEVEL`` up.
    A block whose hash differs is traced to its entry through the leaves recorded at append
    time (level 0), and so is the last, incomplete block; once a level differs, the levels
    above only repeat it."""
    count = len(levels[0])
    tail = count >> BLOCK_LEVEL << BLOCK_LEVEL
    for moved in _moved_leaves(connection, levels[0], tail, count):
        problem(moved, MOVED)
    query = "SELECT position, hash FROM access_log_node WHERE level = ? ORDER BY position"
    for level in range(BLOCK_LEVEL, len(levels)):
        hexes = [digest.hex() for digest in levels[level]]
        rows = [row for batch in _batches(connection, query, (level,)) for row in batch]
        if [row[0] for row in rows] == list(range(len(hexes))) and \
                [row[1] for row in rows] == hexes:
            continue
        kept = dict(rows)
        bad = [p for p, value in enumerate(hexes) if kept.get(p) != value][:MAX_PROBLEMS]
        for position in bad:
            moved = (_moved_leaves(connection, levels[0], position << level,
                                   (position + 1) << level) if level == BLOCK_LEVEL else [])
            for entry in moved:
                problem(entry, MOVED)
            if not moved:
                problem(None, f"nœud de l'arbre (niveau {level}, position {position}) altéré "
                              "ou manquant.")
        extra = min((p for p in kept if p >= len(hexes)), default=None)
        if extra is not None:
            problem(extra << level, f"entrée supprimée (le nœud de niveau {level}, position "
                                    f"{extra}, la couvrait).")
        return
    leaves = connection.execute(sa.text("SELECT count(*) FROM access_log_node WHERE level = 0")
                                ).scalar() or 0
    if leaves > count:
        problem(count, "entrée supprimée (sa feuille est encore dans l'arbre).")
    deeper = connection.execute(sa.text("SELECT min(level) FROM access_log_node "
                                        "WHERE level >= :level"),
                                {"level": max(len(levels), BLOCK_LEVEL)}).scalar()
    if deeper is not None:
        problem(None, f"nœuds de niveau {deeper} sans leurs entrées : entrées supprimées.")


MOVED = ("ne correspond pas à la feuille enregistrée à sa position (entrée remplacée, "
         "déplacée ou insérée).")


def _moved_leaves(connection: sa.Connection, leaves: list[bytes], start: int,
                  end: int) -> list[int]:
    """The entries in [start, end) that differ from the leaf recorded at their position
    when they were appended."""
    if start >= end:
        return []
    rows = dict(connection.execute(sa.text(
        "SELECT position, hash FROM access_log_node WHERE level = 0 AND position >= :start "
        "AND position < :end"), {"start": start, "end": end}).all())
    return [p for p in range(start, min(end, len(leaves)))
            if rows.get(p) != leaves[p].hex()][:MAX_PROBLEMS]


def _check_head(connection: sa.Connection, levels: list[list[bytes]], count: int,
                expected: int, problem: Callable[[int | None, str], None]) -> None:
    head = connection.execute(_READ_HEAD).first()
    head_size, frontier = (head[0], _decode_frontier(head[1])) if head else (0, [])
    if head_size > expected:
        problem(expected, f"entrée supprimée (le journal en a compté {head_size}).")
    elif head_size < expected:
        problem(head_size, "ajoutée hors du journal (le journal n'en a compté que "
                           f"{head_size}).")
    elif head_size == count and _frontier_root(frontier) != tree_root(count,
                                                                      levels_nodes(levels)):
        problem(None, "tête du journal incohérente avec ses entrées.")


def _check_checkpoints(session: Session, levels: list[list[bytes]], count: int,
                       problem: Callable[[int | None, str], None]) -> int:
    key = signing_key()
    nodes = levels_nodes(levels)
    checked, previous = 0, 0
    for cp in session.exec(select(LogCheckpoint).order_by(LogCheckpoint.id)):
        checked += 1
        name = f"point de contrôle n° {cp.id} ({cp.size} entrées)"
        if not _signature_ok(cp, key):
            problem(None, f"{name} : signature invalide.")
        if cp.size < previous:
            problem(None, f"{name} : plus petit que le précédent ({previous}).")
        previous = max(previous, cp.size)
        if cp.size > count:
            problem(count, f"entrée supprimée ({name} en signait davantage).")
        elif tree_root(cp.size, nodes).hex() != cp.root_hash:
            problem(None, f"{name} : la racine recalculée diffère de la racine signée — "
                          "une entrée antérieure a été modifiée.")
    return checked
