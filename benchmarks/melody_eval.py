"""Melody benchmark: the lieder-trained model vs the rule baseline vs held-out real melodies (JSON out).

Sets of melody segments (32 consecutive notes, up to 4 evenly spaced per song):

- ``real_test``: the committed held-out test songs of the lieder corpus (never trained on),
  cut into two halves by song (``real_a`` / ``real_b``) for the ceiling;
- ``model`` / ``rules``: vocal melodies of 3:30 songs planned from several prompts and
  lyrics (seeds ``--seed`` ...), written with ``method="model"`` / ``method="rules"`` on the
  same rhythms.

Measured (see :mod:`lemm.compose.melody.mgeval`): per MGEval feature the overlapping area (OA)
and KL divergence of the evaluated set's intra-set vs the inter-set distance densities (one
grid per feature shared by every comparison), for model|real_test, rules|real_test and
real_a|real_b; scale consistency and pitch-class entropy per song; the share of notes on strong
beats (downbeat, mid-bar) that are chord tones; lyric alignment (notes without a syllable,
syllables dropped in the sections written fresh); and the wall and CPU time of writing a whole
3:30 song's vocal melody with the model (one thread; the first song includes loading the weights;
the wall time counts waiting for a busy machine, the CPU time does not).

Usage::

    python benchmarks/melody_eval.py [--songs 24] [--seed 1] [--out melody_eval.json] [--reference test]

``--reference validation`` compares with the validation songs instead (for tuning decoding settings
without looking at the test songs); the reported numbers use the test songs.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import json
import time

import numpy as np

from lemm.compose import arrange
from lemm.compose.brief import Brief
from lemm.compose.context import build_context
from lemm.compose.lyrics_align import SUNG_KINDS
from lemm.compose.melody.data import QUALITIES, QUALITY_TEMPLATES, TPQ, load_dataset, split_of
from lemm.compose.melody.mgeval import FEATURES, compare_sets, melody_features, pitch_class_entropy, scale_consistency
from lemm.compose.melody.tokens import metric_strength
from lemm.compose.melody.train import grid_of
from lemm.compose.planner import make_plan
from lemm.seeding import derive_seed, make_rng

LYRICS = [
    "I walked along the river road\nthe morning light was slow\nI carried every word you said\nand let the water flow\n\n"
    "Hold on, hold on to me tonight\nwe are the spark that starts the fire\nhold on, hold on and hold me tight\nwe climb a little higher\n\n"
    "The city sleeps beneath the rain\nthe windows softly glow\nI count the footsteps on the stairs\nand wait for you to know",
    "Summer days are calling\nopen up the door\nsunlight on the water\nwe have been here before\n\n"
    "Sing it loud, sing it clear\nevery heart is beating here\nsing it loud, never fear\nwe are home this year\n\n"
    "Winter nights are falling\nquiet on the shore\ncandles in the window\nwe remember more",
    "There is a house upon the hill\nwhere all the roses grow\nmy mother sang a lullaby\na long, long time ago\n\n"
    "Carry me home across the sea\ncarry me home, my love\ncarry me home where I will be\nunder the stars above\n\n"
    "The years have turned the pages down\nthe garden gate is old\nbut still I hear the melody\nit never will grow cold",
]
PROMPTS = ["upbeat pop", "folk ballad", "rock anthem", "soulful rnb", "country song", "indie", "cinematic ballad", "funk groove"]
SEGMENT = 32


def segments(pitches, onsets_q, durs_q, *, per_song: int = 4) -> list[dict]:
    """MGEval features of up to ``per_song`` evenly spaced, non-overlapping 32-note segments."""
    n = len(pitches)
    k = min(per_song, n // SEGMENT)
    if k == 0:
        return []
    starts = np.linspace(0, n - SEGMENT, k).astype(int)
    return [melody_features(pitches[s:s + SEGMENT], onsets_q[s:s + SEGMENT], durs_q[s:s + SEGMENT]) for s in starts]


def real_song_stats(song: dict) -> dict:
    """Segments, scale consistency, pc entropy and strong-beat chord-tone share of one extracted song."""
    p = np.asarray(song["pitch"])
    on = np.asarray(song["onset"]) / TPQ
    du = np.asarray(song["dur"]) / TPQ
    tpl = {q: tp for q, tp in reversed(QUALITY_TEMPLATES)}
    bars, times = song["bars"] or [0], song["times"]
    t_ticks = [t[0] for t in times]
    strong = hits = 0
    for t, pitch in zip(song["onset"], song["pitch"], strict=True):
        b = max(0, bisect.bisect_right(bars, t) - 1)
        _, num, den = times[max(0, bisect.bisect_right(t_ticks, bars[b]) - 1)]
        bar_t, beat_t, sub_t, bpb = grid_of(num, den)
        pos = t - bars[b]
        if metric_strength(pos, bar_ticks=max(bar_t, pos + 1), beat_ticks=beat_t, sub_ticks=sub_t, beats_per_bar=bpb) <= 1:
            code = song["chords"][t // TPQ] if t // TPQ < len(song["chords"]) else -1
            if code < 0:
                continue
            root, q = divmod(code, len(QUALITIES))
            strong += 1
            hits += (pitch - root) % 12 in tpl[q]
    return {"segments": segments(p, on, du), "scale_consistency": scale_consistency(p), "pc_entropy": pitch_class_entropy(p), "strong": strong, "strong_chord_tones": hits}


def song_melody(plan, lyrics: str, seed: int, method: str) -> tuple[list, object, tuple[float, float]]:
    """The vocal notes of a whole song with ``method`` (as compose_score writes them), its context, (wall, CPU) seconds."""
    plan = dataclasses.replace(plan, melody_method=method)
    ctx = build_context(plan, seed=seed, resolution=arrange.RESOLUTION)
    lines = arrange._lyric_lines(lyrics)
    by_section = arrange._section_lines(ctx, lines)
    spec = next(s for s in arrange.part_specs(plan, lyrics=lyrics) if arrange.is_melody(s))
    t0 = time.perf_counter()
    c0 = time.process_time()
    cache: dict = {}
    notes = []
    for i in range(len(plan.sections)):
        notes += arrange._write(ctx, spec, i, seed, by_section, cache)
    notes = arrange.finish_part(ctx, spec, notes)
    seconds = (time.perf_counter() - t0, time.process_time() - c0)
    return notes, ctx, seconds


def lyric_check(plan, lyrics: str, seed: int, method: str) -> dict:
    """Syllables expected vs notes written, in every sung section written fresh (the first chorus included)."""
    plan = dataclasses.replace(plan, melody_method=method)
    ctx = build_context(plan, seed=seed, resolution=arrange.RESOLUTION)
    by_section = arrange._section_lines(ctx, arrange._lyric_lines(lyrics))
    spec = next(s for s in arrange.part_specs(plan, lyrics=lyrics) if arrange.is_melody(s))
    expected = written = unlyriced = lines_unsung = 0
    for i, sec in enumerate(plan.sections):
        lines = by_section[i]
        if not lines or sec.kind not in SUNG_KINDS:
            continue
        slots = arrange._slots(ctx, i, len(lines))
        lines_unsung += max(0, len(lines) - len(slots))
        expected += sum(len([s for w in lines[k % len(lines)].words for s in w.syllables]) for k in range(len(slots)))
        notes = arrange._vocal_notes(ctx, spec, i, lines, make_rng(derive_seed(seed, spec.name, sec.name)))
        written += len(notes)
        unlyriced += sum(n.lyric is None for n in notes)
    return {"syllables_expected": expected, "notes_written": written, "notes_without_syllable": unlyriced, "syllables_dropped": expected - (written - unlyriced), "lines_without_slot": lines_unsung}


def gen_song_stats(notes, ctx) -> dict:
    p = np.array([n.pitch for n in notes])
    on = np.array([n.start_tick for n in notes]) / ctx.resolution
    du = np.array([n.duration_ticks for n in notes]) / ctx.resolution
    strong = hits = 0
    for n in notes:
        if ctx.metric_weight(n.start_tick) >= 0.75:
            strong += 1
            hits += n.pitch % 12 in ctx.chord_at(n.start_tick).chord.pitch_classes
    return {"segments": segments(p, on, du), "scale_consistency": scale_consistency(p), "pc_entropy": pitch_class_entropy(p), "strong": strong, "strong_chord_tones": hits}


def summarise(stats: list[dict]) -> dict:
    sc = [s["scale_consistency"] for s in stats]
    return {
        "songs": len(stats), "segments": sum(len(s["segments"]) for s in stats),
        "scale_consistency_mean": float(np.mean(sc)), "scale_consistency_min": float(np.min(sc)),
        "pc_entropy_mean": float(np.mean([s["pc_entropy"] for s in stats])),
        "strong_beat_chord_tone_share": float(sum(s["strong_chord_tones"] for s in stats) / max(1, sum(s["strong"] for s in stats))),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--songs", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument("--reference", choices=("test", "validation"), default="test",
                    help="real songs to compare with: the held-out test songs (report) or the validation songs (tuning)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    test = sorted((s for s in load_dataset() if split_of(s["id"]) == args.reference), key=lambda s: s["id"])
    real = [real_song_stats(s) for s in test]
    gen = {"model": [], "rules": []}
    lyric = {"model": [], "rules": []}
    seconds = []
    for k in range(args.songs):
        lyrics = LYRICS[k % len(LYRICS)]
        plan = make_plan(Brief(prompt=PROMPTS[k % len(PROMPTS)], lyrics=lyrics, duration_seconds=210.0, seed=args.seed + k))
        for method in ("model", "rules"):
            notes, ctx, sec = song_melody(plan, lyrics, args.seed + k, method)
            if method == "model":
                seconds.append(sec)
            gen[method].append(gen_song_stats(notes, ctx))
            if k < 6:
                lyric[method].append(lyric_check(plan, lyrics, args.seed + k, method))
    seg = {
        "model": [x for s in gen["model"] for x in s["segments"]], "rules": [x for s in gen["rules"] for x in s["segments"]],
        "real_test": [x for s in real for x in s["segments"]],
        "real_a": [x for s in real[0::2] for x in s["segments"]], "real_b": [x for s in real[1::2] for x in s["segments"]],
    }
    n = min(len(seg["model"]), len(seg["rules"]), len(seg["real_test"]))
    sets = {k: [v[i] for i in sorted(rng.choice(len(v), size=min(n, len(v)), replace=False))] for k, v in seg.items()}
    cmp = compare_sets(sets, [("model", "real_test"), ("rules", "real_test"), ("real_a", "real_b")])
    oa_model = {f: cmp["model|real_test"][f]["oa"] for f in FEATURES}
    oa_rules = {f: cmp["rules|real_test"][f]["oa"] for f in FEATURES}
    report = {
        "reference": args.reference,
        "segments_per_set": {k: len(v) for k, v in sets.items()},
        "mgeval": cmp,
        "oa_model_ge_0.75": sum(v >= 0.75 for v in oa_model.values()),
        "oa_model_better_than_rules": sum(oa_model[f] > oa_rules[f] + 1e-9 for f in FEATURES),
        "oa_model_not_worse_than_rules": sum(oa_model[f] >= oa_rules[f] - 1e-9 for f in FEATURES),
        "model": summarise(gen["model"]), "rules": summarise(gen["rules"]), "real_test": summarise(real),
        "lyrics_model": {k: sum(d[k] for d in lyric["model"]) for k in lyric["model"][0]},
        "lyrics_rules": {k: sum(d[k] for d in lyric["rules"]) for k in lyric["rules"][0]},
        "model_song_wall_seconds_median": float(np.median([w for w, _ in seconds])), "model_song_wall_seconds_max": float(max(w for w, _ in seconds[1:] or seconds)),
        "model_song_cpu_seconds_median": float(np.median([c for _, c in seconds])), "model_song_cpu_seconds_max": float(max(c for _, c in seconds[1:] or seconds)),
        "model_song_seconds_first_incl_load": float(seconds[0][0]),
    }
    text = json.dumps(report, indent=1)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    print(text)
    return report


if __name__ == "__main__":
    main()
