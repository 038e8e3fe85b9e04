"""``ctd score FILE`` and ``ctd quality …`` (messages in French).

``ctd score`` needs no database and must start fast: this module imports nothing heavy at
the top, and ``catalogue.main`` reaches it without loading the rest of the command tree.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from catalogue.cli_common import console, fail

app = typer.Typer(help="Qualité des jeux de données.", no_args_is_help=True)

GRADE_COLOURS = {"A": "green", "B": "green", "C": "yellow", "D": "red", "E": "red"}
SCORE_LABELS = {"metadata": "Métadonnées", "ai_fitness": "Aptitude à l'entraînement d'IA"}


class ReportFormat(StrEnum):
    json = "json"
    text = "text"


def score(
    file: Annotated[Path, typer.Argument(help="Fichier à analyser (CSV, XLSX, XLS, ODS, "
                                              "GeoJSON, JSON, Parquet).")],
    schema: Annotated[str | None, typer.Option(
        help="Schéma à vérifier : nom (scdl-subventions, etalab/schema-irve-statique), "
             "fichier JSON ou adresse http(s).")] = None,
    format: Annotated[ReportFormat, typer.Option(
        "--format", help="json (le rapport complet) ou text (un résumé).")] = ReportFormat.json,
) -> None:
    """Analyse un fichier sans base de données : profil, erreurs, scores."""
    from catalogue.config import load_settings
    from quality.scan import SchemaError, scan_file
    from quality.scores import file_report

    if not file.is_file():
        raise fail(f"fichier introuvable : {file}")
    settings = load_settings()
    try:
        scan = scan_file(file, schema=schema, max_bytes=settings.scan_max_bytes,
                         max_columns=settings.scan_max_columns)
    except SchemaError as error:
        raise fail(f"schéma « {schema} » inutilisable : {error}") from None
    report = file_report(scan)
    if format == ReportFormat.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        print_summary(report)
    if scan.failed:
        raise typer.Exit(code=1)


def print_summary(report: dict[str, Any]) -> None:
    """A short French summary of a report: file, scores with their criteria, finding counts."""
    file = report["file"]
    if report["status"] == "failed":
        error = report["error"]
        console.print(f"[bold red]{file['name']} est illisible[/] ({error['type']}) : "
                      f"{error['note']}", highlight=False)
        return
    console.print(f"[bold]{file['name']}[/] — {file['format']}, {file['rows']} ligne(s), "
                  f"{file['columns']} colonne(s), {file['size']} octets", highlight=False)
    print_scores(report["scores"])
    counts = report.get("finding_counts") or {}
    if counts:
        listed = ", ".join(f"{kind} : {count}" for kind, count in sorted(counts.items()))
        console.print(f"Problèmes relevés — {listed}", highlight=False)
    else:
        console.print("Aucun problème de structure ni de schéma relevé.")


def print_scores(scores: dict[str, Any]) -> None:
    for name, score in scores.items():
        if score["value"] is None:
            continue
        colour = GRADE_COLOURS[score["grade"]]
        console.print(f"{SCORE_LABELS.get(name, name)} : [bold {colour}]{score['value']}/100 "
                      f"({score['grade']})[/]", highlight=False)
        for criterion in score["criteria"]:
            value = criterion["value"]
            shown = "—" if value is None else f"{round(100 * value)}"
            console.print(f"  {criterion['label']} : {shown} — {criterion['explanation']}",
                          highlight=False)
            if criterion["fix"]:
                console.print(f"    [italic]À faire :[/] {criterion['fix']}", highlight=False)


@app.command("scan")
def scan_resource(
    resource_id: Annotated[int, typer.Argument(help="Identifiant de la ressource.")],
    force: Annotated[bool, typer.Option(help="Analyser même si le fichier n'a pas changé.")]
    = False,
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.text,
) -> None:
    """Analyse tout de suite le fichier d'une ressource et met à jour les scores du jeu."""
    from catalogue.cli_common import operation
    from catalogue.models import Dataset, Resource
    from quality import reports

    with operation() as session:
        resource = session.get(Resource, resource_id)
        if resource is None:
            raise fail(f"ressource inconnue : {resource_id}")
        if not reports.scannable(resource):
            raise fail("cette ressource n'a pas de fichier tabulaire gardé par ctd "
                       f"(formats lus : {', '.join(sorted(reports.TABULAR_FORMATS))}).")
        report = reports.scan_now(session, resource, session.get(Dataset, resource.dataset_id),
                                  force)
        if not report.body:  # nothing was read (the file is missing): the reason only
            raise fail(report.message or "l'analyse a échoué.")
        out = {**report.body, "scores": report.scores, "status": report.status}
    if format == ReportFormat.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        print_summary({**out, "status": "failed" if report.status == "failed" else "ok"})
    if report.status == "failed":
        raise typer.Exit(code=1)


@app.command("show")
def show_dataset(
    dataset: Annotated[str, typer.Argument(help="Nom court (slug) ou identifiant du jeu.")],
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.text,
) -> None:
    """Affiche les scores d'un jeu de données et l'état de l'analyse de ses ressources."""
    from catalogue import datasets
    from catalogue.auth import OPERATOR
    from catalogue.cli_common import operation
    from quality import reports

    with operation() as session:
        quality = reports.dataset_quality(session, OPERATOR,
                                          datasets.find(session, OPERATOR, dataset))
    if format == ReportFormat.json:
        sys.stdout.write(json.dumps(quality, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    console.print(f"[bold]{quality['dataset']}[/] (grille {quality['rubric_version']})",
                  highlight=False)
    print_scores(quality["scores"])
    for item in quality["resources"]:
        report = item["report"]
        state = ("analyse en cours" if item["scan_in_progress"] else
                 "non analysable" if not item["scannable"] else
                 "pas encore analysée" if report is None else
                 f"échec : {report['message']}" if report["status"] == "failed" else
                 "analysée le " + str(report["finished"])[:16])
        console.print(f"  Ressource {item['resource_id']} « {item['title']} » : {state}",
                      highlight=False)


@app.command("run")
def run_expectations(
    dataset: Annotated[str, typer.Argument(help="Nom court (slug) ou identifiant du jeu.")],
    suite: Annotated[Path | None, typer.Option(
        help="Fichier JSON d'une suite Great Expectations à donner d'abord au jeu.")] = None,
) -> None:
    """Lance la suite Great Expectations du jeu sur ses fichiers et garde le résultat."""
    from catalogue import datasets
    from catalogue.auth import OPERATOR
    from catalogue.cli_common import operation
    from quality import suites

    document = None
    if suite is not None:
        try:
            document = json.loads(suite.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise fail(f"suite illisible ({suite}) : {error}") from None
    with operation() as session:
        found = datasets.find(session, OPERATOR, dataset)
        if document is not None:
            suites.set_suite(session, OPERATOR, found, document)
            session.commit()
        with console.status("Great Expectations : exécution de la suite…"):
            done = suites.run(session, found)
        results = [(r.resource_id, r.status, r.message, r.body) for r in done]
    failed = False
    for resource_id, status, message, body in results:
        if status == "failed":
            failed = True
            console.print(f"Ressource {resource_id} : [red]échec[/] — {message}",
                          highlight=False)
            continue
        stats = body.get("statistics") or {}
        verdict = "[green]toutes satisfaites[/]" if body["success"] else f"[red]{message}[/]"
        failed = failed or not body["success"]
        console.print(f"Ressource {resource_id} : {stats.get('evaluated_expectations', '?')} "
                      f"attente(s) évaluée(s), {verdict}", highlight=False)
        for result in body["results"]:
            if not result["success"]:
                console.print(f"  {result['expectation_type']} ({result.get('column') or '—'})"
                              f" : {result.get('unexpected_count') or 0} valeur(s) en défaut",
                              highlight=False)
    if failed:
        raise typer.Exit(code=1)


@app.command("export")
def export_expectations(
    resource_id: Annotated[int, typer.Argument(help="Identifiant de la ressource.")],
    output: Annotated[Path | None, typer.Option(help="Fichier où écrire la suite.")] = None,
) -> None:
    """Écrit les contrôles de ctd sur une ressource comme une suite Great Expectations."""
    from catalogue.cli_common import operation
    from catalogue.models import Resource
    from quality import suites

    with operation() as session:
        resource = session.get(Resource, resource_id)
        if resource is None:
            raise fail(f"ressource inconnue : {resource_id}")
        suite = suites.export(session, resource)
    text = json.dumps(suite, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"Suite écrite dans {output} ({len(suite['expectations'])} attente(s)).",
                      highlight=False)
