"""Hand-off to other singers: .ustx / .svp writers read back by independent parsers, and `lemm vocals import` alignment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from lemm.errors import ParameterError
from lemm.score.model import Lyric, MeterChange, Note, Score, TempoChange, Track
from lemm.vocals.handoff import BLICKS_PER_QUARTER, arpabet, split_phonemes, svp_text, ustx_text, vocal_line
from lemm.vocals.register import choose_voice, register_shift
from lemm.vocals.take_import import align_offset, place_take

SR = 48000
# "sum-mer in the ci-ty" + a melisma + a note without a lyric; resolution 960, 100 bpm then 80 bpm, 3/4
_LYRICS = [Lyric("Sum", "begin"), Lyric("mer", "end"), Lyric("in"), Lyric("the"), Lyric("ci", "begin"), Lyric("ty", "end"),
           Lyric("", extend=True), None]
_PITCHES = [57, 59, 60, 59, 57, 55, 57, 60]
_DURATIONS = [480, 480, 960, 480, 480, 960, 960, 1440]


def _song(resolution: int = 960) -> tuple[Track, Score]:
    notes, tick = [], 1920
    for lyric, pitch, dur in zip(_LYRICS, _PITCHES, _DURATIONS, strict=True):
        notes.append(Note(pitch, tick * resolution // 960, dur * resolution // 960, lyric=lyric))
        tick += dur
    track = Track("lead", "vocal", "voice_high", notes=tuple(notes))
    score = Score(resolution=resolution, tempos=(TempoChange(0, 100.0), TempoChange(5760 * resolution // 960, 80.0)),
                  meters=(MeterChange(0, 3, 4),), tracks=(track,))
    return track, score


@pytest.fixture(scope="module")
def line():
    track, _score = _song()
    return vocal_line(track)


def test_vocal_line_words_syllables_melisma_and_phonemes(line) -> None:
    assert [n.syllable for n in line] == ["Sum", "mer", "in", "the", "ci", "ty", None, "ah"]
    assert [n.word for n in line] == ["summer", None, "in", "the", "city", None, None, "ah"]
    assert line[0].phonemes == ("S", "AH") and line[1].phonemes[-1] in ("ER", "R")
    assert line[2].phonemes == ("IH", "N") and line[3].phonemes[0] == "DH"
    assert line[4].phonemes[:2] == ("S", "IH") and line[5].phonemes[-1] == "IY"
    assert line[6].phonemes == ()


def test_arpabet_and_syllable_split() -> None:
    assert arpabet(["'aI@", "t", "#", "_:"]) == ["AY", "ER", "T"]
    assert split_phonemes(["S", "AH", "M", "ER"], 2) == [["S", "AH"], ["M", "ER"]]
    assert split_phonemes(["HH", "AH"], 3) == [["HH", "AH"], [], []]


@pytest.mark.parametrize("resolution", [960, 480])
def test_ustx_reads_back_with_notes_lyrics_tempo(line, resolution: int) -> None:
    track, score = _song(resolution)
    data = yaml.safe_load(ustx_text(track, score, line=line if resolution == 960 else vocal_line(track, phonemes=False)))
    assert data["ustx_version"] == "0.6" and data["resolution"] == 480
    assert [(t["position"], t["bpm"]) for t in data["tempos"]] == [(0, 100.0), (2880, 80.0)]
    assert data["time_signatures"] == [{"bar_position": 0, "beat_per_bar": 3, "beat_unit": 4}]
    notes = data["voice_parts"][0]["notes"]
    expected_ticks = []
    tick = 1920
    for dur in _DURATIONS:
        expected_ticks.append((tick // 2, dur // 2))
        tick += dur
    assert [(n["position"], n["duration"]) for n in notes] == expected_ticks
    assert [n["tone"] for n in notes] == _PITCHES
    assert [n["lyric"] for n in notes] == ["summer", "+", "in", "the", "city", "+", "+", "ah"]
    assert data["voice_parts"][0]["track_no"] == 0 and data["tracks"][0]["track_name"] == "lead"


def test_svp_reads_back_with_blicks_lyrics_phonemes_tempo(line) -> None:
    track, score = _song()
    data = json.loads(svp_text(track, score, line=line))
    per_tick = BLICKS_PER_QUARTER // 960
    assert [(t["position"], t["bpm"]) for t in data["time"]["tempo"]] == [(0, 100.0), (5760 * per_tick, 80.0)]
    assert data["time"]["meter"] == [{"index": 0, "numerator": 3, "denominator": 4}]
    group = data["tracks"][0]["mainGroup"]
    assert data["tracks"][0]["mainRef"]["groupID"] == group["uuid"]
    assert data["tracks"][0]["mainRef"]["database"]["language"] == "english"
    notes = group["notes"]
    assert [n["onset"] for n in notes] == [n.start_tick * per_tick for n in track.notes]
    assert [n["duration"] for n in notes] == [n.duration_ticks * per_tick for n in track.notes]
    assert [n["pitch"] for n in notes] == _PITCHES
    assert [n["lyrics"] for n in notes] == ["Sum", "mer", "in", "the", "ci", "ty", "-", "ah"]
    assert notes[0]["phonemes"] == "s ah" and notes[2]["phonemes"] == "ih n"


def test_writers_refuse_a_track_that_is_not_a_vocal_line() -> None:
    track, score = _song()
    with pytest.raises(ParameterError, match="vocal track"):
        ustx_text(Track("bass", "bass", "electric_bass", notes=track.notes), score, line=[])
    with pytest.raises(ParameterError, match="vocal track"):
        svp_text(Track("lead", "vocal", "voice_high"), score, line=[])


@pytest.fixture(scope="module")
def sung_line() -> np.ndarray:
    from lemm.vocals import sing_track

    track, score = _song()
    return sing_track(track, score, seed=1)


@pytest.mark.parametrize("offset", [-3001, 0, 12345])
def test_align_offset_is_sample_accurate_for_the_same_performance(sung_line, offset: int) -> None:
    take = place_take(sung_line, offset_samples=-offset, n_samples=sung_line.shape[1] + 20000)
    take = take * 0.5 + 1e-4 * np.random.default_rng(0).standard_normal(take.shape).astype(np.float32)
    found = align_offset(take, sung_line, sample_rate=SR)
    assert found == offset
    back = place_take(take, offset_samples=found, n_samples=sung_line.shape[1])
    mid = slice(SR, sung_line.shape[1] - SR)
    np.testing.assert_allclose(back[:, mid], 0.5 * sung_line[:, mid], atol=1e-3)


def test_align_offset_of_another_voice_lands_within_a_few_ms(sung_line) -> None:
    from lemm.vocals import sing_track

    track, score = _song()
    other = track.__class__(track.name, "vocal", "voice_low", notes=tuple(n.__class__(n.pitch - 12, n.start_tick, n.duration_ticks,
                                                                                      lyric=n.lyric) for n in track.notes))
    other_score = score.__class__(resolution=score.resolution, tempos=score.tempos, meters=score.meters, tracks=(other,))
    take = sing_track(other, other_score, seed=5)
    shift = 24000  # the other singer's take starts 0.5 s late
    late = np.concatenate([np.zeros((2, shift), np.float32), take], axis=1)
    found = align_offset(late, sung_line, sample_rate=SR)
    assert abs(found + shift) <= 0.01 * SR, found


def test_align_offset_refuses_silence() -> None:
    with pytest.raises(ParameterError, match="silent"):
        align_offset(np.zeros(1000), np.ones(1000), sample_rate=SR)


def test_vocals_import_places_a_take_with_a_stated_and_a_found_offset(short_song_dir: Path, tmp_path: Path) -> None:
    from lemm.cli import main

    folder = tmp_path / "song"
    shutil.copytree(short_song_dir, folder)
    own, rate = sf.read(folder / "stems" / "vocal.wav", dtype="float32", always_2d=True)
    report = json.loads((folder / "report.json").read_text())
    own = own.T * 10.0 ** (-report["stem_trim_db"].get("vocal", 0.0) / 20.0)
    late = 4321
    take_path = tmp_path / "take.wav"
    sf.write(take_path, np.concatenate([np.zeros((2, late), np.float32), 0.25 * own], axis=1).T, rate, subtype="FLOAT")
    assert main(["vocals", "import", str(folder), str(take_path)]) == 0
    placed, _ = sf.read(folder / "stems" / "vocal.wav", dtype="float32", always_2d=True)
    trim = json.loads((folder / "report.json").read_text())["stem_trim_db"]["vocal"]
    placed = placed.T * 10.0 ** (-trim / 20.0)
    peak = np.max(np.abs(own))
    assert np.max(np.abs(placed - own)) < 2e-3 * peak + 1e-4  # found offset, levelled back to lemm's own
    # a stated offset is trusted as given: 0.1 s late
    take2 = tmp_path / "take2.wav"
    sf.write(take2, (0.5 * own).T, rate, subtype="FLOAT")
    assert main(["vocals", "import", str(folder), str(take2), "--offset-seconds", "0.1"]) == 0
    placed2, _ = sf.read(folder / "stems" / "vocal.wav", dtype="float32", always_2d=True)
    trim2 = json.loads((folder / "report.json").read_text())["stem_trim_db"]["vocal"]
    placed2 = placed2.T * 10.0 ** (-trim2 / 20.0)
    d = int(0.1 * rate)
    assert np.max(np.abs(placed2[:, d:] - own[:, :-d])) < 2e-3 * peak + 1e-4


def _stem(folder: Path, name: str) -> np.ndarray:
    audio, _ = sf.read(folder / "stems" / f"{name}.wav", dtype="float32", always_2d=True)
    trim = json.loads((folder / "report.json").read_text())["stem_trim_db"][name]
    return audio.T * 10.0 ** (-trim / 20.0)


def test_an_imported_take_survives_later_renders_until_its_file_is_deleted(short_song_dir: Path, tmp_path: Path) -> None:
    from lemm.cli import main

    folder = tmp_path / "song"
    shutil.copytree(short_song_dir, folder)
    own = _stem(folder, "vocal")
    rng = np.random.default_rng(3)
    take = (0.05 * rng.standard_normal(own.shape)).astype(np.float32)  # a "take" nothing like lemm's singing
    take_path = tmp_path / "take.wav"
    sf.write(take_path, take.T, SR, subtype="FLOAT")
    assert main(["vocals", "import", str(folder), str(take_path), "--offset-seconds", "0"]) == 0
    imported = _stem(folder, "vocal")
    assert (folder / "takes" / "vocal.wav").is_file()
    assert main(["render", str(folder)]) == 0
    after = _stem(folder, "vocal")
    peak = float(np.max(np.abs(imported)))
    assert np.max(np.abs(after - imported)) < 1e-3 * peak  # the take, not lemm's singing
    assert np.max(np.abs(after - own)) > 0.1 * peak
    assert (folder / "takes" / "vocal.wav").is_file()  # kept for the next render too
    (folder / "takes" / "vocal.wav").unlink()  # the user removes it: lemm sings again
    assert main(["render", str(folder)]) == 0
    np.testing.assert_allclose(_stem(folder, "vocal"), own, atol=2e-4 * float(np.max(np.abs(own))))


def test_vocals_export_cli_writes_both_files(short_song_dir: Path, tmp_path: Path) -> None:
    from lemm.cli import main

    stem = tmp_path / "line"
    assert main(["vocals", "export", str(short_song_dir), "-o", str(stem)]) == 0
    ustx = yaml.safe_load((tmp_path / "line.ustx").read_text())
    svp = json.loads((tmp_path / "line.svp").read_text())
    assert len(ustx["voice_parts"][0]["notes"]) == len(svp["tracks"][0]["mainGroup"]["notes"]) > 10
    assert main(["vocals", "export", str(short_song_dir), "--format", "midi"]) == 2  # a clear error, no traceback


def test_register_choice_and_shift() -> None:
    assert choose_voice([60, 62, 64, 65]).octave_shift == 0
    assert choose_voice([48, 50, 52]).voice == "voice_low" and choose_voice([48, 50, 52]).octave_shift == 0
    assert choose_voice([40, 42, 43], preferred="voice_high").voice == "voice_low"  # far below the high voice
    assert choose_voice([62, 64], preferred="voice_low") == choose_voice([62, 64], preferred="voice_low")
    assert register_shift([50, 52, 55], "voice_low") == 0
    assert register_shift([36, 38, 40], "voice_low") == 12
    with pytest.raises(ParameterError, match="voice"):
        register_shift([60], "tenor")
    with pytest.raises(ParameterError, match="pitches"):
        choose_voice([])


def test_a_song_voice_is_chosen_from_its_melody(monkeypatch) -> None:
    from lemm import pipeline
    from lemm.vocals.register import voice_for_track

    def notes(pitches):
        return tuple(Note(p, 480 * i, 480, lyric=Lyric("la")) for i, p in enumerate(pitches))

    high = Track("vocal", "vocal", "voice_low", notes=notes([67, 69, 71, 72, 74, 72]))  # G4..D5: above the low voice's D3..E4
    assert voice_for_track(high).preset == "voice_high" and voice_for_track(high).notes == high.notes  # notes as written
    mid = Track("vocal", "vocal", "voice_low", notes=notes([57, 59, 60, 62, 64]))  # A3..E4: both voices sing it; the asked-for stays
    assert voice_for_track(mid) is mid
    assert voice_for_track(Track("lead", "lead", "synth_lead", notes=notes([90]))).preset == "synth_lead"
    # make_score passes the composed score through it
    bass = Track("bass", "bass", "synth_bass", notes=notes([40, 43]))
    monkeypatch.setattr(pipeline, "compose_score", lambda _plan, **_kw: Score(tracks=(bass, high)))
    score = pipeline.make_score(None, type("B", (), {"prompt": "x", "seed": 0, "lyrics": "la"})())
    assert [t.preset for t in score.tracks] == ["synth_bass", "voice_high"]
