"""Learning-curve plots (matplotlib loads only when a plot is made).

Functions return a :class:`matplotlib.figure.Figure`; nothing is shown or written unless
the caller does so (``fig.savefig(path)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .training import TrainResult

__all__ = ["moving_average", "mean_and_ci", "plot_learning_curves"]

PANELS = {"reward": ("returns", "Reward per episode"), "steps": ("lengths", "Steps per episode")}


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


def plot_learning_curves(
    results: Mapping[str, Sequence[TrainResult]],
    *,
    window: int = 1,
    panels: Sequence[str] = ("reward", "steps"),
    title: str | None = None,
):
    """The course's panels: reward and steps per episode, averaged over runs.

    Each agent's curve is the mean over its runs (each run smoothed by a trailing moving
    average of ``window`` episodes) with a shaded 95 % confidence band across runs.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, panel in zip(axes, panels):
        attr, label = PANELS[panel]
        for name, runs in results.items():
            mean, half = mean_and_ci(moving_average(_stack(runs, attr), window))
            x = np.arange(1, len(mean) + 1)
            (line,) = ax.plot(x, mean, label=f"{name} ({len(runs)} runs)")
            ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="best")
    axes[-1].set_xlabel("episode")
    if title:
        fig.suptitle(title)
    return fig
