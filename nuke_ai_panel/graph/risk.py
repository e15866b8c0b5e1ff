"""Flag risky calls in model-written Python before the artist agrees to run it.

A static AST scan, not a sandbox: it resolves import aliases (``import shutil as sh``,
``from os import remove as rm``) and reports, with line numbers, calls that delete
files, start processes, use the network, close the script or quit Nuke, run code
from strings, or write files. It cannot see through ``getattr`` tricks; the preview
says so.
"""

from __future__ import annotations

import ast
from typing import Dict, List, NamedTuple, Optional

__all__ = ["Finding", "RiskReport", "scan_code", "DANGER", "WARNING"]

DANGER = "danger"
WARNING = "warning"

_DELETE = "deletes files or folders"
_PROCESS = "starts another program"
_NETWORK = "uses the network"
_CLOSE = "closes the script or quits Nuke"
_EXEC = "runs code built from a string"

_CALLS: Dict[str, tuple] = {
    "os.remove": (DANGER, _DELETE),
    "os.unlink": (DANGER, _DELETE),
    "os.rmdir": (DANGER, _DELETE),
    "os.removedirs": (DANGER, _DELETE),
    "shutil.rmtree": (DANGER, _DELETE),
    "os.system": (DANGER, _PROCESS),
    "os.popen": (DANGER, _PROCESS),
    "os.startfile": (DANGER, _PROCESS),
    "os.kill": (DANGER, "stops other programs"),
    "os.fork": (DANGER, _PROCESS),
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
    "nuke.Panel": (WARNING, "opens a modal dialog, which blocks Nuke"),
    "nuke.PythonPanel": (WARNING, "opens a panel; showModalDialog() would block Nuke"),
    "sys.exit": (DANGER, _CLOSE),
    "os._exit": (DANGER, _CLOSE),
    "exit": (DANGER, _CLOSE),
    "quit": (DANGER, _CLOSE),
    "exec": (DANGER, _EXEC),
    "eval": (DANGER, _EXEC),
    "compile": (DANGER, _EXEC),
    "__import__": (WARNING, "imports a module by computed name"),
    "importlib.import_module": (WARNING, "imports a module by computed name"),
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

_METHODS = {
    "unlink": (DANGER, _DELETE + " (pathlib)"),
    "rmdir": (DANGER, _DELETE + " (pathlib)"),
    "rmtree": (DANGER, _DELETE),
    "write_text": (WARNING, "writes a file"),
    "write_bytes": (WARNING, "writes a file"),
}


class Finding(NamedTuple):
    line: int
    column: int
    severity: str
    call: str
    reason: str

    def describe(self) -> str:
        return f"line {self.line}: {self.call} - {self.reason}"


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


def _dotted(node: ast.AST) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self) -> None:
        self.aliases: Dict[str, str] = {}
        self.findings: List[Finding] = []

    def add(self, node: ast.AST, severity: str, call: str, reason: str) -> None:
        self.findings.append(
            Finding(getattr(node, "lineno", 0), getattr(node, "col_offset", 0), severity, call, reason)
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            self.aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
            self._flag_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            full = f"{module}.{alias.name}" if module else alias.name
            self.aliases[alias.asname or alias.name] = full
            self._flag_module(node, full if full in _RISKY_MODULES else module)

    def _flag_module(self, node: ast.AST, module: str) -> None:
        for risky, reason in _RISKY_MODULES.items():
            if module == risky or module.startswith(risky + "."):
                self.add(node, WARNING, f"import {module}", f"imports a module that {reason}")
                return

    def resolve(self, func: ast.AST) -> Optional[str]:
        name = _dotted(func)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in self.aliases:
            base = self.aliases[head]
            return f"{base}.{rest}" if rest else base
        return name

    def visit_Call(self, node: ast.Call) -> None:
        name = self.resolve(node.func)
        if name:
            self._check_call(node, name)
        elif isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
            severity, reason = _METHODS[node.func.attr]
            self.add(node, severity, f".{node.func.attr}()", reason)
        self.generic_visit(node)

    def _check_call(self, node: ast.Call, name: str) -> None:
        if name in _CALLS:
            severity, reason = _CALLS[name]
            self.add(node, severity, name, reason)
            return
        for prefix, (severity, reason) in _CALL_PREFIXES.items():
            if name.startswith(prefix):
                self.add(node, severity, name, reason)
                return
        if name in ("open", "io.open", "codecs.open", "builtins.open"):
            self._check_open(node, name)
            return
        attr = name.rsplit(".", 1)[-1]
        if "." in name and attr in _METHODS and not name.startswith(("os.path.", "nuke.")):
            severity, reason = _METHODS[attr]
            self.add(node, severity, name, reason)

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


def scan_code(code: str) -> RiskReport:
    """Scan Python source; a syntax error is reported instead of findings."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return RiskReport([], f"{where}{exc.msg}")
    scanner = _Scanner()
    scanner.visit(tree)
    findings = sorted(scanner.findings, key=lambda f: (f.line, f.column))
    return RiskReport(findings)
