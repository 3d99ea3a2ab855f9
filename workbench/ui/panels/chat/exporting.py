"""Export the open conversation path to Markdown or JSON (File ▸ Export Session…)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from workbench.core import export
from workbench.core.sessions import DEFAULT_SESSION_TITLE

if TYPE_CHECKING:
    from workbench.ui.panels.chat.panel import ChatPanel

# Characters no file system on the three platforms takes, and the ellipsis of a shortened title
# (a file called "Tell me about…md" looks broken in a file manager).
_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f…]')


def file_stem(title: str) -> str:
    """A file name for a session title: no path separators or ellipsis, no trailing dots."""
    stem = _UNSAFE.sub(" ", title)
    stem = " ".join(stem.split()).strip(" .")
    return stem[:80].rstrip(" .") or "session"


def export_dialog(panel: ChatPanel) -> None:
    if panel.session_id is None:
        panel.status_message.emit("Open a session to export it.")
        return
    summary = panel.deps.store.sessions.get(panel.session_id)
    path, _filter = QFileDialog.getSaveFileName(
        panel,
        "Export Session",
        str(Path.home() / f"{file_stem(summary.title if summary else '')}.md"),
        "Markdown (*.md);;JSON (*.json)",
    )
    if not path:
        return
    try:
        export_to(panel, Path(path))
    except OSError as exc:
        QMessageBox.warning(panel, "Export failed", f"Could not write {path}:\n{exc}")
    else:
        panel.status_message.emit(f"Exported to {path}")


def export_to(panel: ChatPanel, path: Path) -> None:
    if panel.session_id is None:
        raise ValueError("No session is open.")
    store = panel.deps.store
    summary = store.sessions.get(panel.session_id)
    title = summary.title if summary else DEFAULT_SESSION_TITLE
    prompt = panel.params.system_prompt.toPlainText()
    runs = {}
    for message in panel.path:
        if message.run_id is not None:
            record = store.runs.get(message.run_id)
            if record is not None:
                runs[message.run_id] = {
                    "model": record.model,
                    "endpoint": record.endpoint,
                    "usage": {
                        "prompt_tokens": record.usage.prompt_tokens,
                        "completion_tokens": record.usage.completion_tokens,
                    },
                }
    digests = [image.digest for message in panel.path for image in message.images]
    data = store.images.data_of(digests)
    if path.suffix.lower() == ".json":  # images inside, as data URLs
        text = export.to_json(title, prompt, panel.path, runs, image_data=data)
    else:  # images beside it, in <name>_images/
        names = export.image_file_names(path.stem, panel.path)
        for digest, name in names.items():
            if digest in data:
                (path.parent / name).parent.mkdir(exist_ok=True)
                (path.parent / name).write_bytes(data[digest])
        text = export.to_markdown(title, prompt, panel.path, runs, names)
    path.write_text(text, encoding="utf-8")
