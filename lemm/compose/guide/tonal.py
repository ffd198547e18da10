"""Key and chord estimation from pitch-class weights (shared by guide audio and guide MIDI).

The key is the one of 24 whose Krumhansl-Kessler profile correlates best with
the song's pitch-class weights (chroma energy for audio, note durations for
MIDI), with small bonuses for a key whose tonic is the bass of the first and
last bars, and whose tonic chord is the first or last chord (songs start and
end at home; this separates a major key from its relative minor, which share
their notes). Chords are found per bar by
matching the bar's pitch classes against triad and seventh-chord templates.

Examples
--------
>>> import numpy as np
>>> c_major_scale = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=float)
>>> weights = c_major_scale + 2 * np.eye(12)[0] + np.eye(12)[7] + np.eye(12)[4]
>>> estimate_key(weights)[:2]
('C', 'major')
>>> chord_for_bar(np.eye(12)[[9, 0, 4]].sum(axis=0), bass_pc=9)
'Am'
"""

from __future__ import annotations

import numpy as np

from lemm.score.harmony import parse_chord

__all__ = ["KK_MAJOR", "KK_MINOR", "key_scores", "estimate_key", "key_evidence_from_chords", "chord_for_bar", "KEY_NAMES"]

#: Krumhansl-Kessler key profiles (probe-tone ratings), tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

#: Spelling of each tonic pitch class per mode (names in lemm.score.model.PITCH_CLASSES).
KEY_NAMES = {
    "major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    "minor": ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"),
}
_CHORD_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# quality suffix -> (intervals, prior weight)
_QUALITIES = (("", (0, 4, 7), 1.0), ("m", (0, 3, 7), 1.0), ("7", (0, 4, 7, 10), 0.9), ("maj7", (0, 4, 7, 11), 0.88), ("m7", (0, 3, 7, 10), 0.9), ("dim", (0, 3, 6), 0.8), ("sus4", (0, 5, 7), 0.8))


def _z(x: np.ndarray) -> np.ndarray:
    s = x.std()
    return (x - x.mean()) / s if s > 1e-12 else x * 0.0


def key_scores(pc_weights: np.ndarray) -> np.ndarray:
    """Correlation of ``pc_weights`` with the 24 key profiles.

    Parameters
    ----------
    pc_weights : np.ndarray [shape=(12,)]
        Non-negative weight per pitch class (C = 0).

    Returns
    -------
    np.ndarray [shape=(24,)]
        Pearson correlation per key: indices 0..11 major on C..B, 12..23 minor.
    """
    w = _z(np.asarray(pc_weights, dtype=float))
    out = np.empty(24)
    for tonic in range(12):
        out[tonic] = np.mean(w * _z(np.roll(KK_MAJOR, tonic)))
        out[12 + tonic] = np.mean(w * _z(np.roll(KK_MINOR, tonic)))
    return out


def key_evidence_from_chords(symbols: list[str], weights: list[float]) -> np.ndarray:
    """Evidence per key [shape=(24,)] from chords that usually are the tonic chord (first and last of a song).

    A major chord on pitch class r supports r major, a minor one r minor, each by its weight.
    """
    out = np.zeros(24)
    for symbol, w in zip(symbols, weights, strict=True):
        chord = parse_chord(symbol)
        minor = 3 in [(pc - chord.root_pc) % 12 for pc in chord.pitch_classes] and 4 not in [(pc - chord.root_pc) % 12 for pc in chord.pitch_classes]
        out[chord.root_pc + (12 if minor else 0)] += w
    return out


def estimate_key(
    pc_weights: np.ndarray, *, tonic_weights: np.ndarray | None = None, tonic_bonus: float = 0.12, key_weights: np.ndarray | None = None, key_bonus: float = 0.1
) -> tuple[str, str, float]:
    """The most likely key of pitch-class weights.

    Parameters
    ----------
    pc_weights : np.ndarray [shape=(12,)]
        Weight per pitch class over the whole song.
    tonic_weights : np.ndarray [shape=(12,)], optional
        Evidence for each pitch class being the tonic (e.g. the bass of the first
        and last bars), 0..1; ``tonic_bonus * tonic_weights[tonic]`` is added to
        each key's correlation.
    tonic_bonus : float
        Weight of that evidence.
    key_weights : np.ndarray [shape=(24,)], optional
        Evidence per key (0..1; e.g. from :func:`key_evidence_from_chords`), added
        times ``key_bonus``: it separates a minor key from its relative major.
    key_bonus : float
        Weight of that evidence.

    Returns
    -------
    (tonic, mode, confidence) : tuple[str, str, float]
        Confidence is the margin of the best score over the second best.
    """
    scores = key_scores(pc_weights)
    if tonic_weights is not None:
        tw = np.asarray(tonic_weights, dtype=float)
        scores = scores + tonic_bonus * np.concatenate([tw, tw])
    if key_weights is not None:
        scores = scores + key_bonus * np.asarray(key_weights, dtype=float)
    order = np.argsort(-scores, kind="stable")
    best = int(order[0])
    mode = "major" if best < 12 else "minor"
    return KEY_NAMES[mode][best % 12], mode, float(scores[order[0]] - scores[order[1]])


def chord_for_bar(pc_weights: np.ndarray, *, bass_pc: int | None = None) -> str:
    """The chord symbol that best explains one bar's pitch-class weights.

    Each (root, quality) template is scored by the share of the bar's weight on
    its notes minus a penalty for its notes that are absent, times a prior;
    the bass note, when given, favours chords rooted on it.

    Returns
    -------
    str
        A symbol :func:`lemm.score.harmony.parse_chord` reads (``"Am"``,
        ``"G7"``...); ``"C"`` for an empty bar.
    """
    w = np.asarray(pc_weights, dtype=float)
    total = float(w.sum())
    if total <= 1e-12:
        return "C"
    w = w / total
    best, best_score = "C", -np.inf
    for root in range(12):
        for suffix, intervals, prior in _QUALITIES:
            pcs = [(root + i) % 12 for i in intervals]
            covered = float(w[pcs].sum())
            missing = sum(1 for p in pcs if w[p] < 0.03) / len(pcs)
            score = (covered - 0.5 * missing - 0.04 * (len(pcs) - 3)) * prior
            if bass_pc is not None and bass_pc % 12 == root:
                score += 0.08
            if score > best_score + 1e-12:
                best, best_score = _CHORD_NAMES[root] + suffix, score
    return best
