"""The score: lemm's data model, its JSON/MIDI/MusicXML I/O and time conversion.

This package never imports torch or audio code.
"""

from lemm.score.harmony import chord_pitches, parse_chord
from lemm.score.jsonio import load_score, save_score, score_from_dict, score_to_dict
from lemm.score.model import (
    SCHEMA_VERSION,
    ChordSymbol,
    CurvePoint,
    DynamicMark,
    ExpressionCurve,
    Hairpin,
    KeyChange,
    Lyric,
    MeterChange,
    Note,
    Score,
    Section,
    TempoChange,
    Track,
)
from lemm.score.timing import bar_start_ticks, seconds_to_ticks, ticks_to_seconds

__all__ = [
    "SCHEMA_VERSION",
    "ChordSymbol",
    "CurvePoint",
    "DynamicMark",
    "ExpressionCurve",
    "Hairpin",
    "KeyChange",
    "Lyric",
    "MeterChange",
    "Note",
    "Score",
    "Section",
    "TempoChange",
    "Track",
    "bar_start_ticks",
    "chord_pitches",
    "load_score",
    "parse_chord",
    "save_score",
    "score_from_dict",
    "score_to_dict",
    "seconds_to_ticks",
    "ticks_to_seconds",
]

from lemm.score.midi import read_midi, write_midi  # noqa: E402
from lemm.score.musicxml import read_musicxml, write_musicxml  # noqa: E402

__all__ += ["read_midi", "write_midi", "read_musicxml", "write_musicxml"]
