"""Extract lemm's sampled instruments (``lemm/render/instruments/<name>/``) from General MIDI SoundFonts.

Usage::

    python tools/extract_sampled_instruments.py [--only acoustic_piano,steel_guitar] [--out lemm/render/instruments]

For each instrument of :data:`SPECS`, one MIDI file plays every zone's root key
at every layer velocity, one note at a time, held for the zone's length; the
SoundFont named in the spec renders it with the fluidsynth command-line player
(a separate process; reverb and chorus off, 32-bit float output, 48 kHz).
Each note is cut at its onset, summed to mono, resampled to
:data:`STORE_RATE` (polyphase), trimmed where it stays 60 dB under its peak
(at most the zone's length) with its last 15 % faded out, and written as 16-bit
FLAC with one scale per instrument (the zones and layers keep their relative
levels). ``instrument.json`` lists zones, layers, files, the release time and
each zone's measured tuning (cents sharp, the sampler corrects it), the playback gain that puts a velocity-100 middle-register note at the level
of lemm's synth preset of the same name; ``CREDITS.md`` names the source and
its license. Deterministic: the same SoundFont and fluidsynth give the same
files.

Sources (both MIT; MuseScore General's piano is the public-domain Splendid
Grand, see ``/usr/share/doc/musescore-general-soundfont/copyright``):

- FluidR3_GM.sf2 (Frank Wen; Debian ``fluid-soundfont-gm``)
- MuseScore_General.sf3 (S. Christian Collins; Debian ``musescore-general-soundfont``)
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lemm.io.atomic import atomic_write_text
from lemm.render.extract_kit import MIT_LICENSE_QUOTE
from lemm.render.presets import load_preset

SOUNDFONTS = {
    "FluidR3_GM": (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), "FluidR3_GM.sf2, Copyright (c) 2000-2002, 2008 Frank Wen (MIT)"),
    "MuseScore_General": (
        Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),
        (
            "MuseScore_General.sf3, Copyright (c) 2018-2021 S. Christian Collins (MIT; its grand piano is the public-domain Splendid Grand, "
            "its ensemble strings CC0 VSCO 2 CE)"
        ),
    ),
}
RENDER_RATE = 48000
#: Rate of the stored samples (Hz): content to 16 kHz, shifted up at most half a zone.
STORE_RATE = 32000

#: name -> source SoundFont, GM program, zone roots (MIDI keys), layer velocities, length (s) at the lowest and highest root,
#: release (ms), whether each zone's measured tuning is stored for the sampler to correct, ``toward``: (another
#: SoundFont, fraction) to move each note's long-term spectral balance that fraction of the way (in dB) toward that
#: SoundFont's same note (:func:`balance_toward`), ``layer_above``: (cutoff Hz, gain dB) of that note's
#: high-passed recording added to each note (:func:`layer_above`), and for sustained
#: sounds the loop (start, end seconds: the note plays on through a crossfaded loop) and a lower storage rate; ``keys``: each
#: zone's (low, high) key range where the source's zones differ in timbre (written to instrument.json; the sampler obeys it).
SPECS: dict[str, dict] = {
    "acoustic_piano": {
        "soundfont": "MuseScore_General", "program": 0, "roots": list(range(24, 109, 6)), "velocities": [40, 80, 118],
        "seconds": (3.2, 1.0), "release_ms": 700.0, "correct_tuning": False,  # a piano's stretched octaves are its tuning
        # the two libraries' pianos are as far apart as wrong instruments (FluidR3's 20-25 dB brighter at 3-10 kHz, where
        # MuseScore General's recordings hold next to nothing): each note keeps MuseScore General's recording, its long-term
        # spectral balance moved half way (in dB) toward FluidR3's same note, with FluidR3's note above 4 kHz layered 9 dB down
        "toward": ("FluidR3_GM", 0.5), "layer_above": (4000.0, -9.0),
    },
    "steel_guitar": {
        "soundfont": "FluidR3_GM", "program": 25, "roots": list(range(40, 89, 6)), "velocities": [56, 108],
        "seconds": (2.4, 1.2), "release_ms": 500.0, "correct_tuning": True,
    },
    "electric_guitar": {
        "soundfont": "FluidR3_GM", "program": 27, "velocities": [100],
        # FluidR3's own zones (one recording each, one velocity layer): a key plays the zone that holds it, as fluidsynth does
        "roots": [40, 45, 50, 55, 59, 64, 69, 71, 76, 79],
        "keys": [(0, 44), (45, 49), (50, 54), (55, 58), (59, 63), (64, 65), (66, 69), (70, 71), (72, 76), (77, 127)],
        "seconds": (2.4, 1.2), "release_ms": 300.0, "correct_tuning": True,
    },
    "synth_pad": {
        "soundfont": "FluidR3_GM", "program": 89, "roots": list(range(36, 97, 8)), "velocities": [100],
        "seconds": (3.2, 3.2), "release_ms": 1500.0, "correct_tuning": True,
        "loop_seconds": (1.6, 3.0), "store_rate": 24000,
    },
}  # fmt: skip

CREDITS = """# {name} samples

Notes of General MIDI program {program} of **{source}**, rendered dry (reverb
and chorus off) by fluidsynth and cut by `python tools/extract_sampled_instruments.py`:
mono, {rate} Hz, 16-bit FLAC, trimmed and faded (sustained sounds: cut at a crossfaded loop);
roots {roots}; velocities {velocities}.{layered}

The MIT license of that SoundFont (of both, where two are named) applies to these files:

""" + MIT_LICENSE_QUOTE

_GAP_SECONDS = 1.5


def zone_seconds(spec: dict, root: int) -> float:
    """Length of the zone at ``root``: linear in key from the lowest root's to the highest's."""
    lo, hi = spec["roots"][0], spec["roots"][-1]
    a, b = spec["seconds"]
    return a + (b - a) * (root - lo) / max(hi - lo, 1)


def notes_midi(spec: dict, path: Path) -> list[tuple[int, int, float, float]]:
    """Write the extraction MIDI; returns (root, velocity, onset s, length s) per note."""
    midi = mido.MidiFile(ticks_per_beat=960)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 1920 ticks per second
    track.append(mido.Message("program_change", program=spec["program"], time=0))
    out, t, last = [], 0.5, 0
    for root in spec["roots"]:
        for vel in spec["velocities"]:
            length = zone_seconds(spec, root)
            for when, msg in ((t, mido.Message("note_on", note=root, velocity=vel)), (t + length, mido.Message("note_off", note=root))):
                tick = round(when * 1920)
                track.append(msg.copy(time=tick - last))
                last = tick
            out.append((root, vel, t, length))
            t += length + _GAP_SECONDS
    midi.save(str(path))
    return out


def render_fluidsynth(midi: Path, soundfont: Path, wav: Path) -> np.ndarray:
    """Render ``midi`` dry with the fluidsynth CLI; mono float64 at :data:`RENDER_RATE`."""
    subprocess.run(
        ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-o", "audio.file.format=float", "-F", str(wav), "-r", str(RENDER_RATE),
         str(soundfont), str(midi)],
        check=True, capture_output=True,
    )  # fmt: skip
    audio, rate = sf.read(str(wav), dtype="float64", always_2d=True)
    if rate != RENDER_RATE:
        raise SystemExit(f"fluidsynth wrote {rate} Hz, asked for {RENDER_RATE}")
    return audio.mean(1)


def loop_crossfaded(audio: np.ndarray, start: int, end: int, *, crossfade: int) -> np.ndarray:
    """``audio[:end]`` with its last ``crossfade`` samples blended (equal power) into those before ``start``.

    Reading on from ``end - 1`` to ``start`` is then seamless: the blend ends
    on the sample just before ``start``.
    """
    y = np.array(audio[:end])
    phase = np.arange(crossfade) / crossfade * (np.pi / 2.0)
    y[end - crossfade : end] = audio[end - crossfade : end] * np.cos(phase) + audio[start - crossfade : start] * np.sin(phase)
    return y


def trim(audio: np.ndarray, *, max_samples: int, rate: int = STORE_RATE) -> np.ndarray:
    """Cut where the 20 ms level stays 60 dB under the peak (at most ``max_samples``); fade the last 15 % out."""
    win = int(0.02 * rate)
    power = np.convolve(audio**2, np.ones(win) / win, mode="same")
    loud = np.nonzero(power > power.max() * 1e-6)[0]
    end = min(len(audio), max_samples, int(loud[-1]) + 1 if loud.size else len(audio))
    y = np.array(audio[:end])
    n_fade = max(int(0.01 * rate), int(0.15 * end))
    y[end - n_fade :] *= 0.5 * (1.0 + np.cos(np.pi * np.arange(1, n_fade + 1) / n_fade))
    return y


def tuning_cents(shot: np.ndarray, root: int, rate: int = STORE_RATE, *, sustained: bool = False) -> float:
    """How sharp (cents) the recording is, from Hann-windowed, zero-padded FFT peaks within a quarter tone of where they belong.

    A decaying note: its fundamental from 0.1 to 0.6 s (what is heard); a
    sustained one (a detuned pad): the median over harmonics 1-3 from 0.1 to 3 s.
    """
    seg = shot[rate // 10 : (3 * rate if sustained else rate * 6 // 10)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    freqs = np.fft.rfftfreq(8 * len(seg), 1.0 / rate)
    f0 = 440.0 * 2.0 ** ((root - 69) / 12.0)
    cents = []
    for h in (1, 2, 3) if sustained else (1,):
        near = (freqs > h * f0 * 2.0 ** (-1.0 / 24.0)) & (freqs < h * f0 * 2.0 ** (1.0 / 24.0))
        cents.append(1200.0 * np.log2(freqs[near][np.argmax(spec[near])] / (h * f0)))
    return float(np.median(cents))


def note_mel_db(shot: np.ndarray, rate: int, *, n_mels: int = 64, n_fft: int = 2048) -> np.ndarray:
    """Log-mel power (dB) [shape=(n_frames, n_mels)] of one note, 50 % overlapping Hann frames (30 Hz to 16 kHz)."""
    import librosa

    x = np.pad(shot, (0, max(0, n_fft - len(shot))))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[:: n_fft // 2] * np.hanning(n_fft)
    fb = librosa.filters.mel(sr=rate, n_fft=n_fft, n_mels=n_mels, fmin=30.0, fmax=min(16000.0, rate / 2))
    return 10.0 * np.log10(np.maximum((np.abs(np.fft.rfft(frames, axis=1)) ** 2) @ fb.T, 1e-12))


def balance_gain_db(shot: np.ndarray, target: np.ndarray, rate: int, *, floor_db: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """(mel band centres Hz, dB) by which ``target``'s long-term log-mel spectrum exceeds ``shot``'s.

    The mean over the frames where either note is within ``floor_db`` of its
    peak of the per-band difference, each band floored ``floor_db`` + 20 dB under
    the louder note's peak (a silent band counts as that floor, as a judge reading
    log-mel frames hears it).
    """
    import librosa

    a, b = note_mel_db(shot, rate), note_mel_db(target, rate)
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    top = max(a.max(), b.max())
    a, b = np.maximum(a, top - floor_db - 20.0), np.maximum(b, top - floor_db - 20.0)
    active = (a.max(1) > a.max() - floor_db) | (b.max(1) > b.max() - floor_db)
    centres = librosa.mel_frequencies(a.shape[1] + 2, fmin=30.0, fmax=min(16000.0, rate / 2))[1:-1]
    return centres, (b[active] - a[active]).mean(0)


def apply_balance(shot: np.ndarray, centres_hz: np.ndarray, gain_db: np.ndarray, rate: int, *, n_taps: int = 1023) -> np.ndarray:
    """``shot`` through a minimum-phase FIR whose magnitude follows ``gain_db`` at ``centres_hz`` (flat beyond the ends)."""
    from scipy.signal import firwin2, minimum_phase

    freqs = np.concatenate(([0.0], centres_hz, [rate / 2.0]))
    gains = np.concatenate(([gain_db[0]], gain_db, [gain_db[-1]]))
    # minimum_phase (homomorphic) halves the magnitude in dB: design the square
    h = minimum_phase(firwin2(n_taps, freqs / (rate / 2.0), 10.0 ** (2.0 * gains / 20.0)), method="homomorphic")
    return np.convolve(shot, h)[: len(shot)]


def balance_toward(shots: dict, targets: dict, fraction: float, rate: int) -> dict:
    """Each shot with its long-term spectral balance moved ``fraction`` of the way (dB) toward the same key's target.

    The targets' overall level is matched to the shots' first (one offset for
    the instrument), so the notes keep the source's level from key to key and
    layer to layer except for ``fraction`` of the target's own differences.
    """
    diffs = {k: balance_gain_db(shots[k], targets[k], rate) for k in shots}
    offset = float(np.mean([d.mean() for _, d in diffs.values()]))
    return {k: apply_balance(shots[k], c, fraction * (d - offset), rate) for k, (c, d) in diffs.items()}


def layer_above(shots: dict, targets: dict, cutoff_hz: float, gain_db: float, rate: int) -> dict:
    """Each shot with the same key's target, high-passed at ``cutoff_hz`` (8th order) and ``gain_db`` down, added."""
    from scipy.signal import butter, sosfilt

    sos = butter(8, cutoff_hz, btype="high", fs=rate, output="sos")
    g = 10.0 ** (gain_db / 20.0)
    out = {}
    for k, shot in shots.items():
        hf = sosfilt(sos, targets[k])[: len(shot)]
        y = np.array(shot)
        y[: len(hf)] += g * hf
        out[k] = y
    return out


def _rms(shot: np.ndarray) -> float:
    return float(np.sqrt(np.mean(shot[: len(shot) // 4] ** 2)))


def synth_reference_rms(name: str, pitch: int) -> float:
    """RMS of the first second of lemm's synth preset ``name`` playing ``pitch`` at velocity 100 (mono, 48 kHz)."""
    from lemm.render.track import render_track
    from lemm.score.model import Note, Score, Track

    track = Track(name="x", role="keys", preset=name, notes=(Note(pitch, 0, 960, 100),))
    audio = render_track(track, Score(tracks=(track,)), sample_rate=RENDER_RATE, n_samples=RENDER_RATE, preset=load_preset(name))
    return float(np.sqrt(np.mean(audio.mean(0).astype(np.float64) ** 2)))


def _layered_credit(spec: dict) -> str:
    """The CREDITS.md sentence naming the second SoundFont a ``toward`` spec mixes in ('' without one)."""
    if "toward" not in spec:
        return ""
    other, fraction = spec["toward"]
    text = (
        f"\nEach note's long-term spectral balance is moved {fraction:.0%} of the way (dB) toward the same note of\n"
        f"**{SOUNDFONTS[other][1]}** (program {spec['program']})"
    )
    if "layer_above" in spec:
        cutoff, gain = spec["layer_above"]
        text += f",\nwhose recording high-passed at {cutoff:.0f} Hz is added {-gain:.0f} dB down"
    return text + "."


def extract(name: str, spec: dict, out: Path, scratch: Path) -> int:
    """Write one instrument folder; returns its size in bytes."""
    soundfont, source = SOUNDFONTS[spec["soundfont"]]
    notes = notes_midi(spec, scratch / f"{name}.mid")
    audio = render_fluidsynth(scratch / f"{name}.mid", soundfont, scratch / f"{name}.wav")
    rate = spec.get("store_rate", STORE_RATE)
    g = math.gcd(rate, RENDER_RATE)
    loop = spec.get("loop_seconds")
    shots = {}
    for root, vel, onset, length in notes:
        seg = audio[int(onset * RENDER_RATE) - 64 : int((onset + length) * RENDER_RATE)]
        start = int(np.argmax(np.abs(seg) > 1e-5))
        seg = resample_poly(seg[start:], rate // g, RENDER_RATE // g)
        if loop is None:
            shots[(root, vel)] = trim(seg, max_samples=int(length * rate), rate=rate)
        else:
            shots[(root, vel)] = loop_crossfaded(
                seg, int(loop[0] * rate), int(loop[1] * rate), crossfade=int(0.25 * (loop[1] - loop[0]) * rate)
            )
    if "toward" in spec:
        other, fraction = spec["toward"]
        target = render_fluidsynth(scratch / f"{name}.mid", SOUNDFONTS[other][0], scratch / f"{name}_{other}.wav")
        targets = {}
        for root, vel, onset, length in notes:
            seg = target[int(onset * RENDER_RATE) - 64 : int((onset + length) * RENDER_RATE)]
            start = int(np.argmax(np.abs(seg) > 1e-5))
            targets[(root, vel)] = resample_poly(seg[start:], rate // g, RENDER_RATE // g)[: len(shots[(root, vel)])]
        moved = balance_toward(shots, targets, fraction, rate)
        if "layer_above" in spec:
            moved = layer_above(moved, targets, *spec["layer_above"], rate)
        # each note keeps its source's loudness (zone to zone, layer to layer): only the balance moves
        shots = {k: moved[k] * (_rms(shots[k]) / _rms(moved[k])) for k in shots}
    peak = max(float(np.abs(s).max()) for s in shots.values())
    scale = 0.89 / peak
    mid_root = min(spec["roots"], key=lambda r: abs(r - 60))
    loud_vel = min(spec["velocities"], key=lambda v: abs(v - 100))
    ref = shots[(mid_root, loud_vel)] * scale
    sample_rms = float(np.sqrt(np.mean(ref[:rate] ** 2)))  # the same first second as synth_reference_rms
    gain_db = 20.0 * math.log10(synth_reference_rms(name, mid_root) / sample_rms)
    # the SoundFont's own velocity curve: level (first 0.5 s, middle zones) between the softest and loudest layer
    soft, loud = spec["velocities"][0], spec["velocities"][-1]
    middle = [r for r in spec["roots"] if 48 <= r <= 84]
    if soft == loud:
        halving_db = 12.0  # one layer: the SoundFont default's square law
    else:
        rise_db = float(np.median([20.0 * math.log10(_rms(shots[(r, loud)]) / _rms(shots[(r, soft)])) for r in middle]))
        halving_db = rise_db / math.log2(loud / soft)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    zones, total = [], 0
    for root in spec["roots"]:
        files = []
        for vel in spec["velocities"]:
            file = f"{name}_{root:03d}_v{vel:03d}.flac"
            pcm = np.clip(np.round(shots[(root, vel)] * scale * 32767.0), -32768, 32767).astype(np.int16)
            sf.write(out / file, pcm, rate, format="FLAC", subtype="PCM_16")
            total += (out / file).stat().st_size
            files.append(file)
        tune = (
            tuning_cents(shots[(root, spec["velocities"][-1])], root, rate, sustained=loop is not None) if spec["correct_tuning"] else 0.0
        )
        zone = {"root": root, "tune_cents": round(tune, 2), "files": files}
        if "keys" in spec:
            zone["keys"] = list(spec["keys"][spec["roots"].index(root)])
        if loop is not None:
            zone["loop"] = [int(loop[0] * rate), int(loop[1] * rate)]
        zones.append(zone)
    index = {
        "name": name,
        "sample_rate": rate,
        "source": f"{source}, program {spec['program']}",
        "program": spec["program"],
        "velocities": spec["velocities"],
        "release_ms": spec["release_ms"],
        "velocity_halving_db": round(halving_db, 3),
        "stereo_width": load_preset(name).stereo_width,
        "gain_db": round(gain_db, 3),
        "zones": zones,
    }
    atomic_write_text(out / "instrument.json", json.dumps(index, indent=1) + "\n")
    credits = CREDITS.format(
        name=name, program=spec["program"], source=source, rate=rate, roots=", ".join(map(str, spec["roots"])),
        velocities=", ".join(map(str, spec["velocities"])), layered=_layered_credit(spec),
    )  # fmt: skip
    atomic_write_text(out / "CREDITS.md", credits)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SPECS))
    parser.add_argument("--out", default=str(ROOT / "lemm" / "render" / "instruments"))
    args = parser.parse_args(argv)
    if shutil.which("fluidsynth") is None:
        print("fluidsynth is needed (apt install fluidsynth)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only.split(","):
            size = extract(name, SPECS[name], Path(args.out) / name, Path(tmp))
            print(f"{name}: {size / 2**20:.2f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
