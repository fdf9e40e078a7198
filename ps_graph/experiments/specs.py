"""Run specs: what one run is (agent, environment, seed, budget), and seeds for many.

A :class:`RunSpec` is a small frozen value that pickles and round-trips through JSON
(``RunSpec.from_dict(spec.to_dict()) == spec``); :func:`expand` turns agents x
environments x runs into specs with seeds derived from one root seed (:func:`derive_seeds`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import check_int, check_seed
from ..errors import ConfigError
from ..stopping import StoppingRule, StopWhenMeanReturn
from ..streams import spawn_seeds
from ..training import check_budget

__all__ = [
    "AgentSpec",
    "EnvSpec",
    "RunSpec",
    "STOP_RULES",
    "derive_seeds",
    "expand",
    "rule_from_dict",
    "rule_to_dict",
    "slug",
]

#: The stopping rules a run spec can hold (and config.json store): their JSON name -> class.
STOP_RULES: dict[str, type[StoppingRule]] = {"StopWhenMeanReturn": StopWhenMeanReturn}

_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+-]+")


def slug(name: str) -> str:
    """A folder-safe form of an agent or environment name.

    >>> slug("ps_graph/GridWorld-v0"), slug('FrozenLake-v1[is_slippery=false]')
    ('ps_graph-GridWorld-v0', 'FrozenLake-v1-is_slippery=false')
    """
    s = _UNSAFE.sub("-", name).strip("-.")
    if not s:
        raise ConfigError(f"name {name!r} has no letters or digits to name a folder with; choose another name.")
    return s


def _numpy_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} {value!r} is not a JSON value")


def _json(name: str, value: Any) -> Any:
    """``value`` as it comes back from JSON (lists for tuples), or a ConfigError saying why not."""
    try:
        text = json.dumps(value, default=_numpy_scalar, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{name} must hold JSON values (numbers, strings, booleans, None, lists, dicts with string keys) "
            f"so the run spec can be saved in config.json and sent to workers; {exc}."
        ) from None
    return json.loads(text)


def _freeze(spec: Any, **fields: Any) -> None:
    """Set the fields of a frozen dataclass from its own ``__init__``."""
    for name, value in fields.items():
        object.__setattr__(spec, name, value)


def _mapping(name: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{name} must be a dict of keyword arguments with string keys; got {value!r}.")
    return _json(name, dict(value))


def _check_text(what: str, value: Any, example: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{what} must be a non-empty string such as {example!r}; got {value!r}.")


def _check_name(what: str, name: Any, default: str) -> str:
    """``name`` (``default`` when None), checked to label results and name a folder."""
    name = default if name is None else name
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{what} name must be a non-empty string; got {name!r}.")
    slug(name)
    return name


@dataclass(frozen=True, init=False)
class AgentSpec:
    """An agent to compare: a registered ``kind`` (see :func:`ps_graph.registry.kinds`), its hyperparameters, a name.

    ``name`` (default: the kind) labels the agent in results, CSV files and folders; give
    two settings of one kind different names. The seed is set per run, not here.

    >>> spec = AgentSpec("ps", {"eta_glow_damping": 0.5}, name="ps-eta0.5")
    >>> spec.name, spec.hyperparameters
    ('ps-eta0.5', {'eta_glow_damping': 0.5})
    """

    kind: str
    """A registered agent kind (:func:`ps_graph.registry.kinds` lists them)."""
    hyperparameters: dict[str, Any]
    """Keywords for the agent (JSON values, so the spec can be saved and sent to workers)."""
    name: str
    """Always a string once built; ``None`` given to the constructor means the kind."""

    def __init__(self, kind: str, hyperparameters: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        _check_text("agent kind", kind, "ps")
        hp = _mapping(f"hyperparameters of agent {kind!r}", hyperparameters)
        if "seed" in hp:
            raise ConfigError(
                f"agent {kind!r}: remove 'seed' from the hyperparameters; every run gets its own seed, "
                "derived from compare(..., seed=ROOT)."
            )
        _freeze(self, kind=kind, hyperparameters=hp, name=_check_name("agent", name, kind))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "hyperparameters": dict(self.hyperparameters)}


@dataclass(frozen=True, init=False)
class EnvSpec:
    """An environment: anything :func:`gymnasium.make` accepts (``id`` and keyword ``kwargs``).

    ``name`` defaults to the id, followed by the kwargs in JSON when there are any.
    Environments from your own package can be given as ``"my_package.envs:MyEnv-v0"``
    (gymnasium imports the module first), which also works in worker processes.

    >>> EnvSpec("FrozenLake-v1", {"is_slippery": False}).name
    'FrozenLake-v1[is_slippery=false]'
    """

    id: str
    """What :func:`gymnasium.make` takes first (a registered id, or ``"module:EnvId"``)."""
    kwargs: dict[str, Any]
    """Keywords for :func:`gymnasium.make` (JSON values)."""
    name: str
    """Always a string once built; ``None`` given to the constructor means the default above."""

    def __init__(self, id: str, kwargs: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        _check_text("environment id", id, "FrozenLake-v1")
        checked = _mapping(f"kwargs of environment {id!r}", kwargs)
        args = ",".join(f"{k}={json.dumps(v)}" for k, v in checked.items())
        default = f"{id}[{args}]" if args else id
        _freeze(self, id=id, kwargs=checked, name=_check_name("environment", name, default))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kwargs": dict(self.kwargs)}


@dataclass(frozen=True)
class RunSpec:
    """One run: an agent trained on an environment from one seed, for one budget.

    >>> spec = RunSpec(AgentSpec("ps"), EnvSpec("FrozenLake-v1"), run=0, seed=7, episodes=20)
    >>> RunSpec.from_dict(spec.to_dict()) == spec
    True
    """

    agent: AgentSpec
    env: EnvSpec
    run: int
    """The run's index (0, 1, ...)."""
    seed: int
    """Seeds the environment (``train(..., seed=seed)``). The agent gets :attr:`agent_seed`, a child
    of it, because a numpy Generator and a gymnasium env seeded with the same integer draw the very
    same random stream."""
    episodes: int | None = None
    """The budget in episodes; exactly one of ``episodes`` and ``total_steps`` is given."""
    total_steps: int | None = None
    """The budget in environment steps."""
    max_steps: int | None = None
    """Optionally cuts episodes longer than this."""
    stop: StoppingRule | None = None
    """A stopping rule that may end the run before its budget (one of :data:`STOP_RULES`, e.g.
    ``StopWhenMeanReturn(last=100, at_least=0.9)``), or None; part of what identifies the run."""

    def __post_init__(self) -> None:
        if not isinstance(self.agent, AgentSpec):
            raise ConfigError(f"agent must be an AgentSpec; got {type(self.agent).__name__}.")
        if not isinstance(self.env, EnvSpec):
            raise ConfigError(f"env must be an EnvSpec; got {type(self.env).__name__}.")
        object.__setattr__(self, "run", check_int("run", self.run, 0))
        seed = check_seed("seed", self.seed)
        if seed is None:
            raise ConfigError("seed must be a non-negative integer; got None. Runs must be reproducible.")
        object.__setattr__(self, "seed", seed)
        episodes, total_steps, max_steps = check_budget(self.episodes, self.total_steps, self.max_steps)
        object.__setattr__(self, "episodes", episodes)
        object.__setattr__(self, "total_steps", total_steps)
        object.__setattr__(self, "max_steps", max_steps)
        object.__setattr__(self, "stop", _storable(self.stop))

    @property
    def agent_seed(self) -> int:
        """The agent's seed: the first child of the run's SeedSequence (independent of the env's stream)."""
        return spawn_seeds(self.seed, 1)[0]

    @property
    def label(self) -> str:
        return f"{self.agent.name} on {self.env.name}, run {self.run} (seed {self.seed})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent.to_dict(),
            "env": self.env.to_dict(),
            "run": self.run,
            "seed": self.seed,
            "episodes": self.episodes,
            "total_steps": self.total_steps,
            "max_steps": self.max_steps,
            "stop": None if self.stop is None else rule_to_dict(self.stop),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunSpec:
        """The spec written by :meth:`to_dict`; anything else raises ConfigError."""
        try:
            agent, env = d["agent"], d["env"]
            return cls(
                AgentSpec(agent["kind"], agent["hyperparameters"], agent["name"]),
                EnvSpec(env["id"], env["kwargs"], env["name"]),
                run=d["run"],
                seed=d["seed"],
                episodes=d["episodes"],
                total_steps=d["total_steps"],
                max_steps=d["max_steps"],
                stop=d.get("stop"),  # None in folders written before runs could stop early
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"not a run spec (as written by RunSpec.to_dict): missing or wrong {exc}.") from None


# ---------------------------------------------------------------------- stopping rules as JSON
def _storable(stop: Any) -> StoppingRule | None:
    """``stop`` checked to be None or one of :data:`STOP_RULES` (a dict is read with :func:`rule_from_dict`)."""
    if stop is None or type(stop) in STOP_RULES.values():
        return stop
    if isinstance(stop, Mapping):
        return rule_from_dict(stop)
    raise ConfigError(
        f"stop must be None or a stopping rule that can be saved with the run ({', '.join(STOP_RULES)}), e.g. "
        f"StopWhenMeanReturn(last=100, at_least=0.9); got {stop!r}. A rule is part of what identifies a run, so "
        "it must be stored in config.json; for your own callback use ps_graph.train(..., callback=...) instead."
    )


def rule_to_dict(rule: StoppingRule) -> dict[str, Any]:
    """A provided stopping rule as JSON data: ``{"rule": name, **its fields}``.

    >>> rule_to_dict(StopWhenMeanReturn(last=10, at_least=0.5))
    {'rule': 'StopWhenMeanReturn', 'last': 10, 'at_least': 0.5}
    >>> rule_from_dict(rule_to_dict(StopWhenMeanReturn(last=10, at_least=0.5)))
    StopWhenMeanReturn(last=10, at_least=0.5)
    >>> rule_to_dict(lambda episode, agent: None)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: stop must be None or a stopping rule that can be saved with the run ...
    """
    checked = _storable(rule)
    if checked is None:
        raise ConfigError("rule must be a stopping rule such as StopWhenMeanReturn(last=100, at_least=0.9); got None.")
    return {"rule": type(checked).__name__, **dataclasses.asdict(checked)}  # type: ignore[call-overload]


def rule_from_dict(data: Mapping[str, Any]) -> StoppingRule:
    """The rule :func:`rule_to_dict` wrote; anything else raises ConfigError."""
    fields = dict(data) if isinstance(data, Mapping) else {}
    cls = STOP_RULES.get(fields.pop("rule", None))
    if cls is None:
        raise ConfigError(
            f"not a stopping rule (as written by rule_to_dict): {data!r}; expected {{'rule': one of "
            f"{', '.join(STOP_RULES)}, and its fields}}."
        )
    try:
        return cls(**fields)
    except TypeError as exc:
        raise ConfigError(f"not a {cls.__name__} (as written by rule_to_dict): {data!r} ({exc}).") from None


# ---------------------------------------------------------------------- seeds and expansion
def derive_seeds(root: int, runs: int) -> list[int]:
    """Seeds of runs 0 .. runs-1 derived from one ``root`` seed (numpy SeedSequence children,
    :func:`ps_graph.streams.spawn_seeds`).

    Run ``i``'s seed depends only on ``root`` and ``i``: asking for more runs later keeps
    the first ones. Every agent and environment meets the same seed in run ``i``
    (common random numbers).

    >>> derive_seeds(0, 3)[:2] == derive_seeds(0, 2)
    True
    """
    checked = check_seed("seed", root)
    if checked is None:
        raise ConfigError("the root seed must be a non-negative integer; got None. Runs must be reproducible.")
    return spawn_seeds(checked, check_int("runs", runs, 1))


def _as_list(value, cls, what: str) -> list:
    items = [value] if isinstance(value, (str, cls)) else value
    if not isinstance(items, Sequence) or isinstance(items, (bytes, bytearray)) or not items:
        raise ConfigError(f"{what}s must be a non-empty list of names or {cls.__name__}s; got {value!r}.")
    out = []
    for item in items:
        if isinstance(item, str):
            item = cls(item)
        if not isinstance(item, cls):
            raise ConfigError(f"each {what} must be a name (str) or a {cls.__name__}; got {item!r}.")
        out.append(item)
    for key, label in ((lambda s: s.name, "name"), (lambda s: slug(s.name), "folder name")):
        seen: dict[str, Any] = {}
        for item in out:
            k = key(item)
            if k in seen:
                raise ConfigError(
                    f"two {what}s share the {label} {k!r} ({seen[k].name!r} and {item.name!r}); "
                    f"give each a distinct name, e.g. {cls.__name__}(..., name='...')."
                )
            seen[k] = item
    return out


def expand(
    agents,
    envs,
    *,
    runs: int = 10,
    seed: int = 0,
    episodes: int | None = None,
    total_steps: int | None = None,
    max_steps: int | None = None,
    stop: StoppingRule | None = None,
) -> list[RunSpec]:
    """Agents x environments x runs as :class:`RunSpec` values, run-major.

    ``agents``: kind names or :class:`AgentSpec` values (or one of them); ``envs``: gymnasium
    ids or :class:`EnvSpec` values. Run ``i`` of every agent on every env uses seed
    ``derive_seeds(seed, runs)[i]``; every run holds the stopping rule ``stop`` (or None).
    The list is ordered run by run, so the first finished
    runs already cover every agent and environment.

    >>> specs = expand(["ps", "q"], "FrozenLake-v1", runs=2, episodes=10)
    >>> [(s.agent.name, s.run) for s in specs]
    [('ps', 0), ('q', 0), ('ps', 1), ('q', 1)]
    >>> specs[0].seed == specs[1].seed != specs[2].seed
    True
    """
    from ..registry import agent_kind

    agent_specs = _as_list(agents, AgentSpec, "agent")
    env_specs = _as_list(envs, EnvSpec, "environment")
    for a in agent_specs:
        agent_kind(a.kind)
    episodes, total_steps, max_steps = check_budget(episodes, total_steps, max_steps)
    stop = _storable(stop)
    seeds = derive_seeds(seed, runs)
    if len(set(seeds)) != len(seeds):  # 32-bit seeds: a clash is ~1e-7 likely for 30 runs
        raise ConfigError(f"root seed {seed} derives one run seed twice for {runs} runs; choose another root seed.")
    return [
        RunSpec(a, e, run=i, seed=s, episodes=episodes, total_steps=total_steps, max_steps=max_steps, stop=stop)
        for i, s in enumerate(seeds)
        for e in env_specs
        for a in agent_specs
    ]
