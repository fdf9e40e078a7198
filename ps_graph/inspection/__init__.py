"""Reading a learned agent: why it acts, what its ECM looks like, how it learned.

Every tool here reads an :class:`~ps_graph.ECM`, a :class:`~ps_graph.PSAgent` or a
:class:`~ps_graph.TwoLayerPS` and changes nothing; pictures are returned (a matplotlib
Figure, an HTML string), never shown, and files are written only by the ``write_*``
functions.

Modules
-------
:mod:`~ps_graph.inspection.explain`
    :func:`explain` (one percept's exact action distribution and its most probable walks;
    under multi-excitation the deciders and their shares, with priming and majority votes),
    :func:`policy_summary` / :func:`policy_records` (the whole policy as a table).
:mod:`~ps_graph.inspection.decision`
    :func:`decider_shares`: which clips decide an observation of a factorized agent, and how likely each is to.
:mod:`~ps_graph.inspection.highlight`
    :func:`decision_highlight`: a decision to highlight in the drawing and the view (``decision=``).
:mod:`~ps_graph.inspection.drawing`
    :func:`draw_ecm` (a layered static drawing), :func:`plot_policy_map` (arrows per grid cell).
:mod:`~ps_graph.inspection.viz`
    :func:`to_html` / :func:`write_html` / :func:`show`: the ECM explorer, an interactive offline
    page (ask a clip, filters, training timeline, comparison of two agents, a ``window.psGraph``
    JavaScript API); :func:`read_data` reads its document back.
:mod:`~ps_graph.inspection.explorer`
    :func:`explorer_data`: the explorer's JSON document (exact explanations per percept,
    timeline snapshots, the comparison, the policy map), built from an agent or ECM.
:mod:`~ps_graph.inspection.plots`
    :func:`plot_learning_curves` and its helpers (:func:`moving_average`, :func:`mean_and_ci`,
    :func:`resample_on_steps`).
:mod:`~ps_graph.inspection.timeline`
    :class:`Timeline` (h-values during training), :func:`plot_timeline`,
    :func:`write_timeline_csv`, :func:`write_dynamic_gexf`.
:mod:`~ps_graph.inspection.export`
    :func:`to_export_graph`, :func:`write_graphml`, :func:`write_gexf`, :func:`write_node_link_json`.
:mod:`~ps_graph.inspection.palette`
    The one palette: a colour per clip kind, glow as edge colour (drawing and viz share it).
:mod:`~ps_graph.inspection.sources`
    What the tools accept: the ECM behind a source, percepts named several ways, clip labels.

Importing this package loads neither matplotlib nor pyvis nor jinja2; they load when a
picture is made.

>>> import ps_graph
>>> from ps_graph import inspection
>>> agent = ps_graph.PSAgent(2)
>>> _ = agent.percept(0)
>>> inspection.explain(agent, 0).probabilities
{('action', 0): 0.5, ('action', 1): 0.5}
"""

from .decision import DeciderShare, decider_shares
from .drawing import DIRECTIONS, draw_ecm, plot_policy_map
from .explain import Explanation, PerceptPolicy, explain, policy_records, policy_summary
from .explorer import explorer_data
from .export import to_export_graph, write_gexf, write_graphml, write_node_link_json
from .highlight import DecisionHighlight, decision_highlight
from .palette import KIND_COLOURS, glow_colour, kind_colour
from .plots import mean_and_ci, moving_average, plot_learning_curves, resample_on_steps
from .sources import clip_labels, ecm_of
from .timeline import TIMELINE_FIELDS, Timeline, plot_timeline, write_dynamic_gexf, write_timeline_csv
from .viz import read_data, show, to_html, write_html

__all__ = [
    # explain
    "explain",
    "Explanation",
    "PerceptPolicy",
    "policy_summary",
    "policy_records",
    # decisions
    "DeciderShare",
    "decider_shares",
    "DecisionHighlight",
    "decision_highlight",
    # drawing
    "draw_ecm",
    "plot_policy_map",
    "DIRECTIONS",
    # viz
    "to_html",
    "write_html",
    "show",
    "read_data",
    "explorer_data",
    # plots
    "plot_learning_curves",
    "moving_average",
    "mean_and_ci",
    "resample_on_steps",
    # timeline
    "Timeline",
    "plot_timeline",
    "write_timeline_csv",
    "write_dynamic_gexf",
    "TIMELINE_FIELDS",
    # export
    "to_export_graph",
    "write_graphml",
    "write_gexf",
    "write_node_link_json",
    # palette and sources
    "KIND_COLOURS",
    "kind_colour",
    "glow_colour",
    "clip_labels",
    "ecm_of",
]
