"""End-to-end benchmark: compose, render, sing, mix, master and write a song (3:30 by default).

Prints one JSON line: wall seconds per stage (plan, compose, render, mix, master, write, as
report.json has them) and this process's CPU seconds per stage (the machine may be shared), the totals, peak RSS
(``peak_rss_mb``: the kernel's high-water mark, ``ru_maxrss``; ``stage_peak_rss_mb``: the highest resident
memory sampled every 10 ms during each stage, from ``/proc/self/statm``; ``stage_start_rss_mb``: at its start), and the baseline timed in the same run: fluidsynth with
FluidR3_GM rendering the song's own ``score.mid`` (``ratio_to_fluidsynth`` = total / that).

Usage::

    python benchmarks/e2e.py [--duration 3:30] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
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
    sampler = RssSampler()
    start, cpu_start = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp, sampler:
        song = clock.run("compose", lambda: lemm.compose("an upbeat pop song about a summer night", tags=("pop",), lyrics=lyrics,
                                                          duration=duration, seed=seed))
        # render (into the new folder's cache), mix, master, write; the stage names come through the progress messages
        clock.run("save", lambda: song.save(Path(tmp) / "song", progress=sampler.progress))
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
        "stage_peak_rss_mb": sampler.peaks,
        "stage_start_rss_mb": sampler.starts,
        "folder_mb": round(folder_bytes / 2**20, 1),
        "integrated_lufs": report["integrated_lufs"],
        "true_peak_dbtp": report["true_peak_dbtp"],
        "tracks": len(song.score.tracks),
        "notes": sum(len(t.notes) for t in song.score.tracks),
    }


class RssSampler:
    """The highest resident memory (MiB) of this process per stage, sampled every ``interval_s`` on a thread.

    ``progress`` is a lemm progress callable: a message ``"<stage> ..."`` (``lemm.progress.StageTimer``)
    starts that stage; samples before the first belong to ``"compose"``.
    """

    def __init__(self, interval_s: float = 0.01) -> None:
        self.interval_s, self.stage, self.peaks, self.starts = interval_s, "compose", {}, {}
        self._stop = threading.Event()
        self._page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        self._thread = threading.Thread(target=self._run, daemon=True)

    def progress(self, message: str) -> None:
        if message.endswith(" ...") and " " not in message[:-4]:
            self.sample()
            self.stage = message[:-4]
            self.starts[self.stage] = self.sample()

    def sample(self) -> float:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * self._page_mb
        self.peaks[self.stage] = round(max(self.peaks.get(self.stage, 0.0), rss), 1)
        return round(rss, 1)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


if __name__ == "__main__":
    main()
