"""Vocal render speed: the sung stems (lead and backing) of a composed pop song, as the render stage makes them. One JSON line.

The song is :mod:`benchmarks.e2e`'s (``examples/lyrics.txt``, "an upbeat pop song about a summer
night", seed 1, 3:30 by default). Its vocal tracks are rendered slice by slice exactly as
``Song.save`` renders them (:func:`lemm.render.stems.render_stems` with ``track_names``, no
cache), side by side on this machine's cores; the baseline, timed in the same run, is the same
render with one worker (slices in turn). The spoken-phrase memo
(:data:`lemm.vocals.sing.SPOKEN_MEMO`) is emptied before each, so both speak and analyse every
line once. Reported: wall seconds, this process's CPU seconds and the speech workers' (child
processes), the load average (the machine may be shared), and whether the two renders' stems
are identical. Issue 23's goal: <= 5 s wall for a 3:30 song on 2 cores.

Usage::

    python benchmarks/vocals_speed.py [--duration 3:30] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lemm.compose.brief import Brief, parse_duration  # noqa: E402
from lemm.pipeline import make_plan, make_score  # noqa: E402
from lemm.render.settings import RenderSettings  # noqa: E402
from lemm.render.stems import render_stems  # noqa: E402
from lemm.score.timing import ticks_to_seconds  # noqa: E402
from lemm.vocals import sing  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(score, names, n_samples, seed, n_workers) -> tuple[dict, dict]:
    memo = getattr(sing, "SPOKEN_MEMO", None)  # absent in trees before the memo (run this file against one to compare)
    if memo is not None:
        memo.clear()
    wall, cpu, child = time.perf_counter(), time.process_time(), _children_cpu()
    stems, _ = render_stems(score, settings=RenderSettings(), seed=seed, n_samples=n_samples, track_names=names, n_workers=n_workers)
    return stems, {
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "speech_worker_cpu_seconds": round(_children_cpu() - child, 2),
    }


def run(duration: str, seed: int) -> dict:
    lyrics = (ROOT / "examples" / "lyrics.txt").read_text(encoding="utf-8")
    brief = Brief(prompt="an upbeat pop song about a summer night", tags=("pop",), lyrics=lyrics, duration_seconds=parse_duration(duration),
                  seed=seed)
    score = make_score(make_plan(brief), brief)
    vocal = [t for t in score.tracks if t.role == "vocal"]
    names = [t.name for t in vocal]
    end = float(ticks_to_seconds(score, max(n.end_tick for t in score.tracks for n in t.notes)))
    n_samples = int(np.ceil((end + 2.0) * RenderSettings().sample_rate))
    render_stems(score, settings=RenderSettings(), seed=seed, n_samples=48000, track_names=names[:1])  # warm-up: imports, first worker
    stems, timed = _timed(score, names, n_samples, seed, None)
    serial, base = _timed(score, names, n_samples, seed, 1)
    return {
        "benchmark": "vocals_speed",
        "song_seconds": round(end, 1),
        "vocal_tracks": {t.name: t.preset for t in vocal},
        "notes": sum(len(t.notes) for t in vocal),
        "cores": os.cpu_count(),
        **timed,
        "baseline": "the same render with one worker (slices in turn), same run",
        "baseline_wall_seconds": base["wall_seconds"],
        "baseline_cpu_seconds": base["cpu_seconds"],
        "speedup": round(base["wall_seconds"] / max(timed["wall_seconds"], 1e-9), 2),
        "identical_to_baseline": all(np.array_equal(stems[k], serial[k]) for k in stems),
        "goal_wall_seconds": 5.0,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="3:30")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.duration, args.seed)))


if __name__ == "__main__":
    main()
