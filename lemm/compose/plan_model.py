"""The plan: tempo, key, meter, section map, energy per bar and instrumentation.

A plan is data a person can read and edit; the composer follows it exactly.

Examples
--------
>>> p = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("verse 1", "verse", 8, 0.5),),
...          energy_per_bar=(0.5,) * 8)
>>> p.total_bars, p.duration_seconds
(8, 16.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lemm.errors import ParameterError
from lemm.limits import check_plan
from lemm.score.harmony import parse_chord
from lemm.score.model import MODES, PITCH_CLASSES, ROLES, SECTION_KINDS

__all__ = ["PlanSection", "PlanNote", "Instrument", "Understood", "Plan", "MELODY_METHODS"]

#: Ways the composer can write the melody (``Plan.melody_method``).
MELODY_METHODS = ("model", "rules")


def _need(cond: bool, field: str, value: object, accepted: str) -> None:
    if not cond:
        raise ParameterError.for_field(field, value, accepted)


@dataclass(frozen=True)
class PlanSection:
    """One section of the plan: unique name ("chorus 2"), kind, length in bars, energy 0..1.

    ``chords`` optionally fixes the harmony: chord symbols (``"Am"``, ``"F/A"``)
    played one per bar and repeated cyclically over the section; empty means
    the composer chooses. ``start_bar`` (0-based) is optional: when given (as in
    a saved plan file), the plan checks that it is where the previous section
    ends, so an edited file whose sections overlap or leave gaps is refused.
    """

    name: str
    kind: str
    bars: int
    energy: float = 0.5
    chords: tuple[str, ...] = ()
    start_bar: int | None = None

    def __post_init__(self) -> None:
        _need(isinstance(self.name, str) and self.name.strip() != "", "plan section name", self.name, "a non-empty string")
        _need(self.kind in SECTION_KINDS, f"plan section {self.name!r} kind", self.kind, f"one of {', '.join(SECTION_KINDS)}")
        _need(isinstance(self.bars, int) and not isinstance(self.bars, bool) and 1 <= self.bars <= 256, f"plan section {self.name!r} bars", self.bars, "an integer in 1..256")
        _need(isinstance(self.energy, (int, float)) and 0.0 <= self.energy <= 1.0, f"plan section {self.name!r} energy", self.energy, "a number in 0..1")
        _need(isinstance(self.chords, tuple), f"plan section {self.name!r} chords", self.chords, "a tuple of chord symbols")
        for symbol in self.chords:
            parse_chord(symbol)
        _need(self.start_bar is None or (isinstance(self.start_bar, int) and not isinstance(self.start_bar, bool) and self.start_bar >= 0), f"plan section {self.name!r} start_bar", self.start_bar, "None or an integer >= 0")


@dataclass(frozen=True)
class PlanNote:
    """A note the plan fixes (e.g. a guide's melody): MIDI pitch, start and length in quarter-note beats from bar 1, velocity."""

    pitch: int
    start_beats: float
    duration_beats: float
    velocity: int = 90

    def __post_init__(self) -> None:
        _need(isinstance(self.pitch, int) and 0 <= self.pitch <= 127, "plan note pitch", self.pitch, "an integer in 0..127")
        _need(isinstance(self.start_beats, (int, float)) and math.isfinite(self.start_beats) and self.start_beats >= 0, "plan note start_beats", self.start_beats, "a number >= 0")
        _need(isinstance(self.duration_beats, (int, float)) and math.isfinite(self.duration_beats) and self.duration_beats > 0, "plan note duration_beats", self.duration_beats, "a number > 0")
        _need(isinstance(self.velocity, int) and 1 <= self.velocity <= 127, "plan note velocity", self.velocity, "an integer in 1..127")


@dataclass(frozen=True)
class Instrument:
    """A part the plan asks for: track name, role, render preset and GM program.

    ``style`` names how the arranger plays the part (e.g. ``"pad"``, ``"strum"``,
    ``"arpeggio"``; empty = the role's default in the genre profile) and
    ``min_energy`` is the bar energy (0..1) below which the part rests.
    """

    name: str
    role: str
    preset: str
    program: int = 0
    is_drum: bool = False
    style: str = ""
    min_energy: float = 0.0

    def __post_init__(self) -> None:
        _need(isinstance(self.name, str) and self.name.strip() != "", "instrument name", self.name, "a non-empty string")
        _need(self.role in ROLES, f"instrument {self.name!r} role", self.role, f"one of {', '.join(ROLES)}")
        _need(isinstance(self.program, int) and 0 <= self.program <= 127, f"instrument {self.name!r} program", self.program, "an integer in 0..127")
        _need(isinstance(self.min_energy, (int, float)) and 0.0 <= self.min_energy <= 1.0, f"instrument {self.name!r} min_energy", self.min_energy, "a number in 0..1")


@dataclass(frozen=True)
class Understood:
    """What the planner read from the brief: the words and what it took them to mean."""

    words: str
    meaning: str


@dataclass(frozen=True)
class Plan:
    """The song plan.

    Parameters
    ----------
    genre : str
        Name of the genre profile used.
    tempo_bpm : float
        Quarter notes per minute, 20..400.
    key_tonic, key_mode : str
        Key, e.g. ``"D"``, ``"minor"``.
    meter_numerator, meter_denominator : int
        Time signature.
    swing : float
        0 (straight) .. 0.5 (hard triplet swing) on eighths (or sixteenths).
    sections : tuple[PlanSection, ...]
        In order, back to back from bar 0.
    energy_per_bar : tuple[float, ...]
        One value in 0..1 per bar; ``len == total_bars``.
    instruments : tuple[Instrument, ...]
        Parts to write.
    understood : tuple[Understood, ...]
        Report of what the prompt and tags were taken to mean.
    mood : str
        Main mood word (e.g. "happy", "dark", "neutral").
    lift_semitones : int
        0..5: the last chorus (and what follows it) moves up by this many
        semitones, a key change; 0 = none. Needs two choruses or more.
    start_offset_seconds : float
        Silence before bar 1 when the song is rendered, so that it lines up with
        a guide's time line (the guide's first downbeat); 0 for plans from a prompt.
    melody : tuple[PlanNote, ...]
        A melody the lead (or vocal) part must play as written (e.g. kept from a
        guide MIDI), beats counted from bar 1; empty = the composer writes one.
    melody_method : str
        How the composer writes the vocal / lead melody: ``"model"`` (the
        lieder-trained transformer for pitches and the lieder rhythm model for
        note lengths, :mod:`lemm.compose.melody.model`) or ``"rules"`` (the rule
        baseline, :mod:`lemm.compose.melody.rules`).
    """

    genre: str
    tempo_bpm: float
    key_tonic: str = "C"
    key_mode: str = "major"
    meter_numerator: int = 4
    meter_denominator: int = 4
    swing: float = 0.0
    sections: tuple[PlanSection, ...] = ()
    energy_per_bar: tuple[float, ...] = ()
    instruments: tuple[Instrument, ...] = ()
    understood: tuple[Understood, ...] = ()
    mood: str = "neutral"
    lift_semitones: int = 0
    start_offset_seconds: float = 0.0
    melody: tuple[PlanNote, ...] = ()
    melody_method: str = "model"

    def __post_init__(self) -> None:
        _need(isinstance(self.tempo_bpm, (int, float)) and math.isfinite(self.tempo_bpm) and 20 <= self.tempo_bpm <= 400, "tempo_bpm", self.tempo_bpm, "a number in 20..400")
        _need(self.key_tonic in PITCH_CLASSES, "key_tonic", self.key_tonic, f"one of {', '.join(PITCH_CLASSES)}")
        _need(self.key_mode in MODES, "key_mode", self.key_mode, "'major' or 'minor'")
        _need(isinstance(self.meter_numerator, int) and 1 <= self.meter_numerator <= 32, "meter_numerator", self.meter_numerator, "an integer in 1..32")
        _need(self.meter_denominator in (2, 4, 8, 16), "meter_denominator", self.meter_denominator, "2, 4, 8 or 16")
        _need(isinstance(self.swing, (int, float)) and 0.0 <= self.swing <= 0.5, "swing", self.swing, "a number in 0..0.5")
        _need(len(self.sections) > 0, "sections", "no sections", "at least one section")
        names = [s.name for s in self.sections]
        _need(len(set(names)) == len(names), "section names", names, "unique names")
        _need(len(self.energy_per_bar) == self.total_bars, "energy_per_bar length", len(self.energy_per_bar), f"one value per bar ({self.total_bars})")
        _need(all(isinstance(e, (int, float)) and 0.0 <= e <= 1.0 for e in self.energy_per_bar), "energy_per_bar", "a value outside 0..1", "values in 0..1")
        bar = 0
        for sec in self.sections:
            if sec.start_bar is not None and sec.start_bar != bar:
                what = "overlaps the previous section" if sec.start_bar < bar else "leaves a gap after the previous section"
                raise ParameterError(f"plan section {sec.name!r} start_bar must be {bar} (where the previous section ends), got {sec.start_bar}: it {what}; sections must be back to back")
            bar += sec.bars
        _need(isinstance(self.start_offset_seconds, (int, float)) and math.isfinite(self.start_offset_seconds) and 0.0 <= self.start_offset_seconds <= 60.0, "start_offset_seconds", self.start_offset_seconds, "a number of seconds in 0..60")
        _need(isinstance(self.melody, tuple) and all(isinstance(n, PlanNote) for n in self.melody), "melody", type(self.melody).__name__, "a tuple of PlanNote")
        _need(isinstance(self.lift_semitones, int) and not isinstance(self.lift_semitones, bool) and 0 <= self.lift_semitones <= 5, "lift_semitones", self.lift_semitones, "an integer in 0..5")
        _need(self.melody_method in MELODY_METHODS, "melody_method", self.melody_method, "'model' or 'rules'")
        inst_names = [i.name for i in self.instruments]
        _need(len(set(inst_names)) == len(inst_names), "instrument names", inst_names, "unique names")
        check_plan(self)

    @property
    def total_bars(self) -> int:
        """Number of bars in the song."""
        return sum(s.bars for s in self.sections)

    @property
    def beats_per_bar(self) -> float:
        """Quarter-note beats per bar."""
        return self.meter_numerator * 4.0 / self.meter_denominator

    @property
    def duration_seconds(self) -> float:
        """Length of the planned song in seconds."""
        return self.total_bars * self.beats_per_bar * 60.0 / self.tempo_bpm

    def section_start_bars(self) -> list[int]:
        """First bar of each section."""
        starts, bar = [], 0
        for s in self.sections:
            starts.append(bar)
            bar += s.bars
        return starts
