"""The instrument catalogue is the one table every layer reads (GM programs, ranges, clefs)."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

from lemm.compose import profiles as profiles_pkg
from lemm.compose.instruments import DRUM_KITS, INSTRUMENT_WORDS, PRESET_PROGRAMS, PRESET_RANGES, VOICES
from lemm.compose.profiles import load_profile
from lemm.render.presets import list_presets
from lemm.render.soundfont import PRESET_PROGRAMS as SOUNDFONT_PROGRAMS
from lemm.score.instruments import INSTRUMENTS, InstrumentInfo, preset_for_program
from lemm.score.midi import score_to_midi
from lemm.score.model import Note, Score, Track
from lemm.score.notation.parts import layout_for
from lemm.vocals import VOICE_NAMES

# GM 1 sound set, 1-based names (MIDI Manufacturers Association, General MIDI System Level 1).
_GM_NAMES = {
    1: "Acoustic Grand Piano", 5: "Electric Piano 1", 17: "Drawbar Organ", 25: "Acoustic Guitar (nylon)",
    26: "Acoustic Guitar (steel)", 28: "Electric Guitar (clean)", 34: "Electric Bass (finger)", 39: "Synth Bass 1",
    43: "Cello", 49: "String Ensemble 1", 62: "Brass Section", 74: "Flute", 82: "Lead 2 (sawtooth)", 90: "Pad 2 (warm)",
}  # fmt: skip


def test_every_view_reads_the_catalogue():
    assert PRESET_PROGRAMS == {n: i.program for n, i in INSTRUMENTS.items()}
    assert PRESET_RANGES == {n: i.range for n, i in INSTRUMENTS.items() if i.range is not None}
    assert SOUNDFONT_PROGRAMS == {n: i.program for n, i in INSTRUMENTS.items() if i.kind == "pitched"}
    assert set(DRUM_KITS) == {n for n, i in INSTRUMENTS.items() if i.kind == "drum_kit"}
    assert set(VOICES) == set(VOICE_NAMES) == {n for n, i in INSTRUMENTS.items() if i.kind == "voice"}
    # every synth preset the renderer ships is in the catalogue
    assert set(list_presets()) <= set(INSTRUMENTS)


def test_programs_follow_the_gm_sound_set():
    # the clean electric guitar preset (its timbre is fitted to FluidR3 program 27) is GM 28, not 30 "Overdriven"
    assert INSTRUMENTS["electric_guitar"].program + 1 == 28 and _GM_NAMES[28] == "Electric Guitar (clean)"
    for name, info in INSTRUMENTS.items():
        if info.kind == "pitched":
            assert info.program + 1 in _GM_NAMES, name
            # the reverse map sends a preset's own program back to the preset
            assert preset_for_program(info.program) == (info.role, name)


def test_profiles_and_words_take_programs_from_the_catalogue():
    for path in Path(profiles_pkg.__file__).parent.glob("*.json"):
        raw = json.loads(path.read_text())
        assert all("program" not in p for p in raw["parts"]), path.name
        for part in load_profile(raw["name"]).parts:
            assert part.program == INSTRUMENTS[part.preset].program, (path.name, part.name)
    assert all(spec.program == INSTRUMENTS[spec.preset].program for spec in INSTRUMENT_WORDS.values())


def test_midi_export_writes_the_catalogue_program():
    track = Track("gtr", "guitar", "electric_guitar", program=INSTRUMENTS["electric_guitar"].program, notes=(Note(52, 0, 480),))
    mid = score_to_midi(Score(title="t", tracks=(track,)))
    programs = [msg.program for tr in mid.tracks for msg in tr if isinstance(msg, mido.Message) and msg.type == "program_change"]
    assert programs == [27]


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_clef_of_each_preset(name):
    info = INSTRUMENTS[name]
    low, high = info.range or (36, 36)
    track = Track(
        "t", info.role, name, program=info.program, is_drum=info.kind == "drum_kit", notes=(Note(low, 0, 480), Note(high, 480, 480))
    )
    layout = layout_for(track)
    expected = {"grand": 2, "percussion": 1, "treble": 1, "treble_8vb": 1, "bass_8vb": 1, "by_range": 1}[info.clef]
    assert layout.n_staves == expected
    assert layout.unpitched == (info.clef == "percussion")
    assert layout.transpose_octaves == (-1 if info.clef == "bass_8vb" else 0)
    if info.clef == "treble_8vb":
        assert layout.clefs[0].octave_change == -1


def test_bad_entries_are_refused():
    with pytest.raises(ValueError):
        InstrumentInfo("x", "pitched", "keys", 128, (0, 10), "treble")
    with pytest.raises(ValueError):
        InstrumentInfo("x", "drum_kit", "drums", 0, (0, 10), "percussion")
