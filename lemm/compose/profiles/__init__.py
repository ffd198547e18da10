"""Genre profiles: one readable JSON file per genre in this folder.

A profile says how a genre usually goes: tempo range, meters, swing, forms as
sequences of section kinds, bars per section kind, the parts that play
(track name, role, preset, GM program, playing style, the bar energy at which
the part enters, optionally the section kinds it plays in), chord progressions per mode and section kind as Roman
numerals, the drum groove and bass pattern families, and the energy of each
section kind.

JSON layout (keys of each file)
-------------------------------
``name``, ``aliases`` (words that pick the genre), ``tempo_bpm`` [low, high],
``meters`` (e.g. ``["4/4"]``), ``swing`` (0..0.5), ``swing_unit`` (8 or 16),
``modes`` ({"major": weight, "minor": weight}), ``keys_major`` / ``keys_minor``
(tonics to draw from), ``forms`` (lists of section kinds), ``extend`` (blocks of
kinds inserted to make long songs), ``section_bars`` ({kind: bars}),
``energy`` ({kind: 0..1}), ``parts`` (list of parts), ``lead_preset``,
``voice``, ``drum_groove``, ``bass_pattern``, ``harmonic_rhythm_bars`` (bars per
progression entry), ``progressions`` ({"major"|"minor": {kind: [[bar, ...], ...]}};
a bar holds one numeral, or two separated by a space for half bars),
``cadence`` ({"major"|"minor": numeral of the dominant used at section ends}).

Examples
--------
>>> "pop" in list_genres()
True
>>> p = load_profile("rock")
>>> p.tempo_bpm[0] < p.tempo_bpm[1]
True
>>> genre_for_word("House")
'edm'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from lemm.compose.instruments import PRESET_PROGRAMS, PartSpec
from lemm.errors import FileFormatError, ParameterError
from lemm.score.model import SECTION_KINDS

__all__ = ["GenreProfile", "list_genres", "load_profile", "genre_for_word", "PROFILE_DIR"]

PROFILE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class GenreProfile:
    """A genre profile as read from its JSON file (see the module docstring for the fields)."""

    name: str
    aliases: tuple[str, ...]
    tempo_bpm: tuple[float, float]
    meters: tuple[tuple[int, int], ...]
    swing: float
    swing_unit: int
    modes: Mapping[str, float]
    keys_major: tuple[str, ...]
    keys_minor: tuple[str, ...]
    forms: tuple[tuple[str, ...], ...]
    extend: tuple[tuple[str, ...], ...]
    section_bars: Mapping[str, int]
    energy: Mapping[str, float]
    parts: tuple[PartSpec, ...]
    lead_preset: str
    voice: str
    drum_groove: str
    bass_pattern: str
    harmonic_rhythm_bars: int
    progressions: Mapping[str, Mapping[str, tuple[tuple[str, ...], ...]]]
    cadence: Mapping[str, str]

    def part(self, name: str) -> PartSpec | None:
        """The profile's part called ``name``, or None."""
        for p in self.parts:
            if p.name == name:
                return p
        return None

    def progression_options(self, mode: str, kind: str) -> tuple[tuple[str, ...], ...]:
        """Progressions for a section kind, falling back to related kinds, then to the verse."""
        table = self.progressions[mode]
        for k in (kind,) + _FALLBACK_KINDS.get(kind, ()) + ("verse",):
            if k in table:
                return table[k]
        return next(iter(table.values()))


_FALLBACK_KINDS = {
    "intro": ("chorus",),
    "outro": ("chorus",),
    "post-chorus": ("chorus",),
    "drop": ("chorus",),
    "break": ("bridge", "verse"),
    "pre-chorus": ("bridge",),
    "bridge": ("pre-chorus",),
}


def list_genres() -> list[str]:
    """Names of the genre profiles shipped with lemm, sorted."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.json"))


def _bad(name: str, key: str, value: object, accepted: str) -> FileFormatError:
    return FileFormatError(f"genre profile {name!r}: {key} must be {accepted}, got {value!r}")


def _parse(name: str, raw: dict) -> GenreProfile:
    try:
        meters = tuple(tuple(int(x) for x in m.split("/")) for m in raw["meters"])
        for kind_list in list(raw["forms"]) + list(raw["extend"]):
            for k in kind_list:
                if k not in SECTION_KINDS:
                    raise _bad(name, "forms", k, f"a section kind ({', '.join(SECTION_KINDS)})")
        for part in raw["parts"]:
            for k in part.get("sections", ()):
                if k not in SECTION_KINDS:
                    raise _bad(name, f"part {part.get('name')!r} sections", k, f"a section kind ({', '.join(SECTION_KINDS)})")
        progs = {
            mode: MappingProxyType({kind: tuple(tuple(bar) for bar in options) for kind, options in table.items()})
            for mode, table in raw["progressions"].items()
        }
        if set(progs) != {"major", "minor"}:
            raise _bad(name, "progressions", sorted(progs), "a table for 'major' and for 'minor'")
        parts = tuple(
            PartSpec(
                name=p["name"],
                role=p["role"],
                preset=p["preset"],
                program=PRESET_PROGRAMS.get(p["preset"], 0),
                is_drum=bool(p.get("is_drum", False)),
                style=p.get("style", ""),
                min_energy=float(p.get("min_energy", 0.0)),
                pan=float(p.get("pan", 0.0)),
                gain_db=float(p.get("gain_db", 0.0)),
                sections=tuple(p.get("sections", ())),
            )
            for p in raw["parts"]
        )
        low, high = (float(x) for x in raw["tempo_bpm"])
        if not 30 <= low < high <= 300:
            raise _bad(name, "tempo_bpm", raw["tempo_bpm"], "[low, high] with 30 <= low < high <= 300")
        return GenreProfile(
            name=raw["name"],
            aliases=tuple(a.lower() for a in raw.get("aliases", [])),
            tempo_bpm=(low, high),
            meters=meters,  # type: ignore[arg-type]
            swing=float(raw.get("swing", 0.0)),
            swing_unit=int(raw.get("swing_unit", 8)),
            modes=MappingProxyType({k: float(v) for k, v in raw["modes"].items()}),
            keys_major=tuple(raw["keys_major"]),
            keys_minor=tuple(raw["keys_minor"]),
            forms=tuple(tuple(f) for f in raw["forms"]),
            extend=tuple(tuple(f) for f in raw["extend"]),
            section_bars=MappingProxyType({k: int(v) for k, v in raw["section_bars"].items()}),
            energy=MappingProxyType({k: float(v) for k, v in raw["energy"].items()}),
            parts=parts,
            lead_preset=raw["lead_preset"],
            voice=raw["voice"],
            drum_groove=raw["drum_groove"],
            bass_pattern=raw["bass_pattern"],
            harmonic_rhythm_bars=int(raw.get("harmonic_rhythm_bars", 1)),
            progressions=MappingProxyType(progs),
            cadence=MappingProxyType(dict(raw.get("cadence", {"major": "V", "minor": "V"}))),
        )
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, (FileFormatError, ParameterError)):
            raise
        raise FileFormatError(f"genre profile {name!r} is malformed: {type(err).__name__}: {err}") from None


@lru_cache(maxsize=None)
def load_profile(name: str) -> GenreProfile:
    """Read the genre profile ``name`` (a name from :func:`list_genres`, or an alias).

    Raises
    ------
    ParameterError
        If no profile has that name or alias.
    FileFormatError
        If the profile file is malformed.

    Examples
    --------
    >>> load_profile("hip-hop").swing > 0
    True
    """
    genres = list_genres()
    key = name if isinstance(name, str) and name in genres else genre_for_word(name) if isinstance(name, str) else None
    if key is None:
        raise ParameterError.for_field("genre", name, f"one of {', '.join(genres)}")
    path = PROFILE_DIR / f"{key}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise FileFormatError(f"genre profile {key!r} ({path}) cannot be read as JSON: {err}") from None
    return _parse(key, raw)


@lru_cache(maxsize=None)
def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for g in list_genres():
        raw = json.loads((PROFILE_DIR / f"{g}.json").read_text(encoding="utf-8"))
        table[g] = g
        for a in raw.get("aliases", []):
            table.setdefault(a.lower(), g)
    return table


def genre_aliases() -> dict[str, str]:
    """Every word that names a genre (names and aliases, lower case) -> genre name."""
    return dict(_alias_table())


def genre_for_word(word: str) -> str | None:
    """The genre a word names (case-insensitive; ``"house"`` -> ``"edm"``), or None."""
    if not isinstance(word, str):
        return None
    w = " ".join(word.lower().replace("_", " ").split())
    table = _alias_table()
    return table.get(w) or table.get(w.replace(" ", "-")) or table.get(w.replace("-", " "))
