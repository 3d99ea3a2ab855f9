"""What the user is told before an image edit the API would refuse (limits from the OpenAPI
description's CreateImageEditRequest, tests/data/openai-openapi/openapi.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.ui.widgets.mask_checks import MB, edit_problems

SPEC = Path(__file__).resolve().parents[1] / "data" / "openai-openapi" / "openapi.json"


def test_a_square_png_under_4_mb_with_a_matching_mask_suits_dall_e_2() -> None:
    assert edit_problems("dall-e-2", "PNG", 1024, 1024, 3 * MB, (1024, 1024)) == []


def test_dall_e_2_refuses_what_is_not_png_square_or_small() -> None:
    problems = edit_problems("dall-e-2", "JPEG", 1024, 768, 5 * MB, (1024, 768))
    assert problems == [
        "dall-e-2 edits PNG images only; this image is JPG.",
        "dall-e-2 edits square images only; this image is 1024×768.",
        "This image is 5.0 MB; dall-e-2 takes images under 4 MB.",
    ]


def test_exactly_4_mb_is_too_much_for_dall_e_2() -> None:
    # The spec says "less than 4MB".
    assert edit_problems("dall-e-2", "png", 512, 512, 4 * MB, None) == [
        "This image is 4.0 MB; dall-e-2 takes images under 4 MB."
    ]


@pytest.mark.parametrize("kind", ["PNG", "WEBP", "JPEG", "jpg", "image/webp", ".png"])
def test_gpt_image_models_take_png_webp_and_jpeg_of_any_shape(kind: str) -> None:
    assert edit_problems("gpt-image-1", kind, 1536, 1024, 20 * MB, (1536, 1024)) == []


def test_gpt_image_models_refuse_other_formats_and_files_over_50_mb() -> None:
    problems = edit_problems("gpt-image-1.5", "GIF", 1024, 1024, 51 * MB, None)
    assert problems == [
        "gpt-image-1.5 edits PNG, WebP or JPEG images; this image is GIF.",
        "This image is 51.0 MB; gpt-image-1.5 takes images of at most 50 MB.",
    ]


def test_a_model_the_spec_does_not_name_goes_by_the_gpt_image_rules() -> None:
    assert edit_problems("my-local-model", "png", 100, 50, 1 * MB, None) == []
    assert "at most 50 MB" in edit_problems("my-local-model", "png", 100, 50, 60 * MB, None)[0]


def test_dall_e_3_is_told_it_cannot_edit() -> None:
    assert edit_problems("dall-e-3", "png", 1024, 1024, MB, None) == [
        "dall-e-3 cannot edit images: choose dall-e-2 or a GPT image model."
    ]


def test_the_mask_must_have_the_image_dimensions() -> None:
    assert edit_problems("gpt-image-1", "png", 1024, 1024, MB, (512, 512)) == [
        "The mask is 512×512 but the image is 1024×1024; they must be the same size."
    ]


def test_the_mask_must_be_under_4_mb() -> None:
    problems = edit_problems("gpt-image-1", "png", 4096, 4096, MB, (4096, 4096), 5 * MB)
    assert problems == ["The mask is 5.0 MB; a mask must be under 4 MB."]


def test_the_limits_are_the_ones_the_api_describes() -> None:
    """If OpenAI's description changes, this fails and the checks need a look."""
    request = json.loads(SPEC.read_text(encoding="utf-8"))["components"]["schemas"][
        "CreateImageEditRequest"
    ]["properties"]
    image, mask = request["image"]["description"], request["mask"]["description"]
    assert "`png`, `webp`, or `jpg`\nfile less than 50MB" in image
    assert "square\n`png` file less than 4MB" in image
    assert "less than 4MB, and have the same dimensions as `image`" in mask
