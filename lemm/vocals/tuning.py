"""Pitch correction of a sung f0 track: to a scale or to a melody, with retune speed and humanize.

A take's voiced frames are cut into notes (:func:`note_segments`): voiced
runs, split where the pitch, averaged over a vibrato cycle (250 ms), moves
to another target (by 0.15 semitones past the midpoint: hysteresis) for at
least ``min_note_ms``. Each note gets a target
pitch: the nearest pitch of the key's scale (``key``) or the score note
sounding at the note's middle (``melody``).

:func:`correct_pitch` then shifts the f0:

- ``humanize=True``: each note is moved by one constant offset, its target
  minus its median pitch, so its centre lands on the target and its
  vibrato, scoops and fine fluctuation are kept as sung; the offset glides
  from note to note with time constant ``retune_ms``;
- ``humanize=False``: every frame is pulled towards the target through a
  one-pole smoother of time constant ``retune_ms`` (0: hard tune, a flat
  line; larger: slower pull, so fast movements such as vibrato partly pass).

Examples
--------
>>> import numpy as np
>>> from lemm.vocals.analysis import PitchTrack
>>> t = np.arange(200) * 0.005
>>> f0 = 440.0 * 2 ** (0.4 / 12) * np.ones(200)  # 40 cents sharp of A4
>>> fixed = correct_pitch(PitchTrack(t, f0), key="A minor", humanize=True)
>>> round(float(np.median(fixed.f0_hz)), 2)
440.0
>>> parse_key("F# minor")
(6, 8, 9, 11, 1, 2, 4)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from lemm.errors import ParameterError
from lemm.score.harmony import scale_pitch_classes
from lemm.units import midi_to_hz
from lemm.vocals.analysis import PitchTrack, hz_to_midi

__all__ = ["parse_key", "NoteSegment", "note_segments", "correct_pitch", "MelodyNote"]

_KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b]?)\s*(major|minor|maj|min|m|)\s*$")
_SMOOTH_MS = 250.0
_GAP_MS = 40.0
_HYSTERESIS_SEMITONES = 0.3

#: A melody note for pitch and timing correction: (midi_pitch, start_seconds, end_seconds).
MelodyNote = tuple[int, float, float]


def parse_key(key: str) -> tuple[int, ...]:
    """Pitch classes of a key such as ``"A minor"``, ``"Eb major"``, ``"F#m"``, ``"C"``, or ``"chromatic"``."""
    if not isinstance(key, str):
        raise ParameterError.for_field("key", key, 'a key such as "A minor" or "Eb major", or "chromatic"')
    if key.strip().lower() == "chromatic":
        return tuple(range(12))
    m = _KEY_RE.match(key)
    if m is None:
        raise ParameterError.for_field("key", key, 'a key such as "A minor" or "Eb major", or "chromatic"')
    mode = "minor" if m.group(3) in ("minor", "min", "m") else "major"
    return scale_pitch_classes(m.group(1).upper() + m.group(2), mode)


@dataclass(frozen=True)
class NoteSegment:
    """A sung note: frames ``[start_frame, end_frame)``, its median pitch and its target (MIDI)."""

    start_frame: int
    end_frame: int
    centre_midi: float
    target_midi: float


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _nearest_in_scale(midi: np.ndarray, pcs: tuple[int, ...]) -> np.ndarray:
    cands = np.array(sorted(set(pcs)), dtype=np.float64)
    base = np.floor(midi / 12.0) * 12.0
    options = base[..., None] + np.concatenate([cands - 12.0, cands, cands + 12.0])[None, :]
    return options[np.arange(midi.size), np.argmin(np.abs(options - midi[..., None]), axis=-1)]


def _melody_target(times: np.ndarray, melody: list[MelodyNote]) -> np.ndarray:
    """Pitch of the note sounding at each time (the nearest note when none sounds)."""
    starts = np.array([s for _p, s, _e in melody])
    ends = np.array([e for _p, _s, e in melody])
    pitches = np.array([p for p, _s, _e in melody], dtype=np.float64)
    dist = np.maximum(starts[None, :] - times[:, None], 0.0) + np.maximum(times[:, None] - ends[None, :], 0.0)
    # ties (inside two overlapping notes, or between notes) go to the later-starting note
    score = dist - 1e-6 * np.arange(len(melody))[None, :]
    return pitches[np.argmin(score, axis=1)]


def _check_melody(melody: object) -> list[MelodyNote]:
    try:
        notes = sorted(((int(p), float(s), float(e)) for p, s, e in melody), key=lambda n: n[1])  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ParameterError.for_field("melody", melody, "a list of (midi_pitch, start_seconds, end_seconds)") from None
    if not notes or any(not (e > s and 0 <= p <= 127) for p, s, e in notes):
        raise ParameterError.for_field("melody", melody if not notes else notes[:3], "non-empty notes with end > start and pitch 0..127")
    return notes


def note_segments(
    pitch: PitchTrack,
    *,
    key: str | None = None,
    melody: list[MelodyNote] | None = None,
    min_note_ms: float = 80.0,
) -> list[NoteSegment]:
    """Cut a pitch track into sung notes with targets (exactly one of ``key`` and ``melody``)."""
    if (key is None) == (melody is None):
        raise ParameterError.for_field("key/melody", (key, melody is not None), "exactly one of a key and a melody")
    midi = pitch.midi
    times = pitch.times_seconds
    period_ms = float(times[1] - times[0]) * 1000.0 if times.size > 1 else 5.0
    voiced = np.isfinite(midi)
    # bridge short unvoiced gaps inside a note (consonants are re-split below by target changes)
    bridged = voiced.copy()
    for a, b in _runs(~voiced):
        if a > 0 and b < voiced.size and (b - a) * period_ms <= _GAP_MS:
            bridged[a:b] = True
    pcs = parse_key(key) if key is not None else None
    notes = _check_melody(melody) if melody is not None else None
    half = max(int(round(0.5 * _SMOOTH_MS / period_ms)), 1)
    min_frames = max(int(round(min_note_ms / period_ms)), 1)
    out: list[NoteSegment] = []
    for a, b in _runs(bridged):
        seg_midi = midi[a:b]
        ok = np.isfinite(seg_midi)
        if not np.any(ok):
            continue
        filled = np.interp(np.arange(b - a), np.flatnonzero(ok), seg_midi[ok])
        if notes is not None:
            target = _melody_target(times[a:b], notes)
        else:
            kernel = np.ones(2 * half + 1)
            smooth = np.convolve(np.pad(filled, half, mode="edge"), kernel / kernel.size, mode="valid")
            nearest = _nearest_in_scale(smooth, pcs)
            target = nearest.copy()
            for i in range(1, target.size):  # hysteresis: leave a target only when clearly past the midpoint
                keep = abs(smooth[i] - target[i - 1]) < abs(smooth[i] - nearest[i]) + _HYSTERESIS_SEMITONES
                target[i] = target[i - 1] if keep else nearest[i]
        runs = []
        start = 0
        for i in range(1, b - a + 1):
            if i == b - a or target[i] != target[start]:
                runs.append([start, i, target[start]])
                start = i
        merged: list[list] = []
        for run in runs:  # short runs join the previous note (or the next, at the start)
            if merged and run[1] - run[0] < min_frames:
                merged[-1][1] = run[1]
            elif merged and merged[-1][1] - merged[-1][0] < min_frames and len(merged) == 1 and merged[0][0] == 0:
                merged[-1] = [merged[-1][0], run[1], run[2]]
            else:
                merged.append(run)
        for s, e, tgt in merged:
            vals = seg_midi[s:e][np.isfinite(seg_midi[s:e])]
            if vals.size:
                out.append(NoteSegment(a + s, a + e, float(np.median(vals)), float(tgt)))
    return out


def _one_pole(x: np.ndarray, tau_frames: float) -> np.ndarray:
    if tau_frames <= 0 or x.size == 0:
        return x.copy()
    alpha = 1.0 - np.exp(-1.0 / tau_frames)
    from scipy.signal import lfilter

    y, _ = lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * x[0]])
    return y


def correct_pitch(
    pitch: PitchTrack,
    *,
    key: str | None = None,
    melody: list[MelodyNote] | None = None,
    retune_ms: float = 20.0,
    humanize: bool = False,
    segments: list[NoteSegment] | None = None,
) -> PitchTrack:
    """Correct a sung f0 track to a key's scale or to a melody.

    Parameters
    ----------
    pitch : PitchTrack
        The take's f0 (see :func:`lemm.vocals.analysis.track_pitch`).
    key : str or None
        E.g. ``"A minor"``; notes go to the nearest scale pitch.
    melody : list of (midi_pitch, start_seconds, end_seconds) or None
        Notes go to the score note sounding at their time.
    retune_ms : float
        Retune speed, 0..1000 ms (time constant of the pull to the target).
    humanize : bool
        Keep vibrato and scoops: move each note as a whole (module notes).
    segments : list[NoteSegment] or None
        Precomputed :func:`note_segments` (with the same key or melody).

    Returns
    -------
    PitchTrack
        Same frames; unvoiced frames stay 0.

    Raises
    ------
    ParameterError
        Without exactly one of ``key`` and ``melody``, or for a bad ``retune_ms``.
    """
    if isinstance(retune_ms, bool) or not isinstance(retune_ms, (int, float)) or not 0.0 <= retune_ms <= 1000.0:
        raise ParameterError.for_field("retune_ms", retune_ms, "a number of ms in 0..1000")
    if segments is None:
        segments = note_segments(pitch, key=key, melody=melody)
    times = pitch.times_seconds
    period_ms = float(times[1] - times[0]) * 1000.0 if times.size > 1 else 5.0
    midi = hz_to_midi(pitch.f0_hz)
    out = midi.copy()
    tau = retune_ms / period_ms
    # consecutive segments (no unvoiced gap between) share one smoother so offsets glide
    groups: list[list[NoteSegment]] = []
    for seg in segments:
        if groups and seg.start_frame <= groups[-1][-1].end_frame:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    for group in groups:
        a, b = group[0].start_frame, group[-1].end_frame
        seg_midi = midi[a:b]
        ok = np.isfinite(seg_midi)
        filled = np.interp(np.arange(b - a), np.flatnonzero(ok), seg_midi[ok])
        target = np.empty(b - a)
        centre = np.empty(b - a)
        for seg in group:
            target[seg.start_frame - a : seg.end_frame - a] = seg.target_midi
            centre[seg.start_frame - a : seg.end_frame - a] = seg.centre_midi
        if humanize:
            offset = _one_pole(target - centre, tau)
        else:
            offset = _one_pole(target - filled, tau)
        out[a:b] = np.where(ok, seg_midi + offset, np.nan)
    f0 = np.where(np.isfinite(out), midi_to_hz(np.nan_to_num(out, nan=69.0)), 0.0)
    return PitchTrack(times, f0)
