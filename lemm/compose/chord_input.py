"""Chords given by a person: ``--chords "Am F C G"`` or ``--chords "verse=Am F C G; chorus=F G C Am"``.

Grammar
-------
- A progression is chord symbols separated by spaces, commas or bars
  (``"Am F C G"``, ``"Am, F, C, G"``, ``"Am | F | C | G"``): one chord per bar,
  repeated over the section (see ``PlanSection.chords``).
- A text without ``=`` is one progression for every section.
- Otherwise ``KEY=PROGRESSION`` entries separated by ``;``. A key is a section
  name (``"chorus 2"``), a section kind (``"chorus"``: every chorus) or ``*``
  (every section no other entry names). Names win over kinds, kinds over ``*``.
  Sections no entry reaches keep the composer's harmony.

Examples
--------
>>> parse_chord_list("Am F | C, G")
('Am', 'F', 'C', 'G')
>>> from lemm.compose.plan_model import Plan, PlanSection
>>> plan = Plan(genre="pop", tempo_bpm=100.0, sections=(PlanSection("verse 1", "verse", 4), PlanSection("chorus 1", "chorus", 4)),
...             energy_per_bar=(0.5,) * 8)
>>> [s.chords for s in apply_chords(plan, "verse=Am F C G; chorus 1=F G").sections]
[('Am', 'F', 'C', 'G'), ('F', 'G')]
"""

from __future__ import annotations

import re
from dataclasses import replace

from lemm.compose.plan_model import Plan
from lemm.errors import LemmError, ParameterError
from lemm.score.harmony import parse_chord

__all__ = ["parse_chord_list", "parse_chords_option", "apply_chords"]

_SPLIT = re.compile(r"[\s,|]+")


def parse_chord_list(text: str) -> tuple[str, ...]:
    """Chord symbols of a progression, each validated with :func:`lemm.score.harmony.parse_chord`.

    Raises
    ------
    ParameterError
        For text without chords, or a symbol that does not parse (the message
        names it and its position).
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError.for_field("chords", text, "chord symbols separated by spaces, e.g. 'Am F C G'")
    symbols = tuple(s for s in _SPLIT.split(text.strip()) if s)
    for i, symbol in enumerate(symbols):
        try:
            parse_chord(symbol)
        except LemmError as err:
            raise ParameterError(f"chords[{i}] ({symbol!r} in {text!r}) is not a chord symbol: {err}") from None
    return symbols


def parse_chords_option(text: str) -> dict[str, tuple[str, ...]]:
    """The ``--chords`` text as ``{key: chords}`` (key ``"*"`` for a single progression).

    >>> parse_chords_option("verse=Am F; *=C G")
    {'verse': ('Am', 'F'), '*': ('C', 'G')}
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError.for_field("chords", text, "'Am F C G' or 'verse=Am F C G; chorus=F G C Am'")
    if "=" not in text:
        return {"*": parse_chord_list(text)}
    out: dict[str, tuple[str, ...]] = {}
    for entry in (e for e in text.split(";") if e.strip()):
        key, sep, prog = entry.partition("=")
        key = " ".join(key.split())
        if not sep or not key:
            raise ParameterError.for_field("chords entry", entry.strip(), "KEY=CHORDS, e.g. 'chorus=F G C Am'")
        if key in out:
            raise ParameterError.for_field("chords entry", entry.strip(), f"one entry per key ({key!r} is given twice)")
        out[key] = parse_chord_list(prog)
    return out


def apply_chords(plan: Plan, text: str) -> Plan:
    """The plan with the chords of a ``--chords`` text set on its sections (see the module docstring).

    Raises
    ------
    ParameterError
        For a chord that does not parse, or a key that names no section name
        or kind of the plan (the message lists them).
    """
    table = parse_chords_option(text)
    names = [s.name for s in plan.sections]
    kinds = list(dict.fromkeys(s.kind for s in plan.sections))
    for key in table:
        if key != "*" and key not in names and key not in kinds:
            raise ParameterError.for_field("chords key", key, f"'*', a section name ({', '.join(names)}) or a section kind ({', '.join(kinds)})")
    sections = []
    for s in plan.sections:
        chords = table.get(s.name) or table.get(s.kind) or table.get("*")
        sections.append(replace(s, chords=chords) if chords else s)
    return replace(plan, sections=tuple(sections))
