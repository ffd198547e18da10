"""Roman numerals realised in a key, and the chord timeline of a plan.

Numerals are read against the major scale of the tonic, with ``b``/``#`` for
altered degrees (so a minor key writes ``i bVI bIII bVII``). Upper case is a
major chord, lower case minor; suffixes: ``7`` (dominant on upper case, m7 on
lower case), ``maj7``, ``9``, ``6``, ``sus2``, ``sus4``, ``7sus4``, ``add9``, ``o``/``dim``,
``ø7`` (half-diminished), ``+`` (augmented); ``/3`` and ``/5`` put the third or
fifth in the bass.

Cadences: the last bar before a chorus is (or ends on) the profile's dominant;
the song's last bar is the tonic.

Examples
--------
>>> numeral_to_symbol("V7", "C", "major")
'G7'
>>> numeral_to_symbol("bVI", "A", "minor")
'F'
>>> numeral_to_symbol("ii7", "F", "major")
'Gm7'
>>> numeral_to_symbol("V/3", "C", "major")
'G/B'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lemm.compose.plan_model import Plan
from lemm.compose.profiles import GenreProfile
from lemm.errors import ParameterError
from lemm.score.harmony import ParsedChord, parse_chord, pitch_class
from lemm.seeding import derive_seed, make_rng

__all__ = ["numeral_to_symbol", "ChordSpan", "chord_timeline", "uses_flats"]

_DEGREES = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_NUMERAL_RE = re.compile(r"^([b#]?)(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)([^/]*)(?:/([35]))?$")
_UPPER_Q = {"": "", "7": "7", "maj7": "maj7", "9": "9", "maj9": "maj9", "6": "6", "sus2": "sus2", "sus4": "sus4", "7sus4": "7sus4", "add9": "add9", "+": "aug", "aug": "aug", "5": "5"}
_LOWER_Q = {"": "m", "7": "m7", "9": "m9", "6": "m6", "maj7": "mMaj7", "add9": "madd9", "o": "dim", "dim": "dim", "o7": "dim7", "dim7": "dim7", "ø7": "m7b5", "ø": "m7b5", "m7b5": "m7b5"}


def uses_flats(tonic: str, mode: str) -> bool:
    """Whether chord roots in this key are spelled with flats."""
    if "b" in tonic[1:]:
        return True
    if "#" in tonic:
        return False
    pc = pitch_class(tonic)
    major_pc = pc if mode == "major" else (pc + 3) % 12
    return major_pc in (5, 10, 3, 8, 1, 6) and not (mode == "minor" and pc in (4, 11, 6))


def numeral_to_symbol(numeral: str, tonic: str, mode: str) -> str:
    """Chord symbol of a Roman numeral in a key (see the module docstring).

    Raises
    ------
    ParameterError
        For a numeral that does not follow the grammar.
    """
    m = _NUMERAL_RE.match(numeral.strip())
    if not m:
        raise ParameterError.for_field("roman numeral", numeral, "a numeral like I, vi, bVII, V7, ii7, IVmaj7, V/3")
    acc, deg, suffix, inv = m.groups()
    table = _UPPER_Q if deg.isupper() else _LOWER_Q
    if suffix not in table:
        raise ParameterError.for_field("roman numeral", numeral, f"a known suffix ({', '.join(sorted(set(_UPPER_Q) | set(_LOWER_Q)))})")
    quality = table[suffix]
    root = (pitch_class(tonic) + _DEGREES[deg.lower()] + (-1 if acc == "b" else 1 if acc == "#" else 0)) % 12
    names = _FLAT_NAMES if uses_flats(tonic, mode) else _SHARP_NAMES
    symbol = names[root] + quality
    if inv:
        intervals = parse_chord(symbol).intervals
        bass = (root + intervals[1 if inv == "3" else 2]) % 12
        symbol += "/" + names[bass]
    parse_chord(symbol)
    return symbol


@dataclass(frozen=True)
class ChordSpan:
    """A chord sounding from ``start_tick`` for ``duration_ticks`` (in bar ``bar``)."""

    start_tick: int
    duration_ticks: int
    symbol: str
    bar: int

    @property
    def chord(self) -> ParsedChord:
        """The parsed chord."""
        return parse_chord(self.symbol)

    @property
    def end_tick(self) -> int:
        """First tick after the chord."""
        return self.start_tick + self.duration_ticks


def _tonic_numeral(mode: str) -> str:
    return "I" if mode == "major" else "i"


def chord_timeline(plan: Plan, profile: GenreProfile, *, seed: int, resolution: int = 480) -> list[ChordSpan]:
    """Chords for the whole plan, one or two per bar.

    Each section kind draws one progression from the profile (the same for every
    section of that kind, with ``derive_seed(seed, "harmony", kind)``), repeated
    over the section; every entry lasts ``harmonic_rhythm_bars`` bars. Cadences
    are applied at section ends (see the module docstring).

    Returns
    -------
    list[ChordSpan]
        Sorted, back to back, covering every bar.
    """
    bar_ticks = plan.meter_numerator * resolution * 4 // plan.meter_denominator
    mode = plan.key_mode
    dominant = profile.cadence.get(mode, "V")
    tonic = _tonic_numeral(mode)
    chosen: dict[str, tuple[str, ...]] = {}
    bars: list[list[str]] = []
    for si, sec in enumerate(plan.sections):
        if sec.kind not in chosen:
            options = profile.progression_options(mode, sec.kind)
            chosen[sec.kind] = options[int(make_rng(derive_seed(seed, "harmony", sec.kind)).integers(len(options)))]
        prog = chosen[sec.kind]
        hr = max(1, profile.harmonic_rhythm_bars)
        sec_bars = [prog[(b // hr) % len(prog)].split() for b in range(sec.bars)]
        nxt = plan.sections[si + 1] if si + 1 < len(plan.sections) else None
        if nxt is None:
            sec_bars[-1] = [tonic]
            if sec.bars >= 2 and sec_bars[-2][-1] != dominant:
                sec_bars[-2] = sec_bars[-2][:1] + [dominant] if len(sec_bars[-2]) == 1 else [sec_bars[-2][0], dominant]
        elif nxt.kind in ("chorus", "drop"):
            if sec.kind == "pre-chorus":
                sec_bars[-1] = [dominant]
            elif sec_bars[-1][-1] not in (dominant, "V", "V7", "bVII"):
                sec_bars[-1] = [sec_bars[-1][0], dominant]
        elif nxt.kind == "verse" and sec.kind in ("intro", "bridge", "break") and sec_bars[-1][-1] not in (dominant, "V", "V7"):
            sec_bars[-1] = [sec_bars[-1][0], dominant]
        bars.extend(sec_bars)
    spans: list[ChordSpan] = []
    for b, entries in enumerate(bars):
        start = b * bar_ticks
        if len(entries) == 2 and entries[0] == entries[1]:
            entries = entries[:1]
        n = len(entries)
        cuts = [start + bar_ticks * i // n for i in range(n)] + [start + bar_ticks]
        if n == 2 and plan.meter_numerator == 3:  # 3/4: two beats + one
            cuts = [start, start + 2 * bar_ticks // 3, start + bar_ticks]
        for i, numeral in enumerate(entries):
            spans.append(ChordSpan(cuts[i], cuts[i + 1] - cuts[i], numeral_to_symbol(numeral, plan.key_tonic, mode), b))
    return spans
