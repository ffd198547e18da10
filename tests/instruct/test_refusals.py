"""Sentences outside the grammar, unknown names and impossible edits are refused clearly, and change nothing."""

from __future__ import annotations

import json

import pytest

from lemm.errors import LemmError
from lemm.instruct import CAPABILITIES, InstructionError, apply_operations, parse_instruction

OUTSIDE = [
    "make it sound like the beatles",
    "what key is this in?",
    "write me a new song about love",
    "make the drums sadder",
    "please fix the mix",
    "undo",
    "play it backwards",
    "transpose the bass sideways",
    "swap the piano",
    "",
]


@pytest.mark.parametrize("text", OUTSIDE)
def test_outside_the_grammar_is_refused_with_the_grammar(song, text):
    with pytest.raises(InstructionError) as info:
        parse_instruction(text, song)
    message = str(info.value)
    assert CAPABILITIES in message
    assert "swap piano for electric piano" in message and "regenerate the bass in verse 1" in message
    assert isinstance(info.value, LemmError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("text, says", [
    ("make the kazoo louder", ["unknown track 'kazoo'", "drums (drums, synth_kit)", "strings (strings, string_ensemble)"]),
    ("regenerate the bass in the solo", ["unknown section 'solo'", "intro, verse 1, chorus 1"]),
    ("make the drums heavier in the fourth chorus", ["only 3 choruses", "chorus 1, chorus 2, chorus 3"]),
    ("quieter strings in the pre-chorus", ["no pre-chorus"]),
    ("swap piano for kazoo", ["unknown instrument 'kazoo'", "electric piano"]),
    ("add more cowbell", ["unknown instrument 'cowbell'"]),
    ("swap the drums for a cello", ["track 'drums' needs a drum kit"]),
    ("transpose the drums up a step", ["drum tracks are never transposed"]),
    ("double the drums", ["length of sections"]),
    ("set the tempo to 900 bpm", ["20..400"]),
    ("quieter strings in the bridge by 3 db", ["applies to a whole track"]),
    ("swap piano for organ in the chorus", ["whole track"]),
    ("transpose up a step with seed 4", ["'with seed N' goes with regenerate only"]),
])
def test_what_was_not_understood_is_named(song, text, says):
    with pytest.raises(InstructionError) as info:
        parse_instruction(text, song)
    first = str(info.value).splitlines()[0]
    for piece in says:
        assert piece in first, first


def test_an_edit_that_empties_a_section_is_refused_and_changes_nothing(song):
    before = (song.score, song.plan, song.brief, song.mix_settings)
    ops = parse_instruction("mute everything in the bridge", song)
    with pytest.raises(InstructionError, match="would leave 'bridge' with no notes"):
        apply_operations(song, ops)
    assert (song.score, song.plan, song.brief, song.mix_settings) == before


def test_halving_a_one_bar_section_is_refused(song):
    with pytest.raises(LemmError, match="1 bar|0 bars"):
        apply_operations(song, parse_instruction("halve the intro; halve the intro", song))
    one_bar = apply_operations(song, parse_instruction("halve the intro", song))
    with pytest.raises(InstructionError, match="would leave the section empty"):
        parse_instruction("halve the intro", one_bar)


def test_removing_every_track_is_refused(song):
    with pytest.raises(InstructionError, match="empty"):
        parse_instruction("remove everything", song)


def test_cli_refusal_writes_nothing(song, tmp_path, capsys):
    from lemm.instruct.cli import main
    from lemm.project.folder import song_to_dict

    (tmp_path / "song.json").write_text(json.dumps(song_to_dict(song)), encoding="utf-8")
    before = (tmp_path / "song.json").read_bytes()
    assert main([str(tmp_path), "make the kazoo louder", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lemm: error:") and "unknown track 'kazoo'" in err
    assert (tmp_path / "song.json").read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["song.json"]
