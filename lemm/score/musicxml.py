"""Score <-> MusicXML 4.0 (``.musicxml``, ``.xml``, compressed ``.mxl`` to read): a page to play from, and the exact score inside.

What is written
---------------
The notation view of :mod:`lemm.score.notation` (see docs/notation.md): nominal
note values on the meter's grid with ties that show the beat, triplets only
where the rhythm is one (with brackets), swing written straight under a swing
marking, accidentals only where key signature and bar need them, drums as
unpitched notes on a percussion staff, keyboards on a grand staff, guitar and
bass an octave up, parts in score order, a system break every 4 bars; the
title and an arranger line; tempo marks, rehearsal marks (sections), chord
symbols and dynamics.

The performance (exact ticks, gate lengths, micro-timing, every lemm-only
field) travels as lemm's JSON score in ``<miscellaneous-field
name="lemm-score">`` with a digest of what the page notates per part and for
the song-level marks. :func:`read_musicxml` gives the exact score back for
every part whose notation still matches its digest, and the notation (plus
lemm's per-track fields) where it was edited. Editors that drop the field
(MuseScore does) give the notation; ``lemm import`` then merges against the
song (see :mod:`lemm.score.merge`), so an unedited round trip changes nothing.

The written bytes are deterministic.

Examples
--------
>>> import tempfile, pathlib
>>> from lemm.score.model import Score, Track, Note, Section
>>> s = Score(title="demo", sections=(Section("intro", "intro", 0, 1920),),
...           tracks=(Track("flute", "woodwind", "flute", program=73, notes=(Note(72, 3, 2390),)),))
>>> path = write_musicxml(s, pathlib.Path(tempfile.mkdtemp()) / "demo.musicxml")
>>> read_musicxml(path) == s
True
>>> read_notation(path).track("flute").notes[0].duration_ticks  # as the page shows it: a whole tied to a quarter
2400
"""

from __future__ import annotations

import dataclasses
import json
import os
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path

from lemm.errors import FileFormatError, LemmFileNotFoundError, LimitError, ParameterError, ScoreError
from lemm.io.atomic import atomic_write_bytes
from lemm.limits import MAX_MUSICXML_BYTES, MAX_MXL_UNCOMPRESSED_BYTES, check_file_size
from lemm.score import model as m
from lemm.score.jsonio import score_from_dict, score_to_dict, to_jsonable
from lemm.score.notation.reader import xml_to_score
from lemm.score.notation.writer import notation_to_xml, notation_view

__all__ = ["PAYLOAD_FIELD", "musicxml_to_score", "parse_musicxml_file", "read_musicxml", "read_notation", "score_to_musicxml", "write_musicxml"]

#: The ``<miscellaneous-field>`` name holding lemm's exact score.
PAYLOAD_FIELD = "lemm-score"
_DOCTYPE = b'<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" "http://www.musicxml.org/dtds/partwise.dtd">\n'


def _digest(obj: object) -> str:
    text = json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"{zlib.crc32(text.encode('ascii')):08x}"


def _global_marks(score: m.Score) -> tuple:
    return (score.title, score.tempos, score.keys, score.meters, score.sections, score.chords)


def _notated_digests(plain: m.Score) -> dict:
    return {"globals": _digest(_global_marks(plain)), "tracks": {t.name: _digest(t) for t in plain.tracks}}


def score_to_musicxml(score: m.Score, *, composer: str | None = None, arranger: str | None = "lemm") -> ET.Element:
    """The ``<score-partwise>`` element of ``score``: the notation view plus lemm's exact score.

    Parameters
    ----------
    score : Score
    composer, arranger : str, optional
        The creator lines under the title (the arranger defaults to ``"lemm"``).

    Returns
    -------
    xml.etree.ElementTree.Element
    """
    root = notation_to_xml(notation_view(score), composer=composer, arranger=arranger)
    plain = xml_to_score(root, resolution=score.resolution)
    payload = {"score": score_to_dict(score), "notated": _notated_digests(plain)}
    misc = ET.SubElement(ET.SubElement(root.find("identification"), "miscellaneous"), "miscellaneous-field", name=PAYLOAD_FIELD)
    misc.text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return root


def write_musicxml(score: m.Score, path: str | os.PathLike, *, composer: str | None = None, arranger: str | None = "lemm") -> Path:
    """Write the score as uncompressed MusicXML 4.0, atomically and deterministically. Returns the path."""
    root = score_to_musicxml(score, composer=composer, arranger=arranger)
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return atomic_write_bytes(path, b'<?xml version="1.0" encoding="UTF-8"?>\n' + _DOCTYPE + body + b"\n")


# ----------------------------------------------------------------------------------------------------------------- import


def _payload(root: ET.Element) -> dict | None:
    for field in root.iter("miscellaneous-field"):
        if field.get("name") == PAYLOAD_FIELD and field.text:
            try:
                data = json.loads(field.text)
            except json.JSONDecodeError:
                return None
            return data if isinstance(data, dict) and isinstance(data.get("score"), dict) else None
    return None


def _restore(plain: m.Score, exact: m.Score, notated: dict) -> m.Score:
    """``exact`` where the page still notates it (per part and for the song-level marks), else the page plus lemm's fields."""
    by_name = {t.name: t for t in exact.tracks}
    tracks = []
    for t in plain.tracks:
        x = by_name.get(t.name)
        if x is not None and notated.get("tracks", {}).get(t.name) == _digest(t):
            tracks.append(x)
        elif x is not None:
            tracks.append(dataclasses.replace(t, role=x.role, preset=x.preset, program=x.program, is_drum=x.is_drum, pan=x.pan,
                                              gain_db=x.gain_db, hairpins=x.hairpins, expression=x.expression,
                                              style=x.style, min_energy=x.min_energy))  # fmt: skip
        else:
            tracks.append(t)
    order = {t.name: k for k, t in enumerate(exact.tracks)}
    tracks.sort(key=lambda t: order.get(t.name, len(order)))
    if notated.get("globals") == _digest(_global_marks(plain)):
        return dataclasses.replace(exact, tracks=tuple(tracks))
    kinds = {s.name: s for s in exact.sections}
    sections = tuple(dataclasses.replace(s, kind=kinds[s.name].kind, energy=kinds[s.name].energy) if s.name in kinds else s for s in plain.sections)
    return dataclasses.replace(plain, sections=sections, tracks=tuple(tracks))


def musicxml_to_score(root: ET.Element, *, unnotated_velocity: int | None = None, use_lemm_data: bool = True) -> m.Score:
    """The score of a ``<score-partwise>`` element: exact where lemm's data still matches the page (see the module docstring)."""
    payload = _payload(root) if use_lemm_data else None
    exact = None
    if payload is not None:
        try:
            exact = score_from_dict(payload["score"])
        except (ScoreError, KeyError, TypeError):
            exact = None
    plain = xml_to_score(root, resolution=exact.resolution if exact else 480, unnotated_velocity=unnotated_velocity)
    return plain if exact is None else _restore(plain, exact, payload.get("notated", {}))


def parse_musicxml_file(path: str | os.PathLike) -> ET.Element:
    """The root element of a ``.musicxml`` / ``.xml`` / ``.mxl`` file.

    Raises
    ------
    LemmFileNotFoundError
        If ``path`` does not exist.
    FileFormatError
        If it is not readable MusicXML.
    """
    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"MusicXML file {str(p)!r} does not exist or is not a file")
    check_file_size(p, MAX_MUSICXML_BYTES, "MAX_MUSICXML_BYTES", what="MusicXML file")
    try:
        data = p.read_bytes()
        if data[:2] == b"PK":
            data = _mxl_score(data, p)
        root = ET.fromstring(data)
    except (ET.ParseError, OSError, UnicodeDecodeError, zipfile.BadZipFile, KeyError) as err:
        raise FileFormatError(f"MusicXML file {str(p)!r} cannot be read: {type(err).__name__}: {err}") from None
    if root.tag != "score-partwise":
        raise FileFormatError(f"MusicXML file {str(p)!r} must hold a score-partwise document, got <{root.tag}>")
    return root


def _mxl_score(data: bytes, p: Path) -> bytes:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        total = sum(info.file_size for info in z.infolist())  # a zip bomb: zipfile stops reading at the declared sizes
        if total > MAX_MXL_UNCOMPRESSED_BYTES:
            raise LimitError(f"MusicXML file {str(p)!r} uncompressed must be at most {MAX_MXL_UNCOMPRESSED_BYTES} bytes "
                             f"(MAX_MXL_UNCOMPRESSED_BYTES), got {total} bytes")
        names = z.namelist()
        if "META-INF/container.xml" in names:
            rootfile = ET.fromstring(z.read("META-INF/container.xml")).find(".//{*}rootfile")
            if rootfile is not None and rootfile.get("full-path") in names:
                return z.read(rootfile.get("full-path"))
        inner = [n for n in names if n.lower().endswith((".xml", ".musicxml")) and not n.startswith("META-INF")]
        if not inner:
            raise FileFormatError(f"MusicXML archive {str(p)!r} must hold a .musicxml or .xml score, got {', '.join(names) or 'nothing'}")
        return z.read(inner[0])


def _check_velocity(unnotated_velocity: int | None) -> None:
    if unnotated_velocity is not None and not (isinstance(unnotated_velocity, int) and 1 <= unnotated_velocity <= 127):
        raise ParameterError.for_field("unnotated_velocity", unnotated_velocity, "None or an integer in 1..127")


def _convert(root: ET.Element, p: Path, **kwargs) -> m.Score:
    try:
        return musicxml_to_score(root, **kwargs)
    except (ScoreError, FileFormatError):
        raise
    except (ParameterError, KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as err:
        raise ScoreError(f"MusicXML file {str(p)!r} does not make a valid score: {err}") from None


def read_musicxml(path: str | os.PathLike, *, unnotated_velocity: int | None = None) -> m.Score:
    """Read a ``.musicxml`` / ``.xml`` / ``.mxl`` file into a score (exact for lemm's own unedited files).

    Parameters
    ----------
    path : str or os.PathLike
    unnotated_velocity : int, optional
        Velocity (1..127) for notes that carry no ``dynamics`` attribute (many
        editors write none); default: the velocity of the last dynamic
        marking, 90 before any.

    Raises
    ------
    LemmFileNotFoundError
        If ``path`` does not exist.
    FileFormatError
        If it is not readable MusicXML.
    ScoreError
        If its content does not make a valid score.
    """
    _check_velocity(unnotated_velocity)
    return _convert(parse_musicxml_file(path), Path(path), unnotated_velocity=unnotated_velocity)


def read_notation(path: str | os.PathLike, *, unnotated_velocity: int | None = None, resolution: int = 480) -> m.Score:
    """Read a MusicXML file as its page notates it, ignoring lemm's data (what :mod:`lemm.score.merge` compares)."""
    _check_velocity(unnotated_velocity)
    p = Path(path)
    try:
        return xml_to_score(parse_musicxml_file(p), resolution=resolution, unnotated_velocity=unnotated_velocity)
    except (ScoreError, FileFormatError):
        raise
    except (ParameterError, KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as err:
        raise ScoreError(f"MusicXML file {str(p)!r} does not make a valid score: {err}") from None
