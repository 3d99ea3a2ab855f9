"""Request inspector: what the selected answer's run sent and got back, and the same request
as code to run elsewhere (the key stays in an environment variable)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.core.endpoints import EndpointKind
from workbench.core.pricing import Price
from workbench.core.request_code import LOCAL_HAND_URL, curl_code, python_code
from workbench.core.runs import RunRecord
from workbench.services.store import Store
from workbench.ui.bus import Bus
from workbench.ui.panel_contract import Panel

NO_RUN = "Click an answer in the chat to inspect the request that produced it."
_INTERESTING = ("x-request-id", "openai-processing-ms", "openai-model", "retry-after")


def _code_view(parent: QWidget, name: str) -> QPlainTextEdit:
    view = QPlainTextEdit(parent, objectName=name)
    view.setReadOnly(True)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view


class InspectorPanel(Panel):
    def __init__(self, store: Store, bus: Bus, base_url_for: Callable[[RunRecord], str]) -> None:
        super().__init__()
        self.setObjectName("panel.inspector")
        self._store, self._base_url_for = store, base_url_for
        self.record: RunRecord | None = None
        self.hint = QLabel(NO_RUN, self, objectName="inspector.hint")
        self.hint.setWordWrap(True)
        self.tabs = QTabWidget(self, objectName="inspector.tabs")
        self.overview = QTextBrowser(self, objectName="inspector.overview")
        self.request = _code_view(self, "inspector.request")
        self.python = _code_view(self, "inspector.python")
        self.curl = _code_view(self, "inspector.curl")
        for widget, title in (
            (self.overview, "Response"),
            (self.request, "Request"),
            (self.python, "Python"),
            (self.curl, "curl"),
        ):
            self.tabs.addTab(widget, title)
        self.copy_button = QPushButton("Copy", self, objectName="inspector.copy")
        self.copy_button.setToolTip("Copy this tab (the key is never in it)")
        self.copy_button.clicked.connect(self.copy_current)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.hint)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(row)
        self._set_shown(False)
        bus.answer_selected.connect(self.show_answer)  # the chat also sends it when an answer ends
        bus.run_selected.connect(self.show_run)
        if bus.state.answer_id is not None:  # selected before this panel was built
            self.show_answer(bus.state.answer_id)
        elif bus.state.run_id is not None:
            self.show_run(bus.state.run_id)

    def _set_shown(self, shown: bool) -> None:
        self.hint.setVisible(not shown)
        self.tabs.setVisible(shown)
        self.copy_button.setVisible(shown)

    def show_answer(self, message_id: int | None) -> None:
        message = self._store.conversation.get(message_id) if message_id is not None else None
        if message is not None and message.run_id is not None:
            self.show_run(message.run_id)
        elif message is None:  # the chat shows no answer now: nothing stale stays
            self.record = None
            self._set_shown(False)

    def show_run(self, run_id: int) -> None:
        record = self._store.runs.get(run_id)
        if record is None:
            return
        self.record = record
        exchange = self._store.runs.exchange(record.run_id)
        request = exchange["request"] or {}
        self.request.setPlainText(json.dumps(request, indent=2, ensure_ascii=False))
        base_url = self._base_url_for(record)
        # The built-in server's port and token change each launch: code for a hand-started one.
        local = record.endpoint_kind == EndpointKind.LOCAL or base_url == LOCAL_HAND_URL
        self.python.setPlainText(python_code(base_url, request, kind=record.kind, local=local))
        self.curl.setPlainText(curl_code(base_url, request, kind=record.kind, local=local))
        self.overview.setHtml(_overview_html(record, exchange))
        self._set_shown(True)

    def copy_current(self) -> None:
        widget = self.tabs.currentWidget()
        text = widget.toPlainText() if hasattr(widget, "toPlainText") else ""
        QApplication.clipboard().setText(text)
        self.status_message.emit(f"{self.tabs.tabText(self.tabs.currentIndex())} copied.")


def _overview_html(record: RunRecord, exchange: dict) -> str:
    t, u = record.timings, record.usage
    rows = [
        ("Endpoint · model", f"{record.endpoint} · {record.model}"),
        (
            "Status",
            f"{record.status}" + (f" ({record.finish_reason})" if record.finish_reason else ""),
        ),
        ("Request id", record.request_id or "—"),
        ("Time to first token", f"{t.first_token_s * 1000:.0f} ms" if t.first_token_s else "—"),
        ("Total time", f"{t.total_s:.2f} s" if t.total_s is not None else "—"),
        ("Tokens/s", f"{t.tokens_per_s:.1f}" if t.tokens_per_s else "—"),
        (
            "Tokens",
            f"{u.prompt_tokens} in ({u.cached_tokens} cached) · {u.completion_tokens} out "
            f"({u.reasoning_tokens} reasoning)",
        ),
        ("Cost", Price(record.cost_usd, record.price_status).label),
    ]
    headers = exchange.get("headers") or {}
    limits = dict(record.rate_limits)
    limits.update({k: v for k, v in headers.items() if k.lower() in _INTERESTING})
    rows += [(name, value) for name, value in sorted(limits.items())]
    retries = exchange.get("retries") or []
    for retry in retries:
        rows.append(
            (f"Retry {retry['attempt']}", f"{retry['reason']}, waited {retry['wait_s']:.2f} s")
        )
    if not retries:
        rows.append(("Retries", "none"))
    table = "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    error = exchange.get("error")
    error_html = (
        "<h4>Error</h4><pre>" + html.escape(json.dumps(error, indent=2)) + "</pre>" if error else ""
    )
    return f'<table cellspacing="0" cellpadding="3">{table}</table>{error_html}'
