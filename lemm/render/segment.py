"""Cut a recording of single notes, played one after another, into one array per note (for timbre fitting).

:func:`lemm.render.fit_preset` wants one note per array. People record a few
notes in one take (a scale, or notes an octave apart) with a short gap
between them; :func:`split_notes` finds those notes from the level alone:
10 ms frames (RMS over 20 ms), a frame is sounding when its level is within
``threshold_db`` of the loudest frame, gaps shorter than ``min_gap_seconds``
are bridged and sounding stretches shorter than ``min_note_seconds`` dropped.
Each note runs from 10 ms before its first sounding frame to just before the
next note's (so its release and decay tail stay with it). Notes played
legato, with no drop in level between them, are one note to this function:
leave a gap.

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

__all__ = ["split_notes"]

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
    starts = [max(0, r[0] * hop - pre) for r in notes]
    ends = starts[1:] + [x.size]
    return [x[a:b].copy() for a, b in zip(starts, ends)]
