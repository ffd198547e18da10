"""Text setting facts: which sung syllables are function words, and how strongly a syllable wants a strong beat.

English verse puts its content words (nouns, verbs, adjectives, most adverbs) on the beat and
its function words (articles, prepositions, pronouns, auxiliaries, conjunctions) between beats:
"through the *light*", not "*the* light". :data:`FUNCTION_WORDS` is the closed class of one- and
two-syllable function words that singers do not put on a downbeat; the rhythm writers
(:func:`lemm.compose.melody.rhythm.lied_rhythm`, :func:`lemm.compose.lyrics_align.syllable_rhythm`,
:mod:`lemm.compose.reprise`) read :func:`syllable_flags` and keep those syllables off strong beats.

Examples
--------
>>> from lemm.text.syllables import syllabify
>>> [f for f in syllable_flags(syllabify("through the light of day")[0])]
[True, True, False, True, False]
>>> is_function_word("The"), is_function_word("heart")
(True, False)
"""

from __future__ import annotations

import numpy as np

from lemm.text.syllables import LyricLine

__all__ = [
    "FINAL_HOLD_BEATS",
    "FINAL_SHORT_COST_PER_BEAT",
    "FUNCTION_WORDS",
    "HOLD_COST_PER_BEAT",
    "downbeat_penalty",
    "final_hold_penalty",
    "hold_penalty",
    "is_function_word",
    "syllable_flags",
]

#: Closed-class English words (lower case) that are not set on a downbeat.
FUNCTION_WORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "nor", "so", "yet", "if", "as", "than", "that", "then", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "upon", "through", "thru", "over", "under", "about", "across", "i", "me", "my", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers", "it", "its", "we", "us", "our", "they", "them", "their", "im", "ive", "ill", "id", "youre", "youll", "youve", "weve", "were", "theyre", "theyll", "hes", "shes", "its", "is", "am", "are", "was", "were", "be", "been", "being", "do", "does", "did", "have", "has", "had", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "this", "these", "those", "there", "their", "what", "when", "where", "while", "who", "whom", "whose", "which", "just", "oh", "ah", "no", "not", "dont", "cant", "wont", "aint"]
)


#: Cost per beat beyond the first that a function word is held ("from end *to* end" on a long note).
HOLD_COST_PER_BEAT = 2.0


#: A sung line's last syllable is held at least this many beats (where its slot leaves room).
FINAL_HOLD_BEATS = 1.0

#: Cost per beat that a line's last syllable falls short of :data:`FINAL_HOLD_BEATS` ("lanterns *glow*" on a sixteenth).
FINAL_SHORT_COST_PER_BEAT = 3.0


def is_function_word(word: str) -> bool:
    """Whether ``word`` (any case, apostrophes ignored) is in :data:`FUNCTION_WORDS`."""
    return word.lower().replace("'", "").replace("\u2019", "") in FUNCTION_WORDS


def syllable_flags(line: LyricLine) -> list[bool]:
    """One flag per syllable of ``line``: True for the syllables of a function word."""
    return [is_function_word(w.text) for w in line.words for _ in w.syllables]


def downbeat_penalty(*, weight: float, function_word: bool, stressed: bool) -> float:
    """Cost of setting a syllable on a position of metric ``weight`` (1 downbeat, 0.75 mid-bar, 0.55 beat, less between).

    Function words avoid the downbeat (3) and mid-bar (1); unstressed syllables of content
    words avoid the downbeat (1); stressed syllables avoid weak off-beat positions (0.6).
    """
    if function_word:
        return 3.0 if weight >= 1.0 else 1.0 if weight >= 0.75 else 0.25 if weight >= 0.55 else 0.0
    if not stressed:
        return 1.0 if weight >= 1.0 else 0.0
    return 0.6 if weight <= 0.3 else 0.0


def hold_penalty(*, beats: float | np.ndarray, function_word: bool, stressed: bool) -> float | np.ndarray:
    """Cost of holding a syllable for ``beats`` beats: singers give the long notes to stressed syllables.

    A function word costs :data:`HOLD_COST_PER_BEAT` per beat beyond the first, an unstressed
    syllable of a content word half of that, a stressed syllable nothing.

    >>> hold_penalty(beats=3.0, function_word=True, stressed=False), hold_penalty(beats=3.0, function_word=False, stressed=True)
    (4.0, 0.0)
    """
    weight = HOLD_COST_PER_BEAT if function_word else 0.5 * HOLD_COST_PER_BEAT if not stressed else 0.0
    return weight * np.maximum(np.asarray(beats, dtype=np.float64) - 1.0, 0.0) if np.ndim(beats) else weight * max(float(beats) - 1.0, 0.0)


def final_hold_penalty(*, beats: float | np.ndarray) -> float | np.ndarray:
    """Cost of ending a sung line on a note of ``beats`` beats: a line lands on a held note.

    The line's last syllable (its rhyme word, where the listener hears the line end) is held at
    least :data:`FINAL_HOLD_BEATS`; each beat it falls short costs :data:`FINAL_SHORT_COST_PER_BEAT`. A line
    ending on a sixteenth after a long note ("*la*---n-terns-glow") hides its last word.

    >>> final_hold_penalty(beats=0.25), final_hold_penalty(beats=1.5)
    (2.25, 0.0)
    """
    if np.ndim(beats):
        return FINAL_SHORT_COST_PER_BEAT * np.maximum(FINAL_HOLD_BEATS - np.asarray(beats, dtype=np.float64), 0.0)
    return FINAL_SHORT_COST_PER_BEAT * max(FINAL_HOLD_BEATS - float(beats), 0.0)
