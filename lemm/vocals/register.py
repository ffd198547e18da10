"""Which voice sings a melody, and in which octave: the melody's range against each voice's comfortable one.

A voice's *comfortable* range (its tessitura) is narrower than what it can
reach: lemm's voices reach C3..G4 (``voice_low``) and A3..E5 (``voice_high``)
(:data:`lemm.compose.instruments.PRESET_RANGES`), and sing most clearly and
easily in D3..E4 and A3..C5. :func:`choose_voice` scores each voice, and
each octave shift of the melody (0 first, then +/-12), by how far the
melody's notes lie outside that comfortable range (semitones outside, summed
over notes weighted by length, per note), plus a small cost for shifting and
for not being the preferred voice; the best wins. :func:`register_shift` is
the octave shift for a given voice alone: 0 unless the melody's middle
(its length-weighted median) lies more than :data:`FAR_SEMITONES` outside
the comfortable range (a melody written for the voice stays as written);
otherwise the fewest octaves that bring its middle that near. lemm's
composer writes each melody inside its voice's range already; these are for
melodies from elsewhere (an imported MIDI or MusicXML vocal line) and for a
caller choosing a voice for a given melody. :func:`voice_for_track` is what
a composed song goes through (:func:`lemm.pipeline.make_score`): the voice
the brief or the genre asked for, unless the melody clearly suits the other
one better; the notes stay as written. :func:`lemm.vocals.sing_track`
sings the notes as written.

Examples
--------
>>> choose_voice([48, 50, 52, 53, 55])  # C3..G3: the low voice, as written
RegisterChoice(voice='voice_low', octave_shift=0)
>>> choose_voice([67, 69, 71, 72, 74])  # G4..D5
RegisterChoice(voice='voice_high', octave_shift=0)
>>> choose_voice([81, 84, 86, 88], preferred="voice_low")  # far above both: the low voice an octave and more down
RegisterChoice(voice='voice_low', octave_shift=-24)
>>> register_shift([60, 62, 64], "voice_high"), register_shift([84, 86, 88], "voice_high")
(0, -12)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lemm.errors import ParameterError

if TYPE_CHECKING:
    from lemm.score.model import Track

__all__ = ["COMFORT_RANGES", "RegisterChoice", "choose_voice", "register_shift", "voice_for_track", "FAR_SEMITONES"]

#: Each voice's comfortable range (MIDI, inclusive).
COMFORT_RANGES = {"voice_low": (50, 64), "voice_high": (57, 72)}
#: A melody whose middle lies further than this outside the comfortable range is moved by octaves.
FAR_SEMITONES = 5.0
_SHIFT_COST = 1.5  # per octave moved, in semitones-outside per note
_PREFERENCE_COST = 0.75


@dataclass(frozen=True)
class RegisterChoice:
    """A voice and the octave shift (a multiple of 12 semitones) its melody is sung with."""

    voice: str
    octave_shift: int


def _check(pitches, durations) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(list(pitches), dtype=np.float64)
    if p.size == 0:
        raise ParameterError.for_field("pitches", "empty", "at least one MIDI pitch")
    w = np.ones_like(p) if durations is None else np.asarray(list(durations), dtype=np.float64)
    if w.shape != p.shape or np.any(w < 0) or not np.any(w > 0):
        raise ParameterError.for_field("durations", durations, "one length >= 0 per pitch, not all 0")
    return p, w / w.sum()


def _outside(p: np.ndarray, w: np.ndarray, voice: str, shift: int) -> float:
    lo, hi = COMFORT_RANGES[voice]
    q = p + shift
    return float(np.sum(w * (np.maximum(lo - q, 0.0) + np.maximum(q - hi, 0.0))))


def choose_voice(pitches, *, durations=None, preferred: str | None = None, octave_shifts=(0, -12, 12, -24, 24)) -> RegisterChoice:
    """The voice and octave shift that sing a melody most comfortably.

    Parameters
    ----------
    pitches : sequence of int
        The melody's MIDI pitches.
    durations : sequence of float or None
        Their lengths (any unit), weighting each note; None weighs notes equally.
    preferred : str or None
        A voice asked for (e.g. by the brief); it wins ties and near-ties.
    octave_shifts : sequence of int
        The shifts tried (multiples of 12, 0 first); ``(0,)`` chooses the voice only, the notes as written.

    Returns
    -------
    RegisterChoice
    """
    if preferred is not None and preferred not in COMFORT_RANGES:
        raise ParameterError.for_field("preferred", preferred, f"None or one of {', '.join(COMFORT_RANGES)}")
    shifts = tuple(octave_shifts)
    if not shifts or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k % 12 for k in shifts):
        raise ParameterError.for_field("octave_shifts", octave_shifts, "one or more multiples of 12 semitones")
    p, w = _check(pitches, durations)
    best, best_cost = None, np.inf
    for voice in COMFORT_RANGES:
        for shift in shifts:
            cost = _outside(p, w, voice, shift) + _SHIFT_COST * abs(shift) / 12
            cost += _PREFERENCE_COST if preferred not in (None, voice) else 0.0
            if cost < best_cost - 1e-9:
                best, best_cost = RegisterChoice(voice, shift), cost
    return best


def voice_for_track(track: Track) -> Track:
    """A vocal track with the voice that sings its melody most comfortably (its notes as written).

    The track's own voice is the preferred one: it is kept unless the melody lies
    clearly nearer the other voice's comfortable range (:func:`choose_voice`
    with no octave shift). A track that is not a vocal one, has no notes, or
    names a voice lemm does not know is returned as it is.

    >>> from lemm.score.model import Note, Track
    >>> low = Track("vocal", "vocal", "voice_low", notes=tuple(Note(p, 480 * i, 480) for i, p in enumerate([67, 69, 71, 72])))
    >>> voice_for_track(low).preset
    'voice_high'
    """
    import dataclasses

    if track.role != "vocal" or not track.notes or track.preset not in COMFORT_RANGES:
        return track
    choice = choose_voice([n.pitch for n in track.notes], durations=[n.duration_ticks for n in track.notes], preferred=track.preset,
                          octave_shifts=(0,))
    return track if choice.voice == track.preset else dataclasses.replace(track, preset=choice.voice)


def register_shift(pitches, voice: str, *, durations=None) -> int:
    """Octave shift for ``voice`` to sing a melody: 0 unless its middle is far outside the comfortable range."""
    if voice not in COMFORT_RANGES:
        raise ParameterError.for_field("voice", voice, f"one of {', '.join(COMFORT_RANGES)}")
    p, w = _check(pitches, durations)
    order = np.argsort(p)
    middle = float(p[order][np.searchsorted(np.cumsum(w[order]), 0.5)])
    lo, hi = COMFORT_RANGES[voice]
    if lo - FAR_SEMITONES <= middle <= hi + FAR_SEMITONES:
        return 0
    for shift in (12, -12, 24, -24, 36, -36):  # the smallest octave move that brings the middle near enough
        if lo - FAR_SEMITONES <= middle + shift <= hi + FAR_SEMITONES:
            return shift
    return int(12 * round((0.5 * (lo + hi) - middle) / 12.0))
