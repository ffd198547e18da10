"""Benchmark: render a 3:30, 8-track song at 48 kHz and print ONE JSON line.

The score is built here (seeded random notes over a chord progression, GM
programs set). Prints wall time with 1 and with N workers, the realtime
factor, and the peak RSS of this process while lemm renders (measured before
the baseline loads its SoundFont).

Baseline, timed in the same run on the same MIDI file (the score written
with :func:`lemm.score.midi.write_midi`): the tinysoundfont player with
FluidR3_GM (``baseline.seconds``, single-threaded C), and the ratio
``lemm_over_baseline`` = lemm's N-worker time / the player's time. Without
tinysoundfont or the SoundFont, ``"baseline"`` says why it is missing.

Usage::

    python benchmarks/render.py [--seconds 210] [--workers 2] [--sample-rate 48000] [--sf2 PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lemm.errors import DependencyError, LemmFileNotFoundError
from lemm.render import render_tracks
from lemm.render.soundfont import PRESET_PROGRAMS, SoundFontPlayer
from lemm.score.midi import write_midi
from lemm.score.model import Note, Score, TempoChange, Track

PROGRESSION = ((0, 4, 7, 11), (9, 12, 16, 19), (5, 9, 12, 16), (7, 11, 14, 17))  # Cmaj7 Am F G7 (pitch classes from C)
SCALE = (0, 2, 4, 5, 7, 9, 11)


def build_song(seconds: float, *, seed: int = 0, tempo_bpm: float = 120.0) -> Score:
    """A seeded 8-track pop-like arrangement lasting about ``seconds``."""
    rng = np.random.default_rng(seed)
    res = 480
    bar = 4 * res
    n_bars = int(round(seconds * tempo_bpm / 60.0 / 4.0))
    tr: dict[str, list[Note]] = {k: [] for k in ("drums", "bass", "piano", "pad", "strings", "lead", "guitar", "brass")}
    for b in range(n_bars):
        t0 = b * bar
        chord = PROGRESSION[b % 4]
        root = 36 + chord[0]
        for beat in range(4):
            tr["drums"].append(Note(36 if beat % 2 == 0 else 38, t0 + beat * res, res // 2, int(rng.integers(90, 120))))
        for e in range(8):
            tr["drums"].append(Note(46 if e == 7 else 42, t0 + e * res // 2, res // 4, int(rng.integers(60, 100))))
        if b % 8 == 0:
            tr["drums"].append(Note(49, t0, res, 110))
        for e in range(8):
            tr["bass"].append(Note(root + (12 if e % 4 == 3 else 0), t0 + e * res // 2, res // 2 - 20, int(rng.integers(85, 110))))
        for half in range(2):
            for pc in chord:
                tr["piano"].append(Note(60 + pc - (12 if pc > 9 else 0), t0 + half * 2 * res, 2 * res - 30, int(rng.integers(60, 90))))
        for pc in chord:
            tr["pad"].append(Note(48 + pc, t0, bar, 70))
        for pc in chord[:3]:
            tr["strings"].append(Note(60 + pc, t0, bar, 75, "legato"))
        for e in range(8):
            if rng.random() < 0.75:
                tr["lead"].append(Note(72 + SCALE[int(rng.integers(0, 7))], t0 + e * res // 2, res // 2, int(rng.integers(80, 110))))
        for beat in range(4):
            for j, pc in enumerate(sorted(chord)):
                tr["guitar"].append(Note(52 + pc, t0 + beat * res + 10 * j, res - 10 * j, int(rng.integers(60, 90))))
        if b % 2 == 1:
            for pc in chord[:3]:
                tr["brass"].append(Note(60 + pc, t0 + 3 * res, res // 2, 100, "accent"))
    presets = {
        "drums": ("drums", "synth_kit"), "bass": ("bass", "electric_bass"), "piano": ("keys", "acoustic_piano"), "pad": ("pad", "synth_pad"),
        "strings": ("strings", "string_ensemble"), "lead": ("lead", "synth_lead"), "guitar": ("guitar", "steel_guitar"), "brass": ("brass", "brass"),
    }  # fmt: skip
    tracks = tuple(
        Track(
            name=name, role=presets[name][0], preset=presets[name][1], is_drum=name == "drums",
            program=PRESET_PROGRAMS.get(presets[name][1], 0), notes=tuple(sorted(notes, key=lambda n: (n.start_tick, n.pitch))),
        )  # fmt: skip
        for name, notes in tr.items()
    )
    return Score(title="bench", tempos=(TempoChange(0, tempo_bpm),), tracks=tracks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=210.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample-rate", type=int, default=48000)
    parser.add_argument("--skip-serial", action="store_true", help="only time the parallel render")
    parser.add_argument("--sf2", default=None, help="SoundFont for the baseline (default FluidR3_GM)")
    args = parser.parse_args()
    score = build_song(args.seconds)
    n_samples = int(args.seconds * args.sample_rate)
    result = {
        "benchmark": "render",
        "song_seconds": args.seconds,
        "n_tracks": len(score.tracks),
        "n_notes": sum(len(t.notes) for t in score.tracks),
        "sample_rate": args.sample_rate,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "torch_threads_default": torch.get_num_threads(),
    }
    if not args.skip_serial:
        t0 = time.perf_counter()
        render_tracks(score, sample_rate=args.sample_rate, n_samples=n_samples, n_workers=1)
        result["seconds_1_worker"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    stems = render_tracks(score, sample_rate=args.sample_rate, n_samples=n_samples, n_workers=args.workers)
    elapsed = time.perf_counter() - t0
    result[f"seconds_{args.workers}_workers"] = round(elapsed, 2)
    result["realtime_factor"] = round(args.seconds / elapsed, 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
    result["stems_mb"] = round(sum(a.nbytes for a in stems.values()) / 2**20, 1)
    result["peak_dbfs"] = {k: round(float(20 * np.log10(np.abs(a).max() + 1e-12)), 1) for k, a in stems.items()}
    result["baseline"] = baseline(score, args.sf2, args.sample_rate, elapsed)
    print(json.dumps(result))


def baseline(score: Score, sf2: str | None, sample_rate: int, lemm_seconds: float) -> dict | str:
    """Time the SoundFont player on the same score written as MIDI."""
    try:
        player = SoundFontPlayer(sf2, sample_rate=sample_rate)
    except (DependencyError, LemmFileNotFoundError) as err:
        return f"unavailable: {err}"
    with tempfile.TemporaryDirectory() as tmp:
        path = write_midi(score, Path(tmp) / "bench.mid")
        t0 = time.perf_counter()
        audio = player.midi(path, tail_seconds=0.0)
        seconds = time.perf_counter() - t0
    return {
        "player": "tinysoundfont + FluidR3_GM",
        "seconds": round(seconds, 2),
        "audio_seconds": round(audio.shape[1] / sample_rate, 1),
        "lemm_over_baseline": round(lemm_seconds / seconds, 2),
    }


if __name__ == "__main__":
    main()
