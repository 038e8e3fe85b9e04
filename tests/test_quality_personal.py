"""The personal-data detectors (``quality.personal``): each detector on real-looking values,
positives and hard negatives, then the labelled corpus of ``personal_corpus`` read as real
uploads are (``read_table`` + ``profile``) for precision and recall, and a check that no
report ever carries a value of the data."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import personal_corpus as pc
import polars as pl
import pytest
from faker import Faker
from stdnum.fr import nir as std_nir
from stdnum.fr import siret as std_siret

from quality.personal import CATEGORIES, KINDS, Detection, detect, first_names
from quality.profile import profile
from quality.read import read_table

ROWS = 300


@pytest.fixture(scope="module")
def rng() -> random.Random:
    return random.Random(7)


@pytest.fixture(scope="module")
def fake() -> Faker:
    faker = Faker("fr_FR")
    faker.seed_instance(7)
    return faker


def run(columns: dict[str, list]) -> list[Detection]:
    frame = pl.DataFrame(columns)
    return detect(frame, profile(frame))


def found(detections: list[Detection], column: str) -> set[tuple[str, str]]:
    return {(d.kind, d.category) for d in detections if d.column == column}


def one(detections: list[Detection], column: str, kind: str) -> Detection:
    matches = [d for d in detections if d.column == column and d.kind == kind]
    assert len(matches) == 1, detections
    return matches[0]


def towns() -> list[str]:
    return [code for code, _ in pc.communes()]


# --- identifiers ------------------------------------------------------------------------


def test_nir_column_is_an_identifier(rng):
    codes = towns()[:50] + ["2A004", "2B033"]
    numbers = [pc.nir(rng, rng.choice(codes), spaced=i % 3 == 0) for i in range(ROWS)]
    detections = run({"id": [str(i) for i in range(ROWS)], "num_secu": numbers})
    nir = one(detections, "num_secu", "nir")
    assert nir.category == "identifier"
    assert nir.share == pytest.approx(1.0)
    assert nir.confidence >= 0.9
    assert nir.rows == [2, 3, 4, 5, 6]
    assert found(detections, "id") == set()


def test_corsican_nir_keys_use_19_and_18():
    rng = random.Random(1)
    for department in ("2A", "2B"):
        number = pc.nir(rng, f"{department}004")
        assert std_nir.is_valid(number)
        assert number[5:7] == department


def test_random_15_digit_references_are_not_nir():
    rng = random.Random(3)
    references = [f"{rng.randint(10**14, 10**15 - 1)}" for _ in range(20_000)]
    # Some pass the key by chance: the share, not the key, keeps the column out.
    assert 0 < sum(std_nir.is_valid(ref) for ref in references) < 0.01 * len(references)
    assert found(run({"reference": references}), "reference") == set()


def test_a_few_valid_nir_among_references_are_not_flagged(rng):
    values = [pc.nir(rng, "54395") if i % 10 == 0 else f"{rng.randint(10**14, 10**15 - 1)}"
              for i in range(ROWS)]
    assert found(run({"reference": values}), "reference") == set()


def test_nir_typed_as_integers_as_parquet_keeps_them(rng):
    numbers = [int(pc.nir(rng, "54395")) for _ in range(ROWS)]
    assert found(run({"nir": numbers}), "nir") == {("nir", "identifier")}


def test_iban_column_is_an_identifier(rng):
    detections = run({"iban": [pc.iban_fr(rng, spaced=i % 2 == 0) for i in range(ROWS)]})
    assert found(detections, "iban") == {("iban", "identifier")}


def test_ibans_with_wrong_check_digits_are_not_flagged(rng):
    wrong = []
    for _ in range(ROWS):
        number = pc.iban_fr(rng, spaced=False)
        wrong.append(number[:2] + f"{(int(number[2:4]) + 1) % 100:02d}" + number[4:])
    assert found(run({"iban": wrong}), "iban") == set()


def test_licence_plates_siv_and_fni(rng):
    plates = [pc.plate(rng, old=i % 4 == 0) for i in range(ROWS)]
    plates += ["ab123cd", "AB 123 CD"]
    detection = one(run({"immatriculation": plates}), "immatriculation", "plate")
    assert detection.category == "identifier"
    assert 0.6 < detection.detail["siv_share"] < 0.9


def test_impossible_plates_and_product_codes_are_not_plates(rng):
    impossible = [f"{rng.choice(['AI', 'OU', 'UA'])}-{rng.randint(1, 999):03d}-AB"
                  for _ in range(ROWS // 2)]
    impossible += [f"AB-000-{rng.choice(['CD', 'EF'])}" for _ in range(ROWS // 2)]
    products = [f"REF-{rng.randint(1, 99999)}-X" for _ in range(ROWS)]
    detections = run({"code": impossible, "produit": products})
    assert found(detections, "code") == set()
    assert found(detections, "produit") == set()


def test_ip_addresses_but_not_version_numbers(rng, fake):
    ips = [fake.ipv4_public() if i % 5 else fake.ipv6() for i in range(ROWS)]
    versions = [f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
                for _ in range(ROWS)]
    detections = run({"adresse_ip": ips, "version": versions})
    assert found(detections, "adresse_ip") == {("ip", "direct")}
    assert found(detections, "version") == set()


# --- names and contacts -----------------------------------------------------------------


def test_first_name_lexicon_comes_from_insee_without_common_words():
    names = set(first_names().to_list())
    assert len(names) > 4000
    assert {"MARIE", "JEAN-PIERRE", "LEA", "MOHAMED", "NOAH"} <= names
    assert not {"ROSE", "FRANCE", "VANILLE", "PARIS", "LORRAINE"} & names


def test_first_names_and_surnames(fake):
    people = pc.people(fake, ROWS)
    detections = run({
        "nom": [last.upper() for _, last in people],
        "prenom": [first for first, _ in people],
        "commentaire": ["RAS"] * ROWS,
    })
    assert found(detections, "prenom") == {("person_name", "direct")}
    assert found(detections, "nom") == {("person_name", "direct")}
    assert found(detections, "commentaire") == set()


def test_full_names_without_a_header_hint(fake):
    detections = run({"colonne_3": [f"{fake.first_name()} {fake.last_name()}"
                                    for _ in range(ROWS)]})
    assert found(detections, "colonne_3") == {("person_name", "direct")}


def test_association_names_and_communes_are_not_person_names(rng):
    names = [f"{rng.choice(pc.ASSOCIATION_HEADS)} {name}" for _, name in
             random.Random(2).sample(pc.communes(), ROWS)]
    detections = run({"nom_beneficiaire": names,
                      "nom_commune": [name for _, name in pc.communes()[:ROWS]]})
    assert found(detections, "nom_beneficiaire") == set()
    assert found(detections, "nom_commune") == {("commune", "quasi")}


def test_first_names_counted_in_a_statistic_are_not_persons(fake, rng):
    detections = run({
        "ENFANT_PRENOM": [fake.first_name() for _ in range(ROWS)],
        "NOMBRE_OCCURRENCES": [rng.randint(1, 9) for _ in range(ROWS)],
    })
    assert found(detections, "ENFANT_PRENOM") == set()


def test_private_emails_are_direct(fake, rng):
    emails = [pc.private_email(rng, fake.first_name(), fake.last_name()) for _ in range(ROWS)]
    detection = one(run({"courriel": emails}), "courriel", "email")
    assert detection.category == "direct"
    assert detection.detail["private_share"] == pytest.approx(1.0)


def test_officials_work_emails_are_possible_not_direct(fake, rng):
    emails = [pc.work_email(rng, fake.first_name(), fake.last_name()) for _ in range(ROWS)]
    detection = one(run({"email_elu": emails}), "email_elu", "email")
    assert detection.category == "possible"
    assert detection.detail["private_share"] == 0.0
    assert "agents" in detection.reason


def test_functional_mailboxes_are_not_personal(rng):
    emails = [f"{rng.choice(['contact', 'accueil', 'mairie'])}@{name.lower()}.fr"
              for name in ("laxou", "toul", "nancy", "pompey", "ludres")] * 60
    assert found(run({"email": emails}), "email") == set()


def test_mobile_numbers_are_direct(rng):
    detection = one(run({"portable": [pc.mobile(rng) for _ in range(ROWS)]}), "portable",
                    "phone")
    assert detection.category == "direct"
    assert detection.detail["mobile_share"] == pytest.approx(1.0)
    assert detection.detail["service_share"] == 0.0


def test_a_town_hall_switchboard_repeated_is_not_personal():
    for number in ("03 83 28 51 00", "0383285100", "+33 3 83 28 51 00"):
        assert found(run({"telephone": [number] * ROWS}), "telephone") == set()


def test_service_numbers_are_not_personal(rng):
    numbers = [rng.choice(["0800 123 456", "0820 20 30 40", "3939", "3949", "0891 00 11 22"])
               for _ in range(ROWS)]
    assert found(run({"telephone": numbers}), "telephone") == set()


def test_landlines_of_named_people_are_possible(rng, fake):
    columns = {"nom_prenom": [f"{fake.last_name().upper()} {fake.first_name()}"
                              for _ in range(ROWS)],
               "tel": [pc.landline(rng, rng.choice("12345")) for _ in range(ROWS)]}
    assert found(run(columns), "tel") == {("phone", "possible")}
    assert found(run({"tel": columns["tel"]}), "tel") == set()


def test_home_addresses_but_not_equipment_addresses(rng, fake):
    streets = [pc.street(fake, rng) for _ in range(ROWS)]
    detections = run({"adresse": streets, "adresse_equipement": streets})
    assert found(detections, "adresse") == {("address", "direct")}
    assert found(detections, "adresse_equipement") == set()


# --- SIREN / SIRET ----------------------------------------------------------------------


def test_companies_sirets_in_a_subsidies_file_are_not_reported(rng):
    detections = run({
        "siret_beneficiaire": [pc.siret(rng) for _ in range(ROWS)],
        "nom_beneficiaire": [f"{rng.choice(pc.ASSOCIATION_HEADS)} Laxou" for _ in range(ROWS)],
        "siren": [pc.siren(rng) for _ in range(ROWS)],
    })
    assert detections == []


def test_sole_traders_sirets_are_possibly_personal(rng):
    forms = [rng.choice(["Entrepreneur individuel", "SARL", "SAS"]) for _ in range(ROWS)]
    detection = one(run({"siret": [pc.siret(rng) for _ in range(ROWS)],
                         "forme_juridique": forms}), "siret", "siret")
    assert detection.category == "possible"
    assert detection.detail == {"sole_trader": "legal_form"}
    assert "entrepreneurs individuels" in detection.reason
    detection = one(run({"siren_auto_entrepreneur": [pc.siren(rng) for _ in range(ROWS)]}),
                    "siren_auto_entrepreneur", "siren")
    assert detection.detail == {"sole_trader": "header"}


def test_la_poste_sirets_pass_without_luhn(rng):
    numbers = []
    while len(numbers) < ROWS:
        number = f"356000000{rng.randint(0, 99999):05d}"
        if sum(map(int, number)) % 5 == 0:
            numbers.append(number)
    assert all(std_siret.is_valid(number) for number in numbers)
    detections = run({"siret_ei": numbers})
    assert found(detections, "siret_ei") == {("siret", "possible")}


# --- quasi-identifiers ------------------------------------------------------------------


def test_birth_dates_and_their_precision(rng):
    days = [pc.french_date(rng, pc.date(1940, 1, 1), pc.date(2010, 1, 1), i % 2 == 0)
            for i in range(ROWS)]
    detections = run({"date_naissance": days,
                      "annee_naissance": [d[-4:] if "/" in d else d[:4] for d in days],
                      "date_decision": days})
    assert one(detections, "date_naissance", "birth_date").detail == {"precision": "day"}
    assert one(detections, "annee_naissance", "birth_date").detail == {"precision": "year"}
    assert found(detections, "date_decision") == set()


def test_typed_birth_dates(rng):
    days = [pc.date(1950, 1, 1) + pc.timedelta(days=rng.randint(0, 20000)) for _ in range(ROWS)]
    assert found(run({"ddn": days}), "ddn") == {("birth_date", "quasi")}


def test_ages_sex_and_place(rng):
    towns_ = towns()
    detections = run({
        "age": [str(rng.randint(0, 99)) for _ in range(ROWS)],
        "tranche_d_age": [rng.choice(pc.AGE_BANDS) for _ in range(ROWS)],
        "civilite": [rng.choice(["M.", "Mme"]) for _ in range(ROWS)],
        "genre": [rng.choice(pc.GENRES) for _ in range(ROWS)],
        "cp": [rng.choice(["54000", "08000", "54600"]) for _ in range(ROWS)],
        "depcom": [rng.choice(towns_ + ["2A004"]) for _ in range(ROWS)],
        "code_iris": [f"{rng.choice(towns_)}0101" for _ in range(ROWS)],
        "montant": [f"{rng.uniform(10, 9999):.4f}" for _ in range(ROWS)],
    })
    assert one(detections, "age", "age").detail == {"banded": False}
    assert one(detections, "tranche_d_age", "age").detail == {"banded": True}
    assert found(detections, "civilite") == {("sex", "quasi")}
    assert found(detections, "genre") == set()  # literary genres
    assert found(detections, "cp") == {("postal_code", "quasi")}
    assert found(detections, "depcom") == {("commune", "quasi")}
    assert found(detections, "code_iris") == {("iris", "quasi")}
    assert found(detections, "montant") == set()


def test_professions_and_nationalities(rng, fake):
    detections = run({
        "profession": [fake.job() for _ in range(ROWS)],
        "csp": [rng.choice(pc.PCS) for _ in range(ROWS)],
        "nationalite": [rng.choice(pc.NATIONALITIES) for _ in range(ROWS)],
        "objet": [rng.choice(pc.OBJECTS) for _ in range(ROWS)],
    })
    assert found(detections, "profession") == {("profession", "quasi")}
    assert found(detections, "csp") == {("profession", "quasi")}
    assert found(detections, "nationalite") == {("nationality", "quasi")}
    assert found(detections, "objet") == set()


# --- GPS --------------------------------------------------------------------------------


def test_precise_unique_coordinates_locate_individuals(rng):
    detections = run({"latitude": [pc.coordinate(rng, 48.6, 48.8, 5) for _ in range(ROWS)],
                      "longitude": [pc.coordinate(rng, 6.1, 6.3, 5) for _ in range(ROWS)]})
    latitude = one(detections, "latitude", "gps")
    assert latitude.category == "quasi"
    assert latitude.detail == {"decimals": 5, "unique_share": 1.0, "pair": "longitude"}
    assert "individus" in latitude.reason
    assert one(detections, "longitude", "gps").detail["pair"] == "latitude"


def test_typed_coordinates_and_overseas(rng):
    detections = run({"lat": [rng.uniform(-21.3, -20.9) for _ in range(ROWS)],
                      "lon": [rng.uniform(55.3, 55.8) for _ in range(ROWS)]})
    assert found(detections, "lat") == {("gps", "quasi")}


def test_equipment_coordinates_are_not_individuals(rng):
    coarse = run({"latitude": [pc.coordinate(rng, 48.6, 48.8, 3) for _ in range(ROWS)],
                  "longitude": [pc.coordinate(rng, 6.1, 6.3, 3) for _ in range(ROWS)]})
    assert coarse == []
    points = [(pc.coordinate(rng, 48.6, 48.8, 6), pc.coordinate(rng, 6.1, 6.3, 6))
              for _ in range(10)]
    picks = [rng.choice(points) for _ in range(ROWS)]
    repeated = run({"lat": [a for a, _ in picks], "lon": [b for _, b in picks]})
    assert repeated == []
    abroad = run({"latitude": [pc.coordinate(rng, 40.6, 40.8, 6) for _ in range(ROWS)],
                  "longitude": [pc.coordinate(rng, -74.1, -73.9, 6) for _ in range(ROWS)]})
    assert abroad == []


def test_equipment_and_area_centroids_are_not_individuals(rng):
    detections = run({"EQUIP_LAT": [pc.coordinate(rng, 48.6, 48.8, 6) for _ in range(ROWS)],
                      "EQUIP_LONG": [pc.coordinate(rng, 6.1, 6.3, 6) for _ in range(ROWS)]})
    assert detections == []
    communes = read_table(pc.COMMUNES_GEOJSON)  # polygons: longitude, latitude of centroids
    assert {"geometry_type", "longitude", "latitude"} <= set(communes.frame.columns)
    assert [d for d in detect(communes.frame) if d.kind == "gps"] == []


def test_geopoint_column(rng):
    points = [f"{pc.coordinate(rng, 48.6, 48.8, 6)}, {pc.coordinate(rng, 6.1, 6.3, 6)}"
              for _ in range(ROWS)]
    detection = one(run({"geo_point_2d": points}), "geo_point_2d", "gps")
    assert detection.detail == {"decimals": 6, "unique_share": 1.0, "pair": None}


# --- Art. 9 and Art. 10 ------------------------------------------------------------------


def test_special_categories_by_values_and_by_header(rng):
    detections = run({
        "motif": [rng.choice(pc.DIAGNOSES) for _ in range(ROWS)],
        "syndicat": [rng.choice(["CGT", "CFDT", "FO", "aucun"]) for _ in range(ROWS)],
        "religion": [rng.choice(["catholique", "musulmane", "sans"]) for _ in range(ROWS)],
        "condamnations": [rng.choice(["vol", "néant", "escroquerie"]) for _ in range(ROWS)],
        "categorie": [rng.choice(pc.CATEGORIES) for _ in range(ROWS)],
        "couleur": [rng.choice(["noir", "blanc", "rouge"]) for _ in range(ROWS)],
    })
    topics = {d.column: d.detail.get("topic") for d in detections}
    assert topics == {"motif": "health", "syndicat": "trade_union", "religion": "religion",
                      "condamnations": "conviction"}
    assert one(detections, "condamnations", "conviction").category == "sensitive"
    assert "article 10" in one(detections, "condamnations", "conviction").reason
    assert "article 9" in one(detections, "motif", "special").reason


# --- free text ---------------------------------------------------------------------------


def test_free_text_with_personal_data(rng, fake):
    texts = []
    for i in range(ROWS):
        first, last = fake.first_name(), fake.last_name()
        texts.append([
            f"Demande de M. {last} pour un rendez-vous, rappeler au {pc.mobile(rng)} svp.",
            f"Le demandeur a fourni son NIR {pc.nir(rng, '54395', spaced=True)} au guichet.",
            f"Remboursement sur le compte {pc.iban_fr(rng)} après validation du dossier.",
            f"Réponse envoyée à {pc.private_email(rng, first, last)} le lendemain matin.",
            f"Le patient suivi pour un diabète demande une aide ménagère, dossier {i}.",
            f"Visite du site prévue la semaine {rng.randint(1, 52)}, rien à signaler, "
            f"dossier {i}.",
        ][i % 6])
    detections = run({"observations": texts})
    kinds = found(detections, "observations")
    assert kinds == {("person_name", "direct"), ("phone", "direct"), ("nir", "identifier"),
                     ("iban", "identifier"), ("email", "direct"), ("special", "sensitive")}
    assert all(d.detail.get("free_text") for d in detections)
    order = [d.category for d in detections]
    assert order == sorted(order, key=CATEGORIES.index)


def test_free_text_without_personal_data(rng):
    texts = [rng.choice(pc.AGENT_NOTES).format(n=rng.randint(1000, 99999), s="nord",
                                                d="12/03/2024", k=rng.randint(2, 9))
             for _ in range(ROWS)]
    texts += [subject.format(year=2024, n=i, k=3, s="A", d="01/01/2025")
              for i, subject in enumerate(pc.DELIBERATION_SUBJECTS * 10)]
    assert run({"commentaire": texts}) == []


# --- reports ----------------------------------------------------------------------------


def test_detections_are_ordered_and_serialisable(rng, fake):
    detections = run({
        "telephone": [pc.mobile(rng) for _ in range(ROWS)],
        "nir": [pc.nir(rng, "54395") for _ in range(ROWS)],
        "prenom": [fake.first_name() for _ in range(ROWS)],
    })
    assert [d.column for d in detections] == ["telephone", "nir", "prenom"]
    for detection in detections:
        data = json.loads(json.dumps(detection.to_dict()))
        assert set(data) == {"column", "kind", "category", "confidence", "share", "rows",
                             "reason", "detail"}
        assert detection.kind in KINDS and detection.category in CATEGORIES
        assert 0 <= detection.confidence <= 1 and 0 < detection.share <= 1
        assert 1 <= len(detection.rows) <= 5 and min(detection.rows) >= 2


def test_profile_is_computed_when_not_given(rng):
    frame = pl.DataFrame({"nir": [pc.nir(rng, "54395") for _ in range(ROWS)]})
    assert [(d.kind, d.category) for d in detect(frame)] == [("nir", "identifier")]


def test_empty_frames():
    assert detect(pl.DataFrame()) == []
    assert detect(pl.DataFrame({"nir": []}, schema={"nir": pl.String})) == []
    assert detect(pl.DataFrame({"nir": [None, None]}, schema={"nir": pl.String})) == []


def test_large_frames_are_judged_on_their_sample(rng):
    """400,000 rows of a personal file repeated: the sampled values decide as on the small
    file (the time it takes is measured in benchmarks/personal_detectors.py)."""
    base = {
        "nir": [pc.nir(rng, "54395") for _ in range(2000)],
        "telephone": [pc.mobile(rng) for _ in range(2000)],
    }
    frame = pl.concat([pl.DataFrame(base)] * 200).with_columns(
        # a distinct point per row, 6 decimals, around Nancy
        latitude=(48.6 + pl.int_range(pl.len()) * 1e-6).round(6).cast(pl.String),
        longitude=(6.1 + pl.int_range(pl.len()).reverse() * 1e-6).round(6).cast(pl.String),
    )
    detections = detect(frame, profile(frame))
    assert {d.kind for d in detections} == {"nir", "phone", "gps"}


# --- the corpus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory) -> list[tuple[pc.CorpusFile, list[Detection]]]:
    files = pc.corpus()
    directory = tmp_path_factory.mktemp("personal-corpus")
    pc.write(files, directory)
    runs = []
    for file in files:
        table = read_table(Path(directory) / file.name)
        facts = profile(table.frame, decimal_comma=table.decimal_comma)
        runs.append((file, detect(table.frame, facts)))
    return runs


def test_corpus_size(corpus_run):
    files = [file for file, _ in corpus_run]
    assert len(files) >= 12
    assert pc.column_count(files) >= 50


def test_precision_and_recall_over_the_corpus(corpus_run):
    detections = {file.name: found_all for file, found_all in corpus_run}
    scores, errors = pc.evaluate(
        [file for file, _ in corpus_run],
        lambda file: [(d.column, d.kind, d.category) for d in detections[file.name]],
    )
    print("\n" + pc.table(scores))
    for error in errors:
        print(error)
    direct = pc.direct_score(scores)
    assert direct.precision >= 0.95, errors
    assert direct.recall >= 0.90, errors


# E-mails, phone numbers, NIR, IBAN and plates written inside free text.
EMBEDDED = re.compile(r"[\w.+-]+@[\w.-]+|(?:\+33|0)\d(?:[ .]?\d{2}){4}|[A-Z]{2}-\d{3}-[A-Z]{2}")


def test_reports_never_contain_values(corpus_run):
    for file, detections in corpus_run:
        report = json.dumps([d.to_dict() for d in detections], ensure_ascii=False)
        for column, expected in file.expected.items():
            if not expected:
                continue
            for value in file.columns[column]:
                if value is None:
                    continue
                pieces = [value] + EMBEDDED.findall(value)
                pieces += [word for word in re.split(r"[\s,;]+", value)
                           if len(word) >= 6 and any(ch.isdigit() for ch in word)]
                for piece in pieces:
                    if len(piece) < 5:
                        continue  # "M", "F", "54": too short to tell a leak from a word
                    pattern = rf"(?<!\w){re.escape(piece)}(?!\w)"
                    assert re.search(pattern, report) is None, (file.name, column, piece)
