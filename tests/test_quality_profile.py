"""quality.profile on real Polars frames: text columns as read from CSV (every column a
string) and typed columns as read from Parquet."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import polars as pl
import pytest

import quality.profile as profile_module
from quality.profile import Profile, profile


def text(**columns: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(columns, schema={name: pl.String for name in columns})


def one(values: list[str | None], name: str = "valeur", **options) -> profile_module.ColumnProfile:
    return profile(text(**{name: values}), **options).column(name)


# Type inference on text columns


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["oui", "non", "oui", "non"], "boolean"),
        (["Oui", "NON", "oui", "non"], "boolean"),
        (["true", "false", "true"], "boolean"),
        (["0", "1", "1", "0"], "boolean"),
        (["0", "1", "2", "3"], "integer"),
        (["12", "-3", "+40", "1000000"], "integer"),
        (["1.5", "-0.25", "3", "1e3"], "number"),
        (["0.5", "0.25", "0.75"], "number"),
        (["2024-05-01", "2023-12-31", "2024-02-29"], "date"),
        (["01/05/2024", "31/12/2023", "29/02/2024"], "date"),
        (["2024-05-01T10:00:00", "2024-05-01 11:30", "2024-05-02T00:00:00Z"], "datetime"),
        (["[2.35, 48.85]", "[5.72, 45.18]", "[-1.55, 47.21]"], "geopoint"),
        (["Nancy", "Metz", "Épinal", "Bar-le-Duc"], "string"),
    ],
)
def test_each_text_type_is_inferred(values, expected):
    column = one(values)
    assert column.type == expected
    assert column.type_conformance == 1.0
    assert column.dtype == "String"


@pytest.mark.parametrize(
    ("name", "values", "leading_zeros"),
    [
        ("code_insee", ["01053", "2A004", "54395", "75056"], True),
        ("insee", ["2A004", "2B033", "2A041"], False),
        ("cp", ["08000", "54000", "75001"], True),
        ("siret", ["21540395700019", "21750056300019", "35600000000048"], False),
        ("siren", ["215403957", "217500563", "356000000"], False),
        ("telephone", ["0383853000", "0140000000", "0612345678"], True),
        ("telephone", ["03 83 85 30 00", "01.40.00.00.00"], True),
        ("valeur", ["007", "12", "5"], True),
        ("code_postal", ["54000", "57000", "88000"], False),
    ],
)
def test_codes_keep_their_leading_zeros_and_are_never_integers(name, values, leading_zeros):
    column = one(values, name=name)
    assert column.type == "code"
    assert column.leading_zeros is leading_zeros
    assert column.type_conformance == 1.0
    # compared as text: the minimum keeps its zero
    assert column.min == min(values)


def test_digits_without_a_code_sign_are_integers():
    assert one(["54000", "57000", "88000"], name="population").type == "integer"
    assert one(["2024", "2023", "2022"], name="annee").type == "integer"


def test_leading_zero_flag_counts_every_value_not_only_the_sample():
    frame = text(code=["54395"] * 9_999 + ["01053"])
    assert profile(frame).column("code").leading_zeros


def test_decimal_comma():
    values = ["12,5", "3,25", "-1,0", "7"]
    column = one(values, decimal_comma=True)
    assert column.type == "number"
    assert (column.min, column.max) == ("-1.0", "12.5")
    assert column.type_conformance == 1.0
    assert one(values).type == "string"


def test_type_conformance_counts_values_that_do_not_parse():
    column = one([str(i) for i in range(96)] + ["n/a"] * 4)
    assert column.type == "integer"
    assert column.type_conformance == pytest.approx(0.96)
    # below the threshold the column is text, fully conformant
    column = one([str(i) for i in range(90)] + ["n/a"] * 10)
    assert (column.type, column.type_conformance) == ("string", 1.0)


def test_impossible_and_lenient_dates_do_not_conform():
    values = [f"2024-01-{day:02d}" for day in range(1, 20)]
    column = one([*values, "2024-13-01"])
    assert column.type == "date"
    assert column.type_conformance == pytest.approx(19 / 20)
    column = one([*values, "2024-1-1"])  # Polars would parse it; the shape does not fit
    assert column.type_conformance == pytest.approx(19 / 20)


def test_dates_mixing_iso_and_french_layouts():
    column = one(["2024-05-01", "31/12/2023", "2024-02-29"])
    assert column.type == "date"
    assert (column.min, column.max) == ("2023-12-31", "2024-05-01")
    assert column.type_conformance == 1.0


def test_datetimes_with_offsets_fractions_and_french_layout():
    values = [
        "2024-05-01T10:00:00+02:00",
        "2024-05-01 08:30",
        "01/05/2024 09:15:00",
        "2024-05-02T00:00:00.123Z",
        "2024-04-30",
    ]
    column = one(values)
    assert column.type == "datetime"
    assert column.type_conformance == 1.0
    assert (column.min, column.max) == ("2024-04-30T00:00:00", "2024-05-02T00:00:00")


def test_min_max_on_the_inferred_type():
    assert (one(["9", "10", "100"]).min, one(["9", "10", "100"]).max) == ("9", "100")
    column = one(["Metz", "Nancy", "Épinal"])
    assert (column.min, column.max) == ("Metz", "Épinal")


# Missing values, duplicates, distinct counts, flags


def test_nulls_include_empty_and_whitespace_strings():
    column = one(["a", "", "   ", None, " b ", "b"])
    assert column.null_count == 3
    assert column.null_rate == pytest.approx(0.5)
    assert column.distinct == 2
    assert column.top_values == [("b", 2), ("a", 1)]


def test_all_null_column():
    column = profile(text(vide=["", None, " "], x=["1", "2", "3"])).column("vide")
    assert (column.type, column.null_rate, column.distinct) == ("string", 1.0, 0)
    assert column.constant
    assert not column.id_like
    assert column.min is None and column.top_values == []


def test_duplicate_rows_compare_normalised_values():
    frame = text(a=["1", "1", "1 ", "2", None, ""], b=["x", "x", "x", "y", "z", "z"])
    result = profile(frame)
    assert result.duplicate_rows == 3
    assert result.duplicate_rate == pytest.approx(0.5)
    # the hashed count used above the exact limit agrees
    assert profile(frame, exact_distinct_limit=2).duplicate_rows == 3


def test_constant_columns():
    result = profile(text(pays=["FR"] * 5, ville=["Metz", "Nancy", "Metz", "Toul", "Metz"]))
    assert result.column("pays").constant
    assert result.column("pays").distinct == 1
    assert not result.column("ville").constant


def test_id_like_columns():
    frame = text(
        numero=["1", "2", "3", "4"],
        identifiant=["a1", None, "a3", "a4"],
        mesure=["1.5", "2.5", "3.5", "4.5"],
        commune=["Metz", "Nancy", "Metz", "Toul"],
    )
    result = profile(frame)
    assert result.column("numero").id_like
    assert result.column("identifiant").id_like  # named so; unique among its values
    assert not result.column("mesure").id_like  # distinct measurements, not identifiers
    assert not result.column("commune").id_like
    assert not profile(text(numero=["1"])).column("numero").id_like


def test_latitude_and_longitude():
    frame = text(
        latitude=["48.69", "49.12", "48.17"],
        lng=["6.18", "6.17", "6.45"],
        x=["933000.5", "931000.2", "951000.7"],  # Lambert-93, not degrees
        valeur=["48.69", "49.12", "48.17"],
    )
    result = profile(frame)
    assert result.column("latitude").geo == "latitude"
    assert result.column("lng").geo == "longitude"
    assert result.column("x").geo is None
    assert result.column("valeur").geo is None
    typed = profile(pl.DataFrame({"coordY": [48.69, 49.12], "coordX": [6.18, 6.17]}))
    assert [c.geo for c in typed.columns] == ["latitude", "longitude"]
    assert one(["[2.35, 48.85]", "[5.72, 45.18]"]).geo == "point"
    assert one(["95.1", "48.2"], name="lat").geo is None


def test_top_values():
    values = ["a"] * 3 + ["b"] * 2 + ["c"] * 2 + ["d", None]
    assert one(values, top=3).top_values == [("a", 3), ("b", 2), ("c", 2)]
    assert one(values, top=0).top_values == []
    assert one(["x", "y", "z"]).top_values == []  # all unique: nothing to show
    # a number column counts numbers: 1.50 and 1.5 are one value
    assert one(["1.5", "1.50", "2.25", "2.25"]).top_values == [("1.5", 2), ("2.25", 2)]


def test_distinct_is_approximate_above_the_limit():
    frame = text(n=[str(i) for i in range(1_000)], k=[str(i % 7) for i in range(1_000)])
    exact = profile(frame)
    assert exact.column("n").distinct == 1_000
    assert not exact.column("n").distinct_approximate
    approximate = profile(frame, exact_distinct_limit=100)
    column = approximate.column("n")
    assert column.distinct_approximate
    assert column.distinct == pytest.approx(1_000, rel=0.05)
    assert column.id_like and column.top_values == []
    assert approximate.column("k").distinct == 7


def test_types_are_chosen_from_a_sample_and_checked_on_every_value(monkeypatch):
    monkeypatch.setattr(profile_module, "SAMPLE_SIZE", 50)
    rows = 2_000
    frame = text(
        entier=[str(i) for i in range(rows - 10)] + ["n/a"] * 10,
        rare=[None] * (rows - 5) + ["2024-05-01"] * 5,
        code=["54395"] * (rows - 1) + ["01053"],
    )
    result = profile(frame)
    assert result.column("entier").type == "integer"
    assert result.column("entier").type_conformance == pytest.approx(0.995)
    assert result.column("rare").type == "date"  # the sample is taken among non-null values
    assert result.column("code").type == "code"


# Typed frames, as Parquet gives them


def test_typed_columns_keep_their_types():
    frame = pl.DataFrame(
        {
            "entier": [3, 1, 2, None],
            "reel": [1.5, -2.0, 3.25, 4.0],
            "jour": [dt.date(2024, 5, 1), dt.date(2023, 1, 2), None, dt.date(2024, 5, 1)],
            "instant": [dt.datetime(2024, 5, 1, 10, 0), None, None, None],
            "actif": [True, False, True, True],
            "montant": [Decimal("1.10"), Decimal("2.20"), None, None],
            "libelle": ["a", "b", "a", "c"],
            "etiquettes": [[1], [2, 3], [], None],
            "categorie": pl.Series(["x", "y", "x", "x"], dtype=pl.Categorical),
        }
    )
    result = profile(frame)
    types = {column.name: column.type for column in result.columns}
    assert types == {
        "entier": "integer",
        "reel": "number",
        "jour": "date",
        "instant": "datetime",
        "actif": "boolean",
        "montant": "number",
        "libelle": "string",
        "etiquettes": "list",
        "categorie": "string",
    }
    entier = result.column("entier")
    assert (entier.min, entier.max, entier.null_count, entier.dtype) == ("1", "3", 1, "Int64")
    assert (result.column("jour").min, result.column("jour").max) == ("2023-01-02", "2024-05-01")
    assert result.column("jour").top_values[0] == ("2024-05-01", 2)
    assert result.column("instant").max == "2024-05-01T10:00:00"
    assert result.column("actif").top_values == [("true", 3), ("false", 1)]
    assert result.column("etiquettes").min is None
    assert result.column("categorie").top_values[0] == ("x", 3)
    assert all(column.type_conformance == 1.0 for column in result.columns)


def test_awkward_names_and_dtypes():
    frame = pl.DataFrame(
        {
            "a|b": ["1", "2", "1"],
            "^x$": ["01", "02", "01"],  # a name Polars would read as a regular expression
            "nul": [None, None, None],  # the Null dtype of an all-null Parquet column
            "octets": [b"a", b"b", None],
            "choix": pl.Series(["x", "y", "x"], dtype=pl.Enum(["x", "y"])),
        }
    )
    result = profile(frame, exact_distinct_limit=1)
    assert [column.type for column in result.columns] == [
        "integer",
        "code",
        "string",
        "binary",
        "string",
    ]
    assert result.column("^x$").top_values == [("01", 2), ("02", 1)]
    assert result.column("nul").constant
    assert result.column("octets").min is None
    assert result.duplicate_rows == 0


def test_to_dict_is_json_serialisable():
    frame = pl.DataFrame({"jour": [dt.date(2024, 5, 1)] * 2, "code": ["01053", "08000"]})
    result = profile(frame)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["rows"] == 2
    assert data["duplicate_rows"] == 0
    assert data["columns"][0]["top_values"] == [["2024-05-01", 2]]
    assert data["columns"][1]["type"] == "code"
    assert set(data["columns"][1]) >= {"null_rate", "distinct_approximate", "leading_zeros"}


# Shapes and sizes


def test_zero_rows_and_zero_columns():
    frame = pl.DataFrame(schema={"a": pl.String, "b": pl.Int64})
    result = profile(frame)
    assert (result.rows, result.duplicate_rows) == (0, 0)
    assert [column.type for column in result.columns] == ["string", "integer"]
    assert result.columns[0].null_rate == 0.0 and result.columns[0].top_values == []
    json.dumps(result.to_dict())
    empty = profile(pl.DataFrame())
    assert (empty.rows, empty.columns, empty.duplicate_rows) == (0, [], 0)


def test_ten_thousand_columns():
    frame = pl.DataFrame({f"c{i}": [str(i), str(i + 1), "0" + str(i)] for i in range(10_000)})
    result = profile(frame)
    assert isinstance(result, Profile)
    assert len(result.columns) == 10_000
    assert result.columns[42].type == "code"
    assert result.columns[42].min == "042"


def test_two_million_rows():
    rows = 2_000_000
    i = pl.col("i")
    frame = pl.select(pl.int_range(0, rows).alias("i")).select(
        i.cast(pl.String).alias("id"),
        (i % 35_000 + 1_000).cast(pl.String).str.zfill(5).alias("insee"),
        pl.format("Commune {}", i % 1_000).alias("nom"),
        (i % 10_007 / 100).cast(pl.String).str.replace(".", ",", literal=True).alias("montant"),
        (pl.lit(dt.date(2000, 1, 1)) + pl.duration(days=i % 10_000)).cast(pl.String).alias("jour"),
        (i % 1_000 / 100 + 41).cast(pl.String).alias("latitude"),
        pl.when(i % 3 == 0).then(pl.lit("oui")).otherwise(pl.lit("non")).alias("actif"),
        pl.lit(None, dtype=pl.String).alias("vide"),
        (i % 97).cast(pl.String).alias("entier"),
        pl.format("ligne {}", i % 50_000).alias("texte"),
    )
    assert frame.shape == (rows, 10)
    assert profile(frame, decimal_comma=True).rows == rows
