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
SCORE_LABELS = {"metadata": "Métadonnées", "ai_fitness": "Aptitude à l'entraînement d'IA",
                "minimisation": "Minimisation des données personnelles"}


class ReportFormat(StrEnum):
    json = "json"
    text = "text"


K_OPTION = typer.Option(
    "--k", min=2, help="Taille minimale des classes de quasi-identifiants (k-anonymat ; "
    "par défaut CTD_MINIMISATION_K, 11).")
QUASI_OPTION = typer.Option(
    "--quasi", help="Quasi-identifiants à retenir, séparés par des virgules (par défaut : "
    "ceux que ctd détecte).")


def score(
    file: Annotated[Path, typer.Argument(help="Fichier à analyser (CSV, XLSX, XLS, ODS, "
                                              "GeoJSON, JSON, Parquet).")],
    schema: Annotated[str | None, typer.Option(
        help="Schéma à vérifier : nom (scdl-subventions, etalab/schema-irve-statique), "
             "fichier JSON ou adresse http(s).")] = None,
    format: Annotated[ReportFormat, typer.Option(
        "--format", help="json (le rapport complet) ou text (un résumé).")] = ReportFormat.json,
    k: Annotated[int | None, K_OPTION] = None,
    quasi: Annotated[str | None, QUASI_OPTION] = None,
) -> None:
    """Analyse un fichier sans base de données : profil, erreurs, données personnelles,
    scores."""
    report, failed = _file_report(file, schema, k, quasi)
    if format == ReportFormat.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        print_summary(report)
    if failed:
        raise typer.Exit(code=1)


def _file_report(file: Path, schema: str | None, k: int | None,
                 quasi: str | None) -> tuple[dict[str, Any], bool]:
    """``file``'s report (``quality.scores.file_report``) and whether it could not be read."""
    from catalogue.config import load_settings
    from quality.scan import SchemaError, scan_file
    from quality.scores import file_report

    if not file.is_file():
        raise fail(f"fichier introuvable : {file}")
    settings = load_settings()
    chosen = [name.strip() for name in quasi.split(",") if name.strip()] if quasi else None
    try:
        scan = scan_file(file, schema=schema, max_bytes=settings.scan_max_bytes,
                         max_columns=settings.scan_max_columns,
                         k=k or settings.minimisation_k, quasi=chosen)
    except SchemaError as error:
        raise fail(f"schéma « {schema} » inutilisable : {error}") from None
    if chosen and scan.rows and not scan.failed:
        unknown = [name for name in chosen if scan.profile and name not in
                   {column.name for column in scan.profile.columns}]
        if unknown:
            raise fail(f"quasi-identifiant(s) absent(s) du fichier : {', '.join(unknown)}")
    return file_report(scan), scan.failed


def minimise(
    file: Annotated[Path, typer.Argument(help="Fichier à minimiser.")],
    apply: Annotated[str | None, typer.Option(
        "--apply", help="Recette à appliquer : un fichier JSON ({\"steps\": [...]}) ou "
        "« auto » (les remèdes proposés par le rapport).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="Fichier à écrire (.csv ou .parquet) ; son rapport est écrit à côté "
        "(.report.json).")] = None,
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.text,
    k: Annotated[int | None, K_OPTION] = None,
    quasi: Annotated[str | None, QUASI_OPTION] = None,
) -> None:
    """Mesure la minimisation d'un fichier et propose des remèdes ; avec --apply et --output,
    écrit la version transformée et son nouveau rapport. La pseudonymisation lit sa clé
    secrète dans CTD_PSEUDONYMISATION_KEY."""
    if apply is None:
        report, failed = _file_report(file, None, k, quasi)
        if format == ReportFormat.json:
            sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str)
                             + "\n")
        else:
            print_summary(report)
        raise typer.Exit(code=1 if failed else 0)
    if output is None:
        raise fail("--apply demande --output, le fichier à écrire.")
    written = _apply_recipe(file, apply, output, k, quasi)
    report, failed = _file_report(written, None, k, quasi)
    report_path = written.with_name(written.name + ".report.json")
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str),
                           encoding="utf-8")
    if format == ReportFormat.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        console.print(f"Fichier minimisé écrit : {written} ; rapport : {report_path}",
                      highlight=False)
        print_summary(report)
    if failed:
        raise typer.Exit(code=1)


def _apply_recipe(file: Path, recipe: str, output: Path, k: int | None,
                  quasi: str | None) -> Path:
    """Write ``output``, ``file`` with ``recipe`` applied; French errors for a bad recipe,
    a missing key or an output that would replace the input."""
    import os
    import tempfile

    from quality.minimisation import RecipeError, apply, parse_recipe
    from quality.read import ReadError, read_table

    if output.suffix.lower() not in (".csv", ".parquet"):
        raise fail("le fichier à écrire doit finir par .csv ou .parquet.")
    if output.exists() and file.exists() and output.resolve() == file.resolve():
        raise fail("le fichier à écrire remplacerait le fichier d'origine.")
    if recipe == "auto":
        report, failed = _file_report(file, None, k, quasi)
        if failed:
            raise fail("le fichier est illisible : rien à minimiser.")
        steps = (report.get("minimisation") or {}).get("recipe") or {"steps": []}
        if not steps["steps"]:
            raise fail("aucun remède proposé : le fichier est déjà minimisé.")
    else:
        try:
            steps = json.loads(Path(recipe).read_text(encoding="utf-8"))
        except OSError as error:
            raise fail(f"recette illisible : {error.strerror} ({recipe})") from None
        except ValueError as error:
            raise fail(f"recette illisible : JSON invalide ({error})") from None
    try:
        table = read_table(file)
        parsed = parse_recipe(steps, list(table.frame.columns))
        key = os.environ.get("CTD_PSEUDONYMISATION_KEY", "").encode()
        if any(step.action == "pseudonymise" for step in parsed) and len(key) < 16:
            raise RecipeError("la pseudonymisation demande une clé secrète d'au moins 16 "
                              "caractères dans CTD_PSEUDONYMISATION_KEY")
        frame = apply(table.frame, parsed, key=key)
    except ReadError as error:
        raise fail(f"fichier illisible ({error.type}) : {error.note}") from None
    except RecipeError as error:
        raise fail(f"recette inapplicable : {error}") from None
    output.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=".ctd-", suffix=output.suffix, dir=output.parent)
    os.close(descriptor)
    try:  # written aside, then moved: never a half-written output
        if output.suffix.lower() == ".parquet":
            frame.write_parquet(name)
        else:
            frame.write_csv(name, separator=table.delimiter or ";")
        os.replace(name, output)
    finally:
        if os.path.exists(name):
            os.unlink(name)
    return output


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
    print_minimisation(report)
    counts = report.get("finding_counts") or {}
    if counts:
        listed = ", ".join(f"{kind} : {count}" for kind, count in sorted(counts.items()))
        console.print(f"Problèmes relevés — {listed}", highlight=False)
    else:
        console.print("Aucun problème de structure ni de schéma relevé.")


VERDICTS = {"open": "ouvrable en données ouvertes", "agreement_only": "partage sous convention",
            "do_not_share": "ne pas partager"}


def print_minimisation(report: dict[str, Any]) -> None:
    """The verdict, the personal data found (columns and kinds, never values) and the
    remedies with the score each would reach."""
    judged = report.get("verdict")
    if judged:
        console.print(f"Verdict : [bold]{VERDICTS[judged['verdict']]}[/] — "
                      + " ".join(judged["reasons"]), highlight=False)
    for detection in report.get("personal") or []:
        console.print(f"  Donnée personnelle — « {detection['column']} » : {detection['reason']}",
                      highlight=False)
    minimisation = report.get("minimisation") or {}
    for remedy in minimisation.get("remedies") or []:
        console.print(f"  Remède : {remedy['label']} → {remedy['score']}/100", highlight=False)
    if minimisation.get("remedies"):
        console.print(f"  Avec tous les remèdes (ctd minimise FICHIER --apply auto) : "
                      f"{minimisation['recipe_score']}/100", highlight=False)


def print_scores(scores: dict[str, Any]) -> None:
    for name, score in scores.items():
        if not score or "criteria" not in score or score["value"] is None:
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
        with console.status(f"Analyse de « {resource.title} » en cours…"):
            report = reports.scan_now(session, resource,
                                      session.get(Dataset, resource.dataset_id), force)
        if not report.body:  # nothing was read (the file is missing): the reason only
            raise fail(report.message or "l'analyse a échoué.")
        out = {**report.body, "scores": report.scores, "status": report.status}
    if format == ReportFormat.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        print_summary({**out, "status": "failed" if report.status == "failed" else "ok"})
    if report.status == "failed":
        raise typer.Exit(code=1)


@app.command("scan-all")
def scan_all(
    publisher: Annotated[str | None, typer.Option(
        help="Seulement les jeux de cette organisation (nom court).")] = None,
    force: Annotated[bool, typer.Option(help="Analyser même les fichiers inchangés.")] = False,
) -> None:
    """Analyse tous les fichiers tabulaires gardés par ctd, avec une barre de progression ;
    un fichier inchangé depuis sa dernière analyse n'est pas relu."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from sqlmodel import select

    from catalogue import organizations
    from catalogue.cli_common import operation
    from catalogue.models import Dataset, Resource
    from quality import reports

    with operation() as session:
        query = select(Resource, Dataset).join(Dataset, Dataset.id == Resource.dataset_id)
        if publisher:
            query = query.where(Dataset.publisher_id == organizations.find(session,
                                                                           publisher).id)
        work = [(r, d) for r, d in session.exec(query.order_by(Resource.id)).all()
                if reports.scannable(r)]
        counts = {"scanned": 0, "kept": 0, "failed": 0}
        columns = (TextColumn("[bold]Analyse des fichiers"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[current]}"), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("", total=len(work), current="")
            for resource, dataset in work:
                bar.update(task, current=f"{dataset.slug} — {resource.title}")
                previous = reports.latest(session, resource_id=resource.id)
                report = reports.scan_now(session, resource, dataset, force)
                outcome = ("failed" if report.status == "failed" else
                           "kept" if previous is not None and report.id == previous.id
                           else "scanned")
                counts[outcome] += 1
                bar.advance(task)
    console.print(f"{len(work)} fichier(s) : {counts['scanned']} analysé(s), "
                  f"{counts['kept']} inchangé(s) depuis leur analyse, "
                  f"{counts['failed']} en échec.", highlight=False)
    if counts["failed"]:
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
    print_minimisation({"verdict": quality["scores"].get("verdict")})
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


class CoverageFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command("coverage")
def committee_coverage(
    committee: Annotated[str, typer.Argument(help="Nom court (slug) du comité.")],
    format: Annotated[CoverageFormat, typer.Option(
        "--format", help="table (la matrice), json ou csv.")] = CoverageFormat.table,
) -> None:
    """Couverture des données de référence d'un comité : quel membre publie quel jeu (SCDL,
    IRVE), s'il est conforme au schéma, ses notes, sa fraîcheur, et ce qu'il reste à
    publier."""
    from catalogue import committees
    from catalogue.cli_common import operation
    from quality import coverage

    with operation() as session:
        table = coverage.matrix(session, committees.find(session, committee))
    if format == CoverageFormat.json:
        sys.stdout.write(json.dumps(table, ensure_ascii=False, indent=2) + "\n")
    elif format == CoverageFormat.csv:
        sys.stdout.write(coverage.to_csv(table))
    else:
        print_coverage(table)


def print_coverage(table: dict[str, Any]) -> None:
    """The matrix (one line per member), the totals, and what each member has to publish."""
    from rich.table import Table

    from quality.grading import percent

    grid = Table("Membre", *(schema["label"] for schema in table["schemas"]), "Couverture",
                 title=f"Données de référence — {table['committee']['name']}")
    for member in table["members"]:
        grid.add_row(member["name"], *(coverage_mark(cell) for cell in member["cells"]),
                     f"{member['published']}/{len(member['cells'])}")
    console.print(grid)
    console.print("✓ conforme (note des métadonnées) · ✗ non conforme (erreurs) · "
                  "? jamais analysé · — non publié", highlight=False)
    totals = table["totals"]
    if not totals["cells"]:
        console.print("Ce comité n'a aucun membre.")
        return
    console.print(f"{totals['published']} publication(s) sur {totals['cells']} attendue(s) "
                  f"({percent(totals['coverage'])}) : {totals['conforming']} conforme(s), "
                  f"{totals['not_conforming']} non conforme(s), {totals['not_scanned']} "
                  "jamais analysée(s).", highlight=False)
    for member in table["members"]:
        for cell in member["cells"]:
            if cell["to_publish"]:
                console.print(f"  {member['name']} — {cell['to_publish']['message']}",
                              highlight=False, soft_wrap=True)


def coverage_mark(cell: dict[str, Any]) -> str:
    if not cell["published"]:
        return "[dim]—[/]"
    if cell["conforms"] is None:
        return "[yellow]?[/]"
    if not cell["conforms"]:
        return f"[red]✗ {cell['errors']}[/]"
    return f"[green]✓ {cell['metadata']['grade']}[/]"
