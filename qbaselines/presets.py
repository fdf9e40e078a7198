"""Published DQN settings, written once for the examples, the benchmarks and the docs.

Each preset is a plain dict of :class:`~qbaselines.DQNConfig` fields (SB3's names), to pass
as keywords: ``DQNAgent.for_env(env, total_timesteps=50_000, **CARTPOLE_ZOO)``.

* :data:`CARTPOLE_ZOO`: rl-baselines3-zoo's tuned DQN for CartPole-v1 (``hyperparams/dqn.yml``):
  learning rate 2.3e-3, batch 64, buffer 100,000, learning_starts 1,000, gamma 0.99, the target
  network copied every 10 steps, 128 gradient steps every 256 steps, epsilon 1 -> 0.04 over the
  first 16 % of training, two hidden layers of 256.
* :data:`CLIFFWALKING_BLOG`: the course blog's DQN on CliffWalking
  (``../shared/seeds/blog_dqn_cliffwalking.txt``): one hidden layer of 48 units, learning rate
  1e-3, discount 0.9, the target network synced every 10 steps, a replay memory of 1,000
  transitions, batches of 32 from step 200, one update per step, epsilon decaying linearly to 0
  over 60 % of training.

>>> from qbaselines import DQNConfig
>>> DQNConfig(**CARTPOLE_ZOO).net_arch, DQNConfig(**CLIFFWALKING_BLOG).net_arch
((256, 256), (48,))
"""

from __future__ import annotations

from typing import Any

__all__ = ["CARTPOLE_ZOO", "CLIFFWALKING_BLOG"]

CARTPOLE_ZOO: dict[str, Any] = {
    "learning_rate": 2.3e-3,
    "batch_size": 64,
    "buffer_size": 100_000,
    "learning_starts": 1_000,
    "gamma": 0.99,
    "target_update_interval": 10,
    "train_freq": 256,
    "gradient_steps": 128,
    "exploration_fraction": 0.16,
    "exploration_final_eps": 0.04,
    "net_arch": [256, 256],
}

CLIFFWALKING_BLOG: dict[str, Any] = {
    "net_arch": [48],
    "learning_rate": 1e-3,
    "gamma": 0.9,
    "target_update_interval": 10,
    "buffer_size": 1_000,
    "batch_size": 32,
    "learning_starts": 200,
    "train_freq": 1,
    "gradient_steps": 1,
    "exploration_fraction": 0.6,
    "exploration_final_eps": 0.0,
}
