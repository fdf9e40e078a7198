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
# # 1. The course exercise: PS vs Q-learning on FrozenLake
#
# The course trains two tabular agents on FrozenLake 4x4 (not slippery, at most 99 steps per
# episode, reward 1 at the goal): a two-layer Projective Simulation (PS) agent and Q-learning.
# This notebook starts from the course's PS agent written in numpy, shows that `ps_graph`'s
# agents make exactly the same decisions, then compares PS with Q-learning over many seeds
# and against the exact optimum.
#
# **Two-layer PS.** Percept clip $s$ is linked to every action clip $a$ by an edge with
# h-value $h(s,a)$, initially $h_0 = 1$. The agent hops from the percept to an action with
#
# $$P(a \mid s) = \frac{h(s,a)}{\sum_{b} h(s,b)} .$$
#
# Every step all glow values decay, $g \leftarrow (1-\eta)\, g$, the edge just used gets
# $g(s,a) = 1$, and after the reward $R$ every edge learns
#
# $$h \leftarrow h - \gamma\,(h - h_0) + g\,R .$$
#
# The glow $g$ carries the reward back to the earlier decisions of the episode ($\eta$ small:
# long memory); the damping $\gamma$ forgets. The course uses $\gamma = 0$, $\eta = 0.04$.

# %%
# %matplotlib inline
import tempfile

import gymnasium as gym
import numpy as np

import ps_graph
from ps_graph import BatchedTwoLayerPS, tabular, train_batch
from ps_graph.experiments import AgentSpec, EnvSpec, compare, iqm, summarize
from ps_graph.inspection.plots import plot_learning_curves
from ps_graph.report.optimum import exact_optimum
from qbaselines import BatchedQLearning, QLearningAgent

env = gym.make("FrozenLake-v1", is_slippery=False)
print(env.observation_space, env.action_space)

# %% [markdown]
# ## The textbook agent in a few lines of numpy
#
# The course's `PS_agent`, with one change: an explicit random generator, and the action drawn
# by inverting the cumulative distribution with one uniform number (this is how `ps_graph`
# draws, so both can share a random stream).


# %%
def textbook_ps(env, episodes, *, gamma=0.0, eta=0.04, seed=0, max_steps=99):
    """The course's dense PS agent and training loop; returns (h-matrix, returns)."""
    rng = np.random.default_rng(seed)
    h = np.ones((env.observation_space.n, env.action_space.n))
    returns = np.zeros(episodes)
    env.reset(seed=seed)
    for episode in range(episodes):
        s, _ = env.reset()
        g = np.zeros_like(h)  # glow resets at every episode start
        for _ in range(max_steps):
            p = h[s] / h[s].sum()
            a = min(int(np.searchsorted(np.cumsum(p), rng.random(), side="right")), len(p) - 1)
            g *= 1 - eta
            g[s, a] = 1.0
            s, r, terminated, truncated, _ = env.step(a)
            h = h - gamma * (h - 1.0) + g * r
            if terminated or truncated:
                break
        returns[episode] = r
    return h, returns


h_textbook, returns_textbook = textbook_ps(env, 300, seed=0)
print("success rate over the last 100 episodes:", returns_textbook[-100:].mean())

# %% [markdown]
# ## The same agent in ps_graph
#
# `ps_graph.PSAgent` keeps the ECM as a networkx graph; `ps_graph.TwoLayerPS` is the fast path
# for two layers (a flat h-table). Both speak `act` / `observe` and run through the one
# `ps_graph.train` loop. With the same seed they take the same actions and hold the same
# h-values as the numpy agent, although they never touch the whole matrix per step (glow and
# damping are applied lazily, when a value is read).

# %%
agents = {
    "PSAgent": ps_graph.PSAgent.for_env(env, gamma_damping=0.0, eta_glow_damping=0.04, seed=0),
    "TwoLayerPS": ps_graph.TwoLayerPS.for_env(env, gamma_damping=0.0, eta_glow_damping=0.04, seed=0),
}


def h_table(agent, num_states=16):
    """The agent's h-values as the dense matrix; h0 = 1 for states never seen (no clip yet)."""
    h = np.ones((num_states, env.action_space.n))
    for s in range(num_states):
        try:
            h[s] = list(agent.h_values(s).values())
        except ps_graph.UnknownClipError:
            pass
    return h


for name, agent in agents.items():
    result = ps_graph.train(agent, env, episodes=300, seed=0, max_steps=99)
    same_returns = np.array_equal(result.returns, returns_textbook)
    h = h_table(agent)
    print(f"{name:10s} same returns: {same_returns}, max |h - h_textbook| = {np.abs(h - h_textbook).max():.2e}")

# %% [markdown]
# (A state the agent never saw has no percept clip yet, so `h_values` raises
# `UnknownClipError` for it; the dense matrix still holds $h_0$ there.) The learned policy,
# read exactly from the h-values: arrows sized by $P(a \mid s)$ on the grid.

# %%
ps = agents["PSAgent"]
ps_graph.plot_policy_map(ps, env)

# %% [markdown]
# ## Q-learning, through the same loop
#
# The course's Q-learning updates
#
# $$Q(s,a) \leftarrow Q(s,a) + \alpha\,\bigl[r + \gamma \max_{a'} Q(s',a') - Q(s,a)\bigr]$$
#
# with $\alpha = 0.8$, $\gamma = 0.9$, and explores with a noisy argmax,
# $a = \arg\max_a \bigl[Q(s,a) + \xi_a/(n+1)\bigr]$, $\xi_a \sim \mathcal N(0,1)$ in episode $n$.
# `qbaselines.QLearningAgent` is that agent (the learning rate is called `learning_rate`).

# %%
q = QLearningAgent.for_env(env, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0)
q_result = ps_graph.train(q, env, episodes=300, seed=0, max_steps=99)
print("Q-learning success rate, last 100 episodes:", q_result.success_rate(last=100))
print("greedy return after training:", ps_graph.evaluate(q, env, episodes=1).returns[0])

# %% [markdown]
# ## Learning curves over 30 seeds
#
# One run says little. `BatchedTwoLayerPS` and `BatchedQLearning` train K agents in lockstep
# (agent k draws the same random stream as the single agent with its seed); on a tabular MDP
# (`ps_graph.tabular`, built from the environment's own transition table) the whole run is
# one compiled loop, so the course's 30 runs x 500 episodes take milliseconds.

# %%
mdp = tabular.from_id("FrozenLake-v1", is_slippery=False)
batched = {
    "PS (eta=0.04)": BatchedTwoLayerPS.for_mdp(mdp, 30, gamma_damping=0.0, eta_glow_damping=0.04, seed=0),
    "Q-learning": BatchedQLearning.for_mdp(mdp, 30, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0),
}
curves = {name: train_batch(a, mdp, episodes=500, seed=0, max_steps=99).runs() for name, a in batched.items()}
plot_learning_curves(curves, window=10, title="FrozenLake 4x4: mean of 30 runs, 95 % band")

# %% [markdown]
# Both reach the goal in nearly every episode after about 350 episodes. They differ in the
# path: Q-learning's noise shrinks as $1/(n+1)$ and its discounted values ($\gamma = 0.9$)
# prefer the shortest path, 6 steps. PS stays stochastic, $P(a \mid s) \propto h(s,a)$, and
# with $\eta = 0.04$ the glow rewards every decision of the last $\sim 1/\eta = 25$ steps
# almost equally, so detours are reinforced too: about 9 steps per episode.
#
# ## The exact optimum
#
# FrozenLake ships its transition table, so the best possible expected return within the
# 99-step limit is computed exactly by backward induction; `tabular.evaluate_policy` scores
# any stationary policy $\pi(a \mid s)$ exactly too, with no sampling. For PS,
# `agents.policy()` gives each agent's hopping probabilities (the policy it acts with while
# learning); for Q-learning it gives the greedy policy. We also score PS's greedy policy,
# $\arg\max_a h(s,a)$.

# %%
best = exact_optimum(EnvSpec("FrozenLake-v1", {"is_slippery": False}), max_steps=99)
print(best.describe())


def success(policies):
    """Exact probability of reaching the goal within 99 steps, per agent."""
    return np.array([tabular.evaluate_policy(mdp, pi, horizon=99).success_probability for pi in policies])


ps_policy = batched["PS (eta=0.04)"].policy()
greedy = np.eye(mdp.num_actions)[ps_policy.argmax(axis=2)]
print(f"PS as it acts:      mean success {success(ps_policy).mean():.3f}")
print(f"PS greedy:          mean success {success(greedy).mean():.3f}")
print(f"Q-learning greedy:  mean success {success(batched['Q-learning'].policy()).mean():.3f}")

# %% [markdown]
# ## A comparison as an experiment: compare, summarize and the IQM
#
# `ps_graph.experiments.compare` runs agents (by kind name, with hyperparameters) on
# environments for many seeds, writes one folder per run (resumable) and returns the
# results; `summarize` gives per agent the final performance (mean and normal 95 %
# interval), the area under the curve, the episodes needed to reach a threshold and the
# interquartile mean (IQM: the mean of the middle 50 % of the runs, robust to a few outliers)
# with a stratified-bootstrap 95 % interval (Agarwal et al., NeurIPS 2021). Here 10 runs of
# 300 episodes, in a temporary folder.

# %%
specs = [
    AgentSpec("ps-fast", {"eta_glow_damping": 0.04}, name="ps"),
    AgentSpec("q", {"learning_rate": 0.8, "gamma": 0.9, "exploration": "noisy_argmax"}, name="q"),
]
lake = EnvSpec("FrozenLake-v1", {"is_slippery": False})
with tempfile.TemporaryDirectory() as out:
    results = compare(specs, lake, out, runs=10, episodes=300, max_steps=99, jobs=1, progress=False)
for row in summarize(results, last=50, threshold=0.9, window=10):
    print(
        f"{row.agent:3s} final {row.final_mean:.2f} +- {row.final_ci:.2f}   "
        f"IQM {row.iqm:.2f} [{row.iqm_low:.2f}, {row.iqm_high:.2f}]   AUC {row.auc:.2f}   "
        f"episodes to 0.9: {row.episodes_to_threshold}"
    )

# %% [markdown]
# `iqm` alone takes any list of per-run scores, for instance each run's mean return over its
# whole curve:

# %%
{agent: round(iqm([r.returns.mean() for r in runs]), 3) for (agent, _), runs in results.items()}

# %% [markdown]
# A comparison like this one from the shell (writing `report.html` with the curves, the table and the exact
# optimum): `ps-graph compare --env FrozenLake-v1 --set env.is_slippery=false --agents ps,q
# --runs 30 --episodes 500 --max-steps 99 --set ps.eta_glow_damping=0.04 --out results/fl`.
