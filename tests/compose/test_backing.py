"""Backing vocals: a harmony under the lead (or a double) in the profile's sections, sung parts of the score."""

from __future__ import annotations

import pytest

from lemm.compose.arrange import compose_part, compose_score, part_specs
from lemm.compose.backing import backing_voice, double_line, harmony_line
from lemm.compose.brief import Brief
from lemm.compose.context import build_context
from lemm.compose.plan_model import Plan, PlanSection
from lemm.compose.planner import make_plan
from lemm.compose.regen import regenerate
from lemm.score.harmony import scale_pitch_classes
from lemm.score.model import Lyric, Note

LYRICS = """Morning trains are running early
coffee steaming in the cup

Turn it up and let it shine now
every window open wide
turn it up and let it shine now
nothing left for us to hide

Evening trains are running late now
streetlights flicker into blue"""


@pytest.fixture(scope="module")
def pop():
    plan = make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=60.0, seed=5, lyrics=LYRICS))
    return plan, compose_score(plan, lyrics=LYRICS, seed=5)


def _in(sec, n):
    return sec.start_tick <= n.start_tick < sec.end_tick


def test_pop_chorus_has_a_harmony_under_the_lead_on_its_words(pop):
    _, score = pop
    names = [t.name for t in score.tracks]
    assert names.index("backing") == names.index("vocal") + 1
    backing, vocal = score.track("backing"), score.track("vocal")
    assert backing.role == "vocal" and backing.preset == vocal.preset
    lead = {n.start_tick: n for n in vocal.notes}
    choruses = [s for s in score.sections if s.kind in ("chorus", "post-chorus")]
    assert choruses and backing.notes
    for n in backing.notes:
        assert any(_in(s, n) for s in choruses)  # only where the profile asks
        above = lead[n.start_tick]
        assert 3 <= above.pitch - n.pitch <= 9  # a third to a sixth below
        assert n.lyric == above.lyric and n.duration_ticks == above.duration_ticks
        assert n.velocity < above.velocity
    # the harmony follows most of the chorus lead
    sung = [n for n in vocal.notes if any(_in(s, n) for s in choruses)]
    assert len(backing.notes) >= 0.8 * len(sung)
    # no backing in the verses
    verses = [s for s in score.sections if s.kind == "verse"]
    assert not [n for n in backing.notes if any(_in(s, n) for s in verses)]


def test_harmony_is_diatonic_and_on_chord_tones_on_strong_beats():
    plan = Plan(genre="pop", tempo_bpm=100.0, key_tonic="D", key_mode="major",
                sections=(PlanSection("chorus", "chorus", 4, 0.8),), energy_per_bar=(0.8,) * 4)
    ctx = build_context(plan, seed=1)
    scale = set(scale_pitch_classes("D", "major"))
    lead = [Note(p, k * 240, 200, lyric=Lyric("la")) for k, p in enumerate([74, 76, 78, 79, 81, 79, 78, 76, 74, 73, 71, 69, 71, 73, 74, 76] * 2)]
    out = harmony_line(ctx, lead, low=55, high=76, sixth=False)
    assert len(out) == len(lead)
    for n, h in zip(lead, out, strict=True):
        assert h.start_tick == n.start_tick
        assert h.pitch % 12 in scale
        assert 3 <= n.pitch - h.pitch <= 9
        if ctx.metric_weight(n.start_tick) >= 0.75:
            assert h.pitch % 12 in ctx.chord_at(n.start_tick).chord.pitch_classes
    thirds = sum(n.pitch - h.pitch in (3, 4) for n, h in zip(lead, out, strict=True) if ctx.metric_weight(n.start_tick) < 0.75)
    assert thirds == sum(1 for n in lead if ctx.metric_weight(n.start_tick) < 0.75)  # weak beats: plain thirds
    sixths = harmony_line(ctx, lead, low=40, high=76, sixth=True)
    assert all(n.pitch - h.pitch in (8, 9) for n, h in zip(lead, sixths, strict=True) if ctx.metric_weight(n.start_tick) < 0.75)


def test_double_is_an_octave_away_when_it_fits_else_unison():
    lead = [Note(p, k * 480, 400, lyric=Lyric("la")) for k, p in enumerate([64, 67, 69, 72])]
    assert [n.pitch for n in double_line(lead, low=48, high=67)] == [52, 55, 57, 60]
    assert [n.pitch for n in double_line(lead, low=60, high=86)] == [76, 79, 81, 84]
    assert [n.pitch for n in double_line(lead, low=62, high=74)] == [64, 67, 69, 72]
    assert backing_voice("double", "voice_low") == "voice_high" and backing_voice("harmony", "voice_low") == "voice_low"


def test_backing_only_in_a_sung_song_of_a_genre_that_has_it():
    pop = make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=40.0, seed=2, lyrics=LYRICS))
    assert [s.name for s in part_specs(pop, lyrics=LYRICS) if s.role == "vocal"] == ["vocal", "backing"]
    assert all(s.role != "vocal" for s in part_specs(pop, lyrics=None, vocal=False))
    instrumental = make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=40.0, seed=2))
    assert all(i.role != "vocal" for i in instrumental.instruments)
    lofi = make_plan(Brief(prompt="lofi", tags=("lofi",), duration_seconds=40.0, seed=2, lyrics=LYRICS))
    assert [s.name for s in part_specs(lofi, lyrics=LYRICS) if s.role == "vocal"] == ["vocal"]
    rock = make_plan(Brief(prompt="rock", tags=("rock",), duration_seconds=40.0, seed=2, lyrics=LYRICS))
    spec = next(s for s in part_specs(rock, lyrics=LYRICS) if s.name == "backing")
    assert spec.style == "double" and spec.preset != next(s for s in part_specs(rock, lyrics=LYRICS) if s.name == "vocal").preset


def test_backing_slices_are_written_and_rewritten_alone(pop):
    plan, score = pop
    backing = score.track("backing")
    for sec in score.sections:
        part = compose_part(plan, track_name="backing", section_name=sec.name, seed=5, lyrics=LYRICS)
        assert part == tuple(n for n in backing.notes if _in(sec, n))
    chorus = next(s for s in score.sections if s.kind == "chorus")
    assert regenerate(score, plan, track="backing", section=chorus.name, seed=5, lyrics=LYRICS) == score
    # a new vocal take in the chorus leaves the backing (and everything else) as it was
    new = regenerate(score, plan, track="vocal", section=chorus.name, seed=77, lyrics=LYRICS)
    assert new.track("backing") == backing
    assert new.track("vocal") != score.track("vocal")
    # regenerating the backing then follows the new take
    again = regenerate(new, plan, track="backing", section=chorus.name, seed=5, lyrics=LYRICS)
    lead = {n.start_tick: n.pitch for n in again.track("vocal").notes if _in(chorus, n)}
    assert all(3 <= lead[n.start_tick] - n.pitch <= 9 for n in again.track("backing").notes if _in(chorus, n))


def test_backing_vocal_survives_midi_and_musicxml(pop, tmp_path):
    from lemm.score.midi import read_midi, write_midi
    from lemm.score.musicxml import musicxml_to_score, parse_musicxml_file, write_musicxml

    _, score = pop
    backing = score.track("backing")
    write_midi(score, tmp_path / "s.mid")
    back = read_midi(tmp_path / "s.mid")
    assert back.track("backing").role == "vocal"
    assert [(n.pitch, n.start_tick, n.lyric.text) for n in back.track("backing").notes] == [(n.pitch, n.start_tick, n.lyric.text) for n in backing.notes]
    write_musicxml(score, tmp_path / "s.musicxml")
    plain = musicxml_to_score(parse_musicxml_file(tmp_path / "s.musicxml"), use_lemm_data=False)  # from the notation alone
    sung = [t for t in plain.tracks if [n.pitch for n in t.notes] == [n.pitch for n in backing.notes]]
    assert sung and [n.lyric.text for n in sung[0].notes] == [n.lyric.text for n in backing.notes]
