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
# # 3. Hidden clips and generalization
#
# A two-layer PS agent learns each percept separately: a percept it has never seen starts at
# $h_0$ everywhere, so it cannot transfer anything. Hidden clips between percepts and actions
# change that. A walk can hop percept $\to$ hidden clip $\to$ action, and a hidden clip shared
# by many percepts learns from all of them.
#
# In `ps_graph` hidden clips are grown by a *growth rule* passed as `PSAgent(..., growth=rule)`:
# any object with `on_percept(agent, clip)` (called when a percept clip is created) and,
# optionally, `after_reward(agent, reward)`. This notebook uses the two built-in rules:
# `Generalization` (wildcard clips, Melnikov et al., Sci. Rep. 2017) and `Conjunctions`
# (multi-excitation PS with a k-body cutoff, LeMaitre, Krumm & Briegel, arXiv:2402.10192).

# %%
# %matplotlib inline
import gymnasium as gym
import numpy as np
from matplotlib.figure import Figure

import ps_graph
from ps_graph import PSAgent, action_clip
from ps_graph.envs import NeverEndingColourGame
from ps_graph.growth import Conjunctions, Generalization
from ps_graph.inspection.plots import mean_and_ci

# %% [markdown]
# ## Wildcard clips
#
# Under `Generalization`, percepts are tuples of categorical features. When a new percept
# arrives, every pattern in which it agrees with a stored percept (agreeing components kept,
# the others replaced by the wildcard `#`) becomes a hidden clip, unless it exists. Each
# percept is wired to the actions and to the wildcard clips that match it; a wildcard clip
# to the more general clips that match it and to the actions.

# %%
rule = Generalization()
agent = PSAgent(2, growth=rule, seed=0)  # two actions
for percept in [(0, 0), (0, 1), (1, 1)]:
    agent.percept(percept)  # creates the percept clip; the rule grows the wildcards
print([agent.ecm.label(w) for w in rule.wildcards])
ps_graph.draw_ecm(agent)

# %% [markdown]
# ## The never-ending colour game
#
# Each trial shows an arrow, (direction, colour), and the agent must go that direction
# (reward 1). The colour is new in every trial, so no percept ever repeats: a two-layer
# agent stays at chance, $1/n$ for $n$ directions.
#
# With generalization a fresh percept $(d, c)$ agrees with earlier percepts only in its
# direction, so it is wired with $h_0$ to the $n$ actions and to one wildcard clip $(d, \#)$.
# The walk goes to the right action directly with probability $1/(n+1)$ and to $(d, \#)$ with
# probability $1/(n+1)$. That clip sees every arrow of direction $d$; with $\gamma = 0$ its
# edge to the right action grows without bound, so from $(d,\#)$ the walk ends right with a
# probability that tends to 1, and
#
# $$P(\text{success}) \to \frac{2}{n+1} = \frac{2}{3} \quad (n = 2).$$
#
# We measure the exact success probability before each trial, through the hidden layer
# (`agent.ecm.action_probabilities(clip)` solves the walk as an absorbing Markov chain),
# for 40 agents of each kind, with the authors' settings $\gamma = 0$, $\eta = 1$.


# %%
def play(growth, trials, seed):
    """One agent: its exact success probability before each trial, and the agent."""
    env = NeverEndingColourGame(num_directions=2)
    agent = PSAgent.for_env(env, growth=growth, gamma_damping=0.0, eta_glow_damping=1.0, seed=seed)
    exact = np.zeros(trials)
    obs, info = env.reset(seed=seed)
    for t in range(trials):
        clip = agent.percept(obs)  # created (and grown) here, as act() would do
        exact[t] = agent.ecm.action_probabilities(clip).get(action_clip(info["correct_action"]), 0.0)
        obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
        agent.observe(reward, obs, terminated, truncated)
        obs, info = env.reset()
    return exact, agent


kinds = {"PS with generalization": Generalization, "two-layer PS": lambda: None}
curves = {name: np.stack([play(make(), 200, seed)[0] for seed in range(40)]) for name, make in kinds.items()}


def plot_colour_game(curves):
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    for (name, data), limit in zip(curves.items(), (2 / 3, 1 / 2)):
        mean, half = mean_and_ci(data)
        (line,) = ax.plot(mean, label=f"{name} ({len(data)} agents)")
        ax.fill_between(np.arange(len(mean)), mean - half, mean + half, color=line.get_color(), alpha=0.2)
        ax.axhline(limit, color=line.get_color(), linestyle="--", linewidth=1)
    ax.set(xlabel="trial", ylabel="exact success probability", title="Never-ending colour game")
    ax.legend()
    return fig


plot_colour_game(curves)

# %% [markdown]
# ## Reading a generalizing agent
#
# `explain` follows the walk through the hidden layer. On the last arrow one agent saw, the
# most probable walks show the two routes: straight to an action, or through $(d, \#)$.

# %%
_, agent = play(Generalization(), 200, seed=0)
last = agent.ecm.clips("percept")[-1]
print(ps_graph.explain(agent, last, k=4))

# %% [markdown]
# The ECM grows one percept clip per trial, but only $n = 2$ wildcard clips: every fresh
# colour agrees with earlier percepts only in its direction.

# %%
{kind: len(agent.ecm.clips(kind)) for kind in ("percept", "hidden", "action")}

# %% [markdown]
# ## Multi-excitation and conjunction clips
#
# In the *invasion game with distraction* a percept has three features, each in 0..9; the
# right door (of two) is $(x_0 + x_1) \bmod 2$, and $x_2$ is a distraction. Reward +1 for the
# right door, -10 for the wrong one: chance is $-4.5$ per round.
#
# A multi-excitation agent (`percepts="factorized"`) excites one percept clip per
# (feature, value). With `growth=Conjunctions(k)` every combination of $k$ excited features
# gets a conjunction clip such as `x0=3 & x1=4`, created when first excited and wired to every
# door; one decision picks one edge among all excited conjunction clips' edges with the
# softmax $P \propto e^{\beta h}$, and that edge learns $h \leftarrow h + R$ (the source's
# settings: $\beta = 1$, $\eta = 1$, $\gamma = 0$).
#
# The door is a parity of two features: no single feature says anything about it, so $k = 1$
# stays at chance. $k = 2$ has the right conjunctions, $(x_0, x_1)$, among the three pairs it
# excites. $k = 3$ can also express the rule, but each triple is seen ten times more rarely,
# so it learns later (in the paper's source, $k = 2$ first reaches 0.9 per round after about
# 1,700 rounds and $k = 3$ after 5,300; here 3 agents per $k$ play 3,000 rounds). With
# $k = 1$ the deciders are the feature clips themselves, so no hidden clip grows.

# %%
MEPS = {"percepts": "factorized", "policy": "softmax", "beta_softmax": 1.0, "eta_glow_damping": 1.0}
rounds, window = 3000, 100
meps = {}
for k in (1, 2, 3):
    runs = []
    for seed in range(3):
        env = gym.make("ps_graph/InvasionWithDistraction-v0")
        agent = PSAgent.for_env(env, growth=Conjunctions(k), gamma_damping=0.0, seed=seed, **MEPS)
        returns = ps_graph.train(agent, env, episodes=rounds, seed=100 + seed).returns  # one round per episode
        runs.append(returns.reshape(-1, window).mean(axis=1))
    meps[k] = np.array(runs)
    print(f"k = {k}: {len(agent.ecm.clips('hidden'))} hidden clips, last window {meps[k][:, -1].mean():.2f}")


def plot_meps(meps):
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    x = window * np.arange(1, rounds // window + 1)
    for k, data in meps.items():
        ax.plot(x, data.mean(axis=0), marker=".", label=f"k = {k} ({len(data)} agents)")
    ax.axhline(-4.5, color="grey", linestyle=":", label="chance")
    ax.set(xlabel="round", ylabel=f"mean reward per {window} rounds", title="Invasion game with distraction")
    ax.legend()
    return fig


plot_meps(meps)

# %% [markdown]
# `explain` on a factorized agent says which conjunction clips decide and how much of the
# decision each one takes (the last $k = 3$ agent, on one percept):

# %%
print(ps_graph.explain(agent, [3, 4, 0]))
