"""Per-token confidence from a run's stored logprobs, and where it lands in a JSON answer.

A run stores its logprobs as a list of ``{"token": str, "logprob": float, "top": [[token,
logprob], ...]}``; the tokens joined in order are the answer text. Everything here is pure and
linear in the number of tokens: build the TokenInfo list once per run (about 30 ms for 16k tokens
with top-5 on a slow 2-core VM), then recolour with confidences() (a few ms) as the metric changes.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter, itemgetter

_PROB = itemgetter(1)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """One answer token with its probability figures.

    ``entropy`` is in nats, over the top-k alternatives renormalised to sum to 1 (the chosen
    token is added to them when the server left it out); 0.0 when no top-k was returned.
    ``margin`` is the chosen token's probability minus the best other alternative's: negative
    when the sampler picked something that wasn't the favourite.
    ``alternatives`` are (token, probability) pairs, most likely first, with the chosen token among
    them; empty when no top-k was returned.
    """

    index: int
    token: str
    start: int
    end: int
    logprob: float
    prob: float
    entropy: float
    margin: float
    alternatives: tuple[tuple[str, float], ...]


def token_infos(items: list[dict]) -> list[TokenInfo]:
    """Stored logprob items -> TokenInfo, with character offsets into the answer text."""
    # Kept as one plain loop: for k of about 5, map/zip/sum cost more in call overhead than they
    # save, and this runs over every token of an answer whenever the heatmap opens.
    exp, log = math.exp, math.log
    infos: list[TokenInfo] = []
    append = infos.append
    pos = 0
    for index, item in enumerate(items):
        token: str = item["token"]
        lp: float = item["logprob"]
        p = exp(lp)
        top = item.get("top")
        entropy = 0.0
        best_other = 0.0
        alternatives: tuple[tuple[str, float], ...] = ()
        if top:
            pairs: list[tuple[str, float]] = []
            z = s = 0.0  # sums of p and p * log p: entropy = log z - s / z
            for alt_token, alt_lp in top:
                q = exp(alt_lp)
                pairs.append((alt_token, q))
                z += q
                s += q * alt_lp
            pairs.sort(key=_PROB, reverse=True)
            first_token, first_p = pairs[0]
            if first_token == token:
                if len(pairs) > 1:
                    best_other = pairs[1][1]
            else:
                best_other = first_p
                if all(t != token for t, _ in pairs):
                    pairs.append((token, p))
                    pairs.sort(key=_PROB, reverse=True)
                    z += p
                    s += p * lp
            if s != s:  # a -inf logprob gave 0 * -inf = nan, where p log p should be 0
                s = sum(q * log(q) for _, q in pairs if q)
            if z > 0.0 and len(pairs) > 1:
                entropy = log(z) - s / z
                if entropy < 0.0:  # rounding, when one alternative holds all the mass
                    entropy = 0.0
            alternatives = tuple(pairs)
        end = pos + len(token)
        append(TokenInfo(index, token, pos, end, lp, p, entropy, p - best_other, alternatives))
        pos = end
    return infos


class Metric(StrEnum):
    PROBABILITY = "probability"
    LOGPROB = "logprob"
    ENTROPY = "entropy"
    MARGIN = "margin"


def metric_value(info: TokenInfo, metric: Metric) -> float:
    match metric:
        case Metric.PROBABILITY:
            return info.prob
        case Metric.LOGPROB:
            return info.logprob
        case Metric.ENTROPY:
            return info.entropy
        case Metric.MARGIN:
            return info.margin
    raise ValueError(f"unknown metric: {metric!r}")


def max_entropy(k: int) -> float:
    """Entropy (nats) of a uniform distribution over k outcomes: the most uncertain top-k."""
    return math.log(k) if k > 1 else 0.0


def confidence(info: TokenInfo, metric: Metric) -> float:
    """The metric mapped to 0..1, 1 = confident, for colouring a token."""
    match metric:
        case Metric.PROBABILITY:
            value = info.prob
        case Metric.LOGPROB:
            value = math.exp(info.logprob)
        case Metric.ENTROPY:
            ceiling = max_entropy(len(info.alternatives))
            value = 1.0 - info.entropy / ceiling if ceiling else 1.0
        case Metric.MARGIN:
            value = (info.margin + 1.0) / 2.0
        case _:
            raise ValueError(f"unknown metric: {metric!r}")
    return min(1.0, max(0.0, value))


def confidences(infos: list[TokenInfo], metric: Metric) -> list[float]:
    """confidence() of every token at once, several times faster: for repainting a heatmap."""
    metric = Metric(metric)
    if metric is Metric.PROBABILITY or metric is Metric.LOGPROB:
        values = list(map(attrgetter("prob"), infos))  # prob is exp(logprob)
    elif metric is Metric.MARGIN:
        values = [(m + 1.0) * 0.5 for m in map(attrgetter("margin"), infos)]
    else:
        log = math.log
        entropies = map(attrgetter("entropy"), infos)
        ks = map(len, map(attrgetter("alternatives"), infos))
        # token_infos leaves entropy 0 unless there are two alternatives or more: log(k) > 0
        values = [1.0 - e / log(k) if e else 1.0 for e, k in zip(entropies, ks, strict=True)]
    if values and (min(values) < 0.0 or max(values) > 1.0):  # rounding, or a logprob above 0
        values = [min(1.0, max(0.0, v)) for v in values]
    return values


@dataclass(frozen=True, slots=True)
class Summary:
    """Whole-answer figures. With no tokens, the float fields are nan and min_index is -1."""

    tokens: int
    perplexity: float
    mean_prob: float
    min_prob: float
    min_index: int
    below_threshold: int


def summarize(infos: list[TokenInfo], threshold: float) -> Summary:
    """Perplexity = exp(-mean logprob); ``below_threshold`` counts tokens with prob < threshold."""
    n = len(infos)
    if not n:
        return Summary(0, math.nan, math.nan, math.nan, -1, 0)
    probs = [i.prob for i in infos]
    min_prob = min(probs)
    mean_logprob = math.fsum(i.logprob for i in infos) / n
    try:
        perplexity = math.exp(-mean_logprob)
    except OverflowError:
        perplexity = math.inf
    return Summary(
        tokens=n,
        perplexity=perplexity,
        mean_prob=math.fsum(probs) / n,
        min_prob=min_prob,
        min_index=probs.index(min_prob),
        below_threshold=sum(p < threshold for p in probs),
    )


def fork_prefix(infos: list[TokenInfo], index: int, alternative_token: str) -> str:
    """The answer up to token ``index`` (exclusive) plus ``alternative_token``: a fork's start."""
    if not 0 <= index <= len(infos):
        raise IndexError(f"token index {index} out of range 0..{len(infos)}")
    return "".join(i.token for i in infos[:index]) + alternative_token


# --- JSON answers: which field was the model unsure about -------------------------------------


@dataclass(frozen=True, slots=True)
class FieldConfidence:
    """One leaf value of a JSON answer and the tokens that wrote it (quotes included)."""

    path: str
    min_prob: float
    mean_prob: float
    token_indexes: tuple[int, ...]
    value_preview: str


PREVIEW_CHARS = 60
_FENCE = re.compile(
    r"\A\s*```[ \t]*(?:json)?[ \t]*\r?\n(.*?)\s*```\s*\Z", re.DOTALL | re.IGNORECASE
)
# Only run on text json.loads accepted, so it need not reject anything; whitespace between lexemes
# is skipped by finditer. The last branch takes numbers, true, false and null.
_LEXEME = re.compile(r'[{}\[\]:,]|"[^"\\]*(?:\\.[^"\\]*)*"|[^\s{}\[\]:,"]+')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_body(text: str) -> tuple[str, int] | None:
    """The JSON inside the answer and where it starts, or None if there is no valid JSON."""
    fence = _FENCE.match(text)
    if fence:
        body, offset = fence.group(1), fence.start(1)
    else:
        body, offset = text, 0
    stripped = body.lstrip()
    offset += len(body) - len(stripped)
    body = stripped.rstrip()
    if not body:
        return None
    try:
        json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    return body, offset


def _member(key: str) -> str:
    return f".{key}" if _IDENTIFIER.fullmatch(key) else f"[{json.dumps(key, ensure_ascii=False)}]"


class _Container:
    """An object or array being scanned; ``child`` is the path of the member being read."""

    __slots__ = ("child", "expect_key", "is_object", "path", "position")

    def __init__(self, is_object: bool, path: str) -> None:
        self.is_object = is_object
        self.path = path
        self.position = 0
        self.child = f"{path}[0]"
        self.expect_key = is_object


def json_leaf_spans(body: str) -> list[tuple[str, int, int]]:
    """(path, start, end) of every string, number, true, false and null in valid JSON ``body``.

    ``body`` must already be known to be valid JSON. Iterative, so nesting depth is bounded by
    memory rather than the recursion limit.
    """
    leaves: list[tuple[str, int, int]] = []
    stack: list[_Container] = []
    members: dict[str, str] = {}
    for m in _LEXEME.finditer(body):
        lexeme = m.group()
        first = lexeme[0]
        if first == ",":
            top = stack[-1]
            if top.is_object:
                top.expect_key = True
            else:
                top.position += 1
                top.child = f"{top.path}[{top.position}]"
        elif first == ":":
            continue
        elif first in "{[":
            stack.append(_Container(first == "{", stack[-1].child if stack else "$"))
        elif first in "}]":
            stack.pop()
        elif stack and stack[-1].expect_key:
            top = stack[-1]
            key = json.loads(lexeme) if "\\" in lexeme else lexeme[1:-1]
            member = members.get(key)
            if member is None:
                member = members[key] = _member(key)
            top.child = top.path + member
            top.expect_key = False
        else:
            leaves.append((stack[-1].child if stack else "$", m.start(), m.end()))
    return leaves


def _preview(text: str, start: int, end: int) -> str:
    if end - start <= PREVIEW_CHARS:
        return text[start:end]
    return text[start : start + PREVIEW_CHARS - 1] + "…"


def json_field_confidence(text: str, infos: list[TokenInfo]) -> list[FieldConfidence] | None:
    """Each JSON leaf with the confidence of the tokens overlapping it, least sure first.

    ``text`` is the answer (optionally in a ```json fence); None when it isn't valid JSON.
    Leaves that no token overlaps (text and tokens disagree) are left out.
    """
    found = _json_body(text)
    if found is None:
        return None
    body, offset = found
    starts, ends, probs, indexes = (
        list(map(attrgetter(name), infos)) for name in ("start", "end", "prob", "index")
    )
    fields: list[FieldConfidence] = []
    for path, body_start, body_end in json_leaf_spans(body):
        start = body_start + offset
        end = body_end + offset
        # tokens overlapping [start, end): ending after start and starting before end
        first, stop = bisect_right(ends, start), bisect_left(starts, end)
        if first >= stop:
            continue
        covered = probs[first:stop]
        fields.append(
            FieldConfidence(
                path=path,
                min_prob=min(covered),
                mean_prob=sum(covered) / len(covered),
                token_indexes=tuple(indexes[first:stop]),
                value_preview=_preview(text, start, end),
            )
        )
    fields.sort(key=lambda f: (f.min_prob, f.mean_prob))
    return fields
