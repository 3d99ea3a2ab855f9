"""libespeak-ng through ctypes, from the `espeakng-loader` wheel (the library and its voice data).

eSpeak NG keeps one global synthesizer per process and is not thread-safe, so the library is
wrapped by one `Espeak` object whose lock every call takes. Synthesis is synchronous: the callback
runs on the calling thread, so callers run it in a worker thread, never on the event loop.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import numpy as np

# From speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2  # synthesize into the callback, return when done (no sound device)
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1  # espeak_PARAMETER: words per minute
EE_OK = 0
RAND_SEED = 1

_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class EspeakError(RuntimeError):
    pass


class Espeak:
    """The loaded library. Build it with `Espeak.load()`; one per process."""

    def __init__(self, library: ctypes.CDLL, data_path: Path) -> None:
        self._lib = library
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        _declare(library)
        rate = library.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), 0)
        if rate <= 0:
            raise EspeakError(f"eSpeak NG found no voice data in {data_path}")
        self.sample_rate: int = rate
        # ctypes frees a callback object that nothing references: keep it on the instance.
        self._callback = _Callback(self._collect)
        library.espeak_SetSynthCallback(self._callback)

    @classmethod
    def load(cls) -> Espeak:
        import espeakng_loader

        library = ctypes.CDLL(espeakng_loader.get_library_path())
        return cls(library, Path(espeakng_loader.get_data_path()))

    def synthesize(self, text: str, voice: str, words_per_minute: int) -> np.ndarray:
        """`text` spoken by `voice` (an eSpeak name such as "en-us+f3") as int16 mono samples."""
        # A NUL would end the C string early; the rest of the text would go unspoken.
        data = text.replace("\0", " ").encode("utf-8") + b"\0"
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
                raise EspeakError(f"eSpeak NG has no voice {voice!r}")
            self._lib.espeak_SetParameter(ESPEAK_RATE, words_per_minute, 0)
            # eSpeak draws noise for breath and consonants from rand(): a fixed seed makes the
            # same request give the same audio, as a cache or a test expects.
            self._lib.espeak_ng_SetRandSeed(RAND_SEED)
            self._chunks = []
            status = self._lib.espeak_Synth(
                data, len(data), 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None
            )
            chunks, self._chunks = self._chunks, []
        if status != EE_OK:
            raise EspeakError(f"eSpeak NG could not synthesize the text (error {status})")
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int) -> int:
        if wav and count > 0:
            # The buffer is eSpeak's own and reused for the next chunk: copy it out.
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).astype(np.int16))
        return 0  # 0 = go on synthesizing


def _declare(lib: ctypes.CDLL) -> None:
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_Callback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,  # text
        ctypes.c_size_t,  # size of the text buffer
        ctypes.c_uint,  # position
        ctypes.c_int,  # position type
        ctypes.c_uint,  # end position (0: none)
        ctypes.c_uint,  # flags
        ctypes.c_void_p,  # unique identifier out
        ctypes.c_void_p,  # user data
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_ng_SetRandSeed.restype = None
