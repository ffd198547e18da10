"""Printed files of a song folder: each track as mixed, and the shared returns, so DAW projects sound like ``mix.wav``.

::

    printed/<track>.flac          the stem after lemm's channel strip (gain, high-pass,
                                  EQ, compressor, ducking, pan), stereo
    printed/returns/reverb.flac   the reverb return as mixed (its send levels and return level in)
    printed/returns/delay.flac    the delay return as mixed

The files are FLAC (lossless, 16 or 24 bits as the song's ``bit_depth``; a
32-bit float song gets WAV, which FLAC cannot hold): REAPER, Bitwig, Studio One
and Cubase read FLAC; both DAW projects play these files, and a packed
``.dawproject`` (:func:`lemm.export.pack_dawproject`) stores these same bytes (no
second encoding). Each file is encoded on one of two threads (libsndfile's
encoder runs without the GIL; ``n_workers``) and written atomically.

Each file is written turned down to a -1 dBFS peak where louder (a 24-bit file
must not clip), and its :class:`~lemm.export.common.PrintedFile` carries the
fader gain (``mix_gain_db - trim``) that brings it back to its level in
``mix.wav``; the DAW projects set the printed tracks' faders to it, so their
unmuted tracks sum to ``mix.wav`` (which is itself written with ``mix_gain_db``).

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from lemm.mix.settings import MixSettings, TrackMix
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> stems = {"bass": np.full((2, 4800), 0.5, np.float32)}
>>> files = write_printed(folder, stems, MixSettings(tracks={"bass": TrackMix(gain_db=6.0)}), sample_rate=48000)
>>> [(f.relative_path, round(f.gain_db, 2)) for f in files]
[('printed/bass.flac', 0.98)]
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from lemm.errors import ParameterError
from lemm.export.common import FLAC_COMPRESSION_LEVEL, PrintedFile, audio_content_key, compact_suffix, headroom_trim_db, trim_for_peak
from lemm.io.audio import encode_to_file
from lemm.mix.mixer import strip_keys_of
from lemm.mix.printed import printed_strips
from lemm.units import db_to_gain

__all__ = ["PRINTED_FOLDER", "write_printed"]

#: Folder of the printed files inside a song folder.
PRINTED_FOLDER = "printed"


def write_printed(
    folder: str | os.PathLike,
    stems: Mapping[str, np.ndarray],
    mix_settings: object,
    *,
    sample_rate: int,
    bit_depth: int = 24,
    mix_gain_db: float = 0.0,
    parts: object | None = None,
    reuse: Callable[[str, str], bool] | None = None,
    stop: threading.Event | None = None,
    n_workers: int = 2,
    slots: threading.Semaphore | None = None,
) -> tuple[PrintedFile, ...]:
    """Print every stem and return through the mix settings into ``folder/printed/`` (each file atomically).

    Parameters
    ----------
    folder : path
        The song folder.
    stems : mapping of str to np.ndarray [shape=(n_channels, n_samples)]
        The dry stems at their mix level (before any file trim), as the mixer takes them.
    mix_settings : lemm.mix.MixSettings
        The settings the mix was made with.
    sample_rate : int
        Hz.
    bit_depth : int
        16, 24 (FLAC files) or 32 (float WAV files).
    mix_gain_db : float
        The gain ``mix.wav`` was written with (its headroom trim, <= 0).
    parts : lemm.mix.mixer.MixParts, optional
        What :func:`lemm.mix.mixer.mix_with_strips` kept of the mix of these stems
        with these settings: its strips are not computed again (same files).
    reuse : callable, optional
        ``reuse(relative_path, content_key) -> bool``: called for each file with
        its :func:`lemm.export.common.audio_content_key`; where it returns True
        (it has put the unchanged file in place) the file is not encoded again.
    stop : threading.Event, optional
        Set by another writer that failed (:class:`lemm.io.background.BackgroundWrites`):
        the files not yet started are skipped (the caller raises that writer's error).
    n_workers : int
        Files encoded side by side (each holds its strip's samples while it is
        encoded); the files do not depend on it.
    slots : threading.Semaphore, optional
        Each file is read and encoded holding one of its slots: a song folder's
        write, which prints beside the master, gives one slot (the master's memory
        is the peak) and adds the second when the master is done.

    Returns
    -------
    tuple of PrintedFile
        The strips in the stems' order, then the returns. Files of tracks no
        longer in ``stems`` are removed.

    Raises
    ------
    ParameterError
        As :func:`lemm.mix.printed.printed_strips`, or a bad ``bit_depth``.
    """
    if bit_depth not in (16, 24, 32) or isinstance(bit_depth, bool):
        raise ParameterError.for_field("bit_depth", bit_depth, "16, 24 or 32")
    strips, returns = printed_strips(stems, mix_settings, sample_rate=sample_rate, parts=parts)
    base = Path(folder)
    (base / PRINTED_FOLDER / "returns").mkdir(parents=True, exist_ok=True)
    suffix = compact_suffix(bit_depth)
    # (name, file, is_return): each strip or return is read from ``strips`` or ``returns`` when written, one per thread at a time
    items = [(name, f"{PRINTED_FOLDER}/{name}{suffix}", False) for name in strips]
    items += [(name, f"{PRINTED_FOLDER}/returns/{name.split()[0]}{suffix}", True) for name in returns]
    # strip keys name the strips' samples exactly: the content keys are made of them (the mix's where it kept them)
    strip_keys = parts.strip_keys if parts is not None and strips is parts.strips else {}
    strip_peaks = parts.strip_peaks if strip_keys else {}
    if not strip_keys and reuse is not None:
        strip_keys = strip_keys_of(stems, mix_settings, sample_rate=sample_rate)[1]
    n_samples = next(iter(stems.values())).shape[-1]
    trims: list[float] = [0.0] * len(items)
    shapes: list[tuple[int, ...]] = [()] * len(items)

    def write(index: int) -> None:
        with slots if slots is not None else contextlib.nullcontext():
            if stop is None or not stop.is_set():
                write_one(index)

    def write_one(index: int) -> None:
        name, relative, is_return = items[index]
        source = returns if is_return else strips  # each read when written (from a strip cache or a stem store: one at a time)
        samples_key = None if is_return else strip_keys.get(name)
        audio = None
        if samples_key is not None and name in strip_peaks:  # named and measured by the mix: read only if written
            trims[index], shapes[index] = trim_for_peak(strip_peaks[name]), (2, n_samples)
        else:
            audio = source[name]
            trims[index], shapes[index] = headroom_trim_db(audio), audio.shape
        if reuse is not None:
            kind = "flac" if suffix == ".flac" else "wav"
            if reuse(relative, audio_content_key(audio, kind=f"printed-{kind}", trim_db=trims[index], sample_rate=sample_rate,
                                                 bit_depth=bit_depth, samples_key=samples_key, shape=shapes[index])):
                return
        audio = source[name] if audio is None else audio
        gain = None if trims[index] == 0.0 else db_to_gain(trims[index])
        # as lemm.io.audio.write_audio encodes them, by blocks straight into the file (encode_audio's bytes)
        encode_to_file(base / relative, audio, sample_rate=sample_rate, bit_depth=bit_depth, gain=gain,
                       compression_level=FLAC_COMPRESSION_LEVEL if suffix == ".flac" else None)

    with ThreadPoolExecutor(max_workers=max(1, int(n_workers))) as pool:
        list(pool.map(write, range(len(items))))
    out = [PrintedFile(name, relative, int(shape[1]), sample_rate, int(shape[0]), gain_db=float(mix_gain_db) - trim, is_return=is_return)
           for (name, relative, is_return), trim, shape in zip(items, trims, shapes, strict=True)]
    keep = {base / relative for _, relative, _ in items}
    for folder_path in (base / PRINTED_FOLDER, base / PRINTED_FOLDER / "returns"):
        for stale in list(folder_path.glob("*.wav")) + list(folder_path.glob("*.flac")):
            if stale not in keep:
                stale.unlink()  # a removed track, or the other format of an older folder
    return tuple(out)
