"""Vibrato measurement against known modulations, and fit_preset taking a recording's vibrato."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.render import fit_preset, load_preset, render_track
from lemm.render.fitting import note_score
from lemm.render.vibrato import measure_vibrato, pitch_contour_cents

SR = 16000


def modulated(f0_hz: float, cents: np.ndarray) -> np.ndarray:
    inst = f0_hz * 2.0 ** (cents / 1200.0)
    phase = 2 * np.pi * np.cumsum(inst) / SR
    return sum(np.sin(k * phase) / k for k in range(1, 6))


@settings(max_examples=25)
@given(f0=st.floats(80.0, 900.0), depth=st.floats(6.0, 60.0), rate=st.floats(3.5, 8.0), start=st.floats(0.0, 6.28))
def test_depth_and_rate_of_a_sinusoidal_vibrato(f0: float, depth: float, rate: float, start: float) -> None:
    t = np.arange(int(1.5 * SR)) / SR
    v = measure_vibrato(modulated(f0, depth * np.sin(2 * np.pi * rate * t + start)), sample_rate=SR, f0_hz=f0)
    assert abs(v.depth_cents - depth) < 0.08 * depth + 0.5
    assert abs(v.rate_hz - rate) < 0.15
    assert v.delay_ms == 0.0


def test_contour_follows_a_glide() -> None:
    t = np.arange(SR) / SR
    times, cents = pitch_contour_cents(modulated(220.0, 100.0 * t), sample_rate=SR, f0_hz=220.0)
    assert np.max(np.abs(cents - 100.0 * times)) < 2.0


def test_no_vibrato_in_a_steady_tone_a_slow_drift_or_noise() -> None:
    t = np.arange(int(1.5 * SR)) / SR
    rng = np.random.default_rng(3)
    assert measure_vibrato(modulated(330.0, 0.0 * t), sample_rate=SR, f0_hz=330.0).depth_cents == 0.0
    assert measure_vibrato(modulated(330.0, 30.0 * np.sin(2 * np.pi * 0.7 * t)), sample_rate=SR, f0_hz=330.0).depth_cents == 0.0
    jitter = np.convolve(rng.standard_normal(t.size), np.ones(40) / 40, mode="same") * 60.0  # wide-band pitch noise
    assert measure_vibrato(modulated(330.0, jitter), sample_rate=SR, f0_hz=330.0).depth_cents == 0.0
    assert measure_vibrato(modulated(330.0, 20.0 * np.sin(2 * np.pi * 5.0 * t))[: SR // 2], sample_rate=SR, f0_hz=330.0).depth_cents == 0.0  # too short


def test_delay_of_a_rendered_vibrato() -> None:
    flute = load_preset("flute")
    for delay_ms in (0.0, 400.0):
        p = dataclasses.replace(flute, name="v", vibrato_depth_cents=25.0, vibrato_rate_hz=5.2, vibrato_delay_ms=delay_ms)
        track, score = note_score("v", 67, 100, 1.8)
        y = render_track(track, score, sample_rate=SR, n_samples=int(2.1 * SR), preset=p).mean(0)
        v = measure_vibrato(y, sample_rate=SR, f0_hz=392.0, start_seconds=0.05, end_seconds=1.8)
        assert abs(v.delay_ms - delay_ms) <= 80.0 and abs(v.depth_cents - 25.0) < 3.0 and abs(v.rate_hz - 5.2) < 0.15


def test_fit_preset_takes_the_vibrato_of_sustained_notes_only() -> None:
    t = np.arange(int(1.4 * SR)) / SR
    envelope = np.minimum(t / 0.03, 1.0) * np.clip((1.3 - t) / 0.05, 0.0, 1.0)
    sung = envelope * modulated(262.0, 18.0 * np.sin(2 * np.pi * 5.8 * t))
    fitted = fit_preset(sung, sample_rate=SR, n_steps=2, f0_hz=262.0)
    assert fitted.decay_seconds is None
    assert abs(fitted.vibrato_depth_cents - 18.0) < 2.0 and abs(fitted.vibrato_rate_hz - 5.8) < 0.2
    plain = fit_preset(envelope * modulated(262.0, 0.0 * t), sample_rate=SR, n_steps=2, f0_hz=262.0)
    assert plain.vibrato_depth_cents == 0.0
    plucked = np.exp(-3.0 * t) * np.minimum(t / 0.002, 1.0) * modulated(262.0, 18.0 * np.sin(2 * np.pi * 5.8 * t))
    assert fit_preset(plucked, sample_rate=SR, n_steps=2, f0_hz=262.0).vibrato_depth_cents == 0.0
