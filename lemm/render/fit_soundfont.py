"""Fit lemm's instrument presets to notes of a General MIDI SoundFont (FluidR3_GM).

Usage::

    python -m lemm.render.fit_soundfont --sf2 /usr/share/sounds/sf2/FluidR3_GM.sf2 --out lemm/render/presets

For every preset in :data:`FIT_PITCHES` it renders the preset's GM program
(:data:`lemm.render.soundfont.PRESET_PROGRAMS`) at three pitches and two
velocities (:data:`FIT_VELOCITIES`), each held :data:`GATE_SECONDS` then
released, and fits the preset with :func:`lemm.render.fitting.fit_regions`
(sub-octave partials, analytic peak-picking, spectral keyframes per note,
gradient descent on a multi-scale STFT distance, detune picked by that
distance). Fields that are not fitted (description, vibrato, stereo width,
portamento, brightness response, body resonances, attack burst) are read
from the existing preset file, whose detune is one of the candidates, so the
script is idempotent: run twice, it writes the same files. ``gain_db`` is set so that a 1 s note at pitch 60,
velocity 100 has an RMS of :data:`TARGET_RMS_DB` (comparable levels), lowered
where needed so that a chord (:data:`CHORD_INTERVALS` at velocity
:data:`CHORD_VELOCITY` on the preset's middle fit pitch; one note for
monophonic presets and basses) peaks at :data:`CHORD_PEAK_DB` (a dry stem of a chordal
part keeps its headroom: notes add up).

Only the fitted numbers are written; no samples are shipped. Needs
tinysoundfont (see :mod:`lemm.render.soundfont`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import time
from pathlib import Path

import numpy as np

from lemm.io.atomic import atomic_write_text
from lemm.render.fitting import FIT_SAMPLE_RATE, ReferenceNote, fit_regions, note_score
from lemm.render.presets import PRESET_DIR, preset_from_dict, preset_to_dict
from lemm.render.soundfont import PRESET_PROGRAMS, SoundFontPlayer
from lemm.render.track import render_track
from lemm.score.model import Note, Score, TempoChange, Track

__all__ = [
    "FIT_PITCHES",
    "FIT_VELOCITIES",
    "GATE_SECONDS",
    "TAIL_SECONDS",
    "TARGET_RMS_DB",
    "CHORD_INTERVALS",
    "CHORD_VELOCITY",
    "CHORD_PEAK_DB",
    "CHORD_LOWEST_ROOT",
    "reference_notes",
    "chord_peak_db",
    "fit_one",
    "main",
]

#: Pitches each preset is fitted (and evaluated) at: low, middle and high of its usual range.
FIT_PITCHES = {
    "acoustic_piano": (48, 60, 72), "electric_piano": (48, 60, 72), "organ": (48, 60, 72),
    "nylon_guitar": (45, 57, 69), "steel_guitar": (45, 57, 69), "electric_guitar": (45, 57, 69),
    "electric_bass": (33, 40, 52), "synth_bass": (33, 40, 52), "cello": (43, 55, 67),
    "string_ensemble": (48, 60, 72), "brass": (48, 60, 72), "flute": (67, 79, 88),
    "synth_lead": (60, 72, 84), "synth_pad": (48, 60, 72),
}  # fmt: skip
FIT_VELOCITIES = (60, 110)
GATE_SECONDS = 1.0
TAIL_SECONDS = 0.8
#: RMS (dBFS, mono) of a 1 s note at pitch 60, velocity 100, after the gain trim.
TARGET_RMS_DB = -20.0
#: The chord of the level cap: a major seventh chord in root position (semitones over the middle fit pitch) ...
CHORD_INTERVALS = (0, 4, 7, 11)
#: ... played at this velocity ...
CHORD_VELOCITY = 127
#: ... peaks at most here (dBFS, either channel); presets fitted around a lower pitch (basses), and monophonic ones, play one note.
CHORD_PEAK_DB = -11.0
CHORD_LOWEST_ROOT = 48


def reference_notes(player: SoundFontPlayer, name: str) -> list[ReferenceNote]:
    """The SoundFont notes a preset is fitted to (mono, onset at sample 0)."""
    out = []
    for pitch in FIT_PITCHES[name]:
        for velocity in FIT_VELOCITIES:
            audio = player.note(program=PRESET_PROGRAMS[name], pitch=pitch, velocity=velocity, gate_seconds=GATE_SECONDS, tail_seconds=TAIL_SECONDS)
            out.append(ReferenceNote(audio.mean(0), player.sample_rate, float(pitch), velocity, GATE_SECONDS))
    return out


def _note_rms_db(preset) -> float:
    track, score = note_score(preset.name, 60, 100, 1.0)
    a = render_track(track, score, sample_rate=FIT_SAMPLE_RATE, n_samples=FIT_SAMPLE_RATE, preset=preset).mean(0)
    return 10.0 * math.log10(float(np.mean(a.astype(np.float64) ** 2)) + 1e-20)


def chord_peak_db(preset) -> float:
    """Peak (dBFS) of the test chord of the level cap held 1 s with ``preset`` (one note if monophonic or a bass)."""
    root = FIT_PITCHES.get(preset.name, (60, 60, 60))[1]
    intervals = (0,) if preset.monophonic or root < CHORD_LOWEST_ROOT else CHORD_INTERVALS  # basses play single notes
    notes = tuple(Note(root + i, 0, 960, CHORD_VELOCITY, "tenuto") for i in intervals)
    track = Track(name="chord", role="keys", preset=preset.name, notes=notes)
    score = Score(resolution=480, tempos=(TempoChange(0, 120.0),), tracks=(track,))
    audio = render_track(track, score, sample_rate=48000, preset=preset)
    return 20.0 * math.log10(float(np.abs(audio).max()) + 1e-20)


def fit_one(player: SoundFontPlayer, name: str, *, template_dir: Path = PRESET_DIR, n_steps: int = 60) -> dict:
    """Fit preset ``name`` and return its JSON dictionary."""
    template = preset_from_dict(json.loads((template_dir / f"{name}.json").read_text(encoding="utf-8")))
    template = dataclasses.replace(template, gain_db=0.0, regions=())
    fitted = fit_regions(reference_notes(player, name), template, n_steps=n_steps)
    gain_db = min(TARGET_RMS_DB - _note_rms_db(fitted), CHORD_PEAK_DB - chord_peak_db(fitted))
    fitted = dataclasses.replace(fitted, gain_db=round(float(np.clip(gain_db, -40.0, 40.0)), 2))
    data = preset_to_dict(fitted)
    for key in ("attack_ms", "decay_ms", "sustain_level", "release_ms", "decay_seconds", "decay_pitch_factor", "harmonic_decay", "velocity_halving_db"):
        if data[key] is not None:
            data[key] = round(float(data[key]), 4)
    return data


def _dump(data: dict) -> str:
    """JSON with one line per region and short number lists, for readable diffs."""
    regions = data.pop("regions")
    text = json.dumps(data, indent=2)
    text = re.sub(r"\[\s*([-0-9.e, \n]+?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    lines = ",\n".join("    " + json.dumps(r) for r in regions)
    data["regions"] = regions
    return text[:-2] + ',\n  "regions": [\n' + lines + "\n  ]\n}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf2", default=None, help="SoundFont file (default: FluidR3_GM from fluid-soundfont-gm)")
    parser.add_argument("--out", default=str(PRESET_DIR), help="folder to write <preset>.json into")
    parser.add_argument("--presets", nargs="*", default=sorted(FIT_PITCHES), help="which presets")
    parser.add_argument("--steps", type=int, default=60, help="gradient steps per note")
    args = parser.parse_args(argv)
    player = SoundFontPlayer(args.sf2, sample_rate=48000)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.presets:
        t0 = time.perf_counter()
        data = fit_one(player, name, template_dir=out if (out / f"{name}.json").exists() else PRESET_DIR, n_steps=args.steps)
        atomic_write_text(out / f"{name}.json", _dump(data))
        print(f"{name}: {len(data['regions'])} regions, decay_seconds={data['decay_seconds']}, gain_db={data['gain_db']} ({time.perf_counter() - t0:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
