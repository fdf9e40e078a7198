"""Shared test factories: small ECMs written as data, built in one call."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Hashable, Iterable, Mapping

from ps_graph import ECM


def make_ecm(
    percepts: Iterable[Hashable],
    actions: Iterable[Hashable],
    edges: Mapping[Hashable, Mapping[Hashable, float | None]],
    *,
    hidden: Iterable[Hashable] | Mapping[Hashable, int] = (),
    labels: Mapping[Hashable, str] | None = None,
    **ecm_options,
) -> ECM:
    """An ECM with the given clips and edges (clips and edges are added in the order given).

    ``edges`` maps a source clip to ``{target: h}`` (``h=None`` for the ECM's ``h0``);
    ``hidden`` lists hidden clips (layer 1) or maps each to its layer; ``labels`` gives
    clips a label; ``ecm_options`` go to :class:`ps_graph.ECM`.

    >>> ecm = make_ecm(["s"], ["a", "b"], {"s": {"a": 3.0, "b": None}}, labels={"a": "left"})
    >>> ecm.probabilities("s"), ecm.label("a")
    ({'a': 0.75, 'b': 0.25}, 'left')
    """
    labels = labels or {}
    layers = hidden if isinstance(hidden, Mapping) else dict.fromkeys(hidden, 1)
    ecm = ECM(**ecm_options)
    for clip in percepts:
        ecm.add_percept(clip, label=labels.get(clip))
    for clip, layer in layers.items():
        ecm.add_hidden(clip, layer, label=labels.get(clip))
    for clip in actions:
        ecm.add_action(clip, label=labels.get(clip))
    for source, targets in edges.items():
        for target, h in targets.items():
            ecm.add_edge(source, target, h=h)
    return ecm


class Side:
    """One side of :func:`run_in_lockstep`: how it decides (``act(obs) -> action``), how it
    learns (``learn(reward, next_obs, terminated, truncated)``) and what it does when an
    episode ends (``on_reset()``, optional)."""

    def __init__(self, act, learn, on_reset=lambda: None):
        self.act, self.learn, self.on_reset = act, learn, on_reset


def run_in_lockstep(make_env, steps: int, first: Side, second: Side, *, seed: int) -> None:
    """Drive two deciders through two identical copies of ``make_env()`` for ``steps`` steps;
    every observation and action must agree, step by step (the assertion names the step)."""
    env_a, env_b = make_env(), make_env()
    s_a, _ = env_a.reset(seed=seed)
    s_b, _ = env_b.reset(seed=seed)
    for t in range(steps):
        assert s_a == s_b, f"observations differ at step {t}"
        a, b = first.act(s_a), second.act(s_b)
        assert a == b, f"actions differ at step {t}"
        s_a, r_a, term, trunc, _ = env_a.step(a)
        s_b, r_b, term_b, trunc_b, _ = env_b.step(b)
        first.learn(r_a, s_a, term, trunc)
        second.learn(r_b, s_b, term_b, trunc_b)
        if term or trunc:
            s_a, _ = env_a.reset()
            s_b, _ = env_b.reset()
            first.on_reset()
            second.on_reset()


def modules_loaded_by(statement: str, wanted: str) -> list[str]:
    """The modules, among those for which the expression ``wanted`` (over a module name
    ``m``) is true, that a fresh interpreter has loaded after running ``statement``.

    >>> modules_loaded_by("import json", "m == 'json'")
    ['json']
    """
    code = f"import sys\n{statement}\nprint(sorted(m for m in list(sys.modules) if {wanted}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return ast.literal_eval(out.strip())
