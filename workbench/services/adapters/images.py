"""Images: `images.generate`, `images.edit` and `images.create_variation`, answered with every
image's bytes. An answer given as URLs is fetched at once (OpenAI's URLs expire after an hour),
so what the gallery keeps never depends on a link.

The stored body names the image and mask files (name and size) instead of carrying them.
"""

from __future__ import annotations

import asyncio
import base64
import urllib.request
from typing import TYPE_CHECKING, Any

from workbench.core.endpoints import Endpoint
from workbench.core.runs import (
    GeneratedImage,
    ImagePart,
    ImagesReceived,
    PartialImage,
    ResponseOpened,
    RunFinished,
    RunKind,
    RunRequest,
    TextPart,
    Usage,
    UsageReported,
)
from workbench.services.adapters.base import Emit
from workbench.services.adapters.failures import reported_failures

if TYPE_CHECKING:
    import openai

FETCH_TIMEOUT_S = 60.0
MIME_BY_FORMAT = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class ImageRequest:
    def __init__(self, kind: RunKind) -> None:
        self.kind = kind

    def body(self, request: RunRequest, endpoint: Endpoint) -> dict[str, Any]:
        body = dict(request.options.get("body") or {})
        body["model"] = request.model
        if self.kind is not RunKind.IMAGE_VARIATION:
            body["prompt"] = prompt_of(request)
        image, mask = files_of(request)
        if image is not None:
            body["image"] = f"<image.png: {len(image.data):,} bytes>"
        if mask is not None:
            body["mask"] = f"<mask.png: {len(mask.data):,} bytes>"
        return body

    async def send(
        self, client: openai.AsyncOpenAI, request: RunRequest, body: dict[str, Any], emit: Emit
    ) -> None:
        image, mask = files_of(request)
        arguments = {k: v for k, v in body.items() if k not in ("image", "mask")}
        if body.get("stream"):
            await self._stream(client, request, arguments, image, mask, emit)
            return
        with reported_failures(client, emit):
            if self.kind is RunKind.IMAGE_GENERATION:
                raw = await client.images.with_raw_response.generate(**arguments)
            elif self.kind is RunKind.IMAGE_EDIT:
                assert image is not None, "an edit needs an image"
                files: dict[str, Any] = {"image": ("image.png", image.data, image.mime)}
                if mask is not None:
                    files["mask"] = ("mask.png", mask.data, "image/png")
                raw = await client.images.with_raw_response.edit(**arguments, **files)
            else:
                assert image is not None, "a variation needs an image"
                arguments.pop("prompt", None)
                raw = await client.images.with_raw_response.create_variation(
                    image=("image.png", image.data, image.mime), **arguments
                )
            headers = dict(raw.headers.items())
            emit(ResponseOpened(headers, headers.get("x-request-id")))
            answer = raw.http_response.json()
            mime = MIME_BY_FORMAT.get(str(body.get("output_format", "png")), "image/png")
            images = [await _image(item, mime) for item in answer.get("data") or []]
            emit(ImagesReceived(tuple(images)))
            emit(UsageReported(image_usage(answer.get("usage"))))
            emit(RunFinished("stop", request.model))

    async def _stream(
        self,
        client: openai.AsyncOpenAI,
        request: RunRequest,
        arguments: dict[str, Any],
        image: ImagePart | None,
        mask: ImagePart | None,
        emit: Emit,
    ) -> None:
        """gpt-image models stream rough drafts (partial images) before each finished image."""
        mime = MIME_BY_FORMAT.get(str(arguments.get("output_format", "png")), "image/png")
        done: list[GeneratedImage] = []
        usage = Usage()
        with reported_failures(client, emit):
            if self.kind is RunKind.IMAGE_EDIT and image is not None:
                files: dict[str, Any] = {"image": ("image.png", image.data, image.mime)}
                if mask is not None:
                    files["mask"] = ("mask.png", mask.data, "image/png")
                stream = await client.images.edit(**arguments, **files)
            else:
                stream = await client.images.generate(**arguments)
            headers = dict(stream.response.headers.items())
            emit(ResponseOpened(headers, headers.get("x-request-id")))
            try:
                async for event in stream:
                    kind = getattr(event, "type", "")
                    data = base64.b64decode(getattr(event, "b64_json", "") or "")
                    if kind.endswith("partial_image"):
                        emit(PartialImage(int(event.partial_image_index), data))
                    elif kind.endswith("completed"):
                        done.append(GeneratedImage(data, mime))
                        raw_usage = getattr(event, "usage", None)
                        if raw_usage is not None:
                            usage = image_usage(raw_usage.model_dump())
            finally:
                await stream.close()
            emit(ImagesReceived(tuple(done)))
            emit(UsageReported(usage))
            emit(RunFinished("stop", request.model))


async def _image(item: dict[str, Any], mime: str) -> GeneratedImage:
    revised = item.get("revised_prompt")
    if item.get("b64_json"):
        return GeneratedImage(base64.b64decode(item["b64_json"]), mime, revised)
    data, kind = await asyncio.to_thread(_fetch, str(item["url"]))
    return GeneratedImage(data, kind if kind.startswith("image/") else mime, revised)


def _fetch(url: str) -> tuple[bytes, str]:
    """An image URL, fetched without the API key (the link is signed; the key stays with the
    API). Raises OSError (URLError, HTTPError) when it cannot be had."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"Not a web address: {url[:80]}")
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as answer:
        kind = answer.headers.get("Content-Type", "").split(";")[0]
        return answer.read(), kind


def image_usage(usage: Any) -> Usage:
    """gpt-image models report tokens (text and image in, image out); DALL·E reports none."""
    if not isinstance(usage, dict):
        return Usage()
    details = usage.get("input_tokens_details") or {}
    output = int(usage.get("output_tokens") or 0)
    return Usage(
        prompt_tokens=int(usage.get("input_tokens") or 0),
        completion_tokens=output,
        input_image_tokens=int(details.get("image_tokens") or 0),
        output_image_tokens=output,
    )


def prompt_of(request: RunRequest) -> str:
    return "".join(p.text for p in request.inputs if isinstance(p, TextPart))


def files_of(request: RunRequest) -> tuple[ImagePart | None, ImagePart | None]:
    """The image to edit (or vary) and, for an edit with one, its mask (the second image)."""
    images = [p for p in request.inputs if isinstance(p, ImagePart)]
    image = images[0] if images else None
    mask = images[1] if len(images) > 1 else None
    return image, mask
