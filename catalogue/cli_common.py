"""What every ``ctd`` command shares: the consoles, French error exits, output formats."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from catalogue import db
from catalogue.errors import CatalogueError

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


