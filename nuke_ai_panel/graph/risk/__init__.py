"""Flag code that would run in Nuke before the artist agrees to it.

Three scans, all static (not a sandbox), all returning a :class:`RiskReport`:

* :func:`scan_code` - model-written Python. It resolves import aliases (``import shutil
  as sh``, ``from os import remove as rm``, ``from os import *``), ``__import__("os")`` /
  ``importlib.import_module("os")`` / ``sys.modules["os"]`` / ``getattr(os, "system")``,
  and simple assignments (``f = os.system``), and reports, with line numbers, every use
  (called or not) of something that deletes files, starts processes, uses the network,
  closes the script or quits Nuke, runs code from strings, writes files, opens a modal
  dialog (which freezes Nuke) or registers a callback that outlives the undo step. When
  a call's receiver cannot be resolved, the method name alone decides (``.system()``,
  ``.rmtree()``...). ``getattr`` with a computed name is reported, since the scan cannot
  follow it.
* :func:`scan_nk` - a ``.nk`` snippet about to be pasted with ``nuke.nodePaste``. Pasting
  is not inert: ``onCreate`` runs at once; ``knobChanged``, ``autolabel``, ``updateUI``,
  ``onDestroy`` and the render callbacks run later; a TCL ``[python ...]`` / ``[exec ...]``
  in ANY knob value (labels and file paths too) runs whenever Nuke evaluates it; Python
  and TCL buttons and custom knobs (``addUserKnob {22|32|35|47|52|58 ...}``) hold code;
  and a top-level line that is not a node (``python {...}``, ``exec ...``) is run as TCL.
* :func:`scan_expression` - a knob expression (``[python ...]`` and friends).

Findings from the node scans name the node and knob; every finding says why it matters.
"""

from __future__ import annotations

from .nk import scan_nk
from .python_scan import scan_code
from .report import DANGER, WARNING, Finding, RiskReport
from .tcl import CALLBACK_KNOBS, CODE_KNOB_TYPES, scan_expression, scan_tcl

__all__ = [
    "CALLBACK_KNOBS",
    "CODE_KNOB_TYPES",
    "DANGER",
    "WARNING",
    "Finding",
    "RiskReport",
    "scan_code",
    "scan_expression",
    "scan_nk",
    "scan_tcl",
]
