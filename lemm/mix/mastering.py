"""Mastering: glue compression, then gain into a true-peak limiter, in a loudness loop.

Chain::

    mix -> glue compressor -> gain G -> lookahead true-peak limiter -> master
                                 ^                                      |
                                 +---- measure loudness, correct G -----+

The glue compressor is light (ratio 1.5, soft knee, peak detector, 30 ms
attack, 250 ms release) with its threshold ``glue_threshold_lu`` above the
mix's own integrated loudness, so it behaves the same at any input level.

The loop measures the limiter's output loudness for a trial gain ``G`` from
the glue output's K-weighted power times the gain curve squared (the
K-weighting is measured once), corrects ``G`` by the error over a secant
slope (limiting makes loudness grow slower than ``G``), and stops within
0.01 LU. The chosen master is then measured exactly (the 4x true-peak
meter and BS.1770 K-weighting). A true peak over the ceiling (the limiter
aims 0.1 dB under it) grows the limiter's margin by the excess and redoes
the loop; a loudness off by more than 0.05 LU redoes it with the target
corrected by the error. The true peak therefore never exceeds the ceiling,
and no sample reaches 0 dBFS (the meter's phase 0 is the samples).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> mix = rng.standard_normal((2, 48000 * 4)) * 0.05
>>> out, report = master(mix, sample_rate=48000, target_lufs=-14.0, ceiling_dbtp=-1.0)
>>> round(report["integrated_lufs"], 1), report["true_peak_dbtp"] <= -1.0, out.dtype
(-14.0, True, dtype('float32'))
"""

from __future__ import annotations

import math

import numpy as np

from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.dynamics import compressor_gain
from lemm.mix.limiter import limit_with_detector, limiter_detector, limiter_gain, limiter_gain_db
from lemm.mix.loudness import block_powers, gated_loudness, integrated_from_power, k_weighted_power
from lemm.mix.meters import measure_parts
from lemm.mix.peak import phase_peaks

__all__ = ["master"]

_LOOP_TOLERANCE_LU = 0.01
_FINAL_TOLERANCE_LU = 0.05
_MAX_BOOST_DB = 40.0
_MARGIN_DB = 0.1  # limiter threshold below the ceiling, grown if a check finds a peak over it
_MAX_PASSES = 5


def _check_options(target_lufs, ceiling_dbtp, glue_ratio, glue_threshold_lu, glue_attack_ms, glue_release_ms,
                   limiter_lookahead_ms, limiter_release_ms) -> None:
    check_number(target_lufs, "target_lufs", -60.0, 0.0)
    check_number(ceiling_dbtp, "ceiling_dbtp", -20.0, -0.1)
    check_number(glue_ratio, "glue_ratio", 1.0, 10.0)
    check_number(glue_threshold_lu, "glue_threshold_lu", -20.0, 40.0)
    check_number(glue_attack_ms, "glue_attack_ms", 0.0, 1000.0)
    check_number(glue_release_ms, "glue_release_ms", 0.0, 5000.0)
    check_number(limiter_lookahead_ms, "limiter_lookahead_ms", 0.1, 100.0)
    check_number(limiter_release_ms, "limiter_release_ms", 0.0, 5000.0)


def master(
    audio: np.ndarray,
    *,
    sample_rate: int,
    target_lufs: float = -14.0,
    ceiling_dbtp: float = -1.0,
    glue_ratio: float = 1.5,
    glue_threshold_lu: float = 8.0,
    glue_attack_ms: float = 30.0,
    glue_release_ms: float = 250.0,
    limiter_lookahead_ms: float = 5.0,
    limiter_release_ms: float = 100.0,
) -> tuple[np.ndarray, dict]:
    """Master ``audio`` to ``target_lufs`` integrated loudness with true peak <= ``ceiling_dbtp``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
        The mix, mono or stereo, float (may exceed 1.0).
    sample_rate : int
        Hz.
    target_lufs : float
        Integrated loudness of the result (BS.1770-4), -60..0 LUFS.
    ceiling_dbtp : float
        Highest true peak of the result (4x meter), -20..-0.1 dBTP.
    glue_ratio, glue_threshold_lu, glue_attack_ms, glue_release_ms : float
        The glue compressor (ratio 1 turns it off); the threshold is in LU
        above the mix's integrated loudness.
    limiter_lookahead_ms, limiter_release_ms : float
        The limiter's lookahead (= attack ramp) and release time constant.
        (The names match :class:`lemm.mix.settings.MasterSettings`' fields.)

    Returns
    -------
    master : np.ndarray [shape=(n_channels, n_samples)], float32
    report : dict
        :func:`lemm.mix.meters.measure` of the master, plus ``target_lufs``,
        ``ceiling_dbtp``, ``gain_db`` (gain into the limiter), ``max_gain_reduction_db``
        (limiter), ``glue_max_gain_reduction_db``, ``iterations`` (loudness
        loop passes), ``target_reached`` (within 0.1 LU) and ``silent`` (True
        when no 400 ms block of the input is above -70 LUFS: the input is
        returned unchanged, only limited if it peaks over the ceiling).

    Raises
    ------
    ParameterError
        Bad audio (more than two channels, NaN/inf samples) or options out of range.
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    _check_options(target_lufs, ceiling_dbtp, glue_ratio, glue_threshold_lu, glue_attack_ms, glue_release_ms,
                   limiter_lookahead_ms, limiter_release_ms)
    limiter_options = dict(sample_rate=rate, ceiling_dbtp=ceiling_dbtp, lookahead_ms=limiter_lookahead_ms,
                           release_ms=limiter_release_ms)
    power_in = k_weighted_power(a, sample_rate=rate)
    loudness_in = integrated_from_power(power_in, sample_rate=rate)
    base = {"target_lufs": float(target_lufs), "ceiling_dbtp": float(ceiling_dbtp)}

    if loudness_in == -math.inf:
        return _master_silence(a, limiter_options, base)

    # Glue compressor; its K-weighted power is approximated by power_in * gain**2 for the loop.
    if glue_ratio > 1.0:
        glue = compressor_gain(
            a, sample_rate=rate, threshold_db=loudness_in + glue_threshold_lu, ratio=glue_ratio,
            attack_ms=glue_attack_ms, release_ms=glue_release_ms, knee_db=6.0,
        )
        x = a * glue[None, :]
        glue_max = -20.0 * math.log10(max(float(glue.min()), 1e-12))
        power_x = power_in * np.square(glue, dtype=np.float64)
    else:
        x, glue_max, power_x = a, 0.0, power_in
    detector = limiter_detector(x, sample_rate=rate, oversample=8)

    gain_db = target_lufs - integrated_from_power(power_x, sample_rate=rate)
    model = _LimitedLoudness(power_x, detector, sample_rate=rate, limiter_options=limiter_options)
    del power_x, power_in
    max_gain_db = gain_db + _MAX_BOOST_DB
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    aim, margin_db, iterations = float(target_lufs), _MARGIN_DB, 0
    for _ in range(_MAX_PASSES):
        gain_db, n = _loudness_loop(model, gain_db=gain_db, aim=aim, max_gain_db=max_gain_db, margin_db=margin_db)
        iterations += n
        gain, max_reduction = limiter_gain(detector, input_gain_db=gain_db, margin_db=margin_db, **limiter_options)
        out = x * gain[None, :]
        peaks = phase_peaks(out, oversample=4)
        excess_db = 20.0 * math.log10(float(peaks.max()) / ceiling) if peaks.max() > 0 else -math.inf
        if excess_db > 0.0:  # the gain's own modulation or the detector read low: tighten and redo
            margin_db += excess_db + 0.02
            continue
        blocks_out = block_powers(out, sample_rate=rate)
        error = target_lufs - gated_loudness(blocks_out.momentary)
        if abs(error) <= _FINAL_TOLERANCE_LU or gain_db >= max_gain_db:
            break
        aim += error
    if excess_db > 0.0:  # not reached in practice: a static trim (the meter is linear, so this is exact)
        out = out * np.float32(ceiling / float(peaks.max()) * (1.0 - 1e-6))
        max_reduction += excess_db
        peaks = phase_peaks(out, oversample=4)
        blocks_out = block_powers(out, sample_rate=rate)

    out = np.ascontiguousarray(out, dtype=np.float32)
    report = measure_parts(out, sample_rate=rate, blocks=blocks_out, peaks_4x=peaks)
    report.update(base)
    report.update(
        gain_db=float(gain_db),
        max_gain_reduction_db=float(max_reduction),
        glue_max_gain_reduction_db=float(glue_max),
        iterations=iterations,
        target_reached=bool(abs(report["integrated_lufs"] - target_lufs) <= 0.1),
        silent=False,
    )
    return out, report


class _LimitedLoudness:
    """Approximate loudness of ``x`` after input gain and limiting, from ``x``'s K-weighted power.

    Uses ``sum(gain**2 * power)`` per gating block (K-weighting and a slowly
    varying gain nearly commute). Where the 100 ms hop is a whole number of
    limiter blocks, the power is summed per limiter block once and the gain
    enters as the mean square of its linear ramp over each block, so an
    iteration costs a few operations on the block grid instead of the samples.
    """

    def __init__(self, power: np.ndarray, detector, *, sample_rate: int, limiter_options: dict) -> None:
        self.detector, self.sample_rate, self.options = detector, sample_rate, limiter_options
        block, n = detector.block, power.shape[0]
        hop = 0.1 * sample_rate
        self.per_hop = int(round(hop)) // block if abs(hop - round(hop)) < 1e-9 and int(round(hop)) % block == 0 else 0
        n_blocks = -(-n // block)
        if self.per_hop and n >= int(round(0.4 * sample_rate)):
            padded = np.zeros(n_blocks * block)
            padded[:n] = power
            self.block_energy = padded.reshape(n_blocks, block).sum(axis=1)
            self.power = None
        else:
            self.per_hop, self.block_energy, self.power = 0, None, power

    def loudness(self, gain_db: float, *, margin_db: float) -> float:
        if self.power is not None:
            gain, _ = limiter_gain(self.detector, input_gain_db=gain_db, margin_db=margin_db, **self.options)
            return integrated_from_power(self.power * np.square(gain, dtype=np.float64), sample_rate=self.sample_rate)
        reduction = limiter_gain_db(self.detector, input_gain_db=gain_db, margin_db=margin_db, **self.options)
        g = np.power(10.0, (gain_db - reduction) / 20.0)
        mean_square = (g[:-1] ** 2 + g[:-1] * g[1:] + g[1:] ** 2) / 3.0  # of a linear ramp g[k] -> g[k+1]
        energy = self.block_energy * mean_square
        n_hops = energy.shape[0] // self.per_hop
        hops = energy[: n_hops * self.per_hop].reshape(n_hops, self.per_hop).sum(axis=1)
        windows = np.convolve(hops, np.ones(4), mode="valid") / (4 * self.per_hop * self.detector.block)
        return gated_loudness(windows)


def _loudness_loop(model: _LimitedLoudness, *, gain_db, aim, max_gain_db, margin_db, max_iterations=10):
    """Find the input gain whose limited output measures ``aim`` LUFS (approximately)."""
    previous = None
    n = 0
    for n in range(1, max_iterations + 1):
        loudness = model.loudness(gain_db, margin_db=margin_db)
        error = aim - loudness
        if abs(error) <= _LOOP_TOLERANCE_LU or gain_db >= max_gain_db:
            break
        slope = 1.0
        if previous is not None and gain_db != previous[0]:
            slope = min(1.0, max(0.05, (loudness - previous[1]) / (gain_db - previous[0])))
        previous = (gain_db, loudness)
        gain_db = min(gain_db + error / slope, max_gain_db)
    return gain_db, n


def _master_silence(a: np.ndarray, limiter_options: dict, base: dict) -> tuple[np.ndarray, dict]:
    """Nothing above the -70 LUFS gate: no loudness to normalise; return the input (limited if needed)."""
    rate = limiter_options["sample_rate"]
    out, max_reduction = a.copy(), 0.0
    peaks = phase_peaks(out, oversample=4)
    if out.size and float(peaks.max()) > 10.0 ** (limiter_options["ceiling_dbtp"] / 20.0):
        detector = limiter_detector(out, sample_rate=rate, oversample=8)
        out, max_reduction, peaks = limit_with_detector(out, detector, input_gain_db=0.0, check_oversample=4, **limiter_options)
    report = measure_parts(out, sample_rate=rate, blocks=block_powers(out, sample_rate=rate), peaks_4x=peaks)
    report.update(base)
    report.update(gain_db=0.0, max_gain_reduction_db=float(max_reduction), glue_max_gain_reduction_db=0.0, iterations=0,
                  target_reached=False, silent=True)
    return out, report
