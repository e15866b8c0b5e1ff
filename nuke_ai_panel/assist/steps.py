"""Which applied steps the artist has undone, read from the host's undo history.

Every applied action is one named undo group (``AI: build despill``). Neither Nuke nor the
in-memory host tells anyone when Edit > Undo runs, but both list their undo steps
(``Host.undo_names()``: Nuke's ``nuke.Undo.undoDescribe``), so the panel compares that list
with the steps it applied: undo takes the newest step off, redo puts it back. A step is
live while the list holds more steps of its name than it did just before the step was
applied (``baseline``), which also copes with an earlier step of the same name. (A step that
falls off the bottom of Nuke's capped undo history would read as undone.) No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Sequence

from ..history import AppliedStep

__all__ = ["StepWatch", "TrackedStep"]


@dataclass(eq=False)
class TrackedStep:
    """``step`` (held by ``message``, the answer that proposed it) and how many steps of
    its name the host listed just before it was applied."""

    step: AppliedStep
    message: Any
    baseline: int


class StepWatch:
    """The steps applied from this conversation, kept in application order."""

    def __init__(self) -> None:
        self.tracked: List[TrackedStep] = []

    @property
    def active(self) -> bool:
        return bool(self.tracked)

    def track(self, step: AppliedStep, message: Any, baseline: int) -> None:
        self.tracked.append(TrackedStep(step, message, baseline))

    def keep_only(self, messages: Sequence[Any]) -> None:
        """Forget steps whose message is no longer in the conversation (new chat, opened)."""
        alive = {id(m) for m in messages}
        self.tracked = [t for t in self.tracked if id(t.message) in alive]

    def update(self, undo_names: Sequence[str]) -> List[Any]:
        """Mark each step undone or live from the host's undo names (oldest first); returns
        the messages whose steps changed, each once, in order."""
        changed: List[Any] = []
        for tracked in self.tracked:
            undone = undo_names.count(tracked.step.name) <= tracked.baseline
            if undone != tracked.step.undone:
                tracked.step.undone = undone
                if not any(m is tracked.message for m in changed):
                    changed.append(tracked.message)
        return changed
