"""What Token Confidence shows for a run, read and computed away from the UI thread when it is
large: the first tokens' confidence (at most `MAX_TOKENS_SHOWN`) and the JSON fields' scores."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.logprobs import FieldConfidence, TokenInfo, json_field_confidence, token_infos
from workbench.services.store import Store

# Laying out and plotting half a million tokens costs the UI thread seconds; a person reads the
# first screens of them. A longer answer says how much of it is shown.
MAX_TOKENS_SHOWN = 100_000
# Logprobs stored for a shorter answer than this (JSON characters) are read on the spot: about
# 1,500 tokens, a few milliseconds. Longer ones are read in a worker.
READ_IN_PLACE_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Prepared:
    infos: list[TokenInfo]
    more: bool  # the answer has more tokens than `infos`
    fields: list[FieldConfidence]


def is_large(store: Store, run_id: int) -> bool:
    return store.runs.logprobs_length(run_id) > READ_IN_PLACE_CHARS


def prepare(store: Store, run_id: int, limit: int = MAX_TOKENS_SHOWN) -> Prepared | None:
    """None when the run has no logprobs. Safe to call from a worker thread."""
    head = store.runs.logprobs_head(run_id, limit)
    if head is None or not head[0]:
        return None
    items, more = head
    infos = token_infos(items)
    fields = json_field_confidence("".join(i.token for i in infos), infos)
    return Prepared(infos, more, list(fields or ()))
