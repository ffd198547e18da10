"""Whole bars inserted into or deleted from a score, and finding where an edited copy did so.

A notation editor that inserts a bar moves every later note, mark, section,
chord and tempo change by the bar's length. :func:`find_bar_shift` finds the
one place (a bar line of the original) and the length that best explain an
edited copy, by counting how many notes and marks line up; :func:`shift_bars`
applies such an insertion (``delta_ticks > 0``) or deletion (``< 0``) to a
score, so the rest of a merge can compare like with like.

Handled: one run of 1..4 whole bars (of the meter at that bar line) inserted
or deleted at one bar line. Bars inserted or deleted in several places are
not recognised as such: the moved notes then read as deleted and added.

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> piano = Track("piano", "keys", "acoustic_piano", notes=(Note(60, 0, 480), Note(64, 1920, 480)))
>>> before = Score(tracks=(piano,))
>>> after = shift_bars(before, at_tick=1920, delta_ticks=1920)
>>> [n.start_tick for n in after.track("piano").notes]
[0, 3840]
>>> find_bar_shift(before, after)
(1920, 1920)
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
from typing import Callable

from lemm.errors import ParameterError
from lemm.score import model as m

__all__ = ["shift_bars", "find_bar_shift", "bar_starts"]

MAX_BARS = 4


def _identity(tick: int) -> int:
    return tick


def bar_starts(score: m.Score, end_tick: int) -> list[int]:
    """Ticks of every bar line from 0 up to and including the first at or after ``end_tick``.

    >>> bar_starts(m.Score(), 2000)
    [0, 1920, 3840]
    """
    out, tick, k = [], 0, 0
    while True:
        out.append(tick)
        if tick >= end_tick:
            return out
        while k + 1 < len(score.meters) and score.meters[k + 1].tick <= tick:
            k += 1
        tick += score.meters[k].bar_ticks(score.resolution)


def _meter_at(score: m.Score, tick: int) -> m.MeterChange:
    return [x for x in score.meters if x.tick <= tick][-1]


def _end_tick(score: m.Score) -> int:
    return max([score.end_tick] + [c.end_tick for c in score.chords] + [t.tick for t in score.tempos] + [k.tick for k in score.keys] + [x.tick for x in score.meters])


def _keys(score: m.Score, position: Callable[[int], int]) -> list[tuple[int, tuple]]:
    """(tick, identity) of every note, section and chord: what must line up after a shift."""
    out = [(position(n.start_tick), ("n", t.name, n.pitch)) for t in score.tracks for n in t.notes]
    out += [(s.start_tick, ("s", s.name)) for s in score.sections]
    out += [(position(c.start_tick), ("c", c.symbol)) for c in score.chords]
    return out


def find_bar_shift(before: m.Score, after: m.Score, *, position: Callable[[int], int] = _identity) -> tuple[int, int] | None:
    """The bar insertion (or deletion) that best lines ``after`` up with ``before``, or None.

    Parameters
    ----------
    before, after : Score
        Same resolution; ``after`` is ``before`` edited.
    position : callable, optional
        Maps a tick of ``before`` to the tick it appears at in ``after`` when
        nothing moved (e.g. a quantiser); identity by default.

    Returns
    -------
    tuple[int, int] or None
        ``(at_tick, delta_ticks)``: ``delta_ticks > 0`` bars inserted at the bar
        line ``at_tick``, ``< 0`` bars deleted from there; None when no shift
        lines up more notes, sections and chords than leaving them in place.
    """
    if before.resolution != after.resolution:
        raise ParameterError.for_field("after.resolution", after.resolution, f"the resolution of before ({before.resolution})")
    counts_b = collections.Counter(_keys(before, position))
    counts_a = collections.Counter(_keys(after, _identity))
    if not counts_b or not counts_a:
        return None
    ticks = sorted({t for t, _ in counts_b})
    end = max(_end_tick(before), _end_tick(after))
    bars = bar_starts(before, end)

    def cumulative(shift: int) -> list[int]:
        per_tick: dict[int, int] = collections.defaultdict(int)
        for (t, ident), c in counts_b.items():
            per_tick[t] += min(c, counts_a.get((t + shift, ident), 0))
        out = [0]
        for t in ticks:
            out.append(out[-1] + per_tick[t])
        return out  # out[i] = matches of keys at the first i distinct ticks

    def upto(cum: list[int], tick: int) -> int:
        return cum[bisect.bisect_left(ticks, tick)]

    base = cumulative(0)
    best, best_score = None, base[-1]
    lengths = sorted({k * x.bar_ticks(before.resolution) for x in before.meters for k in range(1, MAX_BARS + 1)})
    for length in lengths:
        for delta in (length, -length):
            cum = cumulative(delta)
            for b in bars:
                if length % _meter_at(before, b).bar_ticks(before.resolution):
                    continue  # whole bars of the meter at b only
                score = upto(base, b) + cum[-1] - upto(cum, b + max(0, -delta))
                if score > best_score or (best is not None and score == best_score and delta == best[1] and b > best[0]):
                    best, best_score = (b, delta), score
    return best


def _shift_tick(tick: int, at: int, delta: int) -> int | None:
    """New position of a point at ``tick``; None if it falls in deleted bars."""
    if tick < at:
        return tick
    if delta < 0 and tick < at - delta:
        return None
    return tick + delta


def _shift_span(start: int, end: int, at: int, delta: int, position: Callable[[int], int]) -> tuple[int, int] | None:
    new_start = _shift_tick(position(start), at, delta)
    if new_start is None:
        return None
    new_start = start + (new_start - position(start))
    if delta > 0:
        new_end = end + delta if position(start) < at <= end or position(start) >= at else end
    else:
        new_end = end if end <= at else max(at, end + delta) if position(start) < at else end + delta
    return new_start, max(new_start + 1, new_end)


def _shift_changes(items: tuple, at: int, delta: int) -> tuple:
    """Tempo/key/meter changes: in deleted bars they collapse onto ``at`` (the last one wins)."""
    out: dict[int, object] = {}
    for x in items:
        t = _shift_tick(x.tick, at, delta)
        out[at if t is None else t] = dataclasses.replace(x, tick=at if t is None else t)
    return tuple(out[t] for t in sorted(out))


def _curve_value(points: tuple[m.CurvePoint, ...], tick: int) -> float:
    if tick <= points[0].tick:
        return points[0].value
    for a, b in zip(points, points[1:], strict=False):
        if a.tick <= tick <= b.tick:
            return a.value if b.tick == a.tick else a.value + (b.value - a.value) * (tick - a.tick) / (b.tick - a.tick)
    return points[-1].value


def _shift_curve(curve: m.ExpressionCurve, at: int, delta: int) -> m.ExpressionCurve:
    pts = curve.points
    if not pts or pts[-1].tick < at:
        return curve
    before = [p for p in pts if p.tick < at]
    if delta > 0:  # hold the value through the inserted bars
        hold = _curve_value(pts, at)
        after = [m.CurvePoint(p.tick + delta, p.value) for p in pts if p.tick >= at]
        new = before + [m.CurvePoint(at, hold), m.CurvePoint(at + delta, hold)] + after
    else:
        after = [m.CurvePoint(p.tick + delta, p.value) for p in pts if p.tick >= at - delta]
        new = before + [m.CurvePoint(at, _curve_value(pts, at - delta))] + after
    return dataclasses.replace(curve, points=tuple(new))


def shift_bars(score: m.Score, *, at_tick: int, delta_ticks: int, position: Callable[[int], int] = _identity) -> m.Score:
    """Insert ``delta_ticks`` (> 0) at the bar line ``at_tick``, or delete ``-delta_ticks`` (< 0) from it.

    Parameters
    ----------
    score : Score
    at_tick : int
        A bar line.
    delta_ticks : int
        Length inserted (> 0) or deleted (< 0), in ticks; whole bars.
    position : callable, optional
        Where a note's start counts as being (e.g. quantised, so a note played
        a few ticks early on the bar line moves with the bar); identity by default.

    Returns
    -------
    Score
        Notes, dynamics, hairpins, curve points, sections, chords and tempo/key/meter
        changes at or after ``at_tick`` moved; spans across ``at_tick`` (sections,
        chords, hairpins) stretched or shortened; what lies in deleted bars removed.
        Curves hold their value through inserted bars.
    """
    at, delta = at_tick, delta_ticks
    if delta == 0:
        return score

    def notes(track: m.Track) -> tuple[m.Note, ...]:
        out = []
        for n in track.notes:
            t0 = position(n.start_tick)
            t = _shift_tick(t0, at, delta)
            if t is None:
                continue
            if t != t0:  # at or after the bar line: moves with it
                out.append(dataclasses.replace(n, start_tick=n.start_tick + delta))
            elif delta < 0 and n.end_tick > at:  # sounds into deleted bars
                out.append(dataclasses.replace(n, duration_ticks=max(1, max(at, n.end_tick + delta) - n.start_tick)))
            else:
                out.append(n)
        return tuple(sorted(out, key=lambda n: (n.start_tick, n.pitch)))

    def spans(items, start_of, end_of, make):
        out = []
        for x in items:
            span = _shift_span(start_of(x), end_of(x), at, delta, position)
            if span is not None:
                out.append(make(x, span[0], span[1] - span[0]))
        return tuple(out)

    tracks = []
    for t in score.tracks:
        dyns = tuple(dataclasses.replace(d, tick=nt) for d in t.dynamics if (nt := _shift_tick(position(d.tick), at, delta)) is not None)
        hairpins = spans(t.hairpins, lambda h: h.start_tick, lambda h: h.start_tick + h.duration_ticks, lambda h, s, d: dataclasses.replace(h, start_tick=s, duration_ticks=d))
        curves = tuple(_shift_curve(c, at, delta) for c in t.expression)
        tracks.append(dataclasses.replace(t, notes=notes(t), dynamics=dyns, hairpins=hairpins, expression=curves))
    sections = spans(score.sections, lambda s: s.start_tick, lambda s: s.end_tick, lambda s, a, d: dataclasses.replace(s, start_tick=a, duration_ticks=d))
    chords = spans(score.chords, lambda c: c.start_tick, lambda c: c.end_tick, lambda c, a, d: dataclasses.replace(c, start_tick=a, duration_ticks=d))
    return dataclasses.replace(
        score, tempos=_shift_changes(score.tempos, at, delta), keys=_shift_changes(score.keys, at, delta),
        meters=_shift_changes(score.meters, at, delta), sections=sections, chords=chords, tracks=tuple(tracks),
    )  # fmt: skip
