"""Lied rhythm: one note per syllable placed with onset and spacing statistics learned from the lieder.

Used with ``method="model"``: like :func:`lemm.compose.lyrics_align.syllable_rhythm` (same slots,
dynamic programming over a grid, stressed syllables on beats, the last syllable held for one to two beats, a rest
before the next line), but on a sixteenth grid whose costs are the negative log-probabilities
measured on the training songs (:func:`rhythm_prior`):

- where in the bar a syllable starts, per time signature (``onset_logp[meter][sixteenth]``);
- the inter-onset interval between consecutive syllables of a phrase (``gap_logp[sixteenths]``),

so dotted and sixteenth-note rhythms appear as often as in the corpus. When the syllables do not
fit (more syllables than sixteenths), the rule rhythm is used.

Examples
--------
>>> prior = {"gap_logp": [-9.0, -2.0, -0.8, -3.0, -1.5] + [-6.0] * 27, "onset_logp": {}}
>>> int(np.argmax(prior["gap_logp"]))  # an eighth note is the likeliest spacing
2
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np

from lemm.compose.lyrics_align import syllable_rhythm
from lemm.compose.melody.rules import Phrase

__all__ = ["rhythm_prior", "lied_rhythm", "MAX_GAP"]

MAX_GAP = 32  # sixteenths
#: Weight of the onset-position term against the spacing term (the two are not independent in
#: the data; full weight over-counts the beat positions and gives too many quarter notes).
ONSET_WEIGHT = 0.5


def rhythm_prior(songs: Sequence[dict], *, tpq: int = 480) -> dict:
    """Onset-position and syllable-spacing log-probabilities (sixteenth grid) from extracted songs.

    Returns ``{"gap_logp": [MAX_GAP floats], "onset_logp": {"4/4": [16 floats], ...}}`` (add-one smoothed;
    only time signatures with at least 500 syllables).
    """
    unit = tpq // 4
    gaps = np.ones(MAX_GAP)
    gaps[0] = 1e-3
    onsets: dict[str, np.ndarray] = {}
    for s in songs:
        on, du, syl = s["onset"], s["dur"], s["syl"]
        bars, times = s["bars"] or [0], s["times"]
        tt = [t[0] for t in times]
        idx = [i for i in range(len(on)) if syl[i] != "-"]
        for a, i in enumerate(idx):
            b = max(0, bisect.bisect_right(bars, on[i]) - 1)
            _, num, den = times[max(0, bisect.bisect_right(tt, bars[b]) - 1)]
            n_units = num * 4 * tpq // den // unit
            pos = on[i] - bars[b]
            if pos % unit == 0 and n_units > 0 and pos // unit < n_units:
                onsets.setdefault(f"{num}/{den}", np.ones(n_units))[pos // unit] += 1
            if a + 1 < len(idx):
                j = idx[a + 1]
                gap = on[j] - on[i]
                prev_end = on[j - 1] + du[j - 1]
                if gap % unit == 0 and on[j] - prev_end < tpq // 2 and 0 < gap // unit < MAX_GAP:
                    gaps[gap // unit] += 1
    return {
        "gap_logp": np.log(gaps / gaps.sum()).round(4).tolist(),
        "onset_logp": {k: np.log(v / v.sum()).round(4).tolist() for k, v in sorted(onsets.items()) if v.sum() >= 500 + len(v)},
    }


def lied_rhythm(ctx, start_tick: int, n_beats: int, syllables, rng: np.random.Generator, *, prior: dict) -> Phrase:
    """One note per syllable inside a slot, spaced like the lieder (see the module docstring)."""
    n = len(syllables)
    if n == 0:
        return []
    unit = max(1, ctx.resolution // 4)
    slot_ticks = n_beats * ctx.beat_ticks
    rest = ctx.beat_ticks // 2 if n_beats >= 4 else ctx.sub_ticks // 2
    grid = max(1, (slot_ticks - rest) // unit)
    if n > grid:
        return syllable_rhythm(ctx, start_tick, n_beats, syllables, rng)
    meter = f"{ctx.plan.meter_numerator}/{ctx.plan.meter_denominator}"
    bar_units = max(1, ctx.bar_ticks // unit)
    onset = prior["onset_logp"].get(meter)
    if onset is None or len(onset) != bar_units:
        onset = [np.log(0.02 + ctx.metric_weight(k * unit)) for k in range(bar_units)]
    onset = np.asarray(onset)
    gap_logp = np.asarray(prior["gap_logp"])
    pos_logp = np.array([onset[((start_tick + g * unit) % ctx.bar_ticks) // unit] for g in range(grid)])
    weights = np.array([ctx.metric_weight(start_tick + g * unit) for g in range(grid)])
    noise = rng.gumbel(0.0, 0.35, size=grid)
    inf = 1e9
    cost = np.full((n, grid), inf)
    back = np.zeros((n, grid), dtype=int)

    def local(i: int, g: int) -> float:
        c = -ONSET_WEIGHT * pos_logp[g] - noise[g]
        if syllables[i].stressed:
            c += 1.5 * (1.0 - weights[g])
        return c

    for g in range(min(grid, 8)):
        cost[0, g] = local(0, g) + 0.5 * g
    for i in range(1, n):
        for g in range(i, grid):
            lo = max(i - 1, g - (MAX_GAP - 1))
            prev = cost[i - 1, lo:g]
            if prev.size == 0:
                continue
            total = prev - gap_logp[g - np.arange(lo, g)]
            j = int(np.argmin(total))
            cost[i, g] = total[j] + local(i, g)
            back[i, g] = lo + j
    g = int(np.argmin(cost[n - 1]))
    positions = [g]
    for i in range(n - 1, 0, -1):
        g = int(back[i, g])
        positions.append(g)
    positions.reverse()
    ticks = [start_tick + p * unit for p in positions]
    end_of_singing = start_tick + grid * unit
    out: Phrase = []
    last_cap = int(ctx.beat_ticks * rng.choice([1.0, 1.5, 2.0], p=[0.4, 0.3, 0.3]))
    for k, t in enumerate(ticks):
        nxt = ticks[k + 1] if k + 1 < len(ticks) else end_of_singing
        dur = min(nxt - t, 2 * ctx.beat_ticks if k + 1 < len(ticks) else last_cap)
        out.append((t, max(unit, dur)))
    return out
