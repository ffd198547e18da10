"""The synth core against numpy formulas: oscillators, phase accuracy, band limiting, noise, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lemm.errors import RenderError
from lemm.render.synth import (
    accumulate_phase,
    filtered_noise,
    harmonic_synthesis,
    hop_samples,
    upsample_frames,
    wavetable_voice,
)
from lemm.units import midi_to_hz

SR = 16000
HOP = hop_samples(SR)


def numpy_sum_of_sines(f0_hz: np.ndarray, amps: np.ndarray, sample_rate: int) -> np.ndarray:
    """Reference: sum_k a_k sin(2 pi k phase), phase = exclusive cumulative sum of f0 / sr (float64)."""
    phase = np.concatenate([[0.0], np.cumsum(f0_hz / sample_rate)[:-1]])
    k = np.arange(1, amps.shape[-1] + 1)
    return np.sum(amps * np.sin(2 * np.pi * np.outer(phase, k)), axis=1)


def test_harmonic_synthesis_matches_numpy_constant_pitch():
    n = 4000
    amps = np.array([1.0, 0.5, 0.25, 0.125])
    y = harmonic_synthesis(torch.full((n // HOP + 2,), 220.0), torch.tensor(amps, dtype=torch.float32).repeat(n // HOP + 2, 1), hop=HOP, sample_rate=SR, n_samples=n)
    ref = numpy_sum_of_sines(np.full(n, 220.0), amps, SR)
    np.testing.assert_allclose(y.numpy(), ref, atol=2e-5)


def test_harmonic_synthesis_matches_numpy_glide():
    n_frames = 80
    f0_frames = np.linspace(200.0, 400.0, n_frames)
    n = (n_frames - 1) * HOP + 1
    f0_samples = np.interp(np.arange(n) / HOP, np.arange(n_frames), f0_frames)
    amps = np.array([1.0, 0.3])
    y = harmonic_synthesis(torch.tensor(f0_frames), torch.tensor(amps, dtype=torch.float32).repeat(n_frames, 1), hop=HOP, sample_rate=SR, n_samples=n)
    np.testing.assert_allclose(y.numpy(), numpy_sum_of_sines(f0_samples, amps, SR), atol=5e-5)


@pytest.mark.parametrize("f0", [55.0, 440.0, 1975.5])
def test_wavetable_voice_matches_sum_of_sines(f0):
    n = 6000
    n_frames = n // HOP + 2
    amps = np.array([1.0 / k for k in range(1, 9)])
    tables = torch.tensor(amps, dtype=torch.float32).repeat(n_frames // 4 + 2, 1)
    y = wavetable_voice(torch.full((n_frames,), f0), torch.ones(n_frames), tables, hop=HOP, table_hop_frames=4, sample_rate=SR, n_samples=n)[0]
    k = np.arange(1, 9)
    kept = amps * np.clip((SR / 2 - k * f0) / (0.15 * SR / 2), 0, 1)  # the Nyquist taper
    ref = numpy_sum_of_sines(np.full(n, f0), kept, SR)
    assert np.max(np.abs(y.numpy() - ref)) < 3e-3 * np.max(np.abs(ref))


def test_wavetable_chunks_and_copies_agree_with_reference():
    n = 20000
    n_frames = n // HOP + 2
    tables = torch.ones(n_frames // 4 + 2, 1)
    ratios = (1.0, 2.0 ** (7 / 1200))
    y = wavetable_voice(torch.full((n_frames,), 330.0), torch.ones(n_frames), tables, hop=HOP, table_hop_frames=4, sample_rate=SR, n_samples=n, detune_ratios=ratios, chunk_samples=3001)
    for c, r in enumerate(ratios):
        ref = np.sin(2 * np.pi * 330.0 * r * np.arange(n) / SR)
        assert np.max(np.abs(y[c].numpy() - ref)) < 1e-3


def test_phase_accuracy_over_a_long_note():
    seconds = 120
    n = seconds * SR
    f0 = 440.0 * 2 ** (0.37 / 12)  # not a round number of samples per cycle
    n_frames = n // HOP + 2
    y = wavetable_voice(torch.full((n_frames,), f0, dtype=torch.float64), torch.ones(n_frames), torch.ones(n_frames // 4 + 2, 1), hop=HOP, table_hop_frames=4, sample_rate=SR, n_samples=n)[0]
    tail = np.arange(n - 2000, n)
    ref = np.sin(2 * np.pi * np.mod(f0 * tail / SR, 1.0))
    assert np.max(np.abs(y[-2000:].numpy() - ref)) < 1e-3  # float32 phase would be off by whole radians here
    phase, next_phase = accumulate_phase(torch.full((n,), f0, dtype=torch.float64), sample_rate=SR)
    assert abs(next_phase - math.fmod(f0 * n / SR, 1.0)) < 1e-5  # float32 would be off by ~0.1 cycle
    assert float(phase.max()) < 1.0 and float(phase.min()) >= 0.0


def _alias_ratio(y: np.ndarray, f0: float) -> float:
    """Energy away from ``f0`` (outside +-150 Hz) relative to the total."""
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    return float(spec[np.abs(freqs - f0) > 150].sum() / spec.sum())


@pytest.mark.parametrize("path", ["direct", "wavetable"])
def test_harmonics_at_or_above_nyquist_are_zero(path):
    f0 = float(midi_to_hz(108))  # 4186 Hz: harmonic 2 (8372 Hz) is above Nyquist (8000 Hz)
    n = 8000
    n_frames = n // HOP + 2
    amps = torch.ones(n_frames, 16)
    if path == "direct":
        y = harmonic_synthesis(torch.full((n_frames,), f0), amps, hop=HOP, sample_rate=SR, n_samples=n).numpy()
    else:
        y = wavetable_voice(torch.full((n_frames,), f0), torch.ones(n_frames), amps[: n_frames // 4 + 2], hop=HOP, table_hop_frames=4, sample_rate=SR, n_samples=n)[0].numpy()
    assert _alias_ratio(y, f0) < 1e-6  # an aliased 2nd harmonic would sit at 7628 Hz
    assert np.std(y) > 0.5


@pytest.mark.parametrize("pitch", [128, 140])
def test_pitches_beyond_midi_range_in_the_core(pitch):
    # The score forbids these; the core must still not alias (all harmonics above Nyquist -> silence).
    f0 = float(midi_to_hz(pitch))
    y = harmonic_synthesis(torch.full((10,), f0), torch.ones(10, 8), hop=HOP, sample_rate=SR, n_samples=500)
    assert torch.count_nonzero(y) == 0
    low = harmonic_synthesis(torch.full((10,), float(midi_to_hz(-20))), torch.ones(10, 8), hop=HOP, sample_rate=SR, n_samples=500)
    assert torch.isfinite(low).all() and float(low.abs().max()) < 8.0


@pytest.mark.parametrize(
    "bad",
    [
        dict(f0=float("nan")),
        dict(f0=float("inf")),
        dict(f0=-10.0),
        dict(amp=float("nan")),
    ],
)
def test_non_finite_or_negative_controls_raise(bad):
    f0 = torch.full((10,), 220.0)
    amps = torch.ones(10, 4)
    if "f0" in bad:
        f0[3] = bad["f0"]
    if "amp" in bad:
        amps[2, 1] = bad["amp"]
    with pytest.raises(RenderError):
        harmonic_synthesis(f0, amps, hop=HOP, sample_rate=SR, n_samples=500)
    with pytest.raises(RenderError):
        wavetable_voice(f0, torch.ones(10), amps[:4], hop=HOP, table_hop_frames=4, sample_rate=SR, n_samples=500)


def test_filtered_noise_rejects_non_finite_and_shapes_spectrum():
    with pytest.raises(RenderError):
        filtered_noise(torch.full((5, 9), float("inf")), hop=HOP, sample_rate=SR, n_samples=256, generator=torch.Generator().manual_seed(0))
    gains = torch.zeros(70, 9)
    gains[:, 5] = 1.0  # only the 2 kHz band
    y = filtered_noise(gains, hop=HOP, sample_rate=SR, n_samples=4096, generator=torch.Generator().manual_seed(1)).numpy()
    spec = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    in_band = spec[(freqs > 1000) & (freqs < 4000)].sum()
    assert in_band / spec.sum() > 0.9
    again = filtered_noise(gains, hop=HOP, sample_rate=SR, n_samples=4096, generator=torch.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(y, again)


def test_upsample_frames_is_linear_interpolation():
    frames = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64)
    y = upsample_frames(frames, hop=4, n_samples=12)
    np.testing.assert_allclose(y.numpy(), np.interp(np.arange(12) / 4, [0, 1, 2], [0.0, 2.0, -1.0]))


def test_differentiable_path_has_gradients():
    amps = torch.ones(10, 4, requires_grad=True)
    f0 = torch.full((10,), 220.0, dtype=torch.float64, requires_grad=True)
    y = harmonic_synthesis(f0, amps, hop=HOP, sample_rate=SR, n_samples=500)
    y.pow(2).sum().backward()
    assert amps.grad is not None and torch.isfinite(amps.grad).all() and amps.grad.abs().sum() > 0
    assert f0.grad is not None and torch.isfinite(f0.grad).all()


@pytest.mark.parametrize(("hop", "batch", "n"), [(64, 1, 4096), (192, 3, 6000), (441, 5, 9000), (7, 2, 333)])
def test_half_overlap_istft_is_torch_istft_bit_for_bit(hop, batch, n):
    """The filtered noise's inverse STFT equals torch.istft's bits (signed zeros too), silent frames included."""
    from lemm.render.synth import _istft_half_overlap

    g = torch.Generator().manual_seed(hop)
    window = torch.hann_window(2 * hop)
    spec = torch.stft(torch.randn(batch, n, generator=g), 2 * hop, hop_length=hop, window=window, center=True, return_complex=True)
    gains = torch.rand(spec.shape, generator=g)
    gains[:, :, : spec.shape[-1] // 3] = 0.0
    spec = spec * gains
    ref = torch.istft(spec, 2 * hop, hop_length=hop, window=window, center=True, length=n)
    assert torch.equal(_istft_half_overlap(spec, window, hop=hop, length=n).view(torch.int32), ref.view(torch.int32))
    spec.requires_grad_(True)
    _istft_half_overlap(spec, window, hop=hop, length=n).pow(2).sum().backward()  # differentiable, as filtered_noise is
    assert spec.grad is not None and torch.isfinite(torch.view_as_real(spec.grad)).all()
