"""The reverb send against scipy's FFT convolution and the RT60 it promises."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import fftconvolve

from lemm.errors import ParameterError
from lemm.render.reverb import reverb_impulse_response, reverb_send

SR = 16000


@pytest.mark.parametrize("rt60", [0.4, 1.2])
def test_impulse_response_decays_at_its_rt60(rt60):
    ir = reverb_impulse_response(decay_seconds=rt60, sample_rate=SR, seed=1, predelay_ms=0.0, damping=0.0)[0].astype(np.float64)
    # Schroeder backward integration; slope between -5 and -25 dB extrapolated to -60 dB.
    edc = 10 * np.log10(np.cumsum(ir[::-1] ** 2)[::-1] / np.sum(ir**2) + 1e-30)
    t = np.arange(len(ir)) / SR
    sel = (edc < -5) & (edc > -25)
    slope = np.polyfit(t[sel], edc[sel], 1)[0]
    assert abs(-60.0 / slope - rt60) < 0.15 * rt60


def test_send_is_dry_plus_scaled_convolution():
    rng = np.random.default_rng(0)
    dry = rng.normal(0, 0.1, (2, 3000)).astype(np.float32)
    out = reverb_send(dry, send_db=-6.0, decay_seconds=0.3, sample_rate=SR, seed=2)
    ir = reverb_impulse_response(decay_seconds=0.3, sample_rate=SR, seed=2)
    ref = 10 ** (-6 / 20) * np.stack([fftconvolve(dry[c], ir[c]) for c in range(2)])
    ref[:, :3000] += dry
    np.testing.assert_allclose(out, ref, atol=2e-5)
    np.testing.assert_array_equal(out, reverb_send(dry, send_db=-6.0, decay_seconds=0.3, sample_rate=SR, seed=2))
    assert not np.allclose(ir[0], ir[1])  # channels decorrelated


def test_damping_darkens_the_tail():
    def late_centroid(damping):
        ir = reverb_impulse_response(decay_seconds=1.0, sample_rate=SR, seed=0, damping=damping)[0]
        late = ir[SR // 2 :]
        spec = np.abs(np.fft.rfft(late))
        return float((spec * np.fft.rfftfreq(len(late), 1 / SR)).sum() / spec.sum())

    assert late_centroid(1.0) < 0.8 * late_centroid(0.0)


@pytest.mark.parametrize("kw", [dict(send_db=float("nan")), dict(decay_seconds=0.0), dict(decay_seconds=float("inf")), dict(damping=2.0)])
def test_bad_parameters_raise(kw):
    args = dict(send_db=-10.0, decay_seconds=1.0, sample_rate=SR)
    args.update(kw)
    with pytest.raises(ParameterError):
        reverb_send(np.zeros((2, 100), np.float32), **args)


def test_non_finite_audio_raises():
    bad = np.zeros((2, 100), np.float32)
    bad[0, 5] = np.inf
    with pytest.raises(ParameterError):
        reverb_send(bad, send_db=-10.0, sample_rate=SR)
