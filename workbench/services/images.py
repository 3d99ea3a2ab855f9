"""Images for the composer, made ready off the UI thread: checked, turned upright (EXIF),
downscaled to what the model will use, encoded, hashed, with a thumbnail.

What the API does not take but Pillow reads (BMP, TIFF…) is sent as PNG. The rest is refused
with a sentence saying why: not an image (or a kind this app cannot read: SVG, HEIC), broken,
too large a file, animated, or an image bomb (dimensions that would take gigabytes to decode;
Pillow's own guard, made strict).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from workbench.core.vision_tokens import sent_size

MAX_FILE_BYTES = 50 * 1024 * 1024  # the API's limit for a request's images
MAX_PIXELS = 100_000_000  # beyond this an image is refused before it is decoded
THUMB_PX = 96
_ORIENTATION = 0x0112  # the EXIF tag
# What the API takes as image input (Images and vision guide: PNG, JPEG, WEBP, non-animated GIF).
ACCEPTED = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


class ImageProblem(ValueError):
    """A file the composer refuses, with the reason as its message."""


@dataclass(frozen=True, slots=True)
class PreparedImage:
    data: bytes  # what is sent and stored
    mime: str
    width: int
    height: int
    digest: str  # sha256 of data: the store keeps each image once
    thumbnail: bytes  # PNG, at most THUMB_PX on a side
    name: str = ""
    original: tuple[int, int] = (0, 0)  # the file's own size, before downscaling

    @property
    def downscaled(self) -> bool:
        return self.original != (self.width, self.height)


def prepare(data: bytes, model: str, name: str = "") -> PreparedImage:
    """Raises ImageProblem. CPU-heavy: call it in a worker (see prepare_in_worker)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    label = name or "The image"
    if len(data) > MAX_FILE_BYTES:
        size = len(data) / 1024 / 1024
        raise ImageProblem(f"{label} is {size:.0f} MB: images may be at most 50 MB.")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageProblem(_too_big(label, probe.width, probe.height))
            if fmt == "GIF" and getattr(probe, "is_animated", False):
                raise ImageProblem(f"{label} is an animated GIF: the API takes still images only.")
            probe.verify()  # a truncated or damaged file stops here, before it is decoded
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            turned = image.getexif().get(_ORIENTATION, 1) not in (0, 1)
            upright = ImageOps.exif_transpose(image)
    except ImageProblem:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageProblem(f"{label} is too large to open safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise ImageProblem(f"{label} is not an image (or not one this app can read).") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageProblem(f"{label} is damaged and cannot be read: {exc}") from exc
    original = upright.size
    target = sent_size(*original, model)
    if target != original:
        upright = upright.resize(target, Image.Resampling.LANCZOS)
    # Sent as it will be seen; a format the API does not take (BMP, TIFF…) goes as PNG.
    if target != original or turned or fmt not in ACCEPTED or fmt == "GIF":
        data, mime = _encode(upright, fmt)
    else:
        mime = ACCEPTED[fmt]
    thumb = upright.copy()
    thumb.thumbnail((THUMB_PX, THUMB_PX))
    out = io.BytesIO()
    thumb.save(out, "PNG")
    return PreparedImage(
        data=data,
        mime=mime,
        width=upright.width,
        height=upright.height,
        digest=hashlib.sha256(data).hexdigest(),
        thumbnail=out.getvalue(),
        name=name,
        original=original,
    )


def _encode(image, fmt: str) -> tuple[bytes, str]:
    """A photo stays JPEG; anything else (transparency, drawings, GIF) becomes PNG."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90)
        return out.getvalue(), "image/jpeg"
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    image.save(out, "PNG", optimize=False)
    return out.getvalue(), "image/png"


def _too_big(label: str, width: int, height: int) -> str:
    return (
        f"{label} is {width:,} × {height:,} pixels: too large to open safely "
        f"(at most {MAX_PIXELS // 1_000_000} million pixels)."
    )


def read_file(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImageProblem(
            f"{path.name} is {size / 1024 / 1024:.0f} MB: images may be at most 50 MB."
        )
    return path.read_bytes()


async def prepare_in_worker(source: Path | bytes, model: str, name: str = "") -> PreparedImage:
    """`prepare` in a thread: decoding a large photo takes a noticeable fraction of a second."""

    def work() -> PreparedImage:
        data = read_file(source) if isinstance(source, Path) else source
        return prepare(data, model, name or (source.name if isinstance(source, Path) else ""))

    return await asyncio.to_thread(work)
