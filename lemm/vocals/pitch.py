"""Sung pitch: notes -> an f0 contour with the fluctuations of a singing voice.

Following Saitou et al. (2007, "Speech-to-singing synthesis"), the melody's
step function (MIDI pitch per frame) is shaped by second-order systems: a
forward one gives the overshoot after a note change, a time-reversed one
the preparation before it; their mean is a smooth, slightly overshooting
transition centred on the note change. Then vibrato (delayed, ramped in on
long notes), a small seeded fine fluctuation and the pitch-bend curve are
added, in semitones.

Examples
--------
>>> import numpy as np
>>> times = np.arange(0.0, 1.0, 0.005)
>>> f0 = sung_f0_hz(times, [(69, 0.0, 0.5), (71, 0.5, 1.0)], rng=np.random.default_rng(0))
>>> bool(abs(f0[50] - 440.0) < 5.0), bool(abs(f0[180] - 493.9) < 8.0)
(True, True)
"""

from __future__ import annotations

import numpy as np
from scipy import signal

__all__ = ["sung_f0_hz", "midi_to_hz", "DEFAULT_VIBRATO_DEPTH_CENTS", "DEFAULT_VIBRATO_RATE_HZ"]

#: Vibrato on long notes when the track has no vibrato curves: peak deviation in cents.
DEFAULT_VIBRATO_DEPTH_CENTS = 22.0
#: Vibrato rate when the track has no vibrato_rate_hz curve.
DEFAULT_VIBRATO_RATE_HZ = 5.5

_OVERSHOOT = (34.8, 0.5422)  # natural frequency rad/s, damping (Saitou et al. 2007)
_PREPARATION = (28.7, 0.6)
_VIBRATO_DELAY_SECONDS = 0.2
_VIBRATO_RAMP_SECONDS = 0.3
_VIBRATO_MIN_NOTE_SECONDS = 0.4
_FINE_STD_SEMITONES = 0.05
_PHRASE_SCOOP_SEMITONES = 0.3


def midi_to_hz(midi: np.ndarray | float) -> np.ndarray:
    """MIDI pitch (fractions allowed) -> Hz, A4 = 69 = 440 Hz."""
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def _second_order(x: np.ndarray, omega: float, zeta: float, frame_rate: float, *, reverse: bool) -> np.ndarray:
    b, a = signal.bilinear([omega**2], [1.0, 2.0 * zeta * omega, omega**2], fs=frame_rate)
    data = x[::-1] if reverse else x
    zi = signal.lfilter_zi(b, a) * data[0]
    y, _ = signal.lfilter(b, a, data, zi=zi)
    return y[::-1] if reverse else y


def sung_f0_hz(
    times_seconds: np.ndarray,
    notes: list[tuple[int, float, float]],
    *,
    rng: np.random.Generator,
    vibrato_depth_cents: np.ndarray | None = None,
    vibrato_rate_hz: np.ndarray | None = None,
    pitch_bend_semitones: np.ndarray | None = None,
) -> np.ndarray:
    """The f0 contour of a sung phrase at the given frame times.

    Parameters
    ----------
    times_seconds : np.ndarray [shape=(n_frames,)]
        Evenly spaced frame times, in seconds.
    notes : list of (midi_pitch, start_seconds, end_seconds)
        The phrase's notes in time order.
    rng : np.random.Generator
        Source of the fine fluctuation and of small per-note vibrato rate changes.
    vibrato_depth_cents, vibrato_rate_hz : np.ndarray [shape=(n_frames,)] or None
        The track's vibrato curves at the frame times; None gives gentle vibrato on long notes.
    pitch_bend_semitones : np.ndarray [shape=(n_frames,)] or None
        Added to the pitch.

    Returns
    -------
    np.ndarray [shape=(n_frames,)], float64 Hz
    """
    t = np.asarray(times_seconds, dtype=np.float64)
    n = t.size
    if n == 0 or not notes:
        return np.zeros(n)
    frame_rate = 1.0 / (t[1] - t[0]) if n > 1 else 200.0
    starts = np.array([s for _p, s, _e in notes])
    pitches = np.array([p for p, _s, _e in notes], dtype=np.float64)
    idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(notes) - 1)
    step = pitches[idx]
    step[t < starts[0] - 0.05] -= _PHRASE_SCOOP_SEMITONES  # a small scoop up into the phrase
    pad = int(round(0.5 * frame_rate))
    padded = np.concatenate([np.full(pad, step[0]), step, np.full(pad, step[-1])])
    fwd = _second_order(padded, *_OVERSHOOT, frame_rate, reverse=False)
    rev = _second_order(padded, *_PREPARATION, frame_rate, reverse=True)
    midi = 0.5 * (fwd + rev)[pad : pad + n]

    vib = np.zeros(n)
    for i, (_p, s, e) in enumerate(notes):
        rate_jitter = 1.0 + 0.04 * rng.standard_normal()
        if vibrato_depth_cents is None and e - s < _VIBRATO_MIN_NOTE_SECONDS:
            continue
        sel = (t >= s) & (t < e)
        if not np.any(sel):
            continue
        local = t[sel] - s - _VIBRATO_DELAY_SECONDS
        env = 0.5 - 0.5 * np.cos(np.pi * np.clip(local / _VIBRATO_RAMP_SECONDS, 0.0, 1.0))
        depth = DEFAULT_VIBRATO_DEPTH_CENTS if vibrato_depth_cents is None else vibrato_depth_cents[sel]
        rate = DEFAULT_VIBRATO_RATE_HZ if vibrato_rate_hz is None else vibrato_rate_hz[sel]
        rate = np.broadcast_to(np.asarray(rate, dtype=np.float64) * rate_jitter, local.shape)
        phase = 2.0 * np.pi * np.cumsum(np.where(local > 0, rate, 0.0)) / frame_rate
        vib[sel] = env * depth * np.sin(phase) / 100.0

    noise = rng.standard_normal(n + 2 * pad)
    b, a = signal.butter(2, min(8.0 / (0.5 * frame_rate), 0.99))
    fine = signal.lfilter(b, a, noise)[pad : pad + n]
    fine *= _FINE_STD_SEMITONES / max(float(np.std(fine)), 1e-9) if n > 1 else 0.0
    midi = midi + vib + fine
    if pitch_bend_semitones is not None:
        midi = midi + pitch_bend_semitones
    return midi_to_hz(midi)
