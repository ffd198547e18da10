"""Re-render after one (track, section) edit: only that slice renders, every other stem stays byte-identical.

Prints one JSON line: the full render of a 3:30 song (the named baseline, same run) and the
re-render after regenerating the bass in one chorus, with the render stage's seconds, the
whole re-render (render + mix + master + write) and how many stems stayed byte-identical.

Usage::

    python benchmarks/rerender.py [--duration 3:30] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import lemm
from lemm.compose.regen import regenerate
from lemm.project.folder import rerender_song_folder

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="3:30")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lyrics = (ROOT / "examples" / "lyrics.txt").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "song"
        start = time.perf_counter()
        song = lemm.compose("an upbeat pop song", tags=("pop",), lyrics=lyrics, duration=args.duration, seed=args.seed)
        song.save(folder)
        full_seconds = time.perf_counter() - start
        full_render = song.seconds_per_stage["render"]
        before = {p.name: p.read_bytes() for p in (folder / "stems").glob("*.wav")}

        song = lemm.load(folder)
        chorus = [s.name for s in song.score.sections if s.kind == "chorus"][-1]
        edited = song.with_score(regenerate(song.score, song.plan, track="bass", section=chorus, seed=99))
        start = time.perf_counter()
        rerender_song_folder(edited, folder, action="benchmark")
        rerender_seconds = time.perf_counter() - start
        after = {p.name: p.read_bytes() for p in (folder / "stems").glob("*.wav")}
    identical = sorted(name for name in before if before[name] == after.get(name))
    print(json.dumps({
        "benchmark": "rerender",
        "song_seconds": round(edited.master_audio.shape[-1] / edited.sample_rate, 2),
        "baseline": "full render of the same song in the same run",
        "full_render_seconds": round(full_render, 2),
        "full_compose_and_save_seconds": round(full_seconds, 2),
        "rerender_render_seconds": edited.seconds_per_stage["render"],
        "rerender_total_seconds": round(rerender_seconds, 2),
        "rerender_stages": edited.seconds_per_stage,
        "slices_rendered": [list(s) for s in edited.render_stats.rendered],
        "slices_cached": len(edited.render_stats.cached),
        "stems_identical": identical,
        "stems_changed": sorted(set(before) - set(identical)),
    }))


if __name__ == "__main__":
    main()
