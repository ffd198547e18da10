"""Plans from a guide follow its time line; plans from 20 prompts x 3 durations meet the form rules."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from lemm.compose.brief import Brief
from lemm.compose.guide import analyze_audio_array
from lemm.compose.guide.analysis import GuideAnalysis, GuideSection
from lemm.compose.guide.testsignal import make_test_guide
from lemm.compose.plan_model import PlanNote
from lemm.compose.planner import make_plan

PROMPTS = (
    "an upbeat pop song", "dark aggressive rock, fast", "chill lo-fi beat", "uplifting house track, big final chorus",
    "sad piano ballad", "cinematic epic that builds slowly", "boom bap hip hop 88 bpm", "smooth r&b, female vocals",
    "country song with steel guitar", "folk song in 3/4", "funky groove, slap bass", "indie rock, dreamy",
    "happy pop in D major", "melancholic ballad in E minor, 66 bpm", "edm anthem 128 bpm", "hip hop, dark, no piano",
    "soft acoustic folk", "energetic rock with organ", "lofi jazz, mellow, swung", "epic orchestral cinematic in 6/8",
)


@pytest.mark.parametrize("duration", (45.0, 210.0, 360.0))
def test_twenty_prompts_meet_the_form_rules(duration):
    for i, prompt in enumerate(PROMPTS):
        plan = make_plan(Brief(prompt=prompt, duration_seconds=duration, seed=i))
        bar_s = plan.beats_per_bar * 60.0 / plan.tempo_bpm
        assert abs(plan.duration_seconds - duration) <= bar_s + 1e-9, prompt
        kinds = [s.kind for s in plan.sections]
        assert "chorus" in kinds, prompt
        e = np.array(plan.energy_per_bar)
        starts = plan.section_start_bars()
        last = max(i for i, k in enumerate(kinds) if k == "chorus")
        assert e[starts[last] : starts[last] + plan.sections[last].bars].max() >= e.max() - 1e-9
        low = [j for j, k in enumerate(kinds) if k in ("intro", "outro", "break")]
        mid = [j for j, k in enumerate(kinds) if k not in ("intro", "outro", "break")]
        if low:
            assert max(e[starts[j] : starts[j] + plan.sections[j].bars].max() for j in low) <= min(e[starts[j] : starts[j] + plan.sections[j].bars].min() for j in mid) + 1e-9
        if duration >= 200:
            assert Counter(kinds)["chorus"] >= 2 and "verse" in kinds, prompt
            assert sum(s.bars for s in plan.sections if s.bars % 4 == 0) >= 0.8 * plan.total_bars  # 4-bar phrases
            assert sum(s.bars for s in plan.sections if s.bars % 2 == 0) >= 0.8 * plan.total_bars


def test_pop_three_thirty_is_idiomatic():
    kinds = [s.kind for s in make_plan(Brief(tags=("pop",), seed=0)).sections]
    assert kinds[0] == "intro" and kinds[-1] == "outro" and "pre-chorus" in kinds and "bridge" in kinds
    assert kinds.count("chorus") >= 3 and kinds.count("verse") >= 2
    assert kinds.index("pre-chorus") == kinds.index("chorus") - 1


def _guide(**over):
    base = dict(
        source="g.mid", kind="midi", duration_seconds=24.0, tempo_bpm=80.0, key_tonic="E", key_mode="minor",
        beats_seconds=tuple(0.1 + 0.75 * i for i in range(32)), downbeats_seconds=tuple(0.1 + 3.0 * i for i in range(8)),
        sections=(GuideSection("verse", 0.1, 12.1, 0, 4), GuideSection("chorus", 12.1, 24.1, 4, 4)),
        energy_per_bar=(0.3, 0.35, 0.4, 0.45, 0.8, 0.85, 0.9, 0.9), chords_per_bar=("Em", "C", "G", "D") * 2,
        melody=(PlanNote(64, 0.0, 1.0), PlanNote(67, 1.0, 1.0)),
    )
    base.update(over)
    return GuideAnalysis(**base)


def test_plan_follows_the_guide_time_line():
    g = _guide()
    plan = make_plan(Brief(prompt="rock in C major, 140 bpm", duration_seconds=200.0), guide=g)
    assert (plan.tempo_bpm, plan.key_tonic, plan.key_mode, plan.meter_numerator) == (80.0, "E", "minor", 4)
    assert plan.genre == "rock" and plan.start_offset_seconds == pytest.approx(0.1)
    assert [(s.name, s.kind, s.bars) for s in plan.sections] == [("verse", "verse", 4), ("chorus", "chorus", 4)]
    assert plan.energy_per_bar == g.energy_per_bar
    assert all(s.chords == () for s in plan.sections) and plan.melody == ()
    text = " | ".join(u.meaning for u in plan.understood)
    assert "ignored: the tempo comes from the guide" in text and "ignored: the key comes from the guide" in text
    kept = make_plan(Brief(), guide=g, keep_chords=True, keep_melody=True)
    assert kept.sections[1].chords == ("Em", "C", "G", "D") and kept.melody == g.melody
    assert make_plan(Brief(), guide=g) == make_plan(Brief(), guide=g)


def test_plan_from_guide_audio_lines_up():
    audio, truth = make_test_guide(tempo_bpm=118.0, form=(("verse", 4), ("chorus", 4)), lead_in_seconds=0.5, sample_rate=22050)
    g = analyze_audio_array(audio, sample_rate=22050, source="guide.wav")
    plan = make_plan(Brief(tags=("pop",)), guide=g)
    assert plan.total_bars == 8 and abs(plan.tempo_bpm - 118.0) < 0.5
    assert abs(plan.start_offset_seconds - 0.5) < 0.03
    # bar 5 of the plan starts where bar 5 of the guide does
    bar_s = plan.beats_per_bar * 60.0 / plan.tempo_bpm
    assert abs(plan.start_offset_seconds + 4 * bar_s - truth["downbeats_seconds"][4]) < 0.03
