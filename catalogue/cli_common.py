"""What every ``ctd`` command shares: the consoles, French error exits, output formats.

Light on purpose: ``ctd score`` imports it and must start fast, so the database is imported
only by ``operation``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlmodel import Session

console = Console()
errors = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]Erreur :[/] {message}", highlight=False)
    return typer.Exit(code=1)


@contextmanager
def operation() -> Iterator[Session]:
    """A database session whose errors end the command with a French message and exit 1."""
    from pydantic import ValidationError

    from catalogue import db
    from catalogue.errors import CatalogueError

    try:
        with db.session_scope() as session:
            yield session
    except CatalogueError as error:
        raise fail(error.detail) from None
    except ValidationError as error:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'valeur'} : {e['msg']}"
                            for e in error.errors())
        raise fail(f"données invalides — {details}") from None


def print_records(records: list[dict], output: OutputFormat, columns: list[str]) -> None:
    if output == OutputFormat.json:
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(*columns)
    for record in records:
        table.add_row(*(str(record.get(c) if record.get(c) is not None else "") for c in columns))
    console.print(table)


def print_record(record: dict) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")


