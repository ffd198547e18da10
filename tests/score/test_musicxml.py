"""MusicXML export/import through music21: round trips on a notation grid, what music21 sees, bad input."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings

from lemm.errors import FileFormatError, LemmFileNotFoundError
from lemm.score.model import ChordSymbol, DynamicMark, Hairpin, KeyChange, Lyric, MeterChange, Note, Score, Section, TempoChange, Track
from lemm.score.musicxml import read_musicxml, score_to_musicxml, write_musicxml

from .strategies import scores

music21 = pytest.importorskip("music21")

VOCAL = Track(
    "vocal lead", "vocal", "voice_high", program=52,
    notes=(
        Note(64, 0, 480, 100, lyric=Lyric("sum", "begin")),
        Note(62, 480, 480, 90, articulation="staccato", lyric=Lyric("mer", "end")),
        Note(60, 960, 2880, 80, articulation="accent", lyric=Lyric("sun", "single")),  # crosses the bar line: tied
        Note(62, 3840, 160, 70, lyric=Lyric("", "single", True)),  # triplet eighth, melisma
    ),
    dynamics=(DynamicMark(0, "mf"),), hairpins=(Hairpin(0, 960, "diminuendo"),),
)  # fmt: skip
PIANO = Track("piano", "keys", "acoustic_piano", notes=(Note(48, 0, 1920, 60), Note(55, 0, 1920, 60), Note(60, 0, 960, 70), Note(62, 480, 960, 70)))
DRUMS = Track("drums", "drums", "acoustic_kit", is_drum=True, notes=(Note(36, 0, 120, 110), Note(38, 480, 120, 100)))
SONG = Score(
    title="Sommer",
    tempos=(TempoChange(0, 96.0), TempoChange(1920, 123.5)),
    meters=(MeterChange(0, 4, 4), MeterChange(1920, 3, 4)),
    keys=(KeyChange(0, "Eb", "major"), KeyChange(1920, "C#", "minor")),
    sections=(Section("verse 1", "verse", 0, 1920, 0.3), Section("chorus 2", "chorus", 1920, 2880, 0.9)),
    chords=(ChordSymbol(0, 960, "Am7"), ChordSymbol(960, 960, "Bb/D"), ChordSymbol(1920, 1440, "F#m7b5")),
    tracks=(VOCAL, PIANO, DRUMS),
)


@pytest.fixture(scope="module")
def song_file(tmp_path_factory):
    return write_musicxml(SONG, tmp_path_factory.mktemp("x") / "song.musicxml")


def test_round_trip_is_exact_on_the_grid(song_file):
    assert read_musicxml(song_file) == SONG


def test_music21_sees_lyrics_chords_marks_and_ties(song_file):
    sc = music21.converter.parse(str(song_file), forceSource=True)
    assert sc.metadata.bestTitle == "Sommer"
    assert [p.partName for p in sc.parts] == ["vocal lead", "piano", "drums"]
    vocal = sc.parts[0]
    assert [(ly.text, ly.syllabic) for n in vocal.recurse().notes for ly in n.lyrics] == [("sum", "begin"), ("mer", "end"), ("sun", "single"), ("_", "single")]
    tied = [n for n in vocal.recurse().notes if n.tie is not None]
    assert [n.tie.type for n in tied] == ["start", "continue", "stop"] and sum(n.quarterLength for n in tied) == 6
    assert [rm.content for rm in vocal.recurse().getElementsByClass("RehearsalMark")] == ["verse 1", "chorus 2"]
    figures = [(cs.root().name, cs.chordKind) for cs in vocal.recurse().getElementsByClass("ChordSymbol")]
    assert figures == [("A", "minor-seventh"), ("B-", "major"), ("F#", "half-diminished-seventh")]
    assert [mm.number for mm in vocal.recurse().getElementsByClass("MetronomeMark")] == [96.0, 123.5]
    assert [str(ts.ratioString) for ts in vocal.recurse().getElementsByClass("TimeSignature")] == ["4/4", "3/4"]
    assert [k.sharps for k in vocal.recurse().getElementsByClass("Key")] == [-3, 4]
    assert [type(a).__name__ for n in vocal.recurse().notes for a in n.articulations] == ["Staccato", "Accent"]
    piano = sc.parts[1]
    assert len(piano.getElementsByClass("Measure")[0].voices) == 3  # overlapping notes of different lengths
    assert any(isinstance(c, music21.chord.Chord) and [p.midi for p in c.pitches] == [48, 55] for c in piano.recurse().notes)
    assert sc.parts[2].recurse().getElementsByClass("PercussionClef")
    assert [n.volume.velocity for n in sc.parts[2].recurse().notes] == [110, 100]


def test_score_to_musicxml_builds_complete_measures():
    sc = score_to_musicxml(SONG)
    assert isinstance(sc, music21.stream.Score) and [p.partName for p in sc.parts] == ["vocal lead", "piano", "drums"]
    vocal = sc.parts[0].getElementsByClass(music21.stream.Measure)
    assert [m.barDuration.quarterLength for m in vocal] == [4.0, 3.0, 3.0]
    assert all(m.duration.quarterLength == m.barDuration.quarterLength for m in vocal)


def test_export_is_deterministic(tmp_path):
    a = write_musicxml(SONG, tmp_path / "a.musicxml").read_bytes()
    b = write_musicxml(SONG, tmp_path / "b.musicxml").read_bytes()
    assert a == b and b"<encoding-date>2000-01-01</encoding-date>" in a


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scores(grid="notation", resolutions=(96, 480), max_tracks=2, max_notes=10))
def test_hypothesis_round_trip_on_grid(tmp_path, score):
    assert read_musicxml(write_musicxml(score, tmp_path / "s.musicxml")) == score


def test_foreign_file_without_lemm_data(tmp_path, song_file):
    text = song_file.read_text(encoding="utf-8")
    start, end = text.index("<miscellaneous>"), text.index("</miscellaneous>") + len("</miscellaneous>")
    plain = tmp_path / "plain.musicxml"
    plain.write_text(text[:start] + text[end:], encoding="utf-8")
    back = read_musicxml(plain)
    assert back.title == "Sommer" and back.resolution == 480
    assert [t.name for t in back.tracks] == ["vocal lead", "piano", "drums"]
    assert [t.notes for t in back.tracks] == [t.notes for t in SONG.tracks]
    assert [(s.name, s.kind, s.start_tick) for s in back.sections] == [("verse 1", "verse", 0), ("chorus 2", "chorus", 1920)]
    assert [(c.start_tick, c.symbol) for c in back.chords] == [(0, "Am7"), (960, "Bb/D"), (1920, "F#m7b5")]
    assert back.tempos == SONG.tempos and back.meters == SONG.meters and back.keys == SONG.keys
    assert back.tracks[0].role == "vocal" and back.tracks[2].is_drum and back.tracks[1].role == "keys"


def test_off_grid_notes_are_quantised(tmp_path):
    odd = dataclasses.replace(SONG, tracks=(Track("p", "keys", "acoustic_piano", notes=(Note(60, 7, 101), Note(64, 96, 96 * 5))),))
    back = read_musicxml(write_musicxml(odd, tmp_path / "q.musicxml"))
    assert [(n.start_tick, n.duration_ticks) for n in back.tracks[0].notes] == [(0, 100), (100, 480)]


def test_bad_musicxml_inputs(tmp_path):
    with pytest.raises(LemmFileNotFoundError):
        read_musicxml(tmp_path / "missing.musicxml")
    bad = tmp_path / "bad.musicxml"
    bad.write_text("this is not xml <<<")
    with pytest.raises(FileFormatError):
        read_musicxml(bad)


def test_a_full_song_round_trips(tmp_path):
    """8 tracks, ~6000 notes, 3:30 at 120 bpm (its speed: benchmarks/compose.py)."""
    tracks = []
    for k in range(8):  # one note every 8th note; every other track with quarter notes (two voices)
        notes = tuple(Note(40 + k * 5 + (i % 7), i * 240, 480 if k % 2 else 240, 60 + i % 50) for i in range(838))
        tracks.append(Track(f"t{k}", "keys", "acoustic_piano", notes=notes))
    song = Score(title="long", tracks=tuple(tracks))
    assert 5000 <= sum(len(t.notes) for t in tracks) <= 7000
    path = write_musicxml(song, tmp_path / "long.musicxml")
    back = read_musicxml(path)
    assert back == song
