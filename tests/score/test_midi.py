"""MIDI export/import: exact round trips of lemm files, plain-MIDI fidelity, bad input."""

from __future__ import annotations

import dataclasses
import struct

import mido
import pytest
from hypothesis import HealthCheck, given, settings

from lemm.errors import FileFormatError, LemmError, LemmFileNotFoundError, ScoreError
from lemm.score.midi import midi_to_score, read_midi, score_to_midi, section_kind_from_name, write_midi
from lemm.score.model import (
    ChordSymbol,
    CurvePoint,
    ExpressionCurve,
    KeyChange,
    Lyric,
    MeterChange,
    Note,
    Score,
    Section,
    TempoChange,
    Track,
)

from .strategies import scores

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VOCAL = Track(
    "vocal lead", "vocal", "voice_high", program=52, pan=-0.25,
    notes=(
        Note(64, 0, 480, 100, lyric=Lyric("sum", "begin")),
        Note(62, 480, 480, 90, articulation="staccato", lyric=Lyric("mé", "end")),
        Note(60, 960, 960, 80, lyric=Lyric("sun", "single")),
    ),
    expression=(ExpressionCurve("dynamics", (CurvePoint(0, 0.2), CurvePoint(960, 1.0))), ExpressionCurve("pitch_bend_semitones", (CurvePoint(0, 0.0), CurvePoint(480, -5.0)))),
)  # fmt: skip
DRUMS = Track("drums", "drums", "acoustic_kit", is_drum=True, notes=(Note(36, 0, 120, 110), Note(42, 0, 60, 70), Note(38, 480, 120, 100)))
SONG = Score(
    title="Sommer 夏 ü",
    resolution=480,
    tempos=(TempoChange(0, 96.0), TempoChange(1920, 123.4)),
    meters=(MeterChange(0, 4, 4), MeterChange(1920, 3, 4)),
    keys=(KeyChange(0, "Eb", "major"), KeyChange(1920, "D#", "major")),
    sections=(Section("verse 1", "verse", 0, 1920, 0.3), Section("chorus 2", "chorus", 1920, 1440, 0.9)),
    chords=(ChordSymbol(0, 960, "Am7"), ChordSymbol(960, 480, "F/A")),
    tracks=(VOCAL, DRUMS),
)


def _strip_lemm(mid: mido.MidiFile) -> mido.MidiFile:
    """The file as another program would write it: no lemm text events."""
    out = mido.MidiFile(type=1, ticks_per_beat=mid.ticks_per_beat, charset="utf-8")
    for track in mid.tracks:
        new, carry = mido.MidiTrack(), 0
        for msg in track:
            if msg.type == "text" and msg.text.startswith("lemm:"):
                carry += msg.time
                continue
            new.append(msg.copy(time=msg.time + carry))
            carry = 0
        out.tracks.append(new)
    return out


def test_conductor_track_markers_and_channels():
    mid = score_to_midi(SONG)
    assert mid.type == 1 and mid.ticks_per_beat == 480 and len(mid.tracks) == 3
    conductor = mid.tracks[0]
    assert conductor.name == "Sommer 夏 ü"
    assert [m.text for m in conductor if m.type == "marker"] == ["verse 1", "chorus 2"]
    assert [round(mido.tempo2bpm(m.tempo), 2) for m in conductor if m.type == "set_tempo"] == [96.0, 123.4]
    assert [(m.numerator, m.denominator) for m in conductor if m.type == "time_signature"] == [(4, 4), (3, 4)]
    assert [m.key for m in conductor if m.type == "key_signature"] == ["Eb", "Eb"]
    assert [m.text for m in conductor if m.type == "text" and m.text.startswith("chord:")] == ["chord:Am7", "chord:F/A"]
    assert [t.name for t in mid.tracks[1:]] == ["vocal lead", "drums"]
    assert {m.channel for m in mid.tracks[2] if m.type == "note_on"} == {9}
    assert {m.channel for m in mid.tracks[1] if m.type == "note_on"} == {0}
    assert [m.program for m in mid.tracks[1] if m.type == "program_change"] == [52]
    assert [m.text for m in mid.tracks[1] if m.type == "lyrics"] == ["sum-", "mé", "sun"]
    assert [m.value for m in mid.tracks[1] if m.type == "control_change" and m.control == 10] == [48]
    rpn = [(m.control, m.value) for m in mid.tracks[1] if m.type == "control_change" and m.control in (101, 100, 6)]
    assert rpn[:3] == [(101, 0), (100, 0), (6, 5)]
    bends = [m.pitch for m in mid.tracks[1] if m.type == "pitchwheel"]
    assert bends[0] == 0 and bends[-1] == -8192
    assert [m.value for m in mid.tracks[1] if m.type == "control_change" and m.control == 11][-1] == 127


def test_file_round_trip_is_exact_and_deterministic(tmp_path):
    a = write_midi(SONG, tmp_path / "a.mid")
    b = write_midi(SONG, tmp_path / "b.mid")
    assert a.read_bytes() == b.read_bytes()
    assert read_midi(a) == SONG
    # mido agrees on the note count and the drum channel
    mid = mido.MidiFile(a)
    assert sum(1 for t in mid.tracks for m in t if m.type == "note_on") == 6


def test_many_tracks_skip_channel_ten():
    tracks = tuple(Track(f"t{i}", "keys", "acoustic_piano", notes=(Note(60, 0, 480),)) for i in range(17))
    mid = score_to_midi(Score(tracks=tracks))
    channels = [next(m.channel for m in t if m.type == "note_on") for t in mid.tracks[1:]]
    assert 9 not in channels and channels[:15] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15] and channels[15:] == [0, 1]
    assert midi_to_score(mid).tracks == tracks


@SETTINGS
@given(scores(min_notes=1))
def test_lemm_midi_round_trip_is_exact(score):
    assert midi_to_score(score_to_midi(score)) == score


@SETTINGS
@given(scores(min_notes=1, extras=False))
def test_plain_midi_keeps_what_midi_carries(score):
    back = midi_to_score(_strip_lemm(score_to_midi(score)))
    assert back.resolution == score.resolution and back.meters == score.meters
    assert [round(t.tempo_bpm, 1) for t in back.tempos] == pytest.approx([round(t.tempo_bpm, 1) for t in score.tempos], abs=0.11)
    assert [s.name for s in back.sections] == [s.name for s in score.sections]
    assert [s.start_tick for s in back.sections] == [s.start_tick for s in score.sections]
    assert [(c.start_tick, c.symbol) for c in back.chords] == [(c.start_tick, c.symbol) for c in score.chords]
    kept = [t for t in score.tracks if t.notes]
    assert [t.name for t in back.tracks] == [t.name for t in kept]
    for a, b in zip(kept, back.tracks, strict=True):
        assert b.is_drum == a.is_drum and b.program == a.program
        assert sorted((n.pitch, n.start_tick, n.velocity) for n in b.notes) == sorted((n.pitch, n.start_tick, n.velocity) for n in a.notes)
        overlapping = any(x.pitch == y.pitch and y.start_tick < x.end_tick for i, x in enumerate(a.notes) for y in a.notes[i + 1 :])
        if not overlapping:
            assert [n.duration_ticks for n in b.notes] == [n.duration_ticks for n in a.notes]


def test_plain_midi_lyrics_and_section_kinds():
    back = midi_to_score(_strip_lemm(score_to_midi(SONG)))
    assert [n.lyric for n in back.track("vocal lead").notes] == [n.lyric for n in VOCAL.notes]
    assert back.track("vocal lead").role == "vocal"
    assert [s.kind for s in back.sections] == ["verse", "chorus"]
    assert back.keys == (KeyChange(0, "Eb", "major"), KeyChange(1920, "Eb", "major"))
    assert back.track("vocal lead").pan == pytest.approx(-0.25)
    assert back.track("drums").role == "drums" and back.track("drums").is_drum
    assert back.title == "Sommer 夏 ü"
    assert section_kind_from_name("Chorus 2") == "chorus" and section_kind_from_name("Gizmo") == "verse"


def _raw_file(tmp_path, messages, *, type_=1, ticks=480) -> str:
    mid = mido.MidiFile(type=type_, ticks_per_beat=ticks)
    mid.tracks.append(mido.MidiTrack(messages))
    path = tmp_path / "raw.mid"
    mid.save(path)
    return path


def test_type0_running_status_velocity_zero_and_overlaps(tmp_path):
    msgs = [
        mido.MetaMessage("track_name", name="Song", time=0),
        mido.Message("program_change", channel=1, program=33, time=0),
        mido.Message("note_on", channel=0, note=60, velocity=90, time=0),
        mido.Message("note_on", channel=1, note=40, velocity=80, time=0),
        mido.Message("note_on", channel=0, note=60, velocity=70, time=240),  # same pitch again, overlapping
        mido.Message("note_on", channel=0, note=60, velocity=0, time=240),  # velocity 0 = note off (first on)
        mido.Message("note_off", channel=0, note=60, velocity=0, time=240),
        mido.Message("note_on", channel=1, note=40, velocity=0, time=0),
        mido.Message("note_on", channel=9, note=36, velocity=100, time=0),
        mido.Message("note_on", channel=9, note=36, velocity=0, time=0),  # zero length
    ]
    path = _raw_file(tmp_path, msgs, type_=0)
    assert b"\x90" in path.read_bytes()  # mido writes running status: repeated status bytes are omitted
    s = read_midi(path)
    assert [t.name for t in s.tracks] == ["Song ch1", "Song ch2", "Song ch10"]
    assert [(n.pitch, n.start_tick, n.duration_ticks, n.velocity) for n in s.tracks[0].notes] == [(60, 0, 480, 90), (60, 240, 480, 70)]
    assert s.tracks[1].role == "bass" and s.tracks[1].notes[0].duration_ticks == 720
    assert s.tracks[2].is_drum and s.tracks[2].notes[0].duration_ticks == 1


def test_bad_midi_inputs(tmp_path):
    with pytest.raises(LemmFileNotFoundError):
        read_midi(tmp_path / "missing.mid")
    corrupt = tmp_path / "corrupt.mid"
    corrupt.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x00\x40\x00\x90")
    with pytest.raises(FileFormatError):
        read_midi(corrupt)
    garbage = tmp_path / "garbage.mid"
    garbage.write_bytes(b"this is not midi at all")
    with pytest.raises(FileFormatError):
        read_midi(garbage)
    with pytest.raises(ScoreError, match="at least one note"):
        read_midi(_raw_file(tmp_path, [mido.MetaMessage("set_tempo", tempo=500000)]))
    note = [mido.Message("note_on", note=60, velocity=90), mido.Message("note_off", note=60, time=480)]
    for tempo_us, shown in ((6000, "10000 bpm"), (16_777_215, "3.57628 bpm")):
        with pytest.raises(LemmError, match=f"20..400 bpm, got {shown}"):
            read_midi(_raw_file(tmp_path, [mido.MetaMessage("set_tempo", tempo=tempo_us)] + note))
    zero = tmp_path / "zero.mid"
    data = bytearray(_raw_file(tmp_path, [mido.MetaMessage("set_tempo", tempo=500000)] + note).read_bytes())
    i = data.index(b"\xff\x51\x03")
    data[i + 3 : i + 6] = b"\x00\x00\x00"  # tempo 0 microseconds per quarter
    zero.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="got inf bpm"):
        read_midi(zero)


def test_write_is_atomic_on_error(tmp_path):
    target = tmp_path / "x.mid"
    target.write_bytes(b"old")
    bad = dataclasses.replace(SONG)
    object.__setattr__(bad, "resolution", 70000)  # bypasses validation: too large for a MIDI header, mido refuses
    with pytest.raises(struct.error):
        write_midi(bad, target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["x.mid"]
