"""Words of an instruction -> names in the song: tracks, sections and instrument presets.

Tracks are found by name ("bass"), role ("the keys", "vocals"), preset or instrument word
("electric piano"), or "all"/"everything". Sections by name ("chorus 2"), by kind and
number ("verse 1"), by ordinal ("the second chorus", "the last chorus"), by kind for
every section of it ("the chorus", "every chorus", "the choruses"), or "everywhere".
A phrase that names nothing raises :class:`NotFound` whose message lists what the song has.

Examples
--------
>>> from lemm.score.model import ROLES, Score, Section, Track
>>> s = Score(sections=(Section("verse 1", "verse", 0, 1920), Section("chorus 1", "chorus", 1920, 1920),
...                     Section("chorus 2", "chorus", 3840, 1920)),
...           tracks=(Track("drums", "drums", "synth_kit", is_drum=True), Track("piano", "keys", "acoustic_piano")))
>>> resolve_sections("the second chorus", s), resolve_sections("every chorus", s)
(('chorus 2',), ('chorus 1', 'chorus 2'))
>>> resolve_tracks("the keys", s), resolve_tracks("all", s)
(('piano',), ('drums', 'piano'))
>>> resolve_preset("an electric piano")
'electric_piano'
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lemm.compose.instruments import DRUM_KITS, INSTRUMENT_WORDS, PRESET_PROGRAMS, VOICES
from lemm.score.model import ROLES, Score

__all__ = ["NotFound", "normalise", "resolve_tracks", "resolve_sections", "resolve_preset", "preset_kind", "ALL_WORDS", "SONG_WORDS"]


class NotFound(LookupError):
    """A phrase names no track, section or preset of the song (the message lists the known ones)."""


#: Phrases that mean every track.
ALL_WORDS = frozenset({
    "all", "everything", "everyone", "all tracks", "every track", "all instruments", "every instrument",
    "all parts", "every part", "band", "whole band", "full band", "it", "song", "whole song", "mix", "whole mix",
    "whole thing", "arrangement", "whole arrangement", "tracks", "instruments", "parts",
})
#: Phrases that mean every section.
SONG_WORDS = frozenset({
    "everywhere", "throughout", "whole song", "song", "entire song", "whole thing", "all sections",
    "every section", "whole track", "all of it", "whole way through", "all the way through",
})

ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
}
KIND_WORDS = {
    "intro": "intro", "verse": "verse", "pre-chorus": "pre-chorus", "prechorus": "pre-chorus",
    "pre chorus": "pre-chorus", "chorus": "chorus", "refrain": "chorus", "hook": "chorus",
    "post-chorus": "post-chorus", "postchorus": "post-chorus", "post chorus": "post-chorus",
    "bridge": "bridge", "middle eight": "bridge", "break": "break", "breakdown": "break",
    "drop": "drop", "outro": "outro", "ending": "outro",
}
_PLURALS = {"choruses": "chorus", "pre-choruses": "pre-chorus", "post-choruses": "post-chorus", "verses": "verse",
            "bridges": "bridge", "intros": "intro", "outros": "outro", "breaks": "break", "drops": "drop",
            "refrains": "chorus", "hooks": "chorus"}
_ROLE_WORDS = {
    "drum": "drums", "beat": "drums", "beats": "drums", "kit": "drums", "drum kit": "drums", "groove": "drums",
    "keyboard": "keys", "keyboards": "keys", "key": "keys",
    "vocals": "vocal", "voice": "vocal", "voices": "vocal", "singer": "vocal", "singing": "vocal", "vox": "vocal",
    "melody": "lead", "lead line": "lead", "pads": "pad", "guitars": "guitar", "string": "strings",
    "horns": "brass", "woodwinds": "woodwind", "arps": "arp", "arpeggio": "arp", "bassline": "bass", "bass line": "bass",
}
_PRESET_WORDS = {
    "piano": "acoustic_piano", "grand piano": "acoustic_piano", "acoustic piano": "acoustic_piano",
    "rhodes": "electric_piano", "ep": "electric_piano", "keys": "electric_piano",
    "acoustic guitar": "steel_guitar", "steel guitar": "steel_guitar", "guitar": "steel_guitar",
    "nylon guitar": "nylon_guitar", "classical guitar": "nylon_guitar", "electric guitar": "electric_guitar",
    "bass": "electric_bass", "bass guitar": "electric_bass", "electric bass": "electric_bass", "synth bass": "synth_bass",
    "strings": "string_ensemble", "string ensemble": "string_ensemble", "orchestra": "string_ensemble",
    "cello": "cello", "brass": "brass", "horns": "brass", "trumpet": "brass", "flute": "flute",
    "lead synth": "synth_lead", "synth lead": "synth_lead", "synth": "synth_pad", "pad": "synth_pad", "synth pad": "synth_pad",
    "organ": "organ", "drum machine": "synth_kit", "electronic drums": "synth_kit", "synth drums": "synth_kit",
    "synth kit": "synth_kit", "electronic kit": "synth_kit", "acoustic drums": "acoustic_kit", "real drums": "acoustic_kit",
    "acoustic kit": "acoustic_kit", "live drums": "acoustic_kit", "low voice": "voice_low", "male voice": "voice_low",
    "high voice": "voice_high", "female voice": "voice_high",
}
_ARTICLES = re.compile(r"^(?:the|a|an|some|my|our|its|this|that|all the|all of the|all|both|both the|every|each)\s+")
_SECTION_RE = re.compile(r"^(?:(?P<ord>next to last|second to last|penultimate|last|final|\w+)\s+)?(?P<kind>[a-z -]+?)(?:\s+(?P<num>\d+))?$")


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces, no closing punctuation or "please".

    >>> normalise("  Please make the Drums   heavier! ")
    'make the drums heavier'
    """
    t = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"').lower()
    t = re.sub(r"\s+", " ", t).strip().strip(".!?\"' ").strip()
    t = re.sub(r"^(?:please|can you|could you|would you|kindly|now|and|then)\s+", "", t)
    t = re.sub(r"\s+please$", "", t)
    return t.strip(" ,")


def _strip_articles(phrase: str) -> str:
    p = phrase.strip(" ,")
    while True:
        q = _ARTICLES.sub("", p)
        if q == p:
            return p
        p = q


def _split_list(phrase: str) -> list[str]:
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*", phrase)
    return [p for p in (x.strip() for x in parts) if p]


def _known_tracks(score: Score) -> str:
    return ", ".join(f"{t.name} ({t.role}, {t.preset})" for t in score.tracks) or "(none)"


def _known_sections(score: Score) -> str:
    return ", ".join(s.name for s in score.sections) or "(none)"


def _one_track_phrase(p: str, score: Score) -> tuple[str, ...]:
    names = {t.name.lower(): t.name for t in score.tracks}
    variants = [p, p.replace("_", " "), p.replace(" ", "_")]
    if p.endswith("s"):
        variants.append(p[:-1])
    for v in variants:
        if v in names:
            return (names[v],)
    role = _ROLE_WORDS.get(p) or (p if p in ROLES else p[:-1] if p.endswith("s") and p[:-1] in ROLES else None)
    by_role = tuple(t.name for t in score.tracks if t.role == role)
    if not by_role and role == "lead":  # "the melody" of a song with a singer
        by_role = tuple(t.name for t in score.tracks if t.role == "vocal")
    if by_role:
        return by_role
    preset = p.replace(" ", "_") if p.replace(" ", "_") in PRESET_PROGRAMS else _PRESET_WORDS.get(p)
    if preset is None and p in INSTRUMENT_WORDS:
        preset = INSTRUMENT_WORDS[p].preset
    by_preset = tuple(t.name for t in score.tracks if preset is not None and t.preset == preset)
    if by_preset:
        return by_preset
    raise NotFound(f"unknown track {p!r}; tracks are: {_known_tracks(score)}")


def resolve_tracks(phrase: str, score: Score) -> tuple[str, ...]:
    """Track names (in score order) that ``phrase`` names.

    Raises
    ------
    NotFound
        If a part of the phrase names no track; the message lists the song's tracks.
    """
    p = _strip_articles(phrase)
    if p in ALL_WORDS or phrase.strip() in ALL_WORDS:
        return tuple(t.name for t in score.tracks)
    found: set[str] = set()
    for part in _split_list(p):
        found.update(_one_track_phrase(_strip_articles(part), score))
    return tuple(t.name for t in score.tracks if t.name in found)


def _one_section_phrase(phrase: str, score: Score) -> tuple[str, ...]:
    raw = phrase.strip()
    every = re.match(r"^(?:every|each|all|all the|both|both the)\s+", raw) is not None
    p = _strip_articles(raw)
    names = {s.name.lower(): s.name for s in score.sections}
    if p in names:
        return (names[p],)
    m = _SECTION_RE.match(p)
    if m is None:
        raise NotFound(f"unknown section {p!r}; sections are: {_known_sections(score)}")
    ordinal, kind_word, number = m.group("ord"), m.group("kind").strip(), m.group("num")
    if ordinal is not None and ordinal not in ORDINALS and ordinal not in ("last", "final", "next to last", "second to last", "penultimate"):
        kind_word, ordinal = f"{ordinal} {kind_word}", None
    plural = kind_word in _PLURALS
    kind = _PLURALS.get(kind_word) or KIND_WORDS.get(kind_word)
    if kind is None:
        raise NotFound(f"unknown section {p!r}; sections are: {_known_sections(score)}")
    of_kind = [s.name for s in score.sections if s.kind == kind]
    if not of_kind:
        raise NotFound(f"this song has no {kind}; sections are: {_known_sections(score)}")
    if number is not None or (ordinal is not None and ordinal in ORDINALS):
        n = int(number) if number is not None else ORDINALS[ordinal]
        if not 1 <= n <= len(of_kind):
            have = f"only {len(of_kind)} {kind}{'es' if kind.endswith('s') else 's'}" if len(of_kind) > 1 else f"one {kind}"
            raise NotFound(f"{p!r}: this song has {have} ({', '.join(of_kind)}); sections are: {_known_sections(score)}")
        return (of_kind[n - 1],)
    if ordinal in ("last", "final"):
        return (of_kind[-1],)
    if ordinal is not None:  # next to last, second to last, penultimate
        if len(of_kind) < 2:
            raise NotFound(f"{p!r}: this song has one {kind} ({of_kind[0]})")
        return (of_kind[-2],)
    del every, plural  # a bare kind, its plural and "every KIND" all mean every section of that kind
    return tuple(of_kind)


def resolve_sections(phrase: str, score: Score) -> tuple[str, ...]:
    """Section names (in song order) that ``phrase`` names; "everywhere" gives every section.

    Raises
    ------
    NotFound
        If a part of the phrase names no section; the message lists the song's sections.
    """
    p = phrase.strip()
    if _strip_articles(p) in SONG_WORDS or p in SONG_WORDS:
        return tuple(s.name for s in score.sections)
    found: set[str] = set()
    for part in _split_list(p):
        part = re.sub(r"^(?:in|during|from|across|throughout)\s+", "", part)
        found.update(_one_section_phrase(part, score))
    return tuple(s.name for s in score.sections if s.name in found)


def preset_kind(preset: str) -> str:
    """``"kit"``, ``"voice"`` or ``"instrument"``."""
    return "kit" if preset in DRUM_KITS else "voice" if preset in VOICES else "instrument"


def resolve_preset(phrase: str, *, song_presets: Collection[str] = ()) -> str:
    """The preset (instrument sound, drum kit or voice) a phrase names ("electric piano" -> ``electric_piano``).

    ``song_presets`` are the song's own preset names (``Song.presets``), matched
    first, without regard to case, with spaces for underscores ("my cello" ->
    ``my_cello``).

    Raises
    ------
    NotFound
        If it names none; the message lists the presets.
    """
    own = {name.lower(): name for name in song_presets}
    for v in (phrase.strip(), _strip_articles(phrase)):  # "my cello" may be a name, "my" no article
        v = re.sub(r"\s+(?:sound|preset|patch)$", "", v).strip()
        if v.replace(" ", "_") in own:
            return own[v.replace(" ", "_")]
    p = _strip_articles(phrase)
    p = re.sub(r"\s+(?:sound|preset|patch|one)$", "", p).strip()
    for v in (p, p.replace("-", " ")):
        if v.replace(" ", "_") in PRESET_PROGRAMS:
            return v.replace(" ", "_")
        if v in _PRESET_WORDS:
            return _PRESET_WORDS[v]
        if v in INSTRUMENT_WORDS:
            return INSTRUMENT_WORDS[v].preset
    names = [n.replace("_", " ") for n in PRESET_PROGRAMS] + sorted(song_presets)
    raise NotFound(f"unknown instrument {p!r}; instruments are: {', '.join(names)}")
