"""The document of an agreement (sharing_agreements.document): the same French texts in the
HTML page and in the PDF, escaped, accessible, with no person's name."""

from __future__ import annotations

import hashlib
import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from sharing_agreements import clauses as lib
from sharing_agreements import document, policy
from sharing_agreements import vocabularies as vocab

NANCY = {"iri": "urn:ctd:organization:1", "slug": "ville-de-nancy", "name": "Ville de Nancy",
         "kind": "commune", "siren": "215403957"}
VENDOR = {"iri": "urn:ctd:organization:7", "slug": "donnees-conseil",
          "name": "Données Conseil SAS", "kind": "company", "siren": None}
SIGNER = "Jean-Baptiste Dupontel"  # who signed: never in the document
ODRL_URL = "https://ctd.example.fr/api/v1/agreements/3/odrl"


def utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


@pytest.fixture(scope="module")
def content() -> dict:
    start, end = lib.start_instant(date(2026, 12, 1)), lib.end_instant(date(2027, 11, 30))
    datasets = [
        {"iri": "urn:ctd:dataset:4", "slug": "bornes-irve", "title":
         "Bornes de recharge pour véhicules électriques", "publisher": "ville-de-nancy"},
        {"iri": "urn:ctd:dataset:9", "slug": "frequentation-piscines", "title":
         "Fréquentation des piscines municipales", "publisher": "ville-de-nancy"},
    ]
    subprocessors = [{"name": "Hébergeur Exemple", "country": "FR"}]
    terms = lib.Terms(
        uid="urn:ctd:agreement:12", assigner=NANCY["iri"], assignee=VENDOR["iri"],
        targets=[d["iri"] for d in datasets], purposes=["scientific-research"],
        start=start, end=end,
        clauses=lib.default_clauses(["scientific-research"], personal=True),
        max_requests=10_000, max_bytes=10 * 1000**3, allowed_countries=(),
        subprocessors={"urn:ctd:subprocessor:12-0": "Hébergeur Exemple"},
        assigner_name=NANCY["name"], assignee_name=VENDOR["name"],
        legal_bases=["gdpr-6-1-e"])
    odrl = policy.build_agreement(terms)
    values = lib.parameter_values(terms)
    period = timedelta(days=int(values["report_period_days"]))
    duties = [{"kind": "usage_report", "clause": "AUDIT", "due": utc(start + period)},
              {"kind": "usage_report", "clause": "AUDIT", "due": utc(end)},
              {"kind": "deletion_certificate", "clause": "DELETE-AT-END",
               "due": utc(end + timedelta(days=int(values["delete_within_days"])))}]
    return {
        "uid": "urn:ctd:agreement:12", "version": 2,
        "supersedes": {"uid": "urn:ctd:agreement:8", "version": 1, "hash": "ab" * 32},
        "request": 12,
        "title": "Étude de l'accès aux équipements publics",
        "description": "Analyse de la fréquentation des piscines et des bornes de recharge "
                       "par quartier.\n\nLes résultats sont publiés en agrégats.",
        "assigner": NANCY, "assignee": VENDOR, "publishers": [NANCY], "datasets": datasets,
        "purposes": [{"id": "scientific-research",
                      "label": vocab.purpose("scientific-research").label}],
        "legal_bases": [{"id": "gdpr-6-1-e", "label": vocab.legal_basis("gdpr-6-1-e").label,
                         "article": vocab.legal_basis("gdpr-6-1-e").article}],
        "personal_data": "personal",
        "role": {"id": "controller", "label": vocab.role("controller").label},
        "hosting": {"country": "FR", "country_label": "France", "provider": "OVHcloud",
                    "qualification": "secnumcloud"},
        "subprocessors": subprocessors,
        "start": utc(start), "end": utc(end), "last_day": lib.last_day(end).isoformat(),
        "max_requests": 10_000, "max_bytes": 10 * 1000**3,
        "clauses": [{"id": c.id, "title": c.title, "text": text,
                     "protects_against": c.protects_against, "checks": list(c.checks),
                     "anchors": [{"id": a.id, "label": a.label, "url": a.url}
                                 for a in c.anchors]}
                    for c, text in lib.render_all(terms)],
        "clause_library_version": lib.version(),
        "duties": duties,
        "policy": odrl, "policy_hash": policy.policy_hash(odrl),
    }


@pytest.fixture(scope="module")
def agreement_hash(content) -> str:
    return hashlib.sha256(policy.canonical_json(content)).hexdigest()


@pytest.fixture(scope="module")
def signatures(agreement_hash) -> list[dict]:
    # An extra key with a person's name: the document must not use it.
    return [{"party": "assignee", "signed": datetime(2026, 11, 20, 9, 5, tzinfo=UTC),
             "agreement_hash": agreement_hash, "signer": SIGNER},
            {"party": "assigner", "signed": datetime(2026, 11, 25, 14, 30, tzinfo=UTC),
             "agreement_hash": agreement_hash, "signer": SIGNER}]


@pytest.fixture(scope="module")
def page(content, agreement_hash, signatures) -> str:
    return document.render_html(content, agreement_hash, "en vigueur", signatures,
                                odrl_url=ODRL_URL)


@pytest.fixture(scope="module")
def pdf(content, agreement_hash, signatures) -> bytes:
    return document.render_pdf(content, agreement_hash, "en vigueur", signatures,
                               odrl_url=ODRL_URL)


def normalise(text: str) -> str:
    return " ".join(text.split())


def page_text(page: str) -> str:
    """The page's text: tags out, entities unescaped, whitespace normalised."""
    return normalise(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def pdf_text(pdf: bytes) -> str:
    """The PDF's text without the page footers, whitespace normalised."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return normalise(" ".join(p.extract_text().replace(f"Page {n}", "", 1)
                              for n, p in enumerate(pages, start=1)))


def expected_texts(content) -> list[str]:
    texts = ["Convention de partage de données n° 12 — version 2",
             "La Collectivité : Ville de Nancy (commune), SIREN 215403957",
             "Le Bénéficiaire : Données Conseil SAS (entreprise)",
             content["title"], "Analyse de la fréquentation des piscines",
             "Les résultats sont publiés en agrégats.",
             "Bornes de recharge pour véhicules électriques",
             "Fréquentation des piscines municipales",
             "Recherche scientifique",
             "RGPD art. 6(1)(e) — Exécution d'une mission d'intérêt public",
             "Rôle du Bénéficiaire", "Responsable du traitement",
             "Pays d'hébergement : France", "Hébergeur : OVHcloud",
             "Qualification SecNumCloud (ANSSI)", "Hébergeur Exemple",
             "Nombre de requêtes : 10 000", "Volume de données : 10 Go",
             "Données à caractère personnel : oui",
             "Rapport d'utilisation", "Certificat de suppression",
             "Article 11 — Suppression ou restitution en fin de convention",
             "Cette version remplace la version 1 (empreinte " + "ab" * 32 + ").",
             "État de la convention : en vigueur", content["policy_hash"],
             f"Version de la bibliothèque de clauses : {lib.version()}", ODRL_URL]
    for n, clause in enumerate(content["clauses"], start=1):
        texts += [f"Article {n} — {clause['title']}", clause["text"],
                  f"Protège contre : {clause['protects_against']}"]
        texts += [anchor["label"] for anchor in clause["anchors"]]
    return [normalise(t) for t in texts]


def test_every_text_in_html_and_pdf(page, pdf, content, agreement_hash):
    in_page, in_pdf = page_text(page), pdf_text(pdf)
    for text in expected_texts(content):
        assert text in in_page, text
        assert text in in_pdf, text
    assert agreement_hash in in_page
    # A table cell may break the signed hash over lines.
    assert in_pdf.count(agreement_hash) >= 1
    assert "".join(in_pdf.split()).count(agreement_hash) >= 3  # footer + two signatures


def test_french_dates_in_paris_time(page, pdf):
    for text in (page_text(page), pdf_text(pdf)):
        assert "Du 1er décembre 2026 au 30 novembre 2027 inclus." in text
        assert ("L'accès aux Données est ouvert le 1er décembre 2026 à 00 h 00 et fermé le "
                "1er décembre 2027 à 00 h 00 (heure de Paris).") in text
        assert "30 mai 2027 à 00 h 00" in text  # the first usage report
        assert "31 décembre 2027 à 00 h 00" in text  # the deletion certificate
        # Signed at 9:05 UTC in November, 10:05 in Paris.
        assert "20 novembre 2026 à 10 h 05" in text
        assert "25 novembre 2026 à 15 h 30" in text
        assert "Le Bénéficiaire (Données Conseil SAS)" in text
        assert "La Collectivité (Ville de Nancy)" in text


def test_no_person_name(page, pdf):
    assert SIGNER not in page_text(page)
    assert SIGNER not in pdf_text(pdf)


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.th_without_scope = 0
        self.tags: set[str] = set()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.add(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and attributes.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        if tag in ("img", "link", "iframe", "object", "embed") or "src" in attributes:
            self.sources.append(tag)


def test_html_is_accessible_and_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page
    outline = Outline()
    outline.feed(page)
    assert outline.headings.count(1) == 1 and outline.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(outline.headings, outline.headings[1:], strict=False))
    assert "table" in outline.tags and outline.th_without_scope == 0
    assert "script" not in outline.tags and not outline.sources
    assert f'<a href="{ODRL_URL}" class="url">{ODRL_URL}</a>' in page


def test_user_strings_are_escaped(content, agreement_hash):
    hostile = {**content, "title": "<script>alert('x')</script> & co",
               "assignee": {**VENDOR, "name": "Őrség Adat Kft. 😀"},
               "clauses": [{**content["clauses"][0], "title": "Titre <b>gras</b>"},
                           *content["clauses"][1:]]}
    hostile["clauses"][1] = {**hostile["clauses"][1], "anchors": [
        {"id": "x", "label": "Piège", "url": "javascript:alert(1)"}]}
    page = document.render_html(hostile, agreement_hash, "en vigueur", [])
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in page
    assert "Article 1 — Titre &lt;b&gt;gras&lt;/b&gt;" in page
    assert "javascript:" not in page and "Piège" in page
    assert "Aucune signature." in page
    text = pdf_text(document.render_pdf(hostile, agreement_hash, "en vigueur", []))
    assert "<script>alert('x')</script> & co" in text
    assert "Article 1 — Titre <b>gras</b>" in text
    assert "Orség Adat Kft. ?" in text  # closest WinAnsi form of what Helvetica lacks


def test_pdf_metadata_and_pages(pdf, content):
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Convention de partage de données n° 12 — version 2"
    assert reader.metadata.author == "Ville de Nancy"
    assert len(reader.pages) > 1
    assert abs(float(reader.pages[0].mediabox.width) - 595.28) < 1  # A4
    for n, p in enumerate(reader.pages, start=1):
        assert f"Page {n}" in p.extract_text()
    # The same terms give the same bytes.
    assert document.render_pdf(content, "0" * 64, "en vigueur", []) == document.render_pdf(
        content, "0" * 64, "en vigueur", [])


def test_empty_lists_and_no_caps(content, agreement_hash):
    bare = {**content, "supersedes": None, "subprocessors": [], "duties": [],
            "max_requests": None, "max_bytes": None,
            "hosting": {"country": None, "country_label": None, "provider": None,
                        "qualification": None}}
    for text in (page_text(document.render_html(bare, agreement_hash, "signée", [])),
                 pdf_text(document.render_pdf(bare, agreement_hash, "signée", []))):
        assert "Sous-traitants ultérieurs : aucun" in text
        assert "Nombre de requêtes : sans plafond" in text
        assert "Volume de données : sans plafond" in text
        assert "Aucune obligation suivie." in text
        assert "Cette version remplace" not in text
        assert "/odrl" not in text
