"""What every part writer needs to know about the song: grid, chords, energy, swing.

An :class:`ArrangeContext` is built once per score from the plan (no randomness
except the harmony, which has its own derived seed), so writing one
(track, section) never depends on another part's random choices.

Examples
--------
>>> from lemm.compose.plan_model import Plan, PlanSection
>>> plan = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("verse", "verse", 4, 0.5),),
...             energy_per_bar=(0.5,) * 4, swing=0.5)
>>> ctx = build_context(plan, seed=0)
>>> ctx.bar_ticks, ctx.beat_ticks
(1920, 480)
>>> ctx.swing_tick(240)  # the off-beat eighth moves a sixth of a beat late
320
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from lemm.compose.harmony import ChordSpan, chord_timeline, numeral_to_symbol, spans_from_symbols
from lemm.compose.plan_model import Plan, PlanSection
from lemm.compose.profiles import GenreProfile, load_profile
from lemm.errors import ParameterError
from lemm.score.harmony import pitch_class, scale_pitch_classes
from lemm.score.model import ChordSymbol

__all__ = ["ArrangeContext", "build_context", "velocity_for", "dynamic_marking"]


@dataclass(frozen=True)
class ArrangeContext:
    """The song grid.

    ``beat_ticks`` is the felt beat (a quarter in x/4, a dotted quarter in 6/8,
    9/8, 12/8, an eighth in other x/8); ``sub_ticks`` its main subdivision.
    """

    plan: Plan
    profile: GenreProfile
    resolution: int
    bar_ticks: int
    beat_ticks: int
    sub_ticks: int
    beats_per_bar: int
    compound: bool
    section_start_bars: tuple[int, ...]
    chords: tuple[ChordSpan, ...]
    chords_by_bar: tuple[tuple[ChordSpan, ...], ...]
    scale_pcs: tuple[int, ...]
    tonic_pc: int
    swing: float
    swing_unit_ticks: int
    #: The song seed the context was built with (song-wide choices such as the melody's rhythm style derive from it).
    song_seed: int = 0
    #: Derived data shared by the part writers of one score (e.g. a part's voicings over the song).
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def n_bars(self) -> int:
        """Bars in the song."""
        return self.plan.total_bars

    def section_bounds(self, index: int) -> tuple[int, int]:
        """First bar and bar count of section ``index``."""
        return self.section_start_bars[index], self.plan.sections[index].bars

    def section_index(self, name: str) -> int:
        """Index of the section called ``name``."""
        for i, s in enumerate(self.plan.sections):
            if s.name == name:
                return i
        raise ParameterError.for_field("section_name", name, f"one of {', '.join(s.name for s in self.plan.sections)}")

    def occurrence(self, index: int) -> int:
        """How many earlier sections share section ``index``'s kind (0 for the first verse)."""
        kind = self.plan.sections[index].kind
        return sum(1 for s in self.plan.sections[:index] if s.kind == kind)

    def is_last_chorus(self, index: int) -> bool:
        """Whether section ``index`` is the song's last chorus (or drop): the biggest one."""
        kinds = [s.kind for s in self.plan.sections]
        big = [i for i, k in enumerate(kinds) if k in ("chorus", "drop")]
        return len(big) > 1 and index == big[-1]

    def energy(self, bar: int) -> float:
        """Energy of a bar (0..1)."""
        return float(self.plan.energy_per_bar[min(max(bar, 0), self.n_bars - 1)])

    def chord_at(self, tick: int) -> ChordSpan:
        """The chord sounding at ``tick``."""
        bar = min(max(tick // self.bar_ticks, 0), self.n_bars - 1)
        for span in self.chords_by_bar[bar]:
            if span.start_tick <= tick < span.end_tick:
                return span
        return self.chords_by_bar[bar][-1]

    def swing_tick(self, tick: int) -> int:
        """``tick`` moved late if it is an off-beat of the swing unit (eighth or sixteenth)."""
        if self.swing <= 0.0 or self.compound:
            return tick
        unit = self.swing_unit_ticks
        if (tick % (2 * unit)) == unit:
            return tick + int(round(self.swing * unit * 2.0 / 3.0))
        return tick

    def metric_weight(self, tick: int) -> float:
        """1 on the downbeat, 0.75 mid-bar, 0.55 other beats, 0.3 subdivisions, 0.12 finer."""
        pos = tick % self.bar_ticks
        if pos == 0:
            return 1.0
        if pos % self.beat_ticks == 0:
            beat = pos // self.beat_ticks
            if self.beats_per_bar % 2 == 0 and beat == self.beats_per_bar // 2:
                return 0.75
            return 0.55
        if pos % self.sub_ticks == 0:
            return 0.3
        return 0.12


def build_context(plan: Plan, *, seed: int, resolution: int = 480, chords: Sequence[ChordSymbol] | None = None) -> ArrangeContext:
    """Build the grid, chord timeline and key facts for ``plan``.

    Parameters
    ----------
    plan : Plan
    seed : int
        Song seed (the harmony's derived seed comes from it).
    resolution : int
        Ticks per quarter note.
    chords : sequence of ChordSymbol, optional
        Use these chords (e.g. a score's, when regenerating a part) instead of
        writing the harmony from the plan.
    """
    profile = load_profile(plan.genre)
    bar_ticks = plan.meter_numerator * resolution * 4 // plan.meter_denominator
    compound = plan.meter_denominator == 8 and plan.meter_numerator % 3 == 0 and plan.meter_numerator >= 6
    if plan.meter_denominator == 8:
        beat = 3 * resolution // 2 if compound else resolution // 2
        sub = resolution // 2 if compound else resolution // 4
    else:
        beat = resolution * 4 // plan.meter_denominator
        sub = beat // 2
    if chords is None:
        spans = chord_timeline(plan, profile, seed=seed, resolution=resolution)
    else:
        tonic = numeral_to_symbol("I" if plan.key_mode == "major" else "i", plan.key_tonic, plan.key_mode)
        spans = spans_from_symbols(chords, bar_ticks=bar_ticks, n_bars=plan.total_bars, fallback=tonic)
    by_bar: list[list[ChordSpan]] = [[] for _ in range(plan.total_bars)]
    for c in spans:
        by_bar[c.bar].append(c)
    unit = resolution // 4 if profile.swing_unit == 16 else resolution // 2
    return ArrangeContext(
        plan=plan,
        profile=profile,
        resolution=resolution,
        bar_ticks=bar_ticks,
        beat_ticks=beat,
        sub_ticks=sub,
        beats_per_bar=bar_ticks // beat,
        compound=compound,
        section_start_bars=tuple(plan.section_start_bars()),
        chords=tuple(spans),
        chords_by_bar=tuple(tuple(b) for b in by_bar),
        scale_pcs=scale_pitch_classes(plan.key_tonic, plan.key_mode),
        tonic_pc=pitch_class(plan.key_tonic),
        swing=float(plan.swing),
        swing_unit_ticks=unit,
        song_seed=int(seed),
    )


def velocity_for(energy: float, *, low: int = 48, high: int = 118, accent: float = 0.0) -> int:
    """MIDI velocity for a bar energy (linear ``low``..``high``) plus an accent in velocity units."""
    v = low + (high - low) * float(np.clip(energy, 0.0, 1.0)) + accent
    return int(np.clip(round(v), 1, 127))


def dynamic_marking(energy: float) -> str:
    """pp / p / mp / mf / f / ff for an energy in 0..1."""
    for limit, mark in ((0.15, "pp"), (0.3, "p"), (0.45, "mp"), (0.62, "mf"), (0.8, "f")):
        if energy < limit:
            return mark
    return "ff"


def section_of_bar(plan: Plan, bar: int) -> PlanSection:
    """The plan section that holds ``bar``."""
    start = 0
    for s in plan.sections:
        if bar < start + s.bars:
            return s
        start += s.bars
    return plan.sections[-1]
