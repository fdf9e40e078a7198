"""ps_graph: Projective Simulation with the ECM as a real networkx graph.

``import ps_graph`` loads numpy, networkx and gymnasium only; plotting (matplotlib) loads
when a plot is asked for.

>>> import gymnasium as gym, ps_graph
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> agent = ps_graph.PSAgent.for_env(env, eta_glow_damping=0.04, seed=1)
>>> result = ps_graph.train(agent, env, episodes=20, seed=1)
>>> result.episodes
20
"""

from . import rules, tabular
from .batch import BatchedTwoLayerPS, BatchResult, train_batch
from .agent import PSAgent, PSConfig, action_clip, percept_clip
from .ecm import ECM
from .fast import TwoLayerPS
from .errors import ConfigError, PSGraphError, RewardError, UnsupportedSpaceError, WalkError
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
    "Agent",
    "TrainResult",
    "train",
    "evaluate",
    "rules",
    "percept_clip",
    "action_clip",
    "percept_encoder",
    "discrete_actions",
    "PSGraphError",
    "ConfigError",
    "UnsupportedSpaceError",
    "WalkError",
    "RewardError",
    "__version__",
]
