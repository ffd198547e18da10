"""Score <-> Standard MIDI File (type 1), with an exact round trip for lemm's own files.

Layout of a written file (``ticks_per_beat = score.resolution``):

- track 0, the conductor track, named after the title: ``set_tempo``,
  ``time_signature`` and ``key_signature`` at each change, one ``marker`` per
  section whose text is exactly the section name, and one ``text`` event
  ``"chord:Am7"`` at the start of each chord symbol;
- one track per score track, named exactly as the score track, with a
  ``program_change`` (its GM program), ``CC10`` pan, the notes, ``lyrics``
  events at note starts (begin/middle syllables carry a trailing ``-``, as in
  karaoke files), ``gain_db`` as ``CC7``, the ``dynamics`` curve as ``CC11``, and
  ``pitch_bend_semitones`` plus the vibrato (depth and rate curves) as ``pitchwheel``
  with the RPN 0 bend range set to cover it (see :mod:`lemm.score.midicc`). Drum tracks
  play on channel 10 (mido channel 9); other tracks take channels 1..16 in
  order, skipping 10, and share channels when there are more than 15.

What MIDI cannot carry is kept in ``text`` events starting with ``"lemm:"``
followed by compact JSON: one in the conductor track (title, exact tempos,
key spellings, section kinds, energies and lengths, chord lengths) and one in
each track (role, preset, is_drum, pan, gain_db, dynamic markings, hairpins,
exact expression curves, articulations and any lyric the plain events would
not give back). Other programs show or ignore these texts; lemm reads them
back, so ``midi_to_score(score_to_midi(s)) == s`` for any score with notes.

Read from a MIDI file written by another program (no ``"lemm:"`` text), a
score loses what MIDI does not carry: dynamic markings and hairpins (as
symbols), articulations, the brightness and vibrato curves (the vibrato reads as
part of the pitch bend curve), gain_db beyond what CC7 says, section
kinds (guessed from the marker names: "Chorus 2" -> chorus, unknown ->
verse) and energies (0.5), chord lengths (each chord lasts to the next one),
track roles and presets (guessed from the GM program and channel 10).
Tempos are rounded to 0.001 bpm. Overlapping notes of one pitch are paired
first-on/first-off; zero-length notes get one tick; type 0 files are split
into one track per channel.

Examples
--------
>>> from lemm.score.model import Score, Track, Note, Section
>>> s = Score(title="demo", sections=(Section("verse 1", "verse", 0, 1920),),
...           tracks=(Track("bass", "bass", "electric_bass", program=33, notes=(Note(40, 0, 480),)),))
>>> mid = score_to_midi(s)
>>> [m.text for m in mid.tracks[0] if m.type == "marker"]
['verse 1']
>>> midi_to_score(mid) == s
True
"""

from __future__ import annotations

import collections
import json
import math
import os
import zlib
from pathlib import Path
from typing import Any

import mido

from lemm.errors import FileFormatError, LemmFileNotFoundError, ParameterError, ScoreError
from lemm.io.atomic import atomic_path
from lemm.limits import (
    MAX_GUIDE_NOTES,
    MAX_MIDI_BYTES,
    MAX_TITLE_CHARS,
    MAX_TOTAL_NOTES,
    check_count,
    check_file_size,
    clean_name,
    clean_text,
    count_midi_note_ons,
)
from lemm.score import model as m
from lemm.score.harmony import parse_chord, pitch_class
from lemm.score.instruments import preset_for_program
from lemm.score.midicc import bend_messages, cc7_to_gain, gain_to_cc7

__all__ = ["midi_to_score", "notes_signature", "read_midi", "score_to_midi", "section_kind_from_name", "write_midi"]

_LEMM = "lemm:"
_CHORD = "chord:"
_MELODIC_CHANNELS = tuple(c for c in range(16) if c != 9)
_KEY_NAMES = {  # pitch class -> spelling mido accepts, per mode
    "major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    "minor": ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"),
}
_SECTION_ALIASES = (
    ("pre-chorus", "pre-chorus"), ("prechorus", "pre-chorus"), ("pre chorus", "pre-chorus"), ("build", "pre-chorus"),
    ("post-chorus", "post-chorus"), ("postchorus", "post-chorus"), ("post chorus", "post-chorus"),
    ("chorus", "chorus"), ("refrain", "chorus"), ("hook", "chorus"), ("intro", "intro"), ("verse", "verse"),
    ("bridge", "bridge"), ("middle 8", "bridge"), ("breakdown", "break"), ("break", "break"), ("interlude", "break"),
    ("instrumental", "break"), ("solo", "break"), ("drop", "drop"), ("outro", "outro"), ("ending", "outro"), ("coda", "outro"),
)


# ----------------------------------------------------------------------------------------------------------------- export


def _json_text(obj: dict) -> str:
    return _LEMM + json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def _channels(score: m.Score) -> list[int]:
    out, k = [], 0
    for t in score.tracks:
        if t.is_drum:
            out.append(9)
        else:
            out.append(_MELODIC_CHANNELS[k % len(_MELODIC_CHANNELS)])
            k += 1
    return out


def _midi_key(key: m.KeyChange) -> str:
    name = key.tonic + ("m" if key.mode == "minor" else "")
    if name in _KEY_NAMES[key.mode] or name in ("Cb", "Gb", "F#", "C#", "Abm", "D#m", "A#m"):
        return name
    return _KEY_NAMES[key.mode][pitch_class(key.tonic)]


def _tempo_us(tempo_bpm: float) -> int:
    return int(round(60_000_000 / tempo_bpm))


def _lyric_json(lyric: m.Lyric | None) -> list | None:
    return None if lyric is None else [lyric.text, lyric.syllabic, lyric.extend]


def _sample_curve(points: tuple[m.CurvePoint, ...], step: int) -> list[tuple[int, float]]:
    """Points of a piecewise-linear curve sampled every ``step`` ticks between breakpoints."""
    out: list[tuple[int, float]] = []
    for a, b in zip(points, points[1:], strict=False):
        out.append((a.tick, a.value))
        for t in range(a.tick + step, b.tick, step):
            out.append((t, a.value + (b.value - a.value) * (t - a.tick) / (b.tick - a.tick)))
    if points:
        out.append((points[-1].tick, points[-1].value))
    return out


def _curve_messages(track: m.Track, channel: int, resolution: int) -> list[tuple[int, int, Any]]:
    """CC11 for the dynamics curve (pitch bend and vibrato: :func:`lemm.score.midicc.bend_messages`)."""
    out: list[tuple[int, int, Any]] = []
    step = max(1, resolution // 8)
    dyn = track.curve("dynamics")
    if dyn is not None:
        last = None
        for tick, value in _sample_curve(dyn.points, step):
            cc = int(round(value * 127))
            if cc != last:
                out.append((tick, 6, mido.Message("control_change", channel=channel, control=11, value=cc)))
                last = cc
    return out


def _to_track(events: list[tuple[int, int, Any]], end_tick: int) -> mido.MidiTrack:
    """Absolute (tick, order, message) events -> a track with delta times, ending at ``end_tick``."""
    track = mido.MidiTrack()
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - now)))
    return track


def _note_events(track: m.Track, channel: int) -> list[tuple[int, int, Any]]:
    out: list[tuple[int, int, Any]] = []
    for n in track.notes:
        if n.lyric is not None and n.lyric.text != "":
            text = n.lyric.text + ("-" if n.lyric.syllabic in ("begin", "middle") else "")
            out.append((n.start_tick, 7, mido.MetaMessage("lyrics", text=text)))
        out.append((n.start_tick, 8, mido.Message("note_on", channel=channel, note=n.pitch, velocity=n.velocity)))
        out.append((n.end_tick, 5, mido.Message("note_off", channel=channel, note=n.pitch, velocity=0)))
    return out


def _track_meta(track: m.Track, note_events: list[tuple[int, int, Any]], end_tick: int) -> dict:
    meta: dict[str, Any] = {"t": "track", "role": track.role, "preset": track.preset}
    if track.is_drum:
        meta["is_drum"] = True
    if track.pan != 0.0:
        meta["pan"] = track.pan
    if track.gain_db != 0.0:
        meta["gain_db"] = track.gain_db
    if track.dynamics:
        meta["dynamics"] = [[d.tick, d.marking] for d in track.dynamics]
    if track.hairpins:
        meta["hairpins"] = [[h.start_tick, h.duration_ticks, h.kind] for h in track.hairpins]
    if track.expression:
        meta["expression"] = [[c.name, [[p.tick, p.value] for p in c.points]] for c in track.expression]
    ordered = [(tick, msg) for tick, _, msg in sorted(note_events, key=lambda e: (e[0], e[1]))]
    groups, _ = _decode_notes(ordered, end_tick)
    decoded = [n for g in groups.values() for n in g]
    meta["sig"] = notes_signature(decoded)  # "notes" and "fix" hold only while the events still give this
    if [(n.pitch, n.start_tick, n.duration_ticks, n.velocity) for n in decoded] != [
        (n.pitch, n.start_tick, n.duration_ticks, n.velocity) for n in track.notes
    ]:  # overlapping notes of one pitch that plain note on/off pairs would not give back
        meta["notes"] = [[n.pitch, n.start_tick, n.duration_ticks, n.velocity] for n in track.notes]
        decoded = [m.Note(n.pitch, n.start_tick, n.duration_ticks, n.velocity) for n in track.notes]
    fixes = [
        [i, n.articulation, _lyric_json(n.lyric)]
        for i, (n, d) in enumerate(zip(track.notes, decoded, strict=True))
        if (n.articulation, n.lyric) != (d.articulation, d.lyric)
    ]
    if fixes:
        meta["fix"] = fixes
    return meta


def score_to_midi(score: m.Score) -> mido.MidiFile:
    """Build a type 1 MIDI file from a score (see the module docstring for the layout).

    Parameters
    ----------
    score : Score

    Returns
    -------
    mido.MidiFile
        ``ticks_per_beat == score.resolution``; track 0 is the conductor track.
    """
    mid = mido.MidiFile(type=1, ticks_per_beat=score.resolution, charset="utf-8")
    end = max([score.end_tick] + [c.end_tick for c in score.chords])  # Score.end_tick ignores chords
    conductor_meta = {
        "t": "score",
        "title": score.title,
        "tempos": [[t.tick, t.tempo_bpm] for t in score.tempos],
        "keys": [[k.tick, k.tonic, k.mode] for k in score.keys],
        "sections": [[s.name, s.kind, s.duration_ticks, s.energy] for s in score.sections],
        "chords": [[c.start_tick, c.duration_ticks, c.symbol] for c in score.chords],
    }
    ev: list[tuple[int, int, Any]] = [(0, 0, mido.MetaMessage("track_name", name=score.title)), (0, 1, mido.MetaMessage("text", text=_json_text(conductor_meta)))]
    ev += [(x.tick, 2, mido.MetaMessage("time_signature", numerator=x.numerator, denominator=x.denominator)) for x in score.meters]
    ev += [(k.tick, 3, mido.MetaMessage("key_signature", key=_midi_key(k))) for k in score.keys]
    ev += [(t.tick, 4, mido.MetaMessage("set_tempo", tempo=_tempo_us(t.tempo_bpm))) for t in score.tempos]
    ev += [(s.start_tick, 5, mido.MetaMessage("marker", text=s.name)) for s in score.sections]
    ev += [(c.start_tick, 6, mido.MetaMessage("text", text=_CHORD + c.symbol)) for c in score.chords]
    mid.tracks.append(_to_track(ev, end))
    for track, channel in zip(score.tracks, _channels(score), strict=True):
        notes = _note_events(track, channel)
        ev = [
            (0, 0, mido.MetaMessage("track_name", name=track.name)),
            (0, 1, mido.MetaMessage("text", text=_json_text(_track_meta(track, notes, end)))),
            (0, 2, mido.Message("program_change", channel=channel, program=track.program)),
            (0, 3, mido.Message("control_change", channel=channel, control=10, value=_pan_cc(track.pan))),
            (0, 3, mido.Message("control_change", channel=channel, control=7, value=gain_to_cc7(track.gain_db))),
        ]
        curves = _curve_messages(track, channel, score.resolution) + bend_messages(track, score, channel)
        mid.tracks.append(_to_track(ev + curves + notes, end))
    return mid


def _pan_cc(pan: float) -> int:
    return int(round(64 + pan * (64 if pan < 0 else 63)))


def write_midi(score: m.Score, path: str | os.PathLike) -> Path:
    """Write the score as a Standard MIDI File, atomically. Returns the path written."""
    mid = score_to_midi(score)
    with atomic_path(path) as tmp:
        mid.save(tmp)
    return Path(path)


# ----------------------------------------------------------------------------------------------------------------- import


def section_kind_from_name(name: str) -> str:
    """Guess a section kind from a marker name: ``"Chorus 2"`` -> ``"chorus"``, unknown -> ``"verse"``.

    >>> section_kind_from_name("Pre-Chorus"), section_kind_from_name("Middle 8"), section_kind_from_name("A")
    ('pre-chorus', 'bridge', 'verse')
    """
    low = " ".join(name.lower().replace("_", " ").split())
    for alias, kind in _SECTION_ALIASES:
        if low.startswith(alias):
            return kind
    return "verse"


def _fix_text(text: str) -> str:
    """Text read as latin-1 that is really UTF-8 (as lemm writes it) -> proper text."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _decode_notes(events: list[tuple[int, Any]], end_tick: int) -> tuple[dict[int, list[m.Note]], list[tuple[int, str]]]:
    """Note on/off pairs (first on, first off) per channel, and lyric events; lyrics attach to notes."""
    open_notes: dict[tuple[int, int], collections.deque] = collections.defaultdict(collections.deque)
    raw: list[list] = []  # [start, pitch, end, velocity, channel, lyric]
    lyrics: list[tuple[int, str]] = []
    for tick, msg in events:
        if msg.type == "note_on" and msg.velocity > 0:
            open_notes[(msg.channel, msg.note)].append(len(raw))
            raw.append([tick, msg.note, None, msg.velocity, msg.channel, None])
        elif msg.type in ("note_off", "note_on"):
            queue = open_notes.get((msg.channel, msg.note))
            if queue:
                raw[queue.popleft()][2] = tick
        elif msg.type == "lyrics":
            lyrics.append((tick, _fix_text(msg.text)))
    by_start: dict[int, list[list]] = collections.defaultdict(list)
    for r in raw:
        by_start[r[0]].append(r)
    hyphen_open = False
    for tick, text in lyrics:
        text = text.strip().lstrip("/\\").strip()
        candidates = [r for r in by_start.get(tick, ()) if r[5] is None]
        if not text or not candidates:
            continue
        hyphen = text.endswith("-") and len(text) > 1
        text = text[:-1] if hyphen else text
        syllabic = ("middle" if hyphen_open else "begin") if hyphen else ("end" if hyphen_open else "single")
        max(candidates, key=lambda r: r[1])[5] = m.Lyric(text, syllabic)
        hyphen_open = hyphen
    groups: dict[int, list[m.Note]] = {}
    for start, pitch, end, velocity, channel, lyric in raw:
        end = end_tick if end is None else end
        groups.setdefault(channel, []).append(m.Note(pitch, start, max(1, end - start), velocity, None, lyric))
    return {ch: sorted(notes, key=lambda n: (n.start_tick, n.pitch)) for ch, notes in sorted(groups.items())}, lyrics


def _lyric_from_json(data: list | None) -> m.Lyric | None:
    return None if data is None else m.Lyric(data[0], data[1], data[2])


def _read_meta(text: str) -> dict | None:
    if not text.startswith(_LEMM):
        return None
    try:
        data = json.loads(text[len(_LEMM):])
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _unique(name: str, used: set[str]) -> str:
    out, k = name, 2
    while out in used:
        out, k = f"{name} {k}", k + 1
    used.add(out)
    return out


def _clean_name(text: str, fallback: str) -> str:
    return clean_name(_fix_text(text), fallback=fallback)  # no control or file-name characters, at most MAX_NAME_CHARS


def _plain_track(name: str, channel: int, notes: list[m.Note], events: list[tuple[int, Any]]) -> m.Track:
    """A track from plain MIDI events of one channel (no lemm text)."""
    program = next((msg.program for _, msg in events if msg.type == "program_change" and msg.channel == channel), 0)
    role, preset = preset_for_program(program, is_drum=channel == 9)
    if channel != 9 and any(n.lyric is not None for n in notes):
        pitches = sorted(n.pitch for n in notes)
        role, preset = "vocal", "voice_low" if pitches[len(pitches) // 2] < 60 else "voice_high"
    pan_cc = next((msg.value for _, msg in events if msg.type == "control_change" and msg.channel == channel and msg.control == 10), 64)
    pan = (pan_cc - 64) / (64 if pan_cc < 64 else 63)
    volume_cc = next((msg.value for _, msg in events if msg.type == "control_change" and msg.channel == channel and msg.control == 7), 127)
    dyn = [m.CurvePoint(t, msg.value / 127) for t, msg in events if msg.type == "control_change" and msg.channel == channel and msg.control == 11]
    curves = [m.ExpressionCurve("dynamics", tuple(dyn))] if dyn else []
    bend_range, rpn, bend = 2.0, [127, 127], []
    for t, msg in events:
        if msg.type == "control_change" and msg.channel == channel:
            if msg.control in (101, 100):
                rpn[101 - msg.control] = msg.value
            elif msg.control == 6 and rpn == [0, 0]:
                bend_range = float(msg.value)
        elif msg.type == "pitchwheel" and msg.channel == channel:
            bend.append(m.CurvePoint(t, max(-24.0, min(24.0, msg.pitch / 8192 * bend_range))))
    if bend:
        curves.append(m.ExpressionCurve("pitch_bend_semitones", tuple(bend)))
    return m.Track(name, role, preset, program=program, is_drum=channel == 9, pan=pan, gain_db=round(cc7_to_gain(volume_cc), 2), notes=tuple(notes), expression=tuple(curves))


def notes_signature(notes: list[m.Note]) -> str:
    """Checksum of the plain note events (pitch, start, length, velocity) of a track, in order.

    lemm's text stores it; a program that edits the notes but keeps the text
    changes the events, and the per-note data in the text is then ignored.

    >>> notes_signature([m.Note(60, 0, 480, 90)])
    'cd258f66'
    """
    data = ";".join(f"{n.pitch},{n.start_tick},{n.duration_ticks},{n.velocity}" for n in notes)
    return f"{zlib.crc32(data.encode('ascii')):08x}"


def _lemm_track(name: str, meta: dict, notes: list[m.Note], events: list[tuple[int, Any]]) -> m.Track:
    """A track written by lemm: plain events plus the lemm text (its per-note data only while the notes agree)."""
    program = next((msg.program for _, msg in events if msg.type == "program_change"), 0)
    if "sig" in meta and meta["sig"] != notes_signature(notes):
        meta = {k: v for k, v in meta.items() if k not in ("notes", "fix")}
    if "notes" in meta:
        notes = [m.Note(p, s, d, v) for p, s, d, v in meta["notes"]]
    for i, articulation, lyric in meta.get("fix", ()):
        if 0 <= i < len(notes):
            notes[i] = m.Note(notes[i].pitch, notes[i].start_tick, notes[i].duration_ticks, notes[i].velocity, articulation, _lyric_from_json(lyric))
    return m.Track(
        name, meta["role"], meta["preset"], program=program, is_drum=bool(meta.get("is_drum", False)),
        pan=float(meta.get("pan", 0.0)), gain_db=float(meta.get("gain_db", 0.0)), notes=tuple(notes),
        dynamics=tuple(m.DynamicMark(t, k) for t, k in meta.get("dynamics", ())),
        hairpins=tuple(m.Hairpin(s, d, k) for s, d, k in meta.get("hairpins", ())),
        expression=tuple(m.ExpressionCurve(c, tuple(m.CurvePoint(t, float(v)) for t, v in pts)) for c, pts in meta.get("expression", ())),
    )  # fmt: skip


def _changes(items: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Sort by tick; of several changes at one tick keep the last."""
    last: dict[int, Any] = {}
    for tick, value in sorted(items, key=lambda x: x[0]):
        last[tick] = value
    return sorted(last.items())


def _tempos(events: list[tuple[int, Any]], meta: dict) -> tuple[m.TempoChange, ...]:
    exact = {t: bpm for t, bpm in meta.get("tempos", ())}
    out = []
    for tick, us in _changes([(t, msg.tempo) for t, msg in events if msg.type == "set_tempo"]):
        bpm = math.inf if us == 0 else 60_000_000 / us
        if not 20.0 <= bpm <= 400.0:
            raise FileFormatError(f"MIDI tempo at tick {tick} must be in 20..400 bpm, got {bpm:.6g} bpm ({us} microseconds per quarter)")
        out.append(m.TempoChange(tick, float(exact[tick]) if tick in exact and _tempo_us(exact[tick]) == us else round(bpm, 3)))
    if not out or out[0].tick != 0:
        out.insert(0, m.TempoChange(0, out[0].tempo_bpm if out else 120.0))
    return tuple(out)


def _meters(events: list[tuple[int, Any]]) -> tuple[m.MeterChange, ...]:
    out = []
    for tick, msg in _changes([(t, msg) for t, msg in events if msg.type == "time_signature"]):
        if not 1 <= msg.numerator <= 32 or msg.denominator not in (1, 2, 4, 8, 16, 32):
            raise FileFormatError(f"MIDI time signature at tick {tick} must be 1..32 over 1, 2, 4, 8, 16 or 32, got {msg.numerator}/{msg.denominator}")
        out.append(m.MeterChange(tick, msg.numerator, msg.denominator))
    if not out or out[0].tick != 0:
        out.insert(0, m.MeterChange(0, 4, 4))
    return tuple(out)


def _keys(events: list[tuple[int, Any]], meta: dict) -> tuple[m.KeyChange, ...]:
    exact = {t: (tonic, mode) for t, tonic, mode in meta.get("keys", ())}
    out = []
    for tick, key in _changes([(t, msg.key) for t, msg in events if msg.type == "key_signature"]):
        tonic, mode = (key[:-1], "minor") if key.endswith("m") else (key, "major")
        if tick in exact and exact[tick][1] == mode and pitch_class(exact[tick][0]) == pitch_class(tonic):
            tonic = exact[tick][0]
        out.append(m.KeyChange(tick, tonic, mode))
    if not out or out[0].tick != 0:
        out.insert(0, m.KeyChange(0, "C", "major"))
    return tuple(out)


def _spans(starts: list[tuple[int, Any]], end_tick: int) -> list[tuple[int, int, Any]]:
    """(start, room, item): room is the distance to the next start or the song end."""
    out = []
    for i, (tick, item) in enumerate(starts):
        nxt = starts[i + 1][0] if i + 1 < len(starts) else end_tick
        out.append((tick, nxt - tick, item))
    return out


def _sections(events: list[tuple[int, Any]], meta: dict, end_tick: int) -> tuple[m.Section, ...]:
    known = {s[0]: s for s in meta.get("sections", ())}
    used: set[str] = set()
    markers = sorted(((t, _fix_text(msg.text)) for t, msg in events if msg.type == "marker"), key=lambda x: x[0])
    out = []
    for i, (tick, room, name) in enumerate(_spans(markers, end_tick)):
        name = _unique(name if name in known else (name.strip() or f"section {i + 1}"), used)
        if name in known and 0 < known[name][2] <= room:
            out.append(m.Section(name, known[name][1], tick, known[name][2], float(known[name][3])))
        elif room > 0:
            out.append(m.Section(name, section_kind_from_name(name), tick, room))
    return tuple(out)


def _chords(events: list[tuple[int, Any]], meta: dict, end_tick: int) -> tuple[m.ChordSymbol, ...]:
    known = {(s, sym): d for s, d, sym in meta.get("chords", ())}
    found = []
    for tick, msg in events:
        if msg.type == "text" and msg.text.startswith(_CHORD):
            symbol = _fix_text(msg.text[len(_CHORD):])
            try:
                parse_chord(symbol)
            except ParameterError:
                continue
            found.append((tick, symbol))
    found = _changes(found)
    out = []
    for tick, room, symbol in _spans(found, end_tick):
        length = known.get((tick, symbol), room)
        if 0 < length <= room:
            out.append(m.ChordSymbol(tick, length, symbol))
        elif room > 0:
            out.append(m.ChordSymbol(tick, room, symbol))
    return tuple(out)


def midi_to_score(mid: mido.MidiFile, *, title: str | None = None, max_notes: int = MAX_TOTAL_NOTES) -> m.Score:
    """Read a score from a MIDI file (lemm's own exactly; other programs' with the losses listed above).

    Parameters
    ----------
    mid : mido.MidiFile
        Type 0 or 1.
    title : str, optional
        Title to use; default: the one lemm wrote, else the name of a first
        track that has no notes, else ``"untitled"``.
    max_notes : int
        Refuse a file with more notes than this before decoding them (default
        :data:`lemm.limits.MAX_TOTAL_NOTES`; a guide uses ``MAX_GUIDE_NOTES``).

    Raises
    ------
    FileFormatError
        Type 2 or SMPTE-timed files, tempos outside 20..400 bpm, unsupported meters.
    ScoreError
        A file with no notes, or one whose content breaks the score's rules.
    """
    n_notes = sum(1 for track in mid.tracks for msg in track if msg.type == "note_on" and msg.velocity > 0)
    name = "MAX_TOTAL_NOTES" if max_notes == MAX_TOTAL_NOTES else ("MAX_GUIDE_NOTES" if max_notes == MAX_GUIDE_NOTES else "max_notes")
    check_count("notes in the MIDI file", n_notes, min(max_notes, MAX_TOTAL_NOTES), name)  # before any decoding
    try:
        return _midi_to_score(mid, title)
    except (FileFormatError, ScoreError):
        raise
    except (ParameterError, KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as err:
        raise ScoreError(f"MIDI file content does not make a valid score: {err}") from None


def _midi_to_score(mid: mido.MidiFile, title: str | None) -> m.Score:
    if mid.type not in (0, 1):
        raise FileFormatError(f"MIDI file type must be 0 or 1, got {mid.type}")
    resolution = mid.ticks_per_beat
    if not isinstance(resolution, int) or resolution < 1:
        raise FileFormatError(f"MIDI ticks_per_beat must be a positive integer, got {resolution!r}")
    scale = 1.0
    if not 24 <= resolution <= 9600:  # music21 writes 10080: read at 960 ticks per quarter
        scale, resolution = 960 / resolution, 960
    tracks: list[list[tuple[int, Any]]] = []
    for track in mid.tracks:
        now, evs = 0, []
        for msg in track:
            now += msg.time
            evs.append((int(round(now * scale)), msg))
        tracks.append(evs)
    end_tick = max((evs[-1][0] for evs in tracks if evs), default=0)
    all_events = sorted((e for evs in tracks for e in evs), key=lambda e: e[0])
    metas = [(_read_meta(_fix_text(msg.text)) if msg.type == "text" else None) for _, msg in all_events]
    score_meta = next((d for d in metas if d and d.get("t") == "score"), {})
    used: set[str] = set()
    out_tracks: list[m.Track] = []
    first_name = None
    for index, evs in enumerate(tracks):
        name = next((msg.name for _, msg in evs if msg.type == "track_name"), "")
        groups, _ = _decode_notes(evs, end_tick)
        if index == 0:
            first_name = None if groups else _fix_text(name)
        own = [d for d in (_read_meta(_fix_text(msg.text)) for _, msg in evs if msg.type == "text") if d]
        if not groups and (len(own) > 1 or any(d.get("t") == "score" for d in own)):
            continue  # a conductor track a tool filled with every track's lemm text (pretty_midi does)
        meta = next((d for d in own if d.get("t") == "track"), None)
        base = _clean_name(name, f"track {index}")
        if meta is not None:
            notes = [n for g in groups.values() for n in g]
            notes.sort(key=lambda n: (n.start_tick, n.pitch))
            out_tracks.append(_lemm_track(_unique(base, used), meta, notes, evs))
            continue
        for channel, notes in groups.items():
            label = base if len(groups) == 1 else f"{base} ch{channel + 1}"
            out_tracks.append(_plain_track(_unique(label, used), channel, notes, evs))
    if not any(t.notes for t in out_tracks):
        raise ScoreError("MIDI file must contain at least one note, got none")
    end_tick = max([end_tick] + [t.end_tick for t in out_tracks])
    if title is None:
        title = score_meta.get("title") if isinstance(score_meta.get("title"), str) else (first_name or "untitled")
    title = clean_text(title, max_chars=MAX_TITLE_CHARS)  # another program's title, made safe
    return m.Score(
        title=title, resolution=resolution, tempos=_tempos(all_events, score_meta), meters=_meters(all_events),
        keys=_keys(all_events, score_meta), sections=_sections(all_events, score_meta, end_tick),
        chords=_chords(all_events, score_meta, end_tick), tracks=tuple(out_tracks),
    )  # fmt: skip


def read_midi(path: str | os.PathLike, *, title: str | None = None, max_notes: int = MAX_TOTAL_NOTES) -> m.Score:
    """Read a ``.mid`` file into a score (see :func:`midi_to_score`).

    Raises
    ------
    LemmFileNotFoundError
        If ``path`` does not exist.
    FileFormatError
        If the file is not a readable Standard MIDI File.
    """
    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"MIDI file {str(p)!r} does not exist or is not a file")
    check_file_size(p, MAX_MIDI_BYTES, "MAX_MIDI_BYTES", what="MIDI file")
    name = "MAX_TOTAL_NOTES" if max_notes == MAX_TOTAL_NOTES else ("MAX_GUIDE_NOTES" if max_notes == MAX_GUIDE_NOTES else "max_notes")
    check_count(f"notes in the MIDI file {str(p)!r}", count_midi_note_ons(p.read_bytes()), min(max_notes, MAX_TOTAL_NOTES), name)  # before parsing
    try:
        mid = mido.MidiFile(p, charset="latin1")
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as err:
        raise FileFormatError(f"MIDI file {str(p)!r} cannot be read as a Standard MIDI File: {err}") from None
    return midi_to_score(mid, title=title, max_notes=max_notes)
