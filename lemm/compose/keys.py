"""Chord parts: voicings with smooth voice leading, played in a style (pad, comp, strum...).

Voice leading: every chord is voiced in each inversion (close position, and an
octave up) inside the style's register; the voicing with the least total
movement from the previous one wins (ties and the first chord of a section go
to the voicing nearest the register's centre). Styles are listed in
:mod:`lemm.compose.instruments`; rhythms are step strings (``x`` hit, ``-`` hold,
``.`` rest; ``D``/``U`` down/up strums) chosen by bar energy.

Examples
--------
>>> voice_chord((0, 4, 7), previous=None, low=55, high=76)
(60, 64, 67)
>>> voice_chord((5, 9, 0), previous=(60, 64, 67), low=55, high=76)  # F after C: C stays, E->F, G->A
(60, 65, 69)
"""

from __future__ import annotations

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.compose.counter import counter_section
from lemm.compose.instruments import PartSpec, clamp_to_range, range_of
from lemm.score.model import Note

__all__ = ["voice_chord", "voice_movement", "parallel_outer", "song_voicings", "chord_part_section", "STYLE_REGISTERS"]

#: style -> (low, high) register of the upper voicing (intersected with the preset's range).
STYLE_REGISTERS: dict[str, tuple[int, int]] = {
    "pad": (52, 79), "comp": (55, 76), "ballad": (55, 79), "stabs": (57, 77), "strum": (52, 72),
    "power": (40, 64), "arp": (60, 86), "swell": (50, 79),
}
#: family -> (low, middle, high energy) patterns in 4/4; :data:`_VARIANTS` holds the alternatives
#: a repeated section may pick instead.
_RHYTHMS: dict[str, tuple[str, str, str]] = {
    "comp": ("x-------x-------", "x-----x-----x---", "x-x-x-x-x-x-x-x-"),
    "stabs": ("x-------x-------", "..x...x...x...x.", "..x...x...x.x.x."),
    "stabs_guitar": ("x.......x.......", "..x...x...x...x.", "x.x..x.x.x..x.x."),
    "stabs_brass": ("x---------------", "x.......x.x.....", "x......x..x...x."),
    "strum": ("D---------------", "D---D-U---U-D-U-", "D-U-D-U-D-U-D-U-"),
    "power": ("x---------------", "x-x-x-x-x-x-x-x-", "x-x-x-x-x-x-x-x-"),
}
_VARIANTS: dict[str, tuple[str, str, str]] = {
    "comp": ("x-----x-------x-", "x-----x---x-----", "x-x-x-x-x-x-x-xx"),
    "stabs": ("x-------x-----x-", "..x...x...x.x.x.", "x.x...x...x.x.x."),
    "strum": ("D-------D-------", "D---D-U-D-U-D-U-", "D-U-D-U-D-UUD-U-"),
}
_THREE = {"comp": ("x-----------", "x---x---x---", "x-x-x-x-x-x-"), "strum": ("D-----------", "D---D-U-D-U-", "D-U-D-U-D-U-")}
_SIX8 = {"comp": ("x-----------", "x-----x-----", "x-x-x-x-x-x-"), "strum": ("D-----------", "D---U-D---U-", "D-U-U-D-U-U-")}


def _chord_tones(pcs: tuple[int, ...], n_max: int = 4) -> list[int]:
    tones = list(dict.fromkeys(pc % 12 for pc in pcs))
    if len(tones) > n_max:  # drop the fifth first (9th chords)
        fifth = (tones[0] + 7) % 12
        if fifth in tones[1:]:
            tones.remove(fifth)
        tones = tones[:n_max]
    return tones


def parallel_outer(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether the outer voices of voicings ``a`` -> ``b`` move in parallel fifths or octaves.

    Both outer voices must move, in the same direction, and the interval between
    them (modulo the octave) must be a perfect fifth or an octave/unison in both.

    >>> parallel_outer((60, 64, 67), (62, 65, 69))  # C -> Dm, both in root position
    True
    >>> parallel_outer((60, 64, 67), (60, 65, 69))
    False
    """
    if len(a) < 2 or len(b) < 2:
        return False
    lo_a, hi_a, lo_b, hi_b = min(a), max(a), min(b), max(b)
    if lo_a == lo_b or hi_a == hi_b or (lo_b - lo_a > 0) != (hi_b - hi_a > 0):
        return False
    ia, ib = (hi_a - lo_a) % 12, (hi_b - lo_b) % 12
    return ia == ib and ia in (0, 7)


def voice_movement(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Mean movement in semitones per voice from ``a`` to ``b`` (each voice to its nearest note).

    >>> voice_movement((60, 64, 67), (60, 65, 69))
    1.0
    """
    if not a or not b:
        return 0.0
    there = [min(abs(p - q) for q in b) for p in a]
    back = [min(abs(p - q) for p in a) for q in b]
    return float(sum(there) + sum(back)) / (len(a) + len(b))


def voice_chord(pcs: tuple[int, ...], *, previous: tuple[int, ...] | None, low: int, high: int, center: float | None = None) -> tuple[int, ...]:
    """Close-position voicing of ``pcs`` in ``low..high`` moving least from ``previous``.

    Candidates are every inversion in close position at every octave that fits;
    the cost is the total movement from ``previous`` (each voice to its nearest
    note, both ways) plus a small pull to ``center``; a candidate that would make
    parallel fifths or octaves between the outer voices is only taken when no
    other fits.

    Parameters
    ----------
    pcs : tuple[int, ...]
        Chord pitch classes, root first (at most 4 are voiced).
    previous : tuple[int, ...] or None
        The previous voicing (MIDI pitches), or None for the first chord.
    low, high : int
        Register, inclusive.
    center : float, optional
        Preferred mean pitch (default: middle of the register).

    Returns
    -------
    tuple[int, ...]
        Sorted MIDI pitches.
    """
    tones = _chord_tones(pcs)
    centre = (low + high) / 2.0 if center is None else center
    best: tuple[float, tuple[int, ...]] | None = None
    for r in range(len(tones)):
        rot = tones[r:] + tones[:r]
        base = low + ((rot[0] - low) % 12)
        for shift in (0, 12, 24):
            notes = [base + shift]
            for pc in rot[1:]:
                p = notes[-1] + 1
                while p % 12 != pc:
                    p += 1
                notes.append(p)
            if notes[-1] > high or notes[0] < low:
                continue
            cand = tuple(notes)
            if previous:
                move = sum(min(abs(p - q) for q in previous) for p in cand) + sum(min(abs(p - q) for p in cand) for q in previous)
                cost = move + 0.15 * abs(float(np.mean(cand)) - centre)
                if parallel_outer(tuple(previous), cand):
                    cost += 100.0
            else:
                cost = abs(float(np.mean(cand)) - centre)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, cand)
    if best is None:  # register too narrow: stack from the root inside the range
        return tuple(sorted(low + ((pc - low) % 12) for pc in tones))
    return best[1]


def _register(spec: PartSpec, style: str) -> tuple[int, int]:
    low, high = STYLE_REGISTERS.get(style, (52, 79))
    if spec.preset == "cello":
        low, high = 43, 64
    p_low, p_high = range_of(spec.preset)
    low, high = max(low, p_low), min(high, p_high)
    if high - low < 12:
        low = max(p_low, high - 12)
    return low, high


def _level(e: float) -> int:
    return 0 if e < 0.4 else 1 if e < 0.7 else 2


def _rhythm(ctx: ArrangeContext, style: str, spec: PartSpec, e: float, variant: bool = False) -> str:
    key = (ctx.plan.meter_numerator, ctx.plan.meter_denominator)
    family = "strum" if style == "strum" else ("power" if style == "power" else "comp")
    if style == "stabs":
        family = "stabs_guitar" if spec.role == "guitar" else "stabs_brass" if spec.role == "brass" else "stabs"
    if key == (3, 4):
        return _THREE["strum" if style == "strum" else "comp"][_level(e)]
    if key == (6, 8):
        return _SIX8["strum" if style == "strum" else "comp"][_level(e)]
    if key == (4, 4):
        if variant and family in _VARIANTS:
            return _VARIANTS[family][_level(e)]
        return _RHYTHMS[family][_level(e)]
    n = max(1, ctx.bar_ticks // ctx.sub_ticks)
    return "x" + "-" * (n - 1) if _level(e) == 0 else "x-" * (n // 2) + "x" * (n % 2)


def _notes_from_rhythm(ctx: ArrangeContext, pattern: str, bar: int, e: float, voicing_at, rng: np.random.Generator, *, art: str | None, strum: bool, low_vel: int, high_vel: int, staccato_fraction: float = 0.45) -> list[Note]:
    out: list[Note] = []
    step = ctx.bar_ticks // len(pattern)
    bar_start = bar * ctx.bar_ticks
    chars = list(pattern)
    for span in ctx.chords_by_bar[bar]:  # re-strike at every chord change
        j = (span.start_tick - bar_start) // step
        if 0 < j < len(chars) and chars[j] in "-.":
            chars[j] = "D" if strum else "x"
    onsets = [i for i, c in enumerate(chars) if c not in "-."]
    for k, i in enumerate(onsets):
        tick = bar_start + i * step
        nxt = onsets[k + 1] if k + 1 < len(onsets) else len(chars)
        end = i + 1
        while end < nxt and chars[end] == "-":
            end += 1
        span_end = ctx.chord_at(tick).end_tick
        dur = min((end - i) * step, span_end - tick)
        if art == "staccato":
            dur = max(40, int(dur * staccato_fraction))
        else:
            dur = max(40, dur - 10)
        voicing = voicing_at(tick)
        up = chars[i] == "U"
        pitches = sorted(voicing, reverse=up)
        if up:
            pitches = pitches[:3]
        accent = 6 if (i * step) % ctx.bar_ticks == 0 else (-8 if up else -3 if (i * step) % ctx.beat_ticks else 0)
        t0 = ctx.swing_tick(tick)
        for n_i, p in enumerate(pitches):
            offset = n_i * (9 if up else 14) if strum else 0
            vel = velocity_for(e, low=low_vel, high=high_vel, accent=accent - (2 * n_i if strum else 0) + rng.normal(0.0, 2.5))
            note_art = art
            if art is None and accent > 0 and e >= 0.7 and not strum:
                note_art = "accent"
            out.append(Note(int(p), max(0, t0 + offset), max(30, dur - offset), vel, note_art))
    return out


def song_voicings(ctx: ArrangeContext, spec: PartSpec) -> dict[int, tuple[int, ...]]:
    """The voicing of every chord of the song for a chordal part: chord start tick -> sorted pitches.

    Voice leading runs through the whole song (across section boundaries), so
    it depends only on the chords and the part's register and style, never on
    a random draw: any (track, section) can be rewritten alone and still join
    its neighbours smoothly. A repeated section starts from wherever the line
    arrives, so its voicings may differ from the first time.
    """
    style = spec.effective_style
    low, high = _register(spec, style)
    key = ("voicings", style, low, high)
    if key in ctx.memo:
        return ctx.memo[key]
    voicings: dict[int, tuple[int, ...]] = {}
    prev: tuple[int, ...] | None = None
    for s in ctx.chords:
        if style == "power":
            root = low + ((s.chord.bass_pc - low) % 12)
            if prev and abs(root + 12 - prev[0]) < abs(root - prev[0]) and root + 12 + 12 <= high:
                root += 12
            v = (root, root + 7, root + 12)
        else:
            v = voice_chord(s.chord.pitch_classes, previous=prev, low=low, high=high)
        voicings[s.start_tick] = v
        prev = v
    ctx.memo[key] = voicings
    return voicings


def chord_part_section(ctx: ArrangeContext, spec: PartSpec, section_index: int, rng: np.random.Generator) -> list[Note]:
    """Notes of a chordal part (keys, pad, guitar, strings, brass, arp) for one section.

    Bars whose energy is below ``spec.min_energy`` rest. Every pitch stays in the
    preset's range. Repeated sections vary: a later verse or chorus may play a
    variant rhythm (drawn with the part's own ``rng``) and its voicings follow
    from where the song's voice leading arrives (:func:`song_voicings`); the
    last chorus doubles a pad's top voice an octave up.
    """
    style = spec.effective_style
    if style == "counter":
        return counter_section(ctx, spec, section_index, rng)
    first_bar, n_bars = ctx.section_bounds(section_index)
    low, high = _register(spec, style)
    p_low, p_high = range_of(spec.preset)
    occurrence = ctx.occurrence(section_index)
    variant = occurrence % 2 == 1 or (occurrence > 0 and bool(rng.random() < 0.5))
    voicings = song_voicings(ctx, spec)
    biggest = ctx.is_last_chorus(section_index)

    def voicing_at(tick: int) -> tuple[int, ...]:
        return voicings[ctx.chord_at(tick).start_tick]

    notes: list[Note] = []
    for b in range(n_bars):
        bar = first_bar + b
        e = ctx.energy(bar)
        if e < spec.min_energy:
            continue
        bar_start = bar * ctx.bar_ticks
        if style in ("pad", "swell"):
            for span in ctx.chords_by_bar[bar]:
                vel = velocity_for(e, low=40, high=96, accent=rng.normal(0.0, 2.0))
                v = voicings[span.start_tick]
                if biggest and v[-1] + 12 <= p_high:
                    v = v + (v[-1] + 12,)
                for p in v:
                    notes.append(Note(p, span.start_tick, span.duration_ticks, vel, "legato"))
                if style == "swell" and e >= 0.7 and spec.role == "strings":
                    root = _low_root(span.chord.bass_pc, max(p_low, 36))
                    step = ctx.sub_ticks
                    for t in range(span.start_tick, span.end_tick, step):
                        notes.append(Note(root if (t // step) % 2 == 0 else min(root + 12, p_high), ctx.swing_tick(t), max(40, step // 2), velocity_for(e, low=50, high=100, accent=4 if t % ctx.beat_ticks == 0 else -4), "staccato"))
        elif style in ("ballad", "pick"):
            notes += _ballad_bar(ctx, bar, e, voicing_at, rng, p_low if style == "ballad" else max(p_low, low - 7))
        elif style == "arp":
            step = ctx.sub_ticks // 2 if not ctx.compound else ctx.sub_ticks
            if e < 0.45:
                step *= 2
            for k, t in enumerate(range(bar_start, bar_start + ctx.bar_ticks, step)):
                v = voicing_at(t)
                seq = list(v) + [x + 12 for x in v if x + 12 <= high]
                seq = seq + seq[-2:0:-1]
                p = seq[k % len(seq)]
                notes.append(Note(p, ctx.swing_tick(t), int(step * 0.8), velocity_for(e, low=40, high=92, accent=6 if t % ctx.beat_ticks == 0 else 0), None))
        else:
            pattern = _rhythm(ctx, style, spec, e, variant)
            art = "staccato" if style == "stabs" or (style == "power" and _level(e) == 1) else None
            strum = style == "strum"
            notes += _notes_from_rhythm(ctx, pattern, bar, e, voicing_at, rng, art=art, strum=strum, low_vel=46, high_vel=108)
            if style == "comp" and spec.preset == "acoustic_piano" and e < 0.45:  # left-hand root when the band is quiet
                span = ctx.chords_by_bar[bar][0]
                root = _low_root(span.chord.bass_pc, max(p_low, 36))
                notes.append(Note(root, bar_start, ctx.bar_ticks - 20, velocity_for(e, low=40, high=90), "legato"))
    end = (first_bar + n_bars) * ctx.bar_ticks
    notes = [n for n in notes if n.start_tick < end]
    notes = [Note(clamp_to_range(n.pitch, spec.preset), n.start_tick, max(1, min(n.duration_ticks, end - n.start_tick)), n.velocity, n.articulation) for n in notes]
    notes.sort(key=lambda n: (n.start_tick, n.pitch))
    return _dedupe(notes)


def _low_root(pc: int, floor: int) -> int:
    """The lowest pitch of class ``pc`` at or above ``floor``."""
    return floor + ((pc - floor) % 12)


def _ballad_bar(ctx: ArrangeContext, bar: int, e: float, voicing_at, rng: np.random.Generator, p_low: int) -> list[Note]:
    """Broken-chord piano: left-hand root, then the chord in eighths (1-5-8-10 shapes)."""
    out: list[Note] = []
    bar_start = bar * ctx.bar_ticks
    step = ctx.sub_ticks
    for span in ctx.chords_by_bar[bar]:
        v = voicing_at(span.start_tick)
        root = _low_root(span.chord.bass_pc, max(p_low, 36))
        fifth = root + 7
        out.append(Note(root, span.start_tick, span.duration_ticks - 10, velocity_for(e, low=48, high=100, accent=4), "tenuto"))
        if e < 0.25:
            for p in v:
                out.append(Note(p, span.start_tick, span.duration_ticks - 10, velocity_for(e, low=36, high=86), "legato"))
            continue
        shape = [fifth, v[0], v[1], v[-1], v[1], v[0]] if len(v) >= 3 else [fifth] + list(v)
        k = 0
        for t in range(span.start_tick + step, span.end_tick, step):
            p = shape[k % len(shape)]
            k += 1
            out.append(Note(p, ctx.swing_tick(t), step * 2 - 10, velocity_for(e, low=34, high=84, accent=rng.normal(0.0, 3.0)), None))
        if e >= 0.65:
            for p in v:
                out.append(Note(p, span.start_tick, min(ctx.beat_ticks * 2, span.duration_ticks) - 10, velocity_for(e, low=44, high=98), None))
    return [n for n in out if n.start_tick < bar_start + ctx.bar_ticks]


def _dedupe(notes: list[Note]) -> list[Note]:
    out: list[Note] = []
    for n in notes:
        if out and out[-1].start_tick == n.start_tick and out[-1].pitch == n.pitch:
            continue
        out.append(n)
    return out
