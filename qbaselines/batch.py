"""BatchedQLearning: K tabular Q-learning (or SARSA) agents in lockstep, vectorized.

Runs through :func:`ps_graph.batch.train_batch` like the batched PS agent. Each agent has
its own random stream and behaves statistically like a single
:class:`~qbaselines.QLearningAgent` with the same hyperparameters (with noisy argmax,
which draws the single agent's normals in its order, identically on a deterministic MDP).
``act`` and ``observe`` are one compiled call for all K agents, and on a tabular MDP
:meth:`BatchedQLearning.run_tabular` runs the whole budget compiled
(:mod:`qbaselines.kernels`, numba, imported on first use).

>>> from ps_graph.tabular import from_id
>>> from ps_graph.batch import train_batch
>>> mdp = from_id("FrozenLake-v1", is_slippery=False)
>>> agents = BatchedQLearning.for_mdp(mdp, 30, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0)
>>> result = train_batch(agents, mdp, episodes=500, seed=0, max_steps=99)
>>> float(result.success_rate(last=100).mean())
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ps_graph.checks import check_rewards
from ps_graph.errors import TabularError
from ps_graph.lockstep import LockstepAgents

from .qconfig import QLearningConfig, q_config

__all__ = ["BatchedQLearning"]


#: At most about this many uniforms are drawn ahead for all agents together in a compiled run,
#: for the agents' streams and the environment's each (256 to 1024 per agent, growing from 256).
RUN_BLOCK_VALUES = 2**20


def _log_arrays(log) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An EpisodeLog's arrays as the kernels take them (after ``log.ensure``: they may be new)."""
    return log.counts, log.returns, log.lengths, log.terminated


def _refill(kernels, rng: np.random.Generator, buffer: np.ndarray, pos: np.ndarray, width: int):
    """``width`` uniforms per row: each row's unread ones (from ``pos[k]`` on), then fresh ones
    from ``rng``; returns the buffer (new if the width changed) and the positions, all 0."""
    new = buffer if buffer.shape[1] == width else np.empty((len(buffer), width))
    unread = int((buffer.shape[1] - pos).sum())
    kernels.refill_rows(buffer, pos, rng.random(new.size - unread), new)
    return new, pos


def _kernels():
    """The compiled kernels (:mod:`qbaselines.kernels`), imported on first use: numba loads only then."""
    from . import kernels

    return kernels


class BatchedQLearning(LockstepAgents):
    """K independent tabular Q-learning / SARSA agents over S states and A actions.

    Parameters
    ----------
    num_states, num_actions, num_agents : int
    config : QLearningConfig, or the hyperparameters as keywords
    seed : int (root seed), sequence of K ints (one per agent), or None
    """

    config: QLearningConfig

    def _configure(self, config: QLearningConfig | None, hyperparameters: dict[str, Any]) -> QLearningConfig:
        return q_config(config, hyperparameters)

    def _allocate(self) -> None:
        c, k = self.config, self.num_agents
        self._epsilon = c.epsilon_by_episode()
        self.q = np.full((k, self.num_states, self.num_actions), c.q_init)
        self.episode = np.zeros(k, np.int64)
        self._next_actions = np.full(k, -1)  # SARSA: the action already chosen for the next state

    def _draws(self, room: int, agents: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """The kernels' ``(u, upos, nrm, npos)``, each agent (of the mask ``agents``, default
        all) holding ``room`` draws ahead (:func:`qbaselines.kernels.top_up`)."""
        noisy = self.config.exploration == "noisy_argmax"
        return _kernels().top_up(self.streams, room, self.num_actions if noisy else 0, agents)

    def _eps(self) -> np.ndarray:
        """Each agent's epsilon now (zeros for noisy argmax, which has none)."""
        if self.config.exploration == "noisy_argmax":
            return np.zeros(self.num_agents)
        return np.ascontiguousarray(self._epsilon(self.episode), dtype=np.float64)

    def _states(self, states, name: str = "states") -> np.ndarray:
        """``states`` as K int64 indices in [0, S), else a :class:`TabularError` saying so."""
        arr = np.ascontiguousarray(states, dtype=np.int64)
        if arr.shape != (self.num_agents,) or (arr.size and (arr.min() < 0 or arr.max() >= self.num_states)):
            raise TabularError(
                f"{name} must be {self.num_agents} state indices in [0, {self.num_states}); got shape "
                f"{arr.shape}, range [{arr.min(initial=0)}, {arr.max(initial=0)}]. Pass one state per agent."
            )
        return arr

    def act(self, states, active: np.ndarray | None = None, explore: bool = True) -> np.ndarray:
        """One action per agent; ``explore=False`` is greedy (first of ties) and changes nothing.

        One compiled call for all K agents (:func:`qbaselines.kernels.act_all`).
        """
        states = self._states(states)
        if not explore:
            return np.argmax(self.q[self._agents, states], axis=1)
        c = self.config
        return _kernels().act_all(
            self.q,
            states,
            np.ascontiguousarray(self.active_mask(active)),
            self._next_actions,
            self._pending_states,
            self._pending_actions,
            c.exploration == "noisy_argmax",
            self._eps(),
            c.noise_scale,
            self.episode,
            *self._draws(3),
        )

    def observe(self, rewards, next_states, terminated, truncated, active: np.ndarray | None = None) -> None:
        """TD update of each active agent's last (state, action); no bootstrap after ``terminated``.

        One compiled call for all K agents (:func:`qbaselines.kernels.observe_all`).
        """
        c = self.config
        r = np.ascontiguousarray(check_rewards(rewards), dtype=np.float64)
        next_states = self._states(next_states, "next_states")
        flags = [
            np.ascontiguousarray(np.broadcast_to(f, (self.num_agents,)), dtype=bool) for f in (terminated, truncated)
        ]
        agent = (self._pending_states, self._pending_actions, self._next_actions, self.episode)
        rules = (c.sarsa, c.exploration == "noisy_argmax", c.gamma, c.learning_rate, c.noise_scale)
        active = np.ascontiguousarray(self.active_mask(active))
        _kernels().observe_all(self.q, r, next_states, *flags, active, agent, rules, (self._eps(), *self._draws(3)))

    def run_tabular(
        self,
        vec,
        log,
        *,
        episodes: int | None = None,
        total_steps: int | None = None,
        max_steps: int | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> None:
        """Train on ``vec``'s tabular MDP in compiled code: the run of
        :func:`ps_graph.batch_train.train_batch`'s loop, each finished episode written into ``log``.

        ``vec`` is a fresh seeded :class:`~ps_graph.tabular.VectorMDP` (not reset; its ``rng``
        gives the environment's uniforms, in blocks), ``log`` an
        :class:`~ps_graph.batch_train.EpisodeLog`. Each agent runs ``episodes`` episodes or
        ``total_steps`` steps (exactly one; a step budget that ends mid-episode truncates it,
        and it is recorded); ``max_steps`` cuts episodes sooner (truncated); ``progress(n)``,
        if given, is called between chunks with the episodes (or steps) newly finished.

        Agent k draws the same stream as in the loop, so on a deterministic MDP the actions,
        Q tables and returns are the loop's exactly; the environment's uniforms come in
        another order, so on a stochastic MDP the two agree in distribution.

        >>> from ps_graph.batch_train import EpisodeLog
        >>> from ps_graph.tabular import VectorMDP, from_id
        >>> mdp = from_id("FrozenLake-v1", is_slippery=False)
        >>> agents = BatchedQLearning.for_mdp(mdp, 4, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0)
        >>> log = EpisodeLog(4, 300)
        >>> agents.run_tabular(VectorMDP(mdp, 4, seed=0), log, episodes=300, max_steps=99)
        >>> log.counts.tolist(), float(log.returns[:, -50:].mean())
        ([300, 300, 300, 300], 1.0)
        """
        from ps_graph.training import check_budget

        episodes, total_steps, max_steps = check_budget(episodes, total_steps, max_steps)
        kernels, k = _kernels(), self.num_agents
        noisy = self.config.exploration == "noisy_argmax"
        width, widest = 256, int(np.clip(RUN_BLOCK_VALUES // k, 256, 1024))  # values per agent drawn ahead
        env = self._tabular_env(vec, log)
        env_u, env_pos = np.empty((k, 0)), np.zeros(k, np.int64)  # the environment's uniforms
        walk = (np.zeros(k, np.int64), np.ones(k, bool), np.zeros(k, np.int64), np.zeros(k), np.zeros(k, np.int64))
        budget = tuple(-1 if b is None else b for b in (episodes, total_steps, max_steps))
        agent = (self._pending_states, self._pending_actions, self._next_actions, self.episode)
        c, used = self.config, walk[4]
        rules = (c.sarsa, noisy, c.gamma, c.learning_rate, c.noise_scale)
        goal, counter = (budget[0], log.counts) if episodes is not None else (budget[1], used)
        done = int(counter.sum())
        while (running := counter < goal).any():
            log.ensure(max(0, goal - int(log.counts.max())) if episodes is not None else width // 2 + 1)
            env_u, env_pos = _refill(kernels, vec.rng, env_u, env_pos, width)
            table, low = self._eps_table(width // 2 + 2)
            draws = self._draws(width, running)  # refills the agents that drew, widens to width
            run_env = (*env[:5], env_u, env_pos, env[5])
            kernels.run_agents(self.q, agent, rules, draws, table, low, run_env, walk, budget, _log_arrays(log))
            count = int(counter.sum())
            if progress is not None and count > done:
                progress(count - done)
            done, width = count, min(2 * width, widest)  # short runs draw little ahead, long ones more

    def _tabular_env(self, vec, log) -> tuple:
        """``(cdf, next_states, rewards, terminated, initial_cdf, time limit or -1)`` of ``vec``'s
        MDP for the kernels, once ``vec`` and ``log`` are checked (the kernels check no index)."""
        from ps_graph.kernels import tabular_arrays

        mdp, k = vec.mdp, self.num_agents
        if (mdp.num_states, mdp.num_actions) != (self.num_states, self.num_actions):
            raise TabularError(
                f"the MDP has {mdp.num_states} states and {mdp.num_actions} actions, the agents "
                f"{self.num_states} and {self.num_actions}. Build the agents with BatchedQLearning.for_mdp(mdp, ...)."
            )
        if log.counts.shape != (k,) or log.returns.shape[0] != k:
            raise TabularError(
                f"log must record {k} agents; got an EpisodeLog for {len(log.counts)}. Pass EpisodeLog({k})."
            )
        cdf, initial_cdf = tabular_arrays(vec)
        arrays = [np.ascontiguousarray(a) for a in (mdp.next_states, mdp.rewards, mdp.terminated)]
        limit = -1 if mdp.max_episode_steps is None else int(mdp.max_episode_steps)
        return (cdf, *arrays, initial_cdf, limit)

    def _eps_table(self, ahead: int) -> tuple[np.ndarray, int]:
        """Epsilon of the episodes from the agents' lowest count to ``ahead`` past their highest,
        and that lowest count (noisy argmax: one zero)."""
        if self.config.exploration == "noisy_argmax":
            return np.zeros(1), 0
        low = int(self.episode.min())
        episodes = np.arange(low, int(self.episode.max()) + ahead)
        return np.ascontiguousarray(self._epsilon(episodes), dtype=np.float64), low

    def policy(self) -> np.ndarray:
        """Each agent's greedy policy as one-hot probabilities, shape (K, S, A)."""
        return np.eye(self.num_actions)[np.argmax(self.q, axis=2)]

    def __repr__(self) -> str:
        sizes = f"agents={self.num_agents}, states={self.num_states}, actions={self.num_actions}"
        return f"BatchedQLearning({sizes}, {self.config})"
