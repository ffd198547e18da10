"""Synth sources stay inside the band their preset asks for."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.signal

from lemm.render import load_preset, render_track
from lemm.score.model import Note, Score, TempoChange, Track

SR = 48000


def _bass(preset=None) -> np.ndarray:
    notes = tuple(Note(p, i * 480, 400, 110) for i, p in enumerate((28, 33, 40, 45, 52)))
    track = Track(name="bass", role="bass", preset="synth_bass", notes=notes)
    score = Score(tempos=(TempoChange(0, 120.0),), tracks=(track,))
    return render_track(track, score, sample_rate=SR, seed=0, preset=preset).astype(np.float64).mean(0)


def _above_db(x: np.ndarray, cutoff_hz: float) -> float:
    f, p = scipy.signal.welch(x, fs=SR, nperseg=4096)
    return 10 * np.log10(p[f >= cutoff_hz].sum() / p.sum())


def test_synth_bass_is_band_limited():
    assert load_preset("synth_bass").lowpass_hz is not None
    assert _above_db(_bass(), 12000.0) < -50.0


def test_lowpass_is_what_limits_it():
    """The same preset without its corner reaches far higher: the roll-off, not luck, keeps it under."""
    open_preset = dataclasses.replace(load_preset("synth_bass"), lowpass_hz=None)
    assert _above_db(_bass(open_preset), 12000.0) > _above_db(_bass(), 12000.0) + 15.0


@pytest.mark.parametrize("corner_hz", [1000.0, 4000.0])
def test_partials_above_the_corner_fall(corner_hz):
    saw = tuple(1.0 / k for k in range(1, 201))
    preset = dataclasses.replace(
        load_preset("synth_bass"), lowpass_hz=corner_hz, regions=(), noise_level_db=None, harmonic_amplitudes=saw, harmonic_phases=()
    )
    x = _bass(preset)
    f, p = scipy.signal.welch(x, fs=SR, nperseg=8192)
    below = p[(f > 0.5 * corner_hz) & (f < corner_hz)].mean()
    above = p[(f > 2 * corner_hz) & (f < 4 * corner_hz)].mean()
    # a saw falls 6 dB/octave by itself (about 9 dB from one band to the other); the corner adds >= 24 dB at 2x
    assert 10 * np.log10(above / below) < -30.0
