"""The notation view of a score: nominal note values on the meter's grid, per part, staff and voice.

The score holds the performance (gate lengths, humanised onsets, swing); the
page shows what a player reads. This module turns one into the other, as pure
functions of the score:

1. swing is detected from the onsets (off-beats of a unit consistently late)
   and written straight (the writer adds a swing marking);
2. each voice's beats are read on a straight 16th grid, or on an 8th-triplet
   grid where that beat's onsets are triplets (sit off the 16th grid and on
   the triplet one); onsets and ends snap to the grid of their beat;
3. notes with one notated onset in a voice become one chord lasting to its
   longest end or the voice's next onset, whichever is first (a notated voice
   never overlaps itself); drums split into hands (voice 1) and feet (voice 2),
   keyboards on a grand staff into the hands at middle C.

Positions are :class:`fractions.Fraction` quarter notes from the song start.

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> s = Score(tracks=(Track("bass", "bass", "electric_bass", program=33,
...     notes=(Note(40, 3, 220), Note(43, 242, 210), Note(45, 481, 440))),))
>>> [(c.start, c.end) for c in notation_view(s).parts[0].lines[0].chords]
[(Fraction(0, 1), Fraction(1, 2)), (Fraction(1, 2), Fraction(1, 1)), (Fraction(1, 1), Fraction(2, 1))]
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass
from fractions import Fraction

from lemm.score import model as m
from lemm.score.notation.parts import PartLayout, drum_key, layout_for, score_order

__all__ = ["Bar", "Chord", "Line", "NotationView", "PartView", "Swing", "beat_length", "detect_swing", "notation_view"]

SIXTEENTH = Fraction(1, 4)
_TRIPLET_EVIDENCE = Fraction(1, 24)  # an onset this far off the 16th grid is no humanised 16th
_STRUM = Fraction(1, 16)  # onsets this close are one strummed or humanised attack


@dataclass(frozen=True)
class Swing:
    """Off-beats of ``unit`` (quarters: 1/2 eighths, 1/4 sixteenths) played ``delay`` quarters late."""

    unit: Fraction
    delay: Fraction


@dataclass(frozen=True)
class Chord:
    """Notes sounding together in one voice from ``start`` to ``end`` (quarters)."""

    start: Fraction
    end: Fraction
    notes: tuple[m.Note, ...]


@dataclass(frozen=True)
class Line:
    """One voice of one staff: its chords in time order and the beats it reads as triplets."""

    staff: int
    voice: int
    chords: tuple[Chord, ...]
    triplet_beats: frozenset[Fraction]

    @functools.cached_property
    def _chord_starts(self) -> tuple[int, list[int]]:
        """(scale, the chords' starts in 1/scale quarters): whole numbers, searched without fraction comparisons."""
        scale = math.lcm(1, *(c.start.denominator for c in self.chords))
        return scale, [c.start.numerator * (scale // c.start.denominator) for c in self.chords]

    def chords_in(self, start: Fraction, end: Fraction) -> tuple[Chord, ...]:
        """The chords sounding somewhere in ``[start, end)`` (a voice's chords never overlap)."""
        scale, starts = self._chord_starts
        lo = max(0, bisect.bisect_right(starts, math.floor(start * scale)) - 1)  # starts <= start
        hi = bisect.bisect_left(starts, math.ceil(end * scale))  # starts < end
        return tuple(c for c in self.chords[lo:hi] if c.end > start)


@dataclass(frozen=True)
class PartView:
    """One track as engraved."""

    track: m.Track
    layout: PartLayout
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Bar:
    """One measure: start and length in quarters, its meter and beat length."""

    start: Fraction
    length: Fraction
    meter: m.MeterChange

    @property
    def beat(self) -> Fraction:
        """The felt beat in quarters."""
        return beat_length(self.meter)

    @property
    def end(self) -> Fraction:
        """First position after the bar."""
        return self.start + self.length


@dataclass(frozen=True)
class NotationView:
    """The whole score as engraved: bars, swing, parts in score order."""

    score: m.Score
    bars: tuple[Bar, ...]
    swing: Swing | None
    parts: tuple[PartView, ...]

    def mark_position(self, tick: int) -> Fraction:
        """Where a marking (tempo, key, section, chord symbol, dynamic) at ``tick`` is written: the nearest 16th."""
        t = _straighten(Fraction(tick, self.score.resolution), self.swing)
        return min(round(t / SIXTEENTH) * SIXTEENTH, self.bars[-1].end)


def beat_length(meter: m.MeterChange) -> Fraction:
    """The felt beat in quarters: a dotted quarter in 6/8, 9/8, 12/8; otherwise the denominator's value."""
    unit = Fraction(4, meter.denominator)
    if meter.denominator >= 8 and meter.numerator % 3 == 0 and meter.numerator > 3:
        return 3 * unit
    return unit


def _bars(score: m.Score) -> tuple[Bar, ...]:
    end = Fraction(max([score.end_tick, 1] + [c.end_tick for c in score.chords] + [k.tick + 1 for k in score.keys]
                       + [t.tick + 1 for t in score.tempos] + [x.tick + 1 for x in score.meters]), score.resolution)  # fmt: skip
    out: list[Bar] = []
    pos, k = Fraction(0), 0
    while pos < end or not out:
        while k + 1 < len(score.meters) and Fraction(score.meters[k + 1].tick, score.resolution) <= pos:
            k += 1
        meter = score.meters[k]
        length = Fraction(meter.bar_ticks(score.resolution), score.resolution)
        out.append(Bar(pos, length, meter))
        pos += length
    return tuple(out)


def detect_swing(score: m.Score) -> Swing | None:
    """Swing read from the onsets of a simple-meter score: off-beats of a unit consistently and clearly late.

    >>> from lemm.score.model import Score, Track, Note
    >>> notes = tuple(Note(60, 480 * b + o, 100) for b in range(8) for o in (0, 320))
    >>> detect_swing(Score(tracks=(Track("p", "keys", "acoustic_piano", notes=notes),)))
    Swing(unit=Fraction(1, 2), delay=Fraction(1, 6))
    """
    if any(beat_length(x) != 1 for x in score.meters):
        return None
    # Exact integer arithmetic in 1/scale quarters: every bound below (unit/16, unit*2/3, ...) is a whole number of them.
    res = score.resolution
    scale = math.lcm(res, 64) * 3
    per_tick = scale // res
    onsets = [(n.start_tick % res) * per_tick for t in score.tracks for n in t.notes]  # position in the quarter
    for unit in (Fraction(1, 2), Fraction(1, 4)):
        u = scale * unit.numerator // unit.denominator
        pos = [o % (2 * u) for o in onsets]
        straight = sum(1 for p in pos if abs(p - u) * 16 <= u)
        late = [p - u for p in pos if u < 8 * (p - u) and 4 * (p - u) < u * 3]
        thirds = sum(1 for p in pos if abs(3 * p - 2 * u) * 16 <= 3 * u)  # triplet figures: then these are triplets, not swing
        if len(late) >= 8 and len(late) >= 3 * max(straight, thirds):
            late.sort()  # the median, exact (statistics.median of the same Fractions)
            k = len(late) // 2
            median = Fraction(late[k], scale) if len(late) % 2 else Fraction(late[k - 1] + late[k], 2 * scale)
            return Swing(unit, median.limit_denominator(res))
    return None


def _straighten(t: Fraction, swing: Swing | None) -> Fraction:
    if swing is None:
        return t
    p = t % (2 * swing.unit)
    return t - swing.delay if abs(p - swing.unit - swing.delay) <= max(swing.delay / 2, swing.unit / 8) else t


def _round_half_even(p: int, q: int) -> int:
    """``round(Fraction(p, q))`` for ``q > 0``: the nearest integer, ties to even (Python's rounding)."""
    floor, rest = divmod(p, q)
    if 2 * rest < q:
        return floor
    if 2 * rest > q:
        return floor + 1
    return floor + (floor & 1)


class _Grid:
    """Exact positions as integers: ``scale`` units per quarter, a multiple of every denominator the view meets.

    Those are the score's ticks, the swing delay (and its half), the 16th, 32nd and 64th, the triplet
    third of any beat and the evidence bounds (1/24, 1/16); the view computes in these integers and
    hands out :class:`fractions.Fraction` values equal to what the same steps in fractions give.
    """

    def __init__(self, resolution: int, swing: Swing | None) -> None:
        self.scale = 3 * math.lcm(resolution, 384, 2 * swing.delay.denominator if swing is not None else 1)
        self.per_tick = self.scale // resolution
        if swing is not None:
            self.unit2 = 2 * self.units(swing.unit)
            self.unit = self.units(swing.unit)
            self.delay = self.units(swing.delay)
            self.tolerance = max(self.delay // 2, self.unit // 8)  # both whole: max(delay / 2, unit / 8)
        self.swing = swing

    def units(self, q: Fraction) -> int:
        return q.numerator * (self.scale // q.denominator)

    def straight_tick(self, tick: int) -> int:
        """:func:`_straighten` of ``tick`` in units."""
        t = tick * self.per_tick
        if self.swing is None:
            return t
        return t - self.delay if abs(t % self.unit2 - self.unit - self.delay) <= self.tolerance else t


class _BeatGrid:
    """The beats of the song (in :class:`_Grid` units) and which of them a voice reads as triplets."""

    def __init__(self, bars: tuple[Bar, ...], grid: _Grid) -> None:
        self.starts: list[int] = []
        self.lengths: list[int] = []
        self.sixteenth, self.strum, self.evidence = grid.units(SIXTEENTH), grid.units(_STRUM), grid.units(_TRIPLET_EVIDENCE)
        for bar in bars:
            pos, end, beat = grid.units(bar.start), grid.units(bar.end), grid.units(bar.beat)
            while pos < end:
                self.starts.append(pos)
                self.lengths.append(min(beat, end - pos))
                pos += beat
        self.quarter = grid.scale
        self.triplets: set[int] = set()

    def beat_of(self, t: int) -> int:
        return max(0, min(len(self.starts) - 1, bisect.bisect_right(self.starts, t) - 1))

    def step(self, i: int) -> int:
        return self.lengths[i] // 3 if self.starts[i] in self.triplets else self.sixteenth

    def snap(self, t: int) -> int:
        i = self.beat_of(t + self.sixteenth // 2)
        step = self.step(i)
        return self.starts[i] + _round_half_even(t - self.starts[i], step) * step

    def choose_triplets(self, onsets: list[int]) -> None:
        sixteenth = self.sixteenth
        heads: list[int] = []  # a strum's first note stands for it
        for t in sorted(onsets):
            if not heads or t - heads[-1] > self.strum:
                heads.append(t)
        by_beat: dict[int, list[int]] = {}
        for t in heads:
            i = self.beat_of(t + sixteenth // 2)
            by_beat.setdefault(i, []).append(t - self.starts[i])
        for i, offs in by_beat.items():
            if self.lengths[i] != self.quarter:
                continue
            off16 = [abs(o - _round_half_even(o, sixteenth) * sixteenth) for o in offs]
            if max(off16) <= self.evidence:
                continue
            # The distance to the triplet grid is a float (as the fraction code it replaces computed it:
            # ``round(o * 3) / 3`` is an int over 3), compared exactly with the 16ths' fraction.
            off3 = [abs(o / self.quarter - _round_half_even(3 * o, self.quarter) / 3) for o in offs]
            if sum(off3) < Fraction(sum(off16), self.quarter):
                self.triplets.add(self.starts[i])


def _nominal_ends(starts: list[int], ends: list[int], grid: _BeatGrid, *, drums: bool) -> list[int]:
    """Written ends: a note whose silence before the voice's next onset is short next to it (a performed
    gate, under 40% of its length) lasts to that onset; a drum hit lasts to the next hit or beat."""
    onsets = sorted(set(starts))
    half = grid.sixteenth // 2
    out = []
    for s, e in zip(starts, ends, strict=True):
        k = bisect.bisect_right(onsets, s + half)
        nxt = onsets[k] if k < len(onsets) else None
        if drums:
            i = grid.beat_of(s + half)
            beat_end = grid.starts[i] + grid.lengths[i]
            out.append(min(nxt, beat_end) if nxt is not None else beat_end)
        elif nxt is not None and e < nxt and 5 * (nxt - e) <= 2 * (e - s):
            out.append(nxt)
        else:
            out.append(e)
    return out


def _line(notes: list[m.Note], staff: int, voice: int, bars: tuple[Bar, ...], grid: _Grid, *, drums: bool = False) -> Line:
    beats = _BeatGrid(bars, grid)
    starts = [grid.straight_tick(n.start_tick) for n in notes]
    ends = [grid.straight_tick(n.end_tick) for n in notes]
    beats.choose_triplets(starts)
    ends = _nominal_ends(starts, ends, beats, drums=drums)
    song_end = grid.units(bars[-1].end)
    groups: dict[int, list[tuple[int, m.Note]]] = {}
    for n, s, e in zip(notes, starts, ends, strict=True):
        qs = min(beats.snap(s), song_end - beats.sixteenth)
        qe = min(max(beats.snap(e), qs + beats.step(beats.beat_of(qs))), song_end)
        groups.setdefault(qs, []).append((qe, n))
    onsets = sorted(groups)
    chords = []
    for k, qs in enumerate(onsets):
        end = max(e for e, _ in groups[qs])
        if k + 1 < len(onsets):
            end = min(end, onsets[k + 1])
        chords.append(Chord(Fraction(qs, grid.scale), Fraction(end, grid.scale), tuple(sorted((n for _, n in groups[qs]), key=lambda n: n.pitch))))
    return Line(staff, voice, tuple(chords), frozenset(Fraction(b, grid.scale) for b in beats.triplets))


def _part(track: m.Track, bars: tuple[Bar, ...], grid: _Grid) -> PartView:
    layout = layout_for(track)
    buckets: dict[tuple[int, int], list[m.Note]] = {}
    for n in track.notes:
        if layout.unpitched:
            key = (1, drum_key(n.pitch).voice)
        elif layout.n_staves == 2:
            key = (1 if n.pitch >= layout.split_pitch else 2, 1)
        else:
            key = (1, 1)
        buckets.setdefault(key, []).append(n)
    wanted = {(1, 1)} | set(buckets) | ({(2, 1)} if layout.n_staves == 2 else set())
    lines = tuple(_line(buckets.get(k, []), k[0], k[1], bars, grid, drums=layout.unpitched) for k in sorted(wanted))
    return PartView(track, layout, lines)


def notation_view(score: m.Score) -> NotationView:
    """The notation view of ``score`` (see the module docstring)."""
    bars = _bars(score)
    swing = detect_swing(score)
    grid = _Grid(score.resolution, swing)
    parts = tuple(_part(score.tracks[i], bars, grid) for i in score_order(score.tracks))
    return NotationView(score, bars, swing, parts)
