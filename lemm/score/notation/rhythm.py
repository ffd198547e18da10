"""Written note values: a voice's chords and rests cut into notatable, tied pieces that show the beat.

Conventions
-----------
- a note or rest that crosses a beat starts on a beat (a dotted quarter on
  beat 1 is fine, an 8th-quarter-8th syncopation is written 8th-8th~8th-8th);
- in a bar of four beats (4/4, 12/8) nothing crosses the middle of the bar
  unless it starts the bar; in compound meters (6/8, 9/8, 12/8) a value that
  crosses a beat also ends on one, so the dotted-quarter beats stay visible;
- a triplet beat is written as triplet eighths and quarters under one
  bracket; a whole rest fills an empty bar;
- notes are also cut at ``splits`` (where a marking must sit on a note).

Examples
--------
>>> from fractions import Fraction as F
>>> from lemm.score.model import MeterChange
>>> [(p.length, p.type, p.dots) for p in split_span(F(1), F(4), bar_start=F(0), bar_length=F(4), beat=F(1))]
[(Fraction(1, 1), 'quarter', 0), (Fraction(2, 1), 'half', 0)]
>>> [(p.length, p.type, p.dots) for p in split_span(F(0), F(3), bar_start=F(0), bar_length=F(3), beat=F(3, 2))]
[(Fraction(3, 1), 'half', 1)]
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

from lemm.score import model as m
from lemm.score.notation.view import Bar, Line

__all__ = ["VALUES", "Piece", "bar_pieces", "split_span"]

#: Straight written values in quarters -> (MusicXML type, dots).
VALUES: dict[Fraction, tuple[str, int]] = {
    Fraction(6): ("whole", 1), Fraction(4): ("whole", 0), Fraction(3): ("half", 1), Fraction(2): ("half", 0),
    Fraction(3, 2): ("quarter", 1), Fraction(1): ("quarter", 0), Fraction(3, 4): ("eighth", 1), Fraction(1, 2): ("eighth", 0),
    Fraction(3, 8): ("16th", 1), Fraction(1, 4): ("16th", 0), Fraction(1, 8): ("32nd", 0),
}  # fmt: skip
_TRIPLET_VALUES = {Fraction(1, 3): ("eighth", 0), Fraction(2, 3): ("quarter", 0), Fraction(1, 6): ("16th", 0)}


@dataclass(frozen=True)
class Piece:
    """One written note, chord or rest."""

    start: Fraction
    length: Fraction
    type: str
    dots: int = 0
    notes: tuple[m.Note, ...] = ()  # () for a rest
    tie_start: bool = False
    tie_stop: bool = False
    first: bool = True  # the first piece of its chord: carries lyric, articulation
    triplet: bool = False
    tuplet: str | None = None  # "start" / "stop" on the first / last piece of a triplet beat
    measure_rest: bool = False


def _units(q: Fraction, scale: int) -> int:
    """``q`` quarters in 1/``scale`` quarters (``scale`` a multiple of ``q``'s denominator)."""
    return q.numerator * (scale // q.denominator)


def _scale(*values: Fraction) -> int:
    """Units per quarter in which ``values``, every written value and half of a bar (the first value) are whole."""
    return math.lcm(24, 2 * values[0].denominator, *(v.denominator for v in values[1:]))


@functools.lru_cache(maxsize=32)
def _values(scale: int) -> tuple[dict[int, tuple[str, int]], dict[int, tuple[str, int]]]:
    """:data:`VALUES` and the triplet values keyed by their length in 1/``scale`` quarters (same order)."""
    return ({_units(v, scale): t for v, t in VALUES.items()}, {_units(v, scale): t for v, t in _TRIPLET_VALUES.items()})


class _Bar:
    """A bar's start, length and beat in 1/``scale`` quarters: the integer arithmetic the cuts are made in.

    Every position the cuts meet (the bar's beats and half, written and triplet values, chord edges,
    splits) is a whole number of units, so the integer steps below give exactly what the same steps
    in :class:`fractions.Fraction` give.
    """

    def __init__(self, bar_start: Fraction, bar_length: Fraction, beat: Fraction, scale: int) -> None:
        self.scale = scale
        self.start, self.length, self.beat = _units(bar_start, scale), _units(bar_length, scale), _units(beat, scale)
        self.end = self.start + self.length
        self.compound = beat.denominator == 2
        self.values, self.triplet_values = _values(scale)
        n = self.length // self.beat
        self.beats = [self.start + k * self.beat for k in range(1, n + 1)]
        self.halves = self.length >= 4 * self.beat and self.length % (2 * self.beat) == 0  # an even number of beats, >= 4

    def allowed(self, pos: int, end: int) -> bool:
        if end - pos not in self.values:
            return False
        i = bisect.bisect_right(self.beats, pos)
        j = bisect.bisect_left(self.beats, end)
        if i == j:  # crosses no beat
            return True
        if (pos - self.start) % self.beat:
            return False
        if self.halves and self.start + self.length // 2 in self.beats[i:j] and pos != self.start:
            return False
        return not self.compound or (end - self.start) % self.beat == 0

    def split(self, start: int, end: int) -> list[list]:
        """:func:`split_span` in units: [start, length, type, dots, triplet] per piece."""
        out = []
        pos = start
        values = self.values
        while pos < end:
            cands = sorted({b for b in self.beats if pos < b < end} | {end}, reverse=True)
            stop = next((e for e in cands if self.allowed(pos, e)), None)
            if stop is None:  # the longest value that fits before the next beat
                limit = min([end] + [b for b in self.beats if b > pos])
                fits = [v for v in values if v <= limit - pos]
                stop = pos + max(fits) if fits else limit
            kind, dots = values.get(stop - pos, ("32nd", 0))
            out.append([pos, stop - pos, kind, dots, False])
            pos = stop
        return out

    def triplets(self, start: int, end: int, beat_start: int) -> list[list]:
        """:func:`_triplet_pieces` in units."""
        if start == beat_start and end == beat_start + self.beat:
            return [[start, end - start, *self.values[self.beat], False]]
        third = self.scale // 3
        out, pos = [], start
        while pos < end:
            fits = [v for v in self.triplet_values if v <= end - pos and (pos - beat_start) % min(v, third) == 0]
            length = max(fits) if fits else end - pos
            out.append([pos, length, *self.triplet_values.get(length, ("16th", 0)), True])
            pos += length
        return out


def split_span(start: Fraction, end: Fraction, *, bar_start: Fraction, bar_length: Fraction, beat: Fraction) -> list[Piece]:
    """A straight span inside one bar cut into written values (see the module docstring); no notes, no ties."""
    scale = _scale(bar_length, bar_start, beat, start, end)
    return [Piece(Fraction(a, scale), Fraction(n, scale), kind, dots) for a, n, kind, dots, _ in _Bar(bar_start, bar_length, beat, scale).split(_units(start, scale), _units(end, scale))]


def _triplet_pieces(start: Fraction, end: Fraction, beat_start: Fraction, beat: Fraction) -> list[Piece]:
    scale = _scale(beat, start, end, beat_start)
    b = _Bar(beat_start, beat, beat, scale)
    return [Piece(Fraction(a, scale), Fraction(n, scale), kind, dots, triplet=True) for a, n, kind, dots, _ in b.triplets(_units(start, scale), _units(end, scale), b.start)]


def _events(line: Line, bar: Bar, b: _Bar) -> list[tuple[int, int, tuple[m.Note, ...], bool, bool]]:
    """(start, end, notes, continues from before the bar, goes on after it) of the line clipped to the bar, rests in gaps."""
    out = []
    pos = b.start
    for c in line.chords_in(bar.start, bar.end):
        cs, ce = _units(c.start, b.scale), _units(c.end, b.scale)
        s, e = max(cs, b.start), min(ce, b.end)
        if s > pos:
            out.append((pos, s, (), False, False))
        out.append((s, e, c.notes, cs < b.start, ce > b.end))
        pos = e
    if pos < b.end:
        out.append((pos, b.end, (), False, False))
    return out


def bar_pieces(line: Line, bar: Bar, *, splits: list[Fraction] = ()) -> list[Piece]:
    """The written pieces of ``line`` in ``bar``: notes tied across cuts, rests in gaps, triplet brackets."""
    inner = [x for x in splits if bar.start < x < bar.end]
    chords = line.chords_in(bar.start, bar.end)
    if not inner and not chords:
        return [Piece(bar.start, bar.length, *VALUES.get(bar.length, ("whole", 0)), measure_rest=True)]
    scale = _scale(bar.length, bar.start, bar.beat, *splits, *(x for c in chords for x in (c.start, c.end)))
    b = _Bar(bar.start, bar.length, bar.beat, scale)
    beats = [b.start] + b.beats  # a triplet beat's bracket may end at the bar's last beat
    trip = [x for x in beats if Fraction(x, scale) in line.triplet_beats] if line.triplet_beats else []
    trip_set = set(trip)
    on_grid = [x for x in (_units(y, scale) for y in splits) if b.start <= x < b.end
               and not any(t < x < t + b.beat and (3 * (x - t)) % scale for t in trip)]  # fmt: skip
    edges = set(trip) | {t + b.beat for t in trip} | set(on_grid)
    out: list[list] = []
    for s, e, notes, cont_before, cont_after in _events(line, bar, b):
        points = sorted({s, e} | {x for x in edges if s < x < e})
        pieces: list[list] = []
        for lo, hi in itertools.pairwise(points):
            beat_start = b.start + ((lo - b.start) // b.beat) * b.beat
            pieces += b.triplets(lo, hi, beat_start) if beat_start in trip_set else b.split(lo, hi)
        last = len(pieces) - 1
        for k, p in enumerate(pieces):
            p.append(notes)
            p.append((k == 0 and not cont_before, k > 0 or cont_before, k < last or cont_after) if notes else (True, False, False))
        out += pieces
    tuplets = _brackets(out, b)
    return [Piece(Fraction(a, scale), Fraction(n, scale), kind, dots, notes, tie_start=ties[2], tie_stop=ties[1], first=ties[0], triplet=trip_piece,
                  tuplet=tuplets.get(k)) for k, (a, n, kind, dots, trip_piece, notes, ties) in enumerate(out)]  # fmt: skip


def _brackets(pieces: list[list], b: _Bar) -> dict[int, str]:
    """The triplet bracket marks: "start" on the first piece of each triplet beat, "stop" on its last (if another)."""
    by_beat: dict[int, list[int]] = {}
    for k, p in enumerate(pieces):
        if p[4]:
            by_beat.setdefault(b.start + ((p[0] - b.start) // b.beat) * b.beat, []).append(k)
    out: dict[int, str] = {}
    for ks in by_beat.values():
        out[ks[0]] = "start"
        out[ks[-1]] = "stop" if len(ks) > 1 else "start"
    return out
