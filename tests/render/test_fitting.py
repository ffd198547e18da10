"""Timbre fitting without any SoundFont: synthetic references with known answers, fit back, bad input."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lemm.errors import ParameterError
from lemm.render import TimbreRegion, fit_preset, list_presets, load_preset, render_track
from lemm.render.analysis import analyse_note
from lemm.render.controls import note_voices
from lemm.render.fitting import note_score
from lemm.render.presets import preset_from_dict, preset_to_dict
from lemm.render.spectral import harmonic_magnitudes, multiscale_stft_distance, spectrum_envelope_distance
from lemm.render.timbre import _formant_shift, odd_harmonic_excess, region_timbre

SR = 16000


def render_note(preset, pitch: int, *, seconds: float = 0.6, sample_rate: int = SR, velocity: int = 100) -> np.ndarray:
    track, score = note_score(preset.name, pitch, velocity, seconds)
    return render_track(track, score, sample_rate=sample_rate, n_samples=int((seconds + 0.3) * sample_rate), preset=preset).mean(0)


def test_analysis_recovers_a_known_decaying_tone():
    t = np.arange(2 * SR) / SR
    amps = np.array([1.0, 0.5, 0.25, 0.1])
    rate = 3.0  # nepers per second
    x = np.minimum(t / 0.004, 1.0) * np.exp(-rate * t) * sum(a * np.sin(2 * np.pi * 196.0 * (k + 1) * t) for k, a in enumerate(amps))
    a = analyse_note(x, sample_rate=SR, f0_hz=196.0, gate_seconds=1.5)
    assert a.percussive
    assert abs(a.decay_rate - rate) < 0.15 * rate
    np.testing.assert_allclose(a.harmonic_amplitudes[:4], amps / np.linalg.norm(amps), atol=0.03)
    assert a.harmonic_decay < 0.1  # every harmonic decays alike here


def test_analysis_of_a_sustained_tone_with_release():
    t = np.arange(SR) / SR
    env = np.minimum(t / 0.05, 1.0) * np.where(t < 0.6, 1.0, np.clip(1 - (t - 0.6) / 0.2, 0, 1) ** 3)
    x = env * np.sin(2 * np.pi * 330.0 * t)
    a = analyse_note(x, sample_rate=SR, f0_hz=330.0)
    assert not a.percussive and a.sustain_level > 0.9
    assert 40.0 < a.attack_ms < 70.0
    assert abs(a.gate_seconds - 0.6) < 0.05
    assert 120.0 < a.release_ms < 300.0


def test_peak_picking_matches_numpy_fft_amplitudes():
    t = np.arange(SR) / SR
    x = 0.8 * np.sin(2 * np.pi * 250 * t) + 0.2 * np.sin(2 * np.pi * 750 * t)
    amps, _, _ = harmonic_magnitudes(x, sample_rate=SR, f0_hz=250.0, n_harmonics=4)
    np.testing.assert_allclose(np.median(amps, 0), [0.8, 0.0, 0.2, 0.0], atol=0.03)


def test_fit_cuts_distance_on_held_out_pitches():
    stock = load_preset("organ")
    rng = np.random.default_rng(7)
    k = np.arange(1, 25)
    random_amps = tuple(float(v) for v in np.abs(rng.normal(0, 1, 24)) / k**0.5)
    # A sustained sound whose spectral envelope stays put in frequency (what fit_preset assumes for sustained notes).
    truth = dataclasses.replace(stock, name="truth", regions=(TimbreRegion(57, 100, random_amps),), fixed_formants=True, vibrato_depth_cents=0.0, partial_divisor=1)
    reference = render_note(truth, 57)
    fitted = fit_preset(reference, sample_rate=SR, n_steps=40)
    assert fitted.regions[0].pitch == 57 and fitted.fixed_formants
    d_fit, d_stock = [], []
    for pitch in (52, 62):  # held out
        target = render_note(truth, pitch)
        d_fit.append(float(multiscale_stft_distance(render_note(fitted, pitch), target)))
        d_stock.append(float(multiscale_stft_distance(render_note(dataclasses.replace(stock, vibrato_depth_cents=0.0, partial_divisor=1), pitch), target)))
    assert np.mean(d_fit) < 0.5 * np.mean(d_stock)  # the target: >= 50 % closer than the stock preset


def test_fit_is_deterministic_and_round_trips_through_json():
    t = np.arange(SR // 2) / SR
    tone = np.minimum(t / 0.01, 1) * (np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 880 * t))
    a = fit_preset(tone, sample_rate=SR, n_steps=3, f0_hz=440.0)
    b = fit_preset(tone, sample_rate=SR, n_steps=3, f0_hz=440.0)
    assert a == b
    assert preset_from_dict(json.loads(json.dumps(preset_to_dict(a)))) == a


def test_regions_interpolate_by_pitch_and_change_the_sound():
    regions = (TimbreRegion(48, 100, (1.0, 0.0, 0.0)), TimbreRegion(72, 100, (0.0, 1.0, 0.0)))
    p = dataclasses.replace(load_preset("organ"), name="two", regions=regions, body_resonances=(), brightness=0.5, vibrato_depth_cents=0.0, partial_divisor=1)
    np.testing.assert_allclose(region_timbre(p, 54, 100)[0], [0.75, 0.25, 0.0])
    y = render_note(p, 72)[SR // 10 : SR // 2]
    amps, _, _ = harmonic_magnitudes(y, sample_rate=SR, f0_hz=523.25, n_harmonics=3)
    h = np.median(amps, 0)
    assert h[1] > 20 * h[0]  # the pitch-72 region has only harmonic 2


def _formant_region_preset(amplitudes, pitch=60):
    return dataclasses.replace(load_preset("flute"), name="formants", regions=(TimbreRegion(pitch, 100, tuple(amplitudes)),), noise_level_db=-120.0, fixed_formants=True)


def test_fixed_formants_keep_a_smooth_envelope_over_frequency():
    k = np.arange(1, 25)
    envelope_db = -6.0 * np.log2(k) - 12.0 * np.exp(-0.5 * ((k * 262.0 - 1500.0) / 300.0) ** 2)  # a dip at 1.5 kHz
    amps = 10.0 ** (envelope_db / 20.0)
    up = region_timbre(_formant_region_preset(amps), 62, 100)[0]  # 2 semitones up: harmonic k now at k * 294 Hz
    ratio = 2.0 ** (2.0 / 12.0)
    expected = np.exp(np.interp(k * ratio, k, np.log(amps)))
    expected[k * ratio > k[-1]] = 0.0
    np.testing.assert_allclose(up / np.linalg.norm(up), expected / np.linalg.norm(expected), atol=1e-9)
    assert not odd_harmonic_excess(np.log(amps)).any()


def test_fixed_formants_keep_a_clarinets_odd_harmonics():
    # cylindrical bore: even harmonics 25 dB under the odd ones, at every pitch
    k = np.arange(1, 25)
    amps = np.where(k % 2 == 1, 1.0, 10.0 ** (-25.0 / 20.0)) / k
    for semitones in (1, -1, 5):
        moved = region_timbre(_formant_region_preset(amps), 60 + semitones, 100)[0]
        db = 20.0 * np.log10(np.maximum(moved[:12], 1e-12))
        even_dip = db[1:11:2] - 0.5 * (db[0:10:2] + db[2:12:2])
        assert np.all(even_dip < -18.0), (semitones, even_dip)


@given(st.lists(st.floats(1e-5, 1.0), min_size=1, max_size=40))
def test_formant_shift_by_unity_is_the_identity(amps):
    a = np.asarray(amps)
    np.testing.assert_allclose(_formant_shift(a, 1.0), a, rtol=1e-9)


@pytest.mark.parametrize(
    "audio, kw, match",
    [
        (np.zeros(0), {}, "non-empty"),
        (np.zeros(SR), {}, "sound in it"),
        (np.full(SR, np.nan), {}, "finite"),
        (np.sin(np.arange(SR) * 0.1), dict(f0_hz=5.0), "f0_hz"),
        (np.sin(np.arange(SR) * 0.1), dict(f0_hz=float("inf")), "f0_hz"),
        (np.sin(np.arange(SR) * 0.1), dict(velocity=0), "velocity"),
        (np.sin(np.arange(SR) * 0.1), dict(sample_rate=7), "sample_rate"),
    ],
)
def test_bad_fit_input_raises_clear_errors(audio, kw, match):
    with pytest.raises(ParameterError, match=match):
        fit_preset(audio, **{"sample_rate": SR, **kw})


def test_unpitched_reference_without_f0_raises():
    noise = np.random.default_rng(0).normal(0, 0.1, SR)
    with pytest.raises(ParameterError):
        fit_preset(noise, sample_rate=SR)


def _known_note(pitch: int, *, gate_seconds: float = 0.6, release_seconds: float = 0.3, seconds: float = 1.1) -> np.ndarray:
    """numpy: a formant at 1.2 kHz over a 1/k slope, 40 ms linear attack, note-off at ``gate_seconds``, then a straight
    line in dB to -60 dB ``release_seconds`` later (an exponential release)."""
    t = np.arange(int(seconds * SR)) / SR
    f0 = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    ks = np.arange(1, int(0.45 * SR / f0) + 1)
    amps = (1.0 / ks) * (0.2 + np.exp(-0.5 * ((ks * f0 - 1200.0) / 400.0) ** 2))
    tone = (amps[:, None] * np.sin(2 * np.pi * f0 * ks[:, None] * t[None, :])).sum(0)
    env = np.minimum(t / 0.04, 1.0) * np.where(t < gate_seconds, 1.0, 10.0 ** (-3.0 * np.clip((t - gate_seconds) / release_seconds, 0.0, 1.0)))
    env[t > gate_seconds + release_seconds] = 0.0
    return 0.3 * env * tone


def test_fit_cuts_the_spectrum_and_envelope_distance_of_the_nearest_stock_preset():
    # The fitted-timbre judge in small (benchmarks/timbre_eval.py --cross-library): fit 4 notes across the range,
    # judge 2 other pitches on time-averaged log-mel + envelope against the nearest stock preset.
    fitted = fit_preset([_known_note(p) for p in (50, 58, 66, 74)], sample_rate=SR, n_steps=10)
    assert fitted.release_curve == "exponential" and 240.0 < fitted.release_ms < 380.0  # the known release (300 ms)
    held_out = (54, 70)

    def distance(preset) -> float:
        return float(np.mean([float(spectrum_envelope_distance(render_note(preset, p, seconds=0.6, sample_rate=SR)[: int(1.1 * SR)], _known_note(p), sample_rate=SR))
                              for p in held_out]))  # fmt: skip

    nearest = min(distance(load_preset(name)) for name in list_presets())
    assert distance(fitted) < 0.6 * nearest  # >= 40 % closer, the criterion


def test_exponential_release_falls_as_a_straight_line_in_db():
    organ = dataclasses.replace(load_preset("organ"), name="exp", release_curve="exponential", release_ms=300.0, vibrato_depth_cents=0.0)
    track, score = note_score("exp", 60, 100, 0.5)
    voice = note_voices(track, score, organ, sample_rate=SR)[0]
    env, t = voice.amplitude, voice.age_seconds
    at = lambda s: float(np.interp(s, t, env))  # noqa: E731
    for fraction, db in ((1 / 3, -20.0), (2 / 3, -40.0)):
        assert abs(20 * np.log10(at(0.5 + fraction * 0.3) / at(0.49)) - db) < 1.5
    assert env[-1] == 0.0 and env[-2] < 1e-3 * env.max()  # eased to zero, no step
    cubic = note_voices(track, score, dataclasses.replace(organ, release_curve="cubic"), sample_rate=SR)[0].amplitude
    assert at(0.6) < float(np.interp(0.6, t, cubic))  # the cubic holds up longer, then drops
    with pytest.raises(ParameterError, match="release_curve"):
        dataclasses.replace(organ, release_curve="linear")


def test_log_region_blend_is_a_geometric_mean_of_the_regions_spectra():
    regions = (TimbreRegion(48, 100, (1.0, 0.01, 0.0)), TimbreRegion(72, 100, (0.01, 1.0, 0.0)))
    p = dataclasses.replace(load_preset("organ"), name="two", regions=regions, region_blend="log")
    unit = lambda a: np.asarray(a) / np.linalg.norm(a)  # noqa: E731
    expected = np.sqrt(unit((1.0, 0.01)) * unit((0.01, 1.0)))  # halfway: the geometric mean
    np.testing.assert_allclose(region_timbre(p, 60, 100)[0], [*expected, 0.0], rtol=1e-9)  # a partial no region has stays 0
    np.testing.assert_allclose(region_timbre(dataclasses.replace(p, region_blend="linear"), 60, 100)[0], [0.5 * 1.0099, 0.5 * 1.0099, 0.0], rtol=1e-3)
    with pytest.raises(ParameterError, match="region_blend"):
        dataclasses.replace(p, region_blend="cubic")
