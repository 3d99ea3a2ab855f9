"""What a finished transcription looks like in each of OpenAI's response formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response

RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")

# Whisper's language codes and the names OpenAI reports in verbose_json ("english", not "en").
_NAMES = (
    "en english,zh chinese,de german,es spanish,ru russian,ko korean,fr french,ja japanese,"
    "pt portuguese,tr turkish,pl polish,ca catalan,nl dutch,ar arabic,sv swedish,it italian,"
    "id indonesian,hi hindi,fi finnish,vi vietnamese,he hebrew,uk ukrainian,el greek,ms malay,"
    "cs czech,ro romanian,da danish,hu hungarian,ta tamil,no norwegian,th thai,ur urdu,"
    "hr croatian,bg bulgarian,lt lithuanian,la latin,mi maori,ml malayalam,cy welsh,sk slovak,"
    "te telugu,fa persian,lv latvian,bn bengali,sr serbian,az azerbaijani,sl slovenian,"
    "kn kannada,et estonian,mk macedonian,br breton,eu basque,is icelandic,hy armenian,"
    "ne nepali,mn mongolian,bs bosnian,kk kazakh,sq albanian,sw swahili,gl galician,mr marathi,"
    "pa punjabi,si sinhala,km khmer,sn shona,yo yoruba,so somali,af afrikaans,oc occitan,"
    "ka georgian,be belarusian,tg tajik,sd sindhi,gu gujarati,am amharic,yi yiddish,lo lao,"
    "uz uzbek,fo faroese,ht haitian creole,ps pashto,tk turkmen,nn nynorsk,mt maltese,"
    "sa sanskrit,lb luxembourgish,my myanmar,bo tibetan,tl tagalog,mg malagasy,as assamese,"
    "tt tatar,haw hawaiian,ln lingala,ha hausa,ba bashkir,jw javanese,su sundanese,yue cantonese"
)
LANGUAGE_NAMES: dict[str, str] = {
    code: name for code, _, name in (entry.partition(" ") for entry in _NAMES.split(","))
}


@dataclass
class Transcript:
    """A finished transcription as plain Python values (no numpy scalars: they are not JSON)."""

    task: str  # "transcribe" or "translate"
    language: str  # a Whisper language code
    duration: float
    segments: list[dict[str, Any]] = field(default_factory=list)
    words: list[dict[str, Any]] | None = None  # only when word timestamps were asked for

    @property
    def text(self) -> str:
        return "".join(segment["text"] for segment in self.segments).strip()


def render(transcript: Transcript, response_format: str, *, with_segments: bool = True) -> Response:
    if response_format == "text":
        # OpenAI ends the plain-text body with a newline, as a text file would.
        return PlainTextResponse(transcript.text + "\n")
    if response_format == "srt":
        return PlainTextResponse(to_srt(transcript.segments))
    if response_format == "vtt":
        return PlainTextResponse(to_vtt(transcript.segments), media_type="text/vtt")
    usage = {"type": "duration", "seconds": round(transcript.duration, 3)}
    if response_format == "json":
        return JSONResponse({"text": transcript.text, "usage": usage})
    body: dict[str, Any] = {
        "task": transcript.task,
        "language": LANGUAGE_NAMES.get(transcript.language, transcript.language),
        "duration": round(transcript.duration, 3),
        "text": transcript.text,
    }
    if with_segments:
        body["segments"] = transcript.segments
    if transcript.words is not None:
        body["words"] = transcript.words
    body["usage"] = usage
    return JSONResponse(body)


def timestamp(seconds: float, decimal: str) -> str:
    """HH:MM:SS,mmm for SubRip (decimal ","), HH:MM:SS.mmm for WebVTT (decimal ".")."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def to_srt(segments: list[dict[str, Any]]) -> str:
    cues = [
        f"{n}\n{timestamp(s['start'], ',')} --> {timestamp(s['end'], ',')}\n{s['text'].strip()}\n"
        for n, s in enumerate(segments, start=1)
    ]
    return "\n".join(cues) + ("\n" if cues else "")


def to_vtt(segments: list[dict[str, Any]]) -> str:
    cues = [
        f"{timestamp(s['start'], '.')} --> {timestamp(s['end'], '.')}\n{s['text'].strip()}\n"
        for s in segments
    ]
    return "WEBVTT\n\n" + "\n".join(cues) + ("\n" if cues else "")
