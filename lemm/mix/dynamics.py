"""Compressor: a static gain curve and a log-domain envelope follower, vectorised.

The compressor works at a *control rate*: the stereo-linked peak of each
block of :func:`control_block` samples (about 0.33 ms) is its input level.
Its gain computer maps that level to a gain reduction in dB (hard or soft
knee), and the reduction is smoothed by a "smooth decoupled" peak detector
(Giannoulis, Massberg & Reiss, JAES 2012) in two vectorised passes:

1. release: a peak hold that decays exponentially toward 0 dB with time
   constant ``release_ms``, ``y1[k] = max_j x[j] * c_r ** (k - j)``,
   computed in closed form with a running maximum in the log domain;
2. attack: a one-pole low-pass (``scipy.signal.lfilter``) with time
   constant ``attack_ms``.

The smoothed reduction is interpolated linearly back to the sample rate.
Time constants are the usual ``1 - 1/e`` (63 %) times.

Examples
--------
>>> import numpy as np
>>> sample_rate = 48000
>>> t = np.arange(sample_rate) / sample_rate
>>> loud = np.sin(2 * np.pi * 220 * t)[None, :]              # 0 dBFS peak
>>> out = compress(loud, sample_rate=sample_rate, threshold_db=-20.0, ratio=4.0, attack_ms=5.0, release_ms=1000.0)
>>> round(float(20 * np.log10(np.abs(out[:, sample_rate // 2:]).max())), 1)   # -20 + (0 - -20) / 4
-15.0
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal

from lemm.errors import ParameterError
from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.loudness import integrated_loudness, short_term_from_power, short_term_loudness
from lemm.units import db_to_gain
from lemm.validate import COMPRESSOR_RANGES

__all__ = [
    "section_lift_gain",
    "control_block",
    "block_peaks",
    "static_curve_db",
    "decaying_max",
    "one_pole",
    "time_constant_coefficient",
    "nodes_to_samples",
    "compressor_gain",
    "compressor_nodes",
    "compress",
]


def control_block(sample_rate: int, *, rate_hz: float = 3000.0) -> int:
    """Samples per control block for a control rate of about ``rate_hz`` (16 at 48 kHz)."""
    return max(1, int(round(sample_rate / rate_hz)))


def block_peaks(audio: np.ndarray, block: int) -> np.ndarray:
    """Stereo-linked peak magnitude of each block of ``block`` samples.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)] or [shape=(n_samples,)]
        Samples, or an already channel-combined magnitude envelope.
    block : int
        Block length in samples; the last block is zero-padded.

    Returns
    -------
    np.ndarray [shape=(ceil(n_samples / block),)]

    Examples
    --------
    >>> block_peaks(np.array([[0.1, -0.5, 0.2], [0.0, 0.3, -0.9]]), 2)
    array([0.5, 0.9])
    """
    a = np.asarray(audio)
    channels = list(a) if a.ndim == 2 else [a]
    n = channels[0].shape[0]
    n_blocks = -(-n // block)
    per_part = max(1, _PART_SAMPLES // block)  # whole blocks per part: no song-length temporaries (max is exact)
    parts = [_part_peaks(channels, start * block, min(n, (start + per_part) * block), block) for start in range(0, n_blocks, per_part)]
    if not parts:
        return np.zeros(0, dtype=np.abs(channels[0][:0]).dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


#: Samples per part where a song-length curve is made in parts (:func:`block_peaks`, :func:`nodes_to_samples`,
#: :func:`section_lift_gain`): no song-length temporaries; a multiple of the usual blocks.
_PART_SAMPLES = 1 << 18


def _part_peaks(channels: list[np.ndarray], start: int, stop: int, block: int) -> np.ndarray:
    """Peaks of the blocks of ``channels[:, start:stop]`` (``start`` on a block boundary; the last block zero-padded)."""
    env = np.abs(channels[0][start:stop])
    for channel in channels[1:]:
        np.maximum(env, np.abs(channel[start:stop]), out=env)
    n_blocks = -(-env.shape[0] // block)
    if n_blocks * block != env.shape[0]:
        env = np.concatenate([env, np.zeros(n_blocks * block - env.shape[0], dtype=env.dtype)])
    m = env.reshape(n_blocks, block)
    while m.shape[1] > 1 and m.shape[1] % 2 == 0:  # pairwise tree: ~2x faster than max(axis=1)
        m = np.maximum(m[:, 0::2], m[:, 1::2])
    return m.max(axis=1)


def static_curve_db(level_db: np.ndarray, *, threshold_db: float, ratio: float, knee_db: float = 0.0) -> np.ndarray:
    """Gain change in dB (<= 0) of a compressor's static curve for input levels ``level_db``.

    Above the threshold the output level rises ``1 / ratio`` dB per input dB;
    a soft knee of width ``knee_db`` blends the two lines quadratically.

    Examples
    --------
    >>> static_curve_db(np.array([-30.0, -10.0, 0.0]), threshold_db=-20.0, ratio=4.0)
    array([  0. ,  -7.5, -15. ])
    """
    level = np.asarray(level_db, dtype=np.float64)
    over = level - threshold_db
    slope = 1.0 / ratio - 1.0
    if knee_db <= 0.0:
        return np.where(over > 0.0, slope * over, 0.0)
    half = knee_db / 2.0
    knee = slope * (over + half) ** 2 / (2.0 * knee_db)
    return np.where(over <= -half, 0.0, np.where(over >= half, slope * over, knee))


def time_constant_coefficient(time_ms: float, *, sample_rate: float, block: int = 1) -> float:
    """One-pole coefficient ``exp(-block / (time_ms * sample_rate / 1000))`` (0 for a zero time)."""
    if time_ms <= 0.0:
        return 0.0
    return math.exp(-block / (time_ms * 1e-3 * sample_rate))


def decaying_max(values: np.ndarray, coefficient: float) -> np.ndarray:
    """Peak hold with exponential decay: ``y[k] = max_{j <= k} values[j] * coefficient ** (k - j)``.

    ``values`` must be >= 0. Computed without a Python loop as a running
    maximum in the log domain.

    Examples
    --------
    >>> decaying_max(np.array([0.0, 8.0, 0.0, 0.0, 5.0]), 0.5)
    array([0., 8., 4., 2., 5.])
    """
    x = np.asarray(values, dtype=np.float64)
    if coefficient <= 0.0 or x.size == 0:
        return x.copy()
    if coefficient >= 1.0:
        return np.maximum.accumulate(x)
    step = math.log(coefficient)  # < 0
    ramp = np.arange(x.shape[0], dtype=np.float64) * step
    with np.errstate(divide="ignore"):
        logs = np.log(x) - ramp
    held = np.maximum.accumulate(logs)
    return np.exp(held + ramp)


def one_pole(values: np.ndarray, coefficient: float) -> np.ndarray:
    """One-pole low-pass ``y[k] = c y[k-1] + (1 - c) x[k]`` from ``y[-1] = 0``."""
    if coefficient <= 0.0:
        return np.asarray(values, dtype=np.float64).copy()
    return scipy.signal.lfilter([1.0 - coefficient], [1.0, -coefficient], values)


def nodes_to_samples(nodes: np.ndarray, n_samples: int, block: int) -> np.ndarray:
    """Linear interpolation of control values at samples ``k * block`` to every sample.

    Parameters
    ----------
    nodes : np.ndarray [shape=(n_blocks + 1,)]
        Value at the start of each block, plus one after the last block.
    n_samples : int
    block : int

    Returns
    -------
    np.ndarray [shape=(n_samples,)], float32

    Examples
    --------
    >>> nodes_to_samples(np.array([0.0, 1.0, 1.0]), 4, 2)
    array([0. , 0.5, 1. , 1. ], dtype=float32)
    """
    v = np.asarray(nodes, dtype=np.float32)
    frac = np.arange(block, dtype=np.float32) / np.float32(block)
    n_rows = v.shape[0] - 1
    samples = np.empty((n_rows, block), dtype=np.float32)
    step = max(1, _PART_SAMPLES // block)
    for start in range(0, n_rows, step):  # by rows: no song-length temporaries (the same samples)
        stop = min(start + step, n_rows)
        np.multiply((v[start + 1 : stop + 1] - v[start:stop])[:, None], frac[None, :], out=samples[start:stop])
        samples[start:stop] += v[start:stop, None]
    return samples.reshape(-1)[:n_samples]


def _check_compressor(threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_db) -> tuple[float, ...]:
    values = (threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_db)
    names = ("threshold_db", "ratio", "attack_ms", "release_ms", "knee_db", "makeup_db")
    return tuple(check_number(v, name, *COMPRESSOR_RANGES[name]) for v, name in zip(values, names, strict=True))


def compressor_gain(
    audio: np.ndarray,
    *,
    sample_rate: int,
    threshold_db: float,
    ratio: float,
    attack_ms: float = 10.0,
    release_ms: float = 120.0,
    knee_db: float = 0.0,
    makeup_db: float = 0.0,
    input_gain_db: float = 0.0,
) -> np.ndarray:
    """The compressor's control signal: the linear gain it applies at every sample.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
        Detector input (stereo-linked: the louder channel drives both).
    sample_rate : int
        Hz.
    threshold_db : float
        dBFS peak level above which the gain is reduced.
    ratio : float
        >= 1; 1 means no compression.
    attack_ms, release_ms : float
        Time constants of the envelope follower.
    knee_db : float
        Width of the soft knee (0 = hard knee).
    makeup_db : float
        Gain added after compression.
    input_gain_db : float
        Gain the audio will get before the compressor (the detector sees
        ``audio`` scaled by it; the returned curve does not include it).

    Returns
    -------
    np.ndarray [shape=(n_samples,)], float32, linear gain

    Examples
    --------
    >>> import numpy as np
    >>> g = compressor_gain(np.full((1, 4800), 0.1), sample_rate=48000, threshold_db=-40.0, ratio=2.0, attack_ms=0.0)
    >>> round(float(20 * np.log10(g[-1])), 2)     # 0.1 is -20 dBFS: 20 dB over, halved
    -10.0
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_db = _check_compressor(
        threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_db
    )
    n = a.shape[1]
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    if ratio == 1.0:
        return np.full(n, db_to_gain(makeup_db), dtype=np.float32)
    nodes, block = compressor_nodes(a, sample_rate=rate, threshold_db=threshold_db, ratio=ratio, attack_ms=attack_ms,
                                    release_ms=release_ms, knee_db=knee_db, makeup_db=makeup_db, input_gain_db=input_gain_db)
    return nodes_to_samples(nodes, n, block)


def compressor_nodes(
    audio: np.ndarray,
    *,
    sample_rate: int,
    threshold_db: float,
    ratio: float,
    attack_ms: float,
    release_ms: float,
    knee_db: float,
    makeup_db: float,
    input_gain_db: float,
) -> tuple[np.ndarray, int]:
    """The compressor's linear gain at the start of every control block, and the block (samples).

    ``audio`` [shape=(n_channels, n_samples)], float32 with ``n_samples > 0``, and the
    settings are taken as checked (:func:`compressor_gain` checks them; ``ratio > 1``).
    :func:`nodes_to_samples` of the result is :func:`compressor_gain`'s output, and so
    is the same interpolation of any run of its rows (a caller may make the gain
    curve by parts).

    Returns
    -------
    nodes : np.ndarray [shape=(ceil(n_samples / block) + 1,)], float64
    block : int
    """
    block = control_block(sample_rate)
    peaks = block_peaks(audio, block).astype(np.float64)
    with np.errstate(divide="ignore"):
        level_db = 20.0 * np.log10(peaks) + input_gain_db
    reduction = -static_curve_db(level_db, threshold_db=threshold_db, ratio=ratio, knee_db=knee_db)
    held = decaying_max(reduction, time_constant_coefficient(release_ms, sample_rate=sample_rate, block=block))
    smooth = one_pole(held, time_constant_coefficient(attack_ms, sample_rate=sample_rate, block=block))
    return np.power(10.0, (makeup_db - np.append(smooth, smooth[-1])) / 20.0), block


def compress(
    audio: np.ndarray,
    *,
    sample_rate: int,
    threshold_db: float,
    ratio: float,
    attack_ms: float = 10.0,
    release_ms: float = 120.0,
    knee_db: float = 0.0,
    makeup_db: float = 0.0,
) -> np.ndarray:
    """Compress ``audio`` (stereo-linked, peak detector); see :func:`compressor_gain`.

    Returns
    -------
    np.ndarray [shape=(n_channels, n_samples)], float32
    """
    a = as_audio(audio, dtype=np.float32)
    gain = compressor_gain(
        a,
        sample_rate=sample_rate,
        threshold_db=threshold_db,
        ratio=ratio,
        attack_ms=attack_ms,
        release_ms=release_ms,
        knee_db=knee_db,
        makeup_db=makeup_db,
    )
    return a * gain[None, :]


def section_lift_gain(
    audio: np.ndarray,
    *,
    sample_rate: int,
    floor_lu: float = -9.0,
    strength: float = 0.8,
    max_gain_db: float = 12.0,
    k_power: np.ndarray | None = None,
) -> np.ndarray:
    """A slow gain [shape=(n_samples,)], float32 >= 1, lifting passages far under the song's loudness.

    Where the short-term loudness (3 s windows every 0.5 s) sits more than
    ``-floor_lu`` LU under the integrated loudness, the gain makes up
    ``strength`` of the shortfall (at most ``max_gain_db``), so a quiet
    intro or break stays quieter than the song, but not inaudible. Windows
    more than 30 LU under (fades, silence) are left alone. The gain moves
    over 2 s (a moving average of the window gains, linear between window
    centres), so it does not pump.

    ``k_power`` [shape=(n_samples,)] is ``audio``'s K-weighted power
    (:func:`lemm.mix.loudness.k_weighted_power`) where the caller has it
    already (the master does); None measures it. The gain does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((2, 48000 * 20)).astype(np.float32) * 0.1
    >>> x[:, : 48000 * 8] *= 0.1                       # an intro 20 dB down: lifted 0.8 * (20 - 9) dB
    >>> g = section_lift_gain(x, sample_rate=48000)
    >>> round(float(20 * np.log10(g[48000 * 3])), 1), round(float(20 * np.log10(g[48000 * 17])), 1)
    (8.8, 0.0)
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    floor = check_number(floor_lu, "floor_lu", -40.0, 0.0)
    k = check_number(strength, "strength", 0.0, 1.0)
    most = check_number(max_gain_db, "max_gain_db", 0.0, 24.0)
    n = a.shape[1]
    if n < 4 * rate:
        return np.ones(n, dtype=np.float32)
    song = integrated_loudness(a, sample_rate=rate)
    if k_power is None:
        short = short_term_loudness(a, sample_rate=rate, hop_seconds=0.5)
    else:
        short = short_term_from_power(_checked_power(k_power, n), sample_rate=rate, hop_seconds=0.5)
    if not math.isfinite(song) or short.size == 0:
        return np.ones(n, dtype=np.float32)
    audible = np.isfinite(short) & (short > song - 30.0)
    gain_db = np.where(audible, np.clip(k * (song + floor - np.where(audible, short, 0.0)), 0.0, most), 0.0)
    gain_db = np.convolve(np.pad(gain_db, 2, mode="edge"), np.ones(5) / 5.0, mode="valid")
    centres = 1.5 + 0.5 * np.arange(gain_db.size)
    out = np.ones(n, dtype=np.float32)
    for start in range(0, n, _PART_SAMPLES):  # by blocks: no song-length float64 arrays (the same samples)
        samples = np.arange(start, min(start + _PART_SAMPLES, n), dtype=np.float64) / rate
        block_db = np.interp(samples, centres, gain_db)
        lifted = np.flatnonzero(block_db)  # 0 dB (most of a song) is a gain of exactly 1
        if lifted.size:
            out[start + lifted] = db_to_gain(block_db[lifted]).astype(np.float32)
    return out


def _checked_power(power: object, n_samples: int) -> np.ndarray:
    p = np.asarray(power)
    if p.shape != (n_samples,) or p.dtype.kind != "f":
        raise ParameterError.for_field("k_power", f"{p.dtype} array of shape {p.shape}", f"a float array of shape ({n_samples},)")
    return p
