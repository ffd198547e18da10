"""Example inputs shipped with lemm, so notebooks and docs run from a plain ``pip install``.

Examples
--------
>>> text = lyrics()
>>> text.splitlines()[0] != "" and "\\n\\n" in text
True
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["lyrics"]


def lyrics() -> str:
    """The demo lyrics (the same text as the repository's ``examples/lyrics.txt``), blank lines between stanzas."""
    return (files(__package__) / "lyrics.txt").read_text(encoding="utf-8")
