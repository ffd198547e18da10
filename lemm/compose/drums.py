"""Drum grooves: pattern families as step strings, layered by bar energy, with fills and crashes.

A pattern is a string with one character per step of the bar (16 steps in 4/4,
12 in 3/4 and 6/8): ``X`` accent, ``x`` hit, ``o`` ghost note, ``.`` rest. Each
family lists layers ``(drum, pattern, min_energy, max_energy)``; a layer plays in
bars whose energy is in ``[min_energy, max_energy)``. So a quiet intro gets only
hats or a side stick, a verse the groove, a chorus busier hats, ride or open hats.

Time is kept on one cymbal per section: where a family has both hat and ride layers, a
section plays the ride through (from the hats' lowest energy up) when its mean bar energy
selects the ride, and the hats through otherwise (the busiest hat pattern where a bar's
energy would select the ride), as a drummer's right hand keeps time on one of them; so a
verse is on the hats and a loud chorus on the ride, never both bar by bar
(:func:`time_layers`).

An open hat rings until the next closed hat chokes it (the kit's choke group). In
``four_on_floor`` a verse keeps the off-beats on the closed hat and opens it once, at the end
of the bar; the off-beat open hats belong to the chorus, each closed by the hat on the next
beat, so the hats open up the chorus without washing over the verse.

Every section also gets a crash on its downbeat (when its energy is not low) and
a fill in its last bar leading into the next section; velocities follow the bar
energy, with seeded humanisation of velocity and timing.

Examples
--------
>>> sorted(GROOVES)[:3]
['backbeat', 'ballad', 'boom_bap']
>>> DRUM_KEYS["kick"], DRUM_KEYS["snare"], DRUM_KEYS["hat"]
(36, 38, 42)
"""

from __future__ import annotations

import numpy as np

from lemm.compose.context import ArrangeContext
from lemm.score.model import Note

__all__ = ["DRUM_KEYS", "GROOVES", "clean_hits", "drum_section", "groove_family", "kick_steps", "time_layers"]

#: Drum names used in patterns -> General MIDI percussion key.
DRUM_KEYS = {
    "kick": 36, "rim": 37, "snare": 38, "clap": 39, "hat": 42, "pedal": 44, "ohat": 46,
    "tom_low": 41, "tom_mid": 45, "tom_high": 48, "crash": 49, "ride": 51, "tamb": 54,
}
_BASE_VELOCITY = {"kick": 104, "rim": 78, "snare": 100, "clap": 96, "hat": 72, "pedal": 60, "ohat": 76,
                  "tom_low": 94, "tom_mid": 92, "tom_high": 90, "crash": 100, "ride": 74, "tamb": 62}

_HI = 1.01
_SAME_HIT_TICKS = 8  # hits of one drum this close (humanised copies) are one hit
_WALTZ = [("kick", "X...........", 0.25, _HI), ("rim", "....x...x...", 0.2, 0.5), ("snare", "....x...x...", 0.5, _HI),
          ("hat", "x...x...x...", 0.1, 0.6), ("hat", "x.x.x.x.x.x.", 0.6, _HI)]
_SIX8 = [("kick", "X...........", 0.25, 0.7), ("kick", "X.........x.", 0.7, _HI), ("rim", "......x.....", 0.2, 0.45),
         ("snare", "......X.....", 0.45, _HI), ("hat", "x.x.x.x.x.x.", 0.1, _HI)]

#: Groove families: meter ("4/4", "3/4", "6/8") -> layers.
GROOVES: dict[str, dict[str, list[tuple[str, str, float, float]]]] = {
    "backbeat": {"4/4": [
        ("kick", "X.....x.X.......", 0.3, 0.7), ("kick", "X.....x.X.x.....", 0.7, _HI),
        ("rim", "....x.......x...", 0.2, 0.38), ("snare", "....X.......X...", 0.38, _HI),
        ("hat", "x.x.x.x.x.x.x.x.", 0.1, 0.75), ("hat", "x.xox.xox.xox.xo", 0.75, _HI), ("ohat", "..............x.", 0.6, _HI)]},
    "rock": {"4/4": [
        ("kick", "X.......X.x.....", 0.3, 0.75), ("kick", "X.x.....X.x.....", 0.75, _HI),
        ("rim", "....x.......x...", 0.2, 0.4), ("snare", "....X.......X...", 0.4, _HI),
        ("hat", "x.x.x.x.x.x.x.x.", 0.1, 0.75), ("ride", "x.x.x.x.x.x.x.x.", 0.75, _HI)]},
    "four_on_floor": {"4/4": [
        ("kick", "X...X...X...X...", 0.28, _HI), ("clap", "....X.......X...", 0.45, _HI),
        ("hat", "..x...x...x...x.", 0.12, 0.5), ("hat", "..x...x...x.....", 0.5, 0.68), ("ohat", "..............x.", 0.5, 0.68),
        ("hat", "xo..xo..xo..xo..", 0.68, _HI), ("ohat", "..x...x...x...x.", 0.68, _HI), ("tamb", "....x.......x...", 0.8, _HI)]},
    "boom_bap": {"4/4": [
        ("kick", "X.........X.....", 0.25, 0.6), ("kick", "X......x..X..x..", 0.6, _HI),
        ("rim", "....x.......x...", 0.15, 0.35), ("snare", "....X.......X...", 0.35, _HI),
        ("hat", "x.x.x.x.x.x.x.x.", 0.1, 0.7), ("hat", "x.xxx.x.x.xxx.x.", 0.7, _HI), ("ohat", "......x.........", 0.75, _HI)]},
    "rnb": {"4/4": [
        ("kick", "X......x..x.....", 0.25, _HI), ("rim", "....x.......x...", 0.15, 0.4), ("clap", "....X.......X...", 0.4, _HI),
        ("hat", "x.x.x.x.x.x.x.x.", 0.1, 0.6), ("hat", "xoxoxoxoxoxoxoxo", 0.6, _HI), ("ohat", "..............x.", 0.7, _HI)]},
    "funk": {"4/4": [
        ("kick", "X.....x...X..x..", 0.3, _HI), ("rim", "....x.......x...", 0.15, 0.35),
        ("snare", "....X..o.o..X..o", 0.35, _HI), ("hat", "x.x.x.x.x.x.x.x.", 0.1, 0.4),
        ("hat", "xoxoxox.xoxoxoxo", 0.4, _HI), ("ohat", ".......x........", 0.4, _HI)]},
    "country": {"4/4": [
        ("kick", "X.......X.......", 0.3, _HI), ("rim", "....x.......x...", 0.15, 0.45), ("snare", "....X.......X...", 0.45, _HI),
        ("hat", "x.x.x.x.x.x.x.x.", 0.1, 0.75), ("ride", "x.x.x.x.x.x.x.x.", 0.75, _HI), ("tamb", "....x.......x...", 0.6, _HI)]},
    "folk": {"4/4": [
        ("kick", "X.......X.......", 0.35, 0.7), ("kick", "X.....x.X.......", 0.7, _HI), ("rim", "....x.......x...", 0.2, 0.62),
        ("snare", "....X.......X...", 0.62, _HI), ("hat", "x...x...x...x...", 0.1, 0.55), ("hat", "x.x.x.x.x.x.x.x.", 0.55, 0.7),
        ("tamb", "x.x.x.x.x.x.x.x.", 0.7, _HI)]},
    "ballad": {"4/4": [
        ("kick", "X.........x.....", 0.3, _HI), ("rim", "....x.......x...", 0.15, 0.5), ("snare", "....X.......X...", 0.5, _HI),
        ("hat", "x.x.x.x.x.x.x.x.", 0.35, 0.78), ("ride", "x.x.x.x.x.x.x.x.", 0.78, _HI)]},
    "lofi": {"4/4": [
        ("kick", "X.......x.x.....", 0.25, _HI), ("rim", "....x.......x...", 0.12, 0.5), ("snare", "....X.......X...", 0.5, _HI),
        ("hat", "x.o.x.o.x.o.x.o.", 0.1, 0.65), ("hat", "x.xox.x.x.xox.x.", 0.65, _HI)]},
    "indie": {"4/4": [
        ("kick", "X.....X.X.......", 0.3, 0.7), ("kick", "X.....X.X.....x.", 0.7, _HI), ("rim", "....x.......x...", 0.2, 0.4),
        ("snare", "....X.......X...", 0.4, _HI), ("hat", "x.x.x.x.x.x.x.x.", 0.1, 0.6), ("hat", "xxxxxxxxxxxxxxxx", 0.6, 0.8),
        ("ride", "x.x.x.x.x.x.x.x.", 0.8, _HI), ("tamb", "x.x.x.x.x.x.x.x.", 0.8, _HI)]},
    "cinematic": {"4/4": [
        ("kick", "X.......X.......", 0.5, _HI), ("tom_low", "..x...x...x.x.x.", 0.55, _HI),
        ("tom_mid", "...........x....", 0.7, _HI), ("snare", "........X.......", 0.72, _HI), ("hat", "x...x...x...x...", 0.3, 0.55)]},
}
for _fam in GROOVES.values():
    _fam.setdefault("3/4", _WALTZ)
    _fam.setdefault("6/8", _SIX8)

_FILLS = {
    "snare": ["snare"] * 8,
    "toms": ["tom_high", "tom_high", "tom_mid", "tom_mid", "tom_low", "tom_low", "tom_low", "tom_low"],
    "snare_toms": ["snare", "snare", "tom_high", "tom_mid", "snare", "tom_mid", "tom_low", "tom_low"],
}


def groove_family(ctx: ArrangeContext, style: str = "") -> str:
    """The groove family a drum part plays: its style when that names a groove, else the plan's
    drum instrument's style, else the genre profile's groove."""
    if style in GROOVES:
        return style
    for inst in ctx.plan.instruments:
        if (inst.is_drum or inst.role == "drums") and inst.style in GROOVES:
            return inst.style
    return ctx.profile.drum_groove if ctx.profile.drum_groove in GROOVES else "backbeat"


def kick_steps(ctx: ArrangeContext, energy: float, family: str | None = None) -> list[int]:
    """Ticks (from the bar start) of the kick hits of the groove at a bar energy (for a bass locked to the kick)."""
    hits: set[int] = set()
    for drum, pattern, lo, hi in _layers(ctx, family or groove_family(ctx)):
        if drum == "kick" and lo <= energy < hi:
            step = ctx.bar_ticks // len(pattern)
            hits.update(i * step for i, ch in enumerate(pattern) if ch != ".")
    return sorted(hits)


def _layers(ctx: ArrangeContext, family: str) -> list[tuple[str, str, float, float]]:
    fam = GROOVES.get(family, GROOVES["backbeat"])
    key = f"{ctx.plan.meter_numerator}/{ctx.plan.meter_denominator}"
    if key in fam:
        return fam[key]
    if key in ("2/4", "2/2"):
        return [(d, p[:8], lo, hi) for d, p, lo, hi in fam["4/4"]]
    if key == "12/8":
        return [(d, p * 2, lo, hi) for d, p, lo, hi in fam["6/8"]]
    # any other meter: kick on 1, snare in the middle, hats on every subdivision
    n = ctx.bar_ticks // ctx.sub_ticks
    mid = (n // 2) if n > 2 else 1
    return [("kick", "X" + "." * (n - 1), 0.25, _HI), ("snare", "." * mid + "X" + "." * (n - mid - 1), 0.4, _HI), ("hat", "x" * n, 0.1, _HI)]


#: Cymbals that keep time; a section plays one of them (:func:`time_layers`).
_TIMEKEEPERS = ("hat", "ride")


def time_layers(layers: list[tuple[str, str, float, float]], section_energy: float) -> list[tuple[str, str, float, float]]:
    """The layers of one section with its time kept on one cymbal: the ride or the hats.

    Where ``layers`` has both hat and ride layers, the ride keeps time through the section when
    ``section_energy`` selects a ride layer: its energy range then starts at the lowest hat layer's
    and the hat layers are dropped. Otherwise the ride layers are dropped and the busiest hat layer
    (the one for the highest energies) plays up to the ride's top. Other layers are kept as they are.

    >>> rock = GROOVES["rock"]["4/4"]
    >>> [(d, lo, hi) for d, _, lo, hi in time_layers(rock, 0.8) if d in ("hat", "ride")]
    [('ride', 0.1, 1.01)]
    >>> [(d, lo, hi) for d, _, lo, hi in time_layers(rock, 0.5) if d in ("hat", "ride")]
    [('hat', 0.1, 1.01)]
    """
    rides = [layer for layer in layers if layer[0] == "ride"]
    hats = [layer for layer in layers if layer[0] == "hat"]
    if not rides or not hats:
        return list(layers)
    if any(lo <= section_energy < hi for _, _, lo, hi in rides):
        lowest = min(rides, key=lambda layer: layer[2])
        floor = min(lo for _, _, lo, _ in hats)
        changed = {id(lowest): (*lowest[:2], min(lowest[2], floor), lowest[3])}
        dropped = "hat"
    else:
        busiest = max(hats, key=lambda layer: layer[3])
        changed = {id(busiest): (*busiest[:3], max(busiest[3], max(hi for _, _, _, hi in rides)))}
        dropped = "ride"
    return [changed.get(id(layer), layer) for layer in layers if layer[0] != dropped]


def _vel(drum: str, char: str, energy: float, rng: np.random.Generator) -> int:
    v = _BASE_VELOCITY[drum] * (0.62 + 0.38 * energy)
    if char == "X":
        v += 10
    elif char == "o":
        v *= 0.45
    v += rng.normal(0.0, 3.5)
    return int(np.clip(round(v), 1, 127))


def drum_section(ctx: ArrangeContext, section_index: int, rng: np.random.Generator, *, style: str = "") -> list[Note]:
    """Drum notes of one section (GM keys), sorted by (start_tick, pitch).

    Parameters
    ----------
    ctx : ArrangeContext
    section_index : int
        Index into ``ctx.plan.sections``.
    rng : np.random.Generator
        The part's own generator (humanisation, fill choice).
    style : str
        A groove family name (:data:`GROOVES`); empty = see :func:`groove_family`.

    The last chorus is the biggest: a crash every four bars and, when it keeps time on the hats,
    an open hat at the end of every bar.
    """
    plan = ctx.plan
    first_bar, n_bars = ctx.section_bounds(section_index)
    sec = plan.sections[section_index]
    nxt = plan.sections[section_index + 1] if section_index + 1 < len(plan.sections) else None
    family = groove_family(ctx, style)
    energies = [ctx.energy(first_bar + b) for b in range(n_bars)]
    layers = time_layers(_layers(ctx, family), float(np.mean(energies)) if energies else sec.energy)
    rides = any(drum == "ride" for drum, *_ in layers)
    laid_back = 10 if family in ("boom_bap", "rnb", "lofi") else 0
    biggest = ctx.is_last_chorus(section_index)
    fill_kind = ("snare", "toms", "snare_toms")[int(rng.integers(3))]
    notes: list[Note] = []

    def add(drum: str, tick: int, char: str, energy: float, *, jitter: bool = True, dur: int = 60) -> None:
        t = ctx.swing_tick(tick)
        if jitter:
            t += int(round(rng.normal(0.0, 3.0))) + (laid_back if drum in ("snare", "clap", "rim") else 0)
        t = max(t, first_bar * ctx.bar_ticks)  # humanised early, the section's first hit still starts in it
        art = "accent" if char == "X" and drum in ("snare", "clap") and energy >= 0.6 else None
        notes.append(Note(DRUM_KEYS[drum], max(0, t), dur, _vel(drum, char, energy, rng), art))

    for b in range(n_bars):
        bar = first_bar + b
        e = ctx.energy(bar)
        bar_start = bar * ctx.bar_ticks
        is_fill_bar = b == n_bars - 1 and nxt is not None and (nxt.kind != "outro" or e >= 0.5)
        fill_from = ctx.bar_ticks
        if is_fill_bar and e >= 0.25:
            roll = family == "four_on_floor" and sec.kind == "pre-chorus"
            beats = ctx.beats_per_bar if roll else (2 if e >= 0.55 and nxt.kind == "chorus" else 1)
            fill_from = ctx.bar_ticks - min(beats, ctx.beats_per_bar) * ctx.beat_ticks
        for drum, pattern, lo, hi in layers:
            if not lo <= e < hi:
                continue
            step = ctx.bar_ticks // len(pattern)
            for i, ch in enumerate(pattern):
                if ch == "." or i * step >= fill_from and drum != "kick":
                    continue
                if i * step >= fill_from and drum == "kick" and (i * step) % ctx.beat_ticks:
                    continue
                add(drum, bar_start + i * step, ch, e)
        if b == 0 and (section_index > 0 or sec.kind != "intro") and (sec.energy >= 0.45 or sec.kind == "chorus"):
            add("crash", bar_start, "x", max(e, 0.6), jitter=False, dur=ctx.beat_ticks)
            if not any(n.pitch == DRUM_KEYS["kick"] and abs(n.start_tick - bar_start) <= _SAME_HIT_TICKS for n in notes):
                add("kick", bar_start, "X", e, jitter=False)
        elif b > 0 and b % 4 == 0 and e >= 0.7 and family != "cinematic" and (biggest or rng.random() < 0.35):
            add("crash", bar_start, "x", e * 0.85, jitter=False, dur=ctx.beat_ticks)
        if biggest and not rides and fill_from == ctx.bar_ticks and not ctx.compound and ctx.bar_ticks % ctx.sub_ticks == 0:
            add("ohat", bar_start + ctx.bar_ticks - ctx.sub_ticks, "x", e)
        if fill_from < ctx.bar_ticks:
            fill_start = bar_start + fill_from
            n_hits = (ctx.bar_ticks - fill_from) // (ctx.sub_ticks // 2 if not ctx.compound else ctx.sub_ticks // 2)
            step = (ctx.bar_ticks - fill_from) // max(n_hits, 1)
            voices = _FILLS["snare"] if family == "four_on_floor" else _FILLS[fill_kind]
            for k in range(n_hits):
                drum = voices[min(k * len(voices) // n_hits, len(voices) - 1)]
                ramp = 0.55 + 0.45 * (k + 1) / n_hits
                if n_hits > 4 and k % 2 == 1 and rng.random() < 0.3 and drum == "snare":
                    continue
                add(drum, fill_start + k * step, "x", min(1.0, e * ramp + 0.1))
        elif b % 4 == 3 and b != n_bars - 1 and e >= 0.45 and rng.random() < 0.4:
            # a small pickup into the next phrase
            add("snare", bar_start + ctx.bar_ticks - ctx.sub_ticks // 2 if not ctx.compound else bar_start + ctx.bar_ticks - ctx.sub_ticks, "o", e)
    end = (first_bar + n_bars) * ctx.bar_ticks
    notes = [n for n in notes if n.start_tick < end]
    notes.sort(key=lambda n: (n.start_tick, n.pitch))
    return clean_hits(notes)


def clean_hits(notes: list[Note]) -> list[Note]:
    """One hit per drum voice at a time: hits of one key closer than a few ticks are one hit (the louder),
    and a hit rings at most until the next hit of its key. Sorted by (start_tick, pitch).

    >>> [(n.start_tick, n.duration_ticks, n.velocity) for n in clean_hits([Note(36, 0, 60, 90), Note(36, 3, 60, 100), Note(36, 40, 60, 80)])]
    [(0, 40, 100), (40, 60, 80)]
    """
    by_key: dict[int, list[Note]] = {}
    for n in sorted(notes, key=lambda n: (n.start_tick, n.pitch)):
        hits = by_key.setdefault(n.pitch, [])
        if hits and n.start_tick - hits[-1].start_tick <= _SAME_HIT_TICKS:
            if n.velocity > hits[-1].velocity:
                hits[-1] = Note(n.pitch, hits[-1].start_tick, hits[-1].duration_ticks, n.velocity, n.articulation or hits[-1].articulation)
            continue
        if hits and hits[-1].end_tick > n.start_tick:
            prev = hits[-1]
            hits[-1] = Note(prev.pitch, prev.start_tick, n.start_tick - prev.start_tick, prev.velocity, prev.articulation, prev.lyric)
        hits.append(n)
    return sorted((n for hits in by_key.values() for n in hits), key=lambda n: (n.start_tick, n.pitch))
