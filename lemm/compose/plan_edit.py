"""Editing a plan as data: insert, delete, move and resize sections, set energy; save and load.

Every edit returns a new, re-validated :class:`~lemm.compose.plan_model.Plan`:
the energy per bar moves with its section (a resized section's curve is
stretched), each section's ``energy`` is the mean of its bars, sections named
the automatic way (``"verse"``, ``"verse 2"``) are renumbered in song order
(custom names are kept), and a fixed melody (``Plan.melody``) moves with its
section (notes of a deleted section, or past the end of a shortened one, are
dropped). A section is addressed by name or by index.

:func:`save_plan` writes a plan as JSON (with each section's ``start_bar``);
:func:`load_plan` reads it back and refuses, with a clear message, a file whose
sections overlap or leave gaps, whose energy has the wrong length, or that is
not JSON. ``lemm compose --plan FILE`` composes from such a file exactly.

Examples
--------
>>> from lemm.compose.plan_model import Plan, PlanSection
>>> p = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("verse", "verse", 8, 0.5), PlanSection("chorus", "chorus", 8, 0.8)),
...          energy_per_bar=(0.5,) * 8 + (0.8,) * 8)
>>> p2 = insert_section(p, 2, "verse", 8)
>>> [s.name for s in p2.sections], p2.total_bars
(['verse 1', 'chorus', 'verse 2'], 24)
>>> p3 = resize_section(move_section(p2, "verse 2", 0), "chorus", 16)
>>> [(s.name, s.bars) for s in p3.sections]
[('verse 1', 8), ('verse 2', 8), ('chorus', 16)]
>>> set_energy(p3, "chorus", 0.9).sections[2].energy
0.9
>>> plan_from_dict(plan_to_dict(p3)) == p3
True
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from lemm.compose.form import name_sections
from lemm.compose.plan_model import Plan, PlanNote, PlanSection
from lemm.errors import LemmFileNotFoundError, ParameterError, ScoreError
from lemm.io.atomic import atomic_write_text
from lemm.io.jsondata import read_json_file
from lemm.score.jsonio import from_jsonable, to_jsonable
from lemm.score.model import SECTION_KINDS

__all__ = [
    "insert_section",
    "delete_section",
    "move_section",
    "resize_section",
    "set_energy",
    "plan_to_dict",
    "plan_from_dict",
    "save_plan",
    "load_plan",
]


def _index(plan: Plan, section: str | int) -> int:
    if isinstance(section, str):
        for i, s in enumerate(plan.sections):
            if s.name == section:
                return i
        raise ParameterError.for_field("section", section, "the name of a plan section (" + ", ".join(s.name for s in plan.sections) + ")")
    if isinstance(section, bool) or not isinstance(section, int) or not -len(plan.sections) <= section < len(plan.sections):
        raise ParameterError.for_field("section", section, f"a section name or an index in 0..{len(plan.sections) - 1}")
    return section % len(plan.sections)


def _is_auto_name(sec: PlanSection) -> bool:
    return re.fullmatch(re.escape(sec.kind) + r"( \d+)?", sec.name) is not None


def _rebuild(plan: Plan, parts: list[tuple[PlanSection, list[float], int | None]]) -> Plan:
    """A new plan from (section, energy per bar, index of the section in ``plan`` or None)."""
    if not parts:
        raise ParameterError.for_field("sections", "none left", "at least one section")
    auto = [_is_auto_name(s) for s, _, _ in parts]
    kinds = [s.kind for s, _, _ in parts]
    fresh = name_sections([k for k, a in zip(kinds, auto, strict=True) if a])
    names, taken = [], iter(fresh)
    for (s, _, _), a in zip(parts, auto, strict=True):
        names.append(next(taken) if a else s.name)
    old_starts = plan.section_start_bars()
    beats_per_bar = plan.beats_per_bar
    sections, energy, melody = [], [], []
    bar = 0
    for (s, e, old), name in zip(parts, names, strict=True):
        e = [float(v) for v in e]
        sections.append(dataclasses.replace(s, name=name, energy=float(round(float(np.mean(e)), 4)), start_bar=None))
        energy += e
        if old is not None:
            lo, hi = old_starts[old] * beats_per_bar, (old_starts[old] + plan.sections[old].bars) * beats_per_bar
            shift = (bar - old_starts[old]) * beats_per_bar
            limit = (bar + s.bars) * beats_per_bar
            for n in plan.melody:
                if lo <= n.start_beats < hi and n.start_beats + shift < limit:
                    melody.append(PlanNote(n.pitch, n.start_beats + shift, min(n.duration_beats, limit - n.start_beats - shift), n.velocity))
        bar += s.bars
    melody.sort(key=lambda n: (n.start_beats, n.pitch))
    return dataclasses.replace(plan, sections=tuple(sections), energy_per_bar=tuple(energy), melody=tuple(melody))


def _parts(plan: Plan) -> list[tuple[PlanSection, list[float], int | None]]:
    starts = plan.section_start_bars()
    return [(s, list(plan.energy_per_bar[b : b + s.bars]), i) for i, (s, b) in enumerate(zip(plan.sections, starts, strict=True))]


def _check_bars(bars: object) -> int:
    if isinstance(bars, bool) or not isinstance(bars, int) or not 1 <= bars <= 256:
        raise ParameterError.for_field("bars", bars, "an integer in 1..256")
    return bars


def _check_energy(value: object, field: str = "energy") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ParameterError.for_field(field, value, "a number in 0..1")
    return float(value)


def insert_section(plan: Plan, index: int, kind: str, bars: int, *, energy: float | None = None, name: str | None = None, chords: tuple[str, ...] = ()) -> Plan:
    """Insert a new section before position ``index`` (``len(plan.sections)`` appends).

    ``energy`` defaults to the mean energy of the plan's sections of that kind
    (0.5 when there is none); ``name`` defaults to the automatic one.
    """
    if kind not in SECTION_KINDS:
        raise ParameterError.for_field("kind", kind, f"one of {', '.join(SECTION_KINDS)}")
    _check_bars(bars)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= len(plan.sections):
        raise ParameterError.for_field("index", index, f"an integer in 0..{len(plan.sections)}")
    if energy is None:
        same = [s.energy for s in plan.sections if s.kind == kind]
        energy = float(np.mean(same)) if same else 0.5
    e = _check_energy(energy)
    parts = _parts(plan)
    parts.insert(index, (PlanSection(name or kind, kind, bars, e, tuple(chords)), [e] * bars, None))
    return _rebuild(plan, parts)


def delete_section(plan: Plan, section: str | int) -> Plan:
    """Remove a section (its bars, energy and melody notes); a plan keeps at least one section."""
    i = _index(plan, section)
    parts = _parts(plan)
    del parts[i]
    return _rebuild(plan, parts)


def move_section(plan: Plan, section: str | int, index: int) -> Plan:
    """Move a section (with its energy curve and melody) to position ``index`` of the new order."""
    i = _index(plan, section)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(plan.sections):
        raise ParameterError.for_field("index", index, f"an integer in 0..{len(plan.sections) - 1}")
    parts = _parts(plan)
    item = parts.pop(i)
    parts.insert(index, item)
    return _rebuild(plan, parts)


def resize_section(plan: Plan, section: str | int, bars: int) -> Plan:
    """Give a section ``bars`` bars; its energy curve is stretched (linear interpolation) to the new length."""
    i = _index(plan, section)
    _check_bars(bars)
    parts = _parts(plan)
    sec, e, old = parts[i]
    x_old = np.linspace(0.0, 1.0, len(e))
    x_new = np.linspace(0.0, 1.0, bars)
    new_e = np.interp(x_new, x_old, e) if len(e) > 1 else np.full(bars, e[0])
    parts[i] = (dataclasses.replace(sec, bars=bars), [round(float(v), 4) for v in new_e], old)
    return _rebuild(plan, parts)


def set_energy(plan: Plan, section: str | int | None, energy: float | Sequence[float]) -> Plan:
    """Set energy: of one section (a number moves its curve so that its mean is that number;
    a sequence gives one value per bar of the section), or of the whole song (``section=None``,
    a sequence of one value per bar)."""
    parts = _parts(plan)
    targets = range(len(parts)) if section is None else [_index(plan, section)]
    if section is None and isinstance(energy, (int, float)):
        values = [_check_energy(energy)] * plan.total_bars
    elif isinstance(energy, (int, float)) and not isinstance(energy, bool):
        i = targets[0]
        e = np.asarray(parts[i][1])
        target = _check_energy(energy)
        values = list(np.clip(e - e.mean() + target, 0.0, 1.0))
        if abs(float(np.mean(values)) - target) > 1e-9:  # clipping moved the mean: flat instead
            values = [target] * len(e)
        parts[i] = (parts[i][0], [round(float(v), 4) for v in values], parts[i][2])
        return _rebuild(plan, parts)
    else:
        values = [_check_energy(v, "energy per bar") for v in energy]
    need = plan.total_bars if section is None else parts[targets[0]][0].bars
    if len(values) != need:
        raise ParameterError.for_field("energy length", len(values), f"one value per bar ({need})")
    k = 0
    for i in targets:
        n = parts[i][0].bars
        parts[i] = (parts[i][0], values[k : k + n], parts[i][2])
        k += n
    return _rebuild(plan, parts)


def plan_to_dict(plan: Plan) -> dict:
    """The plan as JSON data; each section also carries its ``start_bar`` (checked on reading)."""
    starts = plan.section_start_bars()
    with_starts = dataclasses.replace(plan, sections=tuple(dataclasses.replace(s, start_bar=b) for s, b in zip(plan.sections, starts, strict=True)))
    return to_jsonable(with_starts)


def plan_from_dict(data: object) -> Plan:
    """Rebuild and validate a plan from JSON data (the inverse of :func:`plan_to_dict`).

    A missing or empty ``energy_per_bar`` is made from the sections' energies.

    Raises
    ------
    ScoreError
        Naming what is wrong: an unknown or missing field, sections that overlap or
        leave gaps (``start_bar``), energy of the wrong length, a bad value.
    """
    if isinstance(data, dict) and not data.get("energy_per_bar") and isinstance(data.get("sections"), list):
        data = dict(data)
        try:
            data["energy_per_bar"] = [float(s.get("energy", 0.5)) for s in data["sections"] for _ in range(int(s["bars"]))]
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # from_jsonable reports the bad section
    plan = from_jsonable(Plan, data, "plan")
    return dataclasses.replace(plan, sections=tuple(dataclasses.replace(s, start_bar=None) for s in plan.sections))


def save_plan(plan: Plan, path: str | os.PathLike) -> Path:
    """Write the plan as JSON, atomically. Returns the path written."""
    return atomic_write_text(Path(path), json.dumps(plan_to_dict(plan), indent=1) + "\n")


def load_plan(path: str | os.PathLike) -> Plan:
    """Read a plan written by :func:`save_plan` (and maybe edited by hand), or the plan of a song.json.

    A song folder's ``song.json`` holds its plan under ``"plan"``: passing it (or the
    folder) reads that plan, so ``lemm compose --plan my-song/song.json`` composes
    again from a song's (edited) plan.

    Raises
    ------
    LemmFileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is not JSON.
    ScoreError
        If the plan in it is not valid (see :func:`plan_from_dict`).
    """
    p = Path(path)
    if p.is_dir() and (p / "song.json").is_file():
        p = p / "song.json"
    if not p.is_file():
        raise LemmFileNotFoundError(f"plan file {str(p)!r} does not exist or is not a file")
    data = read_json_file(p, what="plan file")  # bounded: size, nesting, integer digits (lemm.limits)
    if isinstance(data, dict) and data.get("format") == "lemm-song" and isinstance(data.get("plan"), dict):
        data = data["plan"]
    try:
        return plan_from_dict(data)
    except ScoreError as err:
        raise ScoreError(f"plan file {p.name!r}: {err}") from None
