"""Great Expectations (GX Core 1.x) for ctd: ctd's own checks of a resource exported as a GX
expectation suite, suites uploaded by users checked, and suites run on a frame.

``great_expectations`` and ``pandas`` take seconds and hundreds of megabytes to import: they
are imported inside ``validate_suite`` and ``run_suite`` only, never when this module is
imported, so that the API starts without them. ``suite_for`` builds plain dictionaries in
GX's JSON format (what ``ExpectationSuite.to_json_dict()`` produces) without GX.

How ``run_suite`` hands a frame to GX, so that GX's verdict on a file equals ctd's:

* text columns stay text (pandas ``string`` dtype): ``01053`` keeps its leading zero;
* the schema's missing values (by default the empty string) become missing, and blank rows
  are dropped, as ``quality.schema.validate`` does;
* comparisons with numbers or dates (``minimum``/``maximum``, an enum of numbers, ``unique``
  on a typed field) run on a *typed view* of the frame in which each such column is parsed
  as its Table Schema type by ctd's own parser, a cell that is missing or does not parse
  being missing. GX compares numbers as numbers, and, as in ctd, a cell with a type error
  gets no constraint check (the type expectation, a regex on the text view, reports it).
  A regex cannot express a numeric range in general (decimals, exponents, ``1 234,5``), and
  a text column cannot be compared with a number in GX. Exported expectations carry the
  parse in ``meta.ctd.cast``; in user suites, numeric bounds or value sets imply a number.
  Everything else runs on the text view.

Where GX counts differently from ctd, by design:

* ctd reports the first problem of a cell; GX every expectation the cell breaks;
* ``unique``: GX flags every row holding a repeated value, ctd the repeats after the first
  (GX's count = ctd's + the number of distinct repeated values);
* type regexes do not catch integers beyond 64 bits, geopoints out of range nor array
  items of the wrong type.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import logging
import math
import re
import warnings
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import polars as pl

from quality.profile import NUMBER_WITH_COMMA, SHAPES, ColumnProfile, Profile
from quality.schema import (
    DATE_FORMATS,
    DEFAULT_FALSE,
    DEFAULT_TRUE,
    FLAT_ARRAY,
    GEOPOINT,
    GEOPOINT_OBJECT,
    ISO_DATETIME,
    NESTED_ARRAY,
    OTHER_TYPES,
    STRING_FORMATS,
    _parse,  # the very parser validate() uses, so the typed view matches ctd's
    as_text,
    is_number,
)
from quality.table import Table

ENGINE = "great_expectations"
# Values GX lists per failing expectation (its own default, made explicit).
PARTIAL_LIMIT = 20
# Table Schema types parsed to a comparable value (the others are compared as text).
TYPED_KINDS = {"integer", "number", "year", "date", "datetime"}
NUMERIC_KINDS = {"integer", "number", "year"}
# GX expectations comparing each value, or an aggregate, with min_value / max_value.
BOUND_EXPECTATIONS = {
    "expect_column_values_to_be_between",
    "expect_column_min_to_be_between",
    "expect_column_max_to_be_between",
    "expect_column_mean_to_be_between",
    "expect_column_median_to_be_between",
    "expect_column_sum_to_be_between",
    "expect_column_stdev_to_be_between",
}
SET_EXPECTATIONS = {
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_distinct_values_to_be_in_set",
    "expect_column_distinct_values_to_contain_set",
    "expect_column_distinct_values_to_equal_set",
}
SUITE_KEYS = {"name", "id", "expectations", "suite_parameters", "meta", "notes"}
EXPECTATION_KEYS = {
    "type", "kwargs", "meta", "notes", "description", "severity", "id",
    "success_on_last_run", "expectation_context", "rendered_content",
}  # fmt: skip
_INDEX = "__ctd_index"
_ROW = "__ctd_row"


class SuiteError(ValueError):
    """A suite GX cannot load or run: unknown expectation type, bad arguments, bad regex…"""


# Export


def suite_for(
    table_or_frame_columns: Table | pl.DataFrame | Sequence[str] | None,
    schema: dict | None = None,
    profile: Profile | None = None,
    name: str = "ctd",
) -> dict:
    """ctd's checks of a resource as a GX suite (GX's JSON, built without importing GX).

    With a Table Schema: its fields' constraints and types. Without one, from the profile:
    the column set, no nulls where the file had none, unique ID-like columns, the lexical
    form of typed text columns, at least one row. There, ``table_or_frame_columns`` gives
    the column set (a ``Table``, a frame or names; the profile's columns if None) and a
    ``Table`` tells how the file writes decimals.
    """
    if not name or not isinstance(name, str):
        raise ValueError("a suite needs a non-empty name")
    columns, decimal_comma = _columns(table_or_frame_columns)
    missing_values = [""]
    if schema is not None:
        missing_values = [str(v) for v in schema.get("missingValues", [""])]
        expectations = _schema_expectations(schema)
        source = {"source": "table-schema", "schema": schema.get("name")}
    else:
        if columns is None and profile is not None:
            columns = [column.name for column in profile.columns]
        expectations = _profile_expectations(columns or [], profile, decimal_comma)
        source = {"source": "profile" if profile is not None else "columns"}
    meta: dict[str, Any] = {"ctd": {**source, "missing_values": missing_values}}
    with contextlib.suppress(metadata.PackageNotFoundError):
        meta["great_expectations_version"] = metadata.version("great_expectations")
    return {"name": name, "id": None, "expectations": expectations, "meta": meta, "notes": None}


def _columns(value: Any) -> tuple[list[str] | None, bool | None]:
    """The column names, and whether numbers use a decimal comma (None: unknown)."""
    if value is None:
        return None, None
    if isinstance(value, Table):
        return list(value.frame.columns), value.decimal_comma
    if isinstance(value, pl.DataFrame):
        return list(value.columns), None
    return [str(name) for name in value], None


def _expectation(type_: str, kwargs: dict, check: str, explanation: str, **ctd: Any) -> dict:
    meta = {"ctd": {"check": check, **ctd, "explanation": explanation}}
    return {"type": type_, "kwargs": kwargs, "meta": meta, "severity": "critical"}


def _schema_expectations(schema: dict) -> list[dict]:
    fields = [f for f in schema.get("fields", []) if isinstance(f, dict) and "name" in f]
    names = [f["name"] for f in fields]
    out = [
        _expectation(
            "expect_table_columns_to_match_set",
            {"column_set": names},
            "extra-label",
            "The file's columns are the schema's fields, no more, no fewer (compared by "
            "name, in any order).",
        )
    ]
    for spec in fields:
        out += _field_expectations(spec)
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else list(key)
    if key and set(key) <= set(names):
        note = f"The primary key ({', '.join(key)}) does not repeat."
        if len(key) == 1:
            out.append(
                _expectation(
                    "expect_column_values_to_be_unique", {"column": key[0]}, "primary-key", note
                )
            )
        else:
            kwargs = {"column_list": key, "ignore_row_if": "any_value_is_missing"}
            out.append(
                _expectation("expect_compound_columns_to_be_unique", kwargs, "primary-key", note)
            )
    return out


def _field_expectations(spec: dict) -> list[dict]:
    name = spec["name"]
    kind = spec.get("type", "string")
    fmt = str(spec.get("format", "default")).removeprefix("fmt:")
    constraints = spec.get("constraints") or {}
    column = {"column": name}
    cast = {k: spec[k] for k in ("type", "format", "decimalChar", "groupChar") if k in spec}
    cast.setdefault("type", kind)
    typed = {"cast": cast} if kind in TYPED_KINDS else {}
    out = [
        _expectation(
            "expect_column_to_exist",
            dict(column),
            "missing-label",
            f"The schema field {name!r} is a column of the file.",
            field=name,
        )
    ]
    if constraints.get("required"):
        out.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                dict(column),
                "constraint-error",
                f"{name!r} is required: no cell is empty.",
                field=name,
                constraints=["required"],
            )
        )
    regex = _type_regex(kind, fmt, spec)
    if regex is not None:
        label = kind if fmt == "default" else f"{kind}/{fmt}"
        out.append(
            _expectation(
                "expect_column_values_to_match_regex",
                {**column, "regex": regex},
                "type-error",
                f"Every filled cell of {name!r} is a {label} as Table Schema writes it."
                + _TYPE_CAVEATS.get(kind, ""),
                field=name,
            )
        )
    if "enum" in constraints:
        allowed = constraints["enum"]
        if kind in NUMERIC_KINDS:
            values: list[Any] = [float(v) for v in allowed if is_number(v)]
            extra = typed
        else:
            values, extra = [as_text(v) for v in allowed], {}
        out.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                {**column, "value_set": values},
                "constraint-error",
                f"{name!r} takes one of the {len(values)} values the schema lists.",
                field=name,
                constraints=["enum"],
                **extra,
            )
        )
    if "pattern" in constraints:
        pattern = str(constraints["pattern"])
        out.append(
            _expectation(
                "expect_column_values_to_match_regex",
                {**column, "regex": f"^(?:{pattern})\\Z"},
                "constraint-error",
                f"Every filled cell of {name!r} matches {pattern!r} in full.",
                field=name,
                constraints=["pattern"],
            )
        )
    bounds = {
        key: _bound(kind, constraints[key])
        for key in ("minimum", "maximum")
        if key in constraints and kind in TYPED_KINDS
    }
    bounds = {key: value for key, value in bounds.items() if value is not None}
    if bounds:
        kwargs = {**column, "min_value": bounds.get("minimum"), "max_value": bounds.get("maximum")}
        out.append(
            _expectation(
                "expect_column_values_to_be_between",
                {k: v for k, v in kwargs.items() if v is not None},
                "constraint-error",
                f"{name!r} is {_range_text({k: constraints[k] for k in bounds})} "
                f"(compared as a {kind}).",
                field=name,
                constraints=list(bounds),
                **typed,
            )
        )
    lengths = {k: int(constraints[k]) for k in ("minLength", "maxLength") if k in constraints}
    if lengths and kind == "string":
        kwargs = {
            **column,
            "min_value": lengths.get("minLength"),
            "max_value": lengths.get("maxLength"),
        }
        out.append(
            _expectation(
                "expect_column_value_lengths_to_be_between",
                {k: v for k, v in kwargs.items() if v is not None},
                "constraint-error",
                f"{name!r} has {_range_text(lengths)} characters.",
                field=name,
                constraints=list(lengths),
            )
        )
    if constraints.get("unique"):
        out.append(
            _expectation(
                "expect_column_values_to_be_unique",
                dict(column),
                "unique-error",
                f"No value of {name!r} repeats. GX flags every row holding a repeated value, "
                "ctd the repeats after the first.",
                field=name,
                **typed,
            )
        )
    return out


_TYPE_CAVEATS = {
    "integer": " Integers beyond 64 bits are not caught.",
    "geopoint": " The coordinates' range is not checked.",
    "array": " Items are not checked against arrayItem.",
}


def _range_text(bounds: dict) -> str:
    low = bounds.get("minimum", bounds.get("minLength"))
    high = bounds.get("maximum", bounds.get("maxLength"))
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if high is None else f"at most {high}"


def _bound(kind: str, bound: Any) -> Any:
    """A minimum or maximum as GX JSON: a number, or an ISO date / date-time."""
    try:
        if kind in NUMERIC_KINDS:
            number = float(bound)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        if kind == "date":
            # As a date-time: GX compares a date bound with the column's date-times only
            # when it is one (its JSON would otherwise load as a date).
            return dt.datetime.combine(dt.date.fromisoformat(str(bound)), dt.time()).isoformat()
        if kind == "datetime":
            value = dt.datetime.fromisoformat(str(bound).replace("Z", ""))
            return value.replace(tzinfo=None).isoformat()
    except (TypeError, ValueError, OverflowError):
        return None
    return None


# Type regexes: the lexical forms ctd's validate accepts, for Python's re (GX on pandas).


def _inner(pattern: str) -> str:
    return pattern.removeprefix("^").removesuffix("$")


def _full(inner: str, strip: bool = False) -> str:
    """Anchored on the whole value (``\\Z``: ``$`` would accept a final newline)."""
    return f"^\\s*(?:{inner})\\s*\\Z" if strip else f"^(?:{inner})\\Z"


def _type_regex(kind: str, fmt: str, spec: dict) -> str | None:
    if kind == "string":
        pattern = STRING_FORMATS.get(fmt)
        return _full(_inner(pattern)) if pattern else None
    if kind == "integer":
        # ASCII digits: ctd's regex takes any Unicode digit, but its cast does not.
        return _full("[+-]?[0-9]+", strip=True)
    if kind == "number":
        return _full(_number(spec.get("decimalChar", "."), spec.get("groupChar")), strip=True)
    if kind == "boolean":
        values = [*spec.get("trueValues", DEFAULT_TRUE), *spec.get("falseValues", DEFAULT_FALSE)]
        return _full("|".join(re.escape(str(v)) for v in values))
    if kind == "date":
        forms = [_strftime(f) for f in DATE_FORMATS.get(fmt, [fmt])]
        return None if None in forms else _full("|".join(f"(?:{f})" for f in forms))
    if kind == "datetime":
        form = _ISO_DATETIME if fmt in ("default", "any") else _strftime(fmt)
        return _full(form) if form else None
    if kind == "array":
        return _full(f"{_inner(FLAT_ARRAY)}|{_inner(NESTED_ARRAY)}")
    if kind == "geopoint":
        if fmt == "object":
            lon, lat = GEOPOINT_OBJECT
            return f"^(?=[\\s\\S]*{lon})(?=[\\s\\S]*{lat})"
        return _full(_inner(GEOPOINT.get(fmt, GEOPOINT["default"])))
    if kind == "year":
        return _full(_inner(OTHER_TYPES[kind]))
    if kind in OTHER_TYPES:
        return _full(_inner(OTHER_TYPES[kind]), strip=True)
    return None


def _number(decimal_char: str, group_char: str | None) -> str:
    """ctd removes ``groupChar`` anywhere, reads ``decimalChar`` (and ``.``) as the decimal
    point, then wants a number: ``+1.5``, ``.5``, ``1e3``, ``nan``, ``inf``… (ASCII digits:
    the cast refuses the others)."""
    g = f"(?:{re.escape(group_char)})*" if group_char else ""
    points = {decimal_char} | ({"."} if group_char != "." else set())
    point = "[" + "".join(re.escape(p) for p in sorted(points)) + "]"
    digits = f"(?:[0-9]{g})+"
    mantissa = f"(?:{digits}(?:{point}{g}(?:[0-9]{g})*)?|{point}{g}{digits})"
    exponent = f"(?:[eE]{g}[+-]?{g}{digits})?"
    return f"{g}[+-]?{g}(?:{mantissa}{exponent}|(?i:nan|inf|infinity){g})"


# Dates as ctd reads them: the digits strptime allows for each directive (four for %Y, one or
# two for %m, %d, %H…), then Polars' parse, which wants real calendar days and times.
_DIGITS = {
    "year": r"[0-9]{4}",
    "leap": r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)",
    "year2": r"[0-9]{2}",
    "leap2": r"(?:[02468][048]|[13579][26])",
    "m31": r"(?:0?[13578]|1[02])",
    "m30": r"(?:0?[469]|11)",
    "feb": r"0?2",
    "d31": r"(?:0?[1-9]|[12][0-9]|3[01])",
    "d30": r"(?:0?[1-9]|[12][0-9]|30)",
    "d28": r"(?:0?[1-9]|1[0-9]|2[0-8])",
    "d29": r"29",
}
# ISO 8601 dates: two-digit months and days.
_ISO_DIGITS = {key: value.replace("0?", "0") for key, value in _DIGITS.items()}
# (year, month, day) per kind of month; February 29 only in leap years.
_CALENDAR = [
    ("year", "m31", "d31"),
    ("year", "m30", "d30"),
    ("year", "feb", "d28"),
    ("leap", "feb", "d29"),
]
_MONTH = r"(?:0?[1-9]|1[0-2])"
# chrono takes a leap second (60) at any minute.
_TIME = {"H": r"(?:[01]?[0-9]|2[0-3])", "M": r"[0-5]?[0-9]", "S": r"(?:[0-5]?[0-9]|60)"}


def _calendar(render: Any, parts: dict[str, str]) -> str:
    return "|".join(render(parts[y], parts[m], parts[d]) for y, m, d in _CALENDAR)


# ctd's ISO date-time regex, its date and time narrowed to real days and times.
_ISO_DATETIME = (
    _inner(ISO_DATETIME)
    .replace(
        r"\d{4}-\d{2}-\d{2}",
        "(?:{})".format(_calendar(lambda y, m, d: f"{y}-{m}-{d}", _ISO_DIGITS)),
        1,
    )
    .replace(r"\d{2}:\d{2}:\d{2}", "(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)", 1)
)


def _strftime(fmt: str) -> str | None:
    """A regex for the values ctd parses with the strftime format ``fmt``, or None when the
    format uses a directive not handled here."""
    tokens = re.findall(r"%.|[^%]+", fmt)
    directives = {t[1] for t in tokens if t.startswith("%")}
    if not directives <= {"Y", "y", "m", "d", "H", "M", "S", "%"}:
        return None
    short = "y" in directives

    def render(y: str, m: str, d: str) -> str:
        out = []
        for token in tokens:
            if token == "%%":
                out.append("%")
            elif token.startswith("%"):
                key = token[1]
                out.append({"Y": y, "y": y, "m": m, "d": d}.get(key) or _TIME[key])
            else:  # whitespace in the format stands for any run of whitespace
                out.append(r"\s+".join(re.escape(piece) for piece in re.split(r"\s+", token)))
        return "".join(out)

    parts = dict(_DIGITS)
    if short:
        parts["year"], parts["leap"] = parts["year2"], parts["leap2"]
    if {"m", "d"} <= directives and {"Y", "y"} & directives:
        return _calendar(render, parts)
    # Not a whole date: each part checked on its own.
    return render(parts["year"], _MONTH, parts["d31"])


# Profile


def _profile_expectations(
    columns: list[str], profile: Profile | None, decimal_comma: bool | None
) -> list[dict]:
    out = [
        _expectation(
            "expect_table_row_count_to_be_between",
            {"min_value": 1},
            "profile.rows",
            "The file has at least one row.",
        ),
        _expectation(
            "expect_table_columns_to_match_set",
            {"column_set": list(columns)},
            "profile.columns",
            "The file has the profiled file's columns, no more, no fewer.",
        ),
    ]
    if profile is None:
        return out
    shapes = dict(SHAPES)
    # Without knowing how the file writes decimals, accept both ways (a superset).
    if decimal_comma or decimal_comma is None:
        shapes["number"] = NUMBER_WITH_COMMA
    for column in profile.columns:
        if column.name not in columns:
            continue
        name = column.name
        if profile.rows and column.null_count == 0:
            out.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    {"column": name},
                    "profile.not-null",
                    f"{name!r} had no empty cell in the profiled file.",
                    field=name,
                )
            )
        if column.id_like and not column.distinct_approximate:
            out.append(
                _expectation(
                    "expect_column_values_to_be_unique",
                    {"column": name},
                    "profile.unique",
                    f"{name!r} identifies rows: no value repeats.",
                    field=name,
                )
            )
        if column.dtype == "String" and column.type in shapes:
            out.append(_profile_type(column, shapes[column.type]))
    return out


def _profile_type(column: ColumnProfile, shape: str) -> dict:
    """The shape the profile typed a text column by. Blank cells pass (the profile counts
    them as missing); below full conformance, ``mostly`` keeps the profiled share."""
    name, kind = column.name, column.type
    inner = shape
    if inner.startswith("(?i)"):
        inner = "(?i:" + _inner(inner.removeprefix("(?i)")) + ")"
    else:
        inner = _inner(inner)
    kwargs: dict[str, Any] = {"column": name, "regex": f"^\\s*(?:{inner})?\\s*\\Z"}
    share = column.type_conformance
    if share < 1:
        kwargs["mostly"] = math.floor(share * 1000) / 1000
    what = "code (digits kept as text, leading zeros included)" if kind == "code" else kind
    note = f"{name!r} reads as a {what}"
    note += "." if share >= 1 else f" in at least {kwargs['mostly']:.1%} of its filled cells."
    return _expectation(
        "expect_column_values_to_match_regex", kwargs, "profile.type", note, field=name
    )


# GX


def _gx() -> Any:
    """great_expectations, imported on first use, its logging silenced (ctd reports)."""
    with warnings.catch_warnings():  # its own deprecation warnings, of no use to ctd
        warnings.simplefilter("ignore", DeprecationWarning)
        import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)
    return gx


def validate_suite(suite: Any) -> dict:
    """Check that ``suite`` (a dict or JSON text) loads in GX; return it as GX writes it
    (``to_json_dict()``). Raises ``SuiteError`` with a plain English message otherwise.
    Suites in GX 0.x JSON (``expectation_suite_name``, ``expectation_type``) are accepted."""
    if isinstance(suite, (str, bytes)):
        try:
            suite = json.loads(suite)
        except ValueError as error:
            raise SuiteError(f"The suite is not valid JSON: {error}.") from None
    if not isinstance(suite, dict):
        raise SuiteError("A suite is a JSON object with a name and a list of expectations.")
    data = dict(suite)
    if "name" not in data and "expectation_suite_name" in data:
        data["name"] = data.pop("expectation_suite_name")
    for legacy in ("expectation_suite_name", "data_asset_type", "ge_cloud_id"):
        data.pop(legacy, None)
    if unknown := sorted(set(data) - SUITE_KEYS):
        raise SuiteError(f"Unknown suite key(s): {', '.join(unknown)}.")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise SuiteError("The suite needs a non-empty 'name'.")
    expectations = data.get("expectations")
    expectations = [] if expectations is None else expectations
    if not isinstance(expectations, list):
        raise SuiteError("The suite's 'expectations' must be a list.")
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    data["expectations"] = [
        _check_expectation(ExpectationConfiguration, number, item)
        for number, item in enumerate(expectations, start=1)
    ]
    try:
        loaded = gx.ExpectationSuite(**data)
    except Exception as error:  # GX raises many exception types for a bad suite
        raise SuiteError(f"GX cannot load the suite: {_describe(error)}") from None
    if len(loaded.expectations) != len(expectations):
        raise SuiteError("GX dropped some of the suite's expectations.")
    return json.loads(json.dumps(loaded.to_json_dict(), default=str))


def _check_expectation(configuration: Any, number: int, item: Any) -> dict:
    if not isinstance(item, dict):
        raise SuiteError(f"Expectation {number} is not a JSON object.")
    item = dict(item)
    if "type" not in item and "expectation_type" in item:
        item["type"] = item.pop("expectation_type")
    type_ = item.get("type")
    if not isinstance(type_, str) or not type_:
        raise SuiteError(f"Expectation {number} has no 'type'.")
    where = f"Expectation {number} ({type_})"
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.registry import (
        get_expectation_impl,
        list_registered_expectation_implementations,
    )

    try:
        get_expectation_impl(type_)
    except ExpectationNotFoundError:
        close = difflib.get_close_matches(type_, list_registered_expectation_implementations())
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise SuiteError(
            f"Expectation {number}: {type_!r} is not a Great Expectations expectation type.{hint}"
        ) from None
    if unknown := sorted(set(item) - EXPECTATION_KEYS):
        raise SuiteError(f"{where}: unknown key(s) {', '.join(unknown)}.")
    kwargs = item.setdefault("kwargs", {})
    if not isinstance(kwargs, dict):
        raise SuiteError(f"{where}: 'kwargs' must be an object.")
    if item.get("meta") is not None and not isinstance(item["meta"], dict):
        raise SuiteError(f"{where}: 'meta' must be an object.")
    patterns = [kwargs.get("regex")] + list(kwargs.get("regex_list") or [])
    for pattern in patterns:
        if pattern is None:
            continue
        try:
            re.compile(pattern)
        except (re.error, TypeError) as error:
            raise SuiteError(f"{where}: invalid regex {pattern!r}: {error}.") from None
    try:
        configuration(**item).to_domain_obj()
    except Exception as error:  # pydantic, TypeError, ValueError, GX errors
        raise SuiteError(f"{where}: {_describe(error)}") from None
    return item


def _describe(error: Exception) -> str:
    """A one-line message: pydantic errors as ``field: problem`` (the first per field)."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            items = errors()
        except Exception:  # not a pydantic error after all
            items = None
        if items:
            seen: dict[str, str] = {}
            for item in items:
                where = ".".join(str(part) for part in item.get("loc", ())) or "suite"
                seen.setdefault(where, str(item.get("msg", "invalid")))
            return "; ".join(f"{where}: {msg}" for where, msg in seen.items()) + "."
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:500]


def run_suite(frame: pl.DataFrame, suite: dict) -> dict:
    """Run ``suite`` with GX (ephemeral context, pandas) on ``frame``; return a
    JSON-serialisable summary. Raises ``SuiteError`` if GX cannot load or run the suite."""
    normalised = validate_suite(suite)
    gx = _gx()
    import pandas as pd
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    expectations = normalised["expectations"]
    ctd_meta = (normalised.get("meta") or {}).get("ctd") or {}
    missing_values = ctd_meta.get("missing_values", [""])
    missing_values = [str(v) for v in missing_values] if isinstance(missing_values, list) else [""]
    prepared, rows = _prepare(frame, missing_values)
    text_columns = {name for name, dtype in prepared.schema.items() if dtype == pl.String}

    routes: dict[str, list[int]] = {"text": [], "typed": []}
    casts: dict[str, dict] = {}
    for index, expectation in enumerate(expectations):
        cast = _cast_hint(expectation, text_columns)
        if cast is None:
            routes["text"].append(index)
        else:
            routes["typed"].append(index)
            casts.setdefault(expectation["kwargs"]["column"], cast)

    # Progress bars off through the context's own setting (GX's progress_bars config key).
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batches = (
        context.data_sources.add_pandas("ctd")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    results: list[dict | None] = [None] * len(expectations)
    for view, indices in routes.items():
        if not indices:
            continue
        data = prepared if view == "text" else _typed_view(prepared, casts)
        sub = gx.ExpectationSuite(
            name=normalised["name"],
            expectations=[_marked(expectations[i], i) for i in indices],
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                batch = batches.get_batch(batch_parameters={"dataframe": _pandas(pd, data, rows)})
                outcome = batch.validate(
                    sub,
                    result_format={
                        "result_format": "SUMMARY",
                        "partial_unexpected_count": PARTIAL_LIMIT,
                    },
                )
        except Exception as error:  # e.g. a $PARAMETER the suite does not define
            raise SuiteError(f"GX cannot run the suite: {_describe(error)}") from None
        for result in outcome.results:
            index = result.expectation_config.meta[_INDEX]
            source = frame if view == "typed" else None
            results[index] = _summary(result, expectations[index], source)

    done = [r for r in results if r is not None]
    passed = sum(r["success"] for r in done)
    return {
        "success": passed == len(done),
        "engine": ENGINE,
        "gx_version": gx.__version__,
        "suite": normalised["name"],
        "rows": prepared.height,
        "statistics": {
            "evaluated_expectations": len(done),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(done) - passed,
            "success_percent": 100 * passed / len(done) if done else None,
        },
        "results": done,
    }


def _marked(expectation: dict, index: int) -> dict:
    """A copy tagged with its position, to put GX's results back in the suite's order."""
    return {**expectation, "meta": {**(expectation.get("meta") or {}), _INDEX: index}}


def _prepare(frame: pl.DataFrame, missing_values: list[str]) -> tuple[pl.DataFrame, list[int]]:
    """Missing values as nulls, blank rows dropped (ctd checks no cell of a blank row); the
    kept rows' positions in ``frame``, GX's index, so that GX reports them."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    out = frame.with_row_index(_ROW)
    if text and missing_values:
        out = out.with_columns(
            pl.when(pl.col(name).is_in(missing_values))
            .then(None)
            .otherwise(pl.col(name))
            .alias(name)
            for name in text
        )
    if frame.columns:
        out = out.filter(~pl.all_horizontal(pl.col(frame.columns).is_null()))
    rows = out.get_column(_ROW).to_list()
    return out.drop(_ROW), rows


def _cast_hint(expectation: dict, text_columns: set[str]) -> dict | None:
    """How to parse the column of an expectation that compares numbers or dates, or None
    when it runs on the text itself."""
    kwargs = expectation.get("kwargs") or {}
    column = kwargs.get("column")
    if not isinstance(column, str) or column not in text_columns:
        return None
    ctd = (expectation.get("meta") or {}).get("ctd")
    cast = ctd.get("cast") if isinstance(ctd, dict) else None
    if isinstance(cast, dict) and cast.get("type") in TYPED_KINDS:
        return cast
    type_ = expectation.get("type")
    if type_ in BOUND_EXPECTATIONS and any(
        is_number(kwargs.get(key)) for key in ("min_value", "max_value")
    ):
        return {"type": "number"}
    values = kwargs.get("value_set")
    numbers = isinstance(values, list) and all(
        is_number(v) and not isinstance(v, str) for v in values
    )
    if type_ in SET_EXPECTATIONS and values and numbers:
        return {"type": "number"}
    return None


def _typed_view(frame: pl.DataFrame, casts: dict[str, dict]) -> pl.DataFrame:
    """The cast columns, parsed as ctd's validate parses them; null where a cell does not
    parse. Dates become nanosecond date-times, the unit GX compares with date bounds."""
    exprs = []
    for name, cast in casts.items():
        ok, typed = _parse(cast, pl.col(name))
        exprs.append(pl.when(ok).then(typed).alias(name))
    typed = frame.select(exprs)
    temporal = [n for n, t in typed.schema.items() if t in (pl.Date, pl.Datetime)]
    return typed.with_columns(pl.col(temporal).cast(pl.Datetime("ns"))) if temporal else typed


def _pandas(pd: Any, frame: pl.DataFrame, rows: list[int]) -> Any:
    """A pandas frame without pyarrow: text as the ``string`` dtype (missing as NA), numbers
    and date-times as NumPy arrays (missing as NaN/NaT), the rest as objects."""
    index = pd.Index(rows)
    data = {}
    for name, dtype in frame.schema.items():
        series = frame.get_column(name)
        if dtype == pl.String:
            data[name] = pd.Series(series.to_list(), dtype="string", index=index)
        elif dtype.is_numeric() or dtype in (pl.Date, pl.Datetime):
            if dtype == pl.Date:
                series = series.cast(pl.Datetime("ns"))
            data[name] = pd.Series(series.to_numpy(), index=index)
        else:
            data[name] = pd.Series(series.to_list(), dtype=object, index=index)
    return pd.DataFrame(data, index=index)


def _summary(result: Any, expectation: dict, source: pl.DataFrame | None) -> dict:
    """One expectation's outcome as plain JSON. For the typed view, the unexpected values
    are shown as written in the file, not as parsed."""
    details = result.result or {}
    kwargs = expectation.get("kwargs") or {}
    meta = {k: v for k, v in (expectation.get("meta") or {}).items() if k != _INDEX}
    values = list(details.get("partial_unexpected_list") or [])[:PARTIAL_LIMIT]
    positions = details.get("partial_unexpected_index_list")
    if source is not None and positions and kwargs.get("column") in source.columns:
        column = source.get_column(kwargs["column"])
        values = [column[int(i)] for i in list(positions)[:PARTIAL_LIMIT]]
    entry: dict[str, Any] = {
        "expectation_type": expectation["type"],
        "column": kwargs.get("column"),
        "success": bool(result.success),
        "unexpected_count": _plain(details.get("unexpected_count")),
        "unexpected_percent": _plain(details.get("unexpected_percent")),
        "partial_unexpected_list": [_plain(v) for v in values],
        "meta": _plain(meta),
    }
    if "column_list" in kwargs:
        entry["columns"] = list(kwargs["column_list"])
    if "observed_value" in details:
        entry["observed_value"] = _plain(details["observed_value"])
    if error := _error(result.exception_info):
        entry["error"] = error
    return entry


def _error(info: Any) -> str | None:
    """GX's exception message, from a flat exception_info or one keyed by metric."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    for value in info.values():
        if message := _error(value):
            return message
    return None


def _plain(value: Any) -> Any:
    """``value`` as JSON: NumPy scalars unwrapped, NA/NaN/NaT as null, dates in ISO 8601."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        try:
            return value.isoformat()
        except ValueError:  # NaT
            return None
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    try:
        if value != value:  # pandas NA, NaN-like
            return None
    except TypeError:  # pandas NA refuses truth testing
        return None
    return str(value)
