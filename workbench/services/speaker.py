"""An answer read aloud: its words (not its markdown) sent to `/v1/audio/speech` on the
session's endpoint through the run pipeline (so it is stored, priced and in the inspector), and
the audio kept per answer, voice, speed and format, so reading it again costs nothing."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.runs import AudioReceived, RunKind, RunParams, RunRequest, RunStatus, TextPart
from workbench.core.speech import speakable, speech_model
from workbench.services.run_pipeline import NoMessageSink, RunOrigin
from workbench.services.run_service import RunService
from workbench.services.store import Store

MIMES = {"mp3": "audio/mpeg", "wav": "audio/wav", "opus": "audio/ogg", "flac": "audio/flac"}


@dataclass(frozen=True, slots=True)
class Voice:
    voice: str = "alloy"
    speed: float = 1.0
    format: str = "wav"  # played as PCM: no decoder between the answer and the speaker


@dataclass(frozen=True, slots=True)
class Spoken:
    audio: bytes
    format: str
    cached: bool  # played from the store: nothing was sent
    cut: bool  # the answer was longer than one request takes: its start is read


@dataclass(frozen=True, slots=True)
class Pcm:
    """WAV audio unpacked for a sound card: 16-bit samples and how to play them."""

    frames: bytes
    rate: int
    channels: int

    @property
    def seconds(self) -> float:
        return len(self.frames) / (2 * self.channels * self.rate) if self.rate else 0.0


def wav_pcm(audio: bytes) -> Pcm:
    """Raises ValueError for audio that is not 16-bit WAV. Cheap, but call it off the UI thread
    for a long answer."""
    import io
    import wave

    try:
        with wave.open(io.BytesIO(audio)) as wav:
            if wav.getsampwidth() != 2:
                raise ValueError("only 16-bit WAV is played")
            return Pcm(wav.readframes(wav.getnframes()), wav.getframerate(), wav.getnchannels())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not WAV audio: {exc}") from exc


class SpeechFailed(RuntimeError):
    """The server did not speak; the message is what the user reads."""


class Speaker:
    def __init__(self, store: Store, runs: RunService) -> None:
        self.store, self.runs = store, runs

    async def speak(
        self, session_id: int | None, message_id: int, text: str, endpoint_id: str, voice: Voice
    ) -> Spoken:
        endpoint = self.runs.endpoint(endpoint_id)
        model = speech_model(endpoint.kind)
        words, cut = speakable(text)
        if not words:
            raise SpeechFailed("This answer has no words to read.")
        key = (message_id, voice.voice, voice.speed, voice.format, model)
        cached = self.store.speech.get(key)
        if cached is not None:
            return Spoken(cached, voice.format, True, cut)
        options = {"voice": voice.voice, "response_format": voice.format}
        if voice.speed != 1.0:
            options["speed"] = voice.speed
        request = RunRequest(
            RunKind.SPEECH,
            endpoint.id,
            RunParams(model=model),
            inputs=(TextPart(words),),
            options=options,
        )
        heard: list[AudioReceived] = []
        run = self.runs.start(
            request,
            RunOrigin(session_id, None),
            lambda e: heard.append(e) if isinstance(e, AudioReceived) else None,
            sink=NoMessageSink(),
        )
        record = await self.runs.execute(run)
        if record.status is not RunStatus.COMPLETE or not heard:
            error = record.error
            said = f"{error.title} {error.detail}".strip() if error else "No audio came back."
            raise SpeechFailed(said)
        audio = heard[-1].data
        with self.store.failures():
            self.store.speech.put(key, audio, MIMES.get(voice.format, "audio/mpeg"))
        return Spoken(audio, voice.format, False, cut)
