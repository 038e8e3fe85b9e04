"""French personal-data detectors, one verdict per column: which columns hold identifiers
(NIR, IBAN, licence plates), direct identifiers (names, e-mails, phones, addresses, IPs),
quasi-identifiers (birth date, age, sex, postal code, commune, IRIS, profession,
nationality, GPS), possibly personal data (officials' work e-mails, SIRETs of sole traders)
and GDPR Art. 9 / Art. 10 sensitive attributes.

Each detector combines a header hint with the share of values that validate (a checksum, a
phone-number plan, a lexicon), each with its minimum share (``MIN_SHARE``), so that a column
where a few values pass by chance (random 15-digit references against the NIR key) is not
flagged. How it stays fast on millions of rows:

1. every column is sampled at regular intervals (at most ``SAMPLE_SIZE`` non-null values,
   with their row numbers), then reduced to its distinct values and their counts;
2. candidate detectors are chosen from the profile (types, widths) and from value lengths;
   shapes are Polars regexes over the distinct sampled values, and only the values that
   have the shape go through python-stdnum, phonenumbers or ``ipaddress``;
3. the one computation over all rows is the number of distinct GPS points of a
   latitude/longitude pair, when neither column alone says the points are unique.

Reports never hold a value of the data: a detection gives shares, row numbers and a French
sentence for the CDO. The lexicons live in ``quality/data`` (see ``SOURCES.md`` there).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import statistics
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import polars as pl
from stdnum import iban as std_iban
from stdnum.fr import nir as std_nir
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

from quality.profile import (
    LATITUDE_WORDS,
    LONGITUDE_WORDS,
    ColumnProfile,
    Profile,
    header_words,
)
from quality.profile import profile as profile_frame

DATA = Path(__file__).resolve().parent / "data"
# Non-null values examined per column, taken at regular intervals through the column.
SAMPLE_SIZE = 20_000
# Free text is scanned on fewer values: a dozen patterns run on long strings.
FREE_TEXT_SAMPLE = 5_000
# Distinct candidates checked in Python (python-stdnum, phonenumbers) per column and kind.
VALIDATION_SAMPLE = 1_000
# Sample row numbers given per detection.
MAX_ROWS = 5

KINDS = (
    "nir", "iban", "plate", "person_name", "email", "phone", "address", "ip", "siren",
    "siret", "birth_date", "age", "sex", "postal_code", "commune", "iris", "profession",
    "nationality", "gps", "special", "conviction",
)  # fmt: skip
# Most severe first: detections of a column are ordered this way.
CATEGORIES = ("identifier", "direct", "sensitive", "possible", "quasi")

# Minimum share of the examined values that must validate for a column to be flagged;
# a header hint lowers it for the kinds in ``MIN_SHARE_WITH_HINT``.
MIN_SHARE = {
    "nir": 0.5, "iban": 0.5, "plate": 0.5, "email": 0.7, "phone": 0.7, "person_name": 0.5,
    "address": 0.5, "ip": 0.8, "siren": 0.8, "siret": 0.8, "birth_date": 0.8, "age": 0.9,
    "sex": 0.9, "postal_code": 0.9, "commune": 0.9, "iris": 0.9, "profession": 0.5,
    "nationality": 0.5, "gps": 0.9, "special": 0.3, "conviction": 0.3,
}  # fmt: skip
MIN_SHARE_WITH_HINT = {"nir": 0.2, "iban": 0.2, "plate": 0.3, "email": 0.5, "phone": 0.5,
                       "address": 0.3, "ip": 0.6}
# Free text: a kind is reported when at least this many sampled values, and this share of
# them, hold a validated occurrence.
FREE_TEXT_MIN_HITS = 2
FREE_TEXT_MIN_SHARE = 0.005
# A column is free text when its values are this long (median, in characters) and mostly
# distinct.
FREE_TEXT_LENGTH = 30
FREE_TEXT_DISTINCT = 0.5
# E-mails: most addresses on webmail domains mean private persons; addresses of the form
# prénom.nom on an organisation's domain mean staff or officials in their role.
PRIVATE_EMAIL_SHARE = 0.5
NOMINATIVE_EMAIL_SHARE = 0.3
# Phones: mostly mobiles mean private persons; landlines repeated on most rows are a
# switchboard (one town hall), not persons.
MOBILE_SHARE = 0.5
SERVICE_SHARE = 0.5
SWITCHBOARD_DISTINCT = 0.2
# GPS: 4 decimals of a degree are about 11 m; points unique to most rows locate people.
GPS_DECIMALS = 4
GPS_UNIQUE_SHARE = 0.5
# A coordinate alone this unique (from the profile) makes the pair's count unnecessary.
GPS_UNIQUE_BOUND = 0.95
# Up to this many rows, distinct points are counted exactly; above, estimated (HyperLogLog).
EXACT_DISTINCT_ROWS = 100_000
# A sole trader's SIREN/SIRET is personal data: this share of legal forms saying so is
# enough to mark the column as possibly personal.
SOLE_TRADER_SHARE = 0.05

# Header words (accents removed, lower case, as ``header_words`` splits them).
HINTS = {
    "nir": {"nir", "nss", "secu", "securite", "ssn", "nir_cle"},
    "iban": {"iban", "rib", "bic", "bancaire", "banque"},
    "plate": {"immatriculation", "immat", "plaque", "vehicule", "plate"},
    "email": {"email", "emails", "mail", "mails", "courriel", "courriels", "mel"},
    "phone": {"tel", "telephone", "phone", "portable", "mobile", "gsm", "fixe", "fax"},
    "address": {"adresse", "adr", "domicile", "address", "residence", "voie"},
    "ip": {"ip", "ipv4", "ipv6", "remote", "client"},
    "person_name": {
        "nom", "noms", "prenom", "prenoms", "titulaire", "beneficiaire", "beneficiaires",
        "demandeur", "demandeuse", "agent", "elu", "elue", "signataire", "contact",
        "responsable", "representant", "president", "presidente", "usager", "patient",
        "eleve", "enfant", "parent", "declarant", "proprietaire", "locataire", "destinataire",
        "auteur", "redacteur", "rapporteur", "referent", "interlocuteur", "patronyme",
        "personne", "identite", "firstname", "lastname", "surname", "name", "habitant",
        "adherent", "candidat", "requerant", "petitionnaire", "defunt", "epoux", "epouse",
    },
    "birth_date": {"naissance", "naiss", "nais", "ddn", "dnais", "datenaiss", "birth",
                   "birthdate", "dob", "ne", "nee"},
    "age": {"age", "ages"},
    "sex": {"sexe", "sex", "genre", "gender", "civilite", "civ"},
    "postal_code": {"cp", "postal", "codepostal", "zip", "zipcode", "cpostal"},
    "commune_code": {"insee", "depcom", "codgeo", "cog", "codecommune", "codcom", "com"},
    "commune_name": {"commune", "ville", "localite", "libcom", "nomcommune"},
    "iris": {"iris", "codeiris"},
}
# Header words naming a thing, a place or an organisation: the name, address or phone of
# such a column belongs to it, not to a person.
THING_WORDS = {
    "commune", "ville", "voie", "rue", "equipement", "etablissement", "structure",
    "organisme", "association", "asso", "entreprise", "societe", "raison", "site", "lieu",
    "projet", "operation", "fichier", "produit", "service", "direction", "ecole", "college",
    "lycee", "station", "arret", "ligne", "parc", "salle", "batiment", "programme", "marche",
    "document", "espece", "variete", "arbre", "quartier", "zone", "secteur", "epci",
    "departement", "region", "pays", "collectivite", "club", "equipe", "federation",
    "evenement", "manifestation", "festival", "application", "logiciel", "serveur", "mairie",
    "siege", "organisation", "gare", "musee",
    "bibliotheque", "mediatheque", "piscine", "gymnase", "stade", "commerce", "magasin",
    "enseigne", "marque", "categorie", "type", "nature", "theme", "rubrique", "dispositif",
    "standard", "accueil", "cimetiere", "parking", "borne", "amenageur", "operateur", "equip",
    "equipment", "facility", "pdc",
}  # fmt: skip
# Words of a value that make it an organisation or a place rather than a person's name.
ORGANISATION_WORDS = {
    "association", "asso", "club", "comite", "amicale", "union", "foyer", "cie", "compagnie",
    "federation", "syndicat", "societe", "ste", "entreprise", "groupe", "sarl", "sas", "sasu",
    "scop", "scic", "gaec", "earl", "sci", "eurl", "sa", "cooperative", "fondation",
    "institut", "office", "service", "direction", "departement", "region", "communaute",
    "agglomeration", "metropole", "ccas", "caisse", "banque", "eglise", "paroisse",
    "hopital", "clinique", "ehpad", "residence", "rue", "avenue", "place", "chemin", "parc",
    "jardin", "mairie", "commune", "ville", "ecole", "college", "lycee", "universite",
    "gymnase", "stade", "salle", "centre", "maison", "piscine", "mediatheque", "musee",
    "theatre", "cinema", "gare", "cabinet", "pharmacie", "boulangerie", "garage", "hotel",
    "restaurant", "cafe", "bar", "camping", "conseil", "tribunal", "prefecture", "ecurie",
    "les", "des", "et", "pour", "sur", "saint", "sainte",
}  # fmt: skip
CIVILITY = r"^(?:m|mr|mme|mlle|melle|monsieur|madame|mademoiselle|dr|docteur|me|maitre)\.?\s+"
SEX_VALUES = {
    "m", "f", "h", "1", "2", "homme", "femme", "hommes", "femmes", "masculin", "feminin",
    "mr", "mme", "mlle", "melle", "monsieur", "madame", "mademoiselle", "garcon", "fille",
    "male", "female", "men", "women", "man", "woman", "autre", "non binaire", "inconnu",
}  # fmt: skip
# Legal forms (text, or INSEE's catégorie juridique 1000) saying the unit is one person.
SOLE_TRADER_FORMS = (
    r"\b(?:entrepreneur individuel|entreprise individuelle|auto entrepreneur|"
    r"autoentrepreneur|micro entrepreneur|micro entreprise|microentreprise|eirl|"
    r"profession liberale|personne physique|commercant|artisan)\b|^(?:ei|1000)$"
)
SOLE_TRADER_WORDS = {"ei", "eirl", "entrepreneur", "autoentrepreneur", "individuel",
                     "individuelle", "micro", "microentreprise", "microentrepreneur"}
LEGAL_FORM_WORDS = {"forme", "juridique", "statut", "categorie", "catjur", "nature"}
# Header words of the column naming the unit a SIREN designates (a person's name there
# means a sole trader), as opposed to the people who represent it.
UNIT_NAME_WORDS = {"beneficiaire", "titulaire", "denomination", "raison", "enseigne",
                   "entreprise", "fournisseur", "prestataire", "exploitant", "nom", "attributaire"}
REPRESENTATIVE_WORDS = {"president", "presidente", "contact", "representant", "responsable",
                        "dirigeant", "gerant", "referent", "signataire", "interlocuteur"}

# Value shapes, matched on the compact form (upper case, no spaces, dots, dashes,
# slashes or brackets) unless said otherwise.
NIR_SHAPE = r"^[1278]\d{4}(?:\d{2}|2[AB])\d{8}$"
IBAN_SHAPE = r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$"
SIV_SHAPE = r"^[A-HJ-NP-TV-Z]{2}\d{3}[A-HJ-NP-TV-Z]{2}$"
FNI_SHAPE = r"^\d{1,4}[A-Z]{2,3}(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$"
PHONE_SHAPE = r"^(?:(?:\+|00)(?:33|262|269|590|594|596|508|681|687|689)|0)[1-9]\d{7,8}$"
SERVICE_SHAPE = r"^3\d{3}$"
SIREN_SHAPE = r"^\d{9}$"
SIRET_SHAPE = r"^\d{14}$"
POSTAL_SHAPE = r"^(?:0[1-9]|[1-8]\d|9[0-5]|97|98)\d{3}$"
COMMUNE_SHAPE = r"^(?:\d{5}|2[AB]\d{3})$"
IRIS_SHAPE = r"^(?:\d{5}|2[AB]\d{3})\d{4}$"
# Shapes matched on the raw (stripped) value.
EMAIL_SHAPE = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
IPV4_SHAPE = r"^\d{1,3}(?:\.\d{1,3}){3}$"
IPV6_SHAPE = r"^[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?$"
STREET_TYPES = (
    r"rue|avenue|av|bd|blvd|boulevard|chemin|che|ch|impasse|imp|all[ée]e|all|place|pl|route|"
    r"rte|quai|cours|square|sq|lotissement|lot|r[ée]sidence|r[ée]s|hameau|ham|lieu[ -]?dit|"
    r"ld|passage|pass|voie|sentier|faubourg|fg|rond[ -]point|parvis|esplanade|mail|cit[ée]|"
    r"villa|ruelle|promenade|chauss[ée]e|mont[ée]e|traverse|clos|domaine|za|zi|zac|zone"
)
ADDRESS_SHAPE = (
    rf"(?i)(?:^|[\s,])\d{{1,4}}(?:\s?(?:bis|ter|quater|[a-h]))?\s*,?\s+(?:{STREET_TYPES})\.?\s"
)
DATE_SHAPE = (
    r"^(?:(?P<iso>\d{4})-\d{2}-\d{2}(?:[T ].*)?|\d{2}/\d{2}/(?P<fr>\d{4})|"
    r"(?P<month>\d{4})-\d{2}|\d{2}/(?P<frmonth>\d{4})|(?P<year>\d{4}))$"
)
AGE_BAND = r"(?i)^(?:\d{1,3}\s*(?:-|à|a)\s*\d{1,3}(?:\s*ans)?|\d{1,3}\s*ans(?:\s*et\s*\+|\s*et\s*plus)?|(?:moins|plus)\s+de\s+\d{1,3}\s*ans|\d{1,3}\s*\+)$"  # noqa: E501
NUMERIC_TEXT = r"^[\d\s+\-.,:/]+$"
# Free-text patterns: what to extract from long text.
TEXT_NIR = r"\b[1278]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?\d{2}\b"
TEXT_IBAN = r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b"
TEXT_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
TEXT_PHONE = r"(?:(?:\+|00)33\s?(?:\(0\)\s?)?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b"
TEXT_PLATE = r"\b[A-HJ-NP-TV-Z]{2}[\s-]?\d{3}[\s-]?[A-HJ-NP-TV-Z]{2}\b"
TEXT_IP = r"\b\d{1,3}(?:\.\d{1,3}){3}\b"
TEXT_CIVILITY_NAME = (
    r"\b(?:M\.|Mr\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|Dr\.?|Docteur|Maître)"
    r"\s+[A-ZÀ-Ý][\p{L}'’-]+"
)
TEXT_FIRST_LAST = (
    r"\b([A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?)\s+[A-ZÀ-Ý]{2,}(?:[- ][A-ZÀ-Ý]{2,})?\b"
)

# France's bounding boxes (lat min, lat max, lon min, lon max): metropolitan France with
# Corsica, then the overseas départements and collectivities.
FRANCE_BOXES = (
    (41.3, 51.2, -5.3, 9.7),
    (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    (14.3, 14.95, -61.3, -60.7),  # Martinique
    (2.0, 5.9, -54.7, -51.5),  # Guyane
    (-21.45, -20.8, 55.2, 55.9),  # La Réunion
    (-13.1, -12.6, 44.9, 45.35),  # Mayotte
    (46.7, 47.2, -56.5, -56.0),  # Saint-Pierre-et-Miquelon
    (17.8, 18.2, -63.2, -62.7),  # Saint-Martin, Saint-Barthélemy
    (-22.8, -19.5, 163.5, 168.2),  # Nouvelle-Calédonie
    (-28.0, -7.8, -155.0, -134.0),  # Polynésie française
    (-14.4, -13.1, -178.3, -176.1),  # Wallis-et-Futuna
)
GEOPOINT_WORDS = {"geopoint", "geo", "point", "coordonnees", "coord", "coords", "gps",
                  "position", "localisation", "geolocalisation", "coordonneesxy", "xy"}


@dataclass
class Detection:
    column: str
    kind: str  # one of KINDS
    category: str  # one of CATEGORIES
    confidence: float  # 0–1
    # Share of the non-null values examined that validate for this kind.
    share: float
    # Up to MAX_ROWS row numbers where it validated (header = row 1), never the values.
    rows: list[int]
    reason: str  # one French sentence, quoting no value
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- lexicons ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, accents removed, every run of other characters one space."""
    plain = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    plain = plain.encode("ascii", "ignore").decode().lower()
    return " ".join(re.split(r"[^a-z0-9]+", plain)).strip()


def _fold_series(values: pl.Series) -> pl.Series:
    """``fold`` for a Series of text."""
    return (
        values.str.replace_all("œ", "oe", literal=True).str.replace_all("Œ", "OE", literal=True)
        .str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars()
    )


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@cache
def first_names() -> pl.Series:
    """The first-name lexicon, in upper case without accents (JEAN-PIERRE, LEA)."""
    names = _fold_series(pl.Series("name", _lines("first_names.txt")))
    return names.str.replace_all(" ", "-", literal=True).str.to_uppercase().unique().sort()


@cache
def webmail_domains() -> tuple[set[str], tuple[str, ...]]:
    """Exact webmail domains, and the prefixes of those listed for every top-level domain."""
    lines = [line.lower() for line in _lines("webmail_domains.txt")]
    return {d for d in lines if not d.endswith(".")}, tuple(d for d in lines if d.endswith("."))


@cache
def special_lexicon() -> dict[str, dict[str, Any]]:
    """Art. 9 topics and Art. 10 (``conviction``) with their header and value terms."""
    return _load_terms("special_categories.toml")


@cache
def quasi_lexicon() -> dict[str, dict[str, Any]]:
    """Profession and nationality header and value terms."""
    return _load_terms("quasi_identifiers.toml")


def _load_terms(name: str) -> dict[str, dict[str, Any]]:
    """A TOML lexicon, every list of terms folded (see ``fold``) into a tuple."""
    with (DATA / name).open("rb") as file:
        lexicon = tomllib.load(file)
    return {
        section: {key: tuple(fold(t) for t in v) if isinstance(v, list) else v
                  for key, v in entries.items()}
        for section, entries in lexicon.items()
    }


@cache
def _terms_pattern(terms: tuple[str, ...]) -> str:
    """A regex matching any of the folded ``terms`` as whole words."""
    alternatives = sorted({re.escape(term) for term in terms}, key=len, reverse=True)
    return r"\b(?:" + "|".join(alternatives) + r")\b"


def _has_term(text: str, terms: tuple[str, ...]) -> bool:
    """Whether folded ``text`` holds one of the folded ``terms`` as whole words."""
    padded = f" {text} "
    return any(f" {term} " in padded for term in terms)


# --- the sampled column -----------------------------------------------------------------


@dataclass
class _Column:
    """A column's sample: its distinct values, how often each was drawn and the first rows
    where each was, with lazily computed normal forms."""

    index: int
    name: str
    profile: ColumnProfile | None
    dtype: pl.DataType
    values: pl.Series  # distinct stripped values, as text
    counts: pl.Series  # how many sampled values had each
    rows: pl.Series  # the first MAX_ROWS frame indices of each (lists)
    examined: int  # non-empty sampled values

    @cached_property
    def words(self) -> set[str]:
        return header_words(self.name)

    @cached_property
    def header(self) -> str:
        return fold(re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", self.name))

    @property
    def type(self) -> str:
        return self.profile.type if self.profile else "string"

    @cached_property
    def compact(self) -> pl.Series:
        return self.values.str.to_uppercase().str.replace_all(r"\(0\)|[\s.\-_/()]", "")

    @cached_property
    def folded(self) -> pl.Series:
        return _fold_series(self.values)

    @cached_property
    def lengths(self) -> pl.Series:
        return self.values.str.len_chars()

    @cached_property
    def numeric_share(self) -> float:
        if self.type in ("integer", "number", "code", "date", "datetime"):
            return 1.0
        return self.share(self.values.str.contains(NUMERIC_TEXT))

    def share(self, mask: pl.Series) -> float:
        """Share of the examined values where ``mask`` (over distinct values) holds."""
        if not self.examined:
            return 0.0
        return float(self.counts.filter(mask.fill_null(False)).sum()) / self.examined

    def length_share(self, low: int, high: int) -> float:
        return self.share(self.lengths.is_between(low, high))

    def sample_rows(self, mask: pl.Series) -> list[int]:
        """Row numbers (header = 1) of the first sampled values where ``mask`` holds."""
        rows = self.rows.filter(mask.fill_null(False)).explode().sort().head(MAX_ROWS)
        return [int(row) + 2 for row in rows]

    def hinted(self, kind: str) -> bool:
        return bool(self.words & HINTS[kind])

    @property
    def thing(self) -> bool:
        """The header names a thing, a place or an organisation."""
        return bool(self.words & THING_WORDS)


def _sample_columns(frame: pl.DataFrame, profile: Profile | None) -> list[_Column]:
    """Every column's sample, reduced to distinct values (see ``_Column``)."""
    nulls = frame.null_count().row(0)
    profiles = {column.name: column for column in profile.columns} if profile else {}
    columns = []
    for index, (name, dtype) in enumerate(frame.schema.items()):
        if dtype.is_nested() or dtype in (pl.Binary, pl.Object, pl.Null):
            continue
        series = frame.get_column(name)
        present = frame.height - nulls[index]
        if not present:
            continue
        step = present // SAMPLE_SIZE + 1
        if nulls[index]:
            rows = series.is_not_null().arg_true().gather_every(step)
        else:
            rows = pl.int_range(0, frame.height, step, eager=True, dtype=pl.UInt32)
        values = series.gather(rows)
        if dtype != pl.String:
            values = values.cast(pl.String)
        sample = pl.DataFrame({"row": rows, "value": values.str.strip_chars()})
        sample = sample.filter(pl.col("value").str.len_bytes() > 0)
        distinct = sample.group_by("value", maintain_order=True).agg(
            pl.len().alias("count"), pl.col("row").head(MAX_ROWS)
        )
        columns.append(_Column(
            index=index, name=name, profile=profiles.get(name), dtype=dtype,
            values=distinct["value"], counts=distinct["count"], rows=distinct["row"],
            examined=sample.height,
        ))  # fmt: skip
    return columns


# --- the entry point --------------------------------------------------------------------


def detect(frame: pl.DataFrame, profile: Profile | None = None) -> list[Detection]:
    """Detect the personal data in each column of ``frame`` (as read by
    ``quality.read.read_table``); ``profile`` (``quality.profile.profile(frame)``) saves
    recomputing types, distinct counts and coordinates flags. Detections come ordered by
    column position, then by category (most severe first)."""
    if frame.height == 0 or frame.width == 0:
        return []
    if profile is None:
        profile = profile_frame(frame)
    columns = _sample_columns(frame, profile)
    found: list[Detection] = []
    for column in columns:
        found += _detect_column(column)
    found += _surnames(columns, found)
    found = _in_context(columns, found)
    found += _sole_traders(columns, found)
    found += _gps(frame, profile, columns)
    position = {name: index for index, name in enumerate(frame.columns)}
    found.sort(key=lambda d: (position[d.column], CATEGORIES.index(d.category),
                              KINDS.index(d.kind)))
    return found


def _detect_column(column: _Column) -> list[Detection]:
    """The detections of one column on its own (without the table's context)."""
    if not column.examined:
        return []
    found: list[Detection] = []
    for detector, types in VALUE_DETECTORS:
        if column.type not in types:
            continue
        detection = detector(column)
        if detection:
            found.append(detection)
            break  # these shapes exclude each other
    if not found and _free_text(column):
        return _free_text_detections(column)
    if not found:
        for detector in (_person_name, _birth_date, _age, _sex, _postal_code, _commune,
                         _iris, _nationality, _profession):
            detection = detector(column)
            if detection:
                found.append(detection)
                break
    found += _special(column)
    return found


# --- identifiers ------------------------------------------------------------------------


def _confidence(share: float, hint: bool, checksum: bool = False, doubt: float = 0.0) -> float:
    """A share of validated values, raised by a header hint and by a checksum, lowered by
    ``doubt`` where the kind rests on context rather than on the values."""
    score = 0.5 + 0.35 * share + (0.1 if hint else 0.0) + (0.05 if checksum else 0.0) - doubt
    return round(max(0.0, min(1.0, score)), 2)


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"


def _min_share(kind: str, hint: bool) -> float:
    return MIN_SHARE_WITH_HINT.get(kind, MIN_SHARE[kind]) if hint else MIN_SHARE[kind]


def _validated(candidates: pl.Series, check: Callable[[str], bool]) -> pl.Series:
    """``check`` (a Python predicate) on each distinct candidate, as a mask over them."""
    return pl.Series([bool(check(value)) for value in candidates], dtype=pl.Boolean)


def _checked(
    column: _Column, series: pl.Series, shape: str, check: Callable[[str], bool]
) -> tuple[pl.Series, float]:
    """A mask over the column's distinct values where ``shape`` holds and ``check`` passes,
    and the share of the examined values estimated to validate. ``check`` (Python) runs on
    at most ``VALIDATION_SAMPLE`` distinct candidates taken at regular intervals; the share
    is then the shaped share times the validated rate among those tried."""
    shaped = series.str.contains(shape).fill_null(False)
    tried, valid = _try(column, shaped, lambda values: _validated(series.gather(values), check))
    if not len(tried):
        return _mask_at(len(series), tried), 0.0
    mask = _mask_at(len(series), tried.filter(valid))
    counts = column.counts.gather(tried)
    rate = float(counts.filter(valid).sum()) / float(counts.sum())
    return mask, column.share(shaped) * rate


def _mask_at(length: int, positions: pl.Series) -> pl.Series:
    """A mask of ``length`` that holds at ``positions``."""
    return pl.Series([False] * length, dtype=pl.Boolean).scatter(positions, True)


def _try(
    column: _Column, shaped: pl.Series, run: Callable[[pl.Series], pl.Series]
) -> tuple[pl.Series, pl.Series]:
    """The positions of at most ``VALIDATION_SAMPLE`` shaped distinct values, at regular
    intervals, and what ``run`` returns for them."""
    positions = shaped.arg_true()
    tried = positions.gather_every(len(positions) // VALIDATION_SAMPLE + 1)
    return tried, run(tried) if len(tried) else pl.Series([], dtype=pl.Boolean)


def _nir(column: _Column) -> Detection | None:
    hint = column.hinted("nir")
    if column.length_share(13, 25) < _min_share("nir", hint):
        return None
    mask, share = _checked(column, column.compact, NIR_SHAPE, std_nir.is_valid)
    if share < _min_share("nir", hint):
        return None
    return Detection(
        column.name, "nir", "identifier", _confidence(share, hint, True), share,
        column.sample_rows(mask),
        f"Numéros de sécurité sociale (NIR) : la clé de contrôle est valide pour "
        f"{_percent(share)} des valeurs examinées ; c'est un identifiant national à ne "
        f"jamais publier.",
    )


def _iban(column: _Column) -> Detection | None:
    hint = column.hinted("iban")
    if column.length_share(15, 42) < _min_share("iban", hint):
        return None
    mask, share = _checked(column, column.compact, IBAN_SHAPE, std_iban.is_valid)
    if share < _min_share("iban", hint):
        return None
    return Detection(
        column.name, "iban", "identifier", _confidence(share, hint, True), share,
        column.sample_rows(mask),
        f"Coordonnées bancaires (IBAN) : la clé de contrôle est valide pour "
        f"{_percent(share)} des valeurs examinées.",
    )


def _is_plate(compact: str) -> bool:
    """SIV plates with the series 000 do not exist."""
    return not (len(compact) == 7 and compact[2:5] == "000")


def _plate(column: _Column) -> Detection | None:
    hint = column.hinted("plate")
    if column.length_share(5, 12) < _min_share("plate", hint):
        return None
    siv = column.compact.str.contains(SIV_SHAPE) & ~column.compact.str.contains(r"^..000")
    fni = column.compact.str.contains(FNI_SHAPE)
    mask = siv | fni
    share = column.share(mask)
    if share < _min_share("plate", hint):
        return None
    return Detection(
        column.name, "plate", "identifier", _confidence(share, hint), share,
        column.sample_rows(mask),
        f"Plaques d'immatriculation (formats SIV ou FNI) pour {_percent(share)} des valeurs "
        f"examinées : elles mènent au titulaire du certificat d'immatriculation.",
        {"siv_share": round(column.share(siv), 4)},
    )


# E-mail local parts naming a function, not a person.
FUNCTION_MAILBOXES = {
    "contact", "info", "infos", "information", "accueil", "mairie", "secretariat", "direction",
    "communication", "service", "admin", "administration", "webmaster", "noreply", "no-reply",
    "courrier", "dgs", "rh", "urbanisme", "etatcivil", "etat-civil", "cantine", "compta",
    "comptabilite", "finances", "technique", "support", "presse", "culture", "sport", "ccas",
    "jeunesse", "scolaire", "periscolaire", "police", "cabinet", "commande", "facturation",
    "reservation", "bibliotheque", "mediatheque", "office", "tourisme", "hello", "bonjour",
}  # fmt: skip


def _email_parts(addresses: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(private, nominative) masks over lower-case addresses: a webmail domain, and a local
    part of the form prénom.nom, p.nom or prénom-nom."""
    exact, prefixes = webmail_domains()
    domains = addresses.str.extract(r"@(.+)$")
    private = domains.is_in(list(exact))
    for prefix in prefixes:
        private = private | domains.str.starts_with(prefix)
    local = addresses.str.extract(r"^([^@]+)@")
    first = _fold_series(local.str.extract(r"^([a-zà-ÿ]+)[._-][a-zà-ÿ]{2,}\d*$"))
    first = first.str.to_uppercase()
    named = first.is_in(first_names().implode()) | (first.str.len_chars() == 1)
    nominative = named.fill_null(False) & ~local.is_in(list(FUNCTION_MAILBOXES))
    return private.fill_null(False), nominative


def _email(column: _Column) -> Detection | None:
    hint = column.hinted("email")
    minimum = _min_share("email", hint)
    if column.share(column.values.str.contains("@", literal=True)) < minimum:
        return None
    mask = column.values.str.contains(EMAIL_SHAPE)
    share = column.share(mask)
    if share < minimum:
        return None
    addresses = column.values.str.to_lowercase()
    private, nominative = _email_parts(addresses)
    private_share = column.share(mask & private) / share
    nominative_share = column.share(mask & nominative & ~private) / share
    detail = {"private_share": round(private_share, 4),
              "nominative_share": round(nominative_share, 4)}
    if private_share >= PRIVATE_EMAIL_SHARE:
        return Detection(
            column.name, "email", "direct", _confidence(share, hint), share,
            column.sample_rows(mask & private),
            f"Adresses électroniques de particuliers : {_percent(private_share)} sont sur "
            f"des messageries grand public ; chacune désigne une personne.",
            detail,
        )
    if nominative_share + private_share < NOMINATIVE_EMAIL_SHARE:
        return None  # functional mailboxes (contact@, accueil@…)
    reason = (
        f"Adresses électroniques professionnelles nominatives ({_percent(nominative_share)} "
        f"de la forme prénom.nom sur le domaine d'un organisme) : elles identifient des élus "
        f"ou des agents dans l'exercice de leurs fonctions"
    )
    if private_share:
        reason += (f", et {_percent(private_share)} sont sur des messageries grand public "
                   f"(des particuliers)")
    return Detection(
        column.name, "email", "possible", _confidence(share, hint), share,
        column.sample_rows(mask & (nominative | private)), reason + ".", detail,
    )


def _phone_type(number: str) -> str | None:
    """"mobile", "service", "landline", or None for a number that is not a valid French
    (metropolitan or overseas) number."""
    import phonenumbers  # 0.1 s to import: only when a column looks like phone numbers

    if re.fullmatch(SERVICE_SHAPE, number):
        return "service"
    regions = ("FR",) if not number.startswith("0") else ("FR", "RE", "GP", "MQ", "GF", "YT")
    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(parsed):
            return _number_type(phonenumbers.number_type(parsed))
    return None


def _number_type(kind: int) -> str:
    import phonenumbers

    types = phonenumbers.PhoneNumberType
    if kind == types.MOBILE:
        return "mobile"
    if kind in (types.TOLL_FREE, types.PREMIUM_RATE, types.SHARED_COST, types.UAN,
                types.VOICEMAIL):
        return "service"
    return "landline"


def _phone_types(numbers: pl.Series) -> pl.Series:
    return pl.Series([_phone_type(number) for number in numbers], dtype=pl.String)


def _phone(column: _Column) -> Detection | None:
    hint = column.hinted("phone")
    minimum = _min_share("phone", hint)
    if column.length_share(4 if hint else 9, 24) < minimum:
        return None
    compact = column.compact
    shaped = compact.str.contains(f"{PHONE_SHAPE}|{SERVICE_SHAPE}" if hint else PHONE_SHAPE)
    if column.share(shaped) < minimum:
        return None
    tried, types = _try(column, shaped, lambda values: _phone_types(compact.gather(values)))
    counts = column.counts.gather(tried)
    valid = float(counts.filter(types.is_not_null()).sum())
    share = column.share(shaped) * valid / float(counts.sum())
    if share < minimum:
        return None
    mobile = float(counts.filter(types == "mobile").sum()) / valid
    service = float(counts.filter(types == "service").sum()) / valid
    distinct = int(types.is_not_null().sum()) / valid
    detail = {"mobile_share": round(mobile, 4), "service_share": round(service, 4),
              "distinct_share": round(distinct, 4)}
    rows = {
        kind: column.sample_rows(_mask_at(len(compact), tried.filter(types == kind)))
        for kind in ("mobile", "landline")
    }
    if mobile >= MOBILE_SHARE:
        return Detection(
            column.name, "phone", "direct", _confidence(share, hint), share, rows["mobile"],
            f"Numéros de téléphone, dont {_percent(mobile)} de portables (06, 07) : ils "
            f"permettent de joindre directement des personnes.",
            detail,
        )
    landline = 1.0 - mobile - service
    if service >= SERVICE_SHARE or landline < 0.5:
        return None
    if distinct < SWITCHBOARD_DISTINCT or column.thing:
        return None  # a switchboard repeated, or the numbers of places and organisations
    return Detection(
        column.name, "phone", "possible", _confidence(share, hint), share, rows["landline"],
        "Numéros de téléphone fixes, différents d'une ligne à l'autre : ils peuvent être "
        "ceux de personnes (domicile ou poste direct).",
        detail,
    )


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _ip(column: _Column) -> Detection | None:
    hint = column.hinted("ip")
    minimum = _min_share("ip", hint)
    if column.length_share(2, 45) < minimum:
        return None
    if column.share(column.values.str.contains(f"{IPV4_SHAPE}|{IPV6_SHAPE}")) < minimum:
        return None
    mask, share = _checked(column, column.values, f"{IPV4_SHAPE}|{IPV6_SHAPE}", _is_ip)
    if share < minimum:
        return None
    if not hint:  # version numbers such as 1.2.0.4 look like IPv4 addresses
        octets = column.values.filter(mask).str.extract_all(r"\d+").list.eval(
            pl.element().cast(pl.Int32).max()
        ).list.first()
        if len(octets) and float((octets < 10).mean() or 0) > 0.5:
            return None
    return Detection(
        column.name, "ip", "direct", _confidence(share, hint), share, column.sample_rows(mask),
        f"Adresses IP pour {_percent(share)} des valeurs examinées : elles identifient "
        f"l'abonnement ou l'appareil d'une personne.",
    )


def _address(column: _Column) -> Detection | None:
    hint = column.hinted("address")
    minimum = _min_share("address", hint)
    if column.numeric_share > 0.5 or column.length_share(6, 400) < minimum:
        return None
    mask = (" " + column.values + " ").str.contains(ADDRESS_SHAPE)
    share = column.share(mask)
    if share < minimum:
        return None
    if column.thing:
        return None  # the addresses of equipment, sites or organisations
    return Detection(
        column.name, "address", "direct", _confidence(share, hint), share,
        column.sample_rows(mask),
        f"Adresses postales au numéro près pour {_percent(share)} des valeurs examinées : "
        f"une adresse de domicile désigne un foyer.",
    )


# The value detectors, tried in this order, each on the column types (from the profile)
# its values can have: a text column is "string" or "code" (digits kept as text).
VALUE_DETECTORS = (
    (_nir, {"string", "code", "integer"}),
    (_iban, {"string"}),
    (_plate, {"string"}),
    (_email, {"string"}),
    (_phone, {"string", "code", "integer"}),
    (_ip, {"string"}),
    (_address, {"string"}),
)


# --- names ------------------------------------------------------------------------------


def _name_masks(column: _Column) -> tuple[pl.Series, pl.Series, pl.Series]:
    """(name_like, has_first_name, several_words) over the distinct values: shaped like a
    person's name (letters, at most 5 words, no organisation word), with a first name of
    the lexicon first or last (``NOM Prénom``), and made of two words or more."""
    folded = column.folded.str.replace(CIVILITY, "")
    civility = column.folded.str.contains(CIVILITY)
    words = folded.str.split(" ")
    shaped = column.values.str.contains(r"^[\p{L}][\p{L}'’ .-]*$") & (words.list.len() <= 5)
    organisation = words.list.eval(pl.element().is_in(list(ORGANISATION_WORDS))).list.any()
    name_like = shaped & ~organisation
    names = first_names().implode()
    upper = folded.str.to_uppercase()
    first = upper.str.extract(r"^(\S+)")
    last = upper.str.extract(r"(\S+)$")
    # Hyphenated first names are in the lexicon (JEAN-PIERRE), or their first part is.
    hyphened = column.values.str.to_uppercase().str.extract(r"^(\S+)")
    has_first = (
        first.is_in(names) | last.is_in(names)
        | _fold_series(hyphened).str.to_uppercase().str.replace_all(" ", "-").is_in(names)
        | (civility & (words.list.len() >= 1))
    )
    return name_like, has_first.fill_null(False), words.list.len() >= 2


def _person_name(column: _Column) -> Detection | None:
    if column.numeric_share > 0.2 or column.type not in ("string",) or column.thing:
        return None
    hint = column.hinted("person_name")
    name_like, has_first, several = _name_masks(column)
    mask = name_like & has_first if hint else name_like & has_first & several
    share = column.share(mask)
    if share < MIN_SHARE["person_name"]:
        return None
    reason = ("Noms de personnes : l'en-tête l'annonce et " if hint else "Noms de personnes : ")
    reason += f"{_percent(share)} des valeurs examinées commencent ou finissent par un prénom."
    return Detection(column.name, "person_name", "direct", _confidence(share, hint), share,
                     column.sample_rows(mask), reason)


SURNAME_WORDS = {"nom", "noms", "patronyme", "lastname", "surname", "famille", "naissance",
                 "usage", "marital", "epouse", "jeune", "fille"}


def _surnames(columns: list[_Column], found: list[Detection]) -> list[Detection]:
    """Surname columns (``nom`` beside a column of first names): surnames are no lexicon,
    so a name-shaped column is flagged by its header and its neighbour."""
    named = {d.column for d in found if d.kind == "person_name"}
    first_name_columns = [c for c in columns if c.name in named and "prenom" in c.words]
    flagged = {d.column for d in found}
    out = []
    for column in columns:
        if column.name in flagged or column.thing or column.type != "string":
            continue
        words = column.words
        if not (words & {"nom", "noms", "patronyme", "lastname", "surname"}):
            continue
        if words - SURNAME_WORDS - HINTS["person_name"] - {"de", "du", "d", "l", "le", "la"}:
            continue
        proper = bool(words & {"patronyme", "lastname", "surname", "famille", "naissance"})
        if not (first_name_columns or proper):
            continue
        name_like, _, _ = _name_masks(column)
        share = column.share(name_like)
        if share < 0.8 or len(column.values) < min(10, 0.2 * column.examined):
            continue
        out.append(Detection(
            column.name, "person_name", "direct", _confidence(share, True, doubt=0.1), share,
            column.sample_rows(name_like),
            "Noms de famille : l'en-tête l'annonce et la colonne voisine contient des prénoms."
            if first_name_columns else "Noms de famille : l'en-tête l'annonce et les valeurs "
            "ont la forme de noms.",
        ))  # fmt: skip
    return out


# --- quasi-identifiers ------------------------------------------------------------------


def _birth_date(column: _Column) -> Detection | None:
    words = column.words
    hint = bool(words & HINTS["birth_date"]) and not (
        words & {"ne", "nee"} and not words & {"le", "date", "naissance"}
    )
    if not hint:
        return None
    parts = column.values.str.extract_groups(DATE_SHAPE).struct.unnest()
    years = parts.select(
        pl.coalesce("iso", "fr", "month", "frmonth", "year").cast(pl.Int32, strict=False)
    ).to_series()
    mask = years.is_between(1900, dt.date.today().year).fill_null(False)
    share = column.share(mask)
    if share < MIN_SHARE["birth_date"]:
        return None
    day = column.share(mask & (parts["iso"].is_not_null() | parts["fr"].is_not_null()))
    month = column.share(mask & (parts["month"].is_not_null() | parts["frmonth"].is_not_null()))
    precision = "day" if day >= month and day >= share / 2 else "month" if month else "year"
    worded = {"day": "au jour près", "month": "au mois près", "year": "à l'année"}[precision]
    return Detection(
        column.name, "birth_date", "quasi", _confidence(share, True), share,
        column.sample_rows(mask),
        f"Dates de naissance {worded} : croisées avec le sexe et la commune, elles suffisent "
        f"souvent à isoler une personne.",
        {"precision": precision},
    )


def _age(column: _Column) -> Detection | None:
    words = column.words
    if not words & HINTS["age"] or column.thing:
        return None
    number = column.values.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    plain = number.is_between(0, 120).fill_null(False)
    banded = column.values.str.contains(AGE_BAND)
    share_plain, share_band = column.share(plain), column.share(banded)
    if max(share_plain, share_band) < MIN_SHARE["age"]:
        return None
    band = share_band > share_plain
    mask = banded if band else plain
    share = max(share_plain, share_band)
    return Detection(
        column.name, "age", "quasi", _confidence(share, True), share, column.sample_rows(mask),
        "Âges par tranches : un quasi-identifiant à croiser avec les autres colonnes." if band
        else "Âges en années : un quasi-identifiant qui, croisé avec le sexe et le lieu, "
        "peut isoler une personne.",
        {"banded": band},
    )


def _sex(column: _Column) -> Detection | None:
    if not column.hinted("sex"):
        return None
    mask = column.folded.is_in(list(SEX_VALUES))
    share = column.share(mask)
    if share < MIN_SHARE["sex"] or len(column.values) > 12:
        return None
    return Detection(
        column.name, "sex", "quasi", _confidence(share, True), share, column.sample_rows(mask),
        "Sexe ou civilité des personnes : un quasi-identifiant classique.",
    )


def _postal_code(column: _Column) -> Detection | None:
    words = column.words
    hint = bool(words & HINTS["postal_code"]) or {"code", "postal"} <= words
    if not hint:
        return None
    mask = column.compact.str.zfill(5).str.contains(POSTAL_SHAPE) & (column.lengths <= 6)
    share = column.share(mask)
    if share < MIN_SHARE["postal_code"]:
        return None
    return Detection(
        column.name, "postal_code", "quasi", _confidence(share, True), share,
        column.sample_rows(mask),
        "Codes postaux : un quasi-identifiant de lieu, plus fin que le département.",
    )


def _commune(column: _Column) -> Detection | None:
    words = column.words
    code_hint = bool(words & HINTS["commune_code"]) or (
        "code" in words and bool(words & {"commune", "com", "geo", "ville"})
    )
    if code_hint and not words & {"postal", "cp"}:
        mask = column.compact.str.contains(COMMUNE_SHAPE)
        share = column.share(mask)
        if share >= MIN_SHARE["commune"]:
            return Detection(
                column.name, "commune", "quasi", _confidence(share, True), share,
                column.sample_rows(mask),
                "Codes de commune (INSEE) : un quasi-identifiant de lieu ; dans une petite "
                "commune, il isole vite une personne.",
                {"form": "code"},
            )
    name_hint = bool(words & HINTS["commune_name"]) and not words & {"code", "insee", "cp"}
    if name_hint and column.numeric_share < 0.1:
        mask = column.values.str.contains(r"^[\p{L}][\p{L}'’ .()-]*$")
        share = column.share(mask)
        if share >= MIN_SHARE["commune"]:
            return Detection(
                column.name, "commune", "quasi", _confidence(share, True, doubt=0.1), share,
                column.sample_rows(mask),
                "Noms de communes : un quasi-identifiant de lieu.",
                {"form": "name"},
            )
    return None


def _iris(column: _Column) -> Detection | None:
    if not column.hinted("iris"):
        return None
    mask = column.compact.str.contains(IRIS_SHAPE)
    share = column.share(mask)
    if share < MIN_SHARE["iris"]:
        return None
    return Detection(
        column.name, "iris", "quasi", _confidence(share, True), share, column.sample_rows(mask),
        "Codes IRIS : un quartier d'environ 2 000 habitants, quasi-identifiant de lieu.",
    )


def _lexicon_share(column: _Column, terms: tuple[str, ...], whole: bool = False) -> pl.Series:
    """A mask over the distinct values: they hold one of the folded ``terms`` (as whole
    words), or are one of them (``whole``)."""
    if whole:
        return column.folded.is_in(list(terms))
    return column.folded.str.contains(_terms_pattern(terms))


def _profession(column: _Column) -> Detection | None:
    """A header naming professions (any values, PCS codes included), a weaker header
    confirmed by some values, or mostly professions whatever the header."""
    lexicon = quasi_lexicon()["profession"]
    header = _has_term(column.header, lexicon["header"]) and not column.thing
    weak = _has_term(column.header, lexicon["header_weak"]) and not column.thing
    if column.numeric_share > 0.5 and not header:
        return None
    mask = _lexicon_share(column, lexicon["values"])
    share = column.share(mask)
    if not (header or (weak and share >= 0.2) or share >= MIN_SHARE["profession"]):
        return None
    if not header and column.words & {"objet", "libelle", "intitule", "description"}:
        return None
    rows = column.sample_rows(mask if share else column.values.is_not_null())
    return Detection(
        column.name, "profession", "quasi", _confidence(share, header or weak), share, rows,
        "Professions ou catégories socioprofessionnelles : un quasi-identifiant, d'autant "
        "plus que la profession est rare sur le territoire.",
    )


def _nationality(column: _Column) -> Detection | None:
    if column.numeric_share > 0.5:
        return None
    lexicon = quasi_lexicon()["nationality"]
    hint = _has_term(column.header, lexicon["header"])
    mask = _lexicon_share(column, lexicon["values"], whole=True)
    share = column.share(mask)
    if share < (0.3 if hint else MIN_SHARE["nationality"] + 0.2):
        return None
    return Detection(
        column.name, "nationality", "quasi", _confidence(share, hint), share,
        column.sample_rows(mask),
        "Nationalités : un quasi-identifiant, qui peut aussi laisser deviner une origine.",
    )


# --- Art. 9 and Art. 10 ------------------------------------------------------------------


def _special(column: _Column, free_text: bool = False) -> list[Detection]:
    """Special categories (Art. 9) and convictions (Art. 10): by header terms, by value
    terms, or a weak header term confirmed by the values. One pattern of every value term
    first rules out most columns."""
    lexicons = special_lexicon()
    headers = {} if free_text else {
        topic: (_has_term(column.header, lexicon["header"]),
                _has_term(column.header, lexicon["header_weak"]))
        for topic, lexicon in lexicons.items()
    }
    textual = column.numeric_share < 0.9
    if not any(strong or weak for strong, weak in headers.values()):
        if not textual:
            return []
        least = FREE_TEXT_MIN_SHARE if free_text else min(MIN_SHARE["special"],
                                                          MIN_SHARE["conviction"])
        if column.share(column.folded.str.contains(_terms_pattern(_value_terms()))) < least:
            return []
    found = []
    for topic, lexicon in lexicons.items():
        header, weak_header = headers.get(topic, (False, False))
        strong = _lexicon_share(column, lexicon["values"]) if textual else None
        strong_share = column.share(strong) if strong is not None else 0.0
        mask, share = strong, strong_share
        if (header or weak_header) and textual and lexicon["values_weak"]:
            weak = _lexicon_share(column, lexicon["values_weak"])
            mask = weak if strong is None else strong | weak
            share = column.share(mask)
        if free_text:
            hits = 0 if mask is None else int(column.counts.filter(mask).sum())
            flagged = hits >= FREE_TEXT_MIN_HITS and share >= FREE_TEXT_MIN_SHARE
        else:
            flagged = header or (weak_header and share >= 0.1) or strong_share >= (
                MIN_SHARE["conviction" if topic == "conviction" else "special"]
            )
        if flagged:
            found.append(_special_detection(column, topic, lexicon, mask, share, header,
                                            free_text))
    return found


@cache
def _value_terms() -> tuple[str, ...]:
    """Every specific value term of every topic."""
    return tuple(term for lexicon in special_lexicon().values() for term in lexicon["values"])


def _special_detection(
    column: _Column, topic: str, lexicon: dict[str, Any], mask: pl.Series | None,
    share: float, header: bool, free_text: bool,
) -> Detection:
    kind = "conviction" if topic == "conviction" else "special"
    label = lexicon["label"]
    article = "10" if kind == "conviction" else "9"
    if free_text:
        how = f"le texte libre en mentionne dans {_percent(share)} des valeurs examinées"
    elif header:
        how = "l'en-tête de la colonne le dit"
    else:
        how = f"{_percent(share)} des valeurs examinées en relèvent"
    rows = column.sample_rows(mask) if mask is not None and share else column.sample_rows(
        pl.Series([True] * len(column.values))
    )
    detail: dict[str, Any] = {"topic": topic}
    if free_text:
        detail["free_text"] = True
    return Detection(
        column.name, kind, "sensitive", _confidence(share, header), share, rows,
        f"Donnée sensible au sens de l'article {article} du RGPD ({label}) : {how}.",
        detail,
    )


# --- free text --------------------------------------------------------------------------


def _free_text(column: _Column) -> bool:
    """Long text values, mostly distinct (in the sample)."""
    if column.type != "string" or column.numeric_share > 0.5:
        return False
    if len(column.values) / column.examined < FREE_TEXT_DISTINCT:
        return False
    return float(column.lengths.median() or 0) >= FREE_TEXT_LENGTH


def _texts(column: _Column) -> _Column:
    """The free-text column cut down to ``FREE_TEXT_SAMPLE`` values, at regular intervals."""
    if len(column.values) <= FREE_TEXT_SAMPLE:
        return column
    step = len(column.values) // FREE_TEXT_SAMPLE + 1
    counts = column.counts.gather_every(step)
    return _Column(column.index, column.name, column.profile, column.dtype,
                   column.values.gather_every(step), counts, column.rows.gather_every(step),
                   int(counts.sum()))


def _hits(
    column: _Column, pattern: str, check: Callable[[str], bool] | None = None,
    checks: Callable[[pl.Series], pl.Series] | None = None,
) -> pl.Series:
    """A mask over the values: one occurrence of ``pattern`` at least passes ``check`` (in
    Python, one occurrence at a time) or ``checks`` (on a Series of occurrences)."""
    found = column.values.str.extract_all(pattern)
    if check is None and checks is None:
        return found.list.len() > 0
    exploded = pl.DataFrame({"i": pl.int_range(0, len(found), eager=True), "m": found})
    exploded = exploded.explode("m").drop_nulls("m")
    if exploded.is_empty():
        return pl.Series([False] * len(found))
    distinct = exploded["m"].unique()
    passed = checks(distinct) if checks is not None else _validated(distinct, check)
    valid = set(distinct.filter(passed).to_list())
    hit = exploded.filter(pl.col("m").is_in(list(valid)))["i"].unique()
    return pl.int_range(0, len(found), eager=True).is_in(hit.implode())


def _compact_text(value: str) -> str:
    return re.sub(r"\(0\)|[\s.\-]", "", value).upper()


def _free_text_detections(column: _Column) -> list[Detection]:
    """Identifiers, contacts and names inside free text, each kind with its own sentence."""
    texts = _texts(column)
    checks = [
        ("nir", "identifier", TEXT_NIR, lambda v: std_nir.is_valid(_compact_text(v)),
         "des numéros de sécurité sociale (NIR) à clé valide"),
        ("iban", "identifier", TEXT_IBAN, lambda v: std_iban.is_valid(_compact_text(v)),
         "des IBAN à clé valide"),
        ("plate", "identifier", TEXT_PLATE, lambda v: _is_plate(_compact_text(v)),
         "des plaques d'immatriculation"),
        ("email", "direct", TEXT_EMAIL, _private_addresses,
         "des adresses électroniques de particuliers"),
        ("email", "possible", TEXT_EMAIL, _nominative_addresses,
         "des adresses électroniques professionnelles nominatives"),
        ("phone", "direct", TEXT_PHONE,
         lambda v: _phone_type(_compact_text(v)) == "mobile",
         "des numéros de téléphone portable"),
        ("address", "direct", ADDRESS_SHAPE, None, "des adresses au numéro près"),
        ("ip", "direct", TEXT_IP, _is_ip, "des adresses IP"),
        ("person_name", "direct", TEXT_CIVILITY_NAME, None,
         "des noms de personnes précédés d'une civilité"),
        ("person_name", "direct", TEXT_FIRST_LAST, _first_last,
         "des noms de personnes (prénom suivi d'un nom en capitales)"),
    ]
    found: dict[tuple[str, str], Detection] = {}
    for kind, category, pattern, check, what in checks:
        if any(k == kind for k, _ in found):
            continue  # one detection per kind
        if kind == "address" and column.thing:
            continue  # the address of a station, a site, an organisation
        if kind == "email":
            mask = _hits(texts, pattern, checks=check)
        else:
            mask = _hits(texts, pattern, check)
        hits = int(texts.counts.filter(mask).sum())
        share = texts.share(mask)
        if hits < FREE_TEXT_MIN_HITS or share < FREE_TEXT_MIN_SHARE:
            continue
        found[(kind, category)] = Detection(
            column.name, kind, category, _confidence(min(1.0, share * 10), False), share,
            texts.sample_rows(mask),
            f"Texte libre : {_percent(share)} des valeurs examinées contiennent {what}.",
            {"free_text": True},
        )
    return list(found.values()) + _special(texts, free_text=True)


def _private_addresses(addresses: pl.Series) -> pl.Series:
    private, _ = _email_parts(addresses.str.to_lowercase())
    return private


def _nominative_addresses(addresses: pl.Series) -> pl.Series:
    private, nominative = _email_parts(addresses.str.to_lowercase())
    return nominative & ~private


def _first_last(match: str) -> bool:
    """A capitalised word of the first-name lexicon before a word in capitals."""
    first = fold(match.split()[0]).upper().replace(" ", "-")
    return first in _first_name_set() or first.split("-")[0] in _first_name_set()


@cache
def _first_name_set() -> frozenset[str]:
    return frozenset(first_names().to_list())


# --- context: the rest of the table -----------------------------------------------------

# Header words of a column of counts: a table of first names with their counts is a
# statistic (SCDL "prénoms des nouveau-nés"), not a list of persons.
COUNT_WORDS = {"occurrences", "occurrence", "effectif", "effectifs", "count", "naissances"}
COUNT_HEADERS = {"nombre", "nb", "total", "n"}


def _in_context(columns: list[_Column], found: list[Detection]) -> list[Detection]:
    """Drop what the rest of the table explains away: landlines said to be of persons in a
    table naming no one, first names counted in a statistical table."""
    by_name = {column.name: column for column in columns}
    names = [d for d in found if d.kind == "person_name" and not d.detail.get("free_text")]
    counted = any(
        (column.words & COUNT_WORDS or column.header in COUNT_HEADERS)
        and column.type == "integer"
        for column in columns
    )
    kept = []
    for detection in found:
        free = detection.detail.get("free_text")
        if detection.kind == "phone" and detection.category == "possible" and not names:
            continue
        if detection.kind == "person_name" and not free and counted and len(names) == 1:
            column = by_name[detection.column]
            several = column.share(column.values.str.contains(r"\S\s+\S"))
            if several < 0.5:
                continue  # single first names with their counts
        kept.append(detection)
    return kept


# --- context: sole traders, GPS ---------------------------------------------------------


def _sole_trader_hint(columns: list[_Column], found: list[Detection], own: _Column) -> str | None:
    """Why the units of a SIREN/SIRET column may be sole traders: the header says so, a
    legal-form column holds sole-trader forms, or a name column holds person names."""
    if own.words & SOLE_TRADER_WORDS:
        return "header"
    for column in columns:
        if column is own:
            continue
        if column.words & SOLE_TRADER_WORDS:
            return "header"
        legal = column.words & LEGAL_FORM_WORDS and column.type in ("string", "code", "integer")
        forms = SOLE_TRADER_FORMS
        if legal and column.share(column.folded.str.contains(forms)) >= SOLE_TRADER_SHARE:
            return "legal_form"
    for detection in found:
        words = header_words(detection.column)
        unit = words & UNIT_NAME_WORDS and not words & REPRESENTATIVE_WORDS
        if detection.kind == "person_name" and unit and not detection.detail.get("free_text"):
            return "person_names"
    return None


SOLE_TRADER_REASONS = {
    "header": "un en-tête mentionne des entrepreneurs individuels",
    "legal_form": "une colonne de forme juridique mentionne des entrepreneurs individuels",
    "person_names": "une colonne voisine contient des noms de personnes",
}


def _sole_traders(columns: list[_Column], found: list[Detection]) -> list[Detection]:
    """SIREN/SIRET columns, reported only when their units may be sole traders (a sole
    trader's SIREN designates a person); companies' numbers are not personal data."""
    flagged = {d.column for d in found}
    out = []
    for column in columns:
        if column.name in flagged or column.numeric_share < 0.9:
            continue
        for kind, shape, check in (("siret", SIRET_SHAPE, std_siret.is_valid),
                                   ("siren", SIREN_SHAPE, std_siren.is_valid)):
            if column.share(column.compact.str.contains(shape)) < MIN_SHARE[kind]:
                continue
            hint = _sole_trader_hint(columns, found, column)
            mask, share = _checked(column, column.compact, shape, check) if hint else (None, 0)
            if hint and share >= MIN_SHARE[kind]:
                out.append(Detection(
                    column.name, kind, "possible", _confidence(share, True, True, doubt=0.2),
                    share, column.sample_rows(mask),
                    f"Numéros {kind.upper()} valides (clé de Luhn) ; personnels seulement "
                    f"pour les entrepreneurs individuels, or {SOLE_TRADER_REASONS[hint]}.",
                    {"sole_trader": hint},
                ))  # fmt: skip
            break
    return out


def _coordinates(values: pl.Series) -> pl.Series:
    return values.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)


def _in_france(lat: pl.Series, lon: pl.Series) -> pl.Series:
    inside = pl.Series([False] * len(lat))
    for low, high, west, east in FRANCE_BOXES:
        inside = inside | (lat.is_between(low, high) & lon.is_between(west, east))
    return inside.fill_null(False)


def _decimals(values: pl.Series) -> int:
    """The typical (median) number of decimals written."""
    places = values.str.extract(r"[.,](\d+)$").str.len_chars().fill_null(0)
    return int(statistics.median(places.to_list())) if len(places) else 0


def _geo_role(column: _Column) -> str | None:
    """latitude, longitude or point, from the profile or, for text with decimal commas the
    profile could not type, from the header and the values."""
    if column.profile is not None and column.profile.geo:
        return column.profile.geo
    words = column.words
    if column.type in ("number", "string") and words & (LATITUDE_WORDS | LONGITUDE_WORDS):
        numbers = _coordinates(column.values)
        if column.share(numbers.is_not_null()) < 0.9:
            return None
        if words & LATITUDE_WORDS and column.share(numbers.is_between(-90, 90)) >= 0.9:
            return "latitude"
        if words & LONGITUDE_WORDS and column.share(numbers.is_between(-180, 180)) >= 0.9:
            return "longitude"
    if words & GEOPOINT_WORDS and column.type in ("geopoint", "string"):
        pattern = r"^\[?\s*[+-]?\d+[.]\d+\s*[,;]\s*[+-]?\d+[.]\d+\s*\]?$"
        if column.share(column.values.str.contains(pattern)) >= 0.9:
            return "point"
    return None


def _gps(frame: pl.DataFrame, profile: Profile | None, columns: list[_Column]) -> list[Detection]:
    """Coordinates inside France, precise (``GPS_DECIMALS``) and mostly unique per row."""
    if _areas(columns):
        return []
    roles = {column.name: _geo_role(column) for column in columns}
    latitudes = [c for c in columns if roles[c.name] == "latitude"]
    longitudes = [c for c in columns if roles[c.name] == "longitude"]
    out = []
    for lat, lon in zip(latitudes, longitudes, strict=False):
        if lat.thing or lon.thing:
            continue  # the location of equipment, a station, a site (EQUIP_LAT)
        detection = _gps_pair(frame, lat, lon)
        if detection:
            out += [detection, Detection(**{**asdict(detection), "column": lon.name,
                                            "detail": {**detection.detail, "pair": lat.name}})]
    for column in columns:
        if roles[column.name] == "point" and not column.thing:
            detection = _gps_point(frame, column)
            if detection:
                out.append(detection)
    return out


def _areas(columns: list[_Column]) -> bool:
    """The coordinates are centroids of areas: ``read_table`` gives a GeoJSON's polygons
    a ``geometry_type`` column and the centroid's longitude and latitude."""
    for column in columns:
        if column.name in ("geometry_type", "geometry_geometry_type"):
            points = column.values.str.contains(r"^(?:Multi)?Point$")
            return column.share(points) < 0.5
    return False


def _pair_sample(frame: pl.DataFrame, lat: str, lon: str) -> tuple[pl.DataFrame, int]:
    """Rows where both coordinates are present, sampled; and how many there are."""
    both = frame.select(pl.col(lat).is_not_null() & pl.col(lon).is_not_null()).to_series()
    rows = both.arg_true()
    present = len(rows)
    rows = rows.gather_every(present // SAMPLE_SIZE + 1)
    sample = frame.select(pl.col(lat, lon).gather(rows).cast(pl.String).str.strip_chars())
    return sample.with_columns(row=rows), present


def _unique_share(frame: pl.DataFrame, lat: _Column, lon: _Column, present: int) -> float:
    """Distinct points per row with both coordinates. Either coordinate alone unique on
    most rows bounds it from below, from the profile; otherwise one pass over the pair."""
    bounds = [
        c.profile.distinct / present for c in (lat, lon) if c.profile is not None and present
    ]
    if present > EXACT_DISTINCT_ROWS and bounds and max(bounds) >= GPS_UNIQUE_BOUND:
        return min(1.0, max(bounds))
    pair = frame.lazy().filter(pl.col(lat.name).is_not_null() & pl.col(lon.name).is_not_null())
    hashed = pl.col(lat.name).hash(11) ^ pl.col(lon.name).hash(29)
    distinct = hashed.approx_n_unique() if present > EXACT_DISTINCT_ROWS else hashed.n_unique()
    count = pair.select(distinct).collect().item()
    return min(1.0, count / present) if present else 0.0


def _gps_pair(frame: pl.DataFrame, lat: _Column, lon: _Column) -> Detection | None:
    sample, present = _pair_sample(frame, lat.name, lon.name)
    if not present:
        return None
    latitudes, longitudes = _coordinates(sample[lat.name]), _coordinates(sample[lon.name])
    inside = _in_france(latitudes, longitudes)
    share = float(inside.mean() or 0)
    if share < MIN_SHARE["gps"]:
        return None
    decimals = min(_decimals(sample[lat.name]), _decimals(sample[lon.name]))
    if decimals < GPS_DECIMALS:
        return None
    unique = _unique_share(frame, lat, lon, present)
    if unique <= GPS_UNIQUE_SHARE:
        return None
    rows = [int(row) + 2 for row in sample["row"].filter(inside).head(MAX_ROWS)]
    return Detection(
        lat.name, "gps", "quasi", _confidence(share, True), share, rows,
        _gps_reason(decimals, unique),
        {"decimals": decimals, "unique_share": round(unique, 4), "pair": lon.name},
    )


def _gps_reason(decimals: int, unique: float) -> str:
    metres = 111_000 / 10**decimals
    precision = f"environ {metres:.0f} m" if metres >= 1 else "moins d'un mètre"
    return (
        f"Coordonnées GPS en France à {decimals} décimales (précision : {precision}) et "
        f"{_percent(unique)} de points distincts : elles localisent des individus ou des "
        f"domiciles."
    )


def _gps_point(frame: pl.DataFrame, column: _Column) -> Detection | None:
    numbers = column.values.str.extract_all(r"[+-]?\d+[.]\d+")
    first = numbers.list.get(0, null_on_oob=True)
    second = numbers.list.get(1, null_on_oob=True)
    a, b = first.cast(pl.Float64, strict=False), second.cast(pl.Float64, strict=False)
    lat_first = _in_france(a, b)
    inside = lat_first | _in_france(b, a)
    share = column.share(inside)
    if share < MIN_SHARE["gps"]:
        return None
    decimals = min(_decimals(first.drop_nulls()), _decimals(second.drop_nulls()))
    if decimals < GPS_DECIMALS:
        return None
    present = frame.height - frame.get_column(column.name).null_count()
    distinct = column.profile.distinct if column.profile is not None else len(column.values)
    unique = min(1.0, distinct / present) if present else 0.0
    if unique <= GPS_UNIQUE_SHARE:
        return None
    return Detection(
        column.name, "gps", "quasi", _confidence(share, True), share,
        column.sample_rows(inside), _gps_reason(decimals, unique),
        {"decimals": decimals, "unique_share": round(unique, 4), "pair": None},
    )
