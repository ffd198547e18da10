"""lemm.dataset: the same (seed, index) gives the same bytes on every engine, shard and re-run.

Four 10-second songs at 16 kHz (the shortest lemm makes), from the four
genres whose songs render fastest, made once with one worker (the reference)
and again with two workers, a Dask LocalCluster writing to fsspec's memory
file system, two shards, after a SIGKILL of the whole run, and after a
corruption; every file must equal the reference byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf

import lemm.dataset
from lemm.dataset import DatasetOptions, generate, load, song_brief, song_split
from lemm.dataset.store import open_store, record_failure, song_is_complete
from lemm.errors import ParameterError

N = 4
OPTIONS = {"seed": 11, "duration": "0:10", "sample_rate": 16000, "genres": ("ballad", "hip-hop", "lofi", "rnb")}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def songs_and_index(folder: Path) -> dict[str, bytes]:
    """The files a data set consists of (no .partial leftovers, which readers ignore)."""
    return {k: v for k, v in tree(folder).items() if not k.startswith(".partial")}


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """Tasks run in this process (Dask in-process, a thread executor) set torch to one thread: put it back."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    report = generate(N, out=out, workers=1, **OPTIONS)
    assert sorted(report.made) == [f"song_{i:06d}" for i in range(N)] and not report.failed
    sung = [json.loads(x)["sung"] for x in (out / "index.jsonl").read_text().splitlines()]
    assert True in sung and False in sung  # the engines are compared on sung (espeak worker) and instrumental songs
    return out


def test_one_song_folder_layout(reference: Path) -> None:
    files = tree(reference / "songs" / "song_000000")
    meta = json.loads(files["metadata.json"])
    names = sorted(meta["stems"])
    expected = {"mix.flac", "master.flac", "all.mid", "song.json", "metadata.json", "checksums.json"}
    expected |= {f"stems/{n}.flac" for n in names} | {f"midi/{n}.mid" for n in names} | {f"notes/{n}.csv" for n in names}
    assert set(files) == expected
    sums = json.loads(files["checksums.json"])
    assert sums == {k: hashlib.sha256(v).hexdigest() for k, v in files.items() if k != "checksums.json"}
    for key in ("genre", "tempo_bpm", "key", "meter", "sections", "chords", "song_seed", "dataset_seed", "lemm_version"):
        assert key in meta
    assert meta["sections"][0]["start_seconds"] == 0.0 and meta["chords"] and meta["chords"][0]["end_seconds"] > 0
    for stem in meta["stems"].values():
        assert {"instrument_class", "program", "preset", "integrated_lufs", "role"} <= set(stem)
    text = json.dumps(meta) + files["song.json"].decode()
    assert os.uname().nodename not in text and time.strftime("%Y-%m-%d") not in text
    # song.json is a lemm project: lemm.load reads it back.
    assert lemm.load(reference / "songs" / "song_000000").score.tracks[0].name in names


def test_stems_sum_to_the_mix(reference: Path) -> None:
    for song in load(reference):
        total = np.sum([s.astype(np.float64) for s in song.stems.values()], axis=0)
        assert total.shape == song.mix.shape == song.master.shape
        assert np.abs(total - song.mix).max() <= 1e-6
        assert np.abs(song.mix).max() > 0.05  # not silence
        # and exactly, in the 24-bit integers of the files
        ints = [sf.read(song.files[song.metadata["stems"][n]["file"]], dtype="int32")[0].astype(np.int64) for n in song.stems]
        assert np.array_equal(np.sum(ints, axis=0), sf.read(song.files["mix.flac"], dtype="int32")[0])


def test_notes_match_the_midi_files(reference: Path) -> None:
    """The notes/*.csv onsets, read independently from midi/*.mid with mido's own tempo handling."""
    song = next(load(reference, audio=False))
    for name, notes in song.notes.items():
        seconds, onsets = 0.0, []
        for msg in mido.MidiFile(song.files[f"midi/{name}.mid"]):  # iteration gives delta times in seconds
            seconds += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                onsets.append((seconds, msg.note, msg.velocity))
        onsets.sort()
        got = sorted(zip(notes["onset_seconds"], notes["pitch"].tolist(), notes["velocity"].tolist(), strict=True))
        assert len(got) == len(onsets) > 0
        assert [x[1:] for x in got] == [x[1:] for x in onsets]
        assert np.abs(np.array([x[0] for x in got]) - np.array([x[0] for x in onsets])).max() < 2e-3  # MIDI ticks: 1 ms
        assert np.all(notes["offset_seconds"] > notes["onset_seconds"])


def test_briefs_and_splits_are_pure_functions_of_seed_and_index(reference: Path) -> None:
    options = DatasetOptions(seed=11, duration_seconds=(10.0, 10.0), genres=OPTIONS["genres"], sample_rate=16000)
    rows = [json.loads(x) for x in (reference / "index.jsonl").read_text().splitlines()]
    assert [r["index"] for r in rows] == list(range(N))
    for r in rows:
        assert r["split"] == song_split(options, r["index"])
        meta = json.loads((reference / r["path"] / "metadata.json").read_text())
        assert meta["brief"]["prompt"] == song_brief(options, r["index"]).prompt
    seeds = [song_brief(options, i).seed for i in range(2000)]
    assert len(set(seeds)) == 2000  # no two songs share a seed
    splits = [song_split(options, i) for i in range(2000)]
    assert 0.75 < splits.count("train") / 2000 < 0.85 and splits.count("test") > 100
    listed = {s: (reference / "splits" / f"{s}.txt").read_text().split() for s in ("train", "validation", "test")}
    assert sorted(i for ids in listed.values() for i in ids) == sorted(r["id"] for r in rows)
    by_split = {s: {(r["mix_sha256"], r["notes_sha256"], r["song_seed"]) for r in rows if r["split"] == s} for s in listed}
    for a in listed:
        for b in listed:
            if a < b:
                assert not {x for t in by_split[a] for x in t} & {x for t in by_split[b] for x in t}


def test_shards_give_the_same_bytes(reference: Path, tmp_path: Path) -> None:
    a = generate(N, out=tmp_path, workers=1, shard="0/2", **OPTIONS)
    b = generate(N, out=tmp_path, workers=1, shard="1/2", **OPTIONS)
    assert sorted(a.made) == ["song_000000", "song_000002"] and sorted(b.made) == ["song_000001", "song_000003"]
    assert songs_and_index(tmp_path) == songs_and_index(reference)


def test_dask_local_cluster_into_fsspec_memory_gives_the_same_bytes(reference: Path) -> None:
    import fsspec
    from distributed import LocalCluster

    # In-process (processes=False, inproc:// transport: no socket), so the Dask worker writes to this
    # process's memory:// file system.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        report = generate(N, out="memory://lemm-test-ds", scheduler=cluster.scheduler_address, **OPTIONS)
    assert len(report.made) == N
    fs = fsspec.filesystem("memory")
    got = {p[len("/lemm-test-ds/"):]: fs.cat_file(p) for p in fs.find("/lemm-test-ds")}
    assert {k: v for k, v in got.items() if not k.startswith(".partial")} == songs_and_index(reference)
    assert [s.id for s in load("memory://lemm-test-ds", audio=False)] == [f"song_{i:06d}" for i in range(N)]
    # On a store without rename, a corrupted song is found and rewritten too (completion marker last).
    path = "/lemm-test-ds/songs/song_000002/mix.flac"
    fs.pipe_file(path, fs.cat_file(path)[:-100])
    with ThreadPoolExecutor(1) as pool:
        again = generate(N, out="memory://lemm-test-ds", executor=pool, **OPTIONS)
    assert again.made == ["song_000002"] and len(again.skipped) == N - 1
    assert fs.cat_file(path) == (reference / "songs" / "song_000002" / "mix.flac").read_bytes()
    fs.rm("/lemm-test-ds", recursive=True)


def _pool_workers() -> list:
    """This process's ProcessPoolExecutor workers: the children of its multiprocessing forkserver."""
    import psutil

    servers = [c for c in psutil.Process().children() if "forkserver" in " ".join(c.cmdline())]
    return [w for server in servers for w in server.children() if w.status() != psutil.STATUS_ZOMBIE]


def test_two_workers_one_killed_mid_run_give_the_same_bytes(reference: Path, tmp_path: Path) -> None:
    """Two workers; one is SIGKILLed while songs are being made; the run makes the lost songs again."""
    messages: list[str] = []
    killed: list[int] = []

    def kill_a_worker_after_the_first_song() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any((tmp_path / "songs").glob("*/checksums.json")):
            time.sleep(0.02)
        workers = _pool_workers()
        if workers:
            os.kill(workers[0].pid, signal.SIGKILL)
            killed.append(workers[0].pid)

    with ThreadPoolExecutor(1) as watcher:
        kill = watcher.submit(kill_a_worker_after_the_first_song)
        report = generate(N, out=tmp_path, workers=2, progress=messages.append, **OPTIONS)
        kill.result()
    assert killed and any("a worker died" in m for m in messages), messages
    # A song the killed worker had written but not yet reported is found complete by the new pool: skipped.
    assert sorted(report.made + report.skipped) == [f"song_{i:06d}" for i in range(N)] and not report.failed
    assert songs_and_index(tmp_path) == songs_and_index(reference)
    assert sorted(p.name for p in (tmp_path / "songs").iterdir()) == [f"song_{i:06d}" for i in range(N)]


def test_corrupted_song_is_detected_and_remade(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    shutil.copytree(reference, out)
    flac = min((out / "songs" / "song_000001" / "stems").glob("*.flac"))
    data = bytearray(flac.read_bytes())
    data[len(data) // 2] ^= 0x40
    flac.write_bytes(bytes(data))
    (out / ".partial" / "song_000002.999-dead").mkdir(parents=True)  # a killed writer's leftover: ignored
    (out / ".partial" / "song_000002.999-dead" / "mix.flac").write_bytes(b"half")
    record_failure(open_store(out), "song_000001", 1, "RenderError: an earlier run's error")
    assert not song_is_complete(open_store(out), "song_000001")
    with pytest.raises(lemm.errors.FileFormatError, match="song_000001"):
        list(load(out))
    report = generate(N, out=out, workers=1, **OPTIONS)
    assert report.made == ["song_000001"] and sorted(report.skipped) == ["song_000000", "song_000002", "song_000003"]
    assert songs_and_index(out) == songs_and_index(reference)  # the failure record is gone, failures.jsonl empty


def test_failures_are_recorded(tmp_path: Path, monkeypatch) -> None:
    import lemm.dataset.run

    def broken(options, index):  # noqa: ARG001  (a stand-in for build_song_files)
        raise lemm.errors.RenderError(f"no sound for song {index}")

    monkeypatch.setattr(lemm.dataset.run, "build_song_files", broken)
    with ThreadPoolExecutor(1) as pool:
        report = generate(2, out=tmp_path, executor=pool, **OPTIONS)
    assert sorted(report.failed) == ["song_000000", "song_000001"] and report.index["failures"] == 2
    rows = [json.loads(x) for x in (tmp_path / "failures.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["song_000000", "song_000001"]
    assert rows[1]["error"].startswith("RenderError: no sound for song 1")
    assert (tmp_path / "index.jsonl").read_text() == ""


class _RecordingExecutor(ThreadPoolExecutor):
    """A one-thread executor that keeps the song index of every task in the order it was submitted."""

    def __init__(self) -> None:
        super().__init__(1)
        self.indices: list[int] = []

    def submit(self, fn, /, *args, **kwargs):
        self.indices.append(args[1])  # song_task(options, index, out)
        return super().submit(fn, *args, **kwargs)


def test_songs_are_submitted_longest_first(tmp_path: Path, monkeypatch) -> None:
    """Longest expected song first (so the workers end together); of two songs of a length, the sung one first."""
    import lemm.dataset.run

    monkeypatch.setattr(lemm.dataset.run, "build_song_files", lambda _options, _index: 1 / 0)  # only the order is looked at
    options = {**OPTIONS, "duration": "0:10-0:40"}
    with _RecordingExecutor() as pool:
        generate(12, out=tmp_path / "a", executor=pool, shard="1/2", **options)
    order = pool.indices
    assert sorted(order) == [1, 3, 5, 7, 9, 11]
    opts = DatasetOptions(seed=11, duration_seconds=(10.0, 40.0), genres=OPTIONS["genres"], sample_rate=16000)
    briefs = [song_brief(opts, i) for i in order]
    keys = [(b.duration_seconds, b.lyrics is not None) for b in briefs]
    # A song submitted later is never at least as long and at least as sung as one before it (and longer or sung).
    for i, early in enumerate(keys):
        for late in keys[i + 1:]:
            assert not (late[0] >= early[0] and late[1] >= early[1] and late != early), keys
    assert len({k[0] for k in keys}) > 3 and len({k[1] for k in keys}) == 2, keys
    assert order != sorted(order)  # the briefs of seed 11 are not in index order already


def test_local_workers_run_on_one_thread() -> None:
    """Each worker has one torch intra-op and inter-op thread and one OpenMP/MKL/OpenBLAS thread; the caller's
    environment is left as it was."""
    import torch

    from lemm.dataset.run import WORKER_THREAD_ENV, local_executor

    before = dict(os.environ)
    with local_executor(1) as pool:
        env = {k: pool.submit(os.getenv, k).result() for k in WORKER_THREAD_ENV}
        threads = (pool.submit(torch.get_num_threads).result(), pool.submit(torch.get_num_interop_threads).result())
    assert env == {k: "1" for k in WORKER_THREAD_ENV} and threads == (1, 1)
    assert dict(os.environ) == before


def test_bad_options_are_refused(reference: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="other options"):
        generate(N, out=reference, workers=1, **{**OPTIONS, "seed": 12})
    with pytest.raises(ParameterError, match="shard"):
        generate(N, out=tmp_path, shard="2/2", **OPTIONS)
    with pytest.raises(ParameterError, match="duration"):
        generate(N, out=tmp_path, **{**OPTIONS, "duration": "0:05"})
    with pytest.raises(ParameterError, match="genres"):
        generate(N, out=tmp_path, **{**OPTIONS, "genres": ("polka",)})
    with pytest.raises(ParameterError, match="workers"):
        generate(N, out=tmp_path, workers=2, scheduler="tcp://127.0.0.1:1", **OPTIONS)
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_cli_parses_dataset_commands() -> None:
    from lemm.cli import build_parser

    args = build_parser().parse_args(["dataset", "generate", "--n", "8", "--out", "x", "--duration", "0:30-1:00", "--genres", "pop,rock"])
    assert (args.n, args.duration, args.genres, args.sample_rate, args.format) == (8, "0:30-1:00", "pop,rock", 44100, "flac")
    assert lemm.dataset.briefs.parse_duration_range(args.duration) == (30.0, 60.0)
    assert build_parser().parse_args(["dataset", "index", "d"]).dir == "d"
