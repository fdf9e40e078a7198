"""Learning-curve plots (matplotlib loads only when a plot is made).

Functions return a :class:`matplotlib.figure.Figure`; nothing is shown or written unless
the caller does so (``fig.savefig(path)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..checks import check_choice, check_int
from ..errors import ConfigError
from ..training import TrainResult

__all__ = ["mean_and_ci", "moving_average", "plot_learning_curves", "resample_on_steps"]

PANELS = {"reward": ("returns", "Reward per episode"), "steps": ("lengths", "Steps per episode")}
X_AXES = ("episode", "steps")
GRID_POINTS = 500  # points of the common env-step grid (fewer when there are fewer steps)


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average along the last axis (the first values average what exists).

    >>> moving_average(np.array([1.0, 3.0, 5.0, 7.0]), 2).tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    x = np.asarray(x, dtype=float)
    if window <= 1:
        return x
    c = np.cumsum(x, axis=-1)
    out = c.copy()
    out[..., window:] = c[..., window:] - c[..., :-window]
    counts = np.minimum(np.arange(1, x.shape[-1] + 1), window)
    return out / counts


def mean_and_ci(runs: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Mean over runs (axis 0) and the half-width of its normal 95 % confidence interval."""
    runs = np.asarray(runs, dtype=float)
    mean = runs.mean(axis=0)
    if runs.shape[0] < 2:
        return mean, np.zeros_like(mean)
    return mean, z * runs.std(axis=0, ddof=1) / np.sqrt(runs.shape[0])


def _stack(results: Sequence[TrainResult], attr: str) -> np.ndarray:
    n = min(r.episodes for r in results)
    return np.stack([getattr(r, attr)[:n] for r in results])


def resample_on_steps(
    runs: Sequence[TrainResult], attr: str = "returns", window: int = 1, points: int = GRID_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Each run's smoothed per-episode curve on one grid of cumulative environment steps.

    A run's episode i ends at ``env_steps[i]`` (its cumulative steps); its curve (trailing
    moving average of ``window`` episodes) is interpolated linearly onto ``points`` evenly
    spaced step counts from where every run has finished its first episode to the shortest
    run's total. Returns ``(grid, curves)`` with ``curves`` of shape (runs, len(grid)).

    >>> from ps_graph.training import TrainResult
    >>> a = TrainResult(np.array([0.0, 1.0]), np.array([2, 2]), np.array([True, True]))
    >>> b = TrainResult(np.array([1.0, 0.0]), np.array([1, 3]), np.array([True, True]))
    >>> grid, curves = resample_on_steps([a, b])
    >>> grid.tolist(), np.round(curves, 4).tolist()   # b: 1 at step 1, 0 at step 4
    ([2.0, 3.0, 4.0], [[0.0, 0.5, 1.0], [0.6667, 0.3333, 0.0]])
    """
    points = check_int("points", points, 1)
    runs = list(runs)
    if not runs or any(r.episodes == 0 for r in runs):
        raise ConfigError("every run needs at least one episode to be placed on an env-step axis.")
    ends = [r.env_steps for r in runs]
    hi = float(min(e[-1] for e in ends))
    lo = min(float(max(e[0] for e in ends)), hi)
    grid = np.linspace(lo, hi, int(min(points, hi - lo + 1)))
    curves = np.stack([np.interp(grid, e, moving_average(getattr(r, attr), window)) for r, e in zip(runs, ends)])
    return grid, curves


def plot_learning_curves(
    results: Mapping[str, Sequence[TrainResult]],
    *,
    window: int = 1,
    panels: Sequence[str] = ("reward", "steps"),
    title: str | None = None,
    x: str = "episode",
):
    """The course's panels: reward and steps per episode, averaged over runs.

    Each agent's curve is the mean over its runs (each run smoothed by a trailing moving
    average of ``window`` episodes) with a shaded 95 % confidence band across runs.

    ``x="episode"`` (default) plots against the episode number, over the shortest run's
    episodes. ``x="steps"`` plots against cumulative environment steps: each run's smoothed
    curve is interpolated onto a common step grid up to the shortest run's total
    (:func:`resample_on_steps`) before the mean and band are taken, so agents whose
    episodes differ in length are compared at equal experience.
    """
    from matplotlib.figure import Figure

    check_choice("x", x, X_AXES, hint='Use "episode" or "steps" (cumulative environment steps).')

    fig = Figure(figsize=(8, 3 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, panel in zip(axes, panels):
        attr, label = PANELS[panel]
        for name, runs in results.items():
            if x == "steps":
                grid, curves = resample_on_steps(runs, attr, window)
            else:
                curves = moving_average(_stack(runs, attr), window)
                grid = np.arange(1, curves.shape[-1] + 1)
            mean, half = mean_and_ci(curves)
            (line,) = ax.plot(grid, mean, label=f"{name} ({len(runs)} runs)")
            ax.fill_between(grid, mean - half, mean + half, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="best")
    axes[-1].set_xlabel("environment steps" if x == "steps" else "episode")
    if title:
        fig.suptitle(title)
    return fig
