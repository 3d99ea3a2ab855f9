"""Endpoints: where requests go. Pure data plus the presets for the kinds people use."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum


class EndpointKind(StrEnum):
    LOCAL = "local"
    OPENAI = "openai"
    AZURE = "azure"
    OPENROUTER = "openrouter"
    OLLAMA = "ollama"
    VLLM = "vllm"
    LM_STUDIO = "lmstudio"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class KindPreset:
    label: str
    base_url: str
    default_model: str
    needs_key: bool
    hint: str


PRESETS: dict[EndpointKind, KindPreset] = {
    EndpointKind.LOCAL: KindPreset(
        "Local (built-in model)",
        "",
        "smollm2-135m-instruct",
        False,
        "The small model that ships with Workbench; started on demand, no key, no network.",
    ),
    EndpointKind.OPENAI: KindPreset(
        "OpenAI",
        "https://api.openai.com/v1",
        "gpt-4o-mini",
        True,
        "Uses OPENAI_API_KEY from the environment when no key is saved.",
    ),
    EndpointKind.AZURE: KindPreset(
        "Azure OpenAI",
        "https://YOUR-RESOURCE.openai.azure.com/openai/v1",
        "gpt-4o-mini",
        True,
        "Your resource's /openai/v1 URL; the model is the deployment name.",
    ),
    EndpointKind.OPENROUTER: KindPreset(
        "OpenRouter",
        "https://openrouter.ai/api/v1",
        "openai/gpt-4o-mini",
        True,
        "Models are named provider/model.",
    ),
    EndpointKind.OLLAMA: KindPreset(
        "Ollama",
        "http://127.0.0.1:11434/v1",
        "llama3.2",
        False,
        "Ollama's OpenAI-compatible API; no key needed.",
    ),
    EndpointKind.VLLM: KindPreset(
        "vLLM",
        "http://127.0.0.1:8000/v1",
        "",
        False,
        "A key is needed only if the server was started with --api-key.",
    ),
    EndpointKind.LM_STUDIO: KindPreset(
        "LM Studio",
        "http://127.0.0.1:1234/v1",
        "",
        False,
        "Start the server in LM Studio's Developer tab first.",
    ),
    EndpointKind.CUSTOM: KindPreset(
        "Other OpenAI-compatible",
        "http://127.0.0.1:8080/v1",
        "",
        False,
        "Any server that speaks the OpenAI chat completions API.",
    ),
}

LOCAL_ENDPOINT_ID = "local"
# Kinds documented to continue a final assistant message: vLLM with `continue_final_message`
# (which the chat adapter sends). llama.cpp's llama-server prefills by default too, but it is
# added as "Other", beside servers that do not (llama-cpp-python's own server answers anew).
PREFIX_BY_DEFAULT = frozenset({EndpointKind.VLLM})
DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    name: str
    kind: EndpointKind
    base_url: str
    default_model: str = ""
    headers: tuple[tuple[str, str], ...] = field(default=())
    # Seconds to wait for the server (connecting, then each read). The SDK's 60 s suits most;
    # a slow local model may need more, and a dead server is told sooner with less.
    timeout_s: float = DEFAULT_TIMEOUT_S
    # Whether the server carries on from a final assistant message (Continue, forking from a
    # token) instead of answering it anew. Servers differ and none says so; the user can tell.
    continues_prefix: bool = False

    @property
    def needs_key(self) -> bool:
        return PRESETS[self.kind].needs_key

    @property
    def is_local(self) -> bool:
        return self.kind is EndpointKind.LOCAL

    @property
    def can_continue(self) -> bool:
        """Continue and forking from a token work here (the built-in server always does)."""
        return self.is_local or self.continues_prefix

    def with_changes(self, **changes: object) -> Endpoint:
        return replace(self, **changes)  # type: ignore[arg-type]


def new_endpoint(kind: EndpointKind, name: str | None = None) -> Endpoint:
    preset = PRESETS[kind]
    return Endpoint(
        id=uuid.uuid4().hex[:12],
        name=name or preset.label,
        kind=kind,
        base_url=preset.base_url,
        default_model=preset.default_model,
        continues_prefix=kind in PREFIX_BY_DEFAULT,
    )


def local_endpoint() -> Endpoint:
    preset = PRESETS[EndpointKind.LOCAL]
    return Endpoint(LOCAL_ENDPOINT_ID, "Local", EndpointKind.LOCAL, "", preset.default_model)


class EndpointProblem(ValueError):
    pass


def validate_endpoint(endpoint: Endpoint, taken_names: set[str]) -> None:
    """Raise EndpointProblem with a sentence the settings dialog can show as is."""
    if not endpoint.name.strip():
        raise EndpointProblem("Give the endpoint a name.")
    if endpoint.name.strip().casefold() in {n.casefold() for n in taken_names}:
        raise EndpointProblem(f"There is already an endpoint called “{endpoint.name}”.")
    if endpoint.is_local:
        return
    url = endpoint.base_url.strip()
    if not url.startswith(("http://", "https://")) or len(url) < len("http://x"):
        raise EndpointProblem("The base URL must start with http:// or https://.")
    if "YOUR-RESOURCE" in url:
        raise EndpointProblem("Put your Azure resource name in the base URL.")
    for name, _ in endpoint.headers:
        if not name.strip() or any(c in name for c in ":\r\n "):
            raise EndpointProblem(f"“{name}” is not a valid header name.")
        if name.strip().lower() in {"authorization", "api-key"}:
            raise EndpointProblem(
                "Put the key in the key field, not in a header: it is kept in the system "
                "keyring and sent the way this endpoint expects."
            )


def parse_headers(text: str) -> tuple[tuple[str, str], ...]:
    """`Name: value` per line, as typed in the settings dialog."""
    headers: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise EndpointProblem(f"“{line.strip()}” needs the form Name: value.")
        headers.append((name.strip(), value.strip()))
    return tuple(headers)


def format_headers(headers: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


# A header whose name says it carries a credential: its value goes to the keyring like a key.
_SECRET_HEADER_MARKS = ("key", "token", "secret", "auth", "password", "cookie")
# How the settings dialog shows a secret header's value; left as is, the saved value is kept.
HEADER_MASK = "••••••••"
# Shorter values are not redacted: replacing a 3-letter value everywhere would garble the text
# around it, and no real key is that short.
MIN_SECRET_LEN = 8


def is_secret_header(name: str) -> bool:
    lowered = name.casefold()
    return any(mark in lowered for mark in _SECRET_HEADER_MARKS)


def masked_headers(headers: tuple[tuple[str, str], ...]) -> str:
    """The headers as the dialog shows them: secret values masked."""
    shown = ((n, HEADER_MASK if is_secret_header(n) and v else v) for n, v in headers)
    return format_headers(tuple(shown))


def unmasked_headers(
    edited: tuple[tuple[str, str], ...], saved: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """Headers from the dialog, a still-masked value replaced by the one saved under that name."""
    kept = {name.casefold(): value for name, value in saved}
    return tuple(
        (name, kept.get(name.casefold(), "") if value == HEADER_MASK else value)
        for name, value in edited
    )


def endpoint_secrets(endpoint: Endpoint, key: str | None) -> tuple[str, ...]:
    """What must never be stored or shown for a run on `endpoint`: its key, its secret headers."""
    values = [key or "", *(v for n, v in endpoint.headers if is_secret_header(n))]
    # The bare credential too, so an echo of only the token part of "Bearer x" is caught.
    values += [v.split(" ", 1)[1] for v in values if " " in v.strip()]
    return tuple(v.strip() for v in values if len(v.strip()) >= MIN_SECRET_LEN)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by a marker that still says what kind it was."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "sk-…REDACTED" if secret.startswith("sk-") else "…REDACTED")
    return text
