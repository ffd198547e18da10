"""Sustains that move and ensembles that fold to mono: slow spectral drift, players that wander on their own."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lemm.mix.meters import stereo_correlation
from lemm.mix.stereo import fold_down_loss_db
from lemm.render import load_preset, render_track
from lemm.render.controls import note_voices
from lemm.render.instrument import copy_f0_ratios, timbre_drift_gains
from lemm.score.model import Note, Score, TempoChange, Track

SR = 48000


def _held(preset_name: str, preset=None, seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    track = Track(name="p", role="pad", preset=preset_name, notes=(Note(57, 0, int(seconds * 960), 90),))
    score = Score(tempos=(TempoChange(0, 120.0),), tracks=(track,))
    return render_track(track, score, sample_rate=SR, seed=seed, preset=preset, n_samples=int(seconds * SR)).astype(np.float64)


def _motion_db(x: np.ndarray) -> float:
    """Time spread (dB) of level-normalised 1/3-octave band levels over 50 ms frames, 0.5 s into the note."""
    mono = x.mean(0)[int(0.5 * SR) : int(2.8 * SR)]
    frames = mono[: len(mono) // 2400 * 2400].reshape(-1, 2400) * np.hanning(2400)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    f = np.fft.rfftfreq(2400, 1 / SR)
    edges = 200.0 * 2 ** (np.arange(0, 19) / 3)
    bands = np.stack([spec[:, (f >= a) & (f < b)].sum(1) for a, b in zip(edges[:-1], edges[1:], strict=False)], 1)
    db = 10 * np.log10(bands + 1e-20)
    db -= 10 * np.log10(bands.sum(1, keepdims=True) + 1e-20)
    keep = db.mean(0) > db.mean(0).max() - 40
    return float(db[:, keep].std(0).mean())


@pytest.mark.parametrize("name", ["synth_pad", "string_ensemble"])
def test_held_notes_move_more_than_a_frozen_spectrum(name):
    living = load_preset(name)
    frozen = dataclasses.replace(living, timbre_drift_db=0.0, ensemble_drift_cents=0.0, detune_cents=(0.0,))
    assert _motion_db(_held(name, living)) > 1.5 * _motion_db(_held(name, frozen))


@pytest.mark.parametrize("name", ["synth_pad", "string_ensemble"])
def test_ensembles_are_wide_but_fold_to_mono(name):
    # the synth's detuned players (the sampled synth_pad is one mono recording per note, widened by the mixer's spread)
    x = _held(name, load_preset(name))
    assert stereo_correlation(x) < 0.95
    assert fold_down_loss_db(x.astype(np.float32), sample_rate=SR) <= 1.5


def test_players_wander_on_their_own():
    preset = load_preset("string_ensemble")
    track = Track(name="s", role="strings", preset="string_ensemble", notes=(Note(60, 0, 1920, 90),))
    voice = note_voices(track, Score(tempos=(TempoChange(0, 120.0),), tracks=(track,)), preset, sample_rate=SR)[0]
    ratios = copy_f0_ratios(voice, preset, seed=1)
    assert ratios.shape == (len(preset.detune_cents), len(voice.f0_hz))
    cents = 1200 * np.log2(ratios)
    assert np.all(np.abs(cents) < 30.0)
    assert np.corrcoef(cents)[0, 1] < 0.9  # not one rigid vibrato
    np.testing.assert_array_equal(ratios, copy_f0_ratios(voice, preset, seed=1))
    assert not np.array_equal(ratios, copy_f0_ratios(voice, preset, seed=2))


def test_timbre_drift_leaves_the_attack_alone():
    preset = load_preset("synth_pad")
    track = Track(name="p", role="pad", preset="synth_pad", notes=(Note(60, 0, 1920, 90),))
    voice = note_voices(track, Score(tempos=(TempoChange(0, 120.0),), tracks=(track,)), preset, sample_rate=SR)[0]
    gains = timbre_drift_gains(voice, preset, np.arange(len(voice.f0_hz)), 32, seed=0)
    assert np.allclose(gains[0], 1.0)
    late = 20 * np.log10(gains[voice.age_seconds > 0.5])
    assert 0.5 < late.std() < 3 * preset.timbre_drift_db
