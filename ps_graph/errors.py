"""The package's exceptions: one root, a few precise children.

Every error says what was expected, what came, and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "CommandError",
    "ConfigError",
    "DamagedRunError",
    "EnvError",
    "FileFormatError",
    "IncompleteRunError",
    "PSGraphError",
    "RewardError",
    "TabularError",
    "UnknownClipError",
    "UnsupportedSourceError",
    "UnsupportedSpaceError",
    "WalkError",
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


class FileFormatError(ConfigError):
    """A saved agent file that cannot be loaded: not an agent file, a newer format version, a
    truncated or hand-edited file. The message names the file and the field (``ecm.clips[3].visits``)."""


class EnvError(PSGraphError, ValueError):
    """An env used out of order (a step without a trial) or given an action it does not have; or an
    env whose ``reset``/``step`` results break the gymnasium API (checked by :func:`ps_graph.train`)."""


class TabularError(PSGraphError, ValueError):
    """An env, MDP, policy or argument that the tabular tools cannot work with."""


class UnknownClipError(PSGraphError, KeyError):
    """A clip (or edge) that is not in the ECM. A KeyError too, so ``except KeyError`` still works."""

    def __str__(self) -> str:  # KeyError would show the message with quotes around it
        return str(self.args[0]) if self.args else ""


class IncompleteRunError(PSGraphError):
    """A results folder of one run (see :mod:`ps_graph.experiments`) that does not hold a finished run.

    The message says which file is missing; such a run is redone by the next ``compare``.
    """


class DamagedRunError(IncompleteRunError):
    """A run folder whose files are there but unreadable: a malformed ``config.json`` or
    ``episodes.csv``, or a checksum that does not match. Redone by the next ``compare``, with a warning."""


class CommandError(PSGraphError):
    """A user error the ps-graph command reports in one line (exit status 2)."""
