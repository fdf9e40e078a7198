"""The results page of a hyperparameter study: :func:`write_tuning_page`.

One self-contained HTML file (figures as ``data:`` PNGs, no scripts, nothing loaded from
anywhere), styled like the comparison report (:mod:`ps_graph.report`) and rendered through
its jinja2 environment, so every value is HTML-escaped the same way. It shows what was tuned
(the study's ``user_attrs``: env, env_kwargs, agent, episodes, seeds, objective, space), the
trials by state, the best settings and the top trials, the parameters' importances, the
objective per trial with the best so far, the learning curves (``trial.user_attrs["curve"]``)
of the top trials, and every trial.

The page is a function of the study only: importances come from a seeded (or deterministic)
evaluator and figures from matplotlib's ``Figure`` objects, so the same study gives the same
bytes. Optuna and matplotlib load when a page is made.
"""

from __future__ import annotations

import base64
import functools
import importlib
import importlib.util
import io
import itertools
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import check_int
from ..errors import ConfigError

__all__ = ["TRIAL_STATES", "Table", "TuningPage", "render_tuning_page", "tuning_page", "write_tuning_page"]

TEMPLATE = "tuning.html.j2"
TRIAL_STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
"""The trial states the page counts, in its order (names of :class:`optuna.trial.TrialState`)."""
SMOOTHING = 20  # the curves' default window: 1/20 of the longest curve's episodes
NOT_RECORDED = "(not recorded)"
TUNED = ("env", "env_kwargs", "agent", "episodes", "seeds", "objective")  # study.user_attrs shown, in order


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``numeric[i]`` says whether column ``i`` holds numbers (right-aligned)."""

    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]


@dataclass(frozen=True)
class TuningPage:
    """Everything ``templates/tuning.html.j2`` shows, section by section (built by :func:`tuning_page`)."""

    title: str
    tuned: list[tuple[str, str]]
    space: list[tuple[str, str]]
    counts: list[tuple[str, int]]
    completed: int
    best: list[tuple[str, str]] = field(default_factory=list)
    top: Table | None = None
    importance: list[tuple[str, str]] = field(default_factory=list)
    importance_note: str = ""
    importance_png: str = ""
    objective_png: str = ""
    curves_png: str = ""
    curves_note: str = ""
    trials: Table | None = None
    version: str = ""


# ---------------------------------------------------------------------- checks and helpers
def _require(module: str, extra: str) -> Any:
    """Import ``module`` (an optional dependency) or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ConfigError(
            f"the tuning page needs {module} ({err}); install it with: pip install 'ps_graph[{extra}]'"
        ) from None


def _check_study(study: Any) -> Any:
    """``study`` after checking it is a single-objective Optuna study."""
    optuna = _require("optuna", "tune")
    if not isinstance(study, optuna.Study):
        raise ConfigError(
            f"study must be an optuna.Study (from ps_graph's tuning or optuna.load_study); got "
            f"{type(study).__name__}. Load it with optuna.load_study(study_name=..., storage='sqlite:///study.db')."
        )
    if len(study.directions) != 1:
        raise ConfigError(
            f"the tuning page shows single-objective studies; this one has {len(study.directions)} objectives."
        )
    return study


def _check_path(path: Any) -> Path:
    """``path`` as a Path after checking a file can be written there (its folder exists)."""
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ConfigError(f"path must be a file path such as 'tuning.html'; got {path!r:.80}.")
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"path={str(path)!r} is a folder; give a file path such as {str(path / 'tuning.html')!r}.")
    if not path.parent.is_dir():
        raise ConfigError(
            f"path={str(path)!r} lies in a folder that does not exist ({str(path.parent)!r}); create it first."
        )
    return path


def _fmt(value: Any) -> str:
    """A parameter or objective value as the page shows it (floats to 5 significant digits)."""
    if isinstance(value, float):
        return f"{value:.5g}"
    return str(value)


def _maximize(study: Any) -> bool:
    return study.direction.name == "MAXIMIZE"


def _ranked(study: Any) -> list:
    """The completed trials, best first (ties: the earlier trial first)."""
    sign = -1.0 if _maximize(study) else 1.0
    done = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE" and t.value is not None]
    return sorted(done, key=lambda t: (sign * t.value, t.number))


def _param_names(trials: Iterable) -> list[str]:
    return sorted({name for t in trials for name in t.params})


def _params_text(params: dict[str, Any]) -> str:
    """``name=value, ...`` in name order: how a legend names a trial's settings."""
    return ", ".join(f"{name}={_fmt(params[name])}" for name in sorted(params))


def _params_table(trials: Sequence, lead: dict[str, bool], cells: Iterable[Sequence[str]]) -> Table:
    """A table of ``trials``: the ``lead`` columns (name -> numeric; their ``cells``, one row per
    trial), then one column per parameter (numeric unless some value is a string)."""
    names = _param_names(trials)
    rows = [[*first, *(_fmt(t.params[n]) if n in t.params else "" for n in names)] for t, first in zip(trials, cells)]
    numeric = [not any(isinstance(t.params.get(n), str) for t in trials) for n in names]
    return Table([*lead, *names], rows, [*lead.values(), *numeric])


def _png_base64(fig: Any) -> str:
    """A matplotlib figure as base64 PNG text (the same figure gives the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(height: float = 3.6) -> tuple[Any, Any]:
    """A new matplotlib figure (no pyplot state) and its one axes."""
    figure = _require("matplotlib.figure", "plot")
    fig = figure.Figure(figsize=(8, height), layout="constrained")
    ax = fig.subplots()
    ax.grid(True, alpha=0.3)
    return fig, ax


# ---------------------------------------------------------------------- sections
def _tuned(study: Any) -> list[tuple[str, str]]:
    """What was tuned: the study's name, direction and the :data:`TUNED` user attributes."""
    attrs = study.user_attrs
    rows = [("study", study.study_name), ("direction", study.direction.name.lower())]
    for name in TUNED:
        value = attrs.get(name, NOT_RECORDED)
        rows.append((name, value if isinstance(value, str) else json.dumps(value, sort_keys=True)))
    return rows


def _space(study: Any) -> list[tuple[str, str]]:
    """The search space: ``user_attrs["space"]`` (name -> text), else the trials' distributions."""
    space = study.user_attrs.get("space")
    if isinstance(space, dict) and space:
        return [(str(name), str(text)) for name, text in sorted(space.items())]
    seen: dict[str, str] = {}
    for trial in study.get_trials(deepcopy=False):
        for name, dist in trial.distributions.items():
            seen.setdefault(name, repr(dist))
    return sorted(seen.items())


def _counts(study: Any) -> list[tuple[str, int]]:
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    return [(state.lower(), states.count(state)) for state in TRIAL_STATES]


def _evaluator() -> tuple[Any, str]:
    """The importance evaluator and how the page names it: fANOVA with a fixed seed where
    scikit-learn is installed (its random forest), else PED-ANOVA (deterministic, no extra package)."""
    from optuna import importance

    if importlib.util.find_spec("sklearn") is not None:
        return importance.FanovaImportanceEvaluator(seed=0), "fANOVA (Hutter et al., 2014; random forest seed 0)"
    return importance.PedAnovaImportanceEvaluator(), "PED-ANOVA (Watanabe et al., 2023; top 10 % of trials)"


def _importances(study: Any, ranked: Sequence) -> tuple[list[tuple[str, str]], str, str]:
    """``(rows (param, share), note, bar chart)``; no rows and a note saying why where there is nothing to compute."""
    names = _param_names(ranked)
    if len(ranked) < 2:
        return [], f"Importances need at least 2 completed trials; this study has {len(ranked)}.", ""
    if len(names) < 2:
        return [], f"Only one parameter was tuned ({', '.join(names) or 'none'}): there is nothing to rank.", ""
    from optuna.importance import get_param_importances

    evaluator, method = _evaluator()
    try:
        with warnings.catch_warnings(record=True) as caught:  # small studies: the caveats go on the page
            warnings.simplefilter("always")
            shares = get_param_importances(study, evaluator=evaluator)
    except (ValueError, RuntimeError) as err:  # e.g. parameters that not every completed trial has
        return [], f"Importances could not be computed: {err}", ""
    fig, ax = _figure(0.6 + 0.35 * len(shares))
    ax.barh(list(shares)[::-1], list(shares.values())[::-1], color="C0")
    ax.set_xlabel("share of the objective's variance")
    note = f"Share of the objective's variation explained by each parameter over {len(ranked)} completed trials"
    note += f", by {method}."
    note += "".join(f" Caveat: {text}" for text in dict.fromkeys(str(w.message) for w in caught))
    return [(name, f"{share:.3f}") for name, share in shares.items()], note, _png_base64(fig)


def _shown_value(trial: Any) -> float | None:
    """A trial's value on the objective plot: its value, else (pruned) its last intermediate value."""
    if trial.value is not None:
        return float(trial.value)
    if trial.intermediate_values:
        return float(trial.intermediate_values[max(trial.intermediate_values)])
    return None


def _objective_figure(study: Any) -> str:
    """The objective per trial (completed: dots; pruned: crosses) and the best value so far."""
    fig, ax = _figure()
    trials = study.get_trials(deepcopy=False)
    for state, style in (("COMPLETE", {"color": "C0", "marker": "o"}), ("PRUNED", {"color": "0.5", "marker": "x"})):
        points = [(t.number, _shown_value(t)) for t in trials if t.state.name == state]
        points = [(n, v) for n, v in points if v is not None]
        if points:
            ax.scatter(*zip(*points), label=state.lower(), zorder=3, **style)
    done = sorted(_ranked(study), key=lambda t: t.number)
    if done:  # the best value so far, running on to the last trial
        best = list(itertools.accumulate((t.value for t in done), max if _maximize(study) else min))
        numbers = [t.number for t in done] + [trials[-1].number]
        ax.step(numbers, best + best[-1:], where="post", color="C1", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("objective")
    if ax.get_legend_handles_labels()[0]:  # not for a study with no values yet
        ax.legend(loc="best")
    return _png_base64(fig)


def _curves_figure(trials: Sequence, window: int | None) -> tuple[str, str]:
    """The learning curves of ``trials`` smoothed over ``window`` episodes; ``(png, note)``."""
    from ..inspection.plots import moving_average

    curves = [(t, t.user_attrs.get("curve")) for t in trials]
    curves = [(t, c) for t, c in curves if isinstance(c, list) and c]
    if not curves:
        return "", "No learning curve was recorded (trial.user_attrs['curve']) for the top trials."
    longest = max(len(c) for _, c in curves)
    window = window or max(1, longest // SMOOTHING)
    fig, ax = _figure(4.2)
    for trial, curve in curves:
        smooth = moving_average(curve, window)
        ax.plot(range(1, len(smooth) + 1), smooth, label=f"#{trial.number}: {_params_text(trial.params)}")
    ax.set_xlabel("episode")
    ax.set_ylabel("return (mean over seeds)")
    fig.legend(loc="outside lower center", fontsize="small", ncols=1)
    note = (
        f"Mean return over each trial's seeds per episode, smoothed by a trailing mean of {window} episodes; "
        f"the {len(curves)} best completed trials, labelled by number and settings."
    )
    return _png_base64(fig), note


def _duration(trial: Any) -> str:
    return "" if trial.duration is None else f"{trial.duration.total_seconds():.1f} s"


def _trials_table(study: Any) -> Table:
    trials = study.get_trials(deepcopy=False)
    cells = [
        [str(t.number), t.state.name.lower(), _duration(t), "" if t.value is None else _fmt(t.value)] for t in trials
    ]
    return _params_table(trials, {"trial": True, "state": False, "duration": True, "value": True}, cells)


# ---------------------------------------------------------------------- the page
def tuning_page(study: Any, *, top: int = 5, window: int | None = None) -> TuningPage:
    """The page of ``study`` as plain data (see :class:`TuningPage`); ``top`` trials in the
    table and on the curves, curves smoothed over ``window`` episodes (default: 1/20 of them)."""
    from .. import __version__

    study = _check_study(study)
    top = check_int("top", top, 1, hint="Show at least the best trial.")
    window = None if window is None else check_int("window", window, 1, hint="1 draws the curves unsmoothed.")
    ranked = _ranked(study)
    attrs = study.user_attrs
    title = f"Tuning {attrs.get('agent', 'an agent')} on {attrs.get('env', 'an environment')}"
    if not study.study_name.startswith(f"{attrs.get('agent')} on "):  # not tune()'s default name: say it
        title += f": {study.study_name}"
    common: dict[str, Any] = {
        "title": title,
        "tuned": _tuned(study),
        "space": _space(study),
        "counts": _counts(study),
        "completed": len(ranked),
        "objective_png": _objective_figure(study),
        "trials": _trials_table(study),
        "version": __version__,
    }
    if not ranked:
        return TuningPage(**common)
    best, shown = ranked[0], ranked[:top]
    importance, importance_note, importance_png = _importances(study, ranked)
    curves_png, curves_note = _curves_figure(shown, window)
    cells = [[str(rank), str(t.number), _fmt(t.value)] for rank, t in enumerate(shown, 1)]
    return TuningPage(
        **common,
        best=[("value", _fmt(best.value)), ("trial", str(best.number))]
        + [(name, _fmt(best.params[name])) for name in sorted(best.params)],
        top=_params_table(shown, {"rank": True, "trial": True, "value": True}, cells),
        importance=importance,
        importance_note=importance_note,
        importance_png=importance_png,
        curves_png=curves_png,
        curves_note=curves_note,
    )


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    """The report's jinja2 environment (escaping, strict undefined) over this package's templates,
    then the report's (its style sheet, ``style.css.j2``)."""
    import jinja2

    from ..report.page import _environment as report_environment

    report = report_environment()
    return report.overlay(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("ps_graph.tuning", "templates"), report.loader])
    )


def render_tuning_page(page: TuningPage) -> str:
    """The HTML of ``page``: one self-contained document."""
    return _environment().get_template(TEMPLATE).render(page=page)


def write_tuning_page(study: Any, path: str | os.PathLike, *, top: int = 5, window: int | None = None) -> Path:
    """Write the results page of ``study`` (an :class:`optuna.Study`) to the file ``path``,
    atomically; returns its path.

    Parameters
    ----------
    study : a single-objective Optuna study; ps_graph's tuning records what the page shows of
        it in ``study.user_attrs`` (env, env_kwargs, agent, episodes, seeds, objective, space)
        and each trial's learning curve in ``trial.user_attrs["curve"]``. Missing attributes
        are shown as not recorded.
    path : the HTML file to write; its folder must exist.
    top : how many of the best completed trials the table and the learning curves show.
    window : the curves' smoothing (trailing mean over episodes); default 1/20 of the episodes.

    The same study gives the same bytes; the page loads nothing from anywhere.

    >>> import optuna, tempfile
    >>> from optuna.distributions import FloatDistribution
    >>> study = optuna.create_study(direction="maximize", storage=optuna.storages.InMemoryStorage())
    >>> for eta in (0.02, 0.04, 0.3):
    ...     study.add_trial(optuna.trial.create_trial(
    ...         params={"eta_glow_damping": eta}, distributions={"eta_glow_damping": FloatDistribution(0.0, 1.0)},
    ...         value=1 - abs(eta - 0.04), user_attrs={"curve": [0.0, 0.5, 1 - abs(eta - 0.04)]}))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     text = write_tuning_page(study, Path(tmp) / "tuning.html", top=2).read_text()
    >>> "<td>0.04</td>" in text, "Only one parameter was tuned" in text, "http" in text
    (True, True, False)
    """
    from ..files import atomic_write_text

    path = _check_path(path)
    return atomic_write_text(path, render_tuning_page(tuning_page(study, top=top, window=window)))
