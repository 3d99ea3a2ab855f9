"""One llama.cpp model and a token loop that computes logprobs only where a token is sampled.

llama-cpp-python's own logprobs need `logits_all=True`, which keeps logits for every prompt and
output position and costs about two thirds of the speed. Here the context only ever returns the
last row of logits; when logprobs are wanted, that row is log-softmaxed in numpy right after the
sampler picked a token, before the next decode overwrites it.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from workbench.local_server.threads import ThreadChoice

# ChatML, for GGUF files that carry no chat template.
FALLBACK_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class GrammarError(ValueError):
    """llama.cpp refused a grammar (the caller turns this into a 400 naming the field)."""


class PrefixRejected(ValueError):
    """The grammar cannot read the text an answer is to continue from (its prefix)."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"the grammar cannot continue it after character {offset}")
        self.offset = offset  # characters of the prefix the grammar did accept


@dataclass(frozen=True)
class Sampling:
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: dict[int, float] = field(default_factory=dict)
    max_tokens: int | None = None
    top_logprobs: int | None = None  # None: no logprobs; else how many alternatives (0..20)
    grammar: str | None = None  # GBNF, root rule "root"
    # Text already written under the grammar (a continued answer): the grammar starts after it.
    grammar_prefix: str = ""


@dataclass(frozen=True)
class Step:
    """One sampled token, with its logprob and alternatives when they were asked for."""

    token: int
    piece: bytes
    logprob: float | None = None
    top: list[tuple[bytes, float]] | None = None


# Returned by an on_step callback to end generation (a stop sequence was seen).
StepCallback = Callable[[Step], bool]


@dataclass
class RunResult:
    finish_reason: str  # "stop" | "length" | "cancelled"
    completion_tokens: int
    cached_tokens: int


class ChatEngine:
    def __init__(self, llm: llama_cpp.Llama) -> None:
        self.llm = llm
        self.n_vocab = llm.n_vocab()
        self.n_ctx = llm.n_ctx()
        self._vocab = llm._model.vocab
        template = llm.metadata.get("tokenizer.chat_template") or FALLBACK_TEMPLATE
        bos = self.token_text(llm.token_bos())
        eos = self.token_text(llm.token_eos())
        self._with_prompt = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=True)
        self._without_prompt = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=False)
        self._piece = lru_cache(maxsize=None)(self._token_piece)

    @classmethod
    def load(cls, path: Path, threads: ThreadChoice, context: int) -> ChatEngine:
        llm = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=context,
            n_threads=threads.generation,
            n_threads_batch=threads.batch,
            logits_all=False,  # the whole point: see the module docstring
            verbose=False,
        )
        return cls(llm)

    # ----------------------------------------------------------------- prompt

    def render(self, messages: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
        formatter = self._with_prompt if add_generation_prompt else self._without_prompt
        return formatter(messages=messages).prompt

    def tokenize(self, prompt: str) -> list[int]:
        # Like llama-cpp-python's chat handlers: the template writes any BOS itself.
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def surely_too_long(self, prompt: str) -> int | None:
        """A lower bound on the prompt's tokens when that alone exceeds the context, else None.

        No token covers more than `max_token_bytes` bytes, so a text that long per context slot
        cannot fit: refusing it then spares seconds of tokenizing (a 4 MB prompt) that would take
        CPU from a running answer only to reach the same refusal.
        """
        size = len(prompt.encode("utf-8"))
        if size <= self.n_ctx:  # the common case: no token is shorter than a byte
            return None
        lower = size // self.max_token_bytes()
        return lower if lower >= self.n_ctx else None

    @cache  # noqa: B019 -- one engine for the server's lifetime
    def max_token_bytes(self) -> int:
        buffer = ctypes.create_string_buffer(256)
        longest = 1
        for token in range(self.n_vocab):  # special=True: template tokens are in prompts too
            n = llama_cpp.llama_token_to_piece(self._vocab, token, buffer, 256, 0, True)
            longest = max(longest, abs(n))  # negative: the piece needs that many bytes
        return longest

    def token_text(self, token: int) -> str:
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def _token_piece(self, token: int) -> bytes:
        buffer = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self._vocab, token, buffer, 64, 0, False)
        return buffer.raw[: max(n, 0)]

    def piece(self, token: int) -> bytes:
        return self._piece(token)

    def check_grammar(self, grammar: str, prefix: str = "") -> None:
        """Raise GrammarError if llama.cpp cannot parse `grammar`, PrefixRejected if it cannot
        read `prefix` (cheap, no model state)."""
        sampler = self._grammar_sampler(grammar, prefix)
        llama_cpp.llama_sampler_free(sampler)

    def _grammar_sampler(self, grammar: str, prefix: str) -> Any:
        """A grammar sampler in the state after `prefix`."""
        sampler = llama_cpp.llama_sampler_init_grammar(
            self._vocab, grammar.encode("utf-8"), b"root"
        )
        if not sampler:
            raise GrammarError("llama.cpp could not parse the grammar")
        try:
            self._feed_grammar(sampler, prefix)
        except PrefixRejected:
            llama_cpp.llama_sampler_free(sampler)
            raise
        return sampler

    def _feed_grammar(self, sampler: Any, prefix: str) -> None:
        # llama.cpp throws (and the process aborts) when a grammar is made to accept a token it
        # rejects, so each token is first offered alone to the grammar's filter, which marks a
        # rejected one with -inf.
        candidate = (llama_cpp.llama_token_data * 1)()
        offered = llama_cpp.llama_token_data_array(candidate, 1, -1, False)
        accepted = b""
        for token in self.llm.tokenize(prefix.encode("utf-8"), add_bos=False, special=False):
            candidate[0].id, candidate[0].logit, candidate[0].p = token, 0.0, 0.0
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(offered))
            if candidate[0].logit == float("-inf"):
                raise PrefixRejected(len(accepted.decode("utf-8", errors="ignore")))
            llama_cpp.llama_sampler_accept(sampler, token)
            accepted += self.piece(token)

    # ----------------------------------------------------------------- generation

    def _sampler_chain(self, sampling: Sampling) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        add = llama_cpp.llama_sampler_chain_add
        if sampling.logit_bias:
            biases = (llama_cpp.llama_logit_bias * len(sampling.logit_bias))()
            for i, (token, bias) in enumerate(sampling.logit_bias.items()):
                biases[i].token, biases[i].bias = token, bias
            add(
                chain,
                llama_cpp.llama_sampler_init_logit_bias(
                    self.n_vocab, len(sampling.logit_bias), biases
                ),
            )
        if sampling.presence_penalty or sampling.frequency_penalty:
            # Only sampled tokens are accepted by the chain, so like OpenAI the penalties count
            # the completion so far, not the prompt.
            add(
                chain,
                llama_cpp.llama_sampler_init_penalties(
                    self.n_vocab,
                    self.n_ctx,
                    1.0,
                    sampling.frequency_penalty,
                    sampling.presence_penalty,
                ),
            )
        if sampling.grammar is not None:
            try:
                grammar = self._grammar_sampler(sampling.grammar, sampling.grammar_prefix)
            except ValueError:
                llama_cpp.llama_sampler_free(chain)
                raise
            add(chain, grammar)
        if sampling.temperature <= 0.0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
        else:
            # OpenAI order: temperature reshapes the distribution, then the nucleus is cut.
            add(chain, llama_cpp.llama_sampler_init_temp(sampling.temperature))
            if sampling.top_p < 1.0:
                add(chain, llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
            seed = llama_cpp.LLAMA_DEFAULT_SEED if sampling.seed is None else sampling.seed
            add(chain, llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def _load_prompt(self, tokens: list[int]) -> int:
        """Decode `tokens`, reusing the KV cache for the prefix shared with the last request."""
        llm = self.llm
        limit = min(llm.n_tokens, len(tokens) - 1)  # always decode one token, for fresh logits
        differ = np.flatnonzero(llm.input_ids[:limit] != np.asarray(tokens[:limit], np.intc))
        cached = int(differ[0]) if differ.size else limit
        if not llm._ctx.kv_cache_seq_rm(-1, cached, -1):
            cached = 0  # recurrent models cannot cut their state: start over
            llm.reset()
        llm.n_tokens = cached
        # The last prompt token is decoded on its own. llama.cpp's one-token kernels round
        # differently from its batched ones, and the logits of the first answer token come from
        # this position: decoded alone it gives the same logprobs whether the prompt was cached
        # (same request again, Continue) or not. Batched, a repeat gave 0.12 where cold gave 0.14.
        if len(tokens) - cached > 1:
            llm.eval(tokens[cached:-1])
        llm.eval(tokens[-1:])
        return cached

    def _logprobs(self, token: int, top_n: int) -> tuple[float, list[tuple[bytes, float]]]:
        pointer = llama_cpp.llama_get_logits_ith(self.llm.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))
        peak = float(logits.max())
        log_total = peak + float(np.log(np.exp(logits - peak).sum(dtype=np.float64)))
        chosen = float(logits[token]) - log_total
        if top_n == 0:
            return chosen, []
        best = np.argpartition(logits, -top_n)[-top_n:]
        best = best[np.argsort(-logits[best], kind="stable")]
        # float(): numpy float32 is not JSON serialisable.
        return chosen, [(self.piece(int(t)), float(logits[t]) - log_total) for t in best]

    def run(
        self,
        prompt: list[int],
        sampling: Sampling,
        cancel: threading.Event,
        on_step: StepCallback,
        first_step: Callable[[Step], bool] | None = None,
    ) -> RunResult:
        """Generate after `prompt` until end-of-generation, a limit, `on_step` returning False,
        or `cancel`. `first_step` may veto the first token (returns False: finish "switch")."""
        llm, ctx = self.llm, self.llm.ctx
        chain = self._sampler_chain(sampling)
        try:
            cached = self._load_prompt(prompt)
            budget = self.n_ctx - len(prompt)
            if sampling.max_tokens is not None:
                budget = min(budget, sampling.max_tokens)
            produced = 0
            while produced < budget:
                if cancel.is_set():
                    return RunResult("cancelled", produced, cached)
                token = llama_cpp.llama_sampler_sample(chain, ctx, -1)
                if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    return RunResult("stop", produced, cached)
                step = Step(token, self.piece(token))
                if sampling.top_logprobs is not None:
                    logprob, top = self._logprobs(token, sampling.top_logprobs)
                    step = Step(token, step.piece, logprob, top)
                if produced == 0 and first_step is not None and not first_step(step):
                    return RunResult("switch", 0, cached)
                produced += 1
                if not on_step(step):
                    return RunResult("stop", produced, cached)
                if produced < budget:
                    llm.eval([token])
            return RunResult("length", produced, cached)
        finally:
            llama_cpp.llama_sampler_free(chain)
