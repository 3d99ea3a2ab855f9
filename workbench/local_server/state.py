"""What the server holds for its lifetime: the token, the loaded models, the one-at-a-time lock."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.local_server.threads import ThreadChoice, choose_threads


@dataclass
class ServerState:
    token: str
    chat_model_path: Path
    chat_model_id: str
    whisper_model_path: Path | None
    threads: ThreadChoice = field(default_factory=choose_threads)
    context_size: int = 4096
    chat_engine: Any = None  # engine.ChatEngine, loaded before READY
    whisper: Any = None  # loaded on the first transcription: most sessions never need it
    started: int = field(default_factory=lambda: int(time.time()))  # models' `created`
    embedder: Any = None  # a second llama.cpp context with pooling, loaded on first use
    # llama.cpp contexts are not re-entrant: requests take turns, the HTTP loop stays free.
    model_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    audio_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
