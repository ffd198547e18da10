"""A song's own instrument presets: timbres fitted to a user's recordings, kept with the song.

A track names its sound by ``Track.preset``: a stock preset
(:func:`lemm.render.list_presets`), a drum kit, a vocal voice, or one of the
song's own presets, held in ``Song.presets`` and stored in song.json under
``"presets"`` (so the song folder renders the same anywhere, and a saved
version keeps the timbre it was rendered with). A song preset's name is its
key; it must not hide a stock name.

Examples
--------
>>> from lemm.render import Preset
>>> p = Preset(name="my_violin", description="", harmonic_amplitudes=(1.0, 0.5), attack_ms=30.0,
...            decay_ms=100.0, sustain_level=0.9, release_ms=150.0)
>>> list(check_song_presets({"my_violin": p}))
['my_violin']
>>> check_song_presets({"flute": p})
Traceback (most recent call last):
...
lemm.errors.ParameterError: song preset name must be a name that is not already a stock preset, drum kit or voice, got 'flute'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lemm.errors import ParameterError
from lemm.render.drums import list_drum_kits
from lemm.render.presets import Preset, list_presets, preset_from_dict, preset_to_dict
from lemm.vocals import VOICE_NAMES

if TYPE_CHECKING:
    from lemm.render.presets import Preset
    from lemm.score.model import Score

__all__ = ["check_song_presets", "check_song_preset_name", "reserved_preset_names", "song_presets_to_dict", "song_presets_from_dict", "check_track_presets"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def reserved_preset_names() -> set[str]:
    """Names a song preset may not take: the stock presets, the drum kits and the vocal voices."""
    return set(list_presets()) | set(list_drum_kits()) | set(VOICE_NAMES)


def check_song_preset_name(name: object, *, reserved: set[str] | None = None) -> str:
    """``name`` if it can name a song preset, else a :class:`ParameterError` saying what can.

    ``reserved`` defaults to :func:`reserved_preset_names`.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ParameterError.for_field("song preset name", name, "1..64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    if name in (reserved_preset_names() if reserved is None else reserved):
        raise ParameterError.for_field("song preset name", name, "a name that is not already a stock preset, drum kit or voice")
    return name


def check_song_presets(presets: Mapping[str, "Preset"]) -> dict[str, "Preset"]:
    """Validate a song's presets (name -> :class:`~lemm.render.Preset`); returns them as a new dict in name order.

    Raises
    ------
    ParameterError
        Not a mapping, a value that is not a Preset, a name that is not 1..64
        letters, digits, ``_ . -`` (starting with a letter or digit), a name
        that differs from the preset's own ``name``, or one that is a stock
        preset, drum kit or voice.
    """
    if not isinstance(presets, Mapping):
        raise ParameterError.for_field("song presets", type(presets).__name__, "a mapping of name -> lemm.render.Preset")
    reserved = reserved_preset_names() if presets else set()
    out: dict[str, Preset] = {}
    for name in sorted(presets, key=str):
        preset = presets[name]
        if not isinstance(preset, Preset):
            raise ParameterError.for_field(f"song preset {name!r}", type(preset).__name__, "a lemm.render.Preset")
        check_song_preset_name(name, reserved=reserved)
        if name != preset.name:
            raise ParameterError.for_field("song preset name", name, f"the preset's own name {preset.name!r}")
        out[name] = preset
    return out


def song_presets_to_dict(presets: Mapping[str, "Preset"]) -> dict[str, Any]:
    """JSON data of a song's presets: name -> the preset's dictionary (:func:`lemm.render.presets.preset_to_dict`)."""
    if not presets:
        return {}
    return {name: preset_to_dict(p) for name, p in check_song_presets(presets).items()}


def song_presets_from_dict(data: Any) -> dict[str, "Preset"]:
    """Inverse of :func:`song_presets_to_dict` (None or absent reads as no presets), validated."""
    if data is None or data == {}:
        return {}
    if not isinstance(data, dict):
        raise ParameterError.for_field("song.json presets", type(data).__name__, "an object of name -> preset")
    return check_song_presets({name: preset_from_dict(p) for name, p in data.items()})


def check_track_presets(score: "Score", presets: Mapping[str, "Preset"]) -> None:
    """Raise a :class:`ParameterError` naming the first non-vocal track whose preset is neither stock nor one of ``presets``.

    Vocal tracks are left to the singer (which checks its voices).
    """
    known = set(list_presets()) | set(list_drum_kits()) | set(presets)
    for track in score.tracks:
        if track.role != "vocal" and track.preset not in known:
            raise ParameterError.for_field(f"track {track.name!r} preset", track.preset, "one of " + ", ".join(sorted(known)))
