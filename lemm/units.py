"""Unit conversions used across lemm: pitch (MIDI <-> Hz) and level (dB <-> linear gain).

One home for each formula, so every layer computes the same number the same way. The
functions take Python numbers, numpy arrays and (for :func:`midi_to_hz`) torch tensors; a
number gives a float, an array an array of the same shape (float64 unless a tensor came in,
which keeps its dtype and device). This module imports only numpy, so any layer may use it.

Conventions: equal temperament with A4 = MIDI 69 = 440 Hz; decibels of amplitude
(``gain = 10 ** (gain_db / 20)``).

Examples
--------
>>> midi_to_hz(69), midi_to_hz(81)
(440.0, 880.0)
>>> hz_to_midi(220.0)
57.0
>>> db_to_gain(-6.0)  # doctest: +ELLIPSIS
0.501...
>>> gain_to_db(0.0)
-inf
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

__all__ = ["A4_HZ", "A4_MIDI", "db_to_gain", "gain_to_db", "hz_to_midi", "midi_to_hz"]

#: Reference pitch: MIDI note 69 (A4) sounds at 440 Hz.
A4_MIDI, A4_HZ = 69.0, 440.0


def midi_to_hz(pitch: Any) -> Any:
    """Frequency in Hz of a (fractional) MIDI pitch.

    Parameters
    ----------
    pitch : float, array_like or torch.Tensor
        MIDI pitch (60 = middle C); a float array keeps its precision, other arrays become float64.

    Returns
    -------
    float, np.ndarray or torch.Tensor
        ``440 * 2 ** ((pitch - 69) / 12)`` Hz, of the input's kind and shape.
    """
    if isinstance(pitch, Real):
        p: Any = float(pitch)
    elif isinstance(pitch, (np.ndarray, list, tuple)):
        p = _float_array(pitch)
    else:  # a torch tensor (or another array type with arithmetic) keeps its dtype and device
        p = pitch
    return A4_HZ * 2.0 ** ((p - A4_MIDI) / 12.0)


def hz_to_midi(f0_hz: Any) -> Any:
    """Fractional MIDI pitch of a frequency in Hz (> 0).

    Parameters
    ----------
    f0_hz : float or array_like
        Frequency in Hz; must be positive (callers mask unvoiced frames first).

    Returns
    -------
    float or np.ndarray
        ``69 + 12 * log2(f0_hz / 440)`` (a float array keeps its precision).
    """
    if isinstance(f0_hz, Real):
        return A4_MIDI + 12.0 * math.log2(float(f0_hz) / A4_HZ)
    return A4_MIDI + 12.0 * np.log2(_float_array(f0_hz) / A4_HZ)


def _float_array(values: Any) -> np.ndarray:
    """``values`` as a numpy array: float arrays keep their precision, anything else becomes float64."""
    a = np.asarray(values)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def db_to_gain(gain_db: float | np.ndarray) -> float | np.ndarray:
    """Linear amplitude gain of ``gain_db`` decibels (``10 ** (gain_db / 20)``)."""
    return np.power(10.0, np.asarray(gain_db) / 20.0) if isinstance(gain_db, np.ndarray) else 10.0 ** (gain_db / 20.0)


def gain_to_db(gain: float) -> float:
    """Decibels of a linear amplitude ``gain`` (``-inf`` for 0)."""
    return 20.0 * math.log10(gain) if gain > 0 else -math.inf
