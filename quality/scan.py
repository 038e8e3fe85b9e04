"""A file's scan: read it, profile it, check its structure and its schema, in one call and
without a database — what ``ctd score FILE`` runs, and what a resource's report stores.

The schema a file is checked against is, in order: the one given (a bundled name, a file, a
URL), else the official schema its header most likely follows (``guess_schema``), else one
inferred from its profile (each column's dominant type), so that the rows that break the
dominant type are found with their positions, as frictionless does.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quality import rubric
from quality.minimisation import Minimisation, minimise
from quality.personal import Detection, detect
from quality.profile import Profile, profile
from quality.read import DEFAULT_MAX_BYTES, ReadError, read_table
from quality.schema import guess_schema, load_schema, validate
from quality.table import Finding, Table

HASH_CHUNK = 4 * 1024 * 1024
# Profile types and the Table Schema types a file's inferred schema gives them. (A profile
# "datetime" also admits partial and French forms Table Schema's datetime refuses.)
INFERRED_TYPES = {"integer": "integer", "number": "number", "date": "date",
                  "boolean": "boolean"}


def _cases(*words: str) -> list[str]:
    return list(dict.fromkeys(v for w in words for v in (w, w.title(), w.upper())))


BOOLEAN_VALUES = {"trueValues": _cases("true", "vrai", "oui", "yes", "1"),
                  "falseValues": _cases("false", "faux", "non", "no", "0")}


@dataclass
class SchemaCheck:
    """Which schema the file was checked against, how, and how each field fared."""

    ref: str
    # declared (given by the user or the dataset), guessed (an official schema the header
    # matches) or inferred (from the file's own profile).
    origin: str
    valid: bool
    fields: list[dict[str, Any]]
    # Columns of the file the schema describes (a field with a description).
    described_columns: int = 0


@dataclass
class FileScan:
    name: str
    size: int
    sha256: str
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal_comma: bool = False
    rows: int = 0
    columns: int = 0
    profile: Profile | None = None
    findings: list[Finding] = field(default_factory=list)
    schema: SchemaCheck | None = None
    # Official schemas the header resembles, best first: (name, 0–1).
    schema_guesses: list[tuple[str, float]] = field(default_factory=list)
    # Personal data found per column, and how well it is minimised.
    personal: list[Detection] = field(default_factory=list)
    minimisation: Minimisation | None = None
    # Why the file could not be read at all (a source-, format- or encoding-error).
    error: Finding | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["profile"] = self.profile.to_dict() if self.profile else None
        data["personal"] = [detection.to_dict() for detection in self.personal]
        data["minimisation"] = self.minimisation.to_dict() if self.minimisation else None
        data["failed"] = self.failed
        return data


class SchemaError(ValueError):
    """The schema asked for cannot be loaded."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scan_file(
    path: Path,
    *,
    schema: str | dict | None = None,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_columns: int = 2000,
    k: int = rubric.DEFAULT_K,
    quasi: list[str] | None = None,
) -> FileScan:
    """Scan ``path``. A file that cannot be read gives a scan with ``error`` set, not an
    exception; a schema that cannot be loaded raises ``SchemaError`` before any reading.
    ``k`` and ``quasi`` (the quasi-identifiers, else chosen from the detections) are those
    of the re-identification risk."""
    started = time.perf_counter()
    path = Path(path)
    declared = _load(schema) if schema is not None else None
    try:
        scan = FileScan(path.name, path.stat().st_size, sha256_of(path))
    except OSError as error:
        scan = FileScan(path.name, 0, "", error=Finding(
            "scheme-error", f"Cannot open the file: {error.strerror}."))
        scan.seconds = time.perf_counter() - started
        return scan
    try:
        table = read_table(path, format=format, max_bytes=max_bytes, max_columns=max_columns)
    except ReadError as error:
        scan.error = Finding(error.type, error.note)
        scan.seconds = time.perf_counter() - started
        return scan
    scan.format, scan.encoding, scan.delimiter = table.format, table.encoding, table.delimiter
    scan.decimal_comma = table.decimal_comma
    scan.rows, scan.columns = table.frame.height, table.frame.width
    scan.profile = profile(table.frame, decimal_comma=table.decimal_comma)
    scan.schema_guesses = [g for g in guess_schema(table)[:3] if g[1] > 0]
    if declared is not None:
        ref, origin, spec = declared[0], "declared", declared[1]
    elif scan.schema_guesses and scan.schema_guesses[0][1] >= rubric.SCHEMA_GUESS_THRESHOLD:
        ref, origin = scan.schema_guesses[0][0], "guessed"
        spec = load_schema(ref)
    else:
        ref, origin = "inferred", "inferred"
        spec = inferred_schema(scan.profile, _labels(table), table.decimal_comma)
    report = validate(table, spec)
    described = {f["name"] for f in spec.get("fields", []) if f.get("description")}
    scan.schema = SchemaCheck(
        ref=ref, origin=origin, valid=report.valid,
        fields=[asdict(result) for result in report.fields],
        described_columns=sum(1 for name in table.frame.columns if name in described))
    scan.findings = table.findings + report.findings
    scan.personal = detect(table.frame, scan.profile)
    scan.minimisation = minimise(table.frame, scan.personal, k=k, quasi=quasi)
    scan.seconds = time.perf_counter() - started
    return scan


def _load(schema: str | dict) -> tuple[str, dict]:
    if isinstance(schema, dict):
        if not isinstance(schema.get("fields"), list):
            raise SchemaError("the schema has no 'fields' list")
        return schema.get("name") or "custom", schema
    try:
        return schema, load_schema(schema)
    except (ValueError, OSError) as error:
        raise SchemaError(str(error)) from error


def _labels(table: Table) -> list[str]:
    """The header as ``validate`` matches it against a schema."""
    if len(table.header) == table.frame.width:
        return [label.strip() for label in table.header]
    return list(table.frame.columns)


def inferred_schema(profile: Profile, labels: list[str], decimal_comma: bool = False) -> dict:
    """A Table Schema giving each column (named by its ``labels``, a repeated label once)
    its dominant type, so the values that break it are reported as type errors. Text, codes
    and mixed columns stay strings."""
    fields = []
    seen: set[str] = set()
    for column, label in zip(profile.columns, labels, strict=True):
        if label in seen or not label:
            continue
        seen.add(label)
        spec: dict[str, Any] = {"name": label,
                                "type": INFERRED_TYPES.get(column.type, "string")}
        if spec["type"] == "number" and decimal_comma:
            spec["decimalChar"] = ","
        if spec["type"] == "date":
            spec["format"] = "any"
        if spec["type"] == "boolean":
            spec.update(BOOLEAN_VALUES)
        fields.append(spec)
    return {"name": "inferred", "fields": fields}
