"""What a SoundFont player or DAW needs to hear lemm's mix and expression: CC7 track gain and pitch bend with vibrato.

- ``gain_db`` becomes CC7 (channel volume) on the GM curve ``gain_db = 40 log10(cc / 127)``,
  so 0 dB is 127 and -12 dB is 64;
- the ``pitch_bend_semitones`` curve plus the vibrato (``vibrato_depth_cents`` peak deviation
  at ``vibrato_rate_hz``, phase running in seconds through the tempo map) become pitch-wheel
  messages while notes sound, with the RPN 0 bend range set to cover them.

Examples
--------
>>> gain_to_cc7(0.0), gain_to_cc7(-12.0), round(cc7_to_gain(64), 1)
(127, 64, -11.9)
"""

from __future__ import annotations

import math
from typing import Any

import mido
import numpy as np

from lemm.score import model as m
from lemm.score.timing import ticks_to_seconds

__all__ = ["bend_messages", "cc7_to_gain", "gain_to_cc7"]


def gain_to_cc7(gain_db: float) -> int:
    """CC7 value 0..127 for a track gain in dB (GM volume curve)."""
    return int(min(127, max(0, round(127 * 10 ** (gain_db / 40)))))


def cc7_to_gain(cc: int) -> float:
    """Track gain in dB (-60..0) for a CC7 value."""
    return max(-60.0, 40 * math.log10(max(cc, 1) / 127))


def _curve(track: m.Track, name: str, ticks: np.ndarray, default: float) -> np.ndarray:
    c = track.curve(name)
    if c is None or not c.points:
        return np.full(ticks.shape, default)
    return np.interp(ticks, [p.tick for p in c.points], [p.value for p in c.points])


def bend_messages(track: m.Track, score: m.Score, channel: int) -> list[tuple[int, int, Any]]:
    """(tick, order, message) pitch-bend events for the bend curve and the vibrato, empty when the track has neither."""
    has_vibrato = track.curve("vibrato_depth_cents") is not None and any(p.value > 0 for p in track.curve("vibrato_depth_cents").points)
    if not track.notes or (track.curve("pitch_bend_semitones") is None and not has_vibrato):
        return []
    step = max(1, score.resolution // 24)
    ticks = np.unique(np.concatenate([np.arange(n.start_tick, n.end_tick, step) for n in track.notes] + [np.array([n.end_tick for n in track.notes])]))
    seconds = ticks_to_seconds(score, ticks.astype(np.float64))
    rate = _curve(track, "vibrato_rate_hz", ticks, 5.5)
    phase = 2 * np.pi * np.concatenate([[0.0], np.cumsum(np.diff(seconds) * (rate[1:] + rate[:-1]) / 2)])
    semis = _curve(track, "pitch_bend_semitones", ticks, 0.0) + _curve(track, "vibrato_depth_cents", ticks, 0.0) / 100 * np.sin(phase)
    sounding = np.zeros(ticks.shape, dtype=bool)
    for n in track.notes:
        sounding[(ticks >= n.start_tick) & (ticks < n.end_tick)] = True
    semis = np.where(sounding, semis, _curve(track, "pitch_bend_semitones", ticks, 0.0))
    bend_range = max(2, math.ceil(float(np.max(np.abs(semis)))))
    out: list[tuple[int, int, Any]] = [(0, 4, mido.Message("control_change", channel=channel, control=c, value=v))
                                       for c, v in ((101, 0), (100, 0), (6, bend_range), (38, 0), (101, 127), (100, 127))]  # fmt: skip
    last = None
    for tick, value in zip(ticks.tolist(), semis.tolist(), strict=True):
        pw = min(8191, max(-8192, round(value / bend_range * 8192)))
        if pw != last:
            out.append((int(tick), 6, mido.Message("pitchwheel", channel=channel, pitch=pw)))
            last = pw
    return out
