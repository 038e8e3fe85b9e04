"""The clause library of the sharing agreements, loaded from ``data/clauses.toml``: each
clause has an id, a French title and text written by the project, what it protects against,
its legal anchors, when it is checked and its machine form in ODRL 2.2.

**Texts.** ``render(clause, params)`` fills the ``{name}`` placeholders of a clause's text.
Values are shown the French way: a list becomes « a, b et c » (an empty one « néant »), a
date « 1er janvier 2027 », a number « 10 000 ». A clause's ``defaults`` fill what the
parameters leave out; a placeholder still without a value raises ``MissingParameter``.

**Parameters.** ``Terms`` holds what an agreement decides (parties, datasets, purposes,
dates, caps, hosting countries, clause ids…). ``text_params(terms)`` turns them into the
values the texts show (labels, French dates, « 10 Go »), ``odrl_params(terms)`` into the
values the ODRL fragments take (IRIs, typed literals). Dates: a ``date`` start is midnight
Europe/Paris that day, a ``date`` end is the last day of access, included (the policy's
``dateTime lt`` bound is midnight after it); a ``datetime`` is taken as the exact instant
(a naive one in Europe/Paris).

**Checks** (``CHECKS``): ``approval`` when the request is reviewed, ``grant`` when the
access grant is issued, ``access`` on every access (the ODRL evaluator), ``duty`` a
monitored duty with a deadline.

``default_clauses(purposes, personal, ...)`` proposes the clauses a request gets;
``validate()`` checks the library against the vocabularies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sharing_agreements import vocabularies as vocab

PARIS = ZoneInfo("Europe/Paris")
CHECKS = ("approval", "grant", "access", "duty")
# Parts of a clause's ODRL fragment: added to the agreement's permission (constraint, duty),
# rules of their own (permission, prohibition, obligation), added to every prohibition (remedy).
ODRL_PARTS = ("constraint", "duty", "permission", "prohibition", "obligation", "remedy")
SUPPORTED_OPERATORS = ("eq", "neq", "lt", "lteq", "gt", "gteq", "isAnyOf", "isNoneOf")
# The channel of a secure processing environment (SPE-ONLY), in ctd's namespace.
SPE_CHANNEL = "ctd:spe"
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]
EMPTY_LIST = "néant"
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# Text placeholders that text_params fills from the Terms (the others have defaults).
TERMS_TEXT_PARAMETERS = frozenset({
    "purposes", "legal_bases", "countries", "subprocessors", "start_date", "end_date",
    "max_requests", "max_bytes", "fee_amount", "assigner_name", "assignee_name",
})
# The clauses every request gets, in the library's order; others are added by default_clauses.
BASE_CLAUSES = ("PURPOSE", "NO-AI-TRAINING", "NO-ONWARD", "NO-EXCLUSIVITY", "HOSTING-EU", "TERM",
                "VOLUME", "DELETE-AT-END", "AUDIT", "LOGGING", "NO-IP-CLAIM", "CONFIDENTIALITY",
                "ATTRIBUTION", "REMEDIES")


class ClauseError(ValueError):
    """A clause or its parameters cannot be used."""


class MissingParameter(ClauseError):
    """Placeholders of a clause that the parameters leave without a value."""

    def __init__(self, clause_id: str, names: Iterable[str]) -> None:
        self.clause_id = clause_id
        self.names = sorted(set(names))
        super().__init__(f"clause {clause_id}: missing parameter(s) {', '.join(self.names)}")


@dataclass(frozen=True)
class Anchor:
    id: str
    label: str
    url: str


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    text: str
    protects_against: str
    anchors: tuple[Anchor, ...]
    checks: tuple[str, ...]
    odrl: Mapping[str, Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def placeholders(self) -> frozenset[str]:
        """Names of the text's placeholders."""
        return frozenset(PLACEHOLDER.findall(self.text))

    @property
    def odrl_placeholders(self) -> frozenset[str]:
        """Names of the placeholders of the ODRL fragment."""
        return frozenset(_placeholders_in(self.odrl))


@dataclass(frozen=True)
class Terms:
    """What an agreement decides, from which clauses and the ODRL policy are filled.

    ``uid``, ``assigner`` (the publishing organisation), ``assignee`` (the vendor) and
    ``targets`` (datasets) are IRIs; ``purposes``, ``legal_bases`` and ``clauses`` are ids
    of the vocabularies and the library; ``allowed_countries`` are ISO 3166-1 alpha-2 codes,
    the EU/EEA when empty; ``subprocessors`` maps each approved sub-processor's IRI to its
    name; ``parameters`` gives further clause parameters (``delete_within_days``,
    ``report_period_days``, ``breach_notice_hours``…) over the clauses' defaults.
    """

    uid: str
    assigner: str
    assignee: str
    targets: Sequence[str]
    purposes: Sequence[str]
    start: date
    end: date
    clauses: Sequence[str]
    max_requests: int | None = None
    max_bytes: int | None = None
    allowed_countries: Sequence[str] = ()
    subprocessors: Mapping[str, str] = field(default_factory=dict)
    fee_amount: Decimal | int | str | None = None
    assigner_name: str = ""
    assignee_name: str = ""
    legal_bases: Sequence[str] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("targets", "purposes", "clauses", "allowed_countries", "legal_bases"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ClauseError(f"Terms.{name} takes a list, not a string")
            object.__setattr__(self, name, tuple(value))


# The library.
@cache
def _library_file() -> dict[str, Any]:
    return vocab._load("clauses.toml")


def version() -> str:
    return _library_file()["version"]


def definitions() -> dict[str, str]:
    """The defined terms of the texts (« la Collectivité », « les Données »…), in French."""
    return dict(_library_file()["definitions"])


@cache
def library() -> dict[str, Clause]:
    """Every clause by id, in the library's order."""
    refs = vocab.references()
    result = {}
    for key, value in _library_file()["clauses"].items():
        anchors = tuple(Anchor(ref, refs[ref].label, refs[ref].url) if ref in refs
                        else Anchor(ref, "", "") for ref in value["anchors"])
        result[key] = Clause(id=key, title=value["title"], text=value["text"],
                             protects_against=value["protects_against"], anchors=anchors,
                             checks=tuple(value["checks"]), odrl=value.get("odrl", {}),
                             defaults=value.get("defaults", {}))
    return result


def clause(clause_id: str) -> Clause:
    try:
        return library()[clause_id]
    except KeyError:
        raise vocab.UnknownTerm("clause", clause_id) from None


def ordered(clause_ids: Iterable[str]) -> list[str]:
    """The clause ids in the library's order, without duplicates; unknown ids raise."""
    wanted = set(clause_ids)
    for clause_id in wanted:
        clause(clause_id)
    return [clause_id for clause_id in library() if clause_id in wanted]


# Texts.
def render(the_clause: Clause | str, params: Mapping[str, Any]) -> str:
    """The clause's French text with its placeholders filled from ``params`` (over the
    clause's defaults); raises ``MissingParameter`` naming what is missing."""
    c = clause(the_clause) if isinstance(the_clause, str) else the_clause
    values = {**c.defaults, **params}
    missing = [name for name in c.placeholders if values.get(name) is None]
    if missing:
        raise MissingParameter(c.id, missing)
    return PLACEHOLDER.sub(lambda m: display(values[m.group(1)]), c.text)


def display(value: Any) -> str:
    """A parameter as a French text shows it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return _group(str(abs(value)), negative=value < 0)
    if isinstance(value, Decimal | float):
        whole, _, cents = f"{abs(value):.2f}".partition(".")
        return _group(whole, negative=value < 0) + "," + cents
    if isinstance(value, datetime):
        return french_date(value.astimezone(PARIS).date() if value.tzinfo else value.date())
    if isinstance(value, date):
        return french_date(value)
    if isinstance(value, Iterable):
        return enumeration(display(v) for v in value)
    return str(value)


def _group(digits: str, negative: bool = False) -> str:
    """Digits grouped by three with narrow no-break spaces (« 10 000 »)."""
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ("-" if negative else "") + "\u202f".join(groups)


def french_date(day: date) -> str:
    """« 1er janvier 2027 », « 31 décembre 2027 »."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def enumeration(items: Iterable[str]) -> str:
    """« a », « a et b », « a, b et c »; « néant » when there is nothing."""
    items = list(items)
    if not items:
        return EMPTY_LIST
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " et " + items[-1]


def french_bytes(size: int) -> str:
    """« 10 Go (10 000 000 000 octets) », in decimal units as operators bill them."""
    exact = f"{display(size)} octets"
    for power, unit in ((4, "To"), (3, "Go"), (2, "Mo"), (1, "ko")):
        if size >= 1000**power:
            amount = Decimal(size) / Decimal(1000**power)
            shown = display(int(amount)) if amount == amount.to_integral() else (
                f"{amount:.1f}".replace(".", ","))
            return f"{shown} {unit} ({exact})"
    return exact


def lower_first(label: str) -> str:
    """« Recherche scientifique » → « recherche scientifique », as inside a sentence."""
    return label[:1].lower() + label[1:]


def parameter_values(terms: Terms) -> dict[str, Any]:
    """The clause parameters in force: the defaults of the agreement's clauses, then the
    agreement's own ``parameters``."""
    values: dict[str, Any] = {}
    for clause_id in terms.clauses:
        values.update(clause(clause_id).defaults)
    values.update(terms.parameters)
    return values


def text_params(terms: Terms) -> dict[str, Any]:
    """The values the clause texts show, from an agreement's terms."""
    eea = vocab.eea_countries()
    codes = tuple(vocab.country_code(c) for c in terms.allowed_countries) or eea
    if set(codes) == set(eea):
        countries = ("les États membres de l'Union européenne et les autres États parties à "
                     "l'accord sur l'Espace économique européen")
    else:
        countries = enumeration(vocab.country(c).label for c in codes)
    return {
        **parameter_values(terms),
        "purposes": [f"« {lower_first(vocab.purpose(p).label)} »" for p in terms.purposes],
        "legal_bases": [f"{vocab.legal_basis(b).label} ({vocab.legal_basis(b).article})"
                        for b in terms.legal_bases],
        "countries": countries,
        "subprocessors": list(terms.subprocessors.values()),
        "start_date": terms.start,
        "end_date": last_day(terms.end),
        "max_requests": terms.max_requests,
        "max_bytes": None if terms.max_bytes is None else french_bytes(terms.max_bytes),
        "fee_amount": None if terms.fee_amount is None
        else f"{display(Decimal(str(terms.fee_amount)))} euros",
        "assigner_name": terms.assigner_name or None,
        "assignee_name": terms.assignee_name or None,
    }


def render_all(terms: Terms) -> list[tuple[Clause, str]]:
    """Every clause of the agreement with its filled text, in the library's order."""
    params = text_params(terms)
    return [(clause(c), render(c, params)) for c in ordered(terms.clauses)]


# Dates.
def start_instant(value: date) -> datetime:
    """When access opens: a date's midnight in Paris, or the datetime itself."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=PARIS)
    return datetime.combine(value, time(), PARIS)


def end_instant(value: date) -> datetime:
    """When access closes (excluded): midnight after the last day, or the datetime itself."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=PARIS)
    return datetime.combine(value + timedelta(days=1), time(), PARIS)


def last_day(value: date) -> date:
    """The last day of access, included."""
    if isinstance(value, datetime):
        return (end_instant(value) - timedelta(microseconds=1)).astimezone(PARIS).date()
    return value


def _typed(value: str, datatype: str) -> dict[str, str]:
    return {"@value": value, "@type": f"xsd:{datatype}"}


def odrl_params(terms: Terms) -> dict[str, Any]:
    """The values the ODRL fragments take, from an agreement's terms. A value of None or []
    leaves out the constraint that uses it."""
    values = parameter_values(terms)
    codes = [vocab.country_code(c) for c in terms.allowed_countries] or vocab.eea_countries()
    end = end_instant(terms.end)

    def days(name: str) -> int | None:
        return None if values.get(name) is None else int(values[name])

    deletion = days("delete_within_days")
    report = days("report_period_days")
    hours = None if values.get("breach_notice_hours") is None else int(
        values["breach_notice_hours"])
    return {
        "assigner": terms.assigner,
        "assignee": terms.assignee,
        "purpose_iris": [vocab.purpose(p).iri for p in terms.purposes],
        "ai_purpose_iris": [vocab.purpose(p).iri for p in terms.purposes if vocab.purpose(p).ai],
        "start": _typed(start_instant(terms.start).isoformat(), "dateTime"),
        "end": _typed(end.isoformat(), "dateTime"),
        "max_requests": terms.max_requests,
        "max_bytes": terms.max_bytes,
        "country_iris": [vocab.country(c).iri for c in codes],
        "recipients": [terms.assignee, *terms.subprocessors],
        "spe_channel": SPE_CHANNEL,
        "deletion_deadline": None if deletion is None else _typed(
            (end + timedelta(days=deletion)).isoformat(), "dateTime"),
        "report_period": None if report is None else _typed(f"P{report}D", "duration"),
        "breach_notice": None if hours is None else _typed(f"PT{hours}H", "duration"),
        "fee": None if terms.fee_amount is None else _typed(
            f"{Decimal(str(terms.fee_amount)):.2f}", "decimal"),
    }


# Machine form.
_DROP = object()


def machine_form(the_clause: Clause | str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The clause's ODRL fragment with its placeholders filled from ``params`` (as
    ``odrl_params`` gives them); raises ``MissingParameter`` naming what is missing."""
    c = clause(the_clause) if isinstance(the_clause, str) else the_clause
    missing = [name for name in c.odrl_placeholders if name not in params]
    if missing:
        raise MissingParameter(c.id, missing)
    return _fill(c.odrl, params)


def _fill(node: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(node, Mapping):
        filled = {key: _fill(value, params) for key, value in node.items()}
        if "rightOperand" in node and filled["rightOperand"] in (None, []):
            return _DROP
        return filled
    if isinstance(node, list):
        return [item for item in (_fill(v, params) for v in node) if item is not _DROP]
    if isinstance(node, str):
        whole = PLACEHOLDER.fullmatch(node)
        if whole:
            return params[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), node)
    return node


def _placeholders_in(node: Any) -> Iterable[str]:
    if isinstance(node, Mapping):
        for value in node.values():
            yield from _placeholders_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _placeholders_in(value)
    elif isinstance(node, str):
        yield from PLACEHOLDER.findall(node)


# Proposals.
def default_clauses(purposes: Iterable[str], personal: bool, *, special: bool = False,
                    fees: bool = False, ai_supply: bool = False) -> list[str]:
    """The clauses proposed for a request, in the library's order.

    Every request gets the base set (``BASE_CLAUSES``: purpose, no AI training, no onward
    transfer, no exclusivity, EU hosting, term, volume, deletion, audit, logging, no IP
    claim, confidentiality, attribution, remedies). Personal data add sub-processors, no
    re-identification and output review; special categories (Art. 9/10) also the secure
    processing environment. A purpose for the publishing organisation (``on_behalf``) adds
    restitution; ``fees`` the fee clause; ``ai_supply`` (the recipient supplies an AI
    system) the AI supplier's duties."""
    chosen = set(BASE_CLAUSES)
    flags = [vocab.purpose(p) for p in purposes]
    if personal or special:
        chosen |= {"SUBPROCESSORS", "NO-REID", "OUTPUT-REVIEW"}
    if special:
        chosen.add("SPE-ONLY")
    if any(p.on_behalf for p in flags):
        chosen.add("RESTITUTION")
    if fees:
        chosen.add("FEES")
    if ai_supply:
        chosen.add("AI-SUPPLY")
    return ordered(chosen)


# Validation.
def validate() -> list[str]:
    """Problems in the clause library: unknown anchors, checks, actions, left operands or
    operators, placeholders nothing fills, empty texts or machine forms."""
    problems: list[str] = []
    text_known = set(TERMS_TEXT_PARAMETERS)
    for c in library().values():
        text_known |= set(c.defaults)
    sample = _sample_terms()
    odrl_known = set(odrl_params(sample))
    for c in library().values():
        where = f"clause {c.id}"
        if not c.title or len(c.text) < 200 or not c.protects_against:
            problems.append(f"{where}: title, text or protects_against missing or too short")
        problems += [f"{where}: unknown anchor {a.id!r}" for a in c.anchors if not a.url]
        problems += [f"{where}: unknown check {check!r}" for check in c.checks
                     if check not in CHECKS]
        if not c.checks:
            problems.append(f"{where}: no checking mode")
        problems += [f"{where}: text placeholder {{{name}}} has no source"
                     for name in sorted(c.placeholders - text_known)]
        problems += [f"{where}: ODRL placeholder {{{name}}} has no source"
                     for name in sorted(c.odrl_placeholders - odrl_known)]
        unknown_parts = set(c.odrl) - set(ODRL_PARTS)
        if unknown_parts or not c.odrl:
            problems.append(f"{where}: ODRL fragment empty or with unknown parts {unknown_parts}")
        problems += [f"{where}: {problem}" for problem in _validate_fragment(c.odrl)]
    return problems


def _validate_fragment(node: Any) -> list[str]:
    problems: list[str] = []
    if isinstance(node, Mapping):
        if "action" in node and vocab.action_id(node["action"]) not in vocab.actions():
            problems.append(f"unknown action {node['action']!r}")
        if "leftOperand" in node:
            if node["leftOperand"] not in vocab.left_operands():
                problems.append(f"unknown left operand {node['leftOperand']!r}")
            if node.get("operator") not in SUPPORTED_OPERATORS:
                problems.append(f"unsupported operator {node.get('operator')!r}")
        for value in node.values():
            problems += _validate_fragment(value)
    elif isinstance(node, list):
        for value in node:
            problems += _validate_fragment(value)
    return problems


def _sample_terms() -> Terms:
    """Terms that use every parameter, to list the ODRL placeholders ``odrl_params`` fills."""
    return Terms(uid="urn:ctd:sample", assigner="urn:ctd:assigner", assignee="urn:ctd:assignee",
                 targets=["urn:ctd:dataset"], purposes=list(vocab.purposes())[:1],
                 start=date(2026, 1, 1), end=date(2026, 12, 31), clauses=list(library()),
                 max_requests=1, max_bytes=1, fee_amount=1,
                 subprocessors={"urn:ctd:sub": "Sous-traitant"})
