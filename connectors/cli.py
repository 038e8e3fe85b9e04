"""``ctd harvest …``: sources and jobs from the command line (messages in French).

The CLI acts as the operator: a source it adds is validated at once.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from catalogue import db
from catalogue.auth import OPERATOR
from catalogue.cli_common import OutputFormat, console, fail, operation, print_record, print_records
from connectors import background as harvest_background
from connectors import harvest, sources
from connectors.models import FINISHED, HarvestJob, JobStatus, Schedule, SourceType
from connectors.schemas import SourceConfig, SourceCreate

app = typer.Typer(help="Moissonnage des catalogues des membres.", no_args_is_help=True)

STATUS_LABELS = {
    JobStatus.pending: "en attente", JobStatus.running: "en cours", JobStatus.done: "terminée",
    JobStatus.done_with_errors: "terminée avec des erreurs", JobStatus.failed: "échouée",
    JobStatus.interrupted: "interrompue",
}


def _config(text: str | None) -> SourceConfig:
    if not text:
        return SourceConfig()
    try:
        value = json.loads(text)
    except ValueError as error:
        raise fail(f"--config n'est pas du JSON valide : {error}") from None
    if not isinstance(value, dict):
        raise fail("--config doit être un objet JSON, par exemple {\"organization\": \"…\"}.")
    return SourceConfig(**value)  # a ValidationError is reported by operation()


@app.command("add")
def add(
    type: Annotated[SourceType, typer.Option("--type", help="Protocole de la source.")],
    url: Annotated[str, typer.Option(help="Adresse du portail, du flux ou du fichier.")],
    organization: Annotated[str, typer.Option(help="Slug de l'organisation propriétaire.")],
    name: Annotated[str, typer.Option(help="Nom de la source (identifiant).")],
    config: Annotated[str | None, typer.Option(help="Réglages en JSON (filtres, défauts).")]
    = None,
    schedule: Annotated[Schedule, typer.Option(help="Fréquence de moisson.")] = Schedule.manual,
) -> None:
    """Ajoute une source de moissonnage (validée d'office depuis la ligne de commande)."""
    db.upgrade()
    with operation() as session:
        source = sources.create(session, OPERATOR, SourceCreate(
            name=name, type=type, url=url, organization=organization, config=_config(config),
            schedule=schedule))
    console.print(f"Source ajoutée et validée : {source.name}")


@app.command("list")
def list_sources(
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Liste les sources de moissonnage et leur dernière moisson."""
    with operation() as session:
        harvest.reap(session)
        records = [sources.source_out(session, s).model_dump(mode="json")
                   for s in sources.list_visible(session, OPERATOR)]
    for record in records:
        last = record["last_job"]
        record["last_status"] = STATUS_LABELS[last["status"]] if last else "jamais moissonnée"
    print_records(records, output, ["name", "type", "organization", "url", "schedule",
                                    "datasets", "last_status"])


@app.command("show")
def show(name: str) -> None:
    """Affiche une source de moissonnage."""
    with operation() as session:
        harvest.reap(session)
        print_record(sources.source_out(session, sources.find(session, OPERATOR, name))
                     .model_dump(mode="json"))


@app.command("validate")
def validate(name: str) -> None:
    """Valide une source (et lève l'alerte qu'une moisson aurait posée)."""
    with operation() as session:
        sources.validate(session, OPERATOR, sources.find(session, OPERATOR, name))
    console.print(f"Source validée : {name}")


@app.command("jobs")
def list_jobs(
    name: str,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Liste les moissons d'une source, de la plus récente à la plus ancienne."""
    with operation() as session:
        harvest.reap(session)
        source = sources.find(session, OPERATOR, name)
        records = [sources.job_out(j, source.name).model_dump(mode="json")
                   for j in sources.jobs(session, source)]
    for record in records:
        record["status"] = STATUS_LABELS[record["status"]]
    print_records(records, output, ["id", "status", "added", "updated", "unchanged", "linked",
                                    "archived", "errored", "started", "finished"])


def _summary(job: HarvestJob) -> str:
    return (f"Moisson n° {job.id} {STATUS_LABELS[job.status]} : {job.added} ajouté(s), "
            f"{job.updated} mis à jour, {job.unchanged} inchangé(s), {job.linked} relié(s) à "
            f"une autre source, {job.archived} archivé(s), {job.errored} en erreur.")


def _bar() -> Progress:
    """The progress bar of a job: datasets read (of the total when known), counts, time."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}"), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True)


def _detail(job: HarvestJob) -> str:
    return f"{job.added} ajoutés · {job.updated} mis à jour · {job.errored} erreurs"


def _report(job: HarvestJob) -> None:
    """The job's outcome; exit 1 if it failed or was interrupted."""
    console.print(_summary(job))
    if job.message:
        console.print(job.message, highlight=False)
    if job.status in (JobStatus.failed, JobStatus.interrupted):
        raise typer.Exit(code=1)


@app.command("run")
def run(
    name: str,
    background: Annotated[bool, typer.Option(
        "--background", help="Confier la moisson aux processus de tâches.")] = False,
    accept_deletions: Annotated[bool, typer.Option(
        "--accept-deletions", help="Archiver même si beaucoup de jeux ont disparu d'un coup.")]
    = False,
) -> None:
    """Moissonne une source jusqu'au bout, avec une barre de progression."""
    db.upgrade()
    with operation() as session:
        source = sources.find(session, OPERATOR, name)
        if background:
            job = harvest_background.queue(session, source, accept_deletions)
        else:
            job = harvest.create_job(session, source)
    if background:
        console.print(f"Moisson n° {job.id} confiée aux processus de tâches "
                      f"(suivi : ctd harvest follow {job.id}).")
        return
    with _bar() as bar:
        task = bar.add_task(f"Moisson de {name}", total=None, detail="")

        def progress(current: HarvestJob, total: int | None) -> None:
            bar.update(task, completed=current.seen, total=total, detail=_detail(current))

        job = harvest.run_job(job.id, accept_deletions=accept_deletions, progress=progress)
    _report(job)


@app.command("follow")
def follow(
    job_id: Annotated[int, typer.Argument(help="Numéro de la moisson.", min=1)],
    timeout: Annotated[float, typer.Option(
        help="Durée maximale du suivi, en secondes.", min=1)] = 3600,
    interval: Annotated[float, typer.Option(
        help="Intervalle entre deux relevés, en secondes.", min=0.1)] = 0.5,
) -> None:
    """Suit une moisson confiée aux processus de tâches, avec une barre de progression,
    jusqu'à sa fin (code de sortie 1 si elle a échoué ou a été interrompue)."""
    deadline = time.monotonic() + timeout
    with _bar() as bar:
        task = None
        while True:
            with operation() as session:
                harvest.reap(session)  # a job whose worker died ends as interrupted
                session.commit()
                job, source = sources.find_job(session, OPERATOR, job_id)
            if task is None:
                task = bar.add_task(f"Moisson de {source.name}", total=None, detail="")
            bar.update(task, completed=job.seen, total=job.expected,
                       detail=f"{STATUS_LABELS[job.status]} · {_detail(job)}")
            if job.status in FINISHED:
                break
            if time.monotonic() >= deadline:
                bar.stop()
                raise fail(f"La moisson n° {job_id} n'est pas finie après {timeout:g} s "
                           f"({STATUS_LABELS[job.status]}, {job.seen} jeux lus) ; "
                           f"reprenez le suivi avec : ctd harvest follow {job_id}")
            time.sleep(interval)
    _report(job)
