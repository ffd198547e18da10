"""Guide analysis: a reference recording or MIDI file -> tempo, meter, key, beats, sections, energy.

:func:`analyze_guide` reads a file (MIDI when it starts with ``MThd``, else
audio that soundfile or librosa reads) and returns a :class:`GuideAnalysis`;
``lemm.compose.planner.make_plan(brief, guide=analysis)`` plans a song on the
guide's time line.

Examples
--------
>>> from lemm.errors import LemmError
>>> try:
...     analyze_guide("/no/such/file.wav")
... except LemmError as err:
...     print(type(err).__name__)
LemmFileNotFoundError
"""

from __future__ import annotations

import os
from pathlib import Path

from lemm.compose.guide.analysis import GuideAnalysis, GuideSection
from lemm.compose.guide.audio import analyze_audio, analyze_audio_array
from lemm.compose.guide.midi import analyze_midi, analyze_score
from lemm.errors import LemmFileNotFoundError

__all__ = ["GuideAnalysis", "GuideSection", "analyze_guide", "analyze_audio", "analyze_audio_array", "analyze_midi", "analyze_score", "is_midi_file"]


def is_midi_file(path: str | os.PathLike) -> bool:
    """True if the file starts like a Standard MIDI File (``MThd``)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"MThd"
    except OSError:
        return False


def analyze_guide(path: str | os.PathLike) -> GuideAnalysis:
    """Analyse a guide file: MIDI (by content) or audio (WAV, FLAC, OGG, MP3).

    Raises
    ------
    LemmFileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is neither a Standard MIDI File nor readable audio, or a MIDI tempo is absurd.
    ScoreError
        A MIDI file without notes.
    ParameterError
        Audio shorter than 5 s, silent, or without a beat.
    """
    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"guide file {str(p)!r} does not exist or is not a file")
    if is_midi_file(p) or p.suffix.lower() in (".mid", ".midi"):
        return analyze_midi(p)
    return analyze_audio(p)
