"""The SCDL catalogue connector against CSV files served by a live fixture portal, through a
real Fetcher: encodings, delimiters, bad rows, unchanged files."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from portals import serve
from portals.scdl import FilePortal, row, scdl_csv

from catalogue.fetch import Fetcher, FetchError
from connectors import scdl
from connectors.records import Gathering, ItemError, RemoteDataset


@pytest.fixture(scope="module")
def served():
    """One server for the module: a server takes half a second to shut down."""
    portal = FilePortal()
    with serve(portal) as url:
        yield portal, url


@pytest.fixture
def site(served) -> tuple[FilePortal, str]:
    """The module's portal, emptied, and the URL of its ``/catalogue.csv``."""
    portal, url = served
    portal.files.clear()
    portal.requests.clear()
    portal.etags = True
    return portal, f"{url}/catalogue.csv"


@pytest.fixture
def fetcher():
    with Fetcher(allowed_hosts={"127.0.0.1"}, backoff=0.01, retries=1, timeout=10) as f:
        yield f


def gather(url: str, fetcher: Fetcher,
           cursor: str | None = None) -> tuple[Gathering, list[RemoteDataset | ItemError]]:
    gathering = Gathering(url, {}, cursor=cursor)
    return gathering, list(scdl.gather(gathering, fetcher))


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ";"), ("cp1252", ";"),
                                                     ("utf-8", ",")])
def test_every_row_becomes_a_dataset(fetcher, site, encoding, delimiter):
    rows = [row(1), row(2, COUV_SPAT_NOM="54395;54547", FORMAT_RESSOURCES="csv;json",
                        THEME="Transports, Déplacements", FREQ_MAJ="Quotidienne ou plusieurs "
                        "fois par jour", LICENCE="Open Database License-ODBL",
                        DESCRIPTION="Sur deux lignes ;\nla seconde, avec virgule.")]
    portal, catalogue = site
    portal.files["/catalogue.csv"] = scdl_csv(rows, delimiter, encoding)
    gathering, records = gather(catalogue, fetcher)
    first, second = records
    assert first == RemoteDataset(
        remote_id="jeu-1", title="Équipements sportifs à Épinal n° 1",
        remote_url="https://data.example.org/jeux/1",
        description="Liste des équipements « sportifs ».", licence="fr-lo-2.0",
        keywords=["sport", "equipements"], themes=["EDUC"], frequency="ANNUAL",
        temporal_start=date(2023, 1, 1), temporal_end=date(2023, 12, 31),
        contact_name="Ville d'Épinal", modified=datetime(2024, 1, 14, tzinfo=UTC),
        created=datetime(2022, 6, 1, tzinfo=UTC), resources=first.resources)
    (resource,) = first.resources
    assert (resource.url, resource.title, resource.format) == (
        "https://data.example.org/jeux/1", first.title, "CSV")
    assert second.insee_codes == ["54395", "54547"]
    assert (second.themes, second.frequency, second.licence) == (["TRAN"], "DAILY", "odbl-1.0")
    assert second.description == "Sur deux lignes ;\nla seconde, avec virgule."
    assert second.resources[0].format is None
    assert gathering.present == {"jeu-1", "jeu-2"} and gathering.total == 2
    assert not gathering.unchanged


def test_a_bad_row_is_reported_and_the_others_come_through(fetcher, site):
    rows = [row(1, DESCRIPTION="Deux\nlignes"), row(2, TITRE=""),
            row(3, DATE_MAJ="31/02/2024"), row(4, URL="ftp://example.org/x"), row(5),
            row(6, ID="jeu-1"), row(7, ID="")]
    portal, catalogue = site
    portal.files["/catalogue.csv"] = scdl_csv(rows)
    gathering, records = gather(catalogue, fetcher)
    good = [r.remote_id for r in records if isinstance(r, RemoteDataset)]
    errors = {r.remote_id: r for r in records if isinstance(r, ItemError)}
    assert good == ["jeu-1", "jeu-5"]
    assert {e.stage for e in errors.values()} == {"map"}
    # Line 1 is the header and jeu-1 takes two lines.
    assert errors["jeu-2"].message == "line 4: the required field TITRE is empty"
    assert "line 5" in errors["jeu-3"].message and "DATE_MAJ" in errors["jeu-3"].message
    assert "line 6" in errors["jeu-4"].message and "URL" in errors["jeu-4"].message
    assert "line 8" in errors["jeu-1"].message and "earlier line" in errors["jeu-1"].message
    assert errors[None].message == "line 9: the required field ID is empty"
    # A bad row still lists its ID: its dataset is not taken for deleted.
    assert gathering.present == {"jeu-1", "jeu-2", "jeu-3", "jeu-4", "jeu-5"}
    assert gathering.total == len(rows)


@pytest.mark.parametrize("etags", [True, False])
def test_an_unchanged_file_yields_nothing(fetcher, site, etags):
    portal, catalogue = site
    portal.files["/catalogue.csv"], portal.etags = scdl_csv([row(1), row(2)]), etags
    first, _ = gather(catalogue, fetcher)
    again, records = gather(catalogue, fetcher, first.new_cursor)
    assert records == [] and again.unchanged and again.present is None
    assert bool(portal.requests[-1].headers.get("if-none-match")) is etags

    portal.files["/catalogue.csv"] = scdl_csv([row(1), row(3)])
    changed, records = gather(catalogue, fetcher, again.new_cursor)
    assert [r.remote_id for r in records] == ["jeu-1", "jeu-3"]
    assert not changed.unchanged and changed.present == {"jeu-1", "jeu-3"}


@pytest.mark.parametrize(("body", "says"), [
    (scdl_csv([row(1)], columns=["NOM", "TITRE", "URL"]), "lacks the column(s) ID"),
    (b"<!DOCTYPE html><html><body>Maintenance</body></html>", "HTML page"),
    (b"", "lacks the column(s) ID, TITRE, URL"),
    (b'ID;TITRE;URL\r\n"' + b"x" * 200_000 + b'";t;u\r\n', "field larger than field limit"),
])
def test_what_is_not_a_scdl_catalogue_fails_the_source(fetcher, site, body, says):
    portal, catalogue = site
    portal.files["/catalogue.csv"] = body
    with pytest.raises(FetchError) as caught:
        gather(catalogue, fetcher)
    assert caught.value.stage == "parse" and says in caught.value.message
