"""Hand percussion over the kit: tambourine (and cowbell in funk) that lifts the choruses.

A percussion part (role ``percussion``, a drum kit preset) plays a light layer the drum kit
does not: a tambourine on the backbeat at moderate energy, eighth notes with accented
backbeats at high energy (sixteenths in the last chorus); a funk groove adds a cowbell on the
beats. It rests below the part's ``min_energy`` and in bars the kit fills (the last bar of a
section before a chorus keeps only its first half), so it never doubles a fill. Velocities
follow the bar energy with seeded humanisation.

Examples
--------
>>> PERCUSSION_KEYS["tambourine"], PERCUSSION_KEYS["cowbell"]
(54, 56)
"""

from __future__ import annotations

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.compose.instruments import PartSpec
from lemm.score.model import Note

__all__ = ["PERCUSSION_KEYS", "percussion_section"]

#: Percussion names -> General MIDI percussion key (both rendered by lemm's kits).
PERCUSSION_KEYS = {"tambourine": 54, "cowbell": 56}


def percussion_section(ctx: ArrangeContext, spec: PartSpec, section_index: int, rng: np.random.Generator) -> list[Note]:
    """Percussion notes of one section (sorted, all inside the section)."""
    first_bar, n_bars = ctx.section_bounds(section_index)
    plan = ctx.plan
    nxt = plan.sections[section_index + 1] if section_index + 1 < len(plan.sections) else None
    biggest = ctx.is_last_chorus(section_index)
    cowbell = ctx.profile.drum_groove == "funk"
    out: list[Note] = []
    for b in range(first_bar, first_bar + n_bars):
        e = ctx.energy(b)
        if e < max(spec.min_energy, 0.3):
            continue
        start = b * ctx.bar_ticks
        end = start + ctx.bar_ticks
        if b == first_bar + n_bars - 1 and nxt is not None and nxt.kind in ("chorus", "drop"):
            end = start + ctx.bar_ticks // 2  # the kit's fill has the rest of the bar
        step = ctx.sub_ticks if e >= 0.6 else ctx.beat_ticks
        if biggest and not ctx.compound:
            step = ctx.sub_ticks // 2
        for t in range(start, end, step):
            pos = t - start
            beat = pos // ctx.beat_ticks
            on_beat = pos % ctx.beat_ticks == 0
            backbeat = on_beat and (beat % 2 == 1 if ctx.beats_per_bar % 2 == 0 else beat > 0)
            if step == ctx.beat_ticks and not backbeat:
                continue
            accent = 10 if backbeat else (0 if on_beat else -6)
            vel = velocity_for(e, low=56, high=108, accent=accent + rng.normal(0.0, 3.0))
            jitter = int(rng.integers(-6, 7)) if pos else 0
            out.append(Note(PERCUSSION_KEYS["tambourine"], max(start, ctx.swing_tick(t) + jitter), 60, vel))
            if cowbell and on_beat and e >= 0.6:
                out.append(Note(PERCUSSION_KEYS["cowbell"], t, 60, velocity_for(e, low=50, high=100, accent=rng.normal(0.0, 2.0))))
    return sorted(out, key=lambda n: (n.start_tick, n.pitch))
