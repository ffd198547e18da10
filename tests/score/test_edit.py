"""Pure score edits return new validated objects and leave their input untouched."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings

from lemm.errors import ParameterError, ScoreError
from lemm.score.edit import (
    add_track,
    notes_in_span,
    remove_track,
    replace_notes_in_span,
    replace_track,
    section_span,
    set_notes,
    set_tempo,
    transpose,
)
from lemm.score.model import Note, Score, Section, Track

from .strategies import scores

PIANO = Track("piano", "keys", "acoustic_piano", notes=(Note(60, 0, 960), Note(62, 480, 480), Note(64, 960, 480)))
DRUMS = Track("drums", "drums", "acoustic_kit", is_drum=True, notes=(Note(36, 0, 120), Note(38, 480, 120)))
SONG = Score(tracks=(PIANO, DRUMS), sections=(Section("verse 1", "verse", 0, 1920), Section("chorus 1", "chorus", 1920, 1920)))


def test_track_edits():
    bass = Track("bass", "bass", "electric_bass", notes=(Note(40, 0, 480),))
    s = add_track(SONG, bass)
    assert [t.name for t in s.tracks] == ["piano", "drums", "bass"]
    assert [t.name for t in SONG.tracks] == ["piano", "drums"]
    with pytest.raises(ScoreError, match="bass"):
        add_track(s, bass)
    assert [t.name for t in remove_track(s, "drums").tracks] == ["piano", "bass"]
    with pytest.raises(ScoreError, match="piano, drums"):
        remove_track(SONG, "nope")
    quiet = set_notes(PIANO, [])
    assert replace_track(SONG, quiet).tracks == (quiet, DRUMS)
    with pytest.raises(ScoreError):
        replace_track(SONG, bass)


def test_set_notes_sorts_and_span_queries():
    t = set_notes(PIANO, [Note(70, 960, 10), Note(50, 0, 10), Note(40, 960, 10)])
    assert [(n.start_tick, n.pitch) for n in t.notes] == [(0, 50), (960, 40), (960, 70)]
    assert [n.pitch for n in notes_in_span(PIANO, 0, 960)] == [60, 62]
    assert notes_in_span(PIANO, 961, 2000) == ()
    with pytest.raises(ParameterError, match="end_tick"):
        notes_in_span(PIANO, 10, 5)


def test_replace_notes_in_span_keeps_notes_crossing_in():
    t = replace_notes_in_span(PIANO, 480, 1440, [Note(72, 480, 240)])
    assert [(n.pitch, n.start_tick, n.duration_ticks) for n in t.notes] == [(60, 0, 960), (72, 480, 240)]
    with pytest.raises(ParameterError, match="new_notes"):
        replace_notes_in_span(PIANO, 480, 960, [Note(72, 960, 240)])


def test_transpose_skips_drums_and_respects_span():
    s = transpose(SONG, 3, start_tick=480)
    assert [n.pitch for n in s.track("piano").notes] == [60, 65, 67]
    assert s.track("drums") == DRUMS
    s = transpose(SONG, -12, track="piano", end_tick=480)
    assert [n.pitch for n in s.track("piano").notes] == [48, 62, 64]
    with pytest.raises(ParameterError, match="0..127"):
        transpose(SONG, 100)
    with pytest.raises(ScoreError):
        transpose(SONG, 1, track="nope")


def test_tempo_and_sections():
    assert set_tempo(SONG, 90).tempos[0].tempo_bpm == 90.0
    with pytest.raises(ScoreError, match="tempo_bpm"):
        set_tempo(SONG, 0)
    assert section_span(SONG, "chorus 1") == (1920, 3840)
    with pytest.raises(ScoreError, match="verse 1, chorus 1"):
        section_span(SONG, "bridge")


@settings(max_examples=25, deadline=None)
@given(scores(max_tracks=2, extras=False))
def test_transpose_round_trip(score):
    assume(all(n.pitch <= 122 for t in score.tracks for n in t.notes))
    up = transpose(score, 5)
    assert transpose(up, -5) == score
    for a, b in zip(score.tracks, up.tracks, strict=True):
        expect = [n.pitch + (0 if a.is_drum else 5) for n in a.notes]
        assert sorted(n.pitch for n in b.notes) == sorted(expect)
