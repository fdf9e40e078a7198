"""DQN's hyperparameters (:class:`DQNConfig`), their bounds, and the memory check of an agent's size.

Every bound is documented in :class:`DQNConfig` and checked when a config is built, so the
constructor, the command line (``--set dqn.batch_size=...``) and loading a file all get it.
What depends on the env (the observation size) is checked when the agent is built:
:func:`check_memory`.

>>> DQNConfig(net_arch=[64, 0])
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: net_arch[1] must be an integer >= 1 and <= 65536; got 0.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ps_graph.checks import check_bool, check_choice, check_int, check_list, check_real, check_seed, fail
from ps_graph.errors import ConfigError

from .replay import MAX_CAPACITY, ReplayBuffer

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_GRADIENT_STEPS",
    "MAX_LAYERS",
    "MAX_ROUND_SAMPLES",
    "MAX_STEPS",
    "MAX_TORCH_THREADS",
    "MAX_WIDTH",
    "MEMORY_BUDGET",
    "DQNConfig",
    "check_memory",
    "layer_shapes",
]

#: Upper bound of the step counts in a config (learning_starts, train_freq, target_update_interval,
#: total_timesteps): 10**12 env steps, more than any run takes.
MAX_STEPS = 10**12
#: Upper bound of ``batch_size``.
MAX_BATCH_SIZE = 2**16
#: Upper bound of ``gradient_steps`` (per training round).
MAX_GRADIENT_STEPS = 1_000
#: Upper bound of ``gradient_steps * batch_size``: the transitions one training round samples at once.
MAX_ROUND_SAMPLES = 2**20
#: Upper bounds of ``net_arch``: its number of hidden layers and each one's width.
MAX_LAYERS, MAX_WIDTH = 32, 2**16
#: Upper bound of ``torch_threads``; a fixed number (not the machine's core count) so that a file
#: saved on a big machine loads on a small one. The agent uses at most ``os.cpu_count()`` threads.
MAX_TORCH_THREADS = 1024
#: Bytes an agent may take (replay buffer, both networks with gradients and Adam's state, a
#: training round's sample); checked when it is built (:func:`check_memory`). Raise it for a
#: machine with more memory: ``qbaselines.dqnconfig.MEMORY_BUDGET = 64 * 2**30``.
MEMORY_BUDGET = 8 * 2**30


@dataclass(frozen=True)
class DQNConfig:
    """DQN hyperparameters (Stable-Baselines3 names and defaults, unless noted), with their bounds.

    ======================== =============================================== ===================
    field                    meaning (default)                               allowed
    ======================== =============================================== ===================
    learning_rate            Adam's step size (1e-4)                         (0, 1]
    buffer_size              replay capacity in transitions (1,000,000)      1 .. 10**8 (a)
    learning_starts          env steps acting at random before training (100) 0 .. 10**12
    batch_size               transitions per gradient step (32)              1 .. 65,536 (b)
    gamma                    discount (0.99)                                 [0, 1]
    train_freq               env steps between training rounds (4)           1 .. 10**12
    gradient_steps           gradient steps per round (1)                    0 .. 1,000 (b)
    target_update_interval   env steps between target updates (10,000)       1 .. 10**12
    tau                      1.0: hard copy; < 1: Polyak averaging (1.0)     (0, 1]
    exploration_fraction     of ``total_timesteps`` epsilon decays over (0.1) [0, 1]
    exploration_initial_eps  epsilon at step 0 (1.0)                         [0, 1]
    exploration_final_eps    epsilon at the end (0.05)                       [0, 1]
    exploration_schedule     "linear" as SB3, or the course's "exponential"  one of the two
    exploration_decay_steps  the exponential schedule's time constant (500)  finite, >= 0
    total_timesteps          the budget the linear schedule is laid over     1 .. 10**12
                             (SB3 takes it in ``learn``; 100,000)
    net_arch                 hidden layer widths ((64, 64))                  1 .. 32 layers of
                                                                             1 .. 65,536 (a)
    max_grad_norm            gradient clipping norm (10)                     finite, > 0
    loss                     "huber" or "mse" ("huber")                      one of the two
    double_dqn               double DQN targets (False)                      True or False
    device                   "auto", "cpu" or "cuda" ("auto")                one of the three
    torch_threads            CPU threads (1: fastest for small MLPs; 0       0 .. 1024; at most
                             leaves torch's default)                         os.cpu_count() used
    seed                     the agent's random stream (None: fresh)         None or int >= 0
    ======================== =============================================== ===================

    (a) the replay buffer and the networks must also fit :data:`MEMORY_BUDGET` for the env's
    observation size, checked when the agent is built (:func:`check_memory`);
    (b) ``gradient_steps * batch_size`` is at most :data:`MAX_ROUND_SAMPLES` (2**20).

    >>> DQNConfig(batch_size=10**9)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: batch_size must be an integer >= 1 and <= 65536; got 1000000000.
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
        fix(self, "learning_rate", check_real("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True))
        for name, low, high in (
            ("buffer_size", 1, MAX_CAPACITY),
            ("learning_starts", 0, MAX_STEPS),
            ("batch_size", 1, MAX_BATCH_SIZE),
            ("train_freq", 1, MAX_STEPS),
            ("gradient_steps", 0, MAX_GRADIENT_STEPS),
            ("target_update_interval", 1, MAX_STEPS),
            ("total_timesteps", 1, MAX_STEPS),
            ("torch_threads", 0, MAX_TORCH_THREADS),
        ):
            fix(self, name, check_int(name, getattr(self, name), low, high))
        if self.gradient_steps * self.batch_size > MAX_ROUND_SAMPLES:
            raise ConfigError(
                f"gradient_steps * batch_size must be <= {MAX_ROUND_SAMPLES} (the transitions a training round "
                f"samples); got {self.gradient_steps} * {self.batch_size}. Lower one of them."
            )
        fix(self, "gamma", check_real("gamma", self.gamma, 0.0, 1.0))
        fix(self, "tau", check_real("tau", self.tau, 0.0, 1.0, low_open=True))
        fix(self, "exploration_fraction", check_real("exploration_fraction", self.exploration_fraction, 0.0, 1.0))
        for name in ("exploration_initial_eps", "exploration_final_eps"):
            fix(self, name, check_real(name, getattr(self, name), 0.0, 1.0))
        check_choice("exploration_schedule", self.exploration_schedule, ("linear", "exponential"))
        fix(self, "exploration_decay_steps", check_real("exploration_decay_steps", self.exploration_decay_steps, 0.0))
        fix(self, "net_arch", _check_net_arch(self.net_arch))
        fix(self, "max_grad_norm", check_real("max_grad_norm", self.max_grad_norm, 0.0, low_open=True))
        check_choice("loss", self.loss, ("huber", "mse"))
        fix(self, "double_dqn", check_bool("double_dqn", self.double_dqn))
        check_choice("device", self.device, ("auto", "cpu", "cuda"))
        fix(self, "seed", check_seed("seed", self.seed))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["net_arch"] = list(self.net_arch)
        return d


def _check_net_arch(value) -> tuple[int, ...]:
    allowed = f"a list of 1 to {MAX_LAYERS} hidden layer widths, e.g. [64, 64]"
    arch = check_list("net_arch", list(value) if isinstance(value, tuple) else value, allowed=allowed)
    if not 1 <= len(arch) <= MAX_LAYERS:
        raise fail("net_arch", allowed, value)
    return tuple(check_int(f"net_arch[{i}]", w, 1, MAX_WIDTH) for i, w in enumerate(arch))


def layer_shapes(sizes: list[int]) -> dict[str, tuple[int, ...]]:
    """The state dict's tensor shapes of the MLP with layer ``sizes`` (inputs, hidden..., actions):
    a Linear layer every second module (a ReLU between), ``"0.weight"`` of shape (width, inputs).

    >>> layer_shapes([16, 8, 4])
    {'0.weight': (8, 16), '0.bias': (8,), '2.weight': (4, 8), '2.bias': (4,)}
    """
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        shapes[f"{2 * i}.weight"], shapes[f"{2 * i}.bias"] = (fan_out, fan_in), (fan_out,)
    return shapes


def check_memory(config: DQNConfig, obs_dim: int, num_actions: int) -> int:
    """The bytes an agent of ``config`` takes for observations of ``obs_dim`` floats and
    ``num_actions`` actions; raises :class:`~ps_graph.errors.ConfigError` over :data:`MEMORY_BUDGET`.

    >>> check_memory(DQNConfig(buffer_size=10**6), 16, 4)   # FrozenLake's one-hot observations
    144114256
    >>> check_memory(DQNConfig(buffer_size=10**8), 16, 4)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: DQN needs 14,400,114,256 bytes (a replay buffer of buffer_size=100000000 ...
    """
    sizes = [obs_dim, *config.net_arch, num_actions]
    parameters = sum(math.prod(shape) for shape in layer_shapes(sizes).values())
    parts = {
        f"a replay buffer of buffer_size={config.buffer_size} transitions of {obs_dim} floats": ReplayBuffer.nbytes(
            config.buffer_size, obs_dim
        ),
        f"two networks of {parameters} parameters with gradients and Adam's state": 5 * 4 * parameters,
        "a training round's sample": 2 * 4 * obs_dim * config.gradient_steps * config.batch_size,
    }
    needed = sum(parts.values())
    if needed > MEMORY_BUDGET:
        detail = "; ".join(f"{what}: {n:,}" for what, n in parts.items())
        raise ConfigError(
            f"DQN needs {needed:,} bytes ({detail}), over MEMORY_BUDGET = {MEMORY_BUDGET:,}. Lower buffer_size (or "
            "net_arch, batch_size), or raise qbaselines.dqnconfig.MEMORY_BUDGET on a machine with more memory."
        )
    return needed
