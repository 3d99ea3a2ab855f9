"""Run blocking generation in a worker thread, under the model lock, feeding an asyncio queue.

The worker thread, not the request's task, releases the lock: a client that disconnects gets its
task cancelled at once, but llama.cpp must not be touched by the next request until the thread
has really left its token loop (it checks `cancel` before every token).
"""

from __future__ import annotations

import asyncio
import contextlib
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
        threading.Thread(target=run, name="chat-generation", daemon=True).start()
    except BaseException:
        lock.release()
        raise
    return job
