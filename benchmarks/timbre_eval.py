"""Benchmark: how close lemm's presets sound to their FluidR3_GM references; prints ONE JSON line.

Part 1, stock presets: for each preset, the multi-scale STFT distance
(:func:`lemm.render.spectral.multiscale_stft_distance`, unit-RMS signals) of
lemm's render to the SoundFont note, at 3 pitches x 2 velocities (those of
:mod:`lemm.render.fit_soundfont`), next to two plain baselines made here with
numpy: a band-limited sawtooth and a sine, at the same pitch, with a 10 ms
attack, full sustain and a 100 ms linear release. The baseline of a note is
the closer of the two. A preset passes when its mean distance is at least 40 %
below the baseline's mean.

Part 2, timbre fitting on held-out notes: for GM instruments that no stock
preset models, :func:`lemm.render.fit_preset` fits one note (pitch 60,
velocity 100; ``--fit-pitches`` fits several) and the result renders two
other pitches; their distance is compared with that of the nearest stock
preset (the stock preset closest on those same notes). Passes when fitting
cuts the distance by >= 50 %. For context, ``distance_fitted_on_held_out``
fits each held-out note itself and renders it back: what a fit reaches on the
very note (FluidR3 plays different pitches from different samples, so no fit
from other notes can be expected to do better), and ``cut_upper_bound`` the
cut that would give. ``distance_static_spectrum_oracle`` rebuilds each judged
note from its own median harmonic spectrum and waveform phases (0.2-0.9 s)
times its own level envelope: what a preset (one spectrum and waveform per
note, times an envelope) fitted perfectly to the judged note would score.
``distance_judged_note_detuned`` is the judged note itself played
:data:`DETUNE_CENTS` sharp (the same sample, the same timbre): how much of the
distance is sample-exact alignment (vibrato phase, waveform position) that no
timbre model rendering a new note can reproduce.

Part 3, the fitted-timbre judge across libraries (``--cross-library``):
:func:`lemm.render.fit_preset` fits 4 notes across each held-out
instrument's range from FluidR3_GM and is tested on other pitches of the
same GM program from MuseScore General (both rendered by the fluidsynth CLI,
reverb and chorus off),
with :func:`spectrum_envelope_distance`: the L1 distance (dB) of the
time-averaged log-mel spectra (64 bands, 30 Hz-16 kHz, level-normalised)
plus the L1 distance (dB) of the amplitude envelopes (10 ms RMS frames,
relative to the peak, floored at -60 dB), the same measure as
:func:`lemm.render.spectral.spectrum_envelope_distance` (written out here
with numpy, independently). A fit passes when it cuts the
distance of the nearest stock preset (the stock preset closest on the same
test notes) by >= 40 %. Cello and flute have stock presets of their own
(fitted to FluidR3 at 3 pitches x 2 velocities, with hand-set vibrato,
body and attack), so there the fit from 4 notes competes with a curated
preset of the same instrument.

``distance_fluidr3_same_notes`` is FluidR3's own notes at the judged pitches
against MuseScore General's: what a fit that copied FluidR3 exactly would
score. ``cut_bound_if_exact_copy`` (``1 - own / stock``) is the cut that
copy would reach; where it is under 0.4 no fit to FluidR3 can pass. The extra
criterion ``pass_gap_closed`` asks the fit to close at least
:data:`GAP_CLOSED_MIN` of the gap between the nearest stock preset and that
exact copy (``gap_closed = (stock - fitted) / (stock - own)``; false where
the stock preset is already as close as FluidR3's own notes).

Usage::

    python benchmarks/timbre_eval.py [--sf2 PATH] [--presets-dir DIR] [--skip-fit] [--fit-pitches 60] [--skip-oracle]
    python benchmarks/timbre_eval.py --cross-library [--instruments clarinet,violin]

Needs tinysoundfont and FluidR3_GM (see lemm/render/soundfont.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from lemm.render import fit_preset, list_presets, render_track
from lemm.render.fit_soundfont import FIT_PITCHES, FIT_VELOCITIES, GATE_SECONDS, TAIL_SECONDS
from lemm.render.fitting import note_score
from lemm.render.presets import preset_from_dict
from lemm.render.soundfont import PRESET_PROGRAMS, SoundFontPlayer
from lemm.render.spectral import harmonic_magnitudes, harmonic_phase_offsets, multiscale_stft_distance

SR = 48000
#: GM instruments without a stock preset, for the fitting test: name -> program.
HELD_OUT_INSTRUMENTS = {"clarinet": 71, "vibraphone": 11, "violin": 40, "alto_sax": 65}
FIT_PITCH, HELD_OUT_PITCHES = 60, (55, 67)
#: The alignment control: the judged note itself, played this many cents sharp.
DETUNE_CENTS = 5.0


def baseline(kind: str, pitch: int, n_samples: int) -> np.ndarray:
    """Sawtooth (band-limited, 1/k) or sine at ``pitch``: 10 ms attack, sustain, 100 ms release after the gate."""
    f0 = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    t = np.arange(n_samples) / SR
    ks = [1] if kind == "sine" else [k for k in range(1, 200) if k * f0 < SR / 2]
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in ks)
    env = np.minimum(t / 0.01, 1.0) * np.clip(1.0 - (t - GATE_SECONDS) / 0.1, 0.0, 1.0)
    return y * env


def static_spectrum_oracle(reference: np.ndarray, pitch: int) -> np.ndarray:
    """``reference`` rebuilt as its median harmonic spectrum and its waveform's phases (0.2-0.9 s) times its level envelope, at ``pitch``."""
    f0 = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    n_harmonics = int(SR / 2 / f0 * 0.95)
    amps, _, hop = harmonic_magnitudes(reference, sample_rate=SR, f0_hz=f0, n_harmonics=n_harmonics)
    frame_seconds = np.arange(amps.shape[0]) * hop / SR
    level = np.sqrt(np.sum(amps**2, axis=1))
    sustain = (frame_seconds > 0.2) & (frame_seconds < 0.9)
    spectrum = np.median(amps[sustain] / np.maximum(level[sustain, None], 1e-12), axis=0)
    psi = harmonic_phase_offsets(reference, sample_rate=SR, f0_hz=f0, n_harmonics=n_harmonics, start_seconds=0.2, end_seconds=0.9)
    t = np.arange(reference.size) / SR
    wave = np.zeros(reference.size)
    for k, (a, phase) in enumerate(zip(spectrum, psi, strict=True), start=1):
        wave += a * np.sin(2 * np.pi * k * f0 * t + phase)
    return wave * np.interp(t, frame_seconds, level)


#: Part 3: per instrument, (GM program, 4 training pitches from FluidR3, test pitches from MuseScore General).
CROSS_LIBRARY = {
    "clarinet": (71, (52, 62, 72, 82), (57, 67, 77)),
    "vibraphone": (11, (55, 65, 75, 85), (60, 70, 80)),
    "violin": (40, (58, 68, 78, 88), (63, 73, 83)),
    "alto_sax": (65, (50, 58, 66, 74), (54, 62, 70)),
    "trumpet": (56, (55, 63, 71, 79), (59, 67, 75)),
    "cello": (42, (38, 48, 58, 68), (43, 53, 63)),
    "flute": (73, (62, 72, 82, 92), (67, 77, 87)),
}
#: The extra criterion: share of the gap between the nearest stock preset and FluidR3's own notes that the fit closes.
GAP_CLOSED_MIN = 0.5
MUSESCORE = Path("/usr/share/sounds/sf3/MuseScore_General.sf3")
FLUIDR3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def spectrum_envelope_distance(a: np.ndarray, b: np.ndarray) -> float:
    """L1 (dB) of the level-normalised time-averaged log-mel spectra plus L1 (dB) of the amplitude envelopes."""
    import librosa

    n = min(a.size, b.size)
    a, b = np.asarray(a[:n], dtype=np.float64), np.asarray(b[:n], dtype=np.float64)
    fb = librosa.filters.mel(sr=SR, n_fft=2048, n_mels=64, fmin=30.0, fmax=16000.0)

    def mel_db(x: np.ndarray) -> np.ndarray:
        frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, (0, 2048)), 2048)[::512] * np.hanning(2048)
        power = (fb @ (np.abs(np.fft.rfft(frames, axis=1)) ** 2).T).mean(1)
        db = 10 * np.log10(np.maximum(power / max(power.sum(), 1e-30), 1e-12))
        return np.maximum(db, db.max() - 80.0)

    def env_db(x: np.ndarray) -> np.ndarray:
        hop = SR // 100
        rms = np.sqrt((x[: x.size // hop * hop].reshape(-1, hop) ** 2).mean(1))
        return np.maximum(20 * np.log10(np.maximum(rms / max(rms.max(), 1e-30), 1e-12)), -60.0)

    return float(np.abs(mel_db(a) - mel_db(b)).mean() + np.abs(env_db(a) - env_db(b)).mean())


def fluidsynth_notes(sf: Path, program: int, pitches: tuple[int, ...], velocity: int, scratch: Path) -> dict[int, np.ndarray]:
    """Each pitch held ``GATE_SECONDS`` then ``TAIL_SECONDS`` of release, from ``sf`` through the fluidsynth CLI (reverb, chorus off); mono."""
    import subprocess

    import mido
    import soundfile

    stride = GATE_SECONDS + TAIL_SECONDS + 1.0
    midi = mido.MidiFile(ticks_per_beat=960)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 1920 ticks per second
    track.append(mido.Message("program_change", channel=0, program=program, time=0))
    last = 0
    for k, p in enumerate(pitches):
        for t, msg in ((k * stride, mido.Message("note_on", channel=0, note=p, velocity=velocity)), (k * stride + GATE_SECONDS, mido.Message("note_off", channel=0, note=p))):
            tick = int(round(t * 1920))
            track.append(msg.copy(time=tick - last))
            last = tick
    path = scratch / f"notes_{program}.mid"
    midi.save(str(path))
    out = scratch / f"notes_{program}_{sf.stem}.wav"
    subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-F", str(out), "-r", str(SR), str(sf), str(path)], check=True, capture_output=True)
    audio, _ = soundfile.read(str(out), dtype="float32", always_2d=True)
    mono = audio.mean(1)
    n = int(round((GATE_SECONDS + TAIL_SECONDS) * SR))
    return {p: mono[int(k * stride * SR) : int(k * stride * SR) + n] for k, p in enumerate(pitches)}


def cross_library(instruments: list[str], scratch: Path, *, sf2: Path = FLUIDR3) -> dict:
    """Part 3: fit on FluidR3 (4 notes), judge on MuseScore General (other pitches) against the nearest stock preset."""
    out = {}
    n_ref = int(round((GATE_SECONDS + TAIL_SECONDS) * SR))
    for inst in instruments:
        program, train_pitches, test_pitches = CROSS_LIBRARY[inst]
        fluid = fluidsynth_notes(sf2, program, tuple(sorted(train_pitches + test_pitches)), 100, scratch)
        train = [fluid[p] for p in train_pitches]
        t0 = time.perf_counter()
        fitted = fit_preset(train, sample_rate=SR, name=f"fitted_{inst}")
        fit_seconds = time.perf_counter() - t0
        refs = fluidsynth_notes(MUSESCORE, program, test_pitches, 100, scratch)
        d_fit = float(np.mean([spectrum_envelope_distance(ours("", p, 100, n_ref, fitted), refs[p]) for p in test_pitches]))
        d_stock = {name: float(np.mean([spectrum_envelope_distance(ours(name, p, 100, n_ref), refs[p]) for p in test_pitches])) for name in list_presets()}
        nearest = min(d_stock, key=d_stock.get)
        d_fluid = float(np.mean([spectrum_envelope_distance(fluid[p], refs[p]) for p in test_pitches]))
        cut = 1.0 - d_fit / d_stock[nearest]
        gap = d_stock[nearest] - d_fluid
        gap_closed = (d_stock[nearest] - d_fit) / gap if gap > 0 else None
        out[inst] = {
            "train_pitches_fluidr3": list(train_pitches),
            "test_pitches_musescore": list(test_pitches),
            "distance_fitted": round(d_fit, 2),
            "nearest_stock_preset": nearest,
            "distance_nearest_stock": round(d_stock[nearest], 2),
            "distance_fluidr3_same_notes": round(d_fluid, 2),
            "cut": round(cut, 3),
            "cut_bound_if_exact_copy": round(1.0 - d_fluid / d_stock[nearest], 3),
            "gap_closed": None if gap_closed is None else round(gap_closed, 3),
            "fit_seconds": round(fit_seconds, 1),
            "pass": bool(cut >= 0.4),
            "pass_gap_closed": bool(gap_closed is not None and gap_closed >= GAP_CLOSED_MIN),
        }
        print(json.dumps({inst: out[inst]}), file=sys.stderr, flush=True)  # progress, one instrument at a time
    return out


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(multiscale_stft_distance(a.astype(np.float32), b.astype(np.float32)))


def ours(name: str, pitch: int, velocity: int, n_samples: int, preset=None) -> np.ndarray:
    track, score = note_score(name if preset is None else preset.name, pitch, velocity, GATE_SECONDS)
    return render_track(track, score, sample_rate=SR, n_samples=n_samples, preset=preset).mean(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf2", default=None)
    parser.add_argument("--presets-dir", default=None, help="evaluate the preset JSON files in this folder instead")
    parser.add_argument("--skip-fit", action="store_true")
    parser.add_argument("--fit-pitches", default=str(FIT_PITCH), help="comma-separated pitches fit_preset is given (default 60)")
    parser.add_argument("--skip-oracle", action="store_true", help="leave out the fits on the held-out notes themselves")
    parser.add_argument("--cross-library", action="store_true", help="only Part 3: fit on FluidR3, judge on MuseScore General")
    parser.add_argument("--instruments", default=",".join(CROSS_LIBRARY), help="Part 3 instruments")
    args = parser.parse_args()
    if args.cross_library:
        import tempfile

        t0 = time.perf_counter()
        if not MUSESCORE.exists():
            print(json.dumps({"benchmark": "timbre_eval", "part": "cross_library", "error": f"{MUSESCORE} is missing (apt install musescore-general-soundfont)"}))
            return
        with tempfile.TemporaryDirectory() as scratch:
            fits = cross_library(args.instruments.split(","), Path(scratch), sf2=Path(args.sf2) if args.sf2 else FLUIDR3)
        print(json.dumps({"benchmark": "timbre_eval", "part": "cross_library", "fits": fits, "all_pass": all(f["pass"] for f in fits.values()),
                          "all_pass_gap_closed": all(f["pass_gap_closed"] for f in fits.values()),
                          "seconds": round(time.perf_counter() - t0, 1)}))  # fmt: skip
        return
    fit_pitches = tuple(int(p) for p in args.fit_pitches.split(","))
    if set(fit_pitches) & set(HELD_OUT_PITCHES):
        parser.error(f"--fit-pitches must not include the held-out pitches {HELD_OUT_PITCHES}")
    t_start = time.perf_counter()
    player = SoundFontPlayer(args.sf2, sample_rate=SR)
    result: dict = {"benchmark": "timbre_eval", "sample_rate": SR, "load_average_1min": round(os.getloadavg()[0], 2), "presets": {}}
    overrides = {}
    if args.presets_dir:
        overrides = {p.stem: preset_from_dict(json.loads(p.read_text())) for p in Path(args.presets_dir).glob("*.json")}
    n_ref = int(round((GATE_SECONDS + TAIL_SECONDS) * SR))
    passed = []
    for name in list_presets():
        d_preset, d_base, d_saw, d_sine = [], [], [], []
        for pitch in FIT_PITCHES[name]:
            for velocity in FIT_VELOCITIES:
                ref = player.note(program=PRESET_PROGRAMS[name], pitch=pitch, velocity=velocity, gate_seconds=GATE_SECONDS, tail_seconds=TAIL_SECONDS).mean(0)
                d_preset.append(distance(ours(name, pitch, velocity, n_ref, overrides.get(name)), ref))
                d_saw.append(distance(baseline("saw", pitch, n_ref), ref))
                d_sine.append(distance(baseline("sine", pitch, n_ref), ref))
                d_base.append(min(d_saw[-1], d_sine[-1]))
        closer = 1.0 - np.mean(d_preset) / np.mean(d_base)
        passed.append(closer >= 0.4)
        result["presets"][name] = {
            "distance": round(float(np.mean(d_preset)), 3),
            "baseline_sawtooth": round(float(np.mean(d_saw)), 3),
            "baseline_sine": round(float(np.mean(d_sine)), 3),
            "closer_than_baseline": round(float(closer), 3),
            "pass": bool(closer >= 0.4),
        }
    result["all_presets_pass"] = bool(all(passed))
    if not args.skip_fit:
        stock = {name: overrides.get(name) for name in list_presets()}
        fits = {}
        for inst, program in HELD_OUT_INSTRUMENTS.items():
            train = [player.note(program=program, pitch=p, velocity=100, gate_seconds=GATE_SECONDS, tail_seconds=TAIL_SECONDS).mean(0) for p in fit_pitches]
            t0 = time.perf_counter()
            fitted = fit_preset(train if len(train) > 1 else train[0], sample_rate=SR, name=f"fitted_{inst}")
            fit_seconds = time.perf_counter() - t0
            refs = {p: player.note(program=program, pitch=p, velocity=100, gate_seconds=GATE_SECONDS, tail_seconds=TAIL_SECONDS).mean(0) for p in HELD_OUT_PITCHES}
            d_fit = float(np.mean([distance(ours("", p, 100, n_ref, fitted), refs[p]) for p in HELD_OUT_PITCHES]))
            d_stock = {name: float(np.mean([distance(ours(name, p, 100, n_ref, stock[name]), refs[p]) for p in HELD_OUT_PITCHES])) for name in stock}
            nearest = min(d_stock, key=d_stock.get)
            cut = 1.0 - d_fit / d_stock[nearest]
            nearest_train = {p: min(fit_pitches, key=lambda q: abs(q - p)) for p in HELD_OUT_PITCHES}
            sampler = {
                p: player.note(program=program, pitch=q, velocity=100, gate_seconds=GATE_SECONDS, tail_seconds=TAIL_SECONDS, bend_semitones=float(p - q)).mean(0)
                for p, q in nearest_train.items()
            }
            d_sampler = float(np.mean([distance(sampler[p], refs[p]) for p in HELD_OUT_PITCHES]))
            d_static = float(np.mean([distance(static_spectrum_oracle(refs[p], p), refs[p]) for p in HELD_OUT_PITCHES]))
            detuned = {
                p: player.note(program=program, pitch=p, velocity=100, gate_seconds=GATE_SECONDS, tail_seconds=TAIL_SECONDS, bend_semitones=DETUNE_CENTS / 100).mean(0)
                for p in HELD_OUT_PITCHES
            }
            d_detuned = float(np.mean([distance(detuned[p], refs[p]) for p in HELD_OUT_PITCHES]))
            fits[inst] = {
                "distance_fitted": round(d_fit, 3),
                "distance_training_note_transposed": round(d_sampler, 3),
                "cut_training_note_transposed": round(1.0 - d_sampler / d_stock[nearest], 3),
                "distance_static_spectrum_oracle": round(d_static, 3),
                "cut_static_spectrum_oracle": round(1.0 - d_static / d_stock[nearest], 3),
                "distance_judged_note_detuned": round(d_detuned, 3),
                "cut_judged_note_detuned": round(1.0 - d_detuned / d_stock[nearest], 3),
                "nearest_stock_preset": nearest,
                "distance_nearest_stock": round(d_stock[nearest], 3),
                "cut": round(cut, 3),
                "fit_seconds": round(fit_seconds, 1),
                "pass": bool(cut >= 0.5),
            }
            if not args.skip_oracle:
                own = [distance(ours("", p, 100, n_ref, fit_preset(refs[p], sample_rate=SR, name=f"own_{inst}")), refs[p]) for p in HELD_OUT_PITCHES]
                fits[inst]["distance_fitted_on_held_out"] = round(float(np.mean(own)), 3)
                fits[inst]["cut_upper_bound"] = round(1.0 - float(np.mean(own)) / d_stock[nearest], 3)
        result["fit_pitches"] = list(fit_pitches)
        result["held_out_pitches"] = list(HELD_OUT_PITCHES)
        result["fit_preset_held_out"] = fits
        result["all_fits_pass"] = bool(all(f["pass"] for f in fits.values()))
    result["seconds"] = round(time.perf_counter() - t_start, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
