"""Reading the audio endpoints' multipart form with Starlette's parser (python-multipart)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from workbench.local_server.errors import ApiError

# An hour of 16-bit 48 kHz stereo WAV is ~660 MB; compressed formats are far smaller. The cap only
# stops a runaway upload: the file is read into memory for decoding.
MAX_BODY_BYTES = 1024 * 1024 * 1024
FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Form:
    parts: list[Part] = field(default_factory=list)

    def part(self, name: str) -> Part | None:
        return next((p for p in self.parts if p.name == name), None)

    def text(self, name: str) -> str | None:
        part = self.part(name)
        return None if part is None else part.data.decode("utf-8", errors="replace")

    def texts(self, *names: str) -> list[str]:
        """Every value sent under any of `names` (arrays arrive as `key[]` repeated)."""
        return [p.data.decode("utf-8", errors="replace") for p in self.parts if p.name in names]


async def read_form(request: Request, max_bytes: int = MAX_BODY_BYTES) -> Form:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() not in FORM_CONTENT_TYPES:
        raise ApiError(
            400,
            "This endpoint takes multipart/form-data with the audio in a `file` field "
            f"(got Content-Type {content_type or 'none'!r}).",
            param="file",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(
            413,
            f"The upload is larger than {max_bytes // 2**20} MB.",
            param="file",
            code="file_too_large",
        )
    try:
        async with request.form(max_files=4, max_fields=64) as form:
            parts = [await _part(name, value) for name, value in form.multi_items()]
    except MultiPartException as exc:
        raise ApiError(
            400, f"The multipart form could not be read: {exc.message}", param="file"
        ) from exc
    return Form(parts)


async def _part(name: str, value: str | UploadFile) -> Part:
    if isinstance(value, UploadFile):
        return Part(name, value.filename, value.content_type, await value.read())
    return Part(name, None, None, value.encode("utf-8"))
