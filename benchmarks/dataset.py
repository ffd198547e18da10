"""Benchmark of ``lemm dataset generate``; prints one JSON line.

- **songs per CPU-hour**: CPU seconds of :func:`lemm.dataset.run.song_task` per song
  (compose, render, mix, master, stems, MIDI, notes, metadata, checksums and the
  atomic write), measured in this process with one torch thread.
- **speedup 1 -> 2 workers**: wall time of ``generate(n, workers=1)`` beside
  ``generate(n, workers=2)`` on the same songs (fresh folders), local
  ProcessPoolExecutor, with the CPU seconds each whole run used (all its
  processes) and the cores the 2-worker run got on average (CPU / wall). The
  machine's load average is printed with it: on a shared machine the speedup
  says more about the neighbours than about lemm.
- **simulated 16 workers**: 16 x ``--tasks-per-worker`` sleep tasks, each as long
  as one song task measured above (its CPU seconds), through the same executor as ``generate``
  (:func:`lemm.dataset.run.local_executor`, 16 processes): efficiency =
  sum of task seconds / (16 x wall seconds). Sleeping tasks need no CPU, so this
  measures the engine's overhead (process start, scheduling, result passing)
  at a worker count this machine cannot run for real.

Run: ``python benchmarks/dataset.py [--n 4] [--duration 0:10] [--sample-rate 16000] [--sim-workers 16] [--tasks-per-worker 16]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class _CpuMeter:
    """CPU seconds (user + system) of this process and all its descendants (pool workers fork from the
    forkserver, a child of this process), sampled every 20 ms while a run lasts."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self._first = self._sample({})
        self._last = dict(self._first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _sample(self, into: dict) -> dict:
        import psutil

        try:
            procs = [self._me, *self._me.children(recursive=True)]
        except psutil.Error:
            return into
        for proc in procs:
            try:
                t = proc.cpu_times()
                into[proc.pid] = t.user + t.system
            except psutil.Error:
                pass
        return into

    def _loop(self) -> None:
        while not self._stop.wait(0.02):
            self._sample(self._last)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._sample(self._last)
        return sum(v - self._first.get(pid, 0.0) for pid, v in self._last.items())


def main() -> None:
    from lemm.dataset import DatasetOptions, generate
    from lemm.dataset.briefs import parse_duration_range
    from lemm.dataset.run import local_executor, song_task
    from lemm.dataset.song import one_thread

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="songs per timed run (default 4)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--duration", default="0:10")
    parser.add_argument("--sample-rate", type=int, default=16000)
    parser.add_argument("--sim-workers", type=int, default=16)
    parser.add_argument("--tasks-per-worker", type=int, default=16)
    args = parser.parse_args()
    common = {"seed": args.seed, "duration": args.duration, "sample_rate": args.sample_rate}
    scratch = Path(tempfile.mkdtemp(prefix="lemm-dataset-bench-"))
    result: dict = {"benchmark": "dataset", "cpu_count": os.cpu_count(), "load_before": _load(), **common, "n": args.n}
    try:
        # CPU per song, in this process (one torch thread), songs the timed runs also make.
        one_thread()
        options = DatasetOptions(seed=args.seed, duration_seconds=parse_duration_range(args.duration), sample_rate=args.sample_rate)
        song_task(options.to_dict(), args.n, str(scratch / "warm"))  # imports, caches: not timed
        cpu = []
        for i in range(args.n):
            start = time.process_time()
            song_task(options.to_dict(), i, str(scratch / "cpu"))
            cpu.append(time.process_time() - start)
        result["cpu_seconds_per_song"] = round(sum(cpu) / len(cpu), 3)
        result["songs_per_cpu_hour"] = round(3600.0 / result["cpu_seconds_per_song"], 1)

        # 1 worker against 2 workers, same songs, fresh folders; the forkserver (which imports lemm and
        # torch once) is started before either is timed.
        with local_executor(1) as pool:
            pool.submit(int).result()
        walls, cpus = {}, {}
        for workers in (1, 2):
            meter = _CpuMeter()
            start = time.perf_counter()
            report = generate(args.n, out=scratch / f"w{workers}", workers=workers, **common)
            walls[workers] = time.perf_counter() - start
            cpus[workers] = meter.stop()
            assert len(report.made) == args.n, report
        same = all(
            (scratch / "w1" / p.relative_to(scratch / "w2")).read_bytes() == p.read_bytes()
            for p in (scratch / "w2" / "songs").rglob("*") if p.is_file()
        )
        result["wall_seconds_1_worker"] = round(walls[1], 3)
        result["wall_seconds_2_workers"] = round(walls[2], 3)
        result["speedup_1_to_2_workers"] = round(walls[1] / walls[2], 3)
        # CPU seconds of each whole run (driver, forkserver, workers): equal CPU means the second worker
        # added no work, so the wall speedup is bounded only by the free cores the machine had.
        result["cpu_seconds_1_worker_run"] = round(cpus[1], 2)
        result["cpu_seconds_2_worker_run"] = round(cpus[2], 2)
        result["cpu_utilisation_2_worker_run"] = round(cpus[2] / walls[2], 2)
        result["bytes_identical_1_vs_2_workers"] = same
        result["load_after_real_runs"] = _load()

        # Sleep tasks as long as one song task (its CPU seconds above), through generate's executor, at 16 workers.
        task_seconds = result["cpu_seconds_per_song"]
        n_tasks = args.sim_workers * args.tasks_per_worker
        start = time.perf_counter()
        with local_executor(args.sim_workers) as pool:
            list(pool.map(time.sleep, [task_seconds] * n_tasks))
        wall = time.perf_counter() - start
        result["simulated"] = {
            "workers": args.sim_workers, "tasks": n_tasks, "task_seconds": round(task_seconds, 3), "wall_seconds": round(wall, 3),
            "ideal_wall_seconds": round(n_tasks * task_seconds / args.sim_workers, 3),
            "efficiency": round(n_tasks * task_seconds / (args.sim_workers * wall), 3),
        }
        result["load_after"] = _load()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
