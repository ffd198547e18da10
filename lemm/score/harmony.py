"""Chord symbols and pitch names: parsing and spelling, with no dependencies.

Examples
--------
>>> c = parse_chord("F#m7/A")
>>> c.root_pc, c.quality, c.bass_pc, c.pitch_classes
(6, 'm7', 9, (6, 9, 1, 4))
>>> chord_pitches("C", octave=4)
(60, 64, 67)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lemm.errors import ParameterError

__all__ = ["ParsedChord", "parse_chord", "chord_pitches", "pitch_class", "QUALITY_INTERVALS", "scale_pitch_classes", "transpose_symbol"]

_SHARP_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

_NOTE_PCS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

#: Chord qualities lemm understands, as semitone intervals above the root.
QUALITY_INTERVALS: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "5": (0, 7),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "mMaj7": (0, 3, 7, 11),
    "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "7sus4": (0, 5, 7, 10),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "9": (0, 4, 7, 10, 14),
    "maj9": (0, 4, 7, 11, 14),
    "m9": (0, 3, 7, 10, 14),
}
_ALIASES = {"min": "m", "-": "m", "M7": "maj7", "Maj7": "maj7", "min7": "m7", "-7": "m7", "ø": "m7b5", "ø7": "m7b5", "o": "dim", "o7": "dim7", "+": "aug", "sus": "sus4"}

_CHORD_RE = re.compile(r"^([A-G])([#b]?)([^/]*)(?:/([A-G])([#b]?))?$")

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)


def pitch_class(name: str) -> int:
    """Pitch class 0..11 of a note name such as ``"Eb"`` or ``"F#"``.

    >>> pitch_class("Bb")
    10
    """
    if not isinstance(name, str) or not name or name[0] not in _NOTE_PCS or len(name) > 2 or (len(name) == 2 and name[1] not in "#b"):
        raise ParameterError.for_field("note name", name, "a letter A-G with an optional # or b")
    pc = _NOTE_PCS[name[0]]
    if len(name) == 2:
        pc += 1 if name[1] == "#" else -1
    return pc % 12


def scale_pitch_classes(tonic: str, mode: str) -> tuple[int, ...]:
    """The seven pitch classes of a major or natural minor scale.

    >>> scale_pitch_classes("A", "minor")
    (9, 11, 0, 2, 4, 5, 7)
    """
    if mode not in ("major", "minor"):
        raise ParameterError.for_field("mode", mode, "'major' or 'minor'")
    root = pitch_class(tonic)
    steps = _MAJOR if mode == "major" else _MINOR
    return tuple((root + s) % 12 for s in steps)


@dataclass(frozen=True)
class ParsedChord:
    """A parsed chord symbol: root and bass pitch classes, quality, chord tones."""

    symbol: str
    root_pc: int
    quality: str
    bass_pc: int
    intervals: tuple[int, ...]

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """Chord tones as pitch classes, root first."""
        return tuple((self.root_pc + i) % 12 for i in self.intervals)


def parse_chord(symbol: str) -> ParsedChord:
    """Parse a chord symbol such as ``"Am"``, ``"G7"``, ``"Bbmaj7/D"``.

    Raises
    ------
    ParameterError
        If the symbol is not a root A-G with optional accidental, a known
        quality (keys of :data:`QUALITY_INTERVALS` or common aliases) and an
        optional ``/bass`` note.
    """
    accepted = "a chord symbol like C, Am, G7, Fmaj7, Bb/D (qualities: " + ", ".join(q or "major" for q in QUALITY_INTERVALS) + ")"
    if not isinstance(symbol, str):
        raise ParameterError.for_field("chord", symbol, accepted)
    m = _CHORD_RE.match(symbol.strip())
    if not m:
        raise ParameterError.for_field("chord", symbol, accepted)
    letter, acc, quality, bass_letter, bass_acc = m.groups()
    quality = _ALIASES.get(quality, quality)
    if quality not in QUALITY_INTERVALS:
        raise ParameterError.for_field("chord", symbol, accepted)
    root = pitch_class(letter + acc)
    bass = pitch_class(bass_letter + bass_acc) if bass_letter else root
    return ParsedChord(symbol=symbol, root_pc=root, quality=quality, bass_pc=bass, intervals=QUALITY_INTERVALS[quality])


def chord_pitches(symbol: str, *, octave: int = 4) -> tuple[int, ...]:
    """MIDI pitches of a chord in root position with the root in ``octave``.

    >>> chord_pitches("Am7", octave=3)
    (57, 60, 64, 67)
    """
    c = parse_chord(symbol)
    base = 12 * (octave + 1) + c.root_pc
    return tuple(base + i for i in c.intervals)


def transpose_symbol(symbol: str, semitones: int) -> str:
    """A chord symbol or note name moved by ``semitones`` (spelled C C# D Eb E F F# G Ab A Bb B).

    >>> transpose_symbol("F#m7/A", 2), transpose_symbol("Bb", -3), transpose_symbol("E", 2)
    ('Abm7/B', 'G', 'F#')
    """
    m = _CHORD_RE.match(symbol)
    if m is None:
        raise ParameterError.for_field("chord", symbol, "a chord symbol like Am7 or F/A")
    letter, acc, quality, bass_letter, bass_acc = m.groups()
    out = _SHARP_NAMES[(pitch_class(letter + acc) + semitones) % 12] + quality
    if bass_letter:
        out += "/" + _SHARP_NAMES[(pitch_class(bass_letter + bass_acc) + semitones) % 12]
    return out
