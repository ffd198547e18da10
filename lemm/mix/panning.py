"""Gain and constant-power panning.

Pan law: a mono source at ``pan`` in -1 (left) .. +1 (right) gets
``(cos(theta), sin(theta))`` with ``theta = (pan + 1) * pi / 4``: -3 dB in
each channel at the centre and ``L**2 + R**2`` constant at every position.

A stereo source is treated as two mono sources, its left channel at
``pos_left`` and its right channel at ``pos_right``; centre (``pan = 0``)
leaves it untouched, and panning moves the far side across toward the near
one (``pan = 0.5``: left channel in the centre, right channel hard right;
``pan = 1``: both hard right). Each channel keeps its power.

Examples
--------
>>> import numpy as np
>>> left, right = pan_gains(0.0)
>>> round(left, 4), round(right, 4)
(0.7071, 0.7071)
>>> pan_matrix(0.0, 2)
array([[1., 0.],
       [0., 1.]])
"""

from __future__ import annotations

import math

import numpy as np

from lemm.mix._validate import as_audio, check_number
from lemm.units import db_to_gain

__all__ = ["pan_gains", "pan_matrix", "apply_gain", "apply_pan"]


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power (left, right) gains of a mono source at ``pan`` in -1..1."""
    p = check_number(pan, "pan", -1.0, 1.0)
    theta = (p + 1.0) * math.pi / 4.0
    left, right = math.cos(theta), math.sin(theta)
    return (left if abs(left) > 1e-12 else 0.0), (right if abs(right) > 1e-12 else 0.0)


def pan_matrix(pan: float, n_channels: int) -> np.ndarray:
    """Matrix [shape=(2, n_channels)] mapping a mono or stereo source to the stereo bus.

    Examples
    --------
    >>> np.round(pan_matrix(1.0, 2), 4)
    array([[0., 0.],
           [1., 1.]])
    """
    p = check_number(pan, "pan", -1.0, 1.0)
    if n_channels == 1:
        return np.array(pan_gains(p), dtype=np.float64)[:, None]
    pos_left = -1.0 + 2.0 * max(p, 0.0)
    pos_right = 1.0 + 2.0 * min(p, 0.0)
    return np.array([pan_gains(pos_left), pan_gains(pos_right)], dtype=np.float64).T


def apply_gain(audio: np.ndarray, *, gain_db: float) -> np.ndarray:
    """``audio`` times ``10 ** (gain_db / 20)``; float32 out.

    Examples
    --------
    >>> apply_gain(np.ones((1, 2)), gain_db=-6.0)
    array([[0.5011872, 0.5011872]], dtype=float32)
    """
    a = as_audio(audio, dtype=np.float32)
    g = check_number(gain_db, "gain_db", -200.0, 60.0)
    return a * np.float32(db_to_gain(g))


def apply_pan(audio: np.ndarray, *, pan: float) -> np.ndarray:
    """Pan a mono or stereo source onto a stereo bus [shape=(2, n_samples)]; float32 out."""
    a = as_audio(audio, dtype=np.float32)
    m = pan_matrix(pan, a.shape[0]).astype(np.float32)
    return m @ a
