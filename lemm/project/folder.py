"""Reading and writing a song folder.

A song folder holds::

    song.json          the project: brief, seed, plan, score, render and mix settings
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
    song.dawproject    DAWproject (Bitwig, Studio One, Cubase): the same, with the audio inside
    history/           every version of song.json (:mod:`lemm.project.history`)
    cache/             rendered (track, section) slices (:mod:`lemm.project.slices`), safe to delete
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

:func:`write_song_folder` (``lemm compose --out DIR``, :meth:`lemm.Song.save`)
writes into a new or empty folder, or a song folder (lemm's files are replaced,
history kept); a non-empty folder that is not a song folder is refused before
any work unless ``force=True`` (``--force``), which writes lemm's files beside
the others, and never over a file lemm did not write.
:func:`rerender_song_folder` (render, edit, regen, import, mix, checkout)
re-renders a song folder in place. Both check the output before any work: a
path that cannot be a folder, a read-only one, too little free space, a
damaged history.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lemm.compose.brief import Brief
from lemm.compose.plan_model import Plan
from lemm.errors import FileFormatError, LemmFileNotFoundError, ScoreError
from lemm.io.atomic import atomic_write_text, check_free_space
from lemm.io.audio import write_audio
from lemm.io.jsondata import json_safe, loads_json, read_json_file
from lemm.pipeline import Progress, StageTimer
from lemm.project.commit import SONG_FILE_NAMES, SongFolderWrite, pause_point, recover_song_folder, song_folder_write
from lemm.project.history import check_history, new_version_files, version_text
from lemm.project.presets import song_presets_from_dict, song_presets_to_dict
from lemm.project.settings import RenderSettings
from lemm.score.jsonio import from_jsonable, score_from_dict, score_to_dict, to_jsonable
from lemm.units import db_to_gain

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
    "estimated_bytes",
    "make_report",
    "SONG_FORMAT",
]

SONG_FORMAT = "lemm-song"
CACHE_FOLDER = "cache"
#: Imported vocal takes (``takes/<track>.wav``): they replace lemm's singing of that track in every render.
TAKES_FOLDER = "takes"
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
    if p.is_dir():
        recover_song_folder(p)  # a write a killed run left is finished (or cleared) first
    file = p / "song.json" if p.is_dir() or not p.suffix else p
    if not file.is_file():
        raise LemmFileNotFoundError(f"song folder {str(p)!r} has no song.json (expected {str(file)!r})")
    return song_from_dict(read_json_file(file, what="song file"), source=str(file))


def read_song_version(folder: str | os.PathLike, version: int) -> "Song":
    """Load saved ``version`` of a song folder's song.json (see :mod:`lemm.project.history`) without audio.

    Raises
    ------
    ParameterError
        ``version`` is not a saved version.
    FileFormatError
        The version's file is missing, or not song JSON.
    """
    data = loads_json(version_text(folder, version), what=f"saved version {version} of {str(folder)!r}")  # within lemm.limits
    return song_from_dict(data, source=f"version {version}")


def make_report(song: "Song") -> dict[str, Any]:
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
    return audio if gain_db == 0.0 else (audio * np.float32(db_to_gain(gain_db))).astype(np.float32)


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


#: report.json's field of the content keys of lemm's files: every audio file (:func:`audio_content_key`), score.mid and
#: score.musicxml (:func:`score_content_key`), and ``song.dawproject:<entry>`` for each dry stem the DAW project embeds.
CONTENT_KEYS_FIELD = "content_keys"
DAWPROJECT_FILE = "song.dawproject"


def score_content_key(score: Any, *, kind: str) -> str:
    """The key of a file made from the score alone (``kind`` ``"midi"`` or ``"musicxml"``): a hash of the score and lemm's version."""
    import hashlib

    text = json.dumps([kind, _version(), score_to_dict(score)], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha1(text.encode("ascii"), usedforsecurity=False).hexdigest()


def audio_content_key(audio: np.ndarray, *, kind: str, trim_db: float, sample_rate: int, bit_depth: int) -> str:
    """The key of an audio file's content: a hash of the samples and of everything else its bytes depend on.

    Two writes with the same key give the same bytes (same samples, trim, rate,
    bit depth, file kind and lemm version), so an unchanged file is kept
    rather than encoded again (:class:`_Reuse`).

    >>> a = np.zeros((2, 4), np.float32)
    >>> k = audio_content_key(a, kind="wav", trim_db=0.0, sample_rate=48000, bit_depth=24)
    >>> k == audio_content_key(a.copy(), kind="wav", trim_db=0.0, sample_rate=48000, bit_depth=24), len(k)
    (True, 40)
    >>> k == audio_content_key(a, kind="wav", trim_db=-1.0, sample_rate=48000, bit_depth=24)
    False
    """
    import hashlib

    a = np.ascontiguousarray(audio)
    head = json.dumps([kind, list(a.shape), a.dtype.str, float(trim_db), int(sample_rate), int(bit_depth), _version()])
    digest = hashlib.sha1(head.encode("utf-8"), usedforsecurity=False)
    digest.update(memoryview(a).cast("B"))
    return digest.hexdigest()


class _Reuse:
    """Keeps a song folder's audio files whose content key did not change: the old file is hard-linked into the staging folder.

    The staging semantics are those of any write (:mod:`lemm.project.commit`): the
    staging folder holds every file of the new song (an unchanged one as a second
    link to the same bytes, not encoded again), the journal installs them (a rename
    onto the same file changes nothing) and the old song's files stay until then.
    The keys are those the folder's report.json lists, which is committed with the files.
    """

    def __init__(self, write: SongFolderWrite) -> None:
        self.write = write
        self.keys: dict[str, str] = {}
        self.previous: dict[str, str] = {}
        self.reused: list[str] = []
        self._lock = threading.Lock()
        if write.state.kind == "song" and "report.json" in write.state.owned:
            try:
                data = json.loads((write.folder / "report.json").read_text(encoding="utf-8")).get(CONTENT_KEYS_FIELD)
                self.previous = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}
            except (OSError, ValueError, AttributeError):
                self.previous = {}  # no keys: every file is written

    def zip_entry(self, entry: str, source: str) -> bytes | None:
        """The bytes of ``song.dawproject``'s ``entry`` as the folder has it, when it was encoded from ``source``'s current content.

        The entry's key (``"song.dawproject:<entry>"``) is the content key of the
        file it was encoded from (``source``, e.g. ``stems/bass.wav``, whose key
        this write has recorded); the old project's entry is used only where
        the previous report.json gives it the same key.
        """
        with self._lock:
            key = self.keys.get(source)
            if key is None:
                return None
            self.keys[f"{DAWPROJECT_FILE}:{entry}"] = key
        if self.previous.get(f"{DAWPROJECT_FILE}:{entry}") != key or DAWPROJECT_FILE not in self.write.state.owned:
            return None
        old = self.write.folder / DAWPROJECT_FILE
        if old.is_symlink() or not old.is_file():
            return None
        import zipfile

        try:
            with zipfile.ZipFile(old) as archive:
                return archive.read(entry)  # its CRC is checked
        except (OSError, KeyError, zipfile.BadZipFile, ValueError):
            return None

    def __call__(self, rel: str, key: str) -> bool:
        """Record ``key`` for ``rel``; True where the folder's file has it and is now linked into the staging folder."""
        with self._lock:
            self.keys[rel] = key
        src = self.write.folder / rel
        if self.previous.get(rel) != key or rel not in self.write.state.owned or src.is_symlink() or not src.is_file():
            return False
        dst = self.write.staging / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            return False  # e.g. a file system without hard links: written as usual
        with self._lock:
            self.reused.append(rel)
        return True


def _write_audio_files(
    files: list[tuple[Path, np.ndarray, float]], *, sample_rate: int, bit_depth: int, stop: threading.Event,
    reuse: _Reuse | None = None,
) -> None:
    """Write each (path, audio, trim_db); the trimmed copy is made one file at a time. Stops early when ``stop`` is set.

    With ``reuse``, a file whose content key is unchanged is kept, not encoded again.
    """
    for path, audio, trim_db in files:
        if stop.is_set():
            return
        if reuse is not None:
            key = audio_content_key(audio, kind="wav", trim_db=trim_db, sample_rate=sample_rate, bit_depth=bit_depth)
            if reuse(path.relative_to(reuse.write.staging).as_posix(), key):
                continue
        write_audio(path, _gain(audio, trim_db), sample_rate=sample_rate, bit_depth=bit_depth)


def _song_file_names(song: "Song") -> list[str]:
    """The paths (relative to the folder) a write of ``song`` puts there, but the new history version's."""
    return [*SONG_FILE_NAMES, *(f"stems/{t.name}.wav" for t in song.score.tracks), "history/log.json"]


def estimated_bytes(song: "Song", *, with_cache: bool) -> int:
    """About how many bytes a write of ``song`` needs on the disk at once (the audio files, the render cache, 4 MB more)."""
    from lemm.pipeline import song_n_samples

    if song.master_audio is not None:
        n_samples = song.master_audio.shape[-1]
    else:
        n_samples = song_n_samples(song.score, sample_rate=song.sample_rate, requested_seconds=song.brief.duration_seconds)
        n_samples += round(song.plan.start_offset_seconds * song.sample_rate)
    n_tracks = len(song.score.tracks)
    audio = (n_tracks + 2) * n_samples * 2 * (song.render_settings.bit_depth // 8)
    cache = n_tracks * n_samples * 2 * 4 if with_cache else 0
    return audio + cache + (4 << 20)


def _check_before_work(write: SongFolderWrite, song: "Song", *, with_cache: bool) -> None:
    """Everything that can be told before rendering: lemm's names free, a readable history, room on the disk."""
    write.check_names(_song_file_names(song))
    if write.state.kind == "song":
        check_history(write.folder)
    check_free_space(write.folder, estimated_bytes(song, with_cache=with_cache), what="the song")


def _current_mix_parts(song: "Song") -> Any:
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


def use_kept_takes(song: "Song", takes: dict[str, Path]) -> dict[str, Path]:
    """Put each kept take in place of its track's rendered stem (cut or padded to the stem's length); returns the takes used.

    A take whose track is no longer a vocal track of the song is dropped (the write does not keep it).
    """
    from lemm.io.audio import read_audio

    vocal = {t.name for t in song.score.tracks if t.role == "vocal"}
    used = {}
    for name, path in takes.items():
        if name not in vocal or song.stems is None or name not in song.stems:
            continue
        audio, rate = read_audio(path)
        if rate != song.sample_rate:
            raise FileFormatError(f"{str(path)!r} is at {rate} Hz, the song at {song.sample_rate} Hz: delete it and import the take again")
        n = song.stems[name].shape[1]
        audio = np.repeat(audio, 2, axis=0) if audio.shape[0] == 1 else audio[:2]
        stem = np.zeros((2, n), dtype=np.float32)
        stem[:, : min(n, audio.shape[1])] = audio[:, :n]
        song.stems[name] = stem
        used[name] = path
    return used


def _stage_takes(write: SongFolderWrite, takes: dict[str, Path | np.ndarray], *, sample_rate: int) -> None:
    """Put the takes into the staging folder: a kept file as a second link (or a copy), a new one written as 32-bit float."""
    import shutil

    for name, take in takes.items():
        dst = write.staging / take_rel(name)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(take, Path):
            try:
                os.link(take, dst)
            except OSError:
                shutil.copyfile(take, dst)
        else:
            write_audio(dst, take, sample_rate=sample_rate, bit_depth=32)


def _stage_song(
    song: "Song", write: SongFolderWrite, *, timer: StageTimer, action: str, takes: dict[str, Path | np.ndarray] | None = None
) -> None:
    """Write every file of the song into ``write.staging`` (the new history version too), and the imported ``takes``."""
    from lemm.export import write_daw_projects, write_printed
    from lemm.score.midi import write_midi
    from lemm.score.musicxml import write_musicxml

    if song.master_audio is None or song.stems is None or song.mix_audio is None:
        raise ScoreError("writing a song folder needs a rendered and mixed song: call song.mix() first")
    stage = write.staging
    sr, bits = song.sample_rate, song.render_settings.bit_depth
    with timer.stage("write"):
        (stage / "stems").mkdir(parents=True, exist_ok=True)
        trims = {name: headroom_trim_db(audio) for name, audio in song.stems.items()}
        mix_trim = headroom_trim_db(song.mix_audio)
        audio_files = [(stage / "stems" / f"{name}.wav", audio, trims[name]) for name, audio in song.stems.items()]
        audio_files += [(stage / "mix.wav", song.mix_audio, mix_trim), (stage / "master.wav", song.master_audio, 0.0)]
        # The MIDI and MusicXML exports are pure Python; the audio encoders (WAV, FLAC) and
        # the mixer's returns run in C without the GIL: the exports run on a second thread
        # beside all the audio work (audio files, printed files, DAW projects).
        stop = threading.Event()
        reuse = _Reuse(write)

        def score_files() -> None:
            if not stop.is_set() and not reuse("score.mid", score_content_key(song.score, kind="midi")):
                write_midi(song.score, stage / "score.mid")
            if not stop.is_set() and not reuse("score.musicxml", score_content_key(song.score, kind="musicxml")):
                write_musicxml(song.score, stage / "score.musicxml")

        with ThreadPoolExecutor(max_workers=1) as pool:
            scores = pool.submit(score_files)
            try:
                _write_audio_files(audio_files, sample_rate=sr, bit_depth=bits, stop=stop, reuse=reuse)
                printed = write_printed(stage, song.stems, song.mix_settings, sample_rate=sr, bit_depth=bits, mix_gain_db=mix_trim,
                                        parts=_current_mix_parts(song), reuse=reuse)
                write_daw_projects(song.score, stage, stem_names=list(song.stems), mix_settings=_compensated(song.mix_settings, trims),
                                   printed=printed, reuse_entry=reuse.zip_entry)
                scores.result()
            except BaseException:
                stop.set()  # an error or Ctrl-C: the export thread stops before its next file
                raise
        _stage_takes(write, takes or {}, sample_rate=sr)
        pause_point("staging")
        song_text = _json_text(song_to_dict(song))
        atomic_write_text(stage / "song.json", song_text)
        for rel, text in new_version_files(write.folder, song_text, action=action)[1].items():
            atomic_write_text(stage / rel, text)
    song.seconds_per_stage.update(timer.seconds)
    song.cpu_seconds_per_stage.update(timer.cpu_seconds)
    report = make_report(song)
    report["stem_trim_db"] = {name: round(t, 3) for name, t in trims.items()}
    report["mix_trim_db"] = round(mix_trim, 3)
    report[CONTENT_KEYS_FIELD] = dict(sorted(reuse.keys.items()))
    atomic_write_text(stage / "report.json", _json_text(report))


def write_song_files(
    song: "Song",
    folder: str | os.PathLike,
    *,
    timer: StageTimer | None = None,
    action: str = "render",
    force: bool = False,
    takes: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write every file of a rendered and mixed ``song`` into ``folder``, as one unit.

    lemm's own files in the folder are replaced, everything else is kept, and
    song.json is also saved as a new version in ``history/`` (see
    :mod:`lemm.project.history`), labelled with ``action``, in the same commit.

    Raises
    ------
    ScoreError
        The song is not rendered and mixed.
    OutputPathError
        See :func:`write_song_folder`.
    """
    if song.master_audio is None or song.stems is None or song.mix_audio is None:
        raise ScoreError("write_song_files needs a rendered and mixed song: call song.mix() first")
    with song_folder_write(folder, force=force) as write:
        kept: dict[str, Path | np.ndarray] = {k: v for k, v in kept_takes(write).items() if k in song.stems}
        kept.update(takes or {})
        write.check_names([take_rel(name) for name in kept])
        _check_before_work(write, song, with_cache=False)
        _stage_song(song, write, timer=timer or StageTimer(), action=action, takes=kept)
        write.commit()
    return Path(folder)


def write_song_folder(
    song: "Song", path: str | os.PathLike, *, force: bool = False, progress: Progress | None = None, action: str = "compose"
) -> Path:
    """Write ``song`` as a song folder at ``path`` (rendering and mixing it first if needed), as one unit.

    ``path`` may be missing, an empty folder or a song folder (lemm's own files
    are replaced, its history kept). An unrendered song is rendered with the
    folder's render cache (a new folder gets one), so later edits re-render
    only what changed.

    Parameters
    ----------
    song : Song
    path : path
    force : bool
        Also write into a non-empty folder that is not a song folder: lemm's
        files go beside the others; a name that holds a file lemm did not write
        is refused all the same.
    progress : callable, optional
    action : str
        The label of the new version in ``history/``.

    Raises
    ------
    OutputPathError
        Before any work: ``path`` cannot be a folder (a file, under a file, ``/``,
        /proc), is read-only, lacks the space, or is a non-empty folder that is not
        a song folder (without ``force``), or one of lemm's names there holds
        something lemm did not write. While writing: a write failed (no space,
        read-only); then the folder is as it was.
    FileFormatError
        The folder's history is damaged (before any work).
    """
    with song_folder_write(path, force=force) as write:
        _check_before_work(write, song, with_cache=song.stems is None)
        if song.master_audio is None:
            if song.stems is None:
                song.render(cache_dir=write.cache_folder, progress=progress)
            song.mix(progress=progress)
        pause_point("rendered")
        _stage_song(song, write, timer=StageTimer(progress), action=action)
        write.commit()
    return Path(path)


def rerender_song_folder(song: "Song", folder: str | os.PathLike, *, action: str, progress: Progress | None = None) -> Path:
    """Render ``song`` into its existing song folder, reusing the folder's render cache, and write it as one unit.

    Only the (track, section) slices whose content changed are rendered again;
    then the song is mixed and mastered, lemm's files are replaced together
    and song.json is saved as a new version labelled ``action`` in the same
    commit. The folder is checked first (a song folder, writable, room on the
    disk, a readable history), so a failure leaves it as it was.

    Raises
    ------
    OutputPathError
        ``folder`` is not a song folder, is read-only or lacks the space, or a write failed.
    FileFormatError
        The folder's history is damaged (before any work).
    """
    with song_folder_write(folder, must_be_song=True) as write:
        _check_before_work(write, song, with_cache=not write.cache_folder.is_dir())  # an existing cache grows by what changed
        song.render(cache_dir=write.cache_folder, progress=progress)
        takes = use_kept_takes(song, kept_takes(write))  # an imported take stays the vocal until its file is deleted
        if takes and progress:
            progress("kept the imported take of " + ", ".join(f"{k!r} ({take_rel(k)})" for k in takes))
        song.mix(progress=progress)
        pause_point("rendered")
        _stage_song(song, write, timer=StageTimer(progress), action=action, takes=takes)
        write.commit()
    return Path(folder)
