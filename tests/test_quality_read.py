"""quality.read on real files written to tmp_path: encodings, delimiters, leading zeros,
frictionless-style structural findings, spreadsheets, JSON, GeoJSON, Parquet, hostile files."""

from __future__ import annotations

import json
import random
import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import SHARED

from quality import read
from quality.read import ReadError, read_table

IRVE_EXAMPLE = SHARED / "reference" / "schemas" / "irve-statique.exemple-valide.csv"


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def findings(table, type: str) -> list[tuple[int | None, int | None, str | None]]:
    return [(f.row_number, f.field_number, f.field_name) for f in table.findings if f.type == type]


# A minimal XLSX, written part by part: strings go to sharedStrings, numbers inline, dates as
# serial numbers with a date style.
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
        f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>'
        '<sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{DOC}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/>'
        '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
    ),
}


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    strings: list[str] = []
    xml_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            elif isinstance(value, date):
                serial = (value - date(1899, 12, 30)).days
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            elif value is not None:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    shared = "".join(f"<si><t>{s}</t></si>" for s in strings)
    parts = {
        **XLSX_PARTS,
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="{len(strings)}">{shared}</sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
    return path


# CSV: encodings, delimiters, decimal comma, leading zeros


def test_utf8_semicolon_keeps_every_value_as_text(tmp_path):
    path = write(
        tmp_path / "communes.csv",
        "code_insee;commune;code_postal;siret;telephone\n"
        "01053;Bourg-en-Bresse;01000;21010053400014;0474450000\n"
        "2A004;Ajaccio;20000;21200004100018;0495515253\n"
        "08105;Charleville-Mézières;08000;21540395700019;0383853000\n",
    )
    table = read_table(path)
    assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8", ";")
    assert table.header == ["code_insee", "commune", "code_postal", "siret", "telephone"]
    assert table.size == path.stat().st_size
    assert table.findings == []
    assert set(table.frame.dtypes) == {pl.String}
    assert table.frame["code_insee"].to_list() == ["01053", "2A004", "08105"]
    assert table.frame["code_postal"].to_list() == ["01000", "20000", "08000"]
    assert table.frame["siret"][2] == "21540395700019"
    assert table.frame["telephone"][2] == "0383853000"
    assert table.frame["commune"][2] == "Charleville-Mézières"


def test_utf8_bom(tmp_path):
    path = write(tmp_path / "bom.csv", "\ufeffcode,libellé\n01053,Bourg\n", "utf-8")
    table = read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.header == ["code", "libellé"]
    assert table.frame.columns == ["code", "libellé"]
    assert table.frame.row(0) == ("01053", "Bourg")


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_cp1252(tmp_path, delimiter):
    rows = [["code", "libellé", "prix"], ["08000", "Œuvre d'été", "12 €"], ["2A004", "Cœur", "5 €"]]
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    table = read_table(write(tmp_path / "latin.csv", text, "cp1252"))
    assert (table.encoding, table.delimiter) == ("cp1252", delimiter)
    assert table.header == ["code", "libellé", "prix"]
    assert table.frame.rows() == [tuple(row) for row in rows[1:]]
    assert table.findings == []


def test_cp1252_after_a_long_ascii_start(tmp_path):
    """The encoding is decided on the first non-ASCII bytes, even past the first megabyte."""
    lines = ["code;nom"] + [f"{i:05d};Nancy" for i in range(200_000)] + ["99999;Épinal"]
    table = read_table(write(tmp_path / "late.csv", "\n".join(lines) + "\n", "cp1252"))
    assert table.encoding == "cp1252"
    assert table.frame["nom"][-1] == "Épinal"
    assert table.findings == []


def test_utf16_tab_separated(tmp_path):
    """Excel's "Unicode text" export."""
    path = write(tmp_path / "export.txt", "code\tnom\r\n01053\tBourg-en-Bresse\r\n", "utf-16")
    table = read_table(path)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.frame.rows() == [("01053", "Bourg-en-Bresse")]


def test_tsv_extension(tmp_path):
    table = read_table(write(tmp_path / "data.tsv", "a\tb\n1,5\t2\n"))
    assert table.delimiter == "\t"
    assert table.frame.rows() == [("1,5", "2")]


def test_decimal_comma(tmp_path):
    french = read_table(write(tmp_path / "fr.csv", "code;montant;taux\n01053;12,5;0,25\n"))
    assert french.decimal_comma is True
    assert french.frame.row(0) == ("01053", "12,5", "0,25")
    english = read_table(write(tmp_path / "en.csv", "code,amount\n01053,12.5\n"))
    assert english.decimal_comma is False


def test_official_irve_example_has_40_columns():
    table = read_table(IRVE_EXAMPLE)
    assert table.frame.width == 40
    assert table.frame.height >= 1
    assert table.delimiter == ","
    assert table.header[:2] == ["nom_amenageur", "siren_amenageur"]
    assert table.findings == []
    assert table.frame["code_insee_commune"][0] == "75001"


def test_unknown_extension_is_sniffed(tmp_path):
    table = read_table(write(tmp_path / "export.dat", "a;b\n1;2\n"))
    assert (table.format, table.delimiter) == ("csv", ";")


# CSV: structural findings, positioned as frictionless does (the header is row 1)


def test_header_findings(tmp_path):
    path = write(tmp_path / "header.csv", "code;nom;code;;nom\n01053;Bourg;x;y;z\n")
    table = read_table(path)
    assert table.header == ["code", "nom", "code", "", "nom"]
    assert table.frame.columns == ["code", "nom", "code2", "field4", "nom2"]
    assert findings(table, "duplicate-label") == [(1, 3, "code2"), (1, 5, "nom2")]
    assert findings(table, "blank-label") == [(1, 4, "field4")]
    assert table.frame.row(0) == ("01053", "Bourg", "x", "y", "z")


def test_blank_header(tmp_path):
    table = read_table(write(tmp_path / "blank.csv", ";;\n1;2;3\n"))
    assert findings(table, "blank-header") == [(1, None, None)]


def test_row_findings(tmp_path):
    text = (
        "a;b;c\n"  # row 1: header
        "1;2;3\n"  # row 2
        "1;2;3;4;5\n"  # row 3: two extra cells
        "1\n"  # row 4: two missing cells
        ";;\n"  # row 5: blank
        "\n"  # row 6: blank
        '"x;y";"multi\nline";z\n'  # row 7: one record over two lines, quoted delimiter
        '"say ""hi""";2\n'  # row 8: doubled quotes, one missing cell
        "7;8;9\n"  # row 9
    )
    table = read_table(write(tmp_path / "ragged.csv", text))
    assert findings(table, "extra-cell") == [(3, 4, None), (3, 5, None)]
    assert findings(table, "missing-cell") == [(4, 2, "b"), (4, 3, "c"), (8, 3, "c")]
    assert findings(table, "blank-row") == [(5, None, None), (6, None, None)]
    assert table.frame.height == 8
    assert table.frame.row(5) == ("x;y", "multi\nline", "z")
    assert table.frame.row(6) == ('say "hi"', "2", None)
    assert table.frame.row(7) == ("7", "8", "9")
    assert table.frame.row(2) == ("1", None, None)


def test_quoted_delimiters_are_not_extra_cells(tmp_path):
    lines = ["nom,adresse,montant"] + [f'n{i},"{i} rue Foch, Nancy","12,5"' for i in range(50)]
    lines.append('x,"1 rue, Metz","3,5",extra')
    table = read_table(write(tmp_path / "quoted.csv", "\n".join(lines) + "\n"))
    assert table.delimiter == ","
    assert table.decimal_comma is True
    assert findings(table, "extra-cell") == [(52, 4, None)]
    assert table.frame["adresse"][0] == "0 rue Foch, Nancy"


def test_stray_quotes_are_read_as_frictionless_does(tmp_path):
    """Polars refuses a quote inside an unquoted field; Python's csv module keeps it."""
    text = 'produit;taille;prix\nTV 32";noir;1\n"Écran; large";15";2;extra\nx;y\n'
    table = read_table(write(tmp_path / "stray.csv", text))
    assert table.frame.rows() == [
        ('TV 32"', "noir", "1"),
        ("Écran; large", '15"', "2"),
        ("x", "y", None),
    ]
    assert findings(table, "extra-cell") == [(3, 4, None)]
    assert findings(table, "missing-cell") == [(4, 3, "prix")]
    # No quote opens a field: every quote is a plain character.
    text = 'produit;taille\nTV 32";noir\nÉcran 15";gris;extra\nx;y\n'
    table = read_table(write(tmp_path / "inches.csv", text))
    assert table.frame.rows() == [('TV 32"', "noir"), ('Écran 15"', "gris"), ("x", "y")]
    assert findings(table, "extra-cell") == [(3, 3, None)]


def test_first_row_longer_than_header(tmp_path):
    table = read_table(write(tmp_path / "long.csv", "a;b\n1;2;3\n4;5\n"))
    assert table.frame.rows() == [("1", "2"), ("4", "5")]
    assert findings(table, "extra-cell") == [(2, 3, None)]


def test_header_only(tmp_path):
    table = read_table(write(tmp_path / "header.csv", "code;nom\n"))
    assert table.frame.shape == (0, 2)
    assert table.findings == []


def test_findings_are_capped(tmp_path):
    text = "a;b\n" + "1\n" * 1500
    table = read_table(write(tmp_path / "short.csv", text))
    missing = [f for f in table.findings if f.type == "missing-cell"]
    assert len(missing) == read.MAX_FINDINGS_PER_TYPE + 1
    assert missing[0].row_number == 2
    assert missing[-1].row_number is None
    assert "500 more" in missing[-1].note


def test_invalid_utf8_bytes_become_findings(tmp_path):
    good = "code;commune\n01053;Bourg-en-Bresse\n54395;Nancy é\n".encode()
    content = good + b"57463;Metz \xff\xfe\n88160;\xc3\x89pinal\n"
    table = read_table(write(tmp_path / "broken.csv", content))
    assert table.encoding == "utf-8"
    assert findings(table, "encoding-error") == [(4, None, None)]
    assert table.frame.height == 4
    assert table.frame["commune"][2].startswith("Metz \ufffd")
    assert table.frame["commune"][3] == "Épinal"


# Spreadsheets


def test_xlsx(tmp_path):
    path = write_xlsx(
        tmp_path / "communes.xlsx",
        [
            [],
            ["code_insee", "population", "densite", "date_maj", "code_insee"],
            ["01053", 12, 12.5, date(2024, 1, 15), "x"],
            [],
            ["2A004", 21540395700019, None, None, None, "extra"],
        ],
    )
    table = read_table(path)
    assert table.format == "xlsx"
    assert table.header == ["code_insee", "population", "densite", "date_maj", "code_insee"]
    assert table.frame.columns[-1] == "code_insee2"
    assert set(table.frame.dtypes) == {pl.String}
    assert table.frame.row(0) == ("01053", "12", "12.5", "2024-01-15", "x")
    assert table.frame["population"][2] == "21540395700019"
    assert findings(table, "duplicate-label") == [(1, 5, "code_insee2")]
    assert findings(table, "blank-row") == [(3, None, None)]
    assert findings(table, "extra-cell") == [(4, 6, None)]


def test_xlsx_cells_as_text(tmp_path):
    """Each kind of cell Excel stores becomes the text a person reads in it: dates without a
    time, times without Excel's day zero, booleans, integral numbers without ``.0``."""
    import xlsxwriter

    path = tmp_path / "cellules.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    formats = {
        key: workbook.add_format({"num_format": pattern})
        for key, pattern in [("date", "dd/mm/yyyy"), ("datetime", "yyyy-mm-dd hh:mm:ss"),
                             ("time", "hh:mm")]
    }
    sheet.write_row(0, 0, ["date", "horodatage", "heure", "actif", "effectif", "taux", "code"])
    sheet.write_datetime(1, 0, datetime(2024, 3, 5), formats["date"])
    sheet.write_datetime(1, 1, datetime(2024, 3, 5, 13, 45, 10), formats["datetime"])
    sheet.write_datetime(1, 2, datetime(1899, 12, 31, 8, 30), formats["time"])
    sheet.write_row(1, 3, [True, 1200.0, 12.5, "01053"])
    sheet.write_row(3, 0, ["", "", "", False, 3, -0.25, "2A004"])
    sheet.write(4, 8, "au-delà")
    workbook.close()
    table = read_table(path)
    assert table.frame.rows() == [
        ("2024-03-05", "2024-03-05 13:45:10", "08:30:00", "true", "1200", "12.5", "01053"),
        (None,) * 7,
        (None, None, None, "false", "3", "-0.25", "2A004"),
        (None,) * 7,
    ]
    # As in frictionless, a row with a value past the header is not blank.
    assert findings(table, "blank-row") == [(3, None, None)]
    assert findings(table, "extra-cell") == [(5, 9, None)]


def test_not_a_workbook(tmp_path):
    with pytest.raises(ReadError) as error:
        read_table(write(tmp_path / "fake.xlsx", "a;b\n1;2\n"))
    assert error.value.type == "format-error"


# JSON, GeoJSON, Parquet


def test_geojson_points_and_centroids(tmp_path):
    square = [[[6.0, 48.0], [6.2, 48.0], [6.2, 48.2], [6.0, 48.2], [6.0, 48.0]]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "54395", "nom": "Nancy", "pop": 104000},
                "geometry": {"type": "Point", "coordinates": [6.1844, 48.6921]},
            },
            {
                "type": "Feature",
                "properties": {"code": "01053", "extra": {"a": 1}},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {"type": "Feature", "properties": {"code": "2A004"}, "geometry": None},
        ],
    }
    path = write(tmp_path / "communes.geojson", json.dumps(collection))
    table = read_table(path)
    assert table.format == "geojson"
    frame = table.frame
    assert frame.columns == [
        "code",
        "nom",
        "pop",
        "geometry_type",
        "longitude",
        "latitude",
        "extra",
    ]
    assert frame.row(0, named=True) == {
        "code": "54395",
        "nom": "Nancy",
        "pop": "104000",
        "geometry_type": "Point",
        "longitude": "6.1844",
        "latitude": "48.6921",
        "extra": None,
    }
    assert frame["geometry_type"][1] == "Polygon"
    assert float(frame["longitude"][1]) == pytest.approx(6.1)
    assert float(frame["latitude"][1]) == pytest.approx(48.1)
    assert frame["extra"][1] == '{"a": 1}'
    assert frame.row(2) == ("2A004", None, None, None, None, None, None)


@pytest.mark.parametrize("wrap", [False, True])
def test_json_records(tmp_path, wrap):
    records = [
        {"code": "01053", "population": 41000, "taux": 12.5, "ok": True, "tags": ["a"]},
        {"code": "2A004", "population": None, "note": "Ajaccio"},
    ]
    document = {"data": records} if wrap else records
    table = read_table(write(tmp_path / "records.json", json.dumps(document)))
    assert table.format == "json"
    assert table.header == ["code", "population", "taux", "ok", "tags", "note"]
    assert table.frame.row(0) == ("01053", "41000", "12.5", "true", '["a"]', None)
    assert table.frame.row(1) == ("2A004", None, None, None, None, "Ajaccio")


def test_large_json_is_streamed(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "JSON_IN_MEMORY_BYTES", 100)
    records = [{"code": f"{i:05d}", "valeur": i / 2} for i in range(1000)]
    path = write(tmp_path / "big.json", json.dumps({"meta": {"n": 1}, "results": records}))
    table = read_table(path)
    assert table.frame.height == 1000
    assert table.frame.row(1) == ("00001", "0.5")
    geo = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "01"},
         "geometry": {"type": "Point", "coordinates": [5, 45.5]}},
    ]}  # fmt: skip
    table = read_table(write(tmp_path / "big.geojson", json.dumps(geo)))
    assert table.frame.row(0) == ("01", "Point", "5", "45.5")


def test_json_without_records(tmp_path):
    with pytest.raises(ReadError) as error:
        read_table(write(tmp_path / "scalar.json", '{"count": 3}'))
    assert error.value.type == "format-error"


def test_parquet_round_trip_keeps_types(tmp_path):
    frame = pl.DataFrame(
        {
            "code": ["01053", "2A004"],
            "population": [41000, 67000],
            "taux": [12.5, None],
            "date": [date(2024, 1, 15), date(2023, 6, 1)],
        }
    )
    path = tmp_path / "communes.parquet"
    frame.write_parquet(path)
    table = read_table(path)
    assert table.format == "parquet"
    assert table.frame.schema == frame.schema
    assert table.frame.equals(frame)
    assert table.header == ["code", "population", "taux", "date"]
    # Without an extension, the format is sniffed from the magic bytes.
    assert read_table(path.rename(tmp_path / "communes")).format == "parquet"


# Hostile files


def test_binary_renamed_csv(tmp_path):
    noise = random.Random(0).randbytes(64 * 1024)
    with pytest.raises(ReadError) as error:
        read_table(write(tmp_path / "noise.csv", noise))
    assert error.value.type in ("format-error", "source-error")
    png = b"\x89PNG\r\n\x1a\n" + noise
    with pytest.raises(ReadError, match="PNG"):
        read_table(write(tmp_path / "image.csv", png))


def test_zip_bomb_xlsx(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_PARTS["[Content_Types].xml"])
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 << 20))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ReadError) as error:
        read_table(path, max_bytes=5 << 20)
    assert error.value.type == "source-error"


def test_zip_member_lying_about_its_size(tmp_path):
    """A member whose headers claim 100 bytes but expands to 2 MB: zipfile stops at the
    declared size and the CRC check fails, so calamine never sees it."""
    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<x/>" * (512 << 10))
    data = bytearray(path.read_bytes())
    local, central = 0, data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = (100).to_bytes(4, "little")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="CRC") as error:
        read_table(path, max_bytes=1 << 20)
    assert error.value.type == "format-error"


def test_file_over_max_bytes_is_refused_unread(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.truncate(3 << 30)  # sparse: 3 GB of nothing, instant to create
    with pytest.raises(ReadError) as error:
        read_table(path)
    assert error.value.type == "source-error"
    assert "limit" in error.value.note


def test_single_line_without_newline(tmp_path):
    path = write(tmp_path / "line.csv", b"a;" * (5 << 19))  # 5 MB, no newline
    with pytest.raises(ReadError, match="limit"):
        read_table(path, max_bytes=1 << 20)
    with pytest.raises(ReadError, match="first line") as error:
        read_table(path)
    assert error.value.type == "source-error"


def test_sparse_file_of_zeros_fails_fast(tmp_path):
    path = tmp_path / "zeros.csv"
    with path.open("wb") as file:
        file.truncate(2 << 30)
    with pytest.raises(ReadError) as error:
        read_table(path, max_bytes=4 << 30)
    assert error.value.type == "format-error"


def test_too_many_columns(tmp_path):
    header = ";".join(f"c{i}" for i in range(10_000))
    path = write(tmp_path / "wide.csv", header + "\n" + ";" * 9_999 + "\n")
    with pytest.raises(ReadError, match="10000 columns"):
        read_table(path, max_columns=2000)


def test_empty_file(tmp_path):
    with pytest.raises(ReadError) as error:
        read_table(write(tmp_path / "empty.csv", b""))
    assert error.value.type == "source-error"


def test_unsupported_format(tmp_path):
    with pytest.raises(ReadError) as error:
        read_table(write(tmp_path / "data.csv", "a\n"), format="sav")
    assert error.value.type == "format-error"


def test_missing_file(tmp_path):
    with pytest.raises(ReadError) as error:
        read_table(tmp_path / "absent.csv")
    assert error.value.type == "scheme-error"


# Volume (a sanity check, not a timing assertion)


def test_reads_a_20_mb_csv(tmp_path):
    rnd = random.Random(1)
    communes = ["Nancy", "Metz", "Épinal", "Bar-le-Duc", "Lunéville", "Pont-à-Mousson"]
    lines = ["code_insee;commune;code_postal;siret;adresse;montant;date;telephone;cat;note"]
    for i in range(190_000):
        lines.append(
            f"{rnd.randint(1000, 95999):05d};{rnd.choice(communes)};{rnd.randint(1000, 95999):05d};"
            f"{rnd.randint(10**13, 10**14 - 1)};{i % 200} rue de la Paix;{i % 9999},{i % 99:02d};"
            f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d};03{rnd.randint(10**7, 10**8 - 1)};"
            f"{'ABCDE'[i % 5]};Élément n°{i} – coût 12 €"
        )
    path = write(tmp_path / "volume.csv", "\n".join(lines) + "\n")
    assert path.stat().st_size > 20_000_000
    table = read_table(path)
    assert table.frame.shape == (190_000, 10)
    assert table.decimal_comma is True
    assert table.findings == []
