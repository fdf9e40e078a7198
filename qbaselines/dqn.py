"""DQN (and double DQN) speaking the ps_graph agent protocol; torch is imported on use.

Hyperparameter names follow Stable-Baselines3 so settings carry over. The TD target is
``r + gamma (1 - terminated) max_a' Q_target(s', a')`` (double DQN: the online network
picks a', the target network values it); after ``truncated`` it still bootstraps.

Example
-------
>>> import gymnasium as gym, ps_graph
>>> from qbaselines import DQNAgent
>>> env = gym.make("CartPole-v1")
>>> agent = DQNAgent.for_env(env, learning_starts=100, total_timesteps=500, seed=0)
>>> ps_graph.train(agent, env, total_steps=500, seed=0).steps
500
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ps_graph.checks import check_int, check_reward, make_config
from ps_graph.errors import ConfigError, PSGraphError, RewardError
from ps_graph.percepts import action_list

from .base import DiscreteActionAgent
from .dqn_inputs import describe_space, observation_encoder
from .dqn_step import GradientStep
from .dqnconfig import MAX_GRADIENT_STEPS, DQNConfig, check_memory
from .replay import ReplayBuffer
from .rules import td_target
from .schedules import exponential_schedule, linear_schedule

__all__ = ["DQNAgent", "DQNConfig", "bootstrap_values", "describe_space", "observation_encoder"]


def bootstrap_values(next_q_target, gamma: float, rewards, terminated, next_q_online=None):
    """TD targets for a batch: ``r + gamma (1 - terminated) Q_target(s', a*)`` with
    ``a* = argmax Q_target(s', .)``, or ``argmax Q_online(s', .)`` for double DQN."""
    if isinstance(next_q_target, np.ndarray):
        best = (next_q_target if next_q_online is None else next_q_online).argmax(1)
        next_value = np.take_along_axis(next_q_target, best[:, None], 1)[:, 0]
    else:  # torch tensors
        best = (next_q_target if next_q_online is None else next_q_online).argmax(1)
        next_value = next_q_target.gather(1, best.unsqueeze(1)).squeeze(1)
    return td_target(rewards, next_value, gamma, terminated)


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise PSGraphError(
            "DQNAgent needs torch: pip install torch==2.13.0 (the CPU build), or pip install 'ps_graph[torch]'."
        ) from exc
    return torch


def _mlp(torch, sizes: list[int]):
    layers = []
    for i in range(len(sizes) - 1):  # the layout layer_shapes describes
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Rows of next observations per target-network pass in a training round.
TARGET_CHUNK = 512


class DQNAgent(DiscreteActionAgent):
    """Deep Q-network agent (Mnih et al. 2015), optionally double DQN (van Hasselt et al. 2016).

    Parameters
    ----------
    actions : gymnasium.spaces.Discrete (or int)
    observation_space : gymnasium.spaces.Space
    config : DQNConfig, or the hyperparameters as keywords
    """

    def __init__(
        self, actions, observation_space: spaces.Space, *, config: DQNConfig | None = None, **hyperparameters: Any
    ) -> None:
        torch = _torch()
        self.config = c = make_config(DQNConfig, config, hyperparameters, "DQN")
        self.actions = action_list(actions)
        self.observation_space = observation_space
        self.obs_dim, self.encode = observation_encoder(observation_space)
        check_memory(c, self.obs_dim, len(self.actions))
        if c.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("device='cuda' but torch sees no CUDA device; use device='cpu' or 'auto'.")
        self.device = torch.device(
            "cuda" if c.device == "cuda" or (c.device == "auto" and torch.cuda.is_available()) else "cpu"
        )
        if self.device.type == "cpu" and c.torch_threads:
            torch.set_num_threads(min(c.torch_threads, os.cpu_count() or 1))
        self.rng = np.random.default_rng(c.seed)
        sizes = [self.obs_dim, *c.net_arch, len(self.actions)]
        with torch.random.fork_rng(devices=[]):  # seeded init that leaves torch's global RNG as it was
            torch.manual_seed(int(self.rng.integers(2**62)))
            self.q_net = _mlp(torch, sizes).to(self.device)
        self.target_net = _mlp(torch, sizes).to(self.device)
        self.target_net.load_state_dict(self.q_net.state_dict())
        self._step = GradientStep(torch, self.q_net, batch_size=c.batch_size, loss=c.loss)
        try:  # the fused CPU/CUDA kernel is the cheapest Adam step for these small MLPs
            self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=c.learning_rate, fused=True)
        except (RuntimeError, TypeError):  # pragma: no cover - older torch or unsupported device
            self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=c.learning_rate)
        self._np_layers: list[tuple[np.ndarray, np.ndarray]] | None = None  # CPU copy for acting
        self._pairs = list(zip(self.target_net.parameters(), self.q_net.parameters()))
        self.buffer = ReplayBuffer(c.buffer_size, self.obs_dim)
        if c.exploration_schedule == "linear":
            self._eps = linear_schedule(
                c.exploration_initial_eps, c.exploration_final_eps, c.exploration_fraction * c.total_timesteps
            )
        else:
            self._eps = exponential_schedule(
                c.exploration_initial_eps, c.exploration_final_eps, c.exploration_decay_steps
            )
        self.num_timesteps = 0
        self.num_updates = 0
        self._pending: tuple[np.ndarray, int] | None = None
        self._torch = torch

    @property
    def epsilon(self) -> float:
        """Current exploration rate of the epsilon-greedy schedule (over env steps)."""
        return float(self._eps(self.num_timesteps))

    def q_values(self, observation) -> np.ndarray:
        """Q(s, .) of one observation from the online network.

        Acting needs one small forward pass per step; a numpy copy of the weights (refreshed
        after every training round) does it without torch's per-call overhead.
        """
        return self._forward(self.encode(observation))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        """Q-values of the encoded observation ``x``."""
        if self._np_layers is None:
            linear = [m for m in self.q_net if isinstance(m, self._torch.nn.Linear)]
            self._np_layers = [
                (m.weight.detach().cpu().numpy().T.copy(), m.bias.detach().cpu().numpy().copy()) for m in linear
            ]
        last = len(self._np_layers) - 1
        for i, (w, b) in enumerate(self._np_layers):
            x = x @ w + b
            if i < last:
                x = np.maximum(x, 0.0)
        return x

    def act(self, observation, explore: bool = True):
        """Epsilon-greedy action; ``explore=False`` is greedy and changes nothing.

        As in Stable-Baselines3, the first ``learning_starts`` steps act uniformly at random
        (the network is untrained and only fills the buffer)."""
        if not explore:
            return self.actions[int(np.argmax(self.q_values(observation)))]
        obs = self.encode(observation)
        if self.num_timesteps < self.config.learning_starts or self.rng.random() < self.epsilon:
            a = int(self.rng.integers(len(self.actions)))
        else:
            a = int(np.argmax(self._forward(obs)))
        self._pending = (obs, a)
        return self.actions[a]

    def observe(self, reward, next_observation, terminated: bool, truncated: bool) -> None:
        """Store the transition; train every ``train_freq`` steps after ``learning_starts``."""
        if self._pending is None:
            return
        reward = check_reward(reward)
        if abs(reward) > _FLOAT32_MAX:
            raise RewardError(
                f"reward {reward!r} does not fit DQN's float32 replay buffer (|reward| <= {_FLOAT32_MAX:.3g}); "
                "scale the rewards down."
            )
        next_obs = self.encode(next_observation)
        obs, a = self._pending
        self._pending = None
        self.buffer.add(obs, a, reward, next_obs, terminated)
        self.num_timesteps += 1
        c = self.config
        if self.num_timesteps > c.learning_starts and self.num_timesteps % c.train_freq == 0 and c.gradient_steps:
            self.train_round(c.gradient_steps)
        if self.num_timesteps % c.target_update_interval == 0:
            self._update_target()

    def _update_target(self) -> None:
        tau = self.config.tau
        with self._torch.no_grad():
            for t, s in self._pairs:
                if tau == 1.0:
                    t.copy_(s)
                else:
                    t.mul_(1.0 - tau).add_(s, alpha=tau)

    def update(self) -> float:
        """One gradient step on a sampled batch; returns the loss."""
        return self.train_round(1)

    def train_round(self, gradient_steps: int) -> float:
        """``gradient_steps`` gradient steps, each on its own sampled batch; returns the last loss (NaN if none).

        The target network does not change during a round, so (for plain DQN) the targets of
        all the round's batches come from one pass (:meth:`_round_targets`). Each step is
        :class:`~qbaselines.dqn_step.GradientStep` (the gradients autograd would give), global
        norm clipping and Adam. A loss that overflows (inf or NaN: the network diverged) raises
        :class:`~ps_graph.errors.PSGraphError` rather than spreading NaN through the weights.
        """
        torch, c = self._torch, self.config
        gradient_steps = check_int("gradient_steps", gradient_steps, 0, MAX_GRADIENT_STEPS)
        if len(self.buffer) == 0:
            return float("nan")
        obs, actions, rewards, next_obs, terminated = (
            torch.as_tensor(x, device=self.device) for x in self.buffer.sample(gradient_steps * c.batch_size, self.rng)
        )
        actions = actions.unsqueeze(1)
        loss_fn = torch.nn.functional.smooth_l1_loss if c.loss == "huber" else torch.nn.functional.mse_loss
        loss = None
        with torch.no_grad():
            targets = None if c.double_dqn else self._round_targets(next_obs, rewards, terminated)
            for g in range(gradient_steps):
                part = slice(g * c.batch_size, (g + 1) * c.batch_size)
                if targets is None:  # double DQN: the online network, which changes every step, picks a'
                    target = bootstrap_values(
                        self.target_net(next_obs[part]),
                        c.gamma,
                        rewards[part],
                        terminated[part],
                        self.q_net(next_obs[part]),
                    )
                else:
                    target = targets[part]
                q = self._step(obs[part], actions[part], target)
                self._step.clip_grad_norm(c.max_grad_norm)
                self.optimizer.step()
            if gradient_steps:
                loss = loss_fn(q, target)
        self.num_updates += gradient_steps
        self._np_layers = None
        if loss is None:  # gradient_steps == 0: no step, no loss (as with an empty buffer)
            return float("nan")
        value = float(loss.item())
        if not math.isfinite(value):
            raise PSGraphError(
                f"DQN's loss is {value} at update {self.num_updates}: the network diverged (its Q-values overflow "
                "float32). Lower learning_rate, scale the rewards down, or use loss='huber'."
            )
        return value

    def _round_targets(self, next_obs, rewards, terminated):
        """The TD targets of a whole round's samples from the target network, in chunks of
        :data:`TARGET_CHUNK` rows (each row's value does not depend on the chunking; chunks
        keep the hidden activations in cache instead of allocating them for every sample)."""
        targets = self._torch.empty_like(rewards)
        for start in range(0, len(rewards), TARGET_CHUNK):
            part = slice(start, start + TARGET_CHUNK)
            next_q = self.target_net(next_obs[part])
            targets[part] = bootstrap_values(next_q, self.config.gamma, rewards[part], terminated[part])
        return targets

    # ------------------------------------------------------------------ files
    def save(self, path) -> Path:
        """Write weights (torch state dicts), hyperparameters, spaces (JSON) and counters
        atomically; see :mod:`qbaselines.dqn_files` for the layout.

        The file loads with ``torch.load(weights_only=True)``: it holds tensors, strings and
        numbers only, never code.
        """
        from .dqn_files import save_agent

        return save_agent(self, path)

    @classmethod
    def load(cls, path, env=None, *, actions=None, observation_space=None) -> DQNAgent:
        """Load a saved agent for ``env`` (or the given spaces). Every field and tensor is
        checked before it reaches the agent; a file that is not a saved DQNAgent (including
        pickles that would run code), a damaged one, or one saved for an env with other spaces
        raises :class:`~ps_graph.errors.FileFormatError` naming the file and the problem.
        The replay buffer and optimizer state are not saved: a loaded agent acts identically
        and can keep learning from a fresh buffer."""
        from .dqn_files import load_agent

        if env is not None:
            actions, observation_space = env.action_space, env.observation_space
        if actions is None or observation_space is None:
            raise ConfigError(
                "DQNAgent.load needs the env the agent was trained on (or actions= and observation_space=): "
                "DQNAgent.load(path, env)."
            )
        return load_agent(cls, _torch(), path, actions, observation_space)

    def __repr__(self) -> str:
        return f"DQNAgent({self.config}, device={self.device})"
