"""Endpoints: where requests go. Pure data plus the presets for the kinds people use."""

from __future__ import annotations

import uuid
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


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    name: str
    kind: EndpointKind
    base_url: str
    default_model: str = ""
    headers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def needs_key(self) -> bool:
        return PRESETS[self.kind].needs_key

    @property
    def is_local(self) -> bool:
        return self.kind is EndpointKind.LOCAL

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
                "Put the key in the key field, not in a header: keys are kept "
                "in the system keyring, headers are not."
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
