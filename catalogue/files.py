"""Files kept in the data directory: received in chunks with a size cap, hashed on the way;
and the secret keys kept there."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from catalogue.errors import TooLarge
from catalogue.text import slugify

CHUNK = 1024 * 1024
# Formats named by their usual label rather than the bare extension.
_FORMATS = {"jsonld": "JSON-LD", "ttl": "TURTLE", "geojson": "GEOJSON", "shp": "SHP"}


@dataclass
class StagedFile:
    """A received file waiting in the data directory for its final place."""

    path: Path
    size: int
    sha256: str


def receive(stream: BinaryIO, files_dir: Path, limit: int) -> StagedFile:
    """Copy ``stream`` into a temporary file under ``files_dir``; refuse past ``limit`` bytes."""
    staging = files_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, name = tempfile.mkstemp(dir=staging)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"Le fichier dépasse la taille maximale de {limit} octets.")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return StagedFile(Path(name), size, digest.hexdigest())


def place(staged: StagedFile, files_dir: Path, relative: str) -> None:
    target = files_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged.path, target)


def safe_name(filename: str) -> str:
    """A file name safe on any disk: « Budget 2024.CSV » → budget-2024.csv."""
    stem, dot, extension = Path(filename).name.rpartition(".")
    if not dot:
        stem, extension = extension, ""
    base = slugify(stem, 80) or "fichier"
    extension = slugify(extension, 10)
    return f"{base}.{extension}" if extension else base


def describe(filename: str) -> tuple[str | None, str | None]:
    """(format label, media type) guessed from a file name."""
    extension = Path(filename).suffix.lower().lstrip(".")
    media_type = mimetypes.guess_type(filename)[0]
    if extension in ("geojson",):
        media_type = "application/geo+json"
    if not extension:
        return None, media_type
    return _FORMATS.get(extension, extension.upper()), media_type


def secret_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The key file's bytes, created (mode 0600, by ``make``) on first use; a key another
    process wrote first is never replaced."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(make())
        with contextlib.suppress(FileExistsError):
            os.link(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
    return path.read_bytes()
