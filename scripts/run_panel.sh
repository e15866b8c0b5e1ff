#!/usr/bin/env bash
# Open the Nuke AI Panel in its own window, outside Nuke (the README's first quick-start command).
#
#   ./scripts/run_panel.sh [APP ARGS...]      e.g. --script my_comp.nk
#
# Builds .venv/app once (Python 3.11 if found, else 3.10 / 3.9 with PySide2) with the pinned
# runtime requirements and a Qt binding, then runs `python -m src.ui.app`. Rebuilt only when the
# requirement files change. Uses the same config, keychain and history as the panel in Nuke.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
    local version=$1 candidate prefix
    if command -v pyenv >/dev/null 2>&1 && prefix=$(pyenv prefix "$version" 2>/dev/null); then
        candidate="$prefix/bin/python$version"
        if "$candidate" -c 'import sys' >/dev/null 2>&1; then echo "$candidate"; return 0; fi
    fi
    candidate=$(command -v "python$version" 2>/dev/null) || return 1
    "$candidate" -c 'import sys' >/dev/null 2>&1 && echo "$candidate"
}

PYTHON="" BINDING=""
for version in 3.11 3.12 3.13; do
    if PYTHON=$(find_python "$version"); then BINDING=requirements-pyside6.txt; break; fi
done
if [ -z "$BINDING" ]; then
    for version in 3.10 3.9; do
        if PYTHON=$(find_python "$version"); then BINDING=requirements-pyside2.txt; break; fi
    done
fi
[ -n "$BINDING" ] || { echo "run_panel.sh: no Python 3.9-3.13 found; install one (pyenv works)" >&2; exit 2; }

VENV=.venv/app
STAMP=$(cat requirements.txt "$BINDING" | sha256sum | cut -c1-16)-$("$PYTHON" -V 2>&1 | tr -d ' ')
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$STAMP" ]; then
    echo "run_panel.sh: preparing $VENV with $("$PYTHON" -V 2>&1) (first run only)..."
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    grep -v '^pytest' "$BINDING" > "$VENV/binding.txt"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r requirements.txt -r "$VENV/binding.txt"
    echo "$STAMP" > "$VENV/.stamp"
fi

if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] \
        && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    if command -v xvfb-run >/dev/null 2>&1 && [ -n "${NUKE_AI_PANEL_XVFB:-}" ]; then
        exec xvfb-run -a "$VENV/bin/python" -m src.ui.app "$@"
    fi
    echo "run_panel.sh: no display found (DISPLAY is not set). Run it from a desktop session," >&2
    echo "  or set NUKE_AI_PANEL_XVFB=1 to run it on a virtual screen (xvfb-run)." >&2
    exit 2
fi
exec "$VENV/bin/python" -m src.ui.app "$@"
