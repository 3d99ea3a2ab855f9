"""Run blocking generation in a worker thread, under the model lock, feeding an asyncio queue.

The worker thread, not the request's task, releases the lock: a client that disconnects gets its
task cancelled at once, but llama.cpp must not be touched by the next request until the thread
has really left its token loop (it checks `cancel` before every token).

Every generation runs on one long-lived thread. llama.cpp's OpenMP workers belong to the thread
that calls into it, so a new thread per request paid for a new pool of them on its first decode:
about 8 ms more time to first token with 2 threads (`python -m bench.local_server --threads 2`).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

_END = object()


class Job:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.cancel = threading.Event()
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    def put(self, event: Any) -> None:
        """From the worker thread: hand one event to the request's task."""
        with contextlib.suppress(RuntimeError):  # the loop is gone: the server is stopping
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    async def events(self) -> AsyncIterator[Any]:
        while True:
            event = await self._queue.get()
            if event is _END:
                return
            if isinstance(event, BaseException):
                raise event
            yield event


class _ModelThread:
    """One daemon thread that runs the jobs handed to it, in turn (the model lock already makes
    them take turns; a daemon never holds up the server's exit)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    def submit(self, run: Callable[[], None]) -> None:
        with self._guard:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="chat-generation", daemon=True
                )
                self._thread.start()
        self._jobs.put(run)

    def _serve(self) -> None:
        while True:
            self._jobs.get()()  # `run` below catches everything itself


_model_thread = _ModelThread()


async def start(lock: asyncio.Lock, work: Callable[[Job], None]) -> Job:
    """Wait for the model, then run `work(job)` in a thread; its events arrive on job.events()."""
    loop = asyncio.get_running_loop()
    await lock.acquire()
    job = Job(loop)

    def run() -> None:
        try:
            work(job)
        except Exception as exc:
            job.put(exc)
        finally:
            job.put(_END)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lock.release)

    try:
        _model_thread.submit(run)
    except BaseException:
        lock.release()
        raise
    return job
