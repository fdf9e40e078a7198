"""The report page: :func:`write_report` builds each section (:mod:`.sections`), writes the
files beside the page, and renders ``templates/report.html.j2`` with :func:`render_page`.

Every value a template shows is HTML-escaped (with :func:`html.escape`, so the page's
bytes do not depend on markupsafe's spelling of entities); templates hold the only markup.

>>> from ps_graph.experiments import SummaryRow
>>> from ps_graph.report.sections import summary_section
>>> rows = [SummaryRow("<ps>", "E", 2, "return", 10, 0.75, 0.1, 0.5, 0.05)]
>>> text = render_page(Page("a & b", summary=summary_section(rows, {})))
>>> "<title>a &amp; b</title>" in text, "<td>&lt;ps&gt;</td>" in text
(True, True)
"""

from __future__ import annotations

import functools
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .optimum import Optimum
from .sections import (
    AggregateSection,
    Curve,
    EcmSection,
    ProfileSection,
    SummarySection,
    aggregate_section,
    curves_section,
    ecm_section,
    optimum_section,
    profile_section,
    summary_section,
)

__all__ = ["AGGREGATE_CSV", "PROFILE_PNG", "REPORT_HTML", "SUMMARY_CSV", "Page", "render_page", "write_report"]

REPORT_HTML = "report.html"
SUMMARY_CSV = "summary.csv"
AGGREGATE_CSV = "aggregate.csv"
PROFILE_PNG = "profile.png"
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class Page:
    """Everything the page template shows, section by section (see ``templates/``)."""

    title: str
    notes: Sequence[str] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    summary: SummarySection | None = None
    aggregate: AggregateSection | None = None
    profile: ProfileSection | None = None
    optimum: list[tuple[str, str]] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    window: int = 10
    ecm: EcmSection | None = None
    files: list[str] = field(default_factory=list)
    episodes: bool = False  # whether the per-episode results (episodes.csv, runs/) lie beside the page
    version: str = ""


def _escape(value: Any) -> Any:
    """What a template shows of ``value``: HTML-escaped text (markup the code made is kept)."""
    from markupsafe import Markup

    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


@functools.lru_cache(maxsize=1)
def _environment():
    """The jinja2 environment of the report's templates (autoescape on, every value escaped)."""
    try:
        import jinja2
    except ImportError as err:  # pragma: no cover - jinja2 comes with the core dependencies
        raise ConfigError(f"the report needs jinja2 ({err}); install it with: pip install 'jinja2>=3.1'") from None
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ps_graph.report", "templates"),
        autoescape=True,
        finalize=_escape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_page(page: Page) -> str:
    """The HTML of ``page``: one self-contained document."""
    return _environment().get_template(TEMPLATE).render(page=page)


def _check(results: Any, out: Any, texts: Mapping[str, Any], optimum: Any) -> tuple[Path, dict[str, Optimum]]:
    """Validate :func:`write_report`'s arguments before anything is written; the folder and the optimum."""
    if not isinstance(results, Mapping) or not results:
        raise ConfigError(
            "results must be a non-empty dict {(agent, env): [TrainResult, ...]} as compare() or "
            f"load_results() return; got {results!r:.80}. Run a comparison first."
        )
    for name, value in texts.items():
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string; got {type(value).__name__}.")
    optimum = dict(optimum or {})
    if not all(isinstance(v, Optimum) for v in optimum.values()):
        raise ConfigError("optimum must map environment names to Optimum values from exact_optimum().")
    return Path(out), optimum


def _make_folder(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out={str(out)!r} exists and is not a folder; give a folder for the report.")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _robust(
    results: Mapping, out: Path, *, last: int, metric: str
) -> tuple[AggregateSection | None, ProfileSection | None]:
    """The aggregate over environments (more than one environment; also written as
    ``aggregate.csv``) and the performance profile (every agent has at least 2 runs in all)."""
    from ..experiments import aggregate, write_aggregate_csv

    across = None
    if len({env for _, env in results}) > 1:
        rows = aggregate(results, last, metric=metric)
        write_aggregate_csv(out / AGGREGATE_CSV, rows)
        across = aggregate_section(rows)
    runs: dict[str, int] = {}
    for (agent, _), found in results.items():
        runs[agent] = runs.get(agent, 0) + len(found)
    profile = profile_section(results, out / PROFILE_PNG, last=last, metric=metric) if min(runs.values()) >= 2 else None
    return across, profile


def write_report(
    results: Mapping,
    out: str | os.PathLike,
    *,
    ecm_source: Any = None,
    ecm_caption: str = "",
    ecm_title: str | None = None,
    ecm_options: Mapping[str, Any] | None = None,
    optimum: Mapping[str, Optimum] | None = None,
    title: str = "ps_graph comparison",
    last: int = 100,
    threshold: float | None = None,
    window: int = 10,
    metric: str = "return",
    settings: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write the report of ``results`` into the folder ``out``; returns the path of ``report.html``.

    Parameters
    ----------
    results : ``{(agent, env): [TrainResult, ...]}`` as ``compare`` or ``load_results`` return.
    out : folder (created if missing); ``report.html``, ``summary.csv``, ``curves-<env>.png``,
        with more than one environment ``aggregate.csv`` (:func:`~ps_graph.experiments.aggregate`),
        with at least 2 runs of every agent ``profile.png`` (the performance profile,
        :func:`~ps_graph.experiments.plot_performance_profile`), and, with a PS ``ecm_source``,
        ``ps_agent.json`` are written there, each atomically.
    ecm_source : a trained PSAgent or TwoLayerPS (or an ECM) to show as the interactive ECM
        view; an agent the PS file format holds is also saved as ``ps_agent.json`` (:func:`ps_graph.save`).
    ecm_caption : text under the ECM heading (say which agent and run it is).
    ecm_title : the heading inside the ECM view (default: its clip and edge counts).
    ecm_options : more options of the ECM explorer (:func:`~ps_graph.inspection.explorer.explorer_data`),
        e.g. ``grid=env`` for the policy map of a grid world, ``timeline=``.
    optimum : ``{env name: Optimum}`` from :func:`~ps_graph.report.exact_optimum`; shown per
        environment and, where comparable, drawn as a dashed line on the reward panel.
    title : the page's title.
    last, threshold, window, metric : as :func:`~ps_graph.experiments.summarize`; ``window``
        also smooths the learning curves (trailing moving average over episodes).
    settings : name -> value pairs shown in a table (the command, budget, seeds, ...).
    notes : paragraphs of plain text shown under the title.

    All text is HTML-escaped; the page holds no reference to anything outside itself.
    """
    from .. import __version__
    from ..experiments import summarize, write_summary_csv
    from ..files import atomic_write_text

    texts = {"title": title, "ecm_caption": ecm_caption, "ecm_title": ecm_title or ""}
    out, optimum = _check(results, out, texts, optimum)
    rows = summarize(results, last=last, threshold=threshold, window=window, metric=metric)
    written = [write_summary_csv(_make_folder(out) / SUMMARY_CSV, rows)]
    across, profile = _robust(results, out, last=last, metric=metric)
    written += [out / AGGREGATE_CSV] if across is not None else []
    written += [profile.path] if profile is not None else []
    curves = curves_section(results, out, window=window, optimum=optimum)
    written += [curve.path for curve in curves]
    ecm = None
    if ecm_source is not None:
        ecm, saved = ecm_section(ecm_source, out, caption=ecm_caption, title=ecm_title, options=ecm_options)
        written += [saved] if saved is not None else []
    page = Page(
        title,
        notes=[notes] if isinstance(notes, str) else list(notes),
        settings=settings or {},
        summary=summary_section(rows, optimum),
        aggregate=across,
        profile=profile,
        optimum=optimum_section(optimum),
        curves=curves,
        window=window,
        ecm=ecm,
        files=[path.name for path in written],
        episodes=(out / "episodes.csv").is_file(),
        version=__version__,
    )
    return atomic_write_text(out / REPORT_HTML, render_page(page))
