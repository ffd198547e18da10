"""High-pass and EQ responses, the pan law, and the reverb's impulse response."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import ParameterError
from lemm.mix.filters import SETTLED_STATE, SOS_BLOCK_SAMPLES, EqBand, apply_sos, equalize, highpass, track_filter_sos
from lemm.mix.panning import apply_pan, pan_gains, pan_matrix
from lemm.mix.reverb import convolve_cut, reverb, reverb_impulse_response

from .signals import SAMPLE_RATE, sine


def _steady_gain_db(x: np.ndarray, y: np.ndarray) -> float:
    half = x.shape[-1] // 2  # after the filter has settled
    return 10 * math.log10(np.mean(np.square(y[..., half:], dtype=np.float64)) / np.mean(np.square(x[..., half:])))


@pytest.mark.parametrize("cutoff_hz", [40.0, 120.0, 1000.0])
def test_highpass_is_3_db_down_at_cutoff(cutoff_hz: float) -> None:
    x = sine(cutoff_hz, -6.0, 2.0)[None, :]
    assert _steady_gain_db(x, highpass(x, sample_rate=SAMPLE_RATE, cutoff_hz=cutoff_hz)) == pytest.approx(-3.01, abs=0.1)
    # 12 dB/octave: an octave below the cutoff is ~12 dB down, a decade above is untouched.
    low = sine(cutoff_hz / 2, -6.0, 2.0)[None, :]
    assert _steady_gain_db(low, highpass(low, sample_rate=SAMPLE_RATE, cutoff_hz=cutoff_hz)) == pytest.approx(-12.3, abs=0.3)
    high = sine(cutoff_hz * 10, -6.0, 2.0)[None, :]
    assert _steady_gain_db(high, highpass(high, sample_rate=SAMPLE_RATE, cutoff_hz=cutoff_hz)) == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize(
    ("kind", "probe_hz", "expected_db"), [("peak", 1000.0, 6.0), ("low_shelf", 30.0, 6.0), ("high_shelf", 15000.0, 6.0)]
)
def test_eq_bands(kind: str, probe_hz: float, expected_db: float) -> None:
    band = EqBand(kind, 1000.0, 6.0, 0.707)
    x = sine(probe_hz, -12.0, 2.0)[None, :]
    assert _steady_gain_db(x, equalize(x, sample_rate=SAMPLE_RATE, bands=(band,))) == pytest.approx(expected_db, abs=0.2)


def test_filter_errors_name_the_field() -> None:
    with pytest.raises(ParameterError, match="cutoff_hz"):
        highpass(np.zeros((1, 10)), sample_rate=8000, cutoff_hz=5000.0)  # above Nyquist
    with pytest.raises(ParameterError, match="kind"):
        EqBand("notch", 100.0, 3.0, 1.0)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.floats(-1.0, 1.0))
def test_pan_law_is_constant_power(pan: float) -> None:
    left, right = pan_gains(pan)
    assert left**2 + right**2 == pytest.approx(1.0, abs=1e-12)
    m = pan_matrix(pan, 2)
    np.testing.assert_allclose((m**2).sum(axis=0), 1.0, atol=1e-12)  # each stereo channel keeps its power


def test_pan_positions() -> None:
    assert pan_gains(0.0) == pytest.approx((math.sqrt(0.5), math.sqrt(0.5)))
    assert pan_gains(-1.0) == (1.0, 0.0)
    assert pan_gains(1.0) == (0.0, 1.0)
    x = np.random.default_rng(0).standard_normal((2, 100)).astype(np.float32)
    np.testing.assert_array_equal(apply_pan(x, pan=0.0), x)  # stereo at centre: untouched
    mono = apply_pan(x[:1], pan=-1.0)
    np.testing.assert_array_equal(mono[1], 0.0)
    np.testing.assert_allclose(mono[0], x[0])
    with pytest.raises(ParameterError, match="pan"):
        pan_gains(1.5)


def test_reverb_is_deterministic_and_unit_energy() -> None:
    a = reverb_impulse_response(sample_rate=SAMPLE_RATE, decay_seconds=1.2)
    b = reverb_impulse_response(sample_rate=SAMPLE_RATE, decay_seconds=1.2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose((a.astype(np.float64) ** 2).sum(axis=1), 1.0, rtol=1e-4)
    # Decorrelated channels: a wide tail.
    assert abs(np.corrcoef(a[0], a[1])[0, 1]) < 0.1


def test_reverb_decays_60_db_over_its_decay_time() -> None:
    decay = 1.0
    ir = reverb_impulse_response(sample_rate=SAMPLE_RATE, decay_seconds=decay, predelay_ms=0.0, damping=0.0, highpass_hz=0.0)
    energy = ir.astype(np.float64) ** 2
    win = int(0.05 * SAMPLE_RATE)
    early = energy[:, int(0.1 * SAMPLE_RATE) : int(0.1 * SAMPLE_RATE) + win].mean()
    late = energy[:, int(0.6 * SAMPLE_RATE) : int(0.6 * SAMPLE_RATE) + win].mean()
    assert 10 * math.log10(early / late) == pytest.approx(60.0 * 0.5 / decay, abs=3.0)  # 30 dB over 0.5 s


def test_reverb_output_shape_and_predelay() -> None:
    click = np.zeros((1, SAMPLE_RATE // 2))
    click[0, 0] = 1.0
    wet = reverb(click, sample_rate=SAMPLE_RATE, decay_seconds=0.3, predelay_ms=20.0)
    assert wet.shape == (2, SAMPLE_RATE // 2) and wet.dtype == np.float32
    assert np.abs(wet[:, : int(0.02 * SAMPLE_RATE)]).max() < 1e-6  # FFT round-off only
    assert np.abs(wet[:, int(0.02 * SAMPLE_RATE) + 100 :]).max() > 1e-3


def _sosfilt_by_blocks(x: np.ndarray, sos: np.ndarray, block: int, settled: float) -> np.ndarray:
    """The reference apply_sos keeps to: block by block with the state carried, a silent block skipped once the state is settled."""
    sos32 = sos.astype(np.float32)
    flat = np.asarray(x, np.float32).reshape(-1 if x.shape[-1] else x.size, x.shape[-1])
    out = np.zeros_like(flat)
    state = np.zeros((sos32.shape[0], flat.shape[0], 2), np.float32)
    for start in range(0, flat.shape[-1], block):
        part = flat[:, start : start + block]
        if not part.any() and not np.any(np.abs(state) > settled):
            state[:] = 0.0
            continue
        out[:, start : start + block], state = scipy.signal.sosfilt(sos32, part, axis=-1, zi=state)
    return out.reshape(x.shape)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(1, 40 * SOS_BLOCK_SAMPLES + 5), st.integers(0, 2**32 - 1))
def test_apply_sos_equals_the_block_by_block_filter(n_channels: int, n_samples: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n_channels, n_samples)) * 0.3).astype(np.float32)
    for _ in range(int(rng.integers(0, 5))):  # silent gaps: blocks skipped, ringing tails filtered one block at a time
        start = int(rng.integers(0, n_samples + 1))
        x[:, start : start + int(rng.integers(0, 12 * SOS_BLOCK_SAMPLES))] = 0.0
    sos = track_filter_sos(sample_rate=SAMPLE_RATE, highpass_hz=40.0, bands=(EqBand("peak", 80.0, 6.0, 8.0), EqBand("high_shelf", 8000.0, -3.0)))
    expected = _sosfilt_by_blocks(x, sos, SOS_BLOCK_SAMPLES, SETTLED_STATE)
    assert np.array_equal(apply_sos(x, sos), expected)
    assert np.array_equal(apply_sos(x[0], sos), expected[0])
    if not np.any(x == 0.0):  # no silent block: one pass of scipy's filter, bit for bit
        assert np.array_equal(expected, scipy.signal.sosfilt(sos.astype(np.float32), x, axis=-1))


@pytest.mark.parametrize(("n_samples", "n_taps"), [(1, 1), (1000, 1), (5000, 4801), (300_000, 9000), (200_000, 60_000)])
def test_convolve_cut_is_the_direct_convolution(n_samples: int, n_taps: int) -> None:
    # overlap-add by frames, many or one, against one float64 FFT convolution of the whole
    rng = np.random.default_rng(n_samples + n_taps)
    x = rng.standard_normal(n_samples).astype(np.float32)
    h = (rng.standard_normal(n_taps) * np.exp(-np.arange(n_taps) / max(1, n_taps / 5))).astype(np.float32)
    expected = scipy.signal.fftconvolve(x.astype(np.float64), h.astype(np.float64))[:n_samples]
    out = convolve_cut(x, h, out=np.full(n_samples, np.nan, np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=0, atol=2e-5 * np.abs(expected).max())
