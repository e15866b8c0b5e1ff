"""What model-written Python may not do unseen: the calls, modules and methods the Python
scan flags, each with its severity and the reason shown to the artist."""

from __future__ import annotations

import re
from typing import Dict, Tuple

from .report import DANGER, WARNING

DELETE = "deletes files or folders"
PROCESS = "starts another program"
NETWORK = "uses the network"
CLOSE = "closes the script or quits Nuke"
EXEC = "runs code built from a string"
MODAL = "opens a modal dialog, which freezes Nuke until it is closed"
TRUNCATE = "empties a file"
KILL = "stops other programs"
CALLBACK = "registers a callback that keeps running after this (Ctrl+Z does not remove it)"

CALLS: Dict[str, Tuple[str, str]] = {
    "os.remove": (DANGER, DELETE),
    "os.unlink": (DANGER, DELETE),
    "os.rmdir": (DANGER, DELETE),
    "os.removedirs": (DANGER, DELETE),
    "shutil.rmtree": (DANGER, DELETE),
    "os.truncate": (DANGER, TRUNCATE),
    "os.ftruncate": (DANGER, TRUNCATE),
    "os.system": (DANGER, PROCESS),
    "os.popen": (DANGER, PROCESS),
    "platform.popen": (DANGER, PROCESS),
    "os.startfile": (DANGER, PROCESS),
    "os.kill": (DANGER, KILL),
    "os.killpg": (DANGER, KILL),
    "os.fork": (DANGER, PROCESS),
    "os.forkpty": (DANGER, PROCESS),
    "pty.spawn": (DANGER, PROCESS),
    "nuke.scriptClose": (DANGER, CLOSE),
    "nuke.scriptClear": (DANGER, CLOSE),
    "nuke.scriptExit": (DANGER, CLOSE),
    "nuke.exit": (DANGER, CLOSE),
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
    "nuke.Panel().show": (DANGER, MODAL),
    "sys.exit": (DANGER, CLOSE),
    "os._exit": (DANGER, CLOSE),
    "exit": (DANGER, CLOSE),
    "quit": (DANGER, CLOSE),
    "exec": (DANGER, EXEC),
    "eval": (DANGER, EXEC),
    "execfile": (DANGER, EXEC),
    "compile": (DANGER, EXEC),
    "runpy.run_path": (DANGER, EXEC),
    "runpy.run_module": (DANGER, EXEC),
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

CALL_PREFIXES = {
    "subprocess.": (DANGER, PROCESS),
    "os.exec": (DANGER, PROCESS),
    "os.spawn": (DANGER, PROCESS),
    "os.posix_spawn": (DANGER, PROCESS),
    "asyncio.create_subprocess_": (DANGER, PROCESS),
    "commands.": (DANGER, PROCESS),
    "popen2.": (DANGER, PROCESS),
    "socket.": (DANGER, NETWORK),
    "urllib.": (DANGER, NETWORK),
    "urllib2.": (DANGER, NETWORK),
    "requests.": (DANGER, NETWORK),
    "http.client.": (DANGER, NETWORK),
    "httplib.": (DANGER, NETWORK),
    "ftplib.": (DANGER, NETWORK),
    "smtplib.": (DANGER, NETWORK),
    "telnetlib.": (DANGER, NETWORK),
    "aiohttp.": (DANGER, NETWORK),
    "paramiko.": (DANGER, NETWORK),
    "webbrowser.": (WARNING, "opens a web browser"),
}

RISKY_MODULES = {
    "subprocess": PROCESS,
    "socket": NETWORK,
    "urllib": NETWORK,
    "urllib2": NETWORK,
    "urllib.request": NETWORK,
    "requests": NETWORK,
    "http.client": NETWORK,
    "httplib": NETWORK,
    "ftplib": NETWORK,
    "smtplib": NETWORK,
    "telnetlib": NETWORK,
    "aiohttp": NETWORK,
    "paramiko": NETWORK,
    "ctypes": "loads native code",
}

# ``from X import *`` brings these modules' dangerous functions in under bare names.
STAR_DANGER = {
    "os": "delete files and start programs",
    "shutil": "delete folders",
    "subprocess": "start programs",
    "socket": "use the network",
    "pty": "start programs",
    "posix": "delete files and start programs",
    "nt": "delete files and start programs",
}

# Methods risky on any receiver (pathlib objects and the like).
METHODS = {
    "unlink": (DANGER, DELETE + " (pathlib)"),
    "rmdir": (DANGER, DELETE + " (pathlib)"),
    "rmtree": (DANGER, DELETE),
    "write_text": (WARNING, "writes a file"),
    "write_bytes": (WARNING, "writes a file"),
}

# Method names that decide on their own when the receiver cannot be resolved
# (``__import__(name).system``, ``getattr(...)``, a local of unknown type).
BLIND_METHODS = {
    "system": (DANGER, PROCESS),
    "popen": (DANGER, PROCESS),
    "startfile": (DANGER, PROCESS),
    "rmtree": (DANGER, DELETE),
    "removedirs": (DANGER, DELETE),
    "truncate": (DANGER, TRUNCATE),
    "ftruncate": (DANGER, TRUNCATE),
    "kill": (DANGER, KILL),
    "killpg": (DANGER, KILL),
    "unlink": (DANGER, DELETE),
    "rmdir": (DANGER, DELETE),
}
BLIND_PROCESS = re.compile(r"^(exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|popen[234])$")
# ``remove`` is ordinary on lists and sets: it only counts on a receiver that is a module
# the scan could not name (``importlib.import_module(name).remove``).
DYNAMIC_ONLY = {"remove": (DANGER, DELETE)}

NUKE_CALLBACK = re.compile(
    r"^add(On[A-Z]\w*|KnobChanged|UpdateUI|Autolabel|(Before|After)\w*Render\w*|RenderProgress|"
    r"FilenameFilter|ValidateFilename|AutoSave\w*Filter)$"
)

IMPORT_FUNCS = frozenset({"__import__", "importlib.import_module", "importlib.__import__"})
GETATTR = frozenset({"getattr"})
# Modules whose every attribute may be dangerous, so a computed getattr on them is too.
GETATTR_DANGER = frozenset({"os", "shutil", "subprocess", "socket", "pty", "builtins", "nuke",
                            "importlib", "posix", "nt", "sys"})
KNOWN_MODULES = frozenset({
    "os", "sys", "shutil", "subprocess", "socket", "nuke", "nukescripts", "pathlib", "platform",
    "importlib", "builtins", "asyncio", "pty", "ctypes", "runpy", "pickle", "marshal", "io",
    "codecs", "urllib", "urllib2", "requests", "http", "webbrowser",
})
BUILTIN_NAMES = frozenset({"exec", "eval", "compile", "__import__", "open", "exit", "quit",
                           "getattr", "execfile"})
NAMESPACES = ("builtins.", "__builtins__.", "__builtin__.")
MODULE_TABLES = frozenset({"sys.modules", "globals()", "locals()", "vars()"})
DIALOG_INSTANCES = frozenset({"nuke.Panel()"})
SETTERS = frozenset({"setValue", "fromScript", "setText"})
MODAL_METHODS = {"showModalDialog": (DANGER, MODAL),
                 "showModal": (DANGER, MODAL),
                 "exec_": (WARNING, "runs a Qt dialog or event loop, which blocks Nuke")}
