"""Where the user writes: Ctrl+Enter sends, Esc stops, Up edits the last message."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.panels.chat.attachments import AttachmentStrip
from workbench.ui.tasks import BackgroundTasks
from workbench.ui.theme import ErrorLabel

COUNT_DELAY_MS = 250  # count tokens once typing pauses, not on every key


class _Editor(QPlainTextEdit):
    send = Signal()
    stop = Signal()
    edit_last = Signal()
    files_given = Signal(list)  # [Path]: files dropped or pasted, taken as images
    image_pasted = Signal(QImage)
    image_dropped = Signal(bytes)  # PNG bytes

    # Images and files dropped or pasted go to the attachments, never in as text.
    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return (
            source.hasImage()
            or source.hasFormat("image/png")
            or bool(_local_files(source))
            or super().canInsertFromMimeData(source)
        )

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = _local_files(source)
        if files:
            self.files_given.emit(files)
        elif source.hasFormat("image/png"):  # an image dragged from the gallery
            self.image_dropped.emit(bytes(source.data("image/png")))
        elif source.hasImage():
            image = source.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.image_pasted.emit(image)
        else:
            super().insertFromMimeData(source)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if (
            key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and mods & Qt.KeyboardModifier.ControlModifier
        ):
            self.send.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.stop.emit()
            return
        if key == Qt.Key.Key_Up and not mods and self.textCursor().position() == 0:
            self.edit_last.emit()
            return
        super().keyPressEvent(event)


def _local_files(source: QMimeData) -> list[Path]:
    if not source.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in source.urls() if u.isLocalFile()]


class Composer(QWidget):
    send_requested = Signal(str)
    stop_requested = Signal()
    edit_last_requested = Signal()
    edit_cancelled = Signal()
    text_changed = Signal(str)  # after typing pauses; the panel counts its tokens

    def __init__(self, parent: QWidget | None = None, tasks: BackgroundTasks | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 8)
        layout.setSpacing(4)
        self.banner = QLabel(self, objectName="edit_banner", wordWrap=True)
        self.banner.hide()
        layout.addWidget(self.banner)
        # Why the last send did not go out, beside the draft it kept.
        self.problem = ErrorLabel(self, objectName="composer_problem", wordWrap=True)
        self.problem.hide()
        layout.addWidget(self.problem)
        self.editor = _Editor(self, objectName="composer")
        self.editor.setPlaceholderText(
            "Write a message…  Ctrl+Enter sends · Esc stops · Up edits your last message"
        )
        self.editor.setTabChangesFocus(True)
        self.editor.setFixedHeight(96)
        self.attachments = AttachmentStrip(tasks, self)
        self.attachments.problem.connect(self.show_problem)
        self.attachments.changed.connect(lambda: self.show_problem(""))
        self.editor.files_given.connect(self.attachments.add_files)
        self.editor.image_pasted.connect(self.attachments.add_qimage)
        self.editor.image_dropped.connect(self.attachments.add_bytes)
        layout.addWidget(self.attachments)
        layout.addWidget(self.editor)
        row = QHBoxLayout()
        self.tokens = QLabel("0 tokens", self, objectName="token_count")
        row.addWidget(self.tokens)
        self.context = QProgressBar(self, objectName="context_meter")
        self.context.setMaximumWidth(220)
        self.context.setMinimumWidth(40)
        self.context.setMaximumHeight(14)
        self.context.setTextVisible(False)
        row.addWidget(self.context)
        self.context_label = QLabel(self, objectName="context_label")
        # It may be cut in a narrow chat (its words are in the meter's tooltip too): as wide as
        # its text, it kept the chat 150 px wider than it needs, squeezing the docks beside it.
        self.context_label.setMinimumWidth(1)
        row.addWidget(self.context_label)
        row.addStretch(1)
        # "+" (named in its tooltip): a word here would widen the chat's narrowest size.
        self.attach_button = QToolButton(self, objectName="attach_image", text="+")
        self.attach_button.setToolTip(
            "Add images… (or drop them on the message, or paste one with Ctrl+V)"
        )
        self.attach_button.setAccessibleName("Add images")
        self.attach_button.clicked.connect(self._pick_images)
        row.addWidget(self.attach_button)
        self.stop_button = QPushButton("Stop", self, objectName="stop")
        self.stop_button.setToolTip("Stop the answer, keeping what arrived (Esc)")
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        row.addWidget(self.stop_button)
        self.send_button = QPushButton("Send", self, objectName="send")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send)
        row.addWidget(self.send_button)
        layout.addLayout(row)
        self.editor.send.connect(self._send)
        self.editor.stop.connect(self._escape)
        self.editor.edit_last.connect(self.edit_last_requested)
        self._count_timer = QTimer(self, singleShot=True, interval=COUNT_DELAY_MS)
        self._count_timer.timeout.connect(lambda: self.text_changed.emit(self.text()))
        self.editor.textChanged.connect(self._count_timer.start)
        self.editing_id: int | None = None
        self.read_only_reason = ""

    def set_read_only(self, reason: str) -> None:
        """Nothing can be saved (another Workbench owns the data folder): say so up front."""
        self.read_only_reason = reason
        self.banner.setText(reason)
        self.banner.setVisible(bool(reason))
        self.send_button.setEnabled(not reason)
        self.send_button.setToolTip(reason or "Send (Ctrl+Enter)")

    def hideEvent(self, event) -> None:
        self._count_timer.stop()  # a closing window has no count to show
        super().hideEvent(event)

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        self.editor.setPlainText(text)
        cursor = self.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def begin_edit(self, message_id: int, text: str) -> None:
        self.editing_id = message_id
        self.banner.setText("Editing a message: Ctrl+Enter sends it as a new branch, Esc cancels.")
        self.banner.show()
        self.set_text(text)

    def end_edit(self) -> None:
        self.editing_id = None
        self.banner.setText(self.read_only_reason)
        self.banner.setVisible(bool(self.read_only_reason))

    def show_problem(self, text: str) -> None:
        """Say why the draft was not sent; an empty `text` clears it."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.stop_button.setVisible(busy)

    def show_tokens(self, tokens: int, used: int, window: int | None) -> None:
        self.tokens.setText(f"{tokens:,} token" + ("" if tokens == 1 else "s"))
        if window:
            self.context.setRange(0, window)
            self.context.setValue(min(used, window))
            self.context.setToolTip(f"{used:,} of {window:,} tokens of context in use")
            self.context_label.setText(f"{used / window:.0%} of {window // 1000}k context")
            self.context_label.setToolTip(self.context.toolTip())
            self.context.show()
        else:
            self.context.hide()
            self.context_label.setText("context unknown")
            self.context_label.setToolTip("The model's context window is not known yet.")

    def _send(self) -> None:
        text = self.text()
        refused = self.attachments.refusal()
        if self.read_only_reason:
            self.show_problem(f"Not sent: {self.read_only_reason}")
        elif refused:  # the reason is already said in red under the images
            self.show_problem("Not sent." if self.attachments.refused.isVisible() else refused)
        elif text.strip() or self.attachments.images():
            self.send_requested.emit(text)

    def clear_draft(self) -> None:
        """Sent: the text and the images go."""
        self.editor.clear()
        self.attachments.clear()

    def _pick_images(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(
            self,
            "Add images",
            str(Path.home()),
            "Images (*.png *.jpg *.jpeg *.webp *.gif);;All files (*)",
        )
        if names:
            self.attachments.add_files([Path(n) for n in names])

    def _escape(self) -> None:
        if self.editing_id is not None:
            self.end_edit()
            self.editor.clear()
            self.edit_cancelled.emit()
        else:
            self.stop_requested.emit()
