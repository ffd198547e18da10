"""Inharmonic partials (``partial_ratios``): measured by peak picking, rendered where they are asked, fitted back."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from lemm.errors import ParameterError
from lemm.render import TimbreRegion, load_preset, render_track
from lemm.render.fitting import ReferenceNote, fit_regions, note_score
from lemm.render.presets import Preset, preset_from_dict, preset_to_dict
from lemm.render.spectral import partial_ratios
from lemm.render.synth import harmonic_synthesis
from lemm.render.timbre import region_partial_ratios
from lemm.units import hz_to_midi

SR = 16000


def _peak_hz(x: np.ndarray, lo_hz: float, hi_hz: float) -> tuple[float, float]:
    """(frequency, level in dB re the whole spectrum's peak) of the loudest bin in [lo_hz, hi_hz), numpy FFT."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1.0 / SR)
    band = (freqs >= lo_hz) & (freqs < hi_hz)
    i = int(np.argmax(np.where(band, spec, 0.0)))
    return float(freqs[i]), float(20.0 * np.log10(spec[i] / spec.max()))


def _render(preset, pitch: int, seconds: float = 1.0) -> np.ndarray:
    track, score = note_score(preset.name, pitch, 100, seconds)
    return render_track(track, score, sample_rate=SR, n_samples=int(seconds * SR), preset=preset).mean(0)


def test_harmonic_synthesis_puts_a_partial_at_its_ratio():
    f0 = torch.full((201,), 220.0, dtype=torch.float64)
    y = harmonic_synthesis(f0, torch.ones(201, 3), hop=80, sample_rate=SR, n_samples=SR, partial_ratios=torch.tensor([1.0, 2.0, 3.3], dtype=torch.float64))
    t = np.arange(SR) / SR
    expected = np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 726 * t)  # independent numpy sum
    np.testing.assert_allclose(y.numpy(), expected, atol=2e-3)
    with pytest.raises(ParameterError, match="partial_ratios"):
        harmonic_synthesis(f0, torch.ones(201, 3), hop=80, sample_rate=SR, n_samples=SR, partial_ratios=torch.ones(2, dtype=torch.float64))


_PLAIN = Preset(name="plain", description="no regions", harmonic_amplitudes=(1.0, 0.5, 0.4), attack_ms=5.0, decay_ms=100.0, sustain_level=1.0, release_ms=100.0)


@pytest.mark.parametrize("preset", [load_preset("acoustic_piano"), _PLAIN], ids=["regions", "no_regions"])
def test_rendered_partial_moves_to_the_given_ratio(preset):
    ratios = (1.0, 2.0, 3.3)
    if preset.regions:
        moved = dataclasses.replace(preset, regions=tuple(dataclasses.replace(r, partial_ratios=ratios) for r in preset.regions))
    else:
        moved = dataclasses.replace(preset, partial_ratios=ratios)
    f0 = 261.6256
    plain, inharmonic = _render(preset, 60), _render(moved, 60)
    _, at_3_before = _peak_hz(plain, 2.9 * f0, 3.1 * f0)
    f, at_33 = _peak_hz(inharmonic, 3.1 * f0, 3.5 * f0)
    _, at_3_after = _peak_hz(inharmonic, 2.9 * f0, 3.1 * f0)
    assert abs(f - 3.3 * f0) < 3.0
    assert abs(at_33 - at_3_before) < 3.0  # the same partial, moved at the same level
    assert at_3_after < at_3_before - 25.0
    np.testing.assert_allclose(_peak_hz(inharmonic, 0.9 * f0, 1.1 * f0)[1], _peak_hz(plain, 0.9 * f0, 1.1 * f0)[1], atol=1.0)


def test_a_ratio_a_hair_off_the_harmonic_renders_as_the_harmonic():
    """The sine path of an off-series partial and the wavetables agree in level and phase."""
    preset = load_preset("acoustic_piano")
    near = dataclasses.replace(preset, regions=tuple(dataclasses.replace(r, partial_ratios=(1.0, 2.0, 3.0 + 1e-7)) for r in preset.regions))
    a, b = _render(preset, 60, 0.5), _render(near, 60, 0.5)
    assert np.abs(a - b).max() < 1e-3 * np.abs(a).max()


def test_stock_presets_are_harmonic():
    for name in ("acoustic_piano", "cello", "flute"):
        assert region_partial_ratios(load_preset(name), 60, 100, 8) is None


def test_ratios_interpolate_in_log_frequency_by_pitch():
    regions = (TimbreRegion(48, 100, (1.0, 0.1, 0.1), partial_ratios=(1.0, 2.0, 3.3)), TimbreRegion(72, 100, (1.0, 0.1, 0.1), partial_ratios=(1.0, 1.8)))
    p = dataclasses.replace(load_preset("organ"), regions=regions, noise_level_db=-30.0)
    np.testing.assert_allclose(region_partial_ratios(p, 60, 100, 4), [1.0, np.sqrt(3.6), np.sqrt(9.9), 4.0])
    np.testing.assert_allclose(region_partial_ratios(p, 40, 100, 3), [1.0, 2.0, 3.3])


def test_partial_ratios_are_checked_and_round_trip():
    with pytest.raises(ParameterError, match="partial_ratios item 3"):
        TimbreRegion(60, 100, (1.0,), partial_ratios=(1.0, 2.0, 3.6))
    with pytest.raises(ParameterError, match="partial_ratios"):
        dataclasses.replace(load_preset("organ"), partial_ratios=(0.4,))
    p = dataclasses.replace(load_preset("organ"), partial_ratios=(1.0, 2.1))
    assert preset_from_dict(json.loads(json.dumps(preset_to_dict(p)))) == p
    region = TimbreRegion(60, 100, (1.0,), partial_ratios=(1.0, 1.9))
    q = dataclasses.replace(load_preset("organ"), regions=(region,), noise_level_db=-30.0)
    assert preset_from_dict(json.loads(json.dumps(preset_to_dict(q)))) == q


def test_peak_picking_finds_a_bar_mode_and_leaves_harmonics_alone():
    t = np.arange(SR) / SR
    bar = np.exp(-2 * t) * (np.sin(2 * np.pi * 300 * t) + 0.3 * np.sin(2 * np.pi * 1200 * t) + 0.05 * np.sin(2 * np.pi * 300 * 9.62 * t))
    r = partial_ratios(bar, sample_rate=SR, f0_hz=302.0, n_harmonics=12)  # a slightly wrong f0 guess
    assert abs(r[9] - 9.62) < 0.01
    np.testing.assert_array_equal(np.delete(r, 9), np.delete(np.arange(1.0, 13.0), 9))
    reed = sum(np.sin(2 * np.pi * 233 * k * t) / k for k in range(1, 12))
    np.testing.assert_array_equal(partial_ratios(reed, sample_rate=SR, f0_hz=233.0, n_harmonics=20), np.arange(1.0, 21.0))


def test_fit_recovers_a_known_inharmonic_ratio_and_renders_it_between_notes():
    t = np.arange(int(0.8 * SR)) / SR
    refs = []
    for f0 in (200.0, 300.0):
        env = np.minimum(t / 0.003, 1.0) * np.exp(-4.0 * t)
        x = env * (np.sin(2 * np.pi * f0 * t) + 0.3 * np.exp(-t) * np.sin(2 * np.pi * 4 * f0 * t) + 0.2 * np.sin(2 * np.pi * 10.3 * f0 * t))
        refs.append(ReferenceNote(x, SR, float(hz_to_midi(f0)), 100, 0.7))
    template = Preset(name="bar", description="", harmonic_amplitudes=(1.0,), attack_ms=5.0, decay_ms=100.0, sustain_level=1.0, release_ms=100.0)
    fitted = fit_regions(refs, template, n_steps=0, detune_candidates=())  # two pitches: no inner one to test, the measured ratios stay
    assert fitted.decay_seconds is not None
    for region in fitted.regions:
        assert abs(region.partial_ratios[9] - 10.3) < 0.02
        assert all(abs(r - k) < 1e-9 for k, r in enumerate(region.partial_ratios[:9], start=1))
    f0 = 440.0 * 2.0 ** ((58 - 69) / 12.0)
    y = _render(fitted, 58, 0.6)
    f, level = _peak_hz(y, 9.6 * f0, 11.0 * f0)
    assert abs(f / f0 - 10.3) < 0.02 and level > -30.0


def test_a_sustained_fit_stays_harmonic():
    t = np.arange(int(0.8 * SR)) / SR
    tone = np.minimum(t / 0.02, 1.0) * np.where(t < 0.6, 1.0, 0.0) * sum(np.sin(2 * np.pi * 330 * k * t) / k for k in range(1, 8))
    template = Preset(name="reed", description="", harmonic_amplitudes=(1.0,), attack_ms=5.0, decay_ms=100.0, sustain_level=1.0, release_ms=100.0)
    fitted = fit_regions([ReferenceNote(tone, SR, float(hz_to_midi(330.0)), 100, 0.6)], template, n_steps=0, detune_candidates=())
    assert fitted.decay_seconds is None and fitted.regions[0].partial_ratios == ()
