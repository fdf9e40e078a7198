"""The batched train loop: K agents in lockstep on K environment copies (:func:`train_batch`).

A batched agent (:class:`~ps_graph.batch.BatchedTwoLayerPS`, ``qbaselines.BatchedQLearning``)
speaks the agent protocol on arrays (:mod:`ps_graph.lockstep`); :func:`train_batch` runs it on
a tabular MDP or any gymnasium ``VectorEnv`` (each presented as copies that speak
state indices) and returns a :class:`BatchResult` with each agent's per-episode returns and
lengths. Every copy runs its own episodes: none waits for the slowest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from .errors import ConfigError
from .progress import progress_bar
from .stopping import StoppingRule, StopTraining, ask, check_callback
from .training import TrainResult

if TYPE_CHECKING:
    from gymnasium.vector import VectorEnv

    from .tabular import TabularMDP, VectorMDP

#: What :func:`train_batch` trains on: one copy per agent of a tabular MDP or a vector env.
BatchEnv: TypeAlias = "TabularMDP | VectorMDP | VectorEnv"

__all__ = ["BatchResult", "EpisodeLog", "train_batch"]


@dataclass(frozen=True)
class BatchResult:
    """Per-agent, per-episode statistics of :func:`train_batch`: arrays of shape (K, E).

    With an ``episodes`` budget every agent has E episodes. With a ``total_steps`` budget agents
    finish different numbers of episodes: ``counts[k]`` of row k are agent k's, the rest of the
    row is padding (zeros), and :meth:`runs` / :meth:`success_rate` read only the recorded ones.
    A run a callback stopped early (:mod:`ps_graph.stopping`) has ``counts`` too, and ``stopped``
    says why (None for a run that used its whole budget).
    """

    returns: np.ndarray
    lengths: np.ndarray
    terminated: np.ndarray
    wall_time: float = 0.0
    counts: np.ndarray | None = None
    stopped: str | None = None

    @property
    def episode_counts(self) -> np.ndarray:
        """Episodes recorded per agent, shape (K,)."""
        if self.counts is None:
            return np.full(len(self.returns), self.returns.shape[1], np.int64)
        return self.counts

    @property
    def steps(self) -> int:
        """Environment steps over all agents and episodes."""
        return int(self.lengths.sum())

    def runs(self) -> list[TrainResult]:
        """One :class:`~ps_graph.TrainResult` per agent (for plots and CSV)."""
        n = self.episode_counts
        return [
            TrainResult(self.returns[k, : n[k]], self.lengths[k, : n[k]], self.terminated[k, : n[k]], self.wall_time)
            for k in range(len(self.returns))
        ]

    def success_rate(self, last: int | None = None) -> np.ndarray:
        """Per agent: the fraction of (the ``last``) episodes with a positive return."""
        if self.counts is None:
            r = self.returns if last is None else self.returns[:, -last:]
            return (r > 0).mean(axis=1)
        rows = [run.returns if last is None else run.returns[-last:] for run in self.runs()]
        return np.array([(r > 0).mean() if len(r) else 0.0 for r in rows])


class EpisodeLog:
    """Each agent's finished episodes during a batched run: return, length and whether it
    terminated, in (K, capacity) arrays that grow as needed (``counts[k]`` recorded for agent k).

    Compiled loops write into the arrays directly, after :meth:`ensure` made room.

    >>> log = EpisodeLog(2, capacity=1)
    >>> log.record(np.array([1]), np.array([2.0]), np.array([7]), np.array([True]))
    >>> log.record(np.array([1]), np.array([0.5]), np.array([3]), np.array([False]))
    >>> log.counts.tolist(), log.returns.tolist()
    ([0, 2], [[0.0, 0.0], [2.0, 0.5]])
    """

    def __init__(self, num_agents: int, capacity: int = 64) -> None:
        self.counts = np.zeros(num_agents, np.int64)
        self.returns = np.zeros((num_agents, capacity))
        self.lengths = np.zeros((num_agents, capacity), np.int64)
        self.terminated = np.zeros((num_agents, capacity), bool)

    @property
    def capacity(self) -> int:
        return self.returns.shape[1]

    def ensure(self, extra: int) -> None:
        """Room for ``extra`` more episodes in every row (capacity at least doubles when it grows)."""
        need = int(self.counts.max(initial=0)) + extra
        if need <= self.capacity:
            return
        cap = max(need, 2 * self.capacity)
        grow = cap - self.capacity
        self.returns = np.pad(self.returns, ((0, 0), (0, grow)))
        self.lengths = np.pad(self.lengths, ((0, 0), (0, grow)))
        self.terminated = np.pad(self.terminated, ((0, 0), (0, grow)))

    def record(self, agents: np.ndarray, returns: np.ndarray, lengths: np.ndarray, terminated: np.ndarray) -> None:
        """One finished episode for each of ``agents`` (distinct indices)."""
        self.ensure(1)
        slot = self.counts[agents]
        self.returns[agents, slot] = returns
        self.lengths[agents, slot] = lengths
        self.terminated[agents, slot] = terminated
        self.counts[agents] += 1

    def result(self, wall_time: float, episodes: int | None = None, stopped: str | None = None) -> BatchResult:
        """The :class:`BatchResult`: (K, episodes) arrays for an episode budget, else (and for a run
        stopped early, ``stopped`` its reason) padded with counts."""
        if stopped is not None:
            episodes = None
        width = episodes if episodes is not None else int(self.counts.max(initial=0))
        counts = None if episodes is not None else self.counts.copy()
        return BatchResult(
            np.ascontiguousarray(self.returns[:, :width]),
            np.ascontiguousarray(self.lengths[:, :width]),
            np.ascontiguousarray(self.terminated[:, :width]),
            wall_time=wall_time,
            counts=counts,
            stopped=stopped,
        )


def train_batch(
    agent: Any,
    env: BatchEnv,
    episodes: int | None = None,
    *,
    total_steps: int | None = None,
    seed: int | None = None,
    max_steps: int | None = None,
    progress: bool = False,
    compiled: bool = True,
    callback: Callable[[EpisodeLog, Any], object] | StoppingRule | None = None,
) -> BatchResult:
    """Train a batched agent (K agents) on K environment copies for a budget per agent:
    ``episodes``, or ``total_steps`` environment steps (exactly one; a step budget that ends
    mid-episode truncates that episode, as :func:`~ps_graph.train` does).

    ``env`` is one of

    * a :class:`~ps_graph.tabular.TabularMDP`: K copies stepped by one
      :class:`~ps_graph.tabular.VectorMDP` seeded with ``seed``;
    * a :class:`~ps_graph.tabular.VectorMDP` with K copies: its MDP, with its Generator
      (``seed`` given: a fresh one from ``seed``, so it matches the TabularMDP's run);
    * a gymnasium ``VectorEnv`` with ``num_envs == K`` (a native vector env of
      :mod:`ps_graph.envs.vector`, ``gym.make_vec(id, num_envs=K)``, a ``SyncVectorEnv``),
      reset once with ``env.reset(seed=seed)``, in any autoreset mode (its
      ``metadata["autoreset_mode"]``). Observations of a finite space become state indices
      (:class:`~ps_graph.lockstep.StateIndex`); actions come from a Discrete space.

    Each copy runs its own episodes (no copy waits for another): a copy whose episode ends
    starts the next one at once (``NEXT_STEP`` envs spend one reset step on it, which the
    agent neither acts in nor observes). The env's time limit truncates episodes,
    ``max_steps`` (if given) cuts them sooner, and both reach the agent as ``truncated``.
    Agents that finished their budget stop acting and learning (``active`` is False for
    them) while their copies keep being stepped and the others go on. An episode's return is
    the sum of the env's rewards in it.

    ``compiled``: with a TabularMDP or VectorMDP and an agent that has ``run_tabular``, the
    agent's compiled loop runs the whole budget in one call; ``compiled=False`` runs the
    Python loop instead (the reference, one ``act`` / ``observe`` per step). ``progress``
    shows a tqdm bar that counts episodes (or steps for a step budget).

    ``callback(log, agent)``, if given, is called after each lockstep iteration in which some
    agents finished episodes, with the run's :class:`EpisodeLog` (``log.counts[k]`` episodes of
    agent k recorded in ``log.returns[k]``...; read, do not modify). In the compiled loop it is
    called between the compiled chunks instead, after a chunk that finished episodes (the
    agent's ``run_tabular`` progress reports: ``BatchedTwoLayerPS`` every 2**20 agent-steps,
    ``BatchedQLearning`` every 256 to 1024 steps per agent), so a stop comes at the end of the
    first chunk after it is due, not at the exact episode: pass ``compiled=False`` for that.
    The callback stops the run by returning :data:`~ps_graph.stopping.STOP` (or True) or by
    raising :class:`~ps_graph.stopping.StopTraining`; a :class:`~ps_graph.stopping.StoppingRule`
    must hold for every agent. A stopped run returns the episodes completed (with ``counts``)
    and its ``stopped`` reason.

    >>> from ps_graph import BatchedTwoLayerPS, tabular
    >>> mdp = tabular.from_id("FrozenLake-v1", is_slippery=False)
    >>> result = train_batch(BatchedTwoLayerPS.for_mdp(mdp, 3, seed=0), mdp, total_steps=50, seed=0)
    >>> result.lengths.sum(axis=1).tolist(), len(result.runs()[0].returns) == int(result.counts[0])
    ([50, 50, 50], True)
    >>> import gymnasium as gym
    >>> envs = gym.make_vec("FrozenLake-v1", num_envs=4, vectorization_mode="sync", is_slippery=False)
    >>> result = train_batch(BatchedTwoLayerPS.for_env(envs, seed=0), envs, episodes=20, seed=0, max_steps=99)
    >>> result.returns.shape
    (4, 20)
    """
    from .checks import check_seed
    from .training import check_budget

    check_callback(callback, "callback(log, agent) called when agents finish episodes")
    episodes, total_steps, max_steps = check_budget(episodes, total_steps, max_steps)
    seed = check_seed("seed", seed)
    k = agent.num_agents
    vec = _vector_mdp(env, k, seed)
    own_loop = vec is not None and compiled and hasattr(agent, "run_tabular")
    copies = None if own_loop else _copies_for(env, vec, agent, seed)  # checked before the run starts
    log = EpisodeLog(k, episodes if episodes is not None else 64)
    start, stopped = time.perf_counter(), None
    with _progress(progress, agent, episodes, total_steps) as tick:
        try:
            if copies is None:
                hook = _between_chunks(tick, callback, log, agent)
                agent.run_tabular(
                    vec, log, episodes=episodes, total_steps=total_steps, max_steps=max_steps, progress=hook
                )
            else:
                _lockstep(agent, copies, log, (episodes, total_steps, max_steps), tick, callback)
        except StopTraining as stop:
            stopped = stop.reason
    return log.result(time.perf_counter() - start, episodes, stopped)


def _between_chunks(tick, callback, log: EpisodeLog, agent) -> Callable[[int], None] | None:
    """The compiled loop's progress hook: ``tick`` the bar, then consult ``callback`` when the
    chunk finished episodes."""
    if callback is None:
        return tick
    recorded = [int(log.counts.sum())]

    def hook(n: int) -> None:
        if tick is not None:
            tick(n)
        total = int(log.counts.sum())
        if total > recorded[0]:
            recorded[0] = total
            ask(callback, log, log, agent)

    return hook


@contextmanager
def _progress(
    show: bool, agent, episodes: int | None, total_steps: int | None
) -> Iterator[Callable[[int], None] | None]:
    """A tqdm bar's ``update`` over all agents' episodes (or steps), or None without a bar."""
    if not show:
        yield None
        return
    k = agent.num_agents
    unit, total = ("ep", k * episodes) if episodes is not None else ("step", k * (total_steps or 0))
    bar = progress_bar(True, total=total, unit=unit, desc=f"{type(agent).__name__} x{k}")
    try:
        yield bar.update
    finally:
        bar.close()


def _lockstep(agent, copies, log: EpisodeLog, budget, tick, callback) -> None:
    """The Python loop: every agent that is within its budget ``(episodes, total_steps,
    max_steps)`` and not waiting for a reset step acts, the copies step, the acting agents
    observe; finished episodes go to ``log``, then ``callback`` is consulted."""
    episodes, total_steps, max_steps = budget
    k = agent.num_agents
    ep_return = np.zeros(k)
    ep_length = np.zeros(k, np.int64)
    used = np.zeros(k, np.int64)  # steps per agent, for a total_steps budget
    active = np.ones(k, bool)  # agents within their budget
    waiting = np.zeros(k, bool)  # copies in a reset step (NEXT_STEP autoreset): no agent acts there
    states = copies.start()
    while active.any():
        acting = active & ~waiting
        every = bool(acting.all())
        mask = None if every else acting
        anyone = every or bool(acting.any())
        actions = np.zeros(k, np.int64)
        if anyone:
            actions = np.asarray(agent.act(states, mask), np.int64)
            if not every:
                actions = np.where(acting, actions, 0)  # any valid action for the idle copies
        next_states, rewards, terminated, truncated = copies.step(actions)
        ep_length += acting
        used += acting
        ep_return += rewards * acting
        over = np.zeros(k, bool) if total_steps is None else used >= total_steps
        if max_steps is not None:
            over |= ep_length >= max_steps
        cut = over & acting & ~terminated & ~truncated  # episodes max_steps or the step budget cut short
        truncated = truncated | cut
        if anyone:
            agent.observe(rewards, next_states, terminated, truncated, mask)
        finished = np.flatnonzero(acting & (terminated | truncated))
        if finished.size:
            log.record(finished, ep_return[finished], ep_length[finished], terminated[finished])
            ep_return[finished] = 0.0
            ep_length[finished] = 0
            active = log.counts < episodes if episodes is not None else used < total_steps
        if tick is not None:
            tick(finished.size if episodes is not None else int(np.count_nonzero(acting)))
        if finished.size and callback is not None:
            ask(callback, log, log, agent)
        states, waiting = copies.restart(cut, next_states)


# ---------------------------------------------------------------------- environment copies
# Each presents K copies to the loop as state indices: start() -> states; step(actions) ->
# (next_states, rewards, terminated, truncated), next_states being what followed each
# transition; restart(cut, next_states) -> (states, waiting) starts new episodes where the
# env ended one or the loop ``cut`` one, and says which copies spend the next step resetting.


def _vector_mdp(env, num_agents: int, seed: int | None):
    """The fresh, seeded (not yet reset) VectorMDP of a TabularMDP or VectorMDP ``env``, else None."""
    from .tabular import TabularMDP, VectorMDP

    if isinstance(env, VectorMDP):
        _check_copies(env.num_envs, num_agents, "VectorMDP(mdp, K)")
        if seed is None:
            return VectorMDP(env.mdp, num_agents, rng=env.rng)
        return VectorMDP(env.mdp, num_agents, seed=seed)
    if isinstance(env, TabularMDP):
        return VectorMDP(env, num_agents, seed=seed)
    return None


def _check_copies(num_envs: int, num_agents: int, fix: str) -> None:
    if num_envs != num_agents:
        raise ConfigError(
            f"the env has {num_envs} copies for {num_agents} agents; train_batch needs one copy per agent. "
            f"Make it with {fix} for K = {num_agents}, or build the agents with num_agents={num_envs}."
        )


def _copies_for(env, vec, agent, seed: int | None):
    """The copies the Python loop steps: ``vec`` (a VectorMDP) or the gymnasium VectorEnv ``env``."""
    if vec is not None:
        return _TabularCopies(vec)
    from gymnasium import Env
    from gymnasium.vector import VectorEnv

    if not isinstance(env, VectorEnv):
        hint = (
            "For one env make K copies: gym.make_vec(id, num_envs=K) or gymnasium.vector.SyncVectorEnv([...]); "
            "or train a single agent with ps_graph.train."
            if isinstance(env, Env)
            else "Build one with ps_graph.tabular.from_id(id) or gym.make_vec(id, num_envs=K)."
        )
        raise ConfigError(
            f"train_batch needs a TabularMDP, a VectorMDP or a gymnasium VectorEnv; got {type(env).__name__}. {hint}"
        )
    return _GymCopies(env, agent, seed)


class _TabularCopies:
    """A VectorMDP's copies: they reset only when told, so every ended copy resets at once."""

    def __init__(self, vec) -> None:
        self.vec = vec
        self._ended = np.zeros(vec.num_envs, bool)
        self._waiting = np.zeros(vec.num_envs, bool)

    def start(self) -> np.ndarray:
        return self.vec.reset()

    def step(self, actions: np.ndarray):
        next_states, rewards, terminated, truncated = self.vec.step(actions)
        self._ended = terminated | truncated
        return next_states, rewards, terminated, truncated

    def restart(self, cut: np.ndarray, next_states: np.ndarray):
        ended = self._ended | cut
        if not ended.any():
            return next_states, self._waiting
        return np.where(ended, self.vec.reset(mask=ended), next_states), self._waiting


class _GymCopies:
    """A gymnasium VectorEnv's copies, whichever its autoreset mode: NEXT_STEP (an ended copy
    resets in the next step), SAME_STEP (it resets in the step that ended it; the last
    observation is in ``infos["final_obs"]``) or DISABLED (``reset(options={"reset_mask": ...})``,
    which also restarts the episodes the loop cut in the other modes)."""

    def __init__(self, env, agent, seed: int | None) -> None:
        from gymnasium.vector import AutoresetMode

        from .lockstep import StateIndex
        from .percepts import discrete_actions

        _check_copies(env.num_envs, agent.num_agents, "gym.make_vec(id, num_envs=K)")
        self.env, self.seed = env, seed
        self.index = StateIndex(env.single_observation_space)
        actions = discrete_actions(env.single_action_space)
        self._first_action = actions[0]
        _check_sizes(agent, self.index.num_states, len(actions), env)
        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        try:
            self.mode = AutoresetMode(mode)
        except ValueError:
            raise ConfigError(
                f"{type(env).__name__}.metadata['autoreset_mode'] is {mode!r}; expected a gymnasium AutoresetMode "
                f"({', '.join(m.value for m in AutoresetMode)}). Set it to one of them."
            ) from None
        self._next_step = self.mode == AutoresetMode.NEXT_STEP
        self._same_step = self.mode == AutoresetMode.SAME_STEP
        self._ended = np.zeros(env.num_envs, bool)
        self._fresh = np.zeros(env.num_envs, np.int64)  # SAME_STEP: the new episodes' first states

    def start(self) -> np.ndarray:
        observations, _ = self.env.reset(seed=self.seed)
        return self.index(observations)

    def step(self, actions: np.ndarray):
        if self._first_action:
            actions = actions + self._first_action
        observations, rewards, terminated, truncated, infos = self.env.step(actions)
        terminated = np.asarray(terminated, bool)
        truncated = np.asarray(truncated, bool) & ~terminated
        self._ended = terminated | truncated
        next_states = self.index(observations)
        if self._same_step and self._ended.any():
            self._fresh = next_states
            next_states = next_states.copy()
            next_states[self._ended] = self._final_states(infos)
        return next_states, np.asarray(rewards, np.float64), terminated, truncated

    def _final_states(self, infos) -> np.ndarray:
        """The last states of the copies that ended this step (SAME_STEP), from ``infos["final_obs"]``:
        a batch (native vector envs) or an object array of single observations (SyncVectorEnv)."""
        if "final_obs" not in infos:
            raise ConfigError(
                f"{type(self.env).__name__} autoresets in the same step (SAME_STEP) but its infos lack 'final_obs', "
                "the ended episodes' last observations; gymnasium's vector envs provide it."
            )
        final = infos["final_obs"]
        if isinstance(final, np.ndarray) and final.dtype == object:
            return self.index.of(list(final[self._ended]))
        return self.index(final)[self._ended]

    def restart(self, cut: np.ndarray, next_states: np.ndarray):
        states = next_states
        waiting = self._ended if self._next_step else np.zeros_like(cut)
        if self._same_step and self._ended.any():
            states = np.where(self._ended, self._fresh, next_states)
        reset = cut if self._next_step or self._same_step else cut | self._ended
        if reset.any():
            observations, _ = self.env.reset(options={"reset_mask": reset})
            states = np.where(reset, self.index(observations), states)
        return states, waiting


def _check_sizes(agent, num_states: int, num_actions: int, env) -> None:
    """The agent's tables must hold the env's states and choose among exactly its actions."""
    have_states = getattr(agent, "num_states", num_states)
    have_actions = getattr(agent, "num_actions", num_actions)
    if have_states < num_states or have_actions != num_actions:
        raise ConfigError(
            f"the agents have {have_states} states and {have_actions} actions; the env's observations index "
            f"{num_states} states and it has {num_actions} actions. Build the agents with "
            f"{type(agent).__name__}.for_env(env)."
        )
