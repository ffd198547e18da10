"""Versions of song.json kept in ``DIR/history/``, so no edit ever loses anything.

Every compose, regen, edit, import, checkout or render of a changed song.json
saves the new song.json as ``history/NNNN.json`` and appends a line to
``history/log.json`` (version, action). ``lemm history DIR`` lists them,
``lemm checkout DIR N`` makes version N current again (recorded as a new
version), ``lemm diff DIR A B`` describes the changes in musical terms.
Branching is copying the folder.

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

__all__ = ["Version", "record_version", "list_versions", "version_text", "HISTORY_FOLDER"]

HISTORY_FOLDER = "history"


@dataclass(frozen=True)
class Version:
    """One saved version of song.json."""

    version: int
    action: str


def _log_path(folder: Path) -> Path:
    return folder / HISTORY_FOLDER / "log.json"


def list_versions(folder: str | os.PathLike) -> list[Version]:
    """The saved versions, oldest first (empty for a folder without history)."""
    path = _log_path(Path(folder))
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [Version(int(r["version"]), str(r["action"])) for r in rows]
    except (ValueError, KeyError, TypeError) as err:
        raise FileFormatError(f"history log {str(path)!r} is damaged ({err}); the versions themselves are in {path.parent}") from None


def version_text(folder: str | os.PathLike, version: int) -> str:
    """The song.json text of ``version``; ParameterError naming the versions that exist."""
    known = [v.version for v in list_versions(folder)]
    if version not in known:
        shown = f"{known[0]}..{known[-1]}" if known else "none (no history yet)"
        raise ParameterError.for_field("version", version, f"a saved version: {shown}")
    return (Path(folder) / HISTORY_FOLDER / f"{version:04d}.json").read_text(encoding="utf-8")


def record_version(folder: str | os.PathLike, song_json_text: str, *, action: str) -> int:
    """Save ``song_json_text`` as a new version unless it equals the latest; returns the current version."""
    versions = list_versions(folder)
    if versions and version_text(folder, versions[-1].version) == song_json_text:
        return versions[-1].version
    number = versions[-1].version + 1 if versions else 1
    history = Path(folder) / HISTORY_FOLDER
    history.mkdir(parents=True, exist_ok=True)
    atomic_write_text(history / f"{number:04d}.json", song_json_text)
    rows = [{"version": v.version, "action": v.action} for v in versions] + [{"version": number, "action": action}]
    atomic_write_text(_log_path(Path(folder)), json.dumps(rows, indent=1) + "\n")
    return number
