"""The sections of the report page, each built here as plain data that its template shows.

Builders compute; templates only lay out (``templates/<section>.html.j2``). Builders that
produce a file beside the page (the curves' PNGs, the saved agent) write it and say so.

>>> from ps_graph.experiments import SummaryRow
>>> section = summary_section([SummaryRow("ps", "E", 2, "return", 10, 0.75, 0.1, 0.5, 0.05)], {})
>>> section.header[:3], section.rows[0].cells[2], section.with_optimum
(['agent', 'environment', 'runs'], '2', False)
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .optimum import Optimum
from .table import NUMERIC_FROM, summary_table

__all__ = [
    "AGENT_JSON",
    "MAX_ECM_PERCEPTS",
    "Curve",
    "EcmSection",
    "SummaryRowCells",
    "SummarySection",
    "curves_section",
    "ecm_section",
    "optimum_section",
    "save_agent",
    "summary_section",
]

logger = logging.getLogger(__name__)

AGENT_JSON = "ps_agent.json"
MAX_ECM_PERCEPTS = 2_000  # larger ECMs are shown from their most visited percepts only (the page stays small)


# ---------------------------------------------------------------------- summary
@dataclass(frozen=True)
class SummaryRowCells:
    """One row of the summary table: its cells, and its final / optimum ratio ("" when none)."""

    cells: list[str]
    ratio: str = ""


@dataclass(frozen=True)
class SummarySection:
    """The summary table (cells from :func:`~ps_graph.report.table.summary_table`) and how to read it."""

    header: list[str]
    rows: list[SummaryRowCells]
    with_optimum: bool
    explain: str
    numeric_from: int = NUMERIC_FROM


def _ratio(row, best: Optimum | None) -> str:
    """The final mean as a share of the exact optimum, where both are returns and the optimum is positive."""
    if best is None or not best.comparable or best.value <= 0 or row.metric != "return":
        return ""
    return f"{row.final_mean / best.value:.1%}"


def _explain(first) -> str:
    """What the summary's numbers are, in one paragraph."""
    text = (
        f"Final: each run's mean {first.metric} over its last {first.last} episodes, then the mean over runs "
        "± the half-width of a normal 95 % confidence interval. AUC: each run's mean over all its episodes, "
        "the same way."
    )
    if getattr(first, "iqm", None) is not None:
        text += (
            " Final IQM: the interquartile mean (the mean of the middle 50 %) of the runs' final scores, "
            "with a 95 % percentile bootstrap interval over runs (Agarwal et al., NeurIPS 2021)."
        )
    if first.threshold is not None:
        text += (
            f" Episodes to {first.threshold:g}: the median over runs of the first episode that ends "
            f"{first.window} episodes whose mean {first.metric} reaches it."
        )
    return text


def summary_section(rows: Sequence, optimum: Mapping[str, Optimum]) -> SummarySection:
    """The summary of :func:`~ps_graph.experiments.summarize` ``rows`` (at least one), with a
    final / exact optimum column when some environment has a comparable optimum."""
    header, body = summary_table(rows)
    with_optimum = any(best.comparable for best in optimum.values())
    cells = [
        SummaryRowCells(line, _ratio(row, optimum.get(row.env)) if with_optimum else "")
        for line, row in zip(body, rows)
    ]
    return SummarySection(header, cells, with_optimum, _explain(rows[0]))


def optimum_section(optimum: Mapping[str, Optimum]) -> list[tuple[str, str]]:
    """``(environment, what its exact optimum is)`` for each environment that has one.

    >>> optimum_section({"E": Optimum("E", "finite-horizon", 1.0, 1.0, 9, 1.0)})[0][1][:45]
    'best expected return within 9 steps (undiscou'
    """
    return [(env, best.describe()) for env, best in optimum.items()]


# ---------------------------------------------------------------------- learning curves
@dataclass(frozen=True)
class Curve:
    """The learning curves of one environment: the PNG file written, and its bytes in base64."""

    env: str
    path: Path
    png_base64: str


def curves_section(results: Mapping, out: Path, *, window: int, optimum: Mapping[str, Optimum]) -> list[Curve]:
    """Draw the learning curves of each environment into ``out/curves-<env>.png`` (with the
    comparable exact optimum as a dashed line) and return them, ready to embed."""
    from ..experiments import plot_comparison
    from ..experiments.specs import slug
    from ..files import save_figure

    curves = []
    for env, fig in plot_comparison(results, window=window).items():
        best = optimum.get(env)
        if best is not None and best.comparable:
            ax = fig.axes[0]
            ax.axhline(best.value, color="black", linestyle="--", linewidth=1, label="exact optimum")
            ax.legend(loc="best")
        path = save_figure(fig, out / f"curves-{slug(env)}.png", dpi=110)
        curves.append(Curve(env, path, base64.b64encode(path.read_bytes()).decode("ascii")))
    return curves


# ---------------------------------------------------------------------- the ECM
@dataclass(frozen=True)
class EcmSection:
    """The ECM explorer (a whole :mod:`~ps_graph.inspection.viz` page, shown in a sandboxed iframe) and its notes.

    ``shows`` says which clips are drawn; ``saved`` is the file name of the saved agent, or
    None when the source is not an agent the PS agent file format holds.
    """

    html: str
    shows: str
    caption: str
    saved: str | None


def _ecm_view(source: Any, title: str | None, options: Mapping[str, Any]) -> tuple[str, str]:
    """The explorer page of ``source`` and a note on what it shows (very large ECMs: the most visited percepts)."""
    from ..inspection.sources import ecm_of
    from ..inspection.viz import to_html

    ecm, _ = ecm_of(source)
    percepts = ecm.clips("percept")
    if len(percepts) <= MAX_ECM_PERCEPTS:
        return to_html(source, title=title, **options), f"all {len(percepts)} percept clips"
    top = sorted(percepts, key=ecm.visits, reverse=True)[:MAX_ECM_PERCEPTS]
    note = (
        f"the {MAX_ECM_PERCEPTS} most visited of {len(percepts)} percept clips and what they reach "
        "(ps-graph inspect --html shows the whole agent)"
    )
    return to_html(source, title=title, percepts=top, **options), note


def save_agent(source: Any, out: Path) -> Path | None:
    """Save the agent behind ``source`` as ``out/ps_agent.json`` in the PS agent file format
    (:func:`ps_graph.save`); None, writing nothing, for a bare ECM or an agent that format
    does not hold (the reason is logged).

    >>> import ps_graph
    >>> save_agent(ps_graph.PSAgent(2, seed=0).ecm, Path("never-written")) is None
    True
    """
    from ..agent import PSAgent
    from ..fast import TwoLayerPS
    from ..inspection.sources import ecm_of
    from ..saving import save

    _, agent = ecm_of(source)
    if agent is None:
        return None
    reason = "the PS agent file holds a PSAgent or a TwoLayerPS only"
    if isinstance(agent, (PSAgent, TwoLayerPS)):
        try:
            return save(agent, out / AGENT_JSON)
        except ConfigError as err:  # a subclass, or state the format does not hold
            reason = str(err)
    logger.warning("the report draws the ECM of %s but does not save the agent: %s", type(agent).__name__, reason)
    return None


def ecm_section(
    source: Any, out: Path, *, caption: str, title: str | None, options: Mapping[str, Any] | None = None
) -> tuple[EcmSection, Path | None]:
    """The ECM section of ``source`` (an ECM, or an agent that has one), and the agent file
    written beside the page (None when there is none, see :func:`save_agent`); ``options``
    go to the explorer (:func:`~ps_graph.inspection.explorer.explorer_data`)."""
    view, shows = _ecm_view(source, title, options or {})
    saved = save_agent(source, out)
    return EcmSection(view, shows, caption, None if saved is None else saved.name), saved
