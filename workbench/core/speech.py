"""Reading an answer aloud: which model speaks on which endpoint, the voices, and the text the
voice reads (the answer's markdown without its marks and code, which no one wants read out)."""

from __future__ import annotations

import re

VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer")
SPEEDS = (0.75, 1.0, 1.25, 1.5)
MAX_CHARACTERS = 4096  # what /v1/audio/speech takes in one request
LOCAL_SPEECH_MODEL = "espeak-ng"  # the built-in server's eSpeak NG voice
OPENAI_SPEECH_MODEL = "gpt-4o-mini-tts"

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKS = re.compile(r"(\*\*|__|\*|_|`|~~)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s{0,3}(#{1,6}|>+|[-*+]|\d+[.)])\s+", re.MULTILINE)
_RULE = re.compile(r"^\s*([-*_]\s*){3,}$", re.MULTILINE)
REFUSAL_MARK = "**Refused:** "


def speech_model(endpoint_kind: str) -> str:
    return LOCAL_SPEECH_MODEL if str(endpoint_kind) == "local" else OPENAI_SPEECH_MODEL


def speakable(markdown: str) -> tuple[str, bool]:
    """The text to read, and whether it was cut to fit one request."""
    text = markdown.removeprefix(REFUSAL_MARK)
    text = _FENCE.sub(" (code) ", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    for _ in range(2):  # nested emphasis: **_word_**
        text = _MARKS.sub(r"\2", text)
    text = _RULE.sub("", text)
    text = _HEADING.sub("", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) <= MAX_CHARACTERS:
        return text, False
    cut = text[:MAX_CHARACTERS]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return (cut[: end + 1] if end > MAX_CHARACTERS // 2 else cut).strip(), True
