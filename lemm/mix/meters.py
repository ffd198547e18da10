"""The measured report of a piece of audio: loudness, peaks, range, crest, stereo and spectral balance.

Re-exports the meters of :mod:`lemm.mix.loudness` and :mod:`lemm.mix.peak`
so ``from lemm.mix.meters import integrated_loudness, true_peak_db`` works.

Conventions for silence (all-zero audio): loudness and peaks are ``-inf``,
``lra_lu``, ``crest_db``, ``plr_db``, ``mono_fold_down_loss_db`` and
``spectral_tilt_db_per_octave`` are 0.0, the correlations 1.0.

Examples
--------
>>> import numpy as np
>>> t = np.arange(48000 * 3) / 48000
>>> sine = 0.5 * np.sin(2 * np.pi * 1000 * t)
>>> m = measure(np.stack([sine, sine]), sample_rate=48000)
>>> sorted(m)[:6]
['correlation', 'crest_db', 'duration_seconds', 'integrated_lufs', 'low_end_correlation', 'lra_lu']
>>> sorted(m)[6:]
['mono_fold_down_loss_db', 'plr_db', 'sample_peak_dbfs', 'spectral_tilt_db_per_octave', 'true_peak_dbtp']
>>> round(m["crest_db"], 2), round(m["correlation"], 3), m["duration_seconds"]
(3.01, 1.0, 3.0)
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lemm.mix._validate import as_audio, check_sample_rate
from lemm.mix.loudness import (
    BlockPowers,
    block_powers,
    gated_loudness,
    integrated_loudness,
    loudness_range,
    loudness_range_from_blocks,
    momentary_loudness,
    short_term_loudness,
)
from lemm.mix.peak import phase_peaks, sample_peak_db, true_peak_db
from lemm.mix.spectrum import spectral_tilt
from lemm.mix.stereo import low_end_correlation

__all__ = [
    "measure",
    "measure_parts",
    "integrated_loudness",
    "momentary_loudness",
    "short_term_loudness",
    "loudness_range",
    "true_peak_db",
    "sample_peak_db",
    "stereo_correlation",
]


def _db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else -math.inf


def stereo_correlation(audio: np.ndarray) -> float:
    """Zero-lag correlation of L and R, ``sum(L R) / sqrt(sum(L^2) sum(R^2))``, in -1..1.

    1.0 for mono input and for two identical (or two silent) channels; 0.0
    when exactly one channel is silent.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.sin(np.arange(1000.0))
    >>> stereo_correlation(np.stack([x, -x]))
    -1.0
    """
    a = as_audio(audio)
    if a.shape[0] == 1:
        return 1.0
    left, right = a[0].astype(np.float64), a[1].astype(np.float64)
    el, er = float(np.dot(left, left)), float(np.dot(right, right))
    if el == 0.0 and er == 0.0:
        return 1.0
    if el == 0.0 or er == 0.0:
        return 0.0
    return float(np.clip(np.dot(left, right) / math.sqrt(el * er), -1.0, 1.0))


def measure_parts(audio: np.ndarray, *, sample_rate: int, blocks: BlockPowers, peaks_4x: np.ndarray) -> dict[str, float]:
    """:func:`measure` from already computed block powers and 4x phase peaks (no re-filtering).

    Of ``peaks_4x`` (:func:`lemm.mix.peak.phase_peaks` at 4x) only the first entry (the sample peak)
    and the largest (the true peak) are read, so ``[sample peak, true peak]`` serves as well
    (:func:`lemm.mix.limiter.limited_peaks`).
    """
    integrated = gated_loudness(blocks.momentary)
    sample_peak = float(peaks_4x[0]) if peaks_4x.size else 0.0
    true_peak = float(peaks_4x.max()) if peaks_4x.size else 0.0

    def spectral() -> tuple[float, float]:
        return low_end_correlation(audio, sample_rate=sample_rate), spectral_tilt(audio, sample_rate=sample_rate)

    def levels() -> tuple[float, float, float]:
        mean_square = float(np.mean(np.square(audio, dtype=np.float64))) if audio.size else 0.0
        fold_loss = 0.0
        if audio.shape[0] == 2 and integrated != -math.inf:
            mid = ((audio[0] + audio[1]) * audio.dtype.type(0.5))[None, :]
            fold = gated_loudness(2.0 * block_powers(mid, sample_rate=sample_rate).momentary)
            fold_loss = math.inf if fold == -math.inf else integrated - fold
        return mean_square, fold_loss, stereo_correlation(audio)

    (low_end, tilt), (mean_square, fold_loss, correlation) = side_by_side(spectral, levels, long=audio.shape[-1] >= THREADED_SAMPLES)
    rms_db = 10.0 * math.log10(mean_square) if mean_square > 0 else -math.inf
    silent = sample_peak == 0.0
    tp_db = _db(true_peak)
    return {
        "integrated_lufs": integrated,
        "true_peak_dbtp": tp_db,
        "sample_peak_dbfs": _db(sample_peak),
        "lra_lu": loudness_range_from_blocks(blocks),
        "crest_db": 0.0 if silent else _db(sample_peak) - rms_db,
        "plr_db": 0.0 if silent or integrated == -math.inf else tp_db - integrated,
        "correlation": correlation,
        "duration_seconds": audio.shape[1] / sample_rate,
        "mono_fold_down_loss_db": fold_loss,
        "low_end_correlation": low_end,
        "spectral_tilt_db_per_octave": tilt,
    }


#: From this length on, two independent whole-song measurements run on two threads (scipy and numpy release the GIL).
THREADED_SAMPLES = 1_000_000


def side_by_side(first, second, *, long: bool) -> tuple:
    """``(first(), second())``, the first on a second thread when ``long`` (the same values either way)."""
    if not long:
        return first(), second()
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(first)
        other = second()
        return later.result(), other


def measure(audio: np.ndarray, *, sample_rate: int) -> dict[str, float]:
    """Measure ``audio`` [shape=(n_channels, n_samples)] (mono or stereo).

    Returns
    -------
    dict
        ``integrated_lufs`` (BS.1770-4), ``true_peak_dbtp`` (4x), ``sample_peak_dbfs``,
        ``lra_lu`` (EBU Tech 3342), ``crest_db`` (sample peak over RMS of all
        samples, both in dBFS, a full-scale sine reads 3.01), ``plr_db``
        (true peak minus integrated loudness), ``correlation`` (see
        :func:`stereo_correlation`), ``duration_seconds``,
        ``mono_fold_down_loss_db`` (loudness lost by the mono fold-down
        ``(L + R) / 2``, :func:`lemm.mix.stereo.fold_down_loss_db`),
        ``low_end_correlation`` (L/R correlation below 120 Hz) and
        ``spectral_tilt_db_per_octave`` (100 Hz..10 kHz,
        :func:`lemm.mix.spectrum.spectral_tilt`).

    Raises
    ------
    ParameterError
        More than two channels, non-finite samples, or a bad sample rate.
    """
    a = as_audio(audio)
    rate = check_sample_rate(sample_rate)
    blocks = block_powers(a, sample_rate=rate)
    return measure_parts(a, sample_rate=rate, blocks=blocks, peaks_4x=phase_peaks(a, oversample=4))
