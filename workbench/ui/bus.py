"""App-wide announcements. Panels receive the bus in their constructor and never import each other.

It lives in `ui` rather than `app` so panels can name its type without breaking the layer rule.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Bus(QObject):
    session_opened = Signal(int)  # session id
    message_requested = Signal(int, int)  # session id, message id: open it there (search hits)
    session_renamed = Signal(int, str)
    session_deleted = Signal(int)
    sessions_changed = Signal()
    endpoints_changed = Signal()
    active_endpoint_changed = Signal(str)  # endpoint id
    run_finished = Signal(object)  # the finished run's record
    answer_selected = Signal(int)  # message id of the answer the user is looking at
    run_selected = Signal(int)  # run id of an answer that is not a chat message (a compare column)
    fork_requested = Signal(int, str)  # answer message id, the prefix to continue as a branch
    logprobs_wanted = Signal(bool)  # a panel showing logprobs opened (True) or closed
