"""A committee's reference-data coverage: which member publishes which of the reference
datasets bundled with ctd (the SCDL schemas and IRVE), whether its files conform to the
schema, how its dataset is graded and how fresh it is — and, where a cell is empty, what to
publish and where the schema is described.

A member publishes a reference dataset when one of its published datasets declares the
schema (``declared``), or when the latest scan of one of its files recognised the schema
from the file's header (``detected``). Conformance is read from the latest finished scan of
each file: the schema check it stored (``body["schema"]``: the schema's ``ref`` and whether
the file is ``valid``) and its counts of schema findings. Only published metadata and
stored reports are read, never a file, and no value of a file is quoted: the matrix is
public. Six queries, whatever the size of the committee: its members, their published
datasets, the scans' schema checks, then the datasets found, their resources and the
resources' latest scans, from which their grades are computed as
``quality.reports.dataset_scores`` computes them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import Select

from catalogue import committees
from catalogue.models import Committee, Dataset, Organization, Resource, utcnow
from catalogue.vocabularies import DatasetState, MemberRole
from quality import reports, rubric
from quality.models import QualityReport
from quality.schema import _bundled_name, bundled_schemas, load_schema

SCHEMA_SITE = "https://schema.data.gouv.fr"
# Findings of a file's check against its Table Schema (the others are about its structure).
SCHEMA_FINDINGS = ("missing-label", "extra-label", "type-error", "constraint-error",
                   "unique-error", "primary-key")
# Per bundled schema, in the matrix's order: its label, and what a member is asked to
# publish.
WORDING = {
    "scdl-subventions": ("Subventions", "vos subventions"),
    "scdl-deliberations": ("Délibérations", "vos délibérations"),
    "scdl-budget": ("Budget", "votre budget"),
    "scdl-equipements": ("Équipements", "vos équipements collectifs"),
    "scdl-menus-collectifs": ("Menus collectifs", "les menus de votre restauration collective"),
    "scdl-prenoms": ("Prénoms", "les prénoms des nouveau-nés"),
    "irve-statique": ("Infrastructures de recharge (IRVE)",
                      "vos infrastructures de recharge pour véhicules électriques"),
}
# The cell's dataset is the first in this order of conformance.
CONFORMANCE_ORDER = {True: 0, False: 1, None: 2}
CSV_COLUMNS = ("member", "member_name", "schema", "label", "published", "how", "datasets",
               "conforms", "errors", "metadata_score", "metadata_grade", "ai_fitness_score",
               "ai_fitness_grade", "verdict", "last_update", "to_publish")


# The reference schemas


@dataclass(frozen=True)
class Reference:
    """A bundled reference schema, as the matrix names it and asks for it."""

    # The bundled file's stem (scdl-subventions).
    name: str
    label: str
    # What a member is asked to publish (« vos subventions »).
    wanted: str
    # The schema's title, with its family (SCDL Subventions).
    title: str
    version: str
    # Its name on schema.data.gouv.fr (scdl/subventions).
    path: str
    # Where the schema says it is published, any version (None when it does not say).
    address: re.Pattern[str] | None

    @property
    def url(self) -> str:
        return f"{SCHEMA_SITE}/{self.path}"

    def addressed_by(self, url: str) -> bool:
        """``url`` is one of the schema's pages or documents, of any version."""
        page = url.rstrip("/") + "/"
        return (page.startswith((f"{SCHEMA_SITE}/{self.path}/",
                                 f"{SCHEMA_SITE}/schemas/{self.path}/"))
                or bool(self.address and self.address.fullmatch(url)))

    def to_publish(self) -> dict[str, str]:
        action = f"Publiez {self.wanted} au format du schéma {self.title}"
        return {"schema": self.path, "title": self.title, "url": self.url, "action": action,
                "message": f"{action} : {self.url}"}


@functools.cache
def references() -> tuple[Reference, ...]:
    """The bundled reference schemas: those of ``WORDING`` in its order, then any other."""
    bundled = bundled_schemas()
    names = [name for name in WORDING if name in bundled] + sorted(set(bundled) - set(WORDING))
    return tuple(_reference(name) for name in names)


def _reference(name: str) -> Reference:
    spec = load_schema(name)
    # The homepage's parent folder is the family: …/opendatafrance/scdl/subventions, …/etalab/…
    parts = [part for part in urlsplit(spec.get("homepage") or "").path.split("/") if part]
    family = parts[-2] if len(parts) > 1 else None
    own_name = spec.get("name") or name
    title = spec.get("title") or own_name
    label, wanted = WORDING.get(name, (title, f"vos données « {title} »"))
    version = str(spec.get("version") or "")
    return Reference(
        name=name, label=label, wanted=wanted,
        title=f"SCDL {title}" if family == "scdl" else title,
        version=version.removeprefix("v"),
        path=f"{family}/{own_name}" if family else own_name,
        address=_address(str(spec.get("path") or ""), version))


def _address(path: str, version: str) -> re.Pattern[str] | None:
    """The schema's own address (``…/raw/v2.1.1/schema.json``) with any version in place of
    its own."""
    tag = f"v{version.removeprefix('v')}"
    if not version or tag not in path:
        return None
    return re.compile(re.escape(path).replace(re.escape(tag), r"v?[\w.+-]+", 1))


@functools.lru_cache(maxsize=256)
def reference_of(ref: str | None) -> str | None:
    """The bundled reference schema ``ref`` names (as ``quality.schema.load_schema`` takes a
    name, optionally ``@version``, or an address of one of its versions), if any."""
    text = (ref or "").strip()
    if not text:
        return None
    if text.lower().startswith(("http://", "https://")):
        return next((r.name for r in references() if r.addressed_by(text)), None)
    try:
        return _bundled_name(text.partition("@")[0])
    except ValueError:
        return None


# What the database says


@dataclass
class Found:
    """One dataset of a member for one reference schema."""

    dataset_id: int
    publisher_id: int
    # The reference schema's name (scdl-subventions).
    schema: str
    # declared (the dataset names the schema) or detected (a scan recognised it).
    how: str
    # Per scanned file checked against the schema: (valid, schema findings).
    checks: list[tuple[bool, int]]


def voting_members(session: Session, committee: Committee) -> list[Organization]:
    """The committee's members proper (role ``member``: observers and partners aside)."""
    return [org for member, org in committees.members(session, committee)
            if member.role == MemberRole.member]


def _published(members: list[Organization]) -> Select:
    return select(Dataset.id).where(col(Dataset.publisher_id).in_([m.id for m in members]),
                                    Dataset.state == DatasetState.published)


def _found(session: Session, members: list[Organization]) -> list[Found]:
    """The members' published datasets that declare a reference schema or whose files a
    scan matched to one: two queries, the second reading only the scans' schema checks."""
    published = _published(members)
    declared = {dataset_id: (publisher_id, reference_of(schema_name))
                for dataset_id, publisher_id, schema_name in session.exec(
                    select(Dataset.id, Dataset.publisher_id, Dataset.schema_name)
                    .where(col(Dataset.id).in_(published.scalar_subquery())))}
    checks: dict[tuple[int, str], list[tuple[bool, int]]] = defaultdict(list)
    for dataset_id, check, counts in session.exec(
            select(QualityReport.dataset_id, QualityReport.body["schema"],
                   QualityReport.body["finding_counts"])
            .where(col(QualityReport.id).in_(reports.latest_scans(published).scalar_subquery()))):
        name = reference_of(check.get("ref")) if check else None
        if name is not None:
            errors = sum((counts or {}).get(kind, 0) for kind in SCHEMA_FINDINGS)
            checks[(dataset_id, name)].append((bool(check.get("valid")), errors))
    found = [Found(dataset_id, publisher_id, name, "declared",
                   checks.get((dataset_id, name), []))
             for dataset_id, (publisher_id, name) in declared.items() if name is not None]
    found += [Found(dataset_id, declared[dataset_id][0], name, "detected", files)
              for (dataset_id, name), files in checks.items()
              if declared[dataset_id][1] != name]
    return found


def _grades(dataset: Dataset, scores: dict[str, Any],
            files_changed: datetime | None) -> dict[str, Any]:
    """The dataset's grades, from its scores (``quality.reports.scores_for``), and when it or
    a file last changed."""
    changed = dataset.remote_modified or dataset.modified
    return {
        "metadata": {key: scores["metadata"][key] for key in ("value", "grade")},
        "ai_fitness": {key: scores["ai_fitness"][key] for key in ("value", "grade", "band")},
        "verdict": scores["verdict"]["verdict"],
        "ai_training": scores["verdict"]["ai_training"],
        "last_update": max(changed, files_changed or changed).isoformat(),
    }


# The matrix


def matrix(session: Session, committee: Committee,
           scores: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The coverage matrix of ``committee``: its members (role ``member``) × the bundled
    reference schemas, with per-member, per-schema and overall counts. ``scores``: the
    datasets' scores by id when the caller has them already (``reports.scores_for``).

    A cell describes its best dataset — conforming first, then not conforming, then never
    scanned; declared before detected; the most recently updated — and lists every dataset
    found in ``datasets``. An empty cell says what to publish (``to_publish``)."""
    members = voting_members(session, committee)
    found = _found(session, members)
    ids = {f.dataset_id for f in found}
    loaded = {d.id: d for d in session.exec(select(Dataset).where(col(Dataset.id).in_(ids)))}
    scores = dict(scores or {})
    scores |= reports.scores_for(session, [loaded[i] for i in ids - scores.keys()])
    files_changed = dict(session.exec(
        select(Resource.dataset_id, func.max(Resource.last_modified))
        .where(col(Resource.dataset_id).in_(ids)).group_by(Resource.dataset_id)).all())
    grades = {dataset_id: _grades(loaded[dataset_id], scores[dataset_id],
                                  files_changed.get(dataset_id))
              for dataset_id in sorted(ids)}
    by_cell: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for item in found:
        dataset = loaded[item.dataset_id]
        by_cell[(item.publisher_id, item.schema)].append(
            {"slug": dataset.slug, "title": dataset.title, **_conformance(item),
             **grades[item.dataset_id]})
    rows = [_member(member, [_cell(ref, by_cell.get((member.id, ref.name), []))
                             for ref in references()]) for member in members]
    return {
        "committee": {"slug": committee.slug, "name": committee.name},
        "generated": utcnow().isoformat(),
        "rubric_version": rubric.VERSION,
        "schemas": [_column(index, ref, rows) for index, ref in enumerate(references())],
        "members": rows,
        "totals": _totals(rows),
    }


def _conformance(item: Found) -> dict[str, Any]:
    """How the dataset's scanned files fared against the schema; ``conforms`` is None when
    no file was checked against it."""
    return {"how": item.how,
            "conforms": all(valid for valid, _ in item.checks) if item.checks else None,
            "errors": sum(errors for _, errors in item.checks) if item.checks else None,
            "files_checked": len(item.checks)}


# What a cell shows of its best dataset.
SUMMARY = ("conforms", "errors", "metadata", "ai_fitness", "verdict", "last_update")


def _cell(ref: Reference, datasets: list[dict[str, Any]]) -> dict[str, Any]:
    cell = {"schema": ref.name, "label": ref.label, "published": bool(datasets)}
    if not datasets:
        return {**cell, "how": None, **dict.fromkeys(SUMMARY), "datasets": [],
                "to_publish": ref.to_publish()}
    datasets.sort(key=lambda d: d["last_update"], reverse=True)
    datasets.sort(key=lambda d: (CONFORMANCE_ORDER[d["conforms"]], d["how"] != "declared"))
    declared = any(d["how"] == "declared" for d in datasets)
    return {**cell, "how": "declared" if declared else "detected",
            **{key: datasets[0][key] for key in SUMMARY}, "datasets": datasets,
            "to_publish": None}


def _counts(cells: list[dict[str, Any]]) -> dict[str, Any]:
    published = sum(cell["published"] for cell in cells)
    conforming = sum(cell["conforms"] is True for cell in cells)
    not_conforming = sum(cell["conforms"] is False for cell in cells)
    return {"published": published, "conforming": conforming,
            "not_conforming": not_conforming,
            "not_scanned": published - conforming - not_conforming,
            "coverage": round(published / len(cells), 3) if cells else None}


def _member(org: Organization, cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {"slug": org.slug, "name": org.name, "kind": org.kind, **_counts(cells),
            "cells": cells}


def _column(index: int, ref: Reference, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": ref.name, "label": ref.label, "title": ref.title, "version": ref.version,
            "path": ref.path, "url": ref.url,
            **_counts([row["cells"][index] for row in rows])}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    cells = [cell for row in rows for cell in row["cells"]]
    return {"members": len(rows), "schemas": len(references()), "cells": len(cells),
            **_counts(cells)}


# CSV


def to_csv(table: dict[str, Any]) -> str:
    """One line per member and reference schema; datasets by slug, joined with « ; »."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for member in table["members"]:
        for cell in member["cells"]:
            metadata, ai_fitness = cell["metadata"] or {}, cell["ai_fitness"] or {}
            writer.writerow([
                member["slug"], member["name"], cell["schema"], cell["label"],
                _yes_no(cell["published"]), cell["how"],
                " ; ".join(d["slug"] for d in cell["datasets"]), _yes_no(cell["conforms"]),
                cell["errors"], metadata.get("value"), metadata.get("grade"),
                ai_fitness.get("value"), ai_fitness.get("grade"), cell["verdict"],
                cell["last_update"], (cell["to_publish"] or {}).get("message")])
    return out.getvalue()


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "oui" if value else "non"
