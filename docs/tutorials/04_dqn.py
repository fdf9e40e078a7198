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
# # 4. DQN on CartPole and on the blog's CliffWalking
#
# Tabular agents (Q-learning, two-layer PS) keep one number per (state, action); they need
# a finite state space and cannot transfer between states. A deep Q-network (DQN)
# approximates $Q(s, a)$ with a neural network $Q_\theta$ whose input is the state and whose
# outputs are the values of all actions. It is trained on the Bellman target
#
# $$y = r + \gamma\,(1 - d)\,\max_{a'} Q_{\bar\theta}(s', a'), \qquad
#   L(\theta) = \tfrac12\,\bigl(y - Q_\theta(s, a)\bigr)^2 ,$$
#
# with $d = 1$ when $s'$ is terminal, and three stabilizers: an *experience replay* buffer
# (minibatches drawn at random from past transitions, which breaks their correlation), a
# *target network* $Q_{\bar\theta}$ (a copy of $Q_\theta$ synchronized every few steps, so the
# target does not move with every update), and $\varepsilon$-greedy exploration with
# $\varepsilon$ decaying from 1.
#
# `qbaselines.DQNAgent` is this agent with Stable-Baselines3's hyperparameter names. It speaks
# the same `act` / `observe` protocol as the PS agents, so it runs through the same
# `ps_graph.train` loop. On CPU it uses one torch thread (`torch_threads=1`, the default and
# the fastest for small networks).

# %%
# %matplotlib inline
import gymnasium as gym

import ps_graph
from ps_graph.envs.wrappers import CliffWalkingBlogReward
from ps_graph.inspection.plots import plot_learning_curves
from qbaselines import DQNAgent
from qbaselines.presets import CARTPOLE_ZOO, CLIFFWALKING_BLOG

# %% [markdown]
# ## CartPole
#
# CartPole's state is four real numbers (cart position and velocity, pole angle and angular
# velocity); the agent pushes left or right and gets +1 per step until the pole falls or 500
# steps pass. `CARTPOLE_ZOO` holds the rl-baselines3-zoo settings (50,000 steps, two hidden
# layers of 256): 128 gradient steps on batches of 64 every 256 steps, the target network
# copied every 10 steps, $\varepsilon$ from 1 to 0.04 over the first 16 % of training.
#
# To stay within a minute here we keep those settings but use two hidden layers of 64 and
# 20,000 steps, for two seeds; `examples/cartpole_dqn.py` runs the full setting.

# %%
print(CARTPOLE_ZOO)
settings = {**CARTPOLE_ZOO, "net_arch": [64, 64], "torch_threads": 1}
steps = 20_000
cartpole = {}
for seed in (0, 1):
    env = gym.make("CartPole-v1")
    agent = DQNAgent.for_env(env, total_timesteps=steps, seed=seed, **settings)
    cartpole[seed] = ps_graph.train(agent, env, total_steps=steps, seed=seed)
    test = ps_graph.evaluate(agent, gym.make("CartPole-v1"), episodes=10, seed=10_000 + seed)
    print(f"seed {seed}: {cartpole[seed].episodes} training episodes, greedy test return {test.returns.mean():.1f}")

# %% [markdown]
# `evaluate` runs the greedy policy (`act(obs, explore=False)`), learning nothing; it can
# disagree with the training returns below, which are earned while exploring and while the
# network still moves. The two seeds can end far apart: DQN on CartPole is known to be seed-sensitive (with the full zoo
# setting, 5 of 10 seeds reach a test return of 475 or more, about as many as with
# Stable-Baselines3 itself). The return per training episode, smoothed over 10 episodes:

# %%
plot_learning_curves(
    {f"DQN, seed {s}": [r] for s, r in cartpole.items()},
    window=10,
    panels=("reward",),
    x="steps",
    title="CartPole-v1: DQN, 20,000 steps",
)

# %% [markdown]
# ## The blog's CliffWalking
#
# The blog trains a DQN on CliffWalking (4 x 12 cells, start bottom left, goal bottom right,
# the cliff between them) with its own reward processing, which `CliffWalkingBlogReward`
# reproduces as a gymnasium wrapper: stepping off the cliff ends the episode with reward 0,
# the goal gives 1, every other step 0; episodes are cut at 100 steps. States are one-hot
# inputs. `CLIFFWALKING_BLOG` holds its settings: one hidden layer of 48 units, learning rate
# $10^{-3}$, $\gamma = 0.9$, the target network synced every 10 steps, a replay memory of
# 1,000 transitions, batches of 32, $\varepsilon$ decaying linearly to 0.


# %%
def cliff():
    return CliffWalkingBlogReward(gym.make("CliffWalking-v1", max_episode_steps=100))


print(CLIFFWALKING_BLOG)
steps = 8_000
dqn = DQNAgent.for_env(cliff(), total_timesteps=steps, seed=0, **CLIFFWALKING_BLOG)
dqn_result = ps_graph.train(dqn, cliff(), total_steps=steps, seed=0)

# %% [markdown]
# ## The same task, the same loop, a PS agent
#
# The reward is sparse and comes only at the goal: the setting glow was made for. A
# two-layer PS agent with $\eta = 0.1$ (the reward reaches back about $1/\eta = 10$ steps)
# trains through the same `train` call with the same budget. A fall costs nothing, so with
# the standard policy $h / \sum h$ the agent keeps stepping off the cliff until the good
# edges are far above $h_0 = 1$; the softmax policy $P(a \mid s) \propto e^{\beta h(s,a)}$ with
# $\beta = 3$ turns a few rewards into a sharp preference.

# %%
ps = ps_graph.TwoLayerPS.for_env(
    cliff(), gamma_damping=0.0, eta_glow_damping=0.1, policy="softmax", beta_softmax=3.0, seed=0
)
ps_result = ps_graph.train(ps, cliff(), total_steps=steps, seed=0)

for name, agent, result in (("DQN", dqn, dqn_result), ("PS", ps, ps_result)):
    test = ps_graph.evaluate(agent, cliff(), episodes=100, seed=1)
    print(
        f"{name:4s} {result.episodes} training episodes in {result.wall_time:.1f} s; greedy policy: "
        f"goal in {int((test.returns == 1).sum())} of 100 test episodes, {test.lengths.mean():.0f} steps"
    )

# %% [markdown]
# Both greedy policies reach the goal every time. The shortest path, along the cliff, is 13
# steps: DQN's discount ($\gamma = 0.9$) makes a shorter path worth more, while PS's update is
# undiscounted (any path that reaches the goal is rewarded alike, within the glow's reach),
# so its greedy path may take a detour away from the edge. Against environment steps (the
# fair axis, since episodes differ in length), the success per training episode, smoothed
# over 20 episodes:

# %%
plot_learning_curves(
    {"DQN": [dqn_result], "PS (softmax, beta = 3, eta = 0.1)": [ps_result]},
    window=20,
    x="steps",
    title="CliffWalking with the blog's rewards",
)

# %% [markdown]
# A DQN costs a gradient step per environment step here, a PS step a few table updates:
# compare the wall times above. The tabular agents need a finite state space; DQN's network
# is what makes CartPole's continuous states tractable.
