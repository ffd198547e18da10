"""Instrument facts the composer needs: playable ranges and GM programs (views of the catalogue), default styles.

Every pitched note the arranger writes is kept inside :data:`PRESET_RANGES` of its
track's preset (drum kits have no range: their pitches are GM percussion keys); ranges and
programs are views of the catalogue, :data:`lemm.score.instruments.INSTRUMENTS`.
:data:`INSTRUMENT_WORDS` is the table the planner uses for "with strings" /
"no piano": a word names a part with a role, preset, GM program and style.

Styles (how a chordal part plays; see :mod:`lemm.compose.keys`)
---------------------------------------------------------------
``pad``     sustained chords, legato, one per chord change
``comp``    piano comping: rhythmic chords that get busier with energy
``ballad``  broken-chord piano arpeggios with a left-hand root
``stabs``   short off-beat chords (house piano, funk organ), staccato
``strum``   strummed guitar chords, down/up strokes spread in time
``power``   rock power chords, palm-muted eighths or ringing whole notes
``arp``     sixteenth-note synth arpeggio
``swell``   strings/brass swelling half-bar chords (cinematic)
``pick``    fingerpicked (arpeggiated) guitar: bass note then the chord in eighths
``counter`` a counter-melody line on guide tones (thirds, sevenths), below the melody
``riser``   a line climbing the chord into each chorus (:mod:`lemm.compose.transitions`)

Backing vocals (role ``vocal``) take ``harmony`` or ``double`` (:mod:`lemm.compose.backing`).

Bass parts take a bass pattern family as style (:data:`BASS_STYLES`, e.g.
``walking``, ``pedal``, ``octave``); drum parts a groove family
(:data:`DRUM_STYLES`); empty means the genre profile's choice.

Examples
--------
>>> PRESET_RANGES["electric_bass"]
(28, 55)
>>> clamp_to_range(20, "electric_bass")
32
>>> INSTRUMENT_WORDS["strings"].preset
'string_ensemble'
"""

from __future__ import annotations

from dataclasses import dataclass

from lemm.errors import ParameterError
from lemm.score.instruments import INSTRUMENTS, names_of_kind

__all__ = [
    "PRESET_RANGES",
    "PRESET_PROGRAMS",
    "DRUM_KITS",
    "VOICES",
    "BACKING_STYLES",
    "PartSpec",
    "INSTRUMENT_WORDS",
    "DEFAULT_STYLE_BY_ROLE",
    "STYLES",
    "CHORD_STYLES",
    "BASS_STYLES",
    "DRUM_STYLES",
    "styles_for_role",
    "range_of",
    "clamp_to_range",
]

#: Lowest and highest MIDI pitch the composer writes for each preset (inclusive), from the catalogue.
PRESET_RANGES: dict[str, tuple[int, int]] = {name: info.range for name, info in INSTRUMENTS.items() if info.range is not None}

#: General MIDI program (0-based) of each preset, from the catalogue.
PRESET_PROGRAMS: dict[str, int] = {name: info.program for name, info in INSTRUMENTS.items()}

DRUM_KITS = names_of_kind("drum_kit")
VOICES = names_of_kind("voice")
CHORD_STYLES = ("pad", "comp", "ballad", "stabs", "strum", "power", "arp", "swell", "pick", "counter", "riser")
#: Bass pattern families (see :mod:`lemm.compose.bass`).
BASS_STYLES = ("syncopated", "root_eighths", "root_fifth", "offbeat", "kick_locked", "funk", "sustained", "walking", "pedal", "octave")
#: Drum groove families (see :mod:`lemm.compose.drums`).
DRUM_STYLES = ("backbeat", "rock", "four_on_floor", "boom_bap", "rnb", "funk", "country", "folk", "ballad", "cinematic", "lofi", "indie")
#: Backing-vocal styles (see :mod:`lemm.compose.backing`): a harmony under the lead, or a double of it.
BACKING_STYLES = ("harmony", "double")
STYLES = tuple(dict.fromkeys(CHORD_STYLES + ("groove", "bass", "melody") + BASS_STYLES + DRUM_STYLES + BACKING_STYLES))

#: Chord-part style used when neither the profile nor the word table names one.
DEFAULT_STYLE_BY_ROLE: dict[str, str] = {
    "drums": "groove",
    "percussion": "groove",
    "bass": "bass",
    "keys": "comp",
    "pad": "pad",
    "guitar": "strum",
    "strings": "pad",
    "brass": "swell",
    "woodwind": "pad",
    "arp": "arp",
    "counter": "counter",
    "fx": "pad",
    "lead": "melody",
    "vocal": "melody",
}


@dataclass(frozen=True)
class PartSpec:
    """A part as a genre profile or the word table describes it.

    ``style`` says how it plays (see the module docstring); ``min_energy`` is the
    bar energy below which the part rests (layering: pads enter with the chorus);
    ``sections`` the section kinds it plays in (empty: all), so parts enter and
    leave by section (strings in the choruses, a tambourine in the last chorus).
    """

    name: str
    role: str
    preset: str
    program: int = 0
    is_drum: bool = False
    style: str = ""
    min_energy: float = 0.0
    pan: float = 0.0
    gain_db: float = 0.0
    sections: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.preset not in PRESET_PROGRAMS:
            raise ParameterError.for_field(f"part {self.name!r} preset", self.preset, f"one of {', '.join(PRESET_PROGRAMS)}")
        if self.style and self.style not in STYLES:
            raise ParameterError.for_field(f"part {self.name!r} style", self.style, f"one of {', '.join(STYLES)}")

    @property
    def effective_style(self) -> str:
        """The style, or the role's default."""
        return self.style or DEFAULT_STYLE_BY_ROLE.get(self.role, "pad")


def _p(name: str, role: str, preset: str, style: str = "", pan: float = 0.0, gain_db: float = 0.0, is_drum: bool = False) -> PartSpec:
    return PartSpec(name, role, preset, PRESET_PROGRAMS[preset], is_drum, style, 0.0, pan, gain_db)


#: Words a prompt may use to ask for (or refuse) a part, longest phrases first when matching.
INSTRUMENT_WORDS: dict[str, PartSpec] = {
    "electric piano": _p("electric piano", "keys", "electric_piano", "comp", -0.2),
    "rhodes": _p("electric piano", "keys", "electric_piano", "comp", -0.2),
    "piano": _p("piano", "keys", "acoustic_piano", "comp", -0.15),
    "acoustic guitar": _p("acoustic guitar", "guitar", "steel_guitar", "strum", -0.35),
    "nylon guitar": _p("nylon guitar", "guitar", "nylon_guitar", "strum", -0.3),
    "classical guitar": _p("nylon guitar", "guitar", "nylon_guitar", "strum", -0.3),
    "electric guitar": _p("electric guitar", "guitar", "electric_guitar", "power", -0.4),
    "guitar": _p("guitar", "guitar", "steel_guitar", "strum", -0.35),
    "guitars": _p("guitar", "guitar", "steel_guitar", "strum", -0.35),
    "strings": _p("strings", "strings", "string_ensemble", "pad", 0.3, -2.0),
    "orchestra": _p("strings", "strings", "string_ensemble", "pad", 0.3, -2.0),
    "cello": _p("cello", "strings", "cello", "pad", 0.2),
    "brass": _p("brass", "brass", "brass", "swell", 0.25, -3.0),
    "horns": _p("brass", "brass", "brass", "swell", 0.25, -3.0),
    "trumpet": _p("brass", "brass", "brass", "swell", 0.25, -3.0),
    "flute": _p("flute", "woodwind", "flute", "pad", 0.2, -3.0),
    "synth bass": _p("bass", "bass", "synth_bass", "bass"),
    "bass": _p("bass", "bass", "electric_bass", "bass"),
    "synth": _p("synth", "pad", "synth_pad", "pad", 0.25, -3.0),
    "synths": _p("synth", "pad", "synth_pad", "pad", 0.25, -3.0),
    "pad": _p("pad", "pad", "synth_pad", "pad", 0.25, -3.0),
    "pads": _p("pad", "pad", "synth_pad", "pad", 0.25, -3.0),
    "arpeggio": _p("arp", "arp", "synth_lead", "arp", -0.25, -6.0),
    "arp": _p("arp", "arp", "synth_lead", "arp", -0.25, -6.0),
    "organ": _p("organ", "keys", "organ", "pad", -0.2, -3.0),
    "drums": _p("drums", "drums", "acoustic_kit", "groove", is_drum=True),
}


def styles_for_role(role: str) -> tuple[str, ...]:
    """Styles a part of ``role`` can be played in ("" = the default is always allowed).

    >>> styles_for_role("bass")[:3]
    ('bass', 'syncopated', 'root_eighths')
    """
    if role in ("drums", "percussion"):
        return ("groove",) + DRUM_STYLES
    if role == "bass":
        return ("bass",) + BASS_STYLES
    if role == "vocal":
        return ("melody",) + BACKING_STYLES
    if role == "lead":
        return ("melody",)
    return CHORD_STYLES


def range_of(preset: str) -> tuple[int, int]:
    """Inclusive MIDI pitch range of ``preset``.

    Raises
    ------
    ParameterError
        If the preset has no range (unknown, or a drum kit).
    """
    if preset not in PRESET_RANGES:
        raise ParameterError.for_field("preset", preset, f"a pitched preset, one of {', '.join(PRESET_RANGES)}")
    return PRESET_RANGES[preset]


def clamp_to_range(pitch: int, preset: str) -> int:
    """Move ``pitch`` by octaves into the preset's range (nearest octave that fits)."""
    low, high = range_of(preset)
    p = int(pitch)
    while p < low:
        p += 12
    while p > high:
        p -= 12
    if p < low:  # range narrower than an octave: impossible here, keep safe
        p = low
    return p
