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
import statistics
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
    def _chord_starts(self) -> list[Fraction]:
        return [c.start for c in self.chords]

    def chords_in(self, start: Fraction, end: Fraction) -> tuple[Chord, ...]:
        """The chords sounding somewhere in ``[start, end)`` (a voice's chords never overlap)."""
        starts = self._chord_starts
        lo = max(0, bisect.bisect_right(starts, start) - 1)
        hi = bisect.bisect_left(starts, end)
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
    onsets = [Fraction(n.start_tick, score.resolution) % 1 for t in score.tracks for n in t.notes]
    for unit in (Fraction(1, 2), Fraction(1, 4)):
        pos = [o % (2 * unit) for o in onsets]
        straight = sum(1 for p in pos if abs(p - unit) <= unit / 16)
        late = [p - unit for p in pos if unit / 8 < p - unit < unit * 3 / 4]
        thirds = sum(1 for p in pos if abs(p - unit * 2 / 3) <= unit / 16)  # triplet figures: then these are triplets, not swing
        if len(late) >= 8 and len(late) >= 3 * max(straight, thirds):
            delay = Fraction(statistics.median(late)).limit_denominator(score.resolution)
            return Swing(unit, delay)
    return None


def _straighten(t: Fraction, swing: Swing | None) -> Fraction:
    if swing is None:
        return t
    p = t % (2 * swing.unit)
    return t - swing.delay if abs(p - swing.unit - swing.delay) <= max(swing.delay / 2, swing.unit / 8) else t


class _BeatGrid:
    """The beats of the song and which of them a voice reads as triplets."""

    def __init__(self, bars: tuple[Bar, ...]) -> None:
        self.starts: list[Fraction] = []
        self.lengths: list[Fraction] = []
        for bar in bars:
            pos = bar.start
            while pos < bar.end:
                self.starts.append(pos)
                self.lengths.append(min(bar.beat, bar.end - pos))
                pos += bar.beat
        self.triplets: set[Fraction] = set()

    def beat_of(self, t: Fraction) -> int:
        return max(0, min(len(self.starts) - 1, bisect.bisect_right(self.starts, t) - 1))

    def step(self, i: int) -> Fraction:
        return self.lengths[i] / 3 if self.starts[i] in self.triplets else SIXTEENTH

    def snap(self, t: Fraction) -> Fraction:
        i = self.beat_of(t + SIXTEENTH / 2)
        step = self.step(i)
        return self.starts[i] + round((t - self.starts[i]) / step) * step

    def choose_triplets(self, onsets: list[Fraction]) -> None:
        heads: list[Fraction] = []  # a strum's first note stands for it
        for t in sorted(onsets):
            if not heads or t - heads[-1] > _STRUM:
                heads.append(t)
        by_beat: dict[int, list[Fraction]] = {}
        for t in heads:
            i = self.beat_of(t + SIXTEENTH / 2)
            by_beat.setdefault(i, []).append(t - self.starts[i])
        for i, offs in by_beat.items():
            if self.lengths[i] != 1:
                continue
            off16 = [abs(o - round(o / SIXTEENTH) * SIXTEENTH) for o in offs]
            off3 = [abs(o - round(o * 3) / 3) for o in offs]
            if max(off16) > _TRIPLET_EVIDENCE and sum(off3) < sum(off16):
                self.triplets.add(self.starts[i])


def _nominal_ends(starts: list[Fraction], ends: list[Fraction], grid: _BeatGrid, *, drums: bool) -> list[Fraction]:
    """Written ends: a note whose silence before the voice's next onset is short next to it (a performed
    gate, under 40% of its length) lasts to that onset; a drum hit lasts to the next hit or beat."""
    onsets = sorted(set(starts))
    out = []
    for s, e in zip(starts, ends, strict=True):
        k = bisect.bisect_right(onsets, s + SIXTEENTH / 2)
        nxt = onsets[k] if k < len(onsets) else None
        if drums:
            i = grid.beat_of(s + SIXTEENTH / 2)
            beat_end = grid.starts[i] + grid.lengths[i]
            out.append(min(nxt, beat_end) if nxt is not None else beat_end)
        elif nxt is not None and e < nxt and nxt - e <= (e - s) * Fraction(2, 5):
            out.append(nxt)
        else:
            out.append(e)
    return out


def _line(notes: list[m.Note], staff: int, voice: int, bars: tuple[Bar, ...], swing: Swing | None, resolution: int, *, drums: bool = False) -> Line:
    grid = _BeatGrid(bars)
    starts = [_straighten(Fraction(n.start_tick, resolution), swing) for n in notes]
    ends = [_straighten(Fraction(n.end_tick, resolution), swing) for n in notes]
    grid.choose_triplets(starts)
    ends = _nominal_ends(starts, ends, grid, drums=drums)
    song_end = bars[-1].end
    groups: dict[Fraction, list[tuple[Fraction, m.Note]]] = {}
    for n, s, e in zip(notes, starts, ends, strict=True):
        qs = min(grid.snap(s), song_end - SIXTEENTH)
        qe = min(max(grid.snap(e), qs + grid.step(grid.beat_of(qs))), song_end)
        groups.setdefault(qs, []).append((qe, n))
    onsets = sorted(groups)
    chords = []
    for k, qs in enumerate(onsets):
        end = max(e for e, _ in groups[qs])
        if k + 1 < len(onsets):
            end = min(end, onsets[k + 1])
        chords.append(Chord(qs, end, tuple(sorted((n for _, n in groups[qs]), key=lambda n: n.pitch))))
    return Line(staff, voice, tuple(chords), frozenset(grid.triplets))


def _part(track: m.Track, bars: tuple[Bar, ...], swing: Swing | None, resolution: int) -> PartView:
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
    lines = tuple(_line(buckets.get(k, []), k[0], k[1], bars, swing, resolution, drums=layout.unpitched) for k in sorted(wanted))
    return PartView(track, layout, lines)


def notation_view(score: m.Score) -> NotationView:
    """The notation view of ``score`` (see the module docstring)."""
    bars = _bars(score)
    swing = detect_swing(score)
    parts = tuple(_part(score.tracks[i], bars, swing, score.resolution) for i in score_order(score.tracks))
    return NotationView(score, bars, swing, parts)
