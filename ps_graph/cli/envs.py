"""``ps-graph envs``: the environments, their spaces, which registered agent kinds apply, and
where the exact optimum is known. Fast: nothing is trained.

>>> row = env_rows(["FrozenLake-v1"])[0]
>>> row[0], row[2], row[-1]
('FrozenLake-v1', 'Discrete(4)', 'yes')
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from ..errors import PSGraphError
from ..registry import kinds

__all__ = ["add_parser", "env_rows", "run"]

HEADER = ["id", "observations", "actions", "step limit", "agents", "exact optimum"]
NOTE = (
    "\nagents: the kinds whose checks accept the spaces (PS and Q-learning need discrete observations, "
    "every kind Discrete actions; dqn takes Box observations too). exact optimum: the env has a "
    "transition table, so reports give its exact optimum (ps_graph.tabular). Any other gymnasium id "
    "works with --env as well."
)

HELP = "list the environments, their spaces, which agents apply, and where the exact optimum is known"
DESCRIPTION = (
    "List ps_graph's registered environments (ps_graph/*-v0), the toy-text environments "
    "ps_graph.tabular supports, and CartPole-v1: spaces, step limit, the agent kinds that "
    "accept them, and whether reports can give the exact optimum. Fast: nothing is trained."
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``envs`` to ``subparsers``; returns its parser."""
    parser = subparsers.add_parser("envs", help=HELP, description=DESCRIPTION)
    parser.set_defaults(run=run)
    return parser


def _space_text(space) -> str:
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return f"Box(shape={space.shape}, {space.dtype})"
    return str(space)


def _default_ids() -> list[str]:
    from ..envs import ENV_IDS
    from ..tabular import SUPPORTED_ENVS

    return [*ENV_IDS, *SUPPORTED_ENVS, "CartPole-v1"]


def env_rows(env_ids: Iterable[str] | None = None) -> list[list[str]]:
    """One row of :data:`HEADER` per environment (default: ps_graph's, the tabular ones and CartPole-v1).

    A kind applies when its ``check`` (or, without one, its ``build``) accepts a one-episode
    spec on that environment.
    """
    import gymnasium as gym

    from ..experiments import AgentSpec, EnvSpec, RunSpec

    checks = {name: kind.checker() or kind.builder() for name, kind in kinds().items()}
    rows = []
    for env_id in _default_ids() if env_ids is None else env_ids:
        env = gym.make(env_id)
        try:
            accepted = []
            for name, check in checks.items():
                try:
                    check(env, RunSpec(AgentSpec(name), EnvSpec(env_id), run=0, seed=0, episodes=1))
                except PSGraphError:
                    continue
                accepted.append(name)
            exact = "yes" if isinstance(getattr(env.unwrapped, "P", None), dict) else "no"
            limit = env.spec.max_episode_steps if env.spec is not None else None
            rows.append(
                [
                    env_id,
                    _space_text(env.observation_space),
                    _space_text(env.action_space),
                    str(limit or "none"),
                    ",".join(accepted) or "none",
                    exact,
                ]
            )
        finally:
            env.close()
    return rows


def run(args: argparse.Namespace) -> int:
    """Print the table of :func:`env_rows` and what its columns mean."""
    rows = env_rows()
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    for row in [HEADER, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print(NOTE)
    return 0
