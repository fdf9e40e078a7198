"""The option types, shared options and parsers of the ``ps-graph`` command line (:mod:`ps_graph.cli`).

The value types (the ``type=`` of an option, :func:`parse_setting` among them) raise
``argparse.ArgumentTypeError``, which argparse reports as a usage error; the ``--set``
grouping and :func:`parse_percept` raise :class:`CommandError`, which the command reports
in one line. The ``add_*`` functions add the options several subcommands share, documented
once. :mod:`ps_graph.cli` re-exports :class:`CommandError`, :func:`parse_percept` and
:func:`parse_setting`.

>>> parser = argparse.ArgumentParser(prog="demo")
>>> add_jobs(parser); add_quiet(parser)
>>> parser.parse_args(["--jobs", "2", "--quiet"])
Namespace(jobs=2, quiet=True)
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
from collections.abc import Hashable, Sequence
from typing import Any

from ..errors import CommandError

__all__ = [
    "PERCEPT_HELP",
    "CommandError",
    "add_budget",
    "add_jobs",
    "add_quiet",
    "add_seed",
    "add_set",
    "add_summary",
    "budget",
    "did_you_mean",
    "env_id",
    "jobs",
    "json_object",
    "parse_percept",
    "parse_setting",
    "positive_int",
    "positive_real",
    "probability",
    "real",
    "seed",
    "split_settings",
]

PERCEPT_HELP = (
    "a percept as JSON: 3 for a Discrete observation, [1,0] for a MultiDiscrete one, "
    "[2,[1,0]] for a Tuple; lists are read as tuples"
)
VALUE_HELP = "VALUE is read as JSON (0.1, true, [64, 64], {...}), anything else as a string"


# ---------------------------------------------------------------------- option types
def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability between 0 and 1, got {text!r}")
    return value


def _whole(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    return _whole(text, 1, "a positive whole number")


def seed(text: str) -> int:
    value = _whole(text, 0, "a seed: a whole number >= 0")
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"expected a seed below 2**63, got {text!r}")
    return value


def jobs(text: str) -> int:
    if text.strip() == "-1":
        return -1
    return _whole(text, 1, "a positive number of worker processes, or -1 for one per CPU core")


def real(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_real(text: str) -> float:
    value = real(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def did_you_mean(text: str, known: Sequence[str]) -> str:
    """``"; did you mean 'X'?"`` for the close matches of ``text`` among ``known`` (any case), else ``""``.

    >>> did_you_mean("frozenlake-v1", ["FrozenLake-v1", "CartPole-v1"])
    "; did you mean 'FrozenLake-v1'?"
    """
    lower = {k.lower(): k for k in known}
    matches = difflib.get_close_matches(text.lower(), list(lower), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(lower[m]) for m in matches)}?" if matches else ""


def env_id(text: str) -> str:
    """A gymnasium id (ps_graph's envs registered), or ``module:Id`` (checked when made)."""
    import gymnasium as gym

    from .. import envs  # noqa: F401  (registers ps_graph/*-v0)

    if text in gym.registry or (":" in text and text.split(":", 1)[0]):
        return text
    raise argparse.ArgumentTypeError(
        f"unknown environment id {text!r}{did_you_mean(text, list(gym.registry))} "
        "(`ps-graph envs` lists the tested ones; any id gymnasium.make accepts works, or module:Id for your own)"
    )


def json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{{\"is_slippery\": false}}', got {text!r}")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a finite number")


def parse_setting(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` as ``(NAME, value)``; VALUE is read as JSON, or else kept as a string.

    >>> parse_setting("ps.eta_glow_damping=0.04"), parse_setting("env.is_slippery=false")
    (('ps.eta_glow_damping', 0.04), ('env.is_slippery', False))
    >>> parse_setting("q.exploration=noisy_argmax"), parse_setting('dqn.net_arch=[32]')
    (('q.exploration', 'noisy_argmax'), ('dqn.net_arch', [32]))
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. ps.eta_glow_damping=0.04), got {text!r}")
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except ValueError:  # NaN and Infinity stay strings, so the config check names them
        value = raw
    return name, value


def split_settings(settings, agents: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """``--set`` pairs grouped by target: ``{"env": {...}, agent: {...}}``.

    With ``agents`` (compare): ``AGENT.PARAM=VALUE`` or ``env.PARAM=VALUE``. Without (train):
    ``PARAM=VALUE`` for the agent (grouped under ``"agent"``) or ``env.PARAM=VALUE``.
    """
    grouped: dict[str, dict[str, Any]] = {"env": {}, **{a: {} for a in (agents or ["agent"])}}
    for name, value in settings or []:
        target, dot, param = name.partition(".")
        if agents is None:
            if dot and target != "env":
                raise CommandError(
                    f"--set {name}=...: write PARAM=VALUE for an agent hyperparameter, or "
                    "env.PARAM=VALUE for an environment kwarg."
                )
            target, param = ("env", param) if dot else ("agent", name)
        elif not dot or not param:
            raise CommandError(
                f"--set {name}=...: write NAME.PARAM=VALUE, with NAME one of the --agents ({', '.join(agents)}) or env."
            )
        elif target not in grouped:
            raise CommandError(
                f"--set {name}=...: {target!r} is not one of the --agents ({', '.join(agents)}); "
                f"write e.g. {agents[0]}.{param}=VALUE, or env.{param}=VALUE for an environment "
                "kwarg."
            )
        grouped[target][param] = value
    return grouped


# ---------------------------------------------------------------------- options several subcommands share
def add_count(parser: argparse.ArgumentParser, flag: str, default: int, metavar: str, help: str) -> None:
    """An option ``flag N`` taking a positive integer (``help`` gets ``(default D)`` appended)."""
    parser.add_argument(flag, type=positive_int, default=default, metavar=metavar, help=f"{help} (default {default})")


def add_budget(parser: argparse.ArgumentParser, *, runs: bool) -> None:
    """``--episodes`` or ``--total-steps`` (one is required), ``--max-steps`` and ``--env-kwargs``.

    With ``runs``, ``--runs`` too (compare).
    """
    if runs:
        parser.add_argument(
            "--runs",
            type=positive_int,
            default=10,
            metavar="N",
            help="runs (seeds) per agent and environment (default 10)",
        )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--episodes", type=positive_int, metavar="M", help="budget: M episodes per run")
    group.add_argument(
        "--total-steps",
        type=positive_int,
        metavar="S",
        help="budget: S environment steps per run (instead of --episodes)",
    )
    parser.add_argument(
        "--max-steps",
        type=positive_int,
        metavar="T",
        help="cut every episode after T steps (truncated); default: only the environment's own limit",
    )
    parser.add_argument(
        "--env-kwargs",
        type=json_object,
        metavar="JSON",
        help="keyword arguments for gymnasium.make as a JSON object, e.g. '{\"is_slippery\": false}'",
    )


def budget(args: argparse.Namespace) -> dict[str, Any]:
    """The run budget :func:`add_budget` read: ``episodes``, ``total_steps`` and ``max_steps``."""
    return {"episodes": args.episodes, "total_steps": args.total_steps, "max_steps": args.max_steps}


def add_summary(parser: argparse.ArgumentParser) -> None:
    """``--last``, ``--threshold``, ``--window`` and ``--metric``: how the summary table reads the runs."""
    parser.add_argument(
        "--last",
        type=positive_int,
        default=100,
        metavar="N",
        help="final performance averages each run's last N episodes (default 100)",
    )
    parser.add_argument(
        "--threshold",
        type=real,
        metavar="X",
        help="also report the episodes each agent needs to a mean of X over --window episodes",
    )
    parser.add_argument(
        "--window",
        type=positive_int,
        default=10,
        metavar="W",
        help="episodes of the moving average for --threshold and the plotted curves (default 10)",
    )
    parser.add_argument(
        "--metric",
        choices=("return", "success"),
        default="return",
        help="summarize the return per episode, or success (return > 0) (default return)",
    )


def add_jobs(parser: argparse.ArgumentParser) -> None:
    """``--jobs J``: worker processes (default -1, one per CPU core)."""
    parser.add_argument(
        "--jobs",
        type=jobs,
        default=-1,
        metavar="J",
        help="worker processes (default -1: one per CPU core; 1 runs in this process)",
    )


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress bar and no summary table."""
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")


def add_seed(parser: argparse.ArgumentParser, help: str) -> None:
    """``--seed S``, a root seed (default 0), described by ``help``."""
    parser.add_argument("--seed", type=seed, default=0, metavar="S", help=help)


def add_set(parser: argparse.ArgumentParser, metavar: str, help: str) -> None:
    """``--set NAME=VALUE`` (repeatable, read by :func:`parse_setting`); ``help`` says what NAME may be."""
    parser.add_argument(
        "--set", type=parse_setting, action="append", metavar=metavar, help=f"{help}; repeatable; {VALUE_HELP}"
    )


# ---------------------------------------------------------------------- percepts
def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def parse_percept(text: str, known: Sequence[Hashable]) -> Hashable:
    """The percept key that ``text`` names among ``known`` keys.

    ``text`` is read as JSON (lists become tuples), so ``3``, ``[1,0]`` and ``"s"`` name the
    percepts ``3``, ``(1, 0)`` and ``"s"``; text that is not JSON is matched against the keys'
    ``str`` form (what the ECM's labels show).

    >>> parse_percept("[1,0]", [(0, 0), (1, 0)])
    (1, 0)
    >>> parse_percept("s", ["s", "t"])
    's'
    """
    candidates = []
    try:
        candidates.append(_tuples(json.loads(text)))
    except ValueError:
        pass
    for key in candidates:
        try:
            if key in known:
                return key
        except TypeError:  # an unhashable JSON value (an object) names no percept
            pass
    for key in known:
        if str(key) == text:
            return key
    shown = ", ".join(json.dumps(k) if not isinstance(k, tuple) else str(k) for k in list(known)[:10])
    more = f" (and {len(known) - 10} more)" if len(known) > 10 else ""
    raise CommandError(
        f"no percept {text!r} in this agent; known percepts: {shown or 'none'}{more}. Give PERCEPT as {PERCEPT_HELP}."
    )
