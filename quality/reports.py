"""Stored quality reports: scanning a resource's file in the background, scoring its dataset,
and what each reader may see of them.

A resource's scan is keyed by the sha256 of its file, the rubric version and the schema
asked for: asking again for the same three returns the report already made. The dataset's
report is derived from its metadata and its resources' latest scans, and stored again each
time its scores change, so its history shows how they moved.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from catalogue import datasets, jobs
from catalogue.auth import OPERATOR, Actor
from catalogue.config import load_settings
from catalogue.db import session_scope
from catalogue.errors import Conflict, NotFound, Unavailable
from catalogue.models import Dataset, Organization, Resource, utcnow
from catalogue.resources import list_for
from quality import rubric
from quality.minimisation import verdict
from quality.models import FINISHED, QualityReport, ReportKind, ReportStatus
from quality.scan import SchemaError, scan_file
from quality.scores import (
    DatasetFacts,
    ResourceFacts,
    ai_fitness_score,
    file_report,
    metadata_score,
    overrule,
    scan_from_report,
)

log = logging.getLogger(__name__)

JOB = "quality.scan"
# Formats the scan engine reads (by the resource's format label or its file's extension).
TABULAR_FORMATS = {"csv", "tsv", "xlsx", "xls", "ods", "json", "geojson", "parquet"}
# A scan pending or running for longer than this is taken as lost (its worker died).
STALE_AFTER = timedelta(hours=1)
HISTORY_LIMIT = 50
# Profile entries that quote the data itself.
VALUE_KEYS = ("min", "max", "top_values")


# Files


def stored_file(resource: Resource) -> Path | None:
    """The file ctd keeps for ``resource`` (uploaded, or copied by a harvest), if any."""
    relative = resource.file_path or resource.local_copy
    if not relative:
        return None
    path = load_settings().files_dir / relative
    return path if path.is_file() else None


def file_format(resource: Resource) -> str | None:
    label = (resource.format or "").lower()
    if label in TABULAR_FORMATS:
        return label
    relative = resource.file_path or ""
    suffix = Path(relative).suffix.lower().lstrip(".")
    return suffix if suffix in TABULAR_FORMATS else None


def scannable(resource: Resource) -> bool:
    """A tabular resource whose file ctd keeps."""
    return bool(resource.file_path or resource.local_copy) and file_format(resource) is not None


def schema_ref(dataset: Dataset) -> str | None:
    """The schema the dataset declares, as ``quality.schema.load_schema`` takes it."""
    if not dataset.schema_name:
        return None
    if dataset.schema_version and not dataset.schema_name.startswith(("http://", "https://")):
        return f"{dataset.schema_name}@{dataset.schema_version}"
    return dataset.schema_name


# Resource scans


def latest(session: Session, *, resource_id: int | None = None, dataset_id: int | None = None,
           kind: ReportKind = ReportKind.resource,
           finished: bool = True) -> QualityReport | None:
    query = select(QualityReport).where(QualityReport.kind == kind)
    if resource_id is not None:
        query = query.where(QualityReport.resource_id == resource_id)
    if dataset_id is not None:
        query = query.where(QualityReport.dataset_id == dataset_id)
    if finished:
        query = query.where(col(QualityReport.status).in_(FINISHED))
    return session.exec(query.order_by(col(QualityReport.id).desc()).limit(1)).first()


def _same_scan(report: QualityReport | None, content_hash: str | None,
               schema: str | None) -> bool:
    # A report without a body read nothing (queue unreachable, file missing): not a scan.
    return (report is not None and bool(report.body) and content_hash is not None
            and report.content_hash == content_hash and report.schema_ref == schema
            and report.rubric_version == rubric.VERSION)


def _under_way(report: QualityReport | None) -> bool:
    """A scan pending or running, and not so long that its worker must have died."""
    return (report is not None and report.status not in FINISHED
            and utcnow() - report.created < STALE_AFTER)


def request_scan(session: Session, actor: Actor, resource: Resource, dataset: Dataset,
                 force: bool = False) -> tuple[QualityReport, bool]:
    """The report of ``resource``'s current file: the one already made for the same content,
    a scan already under way, or a new scan handed to the background consumers. Returns the
    report and whether a scan was queued. Commits."""
    actor.require(actor.publishes_for(dataset.publisher_id),
                  f"analyser les ressources du jeu de données « {dataset.slug} »")
    if not (resource.file_path or resource.local_copy):
        raise Conflict("Cette ressource est un lien : ctd n'en garde pas le fichier, il ne "
                       "peut pas l'analyser. Déposez le fichier, ou moissonnez la source avec "
                       "le téléchargement des fichiers.")
    if file_format(resource) is None:
        raise Conflict(f"Format non analysable : « {resource.format or 'inconnu'} » (formats "
                       f"lus : {', '.join(sorted(TABULAR_FORMATS))}).")
    schema = schema_ref(dataset)
    done = latest(session, resource_id=resource.id)
    if not force and _same_scan(done, resource.sha256, schema):
        return done, False
    under_way = latest(session, resource_id=resource.id, finished=False)
    if _under_way(under_way):
        return under_way, False
    report = QualityReport(dataset_id=dataset.id, resource_id=resource.id,
                           kind=ReportKind.resource, schema_ref=schema,
                           content_hash=resource.sha256, rubric_version=rubric.VERSION)
    session.add(report)
    session.commit()
    try:
        jobs.enqueue(JOB, report_id=report.id)
    except Exception as error:  # the queue's storage (Redis, SQLite file) is unreachable
        log.exception("cannot queue quality scan %s", report.id)
        _fail(report, f"File d'attente des tâches injoignable : {error}")
        session.add(report)
        session.commit()
        raise Unavailable("La file d'attente des tâches est injoignable ; réessayez plus tard "
                          "ou lancez « ctd quality scan ».") from None
    return report, True


def scan_stored_file(resource_id: int) -> None:
    """Queue a scan of a resource whose file was just stored (subscriber of
    ``events.FILE_STORED``): only tabular files, and never an error for the uploader."""
    with session_scope() as session:
        resource = session.get(Resource, resource_id)
        if resource is None or not scannable(resource):
            return
        dataset = session.get(Dataset, resource.dataset_id)
        # When the queue is down, the report says why and a scan can be asked for later.
        with contextlib.suppress(Unavailable):
            request_scan(session, OPERATOR, resource, dataset)


def run_scan(report_id: int) -> None:
    """The background job: scan the file of a pending report, then score its dataset."""
    with session_scope() as session:
        report = session.get(QualityReport, report_id)
        if report is None or report.status in FINISHED:
            return
        report.status = ReportStatus.running
        session.add(report)
        session.commit()
        _scan(session, report)


def scan_now(session: Session, resource: Resource, dataset: Dataset,
             force: bool = False) -> QualityReport:
    """Scan in the foreground (the CLI), with the same reuse of unchanged content."""
    schema = schema_ref(dataset)
    done = latest(session, resource_id=resource.id)
    if not force and _same_scan(done, resource.sha256, schema):
        return done
    report = QualityReport(dataset_id=dataset.id, resource_id=resource.id,
                           kind=ReportKind.resource, schema_ref=schema,
                           content_hash=resource.sha256, rubric_version=rubric.VERSION,
                           status=ReportStatus.running)
    session.add(report)
    session.commit()
    return _scan(session, report)


def _scan(session: Session, report: QualityReport) -> QualityReport:
    resource = session.get(Resource, report.resource_id)
    dataset = session.get(Dataset, report.dataset_id)
    path = stored_file(resource) if resource is not None else None
    if path is None:
        _fail(report, "Le fichier de la ressource est introuvable sur le serveur.")
    else:
        try:
            _fill(report, path, file_format(resource))
        except Exception as error:  # a bug must leave a failed report, not a running one
            log.exception("quality scan %s failed", report.id)
            _fail(report, f"L'analyse a échoué : {type(error).__name__}.")
    session.add(report)
    session.commit()
    if dataset is not None:
        refresh_dataset(session, dataset)
    return report


def _fill(report: QualityReport, path: Path, format: str | None) -> None:
    settings = load_settings()
    limits = {"format": format, "max_bytes": settings.scan_max_bytes,
              "max_columns": settings.scan_max_columns, "k": settings.minimisation_k}
    schema_note = None
    try:
        scan = scan_file(path, schema=report.schema_ref, **limits)
    except SchemaError as error:
        schema_note = f"Schéma déclaré « {report.schema_ref} » inutilisable : {error}"
        name, versioned, _ = (report.schema_ref or "").partition("@")
        scan = None
        if versioned:  # another version than the bundled one, out of reach: the bundled one
            with contextlib.suppress(SchemaError):
                scan = scan_file(path, schema=name, **limits)
                schema_note += f" ; fichier vérifié avec la version embarquée de « {name} »."
        scan = scan or scan_file(path, **limits)
    body = file_report(scan)
    report.scores = body.pop("scores")
    report.body = {**body, "schema_error": schema_note}
    report.content_hash = scan.sha256 or report.content_hash
    report.status = ReportStatus.failed if scan.failed else ReportStatus.done
    report.message = (f"Fichier illisible ({scan.error.type}) : {scan.error.note}"
                      if scan.error else schema_note)
    report.finished = utcnow()


def _fail(report: QualityReport, message: str) -> None:
    report.status, report.message, report.finished = ReportStatus.failed, message[:1000], utcnow()


# Datasets


def facts(session: Session, dataset: Dataset, resources: list[Resource]) -> DatasetFacts:
    """What the scores need to know of ``dataset`` and its ``resources``."""
    publisher = session.get(Organization, dataset.publisher_id)
    return DatasetFacts(
        title=dataset.title, description=dataset.description, licence=dataset.licence_id,
        access=str(dataset.access_type),
        temporal=dataset.temporal_start is not None or dataset.temporal_end is not None,
        spatial=bool(dataset.spatial_geometry or dataset.spatial_zones),
        frequency=dataset.frequency, updated=dataset.remote_modified or dataset.modified,
        published=dataset.created, publisher=publisher.name if publisher else None,
        contact=bool(dataset.contact_email or dataset.contact_name),
        schema=schema_ref(dataset), keywords=list(dataset.keywords),
        themes=list(dataset.themes),
        url=dataset.remote_url or f"/api/v1/datasets/{dataset.slug}",
        resources=[ResourceFacts(
            title=r.title, description=r.description, format=(r.format or "").lower() or None,
            type=str(r.type),
            # A link is taken as available: ctd does not probe remote addresses.
            available=stored_file(r) is not None if (r.file_path or r.local_copy)
            else bool(r.url),
            url=r.url or f"/api/v1/resources/{r.id}/download", sha256=r.sha256)
            for r in resources],
    )


def dataset_scores(session: Session, dataset: Dataset) -> dict[str, Any]:
    """The dataset's scores now, from its metadata and its resources' latest scans: metadata,
    AI-training fitness, minimisation (that of its least minimised file) and the verdict on
    what may be done with it."""
    listed = list_for(session, dataset)
    return scores_of(session, dataset, listed,
                     {r.id: latest(session, resource_id=r.id) for r in listed})


def scores_of(session: Session, dataset: Dataset, listed: list[Resource],
              scans: dict[int, QualityReport | None]) -> dict[str, Any]:
    """``dataset_scores`` from the dataset's resources and their latest scans, loaded by the
    caller (the coverage matrix loads them once for many datasets)."""
    scanned, minimised, personal = [], [], []
    for resource in listed:
        report = scans.get(resource.id)
        if report is None or report.rubric_version != rubric.VERSION:
            continue
        try:
            scanned.append(scan_from_report(report.body))
        except (KeyError, TypeError):
            log.warning("report %s cannot be scored again", report.id)
            continue
        if (report.scores or {}).get("minimisation"):
            minimised.append({**report.scores["minimisation"], "resource_id": resource.id})
        personal += report.body.get("personal") or []
    known = facts(session, dataset, listed)
    metadata = metadata_score(known)
    ai_fitness = ai_fitness_score(scanned, known, metadata).to_dict()
    worst = min(minimised, key=lambda score: score["value"] or 0, default=None)
    judged = verdict(worst, personal, access=known.access,
                     licence_open=known.licence in rubric.OPEN_LICENCES)
    if not scanned:
        judged["reasons"].append("Aucun fichier n'a été analysé : verdict établi sur les "
                                 "seules métadonnées.")
    overrule(ai_fitness, judged)
    return {"metadata": metadata.to_dict(), "ai_fitness": ai_fitness, "minimisation": worst,
            "verdict": judged}


def latest_scans(datasets: Select) -> Select:
    """The latest finished scan of each resource of ``datasets`` (a query of their ids)."""
    return (select(func.max(QualityReport.id))
            .where(col(QualityReport.dataset_id).in_(datasets.scalar_subquery()),
                   QualityReport.kind == ReportKind.resource,
                   col(QualityReport.status).in_(FINISHED))
            .group_by(QualityReport.resource_id))


def scores_for(session: Session, datasets: list[Dataset]) -> dict[int, dict[str, Any]]:
    """``dataset_scores`` of many datasets, by id: their resources and the resources' latest
    scans are loaded in two queries for all of them."""
    ids = {d.id for d in datasets}
    if not ids:
        return {}
    listed: dict[int, list[Resource]] = defaultdict(list)
    for resource in session.exec(select(Resource).where(col(Resource.dataset_id).in_(ids))
                                 .order_by(Resource.id)):
        listed[resource.dataset_id].append(resource)
    newest = latest_scans(select(Dataset.id).where(col(Dataset.id).in_(ids)))
    scans = {report.resource_id: report for report in session.exec(
        select(QualityReport).where(col(QualityReport.id).in_(newest.scalar_subquery())))}
    return {d.id: scores_of(session, d, listed[d.id], scans) for d in datasets}


def refresh_dataset(session: Session, dataset: Dataset) -> QualityReport:
    """Store the dataset's scores if they changed since its last report; return the current
    report."""
    scores = dataset_scores(session, dataset)
    current = latest(session, dataset_id=dataset.id, kind=ReportKind.dataset)
    if current is not None and current.scores == scores:
        return current
    report = QualityReport(dataset_id=dataset.id, kind=ReportKind.dataset, scores=scores,
                           status=ReportStatus.done, rubric_version=rubric.VERSION,
                           finished=utcnow())
    session.add(report)
    session.commit()
    return report


def history(session: Session, dataset: Dataset,
            limit: int = HISTORY_LIMIT) -> list[QualityReport]:
    return list(session.exec(
        select(QualityReport).where(QualityReport.dataset_id == dataset.id)
        .order_by(col(QualityReport.id).desc()).limit(limit)))


# What readers see


def to_out(report: QualityReport, with_values: bool) -> dict[str, Any]:
    """A report as the API shows it. Without ``with_values`` (the reader may see the
    metadata but not the files) nothing quoting the data is shown: finding notes, and the
    profile's min, max and top values."""
    body = dict(report.body)
    if not with_values:
        body["findings"] = [{k: v for k, v in f.items() if k != "note"}
                            for f in body.get("findings") or []]
        if body.get("profile"):
            body["profile"] = {**body["profile"], "columns": [
                {k: v for k, v in c.items() if k not in VALUE_KEYS}
                for c in body["profile"]["columns"]]}
    return {
        "id": report.id, "kind": report.kind, "status": report.status,
        "dataset_id": report.dataset_id, "resource_id": report.resource_id,
        "content_hash": report.content_hash, "schema_ref": report.schema_ref,
        "rubric_version": report.rubric_version, "created": report.created,
        "finished": report.finished, "message": report.message, "scores": report.scores,
        **({"report": body} if report.kind != ReportKind.dataset else {}),
    }


def summary(report: QualityReport) -> dict[str, Any]:
    """One line of history: when, what, and the score values."""
    return {"id": report.id, "kind": report.kind, "status": report.status,
            "resource_id": report.resource_id, "created": report.created,
            "content_hash": report.content_hash,
            "scores": {name: {"value": s.get("value"), "grade": s.get("grade")}
                       for name, s in (report.scores or {}).items() if s and "grade" in s}}


def dataset_quality(session: Session, actor: Actor, dataset: Dataset) -> dict[str, Any]:
    """Everything the quality page of a dataset shows."""
    current = refresh_dataset(session, dataset)
    with_values = datasets.can_read_files(actor, dataset)
    resources = []
    for resource in list_for(session, dataset):
        done = latest(session, resource_id=resource.id)
        under_way = latest(session, resource_id=resource.id, finished=False)
        resources.append({
            "resource_id": resource.id, "title": resource.title,
            "scannable": scannable(resource),
            "scan_in_progress": _under_way(under_way),
            "report": to_out(done, with_values) if done else None,
            "expectations": to_out(expected, with_values) if (expected := latest(
                session, resource_id=resource.id, kind=ReportKind.expectations)) else None,
        })
    return {
        "dataset": dataset.slug, "rubric_version": rubric.VERSION,
        "scores": current.scores, "computed": current.created,
        "resources": resources,
        "history": [summary(r) for r in history(session, dataset)],
    }


def find_report(session: Session, actor: Actor, report_id: int) -> QualityReport:
    report = session.get(QualityReport, report_id)
    if report is not None:
        dataset = session.get(Dataset, report.dataset_id)
        if dataset is not None and datasets.can_see(actor, dataset):
            return report
    raise NotFound(f"Rapport de qualité inconnu : {report_id}.")
