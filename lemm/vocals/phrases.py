"""A vocal track's notes -> sung phrases of words of syllables, in seconds.

Pure data, no audio: the notes are made monophonic (the highest of notes
that start together; an overlapped note ends where the next starts), timed
through the score's tempo map, and grouped

- into syllables: one per note with a lyric; ``Lyric.extend`` notes and
  notes without a lyric that follow a neutral vowel continue the previous
  syllable (a melisma); a note without a lyric (or whose lyric has no Latin
  letter) otherwise starts a neutral vowel "ah";
- into words by ``Lyric.syllabic`` (single, or begin .. middle .. end);
- into phrases at rests of at least ``min_rest_seconds`` between words, or
  when a phrase has ``max_words`` words. Each phrase is spoken as one
  utterance.

Examples
--------
>>> from lemm.score.model import Lyric, Note, Score, TempoChange, Track
>>> ly = [Lyric("sum", "begin"), Lyric("mer", "end"), Lyric("", extend=True), None]
>>> notes = tuple(Note(60 + i, 480 * i, 480, lyric=l) for i, l in enumerate(ly))
>>> score = Score(tempos=(TempoChange(0, 120.0),), tracks=(Track("vocal", "vocal", "voice_low", notes=notes),))
>>> [p.text for p in vocal_phrases(score.tracks[0], score)]
['summer ah']
>>> [len(s.notes) for w in vocal_phrases(score.tracks[0], score)[0].words for s in w.syllables]
[1, 2, 1]
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

import numpy as np

from lemm.score.model import Note, Score, Track
from lemm.score.timing import ticks_to_seconds

__all__ = ["SungNote", "SungSyllable", "SungWord", "Phrase", "vocal_phrases", "NEUTRAL_VOWEL", "monophonic_notes"]

#: What a note without a lyric is sung on.
NEUTRAL_VOWEL = "ah"

_SOUNDING_FRACTION = {"staccato": 0.5, "staccatissimo": 0.3}


@dataclass(frozen=True)
class SungNote:
    """A note in seconds: MIDI pitch, start, sounding end, velocity and articulation."""

    pitch: int
    start_seconds: float
    end_seconds: float
    velocity: int
    articulation: str | None = None


@dataclass(frozen=True)
class SungSyllable:
    """One sung syllable: its spelling and its notes (more than one for a melisma).

    ``neutral`` marks the neutral vowel of notes without lyrics; its notes
    are re-attacked softly instead of gliding as a melisma does.
    """

    text: str
    notes: tuple[SungNote, ...]
    neutral: bool = False

    @property
    def start_seconds(self) -> float:
        """Start of the first note."""
        return self.notes[0].start_seconds

    @property
    def end_seconds(self) -> float:
        """Sounding end of the last note."""
        return self.notes[-1].end_seconds


@dataclass(frozen=True)
class SungWord:
    """A word: its spoken text (letters and apostrophes) and its syllables."""

    text: str
    syllables: tuple[SungSyllable, ...]


@dataclass(frozen=True)
class Phrase:
    """Words sung without a long rest, spoken as one utterance."""

    words: tuple[SungWord, ...]

    @property
    def text(self) -> str:
        """The words joined by spaces."""
        return " ".join(w.text for w in self.words)

    @property
    def syllables(self) -> tuple[SungSyllable, ...]:
        """All syllables in order."""
        return tuple(s for w in self.words for s in w.syllables)

    @property
    def start_seconds(self) -> float:
        """Start of the first note."""
        return self.words[0].syllables[0].start_seconds

    @property
    def end_seconds(self) -> float:
        """Sounding end of the last note."""
        return self.words[-1].syllables[-1].end_seconds


def _letters(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if ("a" <= c.lower() <= "z") or c == "'").strip("'").lower()


def monophonic_notes(notes: tuple[Note, ...]) -> list[Note]:
    """Highest note of each start tick, each cut to end where the next starts."""
    by_start: dict[int, Note] = {}
    for n in notes:
        if n.start_tick not in by_start or n.pitch > by_start[n.start_tick].pitch:
            by_start[n.start_tick] = n
    ordered = [by_start[k] for k in sorted(by_start)]
    out = []
    for n, nxt in zip(ordered, ordered[1:] + [None], strict=False):  # each note and the next (None after the last; no notes: none)
        if nxt is not None and n.end_tick > nxt.start_tick:
            n = replace(n, duration_ticks=nxt.start_tick - n.start_tick)
        out.append(n)
    return out


def _timed(notes: list[Note], score: Score) -> list[SungNote]:
    if not notes:
        return []
    starts = ticks_to_seconds(score, np.array([n.start_tick for n in notes], dtype=np.float64))
    ends = ticks_to_seconds(score, np.array([n.end_tick for n in notes], dtype=np.float64))
    out = []
    for n, s, e in zip(notes, starts, ends, strict=True):
        frac = _SOUNDING_FRACTION.get(n.articulation or "", 1.0)
        out.append(SungNote(n.pitch, float(s), float(s + (e - s) * frac), n.velocity, n.articulation))
    return out


def vocal_phrases(
    track: Track,
    score: Score,
    *,
    min_rest_seconds: float = 0.3,
    max_words: int = 12,
) -> tuple[Phrase, ...]:
    """Group a vocal track's notes into phrases of words of syllables.

    Parameters
    ----------
    track : Track
        The vocal track; notes may carry :class:`~lemm.score.model.Lyric` syllables.
    score : Score
        Supplies the tempo map.
    min_rest_seconds : float
        A rest at least this long between two words starts a new phrase.
    max_words : int
        Longest phrase in words; a longer run is split at a word boundary.

    Returns
    -------
    tuple[Phrase, ...]
        In time order; empty for a track without notes.
    """
    timed = _timed(monophonic_notes(track.notes), score)
    words: list[list] = []  # [text parts, syllables list]
    open_word = False
    for raw, note in zip(monophonic_notes(track.notes), timed, strict=True):
        lyric = raw.lyric
        text = _letters(lyric.text) if lyric is not None and not lyric.extend else ""
        prev = words[-1][1][-1] if words else None
        continues = prev is not None and (
            (lyric is not None and lyric.extend) or (lyric is None and prev.neutral)
        ) and note.start_seconds - prev.end_seconds < min_rest_seconds
        if continues:
            words[-1][1][-1] = SungSyllable(prev.text, prev.notes + (note,), prev.neutral)
            continue
        if not text:  # no lyric, an extend with nothing to extend, or no letters: neutral vowel
            words.append([[NEUTRAL_VOWEL], [SungSyllable(NEUTRAL_VOWEL, (note,), neutral=True)]])
            open_word = False
            continue
        syllable = SungSyllable(text, (note,))
        if lyric.syllabic in ("middle", "end") and open_word:
            words[-1][0].append(text)
            words[-1][1].append(syllable)
        else:
            words.append([[text], [syllable]])
        open_word = lyric.syllabic in ("begin", "middle")
    phrases: list[list[SungWord]] = []
    for parts, syllables in words:
        word = SungWord("".join(parts), tuple(syllables))
        if phrases:
            gap = word.syllables[0].start_seconds - phrases[-1][-1].syllables[-1].end_seconds
            if gap < min_rest_seconds and len(phrases[-1]) < max_words:
                phrases[-1].append(word)
                continue
        phrases.append([word])
    return tuple(Phrase(tuple(p)) for p in phrases)
