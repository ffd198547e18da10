"""Re-render after one (track, section) edit: only that slice renders, every other stem stays byte-identical.

Prints one JSON line: the full compose + save of a song (3:30 by default), then the re-render
after regenerating the bass in the last chorus (``rerender_song_folder``, as ``lemm regen`` +
``lemm render`` do), with the re-render's seconds per stage, its process-CPU seconds, its
share of the full run (wall and CPU), peak RSS (the process's high-water mark, and the highest resident
memory sampled during the re-render alone), which stems stayed byte-identical, which files
were kept (not written again) and which were written, and the baseline timed
in the same run: fluidsynth with FluidR3_GM rendering the song's ``score.mid``.

Usage::

    python benchmarks/rerender.py [--duration 3:30] [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fluidsynth import Clock, fluidsynth_seconds, peak_rss_mb
from e2e import RssSampler

import lemm
from lemm.compose.regen import regenerate
from lemm.song import rerender_song_folder

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="3:30")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lyrics = (ROOT / "examples" / "lyrics.txt").read_text()
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "song"
        song = clock.run("full", lambda: lemm.compose("an upbeat pop song", tags=("pop",), lyrics=lyrics, duration=args.duration,
                                                       seed=args.seed).save(folder) and None)
        before = _stem_hashes(folder)  # (hashes: the stems' bytes held here would count in the re-render's memory)
        inodes = _song_files(folder)
        rss_full = peak_rss_mb()

        song = lemm.load(folder)
        chorus = [s.name for s in song.score.sections if s.kind == "chorus"][-1]
        edited = song.with_score(regenerate(song.score, song.plan, track="bass", section=chorus, seed=99))
        start = time.perf_counter()
        with RssSampler() as sampler:
            clock.run("rerender", lambda: rerender_song_folder(edited, folder, action="benchmark", progress=sampler.progress))
        rerender_seconds = time.perf_counter() - start
        after = _stem_hashes(folder)
        kept = sorted(rel for rel, inode in _song_files(folder).items() if inodes.get(rel) == inode)
        written = sorted(rel for rel in _song_files(folder) if rel not in kept)
        fluid = fluidsynth_seconds(folder / "score.mid")
    identical = sorted(name for name in before if before[name] == after.get(name))
    print(json.dumps({
        "benchmark": "rerender",
        "song_seconds": round(edited.master_audio.shape[-1] / edited.sample_rate, 2),
        "baseline": "the full compose + save of the same song, and fluidsynth on its score.mid, in the same run",
        "full_seconds": clock.wall["full"],
        "rerender_seconds": round(rerender_seconds, 2),
        "rerender_share_of_full": round(rerender_seconds / clock.wall["full"], 3),
        "rerender_cpu_share_of_full": round(clock.cpu["rerender"] / clock.cpu["full"], 3),
        "rerender_stage_seconds": edited.seconds_per_stage,
        "rerender_stage_cpu_seconds": edited.cpu_seconds_per_stage,
        "cpu_seconds": clock.cpu,
        "fluidsynth_seconds": fluid,
        "peak_rss_mb_full": rss_full,
        "peak_rss_mb": peak_rss_mb(),
        "rerender_peak_rss_mb": max(sampler.peaks.values()),
        "rerender_stage_peak_rss_mb": sampler.peaks,
        "slices_rendered": [list(s) for s in edited.render_stats.rendered],
        "slices_cached": len(edited.render_stats.cached),
        "stems_identical": identical,
        "stems_changed": sorted(set(before) - set(identical)),
        "files_kept": len(kept),
        "files_written": written,
    }))


def _stem_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "stems").glob("*.wav")}


def _song_files(folder: Path) -> dict[str, int]:
    """lemm's song files (not the caches, history or bookkeeping) by path, with their inode: a kept file keeps its inode."""
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*")
            if p.is_file() and p.relative_to(folder).parts[0] not in ("cache", "history", ".lemm")}


if __name__ == "__main__":
    main()
