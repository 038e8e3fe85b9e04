"""Great Expectations suites of datasets: storing a user's suite, running it on the dataset's
files (``ctd quality run``), and exporting ctd's own checks of a resource as a suite.

``quality.expectations`` imports GX only when a suite is checked or run, so none of this
slows the API's start-up.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from catalogue.auth import Actor
from catalogue.config import load_settings
from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.models import Dataset, Resource, utcnow
from quality import expectations, reports, rubric
from quality.models import ExpectationSuite, QualityReport, ReportKind, ReportStatus
from quality.read import ReadError, read_table
from quality.schema import load_schema
from quality.scores import scan_from_report


def _require_publisher(actor: Actor, dataset: Dataset) -> None:
    actor.require(actor.publishes_for(dataset.publisher_id),
                  f"gérer les attentes du jeu de données « {dataset.slug} »")


def set_suite(session: Session, actor: Actor, dataset: Dataset,
              suite: Any) -> ExpectationSuite:
    """Check ``suite`` loads in GX and store it as the dataset's suite."""
    _require_publisher(actor, dataset)
    try:
        normalised = expectations.validate_suite(suite)
    except expectations.SuiteError as error:
        raise Invalid(f"Suite d'attentes invalide : {error}", field="suite") from None
    stored = session.get(ExpectationSuite, dataset.id) or ExpectationSuite(dataset_id=dataset.id)
    stored.suite, stored.updated, stored.updated_by = normalised, utcnow(), actor.name
    session.add(stored)
    return stored


def get_suite(session: Session, dataset: Dataset) -> ExpectationSuite:
    stored = session.get(ExpectationSuite, dataset.id)
    if stored is None:
        raise NotFound(f"Le jeu de données « {dataset.slug} » n'a pas de suite d'attentes.")
    return stored


def run(session: Session, dataset: Dataset) -> list[QualityReport]:
    """Run the dataset's suite on each of its tabular files and store one report each."""
    suite = get_suite(session, dataset).suite
    files = [r for r in session.exec(select(Resource).where(Resource.dataset_id == dataset.id)
                                     .order_by(Resource.id)) if reports.scannable(r)]
    if not files:
        raise Conflict(f"Le jeu de données « {dataset.slug} » n'a aucun fichier tabulaire "
                       "gardé par ctd sur lequel lancer ses attentes.")
    settings = load_settings()
    done = []
    for resource in files:
        report = QualityReport(dataset_id=dataset.id, resource_id=resource.id,
                               kind=ReportKind.expectations, content_hash=resource.sha256,
                               rubric_version=rubric.VERSION)
        path = reports.stored_file(resource)
        try:
            if path is None:
                raise ReadError("scheme-error", "the stored file is missing")
            table = read_table(path, format=reports.file_format(resource),
                               max_bytes=settings.scan_max_bytes,
                               max_columns=settings.scan_max_columns)
            report.body = expectations.run_suite(table.frame, suite)
            report.status = ReportStatus.done
            if not report.body["success"]:
                failed = sum(1 for r in report.body["results"] if not r["success"])
                report.message = f"{failed} attente(s) non satisfaite(s)."
        except ReadError as error:
            report.status = ReportStatus.failed
            report.message = f"Fichier illisible ({error.type}) : {error.note}"
        except expectations.SuiteError as error:
            report.status = ReportStatus.failed
            report.message = f"Suite d'attentes inapplicable : {error}"
        report.finished = utcnow()
        session.add(report)
        done.append(report)
    session.commit()
    return done


def export(session: Session, resource: Resource) -> dict:
    """ctd's checks of ``resource`` as a GX suite, from its latest scan: the schema it was
    checked against (declared or guessed), else its profile."""
    report = reports.latest(session, resource_id=resource.id)
    if report is None or report.status != ReportStatus.done:
        raise Conflict("Cette ressource n'a pas encore de rapport d'analyse réussi : "
                       "analysez-la d'abord.")
    scan = scan_from_report(report.body)
    schema = None
    if scan.schema is not None and scan.schema.origin != "inferred":
        schema = load_schema(scan.schema.ref)
    columns = [column.name for column in scan.profile.columns] if scan.profile else None
    return expectations.suite_for(columns, schema=schema, profile=scan.profile,
                                  name=f"ctd-resource-{resource.id}")
