"""Resources of a dataset: links to remote files or APIs, and uploaded files."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, select

from catalogue import datasets, events, files, search
from catalogue.auth import Actor
from catalogue.config import load_settings
from catalogue.errors import Forbidden, Invalid, NotFound, Unauthorized
from catalogue.models import Dataset, Resource, utcnow
from catalogue.schemas import ResourceCreate, ResourceOut, ResourceUpdate, has_nul
from catalogue.vocabularies import ResourceType

DOWNLOAD_PATH = "/api/v1/resources/{id}/download"


def find(session: Session, actor: Actor, resource_id: int) -> tuple[Resource, Dataset]:
    resource = session.get(Resource, resource_id)
    if resource is not None:
        dataset = session.get(Dataset, resource.dataset_id)
        if datasets.can_see(actor, dataset):
            return resource, dataset
    raise NotFound(f"Ressource inconnue : {resource_id}.")


def list_for(session: Session, dataset: Dataset) -> list[Resource]:
    return list(session.exec(select(Resource).where(Resource.dataset_id == dataset.id)
                             .order_by(Resource.id)))


def _touch(session: Session, dataset: Dataset) -> None:
    """A change of resources changes the dataset (its modified date and formats)."""
    dataset.modified = utcnow()
    session.add(dataset)
    session.flush()
    search.index_datasets(session, [dataset])


def _require_publisher(actor: Actor, dataset: Dataset) -> None:
    actor.require(actor.publishes_for(dataset.publisher_id),
                  f"modifier les ressources du jeu de données « {dataset.slug} »")


def create_link(session: Session, actor: Actor, dataset: Dataset,
                data: ResourceCreate) -> Resource:
    _require_publisher(actor, dataset)
    guessed_format, guessed_type = files.describe(data.url.split("?")[0])
    resource = Resource(**data.model_dump(), dataset_id=dataset.id)
    resource.format = (data.format or guessed_format or "").upper() or None
    resource.media_type = data.media_type or guessed_type
    session.add(resource)
    _touch(session, dataset)
    return resource


def create_upload(session: Session, actor: Actor, dataset: Dataset, stream: BinaryIO,
                  filename: str, *, title: str | None = None, description: str = "",
                  type: ResourceType = ResourceType.main,
                  media_type: str | None = None) -> Resource:
    """Store an uploaded file (size-capped, hashed) as a new resource of ``dataset``."""
    _require_publisher(actor, dataset)
    if not filename:
        raise Invalid("Le fichier envoyé n'a pas de nom.", field="file")
    if has_nul([filename, title, description, media_type]):
        raise Invalid("Le caractère NUL n'est pas accepté.")
    settings = load_settings()
    staged = files.receive(stream, settings.files_dir, settings.max_upload_bytes)
    try:
        fmt, guessed_type = files.describe(filename)
        resource = Resource(dataset_id=dataset.id, title=title or filename,
                            description=description, type=type, format=fmt,
                            media_type=media_type or guessed_type, size=staged.size,
                            sha256=staged.sha256)
        session.add(resource)
        session.flush()
        resource.file_path = f"{dataset.id}/{resource.id}/{files.safe_name(filename)}"
        files.place(staged, settings.files_dir, resource.file_path)
    finally:
        staged.path.unlink(missing_ok=True)
    _touch(session, dataset)
    events.announce(session, events.FILE_STORED, resource_id=resource.id)
    return resource


def update(session: Session, actor: Actor, resource: Resource, dataset: Dataset,
           data: ResourceUpdate) -> Resource:
    _require_publisher(actor, dataset)
    changes = data.model_dump(exclude_unset=True)
    if "url" in changes and resource.file_path:
        raise Invalid("L'adresse d'un fichier déposé ne se modifie pas : déposez-en un autre.",
                      field="url")
    for name in ("title", "type"):
        if name in changes and changes[name] is None:
            raise Invalid(f"Le champ {name} ne peut pas être vide.", field=name)
    for name, value in changes.items():
        setattr(resource, name, value.upper() if name == "format" and value else value)
    resource.last_modified = utcnow()
    session.add(resource)
    _touch(session, dataset)
    return resource


def delete(session: Session, actor: Actor, resource: Resource, dataset: Dataset) -> None:
    _require_publisher(actor, dataset)
    path = resource.file_path
    session.delete(resource)
    _touch(session, dataset)
    if path:
        (load_settings().files_dir / path).unlink(missing_ok=True)


def file_to_serve(actor: Actor, resource: Resource, dataset: Dataset) -> Path:
    """The local file of an uploaded resource, if the actor may read it."""
    if not datasets.can_read_files(actor, dataset):
        message = (f"Les fichiers du jeu de données « {dataset.slug} » "
                   f"({dataset.access_type}) ne sont pas publics.")
        raise Unauthorized(message) if actor.anonymous else Forbidden(message)
    if not resource.file_path:
        raise NotFound("Cette ressource est un lien : son fichier est à son adresse distante.")
    path = load_settings().files_dir / resource.file_path
    if not path.is_file():
        raise NotFound("Le fichier de cette ressource est introuvable sur le serveur.")
    return path


def to_out(resource: Resource, dataset: Dataset, actor: Actor) -> ResourceOut:
    """A remote URL of a non-open dataset is shown only to those who may read its files."""
    url = resource.url
    if resource.file_path or not datasets.can_read_files(actor, dataset):
        url = DOWNLOAD_PATH.format(id=resource.id)
    return ResourceOut(
        id=resource.id, dataset=dataset.slug, title=resource.title,
        description=resource.description, url=url, uploaded=resource.file_path is not None,
        format=resource.format, media_type=resource.media_type, size=resource.size,
        sha256=resource.sha256, type=resource.type, last_modified=resource.last_modified,
        created=resource.created,
    )
