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

import ast
import re
from typing import Dict, Iterable, List, NamedTuple, Optional, Set, Tuple

from .nk_lexer import Command, NkParseError, Word, decode_value, is_braced, split_commands, split_words
from .nkscript import parse_script

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

DANGER = "danger"
WARNING = "warning"

_DELETE = "deletes files or folders"
_PROCESS = "starts another program"
_NETWORK = "uses the network"
_CLOSE = "closes the script or quits Nuke"
_EXEC = "runs code built from a string"
_MODAL = "opens a modal dialog, which freezes Nuke until it is closed"
_TRUNCATE = "empties a file"
_KILL = "stops other programs"
_CALLBACK = "registers a callback that keeps running after this (Ctrl+Z does not remove it)"

_CALLS: Dict[str, Tuple[str, str]] = {
    "os.remove": (DANGER, _DELETE),
    "os.unlink": (DANGER, _DELETE),
    "os.rmdir": (DANGER, _DELETE),
    "os.removedirs": (DANGER, _DELETE),
    "shutil.rmtree": (DANGER, _DELETE),
    "os.truncate": (DANGER, _TRUNCATE),
    "os.ftruncate": (DANGER, _TRUNCATE),
    "os.system": (DANGER, _PROCESS),
    "os.popen": (DANGER, _PROCESS),
    "platform.popen": (DANGER, _PROCESS),
    "os.startfile": (DANGER, _PROCESS),
    "os.kill": (DANGER, _KILL),
    "os.killpg": (DANGER, _KILL),
    "os.fork": (DANGER, _PROCESS),
    "os.forkpty": (DANGER, _PROCESS),
    "pty.spawn": (DANGER, _PROCESS),
    "nuke.scriptClose": (DANGER, _CLOSE),
    "nuke.scriptClear": (DANGER, _CLOSE),
    "nuke.scriptExit": (DANGER, _CLOSE),
    "nuke.exit": (DANGER, _CLOSE),
    "nuke.scriptNew": (WARNING, "opens a new script"),
    "nuke.scriptOpen": (WARNING, "opens another script"),
    "nuke.scriptSave": (WARNING, "saves the script over the file on disk"),
    "nuke.scriptSaveAs": (WARNING, "saves the script to a file"),
    "nuke.execute": (WARNING, "renders frames (writes files to disk)"),
    "nuke.executeMultiple": (WARNING, "renders frames (writes files to disk)"),
    "nuke.render": (WARNING, "renders frames (writes files to disk)"),
    "nuke.tcl": (WARNING, "runs TCL commands (which can run anything)"),
    "nuke.Panel": (WARNING, "builds a modal dialog; showing it blocks Nuke"),
    "nuke.PythonPanel": (WARNING, "opens a panel; showModalDialog() would block Nuke"),
    "nuke.nodePaste": (WARNING, "pastes nodes from a file (their knobs are not checked)"),
    "nuke.scriptReadFile": (WARNING, "reads a script file, running its TCL"),
    "nuke.scriptSource": (WARNING, "reads a script file, running its TCL"),
    "nuke.load": (WARNING, "loads a plug-in or script file"),
    "nuke.knobDefault": (WARNING, "changes a default for every new node for the rest of the "
                                  "session (Ctrl+Z does not undo it)"),
    "nuke.PyScript_Knob": (WARNING, "adds a button that runs Python when clicked"),
    "nuke.PyCustom_Knob": (WARNING, "adds a knob that runs Python when its panel opens"),
    "nuke.Script_Knob": (WARNING, "adds a button that runs TCL when clicked"),
    "nuke.Pulldown_Knob": (WARNING, "adds a menu whose items run Python"),
    "nuke.Panel().show": (DANGER, _MODAL),
    "sys.exit": (DANGER, _CLOSE),
    "os._exit": (DANGER, _CLOSE),
    "exit": (DANGER, _CLOSE),
    "quit": (DANGER, _CLOSE),
    "exec": (DANGER, _EXEC),
    "eval": (DANGER, _EXEC),
    "execfile": (DANGER, _EXEC),
    "compile": (DANGER, _EXEC),
    "runpy.run_path": (DANGER, _EXEC),
    "runpy.run_module": (DANGER, _EXEC),
    "__import__": (WARNING, "imports a module by computed name"),
    "importlib.import_module": (WARNING, "imports a module by computed name"),
    "importlib.__import__": (WARNING, "imports a module by computed name"),
    "pickle.load": (WARNING, "loads data that can run code"),
    "pickle.loads": (WARNING, "loads data that can run code"),
    "marshal.load": (WARNING, "loads data that can run code"),
    "marshal.loads": (WARNING, "loads data that can run code"),
    "shutil.move": (WARNING, "moves files"),
    "os.rename": (WARNING, "renames files"),
    "os.replace": (WARNING, "replaces files"),
    "shutil.copy": (WARNING, "copies files"),
    "shutil.copy2": (WARNING, "copies files"),
    "shutil.copyfile": (WARNING, "copies files"),
    "shutil.copytree": (WARNING, "copies folders"),
    "os.chmod": (WARNING, "changes file permissions"),
}

_CALL_PREFIXES = {
    "subprocess.": (DANGER, _PROCESS),
    "os.exec": (DANGER, _PROCESS),
    "os.spawn": (DANGER, _PROCESS),
    "os.posix_spawn": (DANGER, _PROCESS),
    "asyncio.create_subprocess_": (DANGER, _PROCESS),
    "commands.": (DANGER, _PROCESS),
    "popen2.": (DANGER, _PROCESS),
    "socket.": (DANGER, _NETWORK),
    "urllib.": (DANGER, _NETWORK),
    "urllib2.": (DANGER, _NETWORK),
    "requests.": (DANGER, _NETWORK),
    "http.client.": (DANGER, _NETWORK),
    "httplib.": (DANGER, _NETWORK),
    "ftplib.": (DANGER, _NETWORK),
    "smtplib.": (DANGER, _NETWORK),
    "telnetlib.": (DANGER, _NETWORK),
    "aiohttp.": (DANGER, _NETWORK),
    "paramiko.": (DANGER, _NETWORK),
    "webbrowser.": (WARNING, "opens a web browser"),
}

_RISKY_MODULES = {
    "subprocess": _PROCESS,
    "socket": _NETWORK,
    "urllib": _NETWORK,
    "urllib2": _NETWORK,
    "urllib.request": _NETWORK,
    "requests": _NETWORK,
    "http.client": _NETWORK,
    "httplib": _NETWORK,
    "ftplib": _NETWORK,
    "smtplib": _NETWORK,
    "telnetlib": _NETWORK,
    "aiohttp": _NETWORK,
    "paramiko": _NETWORK,
    "ctypes": "loads native code",
}

# ``from X import *`` brings these modules' dangerous functions in under bare names.
_STAR_DANGER = {
    "os": "delete files and start programs",
    "shutil": "delete folders",
    "subprocess": "start programs",
    "socket": "use the network",
    "pty": "start programs",
    "posix": "delete files and start programs",
    "nt": "delete files and start programs",
}

# Methods risky on any receiver (pathlib objects and the like).
_METHODS = {
    "unlink": (DANGER, _DELETE + " (pathlib)"),
    "rmdir": (DANGER, _DELETE + " (pathlib)"),
    "rmtree": (DANGER, _DELETE),
    "write_text": (WARNING, "writes a file"),
    "write_bytes": (WARNING, "writes a file"),
}

# Method names that decide on their own when the receiver cannot be resolved
# (``__import__(name).system``, ``getattr(...)``, a local of unknown type).
_BLIND_METHODS = {
    "system": (DANGER, _PROCESS),
    "popen": (DANGER, _PROCESS),
    "startfile": (DANGER, _PROCESS),
    "rmtree": (DANGER, _DELETE),
    "removedirs": (DANGER, _DELETE),
    "truncate": (DANGER, _TRUNCATE),
    "ftruncate": (DANGER, _TRUNCATE),
    "kill": (DANGER, _KILL),
    "killpg": (DANGER, _KILL),
    "unlink": (DANGER, _DELETE),
    "rmdir": (DANGER, _DELETE),
}
_BLIND_PROCESS = re.compile(r"^(exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|popen[234])$")
# ``remove`` is ordinary on lists and sets: it only counts on a receiver that is a module
# the scan could not name (``importlib.import_module(name).remove``).
_DYNAMIC_ONLY = {"remove": (DANGER, _DELETE)}

_NUKE_CALLBACK = re.compile(
    r"^add(On[A-Z]\w*|KnobChanged|UpdateUI|Autolabel|(Before|After)\w*Render\w*|RenderProgress|"
    r"FilenameFilter|ValidateFilename|AutoSave\w*Filter)$"
)

_IMPORT_FUNCS = frozenset({"__import__", "importlib.import_module", "importlib.__import__"})
_GETATTR = frozenset({"getattr"})
# Modules whose every attribute may be dangerous, so a computed getattr on them is too.
_GETATTR_DANGER = frozenset({"os", "shutil", "subprocess", "socket", "pty", "builtins", "nuke",
                             "importlib", "posix", "nt", "sys"})
_KNOWN_MODULES = frozenset({
    "os", "sys", "shutil", "subprocess", "socket", "nuke", "nukescripts", "pathlib", "platform",
    "importlib", "builtins", "asyncio", "pty", "ctypes", "runpy", "pickle", "marshal", "io",
    "codecs", "urllib", "urllib2", "requests", "http", "webbrowser",
})
_BUILTIN_NAMES = frozenset({"exec", "eval", "compile", "__import__", "open", "exit", "quit",
                            "getattr", "execfile"})
_NAMESPACES = ("builtins.", "__builtins__.", "__builtin__.")
_MODULE_TABLES = frozenset({"sys.modules", "globals()", "locals()", "vars()"})
_DIALOG_INSTANCES = frozenset({"nuke.Panel()"})
_SETTERS = frozenset({"setValue", "fromScript", "setText"})
_MODAL_METHODS = {"showModalDialog": (DANGER, _MODAL),
                  "showModal": (DANGER, _MODAL),
                  "exec_": (WARNING, "runs a Qt dialog or event loop, which blocks Nuke")}


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


def _const_str(node: Optional[ast.AST]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _canonical(name: str) -> str:
    """``builtins.exec`` / ``__builtins__.exec`` are plain ``exec``."""
    for prefix in _NAMESPACES:
        if name.startswith(prefix) and name[len(prefix):] in _BUILTIN_NAMES:
            return name[len(prefix):]
    return name


def _table_hit(name: str) -> Optional[Tuple[str, str]]:
    if name in _CALLS:
        return _CALLS[name]
    for prefix, hit in _CALL_PREFIXES.items():
        if name.startswith(prefix):
            return hit
    head, _, attr = name.rpartition(".")
    if head.split(".")[0] == "nuke" and _NUKE_CALLBACK.match(attr):
        return (WARNING, _CALLBACK)
    return None


def _source(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed tree
        text = type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _bound_names(tree: ast.AST) -> Set[str]:
    """Names the code binds itself (they shadow names from ``from X import *``)."""
    bound: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound


class _Scanner(ast.NodeVisitor):
    def __init__(self, bound: Set[str]) -> None:
        self.aliases: Dict[str, str] = {}
        self.modules: Set[str] = set()
        self.star: List[str] = []
        self.bound = bound
        self.findings: List[Finding] = []
        self.references: List[Finding] = []
        self._handled: Set[int] = set()

    def add(self, node: ast.AST, severity: str, call: str, reason: str) -> None:
        self.findings.append(
            Finding(getattr(node, "lineno", 0), getattr(node, "col_offset", 0), severity, call, reason)
        )

    def refer(self, node: ast.AST, severity: str, call: str, reason: str) -> None:
        self.references.append(
            Finding(getattr(node, "lineno", 0), getattr(node, "col_offset", 0), severity, call,
                    reason + " (used here without being called)")
        )

    # -- imports ---------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            self.aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
            self.modules.add(alias.name.split(".")[0])
            self._flag_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.star.append(module)
                top = module.split(".")[0]
                if module in _STAR_DANGER or top in _STAR_DANGER:
                    what = _STAR_DANGER.get(module) or _STAR_DANGER[top]
                    self.add(node, DANGER, f"from {module} import *",
                             f"imports every function of {module}, including ones that {what}")
                else:
                    self._flag_module(node, module)
                continue
            full = f"{module}.{alias.name}" if module else alias.name
            self.aliases[alias.asname or alias.name] = full
            self.modules.add(full.split(".")[0])
            self._flag_module(node, full if full in _RISKY_MODULES else module)

    def _flag_module(self, node: ast.AST, module: str) -> None:
        for risky, reason in _RISKY_MODULES.items():
            if module == risky or module.startswith(risky + "."):
                self.add(node, WARNING, f"import {module}", f"imports a module that {reason}")
                return

    # -- name resolution -------------------------------------------------------------------

    def resolve(self, node: ast.AST) -> Optional[str]:
        """A dotted name for ``node``: imports and aliases followed, ``X()`` for the result
        of calling X, and ``?`` for a module the scan cannot name."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if self.star and node.id not in self.bound:
                for module in reversed(self.star):
                    candidate = f"{module}.{node.id}"
                    if _table_hit(candidate):
                        return candidate
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return _canonical(f"{base}.{node.attr}") if base else None
        if isinstance(node, ast.Call):
            return self._resolve_call(node)
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value)
            key = _const_str(node.slice)
            if base in _MODULE_TABLES:
                return key if key else "?"
            if base and base.endswith(".__dict__"):
                return _canonical(f"{base[:-9]}.{key}") if key else "?"
            if base in ("__builtins__", "builtins"):
                return _canonical(f"builtins.{key}") if key else "?"
        return None

    def _resolve_call(self, node: ast.Call) -> Optional[str]:
        func = self.resolve(node.func)
        if func is None:
            return None
        func = _canonical(func)
        first = node.args[0] if node.args else None
        if func in _IMPORT_FUNCS:
            module = _const_str(first)
            if module is None:
                return "?"
            if func == "__import__" and not self._has_fromlist(node):
                return module.split(".")[0]
            return module
        if func in _GETATTR and len(node.args) >= 2:
            obj = self.resolve(node.args[0])
            name = _const_str(node.args[1])
            if name is None:
                return "?"
            return _canonical(f"{obj or '?'}.{name}")
        if func in ("sys.modules.get", "globals().get", "vars().get") and node.args:
            return _const_str(first) or "?"
        if func == "vars" and node.args:
            base = self.resolve(first)
            return f"{base}.__dict__" if base else "?"
        return f"{func}()"

    @staticmethod
    def _has_fromlist(node: ast.Call) -> bool:
        fromlist = node.args[3] if len(node.args) > 3 else None
        for kw in node.keywords:
            if kw.arg == "fromlist":
                fromlist = kw.value
        if fromlist is None:
            return False
        return not (isinstance(fromlist, (ast.List, ast.Tuple)) and not fromlist.elts) and not (
            isinstance(fromlist, ast.Constant) and not fromlist.value)

    def _rooted(self, name: Optional[str]) -> bool:
        """True when ``name`` starts at a module the scan knows (so its tables decide)."""
        if not name or name.startswith("?"):
            return False
        head = name.split(".")[0].split("(")[0]
        return head in self.modules or head in _KNOWN_MODULES

    # -- assignments -----------------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        for target in node.targets:
            self._bind(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_NamedExpr(self, node: ast.AST) -> None:
        self.generic_visit(node)
        self._bind(node.target, node.value)  # type: ignore[attr-defined]

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        if not isinstance(target, ast.Name):
            return
        resolved = self.resolve(value)
        if resolved and ("()" not in resolved or resolved in _DIALOG_INSTANCES):
            self.aliases[target.id] = resolved
        else:
            self.aliases.pop(target.id, None)

    # -- calls and references --------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        self._handled.add(id(node.func))
        name = self.resolve(node.func)
        if name is not None:
            name = _canonical(name)
        flagged = self._check_call(node, name) if name else False
        if not flagged and isinstance(node.func, ast.Attribute):
            self._check_method(node, node.func, name)
        self._check_special(node, name)
        self.generic_visit(node)

    def _check_call(self, node: ast.Call, name: str) -> bool:
        if name in _IMPORT_FUNCS:
            module = _const_str(node.args[0] if node.args else None)
            if module is None:
                self.add(node, WARNING, name, "imports a module whose name is computed at run time")
            else:
                self.add(node, WARNING, name, f"imports {module} indirectly")
                self._flag_module(node, module)
            return True
        if "?" not in name and ("()" not in name or name in _CALLS):
            hit = _table_hit(name)
            if hit:
                self.add(node, hit[0], name, hit[1])
                return True
        if name in ("open", "io.open", "codecs.open"):
            self._check_open(node, name)
            return True
        return False

    def _check_method(self, node: ast.Call, func: ast.Attribute, name: Optional[str]) -> None:
        attr = func.attr
        receiver = name.rpartition(".")[0] if name else None
        dynamic = receiver is None or receiver.startswith("?") or (
            "()" in receiver and not self._rooted(receiver))
        if attr in _MODAL_METHODS:
            severity, reason = _MODAL_METHODS[attr]
            self.add(node, severity, _source(func), reason)
            return
        if attr in _METHODS and (name is None or dynamic or not name.startswith(("os.path.", "nuke."))):
            severity, reason = _METHODS[attr]
            call = f".{attr}()" if receiver is None or "()" in receiver else name
            self.add(node, severity, call, reason)
            return
        if self._rooted(receiver) and not dynamic:
            return
        hit = _BLIND_METHODS.get(attr)
        if hit is None and _BLIND_PROCESS.match(attr):
            hit = (DANGER, _PROCESS)
        if hit is None and receiver is not None and receiver.startswith("?"):
            hit = _DYNAMIC_ONLY.get(attr)
        if hit:
            reason = hit[1] + (" (the scan could not tell what it is called on)" if dynamic else "")
            self.add(node, hit[0], _source(func), reason)

    def _check_special(self, node: ast.Call, name: Optional[str]) -> None:
        if name in _GETATTR and len(node.args) >= 2:
            target = self.resolve(node.args[0])
            attr = _const_str(node.args[1])
            if attr is None:
                module = (target or "").split(".")[0]
                if target and "." not in target and module in _GETATTR_DANGER and (
                        module in self.modules or module in _KNOWN_MODULES):
                    self.add(node, DANGER, _source(node),
                             f"looks up a function of {module} by a computed name (it could be "
                             f"{module}.system or another dangerous call)")
                else:
                    self.add(node, WARNING, _source(node),
                             "looks up an attribute by a computed name, which this scan cannot "
                             "follow")
            else:
                self._check_reference(node, self._resolve_call(node))
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _SETTERS:
            knob = self._knob_of(func.value)
            if knob is not None:
                detail = _python_detail(_const_str(node.args[0] if node.args else None) or "")
                self.add(node, WARNING, _source(func),
                         f"puts code in the {knob} knob, which {_CALLBACK_WHEN[knob.lower()]}"
                         f"{detail}")

    @staticmethod
    def _knob_of(receiver: ast.AST) -> Optional[str]:
        key: Optional[str] = None
        if isinstance(receiver, ast.Subscript):
            key = _const_str(receiver.slice)
        elif (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)
              and receiver.func.attr == "knob" and receiver.args):
            key = _const_str(receiver.args[0])
        if key is not None and key.lower() in _CALLBACK_WHEN:
            return key
        return None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load) and id(node) not in self._handled:
            name = self.resolve(node)
            if name and name.startswith("?") and (node.attr in _BLIND_METHODS or
                                                  _BLIND_PROCESS.match(node.attr)):
                severity, reason = _BLIND_METHODS.get(node.attr, (DANGER, _PROCESS))
                self.refer(node, severity, _source(node), reason)
            else:
                self._check_reference(node, name)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and id(node) not in self._handled:
            self._check_reference(node, self.resolve(node))

    def _check_reference(self, node: ast.AST, name: Optional[str]) -> None:
        if not name or "?" in name or ("()" in name and name not in _CALLS):
            return
        name = _canonical(name)
        if name in ("__import__", "getattr") or name.rsplit(".", 1)[-1].isupper():
            return
        hit = _table_hit(name)
        if hit:
            self.refer(node, hit[0], name, hit[1])

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "[" in node.value:
            for _, reason, excerpt, _ in scan_tcl(node.value):
                self.add(node, WARNING, excerpt,
                         f"text holding a TCL command that {reason} once Nuke evaluates it "
                         "(as a label, path or expression)")

    def _check_open(self, node: ast.Call, name: str) -> None:
        mode_node: Optional[ast.AST] = node.args[1] if len(node.args) > 1 else None
        for kw in node.keywords:
            if kw.arg == "mode":
                mode_node = kw.value
        if mode_node is None:
            return
        if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str):
            mode = mode_node.value
            if any(c in mode for c in "wax+"):
                self.add(node, WARNING, f"{name}(..., {mode!r})", "writes a file")
        else:
            self.add(node, WARNING, f"{name}(...)", "opens a file with a mode computed at run time")

    def report(self) -> List[Finding]:
        lines = {f.line for f in self.findings}
        kept = list(self.findings)
        seen: Set[Tuple[int, str]] = set()
        for ref in self.references:
            if ref.line not in lines and (ref.line, ref.call) not in seen:
                seen.add((ref.line, ref.call))
                kept.append(ref)
        return sorted(kept, key=lambda f: (f.line, f.column))


def scan_code(code: str) -> RiskReport:
    """Scan Python source; a syntax error is reported instead of findings."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return RiskReport([], f"{where}{exc.msg}")
    scanner = _Scanner(_bound_names(tree))
    scanner.visit(tree)
    return RiskReport(scanner.report())


def _python_detail(code: str) -> str:
    """`` (the code calls os.system: starts another program)`` for the worst finding in
    ``code``, or nothing."""
    if not code.strip():
        return ""
    report = scan_code(code)
    if not report.findings:
        return ""
    worst = sorted(report.findings, key=lambda f: f.severity != DANGER)[0]
    return f" (the code uses {worst.call}: {worst.reason})"


# -- TCL and node scripts --------------------------------------------------------------------

_CALLBACK_WHEN = {
    "oncreate": "runs Python as soon as the node is created (at once, on paste)",
    "ondestroy": "runs Python when the node is deleted",
    "knobchanged": "runs Python whenever a knob on the node changes",
    "updateui": "runs Python whenever Nuke redraws the node",
    "autolabel": "runs Python every time the node's label is drawn",
    "beforerender": "runs Python when the node renders",
    "afterrender": "runs Python when the node renders",
    "beforeframerender": "runs Python when the node renders",
    "afterframerender": "runs Python when the node renders",
    "renderprogress": "runs Python when the node renders",
    "beforebackgroundrender": "runs Python when the node renders",
    "afterbackgroundrender": "runs Python when the node renders",
    "afterbackgroundframerender": "runs Python when the node renders",
    "onscriptload": "runs Python when the script is opened",
    "onscriptsave": "runs Python when the script is saved",
    "onscriptclose": "runs Python when the script is closed",
    "onusercreate": "runs Python when the node is created",
}
CALLBACK_KNOBS = frozenset(_CALLBACK_WHEN)
"""Knob names (lower case) whose value is Python that Nuke runs by itself."""

CODE_KNOB_TYPES = {
    22: "a Python button (PyScript_Knob) that runs Python when clicked",
    32: "a TCL button (Script_Knob) that runs TCL, which can run Python, when clicked",
    35: "a menu (Pulldown_Knob) whose items run Python",
    47: "a Python menu knob whose items run Python",
    52: "a Python custom knob (PyCustom_Knob) that runs Python when its panel is built",
    58: "a Python plug-in knob that runs Python",
}
"""``addUserKnob {TYPE ...}`` numbers of knobs that hold code (22 PyScript_Knob, 32
Script_Knob, 35 Pulldown_Knob, 52 PyCustom_Knob, which Nuke reports as PythonCustomKnob)."""

_TCL_COMMANDS = {
    "python": (DANGER, "runs Python"),
    "exec": (DANGER, "starts another program"),
    "open": (DANGER, "opens a file or starts a program"),
    "socket": (DANGER, "uses the network"),
    "source": (DANGER, "runs a TCL file"),
    "load": (DANGER, "loads native code"),
    "exit": (DANGER, "quits Nuke"),
    "quit": (DANGER, "quits Nuke"),
    "script_close": (DANGER, "closes the script"),
    "script_clear": (DANGER, "closes the script"),
    "script_exit": (DANGER, "closes the script"),
    "eval": (WARNING, "runs TCL built from text, which can hide other commands"),
    "uplevel": (WARNING, "runs TCL built from text, which can hide other commands"),
    "subst": (WARNING, "runs TCL built from text, which can hide other commands"),
    "interp": (WARNING, "runs TCL built from text, which can hide other commands"),
    "apply": (WARNING, "runs TCL built from text, which can hide other commands"),
    "namespace": (WARNING, "runs TCL built from text, which can hide other commands"),
    "proc": (WARNING, "defines a TCL command"),
    "rename": (WARNING, "redefines a TCL command"),
    "trace": (WARNING, "runs TCL when a variable or command is used"),
    "after": (WARNING, "runs TCL later"),
    "package": (WARNING, "loads a TCL package"),
    "script_save": (WARNING, "saves the script"),
    "script_load": (WARNING, "loads another script"),
    "execute": (WARNING, "renders frames (writes files to disk)"),
    "render": (WARNING, "renders frames (writes files to disk)"),
}
_TCL_FILE_WRITES = {"delete": DANGER, "rename": WARNING, "copy": WARNING, "mkdir": WARNING,
                    "link": WARNING, "attributes": WARNING}
_WORD = re.compile(r"[^\s;\]]*")
_SPACES = re.compile(r"\s*")
_USER_KNOB = re.compile(r"addUserKnob\s*\{\s*(\d+)")
_CALLBACK_NAMES = "|".join(sorted(_CALLBACK_WHEN, key=len, reverse=True))
_CALLBACK_WORD = re.compile(r"(?i)\b(" + _CALLBACK_NAMES + r")\b")


def _excerpt(text: str, start: int = 0, limit: int = 70) -> str:
    text = " ".join(text[start:].split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _bracket_depths(text: str) -> List[int]:
    depth = 0
    out = []
    for ch in text:
        if ch == "[":
            depth += 1
        out.append(depth)
        if ch == "]" and depth:
            depth -= 1
    return out


def scan_tcl(text: str, script: bool = False) -> List[Tuple[str, str, str, int]]:
    """TCL commands in ``text`` that run code: (severity, reason, excerpt, offset).

    Every ``[command ...]`` is checked (Nuke evaluates brackets in labels, file paths and
    expressions); with ``script`` the text is a TCL script, so the start of each line and
    each ``;``/``{`` also begins a command. A command whose name is computed (``[$c ...]``,
    ``[py\\x74hon ...]``) is reported too: it can hide anything. Conservative by design:
    an escaped ``\\[python ...]`` is reported as well."""
    depths = _bracket_depths(text)
    starts: List[Tuple[int, bool]] = []
    for i, ch in enumerate(text):
        if ch == "[":
            starts.append((i + 1, True))
        elif ch in ";\n{" and (script or depths[i] > 0):
            starts.append((i + 1, False))
    if script:
        starts.append((0, False))
    hits: List[Tuple[str, str, str, int]] = []
    seen: Set[int] = set()
    starts.sort()
    for pos, bracket in starts:
        pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
        if pos in seen:
            continue
        seen.add(pos)
        raw = _WORD.match(text, pos).group(0)  # type: ignore[union-attr]
        word = raw.strip('"{}')
        if word.startswith("::"):
            word = word[2:]
        if not word:
            continue
        if any(c in word for c in "$[\\"):
            if bracket:
                hits.append((WARNING, "runs a TCL command whose name is computed (it could be "
                             "[python ...])", _excerpt(text, pos - 1), pos))
            continue
        name = word.lower()
        rest = text[pos + len(raw):]
        end = rest.find("]") if bracket else rest.find("\n")
        args = rest if end < 0 else rest[:end]
        if name in _TCL_COMMANDS:
            severity, reason = _TCL_COMMANDS[name]
            hits.append((severity, reason, _excerpt(text, pos - (1 if bracket else 0)), pos))
        elif name == "file":
            sub = args.split()[0].lower() if args.split() else ""
            if sub in _TCL_FILE_WRITES:
                hits.append((_TCL_FILE_WRITES[sub], f"changes files on disk (file {sub})",
                             _excerpt(text, pos - (1 if bracket else 0)), pos))
        elif name == "knob" and len(args.split()) >= 2 and _CALLBACK_WORD.search(args.split()[0]):
            hits.append((DANGER, "puts Python in a callback knob, which runs it later",
                         _excerpt(text, pos - (1 if bracket else 0)), pos))
        elif name == "adduserknob":
            m = _USER_KNOB.match(text, pos)
            if m and int(m.group(1)) in CODE_KNOB_TYPES:
                hits.append((DANGER, "adds " + CODE_KNOB_TYPES[int(m.group(1))],
                             _excerpt(text, pos), pos))
    return hits


def scan_expression(expression: str, node: str = "", knob: str = "") -> RiskReport:
    """Scan a knob expression: ``[python ...]``, ``[exec ...]`` and friends (and a
    callback knob as the target, whose value is Python)."""
    findings = []
    if not node and not knob:
        knob = "expression"
    if knob.lower() in _CALLBACK_WHEN:
        findings.append(Finding(1, -1, DANGER, _excerpt(expression), f"the {knob} knob "
                                + _CALLBACK_WHEN[knob.lower()], node, knob))
    for severity, reason, excerpt, _ in scan_tcl(expression):
        findings.append(Finding(1, -1, severity, excerpt, reason + " when Nuke evaluates it",
                                node, knob))
    return RiskReport(findings)


# Mirrors nkscript's reading of a command as a node block, so findings can carry the
# names the parser gives (a mismatch falls back to the snippet's own names).
_CLASS_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_NON_NODE_COMMANDS = frozenset({"define_window_layout_xml", "add_layer", "version", "knob", "in"})
_STACK_REF = re.compile(r"^\[\s*stack\s+\d+\s*\]$")


class _NkScan:
    def __init__(self, names: List[Tuple[str, str]]) -> None:
        self.names = names
        self.ordinal = 0
        self.findings: List[Finding] = []

    def add(self, line: int, severity: str, excerpt: str, reason: str, node: str, knob: str) -> None:
        finding = Finding(line, -1, severity, excerpt, reason, node, knob)
        if not any(f.node == node and f.knob == knob and f.reason == reason for f in self.findings):
            self.findings.append(finding)

    def run(self, commands: List[Command]) -> None:
        for cmd in commands:
            if cmd.comment:
                continue
            words = cmd.words
            head = words[0].raw
            body = words[-1] if len(words) >= 2 and is_braced(words[-1].raw) else None
            if head == "clone" and len(words) >= 3 and body is not None:
                label = self._label(None, body)
                self._header(words[1:-1], label)
                self._body(body, label)
            elif (len(words) == 2 and body is not None and head not in _NON_NODE_COMMANDS
                  and _CLASS_WORD.match(head)):
                label = "Root" if head == "Root" else self._label(head, body)
                if head.lower() in _TCL_COMMANDS:
                    severity, reason = _TCL_COMMANDS[head.lower()]
                    self.add(cmd.line, severity, _excerpt(cmd.text),
                             f"'{head} {{...}}' is the TCL command {head}, not a node: pasting "
                             f"runs it ({reason})", label, "")
                self._body(body, label)
            else:
                self._command(cmd)

    def _label(self, node_class: Optional[str], body: Word) -> str:
        if self.ordinal < len(self.names):
            full, cls = self.names[self.ordinal]
            self.ordinal += 1
            if node_class is None or cls == node_class:
                return full
        for key, value in _pairs(body):
            if key.raw == "name":
                return decode_value(value.raw) if value else node_class or "node"
        return node_class or "clone"

    def _header(self, words: List[Word], label: str) -> None:
        for word in words:
            for severity, reason, excerpt, _ in scan_tcl(word.raw):
                self.add(word.line, severity, excerpt, reason, label, "")

    def _command(self, cmd: Command) -> None:
        head = cmd.words[0].raw
        if head == "push" or head == "end_group" or head == "version":
            if "[" not in cmd.text:
                return
        if head == "set" and len(cmd.words) == 3 and _STACK_REF.match(cmd.words[2].raw):
            return
        for severity, reason, excerpt, offset in scan_tcl(cmd.text, script=True):
            self.add(cmd.line + cmd.text.count("\n", 0, offset), severity, excerpt,
                     reason + " (a top-level TCL command: pasting runs it)", "", "")
        if head == "in" and len(cmd.words) >= 3 and is_braced(cmd.words[-1].raw):
            inner = cmd.words[-1]
            try:
                nested = split_commands(inner.raw[1:-1], inner.line)
            except NkParseError:
                nested = []
            for sub in nested:
                if not sub.comment:
                    self._command(sub)

    def _body(self, body: Word, label: str) -> None:
        for key, value in _pairs(body):
            name = key.raw
            raw = value.raw if value else ""
            text = decode_value(raw)
            line = value.line if value else key.line
            for severity, reason, excerpt, _ in scan_tcl(name):
                self.add(key.line, severity, excerpt, reason, label, name)
            if name == "addUserKnob":
                self._user_knob(raw, line, label)
                continue
            when = _CALLBACK_WHEN.get(name.lower())
            if when is not None:
                if text.strip():
                    self.add(line, DANGER, _excerpt(text), when + _python_detail(text), label, name)
                continue
            for source in (raw, text) if text != raw else (raw,):
                for severity, reason, excerpt, offset in scan_tcl(source):
                    at = line + (source.count("\n", 0, offset) if source is raw else 0)
                    self.add(at, severity, excerpt, reason + " when Nuke evaluates the value",
                             label, name)

    def _user_knob(self, raw: str, line: int, label: str) -> None:
        inner = raw[1:-1] if is_braced(raw) else decode_value(raw)
        try:
            words = split_words(inner, line)
        except NkParseError:
            words = []
        kind = words[0].raw if words else ""
        knob = decode_value(words[1].raw) if len(words) > 1 else "?"
        code = ""
        for i, word in enumerate(words[2:-1], start=2):
            if word.raw == "T":
                code = decode_value(words[i + 1].raw)
        if kind.isdigit() and int(kind) in CODE_KNOB_TYPES:
            detail = _python_detail(code) if int(kind) in (22, 52) else ""
            self.add(line, DANGER, _excerpt(code or inner), CODE_KNOB_TYPES[int(kind)] + detail,
                     label, knob)
        elif knob.lower() in _CALLBACK_WHEN:
            self.add(line, DANGER, _excerpt(inner), _CALLBACK_WHEN[knob.lower()], label, knob)
        else:
            for severity, reason, excerpt, _ in scan_tcl(inner):
                self.add(line, severity, excerpt, reason + " when Nuke evaluates the knob",
                         label, knob)


def _pairs(body: Word) -> List[Tuple[Word, Optional[Word]]]:
    words = split_words(body.raw[1:-1], body.line)
    return [(words[i], words[i + 1] if i + 1 < len(words) else None)
            for i in range(0, len(words), 2)]


_RAW_CALLBACK = re.compile(r"(?i)(?:^|[\s{])(" + _CALLBACK_NAMES + r")\s+(?!\"\"|\{\})\S")


def _raw_scan(text: str) -> List[Finding]:
    """For text the lexer cannot split: look for the same things line by line."""
    findings = []
    for m in _RAW_CALLBACK.finditer(text):
        line = text.count("\n", 0, m.start(1)) + 1
        findings.append(Finding(line, -1, DANGER, _excerpt(text, m.start(1)),
                                _CALLBACK_WHEN[m.group(1).lower()], "", m.group(1)))
    for m in _USER_KNOB.finditer(text):
        if int(m.group(1)) in CODE_KNOB_TYPES:
            line = text.count("\n", 0, m.start()) + 1
            findings.append(Finding(line, -1, DANGER, _excerpt(text, m.start()),
                                    CODE_KNOB_TYPES[int(m.group(1))], "", ""))
    for severity, reason, excerpt, offset in scan_tcl(text, script=True):
        findings.append(Finding(text.count("\n", 0, offset) + 1, -1, severity, excerpt, reason,
                                "", ""))
    return findings


def scan_nk(text: str, names: Optional[Iterable[Tuple[str, str]]] = None) -> RiskReport:
    """Scan ``.nk`` text about to be pasted for everything that would run code.

    ``names`` - (full name, class) of the nodes in script order, as ``parse_script``
    gives them - lets findings use the parser's names; by default they are worked out
    here. Findings carry the snippet's line numbers."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    try:
        commands = split_commands(text)
    except NkParseError:
        findings = _raw_scan(text)
        return RiskReport(sorted(findings, key=lambda f: f.line))
    if names is None:
        try:
            names = [(n.full_name, n.node_class) for n in parse_script(text, paste=True).nodes]
        except NkParseError:
            names = []
    scan = _NkScan(list(names))
    scan.run(commands)
    return RiskReport(sorted(scan.findings, key=lambda f: f.line))
