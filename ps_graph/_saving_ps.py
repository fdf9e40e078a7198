"""The PSAgent's sections of an agent file (see :mod:`ps_graph.saving`): its ECM (clips,
edges, the lazy store and per-edge initial values), its state (emotions, the pending edge),
its priming and its growth rule, and the labels of any PS agent (:mod:`ps_graph.labels`),
written and read back with every field checked.

Under factorized percepts (``PSConfig.percepts = "factorized"``) a percept clip's key is a
``(feature, value)`` of an observation, and a decision (an emotion, the pending edge) starts
at the deciding clip: a percept clip or a hidden conjunction clip.

>>> priming_to_json({1: 0.5}, [0, 1])
[{'action': 1, 'term': 0.5}]
>>> priming_from_json([{"action": 1, "term": 0.5}], [0, 1], "softmax")
{1: 0.5}
>>> priming_from_json([{"action": 2, "term": 0.5}], [0, 1], "softmax")
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: priming[0].action must be one of the actions [0, 1]; got 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import rules
from ._ecm_walks import longest_walk
from .agent import PSAgent, PSConfig, action_clip
from .checks import check_str, fail, show
from .ecm import ECM, KINDS
from .errors import ConfigError, PSGraphError
from .fileformat import (
    check_agree,
    check_entries,
    check_flag,
    check_glow,
    check_h,
    check_int64,
    check_key,
    check_number,
    check_object,
    check_percept_key,
    check_positive,
    check_stamp,
    feature_in_space,
    key_in_space,
)
from .growth import RULES
from .keys import encode_key
from .labels import Labels

__all__ = [
    "ecm_to_json",
    "labels_from_json",
    "labels_to_json",
    "priming_from_json",
    "priming_to_json",
    "restore_growth",
    "restore_ps_agent",
]


# ---------------------------------------------------------------------- writing
def ecm_to_json(snap: dict[str, Any]) -> dict[str, Any]:
    """``ECM.snapshot()`` as the file's ``ecm`` section."""
    lazy, h0 = snap["lazy"], snap.get("h0")
    return {
        **({"h0": [{"source": encode_key(s), "target": encode_key(t), "h0": v} for s, t, v in h0]} if h0 else {}),
        "clips": [
            {"key": encode_key(c), "kind": kind, "layer": layer, "label": label, "visits": visits}
            for c, kind, layer, label, visits in snap["clips"]
        ],
        "edges": [
            {"source": encode_key(s), "target": encode_key(t), "h": h, "glow": g} for s, t, h, g in snap["edges"]
        ],
        "lazy": {
            "clock": lazy["clock"],
            "glow_clock": lazy["glow_clock"],
            "rows": [{"clip": encode_key(c), "stamp": stamp, "h": h} for c, stamp, h in lazy["rows"]],
            "glowing": [
                {"source": encode_key(s), "target": encode_key(t), "glow": g, "stamp": stamp}
                for s, t, g, stamp in lazy["glowing"]
            ],
        },
    }


def priming_to_json(priming: Mapping[int, float], actions: list[int]) -> list[dict[str, Any]]:
    """An agent's priming ``{action: term}`` as the file's ``priming`` list, in action order."""
    return [{"action": int(a), "term": float(priming[a])} for a in actions if a in priming]


def labels_to_json(agent: Any) -> dict[str, Any] | None:
    """The agent's ``labels`` as the file's ``labels`` field (None when it has none): the
    action names, the labels of the percepts it has seen (and of every key the labels map),
    the built-in labeller. Refuses labels a file could not load back.

    >>> agent = PSAgent(2, seed=0); agent.labels = Labels(["stay", "go"], {"s": "start"})
    >>> labels_to_json(agent)
    {'actions': ['stay', 'go'], 'percepts': [{'key': 's', 'label': 'start'}], 'labeller': None}
    """
    labels = agent.labels
    if labels is None:
        return None
    if not isinstance(labels, Labels):
        raise ConfigError(
            f"agent.labels must be a ps_graph.labels.Labels or None; got {type(labels).__name__}. Build one with "
            "Labels(actions=[...], percepts={key: label} or a function)."
        )
    if hasattr(agent, "percept_keys"):  # TwoLayerPS
        seen = agent.percept_keys
    else:
        seen = [clip[1] for clip in agent.ecm.clips("percept") if isinstance(clip, tuple) and len(clip) == 2]
    factorized = agent.config.percepts == "factorized"
    fits = feature_in_space if factorized else key_in_space
    for key in labels.mapping:
        if not fits(key, agent.observation_space):
            what = "a (feature, value) of an observation" if factorized else "an observation"
            raise ConfigError(
                f"labels label the percept {show(key)}, which is not {what} of the agent's observation space "
                f"{show(agent.observation_space)}, so a file could not load it back; drop it from the labels."
            )
    try:
        return labels.to_json(seen, len(agent.actions))
    except PSGraphError as err:
        raise ConfigError(f"cannot save the agent's labels: {err}") from None


# ---------------------------------------------------------------------- reading
def labels_from_json(value, agent: Any) -> Labels | None:
    """The labels the file's ``labels`` field holds for ``agent`` (null or missing: None), each field checked."""
    if value is None:
        return None
    return Labels.from_json(
        value, agent.actions, agent.observation_space, factorized=agent.config.percepts == "factorized"
    )


def priming_from_json(value, actions: list[int], policy: str) -> dict[int, float]:
    """The priming ``{action: term}`` that the file's ``priming`` lists: each action among
    ``actions`` at most once, each term of size at most :data:`ps_graph.rules.MAX_PRIMING`,
    and only under the softmax ``policy`` (the term is added inside the softmax)."""
    bound = rules.MAX_PRIMING

    def entry(where: str, e) -> tuple[int, float]:
        e = check_object(where, e, ("action", "term"))
        if type(e["action"]) is not int or e["action"] not in actions:  # 1.0 or true would pass as 1
            raise fail(f"{where}.action", f"one of the actions {actions}", e["action"])
        return e["action"], check_number(f"{where}.term", e["term"], -bound, high=bound)

    entries = check_entries("priming", value, entry)
    first: dict[int, int] = {}
    for i, (action, _) in enumerate(entries):
        if action in first:
            raise ConfigError(
                f"priming[{i}].action primes action {action} again (priming[{first[action]}] did); each action is "
                "primed at most once."
            )
        first[action] = i
    if entries and policy != "softmax":
        raise ConfigError(
            f"priming primes actions, but config.policy is {policy!r}: a priming term is added inside the softmax, "
            "so it needs policy 'softmax'; the file was edited."
        )
    return dict(entries)


class _Clips:
    """The clips ``ecm.clips`` lists, by key, to check the clips other fields name."""

    def __init__(self, space, factorized: bool) -> None:
        self.kinds: dict = {}
        self.keys: dict = {}  # each clip as listed: a key naming it as 0.0 or true still gets the listed 0 or 1
        self.space = space  # percept clips ("percept", key) need keys of this observation space
        self.factorized = factorized  # ... or (feature, value) keys of one
        #: the kinds of clip a decision starts at (emotions, pending): under factorized percepts
        #: the deciding clip, a percept clip or a (conjunction) hidden clip
        self.deciders = ("percept", "hidden") if factorized else ("percept",)

    def entry(self, where: str, value) -> tuple:
        """One entry of ``ecm.clips``, as ECM.from_snapshot takes it."""
        c = check_object(where, value, ("key", "kind", "layer", "label", "visits"))
        clip = check_key(f"{where}.key", c["key"])
        if c["kind"] not in KINDS:
            raise fail(f"{where}.kind", f"one of {', '.join(map(repr, KINDS))}", c["kind"])
        if clip in self.kinds:
            raise ConfigError(f"ecm.clips lists the clip {show(clip)} twice.")
        if c["kind"] == "percept" and isinstance(clip, tuple) and len(clip) == 2 and clip[0] == "percept":
            check_percept_key(f"{where}.key[1]", c["key"][1], self.space, factorized=self.factorized)
        if c["kind"] == "action" and not (isinstance(clip, tuple) and len(clip) == 2 and type(clip[1]) is int):
            raise fail(f"{where}.key", '["action", an integer action]', c["key"])  # 0.0 would pass as 0
        self.kinds[clip], self.keys[clip] = c["kind"], clip
        return (
            clip,
            c["kind"],
            check_int64(f"{where}.layer", c["layer"]),
            check_str(f"{where}.label", c["label"]),
            check_int64(f"{where}.visits", c["visits"]),
        )

    def of(self, where: str, value, kinds: tuple[str, ...] = ()):
        """The listed clip (of one of ``kinds``, if given) that ``value`` names."""
        clip = check_key(where, value)
        if clip not in self.kinds:
            raise ConfigError(f"{where} names the clip {show(value)}, which ecm.clips does not list.")
        if kinds and self.kinds[clip] not in kinds:
            raise ConfigError(
                f"{where} names the {self.kinds[clip]} clip {show(value)}; expected a clip of kind "
                f"{' or '.join(map(repr, kinds))}."
            )
        return self.keys[clip]

    def edge(self, where: str, value, *fields: str) -> tuple:
        """(source, target) of an object that names an edge by its clips."""
        e = check_object(where, value, ("source", "target", *fields))
        return self.of(f"{where}.source", e["source"]), self.of(f"{where}.target", e["target"])

    def decision(self, where: str, value, *fields: str) -> tuple:
        """(decider, action) of an object that names the edge a decision took (emotions, pending)."""
        p = check_object(where, value, ("source", "target", *fields))
        return self.of(f"{where}.source", p["source"], self.deciders), self.of(
            f"{where}.target", p["target"], ("action",)
        )


def restore_ps_agent(agent: PSAgent, value, state_value) -> None:
    """Check the file's ``ecm`` and ``state`` sections (``value``, ``state_value``) and put
    them onto the freshly created ``agent``."""
    ecm = check_object("ecm", value, ("clips", "edges"))
    known = _Clips(agent.observation_space, agent.config.percepts == "factorized")

    def edge_entry(where: str, e) -> tuple:
        return (
            *known.edge(where, e, "h", "glow"),
            check_h(f"{where}.h", e["h"]),
            check_glow(f"{where}.glow", e["glow"], agent.config.glow),
        )

    clips = check_entries("ecm.clips", ecm["clips"], known.entry)
    edges = check_entries("ecm.edges", ecm["edges"], edge_entry)
    h0 = check_entries("ecm.h0", ecm.get("h0", []), lambda w, e: (*known.edge(w, e, "h0"), check_h(f"{w}.h0", e["h0"])))
    lazy = ecm.get("lazy")
    if lazy is not None:
        lazy = _ecm_lazy(agent.config, lazy, edges, known, {(s, t): v for s, t, v in h0})
    snap = {"clips": clips, "edges": edges, "lazy": lazy, "h0": h0}
    try:
        agent.ecm = ECM.from_snapshot(snap, **agent.config.ecm_kwargs())
    except PSGraphError as err:
        raise ConfigError(f"ecm: {err}") from None
    longest = longest_walk(edges)
    if longest is not None and longest > agent.config.max_hops:
        raise ConfigError(
            f"config.max_hops is {agent.config.max_hops}, but walks through the ECM's hidden clips take up to "
            f"{longest} hops, so some walks would fail; raise max_hops to at least {longest}."
        )
    expected = {action_clip(a) for a in agent.actions}
    listed = {clip for clip, kind in known.kinds.items() if kind == "action"}
    if listed != expected:
        raise ConfigError(
            f"the action clips in ecm.clips do not match actions: missing {show(sorted(expected - listed))}, "
            f"extra {show(sorted(listed - expected, key=repr))}."
        )
    state = check_object("state", state_value, ("emotions", "pending"))
    emotions = check_entries(
        "state.emotions",
        state["emotions"],
        lambda w, e: (known.decision(w, e, "positive"), check_flag(f"{w}.positive", e["positive"])),
    )
    pending = state["pending"]
    agent.emotions = dict(emotions)
    agent._pending = None if pending is None else known.decision("state.pending", pending)  # no setter


def _ecm_lazy(cfg: PSConfig, value, edges: list[tuple], known: _Clips, h0: dict) -> dict[str, Any]:
    """``ecm.lazy``, checked against the current values in ``edges`` (``h0``: edges' own initial values)."""
    lazy = check_object("ecm.lazy", value, ("clock", "glow_clock", "rows", "glowing"))
    clock, glow_clock = (
        check_int64("ecm.lazy.clock", lazy["clock"]),
        check_int64("ecm.lazy.glow_clock", lazy["glow_clock"]),
    )
    out: dict = {}
    own: dict = {}  # each source's initial values, in row order
    for edge in edges:
        out.setdefault(edge[0], []).append(edge[2])
        own.setdefault(edge[0], []).append(h0.get(edge[:2], cfg.h0))
    glow_now = {(s, t): g for s, t, _, g in edges}

    def row_entry(where: str, r) -> tuple:
        r = check_object(where, r, ("clip", "stamp", "h"))
        clip, stamp = known.of(f"{where}.clip", r["clip"]), check_stamp(f"{where}.stamp", r["stamp"], clock)
        current = out.get(clip, [])
        stored = check_entries(f"{where}.h", r["h"], check_positive, len(current))
        for j, (now, h) in enumerate(
            zip(rules.damp(stored, cfg.gamma_damping, own.get(clip, cfg.h0), clock - stamp), current)
        ):
            check_agree(f"{where}.h[{j}]", now, h, "h")
        return clip, stamp, stored

    def glow_entry(where: str, g) -> tuple:
        s, t = known.edge(where, g, "glow", "stamp")
        glow = check_glow(f"{where}.glow", g["glow"], cfg.glow, positive=True)
        stamp = check_stamp(f"{where}.stamp", g["stamp"], glow_clock)
        check_agree(
            where, rules.decay_glow(glow, cfg.eta_glow_damping, glow_clock - stamp), glow_now.get((s, t), 0.0), "glow"
        )
        return s, t, glow, stamp

    return {
        "clock": clock,
        "glow_clock": glow_clock,
        "rows": check_entries("ecm.lazy.rows", lazy["rows"], row_entry),
        "glowing": check_entries("ecm.lazy.glowing", lazy["glowing"], glow_entry),
    }


def restore_growth(agent: PSAgent, value) -> None:
    if value is None:
        return
    rule = check_object("growth", value, ("rule",))["rule"]
    if not isinstance(rule, str) or rule not in RULES:
        raise fail("growth.rule", f"one of {', '.join(map(repr, RULES))}", rule)
    try:
        RULES[rule].from_json(value, agent)
    except PSGraphError as err:
        message = str(err)
        raise ConfigError(message if message.startswith("growth") else f"growth: {message}") from None
