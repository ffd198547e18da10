"""Lyrics text -> lines -> words -> syllables, with stress.

This is pure Python (no audio), so the composer can align syllables to notes
without importing the synthesizer.

Words are split by a spelling heuristic (vowel groups, silent final e,
consonant clusters split before the last consonant); when the word is in
the CMU Pronouncing Dictionary (shipped as ``data/cmudict_stress.txt``,
BSD licence in ``data/LICENSE-cmudict``), the number of syllables and their
stress come from its pronunciation with the fewest vowels, and the spelling
split is adjusted to that count (a weak "e" part merges into the one before,
a hiatus such as "cre-ate" is split). Words with no letters are dropped;
characters outside Latin letters are ignored.

Examples
--------
>>> lines = syllabify("Summer in the city\\nwe are alive")
>>> [s.text for s in lines[0].words[0].syllables]
['Sum', 'mer']
>>> [s.syllabic for s in lines[0].words[0].syllables]
['begin', 'end']
>>> sum(len(w.syllables) for w in lines[1].words)
4
>>> [s.text for s in syllabify("every quiet evening")[0].words[1].syllables]
['qui', 'et']
>>> [s.stressed for s in syllabify("the city")[0].words[0].syllables]
[False]
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lemm.errors import ParameterError

__all__ = ["Syllable", "Word", "LyricLine", "syllabify", "flat_syllables"]

_VOWELS = "aeiouy"
_DICT_PATH = Path(__file__).with_name("data") / "cmudict_stress.txt"
_HIATUS = ("ea", "ia", "io", "ie", "oe", "ei", "oi", "eo", "ua", "ue", "uo", "ii", "iu", "ya", "yi", "ye", "yo", "uu")


@functools.lru_cache(maxsize=1)
def _stress_dict() -> dict[str, str]:
    """word -> stress digits, one per vowel (loaded once, on first use)."""
    try:
        text = _DICT_PATH.read_text(encoding="utf-8")
    except OSError:  # pragma: no cover - the data file ships with lemm
        return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, _sep, digits = line.partition(" ")
            out[word] = digits
    return out


def _merge_weak(parts: list[str]) -> list[str]:
    """Join one part onto its neighbour: a part whose only vowel is "e" first, else the shortest."""
    weak = [i for i in range(1, len(parts)) if re.sub(r"[^aeiouy]", "", parts[i].lower()) == "e" and i < len(parts) - 1]
    i = weak[0] if weak else min(range(1, len(parts)), key=lambda k: (len(parts[k]), -k))
    return parts[: i - 1] + [parts[i - 1] + parts[i]] + parts[i + 1 :]


def _split_more(parts: list[str]) -> list[str] | None:
    """Split one part in two: at a hiatus ("cre-ate"), else after its last vowel group ("rhy-thm")."""
    for i, part in enumerate(parts):
        low = part.lower()
        for m in re.finditer(r"[aeiouy]{2,}", low):
            group = m.group()
            for j in range(len(group) - 1):
                if group[j : j + 2] in _HIATUS:
                    cut = m.start() + j + 1
                    return parts[:i] + [part[:cut], part[cut:]] + parts[i + 1 :]
    for i, part in sorted(enumerate(parts), key=lambda ip: -len(ip[1])):
        groups = list(re.finditer(r"[aeiouy]+", part.lower()))
        if groups and groups[-1].end() + 1 < len(part):
            cut = groups[-1].end()
            return parts[:i] + [part[:cut], part[cut:]] + parts[i + 1 :]
    return None


def _fit_parts(parts: list[str], n: int) -> list[str] | None:
    """Adjust a spelling split to ``n`` parts; None when it cannot."""
    while len(parts) > n >= 1:
        parts = _merge_weak(parts)
    while len(parts) < n:
        more = _split_more(parts)
        if more is None:
            return None
        parts = more
    return parts


@dataclass(frozen=True)
class Syllable:
    """One syllable: its spelling, MusicXML hyphenation, and whether it is stressed."""

    text: str
    syllabic: str
    stressed: bool


@dataclass(frozen=True)
class Word:
    """A word as written and its syllables."""

    text: str
    syllables: tuple[Syllable, ...]


@dataclass(frozen=True)
class LyricLine:
    """One sung line; ``stanza`` counts blank-line separated blocks from 0."""

    words: tuple[Word, ...]
    stanza: int = 0

    @property
    def n_syllables(self) -> int:
        """Number of syllables in the line."""
        return sum(len(w.syllables) for w in self.words)


def _ascii_letters(word: str) -> str:
    norm = unicodedata.normalize("NFKD", word)
    return "".join(c for c in norm if ("a" <= c.lower() <= "z") or c == "'")


def _split_word(word: str) -> list[str]:
    """Split a word into syllable spellings by vowel groups."""
    low = word.lower()
    groups = [(m.start(), m.end()) for m in re.finditer(r"[aeiouy]+", low)]
    if low.endswith("e") and len(groups) > 1 and groups[-1] == (len(low) - 1, len(low)) and not low.endswith(("le", "ee", "ye")):
        groups = groups[:-1]  # silent final e: "lone", "make"
    if low.endswith("es") and len(groups) > 1 and groups[-1][0] == len(low) - 2 and low[-3:-2] not in "scxzgh":
        groups = groups[:-1]  # "makes", "times"
    if len(groups) <= 1:
        return [word]
    cuts = []
    for (s0, e0), (s1, _e1) in zip(groups, groups[1:], strict=False):
        n_cons = s1 - e0
        if n_cons <= 1:
            cut = e0 if n_cons == 1 and low[e0] not in "x" else e0 + n_cons
            cut = e0 if n_cons == 1 else e0
        else:
            cut = s1 - 1
            if low[s1 - 2 : s1] in ("th", "ch", "sh", "ph", "wh", "ck", "ng", "gh"):
                cut = s1 - 2 if low[s1 - 2 : s1] != "ck" and low[s1 - 2 : s1] != "ng" else s1
        cuts.append(max(cut, s0 + 1))
    parts, prev = [], 0
    for c in cuts:
        if c > prev:
            parts.append(word[prev:c])
            prev = c
    parts.append(word[prev:])
    return [p for p in parts if p]


def _syllables_of(word: str) -> tuple[Syllable, ...]:
    parts = _split_word(word)
    digits = _stress_dict().get(word.lower())
    fitted = _fit_parts(parts, len(digits)) if digits else None
    if fitted is not None:
        parts = fitted
    n = len(parts)
    out = []
    for i, p in enumerate(parts):
        syllabic = "single" if n == 1 else ("begin" if i == 0 else ("end" if i == n - 1 else "middle"))
        if fitted is not None:
            stressed = digits[i] == "1"
        else:
            stressed = n == 1 or i == (1 if n >= 3 and parts[0].lower() in ("a", "be", "re", "de", "to", "for") else 0)
        out.append(Syllable(text=p, syllabic=syllabic, stressed=stressed))
    return tuple(out)


def syllabify(text: str) -> tuple[LyricLine, ...]:
    """Split lyrics into lines of words of syllables.

    Parameters
    ----------
    text : str
        Lyrics; one sung line per line, blank lines separate stanzas.

    Returns
    -------
    tuple[LyricLine, ...]
        Lines that contain at least one word with letters.

    Raises
    ------
    ParameterError
        If ``text`` is not a string or holds no word with Latin letters.
    """
    if not isinstance(text, str):
        raise ParameterError.for_field("lyrics", text, "a string")
    lines: list[LyricLine] = []
    stanza = 0
    blank_run = False
    for raw in text.splitlines():
        if not raw.strip():
            blank_run = bool(lines)
            continue
        if blank_run:
            stanza += 1
            blank_run = False
        words = []
        for token in re.split(r"[\s\-–—]+", raw):
            letters = _ascii_letters(token).strip("'")
            if letters:
                words.append(Word(text=letters, syllables=_syllables_of(letters)))
        if words:
            lines.append(LyricLine(words=tuple(words), stanza=stanza))
    if not lines:
        raise ParameterError.for_field("lyrics", text[:40], "text with at least one word of Latin letters")
    return tuple(lines)


def flat_syllables(lines: tuple[LyricLine, ...]) -> list[tuple[int, Syllable]]:
    """All syllables in order as ``(line_index, syllable)`` pairs."""
    return [(i, s) for i, line in enumerate(lines) for w in line.words for s in w.syllables]
