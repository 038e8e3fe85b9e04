"""What a posted form's errors say, in French, field by field.

A form's values are checked by the same models as the API's bodies; pydantic's messages are
English, so the usual ones are said again in French here. A ``CatalogueError`` (already
French) goes on the field it names, if the form has it, else on the whole form (``""``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from catalogue.errors import CatalogueError

# pydantic's error types → French, formatted with the error's ``ctx``.
MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "int_parsing": "Indiquez un nombre entier.",
    "int_from_float": "Indiquez un nombre entier.",
    "decimal_parsing": "Indiquez un nombre.",
    "greater_than": "Indiquez plus de {gt}.",
    "greater_than_equal": "Indiquez au moins {ge}.",
    "less_than_equal": "Indiquez au plus {le}.",
    "string_too_long": "Écrivez au plus {max_length} caractères.",
    "too_short": "Choisissez-en au moins {min_length}.",
    "too_long": "Choisissez-en au plus {max_length}.",
    "string_pattern_mismatch": "La valeur n'a pas la forme attendue.",
    "enum": "Choisissez une des valeurs proposées ({expected}).",
    "literal_error": "Choisissez une des valeurs proposées ({expected}).",
    "bool_parsing": "Valeur inattendue.",
}


def _french(item: Mapping[str, Any]) -> str:
    """One pydantic error, in French."""
    kind = item["type"]
    context = {k: str(v).replace(" or ", " ou ") for k, v in (item.get("ctx") or {}).items()}
    if kind == "value_error":
        text = str((item.get("ctx") or {}).get("error", item["msg"]))
        return text[:1].upper() + text[1:].rstrip(".") + "."
    if "date" in kind:
        return "Indiquez une date valide."
    if kind == "string_too_short":
        return ("Ce champ est obligatoire." if context.get("min_length") == "1"
                else "Écrivez au moins {min_length} caractères.".format(**context))
    try:
        return MESSAGES.get(kind, "Valeur incorrecte.").format(**context)
    except (KeyError, IndexError):
        return "Valeur incorrecte."


def errors_by_field(error: ValidationError | CatalogueError, *, fields: Collection[str] = (),
                    empty: Mapping[str, str] | None = None,
                    lines: Collection[str] = ()) -> dict[str, str]:
    """``{field: message}``, the first error of each field; ``""`` for the whole form.

    ``fields``: the form's fields (a logic error naming another goes to the whole form);
    ``empty``: what to say of a list field left empty; ``lines``: list fields written one
    item per line, whose errors name the line."""
    if isinstance(error, CatalogueError):
        field = next((e["field"] for e in error.errors if e.get("field") in fields), "")
        return {field: error.detail}
    found: dict[str, str] = {}
    for item in error.errors():
        location = item["loc"]
        field = str(location[0]) if location else ""
        message = ""
        if item["type"] in ("too_short", "missing") and empty:
            message = empty.get(field, "")
        message = message or _french(item)
        items = [p for p in location[1:] if isinstance(p, int)]
        if field in lines and items:
            message = f"Ligne {items[0] + 1} : {message[:1].lower()}{message[1:]}"
        found.setdefault(field, message)
    return found
