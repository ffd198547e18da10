"""Reading and writing a song folder.

A song folder holds::

    song.json          the project: brief, seed, plan, score, render and mix settings
    score.mid          Standard MIDI File type 1 (conductor track + one track per part)
    score.musicxml     the score for notation editors
    stems/<track>.wav  one stereo stem per track, all the same length
    mix.wav            the mix before mastering
    master.wav         the master
    report.json        loudness, true peak, LRA, length, seconds per stage, seed, version
    printed/           each track and the reverb/delay returns as mixed (the DAW projects play these)
    song.rpp           REAPER project: tempo map, regions, printed + dry (muted) + MIDI (muted) tracks
    song.dawproject    DAWproject (Bitwig, Studio One, Cubase): the same, with the audio inside

``lemm compose`` writes a new folder atomically (a temp folder, then a
rename); ``lemm render`` rewrites the files of an existing folder one by one,
each atomically, leaving any other file in it alone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lemm.compose.brief import Brief
from lemm.compose.plan_model import Plan
from lemm.errors import FileFormatError, LemmFileNotFoundError, OutputPathError, ScoreError
from lemm.io.atomic import atomic_folder, atomic_write_text
from lemm.io.audio import write_audio
from lemm.io.jsondata import json_safe, read_json_file
from lemm.pipeline import Progress, StageTimer
from lemm.project.history import HISTORY_FOLDER, record_version, version_text
from lemm.project.presets import song_presets_from_dict, song_presets_to_dict
from lemm.project.settings import RenderSettings
from lemm.score.jsonio import from_jsonable, score_from_dict, score_to_dict, to_jsonable

if TYPE_CHECKING:
    from lemm.song import Song

__all__ = [
    "song_to_dict",
    "song_from_dict",
    "read_song_json",
    "read_song_version",
    "write_song_files",
    "write_song_folder",
    "rerender_song_folder",
    "make_report",
    "SONG_FORMAT",
]

SONG_FORMAT = "lemm-song"
CACHE_FOLDER = "cache"
SONG_SCHEMA_VERSION = 1


def _version() -> str:
    from lemm import __version__

    return __version__


def song_to_dict(song: "Song") -> dict[str, Any]:
    """Everything song.json holds, as plain JSON data."""
    return {
        "format": SONG_FORMAT,
        "schema_version": SONG_SCHEMA_VERSION,
        "lemm_version": _version(),
        "seed": song.brief.seed,
        "brief": to_jsonable(song.brief),
        "plan": to_jsonable(song.plan),
        "score": score_to_dict(song.score),
        "render": to_jsonable(song.render_settings),
        "mix": None if song.mix_settings is None else song.mix_settings.to_dict(),
        "presets": song_presets_to_dict(song.presets),
    }


def song_from_dict(data: Any, *, source: str = "song.json") -> "Song":
    """Rebuild a Song (without audio) from :func:`song_to_dict` data, validating all of it."""
    from lemm.song import Song

    if not isinstance(data, dict) or data.get("format") != SONG_FORMAT:
        raise FileFormatError(f"{source} must be a lemm song file with \"format\": \"{SONG_FORMAT}\"")
    if data.get("schema_version") != SONG_SCHEMA_VERSION:
        raise ScoreError(f"{source} schema_version must be {SONG_SCHEMA_VERSION}, got {data.get('schema_version')!r}")
    for key in ("brief", "plan", "score"):
        if key not in data:
            raise ScoreError(f"{source} is missing the field {key!r}")
    brief = from_jsonable(Brief, data["brief"], "brief")
    plan = from_jsonable(Plan, data["plan"], "plan")
    score = score_from_dict(data["score"])
    render = from_jsonable(RenderSettings, data.get("render") or {}, "render")
    mix = None
    if data.get("mix") is not None:
        from lemm.mix import MixSettings

        mix = MixSettings.from_dict(data["mix"])
    presets = song_presets_from_dict(data.get("presets"))
    return Song(brief=brief, plan=plan, score=score, render_settings=render, mix_settings=mix, presets=presets)


def read_song_json(path: str | os.PathLike) -> "Song":
    """Load ``DIR/song.json`` (or a song.json path) into a Song without audio."""
    p = Path(path)
    file = p / "song.json" if p.is_dir() or not p.suffix else p
    if not file.is_file():
        raise LemmFileNotFoundError(f"song folder {str(p)!r} has no song.json (expected {str(file)!r})")
    return song_from_dict(read_json_file(file, what="song file"), source=str(file))


def read_song_version(folder: str | os.PathLike, version: int) -> "Song":
    """Load saved ``version`` of a song folder's song.json (see :mod:`lemm.project.history`) without audio."""
    return song_from_dict(json.loads(version_text(folder, version)), source=f"version {version}")


def make_report(song: "Song") -> dict[str, Any]:
    """The measured report of a mixed song (report.json)."""
    if song.master_report is None or song.master_audio is None:
        raise ScoreError("report needs a mastered song: call song.mix() first")
    r = song.master_report
    return {
        "title": song.score.title,
        "integrated_lufs": r["integrated_lufs"],
        "true_peak_dbtp": r["true_peak_dbtp"],
        "lra_lu": r["lra_lu"],
        "sample_peak_dbfs": r.get("sample_peak_dbfs"),
        "plr_db": r.get("plr_db"),
        "duration_seconds": round(song.master_audio.shape[-1] / song.sample_rate, 3),
        "requested_duration_seconds": song.brief.duration_seconds,
        "sample_rate": song.sample_rate,
        "target_lufs": song.mix_settings.master.target_lufs,
        "ceiling_dbtp": song.mix_settings.master.ceiling_dbtp,
        "seconds_per_stage": dict(song.seconds_per_stage),
        "seed": song.brief.seed,
        "lemm_version": _version(),
        "genre": song.plan.genre,
        "tempo_bpm": song.plan.tempo_bpm,
        "key": f"{song.plan.key_tonic} {song.plan.key_mode}",
        "tracks": [t.name for t in song.score.tracks],
    }


#: Peak level of written stems and mix.wav: louder ones are turned down so 24-bit files never clip.
FILE_PEAK_DBFS = -1.0


def headroom_trim_db(audio: np.ndarray, *, peak_dbfs: float = FILE_PEAK_DBFS) -> float:
    """Gain in dB (<= 0) that brings ``audio``'s sample peak down to ``peak_dbfs``.

    Dry stems are float and may peak above full scale (a chord of many notes);
    written to PCM they would clip. The stems are written turned down by this
    trim, report.json lists it per stem, and the DAW projects raise each
    track's fader by the same amount, so the DAW session sums to the mix.

    >>> round(headroom_trim_db(np.array([[2.0, -0.5]])), 2)
    -7.02
    >>> headroom_trim_db(np.array([[0.1, 0.0]]))
    0.0
    """
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 0.0:
        return 0.0
    return min(0.0, peak_dbfs - 20.0 * float(np.log10(peak)))


def _gain(audio: np.ndarray, gain_db: float) -> np.ndarray:
    return audio if gain_db == 0.0 else (audio * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32)


def _compensated(mix_settings: Any, trims: dict[str, float]) -> Any:
    """Mix settings whose faders undo the stems' headroom trims (for the DAW projects)."""
    if mix_settings is None:
        return None
    out = mix_settings
    for name, trim in trims.items():
        if trim != 0.0 and name in out.tracks:
            track = out.tracks[name]
            out = out.with_track(name, dataclasses.replace(track, gain_db=track.gain_db - trim))
    return out


def _json_text(data: Any) -> str:
    return json.dumps(json_safe(data), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def _write_audio_files(files: list[tuple[Path, np.ndarray, float]], *, sample_rate: int, bit_depth: int) -> None:
    """Write each (path, audio, trim_db) atomically; the trimmed copy is made one file at a time."""
    for path, audio, trim_db in files:
        write_audio(path, _gain(audio, trim_db), sample_rate=sample_rate, bit_depth=bit_depth)


def write_song_files(song: "Song", folder: str | os.PathLike, *, timer: StageTimer | None = None, action: str = "render") -> Path:
    """Write (or overwrite) every file of the song folder in ``folder``, each atomically.

    song.json is also saved as a new version in ``history/`` (see
    :mod:`lemm.project.history`), labelled with ``action``.
    """

    from lemm.export import write_daw_projects, write_printed
    from lemm.score.midi import write_midi
    from lemm.score.musicxml import write_musicxml

    timer = timer or StageTimer()
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"song folder must be a folder, got {str(out)!r}, which is a file")
    if song.master_audio is None or song.stems is None or song.mix_audio is None:
        raise ScoreError("write_song_files needs a rendered and mixed song: call song.mix() first")
    sr, bits = song.sample_rate, song.render_settings.bit_depth
    with timer.stage("write"):
        (out / "stems").mkdir(parents=True, exist_ok=True)
        trims = {name: headroom_trim_db(audio) for name, audio in song.stems.items()}
        mix_trim = headroom_trim_db(song.mix_audio)
        audio_files = [(out / "stems" / f"{name}.wav", audio, trims[name]) for name, audio in song.stems.items()]
        audio_files += [(out / "mix.wav", song.mix_audio, mix_trim), (out / "master.wav", song.master_audio, 0.0)]
        # The WAV encoder runs in C without the GIL: the audio files are written on a
        # second thread while the MIDI and MusicXML exports (pure Python) run here.
        with ThreadPoolExecutor(max_workers=1) as pool:
            written = pool.submit(_write_audio_files, audio_files, sample_rate=sr, bit_depth=bits)
            write_midi(song.score, out / "score.mid")
            write_musicxml(song.score, out / "score.musicxml")
            written.result()
        for stale in (out / "stems").glob("*.wav"):
            if stale.stem not in song.stems:
                stale.unlink()  # a track removed by an edit leaves no stem behind
        printed = write_printed(out, song.stems, song.mix_settings, sample_rate=sr, bit_depth=bits, mix_gain_db=mix_trim)
        write_daw_projects(song.score, out, stem_names=list(song.stems), mix_settings=_compensated(song.mix_settings, trims), printed=printed)
        song_text = _json_text(song_to_dict(song))
        atomic_write_text(out / "song.json", song_text)
        record_version(out, song_text, action=action)
    song.seconds_per_stage.update(timer.seconds)
    report = make_report(song)
    report["stem_trim_db"] = {name: round(t, 3) for name, t in trims.items()}
    report["mix_trim_db"] = round(mix_trim, 3)
    atomic_write_text(out / "report.json", _json_text(report))
    return out


def write_song_folder(song: "Song", path: str | os.PathLike, *, progress: Progress | None = None, action: str = "compose") -> Path:
    """Write a complete new song folder at ``path`` atomically (replacing an old one whole).

    An unrendered song is rendered inside the new folder, so its render cache
    (``cache/``) comes with it and later edits re-render only what changed.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputPathError(f"--out must be a folder path, got {str(target)!r}, which is an existing file")
    with atomic_folder(target) as tmp:
        old_history = target / HISTORY_FOLDER
        if old_history.is_dir():  # composing over a song folder keeps its versions
            shutil.copytree(old_history, tmp / HISTORY_FOLDER)
        if song.master_audio is None:
            if song.stems is None:
                song.render(cache_dir=tmp / CACHE_FOLDER, progress=progress)
            song.mix(progress=progress)
        write_song_files(song, tmp, timer=StageTimer(progress), action=action)
    return target


def rerender_song_folder(song: "Song", folder: str | os.PathLike, *, action: str, progress: Progress | None = None) -> Path:
    """Render ``song`` into its existing folder, reusing the folder's render cache.

    Only the (track, section) slices whose content changed are rendered again;
    then the song is mixed and mastered and every file is rewritten atomically,
    and song.json is saved as a new version labelled ``action``.
    """
    song.render(cache_dir=Path(folder) / CACHE_FOLDER, progress=progress)
    song.mix(progress=progress)
    return write_song_files(song, folder, timer=StageTimer(progress), action=action)
