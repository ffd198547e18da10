"""`lemm analyze`, `lemm compose --guide` and `lemm compose --plan` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import lemm
from lemm.cli import main
from lemm.compose.guide.testsignal import make_test_guide
from lemm.compose.plan_edit import resize_section, save_plan


@pytest.fixture(scope="module")
def guide_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    audio, truth = make_test_guide(tempo_bpm=100.0, form=(("intro", 4), ("verse", 4), ("chorus", 4)), lead_in_seconds=0.5, seed=1)
    path = tmp_path_factory.mktemp("guide") / "guide.wav"
    sf.write(str(path), audio.T if audio.ndim == 2 else audio, 22050)
    return path, truth


def test_analyze_prints_the_analysis(guide_file: tuple[Path, dict], capsys: pytest.CaptureFixture) -> None:
    path, _ = guide_file
    assert main(["analyze", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("tempo_bpm", "meter", "key", "beats_seconds", "downbeats_seconds", "sections", "energy_per_bar"):
        assert key in data
    assert abs(data["tempo_bpm"] - 100.0) <= 2.0
    assert data["meter"] == "4/4"


def test_compose_from_a_guide_lines_up_with_it(guide_file: tuple[Path, dict], tmp_path: Path) -> None:
    path, _ = guide_file
    out = tmp_path / "guided"
    assert main(["compose", "pop song", "--tags", "pop", "--guide", str(path), "--duration", "0:20", "--out", str(out)]) == 0
    song = lemm.load(out)
    assert abs(song.plan.tempo_bpm - 100.0) <= 2.0
    assert song.plan.start_offset_seconds == pytest.approx(0.5, abs=0.05)
    assert song.render_settings.start_offset_seconds == song.plan.start_offset_seconds  # where the render reads it
    drums, rate = sf.read(str(out / "stems" / "drums.wav"))
    first = np.flatnonzero(np.abs(drums).max(axis=1) > 1e-4)[0] / rate
    assert first == pytest.approx(song.render_settings.start_offset_seconds, abs=0.03)


def test_compose_follows_an_edited_plan(tmp_path: Path) -> None:
    song = lemm.compose("rock song", tags=("rock",), duration="0:30", seed=4)
    edited = resize_section(song.plan, song.plan.sections[0].name, song.plan.sections[0].bars + 4)
    plan_file = tmp_path / "plan.json"
    save_plan(edited, plan_file)
    out = tmp_path / "planned"
    assert main(["compose", "rock song", "--tags", "rock", "--plan", str(plan_file), "--duration", "0:40", "--out", str(out)]) == 0
    loaded = lemm.load(out)
    assert loaded.plan == edited
    bar_ticks = loaded.score.meters[0].bar_ticks(loaded.score.resolution)
    assert [s.duration_ticks // bar_ticks for s in loaded.score.sections] == [s.bars for s in edited.sections]


def test_silent_guide_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(22050 * 8, np.float32), 22050)
    assert main(["analyze", str(silent)]) == 2
    assert "lemm: error:" in capsys.readouterr().err


def test_python_compose_takes_the_same_guide_and_chords_as_the_cli(guide_file: tuple[Path, dict]) -> None:
    from lemm.compose.brief import Brief
    from lemm.compose.chord_input import apply_chords
    from lemm.compose.guide import analyze_guide
    from lemm.compose.planner import make_plan

    path, _ = guide_file
    song = lemm.compose("pop song", tags=("pop",), duration="0:20", seed=2, guide=path, keep_chords=True, chords="C G Am F")
    brief = Brief(prompt="pop song", tags=("pop",), duration_seconds=20.0, seed=2)
    expected = apply_chords(make_plan(brief, guide=analyze_guide(path), keep_chords=True), "C G Am F")
    assert song.plan == expected
    assert song.plan.start_offset_seconds == pytest.approx(0.5, abs=0.05)
    # an already analysed guide gives the same plan as its path
    assert lemm.compose("pop song", tags=("pop",), duration="0:20", seed=2, guide=analyze_guide(path), keep_chords=True, chords="C G Am F").plan == expected


def test_python_compose_takes_a_plan_file_and_chords(tmp_path: Path) -> None:
    song = lemm.compose("rock song", tags=("rock",), duration="0:30", seed=4)
    plan_file = tmp_path / "plan.json"
    save_plan(song.plan, plan_file)
    again = lemm.compose("rock song", tags=("rock",), duration="0:30", seed=4, plan=plan_file, chords="Em C G D")
    assert again.plan.sections[0].chords[:4] == ("Em", "C", "G", "D")
    assert again.score.chords[0].symbol == "Em"


@pytest.mark.parametrize(
    ("options", "field"),
    [({"keep_chords": True}, "keep_chords"), ({"keep_melody": True}, "keep_melody"), ({"plan": "p.json", "guide": "g.wav"}, "guide")],
)
def test_python_compose_refuses_contradictory_options(options: dict, field: str) -> None:
    with pytest.raises(lemm.errors.ParameterError, match=field):
        lemm.compose("pop", duration="0:20", **options)


def test_cli_refuses_plan_with_guide(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["compose", "pop", "--plan", str(tmp_path / "p.json"), "--guide", str(tmp_path / "g.wav"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--guide" in capsys.readouterr().err


def test_a_song_folder_or_its_song_json_serves_as_a_plan(tmp_path: Path) -> None:
    from lemm.compose.plan_edit import load_plan

    song = lemm.compose("folk song", tags=("folk",), duration="0:20", seed=6)
    folder = tmp_path / "song"
    song.save(folder)
    assert load_plan(folder / "song.json") == song.plan
    assert load_plan(folder) == song.plan
    assert lemm.compose("folk song", tags=("folk",), duration="0:20", seed=6, plan=folder / "song.json").score == song.score
