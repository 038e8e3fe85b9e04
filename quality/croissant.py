"""Croissant 1.1 JSON-LD of a catalogue dataset, with the Responsible AI vocabulary (RAI 1.0),
and the facts it is built from: ``quality.datasheet`` renders the same facts in French, so the
two documents cannot disagree.

Everything comes from what ctd knows: the dataset's metadata, its resources, their latest
scans (column types, missing values, personal-data detections) and the dataset's scores.
Nothing quoted from the data (top values, min, max, sample rows) is used.

Checksums: the Croissant specification lets a FileObject go without ``sha256`` (strongly
recommended for versioned datasets, advised against for files that will change in a live
dataset), but mlcroissant requires ``sha256`` or ``md5`` unless the dataset is live. So a file
ctd holds (uploaded, or copied by a harvest) is listed with its sha256; a link ctd never
fetched is listed without one only in a live dataset (one that declares a recurring update
frequency), and otherwise left out of ``distribution`` and named in ``rai:dataLimitations``.
API endpoints are never FileObjects: they serve no fixed bytes.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

from sqlmodel import Session

from catalogue import dcat, resources
from catalogue.auth import ANONYMOUS, Actor
from catalogue.models import Dataset, Licence, Organization, Resource, Territory
from catalogue.vocabularies import THEMES, ResourceType
from quality import reports
from quality.minimisation import effective
from quality.models import ReportStatus
from quality.schema import load_schema

CROISSANT = "http://mlcommons.org/croissant/1.1"
RAI = "http://mlcommons.org/croissant/RAI/1.0"
MEDIA_TYPE = f'application/ld+json; profile="{CROISSANT}"'
# The context of the Croissant 1.1 specification (Appendix 1, as its example datasets write
# it, with schema.org in https as mlcroissant reads it).
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

# Profile types (quality.profile) -> Croissant data types. Codes stay text: their leading
# zeros matter (01053, 2A004). A point in one cell is text carrying coordinates.
DATA_TYPES = {"boolean": "sc:Boolean", "integer": "sc:Integer", "number": "sc:Float",
              "date": "sc:Date", "datetime": "sc:DateTime", "time": "sc:Time",
              "code": "sc:Text", "string": "sc:Text"}
GEOPOINT = ["sc:GeoCoordinates", "sc:Text"]
# Detections that make a column an identifier or a code, whatever its digits look like.
TEXT_KINDS = {"nir", "siren", "siret", "iban", "phone", "postal_code", "commune", "iris",
              "plate", "ip"}
# Frequencies after which the data is replaced as time goes: a live dataset in Croissant.
NOT_LIVE = {None, "", "NEVER", "UNKNOWN", "OTHER"}
# A criterion below this value (0-1) is reported as a weakness (grade B starts at 60).
LOW = 0.6
# Criteria about what the data represents, reported as biases; the others as limitations.
BIAS_CRITERIA = {"completeness", "freshness", "update_on_time", "temporal_coverage",
                 "spatial_coverage"}
# At most this many columns are named in a sentence.
MAX_NAMED = 15
MEDIA_TYPES = {
    "csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
    "geojson": "application/geo+json", "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "pdf": "application/pdf", "zip": "application/zip", "xml": "application/xml",
    "html": "text/html", "txt": "text/plain",
}
UNKNOWN_MEDIA_TYPE = "application/octet-stream"
MEDIA_TYPE_SHAPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


# Facts


@dataclass
class Column:
    name: str
    # The profile's type (quality.profile) and the Croissant data type drawn from it.
    type: str
    data_type: str | list[str]
    null_count: int
    null_rate: float
    # Share of non-null values valid for ``type``.
    conformance: float
    # A code or an identifier (by its type, its schema or a detection): text.
    code: bool = False
    leading_zeros: bool = False
    geo: str | None = None
    # From the declared schema, in French.
    description: str | None = None


@dataclass
class PersonalColumn:
    """A personal-data detection on a column, as the documents describe it: what, never a
    value."""

    column: str
    kind: str
    category: str
    confidence: Any = None
    share: float | None = None
    reason: str | None = None
    # The special category (GDPR Art. 9) of a ``special`` detection: health, religion…
    topic: str | None = None


@dataclass
class File:
    """A resource as the documents describe it."""

    id: int
    title: str
    description: str
    type: str
    format: str | None
    media_type: str
    name: str
    # Absolute address of its bytes, by the same rule as the API and DCAT.
    url: str | None
    size: int | None
    sha256: str | None
    # A file ctd keeps (uploaded, or copied by a harvest).
    stored: bool
    # A FileObject of ``distribution``; else ``omitted`` says why.
    listed: bool = False
    omitted: str | None = None
    # done, stale (the file changed since), failed, none (never scanned) or not_tabular.
    scan: str = "none"
    rows: int | None = None
    duplicate_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    columns: list[Column] = field(default_factory=list)
    # None when the scan did not look for personal data.
    personal: list[PersonalColumn] | None = None
    # Columns detected as places (postal code, commune, GPS…) in a file describing no one.
    places: list[str] = field(default_factory=list)
    # {"ref", "origin", "valid", "errors": fields with errors, "missing": fields absent}.
    schema: dict[str, Any] | None = None

    @property
    def record_set(self) -> bool:
        return self.listed and self.scan == "done" and bool(self.columns)


@dataclass
class Score:
    id: str
    value: int | None
    grade: str | None
    band: str | None
    # Each {"id", "label", "value", "explanation", "fix"}; ``low`` are those below LOW.
    criteria: list[dict[str, Any]]
    low: list[dict[str, Any]]


@dataclass
class Facts:
    """What ctd knows of a dataset, for its Croissant document and its datasheet."""

    slug: str
    title: str
    description: str
    url: str
    api_url: str
    croissant_url: str
    datasheet_url: str
    dcat_url: str
    publisher: str
    publisher_kind: str | None
    publisher_url: str
    publisher_siren: str | None
    licence: str
    licence_title: str
    licence_url: str | None
    access: str
    declared_personal: str
    keywords: list[str]
    themes: list[tuple[str, str]]
    frequency: str | None
    live: bool
    published: datetime
    modified: datetime
    temporal_start: date | None
    temporal_end: date | None
    # (zone id, name, INSEE IRI or None)
    zones: list[tuple[str, str, str | None]]
    granularity: str | None
    schema_name: str | None
    schema_version: str | None
    contact_name: str | None
    contact_email: str | None
    harvest_source: str | None
    remote_url: str | None
    files: list[File]
    scores: dict[str, Score]
    verdict: dict[str, Any] | None

    @property
    def scanned(self) -> list[File]:
        return [f for f in self.files if f.scan == "done"]

    @property
    def assessed(self) -> list[File]:
        """Files whose scan looked for personal data."""
        return [f for f in self.scanned if f.personal is not None]

    @property
    def detections(self) -> list[tuple[File, PersonalColumn]]:
        return [(f, d) for f in self.assessed for d in f.personal or []]

    @property
    def timeframe(self) -> str | None:
        """The temporal coverage as an ISO 8601 interval (``..`` for an open end)."""
        if self.temporal_start is None and self.temporal_end is None:
            return None
        start, end = self.temporal_start, self.temporal_end
        return f"{start.isoformat() if start else '..'}/{end.isoformat() if end else '..'}"


def facts(session: Session, dataset: Dataset, base_url: str,
          actor: Actor = ANONYMOUS) -> Facts:
    """The facts of ``dataset`` (found by the caller through ``datasets.find``). Remote links
    of a non-open dataset are shown only to an ``actor`` who may read its files."""
    publisher = session.get(Organization, dataset.publisher_id)
    licence = session.get(Licence, dataset.licence_id)
    api_url = f"{base_url}/api/v1/datasets/{dataset.slug}"
    return Facts(
        slug=dataset.slug, title=dataset.title,
        description=dataset.description.strip() or dataset.title,
        url=dataset.remote_url or api_url, api_url=api_url,
        croissant_url=f"{api_url}/croissant", datasheet_url=f"{api_url}/datasheet",
        dcat_url=f"{base_url}/datasets/{dataset.slug}.jsonld",
        publisher=publisher.name, publisher_kind=str(publisher.kind),
        publisher_url=publisher.website or f"{base_url}/api/v1/organizations/{publisher.slug}",
        publisher_siren=publisher.siren,
        licence=dataset.licence_id, licence_title=licence.title if licence else "",
        licence_url=licence.url if licence else None,
        access=str(dataset.access_type), declared_personal=str(dataset.contains_personal_data),
        keywords=list(dataset.keywords),
        themes=[(t, THEMES.get(t, t)) for t in dataset.themes],
        frequency=dataset.frequency, live=dataset.frequency not in NOT_LIVE,
        published=dataset.created, modified=dataset.remote_modified or dataset.modified,
        temporal_start=dataset.temporal_start, temporal_end=dataset.temporal_end,
        zones=_zones(session, dataset), granularity=dataset.spatial_granularity,
        schema_name=dataset.schema_name, schema_version=dataset.schema_version,
        contact_name=dataset.contact_name, contact_email=dataset.contact_email,
        harvest_source=dataset.harvest_source, remote_url=dataset.remote_url,
        files=[_file(session, r, dataset, base_url, actor)
               for r in resources.list_for(session, dataset)],
        **_scores(reports.refresh_dataset(session, dataset).scores or {}),
    )


def _zones(session: Session, dataset: Dataset) -> list[tuple[str, str, str | None]]:
    zones = []
    for zone in dataset.spatial_zones:
        area = session.get(Territory, zone)
        parts = zone.split(":")
        level = dcat.INSEE_LEVELS.get(parts[1]) if len(parts) == 3 else None
        iri = f"{dcat.INSEE}{level}/{dcat.safe_iri(parts[2])}" if level else None
        zones.append((zone, area.name if area else zone, iri))
    return zones


def _scores(scores: dict[str, Any]) -> dict[str, Any]:
    """The dataset's scores (any name holding a dict with criteria) and its verdict."""
    found = {}
    for name, score in scores.items():
        if not isinstance(score, dict) or "criteria" not in score:
            continue
        criteria = [c for c in score.get("criteria") or [] if isinstance(c, dict)]
        gate = score.get("gate")
        if isinstance(gate, dict) and gate.get("value") is not None and gate["value"] < 1:
            criteria = [gate, *criteria]
        low = [c for c in criteria if c.get("value") is not None and c["value"] < LOW]
        found[name] = Score(name, score.get("value"), score.get("grade"), score.get("band"),
                            criteria, low)
    verdict = scores.get("verdict")
    return {"scores": found,
            "verdict": verdict if isinstance(verdict, dict) and verdict.get("verdict") else None}


def _file(session: Session, resource: Resource, dataset: Dataset, base_url: str,
          actor: Actor) -> File:
    url = resources.to_out(resource, dataset, actor).url
    if url and url.startswith("/"):
        url = base_url + url
    stored = bool(resource.file_path or resource.local_copy)
    file = File(
        id=resource.id, title=resource.title, description=resource.description.strip(),
        type=str(resource.type), format=(resource.format or "").lower() or None,
        media_type=_media_type(resource), name=_file_name(resource), url=url,
        size=resource.size, sha256=resource.sha256, stored=stored)
    report = reports.latest(session, resource_id=resource.id)
    if report is not None and (report.body or report.status == ReportStatus.failed):
        _read_scan(file, report.status, report.body, resource.sha256)
    elif reports.file_format(resource) is None:
        file.scan = "not_tabular"
    _place(file, live=dataset.frequency not in NOT_LIVE)
    return file


def _read_scan(file: File, status: str, body: dict[str, Any], sha256: str | None) -> None:
    """What the latest scan tells of ``file``; a scan of other content than the current file
    describes nothing of it."""
    scanned = (body.get("file") or {}).get("sha256")
    if sha256 and scanned and scanned != sha256:
        file.scan = "stale"
        return
    file.sha256 = file.sha256 or scanned
    if status != ReportStatus.done:
        file.scan = "failed"
        return
    info, profile = body.get("file") or {}, body.get("profile") or {}
    file.scan = "done"
    file.rows = profile.get("rows", info.get("rows"))
    file.duplicate_rows = profile.get("duplicate_rows") or 0
    file.encoding, file.delimiter = info.get("encoding"), info.get("delimiter")
    detections = [d for d in body.get("personal") or [] if isinstance(d, dict)]
    check = body.get("schema")
    descriptions = _schema_descriptions(check)
    codes = _code_columns(check, detections)
    file.columns = [_column(c, descriptions, c["name"] in codes)
                    for c in profile.get("columns") or [] if c.get("name")]
    file.schema = _schema_check(check)
    if "personal" in body:
        kept = effective(detections)
        file.personal = [PersonalColumn(
            column=str(d.get("column")), kind=str(d.get("kind")),
            category=str(d.get("category")), confidence=d.get("confidence"),
            share=d.get("share"), reason=d.get("reason"),
            topic=(d.get("detail") or {}).get("topic")) for d in kept]
        file.places = list(dict.fromkeys(str(d.get("column")) for d in detections
                                         if d not in kept))


def _code_columns(check: dict[str, Any] | None, detections: list[dict[str, Any]]) -> set[str]:
    """Columns that are text whatever their digits: strings in the schema the file follows,
    identifiers and codes the detectors found (a NIR has no leading zero, yet is no number)."""
    codes = {d.get("column") for d in detections if d.get("kind") in TEXT_KINDS}
    if check and check.get("origin") != "inferred":
        codes |= {f.get("name") for f in check.get("fields") or []
                  if f.get("present") and f.get("type") == "string"}
    return codes


def _column(profile: dict[str, Any], descriptions: dict[str, str], code: bool) -> Column:
    type_ = profile.get("type") or "string"
    conformance = profile.get("type_conformance", 1.0)
    code = code or type_ == "code"
    if type_ == "geopoint":
        data_type: str | list[str] = GEOPOINT
    elif code or conformance < 1:
        # Some values are not of the column's type: a loader casting them would fail.
        data_type = "sc:Text"
    else:
        data_type = DATA_TYPES.get(type_, "sc:Text")
    return Column(
        name=profile["name"], type=type_, data_type=data_type,
        null_count=profile.get("null_count") or 0, null_rate=profile.get("null_rate") or 0.0,
        conformance=conformance, code=code, leading_zeros=bool(profile.get("leading_zeros")),
        geo=profile.get("geo"), description=descriptions.get(profile["name"]))


def _schema_check(check: dict[str, Any] | None) -> dict[str, Any] | None:
    if not check or check.get("origin") == "inferred":
        return None
    fields = check.get("fields") or []
    return {"ref": check.get("ref"), "origin": check.get("origin"),
            "valid": bool(check.get("valid")),
            "errors": [f["name"] for f in fields if f.get("present") and f.get("errors")],
            "missing": [f["name"] for f in fields if not f.get("present")]}


def _schema_descriptions(check: dict[str, Any] | None) -> dict[str, str]:
    """Field descriptions of the schema the scan checked the file against (declared or
    recognised), when it describes fields. Only bundled schemas are read: a document is
    never held up fetching one."""
    if not check or check.get("origin") == "inferred" or not check.get("described_columns"):
        return {}
    name = str(check.get("ref") or "").partition("@")[0]
    return _bundled_descriptions(name) if name else {}


@functools.lru_cache(maxsize=32)
def _bundled_descriptions(name: str) -> dict[str, str]:
    if name.lower().startswith(("http://", "https://")) or name.lower().endswith(".json"):
        return {}
    try:
        schema = load_schema(name)
    except (ValueError, OSError):
        return {}
    return {f["name"]: f["description"].strip() for f in schema.get("fields") or []
            if f.get("name") and isinstance(f.get("description"), str)
            and f["description"].strip()}


def _place(file: File, live: bool) -> None:
    """Whether ``file`` is a FileObject of the distribution, and why not."""
    if file.type == ResourceType.api:
        file.omitted = "api"
    elif not file.url:
        file.omitted = "no_url"
    elif not file.sha256 and not live:
        file.omitted = "no_checksum"
    else:
        file.listed = True


def _media_type(resource: Resource) -> str:
    media_type = (resource.media_type or "").split(";")[0].strip().lower()
    if MEDIA_TYPE_SHAPE.fullmatch(media_type):
        return media_type
    known = MEDIA_TYPES.get((resource.format or "").lower())
    return known or mimetypes.guess_type(_file_name(resource))[0] or UNKNOWN_MEDIA_TYPE


def _file_name(resource: Resource) -> str:
    """The name of the file as downloaded."""
    path = resource.file_path or resource.local_copy
    if path:
        return PurePosixPath(path).name
    if resource.url:
        name = PurePosixPath(urlsplit(resource.url).path).name
        if name:
            return name
    return resource.title


# The Croissant document


def croissant(session: Session, dataset: Dataset, base_url: str,
              actor: Actor = ANONYMOUS) -> dict[str, Any]:
    """The Croissant 1.1 + RAI 1.0 JSON-LD document of ``dataset``."""
    return document(facts(session, dataset, base_url, actor))


def document(f: Facts) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "dct:conformsTo": [CROISSANT, RAI],
        "name": {"fr": f.title},
        "description": {"fr": f.description},
        "license": _licence(f),
        "url": f.url,
        "creator": _organization(f),
        "publisher": _organization(f),
        "datePublished": f.published.isoformat(),
        "dateModified": f.modified.isoformat(),
        "inLanguage": "fr",
        "citeAs": cite_as(f),
        "isLiveDataset": f.live,
    }
    if f.keywords:
        doc["keywords"] = f.keywords
    if f.remote_url:
        # The page at the source is the dataset's own; ctd's record is another view of it.
        doc["sameAs"] = [f.api_url]
    if f.timeframe:
        doc["temporalCoverage"] = f.timeframe
    if f.zones:
        doc["spatialCoverage"] = [_place_node(name, iri) for _, name, iri in f.zones]
    doc.update(rai(f))
    doc["distribution"] = [_file_object(file) for file in f.files if file.listed]
    doc["recordSet"] = [_record_set(file) for file in f.files if file.record_set]
    return doc


def _licence(f: Facts) -> str | dict[str, Any]:
    if f.licence_url:
        return f.licence_url
    return {"@type": "sc:CreativeWork", "name": f.licence_title or f.licence}


def _organization(f: Facts) -> dict[str, Any]:
    org: dict[str, Any] = {"@type": "sc:Organization", "name": f.publisher,
                           "url": f.publisher_url}
    if f.publisher_siren:
        org["identifier"] = f"SIREN {f.publisher_siren}"
    return org


def _place_node(name: str, iri: str | None) -> dict[str, Any]:
    place: dict[str, Any] = {"@type": "sc:Place", "name": {"fr": name}}
    if iri:
        place["sameAs"] = iri
    return place


def cite_as(f: Facts) -> str:
    """A BibTeX entry for the dataset (the form Croissant recommends for ``citeAs``)."""
    def tex(text: str) -> str:
        for char in "\\{}&%$#_":
            text = text.replace(char, "\\" + char)
        return text

    key = "".join(c if c.isalnum() else "_" for c in f.slug)
    return (f"@misc{{{key}, author = {{{{{tex(f.publisher)}}}}}, "
            f"title = {{{tex(f.title)}}}, year = {{{f.published.year}}}, "
            f"howpublished = {{\\url{{{f.url}}}}}}}")


def _file_object(file: File) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "cr:FileObject",
        "@id": _file_id(file),
        "name": file.name,
        "description": {"fr": file.title + (f" — {file.description}" if file.description
                                            else "")},
        "contentUrl": file.url,
        "encodingFormat": file.media_type,
    }
    if file.size is not None:
        node["contentSize"] = f"{file.size} B"
    if file.sha256:
        node["sha256"] = file.sha256
    return node


def _file_id(file: File) -> str:
    return f"resource-{file.id}"


def _record_set(file: File) -> dict[str, Any]:
    set_id = f"{_file_id(file)}-records"
    return {
        "@type": "cr:RecordSet",
        "@id": set_id,
        "name": {"fr": file.title},
        "description": (f"One record per row of {file.name}"
                        + (f" ({file.rows} rows)." if file.rows is not None else ".")),
        "field": [_field(set_id, file, column) for column in file.columns],
    }


def _field(set_id: str, file: File, column: Column) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{set_id}/{quote(column.name, safe='')}",
        "name": column.name,
        "dataType": column.data_type,
        "source": {"fileObject": {"@id": _file_id(file)}, "extract": {"column": column.name}},
    }
    descriptions = {}
    if column.description:
        descriptions["fr"] = column.description
    if note := _column_note(column):
        descriptions["en"] = note
    if descriptions:
        node["description"] = descriptions
    return node


def _column_note(column: Column) -> str | None:
    if column.leading_zeros:
        return "A code kept as text: its leading zeros are significant."
    if column.code:
        return "A code or identifier, kept as text."
    if column.geo in ("latitude", "longitude"):
        return f"{column.geo.capitalize()} in decimal degrees (WGS 84)."
    if column.type == "geopoint":
        return "A point written as two decimal coordinates in one cell."
    if column.conformance < 1:
        return (f"Mostly {column.type} ({percent(column.conformance)} of values); given as "
                "text since the other values are not.")
    return None


# RAI


def rai(f: Facts) -> dict[str, Any]:
    """The RAI properties ctd can fill from facts, in English."""
    out: dict[str, Any] = {
        "rai:dataCollection": _collection(f),
        "rai:dataCollectionMissingData": _missing_data(f),
        "rai:dataPreprocessingProtocol": _preprocessing(f),
        "rai:personalSensitiveInformation": _personal(f),
        "rai:dataBiases": _biases(f),
        "rai:dataLimitations": _limitations(f),
        "rai:dataReleaseMaintenancePlan": _maintenance(f),
    }
    if f.timeframe:
        out["rai:dataCollectionTimeframe"] = f.timeframe
    if f.verdict:
        out["rai:dataUseCases"] = _use_cases(f.verdict)
    return out


SCORE_NAMES = {"metadata": "Metadata quality", "ai_fitness": "AI-training fitness",
               "minimisation": "Personal-data minimisation (GDPR Art. 5(1)(c))"}
CRITERIA = {
    "licence": "licence", "temporal_coverage": "temporal coverage",
    "spatial_coverage": "spatial coverage", "frequency": "update frequency",
    "update_on_time": "update on time", "description": "description",
    "open_formats": "open formats", "resources_available": "resources available",
    "documentation": "documentation", "contact_point": "contact point",
    "schema": "declared schema", "keywords": "keywords", "themes": "themes",
    "structure": "structure", "completeness": "completeness",
    "interoperability": "interoperability", "utility": "utility for training",
    "freshness": "freshness", "provenance": "provenance", "licence_gate": "licence condition",
    "singling_out": "singling out", "average_risk": "average re-identification risk",
    "linkability": "linkability", "inference": "inference", "granularity": "granularity",
    "direct_identifiers": "direct identifiers",
}
# Labels of the detection kinds of ``quality.personal``.
KINDS = {
    "nir": "French social security number (NIR)", "siren": "SIREN company number",
    "siret": "SIRET establishment number", "iban": "bank account number (IBAN)",
    "phone": "phone number", "email": "e-mail address", "person_name": "person name",
    "address": "postal address with house number", "birth_date": "date of birth",
    "age": "age", "sex": "sex", "plate": "vehicle licence plate", "ip": "IP address",
    "gps": "GPS coordinates", "postal_code": "postal code", "commune": "commune",
    "iris": "IRIS area", "profession": "profession", "nationality": "nationality",
    "special": "special category of personal data",
    "conviction": "criminal convictions or offences",
}
TOPICS = {
    "health": "health", "religion": "religious or philosophical beliefs",
    "political_opinion": "political opinions", "trade_union": "trade-union membership",
    "ethnic_origin": "racial or ethnic origin",
    "sexual_orientation": "sex life or sexual orientation", "biometric": "biometric data",
    "genetic": "genetic data", "conviction": "criminal convictions or offences",
}
CATEGORIES = {
    "identifier": "blocking direct identifier", "direct": "direct identifier",
    "possible": "possibly personal", "quasi": "quasi-identifier",
    "sensitive": "special category (GDPR Art. 9 or 10)",
}
FREQUENCIES = {
    "CONT": "continuously", "UPDATE_CONT": "continuously", "HOURLY": "hourly",
    "DAILY": "daily", "WEEKLY": "weekly", "BIWEEKLY": "every two weeks", "MONTHLY": "monthly",
    "BIMONTHLY": "every two months", "QUARTERLY": "quarterly", "ANNUAL_2": "twice a year",
    "ANNUAL": "yearly", "BIENNIAL": "every two years", "TRIENNIAL": "every three years",
    "IRREG": "irregularly", "NEVER": "never", "OTHER": "at another pace",
    "UNKNOWN": "at an unknown pace",
}
ORGANIZATION_KINDS = {
    "commune": "commune", "epci": "inter-municipal authority (EPCI)",
    "departement": "département council", "region": "regional council",
    "syndicat": "joint authority (syndicat)", "opsn": "public digital services operator",
    "state_service": "State service", "committee": "data committee", "company": "company",
}
USE_CASES = {
    "open": "Publishable as open data: may be reused by anyone, including to train AI "
            "models, under its licence.",
    "agreement_only": "Shareable only under a data-sharing agreement with the publisher, "
                      "for the purposes the agreement states.",
    "do_not_share": "Not to be shared outside the publisher: direct identifiers or special "
                    "categories of personal data must be removed first.",
}
AI_TRAINING = {"allowed": "AI training is allowed under the licence.",
               "agreement_only": "AI training only under an agreement.",
               "blocked": "AI training is blocked."}


def label(table: dict[str, str], key: str | None) -> str:
    return table.get(key or "", (key or "unknown").replace("_", " "))


def percent(value: float) -> str:
    if 0 < value < 0.001:
        return "<0.1%"
    return f"{100 * value:.1f}".removesuffix(".0") + "%"


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


def _collection(f: Facts) -> str:
    origin = (f"harvested from {f.remote_url}" if f.remote_url
              else "files uploaded by the publisher")
    return (f"Published by {f.publisher} ({label(ORGANIZATION_KINDS, f.publisher_kind)}, "
            f"France) in the catalogue of a territorial data committee (ctd); {origin}.")


def _missing_data(f: Facts) -> str:
    if not f.scanned:
        return "Not assessed: ctd has scanned no file of this dataset."
    parts = []
    for file in f.scanned:
        gaps = sorted((c for c in file.columns if c.null_count), key=lambda c: -c.null_rate)
        if not gaps:
            parts.append(f"{file.name}: {file.rows} rows, no missing values.")
            continue
        named = _named([f"{c.name} {percent(c.null_rate)}" for c in gaps])
        parts.append(f"{file.name}: {file.rows} rows; missing values in {len(gaps)} of "
                     f"{len(file.columns)} columns ({named}).")
    return " ".join(parts)


def _preprocessing(f: Facts) -> list[str]:
    steps = ["ctd publishes files as the publisher supplied them and does not alter them; "
             "column types come from ctd's scan of each file."]
    for file in f.scanned:
        check = file.schema
        if check is None:
            continue
        how = "declared" if check["origin"] == "declared" else "recognised"
        result = ("valid" if check["valid"] else
                  f"{len(check['errors'])} field(s) with errors, "
                  f"{len(check['missing'])} field(s) missing")
        steps.append(f"{file.name} checked against the {how} Table Schema {check['ref']}: "
                     f"{result}.")
    return steps


def _personal(f: Facts) -> list[str]:
    declared = {"yes": "The publisher declares that the dataset contains personal data.",
                "no": "The publisher declares that the dataset contains no personal data."}
    found = [_detection(file, d) for file, d in f.detections]
    if not f.assessed:
        found.append("Not assessed: no file of this dataset was scanned for personal data.")
    elif not found:
        found.append(f"ctd's detectors found no personal data in the {len(f.assessed)} "
                     "scanned file(s).")
    places = [f"{file.name}: {_named(file.places)}" for file in f.assessed if file.places]
    if places:
        found.append("Columns locating places, in files where no column describes a person, "
                     f"are not personal data: {'; '.join(places)}.")
    if f.declared_personal in declared:
        found.append(declared[f.declared_personal])
    return found


def _detection(file: File, d: PersonalColumn) -> str:
    what = label(KINDS, d.kind) + (f" ({label(TOPICS, d.topic)})" if d.topic else "")
    how = [label(CATEGORIES, d.category)]
    if isinstance(d.share, (int, float)):
        how.append(f"{percent(d.share)} of the values examined")
    if d.confidence is not None:
        how.append(f"confidence {_confidence(d.confidence)}")
    return f"{file.name}, column {d.column}: {what}; {', '.join(how)}."


def _confidence(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _score_summary(score: Score, criteria: list[dict[str, Any]]) -> str:
    weak = ", ".join(f"{label(CRITERIA, c.get('id'))} {percent(c['value'])}" for c in criteria)
    grade = f" (grade {score.grade})" if score.grade else ""
    return f"{label(SCORE_NAMES, score.id)} {score.value}/100{grade}; weak: {weak}."


def _biases(f: Facts) -> list[str]:
    biases = [_coverage(f)]
    for score in f.scores.values():
        weak = [c for c in score.low if c.get("id") in BIAS_CRITERIA]
        if weak:
            biases.append(_score_summary(score, weak))
    for file in f.scanned:
        if file.duplicate_rows and file.rows:
            biases.append(f"{file.name}: {percent(file.duplicate_rows / file.rows)} of rows "
                          "are duplicates, which over-weights them.")
    return biases


def _coverage(f: Facts) -> str:
    if f.zones:
        names = _named([name for _, name, _ in f.zones])
        where = f"the territory of {f.publisher} ({len(f.zones)} area(s): {names})"
    else:
        where = f"an undeclared territory (presumably that of {f.publisher})"
    when = f"over {f.timeframe}" if f.timeframe else "over an undeclared period"
    return (f"Covers {where} {when}: not representative of other territories or periods.")


def _limitations(f: Facts) -> list[str]:
    limits = []
    for score in f.scores.values():
        weak = [c for c in score.low if c.get("id") not in BIAS_CRITERIA]
        if weak:
            limits.append(_score_summary(score, weak))
    if not f.scores:
        limits.append("Quality scores not computed yet.")
    reasons = {"no_checksum": "a link ctd has not fetched, so without a checksum",
               "api": "an API endpoint, not a file", "no_url": "no address"}
    for file in f.files:
        if file.omitted:
            limits.append(f"{file.name} is not described in the distribution: "
                          f"{reasons[file.omitted]}.")
        elif file.scan == "failed":
            limits.append(f"{file.name} could not be read by ctd's scanner: no record set.")
        elif file.scan == "stale":
            limits.append(f"{file.name} changed since its last scan: no record set until it "
                          "is scanned again.")
        elif file.type == ResourceType.main and not file.record_set:
            limits.append(f"{file.name} was not scanned as a table: no record set.")
        if file.record_set and (file.delimiter not in (None, ",")
                                or (file.encoding or "utf-8") not in ("utf-8", "ascii")):
            limits.append(f"{file.name} is read with delimiter {file.delimiter!r} and encoding "
                          f"{file.encoding}, which Croissant cannot state: tell your loader.")
    return limits


def _maintenance(f: Facts) -> str:
    pace = (f"declared update frequency: {label(FREQUENCIES, f.frequency)}" if f.frequency
            else "no update frequency declared")
    return (f"Maintained by {f.publisher}; {pace}; last modified on "
            f"{f.modified.date().isoformat()}. This document is generated by ctd from the "
            "catalogue at each request: a file's sha256 changes when the publisher replaces "
            "it.")


def _use_cases(verdict: dict[str, Any]) -> list[str]:
    cases = [label(USE_CASES, verdict.get("verdict"))]
    if verdict.get("ai_training") in AI_TRAINING:
        cases.append(AI_TRAINING[verdict["ai_training"]])
    return cases
