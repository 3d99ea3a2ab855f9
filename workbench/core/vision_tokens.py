"""How many input tokens an image costs, by the rule OpenAI's vision guide gives for the model.

Two rules ("Calculating costs" in the Images and vision guide):
- Tiles (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3…): detail "low" costs the base tokens; "high"
  scales the image to fit 2048x2048, then its shortest side to 768, and adds the tile tokens
  for each 512 px square needed to cover it.
- Patches (gpt-4.1-mini, gpt-4.1-nano, o4-mini, gpt-5-mini, gpt-5-nano): the 32 px patches that
  cover the image, scaled down to fit the model's patch budget, times the model's multiplier.

"auto" is estimated as "high": the model may choose it, and an estimate should not be short.
Each model's figures are one line in RULES, with the guide as their source.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from workbench.core.model_traits import openai_base_name

TILE_PX = 512
FIT_PX = 2048
SHORT_SIDE_PX = 768
PATCH_PX = 32


@dataclass(frozen=True, slots=True)
class TileRule:
    base: int  # tokens for every image (all of a "low" one)
    per_tile: int


@dataclass(frozen=True, slots=True)
class PatchRule:
    multiplier: float
    budget: int = 1536  # most patches an image is given


Rule = TileRule | PatchRule

# (model name pattern, rule): first match wins. Source: platform.openai.com/docs/guides/images-
# vision, "Calculating costs" (the tables for each rule).
RULES: tuple[tuple[re.Pattern[str], Rule], ...] = (
    (re.compile(r"^gpt-5(\.\d+)?-mini"), PatchRule(1.62)),
    (re.compile(r"^gpt-5(\.\d+)?-nano"), PatchRule(2.46)),
    (re.compile(r"^gpt-4\.1-mini"), PatchRule(1.62)),
    (re.compile(r"^gpt-4\.1-nano"), PatchRule(2.46)),
    (re.compile(r"^o4-mini"), PatchRule(1.72)),
    (re.compile(r"^gpt-4o-mini"), TileRule(2833, 5667)),
    (re.compile(r"^(o1|o1-pro|o3)(-\d{4}-\d{2}-\d{2})?$"), TileRule(75, 150)),
    (re.compile(r"^o3-pro"), TileRule(75, 150)),
    (re.compile(r"^computer-use-preview"), TileRule(65, 129)),
    (re.compile(r"^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-4-turbo)"), TileRule(85, 170)),
)
DEFAULT_RULE = TileRule(85, 170)  # an unknown model: the most common rule, said as an estimate


def rule_for(model: str) -> tuple[Rule, bool]:
    """The model's rule, and whether it is the model's own (False: the default, a guess)."""
    name = openai_base_name(model)
    for pattern, rule in RULES:
        if pattern.match(name):
            return rule, True
    return DEFAULT_RULE, False


def image_tokens(width: int, height: int, detail: str, model: str) -> int:
    rule, _known = rule_for(model)
    if isinstance(rule, PatchRule):
        return patch_tokens(width, height, rule)
    return tile_tokens(width, height, detail, rule)


def tile_tokens(width: int, height: int, detail: str, rule: TileRule) -> int:
    if detail == "low":
        return rule.base
    w, h = float(width), float(height)
    if max(w, h) > FIT_PX:
        scale = FIT_PX / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > SHORT_SIDE_PX:
        scale = SHORT_SIDE_PX / min(w, h)
        w, h = w * scale, h * scale
    tiles = math.ceil(w / TILE_PX) * math.ceil(h / TILE_PX)
    return rule.base + rule.per_tile * tiles


def patch_tokens(width: int, height: int, rule: PatchRule) -> int:
    r = _patch_scale(width, height, rule)
    patches = math.ceil(width * r / PATCH_PX) * math.ceil(height * r / PATCH_PX)
    return math.ceil(min(patches, rule.budget) * rule.multiplier)


def _patch_scale(width: int, height: int, rule: PatchRule) -> float:
    """1, or the scale that makes the image's patches fit the budget: first by area, then down
    to whole patches on the tighter side (the guide's two steps)."""
    if math.ceil(width / PATCH_PX) * math.ceil(height / PATCH_PX) <= rule.budget:
        return 1.0
    r = math.sqrt(PATCH_PX**2 * rule.budget / (width * height))
    return r * min(
        math.floor(width * r / PATCH_PX) / (width * r / PATCH_PX),
        math.floor(height * r / PATCH_PX) / (height * r / PATCH_PX),
    )


def sent_size(width: int, height: int, model: str) -> tuple[int, int]:
    """The largest size the model uses of an image: anything larger is sent downscaled to this
    (tile rule: within 2048x2048 and 768 on the short side; patch rule: within its budget)."""
    rule, _known = rule_for(model)
    w, h = float(width), float(height)
    if isinstance(rule, PatchRule):
        r = _patch_scale(width, height, rule)
        return max(1, int(w * r)), max(1, int(h * r))
    scale = min(1.0, FIT_PX / max(w, h))
    w, h = w * scale, h * scale
    scale = min(1.0, SHORT_SIDE_PX / min(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))
