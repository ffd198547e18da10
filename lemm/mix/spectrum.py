"""Long-term spectrum, spectral tilt and the tilt EQ.

- :func:`average_spectrum`: mean power spectrum (Hann-windowed frames, both
  channels summed) over at most ``max_frames`` frames spread evenly over the
  signal, so a 3:30 song costs a few milliseconds.
- :func:`third_octave_levels`: energy per 1/3-octave band in dB (centres
  ``1000 * 2 ** (k / 3)`` Hz).
- :func:`spectral_tilt`: the slope, in dB per octave, of the least-squares
  line through the 1/3-octave band levels between ``low_hz`` and ``high_hz``
  (100 Hz .. 10 kHz by default). Pink noise (equal energy per octave) reads
  0, white noise +3; mixes of popular music read about -3 to -6.
- :func:`tilt_sos`: a minimum-phase filter whose gain rises (or falls) by
  ``slope_db_per_octave`` per octave from 40 Hz to 16 kHz, 0 dB at
  ``pivot_hz``: first-order pole/zero pairs spaced an octave apart (the
  analog "pinking filter" construction), bilinear-transformed with
  pre-warping; in 100 Hz..10 kHz it stays within ~0.25 dB per dB/octave of the line.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> white = rng.standard_normal((2, 48000 * 4))
>>> round(spectral_tilt(white, sample_rate=48000), 1)        # +3 dB per octave
3.0
>>> sos = tilt_sos(-2.0, sample_rate=48000)
>>> tilted = scipy.signal.sosfilt(sos, white, axis=-1)
>>> round(spectral_tilt(tilted, sample_rate=48000), 1)
1.0
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.signal

from lemm.mix._validate import as_audio, check_number, check_sample_rate

__all__ = ["average_spectrum", "third_octave_levels", "spectral_tilt", "tilt_sos", "TILT_LOW_HZ", "TILT_HIGH_HZ"]

TILT_LOW_HZ = 100.0
TILT_HIGH_HZ = 10000.0


def average_spectrum(audio: np.ndarray, *, sample_rate: int, n_fft: int = 4096, max_frames: int = 192) -> tuple[np.ndarray, np.ndarray]:
    """Mean power spectrum of ``audio`` over evenly spread Hann-windowed frames.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
    sample_rate : int
        Hz.
    n_fft : int
        Frame length (a shorter signal is zero-padded to one frame).
    max_frames : int
        At most this many frames, evenly spread (all frames at 50 % overlap if fewer).

    Returns
    -------
    frequencies_hz : np.ndarray [shape=(n_fft // 2 + 1,)]
    power : np.ndarray [shape=(n_fft // 2 + 1,)], float64
        Channels summed; arbitrary but consistent scale (all zeros for silence).
    """
    a = as_audio(audio)
    rate = check_sample_rate(sample_rate)
    n = a.shape[1]
    frequencies = np.fft.rfftfreq(n_fft, 1.0 / rate)
    if n == 0:
        return frequencies, np.zeros(frequencies.shape[0])
    if n < n_fft:
        a = np.concatenate([a, np.zeros((a.shape[0], n_fft - n), dtype=a.dtype)], axis=1)
        n = n_fft
    n_all = (n - n_fft) // (n_fft // 2) + 1
    starts = np.unique(np.round(np.linspace(0, n - n_fft, min(n_all, max_frames))).astype(np.int64))
    window = scipy.signal.windows.hann(n_fft, sym=False).astype(np.float32)
    index = starts[:, None] + np.arange(n_fft)[None, :]
    power = np.zeros(frequencies.shape[0])
    for channel in a:
        frames = channel[index].astype(np.float32) * window
        power += (np.abs(np.fft.rfft(frames, axis=-1)) ** 2).mean(axis=0)
    return frequencies, power


@functools.lru_cache(maxsize=8)
def _band_matrix(n_fft: int, sample_rate: int, low_hz: float, high_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the 1/3-octave bands in [low_hz, high_hz] under 0.45 * sample_rate, and bin masks."""
    ks = np.arange(math.floor(3 * math.log2(low_hz / 1000.0) + 1e-9), math.ceil(3 * math.log2(high_hz / 1000.0) - 1e-9) + 1)
    centres = 1000.0 * 2.0 ** (ks / 3.0)
    centres = centres[(centres >= low_hz * 0.99) & (centres <= high_hz * 1.01) & (centres * 2 ** (1 / 6) < 0.45 * sample_rate)]
    frequencies = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    masks = (frequencies[None, :] >= centres[:, None] * 2 ** (-1 / 6)) & (frequencies[None, :] < centres[:, None] * 2 ** (1 / 6))
    return centres, masks.astype(np.float64)


def third_octave_levels(
    frequencies_hz: np.ndarray, power: np.ndarray, *, sample_rate: int, low_hz: float = TILT_LOW_HZ, high_hz: float = TILT_HIGH_HZ
) -> tuple[np.ndarray, np.ndarray]:
    """Energy (dB, arbitrary reference) of each 1/3-octave band between ``low_hz`` and ``high_hz``.

    Returns
    -------
    centres_hz, levels_db : np.ndarray [shape=(n_bands,)]
        ``-inf`` for a band without energy.
    """
    n_fft = 2 * (np.asarray(frequencies_hz).shape[0] - 1)
    centres, masks = _band_matrix(n_fft, check_sample_rate(sample_rate), float(low_hz), float(high_hz))
    energy = masks @ np.asarray(power, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return centres, 10.0 * np.log10(energy)


def spectral_tilt(audio: np.ndarray, *, sample_rate: int, low_hz: float = TILT_LOW_HZ, high_hz: float = TILT_HIGH_HZ) -> float:
    """Spectral tilt in dB per octave: slope of the 1/3-octave band levels from ``low_hz`` to ``high_hz``.

    Returns 0.0 for silence (no band with energy) or fewer than three bands
    with energy.

    Examples
    --------
    >>> import numpy as np
    >>> spectral_tilt(np.zeros((2, 48000)), sample_rate=48000)
    0.0
    """
    rate = check_sample_rate(sample_rate)
    frequencies, power = average_spectrum(audio, sample_rate=rate)
    centres, levels = third_octave_levels(frequencies, power, sample_rate=rate, low_hz=low_hz, high_hz=high_hz)
    ok = np.isfinite(levels)
    if ok.sum() < 3:
        return 0.0
    slope = np.polyfit(np.log2(centres[ok]), levels[ok], 1)[0]
    return float(slope)


@functools.lru_cache(maxsize=32)
def _tilt_sos(slope_db_per_octave: float, sample_rate: int, pivot_hz: float) -> np.ndarray:
    spacing_octaves = 1.0
    low, high = 40.0, min(16000.0, 0.4 * sample_rate)
    n_pairs = max(1, int(math.ceil(math.log2(high / low) / spacing_octaves)))
    centres = low * 2.0 ** (spacing_octaves * (np.arange(n_pairs) + 0.5))
    ratio = 10.0 ** (slope_db_per_octave * spacing_octaves / 20.0)  # pole / zero frequency of each pair

    def warp(f: np.ndarray) -> np.ndarray:
        f = np.minimum(f, 0.49 * sample_rate)
        return 2.0 * sample_rate * np.tan(np.pi * f / sample_rate)

    zeros_hz = centres / math.sqrt(ratio)
    poles_hz = centres * math.sqrt(ratio)
    wz, wp = warp(zeros_hz), warp(poles_hz)
    z, p, k = scipy.signal.bilinear_zpk(-wz, -wp, float(np.prod(wp / wz)), sample_rate)
    sos = scipy.signal.zpk2sos(z, p, k)
    _, h = scipy.signal.sosfreqz(sos, worN=[pivot_hz], fs=sample_rate)
    sos[0, :3] /= abs(h[0])
    return sos


def tilt_sos(slope_db_per_octave: float, *, sample_rate: int, pivot_hz: float = 1000.0) -> np.ndarray:
    """Second-order sections of a tilt EQ: ``slope_db_per_octave`` dB per octave, 0 dB at ``pivot_hz``.

    Parameters
    ----------
    slope_db_per_octave : float
        -6..+6 (negative: darker).
    sample_rate : int
        Hz.
    pivot_hz : float
        Frequency left unchanged.

    Returns
    -------
    np.ndarray [shape=(n_sections, 6)], float64

    Examples
    --------
    >>> sos = tilt_sos(1.0, sample_rate=48000)
    >>> _, h = scipy.signal.sosfreqz(sos, worN=[250.0, 1000.0, 4000.0], fs=48000)
    >>> np.round(20 * np.log10(np.abs(h)), 1) + 0.0
    array([-2.,  0.,  2.])
    """
    slope = check_number(slope_db_per_octave, "slope_db_per_octave", -6.0, 6.0)
    rate = check_sample_rate(sample_rate)
    pivot = check_number(pivot_hz, "pivot_hz", 20.0, 0.45 * rate)
    return _tilt_sos(round(slope, 6), rate, pivot).copy()
