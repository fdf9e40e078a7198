"""The comparison report: one self-contained HTML page (it works offline) beside its CSV and PNG files.

:func:`write_report` writes, into one folder::

    report.html          the page: learning curves (PNG as data: URIs), the summary table,
                         the exact optimum where the environment has a transition table, and
                         the interactive ECM of a trained PS agent (an <iframe srcdoc>)
    summary.csv          :func:`~ps_graph.experiments.write_summary_csv` of the summary
    aggregate.csv        with more than one environment: each agent across them
                         (:func:`~ps_graph.experiments.aggregate`: the IQM of its runs'
                         min-max normalized scores, with a stratified bootstrap interval)
    curves-<env>.png     the learning curves of each environment
    profile.png          with at least 2 runs of every agent: the performance profile
                         (:func:`~ps_graph.experiments.plot_performance_profile`)
    ps_agent.json        the PS agent drawn in the page (``ps-graph inspect ps_agent.json``)

The page references nothing outside itself (no scripts, stylesheets, images or fonts
from anywhere), so it opens with no network and can be mailed as one file.
:func:`report_comparison` does it all for a :func:`~ps_graph.experiments.compare`:
:func:`exact_optimum` computes the reference, :func:`rerun` re-trains run 0 of the first PS
agent in this process to draw its ECM (runs are deterministic by seed), and
:func:`format_summary` gives the summary as plain text for a terminal.

The modules, one room each::

    optimum.py      Optimum, exact_optimum: the exact reference
    table.py        the summary's and the aggregate's cells; format_summary for a terminal
    sections.py     the page's sections built as plain data (summary, aggregate, optimum, curves,
                    performance profile, ECM)
    page.py         write_report: checks, writes the files, renders templates/report.html.j2
    comparison.py   report_comparison and rerun: the report of a compare() call
    templates/      the page's jinja2 templates, one per section

>>> import tempfile
>>> from ps_graph.experiments import compare
>>> with tempfile.TemporaryDirectory() as out:
...     results = compare(["ps-fast", "q"], "FrozenLake-v1", out, runs=2, episodes=20, jobs=1, progress=False)
...     page = write_report(results, out, last=10)
...     sorted(p.name for p in page.parent.iterdir() if p.is_file())
['curves-FrozenLake-v1.png', 'episodes.csv', 'profile.png', 'report.html', 'summary.csv']
"""

from __future__ import annotations

from .comparison import report_comparison, rerun
from .optimum import Optimum, exact_optimum
from .page import write_report
from .table import format_summary

__all__ = ["Optimum", "exact_optimum", "format_summary", "report_comparison", "rerun", "write_report"]
