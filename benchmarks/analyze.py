"""Benchmark of the planner and the guide analysis; prints one JSON line.

- **plans**: 20 prompts x (0:45, 3:30, 6:00): length within one bar, whole-bar
  sections, a chorus, energy peak in the last chorus, intro/outro/break lowest.
- **guide audio**: songs composed and rendered by lemm (fallback: the numpy test
  signal) at 70..170 bpm, straight and swung: tempo within 2 % (octave errors
  count as wrong) and downbeat phase, beside ``librosa.beat.beat_track`` on the
  same audio (the named baseline).
- **guide MIDI**: lemm scores in 24 keys exported to MIDI with the key
  signatures, chord texts, markers and lemm texts removed: key accuracy and
  section-boundary F-measure (within one bar) against the plan's form.
  Each song row lists its true tempo, swing (of the plan), genre, estimate,
  downbeat hit rate and the baseline's estimate. ``--cache DIR`` keeps the
  rendered songs between runs.
- **speed**: analysis of a 3:30 guide (44.1 kHz stereo) on 2 threads, beside
  ``librosa.beat.beat_track`` alone on the same audio.

Run: ``python benchmarks/analyze.py [--quick] [--cache /tmp/analyze_cache] [--audio-only]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")
os.environ.setdefault("NUMBA_NUM_THREADS", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lemm.compose.brief import Brief  # noqa: E402
from lemm.compose.guide import analyze_audio_array, analyze_midi  # noqa: E402
from lemm.compose.guide.testsignal import make_test_guide  # noqa: E402
from lemm.compose.planner import make_plan  # noqa: E402

PROMPTS = (
    "an upbeat pop song", "dark aggressive rock, fast", "chill lo-fi beat", "uplifting house track, big final chorus",
    "sad piano ballad", "cinematic epic that builds slowly", "boom bap hip hop 88 bpm", "smooth r&b, female vocals",
    "country song with steel guitar", "folk song in 3/4", "funky groove, slap bass", "indie rock, dreamy",
    "happy pop in D major", "melancholic ballad in E minor, 66 bpm", "edm anthem 128 bpm", "hip hop, dark, no piano",
    "soft acoustic folk", "energetic rock with organ", "lofi jazz, mellow, swung", "epic orchestral cinematic in 6/8",
)
SR = 22050


def f_measure(estimated: list[int], reference: list[int], tolerance: int = 1) -> float:
    est, ref = set(estimated) - {0}, set(reference) - {0}
    if not ref and not est:
        return 1.0
    hits = sum(1 for r in ref if any(abs(r - e) <= tolerance for e in est))
    p, r = hits / max(len(est), 1), hits / max(len(ref), 1)
    return 2 * p * r / max(p + r, 1e-9)


def bench_plans() -> dict:
    checks = {"length": 0, "whole_bars": 0, "chorus": 0, "peak_last_chorus": 0, "low_ends": 0}
    n = 0
    for duration in (45.0, 210.0, 360.0):
        for i, prompt in enumerate(PROMPTS):
            plan = make_plan(Brief(prompt=prompt, duration_seconds=duration, seed=i))
            n += 1
            bar_s = plan.beats_per_bar * 60.0 / plan.tempo_bpm
            checks["length"] += abs(plan.duration_seconds - duration) <= bar_s + 1e-9
            checks["whole_bars"] += all(isinstance(s.bars, int) and s.bars >= 1 for s in plan.sections)
            kinds = [s.kind for s in plan.sections]
            checks["chorus"] += "chorus" in kinds
            e = np.array(plan.energy_per_bar)
            starts = plan.section_start_bars()
            peaks = [j for j, k in enumerate(kinds) if k in ("chorus", "drop")]
            last = peaks[-1] if peaks else None
            checks["peak_last_chorus"] += last is not None and e[starts[last] : starts[last] + plan.sections[last].bars].max() >= e.max() - 1e-9
            low = [j for j, k in enumerate(kinds) if k in ("intro", "outro", "break")]
            mid = [j for j, k in enumerate(kinds) if k not in ("intro", "outro", "break")]
            checks["low_ends"] += (not low) or max(e[starts[j] : starts[j] + plan.sections[j].bars].max() for j in low) <= min(e[starts[j] : starts[j] + plan.sections[j].bars].min() for j in mid) + 1e-9
    return {"n": n, **{k: round(v / n, 3) for k, v in checks.items()}}


def _render_lemm(prompt: str, seconds: float, seed: int, cache: Path | None = None) -> dict | None:
    """Mono audio of a lemm song with its plan's tempo, bar length, beats per bar and swing; None if rendering is unavailable.

    With ``cache`` (a folder), the rendered song is kept there as ``.npz`` and read back on the next run.
    """
    path = None
    if cache is not None:
        path = cache / (f"{prompt}_{seconds:g}s_seed{seed}".replace(" ", "_") + ".npz")
        if path.is_file():
            with np.load(path) as z:
                return {k: (z[k] if k == "y" else z[k].item()) for k in z.files}
    try:
        from lemm.compose.arrange import compose_score
        from lemm.compose.profiles import load_profile
        from lemm.render import render_tracks

        plan = make_plan(Brief(prompt=prompt, duration_seconds=seconds, seed=seed))
        score = compose_score(plan, seed=seed)
        stems = render_tracks(score, sample_rate=SR, seed=seed)
        y = sum(s.mean(axis=0) for s in stems.values())
        y = y / (np.abs(y).max() + 1e-9) * 0.8
        got = {"y": y.astype(np.float32), "bpm": float(plan.tempo_bpm), "bar_seconds": plan.beats_per_bar * 60.0 / plan.tempo_bpm,
               "beats_per_bar": int(plan.meter_numerator), "swing": float(plan.swing), "swing_unit": int(load_profile(plan.genre).swing_unit)}
    except Exception as err:  # noqa: BLE001 - the renderer is optional here
        print(f"lemm renderer unavailable ({type(err).__name__}: {err}); using the numpy test signal", file=sys.stderr)
        return None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **got)
    return got


#: Genres of the rendered guides; tempo i, straight (0) or swung (1) takes GENRES[(2 * i + swung) % 11],
#: so the full set (11 tempos x 2 feels) holds each genre twice.
GENRES = ("pop", "rock", "funk", "rnb", "country", "indie", "edm", "hip-hop", "lofi", "folk", "ballad")


def bench_audio(quick: bool, cache: Path | None = None) -> dict:
    import librosa

    tempos = (70, 100, 130, 160) if quick else tuple(range(70, 171, 10))
    rows = []
    for i, bpm in enumerate(tempos):
        for swung in (0, 1):
            genre = GENRES[(2 * i + swung) % len(GENRES)]
            prompt = f"{genre} {bpm} bpm" + (" swung" if swung else " straight")
            got = _render_lemm(prompt, 30.0, seed=2 * i + swung, cache=cache)
            source = "lemm"
            if got is None:
                audio, truth = make_test_guide(tempo_bpm=float(bpm), form=(("verse", 4), ("chorus", 4), ("verse", 4)), swing=0.3 if swung else 0.0, sample_rate=SR, seed=i)
                got = {"y": audio[0], "bpm": float(bpm), "bar_seconds": 4 * 60.0 / bpm, "beats_per_bar": 4, "swing": 0.3 if swung else 0.0, "swing_unit": 8}
                source = "testsignal"
            y, true_bpm, bar_s = got["y"], got["bpm"], got["bar_seconds"]
            a = analyze_audio_array(y, sample_rate=SR)
            tempo_ok = abs(a.tempo_bpm - true_bpm) <= 0.02 * true_bpm
            rel = [d / bar_s for d in a.downbeats_seconds]
            phase = float(np.mean([abs(r - round(r)) * bar_s <= 0.07 for r in rel]))
            base_tempo, _ = librosa.beat.beat_track(y=y, sr=SR)
            base_tempo = float(np.atleast_1d(base_tempo)[0])
            rows.append({"bpm": true_bpm, "swing": round(got["swing"], 2), "swing_unit": got["swing_unit"], "genre": genre, "source": source,
                         "tempo": round(a.tempo_bpm, 2), "tempo_ok": bool(tempo_ok), "meter_ok": a.meter_numerator == got["beats_per_bar"],
                         "downbeat_hits": round(phase, 3), "baseline_tempo": round(base_tempo, 2), "baseline_ok": abs(base_tempo - true_bpm) <= 0.02 * true_bpm})
    n = len(rows)
    return {
        "n": n,
        "tempo_within_2pct": round(sum(r["tempo_ok"] for r in rows) / n, 3),
        "downbeat_phase_right": round(sum(r["downbeat_hits"] >= 0.8 for r in rows) / n, 3),
        "downbeat_hit_rate": round(float(np.mean([r["downbeat_hits"] for r in rows])), 3),
        "meter_right": round(sum(r["meter_ok"] for r in rows) / n, 3),
        "baseline_librosa_tempo_within_2pct": round(sum(r["baseline_ok"] for r in rows) / n, 3),
        "songs_columns": ["true_bpm", "swing", "genre", "tempo", "downbeat_hits", "baseline_tempo"],
        "songs": [[r["bpm"], r["swing"], r["genre"], r["tempo"], r["downbeat_hits"], r["baseline_tempo"]] for r in rows],
        "misses": [r for r in rows if not (r["tempo_ok"] and r["downbeat_hits"] >= 0.8 and r["meter_ok"])],
    }


def _strip_midi(src: Path, dst: Path) -> None:
    import mido

    mid = mido.MidiFile(src)
    for track in mid.tracks:
        kept, carry = [], 0
        for msg in track:
            drop = msg.type in ("key_signature", "marker") or (msg.type == "text" and (msg.text.startswith("lemm:") or msg.text.startswith("chord:")))
            if drop:
                carry += msg.time
                continue
            kept.append(msg.copy(time=msg.time + carry))
            carry = 0
        track[:] = kept
    mid.save(dst)


def bench_midi(quick: bool) -> dict:
    from lemm.compose.arrange import compose_score
    from lemm.score.midi import write_midi

    tonics = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    genres = ("pop", "rock", "ballad", "country", "folk", "indie", "rnb", "funk")
    keys_ok, fms, n = 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, tonic in enumerate(tonics[::3] if quick else tonics):
            for mode in ("major", "minor"):
                genre = genres[(i * 2 + (mode == "minor")) % len(genres)]
                plan = make_plan(Brief(prompt=f"{genre} in {tonic} {mode}", duration_seconds=150.0, seed=i))
                score = compose_score(plan, seed=i)
                raw, clean = Path(tmp) / "raw.mid", Path(tmp) / "clean.mid"
                write_midi(score, raw)
                _strip_midi(raw, clean)
                a = analyze_midi(clean)
                from lemm.score.harmony import pitch_class

                n += 1
                keys_ok += pitch_class(a.key_tonic) == pitch_class(plan.key_tonic) and a.key_mode == plan.key_mode
                fms.append(f_measure([s.start_bar for s in a.sections], plan.section_start_bars()))
    return {"n": n, "key_right": round(keys_ok / n, 3), "section_f_measure": round(float(np.mean(fms)), 3), "section_f_min": round(float(np.min(fms)), 3)}


def bench_speed() -> dict:
    import librosa
    from scipy.signal import resample_poly

    form = (("intro", 8), ("verse", 16), ("pre-chorus", 4), ("chorus", 16), ("verse", 16), ("pre-chorus", 4), ("chorus", 16), ("bridge", 8), ("chorus", 16), ("outro", 8))
    audio, truth = make_test_guide(tempo_bpm=115.0, form=form, sample_rate=44100, seed=1)
    stereo = np.vstack([audio, audio])
    seconds = stereo.shape[1] / 44100
    analyze_audio_array(stereo[:, : 44100 * 8], sample_rate=44100)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    a = analyze_audio_array(stereo, sample_rate=44100)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    y = resample_poly(stereo.mean(axis=0), 1, 2).astype(np.float32)
    librosa.beat.beat_track(y=y, sr=SR)
    base = time.perf_counter() - t0
    return {"guide_seconds": round(seconds, 1), "analyze_seconds": round(ours, 3), "baseline_librosa_beat_track_seconds": round(base, 3), "tempo": round(a.tempo_bpm, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tempos and keys")
    parser.add_argument("--cache", type=Path, default=None, help="folder that keeps the rendered guide songs between runs (e.g. /tmp/analyze_cache)")
    parser.add_argument("--audio-only", action="store_true", help="only the guide-audio part")
    args = parser.parse_args()
    if args.audio_only:
        print(json.dumps({"benchmark": "analyze", "threads": 2, "audio": bench_audio(args.quick, args.cache)}))
        return
    t0 = time.perf_counter()
    out = {"benchmark": "analyze", "threads": 2, "plans": bench_plans(), "speed": bench_speed(), "audio": bench_audio(args.quick, args.cache), "midi": bench_midi(args.quick)}
    out["total_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
