"""Hypothesis strategies for the DAW export tests."""

from __future__ import annotations

from hypothesis import strategies as st

from lemm.score.model import MeterChange, Score, Section, TempoChange, Track


@st.composite
def tempo_maps(draw):
    """Scores with up to 4 tempo changes anywhere, up to 3 meter changes on bar lines, and 1..5 sections."""
    tempos = (TempoChange(0, draw(st.floats(40, 240))),) + tuple(
        TempoChange(q * 240, draw(st.floats(40, 240))) for q in sorted(set(draw(st.lists(st.integers(1, 100), max_size=4)))))
    meters, tick = [MeterChange(0, 4, 4)], 0
    for _ in range(draw(st.integers(0, 3))):
        tick += draw(st.integers(1, 4)) * meters[-1].bar_ticks(480)
        meters.append(MeterChange(tick, draw(st.integers(2, 7)), draw(st.sampled_from([4, 8]))))
    cuts = sorted(set(draw(st.lists(st.integers(1, 99), max_size=4))))
    bounds = [0] + [c * 480 for c in cuts] + [100 * 480]
    sections = tuple(Section(f"part {i}", "verse", a, b - a) for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)))
    return Score(tempos=tempos, meters=tuple(meters), sections=sections, tracks=(Track(name="t", role="keys", preset="p"),))
