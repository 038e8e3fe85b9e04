"""Demo data: the Comité territorial de la donnée de Lorraine, its real members, a vendor,
one user per role, and datasets whose CSV files follow the official SCDL and IRVE schemas.

Loading is idempotent: what exists already (by slug) is kept, and tokens are only created
for users that have none.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from sqlmodel import Session, select

from catalogue import auth, committees, datasets, demo_files, organizations, resources, roadmaps
from catalogue.auth import OPERATOR
from catalogue.models import (
    ApiToken,
    Committee,
    Dataset,
    Organization,
    RoadmapUseCase,
    Territory,
    User,
)
from catalogue.schemas import (
    BudgetLineCreate,
    CommitteeCreate,
    ContactPoint,
    DatasetCreate,
    MemberIn,
    OrganizationCreate,
    RoadmapDatasetCreate,
    TableSchemaRef,
    TemporalCoverage,
    UseCaseCreate,
)
from catalogue.vocabularies import Role

COMMITTEE = "ctd-lorraine"
GRAND_NANCY = ("54025", "54165", "54184", "54197", "54257", "54265", "54274", "54300",
               "54304", "54328", "54339", "54357", "54395", "54439", "54482", "54495",
               "54498", "54526", "54547", "54578")
METZ_METROPOLE = ("57017", "57031", "57032", "57039", "57049", "57134", "57140", "57142",
                  "57146", "57147", "57162", "57212", "57256", "57351", "57352", "57385",
                  "57396", "57412", "57415", "57445", "57447", "57452", "57454", "57463",
                  "57467", "57480", "57487", "57510", "57512", "57534", "57545", "57552",
                  "57553", "57601", "57616", "57622", "57624", "57634", "57642", "57693",
                  "57694", "57701", "57707", "57751")

ORGANIZATIONS = [
    OrganizationCreate(slug="grand-nancy", name="Métropole du Grand Nancy", kind="epci",
                       siren="245400676", commune_codes=list(GRAND_NANCY),
                       website="https://www.grandnancy.eu"),
    OrganizationCreate(slug="ville-de-nancy", name="Ville de Nancy", kind="commune",
                       siren="215403957", insee_code="54395", website="https://www.nancy.fr"),
    OrganizationCreate(slug="metz-metropole", name="Metz Métropole", kind="epci",
                       siren="200039865", commune_codes=list(METZ_METROPOLE),
                       website="https://www.metzmetropole.fr"),
    OrganizationCreate(slug="ville-de-metz", name="Ville de Metz", kind="commune",
                       siren="215704636", insee_code="57463", website="https://metz.fr"),
    OrganizationCreate(slug="departement-54", name="Département de Meurthe-et-Moselle",
                       kind="departement", siren="225400019", insee_code="54",
                       website="https://www.meurthe-et-moselle.fr"),
    OrganizationCreate(slug="ville-d-epinal", name="Ville d'Épinal", kind="commune",
                       siren="218801603", insee_code="88160", website="https://www.epinal.fr"),
    OrganizationCreate(slug="prefecture-grand-est", name="Préfecture de la région Grand Est",
                       kind="state_service"),
    # A fictitious vendor (its SIREN only passes the checksum).
    OrganizationCreate(slug="donnees-et-territoires", name="Données & Territoires SAS",
                       kind="company", siren="834526105",
                       contact_email="contact@donnees-territoires.example"),
]
MEMBERS = ["grand-nancy", "ville-de-nancy", "metz-metropole", "ville-de-metz", "departement-54",
           "ville-d-epinal"]


@dataclass(frozen=True)
class Kind:
    """How a kind of demo file is described as a dataset."""

    title: str
    description: str
    themes: tuple[str, ...]
    keywords: tuple[str, ...]
    frequency: str
    schema: tuple[str, str] | None = None
    licence: str = "fr-lo-2.0"
    access_type: str = "open"
    personal: str = "no"


KINDS = {
    "subventions": Kind(
        "Subventions attribuées aux associations",
        "Données essentielles des conventions de subvention de plus de 23 000 € attribuées "
        "par la collectivité aux associations et organismes : bénéficiaire, objet, montant, "
        "nature et conditions de versement (décret n° 2017-779).",
        ("ECON", "GOVE"), ("subventions", "associations", "SCDL", "transparence"), "ANNUAL",
        ("scdl/subventions", "2.1.1")),
    "deliberations": Kind(
        "Délibérations du conseil",
        "Liste des délibérations adoptées en séance : date, objet, matière, votes. "
        "Publication conforme au Socle commun des données locales.",
        ("GOVE",), ("délibérations", "conseil", "SCDL", "actes administratifs"), "MONTHLY",
        ("scdl/deliberations", "2.1.5")),
    "equipements": Kind(
        "Équipements publics",
        "Équipements collectifs gérés par la collectivité (sportifs, culturels, scolaires, "
        "administratifs) avec leur adresse et leur position géographique.",
        ("REGI", "EDUC"), ("équipements", "services publics", "SCDL", "géolocalisation"),
        "ANNUAL", ("scdl/equipements", "0.1.5")),
    "budget": Kind(
        "Budget primitif",
        "Budget primitif voté, par chapitre et par article de la nomenclature comptable "
        "(M57), en dépenses et en recettes, section de fonctionnement et d'investissement.",
        ("ECON", "GOVE"), ("budget", "finances publiques", "SCDL", "M57"), "ANNUAL",
        ("scdl/budget", "0.8.3")),
    "menus-collectifs": Kind(
        "Menus de la restauration scolaire",
        "Menus servis dans les restaurants scolaires : plats, composantes, labels de qualité "
        "(loi EGAlim).",
        ("AGRI", "EDUC"), ("cantine", "restauration scolaire", "menus", "SCDL"), "WEEKLY",
        ("scdl/menus-collectifs", "1.2.3")),
    "prenoms": Kind(
        "Prénoms des enfants nés sur la commune",
        "Prénoms déclarés à l'état civil pour les naissances de l'année, avec leur nombre "
        "d'occurrences (les prénoms rares sont regroupés par le service).",
        ("SOCI",), ("prénoms", "état civil", "naissances", "SCDL"), "ANNUAL",
        ("scdl/prenoms", "1.1.6")),
    "irve-statique": Kind(
        "Bornes de recharge pour véhicules électriques (IRVE)",
        "Points de recharge pour véhicules électriques ouverts au public : localisation, "
        "puissance, prises, conditions d'accès (schéma national IRVE statique).",
        ("TRAN", "ENER"), ("IRVE", "mobilité électrique", "bornes de recharge"), "MONTHLY",
        ("etalab/schema-irve-statique", "2.3.0"), licence="odbl-1.0"),
    "inscriptions-scolaires": Kind(
        "Inscriptions scolaires",
        "Fichier des inscriptions dans les écoles maternelles et élémentaires : élèves, "
        "responsables légaux, école et classe. Contient des données personnelles : "
        "accès réservé, sous convention.",
        ("EDUC",), ("écoles", "inscriptions", "données personnelles"), "ANNUAL",
        access_type="restricted", personal="yes", licence="other"),
    "aides-sociales": Kind(
        "Bénéficiaires des aides sociales départementales",
        "Versements des aides sociales facultatives du département. Contient des "
        "identifiants directs (NIR, IBAN) : données protégées, jamais ouvertes.",
        ("SOCI", "HEAL"), ("aides sociales", "solidarité", "données personnelles"), "MONTHLY",
        access_type="protected", personal="yes", licence="other"),
    "agents-municipaux": Kind(
        "Effectifs et rémunérations des agents",
        "Liste nominative des agents de la collectivité avec service, grade et rémunération "
        "brute. Données personnelles : accès protégé.",
        ("GOVE",), ("ressources humaines", "agents", "données personnelles"), "ANNUAL",
        access_type="protected", personal="yes", licence="other"),
}

PUBLICATIONS = {
    "grand-nancy": ["subventions", "deliberations", "equipements", "budget", "irve-statique",
                    "menus-collectifs"],
    "ville-de-nancy": ["subventions", "deliberations", "budget", "prenoms", "equipements",
                       "inscriptions-scolaires"],
    "metz-metropole": ["subventions", "deliberations", "budget", "irve-statique", "equipements"],
    "ville-de-metz": ["subventions", "deliberations", "prenoms", "menus-collectifs",
                      "agents-municipaux"],
    "departement-54": ["subventions", "deliberations", "budget", "equipements",
                       "aides-sociales"],
    "ville-d-epinal": ["subventions", "deliberations", "prenoms", "equipements", "budget"],
}

USERS = [
    ("admin", Role.admin, None, None),
    ("coordination-lorraine", Role.committee_coordinator, None, COMMITTEE),
    ("cdo-grand-nancy", Role.publisher, "grand-nancy", None),
    ("cdo-nancy", Role.publisher, "ville-de-nancy", None),
    ("cdo-metz-metropole", Role.publisher, "metz-metropole", None),
    ("cdo-metz", Role.publisher, "ville-de-metz", None),
    ("cdo-meurthe-et-moselle", Role.publisher, "departement-54", None),
    ("cdo-epinal", Role.publisher, "ville-d-epinal", None),
    ("vendeur-donnees-territoires", Role.vendor, "donnees-et-territoires", None),
]


# The committee's roadmap: use cases on their relevant territory, with their budget lines and
# the datasets to open first (the published ones linked to the catalogue).
ROADMAP = [
    (UseCaseCreate(
        slug="bornes-de-recharge", title="Planifier les bornes de recharge électrique",
        description="Croiser les points de recharge existants (schéma IRVE) avec les "
                    "équipements publics pour proposer les implantations manquantes.",
        zones=["54", "57"], lead="grand-nancy", partners=["metz-metropole"],
        status="in_progress"),
     [BudgetLineCreate(label="Consolidation des fichiers IRVE", amount="18000.00",
                       funder="Région Grand Est", year=2026),
      BudgetLineCreate(label="Étude d'implantation", amount="42500.00",
                       funder="France 2030", year=2026)],
     [RoadmapDatasetCreate(use_case="bornes-de-recharge",
                           title="Points de recharge de la Métropole du Grand Nancy",
                           responsible="grand-nancy", due=date(2026, 3, 31),
                           status="published", table_schema="irve-statique",
                           dataset="irve-statique-grand-nancy"),
      RoadmapDatasetCreate(use_case="bornes-de-recharge",
                           title="Points de recharge de la Ville de Metz",
                           responsible="ville-de-metz", due=date(2026, 6, 30),
                           table_schema="irve-statique")]),
    (UseCaseCreate(
        slug="transparence-subventions", title="Transparence des subventions aux associations",
        description="Publier les subventions de chaque membre au schéma SCDL pour une vue "
                    "commune des aides aux associations du territoire.",
        zones=["54395", "57463", "88160"], lead="ville-de-nancy",
        partners=["ville-de-metz", "ville-d-epinal"], status="proposed"),
     [BudgetLineCreate(label="Accompagnement des communes", amount="7500.00",
                       funder="Comité territorial de la donnée de Lorraine", year=2027)],
     [RoadmapDatasetCreate(use_case="transparence-subventions",
                           title="Subventions de la Ville de Nancy", responsible="ville-de-nancy",
                           due=date(2026, 9, 30), status="published",
                           table_schema="scdl-subventions",
                           dataset="subventions-ville-de-nancy"),
      RoadmapDatasetCreate(use_case="transparence-subventions",
                           title="Subventions de la Ville d'Épinal",
                           responsible="ville-d-epinal", due=date(2027, 3, 31),
                           status="in_progress", table_schema="scdl-subventions")]),
]


def _roadmap(session: Session, committee: Committee) -> None:
    for use_case, lines, items in ROADMAP:
        if session.exec(select(RoadmapUseCase.id).where(
                RoadmapUseCase.committee_id == committee.id,
                RoadmapUseCase.slug == use_case.slug)).first():
            continue
        created = roadmaps.create_use_case(session, OPERATOR, committee, use_case)
        for line in lines:
            roadmaps.add_budget_line(session, OPERATOR, committee, created, line)
        for item in items:
            roadmaps.create_dataset(session, OPERATOR, committee, item)
    session.commit()


def _exists(session: Session, model, slug: str) -> bool:
    return session.exec(select(model.id).where(model.slug == slug)).first() is not None


def _publisher(session: Session, org: Organization) -> demo_files.Publisher:
    codes = [org.insee_code] if org.kind == "commune" else list(org.commune_codes)
    if org.kind == "departement":
        codes = list(session.exec(select(Territory.code).where(
            Territory.level == "commune", Territory.code.startswith(org.insee_code))
            .order_by(Territory.code).limit(40)))
    names = dict(session.exec(select(Territory.code, Territory.name).where(
        Territory.id.in_([f"fr:commune:{c}" for c in codes]))).all())
    return demo_files.Publisher(name=org.name, siren=org.siren,
                                insee_code=org.insee_code if org.kind == "commune" else None,
                                commune_codes=tuple(codes),
                                commune_names=tuple(names[c] for c in codes))


def _dataset(session: Session, org: Organization, kind_name: str, seed: int,
             workdir: Path) -> Dataset:
    kind = KINDS[kind_name]
    dataset = datasets.create(session, OPERATOR, DatasetCreate(
        slug=f"{kind_name}-{org.slug}", title=f"{kind.title} — {org.name}",
        publisher=org.slug, description=kind.description,
        licence=kind.licence, keywords=list(kind.keywords), themes=list(kind.themes),
        access_type=kind.access_type, contains_personal_data=kind.personal,
        frequency=kind.frequency, state="published",
        temporal=TemporalCoverage(start=date(2024, 1, 1), end=date(2024, 12, 31)),
        table_schema=TableSchemaRef(name=kind.schema[0], version=kind.schema[1])
        if kind.schema else None,
        contact_point=ContactPoint(name=f"Service de la donnée — {org.name}",
                                   email=f"donnees@{org.slug}.example"),
    ))
    path = demo_files.write_file(kind_name, _publisher(session, org),
                                 workdir / f"{kind_name}-{org.slug}.csv", seed=seed)
    with path.open("rb") as stream:
        resources.create_upload(session, OPERATOR, dataset, stream, path.name,
                                title=f"{kind.title} (CSV)", media_type="text/csv")
    return dataset


def load(session: Session, console: Console) -> None:
    for data in ORGANIZATIONS:
        if not _exists(session, Organization, data.slug):
            organizations.create(session, OPERATOR, data)
    if not _exists(session, Committee, COMMITTEE):
        committees.create(session, OPERATOR, CommitteeCreate(
            slug=COMMITTEE, name="Comité territorial de la donnée de Lorraine",
            description="Instance de coordination de la donnée publique en Lorraine, "
                        "animée par les collectivités ; l'État y est observateur.",
            members=[MemberIn(organization=s) for s in MEMBERS]
            + [MemberIn(organization="prefecture-grand-est", role="observer")]))
    work = [(slug, kind) for slug, kinds in PUBLICATIONS.items() for kind in kinds]
    orgs = {o.slug: o for o in organizations.list_all(session)}
    created = 0
    with tempfile.TemporaryDirectory() as tmp, Progress(console=console) as progress:
        task = progress.add_task("Jeux de données de démonstration", total=len(work))
        for seed, (slug, kind) in enumerate(work):
            if not _exists(session, Dataset, f"{kind}-{slug}"):
                _dataset(session, orgs[slug], kind, seed, Path(tmp))
                created += 1
            progress.advance(task)
    console.print(f"{created} jeu(x) de données créé(s), {len(work) - created} déjà présent(s).")
    _roadmap(session, committees.find(session, COMMITTEE))
    tokens = []
    for name, role, org, committee in USERS:
        user = auth.grant_role(session, name, role, organization=org, committee=committee)
        if not session.exec(select(ApiToken.id).where(ApiToken.user_id == user.id)).first():
            tokens.append((name, role, auth.create_token(session, user, "démo")))
    if tokens:
        console.print("Jetons d'accès (affichés une seule fois) :")
        for name, role, token in tokens:
            console.print(f"  {name:<28} {role:<22} {token}", highlight=False, soft_wrap=True)
    else:
        users = session.exec(select(User.name).order_by(User.name)).all()
        console.print(f"Utilisateurs déjà munis de jetons : {', '.join(users)}. "
                      "Nouveau jeton : ctd token create --user NOM --role RÔLE")
    console.print(f"Comité « {COMMITTEE} » prêt : ctd serve, puis "
                  "http://127.0.0.1:8000/api/v1/datasets?q=subvention")
