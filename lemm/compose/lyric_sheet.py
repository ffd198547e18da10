"""Lyric sheets with section labels: ``[Verse 1]``, ``[Pre-Chorus]``, ``[Chorus]``, ``[Bridge]``, ``[Outro]``.

Lyric sheets (and the song tools that write them) label their blocks. A line that is only a
label starts a new block:

- ``[Verse 1]``, ``[Chorus x2]``, ``[Verse 2: Ana]`` (square brackets, anything after a colon
  is ignored), ``(Chorus)`` / ``{Bridge}`` when the words name a section, or ``Chorus:`` /
  ``Verse 2:`` alone on a line; case-insensitive, numbered or not;
- the words map to a section kind (:data:`LABEL_WORDS`): *verse*; *pre-chorus* (``pre chorus``,
  ``prechorus``, ``pre-hook``, ``build``); *chorus* (``hook``, ``refrain``); *post-chorus*;
  *bridge* (``middle 8``); *intro*; *outro* (``coda``, ``tag``, ``ending``); *break*
  (``instrumental``, ``solo``, ``interlude``, ``break``);
- ``x2`` / ``2x`` / ``×2`` after the words repeats the block; a label with no lines under it
  repeats the last block of its kind (``[Chorus]`` alone after the first chorus), or is an
  instrumental section when there is none (``[Intro]``, ``[Solo]``);
- a bracketed line whose words name no section (``[Spoken]``, ``[Ad-lib]``) is dropped;
- lines before the first label are a verse.

Without any label the sheet is *unlabelled* and the composer keeps its stanza rule
(:mod:`lemm.compose.lyrics_align`).

A labelled sheet shapes the plan's form (:func:`form_from_sheet`: one section per block, in the
sheet's order, as long as its lines need) and its blocks are sung in the sections of their kind
in order (:func:`sheet_lines_for_sections`).

Examples
--------
>>> sheet = parse_lyric_sheet("[Verse 1]\\nwalking home\\n\\n[CHORUS x2]\\nhold on\\n[verse 2]\\nrain again\\n[Chorus]")
>>> [(b.kind, len(b.lines)) for b in sheet.blocks]
[('verse', 1), ('chorus', 1), ('chorus', 1), ('verse', 1), ('chorus', 1)]
>>> parse_label("[Pre Chorus]"), parse_label("Hook:"), parse_label("(ooh yeah)")
(('pre-chorus', 1), ('chorus', 1), None)
>>> parse_lyric_sheet("just words\\n\\nmore words").labelled
False
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from lemm.errors import ParameterError
from lemm.text.syllables import LyricLine, syllabify

__all__ = ["LABEL_WORDS", "LyricBlock", "LyricSheet", "block_bars", "form_from_sheet", "parse_label", "parse_lyric_sheet", "sheet_lines_for_sections"]

#: Words of a label (lower case, spaces for hyphens) -> section kind; longer phrases are matched first.
LABEL_WORDS: dict[str, str] = {
    "pre chorus": "pre-chorus", "prechorus": "pre-chorus", "pre hook": "pre-chorus", "prehook": "pre-chorus", "build": "pre-chorus",
    "post chorus": "post-chorus", "postchorus": "post-chorus", "post hook": "post-chorus",
    "chorus": "chorus", "hook": "chorus", "refrain": "chorus",
    "verse": "verse", "bridge": "bridge", "middle 8": "bridge", "middle eight": "bridge",
    "intro": "intro", "outro": "outro", "coda": "outro", "tag": "outro", "ending": "outro",
    "instrumental": "break", "solo": "break", "interlude": "break", "break": "break",
}
_BRACKETS = re.compile(r"^\s*[\[\(\{]\s*(.*?)\s*[\]\)\}]\s*$")
_COLON = re.compile(r"^\s*([A-Za-z][A-Za-z \-]*?)\s*\d*\s*:\s*$")
_REPEAT = re.compile(r"(?:\bx\s*(\d)|(\d)\s*x\b|×\s*(\d))")


@dataclass(frozen=True)
class LyricBlock:
    """One labelled block: section kind, the label as written, its sung lines (maybe none)."""

    kind: str
    label: str
    lines: tuple[LyricLine, ...]

    @property
    def text(self) -> tuple[str, ...]:
        """The block's words, line by line (what "the same chorus" compares)."""
        return tuple(" ".join(w.text.lower() for w in ln.words) for ln in self.lines)


@dataclass(frozen=True)
class LyricSheet:
    """Blocks in sheet order; ``labelled`` is False for a sheet without any label (one block per stanza)."""

    blocks: tuple[LyricBlock, ...]
    labelled: bool

    @property
    def lines(self) -> tuple[LyricLine, ...]:
        """Every sung line once, in order (a repeated block's lines appear once per repeat)."""
        return tuple(ln for b in self.blocks for ln in b.lines)


def _kind_of(words: str) -> str | None:
    w = " ".join(re.sub(r"[^a-z0-9 ]", " ", words.lower().replace("-", " ")).split())
    w = re.sub(r"\s*\d+$", "", _REPEAT.sub("", w)).strip()
    for phrase in sorted(LABEL_WORDS, key=len, reverse=True):
        if re.search(rf"(^|\s){re.escape(phrase)}($|\s)", w):
            return LABEL_WORDS[phrase]
    return None


def parse_label(line: str) -> tuple[str, int] | None:
    """``(kind, repeats)`` when ``line`` is only a section label, else None.

    Square-bracketed lines are labels when their words (before any colon) name a
    section; parenthesised or braced lines and ``Word:`` lines too.
    """
    m = _BRACKETS.match(line)
    words = None
    if m:
        words = m.group(1).split(":", 1)[0]
    else:
        c = _COLON.match(line)
        if c:
            words = c.group(1)
    if words is None:
        return None
    kind = _kind_of(words)
    if kind is None:
        return None
    rep = _REPEAT.search(words.lower())
    repeats = int(next(g for g in rep.groups() if g)) if rep else 1
    return kind, max(1, min(repeats, 4))


def _is_annotation(line: str) -> bool:
    return line.strip().startswith("[") and line.strip().endswith("]")


def parse_lyric_sheet(text: str) -> LyricSheet:
    """Split lyrics into labelled blocks (see the module docstring).

    Raises
    ------
    ParameterError
        If ``text`` is not a string or has no word of Latin letters to sing (labels aside).
    """
    if not isinstance(text, str):
        raise ParameterError.for_field("lyrics", text, "a string")
    raw_blocks: list[tuple[str, str, int, list[str]]] = []  # kind, label, repeats, lines
    labelled = False
    for raw in text.splitlines():
        lab = parse_label(raw)
        if lab is not None:
            labelled = True
            raw_blocks.append((lab[0], raw.strip(), lab[1], []))
            continue
        if _is_annotation(raw):
            continue
        if not raw_blocks:
            raw_blocks.append(("verse", "", 1, []))
        raw_blocks[-1][3].append(raw)
    if not labelled:
        lines = syllabify(text)
        stanzas = sorted({ln.stanza for ln in lines})
        return LyricSheet(tuple(LyricBlock("verse", "", tuple(ln for ln in lines if ln.stanza == s)) for s in stanzas), False)
    sung = "\n".join(ln for _, _, _, ls in raw_blocks for ln in ls)
    syllabify(sung)  # a clear error when no block has a word to sing
    blocks: list[LyricBlock] = []
    last: dict[str, tuple[LyricLine, ...]] = {}
    for kind, label, repeats, lines in raw_blocks:
        body = "\n".join(x for x in lines if x.strip())
        parsed = tuple(replace(ln, stanza=len(blocks)) for ln in syllabify(body)) if re.search(r"[A-Za-z]", body) else ()
        if not parsed:
            parsed = last.get(kind, ())
        last[kind] = parsed
        for _ in range(repeats):
            blocks.append(LyricBlock(kind, label, parsed))
    return LyricSheet(tuple(blocks), True)


def block_bars(block: LyricBlock, *, bars_per_line: int, section_bars: Mapping[str, int]) -> int:
    """Bars a block needs: ``bars_per_line`` per line; an instrumental block the profile's bars for its kind."""
    if not block.lines:
        return int(section_bars.get(block.kind, 4))
    return max(2, len(block.lines) * bars_per_line)


def form_from_sheet(sheet: LyricSheet, n_bars: int, *, bars_per_line: int, section_bars: Mapping[str, int]) -> list[tuple[str, int]]:
    """The plan's sections for a labelled sheet: ``(kind, bars)`` summing to exactly ``n_bars``.

    Rules, in order:

    1. one section per block, in the sheet's order, of :func:`block_bars`;
    2. too long: blocks are dropped from the end (so the song ends on a chorus when one is
       left), and when even the first chorus does not fit, the song is its first verse and
       first chorus (lines that do not fit are not sung);
    3. an intro (when the sheet has none) and an outro of up to 8 bars each frame the song;
    4. still short: instrumental breaks of 8 bars go in after choruses (the last one
       excepted), the outro grows to 16 bars and the breaks to 16, then breaks go in after
       the other sung sections; never more sung text than the sheet holds (a sheet far
       too short for the length leaves long instrumental breaks).
    """
    if n_bars < 1:
        raise ParameterError.for_field("n_bars", n_bars, "an integer >= 1")
    secs = [[b.kind, block_bars(b, bars_per_line=bars_per_line, section_bars=section_bars)] for b in sheet.blocks]
    while len(secs) > 1 and sum(b for _, b in secs) > n_bars:
        secs.pop()
        while len(secs) > 1 and any(k == "chorus" for k, _ in secs) and secs[-1][0] not in ("chorus", "outro", "post-chorus"):
            secs.pop()
    if sum(b for _, b in secs) > n_bars:  # the first block alone is too long: sing what fits
        secs = [[secs[0][0], n_bars]]
    if all(k != "chorus" for k, _ in secs) and any(b.kind == "chorus" for b in sheet.blocks):
        cb = block_bars(next(b for b in sheet.blocks if b.kind == "chorus"), bars_per_line=bars_per_line, section_bars=section_bars)
        verse = next((b for b in sheet.blocks if b.kind == "verse"), None)
        vb = block_bars(verse, bars_per_line=bars_per_line, section_bars=section_bars) if verse is not None else n_bars
        secs = [["verse", vb], ["chorus", cb]] if vb + cb <= n_bars else [["chorus", min(cb, n_bars)]]
    rest = n_bars - sum(b for _, b in secs)
    if rest > 0 and secs[0][0] != "intro":
        secs.insert(0, ["intro", min(rest, 8 if n_bars >= 48 else 4 if n_bars >= 20 else 2)])
        rest = n_bars - sum(b for _, b in secs)
    if rest > 0 and secs[-1][0] != "outro":
        secs.append(["outro", min(rest, 8 if n_bars >= 48 else 4)])
        rest = n_bars - sum(b for _, b in secs)
    _fill_instrumental(secs, rest)
    return [(k, int(b)) for k, b in secs if b > 0]


def _fill_instrumental(secs: list[list], rest: int) -> None:
    """Grow ``secs`` (in place) by ``rest`` bars of instrumental music: breaks after choruses, a longer outro."""
    while rest >= 4:
        kinds = [k for k, _ in secs]
        choruses = [i for i, k in enumerate(kinds) if k == "chorus" and (i + 1 >= len(secs) or kinds[i + 1] != "break")]
        last = max((i for i, k in enumerate(kinds) if k == "chorus"), default=-1)
        breaks = [i for i, k in enumerate(kinds) if k == "break"]
        outro = next((i for i in range(len(secs) - 1, -1, -1) if kinds[i] == "outro"), None)
        inner = [i for i in choruses if i != last]
        if inner and rest >= 8:
            secs.insert(inner[0] + 1, ["break", 8])
            rest -= 8
            continue
        if outro is not None and secs[outro][1] < 16:
            step = min(4, 16 - secs[outro][1])
            secs[outro][1] += step
            rest -= step
            continue
        small = [i for i in breaks if secs[i][1] < 16]
        if small:
            secs[small[0]][1] += 4
            rest -= 4
            continue
        bare = [i for i, k in enumerate(kinds) if k not in ("intro", "outro", "break")
                and (i + 1 >= len(secs) or kinds[i + 1] not in ("break", "pre-chorus", "chorus", "post-chorus"))]  # never inside a build
        if bare and (rest >= 8 or not breaks):
            step = min(8, rest)
            secs.insert(bare[0] + 1, ["break", step])
            rest -= step
            continue
        target = min(breaks, key=lambda i: (secs[i][1], i)) if breaks else (outro if outro is not None else len(secs) - 1)
        secs[target][1] += 4
        rest -= 4
    if rest > 0:
        kinds = [k for k, _ in secs]
        i = next((j for j in range(len(secs) - 1, -1, -1) if kinds[j] == "outro"), None)
        i = i if i is not None else next((j for j, k in enumerate(kinds) if k == "intro"), len(secs) - 1)
        secs[i][1] += rest


def sheet_lines_for_sections(sheet: LyricSheet, kinds: Sequence[str]) -> list[list[LyricLine]]:
    """Lines each plan section sings for a labelled sheet.

    Sections and blocks are matched in order by kind: a section takes the next unused block
    of its kind (blocks skipped over are not sung). A chorus with no chorus block left sings
    the last chorus block again; any other section with none left is instrumental.
    """
    out: list[list[LyricLine]] = []
    pos = 0
    last_chorus: tuple[LyricLine, ...] = ()
    for kind in kinds:
        j = next((i for i in range(pos, len(sheet.blocks)) if sheet.blocks[i].kind == kind), None)
        if j is None:
            out.append(list(last_chorus) if kind == "chorus" else [])
            continue
        pos = j + 1
        lines = sheet.blocks[j].lines
        if kind == "chorus" and lines:
            last_chorus = lines
        out.append(list(lines))
    return out
