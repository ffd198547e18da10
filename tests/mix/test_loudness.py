"""Loudness meters against pyloudnorm and the EBU Tech 3341 / 3342 test signals."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
import scipy.signal

from lemm.errors import ParameterError
from lemm.mix.loudness import (
    integrated_loudness,
    k_weighting_sos,
    loudness_range,
    momentary_loudness,
    short_term_loudness,
)

from .signals import SAMPLE_RATE, dense_mix, dynamic_signal, sine, sparse_notes, stereo


def _signals(rate: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 6 * rate
    white = rng.standard_normal((2, n)) * 0.1
    white[:, : 2 * rate] *= 0.05  # a quiet start exercises the relative gate
    brown = np.cumsum(rng.standard_normal((2, n)), axis=1)
    brown = scipy.signal.sosfilt(scipy.signal.butter(2, 20, "hp", fs=rate, output="sos"), brown, axis=-1)
    brown *= 0.3 / np.abs(brown).max()
    return {
        "white_stereo": white,
        "white_mono": white[:1],
        "brown": brown,
        "tones": stereo(sine(60.0, -12.0, 6.0, sample_rate=rate) + sine(5000.0, -18.0, 6.0, sample_rate=rate)),
        "dense": dense_mix(6.0, sample_rate=rate),
        "sparse": sparse_notes(6.0, sample_rate=rate),
        "dynamic": dynamic_signal(6.0, sample_rate=rate),
    }


@pytest.mark.parametrize("rate", [48000, 44100])
def test_integrated_matches_pyloudnorm(rate: int) -> None:
    exact = pyloudnorm.Meter(rate, filter_class="DeMan")  # the same BS.1770 filter parametrisation
    default = pyloudnorm.Meter(rate)
    for name, x in _signals(rate).items():
        ours = integrated_loudness(x, sample_rate=rate)
        data = x.T if x.shape[0] == 2 else x[0]
        assert ours == pytest.approx(exact.integrated_loudness(data), abs=1e-3), name
        assert ours == pytest.approx(default.integrated_loudness(data), abs=0.1), name


def test_k_weighting_matches_bs1770_table() -> None:
    sos = k_weighting_sos(48000)
    # ITU-R BS.1770-4, Tables 1 and 2 (48 kHz).
    stage1 = [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585]
    np.testing.assert_allclose(sos[0], stage1, atol=1e-9)
    np.testing.assert_allclose(sos[1], [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], atol=1e-9)


@pytest.mark.parametrize(
    ("levels_db", "durations_s"),
    [
        ((-23.0,), (20.0,)),  # Tech 3341 case 1
        ((-33.0,), (20.0,)),  # case 2 (expects -33.0)
        ((-36.0, -23.0, -36.0), (10.0, 60.0, 10.0)),  # case 3
        ((-72.0, -36.0, -23.0, -36.0, -72.0), (10.0, 10.0, 60.0, 10.0, 10.0)),  # case 4
        ((-26.0, -20.0, -26.0), (20.0, 20.1, 20.0)),  # case 5
    ],
)
def test_ebu_tech_3341_integrated(levels_db, durations_s) -> None:
    x = np.concatenate([sine(1000.0, level, seconds) for level, seconds in zip(levels_db, durations_s, strict=True)])
    expected = -33.0 if levels_db == (-33.0,) else -23.0
    assert integrated_loudness(stereo(x), sample_rate=SAMPLE_RATE) == pytest.approx(expected, abs=0.1)


def test_ebu_tech_3341_momentary_and_short_term_are_constant() -> None:
    x = stereo(sine(1000.0, -23.0, 20.0))
    for values in (momentary_loudness(x, sample_rate=SAMPLE_RATE), short_term_loudness(x, sample_rate=SAMPLE_RATE)):
        np.testing.assert_allclose(values, -23.0, atol=0.1)
    assert momentary_loudness(x, sample_rate=SAMPLE_RATE).shape == (197,)  # (20 - 0.4) / 0.1 + 1
    assert short_term_loudness(x, sample_rate=SAMPLE_RATE).shape == (171,)  # (20 - 3) / 0.1 + 1


@pytest.mark.parametrize(
    ("levels_db", "expected_lu"),
    [
        ((-20.0, -30.0), 10.0),  # Tech 3342 case 1
        ((-20.0, -15.0), 5.0),  # case 2
        ((-40.0, -20.0), 20.0),  # case 3
        ((-50.0, -35.0, -20.0, -35.0, -50.0), 15.0),  # case 4
    ],
)
def test_ebu_tech_3342_loudness_range(levels_db, expected_lu) -> None:
    rate = 16000  # a 1 kHz sine measures the same at any rate; keeps the test fast
    x = np.concatenate([sine(1000.0, level, 20.0, sample_rate=rate) for level in levels_db])
    assert loudness_range(stereo(x), sample_rate=rate) == pytest.approx(expected_lu, abs=1.0)


def test_momentary_follows_level_changes() -> None:
    x = np.concatenate([sine(1000.0, -20.0, 2.0), sine(1000.0, -30.0, 2.0)])
    m = momentary_loudness(stereo(x), sample_rate=SAMPLE_RATE)
    assert m[0] == pytest.approx(-20.0, abs=0.1)
    assert m[-1] == pytest.approx(-30.0, abs=0.1)


def test_silence_and_short_signals() -> None:
    assert integrated_loudness(np.zeros((2, SAMPLE_RATE)), sample_rate=SAMPLE_RATE) == -math.inf
    assert integrated_loudness(np.zeros((2, 0)), sample_rate=SAMPLE_RATE) == -math.inf
    # Below the absolute gate: also -inf.
    assert integrated_loudness(stereo(sine(1000.0, -80.0, 2.0)), sample_rate=SAMPLE_RATE) == -math.inf
    assert loudness_range(np.zeros((2, 4 * SAMPLE_RATE)), sample_rate=SAMPLE_RATE) == 0.0
    # Shorter than a block: one block over the whole signal.
    short = stereo(sine(1000.0, -23.0, 0.2))
    assert integrated_loudness(short, sample_rate=SAMPLE_RATE) == pytest.approx(-23.0, abs=0.1)


def test_mono_reads_3_db_below_the_same_signal_on_two_channels() -> None:
    x = sine(1000.0, -20.0, 3.0)
    mono = integrated_loudness(x, sample_rate=SAMPLE_RATE)
    assert integrated_loudness(stereo(x), sample_rate=SAMPLE_RATE) - mono == pytest.approx(10 * math.log10(2), abs=1e-6)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((6, 100)), np.zeros((2, 2, 100)), np.array([[0.0, np.nan]]), np.array([["a"]])],
)
def test_bad_audio_raises_parameter_error(bad) -> None:
    with pytest.raises(ParameterError, match="audio"):
        integrated_loudness(bad, sample_rate=SAMPLE_RATE)


def test_bad_sample_rate_raises() -> None:
    with pytest.raises(ParameterError, match="sample_rate"):
        integrated_loudness(np.zeros((2, 100)), sample_rate=0)
