"""What the scan engine hands to every check: a file read as a Polars frame, and how it was
read. (INTERFACE — ``quality.read`` builds it, ``quality.profile`` and the validators use it.)

Text formats (CSV, XLSX/XLS cells, GeoJSON properties, JSON arrays) are read with every
column as text (``pl.String``): nothing is typed on the way in, so an INSEE code ``01053``,
a postal code ``08000`` or a SIRET keeps its leading zero. Types are inferred afterwards, by
the profile. Parquet keeps the types its schema declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass
class Finding:
    """One problem, in frictionless' error vocabulary (``blank-header``, ``extra-cell``,
    ``encoding-error``…): where it is (1-based row number counting the header as row 1, as
    frictionless does; 1-based field number) and a note in English.

    Findings are capped per type: past the cap, one finding without a position stands for
    ``count`` more of its type, so totals are the sum of ``count``."""

    type: str
    note: str
    row_number: int | None = None
    field_number: int | None = None
    field_name: str | None = None
    count: int = 1


def totals(findings: list[Finding]) -> dict[str, int]:
    """How many problems of each type ``findings`` stand for."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.type] = counts.get(finding.type, 0) + finding.count
    return counts


@dataclass
class Table:
    frame: pl.DataFrame
    # csv, xlsx, xls, ods, geojson, parquet, json
    format: str
    # The encoding a text file was decoded with (utf-8, utf-8-sig, cp1252); None otherwise.
    encoding: str | None = None
    # The CSV delimiter found; None otherwise.
    delimiter: str | None = None
    # Whether numbers use a decimal comma (``12,5``), as French spreadsheets export them.
    decimal_comma: bool = False
    # The header as written in the file (before any renaming of blank or repeated labels).
    header: list[str] = field(default_factory=list)
    # The file's size in bytes.
    size: int = 0
    # Problems met while reading (structure: blank header, duplicate label, extra or missing
    # cells, blank rows, encoding errors…); the frame holds what could be read.
    findings: list[Finding] = field(default_factory=list)
