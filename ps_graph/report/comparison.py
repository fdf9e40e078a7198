"""The report of a :func:`~ps_graph.experiments.compare` call, and the agent behind a curve.

:func:`report_comparison` adds what a comparison's page needs to :func:`write_report`: the
exact optimum of each environment and the ECM of a PS agent, which :func:`rerun` re-trains
in this process (runs are deterministic by seed). Agent kinds are read from
:mod:`ps_graph.registry`: the ECM is drawn for the first kind saved in the PS agent file
format (``ps_graph.agent``, the kinds ``ps`` and ``ps-fast``), whatever package defines the others.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .optimum import exact_optimum
from .page import write_report

__all__ = ["draws_ecm", "report_comparison", "rerun"]


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
    from ..experiments import RunSpec, run_spec
    from ..registry import agent_kind

    if not isinstance(spec, RunSpec):
        raise ConfigError(f"spec must be a RunSpec (see ps_graph.experiments.expand); got {type(spec).__name__}.")
    build = agent_kind(spec.agent.kind).builder()
    built = []

    def keep(env, s):
        agent = build(env, s)
        built.append(agent)
        return agent

    result = run_spec(spec, keep)
    return built[-1], result


def draws_ecm(kind: str) -> bool:
    """Whether agents of the registered ``kind`` have an ECM the report can draw and save:
    those saved in the PS agent file format.

    >>> draws_ecm("ps"), draws_ecm("ps-fast")
    (True, True)
    """
    from ..registry import agent_kind
    from ..saving import FORMAT

    return agent_kind(kind).file_format == FORMAT


def _ecm_of_run_0(results: Mapping, runs: list, ps) -> tuple[Any, str, str]:
    """Re-train run 0 of agent spec ``ps`` on the first environment: the agent, the caption
    saying whether its episodes match the recorded ones, and the ECM view's title."""
    spec = next(s for s in runs if s.agent.name == ps.name and s.env.name == runs[0].env.name)
    recorded = results.get((ps.name, spec.env.name)) if isinstance(results, Mapping) else None
    if not recorded:
        raise ConfigError(
            f"results hold no runs of agent {ps.name!r} on {spec.env.name!r}; pass the results "
            "of compare() with the same agents and environments (or ecm=False)."
        )
    agent, again = rerun(spec)
    same = np.array_equal(again.returns, recorded[0].returns) and np.array_equal(again.lengths, recorded[0].lengths)
    caption = (
        f"Agent {ps.name!r} (kind {ps.kind}), run 0 (seed {spec.seed}) on {spec.env.name}, re-trained "
        f"from the run's seed by the process that wrote this report; its {again.episodes} episodes "
        + (
            "match run 0's recorded episodes exactly."
            if same
            else "do NOT match run 0's recorded episodes (the run is not deterministic, or the results were "
            "made with other settings)."
        )
    )
    title = f"ECM of {ps.name}, run 0 (seed {spec.seed}), after {again.episodes} episodes on {spec.env.name}"
    return agent, caption, title


def report_comparison(
    results: Mapping,
    agents,
    envs,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    episodes: int | None = None,
    total_steps: int | None = None,
    max_steps: int | None = None,
    stop: Any = None,
    ecm: bool = True,
    **options: Any,
) -> Path:
    """:func:`write_report` for a :func:`~ps_graph.experiments.compare` call, given its
    ``agents``, ``envs``, root ``seed``, budget and stopping rule ``stop``: adds the :func:`exact_optimum` of each
    environment (under ``max_steps``) and, with ``ecm``, the ECM of run 0 of the first PS
    agent (a kind saved in the PS agent file format, see :func:`draws_ecm`: ``ps`` or
    ``ps-fast``) on the first environment, re-trained here with :func:`rerun` and checked
    against the recorded run (the caption says whether its episodes match). Other
    ``options`` go to :func:`write_report`. Returns the page's path.

    >>> import tempfile
    >>> from ps_graph.experiments import compare
    >>> with tempfile.TemporaryDirectory() as out:
    ...     results = compare("ps", "FrozenLake-v1", out, runs=2, episodes=20, max_steps=30, jobs=1, progress=False)
    ...     page = report_comparison(results, "ps", "FrozenLake-v1", out, episodes=20, max_steps=30, last=10)
    ...     text = page.read_text()
    >>> "match run 0&#x27;s recorded episodes exactly" in text, "within 30 steps" in text
    (True, True)
    """
    from ..experiments import expand

    runs = expand(
        agents, envs, runs=1, seed=seed, episodes=episodes, total_steps=total_steps, max_steps=max_steps, stop=stop
    )
    agent_specs = list({s.agent.name: s.agent for s in runs}.values())
    env_specs = list({s.env.name: s.env for s in runs}.values())
    optimum = {}
    for env in env_specs:
        best = exact_optimum(env, max_steps=max_steps)
        if best is not None:
            optimum[env.name] = best
    ps = next((a for a in agent_specs if draws_ecm(a.kind)), None) if ecm else None
    source, caption, title = None, "", None
    if ps is not None:
        source, caption, title = _ecm_of_run_0(results, runs, ps)
    return write_report(
        results, out, ecm_source=source, ecm_caption=caption, ecm_title=title, optimum=optimum, **options
    )
