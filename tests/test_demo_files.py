"""Demo CSV files: schema conformity, valid identifiers, real places, determinism."""

from __future__ import annotations

import csv
import functools
import json
import operator
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from shapely import union_all
from shapely.geometry import Point, shape
from stdnum import iban
from stdnum.fr import nir, siren, siret

from catalogue import demo_files
from catalogue.demo_files import KINDS, Publisher, schema_path, write_file

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

NANCY = Publisher("Ville de Nancy", "215403957", "54395", ("54395",), ("Nancy",))
RAON = Publisher("Ville de Raon-l'Étape", "218803724", "88372", ("88372",), ("Raon-l'Étape",))
GRAND_NANCY = Publisher(
    "Métropole du Grand Nancy", "245400676", None,
    ("54395", "54547", "54304", "54578", "54357", "54339", "54184", "54482", "54526", "54274",
     "54257", "54265", "54328", "54197", "54498", "54439", "54495", "54025", "54165", "54300"),
    ("Nancy", "Vandœuvre-lès-Nancy", "Laxou", "Villers-lès-Nancy", "Maxéville", "Malzéville",
     "Essey-lès-Nancy", "Saint-Max", "Tomblaine", "Jarville-la-Malgrange", "Heillecourt",
     "Houdemont", "Ludres", "Fléville-devant-Nancy", "Seichamps", "Pulnoy",
     "Saulxures-lès-Nancy", "Art-sur-Meurthe", "Dommartemont", "Laneuveville-devant-Nancy"),
)
MEUSE = Publisher("Département de la Meuse", "225500016", None,
                  ("55545", "55029", "55122", "55366", "55008"),
                  ("Verdun", "Bar-le-Duc", "Commercy", "Val-d'Ornain", "Amel-sur-l'Étang"))
PUBLISHERS = {"nancy": NANCY, "raon": RAON, "grand-nancy": GRAND_NANCY, "meuse": MEUSE}

SCHEMAS = {
    "subventions": "scdl-subventions", "deliberations": "scdl-deliberations",
    "equipements": "scdl-equipements", "budget": "scdl-budget",
    "menus-collectifs": "scdl-menus-collectifs", "prenoms": "scdl-prenoms",
    "irve-statique": "irve-statique",
}
PERSONAL_COLUMNS = {
    "inscriptions-scolaires": ["nom", "prenom", "date_naissance", "sexe", "adresse",
                               "code_postal", "commune", "ecole", "classe",
                               "telephone_responsable", "email_responsable"],
    "aides-sociales": ["nir", "nom", "prenom", "date_naissance", "code_postal", "montant_aide",
                       "iban", "type_aide"],
    "agents-municipaux": ["matricule", "nom", "prenom", "date_naissance", "sexe", "service",
                          "grade", "code_postal_residence", "salaire_brut"],
}
# ACTES nomenclature, level 1, and the level-2 codes the deliberations schema allows.
ACTES = {"1": ("commande publique", 7), "2": ("urbanisme", 3), "3": ("domaine et patrimoine", 6),
         "4": ("fonction publique", 5), "5": ("institutions et vie politique", 8),
         "6": ("libertés publiques et pouvoirs de police", 5), "7": ("finances locales", 10),
         "8": ("domaines de compétences par thèmes", 9),
         "9": ("autres domaines de compétences", 4)}


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def load_schema(kind: str) -> dict:
    return json.loads(schema_path(SCHEMAS[kind]).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every kind for every publisher, 200 rows, seed 0."""
    root = tmp_path_factory.mktemp("demo")
    return {(kind, key): write_file(kind, publisher, root / key / f"{kind}.csv")
            for kind in KINDS for key, publisher in PUBLISHERS.items()}


# ---------------------------------------------------------------- a small Table Schema checker


def _type_ok(field: dict, value: str) -> bool:
    kind, fmt = field.get("type", "string"), field.get("format", "default")
    try:
        if kind == "integer":
            return re.fullmatch(r"-?\d+", value) is not None
        if kind == "number":
            return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
        if kind == "year":
            return re.fullmatch(r"\d{4}", value) is not None
        if kind == "date":
            return date.fromisoformat(value).isoformat() == value
        if kind == "datetime":
            return bool(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
        if kind == "boolean":
            true = field.get("trueValues", ["true", "True", "TRUE", "1"])
            return value in true + field.get("falseValues", ["false", "False", "FALSE", "0"])
        if kind == "geopoint":
            assert fmt == "array"
            lon, lat = json.loads(value)
            return -180 <= lon <= 180 and -90 <= lat <= 90
        if kind == "array":
            items = json.loads(value)
            item = field.get("arrayItem", {})
            allowed = item.get("constraints", {}).get("enum")
            return (isinstance(items, list) and all(isinstance(x, str) for x in items)
                    and (not allowed or set(items) <= set(allowed))
                    and (bool(items) or not item.get("constraints", {}).get("required")))
        if fmt == "email":
            return re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", value) is not None
        if fmt == "uri":
            url = urlparse(value)
            return url.scheme in ("http", "https") and bool(url.netloc)
        return kind == "string"
    except ValueError:
        return False


def cell_errors(field: dict, value: str) -> list[str]:
    """What is wrong with one cell against its Table Schema field."""
    rules = field.get("constraints", {})
    if value == "":
        return ["required"] if rules.get("required") else []
    errors = [] if _type_ok(field, value) else [f"type {field['type']}"]
    if "enum" in rules and value not in rules["enum"]:
        errors.append("enum")
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        errors.append("pattern")
    if len(value) < rules.get("minLength", 0) or len(value) > rules.get("maxLength", 10**9):
        errors.append("length")
    if field["type"] in ("integer", "number") and not errors:
        if float(value) < rules.get("minimum", float("-inf")):
            errors.append("minimum")
        if float(value) > rules.get("maximum", float("inf")):
            errors.append("maximum")
    return errors


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def custom_errors(check: dict, row: dict[str, str]) -> list[str]:
    """The schema's custom checks (the ones Validata runs) on one row."""
    name, params = check["name"], check["params"]
    if name == "french-siret-value":
        value = row[params["column"]]
        return [] if not value or siret.is_valid(value) else [f"siret {value}"]
    if name == "one-of-required":
        return [] if row[params["column1"]] or row[params["column2"]] else [name]
    if name == "cohesive-columns-value":
        columns = [params["column"], *params["othercolumns"]]
        return [] if len({bool(row[c]) for c in columns}) == 1 else [f"{name} {columns}"]
    if name == "compare-columns-value":
        left, right = row[params["column"]], row[params["column2"]]
        if not left or not right:
            return []
        if re.fullmatch(r"\d+", left + right):
            left, right = int(left), int(right)  # type: ignore[assignment]
        ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
        return [] if ops[params["op"]](left, right) else [f"{name} {params}"]
    if name == "sum-columns-value":
        total = row[params["column"]]
        parts = [int(row[c] or 0) for c in params["columns"]]
        return [] if not total or int(total) == sum(parts) else [name]
    if name == "year-interval-value":
        value = row[params["column"]]
        years = value.split("/") if value else []
        ok = not years or (len(years) == 1 and params.get("allow-year-only") == "yes") or (
            len(years) == 2 and years[0] < years[1])
        return [] if ok else [f"{name} {value}"]
    if name == "nomenclature-actes-value":
        value = row[params["column"]]
        level1 = {_plain(title) for title, _ in ACTES.values()}
        return [] if not value or _plain(value.split("/")[0]) in level1 else [f"{name} {value}"]
    raise AssertionError(f"custom check {name} is not implemented in this test")


def test_the_checker_catches_bad_cells():
    def field(kind: str, name: str) -> dict:
        return next(f for f in load_schema(kind)["fields"] if f["name"] == name)

    bad = [("subventions", "idAttribuant", "2154039570001"), ("subventions", "nature", "numéraire"),
           ("subventions", "dateConvention", "2024-13-01"), ("subventions", "montant", "1 000"),
           ("subventions", "notificationUE", "false"), ("subventions", "nomAttribuant", ""),
           ("irve-statique", "coordonneesXY", "6.1,48.6"), ("irve-statique", "gratuit", "oui"),
           ("irve-statique", "nbre_pdc", "-1"), ("irve-statique", "contact_operateur", "x@"),
           ("menus-collectifs", "menuPlatTexture", "[]"),
           ("menus-collectifs", "menuPlatAllergene", '["gluten"]'),
           ("menus-collectifs", "menuPublicationDate", "2024-09-02"),
           ("prenoms", "ENFANT_PRENOM", "jean"), ("equipements", "ADR_COMMUNE", "Raon-l'Étape"),
           ("deliberations", "DELIB_URL", "www.nancy.fr")]
    for kind, name, value in bad:
        assert cell_errors(field(kind, name), value), (kind, name, value)
    good = [("subventions", "notificationUE", "non"), ("irve-statique", "gratuit", "false"),
            ("menus-collectifs", "menuPlatTexture", '["sans texture modifiée","haché"]')]
    for kind, name, value in good:
        assert not cell_errors(field(kind, name), value), (kind, name, value)


# ---------------------------------------------------------------- schema kinds


@pytest.mark.parametrize("key", PUBLISHERS)
@pytest.mark.parametrize("kind", SCHEMAS)
def test_schema_kinds_follow_their_schema(files, kind: str, key: str):
    schema = load_schema(kind)
    fields = schema["fields"]
    header, rows = read(files[kind, key])
    assert header == [f["name"] for f in fields]
    assert len(rows) == 200
    errors = Counter()
    for row in rows:
        for field in fields:
            for error in cell_errors(field, row[field["name"]]):
                errors[f"{field['name']}: {error}"] += 1
        for check in schema.get("custom_checks", []):
            errors.update(custom_errors(check, row))
    assert not errors, errors.most_common(10)
    required = [f["name"] for f in fields if f.get("constraints", {}).get("required")]
    assert all(row[name] for row in rows for name in required)


@pytest.mark.parametrize("key", PUBLISHERS)
def test_publisher_siret_everywhere(files, key: str):
    publisher = PUBLISHERS[key]
    columns = {"subventions": "idAttribuant", "deliberations": "COLL_SIRET",
               "equipements": "COLL_SIRET", "budget": "BGT_SIRET",
               "menus-collectifs": "menuCollSiret"}
    for kind, column in columns.items():
        values = {row[column] for row in read(files[kind, key])[1]}
        assert len(values) == 1
        (value,) = values
        assert siret.is_valid(value) and value.startswith(publisher.siren)
    rows = read(files["irve-statique", key])[1]
    assert {row["siren_amenageur"] for row in rows} == {publisher.siren}
    assert siren.is_valid(publisher.siren)


def test_subventions_beneficiaries(files):
    rows = read(files["subventions", "grand-nancy"])[1]
    by_name: dict[str, set[str]] = {}
    for row in rows:
        assert siret.is_valid(row["idBeneficiaire"])
        by_name.setdefault(row["nomBeneficiaire"], set()).add(row["idBeneficiaire"])
        if row["conditionsVersement"] == "échelonné":
            assert "/" in row["datesPeriodeVersement"]
        assert row["datesPeriodeVersement"][:10] >= row["dateConvention"]
    assert all(len(ids) == 1 for ids in by_name.values())  # one SIRET per beneficiary
    dates = [row["dateConvention"] for row in rows]
    assert dates == sorted(dates)
    communes = "|".join(GRAND_NANCY.commune_names)
    assert sum(bool(re.search(communes, row["nomBeneficiaire"])) for row in rows) > 150


def test_deliberations_matters_and_votes(files):
    rows = read(files["deliberations", "nancy"])[1]
    assert len({row["DELIB_ID"] for row in rows}) == len(rows)
    for row in rows:
        major, minor = row["DELIB_MATIERE_CODE"].split(".")
        title, last = ACTES[major]
        assert 1 <= int(minor) <= last
        assert row["DELIB_MATIERE_NOM"].split("/")[0] == title
        assert "," not in row["DELIB_MATIERE_NOM"] and "(" not in row["DELIB_MATIERE_NOM"]
        assert row["PREF_ID"] == "PREF054"
    assert [r["DELIB_DATE"] for r in rows] == sorted(r["DELIB_DATE"] for r in rows)


def test_equipements_identifiers(files):
    rows = read(files["equipements", "grand-nancy"])[1]
    assert len({row["EQUIP_UID"] for row in rows}) == len(rows)
    for row in rows:
        insee = row["EQUIP_UID"][:5]
        assert insee in GRAND_NANCY.commune_codes
        assert row["EQUIP_UID"] == f"{insee}-{row['EQUIP_CODE']}"
        assert row["ADR_CLE_INTEROP"].startswith(f"{insee}_")
        assert re.fullmatch(r"54\d{3}", row["ADR_CODEPOSTAL"])
    mairies = [row["ADR_COMMUNE"] for row in rows if row["EQUIP_TYPE"] == "Mairie"]
    assert len(mairies) == 20 and "Vandoeuvre-lès-Nancy" in mairies


def test_budget_lines(files):
    for key in PUBLISHERS:
        rows = read(files["budget", key])[1]
        assert len({row["BGT_NATDEC"] for row in rows}) == 1
        lines = [(r["BGT_CONTNAT"], r["BGT_CODRD"], r["BGT_FONCTION"], r["BGT_OPERATION"])
                 for r in rows]
        assert len(set(lines)) == len(lines)
        for row in rows:
            order = row["BGT_NATURE"] in ("023", "021", "042", "040")
            assert (row["BGT_OPBUDG"] == "ordre") == order
            assert row["BGT_CONTNAT"][:1] in "0123467"
            investment = row["BGT_NATURE"] in ("10", "13", "16", "20", "21", "23", "040", "021")
            assert (row["BGT_SECTION"] == "investissement") == investment


def test_menus_days_and_dishes(files):
    rows = read(files["menus-collectifs", "nancy"])[1]
    for row in rows:
        day = date.fromisoformat(row["menuDate"])
        assert day.weekday() < 5
        assert row["menuPublicationDate"][:10] < row["menuDate"]
        if row["menuRestaurantType"] in ("maternelle", "élémentaire"):
            assert day.weekday() != 2 and row["menuRestaurantIdType"] == "EN"
            assert re.fullmatch(r"054\d{4}[A-Z]", row["menuRestaurantId"])
    assert {row["menuRestaurantInsee"] for row in rows} == {"54395"}


def test_prenoms_are_unique_counts(files):
    rows = read(files["prenoms", "grand-nancy"])[1]
    keys = [(r["COLL_INSEE"], r["ENFANT_SEXE"], r["ENFANT_PRENOM"], r["ANNEE"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert {r["COLL_INSEE"] for r in rows} <= set(GRAND_NANCY.commune_codes)
    raon = read(files["prenoms", "raon"])[1]
    assert {r["COMMUNE_NOM"] for r in raon} == {"Raon-l'Étape"}


def test_irve_stations(files):
    rows = read(files["irve-statique", "grand-nancy"])[1]
    stations = Counter(row["id_station_itinerance"] for row in rows)
    for row in rows:
        assert int(row["nbre_pdc"]) == stations[row["id_station_itinerance"]]
        assert row["id_station_itinerance"].startswith("FR")
        assert row["id_station_itinerance"][5] == "P" and row["id_pdc_itinerance"][5] == "E"
    assert len({row["id_pdc_itinerance"] for row in rows}) == len(rows)


# ---------------------------------------------------------------- places


@functools.cache
def reference_features(pattern: str = "communes-*.geojson") -> tuple[dict, ...]:
    return tuple(feature for path in sorted((REFERENCE / "geo").glob(pattern))
                 for feature in json.loads(path.read_text(encoding="utf-8"))["features"])


def _polygons(codes: tuple[str, ...], pattern: str = "communes-*.geojson"):
    return {f["properties"]["code"]: shape(f["geometry"]) for f in reference_features(pattern)
            if f["properties"]["code"] in codes}


@pytest.mark.parametrize("key", PUBLISHERS)
def test_coordinates_inside_the_communes(files, key: str):
    publisher = PUBLISHERS[key]
    polygons = _polygons(publisher.commune_codes)
    assert set(polygons) == set(publisher.commune_codes)
    departements = _polygons(("54", "55", "57", "88"), "departements-*.geojson").values()
    lorraine = union_all(list(departements)).buffer(1e-3)
    for row in read(files["equipements", key])[1]:
        point = Point(float(row["EQUIP_LONG"]), float(row["EQUIP_LAT"]))
        assert polygons[row["EQUIP_UID"][:5]].buffer(1e-4).contains(point)
    for row in read(files["irve-statique", key])[1]:
        lon, lat = json.loads(row["coordonneesXY"])
        assert lorraine.contains(Point(lon, lat))
        assert polygons[row["code_insee_commune"]].buffer(1e-4).contains(Point(lon, lat))


def test_test_publishers_are_real_communes():
    names = {f["properties"]["code"]: f["properties"]["nom"] for f in reference_features()}
    for publisher in PUBLISHERS.values():
        assert [names[c] for c in publisher.commune_codes] == list(publisher.commune_names)


# ---------------------------------------------------------------- personal-data kinds


@pytest.mark.parametrize("key", PUBLISHERS)
@pytest.mark.parametrize("kind", PERSONAL_COLUMNS)
def test_personal_kinds_header(files, kind: str, key: str):
    header, rows = read(files[kind, key])
    assert header == PERSONAL_COLUMNS[kind]
    assert len(rows) == 200 and all(all(row.values()) for row in rows)


def test_inscriptions_scolaires(files):
    classes = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]
    for row in read(files["inscriptions-scolaires", "grand-nancy"])[1]:
        assert re.fullmatch(r"(06 \d|07 [3-9])\d( \d\d){3}", row["telephone_responsable"])
        local, domain = row["email_responsable"].split("@")
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*", local)
        assert local.split(".")[1].rstrip("0123456789") == _plain(row["nom"]).replace(" ", "")
        assert domain in ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr")
        born = date.fromisoformat(row["date_naissance"])
        assert born.year == 2024 - 3 - classes.index(row["classe"])
        assert row["sexe"] in ("F", "M")
        assert row["commune"] in GRAND_NANCY.commune_names
        assert re.fullmatch(r"\d+ (Rue|Avenue|Boulevard|Place|Allée|Impasse|Chemin|Quai|Grande)"
                            r" .+", row["adresse"])


def test_aides_sociales_nir_and_iban(files):
    rows = read(files["aides-sociales", "nancy"])[1]
    for row in rows:
        assert nir.is_valid(row["nir"]), row["nir"]
        born = date.fromisoformat(row["date_naissance"])
        assert row["nir"][0] in "12" and row["nir"][1:5] == f"{born:%y%m}"
        assert iban.is_valid(row["iban"]) and row["iban"].startswith("FR76"), row["iban"]
        assert len(row["iban"]) == 27
        assert float(row["montant_aide"]) > 0
    assert sum(row["nir"][5:10] == "54395" for row in rows) > 50  # mostly born in Nancy


def test_agents_municipaux(files):
    rows = read(files["agents-municipaux", "raon"])[1]
    assert len({row["matricule"] for row in rows}) == len(rows)
    for row in rows:
        assert re.fullmatch(r"\d{6}", row["matricule"])
        assert re.fullmatch(r"\d{5}", row["code_postal_residence"])
        assert 1500 < float(row["salaire_brut"]) < 6000
        assert 18 <= 2024 - date.fromisoformat(row["date_naissance"]).year <= 63


# ---------------------------------------------------------------- API behaviour


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_for_a_seed(tmp_path, kind: str):
    first = write_file(kind, GRAND_NANCY, tmp_path / "a.csv", rows=50, seed=7).read_bytes()
    again = write_file(kind, GRAND_NANCY, tmp_path / "b.csv", rows=50, seed=7).read_bytes()
    other = write_file(kind, GRAND_NANCY, tmp_path / "c.csv", rows=50, seed=8).read_bytes()
    assert first == again
    assert first != other


@pytest.mark.parametrize("rows", [0, 1, 7, 1000])
@pytest.mark.parametrize("kind", KINDS)
def test_row_count(tmp_path, kind: str, rows: int):
    path = write_file(kind, NANCY, tmp_path / "sub" / f"{kind}.csv", rows=rows, seed=3)
    header, records = read(path)
    assert len(records) == rows
    if kind in SCHEMAS and rows:
        schema = load_schema(kind)
        for record in records:
            assert not [e for f in schema["fields"] for e in cell_errors(f, record[f["name"]])]


def test_kinds_and_errors(tmp_path):
    assert (*SCHEMAS, *PERSONAL_COLUMNS) == KINDS
    with pytest.raises(ValueError, match="unknown kind"):
        write_file("cadastre", NANCY, tmp_path / "x.csv")
    with pytest.raises(ValueError):
        write_file("budget", NANCY, tmp_path / "x.csv", rows=-1)
    with pytest.raises(ValueError, match="invalid SIREN"):
        Publisher("Ville de Nancy", "215403958", "54395", ("54395",), ("Nancy",))
    with pytest.raises(ValueError):
        Publisher("Ville de Nancy", "215403957", "54395", (), ())


def test_schema_path_is_package_data():
    package = Path(demo_files.__file__).parent / "data" / "schemas"
    for name in SCHEMAS.values():
        path = schema_path(name)
        assert path.parent == package and path.is_file()
        if REFERENCE.is_dir():  # the bundled copy is the official file, unchanged
            assert path.read_bytes() == (REFERENCE / "schemas" / path.name).read_bytes()
    assert (package / "SOURCE.md").is_file()
    with pytest.raises(ValueError, match="unknown schema"):
        schema_path("scdl-cadastre")
    assert "/work/shared" not in Path(demo_files.__file__).read_text(encoding="utf-8")
