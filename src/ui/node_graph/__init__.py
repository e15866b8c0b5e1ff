"""The comp as a node graph, for the standalone app (Nuke has its own Node Graph).

``NodeGraphPanel`` (:mod:`.panel`) holds the view (:mod:`.view`, objectName ``nodeGraphView``)
and the knob table (:mod:`.knob_table`); the drawn items are in :mod:`.items`. What is drawn
where is decided without Qt in :mod:`nuke_ai_panel.graph.dag_layout` and
:mod:`nuke_ai_panel.graph.dag_proposal`.
"""

from .panel import NodeGraphPanel
from .view import NodeGraphView

__all__ = ["NodeGraphPanel", "NodeGraphView"]
