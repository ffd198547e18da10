"""TPDF dither and quantisation for writing integer PCM.

:func:`tpdf_dither` adds triangular noise of +-1 LSB (the sum of two
independent uniform variables of +-0.5 LSB) and rounds to the ``bit_depth``
grid, so the error is signal-independent noise (no distortion on quiet
fades). The LSB is ``2 ** -(bit_depth - 1)`` (``1 / 32768`` at 16 bits), the
step libsndfile uses when it converts float to PCM, so
:func:`lemm.io.audio.write_audio` writes exactly these values. Samples are
clipped to the integer range.

Examples
--------
>>> import numpy as np
>>> x = np.full((2, 4), 0.25, np.float32)
>>> y = tpdf_dither(x, bit_depth=16, seed=0)
>>> y.dtype, bool(np.all(np.abs(y - x) <= 1.5 / 32768))
(dtype('float32'), True)
>>> bool(np.array_equal(y * 32768, np.round(y * 32768)))
True
"""

from __future__ import annotations

import numpy as np

from lemm.errors import ParameterError

__all__ = ["tpdf_dither"]


def tpdf_dither(audio: np.ndarray, *, bit_depth: int = 16, seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """Add TPDF dither and quantise ``audio`` to ``bit_depth`` bits (16 or 24).

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
        Float samples in [-1, 1].
    bit_depth : int
        16 or 24.
    seed : int, numpy Generator or None
        The noise's seed (same seed, same output).

    Returns
    -------
    np.ndarray [shape=(n_channels, n_samples)], float32 on the grid ``k / 2**(bit_depth-1)``.
    """
    a = np.asarray(audio, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] not in (1, 2):
        raise ParameterError.for_field("audio shape", a.shape, "(n_channels, n_samples) with 1 or 2 channels")
    if not np.all(np.isfinite(a)):
        raise ParameterError.for_field("audio", "non-finite samples", "finite samples")
    if bit_depth not in (16, 24):
        raise ParameterError.for_field("bit_depth", bit_depth, "16 or 24")
    rng = np.random.default_rng(seed)
    scale = float(2 ** (bit_depth - 1))
    noise = rng.random(a.shape) - rng.random(a.shape)  # triangular, +-1 LSB
    q = np.clip(np.round(a * scale + noise), -scale, scale - 1.0)
    return (q / scale).astype(np.float32)  # exact: k / 2**23 fits float32's 24-bit mantissa
