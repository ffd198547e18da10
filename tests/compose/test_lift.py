"""The optional last-chorus lift: a key change up a step, kept by regeneration."""

from __future__ import annotations

import dataclasses

import pytest

from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.instruments import PRESET_RANGES
from lemm.compose.planner import make_plan
from lemm.compose.regen import regenerate
from lemm.errors import ParameterError
from lemm.score.harmony import parse_chord

LYRICS = "Hold on to the night\nturn the radio up\n\nWe were young and bright\nwe will never stop\n"


@pytest.fixture(scope="module")
def lifted():
    plan = make_plan(Brief(prompt="an uplifting pop song with a key change", tags=("pop",), duration_seconds=150.0, seed=3))
    assert plan.lift_semitones == 2
    flat = dataclasses.replace(plan, lift_semitones=0)
    return plan, compose_score(plan, lyrics=LYRICS, seed=3), compose_score(flat, lyrics=LYRICS, seed=3)


def test_prompt_asks_for_the_lift() -> None:
    plan = make_plan(Brief(prompt="pop song that modulates at the end", tags=("pop",), seed=1))
    assert plan.lift_semitones == 2
    assert any("key change" in u.meaning for u in plan.understood)
    assert make_plan(Brief(prompt="pop song", tags=("pop",), seed=1)).lift_semitones == 0
    with pytest.raises(ParameterError, match="lift_semitones"):
        dataclasses.replace(plan, lift_semitones=7)


def test_last_chorus_and_after_move_up_a_step(lifted) -> None:
    plan, score, flat = lifted
    last = [s for s in score.sections if s.kind == "chorus"][-1]
    tick = last.start_tick
    assert score.keys[-1].tick == tick and score.keys[-1].tonic != score.keys[0].tonic
    for a, b in zip(score.chords, flat.chords, strict=True):
        if a.start_tick < tick:
            assert a == b
        else:
            assert (parse_chord(a.symbol).root_pc - parse_chord(b.symbol).root_pc) % 12 == 2
    for t, f in zip(score.tracks, flat.tracks, strict=True):
        if t.is_drum:
            assert t == f
            continue
        assert [n for n in t.notes if n.start_tick < tick] == [n for n in f.notes if n.start_tick < tick]
        for section in (s for s in score.sections if s.start_tick >= tick):
            new = [n.pitch for n in t.notes if section.start_tick <= n.start_tick < section.end_tick]
            old = [n.pitch for n in f.notes if section.start_tick <= n.start_tick < section.end_tick]
            assert len(new) == len(old) and all((x - y) % 12 == 2 for x, y in zip(new, old, strict=True)), (t.name, section.name)
        low, high = PRESET_RANGES[t.preset]
        assert all(low <= n.pitch <= high for n in t.notes), t.name


def test_regeneration_stays_in_the_new_key(lifted) -> None:
    plan, score, _ = lifted
    last = [s for s in score.sections if s.kind == "chorus"][-1]
    same = regenerate(score, plan, track="bass", section=last.name, seed=3, lyrics=LYRICS)
    assert same == score  # the song's own seed gives the same take back, lift included
    new = regenerate(score, plan, track="bass", section=last.name, seed=77, lyrics=LYRICS)
    changed = [t.name for t, u in zip(score.tracks, new.tracks, strict=True) if t != u]
    assert changed == ["bass"]
    chords = [c for c in score.chords if last.start_tick <= c.start_tick < last.end_tick]
    bass = [n for n in new.track("bass").notes if last.start_tick <= n.start_tick < last.end_tick]
    on_chord_starts = [n for n in bass if any(n.start_tick == c.start_tick for c in chords)]
    in_chord = [n for n in on_chord_starts if n.pitch % 12 in parse_chord(next(c.symbol for c in chords if c.start_tick == n.start_tick)).pitch_classes]
    assert on_chord_starts and len(in_chord) / len(on_chord_starts) >= 0.9
