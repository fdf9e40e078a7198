"""The ``ps-graph`` command line.

* ``ps-graph demo`` runs the course's FrozenLake exercise (PS vs Q-learning vs DQN) and
  writes a report folder: one self-contained HTML page with the learning curves, the
  summary, the exact optimum and the interactive ECM of a trained PS agent.
* ``ps-graph compare --env ID --agents ps,q,dqn --runs N --episodes M --out DIR`` runs
  any comparison (locally on all cores, or on a Dask cluster), resumably, and writes the
  same report.
* ``ps-graph train`` trains and saves one agent; ``ps-graph inspect SAVED.json`` opens a
  saved PS agent without writing code (summary, exact explanation of a percept, the
  interactive offline page); ``ps-graph envs`` lists the environments and which agents
  apply.

Every subcommand documents its options in ``--help``; a bad option value or an unreadable
file gives a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._cli_args import (
    _PERCEPT_HELP,
    CommandError,
    _agent_kind,
    _agent_kinds,
    _env_id,
    _jobs,
    _json_object,
    _positive_int,
    _probability,
    _real,
    _seed,
    _split_settings,
    parse_percept,
    parse_setting,
)
from .errors import PSGraphError

__all__ = ["main", "build_parser", "parse_percept", "parse_setting"]

_VALUE_HELP = "VALUE is read as JSON (0.1, true, [64, 64], {...}), anything else as a string"
# kinds whose trained agent has a file format (ps kinds: ps_graph.save, others: agent.save), and how
# to open what `train` saved
_SAVERS = {"ps": "open it with: ps-graph inspect {path}", "ps-fast": "open it with: ps-graph inspect {path}",
           "q": "load it with qbaselines.QLearningAgent.load(path)",
           "dqn": "load it with qbaselines.DQNAgent.load(path, env)"}
_PS_KINDS = ("ps", "ps-fast")


# ---------------------------------------------------------------------- inspect
def _load_ps_agent(path: Path):
    """``saving.load(path)``; a Q-learning or DQN file gets an error that says where it loads."""
    from . import saving

    try:
        return saving.load(path)
    except PSGraphError:
        from qbaselines._saved import FORMAT

        data = path.read_bytes()
        try:
            is_q = json.loads(data).get("format") == FORMAT
        except (ValueError, AttributeError, RecursionError):
            is_q = False
        if is_q:
            where = "a Q-learning agent (QLearningAgent.save): load it with qbaselines.QLearningAgent.load(path)"
        elif data.startswith(b"PK\x03\x04"):
            where = ("a zip archive such as DQNAgent.save writes: load DQN agents with "
                     "qbaselines.DQNAgent.load(path, env)")
        else:
            raise
    raise CommandError(f"{path} holds {where} in Python. inspect reads PS agents (ps, ps-fast), the files "
                       "ps_graph.save writes.")


def _cmd_inspect(args: argparse.Namespace) -> int:
    from .explain import explain, policy_summary

    agent = _load_ps_agent(args.saved)
    ecm = agent.ecm if hasattr(agent, "ecm") else agent.to_ecm()
    out = sys.stdout
    print(f"{args.saved}: {type(agent).__name__}, {ecm!r}", file=out)
    keys = [clip[1] for clip in ecm.clips("percept")]
    if args.explain is not None:
        key = parse_percept(args.explain, keys)
        print(explain(ecm, ("percept", key), k=args.paths).to_text(), file=out)
    else:
        rows = policy_summary(ecm)
        print(f"{len(rows)} percepts; most likely action per percept (first {min(len(rows), args.rows)}):", file=out)
        for row in rows[: args.rows]:
            print(f"  {row.label:>12} -> {row.most_likely_label}  (p = {row.probabilities[row.most_likely]:.3f}, "
                  f"entropy {row.entropy:.3f} nats, visits {row.visits})", file=out)
    if args.html is not None:
        from .viz import write_html

        percepts = None
        if args.percepts:
            percepts = [("percept", parse_percept(text, keys)) for text in args.percepts]
        path = write_html(ecm, args.html, percepts=percepts, min_probability=args.min_probability,
                          title=f"ECM of {Path(args.saved).name}")
        print(f"wrote {path}", file=out)
    return 0


# ---------------------------------------------------------------------- compare and the report
def _budget(args) -> dict[str, Any]:
    return {"episodes": args.episodes, "total_steps": args.total_steps, "max_steps": args.max_steps}


def _finish(results, args, rows_kwargs: dict, report: Path | None) -> None:
    from .experiments import summarize
    from .report import format_summary

    if not args.quiet:
        print(format_summary(summarize(results, **rows_kwargs)))
    print(f"wrote the results to {args.out}" + (f" and the report to {report} (self-contained, works offline)"
                                                 if report is not None else ""))


def _cmd_compare(args: argparse.Namespace) -> int:
    from .experiments import AgentSpec, EnvSpec, compare
    from .report import report_comparison

    settings = _split_settings(args.set, args.agents)
    env_kwargs = {**(args.env_kwargs or {}), **settings.pop("env")}
    agents = [AgentSpec(kind, settings[kind]) for kind in args.agents]
    envs = [EnvSpec(env_id, env_kwargs) for env_id in dict.fromkeys(args.env)]
    budget = _budget(args)
    results = compare(agents, envs, args.out, runs=args.runs, seed=args.seed, jobs=args.jobs, backend=args.backend,
                      scheduler=args.scheduler, progress=not args.quiet, **budget)
    summary = {"last": args.last, "threshold": args.threshold, "window": args.window, "metric": args.metric}
    report = None
    if not args.no_report:
        shown = {"command": shlex.join(["ps-graph", *args.argv]),
                 "agents": "; ".join(f"{a.name}: {json.dumps(a.hyperparameters) if a.hyperparameters else 'defaults'}"
                                     for a in agents),
                 "environments": ", ".join(e.name for e in envs),
                 "budget per run": (f"{args.episodes} episodes" if args.episodes else f"{args.total_steps} steps")
                 + (f", at most {args.max_steps} steps per episode" if args.max_steps else ""),
                 "runs": f"{args.runs} per agent and environment, seeds derived from root seed {args.seed} "
                         "(run i uses the same seed for every agent)"}
        report = report_comparison(results, agents, envs, args.out, seed=args.seed, **budget,
                                   title=f"{', '.join(a.name for a in agents)} on {', '.join(e.name for e in envs)}",
                                   settings=shown, **summary)
    _finish(results, args, summary, report)
    return 0


# ---------------------------------------------------------------------- train
def _cmd_train(args: argparse.Namespace) -> int:
    from .experiments import AgentSpec, EnvSpec, RunSpec, derive_seeds
    from .experiments.single import validate
    from .report import rerun

    if args.agent not in _SAVERS:
        raise CommandError(f"agent kind {args.agent!r} has no file format to save it in; train one of "
                           f"{', '.join(_SAVERS)}, or compare {args.agent!r} with `ps-graph compare`, which "
                           "records its learning curves.")
    if args.out.is_dir():
        raise CommandError(f"--out {args.out} is a folder; give a file name such as agent.json (agent.pt for dqn).")
    settings = _split_settings(args.set, None)
    spec = RunSpec(AgentSpec(args.agent, settings["agent"]), EnvSpec(args.env, {**(args.env_kwargs or {}),
                                                                                **settings["env"]}),
                   run=0, seed=derive_seeds(args.seed, 1)[0], **_budget(args))
    validate([spec])
    agent, result = rerun(spec)
    if args.agent in _PS_KINDS:
        from .saving import save

        path = save(agent, args.out)
    else:
        path = agent.save(args.out)
    hint = "; " + _SAVERS[args.agent].format(path=path)
    last = min(args.last, result.episodes)
    print(f"{args.agent} on {spec.env.name}: {result.episodes} episodes, {result.steps} steps in "
          f"{result.wall_time:.2f} s; last {last} episodes: mean return {result.returns[-last:].mean():.3f}, "
          f"success {result.success_rate(last=last):.3f}; saved {path}{hint}")
    return 0


# ---------------------------------------------------------------------- envs
def _space_text(space) -> str:
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return f"Box(shape={space.shape}, {space.dtype})"
    return str(space)


def _env_rows() -> list[list[str]]:
    import gymnasium as gym

    from .envs import ENV_IDS
    from .experiments import AGENTS, AgentSpec, EnvSpec, RunSpec
    from .tabular import SUPPORTED_ENVS

    rows = []
    for env_id in (*ENV_IDS, *SUPPORTED_ENVS, "CartPole-v1"):
        env = gym.make(env_id)
        try:
            kinds = []
            for kind, entry in AGENTS.items():
                spec = RunSpec(AgentSpec(kind), EnvSpec(env_id), run=0, seed=0, episodes=1)
                try:
                    entry.check(env, spec) if entry.check is not None else entry.build(env, spec)
                except PSGraphError:
                    continue
                kinds.append(kind)
            exact = "yes" if isinstance(getattr(env.unwrapped, "P", None), dict) else "no"
            limit = env.spec.max_episode_steps if env.spec is not None else None
            rows.append([env_id, _space_text(env.observation_space), _space_text(env.action_space),
                         str(limit or "none"), ",".join(kinds) or "none", exact])
        finally:
            env.close()
    return rows


def _cmd_envs(args: argparse.Namespace) -> int:
    header = ["id", "observations", "actions", "step limit", "agents", "exact optimum"]
    rows = _env_rows()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print("\nagents: the kinds whose checks accept the spaces (PS and Q-learning need discrete observations, "
          "every kind Discrete actions; dqn takes Box observations too). exact optimum: the env has a "
          "transition table, so reports give its exact optimum (ps_graph.tabular). Any other gymnasium id "
          "works with --env as well.")
    return 0


# ---------------------------------------------------------------------- demo
DEMO_ENV = ("FrozenLake-v1", {"is_slippery": False})
DEMO_MAX_STEPS = 99
DEMO_AGENTS = {  # the course's settings; DQN: a small MLP on one-hot states that learns the 4x4 lake
    "ps": ("ps", {"eta_glow_damping": 0.04, "gamma_damping": 0.0}),
    "q-learning": ("q", {"learning_rate": 0.8, "gamma": 0.9, "exploration": "noisy_argmax"}),
    "dqn": ("dqn", {"net_arch": [32], "learning_rate": 1e-3, "buffer_size": 10_000, "learning_starts": 200,
                    "batch_size": 32, "gamma": 0.9, "train_freq": 1, "target_update_interval": 200,
                    "exploration_fraction": 0.5, "exploration_final_eps": 0.02, "total_timesteps": 4000}),
}
# (runs, episodes) of PS and Q-learning, and of DQN. DQN's budget is about a minute on 2 cores; the
# full 30 x 500 fits it (measured: about 25 s with 2 workers on a shared 2-core machine, ~1.3 s per run).
DEMO_BUDGETS = {"full": ((30, 500), (30, 500)), "quick": ((3, 60), (1, 60))}
DEMO_DQN_SECONDS = 60
DEMO_NOTE = ("The course's exercise. Every agent runs through the same train loop, on the same seeds; "
             "only the agent differs.")
DEMO_DQN_MEASURED = "about 25 s with 2 workers on a 2-core machine"


def _cmd_demo(args: argparse.Namespace) -> int:
    from .experiments import AgentSpec, EnvSpec, compare
    from .report import report_comparison

    (runs, episodes), (dqn_runs, dqn_episodes) = DEMO_BUDGETS["quick" if args.quick else "full"]
    out = args.out or Path("results/demo-quick" if args.quick else "results/demo")
    args.out = out
    env = EnvSpec(*DEMO_ENV)
    agents = [AgentSpec(kind, hp, name=name) for name, (kind, hp) in DEMO_AGENTS.items()]
    common = {"seed": 0, "max_steps": DEMO_MAX_STEPS, "jobs": args.jobs, "progress": not args.quiet}
    results = compare(agents[:2], env, out, runs=runs, episodes=episodes, **common)
    results |= compare(agents[2:], env, out, runs=dqn_runs, episodes=dqn_episodes, **common)
    summary = {"last": 100, "threshold": 0.9, "window": 10, "metric": "return"}
    settings = {
        "command": "ps-graph demo" + (" --quick" if args.quick else ""),
        "environment": f"{env.name}: FrozenLake 4x4, not slippery; at most {DEMO_MAX_STEPS} steps per episode "
                       "(the course's max_t); reward 1 at the goal, else 0",
        "ps": "ps_graph.PSAgent, 2-layer, standard policy, eta_glow_damping 0.04, gamma_damping 0 (the course's)",
        "q-learning": "learning_rate 0.8, gamma 0.9, noisy argmax: argmax(Q[s] + randn / (episode + 1)) "
                      "(the course's)",
        "dqn": "one-hot states, MLP (32), " + ", ".join(f"{k} {v}" for k, v in DEMO_AGENTS["dqn"][1].items()
                                                        if k != "net_arch"),
        "budget": f"ps and q-learning: {runs} runs x {episodes} episodes; dqn: {dqn_runs} runs x {dqn_episodes} "
                  f"episodes" + ("" if args.quick else f" (DQN's budget is about {DEMO_DQN_SECONDS} s on 2 cores; "
                                                   f"{dqn_runs} x {dqn_episodes} fits it: {DEMO_DQN_MEASURED})"),
        "seeds": "root seed 0; run i of every agent uses the same seed",
    }
    report = report_comparison(results, agents, env, out, seed=0, episodes=episodes, max_steps=DEMO_MAX_STEPS,
                               title="FrozenLake 4x4 (not slippery): PS vs Q-learning vs DQN", settings=settings,
                               notes=[DEMO_NOTE], **summary)
    _finish(results, args, summary, report)
    return 0


# ---------------------------------------------------------------------- the parser
def _add_budget(p: argparse.ArgumentParser, *, runs: bool) -> None:
    if runs:
        p.add_argument("--runs", type=_positive_int, default=10, metavar="N",
                       help="runs (seeds) per agent and environment (default 10)")
    budget = p.add_mutually_exclusive_group(required=True)
    budget.add_argument("--episodes", type=_positive_int, metavar="M", help="budget: M episodes per run")
    budget.add_argument("--total-steps", type=_positive_int, metavar="S",
                        help="budget: S environment steps per run (instead of --episodes)")
    p.add_argument("--max-steps", type=_positive_int, metavar="T",
                   help="cut every episode after T steps (truncated); default: only the environment's own limit")
    p.add_argument("--env-kwargs", type=_json_object, metavar="JSON",
                   help='keyword arguments for gymnasium.make as a JSON object, e.g. \'{"is_slippery": false}\'')


def _add_summary(p: argparse.ArgumentParser) -> None:
    p.add_argument("--last", type=_positive_int, default=100, metavar="N",
                   help="final performance averages each run's last N episodes (default 100)")
    p.add_argument("--threshold", type=_real, metavar="X",
                   help="also report the episodes each agent needs to a mean of X over --window episodes")
    p.add_argument("--window", type=_positive_int, default=10, metavar="W",
                   help="episodes of the moving average for --threshold and the plotted curves (default 10)")
    p.add_argument("--metric", choices=("return", "success"), default="return",
                   help="summarize the return per episode, or success (return > 0) (default return)")


def build_parser() -> argparse.ArgumentParser:
    from .experiments import AGENTS, BACKENDS

    parser = argparse.ArgumentParser(
        prog="ps-graph", description="Projective simulation with the ECM as a networkx graph: compare PS with "
                                     "Q-learning and DQN, train, and inspect what a PS agent learned.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    kinds = "; ".join(f"{k}: {v.description}" for k, v in AGENTS.items())

    demo = sub.add_parser(
        "demo", help="the course's FrozenLake exercise, PS vs Q-learning vs DQN, as a report folder",
        description=f"FrozenLake 4x4, not slippery, at most {DEMO_MAX_STEPS} steps per episode: PS "
                    "(eta_glow_damping 0.04, gamma_damping 0) and Q-learning (learning rate 0.8, gamma 0.9, "
                    f"noisy argmax), {DEMO_BUDGETS['full'][0][0]} runs x {DEMO_BUDGETS['full'][0][1]} episodes "
                    f"each, and DQN (one-hot states, a 32-unit MLP) with {DEMO_BUDGETS['full'][1][0]} runs x "
                    f"{DEMO_BUDGETS['full'][1][1]} episodes, which fits its budget of about {DEMO_DQN_SECONDS} s "
                    f"on 2 cores ({DEMO_DQN_MEASURED}). Writes OUT/report.html (self-contained, works offline: "
                    "learning curves, summary, "
                    "the exact optimum, the interactive ECM of a trained PS agent), summary.csv, the curves "
                    "PNG, ps_agent.json and the per-run results. Running it again reuses finished runs.",
    )
    demo.add_argument("--out", type=Path, metavar="DIR",
                      help="report folder (default results/demo, or results/demo-quick with --quick)")
    demo.add_argument("--jobs", type=_jobs, default=-1, metavar="J",
                      help="worker processes (default -1: one per CPU core; 1 runs in this process)")
    demo.add_argument("--quick", action="store_true",
                      help=f"a smoke run: {DEMO_BUDGETS['quick'][0][0]} runs x {DEMO_BUDGETS['quick'][0][1]} "
                           f"episodes ({DEMO_BUDGETS['quick'][1][0]} x {DEMO_BUDGETS['quick'][1][1]} for DQN)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    demo.set_defaults(run=_cmd_demo)

    compare = sub.add_parser(
        "compare", help="compare agents on environments over many seeds, with a report",
        description="Train every agent on every environment for --runs seeds (run i uses the same seed for "
                    "every agent), locally on all cores or on a Dask cluster, and write OUT/ as documented in "
                    "ps_graph.experiments (runs/<agent>/<env>/seed-<seed>/, episodes.csv) plus the report: "
                    "report.html (self-contained, works offline), summary.csv, curves-<env>.png and "
                    "ps_agent.json (run 0 of the first PS agent). Resume: run the same command again; finished "
                    "runs are kept and skipped, interrupted ones redone.",
        epilog="example: ps-graph compare --env FrozenLake-v1 --set env.is_slippery=false --agents ps,q "
               "--runs 30 --episodes 500 --max-steps 99 --set ps.eta_glow_damping=0.04 --out results/fl",
    )
    compare.add_argument("--env", type=_env_id, action="append", required=True, metavar="ID",
                         help="gymnasium environment id (repeat for several; `ps-graph envs` lists some)")
    compare.add_argument("--agents", type=_agent_kinds, required=True, metavar="KINDS",
                         help=f"comma-separated agent kinds: {kinds}")
    compare.add_argument("--out", type=Path, required=True, metavar="DIR", help="results and report folder")
    _add_budget(compare, runs=True)
    compare.add_argument("--seed", type=_seed, default=0, metavar="S",
                         help="root seed the run seeds derive from (default 0)")
    compare.add_argument("--set", type=parse_setting, action="append", metavar="NAME.PARAM=VALUE",
                         help="a hyperparameter of one of the --agents (ps.eta_glow_damping=0.04, "
                              "dqn.total_timesteps=5000, ps.growth='{\"rule\": \"Generalization\"}') or an "
                              f"environment kwarg (env.is_slippery=false); repeatable; {_VALUE_HELP}")
    compare.add_argument("--jobs", type=_jobs, default=-1, metavar="J",
                         help="worker processes (default -1: one per CPU core; 1 runs in this process)")
    compare.add_argument("--backend", choices=BACKENDS,
                         help="loky: local worker processes (default); serial: this process, in order; dask: a "
                              "Dask cluster (default with --scheduler; without one, a local cluster of --jobs)")
    compare.add_argument("--scheduler", metavar="ADDRESS",
                         help="Dask scheduler address such as tcp://10.0.0.1:8786 (needs pip install "
                              "'ps_graph[cluster]')")
    _add_summary(compare)
    compare.add_argument("--no-report", action="store_true",
                         help="write only the results, not report.html, summary.csv, the PNGs and ps_agent.json")
    compare.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    compare.set_defaults(run=_cmd_compare)

    train = sub.add_parser(
        "train", help="train one agent and save it",
        description="Train one agent and save it: ps and ps-fast with ps_graph.save (JSON; open it with "
                    "ps-graph inspect), q with QLearningAgent.save (JSON: Q-table, config, rng; load it with "
                    "qbaselines.QLearningAgent.load), dqn with DQNAgent.save (torch weights, .pt). --seed S "
                    "trains exactly run 0 of `ps-graph compare --seed S`.",
    )
    train.add_argument("--env", type=_env_id, required=True, metavar="ID", help="gymnasium environment id")
    train.add_argument("--agent", type=_agent_kind, required=True, metavar="KIND",
                       help=f"agent kind, one of {', '.join(_SAVERS)} (those with a file format)")
    train.add_argument("--out", type=Path, required=True, metavar="FILE",
                       help="where to save the agent (agent.json for ps kinds and q, agent.pt for dqn); "
                            "replaced if it exists")
    _add_budget(train, runs=False)
    train.add_argument("--seed", type=_seed, default=0, metavar="S", help="root seed (default 0)")
    train.add_argument("--set", type=parse_setting, action="append", metavar="PARAM=VALUE",
                       help="an agent hyperparameter (eta_glow_damping=0.04) or an environment kwarg "
                            f"(env.is_slippery=false); repeatable; {_VALUE_HELP}")
    train.add_argument("--last", type=_positive_int, default=100, metavar="N",
                       help="the printed result averages the last N episodes (default 100)")
    train.set_defaults(run=_cmd_train)

    inspect = sub.add_parser(
        "inspect", help="summarize, explain and draw a saved PS agent",
        description="Open a PS agent (ps, ps-fast) saved with ps_graph.save or ps-graph train: print a "
                    "summary of its policy, explain one percept exactly, and/or write the interactive offline ECM "
                    "page. Q-learning and DQN files load in Python (qbaselines.QLearningAgent.load, "
                    "DQNAgent.load).",
    )
    inspect.add_argument("saved", type=Path, metavar="SAVED.json", help="a file written by ps_graph.save")
    inspect.add_argument("--html", type=Path, metavar="OUT.html",
                         help="write the interactive ECM view (one self-contained page) here")
    inspect.add_argument("--explain", metavar="PERCEPT",
                         help=f"print the exact action probabilities and most probable paths of {_PERCEPT_HELP}")
    inspect.add_argument("--paths", type=_positive_int, default=5, metavar="K",
                         help="how many most probable paths --explain lists (default 5)")
    inspect.add_argument("--rows", type=_positive_int, default=20, metavar="N",
                         help="how many percepts the summary lists (default 20)")
    inspect.add_argument("--percepts", nargs="+", metavar="PERCEPT",
                         help="--html shows only what these percepts reach (each as for --explain)")
    inspect.add_argument("--min-probability", type=_probability, default=0.0, metavar="P",
                         help="--html hides edges whose hopping probability is below P (default 0)")
    inspect.set_defaults(run=_cmd_inspect)

    envs = sub.add_parser(
        "envs", help="list the environments, their spaces, which agents apply, and where the exact optimum is known",
        description="List ps_graph's registered environments (ps_graph/*-v0), the toy-text environments "
                    "ps_graph.tabular supports, and CartPole-v1: spaces, step limit, the agent kinds that "
                    "accept them, and whether reports can give the exact optimum. Fast: nothing is trained.",
    )
    envs.set_defaults(run=_cmd_envs)
    return parser


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or exc}: {exc.filename}"
    text = " ".join([str(exc) or type(exc).__name__, *getattr(exc, "__notes__", [])])
    return " ".join(text.split())  # one line


def _log_warnings_only() -> None:
    """Show warnings and errors of every logger once, as ``ps-graph: LEVEL: message``.

    The handler itself filters at WARNING: libraries that set their own loggers to INFO
    (Dask's scheduler and workers do) would otherwise fill the terminal.
    """
    root = logging.getLogger()
    if any(getattr(h, "_ps_graph", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("ps-graph: %(levelname)s: %(message)s"))
    handler._ps_graph = True
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ps-graph`` with ``argv`` (default: the process arguments); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    _log_warnings_only()
    try:
        return args.run(args)
    except (CommandError, PSGraphError, OSError, ImportError) as exc:
        print(f"ps-graph {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ps-graph {args.command}: interrupted" + ("; finished runs are kept, run the same command again to "
                                                         "resume" if args.command in ("compare", "demo") else ""),
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
