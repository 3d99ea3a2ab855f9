"""Making images for the gallery through the run pipeline: generate, edit (with a mask) or vary,
each a run (stored, priced, in the inspector and cost meter); every image kept in the gallery
at once with what made it. Qt-free."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from workbench.core.budget import Estimate
from workbench.core.image_models import ImageModel, ImageOptions, generation_body, output_tokens
from workbench.core.pricing import Price, price_usage
from workbench.core.runs import (
    ImagePart,
    ImagesReceived,
    PartialImage,
    RunKind,
    RunParams,
    RunRecord,
    RunRequest,
    RunStatus,
    TextPart,
    Usage,
)
from workbench.services.run_pipeline import NoMessageSink, RunOrigin
from workbench.services.run_service import RunService
from workbench.services.store import Store


@dataclass(frozen=True, slots=True)
class ImageAsk:
    model: ImageModel
    prompt: str
    options: ImageOptions
    kind: RunKind = RunKind.IMAGE_GENERATION
    image: bytes | None = None  # edit / variation: the source image (PNG)
    mask: bytes | None = None  # edit: transparent where the model may paint
    source_id: int | None = None  # the gallery image it was made from
    partials: int = 0  # rough drafts to stream first (models that can; 0 to 3)


class ImagesFailed(RuntimeError):
    """The run ended without images; `record` says why (its error is shown as it is)."""

    def __init__(self, message: str, record: RunRecord | None = None) -> None:
        super().__init__(message)
        self.record = record


class ImageMaker:
    def __init__(self, store: Store, runs: RunService) -> None:
        self.store, self.runs = store, runs

    def request(self, ask: ImageAsk, endpoint_id: str | None = None) -> RunRequest:
        endpoint = self.runs.endpoint(endpoint_id)
        body = generation_body(ask.model, ask.prompt, ask.options, stream_partials=ask.partials)
        body.pop("model", None)
        body.pop("prompt", None)
        if ask.kind is RunKind.IMAGE_VARIATION:
            body = {k: v for k, v in body.items() if k in ("n", "size", "response_format")}
        inputs: list[TextPart | ImagePart] = [TextPart(ask.prompt)]
        if ask.image is not None:
            inputs.append(ImagePart(data=ask.image, mime="image/png"))
        if ask.mask is not None:
            inputs.append(ImagePart(data=ask.mask, mime="image/png"))
        return RunRequest(
            ask.kind,
            endpoint.id,
            RunParams(model=ask.model.name),
            inputs=tuple(inputs),
            options={"body": body},
        )

    def price(self, ask: ImageAsk, endpoint_id: str | None = None) -> Price:
        """What the request would cost, before it is sent: image tokens for gpt-image models,
        "unknown" where genai-prices has no data (DALL·E)."""
        endpoint = self.runs.endpoint(endpoint_id)
        tokens = output_tokens(ask.model, ask.options)
        if tokens is None:
            return price_usage(ask.model.name, endpoint.kind, Usage(), endpoint.base_url or None)
        usage = Usage(completion_tokens=tokens, output_image_tokens=tokens)
        return price_usage(ask.model.name, endpoint.kind, usage, endpoint.base_url or None)

    def estimate(self, ask: ImageAsk, endpoint_id: str | None = None) -> Estimate:
        """For the budget question, as chat runs are asked."""
        return Estimate(
            self.price(ask, endpoint_id), output_tokens(ask.model, ask.options) or 0, True
        )

    async def make(
        self,
        ask: ImageAsk,
        endpoint_id: str | None = None,
        on_partial: Callable[[PartialImage], None] = lambda _p: None,
    ) -> list[int]:
        """The new gallery ids, newest last; `on_partial` sees each rough draft as it streams.
        Raises ImagesFailed."""
        request = self.request(ask, endpoint_id)
        answers: list[ImagesReceived] = []

        def heard(event: object) -> None:
            if isinstance(event, ImagesReceived):
                answers.append(event)
            elif isinstance(event, PartialImage):
                on_partial(event)

        run = self.runs.start(request, RunOrigin(None, None), heard, sink=NoMessageSink())
        record = await self.runs.execute(run)
        if record.status is not RunStatus.COMPLETE or not answers or not answers[-1].images:
            error = record.error
            said = f"{error.title} {error.detail}".strip() if error else "No image came back."
            raise ImagesFailed(said, record)
        images = answers[-1].images
        share = record.cost_usd / len(images) if record.cost_usd is not None else None
        ids = []
        for image in images:
            width, height = _size(image.data)
            ids.append(
                self.store.gallery.add(
                    image.data,
                    image.mime,
                    prompt=ask.prompt,
                    model=ask.model.name,
                    width=width,
                    height=height,
                    revised_prompt=image.revised_prompt,
                    options=ask.options.to_dict(),
                    cost_usd=share,
                    run_id=record.run_id,
                    source_id=ask.source_id,
                    kind=str(ask.kind),
                )
            )
        return ids


def _size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError):
        return 0, 0
