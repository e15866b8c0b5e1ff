"""API keys: the OS keychain first, then the provider's environment variable.

Keys are stored with ``keyring`` (service ``nuke-ai-panel``, username = provider id) and are
never written to disk by the panel itself: when there is no usable keychain (a headless Linux
box without Secret Service, a locked or broken keychain) saving fails with a message that names
the environment variable to set instead. Every keychain call is guarded, so a D-Bus error or a
misconfigured backend reads as "no keychain" rather than a crash. ``keyring`` is imported inside
the functions so importing the package stays cheap inside Nuke.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Tuple

from .errors import CONFIG, ProviderError
from .logs import get_logger
from .provider_info import PROVIDERS
from .redact import redact, register_secret

SERVICE = "nuke-ai-panel"

SOURCE_KEYCHAIN = "keychain"
SOURCE_ENV = "env"
SOURCE_NONE = "none"

_log = get_logger(__name__)


class KeychainUnavailable(ProviderError):
    """Saving or deleting a key failed because there is no usable keychain."""

    def __init__(self, message: str, hint: str = "", env_var: Optional[str] = None) -> None:
        super().__init__(CONFIG, message, hint)
        self.env_var = env_var


def get_key(provider_id: str, env_var: Optional[str] = None,
            use_keychain: bool = True) -> Tuple[Optional[str], str]:
    """``(key, source)`` with source ``"keychain"``, ``"env"`` or ``"none"``.

    ``env_var`` replaces the provider's standard variable (for ``openai-compatible``, which has
    none). Blank values count as missing. ``use_keychain=False`` skips the keychain, as when
    the stored key is about to be removed. Calls take their key through
    :meth:`nuke_ai_panel.config.Config.resolve`; the UI asks :func:`key_source`.
    """
    backend, _problem = _usable_backend() if use_keychain else (None, "")
    if backend is not None:
        try:
            key = _clean(backend.get_password(SERVICE, provider_id))
        except Exception as exc:
            _log.warning("Could not read the %s key from the keychain: %s", provider_id,
                         _describe_exception(exc))
            key = None
        if key:
            register_secret(key)
            return key, SOURCE_KEYCHAIN
    name = env_var or _standard_env_var(provider_id)
    if name:
        key = _clean(os.environ.get(name))
        if key:
            register_secret(key)
            return key, SOURCE_ENV
    return None, SOURCE_NONE


def key_source(provider_id: str, env_var: Optional[str] = None,
               use_keychain: bool = True) -> str:
    """Where the key :func:`get_key` would give comes from (``"keychain"``, ``"env"`` or
    ``"none"``), for labels that must not hold the key itself."""
    return get_key(provider_id, env_var, use_keychain)[1]


def set_key(provider_id: str, key: str) -> None:
    """Store ``key`` in the keychain, or raise :class:`KeychainUnavailable`; never writes a file."""
    cleaned = _clean(key)
    if not cleaned:
        raise ValueError("The API key is empty.")
    register_secret(cleaned)
    env_var = _standard_env_var(provider_id)
    backend, problem = _usable_backend()
    if backend is None:
        raise _unavailable(problem, provider_id, env_var)
    try:
        backend.set_password(SERVICE, provider_id, cleaned)
        stored = backend.get_password(SERVICE, provider_id)
    except Exception as exc:
        raise _unavailable(_describe_exception(exc), provider_id, env_var) from None
    if stored != cleaned:
        raise _unavailable("the keychain did not keep the key", provider_id, env_var)
    _log.info("Saved the %s key in the keychain.", provider_id)


def delete_key(provider_id: str) -> bool:
    """Remove the stored key; False when there was none (or no keychain to hold one)."""
    backend, _problem = _usable_backend()
    if backend is None:
        return False
    from keyring.errors import PasswordDeleteError

    try:
        if backend.get_password(SERVICE, provider_id) is None:
            return False
        backend.delete_password(SERVICE, provider_id)
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise _unavailable(_describe_exception(exc), provider_id,
                           _standard_env_var(provider_id)) from None
    _log.info("Deleted the %s key from the keychain.", provider_id)
    return True


def keychain_status(provider_id: Optional[str] = None) -> Tuple[bool, str]:
    """``(available, description)`` for the settings dialog.

    Probes the backend with a harmless read, so a missing daemon, a D-Bus failure or a locked
    collection shows up here rather than when the artist presses Save.
    """
    backend, problem = _usable_backend()
    if backend is not None:
        try:
            backend.get_password(SERVICE, "__probe__")
        except Exception as exc:
            backend, problem = None, _describe_exception(exc)
    if backend is None:
        return False, f"No keychain available: {problem}. {_env_advice(provider_id)}"
    return True, _backend_label(backend)


def _usable_backend() -> Tuple[Optional[Any], str]:
    """The active keyring backend, or None and the reason it cannot hold keys."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        return None, "the keyring package is not installed"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        return None, f"the keychain could not be set up ({_describe_exception(exc)})"
    if isinstance(backend, fail.Keyring):
        return None, _no_backend_reason()
    if isinstance(backend, null.Keyring):
        return None, "the keyring library is disabled (null backend)"
    if isinstance(backend, chainer.ChainerBackend):
        try:
            chained = list(backend.backends)
        except Exception as exc:
            return None, f"the keychain could not be set up ({_describe_exception(exc)})"
        if not chained:
            return None, _no_backend_reason()
    if "plaintext" in type(backend).__name__.lower():
        return None, "the configured keyring backend stores keys in a plain-text file"
    return backend, ""


def _no_backend_reason() -> str:
    if os.name == "posix" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no Secret Service on this system (no D-Bus session)"
    return "no Secret Service or other keychain was found on this system"


def _backend_label(backend: Any) -> str:
    module = type(backend).__module__
    if module.endswith("chainer"):
        chained = list(backend.backends)
        return _backend_label(chained[0]) if chained else "keychain"
    if module.endswith("SecretService"):
        daemon = _secret_service_daemon()
        return f"Secret Service ({daemon})" if daemon else "Secret Service"
    if module.endswith("macOS"):
        return "macOS Keychain"
    if module.endswith("Windows"):
        return "Windows Credential Manager"
    if module.endswith("kwallet"):
        return "KWallet"
    return str(getattr(backend, "name", type(backend).__name__))


def _secret_service_daemon() -> str:
    """The process that owns ``org.freedesktop.secrets`` (gnome-keyring, KeePassXC...), if known."""
    try:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        with open_dbus_connection(bus="SESSION") as conn:
            query = message_bus.GetConnectionUnixProcessID("org.freedesktop.secrets")
            pid = unwrap_msg(conn.send_and_get_reply(query, timeout=2.0))[0]
        with open(f"/proc/{int(pid)}/comm", encoding="utf-8") as handle:
            comm = handle.read().strip()
    except Exception:
        return ""
    for prefix, label in (("gnome-keyring", "gnome-keyring"), ("kwalletd", "KWallet"),
                          ("keepassxc", "KeePassXC")):
        if comm.lower().startswith(prefix):
            return label
    return comm


def _unavailable(problem: str, provider_id: str, env_var: Optional[str]) -> KeychainUnavailable:
    return KeychainUnavailable(
        f"Could not save the {_label(provider_id)} key: {problem}.",
        hint=_env_advice(provider_id),
        env_var=env_var,
    )


def _env_advice(provider_id: Optional[str]) -> str:
    env_var = _standard_env_var(provider_id) if provider_id else None
    if env_var:
        return f"Set {env_var} instead."
    if provider_id == "openai-compatible":
        return "Name an environment variable for the key in Settings (API key variable) instead."
    return "Set the provider's API key environment variable (e.g. OPENAI_API_KEY) instead."


def _standard_env_var(provider_id: str) -> Optional[str]:
    info = PROVIDERS.get(provider_id)
    return info.key_env if info else None


def _label(provider_id: str) -> str:
    info = PROVIDERS.get(provider_id)
    return info.label if info else provider_id


def _clean(value: Optional[str]) -> Optional[str]:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _describe_exception(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text[:300])
