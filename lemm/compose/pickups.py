"""Vocal pickups: a line that opens on unstressed words sings them before the bar line, into its first stress.

"and the *thun*-der": when a sung line's first stressed content syllable falls after its slot's
downbeat, behind one to :data:`MAX_PICKUP_SYLLABLES` unstressed or function-word syllables, the
whole line moves earlier by a half-bar multiple (so every note keeps its beat strength: downbeat
and mid-bar trade places) until that syllable lands on the slot's downbeat; the syllables before it
become the pickup at the end of the previous line's rest; the moved line's strong-beat notes are
snapped to the chords they now sound over. A line moves only when a rest of
:data:`MIN_REST_BEATS` beats still separates it from the line before, and never across a section
start (a section's first line keeps its place, so every (track, section) is written alone).

A section's first line gets its pickup inside its own first bar instead: when it opens on one to
:data:`MAX_PICKUP_SYLLABLES` unstressed syllables, its rhythm is drawn again (up to
:data:`OPENING_TRIES` draws, the later ones from a generator spawned from the section's, :func:`opening_rhythm`) until its first
stressed content syllable lands on a strong beat (downbeat or mid-bar), the syllables before it
leading in after the rest that opens the section.

:func:`add_pickups` works on a section's finished vocal notes, grouped by their line slots; a
later verse is adapted from the first one's notes *before* pickups (:mod:`lemm.compose.reprise`
groups a template by slot), then moves the lines the first verse moved, by as much (its phrasing
returns with its tune).

Examples
--------
>>> MAX_PICKUP_SYLLABLES, MIN_REST_BEATS, OPENING_TRIES
(3, 0.5, 8)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from lemm.compose.context import ArrangeContext
from lemm.compose.melody import snap_strong_beats
from lemm.compose.text_setting import syllable_flags
from lemm.score.model import Note
from lemm.text.syllables import LyricLine

__all__ = ["MAX_PICKUP_SYLLABLES", "MIN_REST_BEATS", "OPENING_TRIES", "add_pickups", "pickup_shift", "first_stress_index", "opening_rhythm"]

#: Most unstressed syllables sung before the bar line.
MAX_PICKUP_SYLLABLES = 3
#: Shortest rest (beats) left between the line before and a pickup.
MIN_REST_BEATS = 0.5
#: Most rhythms drawn for a section's first line until its first stress lands on a strong beat.
OPENING_TRIES = 8
#: Metric weight of a strong beat (downbeat 1.0, mid-bar 0.75: :meth:`ArrangeContext.metric_weight`).
STRONG_WEIGHT = 0.75


def first_stress_index(stressed: Sequence[bool], function_words: Sequence[bool]) -> int | None:
    """Index of a line's first stressed content syllable (not a function word), or None.

    >>> first_stress_index([False, False, True, False], [True, True, False, False])
    2
    """
    return next((i for i, (s, f) in enumerate(zip(stressed, function_words, strict=True)) if s and not f), None)


def opening_rhythm(
    ctx: ArrangeContext, draw: Callable[[np.random.Generator], list[tuple[int, int]]], rng: np.random.Generator, *,
    stressed: Sequence[bool], function_words: Sequence[bool],
) -> list[tuple[int, int]]:
    """A section's first line's rhythm, with its pickup inside the section: drawn again until the first stress is on a strong beat.

    Parameters
    ----------
    draw : callable
        Draws one rhythm of the line (``(start_tick, duration_ticks)`` per syllable) with the generator it is given.
    rng : numpy.random.Generator
        The section's generator: the first draw uses it (as a line without this rule would), the draws
        after it a generator spawned from it (:meth:`numpy.random.Generator.spawn`, which leaves
        ``rng``'s stream as it is), so the rest of the section draws what it drew before.
    stressed, function_words : sequence of bool
        One flag per syllable.

    Returns
    -------
    list of (start_tick, duration_ticks)
        The first draw when the line does not open on 1..:data:`MAX_PICKUP_SYLLABLES` unstressed
        syllables; else the first of up to :data:`OPENING_TRIES` draws whose first stressed content
        syllable starts on a strong beat, or the first draw when none does.
    """
    first = draw(rng)
    k = first_stress_index(stressed, function_words)
    if k is None or not 1 <= k <= MAX_PICKUP_SYLLABLES:
        return first
    rhythm, retry = first, None
    for i in range(OPENING_TRIES):
        if i:
            retry = retry or rng.spawn(1)[0]
            rhythm = draw(retry)
        if k < len(rhythm) and ctx.metric_weight(rhythm[k][0]) >= STRONG_WEIGHT:
            return rhythm
    return first


def pickup_shift(ctx: ArrangeContext, onsets: Sequence[int], *, slot_start: int, stressed: Sequence[bool], function_words: Sequence[bool], earliest: int) -> int:
    """Ticks to move a line earlier so its first stressed content syllable lands on ``slot_start`` (0: no pickup).

    Parameters
    ----------
    onsets : sequence of int
        The line's note onsets (ticks), one per syllable.
    slot_start : int
        The line's slot start (a bar line).
    stressed, function_words : sequence of bool
        One flag per syllable.
    earliest : int
        The first tick a moved note may start on (the line before's end plus the rest).
    """
    first = first_stress_index(stressed, function_words)
    if first is None or not 1 <= first <= MAX_PICKUP_SYLLABLES or first >= len(onsets):
        return 0
    half = ctx.bar_ticks // 2 if ctx.beats_per_bar % 2 == 0 else ctx.bar_ticks
    shift = onsets[first] - slot_start
    if shift <= 0 or shift % half or onsets[0] - shift < earliest:
        return 0
    return shift


def add_pickups(
    ctx: ArrangeContext, notes: Sequence[Note], slots: Sequence[tuple[int, int]], lines: Sequence[LyricLine], *, low: int, high: int,
    like: Sequence[int] | None = None,
) -> tuple[list[Note], list[int]]:
    """A section's vocal ``notes`` with pickups into its lines (see the module docstring).

    Parameters
    ----------
    notes : sequence of Note
        The section's vocal notes, one per syllable, each line inside its slot.
    slots : sequence of (start_tick, n_beats)
        The section's line slots; slot ``k`` sings ``lines[k % len(lines)]``.
    lines : sequence of LyricLine
    low, high : int
        The melody's range: a moved line's strong-beat notes are snapped to the chords they now sound over.
    like : sequence of int, optional
        Shifts (ticks per slot) of the section this one returns to (a later verse): line ``k`` moves
        by ``like[k]`` when there is room, so a returning verse keeps the first one's phrasing.

    Returns
    -------
    notes : list[Note]
        The notes, some lines moved earlier; a line whose notes do not match its syllables stays.
    shifts : list[int]
        Ticks each slot's line moved.
    """
    if not notes or not lines or len(slots) < 2:
        return list(notes), [0] * len(slots)
    ordered = sorted(notes, key=lambda n: n.start_tick)
    groups = []
    for start, n_beats in slots:
        end = start + n_beats * ctx.beat_ticks
        groups.append([n for n in ordered if start <= n.start_tick < end])
    grouped = {id(n) for g in groups for n in g}
    out = [n for n in ordered if id(n) not in grouped]
    prev_end = None
    rest = int(MIN_REST_BEATS * ctx.beat_ticks)
    shifts = []
    for k, ((start, _), group) in enumerate(zip(slots, groups, strict=True)):
        syl = [s for w in lines[k % len(lines)].words for s in w.syllables]
        shift = 0
        if like is not None:
            wanted = like[k] if k < len(like) else 0
            if k > 0 and group and prev_end is not None and wanted and group[0].start_tick - wanted >= prev_end + rest:
                shift = wanted
        elif k > 0 and group and prev_end is not None and len(syl) == len(group):
            shift = pickup_shift(ctx, [n.start_tick for n in group], slot_start=start, stressed=[s.stressed for s in syl],
                                 function_words=syllable_flags(lines[k % len(lines)]), earliest=prev_end + rest)
        shifts.append(shift)
        moved = [replace(n, start_tick=n.start_tick - shift) for n in group]
        if shift:
            rhythm = [(n.start_tick, n.duration_ticks) for n in moved]
            pitches = snap_strong_beats(ctx, rhythm, [n.pitch for n in moved], min(low, *(n.pitch for n in moved)), max(high, *(n.pitch for n in moved)))
            moved = [replace(n, pitch=int(p)) for n, p in zip(moved, pitches, strict=True)]
        out += moved
        if moved:
            prev_end = max(n.end_tick for n in moved)
    return sorted(out, key=lambda n: (n.start_tick, n.pitch)), shifts
