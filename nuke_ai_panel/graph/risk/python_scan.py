"""The Python scan: resolve what model-written code calls, then look it up in
:mod:`.python_calls`. Static, not a sandbox (see the package docstring)."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from .python_calls import (
    BLIND_METHODS,
    BLIND_PROCESS,
    BUILTIN_NAMES,
    CALLBACK,
    CALLS,
    CALL_PREFIXES,
    DIALOG_INSTANCES,
    DYNAMIC_ONLY,
    GETATTR,
    GETATTR_DANGER,
    IMPORT_FUNCS,
    KNOWN_MODULES,
    METHODS,
    MODAL_METHODS,
    MODULE_TABLES,
    NAMESPACES,
    NUKE_CALLBACK,
    PROCESS,
    RISKY_MODULES,
    SETTERS,
    STAR_DANGER,
)
from .report import DANGER, WARNING, Finding, RiskReport
from .tcl import CALLBACK_WHEN, scan_tcl

__all__ = ["python_detail", "scan_code"]


def _const_str(node: Optional[ast.AST]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _canonical(name: str) -> str:
    """``builtins.exec`` / ``__builtins__.exec`` are plain ``exec``."""
    for prefix in NAMESPACES:
        if name.startswith(prefix) and name[len(prefix):] in BUILTIN_NAMES:
            return name[len(prefix):]
    return name


def _table_hit(name: str) -> Optional[Tuple[str, str]]:
    if name in CALLS:
        return CALLS[name]
    for prefix, hit in CALL_PREFIXES.items():
        if name.startswith(prefix):
            return hit
    head, _, attr = name.rpartition(".")
    if head.split(".")[0] == "nuke" and NUKE_CALLBACK.match(attr):
        return (WARNING, CALLBACK)
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
                if module in STAR_DANGER or top in STAR_DANGER:
                    what = STAR_DANGER.get(module) or STAR_DANGER[top]
                    self.add(node, DANGER, f"from {module} import *",
                             f"imports every function of {module}, including ones that {what}")
                else:
                    self._flag_module(node, module)
                continue
            full = f"{module}.{alias.name}" if module else alias.name
            self.aliases[alias.asname or alias.name] = full
            self.modules.add(full.split(".")[0])
            self._flag_module(node, full if full in RISKY_MODULES else module)

    def _flag_module(self, node: ast.AST, module: str) -> None:
        for risky, reason in RISKY_MODULES.items():
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
            if base in MODULE_TABLES:
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
        if func in IMPORT_FUNCS:
            module = _const_str(first)
            if module is None:
                return "?"
            if func == "__import__" and not self._has_fromlist(node):
                return module.split(".")[0]
            return module
        if func in GETATTR and len(node.args) >= 2:
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
        return head in self.modules or head in KNOWN_MODULES

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
        if resolved and ("()" not in resolved or resolved in DIALOG_INSTANCES):
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
        if name in IMPORT_FUNCS:
            module = _const_str(node.args[0] if node.args else None)
            if module is None:
                self.add(node, WARNING, name, "imports a module whose name is computed at run time")
            else:
                self.add(node, WARNING, name, f"imports {module} indirectly")
                self._flag_module(node, module)
            return True
        if "?" not in name and ("()" not in name or name in CALLS):
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
        if attr in MODAL_METHODS:
            severity, reason = MODAL_METHODS[attr]
            self.add(node, severity, _source(func), reason)
            return
        if attr in METHODS and (name is None or dynamic or not name.startswith(("os.path.", "nuke."))):
            severity, reason = METHODS[attr]
            call = f".{attr}()" if receiver is None or "()" in receiver else name
            self.add(node, severity, call, reason)
            return
        if self._rooted(receiver) and not dynamic:
            return
        hit = BLIND_METHODS.get(attr)
        if hit is None and BLIND_PROCESS.match(attr):
            hit = (DANGER, PROCESS)
        if hit is None and receiver is not None and receiver.startswith("?"):
            hit = DYNAMIC_ONLY.get(attr)
        if hit:
            reason = hit[1] + (" (the scan could not tell what it is called on)" if dynamic else "")
            self.add(node, hit[0], _source(func), reason)

    def _check_special(self, node: ast.Call, name: Optional[str]) -> None:
        if name in GETATTR and len(node.args) >= 2:
            target = self.resolve(node.args[0])
            attr = _const_str(node.args[1])
            if attr is None:
                module = (target or "").split(".")[0]
                if target and "." not in target and module in GETATTR_DANGER and (
                        module in self.modules or module in KNOWN_MODULES):
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
        if isinstance(func, ast.Attribute) and func.attr in SETTERS:
            knob = self._knob_of(func.value)
            if knob is not None:
                detail = python_detail(_const_str(node.args[0] if node.args else None) or "")
                self.add(node, WARNING, _source(func),
                         f"puts code in the {knob} knob, which {CALLBACK_WHEN[knob.lower()]}"
                         f"{detail}")

    @staticmethod
    def _knob_of(receiver: ast.AST) -> Optional[str]:
        key: Optional[str] = None
        if isinstance(receiver, ast.Subscript):
            key = _const_str(receiver.slice)
        elif (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)
              and receiver.func.attr == "knob" and receiver.args):
            key = _const_str(receiver.args[0])
        if key is not None and key.lower() in CALLBACK_WHEN:
            return key
        return None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load) and id(node) not in self._handled:
            name = self.resolve(node)
            if name and name.startswith("?") and (node.attr in BLIND_METHODS or
                                                  BLIND_PROCESS.match(node.attr)):
                severity, reason = BLIND_METHODS.get(node.attr, (DANGER, PROCESS))
                self.refer(node, severity, _source(node), reason)
            else:
                self._check_reference(node, name)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and id(node) not in self._handled:
            self._check_reference(node, self.resolve(node))

    def _check_reference(self, node: ast.AST, name: Optional[str]) -> None:
        if not name or "?" in name or ("()" in name and name not in CALLS):
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


def python_detail(code: str) -> str:
    """`` (the code calls os.system: starts another program)`` for the worst finding in
    ``code``, or nothing."""
    if not code.strip():
        return ""
    report = scan_code(code)
    if not report.findings:
        return ""
    worst = sorted(report.findings, key=lambda f: f.severity != DANGER)[0]
    return f" (the code uses {worst.call}: {worst.reason})"
