"""Fixtures every test gets, and the shared keychain and canary-key fixtures.

Every test runs with its own user directory, no provider keys or base URLs from the developer's
environment, no studio file, and no way to reach the real keychain: keyring is pointed at its
"fail" backend and D-Bus at a socket that does not exist. A test that asks for
``secret_service`` gets a real, private Secret Service (gnome-keyring on its own D-Bus) instead.
A test also fails if asyncio or aiohttp report leaked sessions, loops or tasks.
"""

from __future__ import annotations

import gc
import logging
import os
import selectors
import shutil
import subprocess
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List

import pytest

from nuke_ai_panel.provider_info import PROVIDERS

if TYPE_CHECKING:
    from nuke_ai_panel.worker import Worker

_CLEARED_ENV = sorted(
    {"NUKE_AI_PANEL_STUDIO_CONFIG", "PYTHON_KEYRING_BACKEND"}
    | {info.key_env for info in PROVIDERS.values() if info.key_env}
    | {info.base_url_env for info in PROVIDERS.values() if info.base_url_env}
)
_LEAK_MARKERS = ("Unclosed", "Event loop is closed", "Task was destroyed")
_KEYCHAIN_SERVICE = "nuke-ai-panel"


@pytest.fixture(autouse=True)
def _isolated_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh NUKE_AI_PANEL_HOME and none of the developer's keys or endpoints."""
    home = tmp_path / "nuke_ai_panel_home"
    monkeypatch.setenv("NUKE_AI_PANEL_HOME", str(home))
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def _private_keychain(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                      tmp_path: Path) -> Iterator[None]:
    """keyring's fail backend, or the private Secret Service for tests that ask for it."""
    import keyring.core
    from keyring.backends import SecretService, fail

    bus = request.getfixturevalue("secret_service") if (
        "secret_service" in request.fixturenames) else None
    if bus is None:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-session-bus")
        monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
        yield
        return
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    monkeypatch.setattr(keyring.core, "_keyring_backend", SecretService.Keyring())
    yield
    bus.clear()


class _LeakWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        if any(marker in message for marker in _LEAK_MARKERS):
            self.found.append(f"{record.name}: {message}")


@pytest.fixture(autouse=True)
def _no_loop_leaks() -> Iterator[None]:
    """Fail the test when asyncio/aiohttp log an unclosed session, a closed loop or a lost task."""
    watch = _LeakWatch()
    loggers = [logging.getLogger(name) for name in ("asyncio", "aiohttp")]
    for logger in loggers:
        logger.addHandler(watch)
    try:
        yield
        gc.collect()
    finally:
        for logger in loggers:
            logger.removeHandler(watch)
    if watch.found:
        pytest.fail("asyncio/aiohttp reported leaked resources:\n" + "\n".join(watch.found),
                    pytrace=False)


# -- a private network thread -------------------------------------------------------------------


@pytest.fixture
def private_worker() -> Iterator["Worker"]:
    """A network thread of the test's own, shut down after it: no leaked loop or session."""
    from nuke_ai_panel.worker import Worker

    worker = Worker(name="private-test-loop")
    yield worker
    worker.shutdown(2.0)


# -- a real, private Secret Service -------------------------------------------------------------


@dataclass
class SecretServiceBus:
    """A private D-Bus session bus (no service activation) with an unlocked gnome-keyring."""

    address: str
    root: Path
    processes: List[subprocess.Popen] = field(default_factory=list)

    def clear(self) -> None:
        """Delete every item the panel stored, so tests do not see each other's keys."""
        import secretstorage
        from jeepney.io.blocking import open_dbus_connection

        with closing(open_dbus_connection(bus=self.address)) as conn:
            collection = secretstorage.get_default_collection(conn)
            for item in collection.search_items({"service": _KEYCHAIN_SERVICE}):
                item.delete()


def _cannot_run(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _die_with_pytest() -> None:
    """Popen preexec: SIGTERM the daemon if pytest dies without tearing down (a hard timeout)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return proc.stdout.readline().decode("utf-8", "replace").strip()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if proc.stdout:
        proc.stdout.close()


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _wait_for_secrets(address: str, proc: subprocess.Popen, timeout: float) -> bool:
    """Poll until ``proc`` owns org.freedesktop.secrets (the bus has no activation to race)."""
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    deadline = time.monotonic() + timeout
    with closing(open_dbus_connection(bus=address)) as conn:
        while time.monotonic() < deadline and proc.poll() is None:
            reply = conn.send_and_get_reply(
                message_bus.NameHasOwner("org.freedesktop.secrets"), timeout=5)
            if reply.body[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceBus]:
    """Start ``dbus-daemon`` and an unlocked ``gnome-keyring-daemon`` for this test session.

    Both run with a temporary HOME and XDG_RUNTIME_DIR and talk only on their own socket, so a
    developer's real keychain is never touched. Skips (fails under CI) when either is missing.
    """
    dbus_daemon = shutil.which("dbus-daemon")
    keyring_daemon = shutil.which("gnome-keyring-daemon")
    if not dbus_daemon or not keyring_daemon:
        _cannot_run("dbus-daemon and gnome-keyring-daemon are needed for keychain tests "
                    "(apt-get install dbus gnome-keyring; scripts/test.sh installs them).")
    root = tmp_path_factory.mktemp("secret-service")
    run_dir = root / "run"
    run_dir.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(root / "home"),
        "XDG_RUNTIME_DIR": str(run_dir),
        "XDG_DATA_HOME": str(root / "home" / ".local" / "share"),
        "XDG_CONFIG_HOME": str(root / "home" / ".config"),
        "XDG_CACHE_HOME": str(root / "home" / ".cache"),
    }
    bus_config = root / "bus.conf"
    bus_config.write_text(_BUS_CONFIG.format(socket=run_dir / "bus"), encoding="utf-8")
    log_path = root / "daemons.log"
    bus = SecretServiceBus(address="", root=root)
    previous = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    with open(log_path, "wb") as log:
        daemon = subprocess.Popen(
            [dbus_daemon, f"--config-file={bus_config}", "--nofork", "--nosyslog",
             "--print-address=1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env,
            preexec_fn=_die_with_pytest)
        bus.processes.append(daemon)
        try:
            bus.address = _read_line(daemon, timeout=10)
            if not bus.address:
                _cannot_run(f"dbus-daemon did not start; see {log_path}")
            env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
            keyring_proc = subprocess.Popen(
                [keyring_daemon, "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE, stdout=log, stderr=log, env=env,
                preexec_fn=_die_with_pytest)
            bus.processes.append(keyring_proc)
            keyring_proc.stdin.write(b"nuke-ai-panel-test-keyring")
            keyring_proc.stdin.close()
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus.address
            if not _wait_for_secrets(bus.address, keyring_proc, timeout=15):
                _cannot_run(f"gnome-keyring-daemon did not come up on {bus.address}; "
                            f"see {log_path}")
            yield bus
        finally:
            for proc in reversed(bus.processes):
                _stop(proc)
            if previous is None:
                os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
            else:
                os.environ["DBUS_SESSION_BUS_ADDRESS"] = previous


# -- canary keys --------------------------------------------------------------------------------


@dataclass
class Canary:
    """A unique fake key that matches none of the redaction patterns, so only the code's own
    handling of keys can keep it out of files, logs and messages."""

    key: str
    home: Path
    caplog: pytest.LogCaptureFixture

    def assert_not_leaked(self, *texts: str) -> None:
        for text in texts:
            assert self.key not in str(text), "the key leaked into a message"
        assert self.key not in self.caplog.text, "the key leaked into the log"
        if self.home.exists():
            for path in self.home.rglob("*"):
                if path.is_file():
                    assert self.key.encode() not in path.read_bytes(), f"the key leaked into {path}"


@pytest.fixture
def canary(caplog: pytest.LogCaptureFixture, _isolated_user: Path) -> Iterator[Canary]:
    """A canary key; file logging is on at DEBUG, and every leak check runs again at the end."""
    from nuke_ai_panel.logs import close_file_logging, setup_file_logging

    caplog.set_level(logging.DEBUG, logger="nuke_ai_panel")
    setup_file_logging(logging.DEBUG)
    bird = Canary(key=f"nap-canary-{uuid.uuid4().hex}", home=_isolated_user, caplog=caplog)
    try:
        yield bird
    finally:
        close_file_logging()
    bird.assert_not_leaked()
