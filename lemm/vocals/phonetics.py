"""Spoken phonemes -> syllable spans (onset, vowel nucleus, coda) matched to sung syllables.

espeak-ng reports each phoneme of an utterance with its start; it does not
mark syllables, and it may merge words ("in the") or count vowels
differently from the written hyphenation ("fire" has one nucleus, "fi-re"
two notes). So syllables are found from vowel nuclei: the utterance's
nuclei are shared out over the words in proportion to each word's
dictionary nuclei, then over each word's sung syllables. A syllable that
gets no nucleus of its own shares its neighbour's vowel (split in time).
Consonants between two nuclei go to the next syllable's onset as far as the
next word's dictionary onset allows (across words) or all but the first
(inside a word, "win-ter" -> n | t).

Examples
--------
>>> is_vowel("'aI"), is_vowel("t#"), is_vowel("@L")
(True, False, True)
>>> ph = [("s", 0, 10), ("'V", 10, 30), ("m", 30, 40), ("3", 40, 60)]
>>> [(s.onset_start, s.vowel_start, s.vowel_end, s.coda_end) for s in syllable_spans(ph, [2], [2], [1])]
[(0.0, 10.0, 30.0, 30.0), (30.0, 40.0, 60.0, 60.0)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["is_vowel", "is_pause", "SpokenSyllable", "syllable_spans", "count_nuclei", "onset_length"]

_VOWEL_START = set("aeiouAEIOUV@30")
_STRESS = "'," + "%=" + "!"


def _base(name: str) -> str:
    return name.lstrip(_STRESS)


def is_pause(name: str) -> bool:
    """True for espeak pause and boundary markers (``_``, ``_:``, ``;``, ``|``) and empty names."""
    base = _base(name)
    return base == "" or base[0] in "_;|#"


def is_vowel(name: str) -> bool:
    """True when an espeak-ng phoneme name (ascii mnemonic, stress marks allowed) is a vowel."""
    base = _base(name)
    return base != "" and base[0] in _VOWEL_START


def count_nuclei(names: tuple[str, ...] | list[str]) -> int:
    """Number of vowel nuclei among phoneme names."""
    return sum(1 for n in names if is_vowel(n))


def onset_length(names: tuple[str, ...] | list[str]) -> int:
    """Number of consonants before the first vowel of a word's phonemes."""
    n = 0
    for name in names:
        if is_vowel(name):
            return n
        if not is_pause(name):
            n += 1
    return n


@dataclass(frozen=True)
class SpokenSyllable:
    """Span of one syllable in the spoken audio (any time unit, usually samples).

    ``onset_start <= vowel_start <= vowel_end <= coda_end``; the onset
    consonants are ``[onset_start, vowel_start)``, the coda ``[vowel_end, coda_end)``.
    """

    onset_start: float
    vowel_start: float
    vowel_end: float
    coda_end: float


def _word_bounds(n_nuclei: int, word_nuclei: list[int]) -> np.ndarray:
    """Start of each word in nucleus coordinates (plus the end), integers when possible."""
    weights = np.array([max(d, 1) for d in word_nuclei], dtype=np.float64)
    if int(sum(word_nuclei)) == n_nuclei and all(d >= 1 for d in word_nuclei):
        return np.concatenate([[0.0], np.cumsum(weights)])
    bounds = n_nuclei * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    rounded = np.round(bounds)
    if np.all(np.diff(rounded) >= 1):
        return rounded
    return bounds


def _syllable_positions(bounds: np.ndarray, word_syllables: list[int]) -> list[float]:
    """Start of each sung syllable in nucleus coordinates, then the end."""
    xs: list[float] = []
    for w, k in enumerate(word_syllables):
        lo, hi = bounds[w], bounds[w + 1]
        span = hi - lo
        for j in range(k):
            x = lo + j * span / k
            if span >= k and float(lo).is_integer() and float(hi).is_integer():
                x = lo + round(j * span / k)
            xs.append(float(x))
    xs.append(float(bounds[-1]))
    return xs


def syllable_spans(
    phonemes: list[tuple[str, float, float]],
    word_syllables: list[int],
    word_nuclei: list[int],
    word_onsets: list[int],
) -> list[SpokenSyllable]:
    """Split an utterance's phonemes into one span per sung syllable.

    Parameters
    ----------
    phonemes : list of (name, start, end)
        The utterance's phonemes in time order (espeak names).
    word_syllables : list[int]
        Sung syllables of each word, >= 1 each.
    word_nuclei : list[int]
        Vowel nuclei of each word in its dictionary pronunciation.
    word_onsets : list[int]
        Consonants before the first vowel of each word's dictionary pronunciation.

    Returns
    -------
    list[SpokenSyllable]
        ``sum(word_syllables)`` spans in order.
    """
    units = [(n, float(s), float(e)) for n, s, e in phonemes if e > s and not is_pause(n)]
    if not units:
        raise ValueError("the utterance has no phonemes")
    vowels = [i for i, (n, _s, _e) in enumerate(units) if is_vowel(n)]
    if not vowels:  # e.g. "hmm": sing on the whole utterance as one nucleus
        units = [("@", units[0][1], units[-1][2])]
        vowels = [0]
    n_nuc = len(vowels)
    bounds = _word_bounds(n_nuc, word_nuclei)
    xs = _syllable_positions(bounds, word_syllables)
    word_first = set(np.cumsum([0] + word_syllables[:-1]).tolist())
    word_of = [w for w, k in enumerate(word_syllables) for _ in range(k)]

    def at(x: float, *, end: bool) -> float:
        """Time of nucleus coordinate x (the end of the previous nucleus for integer x when end)."""
        n = int(np.floor(x))
        f = x - n
        if end and f == 0.0:
            return units[vowels[n - 1]][2]
        n = min(n, n_nuc - 1)
        s, e = units[vowels[n]][1], units[vowels[n]][2]
        return s + f * (e - s)

    n_syl = len(xs) - 1
    vowel_start = [at(xs[i], end=False) for i in range(n_syl)]
    vowel_end = [at(xs[i + 1], end=True) for i in range(n_syl)]
    onset_start = list(vowel_start)
    coda_end = list(vowel_end)
    for i in range(n_syl):
        x = xs[i]
        if not float(x).is_integer():
            continue  # shares the previous syllable's vowel: no consonants between
        n = int(x)
        lo = vowels[n - 1] + 1 if n > 0 else 0
        between = list(range(lo, vowels[n]))
        if i == 0:
            if between:
                onset_start[i] = units[between[0]][1]
            continue
        if not between:
            continue
        if i in word_first:
            n_onset = min(word_onsets[word_of[i]], len(between))
        else:
            n_onset = max(1, len(between) - 1)
        coda = between[: len(between) - n_onset]
        onset = between[len(between) - n_onset :]
        if onset:
            onset_start[i] = units[onset[0]][1]
        if coda:
            coda_end[i - 1] = units[coda[-1]][2]
    tail = list(range(vowels[-1] + 1, len(units)))
    if tail:
        coda_end[-1] = units[tail[-1]][2]
    return [SpokenSyllable(onset_start[i], vowel_start[i], vowel_end[i], coda_end[i]) for i in range(n_syl)]
