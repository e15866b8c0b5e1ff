"""Running model-written Python inside one undo step, the same way on every host.

Both hosts need exactly this: compile under a recognisable file name, run with output
captured, cancel the undo group on any exception (so the graph is left as it was) and hand
back a traceback of the model's own lines only.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from typing import Any, Callable, Dict

from .host import RunResult

MODEL_CODE_FILENAME = "<model code>"


def run_in_undo(code: str, namespace: Dict[str, Any], out: io.StringIO,
                begin: Callable[[], None], end: Callable[[], None],
                cancel: Callable[[], None]) -> RunResult:
    """Run ``code`` between ``begin`` and ``end``; ``cancel`` instead if it raises."""
    try:
        compiled = compile(code, MODEL_CODE_FILENAME, "exec")
    except SyntaxError as exc:
        return RunResult(False, "", "".join(traceback.format_exception_only(type(exc), exc)))
    begin()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compiled, namespace)
    except KeyboardInterrupt:
        cancel()
        raise
    except BaseException as exc:
        cancel()
        return RunResult(False, out.getvalue(), model_traceback(exc, code))
    end()
    return RunResult(True, out.getvalue(), "")


def model_traceback(exc: BaseException, code: str) -> str:
    """A traceback showing only the model's own lines (not the host's internals)."""
    lines = code.splitlines()
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename == MODEL_CODE_FILENAME]
    out = ["Traceback (most recent call last):\n"]
    for f in frames:
        out.append(f'  File "{MODEL_CODE_FILENAME}", line {f.lineno}, in {f.name}\n')
        if f.lineno and 0 < f.lineno <= len(lines):
            out.append(f"    {lines[f.lineno - 1].strip()}\n")
    if isinstance(exc, SystemExit):
        out.append(f"SystemExit: the code called exit ({exc.code!r})\n")
    else:
        out.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(out)
