"""Image models as data: each model's own options, limits and billing, one entry per model, so
a new model is one entry. The gallery shows only what the chosen model takes, checks a request
before it is sent, and builds its body here.

Sources: the OpenAPI description (CreateImageRequest, CreateImageEditRequest,
CreateImageVariationRequest) and OpenAI's image generation guide (gpt-image output tokens by
size and quality).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

AUTO = "auto"


@dataclass(frozen=True, slots=True)
class ImageModel:
    name: str
    sizes: tuple[str, ...]
    prompt_limit: int  # characters
    max_n: int = 1
    qualities: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    backgrounds: tuple[str, ...] = ()
    output_formats: tuple[str, ...] = ()
    moderations: tuple[str, ...] = ()
    compression: bool = False  # output_compression 0-100 (jpeg and webp)
    revised_prompt: bool = False  # the answer says how the prompt was rewritten
    response_format: bool = True  # takes url / b64_json (gpt-image always answers b64_json)
    partial_images: bool = False  # can stream partial images
    edits: bool = True
    variations: bool = False
    edit_square_png: bool = False  # edits need a square PNG (under 4 MB)
    # gpt-image bills output image tokens by size and quality: {(size, quality): tokens}
    output_tokens: dict[tuple[str, str], int] = field(default_factory=dict)


_GPT_IMAGE_TOKENS = {
    ("1024x1024", "low"): 272,
    ("1024x1024", "medium"): 1056,
    ("1024x1024", "high"): 4160,
    ("1024x1536", "low"): 408,
    ("1024x1536", "medium"): 1584,
    ("1024x1536", "high"): 6240,
    ("1536x1024", "low"): 400,
    ("1536x1024", "medium"): 1568,
    ("1536x1024", "high"): 6208,
}


def _gpt_image(name: str) -> ImageModel:
    return ImageModel(
        name=name,
        sizes=(AUTO, "1024x1024", "1536x1024", "1024x1536"),
        prompt_limit=32_000,
        max_n=10,
        qualities=(AUTO, "low", "medium", "high"),
        backgrounds=(AUTO, "transparent", "opaque"),
        output_formats=("png", "jpeg", "webp"),
        moderations=(AUTO, "low"),
        compression=True,
        response_format=False,
        partial_images=True,
        output_tokens=_GPT_IMAGE_TOKENS,
    )


MODELS: dict[str, ImageModel] = {
    m.name: m
    for m in (
        ImageModel(
            name="dall-e-2",
            sizes=("256x256", "512x512", "1024x1024"),
            prompt_limit=1000,
            max_n=10,
            variations=True,
            edit_square_png=True,
        ),
        ImageModel(
            name="dall-e-3",
            sizes=("1024x1024", "1792x1024", "1024x1792"),
            prompt_limit=4000,
            qualities=("standard", "hd"),
            styles=("vivid", "natural"),
            revised_prompt=True,
            edits=False,
        ),
        _gpt_image("gpt-image-1"),
        _gpt_image("gpt-image-1-mini"),
    )
}


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """What the user chose; fields the model does not take are left out of the body."""

    size: str = ""
    quality: str = ""
    style: str = ""
    background: str = ""
    output_format: str = ""
    compression: int | None = None
    moderation: str = ""
    n: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_for(name: str) -> ImageModel | None:
    return MODELS.get(name)


def problems(
    model: ImageModel, prompt: str, options: ImageOptions, *, edit: bool = False
) -> list[str]:
    """Everything the API would refuse, each a sentence; empty when it may be sent."""
    said = []
    if not prompt.strip():
        said.append("Write a prompt first.")
    elif len(prompt) > model.prompt_limit:
        said.append(
            f"The prompt is {len(prompt):,} characters; {model.name} takes at most "
            f"{model.prompt_limit:,}."
        )
    if options.size and options.size not in model.sizes:
        said.append(f"{model.name} makes {', '.join(model.sizes)}, not {options.size}.")
    if not 1 <= options.n <= model.max_n:
        said.append(f"{model.name} makes 1 to {model.max_n} images at a time.")
    for label, value, allowed in (
        ("quality", options.quality, model.qualities),
        ("style", options.style, model.styles),
        ("background", options.background, model.backgrounds),
        ("output format", options.output_format, model.output_formats),
        ("moderation", options.moderation, model.moderations),
    ):
        if value and value not in allowed:
            takes = ", ".join(allowed) if allowed else "none"
            said.append(f"{model.name} takes no {label} {value!r} (it takes: {takes}).")
    if options.background == "transparent" and options.output_format == "jpeg":
        said.append("A transparent background needs PNG or WebP output, not JPEG.")
    if options.compression is not None and not 0 <= options.compression <= 100:
        said.append("Compression is 0 to 100.")
    if edit and not model.edits:
        said.append(f"{model.name} does not edit images: use dall-e-2 or a gpt-image model.")
    return said


def generation_body(
    model: ImageModel, prompt: str, options: ImageOptions, *, stream_partials: int = 0
) -> dict[str, Any]:
    """Keyword arguments for `images.generate` (and, with an image, `images.edit`)."""
    body: dict[str, Any] = {"model": model.name, "prompt": prompt, "n": options.n}
    chosen = {
        "size": (options.size, model.sizes),
        "quality": (options.quality, model.qualities),
        "style": (options.style, model.styles),
        "background": (options.background, model.backgrounds),
        "output_format": (options.output_format, model.output_formats),
        "moderation": (options.moderation, model.moderations),
    }
    body.update({k: v for k, (v, allowed) in chosen.items() if v and v in allowed})
    compressed = options.output_format in ("jpeg", "webp")
    if model.compression and options.compression is not None and compressed:
        body["output_compression"] = options.compression
    if model.response_format:
        body["response_format"] = "b64_json"  # kept at once: OpenAI's URLs expire in an hour
    if stream_partials and model.partial_images:
        body["stream"] = True
        body["partial_images"] = stream_partials
    return body


def output_tokens(model: ImageModel, options: ImageOptions) -> int | None:
    """Output image tokens a gpt-image request is billed for (all its images), or None when the
    model is not billed by tokens. "auto" size and quality are taken at their dearest."""
    if not model.output_tokens:
        return None
    sizes = [options.size] if options.size and options.size != AUTO else ["1024x1536"]
    qualities = [options.quality] if options.quality and options.quality != AUTO else ["high"]
    per_image = max(model.output_tokens.get((s, q), 0) for s in sizes for q in qualities)
    return per_image * options.n if per_image else None
