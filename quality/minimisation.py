"""Minimisation (GDPR Art. 5(1)(c)): the score of how well a table's personal data is
minimised, each criterion explained; the remedies, each with the score the table would reach
with it ("what-if"); the recipes that apply them to produce a shareable file; and the verdict
the sharing agreements rely on (``open``, ``agreement_only``, ``do_not_share``).

The weights, thresholds and bands are in ``quality.rubric``. Everything runs on the columnar
engine; reports name columns and counts, never a value from the data.

A recipe is a list of steps, as JSON::

    {"steps": [
      {"action": "drop", "columns": ["nir"]},
      {"action": "pseudonymise", "columns": ["siret"]},
      {"action": "generalise_date", "columns": ["date_naissance"], "to": "year"},
      {"action": "to_departement", "columns": ["code_postal"]},
      {"action": "gps_grid", "columns": ["latitude", "longitude"]},
      {"action": "suppress_small_classes", "columns": ["age", "sexe"], "k": 11}
    ]}

``pseudonymise`` replaces each value by a keyed BLAKE2b hash (the key stays with the
publisher, so the same person gets the same pseudonym in every file made with that key).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from catalogue.vocabularies import ACCESS_TYPE_LABELS
from quality import rubric
from quality.grading import Criterion, Score, percent, total
from quality.risk import (
    QUASI_KINDS,
    Risk,
    assess_keys,
    class_key,
    keys,
    quasi_identifiers,
    sensitive_columns,
)

ACTIONS = ("drop", "pseudonymise", "generalise_date", "to_departement", "gps_grid",
           "suppress_small_classes")
DATE_LEVELS = ("year", "month")
# A grid step in degrees of about GPS_GRID_METRES in metropolitan France.
GPS_GRID_DEGREES = round(rubric.GPS_GRID_METRES / 100_000, 4)
# Values of a stable pseudonym: a hexadecimal MD5, SHA-1 or SHA-256 digest.
PSEUDONYM = r"(?i)^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$"
DAY_DATE = r"^\s*(?:\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})"
ISO_DATE = r"^\s*(\d{4})-(\d{2})"
FRENCH_DATE = r"^\s*\d{2}/(\d{2})/(\d{4})"
# Quasi-identifiers that describe a person, and those that only place a record.
PERSON_KINDS = {"birth_date", "age", "sex", "profession", "nationality"}
PLACE_KINDS = {"postal_code", "commune", "iris", "gps"}
# Precision facts are measured on at most this many values per column.
SAMPLE = 20_000
MAJORITY = 0.5


class RecipeError(ValueError):
    """A recipe that cannot be applied, said in French."""


@dataclass
class Step:
    action: str
    columns: list[str]
    # generalise_date: "year" or "month".
    to: str | None = None
    # suppress_small_classes: the class size under which records are removed.
    k: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass
class Remedy:
    step: Step
    label: str
    # The criteria it improves ("direct_identifiers" for the gate).
    improves: list[str]
    # The minimisation score with this remedy alone.
    score: int | None = None
    grade: str | None = None
    # Records the remedy removes (suppressing small classes).
    records_removed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step.to_dict(), "label": self.label, "improves": self.improves,
                "score": self.score, "grade": self.grade,
                "records_removed": self.records_removed}


@dataclass
class Minimisation:
    score: Score
    risk: Risk | None
    remedies: list[Remedy] = field(default_factory=list)
    # The remedies in order, the recipe ``ctd minimise FILE --apply auto`` applies: all but
    # a suppression of small classes that would remove too many records.
    recipe: list[Step] = field(default_factory=list)
    recipe_score: int | None = None
    recipe_grade: str | None = None
    recipe_records_removed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score.to_dict(),
            "risk": self.risk.to_dict() if self.risk else None,
            "remedies": [remedy.to_dict() for remedy in self.remedies],
            "recipe": {"steps": [step.to_dict() for step in self.recipe]},
            "recipe_score": self.recipe_score,
            "recipe_grade": self.recipe_grade,
            "recipe_records_removed": self.recipe_records_removed,
        }


# The state a score is computed from; remedies change it.


@dataclass
class _State:
    frame: pl.DataFrame
    detections: list[Any]
    # Columns already replaced by stable pseudonyms.
    pseudonyms: set[str]
    # The risk's hashes of the quasi-identifier and sensitive columns (``quality.risk.keys``).
    hashed: pl.DataFrame


def effective(detections: list[Any]) -> list[Any]:
    """The detections that matter for minimisation. Places (postal code, commune, IRIS, GPS)
    are quasi-identifiers only in records about persons — a file with a person-level
    detection (an identifier, a direct identifier, a sensitive attribute, a birth date, an
    age, a sex, a profession, a nationality); a file of equipment or of subsidies to
    associations locates no one. Works on ``Detection`` objects and on their dictionaries."""
    def get(detection: Any, key: str) -> Any:
        return detection[key] if isinstance(detection, dict) else getattr(detection, key)

    persons = any(get(d, "category") in ("identifier", "direct", "sensitive")
                  or get(d, "kind") in PERSON_KINDS for d in detections)
    return [d for d in detections if persons or get(d, "kind") not in PLACE_KINDS]


def minimise(frame: pl.DataFrame, detections: list[Any], *, k: int = rubric.DEFAULT_K,
             quasi: list[str] | None = None) -> Minimisation:
    """The minimisation of ``frame`` given its personal-data ``detections``; ``quasi``
    overrides the quasi-identifiers chosen from the detections."""
    detections = effective(detections)
    hashed = keys(frame, [name for name in dict.fromkeys(
        [*(quasi or quasi_identifiers(detections)), *sensitive_columns(detections)])
        if name in frame.columns])
    state = _State(frame, detections, _pseudonym_columns(frame), hashed)
    risk = _risk(state, k, quasi)
    score = _score(state, risk)
    result = Minimisation(score, risk)
    if score.value == 100:
        return result
    steps = _column_steps(state, risk)
    alone = [_simulate(state, step, k) for step in steps]
    combined = _combine(state, steps, alone)
    recipe = list(steps)
    left = _risk(combined, k, quasi)
    if left is not None and left.share_at_risk > 0:  # then the small classes left
        suppress = Step("suppress_small_classes", left.quasi_identifiers, k=k)
        steps.append(suppress)
        alone.append(_simulate(state, suppress, k))
        suppressed = _simulate(combined, suppress, k)
        # Suppression is for a few outliers: removing more is not done without asking.
        if suppressed.frame.height >= (1 - rubric.MAX_SUPPRESSED_SHARE) * frame.height:
            recipe.append(suppress)
            combined = suppressed
    for step, after in zip(steps, alone, strict=True):
        what_if = _score(after, _risk(after, k, quasi))
        removed = frame.height - after.frame.height
        result.remedies.append(Remedy(step, _label(step, removed, frame.height),
                                      _improves(step, state), what_if.value, what_if.grade,
                                      removed))
    final = _score(combined, _risk(combined, k, quasi))
    result.recipe, result.recipe_score, result.recipe_grade = recipe, final.value, final.grade
    result.recipe_records_removed = frame.height - combined.frame.height
    return result


def _risk(state: _State, k: int, quasi: list[str] | None) -> Risk | None:
    chosen = quasi if quasi is not None else quasi_identifiers(state.detections)
    return assess_keys(state.hashed, chosen, sensitive_columns(state.detections), k)


# The score


def _score(state: _State, risk: Risk | None) -> Score:
    k = risk.k if risk else rubric.DEFAULT_K
    w = rubric.MINIMISATION_WEIGHTS
    precision = _precision(state)
    quasi = {d.column for d in state.detections
             if d.kind in QUASI_KINDS and d.column in state.frame.columns}
    criteria = [
        Criterion("singling_out", "Individualisation", w["singling_out"], *_singling_out(risk)),
        Criterion("average_risk", "Risque moyen", w["average_risk"], *_average_risk(risk, k)),
        Criterion("linkability", "Corrélation", w["linkability"], *_linkability(precision, quasi)),
        Criterion("inference", "Inférence", w["inference"], *_inference(risk)),
        Criterion("granularity", "Granularité", w["granularity"],
                  *_granularity(precision, quasi)),
    ]
    score = total("minimisation", criteria, _gate(state.detections))
    score.band = band(score.value, score.gate.value if score.gate else 1.0)
    score.details["quasi_identifiers"] = risk.quasi_identifiers if risk else []
    score.details["k"] = k
    return score


def band(value: int | None, gate: float | None) -> str | None:
    if value is None:
        return None
    if gate == 0 or value < rubric.DPO_REVIEW:
        return "blocked"
    return "minimised" if value >= rubric.MINIMISED else "dpo_review"


def _direct_kinds(detections: list[Any]) -> set[str]:
    return {d.kind for d in detections if d.category in ("direct", "possible")}


def _gate(detections: list[Any]) -> Criterion:
    label = "Identifiants directs (condition)"
    identifiers = sorted({d.kind for d in detections if d.kind in rubric.IDENTIFIER_KINDS})
    if identifiers:
        columns = _columns(detections, lambda d: d.kind in rubric.IDENTIFIER_KINDS)
        return Criterion(
            "direct_identifiers", label, 1.0, 0.0,
            f"Identifiants directs bloquants ({', '.join(_KIND_LABELS[k] for k in identifiers)})"
            f" dans {columns} : aucune ouverture ni usage pour l'IA n'est possible.",
            "Supprimez ces colonnes, ou pseudonymisez-les si un rapprochement est nécessaire.")
    direct = _direct_kinds(detections)
    named = "person_name" in direct
    if named and direct & rubric.CONTACT_KINDS:
        value = rubric.NAME_AND_CONTACT_GATE
        note = "des noms de personnes avec un moyen de les contacter"
    elif len(direct) > 1:
        value = rubric.MANY_DIRECT_GATE
        note = "plusieurs sortes d'identifiants directs"
    else:
        value = rubric.DIRECT_GATES[len(direct)]
        note = "un type d'identifiant direct" if direct else ""
    if not direct:
        return Criterion("direct_identifiers", label, 1.0, value,
                         "Aucun identifiant direct détecté.")
    columns = _columns(detections, lambda d: d.category in ("direct", "possible"))
    kinds = ", ".join(_KIND_LABELS.get(kind, kind) for kind in sorted(direct))
    return Criterion("direct_identifiers", label, 1.0, value,
                     f"Le fichier contient {note} ({kinds}) dans {columns}.",
                     "Supprimez ou pseudonymisez ces colonnes avant ouverture ou partage.")


def _singling_out(risk: Risk | None) -> tuple[float, str, str | None]:
    if risk is None:
        return 1.0, "Aucun quasi-identifiant détecté : pas d'individualisation possible.", None
    value = 1 - risk.share_at_risk
    if risk.share_at_risk == 0:
        return value, (f"Chaque combinaison de quasi-identifiants concerne au moins {risk.k} "
                       "enregistrements."), None
    return value, (
        f"{percent(risk.share_at_risk)} des enregistrements sont dans une classe de moins "
        f"de {risk.k} (la plus petite : {risk.smallest_class}) selon "
        f"{_names(risk.quasi_identifiers)}."), (
        "Généralisez ces colonnes (date à l'année, code postal au département, coordonnées "
        "sur une grille) ou supprimez les petites classes.")


def _average_risk(risk: Risk | None, k: int) -> tuple[float, str, str | None]:
    if risk is None:
        return 1.0, "Aucun quasi-identifiant détecté.", None
    value = min(1.0, risk.mean_class_size / k)
    size = f"{risk.mean_class_size:.1f}".replace(".", ",")
    note = (f"Taille moyenne des classes : {size} enregistrements (risque moyen "
            f"{percent(risk.average_risk)}, risque maximal {percent(risk.highest_risk)}).")
    return value, note, None if value == 1 else (
        f"Visez des classes d'au moins {k} enregistrements en généralisant les "
        "quasi-identifiants.")


def _linkability(precision: dict[str, str], quasi: set[str]) -> tuple[
        float, str, str | None]:
    """Over the quasi-identifiers and pseudonyms: the share precise enough to link."""
    candidates = quasi | {name for name, fact in precision.items() if fact == "pseudonym"}
    linkable = sorted(name for name in candidates if precision.get(name) in _LINKABLE)
    if not candidates:
        return 1.0, "Aucune colonne ne permet de rapprocher ce fichier d'un autre.", None
    value = 1 - len(linkable) / len(candidates)
    if not linkable:
        return value, "Les quasi-identifiants ne sont pas assez précis pour un rapprochement.", None
    details = ", ".join(f"« {name} » ({_PRECISION_LABELS[precision[name]]})" for name in linkable)
    return value, f"Colonnes permettant un rapprochement avec d'autres sources : {details}.", (
        "Ramenez les dates à l'année ou au mois, les coordonnées à une grille de 200 m ; "
        "un pseudonyme stable reste une donnée personnelle.")


def _inference(risk: Risk | None) -> tuple[float, str, str | None]:
    if risk is None or not risk.sensitive:
        return 1.0, "Aucun attribut sensible rattaché à des quasi-identifiants.", None
    value = 1 - risk.share_inferable
    if not risk.share_inferable:
        return value, (f"Les attributs sensibles ({_names(risk.sensitive)}) varient dans "
                       "chaque classe."), None
    return value, (
        f"{percent(risk.share_inferable)} des enregistrements sont dans une classe où "
        f"{_names(risk.sensitive)} ne prend qu'une valeur : elle se déduit des "
        "quasi-identifiants."), (
        "Supprimez l'attribut sensible ou les petites classes, ou généralisez les "
        "quasi-identifiants.")


def _granularity(precision: dict[str, str], quasi: set[str]) -> tuple[
        float, str, str | None]:
    """Over the quasi-identifiers and free-text columns: the share more precise than
    needed."""
    candidates = quasi | {name for name, fact in precision.items() if fact == "free_text"}
    excessive = sorted(name for name, fact in precision.items() if fact in _EXCESSIVE)
    if not candidates:
        return 1.0, "Aucune donnée personnelle trop précise.", None
    value = 1 - len(excessive) / len(candidates)
    if not excessive:
        return value, "La précision des données personnelles reste mesurée.", None
    details = ", ".join(f"« {name} » ({_PRECISION_LABELS[precision[name]]})"
                        for name in excessive)
    return value, f"Précision excessive : {details}.", (
        "Ne gardez que la précision utile : l'année de naissance, une grille de 200 m, pas de "
        "données personnelles dans les textes libres.")


_LINKABLE = {"day", "gps", "gps_excess", "pseudonym"}
_EXCESSIVE = {"day", "gps_excess", "free_text"}
_PRECISION_LABELS = {
    "day": "date au jour près",
    "gps": f"{rubric.LINKABLE_GPS_DECIMALS} décimales, environ 11 m",
    "gps_excess": f"plus de {rubric.LINKABLE_GPS_DECIMALS} décimales",
    "pseudonym": "pseudonyme stable",
    "free_text": "données personnelles dans un texte libre",
}
_KIND_LABELS = {
    "nir": "NIR", "iban": "IBAN", "plate": "plaques d'immatriculation",
    "person_name": "noms de personnes", "email": "courriels", "phone": "téléphones",
    "address": "adresses postales", "ip": "adresses IP", "siren": "SIREN", "siret": "SIRET",
}  # fmt: skip


def _precision(state: _State) -> dict[str, str]:
    """What makes a column too precise, by column: ``day`` (a birth date to the day),
    ``gps`` or ``gps_excess`` (coordinates with 4 decimals or more), ``pseudonym`` (a stable
    pseudonym), ``free_text`` (personal data in free text). Measured on the frame, so that a
    remedy's effect shows."""
    frame, facts = state.frame, {}
    for name in state.pseudonyms & set(frame.columns):
        facts[name] = "pseudonym"
    for detection in state.detections:
        name = detection.column
        if name not in frame.columns or name in facts:
            continue
        if (detection.detail or {}).get("free_text"):
            facts[name] = "free_text"
        elif detection.kind == "birth_date" and _share(frame, name, DAY_DATE) > MAJORITY:
            facts[name] = "day"
        elif detection.kind == "gps":
            decimals = _decimals(frame, name)
            if decimals > rubric.LINKABLE_GPS_DECIMALS:
                facts[name] = "gps_excess"
            elif decimals == rubric.LINKABLE_GPS_DECIMALS:
                facts[name] = "gps"
    return facts


def _sample(frame: pl.DataFrame, name: str) -> pl.Series:
    values = frame[name].drop_nulls()
    step = max(1, len(values) // SAMPLE)
    return values.gather_every(step).cast(pl.String)


def _share(frame: pl.DataFrame, name: str, pattern: str) -> float:
    values = _sample(frame, name)
    return float(values.str.contains(pattern).mean() or 0.0) if len(values) else 0.0


def _decimals(frame: pl.DataFrame, name: str) -> int:
    """The usual number of decimals of a coordinate column (its median)."""
    values = _sample(frame, name)
    digits = values.str.extract(r"[.,](\d+)\s*\]?$").str.len_chars().fill_null(0)
    return int(digits.median() or 0) if len(values) else 0


def _pseudonym_columns(frame: pl.DataFrame) -> set[str]:
    return {name for name, dtype in frame.schema.items()
            if dtype == pl.String and _share(frame, name, PSEUDONYM) > 0.95}


def _columns(detections: list[Any], keep: Any) -> str:
    return _names(list(dict.fromkeys(d.column for d in detections if keep(d))))


def _names(names: list[str]) -> str:
    return ", ".join(f"« {name} »" for name in names)


# Remedies


def _column_steps(state: _State, risk: Risk | None) -> list[Step]:
    """One step per column with a problem: dropped, pseudonymised or generalised (each step
    touches its own columns)."""
    steps: list[Step] = []
    handled: set[str] = set()
    precision = _precision(state)
    by_column: dict[str, list[Any]] = {}
    for detection in state.detections:
        by_column.setdefault(detection.column, []).append(detection)
    for name, found in by_column.items():
        kinds = {d.kind for d in found}
        categories = {d.category for d in found}
        inferable = bool(risk and name in risk.sensitive and risk.share_inferable)
        if (categories & {"identifier", "direct"} or precision.get(name) == "free_text"
                or inferable):
            steps.append(Step("drop", [name]))
        elif "possible" in categories:
            steps.append(Step("pseudonymise", [name]))
        elif "birth_date" in kinds and precision.get(name) == "day":
            steps.append(Step("generalise_date", [name], to="year"))
        elif kinds & {"postal_code", "commune"} and _is_code(state.frame, name):
            steps.append(Step("to_departement", [name]))
        else:
            continue
        handled.add(name)
    grid = [d.column for d in state.detections if d.kind == "gps"
            and precision.get(d.column) in ("gps", "gps_excess") and d.column not in handled
            and _is_number(state.frame, d.column)]
    if grid:
        steps.append(Step("gps_grid", list(dict.fromkeys(grid))))
    return steps


def _is_code(frame: pl.DataFrame, name: str) -> bool:
    return _share(frame, name, r"^\s*(?:\d{5}|2[AaBb]\d{3})\s*$") > MAJORITY


def _is_number(frame: pl.DataFrame, name: str) -> bool:
    return _share(frame, name, r"^\s*[+-]?\d+(?:[.,]\d+)?\s*$") > MAJORITY


def _label(step: Step, removed: int = 0, records: int = 0) -> str:
    names = _names(step.columns)
    if step.action == "drop":
        return f"Supprimer {names}."
    if step.action == "pseudonymise":
        return f"Pseudonymiser {names} par un hachage à clé."
    if step.action == "generalise_date":
        return f"Ramener {names} à {'l’année' if step.to == 'year' else 'au mois'}."
    if step.action == "to_departement":
        return f"Ramener {names} au département."
    if step.action == "gps_grid":
        return f"Placer {names} sur une grille d'environ {rubric.GPS_GRID_METRES} m."
    share = removed / records if records else 0.0
    label = (f"Supprimer les enregistrements des classes de moins de {step.k} selon "
             f"{names} : {removed} enregistrement(s), {percent(share)} du fichier.")
    if share > rubric.MAX_SUPPRESSED_SHARE:
        label += (" C'est trop pour la recette automatique : généralisez davantage ou retirez "
                  "un quasi-identifiant.")
    return label


def _improves(step: Step, state: _State) -> list[str]:
    touched = [d for d in state.detections if d.column in step.columns]
    improves = []
    if any(d.category in ("identifier", "direct", "possible") for d in touched):
        improves.append("direct_identifiers")
    if step.action in ("generalise_date", "to_departement", "gps_grid",
                       "suppress_small_classes") or any(d.kind in QUASI_KINDS for d in touched):
        improves += ["singling_out", "average_risk"]
    if step.action in ("generalise_date", "gps_grid"):
        improves += ["linkability", "granularity"]
    if any(d.category == "sensitive" for d in touched):
        improves.append("inference")
    if any((d.detail or {}).get("free_text") for d in touched):
        improves.append("granularity")
    return list(dict.fromkeys(improves))


def _simulate(state: _State, step: Step, k: int) -> _State:
    """The state after ``step``, without computing pseudonyms (a what-if needs only to know
    which columns they replace); only the hashes of the columns the step changes are
    computed again."""
    columns = set(step.columns)
    if step.action in ("drop", "pseudonymise"):
        detections = [d for d in state.detections if d.column not in columns]
        if step.action == "pseudonymise":
            return _State(state.frame, detections, state.pseudonyms | columns, state.hashed)
        return _State(state.frame.drop(columns), detections, state.pseudonyms - columns,
                      state.hashed.drop(columns & set(state.hashed.columns)))
    if step.action == "suppress_small_classes":
        names = [name for name in step.columns if name in state.hashed.columns]
        if not names:
            return state
        kept = state.hashed.select(pl.len().over(class_key(names)) >= (step.k or k)).to_series()
        return _State(state.frame.filter(kept), state.detections, state.pseudonyms,
                      state.hashed.filter(kept))
    frame = _transform(state.frame, step, k)
    changed = [name for name in step.columns if name in state.hashed.columns]
    hashed = state.hashed.with_columns(keys(frame, changed)) if changed else state.hashed
    return _State(frame, state.detections, state.pseudonyms, hashed)


def _combine(state: _State, steps: list[Step], alone: list[_State]) -> _State:
    """The state after all of ``steps`` (which touch separate columns), from the state each
    gives alone: nothing is transformed or hashed twice."""
    frame, hashed = state.frame, state.hashed
    detections, pseudonyms = state.detections, set(state.pseudonyms)
    for step, after in zip(steps, alone, strict=True):
        columns = set(step.columns)
        if step.action in ("drop", "pseudonymise"):
            detections = [d for d in detections if d.column not in columns]
        if step.action == "drop":
            frame, pseudonyms = frame.drop(columns), pseudonyms - columns
            hashed = hashed.drop(columns & set(hashed.columns))
        elif step.action == "pseudonymise":
            pseudonyms |= columns
        else:
            frame = frame.with_columns(after.frame.select(step.columns))
            hashed = hashed.with_columns(after.hashed.select(
                [name for name in step.columns if name in hashed.columns]))
    return _State(frame, detections, pseudonyms, hashed)


# Recipes


def parse_recipe(recipe: Any, columns: list[str]) -> list[Step]:
    """The steps of a recipe (``{"steps": [...]}`` or a bare list), checked against the file's
    ``columns``; ``RecipeError`` in French otherwise."""
    items = recipe.get("steps") if isinstance(recipe, dict) else recipe
    if not isinstance(items, list) or not items:
        raise RecipeError("la recette doit contenir une liste « steps » non vide")
    steps = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("action") not in ACTIONS:
            raise RecipeError(f"étape {number} : action inconnue ; actions possibles : "
                              f"{', '.join(ACTIONS)}")
        names = item.get("columns")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise RecipeError(f"étape {number} : « columns » doit être une liste de colonnes")
        unknown = [name for name in names if name not in columns]
        if unknown:
            raise RecipeError(f"étape {number} : colonne(s) absente(s) du fichier : "
                              f"{', '.join(unknown)}")
        to, k = item.get("to"), item.get("k")
        if item["action"] == "generalise_date" and (to or "year") not in DATE_LEVELS:
            raise RecipeError(f"étape {number} : « to » vaut « year » ou « month »")
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 2):
            raise RecipeError(f"étape {number} : « k » doit être un entier d'au moins 2")
        steps.append(Step(item["action"], names,
                          to=(to or "year") if item["action"] == "generalise_date" else None,
                          k=(k or rubric.DEFAULT_K) if item["action"] ==
                          "suppress_small_classes" else None))
        columns = [c for c in columns if c not in names] if item["action"] == "drop" else columns
    return steps


def apply(frame: pl.DataFrame, steps: list[Step], key: bytes | None = None) -> pl.DataFrame:
    """``frame`` with the recipe's ``steps`` applied in order. ``key`` is required by
    ``pseudonymise``."""
    for step in steps:
        if step.action == "drop":
            frame = frame.drop(step.columns)
        elif step.action == "pseudonymise":
            if not key:
                raise RecipeError("la pseudonymisation demande une clé secrète")
            frame = frame.with_columns(_pseudonymised(frame[name], key) for name in step.columns)
        else:
            frame = _transform(frame, step, step.k or rubric.DEFAULT_K)
    return frame


def _pseudonymised(values: pl.Series, key: bytes) -> pl.Series:
    """Each distinct value hashed once with keyed BLAKE2b (Polars has no keyed hash, so the
    loop runs over distinct values, not rows)."""
    distinct = values.drop_nulls().unique().cast(pl.String)
    digests = [hashlib.blake2b(value.encode(), key=key[:64], digest_size=16).hexdigest()
               for value in distinct.to_list()]
    mapping = dict(zip(distinct.to_list(), digests, strict=True))
    return values.cast(pl.String).replace_strict(mapping, default=None, return_dtype=pl.String)


def _transform(frame: pl.DataFrame, step: Step, k: int) -> pl.DataFrame:
    """The generalising steps and the suppression, as Polars expressions; values stay text
    where they were text."""
    if step.action == "generalise_date":
        return frame.with_columns(_date_to(pl.col(name).cast(pl.String), step.to or "year")
                                  .alias(name) for name in step.columns)
    if step.action == "to_departement":
        return frame.with_columns(_departement(pl.col(name).cast(pl.String)).alias(name)
                                  for name in step.columns)
    if step.action == "gps_grid":
        return frame.with_columns(_on_grid(frame, name).alias(name) for name in step.columns)
    keys = [pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()
            for name in step.columns if name in frame.columns]
    if not keys:
        return frame
    return frame.filter(pl.len().over(keys) >= (step.k or k))


def _date_to(values: pl.Expr, level: str) -> pl.Expr:
    iso, french = values.str.extract_groups(ISO_DATE), values.str.extract_groups(FRENCH_DATE)
    year = pl.coalesce(iso.struct.field("1"), french.struct.field("2"))
    month = pl.coalesce(iso.struct.field("2"), french.struct.field("1"))
    generalised = year if level == "year" else pl.concat_str(year, pl.lit("-"), month)
    # A value that is not a full date (already a year, say) is kept as it is.
    return pl.coalesce(generalised, values)


def _departement(values: pl.Expr) -> pl.Expr:
    """The département of a postal or INSEE code: 2 characters (2A, 2B for Corsican INSEE
    codes), 3 overseas (97x, 98x). A Corsican postal code (20xxx) gives 20."""
    code = values.str.strip_chars().str.to_uppercase()
    overseas = code.str.starts_with("97") | code.str.starts_with("98")
    return pl.when(overseas).then(code.str.slice(0, 3)).otherwise(code.str.slice(0, 2))


def _on_grid(frame: pl.DataFrame, name: str) -> pl.Expr:
    """Coordinates moved to the nearest point of a grid of ``GPS_GRID_DEGREES`` and written
    with 3 decimals, in the column's decimal mark."""
    text = pl.col(name).cast(pl.String).str.strip_chars()
    comma = _share(frame, name, r",\d") > MAJORITY
    number = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    snapped = ((number / GPS_GRID_DEGREES).round(0) * GPS_GRID_DEGREES).round(3)
    written = snapped.cast(pl.String)
    return written.str.replace(".", ",", literal=True) if comma else written


# The verdict


def verdict(minimisation: dict[str, Any] | None, detections: list[dict[str, Any]],
            access: str | None = None, licence_open: bool | None = None) -> dict[str, Any]:
    """What may be done with the data: ``open`` (publishable as open data),
    ``agreement_only`` (shareable under an agreement) or ``do_not_share``, with the reasons
    (in French), whether AI training is ``allowed``, ``agreement_only`` or ``blocked``, and
    the categories of personal data found (what a sharing agreement's precheck reads).
    ``minimisation`` is a score's ``to_dict()``; ``access`` and ``licence_open`` come from the
    dataset's metadata (None for a bare file)."""
    reasons: list[str] = []
    value = minimisation.get("value") if minimisation else None
    gate = (minimisation.get("gate") or {}).get("value") if minimisation else None
    state = band(value, gate)
    categories = {d["category"] for d in effective(detections)}
    if gate == 0:
        reasons.append("Le fichier contient des identifiants directs bloquants (NIR, IBAN ou "
                       "plaques) : supprimez-les ou pseudonymisez-les avant tout partage.")
    if "sensitive" in categories and categories & {"identifier", "direct"}:
        reasons.append("Des données sensibles (RGPD art. 9 ou 10) côtoient des identifiants "
                       "directs.")
    if reasons:
        return {"verdict": "do_not_share", "reasons": reasons, "ai_training": "blocked",
                "categories": sorted(categories)}
    if state in ("blocked", "dpo_review"):
        reasons.append(f"Données personnelles insuffisamment minimisées (score {value}/100) : "
                       "partage seulement sous convention, après avis du DPO.")
    elif categories:
        reasons.append("Des données personnelles ou indirectement identifiantes subsistent ; "
                       "leur minimisation est suffisante.")
    if access not in (None, "open"):
        reasons.append(f"Le jeu de données est en accès {ACCESS_TYPE_LABELS.get(access, access)}.")
    if licence_open is False:
        reasons.append("Le jeu de données n'est pas sous licence ouverte.")
    shared = state in ("blocked", "dpo_review") or access not in (None, "open") or \
        licence_open is False
    if not shared:
        reasons.append("Aucune donnée personnelle à minimiser n'empêche l'ouverture."
                       if not categories else "Publication possible en données ouvertes.")
    ai = "blocked" if state == "blocked" else "agreement_only" if shared else "allowed"
    return {"verdict": "agreement_only" if shared else "open", "reasons": reasons,
            "ai_training": ai, "categories": sorted(categories)}
