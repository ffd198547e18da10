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
    drums, rate = sf.read(str(out / "stems" / "drums.wav"))
    first = np.flatnonzero(np.abs(drums).max(axis=1) > 1e-4)[0] / rate
    assert first == pytest.approx(song.plan.start_offset_seconds, abs=0.03)


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
