"""An OpenDataSoft portal (Explore API v2.1) holding a metropole's synthetic catalog:

- ``GET /api/explore/v2.1/catalog/datasets``: ``limit`` (-1 to 100, default 10), ``offset``
  (``offset + limit`` at most 10,000), ``where`` (the ODSQL subset below), ``refine``
  (``facet:value``), ``order_by`` (``field [asc|desc]``, comma-separated), ``select``
  (top-level fields); answers ``{total_count, results}``, errors are 400
  ``{error_code, message}`` as the real API's;
- ``GET /api/explore/v2.1/catalog/exports/json``: the same query, every match as one JSON
  array (``limit`` -1 by default).

ODSQL subset: comparisons ``field = | != | > | >= | < | <= | : literal`` (date'…', "…",
'…', numbers, true/false), ``literal IN field``, ``NOT``, ``AND``, ``OR``, parentheses.

Datasets are built from their index and the seed when a request needs them. ``federated``
first datasets are republished from another portal (``source_address``), with the id
``<origin id>@<source domain>`` and the metas an ODS federation sets. Tests change the portal
through ``modify``, ``reprocess``, ``delete``, ``add`` and ``corrupt``; every change moves a
clock later than every date the portal holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from portals import Portal, Reply, Request
from portals.udata import COMMUNES, iso, slugify

API = "/api/explore/v2.1/catalog"
BASE_TIME = datetime(2022, 9, 12, 7, 0, tzinfo=UTC)
JSON = "application/json; charset=utf-8"

# (title, ODS themes, keywords, has geometries)
SUBJECTS = [
    ("Stations de vélos en libre-service", ["Transports, Déplacements"],
     ["vélo", "libre-service"], True),
    ("Parkings en temps réel", ["Transports, Déplacements"], ["stationnement", "parking"], True),
    ("Budget primitif", ["Administration, Gouvernement, Finances publiques, Citoyenneté"],
     ["budget", "finances"], False),
    ("Points d'apport volontaire", ["Environnement"], ["déchets", "tri sélectif"], True),
    ("Arbres remarquables", ["Environnement", "Culture, Patrimoine"], ["arbres"], True),
    ("Équipements culturels", ["Culture, Patrimoine"], ["musées", "théâtres"], True),
    ("Consommation énergétique des bâtiments publics", ["Énergie"], ["énergie"], False),
    ("Marchés publics attribués",
     ["Économie, Business, PME, Développement économique, Emploi"], ["marchés publics"], False),
    ("Lignes de bus et de tramway", ["Transports, Déplacements"], ["bus", "tramway"], True),
    ("Naissances et décès", ["Population, Société"], ["état civil"], False),
]
LICENSES = [
    ("Licence Ouverte v2.0 (Etalab)", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
    ("Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/"),
    ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("Licence de réutilisation de la Métropole", None),
]
FREQUENCIES = ["Mensuelle", "Annuelle", "Quotidienne", "Irrégulière"]
_SUBJECT_SLUGS = [slugify(subject[0]) for subject in SUBJECTS]
_COMMUNE_SLUGS = [slugify(name) for _, name in COMMUNES]
TOP_LEVEL = ["visibility", "dataset_id", "dataset_uid", "attachments", "has_records",
             "data_visible", "features", "metas", "fields"]


class OdsqlError(ValueError):
    pass


class OdsPortal(Portal):
    def __init__(self, count: int = 25, *, federated: int = 0, seed: int = 1,
                 source_domain: str = "grandest", source_address: str = "data.grandest.fr"):
        super().__init__()
        self.seed, self.federated = seed, federated
        self.source_domain, self.source_address = source_domain, source_address
        self.size = count
        self._deleted: set[int] = set()
        self._metas: dict[int, dict[str, Any]] = {}  # overrides of metas.default
        self._raw: dict[int, dict[str, Any]] = {}  # overrides of top-level keys
        self._index = {self.dataset_id(i): i for i in range(count)}
        self._clock = BASE_TIME + timedelta(hours=count + 48)

    # --- identities ----------------------------------------------------------------------

    def native_id(self, index: int) -> str:
        """The id dataset ``index`` has on the portal that publishes it."""
        subject = _SUBJECT_SLUGS[index % len(SUBJECTS)]
        commune = _COMMUNE_SLUGS[index // len(SUBJECTS) % len(COMMUNES)]
        suffix = index // (len(SUBJECTS) * len(COMMUNES))
        return f"{subject}-{commune}" + (f"-{suffix}" if suffix else "")

    def dataset_id(self, index: int) -> str:
        native = self.native_id(index)
        return f"{native}@{self.source_domain}" if index < self.federated else native

    def ids(self) -> list[str]:
        return [self.dataset_id(i) for i in range(self.size) if i not in self._deleted]

    # --- changes -------------------------------------------------------------------------

    def _tick(self) -> str:
        self._clock += timedelta(minutes=7, seconds=1)
        return iso(self._clock)

    def modify(self, dataset_id: str, **metas: Any) -> None:
        """Edit metadata as the publisher would (``modified`` and ``metadata_processed`` move)."""
        now = self._tick()
        self._metas.setdefault(self._index[dataset_id], {}).update(
            metas, modified=now, metadata_processed=now)

    def reprocess(self, dataset_id: str) -> None:
        """New records: only ``data_processed`` moves."""
        self._metas.setdefault(self._index[dataset_id], {})["data_processed"] = self._tick()

    def delete(self, dataset_id: str) -> None:
        self._deleted.add(self._index[dataset_id])

    def corrupt(self, dataset_id: str) -> None:
        """A dataset whose metas are gone (unreadable for a harvester)."""
        self._raw.setdefault(self._index[dataset_id], {})["metas"] = None

    def add(self, count: int = 1) -> list[str]:
        added = []
        for _ in range(count):
            index, now = self.size, self._tick()
            self.size += 1
            self._index[self.dataset_id(index)] = index
            self._metas[index] = {"modified": now, "data_processed": now,
                                  "metadata_processed": now}
            added.append(self.dataset_id(index))
        return added

    # --- content -------------------------------------------------------------------------

    def _commune(self, index: int) -> tuple[str, str]:
        return COMMUNES[index // len(SUBJECTS) % len(COMMUNES)]

    def default_metas(self, index: int) -> dict[str, Any]:
        title, themes, keywords, _ = SUBJECTS[index % len(SUBJECTS)]
        code, commune = self._commune(index)
        licence, licence_url = LICENSES[index % len(LICENSES)]
        modified = BASE_TIME + timedelta(hours=index)
        federated = index < self.federated
        metas = {
            "title": f"{title} – {commune}",
            "description": (f"<p><strong>{title}</strong> sur le territoire de {commune}."
                            "</p><p>Données publiées par la Métropole du Grand Nancy &amp; "
                            "ses communes.<br/>Mise à jour régulière.</p>"),
            "theme": themes,
            "keyword": [*keywords, commune] if index % 5 else None,
            "license": licence,
            "license_url": licence_url,
            "language": "fr",
            "metadata_languages": ["fr"],
            "timezone": None,
            "modified": iso(modified),
            "modified_updates_on_metadata_change": True,
            "modified_updates_on_data_change": True,
            "data_processed": iso(modified + timedelta(minutes=5)),
            "metadata_processed": iso(modified + timedelta(minutes=5, seconds=2,
                                                           microseconds=656_000)),
            "publisher": "Métropole du Grand Nancy",
            "references": None,
            "records_count": (index * 7_919 + self.seed * 104_729) % 25_000,
            "territory": [[code, commune], [commune], ["Métropole du Grand Nancy", "54"]][
                index % 3],
            "geographic_reference": [f"fr_40_{code}"],
            "geographic_reference_auto": True,
            "geographic_area": None,
            "geographic_area_mode": None,
            "attributions": None,
            "federated": federated,
            "shared_catalog": None,
            "source_domain": self.source_domain if federated else None,
            "source_domain_address": self.source_address if federated else None,
            "source_domain_title": "Région Grand Est" if federated else None,
            "source_dataset": self.native_id(index) if federated else None,
            "parent_domain": None,
            "oauth_scope": None,
        }
        metas.update(self._metas.get(index, {}))
        return metas

    def dataset(self, index: int) -> dict[str, Any]:
        """The dataset as the API gives it (every top-level key)."""
        _, _, _, geo = SUBJECTS[index % len(SUBJECTS)]
        dataset_id = self.dataset_id(index)
        has_records = index % 13 != 12
        metas: dict[str, Any] = {"default": self.default_metas(index)}
        if index % 2 == 0:
            metas["dcat"] = {
                "created": iso(BASE_TIME - timedelta(days=400 - index % 300)),
                "issued": None, "creator": "Direction de la donnée",
                "contributor": None, "contact_name": "Direction de la donnée",
                "contact_email": "opendata@grandnancy.eu",
                "accrualperiodicity": FREQUENCIES[index // 2 % len(FREQUENCIES)],
                "spatial": None, "temporal": None, "granularity": None, "dataquality": None,
                "publisher_type": None, "conforms_to": None, "accessRights": None,
                "relation": None,
            }
        fields = [{"name": "identifiant", "label": "Identifiant", "type": "text",
                   "description": None, "annotations": {}},
                  {"name": "nom", "label": "Nom", "type": "text", "description": None,
                   "annotations": {"sortable": []}}]
        if geo:
            fields += [{"name": "geo_point_2d", "label": "Coordonnées", "type": "geo_point_2d",
                        "description": None, "annotations": {}},
                       {"name": "geo_shape", "label": "Forme", "type": "geo_shape",
                        "description": None, "annotations": {}}]
        dataset = {
            "visibility": "domain",
            "dataset_id": dataset_id,
            "dataset_uid": f"da_{index + self.seed * 100_000:06x}",
            "attachments": [] if has_records else [{
                "id": "reglement_pdf", "title": "Règlement", "mimetype": "application/pdf",
                "url": f"odsfile://reglement-{index}.pdf"}],
            "has_records": has_records,
            "data_visible": True,
            "features": ["analyze", "geo"] if geo else (
                ["analyze", "timeserie"] if index % 4 == 0 else ["analyze"]),
            "metas": metas,
            "fields": fields,
        }
        dataset.update(self._raw.get(index, {}))
        return dataset

    # --- HTTP ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.path == f"{API}/datasets":
            export = False
        elif request.path == f"{API}/exports/json":
            export = True
        else:
            return Reply.of_json({"error_code": "NotFound", "message": "Unknown endpoint"}, 404)
        try:
            limit, offset = _window(request.query, export)
            matches = self._query(request.query)
            page = matches[offset:] if limit == -1 else matches[offset:offset + limit]
            selected = [self._selected(i, request.query.get("select")) for i in page]
        except OdsqlError as error:
            return _error("ODSQLError", f"ODSQL query is malformed: {error}")
        except ValueError as error:
            return _error("InvalidRESTParameterError", str(error))
        if export:
            return Reply(200, json.dumps(selected, ensure_ascii=False).encode(), JSON)
        body = {"total_count": len(matches), "results": selected}
        return Reply(200, json.dumps(body, ensure_ascii=False).encode(), JSON)

    def _query(self, query: dict[str, str]) -> list[int]:
        """The indexes of the datasets matching where and refine, ordered."""
        indexes = [i for i in range(self.size) if i not in self._deleted]
        if query.get("where"):
            predicate = parse_where(query["where"])
            indexes = [i for i in indexes if predicate(self._facts(i))]
        if query.get("refine"):
            facet, _, value = query["refine"].partition(":")
            indexes = [i for i in indexes if _holds(self._facts(i).get(facet), "=", value)]
        for name, descending in reversed(_order(query.get("order_by"))):
            if name == "dataset_id":
                indexes.sort(key=self.dataset_id, reverse=descending)
            else:
                indexes.sort(key=lambda i, name=name: _sort_key(self._facts(i).get(name)),
                             reverse=descending)
        return indexes

    def _facts(self, index: int) -> dict[str, Any]:
        """What ODSQL sees of a dataset: its id and default metas."""
        if isinstance(self._raw.get(index, {}).get("metas", {}), dict):
            return {**self.default_metas(index), "dataset_id": self.dataset_id(index)}
        return {"dataset_id": self.dataset_id(index)}

    def _selected(self, index: int, select: str | None) -> dict[str, Any]:
        names = [name.strip() for name in (select or "*").split(",")]
        if names == ["dataset_id"]:  # no need to build the rest
            return {"dataset_id": self.dataset_id(index)}
        dataset = self.dataset(index)
        if "*" in names:
            return dataset
        unknown = [name for name in names if name not in TOP_LEVEL]
        if unknown:
            raise OdsqlError(f"unknown field {unknown[0]!r} in select")
        return {name: dataset[name] for name in names}


def _error(code: str, message: str) -> Reply:
    return Reply(400, json.dumps({"error_code": code, "message": message}).encode(), JSON)


def _window(query: dict[str, str], export: bool) -> tuple[int, int]:
    """``limit`` and ``offset`` checked as the API does (ValueError with its message)."""
    raw_limit, raw_offset = query.get("limit", "-1" if export else "10"), query.get("offset", "0")
    if not re.fullmatch(r"-?\d+", raw_limit) or int(raw_limit) < -1 or (
            not export and int(raw_limit) > 100):
        bound = "-1 <= limit" if export else "-1 <= limit <= 100"
        raise ValueError(f"Invalid value for limit API parameter: {raw_limit} was found but "
                         f"{bound} is expected.")
    if not raw_offset.isdigit():
        raise ValueError(f"Invalid value for offset API parameter: {raw_offset} was found but "
                         "offset >= 0 is expected.")
    limit, offset = int(raw_limit), int(raw_offset)
    if not export and limit == -1:
        limit = 10
    if (not export or offset) and offset + max(limit, 0) > 10_000:
        raise ValueError(f"Invalid value for sum of offset + limit API parameter: "
                         f"{offset + limit} was found but <= 10000 is expected.")
    return limit, offset


def _order(text: str | None) -> list[tuple[str, bool]]:
    keys = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or not re.fullmatch(r"[a-z_]+", words[0]) or (
                len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise OdsqlError(f"invalid order_by expression {part.strip()!r}")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return keys


def _sort_key(value: Any) -> tuple[int, Any]:
    return (1, "") if value is None else (0, str(value))


# --- a small ODSQL where parser -----------------------------------------------------------

_TOKEN = re.compile(r"""\s*(date'[^']*'|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|>=|<=|!=|[=<>:()]
                        |[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)""", re.X)
Predicate = Callable[[dict[str, Any]], bool]


def parse_where(text: str) -> Predicate:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match:
            raise OdsqlError(f"unexpected text at {text[position:position + 20]!r}")
        tokens.append(match[1])
        position = match.end()
    parser = _Parser(tokens)
    predicate = parser.disjunction()
    if parser.position != len(tokens):
        raise OdsqlError(f"unexpected {tokens[parser.position]!r}")
    return predicate


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens, self.position = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise OdsqlError("the expression ends too early")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        if (self.peek() or "").upper() == word:
            self.position += 1
            return True
        return False

    def disjunction(self) -> Predicate:
        terms = [self.conjunction()]
        while self.keyword("OR"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else lambda facts: any(t(facts) for t in terms)

    def conjunction(self) -> Predicate:
        factors = [self.factor()]
        while self.keyword("AND"):
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else (
            lambda facts: all(f(facts) for f in factors))

    def factor(self) -> Predicate:
        if self.keyword("NOT"):
            inner = self.factor()
            return lambda facts: not inner(facts)
        if self.peek() == "(":
            self.take()
            inner = self.disjunction()
            if self.take() != ")":
                raise OdsqlError("a parenthesis is not closed")
            return inner
        first = self.take()
        if self.keyword("IN"):
            value, field = _literal(first), self.take()
            return lambda facts: _holds(facts.get(field), "=", value)
        operator = self.take()
        if operator not in ("=", "!=", ">", ">=", "<", "<=", ":"):
            raise OdsqlError(f"unexpected {operator!r} after {first!r}")
        value = _literal(self.take())
        return lambda facts: _holds(facts.get(first), operator, value)


def _literal(token: str) -> Any:
    if token.startswith("date'"):
        moment = _moment(token[5:-1].replace("/", "-"))
        if moment is None:
            raise OdsqlError(f"invalid date {token}")
        return moment
    if token[0] in "\"'":
        return token[1:-1]
    if token.lower() in ("true", "false"):
        return token.lower() == "true"
    if re.fullmatch(r"-?\d+(?:\.\d+)?", token):
        return float(token)
    raise OdsqlError(f"{token!r} is not a literal")


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _holds(actual: Any, operator: str, expected: Any) -> bool:
    if isinstance(actual, list):
        return any(_holds(item, operator, expected) for item in actual)
    if actual is None:
        return operator == "!="
    if isinstance(expected, datetime):
        actual = _moment(str(actual))
        if actual is None:
            return False
    elif isinstance(expected, float):
        actual = float(actual)
    elif operator == ":":
        return str(expected).lower() in str(actual).lower()
    comparisons = {"=": actual == expected, "!=": actual != expected, ":": actual == expected}
    if operator in comparisons:
        return comparisons[operator]
    return {">": actual > expected, ">=": actual >= expected, "<": actual < expected,
            "<=": actual <= expected}[operator]
