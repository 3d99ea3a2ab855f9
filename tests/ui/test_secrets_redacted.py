"""A server that echoes the key (or a secret header) back leaves no trace of it on disk or screen;
the Endpoints dialog shows secret headers masked and keeps them when the mask is left alone."""

from __future__ import annotations

from pathlib import Path

from tests.support.driving import inspector_text, open_inspector, type_and_send
from tests.support.fixtures import SCRIPTED_KEY, open_window
from tests.support.scripted_server import Fault, Stream

HEADER_SECRET = "hdr-secret-value-0123456789"


def _on_disk(database: Path) -> bytes:
    files = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_an_echoed_key_is_neither_stored_nor_shown(ctx, server, scripted_chat, qtbot) -> None:
    chat = scripted_chat()
    endpoint = ctx.endpoints.active
    ctx.endpoints.upsert(endpoint.with_changes(headers=(("X-Gateway-Token", HEADER_SECRET),)))
    inspector = open_inspector(ctx, qtbot)
    echo = f"Incorrect API key provided: {SCRIPTED_KEY} (with {HEADER_SECRET})"
    server.script(
        "chat",
        Fault(401, message=echo, headers={"x-echo": f"Bearer {SCRIPTED_KEY}"}),
        Stream(text="Fine.", headers={"x-echo": f"Bearer {SCRIPTED_KEY} {HEADER_SECRET}"}),
    )
    failed = type_and_send(qtbot, chat, "Who am I?")
    assert failed.error is not None and "REDACTED" in failed.error.detail
    ctx.bus.answer_selected.emit(chat.path[-1].id)
    assert "REDACTED" in inspector.overview.toPlainText()
    shown = inspector_text(inspector)
    type_and_send(qtbot, chat, "And now?")
    shown += inspector_text(inspector)
    assert SCRIPTED_KEY not in shown and HEADER_SECRET not in shown
    exchange = ctx.store.runs.exchange(chat.path[-1].run_id)
    assert "REDACTED" in exchange["headers"]["x-echo"]
    raw = _on_disk(ctx.store.path)
    assert SCRIPTED_KEY.encode() not in raw and HEADER_SECRET.encode() not in raw


def test_the_dialog_masks_secret_headers_and_keeps_them_unless_retyped(
    ctx, server, scripted_chat, qtbot
) -> None:
    scripted_chat()
    endpoint = ctx.endpoints.active.with_changes(
        headers=(("X-Api-Key", HEADER_SECRET), ("X-Team", "lab"))
    )
    ctx.endpoints.upsert(endpoint)
    window = open_window(ctx, qtbot)
    dialog = window.open_endpoints()
    shown = dialog.headers.toPlainText()
    assert HEADER_SECRET not in shown and "X-Api-Key:" in shown and "X-Team: lab" in shown
    dialog.name.setText("Renamed")
    assert dialog.save_current()
    assert ctx.endpoints.get(endpoint.id).headers == endpoint.headers
    dialog.headers.setPlainText("X-Api-Key: new-secret-0123456789\nX-Team: lab")
    assert dialog.save_current()
    assert ctx.endpoints.get(endpoint.id).headers[0] == ("X-Api-Key", "new-secret-0123456789")
    assert "new-secret-0123456789" not in dialog.headers.toPlainText()
