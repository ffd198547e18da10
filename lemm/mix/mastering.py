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
>>> out, report = master(mix, sample_rate=48000, settings=MasterSettings(target_lufs=-14.0, ceiling_dbtp=-1.0))
>>> round(report.integrated_lufs, 1), report.true_peak_dbtp <= -1.0, out.dtype
(-14.0, True, dtype('float32'))
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.signal

from lemm.errors import ParameterError
from lemm.mix._validate import as_audio, check_sample_rate
from lemm.mix.dynamics import compressor_gain, section_lift_gain
from lemm.mix.limiter import limit_with_detector, limited_peaks, limiter_detector, limiter_gain, limiter_gain_db
from lemm.mix.loudness import (
    BlockPowers,
    block_powers,
    block_powers_from_power,
    gated_loudness,
    integrated_from_power,
    k_weighted_power,
    k_weighting_sos,
)
from lemm.mix.meters import THREADED_SAMPLES, measure_parts, side_by_side
from lemm.mix.peak import phase_peaks
from lemm.mix.settings import MasterSettings
from lemm.mix.spectrum import spectral_tilt, tilt_sos
from lemm.mix.stereo import mid_side, side_highpass_sos
from lemm.units import db_to_gain

__all__ = ["MasterReport", "master"]

_LOOP_TOLERANCE_LU = 0.01
_FINAL_TOLERANCE_LU = 0.05
_MAX_BOOST_DB = 40.0
_MARGIN_DB = 0.1  # limiter threshold below the ceiling, grown if a check finds a peak over it
_MAX_PASSES = 5
_MAX_TILT_CORRECTION = 1.5  # dB per octave


@dataclass(frozen=True)
class MasterReport:
    """What :func:`master` measured and did.

    The first group is :func:`lemm.mix.meters.measure` of the master; the rest describe the chain.

    Attributes
    ----------
    integrated_lufs, true_peak_dbtp, sample_peak_dbfs, lra_lu, crest_db, plr_db, correlation, duration_seconds,
    mono_fold_down_loss_db, low_end_correlation, spectral_tilt_db_per_octave : float
        The master's meters (see :func:`lemm.mix.meters.measure`).
    target_lufs, ceiling_dbtp : float
        The targets the master was made for.
    tilt_target_db_per_octave, tilt_input_db_per_octave, tilt_correction_db_per_octave : float
        The tilt EQ: its target, the mix's tilt, and the correction applied (dB/octave).
    side_gain : float
        The side's final gain: ``stereo_width`` times any widening or narrowing.
    gain_db : float
        Gain into the limiter.
    max_gain_reduction_db, glue_max_gain_reduction_db : float
        Largest reduction of the limiter and of the glue compressor.
    iterations : int
        Loudness-loop passes.
    target_reached : bool
        Integrated loudness within 0.1 LU of ``target_lufs``.
    silent : bool
        No 400 ms block of the input is above -70 LUFS: the input is returned unchanged,
        only limited if it peaks over the ceiling.
    short_term_lufs : tuple of (float or None)
        Short-term loudness (3 s windows) once per second; None where silent.
    gain_reduction_db : tuple of float
        Per second, the largest glue plus limiter reduction in it.
    """

    integrated_lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    lra_lu: float
    crest_db: float
    plr_db: float
    correlation: float
    duration_seconds: float
    mono_fold_down_loss_db: float
    low_end_correlation: float
    spectral_tilt_db_per_octave: float
    target_lufs: float
    ceiling_dbtp: float
    tilt_target_db_per_octave: float
    tilt_input_db_per_octave: float
    tilt_correction_db_per_octave: float
    side_gain: float
    gain_db: float
    max_gain_reduction_db: float
    glue_max_gain_reduction_db: float
    iterations: int
    target_reached: bool
    silent: bool
    short_term_lufs: tuple[float | None, ...]
    gain_reduction_db: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (field order; the per-second curves as lists)."""
        d = dataclasses.asdict(self)
        d["short_term_lufs"], d["gain_reduction_db"] = list(self.short_term_lufs), list(self.gain_reduction_db)
        return d


@dataclass(frozen=True)
class _Limited:
    """The loudness loop's result: the limited master and what it took."""

    audio: np.ndarray
    gain: np.ndarray  # the limiter's linear gain curve, including the input gain
    gain_db: float
    max_reduction_db: float
    peaks: np.ndarray  # 4x sample peak and true peak of ``audio`` (measure_parts reads [0] and the max)
    blocks: BlockPowers
    iterations: int


def master(audio: np.ndarray, *, sample_rate: int, settings: MasterSettings | None = None) -> tuple[np.ndarray, MasterReport]:
    """Master ``audio`` to ``settings.target_lufs`` integrated loudness with true peak <= ``settings.ceiling_dbtp``.

    Steps: section lift -> tilt EQ -> width / mono bass -> glue compressor -> loudness loop into the
    true-peak limiter -> report (see the module docstring).

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
        The mix, mono or stereo, float (may exceed 1.0).
    sample_rate : int
        Hz.
    settings : lemm.mix.settings.MasterSettings, optional
        The master bus (default ``MasterSettings()``: -14 LUFS, -1 dBTP); its fields are checked
        when it is made.

    Returns
    -------
    master : np.ndarray [shape=(n_channels, n_samples)], float32
    report : MasterReport

    Raises
    ------
    ParameterError
        Bad audio (more than two channels, NaN/inf samples) or sample rate.
    """
    s = MasterSettings() if settings is None else settings
    if not isinstance(s, MasterSettings):
        raise ParameterError.for_field("settings", type(s).__name__, "a lemm.mix.MasterSettings")
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    limiter_options = {
        "sample_rate": rate,
        "ceiling_dbtp": s.ceiling_dbtp,
        "lookahead_ms": s.limiter_lookahead_ms,
        "release_ms": s.limiter_release_ms,
    }
    power = k_weighted_power(a, sample_rate=rate)  # measured once: the silence check and the section lift
    if integrated_from_power(power, sample_rate=rate) == -math.inf:
        return _master_silence(a, limiter_options, s)
    if s.section_floor_lu is not None:
        a = a * section_lift_gain(a, sample_rate=rate, floor_lu=s.section_floor_lu, k_power=power)[None, :]
    del power
    a, tilt_in, correction = _tilt(a, rate, s)
    a, power_in, side_gain = _width(a, rate, s.stereo_width, s.mono_bass_hz, s.max_fold_down_loss_db, s.min_side_mid_db)
    x, glue, glue_max, power_x = _glue(a, power_in, rate, s)
    del power_in, a  # ``x`` is what follows (one song-length buffer less through the limiter and the report)
    gain_db = s.target_lufs - integrated_from_power(power_x, sample_rate=rate)  # the first guess of the loudness loop
    detector = limiter_detector(x, sample_rate=rate, oversample=8)
    model = _LimitedLoudness(power_x, detector, sample_rate=rate, limiter_options=limiter_options)
    del power_x  # the model keeps what it needs (per-block energies for long audio)
    limited = _limit_to_loudness(x, model, gain_db, s, limiter_options)
    chain = {
        "tilt_input_db_per_octave": round(tilt_in, 3),
        "tilt_correction_db_per_octave": round(correction, 3),
        "side_gain": round(side_gain, 4),
    }
    return limited.audio, _report(limited, glue, glue_max, rate, s, chain)


def _tilt(a: np.ndarray, rate: int, s: MasterSettings) -> tuple[np.ndarray, float, float]:
    """Tilt EQ: (audio, the mix's tilt, the correction applied) in dB/octave."""
    tilt_in = spectral_tilt(a, sample_rate=rate)
    correction = float(np.clip(s.tilt_strength * (s.tilt_target_db_per_octave - tilt_in), -_MAX_TILT_CORRECTION, _MAX_TILT_CORRECTION))
    if abs(correction) < 0.05:
        return a, tilt_in, 0.0
    return (
        scipy.signal.sosfilt(tilt_sos(correction, sample_rate=rate).astype(np.float32), a, axis=-1).astype(np.float32, copy=False),
        tilt_in,
        correction,
    )


def _glue(a: np.ndarray, power_in: np.ndarray, rate: int, s: MasterSettings) -> tuple[np.ndarray, np.ndarray | None, float, np.ndarray]:
    """Glue compressor: (audio, gain curve or None, largest reduction dB, K-weighted power approximated as power_in * gain**2)."""
    if s.glue_ratio <= 1.0:
        return a, None, 0.0, power_in
    loudness_in = integrated_from_power(power_in, sample_rate=rate)
    glue = compressor_gain(
        a, sample_rate=rate, threshold_db=loudness_in + s.glue_threshold_lu, ratio=s.glue_ratio,
        attack_ms=s.glue_attack_ms, release_ms=s.glue_release_ms, knee_db=6.0,
    )  # fmt: skip
    glue_max = -20.0 * math.log10(max(float(glue.min()), 1e-12))
    return a * glue[None, :], glue, glue_max, power_in * np.square(glue, dtype=np.float64)


def _limit_to_loudness(x: np.ndarray, model: _LimitedLoudness, gain_db: float, s: MasterSettings, limiter_options: dict) -> _Limited:
    """Gain into the true-peak limiter, corrected from ``gain_db`` until the output measures ``s.target_lufs`` under the ceiling."""
    detector, rate = model.detector, model.sample_rate
    max_gain_db = gain_db + _MAX_BOOST_DB
    ceiling = db_to_gain(s.ceiling_dbtp)
    aim, margin_db, iterations = float(s.target_lufs), _MARGIN_DB, 0
    for _ in range(_MAX_PASSES):
        gain_db, n = _loudness_loop(model, gain_db=gain_db, aim=aim, max_gain_db=max_gain_db, margin_db=margin_db)
        iterations += n
        gain, max_reduction = limiter_gain(detector, input_gain_db=gain_db, margin_db=margin_db, **limiter_options)
        out = x * gain[None, :]
        peaks = limited_peaks(out, gain, detector, oversample=4)  # [sample peak, true peak], as phase_peaks gives them
        excess_db = 20.0 * math.log10(float(peaks.max()) / ceiling) if peaks.max() > 0 else -math.inf
        if excess_db > 0.0:  # the gain's own modulation or the detector read low: tighten and redo
            margin_db += excess_db + 0.02
            continue
        blocks_out = block_powers(out, sample_rate=rate)
        error = s.target_lufs - gated_loudness(blocks_out.momentary)
        if abs(error) <= _FINAL_TOLERANCE_LU or gain_db >= max_gain_db:
            break
        aim += error
    if excess_db > 0.0:  # not reached in practice: a static trim (the meter is linear, so this is exact)
        out = out * np.float32(ceiling / float(peaks.max()) * (1.0 - 1e-6))
        max_reduction += excess_db
        peaks = phase_peaks(out, oversample=4)
        blocks_out = block_powers(out, sample_rate=rate)
    out = np.ascontiguousarray(out, dtype=np.float32)
    return _Limited(out, gain, float(gain_db), float(max_reduction), peaks, blocks_out, iterations)


def _report(limited: _Limited, glue: np.ndarray | None, glue_max: float, rate: int, s: MasterSettings, chain: dict) -> MasterReport:
    """The master's meters, what each step did, and the per-second loudness and gain reduction."""
    meters = measure_parts(limited.audio, sample_rate=rate, blocks=limited.blocks, peaks_4x=limited.peaks)
    limiter_curve = _per_second_reduction_db(limited.gain, rate, reference_db=limited.gain_db)
    total = limiter_curve if glue is None else limiter_curve + _per_second_reduction_db(glue, rate)
    return MasterReport(
        **meters, **_targets(s), **chain,
        gain_db=limited.gain_db,
        max_gain_reduction_db=limited.max_reduction_db,
        glue_max_gain_reduction_db=float(glue_max),
        iterations=limited.iterations,
        target_reached=bool(abs(meters["integrated_lufs"] - s.target_lufs) <= 0.1),
        silent=False,
        short_term_lufs=_per_second_lufs(limited.blocks.short_term),
        gain_reduction_db=tuple(round(float(v), 2) for v in total),
    )  # fmt: skip


def _targets(s: MasterSettings) -> dict[str, float]:
    return {
        "target_lufs": float(s.target_lufs),
        "ceiling_dbtp": float(s.ceiling_dbtp),
        "tilt_target_db_per_octave": float(s.tilt_target_db_per_octave),
    }


#: Most the side is widened toward ``min_side_mid_db``.
_MAX_WIDENING = 1.5


def _width(a: np.ndarray, rate: int, width: float, mono_bass_hz: float | None, max_loss_db: float, min_side_mid_db: float | None = None):
    """Width and mono bass on a stereo mix; returns (audio, K-weighted power per sample, side gain)."""
    if a.shape[0] == 1:
        return a, k_weighted_power(a, sample_rate=rate), 1.0
    mid, side = mid_side(a)
    sos = k_weighting_sos(rate).astype(np.float32)

    def side_power() -> tuple[np.ndarray, np.ndarray]:
        high = side
        if mono_bass_hz is not None:
            high = scipy.signal.sosfilt(side_highpass_sos(mono_bass_hz, sample_rate=rate).astype(np.float32), side).astype(np.float32, copy=False)
        return high, np.square(scipy.signal.sosfilt(sos, high), dtype=np.float64)

    def mid_power() -> np.ndarray:
        return np.square(scipy.signal.sosfilt(sos, mid), dtype=np.float64)

    (side, power_side), power_mid = side_by_side(side_power, mid_power, long=mid.shape[0] >= THREADED_SAMPLES)
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
    power_side *= g * g  # in place: the same products as ``(g * g) * power_side``
    power_mid += power_side
    del power_side
    power_mid *= 2.0
    out = np.empty((2, mid.shape[0]), dtype=np.float32)
    np.add(mid, side, out=out[0])
    np.subtract(mid, side, out=out[1])
    return out, power_mid, g


def _per_second_reduction_db(gain: np.ndarray, rate: int, *, reference_db: float = 0.0) -> np.ndarray:
    """Largest gain reduction (dB, >= 0) in each second of a linear gain curve (relative to ``reference_db``)."""
    n = gain.shape[0] // rate * rate
    parts = [gain[:n].reshape(-1, rate).min(axis=1)] if n else []
    if gain.shape[0] > n:
        parts.append(np.array([gain[n:].min()]))
    lowest = np.concatenate(parts) if parts else np.zeros(0)
    with np.errstate(divide="ignore"):
        return np.maximum(reference_db - 20.0 * np.log10(np.maximum(lowest.astype(np.float64), 1e-12)), 0.0)


def _per_second_lufs(short_term_powers: np.ndarray) -> tuple[float | None, ...]:
    """Short-term loudness (3 s windows) once per second, rounded; None for silent windows."""
    with np.errstate(divide="ignore"):
        values = -0.691 + 10.0 * np.log10(short_term_powers[::10])
    return tuple(round(float(v), 2) if math.isfinite(v) else None for v in values)


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


def _master_silence(a: np.ndarray, limiter_options: dict, s: MasterSettings) -> tuple[np.ndarray, MasterReport]:
    """Nothing above the -70 LUFS gate: no loudness to normalise; return the input (limited if needed)."""
    rate = limiter_options["sample_rate"]
    out, max_reduction = a.copy(), 0.0
    peaks = phase_peaks(out, oversample=4)
    if out.size and float(peaks.max()) > db_to_gain(limiter_options["ceiling_dbtp"]):
        detector = limiter_detector(out, sample_rate=rate, oversample=8)
        out, max_reduction, peaks = limit_with_detector(out, detector, input_gain_db=0.0, check_oversample=4, **limiter_options)
    report_blocks = block_powers(out, sample_rate=rate)
    meters = measure_parts(out, sample_rate=rate, blocks=report_blocks, peaks_4x=peaks)
    return out, MasterReport(
        **meters, **_targets(s),
        tilt_input_db_per_octave=0.0, tilt_correction_db_per_octave=0.0, side_gain=1.0,
        gain_db=0.0, max_gain_reduction_db=float(max_reduction), glue_max_gain_reduction_db=0.0, iterations=0,
        target_reached=False, silent=True, short_term_lufs=_per_second_lufs(report_blocks.short_term),
        gain_reduction_db=(round(float(max_reduction), 2),) * len(report_blocks.short_term[::10]),
    )  # fmt: skip
