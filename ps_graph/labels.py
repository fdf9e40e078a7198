"""Meaningful labels: action names and percept labels for an agent's clips.

An ECM's clips have plain keys (``("percept", 14)``, ``("action", 0)``); :class:`Labels` says
what they mean: one name per action, in action order, and a label for each percept key (an
explicit mapping, a function of the key, or both), so that explanations, summaries and the
explorer page show "row 3, col 2 -> DOWN" instead of "14 -> 1".

:func:`labels_for_env` knows the environments of gymnasium's toy text (FrozenLake,
CliffWalking, Taxi, Blackjack), Box environments discretized by
:class:`~ps_graph.envs.DiscretizeBox` (``ps_graph/MountainCarDiscrete-v0``) and every
``ps_graph`` environment; ``PSAgent.for_env`` and ``TwoLayerPS.for_env`` set the agent's
``labels`` with it, and :func:`ps_graph.save` keeps them in the agent file.

>>> import gymnasium as gym
>>> labels = labels_for_env(gym.make("FrozenLake-v1"))
>>> labels.percept(14), labels.action(1), labels.clip(("action", 2))
('row 3, col 2', 'DOWN', 'RIGHT')

A researcher's own labels: a mapping, or a function of the percept key (a function cannot be
saved: a file keeps its labels of the percepts the agent has seen).

>>> mine = Labels(actions=["stay", "go"], percepts={0: "hungry"})
>>> mine.percept(0), mine.percept(1), mine.action(1), mine.action(7)
('hungry', '1', 'go', '7')
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from ._labellers import (
    LABELLERS,
    MAX_LABEL,
    Bins,
    Blackjack,
    Cells,
    Fields,
    Labeller,
    Taxi,
    check_label,
    env_labeller,
    labeller_from_json,
)
from .checks import show
from .errors import ConfigError
from .fileformat import check_entries, check_object, check_percept_key
from .keys import encode_key

__all__ = ["LABELLERS", "MAX_LABEL", "Bins", "Blackjack", "Cells", "Fields", "Labeller", "Taxi"]  # built-in labellers
__all__ += ["Labels", "labels_for_env"]


class Labels:
    """Action names and percept labels of an agent (see the module docstring).

    Parameters
    ----------
    actions : sequence of str, optional
        One name per action, in action order (the first names action ``start``); an action
        without a name shows as its number.
    percepts : mapping or callable, optional
        ``{percept key: label}``, or a function ``key -> label``. A built-in labeller
        (:class:`Cells`, :class:`Taxi`, :class:`Blackjack`, :class:`Bins`, :class:`Fields`)
        is saved by name, so a reloaded agent labels new percepts too; any other function
        cannot be saved (a file never holds code): :meth:`to_json` keeps its labels of the
        percepts listed (the ones the agent has seen) and a reloaded agent shows later
        percepts by their keys.
    labeller : built-in labeller, optional
        Labels the percepts the mapping ``percepts`` leaves out.
    start : int, default 0
        The first action's value (the action space's ``start``).
    factorized : bool, default False
        The agent factorizes its percepts (``percepts="factorized"``): its percept keys are
        ``(feature, value)`` pairs, which a built-in labeller labels feature by feature.

    A percept's label is the mapping's, else the labeller's (or function's), else ``str(key)``.

    >>> labels = Labels(["stick", "hit"], Blackjack())
    >>> labels.percept((14, 10, 1)), labels.percept("?")
    ('player 14, dealer 10, usable ace', '?')
    >>> Labels(["stick", "hit"], Blackjack(), factorized=True).percept((1, 10))
    'dealer 10'
    """

    def __init__(
        self,
        actions: Sequence[str] | None = None,
        percepts: Mapping[Hashable, str] | Callable[[Any], Any] | None = None,
        *,
        labeller: Labeller | None = None,
        start: int = 0,
        factorized: bool = False,
    ) -> None:
        if isinstance(actions, str) or not (actions is None or isinstance(actions, Sequence)):
            raise ConfigError(f"actions must be a list of names, one per action in action order; got {show(actions)}.")
        self.actions: tuple[str, ...] = tuple(check_label(f"actions[{i}]", a) for i, a in enumerate(actions or ()))
        if labeller is not None and not isinstance(labeller, Labeller):
            raise ConfigError(f"labeller must be a built-in labeller ({', '.join(LABELLERS)}); got {show(labeller)}.")
        self.mapping: dict[Hashable, str] = {}
        self.function: Callable[[Any], Any] | None = None
        if isinstance(percepts, Labeller) and labeller is None:
            labeller = percepts
        elif isinstance(percepts, Mapping):
            self.mapping = {key: check_label(f"percepts[{key!r}]", v) for key, v in percepts.items()}
        elif callable(percepts):
            self.function = percepts
        elif percepts is not None:
            raise ConfigError(
                f"percepts must be a mapping {{percept key: label}} or a function key -> label; got {show(percepts)}."
            )
        self.labeller = labeller
        if not isinstance(start, numbers.Integral) or isinstance(start, bool):
            raise ConfigError(f"start must be an int (the first action's value); got {show(start)}.")
        self.start: int = int(start)
        self.factorized: bool = bool(factorized)

    def __repr__(self) -> str:
        parts = [f"actions={list(self.actions)!r}", f"{len(self.mapping)} percept labels"]
        if self.labeller is not None:
            parts.append(f"labeller={self.labeller!r}")
        if self.function is not None:
            parts.append(f"function={getattr(self.function, '__name__', type(self.function).__name__)}")
        return f"Labels({', '.join(parts)})"

    # ------------------------------------------------------------------ labels
    def action(self, action: int) -> str:
        """The name of ``action`` (its number when it has none).

        >>> Labels(["LEFT", "RIGHT"], start=1).action(2)
        'RIGHT'
        """
        index = action - self.start if isinstance(action, numbers.Integral) else -1
        return self.actions[index] if 0 <= index < len(self.actions) else str(action)

    def percept(self, key: Hashable) -> str:
        """The label of percept key ``key`` (``str(key)`` when nothing labels it)."""
        try:
            if key in self.mapping:
                return self.mapping[key]
        except TypeError:  # an unhashable key has no entry
            pass
        found = None
        if self.labeller is not None:
            if self.factorized:
                pair: Any = key if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], int) else None
                found = None if pair is None else self.labeller.feature(pair[0], pair[1])
            else:
                found = self.labeller(key)
        elif self.function is not None:
            found = self.function(key)
        return str(key) if found is None else str(found)

    def clip(self, clip: Hashable, ecm: Any = None) -> str:
        """The label of any clip of an agent's ECM: a percept clip ``("percept", key)`` by
        :meth:`percept`, an action clip ``("action", a)`` by :meth:`action`, any other clip
        (a hidden clip) by the ECM's own ``label`` (``str(clip)`` without ``ecm``).

        >>> from ps_graph import ECM
        >>> ecm = ECM(); ecm.add_hidden("h", label="wall ahead")
        >>> labels = Labels(["LEFT"], {3: "row 0, col 3"})
        >>> labels.clip(("percept", 3)), labels.clip(("action", 0)), labels.clip("h", ecm)
        ('row 0, col 3', 'LEFT', 'wall ahead')
        """
        if isinstance(clip, tuple) and len(clip) == 2:
            if clip[0] == "percept":
                return self.percept(clip[1])
            if clip[0] == "action" and isinstance(clip[1], numbers.Integral) and not isinstance(clip[1], bool):
                return self.action(int(clip[1]))
        if ecm is not None and clip in ecm:
            return ecm.label(clip)
        return str(clip)

    # ------------------------------------------------------------------ grids
    @property
    def grid(self) -> tuple[int, int] | None:
        """``(rows, cols)`` when the percepts are the cells of a grid (a :class:`Cells` labeller), else None."""
        return (self.labeller.rows, self.labeller.cols) if isinstance(self.labeller, Cells) else None

    def cell(self, key: Hashable) -> tuple[int, int] | None:
        """The ``(row, col)`` of percept ``key`` on the grid (:attr:`grid`), or None.

        >>> Labels(percepts=Cells(4, 4)).cell(14)
        (3, 2)
        """
        return self.labeller.cell(key) if isinstance(self.labeller, Cells) else None

    # ------------------------------------------------------------------ files
    def to_json(self, keys: Iterable[Hashable], num_actions: int) -> dict[str, Any]:
        """These labels as an agent file's ``labels`` field: the action names, the labels of
        the percepts ``keys`` (those the agent has seen) and of the mapping's other keys, and
        the built-in labeller (null if none). ``num_actions``: the agent's action count, which
        the names must match (or be empty).

        >>> doc = Labels(["a", "b"], Cells(1, 2)).to_json([1], 2)
        >>> doc["actions"], doc["percepts"]
        (['a', 'b'], [{'key': 1, 'label': 'row 0, col 1'}])
        >>> doc["labeller"]
        {'name': 'cells', 'params': {'rows': 1, 'cols': 2}}
        """
        if self.actions and len(self.actions) != num_actions:
            raise ConfigError(
                f"labels name {len(self.actions)} actions ({show(list(self.actions))}), but the agent has "
                f"{num_actions}: give one name per action, in action order."
            )
        seen = list(dict.fromkeys([*keys, *self.mapping]))
        percepts = [{"key": encode_key(k), "label": check_label(f"the label of {k!r}", self.percept(k))} for k in seen]
        return {
            "actions": list(self.actions),
            "percepts": percepts,
            "labeller": None if self.labeller is None else self.labeller.to_json(),
        }

    @classmethod
    def from_json(cls, value, actions: Sequence[int], space: Any, *, factorized: bool = False) -> Labels:
        """The labels :meth:`to_json` wrote (an agent file's ``labels``), each field checked:
        as many action names as ``actions`` (or none), each percept key an observation of
        ``space`` (a ``(feature, value)`` of one when ``factorized``) listed once, every label
        a string of at most :data:`MAX_LABEL` characters, the labeller a built-in one.

        >>> Labels.from_json({"actions": ["a"], "percepts": [], "labeller": None}, [0, 1], None)
        Traceback (most recent call last):
        ...
        ps_graph.errors.ConfigError: labels.actions names 1 actions; the agent has 2 (actions [0, 1]): ...
        """
        doc = check_object("labels", value, ("actions", "percepts", "labeller"))
        names = check_entries("labels.actions", doc["actions"], check_label)
        if names and len(names) != len(actions):
            raise ConfigError(
                f"labels.actions names {len(names)} actions; the agent has {len(actions)} (actions "
                f"{show(list(actions))}): one name per action, or none."
            )

        def entry(where: str, e) -> tuple[Hashable, str]:
            e = check_object(where, e, ("key", "label"))
            key = check_percept_key(f"{where}.key", e["key"], space, factorized=factorized)
            return key, check_label(f"{where}.label", e["label"])

        mapping: dict[Hashable, str] = {}
        for i, (key, label) in enumerate(check_entries("labels.percepts", doc["percepts"], entry)):
            if key in mapping:
                raise ConfigError(f"labels.percepts[{i}].key labels the percept {show(key)} again; each once.")
            mapping[key] = label
        labeller = None if doc["labeller"] is None else labeller_from_json("labels.labeller", doc["labeller"])
        return cls(names, mapping, labeller=labeller, start=actions[0] if actions else 0, factorized=factorized)


# ---------------------------------------------------------------------- environments
def labels_for_env(env: Any, *, factorized: bool = False) -> Labels | None:
    """The built-in labels of ``env`` (wrappers included), or None for an env it does not know.

    Known: FrozenLake (LEFT/DOWN/RIGHT/UP; "row r, col c"), CliffWalking (UP/RIGHT/DOWN/LEFT;
    row and column of its grid), Taxi (South/North/East/West/Pickup/Dropoff; the decoded
    state), Blackjack (Stick/Hit; player sum, dealer card, usable ace), a Box env discretized by
    :class:`~ps_graph.envs.DiscretizeBox` (each bin's value ranges; MountainCar:
    Left/No push/Right) and every ``ps_graph`` env: the grids (their cells and moves), the
    invasion, driver, colour and MEPS games (symbols, colours, observables and doors),
    red light / green light, the search worlds (counters; continue/turn/reset) and the locusts.
    A wrapper that changes the observations or the actions drops the labels it changes.
    ``factorized``: for an agent with ``percepts="factorized"`` (see :class:`Labels`).

    >>> import gymnasium as gym, ps_graph.envs
    >>> labels = labels_for_env(gym.make("ps_graph/MountainCarDiscrete-v0"))
    >>> labels.percept((7, 3)), labels.actions
    ('position [0.06, 0.24), velocity [-0.028, -0.014)', ('Left', 'No push', 'Right'))
    >>> labels_for_env(gym.make("CartPole-v1")) is None     # a Box: nothing to label
    True
    """
    found = env_labeller(env)
    if found is None:
        return None
    names, labeller, space = found
    observed = getattr(env, "observation_space", None)
    if callable(observed) or observed == space:  # PettingZoo: a space per agent
        percepts: Labeller | None = labeller
    else:
        percepts = None  # a wrapper changed the observations
    actions = getattr(env, "action_space", None)
    start = int(getattr(actions, "start", 0)) if not callable(actions) else 0
    n = getattr(actions, "n", None) if not callable(actions) else len(names)
    if n is None or int(n) != len(names):
        names = ()
    if percepts is None and not names:
        return None
    return Labels(names, labeller=percepts, start=start, factorized=factorized)
