"""Hyperparameter search with Optuna: search spaces, studies, and their results page.

:func:`tune` runs (or continues) a study of one agent kind on one environment, stored in a
database so it resumes and runs on many processes or machines; :func:`evaluate` scores a
fixed setting with the same objective and seeds; :mod:`.space` holds the default search
spaces and reads overrides such as ``"eta_glow_damping=log:0.001:1"``. Optuna is imported
only when a study runs (``pip install "ps_graph[tune]"``), never by ``import ps_graph``.

>>> sorted(default_space("ps"))
['beta_softmax', 'eta_glow_damping', 'gamma_damping', 'glow', 'policy']
"""

from .space import Param, default_space, make_space, parse_param
from .study import OBJECTIVE, Evaluation, TuneResult, evaluate, tune

__all__ = [
    "OBJECTIVE",
    "Evaluation",
    "Param",
    "TuneResult",
    "default_space",
    "evaluate",
    "make_space",
    "parse_param",
    "tune",
]
