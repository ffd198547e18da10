"""Loudness targets and lemm's genre tilt curves.

Targets (integrated loudness, true-peak ceiling):

============  =========  ========
name          LUFS       dBTP
============  =========  ========
streaming     -14        -1.0     (default: Spotify, YouTube, Tidal)
apple         -16        -1.0     (Apple Music, podcasts)
loud          -9         -1.0     (club / "competitive" masters)
broadcast     -23        -1.0     (EBU R 128)
============  =========  ========

A number (or a numeric string such as ``"-12"``) is a custom target in LUFS
with a -1 dBTP ceiling.

:data:`GENRE_TILT_DB_PER_OCTAVE` is lemm's own set of reference curves: the
spectral tilt (dB per octave of 1/3-octave band energy, 100 Hz..10 kHz; see
:func:`lemm.mix.spectrum.spectral_tilt`) the master's tilt EQ moves toward.
Bass-heavy genres sit lower (darker), bright acoustic ones higher.

Examples
--------
>>> resolve_target("apple")
(-16.0, -1.0)
>>> resolve_target("-12")
(-12.0, -1.0)
>>> from lemm.mix.settings import MixSettings
>>> settings_for_target(MixSettings(), "broadcast").master.target_lufs
-23.0
>>> tilt_target_for_genre("hip hop")
-5.5
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from lemm.errors import ParameterError
from lemm.mix.settings import MixSettings

__all__ = ["TARGETS", "GENRE_TILT_DB_PER_OCTAVE", "resolve_target", "settings_for_target", "tilt_target_for_genre"]

#: name -> (integrated loudness LUFS, true-peak ceiling dBTP)
TARGETS: Mapping[str, tuple[float, float]] = {
    "streaming": (-14.0, -1.0),
    "apple": (-16.0, -1.0),
    "loud": (-9.0, -1.0),
    "broadcast": (-23.0, -1.0),
}

#: genre -> target spectral tilt in dB per octave (lemm's own curves).
GENRE_TILT_DB_PER_OCTAVE: Mapping[str, float] = {
    "default": -4.5,
    "pop": -4.0,
    "rock": -4.0,
    "metal": -3.5,
    "electronic": -5.0,
    "edm": -5.0,
    "house": -5.0,
    "hip hop": -5.5,
    "hiphop": -5.5,
    "rnb": -5.0,
    "jazz": -4.5,
    "classical": -5.0,
    "folk": -4.0,
    "acoustic": -4.0,
    "ambient": -5.0,
    "lofi": -5.5,
}


def resolve_target(target: str | float | int) -> tuple[float, float]:
    """``(target_lufs, ceiling_dbtp)`` for a target name, a number of LUFS, or a numeric string.

    Raises
    ------
    ParameterError
        Unknown name, or a number outside -60..-1 LUFS.
    """
    if isinstance(target, str) and target.strip().lower() in TARGETS:
        return TARGETS[target.strip().lower()]
    value = target
    if isinstance(target, str):
        try:
            value = float(target)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not -60.0 <= value <= -1.0:
        raise ParameterError.for_field("target", target, f"one of {', '.join(TARGETS)} or a loudness in -60..-1 LUFS")
    return float(value), -1.0


def settings_for_target(settings: MixSettings, target: str | float | int) -> MixSettings:
    """A copy of ``settings`` whose master aims at ``target`` (see :func:`resolve_target`)."""
    if not isinstance(settings, MixSettings):
        raise ParameterError.for_field("settings", type(settings).__name__, "a MixSettings")
    lufs, ceiling = resolve_target(target)
    return dataclasses.replace(settings, master=dataclasses.replace(settings.master, target_lufs=lufs, ceiling_dbtp=ceiling))


def tilt_target_for_genre(genre: str | None) -> float:
    """Target tilt (dB/octave) for a genre name or tag; the default curve for unknown genres."""
    key = (genre or "default").strip().lower().replace("-", " ").replace("_", " ")
    return GENRE_TILT_DB_PER_OCTAVE.get(key, GENRE_TILT_DB_PER_OCTAVE.get(key.replace(" ", ""), GENRE_TILT_DB_PER_OCTAVE["default"]))
