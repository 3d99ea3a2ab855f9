"""The gallery's images as plain data: each one with what made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class GalleryImage:
    id: int
    digest: str  # its bytes, once, in the store's assets
    mime: str
    prompt: str
    model: str
    width: int
    height: int
    created_at: str
    revised_prompt: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None  # its share of the run's cost; None when not known
    run_id: int | None = None
    source_id: int | None = None  # the gallery image an edit or variation was made from
    kind: str = "image.generation"  # or image.edit, image.variation
