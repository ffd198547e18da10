"""Versions of song.json kept in ``DIR/history/``, so no edit ever loses anything.

Every compose, regen, edit, import, checkout or render of a changed song.json
saves the new song.json as ``history/NNNN.json`` and appends a line to
``history/log.json`` (version, action). ``lemm history DIR`` lists them,
``lemm checkout DIR N`` makes version N current again (recorded as a new
version), ``lemm diff DIR A B`` describes the changes in musical terms.
Branching is copying the folder.

In a song folder the new version is saved in the same commit as the song
(:func:`new_version_files`, :mod:`lemm.project.commit`): an edit lands with its
version or not at all. A damaged log or a missing version file is a
:class:`~lemm.errors.FileFormatError`, found before an edit does any work
(:func:`check_history`), so a retry never applies an edit twice.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> record_version(d, '{"a": 1}', action="compose")
1
>>> record_version(d, '{"a": 1}', action="render")  # unchanged: no new version
1
>>> record_version(d, '{"a": 2}', action="edit")
2
>>> [(v.version, v.action) for v in list_versions(d)]
[(1, 'compose'), (2, 'edit')]
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from lemm.errors import FileFormatError, ParameterError
from lemm.io.atomic import atomic_write_text
from lemm.project.commit import recover_song_folder

__all__ = ["Version", "record_version", "new_version_files", "check_history", "list_versions", "version_text", "HISTORY_FOLDER"]

HISTORY_FOLDER = "history"
#: The largest version number lemm reads from a history log.
MAX_VERSION = 10**9


@dataclass(frozen=True)
class Version:
    """One saved version of song.json."""

    version: int
    action: str


def _log_path(folder: Path) -> Path:
    return folder / HISTORY_FOLDER / "log.json"


def _damaged(path: Path, why: str) -> FileFormatError:
    return FileFormatError(
        f"history log {str(path)!r} is damaged ({why}); nothing was changed. The versions themselves are in "
        f"{str(path.parent)!r}: repair the log, or move the history folder away to start a new one"
    )


def list_versions(folder: str | os.PathLike) -> list[Version]:
    """The saved versions, oldest first (empty for a folder without history).

    Raises
    ------
    FileFormatError
        The log is not a list of {"version": N, "action": "..."} rows with
        increasing version numbers (garbage, nested too deep, numbers out of range).
    """
    recover_song_folder(folder)
    path = _log_path(Path(folder))
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise _damaged(path, f"not readable JSON: {str(err)[:120]}") from None
    if not isinstance(rows, list):
        raise _damaged(path, f"a list of versions expected, got {type(rows).__name__}")
    out: list[Version] = []
    for row in rows:
        number = row.get("version") if isinstance(row, dict) else None
        action = row.get("action") if isinstance(row, dict) else None
        if type(number) is not int or not isinstance(action, str):
            raise _damaged(path, f"a row must be {{\"version\": N, \"action\": \"...\"}}, got {str(row)[:80]}")
        if not 1 <= number <= MAX_VERSION or (out and number <= out[-1].version):
            raise _damaged(path, f"version numbers must increase within 1..{MAX_VERSION}, got {number} after {out[-1].version if out else 'none'}")
        out.append(Version(number, action))
    return out


def version_text(folder: str | os.PathLike, version: int) -> str:
    """The song.json text of ``version``.

    Raises
    ------
    ParameterError
        ``version`` is not a saved version (the message names those that are).
    FileFormatError
        The version's file is missing or not UTF-8 text.
    """
    known = [v.version for v in list_versions(folder)]
    if version not in known:
        shown = f"{known[0]}..{known[-1]}" if known else "none (no history yet)"
        raise ParameterError.for_field("version", version, f"a saved version: {shown}")
    path = Path(folder) / HISTORY_FOLDER / f"{version:04d}.json"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FileFormatError(f"saved version {version} ({str(path)!r}) cannot be read: {getattr(err, 'strerror', None) or err}") from None


def check_history(folder: str | os.PathLike) -> None:
    """Check, before an edit does any work, that the folder's history can take a new version.

    Raises
    ------
    FileFormatError
        The log, or the latest version's file, is damaged or missing.
    """
    versions = list_versions(folder)
    if versions:
        version_text(folder, versions[-1].version)


def new_version_files(folder: str | os.PathLike, song_json_text: str, *, action: str) -> tuple[int, dict[str, str]]:
    """The version ``song_json_text`` would be saved as, and the history files that saves it.

    Returns
    -------
    version : int
        The new version, or the latest one if ``song_json_text`` equals it (then no files).
    files : dict of str to str
        Text by path relative to ``folder`` (``history/NNNN.json`` and ``history/log.json``).
    """
    versions = list_versions(folder)
    if versions and version_text(folder, versions[-1].version) == song_json_text:
        return versions[-1].version, {}
    number = versions[-1].version + 1 if versions else 1
    rows = [{"version": v.version, "action": v.action} for v in versions] + [{"version": number, "action": action}]
    return number, {f"{HISTORY_FOLDER}/{number:04d}.json": song_json_text, f"{HISTORY_FOLDER}/log.json": json.dumps(rows, indent=1) + "\n"}


def record_version(folder: str | os.PathLike, song_json_text: str, *, action: str) -> int:
    """Save ``song_json_text`` as a new version unless it equals the latest; returns the current version.

    The version file is written before the log that names it. A song folder
    saves its versions together with the song instead (:mod:`lemm.project.folder`).
    """
    number, files = new_version_files(folder, song_json_text, action=action)
    for rel, text in files.items():
        atomic_write_text(Path(folder) / rel, text)
    return number
