"""Counter-melodies: a slow line on guide tones under the melody.

A counter-melody (style ``counter``, e.g. strings or a second synth) holds one
note per chord, chosen among the chord's guide tones (third and seventh first,
then the other tones) as the nearest to the previous note, so the line moves
by step or common tone. At higher energy it moves again mid-chord to another
chord tone, and leads into the next chord with a short passing note (a scale
step) on the last weak eighth. Registers sit below the lead's range.

Examples
--------
>>> from lemm.score.harmony import parse_chord
>>> guide_tones(parse_chord("G7"))
(11, 5, 2, 7)
"""

from __future__ import annotations

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.compose.instruments import PartSpec, range_of
from lemm.score.harmony import ParsedChord
from lemm.score.model import Note

__all__ = ["guide_tones", "counter_section", "COUNTER_REGISTER"]

#: Default register of a counter line (intersected with the preset's range).
COUNTER_REGISTER = (52, 74)


def guide_tones(chord: ParsedChord) -> tuple[int, ...]:
    """Pitch classes in order of preference: third, seventh (or sixth), fifth, root, others."""
    pcs = chord.pitch_classes
    root = chord.root_pc
    order = sorted(pcs, key=lambda pc: {3: 0, 4: 0, 10: 1, 11: 1, 9: 1, 2: 2, 5: 2, 7: 3, 6: 3, 8: 3, 0: 4}.get((pc - root) % 12, 5))
    return tuple(dict.fromkeys(order))


def _nearest(pcs: tuple[int, ...], previous: int, low: int, high: int, rng: np.random.Generator) -> int:
    cands = [p for p in range(low, high + 1) if p % 12 in pcs]
    costs = np.array([abs(p - previous) + 1.5 * pcs.index(p % 12) for p in cands], dtype=float)
    z = np.exp(-(costs - costs.min()) / 0.8)
    return cands[int(rng.choice(len(cands), p=z / z.sum()))]


def counter_section(ctx: ArrangeContext, spec: PartSpec, section_index: int, rng: np.random.Generator) -> list[Note]:
    """Counter-melody notes of one section (sorted; inside the preset's range)."""
    first_bar, n_bars = ctx.section_bounds(section_index)
    p_low, p_high = range_of(spec.preset)
    low, high = max(COUNTER_REGISTER[0], p_low), min(COUNTER_REGISTER[1], p_high)
    if high - low < 12:
        low, high = p_low, min(p_high, p_low + 19)
    prev = int((low + high) // 2)
    out: list[Note] = []
    end = (first_bar + n_bars) * ctx.bar_ticks
    for b in range(first_bar, first_bar + n_bars):
        e = ctx.energy(b)
        if e < spec.min_energy:
            continue
        for span in ctx.chords_by_bar[b]:
            tones = guide_tones(span.chord)
            pitch = _nearest(tones, prev, low, high, rng)
            vel = velocity_for(e, low=42, high=96, accent=rng.normal(0.0, 2.0))
            pieces = [(span.start_tick, span.duration_ticks)]
            if e >= 0.55 and span.duration_ticks >= 4 * ctx.beat_ticks:  # move again at mid-chord
                half = span.duration_ticks // 2
                pieces = [(span.start_tick, half), (span.start_tick + half, span.duration_ticks - half)]
            for k, (t, d) in enumerate(pieces):
                if k:
                    pitch = _nearest(tuple(pc for pc in tones if pc != pitch % 12) or tones, pitch, low, high, rng)
                nxt_tick = span.end_tick
                passing = k == len(pieces) - 1 and e >= 0.45 and nxt_tick < end and d >= 2 * ctx.beat_ticks
                if passing:
                    target = _nearest(guide_tones(ctx.chord_at(nxt_tick).chord), pitch, low, high, rng)
                    scale = [q for q in range(low, high + 1) if q % 12 in ctx.scale_pcs and 0 < abs(q - target) <= 2]
                    step = min(scale, key=lambda q: (abs(q - pitch), q)) if scale else None
                    if step is not None and step != pitch:
                        short = ctx.sub_ticks
                        out.append(Note(pitch, t, d - short - 10, vel, "legato"))
                        out.append(Note(step, t + d - short, short - 10, max(1, vel - 8), None))
                        continue
                out.append(Note(pitch, t, d - 10, vel, "legato"))
            prev = pitch
    return sorted((n for n in out if n.start_tick < end), key=lambda n: (n.start_tick, n.pitch))
