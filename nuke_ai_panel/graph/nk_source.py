"""The text a script was read from, and where every command of it sits.

The writer reuses this text for everything an edit did not touch, so an unedited
script is written back byte for byte: line ends (LF, CRLF or a mix), a BOM, a
missing final newline, stack variable names, comments and odd spacing all stay.
A ``NkSource`` is immutable and shared: copies of a script (undo snapshots) point
at the same one.
"""

from __future__ import annotations

import bisect
from typing import Dict, List, Optional, Sequence, Tuple

from .nk_body import body_pairs, node_fields
from .nk_reader import K_OTHER, K_SET, Reading

__all__ = ["NkSource"]


class NkSource:
    """``text``: the LF text parsed; ``raw``: the decoded file when it differs (CR
    line ends); ``cmds``: (kind, start, end, a, b, owner container, ...) per command."""

    def __init__(self, reading: Reading, raw: Optional[str], bom: bool, encoding: str,
                 names: Sequence[str], written_names: Sequence[Optional[str]],
                 reader_named: Sequence[int]) -> None:
        self.text = reading.text
        self.raw = raw
        self.bom = bom
        self.encoding = encoding
        self.paste = reading.paste
        self.cmds = reading.cmds
        self.recs = reading.recs  # per node: class, group, offsets, command (``Rec``)
        self.nrecs = len(self.recs)
        self.names = names  # the names the reader gave
        self.written_names = written_names  # as the text has them (None: no name)
        self.reader_named = frozenset(reader_named)
        self._cr: Optional[List[int]] = None
        self._vars: Optional[Dict[int, str]] = None

    def __deepcopy__(self, memo: dict) -> "NkSource":
        return self

    def __copy__(self) -> "NkSource":
        return self

    # -- ids ----------------------------------------------------------------------------

    def directive_cmd(self, source: object, cmd: Optional[int]) -> Optional[int]:
        """The command a directive read from ``source`` at ``cmd`` is, when that is here."""
        if source is not self or cmd is None or not 0 <= cmd < len(self.cmds):
            return None
        entry = self.cmds[cmd]
        return cmd if entry[0] == K_OTHER and entry[3] else None

    def rec_of(self, source: object, src: Optional[int]) -> Optional[int]:
        """The record a node read from ``source`` as ``src`` is, when that is here."""
        if source is not self or src is None or not 0 <= src < self.nrecs:
            return None
        return src

    # -- text ---------------------------------------------------------------------------

    @property
    def newline(self) -> str:
        """The line end for written text: the file's own (CRLF when most lines had it)."""
        if self.raw is None:
            return "\n"
        return "\r\n" if 2 * self.raw.count("\r\n") >= self.text.count("\n") else "\n"

    def lead_start(self, cmd: int) -> int:
        """Where the whitespace before command ``cmd`` begins (the previous one's end)."""
        return self.cmds[cmd - 1][2] if cmd > 0 else 0

    def tail_start(self) -> int:
        return self.cmds[-1][2] if self.cmds else 0

    def original(self, start: int, end: int) -> str:
        """``text[start:end]`` as it was in the file (CR line ends put back)."""
        if self.raw is None:
            return self.text[start:end]
        if self._cr is None:
            # LF offsets (in ``text``) of the line ends that were CRLF in the file.
            crs = []
            raw = self.raw
            i = raw.find("\r\n")
            while i >= 0:
                crs.append(i - len(crs))
                i = raw.find("\r\n", i + 2)
            self._cr = crs
        crs = self._cr
        a = start + bisect.bisect_left(crs, start)
        b = end + bisect.bisect_left(crs, end)
        return self.raw[a:b]

    # -- what a block said ----------------------------------------------------------------

    def block_state(self, rec: int) -> Tuple[Dict[str, str], Optional[str], Optional[str],
                                             Optional[str], List[str]]:
        """What node ``rec``'s block says, read again the reader's way (names decoded)."""
        text = self.text
        node = self.recs[rec]
        knobs, pairs, _, _ = body_pairs(text, node.open, node.word_end)
        return node_fields(knobs, pairs)

    def root_state(self, open_pos: int, end: int) -> Tuple[Dict[str, str], List[str]]:
        """``(knobs, user knob definitions)`` the Root block ``text[open_pos:end]`` says."""
        knobs, pairs, _, _ = body_pairs(self.text, open_pos, end)
        knobs.pop("inputs", None)
        knobs.pop("addUserKnob", None)
        return knobs, [v for k, v in pairs if k == "addUserKnob"]

    def name_pos(self, rec: int) -> Optional[int]:
        """How many of the node's own knobs come before its ``name`` line (None: no name)."""
        text = self.text
        node = self.recs[rec]
        _, pairs, _, _ = body_pairs(text, node.open, node.word_end)
        seen: List[str] = []
        pos = None
        for key, _ in pairs:
            if key == "name":
                pos = len(seen)
            elif key not in ("addUserKnob", "inputs", "selected") and key not in seen:
                seen.append(key)
        return pos

    def var_names(self) -> Dict[int, str]:
        """The first stack variable each record was bound to (``set N.. [stack 0]``)."""
        if self._vars is None:
            found: Dict[int, str] = {}
            for cmd in self.cmds:
                if cmd[0] == K_SET and cmd[4] is not None and cmd[4] >= 0:
                    found.setdefault(cmd[4], cmd[3])
            self._vars = found
        return self._vars

    def all_var_names(self) -> set:
        names = set()
        for cmd in self.cmds:
            if cmd[0] == K_SET:
                names.add(cmd[3])
        return names

    def body_commands(self) -> Dict[int, List[int]]:
        """Command indexes per body (container record, -1 for the top level), in order."""
        bodies: Dict[int, List[int]] = {}
        for i, cmd in enumerate(self.cmds):
            bodies.setdefault(cmd[5], []).append(i)
        return bodies
