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
# # 5. Learning to reset and learning to forage
#
# Two recent lines of PS research ask an agent to learn a *search strategy*: when to give up and
# start again (resetting), and when to change direction (foraging). In both, the agent's only
# percept is a **counter** $n$, the number of steps since its last decision point, so the learned
# policy $P(a \mid n)$ is directly a strategy that can be compared with the analytical ones.
#
# * Muñoz-Gil, Briegel & Caraglio, *Learning to reset in target search problems*,
#   arXiv:2503.11330 (2025).
# * Muñoz-Gil, López-Incera, Fiderer & Briegel, *Optimal foraging strategies can be learned*,
#   New J. Phys. **26**, 013010 (2024).
#
# The settings follow the foraging tutorials of `qic-ibk/projective_simulation`
# (`examples/learning_to_reset.py` and `examples/foraging.py` run the full experiments; here
# the budgets are 4 to 20 times smaller, so that the notebook runs in under a minute).
#
# **The agent.** A two-layer PS agent: percept clip $n$ is linked to each action $a$ with an
# h-value $h(n,a)$; it acts with $P(a \mid n) = h(n,a) / \sum_b h(n,b)$. Each step the glow
# decays, $g \leftarrow (1-\eta)\,g$, the edge just used *accumulates* glow, $g(n,a) \leftarrow
# g(n,a) + 1$ (`glow="accumulate"`), and with the reward $R$ (1 for a target found, else 0)
#
# $$h \leftarrow h - \gamma\,(h - h_0) + g\,R .$$
#
# The rewards are rare and come many steps after the decisions that earned them, so $\eta$ is
# small and the glow of a whole excursion is rewarded at once.

# %%
import time

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np

from ps_graph import BatchedTwoLayerPS, train_batch
from ps_graph.envs.strategies import (
    efficiency,
    exponential_reset,
    levy_turning,
    sharp_reset,
    sharp_turn_reset,
)
from ps_graph.inspection.plots import mean_and_ci, moving_average

start = time.perf_counter()

# %% [markdown]
# ## Resetting in one dimension
#
# `ps_graph/Reset1D-v0`: a walker starts at $x = 0$ and diffuses, $x_{t+1} = x_t + \sqrt{2D}\,\xi_t$
# with $\xi_t \sim \mathcal N(0, 1)$ and $D = 0.5$; a target sits at $L = 5$. Each step the agent
# either continues (action 0) or resets to $x = 0$ (action 1). Reaching $x \ge L$ gives $R = 1$ and
# starts the walker again at 0. The observation is the counter $n$ of steps since the last reset
# or target, and at $n = 2000$ the walker is reset whatever it chooses.
#
# Without resetting, the mean time to reach the target is infinite; resetting cuts off the long
# unlucky excursions. The two classic strategies are **sharp** resetting (reset exactly at time
# $\tau$, i.e. $P(\text{reset} \mid n) = [n = \tau - 1]$) and **exponential** resetting (a constant
# rate $r$, $P(\text{reset} \mid n) = r$). A strategy is a table indexed by the counter, the same
# observation the agent sees; `efficiency` simulates many walkers of it at once.

# %%
WORLD_1D = {"diffusion": 0.5, "distance": 5.0, "max_counter": 2000}
STEPS_1D = 2000  # steps per episode (the papers use 10,000)

scan = {"walkers": 500, "steps": STEPS_1D, "seed": 0, **WORLD_1D}
taus = np.arange(10, 61, 5)
rates = np.logspace(-2.5, -1.0, 7)
sharp = [efficiency("Reset1D", sharp_reset(int(t)), **scan).per_step for t in taus]
expo = [efficiency("Reset1D", exponential_reset(float(r)), **scan).per_step for r in rates]
best_sharp, best_expo = max(sharp), max(expo)
print(f"best sharp reset: tau = {taus[np.argmax(sharp)]}, {best_sharp:.4f} targets per step")
print(f"best exponential: rate = {rates[np.argmax(expo)]:.3f}, {best_expo:.4f} targets per step")

# %% [markdown]
# Now 50 PS agents, with the paper's $\gamma = 3\cdot 10^{-6}$, $\eta = 0.12$ and accumulating
# glow, every $h$ starting at 1 (reset probability 1/2 at every counter). They are one
# `BatchedTwoLayerPS`, trained in lockstep by `train_batch` on the native vector env (one walker
# per agent) that `gym.make_vec` builds for any `ps_graph/...` id.

# %%
envs = gym.make_vec(
    "ps_graph/Reset1D-v0",
    num_envs=50,
    vectorization_mode="vector_entry_point",
    episode_steps=STEPS_1D,
    **WORLD_1D,
)
resetters = BatchedTwoLayerPS.for_env(envs, gamma_damping=3e-6, eta_glow_damping=0.12, glow="accumulate", seed=0)
result = train_batch(resetters, envs, episodes=60, seed=1)
envs.close()
curves = result.returns / STEPS_1D  # targets per step, shape (agents, episodes)
print(result.returns.shape, f"{result.wall_time:.1f} s")

# %% [markdown]
# `agents.policy()` gives every agent's exact action probabilities, shape (agents, counters,
# actions); column 1 is the learned reset probability $P(\text{reset} \mid n)$.

# %%
reset_prob = resetters.policy()[:, :61, 1]

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
mean, half = mean_and_ci(curves)
left.plot(mean, label="PS, mean of 50 agents")
left.fill_between(np.arange(len(mean)), mean - half, mean + half, alpha=0.2)
left.axhline(best_sharp, color="k", ls="--", label="best sharp reset")
left.axhline(best_expo, color="k", ls=":", label="best exponential reset")
left.set(xlabel="episode", ylabel="targets per step", title="Reset 1D: learning")
left.legend()
low, high = np.quantile(reset_prob, [0.1, 0.9], axis=0)
right.plot(reset_prob.mean(axis=0), label="mean over agents")
right.fill_between(np.arange(61), low, high, alpha=0.2, label="10-90 % of agents")
right.axvline(taus[np.argmax(sharp)] - 1, color="k", ls="--", label="best sharp reset time")
right.set(xlabel="counter n (steps since reset or target)", ylabel="P(reset | n)", title="learned policy")
right.legend()
plt.show()

# %% [markdown]
# The agents learn the shape of a sharp reset: they almost never reset a few steps after a
# restart (a walker near the origin may still reach the target), and the reset probability rises
# from near 0 at $n \approx 5$ to about 1/2 at $n \approx 25$, just before the best sharp reset
# time. Counters beyond are rarely visited and keep their initial 1/2. With this small budget
# (60 episodes of 2,000 steps) they pass neither reference; `examples/learning_to_reset.py`
# trains 190 agents for 60 episodes of 10,000 steps and passes the exponential reset (about 105
# against 101 targets per episode).
#
# **Two dimensions.** `ps_graph/Reset2D-v0` is the same in the plane with a target disc, and
# `ps_graph/TurnReset2D-v0` lets a walker of unit steps continue, turn or reset, with two
# counters (since the last turn, since the last reset). Its fixed baseline turns at one counter
# and resets at another; the agents and the loop above run on it unchanged.

# %%
turn_reset = efficiency("TurnReset2D", sharp_turn_reset(7, 8), walkers=500, steps=2000, seed=0)
print(f"TurnReset2D, turn at 7 and reset at 8: {turn_reset.per_step:.4f} targets per step")
print(gym.make("ps_graph/TurnReset2D-v0").observation_space)

# %% [markdown]
# ## Foraging
#
# `ps_graph/Foraging-v0`: 100 targets of radius 0.5 in a periodic box of side 100. The forager
# makes unit steps; each step it continues (action 0) or turns to a new uniformly random direction
# (action 1). A step passing within the radius of a target finds it ($R = 1$) and the forager is
# kicked a distance 1 away (non-destructive targets). The counter $n$ counts steps since the last
# turn, so a turning policy $P(\text{turn} \mid n)$ *is* a distribution of run (step) lengths
#
# $$\Pr(\ell = n + 1) = P(\text{turn} \mid n) \prod_{m < n} \bigl(1 - P(\text{turn} \mid m)\bigr).$$
#
# The paper's references are Lévy walks, $\Pr(\ell) \propto \ell^{-1-\beta}$, and bi-exponential
# walks. As in the tutorial, the agents start almost straight: a per-edge initial h of 0.99 for
# continue and 0.01 for turn (`initial_h`, one row per counter), $\gamma = 10^{-5}$, $\eta = 0.1$.

# %%
WORLD_F = {"num_targets": 100, "size": 100.0, "radius": 0.5, "cutoff": 1.0, "max_counter": 1000}
STEPS_F = 200
initial_h = np.tile([0.99, 0.01], (WORLD_F["max_counter"] + 1, 1))

envs = gym.make_vec(
    "ps_graph/Foraging-v0", num_envs=10, vectorization_mode="vector_entry_point", episode_steps=STEPS_F, **WORLD_F
)
foragers = BatchedTwoLayerPS.for_env(
    envs, gamma_damping=1e-5, eta_glow_damping=0.1, glow="accumulate", initial_h=initial_h, seed=0
)
forage = train_batch(foragers, envs, episodes=300, seed=1)
envs.close()
per_step = forage.returns / STEPS_F
levy = {
    b: efficiency("Foraging", levy_turning(b, 1000), walkers=100, steps=2000, seed=0, **WORLD_F).per_step
    for b in (0.3, 0.6, 1.0)
}
print(f"foragers: first 50 episodes {per_step[:, :50].mean():.4f}, last 50 {per_step[:, -50:].mean():.4f}")
print("Lévy walks (beta: targets per step):", {b: round(v, 4) for b, v in levy.items()})


# %% [markdown]
# The learned turning probabilities, read as a distribution of step lengths. The survival
# function $\Pr(\ell > n) = \prod_{m \le n} \bigl(1 - P(\text{turn} \mid m)\bigr)$ is the smooth
# way to compare it with the initial policy (geometric, mean 100) and a Lévy walk:


# %%
def survival(turn):
    """Pr(step length > n) for n = 1, 2, ... from the turning probability by counter n = 0, 1, ..."""
    return np.cumprod(1 - turn, axis=-1)


n = np.arange(1, 201)
learned = survival(foragers.policy()[:, :200, 1])

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
mean, half = mean_and_ci(moving_average(per_step, 25))
left.plot(mean, label="PS, 10 foragers (moving average of 25)")
left.fill_between(np.arange(len(mean)), mean - half, mean + half, alpha=0.2)
for (b, v), ls in zip(levy.items(), ("--", ":", "-.")):
    left.axhline(v, color="k", ls=ls, lw=0.8, label=f"Lévy walk, beta = {b}")
left.set(xlabel="episode", ylabel="targets per step", title="Foraging: learning")
left.legend(fontsize=8)
right.loglog(n, learned.mean(axis=0), label="learned (mean over agents)")
right.fill_between(n, *np.quantile(learned, [0.1, 0.9], axis=0), alpha=0.2, label="10-90 % of agents")
right.loglog(n, survival(initial_h[:200, 1]), ls="--", label="initial (turn 0.01)")
right.loglog(n, survival(levy_turning(0.6, 1000)[:200, 1]), ls=":", label="Lévy, beta = 0.6")
right.set(xlabel="step length n", ylabel="Pr(step length > n)", title="step-length distribution")
right.legend(fontsize=8)
plt.show()

# %% [markdown]
# With 300 episodes of 200 steps (the paper trains 12,000 episodes of 20,000 steps) the foragers
# improve only a little, from about 0.0114 to 0.012 targets per step, and stay below the Lévy
# walks measured here (0.0123-0.0128). What they learn first is to turn *less*: continuing is
# what every rewarded excursion reinforced, so the turning probability at short counters falls
# and the mean survival curve lies above the initial one. `examples/foraging.py` runs the
# tutorial's 1,200 episodes.

# %%
print(f"this notebook ran in {time.perf_counter() - start:.0f} s")
