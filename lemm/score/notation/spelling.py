"""Key signatures and pitch spelling: sharps or flats from the key, accidentals only where the bar needs them.

Examples
--------
>>> key_fifths("A", "minor"), key_fifths("Eb", "major"), key_fifths("F#", "minor")
(0, -3, 3)
>>> key_from_fifths(-3, "minor")
('C', 'minor')
>>> spell(61, fifths=-3, mode="major"), spell(68, fifths=4, mode="major")
(('D', -1, 4), ('G', 1, 4))
>>> spell(68, fifths=0, mode="minor")  # the leading tone of A minor
('G', 1, 4)
"""

from __future__ import annotations

import functools

__all__ = ["ALTER_NAMES", "Accidentals", "key_fifths", "key_from_fifths", "spell"]

_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
_ORDER_OF_FIFTHS = "FCGDAEB"
_STEP_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_STEPS = "CDEFGAB"
#: MusicXML ``<accidental>`` names by alteration.
ALTER_NAMES = {-2: "flat-flat", -1: "flat", 0: "natural", 1: "sharp", 2: "double-sharp"}


def key_fifths(tonic: str, mode: str) -> int:
    """Sharps (> 0) or flats (< 0) of the key signature of ``tonic`` ``mode``, folded into -7..7."""
    fifths = _LETTER_FIFTHS[tonic[0]] + 7 * (tonic.count("#") - tonic.count("b")) - (3 if mode == "minor" else 0)
    while fifths > 7:
        fifths -= 12
    while fifths < -7:
        fifths += 12
    return fifths


def key_from_fifths(fifths: int, mode: str) -> tuple[str, str]:
    """The tonic spelled from a key signature, e.g. ``(-3, "minor") -> ("C", "minor")``."""
    n = fifths + (3 if mode == "minor" else 0) + 1
    letter, acc = _ORDER_OF_FIFTHS[n % 7], n // 7
    return letter + ("#" * acc if acc > 0 else "b" * -acc), mode


@functools.lru_cache(maxsize=32)
def _signature_alters(fifths: int) -> dict[str, int]:
    """Alter of each step under the key signature (cached: callers only read it)."""
    alters = dict.fromkeys(_STEPS, 0)
    for k in range(abs(fifths)):
        alters["FCGDAEB"[k] if fifths > 0 else "BEADGCF"[k]] = 1 if fifths > 0 else -1
    return alters


@functools.lru_cache(maxsize=4096)
def spell(pitch: int, *, fifths: int, mode: str) -> tuple[str, int, int]:
    """(step, alter, octave) of MIDI ``pitch`` in the key: scale notes as the key has them,
    others as sharps in sharp keys and flats in flat keys; the minor leading tone raised."""
    alters = _signature_alters(fifths)
    pc = pitch % 12
    diatonic = {(_STEP_PC[s] + a) % 12: (s, a) for s, a in alters.items()}
    if pc in diatonic:
        step, alter = diatonic[pc]
    elif pc in (0, 2, 4, 5, 7, 9, 11):  # a white key outside the scale: its natural
        step, alter = _STEPS[(0, 2, 4, 5, 7, 9, 11).index(pc)], 0
    else:
        tonic, _ = key_from_fifths(fifths, mode)
        leading = (_STEP_PC[tonic[0]] + tonic.count("#") - tonic.count("b") - 1) % 12
        sharpen = fifths >= 0 or (mode == "minor" and pc == leading)
        step = _STEPS[(0, 2, 4, 5, 7, 9, 11).index((pc - 1) % 12 if sharpen else (pc + 1) % 12)]
        alter = 1 if sharpen else -1
    octave = (pitch - _STEP_PC[step] - alter) // 12 - 1
    return step, alter, octave


class Accidentals:
    """The accidentals in force in one bar of one staff: which written notes need an ``<accidental>``."""

    def __init__(self, fifths: int) -> None:
        self._signature = _signature_alters(fifths)
        self._bar: dict[tuple[str, int], int] = {}

    def new_bar(self) -> None:
        """Forget the accidentals of the bar before."""
        self._bar = {}

    def needs(self, step: str, alter: int, octave: int, *, tied: bool = False) -> bool:
        """Whether the note needs a written accidental (a tied continuation never shows one); records it."""
        current = self._bar.get((step, octave), self._signature[step])
        self._bar[(step, octave)] = alter
        return current != alter and not tied
