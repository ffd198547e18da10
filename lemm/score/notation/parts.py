"""Engraving conventions per part: score order, names, staves, clefs, transposition and the drum-set map.

The conventions follow MuseScore 3's own instrument templates, so a score
lemm writes looks like one a person set up in MuseScore:

- score order: voice, lead lines (lead, counter-melody, winds, strings),
  keys, guitars, bass, other parts, percussion, drums;
- piano-like keyboards on a grand staff, split at middle C per chord;
- guitars on a treble clef with an 8 below (sounding pitch, shown an octave
  up by the clef, as MuseScore's guitar templates do); bass guitar written
  an octave up on a bass clef (a ``<transpose>`` with ``octave-change -1``,
  as MuseScore's bass templates do); low voices on a treble clef with an 8
  below;
- drums as unpitched notes on a 5-line percussion staff without key
  signature, hands stems up (voice 1), feet stems down (voice 2), x noteheads
  for cymbals and hi-hats.

Examples
--------
>>> from lemm.score.model import Track, Note
>>> layout_for(Track("bass", "bass", "electric_bass", program=33, notes=(Note(40, 0, 480),))).transpose_octaves
-1
>>> DRUM_MAP[42]
DrumKey(step='G', octave=5, notehead='x', voice=1, name='Closed Hi-Hat')
"""

from __future__ import annotations

from dataclasses import dataclass

from lemm.score import model as m
from lemm.score.instruments import INSTRUMENTS

__all__ = ["DRUM_MAP", "ROLE_ABBREVIATIONS", "Clef", "DrumKey", "PartLayout", "drum_key", "layout_for", "score_order"]


@dataclass(frozen=True)
class DrumKey:
    """Where a GM percussion key sits on the 5-line staff and how it looks."""

    step: str
    octave: int
    notehead: str  # MusicXML notehead value: "normal", "x", "circle-x", "diamond", "triangle"
    voice: int  # 1 hands (stems up), 2 feet (stems down)
    name: str


#: The usual drum-set map (Percussive Arts Society / MuseScore defaults) for the GM keys lemm's drums use.
DRUM_MAP: dict[int, DrumKey] = {
    35: DrumKey("E", 4, "normal", 2, "Acoustic Bass Drum"),
    36: DrumKey("F", 4, "normal", 2, "Bass Drum 1"),
    37: DrumKey("C", 5, "x", 1, "Side Stick"),
    38: DrumKey("C", 5, "normal", 1, "Acoustic Snare"),
    39: DrumKey("D", 5, "x", 1, "Hand Clap"),
    40: DrumKey("C", 5, "normal", 1, "Electric Snare"),
    41: DrumKey("G", 4, "normal", 1, "Low Floor Tom"),
    42: DrumKey("G", 5, "x", 1, "Closed Hi-Hat"),
    43: DrumKey("A", 4, "normal", 1, "High Floor Tom"),
    44: DrumKey("D", 4, "x", 2, "Pedal Hi-Hat"),
    45: DrumKey("B", 4, "normal", 1, "Low Tom"),
    46: DrumKey("G", 5, "circle-x", 1, "Open Hi-Hat"),
    47: DrumKey("D", 5, "normal", 1, "Low-Mid Tom"),
    48: DrumKey("E", 5, "normal", 1, "Hi-Mid Tom"),
    49: DrumKey("A", 5, "x", 1, "Crash Cymbal 1"),
    50: DrumKey("F", 5, "normal", 1, "High Tom"),
    51: DrumKey("F", 5, "x", 1, "Ride Cymbal 1"),
    52: DrumKey("B", 5, "x", 1, "Chinese Cymbal"),
    53: DrumKey("F", 5, "diamond", 1, "Ride Bell"),
    54: DrumKey("E", 5, "x", 1, "Tambourine"),
    55: DrumKey("B", 5, "x", 1, "Splash Cymbal"),
    56: DrumKey("E", 5, "triangle", 1, "Cowbell"),
    57: DrumKey("B", 5, "x", 1, "Crash Cymbal 2"),
    59: DrumKey("F", 5, "x", 1, "Ride Cymbal 2"),
}
_STEPS = "CDEFGAB"


def drum_key(pitch: int) -> DrumKey:
    """The staff position of GM key ``pitch``; keys outside the map sit on a space by their number."""
    if pitch in DRUM_MAP:
        return DRUM_MAP[pitch]
    step = _STEPS[pitch % 7]
    return DrumKey(step, 5 if step in "CDE" else 4, "normal", 1, f"Percussion {pitch}")


@dataclass(frozen=True)
class Clef:
    """A MusicXML clef: sign, staff line and octave change (-1: an 8 below)."""

    sign: str
    line: int
    octave_change: int = 0


TREBLE, BASS, TREBLE_8VB, PERCUSSION = Clef("G", 2), Clef("F", 4), Clef("G", 2, -1), Clef("percussion", 2)

#: Part abbreviation per role (the part name is the track name).
ROLE_ABBREVIATIONS = {
    "vocal": "Vo.", "lead": "Ld.", "counter": "Ctr.", "woodwind": "Ww.", "brass": "Br.", "strings": "Str.", "keys": "Kbd.",
    "pad": "Pad", "arp": "Arp.", "guitar": "Gtr.", "bass": "Bass", "fx": "Fx", "percussion": "Perc.", "drums": "Dr.",
}  # fmt: skip
_ORDER = {"vocal": 0, "lead": 1, "counter": 1, "woodwind": 1, "brass": 1, "strings": 1, "keys": 2, "pad": 2, "arp": 2,
          "guitar": 3, "bass": 4, "fx": 5, "percussion": 6, "drums": 7}  # fmt: skip
_GRAND_STAFF_PROGRAMS = set(range(8)) | set(range(16, 24))  # pianos, organs
_MIDDLE_C = 60


@dataclass(frozen=True)
class PartLayout:
    """How one track is engraved: its staves' clefs, transposition and staff split."""

    clefs: tuple[Clef, ...]
    transpose_octaves: int = 0  # written = sounding - 12 * transpose_octaves (-1: written an octave up)
    unpitched: bool = False
    split_pitch: int = _MIDDLE_C  # grand staff: chords split here, upper notes to staff 1

    @property
    def n_staves(self) -> int:
        """Staves of the part (2 for a grand staff)."""
        return len(self.clefs)


def _median_pitch(track: m.Track) -> int:
    pitches = sorted(n.pitch for n in track.notes) or [_MIDDLE_C]
    return pitches[len(pitches) // 2]


def layout_for(track: m.Track) -> PartLayout:
    """The engraving layout of a track (see the module docstring).

    A track on a catalogue preset in the preset's own role is engraved on the catalogue's clef
    (:data:`lemm.score.instruments.INSTRUMENTS`); any other track by its role and GM program.
    """
    if track.is_drum:
        return PartLayout((PERCUSSION,), unpitched=True)
    info = INSTRUMENTS.get(track.preset)
    clef = info.clef if info is not None and info.role == track.role else _clef_by_role_and_program(track)
    if clef == "by_range":
        return PartLayout((BASS,) if _median_pitch(track) < 55 else (TREBLE,))
    return _CLEF_LAYOUTS[clef]


_CLEF_LAYOUTS = {
    "grand": PartLayout((TREBLE, BASS)), "treble": PartLayout((TREBLE,)), "treble_8vb": PartLayout((TREBLE_8VB,)),
    "bass_8vb": PartLayout((BASS,), transpose_octaves=-1), "percussion": PartLayout((PERCUSSION,), unpitched=True),
}  # fmt: skip


def _clef_by_role_and_program(track: m.Track) -> str:
    """The catalogue clef name for a track whose preset is not in the catalogue (or plays another role)."""
    if track.role == "keys" and track.program in _GRAND_STAFF_PROGRAMS:
        return "grand"
    if track.role == "guitar" or 24 <= track.program <= 31:
        return "treble_8vb"
    if track.role == "bass" or 32 <= track.program <= 39:
        return "bass_8vb"
    if track.role == "vocal":  # tenors, baritones and lemm's low voice read an octave down on a treble-8vb clef
        low = any(w in track.preset for w in ("low", "tenor", "baritone", "bass")) or ("high" not in track.preset and _median_pitch(track) < 60)
        return "treble_8vb" if low else "treble"
    return "by_range"


def score_order(tracks: tuple[m.Track, ...]) -> list[int]:
    """Indices of ``tracks`` in score order (stable within a group)."""
    return sorted(range(len(tracks)), key=lambda i: (_ORDER.get(tracks[i].role, 5), i))
