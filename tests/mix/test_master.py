"""master(): loudness target, true-peak ceiling, determinism, silence."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import ParameterError
from lemm.mix import MasterReport, MasterSettings, master, measure, true_peak_db

from .signals import SAMPLE_RATE, dense_mix, dynamic_signal, sparse_notes

SIGNALS = {
    "dense": lambda: dense_mix(8.0),
    "sparse": lambda: sparse_notes(8.0),
    "dynamic": lambda: dynamic_signal(8.0),
    "hot": lambda: dense_mix(8.0) * 6.0,  # arrives far over full scale
}


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_master_hits_target_and_ceiling(name: str) -> None:
    out, report = master(SIGNALS[name](), sample_rate=SAMPLE_RATE, settings=MasterSettings(target_lufs=-14.0, ceiling_dbtp=-1.0))
    assert out.dtype == np.float32 and out.shape[0] == 2
    reference = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(out.T.astype(np.float64))
    assert reference == pytest.approx(-14.0, abs=0.3)
    assert report.integrated_lufs == pytest.approx(-14.0, abs=0.1)
    assert report.target_reached is True
    assert true_peak_db(out, sample_rate=SAMPLE_RATE) <= -1.0
    assert report.true_peak_dbtp <= -1.0
    independent = 20 * np.log10(np.abs(scipy.signal.resample_poly(out.astype(np.float64), 8, 1, axis=-1)).max())
    assert independent <= -1.0
    assert np.abs(out).max() < 1.0


def test_report_matches_measure() -> None:
    out, report = master(dynamic_signal(8.0), sample_rate=SAMPLE_RATE)
    m = measure(out, sample_rate=SAMPLE_RATE)
    for key, value in m.items():
        assert getattr(report, key) == pytest.approx(value, abs=1e-9), key
    assert report.max_gain_reduction_db > 1.0  # the bursts were limited
    assert report.iterations >= 1 and report.silent is False


def test_master_is_deterministic() -> None:
    x = dynamic_signal(6.0, seed=3)
    a, ra = master(x, sample_rate=SAMPLE_RATE)
    b, rb = master(x.copy(), sample_rate=SAMPLE_RATE)
    np.testing.assert_array_equal(a, b)
    assert ra == rb


def test_other_targets_and_mono() -> None:
    out, report = master(sparse_notes(6.0)[:1], sample_rate=SAMPLE_RATE, settings=MasterSettings(target_lufs=-20.0, ceiling_dbtp=-2.0))
    assert out.shape[0] == 1
    assert report.integrated_lufs == pytest.approx(-20.0, abs=0.1)
    assert true_peak_db(out, sample_rate=SAMPLE_RATE) <= -2.0


def test_silence_in_silence_out() -> None:
    out, report = master(np.zeros((2, SAMPLE_RATE)), sample_rate=SAMPLE_RATE)
    np.testing.assert_array_equal(out, 0.0)
    assert report.silent is True and report.integrated_lufs == -math.inf and report.gain_db == 0.0
    # Infrasound: below the -70 LUFS gate (K-weighting removes it) yet over the ceiling:
    # returned limited, not amplified.
    t = np.arange(4 * SAMPLE_RATE) / SAMPLE_RATE
    rumble = np.stack([0.6 * (1 - np.cos(2 * np.pi * 0.5 * t))] * 2)  # 0.5 Hz, peaks at 1.2
    out, report = master(rumble, sample_rate=SAMPLE_RATE)
    assert report.silent is True and report.gain_db == 0.0
    assert true_peak_db(out, sample_rate=SAMPLE_RATE) <= -1.0 and report.max_gain_reduction_db > 2.0


def test_bad_input() -> None:
    with pytest.raises(ParameterError, match="ceiling_dbtp"):
        master(np.zeros((2, 100)), sample_rate=SAMPLE_RATE, settings=MasterSettings(ceiling_dbtp=1.0))
    with pytest.raises(ParameterError, match="target_lufs"):
        master(np.zeros((2, 100)), sample_rate=SAMPLE_RATE, settings=MasterSettings(target_lufs=5.0))
    with pytest.raises(ParameterError, match="audio"):
        master(np.zeros((6, 100)), sample_rate=SAMPLE_RATE)
    with pytest.raises(ParameterError, match="non-finite"):
        master(np.full((2, 100), np.inf), sample_rate=SAMPLE_RATE)


def test_master_takes_the_settings_object_and_returns_a_typed_report() -> None:
    import dataclasses

    x = dynamic_signal(4.0, seed=5)
    a, ra = master(x, sample_rate=SAMPLE_RATE)
    b, rb = master(x, sample_rate=SAMPLE_RATE, settings=MasterSettings())
    np.testing.assert_array_equal(a, b)
    assert isinstance(ra, MasterReport) and ra == rb
    d = ra.to_dict()
    assert list(d) == [f.name for f in dataclasses.fields(MasterReport)]
    assert isinstance(d["short_term_lufs"], list) and len(d["gain_reduction_db"]) == 4  # one value per second
    # one setting changes what the report says it did
    _, narrow = master(x, sample_rate=SAMPLE_RATE, settings=MasterSettings(stereo_width=0.5, min_side_mid_db=None))
    assert narrow.side_gain <= 0.5 + 1e-9 < ra.side_gain
    with pytest.raises(ParameterError, match="settings"):
        master(x, sample_rate=SAMPLE_RATE, settings={"target_lufs": -14.0})


@settings(max_examples=5, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.floats(-40.0, 20.0), st.floats(-24.0, -10.0), st.floats(-3.0, -0.5))
def test_master_property(seed: int, level_db: float, target: float, ceiling: float) -> None:
    x = dynamic_signal(3.0, seed=seed % 1000) * 10 ** (level_db / 20)
    out, report = master(x, sample_rate=SAMPLE_RATE, settings=MasterSettings(target_lufs=target, ceiling_dbtp=ceiling))
    assert true_peak_db(out, sample_rate=SAMPLE_RATE) <= ceiling
    assert report.integrated_lufs == pytest.approx(target, abs=0.1)
    assert np.abs(out).max() < 1.0
