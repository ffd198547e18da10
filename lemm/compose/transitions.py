"""Transitions between sections: risers into the chorus, and the drop before it.

- **Riser** (style ``riser``, an ``fx`` part): in the last bars of a section that leads into
  a chorus or drop (two bars, one when the section is short), a line climbs the current
  chord's tones, one higher on every beat (held at the top of its range), in notes that get
  shorter (quarters, then eighths, then sixteenths in the last beat: the tone repeats within
  the beat) and louder, ending on the chorus's downbeat. The part is silent elsewhere.
- **Drop** (:func:`drop_before_chorus`): in a pre-chorus (or a build-up) that leads into a
  chorus or drop, the band's pitched parts (bass, chords) stop for the last beat, so the
  chorus lands out of a short silence; the kit's fill plays through it.

Drum fills and crashes are the drum part's own (:mod:`lemm.compose.drums`).

Examples
--------
>>> leads_into_chorus(["verse", "pre-chorus", "chorus"], 1), leads_into_chorus(["verse", "chorus"], 1)
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.compose.instruments import PartSpec, range_of
from lemm.score.model import Note

__all__ = ["DROP_KINDS", "drop_before_chorus", "leads_into_chorus", "riser_section"]

#: Section kinds that end with a drop when a chorus follows.
DROP_KINDS = ("pre-chorus", "break")


def leads_into_chorus(kinds: Sequence[str], index: int) -> bool:
    """Whether section ``index`` is followed by a chorus or drop."""
    return index + 1 < len(kinds) and kinds[index + 1] in ("chorus", "drop")


def riser_section(ctx: ArrangeContext, spec: PartSpec, section_index: int, rng: np.random.Generator) -> list[Note]:
    """The riser notes of one section (empty unless it leads into a chorus or drop)."""
    kinds = [s.kind for s in ctx.plan.sections]
    if not leads_into_chorus(kinds, section_index):
        return []
    first_bar, n_bars = ctx.section_bounds(section_index)
    span = 2 if n_bars >= 4 else 1
    start = (first_bar + n_bars - span) * ctx.bar_ticks
    end = (first_bar + n_bars) * ctx.bar_ticks
    p_low, p_high = range_of(spec.preset)
    low, high = max(p_low, 55), min(p_high, 88)
    out: list[Note] = []
    t = start
    pitch = None
    while t < end:
        left = end - t
        step = ctx.beat_ticks if left > ctx.bar_ticks else ctx.sub_ticks if left > ctx.beat_ticks else max(ctx.sub_ticks // 2, 1)
        tones = [p for p in range(low, high + 1) if p % 12 in ctx.chord_at(t).chord.pitch_classes]
        if pitch is None:
            nxt = tones[min(1, len(tones) - 1)]
        elif (t - start) % ctx.beat_ticks == 0:  # one chord tone higher on every beat, the top held at the range's end
            nxt = next((p for p in tones if p > pitch), tones[-1])
        else:  # the same tone (or the chord's nearest one at or above it) repeated as the rhythm quickens
            nxt = next((p for p in tones if p >= pitch), tones[-1])
        progress = (t - start) / max(end - start, 1)
        e = ctx.energy(t // ctx.bar_ticks)
        vel = velocity_for(0.35 + 0.6 * progress, low=30, high=100, accent=rng.normal(0.0, 2.0) + 8 * (e - 0.5))
        out.append(Note(nxt, t, max(30, step - 12), vel, None))
        pitch = nxt
        t += step
    return out


def drop_before_chorus(ctx: ArrangeContext, section_index: int, notes: list[Note]) -> list[Note]:
    """``notes`` with the last beat of the section left silent when it is a build into a chorus (see the module docstring)."""
    kinds = [s.kind for s in ctx.plan.sections]
    if kinds[section_index] not in DROP_KINDS or not leads_into_chorus(kinds, section_index):
        return notes
    first_bar, n_bars = ctx.section_bounds(section_index)
    cut = (first_bar + n_bars) * ctx.bar_ticks - ctx.beat_ticks
    out = []
    for n in notes:
        if n.start_tick >= cut:
            continue
        out.append(n if n.end_tick <= cut else replace(n, duration_ticks=max(1, cut - n.start_tick)))
    return out
