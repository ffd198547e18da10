"""End-to-end benchmark: compose, render, sing, mix, master and write a 3:30 song.

Prints one JSON line: seconds per stage, total seconds, and the comparison against the
baseline "real time" (the song's own duration): ``realtime_factor`` = total / song seconds.

Usage::

    python benchmarks/e2e.py [--duration 3:30] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import lemm

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="3:30")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lyrics = (ROOT / "examples" / "lyrics.txt").read_text()
    start = time.perf_counter()
    song = lemm.compose("an upbeat pop song about a summer night", tags=("pop",), lyrics=lyrics,
                        duration=args.duration, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        song.save(Path(tmp) / "song")
    total = time.perf_counter() - start
    report = song.report()
    print(json.dumps({
        "benchmark": "e2e",
        "song_seconds": report["duration_seconds"],
        "seconds_per_stage": report["seconds_per_stage"],
        "total_seconds": round(total, 2),
        "baseline": "real time (the song's duration)",
        "realtime_factor": round(total / report["duration_seconds"], 3),
        "integrated_lufs": report["integrated_lufs"],
        "true_peak_dbtp": report["true_peak_dbtp"],
        "plr_db": song.master_report.get("plr_db"),
        "mono_fold_down_loss_db": song.master_report.get("mono_fold_down_loss_db"),
        "low_end_correlation": song.master_report.get("low_end_correlation"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tracks": len(song.score.tracks),
        "notes": sum(len(t.notes) for t in song.score.tracks),
    }))


if __name__ == "__main__":
    main()
