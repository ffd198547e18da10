"""Edited MusicXML/MIDI exports merged back into the song: edits by music21 and mido scripts, as an editor or a DAW would."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings

from lemm.errors import FileFormatError, LemmError, LemmFileNotFoundError, ParameterError, ScoreError
from lemm.score.merge import _note_starts_in_view, changed_slices, describe_changes, import_notation, import_notation_report, merge_edits
from lemm.score.midi import write_midi
from lemm.score.model import Lyric, Note, Score, Section, Track
from lemm.score.musicxml import write_musicxml

from .strategies import scores

music21 = pytest.importorskip("music21")
LYRICS = (Path(__file__).resolve().parents[2] / "examples" / "lyrics.txt").read_text(encoding="utf-8")


def q(tick: int, resolution: int = 480) -> int:
    """A tick on MusicXML's 1/24-quarter grid (independent of lemm's quantiser)."""
    return round(tick * 24 / resolution) * resolution // 24


@pytest.fixture(scope="module")
def song() -> Score:
    import lemm

    return lemm.compose("pop song", tags=("pop",), lyrics=LYRICS, duration="0:40", seed=1).score


@pytest.fixture(scope="module")
def exported(song, tmp_path_factory) -> Path:
    return write_musicxml(song, tmp_path_factory.mktemp("x") / "song.musicxml")


def edit_xml(src: Path, dst: Path, edit) -> Path:
    """Parse lemm's file with music21, let ``edit`` change the stream, write it with music21's own writer."""
    sc = music21.converter.parse(str(src), forceSource=True)
    edit(sc)
    sc.write("musicxml", fp=str(dst))
    return dst


def part(sc, name: str):
    return next(p for p in sc.parts if p.partName == name)


def plain_notes(p, *, min_bar: int = 2):
    """(tick, element) of single untied notes of a part (not chords), from bar ``min_bar`` on."""
    out = []
    for meas in p.getElementsByClass(music21.stream.Measure):
        if meas.number < min_bar:
            continue
        for el in meas.recurse().getElementsByClass(music21.note.Note):
            if el.tie is None:
                out.append((int(Fraction(meas.offset + el.offset) * 480) if el.activeSite is meas else None, el))
    return [(t, el) for t, el in out if t is not None]


def original(score: Score, name: str, tick: int, pitch: int) -> Note:
    """The song's note that lemm's page writes at ``tick`` with ``pitch``."""
    note_start, _ = _note_starts_in_view(score)
    return next(n for n in score.track(name).notes if note_start(name, n) == tick and n.pitch == pitch)


def with_note(score: Score, name: str, old: Note | None, new: Note | None) -> Score:
    track = score.track(name)
    notes = [n for n in track.notes if n is not old] + ([new] if new is not None else [])
    notes.sort(key=lambda n: (n.start_tick, n.pitch))
    return dataclasses.replace(score, tracks=tuple(dataclasses.replace(t, notes=tuple(notes)) if t.name == name else t for t in score.tracks))


# ----------------------------------------------------------------------------------------------------- unedited round trips


def test_unedited_round_trips_change_nothing(song, exported, tmp_path):
    assert import_notation(song, exported) == song
    assert import_notation(song, write_midi(song, tmp_path / "song.mid")) == song
    again = edit_xml(exported, tmp_path / "resaved.musicxml", lambda _sc: None)  # music21 drops chord velocities
    assert import_notation(song, again) == song


def test_a_longer_song_round_trips(tmp_path):
    import lemm

    long = lemm.compose("rock song", tags=("rock",), lyrics=LYRICS, duration="1:00", seed=7).score
    assert import_notation(long, write_midi(long, tmp_path / "a.mid")) == long  # MusicXML: the 0:40 song above


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scores(resolutions=(96, 480), max_tracks=2, max_notes=10, min_notes=1))
def test_hypothesis_unedited_round_trips(tmp_path, score):
    assert import_notation(score, write_musicxml(score, tmp_path / "s.musicxml")) == score
    assert import_notation(score, write_midi(score, tmp_path / "s.mid")) == score


# ----------------------------------------------------------------------------------------------------- one-bar edits


def test_changed_pitch_keeps_the_original_timing(song, exported, tmp_path):
    seen = {}

    def edit(sc):
        seen["tick"], n = plain_notes(part(sc, "vocal"), min_bar=5)[0]
        seen["pitch"] = n.pitch.midi
        n.pitch.midi += 2

    out = import_notation(song, edit_xml(exported, tmp_path / "e.musicxml", edit))
    old = original(song, "vocal", seen["tick"], seen["pitch"])
    assert out == with_note(song, "vocal", old, dataclasses.replace(old, pitch=old.pitch + 2))
    assert changed_slices(song, out) == {("vocal", "verse")}
    assert describe_changes(song, out) == ["verse vocal: 1 note changed"]


def test_changed_lyric_changes_the_vocal(song, exported, tmp_path):
    seen = {}

    def edit(sc):
        notes = plain_notes(part(sc, "vocal"), min_bar=5)
        seen["tick"], n = next((t, el) for t, el in notes if el.lyrics and not el.lyrics[0].text.endswith("_"))
        seen["pitch"] = n.pitch.midi
        n.lyrics[0].text = "moon"

    out = import_notation(song, edit_xml(exported, tmp_path / "l.musicxml", edit))
    old = original(song, "vocal", seen["tick"], seen["pitch"])
    assert out == with_note(song, "vocal", old, dataclasses.replace(old, lyric=Lyric("moon", old.lyric.syllabic, False)))
    assert describe_changes(song, out) == ["verse vocal: 1 lyric changed"]


def test_changed_dynamic_marking(song, exported, tmp_path):
    def edit(sc):
        d = next(iter(part(sc, "bass").recurse().getElementsByClass(music21.dynamics.Dynamic)))
        d.value = "fff" if d.value != "fff" else "ppp"

    out = import_notation(song, edit_xml(exported, tmp_path / "d.musicxml", edit))
    bass = song.track("bass")
    first = bass.dynamics[0]
    marks = (dataclasses.replace(first, marking="fff" if first.marking != "fff" else "ppp"),) + bass.dynamics[1:]
    assert out == dataclasses.replace(song, tracks=tuple(dataclasses.replace(t, dynamics=marks) if t.name == "bass" else t for t in song.tracks))
    assert [(t, s) for t, s in changed_slices(song, out)] == [("bass", song.sections[0].name)] or first.tick >= song.sections[0].end_tick


def test_deleted_and_added_notes(song, exported, tmp_path):
    seen = {}

    def edit(sc):
        seen["tick"], n = plain_notes(part(sc, "bass"), min_bar=6)[0]
        inst = part(sc, "bass").getInstrument()  # the bass is written an octave up
        seen["pitch"] = n.pitch.transpose(inst.transposition).midi if inst.transposition else n.pitch.midi
        n.activeSite.replace(n, music21.note.Rest(quarterLength=n.quarterLength))  # delete
        vocal = part(sc, "vocal")
        meas = vocal.getElementsByClass(music21.stream.Measure)[0]  # the intro: no singing
        rest = next(iter(meas.getElementsByClass(music21.note.Rest)))
        new = music21.note.Note(50, quarterLength=1)
        new.volume.velocity = 70
        meas.remove(rest)
        meas.insert(0, new)
        meas.insert(1, music21.note.Rest(quarterLength=rest.quarterLength - 1))

    out = import_notation(song, edit_xml(exported, tmp_path / "n.musicxml", edit))
    tick = seen["tick"]
    old = original(song, "bass", tick, seen["pitch"])
    expected = with_note(song, "bass", old, None)
    expected = with_note(expected, "vocal", None, Note(50, 0, 480, 70))
    assert out == expected
    assert changed_slices(song, out) == {("bass", song.sections[1].name), ("vocal", song.sections[0].name)} or tick >= song.sections[1].end_tick
    assert set(describe_changes(song, out)) >= {"intro vocal: 1 note added"}


def test_inserted_bar_moves_everything_after_it(song, exported, tmp_path):
    bar = 1920
    at_bar = 5  # insert before bar 5 (a bar line no note sounds across, checked below)
    at = (at_bar - 1) * bar
    assert not any(q(n.start_tick) < at < q(n.end_tick) for t in song.tracks for n in t.notes)

    def edit(sc):
        for p in sc.parts:
            measures = list(p.getElementsByClass(music21.stream.Measure))
            p.shiftElements(4.0, startOffset=measures[at_bar - 1].offset)
            new = music21.stream.Measure(number=at_bar)
            r = music21.note.Rest(quarterLength=4.0)
            new.append(r)
            p.insert(measures[at_bar - 1].offset - 4.0, new)
            for i, meas in enumerate(p.getElementsByClass(music21.stream.Measure)):
                meas.number = i + 1

    out = import_notation(song, edit_xml(exported, tmp_path / "b.musicxml", edit))
    for old, new in zip(song.tracks, out.tracks, strict=True):
        assert new.notes == tuple(dataclasses.replace(n, start_tick=n.start_tick + bar) if q(n.start_tick) >= at else n for n in old.notes)
        assert (new.role, new.preset, new.pan, new.gain_db) == (old.role, old.preset, old.pan, old.gain_db)
    assert [(s.name, s.start_tick) for s in out.sections] == [(s.name, s.start_tick + (bar if s.start_tick >= at else 0)) for s in song.sections]
    assert out.sections[-1].end_tick == song.sections[-1].end_tick + bar
    assert [c.symbol for c in out.chords] == [c.symbol for c in song.chords]
    assert describe_changes(song, out) == [f"1 bar inserted before bar {at_bar}"]


# ----------------------------------------------------------------------------------------------------- a DAW's MIDI


def test_daw_velocity_edit_without_lemm_text(song, tmp_path):
    mid = mido.MidiFile(write_midi(song, tmp_path / "song.mid"))
    lo, hi = 4 * 1920, 5 * 1920  # bar 5
    out_file = mido.MidiFile(type=1, ticks_per_beat=mid.ticks_per_beat)
    for track in mid.tracks:
        name = next((x.name for x in track if x.type == "track_name"), "")
        new, now, carry = mido.MidiTrack(), 0, 0
        for msg in track:
            now += msg.time
            if msg.type == "text" and msg.text.startswith("lemm:"):
                carry += msg.time
                continue
            if name == "piano" and msg.type == "note_on" and msg.velocity > 0 and lo <= now < hi:
                msg = msg.copy(velocity=min(127, msg.velocity + 20))
            new.append(msg.copy(time=msg.time + carry))
            carry = 0
        out_file.tracks.append(new)
    path = tmp_path / "daw.mid"
    out_file.save(path)
    out = import_notation(song, path)
    piano = song.track("piano")
    notes = tuple(dataclasses.replace(n, velocity=min(127, n.velocity + 20)) if lo <= n.start_tick < hi else n for n in piano.notes)
    assert any(lo <= n.start_tick < hi for n in piano.notes)
    assert out == dataclasses.replace(song, tracks=tuple(dataclasses.replace(t, notes=notes) if t.name == "piano" else t for t in song.tracks))
    assert {t for t, _ in changed_slices(song, out)} == {"piano"}


# ----------------------------------------------------------------------------------------------------- bad input


def test_renamed_parts_match_by_their_notes_and_unknown_ones_are_refused(song, exported, tmp_path):
    path = tmp_path / "u.musicxml"
    path.write_text(exported.read_text(encoding="utf-8").replace(">piano<", ">kazoo<"), encoding="utf-8")
    assert "kazoo" in [p.partName for p in music21.converter.parse(str(path), forceSource=True).parts]
    result = import_notation_report(song, path)
    assert result.score == song and result.unmatched == ("part 'kazoo' matched to track 'piano' by its notes",)
    s = music21.stream.Score()
    p = music21.stream.Part()
    p.partName = "kazoo"
    p.append(music21.note.Note("C#7"))
    s.append(p)
    s.write("musicxml", fp=str(path))
    with pytest.raises(ScoreError, match="kazoo") as err:
        import_notation(song, path)
    assert "drums, bass, piano" in str(err.value)


def test_missing_parts_keep_their_tracks(song):
    keep = dataclasses.replace(song, tracks=song.tracks[:2])
    assert merge_edits(song, keep, keep) == song


def test_corrupt_and_unknown_files(song, tmp_path):
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<score-partwise><part id=")
    with pytest.raises(FileFormatError):
        import_notation(song, bad)
    mid = tmp_path / "bad.mid"
    mid.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00")
    with pytest.raises(FileFormatError):
        import_notation(song, mid)
    with pytest.raises(LemmFileNotFoundError):
        import_notation(song, tmp_path / "missing.mid")
    with pytest.raises(ParameterError, match="suffix"):
        import_notation(song, tmp_path / "song.pdf")


# ----------------------------------------------------------------------------------------------------- diffs


def test_changed_slices_and_descriptions_by_hand():
    drums = Track("drums", "drums", "synth_kit", is_drum=True, notes=tuple(Note(36, i * 480, 120, 100) for i in range(16)))
    a = Score(sections=(Section("verse 1", "verse", 0, 3840), Section("chorus 1", "chorus", 3840, 3840)), tracks=(drums,))
    louder = tuple(dataclasses.replace(n, velocity=120) if n.start_tick >= 3840 else n for n in drums.notes)
    b = dataclasses.replace(a, tracks=(dataclasses.replace(drums, notes=louder),))
    assert changed_slices(a, b) == {("drums", "chorus 1")}
    assert describe_changes(a, b) == ["chorus 1 drums: 8 notes changed"]
    assert changed_slices(a, a) == set() and describe_changes(a, a) == []
    c = dataclasses.replace(b, tracks=b.tracks + (Track("bass", "bass", "synth_bass", notes=(Note(40, 0, 480),)),))
    assert changed_slices(b, c) == {("bass", "verse 1"), ("bass", "chorus 1")}
    assert describe_changes(b, c) == ["track 'bass' added"]
    with pytest.raises(LemmError):
        merge_edits(a, a, "not a score")


def test_a_file_without_key_modes_or_drum_notes_imports_unchanged(tmp_path):
    """MuseScore 3 saves no <mode>: A major -> F# minor (same signature) must not read as a deleted change."""
    from lemm.score.model import KeyChange, MeterChange, Note, Score, Track

    score = Score(
        keys=(KeyChange(0, "A", "major"), KeyChange(1920, "F#", "minor"), KeyChange(3840, "Gb", "minor")),
        meters=(MeterChange(0, 4, 4),),
        tracks=(Track("flute", "woodwind", "flute", program=73, notes=tuple(Note(69 + k % 3, 480 * k, 480) for k in range(12))),
                Track("drums", "drums", "acoustic_kit", is_drum=True)),
    )
    text = write_musicxml(score, tmp_path / "s.musicxml").read_text(encoding="utf-8")
    assert text.count("<mode>") == 3
    saved = tmp_path / "saved.musicxml"
    saved.write_text(text.replace("<mode>minor</mode>", "").replace("<mode>major</mode>", ""), encoding="utf-8")
    result = import_notation_report(score, saved)
    assert result.score == score and result.kept == ()
