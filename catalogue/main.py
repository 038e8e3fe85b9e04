"""The ``ctd`` entry point.

``ctd score FILE`` and ``ctd minimise FILE`` need no database, and ``ctd score`` should
answer in well under a second, so they are dispatched before the whole command tree
(FastAPI, SQLModel, Alembic: about 1.3 s of imports) is loaded; every other command goes
through ``catalogue.cli``.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] in (["score"], ["minimise"]):
        import typer

        from quality import cli

        command = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
        command.command()(getattr(cli, sys.argv[1]))
        command(args=sys.argv[2:], prog_name=f"ctd {sys.argv[1]}")
        return
    from catalogue.cli import app

    app()
