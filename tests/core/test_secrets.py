"""Keys in a real (private) Secret Service, env fallback, and every flavour of "no keychain"."""

from __future__ import annotations

import logging

import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, chainer, null
from keyring.errors import KeyringLocked

from nuke_ai_panel import secrets
from nuke_ai_panel.config import load_config
from nuke_ai_panel.errors import CONFIG
from nuke_ai_panel.logs import get_logger
from nuke_ai_panel.secrets import KeychainUnavailable, delete_key, get_key, keychain_status, set_key


class _Broken(KeyringBackend):
    """A backend whose every call fails, like a locked collection or a dead D-Bus."""

    viable = False  # never picked by keyring's own backend detection
    priority = 1
    error: Exception = KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service, username):
        raise self.error

    def set_password(self, service, username, password):
        raise self.error

    def delete_password(self, service, username):
        raise self.error


class _EmptyChainer(chainer.ChainerBackend):
    viable = False
    backends = []


def _use(monkeypatch, backend) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)


# -- a real keychain ----------------------------------------------------------------------------


@pytest.mark.keychain
def test_keys_round_trip_through_secret_service(secret_service, canary, monkeypatch):
    available, description = keychain_status()
    assert available and description == "Secret Service (gnome-keyring)"

    assert get_key("openai") == (None, "none")
    set_key("openai", f"  {canary.key}\n")
    assert get_key("openai") == (canary.key, "keychain")

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-should-lose-123")
    assert get_key("openai") == (canary.key, "keychain"), "the keychain comes first"
    assert load_config().resolve("openai").api_key == canary.key

    get_logger("test").info("using %s", canary.key)
    assert "using [REDACTED]" in canary.caplog.text

    assert delete_key("openai") is True
    assert get_key("openai") == ("sk-from-env-should-lose-123", "env")
    assert delete_key("openai") is False


@pytest.mark.keychain
def test_keychain_is_per_provider(secret_service, canary):
    set_key("anthropic", canary.key)
    set_key("openai-compatible", canary.key + "-compat")
    assert get_key("anthropic") == (canary.key, "keychain")
    assert get_key("openai")[1] == "none"
    assert get_key("openai-compatible", env_var="UNSET_VAR") == (
        canary.key + "-compat", "keychain")


@pytest.mark.keychain
def test_dead_bus_reads_as_no_keychain(secret_service, canary, monkeypatch, tmp_path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/gone")
    available, description = keychain_status("gemini")
    assert not available and description.startswith("No keychain available")
    assert "Set GEMINI_API_KEY instead." in description
    with pytest.raises(KeychainUnavailable) as info:
        set_key("gemini", canary.key)
    assert info.value.env_var == "GEMINI_API_KEY"
    canary.assert_not_leaked(str(info.value), info.value.hint, description)


# -- environment fallback -----------------------------------------------------------------------


def test_env_fallback(monkeypatch, canary):
    monkeypatch.setenv("MISTRAL_API_KEY", f" {canary.key} ")
    assert get_key("mistral") == (canary.key, "env")
    monkeypatch.setenv("MISTRAL_API_KEY", "   ")
    assert get_key("mistral") == (None, "none")
    assert get_key("openai-compatible") == (None, "none")
    monkeypatch.setenv("MY_GATEWAY_KEY", canary.key)
    assert get_key("openai-compatible", env_var="MY_GATEWAY_KEY") == (canary.key, "env")
    get_logger("test").debug("env key %s", canary.key)


# -- no usable keychain -------------------------------------------------------------------------


def test_fail_backend_means_no_keychain(canary, monkeypatch):
    available, description = keychain_status("openai")
    assert not available
    assert description.startswith("No keychain available: no Secret Service")
    assert description.endswith("Set OPENAI_API_KEY instead.")

    with pytest.raises(KeychainUnavailable) as info:
        set_key("openai", canary.key)
    err = info.value
    assert err.kind == CONFIG and err.env_var == "OPENAI_API_KEY"
    assert "OPENAI_API_KEY" in err.hint
    assert delete_key("openai") is False
    assert get_key("openai") == (None, "none")
    monkeypatch.setenv("OPENAI_API_KEY", canary.key)
    assert get_key("openai") == (canary.key, "env")
    canary.assert_not_leaked(str(err), err.message, err.hint, description)


@pytest.mark.parametrize("backend, reason", [
    (null.Keyring(), "null backend"),
    (_EmptyChainer(), "no Secret Service"),
    (_Broken(), "Failed to unlock the collection"),
])
def test_unusable_backends(monkeypatch, canary, backend, reason):
    _use(monkeypatch, backend)
    available, description = keychain_status("anthropic")
    assert not available and reason in description and "ANTHROPIC_API_KEY" in description
    with pytest.raises(KeychainUnavailable) as info:
        set_key("anthropic", canary.key)
    assert "ANTHROPIC_API_KEY" in info.value.hint
    monkeypatch.setenv("ANTHROPIC_API_KEY", canary.key)
    assert get_key("anthropic") == (canary.key, "env")
    canary.assert_not_leaked(str(info.value), info.value.hint, description)


def test_backend_errors_never_crash(monkeypatch, caplog):
    broken = _Broken()
    broken.error = OSError("org.freedesktop.DBus.Error.ServiceUnknown: not activatable")
    _use(monkeypatch, broken)
    assert get_key("openai") == (None, "none")
    assert "Could not read the openai key" in caplog.text
    with pytest.raises(KeychainUnavailable):
        delete_key("openai")
    assert keychain_status()[0] is False
    assert "environment variable" in keychain_status()[1]


def test_keyring_not_installed(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_keyring(name, *args, **kwargs):
        if name == "keyring" or name.startswith("keyring."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_keyring)
    assert keychain_status("openai") == (
        False, "No keychain available: the keyring package is not installed. "
               "Set OPENAI_API_KEY instead.")


def test_empty_key_is_rejected():
    with pytest.raises(ValueError):
        set_key("openai", "   ")


def test_secret_service_backend_on_no_bus_is_unavailable(monkeypatch, canary):
    _use(monkeypatch, SecretService.Keyring())
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    available, description = keychain_status("openrouter")
    assert not available and "OPENROUTER_API_KEY" in description
    with pytest.raises(KeychainUnavailable):
        set_key("openrouter", canary.key)


def test_no_keychain_never_writes_the_key_anywhere(canary, _isolated_user):
    logging.getLogger("nuke_ai_panel").debug("start")
    for pid in ("openai", "openai-compatible"):
        with pytest.raises(KeychainUnavailable) as info:
            set_key(pid, canary.key)
        canary.assert_not_leaked(str(info.value), info.value.hint)
    assert "API key variable" in info.value.hint
    assert secrets.SERVICE == "nuke-ai-panel"
