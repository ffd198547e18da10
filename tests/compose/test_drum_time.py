"""The drum part keeps time on one cymbal per section, and an edm groove's open hats are choked by closed ones."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.drums import DRUM_KEYS, GROOVES, time_layers
from lemm.compose.planner import make_plan

RIDE, HAT, OPEN_HAT, PEDAL_HAT = DRUM_KEYS["ride"], DRUM_KEYS["hat"], DRUM_KEYS["ohat"], DRUM_KEYS["pedal"]


def _drums_only(plan):
    """The plan with only its drum kit (composing the other parts is not needed here)."""
    return replace(plan, instruments=tuple(i for i in plan.instruments if i.role == "drums"))


def _section_hits(score, section, keys):
    drums = next(t for t in score.tracks if t.role == "drums")
    return [n for n in drums.notes if n.pitch in keys and section.start_tick <= n.start_tick < section.start_tick + section.duration_ticks]


def test_time_layers_keep_one_cymbal_and_the_layer_order():
    rock = GROOVES["rock"]["4/4"]
    riding = time_layers(rock, 0.8)
    assert [d for d, *_ in riding] == [d for d, *_ in rock if d != "hat"]
    assert [(lo, hi) for d, _, lo, hi in riding if d == "ride"] == [(0.1, 1.01)]  # from the hats' lowest energy up
    on_hats = time_layers(rock, 0.6)
    assert [d for d, *_ in on_hats] == [d for d, *_ in rock if d != "ride"]
    assert [(p, lo, hi) for d, p, lo, hi in on_hats if d == "hat"] == [("x.x.x.x.x.x.x.x.", 0.1, 1.01)]
    indie = GROOVES["indie"]["4/4"]  # two hat layers: the busiest one takes the ride's energies
    assert [(p, lo, hi) for d, p, lo, hi in time_layers(indie, 0.7) if d == "hat"] == [
        ("x.x.x.x.x.x.x.x.", 0.1, 0.6),
        ("xxxxxxxxxxxxxxxx", 0.6, 1.01),
    ]
    backbeat = GROOVES["backbeat"]["4/4"]  # no ride: nothing changes
    assert time_layers(backbeat, 0.9) == backbeat


def test_a_section_rides_or_plays_hats_never_both():
    plan = _drums_only(make_plan(Brief(tags=("rock",), duration_seconds=40.0, seed=3)))
    # bar energies that cross the ride's threshold (0.75) bar by bar inside every section
    plan = replace(plan, energy_per_bar=tuple(0.7 if b % 2 else 0.8 for b in range(plan.total_bars)))
    score = compose_score(plan, seed=3)
    kinds = set()
    for section in score.sections:
        rides = _section_hits(score, section, (RIDE,))
        hats = _section_hits(score, section, (HAT,))
        assert not (rides and hats), (section.name, len(rides), len(hats))
        kinds.add("ride" if rides else "hat" if hats else None)
    assert "ride" in kinds  # the mean energy (0.75) selects the ride


def test_verse_on_hats_chorus_on_ride_in_rock():
    plan = _drums_only(make_plan(Brief(tags=("rock",), duration_seconds=60.0, seed=1)))
    score = compose_score(plan, seed=1)
    energy = {s.name: s.energy for s in plan.sections}
    for section in score.sections:
        rides, hats = _section_hits(score, section, (RIDE,)), _section_hits(score, section, (HAT,))
        assert not (rides and hats), section.name
        if section.kind == "chorus" and energy[section.name] >= 0.8:
            assert len(rides) >= 4 * section.duration_ticks // score.meters[0].bar_ticks(score.resolution)
        if section.kind == "verse" and energy[section.name] < 0.7:
            assert hats and not rides


@pytest.mark.parametrize("seed", [1, 2])
def test_edm_open_hats_are_choked_by_the_next_closed_hat(seed):
    plan = _drums_only(make_plan(Brief(tags=("edm",), duration_seconds=40.0, seed=seed)))
    score = compose_score(plan, seed=seed)
    drums = next(t for t in score.tracks if t.role == "drums")
    beat = score.resolution
    bar = score.meters[0].bar_ticks(score.resolution)
    closed = sorted(n.start_tick for n in drums.notes if n.pitch in (HAT, PEDAL_HAT))
    opens = [n for n in drums.notes if n.pitch == OPEN_HAT]
    assert len(opens) >= 8
    ends = [s.start_tick + s.duration_ticks for s in score.sections]
    for n in opens:
        nxt = next((t for t in closed if t > n.start_tick), None)
        if any(0 < end - n.start_tick <= bar for end in ends):
            continue  # a section's last bar: its fill may follow the open hat
        assert nxt is not None and nxt - n.start_tick <= beat + 20, n  # at most a beat of ring (humanised)
    for section in score.sections:  # a verse keeps the off-beats closed: most of its hats are closed
        if section.kind == "verse":
            n_open = len(_section_hits(score, section, (OPEN_HAT,)))
            assert n_open <= len(_section_hits(score, section, (HAT,))) // 2, section.name


@pytest.mark.parametrize("genre", ["edm", "pop"])
def test_the_riser_climbs_and_quickens_into_the_chorus(genre):
    plan = make_plan(Brief(tags=(genre,), duration_seconds=40.0, seed=1))
    plan = replace(plan, instruments=tuple(i for i in plan.instruments if i.name == "riser"))
    score = compose_score(plan, seed=1)
    notes = score.track("riser").notes
    assert len(notes) >= 8
    pitches = [n.pitch for n in notes]
    steps = [b - a for a, b in zip(pitches, pitches[1:], strict=False)]
    assert min(steps) >= -4  # never drops back down (at most to the chord's top tone when the chord changes at the top)
    assert pitches[-1] >= pitches[0] + 12
    gaps = [b.start_tick - a.start_tick for a, b in zip(notes, notes[1:], strict=False)]
    assert gaps == sorted(gaps, reverse=True)  # ever shorter notes
    assert notes[-1].velocity > notes[0].velocity + 20
