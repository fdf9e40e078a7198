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
at gamma_damping = 1/50 for the reflection panel; 1000 agents per curve (smooth curves in
about three seconds).

What is measured
----------------
Blocking efficiency at trial t = the probability that an agent blocks in trial t, averaged
over the agents and over the (equally likely) symbols. Without reflection it is computed
exactly from each agent's h-values just before the trial: ``agent.policy()`` gives the
hopping probabilities of every door, weighted by the trial's reward table. With reflection
the final choice also depends on the emotion tags, which the batched agent keeps to itself,
so the reflection panel plots the observed blocking rate (the mean 0/1 reward over the
agents in that trial); the exact curve without reflection is drawn there too, dashed, to
show that the observed rate scatters around it.

The game is the :class:`ps_graph.envs.InvasionGame` protocol (symbol s means door s before
the inversion and door ``num_symbols - 1 - s`` from trial ``invert_at`` on), written as one
tiny :class:`ps_graph.tabular.TabularMDP` per protocol phase so that
:class:`ps_graph.BatchedTwoLayerPS` plays K copies in lockstep on a
:class:`ps_graph.tabular.VectorMDP`.

Run:  python examples/invasion_game.py --out results/invasion
Writes OUT/invasion_game.png and OUT/invasion_game.csv (tidy: panel, setting, agent, trial,
value, measure; trial counts from 0 like ``env.trial``; measure is "exact" or "observed").
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
from _common import agents_command_line, finish_axes, parse, print_summary, write_outputs
from tqdm.auto import tqdm

from ps_graph import BatchedTwoLayerPS, ConfigError
from ps_graph.tabular import TabularMDP, VectorMDP

NAME = "invasion_game"
FIELDS = ("panel", "setting", "agent", "trial", "value", "measure")
GAMMAS = (0.0, 0.01, 0.02, 0.1)
REFLECTIONS = (0, 1, 2)
REFLECTION_GAMMA = 0.02
AGENT = "PS (2-layer, standard policy)"


def invasion_mdp(num_symbols: int = 2, inverted: bool = False) -> TabularMDP:
    """One trial of the invasion game as a one-step MDP: state = symbol shown (uniform),
    action = door; reward 1 at the door the symbol announces, and every action ends the trial.

    >>> invasion_mdp(2, inverted=True).expected_rewards     # symbol 0 now means door 1
    array([[0., 1.],
           [1., 0.]])
    """
    n = num_symbols
    doors = np.arange(n)
    correct = n - 1 - doors if inverted else doors
    rewards = (doors[None, :] == correct[:, None]).astype(float)[..., None]
    stay = np.broadcast_to(doors[:, None, None], (n, n, 1))
    name = f"invasion game ({n} symbols{', inverted' if inverted else ''})"
    return TabularMDP(
        n,
        n,
        np.ones((n, n, 1)),
        stay,
        rewards,
        np.ones((n, n, 1), bool),
        np.full(n, 1.0 / n),
        max_episode_steps=1,
        name=name,
    )


def play(agent: BatchedTwoLayerPS, trials: int, invert_at: int, num_symbols: int, seed: int):
    """Play ``trials`` trials with all K agents in lockstep; the symbols' meaning inverts at
    trial ``invert_at``. Returns ``(exact, observed)``, each of shape (trials,): the exact
    blocking probability before each trial (from the hopping probabilities, reflection not
    included) and the observed fraction of agents that blocked."""
    phases = [
        VectorMDP(invasion_mdp(num_symbols, inverted), agent.num_agents, seed=seed + i)
        for i, inverted in enumerate((False, True))
    ]
    exact, observed = np.zeros(trials), np.zeros(trials)
    for t in range(trials):
        game = phases[int(t >= invert_at)]
        # P(block) = mean over agents and symbols of sum_door P(door | symbol) * reward(symbol, door)
        exact[t] = (agent.policy() * game.mdp.expected_rewards).sum(axis=-1).mean()
        symbols = game.reset()
        doors = agent.act(symbols)
        _, rewards, terminated, truncated = game.step(doors)
        agent.observe(rewards, symbols, terminated, truncated)
        observed[t] = rewards.mean()
    return exact, observed


def _label(gamma: float) -> str:
    """gamma as the papers write it: 0, 1/50, 1/10 (a decimal when it is no simple fraction)."""
    frac = Fraction(gamma).limit_denominator(1000)
    if gamma == 0 or abs(float(frac) - gamma) > 1e-12:
        return f"{gamma:g}"
    return str(frac)


def run(
    out: Path,
    agents: int = 1000,
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

    Returns ``{"csv", "png", "damping": {gamma: exact curve}, "reflection": {R: observed
    curve}, "reflection_exact_baseline": exact curve at R = 0}`` (curves of shape (trials,)).
    """
    if not isinstance(invert_at, int) or not 0 < invert_at < trials:
        raise ConfigError(
            f"invert_at must be a trial in 1..trials-1 = 1..{trials - 1}; got {invert_at!r}. "
            "The inversion needs trials before and after it."
        )
    if not gammas or not reflections:
        raise ConfigError("give at least one gamma_damping value and one num_reflections value.")
    settings = [("damping", g, 0) for g in gammas] + [("reflection", reflection_gamma, r) for r in reflections]
    damping, reflection, baseline = {}, {}, None
    rows = []
    for panel, gamma, refl in tqdm(settings, desc="invasion game", disable=not progress):
        agent = BatchedTwoLayerPS(
            num_symbols, num_symbols, agents, gamma_damping=gamma, eta_glow_damping=1.0, num_reflections=refl, seed=seed
        )
        exact, observed = play(agent, trials, invert_at, num_symbols, seed=seed + 1)
        setting = f"gamma_damping={gamma:g}, num_reflections={refl}"
        if refl == 0:
            rows += [(panel, setting, AGENT, t, v, "exact") for t, v in enumerate(exact)]
        rows += [(panel, setting, AGENT, t, v, "observed") for t, v in enumerate(observed)]
        if panel == "damping":
            damping[gamma] = exact
        else:
            reflection[refl] = observed
            if refl == 0:
                baseline = exact
    if baseline is None:  # the dashed reference of the reflection panel
        agent = BatchedTwoLayerPS(
            num_symbols, num_symbols, agents, gamma_damping=reflection_gamma, eta_glow_damping=1.0, seed=seed
        )
        baseline = play(agent, trials, invert_at, num_symbols, seed=seed + 1)[0]
    fig = plot(
        damping,
        reflection,
        baseline,
        agents=agents,
        invert_at=invert_at,
        num_symbols=num_symbols,
        reflection_gamma=reflection_gamma,
    )
    return {
        **write_outputs(out, NAME, FIELDS, rows, fig),
        "damping": damping,
        "reflection": reflection,
        "reflection_exact_baseline": baseline,
    }


def plot(
    damping: dict,
    reflection: dict,
    baseline: np.ndarray,
    *,
    agents: int,
    invert_at: int,
    num_symbols: int,
    reflection_gamma: float,
):
    """The two panels: exact efficiency per gamma; observed blocking rate per reflection count."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    for gamma, curve in damping.items():
        left.plot(np.arange(len(curve)), curve, label=f"gamma_damping = {_label(gamma)}")
    left.set_title("Forgetting: exact blocking efficiency (from h-values)")
    for refl, curve in reflection.items():
        right.plot(np.arange(len(curve)), curve, linewidth=0.9, label=f"num_reflections = {refl} (observed)")
    right.plot(np.arange(len(baseline)), baseline, "k--", linewidth=1.2, label="num_reflections = 0, exact")
    right.set_title(f"Reflection at gamma_damping = {_label(reflection_gamma)}: observed blocking rate")
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
        __doc__, "results/invasion", agents=1000, unit="trial", count=500, seed_help="root seed of the agents' streams"
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
        f"{'num_reflections = ' + str(refl):32s} {curve[before]:.3f} / {curve[end]:.3f} (observed)"
        for refl, curve in report["reflection"].items()
    ]
    print_summary(f"{'setting':32s} efficiency at trial {before} / trial {end}", rows, report)


if __name__ == "__main__":
    main()
