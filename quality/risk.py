"""Re-identification risk of a table: k-anonymity, prosecutor risks and l-diversity, from one
group-by over its quasi-identifiers on the columnar engine.

The quasi-identifiers are the columns an attacker could know from elsewhere (birth date, age,
sex, postal code, commune, IRIS, profession, nationality, GPS…): chosen from the personal-data
detections, or given by the user. Records sharing the same quasi-identifier values form an
equivalence class; a class smaller than ``k`` singles its members out. ``k`` defaults to 11,
after INSEE's rule of 11 households for gridded data.

Prosecutor risks (as ARX names them): the share of records at risk (in a class smaller than
``k``), the highest risk (1 / the smallest class) and the average risk (classes / records).
l-diversity: per sensitive column, the fewest distinct values found in a class; a class with
fewer than 2 lets an attacker infer the sensitive value of everyone in it.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from quality.rubric import DEFAULT_K

# Detection kinds that are quasi-identifiers, and those of sensitive attributes.
QUASI_KINDS = ("birth_date", "age", "sex", "postal_code", "commune", "iris", "profession",
               "nationality", "gps")
SENSITIVE_CATEGORY = "sensitive"
# A class whose sensitive attribute takes fewer distinct values than this allows inference.
MIN_DIVERSITY = 2


@dataclass
class Risk:
    k: int
    quasi_identifiers: list[str]
    sensitive: list[str]
    records: int
    classes: int
    smallest_class: int | None
    # Share of records in classes smaller than k (prosecutor risk rA, singling out).
    share_at_risk: float
    # 1 / the smallest class (prosecutor risk rB).
    highest_risk: float
    # Classes / records, the mean of each record's 1 / class size (prosecutor risk rC).
    average_risk: float
    mean_class_size: float
    # Per sensitive column, the fewest distinct values in a class (l of l-diversity).
    diversity: dict[str, int] = field(default_factory=dict)
    # Share of records in a class where some sensitive column has fewer than 2 values.
    share_inferable: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def quasi_identifiers(detections: list[Any]) -> list[str]:
    """The columns detected as quasi-identifiers, in order, each once."""
    return list(dict.fromkeys(d.column for d in detections if d.kind in QUASI_KINDS))


def sensitive_columns(detections: list[Any]) -> list[str]:
    return list(dict.fromkeys(d.column for d in detections if d.category == SENSITIVE_CATEGORY))


def assess(frame: pl.DataFrame, quasi: list[str], sensitive: list[str] | None = None,
           k: int = DEFAULT_K) -> Risk | None:
    """The risk of ``frame`` for the quasi-identifier columns ``quasi``; None when there are
    none or no records."""
    names = [name for name in dict.fromkeys([*quasi, *(sensitive or [])]) if name in frame.columns]
    return assess_keys(keys(frame, names), quasi, sensitive, k)


def keys(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """One 64-bit hash column per column of ``names``, of its values stripped and
    case-folded (a missing value is a value of its own: it is as telling as any other). The
    risk is computed on these: a what-if rehashes only the columns it changes."""
    return frame.select(_normalised(frame, name).hash(seed=zlib.crc32(name.encode()))
                        for name in names)


def assess_keys(hashed: pl.DataFrame, quasi: list[str], sensitive: list[str] | None = None,
                k: int = DEFAULT_K) -> Risk | None:
    """``assess`` on the ``keys`` of a frame. The classes are grouped on the sum of the
    quasi-identifiers' hashes (wrapping; each column hashed with its own seed): one integer
    key instead of several text columns."""
    quasi = [name for name in quasi if name in hashed.columns]
    sensitive = [name for name in sensitive or [] if name in hashed.columns and name not in quasi]
    if not quasi or hashed.height == 0:
        return None
    diversity = [pl.col(name).n_unique().alias(f"s{i}") for i, name in enumerate(sensitive)]
    classes = (
        hashed.lazy()
        .group_by(class_key(quasi))
        .agg(pl.len().alias("size"), *diversity)
    )
    inferable = (pl.any_horizontal(pl.col(f"s{i}") < MIN_DIVERSITY for i in range(len(sensitive)))
                 if sensitive else pl.lit(False))
    size = pl.col("size")
    summary = classes.select(
        classes=pl.len(),
        smallest=size.min(),
        at_risk=size.filter(size < k).sum(),
        inferable=size.filter(inferable).sum(),
        **{f"l{i}": pl.col(f"s{i}").min() for i in range(len(sensitive))},
    ).collect().row(0, named=True)
    records, count = hashed.height, summary["classes"]
    smallest = summary["smallest"]
    return Risk(
        k=k, quasi_identifiers=quasi, sensitive=sensitive, records=records, classes=count,
        smallest_class=smallest,
        share_at_risk=(summary["at_risk"] or 0) / records,
        highest_risk=1 / smallest if smallest else 0.0,
        average_risk=count / records,
        mean_class_size=records / count if count else 0.0,
        diversity={name: summary[f"l{i}"] for i, name in enumerate(sensitive)},
        share_inferable=(summary["inferable"] or 0) / records,
    )


def class_key(quasi: list[str]) -> pl.Expr:
    """The equivalence class of a record, from the ``keys`` of its quasi-identifiers."""
    return pl.sum_horizontal(pl.col(name) for name in quasi).alias("class")


def _normalised(frame: pl.DataFrame, name: str) -> pl.Expr:
    column = pl.col(name)
    if frame.schema[name] == pl.String:
        return column.str.strip_chars().str.to_lowercase()
    return column
