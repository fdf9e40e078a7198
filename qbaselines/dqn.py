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

import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ps_graph.checks import check_choice, check_int, check_real, check_reward, check_seed, make_config
from ps_graph.errors import ConfigError, PSGraphError, UnsupportedSpaceError
from ps_graph.files import atomic_write_bytes
from ps_graph.percepts import action_list

from .base import DiscreteActionAgent
from .replay import ReplayBuffer
from .rules import td_target
from .schedules import exponential_schedule, linear_schedule

__all__ = ["DQNAgent", "DQNConfig", "bootstrap_values", "observation_encoder"]

FORMAT = "qbaselines.DQNAgent"
VERSION = 1


@dataclass(frozen=True)
class DQNConfig:
    """DQN hyperparameters (Stable-Baselines3 names and defaults, unless noted).

    learning_rate (1e-4), buffer_size (1e6), learning_starts (100), batch_size (32),
    gamma (0.99), train_freq (4 env steps), gradient_steps (1), target_update_interval
    (10,000 env steps), tau (1.0: hard copy; < 1: Polyak averaging at each update),
    exploration_fraction (0.1 of ``total_timesteps``), exploration_initial_eps (1.0),
    exploration_final_eps (0.05), exploration_schedule ("linear" as SB3, or the course's
    "exponential" with time constant ``exploration_decay_steps``), total_timesteps
    (the budget the linear schedule is laid over; SB3 takes it in ``learn``),
    net_arch ((64, 64)), max_grad_norm (10), loss ("huber" | "mse"), double_dqn (False),
    device ("auto" | "cpu" | "cuda"), torch_threads (1 on CPU: fastest for small MLPs;
    0 leaves torch's default), seed.
    """

    learning_rate: float = 1e-4
    buffer_size: int = 1_000_000
    learning_starts: int = 100
    batch_size: int = 32
    gamma: float = 0.99
    train_freq: int = 4
    gradient_steps: int = 1
    target_update_interval: int = 10_000
    tau: float = 1.0
    exploration_fraction: float = 0.1
    exploration_initial_eps: float = 1.0
    exploration_final_eps: float = 0.05
    exploration_schedule: str = "linear"
    exploration_decay_steps: float = 500.0
    total_timesteps: int = 100_000
    net_arch: tuple[int, ...] = (64, 64)
    max_grad_norm: float = 10.0
    loss: str = "huber"
    double_dqn: bool = False
    device: str = "auto"
    torch_threads: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        fix = object.__setattr__
        fix(self, "learning_rate", check_real("learning_rate", self.learning_rate, 0.0, low_open=True))
        for name, low in (
            ("buffer_size", 1),
            ("learning_starts", 0),
            ("batch_size", 1),
            ("train_freq", 1),
            ("gradient_steps", 0),
            ("target_update_interval", 1),
            ("total_timesteps", 1),
            ("torch_threads", 0),
        ):
            fix(self, name, check_int(name, getattr(self, name), low))
        fix(self, "gamma", check_real("gamma", self.gamma, 0.0, 1.0))
        fix(self, "tau", check_real("tau", self.tau, 0.0, 1.0, low_open=True))
        fix(self, "exploration_fraction", check_real("exploration_fraction", self.exploration_fraction, 0.0, 1.0))
        for name in ("exploration_initial_eps", "exploration_final_eps"):
            fix(self, name, check_real(name, getattr(self, name), 0.0, 1.0))
        check_choice("exploration_schedule", self.exploration_schedule, ("linear", "exponential"))
        fix(self, "exploration_decay_steps", check_real("exploration_decay_steps", self.exploration_decay_steps, 0.0))
        arch = tuple(self.net_arch) if isinstance(self.net_arch, (list, tuple)) else None
        if not arch or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in arch):
            raise ConfigError(
                f"net_arch must be a non-empty list of positive layer widths, e.g. [64, 64]; got {self.net_arch!r}."
            )
        fix(self, "net_arch", arch)
        fix(self, "max_grad_norm", check_real("max_grad_norm", self.max_grad_norm, 0.0, low_open=True))
        check_choice("loss", self.loss, ("huber", "mse"))
        if not isinstance(self.double_dqn, (bool, np.bool_)):
            raise ConfigError(f"double_dqn must be True or False; got {self.double_dqn!r}.")
        fix(self, "double_dqn", bool(self.double_dqn))
        check_choice("device", self.device, ("auto", "cpu", "cuda"))
        fix(self, "seed", check_seed("seed", self.seed))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["net_arch"] = list(self.net_arch)
        return d


def observation_encoder(space: spaces.Space):
    """(size, encode): observations as flat float32 vectors. Box is cast, Discrete is
    one-hot (the blog's ``state_to_dqn_input``), MultiDiscrete / Tuple / Dict are flattened
    with gymnasium's space utilities (one-hot for their discrete parts)."""
    if isinstance(space, spaces.Box):
        size = int(np.prod(space.shape))
        return size, lambda obs: np.asarray(obs, dtype=np.float32).reshape(size)
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary, spaces.Tuple, spaces.Dict)):
        size = int(spaces.flatdim(space))
        return size, lambda obs: np.asarray(spaces.flatten(space, obs), dtype=np.float32)
    raise UnsupportedSpaceError(
        f"observation space {space} ({type(space).__name__}) is not supported by DQN; expected Box, Discrete, "
        "MultiDiscrete, MultiBinary, or a Tuple/Dict of those."
    )


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
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


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
        if c.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("device='cuda' but torch sees no CUDA device; use device='cpu' or 'auto'.")
        self.device = torch.device(
            "cuda" if c.device == "cuda" or (c.device == "auto" and torch.cuda.is_available()) else "cpu"
        )
        if self.device.type == "cpu" and c.torch_threads:
            torch.set_num_threads(c.torch_threads)
        self.rng = np.random.default_rng(c.seed)
        sizes = [self.obs_dim, *c.net_arch, len(self.actions)]
        with torch.random.fork_rng(devices=[]):  # seeded init that leaves torch's global RNG as it was
            torch.manual_seed(int(self.rng.integers(2**62)))
            self.q_net = _mlp(torch, sizes).to(self.device)
        self.target_net = _mlp(torch, sizes).to(self.device)
        self.target_net.load_state_dict(self.q_net.state_dict())
        try:  # the fused CPU/CUDA kernel is the cheapest Adam step for these small MLPs
            self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=c.learning_rate, fused=True)
        except (RuntimeError, TypeError):  # pragma: no cover - older torch or unsupported device
            self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=c.learning_rate)
        self._np_layers: list[tuple[np.ndarray, np.ndarray]] | None = None  # CPU copy for acting
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
        if self._np_layers is None:
            linear = [m for m in self.q_net if isinstance(m, self._torch.nn.Linear)]
            self._np_layers = [
                (m.weight.detach().cpu().numpy().T.copy(), m.bias.detach().cpu().numpy().copy()) for m in linear
            ]
        x = self.encode(observation)
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
            a = int(np.argmax(self.q_values(observation)))
        self._pending = (obs, a)
        return self.actions[a]

    def observe(self, reward, next_observation, terminated: bool, truncated: bool) -> None:
        """Store the transition; train every ``train_freq`` steps after ``learning_starts``."""
        if self._pending is None:
            return
        reward = check_reward(reward)
        obs, a = self._pending
        self._pending = None
        self.buffer.add(obs, a, reward, self.encode(next_observation), terminated)
        self.num_timesteps += 1
        c = self.config
        if self.num_timesteps > c.learning_starts and self.num_timesteps % c.train_freq == 0 and c.gradient_steps:
            self.train_round(c.gradient_steps)
        if self.num_timesteps % c.target_update_interval == 0:
            self._update_target()

    def _update_target(self) -> None:
        tau = self.config.tau
        if tau == 1.0:
            self.target_net.load_state_dict(self.q_net.state_dict())
            return
        with self._torch.no_grad():
            for t, s in zip(self.target_net.parameters(), self.q_net.parameters()):
                t.mul_(1.0 - tau).add_(s, alpha=tau)

    def update(self) -> float:
        """One gradient step on a sampled batch; returns the loss."""
        return self.train_round(1)

    def train_round(self, gradient_steps: int) -> float:
        """``gradient_steps`` gradient steps, each on its own sampled batch; returns the last loss (NaN if none).

        The target network does not change during a round, so (for plain DQN) the targets of
        all the round's batches come from one forward pass.
        """
        torch, c = self._torch, self.config
        if len(self.buffer) == 0:
            return float("nan")
        obs, actions, rewards, next_obs, terminated = (
            torch.as_tensor(x, device=self.device) for x in self.buffer.sample(gradient_steps * c.batch_size, self.rng)
        )
        shape = (gradient_steps, c.batch_size)
        if not c.double_dqn:
            with torch.no_grad():
                targets = bootstrap_values(self.target_net(next_obs), c.gamma, rewards, terminated).view(shape)
        loss_fn = torch.nn.functional.smooth_l1_loss if c.loss == "huber" else torch.nn.functional.mse_loss
        obs, actions = obs.view(*shape, -1), actions.view(shape)
        loss = None
        for g in range(gradient_steps):
            if c.double_dqn:
                part = slice(g * c.batch_size, (g + 1) * c.batch_size)
                with torch.no_grad():
                    target = bootstrap_values(
                        self.target_net(next_obs[part]),
                        c.gamma,
                        rewards[part],
                        terminated[part],
                        self.q_net(next_obs[part]),
                    )
            else:
                target = targets[g]
            q = self.q_net(obs[g]).gather(1, actions[g].unsqueeze(1)).squeeze(1)
            loss = loss_fn(q, target)
            self.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.q_net.parameters(), c.max_grad_norm)
            self.optimizer.step()
        self.num_updates += gradient_steps
        self._np_layers = None
        if loss is None:  # gradient_steps == 0: no step, no loss (as with an empty buffer)
            return float("nan")
        return float(loss.item())

    # ------------------------------------------------------------------ files
    def save(self, path) -> Path:
        """Write weights (torch state dicts), hyperparameters (JSON) and counters atomically.

        The file loads with ``torch.load(weights_only=True)``: it holds tensors, strings and
        numbers only, never code.
        """
        torch = self._torch
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "config": json.dumps(self.config.to_dict()),
            "q_net": self.q_net.state_dict(),
            "target_net": self.target_net.state_dict(),
            "state": json.dumps(
                {
                    "num_timesteps": self.num_timesteps,
                    "num_updates": self.num_updates,
                    "rng": self.rng.bit_generator.state,
                }
            ),
        }
        buf = io.BytesIO()
        torch.save(payload, buf)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path, env=None, *, actions=None, observation_space=None) -> DQNAgent:
        """Load a saved agent for ``env`` (or the given spaces). Files that are not a saved
        DQNAgent, including pickles that would run code, are refused with a clear error.
        The replay buffer and optimizer state are not saved: a loaded agent acts identically
        and can keep learning from a fresh buffer."""
        torch = _torch()
        path = Path(path)
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise PSGraphError(
                f"{path} is not a saved DQNAgent (it could not be read as weights only: {type(exc).__name__}). "
                "Only files written by DQNAgent.save load; nothing in the file was executed."
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise PSGraphError(f"{path} is not a saved DQNAgent (no '{FORMAT}' format marker).")
        if payload.get("version") != VERSION:
            raise PSGraphError(
                f"{path} has format version {payload.get('version')!r}; this qbaselines reads version {VERSION}."
            )
        config = json.loads(payload["config"])
        config["net_arch"] = tuple(config["net_arch"])
        if env is not None:
            actions, observation_space = env.action_space, env.observation_space
        agent = cls(actions, observation_space, config=DQNConfig(**config))
        agent.q_net.load_state_dict(payload["q_net"])
        agent._np_layers = None
        agent.target_net.load_state_dict(payload["target_net"])
        state = json.loads(payload["state"])
        agent.num_timesteps, agent.num_updates = state["num_timesteps"], state["num_updates"]
        agent.rng.bit_generator.state = state["rng"]
        return agent

    def __repr__(self) -> str:
        return f"DQNAgent({self.config}, device={self.device})"
