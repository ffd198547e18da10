"""Bass lines: chord roots with the genre's pattern family, in E1..G3.

Patterns are step strings (16 steps in 4/4): ``R`` root, ``F`` fifth, ``O`` octave
above the root, ``P`` the key's tonic (a pedal), ``A`` approach note into the next
chord's root, ``-`` holds the previous note, ``.`` rest. Each family has a pattern for low (< 0.4), middle
(< 0.7) and high bar energy. Slash chords play their bass note as the root.
The register follows the previous root (smallest move), inside 31..50 for roots
so fifths and octaves stay within the 28..55 range.

Two families are not step strings: ``walking`` (a note per beat: the root on
the chord's first beat, chord tones and scale steps towards the next root, a
chromatic or diatonic approach on the last beat before each change) and
``kick_locked`` (a note on every kick of the drum groove at the bar's energy,
held to the next, see :func:`lemm.compose.drums.kick_steps`).

Examples
--------
>>> sorted(BASS_PATTERNS)
['funk', 'kick_locked', 'octave', 'offbeat', 'pedal', 'root_eighths', 'root_fifth', 'sustained', 'syncopated', 'walking']
>>> bass_pitch(4, previous=40)  # E nearest to E2
40
"""

from __future__ import annotations

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.compose.drums import kick_steps
from lemm.score.model import Note

__all__ = ["BASS_PATTERNS", "bass_section", "bass_pitch", "bass_family", "walking_line", "BASS_LOW", "BASS_HIGH"]

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
    "octave": ("R-------O-------", "R-O-R-O-R-O-R-O-", "R-O-R-O-R-O-R-OA"),
    "pedal": ("P---------------", "P-------P-------", "P-P-P-P-P-P-P-P-"),
    "walking": ("R---R---R---R---", "R---R---R---R---", "R---R---R---R---"),  # pitches from walking_line
}
_STACCATO = {"offbeat", "funk"}
_THREE = ("R-----------", "R-------F---", "R---F---F---")  # 3/4
_SIX8 = ("R-----------", "R-----F-----", "R-----F---A-")  # 6/8


def bass_pitch(pc: int, *, previous: int) -> int:
    """The pitch of class ``pc`` inside the root register closest to ``previous``."""
    cands = [p for p in range(_ROOT_LOW, _ROOT_HIGH + 1) if p % 12 == pc % 12]
    return min(cands, key=lambda p: (abs(p - previous), p))


def bass_family(ctx: ArrangeContext, style: str = "") -> str:
    """The pattern family a bass part plays: its style when that names one, else the genre profile's."""
    if style in BASS_PATTERNS:
        return style
    return ctx.profile.bass_pattern if ctx.profile.bass_pattern in BASS_PATTERNS else "syncopated"


def _kick_pattern(ctx: ArrangeContext, energy: float, n_steps: int) -> str:
    step = ctx.bar_ticks // n_steps
    hits = {t // step for t in kick_steps(ctx, energy)} or {0}
    chars = ["R" if i in hits else "-" for i in range(n_steps)]
    chars[0] = "R"
    return "".join(chars)


def _pattern(ctx: ArrangeContext, energy: float, family: str) -> str:
    level = 0 if energy < 0.4 else 1 if energy < 0.7 else 2
    key = (ctx.plan.meter_numerator, ctx.plan.meter_denominator)
    if family == "walking":
        return "R" * ctx.beats_per_bar if level else "R" + "-" * (ctx.beats_per_bar - 1)
    if family == "kick_locked" and level > 0:
        return _kick_pattern(ctx, energy, 16 if key == (4, 4) else max(1, ctx.bar_ticks // ctx.sub_ticks))
    if key == (3, 4):
        return _THREE[level]
    if key == (6, 8):
        return _SIX8[level]
    fam = BASS_PATTERNS[family]
    if key == (4, 4):
        return fam[level]
    n = max(1, ctx.bar_ticks // ctx.sub_ticks)
    return "R" + "-" * (n - 1) if level == 0 else ("R" + "-" * (n // 2 - 1) + "F" + "-" * (n - n // 2 - 1))


def walking_line(ctx: ArrangeContext, chord_pcs: tuple[int, ...], root: int, target: int, n_beats: int, rng: np.random.Generator) -> list[int]:
    """Pitches of a walking bass over one chord: ``n_beats`` notes from ``root`` towards ``target``.

    The first note is the root, the last (when there are two or more) a half or
    whole step from ``target``, and the ones between chord tones or scale steps
    on the way.

    Examples
    --------
    >>> from lemm.compose.plan_model import Plan, PlanSection
    >>> from lemm.compose.context import build_context
    >>> ctx = build_context(Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("v", "verse", 1),), energy_per_bar=(0.5,)), seed=0)
    >>> line = walking_line(ctx, (0, 4, 7), 36, 41, 4, np.random.default_rng(0))
    >>> line[0], abs(line[-1] - 41) in (1, 2)
    (36, True)
    """
    line = [root]
    if n_beats <= 1:
        return line
    for k in range(1, n_beats - 1):
        goal = root + (target - root) * (k + 1) / n_beats
        cands = [p for p in range(max(BASS_LOW, root - 7), min(BASS_HIGH, root + 12) + 1) if p != line[-1] and (p % 12 in chord_pcs or p % 12 in ctx.scale_pcs)]
        costs = np.array([abs(p - goal) + (0.0 if p % 12 in chord_pcs else 0.8) for p in cands])
        z = np.exp(-(costs - costs.min()) / 0.7)
        line.append(cands[int(rng.choice(len(cands), p=z / z.sum()))])
    below = line[-1] <= target
    diatonic = [p for p in ((target - 2, target - 1) if below else (target + 2, target + 1)) if p % 12 in ctx.scale_pcs]
    approach = target - 1 if below else target + 1
    if diatonic and rng.random() < 0.4:
        approach = diatonic[-1]
    line.append(int(np.clip(approach if approach != line[-1] else target + (1 if below else -1), BASS_LOW, BASS_HIGH)))
    return line


def bass_section(ctx: ArrangeContext, section_index: int, rng: np.random.Generator, *, min_energy: float = 0.0, style: str = "") -> list[Note]:
    """Bass notes of one section, sorted; every pitch in 28..55.

    Parameters
    ----------
    ctx : ArrangeContext
    section_index : int
    rng : np.random.Generator
        The part's own generator.
    min_energy : float
        Bars below this energy rest.
    style : str
        A pattern family (:data:`BASS_PATTERNS`); empty = the genre profile's.
    """
    first_bar, n_bars = ctx.section_bounds(section_index)
    family = bass_family(ctx, style)
    staccato = family in _STACCATO
    prev = bass_pitch(ctx.chord_at(first_bar * ctx.bar_ticks).chord.bass_pc, previous=40)
    pedal = bass_pitch(ctx.tonic_pc, previous=36)
    cur_span, cur_root = -1, prev
    walk: dict[int, int] = {}
    events: list[tuple[int, int, int, int, str | None]] = []  # start, pitch, velocity, duration, articulation
    song_end = ctx.n_bars * ctx.bar_ticks
    for b in range(n_bars):
        bar = first_bar + b
        e = ctx.energy(bar)
        if e < min_energy:
            continue
        pattern = _pattern(ctx, e, family)
        if family not in ("walking", "kick_locked") and b == n_bars - 1 and rng.random() < 0.5 and "A" not in pattern[-4:] and e >= 0.4:
            pattern = pattern[:-2] + "A-" if len(pattern) >= 4 else pattern
        step = ctx.bar_ticks // len(pattern)
        bar_start = bar * ctx.bar_ticks
        chars = list(pattern)
        for span in ctx.chords_by_bar[bar]:
            j = (span.start_tick - bar_start) // step
            if 0 < j < len(chars) and chars[j] in "-.":
                chars[j] = "P" if family == "pedal" else "R"
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
                if family == "walking":
                    beats = [t for t in range(span.start_tick, span.end_tick, step) if bar_start <= t < bar_start + ctx.bar_ticks and pattern[(t - bar_start) // step] == "R"]
                    nxt_tick = min(span.end_tick, song_end - 1)
                    target = bass_pitch(ctx.chord_at(nxt_tick).chord.bass_pc, previous=cur_root)
                    walk = dict(zip(beats, walking_line(ctx, span.chord.pitch_classes, cur_root, target, len(beats), rng), strict=True))
            root = cur_root
            if ch == "R":
                pitch = walk.get(tick, root) if family == "walking" else root
            elif ch == "P":
                pitch = pedal
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
            art = "staccato" if staccato else ("legato" if family in ("sustained", "walking") else None)
            events.append((t, pitch, vel, dur, art))
    return [Note(p, t, d, v, a) for t, p, v, d, a in sorted(events)]
