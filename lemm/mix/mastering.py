"""Mastering: tilt EQ, stereo width, glue compression, then gain into a true-peak limiter, in a loudness loop.

Chain::

    mix -> section lift -> tilt EQ -> width / mono bass -> glue compressor -> gain G -> lookahead true-peak limiter -> master
                                                                                 ^                                      |
                                                                                 +---- measure loudness, correct G -----+

Section lift (:func:`lemm.mix.dynamics.section_lift_gain`): a slow gain that
brings passages far under the song's loudness (a solo intro, a break) up
toward ``section_floor_lu`` under it, so they stay quieter but audible after
the master's loudness normalisation (None = off).

Tilt EQ: the mix's spectral tilt (:func:`lemm.mix.spectrum.spectral_tilt`)
is moved ``tilt_strength`` of the way toward ``tilt_target_db_per_octave``
(at most 1.5 dB/octave) by :func:`lemm.mix.spectrum.tilt_sos`, pivoting at 1 kHz.

Width: the side is high-passed at ``mono_bass_hz`` (mono low end) and scaled
by ``stereo_width``, then widened (at most 1.5x) where the mix's side/mid
power ratio is under ``min_side_mid_db`` (a mix whose kick and bass hold most
of its power); where the mono fold-down would then lose more than
``max_fold_down_loss_db`` of loudness (:func:`lemm.mix.stereo.fold_down_loss_db`),
the side is narrowed further until it loses exactly that much. The
K-weighted power is measured on mid and side (``L**2 + R**2 = 2 (M**2 + S**2)``),
so the narrowing is computed without filtering again.

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
import scipy.signal

from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.dynamics import compressor_gain, section_lift_gain
from lemm.mix.limiter import limit_with_detector, limiter_detector, limiter_gain, limiter_gain_db
from lemm.mix.loudness import (
    block_powers,
    block_powers_from_power,
    gated_loudness,
    integrated_from_power,
    k_weighted_power,
    k_weighting_sos,
)
from lemm.mix.meters import measure_parts
from lemm.mix.peak import phase_peaks
from lemm.mix.spectrum import spectral_tilt, tilt_sos
from lemm.mix.stereo import mid_side, side_highpass_sos

__all__ = ["master"]

_LOOP_TOLERANCE_LU = 0.01
_FINAL_TOLERANCE_LU = 0.05
_MAX_BOOST_DB = 40.0
_MARGIN_DB = 0.1  # limiter threshold below the ceiling, grown if a check finds a peak over it
_MAX_PASSES = 5
_MAX_TILT_CORRECTION = 1.5  # dB per octave


def _check_options(target_lufs, ceiling_dbtp, glue_ratio, glue_threshold_lu, glue_attack_ms, glue_release_ms,
                   limiter_lookahead_ms, limiter_release_ms, tilt_target_db_per_octave, tilt_strength, stereo_width,
                   mono_bass_hz, max_fold_down_loss_db) -> None:
    check_number(tilt_target_db_per_octave, "tilt_target_db_per_octave", -12.0, 6.0)
    check_number(tilt_strength, "tilt_strength", 0.0, 1.0)
    check_number(stereo_width, "stereo_width", 0.0, 2.0)
    if mono_bass_hz is not None:
        check_number(mono_bass_hz, "mono_bass_hz", 20.0, 500.0)
    check_number(max_fold_down_loss_db, "max_fold_down_loss_db", 0.1, 3.0)
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
    tilt_target_db_per_octave: float = -4.5,
    tilt_strength: float = 0.5,
    stereo_width: float = 1.0,
    mono_bass_hz: float | None = 120.0,
    max_fold_down_loss_db: float = 1.2,
    section_floor_lu: float | None = -9.0,
    min_side_mid_db: float | None = -10.0,
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
    tilt_target_db_per_octave, tilt_strength : float
        Target spectral tilt (-12..6 dB/octave) and the fraction (0..1) of
        the way the tilt EQ moves toward it (0 = no tilt EQ).
    stereo_width : float
        Side gain, 0..2 (stereo input only).
    mono_bass_hz : float or None
        Side high-pass, 20..500 Hz (None = none).
    max_fold_down_loss_db : float
        Largest loudness loss of the mono fold-down, 0.1..3 dB.
    min_side_mid_db : float or None
        Widen a narrow mix: where the side/mid power ratio after the width is
        under this (-30..0 dB), the side gain grows toward it, at most 1.5x
        (None = off); the fold-down guard still applies.
    section_floor_lu : float or None
        Passages more than this many LU under the mix's integrated loudness
        are lifted toward it (-40..0; None = no lift).
        (The names match :class:`lemm.mix.settings.MasterSettings`' fields.)

    Returns
    -------
    master : np.ndarray [shape=(n_channels, n_samples)], float32
    report : dict
        :func:`lemm.mix.meters.measure` of the master, plus ``target_lufs``,
        ``ceiling_dbtp``, ``gain_db`` (gain into the limiter), ``max_gain_reduction_db``
        (limiter), ``glue_max_gain_reduction_db``, ``iterations`` (loudness
        loop passes), ``target_reached`` (within 0.1 LU), ``silent`` (True
        when no 400 ms block of the input is above -70 LUFS: the input is
        returned unchanged, only limited if it peaks over the ceiling),
        ``tilt_target_db_per_octave``, ``tilt_input_db_per_octave`` (of the
        mix), ``tilt_correction_db_per_octave`` (applied), ``side_gain`` (the
        side's final gain: ``stereo_width`` times any narrowing),
        ``short_term_lufs`` (list, one 3 s window per second, None where
        silent) and ``gain_reduction_db`` (list, per second: the largest
        glue plus limiter reduction in it).

    Raises
    ------
    ParameterError
        Bad audio (more than two channels, NaN/inf samples) or options out of range.
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    _check_options(target_lufs, ceiling_dbtp, glue_ratio, glue_threshold_lu, glue_attack_ms, glue_release_ms,
                   limiter_lookahead_ms, limiter_release_ms, tilt_target_db_per_octave, tilt_strength, stereo_width,
                   mono_bass_hz, max_fold_down_loss_db)
    if section_floor_lu is not None:
        check_number(section_floor_lu, "section_floor_lu", -40.0, 0.0)
    if min_side_mid_db is not None:
        check_number(min_side_mid_db, "min_side_mid_db", -30.0, 0.0)
    limiter_options = dict(sample_rate=rate, ceiling_dbtp=ceiling_dbtp, lookahead_ms=limiter_lookahead_ms,
                           release_ms=limiter_release_ms)
    base = {"target_lufs": float(target_lufs), "ceiling_dbtp": float(ceiling_dbtp),
            "tilt_target_db_per_octave": float(tilt_target_db_per_octave)}
    if integrated_from_power(k_weighted_power(a, sample_rate=rate), sample_rate=rate) == -math.inf:
        return _master_silence(a, limiter_options, base)

    if section_floor_lu is not None:
        a = a * section_lift_gain(a, sample_rate=rate, floor_lu=section_floor_lu)[None, :]
    tilt_in = spectral_tilt(a, sample_rate=rate)
    correction = float(np.clip(tilt_strength * (tilt_target_db_per_octave - tilt_in), -_MAX_TILT_CORRECTION, _MAX_TILT_CORRECTION))
    if abs(correction) >= 0.05:
        a = scipy.signal.sosfilt(tilt_sos(correction, sample_rate=rate).astype(np.float32), a, axis=-1).astype(np.float32)
    else:
        correction = 0.0
    a, power_in, side_gain = _width(a, rate, stereo_width, mono_bass_hz, max_fold_down_loss_db, min_side_mid_db)
    loudness_in = integrated_from_power(power_in, sample_rate=rate)
    base.update(tilt_input_db_per_octave=round(tilt_in, 3), tilt_correction_db_per_octave=round(correction, 3),
                side_gain=round(side_gain, 4))

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
    glue_curve = _per_second_reduction_db(glue, rate) if glue_ratio > 1.0 else None
    limiter_curve = _per_second_reduction_db(gain, rate, reference_db=gain_db)
    total = limiter_curve if glue_curve is None else limiter_curve + glue_curve
    report.update(
        gain_db=float(gain_db),
        max_gain_reduction_db=float(max_reduction),
        glue_max_gain_reduction_db=float(glue_max),
        iterations=iterations,
        target_reached=bool(abs(report["integrated_lufs"] - target_lufs) <= 0.1),
        silent=False,
        short_term_lufs=_per_second_lufs(blocks_out.short_term),
        gain_reduction_db=[round(float(v), 2) for v in total],
    )
    return out, report


#: Most the side is widened toward ``min_side_mid_db``.
_MAX_WIDENING = 1.5


def _width(a: np.ndarray, rate: int, width: float, mono_bass_hz: float | None, max_loss_db: float, min_side_mid_db: float | None = None):
    """Width and mono bass on a stereo mix; returns (audio, K-weighted power per sample, side gain)."""
    if a.shape[0] == 1:
        return a, k_weighted_power(a, sample_rate=rate), 1.0
    mid, side = mid_side(a)
    if mono_bass_hz is not None:
        side = scipy.signal.sosfilt(side_highpass_sos(mono_bass_hz, sample_rate=rate).astype(np.float32), side).astype(np.float32)
    sos = k_weighting_sos(rate).astype(np.float32)
    power_mid = np.square(scipy.signal.sosfilt(sos, mid), dtype=np.float64)
    power_side = np.square(scipy.signal.sosfilt(sos, side), dtype=np.float64)
    windows_mid = block_powers_from_power(power_mid, sample_rate=rate).momentary
    windows_side = block_powers_from_power(power_side, sample_rate=rate).momentary

    def loss_db(g: float) -> float:
        stereo = gated_loudness(2.0 * (windows_mid + g * g * windows_side))
        fold = gated_loudness(2.0 * windows_mid)
        if stereo == -math.inf:
            return 0.0
        return math.inf if fold == -math.inf else stereo - fold

    g = float(width)
    if min_side_mid_db is not None and g > 0.0:
        ratio = float(np.mean(np.square(side, dtype=np.float64))) / max(float(np.mean(np.square(mid, dtype=np.float64))), 1e-30)
        if ratio > 0.0:
            g = float(np.clip(math.sqrt(10.0 ** (min_side_mid_db / 10.0) / ratio), 1.0, _MAX_WIDENING)) * g
    if loss_db(g) > max_loss_db:
        low, high = 0.0, g
        for _ in range(30):  # bisection: the loss grows with the side gain
            g = 0.5 * (low + high)
            low, high = (g, high) if loss_db(g) <= max_loss_db else (low, g)
        g = low
    side *= np.float32(g)
    power_mid += (g * g) * power_side
    power_mid *= 2.0
    return np.stack([mid + side, mid - side]), power_mid, g


def _per_second_reduction_db(gain: np.ndarray, rate: int, *, reference_db: float = 0.0) -> np.ndarray:
    """Largest gain reduction (dB, >= 0) in each second of a linear gain curve (relative to ``reference_db``)."""
    n = gain.shape[0] // rate * rate
    parts = [gain[:n].reshape(-1, rate).min(axis=1)] if n else []
    if gain.shape[0] > n:
        parts.append(np.array([gain[n:].min()]))
    lowest = np.concatenate(parts) if parts else np.zeros(0)
    with np.errstate(divide="ignore"):
        return np.maximum(reference_db - 20.0 * np.log10(np.maximum(lowest.astype(np.float64), 1e-12)), 0.0)


def _per_second_lufs(short_term_powers: np.ndarray) -> list:
    """Short-term loudness (3 s windows) once per second, rounded; None for silent windows."""
    with np.errstate(divide="ignore"):
        values = -0.691 + 10.0 * np.log10(short_term_powers[::10])
    return [round(float(v), 2) if math.isfinite(v) else None for v in values]


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
    report_blocks = block_powers(out, sample_rate=rate)
    report = measure_parts(out, sample_rate=rate, blocks=report_blocks, peaks_4x=peaks)
    report.update(base)
    report.update(gain_db=0.0, max_gain_reduction_db=float(max_reduction), glue_max_gain_reduction_db=0.0, iterations=0,
                  target_reached=False, silent=True, tilt_input_db_per_octave=0.0, tilt_correction_db_per_octave=0.0,
                  side_gain=1.0, short_term_lufs=_per_second_lufs(report_blocks.short_term),
                  gain_reduction_db=[round(float(max_reduction), 2)] * len(report_blocks.short_term[::10]))
    return out, report
