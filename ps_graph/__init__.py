"""ps_graph: Projective Simulation with the ECM as a real networkx graph.

``import ps_graph`` loads numpy, networkx and gymnasium only; plotting (matplotlib) and
the interactive view (:mod:`ps_graph.viz`, pyvis) load when asked for.

>>> import gymnasium as gym, ps_graph
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> agent = ps_graph.PSAgent.for_env(env, eta_glow_damping=0.04, seed=1)
>>> result = ps_graph.train(agent, env, episodes=20, seed=1)
>>> result.episodes
20
"""

from . import envs, experiments, growth, report, rules, tabular
from .batch import BatchedTwoLayerPS, BatchResult, train_batch
from .agent import PSAgent, PSConfig, action_clip, percept_clip
from .ecm import ECM
from .growth import Generalization, GrowthRule
from .fast import TwoLayerPS
from .errors import (ConfigError, PSGraphError, RewardError, UnsupportedSourceError, UnsupportedSpaceError,
                     WalkError)
from .explain import Explanation, PerceptPolicy, explain, policy_records, policy_summary
from .drawing import draw_ecm, plot_policy_map
from .export import to_export_graph, write_gexf, write_graphml, write_node_link_json
from .saving import load, save
from .timeline import Timeline, plot_timeline, write_dynamic_gexf, write_timeline_csv
from .percepts import discrete_actions, percept_encoder
from .training import Agent, TrainResult, evaluate, train

__version__ = "0.1.0"

__all__ = [
    "ECM",
    "PSAgent",
    "PSConfig",
    "TwoLayerPS",
    "BatchedTwoLayerPS",
    "BatchResult",
    "train_batch",
    "tabular",
    "envs",
    "growth",
    "experiments",
    "report",
    "Generalization",
    "GrowthRule",
    "Agent",
    "TrainResult",
    "train",
    "evaluate",
    "rules",
    "percept_clip",
    "action_clip",
    "percept_encoder",
    "explain",
    "Explanation",
    "policy_summary",
    "policy_records",
    "PerceptPolicy",
    "draw_ecm",
    "plot_policy_map",
    "save",
    "load",
    "to_export_graph",
    "write_graphml",
    "write_gexf",
    "write_node_link_json",
    "Timeline",
    "plot_timeline",
    "write_dynamic_gexf",
    "write_timeline_csv",
    "discrete_actions",
    "PSGraphError",
    "ConfigError",
    "UnsupportedSpaceError",
    "UnsupportedSourceError",
    "WalkError",
    "RewardError",
    "__version__",
]
