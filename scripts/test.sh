#!/usr/bin/env bash
# Run the test suite in every supported Python / Qt combination.
#
#   ./scripts/test.sh [--leg LEG[,LEG]]... [PYTEST ARGS...]
#
#   py311  Python 3.11 + PySide6   whole suite, Qt offscreen
#   py310  Python 3.10 + PySide2   whole suite, Qt offscreen (Nuke 13-15's binding)
#   py39   Python 3.9, no Qt       everything but the Qt test directories
#
# Examples:  ./scripts/test.sh                   all legs
#            ./scripts/test.sh --leg py311 -k faults -x
#
# Installs missing Debian packages when run as root (else prints the apt-get line), finds the
# interpreters with `pyenv prefix X.Y` or pythonX.Y on PATH, and builds one virtualenv per leg in
# .venv/LEG, rebuilt only when its requirement files or interpreter change.
# Environment: LEG_TIMEOUT (seconds per leg, default 900), SKIP_APT=1 (never call apt-get).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALL_LEGS=(py311 py310 py39)
# The only list of test directories that need a Qt binding; the py39 leg ignores them.
QT_TEST_DIRS=(tests/ui tests/nuke_qt tests/assist_qt tests/agent_qt)
# Wheels of requirements.txt, so the installer tests install into Nuke-like folders offline,
# and of the build backend, so tests/nuke/test_package.py builds `pip install .` offline too.
WHEELHOUSE=.venv/wheelhouse
BUILD_BACKEND=setuptools==75.3.2
LEG_TIMEOUT=${LEG_TIMEOUT:-900}

# D-Bus and gnome-keyring for the keychain tests; Xvfb for running the UI by hand; the libraries
# PySide6 and PySide2 load offscreen and under X11 ("a|b": either name, for Debian 12 and 13).
APT_PACKAGES=(
    dbus dbus-x11 gnome-keyring xvfb xauth fontconfig fonts-dejavu-core
    libegl1 libgl1 libopengl0 "libglib2.0-0|libglib2.0-0t64" libfontconfig1 libfreetype6
    libdbus-1-3 libpulse-mainloop-glib0 libxkbcommon0 libxkbcommon-x11-0
    libx11-6 libx11-xcb1 libxext6 libxrender1 libxi6 libsm6 libice6
    libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
    libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1
)

say() { printf '%s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 2; }

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

leg_python() {
    case "$1" in py311) echo 3.11 ;; py310) echo 3.10 ;; py39) echo 3.9 ;; esac
}

leg_requirements() {
    case "$1" in
        py311) echo requirements.txt requirements-test.txt requirements-pyside6.txt ;;
        py310) echo requirements.txt requirements-test.txt requirements-pyside2.txt ;;
        py39) echo requirements.txt requirements-test.txt ;;
    esac
}

leg_has_qt() { [ "$1" != py39 ]; }

# -- arguments ----------------------------------------------------------------------------------

LEGS=()
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --leg) [ $# -ge 2 ] || die "--leg needs a value (${ALL_LEGS[*]})"
               IFS=, read -r -a more <<<"$2"; LEGS+=("${more[@]}"); shift 2 ;;
        --leg=*) IFS=, read -r -a more <<<"${1#--leg=}"; LEGS+=("${more[@]}"); shift ;;
        --help) usage; exit 0 ;;
        --) shift; PYTEST_ARGS+=("$@"); break ;;
        *) PYTEST_ARGS+=("$1"); shift ;;
    esac
done
[ ${#LEGS[@]} -gt 0 ] || LEGS=("${ALL_LEGS[@]}")
for leg in "${LEGS[@]}"; do
    [ -n "$(leg_python "$leg")" ] || die "unknown leg '$leg' (known: ${ALL_LEGS[*]})"
done

# -- system packages ----------------------------------------------------------------------------

is_installed() {  # "a|b": any alternative installed
    local alt
    local -a alts
    IFS='|' read -r -a alts <<<"$1"
    for alt in "${alts[@]}"; do
        dpkg-query -W -f='${Status}' "$alt" 2>/dev/null | grep -q 'install ok installed' && return 0
    done
    return 1
}

installable_name() {  # the first alternative apt knows about
    local alt
    local -a alts
    IFS='|' read -r -a alts <<<"$1"
    for alt in "${alts[@]}"; do
        apt-cache show "$alt" >/dev/null 2>&1 && { echo "$alt"; return; }
    done
    echo "${alts[0]}"
}

ensure_system_packages() {
    [ "${SKIP_APT:-0}" = 1 ] && return 0
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "note: not a Debian-based system; make sure D-Bus, gnome-keyring and Qt's X11/EGL" \
            "libraries are installed."
        return 0
    fi
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        say "warning: missing system packages; install them with:"
        say "  sudo apt-get install -y ${missing[*]//|*/}"
        return 0
    fi
    say "== installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -qq; then
        say "warning: apt-get update failed; tests that need these packages may fail."
        return 0
    fi
    local names=()
    for pkg in "${missing[@]}"; do names+=("$(installable_name "$pkg")"); done
    if ! apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${names[@]}" \
        </dev/null >/dev/null; then
        say "warning: apt-get install failed; tests that need these packages may fail."
    fi
}

# -- interpreters and virtualenvs ---------------------------------------------------------------

find_python() {  # X.Y -> path of a working interpreter of exactly that version
    local version=$1 candidates=() prefix candidate
    if command -v pyenv >/dev/null 2>&1; then
        prefix=$(pyenv prefix "$version" 2>/dev/null | head -n 1 || true)
        [ -n "$prefix" ] && candidates+=("$prefix/bin/python$version")
    fi
    candidate=$(command -v "python$version" 2>/dev/null || true)
    [ -n "$candidate" ] && candidates+=("$candidate")
    candidates+=("/usr/bin/python$version" "/usr/local/bin/python$version")
    for candidate in "${candidates[@]}"; do
        if [ -x "$candidate" ] && "$candidate" -c \
            "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" \
            </dev/null >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

requirements_stamp() {  # leg python -> hash of the interpreter version and requirement files
    local leg=$1 python=$2
    # shellcheck disable=SC2046
    "$python" - $(leg_requirements "$leg") <<'EOF'
import hashlib, sys
digest = hashlib.sha256(sys.version.encode())
for name in sys.argv[1:]:
    digest.update(name.encode() + b"\0")
    with open(name, "rb") as handle:
        digest.update(handle.read())
print(digest.hexdigest())
EOF
}

ensure_venv() {  # leg python -> 0 when .venv/LEG is ready
    local leg=$1 python=$2 dir=".venv/$1" stamp args=() file
    stamp=$(requirements_stamp "$leg" "$python")
    if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements-stamp" 2>/dev/null)" = "$stamp" ] \
        && "$dir/bin/python" -c "" </dev/null 2>/dev/null; then
        say "== $leg: reusing $dir"
        return 0
    fi
    say "== $leg: building $dir with $python"
    rm -rf "$dir"
    mkdir -p .venv
    if ! "$python" -m venv "$dir" </dev/null; then
        say "could not create a virtualenv with $python (on Debian: apt-get install python3-venv)"
        return 1
    fi
    for file in $(leg_requirements "$leg"); do args+=(-r "$file"); done
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off \
        "$dir/bin/python" -m pip install --no-input -q "${args[@]}" </dev/null || return 1
    echo "$stamp" >"$dir/.requirements-stamp"
}

ensure_wheelhouse() {  # leg -> 0 when $WHEELHOUSE holds the leg's pinned runtime wheels
    local leg=$1 stamp
    stamp=$( (cat requirements.txt ".venv/$leg/.requirements-stamp"; echo "$BUILD_BACKEND") \
        | sha256sum | cut -d' ' -f1)
    [ "$(cat "$WHEELHOUSE/.stamp-$leg" 2>/dev/null)" = "$stamp" ] && return 0
    mkdir -p "$WHEELHOUSE"
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off \
        ".venv/$leg/bin/python" -m pip download --no-input -q -d "$WHEELHOUSE" \
        -r requirements.txt </dev/null || return 1
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off \
        ".venv/$leg/bin/python" -m pip download --no-input -q --no-deps -d "$WHEELHOUSE" \
        "$BUILD_BACKEND" </dev/null || return 1
    echo "$stamp" >"$WHEELHOUSE/.stamp-$leg"
}

# -- running ------------------------------------------------------------------------------------

RESULTS=()
FAILED=0

record() {  # leg status seconds detail...
    RESULTS+=("$(printf '%-6s %-5s %5ss  %s' "$1" "$2" "$3" "${*:4}")")
    [ "$2" = PASS ] || FAILED=1
}

describe_exit() {
    case "$1" in
        0) echo "all selected tests passed" ;;
        1) echo "some tests failed" ;;
        2) echo "interrupted" ;;
        3) echo "pytest internal error" ;;
        4) echo "pytest usage error" ;;
        5) echo "no tests were collected (check the arguments and the test paths)" ;;
        124|137) echo "timed out after ${LEG_TIMEOUT}s" ;;
        *) echo "pytest exited with status $1" ;;
    esac
}

run_leg() {
    local leg=$1 version python started status leg_args=() dir qt=", no Qt" wheelhouse=""
    version=$(leg_python "$leg")
    started=$(date +%s)
    leg_has_qt "$leg" && qt=" + Qt"
    say ""
    say "======== $leg: Python $version$qt ========"
    if ! python=$(find_python "$version"); then
        record "$leg" FAIL 0 "Python $version not found (pyenv install $version," \
            "or put python$version on PATH)"
        return
    fi
    if ! ensure_venv "$leg" "$python"; then
        record "$leg" FAIL $(($(date +%s) - started)) \
            "could not build .venv/$leg (see the pip output above)"
        return
    fi
    if ensure_wheelhouse "$leg"; then
        wheelhouse="$PWD/$WHEELHOUSE"
    else
        record "$leg" FAIL $(($(date +%s) - started)) \
            "could not fill $WHEELHOUSE for the installer tests (see the pip output above)"
        return
    fi
    if ! leg_has_qt "$leg"; then
        for dir in "${QT_TEST_DIRS[@]}"; do leg_args+=("--ignore=$dir"); done
        leg_args+=(-p no:pytest-qt)
    fi
    set +e
    QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$RUNTIME_DIR" PYTHONUNBUFFERED=1 \
        NUKE_AI_PANEL_WHEELHOUSE="$wheelhouse" \
        timeout --foreground -k 30 "$LEG_TIMEOUT" \
        ".venv/$leg/bin/python" -m pytest ${leg_args[@]+"${leg_args[@]}"} \
        ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"} </dev/null
    status=$?
    set -e
    if [ "$status" = 0 ]; then
        record "$leg" PASS $(($(date +%s) - started)) "$(describe_exit 0)"
    else
        record "$leg" FAIL $(($(date +%s) - started)) "$(describe_exit "$status")"
    fi
}

RUNTIME_DIR=$(mktemp -d)
trap 'rm -rf "$RUNTIME_DIR"' EXIT

ensure_system_packages
for leg in "${LEGS[@]}"; do
    run_leg "$leg"
done

say ""
say "======== summary ========"
for line in "${RESULTS[@]}"; do say "$line"; done
if [ "$FAILED" != 0 ]; then
    say "FAILED"
    exit 1
fi
say "OK"
