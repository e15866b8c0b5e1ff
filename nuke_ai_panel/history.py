"""Saved conversations: one JSON file per conversation under ``paths.history_dir()``.

Files are written atomically and run through :func:`redact` first, so a key pasted into a
prompt or echoed by a server never lands on disk. Listing reads only the head of each file
(the title and dates are written first), so the panel can show hundreds of past chats without
parsing every message. A file that cannot be read is set aside with a notice, never a crash.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from . import errors, paths
from .atomic import atomic_write_text, read_json_file, set_file_aside
from .outcome import ending_note
from .redact import redact

FORMAT_VERSION = 1
COMPLETE = "complete"
STOPPED = "stopped"
CUT_OFF = "cut off"
TITLE_LIMIT = 60
_HEAD_BYTES = 4096
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$")


def cut_off_status(kind: str) -> str:
    """The status of an answer that ended with error ``kind`` (``cancelled`` means stopped)."""
    return STOPPED if kind == "cancelled" else f"{CUT_OFF}: {kind}"


@dataclass
class AppliedStep:
    """A change a helper answer made to the comp: one named undo step (``name``), what it
    did (``summary``), and whether the artist has since undone it (``undone``)."""

    name: str
    summary: str = ""
    undone: bool = False

    def describe(self, mark_undone: bool = True) -> str:
        """``Applied as one undo step, “AI: …”: created Blur1 (undone)``"""
        text = f"Applied as one undo step, \u201c{self.name}\u201d"
        text += f": {self.summary}" if self.summary else ""
        return text + (" (undone)" if self.undone and mark_undone else "")

    def to_json(self) -> Dict[str, Any]:
        return {"name": redact(self.name), "summary": redact(self.summary),
                "undone": self.undone}

    @classmethod
    def from_json(cls, data: Any) -> Optional["AppliedStep"]:
        if not isinstance(data, dict) or not data.get("name"):
            return None
        return cls(str(data["name"]), str(data.get("summary") or ""), bool(data.get("undone")))


@dataclass
class HistoryMessage:
    role: str
    text: str
    reasoning: str = ""
    status: str = COMPLETE
    error: str = ""
    model: str = ""
    ttft: Optional[float] = None
    tokens: Optional[int] = None
    duration: Optional[float] = None
    steps: List[AppliedStep] = field(default_factory=list)
    # A user message's images: ImageAttachment objects (attached in this session) or the
    # history references read back ({"image": "<sha256>.png", ...}); saved by reference,
    # the bytes once in the user's images folder (nuke_ai_panel.images.store).
    images: List[Any] = field(default_factory=list)

    @property
    def ended_early(self) -> bool:
        return self.status != COMPLETE

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"role": self.role, "text": redact(self.text)}
        if self.reasoning:
            data["reasoning"] = redact(self.reasoning)
        if self.role == "assistant":
            data["status"] = self.status
            if self.error:
                data["error"] = redact(self.error)
            if self.model:
                data["model"] = self.model
            data["metadata"] = {"ttft": self.ttft, "tokens": self.tokens,
                                "duration": self.duration}
            if self.steps:
                data["steps"] = [step.to_json() for step in self.steps]
        if self.images:
            data["images"] = _image_refs(self.images)
        return data

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "HistoryMessage":
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        return cls(
            role=str(data.get("role") or "user"),
            text=str(data.get("text") or ""),
            reasoning=str(data.get("reasoning") or ""),
            status=str(data.get("status") or COMPLETE),
            error=str(data.get("error") or ""),
            model=str(data.get("model") or ""),
            ttft=_number(meta.get("ttft")),
            tokens=_int(meta.get("tokens")),
            duration=_number(meta.get("duration")),
            steps=[step for step in map(AppliedStep.from_json, data.get("steps") or [])
                   if step is not None] if isinstance(data.get("steps"), list) else [],
            images=_read_refs(data.get("images")),
        )


def _image_refs(images: List[Any]) -> List[Dict[str, Any]]:
    """History references for a message's images, storing the bytes of new ones."""
    from .images.store import ImageStore, is_image_ref
    store = ImageStore()
    return [dict(image) if is_image_ref(image) else store.put(image) for image in images]


def _read_refs(value: Any) -> List[Any]:
    from .images.store import is_image_ref
    return [dict(ref) for ref in value if is_image_ref(ref)] if isinstance(value, list) else []


@dataclass
class Conversation:
    id: str = field(default_factory=lambda: new_id())
    title: str = ""
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    provider: str = ""
    model: str = ""
    system_prompt: str = ""
    messages: List[HistoryMessage] = field(default_factory=list)

    def add(self, message: HistoryMessage) -> HistoryMessage:
        self.messages.append(message)
        if not self.title and message.role == "user" and message.text.strip():
            self.title = make_title(message.text)
        return message

    def to_json(self) -> Dict[str, Any]:
        return {
            "title": redact(self.title),
            "updated": _iso(self.updated),
            "created": _iso(self.created),
            "id": self.id,
            "version": FORMAT_VERSION,
            "provider": self.provider,
            "model": self.model,
            "system_prompt": redact(self.system_prompt),
            "messages": [m.to_json() for m in self.messages],
        }

    @classmethod
    def from_json(cls, data: Dict[str, Any], fallback_id: str = "") -> "Conversation":
        messages = data.get("messages")
        if not isinstance(messages, list):
            raise ValueError("it has no message list")
        return cls(
            id=str(data.get("id") or fallback_id),
            title=str(data.get("title") or ""),
            created=_parse_time(data.get("created")),
            updated=_parse_time(data.get("updated")),
            provider=str(data.get("provider") or ""),
            model=str(data.get("model") or ""),
            system_prompt=str(data.get("system_prompt") or ""),
            messages=[HistoryMessage.from_json(m) for m in messages if isinstance(m, dict)],
        )


@dataclass(frozen=True)
class Summary:
    """What the history list shows, read cheaply from a file's head."""

    id: str
    title: str
    updated: float


def new_id() -> str:
    """Sortable by creation time, unique across panels writing the same folder."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


def make_title(text: str) -> str:
    line = " ".join(text.strip().split())
    return line if len(line) <= TITLE_LIMIT else line[:TITLE_LIMIT - 1].rstrip() + "\u2026"


def _dir(directory: Optional[Path]) -> Path:
    if directory is not None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        return Path(directory)
    return paths.history_dir()


def _path(conv_id: str, directory: Optional[Path]) -> Path:
    if not _ID.match(conv_id):
        raise ValueError(f"not a conversation id: {conv_id!r}")
    return _dir(directory) / f"{conv_id}.json"


def save(conv: Conversation, directory: Optional[Path] = None) -> Path:
    """Write ``conv`` atomically (keys redacted); ``updated`` is set to now."""
    conv.updated = time.time()
    target = _path(conv.id, directory)
    atomic_write_text(target, json.dumps(conv.to_json(), indent=1, ensure_ascii=False) + "\n")
    _summaries.pop(target.name, None)
    return target


def load(conv_id: str, directory: Optional[Path] = None
         ) -> Tuple[Optional[Conversation], Optional[str]]:
    """``(conversation, None)``, ``(None, None)`` if missing, ``(None, notice)`` if unusable."""
    path = _path(conv_id, directory)
    data, warning = read_json_file(path)
    if data is None:
        return None, warning
    try:
        return Conversation.from_json(data, conv_id), None
    except (ValueError, TypeError, AttributeError) as exc:
        return None, f"Could not use {path}: {exc}. {set_file_aside(path)}"


def delete(conv_id: str, directory: Optional[Path] = None) -> bool:
    path = _path(conv_id, directory)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _summaries.pop(path.name, None)
    return True


_summaries: Dict[str, Tuple[Tuple[int, int], Summary]] = {}


def list_conversations(directory: Optional[Path] = None) -> Tuple[List[Summary], List[str]]:
    """Summaries, newest first, and notices for files that were set aside."""
    folder = _dir(directory)
    out: List[Summary] = []
    notices: List[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        return [], [f"Could not read the history folder {folder}: {exc.strerror or exc}"]
    for entry in entries:
        name = entry.name
        if not name.endswith(".json") or name.startswith(".") or not _ID.match(name[:-5]):
            continue
        try:
            stat = entry.stat()
        except OSError:
            continue
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = _summaries.get(name)
        if cached is not None and cached[0] == stamp:
            out.append(cached[1])
            continue
        summary, notice = _summary(Path(entry.path), stat.st_mtime)
        if notice:
            notices.append(notice)
        if summary is not None:
            _summaries[name] = (stamp, summary)
            out.append(summary)
    out.sort(key=lambda s: (s.updated, s.id), reverse=True)
    return out, notices


def _summary(path: Path, mtime: float) -> Tuple[Optional[Summary], Optional[str]]:
    conv_id = path.name[:-5]
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return None, None
    title = _head_value(head, "title")
    updated = _head_value(head, "updated")
    if isinstance(title, str) and isinstance(updated, str):
        return Summary(conv_id, title or "(untitled)", _parse_time(updated, mtime)), None
    data, warning = read_json_file(path)
    if data is None:
        return None, warning
    try:
        conv = Conversation.from_json(data, conv_id)
    except (ValueError, TypeError, AttributeError) as exc:
        return None, f"Could not use {path}: {exc}. {set_file_aside(path)}"
    return Summary(conv_id, conv.title or "(untitled)", conv.updated), None


def _head_value(head: str, key: str) -> Any:
    match = re.search(r'^\s*\{?\s*"' + key + r'"\s*:\s*', head, re.M)
    if match is None:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(head, match.end())
    except ValueError:
        return None
    return value


def to_markdown(conv: Conversation) -> str:
    """The conversation as Markdown; an answer that ended early says so."""
    lines = [f"# {redact(conv.title) or 'Conversation'}", ""]
    details = [f"Saved {_local(conv.updated)}"]
    if conv.provider or conv.model:
        details.append(f"{conv.provider} / {conv.model}".strip(" /"))
    lines += [" \u00b7 ".join(details), ""]
    if conv.system_prompt:
        lines += ["> **System prompt:** " + redact(conv.system_prompt).replace("\n", "\n> "), ""]
    for message in conv.messages:
        if message.role == "user":
            lines += ["## You", "", redact(message.text), ""]
            continue
        heading = "## Assistant" + (f" ({message.model})" if message.model else "")
        lines += [heading, ""]
        if message.reasoning:
            lines += ["<details><summary>Reasoning</summary>", "",
                      redact(message.reasoning), "", "</details>", ""]
        if message.text:
            lines += [redact(message.text), ""]
        if message.ended_early:
            lines += [f"*[{early_note(message)}]*", ""]
        lines += [f"*[{step.describe()}]*\n" for step in message.steps]
    return "\n".join(lines).rstrip() + "\n"


def early_note(message: HistoryMessage) -> str:
    """Plain words for an answer that did not finish, as the transcript and exports show it:
    "Stopped ...", "Answer cut off: MESSAGE" (only when an answer had started), "No answer:
    MESSAGE", or a blocked or empty answer's own message, which already says what happened."""
    if message.status == STOPPED:
        return "Stopped before the answer finished"
    kind = message.status.split(":", 1)[1].strip() if ":" in message.status else ""
    error = redact(message.error) if message.error else ""
    if kind in (errors.BLOCKED, errors.EMPTY) and error:
        return error
    note = ending_note(kind, bool(message.text))
    return note[:1].upper() + note[1:] + (f": {error}" if error else "")


def export_markdown(conv: Conversation, path: Path) -> Path:
    target = Path(path)
    atomic_write_text(target, to_markdown(conv), private=False)
    return target


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")


def _local(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def _parse_time(value: Any, default: Optional[float] = None) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
    return time.time() if default is None else default


def _number(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _int(value: Any) -> Optional[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None
