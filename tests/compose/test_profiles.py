"""Genre profiles: every shipped profile loads, names only shared presets, and its numerals realise in every key."""

from __future__ import annotations

import pytest

from lemm.compose.harmony import numeral_to_symbol
from lemm.compose.instruments import DRUM_KITS, PRESET_PROGRAMS, PRESET_RANGES
from lemm.compose.profiles import GenreProfile, genre_for_word, list_genres, load_profile
from lemm.errors import ParameterError
from lemm.score.harmony import parse_chord, pitch_class
from lemm.score.model import ROLES, SECTION_KINDS

SHARED_PRESETS = {
    "acoustic_piano", "electric_piano", "steel_guitar", "nylon_guitar", "electric_guitar", "electric_bass", "synth_bass",
    "string_ensemble", "cello", "brass", "flute", "synth_lead", "synth_pad", "organ",
}


def test_required_genres_are_shipped():
    assert {"pop", "rock", "edm", "hip-hop", "ballad"} <= set(list_genres())


@pytest.mark.parametrize("name", list_genres())
def test_profile_is_complete_and_uses_shared_names(name):
    p = load_profile(name)
    assert isinstance(p, GenreProfile) and p.name == name
    assert 30 <= p.tempo_bpm[0] < p.tempo_bpm[1] <= 300
    assert 0.0 <= p.swing <= 0.5
    for form in p.forms + p.extend:
        assert all(k in SECTION_KINDS for k in form)
    assert any("chorus" in f for f in p.forms)
    for part in p.parts:
        assert part.role in ROLES
        if part.is_drum:
            assert part.preset in DRUM_KITS
        elif part.role == "vocal":  # backing vocals, sung by lemm's voices
            assert part.preset in ("voice_low", "voice_high") and part.style in ("harmony", "double")
        else:
            assert part.preset in SHARED_PRESETS
            assert part.preset in PRESET_RANGES
    assert p.lead_preset in PRESET_RANGES and p.voice in ("voice_low", "voice_high")
    assert PRESET_PROGRAMS[p.lead_preset] == PRESET_PROGRAMS[p.lead_preset]
    with pytest.raises(Exception):
        p.name = "x"  # frozen


@pytest.mark.parametrize("name", list_genres())
def test_every_numeral_realises_in_every_key(name):
    p = load_profile(name)
    for mode in ("major", "minor"):
        numerals = {n for table in p.progressions[mode].values() for prog in table for bar in prog for n in bar.split()}
        numerals.add(p.cadence[mode])
        for tonic in ("C", "G", "F#", "Bb", "Eb", "A"):
            for n in numerals:
                chord = parse_chord(numeral_to_symbol(n, tonic, mode))
                assert 0 <= chord.root_pc < 12


def test_numeral_roots_against_music21():
    roman = pytest.importorskip("music21.roman")
    for numeral, key in (("V7", "C"), ("ii", "F"), ("vi", "E-"), ("IV", "B")):
        ref = roman.RomanNumeral(numeral, key)
        tonic = key.replace("-", "b")
        ours = parse_chord(numeral_to_symbol(numeral, tonic, "major"))
        assert ours.root_pc == ref.root().pitchClass
        assert set(ours.pitch_classes) == {p.pitchClass for p in ref.pitches}
    assert parse_chord(numeral_to_symbol("bVI", "A", "minor")).root_pc == pitch_class("F")


def test_aliases_and_unknown_genre():
    assert genre_for_word("House") == "edm"
    assert genre_for_word("r&b") == "rnb"
    assert load_profile("lo-fi").name == "lofi"
    with pytest.raises(ParameterError, match="genre"):
        load_profile("polka-metal")
    with pytest.raises(ParameterError):
        load_profile(42)
