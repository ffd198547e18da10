"""The brief: what a person asks for (prompt, tags, lyrics, length, seed).

Examples
--------
>>> parse_duration("3:30")
210.0
>>> parse_duration("90")
90.0
>>> b = Brief(prompt="dreamy synth pop", tags=("pop",), duration_seconds=45.0, seed=3)
>>> b.tags
('pop',)
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lemm.errors import FileFormatError, LemmFileNotFoundError, ParameterError
from lemm.limits import MAX_LYRICS_FILE_BYTES, check_brief, check_file_size
from lemm.seeding import check_seed

__all__ = ["Brief", "parse_duration", "read_lyrics_file", "MIN_DURATION_SECONDS", "MAX_DURATION_SECONDS"]

MIN_DURATION_SECONDS = 10.0
MAX_DURATION_SECONDS = 600.0
_DURATION_ACCEPTED = 'a length like "3:30", "2:05" or "95" (seconds), between 0:10 and 10:00'


def parse_duration(text: str | float | int) -> float:
    """Parse ``"M:SS"`` or plain seconds into seconds (float), within 0:10..10:00.

    Raises
    ------
    ParameterError
        For anything else (``"0:00"``, ``"banana"``, ``"-1"``, ``"99:99"``).
    """
    if isinstance(text, bool):
        raise ParameterError.for_field("duration", text, _DURATION_ACCEPTED)
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        s = str(text).strip()
        m = re.fullmatch(r"(\d{1,2}):([0-5]\d)", s)
        if m:
            seconds = int(m.group(1)) * 60 + int(m.group(2))
        elif re.fullmatch(r"\d+(\.\d+)?", s):
            seconds = float(s)
        else:
            raise ParameterError.for_field("duration", text, _DURATION_ACCEPTED)
    if not math.isfinite(seconds) or not MIN_DURATION_SECONDS <= seconds <= MAX_DURATION_SECONDS:
        raise ParameterError.for_field("duration", text, _DURATION_ACCEPTED)
    return float(seconds)


def read_lyrics_file(path: str | os.PathLike) -> str:
    """Read a UTF-8 lyrics file (line ends made ``\\n``); a clear LemmError if it is missing, too big or not text.

    The text is checked with the brief (:func:`lemm.limits.check_brief`): control characters are refused.
    """
    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"lyrics file {str(p)!r} does not exist or is not a file")
    check_file_size(p, MAX_LYRICS_FILE_BYTES, "MAX_LYRICS_FILE_BYTES", what="lyrics file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FileFormatError(f"lyrics file {str(p)!r} must be readable UTF-8 text: {err}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")  # Windows line ends, a byte-order mark


@dataclass(frozen=True)
class Brief:
    """Everything a person gives lemm to make a song.

    Parameters
    ----------
    prompt : str
        Free text ("a dreamy synth-pop song in D minor, 100 bpm"); may be empty.
    tags : tuple[str, ...]
        Genre and mood tags; the first known genre tag picks the profile.
    lyrics : str or None
        Lyrics text, one sung line per line, blank lines between stanzas.
    duration_seconds : float
        Requested length, 10..600 s.
    seed : int
        Seed of every random choice, 0..2**32-1.
    """

    prompt: str = ""
    tags: tuple[str, ...] = ()
    lyrics: str | None = None
    duration_seconds: float = 210.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str):
            raise ParameterError.for_field("prompt", self.prompt, "a string")
        if not isinstance(self.tags, tuple) or not all(isinstance(t, str) for t in self.tags):
            raise ParameterError.for_field("tags", self.tags, "a tuple of strings")
        if self.lyrics is not None and not isinstance(self.lyrics, str):
            raise ParameterError.for_field("lyrics", self.lyrics, "None or a string")
        parse_duration(self.duration_seconds)
        check_seed(self.seed)
        check_brief(self)
