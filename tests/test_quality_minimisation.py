"""quality.risk and quality.minimisation: k-anonymity and prosecutor risks computed by hand,
each criterion of the minimisation score, remedies with their what-if scores, recipes applied
to real files, the verdict, and `ctd minimise` / `ctd score` on real files."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from quality import rubric
from quality.minimisation import (
    RecipeError,
    Step,
    apply,
    effective,
    minimise,
    parse_recipe,
    verdict,
)
from quality.personal import Detection
from quality.risk import assess

ROOT = Path(__file__).resolve().parents[1]


def found(column: str, kind: str, category: str, **detail) -> Detection:
    return Detection(column=column, kind=kind, category=category, confidence=1.0, share=1.0,
                     rows=[2], reason="(test)", detail=detail)


def criterion(score, id: str):
    return next(c for c in score.criteria if c.id == id)


# Risk, computed by hand


def test_k_anonymity_and_prosecutor_risks():
    # Classes by (tranche, sexe): 3 records, 1 record, 12 records.
    tranche = ["30-39"] * 3 + ["40-49"] + ["50-59"] * 12
    sexe = ["F"] * 3 + ["M"] + [" f "] * 12  # stripped and case-folded: one class
    pathologie = ["asthme", "diabète", "asthme", "asthme"] + ["aucune"] * 12
    frame = pl.DataFrame({"tranche": tranche, "sexe": sexe, "pathologie": pathologie})
    risk = assess(frame, ["tranche", "sexe"], ["pathologie"], k=3)
    assert (risk.records, risk.classes, risk.smallest_class) == (16, 3, 1)
    assert risk.share_at_risk == pytest.approx(1 / 16)
    assert risk.highest_risk == 1.0
    assert risk.average_risk == pytest.approx(3 / 16)
    assert risk.mean_class_size == pytest.approx(16 / 3)
    assert risk.diversity == {"pathologie": 1}
    # The lone record and the 12 sharing one value: their pathology is inferred.
    assert risk.share_inferable == pytest.approx(13 / 16)


def test_missing_values_form_a_class_and_no_quasi_identifier_means_no_risk():
    frame = pl.DataFrame({"commune": ["54395", None, None, "54395"]})
    risk = assess(frame, ["commune"], k=2)
    assert (risk.classes, risk.smallest_class, risk.share_at_risk) == (2, 2, 0.0)
    assert assess(frame, [], k=2) is None
    assert assess(frame, ["absente"], k=2) is None


# The score


def people(rows: int = 600, seed: int = 7) -> pl.DataFrame:
    from faker import Faker

    rng, fake = random.Random(seed), Faker("fr_FR")
    fake.seed_instance(seed)
    names = [(fake.first_name(), fake.last_name()) for _ in range(rows)]
    return pl.DataFrame({
        "nom": [f"{first} {last}" for first, last in names],
        "courriel": [f"{first.lower()}.{last.lower()}{i}@gmail.com".replace(" ", "")
                     for i, (first, last) in enumerate(names)],
        "date_naissance": [f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-"
                           f"{rng.randint(1, 28):02d}" for _ in range(rows)],
        "sexe": [rng.choice("MF") for _ in range(rows)],
        "code_postal": [rng.choice(["54000", "54500", "57000", "88000"]) for _ in range(rows)],
        "latitude": [f"{48 + rng.random():.6f}" for _ in range(rows)],
        "longitude": [f"{6 + rng.random():.6f}" for _ in range(rows)],
    })


PEOPLE_DETECTIONS = [
    found("nom", "person_name", "direct"), found("courriel", "email", "direct"),
    found("date_naissance", "birth_date", "quasi"), found("sexe", "sex", "quasi"),
    found("code_postal", "postal_code", "quasi"),
    found("latitude", "gps", "quasi", decimals=6), found("longitude", "gps", "quasi", decimals=6),
]


def test_nothing_personal_scores_100_with_no_remedy():
    frame = pl.DataFrame({"equipement": ["piscine", "stade"], "code_insee": ["54395", "54547"]})
    result = minimise(frame, [found("code_insee", "commune", "quasi")])
    assert result.score.value == 100 and result.score.band == "minimised"
    assert result.risk is None  # a place alone locates no one: equipment, not persons
    assert result.remedies == []


@pytest.mark.parametrize(("kinds", "gate"), [
    ([("nir", "identifier")], 0.0),
    ([("person_name", "direct"), ("phone", "direct")], rubric.NAME_AND_CONTACT_GATE),
    ([("email", "direct"), ("ip", "direct")], rubric.MANY_DIRECT_GATE),
    ([("email", "possible")], 0.7),
    ([("sex", "quasi")], 1.0),
])
def test_direct_identifier_gate(kinds, gate):
    frame = pl.DataFrame({f"c{i}": ["a", "b"] for i in range(len(kinds))})
    detections = [found(f"c{i}", kind, category) for i, (kind, category) in enumerate(kinds)]
    score = minimise(frame, detections).score
    assert score.gate.value == gate
    if gate == 0:
        assert score.value == 0 and score.band == "blocked"


def test_people_file_criteria_and_remedies():
    frame = people()
    result = minimise(frame, PEOPLE_DETECTIONS, k=11)
    score = result.score
    assert score.gate.value == rubric.NAME_AND_CONTACT_GATE
    assert score.details["quasi_identifiers"] == [
        "date_naissance", "sexe", "code_postal", "latitude", "longitude"]
    assert criterion(score, "singling_out").value == 0.0  # GPS to the metre: all unique
    # Linkable: the birth date to the day and both coordinates, of 5 quasi-identifiers.
    assert criterion(score, "linkability").value == pytest.approx(1 - 3 / 5)
    assert criterion(score, "granularity").value == pytest.approx(1 - 3 / 5)
    assert score.band == "blocked"
    actions = [(r.step.action, r.step.columns) for r in result.remedies]
    assert actions == [
        ("drop", ["nom"]), ("drop", ["courriel"]),
        ("generalise_date", ["date_naissance"]), ("to_departement", ["code_postal"]),
        ("gps_grid", ["latitude", "longitude"]),
        ("suppress_small_classes", ["date_naissance", "sexe", "code_postal", "latitude",
                                    "longitude"]),
    ]
    # No remedy lowers the score; those on the gate or on precision raise it on their own
    # (generalising the postal code alone changes nothing while GPS singles everyone out).
    assert all(remedy.score >= score.value for remedy in result.remedies)
    raised = {r.step.action for r in result.remedies if r.score > score.value}
    assert raised >= {"drop", "generalise_date", "gps_grid", "suppress_small_classes"}
    assert result.recipe_score > max(r.score for r in result.remedies[:-1])
    # The what-if of the whole recipe is what applying it gives.
    applied = apply(frame, result.recipe)
    kept = [d for d in PEOPLE_DETECTIONS if d.column in applied.columns]
    assert minimise(applied, kept, k=11).score.value == result.recipe_score
    assert applied.height == frame.height - result.recipe_records_removed


def test_inference_from_a_sensitive_column():
    frame = pl.DataFrame({
        "sexe": ["F"] * 20 + ["M"] * 20,
        "religion": ["catholique", "musulmane"] * 10 + ["aucune"] * 20,
    })
    detections = [found("sexe", "sex", "quasi"),
                  found("religion", "special", "sensitive", topic="religion")]
    result = minimise(frame, detections, k=11)
    # Every man shares one value: half the records let it be inferred.
    assert criterion(result.score, "inference").value == pytest.approx(0.5)
    assert ("drop", ["religion"]) in [(r.step.action, r.step.columns) for r in result.remedies]


def test_a_stable_pseudonym_is_linkable():
    frame = pl.DataFrame({"usager": ["0123456789abcdef" * 4, "fedcba9876543210" * 4] * 20,
                          "sexe": ["F", "M"] * 20})
    score = minimise(frame, [found("sexe", "sex", "quasi")]).score
    assert criterion(score, "linkability").value == pytest.approx(0.5)
    assert "pseudonyme stable" in criterion(score, "linkability").explanation


# Recipes


def test_each_action_applied():
    frame = pl.DataFrame({
        "nir": ["1 84 12 76 451 089 46", "2 90 05 2A 004 123 11"],
        "naissance": ["1984-12-03", "05/06/1990"],
        "cp": ["54000", "97411"],
        "insee": ["2A004", "54395"],
        "lat": ["48,69212", "43,1"],
        "siret": ["35600000000048", None],
    })
    steps = parse_recipe({"steps": [
        {"action": "drop", "columns": ["nir"]},
        {"action": "generalise_date", "columns": ["naissance"], "to": "month"},
        {"action": "to_departement", "columns": ["cp", "insee"]},
        {"action": "gps_grid", "columns": ["lat"]},
        {"action": "pseudonymise", "columns": ["siret"]},
    ]}, frame.columns)
    out = apply(frame, steps, key=b"une cle secrete de test")
    assert out.columns == ["naissance", "cp", "insee", "lat", "siret"]
    assert out["naissance"].to_list() == ["1984-12", "1990-06"]
    assert out["cp"].to_list() == ["54", "974"]
    assert out["insee"].to_list() == ["2A", "54"]
    assert out["lat"].to_list() == ["48,692", "43,1"]
    pseudonym = out["siret"][0]
    assert len(pseudonym) == 32 and out["siret"][1] is None
    again = apply(frame, steps, key=b"une cle secrete de test")["siret"][0]
    other = apply(frame, steps, key=b"une autre cle secrete")["siret"][0]
    assert pseudonym == again != other


def test_suppressing_small_classes():
    frame = pl.DataFrame({"age": ["30"] * 5 + ["31"] * 2 + [None] * 3})
    out = apply(frame, [Step("suppress_small_classes", ["age"], k=3)])
    assert out["age"].to_list() == ["30"] * 5 + [None] * 3


@pytest.mark.parametrize(("recipe", "message"), [
    ({"steps": []}, "liste « steps » non vide"),
    ([{"action": "effacer", "columns": ["a"]}], "action inconnue"),
    ([{"action": "drop", "columns": ["z"]}], "absente(s) du fichier : z"),
    ([{"action": "drop", "columns": "a"}], "« columns » doit être une liste"),
    ([{"action": "generalise_date", "columns": ["a"], "to": "week"}], "« year » ou « month »"),
    ([{"action": "suppress_small_classes", "columns": ["a"], "k": 1}], "au moins 2"),
    ([{"action": "drop", "columns": ["a"]}, {"action": "drop", "columns": ["a"]}],
     "absente(s) du fichier : a"),
])
def test_bad_recipes(recipe, message):
    with pytest.raises(RecipeError) as error:
        parse_recipe(recipe, ["a", "b"])
    assert message in str(error.value)


def test_pseudonymising_needs_a_key():
    with pytest.raises(RecipeError):
        apply(pl.DataFrame({"a": ["x"]}), [Step("pseudonymise", ["a"])])


# The verdict


def score_of(frame, detections):
    return minimise(frame, detections).score.to_dict()


def test_verdicts():
    blocked = [found("nir", "nir", "identifier")]
    judged = verdict(score_of(pl.DataFrame({"nir": ["x"]}), blocked),
                     [d.to_dict() for d in blocked])
    assert judged["verdict"] == "do_not_share" and judged["ai_training"] == "blocked"
    assert "NIR" in judged["reasons"][0]

    detections = [d.to_dict() for d in PEOPLE_DETECTIONS]
    judged = verdict(score_of(people(), PEOPLE_DETECTIONS), detections)
    assert judged["verdict"] == "agreement_only" and judged["ai_training"] == "blocked"

    clean = verdict(score_of(pl.DataFrame({"a": [1]}), []), [], access="open",
                    licence_open=True)
    assert clean == {"verdict": "open", "ai_training": "allowed", "categories": [], "reasons": [
        "Aucune donnée personnelle à minimiser n'empêche l'ouverture."]}
    restricted = verdict(score_of(pl.DataFrame({"a": [1]}), []), [], access="restricted")
    assert restricted["verdict"] == "agreement_only"
    assert restricted["ai_training"] == "agreement_only"

    sensitive = [found("nom", "person_name", "direct"),
                 found("handicap", "special", "sensitive", topic="health")]
    judged = verdict(score_of(pl.DataFrame({"nom": ["a"], "handicap": ["b"]}), sensitive),
                     [d.to_dict() for d in sensitive])
    assert judged["verdict"] == "do_not_share"


def test_places_matter_only_in_records_about_persons():
    places = [found("cp", "postal_code", "quasi").to_dict(),
              found("lat", "gps", "quasi").to_dict()]
    assert effective(places) == []
    with_age = [*places, found("age", "age", "quasi").to_dict()]
    assert effective(with_age) == with_age


# The command line, on real files


def ctd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = Path(sys.executable).parent / "ctd"  # as a user runs it
    return subprocess.run([str(command), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def people_csv(tmp_path) -> Path:
    path = tmp_path / "usagers.csv"
    people().write_csv(path, separator=";")
    return path


def test_ctd_score_reports_personal_data_without_values(people_csv):
    result = ctd("score", str(people_csv))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["scores"]) == {"ai_fitness", "minimisation"}
    assert report["verdict"]["verdict"] in ("agreement_only", "do_not_share")
    assert {d["column"] for d in report["personal"]} >= {"courriel", "date_naissance"}
    for value in pl.read_csv(people_csv, separator=";", infer_schema=False)["courriel"]:
        assert value not in result.stdout
    columns = {c["name"]: c for c in report["profile"]["columns"]}
    assert columns["courriel"]["top_values"] == [] and columns["courriel"]["min"] is None


def test_ctd_minimise_auto_writes_the_shareable_file(people_csv, tmp_path):
    before = json.loads(ctd("score", str(people_csv)).stdout)["scores"]["minimisation"]
    out = tmp_path / "partage" / "usagers-minimises.csv"
    result = ctd("minimise", str(people_csv), "--apply", "auto", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "Fichier minimisé écrit" in result.stdout
    written = pl.read_csv(out, separator=";", infer_schema=False)
    assert "nom" not in written.columns and "courriel" not in written.columns
    report = json.loads(Path(f"{out}.report.json").read_text(encoding="utf-8"))
    assert report["scores"]["minimisation"]["value"] > before["value"]


def test_ctd_minimise_with_a_recipe_file_and_a_key(people_csv, tmp_path):
    recipe = tmp_path / "recette.json"
    recipe.write_text(json.dumps({"steps": [
        {"action": "pseudonymise", "columns": ["courriel"]},
        {"action": "drop", "columns": ["nom", "latitude", "longitude"]}]}))
    out = tmp_path / "pseudo.parquet"
    refused = ctd("minimise", str(people_csv), "--apply", str(recipe), "--output", str(out),
                  env={"CTD_PSEUDONYMISATION_KEY": ""})
    assert refused.returncode == 1 and "CTD_PSEUDONYMISATION_KEY" in refused.stderr
    assert not out.exists()
    result = ctd("minimise", str(people_csv), "--apply", str(recipe), "--output", str(out),
                 env={"CTD_PSEUDONYMISATION_KEY": "cle-secrete-de-la-collectivite"})
    assert result.returncode == 0, result.stderr
    written = pl.read_parquet(out)
    assert written.columns == ["courriel", "date_naissance", "sexe", "code_postal"]
    assert written["courriel"].str.len_chars().unique().to_list() == [32]


@pytest.mark.parametrize(("args", "message"), [
    (["--apply", "auto"], "--apply demande --output"),
    (["--apply", "absente.json", "--output", "x.csv"], "recette illisible"),
    (["--apply", "auto", "--output", "x.xlsx"], ".csv ou .parquet"),
])
def test_ctd_minimise_errors_are_french(people_csv, tmp_path, args, message):
    result = ctd("minimise", str(people_csv), *[
        str(tmp_path / a) if a.endswith((".json", ".csv", ".xlsx")) else a for a in args])
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_ctd_minimise_refuses_to_overwrite_its_input(people_csv):
    result = ctd("minimise", str(people_csv), "--apply", "auto", "--output", str(people_csv))
    assert result.returncode == 1 and "remplacerait" in result.stderr
    assert "courriel" in people_csv.read_text()
