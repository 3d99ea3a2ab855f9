"""The token-confidence panel on real logprobs from the built-in model."""

from __future__ import annotations

import json
import math

import pytest

from tests.support.driving import type_and_send
from workbench.app.context import AppContext
from workbench.app.panels import PANELS, build_chat
from workbench.core.sessions import MessageStatus
from workbench.ui.panels.chat import ChatPanel
from workbench.ui.panels.heatmap import HeatmapPanel

WAIT_MS = 120_000
QUESTION = "Name three colours."


@pytest.fixture
def panels(ctx: AppContext, qtbot) -> tuple[ChatPanel, HeatmapPanel]:
    chat = build_chat(ctx)
    heatmap = next(spec for spec in PANELS if spec.key == "heatmap").build(ctx)
    for widget in (chat, heatmap):
        qtbot.addWidget(widget)
        widget.resize(1000, 600)
        widget.show()  # a shown heatmap makes the chat ask for logprobs
    chat.params.temperature.setValue(0)
    chat.params.max_tokens.setValue(24)
    return chat, heatmap


def test_heatmap_shows_the_logprobs_the_api_returned(ctx, panels, qtbot, aloop) -> None:
    chat, heatmap = panels
    type_and_send(qtbot, chat, QUESTION, timeout_ms=WAIT_MS)
    qtbot.waitUntil(lambda: bool(heatmap.infos), timeout=5000)
    answer = ctx.store.conversation.get(chat.path[-1].id)
    assert "".join(i.token for i in heatmap.infos) == answer.content

    # The run's own request, sent again directly without streaming: the panel shows what the
    # API says (greedy decoding, so the same tokens come back).
    sent = ctx.store.runs.request(answer.run_id)
    assert sent["logprobs"] is True and sent["top_logprobs"] == 5

    async def direct() -> list:
        client = await ctx.connector.client(None)
        body = {k: v for k, v in sent.items() if k not in ("stream", "stream_options")}
        completion = await client.chat.completions.create(**body)
        return completion.choices[0].logprobs.content

    task = aloop.create_task(direct())
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    expected = task.result()
    assert [t.token for t in expected] == [i.token for i in heatmap.infos]
    for api, shown in zip(expected, heatmap.infos, strict=True):
        assert shown.logprob == pytest.approx(api.logprob, abs=1e-3)
        assert shown.prob == pytest.approx(math.exp(api.logprob), abs=1e-3)
        assert [a[0] for a in shown.alternatives][:1] == [api.top_logprobs[0].token]
    assert "perplexity" in heatmap.summary.text()


def test_json_answer_maps_confidence_onto_its_fields(ctx, panels, qtbot) -> None:
    chat, heatmap = panels
    chat.params.response_format.setCurrentText("json_schema")
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
        "additionalProperties": False,
    }
    chat.params.json_schema.setPlainText(json.dumps(schema))
    chat.params.max_tokens.setValue(60)
    type_and_send(qtbot, chat, "Give a city and its country as JSON.", timeout_ms=WAIT_MS)
    qtbot.waitUntil(lambda: heatmap.fields.topLevelItemCount() == 2, timeout=5000)
    paths = {heatmap.fields.topLevelItem(i).text(0) for i in range(2)}
    assert paths == {"$.city", "$.country"}
    mins = [float(heatmap.fields.topLevelItem(i).text(1)) for i in range(2)]
    assert mins == sorted(mins)  # the least-sure field first


def test_fork_from_an_alternative_starts_the_branch_with_that_token(ctx, panels, qtbot) -> None:
    chat, heatmap = panels
    type_and_send(qtbot, chat, QUESTION, timeout_ms=WAIT_MS)
    qtbot.waitUntil(lambda: bool(heatmap.infos), timeout=5000)
    original = chat.path[-1].id
    index = 1
    alternative = next(
        a for a, _p in heatmap.infos[index].alternatives if a != heatmap.infos[index].token
    )
    prefix = heatmap.infos[0].token + alternative
    heatmap.view.popup.alternative_chosen.emit(index, alternative)
    qtbot.waitUntil(lambda: chat.path[-1].id != original and not chat.streams.busy, timeout=WAIT_MS)
    fork = ctx.store.conversation.get(chat.path[-1].id)
    assert fork.parent_id == ctx.store.conversation.get(original).parent_id
    assert fork.content.startswith(prefix) and len(fork.content) > len(prefix)
    assert fork.status is MessageStatus.COMPLETE
