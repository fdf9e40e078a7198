"""The invasion game (Briegel & De las Cuevas 2012; Mautner et al. 2015).

An attacker stands before one of ``num_symbols`` doors and shows a symbol announcing which
door it will try; the defending agent picks a door (its action) and is rewarded 1 when it
blocks the attacker, 0 otherwise. Normally symbol ``s`` means door ``s``. One trial is one
one-step episode; ``env.trial`` counts trials since the last seeded reset (see
:class:`~ps_graph.envs.OneStepGame`).

Changing-environment protocols
------------------------------
``invert_at=T``
    From trial T on the symbols' meaning is inverted: symbol ``s`` announces door
    ``num_symbols - 1 - s`` (for two symbols: left means right and right means left).
``new_colour_at=T``
    The symbols come in colours. Before trial T each symbol is shown in one of ``num_colours``
    colours (uniformly; one colour, 0, by default); from trial T on every symbol is shown in a
    colour never seen before, id ``num_colours``. Colour never changes which door is right.

Observations
------------
Without colours (``num_colours=None`` and ``new_colour_at=None``, the default) the
observation is the symbol, ``Discrete(num_symbols)``. With colours it is the pair
``(symbol, colour)`` in ``Tuple((Discrete(num_symbols), Discrete(C)))``, with ``C =
num_colours`` (+1 when ``new_colour_at`` is set), so a PS agent's percept keys are
``(symbol, colour)`` tuples. ``info`` holds ``trial``, ``symbol``, ``correct_action``,
``inverted`` (and ``colour`` with colours); the step's info adds the ``action`` taken.

>>> import gymnasium as gym, ps_graph.envs
>>> env = gym.make("ps_graph/InvasionGame-v0", invert_at=1)
>>> obs, info = env.reset(seed=3)
>>> info["trial"], info["correct_action"] == obs
(0, True)
>>> obs, info = env.reset()
>>> info["trial"], info["inverted"], info["correct_action"] == 1 - obs
(1, True, True)
"""

from __future__ import annotations

from gymnasium import spaces

from ..checks import check_int
from ._trials import OneStepGame, protocol_on

__all__ = ["InvasionGame", "announced_door"]


def announced_door(symbol, inverted, num_symbols: int):
    """The door ``symbol`` announces: ``symbol``, or ``num_symbols - 1 - symbol`` once ``inverted``.

    ``symbol`` and ``inverted`` are an int and a bool, or arrays of them (one per copy of a vector env).

    >>> import numpy as np
    >>> announced_door(0, False, 2), announced_door(0, True, 2)
    (0, 1)
    >>> announced_door(np.array([0, 1, 2]), np.array([True, True, False]), 3)
    array([2, 1, 2])
    """
    return symbol + inverted * (num_symbols - 1 - 2 * symbol)  # symbol, or num_symbols - 1 - symbol


def _check_trial(name: str, value) -> int | None:
    if value is None:
        return None
    return check_int(name, value, 0, hint="Give the trial (counted from 0 after a seeded reset), or None.")


class InvasionGame(OneStepGame):
    """The invasion game: reward 1 when the chosen door matches the one the symbol announces.

    Parameters
    ----------
    num_symbols : int >= 2, default 2
        Number of symbols, doors and actions.
    num_colours : int >= 1 or None, default None
        Colours the symbols come in before ``new_colour_at`` (None: no colour component,
        unless ``new_colour_at`` is set, which implies one old colour).
    invert_at : int >= 0 or None
        First trial whose symbols mean the inverted door (``num_symbols - 1 - symbol``).
    new_colour_at : int >= 0 or None
        First trial shown in the new colour (id ``num_colours``); every later trial too.
    render_mode : None (the only mode)

    >>> env = InvasionGame(num_colours=2, new_colour_at=2)
    >>> env.observation_space
    Tuple(Discrete(2), Discrete(3))
    >>> [env.reset(seed=0)[0][1], env.reset()[0][1], env.reset()[0][1]]   # colour 2 from trial 2 on
    [1, 0, 2]
    """

    def __init__(
        self,
        num_symbols: int = 2,
        *,
        num_colours: int | None = None,
        invert_at: int | None = None,
        new_colour_at: int | None = None,
        render_mode: str | None = None,
    ):
        self.num_symbols = check_int("num_symbols", num_symbols, 2, hint="The game needs at least two doors.")
        self.invert_at = _check_trial("invert_at", invert_at)
        self.new_colour_at = _check_trial("new_colour_at", new_colour_at)
        if num_colours is not None:
            num_colours = check_int("num_colours", num_colours, 1, hint="Or None for symbols without colour.")
        elif self.new_colour_at is not None:
            num_colours = 1
        self.num_colours = num_colours
        symbols = spaces.Discrete(self.num_symbols)
        if num_colours is None:
            space: spaces.Space = symbols
        else:
            total = num_colours + (self.new_colour_at is not None)
            space = spaces.Tuple((symbols, spaces.Discrete(total)))
        super().__init__(self.num_symbols, space, render_mode)

    @property
    def coloured(self) -> bool:
        """Whether observations are ``(symbol, colour)`` pairs."""
        return self.num_colours is not None

    def _present(self, trial: int):
        symbol = int(self.np_random.integers(self.num_symbols))
        inverted = protocol_on(trial, self.invert_at)
        info = {
            "trial": trial,
            "symbol": symbol,
            "correct_action": announced_door(symbol, inverted, self.num_symbols),
            "inverted": inverted,
        }
        num_colours = self.num_colours
        if num_colours is None:  # symbols without colour (not self.coloured)
            return symbol, info
        if protocol_on(trial, self.new_colour_at):
            colour = num_colours
        else:
            colour = int(self.np_random.integers(num_colours))
        info["colour"] = colour
        return (symbol, colour), info
