"""ODRL 2.2 agreements: build one from an agreement's terms, hash it, compile it, and
evaluate access requests against it.

**Building.** ``build_agreement(terms)`` gives the ODRL ``Agreement`` as JSON-LD: the
assigner (publishing organisation), the assignee (vendor), the target datasets, one
permission — the assignee may ``use`` the targets — carrying the constraints and duties of
the chosen clauses, the clauses' prohibitions (each with the remedies of REMEDIES) and
obligations, and ``conflict: prohibit``. Every rule and duty, and every constraint of the
permission, names its clause (``ctd:clause``). ``policy_hash`` is the SHA-256 of its
canonical JSON (sorted keys, no whitespace, UTF-8).

**Evaluating.** ``compile(policy)`` turns the JSON-LD once into plain Python objects;
``evaluate(compiled, request, world)`` then answers a ``Request`` (action, target,
assignee, declared purpose, payload size, declared hosting country, recipient, channel)
in a ``World`` (time, agreement state, requests and bytes already served, overdue duties)
with a ``Decision``: allowed or not, a short French reason, and a rule-by-rule explanation.

Semantics (the subset of ODRL 2.2 ctd publishes):

- closed world: an action is allowed only when an active permission covers it; a permission
  of an action covers the actions included in it (``use`` covers ``read`` and the draft AI
  actions, not ``sell``, which is included in ``transfer``), see ``data/odrl.toml``;
- a prohibition applies to its action, to the actions included in it, and — to be safe —
  to a broader action that includes it (a request to ``use`` is caught by a prohibition of
  ``ai-training``);
- a rule is active when all its constraints hold (``and``); ``conflict: prohibit`` makes an
  active prohibition win over permissions, ``perm`` the reverse, ``invalid`` (ODRL's default)
  denies when both are active;
- a permission whose duty is overdue in the world is inactive, and an overdue obligation
  denies access; ``World.overdue`` names duties by uid, by the part of the uid after ``#``,
  or by clause id. Constraints of duties, obligations and remedies (deadline, period,
  amount, format) describe them and are not evaluated: their fulfilment is the world's;
- only an agreement whose state is ``active`` allows anything; the request's target must be
  one of the policy's and its assignee the policy's assignee.

Constraints evaluated on a request: ``purpose`` (eq, neq, isAnyOf, isNoneOf; purpose ids or
their IRIs https://w3id.org/ctd/purpose#…), ``recipient`` and ``deliveryChannel`` (same
operators), ``spatial`` (same operators, ISO 3166 IRIs or alpha-2 codes, against the declared
hosting country), ``dateTime`` (eq, neq, lt, lteq, gt, gteq, against ``World.now``; a bare
date is midnight Europe/Paris), ``count`` (same operators, against the requests already
served plus this one) and ``ctd:volume`` (same operators, in bytes, against the bytes already
delivered plus this payload: ODRL's ``absoluteSize`` measures one asset, not a running
total). Logical constraints (``and``, ``or``, ``xone``), refinements and other operands or
operators raise ``PolicyError`` at compilation rather than being misread.
"""

from __future__ import annotations

import hashlib
import json
import operator as op
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sharing_agreements import clauses as lib
from sharing_agreements import vocabularies as vocab
from sharing_agreements.clauses import Terms

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
ACTIVE = "active"
BASE_ACTION = "use"
# Left operands compared as members of a set, and as ordered values.
SET_OPERANDS = ("purpose", "recipient", "deliveryChannel", "spatial")
ORDERED_OPERANDS = ("dateTime", "count", "ctd:volume")
SET_OPERATORS = ("eq", "neq", "isAnyOf", "isNoneOf")
ORDERED_OPERATORS = {"eq": op.eq, "neq": op.ne, "lt": op.lt, "lteq": op.le, "gt": op.gt,
                     "gteq": op.ge}
CONFLICTS = ("prohibit", "perm", "invalid")


class PolicyError(ValueError):
    """A policy outside the subset the evaluator supports, or a malformed one."""


@dataclass(frozen=True, slots=True)
class Request:
    """An access request. ``action``, ``purpose`` and ``hosting_country`` may be ids or IRIs;
    ``size`` is the payload in bytes; ``recipient`` defaults to the assignee."""

    action: str
    target: str
    assignee: str
    purpose: str | None = None
    size: int = 0
    hosting_country: str | None = None
    recipient: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class World:
    """The state of the world a request is evaluated in. ``now`` is the time of the request
    (a naive datetime is taken as UTC); ``state`` the agreement's state in the workflow;
    ``count`` and ``volume`` are the requests and bytes already served under the agreement;
    ``overdue`` names the overdue duties (uids, uid fragments or clause ids)."""

    now: datetime
    state: str = ACTIVE
    count: int = 0
    volume: int = 0
    overdue: frozenset[str] = frozenset()


class Decision:
    """The answer to a request: ``allowed``, a short French ``reason`` (the first failure, or
    what was allowed), every ``failures`` in French, and the explanation — ``checks`` (agreement
    state, target, assignee) and ``rules``, one entry per rule of the policy: uid, type,
    clause, action, whether it applies to the request, whether it is active, each constraint
    (left operand, operator, right operand, actual value, satisfied; ``None`` for constraints
    that describe a duty) and each duty (overdue or not). The explanation is built when first
    read, so that deciding stays fast; ``to_dict()`` gives everything as JSON-ready data."""

    __slots__ = ("allowed", "reason", "failures", "policy_uid", "policy_hash", "action",
                 "_checks", "_outcomes", "_shown", "_rules")

    def __init__(self, allowed: bool, reason: str, failures: list[str], policy_uid: str,
                 policy_hash: str, action: str, checks: list[dict[str, Any]],
                 outcomes: list[tuple[Any, ...]], shown: dict[str, Any]) -> None:
        self.allowed = allowed
        self.reason = reason
        self.failures = failures
        self.policy_uid = policy_uid
        self.policy_hash = policy_hash
        self.action = action
        self._checks = checks
        self._outcomes = outcomes
        self._shown = shown
        self._rules: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"Decision(allowed={self.allowed!r}, reason={self.reason!r})"

    @property
    def checks(self) -> list[dict[str, Any]]:
        return self._checks

    @property
    def rules(self) -> list[dict[str, Any]]:
        if self._rules is None:
            shown = {key: _json_value(value) for key, value in self._shown.items()}
            self._rules = [_report(*outcome, shown) for outcome in self._outcomes]
        return self._rules

    def constraint(self, left: str, clause: str | None = None) -> dict[str, Any] | None:
        """The first failing constraint on ``left`` (of ``clause``), as the explanation gives
        it; None when no such constraint failed."""
        for rule in self.rules:
            for c in rule["constraints"]:
                if c["left"] == left and c["satisfied"] is False and (
                        clause is None or c["clause"] == clause or rule["clause"] == clause):
                    return c
        return None

    def to_dict(self) -> dict[str, Any]:
        """The decision as plain JSON-serialisable data."""
        return {"allowed": self.allowed, "reason": self.reason, "failures": self.failures,
                "action": self.action, "policy_uid": self.policy_uid,
                "policy_hash": self.policy_hash, "checks": self.checks, "rules": self.rules}


# Building.
def canonical_json(data: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes ``policy_hash`` hashes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def policy_hash(policy: Mapping[str, Any] | CompiledPolicy) -> str:
    """SHA-256 (hex) of the policy's canonical JSON."""
    if isinstance(policy, CompiledPolicy):
        return policy.hash
    return hashlib.sha256(canonical_json(policy)).hexdigest()


def context() -> list[Any]:
    """The JSON-LD context: ODRL's, and the prefixes of ctd's profile."""
    ns = vocab.namespaces()
    return [ODRL_CONTEXT, {prefix: ns[prefix] for prefix in ("ctd", "ctdai", "xsd")}]


def build_agreement(terms: Terms) -> dict[str, Any]:
    """The ODRL Agreement (JSON-LD) of an agreement's terms. The PURPOSE clause is required:
    every agreement is purpose-bound; and every chosen clause's text must have its parameters
    (``MissingParameter`` otherwise), so that text and policy say the same thing."""
    clause_ids = lib.ordered(terms.clauses)
    if "PURPOSE" not in clause_ids or not terms.purposes:
        raise lib.ClauseError("an agreement needs the PURPOSE clause and at least one purpose")
    if not terms.targets:
        raise lib.ClauseError("an agreement needs at least one target dataset")
    text = lib.text_params(terms)
    for clause_id in clause_ids:  # the agreement's text must be complete too
        lib.render(clause_id, text)
    params = lib.odrl_params(terms)
    uid = terms.uid
    permission: dict[str, Any] = {"uid": f"{uid}#permission", "action": BASE_ACTION,
                                  "constraint": [], "duty": []}
    prohibitions: list[dict[str, Any]] = []
    obligations: list[dict[str, Any]] = []
    permissions = [permission]
    remedies: list[dict[str, Any]] = []
    uids: set[str] = set()

    def rule(clause_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"uid": _unique(f"{uid}#{clause_id}-{_local(body['action'])}", uids),
                **body, "ctd:clause": clause_id}

    for clause_id in clause_ids:
        fragment = lib.machine_form(clause_id, params)
        for constraint in fragment.get("constraint", []):
            _append_new(permission["constraint"], {**constraint, "ctd:clause": clause_id})
        for duty in fragment.get("duty", []):
            permission["duty"].append(rule(clause_id, duty))
        permissions += [rule(clause_id, r) for r in fragment.get("permission", [])]
        prohibitions += [rule(clause_id, r)
                         for r in fragment.get("prohibition", [])]
        obligations += [rule(clause_id, r) for r in fragment.get("obligation", [])]
        remedies += [{**r, "ctd:clause": clause_id} for r in fragment.get("remedy", [])]
    for prohibition in prohibitions:
        for remedy in remedies:
            _append_new(prohibition.setdefault("remedy", []), remedy)
    for rule_ in permissions:
        for key in ("constraint", "duty"):
            if not rule_.get(key):
                rule_.pop(key, None)
    policy: dict[str, Any] = {
        "@context": context(),
        "@type": "Agreement",
        "uid": uid,
        "profile": vocab.profile(),
        "conflict": "prohibit",
        "assigner": terms.assigner,
        "assignee": terms.assignee,
        "target": list(terms.targets),
        "permission": permissions,
    }
    if prohibitions:
        policy["prohibition"] = prohibitions
    if obligations:
        policy["obligation"] = obligations
    policy["ctd:clauses"] = clause_ids
    policy["ctd:clauseLibraryVersion"] = lib.version()
    return policy


def _unique(candidate: str, taken: set[str]) -> str:
    uid, n = candidate, 2
    while uid in taken:
        uid, n = f"{candidate}-{n}", n + 1
    taken.add(uid)
    return uid


def _append_new(items: list[dict[str, Any]], item: dict[str, Any]) -> None:
    """Append ``item`` unless an equal one (clause aside) is already there."""
    key = canonical_json({k: v for k, v in item.items() if k != "ctd:clause"})
    if all(canonical_json({k: v for k, v in i.items() if k != "ctd:clause"}) != key
           for i in items):
        items.append(item)


def _local(term: str) -> str:
    """The local name of an IRI or compact IRI (``ctdai:ai-training`` → ``ai-training``)."""
    for separator in ("#", "/", ":"):
        if separator in term:
            term = term.rsplit(separator, 1)[1]
    return term


# Compiling.
@dataclass(slots=True)
class _Constraint:
    left: str
    operator: str
    right: Any  # as shown in explanations
    clause: str | None
    test: Callable[[Any], bool]
    evaluated: bool = True
    shown: dict[str, Any] = field(default_factory=dict)  # the explanation's fixed part

    def __post_init__(self) -> None:
        self.shown = {"left": self.left, "operator": self.operator, "right": self.right,
                      "clause": self.clause}


@dataclass(slots=True)
class _Duty:
    uid: str
    action: str
    clause: str | None
    keys: frozenset[str]


@dataclass(slots=True)
class _Rule:
    kind: str
    uid: str
    action: str
    clause: str | None
    targets: frozenset[str] | None
    constraints: tuple[_Constraint, ...]
    duties: tuple[_Duty, ...]
    keys: frozenset[str] = frozenset()  # how World.overdue names an obligation
    shown: dict[str, Any] = field(default_factory=dict)  # the explanation's fixed part

    def __post_init__(self) -> None:
        self.shown = {"uid": self.uid, "type": self.kind, "clause": self.clause,
                      "action": self.action}


@dataclass(slots=True)
class CompiledPolicy:
    uid: str
    hash: str
    type: str
    assigner: str | None
    assignees: frozenset[str]
    targets: frozenset[str]
    conflict: str
    permissions: tuple[_Rule, ...]
    prohibitions: tuple[_Rule, ...]
    obligations: tuple[_Rule, ...]
    sorted_targets: list[str] = field(default_factory=list)
    sorted_assignees: list[str] = field(default_factory=list)
    # Request action → (its id, which permissions cover it, which prohibitions apply to it).
    _actions: dict[str, tuple[str, tuple[bool, ...], tuple[bool, ...]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        self.sorted_targets = sorted(self.targets)
        self.sorted_assignees = sorted(self.assignees)

    def applicable(self, action: str) -> tuple[str, tuple[bool, ...], tuple[bool, ...]]:
        found = self._actions.get(action)
        if found is None:
            key = vocab.action_id(action)
            ancestors = vocab.action_ancestors(key)
            covered = tuple(r.action in ancestors for r in self.permissions)
            prohibited = tuple(r.action in ancestors or key in vocab.action_ancestors(r.action)
                               for r in self.prohibitions)
            found = (key, covered, prohibited)
            if key in vocab.actions():  # unknown actions come from requests: not kept
                self._actions[action] = found
        return found


def compile(policy: Mapping[str, Any]) -> CompiledPolicy:
    """The policy as plain Python objects, ready for ``evaluate``; raises ``PolicyError``
    when it is outside the supported subset."""
    if not isinstance(policy, Mapping):
        raise PolicyError("a policy is a JSON object")
    kind = _local(str(policy.get("@type", "Set")))
    uid = policy.get("uid")
    if not uid:
        raise PolicyError("the policy has no uid")
    assignees = frozenset(_iris(policy.get("assignee")))
    if kind == "Agreement" and (not policy.get("assigner") or not assignees):
        raise PolicyError("an Agreement needs an assigner and an assignee")
    conflict = _local(str(policy.get("conflict", "invalid")))
    if conflict not in CONFLICTS:
        raise PolicyError(f"unknown conflict strategy {conflict!r}")
    return CompiledPolicy(
        uid=uid, hash=policy_hash(policy), type=kind, assigner=policy.get("assigner"),
        assignees=assignees, targets=frozenset(_iris(policy.get("target"))), conflict=conflict,
        permissions=tuple(_rule("permission", r) for r in _list(policy.get("permission"))),
        prohibitions=tuple(_rule("prohibition", r) for r in _list(policy.get("prohibition"))),
        obligations=tuple(_rule("obligation", r) for r in _list(policy.get("obligation"))),
    )


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _iris(value: Any) -> list[str]:
    result = []
    for item in _list(value):
        if isinstance(item, Mapping):
            item = item.get("@id") or item.get("uid")
        if not isinstance(item, str) or not item:
            raise PolicyError(f"not an IRI: {item!r}")
        result.append(item)
    return result


def _rule(kind: str, body: Any) -> _Rule:
    if not isinstance(body, Mapping):
        raise PolicyError(f"a {kind} is a JSON object")
    uid = body.get("uid") or f"_:{kind}"
    action = body.get("action")
    if isinstance(action, list) and len(action) == 1:
        action = action[0]
    if isinstance(action, Mapping):
        if "refinement" in action:
            raise PolicyError(f"{uid}: action refinements are not supported")
        action = action.get("@id") or action.get("rdf:value", {}).get("@id")
    if not isinstance(action, str):
        raise PolicyError(f"{uid}: a rule needs exactly one action")
    evaluated = kind != "obligation"
    constraints = tuple(_constraint(uid, c, evaluated) for c in _list(body.get("constraint")))
    duties = tuple(_duty(d) for d in _list(body.get("duty")))
    for remedy in _list(body.get("remedy")):
        _duty(remedy)  # checked for shape; remedies are not evaluated
    targets = frozenset(_iris(body["target"])) if "target" in body else None
    clause = body.get("ctd:clause")
    keys = frozenset(k for k in (uid, uid.rpartition("#")[2], clause) if k)
    return _Rule(kind, uid, vocab.action_id(action), clause, targets, constraints, duties, keys)


def _duty(body: Any) -> _Duty:
    if not isinstance(body, Mapping) or not isinstance(body.get("action"), str):
        raise PolicyError(f"a duty needs one action: {body!r}")
    uid = body.get("uid") or ""
    for c in _list(body.get("constraint")):
        _constraint(uid, c, evaluated=False)
    clause = body.get("ctd:clause")
    keys = {k for k in (uid, uid.rpartition("#")[2], clause) if k}
    return _Duty(uid, vocab.action_id(body["action"]), clause, frozenset(keys))


def _left_operand(value: Any) -> str:
    text = str(value)
    ns = vocab.namespaces()
    if text.startswith(ns["ctd"]):
        return "ctd:" + text[len(ns["ctd"]):]
    if text.startswith("ctd:"):
        return text
    return _local(text)


def _constraint(uid: str, body: Any, evaluated: bool) -> _Constraint:
    if not isinstance(body, Mapping):
        raise PolicyError(f"{uid}: a constraint is a JSON object")
    if any(k in body for k in ("and", "or", "xone", "andSequence")):
        raise PolicyError(f"{uid}: logical constraints are not supported")
    left = _left_operand(body.get("leftOperand", ""))
    operator = _local(str(body.get("operator", "")))
    right = body.get("rightOperand")
    shown = _plain(right)
    clause = body.get("ctd:clause")
    if not evaluated:
        if left not in vocab.left_operands():
            raise PolicyError(f"{uid}: unknown left operand {left!r}")
        return _Constraint(left, operator, shown, clause, lambda actual: True, evaluated=False)
    if left in SET_OPERANDS:
        if operator not in SET_OPERATORS:
            raise PolicyError(f"{uid}: operator {operator!r} is not supported on {left}")
        values = frozenset(_normalise(left, v) for v in _list(shown))
        if operator in ("eq", "neq") and len(values) != 1:
            raise PolicyError(f"{uid}: {operator} takes one value")
        test = values.__contains__ if operator in ("eq", "isAnyOf") else (
            lambda actual, values=values: actual not in values)
    elif left in ORDERED_OPERANDS:
        compare = ORDERED_OPERATORS.get(operator)
        if compare is None or isinstance(shown, list):
            raise PolicyError(f"{uid}: operator {operator!r} is not supported on {left}")
        bound = _normalise(left, shown)
        test = lambda actual, bound=bound, compare=compare: (  # noqa: E731
            actual is not None and compare(actual, bound))
    else:
        raise PolicyError(f"{uid}: left operand {left!r} is not supported")
    return _Constraint(left, operator, shown, clause, test)


def _plain(value: Any) -> Any:
    """A right operand without its JSON-LD wrapping (typed literal, @id)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return value.get("@value", value.get("@id"))
    return value


def _normalise(left: str, value: Any) -> Any:
    """A value of a left operand in the form requests are compared in."""
    try:
        if value is None:
            return None
        if left == "purpose":
            return str(value).removeprefix(vocab.namespaces()["purpose"])
        if left == "spatial":
            return vocab.country_code(str(value))
        if left == "deliveryChannel":
            return _local(str(value))
        if left == "dateTime":
            return _timestamp(value)
        if left in ("count", "ctd:volume"):
            return int(value)
        return str(value)
    except (TypeError, ValueError) as error:
        raise PolicyError(f"bad value {value!r} for {left}: {error}") from None


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), lib.PARIS)
    elif len(str(value)) == 10:
        moment = datetime.combine(date.fromisoformat(str(value)), time(), lib.PARIS)
    else:
        moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# Evaluating.
def _as(cls: type, value: Any) -> Any:
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        data = dict(value)
        if cls is World and "overdue" in data:
            data["overdue"] = frozenset(data["overdue"])
        return cls(**data)
    raise TypeError(f"expected a {cls.__name__} or a mapping, got {type(value).__name__}")


def evaluate(policy: CompiledPolicy | Mapping[str, Any], request: Request | Mapping[str, Any],
             world: World | Mapping[str, Any]) -> Decision:
    """Whether ``request`` is allowed under ``policy`` in ``world``, rule by rule. Compile
    the policy once (``compile``) and pass the result: a JSON policy is compiled each time."""
    compiled = policy if isinstance(policy, CompiledPolicy) else compile(policy)
    request = _as(Request, request)
    world = _as(World, world)
    action, covered, prohibited = compiled.applicable(request.action)
    now = world.now if world.now.tzinfo else world.now.replace(tzinfo=UTC)
    count, volume = world.count + 1, world.volume + request.size
    recipient = request.recipient or request.assignee
    facts = {
        "purpose": _normalise("purpose", request.purpose),
        "dateTime": now.timestamp(),
        "count": count,
        "ctd:volume": volume,
        "spatial": _normalise("spatial", request.hosting_country),
        "recipient": recipient,
        "deliveryChannel": _normalise("deliveryChannel", request.channel),
    }
    shown = {"purpose": request.purpose, "dateTime": now, "count": count,
             "ctd:volume": volume, "spatial": request.hosting_country, "recipient": recipient,
             "deliveryChannel": request.channel}
    overdue = world.overdue
    target = request.target
    failures: list[str] = []

    checks = [
        {"check": "state", "expected": ACTIVE, "actual": world.state,
         "satisfied": world.state == ACTIVE},
        {"check": "target", "expected": compiled.sorted_targets, "actual": target,
         "satisfied": target in compiled.targets},
    ]
    if compiled.assignees:
        checks.append({"check": "assignee", "expected": compiled.sorted_assignees,
                       "actual": request.assignee,
                       "satisfied": request.assignee in compiled.assignees})
    for check in checks:
        if not check["satisfied"]:
            failures.append(_check_message(check))

    outcomes: list[tuple[Any, ...]] = []
    permitted = False
    permission_failures: list[str] = []
    for rule, applies in zip(compiled.permissions, covered, strict=True):
        applies = applies and (rule.targets is None or target in rule.targets)
        active, satisfied, late = _outcome(rule, facts, overdue)
        outcomes.append((rule, applies, active, satisfied, late))
        if applies and active:
            permitted = True
        elif applies:
            permission_failures += _rule_failures(rule, satisfied, late, shown)
    infringed: list[str] = []
    for rule, applies in zip(compiled.prohibitions, prohibited, strict=True):
        applies = applies and (rule.targets is None or target in rule.targets)
        active, satisfied, late = _outcome(rule, facts, overdue)
        outcomes.append((rule, applies, active, satisfied, late))
        if applies and active:
            forbidden = "" if rule.action == action else f" (interdiction de « {rule.action} »)"
            infringed.append(
                f"l'action « {action} » est interdite par {_clause_name(rule)}{forbidden}")
    late_obligations: list[str] = []
    for rule in compiled.obligations:
        active, satisfied, late = _outcome(rule, facts, overdue)
        outcomes.append((rule, True, active, satisfied, late))
        if not active:
            late_obligations.append(f"l'obligation « {rule.action} » ({_clause_name(rule)}) "
                                    f"est échue sans avoir été remplie")

    if not permitted and not permission_failures:
        permission_failures.append(
            f"l'action « {action} » n'est permise par aucune règle de l'accord "
            f"(tout ce qui n'est pas permis est interdit)")
    if compiled.conflict == "perm" and permitted:
        infringed = []
    elif compiled.conflict == "invalid" and permitted and infringed:
        infringed.insert(0, "une permission et une interdiction s'appliquent ensemble et "
                            "l'accord ne dit pas laquelle l'emporte")
    failures += infringed
    if not permitted:
        failures += permission_failures
    failures += late_obligations
    if failures:
        failures = list(dict.fromkeys(failures))
        reason = f"Accès refusé : {failures[0]}."
    else:
        label = vocab.purposes().get(facts["purpose"] or "")
        shown_purpose = lib.lower_first(label.label) if label else request.purpose
        reason = (f"Accès autorisé : « {action} » pour la finalité « {shown_purpose} », dans "
                  f"les conditions de l'accord.")
    return Decision(not failures, reason, failures, compiled.uid, compiled.hash, action, checks,
                    outcomes, shown)


def _outcome(rule: _Rule, facts: dict[str, Any], overdue: frozenset[str],
             ) -> tuple[bool, list[bool | None] | None, list[bool] | None]:
    """Whether the rule is active, and the result of each constraint and duty."""
    active = True
    satisfied: list[bool | None] | None = None
    if rule.constraints:
        satisfied = []
        for c in rule.constraints:
            if c.evaluated:
                ok = c.test(facts[c.left])
                if not ok:
                    active = False
                satisfied.append(ok)
            else:  # describes a duty: its fulfilment is the world's
                satisfied.append(None)
    late: list[bool] | None = None
    if overdue:
        if rule.duties:
            late = [not d.keys.isdisjoint(overdue) for d in rule.duties]
            if True in late:
                active = False
        if rule.kind == "obligation" and not rule.keys.isdisjoint(overdue):
            active = False
    return active, satisfied, late


def _report(rule: _Rule, applies: bool, active: bool, satisfied: list[bool | None] | None,
            late: list[bool] | None, shown: dict[str, Any]) -> dict[str, Any]:
    """One rule's entry in the explanation."""
    constraints = []
    for i, c in enumerate(rule.constraints):
        ok = satisfied[i] if satisfied else None
        actual = shown[c.left] if ok is not None else None
        constraints.append({**c.shown, "actual": actual, "satisfied": ok})
    report = {**rule.shown, "applies": applies, "active": active, "constraints": constraints}
    if rule.duties:
        report["duties"] = [{"uid": d.uid, "action": d.action, "clause": d.clause,
                             "overdue": bool(late and late[i])}
                            for i, d in enumerate(rule.duties)]
    if rule.kind == "obligation":
        report["overdue"] = not active
    return report


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _clause_name(rule: _Rule) -> str:
    return f"la clause {rule.clause}" if rule.clause else f"la règle {rule.uid}"


def _rule_failures(rule: _Rule, satisfied: list[bool | None] | None, late: list[bool] | None,
                   shown: dict[str, Any]) -> list[str]:
    messages = []
    for i, c in enumerate(rule.constraints):
        if satisfied and satisfied[i] is False:
            messages.append(_constraint_message(c.shown | {"actual": shown[c.left]}))
    for i, d in enumerate(rule.duties):
        if late and late[i]:
            messages.append(f"l'obligation « {d.action} » (clause {d.clause or d.uid}) est "
                            f"échue sans avoir été remplie")
    return messages


def _constraint_message(c: dict[str, Any]) -> str:
    left, right, actual = c["left"], c["right"], c["actual"]
    where = f" (clause {c['clause']}, {left} {c['operator']})" if c["clause"] else (
        f" ({left} {c['operator']})")
    if left == "purpose":
        allowed = ", ".join(_local(str(v)) for v in _list(right))
        text = (f"la finalité déclarée « {actual or 'aucune'} » n'est pas au nombre des "
                f"finalités convenues ({allowed})")
    elif left == "dateTime" and c["operator"] in ("gt", "gteq"):
        text = f"l'accès n'est ouvert qu'à compter du {_french_moment(right)}"
    elif left == "dateTime":
        text = f"la période d'accès a pris fin le {_french_moment(right)}"
    elif left == "count":
        text = f"le nombre maximal de requêtes ({right}) est atteint"
    elif left == "ctd:volume":
        text = f"le volume maximal ({right} octets) serait dépassé ({actual} octets)"
    elif left == "spatial":
        allowed = ", ".join(vocab.country_code(str(v)) for v in _list(right))
        text = (f"le pays d'hébergement déclaré ({actual or 'aucun'}) n'est pas au nombre des "
                f"pays autorisés ({allowed})")
    elif left == "recipient":
        text = f"le destinataire « {actual} » n'est pas un destinataire autorisé"
    elif left == "deliveryChannel":
        text = f"l'accès doit passer par le canal « {right} » (canal déclaré : {actual})"
    else:
        text = f"la contrainte {left} {c['operator']} {right} n'est pas satisfaite ({actual})"
    return text + where


def _french_moment(value: Any) -> str:
    """« 1er janvier 2028 à 00:00 » (Paris time) for an ISO date or date-time."""
    try:
        moment = datetime.fromtimestamp(_timestamp(value), lib.PARIS)
    except (TypeError, ValueError):
        return str(value)
    return f"{lib.french_date(moment.date())} à {moment:%H:%M}"


def _check_message(check: dict[str, Any]) -> str:
    if check["check"] == "state":
        return (f"l'accord est à l'état « {check['actual']} » ; seul un accord actif "
                f"(« active ») ouvre l'accès")
    if check["check"] == "target":
        return f"le jeu de données « {check['actual']} » n'est pas couvert par l'accord"
    return f"le demandeur « {check['actual']} » n'est pas le bénéficiaire de l'accord"
