"""The prompt vocabulary: what the planner reads and reports."""

from __future__ import annotations

import pytest

from lemm.compose.brief import Brief
from lemm.compose.planner import make_plan
from lemm.compose.vocabulary import read_prompt


def _meanings(plan):
    return " | ".join(f"{u.words} -> {u.meaning}" for u in plan.understood)


def test_core_phrases_are_understood_and_reported():
    plan = make_plan(Brief(prompt="a sad song, 92 bpm, in D minor, in 6/8, no drums, with strings", tags=("pop",), duration_seconds=60.0))
    assert plan.tempo_bpm == 92.0
    assert (plan.key_tonic, plan.key_mode) == ("D", "minor")
    assert (plan.meter_numerator, plan.meter_denominator) == (6, 8)
    assert not any(i.is_drum or i.role == "drums" for i in plan.instruments)
    assert any(i.preset == "string_ensemble" for i in plan.instruments)
    text = _meanings(plan)
    for words in ("92 bpm", "in D minor", "6/8", "no drums", "strings", "sad"):
        assert words in text
    assert plan.mood == "sad"


@pytest.mark.parametrize(
    "prompt, field, expected",
    [
        ("in F#", "key_tonic", "F#"),
        ("in the key of Bb major", "key_tonic", "Bb"),
        ("in a minor key", "key_mode", "minor"),
        ("a waltz", "meter", (3, 4)),
        ("something in 3/4", "meter", (3, 4)),
        ("tempo 140", "tempo_bpm", 140.0),
        ("90 seconds long", "duration_seconds", 90.0),
        ("two and a half minutes", "duration_seconds", 150.0),
        ("2 minutes", "duration_seconds", 120.0),
        ("female vocals", "voice", "voice_high"),
        ("male vocal", "voice", "voice_low"),
        ("instrumental", "instrumental", True),
        ("swung", "swing", 0.3),
    ],
)
def test_single_phrases(prompt, field, expected):
    assert getattr(read_prompt(prompt), field) == expected


def test_unknown_words_are_ignored_and_lowercase_a_is_not_a_key():
    r = read_prompt("in a dreamy haze of flibbertigibbet")
    assert r.key_tonic is None and r.mood == "dreamy"
    assert [u.words for u in r.understood] == ["dreamy"]


def test_refusals_with_lists():
    r = read_prompt("without piano or bass")
    assert r.remove == ("piano", "bass") and r.add_parts == []
    plan = make_plan(Brief(prompt="without piano or bass", tags=("pop",), duration_seconds=30.0))
    assert not any(i.role == "bass" or i.preset == "acoustic_piano" for i in plan.instruments)


def test_moods_nudge_mode_tempo_and_energy():
    base = [make_plan(Brief(tags=("pop",), duration_seconds=60.0, seed=s)) for s in range(6)]
    sad = [make_plan(Brief(prompt="sad", tags=("pop",), duration_seconds=60.0, seed=s)) for s in range(6)]
    happy = [make_plan(Brief(prompt="happy upbeat", tags=("pop",), duration_seconds=60.0, seed=s)) for s in range(6)]
    assert all(p.key_mode == "minor" for p in sad) and all(p.key_mode == "major" for p in happy)
    assert sum(p.tempo_bpm for p in sad) < sum(p.tempo_bpm for p in base) < sum(p.tempo_bpm for p in happy)
    def mean(ps):
        return sum(sum(p.energy_per_bar) / len(p.energy_per_bar) for p in ps)

    assert mean(sad) < mean(happy)


def test_slow_and_fast_words_move_the_tempo_in_the_genre_range():
    slow = make_plan(Brief(prompt="slow", tags=("rock",), duration_seconds=60.0))
    fast = make_plan(Brief(prompt="fast", tags=("rock",), duration_seconds=60.0))
    assert slow.tempo_bpm < 112 < 136 < fast.tempo_bpm


def test_length_phrase_wins_only_over_the_default_length():
    spoken = make_plan(Brief(prompt="2 minutes of pop"))
    assert abs(spoken.duration_seconds - 120.0) <= spoken.beats_per_bar * 60.0 / spoken.tempo_bpm
    explicit = make_plan(Brief(prompt="2 minutes of pop", duration_seconds=45.0))
    assert abs(explicit.duration_seconds - 45.0) <= explicit.beats_per_bar * 60.0 / explicit.tempo_bpm


def test_genre_from_tags_then_prompt_then_default():
    assert make_plan(Brief(prompt="a rock song", tags=("mellow", "edm"), duration_seconds=30.0)).genre == "edm"
    assert make_plan(Brief(prompt="some house music then hip hop", duration_seconds=30.0)).genre == "edm"
    assert make_plan(Brief(prompt="no genre here", duration_seconds=30.0)).genre == "pop"


def test_arc_words_shape_energy():
    build = make_plan(Brief(prompt="builds slowly", tags=("pop",), seed=2))
    plain = make_plan(Brief(tags=("pop",), seed=2))
    assert build.energy_per_bar[len(build.energy_per_bar) // 4] < plain.energy_per_bar[len(plain.energy_per_bar) // 4] + 1e-9
    big = make_plan(Brief(prompt="big final chorus", tags=("pop",), seed=2))
    assert max(big.energy_per_bar) == 1.0


@pytest.mark.parametrize(
    "prompt",
    ["pop, no backing vocals", "without backing vocals", "no backup singers", "w/o background vocals", "no harmonies",
     "a solo voice", "solo female voice", "a single singer", "lead vocal only", "just one singer"],
)
def test_backing_vocals_refused(prompt):
    r = read_prompt(prompt)
    assert r.backing_vocals is False and not r.instrumental
    assert any("no backing vocals" in u.meaning for u in r.understood)


@pytest.mark.parametrize("prompt", ["pop", "a guitar solo", "no vocals", "female vocals", "one more time"])
def test_backing_vocals_not_refused(prompt):
    assert read_prompt(prompt).backing_vocals is None


def test_solo_voice_keeps_the_voice_word():
    r = read_prompt("solo female voice, folk")
    assert r.backing_vocals is False and r.voice == "voice_high" and r.genre == "folk"


def test_no_backing_vocals_leaves_the_lead_alone_in_the_plan():
    lyrics = "Morning trains are running early\ncoffee steaming in the cup\n\nTurn it up and let it shine now\nevery window open wide"
    with_backing = make_plan(Brief(prompt="pop", duration_seconds=40.0, seed=2, lyrics=lyrics))
    assert [i.name for i in with_backing.instruments if i.role == "vocal"] == ["vocal", "backing"]
    for brief in (Brief(prompt="pop with no backing vocals", duration_seconds=40.0, seed=2, lyrics=lyrics),
                  Brief(prompt="pop", tags=("solo voice",), duration_seconds=40.0, seed=2, lyrics=lyrics)):
        plan = make_plan(brief)
        assert [i.name for i in plan.instruments if i.role == "vocal"] == ["vocal"]
        assert [i.name for i in plan.instruments if i.role != "vocal"] == [i.name for i in with_backing.instruments if i.role != "vocal"]
        assert "no backing vocals" in _meanings(plan)
