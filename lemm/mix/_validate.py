"""Input checks shared by the mixer: audio arrays, sample rates, numbers.

Every public function of :mod:`lemm.mix` runs its audio through
:func:`as_audio`, so bad input fails early with a message that names the
argument, the value received and what is accepted.

Examples
--------
>>> import numpy as np
>>> as_audio(np.zeros(4)).shape          # 1-D is read as mono
(1, 4)
>>> as_audio(np.zeros((6, 4)))
Traceback (most recent call last):
...
lemm.errors.ParameterError: audio must be an array of shape (n_channels, n_samples) with 1 (mono) or 2 (stereo) channels, got 'shape (6, 4)'
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from lemm.errors import ParameterError

__all__ = ["as_audio", "check_sample_rate", "check_number", "db_to_gain", "gain_to_db"]


def as_audio(audio: object, *, field: str = "audio", dtype: type | None = None) -> np.ndarray:
    """Return ``audio`` as a C-contiguous float array [shape=(n_channels, n_samples)].

    Parameters
    ----------
    audio : array_like [shape=(n_channels, n_samples) or (n_samples,)]
        Mono or stereo samples; a 1-D array is read as mono.
    field : str
        Name used in error messages.
    dtype : numpy float type or None
        Type of the returned array (no copy when it already matches); None
        keeps float32 and float64 as they are and reads anything else as float64.

    Raises
    ------
    ParameterError
        Not numeric, more than 2 channels (e.g. 5.1), or non-finite samples.
    """
    try:
        a = np.asarray(audio)
    except (ValueError, TypeError):  # ragged lists and the like
        raise ParameterError.for_field(field, type(audio).__name__, "a numeric array of shape (n_channels, n_samples)") from None
    if a.dtype.kind not in "fiub":
        raise ParameterError.for_field(field, f"dtype {a.dtype}", "a real numeric array (float32 or float64)")
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[0] not in (1, 2):
        raise ParameterError.for_field(
            field, f"shape {a.shape}", "an array of shape (n_channels, n_samples) with 1 (mono) or 2 (stereo) channels"
        )
    if dtype is None:
        dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float64
    a = np.ascontiguousarray(a, dtype=dtype)
    if not np.isfinite(a).all():
        bad = int(np.count_nonzero(~np.isfinite(a)))
        raise ParameterError.for_field(field, f"{bad} non-finite samples (NaN or inf)", "finite samples")
    return a


def check_sample_rate(sample_rate: object) -> int:
    """Return ``sample_rate`` as an int if it is an integer in 8000..384000 Hz."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or not 8000 <= int(sample_rate) <= 384000:
        raise ParameterError.for_field("sample_rate", sample_rate, "an integer number of Hz in 8000..384000")
    return int(sample_rate)


def check_number(value: object, field: str, low: float = -math.inf, high: float = math.inf, *, open_low: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real number in [low, high] (or (low, high])."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (v > low if open_low else v >= low) and v <= high
    if not ok:
        lo = "(" if open_low else "["
        raise ParameterError.for_field(field, value, f"a finite number in {lo}{low:g}, {high:g}]")
    return float(value)


def db_to_gain(gain_db: float | np.ndarray) -> float | np.ndarray:
    """Linear amplitude gain of ``gain_db`` decibels (``10 ** (gain_db / 20)``)."""
    return np.power(10.0, np.asarray(gain_db) / 20.0) if isinstance(gain_db, np.ndarray) else 10.0 ** (gain_db / 20.0)


def gain_to_db(gain: float) -> float:
    """Decibels of a linear amplitude ``gain`` (``-inf`` for 0)."""
    return 20.0 * math.log10(gain) if gain > 0 else -math.inf
