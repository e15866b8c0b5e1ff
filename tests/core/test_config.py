"""Config layers, studio locks, env base URLs, bad files and resolve() errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nuke_ai_panel import config as config_mod
from nuke_ai_panel.config import SettingError, load_config, save_config
from nuke_ai_panel.errors import CONFIG, ProviderError
from nuke_ai_panel.provider_info import PROVIDER_IDS, PROVIDERS


def _write_user(home: Path, data) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


@pytest.fixture
def studio(tmp_path, monkeypatch):
    """Write a studio file and point NUKE_AI_PANEL_STUDIO_CONFIG at it."""
    path = tmp_path / "studio" / "nuke_ai_panel_studio.json"
    path.parent.mkdir()
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(path))

    def write(data) -> Path:
        path.write_text(json.dumps(data) if not isinstance(data, str) else data,
                        encoding="utf-8")
        return path

    return write


def _resolve_error(cfg, *args, **kwargs) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        cfg.resolve(*args, **kwargs)
    assert info.value.kind == CONFIG
    return info.value


# -- defaults and the user's file ---------------------------------------------------------------


def test_defaults_come_from_the_provider_table():
    cfg = load_config()
    assert cfg.warnings == []
    for pid, info in PROVIDERS.items():
        p = cfg.provider(pid)
        assert p.base_url == info.default_base_url and p.model == info.default_model
        assert p.deadlines == info.deadlines and p.max_retries == 2 and p.enabled
    assert cfg.provider("ollama").first_token_timeout == 300.0
    assert cfg.default_provider == "ollama"
    assert cfg.allow_code_execution is True and cfg.history_enabled is True
    assert [p["name"] for p in cfg.system_prompts] == ["Nuke compositor"]
    assert cfg.selected_prompt == "Nuke compositor"
    assert "Nuke compositor and pipeline TD" in cfg.system_prompt()
    assert not cfg.is_locked("allow_code_execution") and cfg.lock_note == ""
    assert cfg.allowed_providers == PROVIDER_IDS


def test_user_values_override_and_save_round_trips(_isolated_user):
    _write_user(_isolated_user, {
        "version": 1,
        "default_provider": "anthropic",
        "allow_code_execution": False,
        "system_prompts": [{"name": "Terse", "text": "Be terse."},
                           {"name": "Nuke compositor", "text": "Custom."}],
        "selected_prompt": "Terse",
        "providers": {"ollama": {"base_url": "http://gpu-box:11434/", "idle_timeout": 90},
                      "openai-compatible": {"base_url": "http://localhost:1234/v1",
                                            "api_key_env": "LMSTUDIO_KEY", "max_retries": 0}},
    })
    cfg = load_config()
    assert cfg.warnings == []
    assert cfg.default_provider == "anthropic" and not cfg.allow_code_execution
    assert cfg.system_prompt() == "Be terse."
    assert cfg.provider("ollama").base_url == "http://gpu-box:11434"
    assert cfg.provider("ollama").idle_timeout == 90.0
    assert cfg.provider("openai-compatible").api_key_env == "LMSTUDIO_KEY"
    assert cfg.source("providers.ollama.idle_timeout") == "user"
    assert cfg.source("providers.ollama.connect_timeout") == "default"

    cfg.set("providers.openai.model", "gpt-4o")
    cfg.set("providers.ollama.idle_timeout", 60)  # equal to the default: the override goes
    path = save_config(cfg)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["providers"]["openai"] == {"model": "gpt-4o"}
    assert saved["providers"]["ollama"] == {"base_url": "http://gpu-box:11434"}
    assert "connect_timeout" not in json.dumps(saved), "defaults are not written"
    again = load_config()
    assert again.warnings == [] and again.provider("openai").model == "gpt-4o"


def test_corrupt_user_config_is_set_aside(_isolated_user):
    _write_user(_isolated_user, '{"default_provider": "openai",')
    cfg = load_config()
    assert cfg.default_provider == "ollama"
    (warning,) = cfg.warnings
    assert "not valid JSON" in warning and "moved aside" in warning
    (aside,) = [p.name for p in _isolated_user.iterdir() if ".corrupt-" in p.name]
    assert aside in warning and not (_isolated_user / "config.json").exists()
    save_config(cfg)
    assert load_config().warnings == []


def test_bad_values_are_replaced_by_defaults(_isolated_user):
    _write_user(_isolated_user, {
        "default_provider": "skynet",
        "allow_code_execution": "yes",
        "history_enabled": 0,
        "system_prompts": [{"text": "no name"}],
        "colour": "blue",
        "providers": {
            "openai": {"connect_timeout": -1, "first_token_timeout": "soon",
                       "base_url": "ftp://api.openai.com/v1", "max_retries": 99, "enabled": "no",
                       "temperature": 2},
            "nope": {"model": "x"},
            "ollama": [],
            "anthropic": {"idle_timeout": float("inf")},
        },
    })
    cfg = load_config()
    text = "\n".join(cfg.warnings)
    for fragment in ("default_provider must be one of", "allow_code_execution must be true",
                     "history_enabled must be true", "system_prompts must be a list",
                     "unknown setting 'colour'", "connect_timeout must be a number",
                     "first_token_timeout must be a number", "must start with http",
                     "max_retries must be a whole number", "providers.openai.enabled",
                     "'providers.openai.temperature'", "unknown provider 'nope'",
                     "providers.ollama must be an object",
                     "providers.anthropic.idle_timeout must be"):
        assert fragment in text, fragment
    defaults = load_config(user_path=Path("/nonexistent/config.json"))
    assert cfg.provider("openai") == defaults.provider("openai")
    assert cfg.provider("anthropic") == defaults.provider("anthropic")
    assert cfg.default_provider == "ollama" and cfg.allow_code_execution


def test_keys_in_config_files_are_ignored_and_dropped(_isolated_user, canary):
    _write_user(_isolated_user, {"providers": {"openai": {"api_key": canary.key,
                                                          "model": "gpt-4o"}}})
    cfg = load_config()
    assert any("API keys are never read from config files" in w for w in cfg.warnings)
    with pytest.raises(ProviderError) as info:
        cfg.resolve("openai")
    save_config(cfg)
    assert json.loads((_isolated_user / "config.json").read_text()) == {
        "version": 1, "providers": {"openai": {"model": "gpt-4o"}}}
    canary.assert_not_leaked(str(info.value), info.value.hint, *cfg.warnings)


def test_set_rejects_bad_values_and_unknown_paths():
    cfg = load_config()
    with pytest.raises(SettingError, match="number of seconds"):
        cfg.set("providers.openai.idle_timeout", 0)
    with pytest.raises(SettingError, match="not a known setting"):
        cfg.set("providers.openai.api_key_env", "X")
    with pytest.raises(SettingError, match="http"):
        cfg.set("providers.ollama.base_url", "ftp://localhost:11434")
    cfg.set("providers.ollama.base_url", "http://a:1")
    cfg.set("providers.ollama.base_url", "")
    assert cfg.provider("ollama").base_url == "http://localhost:11434"


# -- the studio file ----------------------------------------------------------------------------


def test_studio_defaults_locks_and_allowed_providers(_isolated_user, studio, monkeypatch):
    studio({
        "version": 1,
        "lock_note": "Managed by Pipeline: ask in #pipeline.",
        "allowed_providers": ["ollama", "openai-compatible", "openai"],
        "defaults": {
            "default_provider": "openai-compatible",
            "allow_code_execution": False,
            "providers": {
                "ollama": {"base_url": "http://render-gpu01:11434", "model": "qwen2.5-coder"},
                "openai-compatible": {"base_url": "https://llm.studio.example/v1"},
            },
        },
        "locked": ["allow_code_execution", "providers.*.base_url"],
    })
    _write_user(_isolated_user, {
        "allow_code_execution": True,
        "default_provider": "gemini",
        "providers": {"ollama": {"base_url": "http://my-laptop:11434", "model": "llama3.2"},
                      "openai": {"base_url": "https://my-proxy.example/v1"}},
    })
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:11434")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://elsewhere.example/v1")
    cfg = load_config()

    assert cfg.allow_code_execution is False and cfg.is_locked("allow_code_execution")
    assert cfg.provider("ollama").base_url == "http://render-gpu01:11434"
    assert cfg.provider("openai").base_url == "https://api.openai.com/v1"
    assert cfg.source("providers.ollama.base_url") == "locked"
    assert cfg.provider("ollama").model == "llama3.2", "unlocked: the user's choice wins"
    assert cfg.lock_note == "Managed by Pipeline: ask in #pipeline."
    assert any("OLLAMA_HOST is set but the studio locked" in w for w in cfg.warnings)
    assert any("OPENAI_BASE_URL is set but the studio locked" in w for w in cfg.warnings)

    assert cfg.allowed_providers == ("ollama", "openai", "openai-compatible")
    assert [p.id for p in cfg.providers()] == ["ollama", "openai", "openai-compatible"]
    assert cfg.default_provider == "ollama", "gemini is not allowed: first allowed one"

    with pytest.raises(SettingError, match="Pipeline"):
        cfg.set("allow_code_execution", True)
    err = _resolve_error(cfg, "gemini")
    assert "not allowed" in err.message and "ollama" in err.hint
    err = _resolve_error(cfg, "ollama", base_url="http://other:11434")
    assert "locked" in err.message and "Pipeline" in err.hint
    assert cfg.resolve("ollama", base_url="http://render-gpu01:11434/").base_url == (
        "http://render-gpu01:11434")

    save_config(cfg)
    saved = json.loads((_isolated_user / "config.json").read_text())
    assert "allow_code_execution" not in saved
    assert "base_url" not in json.dumps(saved), "locked values are not saved"
    assert saved["providers"]["ollama"] == {"model": "llama3.2"}


def test_lock_without_studio_value_locks_the_builtin_default(_isolated_user, studio):
    studio({"locked": ["providers.openai"]})
    _write_user(_isolated_user, {"providers": {"openai": {"model": "gpt-4o"}}})
    cfg = load_config()
    assert cfg.provider("openai").model == PROVIDERS["openai"].default_model
    assert cfg.is_locked("providers.openai.idle_timeout")
    assert not cfg.is_locked("providers.openai-compatible.model")
    assert cfg.lock_note == config_mod.DEFAULT_LOCK_NOTE
    err = _resolve_error(cfg, "openai", model="gpt-4o", api_key="sk-test-unused-key")
    assert "locked" in err.message


@pytest.mark.parametrize("content", ['{"locked": [', "[1]", b"\xff\xfe"])
def test_corrupt_studio_file_is_ignored_not_moved(studio, content):
    path = studio("")
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    cfg = load_config()
    assert path.exists() and path.read_bytes() == (
        content if isinstance(content, bytes) else content.encode()), "a shared file stays put"
    assert any(str(path) in w and "ignored" in w for w in cfg.warnings)
    assert cfg.allow_code_execution is False and cfg.is_locked("allow_code_execution")
    assert cfg.resolve("ollama").base_url == "http://localhost:11434"


def test_missing_studio_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(tmp_path / "unmounted" / "s.json"))
    cfg = load_config()
    assert any("was not found" in w for w in cfg.warnings)
    assert cfg.allow_code_execution is False


def test_bad_studio_entries_are_warned(studio):
    studio({"locked": ["providers.*.colour", 3, "history_enabled"],
            "allowed_providers": ["skynet"], "lock_note": 5, "extra": 1,
            "defaults": {"providers": {"ollama": {"idle_timeout": -5}}}})
    cfg = load_config()
    text = "\n".join(cfg.warnings)
    for fragment in ("'providers.*.colour' matches no setting", "3 is not a setting path",
                     "'skynet' is not a known provider", "names no known provider",
                     "'lock_note' must be text", "unknown key 'extra'",
                     "providers.ollama.idle_timeout must be"):
        assert fragment in text, fragment
    assert cfg.is_locked("history_enabled") and cfg.allowed_providers == PROVIDER_IDS


# -- environment variables ----------------------------------------------------------------------


@pytest.mark.parametrize("value, url", [
    ("0.0.0.0:11434", "http://127.0.0.1:11434"),
    ("0.0.0.0", "http://127.0.0.1:11434"),
    ("gpu-box", "http://gpu-box:11434"),
    ("gpu-box:8080", "http://gpu-box:8080"),
    (":9999", "http://127.0.0.1:9999"),
    ("http://gpu-box", "http://gpu-box"),
    ("https://ollama.example:443/", "https://ollama.example:443"),
    ("http://0.0.0.0:11434", "http://127.0.0.1:11434"),
    ("[::1]:11434", "http://[::1]:11434"),
    ("::", "http://[::1]:11434"),
    ("https://proxy.example/ollama/", "https://proxy.example/ollama"),
])
def test_ollama_host_forms(monkeypatch, value, url):
    monkeypatch.setenv("OLLAMA_HOST", value)
    cfg = load_config()
    assert cfg.warnings == []
    assert cfg.provider("ollama").base_url == url
    assert cfg.source("providers.ollama.base_url") == "env"
    assert cfg.env_var_for("providers.ollama.base_url") == "OLLAMA_HOST"
    assert cfg.resolve("ollama").base_url == url


@pytest.mark.parametrize("value", ["gpu-box:port", "ftp://gpu-box", "a b:1"])
def test_unusable_ollama_host_is_warned_and_ignored(monkeypatch, value):
    monkeypatch.setenv("OLLAMA_HOST", value)
    cfg = load_config()
    assert any("OLLAMA_HOST" in w for w in cfg.warnings)
    assert cfg.provider("ollama").base_url == "http://localhost:11434"


def test_env_base_urls_beat_the_user_file(_isolated_user, monkeypatch):
    _write_user(_isolated_user, {"providers": {"openai": {"base_url": "https://a.example/v1"}}})
    monkeypatch.setenv("OPENAI_BASE_URL", "https://gateway.example/v1/")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://claude-proxy.example")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-env-openai-123456")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-env-123456")
    cfg = load_config()
    assert cfg.resolve("openai").base_url == "https://gateway.example/v1"
    assert cfg.resolve("anthropic").base_url == "https://claude-proxy.example"
    assert cfg.resolve("openrouter", api_key="sk-or-test-123456").base_url == (
        "https://openrouter.ai/api/v1")
    save_config(cfg)
    assert "gateway" not in (_isolated_user / "config.json").read_text()


def test_malformed_env_base_url_is_a_config_error(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "ftp://api.openai.com/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-env-openai-123456")
    cfg = load_config()
    assert any("OPENAI_BASE_URL" in w for w in cfg.warnings)
    err = _resolve_error(cfg, "openai")
    assert "OPENAI_BASE_URL" in err.message and "http" in err.message


# -- resolve() ----------------------------------------------------------------------------------


def test_resolve_unknown_provider_lists_the_known_ones():
    err = _resolve_error(load_config(), "chatgpt")
    assert "chatgpt" in err.message
    assert all(pid in err.hint for pid in PROVIDER_IDS)


def test_resolve_openai_compatible_needs_a_base_url():
    cfg = load_config()
    err = _resolve_error(cfg, "openai-compatible")
    assert "No base URL" in err.message and "--base-url" in err.hint
    settings = cfg.resolve("openai-compatible", base_url="http://localhost:1234/v1/",
                           model="qwen")
    assert settings.base_url == "http://localhost:1234/v1" and settings.api_key is None
    assert settings.model == "qwen"


@pytest.mark.parametrize("url", ["localhost:port", "ftp://host/v1", "http://", "http://a b"])
def test_resolve_rejects_malformed_base_urls(url):
    err = _resolve_error(load_config(), "ollama", base_url=url)
    assert "not usable" in err.message


BASE_URL_FORMS = [
    # (provider, as written, as used): no scheme is http://, the way OLLAMA_HOST is read
    ("openai-compatible", "localhost:1234/v1", "http://localhost:1234/v1"),
    ("openai-compatible", "gateway.studio:8443/v1/", "http://gateway.studio:8443/v1"),
    ("openai-compatible", "0.0.0.0:8000/v1", "http://127.0.0.1:8000/v1"),
    ("openai-compatible", "[::1]:8000", "http://[::1]:8000"),
    ("openai-compatible", "HTTPS://gateway.studio/v1", "https://gateway.studio/v1"),
    ("openai", "proxy.studio/v1", "http://proxy.studio/v1"),
    ("ollama", "gpu-box", "http://gpu-box:11434"),
    # the provider's own public API keeps its https, so a key never travels in the clear
    ("openai", "api.openai.com/v1", "https://api.openai.com/v1"),
    ("anthropic", "api.anthropic.com", "https://api.anthropic.com"),
    ("openai-compatible", "api.openai.com/v1", "http://api.openai.com/v1"),
]


@pytest.mark.parametrize("provider, written, url", BASE_URL_FORMS)
def test_a_base_url_without_a_scheme_is_read_the_same_everywhere(
        _isolated_user, monkeypatch, provider, written, url):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-env-openai-123456")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-env-123456")
    _write_user(_isolated_user, {"providers": {provider: {"base_url": written}}})
    from_file = load_config()
    assert from_file.warnings == []
    assert from_file.provider(provider).base_url == url
    assert from_file.resolve(provider).base_url == url
    typed = load_config(user_path=Path("/nonexistent/config.json"))
    typed.set(f"providers.{provider}.base_url", written)
    assert typed.provider(provider).base_url == url
    assert load_config().resolve(provider, base_url=written).base_url == url
    variable = PROVIDERS[provider].base_url_env
    if variable:
        monkeypatch.setenv(variable, written)
        from_env = load_config()
        assert from_env.warnings == [] and from_env.resolve(provider).base_url == url


def test_a_key_is_needed_only_on_the_providers_public_api(monkeypatch):
    cfg = load_config()
    for pid in ("openai", "anthropic", "openrouter", "gemini", "mistral"):
        assert isinstance(_resolve_error(cfg, pid), config_mod.NotSetUp)
        official = PROVIDERS[pid].default_base_url.upper() + "/"  # still the public API
        assert isinstance(_resolve_error(cfg, pid, base_url=official), config_mod.NotSetUp)
        settings = cfg.resolve(pid, base_url="http://127.0.0.1:8080/v1")
        assert settings.api_key is None and settings.base_url == "http://127.0.0.1:8080/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "https://llm-proxy.studio.example/v1")
    assert load_config().resolve("openai").api_key is None


def test_not_set_up_is_told_apart_from_a_wrong_setting(_isolated_user, studio, monkeypatch):
    cfg = load_config()
    assert isinstance(_resolve_error(cfg, "openai-compatible"), config_mod.NotSetUp)
    assert isinstance(_resolve_error(cfg, "gemini"), config_mod.NotSetUp)
    wrong = [_resolve_error(cfg, "ollama", base_url="ftp://gpu-box"),
             _resolve_error(cfg, "openai-compatible", base_url="http://vllm:8000/v1",
                            api_key_env="UNSET_STUDIO_KEY")]
    studio({"version": 1, "allowed_providers": ["ollama"]})
    wrong.append(_resolve_error(load_config(), "gemini"))
    assert not any(isinstance(e, config_mod.NotSetUp) for e in wrong)


def test_resolve_missing_key_hint():
    cfg = load_config()
    for pid in ("openai", "anthropic", "openrouter", "gemini", "mistral"):
        err = _resolve_error(cfg, pid)
        env = PROVIDERS[pid].key_env
        assert err.hint == f"Add the key in Settings, or set {env}."


def test_resolve_applies_overrides_and_ignores_enabled(_isolated_user, canary, monkeypatch):
    _write_user(_isolated_user, {"providers": {"openai": {"enabled": False, "max_retries": 4,
                                                          "request_timeout": 12}}})
    monkeypatch.setenv("OPENAI_API_KEY", canary.key)
    cfg = load_config()
    assert [p.id for p in cfg.providers(enabled_only=True)].count("openai") == 0
    settings = cfg.resolve("openai", model="gpt-4o", connect_timeout=3, first_token_timeout=7.5,
                           idle_timeout=9)
    assert settings.api_key == canary.key and settings.model == "gpt-4o"
    assert (settings.deadlines.connect, settings.deadlines.first_token,
            settings.deadlines.idle, settings.deadlines.request) == (3, 7.5, 9, 12)
    assert settings.retry.max_retries == 4
    assert canary.key not in repr(settings)
    err = _resolve_error(cfg, "openai", idle_timeout=-1)
    assert "idle timeout" in err.message
    canary.assert_not_leaked(repr(settings), str(err), err.hint)


def test_resolve_openai_compatible_key_env(_isolated_user, canary, monkeypatch):
    _write_user(_isolated_user, {"providers": {"openai-compatible": {
        "base_url": "http://vllm:8000/v1", "api_key_env": "STUDIO_LLM_KEY"}}})
    cfg = load_config()
    err = _resolve_error(cfg, "openai-compatible")
    assert "STUDIO_LLM_KEY is not set" in err.message
    monkeypatch.setenv("STUDIO_LLM_KEY", canary.key)
    assert cfg.resolve("openai-compatible").api_key == canary.key
    monkeypatch.setenv("OTHER_VAR", canary.key + "-2")
    assert cfg.resolve("openai-compatible", api_key_env="OTHER_VAR").api_key == (
        canary.key + "-2")
    bad = _resolve_error(cfg, "openai-compatible", api_key_env="not a name")
    canary.assert_not_leaked(str(err), err.hint, str(bad), bad.hint)


def test_resolve_request_deadline_and_retries_overrides(_isolated_user, monkeypatch):
    _write_user(_isolated_user, {"providers": {"ollama": {"max_retries": 4}}})
    cfg = load_config()
    settings = cfg.resolve("ollama", request_timeout=2.5, max_retries=0)
    assert settings.deadlines.request == 2.5 and settings.retry.max_retries == 0
    assert cfg.resolve("ollama").retry.max_retries == 4
    err = _resolve_error(cfg, "ollama", max_retries=11)
    assert "max retries" in err.message


def test_resolve_refuses_to_override_what_the_studio_locked(_isolated_user, tmp_path,
                                                            monkeypatch):
    studio = tmp_path / "studio.json"
    studio.write_text(json.dumps({"defaults": {"providers": {"ollama": {"max_retries": 1}}},
                                  "locked": ["providers.ollama.max_retries"]}),
                      encoding="utf-8")
    monkeypatch.setenv("NUKE_AI_PANEL_STUDIO_CONFIG", str(studio))
    cfg = load_config()
    assert cfg.resolve("ollama", max_retries=1).retry.max_retries == 1
    err = _resolve_error(cfg, "ollama", max_retries=3)
    assert "locked" in err.message


@pytest.mark.keychain
def test_resolve_without_the_keychain_falls_back_to_the_env_var(secret_service, canary,
                                                                 monkeypatch):
    from nuke_ai_panel.secrets import SOURCE_ENV, SOURCE_KEYCHAIN, key_source, set_key

    set_key("openai", canary.key)
    cfg = load_config()
    assert cfg.resolve("openai").api_key == canary.key
    assert key_source("openai") == SOURCE_KEYCHAIN
    err = _resolve_error(cfg, "openai", use_keychain=False)
    assert err.message == "No API key for OpenAI."
    monkeypatch.setenv("OPENAI_API_KEY", canary.key + "-env")
    assert cfg.resolve("openai", use_keychain=False).api_key == canary.key + "-env"
    assert key_source("openai", use_keychain=False) == SOURCE_ENV
    assert cfg.resolve("openai", api_key="typed-key-0123456789",
                       use_keychain=False).api_key == "typed-key-0123456789"
