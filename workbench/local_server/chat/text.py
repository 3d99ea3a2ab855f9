"""Turn sampled tokens into text pieces: UTF-8 across token boundaries, stop sequences, logprobs.

Pure: no model, no I/O. Each token keeps its logprob entry, and text is released in whole tokens
so a streamed delta and its logprobs always describe the same tokens. The `token` strings of the
entries join to exactly the released text: a token holding the first bytes of a multi-byte
character gets "" and the token completing it gets the character (its `bytes` stay the real ones).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

from workbench.local_server.engine import Step


def piece_text(piece: bytes) -> str:
    """A lone token's text; bytes that are not valid UTF-8 on their own are shown escaped."""
    try:
        return piece.decode("utf-8")
    except UnicodeDecodeError:
        return piece.decode("utf-8", errors="backslashreplace")


def logprob_entry(text: str, step: Step) -> dict[str, Any]:
    top = [
        {"token": piece_text(piece), "logprob": logprob, "bytes": list(piece)}
        for piece, logprob in step.top or []
    ]
    return {"token": text, "logprob": step.logprob, "bytes": list(step.piece), "top_logprobs": top}


@dataclass
class Piece:
    """Text ready to send, with the logprob entries of the tokens it came from."""

    text: str = ""
    logprobs: list[dict[str, Any]] = field(default_factory=list)


class TextAssembler:
    def __init__(self, stop: list[str], logprobs: bool) -> None:
        self.stop = [s for s in stop if s]
        self.logprobs = logprobs
        self.stopped = False  # a stop sequence was found; nothing after it is released
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = ""  # everything decoded so far
        self._released = 0  # how much of _text went out
        self._pending: list[tuple[str, Step]] = []  # tokens not yet released

    def feed(self, step: Step) -> Piece | None:
        """Add one token; return what can be sent now (None: nothing yet)."""
        text = self._decoder.decode(step.piece)
        self._text += text
        self._pending.append((text, step))
        cut = self._find_stop()
        if cut is not None:
            self.stopped = True
            return self._release(cut)
        return self._release(len(self._text) - self._stop_prefix_length())

    def finish(self) -> Piece | None:
        """Release everything held back (generation ended without a stop sequence)."""
        if self.stopped:
            return None
        tail = self._decoder.decode(b"", final=True)
        if tail and self._pending:
            text, step = self._pending[-1]
            self._pending[-1] = (text + tail, step)
            self._text += tail
        return self._release(len(self._text), final=True)

    @property
    def text(self) -> str:
        return self._text[: self._released]

    def _find_stop(self) -> int | None:
        if not self.stop:
            return None
        longest = max(len(s) for s in self.stop)
        start = max(0, self._released - longest + 1)
        hits = [i for i in (self._text.find(s, start) for s in self.stop) if i >= 0]
        return min(hits) if hits else None

    def _stop_prefix_length(self) -> int:
        """Length of the longest end of the text that could still grow into a stop sequence."""
        best = 0
        for stop in self.stop:
            for n in range(min(len(stop) - 1, len(self._text)), best, -1):
                if self._text.endswith(stop[:n]):
                    best = n
                    break
        return best

    def _release(self, upto: int, final: bool = False) -> Piece | None:
        """Send the pending tokens that end by `upto`. After a stop sequence, the tokens that
        start before it (the last one cut short); otherwise whole tokens only, holding a run of
        empty ones (an unfinished character) until a token with text follows."""
        count, position = 0, self._released
        for i, (text, _step) in enumerate(self._pending):
            if self.stopped:
                if position >= upto:
                    break
                count = i + 1
            else:
                if position + len(text) > upto:
                    break
                if text or final:
                    count = i + 1
            position += len(text)
        piece, position = Piece(), self._released
        for text, step in self._pending[:count]:
            cut = self.stopped and position + len(text) > upto
            if cut:
                text = text[: upto - position]
            position += len(text)
            piece.text += text
            if self.logprobs:
                entry = logprob_entry(text, step)
                if cut:
                    entry["bytes"] = list(text.encode("utf-8"))
                piece.logprobs.append(entry)
        del self._pending[:count]
        if self.stopped:
            self._pending.clear()
        self._released = position
        return piece if piece.text or piece.logprobs else None
