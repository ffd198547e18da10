"""Benchmark of ``lemm dataset generate``; prints one JSON line.

Runs ``generate(n)`` with 1 worker and with 2 workers (``--repeats`` pairs,
alternating, fresh folders, the same songs), each through the local engine
(:func:`lemm.dataset.run.local_executor`, the pool ``generate(workers=K)``
makes), and reads the CPU seconds of every process once before and once after
each run (no sampling thread: a meter that polls the processes would itself
take CPU from the workers). Reported:

- **cpu_seconds_per_song**, **songs_per_cpu_hour**: CPU seconds of a whole
  1-worker run (driver, forkserver, worker and the worker's espeak
  processes, including the worker's first-song warm-up) per song.
- **speedup_1_to_2_workers**: wall time of the 1-worker run / the 2-worker
  run (median over the pairs; every pair in ``pairs``), and
  **parallel_efficiency** = speedup / 2. Wall time depends on the free cores:
  the load average before and after is printed beside it.
- **CPU components**, which other jobs on the machine barely change:
  ``cpu_inflation_2_vs_1`` (CPU of the 2-worker run / CPU of the 1-worker run:
  work the second worker adds), ``song_cpu_ratio_2_vs_1_workers`` (median over
  the songs of a song's CPU in the 2-worker run / in the 1-worker run: what two
  songs made at once cost each, from shared caches, memory bandwidth or SMT
  siblings), ``worker_cpu_outside_songs`` (a worker's CPU outside its song
  tasks: start, unpickling, waiting), ``driver_cpu_seconds`` (the calling
  process), ``worker_balance`` (busier worker's CPU / the mean: the tail where
  one worker waits), ``schedule_2_workers`` (the songs' measured CPU run on 2
  workers that each take the next song when free: submitted in index order,
  and longest expected first as ``generate`` does, against half the total),
  and ``speedup_on_free_cores`` = CPU of the 1-worker run / (busier worker's
  CPU + the driver's CPU in the 2-worker run): the speedup two otherwise idle
  cores would give, were each worker's wall time its CPU time.
  The song CPU comes from wrapping each task (``_TaskTimer``, a thin executor
  over the same pool); the process CPU is read once before and once after a
  run: no thread samples the processes while it runs (one polling every
  20 ms took about 0.06 of a core, from the workers).
- **simulated 16 workers**: 16 x ``--tasks-per-worker`` sleep tasks, each as
  long as one song's CPU seconds above, through the same executor at 16
  workers: efficiency = sum of task seconds / (16 x wall seconds). Sleeping
  tasks need no CPU, so this measures the engine's overhead (process start,
  scheduling, result passing) at a worker count this machine cannot run.

Run (about 4 minutes on 2 idle cores with the defaults; 17 minutes at a load average of 15):
``python benchmarks/dataset.py [--n 24] [--duration 0:10-0:20] [--sample-rate 16000] [--repeats 2]
[--sim-workers 16] [--tasks-per-worker 16]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import Executor, Future
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu(proc, *, children: bool = True) -> float:
    """CPU seconds of a process, and of its children that it waited for (a worker's espeak processes)."""
    t = proc.cpu_times()
    return t.user + t.system + ((t.children_user + t.children_system) if children else 0.0)


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _forkserver():
    """This process's multiprocessing forkserver (a child process), or None."""
    import psutil

    for child in psutil.Process().children():
        try:
            if "forkserver" in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            pass
    return None


def _timed_task(fn, *args, **kwargs):
    """In a worker: ``fn(*args, **kwargs)``, the CPU seconds it took (all threads, and the processes it waited for), the pid."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.process_time()
    result = fn(*args, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result, time.process_time() - start + children, os.getpid()


class _TaskTimer(Executor):
    """Runs each task on ``pool`` through :func:`_timed_task`; keeps (song index, worker pid, CPU seconds) of each."""

    def __init__(self, pool: Executor) -> None:
        self.pool = pool
        self.tasks: list[dict] = []

    def submit(self, fn, /, *args, **kwargs):
        inner = self.pool.submit(_timed_task, fn, *args, **kwargs)
        outer: Future = Future()

        def done(future: Future) -> None:
            try:
                result, cpu, pid = future.result()
            except BaseException as err:  # noqa: BLE001 - handed on to generate, as the pool would
                outer.set_exception(err)
                return
            self.tasks.append({"index": args[1], "pid": pid, "cpu_seconds": cpu})  # song_task(options, index, out)
            outer.set_result(result)

        inner.add_done_callback(done)
        return outer


def timed_run(n: int, workers: int, out: Path, common: dict) -> dict:
    """One ``generate`` run on a fresh pool of ``workers``: wall seconds, the CPU seconds of each process and of each song."""
    import psutil

    from lemm.dataset import generate
    from lemm.dataset.run import local_executor

    server = _forkserver()  # its own CPU only: its children are the workers, counted below
    server_before = _cpu(server, children=False) if server else 0.0
    driver_before = _self_cpu()
    start = time.perf_counter()
    with local_executor(workers) as pool:
        timer = _TaskTimer(pool)
        report = generate(n, out=out, executor=timer, **common)
        wall = time.perf_counter() - start
        driver = _self_cpu() - driver_before
        # The workers still run (the pool shuts down below): read their CPU once. They forked from the
        # forkserver after it was read above, so all of their CPU belongs to this run.
        worker_cpu = {pid: _cpu(psutil.Process(pid)) for pid in list(pool._processes)}
    assert len(report.made) == n and not report.failed, report
    server_cpu = (_cpu(server, children=False) - server_before) if server else 0.0
    in_tasks = {pid: sum(t["cpu_seconds"] for t in timer.tasks if t["pid"] == pid) for pid in worker_cpu}
    return {
        "workers": workers, "wall_seconds": wall, "driver_cpu_seconds": driver, "forkserver_cpu_seconds": server_cpu,
        "worker_cpu_seconds": sorted(worker_cpu.values(), reverse=True), "cpu_seconds": driver + server_cpu + sum(worker_cpu.values()),
        "song_cpu_seconds": {t["index"]: t["cpu_seconds"] for t in timer.tasks},
        "worker_cpu_outside_songs": sum(worker_cpu[p] - in_tasks[p] for p in worker_cpu),
    }


def makespan(costs: list[float], workers: int) -> float:
    """Wall time of tasks of ``costs`` (seconds, in submission order) on ``workers``, each taking the next task when free."""
    free = [0.0] * workers
    for cost in costs:
        free[free.index(min(free))] += cost
    return max(free)


def main() -> None:
    from lemm.dataset.run import local_executor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24, help="songs per timed run (default 24)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--duration", default="0:10-0:20", help="song lengths (default 0:10-0:20, drawn per song)")
    parser.add_argument("--sample-rate", type=int, default=16000)
    parser.add_argument("--repeats", type=int, default=2, help="pairs of 1-worker and 2-worker runs (default 2)")
    parser.add_argument("--sim-workers", type=int, default=16)
    parser.add_argument("--tasks-per-worker", type=int, default=16)
    args = parser.parse_args()
    common = {"seed": args.seed, "duration": args.duration, "sample_rate": args.sample_rate}
    scratch = Path(tempfile.mkdtemp(prefix="lemm-dataset-bench-"))
    result: dict = {"benchmark": "dataset", "cpu_count": os.cpu_count(), "load_before": _load(), **common, "n": args.n,
                    "repeats": args.repeats}
    started = time.perf_counter()
    try:
        # The forkserver (which imports lemm and torch once) starts before anything is timed.
        with local_executor(1) as pool:
            pool.submit(int).result()
        runs: dict[int, list[dict]] = {1: [], 2: []}
        for r in range(args.repeats):
            for workers in (1, 2) if r % 2 == 0 else (2, 1):  # alternate, so a drift in load hits both
                out = scratch / f"r{r}w{workers}"
                runs[workers].append(timed_run(args.n, workers, out, common))
            if r == 0:
                a, b = scratch / "r0w1", scratch / "r0w2"
                result["bytes_identical_1_vs_2_workers"] = all(
                    (a / p.relative_to(b)).read_bytes() == p.read_bytes() for p in (b / "songs").rglob("*") if p.is_file())
            for workers in (1, 2):
                shutil.rmtree(scratch / f"r{r}w{workers}", ignore_errors=True)
        def med(key: str, w: int) -> float:
            return statistics.median(x[key] for x in runs[w])

        pairs = [one["wall_seconds"] / two["wall_seconds"] for one, two in zip(runs[1], runs[2], strict=True)]
        cpu1, cpu2 = med("cpu_seconds", 1), med("cpu_seconds", 2)
        busier = statistics.median(x["worker_cpu_seconds"][0] for x in runs[2])
        balance = statistics.median(x["worker_cpu_seconds"][0] / statistics.mean(x["worker_cpu_seconds"]) for x in runs[2])
        result["cpu_seconds_per_song"] = round(cpu1 / args.n, 3)
        result["songs_per_cpu_hour"] = round(3600.0 * args.n / cpu1, 1)
        result["wall_seconds_1_worker"] = round(med("wall_seconds", 1), 2)
        result["wall_seconds_2_workers"] = round(med("wall_seconds", 2), 2)
        result["speedup_1_to_2_workers"] = round(statistics.median(pairs), 3)
        result["parallel_efficiency"] = round(statistics.median(pairs) / 2.0, 3)
        result["pairs"] = [round(p, 3) for p in pairs]
        result["cpu_seconds_1_worker_run"] = round(cpu1, 2)
        result["cpu_seconds_2_worker_run"] = round(cpu2, 2)
        result["cpu_inflation_2_vs_1"] = round(cpu2 / cpu1, 3)
        result["driver_cpu_seconds"] = {w: round(med("driver_cpu_seconds", w), 3) for w in (1, 2)}
        result["worker_cpu_seconds_2_workers"] = [[round(c, 2) for c in x["worker_cpu_seconds"]] for x in runs[2]]
        result["worker_balance"] = round(balance, 3)
        # Each song's CPU in the 2-worker run against the same song's in the 1-worker run: what running
        # two at once costs each (shared caches, memory bandwidth, SMT siblings, a busy machine).
        song1 = {i: statistics.median(x["song_cpu_seconds"][i] for x in runs[1]) for i in range(args.n)}
        song2 = {i: statistics.median(x["song_cpu_seconds"][i] for x in runs[2]) for i in range(args.n)}
        result["song_cpu_seconds_median"] = round(statistics.median(song1.values()), 3)
        result["song_cpu_ratio_2_vs_1_workers"] = round(statistics.median(song2[i] / song1[i] for i in song1), 3)
        result["worker_cpu_outside_songs"] = {w: round(med("worker_cpu_outside_songs", w), 3) for w in (1, 2)}
        # The scheduling alone: the songs' measured CPU (1-worker run) on 2 workers taking the next song
        # when free, submitted in index order against longest expected first (what generate does).
        from lemm.dataset.briefs import DatasetOptions, parse_duration_range
        from lemm.dataset.run import longest_first

        options = DatasetOptions(seed=args.seed, duration_seconds=parse_duration_range(args.duration), sample_rate=args.sample_rate)
        total = sum(song1.values())
        result["schedule_2_workers"] = {
            "ideal_seconds": round(total / 2, 2),
            "index_order_seconds": round(makespan([song1[i] for i in range(args.n)], 2), 2),
            "longest_first_seconds": round(makespan([song1[i] for i in longest_first(options, range(args.n))], 2), 2),
        }
        result["speedup_on_free_cores"] = round(cpu1 / (busier + med("driver_cpu_seconds", 2)), 3)
        result["cores_used_2_worker_run"] = round(cpu2 / med("wall_seconds", 2), 2)
        result["load_after_real_runs"] = _load()

        # Sleep tasks as long as one song (its CPU seconds above), through generate's executor, at 16 workers.
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
        result["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
