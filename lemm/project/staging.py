"""Staging a song folder's files, each as soon as it is final, on writer threads beside the mix and the master.

A write of a song folder (:func:`lemm.song.write_song_folder`,
:func:`lemm.song.rerender_song_folder`) puts every file into the staging folder
of its :class:`~lemm.project.commit.SongFolderWrite` and then commits them as one
unit. The files are final at different stages, and each is written as soon as it
is, on :class:`~lemm.io.background.BackgroundWrites`' threads, while the main
thread goes on (the machines lemm targets have two cores, which one stage alone
seldom keeps busy):

- score.mid and score.musicxml: final when the write starts (the score is given),
  written during the render;
- stems/*.wav: final when the render ends (imported takes put in), written during
  the mix; a stem the folder has a file of is kept where its content key did not
  change, and its key needs the mixer's digest of the stem: those during the master;
- mix.wav and printed/: final when the mix ends, written during the master;
- master.wav: written while the main thread makes the DAW projects (which need the
  stems' trims and the printed files), then song.json, its history version and
  report.json.

Every file's bytes are those of the files written one after another: the same
samples, trims and encoders. The folder stays a unit: everything goes to the
staging folder, which the commit moves in or an error removes, and an error on a
writer thread is raised once, on the main thread, after every writer has stopped
(:mod:`lemm.io.background`); the folder is then as it was.

A song rendered and mixed before the write (:func:`write_song_files`,
:meth:`lemm.Song.save` of a mixed song) has all its files staged at the end
(:func:`stage_song`), the audio files on the same threads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import threading
from concurrent.futures import Future, wait
from pathlib import Path
from typing import Any

import numpy as np

from lemm.errors import ScoreError
from lemm.export import write_daw_projects, write_printed
from lemm.export.common import audio_content_key, headroom_trim_db
from lemm.io.atomic import atomic_write_text
from lemm.io.audio import write_audio
from lemm.io.background import BackgroundWrites
from lemm.mix.strip_cache import stem_digest
from lemm.progress import StageTimer
from lemm.project.commit import SongFolderWrite, pause_point, song_folder_write
from lemm.project.folder import (
    CONTENT_KEYS_FIELD,
    SongData,
    _current_mix_parts,
    _gain,
    _json_text,
    check_before_work,
    kept_takes,
    make_report,
    score_content_keys,
    song_to_dict,
    take_rel,
)
from lemm.project.history import new_version_files
from lemm.score.midi import write_midi
from lemm.score.musicxml import write_musicxml
from lemm.units import db_to_gain

__all__ = ["SongStaging", "stage_song", "write_song_files"]


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

    def keep_if_same(self, rel: str) -> bool:
        """Where the staged ``rel`` holds the very bytes of the folder's own file, stage the folder's file instead (kept, not rewritten).

        For the small files made from the song's data (the DAW projects,
        song.json): they are made anyway, and compared byte for byte.
        """
        src, dst = self.write.folder / rel, self.write.staging / rel
        if rel not in self.write.state.owned or src.is_symlink() or not src.is_file():
            return False
        try:
            if src.stat().st_size != dst.stat().st_size or src.read_bytes() != dst.read_bytes():
                return False
        except OSError:
            return False
        link = dst.with_name(f".{dst.name}.kept")
        try:
            os.link(src, link)
            os.replace(link, dst)  # the staged copy is replaced by the folder's file, or stays
        except OSError:
            with contextlib.suppress(OSError):
                link.unlink()  # nothing but the staged copy is left to install
            return False  # e.g. a file system without hard links: the staged copy is installed as usual
        with self._lock:
            self.reused.append(rel)
        return True

    def record(self, rel: str, key: str) -> None:
        """Record ``key`` for ``rel`` (a file written without a look at the folder's)."""
        with self._lock:
            self.keys[rel] = key

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


def _stage_takes(write: SongFolderWrite, takes: dict[str, Path | np.ndarray], *, sample_rate: int) -> None:
    """Put the takes into the staging folder: a kept file as a second link (or a copy), a new one written as 32-bit float."""
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


class SongStaging:
    """The files of one song folder write, each staged as soon as it is final (see the module docstring); a context manager.

    Call :meth:`stage_scores` (any time), :meth:`stage_stems` when the stems are
    final, :meth:`stage_mix` between the mix and the master (it is the
    ``on_mixed`` of :meth:`lemm.Song.mix`), then :meth:`finish`, which stages
    whatever was not staged yet (or was staged from data the song no longer
    holds), the master, the DAW projects, song.json, its history version and
    report.json. Leaving the ``with`` block on an error stops the writers and
    waits for them.
    """

    def __init__(self, song: SongData, write: SongFolderWrite, *, n_workers: int = 2) -> None:
        self.song, self.write = song, write
        self.sample_rate, self.bit_depth = song.sample_rate, song.render_settings.bit_depth
        self.writes = BackgroundWrites(n_workers=n_workers)
        self.reuse = _Reuse(write)
        self.trims: dict[str, float] = {}
        self._score: Any = None  # the score, stems and mix whose files were submitted
        self._stems: Any = None
        self._mixed: tuple[Any, ...] | None = None  # (mix, settings, parts, trim)
        self._stem_futures: list[Future] = []
        self._keyed_later: list[str] = []  # stems staged with the mix's digests of them (see stage_stems)
        self._print_slots = threading.Semaphore(1)  # printed files encoded at once beside the master (finish adds one)
        self._printed: Future | None = None
        self._unkeyed: set[str] = set()  # stems written without their content key (made at the end, from the mix's digests)

    def __enter__(self) -> SongStaging:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.writes.__exit__(exc_type, exc, tb)

    def stage_scores(self) -> None:
        """Write score.mid and score.musicxml of the song's score (each kept where its content key is unchanged)."""
        score, stage, stop = self.song.score, self.write.staging, self.writes.stop
        self._score = score

        def score_files() -> None:
            keys = score_content_keys(score, kinds=("midi", "musicxml"))
            if not stop.is_set() and not self.reuse("score.mid", keys["midi"]):
                write_midi(score, stage / "score.mid")
            if not stop.is_set() and not self.reuse("score.musicxml", keys["musicxml"]):
                write_musicxml(score, stage / "score.musicxml")

        self.writes.submit(score_files)

    def stage_stems(self) -> None:
        """Write every stem of the song (its final stems: the render's, imported takes put in), one writer task each."""
        stems = self.song.stems
        if stems is None:
            raise ScoreError("writing a song folder needs a rendered song: call song.render() first")
        self._stems = stems
        (self.write.staging / "stems").mkdir(parents=True, exist_ok=True)
        # A stem the folder has a file of is kept where its content key is unchanged: the key needs the samples'
        # digest, which the mixer makes anyway, so those wait for the mix (stage_mix); the others are written now.
        self._keyed_later = [name for name in stems if f"stems/{name}.wav" in self.reuse.previous]
        self._stem_futures = [self.writes.submit(self._stage_stem, stems, name, None) for name in stems if name not in self._keyed_later]

    def _stage_stem(self, stems: Any, name: str, digest: str | None) -> None:
        audio = stems[name]  # (from a stem store: mapped, let go after)
        trim = self.trims[name] = headroom_trim_db(audio)
        rel = f"stems/{name}.wav"
        if rel in self.reuse.previous:
            key = audio_content_key(audio, kind="wav", trim_db=trim, sample_rate=self.sample_rate, bit_depth=self.bit_depth,
                                    samples_key=digest or stem_digest(audio))
            if self.reuse(rel, key):
                return
        else:
            self._unkeyed.add(name)  # the key is made at the end, from the mixer's digest of these samples
        self._write_trimmed(self.write.staging / rel, audio, trim)

    def stage_mix(self, mixed: np.ndarray, pieces: tuple[np.ndarray, ...], settings: Any, parts: Any, *, beside_master: bool = True) -> None:
        """Write mix.wav (from ``pieces``, which the master leaves as they are) and the printed files of this mix.

        Called between the mix and the master (``on_mixed`` of :meth:`lemm.Song.mix`):
        ``mixed`` is read here only (its trim), the rest on the writers.
        ``beside_master``: the printed files are encoded one at a time (each holds its
        strip, and the master's own memory is the write's peak) until :meth:`finish`
        (the master is done) lets a second one start; else two at a time.
        """
        if self._stems is not self.song.stems:
            self.stage_stems()
        self.writes.raise_if_failed()
        trim = headroom_trim_db(mixed)
        self._mixed = (mixed, settings, parts, trim)
        digests = getattr(parts, "stem_digests", None) or {}
        self._stem_futures += [self.writes.submit(self._stage_stem, self._stems, name, digests.get(name)) for name in self._keyed_later]
        self._keyed_later = []
        self.writes.submit(self._stage_mix_file, pieces, trim)
        stems = self._stems
        self._printed = self.writes.submit(
            lambda: write_printed(self.write.staging, stems, settings, sample_rate=self.sample_rate, bit_depth=self.bit_depth,
                                  mix_gain_db=trim, parts=parts, reuse=self.reuse, stop=self.writes.stop,
                                  slots=self._print_slots if beside_master else None))

    def _stage_mix_file(self, pieces: tuple[np.ndarray, ...], trim: float) -> None:
        key = audio_content_key(pieces, kind="wav", trim_db=trim, sample_rate=self.sample_rate, bit_depth=self.bit_depth)
        if not self.reuse("mix.wav", key):
            self._write_trimmed(self.write.staging / "mix.wav", pieces, trim)

    def _stage_master(self, master: np.ndarray) -> None:
        key = audio_content_key(master, kind="wav", trim_db=0.0, sample_rate=self.sample_rate, bit_depth=self.bit_depth)
        if not self.reuse("master.wav", key):
            self._write_trimmed(self.write.staging / "master.wav", master, 0.0)

    def _write_trimmed(self, path: Path, audio: np.ndarray | tuple[np.ndarray, ...], trim_db: float) -> None:
        if self.bit_depth == 16:  # the dither is drawn for the turned-down samples as a whole
            whole = np.concatenate(audio, axis=-1) if isinstance(audio, tuple) else audio
            write_audio(path, _gain(whole, trim_db), sample_rate=self.sample_rate, bit_depth=16)
        else:  # turned down by blocks as they are encoded (the same samples: one product each)
            write_audio(path, audio, sample_rate=self.sample_rate, bit_depth=self.bit_depth, gain=None if trim_db == 0.0 else db_to_gain(trim_db))

    def _catch_up(self) -> None:
        """Stage what was not staged yet, or was staged from a score, stems or mix the song no longer holds (after those writes end)."""
        song = self.song
        mixed = self._mixed
        stale = (self._score is not None and self._score is not song.score) or (self._stems is not None and self._stems is not song.stems) or (
            mixed is not None and (mixed[0] is not song.mix_audio or mixed[1] is not song.mix_settings))
        if stale:
            self.writes.finish()  # the earlier writes end before their files are written again
            self._score = self._stems = self._mixed = None
        if self._score is None:
            self.stage_scores()
        if self._stems is None:
            self.stage_stems()
        if self._mixed is None:
            self.stage_mix(song.mix_audio, (song.mix_audio,), song.mix_settings, _current_mix_parts(song), beside_master=False)

    def _wait(self, futures: list[Future]) -> None:
        """Wait for ``futures``; if any writer failed meanwhile, raise its error (as :meth:`BackgroundWrites.finish`)."""
        wait(futures)
        if self.writes.stop.is_set():
            self.writes.finish()

    def finish(self, *, timer: StageTimer, action: str, takes: dict[str, Path | np.ndarray] | None = None) -> None:
        """Stage the rest of the song and wait for every writer: the files of the module docstring's last rows, and ``takes``."""
        song = self.song
        if song.master_audio is None or song.stems is None or song.mix_audio is None:
            raise ScoreError("writing a song folder needs a rendered and mixed song: call song.mix() first")
        stage = self.write.staging
        with timer.stage("write"):
            self._catch_up()
            self._print_slots.release()  # the master is done: its memory is free for a second printed file
            self.writes.submit(self._stage_master, song.master_audio)
            self._wait([*self._stem_futures, self._printed])
            trims = {name: self.trims[name] for name in song.stems}
            write_daw_projects(song.score, stage, stem_names=list(song.stems), mix_settings=_compensated(song.mix_settings, trims),
                               printed=self._printed.result())
            for rel in ("song.rpp", "song.dawproject"):
                self.reuse.keep_if_same(rel)
            self.writes.finish()
            self._record_stem_keys()
            _stage_takes(self.write, takes or {}, sample_rate=self.sample_rate)
            pause_point("staging")
            song_text = _json_text(song_to_dict(song))
            atomic_write_text(stage / "song.json", song_text)
            self.reuse.keep_if_same("song.json")
            for rel, text in new_version_files(self.write.folder, song_text, action=action)[1].items():
                atomic_write_text(stage / rel, text)
        song.seconds_per_stage.update(timer.seconds)
        song.cpu_seconds_per_stage.update(timer.cpu_seconds)
        report = make_report(song)
        report["stem_trim_db"] = {name: round(t, 3) for name, t in trims.items()}
        report["mix_trim_db"] = round(self._mixed[3], 3)
        report[CONTENT_KEYS_FIELD] = dict(sorted(self.reuse.keys.items()))
        atomic_write_text(stage / "report.json", _json_text(report))

    def _record_stem_keys(self) -> None:
        """The content keys of the stems written without one: from the mixer's digests of these stems (else hashed here)."""
        parts = _current_mix_parts(self.song)
        digests = {} if parts is None else parts.stem_digests
        for name in sorted(self._unkeyed):
            audio = self.song.stems[name]
            digest = digests.get(name) or stem_digest(audio)
            self.reuse.record(f"stems/{name}.wav", audio_content_key(
                None, kind="wav", trim_db=self.trims[name], sample_rate=self.sample_rate, bit_depth=self.bit_depth,
                samples_key=digest, shape=tuple(np.shape(audio))))
        self._unkeyed.clear()


def stage_song(
    song: SongData, write: SongFolderWrite, *, timer: StageTimer, action: str, takes: dict[str, Path | np.ndarray] | None = None
) -> None:
    """Write every file of a rendered and mixed song into ``write.staging`` (the new history version too), and the imported ``takes``."""
    if song.master_audio is None or song.stems is None or song.mix_audio is None:
        raise ScoreError("writing a song folder needs a rendered and mixed song: call song.mix() first")
    with SongStaging(song, write) as staging:
        staging.finish(timer=timer, action=action, takes=takes)


def write_song_files(
    song: "SongData",
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
        check_before_work(write, song, with_cache=False)
        stage_song(song, write, timer=timer or StageTimer(), action=action, takes=kept)
        write.commit()
    return Path(folder)
