"""Images through the run pipeline against the scripted server, which answers with real PNGs as
base64 and as URLs: each model's body as the API describes it, every image kept in the gallery
with what made it, URLs fetched once, the mask edit's form, and each error said as it is."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from tests.support.openapi import assert_valid
from tests.support.scripted_server import Fault, Images, ScriptedServer, form_fields, png_bytes
from workbench.core.endpoints import EndpointKind, new_endpoint
from workbench.core.image_models import MODELS, ImageOptions, output_tokens, problems
from workbench.core.runs import ErrorKind, RunKind, RunStatus
from workbench.services.connector import Connector
from workbench.services.endpoints import EndpointRegistry
from workbench.services.image_maker import ImageAsk, ImageMaker, ImagesFailed
from workbench.services.keys import KeyVault
from workbench.services.local import LocalServer
from workbench.services.run_service import RunService
from workbench.services.store import Store

KEY = "sk-image-test-0123456789"


@pytest.fixture
def scripted():
    with ScriptedServer(api_key=KEY) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "w.db")
    yield opened
    opened.close()


def _maker(tmp_path: Path, store: Store, server: ScriptedServer, retries: int = 0):
    registry = EndpointRegistry(tmp_path / "endpoints.json")
    endpoint = new_endpoint(EndpointKind.OPENAI, "Scripted").with_changes(
        base_url=server.base_url, default_model="gpt-4o"
    )
    registry.upsert(endpoint)
    registry.set_active(endpoint.id)
    keys = KeyVault()
    keys.set(endpoint, KEY)
    connector = Connector(registry, keys, LocalServer(), max_retries=retries)
    return ImageMaker(store, RunService(store, connector, announce=lambda _r: None))


def _image_requests(server: ScriptedServer, path: str):
    return [r for r in server.requests if r.path == f"/v1/images/{path}"]


OPTIONS = {
    "dall-e-2": ImageOptions(size="512x512", n=2),
    "dall-e-3": ImageOptions(size="1792x1024", quality="hd", style="natural"),
    "gpt-image-1": ImageOptions(
        size="1536x1024",
        quality="high",
        background="opaque",
        output_format="webp",
        compression=80,
        moderation="low",
        n=2,
    ),
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_models_body_is_what_the_api_takes_and_images_are_kept(
    name, tmp_path, store, scripted
) -> None:
    maker = _maker(tmp_path, store, scripted)
    model, options = MODELS[name], OPTIONS[name]
    scripted.script("images", Images(count=options.n, revised_prompt="A calm red fox."))
    ask = ImageAsk(model, "A fox in the snow", options)
    assert problems(model, ask.prompt, options) == []
    ids = asyncio.run(maker.make(ask))

    [sent] = _image_requests(scripted, "generations")
    assert_valid("CreateImageRequest", sent.body)
    assert sent.body["model"] == name and sent.body["prompt"] == "A fox in the snow"
    if name == "dall-e-3":
        assert (sent.body["quality"], sent.body["style"]) == ("hd", "natural")
    if name == "gpt-image-1":
        assert "response_format" not in sent.body  # gpt-image always answers in base64
        assert (sent.body["output_format"], sent.body["output_compression"]) == ("webp", 80)
    else:
        assert sent.body["response_format"] == "b64_json"
    assert len(ids) == options.n
    kept = store.gallery.get(ids[0])
    assert kept is not None and kept.prompt == "A fox in the snow" and kept.model == name
    assert kept.revised_prompt == "A calm red fox." and (kept.width, kept.height) == (64, 64)
    assert store.gallery.data(ids[0]) == png_bytes((64, 64), 0)
    assert store.runs.get(kept.run_id).kind is RunKind.IMAGE_GENERATION


def test_a_url_answer_is_fetched_once_and_kept(tmp_path, store, scripted) -> None:
    maker = _maker(tmp_path, store, scripted)
    scripted.script("images", Images(form="url", size=(32, 48)))
    [image_id] = asyncio.run(maker.make(ImageAsk(MODELS["dall-e-2"], "A door", ImageOptions())))
    fetched = [r for r in scripted.requests if r.path.startswith("/v1/served/")]
    assert len(fetched) == 1 and "authorization" not in fetched[0].headers  # the key stays
    assert store.gallery.data(image_id) == png_bytes((32, 48), 0)
    scripted.served.clear()  # the link expires: the image is still here
    assert store.gallery.data(image_id) == png_bytes((32, 48), 0)


def test_a_mask_edit_sends_the_image_the_mask_and_the_prompt(tmp_path, store, scripted) -> None:
    maker = _maker(tmp_path, store, scripted)
    scripted.script("images", Images())
    source = png_bytes((64, 64), 2)
    mask = png_bytes((64, 64), 3)
    original = store.gallery.add(source, "image/png", prompt="A room", model="dall-e-2",
                                 width=64, height=64)  # fmt: skip
    ask = ImageAsk(
        MODELS["dall-e-2"],
        "Add a window",
        ImageOptions(size="256x256"),
        RunKind.IMAGE_EDIT,
        image=source,
        mask=mask,
        source_id=original,
    )
    [edited] = asyncio.run(maker.make(ask))
    [sent] = _image_requests(scripted, "edits")
    fields = form_fields(sent)
    assert fields["image"] == source and fields["mask"] == mask
    assert (fields["prompt"], fields["model"], fields["size"]) == (
        "Add a window",
        "dall-e-2",
        "256x256",
    )
    assert fields["image.content_type"] == "image/png"
    kept = store.gallery.get(edited)
    assert kept.source_id == original and kept.kind == "image.edit"
    stored_request = store.runs.request(kept.run_id)
    assert stored_request["image"].startswith("<image.png:")  # bytes are not stored twice


def test_a_variation_of_a_dall_e_2_image(tmp_path, store, scripted) -> None:
    maker = _maker(tmp_path, store, scripted)
    scripted.script("images", Images(count=2))
    ask = ImageAsk(
        MODELS["dall-e-2"],
        "",
        ImageOptions(n=2),
        RunKind.IMAGE_VARIATION,
        image=png_bytes((64, 64), 1),
    )
    assert len(asyncio.run(maker.make(ask))) == 2
    [sent] = _image_requests(scripted, "variations")
    assert form_fields(sent)["n"] == "2"


def test_a_content_policy_refusal_is_said_as_one(tmp_path, store, scripted) -> None:
    maker = _maker(tmp_path, store, scripted)
    scripted.script(
        "images",
        Fault(
            400,
            "Your request was rejected as a result of our safety system.",
            code="content_policy_violation",
        ),
    )
    with pytest.raises(ImagesFailed) as failed:
        asyncio.run(maker.make(ImageAsk(MODELS["dall-e-3"], "Something", ImageOptions())))
    assert failed.value.record.error.kind is ErrorKind.REFUSED
    assert str(failed.value).startswith("Refused by the content policy")
    assert store.gallery.newest() == []


def test_a_429_is_retried_then_the_image_comes(tmp_path, store, scripted) -> None:
    maker = _maker(tmp_path, store, scripted, retries=1)
    scripted.script("images", Fault(429, "Rate limit reached", retry_after=0.1), Images())
    ids = asyncio.run(maker.make(ImageAsk(MODELS["dall-e-2"], "A cat", ImageOptions())))
    assert len(ids) == 1 and len(_image_requests(scripted, "generations")) == 2
    record = store.runs.get(store.gallery.get(ids[0]).run_id)
    assert record.status is RunStatus.COMPLETE


def test_a_bad_size_is_said_before_sending_and_a_400_after(tmp_path, store, scripted) -> None:
    model = MODELS["dall-e-3"]
    said = problems(model, "x", ImageOptions(size="512x512"))
    assert said == ["dall-e-3 makes 1024x1024, 1792x1024, 1024x1792, not 512x512."]
    maker = _maker(tmp_path, store, scripted)
    scripted.script("images", Fault(400, "Invalid size '640x640'.", code="invalid_size"))
    with pytest.raises(ImagesFailed) as failed:
        asyncio.run(maker.make(ImageAsk(MODELS["dall-e-2"], "x", ImageOptions())))
    assert "rejected the request (400)" in str(failed.value) and "640x640" in str(failed.value)


def test_limits_and_prices_before_sending(tmp_path, store, scripted) -> None:
    assert problems(MODELS["dall-e-2"], "x" * 1001, ImageOptions())[0].startswith(
        "The prompt is 1,001 characters; dall-e-2 takes at most 1,000."
    )
    assert problems(MODELS["dall-e-3"], "x", ImageOptions(n=2)) == [
        "dall-e-3 makes 1 to 1 images at a time."
    ]
    transparent_jpeg = ImageOptions(background="transparent", output_format="jpeg")
    assert "needs PNG or WebP" in " ".join(problems(MODELS["gpt-image-1"], "x", transparent_jpeg))
    assert "does not edit" in " ".join(problems(MODELS["dall-e-3"], "x", ImageOptions(), edit=True))
    maker = _maker(tmp_path, store, scripted)
    high = ImageAsk(MODELS["gpt-image-1"], "x", ImageOptions(size="1024x1024", quality="high"))
    assert output_tokens(high.model, high.options) == 4160
    assert maker.price(high).usd == pytest.approx(4160 * 40 / 1_000_000)
    unknown = maker.price(ImageAsk(MODELS["dall-e-3"], "x", ImageOptions()))
    assert unknown.usd is None  # genai-prices has no DALL·E prices: never a guess


def test_search_by_prompt_and_delete_with_undo(store) -> None:
    fox = store.gallery.add(png_bytes((8, 8)), "image/png", prompt="A red fox", model="m",
                            width=8, height=8)  # fmt: skip
    store.gallery.add(png_bytes((8, 8), 1), "image/png", prompt="A blue whale", model="m",
                      width=8, height=8, revised_prompt="A whale in deep water")  # fmt: skip
    assert [i.prompt for i in store.gallery.newest()] == ["A blue whale", "A red fox"]
    assert [i.id for i in store.gallery.newest("fox")] == [fox]
    assert [i.prompt for i in store.gallery.newest("deep")] == ["A blue whale"]
    store.gallery.hide([fox])
    assert store.gallery.newest("fox") == []
    store.gallery.unhide([fox])
    assert [i.id for i in store.gallery.newest("fox")] == [fox]
    assert base64.b64encode(store.gallery.data(fox))


def test_gpt_image_streams_rough_drafts_before_the_image(tmp_path, store, scripted) -> None:
    maker = _maker(tmp_path, store, scripted)
    scripted.script("images", Images(size=(48, 48)))
    drafts = []
    ask = ImageAsk(MODELS["gpt-image-1"], "A fox", ImageOptions(size="1024x1024"), partials=2)
    [image_id] = asyncio.run(maker.make(ask, on_partial=drafts.append))
    [sent] = _image_requests(scripted, "generations")
    assert_valid("CreateImageRequest", sent.body)
    assert sent.body["stream"] is True and sent.body["partial_images"] == 2
    assert [d.index for d in drafts] == [0, 1]
    assert [d.data for d in drafts] == [png_bytes((16, 16), 1), png_bytes((16, 16), 2)]
    assert store.gallery.data(image_id) == png_bytes((48, 48), 0)
    record = store.runs.get(store.gallery.get(image_id).run_id)
    assert record.usage.output_image_tokens == 272  # reported with the finished image
    assert record.cost_usd == pytest.approx(12 * 5 / 1e6 + 272 * 40 / 1e6)
