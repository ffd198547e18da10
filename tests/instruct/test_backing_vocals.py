"""'remove the backing vocals' / 'no backing vocals': the backing-vocal tracks go, the lead vocal and the rest stay."""

from __future__ import annotations

import pytest

import lemm
from lemm.errors import ParameterError
from lemm.instruct import CAPABILITIES, InstructionError, apply_operations, parse_instruction
from lemm.instruct.operations import MuteTrack, RemoveBackingVocals, RemoveNotes, ResizeSections

LYRICS = """Morning trains are running early
coffee steaming in the cup

Turn it up and let it shine now
every window open wide"""


@pytest.fixture(scope="module")
def backed():
    song = lemm.compose("pop", duration="0:40", seed=2, lyrics=LYRICS)
    assert [t.name for t in song.score.tracks if t.role == "vocal"] == ["vocal", "backing"]
    assert song.score.track("backing").notes
    return song


@pytest.mark.parametrize("text", ["remove the backing vocals", "No backing vocals, please", "get rid of the backup singers",
                                  "remove the harmonies", "delete all the backing vocals", "lead vocal only", "solo voice"])
def test_remove_the_backing_vocals(backed, text):
    ops = parse_instruction(text, backed)
    assert ops == (RemoveBackingVocals(("backing",)),)
    assert "lead vocal sings alone" in ops[0].describe()
    new = apply_operations(backed, ops)
    assert [t.name for t in new.score.tracks] == [t.name for t in backed.score.tracks if t.name != "backing"]
    assert new.plan == backed.plan  # the plan is the record of how the song was composed, never edited
    for t in new.score.tracks:  # the lead vocal and every other track as they were
        assert t == backed.score.track(t.name)


def test_backing_vocals_stay_gone_when_the_song_is_recomposed(backed):
    chorus = next(s.name for s in backed.score.sections if s.kind == "chorus")
    ops = parse_instruction(f"no backing vocals; double the length of the {chorus}", backed)
    assert isinstance(ops[1], ResizeSections)
    new = apply_operations(backed, ops)
    assert [t.name for t in new.score.tracks if t.role == "vocal"] == ["vocal"]
    assert new.score.track("vocal").notes


def test_backing_vocals_out_of_one_section_or_muted(backed):
    chorus = next(s for s in backed.score.sections if s.kind == "chorus")
    ops = parse_instruction(f"remove the backing vocals in the {chorus.name}", backed)
    assert ops == (RemoveNotes("backing", (chorus.name,)),)
    new = apply_operations(backed, ops)
    assert not [n for n in new.score.track("backing").notes if chorus.start_tick <= n.start_tick < chorus.end_tick]
    assert new.score.track("vocal") == backed.score.track("vocal")
    assert parse_instruction("mute the backing vocals", backed) == (MuteTrack("backing"),)


def test_a_song_without_backing_vocals_refuses(song):
    with pytest.raises(InstructionError) as info:
        parse_instruction("remove the backing vocals", song)
    message = str(info.value)
    assert message.startswith("cannot do 'remove the backing vocals': the song has no backing vocals (vocal tracks: none)")
    assert CAPABILITIES in message and "remove|mute the backing vocals" in CAPABILITIES


def test_the_operation_needs_a_track():
    with pytest.raises(ParameterError, match="RemoveBackingVocals.tracks"):
        RemoveBackingVocals(())
