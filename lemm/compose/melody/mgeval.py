"""Melody evaluation: MGEval features and intra/inter-set distance comparison, MusPy-style metrics.

Yang & Lerch (2018), "On the evaluation of generative models in music", reimplemented:

- per sample (a melody segment: pitches, onsets and durations in quarter notes) the features
  :data:`FEATURES`: pitch count, pitch-class histogram, pitch-class transition matrix, pitch
  range, average absolute pitch interval, average inter-onset interval, note-length histogram
  (12 classes, :data:`NOTE_LENGTHS`) and note-length transition matrix;
- per feature, Euclidean distances between the samples of one set (intra-set) and between
  the samples of two sets (inter-set);
- a Gaussian kernel density estimate of each distance distribution (Scott's bandwidth) on a
  shared grid, then the **overlapping area** ``OA = integral of min(p, q)`` and the
  **Kullback-Leibler divergence** ``KL(p || q)`` between the intra-set and inter-set densities.

Plus MusPy's scale consistency (largest share of notes in one major or minor scale) and
pitch-class entropy (bits).

Examples
--------
>>> grid = np.linspace(-4.0, 5.0, 2001)
>>> round(overlap_area(np.array([0.0]), np.array([1.0]), grid, bandwidth=0.5), 3)  # 2 * Phi(-1)
0.317
>>> scale_consistency([60, 62, 64, 65, 67, 69, 71, 61])
0.875
"""

from __future__ import annotations

import numpy as np

__all__ = ["FEATURES", "NOTE_LENGTHS", "melody_features", "distances", "kde", "overlap_area", "kl_divergence", "compare_sets", "scale_consistency", "pitch_class_entropy"]

FEATURES = ("pitch_count", "pitch_class_histogram", "pitch_class_transition_matrix", "pitch_range", "avg_pitch_interval", "avg_ioi", "note_length_histogram", "note_length_transition_matrix")
#: Note-length classes in quarter notes: whole, half, quarter, 8th, 16th, their dotted forms, triplets.
NOTE_LENGTHS = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 6.0, 3.0, 1.5, 0.75, 0.375, 2.0 / 3.0, 1.0 / 3.0])


def _length_class(durations_quarters: np.ndarray) -> np.ndarray:
    return np.argmin(np.abs(durations_quarters[:, None] - NOTE_LENGTHS[None, :]), axis=1)


def melody_features(pitches, onsets_quarters, durations_quarters) -> dict[str, np.ndarray]:
    """The eight MGEval features of one monophonic melody segment.

    Parameters
    ----------
    pitches : sequence of int [shape=(n,)]
        MIDI pitches in time order.
    onsets_quarters, durations_quarters : sequence of float [shape=(n,)]
        Onsets and durations in quarter notes.

    Returns
    -------
    dict
        Feature name -> array (scalars as shape ``(1,)``, histograms ``(12,)``, matrices ``(12, 12)``).
    """
    p = np.asarray(pitches, dtype=np.int64)
    on = np.asarray(onsets_quarters, dtype=np.float64)
    du = np.asarray(durations_quarters, dtype=np.float64)
    pc = p % 12
    pch = np.bincount(pc, minlength=12).astype(np.float64)
    pctm = np.zeros((12, 12))
    np.add.at(pctm, (pc[:-1], pc[1:]), 1.0)
    lc = _length_class(du)
    nlh = np.bincount(lc, minlength=12).astype(np.float64)
    nltm = np.zeros((12, 12))
    np.add.at(nltm, (lc[:-1], lc[1:]), 1.0)
    return {
        "pitch_count": np.array([float(len(np.unique(p)))]),
        "pitch_class_histogram": pch / max(pch.sum(), 1.0),
        "pitch_class_transition_matrix": pctm / max(pctm.sum(), 1.0),
        "pitch_range": np.array([float(p.max() - p.min()) if len(p) else 0.0]),
        "avg_pitch_interval": np.array([float(np.mean(np.abs(np.diff(p)))) if len(p) > 1 else 0.0]),
        "avg_ioi": np.array([float(np.mean(np.diff(on))) if len(on) > 1 else 0.0]),
        "note_length_histogram": nlh / max(nlh.sum(), 1.0),
        "note_length_transition_matrix": nltm / max(nltm.sum(), 1.0),
    }


def distances(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Euclidean distances: all pairs within ``a`` (``b`` None, i < j) or all of ``a`` x ``b``.

    ``a``, ``b`` are [shape=(n_samples, n_dims)]; returns a flat array.
    """
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    if b is None:
        d = np.sqrt(((a[:, None, :] - a[None, :, :]) ** 2).sum(-1))
        return d[np.triu_indices(len(a), k=1)]
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).ravel()


def kde(values: np.ndarray, grid: np.ndarray, *, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian kernel density of ``values`` on ``grid`` (Scott's rule unless ``bandwidth``), integrating to ~1."""
    v = np.asarray(values, dtype=np.float64)
    if bandwidth is None:
        std = float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
        bandwidth = std * len(v) ** (-1.0 / 5.0)
        bandwidth = max(bandwidth, 1e-3 * (grid[-1] - grid[0]))
    z = (grid[:, None] - v[None, :]) / bandwidth
    return np.exp(-0.5 * z * z).sum(axis=1) / (len(v) * bandwidth * np.sqrt(2.0 * np.pi))


def overlap_area(x: np.ndarray, y: np.ndarray, grid: np.ndarray, *, bandwidth: float | None = None) -> float:
    """Overlapping area of the densities of ``x`` and ``y`` on ``grid`` (0 disjoint .. 1 identical)."""
    return float(np.trapezoid(np.minimum(kde(x, grid, bandwidth=bandwidth), kde(y, grid, bandwidth=bandwidth)), grid))


def kl_divergence(x: np.ndarray, y: np.ndarray, grid: np.ndarray, *, bandwidth: float | None = None, eps: float = 1e-10) -> float:
    """``KL(p_x || p_y)`` in nats of the two densities on ``grid`` (each renormalised on the grid)."""
    p = kde(x, grid, bandwidth=bandwidth) + eps
    q = kde(y, grid, bandwidth=bandwidth) + eps
    p /= np.trapezoid(p, grid)
    q /= np.trapezoid(q, grid)
    return float(np.trapezoid(p * np.log(p / q), grid))


def compare_sets(sets: dict[str, list[dict]], pairs: list[tuple[str, str]], *, n_grid: int = 1000) -> dict:
    """OA and KL of intra-set vs inter-set distances for each ``(evaluated, reference)`` pair and feature.

    One grid per feature shared by every pair: ``[0, 1.1 * largest distance of any pair]``.
    Returns ``{f"{a}|{b}": {feature: {"oa": .., "kl": .., "oa_ref": .., "kl_ref": ..}}}``: ``oa``/``kl``
    compare the evaluated set's intra-set distances with the inter-set distances (MGEval's
    convention), ``oa_ref``/``kl_ref`` the reference set's.
    """
    out: dict = {f"{a}|{b}": {} for a, b in pairs}
    for feat in FEATURES:
        mats = {k: np.stack([s[feat].ravel() for s in v]) for k, v in sets.items()}
        intra = {k: distances(m) for k, m in mats.items()}
        inter = {(a, b): distances(mats[a], mats[b]) for a, b in pairs}
        top = max([float(d.max()) for d in intra.values() if len(d)] + [float(d.max()) for d in inter.values() if len(d)] + [1e-9])
        grid = np.linspace(0.0, 1.1 * top, n_grid)
        for a, b in pairs:
            d = inter[(a, b)]
            out[f"{a}|{b}"][feat] = {
                "oa": overlap_area(intra[a], d, grid), "kl": kl_divergence(intra[a], d, grid),
                "oa_ref": overlap_area(intra[b], d, grid), "kl_ref": kl_divergence(intra[b], d, grid),
            }
    return out


_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10])


def scale_consistency(pitches) -> float:
    """MusPy's scale consistency: the largest share of notes inside one major or (natural) minor scale."""
    pc = np.asarray(pitches, dtype=np.int64) % 12
    if len(pc) == 0:
        return 0.0
    best = 0.0
    for root in range(12):
        for scale in (_MAJOR, _MINOR):
            best = max(best, float(np.isin(pc, (scale + root) % 12).mean()))
    return best


def pitch_class_entropy(pitches) -> float:
    """Shannon entropy (bits) of the pitch-class histogram (MusPy)."""
    h = np.bincount(np.asarray(pitches, dtype=np.int64) % 12, minlength=12).astype(np.float64)
    if h.sum() == 0:
        return 0.0
    p = h[h > 0] / h.sum()
    return float(-(p * np.log2(p)).sum())
