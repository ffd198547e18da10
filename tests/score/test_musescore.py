"""MuseScore 3 headless: lemm's MusicXML renders at a normal density without tuplet warnings, and its own
open-and-save imports back with zero changes (notes, drum pitches, key and mode, lyrics, chords, sections, tempo)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import lemm
from lemm.score.merge import describe_changes, import_notation_report
from lemm.score.musicxml import write_musicxml

MSCORE = shutil.which("mscore3")
pytestmark = pytest.mark.skipif(MSCORE is None, reason="MuseScore 3 (`mscore3`, Debian package musescore3) is not installed")
LYRICS = "the sun is up and the sky is blue\nwe go home tonight and sing a song for you"


def mscore(src: Path, out: Path) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([MSCORE, "-o", str(out), str(src)], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and out.is_file(), run.stderr[-2000:]
    return run.stdout + run.stderr


@pytest.mark.parametrize(("prompt", "tag", "seed"), [("a folk waltz in 3/4", "folk", 1), ("a funk song in a minor", "funk", 3), ("a rock song in 6/8", "rock", 5)])
def test_musescore_renders_and_its_save_imports_with_zero_changes(prompt, tag, seed, tmp_path):
    song = lemm.compose(prompt, tags=(tag,), duration="0:30", seed=seed, lyrics=LYRICS).score
    src = write_musicxml(song, tmp_path / "score.musicxml")
    log = mscore(src, tmp_path / "score.pdf")
    assert not [line for line in log.splitlines() if "tuplet" in line.lower()]
    pages = int(re.search(rb"/Count (\d+)", (tmp_path / "score.pdf").read_bytes()).group(1))
    bars = src.read_text(encoding="utf-8").split("</part>")[0].count("<measure ")
    assert pages <= max(1, bars / 3), (pages, bars)  # >= 3 bars a page, also with 10 staves (backing vocals, percussion)
    mscore(src, tmp_path / "saved.musicxml")
    saved = (tmp_path / "saved.musicxml").read_text(encoding="utf-8")
    assert "MuseScore" in saved and "<unpitched>" in saved and "<lyric" in saved and "<harmony" in saved
    result = import_notation_report(song, tmp_path / "saved.musicxml")
    assert describe_changes(song, result.score) == [] and result.score == song
    assert result.unmatched == ()


def test_musescore_reads_triplets_and_swing_without_warnings_and_saves_them_unchanged(tmp_path):
    from lemm.score.model import Note, Score, Track

    from .test_musicxml import TRIPLETS

    swung = tuple(Note(60 + k % 5, 480 * (k // 2) + (0 if k % 2 == 0 else 320), 200 if k % 2 == 0 else 140, 90) for k in range(32))
    swing = Score(title="swing", tracks=(Track("sax", "woodwind", "flute", program=65, notes=swung),))
    for song, tuplets, words in ((TRIPLETS, 14, ""), (swing, 0, "Swing")):
        src = write_musicxml(song, tmp_path / "t.musicxml")
        log = mscore(src, tmp_path / "t.pdf")
        assert not [line for line in log.splitlines() if "tuplet" in line.lower()]
        mscore(src, tmp_path / "saved.musicxml")
        saved = (tmp_path / "saved.musicxml").read_text(encoding="utf-8")
        assert saved.count("<time-modification>") == tuplets and words in saved
        assert import_notation_report(song, tmp_path / "saved.musicxml").score == song
