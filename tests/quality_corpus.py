"""A corpus of CSV files built from the official SCDL and IRVE Table Schemas: a valid file per
schema, whose values are made from each field's type and constraints, and variants of it that
each break it in one known way. ``tests/test_quality_frictionless.py`` runs ctd and
frictionless on every file and compares their findings.

Values come from the schema JSON: enums are cycled, patterns are synthesised by walking the
regex's parse tree (``re._parser``) with a seeded random choice at each branch and repeat, and
checked against the pattern as frictionless applies it (``^pattern$`` with ``re.match``).
``CHOSEN`` holds the few values written by hand, where a synthesised value would be gibberish
or where leading zeros must be present (INSEE ``01053``, ``2A004``; postal ``08000``).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
import re
import re._constants as sre
import re._parser as sre_parse
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCHEMAS_DIR = SHARED / "reference" / "schemas"
IRVE_EXAMPLE = SCHEMAS_DIR / "irve-statique.exemple-valide.csv"
SCHEMAS = (
    "irve-statique",
    "scdl-budget",
    "scdl-catalogue",
    "scdl-deliberations",
    "scdl-equipements",
    "scdl-menus-collectifs",
    "scdl-prenoms",
    "scdl-subventions",
)
ROWS = 30
# How many bytes frictionless reads to guess a file's encoding (its default buffer size).
FRICTIONLESS_SAMPLE = 100_000

# Hand-written values, cycled over the rows. INSEE and postal codes carry leading zeros and
# Corsica's letters; the names are readable where a synthesised one would be noise.
INSEE = ["01053", "2A004", "08105", "54395", "2B033", "97411", "75056"]
CHOSEN: dict[str, list[str]] = {
    "code_insee_commune": INSEE,
    "menuRestaurantInsee": INSEE,
    "COLL_INSEE": INSEE,
    "ADR_CODEPOSTAL": ["08000", "01000", "20000", "54000"],
    "COMMUNE_NOM": ["Rennes", "Bourg-en-Bresse", "Ajaccio", "Charleville-Mézières", "Le Mans"],
    "ENFANT_PRENOM": ["Adam", "Zoé", "Jean-Pierre", "Anaïs", "Maël", "Léa", "Noé"],
    "ADR_COMMUNE": ["Nancy", "Bourg-en-Bresse", "Épinal", "Saint-Dié"],
    "ADR_NOMVOIE": ["rue de la Paix", "avenue Foch", "place Stanislas", "quai Claude-le-Lorrain"],
    "ADR_CLE_INTEROP": ["54395_0420_00012", "01053_1234_00005", "2A004_0010_00001"],
    "horaires": ["24/7", "Mo-Fr 08:00-12:00,Mo-Fr 14:00-18:00", "Mo-Su 06:00-22:00"],
}
# A value of each type (or string format) that does not parse as it.
BAD_TYPE = {
    "integer": "2.5",
    "number": "douze",
    "date": "2024-02-30",
    "datetime": "2024-13-01T10:00:00Z",
    "year": "20a4",
    "boolean": "peut-être",
    "geopoint": "[200.5,48.3]",
    "array": "agriculture biologique",
    "email": "pas-un-email",
    "uri": "pas une adresse",
}


def load(name: str) -> dict:
    return json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def delimiter_of(name: str) -> str:
    """IRVE files use commas (as its official example); SCDL files semicolons, as French
    spreadsheets export them."""
    return "," if name.startswith("irve") else ";"


# Values


def synthesise(pattern: str, rng: random.Random) -> str:
    """A string matching ``pattern`` as frictionless checks it, or ValueError."""
    check = re.compile(f"^{pattern}$")
    tree = sre_parse.parse(pattern)
    for _ in range(200):
        value = _walk(tree, rng)
        if check.match(value) and "\n" not in value:
            return value
    raise ValueError(f"cannot synthesise a value for {pattern!r}")


def _walk(items, rng: random.Random) -> str:
    out = []
    for op, arg in items:
        if op is sre.LITERAL:
            out.append(chr(arg))
        elif op is sre.IN:
            out.append(_pick(arg, rng))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = arg
            high = min(high, low + 3) if high is not sre.MAXREPEAT else low + 3
            out.extend(_walk(sub, rng) for _ in range(rng.randint(low, high)))
        elif op is sre.SUBPATTERN:
            out.append(_walk(arg[-1], rng))
        elif op is sre.BRANCH:
            out.append(_walk(rng.choice(arg[1]), rng))
        elif op is sre.ANY:
            out.append(rng.choice("abcdefgh"))
        elif op is sre.NOT_LITERAL:
            out.append("x" if chr(arg) != "x" else "y")
        # AT (anchors) and look-arounds write nothing; the final check decides.
    return "".join(out)


def _pick(items, rng: random.Random) -> str:
    if items and items[0][0] is sre.NEGATE:
        banned = _walk([(sre.IN, items[1:])], random.Random(0))
        return "x" if banned != "x" else "y"
    op, arg = rng.choice(items)
    if op is sre.LITERAL:
        return chr(arg)
    if op is sre.RANGE:
        return chr(rng.randint(*arg))
    if op is sre.CATEGORY:
        if arg is sre.CATEGORY_DIGIT:
            return rng.choice("0123456789")
        if arg is sre.CATEGORY_SPACE:
            return " "
        return rng.choice("abcdefghijklmnopqrstuvwxyz")
    raise ValueError(f"unsupported character class item {op}")


def value(spec: dict, row: int, rng: random.Random) -> str:
    """A valid value of ``spec`` for data row ``row`` (0-based), or "" for an optional field
    left empty (every fifth row)."""
    name, kind = spec["name"], spec.get("type", "string")
    fmt = spec.get("format", "default")
    constraints = spec.get("constraints", {})
    if not constraints.get("required") and row % 5 == 4:
        return ""
    if name in CHOSEN:
        return CHOSEN[name][row % len(CHOSEN[name])]
    if "enum" in constraints:
        return str(constraints["enum"][row % len(constraints["enum"])])
    if "pattern" in constraints:
        text = synthesise(constraints["pattern"], rng)
        assert constraints.get("minLength", 0) <= len(text) <= constraints.get("maxLength", 1e9)
        return text
    low, high = constraints.get("minimum"), constraints.get("maximum")
    if kind == "integer":
        low = int(low) if low is not None else 0
        high = int(high) if high is not None else low + 1000
        return str(low + row % (high - low + 1))
    if kind == "number":
        low = float(low) if low is not None else 0.0
        high = float(high) if high is not None else low + 10000
        return str(round(low + (high - low) * ((row * 37) % 100) / 100, 2))
    if kind == "boolean":
        return str(
            (spec.get("trueValues") or ["true"])[0]
            if row % 2
            else (spec.get("falseValues") or ["false"])[0]
        )
    if kind == "date":
        day = date(2024, 1, 1) + timedelta(days=7 * row)
        return day.strftime(fmt if fmt.startswith("%") else "%Y-%m-%d")
    if kind == "datetime":
        return f"2024-05-{1 + row % 28:02d}T14:08:32Z"
    if kind == "year":
        return str(2000 + row % 25)
    if kind == "geopoint":
        lon, lat = 2.35 + row / 100, 48.85 - row / 100
        return f"[{lon},{lat}]" if fmt == "array" else f"{lon},{lat}"
    if kind == "array":
        item = spec.get("arrayItem", {}).get("constraints", {})
        items = item.get("enum") or ["valeur"]
        return json.dumps([items[row % len(items)]], ensure_ascii=False)
    if fmt == "email":
        return f"contact.{row}@exemple-collectivité.fr"
    if fmt == "uri":
        return f"https://exemple.fr/données/{row}"
    text = f"{name} n°{row + 1} à Épinal"
    minimum, maximum = constraints.get("minLength", 0), constraints.get("maxLength")
    if maximum is not None and len(text) > maximum:
        text = f"É{row + 1}"[:maximum]
    return text.ljust(minimum, "x")


def edges(spec: dict, text: str) -> list[tuple[str, str | None]]:
    """Unusual values for ``spec``, made from its valid value ``text``, each with the finding
    frictionless and ctd report for it: None when valid; "ctd-only" for a ``type-error`` that
    only ctd reports, where frictionless is wrong (see ``DIVERGENCES["edge-values"]``). String
    values get theirs from ``string_verdict``."""
    kind, fmt = spec.get("type", "string"), spec.get("format", "default")
    if kind == "integer":
        return [
            (f"+{text}", None),
            (f"0{text}", None),
            (f" {text} ", None),
            (f"{text}.0", "type-error"),
            (f"{text}e0", "type-error"),
        ]
    if kind == "number":
        cases = [
            (f"{text}e0", None),
            (f"+{text}", None),
            (f" {text} ", None),
            (f"{text} €", "type-error"),
            (text.replace(".", ","), "type-error"),
        ]
        if len(text.split(".")[0]) > 1:  # Python's Decimal reads "3_700.0"; Table Schema not
            cases.append((f"{text[0]}_{text[1:]}", "ctd-only"))
        return cases
    if kind == "boolean":
        if "trueValues" in spec:
            return [
                (spec["trueValues"][0], None),
                (spec["falseValues"][0], None),
                (spec["trueValues"][0].title(), "type-error"),
                ("true", "type-error"),
            ]
        return [
            ("TRUE", None),
            ("False", None),
            ("1", None),
            ("0", None),
            ("yes", "type-error"),
            ("true ", "type-error"),
            ("Vrai", "type-error"),
        ]
    if kind == "date":
        return [
            ("2024-1-5", None),
            ("24-01-05", "type-error"),
            (" 2024-01-05", "type-error"),
            ("2024-01-05T00:00:00", "type-error"),
            ("05/01/2024", "type-error"),
        ]
    if kind == "datetime":
        return [
            ("2024-05-01 14:08:32", None),
            ("2024-05-01t14:08:32z", None),
            ("2024-05-01T14:08:32.123+02:00", None),
            ("2024-05-01", "type-error"),
            ("2024-05-01T14:08", "type-error"),
            ("2024-05-01T25:08:32Z", "type-error"),
        ]
    if kind == "year":
        return [
            ("0999", None),
            ("2024 ", "type-error"),
            ("99", "type-error"),
            ("+2024", "type-error"),
        ]
    if kind == "geopoint" and fmt == "array":
        return [
            ("[ 2.35 , 48.85 ]", None),
            ("[-2.35,-48.85]", None),
            ("2.35,48.85", "type-error"),
            ("[2.35,91]", "type-error"),
            ("[181,0]", "type-error"),
            ('["2.35","48.85"]', "ctd-only"),  # strings, not numbers
        ]
    if kind == "array":
        item = spec.get("arrayItem", {})
        allowed = (item.get("constraints") or {}).get("enum") or ["valeur"]
        required = (item.get("constraints") or {}).get("required")
        first = json.dumps(allowed[0], ensure_ascii=False)
        return [
            ("[]", None),
            (f" [ {first} ] ", None),
            (f"[{first}, 1]", "type-error"),
            (f"[[{first}]]", "type-error"),
            ('{"a": 1}', "type-error"),
            ('["hors liste"]', "constraint-error"),
            (f"[{first}, null]", "constraint-error" if required else None),
        ]
    if fmt == "email":
        return [
            ("prénom.nom@exemple-collectivité.fr", None),
            ("a@b.c", "type-error"),
            ("a@b.fr.", "type-error"),
            (" a@b.fr", "type-error"),
            ("a@b", "type-error"),
        ]
    if fmt == "uri":
        return [
            ("mailto:mairie@exemple.fr", None),
            ("urn:isbn:2-07-036822-X", None),
            ("www.exemple.fr", "type-error"),
            ("https://exemple.fr/plan du site", "ctd-only"),  # a space
        ]
    if kind != "string":
        return []
    constraints = spec.get("constraints") or {}
    values = [f"{text} ", text.upper(), " "]
    if "maxLength" in constraints:
        values += ["É" * constraints["maxLength"], "É" * (constraints["maxLength"] + 1)]
    if constraints.get("minLength", 0) > 1:
        values.append("É" * (constraints["minLength"] - 1))
    return [(value, string_verdict(spec, value)) for value in dict.fromkeys(values)]


def string_verdict(spec: dict, text: str) -> str | None:
    """A ``constraint-error`` when the (non-missing) ``text`` breaks the field's enum, pattern
    (as frictionless applies it) or lengths."""
    constraints = spec.get("constraints") or {}
    broken = (
        ("enum" in constraints and text not in constraints["enum"])
        or ("pattern" in constraints and not re.match(f"^{constraints['pattern']}$", text))
        or len(text) < constraints.get("minLength", 0)
        or len(text) > constraints.get("maxLength", len(text))
    )
    return "constraint-error" if broken else None


def valid_rows(schema: dict, rows: int = ROWS, seed: int = 0) -> list[list[str]]:
    """The header (the schema's names in order) and ``rows`` valid data rows."""
    rng = random.Random(seed)
    fields = schema["fields"]
    body = [[value(spec, row, rng) for spec in fields] for row in range(rows)]
    return [[spec["name"] for spec in fields], *body]


def to_csv(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


# Variants

# Where ctd and frictionless differ, by variant, and why. These variants alone have findings
# that only one side reports (``Case.only_ctd``, ``Case.only_frictionless``).
DIVERGENCES = {
    # By design: ctd compares the header with the schema by name, frictionless v5 by position.
    "blank-header": "an all-blank header: ctd reports one blank-header and, comparing by name, "
    "every schema field as a missing-label; frictionless reports a blank-label per column "
    "(its blank-header needs a header without any cell) and checks the cells by position",
    "blank-label": "ctd also reports the field whose label is blank as a missing-label",
    "duplicate-label": "ctd also reports the field whose label became a repeated one as a "
    "missing-label",
    "renamed-label": "ctd reports a renamed column as a missing-label and an extra-label, "
    "frictionless as one incorrect-label",
    # frictionless is wrong.
    "encoding-error": "past its 100 KB sample, frictionless stops at the undecodable byte with "
    "one encoding-error without a row; ctd reports the row and checks every row",
    "encoding-error-in-sample": "with the undecodable byte in its sample, frictionless' "
    "chardet guesses a codec such as cp855 and misreads every accented letter, breaking enums "
    "and patterns (a type or constraint error on accented cells only); ctd reads UTF-8, "
    "reports the row, and the U+FFFD it reads there",
    "pattern-trailing-newline": "frictionless checks a pattern with re.match('^...$'), and "
    "Python's $ also matches before a final line feed: it takes '130025265\\n' as a SIREN "
    "(^\\d{9}$); ctd requires the whole value to match",
    "edge-values": "frictionless accepts a number with an underscore (Python's Decimal), a "
    "URI with a space (rfc3986's validator) and a geopoint array of strings; Table Schema "
    "does not, and ctd reports a type-error",
}

# (type, row number, field number), as the test reduces both tools' findings.
Found = tuple[str, int | None, int | None]


@dataclass
class Case:
    """One corpus file: its bytes, the schema to check it against, the findings both tools
    must report (``expected``) and the documented divergences (``only_ctd``,
    ``only_frictionless``; ``DIVERGENCES`` says why)."""

    id: str
    schema_name: str
    schema: dict
    content: bytes
    delimiter: str
    expected: set[Found] = field(default_factory=set)
    only_ctd: set[Found] = field(default_factory=set)
    only_frictionless: set[Found] = field(default_factory=set)
    # frictionless decodes the file with a wrongly guessed codec: besides ``only_frictionless``
    # it reports a type or constraint error on cells holding accented letters.
    mojibake: bool = False


class Builder:
    """Makes the variants of one schema's valid file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.schema = load(name)
        self.fields = self.schema["fields"]
        self.delimiter = delimiter_of(name)
        self.rows = valid_rows(self.schema)
        self.required = [i for i, f in enumerate(self.fields) if _constraints(f).get("required")]

    def case(self, variant: str, rows=None, schema=None, text=None, **kw) -> Case:
        text = text if text is not None else to_csv(rows or self.rows, self.delimiter)
        return Case(
            id=f"{self.name}-{variant}",
            schema_name=self.name,
            schema=schema or self.schema,
            content=text.encode("utf-8") if isinstance(text, str) else text,
            delimiter=self.delimiter,
            **kw,
        )

    def copy(self) -> list[list[str]]:
        return [list(row) for row in self.rows]

    def cells(self, changes: list[tuple[int, str]]) -> tuple[list[list[str]], list[int]]:
        """A copy where the ``i``-th change (field index, value) goes to data row ``i`` (file
        row ``i + 2``); returns the rows and the file row numbers."""
        assert changes and len(changes) <= ROWS
        rows = self.copy()
        numbers = []
        for i, (index, text) in enumerate(changes):
            rows[1 + i][index] = text
            numbers.append(i + 2)
        return rows, numbers

    def variants(self) -> list[Case]:
        cases = [self.case("valid")]
        cases += [self.blank_header(), self.blank_label(), self.duplicate_label()]
        cases += [self.renamed_label(), self.dropped_last_label(), self.extra_label()]
        cases += [self.blank_rows(), self.extra_cells(), self.missing_cells()]
        cases += [
            self.edge_values(),
            self.type_errors(),
            self.required_empty(),
            *self.encoding_errors(),
        ]
        cases += [self.unique(), self.primary_key()]
        cases += [c for c in (self.enum(), self.patterns(), self.bounds(), self.lengths()) if c]
        cases += [c for c in (self.pattern_trailing_newline(),) if c]
        return cases

    # Header

    def blank_header(self) -> Case:
        rows = [[""] * len(self.fields), *self.rows[1:]]
        numbers = range(1, len(self.fields) + 1)
        return self.case(
            "blank-header",
            rows,
            only_ctd={("blank-header", 1, None)} | {("missing-label", 1, n) for n in numbers},
            only_frictionless={("blank-label", 1, n) for n in numbers},
        )

    def blank_label(self) -> Case:
        index = self.required[1]
        rows = self.copy()
        rows[0][index] = ""
        n = index + 1
        return self.case(
            "blank-label",
            rows,
            expected={("blank-label", 1, n)},
            only_ctd={("missing-label", 1, n)},
        )

    def duplicate_label(self) -> Case:
        index = self.required[1]
        rows = self.copy()
        rows[0][index] = rows[0][index - 1]
        n = index + 1
        return self.case(
            "duplicate-label",
            rows,
            expected={("duplicate-label", 1, n)},
            only_ctd={("missing-label", 1, n)},
        )

    def renamed_label(self) -> Case:
        index = self.required[1]
        rows = self.copy()
        rows[0][index] = rows[0][index] + "_renamed"
        n = index + 1
        return self.case(
            "renamed-label",
            rows,
            only_ctd={("missing-label", 1, n), ("extra-label", 1, n)},
            only_frictionless={("incorrect-label", 1, n)},
        )

    def dropped_last_label(self) -> Case:
        rows = [row[:-1] for row in self.rows]
        return self.case("missing-label", rows, expected={("missing-label", 1, len(self.fields))})

    def extra_label(self) -> Case:
        rows = [[*self.rows[0], "commentaire"], *([*r, "rien à signaler"] for r in self.rows[1:])]
        return self.case("extra-label", rows, expected={("extra-label", 1, len(self.fields) + 1)})

    # Rows

    def blank_rows(self) -> Case:
        """An empty line as file row 4, a line of delimiters only as file row 12."""
        lines = to_csv(self.rows, self.delimiter).splitlines()
        lines.insert(3, "")
        lines.insert(11, self.delimiter * (len(self.fields) - 1))
        return self.case(
            "blank-row",
            text="\n".join(lines) + "\n",
            expected={("blank-row", 4, None), ("blank-row", 12, None)},
        )

    def extra_cells(self) -> Case:
        rows = self.copy()
        rows[4] += ["en trop", "aussi"]
        width = len(self.fields)
        return self.case(
            "extra-cell",
            rows,
            expected={("extra-cell", 5, width + 1), ("extra-cell", 5, width + 2)},
        )

    def missing_cells(self) -> Case:
        """File row 6 loses its last three cells, row 9 all but its first two; a required
        field's missing cell is also a broken ``required`` constraint."""
        rows = self.copy()
        width = len(self.fields)
        expected = set()
        for number, keep in ((6, width - 3), (9, 2)):
            rows[number - 1] = rows[number - 1][:keep]
            for index in range(keep, width):
                expected.add(("missing-cell", number, index + 1))
                if index in self.required:
                    expected.add(("constraint-error", number, index + 1))
        return self.case("missing-cell", rows, expected=expected)

    def encoding_errors(self) -> list[Case]:
        """A cp1252 ``é`` (byte E9) in an otherwise UTF-8 file: once past frictionless' 100 KB
        encoding sample (in a file long enough), once inside it (in file row 7)."""
        long = valid_rows(self.schema, rows=ROWS)
        while len(to_csv(long, self.delimiter).encode("utf-8")) < 1.2 * FRICTIONLESS_SAMPLE:
            long += valid_rows(self.schema, rows=ROWS, seed=len(long))[1:]
        late, late_ctd = self._bad_byte(long, len(long) - 1)
        early, early_ctd = self._bad_byte(self.copy(), 6)
        return [
            self.case(
                "encoding-error",
                text=late,
                only_ctd=late_ctd,
                only_frictionless={("encoding-error", None, None)},
            ),
            self.case(
                "encoding-error-in-sample",
                text=early,
                only_ctd=early_ctd,
                mojibake=True,
            ),
        ]

    def _bad_byte(self, rows: list[list[str]], row: int) -> tuple[bytes, set[Found]]:
        """``rows`` as UTF-8 with the ``é`` of one cell of ``rows[row]`` written in cp1252: in
        a free-text cell, else in a cell whose valid value holds one (then, read as U+FFFD,
        it also breaks the field's pattern for ctd); and the findings ctd reports for it."""
        index = next((i for i, f in enumerate(self.fields) if _is_free_text(f)), None)
        if index is not None:
            rows[row][index] = "café"
        else:
            row, index = next(
                (r, i)
                for r in range(row, len(rows))
                for i, text in enumerate(rows[r])
                if "é" in text
            )
        findings = {("encoding-error", row + 1, None)}
        if "pattern" in _constraints(self.fields[index]):
            findings.add(("constraint-error", row + 1, index + 1))
        rows[row][index] = rows[row][index].replace("é", "\x00", 1)
        content = to_csv(rows, self.delimiter).encode("utf-8").replace(b"\x00", b"\xe9")
        return content, findings

    # Cells

    def edge_values(self) -> Case:
        """Unusual values in every field (``edges``, made from its longest valid value), one
        field's values in consecutive rows."""
        rows = self.copy()
        expected, only_ctd = set(), set()
        for index, spec in enumerate(self.fields):
            longest = max((row[index] for row in self.rows[1:]), key=len)
            for row, (text, verdict) in enumerate(edges(spec, longest), start=2):
                rows[row - 1][index] = text
                if verdict == "ctd-only":
                    only_ctd.add(("type-error", row, index + 1))
                elif verdict:
                    expected.add((verdict, row, index + 1))
        return self.case(
            "edge-values",
            rows,
            expected=expected,
            only_ctd=only_ctd,
        )

    def type_errors(self) -> Case:
        """Every field with a type (or a string format) gets a value of the wrong type."""
        changes = []
        for index, spec in enumerate(self.fields):
            key = spec.get("type", "string")
            key = spec.get("format", key) if key == "string" else key
            if key in BAD_TYPE:
                bad = BAD_TYPE[key]
                if key == "boolean" and "trueValues" in spec:
                    bad = "true"  # a default true value, not one of this field's
                changes.append((index, bad))
        rows, numbers = self.cells(changes)
        expected = {("type-error", n, i + 1) for n, (i, _) in zip(numbers, changes, strict=True)}
        return self.case("type-error", rows, expected=expected)

    def required_empty(self) -> Case:
        changes = [(index, "") for index in self.required]
        rows, numbers = self.cells(changes)
        expected = {
            ("constraint-error", n, i + 1) for n, (i, _) in zip(numbers, changes, strict=True)
        }
        return self.case("required", rows, expected=expected)

    def _constraint_case(self, variant: str, changes: list[tuple[int, str]]) -> Case | None:
        if not changes:
            return None
        rows, numbers = self.cells(changes)
        expected = {
            ("constraint-error", n, i + 1) for n, (i, _) in zip(numbers, changes, strict=True)
        }
        return self.case(variant, rows, expected=expected)

    def enum(self) -> Case | None:
        changes = [
            (i, "valeur hors liste") for i, f in enumerate(self.fields) if "enum" in _constraints(f)
        ]
        return self._constraint_case("enum", changes)

    def patterns(self) -> Case | None:
        changes = [(i, "!!") for i, f in enumerate(self.fields) if "pattern" in _constraints(f)]
        return self._constraint_case("pattern", changes)

    def bounds(self) -> Case | None:
        changes = []
        for index, spec in enumerate(self.fields):
            constraints = _constraints(spec)
            step = 1 if spec.get("type") == "integer" else 0.005
            if "minimum" in constraints:
                changes.append((index, str(constraints["minimum"] - step)))
            if "maximum" in constraints:
                changes.append((index, str(constraints["maximum"] + step)))
        return self._constraint_case("minimum-maximum", changes)

    def lengths(self) -> Case | None:
        changes = []
        for index, spec in enumerate(self.fields):
            constraints = _constraints(spec)
            if spec.get("type", "string") != "string":
                continue
            if constraints.get("minLength", 0) > 1:
                changes.append((index, "ab"[: constraints["minLength"] - 1]))
            if "maxLength" in constraints:
                changes.append((index, "A" * (constraints["maxLength"] + 1)))
        return self._constraint_case("min-max-length", changes)

    def pattern_trailing_newline(self) -> Case | None:
        """A valid value followed by a line feed (a quoted cell over two lines)."""
        index = next((i for i, f in enumerate(self.fields) if "pattern" in _constraints(f)), None)
        if index is None:
            return None
        rows = self.copy()
        rows[7][index] = max((row[index] for row in self.rows[1:]), key=len) + "\n"
        return self.case(
            "pattern-trailing-newline",
            rows,
            only_ctd={("constraint-error", 8, index + 1)},
        )

    # Keys: the official schemas declare no unique field and no primary key, so these variants
    # add one to a copy of the schema, on a required field whose values are all distinct.

    def _key(self) -> int:
        columns = list(zip(*self.rows[1:], strict=True))
        return next(i for i in self.required if len(set(columns[i])) == ROWS)

    def unique(self) -> Case:
        index = self._key()
        schema = copy.deepcopy(self.schema)
        schema["fields"][index].setdefault("constraints", {})["unique"] = True
        rows = self.copy()
        rows[11][index] = rows[2][index]
        return self.case("unique", rows, schema, expected={("unique-error", 12, index + 1)})

    def primary_key(self) -> Case:
        index = self._key()
        schema = copy.deepcopy(self.schema)
        schema["primaryKey"] = [self.fields[index]["name"]]
        rows = self.copy()
        rows[13][index] = rows[3][index]
        return self.case("primary-key", rows, schema, expected={("primary-key", 14, None)})


def _constraints(spec: dict) -> dict:
    return spec.get("constraints") or {}


def _is_free_text(spec: dict) -> bool:
    constraints = _constraints(spec)
    return (
        spec.get("type", "string") == "string"
        and spec.get("format", "default") == "default"
        and not {"enum", "pattern", "maxLength"} & set(constraints)
    )


def corpus() -> list[Case]:
    cases = [case for name in SCHEMAS for case in Builder(name).variants()]
    example = IRVE_EXAMPLE.read_bytes()
    cases.append(
        Case("irve-statique-official-example", "irve-statique", load("irve-statique"), example, ",")
    )
    return cases
