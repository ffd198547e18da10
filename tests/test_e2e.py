"""End to end: brief -> song folder, checked with independent readers (mido, music21, pyloudnorm)."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy.signal import resample_poly

import lemm
from lemm.cli import main

LYRICS = Path(__file__).resolve().parents[1] / "examples" / "lyrics.txt"


def _true_peak_db_8x(audio: np.ndarray) -> float:
    up = resample_poly(audio, 8, 1, axis=-1)
    return 20 * np.log10(np.max(np.abs(up)) + 1e-12)


def test_folder_has_every_file(short_song_dir: Path) -> None:
    names = {"song.json", "score.mid", "score.musicxml", "mix.wav", "master.wav", "report.json"}
    assert names <= {p.name for p in short_song_dir.iterdir()}
    song = lemm.load(short_song_dir)
    stems = sorted((short_song_dir / "stems").glob("*.wav"))
    assert [p.stem for p in stems] == sorted(t.name for t in song.score.tracks)
    lengths = set()
    for p in stems + [short_song_dir / "mix.wav", short_song_dir / "master.wav"]:
        info = sf.info(str(p))
        assert (info.samplerate, info.channels, info.subtype) == (48000, 2, "PCM_24")
        lengths.add(info.frames)
    assert len(lengths) == 1, "stems, mix and master must be sample-aligned and of equal length"


def test_master_meets_loudness_and_peak(short_song_dir: Path) -> None:
    audio, sample_rate = sf.read(str(short_song_dir / "master.wav"), always_2d=True)
    lufs = pyloudnorm.Meter(sample_rate).integrated_loudness(audio)
    assert abs(lufs + 14.0) <= 0.5
    assert _true_peak_db_8x(audio.T) <= -1.0 + 0.05  # 24-bit quantisation adds < 0.01 dB
    report = json.loads((short_song_dir / "report.json").read_text())
    assert abs(report["integrated_lufs"] - lufs) < 0.2
    assert report["true_peak_dbtp"] <= -1.0
    for key in ("lra_lu", "duration_seconds", "seconds_per_stage", "seed", "lemm_version"):
        assert key in report
    for stage in ("plan", "compose", "render", "mix", "master", "write"):
        assert report["seconds_per_stage"][stage] >= 0


def test_duration_within_one_bar(short_song_dir: Path) -> None:
    song = lemm.load(short_song_dir)
    bar_seconds = song.plan.beats_per_bar * 60.0 / song.plan.tempo_bpm
    info = sf.info(str(short_song_dir / "master.wav"))
    assert abs(info.frames / info.samplerate - 30.0) <= bar_seconds


def test_midi_has_conductor_markers_and_named_tracks(short_song_dir: Path) -> None:
    mid = mido.MidiFile(str(short_song_dir / "score.mid"))
    song = lemm.load(short_song_dir)
    assert mid.type == 1
    markers = [m.text for m in mid.tracks[0] if m.type == "marker"]
    assert markers == [s.name for s in song.score.sections]
    names = [next(m.name for m in t if m.type == "track_name") for t in mid.tracks[1:]]
    assert names == [t.name for t in song.score.tracks]
    assert len(names) >= 5
    for track, midi_track in zip(song.score.tracks, mid.tracks[1:], strict=True):
        channels = {m.channel for m in midi_track if m.type == "note_on"}
        if track.is_drum:
            assert channels == {9}
        else:
            assert 9 not in channels


def test_musicxml_shows_lyrics_chords_and_rehearsal_marks(short_song_dir: Path) -> None:
    import music21

    parsed = music21.converter.parse(str(short_song_dir / "score.musicxml"))
    song = lemm.load(short_song_dir)
    lyrics = [n.lyric for n in parsed.recurse().notes if n.lyric]
    assert len(lyrics) > 10
    assert len(list(parsed.recurse().getElementsByClass(music21.harmony.ChordSymbol))) > 0
    marks = [r.content for r in parsed.recurse().getElementsByClass(music21.expressions.RehearsalMark)]
    assert marks == [s.name for s in song.score.sections]


def test_song_json_reloads_to_equal_score(short_song_dir: Path) -> None:
    a = lemm.load(short_song_dir)
    b = lemm.compose("a bright pop song", tags=("pop",), lyrics=LYRICS.read_text(), duration="0:30", seed=7)
    assert a.score == b.score
    assert a.plan == b.plan


def test_same_seed_same_master_bytes(short_song_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "again"
    capsys.readouterr()
    assert main(["compose", "a bright pop song", "--tags", "pop,glitterfolk", "--lyrics", str(LYRICS),
                 "--duration", "0:30", "--seed", "7", "--out", str(out)]) == 0
    assert (out / "master.wav").read_bytes() == (short_song_dir / "master.wav").read_bytes()  # an unread tag changes nothing
    err = capsys.readouterr().err
    plan = lemm.load(out).plan
    assert f"lemm: plan: pop, {plan.tempo_bpm:g} bpm, {plan.key_tonic} {plan.key_mode}, 4/4; read as: " in err
    assert "pop = genre pop (from tags)" in err and "bright = " in err
    assert "tags not understood (ignored): glitterfolk; genres: ballad," in err
    assert "tags ignored" not in err


def test_plan_summary_names_second_genres_and_unread_tags() -> None:
    from lemm.cli import _plan_summary

    song = lemm.compose("x", tags=("rock", "hip-hop", "slow burn", "zzz"), duration="0:15", seed=1)
    lines = _plan_summary(song.plan, ("rock", "hip-hop", "slow burn", "zzz")).split("\n")
    assert lines[0].startswith(f"plan: rock, {song.plan.tempo_bpm:g} bpm, ") and "rock = genre rock (from tags)" in lines[0]
    assert lines[1] == "lemm: tags ignored: hip-hop (one genre per song: the first genre tag, rock, wins)"
    assert lines[2].startswith("lemm: tags not understood (ignored): zzz; genres: ")  # "slow burn": "slow" was read
    assert len(lines) == 3


def test_other_seed_other_song(short_song_dir: Path) -> None:
    a = lemm.load(short_song_dir)
    b = lemm.compose("a bright pop song", tags=("pop",), lyrics=LYRICS.read_text(), duration="0:30", seed=8)
    assert a.score != b.score


def test_render_after_edit_rewrites_audio(short_song_dir: Path, tmp_path: Path) -> None:
    import shutil

    from lemm.project.folder import song_to_dict
    from lemm.score.edit import transpose

    work = tmp_path / "edited"
    shutil.copytree(short_song_dir, work)
    song = lemm.load(work)
    edited = song.with_score(transpose(song.score, 2))
    (work / "song.json").write_text(json.dumps(song_to_dict(edited)))  # a person's edit of song.json
    assert main(["render", str(work)]) == 0
    assert lemm.load(work).score == edited.score
    assert (work / "master.wav").read_bytes() != (short_song_dir / "master.wav").read_bytes()
    report = json.loads((work / "report.json").read_text())
    assert abs(report["integrated_lufs"] + 14.0) <= 0.5


@pytest.mark.parametrize("argv, field", [
    (["compose", "x", "--duration", "0:00"], "duration"),
    (["compose", "x", "--duration", "banana"], "duration"),
    (["compose", "x", "--seed", "-1"], "seed"),
    (["compose", "x", "--lyrics", "/nonexistent/lyrics.txt"], "lyrics file"),
])
def test_bad_cli_input_is_one_clear_line(argv: list[str], field: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status = main(argv + ["--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("lemm: error: ") and field in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_output_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    f = tmp_path / "afile"
    f.write_text("keep me")
    assert main(["compose", "x", "--duration", "0:20", "--out", str(f)]) == 2
    assert "is an existing file" in capsys.readouterr().err
    assert main(["compose", "x", "--duration", "0:20", "-o", str(f)]) == 2  # -o as in the other commands
    assert "is an existing file" in capsys.readouterr().err
    assert f.read_text() == "keep me"


def test_unreadable_lyrics_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "lyrics.txt"
    bad.write_bytes(b"\xff\xfe\x00\x81 not utf8 \xc3\x28")
    assert main(["compose", "x", "--lyrics", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "lyrics file" in capsys.readouterr().err


@pytest.mark.parametrize("path, value, field", [
    (("score", "tracks", 0, "notes", 0, "pitch"), 200, "pitch"),
    (("score", "tempos", 0, "tempo_bpm"), 0, "tempo_bpm"),
    (("score", "tracks", 0, "notes", 0, "velocity"), -5, "velocity"),
])
def test_hand_edited_song_json_out_of_range(short_song_dir: Path, tmp_path: Path, path: tuple, value: object, field: str,
                                             capsys: pytest.CaptureFixture) -> None:
    import shutil

    work = tmp_path / "bad"
    shutil.copytree(short_song_dir, work)
    data = json.loads((work / "song.json").read_text())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    (work / "song.json").write_text(json.dumps(data))
    before = (work / "master.wav").read_bytes()
    assert main(["render", str(work)]) == 2
    err = capsys.readouterr().err
    assert field in err and str(value) in err
    assert (work / "master.wav").read_bytes() == before


def test_info_prints_plan_and_loudness(short_song_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["info", str(short_song_dir)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["sections"] and info["tracks"]
    assert abs(info["loudness"]["integrated_lufs"] + 14.0) <= 0.5


def test_written_stems_and_mix_never_clip(short_song_dir: Path) -> None:
    report = json.loads((short_song_dir / "report.json").read_text())
    for p in list((short_song_dir / "stems").glob("*.wav")) + [short_song_dir / "mix.wav"]:
        audio, _ = sf.read(str(p))
        assert 20 * np.log10(np.abs(audio).max() + 1e-12) <= -0.99, p.name
    assert set(report["stem_trim_db"]) == {p.stem for p in (short_song_dir / "stems").glob("*.wav")}
    assert all(t <= 0.0 for t in report["stem_trim_db"].values())
