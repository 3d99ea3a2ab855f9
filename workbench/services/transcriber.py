"""A file to text through the run pipeline: sent whole when it fits the API's upload limit, or
cut at its pauses and sent piece by piece, the pieces' timestamps shifted back into place.

Every piece is a run of its own (stored, priced, shown in the inspector); cancelling the task
stops the piece in flight and sends no more.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from workbench.core.runs import AudioPart, RunKind, RunParams, RunRecord, RunRequest, RunStatus
from workbench.core.transcripts import Transcript, TranscriptReceived, joined, rendered
from workbench.services.audio_files import API_LIMIT_BYTES, probe
from workbench.services.audio_split import split_file
from workbench.services.run_pipeline import NoMessageSink, RunOrigin
from workbench.services.run_service import RunService

DEFAULT_MODEL = "whisper-1"


@dataclass(frozen=True, slots=True)
class TranscriptionAsk:
    """What the user chose in the recorder."""

    translate: bool = False  # to English (audio.translations) instead of transcribing
    model: str = DEFAULT_MODEL
    language: str = ""  # ISO-639-1; ignored when translating
    prompt: str = ""
    temperature: float | None = None
    response_format: str = "verbose_json"


@dataclass(frozen=True, slots=True)
class TranscriptionResult:
    transcript: Transcript
    body: str  # the answer in the asked format: the server's own, or made from the pieces
    response_format: str
    pieces: int
    run_ids: tuple[int, ...]


class TranscriptionFailed(RuntimeError):
    """A run ended in an error; the message is what the user reads."""


Progress = Callable[[str], None]


class Transcriber:
    def __init__(self, runs: RunService, limit_bytes: int = API_LIMIT_BYTES) -> None:
        self.runs = runs
        self.limit_bytes = limit_bytes  # a parameter so tests can split small files

    async def transcribe(
        self,
        path: Path,
        ask: TranscriptionAsk,
        progress: Progress = lambda _text: None,
        session_id: int | None = None,
    ) -> TranscriptionResult:
        progress(f"Reading {path.name}…")
        info = await asyncio.to_thread(probe, path)  # NotAudio: nothing is sent
        if info.size_bytes <= self.limit_bytes:
            progress(f"Transcribing {path.name}…")
            data = await asyncio.to_thread(path.read_bytes)
            fmt = ask.response_format
            received, run_id = await self._send(data, info.format, path.name, ask, fmt, session_id)
            return TranscriptionResult(received.transcript, received.body, fmt, 1, (run_id,))
        progress(f"Cutting {path.name} at its pauses…")
        pieces = await asyncio.to_thread(split_file, path, self.limit_bytes)
        parts: list[tuple[float, Transcript]] = []
        run_ids: list[int] = []
        for number, piece in enumerate(pieces, start=1):
            progress(f"Transcribing piece {number} of {len(pieces)}…")
            name = f"{path.stem}-{number}.{piece.format}"
            # Pieces always come back timed, so they can be joined; the asked format is made here.
            received, run_id = await self._send(
                piece.data, piece.format, name, ask, "verbose_json", session_id
            )
            parts.append((piece.offset_s, received.transcript))
            run_ids.append(run_id)
        whole = joined(parts)
        return TranscriptionResult(
            whole,
            _body(whole, ask.response_format),
            ask.response_format,
            len(pieces),
            tuple(run_ids),
        )

    async def _send(
        self,
        data: bytes,
        fmt: str,
        name: str,
        ask: TranscriptionAsk,
        response_format: str,
        session_id: int | None,
    ) -> tuple[TranscriptReceived, int]:
        request = self.request(data, fmt, name, ask, response_format)
        answers: list[TranscriptReceived] = []

        def heard(event: object) -> None:
            if isinstance(event, TranscriptReceived):
                answers.append(event)

        run = self.runs.start(request, RunOrigin(session_id, None), heard, sink=NoMessageSink())
        record = await self.runs.execute(run)
        if record.status is not RunStatus.COMPLETE or not answers:
            raise TranscriptionFailed(failure_text(record))
        return answers[-1], record.run_id

    def request(
        self, data: bytes, fmt: str, name: str, ask: TranscriptionAsk, response_format: str
    ) -> RunRequest:
        endpoint = self.runs.endpoint(None)  # the active endpoint, as the chat uses
        options = {"response_format": response_format, "prompt": ask.prompt}
        if not ask.translate:
            options["language"] = ask.language
        return RunRequest(
            RunKind.TRANSLATION if ask.translate else RunKind.TRANSCRIPTION,
            endpoint.id,
            RunParams(model=ask.model or DEFAULT_MODEL, temperature=ask.temperature),
            inputs=(AudioPart(data, fmt, name),),
            options={k: v for k, v in options.items() if v},
        )


def failure_text(record: RunRecord) -> str:
    if record.error is None:
        return "The server sent no transcript."
    detail = f" {record.error.detail}" if record.error.detail else ""
    return f"{record.error.title}{detail}"


def _body(transcript: Transcript, response_format: str) -> str:
    if response_format == "verbose_json":
        return json.dumps(asdict(transcript), indent=2)
    return rendered(transcript, response_format)
