"""MIDI files re-written by common tools (pretty_midi, miditoolkit, music21) and a DAW-style export (960 PPQ, no text
events) import back into the song: nothing of lyrics, chords, sections or title is lost, and every change is reported."""

from __future__ import annotations

import functools
import itertools
import math
from pathlib import Path

import mido
import pytest

import lemm
from lemm.score.merge import describe_changes, import_notation_report
from lemm.score.midi import write_midi

LYRICS = "the sun is up and the sky is blue\nwe go home tonight and sing a song for you"


@functools.lru_cache(maxsize=1)
def song():
    return lemm.compose("a pop song", tags=("pop",), duration="0:30", seed=2, lyrics=LYRICS).score


def daw_export(src: Path, dst: Path) -> None:
    """What a DAW's MIDI export does: 960 ticks per quarter, no text, marker, lyric or key events."""
    mid = mido.MidiFile(src)
    out = mido.MidiFile(type=1, ticks_per_beat=960)
    for track in mid.tracks:
        new, carry = mido.MidiTrack(), 0
        for msg in track:
            if msg.type in ("text", "marker", "lyrics", "key_signature"):
                carry += msg.time
                continue
            new.append(msg.copy(time=(msg.time + carry) * 960 // mid.ticks_per_beat))
            carry = 0
        out.tracks.append(new)
    out.save(dst)


def through(tool: str, src: Path, dst: Path) -> None:
    if tool == "pretty_midi":
        pytest.importorskip("pretty_midi").PrettyMIDI(str(src)).write(str(dst))
    elif tool == "miditoolkit":
        pytest.importorskip("miditoolkit").MidiFile(str(src)).dump(str(dst))
    elif tool == "music21":
        pytest.importorskip("music21").converter.parse(str(src)).write("midi", fp=str(dst))
    else:
        daw_export(src, dst)


def counts(score) -> tuple:
    return (sum(1 for t in score.tracks for n in t.notes if n.lyric is not None), len(score.chords), len(score.sections), score.title)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("tool", ["pretty_midi", "miditoolkit", "music21", "daw-960"])
def test_midi_rewritten_by_a_tool_imports_without_losing_lyrics_chords_sections_or_title(tool, tmp_path):
    s = song()
    dst = tmp_path / "tool.mid"
    through(tool, write_midi(s, tmp_path / "song.mid"), dst)
    result = import_notation_report(s, dst)  # no deletions: it would raise without allow_deletions
    assert counts(result.score) == counts(s)
    changes = describe_changes(s, result.score)
    if tool == "music21":  # music21 quantises what it reads: those edits are reported, nothing else
        assert changes and all("notes" in line for line in changes)
    else:
        assert changes == [] and result.score == s
    what = " ".join(result.kept)
    if tool in ("miditoolkit", "daw-960"):
        assert "chord symbols" in what
    if tool != "music21":
        assert "lyrics" in what  # the lyric events no longer sit in the vocal track


def test_gain_is_cc7_and_vibrato_is_pitch_bend():
    from lemm.score.midi import midi_to_score, score_to_midi
    from lemm.score.model import CurvePoint, ExpressionCurve, Note, Score, TempoChange, Track

    lead = Track("lead", "lead", "flute", program=73, gain_db=-12.0, notes=(Note(72, 0, 1920),),  # 2 s at 120 bpm
                 expression=(ExpressionCurve("vibrato_depth_cents", (CurvePoint(0, 50.0),)), ExpressionCurve("vibrato_rate_hz", (CurvePoint(0, 5.0),))))
    score = Score(tempos=(TempoChange(0, 120.0),), tracks=(lead,))
    mid = score_to_midi(score)
    msgs = [(t, msg) for t, msg in zip(itertools.accumulate(x.time for x in mid.tracks[1]), mid.tracks[1], strict=True)]
    assert [msg.value for _, msg in msgs if msg.type == "control_change" and msg.control == 7] == [64]  # 127 * 10^(-12/40)
    bends = [(t, msg.pitch) for t, msg in msgs if msg.type == "pitchwheel"]
    bend_range = next(msg.value for _, msg in msgs if msg.type == "control_change" and msg.control == 6)
    cents = [100 * bend_range * p / 8192 for _, p in bends]
    assert 47 <= max(cents) <= 50.1 and -50.1 <= min(cents) <= -47
    crossings = sum(1 for a, b in itertools.pairwise(cents) if a < 0 <= b)
    assert crossings in (9, 10)  # 5 Hz for 2 s
    expected = [50 * math.sin(2 * math.pi * 5.0 * t / 960) for t, _ in bends[:-1]]
    assert max(abs(a - b) for a, b in zip(cents, expected, strict=False)) < 1.0  # the last bend (the reset) is not compared
    plain = mido.MidiFile(type=1, ticks_per_beat=480)
    for track in mid.tracks:
        plain.tracks.append(mido.MidiTrack(msg for msg in track if not (msg.type == "text" and msg.text.startswith("lemm:"))))
    assert abs(midi_to_score(plain).track("lead").gain_db - (-12.0)) < 0.2
