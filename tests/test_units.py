"""lemm.units against librosa's conversions, and its types: numbers, float arrays and torch tensors keep their kind."""

from __future__ import annotations

import librosa
import numpy as np
import torch

from lemm.units import db_to_gain, gain_to_db, hz_to_midi, midi_to_hz


def test_pitch_conversions_match_librosa():
    pitches = np.linspace(-20.0, 140.0, 321)
    np.testing.assert_allclose(midi_to_hz(pitches), librosa.midi_to_hz(pitches), rtol=1e-12)
    freqs = np.geomspace(8.0, 20000.0, 200)
    np.testing.assert_allclose(hz_to_midi(freqs), librosa.hz_to_midi(freqs), rtol=1e-12)
    np.testing.assert_allclose(hz_to_midi(midi_to_hz(pitches)), pitches, atol=1e-9)
    assert midi_to_hz(69) == 440.0 and midi_to_hz(57) == 220.0 and hz_to_midi(880.0) == 81.0


def test_kinds_are_kept():
    assert isinstance(midi_to_hz(60), float) and isinstance(hz_to_midi(261.6), float)
    assert midi_to_hz(np.array([60, 72])).dtype == np.float64  # integers read as float64
    assert midi_to_hz(np.array([60.0], np.float32)).dtype == np.float32
    t = midi_to_hz(torch.tensor([60.0, 69.0], dtype=torch.float64))
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float64 and float(t[1]) == 440.0
    # the same number whatever the kind (the renderer passes tensors, the vocals arrays, the fitter floats)
    assert float(t[0]) == midi_to_hz(60.0) == float(midi_to_hz(np.array([60.0]))[0])


def test_level_conversions():
    assert db_to_gain(0.0) == 1.0 and db_to_gain(-20.0) == 0.1 and db_to_gain(20.0) == 10.0
    gains = db_to_gain(np.array([-6.0, 0.0, 6.0]))
    np.testing.assert_allclose(gains, [0.501187, 1.0, 1.995262], rtol=1e-6)
    np.testing.assert_allclose([gain_to_db(g) for g in gains], [-6.0, 0.0, 6.0], atol=1e-12)
    assert gain_to_db(0.0) == -np.inf
