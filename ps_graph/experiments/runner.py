"""compare(): run agents x environments x seeds serially, on local processes, or on Dask."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from ..checks import check_choice, check_int
from ..errors import ConfigError, DamagedRunError, IncompleteRunError
from ..progress import progress_bar
from ..registry import agent_kind
from ..stopping import StoppingRule
from ..training import TrainResult
from .cluster import CONNECT_TIMEOUT, check_connect_timeout, check_scheduler, dask_runs
from .lock import folder_lock
from .single import run_spec, validate
from .specs import RunSpec, expand
from .store import (
    check_out,
    check_settings,
    clear_unfinished,
    read_config,
    read_run,
    rebuild_episode_csv,
    run_folder,
    same_spec,
    save_run,
)

__all__ = ["BACKENDS", "compare", "run_one"]

logger = logging.getLogger("ps_graph.experiments")

BACKENDS = ("loky", "serial", "dask")

_Finished = Generator[tuple[RunSpec, TrainResult], None, None]
"""Runs as a backend finishes them: ``(spec, result)`` pairs; closing it stops the workers."""


def _task(spec: RunSpec, build: Callable, threads: int | None) -> tuple[RunSpec, TrainResult]:
    """What a worker runs: one spec, in memory. The parent process writes the files."""
    try:
        result = run_spec(spec, build) if threads is None else _run_limited(spec, build, threads)
    except Exception as exc:
        exc.add_note(f"(in run {spec.label})")
        raise
    return spec, result


def _run_limited(spec: RunSpec, build: Callable, threads: int) -> TrainResult:
    def limited_build(env, spec):
        agent = build(env, spec)
        if "torch" in sys.modules:  # DQN: one torch thread per worker process
            sys.modules["torch"].set_num_threads(threads)
        return agent

    return run_spec(spec, limited_build)


def run_one(spec: RunSpec, out) -> Path:
    """Run one spec in this process and write its folder under ``out``; returns the folder.

    A run that is already finished (same spec) is not redone, so ``run_one`` can be called
    from a scheduler's array job, one spec per task (``RunSpec.from_dict(json.load(...))``).

    >>> import tempfile
    >>> from ps_graph.experiments import expand
    >>> spec = expand("ps", "FrozenLake-v1", runs=1, episodes=5)[0]
    >>> with tempfile.TemporaryDirectory() as out:
    ...     folder = run_one(spec, out)
    ...     sorted(p.name for p in folder.iterdir()), folder.relative_to(out).parts[:3]
    (['config.json', 'episodes.csv'], ('runs', 'ps', 'FrozenLake-v1'))
    """
    out = check_out(out)
    folder = run_folder(out, spec)
    if _status(folder, spec):
        return folder
    validate([spec])
    _, result = _task(spec, agent_kind(spec.agent.kind).builder(), None)
    return save_run(out, spec, result)


def _status(folder: Path, spec: RunSpec) -> bool:
    """True if ``folder`` holds ``spec`` finished; False (after clearing leftovers) if it must run."""
    if not folder.exists():
        return False
    try:
        found, _ = read_config(folder)
    except IncompleteRunError as exc:
        if isinstance(exc, DamagedRunError):  # files there but unreadable: worth a warning
            logger.warning("%s; the run is redone", exc)
        elif any(folder.iterdir()):  # interrupted before config.json was written
            logger.info("unfinished run in %s (%s); it is redone", folder, exc)
        clear_unfinished(folder)
        return False
    if not same_spec(found, spec):
        diff = [k for k, v in spec.to_dict().items() if found.to_dict().get(k) != v]
        raise ConfigError(
            f"{folder} holds a finished run of a different spec (differs in {', '.join(diff)}: "
            f"{ {k: found.to_dict()[k] for k in diff} } there, { {k: spec.to_dict()[k] for k in diff} } now). "
            "Use a new out folder, give the agent or environment another name, or delete that folder to redo it."
        )
    return True


def _workers(jobs: int, pending: int) -> int:
    return max(1, min(pending, (os.cpu_count() or 1) if jobs == -1 else jobs))


def _serial(pending: Sequence[RunSpec], builds: dict[str, Callable]) -> _Finished:
    for spec in pending:
        yield _task(spec, builds[spec.agent.kind], None)


def _loky(pending: Sequence[RunSpec], builds: dict[str, Callable], workers: int) -> _Finished:
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", inner_max_num_threads=1):
        parallel = Parallel(n_jobs=workers, return_as="generator_unordered", batch_size=1)
        yield from parallel(delayed(_task)(spec, builds[spec.agent.kind], 1) for spec in pending)


def compare(
    agents,
    envs,
    out,
    *,
    runs: int = 10,
    seed: int = 0,
    episodes: int | None = None,
    total_steps: int | None = None,
    max_steps: int | None = None,
    jobs: int = -1,
    backend: str | None = None,
    scheduler: Any = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    progress: bool = True,
    stop: StoppingRule | None = None,
) -> dict[tuple[str, str], list[TrainResult]]:
    """Train every agent on every environment for ``runs`` seeds; write and return the results.

    Parameters
    ----------
    agents : kind name(s) (``"ps"``, ``"ps-fast"``, ``"q"``, ``"dqn"``, or registered ones)
        or :class:`AgentSpec` values with hyperparameters and names.
    envs : gymnasium id(s) or :class:`EnvSpec` values (kwargs, names).
    out : folder for the results (created if missing); finished runs already there are
        kept and skipped, unfinished ones are redone (see :mod:`ps_graph.experiments`).
    runs, seed : number of runs per (agent, environment) and the root seed they derive from;
        run ``i`` uses the same seed for every agent and environment.
    episodes, total_steps : the budget per run, exactly one; ``max_steps`` cuts episodes.
    jobs : worker processes (-1: one per CPU core), never more than there are runs left;
        ignored with a ``scheduler`` (the cluster has its workers).
    backend : ``"loky"`` (default: joblib's local processes, one thread each),
        ``"serial"`` (this process, in order: for debugging, pdb works), or ``"dask"``
        (default when ``scheduler`` is given; without one, a temporary local Dask cluster of
        ``jobs`` workers). A single run left, or ``jobs=1``, runs in this process.
    scheduler : a Dask scheduler address (``"tcp://host:8786"``) or a ``distributed.Client``.
        Workers need ps_graph installed; they return results and this process writes them,
        so the cluster needs no shared filesystem. An address is checked before connecting
        (``SCHEME://HOST:PORT``, see :func:`~ps_graph.experiments.cluster.check_scheduler`).
    connect_timeout : seconds to wait for the ``scheduler`` (default 5) before giving up
        with a ConfigError.
    progress : show a tqdm bar over runs (on stderr).
    stop : a stopping rule, ``StopWhenMeanReturn(last=N, at_least=X)``, that ends a run before
        its budget once the mean return over its last N episodes reaches X (checked after
        every episode), or None. It is part of each run's spec (saved in its config.json, so
        a finished run with another rule is a ConfigError, as for another budget); a stopped
        run's ``episodes.csv`` has the episodes it ran and its config.json says why it
        stopped (``"stopped"``; null for a run that used its whole budget). Only the rules of
        :data:`~ps_graph.experiments.specs.STOP_RULES` can be stored; for a callback of your
        own use :func:`~ps_graph.train`.

    The first run that raises stops the comparison with its error (noting which run);
    runs finished before it are kept, and calling ``compare`` again resumes.

    Every agent's hyperparameters are checked on every environment before any run starts,
    and so are the settings against the finished runs in ``out``: the same agent or
    environment name with other settings, another root seed or budget is a ConfigError
    (see :func:`~ps_graph.experiments.store.check_settings`). One ``compare`` writes a
    folder at a time: it holds ``OUT/compare.lock`` while it runs (see
    :mod:`ps_graph.experiments.lock`), and a second one on the same folder refuses.
    Returns ``{(agent name, env name): [TrainResult of run 0, 1, ...]}``, agent by agent,
    read back from ``out``; ``OUT/episodes.csv`` is rebuilt from every finished run in ``out``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     results = compare(["ps-fast", "q"], "FrozenLake-v1", out, runs=2, episodes=20, progress=False)
    ...     again = compare(["ps-fast", "q"], "FrozenLake-v1", out, runs=2, episodes=20, progress=False)
    >>> sorted(results), [r.episodes for r in results["q", "FrozenLake-v1"]]
    ([('ps-fast', 'FrozenLake-v1'), ('q', 'FrozenLake-v1')], [20, 20])
    >>> all((a.returns == b.returns).all() for k in results for a, b in zip(results[k], again[k]))
    True
    """
    specs = expand(
        agents, envs, runs=runs, seed=seed, episodes=episodes, total_steps=total_steps, max_steps=max_steps, stop=stop
    )
    out = check_out(out)
    jobs, backend, scheduler = _check_backend(jobs, backend, scheduler)
    connect_timeout = check_connect_timeout(connect_timeout)
    validate(specs)
    builds = {spec.agent.kind: agent_kind(spec.agent.kind).builder() for spec in specs}
    with folder_lock(out):
        check_settings(out, specs)
        pending, backend, workers = _plan(out, specs, jobs, backend)
        with progress_bar(
            progress, total=len(specs), initial=len(specs) - len(pending), unit="run", desc="compare"
        ) as bar:
            if pending:
                finished = _finished_runs(backend, pending, builds, workers, scheduler, connect_timeout)
                _save_finished(out, finished, bar)
        rebuild_episode_csv(out)
        return _read_results(out, specs)


def _check_backend(jobs: int, backend: str | None, scheduler: Any) -> tuple[int, str, Any]:
    """``jobs``, ``backend`` and ``scheduler`` checked (the backend defaults to Dask with a scheduler,
    loky without; an address is parsed, not yet connected to)."""
    if jobs != -1:
        jobs = check_int("jobs", jobs, 1, hint="Use -1 for one worker per CPU core, 1 to run in this process.")
    if backend is None:
        backend = "dask" if scheduler is not None else "loky"
    check_choice("backend", backend, BACKENDS, hint="'serial' runs in this process (for debugging).")
    if scheduler is not None and backend != "dask":
        raise ConfigError(
            f"scheduler={scheduler!r} needs backend='dask' (or leave backend unset); got backend={backend!r}."
        )
    if scheduler is not None and type(scheduler).__name__ != "Client":
        scheduler = check_scheduler(scheduler)
    return jobs, backend, scheduler


def _plan(out: Path, specs: Sequence[RunSpec], jobs: int, backend: str) -> tuple[list[RunSpec], str, int]:
    """The runs still to do (finished ones in ``out`` are skipped, unfinished ones cleared), the
    backend (loky with one worker runs serially) and the number of workers."""
    out.mkdir(parents=True, exist_ok=True)
    pending = [spec for spec in specs if not _status(run_folder(out, spec), spec)]
    workers = _workers(jobs, len(pending))
    if backend == "loky" and workers == 1:
        backend = "serial"
    logger.info(
        "compare: %d runs, %d already finished in %s; running %d (backend %s%s)",
        len(specs),
        len(specs) - len(pending),
        out,
        len(pending),
        backend,
        f", {workers} workers" if backend == "loky" else "",
    )
    return pending, backend, workers


def _finished_runs(
    backend: str, pending: Sequence[RunSpec], builds: dict[str, Callable], workers: int, scheduler: Any, timeout: float
) -> _Finished:
    """The ``(spec, result)`` pairs of ``pending``, as the backend finishes them."""
    if backend == "serial":
        return _serial(pending, builds)
    if backend == "loky":
        return _loky(pending, builds, workers)
    return dask_runs(_task, pending, builds, workers, scheduler, timeout)


def _save_finished(out: Path, finished: _Finished, bar) -> None:
    """Write each run's folder as it arrives; the backend is closed (workers stopped) on any error."""
    try:
        for spec, result in finished:
            folder = save_run(out, spec, result)
            logger.debug("finished %s -> %s", spec.label, folder)
            bar.update(1)
    finally:
        finished.close()


def _read_results(out: Path, specs: Sequence[RunSpec]) -> dict[tuple[str, str], list[TrainResult]]:
    """``{(agent name, env name): [TrainResult of run 0, 1, ...]}`` read back from ``out``, agent by agent."""
    agent_names = list(dict.fromkeys(spec.agent.name for spec in specs))
    env_names = list(dict.fromkeys(spec.env.name for spec in specs))
    results: dict[tuple[str, str], list[TrainResult]] = {(a, e): [] for a in agent_names for e in env_names}
    for spec in specs:  # run-major, so each list is in run order
        results[spec.agent.name, spec.env.name].append(read_run(run_folder(out, spec))[1])
    return results
