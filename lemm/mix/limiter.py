"""Lookahead true-peak limiter: stereo-linked, oversampled detection, smooth gain.

Detection: the per-sample true-peak envelope (:func:`lemm.mix.peak.oversampled_peak_envelope`,
8x interpolation by default with the short "fast" kernel, both channels) is reduced to blocks of :data:`LIMITER_BLOCK_RATE_HZ`
and turned into the gain reduction each block needs to stay below
``ceiling_dbtp - margin_db``.

Gain: in dB, at the block rate,

1. hold: a forward-looking maximum over the lookahead, so the reduction is in
   place before the peak arrives;
2. release: exponential recovery toward 0 dB (time constant ``release_ms``),
   as a running maximum in the log domain (never below the requirement);
3. attack: a moving average over the lookahead, a linear ramp in dB that
   reaches the full reduction exactly when the peak arrives.

Each step keeps ``reduction >= required`` at every block boundary and the
linear interpolation to samples keeps it in between, so only the gain's own
modulation of the waveform (a few hundredths of a dB) can move a true peak;
:func:`limit` measures the result and tightens the margin if needed.

Detection runs at 8x although the BS.1770 meter reads 4x: a limiter
flattens the 4x grid points to the ceiling, and a heavily limited bright
signal can then peak up to ~0.4 dB higher between them; detecting at 8x
keeps the result under the ceiling on an independent 8x check as well. The
detector's short kernel reads within ~0.02 dB of the meter below 19 kHz; the
final check uses the meter itself, so content near Nyquist costs at most a
retry with a tighter margin, never a peak over the ceiling.

The limiter is offline: its lookahead costs no latency (the gain curve looks
ahead in the whole signal).

Examples
--------
>>> import numpy as np
>>> from lemm.mix.peak import true_peak_db
>>> rng = np.random.default_rng(0)
>>> loud = rng.standard_normal((2, 48000)) * 0.5
>>> out = limit(loud, sample_rate=48000, ceiling_dbtp=-1.0)
>>> true_peak_db(out, sample_rate=48000) <= -1.0
True
"""

from __future__ import annotations

import math

import numpy as np
import scipy.ndimage

from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.dynamics import block_peaks, decaying_max, nodes_to_samples, time_constant_coefficient
from lemm.mix.peak import (
    _channel_center_envelope,
    _channel_envelope,
    _map_channels,
    interpolation_phases,
    oversampled_peak_envelope,
    phase_peaks,
    phase_peaks_in_spans,
)
from lemm.units import db_to_gain

__all__ = ["LIMITER_BLOCK_RATE_HZ", "LimiterDetector", "limiter_detector", "limiter_gain_db", "limiter_gain", "limit", "limited_peaks"]

#: Control rate of the limiter's gain (6 kHz: blocks of 8 samples at 48 kHz).
LIMITER_BLOCK_RATE_HZ = 6000.0


class LimiterDetector:
    """The limiter's detector state for one signal: true-peak level at each block boundary.

    Attributes
    ----------
    node_peak_db : np.ndarray [shape=(n_blocks + 1,)]
        dBTP (before any input gain) of the louder of the two blocks that meet at each boundary.
    block : int
        Samples per block.
    n_samples : int
    block_peak : np.ndarray [shape=(n_blocks,)] or None
        Linear peak of the oversampled envelope in each block (samples included), for
        :func:`limited_peaks`; None where not measured.
    oversample : int
        The envelope's interpolation factor.
    """

    def __init__(self, node_peak_db: np.ndarray, block: int, n_samples: int, block_peak: np.ndarray | None = None, oversample: int = 8) -> None:
        self.node_peak_db = node_peak_db
        self.block = block
        self.n_samples = n_samples
        self.block_peak = block_peak
        self.oversample = oversample

    def node_peak_db_for(self, offset_db: float) -> np.ndarray:  # noqa: ARG002 (all exact here)
        """Node peaks (dB) exact wherever ``node + offset_db > 0`` (where a limiter with that offset reduces)."""
        return self.node_peak_db


def _node_db(peaks: np.ndarray) -> np.ndarray:
    padded = np.concatenate([[0.0], peaks, [0.0]])
    node = np.maximum(padded[:-1], padded[1:])  # boundary k joins blocks k-1 and k
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(node)


class _LazyDetector(LimiterDetector):
    """A detector that interpolates with the meter's long kernel only where a gain setting needs it.

    The 8x envelope's odd phases (the short kernel) and the samples are measured everywhere; the even
    phases (the meter's 32-tap kernel) are first bounded from their 10 middle taps plus the rest's
    absolute taps times the nearby peak, and filtered exactly only in the blocks whose bound reaches
    a threshold asked for (:meth:`node_peak_db_for`). A node under the threshold gives no reduction
    whatever its exact level, so every gain curve equals the one of the fully measured detector.
    """

    def __init__(self, audio: np.ndarray, block: int, oversample: int) -> None:
        rows = interpolation_phases(oversample)
        self._audio, self._meter = audio, rows[1::2].astype(np.float32)  # phases 2, 4, ...: the meter's kernel
        fast = interpolation_phases(oversample, fast=True)[0::2]  # phases 1, 3, ...: the short kernel
        exact = _channel_max(audio, lambda c: _channel_envelope(c, list(fast.astype(np.float32))))
        approx = _channel_max(audio, lambda c: _channel_center_envelope(c, self._meter, _CENTER_TAPS))
        sure = block_peaks(exact, block).astype(np.float64)
        near = block_peaks(approx, block).astype(np.float64)
        del exact, approx
        l1 = np.abs(rows[1::2]).sum(axis=1)
        half = rows.shape[1] // 2
        tail = float((l1 - np.abs(rows[1::2, half - _CENTER_TAPS // 2 : half + _CENTER_TAPS // 2]).sum(axis=1)).max())
        size = 2 * (-(-rows.shape[1] // block) + 1) + 1
        reach = scipy.ndimage.maximum_filter1d(sure, size, mode="constant", cval=0.0)  # >= |x| where the taps reach
        self._sure = sure
        self._peak = np.maximum(sure, near + (tail + _BOUND_SLACK * float(l1.max())) * reach)  # upper bounds
        self._known = np.zeros(sure.shape[0], dtype=bool)
        self._upper_db = _node_db(self._peak)
        super().__init__(None, block, audio.shape[1], None, oversample)
        self._db = self._upper_db

    @property
    def block_peak(self) -> np.ndarray:
        """Each block's peak: exact where measured, an upper bound elsewhere (what :func:`limited_peaks` needs)."""
        return self._peak

    @block_peak.setter
    def block_peak(self, value) -> None:
        pass  # set by the base class; the lazy peaks live in ``_peak``

    @property
    def node_peak_db(self) -> np.ndarray:
        return self.node_peak_db_for(math.inf)

    @node_peak_db.setter
    def node_peak_db(self, value) -> None:
        pass

    def node_peak_db_for(self, offset_db: float) -> np.ndarray:
        nodes = np.flatnonzero(self._upper_db + offset_db > -1e-9)  # may reduce (a hair of margin for log10's rounding)
        blocks = np.unique(np.concatenate([nodes - 1, nodes]).clip(0, self._known.shape[0] - 1)) if nodes.size else nodes
        blocks = blocks[~self._known[blocks]]
        if blocks.size:
            for start, stop in _block_spans(blocks, self.block):
                self._measure(start, stop)
            self._db = _node_db(self._peak)
        return self._db

    def _measure(self, start: int, stop: int) -> None:
        """Exact block peaks of samples ``[start, stop)`` (whole blocks, clipped to the signal)."""
        n, block = self.n_samples, self.block
        stop = min(stop, n)
        half = self._meter.shape[1] // 2
        lo, hi = max(0, start - 2 * half), min(n, stop + 2 * half)
        env = np.zeros(-(-(stop - start) // block) * block, dtype=np.float32)
        for channel in self._audio:
            segment = channel[lo:hi]
            for taps in self._meter:
                y = np.convolve(segment, taps)[half + start - lo : half + stop - lo]
                np.maximum(env[: stop - start], np.abs(y, out=y), out=env[: stop - start])
        first, count = start // block, env.shape[0] // block
        self._peak[first : first + count] = np.maximum(self._sure[first : first + count], env.reshape(count, block).max(axis=1))
        self._known[first : first + count] = True


#: Middle taps of the meter's kernel that bound its phases before they are filtered exactly (a short filter's fast path).
_CENTER_TAPS = 10


def _channel_max(audio: np.ndarray, func) -> np.ndarray:
    envs = _map_channels(func, audio)
    return envs[0] if len(envs) == 1 else np.maximum(envs[0], envs[1], out=envs[0])


def limiter_detector(audio: np.ndarray, *, sample_rate: int, oversample: int = 8) -> LimiterDetector:
    """Measure ``audio``'s true-peak envelope once, for any number of limiter gain settings.

    An even ``oversample`` of at least 4 gives a detector that filters with the meter's kernel only
    where a gain setting reaches the ceiling (same gain curves, less filtering).
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    block = max(1, int(round(rate / LIMITER_BLOCK_RATE_HZ)))
    if oversample % 2 == 0 and oversample > 2 and a.shape[1] > 0:
        return _LazyDetector(a, block, oversample)
    env = oversampled_peak_envelope(a, oversample=oversample, fast=True)
    peaks = block_peaks(env, block).astype(np.float64)
    return LimiterDetector(_node_db(peaks), block, a.shape[1], peaks, oversample)


#: Relative slack of :func:`limited_peaks`' bound for float32 rounding (products, the filter's sums): ~1e-6 needed.
_BOUND_SLACK = 1e-5


def limited_peaks(out: np.ndarray, gain: np.ndarray, detector: LimiterDetector, *, oversample: int = 4) -> np.ndarray:
    """``[sample peak, true peak]`` of ``out = audio * gain`` as :func:`lemm.mix.peak.phase_peaks` gives them, bit for bit.

    The true peak is interpolated only where it can be the largest. ``detector`` (of ``audio``)
    holds each block's oversampled peak ``P``; its phases include the meter's (its 8x detector
    interpolates the 4x points with the meter's kernel). An interpolated value of ``out`` in block ``b`` is at most ``Gmax P_b + (Gmax - Gmin) L1
    Pwin_b`` (plus a float32 slack), with ``Gmax``/``Gmin`` the gain's extremes and ``Pwin_b`` the
    peak over the blocks the filter reaches, and ``L1`` the largest sum of absolute taps of a phase.
    Blocks whose bound is under the largest value found are skipped: on a master, a few hundred
    blocks of a song's million are filtered.

    Parameters
    ----------
    out : np.ndarray [shape=(n_channels, n_samples)], float32
        ``audio * gain[None, :]``, where ``audio`` is what ``detector`` measured.
    gain : np.ndarray [shape=(n_samples,)], float32
        The gain curve (:func:`limiter_gain`).
    detector : LimiterDetector
    oversample : int
        The meter's factor (4: BS.1770).

    Returns
    -------
    np.ndarray [shape=(2,)]
        Sample peak and true peak (linear): ``phase_peaks(out)[0]`` and ``phase_peaks(out).max()``.
    """
    if detector.block_peak is None or detector.oversample % (2 * oversample) or out.shape[1] == 0:
        # only a detector whose even phases are the meter's (fast kernel between them) bounds the meter's points
        peaks = phase_peaks(out, oversample=oversample)
        return np.array([peaks[0], peaks.max()])
    block = detector.block
    sample_peak = max(float(out.max()), -float(out.min()))
    bound = _peak_bound(gain, detector, oversample)
    # a first pass over the highest bounds finds a value near the true peak; then every block that could exceed it
    top = np.argpartition(-bound, min(64, bound.shape[0] - 1))[:64]
    first = phase_peaks_in_spans(out, _block_spans(np.sort(top), block), oversample=oversample)
    best = max(sample_peak, float(first.max()))
    rest = np.setdiff1d(np.flatnonzero(bound >= best), top, assume_unique=True)
    second = phase_peaks_in_spans(out, _block_spans(rest, block), oversample=oversample)
    return np.array([sample_peak, max(best, float(second.max()))])


def _peak_bound(gain: np.ndarray, detector: LimiterDetector, oversample: int) -> np.ndarray:
    """Per block, an upper bound of the interpolated magnitude of ``audio * gain`` (see :func:`limited_peaks`)."""
    block, peak = detector.block, detector.block_peak
    n_blocks = peak.shape[0]
    padded = np.empty(n_blocks * block, dtype=np.float32)
    padded[: gain.shape[0]] = gain
    padded[gain.shape[0] :] = gain[-1] if gain.shape[0] else 0.0
    high = low = padded.reshape(n_blocks, block)
    while high.shape[1] > 1 and high.shape[1] % 2 == 0:  # pairwise, as block_peaks: faster than max(axis=1) on short rows
        high, low = np.maximum(high[:, 0::2], high[:, 1::2]), np.minimum(low[:, 0::2], low[:, 1::2])
    taps = interpolation_phases(oversample)
    reach = -(-taps.shape[1] // block) + 1  # blocks the filter reaches on each side
    size = 2 * reach + 1
    g_max = scipy.ndimage.maximum_filter1d(high.max(axis=1).astype(np.float64), size, mode="nearest")
    g_min = scipy.ndimage.minimum_filter1d(low.min(axis=1).astype(np.float64), size, mode="nearest")
    near = scipy.ndimage.maximum_filter1d(peak, size, mode="constant", cval=0.0)
    l1 = float(np.abs(taps).sum(axis=1).max())
    return g_max * peak + ((g_max - g_min) + _BOUND_SLACK * g_max) * l1 * near


def _block_spans(blocks: np.ndarray, block: int, *, gap: int = 8) -> list[tuple[int, int]]:
    """Sample spans of sorted block indices, neighbours closer than ``gap`` blocks merged."""
    if blocks.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(blocks) > gap)
    starts = np.concatenate([blocks[:1], blocks[cuts + 1]])
    stops = np.concatenate([blocks[cuts], blocks[-1:]]) + 1
    return [(int(a) * block, int(b) * block) for a, b in zip(starts, stops, strict=True)]


def limiter_gain_db(
    detector: LimiterDetector,
    *,
    sample_rate: int,
    input_gain_db: float = 0.0,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 5.0,
    release_ms: float = 100.0,
    margin_db: float = 0.1,
) -> np.ndarray:
    """Gain reduction in dB (>= 0) at each block boundary, for audio scaled by ``input_gain_db``.

    Returns
    -------
    np.ndarray [shape=(n_blocks + 1,)], float64
    """
    block = detector.block
    offset_db = input_gain_db - (ceiling_dbtp - margin_db)
    required = np.maximum(detector.node_peak_db_for(offset_db) + offset_db, 0.0)
    lookahead = max(1, int(round(lookahead_ms * 1e-3 * sample_rate / block)))
    # 1. hold: held[k] = max(required[k .. k + lookahead])
    size = lookahead + 1
    held = scipy.ndimage.maximum_filter1d(required, size=size, origin=-(size // 2), mode="constant", cval=0.0)
    # 2. release
    held = decaying_max(held, time_constant_coefficient(release_ms, sample_rate=sample_rate, block=block))
    # 3. attack: mean over the last `lookahead` boundaries (edge: the first value repeated)
    padded = np.concatenate([np.full(lookahead - 1, held[0]), held])
    return np.convolve(padded, np.full(lookahead, 1.0 / lookahead), mode="valid")


def _check_limiter(ceiling_dbtp, lookahead_ms, release_ms) -> tuple[float, float, float]:
    return (
        check_number(ceiling_dbtp, "ceiling_dbtp", -60.0, 0.0),
        check_number(lookahead_ms, "lookahead_ms", 0.1, 100.0),
        check_number(release_ms, "release_ms", 0.0, 5000.0),
    )


def limiter_gain(
    detector: LimiterDetector,
    *,
    sample_rate: int,
    input_gain_db: float = 0.0,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 5.0,
    release_ms: float = 100.0,
    margin_db: float = 0.1,
) -> tuple[np.ndarray, float]:
    """Linear gain per sample (input gain included) and the largest reduction in dB."""
    reduction = limiter_gain_db(
        detector,
        sample_rate=sample_rate,
        input_gain_db=input_gain_db,
        ceiling_dbtp=ceiling_dbtp,
        lookahead_ms=lookahead_ms,
        release_ms=release_ms,
        margin_db=margin_db,
    )
    nodes = np.power(10.0, (input_gain_db - reduction) / 20.0)
    return nodes_to_samples(nodes, detector.n_samples, detector.block), float(reduction.max(initial=0.0))


def limit(
    audio: np.ndarray,
    *,
    sample_rate: int,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 5.0,
    release_ms: float = 100.0,
    oversample: int = 8,
) -> np.ndarray:
    """Limit ``audio`` so its true peak (``oversample`` x) stays at or below ``ceiling_dbtp``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
    sample_rate : int
        Hz.
    ceiling_dbtp : float
        dBTP, in -60..0.
    lookahead_ms, release_ms : float
        Attack ramp (= lookahead) and release time constant.
    oversample : int
        Interpolation factor of the detector and of the final check.

    Returns
    -------
    np.ndarray [shape=(n_channels, n_samples)], float32
        Guaranteed ``true_peak_db(out, oversample=oversample) <= ceiling_dbtp``.
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    ceiling_dbtp, lookahead_ms, release_ms = _check_limiter(ceiling_dbtp, lookahead_ms, release_ms)
    detector = limiter_detector(a, sample_rate=rate, oversample=oversample)
    out, _, _ = limit_with_detector(
        a, detector, sample_rate=rate, input_gain_db=0.0, ceiling_dbtp=ceiling_dbtp, lookahead_ms=lookahead_ms,
        release_ms=release_ms, check_oversample=oversample,
    )
    return out


def limit_with_detector(
    audio: np.ndarray,
    detector: LimiterDetector,
    *,
    sample_rate: int,
    input_gain_db: float,
    ceiling_dbtp: float,
    lookahead_ms: float,
    release_ms: float,
    check_oversample: int = 8,
    margin_db: float = 0.1,
    max_tries: int = 4,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Apply gain and limiting, check the true peak, tighten the margin until it holds.

    The check measures the output at ``check_oversample`` (the master uses
    4, the BS.1770 meter; the detector itself should have run at 8).

    Returns
    -------
    out : np.ndarray [shape=(n_channels, n_samples)], float32
    max_reduction_db : float
    peaks : np.ndarray [shape=(oversample,)]
        :func:`lemm.mix.peak.phase_peaks` of ``out`` at ``check_oversample`` (max: the true peak).
    """
    ceiling = db_to_gain(ceiling_dbtp)
    for _ in range(max_tries):
        gain, max_reduction = limiter_gain(
            detector, sample_rate=sample_rate, input_gain_db=input_gain_db, ceiling_dbtp=ceiling_dbtp,
            lookahead_ms=lookahead_ms, release_ms=release_ms, margin_db=margin_db,
        )
        out = audio * gain[None, :]
        peaks = phase_peaks(out, oversample=check_oversample)
        peak = float(peaks.max())
        if peak <= ceiling:
            return out, max_reduction, peaks
        margin_db += 20.0 * math.log10(peak / ceiling) + 0.02
    # Last resort (not reached in practice): a static trim, exact because the meter is linear.
    trim = np.float32(ceiling / peak * (1.0 - 1e-6))
    out = out * trim
    return out, max_reduction - 20.0 * math.log10(float(trim)), phase_peaks(out, oversample=check_oversample)
