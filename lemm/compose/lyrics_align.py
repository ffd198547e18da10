"""Lyrics on the melody: stanzas to sections, lines to phrases, one note per syllable.

Stanza rule (:func:`assign_stanzas`)
------------------------------------
Only verses, pre-choruses, choruses and bridges are sung; intros, outros, breaks
and drops are instrumental.

- One stanza: it is sung in every sung section.
- Two or more: stanza 1 is the chorus, sung (identically) in every chorus. The
  other stanzas (0, 2, 3, ...) go in song order to the verses and bridges; when
  there are more of those sections than stanzas, the stanzas are used again from
  the first (verse 3 sings stanza 0 again). Stanzas left over when every section
  has one are not sung. A pre-chorus sings the lines of the preceding section's
  stanza that did not fit there, else it sings the last two lines of the latest
  verse or bridge stanza again (twice when it has room: the build into the chorus
  keeps the voice).

Labelled lyric sheets (``[Verse 1]``, ``[Chorus]``...) follow their labels instead
(:mod:`lemm.compose.lyric_sheet`).

Line rule (:func:`line_slots`)
------------------------------
A section is cut into equal slots, one per line (2 bars a line when bars are
short, 1 when long; longer slots when there are few lines; a section with room
for the stanza twice sings it twice, never more than :data:`MAX_REPEATS` times; only choruses and
pre-choruses repeat). Inside its slot a line's syllables go on
an eighth grid (sixteenths when crowded) chosen by dynamic programming: stressed
syllables on beats, evenly spaced, starting near the slot start, the last
syllable held, and at least half a beat of rest before the next line.

Examples
--------
>>> from lemm.text.syllables import syllabify
>>> lines = syllabify("one\\n\\ntwo\\n\\nthree")
>>> assign_stanzas(lines, ["intro", "verse", "chorus", "verse", "chorus", "outro"])
[[], [0], [1], [2], [1], []]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lemm.compose.context import ArrangeContext
from lemm.compose.melody import Phrase
from lemm.compose.melody.rules import _phrase_bars
from lemm.compose.text_setting import downbeat_penalty, final_hold_penalty, hold_penalty
from lemm.text.syllables import LyricLine, Syllable

__all__ = ["SUNG_KINDS", "assign_stanzas", "line_slots", "lines_for_sections", "syllable_rhythm"]

SUNG_KINDS = ("verse", "pre-chorus", "chorus", "bridge")
#: A chorus with room for its lines several times sings them at most this many times.
MAX_REPEATS = 2
#: Lines of the previous stanza a pre-chorus sings again when nothing spilled over to it.
PRE_CHORUS_LINES = 2


def assign_stanzas(lines: Sequence[LyricLine], kinds: Sequence[str]) -> list[list[int]]:
    """Stanza numbers sung in each section (a list per section; see the module docstring)."""
    stanzas = sorted({ln.stanza for ln in lines})
    out: list[list[int]] = [[] for _ in kinds]
    if not stanzas:
        return out
    if len(stanzas) == 1:
        return [[stanzas[0]] if k in SUNG_KINDS and k != "pre-chorus" else [] for k in kinds]
    chorus_stanza = stanzas[1]
    others = [s for s in stanzas if s != chorus_stanza]
    k_other = 0
    for i, kind in enumerate(kinds):
        if kind == "chorus":
            out[i] = [chorus_stanza]
        elif kind in ("verse", "bridge"):
            out[i] = [others[k_other % len(others)]]
            k_other += 1
    return out


def line_slots(ctx: ArrangeContext, section_index: int, n_lines: int, *, repeat: bool) -> list[tuple[int, int]]:
    """(start_tick, n_beats) of the slot of each sung line in a section (maybe fewer than ``n_lines``)."""
    first_bar, n_bars = ctx.section_bounds(section_index)
    if n_lines <= 0:
        return []
    pb = min(_phrase_bars(ctx), n_bars)
    capacity = n_bars // pb
    start = first_bar * ctx.bar_ticks
    if n_lines <= capacity:
        times = min(capacity // n_lines, MAX_REPEATS) if repeat else 1
        total = n_lines * times
        slot_bars = max(pb, (n_bars // total) // pb * pb)
        return [(start + k * slot_bars * ctx.bar_ticks, slot_bars * ctx.beats_per_bar) for k in range(total)]
    total_beats = n_bars * ctx.beats_per_bar
    slot_beats = max(2, total_beats // n_lines)
    n_fit = min(n_lines, total_beats // slot_beats)
    return [(start + k * slot_beats * ctx.beat_ticks, slot_beats) for k in range(n_fit)]


def syllable_rhythm(ctx: ArrangeContext, start_tick: int, n_beats: int, syllables: Sequence[Syllable], rng: np.random.Generator, *, function_words: Sequence[bool] | None = None) -> Phrase:
    """One note per syllable inside a slot (see the module docstring); may return fewer if the slot is too short.

    ``function_words`` (one flag per syllable) keeps function words off the downbeat and mid-bar;
    function words and unstressed syllables are kept off long notes
    (:func:`lemm.compose.text_setting.hold_penalty`).
    """
    n = len(syllables)
    if n == 0:
        return []
    slot_ticks = n_beats * ctx.beat_ticks
    rest = ctx.beat_ticks if n_beats >= 4 else ctx.beat_ticks // 2
    unit = ctx.sub_ticks
    if n > (slot_ticks - rest) // unit:
        unit = ctx.sub_ticks // 2
    grid = max(1, (slot_ticks - rest) // unit)
    if n > grid:
        rest = ctx.sub_ticks // 2
        grid = max(1, (slot_ticks - rest) // unit)
    n = min(n, grid)
    weights = np.array([ctx.metric_weight(start_tick + g * unit) for g in range(grid)])
    noise = rng.normal(0.0, 0.12, size=grid)
    span = min(grid, max(n, int(round(grid * rng.uniform(0.6, 0.85)))))
    ideal = max(1.0, span / n)
    max_gap = int(max(3, 2 * ideal + 1))
    inf = 1e9
    cost = np.full((n, grid), inf)
    back = np.zeros((n, grid), dtype=int)

    def local(i: int, g: int) -> float:
        w = weights[g]
        c = (1.0 - w) * 2.0 if syllables[i].stressed else (0.5 if w >= 1.0 else 0.0) + 0.15 * w
        if function_words is not None and i < len(function_words) and function_words[i]:
            c = downbeat_penalty(weight=w, function_word=True, stressed=False) + 0.15 * w
        return c + noise[g]

    for g in range(min(grid, 4 if unit == ctx.sub_ticks else 6)):
        cost[0, g] = local(0, g) + 0.35 * g
    for i in range(1, n):
        for g in range(i, grid):
            lo = max(i - 1, g - max_gap)
            prev = cost[i - 1, lo:g]
            if prev.size == 0:
                continue
            gaps = g - np.arange(lo, g)
            total = prev + 0.25 * (gaps - ideal) ** 2
            fw = function_words is not None and i - 1 < len(function_words) and bool(function_words[i - 1])
            if fw or not syllables[i - 1].stressed:  # syllable i - 1 is held for the gap
                total = total + hold_penalty(beats=gaps * unit / ctx.beat_ticks, function_word=fw, stressed=bool(syllables[i - 1].stressed))
            j = int(np.argmin(total))
            cost[i, g] = total[j] + local(i, g)
            back[i, g] = lo + j
    # the last syllable is held: prefer it to land with room after it
    tail = cost[n - 1] + np.array([0.0 if grid - g >= 2 else 1.5 for g in range(grid)])
    tail = tail + final_hold_penalty(beats=(grid - np.arange(grid)) * unit / ctx.beat_ticks)  # the line lands on a held note
    g = int(np.argmin(tail))
    positions = [g]
    for i in range(n - 1, 0, -1):
        g = int(back[i, g])
        positions.append(g)
    positions.reverse()
    ticks = [start_tick + p * unit for p in positions]
    end_of_singing = start_tick + grid * unit
    out: Phrase = []
    for k, t in enumerate(ticks):
        nxt = ticks[k + 1] if k + 1 < len(ticks) else end_of_singing
        dur = nxt - t
        if k + 1 < len(ticks):
            dur = min(dur, 2 * ctx.beat_ticks)
        out.append((t, max(unit // 2, dur)))
    return out


def lines_for_sections(lines: Sequence[LyricLine], kinds: Sequence[str], capacities: Sequence[int]) -> list[list[LyricLine]]:
    """Lines sung in each section, applying the stanza rule and the pre-chorus spill-over.

    ``capacities`` is how many lines each section can hold.
    """
    by_stanza: dict[int, list[LyricLine]] = {}
    for ln in lines:
        by_stanza.setdefault(ln.stanza, []).append(ln)
    stanzas = assign_stanzas(lines, kinds)
    out: list[list[LyricLine]] = []
    spill: list[LyricLine] = []
    last_stanza: list[LyricLine] = []
    for i, kind in enumerate(kinds):
        if kind == "pre-chorus":
            if not spill and last_stanza:
                spill = last_stanza[-min(PRE_CHORUS_LINES, len(last_stanza)):]  # the build sings the last stanza's end again
            out.append(spill[: capacities[i]])
            spill = []
            continue
        sung = [ln for s in stanzas[i] for ln in by_stanza[s]]
        out.append(sung)
        spill = sung[capacities[i] :] if kind != "chorus" else []
        if kind in ("verse", "bridge") and sung:
            last_stanza = sung
    return out
