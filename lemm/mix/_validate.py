"""Input checks shared by the mixer: audio arrays (numbers and sample rates: :mod:`lemm.validate`).

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

import numpy as np

from lemm.errors import ParameterError
from lemm.units import db_to_gain, gain_to_db  # re-exported: the mixer's modules import them from here
from lemm.validate import check_number, check_sample_rate  # re-exported likewise

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
