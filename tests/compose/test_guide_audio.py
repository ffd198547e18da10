"""Guide audio analysis against synthesised audio of known tempo, meter, swing, key and form."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from lemm.compose.guide import analyze_audio, analyze_audio_array, analyze_guide
from lemm.compose.guide.testsignal import make_test_guide
from lemm.errors import FileFormatError, LemmError, LemmFileNotFoundError, ParameterError

SR = 22050
SHORT_FORM = (("verse", 4), ("chorus", 4), ("verse", 4))


def _phase_ok(analysis, truth, *, tol_seconds=0.07):
    bar = truth["beats_per_bar"] * 60.0 / truth["tempo_bpm"]
    first = truth["downbeats_seconds"][0]
    rel = [(d - first) / bar for d in analysis.downbeats_seconds]
    return float(np.mean([abs(r - round(r)) * bar <= tol_seconds for r in rel]))


@pytest.mark.parametrize("tempo_bpm, swing", [(70.0, 0.0), (96.0, 0.4), (124.0, 0.0), (150.0, 0.3), (170.0, 0.0)])
def test_tempo_downbeats_and_swing(tempo_bpm, swing):
    audio, truth = make_test_guide(tempo_bpm=tempo_bpm, form=SHORT_FORM, swing=swing, lead_in_seconds=0.25, sample_rate=SR, seed=int(tempo_bpm))
    a = analyze_audio_array(audio, sample_rate=SR)
    assert abs(a.tempo_bpm - tempo_bpm) <= 0.02 * tempo_bpm  # an octave error fails this
    assert a.meter_numerator == 4
    assert _phase_ok(a, truth) >= 0.8
    assert abs(a.start_offset_seconds - 0.25) < 0.05
    assert abs(a.swing - swing) <= 0.1
    # beats are evenly spaced at the tempo
    assert np.allclose(np.diff(a.beats_seconds), 60.0 / a.tempo_bpm, atol=2e-3)


def test_three_four_meter():
    audio, truth = make_test_guide(tempo_bpm=110.0, beats_per_bar=3, form=SHORT_FORM, sample_rate=SR)
    a = analyze_audio_array(audio, sample_rate=SR)
    assert a.meter_numerator == 3 and abs(a.tempo_bpm - 110.0) < 2.2
    assert _phase_ok(a, truth) >= 0.8


@pytest.mark.parametrize("tonic, mode, expect", [(62, "major", "D"), (57, "minor", "A"), (55, "major", "G")])
def test_key(tonic, mode, expect):
    audio, _ = make_test_guide(tempo_bpm=100.0, form=SHORT_FORM, tonic_midi=tonic, mode=mode, sample_rate=SR)
    a = analyze_audio_array(audio, sample_rate=SR)
    assert (a.key_tonic, a.key_mode) == (expect, mode)


def test_sections_energy_and_json(tmp_path):
    form = (("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8), ("outro", 4))
    audio, truth = make_test_guide(tempo_bpm=132.0, form=form, sample_rate=SR, seed=3)
    path = tmp_path / "guide.flac"
    sf.write(path, audio[0], SR)
    a = analyze_guide(path)
    assert a.n_bars == 40 and len(a.energy_per_bar) == 40
    starts = [s.start_bar for s in a.sections]
    for _, start, _ in truth["sections"]:
        assert any(abs(start - s) <= 1 for s in starts)
    kinds = [s.kind for s in a.sections]
    assert "chorus" in kinds and kinds[0] == "intro" and kinds[-1] == "outro"
    e = np.array(a.energy_per_bar)
    chorus_e = np.mean([e[s.start_bar : s.start_bar + s.bars].mean() for s in a.sections if s.kind == "chorus"])
    assert chorus_e > e[:4].mean() + 0.3 and chorus_e > e[-4:].mean() + 0.3
    d = json.loads(json.dumps(a.to_dict()))
    assert set(d) >= {"tempo_bpm", "meter", "key", "beats_seconds", "downbeats_seconds", "sections", "energy_per_bar"}
    assert d["sections"][0]["start_seconds"] == pytest.approx(a.downbeats_seconds[0], abs=1e-3)
    assert d["sections"][-1]["end_seconds"] > d["sections"][-1]["start_seconds"]


def test_analysis_is_deterministic():
    audio, _ = make_test_guide(tempo_bpm=101.0, form=SHORT_FORM, sample_rate=SR, seed=5)
    assert analyze_audio_array(audio, sample_rate=SR) == analyze_audio_array(audio.copy(), sample_rate=SR)


def test_bad_audio_gets_clear_errors(tmp_path):
    with pytest.raises(ParameterError, match="length"):
        analyze_audio_array(np.zeros(SR * 3, dtype=np.float32) + 0.1, sample_rate=SR)
    with pytest.raises(ParameterError, match="silent"):
        analyze_audio_array(np.zeros(SR * 8, dtype=np.float32), sample_rate=SR)
    drone = 0.3 * np.sin(2 * np.pi * 220.0 * np.arange(SR * 8) / SR).astype(np.float32)
    with pytest.raises(ParameterError, match="beat"):
        analyze_audio_array(drone, sample_rate=SR)
    with pytest.raises(ParameterError, match="finite"):
        analyze_audio_array(np.full(SR * 8, np.nan, dtype=np.float32), sample_rate=SR)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x00\x00garbage" * 20)
    with pytest.raises(FileFormatError, match="junk.wav"):
        analyze_guide(junk)
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all")
    with pytest.raises(LemmError):
        analyze_audio(text)
    with pytest.raises(LemmFileNotFoundError):
        analyze_guide(tmp_path / "missing.ogg")
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(SR, dtype=np.float32), SR)
    with pytest.raises(ParameterError, match="short.wav"):
        analyze_guide(short)
