"""Bass lines: chord roots with the genre's pattern family, in E1..G3.

Patterns are step strings (16 steps in 4/4): ``R`` root, ``F`` fifth, ``O`` octave
above the root, ``A`` approach note into the next chord's root, ``-`` holds the
previous note, ``.`` rest. Each family has a pattern for low (< 0.4), middle
(< 0.7) and high bar energy. Slash chords play their bass note as the root.
The register follows the previous root (smallest move), inside 31..50 for roots
so fifths and octaves stay within the 28..55 range.

Examples
--------
>>> sorted(BASS_PATTERNS)
['funk', 'kick_locked', 'offbeat', 'root_eighths', 'root_fifth', 'sustained', 'syncopated']
>>> bass_pitch(4, previous=40)  # E nearest to E2
40
"""

from __future__ import annotations

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.score.model import Note

__all__ = ["BASS_PATTERNS", "bass_section", "bass_pitch", "BASS_LOW", "BASS_HIGH"]

BASS_LOW, BASS_HIGH = 28, 55
_ROOT_LOW, _ROOT_HIGH = 31, 50

#: family -> (low, middle, high) energy patterns in 4/4 (16 steps).
BASS_PATTERNS: dict[str, tuple[str, str, str]] = {
    "syncopated": ("R-------R-------", "R-----R-R---R-..", "R-.R-.R-R-.RR-A-"),
    "root_eighths": ("R-------R-------", "R-R-R-R-R-R-R-R-", "R-R-R-R-R-R-R-A-"),
    "root_fifth": ("R-------F-------", "R--.F--.R--.F--.", "R--.F--.R--.F-A."),
    "offbeat": ("R---------------", "..R-..R-..R-..R-", "..R-..R-..R-..RO"),
    "kick_locked": ("R---------------", "R---------R-----", "R------R--R--A--"),
    "funk": ("R-----R-........", "R..R..O.R.R...O.", "R..RO.O.R.RF..OA"),
    "sustained": ("R---------------", "R---------------", "R-------R---F---"),
}
_STACCATO = {"offbeat", "funk"}
_THREE = ("R-----------", "R-------F---", "R---F---F---")  # 3/4
_SIX8 = ("R-----------", "R-----F-----", "R-----F---A-")  # 6/8


def bass_pitch(pc: int, *, previous: int) -> int:
    """The pitch of class ``pc`` inside the root register closest to ``previous``."""
    cands = [p for p in range(_ROOT_LOW, _ROOT_HIGH + 1) if p % 12 == pc % 12]
    return min(cands, key=lambda p: (abs(p - previous), p))


def _pattern(ctx: ArrangeContext, energy: float) -> str:
    level = 0 if energy < 0.4 else 1 if energy < 0.7 else 2
    key = (ctx.plan.meter_numerator, ctx.plan.meter_denominator)
    if key == (3, 4):
        return _THREE[level]
    if key == (6, 8):
        return _SIX8[level]
    fam = BASS_PATTERNS.get(ctx.profile.bass_pattern, BASS_PATTERNS["syncopated"])
    if key == (4, 4):
        return fam[level]
    n = max(1, ctx.bar_ticks // ctx.sub_ticks)
    return "R" + "-" * (n - 1) if level == 0 else ("R" + "-" * (n // 2 - 1) + "F" + "-" * (n - n // 2 - 1))


def bass_section(ctx: ArrangeContext, section_index: int, rng: np.random.Generator, *, min_energy: float = 0.0) -> list[Note]:
    """Bass notes of one section, sorted; every pitch in 28..55."""
    first_bar, n_bars = ctx.section_bounds(section_index)
    family = ctx.profile.bass_pattern
    staccato = family in _STACCATO
    start_bar = first_bar
    prev = bass_pitch(ctx.chord_at(start_bar * ctx.bar_ticks).chord.bass_pc, previous=40)
    cur_span, cur_root = -1, prev
    events: list[tuple[int, int, int, int, str | None]] = []  # start, pitch, velocity, end, articulation
    song_end = ctx.n_bars * ctx.bar_ticks
    for b in range(n_bars):
        bar = first_bar + b
        e = ctx.energy(bar)
        if e < min_energy:
            continue
        pattern = _pattern(ctx, e)
        if b == n_bars - 1 and rng.random() < 0.5 and "A" not in pattern[-4:] and e >= 0.4:
            pattern = pattern[:-2] + "A-" if len(pattern) >= 4 else pattern
        step = ctx.bar_ticks // len(pattern)
        bar_start = bar * ctx.bar_ticks
        chars = list(pattern)
        for span in ctx.chords_by_bar[bar]:
            j = (span.start_tick - bar_start) // step
            if 0 < j < len(chars) and chars[j] in "-.":
                chars[j] = "R"
        pattern = "".join(chars)
        onsets = [i for i, ch in enumerate(pattern) if ch not in "-."]
        for k, i in enumerate(onsets):
            ch = pattern[i]
            tick = bar_start + i * step
            span = ctx.chord_at(tick)
            if span.start_tick != cur_span:
                cur_span = span.start_tick
                cur_root = bass_pitch(span.chord.bass_pc, previous=prev)
                prev = cur_root
            root = cur_root
            if ch == "R":
                pitch = root
            elif ch == "F":
                pitch = root + 7 if root + 7 <= BASS_HIGH else root - 5
            elif ch == "O":
                pitch = root + 12 if root + 12 <= BASS_HIGH else root
            else:  # approach the next chord's root from a step below or above
                nxt_tick = min(span.end_tick, song_end - 1)
                target = bass_pitch(ctx.chord_at(nxt_tick).chord.bass_pc, previous=root)
                scale = [p for p in range(target - 3, target) if p % 12 in ctx.scale_pcs] or [target - 1]
                pitch = scale[-1] if target >= root else target + (2 if (target + 2) % 12 in ctx.scale_pcs else 1)
            pitch = int(np.clip(pitch, BASS_LOW, BASS_HIGH))
            nxt = onsets[k + 1] if k + 1 < len(onsets) else len(pattern)
            end_step = i + 1
            while end_step < nxt and pattern[end_step] == "-":
                end_step += 1
            dur = (end_step - i) * step
            dur = max(30, int(dur * (0.45 if staccato else 0.92)))
            accent = 8 if i == 0 else (-6 if (i * step) % ctx.beat_ticks else 0)
            vel = velocity_for(e, low=62, high=112, accent=accent + rng.normal(0.0, 3.0))
            t = ctx.swing_tick(tick)
            art = "staccato" if staccato else ("legato" if family == "sustained" else None)
            events.append((t, pitch, vel, dur, art))
    return [Note(p, t, d, v, a) for t, p, v, d, a in sorted(events)]
