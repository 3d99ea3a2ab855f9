"""Settings ▸ Endpoints as a user drives it, against a scripted server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fixtures import open_window
from tests.support.scripted_server import ScriptedServer
from workbench.app.context import AppContext
from workbench.core.endpoints import EndpointKind
from workbench.services.endpoints import EndpointRegistry
from workbench.ui.dialogs.endpoints import EndpointsDialog

SECRET = "sk-proj-Th1sKeyMustNeverLandOnDisk"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(models=("gpt-4o", "gpt-4o-mini"), api_key=SECRET) as running:
        yield running


def _dialog(ctx: AppContext, qtbot) -> EndpointsDialog:
    return open_window(ctx, qtbot).open_endpoints()


def _add_custom(dialog: EndpointsDialog, url: str, key: str = "") -> None:
    dialog.add_endpoint(EndpointKind.CUSTOM)
    dialog.name.setText("Scripted")
    dialog.base_url.setText(url)
    dialog.key.setText(key)


def _test(dialog: EndpointsDialog, qtbot):
    with qtbot.waitSignal(dialog.probe_finished, timeout=10_000) as done:
        dialog.test_button.click()
    return done.args[0]


def test_connection_ok_fills_models_and_saves_key_only_in_keyring(
    ctx: AppContext, qtbot, server: ScriptedServer, memory_keyring
) -> None:
    dialog = _dialog(ctx, qtbot)
    _add_custom(dialog, server.base_url, SECRET)
    result = _test(dialog, qtbot)
    assert result.ok
    assert dialog.result.text().startswith("✓ Connected")
    assert [dialog.model.itemText(i) for i in range(dialog.model.count())] == [
        "gpt-4o",
        "gpt-4o-mini",
    ]
    dialog.use_button.click()

    saved = EndpointRegistry(ctx.paths.endpoints)
    assert saved.active.name == "Scripted" and saved.active.base_url == server.base_url
    assert saved.active.default_model == "gpt-4o"
    assert SECRET in memory_keyring.secrets.values()
    assert dialog.key.text() == "" and "saved" in dialog.key.placeholderText()

    ctx.store.sessions.create("something to write")
    ctx.settings.sync()
    for path in ctx.paths.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the key leaked into {path}"


def test_wrong_key_is_reported_plainly(ctx: AppContext, qtbot, server: ScriptedServer) -> None:
    dialog = _dialog(ctx, qtbot)
    _add_custom(dialog, server.base_url, "sk-wrong")
    result = _test(dialog, qtbot)
    assert not result.ok
    assert dialog.result.text() == (
        "✗ The server refused the key (401). Check the key in the field above."
    )


def test_unreachable_endpoint_is_reported(ctx: AppContext, qtbot) -> None:
    dialog = _dialog(ctx, qtbot)
    _add_custom(dialog, "http://127.0.0.1:9/v1")
    _test(dialog, qtbot)
    assert "Could not connect to http://127.0.0.1:9/v1" in dialog.result.text()


def test_invalid_url_is_refused_and_what_was_typed_stays(ctx: AppContext, qtbot) -> None:
    dialog = _dialog(ctx, qtbot)
    _add_custom(dialog, "localhost:8080")
    assert not dialog.save_current()
    assert "http:// or https://" in dialog.error.text()
    assert dialog.base_url.text() == "localhost:8080"
    assert "localhost:8080" not in ctx.paths.endpoints.read_text()


def test_remove_endpoint_forgets_its_key(ctx: AppContext, qtbot, memory_keyring) -> None:
    dialog = _dialog(ctx, qtbot)
    _add_custom(dialog, "http://127.0.0.1:8000/v1", "sk-temp")
    assert dialog.save_current()
    assert "sk-temp" in memory_keyring.secrets.values()
    dialog.remove_current()
    assert memory_keyring.secrets == {}
    assert [e.name for e in EndpointRegistry(ctx.paths.endpoints).endpoints] == ["Local"]


def test_local_endpoint_cannot_be_removed_or_renamed(ctx: AppContext, qtbot) -> None:
    dialog = _dialog(ctx, qtbot)
    assert dialog.list.currentItem().text().startswith("Local")
    assert not dialog.remove_button.isEnabled()
    assert not dialog.name.isEnabled() and not dialog.key.isEnabled()


def test_ticking_continues_a_final_assistant_message_lets_the_chat_continue_there(
    ctx: AppContext, qtbot, server: ScriptedServer
) -> None:
    dialog = _dialog(ctx, qtbot)
    _add_custom(dialog, server.base_url)
    assert not dialog.continues.isChecked()  # an unknown server starts unticked
    dialog.continues.click()
    assert dialog.save_current()
    saved = EndpointRegistry(ctx.paths.endpoints).get(dialog._shown_id or "")
    assert saved is not None and saved.can_continue

    dialog.list.setCurrentRow(0)  # the built-in model: always continues, not editable
    assert dialog.continues.isChecked() and not dialog.continues.isEnabled()


def test_the_built_in_models_cpu_threads_are_set_in_the_dialog(ctx: AppContext, qtbot) -> None:
    from workbench.app.local_model import local_threads

    window = open_window(ctx, qtbot)
    dialog = window.open_endpoints()
    dialog.list.setCurrentRow(0)  # Local
    assert dialog.threads.isVisible() and dialog.threads.text() == "Automatic"
    dialog.threads.setValue(1)
    assert dialog.save_current()
    qtbot.waitUntil(lambda: ctx.local.threads == 1, timeout=5_000)  # the next start uses it
    assert local_threads(ctx.settings) == 1
    dialog.threads.setValue(0)  # back to Automatic
    assert dialog.save_current()
    qtbot.waitUntil(lambda: ctx.local.threads is None, timeout=5_000)
    assert local_threads(ctx.settings) is None

    dialog.add_endpoint(EndpointKind.CUSTOM)  # other endpoints have no such setting
    assert not dialog.threads.isVisible()
