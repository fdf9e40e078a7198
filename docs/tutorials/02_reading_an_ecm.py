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
# # 2. Reading an ECM: explain, the graph, the explorer, the timeline
#
# A PS agent's memory, the episodic and compositional memory (ECM), is a directed graph of
# clips: percept clips, optionally hidden clips, and action clips. A decision is a random walk
# from the excited percept clip that hops along edge $c_i \to c_j$ with probability
#
# $$p(c_j \mid c_i) = \frac{h(c_i, c_j)}{\sum_k h(c_i, c_k)}$$
#
# until it reaches an action clip. So everything the agent has learned is in the h-values of
# the edges, and the question "why does it do this?" has an exact answer: the distribution of
# the walk's end point. This notebook trains one agent on FrozenLake and reads it in four ways.

# %%
# %matplotlib inline
import gymnasium as gym
import networkx as nx
import numpy as np

import ps_graph
from ps_graph.inspection import show

env = gym.make("FrozenLake-v1", is_slippery=False)
agent = ps_graph.PSAgent.for_env(env, gamma_damping=0.0, eta_glow_damping=0.04, seed=0)

timeline = ps_graph.Timeline(every=10)  # a train callback: snapshots of every edge
timeline.snapshot(agent, episode=0)
result = ps_graph.train(agent, env, episodes=400, seed=0, max_steps=99, callback=timeline)
print(f"success over the last 100 episodes: {result.success_rate(last=100):.2f}; {timeline}")

# %% [markdown]
# ## Explain: the exact decision on one percept
#
# `explain(agent, observation)` solves the walk exactly (an absorbing Markov chain whose
# absorbing states are the actions, through any number of hidden layers) and lists the most
# probable walks. State 14 is the cell left of the goal.

# %%
e = ps_graph.explain(agent, 14)
print(e)

# %% [markdown]
# The text names clips by the environment's names: an agent made with `for_env` carries
# `agent.labels` (FrozenLake's cells and LEFT / DOWN / RIGHT / UP), which the explanation,
# the policy summary and the explorer below all use. The data keeps the clip keys, and the
# labels translate any of them:

# %%
print(agent.labels.percept(14), {agent.labels.clip(a): round(p, 3) for a, p in e.probabilities.items()})

# %% [markdown]
# The same numbers as data: `e.probabilities` (action clip $\to$ probability), `e.paths`,
# `e.entropy` (in nats; $\ln 4 \approx 1.39$ is a uniform choice among four actions), and
# `policy_summary` does it for every percept.

# %%
for row in ps_graph.policy_summary(agent)[:6]:
    print(f"{row.label:>12s}: {row.most_likely_label:5s}  entropy {row.entropy:.2f}")

# %% [markdown]
# ## The graph itself
#
# `agent.graph` is a plain `networkx.DiGraph`. Nodes are clip keys such as
# `("percept", 14)` and `("action", 2)` with a `kind`, a `label` and a visit count; edges
# carry `h` and `glow`, set to their current values when the graph is read (reading never
# changes what the agent does next). Any networkx function applies.

# %%
g = agent.graph
print(g.number_of_nodes(), "clips,", g.number_of_edges(), "edges")
print(g.nodes[("percept", 14)])
print(g.edges[("percept", 14), ("action", 2)])

# %% [markdown]
# The hopping probabilities are the normalized h-values of a clip's out-edges; from the graph
# alone:

# %%
out = g.out_edges(("percept", 14), data="h")
total = sum(h for _, _, h in out)
{g.nodes[target]["label"]: round(h / total, 3) for _, target, h in out}

# %% [markdown]
# A networkx question: which percept clips put most of their weight on one action? Here the
# strength of the strongest edge of each percept clip, by cell.

# %%
percepts = [n for n, kind in g.nodes(data="kind") if kind == "percept"]
strongest = {g.nodes[p]["label"]: max(h for _, _, h in g.out_edges(p, data="h")) for p in percepts}
sorted(strongest.items(), key=lambda item: -item[1])[:5]

# %% [markdown]
# ## Pictures
#
# `draw_ecm` draws a small ECM in layers (percepts left, actions right): edge width grows
# with the hopping probability, node size with visits. `min_probability` leaves out weak
# edges, `percepts=` draws part of the graph, and `decision=` highlights the most probable
# decision on one observation.

# %%
ps_graph.draw_ecm(agent, percepts=[0, 4, 8, 9, 13, 14], min_probability=0.2, decision=14)

# %% [markdown]
# On a grid world the policy reads best on the grid: arrows sized by $P(a \mid s)$.

# %%
ps_graph.plot_policy_map(agent, env)

# %% [markdown]
# ## The explorer
#
# For a larger ECM, the explorer is an interactive, self-contained HTML page (nothing is
# loaded from the network): click or search a clip to see its exact action probabilities
# and most probable walks (highlighted in the graph), its edges' h, glow and hopping
# probability; filter by probability or clip kind; with `timeline=`, step through the
# snapshots with a slider. In Jupyter, `show(agent)` displays it inline (a sandboxed
# iframe); `ps_graph.inspection.write_html(agent, path)` writes it to a file, and
# `ps-graph inspect agent.json --html page.html` does the same for a saved agent.

# %%
show(agent, timeline=timeline, title="PS on FrozenLake 4x4, seed 0", height="520px")

# %% [markdown]
# ## The timeline: how the h-values grew
#
# The `Timeline` passed as `callback=` recorded every edge's h-value and hopping probability
# every 10 episodes. With $\gamma = 0$ an edge's h only grows, by the glow it had when a
# reward came, $\Delta h = g\,R$ with $g = (1-\eta)^{k}$ for an edge used $k$ steps before the
# goal. The last edge before the goal, 14 $\to$ 2 (RIGHT), gets the full reward in every
# successful episode and grows fastest; its hopping probability still lags, because the other
# edges of state 14 collect reward from detours that pass through it.

# %%
ps_graph.plot_timeline(timeline, top=6)

# %% [markdown]
# The data behind the plot: `timeline.episodes`, `timeline.edges` and masked arrays
# `timeline.h` and `timeline.probability` (snapshots x edges; masked before an edge
# existed, since percept clips are created when first seen).

# %%
first_seen = dict(zip(timeline.edges, timeline.first_seen))
edge = (("percept", 14), ("action", 2))
j = timeline.edges.index(edge)
print(f"{timeline.edge_label(edge)}: created by episode {first_seen[edge]}")
print("P over the snapshots:", np.round(timeline.probability[::8, j].filled(np.nan), 2))

# %% [markdown]
# Reading is safe: none of this changed the agent. Its next greedy decision on state 14 is
# the most likely action `explain` gave.

# %%
assert agent.act(14, explore=False) == e.most_likely[1]
nx.is_directed_acyclic_graph(g)  # a two-layer ECM: every walk is one hop
