"""Compose and score-I/O speed: what the tests used to assert with a stopwatch (they no longer do).

Times, in one run:

- composing a 3:30 pop song with lyrics (``compose_score``, caches warm), and the accompaniment
  of a 3:30 funk song alone (no melody part);
- writing and reading back a MusicXML file of 8 tracks, ~6,700 notes;

beside two baselines timed in the same run: the song's own length (real time) and writing the
same score as MIDI with mido (lemm's MIDI writer: a plain event writer, the floor for any export).
Prints one JSON line.

Usage::

    python benchmarks/compose.py [--seed 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.planner import make_plan
from lemm.score.midi import write_midi
from lemm.score.model import Note, Score, Track
from lemm.score.musicxml import read_musicxml, write_musicxml

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    lyrics = (ROOT / "examples" / "lyrics.txt").read_text(encoding="utf-8")

    plan = make_plan(Brief(prompt="pop", duration_seconds=210.0, seed=1, lyrics=lyrics))
    compose_score(plan, lyrics=lyrics, seed=1)  # warm caches (model weights, profiles)
    _, song_seconds = _timed(lambda: compose_score(plan, lyrics=lyrics, seed=args.seed))

    accompaniment = make_plan(Brief(prompt="pop", tags=("funk",), duration_seconds=210.0, seed=1))
    accompaniment = dataclasses.replace(accompaniment, instruments=tuple(i for i in accompaniment.instruments if i.role not in ("lead", "vocal")))
    compose_score(accompaniment, seed=1)
    _, accompaniment_seconds = _timed(lambda: compose_score(accompaniment, seed=args.seed))

    tracks = tuple(
        Track(f"t{k}", "keys", "acoustic_piano", notes=tuple(Note(40 + k * 5 + (i % 7), i * 240, 480 if k % 2 else 240, 60 + i % 50) for i in range(838)))
        for k in range(8)
    )
    score = Score(title="long", tracks=tracks)
    with tempfile.TemporaryDirectory() as tmp:
        path, write_seconds = _timed(lambda: write_musicxml(score, Path(tmp) / "long.musicxml"))
        back, read_seconds = _timed(lambda: read_musicxml(path))
        _, midi_seconds = _timed(lambda: write_midi(score, Path(tmp) / "long.mid"))
    assert back == score
    print(json.dumps({
        "benchmark": "compose",
        "compose_3m30_with_lyrics_seconds": round(song_seconds, 3),
        "compose_3m30_accompaniment_seconds": round(accompaniment_seconds, 3),
        "baseline_song_seconds": round(plan.duration_seconds, 1),
        "compose_realtime_factor": round(song_seconds / plan.duration_seconds, 5),
        "musicxml_notes": sum(len(t.notes) for t in tracks),
        "musicxml_write_seconds": round(write_seconds, 3),
        "musicxml_read_seconds": round(read_seconds, 3),
        "baseline_midi_write_seconds": round(midi_seconds, 3),
        "musicxml_write_vs_midi": round(write_seconds / max(midi_seconds, 1e-9), 1),
    }))


if __name__ == "__main__":
    main()
