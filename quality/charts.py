"""Maps and charts drawn on the server as SVG, with no tile server nor network: a committee's
territory with its members coloured by reference-data coverage or by the mean AI-training
fitness of their published datasets, and the distribution of their datasets' scores.

Drawn with matplotlib, imported only when a chart is asked for (it costs a few tenths of a
second): each chart is a ``matplotlib.figure.Figure`` of its own, never pyplot's global
state, so charts may be drawn in several threads at once. Text stays text
(``svg.fonttype`` none), ids are deterministic (``svg.hashsalt``), and each SVG carries a
French ``<title>`` and ``<desc>`` and a visible legend. Groups are named after what they
draw: ``member-<slug>`` (a member's territory), ``footprint-<slug>`` (a dataset's spatial
coverage), ``committee-outline``, ``ai-<slug>`` and ``metadata-<slug>`` (a member's scores).
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

import shapely
from sqlmodel import Session, col, select

from catalogue.models import Committee, Dataset, Organization
from catalogue.vocabularies import DatasetState
from quality import coverage, reports

COLOURMAP = "viridis"
NO_DATA = "#d9d9d9"
NO_DATA_HATCH = "///"
FOOTPRINT = "#d55e00"
# Beyond this many members, their names would hide the map: none is written.
MAX_LABELS = 40
LEGENDS = {"coverage": "Couverture des données de référence",
           "quality": "Note moyenne d'aptitude à l'IA des jeux publiés (sur 100)"}
COLOURS = tuple(LEGENDS)


# matplotlib, loaded once


@functools.cache
def matplotlib() -> Any:
    """matplotlib, set for SVG documents of stable content. The settings are process-wide;
    they are written once, with the same values, before any chart is drawn."""
    import matplotlib as mpl

    mpl.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "ctd",
                         "font.family": "DejaVu Sans", "hatch.color": "#737373",
                         "hatch.linewidth": 0.6})
    return mpl


def new_figure(width: float, height: float) -> Any:
    """A figure of its own (not pyplot's), ``width`` × ``height`` inches."""
    matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def to_svg(figure: Any, title: str, description: str) -> str:
    """The figure as an SVG document with a ``<title>`` and a ``<desc>`` for screen
    readers."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(figure)
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Title": title,
                                                "Creator": "ctd (matplotlib)"})
    text = out.getvalue()
    opening = re.search(r"<svg\b[^>]*>", text)
    head = opening.group(0)
    tagged = head[:-1] + ' role="img" aria-labelledby="chart-title chart-desc">'
    accessible = (f'{tagged}\n <title id="chart-title">{escape(title)}</title>\n'
                  f' <desc id="chart-desc">{escape(description)}</desc>')
    return text[:opening.start()] + accessible + text[opening.end():]


# Geometry


def _ring(coords: Any) -> tuple[list[tuple[float, float]], list[int]]:
    from matplotlib.path import Path

    points = [(x, y) for x, y, *_ in coords]
    codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 2) + [Path.CLOSEPOLY]
    return points, codes


def geometry_path(shape: Any) -> Any | None:
    """One compound matplotlib path of the polygons of ``shape`` (Polygon, MultiPolygon or
    a collection), holes included; None when it has no area."""
    from matplotlib.path import Path

    vertices: list[tuple[float, float]] = []
    codes: list[int] = []
    for polygon in shapely.get_parts(shape):
        if isinstance(polygon, shapely.GeometryCollection | shapely.MultiPolygon):
            inner = geometry_path(polygon)
            if inner is not None:
                vertices += [tuple(v) for v in inner.vertices]
                codes += list(inner.codes)
            continue
        if not isinstance(polygon, shapely.Polygon) or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            if len(ring.coords) < 4:
                continue
            points, ring_codes = _ring(ring.coords)
            vertices += points
            codes += ring_codes
    return Path(vertices, codes) if vertices else None


def _shape(geojson: str | None) -> Any | None:
    if not geojson:
        return None
    try:
        shape = shapely.from_geojson(geojson)
    except shapely.errors.GEOSException:
        return None
    return None if shape.is_empty else shape


def _simplified(shape: Any | None, tolerance: float) -> Any | None:
    if shape is None or not tolerance:
        return shape
    simple = shapely.simplify(shape, tolerance, preserve_topology=True)
    return None if simple.is_empty else simple


# What the database says


def published_datasets(session: Session, members: list[Organization]) -> list[Dataset]:
    if not members:
        return []
    return list(session.exec(
        select(Dataset).where(col(Dataset.publisher_id).in_([m.id for m in members]),
                              Dataset.state == DatasetState.published)
        .order_by(Dataset.publisher_id, Dataset.slug)))


def member_scores(session: Session, datasets: list[Dataset],
                  scores: dict[int, dict] | None = None) -> dict[int, list[dict]]:
    """Per publisher, the metadata and AI-training fitness values (0–100, None when not
    assessed) of ``datasets``, as ``quality.reports.scores_for`` computes them (``scores``:
    those the caller has already)."""
    scores = scores if scores is not None else reports.scores_for(session, datasets)
    values: dict[int, list[dict]] = defaultdict(list)
    for dataset in datasets:
        graded = scores[dataset.id]
        values[dataset.publisher_id].append({
            "slug": dataset.slug, "metadata": graded["metadata"]["value"],
            "ai_fitness": graded["ai_fitness"]["value"]})
    return values


def _mean(values: list[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


# The map


def committee_map(session: Session, committee: Committee, colour: str = "coverage") -> str:
    """The committee's territory as SVG: each member's territory filled by its coverage of
    the reference datasets (``colour="coverage"``, 0–1) or by the mean AI-training fitness
    of its published datasets (``"quality"``, 0–100), hatched grey when there is none; the
    committee's outline; the footprints of the members' published datasets."""
    if colour not in COLOURS:
        raise ValueError(f"colour: {colour!r}")
    members = coverage.voting_members(session, committee)
    datasets = published_datasets(session, members)
    if colour == "coverage":
        table = coverage.matrix(session, committee)
        values = {row["slug"]: row["coverage"] for row in table["members"]}
        vmax = 1.0
    else:
        scores = member_scores(session, datasets)
        values = {m.slug: _mean([s["ai_fitness"] for s in scores.get(m.id, [])])
                  for m in members}
        vmax = 100.0
    shown = ("map", colour, committee.name, committee.geometry or "",
             *(f"{m.slug}|{m.name}|{m.geometry or ''}" for m in members),
             *(f"{d.slug}|{d.spatial_geometry or ''}" for d in datasets),
             repr(sorted(values.items())))
    return _memo(shown, lambda: _draw_map(committee, colour, members, datasets, values, vmax))


# Charts already drawn, by a digest of everything they show: drawing one takes a few tenths
# of a second, reading what it shows a few hundredths (benchmarks/pages.py).
_drawn: dict[str, str] = {}
MAX_DRAWN = 64


def _memo(shown: Iterable[str], draw: Callable[[], str]) -> str:
    """The chart showing ``shown`` (texts that together say all it shows), drawn once."""
    digest = hashlib.blake2b(digest_size=16)
    for part in shown:
        digest.update(part.encode())
        digest.update(b"\0")
    key = digest.hexdigest()
    svg = _drawn.get(key)
    if svg is None:
        svg = draw()
        if len(_drawn) >= MAX_DRAWN:
            _drawn.pop(next(iter(_drawn)), None)
        _drawn[key] = svg
    return svg


def _draw_map(committee: Committee, colour: str, members: list[Organization],
              datasets: list[Dataset], values: dict[str, float | None], vmax: float) -> str:
    mpl = matplotlib()
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, PathPatch

    cmap = mpl.colormaps[COLOURMAP]
    norm = Normalize(0, vmax)
    figure = new_figure(8, 8.6)
    ax = figure.add_subplot()
    ax.set_axis_off()
    shapes = {m.slug: _shape(m.geometry) for m in members}
    outline = _shape(committee.geometry)
    drawn = [s for s in (*shapes.values(), outline) if s is not None]
    # Detail finer than a thousandth of the map is not seen: dropping it shrinks the SVG.
    extent = shapely.GeometryCollection(drawn).bounds if drawn else (0, 0, 0, 0)
    tolerance = max(extent[2] - extent[0], extent[3] - extent[1]) / 1000
    shapes = {slug: _simplified(shape, tolerance) for slug, shape in shapes.items()}
    outline = _simplified(outline, tolerance)
    # Larger territories first, so that a commune stays visible over its intercommunality.
    for member in sorted(members, key=lambda m: -(shapes[m.slug].area if shapes[m.slug]
                                                  else 0)):
        path = geometry_path(shapes[member.slug]) if shapes[member.slug] else None
        if path is None:
            continue
        value = values.get(member.slug)
        patch = PathPatch(path, facecolor=NO_DATA if value is None else cmap(norm(value)),
                          hatch=NO_DATA_HATCH if value is None else None,
                          edgecolor="white", linewidth=0.8, zorder=1)
        patch.set_gid(f"member-{member.slug}")
        ax.add_patch(patch)
    for dataset in datasets:
        footprint = _simplified(_shape(dataset.spatial_geometry), tolerance)
        path = geometry_path(footprint) if footprint is not None else None
        if path is None:
            continue
        patch = PathPatch(path, fill=False, edgecolor=FOOTPRINT, linewidth=0.5,
                          linestyle=(0, (3, 2)), alpha=0.8, zorder=2)
        patch.set_gid(f"footprint-{dataset.slug}")
        ax.add_patch(patch)
    if outline is not None and (path := geometry_path(outline)) is not None:
        patch = PathPatch(path, fill=False, edgecolor="black", linewidth=1.4, zorder=3)
        patch.set_gid("committee-outline")
        ax.add_patch(patch)
    if len(members) <= MAX_LABELS:
        for member in members:
            if shapes[member.slug] is None:
                continue
            point = shapes[member.slug].representative_point()
            label = ax.text(point.x, point.y, member.name, fontsize=6.5, ha="center",
                            va="center", zorder=4,
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                                  "alpha": 0.7, "linewidth": 0})
            label.set_gid(f"label-{member.slug}")
    if drawn:
        minx, miny, maxx, maxy = extent
        pad = max(maxx - minx, maxy - miny, 0.01) * 0.04
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
        # A degree of longitude is cos(latitude) as long as a degree of latitude.
        ax.set_aspect(1 / max(math.cos(math.radians((miny + maxy) / 2)), 0.1))
    else:
        ax.text(0.5, 0.5, "Aucun territoire connu pour ce comité", ha="center",
                transform=ax.transAxes)
    bar = figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                          orientation="horizontal", fraction=0.04, pad=0.02,
                          boundaries=[vmax * i / 20 for i in range(21)])
    bar.set_label(f"{LEGENDS[colour]}", fontsize=9)
    if colour == "coverage":
        bar.set_ticks([0, 0.25, 0.5, 0.75, 1], labels=["0 %", "25 %", "50 %", "75 %", "100 %"])
    else:
        bar.set_ticks([0, 25, 50, 75, 100])
    bar.ax.set_gid("colour-scale")
    legend = ax.legend(handles=[
        Patch(facecolor=NO_DATA, hatch=NO_DATA_HATCH, edgecolor="white",
              label="Pas de donnée (aucun jeu publié noté)"),
        Line2D([], [], color=FOOTPRINT, linewidth=0.8, linestyle=(0, (3, 2)),
               label="Emprise d'un jeu de données publié"),
        Line2D([], [], color="black", linewidth=1.4, label="Territoire du comité"),
    ], loc="upper left", fontsize=7, framealpha=0.85)
    legend.set_gid("legend")
    what = "couverture des données de référence" if colour == "coverage" else \
        "note moyenne d'aptitude à l'IA des jeux de données publiés"
    ax.set_title(f"{committee.name} — {what}", fontsize=10)
    return to_svg(figure, f"Carte du comité « {committee.name} » : {what}",
                  _map_description(members, values, shapes, colour, len(datasets)))


def _map_description(members: list[Organization], values: dict[str, float | None],
                     shapes: dict[str, Any], colour: str, footprints: int) -> str:
    def shown(value: float | None) -> str:
        if value is None:
            return "pas de donnée"
        return f"{round(100 * value)} %" if colour == "coverage" else f"{round(value)}/100"

    parts = [f"{m.name} : {shown(values.get(m.slug))}" for m in members]
    what = LEGENDS[colour][0].lower() + LEGENDS[colour][1:]
    text = (f"{len(members)} membre(s), colorés selon la {what} ; {footprints} emprise(s) "
            f"de jeux de données publiés. " + " ; ".join(parts) + ".")
    missing = [m.name for m in members if shapes[m.slug] is None]
    if missing:
        text += f" Sans territoire connu (non dessinés) : {', '.join(missing)}."
    return text


# The score distribution


def score_distribution(session: Session, committee: Committee) -> str:
    """Per member, the AI-training fitness and metadata scores (0–100) of each of its
    published datasets, one point per dataset, with the median AI-training fitness."""
    members = coverage.voting_members(session, committee)
    scores = member_scores(session, published_datasets(session, members))
    shown = ("scores", committee.name, *(f"{m.id}|{m.slug}|{m.name}" for m in members),
             repr(sorted((k, sorted(map(repr, v))) for k, v in scores.items())))
    return _memo(shown, lambda: _draw_scores(committee, members, scores))


def _draw_scores(committee: Committee, members: list[Organization],
                 scores: dict[int, list[dict]]) -> str:
    mpl = matplotlib()
    from matplotlib.lines import Line2D

    cmap = mpl.colormaps[COLOURMAP]
    ai_colour, metadata_colour = cmap(0.2), cmap(0.75)
    figure = new_figure(8, 1.2 + 0.55 * max(len(members), 1))
    ax = figure.add_subplot()
    rows = list(reversed(members))  # the first member on top
    for row, member in enumerate(rows):
        listed = scores.get(member.id, [])
        ai = [s["ai_fitness"] for s in listed if s["ai_fitness"] is not None]
        metadata = [s["metadata"] for s in listed if s["metadata"] is not None]
        if not listed:
            ax.text(1, row, "aucun jeu de données publié", fontsize=7, va="center",
                    color="#525252", style="italic")
            continue
        dots = ax.scatter(ai, [row + 0.12] * len(ai), marker="o", s=28, color=ai_colour,
                          alpha=0.8, edgecolors="white", linewidths=0.4, zorder=3)
        dots.set_gid(f"ai-{member.slug}")
        squares = ax.scatter(metadata, [row - 0.12] * len(metadata), marker="s", s=22,
                             color=metadata_colour, alpha=0.8, edgecolors="#404040",
                             linewidths=0.4, zorder=3)
        squares.set_gid(f"metadata-{member.slug}")
        if ai:
            ordered = sorted(ai)
            middle = len(ordered) // 2
            median = ordered[middle] if len(ordered) % 2 else \
                (ordered[middle - 1] + ordered[middle]) / 2
            ax.plot([median, median], [row - 0.3, row + 0.3], color="black", linewidth=1.2,
                    zorder=4, gid=f"median-{member.slug}")
    ax.set_yticks(range(len(rows)), labels=[m.name for m in rows], fontsize=8)
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    ax.set_xlim(-2, 102)
    ax.set_xlabel("Note (sur 100)", fontsize=9)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(f"{committee.name} — notes des jeux de données publiés", fontsize=10)
    legend = ax.legend(handles=[
        Line2D([], [], marker="o", linestyle="", color=ai_colour,
               label="Aptitude à l'entraînement d'IA"),
        Line2D([], [], marker="s", linestyle="", color=metadata_colour,
               label="Qualité des métadonnées"),
        Line2D([], [], color="black", linewidth=1.2, label="Médiane d'aptitude à l'IA"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / max(len(rows), 1)),
        ncols=3, fontsize=7, frameon=False)
    legend.set_gid("legend")
    parts = []
    for member in members:
        listed = scores.get(member.id, [])
        ai = _mean([s["ai_fitness"] for s in listed])
        meta = _mean([s["metadata"] for s in listed])
        parts.append(f"{member.name} : {len(listed)} jeu(x) publié(s)"
                     + (f", aptitude à l'IA moyenne {round(ai)}/100" if ai is not None else "")
                     + (f", métadonnées moyennes {round(meta)}/100" if meta is not None else ""))
    return to_svg(figure, f"Répartition des notes des jeux de données publiés, par membre du "
                          f"comité « {committee.name} »",
                  "Un point par jeu de données publié : aptitude à l'entraînement d'IA "
                  "(ronds) et qualité des métadonnées (carrés), sur 100. "
                  + " ; ".join(parts) + ".")
