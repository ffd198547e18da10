"""Making many songs through a ``concurrent.futures.Executor``: local processes, Dask, or one shard of a job array.

Each task is :func:`song_task` (options, index, out): it checks whether the
song is already complete (verifying its checksums), and if not makes it and
writes it atomically. Tasks share nothing but the output store, so any
executor runs them: a local ``ProcessPoolExecutor`` (the default, one torch
thread per worker), ``distributed.Client(address).get_executor()`` on a Dask
cluster, or a caller's own executor. ``shard=(i, m)`` takes the songs whose
index is ``i`` modulo ``m``, for SLURM job arrays without a scheduler.

Songs are submitted longest expected first (:func:`longest_first`: length from
the brief, sung songs costing more), so the workers finish close together
instead of one making a long song while the others wait. The order changes no
byte: song i depends on (options, i) alone.

Examples
--------
>>> parse_shard("1/4")
(1, 4)
>>> shard_indices(10, (1, 4))
[1, 5, 9]
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from lemm.dataset.briefs import DatasetOptions, parse_duration_range, song_brief, song_id
from lemm.dataset.song import build_song_files, one_thread
from lemm.dataset.store import build_index, check_options, clear_failure, open_store, record_failure, song_is_complete, write_song
from lemm.errors import DependencyError, ParameterError

__all__ = ["RunReport", "dask_executor", "expected_cost", "generate", "local_executor", "longest_first", "parse_shard",
           "shard_indices", "song_task"]

#: How often a local run restarts its process pool after a worker died (killed, out of memory).
MAX_POOL_RESTARTS = 2
#: Modules the forkserver imports once, so a new worker starts with them loaded (torch alone takes
#: seconds of CPU to import). Importing runs no torch op, so no thread pool exists when a worker forks.
WORKER_PRELOAD = ("torch", "lemm.song", "lemm.compose.arrange", "lemm.compose.planner", "lemm.render", "lemm.render.stems",
                  "lemm.project.folder", "lemm.mix", "lemm.score.midi", "lemm.dataset.run")
#: Thread counts of the native libraries, set in the forkserver before it imports numpy and torch, so
#: a worker runs on one core: OpenMP (torch's intra-op pool), MKL (torch), OpenBLAS (numpy, scipy;
#: otherwise one pool thread per core, which spins after each call), Accelerate, numexpr.
WORKER_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                     "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}
#: CPU of a sung song relative to an instrumental one of the same length (the espeak worker, the vocal
#: resynthesis), used only to order the songs (:func:`expected_cost`): 12 songs of 18-28 s at 16 kHz
#: took 0.155-0.183 CPU seconds per second of song sung and 0.101-0.150 instrumental (ratio of means 1.34).
SUNG_COST_FACTOR = 1.3


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


def expected_cost(options: DatasetOptions, index: int) -> float:
    """The relative CPU cost of song ``index``, known before it is made: its length in seconds, x
    :data:`SUNG_COST_FACTOR` for a sung song (about 0.1 ms: one brief drawn).

    >>> options = DatasetOptions(seed=7, duration_seconds=(10.0, 60.0), sample_rate=16000)
    >>> expected_cost(options, 0) > 0
    True
    """
    brief = song_brief(options, index)
    return brief.duration_seconds * (SUNG_COST_FACTOR if brief.lyrics is not None else 1.0)


def longest_first(options: DatasetOptions, indices: Iterable[int]) -> list[int]:
    """``indices`` in the order to submit them: highest :func:`expected_cost` first, ties by index.

    Executors start tasks in the order they were submitted, so the last songs
    to start are the shortest, and the workers end within about one short
    song of each other (longest-processing-time-first scheduling).

    >>> options = DatasetOptions(seed=7, duration_seconds=(10.0, 60.0), sample_rate=16000)
    >>> order = longest_first(options, range(6))
    >>> sorted(order) == list(range(6)), [expected_cost(options, i) for i in order] == sorted(expected_cost(options, i) for i in range(6))[::-1]
    (True, True)
    """
    costs = {int(i): expected_cost(options, int(i)) for i in indices}
    return sorted(costs, key=lambda i: (-costs[i], i))


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
    """A worker's first act: one torch intra-op and one inter-op thread."""
    import torch  # the forkserver imports torch after its thread-count environment is set

    one_thread()
    if torch.get_num_interop_threads() != 1:
        with contextlib.suppress(RuntimeError):  # torch refuses once its inter-op pool has started
            torch.set_num_interop_threads(1)


@contextlib.contextmanager
def _environ(values: dict[str, str]):
    """``os.environ`` with ``values`` while the block runs (for a child process started in it), then as before."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def local_executor(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, each running on one thread.

    Workers fork from a forkserver that imported lemm and torch once
    (:data:`WORKER_PRELOAD`): cheap to start, and never forked from a process
    whose threads are running. The forkserver starts with
    :data:`WORKER_THREAD_ENV` (one OpenMP, MKL and OpenBLAS thread) in its
    environment, before numpy and torch load, so no worker starts a
    per-core BLAS pool; each worker's initializer gives torch one intra-op
    and one inter-op thread. The calling process's environment is left as
    it was.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(WORKER_PRELOAD))
    with _environ(WORKER_THREAD_ENV):
        multiprocessing.forkserver.ensure_running()  # no-op if this process's forkserver already runs
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
    """Submit one task per index, longest song first; returns the indices whose worker died (the pool broke)."""
    order = longest_first(DatasetOptions.from_dict(options), indices)
    futures: dict[Future, int] = {executor.submit(song_task, options, i, out): i for i in order}
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
