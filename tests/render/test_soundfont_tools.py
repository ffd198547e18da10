"""The SoundFont-side tools without a SoundFont: tables cover every preset, errors are clear, files round-trip."""

from __future__ import annotations

import json

import pytest

from lemm.errors import LemmError, LemmFileNotFoundError, ParameterError
from lemm.render import list_presets, load_preset, render_track
from lemm.render.fit_soundfont import FIT_PITCHES, _dump
from lemm.render.presets import preset_from_dict, preset_to_dict
from lemm.render.soundfont import PRESET_PROGRAMS, find_soundfont
from lemm.score.model import Note, Score, Track


def test_every_preset_has_a_gm_program_and_fit_pitches():
    assert set(PRESET_PROGRAMS) == set(list_presets()) == set(FIT_PITCHES)
    assert all(0 <= p <= 127 for p in PRESET_PROGRAMS.values())


def test_shipped_presets_are_fitted_and_round_trip():
    for name in list_presets():
        p = load_preset(name)
        assert len(p.regions) == 6 and {r.pitch for r in p.regions} == set(FIT_PITCHES[name])
        assert preset_from_dict(json.loads(_dump(preset_to_dict(p)))) == p


def test_missing_soundfont_says_how_to_install(tmp_path):
    with pytest.raises(LemmFileNotFoundError, match="fluid-soundfont-gm"):
        find_soundfont(tmp_path / "nope.sf2")


def test_preset_override_must_be_a_preset():
    t = Track(name="k", role="keys", preset="organ", notes=(Note(60, 0, 240),))
    with pytest.raises(ParameterError, match="preset"):
        render_track(t, Score(tracks=(t,)), sample_rate=16000, preset="organ")


def _player_or_skip():
    try:
        from lemm.render.soundfont import SoundFontPlayer

        return SoundFontPlayer(sample_rate=16000)
    except LemmError as exc:  # no tinysoundfont or no FluidR3_GM on this machine
        pytest.skip(str(exc))


def test_soundfont_note_bent_plays_the_keys_sample_at_another_pitch():
    import librosa
    import numpy as np

    player = _player_or_skip()
    kw = dict(program=71, velocity=100, gate_seconds=0.6, tail_seconds=0.1)
    bent = player.note(pitch=60, bend_semitones=-5.0, **kw).mean(0)
    plain = player.note(pitch=60, **kw).mean(0)
    f0 = [float(np.nanmedian(librosa.yin(x[1600:9600], fmin=100, fmax=600, sr=16000, frame_length=2048))) for x in (bent, plain)]
    assert abs(1200 * np.log2(f0[0] / f0[1]) + 500) < 15
    with pytest.raises(ParameterError, match="bend_semitones"):
        player.note(pitch=60, bend_semitones=13.0, **kw)
    again = player.note(pitch=60, **kw).mean(0)  # the wheel is back at the centre
    np.testing.assert_array_equal(again, plain)
