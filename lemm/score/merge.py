"""Edits made to an exported score (in MuseScore, a DAW...) merged back into the song's score.

A three-way merge: ``current`` is the song's score, ``exported`` is what lemm's
own reader returns for lemm's own unedited export of it, ``edited`` is what
the reader returns for the person's file. Only what differs between
``exported`` and ``edited`` is applied to ``current``, so notes nobody touched
keep their exact ticks, gate lengths and humanised velocities, and every field
notation does not carry (role, preset, pan, gain, hairpins, expression curves,
section kinds and energies) stays.

What is merged
--------------
- notes, per track matched by part name: added, deleted, changed pitch,
  duration, velocity, articulation or lyric (a changed note keeps the exact
  start of its original);
- dynamic markings; tempo, key and meter changes; chord symbols; sections
  (rehearsal marks: moved, renamed, added, removed; a section lasts to the
  next one when it did before); the title;
- one run of 1..4 whole bars inserted or deleted at one bar line (see
  :mod:`lemm.score.barshift`): everything after it moves by exactly that much.

What is not
-----------
- bars inserted or deleted in several places read as moved notes (deleted
  and added, so their humanised timing is re-quantised);
- instrument changes (the render preset stays), hairpins (the readers do not
  read wedges back), expression curves;
- a part of the song missing from the edited file leaves that track as it is
  (editors and DAWs often export only some parts; remove a track in lemm);
- a part whose name is not a track of the song is matched to a track by its
  notes (:func:`import_notation_report` reports it), else raises
  :class:`ScoreError` naming it and the song's parts; the song is never
  changed half-way.

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> cur = Score(tracks=(Track("piano", "keys", "acoustic_piano", notes=(Note(60, 3, 451, 77), Note(64, 481, 440, 81))),))
>>> exp = Score(tracks=(Track("piano", "keys", "acoustic_piano", notes=(Note(60, 0, 460, 77), Note(64, 480, 440, 81))),))
>>> ed = Score(tracks=(Track("piano", "keys", "acoustic_piano", notes=(Note(60, 0, 460, 77), Note(65, 480, 440, 81))),))
>>> merge_edits(cur, exp, ed, position=lambda tick: round(tick / 120) * 120).track("piano").notes  # exported on a 16th grid
(Note(pitch=60, start_tick=3, duration_ticks=451, velocity=77, articulation=None, lyric=None), Note(pitch=65, start_tick=481, duration_ticks=440, velocity=81, articulation=None, lyric=None))
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

from lemm.errors import FileFormatError, LemmError, LemmFileNotFoundError, ParameterError, ScoreError
from lemm.score import model as m
from lemm.score.barshift import find_bar_shift, shift_bars
from lemm.score.changes import changed_slices, describe_changes
from lemm.score.harmony import pitch_class
from lemm.score.matching import diff_items, pair_items
from lemm.score.midi import _decode_notes, _fix_text, _read_meta, midi_to_score, notes_signature, read_midi, score_to_midi
from lemm.score.musicxml import read_notation, write_musicxml
from lemm.score.notation.spelling import key_fifths
from lemm.score.notation.view import notation_view

__all__ = ["NOTATION_SUFFIXES", "ImportResult", "changed_slices", "describe_changes", "import_notation", "import_notation_report", "merge_edits"]

#: File suffixes :func:`import_notation` reads, and the format of each.
NOTATION_SUFFIXES = {".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "musicxml", ".mid": "midi", ".midi": "midi"}
_MARK_VELOCITY = {"ppp": 20, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 127, "sfz": 112, "fp": 96}


def _rescale(score: m.Score, resolution: int) -> m.Score:
    """The score at another resolution (ticks scaled and rounded; lengths at least 1)."""
    if score.resolution == resolution:
        return score
    f = Fraction(resolution, score.resolution)

    def t(tick: int) -> int:
        return int(round(tick * f))

    def d(start: int, length: int) -> int:
        return max(1, t(start + length) - t(start))

    rep = dataclasses.replace
    tracks = tuple(
        rep(
            tr,
            notes=tuple(sorted((rep(n, start_tick=t(n.start_tick), duration_ticks=d(n.start_tick, n.duration_ticks)) for n in tr.notes), key=lambda n: (n.start_tick, n.pitch))),
            dynamics=tuple(rep(x, tick=t(x.tick)) for x in tr.dynamics),
            hairpins=tuple(rep(h, start_tick=t(h.start_tick), duration_ticks=d(h.start_tick, h.duration_ticks)) for h in tr.hairpins),
            expression=tuple(rep(c, points=tuple(rep(p, tick=t(p.tick)) for p in c.points)) for c in tr.expression),
        )
        for tr in score.tracks
    )
    return rep(
        score, resolution=resolution, tempos=tuple(rep(x, tick=t(x.tick)) for x in score.tempos),
        meters=tuple(rep(x, tick=t(x.tick)) for x in score.meters), keys=tuple(rep(x, tick=t(x.tick)) for x in score.keys),
        sections=tuple(rep(s, start_tick=t(s.start_tick), duration_ticks=d(s.start_tick, s.duration_ticks)) for s in score.sections),
        chords=tuple(rep(c, start_tick=t(c.start_tick), duration_ticks=d(c.start_tick, c.duration_ticks)) for c in score.chords), tracks=tracks,
    )  # fmt: skip


def _anchor(current: Sequence, exported: Sequence, key: Callable, order: Callable) -> dict[int, int]:
    """Index in ``current`` of each exported item's original (by ``key``, in ``order``)."""
    c_idx = sorted(range(len(current)), key=lambda i: order(current[i]))
    e_idx = sorted(range(len(exported)), key=lambda i: order(exported[i]))
    return dict(pair_items(exported, current, e_idx, c_idx, key, key))


def _merge_notes(cur: m.Track, exp: m.Track, ed: m.Track, start_of: Callable[[m.Note], int], unnotated: int | None, marks: tuple[m.DynamicMark, ...]) -> tuple[m.Note, ...]:
    c, e, d = cur.notes, exp.notes, ed.notes
    c_idx = sorted(range(len(c)), key=lambda i: (c[i].start_tick, c[i].pitch, c[i].duration_ticks))
    e_idx = sorted(range(len(e)), key=lambda i: (e[i].start_tick, e[i].pitch, e[i].duration_ticks))
    e2c = dict(pair_items(e, c, e_idx, c_idx, lambda n: (n.start_tick, n.pitch), lambda n: (start_of(n), n.pitch)))

    def vel(n: m.Note) -> int | None:
        return None if n.velocity == unnotated else n.velocity

    def art(n: m.Note) -> str | None:  # notation has no legato mark: legato -> none is no edit
        return None if n.articulation == "legato" else n.articulation

    keys = [
        (lambda n: (n.start_tick, n.pitch, n.duration_ticks, n.velocity, art(n), n.lyric), lambda n: (n.start_tick, n.pitch, n.duration_ticks, vel(n), art(n), n.lyric)),
        (lambda n: (n.start_tick, n.pitch, n.duration_ticks, None, art(n), n.lyric), lambda n: (n.start_tick, n.pitch, n.duration_ticks, vel(n), art(n), n.lyric)),
        (lambda n: (n.start_tick, n.pitch), lambda n: (n.start_tick, n.pitch)),
        (lambda n: (n.start_tick, n.duration_ticks), lambda n: (n.start_tick, n.duration_ticks)),
        (lambda n: n.start_tick, lambda n: n.start_tick),
    ]
    pairs, deleted, added = diff_items(e, d, keys)
    out = {i: n for i, n in enumerate(c)}
    extra = []
    for i, j in pairs:
        en, dn = e[i], d[j]
        changes = {f: getattr(dn, f) for f in ("pitch", "duration_ticks", "lyric") if getattr(en, f) != getattr(dn, f)}
        if art(en) != art(dn):
            changes["articulation"] = dn.articulation
        if vel(dn) is not None and dn.velocity != en.velocity:
            changes["velocity"] = dn.velocity
        if not changes:
            continue
        if i in e2c:
            out[e2c[i]] = dataclasses.replace(c[e2c[i]], **changes)
        else:
            extra.append(dataclasses.replace(en, **changes))
    for i in deleted:
        out.pop(e2c.get(i, -1), None)
    for j in added:
        n = d[j]
        if vel(n) is None:  # an added note without a velocity of its own: the marking's
            mark = [x.marking for x in marks if x.tick <= n.start_tick]
            n = dataclasses.replace(n, velocity=_MARK_VELOCITY.get(mark[-1], 90) if mark else 90)
        extra.append(n)
    return tuple(sorted(list(out.values()) + extra, key=lambda n: (n.start_tick, n.pitch)))


def _merge_marks(cur: Sequence, exp: Sequence, ed: Sequence, *, pos: str, value: Callable, q: Callable[[int], int]) -> list:
    """Point items (dynamics, tempo/key/meter changes): unchanged keep their exact tick, changed take the edited value."""
    def ident(x):
        return q(getattr(x, pos)), value(x)

    e2c = _anchor(cur, exp, ident, lambda x: getattr(x, pos))
    pairs, deleted, added = diff_items(exp, ed, [(ident, ident), (lambda x: q(getattr(x, pos)), lambda x: q(getattr(x, pos)))])
    out = {i: x for i, x in enumerate(cur)}
    for i, j in pairs:
        if ident(exp[i]) != ident(ed[j]):
            if i in e2c:
                out[e2c[i]] = dataclasses.replace(ed[j], **{pos: getattr(cur[e2c[i]], pos)})
            else:
                added.append(j)
    for i in deleted:
        out.pop(e2c.get(i, -1), None)
    return sorted(list(out.values()) + [ed[j] for j in added], key=lambda x: getattr(x, pos))


def _fit_spans(items: list[tuple[object, bool]]) -> list:
    """Spans sorted by start; one that reached its next span before reaches the new next one; none overlap."""
    items = sorted(items, key=lambda x: x[0].start_tick)
    out = []
    for k, (x, contiguous) in enumerate(items):
        nxt = items[k + 1][0].start_tick if k + 1 < len(items) else None
        end = x.end_tick
        if contiguous and nxt is not None:
            end = nxt
        elif nxt is not None:
            end = min(end, nxt)
        if end > x.start_tick:
            out.append(dataclasses.replace(x, duration_ticks=end - x.start_tick))
    return out


def _contiguous(items: Sequence) -> dict[int, bool]:
    return {id(a): a.end_tick == b.start_tick for a, b in zip(items, items[1:], strict=False)}


def _merge_sections(cur: m.Score, exp: m.Score, ed: m.Score, q) -> list[m.Section]:
    c, e, d = cur.sections, exp.sections, ed.sections
    e2c = _anchor(c, e, lambda s: s.name, lambda s: s.start_tick)
    free_e = [i for i in range(len(e)) if i not in e2c]
    free_c = [i for i in range(len(c)) if i not in set(e2c.values())]
    e2c.update(pair_items(e, c, free_e, free_c, lambda s: q(s.start_tick), lambda s: q(s.start_tick)))
    pairs, deleted, added = diff_items(e, d, [(lambda s: (s.name, s.start_tick), lambda s: (s.name, s.start_tick)), (lambda s: s.name, lambda s: s.name), (lambda s: s.start_tick, lambda s: s.start_tick)])
    cont = _contiguous(c)
    out = {i: (s, cont.get(id(s), False)) for i, s in enumerate(c)}
    for i, j in pairs:
        es, ds = e[i], d[j]
        if (es.name, es.start_tick) == (ds.name, ds.start_tick) or i not in e2c:
            continue
        cs = c[e2c[i]]
        kind = ds.kind if es.name != ds.name and ds.kind != es.kind else cs.kind
        start = ds.start_tick if es.start_tick != ds.start_tick else cs.start_tick
        out[e2c[i]] = (dataclasses.replace(cs, name=ds.name, kind=kind, start_tick=start, duration_ticks=max(1, cs.end_tick - start)), out[e2c[i]][1])
    for i in deleted:
        k = e2c.get(i, -1)
        if k in out:
            del out[k]
            if k > 0 and k - 1 in out and cont.get(id(c[k - 1])):  # the one before it reaches on
                out[k - 1] = (out[k - 1][0], True)
    items = list(out.values()) + [(d[j], True) for j in added]
    return _fit_spans(items)


def _merge_chords(cur: m.Score, exp: m.Score, ed: m.Score, q) -> list[m.ChordSymbol]:
    c, e, d = cur.chords, exp.chords, ed.chords
    e2c = _anchor(c, e, lambda x: q(x.start_tick), lambda x: x.start_tick)
    pairs, deleted, added = diff_items(e, d, [(lambda x: (x.start_tick, x.symbol), lambda x: (x.start_tick, x.symbol)), (lambda x: x.start_tick, lambda x: x.start_tick)])
    cont = _contiguous(c)
    out = {i: (x, cont.get(id(x), False)) for i, x in enumerate(c)}
    for i, j in pairs:
        if e[i].symbol != d[j].symbol and i in e2c:
            out[e2c[i]] = (dataclasses.replace(c[e2c[i]], symbol=d[j].symbol), out[e2c[i]][1])
    for i in deleted:
        k = e2c.get(i, -1)
        if k in out:
            del out[k]
            if k - 1 in out and cont.get(id(c[k - 1])):
                out[k - 1] = (out[k - 1][0], True)
    return _fit_spans(list(out.values()) + [(d[j], True) for j in added])


def _check_parts(current: m.Score, edited: m.Score) -> None:
    known = [t.name for t in current.tracks]
    unknown = [t.name for t in edited.tracks if t.name not in known]
    if unknown:
        raise ScoreError(
            f"edited file parts must be tracks of the song ({', '.join(known) or 'none'}), got unknown part(s) {', '.join(map(repr, unknown))}; "
            "rename them to the song's track names"
        )


def merge_edits(
    current: m.Score,
    exported: m.Score,
    edited: m.Score,
    *,
    unnotated_velocity: int | None = None,
    position: Callable[[int], int] | None = None,
    note_start: Callable[[str, m.Note], int] | None = None,
) -> m.Score:
    """Apply the differences between ``exported`` and ``edited`` to ``current`` (see the module docstring).

    Parameters
    ----------
    current : Score
        The song's score.
    exported : Score
        What lemm's reader returns for lemm's own unedited export of ``current``.
    edited : Score
        What the same reader returns for the edited file.
    unnotated_velocity : int, optional
        Edited notes with exactly this velocity carry none of their own (the
        reader filled it in): their velocity is not taken as an edit.
    position : callable, optional
        Where a marking at a tick of ``current`` sits in ``exported`` (default:
        the same tick, as in lemm's MIDI files).
    note_start : callable, optional
        ``note_start(track_name, note)``: where a note of ``current`` starts in
        ``exported`` (default: ``position`` of its start).

    Returns
    -------
    Score
        ``current`` with the edits; ``current`` itself when nothing was edited.

    Raises
    ------
    ScoreError
        Parts of ``edited`` that are not tracks of ``current``, or edits that
        would make an invalid score.
    """
    for name, s in (("current", current), ("exported", exported), ("edited", edited)):
        if not isinstance(s, m.Score):
            raise ParameterError.for_field(name, type(s).__name__, "a Score")
    _check_parts(current, edited)
    res = current.resolution
    q = position or (lambda tick: tick)
    exported, edited = _rescale(exported, res), _rescale(edited, res)
    shift = find_bar_shift(exported, edited)
    if shift is not None:
        exported = shift_bars(exported, at_tick=shift[0], delta_ticks=shift[1])
        current = shift_bars(current, at_tick=shift[0], delta_ticks=shift[1], position=q)
    try:
        tracks = []
        for cur in current.tracks:
            names = [t.name for t in edited.tracks]
            if cur.name not in names or cur.name not in [t.name for t in exported.tracks]:
                tracks.append(cur)
                continue
            exp, ed = exported.track(cur.name), edited.track(cur.name)
            dyns = _merge_marks(cur.dynamics, exp.dynamics, ed.dynamics, pos="tick", value=lambda x: x.marking, q=q)
            start_of = (lambda n, name=cur.name: note_start(name, n)) if note_start and shift is None else (lambda n: q(n.start_tick))
            notes = _merge_notes(cur, exp, ed, start_of, unnotated_velocity, tuple(dyns))
            tracks.append(dataclasses.replace(cur, notes=notes, dynamics=tuple(dyns)))
        merged = dataclasses.replace(
            current,
            title=edited.title if edited.title != exported.title else current.title,
            tempos=tuple(_merge_marks(current.tempos, exported.tempos, edited.tempos, pos="tick", value=lambda x: round(x.tempo_bpm, 3), q=q)),
            keys=tuple(_merge_marks(current.keys, exported.keys, edited.keys, pos="tick", value=lambda x: (pitch_class(x.tonic), x.mode), q=q)),
            meters=tuple(_merge_marks(current.meters, exported.meters, edited.meters, pos="tick", value=lambda x: (x.numerator, x.denominator), q=q)),
            sections=tuple(_merge_sections(current, exported, edited, q)),
            chords=tuple(_merge_chords(current, exported, edited, q)),
            tracks=tuple(tracks),
        )
    except ScoreError as err:
        raise ScoreError(f"the edits cannot be applied to the song: {err}") from None
    return merged


# ----------------------------------------------------------------------------------------------------------------- files


@dataclasses.dataclass(frozen=True)
class ImportResult:
    """What :func:`import_notation_report` made of a file.

    ``kept`` says what the file lacked and the song kept (lyrics, chords, sections,
    title, key, tempo a MIDI tool dropped); ``unmatched`` what could not be matched
    (parts matched to a track by their notes, lyrics that found no note).
    """

    score: m.Score
    kept: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()


def _note_starts_in_view(current: m.Score) -> tuple[Callable[[str, m.Note], int], Callable[[int], int]]:
    """Where each note and marking of ``current`` sits on lemm's MusicXML page (ticks)."""
    view = notation_view(current)
    res = current.resolution
    starts: dict[int, int] = {}
    for pv in view.parts:
        for line in pv.lines:
            for c in line.chords:
                for n in c.notes:
                    starts.setdefault(id(n), int(round(c.start * res)))

    def position(tick: int) -> int:
        return int(round(view.mark_position(tick) * res))

    def note_start(_name: str, n: m.Note) -> int:
        return starts.get(id(n), position(n.start_tick))

    return note_start, position


def _musicxml_pair(current: m.Score, path: Path) -> tuple[m.Score, m.Score, int | None]:
    res = current.resolution
    low, high = (read_notation(path, unnotated_velocity=v, resolution=res) for v in (1, 2))
    unnotated = {(t.name, i) for t, u in zip(low.tracks, high.tracks, strict=True) for i, (a, b) in enumerate(zip(t.notes, u.notes, strict=True)) if a.velocity != b.velocity}
    used = {n.velocity for t in low.tracks for i, n in enumerate(t.notes) if (t.name, i) not in unnotated}
    sentinel = next((v for v in range(1, 128) if v not in used), None) if unnotated else None
    tracks = tuple(
        dataclasses.replace(t, notes=tuple(sorted((dataclasses.replace(n, velocity=sentinel) if (t.name, i) in unnotated and sentinel else n for i, n in enumerate(t.notes)), key=lambda n: (n.start_tick, n.pitch))))
        for t in low.tracks
    )
    with tempfile.TemporaryDirectory(prefix="lemm-import-") as tmp:
        exported = read_notation(write_musicxml(current, Path(tmp) / "exported.musicxml"), resolution=res)
    return exported, dataclasses.replace(low, tracks=tracks), sentinel
def _midi_pair(current: m.Score, path: Path) -> tuple[m.Score, m.Score]:
    import mido

    edited = read_midi(path)
    raw = mido.MidiFile(path, charset="latin1")
    timed = [list(zip(itertools.accumulate(msg.time for msg in track), track, strict=True)) for track in raw.tracks]
    end_tick = max((evs[-1][0] for evs in timed if evs), default=0)
    kept = set()  # names of edited tracks whose lemm text still holds ("" for the conductor track)
    for k, evs in enumerate(timed):
        name = _fix_text(next((msg.name for _, msg in evs if msg.type == "track_name"), ""))
        metas = [meta for _, msg in evs if msg.type == "text" and (meta := _read_meta(_fix_text(msg.text))) is not None]
        if k == 0 and metas:
            kept.add("")
        elif metas:
            groups, _ = _decode_notes(evs, end_tick)
            notes = sorted((n for g in groups.values() for n in g), key=lambda n: (n.start_tick, n.pitch))
            if metas[0].get("sig", notes_signature(notes)) == notes_signature(notes):
                kept.add(name)
    mid = score_to_midi(current)
    for k, track in enumerate(mid.tracks):
        name = "" if k == 0 else next((msg.name for msg in track if msg.type == "track_name"), "")
        if name not in kept:  # drop lemm's text where the edited file lost it
            new, carry = mido.MidiTrack(), 0
            for msg in track:
                if msg.type == "text" and msg.text.startswith("lemm:"):
                    carry += msg.time
                    continue
                new.append(msg.copy(time=msg.time + carry))
                carry = 0
            mid.tracks[k] = new
    return midi_to_score(mid), edited


def _match_parts(current: m.Score, edited: m.Score) -> tuple[m.Score, list[str]]:
    """Parts whose names are not tracks of the song renamed to the unclaimed track of the same name but for case
    (music21 writes 'Percussion' for 'percussion'), else to the one whose notes they share most."""
    known = {t.name for t in current.tracks}
    claimed = {t.name for t in edited.tracks if t.name in known}
    notes = {t.name: {(n.start_tick, n.pitch) for n in t.notes} for t in current.tracks}
    renamed, tracks = [], []
    for t in edited.tracks:
        if t.name in known or not t.notes:
            tracks.append(t)
            continue
        free = [c for c in current.tracks if c.name not in claimed and c.is_drum == t.is_drum]
        same_name = [c for c in free if c.name.casefold() == t.name.casefold()]
        if len(same_name) == 1:
            claimed.add(same_name[0].name)
            renamed.append(f"part {t.name!r} matched to track {same_name[0].name!r} by its name")
            tracks.append(dataclasses.replace(t, name=same_name[0].name))
            continue
        mine = {(n.start_tick, n.pitch) for n in t.notes}
        best = max(free, key=lambda c: len(mine & notes[c.name]), default=None)
        if best is not None and len(mine & notes[best.name]) >= max(4, 0.5 * len(mine)):
            claimed.add(best.name)
            renamed.append(f"part {t.name!r} matched to track {best.name!r} by its notes")
            t = dataclasses.replace(t, name=best.name)
        tracks.append(t)
    return dataclasses.replace(edited, tracks=tuple(tracks)), renamed


def _keep_missing(exported: m.Score, edited: m.Score) -> tuple[m.Score, list[str], list[str]]:
    """What the file lacks altogether (a tool dropped it) taken from lemm's export, so the merge keeps the song's;
    returns the score, what was kept and what could not be matched."""
    kept, lost, rep = [], [], dataclasses.replace
    if edited.title in ("", "untitled") and exported.title not in ("", "untitled"):
        edited, _ = rep(edited, title=exported.title), kept.append(f"title {exported.title!r} (the file has none)")
    for field, what in (("chords", "chord symbols"), ("sections", "sections")):
        if not getattr(edited, field) and getattr(exported, field):
            edited, _ = rep(edited, **{field: getattr(exported, field)}), kept.append(f"{len(getattr(exported, field))} {what} (the file has none)")
    if edited.tempos == (m.TempoChange(0, 120.0),) and exported.tempos != edited.tempos:
        edited, _ = rep(edited, tempos=exported.tempos), kept.append("the tempo (the file has no tempo)")
    def signatures(keys: tuple[m.KeyChange, ...]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for k in keys:
            if not out or out[-1][1] != key_fifths(k.tonic, k.mode):
                out.append((k.tick, key_fifths(k.tonic, k.mode)))
        return out

    if edited.keys != exported.keys and signatures(edited.keys) == signatures(exported.keys):  # a file without <mode>: same signatures, same keys
        edited = rep(edited, keys=exported.keys)
    if edited.keys == (m.KeyChange(0),) and exported.keys != edited.keys:
        edited, _ = rep(edited, keys=exported.keys), kept.append("the key (the file has no key signature)")
    tracks = []
    by_name = {t.name: t for t in exported.tracks}
    for t in edited.tracks:
        x = by_name.get(t.name)
        if x is not None and any(n.lyric for n in x.notes) and not any(n.lyric for n in t.notes):
            lyrics = {(n.start_tick, n.pitch): n.lyric for n in x.notes if n.lyric is not None}
            t = rep(t, notes=tuple(rep(n, lyric=lyrics.get((n.start_tick, n.pitch))) for n in t.notes))
            found = sum(1 for n in t.notes if n.lyric is not None)
            kept.append(f"{found} lyrics of {t.name!r} (the file has none)")
            if found < len(lyrics):
                lost.append(f"{len(lyrics) - found} lyrics of {t.name!r} found no note in the file (their notes were edited)")
        tracks.append(t)
    return rep(edited, tracks=tuple(tracks)), kept, lost


def _deletions(current: m.Score, merged: m.Score) -> list[str]:
    def lyrics(s: m.Score) -> int:
        return sum(1 for t in s.tracks for n in t.notes if n.lyric is not None)

    out = []
    for what, count in (("lyrics", lyrics), ("chord symbols", lambda s: len(s.chords)), ("sections", lambda s: len(s.sections))):
        lost = count(current) - count(merged)
        if lost > 0:
            out.append(f"{lost} {what}")
    return out


def import_notation_report(current: m.Score, path: str | os.PathLike, *, allow_deletions: bool = False) -> ImportResult:
    """Merge an edited MusicXML or MIDI export of ``current`` back into it, and say what was kept and matched.

    Parameters
    ----------
    current : Score
        The song's score (what was exported).
    path : str or os.PathLike
        ``.musicxml``, ``.xml``, ``.mxl`` (MusicXML) or ``.mid``, ``.midi`` (MIDI).
    allow_deletions : bool
        Whether the import may delete lyrics, chord symbols or sections.

    Returns
    -------
    ImportResult
        ``score == current`` for an unedited export, also after MuseScore's
        open-and-save or a MIDI tool that drops lemm's text events.

    Raises
    ------
    LemmFileNotFoundError
        If ``path`` does not exist.
    ParameterError
        For an unknown suffix, or deletions without ``allow_deletions``.
    FileFormatError
        If the file cannot be read as its format.
    ScoreError
        For parts that match no track of the song, or edits that make an invalid score.
    """
    p = Path(path)
    fmt = NOTATION_SUFFIXES.get(p.suffix.lower())
    if fmt is None:
        raise ParameterError.for_field("notation file suffix", p.suffix or p.name, f"one of {', '.join(NOTATION_SUFFIXES)}")
    if not p.is_file():
        raise LemmFileNotFoundError(f"notation file {str(p)!r} does not exist or is not a file")
    unnotated, position, note_start = None, None, None
    try:
        if fmt == "musicxml":
            exported, edited, unnotated = _musicxml_pair(current, p)
            note_start, position = _note_starts_in_view(current)
        else:
            exported, edited = _midi_pair(current, p)
    except LemmError:
        raise
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as err:
        raise FileFormatError(f"notation file {str(p)!r} cannot be read: {type(err).__name__}: {err}") from None
    exported, edited = _rescale(exported, current.resolution), _rescale(edited, current.resolution)
    edited, unmatched = _match_parts(current, edited)
    edited, kept, lost_lyrics = _keep_missing(exported, edited)
    merged = merge_edits(current, exported, edited, unnotated_velocity=unnotated, position=position, note_start=note_start)
    lost = _deletions(current, merged)
    if lost and not allow_deletions:
        raise ParameterError(f"importing {p.name} would delete {', '.join(lost)}; pass allow_deletions=True (lemm import --yes) to accept")
    return ImportResult(merged, tuple(kept), tuple(unmatched + lost_lyrics))


def import_notation(current: m.Score, path: str | os.PathLike, *, allow_deletions: bool = False) -> m.Score:
    """The score of :func:`import_notation_report` (``== current`` for an unedited export)."""
    return import_notation_report(current, path, allow_deletions=allow_deletions).score
