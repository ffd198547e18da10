"""True-peak and sample-peak meters against analytic values and an independent oversampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.mix.peak import interpolation_phases, oversampled_peak_envelope, phase_peaks, sample_peak_db, true_peak_db

from .signals import SAMPLE_RATE


def _faded(x: np.ndarray) -> np.ndarray:
    """Taper the ends so a cut-off sine adds no click (its own true peak)."""
    return x * scipy.signal.windows.tukey(x.shape[-1], 0.2)


def test_fs_over_4_sine_with_45_degree_phase() -> None:
    n = np.arange(9600)
    amplitude_db = -6.0
    x = _faded(10 ** (amplitude_db / 20) * np.sin(2 * np.pi * n / 4 + np.pi / 4))[None, :]
    assert sample_peak_db(x) == pytest.approx(amplitude_db - 20 * math.log10(math.sqrt(2)), abs=0.01)  # ~3 dB under
    tp = true_peak_db(x, sample_rate=SAMPLE_RATE)
    assert amplitude_db - 0.4 <= tp <= amplitude_db + 0.2


@pytest.mark.parametrize("freq_hz", [997.0, 5000.0, 9000.0, 15000.0, 19000.0])
def test_sines_read_their_amplitude(freq_hz: float) -> None:
    # BS.1770-4 Annex 2 allows 4x readings up to ~0.7 dB low near 20 kHz (grid error); ours is tighter.
    rng = np.random.default_rng(int(freq_hz))
    for phase in rng.uniform(0, 2 * np.pi, 5):
        n = np.arange(4800)
        x = _faded(np.sin(2 * np.pi * freq_hz * n / SAMPLE_RATE + phase))[None, :]
        tp = true_peak_db(x, sample_rate=SAMPLE_RATE)
        assert -0.5 <= tp <= 0.05


def test_agrees_with_resample_poly_on_band_limited_noise(rng) -> None:
    sos = scipy.signal.butter(8, 16000, fs=SAMPLE_RATE, output="sos")
    x = scipy.signal.sosfilt(sos, rng.standard_normal((2, SAMPLE_RATE)), axis=-1)
    reference = 20 * np.log10(np.abs(scipy.signal.resample_poly(x, 8, 1, axis=-1)[:, 400:-400]).max())
    assert true_peak_db(x, sample_rate=SAMPLE_RATE, oversample=8) == pytest.approx(reference, abs=0.05)
    assert true_peak_db(x, sample_rate=SAMPLE_RATE) == pytest.approx(reference, abs=0.25)


def test_phases_of_8x_include_the_4x_grid(rng) -> None:
    x = rng.standard_normal((2, 5000))
    np.testing.assert_array_equal(phase_peaks(x, oversample=8)[::2], phase_peaks(x, oversample=4))
    h8, h4 = interpolation_phases(8), interpolation_phases(4)
    np.testing.assert_array_equal(h8[1::2], h4)  # rows p = 2, 4, 6 of 8 are p = 1, 2, 3 of 4


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 2]), st.integers(1, 600))
def test_true_peak_never_below_sample_peak(seed: int, channels: int, n: int) -> None:
    x = np.random.default_rng(seed).standard_normal((channels, n))
    assert true_peak_db(x, sample_rate=SAMPLE_RATE) >= sample_peak_db(x) - 1e-6
    env = oversampled_peak_envelope(x)
    assert env.shape == (n,)
    assert np.all(env >= np.abs(x).max(axis=0) - 1e-6)


def test_silence_and_empty() -> None:
    assert true_peak_db(np.zeros((2, 100)), sample_rate=SAMPLE_RATE) == -math.inf
    assert sample_peak_db(np.zeros((1, 0))) == -math.inf
    assert true_peak_db(np.zeros((2, 0)), sample_rate=SAMPLE_RATE) == -math.inf


def test_mono_and_1d_are_the_same(rng) -> None:
    x = rng.standard_normal(1000)
    assert true_peak_db(x, sample_rate=SAMPLE_RATE) == true_peak_db(x[None, :], sample_rate=SAMPLE_RATE)


def test_peaks_in_spans_are_the_full_meters_values(rng) -> None:
    x = (rng.standard_normal((2, 20_011)) * 0.4).astype(np.float32)
    from lemm.mix.peak import phase_peaks_in_spans

    assert np.array_equal(phase_peaks_in_spans(x, [(0, 20_011)], oversample=4), phase_peaks(x, oversample=4))
    # a span's values are the full filter's there (edges included): the max over spans covering the signal is the same
    spans = [(0, 7), (7, 5000), (5000, 5001), (5001, 19_990), (19_990, 20_011)]
    assert np.array_equal(phase_peaks_in_spans(x, spans, oversample=8), phase_peaks(x, oversample=8))
    inner = phase_peaks_in_spans(x, [(1000, 1100)], oversample=4)
    full = [np.abs(np.convolve(x[c], h.astype(np.float32))[16:16 + x.shape[1]][1000:1100]).max() for c in (0, 1) for h in interpolation_phases(4)]
    assert inner[1:].max() == max(full)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [5, 700, 48_000])
def test_limited_peaks_equal_the_meter_on_the_limited_output(seed: int, n: int) -> None:
    from lemm.mix.limiter import limited_peaks, limiter_detector, limiter_gain

    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((2, n)) * np.linspace(0.05, 0.8, n) + 0.3 * np.sin(np.arange(n) * 2.9)).astype(np.float32)  # bright
    detector = limiter_detector(x, sample_rate=SAMPLE_RATE, oversample=8)
    for gain_db in (0.0, 6.0, 14.0):  # none, some and heavy limiting
        gain, _ = limiter_gain(detector, sample_rate=SAMPLE_RATE, input_gain_db=gain_db, ceiling_dbtp=-1.0)
        out = x * gain[None, :]
        full = phase_peaks(out, oversample=4)
        assert np.array_equal(limited_peaks(out, gain, detector, oversample=4), np.array([full[0], full.max()]))


@pytest.mark.parametrize("n", [3, 50, 5000, 100_003])
def test_lazy_detector_gives_the_fully_measured_gain_curves(n: int) -> None:
    """The detector filters with the meter's kernel only where a gain reaches the ceiling: same curves as measuring all."""
    from lemm.mix.dynamics import block_peaks
    from lemm.mix.limiter import LimiterDetector, limiter_detector, limiter_gain_db

    rng = np.random.default_rng(n)
    x = (rng.standard_normal((2, n)) * np.linspace(0.01, 1.0, n) + 0.2 * np.sin(np.arange(n) * 2.95)).astype(np.float32)
    lazy = limiter_detector(x, sample_rate=SAMPLE_RATE)
    peaks = block_peaks(oversampled_peak_envelope(x, oversample=8, fast=True), lazy.block).astype(np.float64)
    with np.errstate(divide="ignore"):
        node_db = 20.0 * np.log10(np.maximum(np.concatenate([[0.0], peaks]), np.concatenate([peaks, [0.0]])))
    full = LimiterDetector(node_db, lazy.block, n)
    for gain_db in (-10.0, 0.0, 3.0, 8.0, 20.0):
        a = limiter_gain_db(lazy, sample_rate=SAMPLE_RATE, input_gain_db=gain_db)
        assert np.array_equal(a, limiter_gain_db(full, sample_rate=SAMPLE_RATE, input_gain_db=gain_db))
    assert np.array_equal(lazy.node_peak_db, node_db)  # all of it, measured on demand
