"""Shared fixtures for the DAW export tests: a hand-built score with tempo and meter changes, and tiny stems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lemm.io.audio import write_audio
from lemm.score.model import MeterChange, Note, Score, Section, TempoChange, Track

SAMPLE_RATE = 48000


def changing_score() -> Score:
    """120 bpm 4/4, 90 bpm from beat 8, 3/4 from beat 12, 140 bpm from beat 16; three sections.

    Hand-computed seconds (independent of lemm.score.timing):
    beat 8 -> 4.0 s; beat 12 -> 4 + 4 * 60/90 = 6.666667 s; beat 16 -> 4 + 8 * 60/90 = 9.333333 s;
    beat 19 -> 9.333333 + 3 * 60/140 = 10.619048 s.
    """
    drums = Track(
        name="drums", role="drums", preset="kit", is_drum=True,
        notes=(Note(36, 0, 240, 100), Note(42, 0, 120, 64), Note(38, 960, 240, 90)),
    )
    bass = Track(name="bass", role="bass", preset="bass", pan=-0.5, gain_db=-6.0,
                 notes=(Note(40, 0, 960, 80), Note(43, 3840, 480, 70), Note(40, 8160, 960, 127)))
    pad = Track(name="pad", role="pad", preset="pad", pan=0.25)
    return Score(
        title="changes",
        tempos=(TempoChange(0, 120.0), TempoChange(3840, 90.0), TempoChange(7680, 140.0)),
        meters=(MeterChange(0, 4, 4), MeterChange(5760, 3, 4)),
        sections=(
            Section("intro", "intro", 0, 3840),
            Section("verse 1", "verse", 3840, 3840),
            Section('the "big" chorus', "chorus", 7680, 1440),
        ),
        tracks=(drums, bass, pad),
    )


#: Section starts/ends and tempo-point times of :func:`changing_score`, in seconds, by hand.
SECTION_SECONDS = [(0.0, 4.0), (4.0, 9.0 + 1.0 / 3.0), (9.0 + 1.0 / 3.0, 9.0 + 1.0 / 3.0 + 3 * 60 / 140)]
TEMPO_POINT_SECONDS = [0.0, 4.0, 4.0 + 4 * 60 / 90, 4.0 + 8 * 60 / 90]


@pytest.fixture
def score() -> Score:
    return changing_score()


@pytest.fixture
def song_folder(tmp_path: Path, score: Score) -> Path:
    """A song folder with 12 s stereo stems (mostly silence) for every track of the score."""
    folder = tmp_path / "song"
    n = 12 * SAMPLE_RATE
    for i, track in enumerate(score.tracks):
        audio = np.zeros((2, n), np.float32)
        audio[:, :: 4800] = 0.1 * (i + 1)
        write_audio(folder / "stems" / f"{track.name}.wav", audio, sample_rate=SAMPLE_RATE)
    return folder
