"""The notation view: how a score is engraved (quantisation, spelling, rhythm, parts) and read back from the page.

See docs/notation.md. :mod:`lemm.score.musicxml` writes and reads files with it.
"""

from lemm.score.notation.parts import DRUM_MAP, layout_for, score_order
from lemm.score.notation.reader import xml_to_score
from lemm.score.notation.view import NotationView, detect_swing, notation_view
from lemm.score.notation.writer import notation_to_xml

__all__ = ["DRUM_MAP", "NotationView", "detect_swing", "layout_for", "notation_to_xml", "notation_view", "score_order", "xml_to_score"]
