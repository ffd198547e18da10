"""`lemm mix DIR --target` and `lemm master IN -o OUT` through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from lemm.cli import main


def test_mix_to_the_loud_target(short_song_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    work = tmp_path / "loud"
    shutil.copytree(short_song_dir, work)
    capsys.readouterr()
    assert main(["mix", str(work), "--target", "loud"]) == 0
    report = json.loads(capsys.readouterr().out)
    audio, rate = sf.read(str(work / "master.wav"))
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(audio) - (-9.0)) < 0.5
    assert report["target_lufs"] == -9.0
    assert json.loads((work / "song.json").read_text())["mix"]["master"]["target_lufs"] == -9.0
    stem = "stems/bass.wav"
    assert (work / stem).read_bytes() == (short_song_dir / stem).read_bytes()


def test_master_any_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(48000 * 8) / 48000
    mono = 0.05 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) + 0.01 * rng.standard_normal(t.size)
    src = tmp_path / "in.wav"
    sf.write(str(src), mono.astype(np.float32), 48000)
    out = tmp_path / "out.wav"
    assert main(["master", str(src), "-o", str(out), "--target", "apple", "--bit-depth", "16"]) == 0
    report = json.loads(capsys.readouterr().out)
    audio, rate = sf.read(str(out))
    assert audio.shape[1] == 2 and sf.info(str(out)).subtype == "PCM_16"
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(audio) + 16.0) < 0.5
    assert report["true_peak_dbtp"] <= -1.0


def test_master_rejects_non_audio(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not audio")
    assert main(["master", str(bad), "-o", str(tmp_path / "o.wav")]) == 2
    assert "not readable audio" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()
