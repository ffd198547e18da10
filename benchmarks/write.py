"""Write-stage benchmark: the seconds and bytes of writing a rendered, mixed song as a song folder.

Composes, renders and mixes a song in memory (not timed), then times
:func:`lemm.song.write_song_folder` three ways: into a new folder (every file
written), into the same folder again with nothing changed (every unchanged file
kept), and again after one track's stem changed (a re-render's write). Prints one
JSON line: wall and this process's CPU seconds of each write, the folder's size
(and per kind of file), peak RSS, and with ``--profile`` the thread CPU seconds
of the functions the write spends its time in (the write runs on three threads,
which cProfile does not follow; the writer threads of lemm.project.staging too).

Usage::

    python benchmarks/write.py [--duration 1:30] [--seed 1] [--profile]
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fluidsynth import Clock, peak_rss_mb

import lemm
from lemm.song import write_song_folder

ROOT = Path(__file__).resolve().parents[1]

#: (module, name) pairs timed with ``--profile``: each patched in the module that calls it (a name imported
#: into a module is looked up there), so a nested call is counted under both.
PROFILED = [
    ("lemm.project.staging", "write_audio"),
    ("lemm.project.staging", "write_printed"),
    ("lemm.project.staging", "write_daw_projects"),
    ("lemm.project.staging", "write_midi"),
    ("lemm.project.staging", "write_musicxml"),
    ("lemm.project.staging", "audio_content_key"),
    ("lemm.project.staging", "headroom_trim_db"),
    ("lemm.project.staging", "stem_digest"),
    ("lemm.project.staging", "song_to_dict"),
    ("lemm.project.staging", "_json_text"),
    ("lemm.project.staging", "score_content_keys"),
    ("lemm.project.staging", "new_version_files"),
    ("lemm.project.staging", "atomic_write_text"),
    ("lemm.export.printed", "printed_strips"),
    ("lemm.export.printed", "encode_to_file"),
    ("lemm.export.printed", "audio_content_key"),
    ("lemm.export", "rpp_text"),
    ("lemm.export", "dawproject_xml"),
    ("lemm.export", "write_dawproject"),
    ("lemm.export", "read_stem_infos"),
    ("lemm.export.dawproject", "_encoded_stem"),
    ("lemm.export.dawproject", "_write_zip"),
    ("lemm.export.dawproject", "dawproject_xml"),
    ("lemm.project.commit", "SongFolderWrite.commit"),
]


class ThreadProfile:
    """Thread CPU seconds and calls of the :data:`PROFILED` functions, on any thread (nested calls count in both)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def install(self) -> None:
        for module_name, attr in PROFILED:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            owner, name = module, attr
            if "." in attr:
                owner_name, name = attr.split(".")
                owner = getattr(module, owner_name, None)
            fn = getattr(owner, name, None) if owner is not None else None
            if fn is not None:
                setattr(owner, name, self._wrap(f"{module_name}.{attr}", fn))

    def _wrap(self, label: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.thread_time() - start
                    self.calls[label] = self.calls.get(label, 0) + 1

        return timed

    def table(self) -> dict[str, list]:
        return {k: [round(v, 3), self.calls[k]] for k, v in sorted(self.seconds.items(), key=lambda kv: -kv[1])}


def folder_sizes(folder: Path) -> dict[str, float]:
    """MiB per top-level entry kind (stems, printed, cache, song.dawproject, ...) and in all."""
    out: dict[str, float] = {}
    for p in folder.rglob("*"):
        if p.is_file():
            top = p.relative_to(folder).parts[0]
            out[top] = out.get(top, 0.0) + p.stat().st_size / 2**20
    out = {k: round(v, 2) for k, v in sorted(out.items())}
    out["total"] = round(sum(out.values()), 1)
    out["total_without_cache"] = round(out["total"] - out.get("cache", 0.0), 1)
    return out


def run(duration: str, seed: int, *, profile: bool) -> dict:
    lyrics = (ROOT / "examples" / "lyrics.txt").read_text()
    song = lemm.compose("an upbeat pop song about a summer night", tags=("pop",), lyrics=lyrics, duration=duration, seed=seed)
    song.mix()
    prof = ThreadProfile()
    if profile:
        prof.install()
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "song"
        clock.run("first", lambda: write_song_folder(song, folder))
        sizes = folder_sizes(folder)
        first_profile = prof.table()
        prof.seconds.clear()
        prof.calls.clear()
        clock.run("unchanged", lambda: write_song_folder(song, folder))
        unchanged_profile = prof.table()
        prof.seconds.clear()
        prof.calls.clear()
        name = song.score.tracks[0].name
        song.stems = {**song.stems, name: song.stems[name] * 0.5}
        song.mix()
        clock.run("one_stem_changed", lambda: write_song_folder(song, folder))
        changed_profile = prof.table()
    record = {
        "benchmark": "write",
        "lemm": str(Path(lemm.__file__).resolve().parent),
        "song_seconds": round(song.master_audio.shape[-1] / song.sample_rate, 2),
        "tracks": len(song.score.tracks),
        "wall_seconds": clock.wall,
        "cpu_seconds": clock.cpu,
        "folder_mb": sizes,
        "peak_rss_mb": peak_rss_mb(),
    }
    if profile:
        record["thread_cpu_seconds"] = {"first": first_profile, "unchanged": unchanged_profile, "one_stem_changed": changed_profile}
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="1:30")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="thread CPU seconds per function of the write")
    args = parser.parse_args()
    print(json.dumps(run(args.duration, args.seed, profile=args.profile)))


if __name__ == "__main__":
    main()
