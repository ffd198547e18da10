"""A folder of processed channel strips keyed by what they are made of, so a re-mix re-processes only what changed.

A channel strip (:func:`lemm.mix.mixer.channel_strip`) is a function of its
stem's samples, the track's :class:`~lemm.mix.settings.TrackMix` (but its send
levels, which act after the strip), the sample rate and, for a ducked track,
the sidechain source's samples with the ducking depth and release.
:func:`strip_key` hashes exactly those, so after ``lemm regen`` of one
(track, section) only that track's strip (and those ducked by it) is processed
again; the mixer sums the others from here, in its own order, so the mix is
bit-identical to one made without the cache.

The shared reverb and delay returns are kept the same way (:func:`return_key`:
their send bus's samples and the effect's settings), so an edit of a track that
sends to neither does not convolve them again.

The cache is a plain folder (a song folder's ``cache/strips/``) of
``<key>.npz`` files, each a strip (or return) and a SHA-256 over the key, the shape and the samples' CRC-32
(a check against damage, not tampering; CRC-32 runs at twice SHA-256's speed over a song-length strip);
an entry is used only when that hash checks out (a damaged one is processed
again and the event logged, logger ``lemm.mix.strip_cache``). Only files named
``<32 hex digits>.npz`` are lemm's: pruning leaves anything else alone. The
folder is safe to delete.

Examples
--------
>>> import tempfile
>>> cache = StripCache(tempfile.mkdtemp())
>>> key = strip_key(stem_digest(np.zeros((2, 8), np.float32)), TrackMix(), sample_rate=48000)
>>> cache.put(key, np.ones((2, 8), np.float32))
>>> cache.get(key).shape, cache.get("0" * 32) is None
((2, 8), True)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np

from lemm.io.npz_cache import entry_path, prune_entries, read_entry, write_entry
from lemm.mix.settings import TrackMix
from lemm.version import __version__

__all__ = ["StripCache", "CachedStrips", "strip_key", "return_key", "stem_digest", "STRIPS_FOLDER", "STRIP_ALGORITHM"]

#: The strip cache's folder inside a render cache folder (``cache/strips``).
STRIPS_FOLDER = "strips"

log = logging.getLogger(__name__)

#: How a channel strip is computed, in its key and a return's: raised when the same inputs give other samples
#: or the entry's check changes (2, session 13: the spread and the reverb by overlap-add, the check by CRC-32), so a song
#: folder's older entries are not mixed with new strips.
STRIP_ALGORITHM = 2

#: TrackMix fields that act after the strip (in the mixer's send buses): not part of a strip's key.
_AFTER_STRIP = ("reverb_send_db", "delay_send_db")


def stem_digest(audio: np.ndarray) -> str:
    """SHA-256 (hex) of a stem's float32 samples and shape: the stem's part of a :func:`strip_key`."""
    a = np.ascontiguousarray(audio, dtype=np.float32)
    h = hashlib.sha256(f"{a.shape}".encode("ascii"))
    h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def strip_key(
    stem: str, track: TrackMix, *, sample_rate: int, duck_source: str | None = None
) -> str:
    """The cache key of a channel strip: a hash of all it is made of (32 hex digits).

    Parameters
    ----------
    stem : str
        :func:`stem_digest` of the stem.
    track : TrackMix
        The track's settings; its send levels are left out (they act after the strip).
    sample_rate : int
        Hz.
    duck_source : str or None
        :func:`stem_digest` of the sidechain source where the track is ducked
        (its depth and release are in ``track``), else None.
    """
    settings = dataclasses.asdict(track)
    for name in _AFTER_STRIP:
        settings.pop(name)
    if duck_source is None:
        settings.pop("sidechain_source")  # a name says nothing of the audio; the source's digest does
    else:
        settings["sidechain_source"] = duck_source
    payload = {"version": __version__, "kind": "channel strip", "algorithm": STRIP_ALGORITHM, "stem": stem, "track": settings,
               "sample_rate": int(sample_rate)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def return_key(name: str, bus: str, effect: dict, *, sample_rate: int) -> str:
    """The cache key of a shared return (32 hex digits): its name, its send bus's :func:`stem_digest`, its effect's settings."""
    text = json.dumps({"version": __version__, "kind": name, "algorithm": STRIP_ALGORITHM, "bus": bus, "effect": effect,
                       "sample_rate": int(sample_rate)},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _digest(key: str, audio: np.ndarray) -> str:
    """An entry's check: SHA-256 of its key, shape and the CRC-32 of its samples (``audio`` C-contiguous)."""
    crc = zlib.crc32(memoryview(audio).cast("B"))
    return hashlib.sha256(f"{key}:{audio.shape}:crc32={crc:08x}".encode("ascii")).hexdigest()


class StripCache:
    """A folder of channel strips keyed by :func:`strip_key` (safe to delete; see the module docstring)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return entry_path(self.folder, key)

    def has(self, key: str) -> bool:
        """Whether an entry for ``key`` is there (not yet checked: :meth:`get` checks)."""
        return self._path(key).is_file()

    def get(self, key: str) -> np.ndarray | None:
        """The cached strip [shape=(2, n_samples)] float32, or None (also for an entry whose hash does not check out)."""
        path = self._path(key)
        data = read_entry(path, ("audio",), what="strip cache")
        if data is None:
            return None
        audio = np.ascontiguousarray(data["audio"], dtype=np.float32)
        if audio.ndim != 2 or _digest(key, audio) != data["sha256"]:
            log.warning("strip cache entry %s does not match its hash (damaged or changed): processing the strip again", path)
            return None
        return audio

    def put(self, key: str, audio: np.ndarray) -> None:
        """Store a strip atomically, with its hash."""
        a = np.ascontiguousarray(audio, dtype=np.float32)
        write_entry(self._path(key), {"audio": a}, sha256=_digest(key, a))

    def prune(self, keep: set[str]) -> int:
        """Remove entries (files named ``<32 hex digits>.npz``) whose key is not in ``keep``; returns how many were removed."""
        return prune_entries(self.folder, keep=keep)


class CachedStrips(Mapping):
    """A mix's channel strips, read from a :class:`StripCache` one at a time when asked for, not held in memory.

    A strip whose entry is gone or damaged by then is made again by ``make(name)``
    (the same strip: :func:`lemm.mix.mixer.channel_strip` of the same stem and settings).

    Parameters
    ----------
    cache : StripCache
    keys : dict[str, str]
        Strip key by track name, for the strips in the cache.
    names : list of str
        Every track, in the stems' order (muted ones, which are not cached, too).
    make : callable
        ``make(name) -> np.ndarray [shape=(2, n_samples)]``.
    """

    def __init__(self, cache: StripCache, keys: dict[str, str], names: list[str], make: Callable[[str], np.ndarray]) -> None:
        self._cache, self._keys, self._names, self._make = cache, dict(keys), list(names), make

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        out = self._cache.get(self._keys[name]) if name in self._keys else None
        return self._make(name) if out is None else out

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
