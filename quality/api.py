"""HTTP routes of the quality reports."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from catalogue import committees, datasets, resources
from catalogue.api.deps import ActorDep, SessionDep, base_url
from quality import charts, coverage, croissant, datasheet, reports, suites

router = APIRouter(prefix="/api/v1", tags=["quality"])


@router.get("/datasets/{ref}/quality")
def dataset_quality(ref: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The dataset's scores (metadata, AI-training fitness) with each criterion explained,
    its resources' latest scans, and the history of its reports. Values quoted from the data
    (finding notes, min, max, top values) are shown only to those who may read its files."""
    dataset = datasets.find(session, actor, ref)
    return reports.dataset_quality(session, actor, dataset)


@router.post("/resources/{resource_id}/scan", status_code=202)
def scan_resource(resource_id: int, response: Response, session: SessionDep,
                  actor: ActorDep, force: bool = False) -> dict[str, Any]:
    """Scan the resource's file in the background (202, the report is pending). When its
    content was already scanned with the same rubric and schema, the existing report comes
    back at once (200); ``force`` scans again anyway."""
    resource, dataset = resources.find(session, actor, resource_id)
    report, queued = reports.request_scan(session, actor, resource, dataset, force)
    if not queued:
        response.status_code = 200
    return reports.to_out(report, datasets.can_read_files(actor, dataset))


@router.get("/quality/reports/{report_id}")
def show_report(report_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One report, current or past."""
    report = reports.find_report(session, actor, report_id)
    dataset = datasets.find(session, actor, str(report.dataset_id))
    return reports.to_out(report, datasets.can_read_files(actor, dataset))


@router.get("/datasets/{ref}/expectations")
def get_expectations(ref: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The dataset's Great Expectations suite (GX JSON)."""
    stored = suites.get_suite(session, datasets.find(session, actor, ref))
    return {"suite": stored.suite, "updated": stored.updated, "updated_by": stored.updated_by}


@router.put("/datasets/{ref}/expectations")
def put_expectations(ref: str, session: SessionDep, actor: ActorDep,
                     suite: dict[str, Any] = Body(description="A GX suite, as GX writes it "
                                                              "(ExpectationSuite JSON)")
                     ) -> dict[str, Any]:
    """Give the dataset a suite; ``ctd quality run DATASET`` runs it on the dataset's files.
    A suite GX cannot load is a 422 problem."""
    stored = suites.set_suite(session, actor, datasets.find(session, actor, ref), suite)
    session.commit()
    return {"suite": stored.suite, "updated": stored.updated, "updated_by": stored.updated_by}


@router.get("/resources/{resource_id}/expectations")
def export_expectations(resource_id: int, session: SessionDep,
                        actor: ActorDep) -> dict[str, Any]:
    """ctd's own checks of the resource (its schema, else its profile) as a GX suite that
    GX runs unchanged."""
    resource, _ = resources.find(session, actor, resource_id)
    return suites.export(session, resource)


@router.get("/datasets/{ref}/croissant", response_class=JSONResponse,
            responses={200: {"content": {croissant.MEDIA_TYPE: {}}}})
def dataset_croissant(ref: str, request: Request, session: SessionDep,
                      actor: ActorDep) -> JSONResponse:
    """The dataset in Croissant 1.1 JSON-LD with the Responsible AI vocabulary: its files
    with their sha256, a record set per scanned table with fields typed from the scan, and
    the RAI properties ctd fills from its scans and scores. No value from the data."""
    dataset = datasets.find(session, actor, ref)
    document = croissant.croissant(session, dataset, base_url(request), actor)
    return JSONResponse(document, media_type=croissant.MEDIA_TYPE)


@router.get("/datasets/{ref}/datasheet", response_class=HTMLResponse)
def dataset_datasheet(ref: str, request: Request, session: SessionDep,
                      actor: ActorDep) -> HTMLResponse:
    """The dataset's datasheet (Gebru et al., « Datasheets for Datasets »), in French HTML,
    drawn from the same facts as its Croissant document."""
    dataset = datasets.find(session, actor, ref)
    return HTMLResponse(datasheet.render(
        croissant.facts(session, dataset, base_url(request), actor)))


@router.get("/committees/{slug}/coverage")
def committee_coverage(slug: str, session: SessionDep) -> dict[str, Any]:
    """The committee's reference-data coverage: its members × the reference schemas bundled
    with ctd (SCDL, IRVE). Each cell says whether the member publishes the dataset, whether
    its files conform, its grades and last update, or what to publish. Public: built from
    published metadata and scan reports, quoting no value of any file."""
    return coverage.matrix(session, committees.find(session, slug))


@router.get("/committees/{slug}/coverage.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def committee_coverage_csv(slug: str, session: SessionDep) -> Response:
    """The coverage matrix as CSV, one line per member and reference schema."""
    committee = committees.find(session, slug)
    return Response(coverage.to_csv(coverage.matrix(session, committee)),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="couverture-{committee.slug}.csv"'})


SVG = "image/svg+xml"


@router.get("/committees/{slug}/map.svg", response_class=Response,
            responses={200: {"content": {SVG: {}}}})
def committee_map(slug: str, session: SessionDep,
                  colour: Literal["coverage", "quality"] = "coverage") -> Response:
    """A map of the committee's territory, drawn on the server (no tile server): each
    member's territory coloured by its coverage of the reference datasets (``coverage``)
    or by the mean AI-training fitness of its published datasets (``quality``), the
    committee's outline and the footprints of the published datasets. Public."""
    committee = committees.find(session, slug)
    return Response(charts.committee_map(session, committee, colour), media_type=SVG)


@router.get("/committees/{slug}/charts/scores.svg", response_class=Response,
            responses={200: {"content": {SVG: {}}}})
def committee_scores_chart(slug: str, session: SessionDep) -> Response:
    """Per member of the committee, the AI-training fitness and metadata scores of its
    published datasets, as an SVG chart. Public."""
    committee = committees.find(session, slug)
    return Response(charts.score_distribution(session, committee), media_type=SVG)
