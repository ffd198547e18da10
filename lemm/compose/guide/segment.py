"""Section boundaries and section kinds from one feature vector per bar.

1. **Boundaries** (novelty): the bars' features are z-scored and compared by
   cosine similarity (a self-similarity matrix); a Gaussian-tapered checkerboard
   kernel slid along its diagonal peaks where the music changes, and a jump in
   bar energy adds to that. Peaks are picked greedily, strongest first, at least
   ``min_bars`` apart, with a preference for 4-bar phrase lines.
2. **Labels** (repetition): each segment gets the label of the most similar
   earlier segment (mean similarity of bars aligned from their starts) when that
   similarity is high, else a new letter; neighbours with one label merge.
3. **Kinds**: the label that repeats and is loudest is the chorus; the most
   repeated other label is the verse; a quiet first segment is the intro and a
   quiet last one the outro; short segments just before a chorus are
   pre-choruses, just after one post-choruses; other one-off segments are a
   bridge, or a break when they are quiet.

Examples
--------
>>> import numpy as np
>>> a, b = np.array([1.0, 1, 1, 0, 0, 0]), np.array([0.0, 0, 0, 1, 1, 1])
>>> feats = np.array([a] * 8 + [b] * 8 + [a] * 8 + [b] * 8) + np.random.default_rng(0).normal(0.0, 0.01, (32, 6))
>>> energy = np.array([0.4] * 8 + [0.8] * 8 + [0.4] * 8 + [0.8] * 8)
>>> [(s, n, k) for s, n, k, _ in segment_bars(feats, energy)]
[(0, 8, 'verse'), (8, 8, 'chorus'), (16, 8, 'verse'), (24, 8, 'chorus')]
"""

from __future__ import annotations

import numpy as np

__all__ = ["self_similarity", "novelty", "pick_boundaries", "label_segments", "segment_bars"]


def self_similarity(features: np.ndarray) -> np.ndarray:
    """Cosine similarity of z-scored bar features [shape=(n_bars, n_bars)], values in -1..1."""
    x = np.asarray(features, dtype=float)
    x = x - x.mean(axis=0)
    sd = x.std(axis=0)
    floor = max(0.25 * float(np.median(sd)) if sd.size else 0.0, 1e-9)
    x = x / np.maximum(sd, floor)  # the floor keeps near-constant features from being blown up
    norm = np.linalg.norm(x, axis=1)
    x = x / np.where(norm > 1e-9, norm, 1.0)[:, None]
    return np.clip(x @ x.T, -1.0, 1.0)


def novelty(ssm: np.ndarray, *, half_width: int = 4) -> np.ndarray:
    """Checkerboard novelty [shape=(n_bars,)]: value ``i`` scores a boundary before bar ``i`` (0 at i = 0)."""
    n = ssm.shape[0]
    out = np.zeros(n)
    L = half_width
    offs = np.arange(-L, L)
    taper = np.exp(-0.5 * ((offs + 0.5) / (0.6 * L)) ** 2)
    sign = np.where(offs < 0, -1.0, 1.0)
    kernel = np.outer(sign, sign) * np.outer(taper, taper)
    for i in range(1, n):
        idx = i + offs
        ok = (idx >= 0) & (idx < n)
        k = kernel[np.ix_(ok, ok)]
        block = ssm[np.ix_(idx[ok], idx[ok])]
        pos = k > 0
        if not (k < 0).any():
            continue
        # same-side similarity minus cross similarity, each as a weighted mean
        out[i] = float((k[pos] * block[pos]).sum() / k[pos].sum() + (k[~pos] * block[~pos]).sum() / -k[~pos].sum())
    return np.maximum(out, 0.0)


def pick_boundaries(score: np.ndarray, *, min_bars: int = 2, threshold: float | None = None) -> list[int]:
    """Bars where sections start (always 0), picked strongest first, ``min_bars`` apart.

    ``threshold`` defaults to the mean plus 0.3 standard deviations of ``score[1:]``.
    """
    n = len(score)
    if n <= min_bars:
        return [0]
    body = score[1:]
    thr = float(body.mean() + 0.3 * body.std()) if threshold is None else threshold
    chosen = [0]
    for i in np.argsort(-score, kind="stable"):
        i = int(i)
        if i == 0 or score[i] <= thr or score[i] <= 0:
            continue
        left, right = score[i - 1], score[i + 1] if i + 1 < n else -np.inf
        if score[i] < left or score[i] < right:
            continue  # not a local peak
        if all(abs(i - c) >= min_bars for c in chosen) and n - i >= min_bars:
            chosen.append(i)
    return sorted(chosen)


def label_segments(ssm: np.ndarray, bounds: list[int], *, threshold: float = 0.45) -> list[str]:
    """A repetition label ("A", "B"...) per segment; equal labels mean "sounds the same"."""
    n = ssm.shape[0]
    spans = [(b, (bounds[i + 1] if i + 1 < len(bounds) else n)) for i, b in enumerate(bounds)]
    labels: list[str] = []
    for i, (s, e) in enumerate(spans):
        best, best_sim = None, threshold
        for j in range(i):
            s2, e2 = spans[j]
            m = min(e - s, e2 - s2)
            sim = float(np.mean([ssm[s + k, s2 + k] for k in range(m)]))
            if sim > best_sim:
                best, best_sim = labels[j], sim
        labels.append(best if best is not None else chr(ord("A") + len(set(labels)) % 26))
    return labels


def _kinds(spans: list[tuple[int, int]], labels: list[str], energy: np.ndarray) -> list[str]:
    seg_e = [float(energy[s:e].mean()) for s, e in spans]
    count = {lab: labels.count(lab) for lab in labels}
    mean_e = {lab: float(np.mean([seg_e[i] for i in range(len(spans)) if labels[i] == lab])) for lab in labels}
    repeated = [lab for lab in mean_e if count[lab] >= 2]
    pool = repeated or list(mean_e)
    top = max(mean_e[lab] for lab in pool)
    chorus = max((lab for lab in pool if mean_e[lab] >= top - 0.04), key=lambda lab: (count[lab], mean_e[lab]))
    others = [lab for lab in repeated if lab != chorus]
    verse = max(others, key=lambda lab: (count[lab], -abs(mean_e[lab] - 0.5))) if others else None
    ref = mean_e[verse] if verse is not None else float(np.median(seg_e))
    kinds = []
    n_seg = len(spans)
    for i, ((s, e), lab) in enumerate(zip(spans, labels, strict=True)):
        bars = e - s
        nxt = labels[i + 1] if i + 1 < n_seg else None
        prv = labels[i - 1] if i > 0 else None
        if lab == chorus:
            kind = "chorus"
        elif i == 0 and n_seg > 1 and bars <= 8 and (count[lab] == 1 or seg_e[i] < ref - 0.08):
            kind = "intro"
        elif i == n_seg - 1 and n_seg > 1 and bars <= 12 and (count[lab] == 1 or seg_e[i] < ref - 0.08):
            kind = "outro"
        elif lab == verse:
            kind = "verse"
        elif nxt == chorus and bars <= 4:
            kind = "pre-chorus"
        elif prv == chorus and bars <= 4:
            kind = "post-chorus"
        elif seg_e[i] < ref - 0.08:
            kind = "break"
        elif count[lab] == 1 and i > 0:
            kind = "bridge"
        else:
            kind = "verse"
        kinds.append(kind)
    if "chorus" not in kinds:
        kinds[int(np.argmax(seg_e))] = "chorus"
    return kinds


def segment_bars(features: np.ndarray, energy: np.ndarray, *, min_bars: int = 2, phrase_bars: int = 4, fixed_bounds: list[int] | None = None) -> list[tuple[int, int, str, str]]:
    """Sections of a song from per-bar features (see the module docstring).

    Parameters
    ----------
    features : np.ndarray [shape=(n_bars, n_features)]
        One feature vector per bar (chroma, timbre, note density...).
    energy : np.ndarray [shape=(n_bars,)]
        Energy per bar, 0..1.
    min_bars : int
        Shortest section.
    phrase_bars : int
        Boundaries on multiples of this many bars are preferred.
    fixed_bounds : list of int, optional
        Boundaries known already (e.g. from MIDI markers); only labels and kinds are found.

    Returns
    -------
    list of (start_bar, bars, kind, label)
        Back to back, covering every bar.
    """
    x = np.asarray(features, dtype=float)
    e = np.asarray(energy, dtype=float)
    n = x.shape[0]
    if n == 0:
        return []
    ssm = self_similarity(x) if n > 1 else np.ones((1, 1))
    if fixed_bounds is not None:
        bounds = sorted(set([0] + [b for b in fixed_bounds if 0 < b < n]))
    elif n < 2 * min_bars + 1:
        bounds = [0]
    else:
        nov = novelty(ssm, half_width=4)
        de = np.zeros(n)
        for i in range(1, n):
            de[i] = abs(e[max(0, i - 2) : i].mean() - e[i : i + 2].mean())
        score = nov / (nov.max() + 1e-9) + 0.5 * de / (de.max() + 1e-9)
        prior = np.array([1.0 if i % phrase_bars == 0 else 0.8 if i % 2 == 0 else 0.6 for i in range(n)])
        bounds = pick_boundaries(score * prior, min_bars=min_bars)
    labels = label_segments(ssm, bounds)
    # merge neighbours with one label
    merged_b, merged_l = [bounds[0]], [labels[0]]
    for b, lab in zip(bounds[1:], labels[1:], strict=True):
        if lab != merged_l[-1] or fixed_bounds is not None:
            merged_b.append(b)
            merged_l.append(lab)
    spans = [(b, merged_b[i + 1] if i + 1 < len(merged_b) else n) for i, b in enumerate(merged_b)]
    kinds = _kinds(spans, merged_l, e)
    return [(s, e_ - s, k, lab) for (s, e_), k, lab in zip(spans, kinds, merged_l, strict=True)]
