"""Cache entries on disk: one ``<key>.npz`` file per entry, written atomically, with its own hash.

The render's slice cache (:class:`lemm.render.stems.RenderCache`) and the mix's strip
cache (:class:`lemm.mix.strip_cache.StripCache`) keep their entries this way: a key
is 32 hex digits, an entry holds named arrays and a ``sha256`` the owner computes
from the key and the arrays, and an entry that is unreadable or whose hash does
not check out is treated as missing (logged, then made again). Only files named
like an entry are ever removed, so a person's own files in the folder are safe.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = entry_path(folder, "0" * 32)
>>> write_entry(path, {"audio": np.ones((2, 3), np.float32)}, sha256="abc")
>>> data = read_entry(path, ("audio",), what="test cache")
>>> data["audio"].shape, data["sha256"]
((2, 3), 'abc')
>>> (folder / "mine.txt").write_text("kept") and prune_entries(folder, keep=set())
1
>>> sorted(p.name for p in folder.iterdir())
['mine.txt']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from lemm.io.atomic import atomic_file

__all__ = ["entry_path", "write_entry", "read_entry", "prune_entries", "ENTRY_KEY"]

log = logging.getLogger(__name__)

#: What a cache key looks like (and so what file names an entry may have).
ENTRY_KEY = re.compile(r"[0-9a-f]{32}")


def entry_path(folder: Path, key: str) -> Path:
    """The file of the entry ``key`` in ``folder``."""
    return folder / f"{key}.npz"


def write_entry(path: Path, arrays: Mapping[str, np.ndarray], *, sha256: str) -> None:
    """Write ``arrays`` and their ``sha256`` as one ``.npz`` entry, atomically (:func:`lemm.io.atomic.atomic_file`).

    The entry is written straight into its temp file: an entry may be a song-length
    strip, and no encoded copy of it is held in memory on the way. It is not
    fsync-ed (``durable=False``): its reader checks ``sha256`` and makes a torn
    entry again, and a song folder's commit fsyncs the entries it installs.
    """
    with atomic_file(path, durable=False) as file:
        np.savez(file, **arrays, sha256=np.str_(sha256))


def read_entry(path: Path, names: Sequence[str], *, what: str) -> dict[str, object] | None:
    """The arrays ``names`` of an entry and its ``"sha256"`` (a str), or None when missing or unreadable.

    ``what`` names the cache in the warning logged for an unreadable entry. The
    caller checks the hash (it knows how the entry's hash is made).
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            out: dict[str, object] = {name: np.asarray(data[name]) for name in names}  # each read into a new array (no second copy)
            out["sha256"] = str(data["sha256"])
    except (OSError, ValueError, KeyError, EOFError, TypeError) as err:
        log.warning("%s entry %s is unreadable (%s): making it again", what, path, err)
        return None
    return out


def prune_entries(folder: Path, *, keep: set[str]) -> int:
    """Remove the entries (files named ``<32 hex digits>.npz``) of ``folder`` whose key is not in ``keep``; how many went."""
    removed = 0
    if folder.is_dir():
        for path in folder.glob("*.npz"):
            if ENTRY_KEY.fullmatch(path.stem) and path.stem not in keep and path.is_file() and not path.is_symlink():
                path.unlink()
                removed += 1
    return removed
