"""The invasion game with inversion: blocking efficiency over trials for several gamma_damping
values, and the effect of reflection (K two-layer PS agents in lockstep).

What it mirrors
---------------
Briegel & De las Cuevas, "Projective simulation for artificial intelligence", Sci. Rep. 2,
400 (2012), and Mautner, Makmal, Manzano, Tiersch & Briegel, "Projective simulation for
classical learning agents: a comprehensive investigation", New Gener. Comput. 33, 69 (2015):
the figure showing the blocking efficiency of an ensemble of PS agents in the invasion game
when the attacker inverts the meaning of its symbols half-way, for several damping
(forgetting) values gamma, and the figure showing how reflection raises the efficiency. We
could not open the papers' figures through the tools available here, so figure numbers and
the exact values plotted there are not given; the qualitative result reproduced is the one
they discuss: without forgetting (gamma = 0) the agents barely relearn after the inversion,
a little forgetting lets them relearn at the cost of a lower efficiency before and after
it, and reflection raises the efficiency.

Settings
--------
From the papers: two symbols (left / right arrows) and two doors, reward 1 for blocking and 0
otherwise, the two-layer PS agent with the standard policy, h0 = 1, and the meaning of the
symbols inverted (left means right) part-way through; reflection with an emotion tag per
percept-action pair (positive after a reward, negative otherwise).

Chosen here (and why): the inversion at trial 250 of 500 and gamma_damping in {0, 1/100,
1/50, 1/10} (a range that shows all three regimes clearly); eta_glow_damping = 1 (glow is
reset after every one-step trial, so eta has no effect here); num_reflections in {0, 1, 2}
at gamma_damping = 1/50 for the reflection panel; 20,000 agents per curve.

What is measured
----------------
Blocking efficiency at trial t = the probability that an agent blocks in trial t, averaged
over the agents and over the (equally likely) symbols, computed exactly from each agent's
state just before the trial: ``agent.policy()`` gives every door's probability (reflection
included: a negatively tagged choice is re-drawn up to ``num_reflections`` times), weighted by
the trial's reward table. The observed blocking rate (the mean 0/1 reward over the agents in
that trial) is written too and drawn faintly in the reflection panel: it scatters around the
exact curve.

The game is ``ps_graph/InvasionGame-v0`` through gymnasium's vector API,
``gym.make_vec(..., vectorization_mode="vector_entry_point")``: K copies stepped as arrays,
each copy inverting at its own trial ``invert_at`` (symbol s means door s before, door
``num_symbols - 1 - s`` from then on), played by :class:`ps_graph.BatchedTwoLayerPS` (K agents
in lockstep, compiled kernels). 20,000 agents per curve by default, as the benchmark
``invasion_figure_20k_s`` times it.

Run:  python examples/invasion_game.py --out results/invasion
Writes OUT/invasion_game.png and OUT/invasion_game.csv (tidy: panel, setting, agent, trial,
value, measure; trial counts from 0 like ``env.trial``; measure is "exact" or "observed").
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import gymnasium as gym
import numpy as np
from _common import agents_command_line, finish_axes, parse, print_summary, write_outputs
from tqdm.auto import tqdm

from ps_graph import BatchedTwoLayerPS, ConfigError
from ps_graph.envs.invasion import announced_door

NAME = "invasion_game"
FIELDS = ("panel", "setting", "agent", "trial", "value", "measure")
GAMMAS = (0.0, 0.01, 0.02, 0.1)
REFLECTIONS = (0, 1, 2)
REFLECTION_GAMMA = 0.02
AGENT = "PS (2-layer, standard policy)"


def reward_table(trial: int, invert_at: int, num_symbols: int) -> np.ndarray:
    """The reward of each (symbol, door) at ``trial``: 1 at the door the symbol announces
    (:func:`ps_graph.envs.invasion.announced_door`, the game's own rule), else 0.

    >>> reward_table(5, invert_at=5, num_symbols=2)     # symbol 0 now means door 1
    array([[0., 1.],
           [1., 0.]])
    """
    symbols = np.arange(num_symbols)
    doors = announced_door(symbols, trial >= invert_at, num_symbols)
    return (symbols[None, :] == doors[:, None]).astype(float)


def play(agent: BatchedTwoLayerPS, trials: int, invert_at: int, num_symbols: int, seed: int):
    """Play ``trials`` trials with all K agents on K copies of ``ps_graph/InvasionGame-v0``
    (``gym.make_vec``, the native vector env; autoreset in the same step, so every step is a
    trial); the symbols' meaning inverts at trial ``invert_at``. Returns ``(exact, observed)``,
    each of shape (trials,): the exact blocking probability before each trial (from the
    agents' policies, reflection included) and the observed fraction of agents that blocked."""
    envs = gym.make_vec(
        "ps_graph/InvasionGame-v0",
        num_envs=agent.num_agents,
        vectorization_mode="vector_entry_point",
        num_symbols=num_symbols,
        invert_at=invert_at,
        autoreset_mode="SameStep",
    )
    exact, observed = np.zeros(trials), np.zeros(trials)
    symbols, _ = envs.reset(seed=seed)
    for t in range(trials):
        # P(block) = mean over agents and symbols of sum_door P(door | symbol) * reward(symbol, door)
        exact[t] = (agent.policy() * reward_table(t, invert_at, num_symbols)).sum(axis=-1).mean()
        doors = agent.act(symbols)
        next_symbols, rewards, terminated, truncated, _ = envs.step(doors)
        agent.observe(rewards, symbols, terminated, truncated)
        observed[t] = rewards.mean()
        symbols = next_symbols  # already the next trial's symbols (same-step autoreset)
    envs.close()
    return exact, observed


def _label(gamma: float) -> str:
    """gamma as the papers write it: 0, 1/50, 1/10 (a decimal when it is no simple fraction)."""
    frac = Fraction(gamma).limit_denominator(1000)
    if gamma == 0 or abs(float(frac) - gamma) > 1e-12:
        return f"{gamma:g}"
    return str(frac)


def run(
    out: Path,
    agents: int = 20000,
    trials: int = 500,
    invert_at: int = 250,
    gammas: Sequence[float] = GAMMAS,
    reflections: Sequence[int] = REFLECTIONS,
    reflection_gamma: float = REFLECTION_GAMMA,
    num_symbols: int = 2,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Both panels' experiments; writes OUT/invasion_game.png and .csv.

    Returns ``{"csv", "png", "damping": {gamma: exact curve}, "reflection": {R: exact curve},
    "reflection_observed": {R: observed curve}}`` (curves of shape (trials,)).
    """
    if not isinstance(invert_at, int) or not 0 < invert_at < trials:
        raise ConfigError(
            f"invert_at must be a trial in 1..trials-1 = 1..{trials - 1}; got {invert_at!r}. "
            "The inversion needs trials before and after it."
        )
    if not gammas or not reflections:
        raise ConfigError("give at least one gamma_damping value and one num_reflections value.")
    settings = [("damping", g, 0) for g in gammas] + [("reflection", reflection_gamma, r) for r in reflections]
    damping, reflection, observed_rates = {}, {}, {}
    rows = []
    for panel, gamma, refl in tqdm(settings, desc="invasion game", disable=not progress):
        agent = BatchedTwoLayerPS(
            num_symbols, num_symbols, agents, gamma_damping=gamma, eta_glow_damping=1.0, num_reflections=refl, seed=seed
        )
        exact, observed = play(agent, trials, invert_at, num_symbols, seed=seed + 1)
        setting = f"gamma_damping={gamma:g}, num_reflections={refl}"
        rows += [(panel, setting, AGENT, t, v, "exact") for t, v in enumerate(exact)]
        rows += [(panel, setting, AGENT, t, v, "observed") for t, v in enumerate(observed)]
        if panel == "damping":
            damping[gamma] = exact
        else:
            reflection[refl], observed_rates[refl] = exact, observed
    fig = plot(
        damping,
        reflection,
        observed_rates,
        agents=agents,
        invert_at=invert_at,
        num_symbols=num_symbols,
        reflection_gamma=reflection_gamma,
    )
    return {
        **write_outputs(out, NAME, FIELDS, rows, fig),
        "damping": damping,
        "reflection": reflection,
        "reflection_observed": observed_rates,
    }


def plot(
    damping: dict,
    reflection: dict,
    observed: dict,
    *,
    agents: int,
    invert_at: int,
    num_symbols: int,
    reflection_gamma: float,
):
    """The two panels: exact efficiency per gamma, and per reflection count (observed rate faint)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    for gamma, curve in damping.items():
        left.plot(np.arange(len(curve)), curve, label=f"gamma_damping = {_label(gamma)}")
    left.set_title("Forgetting: exact blocking efficiency (from h-values)")
    for refl, curve in reflection.items():
        (line,) = right.plot(np.arange(len(curve)), curve, linewidth=1.2, label=f"num_reflections = {refl}")
        rate = observed.get(refl)
        if rate is not None:
            right.plot(np.arange(len(rate)), rate, color=line.get_color(), linewidth=0.5, alpha=0.35)
    right.set_title(f"Reflection at gamma_damping = {_label(reflection_gamma)}: exact (observed faint)")
    for ax in (left, right):
        ax.axvline(invert_at, color="grey", linestyle=":", linewidth=1.2)
        ax.axhline(1.0 / num_symbols, color="grey", linewidth=0.8, alpha=0.6, label=f"chance (1/{num_symbols})")
        ax.text(invert_at - 4, 0.5, "symbols inverted", color="grey", fontsize=9, rotation=90, ha="right", va="center")
        ax.set_ylim(0.0, 1.02)
        finish_axes(ax, "trial", "lower left")
    left.set_ylabel("blocking efficiency (P(block))")
    fig.suptitle(
        f"Invasion game, {num_symbols} symbols, meaning inverted at trial {invert_at}: "
        f"mean over {agents} PS agents (eta_glow_damping = 1)"
    )
    return fig


def main(argv=None) -> None:
    parser = agents_command_line(
        __doc__, "results/invasion", agents=20000, unit="trial", count=500, seed_help="root seed of the agents' streams"
    )
    parser.add_argument("--invert-at", type=int, default=250, help="first trial with inverted symbols")
    parser.add_argument("--gammas", type=float, nargs="+", default=list(GAMMAS), help="gamma_damping values")
    parser.add_argument(
        "--reflections",
        type=int,
        nargs="+",
        default=list(REFLECTIONS),
        help="num_reflections values (reflection panel)",
    )
    parser.add_argument(
        "--reflection-gamma", type=float, default=REFLECTION_GAMMA, help="gamma_damping of the reflection panel"
    )
    parser.add_argument("--symbols", type=int, default=2, help="symbols (= doors)")
    args = parse(parser, argv, agents=1, trials=2, symbols=2)
    if not 0 < args.invert_at < args.trials:
        parser.error(f"--invert-at must lie in 1..{args.trials - 1} (trials before and after the inversion)")
    if not all(0.0 <= g <= 1.0 for g in [*args.gammas, args.reflection_gamma]):
        parser.error("--gammas and --reflection-gamma must lie in [0, 1]")
    if min(args.reflections) < 0:
        parser.error("--reflections must be >= 0")
    report = run(
        args.out,
        args.agents,
        args.trials,
        args.invert_at,
        args.gammas,
        args.reflections,
        args.reflection_gamma,
        args.symbols,
        args.seed,
    )
    before, end = args.invert_at - 1, args.trials - 1
    rows = [
        f"{'gamma_damping = ' + _label(gamma):32s} {curve[before]:.3f} / {curve[end]:.3f} (exact)"
        for gamma, curve in report["damping"].items()
    ]
    rows += [
        f"{'num_reflections = ' + str(refl):32s} {curve[before]:.3f} / {curve[end]:.3f} (exact)"
        for refl, curve in report["reflection"].items()
    ]
    print_summary(f"{'setting':32s} efficiency at trial {before} / trial {end}", rows, report)


if __name__ == "__main__":
    main()
