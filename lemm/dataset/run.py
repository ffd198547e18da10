"""Making many songs through a ``concurrent.futures.Executor``: local processes, Dask, or one shard of a job array.

Each task is :func:`song_task` (options, index, out): it checks whether the
song is already complete (verifying its checksums), and if not makes it and
writes it atomically. Tasks share nothing but the output store, so any
executor runs them: a local ``ProcessPoolExecutor`` (the default, one torch
thread per worker), ``distributed.Client(address).get_executor()`` on a Dask
cluster, or a caller's own executor. ``shard=(i, m)`` takes the songs whose
index is ``i`` modulo ``m``, for SLURM job arrays without a scheduler.

Examples
--------
>>> parse_shard("1/4")
(1, 4)
>>> shard_indices(10, (1, 4))
[1, 5, 9]
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from lemm.dataset.briefs import DatasetOptions, parse_duration_range, song_id
from lemm.dataset.song import build_song_files, one_thread
from lemm.dataset.store import build_index, check_options, clear_failure, open_store, record_failure, song_is_complete, write_song
from lemm.errors import DependencyError, ParameterError

__all__ = ["RunReport", "dask_executor", "generate", "local_executor", "parse_shard", "shard_indices", "song_task"]

#: How often a local run restarts its process pool after a worker died (killed, out of memory).
MAX_POOL_RESTARTS = 2
#: Modules the forkserver imports once, so a new worker starts with them loaded (torch alone takes
#: seconds of CPU to import). Importing runs no torch op, so no thread pool exists when a worker forks.
WORKER_PRELOAD = ("torch", "lemm.song", "lemm.compose.arrange", "lemm.compose.planner", "lemm.render", "lemm.render.stems",
                  "lemm.project.folder", "lemm.mix", "lemm.score.midi", "lemm.dataset.run")


@dataclass
class RunReport:
    """What a run did: song ids made, skipped (already complete) and failed, and the index counts."""

    made: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)


def parse_shard(text: str | tuple[int, int] | None) -> tuple[int, int]:
    """``"i/M"`` (0 <= i < M) -> (i, M); None -> (0, 1)."""
    if text is None:
        return (0, 1)
    try:
        i, m = (int(x) for x in (text.split("/") if isinstance(text, str) else text))
    except (ValueError, TypeError):
        raise ParameterError.for_field("shard", text, 'i/M with 0 <= i < M, e.g. "0/2" or "$SLURM_ARRAY_TASK_ID/100"') from None
    if not 0 <= i < m:
        raise ParameterError.for_field("shard", text, 'i/M with 0 <= i < M, e.g. "0/2"')
    return (i, m)


def shard_indices(n: int, shard: tuple[int, int]) -> list[int]:
    """The song indices of ``shard`` among ``range(n)``: every M-th, from i."""
    i, m = shard
    return list(range(i, n, m))


def song_task(options: dict, index: int, out: str) -> tuple[str, str, str]:
    """Make song ``index`` into ``out`` unless it is complete there: (id, "made"|"skipped"|"failed", error).

    A pure function of its arguments as far as the files go: run twice, or
    on two machines, it writes the same bytes. Any error while making the song
    is kept in ``failures/<id>.json`` and returned, never raised, so one bad
    song does not stop a run.
    """
    one_thread()
    store = open_store(out)
    song = song_id(index)
    if song_is_complete(store, song):
        clear_failure(store, song)
        return song, "skipped", ""
    try:
        files = build_song_files(DatasetOptions.from_dict(options), index)
    except Exception as err:  # noqa: BLE001 - every error of one song goes to failures.jsonl, the run goes on
        error = f"{type(err).__name__}: {err}\n" + "".join(traceback.format_exception(err)[-3:])
        record_failure(store, song, index, error)
        return song, "failed", error
    try:
        write_song(store, song, files)
    except OSError:
        if not song_is_complete(store, song):  # else a second attempt at this song (a re-run task) finished it first
            raise
    clear_failure(store, song)
    return song, "made", ""


def _worker_init() -> None:
    one_thread()


def local_executor(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, each with one torch thread.

    Workers fork from a forkserver that imported lemm and torch once
    (:data:`WORKER_PRELOAD`): cheap to start, and never forked from a process
    whose threads are running.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(WORKER_PRELOAD))
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)


def dask_executor(address: str) -> tuple[Executor, Callable[[], None]]:
    """A ``concurrent.futures`` executor on the Dask cluster at ``address``, and a function that closes it.

    Raises
    ------
    DependencyError
        If ``distributed`` is not installed: ``pip install "lemm[dask]"``.
    """
    try:
        from distributed import Client
    except ImportError:
        raise DependencyError('--scheduler needs Dask distributed: pip install "lemm[dask]"') from None
    client = Client(address)
    return client.get_executor(), client.close


def _usable_cpus() -> int:
    """CPUs this process may run on (a SLURM job's allocation, not the whole node)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run_tasks(executor: Executor, indices: list[int], options: dict, out: str, report: RunReport,
               progress: Callable[[str], None] | None, total: int) -> list[int]:
    """Submit one task per index; returns the indices whose worker died (the pool broke)."""
    futures: dict[Future, int] = {executor.submit(song_task, options, i, out): i for i in indices}
    lost = []
    for future in as_completed(futures):
        index = futures[future]
        try:
            song, status, error = future.result()
        except BrokenProcessPool:
            lost.append(index)
            continue
        except Exception as err:  # noqa: BLE001 - a task the executor lost (e.g. Dask KilledWorker) is a failed song
            song, status, error = song_id(index), "failed", f"{type(err).__name__}: {err}"
            record_failure(open_store(out), song, index, error)
        getattr(report, status).append(song)
        if progress:
            done = len(report.made) + len(report.skipped) + len(report.failed)
            progress(f"{song} {status} ({done}/{total})" + (f": {error.splitlines()[0]}" if error else ""))
    return sorted(lost)


def generate(
    n: int,
    *,
    seed: int = 0,
    out: str | os.PathLike,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    shard: str | tuple[int, int] | None = None,
    duration: str | float | tuple = "0:30",
    genres: Iterable[str] = (),
    sample_rate: int = 44100,
    audio_format: str = "flac",
    progress: Callable[[str], None] | None = None,
) -> RunReport:
    """Make songs ``0..n-1`` (or one shard of them) of the data set ``seed`` into ``out``.

    Parameters
    ----------
    n : int
        Number of songs in the data set, >= 1.
    seed : int
        The data set's seed; song i is a pure function of (seed, i) and the options below.
    out : path or str
        A local folder or an fsspec URL (``s3://bucket/prefix``, ``memory://x``).
    workers : int or None
        Local worker processes (default: the CPUs this process may use). Not with ``scheduler`` or ``executor``.
    scheduler : str or None
        A Dask scheduler address (``tcp://host:8786``): the songs run on that cluster.
    executor : concurrent.futures.Executor or None
        Run the tasks on this executor instead (the caller closes it).
    shard : "i/M", (i, M) or None
        Make only the songs whose index is i modulo M (SLURM job arrays).
    duration : str, float or tuple
        Song length, ``"0:30"``, or a range ``"0:30-3:30"`` drawn per song.
    genres : iterable of str
        Genre profiles to draw from (default every profile).
    sample_rate : int
        Hz.
    audio_format : str
        ``"flac"`` or ``"wav"``.
    progress : callable or None
        Called with one line per song.

    Returns
    -------
    RunReport

    Raises
    ------
    ParameterError
        Bad options, or ``out`` holds a data set made with other options.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError.for_field("n", n, "an integer >= 1")
    if sum(x is not None for x in (workers, scheduler, executor)) > 1:
        raise ParameterError.for_field("workers", workers, "not together with a scheduler or an executor (pick one engine)")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ParameterError.for_field("workers", workers, "an integer >= 1")
    if isinstance(genres, str):
        genres = [g.strip() for g in genres.split(",") if g.strip()]
    options = DatasetOptions(seed=seed, duration_seconds=parse_duration_range(duration), genres=tuple(genres),
                             sample_rate=sample_rate, audio_format=audio_format)
    indices = shard_indices(n, parse_shard(shard))  # every check before anything is written
    store = open_store(out)
    check_options(store, options)
    report = RunReport()
    opts = options.to_dict()
    if executor is not None:
        _run_tasks(executor, indices, opts, store.url, report, progress, len(indices))
    elif scheduler is not None:
        dask, close = dask_executor(scheduler)
        try:
            _run_tasks(dask, indices, opts, store.url, report, progress, len(indices))
        finally:
            close()
    else:
        pending = indices
        for attempt in range(MAX_POOL_RESTARTS + 1):
            with local_executor(min(workers or _usable_cpus(), max(1, len(pending)))) as pool:
                pending = _run_tasks(pool, pending, opts, store.url, report, progress, len(indices))
            if not pending:
                break
            if progress:
                progress(f"a worker died; {len(pending)} songs to make again in a new pool")
        for index in pending:
            song = song_id(index)
            record_failure(store, song, index, f"its worker process died {MAX_POOL_RESTARTS + 1} times (killed or out of memory)")
            report.failed.append(song)
    report.index = build_index(store)
    return report
