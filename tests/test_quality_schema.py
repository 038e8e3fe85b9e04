"""Schema validation on real files: the official IRVE example, variants of it broken one cell
at a time, demo SCDL files, and a 200,000-row file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
from conftest import IRVE_EXAMPLE
from portals import Portal, Reply, serve

from catalogue.demo_files import Publisher, write_file
from quality.read import read_table
from quality.schema import guess_schema, load_schema, validate, versioned_url

NANCY = Publisher("Ville de Nancy", "215403957", "54395", ("54395",), ("Nancy",))


@pytest.fixture(scope="module")
def irve_schema() -> dict:
    return load_schema("irve-statique")


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def _variant(tmp_path: Path, rows: list[list[str]], row: int, name: str, value: str) -> Path:
    """A copy of ``rows`` with the cell of ``name`` in file row ``row`` (header = 1) changed."""
    copy = [list(r) for r in rows]
    copy[row - 1][rows[0].index(name)] = value
    return _write(tmp_path / "variant.csv", copy)


def _only(report, type_: str):
    assert not report.valid
    assert [f.type for f in report.findings] == [type_], report.findings
    return report.findings[0]


def test_official_irve_example_is_valid(irve_schema, irve_rows):
    # The second row's nom_amenageur reads "Exemple invalide (id_station_itinerance et
    # id_pdc_itinerance)", yet both ids match the schema's patterns: only IRVE's rules outside
    # the Table Schema could reject it, so the schema-level verdict is "valid".
    assert irve_rows[2][0].startswith("Exemple invalide")
    report = validate(read_table(IRVE_EXAMPLE), irve_schema)
    assert report.valid, report.findings
    assert report.findings == []
    assert all(f.present and f.errors == 0 and f.checked == 2 for f in report.fields)
    assert len(report.fields) == len(irve_schema["fields"])


def test_schema_names_and_files(tmp_path, irve_schema):
    assert load_schema("etalab/schema-irve-statique") == irve_schema
    assert load_schema("scdl/subventions") == load_schema("scdl-subventions")
    path = tmp_path / "irve.json"
    path.write_text(json.dumps(irve_schema), encoding="utf-8")
    assert load_schema(path) == irve_schema
    assert load_schema(str(path)) == irve_schema
    with pytest.raises(ValueError, match="scdl-subventions"):
        load_schema("scdl/unknown")


@pytest.mark.parametrize(
    ("row", "name", "value", "type_", "word"),
    [
        (2, "date_maj", "2021-13-45", "type-error", "date"),
        (3, "date_mise_en_service", "14/01/2020", "type-error", "date"),
        (3, "puissance_nominale", "22 kW", "type-error", "number"),
        (2, "nbre_pdc", "2.5", "type-error", "integer"),
        (2, "prise_type_2", "oui", "type-error", "boolean"),
        (2, "coordonneesXY", "7.487105, 48.345345", "type-error", "geopoint"),
        (3, "coordonneesXY", "[7.48,148.3]", "type-error", "geopoint"),
        (2, "contact_operateur", "pas-un-email", "type-error", "email"),
        (2, "implantation_station", "Trottoir", "constraint-error", "enum"),
        (3, "siren_amenageur", "13002526", "constraint-error", "pattern"),
        (2, "code_insee_commune", "1053", "constraint-error", "pattern"),
        (2, "nbre_pdc", "-1", "constraint-error", "minimum"),
        (3, "nom_station", "", "constraint-error", "required"),
    ],
)
def test_one_bad_cell(tmp_path, irve_schema, irve_rows, row, name, value, type_, word):
    report = validate(read_table(_variant(tmp_path, irve_rows, row, name, value)), irve_schema)
    finding = _only(report, type_)
    assert (finding.row_number, finding.field_number, finding.field_name) == (
        row, irve_rows[0].index(name) + 1, name,
    )
    assert word in finding.note
    result = next(f for f in report.fields if f.name == name)
    assert (result.errors, result.checked) == (1, 2)


def test_leading_zeros_and_corsica_pass_the_insee_pattern(tmp_path, irve_schema, irve_rows):
    rows = [list(r) for r in irve_rows]
    column = rows[0].index("code_insee_commune")
    rows[1][column], rows[2][column] = "01053", "2A004"
    report = validate(read_table(_write(tmp_path / "zeros.csv", rows)), irve_schema)
    assert report.valid, report.findings


def test_duplicated_unique_id(tmp_path, irve_schema, irve_rows):
    schema = json.loads(json.dumps(irve_schema))
    field = next(f for f in schema["fields"] if f["name"] == "id_pdc_itinerance")
    field["constraints"]["unique"] = True
    path = tmp_path / "unique.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    rows = [*irve_rows, irve_rows[1]]  # row 4 repeats row 2
    report = validate(read_table(_write(tmp_path / "dup.csv", rows)), load_schema(path))
    finding = _only(report, "unique-error")
    number = irve_rows[0].index("id_pdc_itinerance") + 1
    assert (finding.row_number, finding.field_number) == (4, number)
    # Without the constraint (the official schema has none), the repetition is fine.
    assert validate(read_table(tmp_path / "dup.csv"), irve_schema).valid


def test_dropped_column_is_a_missing_label(tmp_path, irve_schema, irve_rows):
    column = irve_rows[0].index("observations")
    rows = [r[:column] + r[column + 1 :] for r in irve_rows]
    report = validate(read_table(_write(tmp_path / "drop.csv", rows)), irve_schema)
    finding = _only(report, "missing-label")
    schema_position = [f["name"] for f in irve_schema["fields"]].index("observations") + 1
    assert (finding.row_number, finding.field_number, finding.field_name) == (
        1, schema_position, "observations",
    )
    assert not next(f for f in report.fields if f.name == "observations").present


def test_unknown_column_is_an_extra_label(tmp_path, irve_schema, irve_rows):
    rows = [[*irve_rows[0], "commentaire"], *([*r, "x"] for r in irve_rows[1:])]
    report = validate(read_table(_write(tmp_path / "extra.csv", rows)), irve_schema)
    finding = _only(report, "extra-label")
    assert (finding.row_number, finding.field_number, finding.field_name) == (
        1, len(irve_rows[0]) + 1, "commentaire",
    )


def test_columns_in_another_order_are_compared_by_name(tmp_path, irve_schema, irve_rows):
    rows = [list(reversed(r)) for r in irve_rows]
    report = validate(read_table(_write(tmp_path / "reversed.csv", rows)), irve_schema)
    assert report.valid, report.findings


def test_guess_ranks_irve_first(irve_schema):
    ranking = guess_schema(read_table(IRVE_EXAMPLE))
    assert ranking[0] == ("irve-statique", 1.0)
    assert all(0 <= score <= 1 for _, score in ranking)
    assert ranking[1][1] < 0.5


@pytest.mark.parametrize("kind", ["subventions", "deliberations"])
def test_scdl_demo_file_validates_and_is_recognised(tmp_path, kind):
    path = write_file(kind, NANCY, tmp_path / f"{kind}.csv", rows=60)
    table = read_table(path)
    report = validate(table, load_schema(f"scdl/{kind}"))
    assert report.valid, report.findings[:5]
    assert guess_schema(table)[0][0] == f"scdl-{kind}"


def test_scdl_custom_true_values_and_dates(tmp_path):
    path = write_file("subventions", NANCY, tmp_path / "s.csv", rows=5)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    header = rows[0]
    rows[1][header.index("notificationUE")] = "true"  # only oui/non here
    rows[2][header.index("pourcentageSubvention")] = "1.5"  # maximum 1
    table = read_table(_write(tmp_path / "bad.csv", rows))
    report = validate(table, load_schema("scdl/subventions"))
    assert [(f.type, f.row_number, f.field_name) for f in report.findings] == [
        ("type-error", 2, "notificationUE"),
        ("constraint-error", 3, "pourcentageSubvention"),
    ]


def test_schema_options_and_python_regex_fallback(tmp_path):
    schema = {
        "missingValues": ["", "NA"],
        "fields": [
            {"name": "montant", "type": "number", "decimalChar": ",", "groupChar": " "},
            {"name": "actif", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
            {"name": "jour", "type": "date", "format": "%d/%m/%Y"},
            {"name": "quand", "type": "date", "format": "any"},
            {"name": "point", "type": "geopoint"},
            {"name": "annee", "type": "year", "constraints": {"minimum": 2000}},
            # A look-ahead: Polars' regex engine refuses it, Python's re runs instead.
            {"name": "code", "type": "string", "constraints": {"pattern": r"(?!00)\d{2}",
                                                              "maxLength": 2}},
        ],
    }
    rows = [
        [f["name"] for f in schema["fields"]],
        ["1 234,5", "oui", "31/12/2024", "2024-12-31", "6.18, 48.69", "2024", "54"],
        ["12,0", "non", "01/01/2024", "31/12/2024", "-6.1,48.6", "2001", "NA"],
        ["12.5.3", "yes", "2024-01-01", "2024-02-30", "6.1", "1999", "00"],
    ]
    report = validate(read_table(_write(tmp_path / "options.csv", rows)), schema)
    assert [(f.type, f.row_number, f.field_number) for f in report.findings] == [
        ("type-error", 4, 1),
        ("type-error", 4, 2),
        ("type-error", 4, 3),
        ("type-error", 4, 4),
        ("type-error", 4, 5),
        ("constraint-error", 4, 6),
        ("constraint-error", 4, 7),
    ]


def test_primary_key(tmp_path):
    schema = {"primaryKey": ["a", "b"], "fields": [{"name": "a"}, {"name": "b"}]}
    rows = [["a", "b"], ["1", "x"], ["1", "y"], ["1", "x"], ["", "x"], ["", "x"]]
    report = validate(read_table(_write(tmp_path / "pk.csv", rows)), schema)
    assert [(f.type, f.row_number) for f in report.findings] == [("primary-key", 4)]


def test_200k_rows_and_the_cap(tmp_path, irve_schema, irve_rows):
    n = 200_000
    base = dict(zip(irve_rows[0], irve_rows[1], strict=True))
    index = pl.int_range(n, eager=True)
    frame = pl.DataFrame({name: [value] * n for name, value in base.items()}).with_columns(
        id_station_itinerance=pl.format("FRABCP{}", index.cast(pl.String).str.zfill(6)),
        id_pdc_itinerance=pl.format("FRABCE{}", index.cast(pl.String).str.zfill(6)),
        code_insee_commune=pl.lit("01053"),
        # every 1000th row has a bad power; row index 4999 (file row 5001) a bad date too
        puissance_nominale=pl.when(index % 1000 == 7).then(pl.lit("n/a")).otherwise(pl.lit("22")),
        date_maj=pl.when(index == 4999).then(pl.lit("2021-02-30")).otherwise(pl.lit("2021-04-05")),
    )
    path = tmp_path / "big.csv"
    frame.write_csv(path)
    table = read_table(path)
    assert table.frame.height == n

    report = validate(table, irve_schema, max_findings_per_type=5)
    assert not report.valid
    types = [f.type for f in report.findings]
    assert types == ["type-error"] * 6
    power = irve_rows[0].index("puissance_nominale") + 1
    listed = [(f.row_number, f.field_number) for f in report.findings[:5]]
    assert listed == [(9, power), (1009, power), (2009, power), (3009, power), (4009, power)]
    assert report.findings[5].note == "196 more type-error findings are not listed."
    errors = {f.name: f.errors for f in report.fields if f.errors}
    assert errors == {"puissance_nominale": 200, "date_maj": 1}
    assert all(f.checked == n for f in report.fields)

    full = validate(table, irve_schema)
    assert len(full.findings) == 201
    date = next(f for f in full.findings if f.field_name == "date_maj")
    assert (date.row_number, date.field_number) == (5001, irve_rows[0].index("date_maj") + 1)


# Schemas by URL and by version


class SchemaPortal(Portal):
    """Serves Table Schemas (and a few wrong things) on loopback, counting the requests."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        super().__init__()
        self.documents, self.hits = documents, []

    def handle(self, request):
        self.hits.append(request.path)
        if request.path in self.documents:
            return Reply(body=self.documents[request.path])
        return Reply(404, b"{}")


def test_a_schema_is_fetched_by_url_once(tmp_path):
    schema = {"name": "communes", "fields": [{"name": "code", "type": "string",
                                              "constraints": {"pattern": "^[0-9AB]{5}$"}}]}
    served = SchemaPortal({"/communes.json": json.dumps(schema).encode(),
                           "/page.json": b"<html>erreur</html>",
                           "/other.json": b'{"title": "pas un schema"}'})
    with serve(served) as base:
        assert load_schema(f"{base}/communes.json") == schema
        assert load_schema(f"{base}/communes.json") == schema
        assert served.hits.count("/communes.json") == 1
        for path, message in [("/page.json", "not JSON"), ("/other.json", "no 'fields'"),
                              ("/missing.json", "cannot fetch")]:
            with pytest.raises(ValueError, match=message):
                load_schema(f"{base}{path}")
        table = read_table(_write(tmp_path / "c.csv", [["code"], ["01053"], ["1053"]]))
        report = validate(table, load_schema(f"{base}/communes.json"))
        assert [(f.type, f.row_number) for f in report.findings] == [("constraint-error", 3)]


def test_a_schema_on_a_private_address_is_refused():
    # Not allow-listed (the tests allow 127.0.0.1 only): refused before any connection.
    with pytest.raises(ValueError, match="cannot fetch"):
        load_schema("http://10.255.255.1/schema.json")


def test_a_version_is_the_bundled_schema_or_its_published_address():
    bundled = load_schema("scdl-subventions")
    assert load_schema("scdl/subventions@2.1.1") == bundled
    assert load_schema("scdl/subventions@v2.1.1") == bundled
    assert versioned_url(bundled, "2.0.0") == (
        "https://gitlab.com/opendatafrance/scdl/subventions/raw/v2.0.0/schema.json")
    assert versioned_url(load_schema("irve-statique"), "2.3.1") == (
        "https://raw.githubusercontent.com/etalab/schema-irve/v2.3.1/statique/"
        "schema-statique.json")
    with pytest.raises(ValueError, match="not bundled"):
        versioned_url(bundled, "../../etc")
