"""One adapter per kind of request: the wire body is built here, next to its SDK call.

A new kind of request is its adapter module, its panel, and one line in `ADAPTERS`.
"""

from __future__ import annotations

from workbench.core.runs import RunKind
from workbench.services.adapters.base import Emit, RunAdapter
from workbench.services.adapters.chat_completion import ChatCompletion
from workbench.services.adapters.images import ImageRequest
from workbench.services.adapters.speech import Speech
from workbench.services.adapters.transcription import Transcription

ADAPTERS: dict[RunKind, RunAdapter] = {
    RunKind.CHAT_COMPLETION: ChatCompletion(),
    RunKind.TRANSCRIPTION: Transcription(RunKind.TRANSCRIPTION),
    RunKind.TRANSLATION: Transcription(RunKind.TRANSLATION),
    RunKind.SPEECH: Speech(),
    RunKind.IMAGE_GENERATION: ImageRequest(RunKind.IMAGE_GENERATION),
    RunKind.IMAGE_EDIT: ImageRequest(RunKind.IMAGE_EDIT),
    RunKind.IMAGE_VARIATION: ImageRequest(RunKind.IMAGE_VARIATION),
}


class UnsupportedKind(LookupError):
    pass


def adapter_for(kind: RunKind) -> RunAdapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise UnsupportedKind(f"Workbench cannot send {kind} requests yet.") from None


__all__ = ["ADAPTERS", "Emit", "RunAdapter", "UnsupportedKind", "adapter_for"]
