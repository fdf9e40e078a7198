"""The package's exceptions: one root, a few precise children.

Every error says what was expected, what came, and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "PSGraphError",
    "ConfigError",
    "UnsupportedSpaceError",
    "WalkError",
    "RewardError",
]


class PSGraphError(Exception):
    """Root of every error raised on purpose by ps_graph and qbaselines."""


class ConfigError(PSGraphError, ValueError):
    """A hyperparameter or argument has a value that is not allowed."""


class UnsupportedSpaceError(PSGraphError, TypeError):
    """An observation or action space this agent cannot work with."""


class UnsupportedSourceError(PSGraphError, TypeError):
    """Something given to a reading tool (explain, drawings, views) that is not an ECM or PS agent."""


class WalkError(PSGraphError, RuntimeError):
    """A random walk through the ECM cannot reach an action clip."""


class RewardError(PSGraphError, ValueError):
    """A reward that cannot be learned from (NaN or infinite)."""
