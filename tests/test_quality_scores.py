"""The metadata and AI-training fitness scores: each criterion, met and not met, on real
files scanned by the engine and on plain dataset facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from conftest import IRVE_EXAMPLE

from quality import rubric
from quality.scan import scan_file
from quality.scores import (
    DatasetFacts,
    ResourceFacts,
    ai_fitness_score,
    file_report,
    metadata_score,
    scan_from_report,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def full_facts(**changes) -> DatasetFacts:
    """A dataset meeting every metadata criterion."""
    facts = DatasetFacts(
        title="Subventions aux associations",
        description="Montants des subventions versées par la ville aux associations, par "
                    "bénéficiaire et par objet, depuis 2020, conformes au schéma SCDL.",
        licence="fr-lo-2.0", temporal=True, spatial=True, frequency="ANNUAL",
        updated=NOW - timedelta(days=30), published=NOW - timedelta(days=400),
        publisher="Ville de Nancy", contact=True, schema="scdl/subventions",
        keywords=["subventions"], themes=["ECON"], url="/api/v1/datasets/subventions",
        resources=[ResourceFacts(title="subventions.csv", description="Le fichier.",
                                 format="csv", available=True, url="/f.csv", sha256="ab")])
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def criterion(score, id_):
    return next(c for c in score.criteria if c.id == id_)


def write_csv(path, header, rows, sep=";"):
    path.write_text("\n".join([sep.join(header), *(sep.join(r) for r in rows)]) + "\n",
                    encoding="utf-8")
    return path


# Metadata


def test_a_complete_dataset_scores_100_with_every_criterion_explained():
    score = metadata_score(full_facts(), NOW)
    assert (score.value, score.grade, score.rubric_version) == (100, "A", rubric.VERSION)
    assert [c.id for c in score.criteria] == list(rubric.METADATA_WEIGHTS)
    assert all(c.value == 1.0 and c.explanation and c.fix is None for c in score.criteria)
    assert score.details["datagouv_score"] == 1.0


@pytest.mark.parametrize("id_, changes", [
    ("licence", {"licence": "notspecified"}),
    ("temporal_coverage", {"temporal": False}),
    ("spatial_coverage", {"spatial": False}),
    ("frequency", {"frequency": None}),
    ("frequency", {"frequency": "UNKNOWN"}),
    ("update_on_time", {"updated": NOW - timedelta(days=400)}),
    ("description", {"description": "Trop court."}),
    ("open_formats", {"resources": [ResourceFacts("b.xlsx", "d", "xlsx", available=True)]}),
    ("open_formats", {"resources": []}),
    ("resources_available", {"resources": [ResourceFacts("b.csv", "d", "csv")]}),
    ("documentation", {"resources": [ResourceFacts("b.csv", "", "csv", available=True)]}),
    ("contact_point", {"contact": False}),
    ("schema", {"schema": None}),
    ("keywords", {"keywords": []}),
    ("themes", {"themes": []}),
])
def test_each_metadata_criterion_not_met_costs_its_weight_and_says_how_to_fix(id_, changes):
    score = metadata_score(full_facts(**changes), NOW)
    failed = [c for c in score.criteria if c.value == 0.0]
    assert id_ in [c.id for c in failed]
    assert all(c.fix for c in failed)
    total = sum(rubric.METADATA_WEIGHTS.values())
    lost = sum(c.weight for c in failed)
    assert score.value == round(100 * (total - lost) / total)
    nine = rubric.DATAGOUV_CRITERIA
    assert score.details["datagouv_score"] == round(
        sum(1 for c in score.criteria if c.id in nine and c.value == 1.0) / 9, 4)


def test_a_documentation_resource_documents_the_dataset():
    resources = [ResourceFacts("b.csv", "", "csv", available=True),
                 ResourceFacts("Dictionnaire", "", "pdf", type="documentation", available=True)]
    score = metadata_score(full_facts(resources=resources), NOW)
    assert criterion(score, "documentation").value == 1.0
    assert criterion(score, "open_formats").value == 0.0  # the PDF is a closed format


@pytest.mark.parametrize("frequency, age_days, on_time", [
    ("DAILY", 1, True), ("DAILY", 2, False), ("MONTHLY", 31, True), ("MONTHLY", 32, False),
    ("ANNUAL", 360, True), ("IRREG", 5000, True), ("NEVER", 5000, True),
])
def test_update_on_time_follows_the_frequency_with_one_day_of_tolerance(
        frequency, age_days, on_time):
    facts = full_facts(frequency=frequency, updated=NOW - timedelta(days=age_days, hours=1))
    assert criterion(metadata_score(facts, NOW), "update_on_time").value == float(on_time)


def test_description_must_exceed_100_characters():
    exactly = "x" * rubric.DESCRIPTION_MIN_CHARS
    assert criterion(metadata_score(full_facts(description=exactly), NOW),
                     "description").value == 0.0
    assert criterion(metadata_score(full_facts(description=exactly + "y"), NOW),
                     "description").value == 1.0


# AI-training fitness on real files


@pytest.fixture
def clean_csv(tmp_path):
    """12,000 rows, no error, no null, codes with their zeros."""
    n = 12_000
    frame = pl.DataFrame({
        "code_insee": [f"{i % 50 + 1:02d}{i % 20 * 7 + 100:03d}" for i in range(n)],
        "categorie": [["sport", "culture", "social"][i % 3] for i in range(n)],
        "montant": [f"{(i * 37) % 5000}.{i % 100:02d}" for i in range(n)],
        "annee": [str(2020 + i % 5) for i in range(n)],
    })
    path = tmp_path / "propre.csv"
    frame.write_csv(path, separator=";")
    return path


def test_a_clean_large_file_is_ai_ready_on_what_a_bare_file_allows(clean_csv):
    score = ai_fitness_score([scan_file(clean_csv)], now=NOW)
    assert criterion(score, "structure").value == 1.0
    assert criterion(score, "completeness").value == 1.0
    assert criterion(score, "utility").value == 1.0
    # Not assessed without metadata: left out, the other weights scaled back.
    assert score.details["not_assessed"] == ["documentation", "freshness", "provenance"]
    assessed = [c for c in score.criteria if c.value is not None]
    expected = 100 * sum(c.weight * c.value for c in assessed) / sum(c.weight for c in assessed)
    assert score.value == round(expected)
    assert score.gate is None
    # No official schema followed: interoperability keeps only the intact codes.
    interop = criterion(score, "interoperability")
    parts = rubric.INTEROPERABILITY_WEIGHTS
    assert interop.value == pytest.approx(parts["codes"] / (parts["schema"] + parts["codes"]))
    assert "schema.data.gouv.fr" in interop.fix


def test_dataset_score_is_the_rubric_formula(clean_csv):
    facts = full_facts()
    metadata = metadata_score(facts, NOW)
    score = ai_fitness_score([scan_file(clean_csv)], facts, metadata, NOW)
    weighted = sum(rubric.AI_WEIGHTS[c.id] * c.value for c in score.criteria)
    assert score.value == round(100 * score.gate.value * weighted)
    assert score.grade == rubric.grade(score.value)
    assert score.band == rubric.AI_BANDS[score.grade]
    assert score.details["usage"] == "open"
    assert criterion(score, "freshness").value == 1.0
    assert criterion(score, "provenance").value == 1.0


@pytest.mark.parametrize("licence, access, gate, usage", [
    ("fr-lo-2.0", "open", 1.0, "open"),
    ("cc0-1.0", "open", 1.0, "open"),
    ("odbl-1.0", "open", 0.8, "open"),
    ("notspecified", "open", 0.4, "unknown"),
    ("other", "open", 0.6, "agreement_only"),
    ("fr-lo-2.0", "restricted", 0.6, "agreement_only"),
])
def test_the_licence_gate(clean_csv, licence, access, gate, usage):
    score = ai_fitness_score([scan_file(clean_csv)], full_facts(licence=licence, access=access),
                             now=NOW)
    assert (score.gate.value, score.details["usage"]) == (gate, usage)
    assert (score.gate.fix is None) == (gate == 1.0)


def test_structure_is_zero_for_an_unreadable_file_or_encoding_errors(tmp_path):
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    broken = tmp_path / "latin.csv"
    broken.write_bytes("code;commune\n01053;Bourg-en-Bresse\n54395;Nancy é\n".encode()
                       + b"57463;Metz \xff\xfe\n88160;\xc3\x89pinal\n")
    for path in (binary, broken):
        score = ai_fitness_score([scan_file(path)], now=NOW)
        assert criterion(score, "structure").value == 0.0
    report = file_report(scan_file(binary), NOW)
    assert report["status"] == "failed" and report["error"]["type"]
    assert criterion(ai_fitness_score([scan_file(binary)], now=NOW),
                     "completeness").value == 0.0


def test_structure_falls_with_the_rate_of_cell_errors_and_header_problems(tmp_path):
    rows = [[str(i), "a", "b"] for i in range(100)]
    rows[10] = ["10", "a", "b", "extra"]
    rows[20] = ["20", "a"]
    path = write_csv(tmp_path / "ragged.csv", ["id", "x", "x"], rows)
    scan = scan_file(path)
    score = ai_fitness_score([scan], now=NOW)
    # 2 cell errors over 300 cells, times the slope; one duplicate label.
    expected = (1 - rubric.CELL_ERROR_SLOPE * 2 / 300) * (1 - rubric.HEADER_PENALTY)
    assert criterion(score, "structure").value == pytest.approx(expected)
    assert {f.type for f in scan.findings} >= {"extra-cell", "missing-cell", "duplicate-label"}


def test_a_spreadsheet_gets_the_format_factor(tmp_path, clean_csv):
    path = tmp_path / "propre.xlsx"
    pl.read_csv(clean_csv, separator=";", infer_schema=False).head(500).write_excel(path)
    score = ai_fitness_score([scan_file(path)], now=NOW)
    assert criterion(score, "structure").value == pytest.approx(rubric.FORMAT_FACTORS["xlsx"])


def test_completeness_multiplies_nulls_duplicates_and_conformance(tmp_path):
    rows = [[str(i % 50), "" if i % 4 == 0 else "x", "12" if i % 10 else "douze"]
            for i in range(100)]
    path = write_csv(tmp_path / "trous.csv", ["id", "texte", "nombre"], rows)
    scan = scan_file(path)
    columns = scan.profile.columns
    nulls = sum(c.null_rate for c in columns) / 3
    conformance = sum(c.type_conformance for c in columns) / 3
    expected = (1 - nulls) * (1 - scan.profile.duplicate_rate) * conformance
    score = ai_fitness_score([scan], now=NOW)
    assert criterion(score, "completeness").value == pytest.approx(expected)
    assert scan.profile.duplicate_rows > 0 and nulls > 0


def test_utility_counts_volume_and_informative_columns(tmp_path):
    rows = [[str(i), "constante", str(i % 7)] for i in range(1000)]
    path = write_csv(tmp_path / "petit.csv", ["id", "pays", "groupe"], rows)
    score = ai_fitness_score([scan_file(path)], now=NOW)
    # 1000 rows: log10 = 3 of 4; id and the constant column are 2 of 3 columns.
    assert criterion(score, "utility").value == pytest.approx(0.75 * (1 - 2 / 3))


def test_codes_that_lost_their_zeros_are_explained(tmp_path):
    kept = write_csv(tmp_path / "ok.csv", ["code_postal", "ville"],
                     [["08000", "Charleville"], ["54000", "Nancy"], ["01000", "Bourg"]])
    lost = write_csv(tmp_path / "perdu.csv", ["code_postal", "ville"],
                     [["8000", "Charleville"], ["54000", "Nancy"], ["1000", "Bourg"]])
    assert "codes intacts" in criterion(ai_fitness_score([scan_file(kept)], now=NOW),
                                        "interoperability").explanation
    interop = criterion(ai_fitness_score([scan_file(lost)], now=NOW), "interoperability")
    assert "code_postal" in interop.explanation and "texte" in interop.fix


def test_a_declared_official_schema_counts_fully_when_respected(tmp_path):
    example = tmp_path / "irve.csv"
    example.write_bytes(IRVE_EXAMPLE.read_bytes())
    declared = scan_file(example, schema="irve-statique")
    assert declared.schema.origin == "declared" and declared.schema.valid
    facts = full_facts(schema="etalab/schema-irve-statique")
    score = ai_fitness_score([declared], facts, now=NOW)
    assert criterion(score, "interoperability").value == 1.0
    # Without declaring it, the header gives the schema away: it is only guessed.
    guessed = scan_file(example)
    assert guessed.schema.origin == "guessed" and guessed.schema.ref == "irve-statique"
    bare = criterion(ai_fitness_score([guessed], now=NOW), "interoperability")
    parts = rubric.INTEROPERABILITY_WEIGHTS
    assert bare.value == pytest.approx(
        (parts["schema"] * rubric.GUESSED_SCHEMA_CREDIT + parts["codes"])
        / (parts["schema"] + parts["codes"]))
    # Documentation counts the columns the schema describes.
    assert declared.schema.described_columns == declared.columns


def test_a_dataset_without_a_tabular_file_scores_no_structure(tmp_path):
    facts = full_facts()
    score = ai_fitness_score([], facts, metadata_score(facts, NOW), NOW)
    for id_ in ("structure", "completeness", "utility"):
        assert criterion(score, id_).value == 0.0
        assert criterion(score, id_).fix
    assert criterion(score, "interoperability").value < 1


def test_freshness_and_provenance_from_the_facts(clean_csv):
    late = full_facts(updated=NOW - timedelta(days=800))
    assert criterion(ai_fitness_score([], late, now=NOW), "freshness").value == 0.5
    no_hash = full_facts(resources=[ResourceFacts("a.csv", "d", "csv", available=True, url="/a")])
    provenance = criterion(ai_fitness_score([], no_hash, now=NOW), "provenance")
    assert provenance.value == 0.75 and "sha256" in provenance.explanation


@pytest.mark.parametrize("value, grade", [(100, "A"), (80, "A"), (79, "B"), (60, "B"),
                                          (59, "C"), (40, "C"), (39, "D"), (20, "D"),
                                          (19, "E"), (0, "E")])
def test_grades(value, grade):
    assert rubric.grade(value) == grade


def test_a_stored_report_scores_the_same_once_read_back(tmp_path, clean_csv):
    scan = scan_file(clean_csv)
    report = json.loads(json.dumps(file_report(scan, NOW), default=str))
    again = file_report(scan_from_report(report), NOW)
    # The minimisation needs the rows: a dataset takes it from the stored report as it is.
    assert again["scores"]["ai_fitness"] == report["scores"]["ai_fitness"]
    assert again["findings"] == report["findings"]

