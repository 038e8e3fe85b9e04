"""The vocabularies of the sharing agreements, loaded once from versioned TOML files in
``sharing_agreements/data`` (see ``SOURCES.md`` there): purposes, legal bases, roles,
hosting (countries, provider kinds, qualifications), legal references, and the ODRL profile
(namespaces, actions and their hierarchy, left operands).

Ids are English, labels French. Every file has a ``version``; an agreement records the
versions it was built with (``versions()``). ``validate()`` checks that every id a
vocabulary or a clause refers to exists, and returns the problems it finds.

Lookups raise ``UnknownTerm`` (a ``KeyError``) naming the vocabulary and the id.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"

LEGAL_BASIS_KINDS = ("personal", "special", "criminal", "transfer", "non_personal")
# The 27 member states (ISO 3166-1 alpha-2), to check hosting.toml's flags against.
EU_MEMBER_STATES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
EEA_ONLY = frozenset({"IS", "LI", "NO"})


class UnknownTerm(KeyError):
    """An id that a vocabulary does not define."""

    def __init__(self, vocabulary: str, term: str) -> None:
        super().__init__(f"unknown {vocabulary}: {term!r}")
        self.vocabulary = vocabulary
        self.term = term

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Purpose:
    id: str
    label: str
    description: str
    ai_training: bool
    ai: bool
    commercial: bool
    on_behalf: bool

    @property
    def iri(self) -> str:
        return namespaces()["purpose"] + self.id


@dataclass(frozen=True)
class LegalBasis:
    id: str
    label: str
    article: str
    url: str
    kind: str
    public_authority: bool = True
    note: str = ""


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    description: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Country:
    code: str
    label: str
    eu: bool
    eea: bool
    adequacy: bool
    adequacy_scope: str = ""

    @property
    def iri(self) -> str:
        return namespaces()["iso3166"] + self.code

    @property
    def transfer_free(self) -> bool:
        """Personal data may go there without a transfer basis beyond adequacy (EEA, or a
        full adequacy decision)."""
        return self.eea or (self.adequacy and not self.adequacy_scope)


@dataclass(frozen=True)
class ProviderKind:
    id: str
    label: str
    description: str
    extraterritorial: bool


@dataclass(frozen=True)
class Qualification:
    id: str
    label: str
    description: str
    secnumcloud: bool
    reference: str


@dataclass(frozen=True)
class Reference:
    id: str
    label: str
    url: str
    kind: str


@dataclass(frozen=True)
class Action:
    """An ODRL action: ``id`` is its local name (``read``, ``ai-training``), ``iri`` its full
    IRI, ``compact`` how ctd writes it in a policy (``read``, ``ctdai:ai-training``)."""

    id: str
    label: str
    namespace: str
    iri: str
    included_in: str | None
    draft: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def compact(self) -> str:
        return self.id if self.namespace == "odrl" else f"{self.namespace}:{self.id}"


@dataclass(frozen=True)
class LeftOperand:
    id: str
    label: str
    evaluated: bool
    description: str = ""


def _load(name: str) -> dict[str, Any]:
    with (DATA / name).open("rb") as file:
        return tomllib.load(file)


# Purposes.
@cache
def purposes() -> dict[str, Purpose]:
    entries = _load("purposes.toml")["purposes"]
    return {key: Purpose(id=key, **value) for key, value in entries.items()}


def purpose(term: str) -> Purpose:
    """A purpose by id or by IRI."""
    key = term.removeprefix(namespaces()["purpose"])
    try:
        return purposes()[key]
    except KeyError:
        raise UnknownTerm("purpose", term) from None


# Legal bases.
@cache
def _legal_bases_file() -> dict[str, Any]:
    return _load("legal_bases.toml")


def _basis(key: str, value: dict[str, Any], acts: dict[str, str]) -> LegalBasis:
    value = dict(value)
    url = acts[value.pop("act")]
    return LegalBasis(id=key, url=url, **value)


@cache
def legal_bases() -> dict[str, LegalBasis]:
    data = _legal_bases_file()
    return {key: _basis(key, value, data["acts"]) for key, value in data["bases"].items()}


@cache
def not_legal_bases() -> dict[str, LegalBasis]:
    """What requests cite as a basis though it is none (GDPR Art. 48), with the reason."""
    data = _legal_bases_file()
    return {key: _basis(key, value | {"kind": "transfer"}, data["acts"])
            for key, value in data["not_bases"].items()}


def legal_basis(term: str) -> LegalBasis:
    try:
        return legal_bases()[term]
    except KeyError:
        raise UnknownTerm("legal basis", term) from None


# Roles.
@cache
def roles() -> dict[str, Role]:
    return {key: Role(id=key, label=value["label"], description=value["description"],
                      references=tuple(value["references"]))
            for key, value in _load("roles.toml")["roles"].items()}


def role(term: str) -> Role:
    try:
        return roles()[term]
    except KeyError:
        raise UnknownTerm("role", term) from None


# Hosting.
@cache
def _hosting() -> dict[str, Any]:
    return _load("hosting.toml")


@cache
def countries() -> dict[str, Country]:
    return {code: Country(code=code, **value) for code, value in _hosting()["countries"].items()}


def country(term: str) -> Country:
    """A country by ISO 3166-1 alpha-2 code (any case) or by its ISO IRI."""
    code = country_code(term)
    try:
        return countries()[code]
    except KeyError:
        raise UnknownTerm("country", term) from None


def country_code(term: str) -> str:
    """The alpha-2 code in ``FR``, ``fr`` or ``https://www.iso.org/obp/ui/#iso:code:3166:FR``."""
    return term.rsplit(":", 1)[-1].rsplit("/", 1)[-1].rsplit("#", 1)[-1].strip().upper()


def eea_countries() -> tuple[str, ...]:
    """Codes of the EU/EEA countries, sorted: where hosting needs no transfer basis."""
    return tuple(sorted(code for code, c in countries().items() if c.eea))


@cache
def provider_kinds() -> dict[str, ProviderKind]:
    return {key: ProviderKind(id=key, **value)
            for key, value in _hosting()["provider_kinds"].items()}


def provider_kind(term: str) -> ProviderKind:
    try:
        return provider_kinds()[term]
    except KeyError:
        raise UnknownTerm("provider kind", term) from None


@cache
def qualifications() -> dict[str, Qualification]:
    return {key: Qualification(id=key, **value)
            for key, value in _hosting()["qualifications"].items()}


def qualification(term: str) -> Qualification:
    try:
        return qualifications()[term]
    except KeyError:
        raise UnknownTerm("qualification", term) from None


# References.
@cache
def references() -> dict[str, Reference]:
    data = _load("references.toml")
    acts = data["acts"]
    result = {}
    for key, value in data["references"].items():
        act = acts.get(value.get("act", ""), {})
        result[key] = Reference(id=key, label=value["label"],
                                url=value.get("url") or act.get("url", ""),
                                kind=value.get("kind") or act.get("kind", ""))
    return result


def reference(term: str) -> Reference:
    try:
        return references()[term]
    except KeyError:
        raise UnknownTerm("reference", term) from None


# The ODRL profile.
@cache
def _odrl() -> dict[str, Any]:
    return _load("odrl.toml")


def namespaces() -> dict[str, str]:
    return _odrl()["namespaces"]


def profile() -> str:
    return _odrl()["profile"]


@cache
def actions() -> dict[str, Action]:
    ns = _odrl()["namespaces"]
    result = {}
    for key, value in _odrl()["actions"].items():
        prefix = value.get("namespace", "odrl")
        result[key] = Action(id=key, label=value["label"], namespace=prefix, iri=ns[prefix] + key,
                             included_in=value.get("included_in"), draft=value.get("draft", ""),
                             aliases=tuple(value.get("aliases", ())))
    return result


@cache
def _action_names() -> dict[str, str]:
    """Every accepted spelling of an action (local name, compact form, IRI, alias), to its id."""
    ns = namespaces()
    names: dict[str, str] = {}
    for action in actions().values():
        spellings = [action.id, action.compact, action.iri, *action.aliases]
        for alias in action.aliases:
            prefix, _, local = alias.partition(":")
            if local and prefix in ns:
                spellings.append(ns[prefix] + local)
        if action.namespace == "odrl":
            spellings.append("odrl:" + action.id)
        for spelling in spellings:
            names[spelling] = action.id
    return names


def action_id(term: str) -> str:
    """The id of a known action in any of its spellings; an unknown action comes back as it
    was given, so that the evaluator can name it and deny it (closed world)."""
    return _action_names().get(term, term)


def action(term: str) -> Action:
    key = action_id(term)
    try:
        return actions()[key]
    except KeyError:
        raise UnknownTerm("action", term) from None


@lru_cache(maxsize=4096)  # bounded: requests name actions
def action_ancestors(term: str) -> frozenset[str]:
    """The action and every action it is included in (``read`` → read, use), by id. An
    unknown action has only itself."""
    key = action_id(term)
    known = actions()
    seen = {key}
    while key in known and known[key].included_in and known[key].included_in not in seen:
        key = known[key].included_in
        seen.add(key)
    return frozenset(seen)


@cache
def left_operands() -> dict[str, LeftOperand]:
    return {key: LeftOperand(id=key, **value) for key, value in _odrl()["left_operands"].items()}


def versions() -> dict[str, str]:
    """The version of each vocabulary file, and of the clause library."""
    return dict(_versions())


@cache
def _versions() -> dict[str, str]:
    names = ["purposes", "legal_bases", "roles", "hosting", "references", "odrl", "clauses"]
    return {name: _load(f"{name}.toml")["version"] for name in names}


def validate() -> list[str]:
    """Problems in the vocabularies and the clause library: missing versions, ids that are
    referred to but not defined, inconsistent flags. Empty when all is well."""
    problems: list[str] = []
    for name, version in versions().items():
        if not version:
            problems.append(f"{name}.toml: no version")
    for p in purposes().values():
        if p.ai_training and not p.ai:
            problems.append(f"purpose {p.id}: ai_training without ai")
    for basis in legal_bases().values():
        if basis.kind not in LEGAL_BASIS_KINDS:
            problems.append(f"legal basis {basis.id}: unknown kind {basis.kind!r}")
    for r in roles().values():
        problems += [f"role {r.id}: unknown reference {ref!r}"
                     for ref in r.references if ref not in references()]
    for q in qualifications().values():
        if q.reference not in references():
            problems.append(f"qualification {q.id}: unknown reference {q.reference!r}")
    for ref in references().values():
        if not ref.url or ref.kind not in ("eu-law", "fr-law", "guidance", "technical"):
            problems.append(f"reference {ref.id}: no URL or unknown kind")
    problems += _validate_countries()
    for a in actions().values():
        if a.included_in and a.included_in not in actions():
            problems.append(f"action {a.id}: included in unknown action {a.included_in!r}")
        if a.namespace not in namespaces():
            problems.append(f"action {a.id}: unknown namespace {a.namespace!r}")
    from sharing_agreements import clauses

    problems += clauses.validate()
    return problems


def _validate_countries() -> list[str]:
    problems = []
    for code, c in countries().items():
        if len(code) != 2 or not code.isalpha() or not code.isupper():
            problems.append(f"country {code!r}: not an ISO 3166-1 alpha-2 code")
        if c.eu and not c.eea:
            problems.append(f"country {code}: in the EU but not in the EEA")
        if c.eea and c.adequacy:
            problems.append(f"country {code}: in the EEA and under an adequacy decision")
    missing = (EU_MEMBER_STATES | EEA_ONLY) - {code for code, c in countries().items() if c.eea}
    problems += [f"country {code}: should be in the EEA" for code in sorted(missing)]
    return problems
