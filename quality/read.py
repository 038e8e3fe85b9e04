"""The scan engine's readers: turn a data file into a ``Table`` (a Polars frame plus how it was
read and the structural problems met), or raise ``ReadError`` when it cannot be read at all.

Text formats are read with every column as text, so leading zeros survive (``01053``,
``2A004``, a SIRET). CSV files are read by Polars; their structure (extra, missing and blank
rows, undecodable bytes) is checked by a second, vectorised pass over the file's lines, so no
Python code runs once per row. Findings use frictionless' error vocabulary and positions: the
header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import ijson
import polars as pl

from quality.table import Finding, Table

DEFAULT_MAX_BYTES = 1 << 30
# How much of a file is sampled to find its format, encoding, delimiter and header.
SAMPLE_BYTES = 1 << 20
# Findings kept per type; a last finding of the type tells how many more there were.
MAX_FINDINGS_PER_TYPE = 1000
# JSON files up to this size are parsed at once; larger ones are streamed with ijson.
JSON_IN_MEMORY_BYTES = 16 << 20
# A ZIP-based spreadsheet expanding this much, past ZIP_BOMB_MIN_BYTES, is refused.
ZIP_BOMB_RATIO = 100
ZIP_BOMB_MIN_BYTES = 100 << 20

DELIMITERS = (";", ",", "\t", "|")
FORMATS = {
    "csv": "csv",
    "txt": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "xlsx": "xlsx",
    "xls": "xls",
    "ods": "ods",
    "geojson": "geojson",
    "json": "json",
    "parquet": "parquet",
}
SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive",
    b"\xd0\xcf\x11\xe0": "an OLE document (XLS, DOC…)",
    b"PAR1": "a Parquet file",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
}
# Bytes that do not occur in text: C0 controls except tab, line feed, form feed, carriage return.
CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
GEOMETRY_COLUMNS = ("geometry_type", "longitude", "latitude")
DECIMAL_COMMA = re.compile(r"^[-+]?\d+(?:[ \u00a0\u202f]\d{3})*,\d+$")
DECIMAL_POINT = re.compile(r"^[-+]?\d+\.\d+$")


class ReadError(Exception):
    """The file cannot be read at all. ``type`` is a frictionless error type (``source-error``,
    ``format-error``, ``encoding-error``, ``scheme-error``); ``note`` says why, in English."""

    def __init__(self, type: str, note: str) -> None:
        super().__init__(f"{type}: {note}")
        self.type = type
        self.note = note


def read_table(
    path: Path,
    *,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_columns: int = 2000,
) -> Table:
    """Read ``path`` as a table. The format comes from ``format``, else the extension, else the
    first bytes. Files over ``max_bytes`` are refused before being opened."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ReadError("scheme-error", f"Cannot open the file: {error.strerror}.") from error
    if not path.is_file():
        raise ReadError("scheme-error", f"{path.name} is not a regular file.")
    if size == 0:
        raise ReadError("source-error", "The file is empty.")
    if size > max_bytes:
        raise ReadError(
            "source-error", f"The file holds {size} bytes, over the {max_bytes}-byte limit."
        )
    try:
        with path.open("rb") as file:
            head = file.read(SAMPLE_BYTES)
    except OSError as error:
        raise ReadError("scheme-error", f"Cannot open the file: {error.strerror}.") from error
    kind = _detect_format(path, format, head)
    if kind in ("csv", "tsv"):
        table = _read_csv(path, head, size, max_columns, prefer_tab=kind == "tsv")
    elif kind in ("xlsx", "xls", "ods"):
        table = _read_spreadsheet(path, head, kind, max_bytes, max_columns)
    elif kind in ("json", "geojson"):
        table = _read_json(path, head, size, max_columns)
    else:
        table = _read_parquet(path, head, max_columns)
    table.size = size
    return table


# Format


def _detect_format(path: Path, format: str | None, head: bytes) -> str:
    key = (format or path.suffix).lower().lstrip(".")
    if format is None and key not in FORMATS:
        return _sniff_format(path, head)
    if key not in FORMATS:
        raise ReadError("format-error", f"The format {key!r} is not supported.")
    return FORMATS[key]


def _sniff_format(path: Path, head: bytes) -> str:
    """The format of a file without a known extension, from its first bytes."""
    if head.startswith(b"PK\x03\x04"):
        with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "content.xml" in names:
                return "ods"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text[:1] in (b"{", b"["):
        return "geojson" if b'"FeatureCollection"' in head else "json"
    _reject_binary(head)
    return "csv"


def _reject_binary(head: bytes) -> None:
    """Refuse bytes that are not text: a known binary signature, NUL bytes, or more than 1 %
    of control characters (random bytes hold about 10 %)."""
    for signature, what in SIGNATURES.items():
        if head.startswith(signature):
            raise ReadError("format-error", f"The file is {what}, not a text table.")
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    if b"\x00" in head or controls > len(head) / 100:
        raise ReadError("format-error", "The file holds binary data, not a text table.")


# CSV


def _read_csv(path: Path, head: bytes, size: int, max_columns: int, prefer_tab: bool) -> Table:
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _reject_binary(head)
    if len(head) < size and b"\n" not in head:
        raise ReadError(
            "source-error", f"The first line is longer than {SAMPLE_BYTES} bytes: not a table."
        )
    encoding = _detect_encoding(path, head)
    sample = _decode_sample(head, encoding, whole=len(head) == size)
    delimiter = _sniff_delimiter(sample, prefer_tab)
    records = _sample_records(sample, delimiter)
    labels = records[0] if records and records[0] else [""]
    if len(labels) > max_columns:
        raise ReadError(
            "source-error", f"The header has {len(labels)} columns, over the {max_columns} limit."
        )
    names = _field_names(labels)
    findings = _label_findings(labels, names)
    with _utf8_source(path, encoding) as source:
        parsed = _parse_csv(source, delimiter, names)
        # Stray quotes (a ``32"`` screen) trip Polars and the line pass. Python's csv module,
        # like frictionless, takes a quote as literal unless it opens a field: when no quote
        # opens a field, quotes are plain characters; else a copy the csv module rewrote is
        # read (slower: a Python loop over the rows).
        if parsed is None and not _quotes_open_fields(source, delimiter):
            parsed = _parse_csv(source, delimiter, names, quoting=False)
        if parsed is None:
            with _normalized_copy(source, delimiter) as clean:
                parsed = _parse_csv(clean, delimiter, names)
        if parsed is None:
            raise ReadError("format-error", "The CSV records cannot be told apart.")
    frame, shapes = parsed
    findings += _row_findings(shapes, names, encoding)
    return Table(
        frame=frame,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        decimal_comma=_uses_decimal_comma(records[1:]),
        header=labels,
        findings=findings,
    )


def _detect_encoding(path: Path, head: bytes) -> str:
    """A BOM decides; else UTF-8 when the first non-ASCII bytes are mostly valid UTF-8; else
    cp1252, the Latin-1 superset that French public data uses when it is not UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    window = head if not head.isascii() else _first_non_ascii_chunk(path, len(head))
    if window is None:
        return "utf-8"
    # Drop a character cut at the chunk's start; the decoder keeps one cut at its end.
    for _ in range(3):
        if window and 0x80 <= window[0] < 0xC0:
            window = window[1:]
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(window)
    replaced = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - replaced
    # A run of replaced bytes is one accident in UTF-8 text, one letter per byte in cp1252.
    invalid = len(re.findall("\ufffd+", text))
    return "utf-8" if valid > invalid else "cp1252"


def _first_non_ascii_chunk(path: Path, start: int) -> bytes | None:
    """The first chunk after ``start`` holding a non-ASCII byte, found at memory speed."""
    with path.open("rb") as file:
        file.seek(start)
        while chunk := file.read(SAMPLE_BYTES):
            if not chunk.isascii():
                return chunk
    return None


def _decode_sample(head: bytes, encoding: str, whole: bool) -> str:
    """The sample as text, cut after its last complete line unless it is the whole file."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole)
    return text if whole else text[: text.rfind("\n") + 1]


def _sample_records(sample: str, delimiter: str, limit: int = 200) -> list[list[str]]:
    """The first records of the sample, stopping early at a record the csv module refuses
    (a field over its 128 KB limit, such as a long WKT geometry)."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    with contextlib.suppress(csv.Error):
        records.extend(islice(reader, limit))
    return records


def _sniff_delimiter(sample: str, prefer_tab: bool = False) -> str:
    """The delimiter among ; , tab | that splits the header into most columns while giving
    (nearly) every sampled row the header's field count. csv.Sniffer is fooled by decimal
    commas and free text, hence this simpler vote."""
    candidates = ("\t", *DELIMITERS[:2], "|") if prefer_tab else DELIMITERS
    best, best_key = "\t" if prefer_tab else ",", None
    for rank, delimiter in enumerate(candidates):
        rows = [row for row in _sample_records(sample, delimiter) if row]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistency = sum(len(row) == width for row in rows) / len(rows)
        key = (consistency >= 0.9, width, consistency, -rank)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


def _uses_decimal_comma(rows: list[list[str]]) -> bool:
    comma = point = 0
    for row in rows:
        for value in row:
            if DECIMAL_COMMA.match(value):
                comma += 1
            elif DECIMAL_POINT.match(value):
                point += 1
    return comma > point


@contextlib.contextmanager
def _utf8_source(path: Path, encoding: str) -> Iterator[Path]:
    """The file itself when it is UTF-8, else a temporary UTF-8 copy transcoded in chunks
    (bytes the encoding does not define become U+FFFD). Polars reads only UTF-8 from a path;
    its other encodings decode the whole file in memory."""
    if encoding.startswith("utf-8"):
        yield path
        return
    descriptor, name = tempfile.mkstemp(prefix="ctd-read-", suffix=".csv")
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        with path.open("rb") as source, os.fdopen(descriptor, "wb") as target:
            while chunk := source.read(4 * SAMPLE_BYTES):
                target.write(decoder.decode(chunk).encode("utf-8"))
            target.write(decoder.decode(b"", final=True).encode("utf-8"))
        yield Path(name)
    finally:
        os.unlink(name)


def _parse_csv(
    source: Path, delimiter: str, names: list[str], quoting: bool = True
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The frame, read by Polars, and the record shapes; None when Polars fails or when it
    and the line pass do not find the same records. Strict UTF-8 is tried first: it reads
    a quarter faster than the lossy decoding that replaces invalid bytes."""
    options: dict[str, Any] = {
        "has_header": False, "skip_rows": 1, "separator": delimiter,
        "quote_char": '"' if quoting else None, "schema": {name: pl.String for name in names},
        "truncate_ragged_lines": True, "missing_columns": "insert", "extra_columns": "ignore",
        "raise_if_empty": False,
    }
    try:
        try:
            frame = pl.read_csv(source, **options)
        except pl.exceptions.ComputeError as error:
            if "utf-8" not in str(error):
                raise
            frame = pl.read_csv(source, encoding="utf8-lossy", **options)
    except pl.exceptions.PolarsError:
        return None
    shapes = _record_shapes(source, delimiter, len(names), quoting)
    return (frame, shapes) if shapes.height == frame.height + 1 else None


@contextlib.contextmanager
def _normalized_copy(source: Path, delimiter: str) -> Iterator[Path]:
    """A temporary copy of ``source`` rewritten by the csv module, with every quote escaped as
    RFC 4180 wants. This loops over rows in Python, so it is only a fallback."""
    descriptor, name = tempfile.mkstemp(prefix="ctd-read-", suffix=".csv")
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(max(limit, source.stat().st_size))
        with (
            source.open(encoding="utf-8", errors="replace", newline="") as original,
            os.fdopen(descriptor, "w", encoding="utf-8", newline="") as copy,
        ):
            rows = csv.reader(original, delimiter=delimiter)
            csv.writer(copy, delimiter=delimiter, lineterminator="\n").writerows(rows)
        yield Path(name)
    except csv.Error as error:
        raise ReadError("format-error", f"The CSV cannot be parsed: {error}.") from error
    finally:
        csv.field_size_limit(limit)
        os.unlink(name)


def _quotes_open_fields(source: Path, delimiter: str) -> bool:
    opening = f'(?:^|{re.escape(delimiter)})"'
    found = _scan_lines(source).select(pl.col("text").str.contains(opening).any())
    return bool(found.collect(engine="streaming").item())


def _scan_lines(source: Path) -> pl.LazyFrame:
    """The file as one text column of physical lines: no quoting, NUL as the separator."""
    return pl.scan_csv(
        source,
        has_header=False,
        separator="\x00",
        quote_char=None,
        schema={"text": pl.String},
        empty_string_is_null=False,
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
    )


def _record_shapes(source: Path, delimiter: str, width: int, quoting: bool) -> pl.DataFrame:
    """One row per CSV record (record 0 is the header): its field count, whether it is blank
    and whether it held undecodable bytes.

    Computed with Polars string kernels over the physical lines, streaming. Delimiters and
    quotes are counted per line. Lines holding quotes and a field count other than the
    header's are recounted with their quoted sections removed (which handles quoted delimiters
    and doubled quotes); a line with an odd number of quotes opens or closes a field spanning
    lines, and only such multi-line records are joined again and recounted."""
    text = pl.col("text")
    lines = (
        _scan_lines(source)
        .select(
            fields=_count_fields(text, delimiter, quoted=False),
            quotes=text.str.count_matches('"', literal=True).cast(pl.Int64) * int(quoting),
            length=text.str.len_bytes().cast(pl.Int64),
            bad=text.str.contains("\ufffd", literal=True),
        )
        .collect(engine="streaming")
        .with_row_index("line")
        # Blank: nothing but delimiters and quotes (or nothing at all).
        .with_columns(blank=pl.col("length") == pl.col("fields") - 1 + pl.col("quotes"))
    )
    if lines["quotes"].sum() == 0:
        return lines.select(record="line", fields="fields", blank="blank", bad="bad")

    odd, record = pl.col("quotes") % 2, pl.col("record")
    lines = lines.with_columns(
        # A line starts a record unless a quote opened by the lines before it is still open.
        record=((odd.cum_sum() - odd) % 2 == 0).cum_sum().cast(pl.Int64) - 1
    ).with_columns(
        multiline=((record == record.shift(1)) | (record == record.shift(-1))).fill_null(False)
    )
    suspect = lines.filter(
        ~pl.col("multiline") & (pl.col("quotes") > 0) & (pl.col("fields") != width)
    )
    if not suspect.is_empty():
        recounted = (
            _lines_at(source, suspect["line"])
            .select("line", fields=_count_fields(text, delimiter, quoted=True))
            .collect(engine="streaming")
        )
        lines = lines.update(recounted, on="line")
    single = lines.filter(~pl.col("multiline")).select("record", "fields", "blank", "bad")
    parts = lines.filter("multiline").select("line", "record", "bad")
    if parts.is_empty():
        return single
    joined = (
        _lines_at(source, parts["line"])
        .collect(engine="streaming")
        .join(parts, on="line")
        .sort("line")
        .group_by("record", maintain_order=True)
        .agg(text.str.join("\n"), bad=pl.col("bad").any())
        .select(
            "record",
            fields=_count_fields(text, delimiter, quoted=True),
            blank=pl.lit(False),
            bad="bad",
        )
    )
    return pl.concat([single, joined]).sort("record")


def _count_fields(text: pl.Expr, delimiter: str, quoted: bool) -> pl.Expr:
    if quoted:
        text = text.str.replace_all(r'"[^"]*"', "")
    return text.str.count_matches(delimiter, literal=True).cast(pl.Int64) + 1


def _lines_at(source: Path, numbers: pl.Series) -> pl.LazyFrame:
    return (
        _scan_lines(source).with_row_index("line").filter(pl.col("line").is_in(numbers.implode()))
    )


def _row_findings(shapes: pl.DataFrame, names: list[str], encoding: str) -> list[Finding]:
    """extra-cell and missing-cell findings, one per cell as frictionless reports them;
    blank-row (a blank row gets no other finding, as in frictionless); encoding-error."""
    width = len(names)
    body = shapes.filter(pl.col("record") > 0)
    blank = body.filter("blank")
    extra = body.filter(~pl.col("blank") & (pl.col("fields") > width))
    missing = body.filter(~pl.col("blank") & (pl.col("fields") < width))
    bad = shapes.filter("bad")

    def first(rows: pl.DataFrame) -> list[tuple[int, int]]:
        head = rows.head(MAX_FINDINGS_PER_TYPE).select(pl.col("record") + 1, "fields")
        return head.rows()

    extra_cells = (
        Finding("extra-cell", f"Row {row} has {fields} cells, the header {width}.", row, number)
        for row, fields in first(extra)
        for number in range(width + 1, fields + 1)
    )
    missing_cells = (
        Finding(
            "missing-cell",
            f"Row {row} has {fields} cells, the header {width}.",
            row,
            number,
            names[number - 1],
        )
        for row, fields in first(missing)
        for number in range(fields + 1, width + 1)
    )
    blank_rows = (Finding("blank-row", f"Row {row} is blank.", row) for row, _ in first(blank))
    undecodable = (
        Finding(
            "encoding-error",
            f"Row {row} holds bytes that are not valid {encoding}, replaced by U+FFFD.",
            row,
        )
        for row, _ in first(bad)
    )
    return [
        *_capped("extra-cell", extra_cells, int((extra["fields"] - width).sum() or 0)),
        *_capped("missing-cell", missing_cells, int((width - missing["fields"]).sum() or 0)),
        *_capped("blank-row", blank_rows, blank.height),
        *_capped("encoding-error", undecodable, bad.height),
    ]


def _capped(type: str, findings: Iterable[Finding], total: int) -> list[Finding]:
    kept = list(islice(findings, MAX_FINDINGS_PER_TYPE))
    if total > len(kept):
        more = total - len(kept)
        kept.append(Finding(type, f"{more} more {type} findings are not listed.", count=more))
    return kept


# Header


def _field_names(labels: list[str]) -> list[str]:
    """Column names as frictionless makes them: labels stripped, a blank label at position n
    named ``fieldn``, a repeated label suffixed with its occurrence (``code``, ``code2``…)."""
    names = [
        label.replace("\n", " ").strip() or f"field{number}"
        for number, label in enumerate(labels, start=1)
    ]
    seen: dict[str, int] = {}
    unique: list[str] = []
    taken = set(names)
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            count = seen[name]
            while f"{name}{count}" in taken:
                count += 1
            name = f"{name}{count}"
            taken.add(name)
        unique.append(name)
    return unique


def _label_findings(labels: list[str], names: list[str]) -> list[Finding]:
    """frictionless' header errors: ``blank-header`` when the whole header is empty, else
    ``blank-label`` per empty label and ``duplicate-label`` per repeated one."""
    if not any(labels):
        return [Finding("blank-header", "The header row is empty.", 1)]
    findings: list[Finding] = []
    positions: dict[str, list[int]] = {}
    for number, (label, name) in enumerate(zip(labels, names, strict=True), start=1):
        if not label:
            note = f"Label {number} is empty; the column is named {name!r}."
            findings.append(Finding("blank-label", note, 1, number, name))
            continue
        earlier = positions.setdefault(label, [])
        if earlier:
            note = (
                f"Label {label!r} repeats the label at position "
                f"{', '.join(map(str, earlier))}; the column is named {name!r}."
            )
            findings.append(Finding("duplicate-label", note, 1, number, name))
        earlier.append(number)
    return findings


# Spreadsheets


def _read_spreadsheet(
    path: Path, head: bytes, kind: str, max_bytes: int, max_columns: int
) -> Table:
    """The first sheet, through fastexcel (calamine into Arrow, every cell as text); the
    first non-empty row is the header."""
    if kind in ("xlsx", "ods"):
        _check_zip(path, max_bytes)
    elif not head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError("format-error", "The file is not an XLS workbook.")
    import fastexcel  # 25 ms: only for spreadsheets

    try:
        workbook = fastexcel.read_excel(path)
        if not workbook.sheet_names:
            raise ReadError("source-error", "The workbook has no sheet.")
        cells = workbook.load_sheet(0, header_row=None, dtypes="string").to_polars()
    except ReadError:
        raise
    except Exception as error:  # fastexcel raises several unrelated exception types
        raise ReadError("format-error", f"The workbook cannot be read: {error}"[:500]) from error
    cells = cells.select(_sheet_text(pl.all()))
    cells.columns = [str(number) for number in range(1, cells.width + 1)]
    filled = cells.select(pl.any_horizontal(pl.all().is_not_null()).arg_true().first())
    start = filled.item() if cells.width else None
    if start is None:
        raise ReadError("source-error", "The first sheet is empty.")
    header = cells.row(start)
    width = max(i for i, value in enumerate(header) if value is not None) + 1
    if width > max_columns:
        raise ReadError(
            "source-error", f"The header has {width} columns, over the {max_columns} limit."
        )
    labels = [value or "" for value in header[:width]]
    names = _field_names(labels)
    body = cells.slice(start + 1)
    frame = body.select(pl.nth(range(width))).rename(
        dict(zip(body.columns[:width], names, strict=True))
    )
    findings = _label_findings(labels, names) + _sheet_row_findings(body, width)
    return Table(frame=frame, format=kind, header=labels, findings=findings)


def _sheet_text(cells: pl.Expr) -> pl.Expr:
    """Cells written as ``_cell_text`` writes values: empty as null, a date cell (which
    fastexcel writes at midnight) as a date, a time cell (a date-time on Excel's day zero)
    as a time."""
    text = cells.replace("", None)
    text = text.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", "$1")
    return text.str.replace(r"^1899-12-31 (\d{2}:\d{2}:\d{2})$", "$1")


def _sheet_row_findings(body: pl.DataFrame, width: int) -> list[Finding]:
    """blank-row for empty rows, extra-cell for values past the header's width (a sheet is
    rectangular, so there are no missing cells). Columns are named by position."""
    rows = body.with_row_index("row", offset=2)
    blank = rows.filter(pl.all_horizontal(pl.exclude("row").is_null()))["row"]
    extra = (
        rows.select("row", *body.columns[width:])
        .unpivot(index="row", variable_name="field")
        .drop_nulls("value")
        .select("row", pl.col("field").cast(pl.Int64))
        .sort("row", "field")
    )
    note = f"The row has a value past the {width} columns of the header."
    extra_cells = (
        Finding("extra-cell", note, row, field)
        for row, field in extra.head(MAX_FINDINGS_PER_TYPE).rows()
    )
    blank_rows = (
        Finding("blank-row", f"Row {row} is blank.", row)
        for row in blank.head(MAX_FINDINGS_PER_TYPE)
    )
    return [
        *_capped("extra-cell", extra_cells, extra.height),
        *_capped("blank-row", blank_rows, blank.len()),
    ]


def _check_zip(path: Path, max_bytes: int) -> None:
    """Refuse ZIP bombs before calamine expands anything: the declared sizes must stay under
    ``max_bytes`` with a sane ratio, and, as declared sizes can lie, every member is expanded
    once by counting (zipfile stops at the declared size and checks the CRC)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            packed = sum(member.compress_size for member in members)
            if total > max_bytes:
                raise ReadError(
                    "source-error",
                    f"The workbook expands to {total} bytes, over the {max_bytes}-byte limit.",
                )
            if total > ZIP_BOMB_MIN_BYTES and total > ZIP_BOMB_RATIO * max(packed, 1):
                raise ReadError("source-error", "The workbook expands suspiciously: a ZIP bomb?")
            expanded = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(SAMPLE_BYTES):
                        expanded += len(chunk)
                        if expanded > max_bytes:
                            raise ReadError(
                                "source-error",
                                f"The workbook expands past the {max_bytes}-byte limit.",
                            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise ReadError("format-error", f"The file is not a valid workbook: {error}.") from error


def _cell_text(value: Any) -> str | None:
    """A cell or JSON value as text: empty as None, integral floats without ``.0``, dates as
    ISO 8601, nested values as JSON."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


# JSON and GeoJSON


def _read_json(path: Path, head: bytes, size: int, max_columns: int) -> Table:
    """An array of objects, ``{"data": [...]}``, ``{"results": [...]}`` or a GeoJSON
    FeatureCollection, one row per object with its values as text."""
    if head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] not in (b"{", b"["):
        _reject_binary(head)
        raise ReadError("format-error", "The file is not JSON: it starts with neither { nor [.")
    try:
        if size <= JSON_IN_MEMORY_BYTES:
            geo, records = _json_records(json.loads(path.read_bytes()))
            return _json_table(records, geo, max_columns)
        with path.open("rb") as file:
            geo, prefix = _json_array_prefix(file)
            file.seek(0)
            return _json_table(ijson.items(file, prefix, use_float=True), geo, max_columns)
    except UnicodeDecodeError as error:
        raise ReadError("encoding-error", f"The JSON is not valid UTF-8: {error}.") from error
    except ReadError:
        raise
    except Exception as error:  # json and ijson raise their own error types
        raise ReadError("format-error", f"The JSON cannot be parsed: {error}"[:500]) from error


def _json_records(document: Any) -> tuple[bool, list[Any]]:
    if isinstance(document, list):
        return False, document
    if isinstance(document, dict):
        if document.get("type") == "FeatureCollection":
            return True, document.get("features") or []
        if document.get("type") == "Feature":
            return True, [document]
        for key in ("data", "results"):
            if isinstance(document.get(key), list):
                return False, document[key]
    raise ReadError(
        "format-error", 'The JSON holds no array of records ([…], {"data": […]}, GeoJSON…).'
    )


def _json_array_prefix(file: Any) -> tuple[bool, str]:
    """Where the records are in a large JSON file, for ijson: the top-level array, or the
    ``features``, ``data`` or ``results`` array of the top-level object."""
    for prefix, event, _ in ijson.parse(file):
        if event == "start_array" and prefix == "":
            return False, "item"
        if event == "start_array" and prefix in ("features", "data", "results"):
            return prefix == "features", f"{prefix}.item"
    raise ReadError(
        "format-error", 'The JSON holds no array of records ([…], {"data": […]}, GeoJSON…).'
    )


def _json_table(records: Iterable[Any], geo: bool, max_columns: int) -> Table:
    rows: list[dict[str, str | None]] = []
    keys: dict[str, None] = {}
    for record in records:
        feature = record if isinstance(record, dict) else {}
        if geo:
            values = feature.get("properties") or {}
        else:
            values = record if isinstance(record, dict) else {"value": record}
        row = {str(key): _cell_text(value) for key, value in values.items()}
        if geo:
            row.update(_geometry_cells(feature.get("geometry"), row))
        keys.update(dict.fromkeys(row))
        if len(keys) > max_columns:
            raise ReadError("source-error", f"The records have over {max_columns} keys.")
        rows.append(row)
    labels = list(keys)
    frame = pl.from_dicts(rows, schema={key: pl.String for key in labels}) if labels else None
    return Table(
        frame=frame if frame is not None else pl.DataFrame(),
        format="geojson" if geo else "json",
        encoding="utf-8",
        header=labels,
    )


def _geometry_cells(geometry: Any, properties: dict[str, Any]) -> dict[str, str | None]:
    """geometry_type, longitude and latitude (of the point, else of the centroid); prefixed
    with ``geometry_`` where a property of the feature already has the name."""
    kind = lon = lat = None
    if isinstance(geometry, dict):
        kind = geometry.get("type")
        try:
            if kind == "Point":
                lon, lat = geometry["coordinates"][:2]
            else:
                from shapely.geometry import shape

                centroid = shape(geometry).centroid
                if not centroid.is_empty:
                    lon, lat = centroid.x, centroid.y
        except Exception:  # a broken geometry leaves the coordinates empty
            lon = lat = None
    cells = (kind if isinstance(kind, str) else None, _cell_text(lon), _cell_text(lat))
    return {
        (f"geometry_{name}" if name in properties else name): cell
        for name, cell in zip(GEOMETRY_COLUMNS, cells, strict=True)
    }


# Parquet


def _read_parquet(path: Path, head: bytes, max_columns: int) -> Table:
    if not head.startswith(b"PAR1"):
        raise ReadError("format-error", "The file is not a Parquet file.")
    try:
        width = len(pl.read_parquet_schema(path))
        if width > max_columns:
            raise ReadError(
                "source-error", f"The file has {width} columns, over the {max_columns} limit."
            )
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise ReadError(
            "format-error", f"The Parquet file cannot be read: {error}"[:500]
        ) from error
    return Table(frame=frame, format="parquet", header=list(frame.columns))
