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
import itertools
from dataclasses import dataclass, replace
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


def _crosses(pos: Fraction, end: Fraction, boundaries: list[Fraction]) -> list[Fraction]:
    i = bisect.bisect_right(boundaries, pos)
    j = bisect.bisect_left(boundaries, end)
    return boundaries[i:j]


def _allowed(pos: Fraction, end: Fraction, *, bar_start: Fraction, bar_length: Fraction, beat: Fraction) -> bool:
    length = end - pos
    if length not in VALUES:
        return False
    beats = [bar_start + k * beat for k in range(1, int(bar_length / beat) + 1)]
    inner = _crosses(pos, end, beats)
    if not inner:
        return True
    if (pos - bar_start) % beat:
        return False
    n_beats = bar_length / beat
    if n_beats >= 4 and n_beats % 2 == 0 and bar_start + bar_length / 2 in inner and pos != bar_start:
        return False
    compound = beat.denominator == 2
    return not compound or (end - bar_start) % beat == 0


def split_span(start: Fraction, end: Fraction, *, bar_start: Fraction, bar_length: Fraction, beat: Fraction) -> list[Piece]:
    """A straight span inside one bar cut into written values (see the module docstring); no notes, no ties."""
    out = []
    pos = start
    beats = [bar_start + k * beat for k in range(1, int(bar_length / beat) + 1)]
    while pos < end:
        cands = sorted({b for b in beats if pos < b < end} | {end}, reverse=True)
        stop = next((e for e in cands if _allowed(pos, e, bar_start=bar_start, bar_length=bar_length, beat=beat)), None)
        if stop is None:  # the longest value that fits before the next beat
            limit = min([end] + [b for b in beats if b > pos])
            stop = pos + max(v for v in VALUES if v <= limit - pos) if any(v <= limit - pos for v in VALUES) else limit
        kind, dots = VALUES.get(stop - pos, ("32nd", 0))
        out.append(Piece(pos, stop - pos, kind, dots))
        pos = stop
    return out


def _triplet_pieces(start: Fraction, end: Fraction, beat_start: Fraction, beat: Fraction) -> list[Piece]:
    if start == beat_start and end == beat_start + beat:
        return [Piece(start, end - start, *VALUES[beat])]
    out, pos = [], start
    while pos < end:
        fits = [v for v in _TRIPLET_VALUES if v <= end - pos and ((pos - beat_start) / min(v, Fraction(1, 3))).denominator == 1]
        length = max(fits) if fits else end - pos
        out.append(Piece(pos, length, *_TRIPLET_VALUES.get(length, ("16th", 0)), triplet=True))
        pos += length
    return out


def _events(line: Line, bar: Bar) -> list[tuple[Fraction, Fraction, tuple[m.Note, ...], bool, bool]]:
    """(start, end, notes, continues from before the bar, goes on after it) of the line clipped to the bar, rests in gaps."""
    out = []
    pos = bar.start
    for c in line.chords_in(bar.start, bar.end):
        s, e = max(c.start, bar.start), min(c.end, bar.end)
        if s > pos:
            out.append((pos, s, (), False, False))
        out.append((s, e, c.notes, c.start < bar.start, c.end > bar.end))
        pos = e
    if pos < bar.end:
        out.append((pos, bar.end, (), False, False))
    return out


def _cut_points(start: Fraction, end: Fraction, bar: Bar, line: Line, splits: list[Fraction]) -> list[Fraction]:
    beats = [bar.start + k * bar.beat for k in range(int(bar.length / bar.beat) + 1)]
    trip = [b for b in beats if b in line.triplet_beats]
    on_grid = [x for x in splits if bar.start <= x < bar.end and not any(b < x < b + bar.beat and ((x - b) * 3).denominator != 1 for b in trip)]
    edges = set(trip) | {b + bar.beat for b in trip} | set(on_grid)
    return sorted({start, end} | {x for x in edges if start < x < end})


def bar_pieces(line: Line, bar: Bar, *, splits: list[Fraction] = ()) -> list[Piece]:
    """The written pieces of ``line`` in ``bar``: notes tied across cuts, rests in gaps, triplet brackets."""
    inner = [x for x in splits if bar.start < x < bar.end]
    if not inner and not line.chords_in(bar.start, bar.end):
        return [Piece(bar.start, bar.length, *VALUES.get(bar.length, ("whole", 0)), measure_rest=True)]
    out: list[Piece] = []
    for s, e, notes, cont_before, cont_after in _events(line, bar):
        points = _cut_points(s, e, bar, line, list(splits))
        pieces: list[Piece] = []
        for a, b in itertools.pairwise(points):
            beat_start = bar.start + ((a - bar.start) // bar.beat) * bar.beat
            if beat_start in line.triplet_beats:
                pieces += _triplet_pieces(a, b, beat_start, bar.beat)
            else:
                pieces += split_span(a, b, bar_start=bar.start, bar_length=bar.length, beat=bar.beat)
        if notes:
            last = len(pieces) - 1
            pieces = [replace(p, notes=notes, first=k == 0 and not cont_before, tie_stop=k > 0 or cont_before, tie_start=k < last or cont_after)
                      for k, p in enumerate(pieces)]  # fmt: skip
        out += pieces
    return _bracket(out, bar)


def _bracket(pieces: list[Piece], bar: Bar) -> list[Piece]:
    by_beat: dict[Fraction, list[int]] = {}
    for k, p in enumerate(pieces):
        if p.triplet:
            by_beat.setdefault(bar.start + ((p.start - bar.start) // bar.beat) * bar.beat, []).append(k)
    for ks in by_beat.values():
        pieces[ks[0]] = replace(pieces[ks[0]], tuplet="start")
        pieces[ks[-1]] = replace(pieces[ks[-1]], tuplet="stop" if len(ks) > 1 else "start")
    return pieces
