"""Settings read from the environment (``CTD_*`` variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    max_upload_bytes: int
    # Public base URL of the service (``https://data.example.fr``), on which DCAT IRIs and
    # links are built; None: the base URL of each request.
    public_url: str | None = None
    # Where background jobs queue: sqlite:///path (default: in the data directory) or
    # redis://host:port/db.
    jobs_url: str = ""
    # Quality scans: files over this size are refused unread, and so are tables wider than
    # this, which bounds a scan's memory (about 3 to 5 times the file's size for a CSV).
    scan_max_bytes: int = 1 << 30
    scan_max_columns: int = 2000
    # Re-identification risk: records in quasi-identifier classes smaller than this are
    # singled out (11 after INSEE's rule of 11 households).
    minimisation_k: int = 11

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


# The variables the settings are read from.
VARIABLES = ("CTD_DATA_DIR", "CTD_DATABASE_URL", "CTD_MAX_UPLOAD_BYTES", "CTD_PUBLIC_URL",
             "CTD_JOBS_URL", "CTD_SCAN_MAX_BYTES", "CTD_SCAN_MAX_COLUMNS",
             "CTD_MINIMISATION_K")


def load_settings() -> Settings:
    """The settings of the environment now: read on each use, so that tests and the CLI can
    change them, and built once per set of values (hot paths call this per request)."""
    return _settings(tuple(os.environ.get(name) for name in VARIABLES))


@lru_cache(maxsize=16)
def _settings(values: tuple[str | None, ...]) -> Settings:
    env = {name: value for name, value in zip(VARIABLES, values, strict=True)
           if value is not None}
    data_dir = Path(
        env.get("CTD_DATA_DIR") or platformdirs.user_data_dir("ctd", appauthor=False)
    ).expanduser()
    database_url = env.get("CTD_DATABASE_URL") or f"sqlite:///{data_dir / 'ctd.sqlite'}"
    max_upload = int(env.get("CTD_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
    public_url = env.get("CTD_PUBLIC_URL", "").strip().rstrip("/") or None
    jobs_url = env.get("CTD_JOBS_URL") or f"sqlite:///{data_dir / 'jobs.sqlite'}"
    return Settings(data_dir=data_dir, database_url=database_url, max_upload_bytes=max_upload,
                    public_url=public_url, jobs_url=jobs_url,
                    scan_max_bytes=int(env.get("CTD_SCAN_MAX_BYTES", str(1 << 30))),
                    scan_max_columns=int(env.get("CTD_SCAN_MAX_COLUMNS", "2000")),
                    minimisation_k=int(env.get("CTD_MINIMISATION_K", "11")))
