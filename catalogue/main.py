"""The ``ctd`` entry point.

``ctd score FILE`` needs no database and should answer in well under a second, so it is
dispatched before the whole command tree (FastAPI, SQLModel, Alembic: about 1.3 s of
imports) is loaded; every other command goes through ``catalogue.cli``.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["score"]:
        import typer

        from quality.cli import score

        command = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
        command.command()(score)
        command(args=sys.argv[2:], prog_name="ctd score")
        return
    from catalogue.cli import app

    app()
