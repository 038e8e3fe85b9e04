"""The ``ctd`` command: administration of the service (messages in French)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from catalogue import auth, committees, datasets, db, jobs, organizations, roadmaps, territories
from catalogue.auth import OPERATOR
from catalogue.cli_common import (
    OutputFormat,
    console,
    fail,
    operation,
    print_record,
    print_records,
)
from catalogue.models import Dataset
from catalogue.schemas import (
    BudgetLineCreate,
    DatasetCreate,
    OrganizationCreate,
    RoadmapDatasetCreate,
    RoadmapDatasetUpdate,
    SpatialIn,
    UseCaseCreate,
)
from catalogue.vocabularies import (
    AccessType,
    DatasetState,
    OrganizationKind,
    RoadmapDatasetStatus,
    Role,
    TerritoryLevel,
    UseCaseStatus,
)
from connectors import background as harvest_background
from connectors import cli as harvest_cli
from quality import background as quality_background
from quality import cli as quality_cli
from sharing_agreements import background as agreements_background
from sharing_agreements import cli as agreements_cli

app = typer.Typer(help="ctd — catalogue d'un Comité territorial de la donnée.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations.", no_args_is_help=True)
datasets_app = typer.Typer(help="Jeux de données.", no_args_is_help=True)
token_app = typer.Typer(help="Jetons d'accès à l'API.", no_args_is_help=True)
territories_app = typer.Typer(help="Territoires de référence.", no_args_is_help=True)
roadmap_app = typer.Typer(help="Feuille de route d'un comité : cas d'usage, budget, "
                               "jeux de données prioritaires.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(orgs_app, name="orgs")
app.add_typer(datasets_app, name="datasets")
app.add_typer(token_app, name="token")
app.add_typer(territories_app, name="territories")
app.add_typer(roadmap_app, name="roadmap")
# The other packages' commands and background jobs, composed here.
harvest_background.install()
app.add_typer(harvest_cli.app, name="harvest")
quality_background.install()
app.command("score")(quality_cli.score)
app.command("minimise")(quality_cli.minimise)
app.add_typer(quality_cli.app, name="quality")
app.add_typer(agreements_cli.log_app, name="log")
agreements_background.install()
app.add_typer(agreements_cli.agreements_app, name="agreements")

# --- db, serve, demo ----------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade() -> None:
    """Met le schéma de la base à jour (migrations Alembic) et charge les territoires."""
    db.upgrade()
    console.print("Base de données à jour.")


@app.command()
def serve(host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8000,
          workers: Annotated[int, typer.Option(
              help="Processus de tâches (moissons) lancés avec le service ; 0 : aucun, "
                   "pour les confier à « ctd worker ».", min=0)] = 2) -> None:
    """Met la base à jour puis démarre le service HTTP et ses processus de tâches."""
    import uvicorn

    from catalogue.app import create_app

    db.upgrade()
    background = jobs.InProcessWorkers(workers) if workers else None
    if background:
        background.start()
    console.print(f"ctd écoute sur http://{host}:{port} (documentation : /docs)")
    try:
        uvicorn.run(create_app(), host=host, port=port, log_level="info")
    finally:
        if background:
            background.stop()


@app.command()
def worker(workers: Annotated[int, typer.Option(help="Nombre de fils d'exécution.",
                                                min=1)] = 2) -> None:
    """Démarre seuls les processus de tâches (moissons), jusqu'à Ctrl-C."""
    db.upgrade()
    console.print(f"Processus de tâches à l'écoute ({workers} fil(s)) ; Ctrl-C pour arrêter.")
    jobs.consumer(workers).run()


@app.command()
def demo() -> None:
    """Crée (une seule fois) le comité de démonstration de Lorraine et ses données."""
    from catalogue import demo as demo_data

    db.upgrade()
    with operation() as session:
        demo_data.load(session, console)


# --- organizations ------------------------------------------------------------------------

@orgs_app.command("list")
def orgs_list(output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
              kind: Annotated[OrganizationKind | None, typer.Option()] = None) -> None:
    """Liste les organisations."""
    with operation() as session:
        records = [organizations.to_out(o).model_dump(mode="json")
                   for o in organizations.list_all(session, kind)]
    print_records(records, output, ["slug", "name", "kind", "siren", "insee_code"])


@orgs_app.command("show")
def orgs_show(ref: str) -> None:
    """Affiche une organisation (slug ou identifiant)."""
    with operation() as session:
        print_record(organizations.to_out(organizations.find(session, ref), with_geometry=True)
                     .model_dump(mode="json"))


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Nom de l'organisation.")],
    kind: Annotated[OrganizationKind, typer.Option(help="Type d'organisation.")],
    slug: Annotated[str | None, typer.Option()] = None,
    siren: Annotated[str | None, typer.Option()] = None,
    insee_code: Annotated[str | None, typer.Option(help="Code INSEE (commune, "
                                                        "département, région).")] = None,
    commune: Annotated[list[str] | None, typer.Option(help="Commune membre (EPCI, "
                                                           "syndicat), répétable.")] = None,
    website: Annotated[str | None, typer.Option()] = None,
    contact_email: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Crée une organisation."""
    with operation() as session:
        org = organizations.create(session, OPERATOR, OrganizationCreate(
            name=name, kind=kind, slug=slug, siren=siren, insee_code=insee_code,
            commune_codes=commune or [], website=website, contact_email=contact_email))
        console.print(f"Organisation créée : {org.slug}")


# --- datasets -----------------------------------------------------------------------------

@datasets_app.command("list")
def datasets_list(
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    publisher: Annotated[str | None, typer.Option(help="Slug de l'organisation.")] = None,
    state: Annotated[DatasetState | None, typer.Option()] = None,
) -> None:
    """Liste les jeux de données (tous états sauf supprimés, ou l'état demandé)."""
    with operation() as session:
        query = select(Dataset).order_by(Dataset.slug)
        if publisher:
            query = query.where(Dataset.publisher_id == organizations.find(session, publisher).id)
        query = query.where(Dataset.state == state if state
                            else Dataset.state != DatasetState.deleted)
        records = [d.model_dump(mode="json") for d in datasets.to_out(
            session, OPERATOR, list(session.exec(query)))]
    for record in records:
        record["publisher_slug"] = record["publisher"]["slug"]
    print_records(records, output,
                  ["slug", "title", "publisher_slug", "access_type", "state"])


@datasets_app.command("show")
def datasets_show(ref: str) -> None:
    """Affiche un jeu de données (slug ou identifiant)."""
    with operation() as session:
        dataset = datasets.find(session, OPERATOR, ref)
        print_record(datasets.to_out(session, OPERATOR, [dataset], with_geometry=True)[0]
                     .model_dump(mode="json"))


@datasets_app.command("create")
def datasets_create(
    title: Annotated[str, typer.Option(help="Titre.")],
    publisher: Annotated[str, typer.Option(help="Slug de l'organisation productrice.")],
    description: Annotated[str, typer.Option()] = "",
    slug: Annotated[str | None, typer.Option()] = None,
    licence: Annotated[str, typer.Option(help="fr-lo-2.0, odbl-1.0, cc-by-4.0…")] = "fr-lo-2.0",
    keyword: Annotated[list[str] | None, typer.Option(help="Mot-clé, répétable.")] = None,
    theme: Annotated[list[str] | None, typer.Option(help="Thème UE (ECON…), répétable.")] = None,
    access_type: Annotated[AccessType, typer.Option()] = AccessType.open,
    territory: Annotated[list[str] | None, typer.Option(help="Code INSEE couvert, "
                                                             "répétable.")] = None,
    state: Annotated[DatasetState, typer.Option()] = DatasetState.published,
) -> None:
    """Crée un jeu de données."""
    with operation() as session:
        dataset = datasets.create(session, OPERATOR, DatasetCreate(
            title=title, publisher=publisher, description=description, slug=slug,
            licence=licence, keywords=keyword or [], themes=theme or [],
            access_type=access_type, state=state,
            spatial=SpatialIn(insee_codes=territory) if territory else None))
        console.print(f"Jeu de données créé : {dataset.slug}")


# --- tokens and territories ---------------------------------------------------------------

@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option(help="Nom de l'utilisateur (créé s'il n'existe pas).")],
    role: Annotated[Role, typer.Option(help="Rôle donné à l'utilisateur.")],
    organization: Annotated[str | None, typer.Option(help="Organisation (publisher, "
                                                          "vendor).")] = None,
    committee: Annotated[str | None, typer.Option(help="Comité "
                                                       "(committee_coordinator).")] = None,
    label: Annotated[str, typer.Option()] = "",
) -> None:
    """Donne un rôle à un utilisateur et lui crée un jeton (affiché une seule fois)."""
    with operation() as session:
        account = auth.grant_role(session, user, role, organization=organization,
                                  committee=committee)
        token = auth.create_token(session, account, label)
    console.print(f"Jeton pour {user} ({role}) — conservez-le, il ne sera plus affiché :")
    sys.stdout.write(token + "\n")


@territories_app.command("import")
def territories_import(
    file: Annotated[Path, typer.Argument(help="FeatureCollection GeoJSON (code, nom).")],
    level: Annotated[TerritoryLevel | None, typer.Option(help="Niveau (déduit du code "
                                                              "sinon).")] = None,
) -> None:
    """Ajoute ou remplace des territoires à partir d'un fichier GeoJSON."""
    if not file.is_file():
        raise fail(f"fichier introuvable : {file}")
    db.upgrade()
    with operation() as session:
        count = territories.import_file(session, file, level)
    console.print(f"{count} territoire(s) importé(s).")



# --- roadmaps -----------------------------------------------------------------------------

@roadmap_app.command("show")
def roadmap_show(
    committee: Annotated[str, typer.Argument(help="Slug du comité.")],
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Affiche la feuille de route d'un comité : cas d'usage, jeux prioritaires, budget."""
    with operation() as session:
        roadmap = roadmaps.to_out(session, committees.find(session, committee))
    if output == OutputFormat.json:
        print_record(roadmap.model_dump(mode="json"))
        return
    data = roadmap.model_dump(mode="json")
    for use_case in data["use_cases"]:
        use_case["lead"] = use_case["lead"]["slug"]
    for item in data["datasets"]:
        item["responsible"] = item["responsible"]["slug"]
        item["late"] = "en retard" if item["late"] else ""
    console.print(f"Feuille de route — {roadmap.committee.name}\n\nCas d'usage :")
    print_records(data["use_cases"], output, ["slug", "title", "lead", "status", "total"])
    console.print("Jeux de données prioritaires :")
    print_records(data["datasets"], output, ["id", "title", "use_case", "responsible", "due",
                                             "status", "late"])
    console.print("Budget par financeur :")
    for funder, amount in data["totals_by_funder"].items():
        console.print(f"{funder} : {amount} €", highlight=False)
    console.print(f"Total : {data['totals']['budget']} €", highlight=False)


def _geometry_file(path: Path | None) -> dict | None:
    """A GeoJSON geometry read from a file (a Feature's geometry is taken)."""
    if path is None:
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fail(f"fichier GeoJSON illisible : {path} ({error})") from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        return document.get("geometry")
    return document


@roadmap_app.command("add-use-case")
def roadmap_add_use_case(
    committee: Annotated[str, typer.Argument(help="Slug du comité.")],
    title: Annotated[str, typer.Option(help="Titre du cas d'usage.")],
    lead: Annotated[str, typer.Option(help="Slug du membre pilote.")],
    zone: Annotated[list[str] | None, typer.Option(help="Territoire pertinent : code INSEE, "
                                                        "SIREN d'EPCI ou zone, répétable.")] = None,
    geometry: Annotated[Path | None, typer.Option(help="Zone dessinée (géométrie "
                                                       "GeoJSON).")] = None,
    partner: Annotated[list[str] | None, typer.Option(help="Slug d'une organisation "
                                                           "partenaire, répétable.")] = None,
    description: Annotated[str, typer.Option()] = "",
    status: Annotated[UseCaseStatus, typer.Option(help="État.")] = UseCaseStatus.proposed,
) -> None:
    """Ajoute un cas d'usage prioritaire à la feuille de route d'un comité."""
    drawn = _geometry_file(geometry)
    with operation() as session:
        use_case = roadmaps.create_use_case(
            session, OPERATOR, committees.find(session, committee), UseCaseCreate(
                title=title, lead=lead, zones=zone or [], geometry=drawn,
                partners=partner or [], description=description, status=status))
        console.print(f"Cas d'usage créé : {use_case.slug}")


@roadmap_app.command("add-budget")
def roadmap_add_budget(
    committee: Annotated[str, typer.Argument(help="Slug du comité.")],
    use_case: Annotated[str, typer.Argument(help="Slug du cas d'usage.")],
    label: Annotated[str, typer.Option(help="Libellé de la ligne.")],
    amount: Annotated[str, typer.Option(help="Montant en euros (12000.50).")],
    funder: Annotated[str, typer.Option(help="Financeur (Région Grand Est, France 2030…).")],
    year: Annotated[int | None, typer.Option(help="Année.")] = None,
) -> None:
    """Ajoute une ligne budgétaire (volet financier) à un cas d'usage."""
    with operation() as session:
        found = committees.find(session, committee)
        line = roadmaps.add_budget_line(
            session, OPERATOR, found, roadmaps.find_use_case(session, found, use_case),
            BudgetLineCreate(label=label, amount=amount, funder=funder, year=year))
        console.print(f"Ligne budgétaire n° {line.id} ajoutée : {line.amount} € ({line.funder}).",
                      highlight=False)


@roadmap_app.command("add-dataset")
def roadmap_add_dataset(
    committee: Annotated[str, typer.Argument(help="Slug du comité.")],
    use_case: Annotated[str, typer.Option(help="Slug du cas d'usage servi.")],
    title: Annotated[str, typer.Option(help="Titre du jeu de données attendu.")],
    responsible: Annotated[str, typer.Option(help="Slug du membre responsable.")],
    due: Annotated[str, typer.Option(help="Échéance (AAAA-MM-JJ).")],
    schema: Annotated[str | None, typer.Option(help="Schéma (scdl-subventions, "
                                                    "irve-statique…).")] = None,
    description: Annotated[str, typer.Option()] = "",
) -> None:
    """Ajoute un jeu de données prioritaire à la feuille de route d'un comité."""
    with operation() as session:
        item = roadmaps.create_dataset(
            session, OPERATOR, committees.find(session, committee), RoadmapDatasetCreate(
                use_case=use_case, title=title, responsible=responsible, due=due,
                table_schema=schema, description=description))
        console.print(f"Jeu de données prioritaire créé : n° {item.id}")


@roadmap_app.command("set-dataset")
def roadmap_set_dataset(
    committee: Annotated[str, typer.Argument(help="Slug du comité.")],
    item_id: Annotated[int, typer.Argument(metavar="ID", help="Numéro du jeu prioritaire.")],
    status: Annotated[RoadmapDatasetStatus | None, typer.Option(help="État.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Slug du jeu publié au catalogue "
                                                     "(passe l'état à published).")] = None,
) -> None:
    """Met à jour l'avancement d'un jeu de données prioritaire."""
    changes = {k: v for k, v in {"status": status, "dataset": dataset}.items() if v is not None}
    if not changes:
        raise fail("rien à modifier : donnez --status ou --dataset.")
    with operation() as session:
        found = committees.find(session, committee)
        item = roadmaps.update_dataset(session, OPERATOR, found,
                                       roadmaps.find_dataset(session, found, item_id),
                                       RoadmapDatasetUpdate(**changes))
        console.print(f"Jeu de données prioritaire n° {item.id} : {item.status}.")


if __name__ == "__main__":
    app()
