"""Test signals for lemm.mix, all generated from their definitions or seeded numpy Generators."""

from __future__ import annotations

import numpy as np
import scipy.signal

SAMPLE_RATE = 48000


def sine(freq_hz: float, level_db: float, seconds: float, *, sample_rate: int = SAMPLE_RATE, phase: float = 0.0) -> np.ndarray:
    """A sine of peak level ``level_db`` dBFS [shape=(n,)], float64."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    return 10.0 ** (level_db / 20.0) * np.sin(2 * np.pi * freq_hz * t + phase)


def stereo(x: np.ndarray) -> np.ndarray:
    return np.stack([x, x])


def dense_mix(seconds: float, *, seed: int = 0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited noise (16 kHz) plus tones and a kick-like thump on every beat at 120 bpm.

    Dense and loud like a full mix; the beat gives it the transients every
    produced track has (a perfectly steady signal has no peaks to keep).
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    sos = scipy.signal.butter(6, 16000, fs=sample_rate, output="sos")
    noise = scipy.signal.sosfilt(sos, rng.standard_normal((2, n)), axis=-1) * 0.08
    beat_t = t % 0.5
    kick = 0.6 * np.sin(2 * np.pi * (50 * beat_t + 60 * (1 - np.exp(-beat_t * 30)) / 30)) * np.exp(-beat_t * 12)
    return noise + kick + 0.25 * np.sin(2 * np.pi * 55 * t) + 0.12 * np.sin(2 * np.pi * 440 * t + np.array([[0.0], [0.7]]))


def sparse_notes(seconds: float, *, seed: int = 0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decaying piano-like notes with sharp attacks and silence between them."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    out = np.zeros((2, n))
    start = 0
    while start < n:
        m = min(n - start, int(0.8 * sample_rate))
        tt = np.arange(m) / sample_rate
        f0 = 110.0 * 2 ** (rng.integers(0, 36) / 12)
        note = sum(np.sin(2 * np.pi * f0 * h * tt) / h for h in range(1, 8)) * np.exp(-tt * 5.0) * np.minimum(1.0, tt / 0.002)
        out[:, start : start + m] += note * np.array([[0.9], [0.7]]) * rng.uniform(0.2, 0.6)
        start += int(rng.uniform(0.5, 1.5) * sample_rate)
    return out


def dynamic_signal(seconds: float, *, seed: int = 0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Drum-like bursts over a quiet bed, with sections 40 dB apart: very dynamic."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    out = 0.003 * dense_mix(seconds, seed=seed + 1, sample_rate=sample_rate)
    beat = int(0.25 * sample_rate)
    sos = scipy.signal.butter(4, 14000, fs=sample_rate, output="sos")
    for k, start in enumerate(range(0, n - beat, beat)):
        tt = np.arange(beat) / sample_rate
        hit = scipy.signal.sosfilt(sos, rng.standard_normal((2, beat)), axis=-1) * np.exp(-tt * 30.0) * 0.9
        hit += np.sin(2 * np.pi * (50 + 100 * np.exp(-tt * 40)) * tt) * np.exp(-tt * 12.0)
        out[:, start : start + beat] += hit * (1.0 if (k // 8) % 2 == 0 else 0.01)
    return out
