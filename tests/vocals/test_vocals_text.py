"""syllabify: lyrics text -> lines -> words -> syllables (spelling split, hyphenation, stress)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import ParameterError
from lemm.text.syllables import flat_syllables
from lemm.vocals import syllabify


def test_lines_stanzas_and_syllable_counts() -> None:
    lines = syllabify("Summer in the city\nwe are alive\n\n  \nEvery quiet evening")
    assert [line.stanza for line in lines] == [0, 0, 1]
    assert [line.n_syllables for line in lines] == [6, 4, 6]  # sum-mer in the ci-ty / we are a-live / eve-ry qui-et eve-ning
    assert [w.text for w in lines[0].words] == ["Summer", "in", "the", "city"]


def test_hyphenation_values_and_stress_from_the_dictionary() -> None:
    words = syllabify("remember beautiful fire the")[0].words
    assert [[s.syllabic for s in w.syllables] for w in words] == [
        ["begin", "middle", "end"], ["begin", "middle", "end"], ["single"], ["single"]]
    assert [[s.stressed for s in w.syllables] for w in words] == [
        [False, True, False], [True, False, False], [True], [False]]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzAEIOU'", min_size=1, max_size=12), min_size=1, max_size=6))
def test_no_letter_is_dropped_and_hyphenation_is_consistent(words) -> None:
    text = " ".join(words)
    if not re.search(r"[A-Za-z]", text):
        return
    for word in syllabify(text)[0].words:
        assert "".join(s.text for s in word.syllables) == word.text  # the split keeps every letter
        syl = [s.syllabic for s in word.syllables]
        assert syl == ["single"] or (syl[0] == "begin" and syl[-1] == "end" and set(syl[1:-1]) <= {"middle"})


def test_non_latin_text_is_ignored_and_no_letters_is_an_error() -> None:
    lines = syllabify("héllo 🎵 世界 world")
    assert [w.text for w in lines[0].words] == ["hello", "world"]
    assert len(flat_syllables(lines)) == 3
    for bad in ("", "   \n\n", "🎵🎶 123 !!", "世界"):
        with pytest.raises(ParameterError, match="lyrics"):
            syllabify(bad)
    with pytest.raises(ParameterError, match="lyrics"):
        syllabify(None)  # type: ignore[arg-type]
