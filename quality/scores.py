"""The metadata and AI-training fitness scores, with an explanation and a fix per criterion
(in French: CDOs read them). Weights and thresholds are in ``quality.rubric``.

The inputs are plain facts (``DatasetFacts``, ``FileScan``), not database rows, so that
``ctd score FILE`` scores a bare file with the same code that scores a catalogue dataset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

from catalogue.vocabularies import ACCESS_TYPE_LABELS
from quality import rubric
from quality.grading import Criterion, Score, percent, total
from quality.profile import header_words
from quality.scan import FileScan
from quality.table import totals


@dataclass
class ResourceFacts:
    title: str
    description: str = ""
    # Lower-case format label (csv, xlsx, pdf…), if known.
    format: str | None = None
    # main, documentation, api, other.
    type: str = "main"
    available: bool = False
    url: str | None = None
    sha256: str | None = None


@dataclass
class DatasetFacts:
    title: str
    description: str = ""
    licence: str | None = None
    # open, restricted or protected.
    access: str = "open"
    temporal: bool = False
    spatial: bool = False
    frequency: str | None = None
    updated: datetime | None = None
    published: datetime | None = None
    publisher: str | None = None
    contact: bool = False
    schema: str | None = None
    keywords: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    url: str | None = None
    resources: list[ResourceFacts] = field(default_factory=list)


# Metadata


def metadata_score(facts: DatasetFacts, now: datetime | None = None) -> Score:
    now = now or datetime.now(UTC)
    w = rubric.METADATA_WEIGHTS
    resources = facts.resources
    closed = sorted({r.format for r in resources if r.format in rubric.CLOSED_FORMATS})
    unavailable = [r.title for r in resources if not r.available]
    on_time, on_time_note = _on_time(facts, now)
    documented = any(r.type == "documentation" for r in resources) or (
        bool(resources) and all(r.description.strip() for r in resources if r.type == "main"))
    chars = len(facts.description.strip())
    licence = facts.licence not in (None, "", rubric.UNSPECIFIED_LICENCE)
    frequency = _frequency_declared(facts)

    def check(id_: str, label: str, met: bool, yes: str, no: str, fix: str) -> Criterion:
        return Criterion(id_, label, w[id_], 1.0 if met else 0.0, yes if met else no,
                         None if met else fix)

    criteria = [
        check("licence", "Licence", licence, f"Licence indiquée : {facts.licence}.",
              "Aucune licence n'est indiquée.",
              "Choisissez une licence (Licence Ouverte 2.0 ou ODbL pour des données ouvertes)."),
        check("temporal_coverage", "Couverture temporelle", facts.temporal,
              "La période couverte est indiquée.", "La période couverte n'est pas indiquée.",
              "Renseignez les dates de début et de fin des données."),
        check("spatial_coverage", "Couverture spatiale", facts.spatial,
              "Le territoire couvert est indiqué.", "Le territoire couvert n'est pas indiqué.",
              "Indiquez les communes, EPCI ou départements couverts."),
        check("frequency", "Fréquence de mise à jour", frequency,
              f"Fréquence indiquée : {facts.frequency}.",
              "La fréquence de mise à jour n'est pas indiquée.",
              "Indiquez la fréquence de mise à jour (annuelle, mensuelle, irrégulière…)."),
        check("update_on_time", "Mise à jour à l'heure", on_time, on_time_note, on_time_note,
              "Publiez une version à jour, ou corrigez la fréquence annoncée."),
        check("description", "Description", chars > rubric.DESCRIPTION_MIN_CHARS,
              f"La description compte {chars} caractères.",
              f"La description compte {chars} caractères ; il en faut plus de "
              f"{rubric.DESCRIPTION_MIN_CHARS}.",
              "Décrivez le contenu, la méthode de production et les limites des données."),
        check("open_formats", "Formats ouverts", bool(resources) and not closed,
              "Toutes les ressources sont dans des formats ouverts.",
              f"Formats fermés : {', '.join(closed)}." if closed else "Aucune ressource.",
              "Publiez aussi les données en CSV, GeoJSON ou Parquet."),
        check("resources_available", "Ressources disponibles",
              bool(resources) and not unavailable, "Toutes les ressources sont disponibles.",
              f"Ressources indisponibles : {', '.join(unavailable[:5])}." if unavailable
              else "Aucune ressource.",
              "Déposez le fichier ou corrigez son adresse."),
        check("documentation", "Documentation", documented,
              "Les ressources sont documentées.",
              "Aucune ressource de documentation, et des ressources sans description.",
              "Ajoutez une documentation (dictionnaire des variables) ou décrivez chaque "
              "ressource."),
        check("contact_point", "Point de contact", facts.contact,
              "Un point de contact est indiqué.", "Aucun point de contact.",
              "Indiquez un nom et une adresse électronique de contact."),
        check("schema", "Schéma déclaré", bool(facts.schema),
              f"Schéma déclaré : {facts.schema}.", "Aucun schéma de données n'est déclaré.",
              "Déclarez le schéma suivi (schema.data.gouv.fr) s'il en existe un."),
        check("keywords", "Mots-clés", bool(facts.keywords),
              f"{len(facts.keywords)} mot(s)-clé(s).", "Aucun mot-clé.",
              "Ajoutez quelques mots-clés."),
        check("themes", "Thèmes", bool(facts.themes), f"Thèmes : {', '.join(facts.themes)}.",
              "Aucun thème.", "Rattachez le jeu de données à un thème."),
    ]
    score = total("metadata", criteria)
    met = sum(1 for c in criteria if c.id in rubric.DATAGOUV_CRITERIA and c.value == 1.0)
    score.details["datagouv_score"] = round(met / len(rubric.DATAGOUV_CRITERIA), 4)
    return score


def _frequency_declared(facts: DatasetFacts) -> bool:
    return bool(facts.frequency) and facts.frequency not in rubric.UNDECLARED_FREQUENCIES


def _on_time(facts: DatasetFacts, now: datetime) -> tuple[bool, str]:
    if not _frequency_declared(facts):
        return False, "Sans fréquence annoncée, l'actualité des données ne peut être jugée."
    days = rubric.FREQUENCY_DAYS.get(facts.frequency or "")
    if days is None:
        return True, f"La fréquence {facts.frequency} n'impose pas d'échéance."
    if facts.updated is None:
        return False, "La date de dernière mise à jour est inconnue."
    # Dates rather than ages: the explanation changes only when the verdict does, so the
    # dataset's report history is not written again each day.
    deadline = facts.updated + timedelta(days=days + rubric.ON_TIME_TOLERANCE_DAYS)
    updated, due = facts.updated.date().isoformat(), deadline.date().isoformat()
    if now <= deadline:
        return True, (f"Mis à jour le {updated} ; la fréquence annoncée ({facts.frequency}) "
                      f"appelle la prochaine mise à jour avant le {due}.")
    return False, (f"Mis à jour le {updated} ; la fréquence annoncée ({facts.frequency}) "
                   f"appelait une mise à jour avant le {due}.")


# AI-training fitness


def ai_fitness_score(
    scans: list[FileScan],
    facts: DatasetFacts | None = None,
    metadata: Score | None = None,
    now: datetime | None = None,
) -> Score:
    """Score the files ``scans`` of a dataset (or one bare file when ``facts`` is None)."""
    now = now or datetime.now(UTC)
    w = rubric.AI_WEIGHTS
    readable = [scan for scan in scans if not scan.failed]
    criteria = [
        Criterion("documentation", "Documentation", w["documentation"],
                  *_documentation(scans, facts, metadata)),
        Criterion("structure", "Structure", w["structure"], *_structure(scans)),
        Criterion("completeness", "Complétude", w["completeness"], *_completeness(readable)),
        Criterion("interoperability", "Interopérabilité", w["interoperability"],
                  *_interoperability(readable, facts)),
        Criterion("utility", "Utilité pour l'apprentissage", w["utility"], *_utility(readable)),
        Criterion("freshness", "Fraîcheur", w["freshness"], *_freshness(facts, now)),
        Criterion("provenance", "Provenance", w["provenance"], *_provenance(facts)),
    ]
    gate, usage = _licence_gate(facts)
    score = total("ai_fitness", criteria, gate)
    score.band = rubric.AI_BANDS.get(score.grade or "")
    score.details["usage"] = usage
    score.details["not_assessed"] = [c.id for c in criteria if c.value is None]
    return score


Assessment = tuple[float | None, str, str | None]
NO_FILE = (0.0, "Aucun fichier tabulaire lisible n'a été analysé.",
           "Publiez les données dans un fichier tabulaire (CSV, Parquet, GeoJSON).")
NO_METADATA = (None, "Non évalué : un fichier seul n'a pas de métadonnées.", None)


def _licence_gate(facts: DatasetFacts | None) -> tuple[Criterion | None, str | None]:
    if facts is None:
        return None, None
    label = "Licence (condition)"
    open_factor = rubric.OPEN_LICENCES.get(facts.licence or "")
    if facts.access != "open":
        access = ACCESS_TYPE_LABELS.get(facts.access, facts.access)
        return Criterion("licence_gate", label, 1.0, rubric.AGREEMENT_ONLY_GATE,
                         f"Jeu de données en accès {access} : utilisable pour l'entraînement "
                         "seulement dans le cadre d'une convention.",
                         "Ouvrez les données si rien ne s'y oppose, ou passez une convention "
                         "de partage."), "agreement_only"
    if open_factor is not None:
        note = ("licence ouverte" if open_factor == 1.0
                else "licence à partage à l'identique : les modèles dérivés en héritent")
        return Criterion("licence_gate", label, 1.0, open_factor,
                         f"Licence {facts.licence} : {note}.",
                         None if open_factor == 1.0 else
                         "Envisagez la Licence Ouverte 2.0 si le partage à l'identique "
                         "n'est pas voulu."), "open"
    if facts.licence in (None, "", rubric.UNSPECIFIED_LICENCE):
        return Criterion("licence_gate", label, 1.0, rubric.UNSPECIFIED_LICENCE_GATE,
                         "Licence non précisée : la réutilisation n'est pas sûre.",
                         "Choisissez une licence."), "unknown"
    return Criterion("licence_gate", label, 1.0, rubric.AGREEMENT_ONLY_GATE,
                     f"Licence {facts.licence} : elle n'est pas une licence ouverte ; "
                     "entraînement seulement dans le cadre d'une convention.",
                     "Publiez sous Licence Ouverte 2.0, CC-BY ou ODbL."), "agreement_only"


def _documentation(scans: list[FileScan], facts: DatasetFacts | None,
                   metadata: Score | None) -> Assessment:
    parts = rubric.DOCUMENTATION_WEIGHTS
    checked = [s for s in scans if s.schema is not None and s.schema.origin != "inferred"]
    columns = sum(s.columns for s in scans if not s.failed)
    described = sum(s.schema.described_columns for s in checked)
    column_share = described / columns if columns else 0.0
    if facts is None:
        if not checked:
            return NO_METADATA
        return (column_share, f"{described} colonne(s) sur {columns} décrite(s) par le schéma "
                f"{checked[0].schema.ref}.", None if column_share == 1 else
                "Décrivez chaque colonne dans le schéma.")
    croissant = {
        "name": bool(facts.title), "description": bool(facts.description.strip()),
        "license": facts.licence not in (None, "", rubric.UNSPECIFIED_LICENCE),
        "url": bool(facts.url), "creator": bool(facts.publisher),
        "datePublished": facts.published is not None,
    }
    croissant_share = sum(croissant.values()) / len(croissant)
    metadata_share = (metadata.value or 0) / 100 if metadata is not None else 0.0
    value = (parts["metadata"] * metadata_share + parts["croissant"] * croissant_share
             + parts["columns"] * column_share)
    missing = [name for name, ok in croissant.items() if not ok]
    explanation = (f"Métadonnées {percent(metadata_share)} ; champs Croissant requis "
                   f"{percent(croissant_share)}"
                   + (f" (manquent : {', '.join(missing)})" if missing else "")
                   + f" ; colonnes décrites {described} sur {columns}.")
    fix = None
    if value < 1:
        fix = ("Complétez les métadonnées et déclarez un schéma qui décrit chaque colonne "
               "(dictionnaire des variables).")
    return value, explanation, fix


def _structure(scans: list[FileScan]) -> Assessment:
    if not scans:
        return NO_FILE
    values, notes = [], []
    for scan in scans:
        if scan.failed:
            values.append(0.0)
            notes.append(f"{scan.name} : illisible ({scan.error.type} : {scan.error.note})")
            continue
        counts = totals(scan.findings)
        if scan.schema is not None and scan.schema.origin == "inferred":
            # Values off a column's own dominant type count in completeness, not here.
            counts.pop("type-error", None)
        if counts.get("encoding-error"):
            values.append(0.0)
            notes.append(f"{scan.name} : {counts['encoding-error']} erreur(s) d'encodage")
            continue
        cells = max(1, scan.rows * max(1, scan.columns))
        cell_errors = sum(n for t, n in counts.items() if t in rubric.CELL_ERRORS)
        header = sum(n for t, n in counts.items() if t in rubric.HEADER_ERRORS)
        factor = rubric.FORMAT_FACTORS.get(scan.format or "", 0.5)
        rate = cell_errors / cells
        value = (factor * max(0.0, 1 - rubric.CELL_ERROR_SLOPE * rate)
                 * (1 - min(rubric.HEADER_PENALTY_MAX, rubric.HEADER_PENALTY * header)))
        values.append(value)
        notes.append(f"{scan.name} : {cell_errors} cellule(s) en erreur sur {cells} "
                     f"({percent(rate)}), {header} problème(s) d'en-tête, format "
                     f"{scan.format} (facteur {factor:g})")
    value = fmean(values)
    fix = None
    if value < 1:
        fix = ("Corrigez les erreurs listées (cellules en trop ou manquantes, types, "
               "contraintes, en-têtes) et publiez en CSV UTF-8 ou Parquet.")
    return value, "; ".join(notes) + ".", fix


def _completeness(scans: list[FileScan]) -> Assessment:
    if not scans:
        return NO_FILE
    values, notes = [], []
    for scan in scans:
        profile = scan.profile
        columns = profile.columns if profile else []
        nulls = fmean(c.null_rate for c in columns) if columns else 1.0
        conformance = fmean(c.type_conformance for c in columns) if columns else 0.0
        duplicates = profile.duplicate_rate if profile else 0.0
        values.append((1 - nulls) * (1 - duplicates) * conformance)
        notes.append(f"{scan.name} : {percent(nulls)} de valeurs manquantes, "
                     f"{percent(duplicates)} de lignes en double, types respectés à "
                     f"{percent(conformance)}")
    value = fmean(values)
    fix = None
    if value < 1:
        fix = ("Complétez les valeurs manquantes ou retirez les colonnes vides, supprimez les "
               "lignes en double et corrigez les valeurs d'un autre type que leur colonne.")
    return value, "; ".join(notes) + ".", fix


def _lost_zero_columns(scan: FileScan) -> list[str]:
    """Digit columns whose header names a code (INSEE, postal, SIREN, SIRET) and with values
    shorter than the code: a spreadsheet typed them as numbers and dropped their zeros."""
    lost = []
    for column in scan.profile.columns if scan.profile else []:
        if column.type not in ("code", "integer") or column.min_width is None:
            continue
        words = header_words(column.name)
        widths = [rubric.CODE_WIDTHS[w] for w in words if w in rubric.CODE_WIDTHS]
        if widths and column.min_width < max(widths):
            lost.append(column.name)
    return lost


def _interoperability(scans: list[FileScan], facts: DatasetFacts | None) -> Assessment:
    parts = rubric.INTEROPERABILITY_WEIGHTS
    assessed: list[tuple[float, float]] = []
    notes: list[str] = []
    fixes: list[str] = []
    if scans:
        schema_values = []
        for scan in scans:
            check = scan.schema
            if check is None or check.origin == "inferred":
                schema_values.append(0.0)
                notes.append(f"{scan.name} ne suit aucun schéma officiel reconnu")
            elif check.origin == "guessed" and not (facts and facts.schema):
                schema_values.append(rubric.GUESSED_SCHEMA_CREDIT)
                notes.append(f"{scan.name} ressemble au schéma {check.ref}, non déclaré")
                fixes.append(f"Déclarez le schéma {check.ref} et rendez le fichier conforme.")
            else:
                present = [f for f in check.fields if f["present"]]
                clean = sum(1 for f in present if not f["errors"])
                share = clean / len(check.fields) if check.fields else 0.0
                schema_values.append(1.0 if check.valid else 0.5 + 0.5 * share)
                notes.append(f"{scan.name} : schéma {check.ref} "
                             + ("respecté" if check.valid else
                                f"{clean} champ(s) sans erreur sur {len(check.fields)}"))
                if not check.valid:
                    fixes.append(f"Rendez le fichier conforme au schéma {check.ref}.")
        if not any(s.schema and s.schema.origin != "inferred" for s in scans):
            fixes.append("Suivez un schéma de schema.data.gouv.fr s'il en existe un pour ces "
                         "données.")
        assessed.append((parts["schema"], fmean(schema_values)))
        lost = [f"{scan.name}:{name}" for scan in scans for name in _lost_zero_columns(scan)]
        assessed.append((parts["codes"], 0.0 if lost else 1.0))
        if lost:
            notes.append(f"codes sans leurs zéros initiaux : {', '.join(lost[:5])}")
            fixes.append("Enregistrez les codes (INSEE, postaux, SIREN) comme du texte.")
        else:
            notes.append("codes intacts")
    elif facts is not None:
        assessed.append((parts["schema"], 0.0))
        notes.append("aucun fichier tabulaire analysé, donc aucun schéma suivi")
    if facts is not None:
        assessed.append((parts["temporal"], 1.0 if facts.temporal else 0.0))
        assessed.append((parts["spatial"], 1.0 if facts.spatial else 0.0))
        notes.append(f"couverture temporelle {'déclarée' if facts.temporal else 'absente'}, "
                     f"spatiale {'déclarée' if facts.spatial else 'absente'}")
        if not (facts.temporal and facts.spatial):
            fixes.append("Déclarez les couvertures temporelle et spatiale.")
    if not assessed:
        return NO_FILE
    value = sum(w * v for w, v in assessed) / sum(w for w, _ in assessed)
    return value, "; ".join(notes) + ".", " ".join(fixes) or None


def _utility(scans: list[FileScan]) -> Assessment:
    if not scans:
        return NO_FILE
    values, notes = [], []
    for scan in scans:
        columns = scan.profile.columns if scan.profile else []
        volume = min(1.0, math.log10(scan.rows) / rubric.UTILITY_LOG_ROWS) if scan.rows else 0
        idle = [c.name for c in columns if c.constant or c.id_like]
        share = len(idle) / len(columns) if columns else 1.0
        values.append(max(0.0, volume) * (1 - share))
        notes.append(f"{scan.name} : {scan.rows} ligne(s), {len(idle)} colonne(s) constante(s) "
                     f"ou identifiant(s) sur {len(columns)}")
    value = fmean(values)
    fix = None
    if value < 1:
        fix = ("Un jeu utile à l'apprentissage a assez de lignes (10 000 ou plus) et des "
               "colonnes informatives : retirez les colonnes constantes.")
    return value, "; ".join(notes) + ".", fix


def _freshness(facts: DatasetFacts | None, now: datetime) -> Assessment:
    if facts is None:
        return NO_METADATA
    declared = _frequency_declared(facts)
    on_time, note = _on_time(facts, now)
    value = 0.5 * declared + 0.5 * on_time
    return value, note, None if value == 1 else (
        "Annoncez une fréquence de mise à jour et tenez-la.")


def _provenance(facts: DatasetFacts | None) -> Assessment:
    if facts is None:
        return NO_METADATA
    resources = facts.resources
    items = {
        "éditeur": bool(facts.publisher),
        "date de modification": facts.updated is not None,
        "empreintes sha256": bool(resources) and all(r.sha256 for r in resources),
        "adresse des fichiers": bool(resources) and all(r.url for r in resources),
    }
    value = sum(items.values()) / len(items)
    missing = [name for name, ok in items.items() if not ok]
    explanation = ("Provenance complète." if not missing
                   else f"Manquent : {', '.join(missing)}.")
    return value, explanation, None if not missing else (
        "Déposez les fichiers sur ctd (empreinte calculée) ou moissonnez-les avec "
        "téléchargement des fichiers.")


def file_report(scan: FileScan, now: datetime | None = None) -> dict[str, Any]:
    """The report of a bare file (``ctd score FILE``): its scores, findings, schema check,
    profile, personal data and minimisation, as JSON-ready data. Values of columns holding
    personal data are not quoted (profile extremes and top values, finding notes)."""
    from quality.minimisation import verdict

    data = scan.to_dict()
    findings = data.pop("findings")
    error = data.pop("error")
    personal, minimisation = data.pop("personal"), data.pop("minimisation") or {}
    hidden = {d["column"] for d in personal if d["kind"] not in rubric.QUOTABLE_KINDS}
    scores = {"ai_fitness": ai_fitness_score([scan], now=now).to_dict()}
    if minimisation:
        scores["minimisation"] = minimisation.pop("score")
    judged = verdict(scores.get("minimisation"), personal)
    overrule(scores["ai_fitness"], judged)
    return {
        "status": "failed" if scan.failed else "ok",
        "rubric_version": rubric.VERSION,
        "file": {key: data.pop(key) for key in (
            "name", "size", "sha256", "format", "encoding", "delimiter", "decimal_comma",
            "rows", "columns")},
        "scores": scores,
        "verdict": judged,
        "error": error,
        "findings": [_without_value(f) if f.get("field_name") in hidden else f
                     for f in findings],
        "finding_counts": totals(scan.findings),
        "schema": data.pop("schema"),
        "schema_guesses": data.pop("schema_guesses"),
        "profile": _without_values(data.pop("profile"), hidden),
        "personal": personal,
        "minimisation": minimisation or None,
        "seconds": round(scan.seconds, 3),
    }


def overrule(ai_fitness: dict[str, Any], judged: dict[str, Any]) -> None:
    """A ``do_not_share`` verdict makes the data unfit for AI training, whatever its score."""
    if judged["verdict"] == "do_not_share" and ai_fitness.get("value") is not None:
        ai_fitness["band"] = "not_fit"
        ai_fitness["details"]["band_set_by"] = "minimisation"


def _without_value(finding: dict[str, Any]) -> dict[str, Any]:
    return {**finding, "note": "The value is not shown: the column holds personal data."}


def _without_values(profile: dict[str, Any] | None, hidden: set[str]) -> dict[str, Any] | None:
    if not profile or not hidden:
        return profile
    return {**profile, "columns": [
        {**column, "min": None, "max": None, "top_values": []}
        if column["name"] in hidden else column for column in profile["columns"]]}


def scan_from_report(report: dict[str, Any]) -> FileScan:
    """The ``FileScan`` a stored ``file_report`` was made from, to score a dataset again from
    its resources' reports without reading their files. Raises ``TypeError`` or ``KeyError``
    for a report that lacks what a scan needs."""
    from quality.profile import ColumnProfile, Profile
    from quality.scan import SchemaCheck
    from quality.table import Finding

    def build(cls: type, data: dict[str, Any]) -> Any:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    file = report["file"]
    profile = report.get("profile")
    return FileScan(
        **{key: file[key] for key in ("name", "size", "sha256", "format", "encoding",
                                      "delimiter", "decimal_comma", "rows", "columns")},
        profile=Profile(
            rows=profile["rows"], duplicate_rows=profile["duplicate_rows"],
            columns=[build(ColumnProfile, c) for c in profile["columns"]]) if profile else None,
        findings=[build(Finding, f) for f in report.get("findings") or []],
        schema=build(SchemaCheck, report["schema"]) if report.get("schema") else None,
        schema_guesses=[tuple(g) for g in report.get("schema_guesses") or []],
        error=build(Finding, report["error"]) if report.get("error") else None,
    )
