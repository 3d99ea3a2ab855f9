"""Image input tokens against the worked examples of OpenAI's Images and vision guide."""

from __future__ import annotations

import pytest

from workbench.core.vision_tokens import image_tokens, rule_for, sent_size


@pytest.mark.parametrize(
    ("width", "height", "detail", "model", "tokens"),
    [
        # Tile rule: "A 1024 x 1024 square image in detail: high mode costs 765 tokens"
        (1024, 1024, "high", "gpt-4o", 765),
        # "A 2048 x 4096 image in detail: high mode costs 1105 tokens"
        (2048, 4096, "high", "gpt-4o", 1105),
        # "A 4096 x 8192 image in detail: low most costs 85 tokens"
        (4096, 8192, "low", "gpt-4o", 85),
        (4096, 8192, "low", "gpt-4.1", 85),
        # "auto" is estimated as high
        (1024, 1024, "auto", "gpt-4o-2024-08-06", 765),
        # gpt-4o-mini: base 2833, 5667 per tile
        (1024, 1024, "high", "gpt-4o-mini", 2833 + 4 * 5667),
        (512, 512, "low", "gpt-4o-mini", 2833),
        # o-series: base 75, 150 per tile
        (1024, 1024, "high", "o3", 75 + 4 * 150),
        # Patch rule: "a 1024 x 1024 image is 1024 tokens" (before the multiplier)
        (1024, 1024, "high", "gpt-4.1-mini", round(1024 * 1.62 + 0.5)),
        # "a 1800 x 2400 image": scaled to 1056 x 1408, 33 x 44 = 1452 patches
        (1800, 2400, "high", "gpt-4.1-nano", -(-1452 * 246 // 100)),
        (1800, 2400, "low", "o4-mini", -(-1452 * 172 // 100)),  # detail does not matter here
    ],
)
def test_the_guides_examples(width, height, detail, model, tokens) -> None:
    assert image_tokens(width, height, detail, model) == tokens


def test_patches_never_pass_the_budget_and_tiny_images_cost_one_patch() -> None:
    assert image_tokens(40_000, 30_000, "high", "gpt-4.1-mini") <= 1536 * 1.62 + 1
    assert image_tokens(10, 10, "high", "gpt-5-mini") == 2  # ceil(1 * 1.62)


def test_models_by_their_names_and_an_unknown_one_is_a_guess() -> None:
    assert rule_for("openai/gpt-4.1-mini")[1] is True
    assert rule_for("ft:gpt-4o-mini:org::abc")[0] == rule_for("gpt-4o-mini")[0]
    assert rule_for("llava:13b") == (rule_for("gpt-4o")[0], False)


def test_the_size_sent_is_the_size_the_model_uses() -> None:
    assert sent_size(4000, 3000, "gpt-4o") == (1024, 768)
    assert sent_size(640, 480, "gpt-4o") == (640, 480)  # smaller: sent as it is
    w, h = sent_size(1800, 2400, "gpt-4.1-mini")
    assert (w + 31) // 32 * ((h + 31) // 32) <= 1536
