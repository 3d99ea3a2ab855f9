"""Each endpoint has its own timeout: set in Settings ▸ Endpoints, kept in endpoints.json, and the
one its client waits for."""

from __future__ import annotations

from pathlib import Path

from tests.support.fixtures import open_window
from workbench.app.context import AppContext
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.services.clients import make_client
from workbench.services.endpoints import EndpointRegistry


def test_a_new_endpoint_waits_sixty_seconds_and_its_timeout_is_saved(tmp_path: Path) -> None:
    endpoint = new_endpoint(EndpointKind.CUSTOM, "Slow").with_changes(
        base_url="http://127.0.0.1:8080/v1"
    )
    assert endpoint.timeout_s == 60.0
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    registry.upsert(endpoint.with_changes(timeout_s=7.5))
    again = EndpointRegistry(tmp_path / "endpoints.json")
    assert again.get(endpoint.id).timeout_s == 7.5
    client = make_client(again.get(endpoint.id), "k")
    assert client.timeout == 7.5


def test_the_timeout_is_edited_in_the_endpoints_dialog(ctx: AppContext, qtbot) -> None:
    dialog = open_window(ctx, qtbot).open_endpoints()
    dialog.add_endpoint(EndpointKind.CUSTOM)
    dialog.name.setText("Slow one")
    dialog.base_url.setText("http://127.0.0.1:8080/v1")
    dialog.timeout.setValue(12)
    assert dialog.save_current()
    saved = EndpointRegistry(ctx.paths.endpoints)
    assert next(e for e in saved.endpoints if e.name == "Slow one").timeout_s == 12
