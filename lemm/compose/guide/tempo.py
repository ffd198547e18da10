"""Tempo of guide audio: which metrical level of the pulse is the beat.

The onset envelope's autocorrelation gives a pulse, but not its level: the
beat, its half (eighths), its double (half notes) and, with swing or triplets,
its 2/3 and 3/2 all repeat. Each relative of the pulse (x1/4 .. x4, x2/3,
x3/2) within 50..200 bpm is a candidate; a constant-tempo grid is fitted to
each (:func:`fit_beat_grid`), and the beat is the candidate with the most
evidence, a weighted sum (:data:`EVIDENCE_WEIGHTS`) of:

- **fit**: log of the grid's mean onset strength against the best grid's (a
  candidate under half of it is no metrical level and is not considered);
- **support**: the same for every other beat of the grid (a beat level has a
  strong level above it; a 3/4 or 4/3 relative of the beat does not);
- **sub_full**: how full the subdivision is: the onsets between the grid's
  beats, straight (0.5) or swung (0.55..0.67: a long-short pair of eighths is
  one beat), against those on the beats (at twice the tempo the in-between
  points are sixteenths: nearly empty);
- **parity**: the weaker of even and odd beats against the stronger, in the
  loudness-weighted band below 2.5 kHz (at twice the tempo every other beat is
  an off-beat eighth);
- **equal_halves**: how much the straight half-beats reach the beats' strength
  in that band (at half the tempo the "half-beats" are beats), counted against;
- **bar**, **bar_harmony**: how much one beat in every 4 (or 3) stands out by
  chord and bass change, kick and, against it, the snare band: the bar line
  (at half or twice the tempo the bar cycle no longer has 4 or 3 beats);
- **prior**: ``log2(bpm / 110) ** 2``, weighted negative: a log-normal
  preference around 110 bpm; **fast**: ``log2(bpm / 110)``, a lean towards the
  faster of two levels with the same evidence;
- **ternary**: 1 for the x1/3, x2/3, x3/2, x3 relatives of the pulse, counted
  against (swing and triplets make them repeat too).

The weights were fitted (a softmax over each song's candidates, lightly
regularised, rounded) on a development set of 115 songs: 79 composed and
rendered by lemm at 72..167 bpm, straight and swung, 12 genres, and 36
:func:`~lemm.compose.guide.testsignal.make_test_guide` signals at 74..170 bpm
in 4/4 and 3/4 (``tools/fit_tempo_weights.py`` renders the set and refits).
``benchmarks/analyze.py`` measures them on a separate set of 22 lemm songs
(70..170 bpm, seeds and prompts of its own).

Examples
--------
>>> import numpy as np
>>> fps = 86.0
>>> env = np.zeros(int(fps * 20))
>>> env[np.round(np.arange(0, 20, 0.6) * fps).astype(int)] = 1.0  # 100 bpm clicks
>>> period, phase, score = fit_beat_grid(env, fps * 0.6)
>>> round(60 * fps / period, 1), round(phase, 1)
(100.0, 0.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["EVIDENCE_WEIGHTS", "CANDIDATE_RATIOS", "TEMPO_RANGE_BPM", "autocorr", "comb", "fit_beat_grid", "at", "beat_sync", "cos_change", "zscore", "bar_cues", "bar_contrast", "tempo_candidates", "candidate_evidence", "choose_tempo"]

#: Relatives of the autocorrelation's pulse that may be the beat.
CANDIDATE_RATIOS = (0.25, 1.0 / 3.0, 0.5, 2.0 / 3.0, 1.0, 1.5, 2.0, 3.0, 4.0)
#: Range of beat tempos considered, bpm.
TEMPO_RANGE_BPM = (50.0, 200.0)
#: Weights of the evidence for a candidate beat level (see the module docstring).
EVIDENCE_WEIGHTS = {"fit": 1.7, "support": 0.9, "sub_full": 2.0, "parity": 2.1, "bar": 1.3, "bar_harmony": 1.5, "prior": -2.0, "fast": 2.5, "ternary": -1.8, "equal_halves": -0.8}
_SWING_POSITIONS = (0.5, 0.55, 0.6, 0.65, 2.0 / 3.0)


def autocorr(x: np.ndarray) -> np.ndarray:
    """Autocorrelation of ``x`` (mean removed), normalised to 1 at lag 0 [shape=(len(x),)]."""
    n = len(x)
    x = x - x.mean()
    f = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(f * np.conj(f))[:n]
    return ac / (ac[0] + 1e-12)


def comb(env: np.ndarray, period: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Mean of ``env`` on grids ``phase + k * period`` [shape=(len(period), len(phase))] (linear interpolation)."""
    n = len(env)
    out = np.empty((len(period), len(phase)))
    frames = np.arange(n, dtype=float)
    for i, p in enumerate(period):
        k = np.arange(int((n - 1) / p) + 1)
        t = phase[:, None] + k[None, :] * p
        vals = np.interp(t, frames, env, right=np.nan)
        out[i] = np.nanmean(vals, axis=1)
    return out


def fit_beat_grid(env: np.ndarray, period_frames: float, *, spread: float = 0.04) -> tuple[float, float, float]:
    """The constant-tempo beat grid that sits best on an onset envelope.

    Parameters
    ----------
    env : np.ndarray [shape=(n_frames,)]
        Onset envelope.
    period_frames : float
        Approximate beat period in frames.
    spread : float
        Relative range of periods searched around ``period_frames``.

    Returns
    -------
    (period_frames, phase_frames, score) : tuple[float, float, float]
        Beat ``k`` is at frame ``phase_frames + k * period_frames``; ``score`` is
        the mean envelope on the grid.
    """
    periods = period_frames * (1.0 + np.linspace(-spread, spread, 41))
    phases = np.arange(0.0, period_frames * (1 + spread), 0.5)
    grid = comb(env, periods, phases)
    i, j = np.unravel_index(int(np.nanargmax(grid)), grid.shape)
    p0, f0 = periods[i], phases[j]
    step = periods[1] - periods[0]
    fine_p = p0 + np.linspace(-step, step, 21)
    fine_f = f0 + np.linspace(-0.75, 0.75, 7)
    grid = comb(env, fine_p, fine_f)
    i, j = np.unravel_index(int(np.nanargmax(grid)), grid.shape)
    phase = float(fine_f[j]) % float(fine_p[i])
    return float(fine_p[i]), phase, float(grid[i, j])


def at(env: np.ndarray, frames: np.ndarray, radius: int = 2) -> np.ndarray:
    """Max of ``env`` within ``radius`` frames of each (fractional) frame."""
    idx = np.clip(np.round(frames).astype(int)[:, None] + np.arange(-radius, radius + 1)[None, :], 0, len(env) - 1)
    return env[idx].max(axis=1)


def beat_sync(x: np.ndarray, bounds: np.ndarray, *, median: bool = False) -> np.ndarray:
    """Mean (or median: robust to drum transients) of columns of ``x`` [d, n_frames] between successive frame bounds -> [n_segments, d]."""
    out = np.zeros((len(bounds) - 1, x.shape[0]))
    reduce = np.median if median else np.mean
    for i in range(len(bounds) - 1):
        a, b = int(round(bounds[i])), max(int(round(bounds[i + 1])), int(round(bounds[i])) + 1)
        out[i] = reduce(x[:, a:b], axis=1) if a < x.shape[1] else 0.0
    return out


def cos_change(v: np.ndarray) -> np.ndarray:
    """1 - cosine similarity of each row of ``v`` with the previous one (0 for the first)."""
    n = np.linalg.norm(v, axis=1) + 1e-9
    u = v / n[:, None]
    out = np.zeros(len(v))
    out[1:] = 1.0 - np.sum(u[1:] * u[:-1], axis=1)
    return out


def zscore(x: np.ndarray) -> np.ndarray:
    """``x`` less its mean, over its standard deviation (zeros if constant)."""
    s = x.std()
    return (x - x.mean()) / s if s > 1e-12 else x * 0.0


def bar_cues(f: dict, beat_frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per beat: the downbeat cue (chord, bass, kick and snare-band changes) and its harmonic part alone (z-scores)."""
    step = float(np.median(np.diff(beat_frames))) if len(beat_frames) > 1 else 1.0
    bounds = np.append(beat_frames, beat_frames[-1] + step)
    ch = cos_change(beat_sync(f["chroma"], bounds, median=True))
    bs = cos_change(beat_sync(f["bass"], bounds, median=True))
    if len(ch) > 1:
        ch[0], bs[0] = ch[1:].mean(), bs[1:].mean()  # no change is measurable at the first beat
    harmony = zscore(ch) + 0.7 * zscore(bs)
    return harmony + 0.7 * zscore(at(f["low_lin"], beat_frames)) + 0.3 * zscore(at(f["mid_lin"], beat_frames)), harmony


def bar_contrast(cue: np.ndarray) -> float:
    """How much the strongest position of a 4- or 3-beat cycle stands out."""
    best = 0.0
    for n in (4, 3):
        if len(cue) >= 2 * n:
            best = max(best, max(float(cue[p::n].mean() - cue.mean()) for p in range(n)))
    return best


def tempo_candidates(env: np.ndarray, fps: float) -> list[tuple[float, bool]]:
    """The autocorrelation's pulse (log-normal preference around 115 bpm) and its relatives in 50..200 bpm.

    Parameters
    ----------
    env : np.ndarray [shape=(n_frames,)]
        Onset envelope.
    fps : float
        Its frame rate, frames per second.

    Returns
    -------
    list of (bpm, ternary) : list[tuple[float, bool]]
        Slowest first; ``ternary`` for the x1/3, x2/3, x3/2, x3 relatives (rather than the binary ones).
    """
    ac = autocorr(env)
    bpms = np.exp(np.linspace(np.log(40.0), np.log(240.0), 400))
    sal = np.interp(fps * 60.0 / bpms, np.arange(len(ac)), ac)
    prior = np.exp(-0.5 * (np.log2(bpms / 115.0) / 1.2) ** 2)
    bpm0 = float(bpms[int(np.argmax(sal * prior))])
    out: list[tuple[float, bool]] = []
    for r in sorted(CANDIDATE_RATIOS, key=lambda r: (r not in (0.25, 0.5, 1.0, 2.0, 4.0), r)):
        bpm = bpm0 * r
        if TEMPO_RANGE_BPM[0] <= bpm <= TEMPO_RANGE_BPM[1] and not any(abs(bpm / b - 1.0) < 0.03 for b, _ in out):
            out.append((bpm, r not in (0.25, 0.5, 1.0, 2.0, 4.0)))
    return sorted(out) or [(float(np.clip(bpm0, *TEMPO_RANGE_BPM)), False)]


def candidate_evidence(f: dict, env: np.ndarray, bpm: float, *, ternary: bool = False) -> dict:
    """Fitted grid (``period``, ``phase`` in frames, ``score``) and the evidence features of one candidate tempo."""
    fps = f["fps"]
    period, phase, score = fit_beat_grid(env, fps * 60.0 / bpm)
    n = int((len(env) - 1 - phase) / period) + 1
    beats = phase + np.arange(n) * period
    out = {"bpm": 60.0 * fps / period, "period": period, "phase": phase, "score": score}
    on = at(f["full"], beats)
    between = max(float(at(f["full"], beats[:-1] + o * period, radius=1).mean()) for o in _SWING_POSITIONS) if n > 1 else 0.0
    out["sub_full"] = float(np.log(min(between / (float(on.mean()) + 1e-12), 0.5) + 0.02))
    on = at(f["weighted"], beats)
    halfway = float(at(f["weighted"], beats[:-1] + 0.5 * period).mean()) if n > 1 else 0.0
    out["equal_halves"] = float(np.clip(halfway / (float(on.mean()) + 1e-12) - 0.75, 0.0, 1.0))
    pairs = on[: n // 2 * 2].reshape(-1, 2).mean(axis=0) if n >= 2 else np.ones(2)
    out["parity"] = float(np.log(pairs.min() / (pairs.max() + 1e-12) + 0.05))
    half = [float(at(env, beats[k::2], radius=1).mean()) for k in range(min(2, n))]
    out["half_score"] = max(half)
    cue, harmony = bar_cues(f, beats)
    out["bar"], out["bar_harmony"] = bar_contrast(cue), bar_contrast(harmony)
    out["prior"] = float(np.log2(out["bpm"] / 110.0) ** 2)
    out["fast"] = float(np.log2(out["bpm"] / 110.0))
    out["ternary"] = float(ternary)
    return out


def choose_tempo(f: dict, env: np.ndarray, *, weights: dict | None = None) -> tuple[dict, list[dict]]:
    """The candidate beat level with the most evidence, and all candidates with their ``evidence`` sums.

    Parameters
    ----------
    f : dict
        Features of the guide: ``fps`` and per-frame ``weighted``, ``full``,
        ``low_lin``, ``mid_lin`` onset envelopes, ``chroma`` and ``bass``
        [shape=(12, n_frames)].
    env : np.ndarray [shape=(n_frames,)]
        Onset envelope the grids are fitted to.
    weights : dict, optional
        Evidence weights; default :data:`EVIDENCE_WEIGHTS`.

    Returns
    -------
    best : dict
        The chosen candidate: ``bpm``, grid ``period`` and ``phase`` (frames),
        ``score`` (mean envelope on the grid), each evidence feature and the
        weighted sum ``evidence``.
    candidates : list of dict
        All candidates alike, slowest first (``evidence`` is ``-inf`` for those
        that are no metrical level).
    """
    w = EVIDENCE_WEIGHTS if weights is None else weights
    cands = [candidate_evidence(f, env, bpm, ternary=t) for bpm, t in tempo_candidates(env, f["fps"])]
    best_score = max(c["score"] for c in cands)
    for c in cands:
        c["fit"] = float(np.log(max(c["score"], 1e-12) / max(best_score, 1e-12)))
        c["support"] = float(np.log(max(c["half_score"], 1e-12) / max(best_score, 1e-12)))
        metrical = c["score"] >= 0.5 * best_score
        c["evidence"] = sum(w[k] * c[k] for k in w) if metrical else -np.inf
    return max(cands, key=lambda c: c["evidence"]), cands
