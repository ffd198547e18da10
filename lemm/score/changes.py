"""What changed between two versions of a score: per (track, section) slice, and in words.

:func:`changed_slices` tells a render cache which (track, section) pairs must
be rendered again: a slice's content is compared relative to its section's
start, so material that only moved with an inserted bar counts as unchanged.
:func:`describe_changes` says what changed in musical terms, for ``lemm diff``.

Examples
--------
>>> import dataclasses
>>> from lemm.score.model import Score, Track, Note, Section, Lyric
>>> v = Track("vocal", "vocal", "voice_high", notes=(Note(60, 0, 480, lyric=Lyric("la")), Note(62, 1920, 480, lyric=Lyric("lo"))))
>>> a = Score(sections=(Section("verse 1", "verse", 0, 1920), Section("chorus 1", "chorus", 1920, 1920)), tracks=(v,))
>>> sung = dataclasses.replace(v.notes[1], lyric=Lyric("li"))
>>> b = dataclasses.replace(a, tracks=(dataclasses.replace(v, notes=(v.notes[0], sung)),))
>>> changed_slices(a, b)
{('vocal', 'chorus 1')}
>>> describe_changes(a, b)
['chorus 1 vocal: 1 lyric changed']
"""

from __future__ import annotations

import collections
import dataclasses

from lemm.score import model as m
from lemm.score.barshift import bar_starts, find_bar_shift, shift_bars
from lemm.score.matching import diff_items

__all__ = ["changed_slices", "describe_changes", "OUTSIDE_SECTIONS"]

#: Section name used for material outside every section.
OUTSIDE_SECTIONS = ""
_TRACK_SETTINGS = ("role", "preset", "program", "is_drum", "pan", "gain_db")


def _spans(score: m.Score) -> list[tuple[str, int, int]]:
    return [(s.name, s.start_tick, s.end_tick) for s in score.sections]


def _section_of(score: m.Score, tick: int) -> str:
    for s in score.sections:
        if s.start_tick <= tick < s.end_tick:
            return s.name
    return OUTSIDE_SECTIONS


def _in(tick: int, start: int, end: int | None) -> bool:
    return start <= tick and (end is None or tick < end)


def _tempo_at(score: m.Score, tick: int) -> float:
    return [t for t in score.tempos if t.tick <= tick][-1].tempo_bpm


def _slice(score: m.Score, track: m.Track, start: int, end: int | None, outside: bool) -> tuple:
    """Content of one (track, section) slice, relative to ``start``."""
    if outside:  # material outside every section, absolute
        spans = _spans(score)
        keep = lambda t: not any(a <= t < b for _, a, b in spans)  # noqa: E731
        start = 0
    else:
        keep = lambda t: _in(t, start, end)  # noqa: E731
    notes = tuple(dataclasses.replace(n, start_tick=n.start_tick - start) for n in track.notes if keep(n.start_tick))
    dyns = tuple((d.tick - start, d.marking) for d in track.dynamics if keep(d.tick))
    pins = tuple((h.start_tick - start, h.duration_ticks, h.kind) for h in track.hairpins if keep(h.start_tick))
    curves = tuple((c.name, tuple((p.tick - start, p.value) for p in c.points if keep(p.tick))) for c in track.expression)
    tempos = (_tempo_at(score, start),) + tuple((t.tick - start, t.tempo_bpm) for t in score.tempos if keep(t.tick))
    settings = tuple(getattr(track, f) for f in _TRACK_SETTINGS)
    return (None if outside else end - start, notes, dyns, pins, curves, tempos, settings, score.resolution)


def changed_slices(before: m.Score, after: m.Score) -> set[tuple[str, str]]:
    """The (track name, section name) pairs of ``after`` whose content differs from ``before``.

    A slice holds the notes starting in the section, its dynamics, hairpins,
    curve points and tempo changes, the tempo at its start, its length and the
    track's settings, all relative to the section's start; a section or track
    that ``before`` lacks (matched by name) is changed throughout. Material
    outside every section is the section :data:`OUTSIDE_SECTIONS` (``""``).

    Returns
    -------
    set[tuple[str, str]]
    """
    out = set()
    b_sections = {s.name: s for s in before.sections}
    b_tracks = {t.name: t for t in before.tracks}
    slices = [(s.name, s.start_tick, s.end_tick, False) for s in after.sections] + [(OUTSIDE_SECTIONS, 0, None, True)]
    for track in after.tracks:
        old = b_tracks.get(track.name)
        for name, start, end, outside in slices:
            mine = _slice(after, track, start, end, outside)
            if old is None or (not outside and name not in b_sections):
                if outside and not mine[1]:
                    continue
                out.add((track.name, name))
                continue
            bs = b_sections.get(name)
            theirs = _slice(before, old, bs.start_tick if bs else 0, bs.end_tick if bs else None, outside)
            if mine != theirs:
                out.add((track.name, name))
    return out


def _bar_of(score: m.Score, tick: int) -> int:
    starts = bar_starts(score, tick)
    return sum(1 for s in starts if s <= tick)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _note_changes(before: m.Track, after: m.Track) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Notes paired (unchanged first, then by position), removed and added, as indices."""
    keys = [
        (lambda n: (n.start_tick, n.pitch, n.duration_ticks, n.velocity, n.articulation, n.lyric),) * 2,
        (lambda n: (n.start_tick, n.pitch),) * 2,
        (lambda n: (n.start_tick, n.duration_ticks),) * 2,
        (lambda n: n.start_tick,) * 2,
    ]
    return diff_items(before.notes, after.notes, keys)


def describe_changes(before: m.Score, after: m.Score) -> list[str]:
    """What changed from ``before`` to ``after``, one line per change, in musical terms.

    Lines look like ``"1 bar inserted before bar 9"``, ``"tempo: 108 -> 112 bpm at bar 1"``,
    ``"chorus 2 drums: 34 notes changed"``, ``"verse 1 vocal: 3 lyrics changed"``;
    empty when the scores are equal.
    """
    lines: list[str] = []
    if before == after:
        return lines
    if before.resolution == after.resolution:
        shift = find_bar_shift(before, after)
        if shift is not None:
            at, delta = shift
            bars = abs(delta) // [x for x in before.meters if x.tick <= at][-1].bar_ticks(before.resolution)
            verb = "inserted before" if delta > 0 else "deleted from"
            lines.append(f"{_plural(bars, 'bar')} {verb} bar {_bar_of(before, at)}")
            before = shift_bars(before, at_tick=at, delta_ticks=delta)
    lines += _global_changes(before, after) + _section_changes(before, after) + _chord_changes(before, after)
    old_t = {t.name: t for t in before.tracks}
    for t in after.tracks:
        lines += [f"track {t.name!r} added"] if t.name not in old_t else _track_changes(old_t[t.name], t, before, after)
    lines += [f"track {n!r} removed" for n in old_t if n not in {t.name for t in after.tracks}]
    return lines


def _global_changes(before: m.Score, after: m.Score) -> list[str]:
    """Title, tempo, key and meter changes."""
    lines = [f"title: {before.title!r} -> {after.title!r}"] if before.title != after.title else []
    for label, items, fmt in (
        ("tempo", "tempos", lambda x: f"{x.tempo_bpm:g} bpm"),
        ("key", "keys", lambda x: x.name),
        ("meter", "meters", lambda x: f"{x.numerator}/{x.denominator}"),
    ):
        old = {x.tick: fmt(x) for x in getattr(before, items)}
        new = {x.tick: fmt(x) for x in getattr(after, items)}
        for tick in sorted(set(old) | set(new)):
            if old.get(tick) != new.get(tick):
                lines.append(f"{label}: {old.get(tick, '-')} -> {new.get(tick, '-')} at bar {_bar_of(after, tick)}")
    return lines


def _section_changes(before: m.Score, after: m.Score) -> list[str]:
    """Sections added, moved, re-labelled or removed."""
    lines = []
    old_s = {s.name: s for s in before.sections}
    new_s = {s.name: s for s in after.sections}
    for s in after.sections:
        o = old_s.get(s.name)
        if o is None:
            lines.append(f"section {s.name!r} added at bar {_bar_of(after, s.start_tick)}")
        elif (o.start_tick, o.end_tick) != (s.start_tick, s.end_tick):
            lines.append(f"section {s.name!r}: bars {_bar_of(before, o.start_tick)}-{_bar_of(before, o.end_tick) - 1} -> {_bar_of(after, s.start_tick)}-{_bar_of(after, s.end_tick) - 1}")
        elif (o.kind, o.energy) != (s.kind, s.energy):
            lines.append(f"section {s.name!r}: kind/energy {o.kind}/{o.energy:g} -> {s.kind}/{s.energy:g}")
    return lines + [f"section {n!r} removed" for n in old_s if n not in new_s]


def _chord_changes(before: m.Score, after: m.Score) -> list[str]:
    """Chord symbols changed, counted per section."""
    chord_counts: collections.Counter = collections.Counter()
    old_c = {(c.start_tick, c.symbol) for c in before.chords}
    new_c = {(c.start_tick, c.symbol) for c in after.chords}
    for tick, _ in new_c ^ old_c:
        chord_counts[_section_of(after, tick)] += 1
    return [f"{sec or 'outside sections'} chords: {_plural(n, 'chord symbol')} changed" for sec, n in chord_counts.items()]


def _track_changes(o: m.Track, t: m.Track, before: m.Score, after: m.Score) -> list[str]:
    """One track's settings, notes (per section), dynamics, curves and hairpins."""
    lines = [f"{t.name}: {f} {getattr(o, f)} -> {getattr(t, f)}" for f in _TRACK_SETTINGS if getattr(o, f) != getattr(t, f)]
    per: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    pairs, removed, added = _note_changes(o, t)
    for i, j in pairs:
        a, b = o.notes[i], t.notes[j]
        if a == b:
            continue
        only_lyric = dataclasses.replace(a, lyric=b.lyric) == b
        per[_section_of(after, b.start_tick)]["lyric changed" if only_lyric else "note changed"] += 1
    for i in removed:
        per[_section_of(before, o.notes[i].start_tick)]["note removed"] += 1
    for j in added:
        per[_section_of(after, t.notes[j].start_tick)]["note added"] += 1
    for d in {(x.tick, x.marking) for x in o.dynamics} ^ {(x.tick, x.marking) for x in t.dynamics}:
        per[_section_of(after, d[0])]["dynamic marking changed"] += 1
    for sec in [s.name for s in after.sections] + [OUTSIDE_SECTIONS]:
        if per.get(sec):
            parts = [f"{_plural(n, what.split()[0])} {what.split(maxsplit=1)[1]}" for what, n in sorted(per[sec].items(), key=lambda x: x[0])]
            lines.append(f"{sec or 'outside sections'} {t.name}: {', '.join(parts)}")
    if o.expression != t.expression:
        lines.append(f"{t.name}: expression curves changed")
    if o.hairpins != t.hairpins:
        lines.append(f"{t.name}: hairpins changed")
    return lines
