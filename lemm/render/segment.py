"""Cut a recording of single notes, played one after another, into one array per note (for timbre fitting).

:func:`lemm.render.fit_preset` wants one note per array. People record a few
notes in one take (a scale, or notes an octave apart) with a short gap
between them; :func:`split_notes` finds those notes from the level alone:
10 ms frames (RMS over 20 ms), a frame is sounding when its level is within
``threshold_db`` of the loudest frame, gaps shorter than ``min_gap_seconds``
are bridged and sounding stretches shorter than ``min_note_seconds`` dropped.
Each note runs from 10 ms before its first sounding frame to just before the
next note's (so its release and decay tail stay with it). Notes played
legato, or with a room's reverb filling the gaps, are then split where the
pitch moves: a YIN pitch track (librosa), and a new note where the median
pitch of the 150 ms after a frame differs from that of the 150 ms before by
at least ``min_step_semitones`` while both stretches hold a steady pitch
(vibrato of up to about +/-40 cents does not split a note); the cut falls
10 ms before the pitch crosses halfway. Repeated notes of one pitch with no drop in
level between them stay one note: leave a gap.

Examples
--------
>>> sr = 16000; t = np.arange(sr // 2) / sr
>>> note = np.sin(2 * np.pi * 220 * t) * np.exp(-4 * t)
>>> take = np.concatenate([note, np.zeros(sr // 4), 0.5 * note, np.zeros(sr // 4)])
>>> [round(len(n) / sr, 2) for n in split_notes(take, sample_rate=sr)]  # the first has no room for the 10 ms before it
[0.74, 0.76]
"""

from __future__ import annotations

import math

import numpy as np

from lemm.errors import ParameterError

__all__ = ["split_notes", "pitch_steps"]

_HOP_SECONDS = 0.01
_PRE_ROLL_SECONDS = 0.01


def _positive(value: object, field: str, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.0 < value <= high:
        raise ParameterError.for_field(field, value, f"a number in (0, {high:g}]")
    return float(value)


def split_notes(
    audio: np.ndarray,
    *,
    sample_rate: int,
    threshold_db: float = -35.0,
    min_gap_seconds: float = 0.05,
    min_note_seconds: float = 0.1,
    min_step_semitones: float | None = 0.7,
) -> list[np.ndarray]:
    """One array per note of a take of single notes separated by short gaps.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)]
        The take; channels are averaged.
    sample_rate : int
        Hz, 8000..192000.
    threshold_db : float
        A frame sounds when its RMS is at most this far under the loudest
        frame's (dB, -80..-6).
    min_gap_seconds : float
        Quieter stretches shorter than this do not split a note (0..2 s).
    min_note_seconds : float
        Sounding stretches shorter than this are dropped as clicks (0..5 s).
    min_step_semitones : float or None
        Smallest pitch step that splits a sounding stretch into two notes
        (0.3..12); None splits on level alone.

    Returns
    -------
    list of np.ndarray [shape=(n_note_samples,)], float64
        The notes in order.

    Raises
    ------
    ParameterError
        A bad array (empty, non-finite, not 1-D or 2-D), sample rate or
        option, a silent take, or one in which no note is long enough.
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(0)
    if x.ndim != 1 or x.size == 0:
        raise ParameterError.for_field("take audio", f"shape {np.shape(audio)}", "a non-empty mono or (n_channels, n_samples) array")
    if not np.all(np.isfinite(x)):
        raise ParameterError.for_field("take audio", "non-finite samples (NaN or inf)", "finite samples")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or not 8000 <= sample_rate <= 192000:
        raise ParameterError.for_field("sample_rate", sample_rate, "an integer in 8000..192000 Hz")
    if isinstance(threshold_db, bool) or not isinstance(threshold_db, (int, float)) or not -80.0 <= threshold_db <= -6.0:
        raise ParameterError.for_field("threshold_db", threshold_db, "a number in -80..-6 dB")
    min_gap = _positive(min_gap_seconds, "min_gap_seconds", 2.0)
    min_note = _positive(min_note_seconds, "min_note_seconds", 5.0)
    if min_step_semitones is not None and (
        isinstance(min_step_semitones, bool) or not isinstance(min_step_semitones, (int, float)) or not 0.3 <= min_step_semitones <= 12.0
    ):
        raise ParameterError.for_field("min_step_semitones", min_step_semitones, "a number in 0.3..12, or None")
    hop = max(1, int(round(_HOP_SECONDS * sample_rate)))
    n_frames = int(math.ceil(x.size / hop))
    padded = np.pad(x, (hop // 2, hop // 2 + n_frames * hop - x.size))
    power = np.convolve(padded**2, np.ones(2 * hop) / (2 * hop), mode="same")[hop // 2 :: hop][:n_frames]
    peak = float(power.max())
    if peak < 1e-12:
        raise ParameterError.for_field("take audio", f"RMS peak {math.sqrt(peak):.2g}", "a take with sound in it")
    sounding = power >= peak * 10.0 ** (threshold_db / 10.0)
    # stretches of sounding frames: [start, end) in frames
    edges = np.flatnonzero(np.diff(np.concatenate([[0], sounding.astype(np.int8), [0]])))
    runs = [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2])]
    merged: list[list[int]] = []
    for run in runs:
        if merged and (run[0] - merged[-1][1]) * hop < min_gap * sample_rate:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    notes = [r for r in merged if (r[1] - r[0]) * hop >= min_note * sample_rate]
    if not notes:
        raise ParameterError.for_field(
            "take audio", f"no sounding stretch of {min_note:g} s or more (threshold {threshold_db:g} dB)", "a take with at least one note"
        )
    pre = int(round(_PRE_ROLL_SECONDS * sample_rate))
    starts = []
    for a, b in notes:
        starts.append(max(0, a * hop - pre))
        if min_step_semitones is not None:
            starts += [max(a * hop + s - pre, 0) for s in pitch_steps(x[a * hop : b * hop], sample_rate=sample_rate, hop=hop,
                                                       min_step_semitones=float(min_step_semitones), min_note_seconds=min_note)]
    ends = starts[1:] + [x.size]
    return [x[a:b].copy() for a, b in zip(starts, ends)]


def pitch_steps(audio: np.ndarray, *, sample_rate: int, hop: int, min_step_semitones: float, min_note_seconds: float) -> list[int]:
    """Samples of ``audio`` (one sounding stretch) where a new, steady pitch begins.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,)]
    sample_rate : int
    hop : int
        Samples between pitch frames.
    min_step_semitones : float
        Smallest change of the median pitch, 150 ms before against 150 ms after.
    min_note_seconds : float
        Cuts closer together (or to the stretch's ends) than this are not made.

    Returns
    -------
    list of int
        Sample offsets, increasing, where the pitch crosses halfway between the two notes.
    """
    import librosa

    fmin, fmax = 50.0, min(2000.0, sample_rate / 4.0)
    frame_length = 1 << int(math.ceil(math.log2(2.2 * sample_rate / fmin)))
    if audio.size < frame_length:
        return []
    f0 = librosa.yin(audio, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame_length, hop_length=hop, center=True)
    midi = 69.0 + 12.0 * np.log2(np.maximum(f0, 1e-6) / 440.0)
    w = max(int(round(_STEADY_SECONDS * sample_rate / hop)), 3)
    gap = max(int(round(min_note_seconds * sample_rate / hop)), w)
    cuts: list[int] = []
    j, n = w, midi.size
    while j <= n - w:
        before, after = midi[j - w : j], midi[j : j + w]
        step = float(np.median(after) - np.median(before))
        if abs(step) >= min_step_semitones and _steady(before) and _steady(after):
            # the strongest step nearby (the windows straddle the change best there) ...
            k_end = min(j + w, n - w + 1)
            steps = [abs(float(np.median(midi[k : k + w]) - np.median(midi[k - w : k]))) for k in range(j, k_end)]
            k = j + int(np.argmax(steps))
            lo, hi = float(np.median(midi[k - w : k])), float(np.median(midi[k : k + w]))
            # ... and the cut where the pitch crosses halfway from the old note to the new
            mid = 0.5 * (lo + hi)
            near = np.arange(max(k - w, 0), min(k + w, n))
            crossed = near[(midi[near] - mid) * np.sign(hi - lo) >= 0]
            cut = int(crossed[0]) if crossed.size else k
            if cut >= gap and (not cuts or cut - cuts[-1] >= gap) and n - cut >= gap:
                cuts.append(cut)
            j = max(k + 1, cut + 1)
            continue
        j += 1
    return [c * hop for c in cuts]


_STEADY_SECONDS = 0.15
_STEADY_SPREAD_SEMITONES = 0.8


def _steady(midi: np.ndarray) -> bool:
    """A steady pitch: the middle half of the frames within 0.8 semitone (vibrato fits, noise does not)."""
    q1, q3 = np.percentile(midi, [25, 75])
    return float(q3 - q1) <= _STEADY_SPREAD_SEMITONES
