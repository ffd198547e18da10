"""Measurements of an arrangement: ranges, harmony, voice leading, energy response, grooves.

These are the numbers the composer is judged by (``benchmarks/arrange_eval.py``
prints them as one JSON line):

- :func:`range_violations`: notes outside their preset's playable range;
- :func:`chord_tone_fraction`: how many harmony notes (notes of a beat or
  longer in chordal parts: keys, pad, guitar, strings, brass, woodwind) are
  tones of the chord sounding at their onset;
- :func:`pad_voicings`, :func:`mean_voice_movement`, :func:`parallel_count`:
  sustained (legato) chords of three or more notes, their mean movement per
  voice, and parallel fifths/octaves between their outer voices;
- :func:`energy_response`: Spearman correlation of notes per bar and mean
  velocity per bar (accompaniment parts) with the plan's energy;
- :func:`groove_consistency` (the MusPy definition) and :func:`onset_pattern`
  / :func:`pattern_distance` for drum grooves.

Examples
--------
>>> round(mean_voice_movement([(60, 64, 67), (60, 65, 69), (59, 62, 67)]), 2)
1.33
>>> parallel_count([(60, 64, 67), (62, 65, 69)])
1
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from lemm.compose.instruments import PRESET_RANGES
from lemm.compose.keys import parallel_outer, voice_movement
from lemm.score.harmony import parse_chord
from lemm.score.model import Note, Score, Track

__all__ = [
    "CHORDAL_ROLES",
    "range_violations",
    "chord_tone_fraction",
    "pad_voicings",
    "mean_voice_movement",
    "parallel_count",
    "bar_activity",
    "energy_response",
    "groove_consistency",
    "onset_pattern",
    "pattern_distance",
]

#: Roles whose long notes are harmony (chord tones expected).
CHORDAL_ROLES = ("keys", "pad", "guitar", "strings", "brass", "woodwind")
_DRUM_GROUPS = ((35, 36), (37, 38, 39, 40), (42, 44, 46), (51, 53, 59, 54))


def range_violations(score: Score) -> int:
    """Number of pitched notes outside their track preset's range (unknown presets are skipped)."""
    bad = 0
    for t in score.tracks:
        if t.is_drum or t.preset not in PRESET_RANGES:
            continue
        low, high = PRESET_RANGES[t.preset]
        bad += sum(1 for n in t.notes if not low <= n.pitch <= high)
    return bad


def _chord_at(score: Score, tick: int):
    lo, hi = 0, len(score.chords)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if score.chords[mid].start_tick <= tick:
            lo = mid
        else:
            hi = mid
    return score.chords[lo] if score.chords else None


def chord_tone_fraction(score: Score, *, roles: Sequence[str] = CHORDAL_ROLES) -> float:
    """Fraction of harmony notes (a beat or longer, chordal roles) that are chord tones at their onset."""
    hits = total = 0
    cache: dict[str, tuple[int, ...]] = {}
    for t in score.tracks:
        if t.is_drum or t.role not in roles:
            continue
        for n in t.notes:
            if n.duration_ticks < score.resolution:
                continue
            c = _chord_at(score, n.start_tick)
            if c is None:
                continue
            pcs = cache.setdefault(c.symbol, parse_chord(c.symbol).pitch_classes)
            total += 1
            hits += n.pitch % 12 in pcs or n.pitch % 12 == parse_chord(c.symbol).bass_pc
    return hits / total if total else 1.0


def pad_voicings(track: Track, *, min_notes: int = 3) -> list[list[tuple[int, ...]]]:
    """Sustained chords of a track in runs: legato notes grouped by onset (``min_notes`` or more per
    chord), a new run wherever a rest separates two chords (a voicing only leads to the next one
    when that follows without a gap).

    >>> from lemm.score.model import Note, Track
    >>> t = Track("pad", "pad", "synth_pad", notes=tuple(Note(p, s, 960, 80, "legato") for s in (0, 960, 3840) for p in (60, 64, 67)))
    >>> [len(run) for run in pad_voicings(t)]
    [2, 1]
    """
    groups: dict[int, list[Note]] = {}
    for n in track.notes:
        if n.articulation == "legato":
            groups.setdefault(n.start_tick, []).append(n)
    runs: list[list[tuple[int, ...]]] = []
    last_end = None
    for start, notes in sorted(groups.items()):
        chord = tuple(sorted({n.pitch for n in notes}))
        if len(chord) < min_notes:
            last_end = None
            continue
        if last_end is None or start - last_end > 60:
            runs.append([])
        runs[-1].append(chord)
        last_end = max(n.end_tick for n in notes)
    return runs


def _runs(voicings) -> list:
    return list(voicings) if voicings and isinstance(voicings[0], list) else [list(voicings)]


def mean_voice_movement(voicings) -> float:
    """Mean movement per voice (semitones) between consecutive voicings (0 for fewer than two).

    ``voicings`` is one sequence of voicings or a list of runs (:func:`pad_voicings`).
    """
    moves = [voice_movement(a, b) for run in _runs(voicings) for a, b in zip(run, run[1:], strict=False)]
    return float(np.mean(moves)) if moves else 0.0


def parallel_count(voicings) -> int:
    """Consecutive voicings whose outer voices move in parallel fifths or octaves (one sequence or runs)."""
    return sum(parallel_outer(a, b) for run in _runs(voicings) for a, b in zip(run, run[1:], strict=False))


def bar_activity(score: Score, n_bars: int, *, skip_roles: Sequence[str] = ("vocal", "lead")) -> tuple[np.ndarray, np.ndarray]:
    """Notes per bar and mean velocity per bar over the tracks not in ``skip_roles``.

    Returns
    -------
    density : np.ndarray [shape=(n_bars,)]
    mean_velocity : np.ndarray [shape=(n_bars,)]
        0 in bars without notes.
    """
    bar_ticks = score.meters[0].bar_ticks(score.resolution)
    count = np.zeros(n_bars)
    vel = np.zeros(n_bars)
    for t in score.tracks:
        if t.role in skip_roles:
            continue
        for n in t.notes:
            b = min(n.start_tick // bar_ticks, n_bars - 1)
            count[b] += 1
            vel[b] += n.velocity
    return count, np.where(count > 0, vel / np.maximum(count, 1), 0.0)


def energy_response(score: Score, energy_per_bar: Sequence[float]) -> tuple[float, float]:
    """Spearman correlation of (notes per bar, mean velocity per bar) with the energy per bar."""
    from scipy.stats import spearmanr

    e = np.asarray(energy_per_bar, dtype=float)
    density, velocity = bar_activity(score, len(e))
    return float(spearmanr(e, density).statistic), float(spearmanr(e, velocity).statistic)


def groove_consistency(notes: Sequence[Note], *, bar_ticks: int, start_tick: int = 0, end_tick: int | None = None) -> float:
    """MusPy's groove consistency of the onsets in ``[start_tick, end_tick)``.

    ``1 - sum of Hamming distances between consecutive bars' onset vectors
    (one cell per tick) / (bar_ticks * (n_bars - 1))``; NaN for fewer than two bars.
    """
    notes = [n for n in notes if n.start_tick >= start_tick and (end_tick is None or n.start_tick < end_tick)]
    stop = end_tick if end_tick is not None else max((n.end_tick for n in notes), default=start_tick)
    n_bars = -(-(stop - start_tick) // bar_ticks)
    if n_bars < 2:
        return float("nan")
    grid = np.zeros((n_bars, bar_ticks), dtype=bool)
    for n in notes:
        bar, pos = divmod(n.start_tick - start_tick, bar_ticks)
        grid[bar, pos] = True
    return 1.0 - np.count_nonzero(grid[:-1] != grid[1:]) / (bar_ticks * (n_bars - 1))


def onset_pattern(track: Track, *, bar_ticks: int, start_tick: int = 0, end_tick: int | None = None, n_steps: int = 16) -> np.ndarray:
    """How often each step of the bar has a kick, a snare/clap/rim, a hi-hat and a ride/tambourine hit.

    Returns
    -------
    np.ndarray [shape=(4, n_steps)]
        Fraction of bars with a hit, per (kick, snare, hat, ride) group and step.
    """
    end = end_tick if end_tick is not None else track.end_tick
    n_bars = max(1, -(-(end - start_tick) // bar_ticks))
    step = bar_ticks / n_steps
    hits = np.zeros((len(_DRUM_GROUPS), n_bars, n_steps), dtype=bool)
    for n in track.notes:
        if not start_tick <= n.start_tick < end:
            continue
        bar, pos = divmod(n.start_tick - start_tick, bar_ticks)
        s = int(round(pos / step)) % n_steps
        for g, keys in enumerate(_DRUM_GROUPS):
            if n.pitch in keys:
                hits[g, bar, s] = True
    return hits.mean(axis=1)


def pattern_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two onset patterns (0 = same groove, 1 = disjoint)."""
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))
