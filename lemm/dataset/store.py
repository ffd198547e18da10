"""Where a data set lives: a local folder or any fsspec URL, written so no reader ever sees half a song.

Layout of a data set folder::

    dataset.json                 the options every song depends on (seed, lengths, genres, rate, format, lemm version)
    songs/song_000000/ ...       one folder per complete song (see :mod:`lemm.dataset.song`)
    index.jsonl                  one line per complete song, in index order: id, split, genre, tempo, key, ...
    splits/train.txt ...         the song ids of each split
    failures.jsonl               songs that failed, with the error
    failures/song_000007.json    the same, one file per song (written by whichever worker failed)
    .partial/                    songs being written (ignored by readers)

A song is written under ``.partial/<id>.<token>/`` with ``checksums.json``
last, then moved to ``songs/<id>/``. On a local (or any POSIX) file system
the move is one ``rename``, so the song appears whole or not at all. Object
stores (S3, GCS, Azure through their fsspec packages) have no rename: there
the files are copied from the temp prefix and ``checksums.json``, the
completion marker, is written last; the song counts only once the marker is
there *and* every file it lists has that checksum and no other file is present. Every reader (a re-run, the
index, the loader) checks this, so a copy cut short is never used: the next
run remakes that song.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any

from lemm.dataset.briefs import SPLITS, DatasetOptions
from lemm.dataset.song import CHECKSUMS, json_bytes
from lemm.errors import ParameterError
from lemm.io.atomic import atomic_write_bytes
from lemm.version import __version__

__all__ = [
    "Store",
    "build_index",
    "check_options",
    "clear_failure",
    "open_store",
    "read_json",
    "record_failure",
    "song_is_complete",
    "write_song",
]

OPTIONS_FILE = "dataset.json"
DATASET_FORMAT = "lemm-dataset"


@dataclass(frozen=True)
class Store:
    """A file system (fsspec) and the data set's root path on it."""

    fs: Any
    root: str
    url: str

    def path(self, *parts: str) -> str:
        """The full path of ``parts`` under the root."""
        return "/".join([self.root.rstrip("/"), *parts])

    @property
    def is_local(self) -> bool:
        """True for a local file system (where a folder move is an atomic rename)."""
        return "file" in _protocols(self.fs)


def _protocols(fs: Any) -> tuple[str, ...]:
    p = fs.protocol
    return (p,) if isinstance(p, str) else tuple(p)


def open_store(out: str | os.PathLike) -> Store:
    """The store of a local folder path or an fsspec URL (``memory://ds``, ``s3://bucket/ds``).

    Raises
    ------
    ParameterError
        If fsspec does not know the URL's protocol (naming the package to install).
    """
    import fsspec

    text = os.fspath(out)
    if "://" not in text:
        text = os.path.abspath(text)
    try:
        fs, root = fsspec.core.url_to_fs(text)
    except (ImportError, ValueError) as err:
        raise ParameterError.for_field("out", text, f"a local folder or an fsspec URL whose package is installed ({err})") from None
    if fs.isfile(root):
        raise ParameterError.for_field("out", text, "a folder (it is an existing file)")
    return Store(fs=fs, root=root, url=text)


def _put_atomic(store: Store, path: str, data: bytes) -> None:
    """Write one file so readers see the old or the new bytes (temp then rename; one PUT on object stores)."""
    if not store.is_local:
        store.fs.pipe_file(path, data)
        return
    atomic_write_bytes(path, data)


def read_json(store: Store, *parts: str) -> Any:
    """The JSON data of a file under the root, or None when it is missing or not JSON."""
    try:
        return json.loads(store.fs.cat_file(store.path(*parts)))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None


def check_options(store: Store, options: DatasetOptions) -> None:
    """Write ``dataset.json`` (first run) or check that the folder was made with the same options and lemm.

    Raises
    ------
    ParameterError
        The folder holds a data set of other options or another lemm version
        (whose songs would differ): use another folder.
    """
    wanted = {"format": DATASET_FORMAT, "lemm_version": __version__, "options": options.to_dict()}
    have = read_json(store, OPTIONS_FILE)
    if have is None:
        store.fs.makedirs(store.root, exist_ok=True)
        _put_atomic(store, store.path(OPTIONS_FILE), json_bytes(wanted))
        return
    if have != json.loads(json_bytes(wanted)):
        raise ParameterError(
            f"out {store.url!r} holds a data set made with other options or another lemm version "
            f"({json.dumps(have, sort_keys=True)}); this run asks for {json.dumps(wanted, sort_keys=True)}: "
            "use the same options or another folder"
        )


def _listing(store: Store, folder: str) -> dict[str, str]:
    """Relative path -> full path of every file under ``folder``."""
    found = store.fs.find(folder)
    prefix = store.fs._strip_protocol(folder).rstrip("/") + "/"
    return {store.fs._strip_protocol(p)[len(prefix):]: p for p in found}


def song_is_complete(store: Store, song: str) -> bool:
    """True when ``songs/<song>/`` holds exactly the files its checksums.json lists, each with that sha256.

    Reads every file (checked, not assumed): a truncated, altered, missing or
    extra file makes the song incomplete, and the next run remakes it.
    """
    folder = store.path("songs", song)
    sums = read_json(store, "songs", song, CHECKSUMS)
    if not isinstance(sums, dict):
        return False
    try:
        files = _listing(store, folder)
    except FileNotFoundError:
        return False
    if set(files) != set(sums) | {CHECKSUMS}:
        return False
    for rel, digest in sums.items():
        try:
            data = store.fs.cat_file(files[rel])
        except FileNotFoundError:
            return False
        if hashlib.sha256(data).hexdigest() != digest:
            return False
    return True


def _remove(store: Store, path: str) -> None:
    try:
        store.fs.rm(path, recursive=True)
    except FileNotFoundError:
        pass


def write_song(store: Store, song: str, files: dict[str, bytes]) -> None:
    """Write a song's files under ``.partial/`` (checksums.json last), then put the folder at ``songs/<song>``.

    Local file systems: one rename (an old, incomplete or corrupted ``songs/<song>``
    is renamed aside first and removed after, so the folder is absent for a
    moment, never mixed). Object stores: the old folder's marker goes first, then
    the folder; the files are copied from the temp prefix, and the completion
    marker (checksums.json) is written last.
    """
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = store.path(".partial", f"{song}.{token}")
    for old in _partials(store, song):  # an earlier, killed attempt at this song
        _remove(store, old)
    order = sorted(k for k in files if k != CHECKSUMS) + [CHECKSUMS]
    for rel in order:
        path = f"{tmp}/{rel}"
        store.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        store.fs.pipe_file(path, files[rel])
    final = store.path("songs", song)
    store.fs.makedirs(store.path("songs"), exist_ok=True)
    if not store.is_local:
        _remove(store, f"{final}/{CHECKSUMS}")  # the old song stops counting before anything of it changes
        _remove(store, final)
        for rel in order[:-1]:
            store.fs.copy(f"{tmp}/{rel}", f"{final}/{rel}")
        store.fs.pipe_file(f"{final}/{CHECKSUMS}", files[CHECKSUMS])
        _remove(store, tmp)
    elif store.fs.exists(final):
        aside = store.path(".partial", f"{song}.{token}.old")
        store.fs.mv(final, aside, recursive=True)
        store.fs.mv(tmp, final, recursive=True)
        _remove(store, aside)
    else:
        store.fs.mv(tmp, final, recursive=True)


def _partials(store: Store, song: str) -> list[str]:
    try:
        names = store.fs.ls(store.path(".partial"), detail=False)
    except FileNotFoundError:
        return []
    return [n for n in names if n.rstrip("/").rsplit("/", 1)[-1].startswith(song + ".")]


def record_failure(store: Store, song: str, index: int, error: str) -> None:
    """Keep ``failures/<song>.json`` (no times or host names: the same failure gives the same file)."""
    store.fs.makedirs(store.path("failures"), exist_ok=True)
    _put_atomic(store, store.path("failures", f"{song}.json"), json_bytes({"id": song, "index": int(index), "error": error}))


def clear_failure(store: Store, song: str) -> None:
    """Forget an earlier failure of a song now complete."""
    path = store.path("failures", f"{song}.json")
    if store.fs.exists(path):
        _remove(store, path)


def _list_names(store: Store, folder: str) -> list[str]:
    try:
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in store.fs.ls(store.path(folder), detail=False))
    except FileNotFoundError:
        return []


def build_index(store: Store) -> dict[str, int]:
    """Write index.jsonl, splits/<split>.txt and failures.jsonl from the songs the folder holds now.

    A pure function of the folder's complete songs (a song counts once its
    checksums.json is there; :func:`song_is_complete` is the full check made by
    every run and by the loader). A song whose mix audio or notes equal an
    earlier song's is listed with ``duplicate_of`` and ``split: null`` and left
    out of every split, so no content is shared across splits.

    Returns
    -------
    dict
        Number of songs per split, ``"duplicates"`` and ``"failures"``.
    """
    rows, failures, seen = [], [], {}
    complete = set()
    for song in _list_names(store, "songs"):
        sums = read_json(store, "songs", song, CHECKSUMS)
        meta = read_json(store, "songs", song, "metadata.json")
        if not isinstance(sums, dict) or not isinstance(meta, dict):
            continue
        complete.add(song)
        mix_sha = sums.get(meta["mix"]["file"])
        notes_sha = hashlib.sha256("".join(sums[s["notes"]] for s in meta["stems"].values()).encode()).hexdigest()
        row = {
            "id": song, "index": meta["index"], "split": meta["split"], "path": f"songs/{song}", "song_seed": meta["song_seed"],
            "genre": meta["genre"], "tempo_bpm": meta["tempo_bpm"], "key": meta["key"], "meter": meta["meter"],
            "duration_seconds": meta["duration_seconds"], "sample_rate": meta["sample_rate"], "stems": sorted(meta["stems"]),
            "sung": meta["brief"]["lyrics"] is not None, "mix_sha256": mix_sha, "notes_sha256": notes_sha,
        }
        first = seen.get(mix_sha) or seen.get(notes_sha)
        if first is not None:
            row["split"], row["duplicate_of"] = None, first
        else:
            seen[mix_sha] = seen[notes_sha] = song
        rows.append(row)
    for name in _list_names(store, "failures"):
        data = read_json(store, "failures", name)
        if isinstance(data, dict) and data.get("id") not in complete:
            failures.append(data)
    rows.sort(key=lambda r: r["index"])
    failures.sort(key=lambda r: r["index"])
    store.fs.makedirs(store.path("splits"), exist_ok=True)
    for split in SPLITS:
        ids = "".join(r["id"] + "\n" for r in rows if r["split"] == split)
        _put_atomic(store, store.path("splits", f"{split}.txt"), ids.encode())
    def lines(items) -> bytes:
        return "".join(json.dumps(x, sort_keys=True) + "\n" for x in items).encode()

    _put_atomic(store, store.path("failures.jsonl"), lines(failures))
    _put_atomic(store, store.path("index.jsonl"), lines(rows))
    counts = {split: sum(r["split"] == split for r in rows) for split in SPLITS}
    counts["duplicates"] = sum("duplicate_of" in r for r in rows)
    counts["failures"] = len(failures)
    return counts

