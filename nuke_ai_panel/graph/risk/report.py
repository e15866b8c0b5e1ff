"""What a risk scan reports: findings with a severity, a place and a reason."""

from __future__ import annotations

from typing import List, NamedTuple, Optional

__all__ = ["DANGER", "WARNING", "Finding", "RiskReport"]

DANGER = "danger"
WARNING = "warning"


class Finding(NamedTuple):
    """One flagged item. Python findings carry the resolved ``call``; node-script findings
    also name the ``node`` and ``knob`` (empty for a top-level command), and ``call``
    holds an excerpt of the code that would run."""

    line: int
    column: int
    severity: str
    call: str
    reason: str
    node: str = ""
    knob: str = ""

    @property
    def where(self) -> str:
        """``Node.knob`` for a node-script finding (column -1), else the call."""
        if self.column >= 0:
            return self.call
        if self.node and self.knob:
            return f"{self.node}.{self.knob}"
        return self.node or self.knob or "top-level command"

    def describe(self) -> str:
        return f"line {self.line}: {self.where} - {self.reason}"


class RiskReport(NamedTuple):
    findings: List[Finding]
    syntax_error: Optional[str] = None

    @property
    def has_danger(self) -> bool:
        return any(f.severity == DANGER for f in self.findings) or self.syntax_error is not None

    @property
    def clean(self) -> bool:
        return not self.findings and self.syntax_error is None

    def summary(self) -> List[str]:
        lines = [f"syntax error: {self.syntax_error}"] if self.syntax_error else []
        lines.extend(f"{f.severity}: {f.describe()}" for f in self.findings)
        return lines

    def for_node(self, name: str) -> List[Finding]:
        return [f for f in self.findings if f.node == name]
