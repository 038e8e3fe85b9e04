"""The document of a data-sharing agreement (« convention de partage de données »), in
French, as an HTML page and as a PDF.

**One structure, two renderings.** ``document(content, ...)`` words everything the
agreement says once: a ``Document`` of ``Section``s made of plain blocks (``Paragraph``,
``Items``, ``Links``, ``Table``) whose texts are final. The Jinja template
(``templates/agreement.html``) and the reportlab story of ``render_pdf`` only lay that
structure out, so the page and the PDF cannot say different things.

Titles, names, descriptions and clause texts are user or data strings: the template escapes
them (autoescape), the PDF escapes them for reportlab's paragraph markup, and only http(s)
or site-relative addresses become links. The PDF uses the built-in Helvetica fonts
(WinAnsi): a character they lack is replaced by its closest Latin form, or « ? ».

No person is named: a signature gives the party (la Collectivité, le Bénéficiaire), the
instant and the hash signed, never who signed. Instants are shown in Europe/Paris.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from reportlab import platypus
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm

from sharing_agreements import vocabularies as vocab
from sharing_agreements.agreements import DUTY_LABELS
from sharing_agreements.clauses import PARIS, display, french_bytes, french_date

PARTY_KINDS = {
    "commune": "commune", "epci": "EPCI", "departement": "département", "region": "région",
    "syndicat": "syndicat", "opsn": "opérateur public de services numériques",
    "state_service": "service de l'État", "committee": "comité territorial de la donnée",
    "company": "entreprise", "research": "organisme de recherche",
    "association": "association",
}
PERSONAL_DATA = {
    "none": "aucune",
    "personal": "oui",
    "special": "oui, dont des catégories particulières de données (RGPD art. 9)",
    "criminal": "oui, relatives aux condamnations pénales et aux infractions (RGPD art. 10)",
}
PARTIES = {"assigner": "La Collectivité", "assignee": "Le Bénéficiaire"}
NO_CAP = "sans plafond"
CODE_SIZE = 7  # points, hashes in the PDF's tables (a SHA-256 fits on one line)
LINKABLE = re.compile(r"https?://|/(?!/)")


def upper_first(label: str) -> str:
    return label[:1].upper() + label[1:]


# --- the structure ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Paragraph:
    text: str
    label: str = ""  # a lead-in in bold: « Protège contre : »
    code: bool = False  # a hash or an identifier, in monospace
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class Items:
    items: tuple[str, ...]
    kind: ClassVar[str] = "items"


@dataclass(frozen=True)
class Link:
    label: str
    url: str = ""  # empty: shown as text


@dataclass(frozen=True)
class Links:
    label: str
    links: tuple[Link, ...]
    kind: ClassVar[str] = "links"


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first cell of a row is its header
    code_column: int | None = None  # a column of hashes, in monospace
    kind: ClassVar[str] = "table"


Block = Paragraph | Items | Links | Table


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]
    subsections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Document:
    title: str
    author: str
    preamble: tuple[Block, ...]
    sections: tuple[Section, ...]
    footer: tuple[Block, ...]


def document(content: dict[str, Any], agreement_hash: str, state_label: str,
             signatures: list[dict[str, Any]], odrl_url: str | None = None) -> Document:
    """Everything the agreement's document says, from its ``content``."""
    c = content
    title = f"Convention de partage de données n° {c['request']} — version {c['version']}"
    preamble = [Paragraph(state_label, "État de la convention : "),
                Paragraph(c["uid"], "Identifiant : ", code=True)]
    if c.get("supersedes"):
        old = c["supersedes"]
        preamble.append(Paragraph(f"Cette version remplace la version {old['version']} "
                                  f"(empreinte {old['hash']})."))
    sections = (
        _parties(c), _object(c), _datasets(c), _purposes(c), _legal_bases(c), _role(c),
        _hosting(c), _duration(c), _caps(c), _duties(c), _clauses(c),
        _signatures(c, agreement_hash, signatures),
    )
    odrl = (Links("La politique ODRL lisible par machine (JSON-LD) est disponible à "
                  "l'adresse", (_link(odrl_url, odrl_url),)) if odrl_url else
            Paragraph("La politique ODRL lisible par machine (JSON-LD) fait partie de la "
                      "convention ; son empreinte est indiquée ci-dessus."))
    footer = (
        Paragraph(agreement_hash, "Empreinte de la convention (SHA-256) : ", code=True),
        Paragraph(c["policy_hash"], "Empreinte de la politique ODRL (SHA-256) : ", code=True),
        Paragraph(c["clause_library_version"], "Version de la bibliothèque de clauses : "),
        odrl,
    )
    return Document(title=title, author=c["assigner"]["name"], preamble=tuple(preamble),
                    sections=sections, footer=footer)


def _party(party: dict[str, Any]) -> str:
    kind = PARTY_KINDS.get(party.get("kind") or "", party.get("kind") or "")
    text = f"{party['name']} ({kind})" if kind else party["name"]
    return f"{text}, SIREN {party['siren']}" if party.get("siren") else text


def _parties(c: dict[str, Any]) -> Section:
    blocks: list[Block] = [Paragraph(_party(c["assigner"]), "La Collectivité : "),
                           Paragraph(_party(c["assignee"]), "Le Bénéficiaire : ")]
    others = [p for p in c["publishers"] if p["iri"] != c["assigner"]["iri"]]
    if others:
        blocks.append(Paragraph("Producteurs des données :"))
        blocks.append(Items(tuple(_party(p) for p in others)))
    return Section("parties", "Parties", tuple(blocks))


def _object(c: dict[str, Any]) -> Section:
    personal = PERSONAL_DATA.get(c["personal_data"], c["personal_data"])
    blocks = [Paragraph(c["title"], "Intitulé : "),
              *(Paragraph(text) for text in _paragraphs(c["description"])),
              Paragraph(personal, "Données à caractère personnel : ")]
    return Section("objet", "Objet", tuple(blocks))


def _datasets(c: dict[str, Any]) -> Section:
    names = {p["slug"]: p["name"] for p in [*c["publishers"], c["assigner"]]}
    rows = tuple((d["title"], names.get(d["publisher"], d["publisher"]), d["iri"])
                 for d in c["datasets"])
    return Section("donnees", "Données mises à disposition", (
        Table("Jeux de données", ("Jeu de données", "Producteur", "Identifiant"), rows,
              code_column=2),))


def _purposes(c: dict[str, Any]) -> Section:
    return Section("finalites", "Finalités", (
        Items(tuple(p["label"] for p in c["purposes"])) if c["purposes"]
        else Paragraph("aucune"),))


def _legal_bases(c: dict[str, Any]) -> Section:
    return Section("bases-legales", "Bases légales", (
        Items(tuple(f"{b['article']} — {b['label']}" for b in c["legal_bases"]))
        if c["legal_bases"] else Paragraph("aucune"),))


def _role(c: dict[str, Any]) -> Section:
    return Section("role", "Rôle du Bénéficiaire", (Paragraph(c["role"]["label"]),))


def _hosting(c: dict[str, Any]) -> Section:
    h = c["hosting"]
    qualification = h.get("qualification")
    if qualification in vocab.qualifications():
        qualification = vocab.qualification(qualification).label
    blocks: list[Block] = [
        Paragraph(h.get("country_label") or h.get("country") or "non précisé",
                  "Pays d'hébergement : "),
        Paragraph(h.get("provider") or "non précisé", "Hébergeur : "),
        Paragraph(qualification or "aucune", "Qualification : "),
    ]
    if c["subprocessors"]:
        blocks.append(Table("Sous-traitants ultérieurs", ("Sous-traitant", "Pays"),
                            tuple((s["name"], _country(s.get("country")))
                                  for s in c["subprocessors"])))
    else:
        blocks.append(Paragraph("aucun", "Sous-traitants ultérieurs : "))
    return Section("hebergement", "Hébergement et sous-traitants ultérieurs", tuple(blocks))


def _duration(c: dict[str, Any]) -> Section:
    start, end = _instant(c["start"]), _instant(c["end"])
    last = date.fromisoformat(c["last_day"])
    return Section("duree", "Durée", (
        Paragraph(f"Du {french_date(start.astimezone(PARIS).date())} au "
                  f"{french_date(last)} inclus."),
        Paragraph(f"L'accès aux Données est ouvert le {paris_time(start)} et fermé le "
                  f"{paris_time(end)} (heure de Paris)."),
    ))


def _caps(c: dict[str, Any]) -> Section:
    requests, size = c["max_requests"], c["max_bytes"]
    return Section("plafonds", "Plafonds", (
        Paragraph(NO_CAP if requests is None else display(requests), "Nombre de requêtes : "),
        Paragraph(NO_CAP if size is None else french_bytes(size), "Volume de données : "),
    ))


def _duties(c: dict[str, Any]) -> Section:
    if not c["duties"]:
        return Section("obligations", "Obligations suivies",
                       (Paragraph("Aucune obligation suivie."),))
    articles = {clause["id"]: f"Article {n} — {clause['title']}"
                for n, clause in enumerate(c["clauses"], start=1)}
    rows = tuple((upper_first(DUTY_LABELS.get(d["kind"], d["kind"])),
                  articles.get(d["clause"], d["clause"]), paris_time(_instant(d["due"])))
                 for d in c["duties"])
    return Section("obligations", "Obligations suivies", (
        Table("Obligations suivies et leurs échéances",
              ("Obligation", "Article", "Échéance (heure de Paris)"), rows),))


def _clauses(c: dict[str, Any]) -> Section:
    articles = []
    for n, clause in enumerate(c["clauses"], start=1):
        blocks: list[Block] = [Paragraph(text) for text in _paragraphs(clause["text"])]
        blocks.append(Paragraph(clause["protects_against"], "Protège contre : "))
        if clause["anchors"]:
            blocks.append(Links("Références :", tuple(_link(a["label"] or a["id"], a["url"])
                                                      for a in clause["anchors"])))
        articles.append(Section(f"article-{n}", f"Article {n} — {clause['title']}",
                                tuple(blocks)))
    return Section("clauses", "Clauses", (), tuple(articles))


def _signatures(c: dict[str, Any], agreement_hash: str,
                signatures: list[dict[str, Any]]) -> Section:
    if not signatures:
        return Section("signatures", "Signatures", (Paragraph("Aucune signature."),))
    rows = []
    for s in signatures:
        party = PARTIES.get(s["party"], s["party"])
        if s["party"] in c:
            party = f"{party} ({c[s['party']]['name']})"
        signed = s["agreement_hash"]
        if signed != agreement_hash:
            signed += " (différente de l'empreinte de la convention)"
        rows.append((party, paris_time(_instant(s["signed"])), signed))
    return Section("signatures", "Signatures", (
        Table("Signatures de la convention",
              ("Partie", "Signée le (heure de Paris)", "Empreinte signée"), tuple(rows),
              code_column=2),))


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def _link(label: str, url: str) -> Link:
    return Link(label, url if url and LINKABLE.match(url) else "")


def _country(code: str | None) -> str:
    if not code:
        return "non précisé"
    try:
        return vocab.country(code).label
    except KeyError:
        return code


def _instant(value: datetime | str) -> datetime:
    """An instant of the content (ISO 8601, UTC) or of a signature; naive means UTC."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def paris_time(instant: datetime) -> str:
    """« 1er décembre 2026 à 00 h 00 », in Europe/Paris."""
    local = instant.astimezone(PARIS)
    return f"{french_date(local.date())} à {local:%H} h {local:%M}"


# --- HTML ------------------------------------------------------------------------------------

def render_html(content: dict[str, Any], agreement_hash: str, state_label: str,
                signatures: list[dict[str, Any]], odrl_url: str | None = None) -> str:
    """The agreement's document as a French HTML page."""
    doc = document(content, agreement_hash, state_label, signatures, odrl_url)
    return environment().get_template("agreement.html").render(doc=doc)


@functools.cache
def environment() -> Environment:
    """The package's Jinja environment (the agreement document, the register)."""
    return Environment(loader=PackageLoader("sharing_agreements", "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


# --- PDF -------------------------------------------------------------------------------------

def render_pdf(content: dict[str, Any], agreement_hash: str, state_label: str,
               signatures: list[dict[str, Any]], odrl_url: str | None = None) -> bytes:
    """The agreement's document as an A4 PDF, the same texts as ``render_html``. The same
    content gives the same bytes (reportlab's invariant mode: no creation date)."""
    doc = document(content, agreement_hash, state_label, signatures, odrl_url)
    styles = _styles()
    story: list[Any] = [platypus.Paragraph(_markup(doc.title), styles["h1"])]
    story += _pdf_blocks(doc.preamble)
    for section in doc.sections:
        story += _pdf_section(section, level=2)
    story.append(platypus.Spacer(1, 0.6 * cm))
    story.append(platypus.KeepTogether(_pdf_blocks(doc.footer, small=True)))
    buffer = io.BytesIO()
    pdf = platypus.SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
        bottomMargin=2.2 * cm, title=doc.title, author=doc.author,
        subject="Convention de partage de données", creator="ctd", lang="fr",
        invariant=True)
    pdf.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()


def _page_number(canvas: Any, pdf: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawCentredString(A4[0] / 2, 1.2 * cm, f"Page {pdf.page}")
    canvas.restoreState()


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=10,
                          leading=13.5, spaceAfter=5)
    return {
        "h1": ParagraphStyle("h1", parent=base["Title"], fontSize=16, leading=20),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontSize=13, spaceBefore=12,
                             keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontSize=11, spaceBefore=8,
                             keepWithNext=1),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=11),
        "item": ParagraphStyle("item", parent=body, leftIndent=12, bulletIndent=2),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5, spaceAfter=0),
        "caption": ParagraphStyle("caption", parent=body, fontName="Helvetica-Bold",
                                  keepWithNext=1),
    }


def _pdf_section(section: Section, level: int) -> list[Any]:
    styles = _styles()
    flowables = [platypus.Paragraph(_markup(section.title), styles[f"h{level}"])]
    flowables += _pdf_blocks(section.blocks)
    for sub in section.subsections:
        flowables += _pdf_section(sub, level + 1)
    return flowables


def _pdf_blocks(blocks: tuple[Block, ...], small: bool = False) -> list[Any]:
    styles = _styles()
    style = styles["small" if small else "body"]
    flowables: list[Any] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            text = _markup(block.text)
            if block.code:
                text = f'<font face="Courier">{text}</font>'
            label = f"<b>{_markup(block.label)}</b>" if block.label else ""
            flowables.append(platypus.Paragraph(label + text, style))
        elif isinstance(block, Items):
            flowables += [platypus.Paragraph(_markup(item), styles["item"], bulletText="•")
                          for item in block.items]
        elif isinstance(block, Links):
            links = ", ".join(_pdf_link(link) for link in block.links)
            flowables.append(platypus.Paragraph(f"{_markup(block.label)} {links}", style))
        else:
            flowables += _pdf_table(block)
    return flowables


def _pdf_link(link: Link) -> str:
    if not link.url:
        return _markup(link.label)
    return (f'<a href="{escape(link.url, {chr(34): "&quot;"})}" color="#000091">'
            f"{_markup(link.label)}</a>")


def _pdf_table(table: Table) -> list[Any]:
    styles = _styles()

    def cell(text: str, column: int, header: bool = False) -> platypus.Paragraph:
        markup = _markup(text)
        if header:
            markup = f"<b>{markup}</b>"
        elif column == table.code_column:
            markup = f'<font face="Courier" size="{CODE_SIZE}">{markup}</font>'
        return platypus.Paragraph(markup, styles["cell"])

    data = [[cell(text, i, header=True) for i, text in enumerate(table.header)]]
    data += [[cell(text, i) for i, text in enumerate(row)] for row in table.rows]
    # Widths after the longest text of each column; a hash on one line if it can.
    longest = [max(len(row[i]) for row in [table.header, *table.rows])
               for i in range(len(table.header))]
    width = A4[0] - 4 * cm
    code = 0.0
    if table.code_column is not None:
        code = min(longest[table.code_column] * 0.6 * CODE_SIZE + 18, 0.6 * width)
    weights = [0 if i == table.code_column else min(max(8, n), 60)
               for i, n in enumerate(longest)]
    widths = [code if i == table.code_column else (width - code) * w / sum(weights)
              for i, w in enumerate(weights)]
    grid = platypus.Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    grid.setStyle(platypus.TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeef8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return [platypus.Paragraph(_markup(table.caption), styles["caption"]), grid,
            platypus.Spacer(1, 0.3 * cm)]


def _markup(text: str) -> str:
    """A user or data string for reportlab's paragraph markup, in WinAnsi."""
    return escape(_winansi(text))


def _winansi(text: str) -> str:
    """The text in the characters of the built-in PDF fonts: a narrow no-break space becomes
    a no-break space, another missing character its closest Latin form, or « ? »."""
    text = text.replace("\u202f", "\u00a0")
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode(
                "cp1252")
            out.append(plain or "?")
    return "".join(out)
