"""``ctd log …``: verify the access log and sign checkpoints (messages in French)."""

from __future__ import annotations

import sys

import typer

from catalogue.cli_common import console, errors, operation

log_app = typer.Typer(help="Journal des accès (infalsifiable).", no_args_is_help=True)


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
