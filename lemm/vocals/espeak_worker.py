"""The speech worker: a separate process that speaks text with espeak-ng.

espeak-ng is GPL-3 licensed, so lemm never loads it into its own process.
This script runs on its own (``python -I espeak_worker.py``), imports
nothing from lemm, loads ``libespeak-ng`` from the ``espeakng-loader``
package through ctypes, and talks JSON lines over stdin/stdout. The client
is :class:`lemm.vocals.speech.SpeechWorker`.

Protocol
--------
On start the worker writes ``{"ready": true, "sample_rate": 22050, "fresh": bool}``.
Each request is one JSON line; each answer is one JSON line:

- ``{"op": "speak", "text": str, "voice": str, "rate_wpm": int, "words": [str, ...], "fresh": bool}``
  -> ``{"ok": true, "sample_rate": int, "audio_b64": str (int16 little-endian),
  "phonemes": [[name, sample], ...], "word_phonemes": [str, ...]}``.
  ``phonemes`` are espeak's phoneme events in order, with the sample where
  each starts; ``word_phonemes`` is espeak's phoneme string (names
  separated by spaces) for each entry of ``words`` spoken alone.
- ``{"op": "quit"}`` -> the worker exits.

A failed request answers ``{"ok": false, "error": str}``.

espeak-ng keeps synthesiser state from one utterance to the next (filter
memories, in static variables that even re-initialising does not reset), so
an utterance depends on what the worker said before. With ``"fresh": true``
the worker forks and the child speaks from the state the worker had right
after start-up, then exits: the answer is the one a new worker would give to
its first request, for the price of a fork (about 1 ms) instead of a new
process (about 45 ms). The hello's ``"fresh"`` says whether this platform can
fork; where it cannot, a fresh request is refused and the client starts a new
worker instead.
"""

import base64
import ctypes
import json
import os
import sys

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class _Espeak:
    def __init__(self) -> None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
        )
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed ({self.sample_rate})")
        self.lib = lib
        # Klatt voices draw noise from a random generator: reseed it for each utterance, so the
        # same request always gives the same audio
        self._seed = getattr(lib, "espeak_ng_SetRandSeed", None)
        if self._seed is not None:
            self._seed.argtypes = [ctypes.c_long]
        self._srand = getattr(ctypes.CDLL(None), "srand", None)
        self._chunks: list = []
        self._events: list = []
        self._callback = _Callback(self._on_synth)  # keep a reference alive
        lib.espeak_SetSynthCallback(self._callback)
        self._voice = None

    def _on_synth(self, wav, n_samples, events) -> int:
        if n_samples > 0:
            self._chunks.append(ctypes.string_at(wav, n_samples * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                name = bytes(ev.id).split(b"\0", 1)[0].decode("utf-8", "replace")
                self._events.append([name, int(ev.sample)])
            i += 1
        return 0

    def _set_voice(self, voice: str, rate_wpm: int) -> None:
        if voice != self._voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"espeak-ng has no voice {voice!r}")
            self._voice = voice
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)

    def phonemes_of(self, word: str) -> str:
        buf = ctypes.create_string_buffer(word.encode("utf-8"))
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        parts = []
        while ptr.value:
            out = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, ord(" ") << 8)
            if out:
                parts.append(out.decode("utf-8", "replace"))
        return " ".join(p.strip() for p in parts if p.strip())

    def speak(self, text: str, voice: str, rate_wpm: int, words: list) -> dict:
        self._set_voice(voice, rate_wpm)
        self._chunks, self._events = [], []
        if self._seed is not None:
            self._seed(12345)
        if self._srand is not None:
            self._srand(12345)
        data = text.encode("utf-8")
        err = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if err != 0:
            raise RuntimeError(f"espeak_Synth failed ({err})")
        self.lib.espeak_Synchronize()
        audio = b"".join(self._chunks)
        if sys.byteorder != "little":  # pragma: no cover
            import array

            arr = array.array("h", audio)
            arr.byteswap()
            audio = arr.tobytes()
        return {
            "ok": True,
            "sample_rate": self.sample_rate,
            "audio_b64": base64.b64encode(audio).decode("ascii"),
            "phonemes": self._events,
            "word_phonemes": [self.phonemes_of(w) for w in words],
        }


def _write(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> int:
    """Serve requests from stdin until EOF or ``{"op": "quit"}``."""
    try:
        engine = _Espeak()
    except Exception as err:  # noqa: BLE001  (the worker process reports any failure to lemm, which raises it there); report why, then exit
        _write({"ready": False, "error": f"{type(err).__name__}: {err}"})
        return 1
    can_fork = hasattr(os, "fork")
    _write({"ready": True, "sample_rate": engine.sample_rate, "fresh": can_fork})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "quit":
                return 0
            if op != "speak":
                raise ValueError(f"op must be 'speak' or 'quit', got {op!r}")
            args = (str(req["text"]), str(req["voice"]), int(req["rate_wpm"]), list(req.get("words", [])))
            if not req.get("fresh"):
                _write(engine.speak(*args))
            elif not can_fork:
                raise ValueError("this worker cannot speak from a fresh state (no fork on this platform)")
            else:
                _speak_in_child(engine, args)
        except Exception as err:  # noqa: BLE001  (the worker process reports any failure to lemm, which raises it there)
            _write({"ok": False, "error": f"{type(err).__name__}: {err}"})
    return 0


def _speak_in_child(engine: "_Espeak", args: tuple) -> None:
    """Answer one request from a forked child, so this process's synthesiser state stays as it was."""
    pid = os.fork()
    if pid == 0:  # the child: answer, then leave without running the parent's exit handlers
        code = 0
        try:
            _write(engine.speak(*args))
        except Exception as err:  # noqa: BLE001  (the worker process reports any failure to lemm, which raises it there)
            _write({"ok": False, "error": f"{type(err).__name__}: {err}"})
        except BaseException:  # noqa: BLE001  (the worker process reports any failure to lemm, which raises it there)
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        _write({"ok": False, "error": f"the speaking child process ended with status {status}"})


if __name__ == "__main__":
    if len(sys.argv) > 1:  # extra import roots passed by the client (e.g. a user site)
        sys.path.extend(a for a in sys.argv[1:] if a not in sys.path)
    sys.exit(main())
