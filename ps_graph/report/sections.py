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
from .table import NUMERIC_FROM, aggregate_table, summary_table

__all__ = [
    "AGENT_JSON",
    "AggregateSection",
    "ProfileSection",
    "aggregate_section",
    "profile_section",
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


# ---------------------------------------------------------------------- across environments
@dataclass(frozen=True)
class AggregateSection:
    """The per-agent aggregate over environments (:func:`~ps_graph.experiments.aggregate`) and how to read it."""

    header: list[str]
    rows: list[list[str]]
    explain: str
    numeric_from: int = NUMERIC_FROM


def aggregate_section(rows: Sequence) -> AggregateSection:
    """The table of :func:`~ps_graph.experiments.aggregate` ``rows`` (at least one) and the
    normalization it used, in words.

    >>> from ps_graph.experiments import AggregateRow
    >>> section = aggregate_section([AggregateRow("ps", 2, 6, "return", 10, 0.5, 0.6, 0.25, 0.75)])
    >>> section.rows[0][-1], "min-max" in section.explain
    ('0.600 [0.250, 0.750]', True)
    """
    from ..experiments.aggregate import NORMALIZATION

    header, body = aggregate_table(rows)
    explain = (
        f"Each agent over all {rows[0].envs} environments: {NORMALIZATION}. Then the mean and the interquartile "
        "mean over all the agent's runs, the IQM with a 95 % stratified bootstrap interval (the runs of each "
        "environment resampled apart; Agarwal et al., NeurIPS 2021). The scale is relative to the agents "
        "compared here."
    )
    return AggregateSection(header, body, explain, numeric_from=1)  # environments, runs and scores


@dataclass(frozen=True)
class ProfileSection:
    """The performance profile: the PNG written, its bytes in base64, and how to read it."""

    path: Path
    png_base64: str
    explain: str


def _png(fig: Any, path: Path) -> tuple[Path, str]:
    """Save ``fig`` as the PNG ``path``; the path and its bytes in base64, to embed."""
    from ..files import save_figure

    saved = save_figure(fig, path, dpi=110)
    return saved, base64.b64encode(saved.read_bytes()).decode("ascii")


def profile_section(results: Mapping, path: Path, *, last: int, metric: str) -> ProfileSection:
    """Draw :func:`~ps_graph.experiments.plot_performance_profile` into ``path`` and return it, ready to embed."""
    from ..experiments.aggregate import NORMALIZATION, plot_performance_profile

    fig = plot_performance_profile(results, last, metric=metric)
    explain = (
        f"Performance profile: for each tau, the fraction of an agent's runs (all environments pooled) whose "
        f"score is above tau, with its 95 % stratified bootstrap band; a curve above another is better "
        f"everywhere. Scores: {NORMALIZATION}."
    )
    return ProfileSection(*_png(fig, path), explain)


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

    curves = []
    for env, fig in plot_comparison(results, window=window).items():
        best = optimum.get(env)
        if best is not None and best.comparable:
            ax = fig.axes[0]
            ax.axhline(best.value, color="black", linestyle="--", linewidth=1, label="exact optimum")
            ax.legend(loc="best")
        curves.append(Curve(env, *_png(fig, out / f"curves-{slug(env)}.png")))
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
