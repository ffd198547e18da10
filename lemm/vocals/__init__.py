"""lemm.vocals: lyrics -> syllables, and singing a vocal track.

The speech worker process starts only when :func:`sing_track` runs; the cleanup
functions below are imported on first use.

- :func:`syllabify` splits lyrics into lines of words of syllables (pure Python).
- :func:`sing_track` sings a vocal track of a score into a stem (speech-to-singing:
  espeak-ng speaks the words in a separate worker process, WORLD re-sings them
  on the notes).
- :func:`clean_vocal` cleans a recorded take (pitch to a key or melody, timing
  to a grid or melody, noise reduction); :func:`shift_pitch` and
  :func:`stretch_time` shift or stretch it keeping its formants. All work in
  the WORLD domain (:mod:`lemm.vocals.analysis`, ``tuning``, ``timing``,
  ``denoise``, ``transform``, ``clean``); ``lemm vocals clean|shift|stretch``
  is their command line (:mod:`lemm.cli_vocals`).
- :mod:`lemm.vocals.handoff` writes the vocal line (notes, lyrics, phonemes,
  tempo) as OpenUtau ``.ustx`` and Synthesizer V ``.svp`` projects;
  :mod:`lemm.vocals.take_import` makes a sung take a song's vocal stem
  (``lemm vocals export|import``); :mod:`lemm.vocals.register` chooses a voice
  and octave for a melody.
- :mod:`lemm.vocals.judge` scores sung words with an offline recognizer
  (pocketsphinx, an evaluation extra) and :mod:`lemm.vocals.takes` builds
  synthetic takes with known faults.

Examples
--------
>>> from lemm.vocals import syllabify
>>> [s.text for s in syllabify("hello")[0].words[0].syllables]
['hel', 'lo']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lemm.score.instruments import names_of_kind
from lemm.text.syllables import LyricLine, Syllable, Word, syllabify
from lemm.vocals.sing import sing_track as _sing_track

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from lemm.score.model import Score, Track

__all__ = [
    "syllabify",
    "sing_track",
    "clean_vocal",
    "shift_pitch",
    "stretch_time",
    "LyricLine",
    "Word",
    "Syllable",
    "VOICE_NAMES",
]

_LAZY = {"clean_vocal": "lemm.vocals.clean", "shift_pitch": "lemm.vocals.transform", "stretch_time": "lemm.vocals.transform"}


def __getattr__(name: str):
    """Import the cleanup functions on first use (they pull in pyworld and scipy)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Voices a vocal track's preset may name (the catalogue's voices).
VOICE_NAMES = names_of_kind("voice")


def sing_track(
    track: "Track",
    score: "Score",
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    n_samples: int | None = None,
    n_workers: int | None = None,
) -> "np.ndarray":
    """Sing a vocal track into a stem [shape=(2, n_samples)], float32.

    See :func:`lemm.vocals.sing.sing_track` for the parameters.
    """
    return _sing_track(track, score, sample_rate=sample_rate, seed=seed, n_samples=n_samples, n_workers=n_workers)
