"""Algorithmic reverb: FFT convolution with a synthetic, deterministic impulse response.

The impulse response is decaying noise, one independent noise per channel
(so the tail is wide and decorrelated), drawn from a FIXED seed
(:data:`REVERB_SEED`) with a numpy Generator: the same settings give the same
response on every run. The noise is split at 2 kHz into two bands that decay
at different rates (``damping`` shortens the high band's decay, like air and
soft walls), faded in over 10 ms, high-passed (no low-end mud), delayed by
``predelay_ms`` and normalised to unit energy per channel, so a broadband
send comes back at about its own level.

Examples
--------
>>> import numpy as np
>>> ir = reverb_impulse_response(sample_rate=8000, decay_seconds=0.5)
>>> ir.shape, ir.dtype
((2, 4160), dtype('float32'))
>>> bool(np.allclose((ir.astype(np.float64) ** 2).sum(axis=1), 1.0, atol=1e-5))
True
>>> bool(np.array_equal(ir, reverb_impulse_response(sample_rate=8000, decay_seconds=0.5)))
True
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft
import scipy.signal

from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.filters import filtered_frames

__all__ = ["REVERB_SEED", "reverb_impulse_response", "reverb", "convolve_cut"]

#: Seed of the impulse response's noise (fixed: the reverb is part of the sound).
REVERB_SEED = 0x5EED_2EB


@functools.lru_cache(maxsize=8)
def _impulse_response(sample_rate: int, decay_seconds: float, predelay_ms: float, damping: float, highpass_hz: float) -> np.ndarray:
    rng = np.random.default_rng(REVERB_SEED)
    n_tail = max(1, int(round(decay_seconds * sample_rate)))
    noise = rng.standard_normal((2, n_tail))
    c = np.exp(-2.0 * np.pi * 2000.0 / sample_rate)
    low = scipy.signal.lfilter([1.0 - c], [1.0, -c], noise, axis=-1)
    high = noise - low
    t = np.arange(n_tail) / sample_rate
    decay_high = decay_seconds * (1.0 - 0.75 * damping)
    ir = low * 10.0 ** (-3.0 * t / decay_seconds) + high * 10.0 ** (-3.0 * t / decay_high)  # -60 dB at T60
    n_fade = min(n_tail, int(0.010 * sample_rate))
    if n_fade > 1:
        ir[:, :n_fade] *= np.sin(0.5 * np.pi * np.arange(n_fade) / n_fade) ** 2
    if highpass_hz > 0.0:
        sos = scipy.signal.butter(2, min(highpass_hz, 0.45 * sample_rate), btype="highpass", fs=sample_rate, output="sos")
        ir = scipy.signal.sosfilt(sos, ir, axis=-1)
    ir /= np.sqrt((ir**2).sum(axis=1, keepdims=True))
    n_pre = int(round(predelay_ms * 1e-3 * sample_rate))
    out = np.concatenate([np.zeros((2, n_pre)), ir], axis=1).astype(np.float32)
    out.setflags(write=False)
    return out


def reverb_impulse_response(
    *,
    sample_rate: int,
    decay_seconds: float = 1.8,
    predelay_ms: float = 20.0,
    damping: float = 0.5,
    highpass_hz: float = 150.0,
) -> np.ndarray:
    """Stereo impulse response [shape=(2, n)], float32, unit energy per channel.

    Parameters
    ----------
    sample_rate : int
        Hz.
    decay_seconds : float
        RT60 of the low band (time to fall by 60 dB), 0.1..10 s; also the length.
    predelay_ms : float
        Silence before the tail, 0..200 ms.
    damping : float
        0..1: how much faster the band above 2 kHz decays (1: 4x faster).
    highpass_hz : float
        High-pass of the response (0 = none).
    """
    rate = check_sample_rate(sample_rate)
    return _impulse_response(
        rate,
        check_number(decay_seconds, "decay_seconds", 0.1, 10.0),
        check_number(predelay_ms, "predelay_ms", 0.0, 200.0),
        check_number(damping, "damping", 0.0, 1.0),
        check_number(highpass_hz, "highpass_hz", 0.0, 2000.0),
    ).copy()


def reverb(
    audio: np.ndarray,
    *,
    sample_rate: int,
    decay_seconds: float = 1.8,
    predelay_ms: float = 20.0,
    damping: float = 0.5,
    highpass_hz: float = 150.0,
) -> np.ndarray:
    """The wet reverb signal of ``audio`` [shape=(2, n_samples)], float32, same length (tail cut).

    A mono input feeds both channels of the response; a stereo input feeds
    its left channel to the left response and its right to the right.

    Examples
    --------
    >>> import numpy as np
    >>> click = np.zeros((1, 8000)); click[0, 0] = 1.0
    >>> wet = reverb(click, sample_rate=8000, decay_seconds=0.5, predelay_ms=0.0)
    >>> ir = reverb_impulse_response(sample_rate=8000, decay_seconds=0.5, predelay_ms=0.0)
    >>> wet.shape, bool(np.allclose(wet[:, :4000], ir, atol=1e-6))
    ((2, 8000), True)
    """
    a = as_audio(audio, dtype=np.float32)
    ir = reverb_impulse_response(
        sample_rate=sample_rate, decay_seconds=decay_seconds, predelay_ms=predelay_ms, damping=damping, highpass_hz=highpass_hz
    )
    n = a.shape[1]
    out = np.zeros((2, n), dtype=np.float32)
    if n == 0:
        return out

    def convolve(ch: int) -> None:
        x = a[min(ch, a.shape[0] - 1)]
        if np.any(x):
            convolve_cut(x, ir[ch], out=out[ch])

    if n < 200_000:
        for ch in range(2):
            convolve(ch)
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:  # pocketfft releases the GIL
            list(pool.map(convolve, range(2)))
    return out


def convolve_cut(x: np.ndarray, h: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """``out[:] = np.convolve(x, h)[:len(x)]`` (float32) by overlap-add FFTs; returns ``out``.

    Frames of a power of two at least four times ``h`` (2^19 samples for the
    default 1.8 s response at 48 kHz) are transformed a few at a time, so the cost
    is linear in the length and the working memory does not grow with it. The
    samples equal a float64 convolution to float32 rounding (about -120 dB re peak).

    Parameters
    ----------
    x : np.ndarray [shape=(n_samples,)], float32
    h : np.ndarray [shape=(n_taps,)], float32, ``n_taps >= 1``
    out : np.ndarray [shape=(n_samples,)], float32
        Overwritten; not ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x, h = np.arange(6, dtype=np.float32), np.array([1.0, 0.5], np.float32)
    >>> np.round(convolve_cut(x, h, out=np.empty(6, np.float32)), 5)
    array([0. , 1. , 2.5, 4. , 5.5, 7. ], dtype=float32)
    """
    n, taps = x.shape[0], h.shape[0]
    frame = max(1 << 15, 1 << int(math.ceil(math.log2(4 * taps))))
    step = frame - taps + 1
    response = scipy.fft.rfft(h.astype(np.float64), frame).astype(np.complex64)
    out[:] = 0.0
    for start, row in filtered_frames(x, response, frame=frame, step=step, frames_per_batch=max(1, _BATCH_SAMPLES // frame)):
        stop = min(n, start + frame)
        out[start:stop] += row[: stop - start]
    return out


#: Samples per batch of :func:`convolve_cut`'s frames (one batched rfft/irfft pair each).
_BATCH_SAMPLES = 1 << 20
