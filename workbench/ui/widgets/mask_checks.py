"""What the image edit API (`/v1/images/edits`) would refuse, said before the request is sent.

Pure Python (no Qt), so it can check a file before it is decoded. The limits are those of the
OpenAPI description, tests/data/openai-openapi/openapi.json, CreateImageEditRequest:
- image: "For the GPT image models (...) each image should be a `png`, `webp`, or `jpg` file less
  than 50MB" and "For `dall-e-2`, you can only provide one image, and it should be a square `png`
  file less than 4MB."
- mask: "Must be a valid PNG file, less than 4MB, and have the same dimensions as `image`."
- model: "One of `dall-e-2` or a GPT image model"; any other name goes by the GPT image rules,
  the API's default family (its default model is gpt-image-1.5).
"""

from __future__ import annotations

MB = 1024 * 1024
DALL_E_2_LIMIT = 4 * MB
GPT_IMAGE_LIMIT = 50 * MB
MASK_LIMIT = 4 * MB
GPT_IMAGE_FORMATS = ("png", "webp", "jpg")
# Models that can generate but not edit: naming them beats the API's generic 400.
NO_EDITS = ("dall-e-3",)
_SPELLINGS = {"jpeg": "jpg", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def edit_problems(
    model: str,
    image_format: str,
    width: int,
    height: int,
    size_bytes: int,
    mask_size: tuple[int, int] | None,
    mask_bytes: int | None = None,
) -> list[str]:
    """Sentences saying why the API would refuse this edit; empty when it would take it.

    `image_format` as Pillow names it ("PNG", "JPEG", "WEBP") or as a MIME type or extension;
    `mask_size` is the mask's (width, height), or None for an edit without a mask.
    """
    model = model.strip()
    if model.lower() in NO_EDITS:
        return [f"{model} cannot edit images: choose dall-e-2 or a GPT image model."]
    kind = normalised_format(image_format)
    if model.lower() == "dall-e-2":
        problems = _dall_e_2_problems(kind, width, height, size_bytes)
    else:
        problems = _gpt_image_problems(model, kind, size_bytes)
    return problems + _mask_problems(width, height, mask_size, mask_bytes)


def normalised_format(image_format: str) -> str:
    kind = image_format.strip().lower().lstrip(".")
    return _SPELLINGS.get(kind, kind)


def _dall_e_2_problems(kind: str, width: int, height: int, size_bytes: int) -> list[str]:
    problems = []
    if kind != "png":
        problems.append(f"dall-e-2 edits PNG images only; this image is {_shown(kind)}.")
    if width != height:
        problems.append(f"dall-e-2 edits square images only; this image is {width}×{height}.")
    if size_bytes >= DALL_E_2_LIMIT:
        problems.append(
            f"This image is {_megabytes(size_bytes)}; dall-e-2 takes images under 4 MB."
        )
    return problems


def _gpt_image_problems(model: str, kind: str, size_bytes: int) -> list[str]:
    problems = []
    if kind not in GPT_IMAGE_FORMATS:
        problems.append(f"{model} edits PNG, WebP or JPEG images; this image is {_shown(kind)}.")
    if size_bytes > GPT_IMAGE_LIMIT:
        problems.append(
            f"This image is {_megabytes(size_bytes)}; {model} takes images of at most 50 MB."
        )
    return problems


def _mask_problems(
    width: int, height: int, mask_size: tuple[int, int] | None, mask_bytes: int | None
) -> list[str]:
    problems = []
    if mask_size is not None and tuple(mask_size) != (width, height):
        mask_w, mask_h = mask_size
        problems.append(
            f"The mask is {mask_w}×{mask_h} but the image is {width}×{height}; "
            "they must be the same size."
        )
    if mask_bytes is not None and mask_bytes >= MASK_LIMIT:
        problems.append(f"The mask is {_megabytes(mask_bytes)}; a mask must be under 4 MB.")
    return problems


def _shown(kind: str) -> str:
    return kind.upper() if kind else "of an unknown kind"


def _megabytes(size_bytes: int) -> str:
    return f"{size_bytes / MB:.1f} MB"
