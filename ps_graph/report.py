"""The comparison report: one self-contained HTML page (it works offline) beside its CSV and PNG files.

:func:`write_report` writes, into one folder::

    report.html          the page: learning curves (PNG as data: URIs), the summary table,
                         the exact optimum where the environment has a transition table, and
                         the interactive ECM of a trained PS agent (an <iframe srcdoc>)
    summary.csv          :func:`~ps_graph.experiments.write_summary_csv` of the summary
    curves-<env>.png     the learning curves of each environment
    ps_agent.json        the PS agent drawn in the page (``ps-graph inspect ps_agent.json``)

The page references nothing outside itself (no scripts, stylesheets, images or fonts
from anywhere), so it opens with no network and can be mailed as one file.
:func:`report_comparison` does it all for a :func:`~ps_graph.experiments.compare`:
:func:`exact_optimum` computes the reference, :func:`rerun` re-trains run 0 of the first PS
agent in this process to draw its ECM (runs are deterministic by seed), and
:func:`format_summary` gives the summary as plain text for a terminal.

>>> import tempfile
>>> from ps_graph.experiments import compare
>>> with tempfile.TemporaryDirectory() as out:
...     results = compare(["ps-fast", "q"], "FrozenLake-v1", out, runs=2, episodes=20, jobs=1, progress=False)
...     page = write_report(results, out, last=10)
...     sorted(p.name for p in page.parent.iterdir() if p.is_file())
['curves-FrozenLake-v1.png', 'episodes.csv', 'report.html', 'summary.csv']
"""

from __future__ import annotations

import base64
import html
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .io import atomic_write_text, save_figure

__all__ = ["Optimum", "exact_optimum", "rerun", "format_summary", "write_report", "report_comparison"]

logger = logging.getLogger(__name__)

REPORT_HTML = "report.html"
SUMMARY_CSV = "summary.csv"
AGENT_JSON = "ps_agent.json"
MAX_ECM_PERCEPTS = 60  # larger ECMs are drawn from their most visited percepts only


# ---------------------------------------------------------------------- the exact reference
@dataclass(frozen=True)
class Optimum:
    """The exact optimum of an environment with a transition table.

    ``method`` is ``"finite-horizon"`` (:func:`ps_graph.tabular.optimal_finite_horizon`:
    the best undiscounted expected return within ``horizon`` steps, and its success
    probability, comparable with the learning curves) or ``"value-iteration"``
    (:func:`ps_graph.tabular.value_iteration`: the optimal discounted value of the start
    state(s) with discount ``gamma``, for environments without an episode limit).
    """

    env: str
    method: str
    value: float
    success_probability: float | None
    horizon: int | None
    gamma: float

    @property
    def comparable(self) -> bool:
        """Whether :attr:`value` is an undiscounted return, on the learning curves' scale."""
        return self.method == "finite-horizon"

    def describe(self) -> str:
        """One sentence saying what was computed, how, and the numbers.

        >>> Optimum("E", "finite-horizon", 1.0, 1.0, 99, 1.0).describe()[:54]
        'best expected return within 99 steps (undiscounted): 1'
        """
        if self.comparable:
            return (f"best expected return within {self.horizon} steps (undiscounted): {self.value:.4g}, "
                    f"reaching the goal with probability {self.success_probability:.4g}; exact backward "
                    "induction over the environment's own transition table "
                    "(ps_graph.tabular.optimal_finite_horizon), horizon = the episode limit")
        return (f"optimal discounted value of the start state(s), gamma = {self.gamma:g}: {self.value:.4g}; "
                "value iteration over the environment's own transition table (ps_graph.tabular.value_iteration). "
                "The environment has no episode limit, so there is no finite-horizon optimum; the learning "
                "curves show undiscounted returns, so this value is not drawn on them")


def exact_optimum(env, *, max_steps: int | None = None, gamma: float = 0.99) -> Optimum | None:
    """The exact optimum of ``env`` (an id or :class:`~ps_graph.experiments.EnvSpec`), or None
    when it has no transition table (only toy-text-style envs with ``P`` do, see
    :mod:`ps_graph.tabular`).

    The horizon is the episode limit the runs had: the smaller of ``max_steps`` (the train
    loop's cut) and the environment's own time limit. With neither, value iteration's
    discounted value (``gamma``) is given instead; :attr:`Optimum.method` says which.

    >>> from ps_graph.experiments import EnvSpec
    >>> best = exact_optimum(EnvSpec("FrozenLake-v1", {"is_slippery": False}), max_steps=99)
    >>> best.method, best.horizon, best.value, best.success_probability
    ('finite-horizon', 99, 1.0, 1.0)
    >>> exact_optimum("CartPole-v1") is None
    True
    """
    from . import tabular
    from ._validate import check_int
    from .experiments import EnvSpec, make_env

    spec = EnvSpec(env) if isinstance(env, str) else env
    if not isinstance(spec, EnvSpec):
        raise ConfigError(f"env must be an environment id or an EnvSpec; got {type(env).__name__}.")
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1)
    made = make_env(spec)
    try:
        if not isinstance(getattr(made.unwrapped, "P", None), dict):
            return None
        try:
            mdp = tabular.from_env(made)
        except tabular.TabularError as exc:
            logger.info("no exact optimum for %s: %s", spec.name, exc)
            return None
    finally:
        made.close()
    limits = [h for h in (max_steps, mdp.max_episode_steps) if h is not None]
    if limits:
        horizon = min(limits)
        best = tabular.optimal_finite_horizon(mdp, horizon=horizon)
        return Optimum(spec.name, "finite-horizon", best.expected_return, best.success_probability, horizon, 1.0)
    values, _ = tabular.value_iteration(mdp, gamma=gamma)
    return Optimum(spec.name, "value-iteration", float(mdp.initial @ values), None, None, float(gamma))


# ---------------------------------------------------------------------- the agent behind a curve
def rerun(spec) -> tuple[Any, Any]:
    """Run one :class:`~ps_graph.experiments.RunSpec` in this process: ``(agent, TrainResult)``.

    Runs are deterministic by seed, so this is the agent whose learning curve the run
    recorded (compare the returns to be sure). Writes nothing.

    >>> from ps_graph.experiments import expand, run_spec
    >>> spec = expand("ps", "FrozenLake-v1", runs=1, episodes=10)[0]
    >>> agent, result = rerun(spec)
    >>> type(agent).__name__, bool((result.returns == run_spec(spec).returns).all())
    ('PSAgent', True)
    """
    from .experiments import RunSpec, run_spec
    from .experiments.agents import agent_kind

    if not isinstance(spec, RunSpec):
        raise ConfigError(f"spec must be a RunSpec (see ps_graph.experiments.expand); got {type(spec).__name__}.")
    build = agent_kind(spec.agent.kind).build
    built = []

    def keep(env, s):
        agent = build(env, s)
        built.append(agent)
        return agent

    result = run_spec(spec, keep)
    return built[-1], result


# ---------------------------------------------------------------------- the summary as text
def _pm(mean: float, ci: float) -> str:
    return f"{mean:.3f} ± {ci:.3f}"


def _summary_table(rows) -> tuple[list[str], list[list[str]]]:
    if not rows:
        return [], []
    first = rows[0]
    header = ["agent", "environment", "runs", f"final {first.metric} (last {first.last})", f"AUC ({first.metric})"]
    threshold = first.threshold is not None
    if threshold:
        header.append(f"episodes to {first.threshold:g} (window {first.window})")
    body = []
    for row in rows:
        cells = [row.agent, row.env, str(row.runs), _pm(row.final_mean, row.final_ci), _pm(row.auc, row.auc_ci)]
        if threshold:
            to = "not reached" if row.episodes_to_threshold is None else f"{row.episodes_to_threshold:g}"
            cells.append(f"{to} ({row.reached}/{row.runs} runs)")
        body.append(cells)
    return header, body


def format_summary(rows: Sequence) -> str:
    """:func:`~ps_graph.experiments.summarize` rows as an aligned plain-text table.

    >>> from ps_graph.experiments import SummaryRow
    >>> print(format_summary([SummaryRow("ps", "E", 2, "return", 10, 0.75, 0.1, 0.5, 0.05)]))
    agent  environment  runs  final return (last 10)  AUC (return)
    ps     E               2  0.750 ± 0.100           0.500 ± 0.050
    """
    header, body = _summary_table(list(rows))
    if not header:
        return "(no finished runs)"
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    numeric = {2}  # runs: right-aligned

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join(line(cells).rstrip() for cells in [header, *body])


# ---------------------------------------------------------------------- the page
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.95em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img.curves { max-width: 100%; border: 1px solid #eee; }
iframe.ecm { width: 100%; height: 900px; border: 1px solid #ddd; }
code { background: #f5f5f5; padding: 0 0.25em; } .note { color: #555; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _figure_png(fig, path: Path) -> bytes:
    save_figure(fig, path, dpi=110)
    return path.read_bytes()


def _ecm_page(source, title: str) -> tuple[str, str]:
    """The viz page of ``source`` and a note on what it shows (large ECMs: the most visited percepts)."""
    from ._sources import ecm_of
    from .viz import to_html

    ecm, _ = ecm_of(source)
    percepts = ecm.clips("percept")
    if len(percepts) <= MAX_ECM_PERCEPTS:
        return to_html(source, title=title), f"all {len(percepts)} percept clips"
    top = sorted(percepts, key=ecm.visits, reverse=True)[:MAX_ECM_PERCEPTS]
    note = (f"the {MAX_ECM_PERCEPTS} most visited of {len(percepts)} percept clips and what they reach "
            "(ps-graph inspect --html draws any part)")
    return to_html(source, title=title, percepts=top), note


def write_report(
    results: Mapping,
    out: str | os.PathLike,
    *,
    ecm_source: Any = None,
    ecm_caption: str = "",
    ecm_title: str | None = None,
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
    out : folder (created if missing); ``report.html``, ``summary.csv``, ``curves-<env>.png``
        and, with a PS ``ecm_source``, ``ps_agent.json`` are written there, each atomically.
    ecm_source : a trained PSAgent or TwoLayerPS (or an ECM) to show as the interactive ECM
        view; a PS agent is also saved as ``ps_agent.json`` (:func:`ps_graph.save`).
    ecm_caption : text under the ECM heading (say which agent and run it is).
    ecm_title : the heading inside the ECM view (default: its clip and edge counts).
    optimum : ``{env name: Optimum}`` from :func:`exact_optimum`; shown per environment and,
        where comparable, drawn as a dashed line on the reward panel.
    title : the page's title.
    last, threshold, window, metric : as :func:`~ps_graph.experiments.summarize`; ``window``
        also smooths the learning curves (trailing moving average over episodes).
    settings : name -> value pairs shown in a table (the command, budget, seeds, ...).
    notes : paragraphs of plain text shown under the title.

    All text is HTML-escaped; the page holds no reference to anything outside itself.
    """
    from . import __version__
    from .experiments import plot_comparison, summarize, write_summary_csv
    from .experiments.specs import slug

    if not isinstance(results, Mapping) or not results:
        raise ConfigError("results must be a non-empty dict {(agent, env): [TrainResult, ...]} as compare() or "
                          f"load_results() return; got {results!r:.80}. Run a comparison first.")
    for name, value in (("title", title), ("ecm_caption", ecm_caption), ("ecm_title", ecm_title or "")):
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string; got {type(value).__name__}.")
    if isinstance(notes, str):
        notes = [notes]
    optimum = dict(optimum or {})
    if not all(isinstance(v, Optimum) for v in optimum.values()):
        raise ConfigError("optimum must map environment names to Optimum values from exact_optimum().")
    rows = summarize(results, last=last, threshold=threshold, window=window, metric=metric)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out={str(out)!r} exists and is not a folder; give a folder for the report.")
    out.mkdir(parents=True, exist_ok=True)
    written = [write_summary_csv(out / SUMMARY_CSV, rows)]

    curves = []
    for env, fig in plot_comparison(results, window=window).items():
        best = optimum.get(env)
        if best is not None and best.comparable:
            ax = fig.axes[0]
            ax.axhline(best.value, color="black", linestyle="--", linewidth=1, label="exact optimum")
            ax.legend(loc="best")
        path = out / f"curves-{slug(env)}.png"
        curves.append((env, path, _figure_png(fig, path)))
        written.append(path)

    ecm_html = ecm_note = None
    if ecm_source is not None:
        ecm_html, ecm_note = _ecm_page(ecm_source, title=ecm_title)
        from .agent import PSAgent
        from .fast import TwoLayerPS

        if type(ecm_source) in (PSAgent, TwoLayerPS):
            from .saving import save

            written.append(save(ecm_source, out / AGENT_JSON))

    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{_e(title)}</h1>",
    ]
    parts += [f'<p class="note">{_e(n)}</p>' for n in notes]
    if settings:
        parts.append("<h2>Settings</h2><table>")
        parts += [f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in settings.items()]
        parts.append("</table>")

    parts.append("<h2>Summary</h2>")
    header, body = _summary_table(rows)
    by_key = {(r.agent, r.env): r for r in rows}
    with_opt = any(o.comparable for o in optimum.values())
    parts.append("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header)
                 + ("<th>final / exact optimum</th>" if with_opt else "") + "</tr>")
    for cells, key in zip(body, by_key):
        row = by_key[key]
        tds = "".join(f'<td class="num">{_e(c)}</td>' if i >= 2 else f"<td>{_e(c)}</td>" for i, c in enumerate(cells))
        if with_opt:
            best = optimum.get(row.env)
            ratio = (f"{row.final_mean / best.value:.1%}" if best is not None and best.comparable and best.value > 0
                     and row.metric == "return" else "")
            tds += f'<td class="num">{_e(ratio)}</td>'
        parts.append(f"<tr>{tds}</tr>")
    parts.append("</table>")
    first = rows[0]
    explain = (f"Final: each run's mean {first.metric} over its last {first.last} episodes, then the mean over runs "
               "± the half-width of a normal 95 % confidence interval. AUC: each run's mean over all its episodes, "
               "the same way.")
    if first.threshold is not None:
        explain += (f" Episodes to {first.threshold:g}: the median over runs of the first episode that ends "
                    f"{first.window} episodes whose mean {first.metric} reaches it.")
    parts.append(f'<p class="note">{_e(explain)}</p>')

    if optimum:
        parts.append("<h2>Exact optimum</h2><ul>")
        parts += [f"<li><b>{_e(env)}</b>: {_e(best.describe())}.</li>" for env, best in optimum.items()]
        parts.append("</ul>")

    parts.append("<h2>Learning curves</h2>")
    for env, path, png in curves:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<figure><img class="curves" alt="{_e(f"learning curves on {env}")}" '
                     f'src="data:image/png;base64,{data}">'
                     f"<figcaption class=\"note\">{_e(env)}: mean over runs (each run smoothed over {window} "
                     f"episodes), shaded 95 % band; also saved as <code>{_e(path.name)}</code>.</figcaption></figure>")

    if ecm_html is not None:
        parts.append("<h2>The ECM of a trained PS agent</h2>")
        if ecm_caption:
            parts.append(f"<p>{_e(ecm_caption)}</p>")
        saved = AGENT_JSON if (out / AGENT_JSON) in written else None
        parts.append(f'<p class="note">Interactive (drag, zoom, hover for h, glow and hopping probabilities); '
                     f"it shows {_e(ecm_note)}."
                     + (f" The agent is saved beside this page: <code>ps-graph inspect {_e(saved)}</code>"
                        " explains any percept." if saved else "") + "</p>")
        parts.append(f'<iframe class="ecm" title="interactive ECM view" sandbox="allow-scripts" '
                     f'srcdoc="{html.escape(ecm_html, quote=True)}"></iframe>')

    parts.append("<h2>Files</h2><p>Beside this page: "
                 + ", ".join(f"<code>{_e(p.name)}</code>" for p in written)
                 + (", and the per-episode results (<code>episodes.csv</code>, <code>runs/</code>)"
                    if (out / "episodes.csv").is_file() else "") + ".</p>")
    parts.append(f'<p class="note">Written by ps_graph {_e(__version__)}. This page is self-contained: '
                 "it loads nothing from anywhere and works offline.</p>")
    parts += ["</body>", "</html>", ""]
    return atomic_write_text(out / REPORT_HTML, "\n".join(parts))



def report_comparison(results: Mapping, agents, envs, out: str | os.PathLike, *, seed: int = 0,
                      episodes: int | None = None, total_steps: int | None = None, max_steps: int | None = None,
                      ecm: bool = True, **options: Any) -> Path:
    """:func:`write_report` for a :func:`~ps_graph.experiments.compare` call, given its
    ``agents``, ``envs``, root ``seed`` and budget: adds the :func:`exact_optimum` of each
    environment (under ``max_steps``) and, with ``ecm``, the ECM of run 0 of the first PS
    agent (kind ``ps`` or ``ps-fast``) on the first environment, re-trained here with
    :func:`rerun` and checked against the recorded run (the caption says whether its
    episodes match). Other ``options`` go to :func:`write_report`. Returns the page's path.

    >>> import tempfile
    >>> from ps_graph.experiments import compare
    >>> with tempfile.TemporaryDirectory() as out:
    ...     results = compare("ps", "FrozenLake-v1", out, runs=2, episodes=20, max_steps=30, jobs=1, progress=False)
    ...     page = report_comparison(results, "ps", "FrozenLake-v1", out, episodes=20, max_steps=30, last=10)
    ...     text = page.read_text()
    >>> "match run 0&#x27;s recorded episodes exactly" in text, "within 30 steps" in text
    (True, True)
    """
    from .experiments import expand

    runs = expand(agents, envs, runs=1, seed=seed, episodes=episodes, total_steps=total_steps, max_steps=max_steps)
    agent_specs = list({s.agent.name: s.agent for s in runs}.values())
    env_specs = list({s.env.name: s.env for s in runs}.values())
    optimum = {}
    for env in env_specs:
        best = exact_optimum(env, max_steps=max_steps)
        if best is not None:
            optimum[env.name] = best
    ps = next((a for a in agent_specs if a.kind in ("ps", "ps-fast")), None) if ecm else None
    source, caption, title = None, "", None
    if ps is not None:
        spec = next(s for s in runs if s.agent.name == ps.name and s.env.name == env_specs[0].name)
        recorded = results.get((ps.name, spec.env.name)) if isinstance(results, Mapping) else None
        if not recorded:
            raise ConfigError(f"results hold no runs of agent {ps.name!r} on {spec.env.name!r}; pass the results "
                              "of compare() with the same agents and environments (or ecm=False).")
        source, again = rerun(spec)
        same = (np.array_equal(again.returns, recorded[0].returns)
                and np.array_equal(again.lengths, recorded[0].lengths))
        caption = (f"Agent {ps.name!r} (kind {ps.kind}), run 0 (seed {spec.seed}) on {spec.env.name}, re-trained "
                   f"from the run's seed by the process that wrote this report; its {again.episodes} episodes "
                   + ("match run 0's recorded episodes exactly." if same else
                      "do NOT match run 0's recorded episodes (the run is not deterministic, or the results were "
                      "made with other settings)."))
        title = f"ECM of {ps.name}, run 0 (seed {spec.seed}), after {again.episodes} episodes on {spec.env.name}"
    return write_report(results, out, ecm_source=source, ecm_caption=caption, ecm_title=title, optimum=optimum,
                        **options)
