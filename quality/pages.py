"""Pages of the quality package: the quality report on a dataset's page, followed live while
its files are being scanned, and on a committee's page the map of its territory, its
reference-data coverage matrix and its members' scores.

They are built by the functions the JSON API calls (``reports.dataset_quality``,
``coverage.matrix``, ``charts.member_scores``), so a page shows what the API answers; the
map and the chart are the API's own SVGs, fetched by the browser apart from the page.
"""

from __future__ import annotations

from datetime import datetime
from statistics import fmean
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlmodel import Session

from catalogue import auth, datasets, resources
from catalogue.api.deps import SessionDep
from catalogue.errors import Conflict
from catalogue.models import Committee, Dataset
from catalogue.web import render
from catalogue.web.routing import PageActor, add_section, page_router, refuse_forgery
from quality import charts, coverage, datasheet, reports

router = page_router()
render.add_templates("quality")

# --- French wording of what the reports say ---------------------------------------------------

GRADES = {"A": "très bon", "B": "bon", "C": "moyen", "D": "insuffisant", "E": "très insuffisant"}
# What each score measures, for a reader who has never heard of it.
SCORE_HELP = {
    "metadata": "Les informations qui décrivent le jeu de données (licence, couvertures, "
                "fréquence, description, contact…), selon les critères de data.gouv.fr et "
                "de ctd.",
    "ai_fitness": "L'aptitude des fichiers à servir à l'entraînement d'un modèle d'IA : "
                  "documentation, structure, complétude, interopérabilité, utilité, "
                  "fraîcheur et provenance, pondérées par la licence.",
    "minimisation": "La minimisation des données personnelles (RGPD, article 5.1.c) : "
                    "identifiants directs, risque de réidentification, précision des données. "
                    "C'est la note du fichier le moins minimisé.",
}
BANDS = {
    "ai_ready": "prêt pour l'entraînement d'IA", "usable_with_caveats": "utilisable avec réserves",
    "needs_work": "à améliorer avant un usage pour l'IA", "not_fit": "inapte à l'entraînement d'IA",
    "minimised": "données personnelles suffisamment minimisées",
    "dpo_review": "minimisation à revoir avec le délégué à la protection des données",
    "blocked": "ouverture et usage pour l'IA bloqués",
}
# The findings of a scan, in frictionless' vocabulary.
FINDINGS = {
    "blank-header": "ligne d'en-tête vide", "blank-label": "nom de colonne vide",
    "duplicate-label": "nom de colonne en double", "missing-label": "colonne du schéma absente",
    "extra-label": "colonne absente du schéma", "extra-cell": "cellule en trop",
    "missing-cell": "cellule manquante", "blank-row": "ligne vide",
    "type-error": "valeur d'un autre type que sa colonne",
    "constraint-error": "contrainte du schéma non respectée",
    "unique-error": "valeur répétée dans une colonne à valeurs uniques",
    "primary-key": "clé primaire répétée ou vide", "encoding-error": "erreur d'encodage",
    "format-error": "format illisible", "scheme-error": "fichier inaccessible",
    "source-error": "fichier vide ou sans données",
}
SCHEMA_ORIGINS = {"declared": "déclaré par le producteur",
                  "guessed": "reconnu d'après l'en-tête du fichier"}
# Findings shown one by one per file; beyond, their counts by type only.
FINDINGS_SHOWN = 50
TOP_VALUES_SHOWN = 5
REFRESH_MS = 1000
LABELS = {"grades": GRADES, "score_help": SCORE_HELP, "bands": BANDS, "findings": FINDINGS,
          "schema_origins": SCHEMA_ORIGINS, "score_names": datasheet.SCORE_NAMES,
          "verdicts": datasheet.VERDICTS, "ai_training": datasheet.AI_TRAINING,
          "categories": datasheet.CATEGORIES, "kinds": datasheet.KINDS, "types": datasheet.TYPES}
# The map's colourings, as the committee page's query (?carte=…) and the API name them.
MAP_COLOURS = {"couverture": "coverage", "qualite": "quality"}


def install() -> None:
    """Add quality's sections to the catalogue's pages (called where the app is composed)."""
    add_section("dataset", dataset_section)
    add_section("committee", committee_sections)


def _fragment(template: str, request: Request, actor: auth.Actor, **context: Any) -> Markup:
    """A section of another package's page, rendered with the layout's helpers."""
    return Markup(render.env.get_template(template).render(
        request=request, actor=actor, labels=LABELS, percent=datasheet.percent, day=_day,
        **context))


def _day(value: datetime | str | None) -> str:
    """« 24 novembre 2026 », from a datetime or the ISO text of the API."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return render.french_date(value)


# --- a dataset's quality report ---------------------------------------------------------------

def dataset_section(request: Request, session: Session, actor: auth.Actor,
                    dataset: Dataset) -> Markup:
    """The « Qualité » section of a dataset's page: what ``GET /api/v1/datasets/{ref}/quality``
    answers to the same reader, in French; refreshed by the page's script while a scan is
    under way."""
    quality = reports.dataset_quality(session, actor, dataset)
    items = quality["resources"]
    never_scanned = [r for r in items
                     if r["scannable"] and not r["scan_in_progress"] and not _read(r)]
    return _fragment(
        "qualite_jeu_de_donnees.html", request, actor, q=quality, slug=dataset.slug,
        in_progress=[r for r in items if r["scan_in_progress"]], refresh=REFRESH_MS,
        scanned=[r for r in items if r["report"]], read_any=any(map(_read, items)),
        never_scanned=never_scanned,
        can_scan=bool(never_scanned) and actor.publishes_for(dataset.publisher_id),
        fixes=_fixes(quality["scores"]), titles={r["resource_id"]: r["title"] for r in items},
        findings_shown=FINDINGS_SHOWN, top_values_shown=TOP_VALUES_SHOWN)


def _read(item: dict[str, Any]) -> bool:
    """Whether the resource's file was read by a scan. A report without a body read nothing
    (the queue was unreachable): asking again queues a scan (``reports.request_scan``)."""
    return bool(item["report"] and item["report"]["report"])


def _fixes(scores: dict[str, Any]) -> list[str]:
    """What to do to raise the dataset's scores: every criterion's fix, each once."""
    fixes: dict[str, None] = {}
    for name in ("metadata", "ai_fitness", "minimisation"):
        score = scores.get(name) or {}
        for criterion in [*score.get("criteria", []), score.get("gate") or {}]:
            if criterion.get("fix"):
                fixes[criterion["fix"]] = None
    return list(fixes)


@router.post("/jeux-de-donnees/{slug}/analyse")
def scan_dataset(slug: str, request: Request, session: SessionDep, actor: PageActor,
                 csrf: Annotated[str, Form()] = ""):
    """Scan each tabular file of the dataset kept by ctd (its publisher only), as
    ``POST /api/v1/resources/{id}/scan`` does one; back to the page, which follows the scans."""
    if refused := refuse_forgery(request, csrf):
        return refused
    dataset = datasets.find(session, actor, slug)
    scannable = [r for r in resources.list_for(session, dataset) if reports.scannable(r)]
    if not scannable:
        raise Conflict("Ce jeu de données n'a aucun fichier tabulaire gardé par ctd : il n'y "
                       "a rien à analyser.")
    for resource in scannable:
        reports.request_scan(session, actor, resource, dataset)
    return RedirectResponse(f"/jeux-de-donnees/{dataset.slug}#qualite", status_code=303)


# --- a committee's map, coverage matrix and scores --------------------------------------------

def committee_sections(request: Request, session: Session, actor: auth.Actor,
                       committee: Committee) -> Markup:
    """« Carte du territoire », « Couverture des données de référence » and « Scores par
    membre ». The SVGs are only linked (``<img>``): the browser fetches them from the API
    while the page is read; their values are given here again as text."""
    members = coverage.voting_members(session, committee)
    published = charts.published_datasets(session, members)
    # Every published dataset's scores, computed once for the matrix and the chart.
    computed = reports.scores_for(session, published)
    table = coverage.matrix(session, committee, computed)
    scores = charts.member_scores(session, published, computed)
    chosen = request.query_params.get("carte", "")
    colour = MAP_COLOURS.get(chosen, "coverage")
    rows = {row["slug"]: row for row in table["members"]}
    values = [_member_values(member, rows[member.slug], scores.get(member.id, []))
              for member in members]
    return _fragment("qualite_comite.html", request, actor, committee=committee, table=table,
                     members=values, colour=colour, colours=MAP_COLOURS,
                     legend=charts.LEGENDS[colour])


def _member_values(member: Any, row: dict[str, Any], listed: list[dict]) -> dict[str, Any]:
    """What the map and the score chart show of ``member``, as text."""
    def known(name: str) -> list[int]:
        return [s[name] for s in listed if s[name] is not None]

    ai, metadata = known("ai_fitness"), known("metadata")
    return {"slug": member.slug, "name": member.name, "coverage": row["coverage"],
            "published_references": row["published"], "references": len(row["cells"]),
            "datasets": len(listed),
            "ai_mean": round(fmean(ai)) if ai else None,
            "ai_range": (min(ai), max(ai)) if ai else None,
            "metadata_mean": round(fmean(metadata)) if metadata else None}
