"""Compressor static curve, envelope follower, and the true-peak limiter."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import ParameterError
from lemm.mix.dynamics import compress, compressor_gain, decaying_max, section_lift_gain, static_curve_db
from lemm.mix.limiter import limit
from lemm.mix.loudness import k_weighted_power
from lemm.mix.peak import true_peak_db

from .signals import SAMPLE_RATE, dynamic_signal, sine


def test_static_curve_hard_knee() -> None:
    levels = np.array([-60.0, -20.0, -10.0, 0.0])
    expected = np.array([0.0, 0.0, -10.0 * (1 - 1 / 3), -20.0 * (1 - 1 / 3)])
    np.testing.assert_allclose(static_curve_db(levels, threshold_db=-20.0, ratio=3.0), expected)


def test_static_curve_soft_knee_is_continuous_and_meets_the_lines() -> None:
    levels = np.linspace(-40.0, 0.0, 4001)
    gain = static_curve_db(levels, threshold_db=-20.0, ratio=4.0, knee_db=10.0)
    assert np.max(np.abs(np.diff(gain))) < 0.01  # no jumps
    hard = static_curve_db(levels, threshold_db=-20.0, ratio=4.0)
    outside = np.abs(levels + 20.0) >= 5.0
    np.testing.assert_allclose(gain[outside], hard[outside], atol=1e-12)
    assert gain[np.argmin(np.abs(levels + 20.0))] == pytest.approx(-0.75 * 10.0 / 8.0)  # slope * knee / 8


@pytest.mark.parametrize("level_db", [-30.0, -12.0, -6.0, 0.0])
def test_compressor_steady_state_follows_the_static_curve(level_db: float) -> None:
    x = sine(220.0, level_db, 1.5)[None, :]
    out = compress(x, sample_rate=SAMPLE_RATE, threshold_db=-18.0, ratio=4.0, attack_ms=2.0, release_ms=2000.0)
    out_db = 20 * math.log10(np.abs(out[:, SAMPLE_RATE:]).max())
    expected = level_db if level_db <= -18.0 else -18.0 + (level_db + 18.0) / 4.0
    assert out_db == pytest.approx(expected, abs=0.1)


def test_attack_time_constant() -> None:
    # A step from silence to a level 20 dB over threshold, ratio inf-ish: reduction reaches 63 % after attack_ms.
    x = np.concatenate([np.zeros(SAMPLE_RATE // 10), np.full(SAMPLE_RATE // 2, 0.5)])[None, :]
    g = compressor_gain(x, sample_rate=SAMPLE_RATE, threshold_db=-26.0, ratio=1000.0, attack_ms=20.0, release_ms=500.0)
    reduction = -20 * np.log10(g)
    final = reduction[-1]
    k = SAMPLE_RATE // 10 + int(0.020 * SAMPLE_RATE)
    assert reduction[k] / final == pytest.approx(1 - math.exp(-1), abs=0.03)


def test_release_lets_go() -> None:
    x = np.concatenate([np.full(SAMPLE_RATE // 2, 0.5), np.full(SAMPLE_RATE, 0.01)])[None, :]
    g = compressor_gain(x, sample_rate=SAMPLE_RATE, threshold_db=-20.0, ratio=4.0, attack_ms=1.0, release_ms=100.0)
    assert g[SAMPLE_RATE // 2 - 1] < 0.5
    assert g[-1] == pytest.approx(1.0, abs=1e-4)  # after 10 time constants


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.floats(0.0, 100.0), min_size=1, max_size=60), st.floats(0.01, 0.999))
def test_decaying_max_matches_the_recursion(values, coefficient) -> None:
    x = np.array(values)
    expected, y = [], 0.0
    for v in x:
        y = max(v, y * coefficient)
        expected.append(y)
    np.testing.assert_allclose(decaying_max(x, coefficient), expected, rtol=1e-9, atol=1e-12)


def test_compressor_ratio_one_is_transparent(rng) -> None:
    x = rng.standard_normal((2, 4800)).astype(np.float32)
    out = compress(x, sample_rate=SAMPLE_RATE, threshold_db=-40.0, ratio=1.0)
    np.testing.assert_array_equal(out, x)


def test_compressor_bad_parameter_names_the_field() -> None:
    with pytest.raises(ParameterError, match="ratio"):
        compress(np.zeros((1, 10)), sample_rate=SAMPLE_RATE, threshold_db=-10.0, ratio=0.5)


@pytest.mark.parametrize("ceiling", [-1.0, -3.0])
def test_limiter_holds_the_ceiling(ceiling: float) -> None:
    x = dynamic_signal(4.0) * 4.0
    out = limit(x, sample_rate=SAMPLE_RATE, ceiling_dbtp=ceiling)
    assert true_peak_db(out, sample_rate=SAMPLE_RATE) <= ceiling
    assert true_peak_db(out, sample_rate=SAMPLE_RATE, oversample=8) <= ceiling
    independent = 20 * np.log10(np.abs(scipy.signal.resample_poly(out.astype(np.float64), 8, 1, axis=-1)).max())
    assert independent <= ceiling + 0.02
    assert out.dtype == np.float32 and out.shape == x.shape


def test_limiter_leaves_quiet_audio_alone(rng) -> None:
    x = (rng.standard_normal((2, 9600)) * 0.01).astype(np.float32)
    np.testing.assert_array_equal(limit(x, sample_rate=SAMPLE_RATE), x)


def test_limiter_gain_is_smooth() -> None:
    x = np.concatenate([np.full(4800, 0.1), np.full(4800, 2.0), np.full(24000, 0.1)])[None, :]
    out = limit(x, sample_rate=SAMPLE_RATE, ceiling_dbtp=-1.0, lookahead_ms=5.0, release_ms=50.0)
    gain = out[0] / x[0]
    step = np.max(np.abs(np.diff(20 * np.log10(gain))))
    assert step < 0.2  # dB per sample: a ramp over the lookahead, no jump
    assert gain[4800 - 300] == pytest.approx(1.0)  # nothing before the lookahead (+ filter span, blocks)
    required_db = -1.1 - 20 * math.log10(2.0)  # ceiling minus the 0.1 dB margin, for a 2.0 plateau
    assert required_db - 0.5 <= 20 * math.log10(gain[9000]) <= required_db  # released toward the requirement
    assert 20 * math.log10(gain[-1]) > -0.1  # and let go after the plateau


def test_section_lift_gain_from_a_given_k_power_is_the_same():
    """The master passes the K-weighted power it measured: the gain is bit for bit the one measured here."""
    x = (np.random.default_rng(5).standard_normal((2, SAMPLE_RATE * 12)) * 0.1).astype(np.float32)
    x[:, : SAMPLE_RATE * 5] *= 0.05  # a quiet intro, lifted
    own = section_lift_gain(x, sample_rate=SAMPLE_RATE)
    given_power = section_lift_gain(x, sample_rate=SAMPLE_RATE, k_power=k_weighted_power(x, sample_rate=SAMPLE_RATE))
    assert own.tobytes() == given_power.tobytes()
    assert 20 * math.log10(float(own[SAMPLE_RATE * 3])) > 6.0 and float(own[-1]) == 1.0
    with pytest.raises(ParameterError, match="k_power"):
        section_lift_gain(x, sample_rate=SAMPLE_RATE, k_power=np.zeros(10))
