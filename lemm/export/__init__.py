"""lemm.export: DAW project files written into a song folder, next to its stems.

- :mod:`lemm.export.reaper`: ``song.rpp`` (REAPER), stems on tracks, one region
  per section, the tempo map as a tempo envelope, optional in-project MIDI.
- :mod:`lemm.export.dawproject`: ``song.dawproject`` (Bitwig's open format,
  read by Bitwig Studio, Studio One, Cubase 14), checked against the format's XSDs.
- :mod:`lemm.export.common`: stem facts (:class:`StemInfo`), channel levels, tempo points.

Both files refer to ``stems/<track>.wav`` by relative path, so the folder can be moved.

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

from lemm.export.common import StemInfo, read_stem_infos
from lemm.export.dawproject import dawproject_bytes, dawproject_xml, schema_errors, write_dawproject
from lemm.export.reaper import rpp_text, write_rpp
from lemm.io.atomic import atomic_write_bytes, atomic_write_text

__all__ = [
    "write_daw_projects",
    "write_rpp",
    "write_dawproject",
    "rpp_text",
    "dawproject_xml",
    "dawproject_bytes",
    "schema_errors",
    "StemInfo",
    "read_stem_infos",
]


def write_daw_projects(
    song_or_score: object,
    folder: str | os.PathLike,
    *,
    stem_names: Sequence[str],
    mix_settings: object | None = None,
    midi_tracks: bool = False,
) -> list[Path]:
    """Write ``folder/song.rpp`` and ``folder/song.dawproject`` for the stems in ``folder/stems/``.

    Both are built in memory first and only then written (each atomically), so
    bad input leaves the folder untouched.

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
        Also give the REAPER project one in-project MIDI track per stem track with notes.

    Returns
    -------
    list of Path
        ``[folder/song.rpp, folder/song.dawproject]``.

    Raises
    ------
    LemmFileNotFoundError
        A stem file is missing.
    ScoreError
        The score has no tracks, or a stem name is not a track of the score.
    ParameterError
        Empty or repeated stem names, or bad ``mix_settings``.
    """
    stems = read_stem_infos(folder, stem_names)
    text = rpp_text(song_or_score, stems=stems, mix_settings=mix_settings, midi_tracks=midi_tracks)
    data = dawproject_bytes(song_or_score, stems=stems, mix_settings=mix_settings)
    out = Path(folder)
    return [atomic_write_text(out / "song.rpp", text), atomic_write_bytes(out / "song.dawproject", data)]
