"""The never-ending colour game: PS with generalization (wildcard clips) beside a plain
two-layer PS agent, N agents x T trials on the graph core.

What it mirrors
---------------
Melnikov, Makmal, Dunjko & Briegel, "Projective simulation with generalization", Sci. Rep.
7, 14430 (2017): the figure showing the performance of PS agents in the never-ending colour
scenario, where every trial shows an arrow (left / right: go that way) in a colour never
seen before, so that no percept repeats. An agent without generalization cannot learn (it
stays at chance, 1/2); with generalization it learns through the wildcard clips
"(direction, #)". We could not open the paper's figures through the tools available here,
so its figure number is not given.

Settings
--------
From the authors' published code (qic-ibk/projectivesimulation, run.py and
environments/env_neverending_color.py): 2 directions (= actions), a fresh colour every
trial, reward 1 for the right direction; PS with generalization, gamma_damping = 0,
eta_glow_damping = 1, the standard policy, no fully general "(#, #)" clip; 100 agents. Their
run.py also switches on majority voting, which ps_graph does not implement, so the curve
here is plain generalization.

Chosen here (and why): 300 trials (the authors' run.py plays 100; 300 shows the approach to
the asymptote), a plain PSAgent (graph core, no growth) with the same hyperparameters as the
baseline, so the two differ only in the growth rule.

What is measured
----------------
Success probability at trial t = the probability that the agent goes the right way in trial
t, averaged over the agents; computed exactly before each trial from the agent's h-values
through its hidden layer (``agent.ecm.action_probabilities(percept clip)``, an absorbing
Markov chain solve), not from the noisy 0/1 rewards (the CSV holds those too).

The asymptotes (drawn as dashed lines): with ``Generalization()`` (see
:mod:`ps_graph.growth`) a fresh percept (d, c) agrees with earlier percepts only in its
direction, so it is wired with h0 to the n actions and to one wildcard clip (d, #), and
nothing else. The walk goes straight to the right action with probability 1/(n+1) and to
(d, #) with probability 1/(n+1); with gamma_damping = 0 the clip's edge to the right action
grows without bound while its other edges stay at h0, so from (d, #) the walk ends right
with a probability that tends to 1. Hence P(success) -> 2/(n+1), 2/3 for two directions,
approached from below. The plain agent sees only fresh percepts with n fresh edges:
P(success) = 1/n, 1/2 for two directions, at every trial.

Run:  python examples/colour_game.py --out results/colour_game
Writes OUT/colour_game.png and OUT/colour_game.csv (tidy: setting, agent, trial, value, ci95,
measure; trial counts from 0 like ``env.trial``; measure is "exact" (mean success
probability) or "observed" (mean reward); ci95 is the half-width of the 95 % interval of
the mean over agents).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import agents_command_line, finish_axes, parse, print_summary, write_outputs
from tqdm.auto import tqdm

from ps_graph import PSAgent, action_clip
from ps_graph.envs import NeverEndingColourGame
from ps_graph.growth import Generalization
from ps_graph.inspection.plots import mean_and_ci

NAME = "colour_game"
FIELDS = ("setting", "agent", "trial", "value", "ci95", "measure")
PS_SETTINGS = {"gamma_damping": 0.0, "eta_glow_damping": 1.0, "policy": "standard"}
AGENTS = {"PS with generalization": True, "plain 2-layer PS": False}


def asymptote(num_directions: int, generalization: bool) -> float:
    """Long-run success probability: 2/(n+1) with generalization, 1/n without.

    >>> asymptote(2, True), asymptote(2, False)
    (0.6666666666666666, 0.5)
    """
    return 2.0 / (num_directions + 1) if generalization else 1.0 / num_directions


def play(generalization: bool, trials: int, seed: int, num_directions: int = 2):
    """One agent, ``trials`` trials. Returns ``(exact, rewards)``, each of shape (trials,):
    the exact success probability before each trial and the reward the agent got."""
    env = NeverEndingColourGame(num_directions=num_directions)
    agent = PSAgent.for_env(env, growth=Generalization() if generalization else None, seed=seed, **PS_SETTINGS)
    exact, rewards = np.zeros(trials), np.zeros(trials)
    obs, info = env.reset(seed=seed)
    for t in range(trials):
        clip = agent.percept(obs)  # created (and grown) here, as act() would do
        exact[t] = agent.ecm.action_probabilities(clip).get(action_clip(info["correct_action"]), 0.0)
        action = agent.act(obs)
        obs, reward, terminated, truncated, _ = env.step(action)
        agent.observe(reward, obs, terminated, truncated)
        rewards[t] = reward
        obs, info = env.reset()
    return exact, rewards


def run(
    out: Path, agents: int = 100, trials: int = 300, num_directions: int = 2, seed: int = 0, progress: bool = True
) -> dict:
    """Play both kinds of agent and write OUT/colour_game.png and .csv.

    Returns ``{"csv", "png", "exact": {agent: (agents, trials) array}, "rewards": {agent:
    (agents, trials) array}, "asymptote": {agent: value}}``.
    """
    exact, rewards, rows = {}, {}, []
    seeds = [seed + i for i in range(agents)]
    for name, generalization in AGENTS.items():
        runs = [play(generalization, trials, s, num_directions) for s in tqdm(seeds, desc=name, disable=not progress)]
        exact[name] = np.stack([e for e, _ in runs])
        rewards[name] = np.stack([r for _, r in runs])
        for measure, data in (("exact", exact[name]), ("observed", rewards[name])):
            mean, half = mean_and_ci(data)
            rows += [
                ("gamma_damping=0, eta_glow_damping=1", name, t, m, h, measure)
                for t, (m, h) in enumerate(zip(mean, half))
            ]
    limits = {name: asymptote(num_directions, g) for name, g in AGENTS.items()}
    fig = plot(exact, limits, num_directions=num_directions)
    return {**write_outputs(out, NAME, FIELDS, rows, fig), "exact": exact, "rewards": rewards, "asymptote": limits}


def plot(exact: dict, limits: dict, *, num_directions: int):
    """Mean exact success probability per agent kind (95 % band) with its asymptote."""
    from fractions import Fraction

    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    for name, data in exact.items():
        mean, half = mean_and_ci(data)
        trial = np.arange(data.shape[1])  # env.trial: 0 is the first
        (line,) = ax.plot(trial, mean, label=f"{name} ({data.shape[0]} agents)")
        ax.fill_between(trial, mean - half, mean + half, color=line.get_color(), alpha=0.2, linewidth=0)
        frac = Fraction(limits[name]).limit_denominator(100)
        ax.axhline(
            limits[name],
            color=line.get_color(),
            linestyle="--",
            linewidth=1.0,
            label=f"asymptote {frac} ({'2/(n+1)' if 'generalization' in name else '1/n'})",
        )
    ax.set_ylabel("success probability (exact, mean over agents)")
    ax.set_ylim(min(limits.values()) - 0.1, max(limits.values()) + 0.08)
    ax.set_title(
        f"Never-ending colour game, n = {num_directions} directions, a new colour every trial\n"
        "PS gamma_damping = 0, eta_glow_damping = 1, standard policy"
    )
    finish_axes(ax, "trial", "lower right")
    return fig


def main(argv=None) -> None:
    parser = agents_command_line(
        __doc__,
        "results/colour_game",
        agents=100,
        unit="trial",
        count=300,
        seed_help="first seed; agents use seed, seed+1, ...",
    )
    parser.add_argument("--directions", type=int, default=2, help="arrow directions (= actions)")
    args = parse(parser, argv, agents=1, trials=1, directions=2)
    report = run(args.out, args.agents, args.trials, args.directions, args.seed)
    last = max(1, args.trials // 10)
    rows = [
        f"{name:26s} {data[:, -last:].mean():.3f}                                 | {report['asymptote'][name]:.3f}"
        for name, data in report["exact"].items()
    ]
    print_summary(f"{'agent':26s} success probability, last {last} trials (exact) | asymptote", rows, report)


if __name__ == "__main__":
    main()
