"""Shared test factories: small ECMs written as data, built in one call."""

from __future__ import annotations

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
