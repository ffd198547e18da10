"""Extract the sampled ``acoustic_kit`` from a General MIDI SoundFont's standard drum kit (FluidR3_GM).

Usage::

    python -m lemm.render.extract_kit --sf2 /usr/share/sounds/sf2/FluidR3_GM.sf2 --out lemm/render/kits/acoustic_kit

Renders every kit voice's GM key (:data:`VOICE_KEYS`; bank 128, preset 0) at
the velocities in :data:`LAYER_VELOCITIES` with the fluidsynth command-line
player (a separate process; reverb and chorus off, float output), the player
the benchmarks compare against, so the kit keeps FluidR3's velocity curve and
balance between voices; sums to mono, trims each
one-shot where its level stays 80 dB under its peak (at most
:data:`MAX_SECONDS` per voice), fades its last 10 % out, and writes mono
16-bit FLAC files at 48 kHz plus ``kit.json`` (voices, layers, files, the
playback gain) and ``CREDITS.md``. Deterministic: the same SoundFont gives the
same files. Needs ``fluidsynth`` (``apt install fluidsynth``) and mido.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import soundfile as sf

from lemm.io.atomic import atomic_write_text
from lemm.render.analysis import envelope_db
from lemm.render.soundfont import find_soundfont

__all__ = ["KIT_DIR", "LAYER_VELOCITIES", "MAX_SECONDS", "VOICE_KEYS", "main", "trim_one_shot"]

#: Folder of the shipped sampled kit.
KIT_DIR = Path(__file__).parent / "kits" / "acoustic_kit"
SAMPLE_RATE = 48000
#: Kit voice -> the GM key it is sampled from.
VOICE_KEYS = {
    "kick": 36, "side_stick": 37, "snare": 38, "clap": 39, "closed_hat": 42, "pedal_hat": 44, "open_hat": 46,
    "tom_1": 41, "tom_2": 43, "tom_3": 45, "tom_4": 47, "tom_5": 48, "tom_6": 50, "crash": 49, "ride": 51,
    "ride_bell": 53, "tambourine": 54, "splash": 55, "cowbell": 56,
}  # fmt: skip
LAYER_VELOCITIES = (45, 85, 125)
#: Longest one-shot per voice, seconds (cymbals ring longest).
MAX_SECONDS = {"crash": 2.2, "splash": 1.4, "ride": 1.8, "ride_bell": 1.4, "open_hat": 1.1}
_DEFAULT_MAX_SECONDS = 0.8
#: Peak of the kick's loudest layer at playback, dBFS.
_KICK_PEAK_DBFS = -6.0

#: The MIT license text of the SoundFonts the shipped notes come from, quoted in each CREDITS.md.
MIT_LICENSE_QUOTE = """> Permission is hereby granted, free of charge, to any person obtaining a copy
> of this software and associated documentation files (the "Software"), to
> deal in the Software without restriction, including without limitation the
> rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
> sell copies of the Software, and to permit persons to whom the Software is
> furnished to do so, subject to the following conditions: The above copyright
> notice and this permission notice shall be included in all copies or
> substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
> WITHOUT WARRANTY OF ANY KIND.
"""

CREDITS = """# acoustic_kit samples

One-shots of the standard drum kit (bank 128, preset 0) of **FluidR3_GM.sf2**
(FluidR3_GM, Copyright (c) Frank Wen, released under the MIT license; Debian
package `fluid-soundfont-gm`), rendered dry with fluidsynth by
`python -m lemm.render.extract_kit`: mono, 48 kHz, 16-bit FLAC, trimmed and
faded, at velocities {velocities}.

The MIT license of FluidR3_GM applies to these files:

""" + MIT_LICENSE_QUOTE


def trim_one_shot(audio: np.ndarray, *, sample_rate: int, max_seconds: float) -> np.ndarray:
    """Cut a one-shot where it stays 80 dB under its peak (or at ``max_seconds``) and fade its last 10 % out.

    Examples
    --------
    >>> x = np.exp(-np.arange(48000) / 2400.0) * np.sin(np.arange(48000) * 0.3)
    >>> y = trim_one_shot(x, sample_rate=48000, max_seconds=1.0)
    >>> 0.4 < len(y) / 48000 < 0.5, float(y[-1]) == 0.0
    (True, True)
    """
    env, dt = envelope_db(audio, sample_rate=sample_rate, smooth_seconds=0.02)
    loud = np.nonzero(env > env.max() - 80.0)[0]
    end = min(len(audio), int((loud[-1] + 1) * dt * sample_rate) if loud.size else len(audio), int(max_seconds * sample_rate))
    y = np.array(audio[:end], dtype=np.float64)
    n_fade = max(int(0.01 * sample_rate), end // 10)
    n_fade = min(n_fade, end)
    y[end - n_fade :] *= 0.5 * (1.0 + np.cos(np.pi * np.arange(1, n_fade + 1) / n_fade))
    return y


def render_layers(sf2: Path, *, gap_seconds: float = 0.5) -> dict[str, list[np.ndarray]]:
    """Voice -> one-shot per layer (mono float64, 48 kHz, from its onset), rendered by the fluidsynth CLI."""
    import subprocess
    import tempfile

    import mido

    midi = mido.MidiFile(ticks_per_beat=960)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 1920 ticks per second
    slots, t, last = [], 0.5, 0
    for voice, key in VOICE_KEYS.items():
        max_s = MAX_SECONDS.get(voice, _DEFAULT_MAX_SECONDS)
        for vel in LAYER_VELOCITIES:
            for when, msg in (
                (t, mido.Message("note_on", channel=9, note=key, velocity=vel)),
                (t + max_s, mido.Message("note_off", channel=9, note=key)),
            ):
                tick = round(when * 1920)
                track.append(msg.copy(time=tick - last))
                last = tick
            slots.append((voice, t, max_s))
            t += max_s + gap_seconds + 1.0
    with tempfile.TemporaryDirectory() as tmp:
        midi.save(str(Path(tmp) / "kit.mid"))
        subprocess.run(
            ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-o", "audio.file.format=float", "-F", str(Path(tmp) / "kit.wav"),
             "-r", str(SAMPLE_RATE), str(sf2), str(Path(tmp) / "kit.mid")],
            check=True, capture_output=True,
        )  # fmt: skip
        audio, rate = sf.read(str(Path(tmp) / "kit.wav"), dtype="float64", always_2d=True)
    if rate != SAMPLE_RATE:
        raise SystemExit(f"fluidsynth wrote {rate} Hz, asked for {SAMPLE_RATE}")
    mono = audio.mean(1)
    shots: dict[str, list[np.ndarray]] = {}
    for voice, start, max_s in slots:
        seg = mono[int(start * SAMPLE_RATE) - 64 : int((start + max_s) * SAMPLE_RATE)]
        onset = int(np.argmax(np.abs(seg) > 1e-5))
        shots.setdefault(voice, []).append(trim_one_shot(seg[onset:], sample_rate=SAMPLE_RATE, max_seconds=max_s))
    return shots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf2", default=None)
    parser.add_argument("--out", default=str(KIT_DIR))
    args = parser.parse_args(argv)
    shots = render_layers(find_soundfont(args.sf2))
    peak = max(float(np.abs(s).max()) for layers in shots.values() for s in layers)
    scale = 0.89 / peak  # store near full scale (-1 dBFS) for 16-bit resolution
    kick_peak = float(np.abs(shots["kick"][-1]).max()) * scale
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    index: dict = {
        "name": "acoustic_kit",
        "sample_rate": SAMPLE_RATE,
        "source": "FluidR3_GM.sf2, bank 128 preset 0 (MIT)",
        "gain_db": round(_KICK_PEAK_DBFS - 20.0 * math.log10(kick_peak), 3),
        "voices": {},
    }
    total = 0
    for voice, layers in shots.items():
        files = []
        for vel, shot in zip(LAYER_VELOCITIES, layers, strict=True):
            name = f"{voice}_v{vel:03d}.flac"
            pcm = np.clip(np.round(shot * scale * 32767.0), -32768, 32767).astype(np.int16)
            sf.write(out / name, pcm, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
            total += (out / name).stat().st_size
            files.append(name)
        index["voices"][voice] = {"key": VOICE_KEYS[voice], "velocities": list(LAYER_VELOCITIES), "files": files}
    atomic_write_text(out / "kit.json", json.dumps(index, indent=2) + "\n")
    atomic_write_text(out / "CREDITS.md", CREDITS.format(velocities=", ".join(map(str, LAYER_VELOCITIES))))
    print(f"wrote {sum(len(v) for v in shots.values())} one-shots, {total / 2**20:.2f} MiB, to {out}")


if __name__ == "__main__":
    main()
