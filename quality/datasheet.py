"""The datasheet of a dataset (« fiche descriptive du jeu de données »), after Gebru et al.,
*Datasheets for Datasets* (2021): motivation, composition, collection process,
preprocessing, uses, distribution and maintenance, in French HTML.

It renders the facts of ``quality.croissant.facts``, the ones its Croissant document is made
of, so the two cannot disagree; like it, it quotes no value from the data.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from catalogue.vocabularies import FREQUENCIES
from quality.croissant import Facts

SECTIONS = [
    ("motivation", "Motivation"),
    ("composition", "Composition"),
    ("collecte", "Processus de collecte"),
    ("pretraitement", "Prétraitement / nettoyage"),
    ("usages", "Usages"),
    ("diffusion", "Diffusion"),
    ("maintenance", "Maintenance"),
]
TYPES = {"boolean": "booléen", "integer": "entier", "number": "nombre décimal",
         "date": "date", "datetime": "date et heure", "time": "heure", "duration": "durée",
         "code": "code (texte)", "geopoint": "point géographique", "string": "texte",
         "binary": "binaire", "list": "liste", "struct": "structure"}
# Labels of the detection kinds of ``quality.personal``.
KINDS = {
    "nir": "NIR (numéro de sécurité sociale)", "siren": "SIREN", "siret": "SIRET",
    "iban": "IBAN (compte bancaire)", "phone": "numéro de téléphone",
    "email": "adresse électronique", "person_name": "nom de personne",
    "address": "adresse postale avec numéro", "birth_date": "date de naissance",
    "age": "âge", "sex": "sexe", "plate": "plaque d'immatriculation", "ip": "adresse IP",
    "gps": "coordonnées GPS", "postal_code": "code postal", "commune": "commune",
    "iris": "zone IRIS", "profession": "profession", "nationality": "nationalité",
    "special": "catégorie particulière de données",
    "conviction": "condamnations et infractions",
}
TOPICS = {
    "health": "santé", "religion": "convictions religieuses ou philosophiques",
    "political_opinion": "opinions politiques", "trade_union": "appartenance syndicale",
    "ethnic_origin": "origine raciale ou ethnique",
    "sexual_orientation": "vie ou orientation sexuelle", "biometric": "données biométriques",
    "genetic": "données génétiques", "conviction": "condamnations et infractions",
}
CATEGORIES = {
    "identifier": "identifiant direct bloquant", "direct": "identifiant direct",
    "possible": "possiblement personnel", "quasi": "quasi-identifiant",
    "sensitive": "donnée sensible (RGPD art. 9 ou 10)",
}
ACCESS = {"open": "ouvert", "restricted": "restreint", "protected": "protégé"}
DECLARED = {"yes": "Le producteur déclare que le jeu de données contient des données "
                   "personnelles.",
            "no": "Le producteur déclare que le jeu de données ne contient pas de données "
                  "personnelles.",
            "unknown": "Le producteur n'a pas déclaré si le jeu de données contient des "
                       "données personnelles."}
ORGANIZATION_KINDS = {
    "commune": "commune", "epci": "EPCI", "departement": "département", "region": "région",
    "syndicat": "syndicat", "opsn": "opérateur public de services numériques",
    "state_service": "service de l'État", "committee": "comité", "company": "entreprise",
}
SCORE_NAMES = {"metadata": "Qualité des métadonnées",
               "ai_fitness": "Aptitude à l'entraînement d'IA",
               "minimisation": "Minimisation des données personnelles (RGPD art. 5.1.c)"}
VERDICTS = {
    "open": "Publiable en données ouvertes : réutilisable par tous, y compris pour entraîner "
            "des modèles d'IA, selon sa licence.",
    "agreement_only": "Partageable seulement dans le cadre d'une convention de partage avec "
                      "le producteur, pour les finalités qu'elle prévoit.",
    "do_not_share": "À ne pas partager hors du producteur : les identifiants directs ou les "
                    "données sensibles doivent d'abord être retirés.",
}
AI_TRAINING = {"allowed": "Entraînement d'IA permis selon la licence.",
               "agreement_only": "Entraînement d'IA seulement sous convention.",
               "blocked": "Entraînement d'IA exclu."}
OMITTED = {"no_checksum": "lien que ctd n'a pas téléchargé : sans empreinte, il n'est pas "
                          "décrit dans le document Croissant",
           "api": "point d'accès d'API, pas un fichier", "no_url": "sans adresse"}
SCANS = {"done": "analysé", "stale": "modifié depuis sa dernière analyse",
         "failed": "illisible par l'analyse", "none": "non analysé",
         "not_tabular": "non tabulaire"}


def render(facts: Facts) -> str:
    """The datasheet of ``facts`` as an HTML page."""
    return _environment().get_template("datasheet.html").render(
        f=facts, sections=SECTIONS, types=TYPES, kinds=KINDS, topics=TOPICS,
        categories=CATEGORIES,
        access=ACCESS, declared=DECLARED, organization_kinds=ORGANIZATION_KINDS,
        frequencies=FREQUENCIES, score_names=SCORE_NAMES, verdicts=VERDICTS,
        ai_training=AI_TRAINING, omitted=OMITTED, scans=SCANS, period=period)


@functools.cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("quality", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(percent=percent, number=number, day=day, label=label)
    return env


def percent(value: float | None) -> str:
    """12,5 % (French typography, a narrow no-break space before the sign)."""
    if value is None:
        return "—"
    if 0 < value < 0.001:
        return "< 0,1\u202f%"
    return f"{100 * value:.1f}".removesuffix(".0").replace(".", ",") + "\u202f%"


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def day(value: date | datetime | None) -> str:
    if value is None:
        return "non renseignée"
    return (value.date() if isinstance(value, datetime) else value).strftime("%d/%m/%Y")


def period(start: date | None, end: date | None) -> str | None:
    """« du 01/01/2024 au 31/12/2024 », or an open end."""
    if start and end:
        return f"du {day(start)} au {day(end)}"
    if start:
        return f"depuis le {day(start)}"
    return f"jusqu'au {day(end)}" if end else None


def label(key: Any, table: dict[str, str]) -> str:
    return table.get(str(key), str(key).replace("_", " "))
