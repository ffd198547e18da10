"""Known-answer guide audio: drums, bass and chords synthesised with numpy from a form, tempo, meter and swing.

For tests, benchmarks and notebooks: the truth (tempo, downbeats, sections)
comes with the audio. Each section kind has its own progression, drum density
and level (a chorus is louder and busier than a verse, an intro and outro are
quiet), so sections can be told apart the way they can in a real song.

Examples
--------
>>> audio, truth = make_test_guide(tempo_bpm=100.0, form=(("verse", 4), ("chorus", 4)), sample_rate=8000)
>>> audio.shape, audio.dtype, truth["downbeats_seconds"][:3]
((1, 161600), dtype('float32'), [0.0, 2.4, 4.8])
"""

from __future__ import annotations

import numpy as np

from lemm.errors import ParameterError
from lemm.seeding import make_rng
from lemm.units import midi_to_hz

__all__ = ["make_test_guide"]

_PROGRESSIONS = {  # mode -> kind -> chords as (semitones of the root above the tonic, 1 if minor)
    "major": {
        "intro": ((0, 0), (5, 0)),
        "verse": ((0, 0), (9, 1), (5, 0), (7, 0)),
        "pre-chorus": ((2, 1), (5, 0), (7, 0), (7, 0)),
        "chorus": ((5, 0), (7, 0), (0, 0), (0, 0)),
        "bridge": ((4, 1), (9, 1), (2, 1), (7, 0)),
        "break": ((9, 1), (5, 0)),
        "outro": ((5, 0), (0, 0)),
    },
    "minor": {
        "intro": ((0, 1), (8, 0)),
        "verse": ((0, 1), (8, 0), (3, 0), (10, 0)),
        "pre-chorus": ((5, 1), (8, 0), (7, 0), (7, 0)),
        "chorus": ((8, 0), (10, 0), (0, 1), (0, 1)),
        "bridge": ((3, 0), (10, 0), (5, 1), (7, 0)),
        "break": ((8, 0), (5, 1)),
        "outro": ((8, 0), (0, 1)),
    },
}
_LEVEL = {"intro": 0.35, "verse": 0.6, "pre-chorus": 0.7, "chorus": 1.0, "post-chorus": 0.85, "bridge": 0.65, "break": 0.3, "drop": 1.0, "outro": 0.35}


def _tone(freq_hz: float, n: int, sample_rate: int, decay_per_s: float) -> np.ndarray:
    t = np.arange(n) / sample_rate
    return np.sin(2 * np.pi * freq_hz * t) * np.exp(-t * decay_per_s)


def make_test_guide(
    *,
    tempo_bpm: float,
    form: tuple[tuple[str, int], ...] = (("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8), ("outro", 4)),
    beats_per_bar: int = 4,
    swing: float = 0.0,
    tonic_midi: int = 60,
    mode: str = "major",
    lead_in_seconds: float = 0.0,
    sample_rate: int = 22050,
    seed: int = 0,
) -> tuple[np.ndarray, dict]:
    """Synthesise a guide of known tempo, meter, swing, key and form.

    Parameters
    ----------
    tempo_bpm : float
        Quarter-note tempo, 30..300.
    form : tuple of (kind, bars)
        Sections in order.
    beats_per_bar : int
        3 or 4 (kick on 1; snare on 2 and 4, or on 2 and 3).
    swing : float
        0..0.5: the off-beat eighth of the hi-hat sits ``swing / 3`` of a beat late.
    tonic_midi, mode : int, str
        Key: tonic as a MIDI note and ``"major"`` or ``"minor"``.
    lead_in_seconds : float
        Silence before bar 1.
    sample_rate : int
    seed : int
        Seed of the noise in the drums.

    Returns
    -------
    audio : np.ndarray [shape=(1, n_samples)], float32 in -1..1
    truth : dict
        ``tempo_bpm``, ``beats_per_bar``, ``downbeats_seconds``, ``sections``
        (list of (kind, start_bar, bars)), ``tonic_pc``, ``mode``.
    """
    if not 30.0 <= tempo_bpm <= 300.0 or beats_per_bar not in (3, 4) or not 0.0 <= swing <= 0.5 or mode not in _PROGRESSIONS:
        raise ParameterError.for_field("test guide", (tempo_bpm, beats_per_bar, swing, mode), "tempo 30..300, 3 or 4 beats per bar, swing 0..0.5, mode major or minor")
    rng = make_rng(seed)
    beat = 60.0 / tempo_bpm
    n_bars = sum(b for _, b in form)
    total = lead_in_seconds + n_bars * beats_per_bar * beat + 1.0
    n = int(total * sample_rate)
    y = np.zeros(n)
    m = int(0.3 * sample_rate)
    t = np.arange(m) / sample_rate
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-t * 30)) * t) * np.exp(-t * 12)
    snare = rng.normal(0, 1, m) * np.exp(-t * 25) * 0.45 + np.sin(2 * np.pi * 190 * t) * np.exp(-t * 20) * 0.4
    hat = np.diff(rng.normal(0, 1, m + 1)) * np.exp(-t * 80) * 0.12

    def add(sig: np.ndarray, at_s: float, gain: float) -> None:
        i = int(round(at_s * sample_rate))
        if 0 <= i < n:
            k = min(len(sig), n - i)
            y[i : i + k] += gain * sig[:k]

    bar = 0
    downbeats, sections = [], []
    bar_s = beats_per_bar * beat
    for kind, bars in form:
        sections.append((kind, bar, bars))
        level = _LEVEL.get(kind, 0.6)
        prog = _PROGRESSIONS[mode].get(kind, _PROGRESSIONS[mode]["verse"])
        for j in range(bars):
            start = lead_in_seconds + (bar + j) * bar_s
            downbeats.append(round(start, 6))
            root, minor = prog[j % len(prog)]
            pcs = (root, root + (3 if minor else 4), root + 7)
            nb = int(bar_s * sample_rate)
            for p in pcs:
                add(_tone(midi_to_hz(tonic_midi + p), nb, sample_rate, 0.8), start, 0.05 * (0.5 + 0.5 * level))
            add(_tone(midi_to_hz(tonic_midi - 24 + root), nb, sample_rate, 1.0), start, 0.2 * level)
            for k in range(beats_per_bar):
                at = start + k * beat
                if k == 0 or (beats_per_bar == 4 and k == 2 and level >= 0.5):
                    add(kick, at, level)
                elif level >= 0.5 or k == beats_per_bar - 1:
                    add(snare, at, level * (0.7 if beats_per_bar == 3 else 1.0))
                add(hat, at, 0.6 + 0.4 * level)
                if level >= 0.5:
                    add(hat, at + beat * (0.5 + swing / 3.0), 0.5 + 0.3 * level)
        bar += bars
    peak = float(np.max(np.abs(y))) or 1.0
    audio = (0.8 * y / peak).astype(np.float32)[None, :]
    truth = {
        "tempo_bpm": float(tempo_bpm),
        "beats_per_bar": beats_per_bar,
        "downbeats_seconds": downbeats,
        "sections": sections,
        "tonic_pc": tonic_midi % 12,
        "mode": mode,
    }
    return audio, truth
