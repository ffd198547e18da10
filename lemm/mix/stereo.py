"""Stereo: mid/side width, mono bass, and the mono-compatibility meters.

With ``mid = (L + R) / 2`` and ``side = (L - R) / 2``:

- :func:`stereo_width` scales the side by ``width`` (0 = mono, 1 = as is,
  2 = twice as wide) after high-passing it at ``mono_bass_hz`` (4th-order
  Butterworth), so the low end below that frequency is mono.
- :func:`fold_down_loss_db`: how much quieter (BS.1770 integrated loudness)
  the mono fold-down ``(L + R) / 2`` on both channels is than the stereo
  original. Identical channels lose 0 dB, uncorrelated equal channels 3 dB;
  with mid and side powers ``Pm``, ``Ps`` the loss is ``10 log10(1 + Ps / Pm)``.
- :func:`spectral_spread`: widens a source without delays (Haas-free) and
  without touching its mono fold-down: ``amount`` times the mid is added to
  the side through a zero-phase gain that alternates sign every
  ``1 / bands_per_octave`` octave (``sin(pi * bands_per_octave * log2(f /
  low_hz))``), so alternate bands lean left and right. The mid, hence
  ``(L + R) / 2``, is unchanged bit for bit; nothing below ``low_hz`` moves
  (the ramp reaches full depth at twice ``low_hz``). The comb is applied as
  its zero-phase impulse response cut at +-0.1 s (at ``low_hz`` 200 Hz and 2 bands
  per octave; longer for lower and denser combs), by overlap-add FFTs of 2^16 samples.
- :func:`low_end_correlation`: correlation of L and R below ``cutoff_hz``
  (4th-order Butterworth low-pass), measured on the signal block-averaged to
  about 3 kHz (the low end survives block averaging nearly untouched).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> wide = rng.standard_normal((2, 48000 * 2)) * 0.1          # uncorrelated channels
>>> round(fold_down_loss_db(wide, sample_rate=48000), 1)
3.0
>>> narrow = stereo_width(wide, sample_rate=48000, width=0.0)
>>> round(fold_down_loss_db(narrow, sample_rate=48000), 2), round(low_end_correlation(narrow, sample_rate=48000), 2)
(0.0, 1.0)
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.fft
import scipy.signal

from lemm.errors import ParameterError
from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.filters import filtered_frames
from lemm.mix.loudness import block_powers, gated_loudness

__all__ = ["mid_side", "side_highpass_sos", "stereo_width", "spectral_spread", "fold_down_loss_db", "low_end_correlation"]

LOW_END_HZ = 120.0


def mid_side(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(L + R) / 2`` and ``(L - R) / 2`` of a stereo array [shape=(2, n_samples)] (same dtype)."""
    half = audio.dtype.type(0.5)
    return (audio[0] + audio[1]) * half, (audio[0] - audio[1]) * half


@functools.lru_cache(maxsize=16)
def _side_sos(cutoff_hz: float, sample_rate: int) -> np.ndarray:
    sos = scipy.signal.butter(4, min(cutoff_hz, 0.45 * sample_rate), btype="highpass", fs=sample_rate, output="sos")
    sos.setflags(write=False)
    return sos


def side_highpass_sos(cutoff_hz: float, *, sample_rate: int) -> np.ndarray:
    """4th-order Butterworth high-pass [shape=(2, 6)] for the side signal (mono bass)."""
    return _side_sos(float(check_number(cutoff_hz, "mono_bass_hz", 20.0, 500.0)), check_sample_rate(sample_rate)).copy()


def stereo_width(audio: np.ndarray, *, sample_rate: int, width: float = 1.0, mono_bass_hz: float | None = LOW_END_HZ) -> np.ndarray:
    """Scale the side of ``audio`` by ``width`` and make it mono below ``mono_bass_hz``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
        Mono input is returned unchanged (as float32).
    sample_rate : int
        Hz.
    width : float
        Side gain, 0..2.
    mono_bass_hz : float or None
        Side high-pass cutoff, 20..500 Hz, or None for none.

    Returns
    -------
    np.ndarray [shape=(n_channels, n_samples)], float32
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    w = check_number(width, "width", 0.0, 2.0)
    if a.shape[0] == 1 or a.shape[1] == 0 or (w == 1.0 and mono_bass_hz is None):
        return a.copy()
    mid, side = mid_side(a)
    if mono_bass_hz is not None and w > 0.0:
        side = scipy.signal.sosfilt(side_highpass_sos(mono_bass_hz, sample_rate=rate).astype(np.float32), side)
    side *= np.float32(w)
    return np.stack([mid + side, mid - side])


@functools.lru_cache(maxsize=8)
def _spread_gain(n_fft: int, sample_rate: int, low_hz: float, bands_per_octave: float) -> np.ndarray:
    n_bins = n_fft // 2 + 1
    gain = np.empty(n_bins, dtype=np.float32)
    step = 1.0 / (n_fft * (1.0 / sample_rate))  # np.fft.rfftfreq's bin spacing
    for start in range(0, n_bins, _GAIN_BLOCK):  # by blocks: no song-length float64 arrays (the same values)
        f = np.arange(start, min(start + _GAIN_BLOCK, n_bins)) * step
        octaves = np.log2(np.maximum(f, 1e-6) / low_hz)
        ramp = np.clip(octaves, 0.0, 1.0)
        ramp = 0.5 - 0.5 * np.cos(np.pi * ramp)
        gain[start : start + f.shape[0]] = np.sin(np.pi * bands_per_octave * np.maximum(octaves, 0.0)) * ramp
    gain.setflags(write=False)
    return gain


#: Frequency bins per block of :func:`_spread_gain`.
_GAIN_BLOCK = 1 << 18


def spectral_spread(
    audio: np.ndarray,
    *,
    sample_rate: int,
    amount: float,
    low_hz: float = 200.0,
    bands_per_octave: float = 2.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Widen ``audio`` [shape=(n_channels, n_samples)] to stereo, keeping its mid exactly: [shape=(2, n_samples)], float32.

    ``side += amount * G(f) * mid`` with the zero-phase comb ``G`` above (its
    impulse response, cut where it has decayed by more than 110 dB in energy,
    by overlap-add FFTs: cost and memory linear in the length, no song-length
    FFT). ``G`` averages ``1/2`` in power, so a broadband
    mono source gets side/mid ``10 log10(amount**2 / 2)`` (-9 dB at 0.5), an
    L/R correlation of ``(1 - amount**2 / 2) / (1 + amount**2 / 2)`` (0.78)
    and a fold-down loss of ``10 log10(1 + amount**2 / 2)`` (0.5 dB).

    ``out`` (a C-contiguous float32 array [shape=(2, n_samples)], or None for a new
    one) receives the result; it may be ``audio`` itself, which is then
    widened in place (the mixer's channel strip does so: one song-length
    buffer less). The samples do not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((1, 48000)).astype(np.float32)
    >>> y = spectral_spread(x, sample_rate=48000, amount=0.5)
    >>> bool(np.allclose((y[0] + y[1]) / 2, x[0], atol=1e-5)), round(float(np.corrcoef(y)[0, 1]), 1)
    (True, 0.8)
    >>> z = np.stack([x[0], x[0]])
    >>> bool(np.array_equal(spectral_spread(z, sample_rate=48000, amount=0.5, out=z), y))
    True
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    k = check_number(amount, "amount", 0.0, 1.0)
    low = check_number(low_hz, "low_hz", 20.0, 2000.0)
    per_octave = check_number(bands_per_octave, "bands_per_octave", 0.25, 12.0)
    n = a.shape[1]
    if out is None:
        out = np.empty((2, n), dtype=np.float32)
    elif not (isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (2, n) and out.flags.c_contiguous):
        raise ParameterError.for_field("out", f"{type(out).__name__} {getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}".strip(),
                                       f"None or a C-contiguous float32 array of shape (2, {n})")
    if k == 0.0 or n == 0:  # unchanged (a mono source on both channels)
        if out is not a:
            out[0], out[1] = a[0], a[-1]
        return out
    # In place by parts: the mid into out[0], the side into out[1] (``a`` is read first, so ``out`` may be ``a``);
    # the comb's response added to the side by overlap-add; then out = (mid + side, mid - side).
    half = np.float32(0.5)
    for start in range(0, n, _PART):
        part = slice(start, min(n, start + _PART))
        if a.shape[0] == 1:
            out[0, part] = a[0, part]
            out[1, part] = 0.0
        else:  # mid_side(a), a part at a time
            left, right = a[0, part], a[1, part]
            side = np.subtract(left, right)
            side *= half
            np.add(left, right, out=out[0, part])
            out[0, part] *= half
            out[1, part] = side
    half_taps = _spread_half_taps(rate, float(low), float(per_octave))
    response = _spread_response(rate, float(low), float(per_octave), half_taps)
    _add_filtered(out[0], out[1], np.float32(k) * response, half_taps)
    for start in range(0, n, _PART):
        part = slice(start, min(n, start + _PART))
        mid = out[0, part].copy()
        side = out[1, part]
        np.add(mid, side, out=out[0, part])
        np.subtract(mid, side, out=side)
    return out


#: Samples per part of :func:`spectral_spread`'s mid/side passes.
_PART = 1 << 16


def _spread_half_taps(sample_rate: int, low_hz: float, bands_per_octave: float) -> int:
    """Taps on each side of the comb's zero-phase response: 0.1 s at 200 Hz and 2 bands per octave, scaled with ``bands_per_octave / low_hz``.

    The response rings longest at the lowest bands (a band near ``low_hz`` is about
    ``low_hz / bands_per_octave`` Hz wide); cut at 0.1 s (200 Hz, 2 bands) its energy
    beyond the cut is 111 dB under the whole.
    """
    seconds = 0.1 * max(1.0, (200.0 / low_hz) * (bands_per_octave / 2.0))
    return int(math.ceil(seconds * sample_rate))


@functools.lru_cache(maxsize=8)
def _spread_response(sample_rate: int, low_hz: float, bands_per_octave: float, half_taps: int) -> np.ndarray:
    """The comb's spectrum on :func:`_spread_frame`'s grid, after its impulse response is cut to ``+-half_taps``: float32, real (zero phase).

    The response is that of the comb sampled on a grid of at least 16 times the
    cut (its ringing has long died out there), cut to ``2 * half_taps + 1`` taps
    centred on 0.
    """
    frame = _spread_frame(half_taps)
    n_design = 4 * frame
    taps = scipy.fft.irfft(_spread_gain(n_design, sample_rate, low_hz, bands_per_octave).astype(np.float64), n_design)
    cut = np.zeros(frame)
    cut[: half_taps + 1] = taps[: half_taps + 1]
    cut[frame - half_taps :] = taps[n_design - half_taps :]
    response = scipy.fft.rfft(cut).real.astype(np.float32)  # a symmetric response: its spectrum is real
    response.setflags(write=False)
    return response


def _spread_frame(half_taps: int) -> int:
    """FFT length of the overlap-add: a power of two at least 4 times the response (2^16 at 48 kHz, 200 Hz, 2 bands)."""
    return max(1 << 16, 1 << int(math.ceil(math.log2(4 * (2 * half_taps + 1)))))


#: Frames per batch of :func:`_add_filtered` (one batched rfft/irfft pair each).
_FRAMES_PER_BATCH = 8


def _add_filtered(mid: np.ndarray, side: np.ndarray, response: np.ndarray, half_taps: int) -> None:
    """``side += h * mid`` (linear convolution with the zero-phase response ``h`` of ``+-half_taps`` taps, spectrum ``response``), by overlap-add.

    Each frame holds ``frame - 2 * half_taps`` samples of ``mid`` followed by zeros;
    its filtered frame covers those samples and ``half_taps`` on either side (the
    response's part before 0 wraps to the frame's end).
    """
    n = mid.shape[0]
    frame = 2 * (response.shape[0] - 1)
    step = frame - 2 * half_taps
    for start, row in filtered_frames(mid, response, frame=frame, step=step, frames_per_batch=_FRAMES_PER_BATCH):
        stop = min(n, start + step + half_taps)
        side[start:stop] += row[: stop - start]
        before = min(start, half_taps)  # the response's part before 0, at the frame's end
        if before:
            side[start - before : start] += row[frame - before :]

def fold_down_loss_db(audio: np.ndarray, *, sample_rate: int) -> float:
    """Integrated loudness of ``audio`` minus that of its mono fold-down, in dB (0.0 for mono or silence).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).standard_normal(48000) * 0.1
    >>> fold_down_loss_db(np.stack([x, -x]), sample_rate=48000)       # out of phase: the fold is silent
    inf
    """
    a = as_audio(audio)
    rate = check_sample_rate(sample_rate)
    if a.shape[0] == 1:
        return 0.0
    stereo = gated_loudness(block_powers(a, sample_rate=rate).momentary)
    if stereo == -math.inf:
        return 0.0
    mid = ((a[0] + a[1]) * a.dtype.type(0.5))[None, :]
    fold = gated_loudness(2.0 * block_powers(mid, sample_rate=rate).momentary)  # the mid on both channels
    return math.inf if fold == -math.inf else float(stereo - fold)


def low_end_correlation(audio: np.ndarray, *, sample_rate: int, cutoff_hz: float = LOW_END_HZ) -> float:
    """Correlation (-1..1) of L and R below ``cutoff_hz``; 1.0 for mono input or no low end.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000) / 48000
    >>> bass = np.sin(2 * np.pi * 60 * t)
    >>> round(low_end_correlation(np.stack([bass, 0.5 * bass]), sample_rate=48000), 3)
    1.0
    """
    a = as_audio(audio)
    rate = check_sample_rate(sample_rate)
    cutoff = check_number(cutoff_hz, "cutoff_hz", 20.0, 1000.0)
    if a.shape[0] == 1:
        return 1.0
    factor = max(1, rate // 3000)
    n = (a.shape[1] // factor) * factor
    if n == 0:
        return 1.0
    low = a[:, :n].reshape(2, -1, factor).mean(axis=2, dtype=np.float64)
    decimated_rate = rate / factor
    sos = scipy.signal.butter(4, min(cutoff, 0.45 * decimated_rate), fs=decimated_rate, output="sos")
    low = scipy.signal.sosfilt(sos, low, axis=-1)
    el, er = float(np.dot(low[0], low[0])), float(np.dot(low[1], low[1]))
    scale = max(float(np.abs(a).max()), 1e-30) ** 2 * low.shape[1]
    if el <= 1e-12 * scale or er <= 1e-12 * scale:  # no low end on a side: call it mono
        return 1.0 if el <= 1e-12 * scale and er <= 1e-12 * scale else 0.0
    return float(np.clip(np.dot(low[0], low[1]) / math.sqrt(el * er), -1.0, 1.0))
