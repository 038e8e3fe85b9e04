"""SCDL catalogue connector: a CSV file with one row per dataset, following the « Catalogue
simplifié » schema of OpenDataFrance (``scdl-catalogue.schema.json``).

Cursor: ``{"sha256", "etag", "last_modified"}`` of the file. A 304 or the same bytes mean the
whole catalogue is unchanged: nothing is yielded and ``unchanged`` is set.

Rows are checked for what ctd cannot do without: an ID, a title and an http(s) URL, and
readable dates when dates are given; a row failing that is an ``ItemError`` naming its line
and field, and the other rows come through. The schema's other constraints (SIRET, enums…)
are for a validator to report, not a reason to drop a dataset. A file whose header lacks
those columns is not a SCDL catalogue: ``FetchError(stage="parse")``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from catalogue.fetch import Fetcher, FetchError, Response
from catalogue.text import fold
from connectors import mapping
from connectors.records import Gathering, ItemError, RemoteDataset, RemoteResource

REQUIRED = ("ID", "TITRE", "URL")
DATES = ("COUV_TEMP_DEBUT", "COUV_TEMP_FIN", "DATE_MAJ", "DATE_PUBL")
ACCEPT = "text/csv, text/plain;q=0.8, */*;q=0.1"
_BOM = b"\xef\xbb\xbf"
_SEPARATORS = re.compile(r"[;,]")
_HTML = re.compile(r"\s*(<!doctype html|<html)", re.IGNORECASE)
# The schema's update frequencies (folded) whose EU code the shared mapping does not find.
_FREQUENCIES = {
    "continuelle": "CONT", "toutes les heures": "HOURLY",
    "quotidienne ou plusieurs fois par jour": "DAILY",
    "hebdomadaire ou plusieurs fois par semaine": "WEEKLY",
    "mensuelle ou plusieurs fois par mois": "MONTHLY", "bimestrielle": "BIMONTHLY",
    "biennale": "BIENNIAL", "triennale": "TRIENNIAL", "quinquennale": "OTHER",
}
# The code shape of the INSEE areas of each spatial mesh (COUV_SPAT_MAILLE, folded).
_INSEE_CODES = {"communale": re.compile(r"\d{5}|2[AB]\d{3}"),
                "departementale": re.compile(r"\d{2,3}|2[AB]"),
                "regionale": re.compile(r"\d{2}")}


class RowError(ValueError):
    """A row that cannot give a dataset; its message names the line and the field."""


def gather(gathering: Gathering, fetcher: Fetcher) -> Iterator[RemoteDataset | ItemError]:
    previous = json.loads(gathering.cursor or "{}")
    response = fetcher.get(gathering.url, headers={"Accept": ACCEPT},
                           etag=previous.get("etag"),
                           last_modified=previous.get("last_modified"))
    if response.not_modified and previous:
        gathering.new_cursor, gathering.unchanged = gathering.cursor, True
        return
    digest = hashlib.sha256(response.content).hexdigest()
    gathering.new_cursor = json.dumps({"sha256": digest, "etag": response.headers.get("etag"),
                                       "last_modified": response.headers.get("last-modified")})
    if previous.get("sha256") == digest:
        gathering.unchanged = True
        return
    rows = _rows(response, gathering.url)
    gathering.total = len(rows)
    present: set[str] = set()
    for line, row in rows:
        remote_id = (row.get("ID") or "").strip() or None
        if remote_id in present:
            yield ItemError(remote_id, "map", f"line {line}: ID {remote_id!r} is on an "
                            "earlier line already; the first one is kept")
            continue
        if remote_id is not None:
            # Listed even when the row is wrong: a bad row does not delete its dataset.
            present.add(remote_id)
        try:
            yield _dataset(row, line)
        except RowError as error:
            yield ItemError(remote_id, "map", str(error), remote_url=_web(row.get("URL")))
    gathering.present = present


def _rows(response: Response, url: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows with the line each starts on, keyed by upper-case column name."""
    text = _decode(response.content)
    if _HTML.match(text):
        raise FetchError("parse", url, f"expected a SCDL catalogue CSV, got an HTML page "
                         f"from {url}", status=response.status,
                         content_type=response.headers.get("content-type"))
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        columns, rows = _read(text, delimiter)
    except csv.Error as error:
        raise FetchError("parse", url, f"unreadable CSV from {url}: {error}",
                         status=response.status,
                         content_type=response.headers.get("content-type")) from error
    if missing := [name for name in REQUIRED if name not in columns]:
        shown = ", ".join(columns[:8]) or "none"
        raise FetchError("parse", url, (
            f"{url} is not a SCDL catalogue: its header lacks the column(s) "
            f"{', '.join(missing)} (columns read: {shown})"), status=response.status,
            content_type=response.headers.get("content-type"))
    return rows


def _read(text: str, delimiter: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The upper-case column names, and each non-blank row with the line it starts on (a
    quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [name.strip().upper() for name in next(reader, [])]
    rows = []
    line = reader.line_num + 1
    for values in reader:
        if any(value.strip() for value in values):
            rows.append((line, dict(zip(columns, values, strict=False))))
        line = reader.line_num + 1
    return columns, rows


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, as spreadsheets save French CSVs."""
    content = content.removeprefix(_BOM)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _dataset(row: dict[str, str], line: int) -> RemoteDataset:
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            raise RowError(f"line {line}: the required field {name} is empty")
    url = _web(row["URL"])
    if url is None:
        raise RowError(f"line {line}: field URL {row['URL'].strip()!r} is not an http(s) "
                       "URL")
    dates = {name: _date(row, name, line) for name in DATES}
    title = row["TITRE"].strip()
    formats = _split(row.get("FORMAT_RESSOURCES"))
    return RemoteDataset(
        remote_id=row["ID"].strip(), title=title, remote_url=url,
        description=(row.get("DESCRIPTION") or "").strip(),
        licence=mapping.licence_id(row.get("LICENCE")),
        keywords=list(dict.fromkeys(_split(row.get("MOTS_CLES")))),
        themes=mapping.theme_codes(_split(row.get("THEME"))),
        frequency=_frequency(row.get("FREQ_MAJ")),
        temporal_start=dates["COUV_TEMP_DEBUT"], temporal_end=dates["COUV_TEMP_FIN"],
        insee_codes=_insee_codes(row.get("COUV_SPAT_MAILLE"), row.get("COUV_SPAT_NOM")),
        contact_name=(row.get("PRODUCTEUR_NOM") or "").strip() or None,
        modified=_moment(dates["DATE_MAJ"]), created=_moment(dates["DATE_PUBL"]),
        resources=[RemoteResource(url=url, title=title,
                                  format=formats[0].upper() if len(formats) == 1 else None)])


def _web(value: str | None) -> str | None:
    url = (value or "").strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(value or "") if part.strip()]


def _date(row: dict[str, str], name: str, line: int) -> date | None:
    text = (row.get(name) or "").strip()
    if not text:
        return None
    if (value := mapping.parse_date(text)) is None:
        raise RowError(f"line {line}: field {name} {text!r} is not a date (YYYY-MM-DD "
                       "expected)")
    return value


def _moment(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _frequency(value: str | None) -> str | None:
    text = fold((value or "").strip())
    return _FREQUENCIES.get(text) or mapping.frequency_code(value)


def _insee_codes(mesh: str | None, name: str | None) -> list[str]:
    """INSEE codes only when the name is made of codes of the mesh's level: the schema's
    name is free text (« Rennes »), which a code-shaped word alone can be trusted for."""
    shape = _INSEE_CODES.get(fold((mesh or "").strip()))
    codes = _split(name)
    if shape is None or not codes or not all(shape.fullmatch(code) for code in codes):
        return []
    return list(dict.fromkeys(codes))
