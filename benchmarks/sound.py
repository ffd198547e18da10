"""Benchmark: what a listener hears, lemm beside a SoundFont player on the same MIDI; ONE JSON line.

For each genre a short song is composed and rendered by ``lemm compose``
(timed), and its ``score.mid`` is rendered by fluidsynth with FluidR3_GM and,
when installed, MuseScore General (timed in the same run). Measured:

- ``kick_fall_db``: the 30-100 Hz band of an isolated kick (velocity 100), its
  level 300 ms after its peak below the peak (20 ms RMS windows), per kit and
  for the references. Threshold >= 40 dB.
- ``hat_presence_db``: in the drum stem, the 6-16 kHz level at the hi-hat
  hits (median of the loudest 10 ms frame within 30 ms of each hit) above
  the wash under them: the median of that band's frames between two hat hits
  at most 1 s apart (while the hats keep time; a section kept on the ride is
  not under any hat), outside the first 60 ms after every hat hit.
  Threshold >= 20 dB.
- ``bass_above_12k_db``: power above 12 kHz of the bass stem relative to its
  total power. Threshold < -50 dB.
- ``sustain_motion_db``: inside stretches of at least 0.7 s where the set of
  sounding notes of a pad/strings track does not change (from 200 ms after
  the change to 50 ms before the next), the spread over time (standard
  deviation, dB) of each 40-band log-mel bin after removing the frame's
  level, averaged over the bins within 40 dB of the loudest; lemm's stem over
  the reference track's. Threshold 0.6..1.5x.
- master ``correlation`` (0.5..0.85), ``side_mid_db`` (-14..-6),
  ``fold_down_loss_db`` (<= 1.5).
- ``quietest_section_lu``: loudness of the quietest section of the master
  (integrated, gated) minus the song's integrated loudness (>= -12 LU).
- ``distance_ratio`` per track: frame-aligned log-mel L1 distance (dB, 64
  bands, 46 ms frames, loudness-matched, frames where either is within 60 dB
  of the louder's peak) of lemm's (dry) stem to the reference's rendering
  of the same track (reverb and chorus off), over the mean distance of the same track played by three wrong
  GM programs (other instrument families; other drum kits) to the reference.
  Threshold <= 0.7. None where the wrong programs are within 1 dB of the
  reference (a percussion part whose sounds are the same in every kit).

The per-track reference renders (right program and wrong ones) of one song
are one fluidsynth run per SoundFont: every track's events, once per
program, are laid end to end in one MIDI file at a fixed tempo (absolute
seconds kept) and cut apart afterwards.

Usage::

    python benchmarks/sound.py [--genres pop,rock,edm,hip-hop,folk,ballad] [--duration 0:35] [--seed 1] [--out /tmp/lemm-sound]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mido
import numpy as np
import scipy.signal
import soundfile

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
MUSESCORE = Path("/usr/share/sounds/sf3/MuseScore_General.sf3")
SAMPLE_RATE = 48000
_GAP_SECONDS = 4.0
_WRONG_PROGRAMS = (0, 25, 33, 40, 56, 73, 81, 89, 11, 19)  # piano, steel gtr, bass, violin, trumpet, flute, saw lead, pad, vibes, organ
_WRONG_KITS = (16, 32, 40, 48)  # power, jazz, brush, orchestral
_HAT_KEYS = (42, 44, 46)
_SUSTAIN_ROLES = ("pad", "strings")
#: A track whose wrong programs are this close (dB) to the right one gets no distance ratio (None).
_MIN_WRONG_DB = 1.0


# ----------------------------------------------------------------------------- measures (pure functions of audio)


def _mono(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio, dtype=np.float64)
    return a.mean(0) if a.ndim == 2 else a


def _db(x: float) -> float:
    return 10.0 * math.log10(max(float(x), 1e-30))


def kick_fall_db(audio: np.ndarray, *, sample_rate: int, delay_seconds: float = 0.3) -> float:
    """Fall (dB) of the 30-100 Hz band from its 20 ms peak to the 20 ms window ``delay_seconds`` later."""
    x = scipy.signal.sosfilt(scipy.signal.butter(4, (30.0, 100.0), btype="band", fs=sample_rate, output="sos"), _mono(audio))
    win = int(0.02 * sample_rate)
    power = np.convolve(x**2, np.ones(win) / win, mode="valid")
    peak = int(np.argmax(power))
    later = peak + int(delay_seconds * sample_rate)
    tail = power[later] if later < len(power) else 0.0
    return float(min(120.0, _db(power[peak]) - _db(tail)))


def _band_frames_db(audio: np.ndarray, *, sample_rate: int, low_hz: float, high_hz: float, hop_seconds: float = 0.005) -> np.ndarray:
    x = scipy.signal.sosfilt(
        scipy.signal.butter(6, (low_hz, min(high_hz, 0.45 * sample_rate)), btype="band", fs=sample_rate, output="sos"), _mono(audio)
    )
    hop, win = int(hop_seconds * sample_rate), int(2 * hop_seconds * sample_rate)
    n = max(1, (len(x) - win) // hop)
    frames = np.lib.stride_tricks.sliding_window_view(x, win)[::hop][:n]
    return 10.0 * np.log10(np.maximum((frames**2).mean(1), 1e-20))


def hat_presence_db(drums: np.ndarray, hat_onsets_seconds: np.ndarray, *, sample_rate: int, max_gap_seconds: float = 1.0) -> float | None:
    """Median 6-16 kHz level at the hat hits above the median of the band between them while they keep time (dB); None without hats.

    The wash is measured only between two hat hits at most ``max_gap_seconds`` apart (outside the
    first 60 ms after each hit): where the hats keep time. A section that keeps time on the ride
    has no hats to hear, so its ride is not counted as the wash under them; a ride (or anything
    else) that sounds between the hats is.
    """
    hop = 0.005
    frames = _band_frames_db(drums, sample_rate=sample_rate, low_hz=6000.0, high_hz=16000.0, hop_seconds=hop)
    onsets = np.sort(np.asarray(hat_onsets_seconds, dtype=np.float64))
    peaks = [frames[int(t / hop) : int((t + 0.03) / hop) + 1].max() for t in onsets if int(t / hop) < len(frames) - 1]
    between = np.zeros(len(frames), dtype=bool)
    for a, b in zip(onsets[:-1], onsets[1:], strict=True):
        if b - a <= max_gap_seconds:
            between[int(a / hop) : min(len(frames), int(b / hop))] = True
    for t in onsets:
        between[int(t / hop) : int((t + 0.06) / hop) + 1] = False
    if not peaks or not between.any():
        return None
    return float(np.median(peaks) - np.median(frames[between]))


def high_band_db(audio: np.ndarray, *, sample_rate: int, cutoff_hz: float = 12000.0) -> float:
    """Power above ``cutoff_hz`` relative to the total (dB)."""
    f, p = scipy.signal.welch(_mono(audio), fs=sample_rate, nperseg=4096)
    return _db(p[f >= cutoff_hz].sum() / max(p.sum(), 1e-30))


def _mel_fb(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=30.0, fmax=min(16000.0, sample_rate / 2))


def log_mel_db(audio: np.ndarray, *, sample_rate: int, n_mels: int = 64, n_fft: int = 2048, hop: int = 1024) -> np.ndarray:
    """Log-mel power (dB) [shape=(n_frames, n_mels)] of the mono sum."""
    x = _mono(audio)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * np.hanning(n_fft)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return 10.0 * np.log10(np.maximum(spec @ _mel_fb(sample_rate, n_fft, n_mels).T, 1e-12))


def sustain_motion_db(audio: np.ndarray, spans_seconds: list[tuple[float, float]], *, sample_rate: int) -> float:
    """Mean over held stretches of the time spread (std, dB) of level-normalised 40-band log-mel bins."""
    values = []
    for a, b in spans_seconds:
        seg = _mono(audio)[int(a * sample_rate) : int(b * sample_rate)]
        if len(seg) < int(0.4 * sample_rate):
            continue
        m = log_mel_db(seg, sample_rate=sample_rate, n_mels=40, n_fft=2048, hop=512)
        level = 10.0 * np.log10(np.maximum((10.0 ** (m / 10.0)).mean(1, keepdims=True), 1e-12))
        shape = m - level
        mean = m.mean(0)
        keep = mean > mean.max() - 40.0
        values.append(float(shape[:, keep].std(0).mean()))
    return float(np.mean(values)) if values else float("nan")


def held_spans(notes_seconds: list[tuple[float, float]], *, min_seconds: float = 0.7) -> list[tuple[float, float]]:
    """Stretches (start + 0.2 s, end - 0.05 s) where the sounding notes do not change for >= ``min_seconds``."""
    edges = sorted({t for n in notes_seconds for t in n})
    spans = []
    for a, b in zip(edges[:-1], edges[1:], strict=False):
        if b - a >= min_seconds and any(s <= a and e >= b for s, e in notes_seconds):
            spans.append((a + 0.2, b - 0.05))
    return spans


def stereo_measures(audio: np.ndarray, *, sample_rate: int) -> dict[str, float]:
    """Master L/R correlation, side/mid (dB) and mono fold-down loss (dB)."""
    from lemm.mix.meters import stereo_correlation
    from lemm.mix.stereo import fold_down_loss_db

    a = np.asarray(audio, dtype=np.float64)
    mid, side = 0.5 * (a[0] + a[1]), 0.5 * (a[0] - a[1])
    return {
        "correlation": round(stereo_correlation(a), 3),
        "side_mid_db": round(_db((side**2).mean() / max((mid**2).mean(), 1e-30)), 2),
        "fold_down_loss_db": round(fold_down_loss_db(a.astype(np.float32), sample_rate=sample_rate), 2),
    }


def section_loudness(audio: np.ndarray, bounds_seconds: list[tuple[str, float, float]], *, sample_rate: int) -> dict[str, float]:
    """Integrated loudness (LUFS) of each section of ``audio``, and of the whole, key ``"song"``."""
    from lemm.mix.loudness import integrated_loudness

    a = np.asarray(audio, dtype=np.float32)
    out = {"song": integrated_loudness(a, sample_rate=sample_rate)}
    for i, (name, s, e) in enumerate(bounds_seconds):
        seg = a[:, int(s * sample_rate) : int(e * sample_rate)]
        out[f"{i}:{name}"] = integrated_loudness(seg, sample_rate=sample_rate) if seg.shape[1] > sample_rate else float("nan")
    return out


def mel_distance_db(test: np.ndarray, reference: np.ndarray, *, sample_rate: int) -> float:
    """Frame-aligned log-mel L1 (dB) of ``test`` to ``reference`` after matching their integrated loudness."""
    from lemm.mix.loudness import integrated_loudness

    n = min(test.shape[-1], reference.shape[-1])
    t, r = np.atleast_2d(test)[:, :n].astype(np.float32), np.atleast_2d(reference)[:, :n].astype(np.float32)
    lt, lr = integrated_loudness(t, sample_rate=sample_rate), integrated_loudness(r, sample_rate=sample_rate)
    if not (math.isfinite(lt) and math.isfinite(lr)):
        return float("nan")
    mt, mr = log_mel_db(t, sample_rate=sample_rate) + (lr - lt), log_mel_db(r, sample_rate=sample_rate)
    top = max(mt.max(), mr.max())
    mt, mr = np.maximum(mt, top - 80.0), np.maximum(mr, top - 80.0)
    active = (mt.max(1) > top - 60.0) | (mr.max(1) > top - 60.0)
    return float(np.abs(mt[active] - mr[active]).mean())


# ----------------------------------------------------------------------------- references (fluidsynth)


def fluidsynth(midi: Path, sf2: Path, out: Path, *, dry: bool = False) -> tuple[np.ndarray, float]:
    """Render ``midi`` with ``sf2`` (``dry``: reverb and chorus off); (audio [2, n] float32, seconds taken)."""
    t0 = time.perf_counter()
    effects = ["-R", "0", "-C", "0"] if dry else []
    subprocess.run(
        ["fluidsynth", "-ni", "-q", *effects, "-F", str(out), "-r", str(SAMPLE_RATE), str(sf2), str(midi)], check=True, capture_output=True
    )
    seconds = time.perf_counter() - t0
    audio, _ = soundfile.read(str(out), dtype="float32", always_2d=True)
    return audio.T, seconds


def track_events_seconds(midi: mido.MidiFile) -> list[tuple[str, list[tuple[float, mido.Message]]]]:
    """Each track's (name, [(seconds, channel message)]) through the tempo map of track 0."""
    tempo_map = [(0, 500000)]
    tick = 0
    for msg in midi.tracks[0]:
        tick += msg.time
        if msg.type == "set_tempo":
            tempo_map.append((tick, msg.tempo))
    tempo_map.sort(key=lambda e: e[0])  # stable: a tempo at tick 0 replaces the default

    def seconds(t: int) -> float:
        s, last_tick, last_tempo = 0.0, 0, 500000
        for tt, tempo in tempo_map:
            if tt > t:
                break
            s += mido.tick2second(tt - last_tick, midi.ticks_per_beat, last_tempo)
            last_tick, last_tempo = tt, tempo
        return s + mido.tick2second(t - last_tick, midi.ticks_per_beat, last_tempo)

    out = []
    for track in midi.tracks[1:]:
        tick, events = 0, []
        for msg in track:
            tick += msg.time
            if not msg.is_meta and msg.type in ("note_on", "note_off", "control_change", "program_change", "pitchwheel"):
                events.append((seconds(tick), msg))
        out.append((track.name, events))
    return out


def blocks_midi(blocks: list[tuple[list[tuple[float, mido.Message]], int]], path: Path) -> list[tuple[float, float]]:
    """Write each (events, program) block end to end (``_GAP_SECONDS`` after its last event) in one MIDI file.

    The events keep their channel; each block starts with a reset of the
    controllers and its program. Returns each block's (start, length) in seconds.
    """
    midi = mido.MidiFile(ticks_per_beat=960)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 120 bpm: 1920 ticks per second
    timeline, spans, t0 = [], [], 0.0
    for events, program in blocks:
        length = max((t for t, _ in events), default=0.0) + _GAP_SECONDS
        channel = next((m.channel for _, m in events if hasattr(m, "channel")), 0)
        timeline.append((t0, 0, mido.Message("control_change", channel=channel, control=121, value=0)))
        timeline.append((t0, 1, mido.Message("program_change", channel=channel, program=program)))
        for t, m in events:
            if m.type != "program_change":
                timeline.append((t0 + t + 1e-4, 2, m))
        timeline.append((t0 + length - 0.05, 3, mido.Message("control_change", channel=channel, control=123, value=0)))
        spans.append((t0, length))
        t0 += length
    timeline.sort(key=lambda e: (e[0], e[1]))
    last = 0
    for t, _, m in timeline:
        tick = int(round(t * 1920))
        track.append(m.copy(time=tick - last))
        last = tick
    midi.save(str(path))
    return spans


def variants_midi(events: list[tuple[float, mido.Message]], programs: list[int], path: Path) -> float:
    """The events once per program, end to end; returns the stride in seconds."""
    return blocks_midi([(events, p) for p in programs], path)[0][1]


def wrong_programs(program: int, is_drum: bool) -> list[int]:
    """Three programs of other instrument families (other kits for drums)."""
    if is_drum:
        return [k for k in _WRONG_KITS if k != program][:3]
    return [p for p in _WRONG_PROGRAMS if p // 8 != program // 8][:3]


# ----------------------------------------------------------------------------- one song


def measure_song(folder: Path, *, scratch: Path, soundfonts: dict[str, Path]) -> dict:
    """All measures of one composed song folder against each SoundFont."""
    import lemm
    from lemm.score.timing import ticks_to_seconds

    song = lemm.load(folder)
    score = song.score
    master, rate = soundfile.read(str(folder / "master.wav"), dtype="float32", always_2d=True)
    master = master.T
    result: dict = {"stereo": stereo_measures(master, sample_rate=rate)}
    bounds = [
        (s.name, float(ticks_to_seconds(score, s.start_tick)), float(ticks_to_seconds(score, s.start_tick + s.duration_ticks)))
        for s in score.sections
    ]
    loud = section_loudness(master, bounds, sample_rate=rate)
    sections = {k: round(v, 2) for k, v in loud.items() if k != "song"}
    finite = [v for v in sections.values() if math.isfinite(v)]
    result["sections_lufs"] = sections
    result["quietest_section_lu"] = round(min(finite) - loud["song"], 2) if finite else None
    stems = {
        t.name: soundfile.read(str(folder / "stems" / f"{t.name}.wav"), dtype="float32", always_2d=True)[0].T
        for t in score.tracks
        if (folder / "stems" / f"{t.name}.wav").exists()
    }
    midi = mido.MidiFile(str(folder / "score.mid"))
    per_track = dict(track_events_seconds(midi))
    tracks: dict = {}
    blocks: list[tuple[list, int]] = []
    owners: list[tuple[str, int]] = []
    notes_s: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for t in score.tracks:
        if t.name not in stems or t.name not in per_track:
            continue
        notes_s[t.name] = (
            ticks_to_seconds(score, np.array([n.start_tick for n in t.notes], dtype=np.float64)),
            ticks_to_seconds(score, np.array([n.start_tick + n.duration_ticks for n in t.notes], dtype=np.float64)),
        )
        events = per_track[t.name]
        program = next((m.program for _, m in events if m.type == "program_change"), 0)
        for k, p in enumerate([program, *wrong_programs(program, t.is_drum)]):
            blocks.append((events, p))
            owners.append((t.name, k))
    spans = blocks_midi(blocks, scratch / f"{folder.name}_tracks.mid")
    renders = {}
    for sf_name, sf in soundfonts.items():
        audio, _ = fluidsynth(scratch / f"{folder.name}_tracks.mid", sf, scratch / f"{folder.name}_tracks_{sf_name}.wav", dry=True)
        for (name, k), (start, length) in zip(owners, spans, strict=True):
            renders.setdefault((sf_name, name), []).append(audio[:, int(start * rate) : int((start + length) * rate)])
    for t in score.tracks:
        if t.name not in notes_s:
            continue
        on, off = notes_s[t.name]
        entry: dict = {"role": t.role, "preset": t.preset}
        stem = stems[t.name]
        drum = t.role == "drums" or t.is_drum
        hats = on[[n.pitch in _HAT_KEYS for n in t.notes]] if drum else None
        if drum:
            hp = hat_presence_db(stem, hats, sample_rate=rate)
            entry["hat_presence_db"] = None if hp is None else round(hp, 1)
        if t.role == "bass":
            entry["bass_above_12k_db"] = round(high_band_db(stem, sample_rate=rate), 1)
        spans_held = held_spans(list(zip(on.tolist(), off.tolist(), strict=True))) if t.role in _SUSTAIN_ROLES else []
        if spans_held:
            entry["sustain_motion_db"] = round(sustain_motion_db(stem, spans_held, sample_rate=rate), 2)
        for sf_name in soundfonts:
            ref, *wrong = renders[(sf_name, t.name)]
            d_lemm = mel_distance_db(stem, ref, sample_rate=rate)
            d_wrong = float(np.mean([mel_distance_db(w, ref, sample_rate=rate) for w in wrong]))
            # wrong programs that sound the same as the right one (a shaker part is one sample in every kit) cannot judge it
            ratio = round(d_lemm / d_wrong, 3) if d_wrong >= _MIN_WRONG_DB else None
            ref_entry = {"distance_db": round(d_lemm, 2), "wrong_db": round(d_wrong, 2), "distance_ratio": ratio}
            if drum:
                hp = hat_presence_db(ref, hats, sample_rate=rate)
                ref_entry["hat_presence_db"] = None if hp is None else round(hp, 1)
            if t.role == "bass":
                ref_entry["bass_above_12k_db"] = round(high_band_db(ref, sample_rate=rate), 1)
            if spans_held:
                ref_entry["sustain_motion_db"] = round(sustain_motion_db(ref, spans_held, sample_rate=rate), 2)
                ref_entry["motion_ratio"] = round(entry["sustain_motion_db"] / max(ref_entry["sustain_motion_db"], 1e-6), 2)
            entry[sf_name] = ref_entry
        tracks[t.name] = entry
    result["tracks"] = tracks
    return result


def kick_falls(kits: list[str], *, scratch: Path, soundfonts: dict[str, Path]) -> dict[str, float]:
    """``kick_fall_db`` of one isolated kick (key 36, velocity 100) of each lemm kit and of each reference."""
    from lemm.render.drums import render_drum_track
    from lemm.score.model import Note, Score, Track

    out = {}
    for kit in kits:
        track = Track(name="drums", role="drums", preset=kit, is_drum=True, notes=(Note(36, 0, 240, 100),))
        audio, _ = render_drum_track(track, Score(tracks=(track,)), sample_rate=SAMPLE_RATE, seed=0, n_samples=SAMPLE_RATE)
        out[kit] = round(kick_fall_db(audio, sample_rate=SAMPLE_RATE), 1)
    path = scratch / "kick.mid"
    variants_midi(
        [(0.0, mido.Message("note_on", channel=9, note=36, velocity=100)), (0.25, mido.Message("note_off", channel=9, note=36))], [0], path
    )
    for sf_name, sf in soundfonts.items():
        audio, _ = fluidsynth(path, sf, scratch / f"kick_{sf_name}.wav", dry=True)
        out[sf_name] = round(kick_fall_db(audio[:, : 2 * SAMPLE_RATE], sample_rate=SAMPLE_RATE), 1)
    return out


def _checks(songs: dict, kicks: dict) -> dict[str, bool]:
    """Every threshold of the issue, pass/fail over all songs."""
    lemm_kicks = [v for k, v in kicks.items() if k not in ("fluidr3", "musescore")]
    checks = {"kick_fall_ge_40db": all(v >= 40.0 for v in lemm_kicks)}
    tracks = [(t, e) for s in songs.values() for t, e in s["tracks"].items()]
    checks["hats_ge_20db"] = all(e["hat_presence_db"] >= 20.0 for _, e in tracks if e.get("hat_presence_db") is not None)
    checks["bass_above_12k_lt_-50db"] = all(e["bass_above_12k_db"] < -50.0 for _, e in tracks if "bass_above_12k_db" in e)
    ratios = [e[r]["motion_ratio"] for _, e in tracks for r in ("fluidr3", "musescore") if r in e and "motion_ratio" in e[r]]
    checks["sustain_motion_0.6_1.5x"] = all(0.6 <= r <= 1.5 for r in ratios)
    st = [s["stereo"] for s in songs.values()]
    checks["correlation_0.5_0.85"] = all(0.5 <= x["correlation"] <= 0.85 for x in st)
    checks["side_mid_-14_-6db"] = all(-14.0 <= x["side_mid_db"] <= -6.0 for x in st)
    checks["fold_down_le_1.5db"] = all(x["fold_down_loss_db"] <= 1.5 for x in st)
    checks["quietest_section_ge_-12lu"] = all(
        s["quietest_section_lu"] is not None and s["quietest_section_lu"] >= -12.0 for s in songs.values()
    )
    dist = [e[r]["distance_ratio"] for _, e in tracks for r in ("fluidr3", "musescore") if r in e and e[r]["distance_ratio"] is not None]
    checks["distance_ratio_le_0.7"] = all(d <= 0.7 for d in dist)
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genres", default="pop,rock,edm,hip-hop,folk,ballad,lofi")
    parser.add_argument("--duration", default="0:35")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="keep the song folders here (default: a temporary folder)")
    parser.add_argument("--resume", action="store_true", help="reuse OUT/<genre>/sound.json where a run already measured that genre")
    args = parser.parse_args(argv)
    if shutil.which("fluidsynth") is None or not FLUID.exists():
        print(json.dumps({"error": "fluidsynth and FluidR3_GM are needed (apt install fluidsynth fluid-soundfont-gm)"}))
        return 1
    soundfonts = {"fluidr3": FLUID, **({"musescore": MUSESCORE} if MUSESCORE.exists() else {})}
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="lemm-sound-"))
    root.mkdir(parents=True, exist_ok=True)
    scratch = root / "_ref"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    songs: dict = {}
    kits: set[str] = set()
    for genre in args.genres.split(","):
        folder = root / genre
        saved = folder / "sound.json"
        if args.resume and saved.exists():
            songs[genre] = json.loads(saved.read_text())
            kits.update(songs[genre]["genre_kit"])
            continue
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lemm.cli", "compose", f"a {genre} song", "--tags", genre, "--duration", args.duration,
             "--seed", str(args.seed), "-o", str(folder)],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        seconds = {"lemm_compose": time.perf_counter() - t0}
        for sf_name, sf in soundfonts.items():
            _, seconds[sf_name] = fluidsynth(folder / "score.mid", sf, scratch / f"{genre}_{sf_name}.wav")
        songs[genre] = measure_song(folder, scratch=scratch, soundfonts=soundfonts)
        songs[genre]["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
        songs[genre]["genre_kit"] = sorted(e["preset"] for e in songs[genre]["tracks"].values() if e["role"] == "drums")
        kits.update(songs[genre]["genre_kit"])
        saved.write_text(json.dumps(songs[genre]))
    lemm_seconds = sum(s["seconds"]["lemm_compose"] for s in songs.values())
    ref_seconds = {k: sum(s["seconds"][k] for s in songs.values()) for k in soundfonts}
    kicks = kick_falls(sorted(kits | {"synth_kit", "acoustic_kit"}), scratch=scratch, soundfonts=soundfonts)
    report = {
        "benchmark": "sound",
        "duration": args.duration,
        "seed": args.seed,
        "lemm_compose_seconds": round(lemm_seconds, 2),
        "reference_render_seconds": {k: round(v, 2) for k, v in ref_seconds.items()},
        "kick_fall_db": kicks,
        "checks": _checks(songs, kicks),
        "songs": songs,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
