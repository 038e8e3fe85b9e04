"""SCDL catalogue CSV files (``scdl-catalogue.schema.json``) and a portal serving files."""

from __future__ import annotations

import csv
import hashlib
import io

from portals import Portal, Reply, Request

COLUMNS = ["COLL_NOM", "COLL_SIRET", "ID", "TITRE", "DESCRIPTION", "THEME", "PRODUCTEUR_NOM",
           "PRODUCTEUR_SIRET", "COUV_SPAT_MAILLE", "COUV_SPAT_NOM", "COUV_TEMP_DEBUT",
           "COUV_TEMP_FIN", "DATE_PUBL", "FREQ_MAJ", "DATE_MAJ", "MOTS_CLES", "LICENCE",
           "NOMBRE_RESSOURCES", "FORMAT_RESSOURCES", "URL"]


def row(number: int, **fields: str) -> dict[str, str]:
    """A valid catalogue row; ``fields`` override its values."""
    values = {
        "COLL_NOM": "Ville d'Épinal", "COLL_SIRET": "21880160300017", "ID": f"jeu-{number}",
        "TITRE": f"Équipements sportifs à Épinal n° {number}",
        "DESCRIPTION": "Liste des équipements « sportifs ».", "THEME": "Sport;Loisirs",
        "PRODUCTEUR_NOM": "Ville d'Épinal", "PRODUCTEUR_SIRET": "21880160300017",
        "COUV_SPAT_MAILLE": "Communale", "COUV_SPAT_NOM": "Épinal",
        "COUV_TEMP_DEBUT": "2023-01-01", "COUV_TEMP_FIN": "2023-12-31",
        "DATE_PUBL": "2022-06-01", "FREQ_MAJ": "Annuelle", "DATE_MAJ": "14/01/2024",
        "MOTS_CLES": "sport;equipements", "LICENCE": "Licence Ouverte-LO",
        "NOMBRE_RESSOURCES": "1", "FORMAT_RESSOURCES": "csv",
        "URL": f"https://data.example.org/jeux/{number}"}
    return values | fields


def scdl_csv(rows: list[dict[str, str]], delimiter: str = ";", encoding: str = "utf-8-sig",
             columns: list[str] = COLUMNS) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, columns, delimiter=delimiter, lineterminator="\r\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


class FilePortal(Portal):
    """Serves ``files`` (path → bytes) as CSV, with an ETag and 304s when ``etags``."""

    def __init__(self, content_type: str = "text/csv") -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.etags, self.content_type = True, content_type

    def handle(self, request: Request) -> Reply:
        if request.path not in self.files:
            return Reply(404, b"not found", "text/plain")
        body = self.files[request.path]
        if not self.etags:
            return Reply(200, body, self.content_type)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", self.content_type, {"ETag": etag})
        return Reply(200, body, self.content_type, {"ETag": etag})
