"""Spectrograms of lemm's changed kits and presets beside FluidR3_GM playing the same notes (PNG files for docs/sound.md).

Each figure plays one short phrase three times: lemm (dry, ``render_track``) on top,
fluidsynth with FluidR3_GM, then with MuseScore General (reverb and chorus off;
the last row only where MuseScore General is installed), on the same
log-frequency axis and 80 dB colour range (each relative to its own peak).

Usage::

    python benchmarks/sound_figures.py [--out docs/sound]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mido  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import sound  # noqa: E402

from lemm.render import render_track  # noqa: E402
from lemm.score.model import Note, Score, TempoChange, Track  # noqa: E402

SR = 48000
TICKS_PER_SECOND = 960  # 120 bpm at 480 ticks per quarter


def _groove() -> list[tuple[int, float, float, int]]:
    """(key, start s, length s, velocity): two bars of kick, snare, 8th hats with an open hat, a crash."""
    hits = [(49, 0.0, 0.2, 100)]
    for bar in range(2):
        t0 = bar * 2.0
        hits += [(36, t0, 0.2, 110), (36, t0 + 1.0, 0.2, 100), (36, t0 + 1.25, 0.2, 80), (38, t0 + 0.5, 0.2, 105), (38, t0 + 1.5, 0.2, 115)]
        hits += [(46 if e == 7 else 42, t0 + e * 0.25, 0.1, 70 + 8 * (e % 2 == 0)) for e in range(8)]
    return sorted(hits, key=lambda h: (h[1], h[0]))


def _edm_groove() -> list[tuple[int, float, float, int]]:
    """An edm (four_on_floor) verse bar then chorus bar: closed off-beat hats and one open hat, then off-beat open hats choked on the beat."""
    step = 0.125
    hits = [(49, 2.0, 0.2, 100)]
    for bar in range(2):
        t0 = bar * 2.0
        hits += [(36, t0 + b * 0.5, 0.2, 105) for b in range(4)] + [(39, t0 + b * 0.5, 0.2, 96) for b in (1, 3)]
    hits += [(42, k * step, 0.1, 70) for k in (2, 6, 10)] + [(46, 14 * step, 0.1, 76)]
    hits += [(42, 2.0 + k * step, 0.1, 80 if k % 4 == 0 else 36) for k in (0, 1, 4, 5, 8, 9, 12, 13)]
    hits += [(46, 2.0 + k * step, 0.1, 76) for k in (2, 6, 10, 14)]
    return sorted(hits, key=lambda h: (h[1], h[0]))


#: The edm riser of seed 1 (0:20): (pitch, start ticks, length ticks, velocity) at 120 bpm, 480 ticks a beat.
_RISER = ((58, 0, 468, 53), (63, 480, 468, 61), (67, 960, 468, 64), (70, 1440, 468, 70), (74, 1920, 228, 74), (74, 2160, 228, 79),
          (77, 2400, 228, 77), (77, 2640, 228, 83), (82, 2880, 228, 85), (82, 3120, 228, 89), (86, 3360, 108, 93), (86, 3480, 108, 93),
          (86, 3600, 108, 95), (86, 3720, 108, 96))  # fmt: skip

#: Figures whose name is not the preset they play.
PRESET_OF = {"synth_kit_edm": "synth_kit", "synth_lead_riser": "synth_lead"}

PHRASES = {
    # name: (role, is_drum, GM program of the reference, notes as (pitch, start s, length s, velocity))
    "synth_kit": ("drums", True, 25, _groove()),
    "synth_kit_edm": ("drums", True, 25, _edm_groove()),
    "synth_lead_riser": ("fx", False, 81, [(p, t / TICKS_PER_SECOND, d / TICKS_PER_SECOND, v) for p, t, d, v in _RISER]),
    "acoustic_kit": ("drums", True, 0, _groove()),
    "synth_bass": ("bass", False, 38, [(p, 0.5 * i, 0.45, 100) for i, p in enumerate((33, 33, 45, 33, 36, 36, 48, 40))]),
    "synth_pad": ("pad", False, 89, [(p, 0.0, 2.0, 80) for p in (57, 60, 64)] + [(p, 2.0, 2.0, 80) for p in (55, 59, 62)]),
    "string_ensemble": ("strings", False, 48, [(p, 0.0, 2.0, 85) for p in (57, 64, 72)] + [(p, 2.0, 2.0, 85) for p in (55, 62, 71)]),
    "acoustic_piano": (
        "keys", False, 0,
        [(p, 0.0, 1.5, 70) for p in (48, 55, 64)] + [(p, 0.5 * i + 1.5, 0.45, 50 + 12 * i) for i, p in enumerate((67, 69, 71, 72, 74))]
        + [(p, 4.0, 1.5, 110) for p in (41, 57, 65, 69)],
    ),
    "cello": ("strings", False, 42, [(p, 2.0 * i, 1.9, 80) for i, p in enumerate((36, 43, 48, 55))]),
    "electric_guitar": ("guitar", False, 27, [(p, 0.5 * i, 0.45, 95) for i, p in enumerate((47, 54, 59, 62, 64, 66, 69, 71))]),
    "steel_guitar": ("guitar", False, 25, [(p, 0.05 * j + 0.75 * i, 0.7, 90) for i, chord in enumerate(((40, 47, 52, 56), (45, 52, 57, 61), (47, 54, 59, 63), (40, 47, 52, 56))) for j, p in enumerate(chord)]),
}  # fmt: skip


def render_pair(name: str, scratch: Path) -> list[np.ndarray]:
    """[lemm, FluidR3, MuseScore General (where installed)] mono renders of the phrase of ``name``."""
    role, is_drum, program, phrase = PHRASES[name]
    notes = tuple(sorted((Note(p, int(s * TICKS_PER_SECOND), int(d * TICKS_PER_SECOND), v) for p, s, d, v in phrase), key=lambda n: (n.start_tick, n.pitch)))
    track = Track(name=name, role=role, preset=PRESET_OF.get(name, name), is_drum=is_drum, notes=notes)
    seconds = max(s + d for _, s, d, _ in phrase) + 1.5
    ours = render_track(track, Score(tempos=(TempoChange(0, 120.0),), tracks=(track,)), sample_rate=SR, seed=0, n_samples=int(seconds * SR))
    channel = 9 if is_drum else 0
    events = []
    for p, s, d, v in phrase:
        events += [(s, mido.Message("note_on", channel=channel, note=p, velocity=v)), (s + d, mido.Message("note_off", channel=channel, note=p))]
    events.sort(key=lambda e: e[0])
    path = scratch / f"{name}.mid"
    sound.blocks_midi([(events, program)], path)
    n = int(seconds * SR)
    out = [ours.mean(0)[:n]]
    for sf in (sound.FLUID, sound.MUSESCORE):
        if sf.exists():
            ref, _ = sound.fluidsynth(path, sf, scratch / f"{name}_{sf.stem}.wav", dry=True)
            out.append(np.pad(ref.mean(0), (0, max(0, n - ref.shape[1])))[:n])
    return out


def spectrogram_db(x: np.ndarray, n_fft: int = 2048, hop: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, (0, n_fft)), n_fft)[::hop] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    db = 10 * np.log10(np.maximum(power, 1e-20))
    return np.arange(frames.shape[0]) * hop / SR, np.fft.rfftfreq(n_fft, 1.0 / SR), (db - db.max()).T


def figure(name: str, renders: list[np.ndarray], out: Path) -> Path:
    fig, axes = plt.subplots(len(renders), 1, figsize=(9, 2.6 * len(renders)), sharex=True, dpi=80)
    kind = f"program {PHRASES[name][2]}{' (drum kit)' if PHRASES[name][1] else ''}"
    for ax, x, label in zip(axes, renders, (f"lemm {PRESET_OF.get(name, name)}", f"FluidR3_GM {kind}", f"MuseScore General {kind}"), strict=False):
        t, f, db = spectrogram_db(x)
        keep = f >= 30.0
        mesh = ax.pcolormesh(t, f[keep], db[keep], vmin=-80.0, vmax=0.0, shading="auto", cmap="magma")
        ax.set_yscale("log")
        ax.set_ylim(40.0, 20000.0)
        ax.set_ylabel("Hz")
        ax.set_title(label, fontsize=10)
    axes[-1].set_xlabel("seconds")
    fig.colorbar(mesh, ax=axes, label="dB re peak")
    path = out / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/sound")
    parser.add_argument("--names", default=",".join(PHRASES))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        for name in args.names.split(","):
            print(figure(name, render_pair(name, Path(scratch)), out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
