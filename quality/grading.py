"""A score and its criteria, as every quality score (metadata, AI-training fitness,
minimisation) reports them: 0–100, a grade, and per criterion an explanation and a fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from quality import rubric


@dataclass
class Criterion:
    id: str
    label: str
    weight: float
    # 0–1, or None when it cannot be assessed (no metadata for a bare file).
    value: float | None
    explanation: str
    fix: str | None = None


@dataclass
class Score:
    name: str
    # 0–100, or None when nothing could be assessed.
    value: int | None
    grade: str | None
    criteria: list[Criterion]
    rubric_version: str = rubric.VERSION
    # A factor applied to the weighted sum (the licence gate of AI-training fitness).
    gate: Criterion | None = None
    band: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percent(value: float) -> str:
    return f"{100 * value:.0f} %".replace(".", ",")


def total(name: str, criteria: list[Criterion], gate: Criterion | None = None) -> Score:
    assessed = [c for c in criteria if c.value is not None]
    weight = sum(c.weight for c in assessed)
    if not weight:
        return Score(name, None, None, criteria, gate=gate)
    factor = gate.value if gate is not None and gate.value is not None else 1.0
    value = round(100 * factor * sum(c.weight * c.value for c in assessed) / weight)
    return Score(name, value, rubric.grade(value), criteria, gate=gate)
