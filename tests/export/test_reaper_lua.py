"""plugins/reaper/lemm.lua against a recording stub of REAPER's API (lua5.4; skipped where absent).

The song folder is hand-built from the export tests' score with tempo and meter changes,
so every expected position is computed by hand (tests/export/conftest.py), not by lemm.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lemm.io.audio import write_audio
from lemm.score.jsonio import score_to_dict

from .conftest import SECTION_SECONDS, TEMPO_POINT_SECONDS, changing_score

ROOT = Path(__file__).resolve().parents[2]
LUA = shutil.which("lua5.4") or shutil.which("lua")

pytestmark = pytest.mark.skipif(LUA is None, reason="needs lua5.4")


def _run(folder: Path, lengths: dict[Path, float], tmp_path: Path) -> list[list[str]]:
    lengths_file = tmp_path / "lengths.txt"
    lengths_file.write_text("".join(f"{seconds!r} {path}\n" for path, seconds in lengths.items()))
    run = subprocess.run([LUA, str(ROOT / "tests" / "export" / "reaper_stub.lua"), str(ROOT / "plugins" / "reaper" / "lemm.lua"), str(folder),
                          str(lengths_file)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    return [line.split("\t") for line in run.stdout.splitlines()]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    score = changing_score()
    song = tmp_path / "song"
    song.mkdir()
    (song / "song.json").write_text(json.dumps({"format": "lemm-song", "score": score_to_dict(score)}, ensure_ascii=False), encoding="utf-8")
    tiny = np.zeros((2, 480), np.float32)
    for name in ("drums", "bass", "pad"):
        write_audio(song / "stems" / f"{name}.wav", tiny, sample_rate=48000)
    write_audio(song / "printed" / "bass.flac", tiny, sample_rate=48000)
    write_audio(song / "printed" / "bass.wav", tiny, sample_rate=48000)  # an older folder's leftover: the FLAC wins
    write_audio(song / "printed" / "returns" / "reverb.wav", tiny, sample_rate=48000)  # an older folder's WAV is still placed
    return song


def test_items_tracks_regions_and_tempo_at_the_right_positions(folder, tmp_path):
    files = {folder / "stems" / "drums.wav": 12.0, folder / "stems" / "pad.wav": 12.5, folder / "printed" / "bass.flac": 11.0,
             folder / "stems" / "bass.wav": 11.0, folder / "printed" / "returns" / "reverb.wav": 13.0}
    lines = _run(folder, files, tmp_path)
    assert not [x for x in lines if x[0] == "ERROR"], lines
    assert [x for x in lines if x[0] == "UNDO"] == [["UNDO", "11"]]  # one undo block

    tracks = [x[2] for x in lines if x[0] == "TRACK"]
    assert tracks == ["drums", "drums (MIDI)", "bass", "bass (MIDI)", "pad", "reverb return"]  # pad has no notes

    items = {x[1]: x[2:] for x in lines if x[0] == "ITEM"}
    assert items["drums"] == ["audio", "0.000000000", "12.000000000", str(folder / "stems" / "drums.wav"), "nil"]
    assert items["bass"][3] == str(folder / "printed" / "bass.flac")  # the part as mixed, where printed
    assert items["pad"][:3] == ["audio", "0.000000000", "12.500000000"]
    assert items["reverb return"][3] == str(folder / "printed" / "returns" / "reverb.wav")
    end_seconds = SECTION_SECONDS[-1][1]  # beat 19, by hand
    for name in ("drums (MIDI)", "bass (MIDI)"):
        kind, position, length, _, sorted_ = items[name]
        assert (kind, float(position), sorted_) == ("midi", 0.0, "true")
        assert float(length) == pytest.approx(end_seconds, abs=1e-8)

    score = changing_score()
    for name, channel in (("drums", 9), ("bass", 0)):
        notes = [(float(x[2]), float(x[3]), int(x[4]), int(x[5]), int(x[6])) for x in lines if x[0] == "NOTE" and x[1] == f"{name} (MIDI)"]
        expected = [(n.start_tick * 2.0, (n.start_tick + n.duration_ticks) * 2.0, channel, n.pitch, n.velocity) for n in score.track(name).notes]
        assert notes == expected  # 960 ppq per quarter, score at 480

    regions = [(float(x[1]), float(x[2]), x[3]) for x in lines if x[0] == "REGION"]
    assert [r[2] for r in regions] == [s.name for s in score.sections]
    assert [r[:2] for r in regions] == [pytest.approx(s, abs=1e-8) for s in SECTION_SECONDS]

    tempo = [(float(x[1]), float(x[2]), int(x[3]), int(x[4])) for x in lines if x[0] == "TEMPO"]
    assert [t[0] for t in tempo] == pytest.approx(TEMPO_POINT_SECONDS, abs=1e-8)
    assert [t[1] for t in tempo] == [120.0, 90.0, 90.0, 140.0]
    assert [(t[2], t[3]) for t in tempo] == [(4, 4), (0, 0), (3, 4), (0, 0)]  # meter where it changes


def test_a_folder_without_song_json_is_reported(tmp_path):
    (tmp_path / "empty").mkdir()
    lines = _run(tmp_path / "empty", {}, tmp_path)
    errors = [x for x in lines if x[0] == "ERROR"]
    assert len(errors) == 1 and "song.json" in errors[0][1]
    assert not [x for x in lines if x[0] in ("TRACK", "REGION")]
