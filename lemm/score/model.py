"""The score data model: frozen dataclasses that every stage of lemm shares.

Time is symbolic: every position is an integer tick, with ``Score.resolution``
ticks per quarter note (default 480). Seconds exist only after the tempo map
is applied (see :mod:`lemm.score.timing`). All containers are tuples, so a
score is immutable and comparable with ``==``; edits are functions that
return new objects (see :mod:`lemm.score.edit`).

Units
-----
- ``*_tick`` / ``*_ticks``: integer ticks at ``Score.resolution`` per quarter.
- ``tempo_bpm``: quarter notes per minute.
- ``pan``: -1 (left) .. +1 (right); ``gain_db``: decibels.
- expression curve values are in the unit their name carries
  (see :data:`CURVE_RANGES`).

Examples
--------
>>> from lemm.score.model import Note, Track, Score
>>> n = Note(pitch=60, start_tick=0, duration_ticks=480, velocity=90)
>>> t = Track(name="piano", role="keys", preset="acoustic_piano", program=0, notes=(n,))
>>> s = Score(title="demo", tracks=(t,))
>>> s.tracks[0].notes[0].pitch
60
>>> s.end_tick
480
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lemm.errors import ScoreError
from lemm.limits import check_score
from lemm.score.harmony import parse_chord
from lemm.validate import GAIN_HINT_RANGE_DB

__all__ = [
    "SCHEMA_VERSION",
    "SECTION_KINDS",
    "ARTICULATIONS",
    "ROLES",
    "DYNAMIC_MARKINGS",
    "CURVE_RANGES",
    "SYLLABICS",
    "MODES",
    "TempoChange",
    "MeterChange",
    "KeyChange",
    "Section",
    "ChordSymbol",
    "Lyric",
    "Note",
    "DynamicMark",
    "Hairpin",
    "CurvePoint",
    "ExpressionCurve",
    "Track",
    "Score",
]

#: Version of the score's serialised form. Bumped when the JSON layout changes.
SCHEMA_VERSION = 1

SECTION_KINDS = (
    "intro",
    "verse",
    "pre-chorus",
    "chorus",
    "post-chorus",
    "bridge",
    "break",
    "drop",
    "outro",
)
ARTICULATIONS = ("legato", "staccato", "accent", "tenuto", "marcato", "staccatissimo")
ROLES = (
    "drums",
    "percussion",
    "bass",
    "keys",
    "pad",
    "guitar",
    "strings",
    "brass",
    "woodwind",
    "lead",
    "arp",
    "counter",
    "vocal",
    "fx",
)
DYNAMIC_MARKINGS = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff", "sfz", "fp")
SYLLABICS = ("single", "begin", "middle", "end")
MODES = ("major", "minor")
PITCH_CLASSES = ("C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B", "Cb", "B#", "E#", "Fb")

#: Expression curves a track may carry, with the closed range of their values.
CURVE_RANGES: dict[str, tuple[float, float]] = {
    "dynamics": (0.0, 1.0),  # loudness multiplier on top of velocity, 1 = as written
    "brightness": (0.0, 1.0),  # 0 dark .. 0.5 neutral .. 1 bright
    "vibrato_depth_cents": (0.0, 200.0),
    "vibrato_rate_hz": (0.0, 12.0),
    "pitch_bend_semitones": (-24.0, 24.0),
}


def _check(cond: bool, field_name: str, value: object, accepted: str) -> None:
    if not cond:
        raise ScoreError(f"{field_name} must be {accepted}, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_tick(value: object, field_name: str) -> None:
    _check(_is_int(value) and value >= 0, field_name, value, "an integer tick >= 0")


def _check_duration(value: object, field_name: str) -> None:
    _check(_is_int(value) and value > 0, field_name, value, "an integer number of ticks > 0")


def _check_tuple(value: object, field_name: str, item_type: type) -> None:
    _check(
        isinstance(value, tuple) and all(isinstance(v, item_type) for v in value),
        field_name,
        type(value).__name__,
        f"a tuple of {item_type.__name__}",
    )


@dataclass(frozen=True)
class TempoChange:
    """A tempo that holds from ``tick`` until the next change.

    Parameters
    ----------
    tick : int
        Position in ticks.
    tempo_bpm : float
        Quarter notes per minute, in 20..400.
    """

    tick: int
    tempo_bpm: float

    def __post_init__(self) -> None:
        _check_tick(self.tick, "tempo.tick")
        _check(
            _is_real(self.tempo_bpm) and 20.0 <= self.tempo_bpm <= 400.0,
            "tempo_bpm",
            self.tempo_bpm,
            "a number in 20..400",
        )


@dataclass(frozen=True)
class MeterChange:
    """A time signature that holds from ``tick`` (a bar line) on."""

    tick: int
    numerator: int = 4
    denominator: int = 4

    def __post_init__(self) -> None:
        _check_tick(self.tick, "meter.tick")
        _check(_is_int(self.numerator) and 1 <= self.numerator <= 32, "meter.numerator", self.numerator, "an integer in 1..32")
        _check(
            self.denominator in (1, 2, 4, 8, 16, 32) and _is_int(self.denominator),
            "meter.denominator",
            self.denominator,
            "one of 1, 2, 4, 8, 16, 32",
        )

    def bar_ticks(self, resolution: int) -> int:
        """Length of one bar of this meter in ticks."""
        return self.numerator * resolution * 4 // self.denominator


@dataclass(frozen=True)
class KeyChange:
    """A key (tonic and mode) that holds from ``tick`` on, e.g. ``("F#", "minor")``."""

    tick: int
    tonic: str = "C"
    mode: str = "major"

    def __post_init__(self) -> None:
        _check_tick(self.tick, "key.tick")
        _check(self.tonic in PITCH_CLASSES, "key.tonic", self.tonic, f"one of {', '.join(PITCH_CLASSES)}")
        _check(self.mode in MODES, "key.mode", self.mode, "'major' or 'minor'")

    @property
    def name(self) -> str:
        """Human name, e.g. ``"F# minor"``."""
        return f"{self.tonic} {self.mode}"


@dataclass(frozen=True)
class Section:
    """A named span of the song, e.g. ``Section("chorus 2", "chorus", 15360, 7680, 0.9)``."""

    name: str
    kind: str
    start_tick: int
    duration_ticks: int
    energy: float = 0.5

    def __post_init__(self) -> None:
        _check(
            isinstance(self.name, str) and self.name.strip() != "" and self.name == self.name.strip(),
            "section.name",
            self.name,
            "a non-empty string without surrounding spaces",
        )
        _check(self.kind in SECTION_KINDS, "section.kind", self.kind, f"one of {', '.join(SECTION_KINDS)}")
        _check_tick(self.start_tick, "section.start_tick")
        _check_duration(self.duration_ticks, "section.duration_ticks")
        _check(_is_real(self.energy) and 0.0 <= self.energy <= 1.0, "section.energy", self.energy, "a number in 0..1")

    @property
    def end_tick(self) -> int:
        """First tick after the section."""
        return self.start_tick + self.duration_ticks


@dataclass(frozen=True)
class ChordSymbol:
    """A chord symbol such as ``"Am7"`` or ``"F/A"`` sounding for a span of ticks.

    The symbol is validated by :func:`lemm.score.harmony.parse_chord`.
    """

    start_tick: int
    duration_ticks: int
    symbol: str

    def __post_init__(self) -> None:
        _check_tick(self.start_tick, "chord.start_tick")
        _check_duration(self.duration_ticks, "chord.duration_ticks")
        parse_chord(self.symbol)
        _check(self.symbol == self.symbol.strip(), "chord.symbol", self.symbol, "a symbol without surrounding spaces")

    @property
    def end_tick(self) -> int:
        """First tick after the chord."""
        return self.start_tick + self.duration_ticks


@dataclass(frozen=True)
class Lyric:
    """One sung syllable; ``syllabic`` is the MusicXML hyphenation of the word.

    ``"single"`` is a whole word, ``"begin"``/``"middle"``/``"end"`` are parts of
    a hyphenated word (``"sum-" "mer"`` is begin + end). ``extend`` marks a
    melisma continuation (the syllable is held over this note; ``text`` is "").
    """

    text: str
    syllabic: str = "single"
    extend: bool = False

    def __post_init__(self) -> None:
        _check(isinstance(self.text, str), "lyric.text", self.text, "a string")
        _check(self.syllabic in SYLLABICS, "lyric.syllabic", self.syllabic, f"one of {', '.join(SYLLABICS)}")
        _check(isinstance(self.extend, bool), "lyric.extend", self.extend, "True or False")
        _check(self.extend or self.text.strip() != "", "lyric.text", self.text, "non-empty unless extend=True")


@dataclass(frozen=True)
class Note:
    """A note: MIDI pitch, position and length in ticks, velocity 1..127.

    For drum tracks ``pitch`` is the General MIDI percussion key (36 kick,
    38 snare, 42 closed hat, ...).
    """

    pitch: int
    start_tick: int
    duration_ticks: int
    velocity: int = 90
    articulation: str | None = None
    lyric: Lyric | None = None

    def __post_init__(self) -> None:
        _check(_is_int(self.pitch) and 0 <= self.pitch <= 127, "note.pitch", self.pitch, "an integer MIDI pitch in 0..127")
        _check_tick(self.start_tick, "note.start_tick")
        _check_duration(self.duration_ticks, "note.duration_ticks")
        _check(_is_int(self.velocity) and 1 <= self.velocity <= 127, "note.velocity", self.velocity, "an integer in 1..127")
        _check(
            self.articulation is None or self.articulation in ARTICULATIONS,
            "note.articulation",
            self.articulation,
            f"None or one of {', '.join(ARTICULATIONS)}",
        )
        _check(self.lyric is None or isinstance(self.lyric, Lyric), "note.lyric", self.lyric, "None or a Lyric")

    @property
    def end_tick(self) -> int:
        """First tick after the note."""
        return self.start_tick + self.duration_ticks


@dataclass(frozen=True)
class DynamicMark:
    """A dynamic marking (``"mf"``, ``"ff"``...) placed at ``tick``."""

    tick: int
    marking: str

    def __post_init__(self) -> None:
        _check_tick(self.tick, "dynamic.tick")
        _check(self.marking in DYNAMIC_MARKINGS, "dynamic.marking", self.marking, f"one of {', '.join(DYNAMIC_MARKINGS)}")


@dataclass(frozen=True)
class Hairpin:
    """A crescendo or diminuendo wedge from ``start_tick`` for ``duration_ticks``."""

    start_tick: int
    duration_ticks: int
    kind: str = "crescendo"

    def __post_init__(self) -> None:
        _check_tick(self.start_tick, "hairpin.start_tick")
        _check_duration(self.duration_ticks, "hairpin.duration_ticks")
        _check(self.kind in ("crescendo", "diminuendo"), "hairpin.kind", self.kind, "'crescendo' or 'diminuendo'")


@dataclass(frozen=True)
class CurvePoint:
    """One breakpoint of an expression curve; values between points are linear."""

    tick: int
    value: float

    def __post_init__(self) -> None:
        _check_tick(self.tick, "curve.tick")
        _check(_is_real(self.value), "curve.value", self.value, "a finite number")


@dataclass(frozen=True)
class ExpressionCurve:
    """A named, piecewise-linear control curve; names are keys of :data:`CURVE_RANGES`."""

    name: str
    points: tuple[CurvePoint, ...] = ()

    def __post_init__(self) -> None:
        _check(self.name in CURVE_RANGES, "curve.name", self.name, f"one of {', '.join(CURVE_RANGES)}")
        _check_tuple(self.points, f"curve {self.name!r} points", CurvePoint)
        low, high = CURVE_RANGES[self.name]
        for p in self.points:
            _check(low <= p.value <= high, f"curve {self.name!r} value", p.value, f"a number in {low:g}..{high:g}")
        ticks = [p.tick for p in self.points]
        _check(ticks == sorted(ticks), f"curve {self.name!r} ticks", ticks, "sorted ascending")


@dataclass(frozen=True)
class Track:
    """One instrument part.

    Parameters
    ----------
    name : str
        Unique within the score; also the stem file name and the MIDI/MusicXML part name.
    role : str
        One of :data:`ROLES`; the mixer stages by role.
    preset : str
        Name of a render preset (instrument sound) or drum kit, or a vocal voice.
    program : int
        General MIDI program 0..127 (ignored for drums on export).
    is_drum : bool
        Drum track: exported on MIDI channel 10; pitches are GM percussion keys.
    pan : float
        Pan hint, -1 (left) .. +1 (right).
    gain_db : float
        Gain hint in dB on top of the mixer's staging, -60..+24.
    notes, dynamics, hairpins, expression
        Notes sorted by (start_tick, pitch); dynamic markings and hairpins;
        expression curves, at most one per name.
    style : str
        How the composer plays the part when it writes it again (a regenerated
        section, a re-composition): a part style of ``lemm.compose.instruments``
        for its role, or ``""`` for the genre's (or the instrument's) own.
        MIDI and MusicXML files do not carry it.
    min_energy : float
        The bar energy 0..1 below which the composer has the part rest
        (``0.0``: the genre's own threshold where ``style`` is ``""``, else
        never). MIDI and MusicXML files do not carry it.
    """

    name: str
    role: str
    preset: str
    program: int = 0
    is_drum: bool = False
    pan: float = 0.0
    gain_db: float = 0.0
    notes: tuple[Note, ...] = ()
    dynamics: tuple[DynamicMark, ...] = ()
    hairpins: tuple[Hairpin, ...] = ()
    expression: tuple[ExpressionCurve, ...] = ()
    style: str = ""
    min_energy: float = 0.0

    def __post_init__(self) -> None:
        _check(
            isinstance(self.name, str) and self.name.strip() != "" and self.name == self.name.strip(),
            "track.name",
            self.name,
            "a non-empty string without surrounding spaces",
        )
        _check(not any(c in self.name for c in '/\\:*?"<>|'), "track.name", self.name, 'a name without any of /\\:*?"<>|')
        _check(self.role in ROLES, f"track {self.name!r} role", self.role, f"one of {', '.join(ROLES)}")
        _check(isinstance(self.preset, str) and self.preset != "", f"track {self.name!r} preset", self.preset, "a preset name")
        _check(_is_int(self.program) and 0 <= self.program <= 127, f"track {self.name!r} program", self.program, "an integer in 0..127")
        _check(isinstance(self.is_drum, bool), f"track {self.name!r} is_drum", self.is_drum, "True or False")
        _check(_is_real(self.pan) and -1.0 <= self.pan <= 1.0, f"track {self.name!r} pan", self.pan, "a number in -1..1")
        low_db, high_db = GAIN_HINT_RANGE_DB
        _check(_is_real(self.gain_db) and low_db <= self.gain_db <= high_db, f"track {self.name!r} gain_db", self.gain_db, f"a number in {low_db:g}..{high_db:g}")
        _check(isinstance(self.style, str) and self.style == self.style.strip(), f"track {self.name!r} style", self.style,
               "a part style name (e.g. \"arpeggio\") or \"\" for the genre's own")
        _check(_is_real(self.min_energy) and 0.0 <= self.min_energy <= 1.0, f"track {self.name!r} min_energy", self.min_energy, "a number in 0..1")
        _check_tuple(self.notes, f"track {self.name!r} notes", Note)
        _check_tuple(self.dynamics, f"track {self.name!r} dynamics", DynamicMark)
        _check_tuple(self.hairpins, f"track {self.name!r} hairpins", Hairpin)
        _check_tuple(self.expression, f"track {self.name!r} expression", ExpressionCurve)
        keys = [(n.start_tick, n.pitch) for n in self.notes]
        _check(keys == sorted(keys), f"track {self.name!r} notes", "unsorted notes", "sorted by (start_tick, pitch)")
        names = [c.name for c in self.expression]
        _check(len(names) == len(set(names)), f"track {self.name!r} expression", names, "at most one curve per name")

    @property
    def end_tick(self) -> int:
        """First tick after the last note ends (0 for an empty track)."""
        return max((n.end_tick for n in self.notes), default=0)

    def curve(self, name: str) -> ExpressionCurve | None:
        """The expression curve called ``name``, or None."""
        for c in self.expression:
            if c.name == name:
                return c
        return None


@dataclass(frozen=True)
class Score:
    """A whole song's score.

    Parameters
    ----------
    title : str
        Song title.
    resolution : int
        Ticks per quarter note (24..9600).
    tempos, meters, keys : tuple
        Changes sorted by tick; each must start with one at tick 0.
    sections : tuple[Section, ...]
        Sorted, non-overlapping spans; names unique.
    chords : tuple[ChordSymbol, ...]
        Sorted, non-overlapping chord symbols.
    tracks : tuple[Track, ...]
        Tracks with unique names.
    schema_version : int
        Version of the serialised form this score follows.
    genre : str
        The song's genre as the composer wrote it (``"pop"``, ``"folk"``; ``""``
        unknown, e.g. a score read from a file): what the automatic mix's tonal
        target and the song's report read, so a score mixes the same wherever it
        is mixed. Metadata like ``title``: no note depends on it.
    """

    title: str = "untitled"
    resolution: int = 480
    tempos: tuple[TempoChange, ...] = (TempoChange(0, 120.0),)
    meters: tuple[MeterChange, ...] = (MeterChange(0, 4, 4),)
    keys: tuple[KeyChange, ...] = (KeyChange(0, "C", "major"),)
    sections: tuple[Section, ...] = ()
    chords: tuple[ChordSymbol, ...] = ()
    tracks: tuple[Track, ...] = ()
    schema_version: int = field(default=SCHEMA_VERSION)
    genre: str = ""

    def __post_init__(self) -> None:
        _check(isinstance(self.title, str), "title", self.title, "a string")
        _check(isinstance(self.genre, str) and len(self.genre) <= 64, "genre", self.genre, "a string of at most 64 characters")
        _check(_is_int(self.resolution) and 24 <= self.resolution <= 9600, "resolution", self.resolution, "an integer in 24..9600")
        _check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, f"{SCHEMA_VERSION}")
        for name, items, item_type in (
            ("tempos", self.tempos, TempoChange),
            ("meters", self.meters, MeterChange),
            ("keys", self.keys, KeyChange),
        ):
            _check_tuple(items, name, item_type)
            ticks = [c.tick for c in items]
            _check(len(ticks) > 0 and ticks[0] == 0, f"{name}[0].tick", ticks[:1], "a first change at tick 0")
            _check(all(a < b for a, b in zip(ticks, ticks[1:], strict=False)), f"{name} ticks", ticks, "strictly increasing")
        self._check_meter_bar_lines()
        _check_tuple(self.sections, "sections", Section)
        for a, b in zip(self.sections, self.sections[1:], strict=False):
            _check(a.end_tick <= b.start_tick, f"section {b.name!r} start_tick", b.start_tick, f">= {a.end_tick} (end of {a.name!r}); sections may not overlap")
        names = [s.name for s in self.sections]
        _check(len(names) == len(set(names)), "section names", names, "unique")
        _check_tuple(self.chords, "chords", ChordSymbol)
        for a, b in zip(self.chords, self.chords[1:], strict=False):
            _check(a.end_tick <= b.start_tick, "chord start_tick", b.start_tick, f">= {a.end_tick}; chords may not overlap")
        _check_tuple(self.tracks, "tracks", Track)
        track_names = [t.name for t in self.tracks]
        _check(len(track_names) == len(set(track_names)), "track names", track_names, "unique")
        check_score(self)

    def _check_meter_bar_lines(self) -> None:
        bar_start = 0
        for prev, nxt in zip(self.meters, self.meters[1:], strict=False):
            bar = prev.bar_ticks(self.resolution)
            _check(
                (nxt.tick - bar_start) % bar == 0,
                "meter.tick",
                nxt.tick,
                f"on a bar line of the previous {prev.numerator}/{prev.denominator} meter",
            )
            bar_start = nxt.tick

    @property
    def end_tick(self) -> int:
        """End of the song: the latest end of any section, chord or note."""
        ends = [s.end_tick for s in self.sections] + [c.end_tick for c in self.chords] + [t.end_tick for t in self.tracks]
        return max(ends, default=0)

    def track(self, name: str) -> Track:
        """The track called ``name``; raises ScoreError naming the known tracks."""
        for t in self.tracks:
            if t.name == name:
                return t
        known = ", ".join(t.name for t in self.tracks) or "(none)"
        raise ScoreError(f"track must be one of {known}, got {name!r}")

    def section(self, name: str) -> Section:
        """The section called ``name``; raises ScoreError naming the known sections."""
        for s in self.sections:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sections) or "(none)"
        raise ScoreError(f"section must be one of {known}, got {name!r}")
