"""The instrument catalogue: one entry per lemm instrument preset, read by every layer.

Each :class:`InstrumentInfo` states what a preset *is*: its kind (a pitched instrument, a
drum kit or a singing voice), the role it plays by default, its General MIDI program, the
lowest and highest pitch the composer writes for it, and the clef it is engraved on. The
composer (ranges, programs), the renderer (the SoundFont program each preset is fitted to),
MIDI and MusicXML export and import (program, clef) and the vocals (voice names) read these
entries and keep no table of their own. Add a preset by adding one entry to :data:`INSTRUMENTS`.

GM programs are 0-based (the value written in a MIDI program-change message); the GM 1
sound set names them 1-based, e.g. program 27 is GM "28 Electric Guitar (clean)".

This module imports nothing heavier than the standard library, so the score layer (and
everything above it) may import it.

Examples
--------
>>> INSTRUMENTS["electric_guitar"].program, INSTRUMENTS["electric_bass"].range
(27, (28, 55))
>>> preset_for_program(26), preset_for_program(0, is_drum=True)
(('guitar', 'electric_guitar'), ('drums', 'acoustic_kit'))
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "CLEFS",
    "INSTRUMENTS",
    "KINDS",
    "InstrumentInfo",
    "names_of_kind",
    "preset_for_program",
]

#: What a preset is: a pitched instrument, a drum kit (pitches are GM percussion keys) or a voice.
KINDS = ("pitched", "drum_kit", "voice")

#: How a preset is engraved: ``grand`` (treble + bass staves), ``treble``, ``treble_8vb``
#: (guitars, low voices: written an octave above sounding), ``bass_8vb`` (bass guitars: bass clef,
#: written an octave above sounding), ``percussion``, or ``by_range`` (treble or bass, chosen from
#: the median pitch of the part's notes: strings, brass and synths that read either clef).
CLEFS = ("grand", "treble", "treble_8vb", "bass_8vb", "percussion", "by_range")


@dataclass(frozen=True)
class InstrumentInfo:
    """One preset of the catalogue.

    Parameters
    ----------
    name : str
        The preset name (``Track.preset``).
    kind : str
        One of :data:`KINDS`.
    role : str
        The role a part on this preset plays by default (``"keys"``, ``"bass"``, ...).
    program : int
        General MIDI program, 0..127 (0-based).
    range : tuple of (int, int) or None
        Lowest and highest MIDI pitch the composer writes (inclusive); None for drum kits.
    clef : str
        One of :data:`CLEFS`.
    """

    name: str
    kind: str
    role: str
    program: int
    range: tuple[int, int] | None
    clef: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.clef not in CLEFS or not 0 <= self.program <= 127:
            raise ValueError(f"instrument {self.name!r}: kind, clef or program out of range: {self.kind!r}, {self.clef!r}, {self.program}")
        if (self.range is None) != (self.kind == "drum_kit") or (self.range is not None and not 0 <= self.range[0] < self.range[1] <= 127):
            raise ValueError(f"instrument {self.name!r}: range must be (low, high) in 0..127 (None only for drum kits), got {self.range}")


def _i(name: str, kind: str, role: str, program: int, low_high: tuple[int, int] | None, clef: str) -> tuple[str, InstrumentInfo]:
    return name, InstrumentInfo(name, kind, role, program, low_high, clef)


#: Every lemm preset. Programs follow the GM 1 sound set (0-based); the pitched presets'
#: timbres are fitted to these programs in FluidR3_GM (:mod:`lemm.render.fit_soundfont`).
INSTRUMENTS: MappingProxyType[str, InstrumentInfo] = MappingProxyType(dict((
    _i("acoustic_piano", "pitched", "keys", 0, (28, 96), "grand"),  # GM 1 Acoustic Grand Piano
    _i("electric_piano", "pitched", "keys", 4, (33, 91), "grand"),  # GM 5 Electric Piano 1
    _i("steel_guitar", "pitched", "guitar", 25, (40, 84), "treble_8vb"),  # GM 26 Acoustic Guitar (steel)
    _i("nylon_guitar", "pitched", "guitar", 24, (40, 83), "treble_8vb"),  # GM 25 Acoustic Guitar (nylon)
    _i("electric_guitar", "pitched", "guitar", 27, (40, 86), "treble_8vb"),  # GM 28 Electric Guitar (clean)
    _i("electric_bass", "pitched", "bass", 33, (28, 55), "bass_8vb"),  # GM 34 Electric Bass (finger)
    _i("synth_bass", "pitched", "bass", 38, (28, 55), "bass_8vb"),  # GM 39 Synth Bass 1
    _i("string_ensemble", "pitched", "strings", 48, (36, 91), "by_range"),  # GM 49 String Ensemble 1
    _i("cello", "pitched", "strings", 42, (36, 72), "by_range"),  # GM 43 Cello
    _i("brass", "pitched", "brass", 61, (40, 82), "by_range"),  # GM 62 Brass Section
    _i("flute", "pitched", "woodwind", 73, (60, 93), "by_range"),  # GM 74 Flute
    _i("synth_lead", "pitched", "lead", 81, (55, 88), "by_range"),  # GM 82 Lead 2 (sawtooth)
    _i("synth_pad", "pitched", "pad", 89, (43, 84), "by_range"),  # GM 90 Pad 2 (warm)
    _i("organ", "pitched", "keys", 16, (36, 91), "grand"),  # GM 17 Drawbar Organ
    _i("voice_low", "voice", "vocal", 52, (48, 67), "treble_8vb"),  # GM 53 Choir Aahs; male pop voice, C3..G4
    _i("voice_high", "voice", "vocal", 52, (57, 76), "treble"),  # GM 53 Choir Aahs; female pop voice, A3..E5
    _i("synth_kit", "drum_kit", "drums", 25, None, "percussion"),  # GS drum set 26 (TR-808) on channel 10
    _i("acoustic_kit", "drum_kit", "drums", 0, None, "percussion"),  # GM standard kit on channel 10
)))  # fmt: skip


def names_of_kind(kind: str) -> tuple[str, ...]:
    """Preset names of one kind, in catalogue order.

    >>> names_of_kind("drum_kit")
    ('synth_kit', 'acoustic_kit')
    """
    return tuple(name for name, info in INSTRUMENTS.items() if info.kind == kind)


#: (role, preset) lemm uses for each GM program family of eight (piano, chromatic percussion, organ, ...).
_GM_FAMILIES = (
    ("keys", "acoustic_piano"), ("keys", "electric_piano"), ("keys", "organ"), ("guitar", "electric_guitar"),
    ("bass", "electric_bass"), ("strings", "string_ensemble"), ("strings", "string_ensemble"), ("brass", "brass"),
    ("woodwind", "flute"), ("woodwind", "flute"), ("lead", "synth_lead"), ("pad", "synth_pad"),
    ("fx", "synth_pad"), ("guitar", "steel_guitar"), ("percussion", "electric_piano"), ("fx", "synth_pad"),
)  # fmt: skip
#: Programs whose nearest preset is not their family's.
_GM_PRESET_OVERRIDES = {
    4: "electric_piano",
    5: "electric_piano",
    24: "nylon_guitar",
    25: "steel_guitar",
    38: "synth_bass",
    39: "synth_bass",
    42: "cello",
    43: "cello",
}


def preset_for_program(program: int, *, is_drum: bool = False) -> tuple[str, str]:
    """The (role, preset) that stands in for a General MIDI program read from a file.

    >>> preset_for_program(33), preset_for_program(42)
    (('bass', 'electric_bass'), ('strings', 'cello'))
    """
    if is_drum:
        return "drums", "acoustic_kit"
    role, preset = _GM_FAMILIES[program // 8]
    return role, _GM_PRESET_OVERRIDES.get(program, preset)
