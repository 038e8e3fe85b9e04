"""Every connector through the harvest runner, against its live fixture portal: a first
harvest, an unchanged rerun that writes nothing, then a change, an addition and a deletion
(grace period zero); and ODS federation linked to the origin portal's dataset."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from portals import serve
from portals.dcat import DcatPortal
from portals.ods import OdsPortal
from portals.scdl import FilePortal, row, scdl_csv
from portals.udata import UdataPortal
from sqlmodel import select
from test_harvest import add_source, harvested, run

from catalogue import db
from catalogue.models import Dataset
from catalogue.vocabularies import DatasetState

COUNT = 12


@dataclass
class Case:
    """A fixture portal and what a test needs to change it, whatever its protocol."""

    type: str
    portal: object
    path: str = ""
    config: dict | None = None

    def remote_ids(self) -> list[str]:
        p = self.portal
        if self.type == "udata":
            return p.ids()
        if self.type == "ods":
            return p.ids()
        if self.type == "dcat":
            return sorted(p.remote_ids())
        return [f"jeu-{n}" for n in p.rows]

    def change(self, remote_id: str) -> None:
        p = self.portal
        if self.type == "dcat":
            p.modify(_dcat_key(p, remote_id), title="Titre modifié")
        elif self.type == "scdl-catalogue":
            p.rows[int(remote_id.split("-")[1])]["TITRE"] = "Titre modifié"
            p.publish()
        elif self.type == "udata":
            p.modify(remote_id, title="Titre modifié")
        else:
            p.modify(remote_id, title="Titre modifié")

    def add(self) -> None:
        p = self.portal
        if self.type == "scdl-catalogue":
            number = max(p.rows) + 1
            p.rows[number] = row(number)
            p.publish()
        else:
            p.add(1)

    def delete(self, remote_id: str) -> None:
        p = self.portal
        if self.type == "dcat":
            p.delete(_dcat_key(p, remote_id))
        elif self.type == "scdl-catalogue":
            del p.rows[int(remote_id.split("-")[1])]
            p.publish()
        else:
            p.delete(remote_id)


def _dcat_key(portal: DcatPortal, remote_id: str) -> str:
    return next(d.key for d in portal.datasets.values() if d.remote_id == remote_id)


class CatalogueFile(FilePortal):
    """A collectivité's SCDL catalogue CSV, rewritten on each change."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.rows = {n: row(n) for n in range(1, count + 1)}
        self.publish()

    def publish(self) -> None:
        self.files["/catalogue.csv"] = scdl_csv(list(self.rows.values()))


def make_case(kind: str) -> Case:
    if kind == "udata":
        portal = UdataPortal(count=COUNT)
        return Case("udata", portal, config={"organization": portal.organization})
    if kind == "ods":
        return Case("ods", OdsPortal(count=COUNT))
    if kind == "dcat":
        return Case("dcat", DcatPortal(count=COUNT, page_size=5), path="/catalog")
    return Case("scdl-catalogue", CatalogueFile(COUNT), path="/catalogue.csv")


@pytest.mark.parametrize("kind", ["udata", "ods", "dcat", "scdl-catalogue"])
def test_first_harvest_rerun_and_changes(world, kind):
    case = make_case(kind)
    with serve(case.portal) as url:
        add_source(url + case.path, type=case.type, grace_days=0, **(case.config or {}))
        first = run("portail-nancy")
        assert first.status == "done", first.message
        assert first.added == COUNT and first.errored == 0
        found = harvested()
        assert set(found) == set(case.remote_ids())
        assert all(d.state == DatasetState.published and d.title for d in found.values())

        rerun = run("portail-nancy")
        assert rerun.status == "done", rerun.message
        assert (rerun.added, rerun.updated, rerun.archived) == (0, 0, 0)

        ids = case.remote_ids()
        case.change(ids[0])
        case.delete(ids[1])
        case.add()
        third = run("portail-nancy")
    assert third.status == "done", third.message
    assert (third.added, third.updated, third.archived) == (1, 1, 1)
    found = harvested()
    assert found[ids[0]].title == "Titre modifié"
    assert found[ids[1]].state == DatasetState.archived
    assert len(found) == COUNT + 1


def test_ods_federated_copies_are_linked_to_the_origin_portal_datasets(world):
    origin, federating = OdsPortal(count=5, seed=7), OdsPortal(count=8, federated=5, seed=7)
    with serve(origin) as origin_url, serve(federating) as url:
        federating.source_address = urlsplit(origin_url).netloc
        add_source(origin_url, name="grand-est", type="ods")
        add_source(url, name="metropole", type="ods", owner="ville-d-epinal")
        assert run("grand-est").added == 5
        job = run("metropole")
    assert (job.added, job.linked) == (3, 5)
    with db.session_scope() as session:
        assert len(session.exec(select(Dataset)).all()) == 8
