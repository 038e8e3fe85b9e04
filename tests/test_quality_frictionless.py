"""ctd's structural and schema validation against ``frictionless.validate``, on a corpus of
valid and broken files built from the official SCDL and IRVE schemas (``quality_corpus``).

Both sides are reduced to a set of ``(type, row number, field number)``: ctd's findings from
``read_table`` and ``validate`` (less the positionless findings standing for capped ones),
frictionless' errors (its header errors, which carry no row number, on row 1). Each case
states the findings both must report; where the tools differ by design or frictionless is
wrong, the case lists the difference (``only_ctd``, ``only_frictionless``) and
``quality_corpus.DIVERGENCES`` says why, so the test fails as soon as either side changes.

frictionless is told the delimiter and that the header is row 1: its guesses of these are
not what is compared."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import frictionless
import pytest
from quality_corpus import DIVERGENCES, FRICTIONLESS_SAMPLE, INSEE, Case, corpus

from quality.read import ReadError, read_table
from quality.schema import validate

CORPUS = corpus()
BY_ID = {case.id: case for case in CORPUS}


def run_ctd(path: Path, schema: dict) -> set[tuple]:
    try:
        table = read_table(path)
    except ReadError as error:
        return {(error.type, None, None)}
    findings = table.findings + validate(table, schema).findings
    return {
        (f.type, f.row_number, f.field_number)
        for f in findings
        if f.row_number is not None or f.count == 1
    }


def run_frictionless(path: Path, schema: dict, delimiter: str) -> set[tuple]:
    resource = frictionless.Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=frictionless.Schema.from_descriptor(schema),
        dialect=frictionless.Dialect(
            header_rows=[1], controls=[frictionless.formats.CsvControl(delimiter=delimiter)]
        ),
    )
    report = resource.validate(limit_errors=100_000)
    found = set()
    for error in report.tasks[0].errors:
        row = getattr(error, "row_number", None)
        if row is None and getattr(error, "row_numbers", None):
            row = error.row_numbers[0]
        found.add((error.type, row, getattr(error, "field_number", None)))
    return found


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_ctd_agrees_with_frictionless(tmp_path, case: Case):
    path = tmp_path / "data.csv"
    path.write_bytes(case.content)
    ours = run_ctd(path, case.schema)
    theirs = run_frictionless(path, case.schema, case.delimiter)
    assert ours == case.expected | case.only_ctd, "ctd differs"
    if case.mojibake:
        cascade = theirs - case.expected - case.only_frictionless
        guess = frictionless.Detector().detect_encoding(case.content[:FRICTIONLESS_SAMPLE])
        assert guess != "utf-8", "frictionless no longer misreads the file"
        assert cascade <= accented_cells(case), "frictionless changed"
    else:
        assert theirs == case.expected | case.only_frictionless, "frictionless changed"


def accented_cells(case: Case) -> set[tuple]:
    """A type and a constraint error for every cell holding a non-ASCII letter."""
    text = case.content.decode("utf-8", errors="replace")
    rows = csv.reader(io.StringIO(text), delimiter=case.delimiter)
    return {
        (kind, row, field)
        for row, cells in enumerate(rows, start=1)
        for field, cell in enumerate(cells, start=1)
        if not cell.isascii()
        for kind in ("type-error", "constraint-error")
    }


def test_frictionless_guesses_the_encoding_from_its_default_buffer():
    assert frictionless.settings.DEFAULT_BUFFER_SIZE == FRICTIONLESS_SAMPLE


def test_corpus_covers_every_kind_of_finding():
    kinds = {kind for case in CORPUS for kind, _, _ in case.expected | case.only_ctd}
    assert kinds >= {
        "blank-header",
        "blank-label",
        "duplicate-label",
        "missing-label",
        "extra-label",
        "blank-row",
        "extra-cell",
        "missing-cell",
        "type-error",
        "constraint-error",
        "unique-error",
        "primary-key",
        "encoding-error",
    }


def test_divergences_are_the_documented_ones():
    diverging = {
        case.id.removeprefix(f"{case.schema_name}-")
        for case in CORPUS
        if case.only_ctd or case.only_frictionless or case.mojibake
    }
    assert diverging == set(DIVERGENCES)
    valid = [case for case in CORPUS if case.id.endswith(("-valid", "-official-example"))]
    assert len(valid) == 9
    assert not any(case.expected or case.only_ctd or case.only_frictionless for case in valid)


@pytest.mark.parametrize(
    ("case_id", "column", "codes"),
    [
        ("scdl-prenoms-valid", "COLL_INSEE", INSEE),
        ("irve-statique-valid", "code_insee_commune", INSEE),
        ("scdl-equipements-valid", "ADR_CODEPOSTAL", ["08000", "01000", "20000", "54000"]),
    ],
)
def test_leading_zeros_stay_in_valid_files(tmp_path, case_id, column, codes):
    # The valid files pass both validators (test_ctd_agrees_with_frictionless); here, the
    # codes are read back as written: 01053, 2A004, 08000.
    path = tmp_path / "data.csv"
    path.write_bytes(BY_ID[case_id].content)
    assert set(codes) <= set(read_table(path).frame[column].to_list())
