"""Symbolic time to seconds and back, through a score's tempo map; bar lines from its meters.

Examples
--------
>>> from lemm.score.model import Score, TempoChange
>>> s = Score(tempos=(TempoChange(0, 120.0), TempoChange(1920, 60.0)))
>>> float(ticks_to_seconds(s, 1920))  # 4 quarters at 120 bpm
2.0
>>> float(ticks_to_seconds(s, 2400))  # one more quarter at 60 bpm
3.0
>>> int(seconds_to_ticks(s, 3.0))
2400
>>> bar_start_ticks(s, 3)
[0, 1920, 3840]
"""

from __future__ import annotations

import numpy as np

from lemm.errors import ParameterError
from lemm.score.model import Score

__all__ = ["ticks_to_seconds", "seconds_to_ticks", "bar_start_ticks", "bar_of_tick", "duration_seconds"]


def _segments(score: Score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tempo segment start ticks, start seconds and seconds per tick."""
    ticks = np.array([t.tick for t in score.tempos], dtype=np.float64)
    sec_per_tick = np.array([60.0 / (t.tempo_bpm * score.resolution) for t in score.tempos], dtype=np.float64)
    starts = np.concatenate([[0.0], np.cumsum(np.diff(ticks) * sec_per_tick[:-1])])
    return ticks, starts, sec_per_tick


def ticks_to_seconds(score: Score, ticks: float | np.ndarray) -> np.ndarray:
    """Convert tick positions to seconds with the score's tempo map.

    Parameters
    ----------
    score : Score
    ticks : float or np.ndarray [shape=(n,)]
        Positions in ticks (fractions allowed), >= 0.

    Returns
    -------
    np.ndarray [shape=ticks.shape], float64 seconds
    """
    t = np.asarray(ticks, dtype=np.float64)
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ParameterError.for_field("ticks", float(np.min(t)) if t.size else t, "finite positions >= 0")
    seg_ticks, seg_start, spt = _segments(score)
    idx = np.searchsorted(seg_ticks, t, side="right") - 1
    return seg_start[idx] + (t - seg_ticks[idx]) * spt[idx]


def seconds_to_ticks(score: Score, seconds: float | np.ndarray) -> np.ndarray:
    """Convert seconds to (fractional) ticks; the inverse of :func:`ticks_to_seconds`."""
    s = np.asarray(seconds, dtype=np.float64)
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ParameterError.for_field("seconds", s, "finite times >= 0")
    seg_ticks, seg_start, spt = _segments(score)
    idx = np.searchsorted(seg_start, s, side="right") - 1
    return seg_ticks[idx] + (s - seg_start[idx]) / spt[idx]


def bar_start_ticks(score: Score, n_bars: int) -> list[int]:
    """Start ticks of the first ``n_bars`` bars, following meter changes."""
    out: list[int] = []
    meters = list(score.meters)
    tick = 0
    m = 0
    while len(out) < n_bars:
        while m + 1 < len(meters) and meters[m + 1].tick <= tick:
            m += 1
        out.append(tick)
        tick += meters[m].bar_ticks(score.resolution)
    return out


def bar_of_tick(score: Score, tick: int) -> int:
    """Zero-based index of the bar that contains ``tick``."""
    if tick < 0:
        raise ParameterError.for_field("tick", tick, "an integer >= 0")
    bar = 0
    meters = list(score.meters)
    start = 0
    for i, m in enumerate(meters):
        end = meters[i + 1].tick if i + 1 < len(meters) else None
        length = m.bar_ticks(score.resolution)
        if end is None or tick < end:
            return bar + (tick - start) // length
        bar += (end - start) // length
        start = end
    return bar  # pragma: no cover


def duration_seconds(score: Score) -> float:
    """Length of the score (see :attr:`Score.end_tick`) in seconds."""
    return float(ticks_to_seconds(score, score.end_tick))
