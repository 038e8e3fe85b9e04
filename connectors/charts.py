"""The health of harvest sources as an SVG chart drawn on the server: per source, how its
last finished jobs ended (stacked bars), and what its last job added, updated and failed
to take. Drawn with matplotlib as ``quality.charts`` draws (a figure of its own, imported
lazily, French title, description and legend)."""

from __future__ import annotations

from collections import Counter, defaultdict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from connectors.models import FINISHED, HarvestJob, HarvestSource, JobStatus
from quality import charts

# How many of a source's last finished jobs the chart counts.
LAST_JOBS = 20
# Per outcome: its French label, colour (Okabe–Ito, told apart with colour-blindness) and
# hatch (told apart without colour).
OUTCOMES = {
    JobStatus.done: ("Terminé", "#009e73", None),
    JobStatus.done_with_errors: ("Terminé avec erreurs", "#e69f00", "..."),
    JobStatus.failed: ("Échoué", "#d55e00", "xx"),
    JobStatus.interrupted: ("Interrompu", "#999999", "//"),
}


def _last_jobs(session: Session, sources: list[HarvestSource]) -> dict[int, list[HarvestJob]]:
    """Per source, its last ``LAST_JOBS`` finished jobs, newest first: one query."""
    if not sources:
        return {}
    rank = sa.func.row_number().over(partition_by=HarvestJob.source_id,
                                     order_by=col(HarvestJob.id).desc()).label("rank")
    ranked = (select(HarvestJob.id, rank)
              .where(col(HarvestJob.source_id).in_([s.id for s in sources]),
                     col(HarvestJob.status).in_(FINISHED))
              .subquery())
    jobs: dict[int, list[HarvestJob]] = defaultdict(list)
    for job in session.exec(select(HarvestJob)
                            .join(ranked, ranked.c.id == HarvestJob.id)
                            .where(ranked.c.rank <= LAST_JOBS)
                            .order_by(col(HarvestJob.id).desc())):
        jobs[job.source_id].append(job)
    return jobs


def harvest_health(session: Session, sources: list[HarvestSource]) -> str:
    """Per source of ``sources``: stacked bars of how its last finished jobs ended (done,
    done with errors, failed, interrupted), and beside them what its last job did. Groups
    are named ``source-<name>-<status>`` (one bar segment) and ``last-<name>``."""
    jobs = _last_jobs(session, sources)
    charts.matplotlib()
    from matplotlib.patches import Patch

    figure = charts.new_figure(9, 1.6 + 0.5 * max(len(sources), 1))
    ax = figure.add_subplot()
    rows = list(reversed(sources))  # the first source on top
    counts = {s.id: Counter(job.status for job in jobs.get(s.id, [])) for s in rows}
    widest = max([sum(c.values()) for c in counts.values()] + [1])
    for row, source in enumerate(rows):
        left = 0
        for status, (_, colour, hatch) in OUTCOMES.items():
            count = counts[source.id][status]
            if not count:
                continue
            bar = ax.barh(row, count, left=left, height=0.6, color=colour, hatch=hatch,
                          edgecolor="white", linewidth=0.6)
            bar.patches[0].set_gid(f"source-{source.name}-{status}")
            if count / widest > 0.06:
                ax.text(left + count / 2, row, str(count), ha="center", va="center",
                        fontsize=7, color="black")
            left += count
        last = jobs.get(source.id, [None])[0]
        text = ax.text(widest * 1.02, row, _last_summary(last), va="center", fontsize=7,
                       color="#303030")
        text.set_gid(f"last-{source.name}")
    ax.set_yticks(range(len(rows)), labels=[s.name for s in rows], fontsize=8)
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    ax.set_xlim(0, widest * 1.75)
    ax.set_xlabel(f"Nombre de moissonnages (les {LAST_JOBS} derniers terminés par source)",
                  fontsize=9)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Santé des sources de moissonnage", fontsize=10)
    if not sources:
        ax.text(0.5, 0.5, "Aucune source de moissonnage", ha="center", va="center",
                transform=ax.transAxes)
    legend = ax.legend(handles=[Patch(facecolor=colour, hatch=hatch, edgecolor="white",
                                      label=label)
                                for label, colour, hatch in OUTCOMES.values()],
                       loc="upper center", bbox_to_anchor=(0.5, -0.18 - 0.5 / max(len(rows), 1)),
                       ncols=4, fontsize=7, frameon=False)
    legend.set_gid("legend")
    parts = []
    for source in sources:
        count = counts[source.id]
        ended = ", ".join(f"{OUTCOMES[s][0].lower()} {count[s]}" for s in OUTCOMES if count[s])
        parts.append(f"{source.name} : {ended or 'aucun moissonnage terminé'}")
    return charts.to_svg(
        figure, "Santé des sources de moissonnage",
        f"Par source, l'issue de ses {LAST_JOBS} derniers moissonnages terminés, et ce que "
        f"le dernier a ajouté, mis à jour ou n'a pu prendre. " + " ; ".join(parts) + ".")


def _last_summary(job: HarvestJob | None) -> str:
    if job is None:
        return "aucun moissonnage terminé"
    when = (job.finished or job.created).strftime("%d/%m/%Y")
    return (f"dernier ({when}) : {job.added} ajouté(s), {job.updated} mis à jour, "
            f"{job.errored} en erreur")
