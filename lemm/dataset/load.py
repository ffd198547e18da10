"""Reading a data set: songs with their stems, mix, notes and metadata, each checked against its checksums.

Examples
--------
>>> import lemm.dataset
>>> for song in lemm.dataset.load("my-dataset", split="train"):  # doctest: +SKIP
...     song.stems["bass"].shape, song.notes["bass"]["pitch"][:4]
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from lemm.dataset.briefs import SPLITS
from lemm.dataset.song import CHECKSUMS
from lemm.dataset.store import open_store, read_json
from lemm.errors import FileFormatError, ParameterError

__all__ = ["DatasetSong", "load", "read_notes_csv"]


@dataclass
class DatasetSong:
    """One song of a data set.

    Attributes
    ----------
    id : str
    index : int
    split : str or None
        None for a song left out as a duplicate of an earlier one.
    metadata : dict
        metadata.json (genre, tempo, key, meter, sections, chords, stems, ...).
    sample_rate : int
    stems : dict of str to np.ndarray [shape=(2, n_samples)], float32
        At the file level: the stems sum to ``mix`` exactly.
    mix, master : np.ndarray [shape=(2, n_samples)], float32
    notes : dict of str to dict of np.ndarray
        Per stem: ``onset_seconds``, ``offset_seconds`` (float64), ``pitch``, ``velocity`` (int).
    files : dict of str to str
        Relative path -> full path (or URL path) of every file of the song (MIDI, song.json, ...).
    """

    id: str
    index: int
    split: str | None
    metadata: dict
    sample_rate: int
    stems: dict[str, np.ndarray] = field(default_factory=dict)
    mix: np.ndarray | None = None
    master: np.ndarray | None = None
    notes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def read_notes_csv(data: bytes) -> dict[str, np.ndarray]:
    """A notes/<track>.csv file's columns: onset_seconds, offset_seconds (float64), pitch, velocity (int64).

    >>> read_notes_csv(b"onset_seconds,offset_seconds,pitch,velocity\\n0.5,1.0,60,90\\n")["pitch"]
    array([60])
    """
    lines = data.decode("ascii").splitlines()
    if not lines or lines[0] != "onset_seconds,offset_seconds,pitch,velocity":
        raise FileFormatError("a notes file must start with the header onset_seconds,offset_seconds,pitch,velocity")
    rows = np.array([[float(x) for x in line.split(",")] for line in lines[1:] if line], dtype=np.float64).reshape(-1, 4)
    return {"onset_seconds": rows[:, 0], "offset_seconds": rows[:, 1], "pitch": rows[:, 2].astype(np.int64),
            "velocity": rows[:, 3].astype(np.int64)}


def _audio(data: bytes) -> tuple[np.ndarray, int]:
    import soundfile as sf

    audio, sample_rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return np.ascontiguousarray(audio.T), int(sample_rate)


def load(path: str | os.PathLike, *, split: str | None = None, audio: bool = True, verify: bool = True) -> Iterator[DatasetSong]:
    """Yield the songs listed in ``path``'s index.jsonl (a folder or fsspec URL), in index order.

    Parameters
    ----------
    path : path or str
        The data set (``--out`` of ``lemm dataset generate``).
    split : str or None
        ``"train"``, ``"validation"`` or ``"test"``; None yields every song (duplicates included).
    audio : bool
        Read the stems, mix and master (False: metadata, notes and file paths only).
    verify : bool
        Check every file read against the song's checksums.json.

    Raises
    ------
    FileFormatError
        No index.jsonl (run ``lemm dataset index DIR``), or a file that fails its
        checksum (run ``lemm dataset generate`` again with the same options: it remakes the song).
    ParameterError
        An unknown split.
    """
    if split is not None and split not in SPLITS:
        raise ParameterError.for_field("split", split, "one of " + ", ".join(SPLITS) + " or None")
    store = open_store(path)
    try:
        index_text = store.fs.cat_file(store.path("index.jsonl")).decode("utf-8")
    except FileNotFoundError:
        raise FileFormatError(f"{store.url!r} has no index.jsonl: make one with `lemm dataset index {store.url}`") from None
    for line in index_text.splitlines():
        row = json.loads(line)
        if split is not None and row["split"] != split:
            continue
        yield _read_song(store, row, audio=audio, verify=verify)


def _read_song(store, row: dict, *, audio: bool, verify: bool) -> DatasetSong:
    sums = read_json(store, row["path"], CHECKSUMS)
    if not isinstance(sums, dict):
        raise FileFormatError(f"song {row['id']} in {store.url!r} has no readable {CHECKSUMS}: run generate again to remake it")

    def read(rel: str) -> bytes:
        try:
            data = store.fs.cat_file(store.path(row["path"], rel))
        except FileNotFoundError:
            raise FileFormatError(f"song {row['id']} in {store.url!r} has no file {rel}: run generate again to remake it") from None
        if verify and hashlib.sha256(data).hexdigest() != sums.get(rel):
            raise FileFormatError(f"song {row['id']} file {rel} fails its checksum: run generate again to remake it")
        return data

    meta = json.loads(read("metadata.json"))
    song = DatasetSong(id=row["id"], index=row["index"], split=row["split"], metadata=meta, sample_rate=meta["sample_rate"],
                       files={rel: store.path(row["path"], rel) for rel in sums})
    for name, stem in meta["stems"].items():
        song.notes[name] = read_notes_csv(read(stem["notes"]))
        if audio:
            song.stems[name] = _audio(read(stem["file"]))[0]
    if audio:
        song.mix = _audio(read(meta["mix"]["file"]))[0]
        song.master = _audio(read(meta["master"]["file"]))[0]
    return song
