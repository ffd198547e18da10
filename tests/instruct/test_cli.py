"""``lemm edit`` end to end on a 0:20 song: a dry run changes nothing; a real edit re-renders and saves."""

from __future__ import annotations

import json

import lemm
from lemm.instruct.cli import main
from lemm.project.folder import song_to_dict


def test_edit_dry_run_then_apply(tmp_path, capsys):
    song = lemm.compose("a pop song with piano", tags=("pop",), duration="0:20", seed=2)
    folder = tmp_path / "song"
    folder.mkdir()
    (folder / "song.json").write_text(json.dumps(song_to_dict(song)), encoding="utf-8")
    before = (folder / "song.json").read_bytes()
    chorus = next(s for s in song.score.sections if s.kind == "chorus")

    assert main([str(folder), "swap piano for electric piano; quieter drums in the chorus", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "piano: sound acoustic_piano -> electric_piano (notes untouched)" in out
    assert f"drums in {chorus.name}: velocities x0.75" in out and "dry run: nothing changed" in out
    assert (folder / "song.json").read_bytes() == before

    assert main([str(folder), "swap piano for electric piano; quieter drums in the chorus", "--yes"]) == 0
    edited = lemm.load(folder)
    assert edited.score.track("piano").preset == "electric_piano"
    assert edited.score.track("piano").notes == song.score.track("piano").notes
    old = [n.velocity for n in song.score.track("drums").notes if chorus.start_tick <= n.start_tick < chorus.end_tick]
    new = [n.velocity for n in edited.score.track("drums").notes if chorus.start_tick <= n.start_tick < chorus.end_tick]
    assert new == [max(1, round(v * 0.75)) for v in old]
    assert (folder / "stems" / "piano.wav").is_file() and (folder / "master.wav").is_file()
    assert edited.mix_settings is not None


def test_a_dry_run_meets_the_same_checks_as_the_edit(tmp_path, capsys):
    """`--dry-run` of an edit the real run would refuse (+1000 dB) is refused too, and nothing is written."""
    song = lemm.compose("a pop song", tags=("pop",), duration="0:10", seed=1)
    folder = tmp_path / "song"
    folder.mkdir()
    (folder / "song.json").write_text(json.dumps(song_to_dict(song)), encoding="utf-8")
    before = (folder / "song.json").read_bytes()
    assert main([str(folder), "turn up the bass by 1000 dB", "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert "+1000 dB" in captured.err and "accepted" in captured.err
    assert "dry run: nothing changed" not in captured.out
    assert (folder / "song.json").read_bytes() == before
