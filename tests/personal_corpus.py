"""A labelled corpus for the personal-data detectors (``quality.personal``): files shaped like
French local-authority data, every column labelled with the detections expected of it.

Values are synthetic and seeded: names, streets and jobs from Faker's ``fr_FR`` providers,
NIR, IBAN, SIRET, plates and phone numbers from generators of this module (valid keys), real
commune codes and names of Meurthe-et-Moselle (``shared/reference/geo``). The hard negatives
are deliberate: companies' SIRETs in subsidies files, 15-digit references that are not NIRs,
postal codes, amounts with 4 decimals, officials' work e-mails (expected "possible", not
"direct"), a town hall's switchboard repeated on every row, equipment coordinates (few
decimals, or the same few points repeated), functional e-mail addresses, version numbers
shaped like IPv4, free text with and without personal data.

``corpus()`` returns the files; ``write(files, directory)`` writes them as CSV (``;``, UTF-8)
so that they go through ``quality.read.read_table`` as real uploads do; ``evaluate`` runs a
detector over them and counts, per kind, true and false positives and misses; ``table``
prints the precision and recall.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from faker import Faker
from stdnum import iban as std_iban
from stdnum import luhn

SHARED = Path(__file__).resolve().parents[2] / "shared"
COMMUNES_GEOJSON = SHARED / "reference" / "geo" / "communes-54-meurthe-et-moselle.geojson"
SEED = 20240611
# Kinds whose category must match too for a detection to count (direct identifiers).
DIRECT_KINDS = ("nir", "iban", "plate", "email", "phone", "person_name", "address", "ip")
WEBMAILS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr",
            "hotmail.fr", "yahoo.fr", "outlook.fr", "icloud.com", "live.fr", "bbox.fr"]
ORG_DOMAINS = ["mairie-laxou.fr", "nancy.fr", "grandnancy.eu", "meurthe-et-moselle.fr",
               "mairie-vandoeuvre.fr", "ville-luneville.fr", "cc-terres-touloises.fr"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # no I, O or U

Expected = list[tuple[str, str]]


@dataclass
class CorpusFile:
    name: str
    columns: dict[str, list[str | None]] = field(default_factory=dict)
    expected: dict[str, Expected] = field(default_factory=dict)

    def add(self, name: str, values: list[str | None],
            expected: tuple[str, str] | Expected | None = None) -> None:
        """A column and the detections expected of it: one (kind, category), a list of
        them (free text), or None."""
        self.columns[name] = values
        if expected is None:
            self.expected[name] = []
        elif isinstance(expected, tuple):
            self.expected[name] = [expected]
        else:
            self.expected[name] = list(expected)

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())))


# --- value generators ---------------------------------------------------------------------


def plain(text: str) -> str:
    """Lower case ASCII, as in e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum() or ch in "-")


def communes() -> list[tuple[str, str]]:
    """(INSEE code, name) of every commune of Meurthe-et-Moselle."""
    features = json.loads(COMMUNES_GEOJSON.read_text(encoding="utf-8"))["features"]
    return [(f["properties"]["code"], f["properties"]["nom"]) for f in features]


def nir(rng: random.Random, commune: str, spaced: bool = False) -> str:
    """A NIR with a valid key: sex, year, month, the commune of birth (Corsican 2A/2B
    codes included), an order number, then the key 97 - (number mod 97)."""
    body = (f"{rng.choice('12')}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}"
            f"{commune}{rng.randint(1, 999):03d}")
    numeric = body.replace("2A", "19").replace("2B", "18")
    key = f"{97 - int(numeric) % 97:02d}"
    if not spaced:
        return body + key
    return " ".join([body[0], body[1:3], body[3:5], body[5:7], body[7:10], body[10:13], key])


def iban_fr(rng: random.Random, spaced: bool = True) -> str:
    """A French IBAN: bank, branch, account, RIB key, then the mod-97 check digits."""
    bank, branch = rng.randint(10000, 99999), rng.randint(10000, 99999)
    account = rng.randint(10**9, 10**11 - 1)
    rib = 97 - (89 * bank + 15 * branch + 3 * account) % 97
    bban = f"{bank:05d}{branch:05d}{account:011d}{rib:02d}"
    number = "FR" + std_iban.calc_check_digits("FR00" + bban) + bban
    assert std_iban.is_valid(number)
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4)) if spaced else number


def siren(rng: random.Random) -> str:
    body = f"{rng.randint(10**7, 10**8 - 1)}"
    return body + luhn.calc_check_digit(body)


def siret(rng: random.Random, unit: str | None = None) -> str:
    body = (unit or siren(rng)) + f"{rng.randint(1, 999):04d}"
    return body + luhn.calc_check_digit(body)


def mobile(rng: random.Random) -> str:
    """A metropolitan mobile number in the ranges allocated (06 00–06 89, 07 30–07 89)."""
    if rng.random() < 0.6:
        digits = f"06{rng.randint(0, 89):02d}{rng.randint(0, 999_999):06d}"
    else:
        digits = f"07{rng.randint(30, 89)}{rng.randint(0, 999_999):06d}"
    return phone_format(rng, digits)


def landline(rng: random.Random, area: str = "3") -> str:
    return phone_format(rng, f"0{area}{rng.randint(10_000_000, 99_999_999)}")


def phone_format(rng: random.Random, digits: str) -> str:
    pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
    style = rng.random()
    if style < 0.5:
        return " ".join(pairs)
    if style < 0.7:
        return ".".join(pairs)
    if style < 0.85:
        return digits
    return "+33 " + digits[1] + " " + " ".join(pairs[1:])


def plate(rng: random.Random, old: bool = False) -> str:
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(4))
    if old:
        department = rng.choice(["54", "57", "55", "88", "67", "75", "2A"])
        return f"{rng.randint(1, 9999)} {letters[:3]} {department}"
    return f"{letters[:2]}-{rng.randint(1, 999):03d}-{letters[2:]}"


def private_email(rng: random.Random, first: str, last: str) -> str:
    local = rng.choice([f"{plain(first)}.{plain(last)}", f"{plain(first)}{plain(last)}",
                        f"{plain(last)}.{plain(first)}{rng.randint(1, 99)}",
                        f"{plain(first)[0]}{plain(last)}{rng.randint(1, 999)}"])
    return f"{local}@{rng.choice(WEBMAILS)}"


def work_email(rng: random.Random, first: str, last: str, domain: str | None = None) -> str:
    local = rng.choice([f"{plain(first)}.{plain(last)}", f"{plain(first)[0]}.{plain(last)}"])
    return f"{local}@{domain or rng.choice(ORG_DOMAINS)}"


def french_date(rng: random.Random, start: date, end: date, iso: bool = True) -> str:
    day = start + timedelta(days=rng.randint(0, (end - start).days))
    return day.isoformat() if iso else day.strftime("%d/%m/%Y")


def amount(rng: random.Random, decimals: int = 2, comma: bool = True) -> str:
    text = f"{rng.uniform(50, 50_000):.{decimals}f}"
    return text.replace(".", ",") if comma else text


def street(fake: Faker, rng: random.Random, numbered: float = 1.0) -> str:
    """A street address; ``numbered`` of them carry a house number."""
    name = fake.street_name()
    if rng.random() >= numbered:
        return name
    number = f"{rng.randint(1, 240)}{rng.choice(['', '', '', ' bis', ' ter'])}"
    return rng.choice([f"{number}, {name}", f"{number} {name}"])


def coordinate(rng: random.Random, low: float, high: float, decimals: int) -> str:
    return f"{rng.uniform(low, high):.{decimals}f}"


def blanks(rng: random.Random, values: list[str], share: float) -> list[str | None]:
    """Some values left empty, as in real files."""
    return [None if rng.random() < share else value for value in values]


# --- the files ----------------------------------------------------------------------------


def corpus(seed: int = SEED) -> list[CorpusFile]:
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    towns = communes()
    builders = [
        births_registry, subsidies, sole_trader_subsidies, deliberations, supplier_ribs,
        parking_fines, sport_equipment, equipment_bookings, street_reports, social_aid,
        portal_logs, school_registrations, staff, resident_parking, census_extract,
        public_contracts, baby_names, association_contacts, library_loans, incoming_mail,
        club_members,
    ]
    return [build(rng, fake, towns) for build in builders]


def people(fake: Faker, rows: int) -> list[tuple[str, str]]:
    return [(fake.first_name(), fake.last_name()) for _ in range(rows)]


def births_registry(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    rows = 400
    file = CorpusFile("etat-civil-registre.csv")
    names = people(fake, rows)
    birth_towns = [rng.choice(towns) for _ in range(rows)]
    corsica = ["2A004", "2B033", "2A247", "2B096"]
    codes = [rng.choice(corsica) if rng.random() < 0.1 else code for code, _ in birth_towns]
    numbers = [nir(rng, code, spaced=rng.random() < 0.3) for code in codes]
    typos = [n[:-1] + str((int(n[-1]) + 1) % 10) if rng.random() < 0.05 else n for n in numbers]
    file.add("nir", typos, ("nir", "identifier"))
    file.add("nom", [last.upper() for _, last in names], ("person_name", "direct"))
    file.add("prenom", [first for first, _ in names], ("person_name", "direct"))
    file.add("sexe", [rng.choice(["M", "F"]) for _ in range(rows)], ("sex", "quasi"))
    file.add("date_naissance",
             [french_date(rng, date(1930, 1, 1), date(2020, 12, 31), rng.random() < 0.5)
              for _ in range(rows)], ("birth_date", "quasi"))
    file.add("code_commune_naissance", codes, ("commune", "quasi"))
    file.add("code_postal", [rng.choice(["54000", "54500", "54600", "54300", "54200"])
                             for _ in range(rows)], ("postal_code", "quasi"))
    file.add("adresse", [street(fake, rng, 0.9) for _ in range(rows)], ("address", "direct"))
    file.add("telephone", blanks(rng, [mobile(rng) for _ in range(rows)], 0.2),
             ("phone", "direct"))
    file.add("courriel", blanks(rng, [private_email(rng, f, n) for f, n in names], 0.3),
             ("email", "direct"))
    return file


ASSOCIATION_HEADS = ["Association sportive de", "Club de judo de", "Comité des fêtes de",
                     "Amicale des pompiers de", "Harmonie municipale de", "Les Amis de",
                     "Union musicale de", "Foyer rural de", "Compagnie théâtrale de",
                     "Société de pêche de", "Football Club de", "Maison des jeunes de"]
OBJECTS = ["Fonctionnement annuel", "Organisation du festival d'été", "Achat de matériel",
           "Projet éducatif", "Séjour de jeunes", "Tournoi régional", "Atelier numérique",
           "Prévention santé", "Jardin partagé", "Spectacle de fin d'année"]
CATEGORIES = ["Culture", "Sport", "Social", "Éducation", "Santé", "Jeunesse", "Environnement"]


def subsidies(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Companies' and associations' SIRETs, 15-digit references, amounts with 4 decimals,
    a "Santé" category: nothing personal but the postal code."""
    rows = 600
    file = CorpusFile("subventions-2024.csv")
    units = [(siret(rng), f"{rng.choice(ASSOCIATION_HEADS)} {rng.choice(towns)[1]}")
             for _ in range(120)]
    picks = [rng.choice(units) for _ in range(rows)]
    file.add("id", [str(i + 1) for i in range(rows)])
    file.add("reference_dossier", [f"{rng.randint(10**14, 10**15 - 1)}" for _ in range(rows)])
    file.add("siret_beneficiaire", [unit for unit, _ in picks])
    file.add("nom_beneficiaire", [name for _, name in picks])
    file.add("objet", [rng.choice(OBJECTS) for _ in range(rows)])
    file.add("categorie", [rng.choice(CATEGORIES) for _ in range(rows)])
    file.add("montant", [amount(rng, 4, comma=False) for _ in range(rows)])
    file.add("code_postal", [f"54{rng.randint(0, 9)}{rng.choice(['00', '10', '20'])}"
                             for _ in range(rows)], ("postal_code", "quasi"))
    file.add("date_decision", [french_date(rng, date(2024, 1, 1), date(2024, 12, 31))
                               for _ in range(rows)])
    return file


def sole_trader_subsidies(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Aid to craftsmen and shopkeepers: some units are sole traders, named after their
    owner, so the SIRETs are possibly personal."""
    rows = 300
    file = CorpusFile("aides-commerce-artisanat.csv")
    owners = people(fake, rows)
    forms = [rng.choice(["Entrepreneur individuel", "Entrepreneur individuel", "SARL", "SAS",
                         "EURL", "Micro-entreprise"]) for _ in range(rows)]
    file.add("siret", [siret(rng) for _ in range(rows)], ("siret", "possible"))
    file.add("nom_beneficiaire", [f"{first} {last.upper()}" for first, last in owners],
             ("person_name", "direct"))
    file.add("forme_juridique", forms)
    file.add("activite", [rng.choice(["Boulangerie", "Coiffure", "Plomberie", "Fleuriste",
                                      "Librairie", "Menuiserie"]) for _ in range(rows)])
    file.add("montant_aide", [amount(rng) for _ in range(rows)])
    file.add("commune", [rng.choice(towns)[1] for _ in range(rows)], ("commune", "quasi"))
    return file


DELIBERATION_SUBJECTS = [
    "Approbation du compte administratif {year} du budget annexe de l'eau",
    "Vote des taux d'imposition pour l'exercice {year}",
    "Convention de partenariat avec l'office de tourisme pour la saison {year}",
    "Attribution d'une subvention exceptionnelle de {n} euros au comité des fêtes",
    "Création de {k} postes d'adjoint technique au service des espaces verts",
    "Acquisition de la parcelle cadastrée section {s} numéro {n} au lieu-dit du Moulin",
    "Modification du règlement intérieur du conseil municipal, article {k}",
    "Demande de subvention au titre de la DETR {year} pour la rénovation de l'école",
    "Fixation des tarifs de la restauration scolaire à compter du {d}",
    "Désignation des délégués au syndicat intercommunal des eaux, mandat {year}",
]


def deliberations(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Officials' names and work e-mails (possible, not direct), a switchboard number
    repeated on every row, subjects as free text without personal data."""
    rows = 250
    file = CorpusFile("deliberations-2024.csv")
    officials = people(fake, 12)
    picks = [rng.choice(officials) for _ in range(rows)]
    file.add("numero", [f"DEL-2024-{i + 1:03d}" for i in range(rows)])
    file.add("date_seance", [french_date(rng, date(2024, 1, 1), date(2024, 12, 31), False)
                             for _ in range(rows)])
    file.add("objet", [rng.choice(DELIBERATION_SUBJECTS).format(
        year=rng.randint(2019, 2025), n=rng.randint(100, 9999), k=rng.randint(1, 12),
        s=rng.choice("ABCDEFGH"), d=french_date(rng, date(2024, 1, 1), date(2025, 6, 30), False),
    ) for _ in range(rows)])
    file.add("rapporteur", [f"{rng.choice(['M.', 'Mme'])} {first} {last.upper()}"
                            for first, last in picks], ("person_name", "direct"))
    file.add("courriel_rapporteur",
             [work_email(rng, first, last, "mairie-laxou.fr") for first, last in picks],
             ("email", "possible"))
    file.add("telephone_mairie", ["03 83 28 51 00"] * rows)
    file.add("votes_pour", [str(rng.randint(10, 29)) for _ in range(rows)])
    return file


def supplier_ribs(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    rows = 200
    file = CorpusFile("fournisseurs-rib.csv")
    file.add("fournisseur", [fake.company() for _ in range(rows)])
    file.add("siret", [siret(rng) for _ in range(rows)])
    file.add("iban", [iban_fr(rng, spaced=rng.random() < 0.7) for _ in range(rows)],
             ("iban", "identifier"))
    file.add("bic", [rng.choice(["CCBPFRPPNAN", "AGRIFRPP882", "CMCIFR2A", "BNPAFRPPXXX"])
                     for _ in range(rows)])
    file.add("contact", [f"contact@{plain(fake.last_name())}.fr" for _ in range(rows)])
    return file


def parking_fines(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    rows = 500
    file = CorpusFile("forfaits-post-stationnement.csv")
    file.add("immatriculation", [plate(rng, old=rng.random() < 0.15) for _ in range(rows)],
             ("plate", "identifier"))
    file.add("date_constat", [french_date(rng, date(2024, 1, 1), date(2024, 6, 30))
                              for _ in range(rows)])
    file.add("rue", [fake.street_name() for _ in range(rows)])
    file.add("zone_tarifaire", [rng.choice(["Rouge", "Orange", "Verte"]) for _ in range(rows)])
    file.add("montant_fps", [rng.choice(["25", "35", "17,50"]) for _ in range(rows)])
    file.add("matricule_agent", [f"ASVP{rng.randint(1, 40):03d}" for _ in range(rows)])
    return file


EQUIPMENT_KINDS = ["Gymnase", "Stade", "Piscine", "Salle polyvalente", "Terrain de tennis",
                   "Skatepark", "Dojo", "Boulodrome"]


def sport_equipment(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Equipment: their addresses, switchboards and functional e-mails are no one's, and
    coordinates with 3 decimals are no individual's location."""
    rows = 150
    file = CorpusFile("equipements-sportifs.csv")
    sites = [(rng.choice(EQUIPMENT_KINDS), fake.last_name(), rng.choice(towns))
             for _ in range(rows)]
    file.add("nom_equipement", [f"{kind} {name}" for kind, name, _ in sites])
    file.add("adresse_equipement", [street(fake, rng) for _ in range(rows)])
    file.add("code_insee", [town[0] for _, _, town in sites], ("commune", "quasi"))
    file.add("telephone_accueil", [landline(rng) for _ in range(rows)])
    file.add("courriel", [f"{rng.choice(['contact', 'accueil', 'reservation'])}@"
                          f"{plain(town[1])}.fr" for _, _, town in sites])
    file.add("latitude", [coordinate(rng, 48.5, 49.1, 3) for _ in range(rows)])
    file.add("longitude", [coordinate(rng, 5.8, 6.6, 3) for _ in range(rows)])
    file.add("surface_m2", [amount(rng, 4, comma=False) for _ in range(rows)])
    return file


def equipment_bookings(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Precise coordinates, but the same dozen points repeated: places, not people."""
    rows = 600
    file = CorpusFile("reservations-equipements.csv")
    points = [(coordinate(rng, 48.6, 48.75, 6), coordinate(rng, 6.1, 6.25, 6))
              for _ in range(12)]
    picks = [rng.choice(points) for _ in range(rows)]
    file.add("creneau", [f"{french_date(rng, date(2024, 9, 1), date(2025, 6, 30))} "
                         f"{rng.randint(8, 21):02d}:00" for _ in range(rows)])
    file.add("association", [f"{rng.choice(ASSOCIATION_HEADS)} {rng.choice(towns)[1]}"
                             for _ in range(rows)])
    file.add("lat", [lat for lat, _ in picks])
    file.add("lon", [lon for _, lon in picks])
    file.add("duree_heures", [str(rng.choice([1, 2, 3])) for _ in range(rows)])
    return file


REPORT_SUBJECTS = ["Nid de poule", "Lampadaire en panne", "Dépôt sauvage", "Tag sur façade",
                   "Branche tombée", "Trottoir dégradé", "Poubelle débordante",
                   "Feu tricolore en panne", "Stationnement gênant", "Fuite d'eau"]
AGENT_NOTES = ["Intervention programmée, bon de travaux n° {n}, équipe voirie secteur {s}.",
               "Signalement transmis au service propreté le {d}, passage prévu sous {k} jours.",
               "Réparation effectuée par l'équipe d'astreinte, dossier {n} clos.",
               "Devis demandé au prestataire, délai estimé à {k} semaines, réf. {n}.",
               "Doublon du signalement {n}, fusionné et clos par le pôle {s}."]


def street_reports(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Citizens' reports: the description mixes personal data into free text; the agents'
    notes do not."""
    rows = 400
    file = CorpusFile("signalements-voirie.csv")
    descriptions = []
    for _ in range(rows):
        subject = rng.choice(REPORT_SUBJECTS)
        first, last = fake.first_name(), fake.last_name()
        place = fake.street_name()
        extra = rng.random()
        if extra < 0.15:
            text = f"{subject} devant le {street(fake, rng)}, merci d'intervenir rapidement."
        elif extra < 0.3:
            text = f"{subject} {place}, signalé par {rng.choice(['M.', 'Mme'])} {last}, " \
                   f"rappeler au {mobile(rng)} si besoin."
        elif extra < 0.45:
            text = f"{subject} {place}. Contact : {private_email(rng, first, last)}."
        else:
            text = f"{subject} {place}, constaté ce matin vers {rng.randint(7, 19)}h" \
                   f"{rng.randint(0, 59):02d}, gêne pour les piétons."
        descriptions.append(text)
    file.add("date_signalement", [french_date(rng, date(2024, 1, 1), date(2024, 12, 31))
                                  for _ in range(rows)])
    file.add("categorie", [rng.choice(REPORT_SUBJECTS) for _ in range(rows)])
    file.add("description", descriptions, [("address", "direct"), ("phone", "direct"),
                                           ("email", "direct"), ("person_name", "direct")])
    file.add("note_agent", [rng.choice(AGENT_NOTES).format(
        n=rng.randint(1000, 99999), s=rng.choice(["nord", "sud", "est", "ouest"]),
        d=french_date(rng, date(2024, 1, 1), date(2024, 12, 31), False), k=rng.randint(2, 15),
    ) for _ in range(rows)])
    file.add("latitude", [coordinate(rng, 48.65, 48.72, 6) for _ in range(rows)],
             ("gps", "quasi"))
    file.add("longitude", [coordinate(rng, 6.13, 6.22, 6) for _ in range(rows)],
             ("gps", "quasi"))
    return file


DIAGNOSES = ["Diabète de type 2", "Asthme sévère", "Cancer du sein", "Dépression",
             "Maladie d'Alzheimer", "Handicap moteur", "Sclérose en plaques", "Épilepsie",
             "Insuffisance rénale", "Schizophrénie", "Hépatite C", "Autisme"]
NATIONALITIES = ["Française", "Française", "Française", "Algérienne", "Marocaine",
                 "Portugaise", "Italienne", "Turque", "Tunisienne", "Roumaine"]


def social_aid(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """A CCAS file: names, ages, nationality, diagnoses as the reason for aid."""
    rows = 300
    file = CorpusFile("ccas-aides-sociales.csv")
    names = people(fake, rows)
    file.add("numero_dossier", [f"CCAS-{rng.randint(10000, 99999)}" for _ in range(rows)])
    file.add("nom_prenom", [f"{last.upper()} {first}" for first, last in names],
             ("person_name", "direct"))
    file.add("age", [str(rng.randint(18, 95)) for _ in range(rows)], ("age", "quasi"))
    file.add("nationalite", [rng.choice(NATIONALITIES) for _ in range(rows)],
             ("nationality", "quasi"))
    file.add("profession", [fake.job() for _ in range(rows)], ("profession", "quasi"))
    file.add("motif", [rng.choice(DIAGNOSES) for _ in range(rows)], ("special", "sensitive"))
    file.add("handicap", [rng.choice(["oui", "non", "non", "non"]) for _ in range(rows)],
             ("special", "sensitive"))
    file.add("code_iris", [f"{rng.choice(towns)[0]}{rng.randint(101, 112):04d}"
                           for _ in range(rows)], ("iris", "quasi"))
    file.add("montant_aide", [amount(rng) for _ in range(rows)])
    return file


USER_AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0",
               "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
               "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0.0.0"]


def portal_logs(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Access logs: client IPs (direct); application versions look like IPv4 but are not."""
    rows = 500
    file = CorpusFile("journaux-portail-citoyen.csv")
    ips = [fake.ipv4_public() if rng.random() < 0.85 else fake.ipv6() for _ in range(rows)]
    file.add("horodatage", [f"{french_date(rng, date(2024, 3, 1), date(2024, 3, 31))}T"
                            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
                            for _ in range(rows)])
    file.add("adresse_ip", ips, ("ip", "direct"))
    file.add("url", [rng.choice(["/demarches/etat-civil", "/agenda", "/piscine/horaires",
                                 "/contact"]) for _ in range(rows)])
    file.add("statut_http", [rng.choice(["200", "200", "304", "404", "500"])
                             for _ in range(rows)])
    file.add("version_application", [f"{rng.randint(1, 3)}.{rng.randint(0, 9)}."
                                     f"{rng.randint(0, 9)}.{rng.randint(0, 9)}"
                                     for _ in range(rows)])
    file.add("navigateur", [rng.choice(USER_AGENTS) for _ in range(rows)])
    return file


SCHOOLS = ["École Jean Jaurès", "École Louise Michel", "École Victor Hugo",
           "Groupe scolaire Jules Ferry", "École du Placieux", "École Marie Curie"]


def school_registrations(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    rows = 350
    file = CorpusFile("inscriptions-periscolaire.csv")
    children = people(fake, rows)
    file.add("enfant_nom", [last for _, last in children], ("person_name", "direct"))
    file.add("enfant_prenom", [first for first, _ in children], ("person_name", "direct"))
    file.add("date_de_naissance", [french_date(rng, date(2013, 1, 1), date(2021, 8, 31), False)
                                   for _ in range(rows)], ("birth_date", "quasi"))
    file.add("sexe", [rng.choice(["Fille", "Garçon"]) for _ in range(rows)], ("sex", "quasi"))
    file.add("ecole", [rng.choice(SCHOOLS) for _ in range(rows)])
    file.add("allergies", [rng.choice(["aucune", "aucune", "aucune", "arachide", "gluten",
                                       "lactose", "asthme"]) for _ in range(rows)],
             ("special", "sensitive"))
    file.add("email_responsable", [private_email(rng, fake.first_name(), last)
                                   for _, last in children], ("email", "direct"))
    file.add("telephone_responsable",
             [mobile(rng) if rng.random() < 0.7 else landline(rng) for _ in range(rows)],
             ("phone", "direct"))
    file.add("quotient_familial", [str(rng.randint(200, 2500)) for _ in range(rows)])
    return file


def staff(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Human resources: names, work e-mails and direct lines (possibly personal), jobs,
    union membership."""
    rows = 220
    file = CorpusFile("agents-collectivite.csv")
    agents = people(fake, rows)
    file.add("matricule", [f"{rng.randint(100000, 999999)}" for _ in range(rows)])
    file.add("nom", [last.upper() for _, last in agents], ("person_name", "direct"))
    file.add("prenom", [first for first, _ in agents], ("person_name", "direct"))
    file.add("metier", [fake.job() for _ in range(rows)], ("profession", "quasi"))
    file.add("email_professionnel", [work_email(rng, f, n, "grandnancy.eu") for f, n in agents],
             ("email", "possible"))
    file.add("telephone_professionnel", [landline(rng) for _ in range(rows)],
             ("phone", "possible"))
    file.add("syndicat", [rng.choice(["CGT", "CFDT", "FO", "UNSA", "aucun", "aucun"])
                          for _ in range(rows)], ("special", "sensitive"))
    file.add("date_entree", [french_date(rng, date(1990, 1, 1), date(2024, 1, 1))
                             for _ in range(rows)])
    file.add("service", [rng.choice(["Voirie", "État civil", "Finances", "Espaces verts"])
                         for _ in range(rows)])
    return file


def resident_parking(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    rows = 300
    file = CorpusFile("vignettes-residents.csv")
    file.add("titulaire", [f"{fake.first_name()} {fake.last_name()}" for _ in range(rows)],
             ("person_name", "direct"))
    file.add("adresse_domicile", [f"{street(fake, rng)}, 54000 Nancy" for _ in range(rows)],
             ("address", "direct"))
    file.add("plaque", [plate(rng, old=rng.random() < 0.5) for _ in range(rows)],
             ("plate", "identifier"))
    file.add("secteur", [rng.choice(["A", "B", "C", "D"]) for _ in range(rows)])
    file.add("date_fin_validite", [french_date(rng, date(2025, 1, 1), date(2025, 12, 31))
                                   for _ in range(rows)])
    return file


AGE_BANDS = ["0-14 ans", "15-29 ans", "30-44 ans", "45-59 ans", "60-74 ans", "75 ans et plus"]
PCS = ["Agriculteurs exploitants", "Artisans, commerçants et chefs d'entreprise",
       "Cadres et professions intellectuelles supérieures", "Professions intermédiaires",
       "Employés", "Ouvriers", "Retraités", "Autres personnes sans activité professionnelle"]


def census_extract(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Quasi-identifiers only: age bands, sex, commune, IRIS, PCS, nationality."""
    rows = 800
    file = CorpusFile("recensement-extrait.csv")
    places = [rng.choice(towns[:60]) for _ in range(rows)]
    file.add("tranche_age", [rng.choice(AGE_BANDS) for _ in range(rows)], ("age", "quasi"))
    file.add("sexe", [rng.choice(["Homme", "Femme"]) for _ in range(rows)], ("sex", "quasi"))
    file.add("commune", [name for _, name in places], ("commune", "quasi"))
    file.add("iris", [f"{code}{rng.randint(101, 104):04d}" for code, _ in places],
             ("iris", "quasi"))
    file.add("pcs", [rng.choice(PCS) for _ in range(rows)], ("profession", "quasi"))
    file.add("nationalite", [rng.choice(["Française", "Étrangère"]) for _ in range(rows)],
             ("nationality", "quasi"))
    file.add("nb_personnes_menage", [str(rng.randint(1, 6)) for _ in range(rows)])
    return file


CONTRACT_SUBJECTS = [
    "Travaux de réfection de la toiture du groupe scolaire, lot {k}",
    "Fourniture de denrées alimentaires pour la restauration collective, marché {n}",
    "Maintenance des installations de chauffage des bâtiments communaux, {k} ans",
    "Mission de maîtrise d'oeuvre pour la requalification de la place centrale, phase {k}",
    "Entretien des espaces verts du secteur {s}, accord-cadre {n}",
]


def public_contracts(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Companies holding public contracts: SIRETs and functional contacts are not personal;
    the subject is free text without personal data."""
    rows = 200
    file = CorpusFile("marches-publics.csv")
    holders = [(fake.company(), siret(rng)) for _ in range(60)]
    picks = [rng.choice(holders) for _ in range(rows)]
    file.add("objet", [rng.choice(CONTRACT_SUBJECTS).format(
        k=rng.randint(1, 9), n=f"{rng.randint(2020, 2025)}-{rng.randint(1, 999):03d}",
        s=rng.choice(["nord", "sud", "centre"])) for _ in range(rows)])
    file.add("titulaire", [name for name, _ in picks])
    file.add("siret_titulaire", [number for _, number in picks])
    file.add("contact_titulaire", [f"marches@{plain(name.split()[0])}.fr" for name, _ in picks])
    file.add("montant_ht", [amount(rng, 4, comma=False) for _ in range(rows)])
    file.add("code_cpv", [rng.choice(["45261210", "15000000", "50720000", "71000000"])
                          for _ in range(rows)])
    return file


def baby_names(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """SCDL "prénoms des nouveau-nés": first names with their counts, a statistic."""
    rows = 400
    file = CorpusFile("prenoms-nouveaux-nes.csv")
    places = [rng.choice(towns[:20]) for _ in range(rows)]
    file.add("COMMUNE_NOM", [name for _, name in places], ("commune", "quasi"))
    file.add("COLL_INSEE", [code for code, _ in places], ("commune", "quasi"))
    file.add("ENFANT_SEXE", [rng.choice(["M", "F"]) for _ in range(rows)], ("sex", "quasi"))
    file.add("ENFANT_PRENOM", [fake.first_name() for _ in range(rows)])
    file.add("NOMBRE_OCCURRENCES", [str(rng.randint(1, 12)) for _ in range(rows)])
    file.add("ANNEE", [str(rng.randint(2015, 2024)) for _ in range(rows)])
    return file


def association_contacts(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Associations with their presidents: the presidents are persons, the SIRETs are the
    associations' (not personal), the head-office addresses are no one's home."""
    rows = 250
    file = CorpusFile("annuaire-associations.csv")
    presidents = people(fake, rows)
    file.add("association", [f"{rng.choice(ASSOCIATION_HEADS)} {rng.choice(towns)[1]}"
                             for _ in range(rows)])
    file.add("siret", blanks(rng, [siret(rng) for _ in range(rows)], 0.2))
    file.add("adresse_siege", [street(fake, rng) for _ in range(rows)])
    file.add("president", [f"{first} {last}" for first, last in presidents],
             ("person_name", "direct"))
    file.add("email_president",
             [private_email(rng, f, n) if rng.random() < 0.6 else
              f"president@{plain(n)}-asso.fr" for f, n in presidents], ("email", "direct"))
    file.add("telephone_president",
             [mobile(rng) if rng.random() < 0.65 else landline(rng) for _ in range(rows)],
             ("phone", "direct"))
    file.add("nombre_adherents", [str(rng.randint(5, 400)) for _ in range(rows)])
    return file


GENRES = ["Roman", "Policier", "Bande dessinée", "Science-fiction", "Documentaire",
          "Poésie", "Jeunesse", "Manga"]


def library_loans(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Loans: a "genre" that is a literary genre, EAN barcodes, pseudonymous reader ids."""
    rows = 500
    file = CorpusFile("mediatheque-prets.csv")
    file.add("lecteur", [f"L{rng.randint(10**6, 10**7 - 1)}" for _ in range(rows)])
    file.add("code_barre", [f"978{rng.randint(10**9, 10**10 - 1)}" for _ in range(rows)])
    file.add("genre", [rng.choice(GENRES) for _ in range(rows)])
    file.add("date_pret", [french_date(rng, date(2024, 1, 1), date(2024, 12, 31))
                           for _ in range(rows)])
    file.add("duree_jours", [str(rng.choice([14, 21, 28])) for _ in range(rows)])
    file.add("annexe", [rng.choice(["Centre", "Haussonville", "Plateau de Haye"])
                        for _ in range(rows)])
    return file


ORGANISATIONS = ["Préfecture de Meurthe-et-Moselle", "Conseil départemental",
                 "Association des maires ruraux", "Caisse d'allocations familiales",
                 "Syndicat des eaux de la Mortagne", "Office de tourisme", "SNCF Réseau",
                 "Enedis", "Chambre d'agriculture", "Rectorat de Nancy-Metz"]


def incoming_mail(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """Mail register: senders are persons or organisations, about half each."""
    rows = 300
    file = CorpusFile("courrier-entrant.csv")
    senders = [f"{rng.choice(['M.', 'Mme'])} {fake.first_name()} {fake.last_name()}"
               if rng.random() < 0.55 else rng.choice(ORGANISATIONS) for _ in range(rows)]
    file.add("date_reception", [french_date(rng, date(2024, 1, 1), date(2024, 12, 31), False)
                                for _ in range(rows)])
    file.add("expediteur", senders, ("person_name", "direct"))
    file.add("service_destinataire", [rng.choice(["Urbanisme", "État civil", "Voirie"])
                                      for _ in range(rows)])
    file.add("reference", [f"CE-2024-{i:05d}" for i in range(rows)])
    return file


def club_members(rng: random.Random, fake: Faker, towns) -> CorpusFile:
    """A club's members listed by surname only, with their town: no first names beside
    them, so the surnames are hard to tell from other words."""
    rows = 200
    file = CorpusFile("adherents-club.csv")
    file.add("nom", [fake.last_name() for _ in range(rows)], ("person_name", "direct"))
    file.add("ville", [rng.choice(towns)[1] for _ in range(rows)], ("commune", "quasi"))
    file.add("categorie", [rng.choice(["Poussin", "Benjamin", "Minime", "Cadet", "Senior"])
                           for _ in range(rows)])
    file.add("licence", [f"{rng.randint(10**7, 10**8 - 1)}" for _ in range(rows)])
    return file


# --- files and scores ---------------------------------------------------------------------


def write(files: list[CorpusFile], directory: Path) -> list[Path]:
    """Each file as CSV (``;``, UTF-8, empty cells for missing values)."""
    paths = []
    for file in files:
        path = Path(directory) / file.name
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(file.columns)
            for row in zip(*file.columns.values(), strict=True):
                writer.writerow(["" if value is None else value for value in row])
        paths.append(path)
    return paths


@dataclass
class Score:
    true: int = 0
    false: int = 0
    missed: int = 0

    @property
    def precision(self) -> float:
        return self.true / (self.true + self.false) if self.true + self.false else 1.0

    @property
    def recall(self) -> float:
        return self.true / (self.true + self.missed) if self.true + self.missed else 1.0


def matches(kind: str, predicted: str, expected: str) -> bool:
    """A prediction counts when the kind matches; for direct identifiers, the category too."""
    return kind not in DIRECT_KINDS or predicted == expected


def evaluate(
    files: list[CorpusFile], predict: Callable[[CorpusFile], list[tuple[str, str, str]]]
) -> tuple[dict[str, Score], list[str]]:
    """Scores per kind, and a line per error. ``predict`` returns (column, kind, category)
    for a file."""
    scores: dict[str, Score] = {}
    errors = []
    for file in files:
        predicted = predict(file)
        for column, kinds in file.expected.items():
            guesses = [(k, c) for col, k, c in predicted if col == column]
            for kind, category in kinds:
                score = scores.setdefault(kind, Score())
                if any(k == kind and matches(kind, c, category) for k, c in guesses):
                    score.true += 1
                else:
                    score.missed += 1
                    errors.append(f"missed {file.name}:{column} {kind}/{category} "
                                  f"(got {guesses})")
            for kind, category in guesses:
                if not any(k == kind and matches(kind, category, c) for k, c in kinds):
                    scores.setdefault(kind, Score()).false += 1
                    errors.append(f"false {file.name}:{column} {kind}/{category} "
                                  f"(expected {kinds})")
    return scores, errors


def direct_score(scores: dict[str, Score]) -> Score:
    total = Score()
    for kind in DIRECT_KINDS:
        score = scores.get(kind, Score())
        total.true += score.true
        total.false += score.false
        total.missed += score.missed
    return total


def table(scores: dict[str, Score]) -> str:
    """Precision and recall per kind, then over the direct identifiers."""
    lines = [f"{'detector':<14} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}"]
    for kind in sorted(scores, key=lambda k: (k not in DIRECT_KINDS, k)):
        score = scores[kind]
        lines.append(f"{kind:<14} {score.true:>4} {score.false:>4} {score.missed:>4} "
                     f"{score.precision:>10.3f} {score.recall:>8.3f}")
    total = direct_score(scores)
    lines.append(f"{'direct ids':<14} {total.true:>4} {total.false:>4} {total.missed:>4} "
                 f"{total.precision:>10.3f} {total.recall:>8.3f}")
    return "\n".join(lines)


def column_count(files: list[CorpusFile]) -> int:
    return sum(len(file.columns) for file in files)
