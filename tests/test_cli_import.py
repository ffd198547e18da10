"""`lemm import` of an edited MusicXML and `lemm diff` between versions."""

from __future__ import annotations

import shutil
from pathlib import Path

import music21
import pytest

import lemm
from lemm.cli import main


def test_import_one_edited_note_and_diff(short_song_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    work = tmp_path / "imp"
    shutil.copytree(short_song_dir, work)
    before = lemm.load(work).score
    parsed = music21.converter.parse(str(work / "score.musicxml"))
    bass = next(p for p in parsed.parts if p.partName == "bass")
    note = next(n for n in bass.recurse().notes if n.tie is None and not n.isChord)
    note.pitch.midi += 2  # as a notation editor would: one (untied) note up a whole step
    edited = tmp_path / "edited.musicxml"
    parsed.write("musicxml", fp=str(edited))
    capsys.readouterr()
    assert main(["import", str(work), str(edited)]) == 0
    out = capsys.readouterr().out
    assert "bass" in out and "1 note" in out
    after = lemm.load(work).score
    changed = [(a, b) for a, b in zip(before.track("bass").notes, after.track("bass").notes, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].pitch == changed[0][0].pitch + 2
    assert all(before.track(t.name) == t for t in after.tracks if t.name != "bass")
    assert (work / "stems" / "drums.wav").read_bytes() == (short_song_dir / "stems" / "drums.wav").read_bytes()
    assert main(["diff", str(work), "1", "2"]) == 0
    named = capsys.readouterr().out
    assert "bass" in named and named.startswith("version 1 -> 2:")
    assert main(["diff", str(work)]) == 0  # default: the latest version against the one before it
    assert capsys.readouterr().out == named
    assert main(["diff", str(short_song_dir)]) == 2  # one version: nothing to compare with
    assert "no version before 1" in capsys.readouterr().err


def test_import_unedited_export_changes_nothing(short_song_dir: Path, capsys: pytest.CaptureFixture) -> None:
    capsys.readouterr()
    assert main(["import", str(short_song_dir), str(short_song_dir / "score.mid")]) == 0
    assert "no changes" in capsys.readouterr().out


def test_import_unknown_part(short_song_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    s = music21.stream.Score()
    p = music21.stream.Part()
    p.partName = "kazoo"
    p.append(music21.note.Note("C4"))
    s.append(p)
    f = tmp_path / "odd.musicxml"
    s.write("musicxml", fp=str(f))
    before = (short_song_dir / "song.json").read_text()
    assert main(["import", str(short_song_dir), str(f)]) == 2
    assert "kazoo" in capsys.readouterr().err
    assert (short_song_dir / "song.json").read_text() == before


def test_import_dry_run_and_deletions_need_yes(short_song_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    work = tmp_path / "dry"
    shutil.copytree(short_song_dir, work)
    before = (work / "song.json").read_bytes()
    text = (work / "score.musicxml").read_text(encoding="utf-8")
    marks = text.count("<rehearsal>")
    assert marks >= 2
    start = text.index("<direction placement=\"above\">", text.index("<rehearsal>") - 200)
    end = text.index("</direction>", start) + len("</direction>")
    assert "<rehearsal>" in text[start:end]
    edited = tmp_path / "no-intro.musicxml"
    edited.write_text(text[:start] + text[end:], encoding="utf-8")  # the first section mark deleted
    capsys.readouterr()
    assert main(["import", str(work), str(edited)]) == 2
    assert "would delete 1 sections" in capsys.readouterr().err
    assert main(["import", "--dry-run", "--yes", str(work), str(edited)]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing written" in out and (work / "song.json").read_bytes() == before


def test_import_of_a_new_tempo_retimes_the_delay_and_the_report(short_song_dir: Path, tmp_path: Path) -> None:
    """An edit that changes the tempo (here written by lemm's own MusicXML writer, as MuseScore would save it) is the
    song's tempo from then on: report.json says it and the automatic (dotted-eighth) delay follows it."""
    import json

    from lemm.score.edit import set_tempo
    from lemm.score.musicxml import write_musicxml

    work = tmp_path / "tempo"
    shutil.copytree(short_song_dir, work)
    song = lemm.load(work)
    old = song.score.tempos[0].tempo_bpm
    new = old * 0.75
    assert song.mix_settings.delay.time_ms == round(0.75 * 60000.0 / old, 2)  # composed: the automatic delay
    edited = write_musicxml(set_tempo(song.score, new), tmp_path / "slower.musicxml")
    assert main(["import", str(work), str(edited)]) == 0
    after = lemm.load(work)
    assert after.score.tempos[0].tempo_bpm == new and after.plan.tempo_bpm == old  # the plan is how the song was made
    assert after.mix_settings.delay.time_ms == round(0.75 * 60000.0 / new, 2)
    assert json.loads((work / "report.json").read_text(encoding="utf-8"))["tempo_bpm"] == new
