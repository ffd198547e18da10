"""Regeneration: one (track, section) changes, nothing else does; bad names fail clearly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.planner import make_plan
from lemm.compose.regen import regenerate
from lemm.errors import LemmError, ParameterError, ScoreError
from lemm.score.model import Note
from tests.compose.test_arrange import LYRICS


@pytest.fixture(scope="module")
def song():
    plan = make_plan(Brief(prompt="upbeat pop", tags=("pop",), duration_seconds=210.0, seed=3))
    return plan, compose_score(plan, seed=3)


@pytest.fixture(scope="module")
def sung():
    plan = make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=120.0, seed=4, lyrics=LYRICS))
    return plan, compose_score(plan, lyrics=LYRICS, seed=4)


def outside(score, track, sec):
    return {(t.name, n) for t in score.tracks for n in t.notes if t.name != track or not sec.start_tick <= n.start_tick < sec.end_tick}


def test_every_slice_of_a_long_song_changes_only_itself(song):
    plan, score = song
    assert plan.duration_seconds >= 200
    changed_slices = playing = 0
    for track in score.tracks:
        for sec in score.sections:
            new = regenerate(score, plan, track=track.name, section=sec.name, seed=9)
            sounding = any(sec.start_tick <= n.start_tick < sec.end_tick for t in (track, new.track(track.name)) for n in t.notes)
            playing += sounding
            assert outside(new, track.name, sec) == outside(score, track.name, sec), (track.name, sec.name)
            assert [t.name for t in new.tracks] == [t.name for t in score.tracks] and new.chords == score.chords
            inside = [n for n in new.track(track.name).notes if sec.start_tick <= n.start_tick < sec.end_tick]
            assert all(n.end_tick <= sec.end_tick for n in inside)
            changed_slices += new.track(track.name).notes != track.notes
    # nearly every slice where the part plays gets new notes (a part resting in a quiet section, or
    # one that only plays in some sections, stays silent); most slices have the part playing
    assert changed_slices >= 0.8 * playing and playing >= 0.6 * len(score.tracks) * len(score.sections)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.data())
def test_property_any_seed_any_slice(song, seed, data):
    plan, score = song
    track = data.draw(st.sampled_from([t.name for t in score.tracks]))
    sec = data.draw(st.sampled_from(list(score.sections)))
    new = regenerate(score, plan, track=track, section=sec.name, seed=seed)
    assert outside(new, track, sec) == outside(score, track, sec)
    assert regenerate(score, plan, track=track, section=sec.name, seed=seed) == new  # deterministic


def test_song_seed_gives_back_the_accompaniment(song):
    plan, score = song
    for track in ("drums", "bass", "piano", "pad"):
        for name in ("verse 1", "chorus 2"):
            assert regenerate(score, plan, track=track, section=name, seed=3) == score


def test_later_chorus_melody_becomes_a_variation_of_the_hook(song):
    plan, score = song
    sec = score.section("chorus 2")
    old = [n for n in score.track("lead").notes if sec.start_tick <= n.start_tick < sec.end_tick]
    new_score = regenerate(score, plan, track="lead", section="chorus 2", seed=11)
    new = [n for n in new_score.track("lead").notes if sec.start_tick <= n.start_tick < sec.end_tick]
    assert [(n.start_tick, n.duration_ticks) for n in new] == [(n.start_tick, n.duration_ticks) for n in old]
    same = sum(a.pitch == b.pitch for a, b in zip(old, new, strict=True)) / len(old)
    assert 0.2 <= same < 1.0  # recognisably the hook, but varied


def test_vocal_regeneration_keeps_one_syllable_per_note(sung):
    plan, score = sung
    for name, lyrics in (("verse 1", None), ("verse 1", LYRICS), ("chorus 2", None)):
        sec = score.section(name)
        old = [n for n in score.track("vocal").notes if sec.start_tick <= n.start_tick < sec.end_tick]
        new_score = regenerate(score, plan, track="vocal", section=name, seed=21, lyrics=lyrics)
        new = [n for n in new_score.track("vocal").notes if sec.start_tick <= n.start_tick < sec.end_tick]
        assert [n.lyric.text for n in new] == [n.lyric.text for n in old]
        assert new != old
        notes = new_score.track("vocal").notes
        assert all(a.end_tick <= b.start_tick for a, b in zip(notes, notes[1:], strict=False))


def test_a_note_ringing_into_the_section_is_kept_and_the_melody_stays_monophonic(song):
    plan, score = song
    sec = score.section("chorus 1")
    lead = score.track("lead")
    ringing = Note(70, sec.start_tick - 240, 720, 90)
    edited = replace(score, tracks=tuple(replace(t, notes=tuple(sorted([n for n in t.notes if not sec.start_tick - 240 <= n.start_tick < sec.start_tick] + [ringing], key=lambda n: (n.start_tick, n.pitch)))) if t is lead else t for t in score.tracks))
    new = regenerate(edited, plan, track="lead", section="chorus 1", seed=5)
    notes = new.track("lead").notes
    assert ringing in notes
    assert all(n.start_tick >= ringing.end_tick for n in notes if sec.start_tick <= n.start_tick < sec.end_tick)


def test_bad_names_and_seeds(song):
    plan, score = song
    with pytest.raises(ScoreError, match="drums.*bass"):
        regenerate(score, plan, track="kazoo", section="verse 1", seed=1)
    with pytest.raises(ScoreError, match="chorus 1"):
        regenerate(score, plan, track="drums", section="chorus 9", seed=1)
    with pytest.raises(ParameterError, match="seed"):
        regenerate(score, plan, track="drums", section="verse 1", seed=-1)
    first, second = score.sections[:2]
    gap = replace(score, sections=(first, replace(second, start_tick=second.start_tick + 480, duration_ticks=second.duration_ticks - 480)) + score.sections[2:])
    with pytest.raises(LemmError, match="must start where the one before it ends"):
        regenerate(gap, plan, track="drums", section=second.name, seed=1)
