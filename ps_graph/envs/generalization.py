"""The driver game and the never-ending colour game (Melnikov, Makmal, Dunjko & Briegel,
"Projective simulation with generalization", Sci. Rep. 7, 14430, 2017).

Both show a percept of two categorical features, ``(direction, colour)``, in
``Tuple((Discrete(num_directions), Discrete(num_colours)))``; the agent must go in the
arrow's direction (action ``direction``, reward 1) and the colour is irrelevant. A PS
agent's percept keys are the ``(direction, colour)`` tuples, the input of the
generalization rule (wildcard clips ``(direction, #)`` carry the rule that matters).

* **Driver game**: direction and colour are drawn uniformly and independently every trial.
* **Never-ending colour game**: the colour of trial t is ``t % num_colours``, a fresh
  colour every trial, so without generalization no percept is ever seen twice. Colour ids
  wrap around after ``num_colours`` trials (default one million); within one wrap the
  colours never repeat.

One trial is one one-step episode; ``env.trial`` counts trials since the last seeded reset
(see :class:`~ps_graph.envs.OneStepGame`). ``info`` holds ``trial``, ``direction``, ``colour`` and
``correct_action``; the step's info adds the ``action`` taken.

>>> import gymnasium as gym, ps_graph.envs
>>> env = gym.make("ps_graph/NeverEndingColourGame-v0")
>>> [env.reset(seed=0)[0][1], env.reset()[0][1], env.reset()[0][1]]
[0, 1, 2]
"""

from __future__ import annotations

from gymnasium import spaces

from ..checks import check_int
from ._trials import OneStepGame

__all__ = ["DriverGame", "NeverEndingColourGame", "never_ending_colour"]


def never_ending_colour(trial, num_colours: int):
    """The never-ending colour game's colour at ``trial`` (an int or an array): ``trial % num_colours``.

    >>> never_ending_colour(5, 3), never_ending_colour(7, 1_000_000)
    (2, 7)
    """
    return trial % num_colours


class DriverGame(OneStepGame):
    """Go in the arrow's direction; the colour of the sign is irrelevant.

    Parameters
    ----------
    num_directions : int >= 2, default 2 -- arrow directions, also the actions
    num_colours : int >= 1, default 2 -- colours the sign may have
    render_mode : None (the only mode)

    >>> env = DriverGame()
    >>> (direction, colour), info = env.reset(seed=0)
    >>> env.step(direction)[1], env.reset()[1]["trial"]
    (1.0, 1)
    """

    def __init__(self, num_directions: int = 2, num_colours: int = 2, *, render_mode: str | None = None):
        self.num_directions = check_int("num_directions", num_directions, 2, hint="The driver needs two ways to go.")
        self.num_colours = check_int("num_colours", num_colours, 1)
        space = spaces.Tuple((spaces.Discrete(self.num_directions), spaces.Discrete(self.num_colours)))
        super().__init__(self.num_directions, space, render_mode)

    def _colour(self, trial: int) -> int:
        return int(self.np_random.integers(self.num_colours))

    def _present(self, trial: int):
        direction = int(self.np_random.integers(self.num_directions))
        colour = self._colour(trial)
        info = {"trial": trial, "direction": direction, "colour": colour, "correct_action": direction}
        return (direction, colour), info


class NeverEndingColourGame(DriverGame):
    """The driver game with a fresh colour every trial: colour ``trial % num_colours``.

    Parameters
    ----------
    num_directions : int >= 2, default 2
    num_colours : int >= 1, default 1_000_000 -- colour ids wrap around after this many trials
    render_mode : None (the only mode)

    >>> env = NeverEndingColourGame(num_colours=3)
    >>> [env.reset(seed=0)[0][1]] + [env.reset()[0][1] for _ in range(4)]
    [0, 1, 2, 0, 1]
    """

    def __init__(self, num_directions: int = 2, num_colours: int = 1_000_000, *, render_mode: str | None = None):
        super().__init__(num_directions, num_colours, render_mode=render_mode)

    def _colour(self, trial: int) -> int:
        return never_ending_colour(trial, self.num_colours)
