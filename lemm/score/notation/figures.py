"""Figures of a written MusicXML page that tell whether a person can read it (used by tests and benchmarks/notation.py).

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> from lemm.score.notation.writer import notation_to_xml, notation_view
>>> f = notation_figures(notation_to_xml(notation_view(Score(tracks=(Track("p", "keys", "acoustic_piano", notes=(Note(61, 0, 480),)),)))))
>>> f["notes"], f["accidental_share"], f["short_share"]
(1, 1.0, 0.0)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["SHORT_TYPES", "notation_figures"]

#: Written values of a 32nd or shorter.
SHORT_TYPES = ("32nd", "64th", "128th", "256th", "512th", "1024th")


def notation_figures(root: ET.Element) -> dict:
    """Counts over the notes (not rests) of a ``score-partwise`` tree.

    Returns
    -------
    dict
        ``notes``, ``pitched``, ``unpitched``; ``short_share`` (32nds or shorter),
        ``tuplet_share`` (under a ``<time-modification>``), ``accidental_share``
        (pitched notes with a written ``<accidental>``); ``parts`` (part names in
        order), ``measures`` (of the first part), ``pitched_drum_parts`` (parts
        with a percussion clef holding pitched notes).
    """
    notes = [n for n in root.iter("note") if n.find("rest") is None]
    pitched = [n for n in notes if n.find("pitch") is not None]
    names = {sp.get("id"): (sp.findtext("part-name") or "") for sp in root.iter("score-part")}
    parts = root.findall("part")
    percussion_pitched = [names.get(p.get("id"), "") for p in parts
                          if any((c.findtext("sign") or "") == "percussion" for c in p.iter("clef")) and p.find(".//note/pitch") is not None]  # fmt: skip
    total = max(1, len(notes))
    return {
        "notes": len(notes),
        "pitched": len(pitched),
        "unpitched": sum(1 for n in notes if n.find("unpitched") is not None),
        "short_share": sum(1 for n in notes if (n.findtext("type") or "") in SHORT_TYPES) / total,
        "tuplet_share": sum(1 for n in notes if n.find("time-modification") is not None) / total,
        "accidental_share": sum(1 for n in pitched if n.find("accidental") is not None) / max(1, len(pitched)),
        "parts": [names.get(p.get("id"), "") for p in parts],
        "measures": len(parts[0].findall("measure")) if parts else 0,
        "pitched_drum_parts": percussion_pitched,
    }
