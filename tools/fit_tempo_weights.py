"""Refit :data:`lemm.compose.guide.tempo.EVIDENCE_WEIGHTS` on a development set; prints the weights and accuracies.

The development set: 79 songs composed and rendered by lemm (30 s, seeds
100..139, :data:`DEV_SONGS`: genre, tempo 72..167 bpm, straight or swung) and
36 :func:`~lemm.compose.guide.testsignal.make_test_guide` signals (74..170
bpm, 4/4 and 3/4). ``benchmarks/analyze.py`` is the held-out check (its own
22 songs, seeds 0..21); the same evidence is read for them and reported, not
fitted. The fit is a softmax over each song's metrical candidates (the true
tempo within 2 %), an L2 pull towards the current weights, rounded to 0.1.

Run: ``python tools/fit_tempo_weights.py [--cache DIR] [--l2 0.05]`` (the
rendered songs are kept in ``--cache``; a first run renders them, a few
minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import analyze  # noqa: E402  (benchmarks/analyze.py: the renderer and the benchmark songs)

from lemm.compose.guide import analyze_audio_array, tempo
from lemm.compose.guide import audio as guide_audio
from lemm.compose.guide.testsignal import make_test_guide

SR = analyze.SR
GENRES = analyze.GENRES


#: The 79 rendered development songs: (prompt, seed).
DEV_SONGS = (
    ('funk 72 bpm straight', 100),
    ('rock 72 bpm straight', 100),
    ('edm 72 bpm swung', 101),
    ('folk 72 bpm swung', 101),
    ('country 77 bpm straight', 102),
    ('hip-hop 77 bpm straight', 102),
    ('folk 77 bpm swung', 103),
    ('funk 77 bpm swung', 103),
    ('hip-hop 82 bpm straight', 104),
    ('pop 82 bpm straight', 104),
    ('hip-hop 82 bpm swung', 105),
    ('pop 82 bpm swung', 105),
    ('ballad 87 bpm straight', 106),
    ('indie 87 bpm straight', 106),
    ('pop 87 bpm swung', 107),
    ('rnb 87 bpm swung', 107),
    ('ballad 92 bpm straight', 108),
    ('rock 92 bpm straight', 108),
    ('edm 92 bpm swung', 109),
    ('indie 92 bpm swung', 109),
    ('country 97 bpm straight', 110),
    ('rnb 97 bpm straight', 110),
    ('ballad 97 bpm swung', 111),
    ('folk 97 bpm swung', 111),
    ('hip-hop 102 bpm straight', 112),
    ('lofi 102 bpm straight', 112),
    ('pop 102 bpm swung', 113),
    ('rnb 102 bpm swung', 113),
    ('ballad 107 bpm straight', 114),
    ('rock 107 bpm straight', 114),
    ('lofi 107 bpm swung', 115),
    ('rnb 107 bpm swung', 115),
    ('edm 112 bpm straight', 116),
    ('rock 112 bpm straight', 116),
    ('edm 112 bpm swung', 117),
    ('rock 112 bpm swung', 117),
    ('cinematic 117 bpm straight', 118),
    ('country 117 bpm straight', 118),
    ('edm 117 bpm swung', 119),
    ('folk 117 bpm swung', 119),
    ('country 122 bpm straight', 120),
    ('hip-hop 122 bpm straight', 120),
    ('cinematic 122 bpm swung', 121),
    ('pop 122 bpm swung', 121),
    ('ballad 127 bpm straight', 122),
    ('folk 127 bpm straight', 122),
    ('country 127 bpm swung', 123),
    ('rnb 127 bpm swung', 123),
    ('funk 132 bpm straight', 124),
    ('rock 132 bpm straight', 124),
    ('edm 132 bpm swung', 125),
    ('folk 132 bpm swung', 125),
    ('country 137 bpm straight', 126),
    ('hip-hop 137 bpm straight', 126),
    ('folk 137 bpm swung', 127),
    ('funk 137 bpm swung', 127),
    ('hip-hop 142 bpm straight', 128),
    ('pop 142 bpm straight', 128),
    ('hip-hop 142 bpm swung', 129),
    ('pop 142 bpm swung', 129),
    ('ballad 147 bpm straight', 130),
    ('indie 147 bpm straight', 130),
    ('pop 147 bpm swung', 131),
    ('rnb 147 bpm swung', 131),
    ('rock 152 bpm straight', 132),
    ('edm 152 bpm swung', 133),
    ('indie 152 bpm swung', 133),
    ('country 157 bpm straight', 134),
    ('rnb 157 bpm straight', 134),
    ('ballad 157 bpm swung', 135),
    ('folk 157 bpm swung', 135),
    ('hip-hop 162 bpm straight', 136),
    ('lofi 162 bpm straight', 136),
    ('pop 162 bpm swung', 137),
    ('rnb 162 bpm swung', 137),
    ('ballad 167 bpm straight', 138),
    ('rock 167 bpm straight', 138),
    ('lofi 167 bpm swung', 139),
    ('rnb 167 bpm swung', 139),
)


def candidates(y: np.ndarray) -> list[dict]:
    """The evidence of every tempo candidate of one guide (as ``choose_tempo`` saw it)."""
    seen: list = []
    choose = guide_audio.choose_tempo

    def capture(f, env, *, weights=None):
        best, cands = choose(f, env, weights=weights)
        seen.append(cands)
        return best, cands

    guide_audio.choose_tempo = capture
    try:
        analyze_audio_array(y, sample_rate=SR)
    finally:
        guide_audio.choose_tempo = choose
    return seen[0]


def table(cands: list[dict], true_bpm: float, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    best = max(c["score"] for c in cands)
    metrical = [c for c in cands if c["score"] >= 0.5 * best]
    x = np.array([[c[k] for k in keys] for c in metrical])
    ok = np.array([abs(c["bpm"] / true_bpm - 1.0) <= 0.02 for c in metrical])
    return x, ok


def accuracy(rows, w) -> tuple[float, list[str]]:
    misses = [name for name, x, ok in rows if not ok[int(np.argmax(x @ w))]]
    return 1.0 - len(misses) / len(rows), misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=str(ROOT / ".cache" / "tempo_dev"), help="folder for the rendered songs")
    parser.add_argument("--l2", type=float, default=0.05, help="pull towards the current weights")
    args = parser.parse_args()
    cache = Path(args.cache)
    keys = list(tempo.EVIDENCE_WEIGHTS)
    dev, bench = [], []
    for prompt, seed in DEV_SONGS:
        got = analyze._render_lemm(prompt, 30.0, seed, cache=cache)
        if got is not None:
            dev.append((prompt, *table(candidates(got["y"]), got["bpm"], keys)))
    for i, bpm in enumerate(np.linspace(74, 170, 18)):
        for beats_per_bar in (4, 3):
            y, _ = make_test_guide(tempo_bpm=float(round(bpm)), form=(("verse", 4), ("chorus", 4), ("verse", 4)),
                                   beats_per_bar=beats_per_bar, swing=0.3 if i % 2 else 0.0, sample_rate=SR, seed=200 + i)
            dev.append((f"test signal {round(bpm)} bpm {beats_per_bar}/4", *table(candidates(y), float(round(bpm)), keys)))
    for i, bpm in enumerate(range(70, 171, 10)):
        for swung in (0, 1):
            prompt = f"{GENRES[(2 * i + swung) % len(GENRES)]} {bpm} bpm" + (" swung" if swung else " straight")
            got = analyze._render_lemm(prompt, 30.0, seed=2 * i + swung, cache=cache)
            if got is not None:
                bench.append((prompt, *table(candidates(got["y"]), got["bpm"], keys)))
    w0 = np.array([tempo.EVIDENCE_WEIGHTS[k] for k in keys])
    usable = [(x, ok) for _, x, ok in dev if ok.any()]

    def loss(w: np.ndarray) -> float:
        total = 0.0
        for x, ok in usable:
            s = x @ w
            m = s.max()
            total -= np.log(np.exp(s[ok] - m).sum()) - np.log(np.exp(s - m).sum())
        return total / len(usable) + args.l2 * float(np.sum((w - w0) ** 2))

    w = np.round(minimize(loss, w0, method="L-BFGS-B").x, 1)
    print("current:", dict(zip(keys, w0.tolist(), strict=True)))
    print("  development", accuracy(dev, w0), "\n  benchmark", accuracy(bench, w0))
    print("fitted:", dict(zip(keys, w.tolist(), strict=True)))
    print("  development", accuracy(dev, w), "\n  benchmark", accuracy(bench, w))
    return 0


if __name__ == "__main__":
    sys.exit(main())
