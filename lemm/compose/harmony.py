"""Roman numerals realised in a key, and the chord timeline of a plan.

Numerals are read against the major scale of the tonic, with ``b``/``#`` for
altered degrees (so a minor key writes ``i bVI bIII bVII``). Upper case is a
major chord, lower case minor; suffixes: ``7`` (dominant on upper case, m7 on
lower case), ``maj7``, ``9``, ``6``, ``sus2``, ``sus4``, ``7sus4``, ``add9``, ``o``/``dim``,
``ø7`` (half-diminished), ``+`` (augmented); ``/3`` and ``/5`` put the third or
fifth in the bass.

Cadences: the last bar before a chorus is (or ends on) the profile's dominant;
the song's last bar is the tonic.

Colour (per genre, decided once per section kind so repeated sections keep
their harmony, see :data:`COLOUR`):

- **secondary dominant**: a bar before a minor chord (ii, iii, vi) splits in
  two and its second half becomes that chord's dominant seventh (``C | Am`` ->
  ``C E7 | Am``);
- **borrowed chord**: in major, a IV before the tonic gets the minor iv in its
  second half (``F Fm | C``);
- **inversions for the bass line**: a triad between two chords whose bass notes
  are a step above and below its third is played over its third, so the bass
  walks by step (``C | G | Am`` -> ``C | G/B | Am``).

Chords given in the plan (``PlanSection.chords``) are used as they are, one per
bar, cycled over the section: no colour, no cadence.

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
from lemm.score.harmony import ParsedChord, parse_chord, pitch_class, scale_pitch_classes
from lemm.seeding import derive_seed, make_rng

__all__ = ["numeral_to_symbol", "ChordSpan", "chord_timeline", "uses_flats", "spans_from_symbols", "COLOUR"]

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


#: genre -> probabilities (per section kind) of (secondary dominants, borrowed iv, bass-line inversions).
COLOUR: dict[str, tuple[float, float, float]] = {
    "pop": (0.3, 0.3, 0.5), "ballad": (0.55, 0.4, 0.8), "country": (0.55, 0.2, 0.4), "folk": (0.35, 0.25, 0.6),
    "rnb": (0.45, 0.3, 0.3), "funk": (0.3, 0.0, 0.0), "cinematic": (0.2, 0.5, 0.5), "indie": (0.2, 0.4, 0.4),
    "rock": (0.15, 0.4, 0.25), "edm": (0.0, 0.15, 0.0), "hip-hop": (0.0, 0.0, 0.0), "lofi": (0.35, 0.15, 0.0),
}
_MINORISH = ("m", "m7", "m9", "m6", "madd9")


def _tonic_numeral(mode: str) -> str:
    return "I" if mode == "major" else "i"


def _name(pc: int, tonic: str, mode: str) -> str:
    return (_FLAT_NAMES if uses_flats(tonic, mode) else _SHARP_NAMES)[pc % 12]


def _step(a: int, b: int) -> int:
    """Signed smallest pitch-class move from a to b (-6..5)."""
    return (b - a + 6) % 12 - 6


def _secondary_dominants(bars: list[list[str]], tonic: str, mode: str) -> None:
    tonic_pc, scale = pitch_class(tonic), scale_pitch_classes(tonic, mode)
    for i in range(len(bars) - 1):
        if len(bars[i]) != 1:
            continue
        cur, target = parse_chord(bars[i][0]), parse_chord(bars[i + 1][0])
        if target.quality not in _MINORISH or target.root_pc == tonic_pc or target.root_pc not in scale or target.bass_pc != target.root_pc:
            continue
        dom_pc = (target.root_pc + 7) % 12
        if cur.root_pc in (dom_pc, target.root_pc):
            continue
        bars[i] = [bars[i][0], _name(dom_pc, tonic, mode) + "7"]


def _borrowed_iv(bars: list[list[str]], tonic: str, mode: str) -> None:
    if mode != "major":
        return
    tonic_pc = pitch_class(tonic)
    for i in range(len(bars) - 1):
        if len(bars[i]) != 1:
            continue
        cur, nxt = parse_chord(bars[i][0]), parse_chord(bars[i + 1][0])
        if cur.root_pc == (tonic_pc + 5) % 12 and cur.quality == "" and nxt.root_pc == tonic_pc:
            bars[i] = [bars[i][0], _name(cur.root_pc, tonic, mode) + "m"]


def _bass_inversions(bars: list[list[str]], tonic: str, mode: str) -> None:
    for i in range(1, len(bars) - 1):
        if len(bars[i]) != 1:
            continue
        cur = parse_chord(bars[i][0])
        if cur.quality not in ("", "m") or cur.bass_pc != cur.root_pc or "/" in bars[i][0]:
            continue
        before, after = parse_chord(bars[i - 1][-1]).bass_pc, parse_chord(bars[i + 1][0]).bass_pc
        third = cur.pitch_classes[1]
        a, b = _step(before, third), _step(third, after)
        if a != 0 and b != 0 and abs(a) <= 2 and abs(b) <= 2 and (a > 0) == (b > 0) and abs(_step(before, cur.root_pc)) > 2:
            bars[i] = [bars[i][0] + "/" + _name(third, tonic, mode)]


def _colour(bars: list[list[str]], genre: str, kind: str, tonic: str, mode: str, seed: int) -> list[list[str]]:
    p_sec, p_borrow, p_inv = COLOUR.get(genre, (0.2, 0.2, 0.3))
    draws = make_rng(derive_seed(seed, "harmony colour", kind)).random(3)
    out = [list(b) for b in bars]
    if draws[2] < p_inv:
        _bass_inversions(out, tonic, mode)
    if draws[0] < p_sec:
        _secondary_dominants(out, tonic, mode)
    if draws[1] < p_borrow:
        _borrowed_iv(out, tonic, mode)
    return out


def _section_numerals(plan: Plan, profile: GenreProfile, si: int, prog: tuple[str, ...]) -> list[list[str]]:
    """Numerals of each bar of section ``si``, with the cadence rules applied."""
    sec = plan.sections[si]
    mode = plan.key_mode
    dominant = profile.cadence.get(mode, "V")
    tonic = _tonic_numeral(mode)
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
    return sec_bars


def chord_timeline(plan: Plan, profile: GenreProfile, *, seed: int, resolution: int = 480) -> list[ChordSpan]:
    """Chords for the whole plan, one or two per bar.

    Each section kind draws one progression from the profile (the same for every
    section of that kind, with ``derive_seed(seed, "harmony", kind)``), repeated
    over the section; every entry lasts ``harmonic_rhythm_bars`` bars. Intros,
    outros and drops without their own progressions use the chorus's. Cadences
    and colour are applied (see the module docstring). A section with
    ``chords`` in the plan plays exactly those, one per bar, cycled.

    Returns
    -------
    list[ChordSpan]
        Sorted, back to back, covering every bar.

    Examples
    --------
    >>> from lemm.compose.plan_model import Plan, PlanSection
    >>> from lemm.compose.profiles import load_profile
    >>> plan = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("v", "verse", 3, 0.5, ("Am", "F")),),
    ...             energy_per_bar=(0.5,) * 3)
    >>> [c.symbol for c in chord_timeline(plan, load_profile("pop"), seed=0)]
    ['Am', 'F', 'Am']
    """
    bar_ticks = plan.meter_numerator * resolution * 4 // plan.meter_denominator
    mode = plan.key_mode
    chosen: dict[str, tuple[str, ...]] = {}
    bars: list[list[str]] = []
    for si, sec in enumerate(plan.sections):
        if sec.chords:
            bars.extend([sec.chords[b % len(sec.chords)]] for b in range(sec.bars))
            continue
        if sec.kind not in chosen:
            options = profile.progression_options(mode, sec.kind)
            chosen[sec.kind] = options[int(make_rng(derive_seed(seed, "harmony", sec.kind)).integers(len(options)))]
        numerals = _section_numerals(plan, profile, si, chosen[sec.kind])
        symbols = [[numeral_to_symbol(n, plan.key_tonic, mode) for n in bar] for bar in numerals]
        bars.extend(_colour(symbols, profile.name, sec.kind, plan.key_tonic, mode, seed))
    spans: list[ChordSpan] = []
    for b, entries in enumerate(bars):
        start = b * bar_ticks
        if len(entries) == 2 and entries[0] == entries[1]:
            entries = entries[:1]
        n = len(entries)
        cuts = [start + bar_ticks * i // n for i in range(n)] + [start + bar_ticks]
        if n == 2 and plan.meter_numerator == 3:  # 3/4: two beats + one
            cuts = [start, start + 2 * bar_ticks // 3, start + bar_ticks]
        for i, symbol in enumerate(entries):
            spans.append(ChordSpan(cuts[i], cuts[i + 1] - cuts[i], symbol, b))
    return spans


def spans_from_symbols(chords, *, bar_ticks: int, n_bars: int, fallback: str) -> list[ChordSpan]:
    """Chord spans from a score's chord symbols, split at bar lines, gaps filled.

    Parameters
    ----------
    chords : sequence of lemm.score.model.ChordSymbol
        Sorted, non-overlapping.
    bar_ticks : int
    n_bars : int
        Bars to cover.
    fallback : str
        Symbol sounding before the first chord (the key's tonic chord).

    Examples
    --------
    >>> from lemm.score.model import ChordSymbol
    >>> [(c.start_tick, c.symbol) for c in spans_from_symbols([ChordSymbol(0, 3840, "Am")], bar_ticks=1920, n_bars=3, fallback="C")]
    [(0, 'Am'), (1920, 'Am'), (3840, 'Am')]
    """
    starts = [(int(c.start_tick), c.symbol) for c in chords]
    spans: list[ChordSpan] = []
    k, current = 0, fallback
    for bar in range(n_bars):
        lo, hi = bar * bar_ticks, (bar + 1) * bar_ticks
        cuts: list[tuple[int, str]] = []
        while k < len(starts) and starts[k][0] < hi:
            t, sym = starts[k]
            if t <= lo:
                current = sym
            else:
                cuts.append((t, sym))
            k += 1
        bounds = [(lo, current)] + cuts
        for j, (t, sym) in enumerate(bounds):
            end = bounds[j + 1][0] if j + 1 < len(bounds) else hi
            spans.append(ChordSpan(t, end - t, sym, bar))
        current = bounds[-1][1]
    return spans
