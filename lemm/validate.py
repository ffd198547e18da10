"""Checks of the numbers that enter lemm, and the named ranges they are checked against.

Each range is defined here once; the settings dataclasses (:class:`lemm.mix.settings.CompressorSettings`,
:class:`lemm.mix.settings.TrackMix`, :class:`lemm.score.model.Track`) and the functions that take the
same quantities (:func:`lemm.mix.dynamics.compressor_gain`, :class:`lemm.mix.processors.Compressor`,
:func:`lemm.mix.auto.auto_mix_settings`, the instruction editor) check against these names. A value out
of range is refused with a :class:`~lemm.errors.ParameterError` naming the field, the value and the range.

Sizes (notes, seconds, bytes) and text are checked in :mod:`lemm.limits`.

Examples
--------
>>> check_sample_rate(48000)
48000
>>> check_sample_rate(4000)
Traceback (most recent call last):
...
lemm.errors.ParameterError: sample_rate must be an integer number of Hz in 8000..384000, got 4000
>>> check_number(3.0, "ratio", *COMPRESSOR_RANGES["ratio"])
3.0
"""

from __future__ import annotations

import math
from numbers import Real
from types import MappingProxyType

import numpy as np

from lemm.errors import ParameterError

__all__ = [
    "COMPRESSOR_RANGES",
    "GAIN_HINT_RANGE_DB",
    "MIX_GAIN_RANGE_DB",
    "SAMPLE_RATE_RANGE_HZ",
    "SINGING_MIN_SAMPLE_RATE_HZ",
    "check_number",
    "check_sample_rate",
]

#: Sample rates lemm renders, mixes, analyses and writes at (Hz, inclusive).
SAMPLE_RATE_RANGE_HZ = (8000, 384000)
#: Lowest sample rate of singing synthesis (the speech front end runs at 16 kHz).
SINGING_MIN_SAMPLE_RATE_HZ = 16000

#: A score track's gain hint (``Track.gain_db``), added to the automatic mix's level for the track.
GAIN_HINT_RANGE_DB = (-60.0, 24.0)
#: A mix channel strip's gain (``TrackMix.gain_db``), as a person sets it in the mix settings.
MIX_GAIN_RANGE_DB = (-120.0, 48.0)

#: A compressor's parameters (track strips, processors and the compressor functions).
COMPRESSOR_RANGES = MappingProxyType(
    {
        "threshold_db": (-120.0, 24.0),
        "ratio": (1.0, 1000.0),
        "attack_ms": (0.0, 2000.0),
        "release_ms": (0.0, 10000.0),
        "knee_db": (0.0, 48.0),
        "makeup_db": (-48.0, 48.0),
    }
)


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


def check_sample_rate(sample_rate: object, *, field: str = "sample_rate", low: int = SAMPLE_RATE_RANGE_HZ[0]) -> int:
    """Return ``sample_rate`` as an int if it is an integer in ``low``..384000 Hz.

    ``low`` is raised above :data:`SAMPLE_RATE_RANGE_HZ`'s floor only where a stage needs more
    (:data:`SINGING_MIN_SAMPLE_RATE_HZ`).
    """
    high = SAMPLE_RATE_RANGE_HZ[1]
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or not low <= int(sample_rate) <= high:
        raise ParameterError.for_field(field, sample_rate, f"an integer number of Hz in {low}..{high}")
    return int(sample_rate)
