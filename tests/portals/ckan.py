"""A fixture CKAN portal: the Action API v3 as ckanapi calls it (``/api/action/<name>`` and
``/api/3/action/<name>``), with ``package_search`` paging (``start``/``rows`` ≤ 1000), the
``metadata_modified`` range and ``organization`` filters, the sorts a harvester uses,
``fl``, and ``package_show``. Records are built on request from a compact list, so 10,000
datasets cost little memory."""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portals import Portal, Reply, Request

ROWS_MAX = 1000
TOPICS = ["Subventions aux associations", "Budget primitif", "Délibérations du conseil",
          "Équipements sportifs", "Menus des cantines", "Bornes de recharge",
          "Stationnement vélo", "Qualité de l'air", "Arbres d'alignement", "Marchés publics"]
GROUPS = [("tran", "Transports"), ("envi", "Environnement"), ("econ", "Économie et finances"),
          ("educ", "Éducation, culture et sport")]


@dataclass
class Package:
    id: str
    name: str
    title: str
    organization: str
    modified: datetime
    version: int = 1


class CkanPortal(Portal):
    def __init__(self, count: int = 25, seed: int = 1, organization: str = "ville-de-nancy",
                 resources: int = 3) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.resources = resources
        self.start = datetime(2024, 1, 1, tzinfo=UTC)
        self.packages: dict[str, Package] = {}
        # Package ids to modify just before answering the page at that offset, as when a
        # publisher edits a dataset while a harvester pages through the catalogue.
        self.touch_before_page: dict[int, str] = {}
        # A global identifier in the ``uri`` extra, shared by portals that hold the same data.
        self.uri_base: str | None = None
        # Where resource files are served: this portal's own /files/ once the test sets it.
        self.files_base = "https://files.example.fr"
        self.clock = self.start
        for _ in range(count):
            self.add(organization)

    # --- changes a test makes ----------------------------------------------------------------

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def add(self, organization: str = "ville-de-nancy") -> Package:
        number = len(self.packages) + 1
        topic = TOPICS[number % len(TOPICS)]
        package = Package(id=f"{number:08d}-0000-4000-8000-{self.rng.getrandbits(48):012x}",
                          name=f"jeu-{number:05d}", title=f"{topic} n° {number}",
                          organization=organization, modified=self._tick())
        self.packages[package.id] = package
        return package

    def modify(self, package_id: str) -> None:
        package = self.packages[package_id]
        package.version += 1
        package.modified = self._tick()

    def delete(self, package_id: str) -> None:
        del self.packages[package_id]

    # --- the protocol ------------------------------------------------------------------------

    def record(self, p: Package) -> dict:
        stamp = p.modified.replace(tzinfo=None).isoformat()
        number = int(p.name.rsplit("-", 1)[-1])
        group = GROUPS[number % len(GROUPS)]
        return {
            "id": p.id, "name": p.name, "title": p.title,
            "notes": f"Version {p.version} du jeu « {p.title} », publiée par {p.organization}.",
            "license_id": "fr-lo", "license_title": "Licence Ouverte",
            "maintainer": "Service données", "maintainer_email": "donnees@example.fr",
            "owner_org": p.organization,
            "organization": {"name": p.organization, "title": p.organization},
            "private": False, "state": "active", "type": "dataset",
            "tags": [{"name": "open-data"}, {"name": f"v{p.version}"}],
            "groups": [{"name": group[0], "title": group[1]}],
            "extras": [{"key": "frequency", "value": "monthly"},
                       {"key": "spatial", "value": json.dumps(
                           {"type": "Point", "coordinates": [6.18, 48.69]})}]
            + ([{"key": "uri", "value": f"{self.uri_base}/{p.name}"}] if self.uri_base else []),
            "metadata_created": self.start.replace(tzinfo=None).isoformat(),
            "metadata_modified": stamp,
            "resources": [{
                "id": f"{p.id}-r{index}", "package_id": p.id,
                "url": f"{self.files_base}/{p.name}/fichier-{index}.csv",
                "name": f"Fichier {index}", "description": "", "format": "CSV",
                "mimetype": "text/csv", "size": 1000 * index, "hash": "",
                "resource_type": None, "last_modified": stamp,
            } for index in range(1, self.resources + 1)],
        }

    def file(self, path: str) -> bytes:
        """The CSV behind a resource URL: its content follows the dataset's version."""
        name = path.split("/")[2]
        package = next((p for p in self.packages.values() if p.name == name), None)
        version = package.version if package else 0
        return f"code_insee;valeur\n54395;{version}\n88160;{len(path)}\n".encode()

    def handle(self, request: Request) -> Reply:
        if request.path.startswith("/files/"):
            body = self.file(request.path)
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            if request.headers.get("if-none-match") == etag:
                return Reply(304, b"", "text/csv", {"ETag": etag})
            return Reply(200, body, "text/csv; charset=utf-8", {"ETag": etag})
        match = re.fullmatch(r"/api(?:/3)?/action/(\w+)", request.path)
        if not match:
            return Reply(404, b"<html>Not found</html>", "text/html")
        params = dict(request.query)
        if request.method == "POST" and request.body:
            params.update(request.json())
        action = match.group(1)
        if action == "package_search":
            return self.package_search(params)
        if action == "package_show":
            package = self.packages.get(str(params.get("id")))
            if package is None:
                return self.error(404, "Not Found Error", "Not found")
            return self.success(self.record(package))
        return self.error(400, "Bad Request", f"Unknown action {action}")

    def success(self, result) -> Reply:
        return Reply.of_json({"help": "http://fixture/api/3/action/help_show", "success": True,
                              "result": result})

    def error(self, status: int, kind: str, message: str) -> Reply:
        return Reply.of_json({"help": "", "success": False,
                              "error": {"__type": kind, "message": message}}, status)

    def package_search(self, params: dict) -> Reply:
        try:
            rows = int(params.get("rows", 10))
            start = int(params.get("start", 0))
        except ValueError:
            return self.error(409, "Validation Error", "rows and start must be integers")
        if rows > ROWS_MAX or rows < 0 or start < 0:
            return self.error(409, "Validation Error", f"rows must be at most {ROWS_MAX}")
        if start in self.touch_before_page:
            self.modify(self.touch_before_page.pop(start))
        chosen = list(self.packages.values())
        for term in re.findall(r'[\w_]+:(?:\[[^\]]*\]|"[^"]*"|\S+)', params.get("fq") or ""):
            field, _, value = term.partition(":")
            if field == "organization":
                chosen = [p for p in chosen if p.organization == value]
            elif field == "metadata_modified":
                low = re.fullmatch(r"\[(\S+) TO \*\]", value)
                if not low:
                    return self.error(400, "Search Query Error", f"bad range {value}")
                since = datetime.fromisoformat(low.group(1).replace("Z", "+00:00"))
                since = since if since.tzinfo else since.replace(tzinfo=UTC)
                chosen = [p for p in chosen if p.modified >= since]
            else:
                return self.error(400, "Search Query Error", f"unknown field {field}")
        sort = (params.get("sort") or "metadata_modified desc").split(",")[0].split()
        reverse = len(sort) > 1 and sort[1] == "desc"
        key = {"metadata_modified": lambda p: (p.modified, p.id), "id": lambda p: p.id,
               "name": lambda p: p.name}.get(sort[0])
        if key is None:
            return self.error(400, "Search Query Error", f"bad sort {sort[0]}")
        chosen.sort(key=key, reverse=reverse)
        page = chosen[start:start + rows]
        fields = (params.get("fl") or "").replace(",", " ").split()
        if fields and set(fields) <= {"id", "metadata_modified"}:
            light = {"id": lambda p: p.id,
                     "metadata_modified": lambda p: p.modified.replace(tzinfo=None).isoformat()}
            results = [{f: light[f](p) for f in fields} for p in page]
        else:
            results = ([{f: self.record(p).get(f) for f in fields} for p in page] if fields
                       else [self.record(p) for p in page])
        return self.success({"count": len(chosen), "results": results, "facets": {},
                             "search_facets": {}, "sort": params.get("sort")})
