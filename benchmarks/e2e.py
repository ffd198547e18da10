"""End-to-end benchmark: compose, render, sing, mix, master and write a song (3:30 by default).

Prints one JSON line: wall seconds per stage (plan, compose, render, mix, master, write, as
report.json has them) and this process's CPU seconds per stage (the machine may be shared), the totals, peak RSS, and the baseline timed in the same run: fluidsynth with
FluidR3_GM rendering the song's own ``score.mid`` (``ratio_to_fluidsynth`` = total / that).

Usage::

    python benchmarks/e2e.py [--duration 3:30] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fluidsynth import Clock, fluidsynth_seconds, peak_rss_mb

import lemm

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="3:30")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.duration, args.seed)))


def run(duration: str, seed: int) -> dict:
    """One brief -> song folder run; the JSON record."""
    lyrics = (ROOT / "examples" / "lyrics.txt").read_text()
    clock = Clock()
    start, cpu_start = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        song = clock.run("compose", lambda: lemm.compose("an upbeat pop song about a summer night", tags=("pop",), lyrics=lyrics,
                                                          duration=duration, seed=seed))
        clock.run("save", lambda: song.save(Path(tmp) / "song"))  # render (into the new folder's cache), mix, master, write
        total, total_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        rss = peak_rss_mb()
        fluid = fluidsynth_seconds(Path(tmp) / "song" / "score.mid")
        folder_bytes = sum(p.stat().st_size for p in (Path(tmp) / "song").rglob("*") if p.is_file())
    report = song.report()
    return {
        "benchmark": "e2e",
        "song_seconds": report["duration_seconds"],
        "stage_seconds": song.seconds_per_stage,
        "stage_cpu_seconds": song.cpu_seconds_per_stage,
        "cpu_seconds": clock.cpu,
        "total_seconds": round(total, 2),
        "total_cpu_seconds": round(total_cpu, 2),
        "baseline": "fluidsynth -ni -F out.wav -r 48000 FluidR3_GM.sf2 score.mid (same score, same run)",
        "fluidsynth_seconds": fluid,
        "ratio_to_fluidsynth": None if not fluid else round(total / fluid, 2),
        "realtime_factor": round(total / report["duration_seconds"], 3),
        "peak_rss_mb": rss,
        "folder_mb": round(folder_bytes / 2**20, 1),
        "integrated_lufs": report["integrated_lufs"],
        "true_peak_dbtp": report["true_peak_dbtp"],
        "tracks": len(song.score.tracks),
        "notes": sum(len(t.notes) for t in song.score.tracks),
    }


if __name__ == "__main__":
    main()
