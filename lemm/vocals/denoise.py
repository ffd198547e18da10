"""Noise reduction of a take: spectral gating with a noise profile from its quiet stretches.

Stationary spectral gating, the algorithm of noisereduce's stationary mode
(Sainburg et al. 2020; re-implemented here on scipy so that lemm does not
import noisereduce's torch at run time): the noise clip's STFT gives a
per-frequency threshold (mean + 1.5 standard deviations of its dB
magnitude); the take's time-frequency bins above it pass, the others are
attenuated by ``prop_decrease``; the 0/1 mask is smoothed with noisereduce's
triangular kernel (its "500 Hz", 50 ms) before it is applied; ~21 ms windows.
The clip here is the take's own quiet stretches (:func:`noise_profile`):
20 ms frames within 6 dB of the take's 10th-percentile level, kept where at
least 100 ms of them run together (breaths between phrases, the room before
the first note); if those add up to less than 0.25 s, the quietest tenth of
the frames is used instead.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> sr = 16000
>>> t = np.arange(2 * sr) / sr
>>> voice = np.where((t > 0.5) & (t < 1.5), 0.3 * np.sin(2 * np.pi * 220 * t), 0.0)
>>> noisy = voice + 0.01 * rng.standard_normal(t.size)
>>> clean = reduce_noise(noisy, sr)
>>> bool(np.std(clean[: sr // 4]) < 0.3 * np.std(noisy[: sr // 4]))
True
"""

from __future__ import annotations

import numpy as np

from lemm.errors import ParameterError
from lemm.vocals.analysis import prepare_take

__all__ = ["noise_profile", "reduce_noise"]

_FRAME_SECONDS = 0.02
_N_STD = 1.5
_SMOOTH_HZ = 500.0
_SMOOTH_MS = 50.0


def noise_profile(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The quiet stretches of a take, concatenated [shape=(n,)], float64 (see the module notes)."""
    x = prepare_take(audio, sample_rate)
    hop = max(int(_FRAME_SECONDS * sample_rate), 1)
    n = x.size // hop
    if n < 2:
        return x.copy()
    frames = x[: n * hop].reshape(n, hop)
    level = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-20)
    quiet = level <= np.percentile(level, 10.0) + 6.0
    keep = np.zeros(n, dtype=bool)
    padded = np.concatenate([[False], quiet, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if (b - a) * _FRAME_SECONDS >= 0.1:
            keep[a:b] = True
    if keep.sum() * _FRAME_SECONDS < 0.25:
        keep = level <= np.percentile(level, 10.0)
    return frames[keep].reshape(-1)


def reduce_noise(audio: np.ndarray, sample_rate: int, *, prop_decrease: float = 0.85) -> np.ndarray:
    """Reduce stationary noise in a take.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)]
        Channels are averaged.
    sample_rate : int
    prop_decrease : float
        How far noise bins are attenuated, 0 (nothing) .. 1 (fully).

    Returns
    -------
    np.ndarray [shape=(n_samples,)], float64
    """
    if isinstance(prop_decrease, bool) or not isinstance(prop_decrease, (int, float)) or not 0.0 <= prop_decrease <= 1.0:
        raise ParameterError.for_field("prop_decrease", prop_decrease, "a number in 0..1")
    from scipy import signal

    x = prepare_take(audio, sample_rate)
    noise = noise_profile(x, sample_rate)
    n_fft = 1 << int(np.ceil(np.log2(0.02 * sample_rate)))  # ~21 ms windows (1024 at 48 kHz) at any rate
    hop = n_fft // 4
    _f, _t, noise_spec = signal.stft(noise, nperseg=n_fft, noverlap=n_fft - hop, boundary="even", padded=True)
    noise_db = 20.0 * np.log10(np.abs(noise_spec) + 1e-10)
    thresh = noise_db.mean(axis=1) + _N_STD * noise_db.std(axis=1)
    _f, _t, spec = signal.stft(x, nperseg=n_fft, noverlap=n_fft - hop, boundary="even", padded=True)
    mask = (20.0 * np.log10(np.abs(spec) + 1e-10) > thresh[:, None]).astype(np.float64)
    n_freq = max(int(_SMOOTH_HZ / (sample_rate / (n_fft / 2))), 1)  # noisereduce's bin arithmetic
    n_time = max(int(_SMOOTH_MS / (hop / sample_rate * 1000.0)), 1)
    kernel = np.outer(
        np.concatenate([np.linspace(0, 1, n_freq + 1, endpoint=False), np.linspace(1, 0, n_freq + 2)])[1:-1],
        np.concatenate([np.linspace(0, 1, n_time + 1, endpoint=False), np.linspace(1, 0, n_time + 2)])[1:-1],
    )
    mask = signal.fftconvolve(mask, kernel / kernel.sum(), mode="same")
    gain = np.clip(mask, 0.0, 1.0) * prop_decrease + (1.0 - prop_decrease)
    _t, y = signal.istft(spec * gain, nperseg=n_fft, noverlap=n_fft - hop, boundary=True)
    y = np.asarray(y, dtype=np.float64)[: x.size]
    return np.pad(y, (0, x.size - y.size))
