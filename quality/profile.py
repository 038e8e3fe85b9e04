"""Column profile of a table: missing values, distinct counts, inferred types, min/max, top
values and flags (constant, ID-like, latitude/longitude, leading zeros), plus duplicate rows.

Everything is computed with Polars expressions, never a Python loop over rows:

1. text columns are normalised once: whitespace stripped, empty strings turned into nulls;
2. a first pass (one ``collect_all`` of three lazy queries) gathers, for every column at
   once, the non-null and distinct counts, widths, leading zeros, the number of distinct
   rows and a systematic sample of at most ``SAMPLE_SIZE`` non-null values per column;
   on that sample, a few small queries count how many values look like each type, a
   pattern being tried only on the columns where it can still reach the threshold;
3. the type of each text column is chosen from those shares; a second pass (one lazy
   ``select``, with a table of distinct values and counts per counted text column beside
   it) casts each text column to its type and gathers, over all values, the type
   conformance, min, max and top values.

Text columns (``pl.String``) are typed here, not on the way in, so that an INSEE code
``01053`` or a postal code ``08000`` is recognised as a ``code`` and keeps its leading zero.
Columns that already carry a type (Parquet) keep it: their dtype is mapped to the same names.
A Parquet string column cannot be told from a CSV one and is inferred the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

# Share of non-null values that must look like a type for a text column to get that type.
TYPE_THRESHOLD = 0.95
# Types are chosen from at most this many non-null values per column, taken at regular
# intervals; the conformance reported is then measured on every value.
SAMPLE_SIZE = 100_000
# An approximate distinct count this close to the non-null count counts as "all unique"
# (Polars' HyperLogLog is within about 1 %).
APPROXIMATE_UNIQUE = 0.98

# Polars' default engine (streaming, in Polars 2.1) was measured slower on these aggregates,
# its approx_n_unique was 5-13 % off (1 % in memory) and value_counts().top_k_by() returned
# wrong counts on 2 M rows.
ENGINE = "in-memory"

# Shapes of the types, matched against stripped values.
SHAPES = {
    "boolean": r"(?i)^(?:true|false|vrai|faux|oui|non|yes|no|0|1)$",
    "integer": r"^[+-]?\d+$",
    "number": r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$",
    "date": r"^(?:\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})$",
    # A date and a time, with optional seconds, fraction and offset; plain dates pass too,
    # since a column may mix both.
    "datetime": (
        r"^(?:\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})"
        r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
    ),
    # Digit strings, Corsican INSEE codes (2A004), phone numbers written 03 83 85 30 00.
    "code": r"^(?:\d+|2[AaBb]\d{3}|0\d(?:[ .]\d{2}){4})$",
    # "lat, lon" or "[lon, lat]" in one cell (IRVE's coordonneesXY); decimals required.
    "geopoint": r"^\[?\s*[+-]?\d+\.\d+\s*[,;]\s*[+-]?\d+\.\d+\s*\]?$",
    "corsica": r"^2[AaBb]\d{3}$",
}
NUMBER_WITH_COMMA = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$"
# Layouts counted on the sample too, so that dates are parsed only with the formats seen.
LAYOUTS = {
    "iso": r"^\d{4}-\d{2}-\d{2}",
    "french": r"^\d{2}/\d{2}/\d{4}",
    "zoned": r"\d(?:[.,]\d+|Z|[+-]\d{2}:?\d{2})$",  # fraction of a second or offset
}
# Every pattern above but the boolean one needs a value starting with one of these (values
# are stripped; whitespace is listed for safety), so a column whose sample mostly starts
# otherwise can only be boolean or text, and the other patterns are not tried on it.
TYPED_START = r"^[\d\s+\-.,\[]"
# The patterns tried together, in the order of ``_infer_type``: the next group only on the
# columns the one before left undecided.
SHAPE_STAGES = (("code", "corsica", "integer", "number"),
                ("date", "datetime", "geopoint", "iso", "french", "zoned"))
# Below this many rows, every text column is stripped without looking first.
STRIP_CHECK_ROWS = 50_000
STRIP_FIRST_BYTES = [*range(0x21), 0xC2, 0xE1, 0xE2, 0xE3]
FRENCH_DATE = r"^(\d{2})/(\d{2})/(\d{4})"
LEADING_ZERO = r"^0\d"
# Fixed widths that are always identifiers: SIREN (9 digits) and SIRET (14 digits).
CODE_WIDTHS = {9, 14}
CODE_WORDS = {
    "code", "cod", "insee", "cog", "codgeo", "depcom", "cp", "postal", "zip",
    "siren", "siret", "tel", "telephone", "phone", "fax", "uai", "finess", "rna",
}  # fmt: skip
ID_WORDS = {"id", "identifiant", "ident", "uuid", "uid", "gid", "fid", "objectid", "pk"}
LATITUDE_WORDS = {"lat", "latitude", "y", "ylat", "coordy"}
LONGITUDE_WORDS = {"lon", "lng", "long", "longitude", "x", "xlong", "coordx"}
# Types a text column is cast to; the others are compared as text.
CAST_TYPES = {"integer", "number", "date", "datetime"}
_DTYPE_TYPES = [
    (pl.Boolean, "boolean"),
    (pl.Date, "date"),
    (pl.Datetime, "datetime"),
    (pl.Time, "time"),
    (pl.Duration, "duration"),
    (pl.Binary, "binary"),
    (pl.List, "list"),
    (pl.Array, "list"),
    (pl.Struct, "struct"),
]


@dataclass
class ColumnProfile:
    name: str
    # boolean, integer, number, date, datetime, code, geopoint or string for text columns;
    # typed columns may also be time, duration, binary, list or struct.
    type: str
    null_count: int
    null_rate: float
    distinct: int
    distinct_approximate: bool
    min: str | None
    max: str | None
    top_values: list[tuple[str, int]]
    constant: bool
    id_like: bool
    # "latitude", "longitude", "point" (a geopoint column) or None.
    geo: str | None
    leading_zeros: bool
    # Share of non-null values valid for ``type`` (1.0 for typed columns and strings).
    type_conformance: float
    # The Polars dtype the column was read with ("String" for every text column).
    dtype: str
    # Shortest and longest value, in bytes, of a text column (None for typed columns).
    min_width: int | None = None
    max_width: int | None = None


@dataclass
class Profile:
    rows: int
    columns: list[ColumnProfile]
    duplicate_rows: int

    @property
    def duplicate_rate(self) -> float:
        return self.duplicate_rows / self.rows if self.rows else 0.0

    def column(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary; top values become ``[value, count]`` pairs."""
        data = asdict(self)
        data["duplicate_rate"] = self.duplicate_rate
        for column in data["columns"]:
            column["top_values"] = [list(pair) for pair in column["top_values"]]
        return data


@dataclass
class _Column:
    """A column on its way through the two passes."""

    index: int
    name: str
    dtype: pl.DataType
    # The aggregates of both passes, by key ("present", "distinct", "integer", "min"…).
    stats: dict[str, Any] = field(default_factory=dict)
    type: str = "string"
    distinct: int = 0
    unique: bool = False

    @property
    def text(self) -> bool:
        return self.dtype == pl.String

    @property
    def present(self) -> int:
        return self.stats["present"]

    @property
    def opaque(self) -> bool:
        """Values that have no order and are not counted (lists, structs, bytes)."""
        return self.dtype.is_nested() or self.dtype == pl.Binary


def profile(
    frame: pl.DataFrame,
    *,
    decimal_comma: bool = False,
    top: int = 5,
    exact_distinct_limit: int = 100_000,
) -> Profile:
    """Profile every column of ``frame`` in two passes (see the module docstring).

    ``decimal_comma`` accepts ``12,5`` as a number; ``top`` is how many frequent values to
    keep; above ``exact_distinct_limit`` rows, distinct counts are HyperLogLog estimates.
    """
    frame = _normalise(frame)
    rows = frame.height
    approximate = rows > exact_distinct_limit
    columns = [
        _Column(index, name, dtype) for index, (name, dtype) in enumerate(frame.schema.items())
    ]
    unique_rows = _first_pass(frame, columns, approximate, decimal_comma)
    for column in columns:
        # The distinct counts include null as a value; an estimate may overshoot.
        distinct = column.stats["distinct"] - (column.present < rows)
        column.distinct = min(max(distinct, 0), column.present)
        column.unique = _all_unique(column.distinct, column.present, approximate)
        column.type = _infer_type(column) if column.text else _dtype_type(column.dtype)
    _second_pass(frame, columns, decimal_comma, top)
    return Profile(
        rows=rows,
        columns=[_column_profile(column, rows, approximate) for column in columns],
        duplicate_rows=rows - unique_rows if columns else 0,
    )


def _normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """Strip text and turn empty strings into nulls. Categoricals and all-null columns
    become text so that they go through the same inference.

    Stripping copies every value, so it is only done on the columns where a value starts
    or ends with whitespace (``strip_needed``); the others keep their values, and only
    lose their empty strings."""
    frame = frame.with_columns(pl.col(pl.Categorical, pl.Enum, pl.Null).cast(pl.String))
    text = [i for i, dtype in enumerate(frame.schema.values()) if dtype == pl.String]
    if not text or frame.height == 0:
        return frame
    values = pl.nth(text)
    if frame.height < STRIP_CHECK_ROWS:  # the check costs more than it saves
        return frame.with_columns(values.str.strip_chars().replace("", None))
    flags = frame.lazy().select(
        strip_needed(values).name.suffix("|strip"),
        (values.str.len_bytes() == 0).any().name.suffix("|empty"),
    ).collect(engine=ENGINE)
    flagged = flags.row(0, named=True)
    names = frame.columns
    strip = [i for i in text if flagged[f"{names[i]}|strip"]]
    empty = [i for i in text if flagged[f"{names[i]}|empty"] and i not in strip]
    exprs = []
    if strip:
        exprs.append(pl.nth(strip).str.strip_chars().replace("", None))
    if empty:
        exprs.append(pl.nth(empty).replace("", None))
    return frame.with_columns(exprs) if exprs else frame


def strip_needed(values: pl.Expr) -> pl.Expr:
    """Whether any value starts or ends with whitespace. The pattern runs only on the values
    whose first or last byte may belong to a space: an ASCII space or control, a byte
    leading U+0080–U+00BF or U+1000–U+3FFF, a last byte of 0x80–0xAF (as U+0085, U+00A0,
    U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000 end). Checked on
    every code point against ``strip_chars``."""
    raw = values.cast(pl.Binary)
    first = raw.bin.get(0, null_on_oob=True)
    last = raw.bin.get(-1, null_on_oob=True)
    start = first.is_in(STRIP_FIRST_BYTES)
    end = (last <= 0x20) | last.is_between(0x80, 0xAF)
    return values.filter(start | end).str.contains(r"^\s|\s$").any()


# Each aggregate is written once for a group of columns (``pl.nth(indices)``) and named
# "<column name>|<key>": a frame of 10,000 columns costs a few dozen expressions, not
# hundreds of thousands.


def _store(result: pl.DataFrame, columns: list[_Column]) -> None:
    """File the one-row ``result`` of a pass into the columns' stats."""
    by_name = {column.name: column for column in columns}
    for out, value in result.row(0, named=True).items():
        name, key = out.rsplit("|", 1)
        by_name[name].stats[key] = value


def _indices(columns: list[_Column], keep: Callable[[_Column], bool]) -> list[int]:
    return [column.index for column in columns if keep(column)]


def _first_pass(
    frame: pl.DataFrame, columns: list[_Column], approximate: bool, decimal_comma: bool
) -> int:
    """Fill each column's counts, widths, leading zeros and type shapes; return the number
    of distinct rows. Three queries, run together by one ``collect_all``, then the shape
    counts on the sample they drew."""
    if not columns:
        return 0
    exprs = [pl.all().count().name.suffix("|present")]
    flat = _indices(columns, lambda column: not column.dtype.is_nested())
    nested = _indices(columns, lambda column: column.dtype.is_nested())
    if flat:
        distinct = pl.nth(flat).approx_n_unique() if approximate else pl.nth(flat).n_unique()
        exprs.append(distinct.name.suffix("|distinct"))
    if nested:  # approx_n_unique does not take lists
        exprs.append(pl.nth(nested).n_unique().name.suffix("|distinct"))
    text = _indices(columns, lambda column: column.text)
    if text:
        values = pl.nth(text)
        # The pattern only runs on the values starting with 0 (a fraction of them).
        zeros = values.filter(values.str.starts_with("0")).str.contains(LEADING_ZERO)
        exprs += [
            zeros.sum().name.suffix("|leading_zero"),
            values.str.len_bytes().min().name.suffix("|min_width"),
            values.str.len_bytes().max().name.suffix("|max_width"),
        ]
    if approximate:
        # Above the exact limit, count distinct 64-bit row hashes: each column hashed with
        # its own seed, the hashes summed (wrapping). Three times as fast as hashing a
        # struct of the row, and a collision among 10 million rows has a probability of
        # about 3e-6.
        hashes = [pl.nth(index).hash(seed=index) for index in range(len(columns))]
        unique = pl.sum_horizontal(hashes).n_unique()
    else:
        unique = pl.struct(pl.all()).n_unique()
    queries = [frame.lazy().select(exprs), frame.lazy().select(unique)]
    if text:
        queries.append(_sample_frame(frame, text))
    results = pl.collect_all(queries, engine=ENGINE)
    _store(results[0], columns)
    if text:
        _shapes(results[2], [column for column in columns if column.text], decimal_comma)
    return results[1].item()


def _sample_frame(frame: pl.DataFrame, text: list[int]) -> pl.LazyFrame:
    """The sampled non-null values of the text columns, stacked into one long (variable,
    value) frame, so that each pattern is one expression whatever the number of columns."""
    values = pl.nth(text)
    if frame.height > SAMPLE_SIZE:
        long = frame.lazy().select(_sample(values).implode()).unpivot().explode("value")
    else:
        long = frame.lazy().select(values).unpivot()
    return long.drop_nulls("value")


def _shapes(long: pl.DataFrame, columns: list[_Column], decimal_comma: bool) -> None:
    """Count, per text column, how many sampled values look like each type, into its
    stats. A pattern is only tried where its type can still be chosen: the typed patterns
    on columns whose values mostly start like a typed value (``TYPED_START``), and each
    group of ``SHAPE_STAGES`` on the columns the groups before left as text. The counts
    not taken could not have reached ``TYPE_THRESHOLD``, so the types are the same."""
    patterns = SHAPES | LAYOUTS | ({"number": NUMBER_WITH_COMMA} if decimal_comma else {})
    value = pl.col("value")
    by_name = {column.name: column for column in columns}

    def counts(subset: list[_Column], aggregates: list[pl.Expr]) -> pl.LazyFrame:
        names = [column.name for column in subset]
        rows = long.lazy().filter(pl.col("variable").is_in(names))
        return rows.group_by("variable").agg(aggregates)

    def run(queries: list[pl.LazyFrame]) -> None:
        for result in pl.collect_all(queries, engine=ENGINE):
            for row in result.iter_rows(named=True):
                by_name[row.pop("variable")].stats.update(row)

    run([
        long.lazy().group_by("variable").agg(
            value.count().alias("sampled"),
            value.str.contains(patterns["boolean"]).sum().alias("boolean"),
            value.str.contains(TYPED_START).sum().alias("typed_start"),
        )
    ])
    booleans = [column for column in columns if _share(column, "boolean") >= TYPE_THRESHOLD]
    queries = []
    if booleans:  # Oui, oui and OUI are one value
        folded = value.str.to_lowercase().n_unique().alias("folded_distinct")
        queries.append(counts(booleans, [folded]))
    pending = [column for column in columns if _share(column, "typed_start") >= TYPE_THRESHOLD]
    for stage, keys in enumerate(SHAPE_STAGES):
        if stage:
            pending = [column for column in pending if _infer_type(column) == "string"]
        if pending:
            shapes = [value.str.contains(patterns[key]).sum().alias(key) for key in keys]
            queries.append(counts(pending, shapes))
        if queries:
            run(queries)
        queries = []


def _sample(values: pl.Expr) -> pl.Expr:
    """At most ``SAMPLE_SIZE`` non-null values, taken at regular intervals through the
    column (so a sorted file or a sparse column is still represented)."""
    present = values.drop_nulls()
    step = present.len() // SAMPLE_SIZE + 1
    # positions 0, step, 2·step… below the count of values
    return present.gather(pl.int_range(0, (present.len() + step - 1) // step) * step)


def _share(column: _Column, key: str) -> float:
    """The share of a column's sampled values that look like ``key`` (0 when not counted:
    see ``_shapes``)."""
    sampled = column.stats.get("sampled")
    return column.stats.get(key, 0) / sampled if sampled else 0.0


def _infer_type(column: _Column) -> str:
    """The first type, from the most specific, that enough sampled values look like."""
    stats = column.stats
    if not stats.get("sampled"):
        return "string"

    def share(key: str) -> float:
        return _share(column, key)

    if share("boolean") >= TYPE_THRESHOLD and stats["folded_distinct"] <= 2:
        return "boolean"
    if share("code") >= TYPE_THRESHOLD and _looks_like_code(column):
        return "code"
    for type_ in ("integer", "number", "date", "datetime", "geopoint"):
        if share(type_) >= TYPE_THRESHOLD:
            return type_
    return "string"


def _looks_like_code(column: _Column) -> bool:
    """Digit strings that must stay text: a leading zero (``01053``, ``0383853000``), a
    Corsican INSEE code (``2A004``), a SIREN/SIRET width, or a header naming a code."""
    stats = column.stats
    if stats["leading_zero"] or stats["corsica"]:
        return True
    if stats["min_width"] == stats["max_width"] and stats["min_width"] in CODE_WIDTHS:
        return True
    words = header_words(column.name)
    return bool(words & CODE_WORDS) or any(word.startswith("code") for word in words)


def header_words(name: str) -> set[str]:
    """Lower-case words of a header, accents removed, split on punctuation and camelCase."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", plain).lower()
    return {word for word in re.split(r"[^a-z0-9]+", plain) if word}


def _dtype_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "number"
    for base, name in _DTYPE_TYPES:
        if dtype == base:
            return name
    return "string"


def _all_unique(distinct: int, present: int, approximate: bool) -> bool:
    if present < 2:
        return False
    if approximate:
        return distinct >= APPROXIMATE_UNIQUE * present
    return distinct == present


def _layout(column: _Column) -> tuple[bool, ...]:
    """What a date or date-time parser has to expect in this column, from the sample."""
    stats = column.stats
    if column.type == "date":
        return bool(stats["iso"]), bool(stats["french"])
    if column.type == "datetime":
        short = stats["min_width"] < len("YYYY-MM-DD HH:MM:SS")
        return bool(stats["french"]), bool(stats["zoned"]), short
    return ()


def _cast(values: pl.Expr, type_: str, layout: tuple[bool, ...], decimal_comma: bool) -> pl.Expr:
    """Text cast to ``type_``, null where a value does not parse."""
    if type_ == "integer":
        return values.cast(pl.Int64, strict=False)
    if type_ == "number":
        text = values.str.replace(",", ".", literal=True) if decimal_comma else values
        return text.cast(pl.Float64, strict=False)
    if type_ == "date":
        iso, french = layout
        # A value of one layout never parses with the other: each layout is tried in turn
        # (cheaper than rewriting French dates). Polars' cache of distinct values costs
        # more than parsing them again.
        layouts = [f for f, seen in (("%Y-%m-%d", iso), ("%d/%m/%Y", french)) if seen]
        layouts = layouts or ["%Y-%m-%d"]
        dates = [values.str.to_date(f, strict=False, cache=False) for f in layouts]
        parsed = dates[0] if len(dates) == 1 else dates[0].fill_null(dates[1])
    else:
        parsed = _parse_datetime(values, *layout)
    # The parsers are lenient (2024-5-1): values must have the shape as well.
    return pl.when(values.str.contains(SHAPES[type_])).then(parsed)


def _parse_datetime(values: pl.Expr, french: bool, zoned: bool, short: bool) -> pl.Expr:
    """One parse instead of one per format: rewrite every value as "YYYY-MM-DD HH:MM:SS",
    dropping fractions and offsets (min and max are wall-clock times) and completing a
    missing time or missing seconds from a template. Rewrites the sample did not call for
    are skipped: they cost more than the parse."""
    text = values.str.replace("T", " ", literal=True)
    if french:
        text = text.str.replace(FRENCH_DATE, "${3}-${2}-${1}")
    if zoned:
        text = text.str.replace(r"(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?$", "")
    if short:
        text = text + pl.lit("1970-01-01 00:00:00").str.slice(text.str.len_chars())
    return text.str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False)


def _second_pass(
    frame: pl.DataFrame, columns: list[_Column], decimal_comma: bool, top: int
) -> None:
    """Fill each column's conformance ("valid"), min, max and top values. Text columns are
    first replaced by their cast, so these are computed on numbers and dates.

    The text columns that stay text and are counted for their top values get their
    conformance, min and max from the table of their distinct values and counts, which the
    top values need anyway: the patterns and comparisons then run once per distinct value.
    """
    counted = [c for c in columns if not c.unique and not c.opaque] if top > 0 else []
    tabled = [c for c in counted if c.text and c.type not in CAST_TYPES]
    direct = [c for c in columns if c not in tabled]
    cast = [c for c in columns if c.text and c.type in CAST_TYPES]
    groups: dict[tuple[str, tuple[bool, ...]], list[int]] = {}
    for column in cast:
        groups.setdefault((column.type, _layout(column)), []).append(column.index)
    casts = [
        _cast(pl.nth(indices), type_, layout, decimal_comma)
        for (type_, layout), indices in groups.items()
    ]
    exprs = []
    if cast:
        exprs.append(pl.nth([c.index for c in cast]).count().name.suffix("|valid"))
    for type_ in ("boolean", "code", "geopoint"):
        shaped = _indices(direct, lambda c, type_=type_: c.text and c.type == type_)
        if shaped:
            valid = pl.nth(shaped).str.contains(SHAPES[type_]).sum()
            exprs.append(valid.name.suffix("|valid"))
    ordered = _indices(direct, lambda c: c.type != "geopoint" and not c.opaque)
    if ordered:
        exprs += [
            pl.nth(ordered).min().name.suffix("|min"),
            pl.nth(ordered).max().name.suffix("|max"),
        ]
    counted = [c for c in counted if c not in tabled]
    hashed = [c.index for c in counted if not _sorted_count(c)]
    ordinal = [c.index for c in counted if _sorted_count(c) and not _float(c)]
    floats = [c.index for c in counted if _sorted_count(c) and _float(c)]
    if hashed:
        exprs.append(_top_values(pl.nth(hashed), top).name.suffix("|top"))
    for indices, zeros in ((ordinal, False), (floats, True)):
        if indices:
            top_values = _top_sorted_values(pl.nth(indices), top, zeros)
            exprs.append(top_values.name.suffix("|top"))
    queries = [frame.lazy().with_columns(casts).select(exprs)] if exprs else []
    if tabled:
        queries.append(frame.lazy().select(_counts(pl.nth([c.index for c in tabled]))))
    if not queries:
        return
    results = pl.collect_all(queries, engine=ENGINE)
    if exprs:
        _store(results[0], columns)
    if tabled:
        _store(_from_counts(results[-1], tabled, top).collect(engine=ENGINE), columns)


def _top_values(value: pl.Expr, top: int) -> pl.Expr:
    """The ``top`` most frequent non-null values as a list of {value, count} structs (ties
    go to the smallest value)."""
    counts = value.drop_nulls().value_counts(parallel=True)
    counts = counts.struct.rename_fields(["value", "count"])
    by = [counts.struct.field("count"), counts.struct.field("value")]
    return counts.top_k_by(by, k=top, reverse=[False, True]).implode()


def _counts(value: pl.Expr) -> pl.Expr:
    """The distinct non-null values and their counts, as a list of {value, count} structs."""
    counts = value.drop_nulls().value_counts(parallel=True)
    return counts.struct.rename_fields(["value", "count"]).implode()


def _from_counts(counts: pl.DataFrame, columns: list[_Column], top: int) -> pl.LazyFrame:
    """Top values, min, max and conformance of ``columns`` (text compared as text) from their
    ``_counts``, one list column each in ``counts``."""
    item = pl.element()
    value, count = item.struct.field("value"), item.struct.field("count")
    position = {column.index: number for number, column in enumerate(columns)}

    def lists(keep: Callable[[_Column], bool]) -> pl.Expr | None:
        chosen = [position[column.index] for column in columns if keep(column)]
        return pl.nth(chosen) if chosen else None

    exprs = [
        pl.all().list.eval(item.top_k_by([count, value], k=top, reverse=[False, True]))
        .name.suffix("|top")
    ]
    ordered = lists(lambda c: c.type != "geopoint")
    if ordered is not None:
        exprs += [
            ordered.list.eval(value.min()).list.first().name.suffix("|min"),
            ordered.list.eval(value.max()).list.first().name.suffix("|max"),
        ]
    for type_ in ("boolean", "code", "geopoint"):
        shaped = lists(lambda c, type_=type_: c.type == type_)
        if shaped is not None:
            valid = item.filter(value.str.contains(SHAPES[type_])).struct.field("count").sum()
            exprs.append(shaped.list.eval(valid).list.first().name.suffix("|valid"))
    return counts.lazy().select(exprs)


def _sorted_count(column: _Column) -> bool:
    """Numbers and dates are counted by sorting them (several times faster than hashing
    when most values differ, as amounts and coordinates do, and no slower otherwise)."""
    if column.text:
        return column.type in CAST_TYPES
    dtype = column.dtype
    return dtype.is_integer() or dtype.is_float() or dtype.is_temporal()


def _float(column: _Column) -> bool:
    return column.type == "number" if column.text else column.dtype.is_float()


def _top_sorted_values(value: pl.Expr, top: int, zeros: bool) -> pl.Expr:
    """``_top_values`` for numbers and dates: the runs of the sorted values. ``zeros``
    (floats): 0.0 and -0.0 are one value, shown as the first one met, as hashing does."""
    present = value.drop_nulls()
    if zeros:
        first_zero = present.filter(present == 0).first()
        present = pl.when(present == 0).then(first_zero).otherwise(present)
    counts = present.sort().rle().struct.rename_fields(["count", "value"])
    by = [counts.struct.field("count"), counts.struct.field("value")]
    return counts.top_k_by(by, k=top, reverse=[False, True]).implode()


def _column_profile(column: _Column, rows: int, approximate: bool) -> ColumnProfile:
    stats, present = column.stats, column.present
    low, high = stats.get("min"), stats.get("max")
    top = sorted(stats.get("top") or [], key=lambda item: (-item["count"], item["value"]))
    return ColumnProfile(
        name=column.name,
        type=column.type,
        null_count=rows - present,
        null_rate=(rows - present) / rows if rows else 0.0,
        distinct=column.distinct,
        distinct_approximate=approximate and not column.dtype.is_nested(),
        min=_render(low),
        max=_render(high),
        top_values=[(_render(item["value"]), item["count"]) for item in top],
        constant=column.distinct <= 1,
        id_like=_id_like(column, rows),
        geo=_geo(column.name, column.type, low, high),
        leading_zeros=column.type == "code" and bool(stats.get("leading_zero")),
        type_conformance=stats.get("valid", present) / present if present else 1.0,
        dtype=str(column.dtype),
        min_width=stats.get("min_width"),
        max_width=stats.get("max_width"),
    )


def _id_like(column: _Column, rows: int) -> bool:
    """Every value different: in a fully filled integer, code or text column, or in any
    column whose header names an identifier (``id``, ``identifiant``, ``code_*``). Unique
    numbers, dates or coordinates are measurements, not identifiers."""
    if not column.unique:
        return False
    words = header_words(column.name)
    if words & ID_WORDS or any(word.startswith("code") for word in words):
        return True
    return column.present == rows and column.type in ("integer", "code", "string")


def _geo(name: str, type_: str, low: Any, high: Any) -> str | None:
    """Latitude or longitude: a numeric column whose header says so and whose values fit."""
    if type_ == "geopoint":
        return "point"
    if type_ != "number" or low is None or high is None:
        return None
    words = header_words(name)
    if words & LATITUDE_WORDS and low >= -90 and high <= 90:
        return "latitude"
    if words & LONGITUDE_WORDS and low >= -180 and high <= 180:
        return "longitude"
    return None


def _render(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.time)):  # a datetime is a date
        return value.isoformat()
    return str(value)
