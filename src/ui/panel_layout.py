"""The chat panel's widgets and how they are laid out, at 360 px as at 1600 px.

Two toolbar rows (provider, model, Settings; preset, past conversations, New chat, Export,
Delete), the notice and error bars, the transcript, the agent's approval cards, the
large-prompt check, the prompt box and the status row (mode, status, Undo this turn, Edit
last, Stop, Send). Below :data:`.compact.NARROW_PX` the
buttons fold to icons (labels in their tooltips) and the combos shrink, through one
:class:`.compact.CompactLayout`; the status line elides instead of widening the panel.
ObjectNames are the contract of DESIGN section 8.
"""

from __future__ import annotations

from typing import Any

from Qt import QtWidgets

from .banner import ErrorBanner, NoticeBar
from .compact import CompactLayout, ElidedLabel
from .large_prompt import LargePromptBar
from .prompt_edit import PromptEdit
from .transcript import TranscriptView
from .widgets import push_button

__all__ = ["MIN_WIDTH", "build_panel"]

#: The narrowest the panel goes (px): a docked Nuke panel gets 380-420. Set on the panel
#: itself, or the wide labels' minimum would keep it from ever becoming narrow enough to fold.
MIN_WIDTH = 340

# (attribute, icon, icon only) for every button that folds when the panel is narrow.
_BUTTONS = (
    ("refresh_models_button", "refresh", True), ("settings_button", "settings", False),
    ("edit_presets_button", "edit", False), ("new_chat_button", "new_chat", False),
    ("export_button", "export", False), ("delete_button", "delete", False),
    ("edit_last_button", "resend", False), ("stop_button", "stop", False),
    ("send_button", "send", False), ("undo_turn_button", "undo", False),
)
# (combo attribute, characters when wide, when narrow, tooltip)
_COMBOS = (
    ("provider_combo", 17, 6, "The provider that answers"),
    ("model_combo", 16, 7, "The model (pick one, or type its name)"),
    ("preset_combo", 12, 5, "System prompt preset"),
    ("history_combo", 18, 5, "Open a past conversation"),
    ("mode_combo", 6, 4, "Chat, Ask (look only) or Agent (look and propose changes)"),
)


def build_panel(panel: Any) -> CompactLayout:
    """Make the panel's own widgets (its picker, conversation bar and agent controller
    exist already), lay everything out and return the :class:`CompactLayout` that folds
    them."""
    panel.settings_button = push_button("settingsButton", "Settings",
                                        "Providers, keys, models and deadlines")
    panel.new_chat_button = push_button("newChatButton", "New chat",
                                        "Start an empty conversation")
    panel.edit_presets_button = panel.bar.edit_presets_button
    panel.export_button = panel.bar.export_button
    panel.delete_button = panel.bar.delete_button
    panel.errors = ErrorBanner()
    panel.notices = NoticeBar()
    panel.large_prompt = LargePromptBar()
    panel.transcript = TranscriptView()
    panel.prompt = PromptEdit()
    panel.status_label = ElidedLabel()
    panel.status_label.setObjectName("statusLabel")
    panel.edit_last_button = push_button(
        "editLastButton", "Edit last",
        "Edit your last prompt and send it again (its answer is replaced)")
    panel.stop_button = push_button("stopButton", "Stop", "Stop the answer (Esc)")
    panel.send_button = push_button("sendButton", "Send", "Send (Enter)")
    panel.mode_combo = panel.agent.mode_combo
    panel.undo_turn_button = panel.agent.undo_button

    rows = ((panel.provider_combo, (panel.model_combo, 1), panel.refresh_models_button,
             panel.settings_button),
            (panel.preset_combo, panel.edit_presets_button, (panel.history_combo, 1),
             panel.new_chat_button, panel.export_button, panel.delete_button))
    panel.setMinimumWidth(MIN_WIDTH)
    layout = QtWidgets.QVBoxLayout(panel)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.setSpacing(4)
    for widgets in rows:
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(4)
        for item in widgets:
            widget, stretch = item if isinstance(item, tuple) else (item, 0)
            row.addWidget(widget, stretch)
        layout.addLayout(row)
    layout.addWidget(panel.notices)
    layout.addWidget(panel.errors)
    layout.addWidget(panel.transcript, 1)
    layout.addWidget(panel.agent.area)
    layout.addWidget(panel.large_prompt)
    layout.addWidget(panel.prompt)
    bottom = QtWidgets.QHBoxLayout()
    bottom.setSpacing(4)
    bottom.addWidget(panel.mode_combo)
    bottom.addWidget(panel.status_label, 1)
    for button in (panel.undo_turn_button, panel.edit_last_button, panel.stop_button,
                   panel.send_button):
        bottom.addWidget(button)
    layout.addLayout(bottom)
    return _fold(panel)


def _fold(panel: Any) -> CompactLayout:
    compact = CompactLayout(panel)
    for name, icon, icon_only in _BUTTONS:
        compact.add_button(getattr(panel, name), icon, icon_only)
    for banner in (panel.errors, panel.notices):
        compact.add_button(banner.details_button, "details")
        compact.add_button(banner.settings_button, "settings")
        compact.add_button(banner.dismiss_button, "close", icon_only=True)
    compact.add_button(panel.errors.retry_button, "refresh")
    for name, wide, narrow, tip in _COMBOS:
        combo = getattr(panel, name)
        compact.add_combo(combo, wide, narrow)
        if not combo.toolTip():
            combo.setToolTip(tip)
    return compact
