"""Plain words: no error kind id, command-line flag or internal setting name reaches the GUI.
The rewrites are tested on every hint the core can give, and the widgets are audited as
they show real failures."""

from __future__ import annotations

import re
from typing import Any, Iterable, List

import pytest

from nuke_ai_panel.config import load_config
from nuke_ai_panel.errors import ProviderError
from nuke_ai_panel.outcome import decide
from nuke_ai_panel.provider_info import PROVIDER_IDS
from nuke_ai_panel.providers import make_provider
from nuke_ai_panel.settings import ProviderSettings
from src.ui.plain_words import KIND_WORDS, for_gui, kind_words, names_settings
from tests.ui.panel_helpers import CONTRACT_KINDS

INTERNAL = re.compile(
    r"--[a-z]|\b(%s)\b|^(%s):|allow_code_execution|history_enabled|\bbase_url\b|api_key_env"
    % ("|".join(k for k in CONTRACT_KINDS if "_" in k), "|".join(CONTRACT_KINDS)))


def leaks(texts: Iterable[str]) -> List[str]:
    return [t for t in texts if t and INTERNAL.search(t)]


def core_hints() -> List[str]:
    hints = []
    for pid in PROVIDER_IDS:
        provider = make_provider(ProviderSettings(pid, "http://127.0.0.1:9/v1", model="m"))
        for kind in CONTRACT_KINDS:
            hints.append(provider.hint(kind, "m", 400))
        hints.append(provider.key_hint())
    return hints


def resolve_messages() -> List[str]:
    config = load_config()
    out = []
    for pid in PROVIDER_IDS:
        try:
            config.resolve(pid)
        except ProviderError as exc:
            out += [exc.message, exc.hint]
    return out


def test_every_kind_has_plain_words() -> None:
    assert set(KIND_WORDS) == set(CONTRACT_KINDS)
    assert not leaks(KIND_WORDS.values())
    assert kind_words("first_token_timeout") == "no answer in time"
    assert kind_words("something_new") == "something new"


def test_core_hints_and_config_errors_lose_their_flags_and_names() -> None:
    texts = core_hints() + resolve_messages() + [decide.__doc__ or ""]
    assert leaks(texts), "the core does speak to the command line"
    assert not leaks(for_gui(t) for t in core_hints() + resolve_messages())
    assert not leaks(for_gui(t, inside_settings=True) for t in core_hints() + resolve_messages())


@pytest.mark.parametrize("text, gui, settings", [
    ("Enter the server's URL in Settings (for example http://localhost:1234/v1), or pass "
     "--base-url.", "Enter the server's URL in Settings (for example http://localhost:1234/v1).",
     "Enter the server's URL above (for example http://localhost:1234/v1)."),
    ("Add the key in Settings, or set OPENAI_API_KEY.", "Add the key in Settings, or set "
     "OPENAI_API_KEY.", "Add the key above, or set OPENAI_API_KEY."),
    ("Check the server's API key in Settings (or the variable named with --api-key-env); "
     "local servers usually need none.", "Check the server's API key in Settings; local "
     "servers usually need none.", "Check the server's API key above; local servers usually "
     "need none."),
    ("config: No API key for OpenAI.", "No API key for OpenAI.", "No API key for OpenAI."),
    ("providers.ollama.idle_timeout must be a number of seconds greater than 0",
     "Idle deadline must be a number of seconds greater than 0",
     "Idle deadline must be a number of seconds greater than 0"),
    ("Running code is turned off in the settings (allow_code_execution).",
     "Running code is turned off in Settings (\u201cLet the assistant's code run in "
     "Nuke\u201d).", "Running code is turned off above (\u201cLet the assistant's code run "
     "in Nuke\u201d)."),
    ("history_enabled must be true or false", "Save conversations on this computer must be "
     "true or false", "Save conversations on this computer must be true or false"),
])
def test_rewrites(text: str, gui: str, settings: str) -> None:
    assert for_gui(text) == gui
    assert for_gui(text, inside_settings=True) == settings


def test_settings_says_not_set_up_only_for_what_config_calls_so() -> None:
    from nuke_ai_panel.config import NotSetUp
    from src.ui.provider_widgets import UNSET, describe_failure

    config = load_config()
    with pytest.raises(NotSetUp) as missing:
        config.resolve("openai")
    text, state = describe_failure(missing.value.kind, missing.value.message,
                                   missing.value.hint, isinstance(missing.value, NotSetUp))
    assert state == UNSET and text == ("Not set up: No API key for OpenAI. \u2014 Add the key "
                                       "above, or set OPENAI_API_KEY.")
    with pytest.raises(ProviderError) as wrong:
        config.resolve("openai-compatible", base_url="http://127.0.0.1:1/v1",
                       api_key_env="NO_SUCH_KEY_VARIABLE")
    assert not isinstance(wrong.value, NotSetUp)
    assert describe_failure(wrong.value.kind, wrong.value.message, wrong.value.hint)[1] == \
        "error", "a key variable named but empty is a mistake, not a missing setup"
    assert names_settings("", "Check the key in Settings.") and not names_settings("x", "")


# -- the widgets, audited --------------------------------------------------------------------

pytest.importorskip("Qt", reason="needs a Qt binding (PySide6 or PySide2)")

from Qt import QtCore, QtWidgets  # noqa: E402

from tests.ui.panel_helpers import WAIT_MS, closed_port_url, write_config  # noqa: E402


def shown_texts(widget: Any) -> List[str]:
    texts = [w.text() for w in widget.findChildren(QtWidgets.QLabel)]
    texts += [w.text() for w in widget.findChildren(QtWidgets.QAbstractButton)]
    texts += [w.toolTip() for w in widget.findChildren(QtWidgets.QWidget)]
    texts += [w.placeholderText() for w in widget.findChildren(QtWidgets.QLineEdit)]
    texts += [w.itemText(i) for w in widget.findChildren(QtWidgets.QComboBox)
              for i in range(w.count())]
    if hasattr(widget, "status_text"):
        texts += [widget.status_text(), widget.transcript.toPlainText()]
    return texts


@pytest.mark.qt
@pytest.mark.parametrize("model", ["http-500", "stall-headers", "http-404"])
def test_the_panel_shows_failures_in_plain_words(make_panel: Any, qtbot: Any,
                                                 ollama_server: Any, model: str) -> None:
    write_config("ollama", ollama_server.base_url, max_retries=0, first_token_timeout=0.5)
    panel = make_panel()
    panel.set_model(model)
    panel.prompt.setPlainText("hello")
    assert panel.send()
    qtbot.waitUntil(lambda: not panel.streaming, timeout=WAIT_MS)
    assert panel.errors.isVisible()
    assert not leaks(shown_texts(panel)), leaks(shown_texts(panel))


@pytest.mark.qt
def test_a_provider_that_is_not_set_up_reads_plainly_with_the_button(make_panel: Any) -> None:
    write_config("openai-compatible", "")
    panel = make_panel()
    assert panel.errors.isVisible() and panel.errors.settings_button.isVisible()
    assert panel.errors.message == "No base URL is set for OpenAI-compatible server."
    assert panel.status_text() == "OpenAI-compatible server is not set up"
    assert not leaks(shown_texts(panel))


@pytest.mark.qt
def test_the_settings_dialog_speaks_plainly(qtbot: Any) -> None:
    from src.ui.settings_dialog import SettingsDialog
    from tests.ui.conftest_settings import only_enabled, write_user_config

    write_user_config(only_enabled("ollama", "openai-compatible", "openai",
                                   ollama=closed_port_url()))
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.testAllButton.click()
    qtbot.waitUntil(lambda: "failed" in dialog.testAllSummary.text(), timeout=WAIT_MS)
    assert dialog.testAllSummary.text() == "0 ok, 1 failed, 2 not set up"
    dialog.findChild(QtWidgets.QLineEdit, "baseUrlEdit_openai").setText("not a url")
    dialog.save()
    texts = shown_texts(dialog)
    assert not leaks(texts), leaks(texts)
    assert not [t for t in texts if "in Settings" in t], "the dialog never says 'in Settings'"
    dialog.discard()


@pytest.mark.qt
def test_every_bar_that_names_settings_has_the_button(make_panel: Any, qtbot: Any,
                                                      ollama_server: Any) -> None:
    from src.ui.settings_dialog import SettingsDialog

    write_config("ollama", ollama_server.base_url)
    panel = make_panel()
    qtbot.waitUntil(lambda: not panel.picker.jobs, timeout=WAIT_MS)
    panel.show_error("rate_limit", "Too many requests.", "Wait a minute.")
    assert not panel.errors.settings_button.isVisible()
    panel.show_error("rate_limit", "Too many requests.", "Raise the retries in Settings.")
    assert panel.errors.settings_button.isVisible()
    panel.notices.add("History could not be saved.")
    assert not panel.notices.settings_button.isVisible()
    panel.notices.add("Your key was refused: check it in Settings.")
    assert panel.notices.settings_button.isVisible()
    qtbot.mouseClick(panel.notices.settings_button, QtCore.Qt.LeftButton)
    dialogs = panel.findChildren(SettingsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].discard()
