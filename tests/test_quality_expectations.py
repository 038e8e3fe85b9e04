"""Great Expectations on real files, with real GX: ctd's checks exported as GX JSON run by
GX unchanged and give ctd's verdict, field by field; a suite derived from a profile passes
on its own file; user suites GX cannot run are refused in plain English; and GX is never
imported when the API starts."""

from __future__ import annotations

import copy
import csv
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import IRVE_EXAMPLE
from test_quality_schema import _write

from catalogue.demo_files import Publisher, write_file
from quality.expectations import SuiteError, run_suite, suite_for, validate_suite
from quality.profile import profile
from quality.read import read_table
from quality.schema import load_schema, validate

ROOT = Path(__file__).resolve().parents[1]
NANCY = Publisher("Ville de Nancy", "215403957", "54395", ("54395",), ("Nancy",))


@pytest.fixture(scope="module")
def irve_schema() -> dict:
    """The official IRVE schema, with id_pdc_itinerance unique (IRVE requires it, outside
    the Table Schema), so that the export's uniqueness check is exercised too."""
    schema = copy.deepcopy(load_schema("irve-statique"))
    field = next(f for f in schema["fields"] if f["name"] == "id_pdc_itinerance")
    field["constraints"]["unique"] = True
    return schema




def _as_json(suite: dict) -> dict:
    """The suite as it is stored and uploaded: JSON text."""
    return json.loads(json.dumps(suite))


def _failing(summary: dict) -> list[dict]:
    return [result for result in summary["results"] if not result["success"]]


def _gx_errors(summary: dict) -> dict[str, int]:
    """Unexpected cells per column, counted as ctd counts them. GX flags every row holding
    a repeated value; ctd the repeats after the first: one less per repeated value."""
    counts: Counter[str] = Counter()
    for result in _failing(summary):
        assert result["column"], result  # no table-level failure
        assert "error" not in result, result
        count = result["unexpected_count"]
        if result["expectation_type"] == "expect_column_values_to_be_unique":
            count -= len(set(result["partial_unexpected_list"]))
        counts[result["column"]] += count
    return dict(counts)


def _ctd_errors(report) -> dict[str, int]:
    return {field.name: field.errors for field in report.fields if field.errors}


def _result(summary: dict, column: str, type_: str, check: str | None = None) -> dict:
    return next(
        r
        for r in summary["results"]
        if r["column"] == column
        and r["expectation_type"] == f"expect_column_values_to_{type_}"
        and check in (None, r["meta"]["ctd"]["check"])
    )


def test_exported_suite_is_gx_json_and_passes_on_the_official_example(irve_schema):
    import great_expectations as gx

    table = read_table(IRVE_EXAMPLE)
    suite = _as_json(suite_for(table, irve_schema, None, "irve-statique"))
    # GX loads the suite and writes it back unchanged: it is GX's own JSON.
    assert validate_suite(suite) == suite
    assert gx.ExpectationSuite(**copy.deepcopy(suite)).to_json_dict() == suite
    types = Counter(e["type"] for e in suite["expectations"])
    assert types["expect_column_to_exist"] == len(irve_schema["fields"])
    for type_ in (
        "expect_table_columns_to_match_set",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_unique",
    ):
        assert types[type_], type_
    assert all(
        e["meta"]["ctd"]["check"] and e["meta"]["ctd"]["explanation"] for e in suite["expectations"]
    )

    assert validate(table, irve_schema).valid
    summary = run_suite(table.frame, suite)
    assert summary["success"], _failing(summary)
    assert summary["engine"] == "great_expectations"
    assert summary["gx_version"] == gx.__version__
    assert summary["statistics"]["evaluated_expectations"] == len(suite["expectations"])
    assert summary["statistics"]["unsuccessful_expectations"] == 0
    json.dumps(summary)


def test_gx_flags_exactly_what_ctd_flags(tmp_path, irve_schema, irve_rows):
    header, base = irve_rows[0], irve_rows[1]
    rows = [header]
    for n in range(12):
        row = list(base)
        row[header.index("id_pdc_itinerance")] = f"FRA68E6802100{n:02d}"
        rows.append(row)

    def put(row: int, name: str, value: str) -> None:  # row: 1 = first data row
        rows[row][header.index(name)] = value

    put(1, "implantation_station", "Trottoir")  # enum
    put(2, "code_insee_commune", "7500")  # pattern
    put(3, "code_insee_commune", "01053")  # a leading zero, valid
    put(3, "siren_amenageur", "012345678")  # a leading zero, valid
    put(4, "nom_station", "")  # required
    put(5, "id_pdc_itinerance", "FRA68E680210006")  # repeats row 7's value
    put(6, "puissance_nominale", "-3")  # minimum 0
    put(8, "nbre_pdc", "dix")  # not an integer: a type error, no minimum check
    put(9, "date_maj", "2021-02-30")  # no such day
    put(10, "prise_type_2", "oui")  # not a boolean of the schema
    put(11, "raccordement", "Aucun")  # enum of an optional field
    put(11, "horaires", "toujours")  # pattern
    put(12, "contact_operateur", "exploitation@reseau")  # not an e-mail address
    table = read_table(_write(tmp_path / "irve.csv", rows))

    ctd = _ctd_errors(validate(table, irve_schema))
    assert ctd == {
        "implantation_station": 1,
        "code_insee_commune": 1,
        "nom_station": 1,
        "id_pdc_itinerance": 1,
        "puissance_nominale": 1,
        "nbre_pdc": 1,
        "date_maj": 1,
        "prise_type_2": 1,
        "raccordement": 1,
        "horaires": 1,
        "contact_operateur": 1,
    }
    suite = _as_json(suite_for(table, irve_schema, None, "irve-statique"))
    summary = run_suite(table.frame, suite)
    assert not summary["success"]
    assert _gx_errors(summary) == ctd

    # Text stays text: the leading zeros pass the patterns, the bad values read as written.
    pattern = _result(summary, "code_insee_commune", "match_regex", "constraint-error")
    assert pattern["partial_unexpected_list"] == ["7500"]
    assert _result(summary, "siren_amenageur", "match_regex", "constraint-error")["success"]
    bound = _result(summary, "puissance_nominale", "be_between")
    assert bound["partial_unexpected_list"] == ["-3"]
    assert _result(summary, "nbre_pdc", "match_regex")["partial_unexpected_list"] == ["dix"]
    assert _result(summary, "nbre_pdc", "be_between")["success"]
    unique = _result(summary, "id_pdc_itinerance", "be_unique")
    assert unique["partial_unexpected_list"] == ["FRA68E680210006"] * 2
    assert unique["unexpected_count"] == 2  # both rows holding the value; ctd counts 1
    json.dumps(summary)


def test_scdl_subventions_suite_on_a_demo_file(tmp_path):
    schema = load_schema("scdl-subventions")
    path = write_file("subventions", NANCY, tmp_path / "subventions.csv", rows=60)
    table = read_table(path)
    suite = _as_json(suite_for(table, schema, None, "scdl-subventions"))
    assert validate(table, schema).valid
    summary = run_suite(table.frame, suite)
    assert summary["success"], _failing(summary)

    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    header = rows[0]
    changes = [
        (1, "notificationUE", "true"),  # only oui/non here
        (2, "pourcentageSubvention", "1.5"),  # maximum 1
        (3, "pourcentageSubvention", "0"),  # minimum 0.01
        (4, "pourcentageSubvention", "un tiers"),  # a type error, no bound check
        (5, "nature", "aide"),  # enum
        (6, "idAttribuant", "0123456789012"),  # 13 digits: pattern
        (7, "idAttribuant", "01234567890123"),  # a leading zero, valid
        (8, "montant", "12,5"),  # no decimalChar in this schema: a type error
        (9, "dateConvention", "2023-02-29"),  # not a leap year
        (10, "objet", "x" * 257),  # maxLength 256
    ]
    for row, name, value in changes:
        rows[row][header.index(name)] = value
    broken = read_table(_write(tmp_path / "broken.csv", rows))
    ctd = _ctd_errors(validate(broken, schema))
    assert ctd == {
        "notificationUE": 1,
        "pourcentageSubvention": 3,
        "nature": 1,
        "idAttribuant": 1,
        "montant": 1,
        "dateConvention": 1,
        "objet": 1,
    }
    assert _gx_errors(run_suite(broken.frame, suite)) == ctd


def test_table_schema_options_give_ctd_verdict(tmp_path):
    schema = {
        "missingValues": ["", "NA"],
        "primaryKey": ["ref"],
        "fields": [
            {"name": "ref", "type": "string"},
            {"name": "montant", "type": "number", "decimalChar": ",", "groupChar": " "},
            {"name": "actif", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
            {"name": "jour", "type": "date", "format": "%d/%m/%Y"},
            {"name": "quand", "type": "date", "format": "any"},
            {"name": "depuis", "type": "date", "constraints": {"minimum": "2020-01-01"}},
            {"name": "point", "type": "geopoint"},
            {"name": "annee", "type": "year", "constraints": {"minimum": 2000}},
            {"name": "niveau", "type": "integer", "constraints": {"enum": [1, 2, 3]}},
            # A look-ahead: Polars' regex engine refuses it, Python's re (ctd and GX) runs it.
            {
                "name": "code",
                "type": "string",
                "constraints": {"pattern": r"(?!00)\d{2}", "maxLength": 2},
            },
        ],
    }
    good = ["1 234,5", "oui", "31/12/2024", "2024-12-31", "2024-02-29", "6.18, 48.69", "2024"]
    rows = [
        [f["name"] for f in schema["fields"]],
        ["a", *good, "1", "54"],
        [
            "b",
            "12,0",
            "non",
            "1/1/2024",
            "31/12/2024",
            "2020-01-01",
            "-6.1,48.6",
            "2001",
            "3",
            "NA",
        ],
        ["c", "12.5.3", "yes", "2024-01-01", "2024-02-30", "2019-12-31", "6.1", "1999", "4", "00"],
        ["c", "", "", "", "", "2020-02-30", "", "", "2.0", "0x"],
    ]
    table = read_table(_write(tmp_path / "options.csv", rows))
    report = validate(table, schema)
    ctd = _ctd_errors(report)
    assert ctd == {
        "montant": 1,
        "actif": 1,
        "jour": 1,
        "quand": 1,
        "depuis": 2,
        "point": 1,
        "annee": 1,
        "niveau": 2,  # 4 is not in the enum; 2.0 is not an integer
        "code": 2,
    }
    summary = run_suite(table.frame, _as_json(suite_for(table, schema, None, "options")))
    gx = _gx_errors(summary)
    # The primary key is not a field error in ctd; GX names its column.
    assert [f.type for f in report.findings].count("primary-key") == 1
    assert gx.pop("ref") == 1
    assert gx == ctd


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (
            {"type": "date"},
            [
                "2024-02-29",
                "2023-02-29",
                "1900-02-29",
                "2000-02-29",
                "2024-4-31",
                "2024-4-30",
                "2024-1-5",
                "24-01-05",
                " 2024-01-05",
                "2024-01-05 ",
                "2024-13-01",
                "2024-00-10",
            ],
        ),
        (
            {"type": "date", "format": "%d/%m/%y"},
            ["29/02/24", "29/02/23", "31/11/24", "1/1/24", "01/01/2024", "30/4/00"],
        ),
        (
            {"type": "datetime"},
            [
                "2024-02-29T23:59:60Z",
                "2024-02-30T10:00:00",
                "2024-01-01 24:00:00",
                "2024-01-01t10:00:00.5+02:00",
                "2024-01-01T10:00",
                "2024-1-01T10:00:00",
            ],
        ),
        (
            {"type": "number", "decimalChar": ",", "groupChar": " "},
            ["1 234,5", "1234.5", " -1e3 ", ".5", "5.", "NaN", "-inf", "1,2,3", "e3", "\uff11"],
        ),
        ({"type": "integer"}, ["+12", " 7 ", "1.0", "1e3", "", "\uff11"]),
    ],
)
def test_type_regexes_accept_what_ctd_accepts(tmp_path, field, values):
    """The lexical forms in the exported suite are ctd's, calendar days included."""
    schema = {"fields": [{"name": "v", **field}]}
    rows = [["n", "v"], *([str(n), value] for n, value in enumerate(values))]
    table = read_table(_write(tmp_path / "values.csv", rows))
    report = validate(table, {"fields": [{"name": "n"}, *schema["fields"]]})
    refused = {values[f.row_number - 2] for f in report.findings if f.type == "type-error"}
    regex = next(
        e["kwargs"]["regex"]
        for e in suite_for(table, schema, None, "v")["expectations"]
        if e["meta"]["ctd"]["check"] == "type-error"
    )
    present = [v for v in table.frame["v"].to_list() if v is not None]
    assert {v for v in present if not re.search(regex, v)} == refused
    assert refused  # the battery holds some of each


def test_profile_suite_passes_on_its_own_file(tmp_path):
    rows = [["id", "code_insee", "siret", "montant", "date", "note", "telephone"]]
    for n in range(40):
        rows.append(
            [
                f"{n:03d}",
                ["01053", "2A004", "08000", "54395"][n % 4],
                f"0{n:013d}",
                f"{n},5",
                f"2024-01-{n % 28 + 1:02d}",
                "" if n % 5 else "à revoir",
                "03 83 85 30 00" if n else "inconnu",  # 39 of 40 are codes: "mostly"
            ]
        )
    path = _write(tmp_path / "profiled.csv", rows)
    for file in (path, IRVE_EXAMPLE, write_file("subventions", NANCY, tmp_path / "s.csv", rows=60)):
        table = read_table(file)
        suite = _as_json(
            suite_for(
                table, None, profile(table.frame, decimal_comma=table.decimal_comma), file.stem
            )
        )
        assert validate_suite(suite) == suite
        summary = run_suite(table.frame, suite)
        assert summary["success"], (file.name, _failing(summary))

    table = read_table(path)
    suite = _as_json(
        suite_for(table, None, profile(table.frame, decimal_comma=table.decimal_comma), "profiled")
    )
    by_check = Counter(e["meta"]["ctd"]["check"] for e in suite["expectations"])
    assert by_check == {
        "profile.rows": 1,
        "profile.columns": 1,
        "profile.not-null": 6,  # every column but "note"
        "profile.unique": 2,  # id and siret
        "profile.type": 6,  # all but "note"
    }
    phone = next(
        e
        for e in suite["expectations"]
        if e["kwargs"].get("column") == "telephone" and "regex" in e["kwargs"]
    )
    assert phone["kwargs"]["mostly"] == 0.975

    # An identifier repeated: GX reports it as written, leading zeros kept.
    rows[2][0] = "000"
    summary = run_suite(read_table(_write(tmp_path / "again.csv", rows)).frame, suite)
    assert [(r["column"], r["partial_unexpected_list"]) for r in _failing(summary)] == [
        ("id", ["000", "000"])
    ]


def test_user_suite_compares_numbers_as_numbers(tmp_path):
    rows = [["ref", "montant"], ["a", "12"], ["b", "-1"], ["c", "abc"], ["d", ""], ["e", "7"]]
    table = read_table(_write(tmp_path / "m.csv", rows))
    suite = {
        "name": "user",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "montant", "min_value": 0},
            },
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "montant", "value_set": [7, 12]},
            },
            {
                "type": "expect_column_max_to_be_between",
                "kwargs": {"column": "montant", "max_value": 10},
            },
        ],
    }
    results = run_suite(table.frame, suite)["results"]
    between, in_set, maximum = results
    # "abc" does not parse: it is missing for the comparisons, as in ctd.
    assert (between["unexpected_count"], between["partial_unexpected_list"]) == (1, ["-1"])
    assert (in_set["unexpected_count"], in_set["partial_unexpected_list"]) == (1, ["-1"])
    assert (maximum["success"], maximum["observed_value"]) == (False, 12)


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        (
            {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "x"}},
            "'expect_column_values_to_be_purple' is not a Great Expectations expectation type",
        ),
        (
            {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "x"}},
            "Did you mean 'expect_column_values_to_be_between'",
        ),
        (
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "x", "min_value": "a"},
            },
            "min_value: value is not a valid float",
        ),
        (
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": "x", "regex": "("},
            },
            "invalid regex",
        ),
        (
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x", "colour": 1}},
            "colour: extra fields not permitted",
        ),
        ({"kwargs": {"column": "x"}}, "Expectation 1 has no 'type'"),
    ],
)
def test_suites_gx_cannot_run_are_refused(tmp_path, expectation, message):
    suite = {"name": "user", "expectations": [expectation]}
    with pytest.raises(SuiteError, match=message):
        validate_suite(suite)
    table = read_table(_write(tmp_path / "x.csv", [["x"], ["1"]]))
    with pytest.raises(ValueError, match=message):
        run_suite(table.frame, suite)


def test_malformed_suites_are_refused():
    for suite, message in [
        ("{", "not valid JSON"),
        ([], "a JSON object"),
        ({"expectations": []}, "non-empty 'name'"),
        ({"name": "s", "expectations": {}}, "must be a list"),
        ({"name": "s", "colour": 1}, "Unknown suite key"),
    ]:
        with pytest.raises(SuiteError, match=message):
            validate_suite(suite)
    # GX 0.x JSON is read too.
    legacy = {
        "expectation_suite_name": "old",
        "expectations": [
            {"expectation_type": "expect_column_to_exist", "kwargs": {"column": "x"}, "meta": {}}
        ],
    }
    loaded = validate_suite(legacy)
    assert loaded["name"] == "old"
    assert loaded["expectations"][0]["type"] == "expect_column_to_exist"


def test_great_expectations_is_not_imported_on_start_up():
    code = (
        "import quality.expectations, catalogue.app, sys; "
        "assert 'great_expectations' not in sys.modules; assert 'pandas' not in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
