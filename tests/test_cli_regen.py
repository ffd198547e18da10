"""`lemm regen` and `lemm compose --chords` through the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import lemm
from lemm.cli import main
from lemm.score.edit import section_span


def test_regen_changes_only_that_slice(short_song_dir: Path, tmp_path: Path) -> None:
    work = tmp_path / "regen"
    shutil.copytree(short_song_dir, work)
    before = lemm.load(work).score
    section = next(s.name for s in before.sections if s.kind == "chorus")
    assert main(["regen", str(work), "--track", "drums", "--section", section, "--seed", "9"]) == 0
    after = lemm.load(work).score
    start, end = section_span(before, section)
    for old, new in zip(before.tracks, after.tracks, strict=True):
        outside_old = [n for n in old.notes if not start <= n.start_tick < end]
        outside_new = [n for n in new.notes if not start <= n.start_tick < end]
        assert outside_old == outside_new, old.name
        if old.name != "drums":
            assert old == new
    assert before.track("drums") != after.track("drums")
    stems_same = (work / "stems" / "bass.wav").read_bytes() == (short_song_dir / "stems" / "bass.wav").read_bytes()
    assert stems_same, "a regenerated drum part must not change the bass stem"


@pytest.mark.parametrize("argv, message", [
    (["--track", "kazoo", "--section", "verse 1"], "kazoo"),
    (["--track", "drums", "--section", "chorus 99"], "chorus 99"),
])
def test_regen_unknown_names(short_song_dir: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["regen", str(short_song_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lemm: error:") and message in err


def test_compose_with_bad_chords(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["compose", "x", "--chords", "Am H#13b C", "--duration", "0:20", "--out", str(tmp_path / "o")]) == 2
    assert "H#13b" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_chords_option_reaches_the_score() -> None:
    from lemm.compose.brief import Brief
    from lemm.compose.chord_input import apply_chords
    from lemm.pipeline import make_plan

    plan = apply_chords(make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=30.0, seed=2)), "Am F C G")
    song = lemm.compose("pop", tags=("pop",), duration="0:30", seed=2, plan=plan)
    cycle = ["Am", "F", "C", "G"]
    for section in song.score.sections:
        symbols = [c.symbol for c in song.score.chords if section.start_tick <= c.start_tick < section.end_tick]
        assert symbols == [cycle[i % 4] for i in range(len(symbols))], section.name
