"""The chat panel's mode picker (objectName ``modeCombo``): Chat, Ask or Agent.

* **Chat**: a plain conversation, the model gets no tools (what the panel did before agent
  mode; it works with every model, and the one-shot helpers run in it);
* **Ask**: an agent turn with the read tools only (the model looks at the comp, never
  changes it);
* **Agent**: an agent turn with the read and write tools; each write waits for the artist.

The choice is kept in the user's config (``agent.panel_mode``). When writes are off
(``agent.allow_writes`` false, usually locked by the studio file) Agent cannot be picked and
its tooltip says why; ``agent.allow_run_python`` off only takes ``run_python`` away, which
the tooltip says too. A studio lock of ``agent.panel_mode`` itself fixes the mode.
"""

from __future__ import annotations

from typing import Any, List, Tuple

from Qt import QtCore, QtWidgets

from nuke_ai_panel.agent.registry import AGENT, ASK

__all__ = ["CHAT", "ASK", "AGENT", "MODES", "ModeCombo", "writes_off_reason"]

CHAT = "chat"
MODE_PATH = "agent.panel_mode"
#: (mode, label, what it does)
MODES: Tuple[Tuple[str, str, str], ...] = (
    (CHAT, "Chat", "Chat: a plain conversation; the model gets no tools"),
    (ASK, "Ask", "Ask: the model may look at the comp through tools, never change it"),
    (AGENT, "Agent", "Agent: the model looks at the comp and proposes changes; each change "
                     "waits for your Apply and is one undo step"),
)


def writes_off_reason(config: Any) -> str:
    """Why Agent mode is off ("" when it is on)."""
    if config.get("agent.allow_writes"):
        return ""
    if config.is_locked("agent.allow_writes"):
        note = f" {config.lock_note}" if getattr(config, "lock_note", "") else ""
        return f"Agent is off: your studio turned changes to the comp off.{note}"
    return "Agent is off: changes to the comp are turned off in your config (agent.allow_writes)."


def _python_note(config: Any) -> str:
    if not config.get("agent.allow_run_python"):
        who = "your studio" if config.is_locked("agent.allow_run_python") else "your config"
        return f" run_python is not offered ({who} turned it off)."
    if not config.allow_code_execution:
        return " run_python is not offered (running the assistant's code is off in Settings)."
    return ""


class ModeCombo(QtWidgets.QComboBox):
    """The picker; :meth:`use_config` applies the config's locks and the saved mode;
    ``modeChosen(mode)`` fires when the artist picks one (the controller saves it)."""

    modeChosen = QtCore.Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("modeCombo")
        for mode, label, tip in MODES:
            self.addItem(label, mode)
            self.setItemData(self.count() - 1, tip, QtCore.Qt.ToolTipRole)
        self.locked = False  # the studio fixes the mode
        self.activated.connect(lambda index: self.modeChosen.emit(self.itemData(index)))

    @property
    def mode(self) -> str:
        return str(self.currentData())

    def index_of(self, mode: str) -> int:
        return next(i for i in range(self.count()) if self.itemData(i) == mode)

    def is_selectable(self, mode: str) -> bool:
        item = self.model().item(self.index_of(mode))
        return bool(item.flags() & QtCore.Qt.ItemIsEnabled)

    def use_config(self, config: Any) -> None:
        """Lock what the config locks, and show the mode it keeps (Ask instead of a saved
        Agent while writes are off)."""
        off = writes_off_reason(config)
        agent = self.model().item(self.index_of(AGENT))
        flags = agent.flags()
        agent.setFlags(flags & ~QtCore.Qt.ItemIsEnabled if off else flags | QtCore.Qt.ItemIsEnabled)
        tips: List[str] = [tip for _mode, _label, tip in MODES]
        tips[2] = off or tips[2] + "." + _python_note(config)
        for index, tip in enumerate(tips):
            self.setItemData(index, tip, QtCore.Qt.ToolTipRole)
        mode = config.get(MODE_PATH)
        if mode == AGENT and off:
            mode = ASK
        self.setCurrentIndex(self.index_of(mode))
        locked = self.locked = config.is_locked(MODE_PATH)
        self.setEnabled(not locked)
        tip = "Chat, Ask (look only) or Agent (look and propose changes)"
        if locked:
            tip = f"The mode is set by your studio. {getattr(config, 'lock_note', '')}".strip()
        elif off:
            tip += f". {off}"
        self.setToolTip(tip)
