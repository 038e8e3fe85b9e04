"""A udata portal (the API v1 of data.gouv.fr) holding synthetic datasets of an organization
(and optionally of another one), as flask-restx marshals them:

- ``GET /api/1/datasets/``: ``organization`` (an ObjectId, else 400), ``sort`` (udata's
  choices, else 400), ``page``/``page_size`` (positive integers), the ``{data, page,
  page_size, total, next_page, previous_page}`` envelope, anonymous visibility (no private,
  deleted or archived dataset);
- ``GET /api/1/datasets/<id or slug>/`` (410 when deleted, 404 when private);
- ``GET /api/1/organizations/<id or slug>/``;
- the ``X-Fields`` mask header on all of them (``data{id,last_modified},next_page,total``).

A dataset is built from its index and the seed when a request needs it, so a portal of 10,000
datasets costs nothing until read. Tests change the portal through ``modify``, ``delete``,
``archive``, ``make_private``, ``add`` and ``corrupt``; every change moves a clock that is
later than every date the portal already holds.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from portals import Portal, Reply, Request

BASE_TIME = datetime(2023, 3, 6, 8, 30, tzinfo=UTC)

# (title, tags, udata frequency, udata granularity)
SUBJECTS = [
    ("Stationnements vélos", ["velo", "stationnement", "mobilite"], "monthly", "poi"),
    ("Budget primitif", ["budget", "finances"], "annual", "fr:commune"),
    ("Délibérations du conseil municipal", ["deliberations", "conseil-municipal"],
     "monthly", "fr:commune"),
    ("Qualité de l'air", ["air", "pollution"], "daily", "fr:epci"),
    ("Collecte des déchets ménagers", ["dechets", "collecte"], "weekly", "fr:iris"),
    ("Équipements sportifs", ["sport", "equipements"], "irregular", "poi"),
    ("Arbres d'alignement", ["arbres", "nature-en-ville"], "punctual", "poi"),
    ("Subventions aux associations", ["subventions", "associations"], "annual", "other"),
    ("Fréquentation des bibliothèques", ["bibliotheques", "culture"], "quarterly",
     "fr:departement"),
    ("Résultats des élections municipales", ["elections"], "punctual", "fr:region"),
    ("Horaires des piscines", ["piscines", "sport"], "unknown", "poi"),
    ("Permis de construire", ["urbanisme", "permis"], "monthly", "country"),
]
COMMUNES = [
    ("54395", "Nancy"), ("54547", "Vandœuvre-lès-Nancy"), ("54304", "Laxou"),
    ("54578", "Villers-lès-Nancy"), ("54357", "Maxéville"), ("54339", "Malzéville"),
    ("54184", "Essey-lès-Nancy"), ("54526", "Tomblaine"), ("54274", "Jarville-la-Malgrange"),
    ("54482", "Saint-Max"),
]
LICENSES = ["lov2", "fr-lo", "odc-odbl", "cc-by", "cc-zero", "notspecified", "other-at"]
RESOURCE_FORMATS = [("csv", "text/csv", "main"), ("pdf", "application/pdf", "documentation"),
                    ("json", "application/json", "api"), ("csv", "text/csv", "update")]
SORTS = {"title", "created", "last_update", "reuses", "followers", "views"}


_ACCENTS = str.maketrans("àâäéèêëîïôöùûüçœ", "aaaeeeeiioouuuco")


def slugify(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower().translate(_ACCENTS)))


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def parse_mask(text: str) -> dict[str, Any]:
    """A flask-restx fields mask (``data{id,last_modified},next_page``, braces optional
    around the whole) as ``{field: nested mask or None}``; ``*`` stands for the rest."""
    tokens = re.findall(r"[{},]|[^{},\s]+", text.strip())
    if tokens[:1] == ["{"] and tokens[-1:] == ["}"]:
        tokens = tokens[1:-1]
    mask, _ = _parse_fields(tokens, 0)
    return mask


def _parse_fields(tokens: list[str], i: int) -> tuple[dict[str, Any], int]:
    fields: dict[str, Any] = {}
    while i < len(tokens) and tokens[i] != "}":
        name, i = tokens[i], i + 1
        if name == ",":
            continue
        nested = None
        if i < len(tokens) and tokens[i] == "{":
            nested, i = _parse_fields(tokens, i + 1)
            i += 1
        fields[name] = nested
    return fields, i


def apply_mask(value: Any, mask: dict[str, Any] | None) -> Any:
    if mask is None:
        return value
    if isinstance(value, list):
        return [apply_mask(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {name: apply_mask(value.get(name), sub) for name, sub in mask.items() if name != "*"}
    if "*" in mask:
        kept.update({name: item for name, item in value.items() if name not in kept})
    return kept


class UdataPortal(Portal):
    """``count`` datasets of ``organization`` (a slug; its id derives from it), and
    ``others`` datasets of another organization, interleaved. ``lists_hidden`` lists private,
    deleted and archived datasets too (flags set), as if the portal did not filter them;
    ``next_page_loop`` makes every ``next_page`` point at page 2 (a broken paginator)."""

    def __init__(self, count: int = 25, organization: str = "ville-de-nancy", *,
                 others: int = 0, seed: int = 1, lists_hidden: bool = False,
                 next_page_loop: bool = False):
        super().__init__()
        self.seed, self.lists_hidden, self.next_page_loop = seed, lists_hidden, next_page_loop
        self.organization = organization
        self.other_organization = "metropole-du-grand-nancy"
        self.size = self._initial = count + others
        self._others = others
        self._overrides: dict[int, dict[str, Any]] = {}
        self._listings: dict[str | None, tuple[datetime, list[int]]] = {}
        self._clock = BASE_TIME + timedelta(hours=2 * self.size + 240)

    # --- identities ----------------------------------------------------------------------

    def org_id(self, slug: str) -> str:
        return hashlib.sha1(f"{self.seed}:{slug}".encode()).hexdigest()[:24]

    def dataset_id(self, index: int) -> str:
        """An ObjectId: creation time, then the seed and the index."""
        stamp = int((BASE_TIME + timedelta(hours=2 * index)).timestamp())
        return f"{stamp:08x}{self.seed:06x}{index:010x}"

    def index_of(self, remote_id: str) -> int | None:
        if re.fullmatch(r"[0-9a-f]{24}", remote_id):
            index = int(remote_id[-10:], 16)
            if index < self.size and self.dataset_id(index) == remote_id:
                return index
        for index, override in self._overrides.items():  # a slug
            if override.get("slug") == remote_id:
                return index
        match = re.search(r"-(\d+)$", remote_id)
        index = int(match[1]) if match else None
        if index is not None and index < self.size and self._slug(index) == remote_id:
            return index
        return None

    def owner(self, index: int) -> str:
        """The slug of the dataset's organization."""
        if added_to := self._overrides.get(index, {}).get("organization_slug"):
            return added_to
        # The other organization's datasets are spread evenly among the first ones.
        if index < self._initial and ((index + 1) * self._others // self._initial
                                      > index * self._others // self._initial):
            return self.other_organization
        return self.organization

    def ids(self, organization: str | None = None) -> list[str]:
        """The ids of the datasets an anonymous listing shows for an organization."""
        organization = organization or self.organization
        return [self.dataset_id(i) for i in range(self.size)
                if self.owner(i) == organization and not self._is_hidden(i)]

    # --- changes -------------------------------------------------------------------------

    def _tick(self) -> datetime:
        self._clock += timedelta(minutes=3, microseconds=250_000)
        return self._clock

    def modify(self, remote_id: str, **fields: Any) -> datetime:
        """Change fields of a dataset as its publisher would; returns the new last_modified."""
        index = self._index(remote_id)
        moment = self._tick()
        self._overrides.setdefault(index, {}).update(fields, last_modified=iso(moment))
        return moment

    def corrupt(self, remote_id: str) -> None:
        """Make a dataset unreadable for a harvester (its resources are not a list)."""
        self.modify(remote_id, resources="voir le site de la mairie")

    def delete(self, remote_id: str) -> None:
        self._flag(remote_id, "deleted")

    def archive(self, remote_id: str) -> None:
        self._flag(remote_id, "archived")

    def make_private(self, remote_id: str) -> None:
        self.modify(remote_id, private=True)

    def _flag(self, remote_id: str, flag: str) -> None:
        index = self._index(remote_id)
        self._overrides.setdefault(index, {})[flag] = iso(self._tick())

    def add(self, count: int = 1) -> list[str]:
        """New datasets of the organization, created now."""
        added = []
        for _ in range(count):
            index, moment = self.size, self._tick()
            self.size += 1
            self._overrides[index] = {"created_at": iso(moment), "last_modified": iso(moment),
                                      "organization_slug": self.organization}
            added.append(self.dataset_id(index))
        return added

    def _index(self, remote_id: str) -> int:
        index = self.index_of(remote_id)
        if index is None:
            raise KeyError(remote_id)
        return index

    def _is_hidden(self, index: int) -> bool:
        override = self._overrides.get(index, {})
        return bool(override.get("deleted") or override.get("archived")
                    or override.get("private"))

    # --- content -------------------------------------------------------------------------

    def _slug(self, index: int) -> str:
        subject = SUBJECTS[index % len(SUBJECTS)][0]
        commune = COMMUNES[index % len(COMMUNES)][1]
        return f"{slugify(subject)}-{slugify(commune)}-{index}"

    def _created(self, index: int) -> datetime:
        created = self._overrides.get(index, {}).get("created_at")
        return datetime.fromisoformat(created) if created else (
            BASE_TIME + timedelta(hours=2 * index))

    def _organization_ref(self, base: str, slug: str) -> dict[str, Any]:
        name = {"ville-de-nancy": "Ville de Nancy",
                "metropole-du-grand-nancy": "Métropole du Grand Nancy"}.get(slug, slug)
        return {"id": self.org_id(slug), "name": name, "acronym": None, "slug": slug,
                "uri": f"{base}/api/1/organizations/{self.org_id(slug)}/",
                "page": f"{base}/organizations/{slug}/", "logo": None, "logo_thumbnail": None,
                "badges": [{"kind": "public-service"}]}

    def dataset(self, index: int, base: str) -> dict[str, Any]:
        """The dataset as the API marshals it (without mask)."""
        override = dict(self._overrides.get(index, {}))
        rng = random.Random(self.seed * 1_000_003 + index)
        subject, tags, frequency, granularity = SUBJECTS[index % len(SUBJECTS)]
        code, commune = COMMUNES[index % len(COMMUNES)]
        oid, slug = self.dataset_id(index), override.pop("slug", None) or self._slug(index)
        created = self._created(index)
        modified = datetime.fromisoformat(override.pop("last_modified", None) or iso(
            created + timedelta(days=index % 9, minutes=17)))
        owner = self.owner(index)
        override.pop("organization_slug", None)
        year = 2018 + index % 6
        resources = [self._resource(index, n, rng, base, slug, modified)
                     for n in range(1 + index % 4)]
        harvested = index % 7 == 3
        dataset = {
            "id": oid,
            "title": f"{subject} – {commune} ({year})",
            "acronym": None,
            "slug": slug,
            "description": (f"Données **{subject.lower()}** publiées par la commune de "
                            f"{commune} pour l'année {year}.\n\nMise à jour selon la "
                            "fréquence indiquée ; voir la documentation jointe."),
            "description_short": f"{subject} à {commune} en {year}.",
            "created_at": iso(created),
            "last_modified": iso(modified),
            "last_update": iso(modified - timedelta(hours=1)),  # its first resource's
            "deleted": None,
            "archived": None,
            "featured": False,
            "private": False,
            "tags": [*tags, slugify(commune)],
            "badges": [],
            "resources": resources,
            "frequency": frequency,
            "frequency_date": None,
            "extras": {},
            "harvest": self._harvest(index, created, modified) if harvested else None,
            "metrics": {"discussions": index % 3, "followers": rng.randint(0, 40),
                        "reuses": index % 2, "views": rng.randint(10, 5000)},
            "organization": self._organization_ref(base, owner),
            "owner": None,
            "temporal_coverage": None if index % 5 == 4 else {
                "start": f"{year}-01-01T00:00:00+00:00", "end": f"{year}-12-31T00:00:00+00:00"},
            "spatial": None if index % 6 == 5 else {
                "geom": self._geometry(index) if index % 4 == 0 else None,
                "zones": [f"fr:commune:{code}"] + (
                    ["fr:departement:54", "fr:region:44", "country:fr"] if index % 3 == 0
                    else []),
                "granularity": granularity,
            },
            "license": LICENSES[index % len(LICENSES)],
            "access_type": "open",
            "uri": f"{base}/api/1/datasets/{oid}/",
            "page": f"{base}/datasets/{slug}/",
            "quality": {"score": round(rng.random(), 2)},
            "internal": {"created_at_internal": iso(created),
                         "last_modified_internal": iso(modified)},
            "contact_points": [] if index % 2 else [{
                "id": hashlib.sha1(f"contact:{owner}".encode()).hexdigest()[:24],
                "name": "Service données et numérique", "email": f"opendata@{owner}.fr",
                "contact_form": None, "role": "contact"}],
            "schema": {"name": "etalab/schema-stationnement-cyclable", "version": "0.3.2",
                       "url": None} if index % 12 == 0 else None,
        }
        dataset.update(override)
        return dataset

    def _resource(self, index: int, n: int, rng: random.Random, base: str, slug: str,
                  modified: datetime) -> dict[str, Any]:
        fmt, mime, kind = RESOURCE_FORMATS[n]
        rid = f"{hashlib.md5(f'{self.seed}:{index}:{n}'.encode()).hexdigest()}"
        rid = f"{rid[:8]}-{rid[8:12]}-{rid[12:16]}-{rid[16:20]}-{rid[20:32]}"
        digest = hashlib.sha256(rid.encode()).hexdigest() if n == 0 else (
            hashlib.sha1(rid.encode()).hexdigest())
        title = ["Fichier principal", "Documentation", "API de consultation",
                 "Mise à jour mensuelle"][n]
        return {
            "id": rid, "title": f"{title} ({fmt.upper()})",
            "description": "Séparateur point-virgule, encodage UTF-8." if fmt == "csv" else "",
            "filetype": "file" if n != 2 else "remote", "type": kind, "format": fmt,
            "url": f"{base}/fr/datasets/r/{rid}.{fmt}" if n != 2 else (
                f"https://api.example.fr/{slug}"),
            "latest": f"{base}/api/1/datasets/r/{rid}",
            "checksum": {"type": "sha256" if n == 0 else "sha1", "value": digest},
            "filesize": rng.randint(2_000, 900_000) if n != 2 else None,
            "mime": mime,
            "created_at": iso(modified - timedelta(days=30)),
            "last_modified": iso(modified - timedelta(hours=1, minutes=n)),
            "metrics": {"views": rng.randint(0, 300)}, "extras": {}, "preview_url": None,
            "schema": None, "harvest": None,
            "internal": {"created_at_internal": iso(modified - timedelta(days=30)),
                         "last_modified_internal": iso(modified - timedelta(hours=1))},
        }

    def _harvest(self, index: int, created: datetime, modified: datetime) -> dict[str, Any]:
        remote_id = f"grand-nancy-{index}"
        return {
            "backend": "DCAT", "created_at": iso(created), "issued_at": None,
            "modified_at": None, "source_id": hashlib.md5(b"source").hexdigest()[:24],
            "remote_id": remote_id, "domain": "data.grandnancy.eu",
            "last_update": iso(modified), "remote_url": f"https://data.grandnancy.eu/dataset/"
            f"{remote_id}", "uri": f"https://data.grandnancy.eu/dataset/{remote_id}",
            "dct_identifier": remote_id,
        }

    def _geometry(self, index: int) -> dict[str, Any]:
        x, y = 6.15 + (index % 10) / 100, 48.66 + (index % 7) / 100
        return {"type": "MultiPolygon", "coordinates": [[[
            [x, y], [x + 0.02, y], [x + 0.02, y + 0.02], [x, y + 0.02], [x, y]]]]}

    # --- HTTP ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        base = f"http://{request.headers.get('host', '127.0.0.1')}"
        mask = request.headers.get("x-fields")
        if request.method != "GET":
            return _error(405, "The method is not allowed for the requested URL.")
        if request.path == "/api/1/datasets/":
            reply = self._list(request, base)
        elif match := re.fullmatch(r"/api/1/datasets/([^/]+)/", request.path):
            reply = self._show(match[1], base)
        elif match := re.fullmatch(r"/api/1/organizations/([^/]+)/", request.path):
            reply = self._organization(match[1], base)
        else:
            reply = _error(404, "The requested URL was not found on the server.")
        if isinstance(reply, Reply):
            return reply
        return Reply.of_json(apply_mask(reply, parse_mask(mask)) if mask else reply)

    def _list(self, request: Request, base: str) -> dict[str, Any] | Reply:
        query = request.query
        errors = {name: f"{query[name]!r} is not a positive integer"
                  for name in ("page", "page_size")
                  if name in query and not re.fullmatch(r"0*[1-9]\d*", query[name])}
        sort = query.get("sort")
        if sort and sort.lstrip("-") not in SORTS:
            errors["sort"] = f"The value '{sort}' is not a valid choice for 'sort'."
        if errors:
            return Reply.of_json({"errors": errors, "message": "Input payload validation "
                                  "failed"}, 400)
        organization = query.get("organization")
        if organization and not re.fullmatch(r"[0-9a-f]{24}", organization):
            return _error(400, "Organization arg must be an identifier")
        page, page_size = int(query.get("page", 1)), int(query.get("page_size", 20))
        datasets = self._sorted(self._listed(organization), sort or "-created", base)
        start = (page - 1) * page_size
        data = [self.dataset(i, base) for i in datasets[start:start + page_size]]
        total = len(datasets)
        return {"data": data, "next_page": self._page_url(request, base, page + 1)
                if start + page_size < total else None, "page": page, "page_size": page_size,
                "previous_page": self._page_url(request, base, page - 1) if page > 1 else None,
                "total": total}

    def _listed(self, organization: str | None) -> list[int]:
        """The datasets a listing shows, in creation (index) order; kept until a change moves
        the clock."""
        cached = self._listings.get(organization)
        if cached and cached[0] == self._clock:
            return cached[1]
        indexes = [i for i in range(self.size) if self.lists_hidden or not self._is_hidden(i)]
        if organization:
            slugs = {self.org_id(slug): slug for slug in (self.organization,
                                                          self.other_organization)}
            indexes = [i for i in indexes if self.owner(i) == slugs.get(organization)]
        self._listings[organization] = (self._clock, indexes)
        return indexes

    def _sorted(self, indexes: list[int], sort: str, base: str) -> list[int]:
        key = sort.lstrip("-")
        if key == "title":
            ordered = sorted(indexes, key=lambda i: self.dataset(i, base)["title"])
        elif key == "last_update":
            ordered = sorted(indexes, key=lambda i: self.dataset(i, base)["last_update"] or "")
        else:  # created (the index order), and the metrics sorts, all ties here
            ordered = indexes
        return ordered[::-1] if sort.startswith("-") else ordered

    def _page_url(self, request: Request, base: str, page: int) -> str:
        args = dict(request.query, page=2 if self.next_page_loop else page)
        return f"{base}{request.path}?{urlencode(args)}"

    def _show(self, ref: str, base: str) -> dict[str, Any] | Reply:
        index = self.index_of(ref)
        if index is None:
            return _error(404, "Dataset not found")
        override = self._overrides.get(index, {})
        if override.get("deleted"):
            return _error(410, "Dataset has been deleted")
        if override.get("private"):
            return _error(404, "Dataset not found")
        return self.dataset(index, base)

    def _organization(self, ref: str, base: str) -> dict[str, Any] | Reply:
        for slug in (self.organization, self.other_organization):
            if ref in (slug, self.org_id(slug)):
                return {**self._organization_ref(base, slug), "description": "",
                        "url": None, "created_at": iso(BASE_TIME), "members": []}
        return _error(404, "Organization not found")


def _error(status: int, message: str) -> Reply:
    return Reply.of_json({"message": message, "status": status}, status)
