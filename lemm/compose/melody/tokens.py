"""Note-level compound tokens for the melody transformer (a documented variant of miditok REMI).

REMI writes a note as a run of tokens ``Position_p Pitch_x Velocity_v Duration_d`` (plus
``Bar`` and ``Rest`` tokens). Here each *note* is one sequence step whose fields are
embedded and summed (the "compound word" layout, as in miditok's CPWord): the REMI fields
(``Pitch`` of the previous note, ``Position`` in the bar, ``Duration``, ``Rest`` before the
note) keep their ids in the REMI vocabulary built by :func:`remi_vocab` (miditok, 12
positions per quarter), and lemm adds its own condition fields:

=============  ============================================================================
field          values
=============  ============================================================================
prev_pitch     REMI ``Pitch_x`` id of the previous note (key-normalised) or ``BOS_None``
position       REMI ``Position_p``: onset within the bar, 12 per quarter (clipped)
duration       REMI ``Duration_*`` nearest to the note's length
rest           REMI ``Rest_*`` for the silence before the note, ``PAD_None`` when legato
chord          0 none, else ``1 + 8 * root_rel + quality`` (root relative to the tonic)
strength       metric strength: 0 downbeat, 1 mid-bar, 2 beat, 3 subdivision, 4 finer
mode           0 major, 1 minor
syllable       0 melisma (no new syllable), 1 single, 2 begin, 3 middle, 4 end, 5 unknown
phrase_pos     notes since the phrase start (a rest of a beat or more), clipped to 7
phrase_left    notes to the phrase end, clipped to 7 (0 = the phrase's last note)
register       median key-normalised pitch of the song: ``clip((median - 40) // 2, 0, 23)``
section        0 lied (training data has no sections), then :data:`SECTION_KINDS`
=============  ============================================================================

The target is the key-normalised pitch (tonic moved to C by a shift in -6..5 semitones), as
index ``pitch - PITCH_LOW``.

Examples
--------
>>> metric_strength(0, bar_ticks=1920, beat_ticks=480, sub_ticks=240, beats_per_bar=4)
0
>>> metric_strength(960, bar_ticks=1920, beat_ticks=480, sub_ticks=240, beats_per_bar=4)
1
>>> key_shift(7)  # G major: down a fifth to C
5
>>> key_shift(5)  # F major: down a fourth to C
-5
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["FIELDS", "FIELD_SIZES", "PITCH_LOW", "PITCH_HIGH", "N_PITCH", "SECTION_KINDS", "remi_vocab", "metric_strength", "key_shift", "chord_token", "note_fields"]

FIELDS = ("prev_pitch", "position", "duration", "rest", "chord", "strength", "mode", "syllable", "phrase_pos", "phrase_left", "register", "section")
PITCH_LOW, PITCH_HIGH = 28, 100
N_PITCH = PITCH_HIGH - PITCH_LOW + 1
SECTION_KINDS = ("verse", "pre-chorus", "chorus", "post-chorus", "bridge", "intro", "outro", "other")
SYLLABLE_CODES = {"-": 0, "S": 1, "B": 2, "M": 3, "E": 4, "?": 5}
POSITIONS_PER_QUARTER = 12


@functools.lru_cache(maxsize=1)
def remi_vocab() -> dict[str, int]:
    """The miditok REMI vocabulary (token name -> id) the REMI fields index.

    Built with ``miditok.REMI(TokenizerConfig(pitch_range=(21, 109), beat_res={(0, 4): 12,
    (4, 12): 4}, num_velocities=1, use_rests=True))``; the shipped model stores it in its
    config so generation does not import miditok.
    """
    from miditok import REMI, TokenizerConfig

    tok = REMI(TokenizerConfig(pitch_range=(21, 109), beat_res={(0, 4): 12, (4, 12): 4}, num_velocities=1, use_chords=False, use_rests=True))
    return dict(tok.vocab)


def _parse_len(name: str) -> float:
    a, b, c = name.split("_", 1)[1].split(".")
    return int(a) + int(b) / int(c)


class Vocab:
    """Lookups into a REMI vocabulary: pitch, position, duration and rest ids."""

    def __init__(self, vocab: dict[str, int]):
        self.vocab = vocab
        self.size = max(vocab.values()) + 1
        self.bos = vocab["BOS_None"]
        self.pad = vocab["PAD_None"]
        self.durations = sorted((_parse_len(k), v) for k, v in vocab.items() if k.startswith("Duration_"))
        self.rests = sorted((_parse_len(k), v) for k, v in vocab.items() if k.startswith("Rest_"))
        self.n_positions = sum(1 for k in vocab if k.startswith("Position_"))
        self._dur_q = np.array([d for d, _ in self.durations])
        self._rest_q = np.array([d for d, _ in self.rests])

    def pitch(self, p: int) -> int:
        return self.vocab[f"Pitch_{int(min(max(p, 21), 108))}"]

    def position(self, ticks_in_bar: int, resolution: int) -> int:
        k = min(int(ticks_in_bar * POSITIONS_PER_QUARTER // resolution), self.n_positions - 1)
        return self.vocab[f"Position_{max(k, 0)}"]

    def duration(self, ticks: int, resolution: int) -> int:
        return self.durations[int(np.argmin(np.abs(self._dur_q - ticks / resolution)))][1]

    def rest(self, ticks: int, resolution: int) -> int:
        if ticks < resolution // 8:
            return self.pad
        return self.rests[int(np.argmin(np.abs(self._rest_q - ticks / resolution)))][1]


def metric_strength(pos_ticks: int, *, bar_ticks: int, beat_ticks: int, sub_ticks: int, beats_per_bar: int) -> int:
    """0 downbeat, 1 mid-bar (even number of beats), 2 other beats, 3 subdivision, 4 finer."""
    pos = pos_ticks % bar_ticks if bar_ticks > 0 else pos_ticks
    if pos == 0:
        return 0
    if beat_ticks > 0 and pos % beat_ticks == 0:
        if beats_per_bar % 2 == 0 and pos // beat_ticks == beats_per_bar // 2:
            return 1
        return 2
    if sub_ticks > 0 and pos % sub_ticks == 0:
        return 3
    return 4


def key_shift(tonic_pc: int) -> int:
    """Semitones that move ``tonic_pc`` to C, in -6..5 (the nearer way)."""
    return ((-tonic_pc + 6) % 12) - 6


def chord_token(root_pc: int, quality: int, tonic_pc: int) -> int:
    """Chord field value: 0 for none, else ``1 + 8 * ((root - tonic) % 12) + quality``."""
    if root_pc < 0 or quality < 0:
        return 0
    return 1 + 8 * ((root_pc - tonic_pc) % 12) + quality


def register_token(median_pitch: float) -> int:
    """Register field from a (key-normalised) median pitch."""
    return int(np.clip((median_pitch - 40) // 2, 0, 23))


FIELD_SIZES = None  # filled in by field_sizes()


def field_sizes(vocab: Vocab) -> tuple[int, ...]:
    """Embedding table size per field (REMI fields use the REMI vocabulary size)."""
    return (vocab.size, vocab.size, vocab.size, vocab.size, 97, 5, 2, 6, 8, 8, 24, 1 + len(SECTION_KINDS))


def phrase_counters(onsets, durations, *, gap_ticks: int) -> tuple[np.ndarray, np.ndarray]:
    """(notes since the phrase start, notes to the phrase end), each clipped to 7."""
    n = len(onsets)
    starts = [0] + [i for i in range(1, n) if onsets[i] - (onsets[i - 1] + durations[i - 1]) >= gap_ticks]
    pos = np.zeros(n, dtype=np.int64)
    left = np.zeros(n, dtype=np.int64)
    bounds = starts + [n]
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        pos[a:b] = np.minimum(np.arange(b - a), 7)
        left[a:b] = np.minimum(np.arange(b - a)[::-1], 7)
    return pos, left


def note_fields(*, prev_pitch, position, duration, rest, chord, strength, mode, syllable, phrase_pos, phrase_left, register, section) -> np.ndarray:
    """Stack per-note field arrays into an int64 array [shape=(n_notes, len(FIELDS))]."""
    cols = [prev_pitch, position, duration, rest, chord, strength, mode, syllable, phrase_pos, phrase_left, register, section]
    n = len(cols[1])
    return np.stack([np.broadcast_to(np.asarray(c, dtype=np.int64), (n,)) for c in cols], axis=1)
