"""Token counts come from tiktoken's real tokenizer, offline, and never block the calling thread."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
import tiktoken.registry

from workbench.services.tokens import (
    TOKENS_PER_MESSAGE,
    TOKENS_PER_REPLY,
    TokenCounter,
    cache_file_name,
)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """No cache variables, no encodings already loaded in-process, and any download fails."""
    attempts: list[str] = []

    def no_network(blobpath: str) -> bytes:
        attempts.append(blobpath)
        raise AssertionError(f"tiktoken tried to download {blobpath}")

    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    # tiktoken keeps encodings per process; start each test from nothing so setup is exercised.
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    yield attempts
    assert not attempts


@pytest.fixture
def counter(tmp_path: Path) -> TokenCounter:
    return TokenCounter(tmp_path / "cache")


def test_counts_match_the_real_openai_tokenizers(counter: TokenCounter) -> None:
    assert counter.count("gpt-4o", "hello world") == 2
    assert counter.count("gpt-4o-mini", "") == 0
    assert counter.encoding_for("gpt-4o").encode("hello world") == [24912, 2375]
    # gpt-4 uses cl100k_base, whose vocabulary is much poorer outside English than o200k_base.
    assert counter.count("gpt-4", "こんにちは世界") == 4
    assert counter.count("gpt-4o", "こんにちは世界") == 2
    assert counter.encoding_for("gpt-4").name == "cl100k_base"
    assert counter.encoding_for("gpt-4o").name == "o200k_base"


def test_unknown_and_prefixed_models_get_a_sensible_encoding(counter: TokenCounter) -> None:
    assert counter.encoding_for("smollm2-135m-instruct").name == "o200k_base"
    assert counter.encoding_for("openai/gpt-4").name == "cl100k_base"
    # gpt-oss and old completion models: built from the bundled files, never downloaded.
    assert counter.count("gpt-oss-20b", "hello world") == 2
    assert counter.encoding_for("text-davinci-003").name == "o200k_base"


def test_special_tokens_in_a_paste_are_counted_as_text(counter: TokenCounter) -> None:
    assert counter.count("gpt-4o", "<|endoftext|>") > 1


def test_cache_files_are_where_tiktoken_looks_and_work_without_us(
    counter: TokenCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter.count("gpt-4o", "x")
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    assert (counter.tiktoken_cache_dir / cache_file_name(url)).is_file()
    assert "TIKTOKEN_CACHE_DIR" not in os.environ  # left as it was

    # Plain tiktoken, pointed at the same folder, loads from it (and checks the hash) offline.
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(counter.tiktoken_cache_dir))
    assert len(tiktoken.encoding_for_model("gpt-4o").encode("hello world")) == 2


def test_a_damaged_cache_file_is_replaced_not_downloaded(tmp_path: Path) -> None:
    first = TokenCounter(tmp_path)
    first.count("gpt-4o", "x")
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    (first.tiktoken_cache_dir / cache_file_name(url)).write_bytes(b"garbage")

    tiktoken.registry.ENCODINGS.clear()
    assert TokenCounter(tmp_path).count("gpt-4o", "hello world") == 2


def test_count_messages_adds_the_chat_framing(counter: TokenCounter) -> None:
    messages = [("system", "You are helpful."), ("user", "hello world")]
    content = sum(
        counter.count("gpt-4o", role) + counter.count("gpt-4o", c) for role, c in messages
    )
    expected = content + len(messages) * TOKENS_PER_MESSAGE + TOKENS_PER_REPLY
    assert counter.count_messages("gpt-4o", messages) == expected == 17
    assert counter.count_messages("gpt-4o", []) == TOKENS_PER_REPLY


def test_count_async_counts_a_huge_paste_off_the_loop_thread(
    counter: TokenCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    paste = "The quick brown fox jumps over the lazy dog. " * (5 * 1024 * 1024 // 45)
    assert len(paste) > 5_000_000
    threads: list[threading.Thread] = []
    real_count = TokenCounter.count

    def spying_count(self: TokenCounter, model: str, text: str) -> int:
        threads.append(threading.current_thread())
        return real_count(self, model, text)

    monkeypatch.setattr(TokenCounter, "count", spying_count)

    async def scenario() -> tuple[int, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        beat = asyncio.create_task(ticker())
        # First use: unpacking the bundled files and loading the encoding happen here too.
        n = await asyncio.wait_for(counter.count_async("gpt-4o", paste), timeout=60)
        beat.cancel()
        return n, ticks

    count, ticks = asyncio.run(scenario())
    assert count == len(paste) // 45 * 10 + 1  # 10 tokens a sentence, one more for the join
    assert threads and threads[0] is not threading.main_thread()
    assert ticks > 1  # the loop kept running while the tokenizer worked


def test_ready_loads_in_the_background_and_many_threads_share_one_setup(
    counter: TokenCounter,
) -> None:
    asyncio.run(counter.ready("gpt-4o"))
    results: list[int] = []
    workers = [
        threading.Thread(target=lambda: results.append(counter.count("gpt-4", "hello world")))
        for _ in range(8)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [2] * 8
    assert len(list(counter.tiktoken_cache_dir.iterdir())) == 2  # no stray temp files


def test_an_empty_draft_or_session_is_counted_without_loading_an_encoding(
    counter: TokenCounter,
) -> None:
    # What the chat counts at start-up before anything is typed: no ~75 MB encoding for it.
    assert counter.count("gpt-4o", "") == 0
    assert counter.count_messages("gpt-4o", []) == TOKENS_PER_REPLY
    assert not counter.tiktoken_cache_dir.exists()
    assert tiktoken.registry.ENCODINGS == {}


def test_a_held_counter_answers_only_once_released(counter: TokenCounter) -> None:
    async def scenario() -> tuple[bool, int]:
        counter.hold()  # as the app does while its window paints its first frame
        counting = asyncio.create_task(counter.count_messages_async("gpt-4o", [("user", "hi")]))
        await asyncio.sleep(0.05)
        waited = not counting.done() and tiktoken.registry.ENCODINGS == {}
        counter.release()
        return waited, await asyncio.wait_for(counting, timeout=60)

    waited, count = asyncio.run(scenario())
    assert waited
    assert count == counter.count_messages("gpt-4o", [("user", "hi")]) > 3
