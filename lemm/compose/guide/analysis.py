"""What a guide (audio or MIDI) was found to hold: the data between analysis and planning.

A :class:`GuideAnalysis` holds the guide's time line (beats and downbeats in
seconds), its tempo, meter and key, a section map in whole bars, energy per
bar and, when known, chords per bar and the melody. Bar ``i`` starts at
``downbeats_seconds[i]``; sections cover bars ``0 .. n_bars`` back to back.

Examples
--------
>>> a = GuideAnalysis(source="demo.wav", kind="audio", duration_seconds=8.0, tempo_bpm=120.0,
...                   beats_seconds=tuple(0.5 * i for i in range(16)), downbeats_seconds=(0.0, 2.0, 4.0, 6.0),
...                   sections=(GuideSection("verse", 0.0, 8.0, 0, 4),), energy_per_bar=(0.5, 0.5, 0.6, 0.6))
>>> d = a.to_dict()
>>> d["tempo_bpm"], d["meter"], d["key"], d["sections"][0]["kind"], a.n_bars
(120.0, '4/4', 'C major', 'verse', 4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lemm.compose.plan_model import PlanNote
from lemm.errors import ParameterError
from lemm.score.model import MODES, PITCH_CLASSES, SECTION_KINDS

__all__ = ["GuideSection", "GuideAnalysis"]


def _need(cond: bool, field: str, value: object, accepted: str) -> None:
    if not cond:
        raise ParameterError.for_field(field, value, accepted)


@dataclass(frozen=True)
class GuideSection:
    """A section found in a guide: kind, span in seconds and in bars, repetition label ("A", "B"...)."""

    kind: str
    start_seconds: float
    end_seconds: float
    start_bar: int
    bars: int
    label: str = ""

    def __post_init__(self) -> None:
        _need(self.kind in SECTION_KINDS, "guide section kind", self.kind, f"one of {', '.join(SECTION_KINDS)}")
        _need(0.0 <= self.start_seconds < self.end_seconds, "guide section span", (self.start_seconds, self.end_seconds), "0 <= start_seconds < end_seconds")
        _need(self.start_bar >= 0 and self.bars >= 1, "guide section bars", (self.start_bar, self.bars), "start_bar >= 0 and bars >= 1")


@dataclass(frozen=True)
class GuideAnalysis:
    """The analysis of a guide file (see the module docstring).

    Parameters
    ----------
    source : str
        File name of the guide.
    kind : str
        ``"audio"`` or ``"midi"``.
    duration_seconds : float
        Length of the guide.
    tempo_bpm : float
        Quarter notes per minute (the beat of ``meter_denominator`` 4).
    meter_numerator, meter_denominator : int
        Meter guess.
    key_tonic, key_mode : str
        Key estimate.
    beats_seconds, downbeats_seconds : tuple[float, ...]
        Beat and bar-start times in seconds from the start of the file.
    sections : tuple[GuideSection, ...]
        Back to back, covering every bar.
    energy_per_bar : tuple[float, ...]
        One value in 0..1 per bar (from loudness for audio, note density and
        velocity for MIDI).
    chords_per_bar : tuple[str, ...]
        One chord symbol per bar, or empty.
    melody : tuple[PlanNote, ...]
        The guide's melody in beats from the first downbeat (MIDI only).
    swing : float
        Swing estimate 0..0.5 on eighths.
    key_confidence : float
        Margin of the best key over the second best (0..1, larger is surer).
    notes : tuple[str, ...]
        Remarks on what was assumed (e.g. a tempo map reduced to one tempo).
    """

    source: str
    kind: str
    duration_seconds: float
    tempo_bpm: float
    meter_numerator: int = 4
    meter_denominator: int = 4
    key_tonic: str = "C"
    key_mode: str = "major"
    beats_seconds: tuple[float, ...] = ()
    downbeats_seconds: tuple[float, ...] = ()
    sections: tuple[GuideSection, ...] = ()
    energy_per_bar: tuple[float, ...] = ()
    chords_per_bar: tuple[str, ...] = ()
    melody: tuple[PlanNote, ...] = ()
    swing: float = 0.0
    key_confidence: float = 0.0
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _need(self.kind in ("audio", "midi"), "guide kind", self.kind, "'audio' or 'midi'")
        _need(math.isfinite(self.tempo_bpm) and 20.0 <= self.tempo_bpm <= 400.0, "guide tempo_bpm", self.tempo_bpm, "a number in 20..400")
        _need(self.key_tonic in PITCH_CLASSES and self.key_mode in MODES, "guide key", (self.key_tonic, self.key_mode), "a pitch class and 'major' or 'minor'")
        _need(len(self.downbeats_seconds) >= 1, "guide downbeats", len(self.downbeats_seconds), "at least one bar")
        _need(len(self.energy_per_bar) == len(self.downbeats_seconds), "guide energy_per_bar length", len(self.energy_per_bar), f"one value per bar ({len(self.downbeats_seconds)})")
        _need(not self.chords_per_bar or len(self.chords_per_bar) == len(self.downbeats_seconds), "guide chords_per_bar length", len(self.chords_per_bar), f"0 or one chord per bar ({len(self.downbeats_seconds)})")
        bar = 0
        for s in self.sections:
            _need(s.start_bar == bar, f"guide section {s.kind!r} start_bar", s.start_bar, f"{bar} (sections back to back)")
            bar += s.bars
        _need(not self.sections or bar == self.n_bars, "guide sections total bars", bar, f"the number of bars ({self.n_bars})")

    @property
    def n_bars(self) -> int:
        """Number of bars (one per downbeat)."""
        return len(self.downbeats_seconds)

    @property
    def beats_per_bar(self) -> float:
        """Quarter-note beats per bar."""
        return self.meter_numerator * 4.0 / self.meter_denominator

    @property
    def bar_seconds(self) -> float:
        """Length of one bar at ``tempo_bpm``."""
        return self.beats_per_bar * 60.0 / self.tempo_bpm

    @property
    def start_offset_seconds(self) -> float:
        """Time of the first downbeat: where bar 1 of a plan made from this guide starts."""
        return float(self.downbeats_seconds[0])

    def to_dict(self) -> dict:
        """The analysis as JSON data (what ``lemm analyze FILE`` prints).

        Keys: ``source``, ``kind``, ``duration_seconds``, ``tempo_bpm``, ``meter``
        ("4/4"), ``key`` ("D minor"), ``beats_seconds``, ``downbeats_seconds``,
        ``sections`` (list of {kind, label, start_seconds, end_seconds,
        start_bar, bars}), ``energy_per_bar``, ``chords_per_bar``, ``swing``,
        ``key_confidence``, ``melody_notes`` (count), ``notes``.
        """
        r = lambda x, n=4: float(round(float(x), n))  # noqa: E731
        return {
            "source": self.source,
            "kind": self.kind,
            "duration_seconds": r(self.duration_seconds, 3),
            "tempo_bpm": r(self.tempo_bpm, 2),
            "meter": f"{self.meter_numerator}/{self.meter_denominator}",
            "key": f"{self.key_tonic} {self.key_mode}",
            "beats_seconds": [r(t) for t in self.beats_seconds],
            "downbeats_seconds": [r(t) for t in self.downbeats_seconds],
            "sections": [
                {"kind": s.kind, "label": s.label, "start_seconds": r(s.start_seconds, 3), "end_seconds": r(s.end_seconds, 3), "start_bar": s.start_bar, "bars": s.bars}
                for s in self.sections
            ],
            "energy_per_bar": [r(e, 3) for e in self.energy_per_bar],
            "chords_per_bar": list(self.chords_per_bar),
            "swing": r(self.swing, 3),
            "key_confidence": r(self.key_confidence, 3),
            "melody_notes": len(self.melody),
            "notes": list(self.notes),
        }
