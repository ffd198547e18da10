"""One data-set song: every file of its folder, as bytes, from (options, index) alone.

A song folder holds::

    mix.flac             the mix before mastering = the exact sum of the stems (see below)
    master.flac          lemm's master of the mix
    stems/<track>.flac   each track's share of the mix: its channel strip plus its own reverb and delay returns
    midi/<track>.mid     each track alone (with the conductor track: tempo, meter, key, sections, chords)
    all.mid              every track
    notes/<track>.csv    onset_seconds,offset_seconds,pitch,velocity of every note
    song.json            the lemm project (brief, plan, score, render and mix settings): ``lemm.load`` reads it
    metadata.json        genre, tempo, key, meter, sections and chords with times, per-stem instrument
                         class, GM program, preset and loudness, seeds, lemm version
    checksums.json       sha256 of every other file; written last, it marks the song complete

Stems and mix: the stems are 24-bit PCM, and ``mix`` is the sum of the quantised
stems computed in integers, so the files add up *exactly* (the sum of the stem
files equals the mix file sample for sample). Where the mix or a stem would
reach full scale, the stems and the mix are written turned down by a power of
two (exact in binary), ``stem_gain_db`` in metadata.json; master.flac is at its
own level. The master is lemm's master of the mix it made in float
(:func:`lemm.mix.apply_mix`), which differs from the stems' sum by less than one
24-bit step per stem.

Nothing in these files depends on the machine, the time, the worker or the
order songs are made in: torch runs with one intra-op thread, and every
random choice is seeded from (data-set seed, index).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from typing import TYPE_CHECKING, Any

import numpy as np

import lemm
from lemm.dataset.briefs import DatasetOptions, song_brief, song_id, song_split
from lemm.io.jsondata import json_safe
from lemm.mix.loudness import integrated_loudness
from lemm.mix.mixer import track_outputs
from lemm.project.folder import song_to_dict
from lemm.render.settings import RenderSettings
from lemm.score.midi import score_to_midi
from lemm.score.timing import ticks_to_seconds
from lemm.version import __version__

if TYPE_CHECKING:
    from lemm.mix.mastering import MasterReport

__all__ = ["CHECKSUMS", "FILE_FORMAT", "PCM_SCALE", "build_song_files", "instrument_class", "json_bytes", "one_thread"]

FILE_FORMAT = "lemm-dataset-song"
CHECKSUMS = "checksums.json"
#: 24-bit PCM: one step is 1 / PCM_SCALE of full scale.
PCM_SCALE = 2**23

#: The GM program families (program // 8), as Slakh's and MIDI's instrument classes.
_GM_FAMILIES = ("Piano", "Chromatic Percussion", "Organ", "Guitar", "Bass", "Strings", "Ensemble", "Brass", "Reed", "Pipe",
                "Synth Lead", "Synth Pad", "Synth Effects", "Ethnic", "Percussive", "Sound Effects")


def one_thread() -> None:
    """Give torch one intra-op thread in this process (a worker's initializer; idempotent)."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def json_bytes(data: Any) -> bytes:
    """Stable JSON bytes: sorted keys, no NaN, UTF-8, a final newline."""
    return (json.dumps(json_safe(data), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def instrument_class(*, program: int, is_drum: bool, role: str) -> str:
    """The instrument class of a track: ``"Drums"``, ``"Voice"``, or its GM program family.

    >>> instrument_class(program=33, is_drum=False, role="bass"), instrument_class(program=0, is_drum=True, role="drums")
    ('Bass', 'Drums')
    """
    if is_drum:
        return "Drums"
    if role == "vocal":
        return "Voice"
    return _GM_FAMILIES[int(program) // 8]


def _pcm_steps(audio: np.ndarray, scale: float) -> np.ndarray:
    """``audio * scale`` rounded to 24-bit steps, as int32 [shape=(2, n)].

    ``scale * PCM_SCALE`` is a power of two, so the product is exact in float32
    and only the rounding changes the samples.
    """
    return np.rint(audio * np.float32(scale * PCM_SCALE)).astype(np.int32)


def _encode(steps: np.ndarray, *, sample_rate: int, audio_format: str) -> bytes:
    """24-bit PCM FLAC or WAV bytes of integer steps [shape=(n_channels, n)] (|steps| < 2**23)."""
    import soundfile as sf

    buf = io.BytesIO()
    data = np.left_shift(steps.T, 8, dtype=np.int32)  # int32 full scale: soundfile keeps the top 24 bits
    sf.write(buf, data, int(sample_rate), subtype="PCM_24", format=audio_format.upper())
    return buf.getvalue()


def _stem_scale(shares: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    """The largest power-of-two gain <= 1 at which every quantised stem and their sum fit 24 bits, and that sum.

    The sum is accumulated one stem at a time in int32 (exact for up to 255
    stems), so memory stays at one stem's steps beside the mix.
    """
    limit = PCM_SCALE - 1
    scale = 1.0
    while True:
        mix = None
        fits = True
        for audio in shares.values():
            steps = _pcm_steps(audio, scale)
            fits = fits and int(np.abs(steps).max(initial=0)) <= limit
            mix = steps if mix is None else np.add(mix, steps, out=mix)
        if fits and int(np.abs(mix).max(initial=0)) <= limit:
            return scale, mix
        scale /= 2.0


def _midi_bytes(score) -> bytes:
    buf = io.BytesIO()
    score_to_midi(score).save(file=buf)
    return buf.getvalue()


def _notes_csv(score, track, *, offset_seconds: float) -> tuple[bytes, int]:
    lines = ["onset_seconds,offset_seconds,pitch,velocity"]
    if track.notes:
        starts = np.array([n.start_tick for n in track.notes], dtype=np.float64)
        ends = starts + np.array([n.duration_ticks for n in track.notes], dtype=np.float64)
        onsets = np.asarray(ticks_to_seconds(score, starts), dtype=np.float64) + offset_seconds
        offsets = np.asarray(ticks_to_seconds(score, ends), dtype=np.float64) + offset_seconds
        for note, on, off in zip(track.notes, onsets, offsets, strict=True):
            lines.append(f"{on:.6f},{off:.6f},{note.pitch},{note.velocity}")
    return ("\n".join(lines) + "\n").encode("ascii"), len(track.notes)


def _loudness(audio: np.ndarray, *, sample_rate: int) -> dict[str, float | None]:
    peak = float(np.abs(audio).max(initial=0.0))
    lufs = integrated_loudness(audio, sample_rate=sample_rate)
    return {
        "integrated_lufs": round(lufs, 3) if np.isfinite(lufs) else None,
        "peak_dbfs": round(20.0 * float(np.log10(peak)), 3) if peak > 0 else None,
    }


def _times(score, ticks: list[int], offset_seconds: float) -> list[float]:
    if not ticks:
        return []
    return [round(float(t) + offset_seconds, 6) for t in np.asarray(ticks_to_seconds(score, np.array(ticks, dtype=np.float64)))]


def _metadata(song, options: DatasetOptions, index: int, *, stems_meta: dict, scale: float, n_samples: int,
              mix_steps: np.ndarray, master_report: MasterReport) -> dict:
    score, plan, sr = song.score, song.plan, options.sample_rate  # the plan: how the song was composed (mood, swing)
    off = float(song.render_settings.start_offset_seconds)
    ext = options.audio_format
    section_times = _times(score, [s.start_tick for s in score.sections] + [s.end_tick for s in score.sections], off)
    n_sec = len(score.sections)
    chord_times = _times(score, [c.start_tick for c in score.chords] + [c.end_tick for c in score.chords], off)
    n_ch = len(score.chords)
    return {
        "format": FILE_FORMAT,
        "id": song_id(index),
        "index": int(index),
        "split": song_split(options, index),
        "dataset_seed": options.seed,
        "song_seed": song.brief.seed,
        "lemm_version": __version__,
        "brief": {"prompt": song.brief.prompt, "tags": list(song.brief.tags), "lyrics": song.brief.lyrics,
                  "duration_seconds": song.brief.duration_seconds},
        "genre": score.genre,
        "mood": plan.mood,
        "tempo_bpm": score.tempos[0].tempo_bpm,
        "tempos": [{"time_seconds": t, "tempo_bpm": x.tempo_bpm} for t, x in zip(_times(score, [x.tick for x in score.tempos], off), score.tempos, strict=True)],
        "key": f"{score.keys[0].tonic} {score.keys[0].mode}",
        "keys": [{"time_seconds": t, "tonic": k.tonic, "mode": k.mode} for t, k in zip(_times(score, [k.tick for k in score.keys], off), score.keys, strict=True)],
        "meter": f"{score.meters[0].numerator}/{score.meters[0].denominator}",
        "meters": [{"time_seconds": t, "meter": f"{m.numerator}/{m.denominator}"} for t, m in zip(_times(score, [m.tick for m in score.meters], off), score.meters, strict=True)],
        "swing": plan.swing,
        "sections": [{"name": s.name, "kind": s.kind, "start_seconds": section_times[i], "end_seconds": section_times[n_sec + i],
                      "energy": s.energy} for i, s in enumerate(score.sections)],
        "chords": [{"symbol": c.symbol, "start_seconds": chord_times[i], "end_seconds": chord_times[n_ch + i]}
                   for i, c in enumerate(score.chords)],
        "sample_rate": sr,
        "n_samples": int(n_samples),
        "duration_seconds": round(n_samples / sr, 6),
        "stem_gain_db": round(20.0 * float(np.log10(scale)), 6),
        "stems": stems_meta,
        "mix": {"file": f"mix.{ext}", **_loudness(mix_steps / np.float32(PCM_SCALE * scale), sample_rate=sr)},
        "master": {"file": f"master.{ext}", "integrated_lufs": master_report.integrated_lufs,
                   "true_peak_dbtp": master_report.true_peak_dbtp, "lra_lu": master_report.lra_lu},
        "midi": "all.mid",
        "song_json": "song.json",
    }


def build_song_files(options: DatasetOptions, index: int) -> dict[str, bytes]:
    """Compose, render, mix and master song ``index``; every file of its folder as bytes.

    Parameters
    ----------
    options : DatasetOptions
    index : int
        0..2**32-1.

    Returns
    -------
    dict of str to bytes
        Relative path (``"stems/bass.flac"``) to the file's bytes, including
        ``checksums.json`` (the sha256 of every other file).

    Raises
    ------
    LemmError
        Whatever lemm raises for this brief (the run records it in failures.jsonl).
    """
    one_thread()
    brief = song_brief(options, index)
    song = lemm.compose(brief.prompt, tags=brief.tags, lyrics=brief.lyrics, duration=brief.duration_seconds, seed=brief.seed,
                        render_settings=RenderSettings(sample_rate=options.sample_rate))
    song.mix(n_workers=1)  # one thread: the pool's workers are the parallelism (a worker using two cores halves the speedup)
    shares = track_outputs(song.stems, song.mix_settings, sample_rate=options.sample_rate)
    scale, mix_steps = _stem_scale(shares)
    ext, sr = options.audio_format, options.sample_rate
    files: dict[str, bytes] = {}
    stems_meta: dict[str, dict] = {}
    tracks = {t.name: t for t in song.score.tracks}
    off = float(song.render_settings.start_offset_seconds)
    for name in shares:
        track = tracks[name]
        steps = _pcm_steps(shares[name], scale)
        files[f"stems/{name}.{ext}"] = _encode(steps, sample_rate=sr, audio_format=ext)
        files[f"midi/{name}.mid"] = _midi_bytes(dataclasses.replace(song.score, tracks=(track,)))
        files[f"notes/{name}.csv"], n_notes = _notes_csv(song.score, track, offset_seconds=off)
        stems_meta[name] = {
            "file": f"stems/{name}.{ext}", "midi": f"midi/{name}.mid", "notes": f"notes/{name}.csv", "role": track.role,
            "instrument_class": instrument_class(program=track.program, is_drum=track.is_drum, role=track.role),
            "program": track.program, "is_drum": track.is_drum, "preset": track.preset, "n_notes": n_notes,
            **_loudness(steps / np.float32(PCM_SCALE * scale), sample_rate=sr),
        }
    files[f"mix.{ext}"] = _encode(mix_steps, sample_rate=sr, audio_format=ext)
    master_steps = np.clip(_pcm_steps(song.master_audio, 1.0), -PCM_SCALE, PCM_SCALE - 1)  # the master peaks at -1 dBTP
    files[f"master.{ext}"] = _encode(master_steps, sample_rate=sr, audio_format=ext)
    files["all.mid"] = _midi_bytes(song.score)
    files["song.json"] = json_bytes(song_to_dict(song))
    files["metadata.json"] = json_bytes(_metadata(song, options, index, stems_meta=stems_meta, scale=scale,
                                                  n_samples=mix_steps.shape[1], mix_steps=mix_steps,
                                                  master_report=song.master_report))
    files[CHECKSUMS] = json_bytes({path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())})
    return files
