"""Synthetic "recorded" takes with known faults, for testing and benchmarking vocal cleanup.

A take is sung by :func:`lemm.vocals.sing_track` from a melody whose notes
are moved: each note is detuned by ``detune_cents`` with a random sign,
starts ``timing_ms`` early or late (uniformly at random), scoops up into
its pitch from ``scoop_semitones`` below over 80 ms, and carries vibrato of
``vibrato_depth_cents`` at 5.5 Hz; white noise can be added at ``snr_db``.
Everything that was done is returned with the audio, so a cleanup can be
scored against the truth.

Examples
--------
>>> take = synthetic_take([(57, 0.5, 1.2), (60, 1.2, 2.0)], ["la", "la"], detune_cents=45.0)  # doctest: +SKIP
>>> [round(c) for c in take.detune_cents]  # doctest: +SKIP
[45, -45]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lemm.errors import ParameterError
from lemm.score.model import CurvePoint, ExpressionCurve, Lyric, Note, Score, TempoChange, Track
from lemm.seeding import check_seed, make_rng
from lemm.vocals.sing import sing_track
from lemm.vocals.tuning import MelodyNote

__all__ = ["SyntheticTake", "synthetic_take", "TICKS_PER_SECOND"]

#: The takes' score runs at 120 bpm with 480 ticks per quarter note.
TICKS_PER_SECOND = 960
_SCOOP_SECONDS = 0.08


@dataclass(frozen=True)
class SyntheticTake:
    """A sung take and the truth about it.

    Attributes
    ----------
    audio : np.ndarray [shape=(n_samples,)], float64
        The take with noise (if any).
    clean : np.ndarray [shape=(n_samples,)], float64
        The same take without noise.
    sample_rate : int
    melody : list of (midi_pitch, start_seconds, end_seconds)
        The notes as written.
    performed : list of (midi_pitch, start_seconds, end_seconds)
        The notes as sung: shifted starts (pitches as written; see ``detune_cents``).
    detune_cents : tuple[float, ...]
        Each note's detuning.
    vibrato_depth_cents : float
    snr_db : float or None
    """

    audio: np.ndarray
    clean: np.ndarray
    sample_rate: int
    melody: list[MelodyNote]
    performed: list[MelodyNote]
    detune_cents: tuple[float, ...]
    vibrato_depth_cents: float
    snr_db: float | None


def synthetic_take(
    melody: list[MelodyNote],
    syllables: list[str],
    *,
    sample_rate: int = 48000,
    detune_cents: float = 45.0,
    timing_ms: float = 40.0,
    vibrato_depth_cents: float = 30.0,
    scoop_semitones: float = 1.0,
    snr_db: float | None = None,
    voice: str = "voice_low",
    seed: int = 0,
) -> SyntheticTake:
    """Sing ``melody`` on ``syllables`` (one per note, each a word) with known faults.

    Parameters
    ----------
    melody : list of (midi_pitch, start_seconds, end_seconds)
        Non-overlapping notes, first start >= 0.3 s (room for consonants).
    syllables : list[str]
        One per note.
    sample_rate : int
    detune_cents, timing_ms, vibrato_depth_cents, scoop_semitones : float
        The faults (module notes); 0 turns one off.
    snr_db : float or None
        White noise at this signal-to-noise ratio over the whole take.
    voice : str
        ``"voice_low"`` or ``"voice_high"``.
    seed : int

    Returns
    -------
    SyntheticTake
    """
    seed = check_seed(seed)
    notes = sorted(((int(p), float(s), float(e)) for p, s, e in melody), key=lambda n: n[1])
    if not notes or len(syllables) != len(notes) or notes[0][1] < 0.3:
        raise ParameterError.for_field("melody/syllables", (len(notes), len(syllables)), "one syllable per note, first note at >= 0.3 s")
    rng = make_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=len(notes))
    shifts = rng.uniform(-1.0, 1.0, size=len(notes)) * timing_ms / 1000.0
    performed: list[MelodyNote] = []
    for i, (p, s, e) in enumerate(notes):
        start = s + shifts[i]
        end = e + (shifts[i + 1] if i + 1 < len(notes) and abs(notes[i + 1][1] - e) < 1e-6 else 0.0)
        performed.append((p, start, max(end, start + 0.05)))
    detune = tuple(float(d) for d in signs * detune_cents)
    ticks = lambda sec: int(round(sec * TICKS_PER_SECOND))  # noqa: E731
    score_notes = tuple(
        Note(p, ticks(s), max(ticks(e) - ticks(s), 1), velocity=100, lyric=Lyric(text))
        for (p, s, e), text in zip(performed, syllables, strict=True)
    )
    bend: list[CurvePoint] = []
    for (p, s, e), d in zip(performed, detune, strict=True):
        t0 = ticks(s)
        while bend and bend[-1].tick >= t0:
            bend.pop()
        bend.append(CurvePoint(t0, d / 100.0 - scoop_semitones))
        bend.append(CurvePoint(t0 + ticks(_SCOOP_SECONDS), d / 100.0))
        bend.append(CurvePoint(max(ticks(e) - 1, t0 + ticks(_SCOOP_SECONDS) + 1), d / 100.0))
    expression = (
        ExpressionCurve("pitch_bend_semitones", tuple(bend)),
        ExpressionCurve("vibrato_depth_cents", (CurvePoint(0, float(vibrato_depth_cents)),)),
        ExpressionCurve("vibrato_rate_hz", (CurvePoint(0, 5.5),)),
    )
    track = Track("vocal_take", "vocal", voice, notes=score_notes, expression=expression)
    score = Score(tempos=(TempoChange(0, 120.0),), tracks=(track,))
    clean = sing_track(track, score, sample_rate=sample_rate, seed=seed)[0].astype(np.float64)
    audio = clean
    if snr_db is not None:
        noise = rng.standard_normal(clean.size)
        noise *= np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10.0 ** (snr_db / 10.0))
        audio = clean + noise
    return SyntheticTake(audio, clean, int(sample_rate), notes, performed, detune, float(vibrato_depth_cents), snr_db)
