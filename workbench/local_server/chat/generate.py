"""The worker-thread side of a chat completion: n choices in turn, as events for the HTTP side."""

from __future__ import annotations

from dataclasses import dataclass, replace

from workbench.local_server.chat.request import ChatRequest
from workbench.local_server.chat.text import Piece, TextAssembler
from workbench.local_server.chat.tools import looks_like_call
from workbench.local_server.chat.worker import Job
from workbench.local_server.engine import ChatEngine, RunResult, Sampling, Step


@dataclass(frozen=True)
class PieceEvent:
    index: int
    piece: Piece


@dataclass(frozen=True)
class ToolModeEvent:
    """From here on, choice `index` is generating tool-call JSON, not content."""

    index: int


@dataclass(frozen=True)
class FinishEvent:
    index: int
    result: RunResult


class _Choice:
    def __init__(self, job: Job, index: int, stop: list[str], logprobs: bool) -> None:
        self.job, self.index, self.logprobs = job, index, logprobs
        self.assembler = TextAssembler(stop, logprobs)

    def restart_as_tool_call(self) -> None:
        self.assembler = TextAssembler([], self.logprobs)
        self.job.put(ToolModeEvent(self.index))

    def on_step(self, step: Step) -> bool:
        piece = self.assembler.feed(step)
        if piece is not None:
            self.job.put(PieceEvent(self.index, piece))
        return not self.assembler.stopped

    def finish(self, result: RunResult) -> None:
        piece = self.assembler.finish()
        if piece is not None:
            self.job.put(PieceEvent(self.index, piece))
        self.job.put(FinishEvent(self.index, result))


def sampling_for(request: ChatRequest, index: int) -> Sampling:
    seed = request.sampling.seed
    return replace(
        request.sampling,
        # Each choice gets its own seed, so n > 1 with a seed is varied and still reproducible.
        seed=None if seed is None else seed + index,
        top_logprobs=request.top_logprobs if request.logprobs else None,
        grammar=request.grammar,
        # A continued answer (a fork) resumes the response format's grammar after its prefix.
        grammar_prefix=(request.prefix or "") if request.grammar is not None else "",
    )


def generate(
    job: Job, engine: ChatEngine, request: ChatRequest, prompt: list[int], tool_grammar: str | None
) -> None:
    tools = request.tools
    for index in range(request.n):
        if job.cancel.is_set():
            return
        sampling = sampling_for(request, index)
        forced = tools is not None and tools.choice == "required"
        choice = _Choice(job, index, [] if forced else request.stop, request.logprobs)
        first_step = None
        if forced:
            job.put(ToolModeEvent(index))
            sampling = replace(sampling, grammar=tool_grammar, grammar_prefix="")
        elif tools is not None and tools.choice == "auto" and request.grammar is None:
            # The model's own first token decides between an answer and a tool call.
            def first_step(step: Step) -> bool:
                return not looks_like_call(step.piece)

        result = engine.run(prompt, sampling, job.cancel, choice.on_step, first_step)
        if result.finish_reason == "switch":
            choice.restart_as_tool_call()
            sampling = replace(sampling, grammar=tool_grammar, grammar_prefix="")
            result = engine.run(prompt, sampling, job.cancel, choice.on_step)
        if result.finish_reason == "cancelled":
            return
        choice.finish(result)
