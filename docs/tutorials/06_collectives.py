# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Collectives: marching locusts
#
# Can collective motion emerge from individuals that each learn to pursue their own goal? Ried,
# Müller & Briegel, *Modelling collective motion based on the principle of agency*, PLoS ONE
# **14**(2): e0212044 (2019), give every locust of a swarm its own PS agent and reward it only
# for moving with its neighbours. This notebook trains such collectives with `ps_graph`'s loop
# for several agents in one world, `train_multi`, and measures the alignment that emerges.
# (`examples/locusts.py` runs the paper's setting at full size.)
#
# **The world** (`ps_graph.envs.locusts.Locusts`, a PettingZoo AEC environment, as in the paper's
# reference code): $N = 20$ locusts on a ring of 200 sites, each with a speed $v_i = \pm 1$.
# Locust $i$ sees the net flow of its neighbours (the others within 5 sites) relative to its own
# direction,
#
# $$f_i = v_i \sum_{j \ne i,\ |x_j - x_i| \le 5} v_j, \qquad \text{percept } s_i = \mathrm{clip}(f_i, -2, 2) + 2
# \in \{0, \dots, 4\},$$
#
# so $s_i = 0, 1$ means "most neighbours go the other way", 2 "no net flow or nobody near",
# 3, 4 "they go my way". It turns around (action 0) or keeps going (action 1), moves one site,
# and is rewarded $R_i = (\operatorname{sign} f_i + 1)/2$ for the flow it sees after the move.
# The locusts act in turn; a trial (episode) is 10 moves per locust from random positions and
# directions.
#
# **The agents.** Each locust is a two-layer PS agent (`TwoLayerPS`, 5 percepts x 2 actions) with
# the paper's $\gamma = 0.01$ and $\eta = 1$ (only the last decision is rewarded) and the standard
# policy $P(a \mid s) = h(s,a) / \sum_b h(s,b)$, learning $h \leftarrow h - \gamma (h - 1) + g R$
# from its own reward only. Nothing in the model rewards the swarm as a whole.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from ps_graph import TwoLayerPS, train_multi
from ps_graph.envs.locusts import Locusts
from ps_graph.inspection.plots import mean_and_ci

start = time.perf_counter()
WORLD = {"num_agents": 20, "world_size": 200, "sensory_range": 5, "steps_per_trial": 10}
PS = {"gamma_damping": 0.01, "eta_glow_damping": 1.0, "policy": "standard"}

env = Locusts(**WORLD)
env.reset(seed=0)
print(env.possible_agents[:3], "...", env.observation_space("locust_0"), env.action_space("locust_0"))

# %% [markdown]
# ## Training a collective
#
# `train_multi(agents, env, episodes)` takes a dict of agents keyed by the env's agent names and
# runs the AEC loop: each agent acts at its turn and receives its reward at its next turn
# (`env.last()`), then `observe`s it like in the single-agent `train`. It returns a `MultiResult`
# with every agent's `TrainResult` and the mean reward per step of each trial. We train 8
# independent collectives of 20 locusts, each with its own seeds.


# %%
def collective(index, trials=100):
    """Train one collective; return its agents and its MultiResult."""
    env = Locusts(**WORLD)
    agents = {
        name: TwoLayerPS(2, env.observation_space(name), seed=1000 * index + i, **PS)
        for i, name in enumerate(env.possible_agents)
    }
    return agents, train_multi(agents, env, episodes=trials, seed=index)


collectives = [collective(c) for c in range(8)]
curves = np.array([result.mean_reward_per_step for _, result in collectives])
print(curves.shape, f"first trial {curves[:, 0].mean():.3f}, last 10 trials {curves[:, -10:].mean():.3f}")

# %%
mean, half = mean_and_ci(curves)
trial = np.arange(1, curves.shape[1] + 1)
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
ax.plot(trial, mean, label="PS locusts, 8 collectives of 20")
ax.fill_between(trial, mean - half, mean + half, alpha=0.2)
ax.axhline(0.5, color="grey", ls=":", label="no net flow (0.5)")
ax.set(xlabel="trial (10 moves per locust)", ylabel="mean reward per step", title="Learning to align")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## What each locust learned
#
# Every agent's policy is five numbers, $P(\text{keep going} \mid s)$. Averaged over the 160
# locusts:

# %%
policies = np.array(
    [[[agent.action_probabilities(s)[1] for s in range(5)] for agent in agents.values()] for agents, _ in collectives]
).reshape(-1, 5)
labels = ["against (-2)", "against (-1)", "none (0)", "with (+1)", "with (+2)"]
for label, p, spread in zip(labels, policies.mean(axis=0), policies.std(axis=0)):
    print(f"flow {label:13s} P(keep going) = {p:.2f} +- {spread:.2f}")

# %% [markdown]
# The individual rule that emerges is the one collective-motion models postulate: *turn when
# your neighbours go the other way, keep going when they go your way*. Nothing forces a locust
# to learn it; it is simply what its own reward favours.
#
# ## The emergent order
#
# Does this local rule order the swarm as a whole? The classic order parameter of collective
# motion is the global alignment
#
# $$\varphi = \frac{1}{N}\Bigl|\sum_{i=1}^N v_i\Bigr| \in [0, 1],$$
#
# 0 for a disordered swarm (of order $1/\sqrt N \approx 0.2$ for random directions) and 1 for a
# swarm all marching one way (`env.order_parameter()`). We let each trained collective march for 300 moves per locust
# from random initial conditions, acting with its learned policy (no more learning), and
# record $\varphi$ after every round of moves; the same for untrained locusts, which keep going
# with probability 1/2.


# %%
def march(keep_going, rounds=300, seed=0):
    """phi after each round of moves of a collective acting with P(keep going | s) = keep_going[i, s]."""
    env = Locusts(**{**WORLD, "steps_per_trial": rounds})
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    phi = []
    for name in env.agent_iter():
        observation, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        i = env.possible_agents.index(name)
        env.step(int(rng.random() < keep_going[i, observation]))
        if i == WORLD["num_agents"] - 1:
            phi.append(env.order_parameter())
    return np.array(phi)


trained = np.array([march(p, seed=100 + c) for c, p in enumerate(policies.reshape(8, 20, 5))])
untrained = np.array([march(np.full((20, 5), 0.5), seed=100 + c) for c in range(8)])

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for phi, label in ((trained, "trained"), (untrained, "untrained")):
    m, h = mean_and_ci(phi)
    left.plot(m, label=f"{label} (mean of 8 collectives)")
    left.fill_between(np.arange(len(m)), m - h, m + h, alpha=0.2)
    right.hist(phi[:, 100:].ravel(), bins=np.arange(-0.05, 1.1, 0.1), alpha=0.6, density=True, label=label)
left.set(xlabel="round (one move per locust)", ylabel="order parameter phi", ylim=(0, 1))
left.legend()
right.set(xlabel="phi (rounds 100-300)", ylabel="density", title="distribution of the order parameter")
right.legend()
plt.show()
print(f"mean phi over rounds 100-300: trained {trained[:, 100:].mean():.2f}, untrained {untrained[:, 100:].mean():.2f}")

# %% [markdown]
# The trained collectives order: starting from $\varphi \approx 0.2$, local groups align and
# merge as they meet on the ring, and over rounds 100-300 the mean order parameter is about
# twice that of untrained locusts, whose $\varphi$ stays at the random level. Its distribution is
# broad and reaches 1 (the whole swarm marching one way): each locust still turns at random now
# and then, groups going opposite ways meet, and a collective switches direction from time to
# time. (With $N = 20$, $\varphi$ takes the values $0, 0.1, \dots, 1$.) The ring mirrors the
# annular arena of the marching-locust experiments of Buhl et al., Science **312**, 1402 (2006),
# where bands likewise switch direction.
#
# **Other collectives.** `train_multi` runs any PettingZoo AEC environment and any agents that
# speak `act` / `observe` (graph `PSAgent`s, `TwoLayerPS`, `qbaselines.QLearningAgent`), each
# learning from its own reward; its `callback` (for example
# `ps_graph.StopWhenMeanReturn(last=10, at_least=...)` on the agents' mean return) stops
# training early.

# %%
print(f"this notebook ran in {time.perf_counter() - start:.0f} s")
