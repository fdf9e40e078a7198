"""ps_graph: Projective Simulation with the ECM as a real networkx graph.

``import ps_graph`` loads numpy, networkx and gymnasium only. The core (ECM, agents, the
train loop, errors, growth rules, environments) is imported at once; the orchestration
(:mod:`ps_graph.experiments`, :mod:`ps_graph.report`), the batched agents, saving and the
reading tools of :mod:`ps_graph.inspection` load on first use of their names (PEP 562),
and plotting (matplotlib) and the interactive view (pyvis) only when asked for.

>>> import gymnasium as gym, ps_graph
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> agent = ps_graph.PSAgent.for_env(env, eta_glow_damping=0.04, seed=1)
>>> result = ps_graph.train(agent, env, episodes=20, seed=1)
>>> result.episodes
20
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import envs, growth, rules
from .agent import PSAgent, PSConfig, action_clip, percept_clip
from .ecm import ECM
from .errors import (
    ConfigError,
    PSGraphError,
    RewardError,
    UnknownClipError,
    UnsupportedSourceError,
    UnsupportedSpaceError,
    WalkError,
)
from .fast import TwoLayerPS
from .growth import Conjunctions, Generalization, GrowthRule
from .percepts import discrete_actions, percept_encoder
from .stopping import STOP, StopTraining, StopWhenMeanReturn  # light: the train loop imports it anyway
from .training import Agent, TrainResult, evaluate, train

if TYPE_CHECKING:  # the lazy names, for type checkers and IDEs
    from . import experiments, report, tabular
    from .batch import BatchedTwoLayerPS, BatchResult, train_batch
    from .inspection.drawing import draw_ecm, plot_policy_map
    from .inspection.explain import Explanation, PerceptPolicy, explain, policy_records, policy_summary
    from .inspection.export import to_export_graph, write_gexf, write_graphml, write_node_link_json
    from .inspection.timeline import Timeline, plot_timeline, write_dynamic_gexf, write_timeline_csv
    from .multi import MultiResult, train_multi
    from .registry import register_agent
    from .saving import load, save

__version__ = "0.1.0"

# public name -> the module that defines it, imported on first access
_LAZY = {
    "experiments": "ps_graph.experiments",
    "report": "ps_graph.report",
    "tabular": "ps_graph.tabular",
    "inspection": "ps_graph.inspection",
    **dict.fromkeys(("BatchedTwoLayerPS", "BatchResult", "train_batch"), "ps_graph.batch"),
    **dict.fromkeys(("draw_ecm", "plot_policy_map"), "ps_graph.inspection.drawing"),
    **dict.fromkeys(
        ("Explanation", "PerceptPolicy", "explain", "policy_records", "policy_summary"), "ps_graph.inspection.explain"
    ),
    **dict.fromkeys(
        ("to_export_graph", "write_gexf", "write_graphml", "write_node_link_json"), "ps_graph.inspection.export"
    ),
    **dict.fromkeys(
        ("Timeline", "plot_timeline", "write_dynamic_gexf", "write_timeline_csv"), "ps_graph.inspection.timeline"
    ),
    "register_agent": "ps_graph.registry",
    **dict.fromkeys(("MultiResult", "train_multi"), "ps_graph.multi"),
    **dict.fromkeys(("load", "save"), "ps_graph.saving"),
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ps_graph' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ECM",
    "STOP",
    "StopTraining",
    "StopWhenMeanReturn",
    "Agent",
    "BatchResult",
    "BatchedTwoLayerPS",
    "ConfigError",
    "Explanation",
    "Conjunctions",
    "Generalization",
    "GrowthRule",
    "PSAgent",
    "PSConfig",
    "PSGraphError",
    "PerceptPolicy",
    "RewardError",
    "Timeline",
    "TrainResult",
    "TwoLayerPS",
    "UnknownClipError",
    "UnsupportedSourceError",
    "UnsupportedSpaceError",
    "WalkError",
    "__version__",
    "action_clip",
    "discrete_actions",
    "draw_ecm",
    "envs",
    "evaluate",
    "train_multi",
    "MultiResult",
    "experiments",
    "explain",
    "growth",
    "inspection",
    "load",
    "percept_clip",
    "percept_encoder",
    "plot_policy_map",
    "plot_timeline",
    "policy_records",
    "policy_summary",
    "register_agent",
    "report",
    "rules",
    "save",
    "tabular",
    "to_export_graph",
    "train",
    "train_batch",
    "write_dynamic_gexf",
    "write_gexf",
    "write_graphml",
    "write_node_link_json",
    "write_timeline_csv",
]
