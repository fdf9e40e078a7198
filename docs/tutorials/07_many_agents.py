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
# # 7. Many agents at once, many seeds on a cluster
#
# A PS learning curve is a statement about a *distribution*: the figures of the PS papers
# average ensembles of independent agents (from the invasion game of Briegel & De las Cuevas,
# Sci. Rep. **2**, 400 (2012) on), and a comparison of two agents is only as good as its
# statistics over seeds. This notebook shows the two ways `ps_graph` runs
# many agents:
#
# 1. **in lockstep**: K agents as one batched agent on K copies of the environment, one
#    compiled call per step for all of them (`gym.make_vec`, `BatchedTwoLayerPS`,
#    `BatchedQLearning`, `train_batch`);
# 2. **as independent runs**: one process (or cluster worker) per run, written to disk and
#    resumable (`ps_graph.experiments.compare`, locally or on Dask), then summarized with
#    robust statistics;
#
# and how a run stops early once it has learned (`ps_graph.StopWhenMeanReturn`).

# %%
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster

import ps_graph
from ps_graph import BatchedTwoLayerPS, StopWhenMeanReturn, TwoLayerPS, train, train_batch
from ps_graph.experiments import AgentSpec, EnvSpec, compare, iqm_interval, performance_profile, summarize
from ps_graph.inspection.plots import mean_and_ci
from qbaselines import BatchedQLearning

start = time.perf_counter()

# %% [markdown]
# ## K agents in lockstep
#
# Every `ps_graph/...` environment has a native vectorized implementation: `gym.make_vec(id,
# num_envs=K, vectorization_mode="vector_entry_point")` steps K copies as numpy arrays with the
# single env's semantics (and any gymnasium env works through `vectorization_mode="sync"`,
# only slower). Here: Sutton & Barto's Dyna maze (6 x 9, reward 1 at the goal).

# %%
K = 100
envs = gym.make_vec("ps_graph/DynaMaze-v0", num_envs=K, vectorization_mode="vector_entry_point")
print(envs.num_envs, envs.single_observation_space, envs.single_action_space)

# %% [markdown]
# `BatchedTwoLayerPS` holds K two-layer PS agents as one (K, states, actions) h-table; agent k
# draws from its own random stream, the same one `TwoLayerPS(seed=s_k)` would draw, so each row
# behaves exactly like an independent agent. `qbaselines.BatchedQLearning` does the same for
# tabular Q-learning, $Q(s,a) \leftarrow Q(s,a) + \alpha\,[R + \gamma \max_b Q(s',b) - Q(s,a)]$.
# `train_batch` runs either on the vector env, each copy running its own episodes, and returns a
# `BatchResult` of (K, episodes) arrays.

# %%
ps_agents = BatchedTwoLayerPS.for_env(envs, eta_glow_damping=0.05, seed=0)
q_agents = BatchedQLearning.for_env(
    envs,
    learning_rate=0.1,
    gamma=0.95,
    exploration="epsilon_greedy",
    exploration_schedule="constant",
    exploration_initial_eps=0.1,
    exploration_final_eps=0.1,
    seed=0,
)
batch = {name: train_batch(agents, envs, episodes=100, seed=1) for name, agents in [("PS", ps_agents), ("Q", q_agents)]}
result = batch["PS"]
print(type(result).__name__, result.returns.shape, result.lengths.shape, f"{result.steps:,} steps")
print(f"{result.wall_time:.1f} s, success rate of agent 0: {result.success_rate()[0]:.2f}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
for name, res in batch.items():
    mean, half = mean_and_ci(res.lengths.astype(float))
    ax.plot(mean, label=f"{name}, mean of {K} agents")
    ax.fill_between(np.arange(len(mean)), mean - half, mean + half, alpha=0.2)
ax.axhline(14, color="grey", ls=":", label="shortest path (14 steps)")
ax.set(yscale="log", xlabel="episode", ylabel="steps to the goal", title="Dyna maze, 100 agents each")
ax.legend()
plt.show()

# %% [markdown]
# Q-learning with a constant $\varepsilon = 0.1$ settles near the shortest path; the PS agents
# (standard policy, no forgetting) keep a stochastic policy $h / \sum h$ and still wander after 100
# episodes. `examples/dyna_maze.py` compares several $\eta$ and the softmax policy.
#
# ### How much faster?
#
# The same PS agents one at a time (`TwoLayerPS` through `train`, a Python loop per step)
# against 1,000 agents in lockstep, in environment steps per second (the compiled kernels were
# loaded above, so neither number includes compilation):

# %%
single = gym.make("ps_graph/DynaMaze-v0")
tic, steps = time.perf_counter(), 0
for k in range(10):
    agent = TwoLayerPS.for_env(single, eta_glow_damping=0.05, seed=k)
    steps += int(train(agent, single, episodes=20, seed=k).lengths.sum())
one_at_a_time = steps / (time.perf_counter() - tic)

many = gym.make_vec("ps_graph/DynaMaze-v0", num_envs=1000, vectorization_mode="vector_entry_point")
lockstep = train_batch(BatchedTwoLayerPS.for_env(many, eta_glow_damping=0.05, seed=0), many, episodes=20, seed=1)
print(f"one at a time: {one_at_a_time:,.0f} steps/s")
print(
    f"1,000 in lockstep: {lockstep.steps / lockstep.wall_time:,.0f} steps/s "
    f"({lockstep.steps / lockstep.wall_time / one_at_a_time:.0f}x)"
)
envs.close()
many.close()

# %% [markdown]
# ## Many seeds: compare
#
# Lockstep needs a batched agent; `compare` runs *any* agent kind (`"ps"`, `"ps-fast"`, `"q"`,
# `"dqn"`, or your own) on any environments for many seeds. Run $i$ of every agent uses the same
# seed (common random numbers), every run is written to its own folder as it finishes, and
# calling `compare` again skips finished runs. The course's exercise, FrozenLake (not slippery),
# with 200 episodes so that the runs are still spread out; first 20 runs on the local cores
# (joblib's loky processes):

# %%
AGENTS = [
    AgentSpec("ps-fast", {"eta_glow_damping": 0.04}, name="PS"),
    AgentSpec("q", {"learning_rate": 0.8, "gamma": 0.9, "exploration": "noisy_argmax"}, name="Q"),
]
LAKE = EnvSpec("FrozenLake-v1", {"is_slippery": False}, name="lake")
BUDGET = {"episodes": 200, "max_steps": 99, "seed": 0, "progress": False}

folder = tempfile.TemporaryDirectory()
out = Path(folder.name) / "lake"
tic = time.perf_counter()
results = compare(AGENTS, LAKE, out, runs=20, jobs=2, backend="loky", **BUDGET)
print(f"{sum(len(r) for r in results.values())} runs in {time.perf_counter() - tic:.1f} s:", sorted(results))

# %% [markdown]
# ### On a Dask cluster
#
# The same call runs on a Dask cluster when given a `distributed.Client` (or an address,
# `scheduler="tcp://host:8786"`, as `ps-graph compare --scheduler` does). Workers only compute
# and send each run's arrays back; this process writes the files, so the cluster needs no shared
# filesystem. Asking for 40 runs in the same folder computes only the 20 new ones.
#
# Here the cluster is a `LocalCluster` of 2 workers that are threads of this process
# (`processes=False`), which keeps this page runnable as a plain script; on a real cluster the
# workers are processes on other machines and nothing else changes. (`compare(...,
# backend="dask")` without a client starts a temporary local cluster of worker *processes*; from
# a script, guard it with `if __name__ == "__main__":`, as multiprocessing requires.)

# %%
tic = time.perf_counter()
with (
    LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
    Client(cluster) as client,
):
    results = compare(AGENTS, LAKE, out, runs=40, scheduler=client, **BUDGET)
print(f"{len(results['PS', 'lake'])} runs per agent, 20 new ones in {time.perf_counter() - tic:.1f} s")

# %% [markdown]
# ## Robust statistics over seeds
#
# With few runs and skewed scores, the mean and its normal interval mislead. Agarwal et al.,
# *Deep Reinforcement Learning at the Edge of the Statistical Precipice*, NeurIPS 2021, recommend
# the **interquartile mean** (IQM), the mean of the middle 50 % of the runs' scores,
#
# $$\mathrm{IQM}(x_1, \dots, x_n) = \frac{1}{n/2} \sum_{i=n/4+1}^{3n/4} x_{(i)} ,$$
#
# with a percentile interval from the **stratified bootstrap** (runs resampled with replacement
# within each task), and **performance profiles**: the fraction of runs whose score exceeds
# $\tau$, for every $\tau$. `summarize` reports the IQM and its 95 % bootstrap interval beside the
# mean; here a run's score is its success rate over its last 50 episodes.

# %%
for row in summarize(results, last=50):
    print(
        f"{row.agent}: mean {row.final_mean:.3f} +- {row.final_ci:.3f}, "
        f"IQM {row.iqm:.3f} [{row.iqm_low:.3f}, {row.iqm_high:.3f}] over {row.runs} runs"
    )

# %% [markdown]
# The same from the scores directly: `iqm_interval` (one list of scores per task; with several
# environments the bootstrap is stratified over them) and `performance_profile`, both built on
# `scipy.stats.bootstrap` and seeded.

# %%
scores = {name: [run.returns[-50:].mean() for run in runs] for (name, _), runs in results.items()}
taus = np.linspace(0, 1, 41)
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
for name, values in scores.items():
    point, low, high = iqm_interval([values], seed=0)
    profile = performance_profile([values], taus, seed=0, resamples=500)
    ax.plot(taus, profile.fraction, label=f"{name}: IQM {point:.2f} [{low:.2f}, {high:.2f}]")
    ax.fill_between(taus, profile.low, profile.high, alpha=0.2)
ax.set(xlabel=r"score $\tau$ (success rate, last 50 episodes)", ylabel=r"fraction of runs with score > $\tau$")
ax.set_title("Performance profiles, 40 runs each, 95 % bootstrap bands")
ax.legend()
plt.show()
folder.cleanup()

# %% [markdown]
# ## Early stopping
#
# Every train loop takes a `callback`; returning `ps_graph.STOP` (or raising
# `ps_graph.StopTraining`) ends the run after the current episode, and the result keeps the
# episodes completed and says why (`result.stopped`). `StopWhenMeanReturn(last=N, at_least=X)`
# is the usual rule: stop once the mean return over the last N episodes is at least X. In
# `train_batch` it must hold for every one of the K agents.

# %%
lake = gym.make("FrozenLake-v1", is_slippery=False)
agent = TwoLayerPS.for_env(lake, eta_glow_damping=0.04, seed=0)
rule = StopWhenMeanReturn(last=50, at_least=0.95)
run = train(agent, lake, episodes=5000, seed=0, max_steps=99, callback=rule)
print(f"train: {run.episodes} of 5000 episodes; stopped because {run.stopped}")

invasion = gym.make_vec("ps_graph/InvasionGame-v0", num_envs=100, vectorization_mode="vector_entry_point")
agents = BatchedTwoLayerPS.for_env(invasion, eta_glow_damping=1.0, seed=0)
runs = train_batch(agents, invasion, episodes=5000, seed=0, callback=StopWhenMeanReturn(last=20, at_least=0.9))
invasion.close()
print(f"train_batch: {runs.episode_counts.min()}-{runs.episode_counts.max()} of 5000 trials; {runs.stopped}")

# %% [markdown]
# The rule is an ordinary object, so a project can write its own (a subclass of
# `ps_graph.stopping.StoppingRule` with a `done(history)` method) and pass it to `train`,
# `train_batch`, `train_multi` or `compare`'s runs (`ps_graph.experiments.run_spec(...,
# stop=...)`); `ps-graph tune` uses the same mechanism to prune poor trials.

# %%
print(f"this notebook ran in {time.perf_counter() - start:.0f} s (ps_graph {ps_graph.__version__})")
