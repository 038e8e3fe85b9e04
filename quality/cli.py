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
    for name, score in report["scores"].items():
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
    counts = report.get("finding_counts") or {}
    if counts:
        listed = ", ".join(f"{kind} : {count}" for kind, count in sorted(counts.items()))
        console.print(f"Problèmes relevés — {listed}", highlight=False)
    else:
        console.print("Aucun problème de structure ni de schéma relevé.")
