"""Printed files of a song folder: each track as mixed, and the shared returns, so DAW projects sound like ``mix.wav``.

::

    printed/<track>.wav          the stem after lemm's channel strip (gain, high-pass,
                                 EQ, compressor, ducking, pan), stereo
    printed/returns/reverb.wav   the reverb return as mixed (its send levels and return level in)
    printed/returns/delay.wav    the delay return as mixed

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
[('printed/bass.wav', 0.98)]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lemm.export.common import PrintedFile
from lemm.io.audio import write_audio

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
        16, 24 or 32 (float).
    mix_gain_db : float
        The gain ``mix.wav`` was written with (its headroom trim, <= 0).

    Returns
    -------
    tuple of PrintedFile
        The strips in the stems' order, then the returns. Files of tracks no
        longer in ``stems`` are removed.

    Raises
    ------
    ParameterError
        As :func:`lemm.mix.printed.printed_strips`.
    """
    from lemm.mix.printed import printed_strips
    from lemm.project.folder import headroom_trim_db

    strips, returns = printed_strips(stems, mix_settings, sample_rate=sample_rate)
    base = Path(folder)
    (base / PRINTED_FOLDER / "returns").mkdir(parents=True, exist_ok=True)
    items = [(name, f"{PRINTED_FOLDER}/{name}.wav", audio, False) for name, audio in strips.items()]
    items += [(name, f"{PRINTED_FOLDER}/returns/{name.split()[0]}.wav", audio, True) for name, audio in returns.items()]
    out = []
    for name, relative, audio, is_return in items:
        trim = headroom_trim_db(audio)
        scaled = audio if trim == 0.0 else (audio * np.float32(10.0 ** (trim / 20.0))).astype(np.float32)
        write_audio(base / relative, scaled, sample_rate=sample_rate, bit_depth=bit_depth)
        out.append(PrintedFile(name, relative, int(audio.shape[1]), sample_rate, int(audio.shape[0]),
                               gain_db=float(mix_gain_db) - trim, is_return=is_return))
    keep = {base / relative for _, relative, _, _ in items}
    for stale in list((base / PRINTED_FOLDER).glob("*.wav")) + list((base / PRINTED_FOLDER / "returns").glob("*.wav")):
        if stale not in keep:
            stale.unlink()
    return tuple(out)
