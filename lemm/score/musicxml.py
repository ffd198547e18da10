"""Score <-> MusicXML (uncompressed ``.musicxml``) through music21, with measures built directly.

What is written
---------------
- one part per track, named exactly as the track, with a GM instrument; notes
  longer than their bar (or not notatable as one value) are split into tied
  notes and joined again on import; simultaneous notes with the same length,
  velocity and articulation become chords; overlapping notes go to voices;
  gaps are rests;
- velocities (the ``dynamics`` attribute of ``<note>``), dynamic markings,
  hairpins (as wedges), articulations (staccato, accent, tenuto, marcato as
  strong-accent, staccatissimo), lyrics with their
  syllabic (a melisma extension is the text ``"_"``, and a trailing ``_`` on a
  syllable);
- in the first part: tempo marks, chord symbols (``<harmony>``), one
  rehearsal mark per section with the section name; key and time signatures
  (with changes) in every part; the title;
- drum tracks as a percussion part (percussion clef, MIDI channel 10) whose
  notes keep their pitch (the GM drum key), so no drum map is needed to read
  them back;
- lemm-only data (resolution, exact tempos and key spellings, section kinds,
  energies and lengths, chord lengths, each track's role, preset, pan,
  gain_db, exact dynamics and hairpins, expression curves and which notes
  are legato, which MusicXML has no articulation for) as JSON in a
  ``<miscellaneous-field name="lemm">``; lemm reads it back where it still
  agrees with the notation, other programs ignore it.

What is lost
------------
Positions and lengths are quantised to 1/24 of a quarter note (16th notes,
32nd notes, triplets down to 64th-note triplets; quintuplets and other
tuplets are not kept). Read from
a file lemm did not write, roles and presets are guessed from the GM program,
section kinds from the rehearsal marks, and hairpins and expression curves
are empty; positions use 480 ticks per quarter.

The written bytes are deterministic: music21's random ids and the encoding
date are replaced by stable values.

Examples
--------
>>> import tempfile, pathlib
>>> from lemm.score.model import Score, Track, Note, Section
>>> s = Score(title="demo", sections=(Section("intro", "intro", 0, 1920),),
...           tracks=(Track("flute", "woodwind", "flute", program=73, notes=(Note(72, 0, 2400),)),))
>>> path = write_musicxml(s, pathlib.Path(tempfile.mkdtemp()) / "demo.musicxml")
>>> read_musicxml(path) == s
True
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from lemm.errors import LimitError, FileFormatError, LemmFileNotFoundError, ParameterError, ScoreError
from lemm.io.atomic import atomic_write_bytes
from lemm.score import model as m

__all__ = ["score_to_musicxml", "write_musicxml", "musicxml_to_score", "read_musicxml", "GRID_PER_QUARTER"]

#: Positions and lengths are quantised to this many steps per quarter note.
GRID_PER_QUARTER = 24
_VALUES = sorted((Fraction(v) for v in ("4", "3", "2", "3/2", "4/3", "1", "3/4", "2/3", "1/2", "3/8", "1/3", "1/4", "1/6", "1/8", "1/12", "1/24")), reverse=True)
_ARTICULATIONS = {"staccato": "Staccato", "accent": "Accent", "tenuto": "Tenuto", "marcato": "StrongAccent", "staccatissimo": "Staccatissimo"}
_M21_QUALITY = {"aug": "+", "5": "power", "mMaj7": "mM7", "maj9": "M9", "dim7": "o7", "m7b5": "ø7"}
_KIND_QUALITY = {
    "major": "", "minor": "m", "diminished": "dim", "augmented": "aug", "power": "5", "suspended-second": "sus2",
    "suspended-fourth": "sus4", "major-sixth": "6", "minor-sixth": "m6", "dominant-seventh": "7", "major-seventh": "maj7",
    "minor-seventh": "m7", "minor-major-seventh": "mMaj7", "half-diminished": "m7b5", "half-diminished-seventh": "m7b5", "diminished-seventh": "dim7",
    "dominant-ninth": "9", "suspended-fourth-seventh": "7sus4", "major-ninth": "maj9", "minor-ninth": "m9",
}  # fmt: skip
_MARK_VELOCITY = {"ppp": 20, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 127, "sfz": 112, "fp": 96}


def _m21():
    import music21  # noqa: F401  (imported late: it is slow to import)

    return music21


def _pieces(length: Fraction) -> list[Fraction]:
    """Split a length (a multiple of 1/24 quarter) into notatable values, longest first."""
    out = []
    while length > 0:
        v = next(v for v in _VALUES if v <= length)
        out.append(v)
        length -= v
    return out


def _bars(score: m.Score, end_tick: int) -> list[tuple[int, int, m.MeterChange]]:
    """(start_tick, length_ticks, meter) of every bar up to ``end_tick`` (at least one)."""
    out, tick, k = [], 0, 0
    while tick < end_tick or not out:
        while k + 1 < len(score.meters) and score.meters[k + 1].tick <= tick:
            k += 1
        length = score.meters[k].bar_ticks(score.resolution)
        out.append((tick, length, score.meters[k]))
        tick += length
    return out


def _m21_figure(symbol: str) -> str:
    from lemm.score.harmony import parse_chord

    c = parse_chord(symbol)
    s = symbol.strip()
    root = s[0] + ("-" if s[1:2] == "b" else s[1:2] if s[1:2] == "#" else "")
    fig = root + _M21_QUALITY.get(c.quality, c.quality)
    if "/" in s:
        bass = s.split("/")[1]
        fig += "/" + bass[0] + ("-" if bass[1:2] == "b" else bass[1:2])
    return fig


def _track_events(track: m.Track, q) -> list[tuple[Fraction, Fraction, list[m.Note]]]:
    """Notes grouped into chords: same quantised start and end, velocity and articulation; lyric notes alone."""
    groups: dict[tuple, list[m.Note]] = {}
    for i, n in enumerate(track.notes):
        start, end = q(n.start_tick), q(n.end_tick)
        end = max(end, start + Fraction(1, GRID_PER_QUARTER))
        key = (start, end, n.velocity, n.articulation, i if n.lyric is not None else -1)
        groups.setdefault(key, []).append(n)
    return sorted(((k[0], k[1], g) for k, g in groups.items()), key=lambda e: (e[0], e[1]))


def _voices(events: list) -> list[list]:
    ends: list[Fraction] = []
    voices: list[list] = []
    for ev in events:
        k = next((i for i, e in enumerate(ends) if e <= ev[0]), len(ends))
        if k == len(ends):
            ends.append(ev[1])
            voices.append([])
        ends[k] = ev[1]
        voices[k].append(ev)
    return voices or [[]]


def _make_element(music21, notes: list[m.Note], length: Fraction, tie_type: str | None, first: bool):
    if len(notes) == 1:
        el = music21.note.Note(notes[0].pitch, quarterLength=length)
    else:
        el = music21.chord.Chord(sorted(n.pitch for n in notes), quarterLength=length)
    el.volume.velocity = notes[0].velocity
    if tie_type:
        el.tie = music21.tie.Tie(tie_type)
    if first:
        art = notes[0].articulation
        if art in _ARTICULATIONS:
            el.articulations.append(getattr(music21.articulations, _ARTICULATIONS[art])())
        lyric = notes[0].lyric
        if lyric is not None:
            el.lyrics.append(music21.note.Lyric(lyric.text + ("_" if lyric.extend else ""), syllabic=lyric.syllabic))
    return el


def _rest(music21, length: Fraction, *, whole_span: bool):
    # Setting fullMeasure explicitly spares music21's writer a whole-score
    # context search per rest ("auto"), which is quadratic in the score size.
    r = music21.note.Rest(quarterLength=length)
    r.fullMeasure = whole_span
    return r


def _fill(music21, container, start: Fraction, end: Fraction, items: list) -> None:
    """Put (offset, length, notes, tie, first) items into ``container`` (offsets from ``start``), rests in gaps."""
    cursor = start
    for offset, length, notes, tie_type, first in items:
        for r in _pieces(offset - cursor):
            container.insert(cursor - start, _rest(music21, r, whole_span=False))
            cursor += r
        container.insert(offset - start, _make_element(music21, notes, length, tie_type, first))
        cursor = offset + length
    pieces = _pieces(end - cursor)
    for r in pieces:
        container.insert(cursor - start, _rest(music21, r, whole_span=not items and len(pieces) == 1))
        cursor += r


def _track_misc(t: m.Track) -> dict:
    return {
        "role": t.role, "preset": t.preset, "program": t.program, "is_drum": t.is_drum, "pan": t.pan, "gain_db": t.gain_db,
        "dynamics": [[d.tick, d.marking] for d in t.dynamics], "hairpins": [[h.start_tick, h.duration_ticks, h.kind] for h in t.hairpins],
        "expression": [[c.name, [[p.tick, p.value] for p in c.points]] for c in t.expression],
        "legato": [[n.start_tick, n.pitch] for n in t.notes if n.articulation == "legato"],
    }  # fmt: skip


def score_to_musicxml(score: m.Score):
    """Build a ``music21.stream.Score`` with complete measures (see the module docstring).

    Parameters
    ----------
    score : Score

    Returns
    -------
    music21.stream.Score
        Ready to write with ``makeNotation=False``.
    """
    music21 = _m21()
    res = score.resolution

    def q(tick: int) -> Fraction:
        return Fraction(round(tick * GRID_PER_QUARTER / res), GRID_PER_QUARTER)

    end_tick = max([score.end_tick, 1] + [c.end_tick for c in score.chords] + [k.tick + 1 for k in score.keys] + [t.tick + 1 for t in score.tempos] + [x.tick + 1 for x in score.meters])
    bars = _bars(score, end_tick)
    bar_q = [(q(s), q(s + n)) for s, n, _ in bars]
    bar_starts = [b[0] for b in bar_q]
    misc = {
        "resolution": res, "title": score.title, "tempos": [[t.tick, t.tempo_bpm] for t in score.tempos],
        "keys": [[k.tick, k.tonic, k.mode] for k in score.keys], "meters": [[x.tick, x.numerator, x.denominator] for x in score.meters],
        "sections": [[s.name, s.kind, s.start_tick, s.duration_ticks, s.energy] for s in score.sections],
        "chords": [[c.start_tick, c.duration_ticks, c.symbol] for c in score.chords],
        "tracks": {t.name: _track_misc(t) for t in score.tracks},
    }  # fmt: skip
    sc = music21.stream.Score()
    sc.metadata = music21.metadata.Metadata(title=score.title)
    sc.metadata.addCustom("lemm", json.dumps(misc, separators=(",", ":"), ensure_ascii=False))

    def place(measures, tick: int, obj) -> None:
        i = max(0, bisect.bisect_right(bar_starts, q(tick)) - 1)
        measures[i].insert(q(tick) - bar_starts[i], obj)

    for index, track in enumerate(score.tracks):
        part = music21.stream.Part(id=f"P{index + 1}")
        part.partName = track.name
        measures = [music21.stream.Measure(number=i + 1) for i in range(len(bars))]
        for i, (start, length, meter) in enumerate(bars):
            if i == 0 or start == meter.tick:
                measures[i].timeSignature = music21.meter.TimeSignature(f"{meter.numerator}/{meter.denominator}")
        for k in score.keys:
            place(measures, k.tick, music21.key.Key(k.tonic.replace("b", "-") if len(k.tonic) == 2 else k.tonic, k.mode))
        inst = music21.instrument.instrumentFromMidiProgram(track.program) if not track.is_drum else music21.instrument.Percussion()
        inst.partName, inst.midiProgram, inst.midiChannel = track.name, track.program, 9 if track.is_drum else None
        measures[0].insert(0, inst)
        pitches = sorted(n.pitch for n in track.notes) or [60]
        measures[0].insert(0, music21.clef.PercussionClef() if track.is_drum else music21.clef.BassClef() if pitches[len(pitches) // 2] < 55 else music21.clef.TrebleClef())
        if index == 0:
            for t in score.tempos:
                place(measures, t.tick, music21.tempo.MetronomeMark(number=round(t.tempo_bpm, 3), referent=1.0))
            for s in score.sections:
                place(measures, s.start_tick, music21.expressions.RehearsalMark(s.name))
            for c in score.chords:
                cs = music21.harmony.ChordSymbol(_m21_figure(c.symbol))
                cs.quarterLength = 0
                place(measures, c.start_tick, cs)
        for d in track.dynamics:
            place(measures, d.tick, music21.dynamics.Dynamic(d.marking))
        for h in track.hairpins:
            a, b = music21.spanner.SpannerAnchor(), music21.spanner.SpannerAnchor()
            place(measures, h.start_tick, a)
            place(measures, min(h.start_tick + h.duration_ticks, bars[-1][0] + bars[-1][1] - 1), b)
            part.insert(0, (music21.dynamics.Crescendo if h.kind == "crescendo" else music21.dynamics.Diminuendo)(a, b))
        per_bar: list[dict[int, list]] = [dict() for _ in bars]
        for v, events in enumerate(_voices(_track_events(track, q))):
            for start, end, notes in events:
                segs = []
                pos = start
                while pos < end:
                    i = bisect.bisect_right(bar_starts, pos) - 1
                    stop = min(end, bar_q[i][1]) if i < len(bars) - 1 else end
                    segs += [(i, p) for p in _pieces(stop - pos)]
                    pos = stop
                pos = start
                for j, (i, length) in enumerate(segs):
                    tie = None if len(segs) == 1 else "start" if j == 0 else "stop" if j == len(segs) - 1 else "continue"
                    per_bar[i].setdefault(v, []).append((pos, length, notes, tie, j == 0))
                    pos += length
        for i, meas in enumerate(measures):
            bs, be = bar_q[i]
            voices = per_bar[i]
            be = max([be] + [o + n for items in voices.values() for o, n, *_ in items])
            if len(voices) <= 1:
                _fill(music21, meas, bs, be, next(iter(voices.values()), []))
            else:
                for v in sorted(voices):
                    voice = music21.stream.Voice(id=str(v + 1))
                    _fill(music21, voice, bs, be, voices[v])
                    meas.insert(0, voice)
            part.append(meas)
        sc.insert(0, part)
    return sc


def _stable_bytes(xml: bytes) -> bytes:
    """Replace music21's random ids and today's date with stable values."""
    ids: dict[bytes, bytes] = {}

    def sub(mt: re.Match) -> bytes:
        old = mt.group(2)
        if old not in ids:
            ids[old] = b"%s%d" % (old[:1], len(ids) + 1)
        return mt.group(1) + ids[old] + b'"'

    xml = re.sub(rb'(\bid=")([^"]+)"', sub, xml)
    return re.sub(rb"<encoding-date>[^<]*</encoding-date>", b"<encoding-date>2000-01-01</encoding-date>", xml)


def write_musicxml(score: m.Score, path: str | os.PathLike) -> Path:
    """Write the score as uncompressed MusicXML, atomically and deterministically. Returns the path."""
    music21 = _m21()
    exporter = music21.musicxml.m21ToXml.GeneralObjectExporter(score_to_musicxml(score))
    exporter.makeNotation = False
    return atomic_write_bytes(path, _stable_bytes(exporter.parse()))


# ----------------------------------------------------------------------------------------------------------------- import


def _clean_name(text: str | None, fallback: str, used: set[str]) -> str:
    from lemm.limits import clean_name

    name = clean_name(text, fallback=fallback)  # no control or file-name characters, at most MAX_NAME_CHARS
    out, k = name, 2
    while out in used:
        out, k = f"{name} {k}", k + 1
    used.add(out)
    return out


def _tonic(name: str) -> str:
    return name[0].upper() + name[1:].replace("-", "b")


def _symbol_from_m21(cs) -> str | None:
    from lemm.score.harmony import parse_chord

    quality = _KIND_QUALITY.get(cs.chordKind, "")  # an unknown kind keeps its root as a major triad
    if cs.root() is None:
        return None
    symbol = _tonic(cs.root().name) + quality
    if cs.bass() is not None and cs.bass().name != cs.root().name:
        symbol += "/" + _tonic(cs.bass().name)
    try:
        parse_chord(symbol)
    except ParameterError:
        return None
    return symbol


def _prefer(parsed: list, exact: list, key, same=None) -> list:
    """``exact`` (from lemm's JSON) where it still agrees with the notation under ``key``, else ``parsed``.

    With ``same``, an item whose ``same`` value equals the previous item's (a change
    that changes nothing, which notation drops) is left out of the comparison.
    """

    def keys(items: list) -> list:
        kept = [x for i, x in enumerate(items) if same is None or i == 0 or same(x) != same(items[i - 1])]
        return [key(x) for x in kept]

    return exact if exact and keys(exact) == keys(parsed) else parsed


def _part_items(music21, part, tick):
    """(tick, element) for every note, chord and marking of a part, in time order."""
    items = []
    for meas in part.getElementsByClass(music21.stream.Measure):
        for el in meas:
            if isinstance(el, music21.stream.Voice):
                items += [(tick(meas.offset + el.offset + x.offset), str(el.id), x) for x in el]
            else:
                items.append((tick(meas.offset + el.offset), "1", el))
    return sorted(items, key=lambda x: x[0])


def _part_notes(music21, items, tick, unnotated_velocity: int | None = None) -> list[m.Note]:
    """Notes of a part with tied notes joined again.

    A note without a ``dynamics`` attribute takes ``unnotated_velocity`` if given,
    else the velocity of the last dynamic marking (90 before any).
    """
    notes: list[list] = []  # [pitch, start, end, velocity, articulation, lyric]
    open_ties: dict[tuple[str, int], int] = {}  # (voice, pitch) -> index in notes
    velocity = 90
    names = {v: k for k, v in _ARTICULATIONS.items()}
    for start, voice, el in items:
        if isinstance(el, music21.dynamics.Dynamic) and el.value in _MARK_VELOCITY:
            velocity = _MARK_VELOCITY[el.value]
        if not isinstance(el, (music21.note.Note, music21.chord.Chord, music21.note.Unpitched)) or isinstance(el, music21.harmony.Harmony):
            continue
        end = tick(el.offset + el.quarterLength) - tick(el.offset) + start
        art = next((names[type(a).__name__] for a in el.articulations if type(a).__name__ in names), None)
        lyric = None
        if el.lyrics and el.lyrics[0].text is not None:
            text, syllabic = el.lyrics[0].text, el.lyrics[0].syllabic or "single"
            extend = text.endswith("_")
            text = text[:-1] if extend else text
            if (text.strip() or extend) and syllabic in m.SYLLABICS:
                lyric = m.Lyric(text, syllabic, extend)
        vel = el.volume.velocity or (velocity if unnotated_velocity is None else unnotated_velocity)
        parts = el.notes if isinstance(el, music21.chord.Chord) else [el]
        for n in parts:
            pitch = n.pitch.midi if hasattr(n, "pitch") else n.displayPitch().midi
            tie = (n.tie or el.tie) if isinstance(el, music21.chord.Chord) else el.tie
            if tie is not None and tie.type in ("stop", "continue"):
                key = (voice, pitch) if (voice, pitch) in open_ties else next((k for k in open_ties if k[1] == pitch and notes[open_ties[k]][2] == start), None)
                if key is not None and notes[open_ties[key]][2] == start:
                    k = open_ties.pop(key)
                    notes[k][2] = end
                    if tie.type == "continue":
                        open_ties[(voice, pitch)] = k
                    continue
            if 0 <= pitch <= 127:
                notes.append([pitch, start, end, int(min(127, max(1, round(vel)))), art, lyric])
                if tie is not None and tie.type == "start":
                    open_ties[(voice, pitch)] = len(notes) - 1
            lyric = None  # one lyric per chord
    out = [m.Note(p, s, max(1, e - s), v, a, ly) for p, s, e, v, a, ly in notes]
    return sorted(out, key=lambda n: (n.start_tick, n.pitch))


def _spans(starts: list[tuple[int, Any]], end_tick: int) -> list[tuple[int, int, Any]]:
    return [(t, (starts[i + 1][0] if i + 1 < len(starts) else end_tick) - t, x) for i, (t, x) in enumerate(starts)]


def musicxml_to_score(sc, *, unnotated_velocity: int | None = None) -> m.Score:
    """Read a score from a ``music21.stream.Score`` (see :func:`read_musicxml`)."""
    from lemm.score.harmony import pitch_class
    from lemm.score.midi import role_and_preset_for_program, section_kind_from_name

    music21 = _m21()
    md = sc.metadata
    misc: dict = {}
    if md is not None:
        for text in md.getCustom("lemm") or ():
            try:
                misc = json.loads(str(text))
            except json.JSONDecodeError:
                misc = {}
    res = misc.get("resolution", 480)

    def tick(offset) -> int:
        return int(round(Fraction(offset) * res))

    def q(t: int) -> int:  # a lemm tick as it comes back from the notation
        return tick(Fraction(round(t * GRID_PER_QUARTER / res), GRID_PER_QUARTER))

    parts = list(sc.parts)
    if not parts:
        raise ScoreError("MusicXML file must contain at least one part, got none")
    part_items = [_part_items(music21, p, tick) for p in parts]
    first = part_items[0]
    meters = []
    for meas in parts[0].getElementsByClass(music21.stream.Measure):
        ts = meas.timeSignature
        if ts is not None:
            meters.append(m.MeterChange(tick(meas.offset), ts.numerator, ts.denominator))
    if not meters or meters[0].tick != 0:
        meters.insert(0, m.MeterChange(0, 4, 4))
    meters = _prefer(meters, [m.MeterChange(*x) for x in misc.get("meters", ())], lambda x: (x.tick, x.numerator, x.denominator), lambda x: (x.numerator, x.denominator))
    end_tick = tick(parts[0].highestTime)
    tempos = [m.TempoChange(t, float(round(el.number, 3))) for t, _, el in first if isinstance(el, music21.tempo.MetronomeMark) and el.number]
    tempos = _prefer(tempos, [m.TempoChange(t, b) for t, b in misc.get("tempos", ())], lambda x: (q(x.tick), round(x.tempo_bpm, 3)), lambda x: round(x.tempo_bpm, 3))
    tempos = list({t.tick: t for t in tempos}.values()) or [m.TempoChange(0, 120.0)]
    if tempos[0].tick != 0:
        tempos.insert(0, m.TempoChange(0, tempos[0].tempo_bpm))
    keys = [m.KeyChange(t, _tonic(el.tonic.name), el.mode if el.mode in m.MODES else "major") for t, _, el in first if isinstance(el, music21.key.Key)]
    keys += [m.KeyChange(t, _tonic(el.asKey("major").tonic.name), "major") for t, _, el in first if type(el) is music21.key.KeySignature]
    keys = _prefer(keys, [m.KeyChange(*k) for k in misc.get("keys", ())], lambda x: (q(x.tick), pitch_class(x.tonic), x.mode), lambda x: (pitch_class(x.tonic), x.mode))
    keys = list({k.tick: k for k in sorted(keys, key=lambda k: k.tick)}.values()) or [m.KeyChange(0)]
    if keys[0].tick != 0:
        keys.insert(0, m.KeyChange(0, keys[0].tonic, keys[0].mode))
    marks = [(t, el.content) for t, _, el in first if isinstance(el, music21.expressions.RehearsalMark) and el.content]
    known = {s[0]: s for s in misc.get("sections", ())}
    sections, used = [], set()
    for t, room, name in _spans(marks, end_tick):
        name = _clean_name(str(name), "section", used) if name not in known else name
        k = known.get(name)
        if k is not None and q(k[2]) == t and k[3] > 0:
            sections.append(m.Section(name, k[1], k[2], k[3], float(k[4])))
        elif room > 0:
            sections.append(m.Section(name.strip() or "section", section_kind_from_name(name), t, room))
    chord_marks = []
    for t, _, el in (x for items in part_items for x in items):
        if isinstance(el, music21.harmony.ChordSymbol) and (symbol := _symbol_from_m21(el)) is not None:
            chord_marks.append((t, symbol))
    chord_marks = sorted({t: s for t, s in chord_marks}.items())
    chords = [m.ChordSymbol(t, room, s) for t, room, s in _spans(chord_marks, end_tick) if room > 0]
    chords = _prefer(chords, [m.ChordSymbol(*c) for c in misc.get("chords", ())], lambda c: (q(c.start_tick), _root_pc(c.symbol)))
    tracks, used = [], set()
    for i, (part, items) in enumerate(zip(parts, part_items)):
        name = _clean_name(part.partName, f"part {i + 1}", used)
        extra = misc.get("tracks", {}).get(name)
        inst = part.getInstrument(returnDefault=True)
        is_drum = bool(part.recurse().getElementsByClass(music21.clef.PercussionClef)) or inst.midiChannel == 9
        program = inst.midiProgram if inst.midiProgram is not None else 0
        role, preset = role_and_preset_for_program(program, is_drum=is_drum)
        notes = _part_notes(music21, items, tick, unnotated_velocity)
        dyns = [m.DynamicMark(t, el.value) for t, _, el in items if isinstance(el, music21.dynamics.Dynamic) and el.value in m.DYNAMIC_MARKINGS]
        kwargs: dict[str, Any] = {}
        if extra is not None:
            role, preset, program, is_drum = extra["role"], extra["preset"], extra["program"], extra["is_drum"]
            dyns = _prefer(dyns, [m.DynamicMark(*d) for d in extra["dynamics"]], lambda d: (q(d.tick), d.marking))
            legato = {(q(t), p) for t, p in extra.get("legato", ())}
            notes = [dataclasses.replace(n, articulation="legato") if n.articulation is None and (n.start_tick, n.pitch) in legato else n for n in notes]
            kwargs = {
                "pan": float(extra["pan"]), "gain_db": float(extra["gain_db"]),
                "hairpins": tuple(m.Hairpin(*h) for h in extra["hairpins"]),
                "expression": tuple(m.ExpressionCurve(c, tuple(m.CurvePoint(t, float(v)) for t, v in pts)) for c, pts in extra["expression"]),
            }  # fmt: skip
        elif not is_drum and any(n.lyric is not None for n in notes):
            role, preset = "vocal", "voice_low" if sorted(n.pitch for n in notes)[len(notes) // 2] < 60 else "voice_high"
        tracks.append(m.Track(name, role, preset, program=program, is_drum=is_drum, notes=tuple(notes), dynamics=tuple(dyns), **kwargs))
    title = misc.get("title") if isinstance(misc.get("title"), str) else (md.bestTitle if md is not None and md.bestTitle else "untitled")
    from lemm.limits import MAX_TITLE_CHARS, clean_text

    title = clean_text(title, max_chars=MAX_TITLE_CHARS)  # another program's title, made safe
    return m.Score(title=title, resolution=res, tempos=tuple(tempos), meters=tuple(meters), keys=tuple(keys),
                   sections=tuple(sections), chords=tuple(chords), tracks=tuple(tracks))  # fmt: skip


def _root_pc(symbol: str) -> int:
    from lemm.score.harmony import parse_chord

    return parse_chord(symbol).root_pc


def read_musicxml(path: str | os.PathLike, *, unnotated_velocity: int | None = None) -> m.Score:
    """Read a ``.musicxml`` / ``.xml`` / ``.mxl`` file into a score.

    Parameters
    ----------
    path : str or os.PathLike
    unnotated_velocity : int, optional
        Velocity (1..127) for notes that carry no ``dynamics`` attribute (many
        editors write none, and music21 drops it from chords it rewrites);
        default: the velocity of the last dynamic marking, 90 before any.
        :func:`lemm.score.merge.import_notation` sets it to tell such notes
        apart, so their velocities are not taken as edits.

    Raises
    ------
    LemmFileNotFoundError
        If ``path`` does not exist.
    FileFormatError
        If music21 cannot read it as MusicXML.
    ScoreError
        If its content does not make a valid score.
    """
    if unnotated_velocity is not None and not (isinstance(unnotated_velocity, int) and 1 <= unnotated_velocity <= 127):
        raise ParameterError.for_field("unnotated_velocity", unnotated_velocity, "None or an integer in 1..127")
    p = Path(path)
    _check_size(p)
    return _convert(_parse(p), p, unnotated_velocity)


def _check_size(p: Path) -> None:
    """Refuse, before music21 reads it, a file over ``MAX_MUSICXML_BYTES`` or a zip (``.mxl``) whose members would
    uncompress to more than ``MAX_MXL_UNCOMPRESSED_BYTES`` (a zip bomb: zipfile stops at the sizes it declares)."""
    import zipfile

    from lemm.limits import MAX_MUSICXML_BYTES, MAX_MXL_UNCOMPRESSED_BYTES, check_file_size

    if not p.is_file():
        return  # _parse names the missing file
    check_file_size(p, MAX_MUSICXML_BYTES, "MAX_MUSICXML_BYTES", what="MusicXML file")
    with open(p, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            return
    try:
        with zipfile.ZipFile(p) as z:
            total = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise FileFormatError(f"MusicXML file {str(p)!r} is not a readable .mxl (zip) file: {err}") from None
    if total > MAX_MXL_UNCOMPRESSED_BYTES:
        raise LimitError(f"MusicXML file {str(p)!r} uncompressed must be at most {MAX_MXL_UNCOMPRESSED_BYTES} bytes "
                         f"(MAX_MXL_UNCOMPRESSED_BYTES), got {total} bytes")


def _parse(p: Path):
    """The music21 score of a MusicXML file, with lemm's errors."""
    if not p.is_file():
        raise LemmFileNotFoundError(f"MusicXML file {str(p)!r} does not exist or is not a file")
    music21 = _m21()
    try:
        sc = music21.converter.parse(str(p), format="musicxml", forceSource=True)
    except Exception as err:  # music21 raises many kinds (XML, music21 exceptions, ValueError...)
        raise FileFormatError(f"MusicXML file {str(p)!r} cannot be read: {type(err).__name__}: {err}") from None
    if not isinstance(sc, music21.stream.Score):
        raise FileFormatError(f"MusicXML file {str(p)!r} must hold a score, got a {type(sc).__name__}")
    return sc


def _convert(sc, p: Path, unnotated_velocity: int | None) -> m.Score:
    try:
        return musicxml_to_score(sc, unnotated_velocity=unnotated_velocity)
    except (ScoreError, FileFormatError):
        raise
    except (ParameterError, KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as err:
        raise ScoreError(f"MusicXML file {str(p)!r} does not make a valid score: {err}") from None
