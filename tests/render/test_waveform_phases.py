"""Per-harmonic phase offsets (the waveform's shape): synth paths against numpy, measurement, presets, fitting."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lemm.errors import ParameterError, RenderError
from lemm.render import Preset, fit_preset, load_preset, render_track
from lemm.render.fitting import note_score
from lemm.render.presets import preset_from_dict, preset_to_dict
from lemm.render.spectral import harmonic_phase_offsets, multiscale_stft_distance
from lemm.render.synth import _fft_tables, harmonic_synthesis, harmonic_tables, hop_samples, wavetable_voice

SR = 16000
HOP = hop_samples(SR)
AMPS = np.array([1.0, 0.6, 0.45, 0.3, 0.2, 0.12])
PSI = np.array([0.0, 1.3, -2.2, 0.4, 3.0, -0.9])


def numpy_shaped_wave(f0_hz: float, amps: np.ndarray, psi: np.ndarray, n: int, *, start_cycles: float = 0.0) -> np.ndarray:
    phase = start_cycles + f0_hz * np.arange(n) / SR
    k = np.arange(1, amps.size + 1)
    return np.sum(amps * np.sin(2 * np.pi * np.outer(phase, k) + psi), axis=1)


def test_harmonic_synthesis_with_phases_matches_numpy() -> None:
    n = 3000
    frames = n // HOP + 2
    y = harmonic_synthesis(torch.full((frames,), 180.0), torch.tensor(AMPS, dtype=torch.float32).repeat(frames, 1), hop=HOP, sample_rate=SR,
                           n_samples=n, harmonic_phases=torch.tensor(PSI))
    np.testing.assert_allclose(y.numpy(), numpy_shaped_wave(180.0, AMPS, PSI, n), atol=3e-5)
    # fewer phases than harmonics: the rest take 0; none at all: the old sine phases
    short = harmonic_synthesis(torch.full((frames,), 180.0), torch.tensor(AMPS, dtype=torch.float32).repeat(frames, 1), hop=HOP, sample_rate=SR,
                               n_samples=n, harmonic_phases=torch.tensor(PSI[:2]))
    np.testing.assert_allclose(short.numpy(), numpy_shaped_wave(180.0, AMPS, np.r_[PSI[:2], np.zeros(4)], n), atol=3e-5)
    with pytest.raises(RenderError, match="harmonic_phases"):
        harmonic_synthesis(torch.full((frames,), 180.0), torch.ones(frames, 2), hop=HOP, sample_rate=SR, n_samples=n,
                           harmonic_phases=torch.tensor([0.0, float("nan")]))


def test_tables_with_phases_fft_and_basis_agree_with_numpy() -> None:
    size = 256
    amps = torch.tensor(np.stack([AMPS, AMPS[::-1]]), dtype=torch.float64)
    by_fft = _fft_tables(amps, size, torch.tensor(PSI))
    by_basis = harmonic_tables(amps, table_size=size, harmonic_phases=torch.tensor(PSI))
    x = np.arange(size + 1) / size
    ref = np.stack([np.sum(a * np.sin(2 * np.pi * np.outer(x, np.arange(1, 7)) + PSI), axis=1) for a in amps.numpy()])
    np.testing.assert_allclose(by_fft.numpy(), ref, atol=1e-9)
    np.testing.assert_allclose(by_basis.numpy(), ref, atol=1e-9)
    assert torch.equal(_fft_tables(amps, size), _fft_tables(amps, size, None))  # no phases: the sine tables as before


def test_fast_path_with_phases_matches_the_differentiable_path() -> None:
    n = 8000
    frames = n // HOP + 2
    f0 = torch.full((frames,), 146.8)
    y_fast = wavetable_voice(f0, torch.ones(frames), torch.tensor(AMPS, dtype=torch.float32).repeat(frames // 4 + 2, 1), hop=HOP,
                             table_hop_frames=4, sample_rate=SR, n_samples=n, harmonic_phases=torch.tensor(PSI))[0]
    ref = numpy_shaped_wave(146.8, AMPS, PSI, n)
    assert np.max(np.abs(y_fast.numpy() - ref)) < 3e-3 * np.max(np.abs(ref))


@given(start=st.floats(0.0, 1.0), f0=st.floats(90.0, 700.0))
def test_measured_phases_do_not_depend_on_where_the_note_starts(start: float, f0: float) -> None:
    n = SR // 2
    x = numpy_shaped_wave(f0, AMPS, PSI, n, start_cycles=start)
    psi = harmonic_phase_offsets(x, sample_rate=SR, f0_hz=f0, n_harmonics=AMPS.size)
    live = np.arange(1, AMPS.size + 1) * f0 < SR / 2
    error = np.angle(np.exp(1j * (psi - PSI)))[live]
    assert np.max(np.abs(error)) < 0.02
    assert np.all(psi[~live] == 0.0) and psi[0] == 0.0


def test_preset_phases_are_validated_and_round_trip() -> None:
    organ = load_preset("organ")
    shaped = dataclasses.replace(organ, name="shaped", harmonic_phases=tuple(float(p) for p in PSI))
    assert preset_from_dict(json.loads(json.dumps(preset_to_dict(shaped)))) == shaped
    for bad in ((float("nan"),), (4.0,), tuple([0.0] * 300), [0.0, 1.0]):
        with pytest.raises(ParameterError, match="harmonic_phases"):
            dataclasses.replace(organ, harmonic_phases=bad)


def _render(preset: Preset, pitch: int, seconds: float = 0.6) -> np.ndarray:
    track, score = note_score(preset.name, pitch, 100, seconds)
    return render_track(track, score, sample_rate=SR, n_samples=int((seconds + 0.3) * SR), preset=preset).mean(0)


def test_a_shaped_render_keeps_its_spectrum_and_changes_its_waveform() -> None:
    organ = dataclasses.replace(load_preset("organ"), vibrato_depth_cents=0.0, detune_cents=(0.0,))
    shaped = dataclasses.replace(organ, harmonic_phases=tuple(float(p) for p in np.linspace(-3.0, 3.0, 40)))
    a, b = _render(organ, 48), _render(shaped, 48)
    assert not np.allclose(a, b, atol=1e-3)
    spec_a, spec_b = (np.abs(np.fft.rfft(x[SR // 5 : SR // 5 + 8192] * np.hanning(8192))) for x in (a, b))
    assert np.allclose(spec_a, spec_b, rtol=0.05, atol=0.02 * spec_a.max())  # phases move no energy between harmonics


def test_fit_measures_the_waveform_and_gets_closer_for_it() -> None:
    t = np.arange(int(0.7 * SR)) / SR
    envelope = np.minimum(t / 0.02, 1.0) * np.clip((0.6 - t) / 0.05, 0.0, 1.0)
    k = np.arange(1, 31)
    amps, psi = 1.0 / k, np.angle(np.exp(1j * (0.7 * k**1.5)))  # a bright note whose partials are not in sine phase
    psi[0] = 0.0
    reference = envelope * np.sum(amps * np.sin(2 * np.pi * np.outer(110.0 * t, k) + psi), axis=1)
    fitted = fit_preset(reference, sample_rate=SR, n_steps=20, f0_hz=110.0)
    got = np.array(fitted.harmonic_phases[:10])
    assert np.max(np.abs(np.angle(np.exp(1j * (got - psi[:10]))))) < 0.1
    plain = dataclasses.replace(fitted, harmonic_phases=())
    n = reference.size
    track, score = note_score(fitted.name, 45, 100, 0.6)
    y_shaped = render_track(track, score, sample_rate=SR, n_samples=n, preset=fitted).mean(0)
    y_plain = render_track(track, score, sample_rate=SR, n_samples=n, preset=plain).mean(0)
    d_shaped = float(multiscale_stft_distance(y_shaped, reference))
    d_plain = float(multiscale_stft_distance(y_plain, reference))
    assert d_shaped < 0.9 * d_plain, (d_shaped, d_plain)
    assert math.isfinite(d_shaped)


def test_fit_keeps_the_waveform_only_when_it_renders_the_notes_closer(monkeypatch: pytest.MonkeyPatch) -> None:
    import lemm.render.fitting as fitting

    t = np.arange(int(0.5 * SR)) / SR
    k = np.arange(1, 16)
    reference = np.minimum(t / 0.02, 1.0) * np.sum(np.sin(2 * np.pi * np.outer(130.0 * t, k) + 0.9 * k**2) / k, axis=1)
    assert fit_preset(reference, sample_rate=SR, n_steps=2, f0_hz=130.0).harmonic_phases != ()
    real = fitting._full_distance
    # were sine phase closer on the whole notes, the measured shape would be dropped
    monkeypatch.setattr(fitting, "_full_distance", lambda preset, *a, **kw: real(preset, *a, **kw) + (1.0 if preset.harmonic_phases else 0.0))
    assert fit_preset(reference, sample_rate=SR, n_steps=2, f0_hz=130.0).harmonic_phases == ()
