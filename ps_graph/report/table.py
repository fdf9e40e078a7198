"""The summary table's cells, shared by the terminal (:func:`format_summary`) and the page.

>>> from ps_graph.experiments import SummaryRow
>>> header, body = summary_table([SummaryRow("ps", "E", 2, "return", 10, 0.75, 0.1, 0.5, 0.05)])
>>> header[3], body[0][3]
('final return (last 10)', '0.750 ± 0.100')

Rows with an interquartile mean (as :func:`~ps_graph.experiments.summarize` makes them) get a
column for it and its bootstrap interval, after the final mean:

>>> row = SummaryRow("ps", "E", 8, "return", 10, 0.75, 0.1, 0.5, 0.05, iqm=0.8, iqm_low=0.6, iqm_high=1.0)
>>> header, body = summary_table([row])
>>> header[4], body[0][4]
('final IQM [95 % CI]', '0.800 [0.600, 1.000]')
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["NUMERIC_FROM", "aggregate_table", "format_summary", "summary_table"]

#: Columns from this index on hold numbers (runs, final, AUC, episodes to threshold).
NUMERIC_FROM = 2


def _pm(mean: float, ci: float) -> str:
    return f"{mean:.3f} ± {ci:.3f}"


def _interval(point: float, low: float, high: float) -> str:
    return f"{point:.3f} [{low:.3f}, {high:.3f}]"


def summary_table(rows: Sequence) -> tuple[list[str], list[list[str]]]:
    """The header and the cells (strings) of :func:`~ps_graph.experiments.summarize` rows;
    no rows give an empty header. The threshold column is there when the rows have one, the
    "stopped early" column when a stopping rule ended some run before its budget."""
    if not rows:
        return [], []
    first = rows[0]
    robust = getattr(first, "iqm", None) is not None
    header = ["agent", "environment", "runs", f"final {first.metric} (last {first.last})"]
    header += ["final IQM [95 % CI]"] if robust else []
    header.append(f"AUC ({first.metric})")
    threshold = first.threshold is not None
    if threshold:
        header.append(f"episodes to {first.threshold:g} (window {first.window})")
    stopped = any(getattr(row, "stopped", None) for row in rows)
    header += ["stopped early"] if stopped else []
    body = []
    for row in rows:
        cells = [row.agent, row.env, str(row.runs), _pm(row.final_mean, row.final_ci)]
        cells += [_interval(row.iqm, row.iqm_low, row.iqm_high)] if robust else []
        cells.append(_pm(row.auc, row.auc_ci))
        if threshold:
            to = "not reached" if row.episodes_to_threshold is None else f"{row.episodes_to_threshold:g}"
            cells.append(f"{to} ({row.reached}/{row.runs} runs)")
        cells += [f"{row.stopped or 0}/{row.runs} runs"] if stopped else []
        body.append(cells)
    return header, body


def aggregate_table(rows: Sequence) -> tuple[list[str], list[list[str]]]:
    """The header and cells of :func:`~ps_graph.experiments.aggregate` rows (one per agent).

    >>> from ps_graph.experiments import AggregateRow
    >>> header, body = aggregate_table([AggregateRow("ps", 2, 6, "return", 10, 0.5, 0.6, 0.25, 0.75)])
    >>> header[3:], body[0][3:]
    (['mean normalized final return (last 10)', 'IQM [95 % CI]'], ['0.500', '0.600 [0.250, 0.750]'])
    """
    if not rows:
        return [], []
    first = rows[0]
    header = ["agent", "environments", "runs", f"mean normalized final {first.metric} (last {first.last})"]
    header.append("IQM [95 % CI]")
    body = [
        [row.agent, str(row.envs), str(row.runs), f"{row.mean:.3f}", _interval(row.iqm, row.iqm_low, row.iqm_high)]
        for row in rows
    ]
    return header, body


def format_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table; the third column (runs) is right-aligned."""
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    numeric = {2}  # runs: right-aligned

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join(line(cells).rstrip() for cells in [header, *body])


def format_summary(rows: Sequence) -> str:
    """:func:`~ps_graph.experiments.summarize` rows as an aligned plain-text table.

    >>> from ps_graph.experiments import SummaryRow
    >>> print(format_summary([SummaryRow("ps", "E", 2, "return", 10, 0.75, 0.1, 0.5, 0.05)]))
    agent  environment  runs  final return (last 10)  AUC (return)
    ps     E               2  0.750 ± 0.100           0.500 ± 0.050
    """
    header, body = summary_table(list(rows))
    if not header:
        return "(no finished runs)"
    return format_table(header, body)
