"""A MusicXML ``score-partwise`` tree read as notated (no lemm data): one step per element kind.

What the page says is what comes back: written values (tied notes joined),
pitches with the part's transposition applied, drum keys from each note's
``<instrument>`` (``<midi-unpitched>``) or, without one, from the drum-set map,
velocities from the ``dynamics`` attribute, chord symbols from their root, kind
and degrees, sections from rehearsal marks, tempos from ``<sound tempo>``,
keys from ``<key>`` (major where a file has no ``<mode>``). Melisma
continuations (lyrics without text) are not read.

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> from lemm.score.notation.writer import notation_to_xml, notation_view
>>> s = Score(title="t", tracks=(Track("bass", "bass", "electric_bass", program=33, notes=(Note(40, 0, 480), Note(47, 480, 1440))),))
>>> xml_to_score(notation_to_xml(notation_view(s))).track("bass").notes == s.tracks[0].notes
True
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from fractions import Fraction

from lemm.errors import ScoreError
from lemm.limits import MAX_TITLE_CHARS, clean_name, clean_text
from lemm.score import model as m
from lemm.score.harmony import QUALITY_INTERVALS
from lemm.score.instruments import preset_for_program
from lemm.score.midi import section_kind_from_name
from lemm.score.notation.parts import DRUM_MAP
from lemm.score.notation.spelling import key_from_fifths
from lemm.score.notation.writer import ARTICULATION_TAGS

__all__ = ["MARK_VELOCITY", "xml_to_score"]

_STEP_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
#: Velocity a dynamic marking stands for, for notes without a ``dynamics`` attribute.
MARK_VELOCITY = {"ppp": 20, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 127, "sfz": 112, "fp": 96}
_KIND_INTERVALS = {
    "major": (0, 4, 7), "minor": (0, 3, 7), "augmented": (0, 4, 8), "diminished": (0, 3, 6), "dominant": (0, 4, 7, 10),
    "dominant-seventh": (0, 4, 7, 10), "major-seventh": (0, 4, 7, 11), "minor-seventh": (0, 3, 7, 10),
    "diminished-seventh": (0, 3, 6, 9), "half-diminished": (0, 3, 6, 10), "major-minor": (0, 3, 7, 11), "major-sixth": (0, 4, 7, 9),
    "minor-sixth": (0, 3, 7, 9), "dominant-ninth": (0, 4, 7, 10, 14), "major-ninth": (0, 4, 7, 11, 14), "minor-ninth": (0, 3, 7, 10, 14),
    "suspended-second": (0, 2, 7), "suspended-fourth": (0, 5, 7), "power": (0, 7),
}  # fmt: skip
_DEGREE_SEMITONES = {2: 2, 3: 4, 4: 5, 5: 7, 6: 9, 7: 10, 9: 14, 11: 17, 13: 21}
_ARTICULATIONS = {v: k for k, v in ARTICULATION_TAGS.items()}


@dataclass
class _PartInfo:
    name: str
    program: int = 0
    channel: int | None = None
    unpitched: dict[str, int] = field(default_factory=dict)  # instrument id -> GM key


@dataclass
class _PartRead:
    notes: list[list] = field(default_factory=list)  # [pitch, start, end, velocity, articulation, lyric]
    dynamics: list[tuple[Fraction, str]] = field(default_factory=list)
    tempos: list[tuple[Fraction, float]] = field(default_factory=list)
    keys: list[tuple[Fraction, int, str]] = field(default_factory=list)
    meters: list[tuple[Fraction, int, int]] = field(default_factory=list)
    sections: list[tuple[Fraction, str]] = field(default_factory=list)
    chords: list[tuple[Fraction, str]] = field(default_factory=list)
    percussion: bool = False
    end: Fraction = Fraction(0)


def _number(el: ET.Element | None, default: float = 0.0) -> float:
    try:
        return float(el.text) if el is not None and el.text else default
    except ValueError:
        return default


def _part_infos(root: ET.Element) -> dict[str, _PartInfo]:
    out = {}
    for k, sp in enumerate(root.iter("score-part")):
        info = _PartInfo((sp.findtext("part-name") or "").strip() or f"part {k + 1}")
        for mi in sp.findall("midi-instrument"):
            if mi.find("midi-program") is not None and info.program == 0:
                info.program = max(0, min(127, int(_number(mi.find("midi-program"), 1)) - 1))
            if mi.find("midi-channel") is not None:
                info.channel = int(_number(mi.find("midi-channel"), 1))
            if mi.find("midi-unpitched") is not None:
                info.unpitched[mi.get("id", "")] = int(_number(mi.find("midi-unpitched"), 39)) - 1
        out[sp.get("id", "")] = info
    return out


def _chord_symbol(h: ET.Element) -> str | None:
    step = h.findtext("root/root-step")
    kind = h.find("kind")
    if not step or step.strip() not in _STEP_PC or kind is None:
        return None
    alter = round(_number(h.find("root/root-alter")))
    pcs = set(_KIND_INTERVALS.get((kind.text or "").strip(), (0, 4, 7)))
    for dg in h.findall("degree"):
        semis = _DEGREE_SEMITONES.get(int(_number(dg.find("degree-value"), 0)), 0) + int(_number(dg.find("degree-alter")))
        kind_of = (dg.findtext("degree-type") or "add").strip()
        pcs = pcs - {semis} if kind_of == "subtract" else pcs | {semis}
    text = kind.get("text", "")
    quality = text if text in QUALITY_INTERVALS and set(QUALITY_INTERVALS[text]) == pcs else next((q for q, iv in QUALITY_INTERVALS.items() if set(iv) == pcs), "")
    symbol = step.strip() + ("#" * alter if alter > 0 else "b" * -alter)[:1] + quality
    bass = h.findtext("bass/bass-step")
    if bass and bass.strip() in _STEP_PC:
        b_alter = round(_number(h.find("bass/bass-alter")))
        bass_name = bass.strip() + ("#" if b_alter > 0 else "b" if b_alter < 0 else "")
        if (_STEP_PC[bass_name[0]] + b_alter) % 12 != (_STEP_PC[step.strip()] + alter) % 12:
            symbol += "/" + bass_name
    return symbol


def _read_attributes(at: ET.Element, at_pos: Fraction, state: dict, out: _PartRead) -> None:
    if at.find("divisions") is not None:
        state["divisions"] = max(1, int(_number(at.find("divisions"), 1)))
    for key in at.findall("key"):
        if key.find("fifths") is not None:
            mode = (key.findtext("mode") or "major").strip()
            out.keys.append((at_pos, int(_number(key.find("fifths"))), mode if mode in m.MODES else "major"))
    for t in at.findall("time"):
        if t.find("beats") is not None and t.find("beat-type") is not None:
            try:
                out.meters.append((at_pos, int(t.findtext("beats").strip()), int(t.findtext("beat-type").strip())))
            except ValueError:  # composite meters such as 3+2/8 are not kept
                pass
    for tr in at.findall("transpose"):
        state["transpose"] = int(_number(tr.find("chromatic"))) + 12 * int(_number(tr.find("octave-change")))
    if any((c.findtext("sign") or "").strip() == "percussion" for c in at.findall("clef")):
        out.percussion = True


def _read_direction(d: ET.Element, at_pos: Fraction, state: dict, out: _PartRead) -> None:
    for snd in d.iter("sound"):
        if snd.get("tempo"):
            try:
                out.tempos.append((at_pos, round(float(snd.get("tempo")), 3)))
            except ValueError:
                pass
    for r in d.iter("rehearsal"):
        if r.text and r.text.strip():
            out.sections.append((at_pos, r.text.strip()))
    for dyn in d.iter("dynamics"):
        for mark in dyn:
            if mark.tag in m.DYNAMIC_MARKINGS:
                out.dynamics.append((at_pos, mark.tag))
                state["velocity"] = MARK_VELOCITY[mark.tag]


def _lyric(note: ET.Element) -> m.Lyric | None:
    ly = next(iter(note.findall("lyric")), None)
    text = (ly.findtext("text") or "").strip() if ly is not None else ""
    if not text:
        return None
    syllabic = (ly.findtext("syllabic") or "single").strip()
    extend = ly.find("extend") is not None and ly.find("extend").get("type", "start") == "start"
    return m.Lyric(text, syllabic if syllabic in m.SYLLABICS else "single", extend)


def _note_pitch(note: ET.Element, info: _PartInfo, state: dict) -> int | None:
    p = note.find("pitch")
    if p is not None:
        step = (p.findtext("step") or "C").strip()
        pitch = 12 * (int(_number(p.find("octave"), 4)) + 1) + _STEP_PC.get(step, 0) + round(_number(p.find("alter")))
        return pitch + state["transpose"]
    un = note.find("unpitched")
    if un is None:
        return None
    inst = note.find("instrument")
    if inst is not None and inst.get("id") in info.unpitched:
        return info.unpitched[inst.get("id")]
    step, octave, head = un.findtext("display-step"), int(_number(un.find("display-octave"), 4)), note.findtext("notehead") or "normal"
    matches = [k for k, v in DRUM_MAP.items() if (v.step, v.octave) == (step, octave)]
    return next((k for k in matches if DRUM_MAP[k].notehead == head), matches[0] if matches else 38)


def _read_note(note: ET.Element, at_pos: Fraction, length: Fraction, info: _PartInfo, state: dict, out: _PartRead) -> None:
    pitch = _note_pitch(note, info, state)
    if pitch is None or not 0 <= pitch <= 127:
        return
    voice = ((note.findtext("staff") or "1").strip(), (note.findtext("voice") or "1").strip())
    ties = {t.get("type") for t in note.findall("tie")} | {t.get("type") for t in note.findall("notations/tied")}
    end = at_pos + length
    if "stop" in ties:
        opened = state["ties"]
        key = (voice, pitch) if (voice, pitch) in opened else next((k for k in opened if k[1] == pitch and out.notes[opened[k]][2] == at_pos), None)
        if key is not None and out.notes[opened[key]][2] == at_pos:
            k = opened.pop(key)
            out.notes[k][2] = end
            if "start" in ties:
                state["ties"][(voice, pitch)] = k
            return
    if note.find("chord") is None or state.get("chord_head") is None:
        arts = note.find("notations/articulations")
        state["chord_head"] = [next((_ARTICULATIONS[a.tag] for a in arts if a.tag in _ARTICULATIONS), None) if arts is not None else None]
    dyn = note.get("dynamics")
    velocity = round(float(dyn) * 0.9) if dyn else (state["velocity"] if state["unnotated"] is None else state["unnotated"])
    out.notes.append([pitch, at_pos, end, max(1, min(127, velocity)), state["chord_head"][0], _lyric(note)])
    if "start" in ties:
        state["ties"][(voice, pitch)] = len(out.notes) - 1


def _read_measure(meas: ET.Element, start: Fraction, info: _PartInfo, state: dict, out: _PartRead) -> Fraction:
    """Read one measure from ``start``; returns its length (quarters)."""
    cursor, longest, last_start = Fraction(0), Fraction(0), Fraction(0)
    for el in meas:
        div = state["divisions"]
        if el.tag == "attributes":
            _read_attributes(el, start + cursor, state, out)
        elif el.tag == "backup":
            cursor -= Fraction(int(_number(el.find("duration"))), div)
        elif el.tag == "forward":
            cursor += Fraction(int(_number(el.find("duration"))), div)
        elif el.tag == "direction":
            _read_direction(el, start + cursor, state, out)
        elif el.tag == "harmony" and (symbol := _chord_symbol(el)) is not None:
            out.chords.append((start + cursor + Fraction(int(_number(el.find("offset"))), div), symbol))
        elif el.tag == "note" and el.find("grace") is None and el.find("cue") is None:
            length = Fraction(int(_number(el.find("duration"))), div)
            if el.find("chord") is not None:
                at = last_start
            else:
                at, last_start = cursor, cursor
                cursor += length
            if el.find("rest") is None:
                _read_note(el, start + at, length, info, state, out)
        longest = max(longest, cursor)
    return longest


def _read_part(part: ET.Element, info: _PartInfo, unnotated_velocity: int | None) -> _PartRead:
    out = _PartRead()
    state = {"divisions": 1, "transpose": 0, "velocity": 90, "unnotated": unnotated_velocity, "ties": {}, "chord_head": None}
    pos = Fraction(0)
    for meas in part.findall("measure"):
        pos += _read_measure(meas, pos, info, state, out)
    out.end = pos
    return out


def _changes(items: list[tuple[int, object]]) -> list[tuple[int, object]]:
    """By tick, the first item at each tick; a change equal to the one before it dropped."""
    out: dict[int, object] = {}
    for tick, value in sorted(items, key=lambda x: x[0]):
        out.setdefault(tick, value)
    kept = []
    for tick, value in sorted(out.items()):
        if not kept or kept[-1][1] != value:
            kept.append((tick, value))
    return kept


def _spans(starts: list[tuple[int, object]], end_tick: int) -> list[tuple[int, int, object]]:
    return [(t, (starts[i + 1][0] if i + 1 < len(starts) else end_tick) - t, x) for i, (t, x) in enumerate(starts)]


def _unique(name: str, used: set[str]) -> str:
    name = clean_name(name, fallback="part")  # another program's name: no control or file-name characters, at most MAX_NAME_CHARS
    out, k = name, 2
    while out in used:
        out, k = f"{name} {k}", k + 1
    used.add(out)
    return out


def _track(info: _PartInfo, read: _PartRead, used: set[str], tick) -> m.Track:

    is_drum = read.percussion or info.channel == 10 or bool(info.unpitched)
    role, preset = preset_for_program(info.program, is_drum=is_drum)
    notes = sorted((m.Note(p, tick(s), max(1, tick(e) - tick(s)), v, a, ly) for p, s, e, v, a, ly in read.notes), key=lambda n: (n.start_tick, n.pitch))
    if not is_drum and any(n.lyric is not None for n in notes):
        role, preset = "vocal", "voice_low" if sorted(n.pitch for n in notes)[len(notes) // 2] < 60 else "voice_high"
    dyns = [m.DynamicMark(t, k) for t, k in _changes([(tick(p), k) for p, k in read.dynamics])]
    return m.Track(_unique(info.name, used), role, preset, program=info.program, is_drum=is_drum, notes=tuple(notes), dynamics=tuple(dyns))


def _globals(reads: list[_PartRead], end_tick: int, tick) -> dict:
    first = reads[0]
    pitched = next((r for r in reads if not r.percussion and r.keys), first)
    tempos = [m.TempoChange(t, b) for t, b in _changes([(tick(p), b) for r in reads for p, b in r.tempos if 20 <= b <= 400])]
    if not tempos or tempos[0].tick != 0:
        tempos.insert(0, m.TempoChange(0, tempos[0].tempo_bpm if tempos else 120.0))
    keys = [m.KeyChange(t, *key_from_fifths(f, mode)) for t, (f, mode) in _changes([(tick(p), (f, mode)) for p, f, mode in pitched.keys])]
    if not keys or keys[0].tick != 0:
        keys.insert(0, m.KeyChange(0, keys[0].tonic, keys[0].mode) if keys else m.KeyChange(0))
    meters = [m.MeterChange(t, *x) for t, x in _changes([(tick(p), (b, bt)) for p, b, bt in first.meters if 1 <= b <= 32 and bt in (1, 2, 4, 8, 16, 32)])]
    if not meters or meters[0].tick != 0:
        meters.insert(0, m.MeterChange(0, 4, 4))
    marks = sorted({tick(p): name for r in reversed(reads) for p, name in r.sections}.items())
    used: set[str] = set()
    sections = [m.Section(_unique(name, used), section_kind_from_name(name), t, room) for t, room, name in _spans(marks, end_tick) if room > 0]
    chord_marks = sorted({tick(p): s for r in reversed(reads) for p, s in r.chords}.items())
    chords = [m.ChordSymbol(t, room, s) for t, room, s in _spans(chord_marks, end_tick) if room > 0]
    return {"tempos": tuple(tempos), "keys": tuple(keys), "meters": tuple(meters), "sections": tuple(sections), "chords": tuple(chords)}


def xml_to_score(root: ET.Element, *, resolution: int = 480, unnotated_velocity: int | None = None) -> m.Score:
    """The score a ``score-partwise`` tree notates (see the module docstring).

    Parameters
    ----------
    root : xml.etree.ElementTree.Element
        The ``<score-partwise>`` element.
    resolution : int
        Ticks per quarter of the returned score.
    unnotated_velocity : int, optional
        Velocity of notes without a ``dynamics`` attribute; default: the last dynamic marking's (90 before any).

    Raises
    ------
    ScoreError
        No parts, or content that does not make a valid score.
    """
    if root.tag != "score-partwise":
        raise ScoreError(f"MusicXML root element must be score-partwise, got {root.tag!r} (convert timewise files first)")
    infos = _part_infos(root)
    parts = root.findall("part")
    if not parts:
        raise ScoreError("MusicXML file must contain at least one part, got none")

    def tick(pos: Fraction) -> int:
        return round(pos * resolution)

    reads = [_read_part(p, infos.get(p.get("id", ""), _PartInfo(f"part {k + 1}")), unnotated_velocity) for k, p in enumerate(parts)]
    used: set[str] = set()
    tracks = tuple(_track(infos.get(p.get("id", ""), _PartInfo(f"part {k + 1}")), r, used, tick) for k, (p, r) in enumerate(zip(parts, reads, strict=True)))
    end_tick = max([tick(r.end) for r in reads] + [t.end_tick for t in tracks])
    title = clean_text((root.findtext("work/work-title") or root.findtext("movement-title") or "").strip() or "untitled", max_chars=MAX_TITLE_CHARS)
    return m.Score(title=title, resolution=resolution, tracks=tracks, **_globals(reads, end_tick, tick))
