"""Realistic demo CSV files for a collectivité, for demos and tests.

Seven kinds follow an official Table Schema bundled in ``data/schemas`` (SCDL and IRVE). Three
kinds hold personal data on purpose, so that the GDPR checks have something to find. Output
is deterministic for a given seed. Only package data is read: bundled schemas and territories.
"""

from __future__ import annotations

import csv
import functools
import gzip
import itertools
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from stdnum import iban, luhn
from stdnum.fr import nir
from stdnum.fr import siren as stdnum_siren

_DATA = Path(__file__).parent / "data"
_YEAR = 2024  # reference year of the demo data
Row = dict[str, str]


@dataclass(frozen=True)
class Publisher:
    """The collectivité that publishes the file."""

    name: str  # e.g. "Ville de Nancy"
    siren: str  # 9 digits, valid Luhn
    insee_code: str | None  # commune INSEE code when the publisher is a commune, else None
    commune_codes: tuple[str, ...]  # INSEE codes of communes on its territory (at least one)
    commune_names: tuple[str, ...]  # names matching commune_codes

    def __post_init__(self) -> None:
        if not stdnum_siren.is_valid(self.siren):
            raise ValueError(f"invalid SIREN {self.siren!r}")
        if not self.commune_codes or len(self.commune_codes) != len(self.commune_names):
            raise ValueError("commune_codes and commune_names must be non-empty and match")


# ---------------------------------------------------------------- identifiers


def _siret(siren: str, nic: str = "0001") -> str:
    """SIREN + 4-digit NIC stem + the Luhn digit over the 14 digits."""
    return siren + nic + luhn.calc_check_digit(siren + nic)


def _random_siren(rng: random.Random) -> str:
    body = rng.choice("34578") + f"{rng.randrange(10**7):07d}"
    return body + luhn.calc_check_digit(body)


def _nir(rng: random.Random, sexe: str, born: date, birthplace: str) -> str:
    """French NIR: sex, yymm, 5-char birthplace (département + commune), order, key."""
    body = f"{1 if sexe == 'M' else 2}{born:%y%m}{birthplace}{rng.randint(1, 999):03d}"
    return body + nir.calc_check_digits(body)


_BANKS = ("30003", "30004", "20041", "10278", "14707", "15135", "30002", "10096")


def _iban(rng: random.Random) -> str:
    """French IBAN: bank, branch, account, RIB key, then the IBAN mod-97 check digits."""
    bank, branch, account = rng.choice(_BANKS), rng.randrange(10**5), rng.randrange(10**11)
    rib_key = 97 - (89 * int(bank) + 15 * branch + 3 * account) % 97
    bban = f"{bank}{branch:05d}{account:011d}{rib_key:02d}"
    return "FR" + iban.calc_check_digits(f"FR00{bban}") + bban


def _uai(dept: str, rng: random.Random) -> str:
    """Éducation nationale UAI code: 7 characters and a check letter."""
    digits = f"0{dept}{rng.randrange(10**4):04d}"
    return digits + "ABCDEFGHJKLMNPRSTUVWXYZ"[int(re.sub(r"\D", "0", digits)) % 23]


def _mobile(rng: random.Random) -> str:
    """French mobile number, 06 or 07, written in pairs."""
    prefix = rng.choice(["06", "06", "07"])
    digits = f"{prefix}{rng.randint(3 if prefix == '07' else 0, 9)}{rng.randrange(10**7):07d}"
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def _landline(rng: random.Random, insee: str) -> str:
    """Lorraine landline in the European style of the equipements schema: +33 383123456."""
    area = {"54": "83", "57": "87", "55": "29", "88": "29"}.get(insee[:2], "83")
    return f"+33 3{area}{rng.randrange(10**6):06d}"


# ---------------------------------------------------------------- names and places


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae"})


def _ascii(text: str) -> str:
    text = text.translate(_LIGATURES)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-")


_PREFIXES = ("Ville de ", "Ville d'", "Commune de ", "Commune d'", "Mairie de ", "Mairie d'")


def _short(p: Publisher) -> str:
    """'Ville de Nancy' -> 'Nancy'; other publishers keep their name."""
    return next((p.name[len(x) :] for x in _PREFIXES if p.name.startswith(x)), p.name)


def _domain(p: Publisher) -> str:
    return _slug(_short(p)) + ".fr"


def _de(name: str) -> str:
    """French 'de' before a place name: 'd'Épinal', 'du Ban-Saint-Martin', 'de Nancy'."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    return ("d'" if name[0] in "AEIOUYÉÈÊÎÔŒ" else "de ") + name


def _in_text(street: str) -> str:
    """'Rue Pasteur' -> 'rue Pasteur', to use a street name inside a sentence."""
    return street if street.startswith("Grande") else street[0].lower() + street[1:]


def _address_commune(name: str) -> str:
    """Commune name within the equipements ADR_COMMUNE pattern: 'œ' -> 'oe', "'" -> ' '."""
    return re.sub(r"[^A-Za-z\s\-À-ÿ]", " ", name.translate(_LIGATURES))


# Real postal codes of the main Lorraine communes; other communes get a plausible one.
_POSTCODES = dict(
    pair.split(":")
    for pair in _words("""54395:54000 54547:54500 54304:54520 54578:54600 54357:54320 54339:54220
    54184:54270 54482:54130 54526:54510 54274:54140 54257:54180 54265:54180 54328:54710
    54197:54710 54498:54280 54439:54425 54495:54420 54025:54510 54165:54130 54300:54410
    57463:57000 88160:88000 55029:55000 55545:55100 57672:57100 54329:54300 54528:54200
    54431:54700 88413:88100 57227:57600 57631:57200 54323:54400 88383:88200 88321:88300
    55122:55200 55463:55300 57480:57950 57751:57140 57757:57970 57306:57700 57630:57400
    88196:88400 88516:88800 54280:54240 88372:88110 54076:54360""")
)


def _postcode(insee: str) -> str:
    return _POSTCODES.get(insee) or f"{insee[:2]}{int(insee[2:]) * 7 % 89 + 10:02d}0"


@functools.cache
def _commune_geometries() -> dict[str, dict]:
    """INSEE code -> GeoJSON geometry, from the territories bundled with the package."""
    geometries: dict[str, dict] = {}
    for path in sorted((_DATA / "territories").glob("communes-*.geojson.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for feature in json.load(fh)["features"]:
                geometries[feature["properties"]["code"]] = feature["geometry"]
    return geometries


@functools.cache
def _commune_shape(insee: str) -> BaseGeometry | None:
    geometry = _commune_geometries().get(insee)
    return shape(geometry) if geometry else None


def _point(rng: random.Random, insee: str) -> tuple[float, float]:
    """A (lon, lat) point inside the commune, or somewhere in Lorraine if it is not bundled."""
    polygon = _commune_shape(insee)
    if polygon is None:
        return round(rng.uniform(5.8, 6.9), 6), round(rng.uniform(48.1, 49.5), 6)
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(100):
        lon, lat = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
        if polygon.contains(Point(lon, lat)):
            return lon, lat
    centre = polygon.representative_point()
    return round(centre.x, 6), round(centre.y, 6)


def _pick_commune(rng: random.Random, p: Publisher) -> tuple[str, str]:
    """(code, name) of a commune of the territory, the first (main) one more often."""
    i = 0 if rng.random() < 0.35 else rng.randrange(len(p.commune_codes))
    return p.commune_codes[i], p.commune_names[i]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


_SURNAMES = _words("""
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel
Lefebvre Leroy David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau
Vincent Muller Mercier Blanc Guérin Garnier Chevalier François Legrand Gauthier Perrin Robin
Clément Morin Nicolas Henry Mathieu Masson Marchand Denis Lemaire Noël Meyer Brun Joly Lucas
Gaillard Barbier Arnaud Gérard Renard Schmitt Colin Vidal Picard Aubert Lemoine Renaud Olivier
Philippe Pierre Benoît Guillaume Hubert Berger Klein Jacquot Adam Poirier Charles Weber Thiriet
Thiébaut Didier Claude Marchal Humbert Mangin Georges Henrion Grandjean Husson Poirot Thouvenin
Vautrin Collignon Aubertin Parisot Pierson Becker Wagner Hoffmann Schwartz Zimmermann Kieffer
Lang Ferry Gérardin Lhuillier Jacob Etienne Mougenot Rémy Antoine Toussaint Vuillaume""")
_GIRLS = _words("""
Jade Louise Emma Ambre Alice Rose Anna Alba Romy Mia Lina Léna Julia Chloé Inès Léa
Agathe Iris Juliette Mila Zoé Nina Jeanne Camille Lou Margaux Adèle Lola Léonie Charlotte Sarah
Victoria Louna Manon Eva Lucie Éloïse Maëlys Clémence Lou-Anne Capucine Apolline Gabrielle
Hanna Lyna Mathilde Anaïs Nour Valentine""")
_BOYS = _words("""
Gabriel Léo Raphaël Arthur Louis Jules Adam Maël Lucas Hugo Noah Liam Gabin Sacha Paul
Nathan Aaron Mohamed Ethan Tom Eden Léon Noé Tiago Théo Isaac Marius Victor Martin Naël Mathis
Axel Robin Timéo Enzo Marceau Valentin Nino Eliott Nolan Malo Milo Antoine Samuel Baptiste Côme
Émile Jean-Baptiste Ayoub Clément""")
_WOMEN = _words("""
Marie Nathalie Isabelle Sylvie Catherine Christine Sandrine Valérie Stéphanie Céline
Aurélie Julie Émilie Sophie Laetitia Élodie Caroline Virginie Anne Monique Françoise Martine
Jacqueline Nicole Patricia Brigitte Chantal Laura Camille Manon Pauline Marine Fatima Sarah""")
_MEN = _words("""
Jean Pierre Michel Philippe Alain Patrick Nicolas Christophe Stéphane Laurent Frédéric
Éric Sébastien David Julien Thierry Pascal Olivier Franck Jérôme Bernard Daniel Gérard Claude
Jacques Thomas Maxime Kevin Anthony Romain Mathieu Guillaume Mehdi Karim""")
_STREETS = (
    "Rue Saint-Dizier", "Rue des Jardiniers", "Avenue de la Libération", "Rue Jeanne d'Arc",
    "Boulevard Jean Jaurès", "Rue du Général Leclerc", "Place Charles de Gaulle",
    "Rue Victor Hugo", "Rue Pasteur", "Rue de la Gare", "Rue de l'Église", "Grande Rue",
    "Rue du Moulin", "Rue des Écoles", "Rue de Metz", "Avenue Foch", "Rue Gambetta",
    "Rue Émile Gallé", "Rue Stanislas", "Rue du Docteur Schweitzer", "Allée des Tilleuls",
    "Impasse des Mirabelliers", "Chemin du Pâquis", "Rue des Vignes", "Rue Raymond Poincaré",
    "Rue du Maréchal Lyautey", "Rue Jules Ferry", "Avenue du 8 Mai 1945",
    "Rue du 11 Novembre 1918", "Rue de la République", "Rue Sainte-Catherine",
    "Rue de la Mairie", "Rue des Tanneurs", "Rue du Haut-Bourgeois", "Quai Claude le Lorrain",
)
_PEOPLE = (
    "Jules Ferry", "Jean Jaurès", "Victor Hugo", "Louis Pasteur", "Jacques Prévert",
    "Marie Curie", "Jean Moulin", "Charles Péguy", "Émile Gallé", "Jean Prouvé",
    "Georges de La Tour", "Paul Verlaine", "Raymond Poincaré", "Jeanne d'Arc", "Jean Lamour",
    "Victor Prouvé", "Simone Veil", "Léo Lagrange", "Pierre de Coubertin",
    "Antoine de Saint-Exupéry",
)


def _person(rng: random.Random, child: bool = False) -> tuple[str, str, str]:
    """(sexe, prénom, nom) of a child or an adult."""
    sexe = rng.choice("FM")
    firsts = (_GIRLS if sexe == "F" else _BOYS) if child else (_WOMEN if sexe == "F" else _MEN)
    return sexe, rng.choice(firsts), rng.choice(_SURNAMES)


def _address(rng: random.Random) -> str:
    return f"{rng.randint(1, 120)} {rng.choice(_STREETS)}"


def _email(rng: random.Random, prenom: str, nom: str) -> str:
    domain = rng.choices(["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"],
                         weights=[6, 2, 1, 1, 1])[0]
    suffix = rng.choice(["", "", "", str(rng.randint(1, 99))])
    return f"{_slug(prenom).replace('-', '')}.{_slug(nom).replace('-', '')}{suffix}@{domain}"


# ---------------------------------------------------------------- subventions


_ASSOCIATIONS = (
    ("Association sportive {de}", "sport"), ("Football Club {de}", "sport"),
    ("Judo Club {de}", "sport"), ("Tennis Club {de}", "sport"), ("Handball Club {de}", "sport"),
    ("Comité des fêtes {de}", "fetes"), ("Harmonie municipale {de}", "culture"),
    ("Chorale Sainte-Cécile {de}", "culture"), ("École de musique {de}", "culture"),
    ("Les Amis du patrimoine {de}", "patrimoine"),
    ("Maison des jeunes et de la culture {de}", "culture"),
    ("Amicale des sapeurs-pompiers {de}", "civique"),
    ("Amicale des donneurs de sang bénévoles {de}", "civique"),
    ("Club de l'amitié des aînés {de}", "aines"),
    ("Secours populaire français - comité {de}", "social"),
    ("Croix-Rouge française - unité locale {de}", "social"),
    ("Les Restaurants du Cœur - antenne {de}", "social"),
    ("Association des parents d'élèves de l'école Jules Ferry {de}", "scolaire"),
    ("Union des commerçants et artisans {de}", "commerce"),
    ("Jardins familiaux {de}", "environnement"),
)
_OBJECTS = {
    "sport": ("Subvention de fonctionnement {year}", "Organisation du tournoi annuel",
              "Achat de matériel sportif", "Soutien à l'école de sport des jeunes"),
    "fetes": ("Organisation de la fête de la Saint-Nicolas", "Organisation du marché de Noël",
              "Fête de la mirabelle {year}"),
    "culture": ("Subvention de fonctionnement {year}", "Concert de printemps",
                "Saison culturelle {year}"),
    "patrimoine": ("Restauration du patrimoine local", "Journées européennes du patrimoine {year}"),
    "aines": ("Repas annuel des aînés", "Sorties et activités des aînés {year}"),
    "civique": ("Subvention de fonctionnement {year}", "Organisation des collectes de sang"),
    "social": ("Aide alimentaire et accompagnement des familles",
               "Soutien aux actions de solidarité {year}", "Subvention de fonctionnement {year}"),
    "scolaire": ("Classe de découverte des élèves de CM2", "Fête de fin d'année scolaire"),
    "commerce": ("Animations commerciales de fin d'année", "Quinzaine commerciale de printemps"),
    "environnement": ("Entretien des parcelles et compostage partagé",),
}
_IN_KIND = ("Mise à disposition gratuite de la salle des fêtes",
            "Prêt de matériel et de barnums pour une manifestation",
            "Mise à disposition d'un minibus municipal")


def _act_prefix(p: Publisher) -> str:
    """Act numbering: délibération du conseil municipal, départemental or communautaire."""
    if p.insee_code:
        return "DCM"
    return "DCD" if p.name.startswith("Département") else "DCC"


def _subventions(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """One row per convention; beneficiaries are association-like names of the territory."""
    siret = _siret(p.siren)
    beneficiaries = []
    for code, name in zip(p.commune_codes, p.commune_names, strict=True):
        for template, category in rng.sample(_ASSOCIATIONS, min(8, len(_ASSOCIATIONS))):
            beneficiary_siret = _siret(_random_siren(rng), f"000{rng.randint(1, 3)}")
            greffe = re.sub(r"\D", "0", code[:2]) + str(rng.randint(1, 3))  # 2A -> 20
            rna = f"W{greffe}{rng.randrange(10**6):06d}"
            beneficiaries.append((template.format(de=_de(name)), beneficiary_siret, rna, category))
    for i in range(n):  # conventions in date order through the year
        label, beneficiary_siret, rna, category = rng.choice(beneficiaries)
        signed = date(_YEAR, 1, 8) + timedelta(days=i * 340 // n)
        year = signed.year
        in_kind = rng.random() < 0.12
        amount = rng.choice([150, 200, 300, 500, 750, 800, 1000, 1200, 1500, 2000, 2500, 3000,
                             4500, 5000, 8000, 12000, 15000, 25000])
        staged = amount >= 8000 and not in_kind
        paid = signed + timedelta(days=rng.randint(10, 60))
        yield {
            "nomAttribuant": p.name,
            "idAttribuant": siret,
            "dateConvention": signed.isoformat(),
            "referenceDecision": f"{_act_prefix(p)}-{year}-{i * 150 // n + 1:03d}",
            "nomBeneficiaire": label,
            "idBeneficiaire": beneficiary_siret,
            "rnaBeneficiaire": rna,
            "objet": (rng.choice(_IN_KIND) if in_kind
                      else rng.choice(_OBJECTS[category]).format(year=year)),
            "montant": f"{amount if not in_kind else rng.randint(150, 1200):.2f}",
            "nature": "aide en nature" if in_kind else rng.choices(
                ["aide en numéraire", "aide en numéraire;aide en nature"], weights=[9, 1])[0],
            "conditionsVersement": "échelonné" if staged else "unique",
            "datesPeriodeVersement": (f"{paid}/{paid + timedelta(days=180)}" if staged
                                      else paid.isoformat()),
            "notificationUE": "non",
            "pourcentageSubvention": "1.00" if rng.random() < 0.9
            else f"{rng.uniform(0.2, 0.8):.2f}",
        }


# ---------------------------------------------------------------- délibérations


_ACTES_TITLES = {
    "1": "commande publique", "2": "urbanisme", "3": "domaine et patrimoine",
    "4": "fonction publique", "5": "institutions et vie politique", "7": "finances locales",
    "8": "domaines de compétences par thèmes", "9": "autres domaines de compétences",
}
_DELIBERATIONS = {  # ACTES code: (sub-matter, subjects)
    "1.1": ("marchés publics", (
        "Marché de travaux de rénovation énergétique de l'école {person} - autorisation de signer",
        "Groupement de commandes pour la fourniture de gaz naturel - adhésion",
        "Accord-cadre d'entretien des espaces verts - attribution")),
    "1.2": ("délégation de service public", (
        "Rapport annuel {prev} du délégataire du service public de l'eau potable",
        "Délégation de service public de la fourrière automobile - choix du délégataire")),
    "1.4": ("autres types de contrats", (
        "Convention d'occupation du domaine public pour l'installation d'antennes relais",)),
    "2.1": ("documents d'urbanisme", (
        "Modification simplifiée n°{k} du plan local d'urbanisme - approbation",
        "Débat sur les orientations du projet d'aménagement et de développement durables")),
    "2.3": ("droit de préemption urbain", (
        "Exercice du droit de préemption urbain - immeuble situé {address}",)),
    "3.1": ("acquisitions", (
        "Acquisition de la parcelle cadastrée section {section} n°{k} {street}",)),
    "3.2": ("aliénations", ("Cession d'un terrain communal situé {street}",)),
    "3.3": ("locations", ("Bail du logement de fonction de l'école {person}",)),
    "3.5": ("autres actes de gestion du domaine public", (
        "Dénomination de la place {person}", "Tarifs d'occupation du domaine public {year}")),
    "4.1": ("personnel titulaires et stagiaires de la f.p.t.", (
        "Modification du tableau des effectifs",
        "Création d'un poste d'adjoint technique principal de 2e classe")),
    "4.2": ("personnel contractuel", (
        "Recrutement d'agents contractuels pour accroissement saisonnier d'activité",)),
    "4.5": ("régime indemnitaire", ("Mise à jour du RIFSEEP",)),
    "5.2": ("fonctionnement des assemblées", (
        "Approbation du procès-verbal de la séance précédente",
        "Modification du règlement intérieur du conseil")),
    "5.3": ("désignation de représentants", (
        "Désignation des représentants au conseil d'administration du collège {person}",
        "Désignation d'un délégué au syndicat départemental d'électricité")),
    "5.7": ("intercommunalité", (
        "Rapport d'activité {prev} de l'établissement public de coopération intercommunale",
        "Modification des statuts du syndicat intercommunal des eaux")),
    "7.1": ("décisions budgétaires", (
        "Budget primitif {year}", "Décision modificative n°{k}",
        "Compte administratif {prev}", "Affectation du résultat de l'exercice {prev}")),
    "7.2": ("fiscalité", ("Vote des taux d'imposition {year}",
                          "Taxe d'aménagement - exonérations facultatives")),
    "7.3": ("emprunts", ("Réalisation d'un emprunt de {amount} euros auprès de la Banque des "
                         "Territoires",)),
    "7.5": ("subventions", ("Attribution de subventions aux associations sportives",
                            "Attribution de subventions aux associations culturelles",
                            "Subvention exceptionnelle au comité des fêtes")),
    "7.10": ("divers", ("Tarifs municipaux {year}",
                        "Admission en non-valeur de créances irrécouvrables")),
    "8.1": ("enseignement", (
        "Participation aux frais de fonctionnement des écoles - année scolaire {year}-{next}",
        "Tarifs de la restauration scolaire et des accueils périscolaires")),
    "8.3": ("voirie", ("Programme de travaux de voirie {year}",
                       "Classement dans le domaine public de la voirie du lotissement des "
                       "Vergers")),
    "8.5": ("politique de la ville-habitat-logement", (
        "Garantie d'emprunt accordée à l'office public de l'habitat",)),
    "8.8": ("environnement", (
        "Programme de rénovation de l'éclairage public en LED",
        "Adhésion à la charte régionale d'entretien des espaces publics sans pesticide")),
    "8.9": ("culture", ("Programmation culturelle de la saison {year}-{next}",
                        "Convention avec l'école de musique intercommunale")),
    "9.4": ("vœux et motions", (
        "Motion pour le maintien du service des urgences de l'hôpital de proximité",
        "Vœu relatif à la desserte ferroviaire du sillon lorrain")),
}


def _deliberations(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """About ten council sessions a year, several deliberations each, with votes."""
    siret, prefix = _siret(p.siren), _act_prefix(p)
    dept = p.commune_codes[0][:2]
    seats = rng.choice([23, 27, 29, 33, 35, 39, 43, 49, 55] if p.insee_code else [46, 54, 72, 80])
    per_session = max(1, -(-n // 10))
    seq = 0
    for session in itertools.count():
        year, month = _YEAR + session // 10, (1, 2, 3, 4, 5, 6, 7, 9, 10, 12)[session % 10]
        sitting = date(year, month, rng.randint(2, 24))
        if sitting.weekday() > 4:  # councils sit on weekdays
            sitting += timedelta(days=7 - sitting.weekday())
        present = seats - rng.randint(0, 6)
        for _ in range(per_session):
            seq += 1
            code = rng.choice(list(_DELIBERATIONS))
            matter, subjects = _DELIBERATIONS[code]
            subject = rng.choice(subjects).format(
                person=rng.choice(_PEOPLE), prev=year - 1, year=year, next=year + 1,
                k=rng.randint(1, 4), section=rng.choice(["AB", "AC", "AK", "BE", "ZA"]),
                address=_address(rng), street=_in_text(rng.choice(_STREETS)),
                amount=f"{rng.randint(3, 40) * 50_000:_}".replace("_", " "))
            against = rng.choice([0] * 6 + [2, 3, 5, 7])
            abstain = rng.choice([0] * 6 + [1, 2, 4])
            delib_id = f"{prefix}-{year}-{seq:03d}"
            budget = code.startswith("7.")
            yield {
                "COLL_NOM": p.name, "COLL_SIRET": siret, "DELIB_ID": delib_id,
                "DELIB_DATE": sitting.isoformat(), "DELIB_MATIERE_CODE": code,
                "DELIB_MATIERE_NOM": f"{_ACTES_TITLES[code.split('.')[0]]}/{matter}",
                "DELIB_OBJET": subject,
                "BUDGET_ANNEE": str(year) if budget else "",
                "BUDGET_NOM": "Budget principal" if budget else "",
                "PREF_ID": f"PREF{dept:0>3}",
                "PREF_DATE": (sitting + timedelta(days=rng.randint(1, 8))).isoformat(),
                "VOTE_EFFECTIF": str(seats), "VOTE_REEL": str(present),
                "VOTE_POUR": str(present - against - abstain), "VOTE_CONTRE": str(against),
                "VOTE_ABSTENTION": str(abstain),
                "DELIB_URL": f"https://www.{_domain(p)}/deliberations/{year}/{delib_id}.pdf",
            }


# ---------------------------------------------------------------- équipements


_HOURS_SCHOOL = "Mo,Tu,Th,Fr 08:30-11:45,13:45-16:30"
_EQUIPMENTS = (  # theme, nomenclature code, type, name, ERP type, ERP categories, opening hours
    ("Equipement administratif", "01010401", "Mairie", "Hôtel de ville {de}", "W", (3, 4),
     "Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00"),
    ("Equipement cultuel", "07010101", "Église", "Église Saint-{saint}", "V", (3, 4), ""),
    ("Equipement social et d'animation", "04010101", "Salle polyvalente", "Salle des fêtes {de}",
     "L", (3, 4), ""),
    ("Autre équipement", "10010101", "Cimetière", "Cimetière communal {de}", "", (),
     "Mo-Su 08:00-18:00"),
    # the ones above are once per commune, the ones below repeat
    ("Equipement d'enseignement", "06010101", "École maternelle", "École maternelle {person}",
     "R", (5,), _HOURS_SCHOOL),
    ("Equipement d'enseignement", "06010201", "École élémentaire", "École élémentaire {person}",
     "R", (4, 5), _HOURS_SCHOOL),
    ("Equipement sportif et de loisirs", "05010101", "Gymnase", "Gymnase {person}", "X", (3, 4),
     "Mo-Fr 08:00-22:00; Sa 09:00-18:00"),
    ("Equipement sportif et de loisirs", "05010201", "Stade", "Stade {person}", "PA", (4, 5), ""),
    ("Equipement sportif et de loisirs", "05010301", "Piscine", "Piscine {person}", "X", (2, 3),
     "Tu-Fr 12:00-14:00,17:00-20:00; Sa,Su 09:00-18:00"),
    ("Equipement sportif et de loisirs", "05020101", "Aire de jeux", "Aire de jeux {street}",
     "", (), "Mo-Su 08:00-20:00"),
    ("Equipement culturel", "08010101", "Médiathèque", "Médiathèque {person}", "S", (3, 4),
     "Tu,Th,Fr 13:00-18:00; We,Sa 10:00-18:00"),
    ("Equipement social et d'animation", "04020101", "Crèche", "Multi-accueil Les {kids}", "R",
     (5,), "Mo-Fr 07:30-18:30"),
    ("Equipement sanitaire", "03010101", "Maison de santé pluriprofessionnelle",
     "Maison de santé {de}", "U", (5,), "Mo-Fr 08:00-20:00; Sa 08:00-12:00"),
    ("Equipement de mobilité", "09010101", "Parking public", "Parking {person}", "", (), "24/7"),
)
_SAINTS = ("Epvre", "Nicolas", "Martin", "Pierre", "Étienne", "Gengoult", "Maurice", "Rémy")
_KIDS = ("P'tits Loups", "Lutins", "Mirabelles", "Petits Princes", "Frimousses", "Coccinelles")


def _equipements(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """Mairie, église, salle des fêtes and cimetière of each commune, then other equipment."""
    siret = _siret(p.siren)
    counters: dict[tuple[str, str], int] = {}  # (commune, nomenclature code) -> last order
    once = [(i, e) for i in range(len(p.commune_codes)) for e in _EQUIPMENTS[:4]]
    repeated = ((rng.randrange(len(p.commune_codes)), rng.choices(
        _EQUIPMENTS[4:], weights=[5, 5, 3, 2, 1, 3, 2, 2, 1, 2])[0]) for _ in itertools.count())
    for i, equipment in itertools.chain(once, repeated):
        theme, code8, kind, template, erp, categories, hours = equipment
        insee, commune = p.commune_codes[i], p.commune_names[i]
        counters[insee, code8] = order = counters.get((insee, code8), 0) + 1
        street, number = rng.choice(_STREETS), rng.randint(1, 90)
        suffix = rng.choice(["", "", "", "", " bis"])
        lon, lat = _point(rng, insee)
        fantoir = f"{_STREETS.index(street) * 20 + 40:04d}"
        yield {
            "COLL_NOM": p.name, "COLL_SIRET": siret,
            "EQUIP_UID": f"{insee}-{code8}-{order:03d}", "EQUIP_THEME": theme,
            "EQUIP_CODE": f"{code8}-{order:03d}", "EQUIP_TYPE": kind,
            "EQUIP_NOM": template.format(de=_de(commune), person=rng.choice(_PEOPLE),
                                         saint=rng.choice(_SAINTS), kids=rng.choice(_KIDS),
                                         street=_in_text(street)),
            "ADR_NUMERO": f"{number}{suffix}", "ADR_NOMVOIE": street,
            "ADR_CODEPOSTAL": _postcode(insee), "ADR_COMMUNE": _address_commune(commune),
            "ADR_CLE_INTEROP": f"{insee}_{fantoir}_{number:05d}{suffix.replace(' ', '_')}".lower(),
            "ERP_ID": f"{insee}-{re.sub('[^A-Za-z0-9]', '', _ascii(street))}-{number}"
            if erp else "",
            "ERP_TYPE": erp, "ERP_CATEGORIE": str(rng.choice(categories)) if erp else "",
            "EQUIP_LAT": f"{lat:.6f}", "EQUIP_LONG": f"{lon:.6f}",
            "EQUIP_OUVERTURE": hours, "EQUIP_TEL": _landline(rng, insee),
            "EQUIP_EMAIL": f"contact@{_domain(p)}", "EQUIP_WEB": f"https://www.{_domain(p)}",
        }


# ---------------------------------------------------------------- budget (M14)


_CHAPTERS = {
    "011": "Charges à caractère général", "012": "Charges de personnel et frais assimilés",
    "65": "Autres charges de gestion courante", "66": "Charges financières",
    "042": "Opérations d'ordre de transfert entre sections",
    "023": "Virement à la section d'investissement", "013": "Atténuations de charges",
    "70": "Produits des services, du domaine et ventes diverses", "73": "Impôts et taxes",
    "74": "Dotations et participations", "75": "Autres produits de gestion courante",
    "20": "Immobilisations incorporelles", "21": "Immobilisations corporelles",
    "23": "Immobilisations en cours", "16": "Emprunts et dettes assimilées",
    "10": "Dotations, fonds divers et réserves", "13": "Subventions d'investissement",
    "040": "Opérations d'ordre de transfert entre sections",
    "021": "Virement de la section de fonctionnement",
}
_FUNCTIONS = {
    "01": "Opérations non ventilables", "020": "Administration générale de la collectivité",
    "024": "Fêtes et cérémonies", "025": "Aides aux associations", "112": "Police municipale",
    "211": "Écoles maternelles", "212": "Écoles primaires",
    "251": "Hébergement et restauration scolaires", "321": "Bibliothèques et médiathèques",
    "33": "Action culturelle", "40": "Sports et jeunesse - services communs",
    "411": "Salles de sport, gymnases", "412": "Stades", "413": "Piscines",
    "421": "Centres de loisirs", "523": "Actions en faveur des personnes en difficulté",
    "64": "Crèches et garderies", "814": "Éclairage public", "822": "Voirie communale et routes",
    "823": "Espaces verts urbains", "824": "Autres opérations d'aménagement urbain",
}
# compte, label, chapter, F(onctionnement)/I(nvestissement), D(épense)/R(ecette), amount, fonctions
_ACCOUNTS = (
    ("60611", "Eau et assainissement", "011", "F", "D", 60_000,
     "020 211 212 251 321 411 412 413 64 823"),
    ("60612", "Énergie - Électricité", "011", "F", "D", 250_000,
     "020 112 211 212 251 321 33 411 412 413 421 64 814"),
    ("60622", "Carburants", "011", "F", "D", 45_000, "020 112 251 822 823"),
    ("60623", "Alimentation", "011", "F", "D", 180_000, "251 421 64"),
    ("60631", "Fournitures d'entretien", "011", "F", "D", 30_000, "020 211 212 251 321 411 413 64"),
    ("60632", "Fournitures de petit équipement", "011", "F", "D", 40_000,
     "020 211 212 251 321 411 421 64 814 822 823"),
    ("6064", "Fournitures administratives", "011", "F", "D", 15_000, "020 211 212"),
    ("6067", "Fournitures scolaires", "011", "F", "D", 35_000, "211 212"),
    ("611", "Contrats de prestations de services", "011", "F", "D", 120_000,
     "020 024 251 33 421 523 823"),
    ("615221", "Entretien et réparations bâtiments publics", "011", "F", "D", 90_000,
     "020 211 212 251 321 411 413 64"),
    ("615231", "Entretien et réparations voiries", "011", "F", "D", 80_000, "822"),
    ("6156", "Maintenance", "011", "F", "D", 50_000, "020 211 212 321 411 413 814"),
    ("6161", "Multirisques", "011", "F", "D", 40_000, "020"),
    ("6232", "Fêtes et cérémonies", "011", "F", "D", 30_000, "024"),
    ("6262", "Frais de télécommunications", "011", "F", "D", 20_000, "020 112 211 212 321"),
    ("6411", "Personnel titulaire", "012", "F", "D", 1_800_000,
     "020 112 211 212 251 321 411 413 64 822 823"),
    ("6413", "Personnel non titulaire", "012", "F", "D", 350_000, "020 211 212 251 321 421 64 823"),
    ("6451", "Cotisations à l'URSSAF", "012", "F", "D", 420_000,
     "020 112 211 212 251 321 411 413 64 822 823"),
    ("6453", "Cotisations aux caisses de retraite", "012", "F", "D", 600_000,
     "020 112 211 212 251 321 411 413 64 822 823"),
    ("6531", "Indemnités", "65", "F", "D", 120_000, "020"),
    ("657362", "Subvention de fonctionnement au CCAS", "65", "F", "D", 250_000, "523"),
    ("6574", "Subventions de fonctionnement aux associations et autres personnes de droit privé",
     "65", "F", "D", 300_000, "024 025 33 40 412 523"),
    ("66111", "Intérêts réglés à l'échéance", "66", "F", "D", 150_000, "01"),
    ("6811", "Dotations aux amortissements des immobilisations incorporelles et corporelles",
     "042", "F", "D", 400_000, "01"),
    ("023", "Virement à la section d'investissement", "023", "F", "D", 600_000, "01"),
    ("6419", "Remboursements sur rémunérations du personnel", "013", "F", "R", 60_000, "020"),
    ("70311", "Concessions dans les cimetières", "70", "F", "R", 15_000, "020"),
    ("70323", "Redevance d'occupation du domaine public communal", "70", "F", "R", 40_000,
     "020 822"),
    ("7062", "Redevances et droits des services à caractère culturel", "70", "F", "R", 25_000,
     "321 33"),
    ("7067", "Redevances et droits des services périscolaires et d'enseignement", "70", "F", "R",
     220_000, "251 421"),
    ("73111", "Taxes foncières et d'habitation", "73", "F", "R", 4_500_000, "01"),
    ("7351", "Taxe sur la consommation finale d'électricité", "73", "F", "R", 180_000, "01"),
    ("7381", "Taxe additionnelle aux droits de mutation ou à la taxe de publicité foncière",
     "73", "F", "R", 300_000, "01"),
    ("7411", "Dotation forfaitaire", "74", "F", "R", 1_600_000, "01"),
    ("74123", "Dotation de solidarité urbaine", "74", "F", "R", 500_000, "01"),
    ("74127", "Dotation nationale de péréquation", "74", "F", "R", 150_000, "01"),
    ("752", "Revenus des immeubles", "75", "F", "R", 80_000, "020"),
    ("2031", "Frais d'études", "20", "I", "D", 60_000, "020 824"),
    ("2051", "Concessions et droits similaires", "20", "I", "D", 25_000, "020"),
    ("2111", "Terrains nus", "21", "I", "D", 150_000, "824"),
    ("2128", "Autres agencements et aménagements de terrains", "21", "I", "D", 120_000,
     "412 823"),
    ("21312", "Bâtiments scolaires", "21", "I", "D", 350_000, "211 212"),
    ("21318", "Autres bâtiments publics", "21", "I", "D", 250_000, "020 321 411"),
    ("2152", "Installations de voirie", "21", "I", "D", 200_000, "822 814"),
    ("2183", "Matériel de bureau et matériel informatique", "21", "I", "D", 60_000,
     "020 211 212"),
    ("2184", "Mobilier", "21", "I", "D", 30_000, "020 211 212 321"),
    ("2188", "Autres immobilisations corporelles", "21", "I", "D", 80_000,
     "020 212 321 411 64 823"),
    ("2313", "Constructions", "23", "I", "D", 900_000, "211 411 413"),
    ("2315", "Installations, matériel et outillage techniques", "23", "I", "D", 500_000,
     "822 814"),
    ("1641", "Emprunts en euros", "16", "I", "D", 700_000, "01"),
    ("10222", "FCTVA", "10", "I", "R", 350_000, "01"),
    ("10226", "Taxe d'aménagement", "10", "I", "R", 90_000, "01"),
    ("1068", "Excédents de fonctionnement capitalisés", "10", "I", "R", 800_000, "01"),
    ("1321", "État et établissements nationaux", "13", "I", "R", 250_000, "211 212 824"),
    ("1322", "Régions", "13", "I", "R", 150_000, "411 824"),
    ("1323", "Départements", "13", "I", "R", 180_000, "822 212"),
    ("1641", "Emprunts en euros", "16", "I", "R", 1_000_000, "01"),
    ("28188", "Autres immobilisations corporelles", "040", "I", "R", 400_000, "01"),
    ("021", "Virement de la section de fonctionnement", "021", "I", "R", 600_000, "01"),
)
_OPERATIONS = {  # fonction: investment operation voted as such
    "212": "Rénovation de l'école Jules Ferry, 101", "411": "Réhabilitation du gymnase, 103",
    "824": "Aménagement de la place de la mairie, 102", "814": "Éclairage public LED, 104",
}


def _budget(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """One step (budget primitif or compte administratif) of the M14 budget, by nature and
    fonction; there are about 200 distinct lines, more rows repeat them."""
    siret, year = _siret(p.siren), _YEAR - 1
    step = rng.choice(["budget primitif", "compte administratif"])
    scale = 1 + 0.6 * (len(p.commune_codes) - 1)
    lines = [(account, function, operation)
             for account in _ACCOUNTS for function in account[6].split()
             for operation in {"", _OPERATIONS.get(function, "") if account[2] in ("21", "23")
                               else ""}]
    lines.sort(key=lambda line: (line[0][0], line[0][4], line[1], line[2]))  # set order
    rng.shuffle(lines)
    chosen = [lines[i % len(lines)] for i in range(n)]
    chosen.sort(key=lambda line: (line[0][3] != "F", line[0][4], line[0][2], line[0][0], line[1]))
    for (compte, label, chapter, section, sens, amount, functions), function, operation in chosen:
        share = amount * scale / len(functions.split()) * rng.uniform(0.5, 1.5)
        if operation:
            share /= 3
        planned, previous = round(share, 2), round(share * rng.uniform(0.9, 1.1), 2)
        order = chapter in ("042", "040", "023", "021")
        row = {
            "BGT_NATDEC": step, "BGT_ANNEE": str(year), "BGT_SIRET": siret, "BGT_NOM": p.name,
            "BGT_CONTNAT": compte, "BGT_CONTNAT_LABEL": label,
            "BGT_NATURE": chapter, "BGT_NATURE_LABEL": _CHAPTERS[chapter],
            "BGT_FONCTION": function, "BGT_FONCTION_LABEL": _FUNCTIONS[function],
            "BGT_OPERATION": operation,
            "BGT_SECTION": "fonctionnement" if section == "F" else "investissement",
            "BGT_OPBUDG": "ordre" if order else "réel",
            "BGT_CODRD": "dépense" if sens == "D" else "recette",
            "BGT_ARTSPE": "non spécialisé",
        }
        carried = round(planned * rng.choice([0, 0, 0.2, 0.4]), 2)  # restes à réaliser
        rar = f"{carried:.2f}" if section == "I" else ""
        if step == "budget primitif":
            row |= {"BGT_MTBUDGPREC": f"{previous:.2f}", "BGT_MTRARPREC": rar,
                    "BGT_MTPROPNOUV": f"{planned:.2f}",
                    "BGT_CREDOUV": f"{planned + (carried if rar else 0):.2f}"}
        else:
            done = 0.0 if chapter in ("023", "021") else round(planned * rng.uniform(0.8, 1), 2)
            row |= {"BGT_MTPREV": f"{planned:.2f}", "BGT_CREDOUV": f"{planned:.2f}",
                    "BGT_MTREAL": f"{done:.2f}", "BGT_MTRAR3112": rar}
        yield row


# ---------------------------------------------------------------- menus collectifs


_DISHES = {  # plat type: (name, allergens, SIQO, vegetarian, free label)
    "entrée": (
        ("Carottes râpées vinaigrette", ("moutarde",), ("agriculture biologique",), True, ""),
        ("Salade de lentilles", ("moutarde",), (), True, ""),
        ("Betteraves rouges vinaigrette", ("moutarde",), (), True, ""),
        ("Concombre à la crème", ("lait",), (), True, ""),
        ("Quiche lorraine", ("céréales contenant du gluten", "oeufs", "lait"), (), False, ""),
        ("Potage de légumes de saison", ("céleri",), (), True, "Produits locaux"),
        ("Taboulé à la menthe", ("céréales contenant du gluten",), (), True, ""),
        ("Œuf dur mayonnaise", ("oeufs", "moutarde"), (), True, ""),
        ("Salade de cervelas", ("moutarde",), (), False, ""),
    ),
    "plat principal": (
        ("Potée lorraine", (), (), False, "Produits locaux"),
        ("Rôti de porc au jus", (), (), False, ""),
        ("Sauté de bœuf aux carottes", ("céleri",), (), False, "Viande bovine française"),
        ("Poulet rôti", (), ("label rouge",), False, ""),
        ("Filet de colin pané", ("poissons", "céréales contenant du gluten"), (), False, ""),
        ("Omelette aux fines herbes", ("oeufs", "lait"), (), True, ""),
        ("Lasagnes aux légumes", ("céréales contenant du gluten", "lait"), (), True, ""),
        ("Dahl de lentilles corail", (), ("agriculture biologique",), True, ""),
        ("Hachis parmentier", ("lait",), (), False, ""),
        ("Cordon bleu de volaille", ("céréales contenant du gluten", "lait", "oeufs"), (), False,
         ""),
    ),
    "garniture": (
        ("Purée de pommes de terre", ("lait",), (), True, ""),
        ("Haricots verts persillés", (), (), True, ""),
        ("Coquillettes", ("céréales contenant du gluten",), ("agriculture biologique",), True, ""),
        ("Riz pilaf", (), (), True, ""),
        ("Petits pois carottes", (), (), True, ""),
        ("Spätzle", ("céréales contenant du gluten", "oeufs"), (), True, ""),
        ("Chou-fleur béchamel", ("lait", "céréales contenant du gluten"), (), True, ""),
    ),
    "produit laitier": (
        ("Yaourt nature", ("lait",), ("agriculture biologique",), True, ""),
        ("Munster", ("lait",), ("appellation d'origine protégée",), True, ""),
        ("Comté", ("lait",), ("appellation d'origine protégée",), True, ""),
        ("Fromage blanc", ("lait",), (), True, ""),
        ("Carré de l'Est", ("lait",), (), True, "Fromagerie lorraine"),
        ("Emmental", ("lait",), (), True, ""),
    ),
    "dessert": (
        ("Tarte aux mirabelles", ("céréales contenant du gluten", "oeufs", "lait"),
         ("indication géographique protégée",), True, "Mirabelles de Lorraine"),
        ("Compote de pommes", (), ("agriculture biologique",), True, ""),
        ("Fruit de saison", (), (), True, "Produits locaux"),
        ("Madeleine de Commercy", ("céréales contenant du gluten", "oeufs", "lait"), (), True, ""),
        ("Crème dessert vanille", ("lait",), (), True, ""),
        ("Mousse au chocolat", ("oeufs", "lait"), (), True, ""),
        ("Salade de fruits frais", (), (), True, ""),
    ),
}
_RESTAURANTS = (  # name, type, convives, id type, weekdays served
    ("École maternelle {person}", "maternelle", "petite section;moyenne section;grande section",
     "EN", (0, 1, 3, 4)),
    ("École élémentaire {person}", "élémentaire", "CP;CE1;CE2;CM1;CM2", "EN", (0, 1, 3, 4)),
    ("Multi-accueil Les {kids}", "crèche", "tous", "autre", (0, 1, 2, 3, 4)),
    ("Accueil de loisirs {de}", "centre de loisirs", "tous", "sans", (2,)),
    ("Résidence autonomie {person}", "résidence sénior", "tous", "autre", (0, 1, 2, 3, 4)),
)


def _json_list(items: Iterable[str]) -> str:
    """Array cell as in the schema examples: ["lait","oeufs"]; empty when there is none."""
    items = list(items)
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")) if items else ""


def _menus(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """The central kitchen's daily menu, one row per dish served in each restaurant."""
    siret, kitchen_siret = _siret(p.siren), _siret(p.siren, "0009")
    restaurants = []
    for code, name in list(zip(p.commune_codes, p.commune_names, strict=True))[:4]:
        for template, kind, convives, id_type, days in _RESTAURANTS:
            label = template.format(person=rng.choice(_PEOPLE), kids=rng.choice(_KIDS),
                                    de=_de(name))
            ident = {"EN": _uai(code[:2], rng), "autre": f"RC{rng.randint(100, 999)}"}
            ident = ident.get(id_type, "")
            restaurants.append((label, code, ident, id_type, kind, convives, days))
    dish_codes = {d[0]: f"PL{i:04d}" for i, d in enumerate(itertools.chain(*_DISHES.values()))}
    monday = date(_YEAR, 9, 2)
    for day in (monday + timedelta(days=i) for i in itertools.count() if i % 7 < 5):
        menu = {kind: rng.choice(dishes) for kind, dishes in _DISHES.items()}
        published = day - timedelta(days=day.weekday() + 4)
        for label, code, ident, id_type, kind, convives, days in restaurants:
            if day.weekday() not in days:
                continue
            for plat_type, (dish, allergens, siqo, veggie, free_label) in menu.items():
                textures = ["sans texture modifiée"] + (
                    ["mixé"] if kind in ("crèche", "résidence sénior") else [])
                yield {
                    "menuCollNom": p.name, "menuCollSiret": siret,
                    "menuEtablissementNom": f"Cuisine centrale {_de(p.commune_names[0])}",
                    "menuEtablissementSiret": kitchen_siret,
                    "menuRestaurantNom": label, "menuRestaurantInsee": code,
                    "menuRestaurantId": ident, "menuRestaurantIdType": id_type,
                    "menuRestaurantType": kind, "menuRestaurantConvive": convives,
                    "menuDate": day.isoformat(), "menuRepasType": "déjeuner",
                    "menuPlatType": plat_type, "menuPlatNom": dish,
                    "menuPlatCode": dish_codes[dish],
                    "menuPlatSiqo": _json_list(siqo),
                    "menuPlatLabel": free_label,
                    "menuPlatPrecision": "semaine du goût" if day.month == 10 and day.day <= 14
                    else "",
                    "menuPlatRegime": '["végétarien"]' if veggie and plat_type == "plat principal"
                    else "",
                    "menuPlatAllergene": _json_list(allergens),
                    "menuPlatTexture": _json_list(textures),
                    "menuPlatNutriscore": rng.choice("AABBC"),
                    "menuPlatPrix": f"{rng.uniform(0.3, 1.6):.2f}",
                    "menuPublicationDate": f"{published.isoformat()}T10:00:00Z",
                }


# ---------------------------------------------------------------- prénoms


def _prenoms(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """Newborn first names per commune, sex and year, going back from the last full year."""
    pattern = _schema_fields("scdl-prenoms")["COMMUNE_NOM"]["constraints"]["pattern"]
    for year in itertools.count(_YEAR - 1, -1):
        for rank, (code, name) in enumerate(zip(p.commune_codes, p.commune_names, strict=True)):
            births, names = (900, rng.randint(30, 45)) if rank == 0 else (60, rng.randint(5, 15))
            for sexe, firsts in (("F", _GIRLS), ("M", _BOYS)):
                for i, first in enumerate(rng.sample(firsts, names)):
                    count = births / 40 / (i + 1) ** 0.7 * rng.uniform(0.6, 1.4)
                    yield {
                        "COMMUNE_NOM": name if re.fullmatch(pattern, name) else "",
                        "COLL_INSEE": code, "ENFANT_SEXE": sexe, "ENFANT_PRENOM": first,
                        "NOMBRE_OCCURRENCES": str(max(1, round(count))), "ANNEE": str(year),
                    }


# ---------------------------------------------------------------- IRVE statique


_CHARGERS = (  # implantation, power kW, type E/F, type 2, CCS, CHAdeMO, hours, gabarit, tariff
    ("Voirie", 22, True, True, False, False, "24/7", "Aucune restriction",
     "0,35 € / kWh pour les non abonnés"),
    ("Parking public", 7.4, True, True, False, False, "Mo-Sa 07:00-20:00",
     "Hauteur maximale 2,10 m", "0,30 € / kWh, stationnement en sus"),
    ("Station dédiée à la recharge rapide", 50, False, False, True, True, "24/7",
     "Aucune restriction", "0,49 € / kWh"),
    ("Parking privé à usage public", 150, False, False, True, False, "Mo-Su 06:00-22:00",
     "Aucune restriction", "0,55 € / kWh"),
)
_PLACES = ("Mairie", "Gare", "Place du Marché", "Salle des fêtes", "Piscine", "Centre",
           "Parking du Centre", "Médiathèque", "Zone commerciale")


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


def _irve(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """Charging stations run by the publisher itself, one row per charging point."""
    afirev = (re.sub(r"[^A-Z]", "", _ascii(_short(p)).upper()) + "XXX")[:3]
    phone = _landline(rng, p.commune_codes[0]).replace("+33 ", "0")
    left = n
    for number in itertools.count(1):
        insee, commune = _pick_commune(rng, p)
        kind, power, ef, t2, ccs, chademo, hours, gabarit, tariff = rng.choice(_CHARGERS)
        points = max(1, min(rng.choice([2, 2, 2, 4, 1]), left))
        left -= points
        station_id = f"FR{afirev}P{insee}{number:03d}"
        lon, lat = _point(rng, insee)
        station = {
            "nom_amenageur": p.name, "siren_amenageur": p.siren,
            "contact_amenageur": f"mobilite@{_domain(p)}",
            "nom_operateur": p.name, "contact_operateur": f"exploitation@{_domain(p)}",
            "telephone_operateur": phone, "nom_enseigne": f"Réseau de recharge {_short(p)}",
            "id_station_itinerance": station_id,
            "nom_station": f"{commune} - {rng.choice(_PLACES)}", "implantation_station": kind,
            "adresse_station": f"{rng.randint(1, 60)} {rng.choice(_STREETS)} "
            f"{_postcode(insee)} {commune}",
            "code_insee_commune": insee, "coordonneesXY": f"[{lon:.6f},{lat:.6f}]",
            "nbre_pdc": str(points), "puissance_nominale": f"{power:.2f}",
            "prise_type_ef": _bool(ef), "prise_type_2": _bool(t2),
            "prise_type_combo_ccs": _bool(ccs), "prise_type_chademo": _bool(chademo),
            "prise_type_autre": "false", "gratuit": "false", "paiement_acte": "true",
            "paiement_cb": _bool(power >= 50), "paiement_autre": "true", "tarification": tariff,
            "condition_acces": "Accès libre", "reservation": "false", "horaires": hours,
            "restriction_gabarit": gabarit, "station_deux_roues": "false",
            "raccordement": rng.choice(["Direct", "Indirect"]),
            "num_pdl": f"{rng.randrange(10**13, 10**14)}",
            "date_mise_en_service": _day(rng, date(2019, 1, 1), date(_YEAR, 6, 30)).isoformat(),
            "date_maj": date(_YEAR, 12, 15).isoformat(), "cable_t2_attache": _bool(power >= 50),
        }
        for k in range(1, points + 1):
            yield station | {
                "id_pdc_itinerance": f"FR{afirev}E{insee}{number:03d}{k}",
                "accessibilite_pmr": "Réservé PMR" if k == 1 and points > 1
                else "Accessible mais non réservé PMR",
            }
        if left <= 0:
            return


# ---------------------------------------------------------------- personal-data files


_SCHOOL_CLASSES = ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")


def _inscriptions(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """Pupils enrolled in the schools for the school year starting in September."""
    schools = {code: (f"École maternelle {rng.choice(_PEOPLE)}",
                      f"École élémentaire {rng.choice(_PEOPLE)}") for code in p.commune_codes}
    for _ in range(n):
        sexe, prenom, nom = _person(rng, child=True)
        level = rng.randrange(len(_SCHOOL_CLASSES))
        born = _day(rng, date(_YEAR - 3 - level, 1, 1), date(_YEAR - 3 - level, 12, 31))
        code, commune = _pick_commune(rng, p)
        parent = rng.choice(_WOMEN + _MEN)
        yield {
            "nom": nom.upper(), "prenom": prenom, "date_naissance": born.isoformat(),
            "sexe": sexe, "adresse": _address(rng), "code_postal": _postcode(code),
            "commune": commune, "ecole": schools[code][1 if level >= 3 else 0],
            "classe": _SCHOOL_CLASSES[level], "telephone_responsable": _mobile(rng),
            "email_responsable": _email(rng, parent, nom),
        }


_AIDS = (  # type, amount range in euros
    ("Aide alimentaire d'urgence", 50, 250), ("Aide au paiement des factures d'énergie", 100, 600),
    ("Secours exceptionnel", 100, 800), ("Aide à la restauration scolaire", 40, 300),
    ("Aide aux vacances des enfants", 100, 400), ("Colis de Noël des aînés", 30, 60),
    ("Aide au maintien à domicile des personnes handicapées", 150, 900),
)
_ABROAD = ("99350", "99352", "99351", "99127", "99139", "99208")  # Maroc … Turquie


def _aides(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """Social aid paid by the CCAS, with NIR and IBAN of each beneficiary."""
    others = list(_POSTCODES)
    for _ in range(n):
        sexe, prenom, nom = _person(rng)
        born = _day(rng, date(1935, 1, 1), date(2005, 12, 31))
        place = rng.choices([rng.choice(p.commune_codes), rng.choice(others), rng.choice(_ABROAD)],
                            weights=[6, 3, 1])[0]
        label, low, high = rng.choice(_AIDS)
        yield {
            "nir": _nir(rng, sexe, born, place), "nom": nom.upper(), "prenom": prenom,
            "date_naissance": born.isoformat(),
            "code_postal": _postcode(_pick_commune(rng, p)[0]),
            "montant_aide": f"{rng.randint(low, high):.2f}", "iban": _iban(rng),
            "type_aide": label,
        }


_GRADES = {  # service: grades (grade, monthly gross range)
    "Services techniques": (("Adjoint technique", 1850, 2150),
                            ("Adjoint technique principal de 2e classe", 1950, 2350),
                            ("Agent de maîtrise", 2100, 2600),
                            ("Technicien territorial", 2300, 3100),
                            ("Ingénieur territorial", 3000, 4600)),
    "Espaces verts": (("Adjoint technique", 1850, 2150), ("Agent de maîtrise", 2100, 2600)),
    "État civil et population": (("Adjoint administratif", 1850, 2150),
                                 ("Adjoint administratif principal de 1re classe", 2100, 2500)),
    "Finances": (("Rédacteur", 2100, 2700), ("Attaché territorial", 2800, 4200)),
    "Ressources humaines": (("Rédacteur principal de 2e classe", 2300, 2900),
                            ("Attaché principal", 3400, 5000)),
    "Police municipale": (("Gardien-brigadier", 2100, 2600),
                          ("Brigadier-chef principal", 2400, 3100)),
    "Écoles": (("ATSEM principal de 2e classe", 1950, 2350), ("Adjoint d'animation", 1850, 2150)),
    "Restauration scolaire": (("Adjoint technique", 1850, 2150),),
    "Médiathèque": (("Assistant de conservation du patrimoine", 2100, 2800),
                    ("Adjoint du patrimoine", 1850, 2200)),
    "Sports": (("Éducateur territorial des APS", 2200, 2900),),
}


def _agents(p: Publisher, rng: random.Random, n: int) -> Iterator[Row]:
    """The staff register: identity, service, grade and gross monthly salary."""
    numbers = rng.sample(range(100_000, 1_000_000), n)
    others = sorted(set(_POSTCODES.values()))
    for number in numbers:
        sexe, prenom, nom = _person(rng)
        service = rng.choice(list(_GRADES))
        grade, low, high = rng.choice(_GRADES[service])
        postcode = (_postcode(_pick_commune(rng, p)[0]) if rng.random() < 0.7
                    else rng.choice(others))
        yield {
            "matricule": f"{number:06d}", "nom": nom.upper(), "prenom": prenom,
            "date_naissance": _day(rng, date(1962, 1, 1), date(2004, 12, 31)).isoformat(),
            "sexe": sexe, "service": service, "grade": grade,
            "code_postal_residence": postcode,
            "salaire_brut": f"{rng.uniform(low, high):.2f}",
        }


# ---------------------------------------------------------------- public API


_SCHEMA_KINDS: dict[str, tuple[str, Callable[..., Iterable[Row]]]] = {
    "subventions": ("scdl-subventions", _subventions),
    "deliberations": ("scdl-deliberations", _deliberations),
    "equipements": ("scdl-equipements", _equipements),
    "budget": ("scdl-budget", _budget),
    "menus-collectifs": ("scdl-menus-collectifs", _menus),
    "prenoms": ("scdl-prenoms", _prenoms),
    "irve-statique": ("irve-statique", _irve),
}
_PERSONAL_KINDS: dict[str, tuple[tuple[str, ...], Callable[..., Iterable[Row]]]] = {
    "inscriptions-scolaires": (("nom", "prenom", "date_naissance", "sexe", "adresse",
                                "code_postal", "commune", "ecole", "classe",
                                "telephone_responsable", "email_responsable"), _inscriptions),
    "aides-sociales": (("nir", "nom", "prenom", "date_naissance", "code_postal",
                        "montant_aide", "iban", "type_aide"), _aides),
    "agents-municipaux": (("matricule", "nom", "prenom", "date_naissance", "sexe", "service",
                           "grade", "code_postal_residence", "salaire_brut"), _agents),
}
KINDS: tuple[str, ...] = tuple(_SCHEMA_KINDS) + tuple(_PERSONAL_KINDS)


def schema_path(name: str) -> Path:
    """Path of a bundled schema, e.g. ``schema_path("scdl-subventions")``."""
    path = _DATA / "schemas" / f"{name}.schema.json"
    if not path.is_file():
        bundled = sorted(p.name.removesuffix(".schema.json")
                         for p in (_DATA / "schemas").glob("*.schema.json"))
        raise ValueError(f"unknown schema {name!r}; bundled: {', '.join(bundled)}")
    return path


@functools.cache
def _schema_fields(name: str) -> dict[str, dict]:
    fields = json.loads(schema_path(name).read_text(encoding="utf-8"))["fields"]
    return {field["name"]: field for field in fields}


def write_file(kind: str, publisher: Publisher, path: Path, *, rows: int = 200,
               seed: int = 0) -> Path:
    """Write a demo CSV of ``kind`` for ``publisher`` to ``path`` and return the path."""
    if rows < 0:
        raise ValueError("rows must be >= 0")
    rng = random.Random(seed)
    if kind in _SCHEMA_KINDS:
        schema, generate = _SCHEMA_KINDS[kind]
        columns = tuple(_schema_fields(schema))
        records = generate(publisher, rng, rows)
    elif kind in _PERSONAL_KINDS:
        columns, generate = _PERSONAL_KINDS[kind]
        records = generate(publisher, rng, rows)
    else:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for record in itertools.islice(records, rows):
            if unknown := record.keys() - set(columns):
                raise KeyError(f"{kind}: columns not in the schema: {sorted(unknown)}")
            writer.writerow([record.get(column, "") for column in columns])
    return path
