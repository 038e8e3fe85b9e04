"""Validate a ``Table`` against a Table Schema (frictionless' specification), as the official
French schemas on schema.data.gouv.fr (SCDL, IRVE) define them.

Every check is a Polars expression over a whole column; no Python code runs once per row.
For each schema field found in the file, one lazy query computes, per cell, the first problem
found (a missing required value, a value that does not parse as the field's type, then the
first broken constraint) and another the repeated values of a ``unique`` field; each query
keeps only the first ``max_findings_per_type`` problems of each kind and counts the rest.
A field's parse (missing, parses, typed value) is added once as columns that the problem
codes refer to, since Polars would repeat it in each branch of a when/then chain; the
surrounding whitespace is stripped only from columns that have some; a field that no cell
can break (an optional string without format or constraints) gets no query.
The only Python loop over values is the fallback for a ``pattern`` that Polars' regex engine
(Rust ``regex``: no look-around, no back-references) cannot compile: Python's ``re`` then
runs once per *distinct* value of that column.

Findings use frictionless' vocabulary and positions: ``missing-label``, ``extra-label``,
``type-error``, ``constraint-error``, ``unique-error``, ``primary-key``; the header is row 1,
the first data row row 2 (frame row index + 2), and field numbers are 1-based positions in
the file's header (in the schema for a ``missing-label``).
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

import catalogue
from quality.profile import STRIP_CHECK_ROWS, strip_needed
from quality.table import Finding, Table

# The official schemas bundled with the catalogue (see SOURCE.md there).
SCHEMAS_DIR = Path(catalogue.__file__).parent / "data" / "schemas"
ENGINE = "in-memory"
MAX_FINDINGS_PER_TYPE = 1000
SCHEMA_MAX_BYTES = 5 * 1024 * 1024

DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
NUMBER = r"^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?i:nan|inf|infinity))$"
INTEGER = r"^[+-]?\d+$"
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
GEOPOINT = {
    "default": rf"^\s*({_NUM})\s*,\s*({_NUM})\s*$",
    "array": rf"^\s*\[\s*({_NUM})\s*,\s*({_NUM})\s*\]\s*$",
}
GEOPOINT_OBJECT = (rf'"lon"\s*:\s*({_NUM})', rf'"lat"\s*:\s*({_NUM})')
STRING_FORMATS = {
    # A top-level domain of two or more characters, no trailing dot (as frictionless' validator).
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$",
    "uri": r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$",
    "uuid": r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$",
    "binary": r"^[A-Za-z0-9+/\s]*={0,2}\s*$",
}
# RFC 3339 allows a lower-case t and z.
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?$"
DATE_FORMATS = {"default": ["%Y-%m-%d"], "any": ["%Y-%m-%d", "%d/%m/%Y"]}
# What Python's strptime (frictionless' date parser) lets these directives match. Polars'
# parser is laxer: its ``%Y`` takes ``24``, and it skips a leading space.
STRPTIME_SHAPES = {
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "m": r"\d{1,2}",
    "d": r"\d{1,2}",
    "H": r"\d{1,2}",
    "M": r"\d{1,2}",
    "S": r"\d{1,2}",
    "%": "%",
}
OTHER_TYPES = {
    "year": r"^\d{4}$",
    "yearmonth": r"^\d{4}-(?:0[1-9]|1[0-2])$",
    "time": r"^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d$",
    "duration": (
        r"^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
    ),
    "object": r"^\s*\{[\s\S]*\}\s*$",
}
# A JSON array of scalars (strings, numbers, true, false, null): the arrays whose items are
# checked against ``arrayItem`` (frictionless parses the cell with ``json.loads``). An array
# holding arrays or objects is taken as an array, unchecked.
_JSON_SPACE = r"[ \t\r\n]*"
_JSON_STRING = r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*"'
_JSON_NUMBER = r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?"


def _json_array(item: str) -> str:
    items = rf"{item}(?:{_JSON_SPACE},{_JSON_SPACE}{item})*"
    return rf"^{_JSON_SPACE}\[{_JSON_SPACE}(?:{items})?{_JSON_SPACE}\]{_JSON_SPACE}$"


FLAT_ARRAY = _json_array(rf"(?:{_JSON_STRING}|{_JSON_NUMBER}|true|false|null)")
# The same with numbers Polars' JSON decoder takes (it fails on those past a float64).
_SMALL_NUMBER = r"-?(?:0|[1-9]\d{0,199})(?:\.\d+)?(?:[eE][+-]?\d{1,2})?"
_DECODABLE_ARRAY = _json_array(rf"(?:{_JSON_STRING}|{_SMALL_NUMBER}|true|false|null)")
STRING_ARRAY = _json_array(rf"(?:{_JSON_STRING}|null)")
NESTED_ARRAY = r"^\s*\[[\s\S]*[\[{][\s\S]*\]\s*$"
# The types whose parse strips the value of surrounding whitespace.
STRIPPED_TYPES = {"integer", "number", *OTHER_TYPES} - {"year"}
# Names as schema.data.gouv.fr writes them (``owner/name``) -> bundled file stem.
ALIASES = {"etalab/schema-irve-statique": "irve-statique", "etalab/schema-irve": "irve-statique"}


@dataclass
class FieldResult:
    """How one schema field fared: found in the file or not, its schema type, the number of
    cells with an error and the number of cells checked."""

    name: str
    present: bool
    type: str
    errors: int = 0
    checked: int = 0


@dataclass
class SchemaReport:
    valid: bool
    findings: list[Finding] = field(default_factory=list)
    fields: list[FieldResult] = field(default_factory=list)


# Loading


def bundled_schemas() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS_DIR.glob("*.schema.json"))


def load_schema(ref: str | Path) -> dict:
    """A Table Schema from:

    - a bundled name (``scdl-subventions``, ``irve-statique``, or as schema.data.gouv.fr
      names them: ``scdl/subventions``, ``etalab/schema-irve-statique``), optionally with a
      version (``scdl/subventions@2.1.0``): another version than the bundled one is fetched
      from where the bundled file says it was published, with the tag changed;
    - an http(s) URL, fetched through ctd's fetcher (size cap, private addresses refused);
    - a local JSON file.

    Raises ``ValueError`` for anything else, saying why."""
    text = str(ref).strip()
    if not isinstance(ref, Path) and text.lower().startswith(("http://", "https://")):
        return _fetched(text)
    if isinstance(ref, Path) or text.lower().endswith(".json") or Path(text).is_file():
        path = Path(ref)
        if not path.is_file():
            raise ValueError(f"schema file not found: {path}")
        return _checked(json.loads(path.read_text(encoding="utf-8")), str(path))
    name, _, version = text.partition("@")
    schema = json.loads((SCHEMAS_DIR / f"{_bundled_name(name)}.schema.json").read_text("utf-8"))
    if version and _plain(version) != _plain(str(schema.get("version", ""))):
        return _fetched(versioned_url(schema, version))
    return schema


def _plain(version: str) -> str:
    return version.strip().lower().removeprefix("v")


def versioned_url(schema: dict, version: str) -> str:
    """Where another version of a bundled schema is published: its ``path`` names its own
    version as a tag (``…/raw/v2.1.1/schema.json``); the tag is swapped."""
    path, current = str(schema.get("path") or ""), _plain(str(schema.get("version", "")))
    tag = f"v{current}"
    if not current or tag not in path or not re.fullmatch(r"[\w.+-]+", _plain(version)):
        raise ValueError(f"version {version!r} of {schema.get('name')!r} is not bundled and "
                         "its address is unknown")
    return path.replace(tag, f"v{_plain(version)}", 1)


@functools.lru_cache(maxsize=32)
def _fetched_text(url: str) -> str:
    from catalogue.fetch import Fetcher, FetchError

    with Fetcher(timeout=20, retries=1, max_bytes=SCHEMA_MAX_BYTES) as fetcher:
        try:
            return fetcher.get(url).text
        except FetchError as error:
            raise ValueError(f"cannot fetch the schema at {url}: {error.message}") from None


def _fetched(url: str) -> dict:
    """A schema fetched by URL (each URL once per process: published versions don't
    change)."""
    try:
        document = json.loads(_fetched_text(url))
    except json.JSONDecodeError as error:
        raise ValueError(f"the document at {url} is not JSON: {error}") from None
    return _checked(document, url)


def _checked(schema: Any, where: str) -> dict:
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise ValueError(f"{where} is not a Table Schema (no 'fields' list)")
    return schema


def _bundled_name(text: str) -> str:
    key = text.lower().removesuffix(".schema.json")
    known = bundled_schemas()
    candidates = [ALIASES.get(key, key)]
    if "/" in key:
        owner, _, name = key.rpartition("/")
        name = name.removeprefix("schema-")
        candidates += [name, f"{owner.rpartition('/')[2]}-{name}", f"scdl-{name}"]
    for candidate in candidates:
        if candidate in known:
            return candidate
    raise ValueError(f"unknown schema {text!r}; bundled: {', '.join(known)}")


@functools.cache
def _bundled_fields(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    fields = load_schema(name)["fields"]
    names = tuple(f["name"].strip().lower() for f in fields)
    required = tuple(
        f["name"].strip().lower() for f in fields if f.get("constraints", {}).get("required")
    )
    return names, required


def guess_schema(table: Table) -> list[tuple[str, float]]:
    """The bundled schemas, best first, scored 0-1 on the file's header: the mean of the
    Jaccard index of the lower-cased names and the share of the schema's required fields
    present."""
    labels = table.header if any(table.header) else table.frame.columns
    header = {label.strip().lower() for label in labels if label.strip()}
    scores = []
    for name in bundled_schemas():
        names, required = _bundled_fields(name)
        fields = set(names)
        jaccard = len(header & fields) / len(header | fields) if header | fields else 0.0
        share = len(header & set(required)) / len(required) if required else jaccard
        scores.append((name, round((jaccard + share) / 2, 4)))
    return sorted(scores, key=lambda item: (-item[1], item[0]))


# Validation


def validate(
    table: Table, schema: dict, *, max_findings_per_type: int = MAX_FINDINGS_PER_TYPE
) -> SchemaReport:
    """Check ``table`` against ``schema``: header labels, cell types, constraints, unique
    fields and the primary key.

    The header is compared with the schema **by name**, not by position: a schema field whose
    name is no label of the file is a ``missing-label`` (numbered by its schema position), a
    label that names no schema field an ``extra-label`` (numbered by its file position), and
    columns in another order are fine. (frictionless v5 without ``schema_sync`` compares by
    position.) A repeated label is checked once, its first column; ``read_table`` already
    reports the repetition as ``duplicate-label``.

    Empty cells (and the schema's ``missingValues``, default ``[""]``) are missing values:
    only ``required`` applies to them. A cell that does not parse as its type gets a
    ``type-error`` and no constraint check; otherwise the first broken constraint (in the
    order required, enum, pattern, minimum, maximum, minLength, maxLength) gives one
    ``constraint-error``. The items of a JSON array are checked against the field's
    ``arrayItem``: an item of another type makes a ``type-error``, a broken item constraint
    a ``constraint-error``. A blank row (every cell missing) is left to ``read_table``'s
    ``blank-row``: none of its cells is checked, as in frictionless. ``valid`` only reflects
    these schema findings, not the structural ones ``read_table`` put in ``table.findings``.
    """
    frame = table.frame
    columns = frame.columns
    labels = (
        [label.strip() for label in table.header]
        if len(table.header) == len(columns)
        else list(columns)
    )
    position: dict[str, int] = {}
    for index, label in enumerate(labels):
        position.setdefault(label, index)
    fields = [f for f in schema.get("fields", []) if isinstance(f, dict) and "name" in f]
    missing_values = [str(v) for v in schema.get("missingValues", [""])]
    limit = max(0, max_findings_per_type)

    findings: list[Finding] = []
    totals: Counter[str] = Counter()
    names = {f["name"] for f in fields}
    for number, spec in enumerate(fields, start=1):
        if spec["name"] not in position:
            note = f"The schema field {spec['name']!r} is not in the file's header."
            findings.append(Finding("missing-label", note, 1, number, spec["name"]))
    for index, label in enumerate(labels):
        if label not in names and label:
            note = f"The label {label!r} is not a field of the schema."
            findings.append(Finding("extra-label", note, 1, index + 1, label))
    for finding in findings:
        totals[finding.type] += 1

    items = {
        spec["name"]: _item_codes(spec, frame, columns[position[spec["name"]]], missing_values)
        for spec in fields
        if spec.get("type") == "array"
        and isinstance(spec.get("arrayItem"), dict)
        and spec["name"] in position
    }
    lf = (
        frame.lazy()
        .with_row_index("__row")
        .with_columns(code.alias(f"__items{number}") for number, code in enumerate(items.values()))
    )
    item_columns = {name: pl.col(f"__items{n}") for n, name in enumerate(items)}
    # A blank row (every cell missing) is one ``blank-row`` finding of ``read_table``, and
    # frictionless checks none of its cells: no ``required`` error for each of its fields.
    # Computed once, not in each field's query.
    if columns:
        cells = [_text(frame, column) for column in columns]
        blank = frame.select(
            pl.all_horizontal([c.is_null() | c.is_in(missing_values) for c in cells])
        ).to_series()
        if blank.any():
            lf = lf.filter(~pl.lit(blank))
    unpadded = _unpadded(frame, [
        columns[position[spec["name"]]] for spec in fields
        if spec["name"] in position and spec.get("type", "string") in STRIPPED_TYPES
    ])
    queries: list[pl.LazyFrame] = []
    meta: list[tuple[str, int, dict]] = []
    results: list[FieldResult] = []
    for spec in fields:
        name, kind = spec["name"], spec.get("type", "string")
        if name not in position:
            results.append(FieldResult(name, False, kind))
            continue
        index = position[name]
        column = columns[index]
        results.append(FieldResult(name, True, kind, checked=frame.height))
        value = _text(frame, column)
        missing = value.is_null() | value.is_in(missing_values)
        ok, typed = _parse(spec, value, strip=column not in unpadded)
        item_code = item_columns.get(name)
        if item_code is not None:  # an item of another type makes the cell a type-error
            ok = ok & (item_code != "type").fill_null(True)
        # The parse is computed once, as columns the codes refer to: Polars does not share a
        # sub-expression repeated in the branches of a when/then chain.
        parsed = {"__missing": missing}
        if not ok.meta.eq(pl.lit(True)):  # else every cell parses: no type check
            parsed["__ok"] = ok
        if typed is not None:
            parsed["__typed"] = typed
        refs = {key: pl.col(key) for key in parsed}
        codes = [_cell_code(spec, frame, column, value, refs["__missing"], refs.get("__ok"),
                            refs.get("__typed"), item_code)]
        if spec.get("constraints", {}).get("unique"):
            key = refs.get("__typed", value)
            repeated = ~refs["__missing"] & ~key.is_first_distinct()
            if "__ok" in refs:
                repeated = repeated & refs["__ok"]
            codes.append(pl.when(repeated).then(pl.lit("unique")))
        field_lf = lf.with_columns(**parsed)
        for code in codes:
            if code is None:  # no cell of the field can break it: no query
                continue
            queries.append(_capped_query(field_lf, code, value, limit))
            meta.append((name, index + 1, spec))
    primary_key = schema.get("primaryKey") or []
    primary_key = [primary_key] if isinstance(primary_key, str) else list(primary_key)
    if primary_key and all(key in position for key in primary_key):
        keys = [pl.col(columns[position[key]]) for key in primary_key]
        empty = pl.any_horizontal([k.is_null() | k.is_in(missing_values) for k in keys])
        repeated = ~empty & ~pl.struct(keys).is_first_distinct()
        code = pl.when(repeated).then(pl.lit("primary-key"))
        queries.append(_capped_query(lf, code, pl.concat_str(keys, separator=", "), limit))
        meta.append(("", 0, {"name": ", ".join(primary_key)}))

    by_name = {result.name: result for result in results}
    cells: list[tuple[int, int, Finding]] = []
    for (name, number, spec), hits in zip(
        meta, pl.collect_all(queries, engine=ENGINE), strict=True
    ):
        counted: set[str] = set()
        for row, code, value, total in hits.iter_rows():
            finding = _cell_finding(spec, name, number, row + 2, code, value)
            cells.append((row, number, finding))
            if code not in counted:
                counted.add(code)
                totals[finding.type] += total
                if name in by_name:
                    by_name[name].errors += total
    cells.sort(key=lambda item: (item[0], item[1]))
    findings += [finding for _, _, finding in cells]

    kept: list[Finding] = []
    shown: Counter[str] = Counter()
    for finding in findings:
        if shown[finding.type] < limit:
            shown[finding.type] += 1
            kept.append(finding)
    for type_, total in totals.items():
        if total > shown[type_]:
            more = total - shown[type_]
            kept.append(Finding(type_, f"{more} more {type_} findings are not listed.", count=more))
    return SchemaReport(valid=not totals, findings=kept, fields=results)


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    value = pl.col(column)
    return value if frame.schema[column] == pl.String else value.cast(pl.String)


def _capped_query(lf: pl.LazyFrame, code: pl.Expr, value: pl.Expr, limit: int) -> pl.LazyFrame:
    """Rows where ``code`` is set: the first ``limit`` of each code, with the code's total."""
    return (
        lf.select("__row", code.alias("code"), value.alias("value"))
        .filter(pl.col("code").is_not_null())
        .with_columns(pl.len().over("code").alias("total"))
        .filter(pl.int_range(pl.len()).over("code") < limit)
        .sort("__row")
    )


def _unpadded(frame: pl.DataFrame, columns: list[str]) -> set[str]:
    """The text ``columns`` with no value starting or ending with whitespace, whose parse
    can skip ``strip_chars`` (checked as ``quality.profile`` does, on first and last bytes;
    not on a small frame, where the check costs more than it saves)."""
    text = sorted({c for c in columns if frame.schema[c] == pl.String})
    if not text or frame.height < STRIP_CHECK_ROWS:
        return set()
    flags = frame.select(strip_needed(pl.col(c)).alias(c) for c in text).row(0, named=True)
    return {column for column, needed in flags.items() if not needed}


def _parse(
    spec: dict, value: pl.Expr, *, strip: bool = True
) -> tuple[pl.Expr, pl.Expr | None]:
    """(the cell parses as the field's type, the typed value used by min/max/enum/unique).
    The types in ``STRIPPED_TYPES`` parse the value stripped of surrounding whitespace;
    ``strip=False`` says the column has none."""
    kind = spec.get("type", "string")
    fmt = str(spec.get("format", "default")).removeprefix("fmt:")
    stripped = value.str.strip_chars() if strip else value
    if kind == "string":
        pattern = STRING_FORMATS.get(fmt)
        return (value.str.contains(pattern) if pattern else pl.lit(True)), None
    if kind == "integer":
        typed = stripped.cast(pl.Int64, strict=False)
        return stripped.str.contains(INTEGER) & typed.is_not_null(), typed
    if kind == "number":
        text = stripped
        if spec.get("groupChar"):
            text = text.str.replace_all(spec["groupChar"], "", literal=True)
        if spec.get("decimalChar", ".") != ".":
            text = text.str.replace_all(spec["decimalChar"], ".", literal=True)
        typed = text.cast(pl.Float64, strict=False)
        return text.str.contains(NUMBER) & typed.is_not_null(), typed
    if kind == "boolean":
        values = [*spec.get("trueValues", DEFAULT_TRUE), *spec.get("falseValues", DEFAULT_FALSE)]
        return value.is_in([str(v) for v in values]), None
    if kind == "date":
        formats = DATE_FORMATS.get(fmt, [fmt])
        typed = pl.coalesce([_strptime(value, f, value.str.to_date) for f in formats])
        return typed.is_not_null(), typed
    if kind == "datetime":
        if fmt in ("default", "any"):
            head = value.str.slice(0, 19).str.replace("[Tt]", " ")
            typed = head.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
            return value.str.contains(ISO_DATETIME) & typed.is_not_null(), typed
        typed = _strptime(value, fmt, value.str.to_datetime)
        return typed.is_not_null(), typed
    if kind == "array":
        return value.str.contains(FLAT_ARRAY) | value.str.contains(NESTED_ARRAY), None
    if kind == "geopoint":
        if fmt == "object":
            lon, lat = (value.str.extract(p, 1).cast(pl.Float64) for p in GEOPOINT_OBJECT)
        else:
            pattern = GEOPOINT.get(fmt, GEOPOINT["default"])
            lon, lat = (value.str.extract(pattern, i).cast(pl.Float64) for i in (1, 2))
        ok = lon.is_not_null() & lat.is_not_null() & (lon.abs() <= 180) & (lat.abs() <= 90)
        return ok, None
    if kind == "year":  # exactly four digits: frictionless refuses "2024 "
        return value.str.contains(OTHER_TYPES[kind]), value.cast(pl.Int64, strict=False)
    if kind in OTHER_TYPES:
        return stripped.str.contains(OTHER_TYPES[kind]), None
    return pl.lit(True), None  # any, and types this validator does not know


def _strptime(value: pl.Expr, fmt: str, parse: Any) -> pl.Expr:
    """``parse(fmt)`` of the cells shaped as strptime wants them, null for the others."""
    parts = []
    for token in re.split(r"(%.)", fmt):
        if token.startswith("%"):
            if token[1] not in STRPTIME_SHAPES:
                return parse(fmt, strict=False)  # a directive not listed: Polars alone
            parts.append(STRPTIME_SHAPES[token[1]])
        else:
            parts.append(r"\s+".join(re.escape(piece) for piece in re.split(r"\s+", token)))
    shape = "^" + "".join(parts) + "$"
    return pl.when(value.str.contains(shape)).then(parse(fmt, strict=False))


def _cell_code(
    spec: dict,
    frame: pl.DataFrame,
    column: str,
    value: pl.Expr,
    missing: pl.Expr,
    ok: pl.Expr | None,
    typed: pl.Expr | None,
    item_code: pl.Expr | None = None,
) -> pl.Expr | None:
    """The first problem of each cell: required, type, then the first broken constraint.
    ``ok`` is None when every cell parses; None is returned when no cell can have a
    problem (an optional field of such a type without constraints)."""
    kind = spec.get("type", "string")
    constraints = spec.get("constraints", {}) or {}
    checks: list[tuple[str, pl.Expr]] = []
    if "enum" in constraints:
        allowed = constraints["enum"]
        if kind in ("integer", "number", "year") and typed is not None:
            numbers = [float(v) for v in allowed if is_number(v)]
            checks.append(("enum", ~typed.cast(pl.Float64).is_in(numbers)))
        else:
            checks.append(("enum", ~value.is_in([as_text(v) for v in allowed])))
    if "pattern" in constraints:
        checks.append(("pattern", _pattern_broken(constraints["pattern"], frame, column, value)))
    for key, op in (("minimum", "lt"), ("maximum", "gt")):
        if key in constraints and typed is not None:
            bound = _bound(kind, constraints[key])
            if bound is not None:
                checks.append((key, getattr(typed, op)(pl.lit(bound))))
    length = value.str.len_chars()
    if "minLength" in constraints and kind == "string":
        checks.append(("minLength", length < int(constraints["minLength"])))
    if "maxLength" in constraints and kind == "string":
        checks.append(("maxLength", length > int(constraints["maxLength"])))

    if item_code is not None:
        checks.append(("arrayItem", item_code == "arrayItem"))

    if ok is None and not checks and not constraints.get("required"):
        return None
    required = pl.lit("required") if constraints.get("required") else pl.lit(None, pl.String)
    expr = pl.when(missing).then(required)
    if ok is not None:
        expr = expr.when(~ok).then(pl.lit("type"))
    for name, broken in checks:
        expr = expr.when(broken.fill_null(False)).then(pl.lit(name))
    return expr.otherwise(pl.lit(None, pl.String))


def _item_codes(spec: dict, frame: pl.DataFrame, column: str, missing_values: list) -> pl.Series:
    """Per row, the first problem of the items of a cell holding a JSON array of scalars:
    "type" when an item is not of ``arrayItem``'s type, "arrayItem" when one breaks its
    constraints (a null or empty item is missing), else null. The items are checked as cells
    are, on a frame of one row per item."""
    item = spec["arrayItem"]
    value = _text(frame, column)
    flat = value.str.contains(_DECODABLE_ARRAY)
    lists = frame.select(
        pl.when(flat).then(value).str.json_decode(pl.List(pl.String)).alias("item"),
        # Table Schema's default item type is string: a number, true, or an array is not.
        not_strings=~value.str.contains(STRING_ARRAY),
    ).with_row_index("row")
    exploded = lists.filter(pl.col("item").list.len() > 0).explode("item")
    element = pl.col("item")
    missing = element.is_null() | element.is_in(missing_values)
    ok, typed = _parse(item, element)
    code = _cell_code(item, exploded, "item", element, missing, ok, typed)
    if code is None:
        code = pl.lit(None, pl.String)
    first = exploded.group_by("row").agg(code.drop_nulls().first().alias("code"))
    strings = item.get("type", "string") == "string"
    return (
        lists.join(first, on="row", how="left")
        .sort("row")
        .select(
            pl.when(pl.col("not_strings") & strings)
            .then(pl.lit("type"))
            .when(pl.col("code") == "type")
            .then(pl.lit("type"))
            .when(pl.col("code").is_not_null())
            .then(pl.lit("arrayItem"))
        )
        .to_series()
    )


def _pattern_broken(pattern: str, frame: pl.DataFrame, column: str, value: pl.Expr) -> pl.Expr:
    """A full match, as Table Schema requires: in Polars when its regex engine compiles the
    pattern, else with Python's ``re`` over the column's distinct values."""
    anchored = f"^(?:{pattern})$"
    try:
        pl.select(pl.lit("").str.contains(anchored))
    except pl.exceptions.PolarsError:
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"invalid pattern {pattern!r}: {error}") from error
        distinct = frame.select(value.alias("v").unique().drop_nulls()).to_series()
        bad = [v for v in distinct if not regex.fullmatch(v)]
        return value.is_in(bad)
    return ~value.str.contains(anchored)


def _bound(kind: str, bound: Any) -> Any:
    try:
        if kind in ("integer", "number", "year"):
            return float(bound)
        if kind == "date":
            return date.fromisoformat(str(bound))
        if kind == "datetime":
            return datetime.fromisoformat(str(bound).replace("Z", "")).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None
    return None


def is_number(value: Any) -> bool:
    """A number in a schema's JSON (an enum value, a bound); a boolean is not one."""
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def as_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _cell_finding(
    spec: dict, name: str, number: int, row: int, code: str, value: str | None
) -> Finding:
    if code == "primary-key":
        note = f"Row {row} repeats the primary key ({spec['name']}) = ({value})."
        return Finding("primary-key", note, row)
    if code == "type":
        kind = spec.get("type", "string")
        fmt = spec.get("format", "default")
        note = f'The cell {value!r} is not of type "{kind}/{fmt}".'
        return Finding("type-error", note, row, number, name)
    if code == "unique":
        note = f"The value {value!r} repeats an earlier row, but the field is unique."
        return Finding("unique-error", note, row, number, name)
    if code == "required":
        return Finding("constraint-error", 'constraint "required" is "True"', row, number, name)
    if code == "arrayItem":
        item = spec["arrayItem"].get("constraints", {})
        note = f"An item of the cell {value!r} breaks the item constraints {item!r}."
        return Finding("constraint-error", note, row, number, name)
    bound = spec.get("constraints", {}).get(code)
    note = f'The cell {value!r} breaks constraint "{code}" ({bound!r}).'
    return Finding("constraint-error", note, row, number, name)
