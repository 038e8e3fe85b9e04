"""``ctd log …`` (verify the access log, sign checkpoints) and ``ctd agreements …`` (the
monitoring of agreements in force, the list of agreements). Messages in French."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from catalogue.cli_common import OutputFormat, console, errors, operation, print_records

log_app = typer.Typer(help="Journal des accès (infalsifiable).", no_args_is_help=True)
agreements_app = typer.Typer(help="Conventions de partage de données.", no_args_is_help=True)


@log_app.command("verify")
def verify() -> None:
    """Recalcule tout le journal depuis ses entrées : empreintes, arbre, points de contrôle
    et signatures. Code de sortie 1 si une entrée a été modifiée, supprimée ou déplacée."""
    from sharing_agreements import log

    with operation() as session:
        result = log.verify(session)
    if result.ok:
        console.print(f"Journal intègre : {result.size} entrées, racine {result.root} "
                      f"({result.checkpoints} point(s) de contrôle vérifié(s)).",
                      highlight=False, soft_wrap=True)
        return
    what = (f"entrée n° {result.first_bad} — {result.reason}" if result.first_bad is not None
            else result.reason)
    errors.print(f"[bold red]Journal altéré :[/] {what}", highlight=False, soft_wrap=True)
    for problem in result.problems[1:]:
        errors.print(f"  · {problem}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


@log_app.command("checkpoint")
def checkpoint() -> None:
    """Signe un point de contrôle si le journal a grandi et l'affiche (note signée C2SP)."""
    from sharing_agreements import log

    with operation() as session:
        cp = log.checkpoint(session)
        note = log.checkpoint_note(cp)
    console.print(f"Point de contrôle n° {cp.id} : {cp.size} entrées, racine {cp.root_hash}, "
                  f"clé {cp.key_id}.", highlight=False, soft_wrap=True)
    sys.stdout.write(note)


@agreements_app.command("check")
def check() -> None:
    """Suspend les conventions en vigueur dont un devoir est en retard (rapport
    d'utilisation, certificat de suppression) et fait échoir celles dont le terme ou un
    plafond est atteint. Lancée aussi toutes les heures par les processus de tâches."""
    from sharing_agreements import agreements

    with operation() as session:
        result = agreements.check(session)
    for number in result.suspended:
        console.print(f"Convention de la demande n° {number} suspendue : devoir en retard.",
                      highlight=False)
    for number in result.expired:
        console.print(f"Convention de la demande n° {number} échue : clôture ouverte.",
                      highlight=False)
    if not result.suspended and not result.expired:
        console.print("Aucune convention à suspendre ni à faire échoir.")


@agreements_app.command("list")
def list_agreements(output: Annotated[OutputFormat, typer.Option(
        "--format", help="table ou json.")] = OutputFormat.table) -> None:
    """Le registre public des conventions (parties, jeux, finalités, état)."""
    from sharing_agreements import register

    with operation() as session:
        rows = register.entries(session)
    records = [{"numero": r["number"], "version": r["version"], "etat": r["state_label"],
                "collectivite": r["assigner"]["name"], "beneficiaire": r["assignee"]["name"],
                "jeux": ", ".join(d["slug"] for d in r["datasets"]),
                "du": str(r["first_day"]), "au": r["last_day"]} for r in rows]
    print_records(records, output, ["numero", "version", "etat", "collectivite",
                                    "beneficiaire", "jeux", "du", "au"])
