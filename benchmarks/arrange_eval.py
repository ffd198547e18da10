"""Arrangement benchmark: the composer's measured qualities and its speed, as one JSON line.

For every genre profile a 3:30 instrumental song is planned and composed (seed
``--seed``), and measured with :mod:`lemm.compose.metrics`:

- ``range_violations`` (total, must be 0), ``chord_tone_fraction_min`` (>= 0.9),
  ``voice_movement_max`` (mean movement per voice of pad voicings, <= 3),
  ``parallels_total`` (outer-voice parallel fifths/octaves in pad voicings, 0);
- ``spearman_density_min`` / ``spearman_velocity_min`` (per-bar notes and mean
  velocity of the accompaniment against the energy, >= 0.8);
- ``groove_consistency_min`` (MusPy definition, drums, per section of 4+ bars,
  >= 0.9) and ``groove_distance_min`` (smallest onset-pattern distance between two
  groove families' chorus grooves, one genre per family: grooves differ);
- ``regen_outside_changes``: notes changed outside the slice over every
  (track, section) of the pop song regenerated with seed 9 (must be 0);
- ``compose_seconds_max``: wall time to compose all non-melody parts of a song
  (the baseline is the 1 s budget) and ``regen_seconds_mean``.

Usage::

    python benchmarks/arrange_eval.py [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from lemm.compose import metrics
from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.context import build_context
from lemm.compose.drums import groove_family
from lemm.compose.plan_model import Plan
from lemm.compose.planner import make_plan
from lemm.compose.profiles import list_genres
from lemm.compose.regen import regenerate


def accompaniment_only(plan: Plan) -> Plan:
    """The plan without its melody part (what "all non-melody parts" times)."""
    from dataclasses import replace

    return replace(plan, instruments=tuple(i for i in plan.instruments if i.role not in ("lead", "vocal")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows, patterns, times = {}, {}, []
    scores = {}
    for genre in list_genres():
        plan = make_plan(Brief(tags=(genre,), duration_seconds=210.0, seed=args.seed))
        score = compose_score(plan, seed=args.seed)
        scores[genre] = (plan, score)
        t0 = time.perf_counter()
        compose_score(plan, seed=args.seed + 1)
        times.append(time.perf_counter() - t0)
        voicings = [run for t in score.tracks for run in metrics.pad_voicings(t) if len(run) > 1]
        dens, vel = metrics.energy_response(score, plan.energy_per_bar)
        bar = score.meters[0].bar_ticks(score.resolution)
        drums = next((t for t in score.tracks if t.is_drum), None)
        gc = []
        if drums is not None:
            for s in score.sections:
                if s.duration_ticks >= 4 * bar:
                    gc.append(metrics.groove_consistency(drums.notes, bar_ticks=bar, start_tick=s.start_tick, end_tick=s.end_tick))
            chorus = [s for s in score.sections if s.kind in ("chorus", "drop")] or list(score.sections)
            patterns[genre] = np.mean([metrics.onset_pattern(drums, bar_ticks=bar, start_tick=s.start_tick, end_tick=s.end_tick) for s in chorus], axis=0)
        rows[genre] = {
            "range_violations": metrics.range_violations(score),
            "chord_tone_fraction": metrics.chord_tone_fraction(score),
            "voice_movement": metrics.mean_voice_movement(voicings) if voicings else 0.0,
            "parallels": metrics.parallel_count(voicings) if voicings else 0,
            "spearman_density": dens,
            "spearman_velocity": vel,
            "groove_consistency": float(np.nanmin(gc)) if gc else float("nan"),
        }
    # genres whose profiles name the same groove family play the same groove: compare families
    family = {g: groove_family(build_context(scores[g][0], seed=args.seed)) for g in patterns}
    reps = {}
    for g in sorted(patterns):
        reps.setdefault(family[g], g)
    names = sorted(reps.values())
    dists = [metrics.pattern_distance(patterns[a], patterns[b]) for i, a in enumerate(names) for b in names[i + 1 :]]
    acc_times = []
    for genre in ("pop", "funk", "rock"):
        plan = accompaniment_only(scores[genre][0])
        t0 = time.perf_counter()
        compose_score(plan, seed=args.seed + 2)
        acc_times.append(time.perf_counter() - t0)
    plan, score = scores["pop"]
    changed, regen_times = 0, []
    for track in score.tracks:
        for sec in score.sections:
            t0 = time.perf_counter()
            new = regenerate(score, plan, track=track.name, section=sec.name, seed=9)
            regen_times.append(time.perf_counter() - t0)
            for t_old, t_new in zip(score.tracks, new.tracks, strict=True):
                outside_old = [n for n in t_old.notes if t_old.name != track.name or not sec.start_tick <= n.start_tick < sec.end_tick]
                outside_new = [n for n in t_new.notes if t_new.name != track.name or not sec.start_tick <= n.start_tick < sec.end_tick]
                changed += len(set(outside_old) ^ set(outside_new))
    col = lambda k: [r[k] for r in rows.values()]  # noqa: E731
    print(json.dumps({
        "benchmark": "arrange_eval",
        "genres": len(rows),
        "range_violations": int(sum(col("range_violations"))),
        "chord_tone_fraction_min": round(min(col("chord_tone_fraction")), 4),
        "voice_movement_max": round(max(col("voice_movement")), 3),
        "parallels_total": int(sum(col("parallels"))),
        "spearman_density_min": round(min(col("spearman_density")), 3),
        "spearman_velocity_min": round(min(col("spearman_velocity")), 3),
        "groove_consistency_min": round(float(np.nanmin(col("groove_consistency"))), 4),
        "groove_distance_min": round(min(dists), 4) if dists else None,
        "groove_families": len(reps),
        "regen_slices": len(regen_times),
        "regen_outside_changes": changed,
        "regen_seconds_mean": round(float(np.mean(regen_times)), 4),
        "compose_seconds_max": round(max(times), 3),
        "accompaniment_seconds_max": round(max(acc_times), 3),
        "baseline_budget_seconds": 1.0,
        "per_genre": {g: {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for g, r in rows.items()},
    }))


if __name__ == "__main__":
    main()
