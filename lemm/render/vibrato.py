"""Measure a recorded note's vibrato (rate, depth, onset delay) for timbre fitting.

The pitch contour comes from the phase advance of the first four harmonics
between frames 5 ms apart: each frame (Hann window, four periods) is
projected on ``k * f0_hz``; a partial at ``k * (f0_hz + d)`` turns by
``2 pi k d * hop / sample_rate`` per hop; the harmonics' estimates of ``d``
are averaged, louder ones counting more. The contour (cents) is vibrato when
most of its variance above 2 Hz (slower is drift, a scoop into the note)
lies in 3..9 Hz;
the depth is the amplitude of that band's sinusoid (``sqrt(2)`` times its
RMS), as :class:`lemm.render.Preset`'s ``vibrato_depth_cents``, and the delay
puts the preset's 0.3 s fade-in where the measured vibrato reaches half its
depth.

Examples
--------
>>> sr = 16000; t = np.arange(sr) / sr
>>> cents = 20.0 * np.sin(2 * np.pi * 5.5 * t)
>>> x = np.sin(2 * np.pi * np.cumsum(220.0 * 2 ** (cents / 1200)) / sr)
>>> v = measure_vibrato(x, sample_rate=sr, f0_hz=220.0)
>>> round(v.depth_cents), round(v.rate_hz, 1), v.delay_ms
(20, 5.5, 0.0)
>>> measure_vibrato(np.sin(2 * np.pi * 220.0 * t), sample_rate=sr, f0_hz=220.0).depth_cents
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lemm.render.spectral import harmonic_projections

__all__ = ["Vibrato", "measure_vibrato", "pitch_contour_cents"]

#: Vibrato rates looked for (Hz).
VIBRATO_BAND_HZ = (3.0, 9.0)
_HOP_SECONDS = 0.005
#: Shallower modulation than this (cents) is not called vibrato.
_MIN_DEPTH_CENTS = 3.0
#: Pitch movement slower than this (Hz) is drift, not vibrato.
_DRIFT_HZ = 2.0
#: Part of the contour's variance above the drift that must lie in the vibrato band.
_MIN_BAND_SHARE = 0.5
#: The preset's vibrato fades in over this long after its delay (see lemm.render.controls).
_FADE_IN_SECONDS = 0.3


@dataclass(frozen=True)
class Vibrato:
    """A measured vibrato: ``depth_cents`` 0 means none (then rate and delay are not meaningful)."""

    depth_cents: float
    rate_hz: float
    delay_ms: float


def pitch_contour_cents(audio: np.ndarray, *, sample_rate: int, f0_hz: float, start_seconds: float = 0.0, end_seconds: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pitch relative to ``f0_hz`` (cents) every 5 ms between ``start_seconds`` and ``end_seconds``.

    Returns
    -------
    times : np.ndarray [shape=(n_frames,)]
        Frame centres, seconds from the start of ``audio``.
    cents : np.ndarray [shape=(n_frames,)]
        Empty arrays when the stretch is shorter than two frames.
    """
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    period = sample_rate / float(f0_hz)
    n = int(math.ceil(4.0 * period))
    hop = max(1, int(round(_HOP_SECONDS * sample_rate)))
    a = int(max(0.0, start_seconds) * sample_rate)
    b = x.size if end_seconds is None else min(x.size, int(end_seconds * sample_rate))
    starts = np.arange(a, b - n + 1, hop)
    if starts.size < 2:
        return np.zeros(0), np.zeros(0)
    k = np.array([k for k in range(1, 5) if k * f0_hz < 0.45 * sample_rate])
    c = harmonic_projections(x, sample_rate=sample_rate, f0_hz=f0_hz, harmonics=k, starts=starts, window_samples=n)
    turn = c[1:] * np.conj(c[:-1])  # its angle: radians per hop beyond k * f0, its size: how much to trust it
    weight = np.abs(turn)
    deviation_hz = np.sum(np.angle(turn) / (2.0 * np.pi * hop / sample_rate) / k * weight, axis=1) / np.maximum(weight.sum(axis=1), 1e-300)
    cents = 1200.0 * np.log2(np.maximum(1.0 + deviation_hz / f0_hz, 1e-6))
    times = (starts[1:] - hop / 2.0 + n / 2.0) / sample_rate
    return times, cents


def measure_vibrato(audio: np.ndarray, *, sample_rate: int, f0_hz: float, start_seconds: float = 0.0, end_seconds: float | None = None) -> Vibrato:
    """The vibrato of a held note between ``start_seconds`` and ``end_seconds`` (its body, after the attack).

    ``delay_ms`` counts from the start of ``audio`` (the note's onset).
    Needs at least two cycles of the slowest rate looked for (0.67 s);
    shorter stretches, and notes whose pitch wanders without a rate,
    read as no vibrato.
    """
    times, cents = pitch_contour_cents(audio, sample_rate=sample_rate, f0_hz=f0_hz, start_seconds=start_seconds, end_seconds=end_seconds)
    none = Vibrato(0.0, 5.5, 0.0)
    if times.size < 2 or times[-1] - times[0] < 2.0 / VIBRATO_BAND_HZ[0]:
        return none
    detrended = cents - np.polyval(np.polyfit(times, cents, 1), times)
    n_fft = 1 << int(math.ceil(math.log2(max(4 * detrended.size, 1024))))
    spectrum = np.fft.rfft(detrended, n_fft)
    freqs = np.fft.rfftfreq(n_fft, _HOP_SECONDS)
    band = (freqs >= VIBRATO_BAND_HZ[0]) & (freqs <= VIBRATO_BAND_HZ[1])
    banded = np.fft.irfft(np.where(band, spectrum, 0.0), n_fft)[: detrended.size]
    fluctuation = float(np.sum(np.abs(spectrum[freqs >= _DRIFT_HZ]) ** 2))
    if fluctuation <= 0.0 or float(np.sum(np.abs(spectrum[band]) ** 2)) < _MIN_BAND_SHARE * fluctuation:
        return none
    power = np.abs(spectrum) ** 2 * band
    i = int(np.argmax(power))
    if 0 < i < power.size - 1 and power[i - 1] > 0 and power[i + 1] > 0:  # parabolic peak on log power
        la, lb, lc = np.log(power[i - 1 : i + 2])
        i = i + 0.5 * (la - lc) / (la - 2.0 * lb + lc) if la - 2.0 * lb + lc < 0 else i
    rate = float(i * (freqs[1] - freqs[0]))
    edge = int(round(0.5 / rate / _HOP_SECONDS))  # the band-pass rings at the ends: leave half a cycle out
    inner = banded[edge : banded.size - edge]
    # the band's envelope (sqrt(2) x its RMS over one cycle) finds where the vibrato sets in
    width = max(1, int(round(1.0 / rate / _HOP_SECONDS)))
    envelope = np.sqrt(2.0 * np.convolve(inner**2, np.ones(width) / width, mode="same"))
    full = float(np.median(envelope[envelope.size // 2 :]))
    reached = np.nonzero(envelope >= 0.5 * full)[0]
    half_seconds = float(times[edge + reached[0]]) if reached.size else float(times[edge])
    delay = max(0.0, half_seconds - _FADE_IN_SECONDS / 2.0) if half_seconds > times[edge] + 1.0 / rate else 0.0
    # depth once faded in (the whole stretch when that leaves less than a cycle)
    settled = inner[times[edge : banded.size - edge] >= delay + _FADE_IN_SECONDS] if delay > 0.0 else inner
    depth = math.sqrt(2.0 * float(np.mean((settled if settled.size >= width else inner) ** 2)))
    if depth < _MIN_DEPTH_CENTS:
        return none
    return Vibrato(round(depth, 2), round(rate, 2), round(1000.0 * delay, 1))
