"""Mapping the vocabularies of the portals (licence names and URLs, frequencies, themes,
dates) onto ctd's: one place for every connector."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from catalogue.text import fold
from catalogue.vocabularies import FREQUENCIES, THEMES

# Folded fragments of licence ids, names and URLs → ctd licence id; the first match wins.
_LICENCES: list[tuple[str, str]] = [
    ("licence-ouverte", "fr-lo-2.0"), ("licence ouverte", "fr-lo-2.0"),
    ("open licence", "fr-lo-2.0"), ("etalab", "fr-lo-2.0"), ("lov2", "fr-lo-2.0"),
    ("fr-lo", "fr-lo-2.0"),
    ("odbl", "odbl-1.0"), ("odc-odbl", "odbl-1.0"), ("open database", "odbl-1.0"),
    ("cc0", "cc0-1.0"), ("publicdomain/zero", "cc0-1.0"), ("cc-zero", "cc0-1.0"),
    ("cc-by-sa", "other"), ("licenses/by-sa", "other"),
    ("cc-by", "cc-by-4.0"), ("licenses/by/", "cc-by-4.0"), ("creative commons attribution",
                                                           "cc-by-4.0"),
    ("notspecified", "notspecified"), ("non precisee", "notspecified"),
]


def licence_id(value: str | None) -> str | None:
    """A ctd licence id for a portal's licence id, title or URL; ``other`` for a licence
    ctd does not list, None when the source says nothing."""
    if not value or not value.strip():
        return None
    text = fold(value).replace("_", "-")
    for fragment, licence in _LICENCES:
        if fragment in text:
            return licence
    return "other"


_FREQUENCY_ALIASES = {
    "continuous": "CONT", "realtime": "CONT", "temps reel": "CONT", "en continu": "CONT",
    "hourly": "HOURLY", "fourtimesaday": "HOURLY",
    "daily": "DAILY", "quotidienne": "DAILY", "quotidien": "DAILY",
    "weekly": "WEEKLY", "hebdomadaire": "WEEKLY",
    "biweekly": "BIWEEKLY", "bimensuelle": "BIWEEKLY",
    "monthly": "MONTHLY", "mensuelle": "MONTHLY", "mensuel": "MONTHLY",
    "bimonthly": "BIMONTHLY", "quarterly": "QUARTERLY", "trimestrielle": "QUARTERLY",
    "semiannual": "ANNUAL_2", "semestrielle": "ANNUAL_2",
    "annual": "ANNUAL", "annuelle": "ANNUAL", "annuel": "ANNUAL",
    "biennial": "BIENNIAL", "triennial": "TRIENNIAL",
    "irregular": "IRREG", "irreguliere": "IRREG", "ponctuelle": "NEVER", "punctual": "NEVER",
    "never": "NEVER", "unknown": "UNKNOWN", "inconnue": "UNKNOWN", "other": "OTHER",
}


def frequency_code(value: str | None) -> str | None:
    """An EU frequency code for a code, an EU authority IRI, a udata/Dublin Core value or a
    French label; None when unknown."""
    if not value or not value.strip():
        return None
    text = value.strip().rstrip("/").rsplit("/", 1)[-1]
    if text.upper() in FREQUENCIES:
        return text.upper()
    return _FREQUENCY_ALIASES.get(fold(text).replace("_", " ").strip())


# Starts of folded words of French and English theme labels → EU data-theme code.
_THEME_WORDS: list[tuple[str, str]] = [
    ("agricult", "AGRI"), ("peche", "AGRI"), ("aliment", "AGRI"), ("foret", "AGRI"),
    ("econom", "ECON"), ("financ", "ECON"), ("budget", "ECON"), ("commerce", "ECON"),
    ("educat", "EDUC"), ("cultur", "EDUC"), ("sport", "EDUC"), ("loisir", "EDUC"),
    ("tourism", "EDUC"), ("patrimoine", "EDUC"),
    ("energ", "ENER"),
    ("environ", "ENVI"), ("dechet", "ENVI"), ("eau", "ENVI"), ("climat", "ENVI"),
    ("nature", "ENVI"), ("biodiversit", "ENVI"),
    ("administration", "GOVE"), ("gouvern", "GOVE"), ("citoyen", "GOVE"),
    ("elect", "GOVE"), ("service public", "GOVE"),
    ("sante", "HEAL"), ("health", "HEAL"),
    ("international", "INTR"),
    ("justice", "JUST"), ("securite", "JUST"),
    ("urbanisme", "REGI"), ("amenagement", "REGI"), ("territoire", "REGI"),
    ("logement", "REGI"), ("region", "REGI"), ("ville", "REGI"), ("cadastre", "REGI"),
    ("social", "SOCI"), ("solidarit", "SOCI"), ("population", "SOCI"), ("societ", "SOCI"),
    ("emploi", "SOCI"), ("demograph", "SOCI"),
    ("science", "TECH"), ("technolog", "TECH"), ("numerique", "TECH"), ("recherche", "TECH"),
    ("transport", "TRAN"), ("mobilit", "TRAN"), ("deplacement", "TRAN"), ("velo", "TRAN"),
    ("stationnement", "TRAN"), ("voirie", "TRAN"),
]


# One pattern for every word start: the code of a match is the one of the word it matched.
_THEME_PATTERN = re.compile(r"\b(" + "|".join(word for word, _ in _THEME_WORDS) + ")")
_THEME_OF_WORD = dict(_THEME_WORDS)


def theme_codes(values: list[str] | str | None) -> list[str]:
    """EU data-theme codes for theme codes, EU authority IRIs or free French labels (a
    label may give several codes: « Transports, Déplacements » → TRAN)."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    codes: list[str] = []
    for value in values:
        tail = value.strip().rstrip("/").rsplit("/", 1)[-1]
        if tail.upper() in THEMES:
            codes.append(tail.upper())
            continue
        text = fold(value)
        codes.extend(_THEME_OF_WORD[m.group(1)] for m in _THEME_PATTERN.finditer(text))
    return list(dict.fromkeys(codes))


def parse_datetime(value: str | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (with or without zone, ``Z`` included) or a
    plain date; None for empty or unreadable text."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_date(value: str | None) -> date | None:
    """A date from ``2024-05-01``, ``2024-05-01T…``, ``01/05/2024`` or a bare year."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1)
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
    if match:
        day, month, year = map(int, match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    moment = parse_datetime(text)
    return moment.date() if moment else None
