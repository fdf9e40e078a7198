"""Many agents x environments x seeds: run specs, local or Dask workers, resumable results, summaries.

>>> import tempfile
>>> from ps_graph.experiments import AgentSpec, compare, summarize
>>> agents = ["q", AgentSpec("ps-fast", {"eta_glow_damping": 0.5}, name="ps")]
>>> with tempfile.TemporaryDirectory() as out:
...     results = compare(agents, "FrozenLake-v1", out, runs=3, episodes=30, jobs=1, progress=False)
>>> [(row.agent, row.runs) for row in summarize(results, last=10)]
[('q', 3), ('ps', 3)]

Runs
    A :class:`RunSpec` (agent kind + hyperparameters, environment id + kwargs, run index and
    seed, budget) is a small frozen value that pickles and round-trips through JSON.
    :func:`run_spec` runs one in memory; :func:`run_one` runs one and writes its folder.
    Agent kinds live in :mod:`ps_graph.registry` (``kinds()``: "ps": PSAgent, "ps-fast":
    TwoLayerPS, and from qbaselines "q": QLearningAgent, "dqn": DQNAgent, whose
    ``total_timesteps`` defaults to a ``total_steps`` budget); add kinds with
    :func:`register_agent`.

Seeds
    Common random numbers: run ``i`` of every agent on every environment uses the same
    seed, ``derive_seeds(root, runs)[i]`` (a numpy SeedSequence child of the root seed), so
    agents meet the same environment randomness and differences come from the agents. The
    environment is seeded with it (``train(..., seed=)``) and the agent with
    :attr:`RunSpec.agent_seed`, a child of it (the same integer would hand both the very
    same random stream). Both come from :func:`ps_graph.streams.spawn_seeds`, the package's
    one seed derivation. Seeds are fixed in the parent before anything runs, so results
    are identical whatever the backend or number of workers.

Backends
    ``compare(..., backend="loky")`` (default) runs on joblib's local worker processes, one
    BLAS/OpenMP/torch thread each, so processes do not fight over cores; ``"serial"`` runs
    in this process, in order (pdb works); ``"dask"`` or ``scheduler="tcp://..."`` (or a
    ``distributed.Client``) runs on a Dask cluster. Workers only compute: they send each
    run's per-episode arrays back and this process writes the files as runs arrive, so a
    cluster needs no shared filesystem and a killed parent leaves no worker writing.

Folder layout (``out``)::

    OUT/
      episodes.csv                       every finished run's rows, rebuilt at the end
      runs/<agent>/<env>/seed-<seed>/    one folder per run (names made folder-safe)
        episodes.csv                     one row per episode (EPISODE_COLUMNS)
        config.json                      spec (with its stopping rule), agent seed, the
                                         agent's resolved config, versions, wall time,
                                         why it stopped early ("stopped", null if it used
                                         its budget), finished timestamp, SHA-256 of
                                         episodes.csv; written LAST

    Columns (:data:`ps_graph.files.EPISODE_COLUMNS`, the one per-episode schema, also
    written by ``ps_graph.files.write_episode_csv``): agent, env, run, seed, episode (from
    0), return, length, terminated, env_steps (cumulative), wall_time (seconds from the
    start of training to the episode's end). Every file is written atomically (temporary
    file + rename).

Resume
    ``config.json`` is the completion marker. Calling ``compare`` again with the same
    ``out`` skips every finished run and redoes, from scratch, every run folder without a
    valid ``config.json`` matching its ``episodes.csv`` (a malformed one, or a checksum that
    does not match, is logged as a warning: :class:`~ps_graph.errors.DamagedRunError`). A
    finished run whose spec differs from the one asked for is an error, never overwritten:
    a folder keeps one setting of each agent and environment, so the same names with other
    hyperparameters, env kwargs, root seed, budget or stopping rule are refused before anything runs
    (:func:`~ps_graph.experiments.store.check_settings`). The combined ``OUT/episodes.csv``
    is rebuilt from the run folders, so no row is lost or duplicated however often a
    comparison was interrupted.

One writer
    ``compare`` holds ``OUT/compare.lock`` (its pid, host, start time and command) while it
    runs; a second ``compare`` on the same folder refuses, naming the owner. A lock left by
    a process of this host that no longer runs is taken over with a warning; one from
    another host is never broken automatically (:mod:`ps_graph.experiments.lock`).
    :func:`run_one` takes no lock: array jobs write different run folders at once.

Early stopping
    ``compare(..., stop=StopWhenMeanReturn(last=N, at_least=X))`` ends each run once the
    mean return over its last N episodes reaches X. The rule is part of every run's spec
    (:attr:`RunSpec.stop`, stored in config.json as ``{"rule": "StopWhenMeanReturn", "last":
    N, "at_least": X}``), so resuming with another rule is refused like another budget. A
    stopped run's episodes.csv has only the episodes it ran. Only the provided rules
    (:data:`~ps_graph.experiments.specs.STOP_RULES`) can be stored; for a callback of your
    own, use :func:`ps_graph.train` or :func:`run_spec`.

Summaries
    :func:`summarize` gives final performance (mean and 95 % CI over runs, interquartile
    mean with a bootstrap interval), area under the learning curve and episodes to a
    threshold per (agent, environment); "the last N episodes" are each run's own last N, so
    a stopped run is scored on the episodes that met its rule. :func:`write_summary_csv`
    writes them; :func:`plot_comparison` draws one learning-curve figure per environment.
    Across environments, :func:`aggregate` gives each agent the IQM of its runs' scores,
    min-max normalized per environment, with a stratified bootstrap interval (tasks =
    environments; :mod:`ps_graph.experiments.aggregate`), :func:`write_aggregate_csv`
    writes them, and :func:`plot_performance_profile` draws the fraction of runs above each
    normalized score. :func:`load_results` reads a results folder back (no pickle).

Progress is a tqdm bar over runs; everything else goes to the ``ps_graph.experiments``
logger.
"""

from ..registry import AgentKind, register_agent
from .aggregate import AggregateRow, aggregate, normalized_scores, plot_performance_profile, write_aggregate_csv
from .robust import ProfileResult, iqm, iqm_interval, performance_profile
from .runner import BACKENDS, compare, run_one
from .single import make_env, run_spec
from .specs import AgentSpec, EnvSpec, RunSpec, derive_seeds, expand
from .store import EPISODE_COLUMNS, load_results, read_run, rebuild_episode_csv, run_folder, save_run
from .summary import SummaryRow, plot_comparison, summarize, write_summary_csv

__all__ = [
    "BACKENDS",
    "AggregateRow",
    "aggregate",
    "normalized_scores",
    "plot_performance_profile",
    "write_aggregate_csv",
    "EPISODE_COLUMNS",
    "AgentKind",
    "AgentSpec",
    "EnvSpec",
    "RunSpec",
    "SummaryRow",
    "compare",
    "derive_seeds",
    "expand",
    "load_results",
    "make_env",
    "plot_comparison",
    "read_run",
    "rebuild_episode_csv",
    "register_agent",
    "run_folder",
    "run_one",
    "run_spec",
    "save_run",
    "summarize",
    "iqm",
    "iqm_interval",
    "performance_profile",
    "ProfileResult",
    "write_summary_csv",
]
