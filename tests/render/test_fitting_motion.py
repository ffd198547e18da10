"""Spectral keyframes, sub-octave partials, fitted detune, several-note fits and level headroom, without a SoundFont."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.render import TimbreRegion, fit_preset, list_presets, load_preset, render_track
from lemm.render.analysis import analyse_note, detect_partial_divisor, measure_keyframes
from lemm.render.fit_soundfont import CHORD_LOWEST_ROOT, FIT_PITCHES
from lemm.render.fitting import ReferenceNote, fit_regions, note_score
from lemm.render.presets import HARMONIC_GROUP_STARTS, KEYFRAME_SECONDS, Preset
from lemm.render.spectral import harmonic_magnitudes
from lemm.render.synth import hop_samples
from lemm.score.model import Note, Score, TempoChange, Track

SR = 16000


def render_note(preset, pitch: int, *, seconds: float = 1.0, velocity: int = 100) -> np.ndarray:
    track, score = note_score(preset.name, pitch, velocity, seconds)
    return render_track(track, score, sample_rate=SR, n_samples=int((seconds + 0.3) * SR), preset=preset).mean(0)


def plain(name: str = "plain", **fields) -> Preset:
    base = dict(harmonic_amplitudes=(1.0, 0.5), attack_ms=5.0, decay_ms=10.0, sustain_level=1.0, release_ms=50.0, brightness_db_per_octave=0.0, velocity_brightness=0.0)
    return Preset(name=name, description="test", **{**base, **fields})


def test_measured_keyframes_follow_a_dying_upper_partial():
    # harmonic 1 holds, harmonic 2 falls 20 dB per second: group 1 (harmonic 2) must read about -20 dB/s * t
    t = np.arange(int(1.3 * SR)) / SR
    x = np.minimum(t / 0.005, 1.0) * (np.sin(2 * np.pi * 220 * t) + 0.5 * 10.0 ** (-20.0 * t / 20.0) * np.sin(2 * np.pi * 440 * t))
    a = analyse_note(x, sample_rate=SR, f0_hz=220.0, gate_seconds=1.2)
    env = np.ones(int(1.3 * 250))
    env[0] = 0.0
    keys = measure_keyframes(a, env, envelope_hop_seconds=hop_samples(SR) / SR, gate_seconds=1.2)
    assert keys.shape == (len(KEYFRAME_SECONDS), len(HARMONIC_GROUP_STARTS))
    expected = -20.0 * (np.array(KEYFRAME_SECONDS) - a.peak_seconds - 0.05)  # 0 dB at the centre of the spectrum's window
    late = np.array(KEYFRAME_SECONDS) >= 0.2
    np.testing.assert_allclose(keys[late, 1], expected[late], atol=2.5)
    assert np.all(np.abs(keys[late, 0]) < 1.0)  # the fundamental holds


def test_keyframe_gains_shape_the_rendered_spectrum():
    gains = np.zeros((len(KEYFRAME_SECONDS), len(HARMONIC_GROUP_STARTS)))
    gains[-1, 1] = -20.0  # harmonic 2 down 20 dB by the last keyframe
    region = TimbreRegion(57, 100, (1.0, 0.5), keyframe_gains_db=tuple(tuple(r) for r in gains))
    p = dataclasses.replace(plain(), regions=(region,), noise_level_db=-120.0)
    y = render_note(p, 57)
    amps, _, hop = harmonic_magnitudes(y, sample_rate=SR, f0_hz=220.0, n_harmonics=2)
    frame_t = np.arange(len(amps)) * hop / SR
    early = amps[(frame_t > 0.05) & (frame_t < 0.1)].mean(0)
    late = amps[(frame_t > 1.0) & (frame_t < 1.05)].mean(0)
    drop_db = 20 * np.log10(late[1] / late[0]) - 20 * np.log10(early[1] / early[0])
    assert -22.0 < drop_db < -17.0


def test_sub_octave_partials_are_detected_and_rendered():
    t = np.arange(SR) / SR
    tone = np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 880 * t)
    assert detect_partial_divisor(tone, sample_rate=SR, f0_hz=440.0) == 1
    assert detect_partial_divisor(tone + 0.8 * np.sin(2 * np.pi * 220 * t), sample_rate=SR, f0_hz=440.0) == 2
    assert detect_partial_divisor(tone + 0.8 * np.sin(2 * np.pi * 110 * t), sample_rate=SR, f0_hz=440.0) == 4
    # a preset with partial_divisor=2 and harmonics (1, 1) sounds f0/2 and f0 equally
    y = render_note(plain(harmonic_amplitudes=(1.0, 1.0), partial_divisor=2), 69)
    amps, _, _ = harmonic_magnitudes(y[SR // 5 : 4 * SR // 5], sample_rate=SR, f0_hz=220.0, n_harmonics=3)
    h = np.median(amps, 0)
    assert abs(20 * np.log10(h[0] / h[1])) < 1.0 and h[2] < 0.01 * h[1]
    with pytest.raises(ParameterError, match="partial_divisor"):
        plain(partial_divisor=3.0)


def test_fit_finds_the_detune_of_a_beating_reference():
    truth = dataclasses.replace(plain(harmonic_amplitudes=(1.0, 0.6, 0.3)), detune_cents=(-7.0, 7.0))
    y = render_note(truth, 60)
    fitted = fit_regions([ReferenceNote(y, SR, 60.0, 100, 1.0)], plain("fit"), n_steps=0)
    assert fitted.detune_cents == (-7.0, 7.0)
    flat = fit_regions([ReferenceNote(render_note(plain(harmonic_amplitudes=(1.0, 0.6, 0.3)), 60), SR, 60.0, 100, 1.0)], plain("fit"), n_steps=0)
    assert flat.detune_cents == (0.0,)


def test_fit_preset_takes_several_notes_and_checks_them():
    t = np.arange(SR // 2) / SR
    notes = [np.minimum(t / 0.01, 1) * sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 4)) for f in (220.0, 440.0)]
    p = fit_preset(notes, sample_rate=SR, f0_hz=[220.0, None], n_steps=2)
    assert [r.pitch for r in p.regions] == [57, 69]
    with pytest.raises(ParameterError, match="f0_hz"):
        fit_preset(notes, sample_rate=SR, f0_hz=[220.0])
    with pytest.raises(ParameterError, match="empty"):
        fit_preset([], sample_rate=SR)
    with pytest.raises(ParameterError, match=r"reference audio\[1\]"):
        fit_preset([notes[0], np.zeros(SR)], sample_rate=SR)


def chord_part(preset: str, *, root: int, velocity: int, monophonic: bool) -> tuple[Track, Score]:
    """Two bars of four-note chords (or a line), re-struck every half note at ``velocity``."""
    notes = []
    for i, tick in enumerate(range(0, 4 * 480 * 2, 960)):
        intervals = (0,) if monophonic else (0, 4, 7, 11)
        notes += [Note(root + iv + (i % 2) * 2, tick, 900, velocity) for iv in intervals]
    track = Track(name="part", role="keys", preset=preset, notes=tuple(notes))
    return track, Score(resolution=480, tempos=(TempoChange(0, 120.0),), tracks=(track,))


@pytest.mark.parametrize("name", list_presets())
def test_a_loud_chordal_part_keeps_its_dry_stem_under_full_scale(name):
    preset = load_preset(name)
    root = FIT_PITCHES[name][1]
    track, score = chord_part(name, root=root, velocity=120, monophonic=preset.monophonic or root < CHORD_LOWEST_ROOT)
    audio = render_track(track, score, sample_rate=SR)
    peak_db = 20 * np.log10(np.abs(audio).max())
    assert -40.0 < peak_db < -3.0
