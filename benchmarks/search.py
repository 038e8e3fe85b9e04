"""Search benchmark: latency of ``GET /api/v1/datasets`` over a large synthetic catalogue.

For each engine, a fresh database of its own is created (an SQLite file in a temporary
directory; on PostgreSQL a new ``ctd_bench_<random>`` database on the server, dropped at the
end), migrated with ``catalogue.db.upgrade()``, filled by bulk SQL inserts with realistic French
local-authority datasets spread over the reference territories, indexed with
``catalogue.search.reindex_all``, then queried over HTTP through the real application served
by uvicorn on a free loopback port.

Each engine runs in a child process of its own, so that ``CTD_DATABASE_URL`` and
``CTD_DATA_DIR`` are set before anything of ``catalogue`` is imported.

    python benchmarks/search.py [--datasets 100000] [--queries 200]
                                [--engines sqlite,postgresql]
                                [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = "CKAN package_search: typically 200–300 ms; target p95 ≤ 50 ms"
TARGET_MS = 50.0
FAMILIES = ("text", "text+facets", "territory", "bbox", "cursor")
FAMILY_SHARE = {"text": 0.30, "text+facets": 0.25, "territory": 0.20, "bbox": 0.15,
                "cursor": 0.10}
WARMUP = 20
BATCH = 5000
SEED = 20240917

# --- vocabulary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    label: str
    subject: str  # what the description says the dataset lists
    keywords: tuple[str, ...]
    themes: tuple[str, ...]
    frequency: str
    levels: tuple[str, ...]  # commune, epci, departement, region
    formats: dict[str, int]
    weight: int = 3
    schema: tuple[str, str] | None = None
    granularity: str | None = None
    qualifiers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


C, E, D, R = "commune", "epci", "departement", "region"
TOPICS = [
    Topic("Subventions aux associations", "les subventions attribuées aux associations",
          ("subventions", "associations", "vie associative", "aides financières"),
          ("ECON", "GOVE", "SOCI"), "ANNUAL", (C, E, D, R),
          {"CSV": 6, "JSON": 2, "XLSX": 3, "PDF": 1}, 8, ("scdl/subventions", "2.1.0"),
          qualifiers=("montants versés", "données consolidées", "attributions votées"),
          notes=("Les montants sont exprimés en euros.",
                 "La publication couvre aussi les subventions inférieures à 23 000 €.")),
    Topic("Délibérations du conseil municipal", "les délibérations adoptées en séance",
          ("délibérations", "conseil municipal", "actes administratifs", "séances"),
          ("GOVE",), "MONTHLY", (C,), {"CSV": 5, "JSON": 2, "PDF": 4}, 8,
          ("scdl/deliberations", "2.1.3"),
          qualifiers=("séances publiques", "registre des actes"),
          notes=("Chaque ligne correspond à une délibération, avec son objet et son vote.",)),
    Topic("Délibérations du conseil communautaire", "les délibérations communautaires",
          ("délibérations", "conseil communautaire", "intercommunalité"),
          ("GOVE",), "MONTHLY", (E,), {"CSV": 5, "PDF": 3}, 4, ("scdl/deliberations", "2.1.3")),
    Topic("Budget primitif", "les prévisions budgétaires votées",
          ("budget", "budget primitif", "finances locales", "comptabilité publique"),
          ("ECON", "GOVE"), "ANNUAL", (C, E, D, R), {"CSV": 5, "XLSX": 3, "PDF": 3}, 7,
          ("scdl/budget", "0.8.1"),
          qualifiers=("section de fonctionnement", "section d'investissement",
                      "présentation croisée", "nomenclature M57"),
          notes=("Les données suivent la nomenclature comptable M57.",)),
    Topic("Compte administratif", "l'exécution budgétaire de l'exercice",
          ("compte administratif", "budget", "finances locales"), ("ECON", "GOVE"), "ANNUAL",
          (C, E, D, R), {"CSV": 4, "XLSX": 3, "PDF": 3}, 4),
    Topic("Équipements sportifs", "les équipements sportifs (gymnases, stades, piscines)",
          ("sport", "équipements sportifs", "gymnase", "stade", "piscine"), ("EDUC", "SOCI"),
          "ANNUAL", (C, E, D), {"CSV": 4, "GEOJSON": 4, "JSON": 2}, 5, granularity="point",
          qualifiers=("localisation et caractéristiques", "recensement RES"),
          notes=("Les coordonnées sont exprimées en WGS84 (EPSG:4326).",)),
    Topic("Bornes de recharge pour véhicules électriques (IRVE)",
          "les points de recharge pour véhicules électriques ouverts au public",
          ("IRVE", "bornes de recharge", "mobilité électrique", "véhicules électriques"),
          ("TRAN", "ENER"), "MONTHLY", (C, E, D, R), {"CSV": 6, "GEOJSON": 3, "JSON": 2}, 6,
          ("etalab/schema-irve-statique", "2.3.1"), "point",
          qualifiers=("données statiques", "points de charge", "consolidation"),
          notes=("Le fichier respecte le schéma national IRVE statique.",)),
    Topic("Menus de la restauration scolaire", "les menus servis dans les cantines scolaires",
          ("cantine", "menus", "restauration scolaire", "restauration collective",
           "alimentation"), ("EDUC", "AGRI", "HEAL"), "WEEKLY", (C, E),
          {"CSV": 4, "JSON": 3, "PDF": 3}, 5, ("scdl/menus-collectifs", "0.2.0"),
          qualifiers=("écoles élémentaires", "produits bio et locaux", "allergènes"),
          notes=("Les plats issus de l'agriculture biologique sont signalés.",)),
    Topic("Prénoms des nouveau-nés", "les prénoms déclarés à l'état civil",
          ("prénoms", "naissances", "état civil", "démographie"), ("SOCI",), "ANNUAL", (C,),
          {"CSV": 6, "JSON": 2, "XLSX": 2}, 4, ("etalab/schema-prenoms", "1.1.0"),
          qualifiers=("par année de naissance", "filles et garçons"),
          notes=("Les prénoms donnés moins de trois fois sont regroupés.",)),
    Topic("Qualité de l'air", "les concentrations de polluants atmosphériques mesurées",
          ("qualité de l'air", "pollution", "indice ATMO", "particules fines", "ozone"),
          ("ENVI", "HEAL"), "DAILY", (C, E, D, R), {"CSV": 4, "JSON": 3, "GEOJSON": 2}, 5,
          granularity="point", qualifiers=("indice quotidien", "mesures horaires", "épisodes"),
          notes=("Mesures issues des stations du réseau de surveillance agréé.",)),
    Topic("Collecte des déchets ménagers", "les jours et secteurs de collecte des déchets",
          ("déchets", "collecte", "ordures ménagères", "tri sélectif", "calendrier"),
          ("ENVI",), "ANNUAL", (C, E), {"CSV": 4, "GEOJSON": 3, "PDF": 2}, 5,
          qualifiers=("calendrier", "secteurs", "tonnages collectés"),
          notes=("Les tonnages sont exprimés en tonnes par an.",)),
    Topic("Points d'apport volontaire", "les conteneurs de tri (verre, papier, textiles)",
          ("déchets", "conteneurs", "tri sélectif", "verre", "recyclage"), ("ENVI",),
          "QUARTERLY", (C, E), {"CSV": 4, "GEOJSON": 4}, 3, granularity="point"),
    Topic("Stationnement", "l'offre de stationnement public",
          ("stationnement", "parkings", "places PMR", "stationnement payant"), ("TRAN",),
          "MONTHLY", (C, E), {"CSV": 4, "GEOJSON": 3, "JSON": 3}, 5,
          ("etalab/schema-stationnement", "0.2.0"),
          qualifiers=("parkings publics", "zones de stationnement payant",
                      "disponibilité en temps réel")),
    Topic("Arbres d'alignement", "les arbres d'alignement et leurs caractéristiques",
          ("arbres", "patrimoine arboré", "espaces verts", "biodiversité"), ("ENVI",),
          "ANNUAL", (C, E), {"CSV": 4, "GEOJSON": 4, "XLSX": 1}, 4, granularity="point",
          qualifiers=("essences et hauteurs", "inventaire"),
          notes=("Chaque arbre est décrit par son essence, sa hauteur et son année de "
                 "plantation.",)),
    Topic("Marchés publics attribués", "les données essentielles des marchés publics",
          ("marchés publics", "commande publique", "DECP", "achats"), ("ECON", "GOVE"),
          "MONTHLY", (C, E, D, R), {"CSV": 3, "JSON": 4, "XLSX": 2}, 5,
          ("139bercy/format-commande-publique", "1.5.0"),
          qualifiers=("données essentielles", "titulaires et montants")),
    Topic("Défibrillateurs", "les défibrillateurs automatisés externes (DAE)",
          ("défibrillateurs", "DAE", "secourisme", "santé"), ("HEAL",), "ANNUAL", (C, E, D),
          {"CSV": 4, "GEOJSON": 3, "JSON": 2}, 3, ("arsante/schema-dae", "2.0.3"), "point"),
    Topic("Aménagements cyclables", "les pistes et bandes cyclables",
          ("vélo", "pistes cyclables", "mobilité douce", "aménagements cyclables"), ("TRAN",),
          "QUARTERLY", (C, E, D), {"GEOJSON": 5, "CSV": 2, "JSON": 2}, 4,
          ("etalab/schema-amenagements-cyclables", "0.3.3")),
    Topic("Consommation énergétique des bâtiments publics",
          "les consommations d'électricité et de gaz des bâtiments communaux",
          ("énergie", "consommation", "bâtiments publics", "électricité", "gaz"),
          ("ENER", "ENVI"), "ANNUAL", (C, E, D, R), {"CSV": 4, "XLSX": 3}, 3),
    Topic("Résultats des élections municipales", "les résultats par bureau de vote",
          ("élections", "élections municipales", "bureaux de vote", "résultats"), ("GOVE",),
          "NEVER", (C, E), {"CSV": 5, "XLSX": 2, "JSON": 1}, 3,
          qualifiers=("premier tour", "second tour", "par bureau de vote")),
    Topic("Bureaux de vote", "les bureaux de vote et leurs périmètres",
          ("bureaux de vote", "élections", "périmètres"), ("GOVE",), "IRREG", (C,),
          {"GEOJSON": 4, "CSV": 3}, 2),
    Topic("Base Adresse Locale", "les adresses de la commune (voies et numéros)",
          ("adresses", "BAL", "voies", "numérotation"), ("REGI",), "UPDATE_CONT", (C, E),
          {"CSV": 6, "GEOJSON": 1}, 4, ("etalab/schema-bal", "1.4"), "point"),
    Topic("Plan local d'urbanisme", "le zonage et le règlement du PLU",
          ("urbanisme", "PLU", "zonage", "règlement"), ("REGI", "ENVI"), "IRREG", (C, E),
          {"GEOJSON": 4, "PDF": 4, "CSV": 1}, 3, ("cnig/plu", "2017")),
    Topic("Autorisations d'urbanisme", "les permis de construire et déclarations préalables",
          ("urbanisme", "permis de construire", "autorisations d'urbanisme"), ("REGI",),
          "MONTHLY", (C, E, D), {"CSV": 5, "JSON": 2}, 3),
    Topic("Éclairage public", "les points lumineux et leurs puissances",
          ("éclairage public", "luminaires", "énergie", "sobriété"), ("ENER",), "ANNUAL",
          (C, E), {"CSV": 4, "GEOJSON": 4}, 3, granularity="point"),
    Topic("Horaires des transports en commun", "les lignes, arrêts et horaires du réseau",
          ("transports en commun", "GTFS", "bus", "horaires", "arrêts"), ("TRAN",), "MONTHLY",
          (E, D, R), {"JSON": 3, "CSV": 2}, 4, qualifiers=("GTFS", "réseau urbain")),
    Topic("Population légale", "la population municipale et totale issue du recensement",
          ("population", "recensement", "démographie", "INSEE"), ("SOCI",), "ANNUAL",
          (C, E, D, R), {"CSV": 5, "XLSX": 3}, 3),
    Topic("Effectifs scolaires", "les effectifs des écoles maternelles et élémentaires",
          ("écoles", "effectifs", "éducation", "rentrée scolaire"), ("EDUC",), "ANNUAL",
          (C, E, D), {"CSV": 4, "XLSX": 3}, 3),
    Topic("Qualité de l'eau potable", "les résultats du contrôle sanitaire de l'eau",
          ("eau potable", "analyses", "contrôle sanitaire", "santé"), ("HEAL", "ENVI"),
          "MONTHLY", (C, E, D), {"CSV": 4, "JSON": 2, "PDF": 2}, 3),
    Topic("Fréquentation des médiathèques", "les prêts et entrées des médiathèques",
          ("lecture publique", "médiathèque", "bibliothèque", "prêts"), ("EDUC",), "ANNUAL",
          (C, E), {"CSV": 4, "XLSX": 2}, 3),
    Topic("Accidents corporels de la circulation", "les accidents de la route recensés",
          ("sécurité routière", "accidents", "circulation"), ("TRAN", "JUST"), "ANNUAL",
          (D, R), {"CSV": 5, "GEOJSON": 2}, 3),
    Topic("Toilettes publiques", "les sanitaires publics et leur accessibilité",
          ("toilettes publiques", "sanitaires", "accessibilité"), ("SOCI",), "IRREG", (C,),
          {"CSV": 4, "GEOJSON": 3}, 2, ("etalab/schema-toilettes-publiques", "0.1.0"),
          "point"),
    Topic("Places en crèche", "les établissements d'accueil du jeune enfant",
          ("petite enfance", "crèches", "modes de garde"), ("SOCI", "EDUC"), "ANNUAL",
          (C, E, D), {"CSV": 4, "XLSX": 2}, 2),
    Topic("Travaux de voirie", "les chantiers en cours sur la voie publique",
          ("travaux", "voirie", "chantiers", "circulation"), ("TRAN",), "WEEKLY", (C, E, D),
          {"GEOJSON": 4, "CSV": 3, "JSON": 2}, 3),
    Topic("Espaces naturels sensibles", "les périmètres des espaces naturels sensibles",
          ("biodiversité", "espaces naturels", "ENS", "environnement"), ("ENVI",), "IRREG",
          (D, R), {"GEOJSON": 5, "PDF": 2}, 3),
    Topic("Indemnités des élus", "les indemnités de fonction versées aux élus",
          ("élus", "indemnités", "transparence"), ("GOVE",), "ANNUAL", (C, E, D, R),
          {"CSV": 4, "PDF": 2}, 2),
    Topic("Terrasses et occupation du domaine public",
          "les autorisations d'occupation du domaine public", ("terrasses", "domaine public",
                                                              "commerces"),
          ("ECON",), "ANNUAL", (C,), {"CSV": 4, "GEOJSON": 2}, 2),
    Topic("Aides régionales aux entreprises", "les aides économiques attribuées",
          ("aides aux entreprises", "développement économique", "subventions"),
          ("ECON",), "QUARTERLY", (R, D), {"CSV": 4, "XLSX": 2}, 3),
]
GENERIC_NOTES = (
    "Les coordonnées géographiques sont exprimées en WGS84 (EPSG:4326).",
    "Publication réalisée au titre de l'ouverture des données par défaut prévue par la loi "
    "pour une République numérique.",
    "Le fichier est encodé en UTF-8 avec le point-virgule comme séparateur.",
    "Données extraites du logiciel métier, sans retraitement.",
    "Certaines informations ont été occultées conformément au RGPD.",
    "Ce jeu complète les données publiées les années précédentes.",
    "Pour toute question, contactez le service système d'information géographique.",
    "Les données sont fournies à titre indicatif et peuvent comporter des erreurs.",
)
VERBS = ("recense", "présente", "liste", "décrit", "rassemble")
FREQUENCY_WORDS = {
    "DAILY": "chaque jour", "WEEKLY": "chaque semaine", "MONTHLY": "chaque mois",
    "QUARTERLY": "chaque trimestre", "ANNUAL": "chaque année", "IRREG": "irrégulièrement",
    "UPDATE_CONT": "en continu", "NEVER": "une seule fois",
}
LICENCE_WEIGHTS = {"fr-lo-2.0": 60, "odbl-1.0": 15, "cc-by-4.0": 10, "cc0-1.0": 3, "other": 4,
                   "notspecified": 8}
ACCESS_WEIGHTS = {"open": 86, "restricted": 9, "protected": 5}
STATE_WEIGHTS = {"published": 90, "draft": 6, "archived": 3, "deleted": 1}
MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json", "GEOJSON": "application/geo+json",
               "PDF": "application/pdf",
               "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

# Cities (INSEE codes) that publish most, in rough order of size; the rest are drawn at random.
CITIES = [
    "54395", "57463", "35238", "29019", "56121", "22278", "88160", "56260", "29232", "57672",
    "55545", "35288", "54547", "54329", "88413", "57480", "55029", "29151", "22113", "57631",
    "57227", "56178", "35115", "35360", "22093", "56098", "29103", "54323", "57606", "88321",
]
REGION_OF = {"54": "44", "55": "44", "57": "44", "88": "44", "22": "53", "29": "53", "35": "53",
             "56": "53"}
DEPARTEMENT_ORGS = {
    "54": "Département de Meurthe-et-Moselle", "55": "Département de la Meuse",
    "57": "Département de la Moselle", "88": "Département des Vosges",
    "22": "Département des Côtes-d'Armor", "29": "Département du Finistère",
    "35": "Département d'Ille-et-Vilaine", "56": "Département du Morbihan",
}
OTHER_GRAND_EST = ("08", "10", "51", "52", "67", "68")
EPCIS = [  # name, central commune, number of member communes
    ("Métropole du Grand Nancy", "54395", 20), ("Metz Métropole", "57463", 44),
    ("Rennes Métropole", "35238", 43), ("Brest Métropole", "29019", 8),
    ("Communauté d'agglomération d'Épinal", "88160", 40), ("Lorient Agglomération", "56121", 25),
    ("Quimper Bretagne Occidentale", "29232", 14),
    ("Saint-Brieuc Armor Agglomération", "22278", 32),
    ("Golfe du Morbihan - Vannes agglomération", "56260", 34),
    ("Communauté d'agglomération du Grand Verdun", "55545", 26),
    ("Communauté d'agglomération Portes de France-Thionville", "57672", 13),
    ("Morlaix Communauté", "29151", 26), ("Lannion-Trégor Communauté", "22113", 57),
    ("Saint-Malo Agglomération", "35288", 18), ("Vitré Communauté", "35360", 46),
    ("Communauté d'agglomération de Saint-Dié-des-Vosges", "88413", 41),
    ("Communauté de communes du Bassin de Pompey", "54547", 13),
    ("Communauté d'agglomération Forbach Porte de France", "57227", 21),
    ("Communauté d'agglomération Sarreguemines Confluences", "57631", 38),
    ("Communauté d'agglomération de Bar-le-Duc Sud Meuse", "55029", 33),
]
OTHER_ORGS = [  # name, kind, région it mostly publishes about
    ("Mégalis Bretagne", "opsn", "53"), ("ATMO Grand Est", "association", "44"),
    ("Air Breizh", "association", "53"), ("DREAL Grand Est", "state_service", "44"),
    ("DREAL Bretagne", "state_service", "53"),
    ("Syndicat départemental d'électricité des Vosges", "syndicat", "44"),
    ("Syndicat départemental d'énergie d'Ille-et-Vilaine", "syndicat", "53"),
    ("Eau du Bassin Rennais", "syndicat", "53"),
    ("Observatoire de l'environnement en Bretagne", "association", "53"),
    ("Agence régionale de santé Grand Est", "state_service", "44"),
    ("Institut national de la statistique et des études économiques", "state_service", None),
    ("Agence nationale de la cohésion des territoires", "state_service", None),
]

# --- queries ------------------------------------------------------------------------------

TEXT_QUERIES = (
    "budget", "budget primitif", "budget 2022", "compte administratif", "délibérations",
    "deliberations conseil municipal", "délibérations 2023", "subventions",
    "subventions associations", "subvention association sportive", "équipements sportifs",
    "equipements sportifs", "gymnase", "piscine", "bornes de recharge", "IRVE",
    "recharge vehicules electriques", "menus cantine", "cantine scolaire bio", "prénoms",
    "prenoms naissances", "qualité de l'air", "qualite air", "pollution ozone",
    "collecte des déchets", "dechets tri", "calendrier collecte", "stationnement",
    "parkings", "stationnement payant", "arbres d'alignement", "arbres", "défibrillateurs",
    "defibrillateur", "pistes cyclables", "vélo", "eau potable", "marchés publics", "DECP",
    "élections municipales", "bureaux de vote", "population", "recensement", "adresses",
    "urbanisme PLU", "permis de construire", "éclairage public", "horaires bus", "GTFS",
    "crèches", "petite enfance", "médiathèque", "accidents", "biodiversité", "terrasses",
    "toilettes publiques", "indemnités élus", "Nancy", "Metz budget", "Rennes", "Brest",
    "Épinal", "epinal", "Quimper délibérations", "Vannes subventions", "Verdun",
    "Saint-Dié", "Lunéville arbres", "Moselle", "Bretagne qualité air", "énergie",
    "consommation électricité", "trottinettes", "cimetières",
)
SORT_CHOICES = ("-modified", "modified", "title", "-title", "created", "-created")
BBOXES = (  # (minx, miny, maxx, maxy), from a neighbourhood to a région
    (6.15, 48.67, 6.21, 48.71), (6.13, 49.08, 6.22, 49.14), (-1.72, 48.08, -1.63, 48.13),
    (-4.53, 48.37, -4.44, 48.42), (6.41, 48.15, 6.49, 48.20), (-3.40, 47.73, -3.33, 47.77),
    (5.7, 48.4, 6.7, 49.0), (-2.3, 47.6, -1.0, 48.5), (5.4, 48.0, 7.2, 49.5),
    (-5.2, 47.2, -1.0, 48.9), (4.8, 48.5, 5.6, 49.3), (6.0, 48.9, 6.4, 49.4),
)


# --- small helpers ------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0–100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "max": math.nan}
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values)}


def de(name: str) -> str:
    """French « de » with elision: « de Nancy », « d'Épinal »."""
    return f"d'{name}" if name[:1].lower() in "aeiouyhéèêâîôûœ" else f"de {name}"


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def luhn_siren(rng: random.Random, prefix: str, taken: set[str]) -> str:
    from stdnum import luhn

    while True:
        body = (prefix + "".join(rng.choice("0123456789") for _ in range(8)))[:8]
        siren = body + luhn.calc_check_digit(body)
        if siren not in taken:
            taken.add(siren)
            return siren


_VALUE = r"(?:\?|%\([a-z0-9_]+\)s(?:::[A-Z]+)?|'[^']*'|-?\d+(?:\.\d+)?)"
_VALUES = re.compile(rf"(?:{_VALUE}, ?){{6,}}{_VALUE}")
_ARRAY = re.compile(r"'\{([^}]{120,})\}'")


def one_line(sql: str, limit: int | None = None) -> str:
    """SQL (or a plan line) on one line, long IN lists and arrays collapsed."""
    text = re.sub(r"\s+", " ", sql).strip()
    text = _VALUES.sub(lambda m: f"<{m.group(0).count(',') + 1} values>", text)
    text = _ARRAY.sub(lambda m: f"'{{<{m.group(1).count(',') + 1} values>}}'", text)
    return text if limit is None or len(text) <= limit else text[:limit] + " …"


def ms(seconds: float) -> float:
    return seconds * 1000.0


# --- the synthetic catalogue --------------------------------------------------------------


@dataclass
class Area:
    zone: str
    code: str
    name: str
    geometry: str
    bbox: tuple[float, float, float, float]


@dataclass
class Org:
    id: int
    slug: str
    name: str
    kind: str
    domain: str
    area: Area | None = None
    region: str | None = None
    weight: float = 1.0


@dataclass
class World:
    communes: dict[str, Area]
    departements: dict[str, Area]
    regions: dict[str, Area]
    epci_areas: dict[str, Area] = field(default_factory=dict)
    orgs: list[Org] = field(default_factory=list)
    commune_orgs: list[Org] = field(default_factory=list)
    org_rows: list[dict] = field(default_factory=list)
    territory_rows: list[dict] = field(default_factory=list)
    dataset_counts: dict[str, int] = field(default_factory=dict)


def load_areas(session) -> World:
    from sqlmodel import select

    from catalogue.models import Territory

    by_level: dict[str, dict[str, Area]] = {"commune": {}, "departement": {}, "region": {}}
    for t in session.exec(select(Territory)):
        if t.level in by_level:
            by_level[t.level][t.code] = Area(t.id, t.code, t.name, t.geometry,
                                             (t.minx, t.miny, t.maxx, t.maxy))
    return World(by_level["commune"], by_level["departement"], by_level["region"])


def build_organizations(world: World, rng: random.Random, total: int = 300) -> None:
    """About 300 publishers: the cities, other communes, départements, régions, EPCIs and
    a few agencies; rows for ``insert(Organization)`` and the EPCI territories."""
    import numpy as np
    import shapely

    from catalogue.territories import bbox_of, to_geojson
    from catalogue.text import slugify

    now = datetime(2024, 9, 1, tzinfo=UTC)
    taken_sirens: set[str] = set()
    taken_slugs: set[str] = set()

    def add(name: str, kind: str, siren: str | None, area: Area | None, region: str | None,
            weight: float, insee: str | None = None, communes: list[str] | None = None) -> Org:
        slug = base = slugify(name)
        while slug in taken_slugs:
            slug = f"{base}-{len(taken_slugs)}"
        taken_slugs.add(slug)
        org = Org(len(world.orgs) + 1, slug, name, kind, f"{slug[:40]}.fr", area, region,
                  weight)
        world.orgs.append(org)
        minx, miny, maxx, maxy = area.bbox if area else (None,) * 4
        world.org_rows.append({
            "id": org.id, "slug": slug, "name": name, "kind": kind, "siren": siren,
            "insee_code": insee, "commune_codes": communes or [],
            "geometry": area.geometry if area else None, "minx": minx, "miny": miny,
            "maxx": maxx, "maxy": maxy, "website": f"https://www.{org.domain}",
            "contact_email": f"opendata@{org.domain}",
            "created": now - timedelta(days=rng.randint(30, 3000)), "modified": now,
        })
        return org

    from stdnum import luhn

    for code, name in DEPARTEMENT_ORGS.items():
        body = f"22{code}0001"
        add(name, "departement", body + luhn.calc_check_digit(body), world.departements[code],
            REGION_OF[code], 6.0, insee=code)
    for code, name in (("44", "Région Grand Est"), ("53", "Région Bretagne")):
        add(name, "region", luhn_siren(rng, "2000", taken_sirens), world.regions[code], code,
            6.0, insee=code)
    # EPCIs: the nearest communes of the same département around their central commune.
    codes = sorted(world.communes)
    centres = shapely.centroid(shapely.from_geojson([world.communes[c].geometry for c in codes]))
    xy = np.column_stack([shapely.get_x(centres), shapely.get_y(centres)])
    position = {c: i for i, c in enumerate(codes)}
    for name, centre, size in EPCIS:
        same = np.array([c[:2] == centre[:2] for c in codes])
        distance = np.where(same, np.hypot(*(xy - xy[position[centre]]).T), np.inf)
        members = [codes[i] for i in np.argsort(distance)[:size]]
        siren = luhn_siren(rng, f"24{centre[:2]}", taken_sirens)
        shape = shapely.union_all(shapely.from_geojson(
            [world.communes[c].geometry for c in members]))
        box = bbox_of(shape)
        area = Area(f"fr:epci:{siren}", siren, name, to_geojson(shape),
                    (box["minx"], box["miny"], box["maxx"], box["maxy"]))
        world.epci_areas[siren] = area
        world.territory_rows.append({"id": area.zone, "level": "epci", "code": siren,
                                     "name": name, "geometry": area.geometry, **box})
        add(name, "epci", siren, area, REGION_OF[centre[:2]], 4.0, communes=members)
    for name, kind, region in OTHER_ORGS:
        add(name, kind, luhn_siren(rng, "1" if kind == "state_service" else "3", taken_sirens)
            if kind != "association" else None, None, region, 3.0)
    # Communes: the cities first (Zipf-like weights), then communes drawn at random.
    others = [c for c in codes if c not in CITIES]
    chosen = CITIES + rng.sample(others, total - len(world.orgs) - len(CITIES))
    for rank, code in enumerate(chosen, start=1):
        area = world.communes[code]
        prefix = "Ville" if rank <= len(CITIES) else "Commune"
        body = f"21{code[:2]}0{code[2:]}"
        org = add(f"{prefix} {de(area.name)}", "commune", body + luhn.calc_check_digit(body),
                  area, REGION_OF[code[:2]], 1.0 / rank ** 0.8, insee=code)
        world.commune_orgs.append(org)


def dataset_rows(world: World, rng: random.Random, count: int,
                 ) -> Iterator[tuple[list[dict], list[dict]]]:
    """Batches of (dataset rows, resource rows) for ``insert(Dataset)``/``insert(Resource)``."""
    import shapely

    from catalogue.text import slugify

    by_kind: dict[str, list[Org]] = {}
    for org in world.orgs:
        by_kind.setdefault(org.kind, []).append(org)
    dep_orgs = {o.area.code: o for o in by_kind["departement"]}
    region_orgs = {o.area.code: o for o in by_kind["region"]}
    agencies = [o for o in world.orgs if o.kind not in ("commune", "departement", "region",
                                                        "epci")]
    commune_weights = [o.weight for o in world.commune_orgs]
    commune_codes = sorted(world.communes)
    topics_for = {level: [t for t in TOPICS if level in t.levels] for level in (C, E, D, R)}
    epoch, span = datetime(2014, 1, 1, tzinfo=UTC), 3800  # days, to mid 2024
    resource_id = 0
    datasets, resources = [], []
    for number in range(1, count + 1):
        roll = rng.random()
        drawn = None
        if roll < 0.65:  # one commune
            level = C
            if rng.random() < 0.8:
                publisher = rng.choices(world.commune_orgs, commune_weights)[0]
                area = publisher.area
            else:
                area = world.communes[rng.choice(commune_codes)]
                publisher = rng.choice([dep_orgs[area.code[:2]], *(
                    a for a in agencies if a.region == REGION_OF[area.code[:2]])])
        elif roll < 0.66:  # a drawn geometry inside a commune (a park, a site, a route)
            level = C
            publisher = rng.choices(world.commune_orgs, commune_weights)[0]
            area = publisher.area
            minx, miny, maxx, maxy = area.bbox
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            size = rng.uniform(0.002, 0.01)
            drawn = shapely.box(x - size, y - size, x + size, y + size)
        elif roll < 0.70:  # an EPCI, as its own zone
            level = E
            publisher = rng.choice(by_kind["epci"])
            area = publisher.area
        elif roll < 0.90:  # a département
            level = D
            code = rng.choice(list(REGION_OF)) if rng.random() < 0.9 else rng.choice(
                OTHER_GRAND_EST)
            area = world.departements[code]
            candidates = [a for a in agencies if a.region == REGION_OF.get(code, "44")]
            publisher = dep_orgs[code] if code in dep_orgs and rng.random() < 0.7 else (
                rng.choice(candidates))
        else:  # a région
            level = R
            code = rng.choice(("44", "53")) if rng.random() < 0.85 else rng.choice(
                [c for c in world.regions if c not in ("44", "53")])
            area = world.regions[code]
            if code in region_orgs and rng.random() < 0.5:
                publisher = region_orgs[code]
            else:
                publisher = rng.choice([a for a in agencies if a.region in (code, None)]
                                       or agencies)
        topic = rng.choices(topics_for[level], [t.weight for t in topics_for[level]])[0]
        created = epoch + timedelta(days=rng.uniform(0, span))
        modified = min(created + timedelta(days=rng.expovariate(1 / 200)),
                       datetime(2024, 9, 1, tzinfo=UTC))
        year = rng.randint(max(2012, created.year - 2), created.year)
        place = area.name
        form = rng.randrange(7)
        if form == 0:
            title = f"{topic.label} {year}"
        elif form == 1:
            title = f"{topic.label} – {place}"
        elif form == 2:
            title = f"{topic.label} {de(place)}"
        elif form == 3:
            title = f"{topic.label} ({place}, {year})"
        elif form == 4:
            title = f"{place} : {topic.label[0].lower()}{topic.label[1:]}"
        elif form == 5 and topic.qualifiers:
            title = f"{topic.label} – {rng.choice(topic.qualifiers)}"
        else:
            title = f"{topic.label} {year}-{year + 1} – {place}"
        frequency = topic.frequency if rng.random() < 0.85 else "IRREG"
        sentences = [
            f"Ce jeu de données {rng.choice(VERBS)} {topic.subject} {de(place)}"
            f"{f' pour {year}' if rng.random() < 0.5 else f' depuis {year}'}.",
            f"Les données sont produites par {publisher.name} et mises à jour "
            f"{FREQUENCY_WORDS.get(frequency, 'régulièrement')}.",
            *rng.sample(topic.notes, k=min(len(topic.notes), rng.randint(0, 2))),
            *rng.sample(GENERIC_NOTES, k=rng.randint(1, 3)),
        ]
        if topic.schema and rng.random() < 0.7:
            sentences.append(f"Le fichier est conforme au schéma {topic.schema[0]}.")
        keywords = rng.sample(topic.keywords, k=rng.randint(2, min(5, len(topic.keywords))))
        if rng.random() < 0.3:
            keywords.append(place.lower())
        if rng.random() < 0.3:
            keywords.append(str(year))
        themes = list(topic.themes[:rng.randint(1, len(topic.themes))])
        if rng.random() < 0.05:
            themes.append("OP_DATPRO")
        harvested = rng.random() < 0.15
        slug = f"{slugify(title)[:88]}-{number}"
        if drawn is not None:
            geometry, zones = shapely.to_geojson(drawn), []
            bbox = drawn.bounds
        else:
            geometry, zones, bbox = area.geometry, [area.zone], area.bbox
        licence = weighted(rng, LICENCE_WEIGHTS)
        datasets.append({
            "id": number, "slug": slug, "title": title, "description": " ".join(sentences),
            "publisher_id": publisher.id, "licence_id": licence, "keywords": keywords,
            "themes": themes, "access_type": weighted(rng, ACCESS_WEIGHTS),
            "contains_personal_data": rng.choice(("unknown", "no", "no", "unknown", "yes")),
            "frequency": frequency, "temporal_start": date(year, 1, 1),
            "temporal_end": date(year, 12, 31) if rng.random() < 0.7 else None,
            "spatial_geometry": geometry, "spatial_zones": zones,
            "spatial_granularity": topic.granularity or (level if rng.random() < 0.5 else None),
            "schema_name": topic.schema[0] if topic.schema else None,
            "schema_version": topic.schema[1] if topic.schema else None,
            "contact_name": "Service données et SIG",
            "contact_email": f"opendata@{publisher.domain}",
            "state": weighted(rng, STATE_WEIGHTS), "created": created, "modified": modified,
            "harvest_source": "https://www.data.gouv.fr" if harvested else None,
            "remote_id": f"{rng.getrandbits(96):024x}" if harvested else None,
            "remote_url": f"https://www.data.gouv.fr/fr/datasets/{slug}/" if harvested else None,
            "remote_modified": modified if harvested else None,
            "minx": bbox[0], "miny": bbox[1], "maxx": bbox[2], "maxy": bbox[3],
        })
        world.dataset_counts[publisher.slug] = world.dataset_counts.get(publisher.slug, 0) + 1
        formats = rng.sample(list(topic.formats), k=min(len(topic.formats), rng.randint(1, 3)))
        for position, fmt in enumerate(formats):
            resource_id += 1
            documentation = fmt == "PDF" and position > 0
            resources.append({
                "id": resource_id, "dataset_id": number,
                "title": f"{'Notice' if documentation else topic.label} ({fmt})",
                "description": "", "url": f"https://data.{publisher.domain}/{slug}/"
                                          f"{position + 1}.{fmt.lower()}",
                "file_path": None, "format": fmt, "media_type": MEDIA_TYPES[fmt],
                "size": int(rng.lognormvariate(11, 2)), "sha256": None,
                "type": "documentation" if documentation else "main",
                "last_modified": modified, "created": created,
            })
        if len(datasets) == BATCH:
            yield datasets, resources
            datasets, resources = [], []
    if datasets:
        yield datasets, resources


def load(world: World, engine, count: int, rng: random.Random) -> dict[str, Any]:
    """Bulk inserts; returns counts and timings."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from catalogue.models import Dataset, Organization, Resource, Territory

    started = time.perf_counter()
    n_datasets = n_resources = 0
    generate = 0.0
    # Executed on the session's Connection, not through Session.execute: the ORM's bulk
    # insert splits a batch into one statement per run of rows whose None columns are alike
    # (about 18,000 statements for 20,000 datasets here, twice as slow on PostgreSQL), while
    # Core sends each batch as one executemany.
    with Session(engine) as session:
        connection = session.connection()
        connection.execute(sa.insert(Territory), world.territory_rows)
        connection.execute(sa.insert(Organization), world.org_rows)
        session.commit()
        batches = dataset_rows(world, rng, count)
        while True:
            t = time.perf_counter()
            batch = next(batches, None)
            generate += time.perf_counter() - t
            if batch is None:
                break
            datasets, resources = batch
            connection = session.connection()
            connection.execute(sa.insert(Dataset), datasets)
            connection.execute(sa.insert(Resource), resources)
            session.commit()
            n_datasets += len(datasets)
            n_resources += len(resources)
        if engine.dialect.name == "postgresql":
            for table in ("organization", "dataset", "resource"):
                session.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
            session.commit()
    return {"organizations": len(world.org_rows), "datasets": n_datasets,
            "resources": n_resources, "load_s": time.perf_counter() - started,
            "generate_s": generate}


# --- the queries --------------------------------------------------------------------------


@dataclass
class Planned:
    family: str
    params: dict[str, Any]


def plan_queries(world: World, rng: random.Random, count: int) -> list[Planned]:
    """``count`` searches in the proportions of FAMILY_SHARE; cursor follow-ups are resolved
    when run (the next page of an earlier search that had one)."""
    popular = sorted(world.dataset_counts, key=world.dataset_counts.get, reverse=True)
    publishers = popular[:40] + rng.sample(popular[40:], min(20, len(popular) - 40))
    all_formats = sorted({f for t in TOPICS for f in t.formats})
    communes = CITIES[:12] + rng.sample(sorted(world.communes), 12)
    territories_ = (communes + ["fr:commune:54395", "54", "57", "35", "29", "88", "55",
                                "region:44", "region:53", "67"] + list(world.epci_areas)[:3])
    counts = {f: round(share * count) for f, share in FAMILY_SHARE.items()}
    counts["text"] += count - sum(counts.values())

    def text() -> dict[str, Any]:
        params: dict[str, Any] = {"q": rng.choice(TEXT_QUERIES)}
        if rng.random() < 0.25:
            params["sort"] = rng.choice(SORT_CHOICES)
        return params

    def facets() -> dict[str, Any]:
        topic = rng.choices(TOPICS, [t.weight for t in TOPICS])[0]
        words = rng.choice(topic.keywords).split()
        params: dict[str, Any] = {"q": " ".join(words[:3])}
        for name in rng.sample(("publisher", "theme", "licence", "format", "access_type"),
                               k=rng.choice((1, 1, 2, 2, 3))):
            if name == "publisher":
                params[name] = rng.sample(publishers, k=rng.choice((1, 1, 1, 2)))
            elif name == "theme":
                params[name] = [rng.choice(topic.themes)]
            elif name == "licence":
                params[name] = [weighted(rng, LICENCE_WEIGHTS)]
            elif name == "format":
                params[name] = rng.sample(all_formats, k=rng.choice((1, 1, 2)))
            else:
                params[name] = [weighted(rng, ACCESS_WEIGHTS)]
        if rng.random() < 0.2:
            params["sort"] = rng.choice(SORT_CHOICES)
        return params

    def territory() -> dict[str, Any]:
        params: dict[str, Any] = {"territory": rng.choice(territories_)}
        if rng.random() < 0.3:
            params["sort"] = rng.choice(SORT_CHOICES)
        return params

    def bbox() -> dict[str, Any]:
        if rng.random() < 0.5:
            box = rng.choice(BBOXES)
        else:  # a few kilometres around a commune
            minx, miny, maxx, maxy = world.communes[rng.choice(sorted(world.communes))].bbox
            x, y, half = (minx + maxx) / 2, (miny + maxy) / 2, rng.uniform(0.02, 0.08)
            box = (x - half, y - half, x + half, y + half)
        params: dict[str, Any] = {"bbox": ",".join(f"{v:.4f}" for v in box)}
        if rng.random() < 0.3:
            params["sort"] = rng.choice(SORT_CHOICES)
        return params

    makers: dict[str, Callable[[], dict[str, Any]]] = {
        "text": text, "text+facets": facets, "territory": territory, "bbox": bbox}
    plan = [Planned(f, makers[f]()) for f in makers for _ in range(counts[f])]
    rng.shuffle(plan)
    for _ in range(counts["cursor"]):
        plan.insert(rng.randint(min(5, len(plan)), len(plan)), Planned("cursor", {}))
    return plan


@dataclass
class Sample:
    family: str
    params: dict[str, Any]
    ms: float
    db_ms: float
    total: int
    statements: list[tuple[str, Any, float]]
    cold: bool  # the first search of this territory (its matching zones not yet cached)


class SqlRecorder:
    """Times every statement the engine runs (cursor execute only: on SQLite the rows that
    remain to fetch after the first step are not counted)."""

    def __init__(self, engine):
        import sqlalchemy as sa

        self.statements: list[tuple[str, Any, float]] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info["bench_started"].pop()
        self.statements.append((statement, parameters, ms(time.perf_counter() - started)))

    def take(self) -> list[tuple[str, Any, float]]:
        taken, self.statements = self.statements, []
        return taken


def run_queries(base_url: str, plan: list[Planned], recorder: SqlRecorder,
                rng: random.Random, seen: set[str], deadline: float,
                label: str = "searches") -> list[Sample]:
    """Run the plan in order; stops early (with fewer samples) once ``deadline`` (monotonic)
    has passed."""
    import httpx

    samples: list[Sample] = []
    pages: list[dict[str, Any]] = []  # params of earlier searches that have a next page
    began = time.perf_counter()
    with httpx.Client(base_url=base_url, timeout=300) as client:
        for planned in plan:
            if time.monotonic() > deadline:
                break
            params = planned.params
            if planned.family == "cursor":
                if not pages:
                    raise SystemExit("no earlier search had a next page to follow")
                params = rng.choice(pages[-15:])
            recorder.take()
            started = time.perf_counter()
            response = client.get("/api/v1/datasets", params=params)
            elapsed = ms(time.perf_counter() - started)
            statements = recorder.take()
            if response.status_code != 200:
                print(f"\n!!! {planned.family} search {params} answered "
                      f"{response.status_code}:\n{response.text[:2000]}", file=sys.stderr)
                raise SystemExit(f"search failed with HTTP {response.status_code}")
            body = response.json()
            if body.get("next_cursor"):
                pages.append({**{k: v for k, v in params.items() if k != "cursor"},
                              "cursor": body["next_cursor"]})
            cold = "territory" in params and params["territory"] not in seen
            seen.add(params.get("territory"))
            samples.append(Sample(planned.family, params, elapsed,
                                  sum(s[2] for s in statements), body["total"], statements,
                                  cold))
            if len(samples) % 50 == 0:
                print(f"  … {label}: {len(samples)}/{len(plan)} after "
                      f"{time.perf_counter() - began:.0f} s", flush=True)
    return samples


def explain(engine, statement: str, parameters: Any) -> list[str]:
    if engine.dialect.name == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) "
    else:
        prefix = "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    if engine.dialect.name == "postgresql":
        return [line[:len(line) - len(line.lstrip())] + one_line(line) for line, in rows]
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


# --- one engine ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_engine(engine_name: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ctd-bench-") as tmp:
        if engine_name == "sqlite":
            url, drop = f"sqlite:///{tmp}/bench.sqlite", (lambda: None)
        else:
            from catalogue.db import scratch_database

            url, drop = scratch_database(args.pg_url, "ctd_bench")
        # Before anything of catalogue is imported.
        os.environ["CTD_DATABASE_URL"] = url
        os.environ["CTD_DATA_DIR"] = tmp
        try:
            return bench(engine_name, args)
        finally:
            drop()


def bench(engine_name: str, args: argparse.Namespace) -> dict[str, Any]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa
    import uvicorn
    from sqlmodel import Session

    from catalogue import db, search
    from catalogue.app import create_app

    rng = random.Random(args.seed)
    result: dict[str, Any] = {"engine": engine_name}
    print(f"\n=== {engine_name}: {args.datasets:,} datasets, {args.queries} queries ===",
          flush=True)
    started = time.perf_counter()
    db.upgrade()
    result["upgrade_s"] = time.perf_counter() - started
    engine = db.get_engine()
    with Session(engine) as session:
        world = load_areas(session)
    build_organizations(world, rng)
    result.update(load(world, engine, args.datasets, rng))
    print(f"load: {result['organizations']} organizations, {result['datasets']:,} datasets, "
          f"{result['resources']:,} resources in {result['load_s']:.1f} s "
          f"(of which {result['generate_s']:.1f} s generating rows; "
          f"migrations + reference territories {result['upgrade_s']:.1f} s)", flush=True)

    started = time.perf_counter()
    with Session(engine) as session:
        if args.profile_index:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            indexed = profile.runcall(search.reindex_all, session)
        else:
            indexed = search.reindex_all(session)
        session.commit()
    result["index_s"] = time.perf_counter() - started
    print(f"index: reindex_all over {indexed:,} datasets in {result['index_s']:.1f} s "
          f"({indexed / result['index_s']:,.0f} datasets/s)", flush=True)
    if args.profile_index:
        pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    started = time.perf_counter()
    if engine_name == "postgresql":
        # What autovacuum does shortly after such a load: visibility map and statistics.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
    elif args.sqlite_analyze:
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
        print(f"ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)

    plan = plan_queries(world, rng, args.queries)
    budget = args.query_budget or math.inf
    result["budget_s"] = budget
    warmup = plan_queries(world, random.Random(args.seed + 1), WARMUP)
    recorder = SqlRecorder(engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("the server did not start")
        time.sleep(0.02)
    try:
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        deadline = time.monotonic() + budget
        seen: set[str] = set()
        # The warm-up may use at most 15 % of the budget, so that searches are measured too.
        warm = run_queries(base, warmup, recorder, random.Random(args.seed + 2), seen,
                           time.monotonic() + 0.15 * budget, "warm-up")
        result["warmup_s"] = time.perf_counter() - started
        result["warmup_n"] = len(warm)
        started = time.perf_counter()
        samples = run_queries(base, plan, recorder, random.Random(args.seed + 3), seen,
                              deadline)
        result["queries_s"] = time.perf_counter() - started
        result["planned"] = len(plan)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    report(engine, result, samples)
    return result


def report(engine, result: dict[str, Any], samples: list[Sample]) -> None:
    overall = summary([s.ms for s in samples])
    result["latency"] = overall
    result["searched"] = len(samples)
    result["families"] = {f: summary([s.ms for s in samples if s.family == f])
                          for f in FAMILIES}
    verdict = "met" if overall["p95"] <= TARGET_MS else "MISSED"
    if len(samples) < result["planned"]:
        print(f"!!! INCOMPLETE: the query budget ({result['budget_s']:.0f} s, --query-budget) "
              f"ran out after {result['warmup_n']} warm-up and {len(samples)} of "
              f"{result['planned']} searches (in random order); the figures below are over "
              f"those {len(samples)}.")
    print(f"searches: {len(samples)} over HTTP in {result['queries_s']:.1f} s "
          f"(after {result['warmup_n']} warm-up searches in {result['warmup_s']:.1f} s)")
    print(f"latency: p50 {overall['p50']:.1f} ms   p95 {overall['p95']:.1f} ms   "
          f"max {overall['max']:.1f} ms")
    print(f"anchor: {ANCHOR}  ->  ctd p95 {overall['p95']:.1f} ms: target {verdict}")
    print(f"load {result['load_s']:.1f} s   index {result['index_s']:.1f} s")
    print(f"{'family':<12} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'db p95':>8} {'hits p50':>9}")
    for family in FAMILIES:
        chosen = [s for s in samples if s.family == family]
        if not chosen:
            continue
        stats = result["families"][family]
        flag = "  <-- over 50 ms" if stats["p95"] > TARGET_MS else ""
        print(f"{family:<12} {stats['n']:>4} {stats['p50']:>8.1f} {stats['p95']:>8.1f} "
              f"{stats['max']:>8.1f} {percentile([s.db_ms for s in chosen], 95):>8.1f} "
              f"{percentile([s.total for s in chosen], 50):>9,}{flag}")
    for cold in (True, False):
        chosen = [s for s in samples if s.family == "territory" and s.cold == cold]
        if chosen:
            stats = summary([s.ms for s in chosen])
            print(f"  {'1st of zone' if cold else 'zone seen':<10} {stats['n']:>4} "
                  f"{stats['p50']:>8.1f} {stats['p95']:>8.1f} {stats['max']:>8.1f} "
                  f"{percentile([s.db_ms for s in chosen], 95):>8.1f}")
    print("(db = time inside cursor.execute of the SQL statements, summed per search; "
          "'1st of zone' = territory searches whose matching zones were not yet cached)")
    for family in FAMILIES:
        if not result["families"][family]["n"] or result["families"][family]["p95"] <= TARGET_MS:
            continue
        chosen = sorted((s for s in samples if s.family == family), key=lambda s: s.ms)
        slowest = chosen[-1]
        at_p95 = chosen[max(0, math.ceil(0.95 * len(chosen)) - 1)]
        for label, sample in (("slowest", slowest), ("at p95", at_p95)):
            if label == "at p95" and sample is slowest:
                continue
            print(f"\n--- {family}: {label} search {sample.params} -> {sample.total:,} hits, "
                  f"{sample.ms:.1f} ms (SQL {sample.db_ms:.1f} ms) ---")
            for statement, _, took in sorted(sample.statements, key=lambda s: -s[2])[:4]:
                print(f"  {took:8.1f} ms  {one_line(statement, 150)}")
            if sample is not at_p95:
                continue
            statement, parameters, took = max(sample.statements, key=lambda s: s[2])
            print(f"  plan of the slowest statement ({took:.1f} ms):")
            print("    " + one_line(statement))
            for line in explain(engine, statement, parameters):
                print("    " + line)
    sys.stdout.flush()


# --- the driver ---------------------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> None:
    print(f"\n{ANCHOR}")
    header = (f"{'engine':<11} {'datasets':>9} {'searches':>8} {'load s':>7} {'index s':>8} "
              f"{'p50 ms':>7} "
              f"{'p95 ms':>7} {'max ms':>7}  " + " ".join(f"{f:>11}" for f in FAMILIES)
              + "  target")
    print(header)
    print(" " * 71 + "(p95 ms per family)")
    for r in results:
        lat = r["latency"]
        searched = (str(r["searched"]) if r["searched"] == r["planned"]
                    else f"{r['searched']}/{r['planned']}")
        print(f"{r['engine']:<11} {r['datasets']:>9,} {searched:>8} {r['load_s']:>7.1f} "
              f"{r['index_s']:>8.1f} "
              f"{lat['p50']:>7.1f} {lat['p95']:>7.1f} {lat['max']:>7.1f}  "
              + " ".join(f"{r['families'][f]['p95']:>11.1f}" for f in FAMILIES)
              + f"  {'met' if lat['p95'] <= TARGET_MS else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="a PostgreSQL server on which to create the benchmark database")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sqlite-analyze", action="store_true",
                        help="run ANALYZE on SQLite after loading (ctd itself never does)")
    parser.add_argument("--query-budget", type=float, default=120,
                        help="seconds per engine for warm-up (at most 15 %%) and searches; "
                             "searches left when it runs out are skipped, loudly "
                             "(0: no limit; default %(default)s)")
    parser.add_argument("--profile-index", action="store_true",
                        help="profile reindex_all with cProfile")
    parser.add_argument("--one-engine", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one_engine:  # the child process
        result = run_engine(args.one_engine, args)
        Path(args.result_file).write_text(json.dumps(result))
        return

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    results = []
    started = time.perf_counter()
    for engine in engines:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:],
                       "--one-engine", engine, "--result-file", out.name]
            if subprocess.run(command, check=False).returncode != 0:
                raise SystemExit(f"\n!!! the {engine} benchmark failed")
            results.append(json.loads(Path(out.name).read_text()))
    table(results)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
