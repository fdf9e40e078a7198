"""Search spaces: which hyperparameters a study varies, over which ranges, per agent kind.

A space maps a hyperparameter name (exactly as :class:`~ps_graph.experiments.AgentSpec`
takes it) to a :class:`Param`. Each agent kind has a default (:func:`default_space`); a
user overrides entries with text, ``name=log:LO:HI``, ``name=float:LO:HI``,
``name=int:LO:HI``, ``name=choice:a,b,c``, or fixes one with ``name=VALUE``
(:func:`parse_param`), or from Python with :class:`Param` values (:func:`make_space`).

>>> space = make_space("ps", ["eta_glow_damping=log:0.01:0.5", "policy=standard"])
>>> space["eta_glow_damping"].text(), space["policy"].text()
('log:0.01:0.5', 'fixed:"standard"')
>>> "beta_softmax" in space    # it only matters when the policy is softmax
False
>>> parse_param("gamma=choice:0.9,0.99")
('gamma', Param(kind='choice', low=None, high=None, choices=(0.9, 0.99), value=None, when=None))
>>> parse_param("eta_glow_damping=log:0:1")
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: eta_glow_damping=log:0:1: a log range needs 0 < LO < HI; got LO=0.0, HI=1.0...
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..registry import resolve

__all__ = ["KINDS", "Param", "default_space", "corners", "make_space", "parse_param", "sample", "space_text"]

KINDS = ("log", "float", "int", "choice", "fixed")
_SPEC_HELP = "name=log:LO:HI, name=float:LO:HI, name=int:LO:HI, name=choice:a,b,c or name=VALUE"


@dataclass(frozen=True)
class Param:
    """One hyperparameter's distribution.

    ``kind`` is ``"log"`` (log-uniform float in [low, high]), ``"float"`` (uniform),
    ``"int"`` (uniform integer), ``"choice"`` (one of ``choices``) or ``"fixed"`` (always
    ``value``). ``when=(other, value)`` samples it only in trials whose ``other`` took
    ``value`` (``beta_softmax`` only with ``policy="softmax"``).

    >>> Param("log", 1e-3, 1.0).text()
    'log:0.001:1'
    >>> Param("choice", choices=("standard", "softmax")).text()
    'choice:standard,softmax'
    """

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    value: Any = None
    when: tuple[str, Any] | None = None

    def __post_init__(self) -> None:
        where = f"Param({self.kind!r}, ...)"
        if self.kind not in KINDS:
            raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}; got {self.kind!r}.")
        if self.kind == "choice":
            if not self.choices:
                raise ConfigError(f"{where}: give at least one choice, e.g. choices=('standard', 'softmax').")
            bad = [c for c in self.choices if c is not None and not isinstance(c, (bool, int, float, str))]
            if bad:
                raise ConfigError(f"{where}: choices must be numbers, strings, booleans or None; got {bad[0]!r}.")
            object.__setattr__(self, "choices", tuple(self.choices))
        elif self.kind in ("log", "float", "int"):
            _check_range(self.kind, self.low, self.high, where)

    def text(self) -> str:
        """The distribution as override text (what ``name=`` is followed by)."""
        if self.kind == "choice":
            return "choice:" + ",".join(_show(c) for c in self.choices or ())
        if self.kind == "fixed":
            return "fixed:" + json.dumps(self.value)
        return f"{self.kind}:{_show(self.low)}:{_show(self.high)}"

    def suggest(self, trial: Any, name: str) -> Any:
        """The value ``trial`` (an ``optuna.Trial``) samples for ``name``."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return trial.suggest_categorical(name, list(self.choices or ()))
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high))  # type: ignore[arg-type]
        return trial.suggest_float(name, self.low, self.high, log=self.kind == "log")


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _check_range(kind: str, low: Any, high: Any, where: str) -> None:
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
    if not numbers or not low < high:  # NaN fails here too
        raise ConfigError(f"{where}: a {kind} range needs LO < HI (numbers); got LO={low!r}, HI={high!r}.")
    if kind == "log" and low <= 0:
        raise ConfigError(f"{where}: a log range needs 0 < LO < HI; got LO={low!r}, HI={high!r}. Use float:LO:HI.")
    if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise ConfigError(f"{where}: an int range needs whole numbers; got LO={low!r}, HI={high!r}.")


_PS_SPACE = {
    "eta_glow_damping": Param("log", 1e-3, 1.0),
    "gamma_damping": Param("choice", choices=(0.0, 1e-5, 1e-4, 1e-3, 1e-2)),
    "policy": Param("choice", choices=("standard", "softmax")),
    "beta_softmax": Param("log", 0.1, 10.0, when=("policy", "softmax")),
    "glow": Param("choice", choices=("replace", "accumulate")),
}

#: The default search space of each agent kind (copy it with :func:`default_space`).
DEFAULT_SPACES: dict[str, dict[str, Param]] = {
    "ps": _PS_SPACE,
    "ps-fast": _PS_SPACE,
    "q": {
        "learning_rate": Param("log", 0.01, 1.0),
        "gamma": Param("float", 0.5, 0.999),
        "exploration_final_eps": Param("float", 0.0, 0.2),
        "exploration_decay_episodes": Param("log", 1.0, 1000.0),
    },
    "dqn": {
        "learning_rate": Param("log", 1e-5, 1e-2),
        "gamma": Param("float", 0.9, 0.999),
        "exploration_fraction": Param("float", 0.05, 0.5),
        "exploration_final_eps": Param("float", 0.01, 0.1),
        "target_update_interval": Param("choice", choices=(100, 500, 1000, 5000)),
        "batch_size": Param("choice", choices=(32, 64, 128)),
    },
}

#: Where each kind's hyperparameters are defined (their names are checked against it), and the
#: keywords its builder takes besides the config's fields.
_CONFIGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ps": ("ps_graph.agent:PSConfig", ("growth", "initial_h", "priming")),
    "ps-fast": ("ps_graph.agent:PSConfig", ("initial_h", "priming")),
    "q": ("qbaselines.qconfig:QLearningConfig", ()),
    "dqn": ("qbaselines.dqnconfig:DQNConfig", ()),
}


def hyperparameter_names(kind: str) -> list[str] | None:
    """The hyperparameters ``kind`` takes (None for a kind registered elsewhere: not checked).

    >>> "eta_glow_damping" in hyperparameter_names("ps"), "seed" in hyperparameter_names("ps")
    (True, False)
    """
    if kind not in _CONFIGS:
        return None
    target, extra = _CONFIGS[kind]
    fields = [f.name for f in dataclasses.fields(resolve(target)) if f.name != "seed"]  # type: ignore[arg-type]
    return [*fields, *extra]


def default_space(kind: str) -> dict[str, Param]:
    """A copy of ``kind``'s default search space; a kind without one gets ``{}`` (give a space).

    >>> sorted(default_space("q"))
    ['exploration_decay_episodes', 'exploration_final_eps', 'gamma', 'learning_rate']
    """
    return dict(DEFAULT_SPACES.get(kind, {}))


def _value(raw: str) -> Any:
    """A value as ``ps-graph --set`` reads it: JSON, or else the text itself."""
    from ..cli.args import parse_setting

    return parse_setting(f"v={raw}")[1]


def parse_param(text: str) -> tuple[str, Param]:
    """``name=log:LO:HI`` / ``float`` / ``int`` / ``choice:a,b,c`` / ``name=VALUE`` as ``(name, Param)``.

    >>> parse_param("learning_rate=float:0.1:0.9")[1].text(), parse_param("sarsa=true")[1].value
    ('float:0.1:0.9', True)
    """
    name, sep, spec = (text or "").partition("=")
    name = name.strip()
    if not sep or not name:
        raise ConfigError(f"expected {_SPEC_HELP}; got {text!r}.")
    kind, colon, rest = spec.partition(":")
    where = f"{name}={spec}"
    if not colon or kind not in KINDS:
        return name, Param("fixed", value=_value(spec))
    if kind == "fixed":
        return name, Param("fixed", value=_value(rest))
    if kind == "choice":
        choices = tuple(_value(c.strip()) for c in rest.split(","))
        if not rest.strip() or any(c == "" for c in choices):
            raise ConfigError(f"{where}: expected choice:a,b,c with non-empty values.")
        return name, Param("choice", choices=choices)
    parts = rest.split(":")
    try:
        low, high = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None:
        raise ConfigError(f"{where}: expected {kind}:LO:HI with two numbers, e.g. {name}={kind}:0.01:1.")
    _check_range(kind, low, high, where)
    return name, Param(kind, low, high)


def make_space(
    kind: str,
    overrides: Mapping[str, Param | Any] | Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> dict[str, Param]:
    """``kind``'s default space with ``overrides`` (texts for :func:`parse_param`, or a dict of
    :class:`Param` or plain values, a plain value fixing it) and ``fixed`` values applied.

    Names are checked against the kind's hyperparameters; a conditional default whose
    condition was fixed to another value is dropped. A ConfigError says what is wrong.

    >>> make_space("q", {"gamma": 0.9}, fixed={"sarsa": True})["sarsa"].value
    True
    >>> make_space("q", ["gama=float:0.5:1"])
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: agent kind 'q' has no hyperparameter 'gama' (did you mean 'gamma'?)...
    """
    space = default_space(kind)
    given: dict[str, Param] = {}
    if isinstance(overrides, str):
        overrides = [overrides]
    if isinstance(overrides, Mapping):
        given |= {n: p if isinstance(p, Param) else Param("fixed", value=p) for n, p in overrides.items()}
    elif overrides is not None:
        given |= dict(parse_param(t) for t in overrides)
    given |= {n: Param("fixed", value=v) for n, v in (fixed or {}).items()}
    _check_names(kind, given)
    space |= given
    for name, param in list(space.items()):
        if param.when is not None:
            other = space.get(param.when[0])
            fixed_otherwise = other is not None and other.kind == "fixed" and other.value != param.when[1]
            never_chosen = other is not None and other.kind == "choice" and param.when[1] not in (other.choices or ())
            if other is None or fixed_otherwise or never_chosen:
                del space[name]
    if not any(p.kind != "fixed" for p in space.values()):
        raise ConfigError(
            f"the search space of agent kind {kind!r} varies nothing; give ranges such as {_SPEC_HELP} "
            "(the kinds with a default space: " + ", ".join(DEFAULT_SPACES) + ")."
        )
    return space


def _check_names(kind: str, given: Mapping[str, Param]) -> None:
    known = hyperparameter_names(kind)
    if known is None:
        return
    for name in given:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"agent kind {kind!r} has no hyperparameter {name!r}{hint}; its hyperparameters: {', '.join(known)}."
            )


def sample(space: Mapping[str, Param], trial: Any) -> dict[str, Any]:
    """The hyperparameters of one trial: every entry of ``space`` sampled (or fixed) in order;
    a conditional entry only when its condition holds."""
    values: dict[str, Any] = {}
    for name, param in space.items():
        if param.when is None or values.get(param.when[0]) == param.when[1]:
            values[name] = param.suggest(trial, name)
    return values


def corners(space: Mapping[str, Param]) -> list[dict[str, Any]]:
    """Two settings of ``space`` to check before a study starts: every range at its low end (the
    first choice), then at its high end (the last choice); fixed values as they are.

    >>> corners({"gamma": Param("float", 0.5, 0.9), "policy": Param("choice", choices=("a", "b"))})
    [{'gamma': 0.5, 'policy': 'a'}, {'gamma': 0.9, 'policy': 'b'}]
    """
    out = []
    for end in (0, -1):
        values: dict[str, Any] = {}
        for name, p in space.items():
            if p.when is None or values.get(p.when[0]) == p.when[1]:
                ends = {"fixed": (p.value, p.value), "choice": p.choices or (None,)}.get(p.kind, (p.low, p.high))
                values[name] = int(ends[end]) if p.kind == "int" else ends[end]
        out.append(values)
    return out


def space_text(space: Mapping[str, Param]) -> dict[str, str]:
    """``{name: text}`` of a space, as stored in the study (``"beta_softmax": "log:0.1:10 if policy=softmax"``).

    >>> space_text({"beta_softmax": Param("log", 0.1, 10.0, when=("policy", "softmax"))})
    {'beta_softmax': 'log:0.1:10 if policy=softmax'}
    """
    return {
        name: p.text() + ("" if p.when is None else f" if {p.when[0]}={_show(p.when[1])}") for name, p in space.items()
    }


def cli_param(text: str) -> tuple[str, Param]:
    """:func:`parse_param` as an argparse type (a ConfigError becomes a usage error)."""
    try:
        return parse_param(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
