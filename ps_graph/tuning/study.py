"""Optuna studies: train an agent kind for every trial's hyperparameters, prune poor trials, resume.

One study per (environment, agent kind), maximizing the objective: the mean return over all
training episodes of the trial, averaged over its seeds (the area under the learning curve).
Every trial trains on the same seeds (common random numbers, :func:`~ps_graph.experiments.derive_seeds`),
so trials differ by their hyperparameters only, and :func:`evaluate` scores a fixed setting
with the very same objective.

The study lives in a database (``storage``: ``"sqlite:///study.db"``, or any RDB URL such as
``"postgresql://user:pass@host/db"`` that several machines share): calling :func:`tune`
again continues it until ``trials`` trials have finished (complete or pruned). Trials left
running by a killed process stop sending heartbeats, become FAIL after a grace period and
are retried once; they never count as finished.

>>> result = tune("FrozenLake-v1", "ps-fast", trials=2, storage=None, episodes=20, seeds=2,
...               env_kwargs={"is_slippery": False}, space=["eta_glow_damping=log:0.01:1", "policy=standard"])
>>> result.finished, sorted(result.best_params)[:2]
(2, ['eta_glow_damping', 'gamma_damping'])
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import check_int, check_seed
from ..errors import ConfigError
from ..experiments import AgentSpec, EnvSpec, RunSpec, derive_seeds, make_env, run_spec
from ..experiments.single import validate
from ..stopping import StoppingRule
from .space import Param, corners, make_space, sample, space_text

__all__ = ["OBJECTIVE", "Evaluation", "TuneResult", "Tuning", "evaluate", "load_optuna", "open_storage", "tune"]

#: The objective every study maximizes, in one sentence (stored in the study).
OBJECTIVE = "mean return over all training episodes, averaged over the trial's seeds (area under the learning curve)"


def load_optuna() -> Any:
    """``import optuna``, or a ConfigError with the pip command that installs it."""
    try:
        import optuna
    except ImportError:
        raise ConfigError(
            'hyperparameter search needs optuna, which is not installed; run: pip install "ps_graph[tune]"'
        ) from None
    return optuna


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[Any]:
    """Optuna without its INFO line per trial (library code does not print); restored afterwards."""
    optuna = load_optuna()
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.WARNING)
    try:
        yield optuna
    finally:
        optuna.logging.set_verbosity(before)


@dataclass(frozen=True)
class Tuning:
    """What every trial of a study trains: the agent kind on the environment, for ``episodes``
    on each of ``seeds`` (environment seeds of :class:`~ps_graph.experiments.RunSpec`)."""

    env: str
    agent: str
    episodes: int
    seeds: tuple[int, ...]
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    max_steps: int | None = None

    def run(self, params: Mapping[str, Any], index: int) -> RunSpec:
        """The run spec of seed number ``index`` with hyperparameters ``params``."""
        return RunSpec(
            AgentSpec(self.agent, params),
            EnvSpec(self.env, self.env_kwargs),
            run=index,
            seed=self.seeds[index],
            episodes=self.episodes,
            max_steps=self.max_steps,
        )

    def attrs(self) -> dict[str, Any]:
        """The study's user attributes that describe the objective."""
        return {
            "env": self.env,
            "env_kwargs": dict(self.env_kwargs),
            "agent": self.agent,
            "episodes": self.episodes,
            "seeds": list(self.seeds),
            "max_steps": self.max_steps,
            "objective": OBJECTIVE,
        }

    def train(self, params: Mapping[str, Any], on_run: Any = None) -> tuple[list[np.ndarray], bool]:
        """Each seed's returns with ``params`` (in seed order), and whether ``on_run`` stopped a run.

        ``on_run(before)`` gives the StoppingRule of the next run, ``before`` the returns of the runs done."""
        curves: list[np.ndarray] = []
        for i in range(len(self.seeds)):
            rule = None if on_run is None else on_run(curves)
            result = run_spec(self.run(params, i), stop=rule)
            curves.append(np.asarray(result.returns, dtype=np.float64))
            if result.stopped is not None:
                return curves, True
        return curves, False


def _score(curves: Sequence[np.ndarray]) -> float:
    """The objective (:data:`OBJECTIVE`): the mean return over every episode of every seed."""
    return float(np.mean(np.concatenate(curves)))


def _mean_curve(curves: Sequence[np.ndarray]) -> list[float]:
    """The mean over runs of each episode's return (over the runs that reached that episode)."""
    longest = max((len(c) for c in curves), default=0)
    return [float(np.mean([c[e] for c in curves if len(c) > e])) for e in range(longest)]


class _Pruning(StoppingRule):
    """Reports the trial's running mean return every ``every`` episodes; done when the pruner says so.

    The step is the number of episodes the trial has trained over all its seeds so far, so a
    step means the same (seed, episode) in every trial of the study."""

    def __init__(self, trial: Any, every: int, before: Sequence[np.ndarray]) -> None:
        self.trial, self.every = trial, every
        self.before_n = sum(len(c) for c in before)
        self.before_sum = float(sum(c.sum() for c in before))

    def done(self, history: Any) -> bool:
        n = len(history)
        if n % self.every:
            return False
        step = self.before_n + n
        self.trial.report((self.before_sum + float(np.sum(history))) / step, step)
        return bool(self.trial.should_prune())

    def reason(self) -> str:
        return "the study's pruner pruned the trial"


@dataclass(frozen=True)
class Objective:
    """The objective of a study (picklable, for worker processes): trains ``tuning`` with the
    trial's sample of ``space``, reporting to the pruner every ``every`` episodes."""

    tuning: Tuning
    space: dict[str, Param]
    every: int

    def __call__(self, trial: Any) -> float:
        optuna = load_optuna()
        params = sample(self.space, trial)
        curves, pruned = self.tuning.train(params, lambda before: _Pruning(trial, self.every, before))
        trial.set_user_attr("curve", _mean_curve(curves))
        trial.set_user_attr("seeds", list(self.tuning.seeds))
        if pruned:
            raise optuna.TrialPruned()
        return _score(curves)


@dataclass(frozen=True)
class Evaluation:
    """The objective of one fixed setting: ``value`` and the mean ``curve`` over the seeds."""

    value: float
    curve: list[float]
    seeds: list[int]


def _tuning(env, agent, episodes, seeds, env_kwargs, max_steps, seed) -> Tuning:
    from ..registry import agent_kind

    agent_kind(agent)
    tuning = Tuning(
        env,
        agent,
        check_int("episodes", episodes, 1),
        tuple(derive_seeds(seed, check_int("seeds", seeds, 1))),
        dict(EnvSpec(env, env_kwargs).kwargs),
        None if max_steps is None else check_int("max_steps", max_steps, 1),
    )
    make_env(EnvSpec(env, env_kwargs)).close()  # an unknown id or a bad kwarg fails here, once
    return tuning


def evaluate(
    env: str,
    agent: str,
    params: Mapping[str, Any] | None = None,
    *,
    episodes: int,
    seeds: int = 3,
    env_kwargs: Mapping[str, Any] | None = None,
    max_steps: int | None = None,
    seed: int = 0,
) -> Evaluation:
    """The objective of the fixed hyperparameters ``params``, on the seeds :func:`tune` uses
    with the same ``seeds`` and ``seed``: a baseline to compare a study's best value with.

    >>> ev = evaluate("FrozenLake-v1", "ps-fast", {"eta_glow_damping": 0.04}, episodes=10, seeds=2)
    >>> len(ev.curve), ev.value == float(np.mean(ev.curve))
    (10, True)
    """
    tuning = _tuning(env, agent, episodes, seeds, env_kwargs, max_steps, seed)
    curves, _ = tuning.train(dict(params or {}))
    return Evaluation(_score(curves), _mean_curve(curves), list(tuning.seeds))


@dataclass(frozen=True)
class TuneResult:
    """What :func:`tune` found: the best trial's settings and where the study and its page are.

    ``best_params`` holds every hyperparameter to give the agent: the best trial's sampled
    ones and the fixed ones (None while no trial has completed)."""

    study_name: str
    storage: str | None
    best_params: dict[str, Any] | None
    best_value: float | None
    finished: int
    page: str | None = None

    def __repr__(self) -> str:
        lines = [
            f"TuneResult(study {self.study_name!r} in {self.storage or 'memory'}: {self.finished} finished trials",
            f"  best value {self.best_value!r}" if self.best_value is not None else "  no completed trial yet",
        ]
        lines += [f"  {k} = {v!r}" for k, v in (self.best_params or {}).items()]
        if self.page:
            lines.append(f"  page: {self.page}")
        return "\n".join(lines) + ")"


def open_storage(storage: str | None, heartbeat: int | None = 60) -> Any:
    """An Optuna storage for ``storage``: an RDB URL (SQLite waits up to 60 s on a locked
    file; with ``heartbeat`` seconds, running trials send heartbeats and ones silent for two
    beats become FAIL and are retried once), or None for memory (not resumable)."""
    optuna = load_optuna()
    if storage is None:
        return optuna.storages.InMemoryStorage()
    if not isinstance(storage, str) or "://" not in storage:
        raise ConfigError(
            f"storage must be a database URL such as 'sqlite:///study.db' (or postgresql://..., mysql://...); "
            f"got {storage!r}."
        )
    engine = {"connect_args": {"timeout": 60}} if storage.startswith("sqlite") else {}
    beats: dict[str, Any] = {}
    if heartbeat is not None:
        beat = check_int("heartbeat", heartbeat, 1)
        beats = {
            "heartbeat_interval": beat,
            "grace_period": 2 * beat,
            "heartbeat_stale_trial_callback": None,
        }
    try:
        with warnings.catch_warnings():  # the heartbeat is marked experimental; it is what resuming relies on
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if heartbeat is not None:
                beats["heartbeat_stale_trial_callback"] = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)
            return optuna.storages.RDBStorage(storage, engine_kwargs=engine, **beats)
    except Exception as exc:  # sqlalchemy: a bad URL, a missing driver, an unreachable server
        raise ConfigError(f"cannot open the study storage {storage!r}: {type(exc).__name__}: {exc}") from None


def _finished(study: Any) -> int:
    return len(study.get_trials(deepcopy=False, states=_states(load_optuna())))


def _check_attrs(study: Any, attrs: Mapping[str, Any], storage: str | None) -> None:
    """Stamp a new study with ``attrs``; a study made with other settings is refused."""
    if not study.user_attrs:
        for key, value in attrs.items():
            study.set_user_attr(key, value)
        return
    for key, value in attrs.items():
        if study.user_attrs.get(key) != value:
            raise ConfigError(
                f"study {study.study_name!r} in {storage} was made with {key}={study.user_attrs.get(key)!r}; this "
                f"call asks for {key}={value!r}. Continue it with its own settings, or give another study name."
            )


def sampler_seed(seed: int, worker: int, existing: int) -> int:
    """The seed of worker ``worker``'s sampler in a study that holds ``existing`` trials: ``seed + worker``
    for a new study (so one worker is reproducible), another stream for each resumption (so a resumed
    study does not sample its first trials again).

    >>> sampler_seed(7, 1, 0), sampler_seed(7, 0, 5) != sampler_seed(7, 0, 6)
    (8, True)
    """
    if existing == 0:
        return seed + worker
    return int(np.random.SeedSequence([seed, worker, existing]).generate_state(1)[0])


def _work(storage: str | None, heartbeat: int | None, name: str, objective: Objective, trials: int, n: int,
          seed_of_sampler: int, pruner: Any, progress: bool) -> None:  # fmt: skip
    """One worker: ``n`` more trials of the study (fewer once ``trials`` have finished)."""
    with _quiet_optuna() as optuna:
        study = optuna.load_study(
            study_name=name,
            storage=open_storage(storage, heartbeat),
            sampler=optuna.samplers.TPESampler(seed=seed_of_sampler),
            pruner=pruner,
        )
        _optimize(study, objective, n, trials, progress)


def _optimize(study: Any, objective: Objective, n: int, trials: int, progress: bool) -> None:
    """``n`` more trials of ``study`` here, stopping once ``trials`` are finished (complete or pruned)."""
    optuna = load_optuna()
    study.optimize(
        objective,
        n_trials=n,
        callbacks=[optuna.study.MaxTrialsCallback(trials, states=_states(optuna))],
        show_progress_bar=progress,
    )


def tune(
    env: str,
    agent: str,
    *,
    trials: int,
    storage: str | None,
    study_name: str | None = None,
    episodes: int,
    seeds: int = 3,
    jobs: int = 1,
    space: Mapping[str, Param | Any] | Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
    max_steps: int | None = None,
    seed: int = 0,
    pruner: Any = None,
    report_every: int | None = None,
    heartbeat: int | None = 60,
    page: str | None = None,
    progress: bool = False,
) -> TuneResult:
    """Search ``agent``'s hyperparameters on ``env`` until the study has ``trials`` finished trials.

    Parameters
    ----------
    env, env_kwargs : the gymnasium id and its keywords
    agent : a registered agent kind ("ps", "ps-fast", "q", "dqn", ...)
    trials : finished (complete + pruned) trials the study should hold; a resumed study runs the rest
    storage : a database URL (``"sqlite:///study.db"``, ``"postgresql://..."``), or None for memory
    study_name : default ``"<agent> on <env name>"``
    episodes, seeds, max_steps : each trial trains ``episodes`` (cut at ``max_steps`` steps) on
        ``seeds`` seeds derived from ``seed``
    jobs : worker processes, each running trials of the same study (needs a database)
    space : overrides of the kind's default space (:func:`~ps_graph.tuning.space.make_space`)
    fixed : hyperparameters every trial uses as given
    seed : the root of the run seeds and of the samplers (:func:`sampler_seed`)
    pruner : an Optuna pruner; default ``MedianPruner`` after 5 trials and half a seed's episodes
    report_every : episodes between reports to the pruner (default ``episodes // 10``)
    heartbeat : seconds between the heartbeats of running trials (None: off)
    page : write the results page there (:func:`ps_graph.tuning.page.write_tuning_page`)
    progress : show Optuna's progress bar (``jobs == 1``)
    """
    trials, jobs = check_int("trials", trials, 1), check_int("jobs", jobs, 1)
    seed = check_seed("seed", seed) or 0
    if jobs > 1 and storage is None:
        raise ConfigError("jobs > 1 needs a database storage the workers share, e.g. storage='sqlite:///study.db'.")
    tuning = _tuning(env, agent, episodes, seeds, env_kwargs, max_steps, seed)
    full_space = make_space(agent, space, fixed)
    for params in corners(full_space):  # a range outside the agent's bounds fails here, not in a trial
        validate([tuning.run(params, 0)])
    every = check_int("report_every", report_every, 1) if report_every is not None else max(1, episodes // 10)
    name = study_name or f"{agent} on {EnvSpec(env, env_kwargs).name}"
    with _quiet_optuna() as optuna:
        pruner = pruner or optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=episodes // 2)
        store = open_storage(storage, heartbeat)
        study = optuna.create_study(
            storage=store, study_name=name, direction="maximize", pruner=pruner, load_if_exists=True
        )
        existing = len(study.get_trials(deepcopy=False))
        study.sampler = optuna.samplers.TPESampler(seed=sampler_seed(seed, 0, existing))
        fixed_values = {k: p.value for k, p in full_space.items() if p.kind == "fixed"}
        _check_attrs(study, tuning.attrs() | {"space": space_text(full_space), "fixed": fixed_values}, storage)
        objective = Objective(tuning, full_space, every)
        left = trials - _finished(study)
        shares = [left // jobs + (w < left % jobs) for w in range(jobs)]
        if jobs == 1 and left > 0:  # in this process, on this storage (memory included)
            _optimize(study, objective, left, trials, progress)
        elif left > 0:
            from joblib import Parallel, delayed

            Parallel(n_jobs=jobs, backend="loky")(
                delayed(_work)(
                    storage, heartbeat, name, objective, trials, n, sampler_seed(seed, w, existing), pruner, False
                )
                for w, n in enumerate(shares)
                if n > 0
            )
        return _result(optuna.load_study(study_name=name, storage=store), storage, fixed_values, page)


def _states(optuna: Any) -> tuple[Any, ...]:
    return (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def _result(study: Any, storage: str | None, fixed: Mapping[str, Any], page: str | None) -> TuneResult:
    completed = study.get_trials(deepcopy=False, states=(load_optuna().trial.TrialState.COMPLETE,))
    best = max(completed, key=lambda t: t.value) if completed else None
    written = None
    if page is not None:
        from .page import write_tuning_page

        written = str(write_tuning_page(study, page))
    return TuneResult(
        study.study_name,
        storage,
        None if best is None else dict(fixed) | best.params,
        None if best is None else float(best.value),
        _finished(study),
        written,
    )
