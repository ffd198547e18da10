"""The notation view as a MusicXML 4.0 ``score-partwise`` tree, one step per element kind.

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> root = notation_to_xml(notation_view(Score(title="demo", tracks=(Track("flute", "woodwind", "flute", program=73, notes=(Note(72, 0, 2400),)),))))
>>> root.find("work/work-title").text, [n.find("type").text for n in root.iter("note")]
('demo', ['whole', 'quarter', 'quarter', 'half'])
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

from lemm.score import model as m
from lemm.score.harmony import parse_chord
from lemm.score.notation.parts import ROLE_ABBREVIATIONS, drum_key
from lemm.score.notation.rhythm import Piece, bar_pieces
from lemm.score.notation.spelling import ALTER_NAMES, Accidentals, key_fifths, spell
from lemm.score.notation.view import NotationView, PartView, notation_view

__all__ = ["ARTICULATION_TAGS", "BARS_PER_SYSTEM", "CHORD_KINDS", "DIVISIONS", "notation_to_xml", "notation_view"]

#: ``<divisions>`` per quarter: 16ths and triplet eighths are whole numbers.
DIVISIONS = 12
#: A system break every this many bars.
BARS_PER_SYSTEM = 4
#: lemm chord quality -> (MusicXML kind, added degrees as (value, alter)).
CHORD_KINDS: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "": ("major", ()), "m": ("minor", ()), "dim": ("diminished", ()), "aug": ("augmented", ()), "5": ("power", ()),
    "sus2": ("suspended-second", ()), "sus4": ("suspended-fourth", ()), "6": ("major-sixth", ()), "m6": ("minor-sixth", ()),
    "7": ("dominant", ()), "maj7": ("major-seventh", ()), "m7": ("minor-seventh", ()), "mMaj7": ("major-minor", ()),
    "m7b5": ("half-diminished", ()), "dim7": ("diminished-seventh", ()), "7sus4": ("suspended-fourth", ((7, 0),)),
    "add9": ("major", ((9, 0),)), "madd9": ("minor", ((9, 0),)), "9": ("dominant-ninth", ()), "maj9": ("major-ninth", ()),
    "m9": ("minor-ninth", ()),
}  # fmt: skip
#: lemm articulation -> MusicXML ``<articulations>`` child (legato has none: it travels in lemm's data).
ARTICULATION_TAGS = {"staccato": "staccato", "accent": "accent", "tenuto": "tenuto", "marcato": "strong-accent", "staccatissimo": "staccatissimo"}
_DYNAMICS_PERCENT = 100 / 90  # MusicXML note dynamics: percent of forte (velocity 90)


def _sub(parent: ET.Element, tag: str, text: object = None, **attrib: object) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.replace("_", "-"): str(v) for k, v in attrib.items()})
    if text is not None:
        el.text = str(text)
    return el


def _dur(length: Fraction) -> int:
    return int(length * DIVISIONS)


# ----------------------------------------------------------------------------------------------------------- header


#: Space between the staves of a system, in tenths (40 tenths = one staff's height), for up to
#: :data:`ROOMY_STAVES` staves; a fuller score (a band with backing vocals and percussion) is set closer,
#: as engravers set full scores, down to :data:`MIN_STAFF_DISTANCE_TENTHS` (MuseScore 3 then fits two systems of a
#: 10-staff band on an A4 page; 12 staves get one system a page).
STAFF_DISTANCE_TENTHS = 65
ROOMY_STAVES = 8
MIN_STAFF_DISTANCE_TENTHS = 45


def staff_distance_tenths(n_staves: int) -> int:
    """The staff distance of a system of ``n_staves`` staves (tenths).

    >>> staff_distance_tenths(6), staff_distance_tenths(9), staff_distance_tenths(10)
    (65, 51, 45)
    """
    if n_staves <= ROOMY_STAVES:
        return STAFF_DISTANCE_TENTHS
    # keep a system's height (staves + gaps) at what ROOMY_STAVES staves take
    height = ROOMY_STAVES * 40 + (ROOMY_STAVES - 1) * STAFF_DISTANCE_TENTHS
    return max(MIN_STAFF_DISTANCE_TENTHS, int((height - n_staves * 40) / (n_staves - 1)))


def _header(root: ET.Element, view: NotationView, *, composer: str | None, arranger: str | None) -> None:
    _sub(_sub(root, "work"), "work-title", view.score.title)
    ident = _sub(root, "identification")
    if composer:
        _sub(ident, "creator", composer, type="composer")
    if arranger:
        _sub(ident, "creator", arranger, type="arranger")
    enc = _sub(ident, "encoding")
    _sub(enc, "software", "lemm")
    for element, attribute in (("accidental", None), ("beam", None), ("print", "new-system"), ("print", "new-page")):
        kw = {"attribute": attribute, "value": "yes"} if attribute else {}
        _sub(enc, "supports", element=element, type="yes" if element != "beam" else "no", **kw)
    defaults = _sub(root, "defaults")
    scaling = _sub(defaults, "scaling")
    _sub(scaling, "millimeters", "5")
    _sub(scaling, "tenths", "40")
    page = _sub(defaults, "page-layout")
    _sub(page, "page-height", "2376")  # A4 (297 x 210 mm) at 5 mm per 40 tenths
    _sub(page, "page-width", "1680")
    margins = _sub(page, "page-margins", type="both")
    for side in ("left", "right", "top", "bottom"):
        _sub(margins, f"{side}-margin", "80")
    _sub(_sub(defaults, "system-layout"), "system-distance", "90")
    _sub(_sub(defaults, "staff-layout"), "staff-distance", str(staff_distance_tenths(sum(p.layout.n_staves for p in view.parts))))
    _sub(defaults, "word-font", font_family="FreeSerif", font_size="9")
    _sub(defaults, "lyric-font", font_family="FreeSerif", font_size="9")
    _credits(root, view.score.title, composer=composer, arranger=arranger)


def _credits(root: ET.Element, title: str, *, composer: str | None, arranger: str | None) -> None:
    """The title and the composer/arranger line on page 1 (positions in tenths, as MuseScore writes them)."""
    lines = [("title", title, 840, 2256, "center", "top", 22)]
    byline = ", ".join(x for x in (composer, f"arranged by {arranger}" if arranger else None) if x)
    if byline:
        lines.append(("composer" if composer else "arranger", byline, 1600, 2150, "right", "bottom", 10))
    for kind, text, x, y, justify, valign, size in lines:
        credit = _sub(root, "credit", page=1)
        _sub(credit, "credit-type", kind)
        _sub(credit, "credit-words", text, default_x=x, default_y=y, justify=justify, valign=valign, font_size=size)


def part_abbreviations(tracks: list[m.Track]) -> list[str]:
    """The staff label of each part on systems after the first: its role's (:data:`ROLE_ABBREVIATIONS`) for the first
    part of a role, its own name's for a later one (a backing vocal under the lead), so no two labels are the same.

    >>> from lemm.score.model import Track
    >>> part_abbreviations([Track("vocal", "vocal", "voice_low"), Track("backing", "vocal", "voice_high"), Track("bass", "bass", "electric_bass")])
    ['Vo.', 'Back.', 'Bass']
    """
    out: list[str] = []
    for t in tracks:
        label = ROLE_ABBREVIATIONS.get(t.role, t.name[:4].capitalize() + ".")
        if label in out:
            label = t.name[:4].capitalize() + "."
        k = 2
        while label in out:  # two parts named alike: numbered
            label, k = f"{t.name[:4].capitalize()}. {k}", k + 1
        out.append(label)
    return out


def _part_list(root: ET.Element, view: NotationView) -> None:
    plist = _sub(root, "part-list")
    abbreviations = part_abbreviations([pv.track for pv in view.parts])
    for k, pv in enumerate(view.parts):
        t = pv.track
        sp = _sub(plist, "score-part", id=f"P{k + 1}")
        _sub(sp, "part-name", t.name)
        _sub(sp, "part-abbreviation", abbreviations[k])
        keys = (sorted({n.pitch for n in t.notes}) if pv.layout.unpitched else []) or [None]
        for key in keys:
            _sub(_sub(sp, "score-instrument", id=_instrument_id(k, key)), "instrument-name", drum_key(key).name if key is not None else t.name)
        for key in keys:
            mi = _sub(sp, "midi-instrument", id=_instrument_id(k, key))
            _sub(mi, "midi-channel", 10 if t.is_drum else _channel(view, k))
            _sub(mi, "midi-program", t.program + 1)
            if key is not None:
                _sub(mi, "midi-unpitched", key + 1)
            _sub(mi, "pan", round(t.pan * 90, 2))


def _instrument_id(part_index: int, key: int | None) -> str:
    return f"P{part_index + 1}-I{1 if key is None else key + 1}"


def _channel(view: NotationView, part_index: int) -> int:
    melodic = [k for k, pv in enumerate(view.parts) if not pv.track.is_drum]
    channels = [c for c in range(1, 17) if c != 10]
    return channels[melodic.index(part_index) % len(channels)]


# ----------------------------------------------------------------------------------------------------------- marks


def _marks(view: NotationView, part_index: int) -> dict[Fraction, list[tuple[str, object]]]:
    """Markings of one part by written position: ("tempo"|"section"|"chord"|"dynamic"|"swing", item)."""
    s, out = view.score, {}
    items: list[tuple[int, str, object]] = [(d.tick, "dynamic", d) for d in view.parts[part_index].track.dynamics]
    if part_index == 0:
        items += [(t.tick, "tempo", t) for t in s.tempos] + [(x.start_tick, "section", x) for x in s.sections]
        items += [(c.start_tick, "chord", c) for c in s.chords]
        if view.swing is not None:
            items.append((0, "swing", view.swing))
    for tick, kind, item in items:
        out.setdefault(view.mark_position(tick), []).append((kind, item))
    return out


def _direction(parent: ET.Element, kind: str, item: object, staff: int) -> None:
    if kind == "chord":
        _harmony(parent, item.symbol)
        return
    d = _sub(parent, "direction", placement="below" if kind == "dynamic" else "above")
    dt = _sub(d, "direction-type")
    if kind == "tempo":
        met = _sub(dt, "metronome", parentheses="no")
        _sub(met, "beat-unit", "quarter")
        _sub(met, "per-minute", f"{item.tempo_bpm:g}" if item.tempo_bpm == round(item.tempo_bpm) else f"{item.tempo_bpm:.1f}")
    elif kind == "section":
        _sub(dt, "rehearsal", item.name)
    elif kind == "dynamic":
        _sub(_sub(dt, "dynamics"), item.marking)
    else:
        _sub(dt, "words", "Swing" if item.unit == Fraction(1, 2) else "Swing 16ths")
    _sub(d, "staff", staff)
    if kind == "tempo":
        _sub(d, "sound", tempo=round(item.tempo_bpm, 3))
    elif kind == "swing":
        sw = _sub(_sub(d, "sound"), "swing")
        _sub(sw, "first", 2)
        _sub(sw, "second", 1)
        _sub(sw, "swing-type", "eighth" if item.unit == Fraction(1, 2) else "16th")


def _harmony(parent: ET.Element, symbol: str) -> None:
    c = parse_chord(symbol)
    h = _sub(parent, "harmony")
    root_name = symbol[:2] if symbol[1:2] in ("#", "b") else symbol[:1]
    r = _sub(h, "root")
    _sub(r, "root-step", root_name[0])
    if len(root_name) == 2:
        _sub(r, "root-alter", 1 if root_name[1] == "#" else -1)
    kind, degrees = CHORD_KINDS[c.quality]
    _sub(h, "kind", kind).set("text", c.quality)
    if "/" in symbol:
        bass = symbol.split("/")[1]
        b = _sub(h, "bass")
        _sub(b, "bass-step", bass[0])
        if len(bass) == 2:
            _sub(b, "bass-alter", 1 if bass[1] == "#" else -1)
    for value, alter in degrees:
        dg = _sub(h, "degree")
        _sub(dg, "degree-value", value)
        _sub(dg, "degree-alter", alter)
        _sub(dg, "degree-type", "add")


# ----------------------------------------------------------------------------------------------------------- notes


def _pitch(el: ET.Element, n: m.Note, pv: PartView, fifths: int, mode: str, accs: Accidentals, tied: bool) -> tuple[bool, int]:
    """Write ``<pitch>`` (or ``<unpitched>``); returns whether the note needs a written accidental, and its alter."""
    if pv.layout.unpitched:
        key = drum_key(n.pitch)
        un = _sub(el, "unpitched")
        _sub(un, "display-step", key.step)
        _sub(un, "display-octave", key.octave)
        return False, 0
    step, alter, octave = spell(n.pitch - 12 * pv.layout.transpose_octaves, fifths=fifths, mode=mode)
    p = _sub(el, "pitch")
    _sub(p, "step", step)
    if alter:
        _sub(p, "alter", alter)
    _sub(p, "octave", octave)
    return accs.needs(step, alter, octave, tied=tied), alter


def _note_tail(el: ET.Element, piece: Piece, n: m.Note, *, head: bool, accidental: str | None, pv: PartView, staff: int, voice: int) -> None:
    """Everything after ``<duration>`` and the ties, in the XSD's order."""
    if pv.layout.unpitched and piece.notes:
        _sub(el, "instrument", id=el.get("_instrument"))
    _sub(el, "voice", voice)
    _sub(el, "type", piece.type)
    for _ in range(piece.dots):
        _sub(el, "dot")
    if accidental:
        _sub(el, "accidental", accidental)
    if piece.triplet:
        tm = _sub(el, "time-modification")
        _sub(tm, "actual-notes", 3)
        _sub(tm, "normal-notes", 2)
    if pv.layout.unpitched and piece.notes:
        _sub(el, "stem", "up" if voice % 4 == 1 else "down")
        key = drum_key(n.pitch)
        if key.notehead != "normal":
            _sub(el, "notehead", key.notehead)
    if pv.layout.n_staves > 1:
        _sub(el, "staff", staff)
    _notations(el, piece, n, head=head)
    if head and piece.first and n.lyric is not None and n.lyric.text:  # a melisma continuation has no syllable of its own
        ly = _sub(el, "lyric", number=1)
        _sub(ly, "syllabic", n.lyric.syllabic)
        _sub(ly, "text", n.lyric.text)
        if n.lyric.extend:
            _sub(ly, "extend")


def _notations(el: ET.Element, piece: Piece, n: m.Note, *, head: bool) -> None:
    art = ARTICULATION_TAGS.get(n.articulation or "") if head and piece.first else None
    tuplet = piece.tuplet if head else None
    if not (piece.tie_start or piece.tie_stop or art or tuplet):
        return
    no = _sub(el, "notations")
    if piece.tie_stop:
        _sub(no, "tied", type="stop")
    if piece.tie_start:
        _sub(no, "tied", type="start")
    if tuplet:
        _sub(no, "tuplet", type=tuplet, bracket="yes") if tuplet == "start" else _sub(no, "tuplet", type=tuplet)
    if art:
        _sub(_sub(no, "articulations"), art)


def _piece(meas: ET.Element, piece: Piece, pv: PartView, part_index: int, *, staff: int, voice: int, key: tuple[int, str], accs: Accidentals) -> None:
    if not piece.notes:
        el = _sub(meas, "note")
        _sub(el, "rest", measure="yes") if piece.measure_rest else _sub(el, "rest")
        _sub(el, "duration", _dur(piece.length))
        _note_tail(el, piece, m.Note(60, 0, 1), head=True, accidental=None, pv=pv, staff=staff, voice=voice)  # a rest can open a bracket
        return
    seen: set[int] = set()
    notes = [n for n in piece.notes if not (n.pitch in seen or seen.add(n.pitch))]
    for j, n in enumerate(notes):
        el = _sub(meas, "note", dynamics=f"{n.velocity * _DYNAMICS_PERCENT:.2f}")
        if j:
            _sub(el, "chord")
        needs, alter = _pitch(el, n, pv, key[0], key[1], accs, piece.tie_stop)
        _sub(el, "duration", _dur(piece.length))
        if piece.tie_stop:
            _sub(el, "tie", type="stop")
        if piece.tie_start:
            _sub(el, "tie", type="start")
        el.set("_instrument", _instrument_id(part_index, n.pitch))
        _note_tail(el, piece, n, head=j == 0, accidental=ALTER_NAMES[alter] if needs else None, pv=pv, staff=staff, voice=voice)
        del el.attrib["_instrument"]


# ----------------------------------------------------------------------------------------------------------- measures


def _attributes(meas: ET.Element, view: NotationView, pv: PartView, bar_index: int, key: m.KeyChange | None) -> None:
    bar = view.bars[bar_index]
    new_meter = bar_index == 0 or view.bars[bar_index - 1].meter != bar.meter
    if bar_index and not new_meter and (key is None or pv.layout.unpitched):
        return
    at = _sub(meas, "attributes")
    if bar_index == 0:
        _sub(at, "divisions", DIVISIONS)
    if key is not None and not pv.layout.unpitched:
        k = _sub(at, "key")
        _sub(k, "fifths", key_fifths(key.tonic, key.mode))
        _sub(k, "mode", key.mode)
    if new_meter:
        t = _sub(at, "time")
        _sub(t, "beats", bar.meter.numerator)
        _sub(t, "beat-type", bar.meter.denominator)
    if bar_index:
        return
    if pv.layout.n_staves > 1:
        _sub(at, "staves", pv.layout.n_staves)
    for number, clef in enumerate(pv.layout.clefs, start=1):
        c = _sub(at, "clef", number=number) if pv.layout.n_staves > 1 else _sub(at, "clef")
        _sub(c, "sign", clef.sign)
        _sub(c, "line", clef.line)
        if clef.octave_change:
            _sub(c, "clef-octave-change", clef.octave_change)
    if pv.layout.unpitched:
        _sub(_sub(at, "staff-details"), "staff-lines", 5)
    if pv.layout.transpose_octaves:
        tr = _sub(at, "transpose")
        _sub(tr, "diatonic", 0)
        _sub(tr, "chromatic", 0)
        _sub(tr, "octave-change", pv.layout.transpose_octaves)


def _keys_by_bar(view: NotationView) -> dict[int, m.KeyChange]:
    """Key changes by the bar they are written in (a change inside a bar is written at its start)."""
    out: dict[int, m.KeyChange] = {}
    starts = [b.start for b in view.bars]
    for k in view.score.keys:
        pos = view.mark_position(k.tick)
        out[max(i for i, s in enumerate(starts) if s <= pos)] = k
    return out


def _measure(part: ET.Element, view: NotationView, k: int, b: int, state: dict) -> None:
    pv, bar = view.parts[k], view.bars[b]
    meas = _sub(part, "measure", number=b + 1)
    if b and b % BARS_PER_SYSTEM == 0:
        _sub(meas, "print", new_system="yes")
    key = state["keys"].get(b)
    if key is not None:
        state["key"] = (key_fifths(key.tonic, key.mode), key.mode)
    _attributes(meas, view, pv, b, key)
    marks = {p: v for p, v in state["marks"].items() if bar.start <= p < bar.end}
    written = False
    for li, line in enumerate(pv.lines):
        pieces = bar_pieces(line, bar, splits=sorted(marks) if li == 0 else [])
        if li and line.voice > 1 and pieces[0].measure_rest:
            continue
        if written:
            _sub(_sub(meas, "backup"), "duration", _dur(bar.length))
        accs = Accidentals(state["key"][0])  # accidentals hold for one bar
        for piece in pieces:
            for pos in [p for p in sorted(marks) if p <= piece.start] if li == 0 else []:
                for kind, item in marks.pop(pos):
                    _direction(meas, kind, item, line.staff)
            _piece(meas, piece, pv, k, staff=line.staff, voice=(line.staff - 1) * 4 + line.voice, key=state["key"], accs=accs)
        written = True


def _bar_line_end(part: ET.Element) -> None:
    last = part.findall("measure")[-1]
    bl = _sub(last, "barline", location="right")
    _sub(bl, "bar-style", "light-heavy")


def notation_to_xml(view: NotationView, *, composer: str | None = None, arranger: str | None = "lemm") -> ET.Element:
    """The ``<score-partwise>`` element of a notation view (no lemm data: see :mod:`lemm.score.musicxml`)."""
    root = ET.Element("score-partwise", version="4.0")
    _header(root, view, composer=composer, arranger=arranger)
    _part_list(root, view)
    keys = _keys_by_bar(view)
    for k in range(len(view.parts)):
        part = _sub(root, "part", id=f"P{k + 1}")
        state = {"keys": keys, "key": (0, "major"), "marks": _marks(view, k)}
        for b in range(len(view.bars)):
            _measure(part, view, k, b, state)
        _bar_line_end(part)
    return root
