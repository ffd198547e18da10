"""Sidechain ducking: a track's gain dips when the kick (the source's low end) hits.

The source is block-averaged to the compressor's control rate (about 3 kHz,
:func:`lemm.mix.dynamics.control_block`), low-passed at ``lowpass_hz``
(2nd-order Butterworth: the kick, not the hats), and its magnitude
normalised by its 99.5th percentile, so the loudest hits read 1. The gain
reduction is ``depth_db`` times that level (clipped at 1), held with an
exponential release (``release_ms``) and smoothed by a one-pole attack
(``attack_ms``), then interpolated to samples.

Examples
--------
>>> import numpy as np
>>> rate = 48000
>>> t = np.arange(rate) / rate
>>> kick = np.zeros(rate); kick[:4800] = np.sin(2 * np.pi * 55 * t[:4800])      # one 100 ms hit
>>> g = ducking_gain(kick[None, :], sample_rate=rate, depth_db=6.0)
>>> round(float(20 * np.log10(g.min()))), bool(g[-1] > 0.99)       # ducked ~6 dB, recovered
(-6, True)
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.dynamics import control_block, decaying_max, nodes_to_samples, one_pole, time_constant_coefficient

__all__ = ["ducking_gain"]


def ducking_gain(
    source: np.ndarray,
    *,
    sample_rate: int,
    depth_db: float,
    attack_ms: float = 2.0,
    release_ms: float = 150.0,
    lowpass_hz: float = 150.0,
) -> np.ndarray:
    """Linear gain [shape=(n_samples,)], float32, in (0, 1]: 1 where the source is quiet.

    Parameters
    ----------
    source : np.ndarray [shape=(n_channels, n_samples)]
        The stem that ducks (e.g. the drums); its channels are averaged.
    sample_rate : int
        Hz.
    depth_db : float
        Reduction at the loudest hits, 0..24 dB.
    attack_ms, release_ms : float
        Time constants of the ducking envelope.
    lowpass_hz : float
        The detector hears the source below this frequency.
    """
    a = as_audio(source, field="sidechain source", dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    depth = check_number(depth_db, "depth_db", 0.0, 24.0)
    attack_ms = check_number(attack_ms, "attack_ms", 0.0, 1000.0)
    release_ms = check_number(release_ms, "release_ms", 0.0, 5000.0)
    n = a.shape[1]
    if n == 0 or depth == 0.0:
        return np.ones(n, dtype=np.float32)
    block = control_block(rate)
    n_blocks = -(-n // block)
    mono = np.zeros(n_blocks * block, dtype=np.float32)
    mono[:n] = a.mean(axis=0)
    decimated = mono.reshape(n_blocks, block).mean(axis=1, dtype=np.float64)
    control_rate = rate / block
    sos = scipy.signal.butter(2, min(check_number(lowpass_hz, "lowpass_hz", 20.0, 1000.0), 0.45 * control_rate),
                              fs=control_rate, output="sos")
    level = np.abs(scipy.signal.sosfilt(sos, decimated))
    reference = float(np.percentile(level, 99.5)) if level.size else 0.0
    if reference <= 0.0:
        return np.ones(n, dtype=np.float32)
    reduction = depth * np.minimum(level / reference, 1.0)
    held = decaying_max(reduction, time_constant_coefficient(release_ms, sample_rate=rate, block=block))
    smooth = one_pole(held, time_constant_coefficient(attack_ms, sample_rate=rate, block=block))
    nodes = np.power(10.0, -np.append(smooth, smooth[-1]) / 20.0)
    return nodes_to_samples(nodes, n, block)
