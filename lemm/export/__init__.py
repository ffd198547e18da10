"""lemm.export: DAW project files written into a song folder, next to its stems.

- :mod:`lemm.export.reaper`: ``song.rpp`` (REAPER), stems on tracks, one region
  per section, the tempo map as a tempo envelope, optional in-project MIDI.
- :mod:`lemm.export.dawproject`: ``song.dawproject`` (Bitwig's open format,
  read by Bitwig Studio, Studio One, Cubase 14), checked against the format's XSDs.
- :mod:`lemm.export.printed`: ``printed/<track>.flac`` and ``printed/returns/*.flac``,
  each track and shared return as lemm's mixer made it, so the projects sum to ``mix.wav``.
- :mod:`lemm.export.common`: stem facts (:class:`StemInfo`, :class:`PrintedFile`),
  the project's track list, channel levels, tempo points.

Both projects refer to the same audio files of the folder by relative path
(``stems/<name>.wav``, ``printed/...``: the folder can be moved as a whole);
:func:`pack_dawproject` (``lemm export DIR -o FILE.dawproject``) makes a
``.dawproject`` with its audio inside, as FLAC, to send as one file.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from lemm.io.audio import write_audio
>>> from lemm.score.model import Score, Track
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> score = Score(tracks=(Track(name="bass", role="bass", preset="bass"),))
>>> _ = write_audio(folder / "stems" / "bass.wav", np.zeros((2, 4800), np.float32), sample_rate=48000)
>>> [p.name for p in write_daw_projects(score, folder, stem_names=["bass"])]
['song.rpp', 'song.dawproject']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lemm.export.common import PrintedFile, StemInfo, read_stem_infos
from lemm.export.dawproject import dawproject_bytes, dawproject_xml, pack_dawproject, schema_errors, write_dawproject, write_project_file
from lemm.export.printed import write_printed
from lemm.export.reaper import rpp_text, write_rpp
from lemm.io.atomic import atomic_write_text

__all__ = [
    "PrintedFile",
    "StemInfo",
    "dawproject_bytes",
    "dawproject_xml",
    "pack_dawproject",
    "read_stem_infos",
    "rpp_text",
    "schema_errors",
    "write_daw_projects",
    "write_dawproject",
    "write_printed",
    "write_rpp",
]


def write_daw_projects(
    song_or_score: object,
    folder: str | os.PathLike,
    *,
    stem_names: Sequence[str],
    mix_settings: object | None = None,
    midi_tracks: bool = True,
    printed: Sequence[PrintedFile] = (),
    embed_audio: bool = False,
) -> list[Path]:
    """Write ``folder/song.rpp`` and ``folder/song.dawproject`` for the stems in ``folder/stems/``.

    The REAPER project is built in memory first, then each file is written
    atomically, so bad input leaves the folder untouched.

    Parameters
    ----------
    song_or_score : Score or Song
    folder : path
        The song folder; ``stems/<name>.wav`` must already exist for every name.
    stem_names : sequence of str
        Track names, one DAW track each, in this order.
    mix_settings : lemm.mix.MixSettings or None
        Fader gain / pan / mute per track; else the score's hints.
    midi_tracks : bool
        Also give both projects a muted MIDI / notes track per part with notes.
    printed : sequence of PrintedFile
        The printed strips and returns already in ``folder/printed/``
        (:func:`lemm.export.printed.write_printed`); with them the projects sum to ``mix.wav``.
    embed_audio : bool
        Refer to the folder's audio files from the ``.dawproject`` (default: the
        same files the ``.rpp`` plays) or put them inside it (see :func:`write_dawproject`).

    Returns
    -------
    list of Path
        ``[folder/song.rpp, folder/song.dawproject]``.

    Raises
    ------
    LemmFileNotFoundError
        A stem or printed file is missing.
    ScoreError
        The score has no tracks, or a stem name is not a track of the score.
    ParameterError
        Empty or repeated stem names, or bad ``mix_settings``.
    """
    stems = read_stem_infos(folder, stem_names)
    text = rpp_text(song_or_score, stems=stems, mix_settings=mix_settings, midi_tracks=midi_tracks, printed=printed)
    documents = dawproject_xml(song_or_score, stems=stems, mix_settings=mix_settings, printed=printed, midi_tracks=midi_tracks,
                               embed_audio=embed_audio)  # both made (and checked) before either file is written
    out = Path(folder)
    rpp_path = atomic_write_text(out / "song.rpp", text)
    dp_path = write_project_file(song_or_score, out, documents, stems=stems, mix_settings=mix_settings, printed=printed,
                                 embed_audio=embed_audio)
    return [rpp_path, dp_path]
