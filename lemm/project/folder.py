"""Reading and writing a song folder.

A song folder holds::

    song.json          the project: brief, seed, plan (the record of how the song was composed),
                       score, render and mix settings (schema 2; a schema 1 file is read too)
    score.mid          Standard MIDI File type 1 (conductor track + one track per part)
    score.musicxml     the score for notation editors
    stems/<track>.wav  one stereo stem per track, all the same length
    takes/<track>.wav  a sung take imported with ``lemm vocals import`` (32-bit float, placed and levelled):
                       every later render keeps it as that track's stem instead of lemm's singing,
                       until the file is deleted
    mix.wav            the mix before mastering
    master.wav         the master
    report.json        loudness, true peak, LRA, length, seconds per stage, seed, version
    printed/           each track and the reverb/delay returns as mixed (the DAW projects play these)
    song.rpp           REAPER project: tempo map, regions, printed + dry (muted) + MIDI (muted) tracks
    song.dawproject    DAWproject (Bitwig, Studio One, Cubase): the same, referring to the same files
                       (``lemm export DIR -o FILE.dawproject`` packs one with the audio inside, to send)
    history/           every version of song.json (:mod:`lemm.project.history`)
    cache/             rendered (track, section) slices (:mod:`lemm.render.stems`) and, in cache/strips/,
                       processed channel strips and returns (:mod:`lemm.mix.strip_cache`); safe to delete
    .lemm/             lemm's bookkeeping: the list of lemm's own files, an unfinished write

These are *lemm's own files*: ``.lemm/manifest.json`` lists every one lemm
wrote. Anything else in the folder (notes, other audio, sub-folders, a stem
of your own under another name) is the user's, and lemm never replaces,
moves or deletes it. A song is written as a unit (:mod:`lemm.project.commit`):
every file is first written into ``.lemm/staging-<id>/``, then a journal
commits them all at once, so after a kill at any instant lemm finds the whole
previous song or the whole new one (stems, song.json, mix, master, exports
and history agree) and no temp files survive the next run. Writes into one
folder take turns (:mod:`lemm.project.lock`).

:func:`lemm.song.write_song_folder` (``lemm compose --out DIR``, :meth:`lemm.Song.save`)
writes into a new or empty folder, or a song folder (lemm's files are replaced,
history kept); a non-empty folder that is not a song folder is refused before
any work unless ``force=True`` (``--force``), which writes lemm's files beside
the others, and never over a file lemm did not write.
:func:`lemm.song.rerender_song_folder` (render, edit, regen, import, mix, checkout)
re-renders a song folder in place. Both check the output before any work: a
path that cannot be a folder, a read-only one, too little free space, a
damaged history. This module only reads and writes: rendering and mixing are the
song's (:mod:`lemm.song` renders, then stages the files with :mod:`lemm.project.staging` inside the write).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lemm.compose.brief import Brief
from lemm.compose.plan_model import Plan
from lemm.errors import FileFormatError, LemmFileNotFoundError, ScoreError
from lemm.io.atomic import check_free_space
from lemm.io.audio import interleaved_float32, read_audio
from lemm.io.jsondata import json_safe, loads_json, read_json_file
from lemm.io.stem_store import StemStore
from lemm.mix import MixSettings
from lemm.project.commit import SONG_FILE_NAMES, SongFolderWrite, recover_song_folder
from lemm.project.history import check_history, version_text
from lemm.render.settings import RenderSettings
from lemm.render.song_presets import song_presets_from_dict, song_presets_to_dict
from lemm.render.stems import song_n_samples
from lemm.score.jsonio import from_jsonable, score_from_dict, score_to_dict, to_jsonable
from lemm.score.model import Score
from lemm.units import db_to_gain
from lemm.version import __version__

__all__ = [
    "song_to_dict",
    "song_fields_from_dict",
    "upgrade_song_data",
    "read_song_file",
    "read_version_data",
    "check_before_work",
    "estimated_bytes",
    "make_report",
    "kept_takes",
    "take_rel",
    "use_kept_takes",
    "SONG_FORMAT",
]

class SongData(Protocol):
    """What this module reads (and fills in) of a song: the fields of :class:`lemm.song.Song`, which imports this module."""

    brief: Brief
    plan: Plan
    score: Score
    render_settings: RenderSettings
    mix_settings: Any
    presets: dict
    stems: Mapping[str, np.ndarray] | None
    mix_audio: np.ndarray | None
    master_audio: np.ndarray | None
    master_report: dict | None
    seconds_per_stage: dict[str, float]
    cpu_seconds_per_stage: dict[str, float]

    @property
    def sample_rate(self) -> int: ...


SONG_FORMAT = "lemm-song"
CACHE_FOLDER = "cache"
#: Imported vocal takes (``takes/<track>.wav``): they replace lemm's singing of that track in every render.
TAKES_FOLDER = "takes"
#: 2: the guide's start offset is a render setting (``render.start_offset_seconds``) and the genre the
#: score's (``score.genre``), no longer read from the plan after composition. 1 is read (:func:`upgrade_song_data`).
SONG_SCHEMA_VERSION = 2


def song_to_dict(song: "SongData") -> dict[str, Any]:
    """Everything song.json holds, as plain JSON data."""
    return {
        "format": SONG_FORMAT,
        "schema_version": SONG_SCHEMA_VERSION,
        "lemm_version": __version__,
        "seed": song.brief.seed,
        "brief": to_jsonable(song.brief),
        "plan": to_jsonable(song.plan),
        "score": score_to_dict(song.score),
        "render": to_jsonable(song.render_settings),
        "mix": None if song.mix_settings is None else song.mix_settings.to_dict(),
        "presets": song_presets_to_dict(song.presets),
    }


def upgrade_song_data(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 song.json data as schema 2: the facts later stages read move out of the plan.

    ``plan.start_offset_seconds`` becomes ``render.start_offset_seconds``, ``plan.genre``
    ``score.genre``, and each plan instrument's ``style`` and ``min_energy`` those of the
    score's track of the same name and role (the plan itself is kept as it was: the record
    of how the song was composed). Schema 2 data is returned as it is, but for tracks written
    before they held a style, which get it the same way; ``data`` is not changed.

    >>> old = {"schema_version": 1, "plan": {"genre": "folk", "start_offset_seconds": 0.5}, "score": {}, "render": {}}
    >>> new = upgrade_song_data(old)
    >>> new["schema_version"], new["render"], new["score"]
    (2, {'start_offset_seconds': 0.5}, {'genre': 'folk'})
    """
    plan = data.get("plan") if isinstance(data.get("plan"), dict) else {}
    if data.get("schema_version") != 1:
        return _with_parts_played_as_planned(data, plan)  # schema 2 written before tracks held them
    score = data.get("score")
    render = data.get("render") or {}
    new = {**data, "schema_version": 2}
    if isinstance(score, dict) and "genre" not in score and isinstance(plan.get("genre"), str):
        new["score"] = {**score, "genre": plan["genre"]}
    if isinstance(render, dict) and "start_offset_seconds" not in render and "start_offset_seconds" in plan:
        new["render"] = {**render, "start_offset_seconds": plan["start_offset_seconds"]}
    return _with_parts_played_as_planned(new, plan)


def _with_parts_played_as_planned(data: dict[str, Any], plan: dict) -> dict[str, Any]:
    score = data.get("score")
    if not isinstance(score, dict) or not isinstance(score.get("tracks"), list):
        return data
    tracks = _tracks_played_as_planned(score["tracks"], plan.get("instruments"))
    return data if tracks == score["tracks"] else {**data, "score": {**score, "tracks": tracks}}


def _tracks_played_as_planned(tracks: list, instruments: Any) -> list:
    """Tracks without a style and rest threshold get those of the plan's instrument of the same name and role (others stay as they are)."""
    planned = {(i.get("name"), i.get("role")): i for i in instruments if isinstance(i, dict)} if isinstance(instruments, list) else {}
    out = []
    for t in tracks:
        i = planned.get((t.get("name"), t.get("role"))) if isinstance(t, dict) else None
        if i is None or "style" in t or "min_energy" in t:
            out.append(t)
        else:
            out.append({**t, "style": i.get("style", ""), "min_energy": i.get("min_energy", 0.0)})
    return out


def song_fields_from_dict(data: Any, *, source: str = "song.json") -> dict[str, Any]:
    """The keyword arguments of a :class:`lemm.song.Song` (without audio) from :func:`song_to_dict` data, validating all of it.

    Schema 1 data (lemm before the score and its settings became the one song
    state) is read through :func:`upgrade_song_data`.
    :func:`lemm.song.song_from_dict` makes the Song.
    """
    if not isinstance(data, dict) or data.get("format") != SONG_FORMAT:
        raise FileFormatError(f"{source} must be a lemm song file with \"format\": \"{SONG_FORMAT}\"")
    if data.get("schema_version") not in (1, SONG_SCHEMA_VERSION):
        raise ScoreError(f"{source} schema_version must be 1 or {SONG_SCHEMA_VERSION}, got {data.get('schema_version')!r}")
    data = upgrade_song_data(data)
    for key in ("brief", "plan", "score"):
        if key not in data:
            raise ScoreError(f"{source} is missing the field {key!r}")
    brief = from_jsonable(Brief, data["brief"], "brief")
    plan = from_jsonable(Plan, data["plan"], "plan")
    score = score_from_dict(data["score"])
    render = from_jsonable(RenderSettings, data.get("render") or {}, "render")
    mix = None
    if data.get("mix") is not None:
        mix = MixSettings.from_dict(data["mix"])
    presets = song_presets_from_dict(data.get("presets"))
    return {"brief": brief, "plan": plan, "score": score, "render_settings": render, "mix_settings": mix, "presets": presets}


def read_song_file(path: str | os.PathLike) -> tuple[Any, str]:
    """The JSON data of ``DIR/song.json`` (or a song.json path) and the file's name (a killed write is finished first)."""
    p = Path(path)
    if p.is_dir():
        recover_song_folder(p)  # a write a killed run left is finished (or cleared) first
    file = p / "song.json" if p.is_dir() or not p.suffix else p
    if not file.is_file():
        raise LemmFileNotFoundError(f"song folder {str(p)!r} has no song.json (expected {str(file)!r})")
    return read_json_file(file, what="song file"), str(file)


def read_version_data(folder: str | os.PathLike, version: int) -> Any:
    """The JSON data of saved ``version`` of a song folder's song.json (see :mod:`lemm.project.history`).

    Raises
    ------
    ParameterError
        ``version`` is not a saved version.
    FileFormatError
        The version's file is missing, or not JSON.
    """
    return loads_json(version_text(folder, version), what=f"saved version {version} of {str(folder)!r}")  # within lemm.limits


def make_report(song: "SongData") -> dict[str, Any]:
    """The measured report of a mixed song (report.json)."""
    if song.master_report is None or song.master_audio is None:
        raise ScoreError("report needs a mastered song: call song.mix() first")
    r = song.master_report
    return {
        "title": song.score.title,
        "integrated_lufs": r.integrated_lufs,
        "true_peak_dbtp": r.true_peak_dbtp,
        "lra_lu": r.lra_lu,
        "sample_peak_dbfs": r.sample_peak_dbfs,
        "plr_db": r.plr_db,
        "duration_seconds": round(song.master_audio.shape[-1] / song.sample_rate, 3),
        "requested_duration_seconds": song.render_settings.length_asked_seconds(song.brief.duration_seconds),
        "sample_rate": song.sample_rate,
        "target_lufs": song.mix_settings.master.target_lufs,
        "ceiling_dbtp": song.mix_settings.master.ceiling_dbtp,
        "seconds_per_stage": dict(song.seconds_per_stage),
        "seed": song.brief.seed,
        "lemm_version": __version__,
        "genre": song.score.genre,
        "tempo_bpm": song.score.tempos[0].tempo_bpm,  # the score's: an imported edit may have changed it
        "key": f"{song.score.keys[0].tonic} {song.score.keys[0].mode}",
        "tracks": [t.name for t in song.score.tracks],
    }


def _gain(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """``audio`` turned by ``gain_db`` as float32 [shape=(n_channels, n_samples)]: a view of the interleaved buffer :func:`write_audio` encodes (no copy there)."""
    return audio if gain_db == 0.0 else interleaved_float32(audio, gain=db_to_gain(gain_db)).T


def _json_text(data: Any) -> str:
    return json.dumps(json_safe(data), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


#: report.json's field of the content keys of lemm's files: every audio file (:func:`audio_content_key`), score.mid and
#: score.musicxml (:func:`score_content_key`).
CONTENT_KEYS_FIELD = "content_keys"


def score_content_key(score: Any, *, kind: str) -> str:
    """The key of a file made from the score alone (``kind`` ``"midi"`` or ``"musicxml"``): a hash of the score and lemm's version."""
    return score_content_keys(score, kinds=(kind,))[kind]


def score_content_keys(score: Any, *, kinds: tuple[str, ...]) -> dict[str, str]:
    """:func:`score_content_key` of each of ``kinds``, the score serialised once.

    The hashed text is ``json.dumps([kind, version, score_to_dict(score)], sort_keys=True,
    separators=(",", ":"), ensure_ascii=True)``, put together from its three parts.
    """
    body = json.dumps(score_to_dict(score), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    head = json.dumps(__version__, ensure_ascii=True)
    return {kind: hashlib.sha1(f"[{json.dumps(kind, ensure_ascii=True)},{head},{body}]".encode("ascii"), usedforsecurity=False).hexdigest()
            for kind in kinds}


def _song_file_names(song: "SongData") -> list[str]:
    """The paths (relative to the folder) a write of ``song`` puts there, but the new history version's."""
    return [*SONG_FILE_NAMES, *(f"stems/{t.name}.wav" for t in song.score.tracks), "history/log.json"]


def estimated_bytes(song: "SongData", *, with_cache: bool) -> int:
    """About how many bytes a write of ``song`` needs on the disk at once (the audio files, the render and strip caches, 4 MB more)."""
    if song.master_audio is not None:
        n_samples = song.master_audio.shape[-1]
    else:
        n_samples = song_n_samples(song.score, sample_rate=song.sample_rate, requested_seconds=song.render_settings.length_asked_seconds(song.brief.duration_seconds))
        n_samples += round(song.render_settings.start_offset_seconds * song.sample_rate)
    n_tracks = len(song.score.tracks)
    audio = (n_tracks + 2) * n_samples * 2 * (song.render_settings.bit_depth // 8)
    cache = 2 * n_tracks * n_samples * 2 * 4 if with_cache else 0  # the slices and the channel strips (lemm.mix.strip_cache), float32
    return audio + cache + (4 << 20)


def check_before_work(write: SongFolderWrite, song: "SongData", *, with_cache: bool) -> None:
    """Everything that can be told before rendering: lemm's names free, a readable history, room on the disk."""
    write.check_names(_song_file_names(song))
    if write.state.kind == "song":
        check_history(write.folder)
    check_free_space(write.folder, estimated_bytes(song, with_cache=with_cache), what="the song")


def _current_mix_parts(song: "SongData") -> Any:
    """The strips and returns of ``song``'s last mix, if made of its current stems and mix settings (else None)."""
    held = getattr(song, "mix_parts", None)
    if held is None:
        return None
    stems, settings, parts = held
    return parts if stems is song.stems and settings is song.mix_settings else None


def take_rel(track: str) -> str:
    """The folder-relative path of ``track``'s imported take."""
    return f"{TAKES_FOLDER}/{track}.wav"


def kept_takes(write: SongFolderWrite) -> dict[str, Path]:
    """The imported takes a write keeps: ``takes/<track>.wav`` files lemm wrote there and the user has not removed."""
    out = {}
    for rel in write.state.owned:
        parts = rel.split("/")
        if len(parts) == 2 and parts[0] == TAKES_FOLDER and parts[1].endswith(".wav"):
            path = write.folder / rel
            if path.is_file() and not path.is_symlink():
                out[parts[1][: -len(".wav")]] = path
    return dict(sorted(out.items()))


def use_kept_takes(song: "SongData", takes: dict[str, Path]) -> dict[str, Path]:
    """Put each kept take in place of its track's rendered stem (cut or padded to the stem's length); returns the takes used.

    A take whose track is no longer a vocal track of the song is dropped (the write does not keep it).
    """
    vocal = {t.name for t in song.score.tracks if t.role == "vocal"}
    used = {}
    for name, path in takes.items():
        if name not in vocal or song.stems is None or name not in song.stems:
            continue
        audio, rate = read_audio(path)
        if rate != song.sample_rate:
            raise FileFormatError(f"{str(path)!r} is at {rate} Hz, the song at {song.sample_rate} Hz: delete it and import the take again")
        n = np.shape(song.stems[name])[1]
        audio = np.repeat(audio, 2, axis=0) if audio.shape[0] == 1 else audio[:2]
        stem = np.zeros((2, n), dtype=np.float32)
        stem[:, : min(n, audio.shape[1])] = audio[:, :n]
        if isinstance(song.stems, StemStore):
            song.stems.put(name, stem)  # the store's own file of this stem, replaced
        else:
            song.stems[name] = stem
        used[name] = path
    return used
