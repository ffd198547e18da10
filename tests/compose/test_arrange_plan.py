"""The arranger follows the plan: given chords, instrument styles and entry energies; energy
response, grooves, kick lock, form and variation; clear errors for bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import spearmanr

from lemm.compose.arrange import compose_score
from lemm.compose.bass import BASS_PATTERNS
from lemm.compose.brief import Brief
from lemm.compose.chord_input import apply_chords, parse_chord_list
from lemm.compose.drums import GROOVES
from lemm.compose.instruments import BASS_STYLES, DRUM_STYLES
from lemm.compose.plan_model import Instrument, Plan
from lemm.compose.planner import make_plan
from lemm.errors import LemmError, ParameterError


def plan_for(genre: str, seconds: float = 60.0, seed: int = 1) -> Plan:
    return make_plan(Brief(tags=(genre,), duration_seconds=seconds, seed=seed))


def with_instrument(plan: Plan, name: str, **changes) -> Plan:
    return replace(plan, instruments=tuple(replace(i, **changes) if i.name == name else i for i in plan.instruments))


def test_style_tables_match_the_writers():
    assert set(BASS_STYLES) == set(BASS_PATTERNS)
    assert set(DRUM_STYLES) == set(GROOVES)


def test_given_chords_are_played_and_written_as_symbols():
    plan = apply_chords(plan_for("pop"), "verse=Am F C G; chorus=F G C Am")
    score = compose_score(plan, seed=2)
    bar = score.meters[0].bar_ticks(480)
    for sec in score.sections:
        given = next(s.chords for s in plan.sections if s.name == sec.name)
        if not given:
            continue
        symbols = [c.symbol for c in score.chords if sec.start_tick <= c.start_tick < sec.end_tick]
        assert symbols == [given[b % len(given)] for b in range(sec.duration_ticks // bar)]
        bass = [n for n in score.track("bass").notes if sec.start_tick <= n.start_tick < sec.end_tick and n.start_tick % bar == 0]
        roots = {"Am": 9, "F": 5, "C": 0, "G": 7}
        assert all(n.pitch % 12 == roots[given[(n.start_tick - sec.start_tick) // bar % len(given)]] for n in bass)
    one = apply_chords(plan_for("pop"), "Dm G C")
    assert all(s.chords == ("Dm", "G", "C") for s in one.sections)


def test_chord_input_errors():
    with pytest.raises(ParameterError, match="H#13b"):
        parse_chord_list("Am H#13b")
    with pytest.raises(ParameterError, match="chords"):
        parse_chord_list("   ")
    with pytest.raises(ParameterError, match="section name"):
        apply_chords(plan_for("pop"), "solo=Am F")
    with pytest.raises(ParameterError, match="H#13b"):
        apply_chords(plan_for("pop"), "verse=H#13b")


def test_a_plan_without_sections_is_refused():
    with pytest.raises(LemmError, match="sections"):
        Plan(genre="pop", tempo_bpm=120.0, sections=(), energy_per_bar=())


def test_instrument_style_and_min_energy_are_honoured():
    base = plan_for("pop", 90.0, seed=3)
    walking = compose_score(with_instrument(base, "bass", style="walking"), seed=3)
    bar = walking.meters[0].bar_ticks(480)
    loud = [n for n in walking.track("bass").notes if base.energy_per_bar[n.start_tick // bar] >= 0.4]
    assert np.mean([n.start_tick % 480 == 0 for n in loud]) > 0.95  # a note per beat
    rock = compose_score(with_instrument(base, "drums", style="rock"), seed=3)
    assert rock.track("drums").notes != compose_score(base, seed=3).track("drums").notes
    assert any(n.pitch == 51 for n in rock.track("drums").notes)  # the rock groove rides in choruses
    gated = compose_score(with_instrument(base, "piano", style="pad", min_energy=0.6), seed=3)
    piano = gated.track("piano").notes
    assert piano and all(base.energy_per_bar[n.start_tick // bar] >= 0.6 for n in piano)
    assert all(n.articulation == "legato" for n in piano)
    counter = compose_score(replace(base, instruments=base.instruments + (Instrument("line", "counter", "string_ensemble", 48),)), seed=3)
    assert len(counter.track("line").notes) > 20
    with pytest.raises(ParameterError, match="style"):
        compose_score(with_instrument(base, "bass", style="strum"), seed=3)


def test_density_and_velocity_follow_the_energy():
    for genre in ("pop", "edm", "folk"):
        plan = plan_for(genre, 150.0, seed=2)
        score = compose_score(plan, seed=2)
        bar = score.meters[0].bar_ticks(480)
        count, vel = np.zeros(plan.total_bars), np.zeros(plan.total_bars)
        for t in score.tracks:
            if t.role in ("lead", "vocal"):
                continue
            for n in t.notes:
                count[n.start_tick // bar] += 1
                vel[n.start_tick // bar] += n.velocity
        assert spearmanr(plan.energy_per_bar, count).statistic >= 0.8, genre
        assert spearmanr(plan.energy_per_bar, vel / np.maximum(count, 1)).statistic >= 0.8, genre


def muspy_groove_consistency(notes, bar_ticks, lo, hi):
    bars = [set() for _ in range((hi - lo) // bar_ticks)]
    for n in notes:
        if lo <= n.start_tick < hi:
            bars[(n.start_tick - lo) // bar_ticks].add((n.start_tick - lo) % bar_ticks)
    dist = sum(len(a ^ b) for a, b in zip(bars, bars[1:], strict=False))
    return 1 - dist / (bar_ticks * (len(bars) - 1))


def test_grooves_are_consistent_within_sections_and_differ_between_genres():
    patterns = {}
    for genre in ("pop", "rock", "edm", "hip-hop", "funk"):
        plan = plan_for(genre, 90.0)
        score = compose_score(plan, seed=1)
        drums = score.track("drums")
        bar = score.meters[0].bar_ticks(480)
        for sec in score.sections:
            if sec.duration_ticks >= 4 * bar:
                assert muspy_groove_consistency(drums.notes, bar, sec.start_tick, sec.end_tick) >= 0.9
        grid = np.zeros((3, 16))
        for n in drums.notes:
            row = 0 if n.pitch in (35, 36) else 1 if n.pitch in (37, 38, 39, 40) else 2 if n.pitch in (42, 44, 46, 51) else None
            if row is not None:
                grid[row, int(round((n.start_tick % bar) / (bar / 16))) % 16] += 1
        patterns[genre] = grid / max(1, plan.total_bars)
    names = sorted(patterns)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(patterns[a] - patterns[b]).mean() > 0.02, (a, b)


def test_hip_hop_bass_is_locked_to_the_kick():
    plan = plan_for("hip-hop", 60.0, seed=4)
    score = compose_score(plan, seed=4)
    grid = 120
    kicks = {round(n.start_tick / grid) for n in score.track("drums").notes if n.pitch == 36}
    bass = [round(n.start_tick / grid) for n in score.track("bass").notes]
    assert np.mean([b in kicks for b in bass]) >= 0.8


def test_last_chorus_is_the_biggest_and_repeats_vary():
    plan = plan_for("pop", 210.0, seed=5)
    score = compose_score(plan, seed=5)
    choruses = [s for s in score.sections if s.kind == "chorus"]
    assert len(choruses) >= 2
    def per_bar(sec):
        return sum(1 for t in score.tracks for n in t.notes if sec.start_tick <= n.start_tick < sec.end_tick) / (sec.duration_ticks / score.meters[0].bar_ticks(480))
    assert per_bar(choruses[-1]) > max(per_bar(c) for c in choruses[:-1])
    def rel(track, sec):
        return [(n.start_tick - sec.start_tick, n.pitch) for n in score.track(track).notes if sec.start_tick <= n.start_tick < sec.end_tick]
    for track in ("drums", "piano"):
        assert rel(track, choruses[0]) != rel(track, choruses[1])  # the same section, played again differently


def test_intro_plays_the_chorus_hook():
    plan = plan_for("edm", 150.0, seed=2)
    score = compose_score(plan, seed=2)
    intro, chorus = score.section("intro"), score.section("chorus 1")
    lead = score.track("lead").notes
    a = [(n.start_tick - intro.start_tick, n.duration_ticks) for n in lead if intro.start_tick <= n.start_tick < intro.end_tick]
    b = [(n.start_tick - chorus.start_tick, n.duration_ticks) for n in lead if chorus.start_tick <= n.start_tick < chorus.start_tick + intro.duration_ticks]
    assert a and a == b


def test_secondary_dominants_and_borrowed_chords_appear_in_a_ballad():
    symbols = set()
    for seed in range(6):
        plan = make_plan(Brief(tags=("ballad",), duration_seconds=120.0, seed=seed, prompt="in C major"))
        symbols |= {c.symbol for c in compose_score(plan, seed=seed).chords}
    assert symbols & {"E7", "A7", "D7", "B7"}  # V7 of vi, ii, V, iii
    assert "Fm" in symbols or any("/" in s for s in symbols)


def test_accompaniment_of_a_long_song_has_no_melody_part():
    # its speed is measured in benchmarks/compose.py (no wall-clock assertions in tests)
    plan = make_plan(Brief(prompt="pop", tags=("funk",), duration_seconds=210.0, seed=1))
    plan = replace(plan, instruments=tuple(i for i in plan.instruments if i.role not in ("lead", "vocal")))
    score = compose_score(plan, seed=2)
    roles = {t.role for t in score.tracks}
    assert {"drums", "bass"} <= roles
    assert all(t.notes for t in score.tracks if t.role != "vocal" and t.role != "lead")
