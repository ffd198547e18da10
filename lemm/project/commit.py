"""Writing a song folder as a unit: staging, a journal, a manifest of lemm's own files, recovery.

A song folder can hold a person's own files beside lemm's. lemm keeps, in
``DIR/.lemm/manifest.json``, the list of the files it wrote there (song.json,
the scores, stems, mix, master, report, DAW projects, history); those are
*lemm's own files*, and nothing else in the folder is ever replaced, moved or
deleted. Render-cache entries (``cache/<32 hex digits>.npz``, and the channel
strips' ``cache/strips/<32 hex digits>.npz``, named by the hash of their
content) are lemm's by their names. A song folder written by lemm
before the manifest existed is recognised by its song.json and its files are
adopted by lemm's names (see :func:`read_folder_state`).

One write, start to end (:class:`SongFolderWrite`):

1. under the folder's lock (:mod:`lemm.project.lock`), check the output before
   any work: a non-empty folder that is not a song folder is refused unless
   ``force``; a name lemm would write that holds something lemm did not write
   is refused (even with ``force``); so is a symbolic link, device or FIFO at
   one of lemm's names;
2. write every new file into ``DIR/.lemm/staging-<id>/`` (the render cache of a
   new song too), then fsync them;
3. commit: write ``DIR/.lemm/journal.json`` (what to move in, what to remove)
   atomically. This rename is the commit point;
4. roll forward: rename each staged file onto its place (song.json and the
   manifest last), remove lemm's files the new song no longer has (the stem of
   a deleted track), fsync the folders, delete the journal and the staging folder.

A kill at any instant leaves the folder, as lemm reads it, holding the whole
previous song or the whole new one: before step 3 the staging folder is
simply removed by the next run; from step 3 on the journal is complete and
the next run (whoever next takes the lock: any command, and :func:`lemm.load`)
rolls it forward, which is safe to repeat. Before then, a program other than
lemm may see old and new files side by side for the few milliseconds the
renames take (POSIX has no rename of many files at once). The next run also
removes temp files lemm's older versions left (``.NAME.XXXXXXXX.tmp`` files
and ``.DIR.XXXXXXXX.old`` folders), recognised by their names and contents.

``LEMM_TEST_PAUSE_AT=<point>`` (test only) makes a run stop at a named point
of a write (``rendered``, ``staging``, ``staged``, ``committed``,
``installing``, ``installed``) and wait there, after writing the point's
name into the file ``LEMM_TEST_PAUSE_FILE``, so a test can kill it there.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lemm.errors import FileFormatError, LemmError, OutputPathError
from lemm.io.atomic import (
    WriteFailedError,
    atomic_write_text,
    can_write_in,
    check_output_folder,
    fsync_folder,
    fsync_tree,
    remove_stale_temp_files,
    remove_tree,
    write_error,
)
from lemm.project.lock import META_FOLDER, FolderBusyError, held_here, song_folder_lock

__all__ = [
    "FolderState",
    "SongFolderWrite",
    "read_folder_state",
    "check_song_output",
    "recover_song_folder",
    "recover_locked",
    "locked_song_folder",
    "locks_song_folder",
    "pause_point",
    "SONG_FILE_NAMES",
    "MANIFEST_FILE",
]

#: The files at the top of a song folder that lemm writes (besides ``stems/``, ``history/``, ``cache/``).
SONG_FILE_NAMES = ("song.json", "score.mid", "score.musicxml", "mix.wav", "master.wav", "report.json", "song.rpp", "song.dawproject")
SUB_FOLDERS = ("stems", "printed", "history", "cache")
MANIFEST_FILE = "manifest.json"
JOURNAL_FILE = "journal.json"
STAGING_PREFIX = "staging-"
MANIFEST_FORMAT = "lemm-folder-manifest"
JOURNAL_FORMAT = "lemm-folder-journal"
_LAST = ("song.json", f"{META_FOLDER}/{MANIFEST_FILE}")  # moved in last, in this order
_CACHE_ENTRY = re.compile(r"^cache/(strips/)?[0-9a-f]{32}\.npz$")  # render slices; channel strips (lemm.mix.strip_cache)
_HISTORY_ENTRY = re.compile(r"^history/(\d{4,}\.json|log\.json)$")
_STEM_ENTRY = re.compile(r"^stems/[^/]+\.wav$")
_TAKE_ENTRY = re.compile(r"^takes/[^/]+\.wav$")  # an imported vocal take (lemm.vocals.take_import)
_PRINTED_ENTRY = re.compile(r"^printed/(returns/)?[^/]+\.(wav|flac)$")  # lemm.export.printed
_MAX_SONG_JSON_BYTES = 256 << 20
_OS_METADATA = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".directory"})  # a folder holding only these is empty


def pause_point(name: str) -> None:
    """Test only: stop here for good when ``LEMM_TEST_PAUSE_AT`` is ``name`` (see the module docstring)."""
    if os.environ.get("LEMM_TEST_PAUSE_AT") != name:
        return
    marker = os.environ.get("LEMM_TEST_PAUSE_FILE")
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    while True:
        time.sleep(60)


def _is_lemm_name(rel: str) -> bool:
    """Whether ``rel`` (a path relative to a song folder) is one of the names lemm writes."""
    return rel in SONG_FILE_NAMES or rel == f"{META_FOLDER}/{MANIFEST_FILE}" or bool(
        _STEM_ENTRY.match(rel) or _TAKE_ENTRY.match(rel) or _PRINTED_ENTRY.match(rel) or _HISTORY_ENTRY.match(rel) or _CACHE_ENTRY.match(rel)
    )


def _check_relative(rel: object, source: str) -> str:
    if not isinstance(rel, str) or not _is_lemm_name(rel) or ".." in rel.split("/") or rel.startswith("/"):
        raise FileFormatError(f"{source} names {rel!r}, which is not one of lemm's file names; it was not written by lemm")
    return rel


@dataclass(frozen=True)
class FolderState:
    """What a folder is to lemm.

    Attributes
    ----------
    folder : Path
        Absolute path.
    kind : str
        ``"new"`` (missing, or empty but for ``.lemm/``), ``"song"`` (a song folder)
        or ``"foreign"`` (holds files, and is not a song folder).
    owned : frozenset of str
        lemm's own files in it, as paths relative to ``folder`` (from the manifest,
        or adopted by name in a song folder from before the manifest).
    others : tuple of str
        For a foreign folder, the first few of its entries (for messages).
    """

    folder: Path
    kind: str
    owned: frozenset[str] = frozenset()
    others: tuple[str, ...] = ()


def _read_manifest(path: Path) -> frozenset[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), list):
            raise ValueError("not a lemm manifest")
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise FileFormatError(
            f"lemm's list of its files {str(path)!r} is damaged ({err}); move it away and lemm adopts the song's files by their names"
        ) from None
    return frozenset(_check_relative(rel, str(path)) for rel in data["files"])


def _read_song_json_tracks(path: Path) -> list[str] | None:
    """The track names of a lemm song.json, or None if ``path`` is not one."""
    try:
        if path.stat().st_size > _MAX_SONG_JSON_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != "lemm-song":
        return None
    tracks = data.get("score", {}).get("tracks", []) if isinstance(data.get("score"), dict) else []
    return [t["name"] for t in tracks if isinstance(t, dict) and isinstance(t.get("name"), str)] if isinstance(tracks, list) else []


def _adopt(folder: Path, tracks: list[str]) -> frozenset[str]:
    """lemm's files in a song folder written before the manifest: its names that hold regular files."""
    names = set(SONG_FILE_NAMES)
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        tracks = tracks + [t for t in report.get("stem_trim_db", {}) if isinstance(t, str)]
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, AttributeError):
        pass
    names.update(f"stems/{t}.wav" for t in tracks if "/" not in t and t not in ("", ".", ".."))
    history = folder / "history"
    if history.is_dir():
        names.update(f"history/{p.name}" for p in history.iterdir() if _HISTORY_ENTRY.match(f"history/{p.name}"))
    return frozenset(n for n in names if stat.S_ISREG(_lstat_mode(folder / n)))


def _lstat_mode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


def read_folder_state(folder: str | os.PathLike) -> FolderState:
    """Classify ``folder`` as new, a song folder or foreign, with lemm's own files in it (see :class:`FolderState`).

    Raises
    ------
    OutputPathError
        ``folder`` is not a folder, or its ``.lemm`` is not lemm's folder.
    FileFormatError
        The manifest is damaged.
    """
    path = Path(os.path.abspath(os.fspath(folder)))
    if not os.path.lexists(path):
        return FolderState(path, "new")
    if not path.is_dir():
        raise OutputPathError(f"song folder {str(path)!r} is an existing file, not a folder")
    meta = path / META_FOLDER
    if os.path.lexists(meta) and (meta.is_symlink() or not meta.is_dir()):
        raise OutputPathError(f"{str(meta)!r} is not lemm's folder (lemm keeps its bookkeeping there); move it away")
    if (meta / MANIFEST_FILE).is_file():
        return FolderState(path, "song", _read_manifest(meta / MANIFEST_FILE))
    if (meta / JOURNAL_FILE).is_file():
        return FolderState(path, "song")  # a first write, committed but not yet rolled forward
    song_json = path / "song.json"
    tracks = _read_song_json_tracks(song_json) if song_json.is_file() and not song_json.is_symlink() else None
    if tracks is not None:
        return FolderState(path, "song", _adopt(path, tracks))
    others = sorted(name for name in os.listdir(path) if name != META_FOLDER and name not in _OS_METADATA)
    return FolderState(path, "foreign" if others else "new", others=tuple(others[:5]))


def _refuse_foreign(state: FolderState) -> OutputPathError:
    shown = ", ".join(repr(n) for n in state.others) + (", ..." if len(state.others) == 5 else "")
    return OutputPathError(
        f"{str(state.folder)!r} is not empty and is not a lemm song folder (it holds {shown}); lemm writes a song only into "
        "a new or empty folder or a song folder: pick another folder, or give --force (API: force=True) to write lemm's "
        "files beside yours (nothing of yours is changed)"
    )


def check_song_output(folder: str | os.PathLike, *, force: bool = False) -> FolderState:
    """Check, before any work, that a song can be written into ``folder``; returns its state. Nothing is written.

    Raises
    ------
    OutputPathError
        The path cannot hold a folder (a file, under a file, the root folder,
        /proc, read-only), or it is a non-empty folder that is not a song folder
        and ``force`` is False.
    """
    path = check_output_folder(folder, what="song folder")
    state = read_folder_state(path)
    if state.kind == "foreign" and not force:
        raise _refuse_foreign(state)
    _check_names(state, [*SONG_FILE_NAMES, "history/log.json"])
    return state


def _check_names(state: FolderState, rels: Iterable[str]) -> None:
    """Refuse names lemm would write that hold something lemm did not write, or a link, device or FIFO."""
    problems = []
    foreign = False
    folders_seen: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        if any(len(p.encode("utf-8", "surrogateescape")) > 255 for p in parts):
            problems.append(f"{rel[:60]!r}... has a name longer than 255 bytes")
            continue
        for i in range(1, len(parts)):
            sub = "/".join(parts[:i])
            if sub in folders_seen:
                continue
            folders_seen.add(sub)
            mode = _lstat_mode(state.folder / sub)
            if mode and not stat.S_ISDIR(mode):
                problems.append(f"{sub!r} is {'a symbolic link' if stat.S_ISLNK(mode) else 'not a folder'}")
            elif mode and not can_write_in(state.folder / sub):
                problems.append(f"the folder {sub!r} is read-only")
        mode = _lstat_mode(state.folder / rel)
        if not mode:
            continue
        if rel not in state.owned and not _CACHE_ENTRY.match(rel):
            problems.append(f"{rel!r} is there and lemm did not write it")
            foreign = True
        elif not stat.S_ISREG(mode):
            problems.append(f"{rel!r} is {'a symbolic link' if stat.S_ISLNK(mode) else 'not a regular file'}")
    if problems:
        raise OutputPathError(
            f"cannot write the song into {str(state.folder)!r}: " + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
            + (". lemm never replaces files it did not write: move them, or pick another folder" if foreign else "")
        )


class SongFolderWrite:
    """One write of a song folder as a unit; use :func:`song_folder_write`.

    Attributes
    ----------
    folder : Path
    state : FolderState
        The folder before the write.
    staging : Path
        Where the new files go first (``folder/.lemm/staging-<id>``), by their
        paths relative to ``folder``.
    cache_folder : Path
        The render cache to use: the folder's own for a song folder, else one in
        the staging folder (moved in with the song).
    """

    def __init__(self, folder: Path, state: FolderState) -> None:
        self.folder = folder
        self.state = state
        self.staging = folder / META_FOLDER / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
        self.cache_folder = (folder if state.kind == "song" else self.staging) / "cache"
        self.committed = False  # the journal is being written or is written
        self.done = False  # the write is complete

    def check_names(self, rels: Iterable[str]) -> None:
        """Refuse (before any work) if a name of ``rels`` holds something lemm did not write (see the module docstring)."""
        _check_names(self.state, rels)

    def commit(self) -> None:
        """Make the staged files the folder's: fsync, journal, roll forward (see the module docstring)."""
        staged = sorted(p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*") if p.is_file())
        song_files = [rel for rel in staged if not _CACHE_ENTRY.match(rel)]
        self.check_names(song_files)  # again, at the last moment: nothing appeared meanwhile
        keep_forever = [rel for rel in self.state.owned if rel.startswith("history/")]
        remove = sorted(rel for rel in self.state.owned if rel not in song_files and not rel.startswith("history/"))
        owned = sorted(set(song_files) | set(keep_forever))
        atomic_write_text(self.staging / META_FOLDER / MANIFEST_FILE, json.dumps({"format": MANIFEST_FORMAT, "files": owned}, indent=1) + "\n")
        cache = [rel for rel in staged if _CACHE_ENTRY.match(rel) and not os.path.lexists(self.folder / rel)]
        first = [rel for rel in song_files if rel not in _LAST]
        install = cache + first + [rel for rel in _LAST if rel in song_files or rel == f"{META_FOLDER}/{MANIFEST_FILE}"]
        fsync_tree(self.staging)
        pause_point("staged")
        journal = {"format": JOURNAL_FORMAT, "staging": self.staging.name, "install": install, "remove": remove}
        self.committed = True  # from here the staging folder stays: the journal may name it (see song_folder_write)
        atomic_write_text(self.folder / META_FOLDER / JOURNAL_FILE, json.dumps(journal, indent=1) + "\n")
        fsync_folder(self.folder / META_FOLDER)
        pause_point("committed")
        try:
            _roll_forward(self.folder, journal)
        except KeyboardInterrupt:  # finish the few renames, then stop
            _roll_forward(self.folder, journal)
            self.done = True
            raise
        self.done = True


def _journaled(write: SongFolderWrite) -> bool:
    """Whether the journal of ``write`` is on the disk (then its staging folder must stay until rolled forward)."""
    try:
        return json.loads((write.folder / META_FOLDER / JOURNAL_FILE).read_text(encoding="utf-8")).get("staging") == write.staging.name
    except (OSError, ValueError, AttributeError):
        return False


def _roll_forward(folder: Path, journal: dict) -> None:
    staging = folder / META_FOLDER / journal["staging"]
    if not staging.is_dir():  # never so after a commit (the journal goes before the staging folder): not a commit of ours
        with contextlib.suppress(FileNotFoundError):
            (folder / META_FOLDER / JOURNAL_FILE).unlink()
        return
    touched = {folder, folder / META_FOLDER}
    install = journal["install"]
    for i, rel in enumerate(install):
        if i == len(install) // 2:
            pause_point("installing")
        src, dst = staging / rel, folder / rel
        if os.path.lexists(src):
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
        touched.add(dst.parent)
    for rel in journal["remove"]:
        with contextlib.suppress(FileNotFoundError):
            (folder / rel).unlink()
        touched.add((folder / rel).parent)
    for path in sorted(touched, key=lambda p: -len(p.parts)):
        if path.is_dir():
            fsync_folder(path)
    pause_point("installed")
    with contextlib.suppress(FileNotFoundError):  # a second pass (after Ctrl-C) may find it gone
        (folder / META_FOLDER / JOURNAL_FILE).unlink()
    fsync_folder(folder / META_FOLDER)
    remove_tree(staging)


def _read_journal(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
            raise ValueError("not a lemm journal")
        staging = data["staging"]
        if not isinstance(staging, str) or not re.fullmatch(rf"{STAGING_PREFIX}[0-9a-f]+", staging):
            raise ValueError(f"bad staging folder {staging!r}")
        for key in ("install", "remove"):
            if not isinstance(data[key], list):
                raise TypeError(f"{key} is not a list")
            data[key] = [_check_relative(rel, str(path)) for rel in data[key]]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, RecursionError) as err:
        raise FileFormatError(
            f"lemm's journal {str(path)!r} of an unfinished write is damaged ({err}); move it away to keep the folder as it is"
        ) from None
    return data


def _is_old_song_folder_copy(path: Path) -> bool:
    """Whether ``path`` holds nothing but song-folder entries (a temp or swapped-out folder of lemm < 0.2)."""
    try:
        names = os.listdir(path)
    except OSError:
        return False
    allowed = set(SONG_FILE_NAMES) | set(SUB_FOLDERS) | {META_FOLDER}
    return all(name in allowed or name.startswith(".") and name.endswith(".tmp") for name in names)


def recover_locked(folder: str | os.PathLike) -> None:
    """Finish or clear what a killed write left in ``folder``; the caller holds the folder's lock.

    A committed journal is rolled forward; staging folders and temp files of
    lemm's are removed; so are the ``.NAME.XXXXXXXX.old`` / ``.tmp`` folders that
    lemm before 0.2 left beside a song folder, when they hold only song-folder files.

    Raises
    ------
    OutputPathError
        A committed write could not be finished (e.g. the folder is now read-only).
    FileFormatError
        The journal is damaged.
    """
    path = Path(folder)
    meta = path / META_FOLDER
    try:
        if (meta / JOURNAL_FILE).is_file():
            _roll_forward(path, _read_journal(meta / JOURNAL_FILE))
        if meta.is_dir():
            for entry in meta.iterdir():
                if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
                    remove_tree(entry)
            remove_stale_temp_files(meta)
    except OSError as err:
        raise write_error(err, path, what="the unfinished write of the song folder") from None
    for sub in ("", *SUB_FOLDERS):
        if (path / sub).is_dir():
            remove_stale_temp_files(path / sub)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.(old|tmp)$")
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            if pattern.match(entry.name) and entry.is_dir() and not entry.is_symlink() and _is_old_song_folder_copy(entry):
                remove_tree(entry)


def locked_song_folder(folder: str | os.PathLike, *, wait_seconds: float | None = None) -> contextlib.AbstractContextManager[None]:
    """:func:`lemm.project.lock.song_folder_lock` that first finishes (or clears) a write a killed run left (:func:`recover_locked`)."""
    return song_folder_lock(folder, wait_seconds=wait_seconds, on_first_hold=recover_locked)


def recover_song_folder(folder: str | os.PathLike) -> None:
    """Before reading ``folder``: finish a write a killed run left, if any (skipped while another run writes it)."""
    path = Path(folder)
    meta = path / META_FOLDER
    if held_here(path) or not meta.is_dir():
        return
    try:
        pending = any(n == JOURNAL_FILE or n.startswith(STAGING_PREFIX) for n in os.listdir(meta))
    except OSError:
        return
    if not pending:
        return
    with contextlib.suppress(FolderBusyError), locked_song_folder(path, wait_seconds=0.0):
        pass  # taking the lock recovers


@contextlib.contextmanager
def song_folder_write(
    folder: str | os.PathLike, *, force: bool = False, must_be_song: bool = False, what: str = "song"
) -> Iterator[SongFolderWrite]:
    """Write a song folder as a unit (see the module docstring); yields the :class:`SongFolderWrite`.

    The body writes the new files under ``write.staging`` and calls
    ``write.commit()``. On any error (or without a commit) the staging folder
    is removed, a folder made here is removed again, and the folder is as it
    was; an OSError becomes an OutputPathError saying so.

    Parameters
    ----------
    folder : path
    force : bool
        Write into a non-empty folder that is not a song folder (lemm's files beside the others).
    must_be_song : bool
        Refuse anything but an existing song folder (render, edit, ...).

    Raises
    ------
    OutputPathError
        See :func:`check_song_output`; also when the folder is busy or a write fails.
    """
    path = check_output_folder(folder, what="song folder")
    made = []
    p = path
    while not os.path.lexists(p):
        made.append(p)
        p = p.parent
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise write_error(err, path, what="song folder") from None
    had_meta = os.path.lexists(path / META_FOLDER)
    committed = False
    try:
        with locked_song_folder(path):
            state = read_folder_state(path)
            if must_be_song and state.kind != "song":
                raise OutputPathError(f"{str(path)!r} is not a song folder (it has no song.json written by lemm)")
            if state.kind == "foreign" and not force:
                raise _refuse_foreign(state)
            write = SongFolderWrite(path, state)
            try:
                write.staging.mkdir(parents=True)
                yield write
            except OSError as err:
                if isinstance(err, LemmError) and not isinstance(err, WriteFailedError):
                    raise  # a check that failed, or e.g. a missing input file: not a failed write
                outcome = "the next lemm command on it finishes the write" if _journaled(write) else "the song folder is unchanged"
                message = str(err) if isinstance(err, LemmError) else str(write_error(err, path, what=what))
                raise WriteFailedError(f"{message}; {outcome}") from None
            finally:
                committed = write.done or (write.committed and _journaled(write))
                if not committed:
                    remove_tree(write.staging)
    finally:
        if not committed and not had_meta:  # nothing was written: take away what this write made
            remove_tree(path / META_FOLDER)
            for p in made:
                with contextlib.suppress(OSError):
                    p.rmdir()


def locks_song_folder(arg: str) -> Callable:
    """Decorate a command ``func(args)`` to hold the lock of the folder named by ``args.<arg>`` while it runs.

    Before the command does any work the folder is checked to be one lemm can
    write (see :func:`lemm.io.atomic.check_output_folder`; not for ``--dry-run``).

    >>> import argparse
    >>> @locks_song_folder("dir")
    ... def command(args):
    ...     return 0
    >>> command(argparse.Namespace(dir=None))
    0
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def run(args) -> int:
            folder = getattr(args, arg, None)
            if folder is None:
                return func(args)
            if not getattr(args, "dry_run", False):
                check_output_folder(folder, what="song folder")  # before any work: not read-only, not /proc, ...
            with locked_song_folder(folder):
                return func(args)

        return run

    return decorate
