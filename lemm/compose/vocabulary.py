"""The words the planner understands in a prompt, and the reader that finds them.

Everything the planner can read is in the tables of this module; a word that is
in no table is ignored. Each phrase found is reported with its meaning
(``Plan.understood``).

Vocabulary
----------
- **genre**: any genre name or alias of a profile (``"house"`` -> edm, ``"rap"`` ->
  hip-hop, ``"lo-fi"``...); the earliest one in the prompt wins.
- **mood** (:data:`MOODS`): dark, sad, happy, uplifting, dreamy, aggressive, chill, epic,
  romantic, melancholic, and synonyms; each nudges the mode, the tempo (a shift of
  the position inside the genre's tempo range) and the energy. The first mood word
  is the plan's mood; the nudges of all mood words add up.
- **tempo words** (:data:`TEMPO_WORDS`): slow, fast, upbeat, uptempo, mid-tempo,
  laid-back, driving; numbers: ``"92 bpm"``, ``"tempo 92"`` (exact tempo).
- **key**: ``"in D minor"``, ``"in F#"``, ``"in the key of Bb"``, ``"in a minor"``,
  ``"E minor"`` (a bare key needs a capital letter and a mode).
- **meter**: ``"6/8"``, ``"in 3/4"``, ``"waltz"`` (3/4).
- **feel**: swing / swung / shuffle (swing 0.3), straight (no swing).
- **parts** (:data:`lemm.compose.instruments.INSTRUMENT_WORDS`): a mention (``"with
  strings"``, ``"piano ballad"``) asks for the part; ``"no X"``, ``"without X"``,
  ``"minus X"`` (also ``"without X or Y"``) refuses it. ``"instrumental"`` or ``"no
  vocals"`` means no singing; ``"female vocal(s)/voice/singer"`` picks voice_high,
  ``"male ..."`` voice_low; ``"no backing vocals"`` (also ``"without backing/backup/harmony
  vocals"``, ``"no harmonies"``, ``"solo voice"``, ``"a single singer"``, ``"lead vocal only"``)
  leaves out the genre's backing vocals.
- **arc** (:data:`ARC_WORDS`): "builds slowly", "slow build", "big final chorus",
  "fade out", soft/quiet/gentle, loud/powerful/intense.
- **length**: ``"2 minutes"``, ``"two and a half minutes"``, ``"90 seconds"``, ``"3:30"``.

Examples
--------
>>> r = read_prompt("a sad piano song in D minor, 92 bpm, in 6/8, no drums, with strings")
>>> r.key_tonic, r.key_mode, r.tempo_bpm, r.meter
('D', 'minor', 92.0, (6, 8))
>>> sorted(p.name for p in r.add_parts), r.remove
(['piano', 'strings'], ('drums',))
>>> r.mood
'sad'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lemm.compose.instruments import INSTRUMENT_WORDS, PartSpec
from lemm.compose.plan_model import Understood
from lemm.compose.profiles import genre_aliases

__all__ = ["Mood", "MOODS", "TEMPO_WORDS", "ARC_WORDS", "PromptReading", "read_prompt"]


@dataclass(frozen=True)
class Mood:
    """What a mood word means: preferred mode (or None), tempo shift and energy offset.

    ``tempo_shift`` moves the tempo's position inside the genre's range (-1..1 of
    the range); ``energy_offset`` is added to every bar's energy.
    """

    name: str
    mode: str | None
    tempo_shift: float
    energy_offset: float


def _m(name: str, mode: str | None, tempo_shift: float, energy_offset: float) -> Mood:
    return Mood(name, mode, tempo_shift, energy_offset)


_DARK = _m("dark", "minor", -0.05, 0.0)
_SAD = _m("sad", "minor", -0.25, -0.08)
_HAPPY = _m("happy", "major", 0.15, 0.05)
_UPLIFTING = _m("uplifting", "major", 0.12, 0.08)
_DREAMY = _m("dreamy", None, -0.12, -0.08)
_AGGRESSIVE = _m("aggressive", "minor", 0.25, 0.15)
_CHILL = _m("chill", None, -0.25, -0.12)
_EPIC = _m("epic", None, 0.05, 0.12)
_ROMANTIC = _m("romantic", "major", -0.15, -0.05)
_MELANCHOLIC = _m("melancholic", "minor", -0.15, -0.06)
_ENERGETIC = _m("energetic", None, 0.25, 0.12)
_CALM = _m("calm", None, -0.3, -0.15)
_MYSTERIOUS = _m("mysterious", "minor", -0.05, -0.05)
_NOSTALGIC = _m("nostalgic", None, -0.1, -0.04)
_HOPEFUL = _m("hopeful", "major", 0.05, 0.03)

#: Mood words -> meaning.
MOODS: dict[str, Mood] = {
    "dark": _DARK, "gloomy": _DARK, "moody": _DARK, "ominous": _DARK, "haunting": _DARK,
    "sad": _SAD, "heartbroken": _SAD, "heartbreak": _SAD, "tearful": _SAD, "lonely": _SAD,
    "happy": _HAPPY, "joyful": _HAPPY, "cheerful": _HAPPY, "bright": _HAPPY, "fun": _HAPPY, "sunny": _HAPPY,
    "uplifting": _UPLIFTING, "euphoric": _UPLIFTING, "anthemic": _UPLIFTING, "triumphant": _UPLIFTING,
    "hopeful": _HOPEFUL, "optimistic": _HOPEFUL,
    "dreamy": _DREAMY, "ethereal": _DREAMY, "hazy": _DREAMY, "floaty": _DREAMY,
    "aggressive": _AGGRESSIVE, "angry": _AGGRESSIVE, "fierce": _AGGRESSIVE,
    "chill": _CHILL, "mellow": _CHILL, "relaxed": _CHILL, "relaxing": _CHILL, "laid-back": _CHILL, "laid back": _CHILL,
    "calm": _CALM, "peaceful": _CALM, "serene": _CALM, "tender": _CALM,
    "epic": _EPIC, "grand": _EPIC, "majestic": _EPIC, "heroic": _EPIC,
    "romantic": _ROMANTIC, "sensual": _ROMANTIC, "sweet": _ROMANTIC,
    "melancholic": _MELANCHOLIC, "melancholy": _MELANCHOLIC, "bittersweet": _MELANCHOLIC, "wistful": _MELANCHOLIC,
    "energetic": _ENERGETIC, "upbeat energy": _ENERGETIC, "exciting": _ENERGETIC, "party": _ENERGETIC,
    "mysterious": _MYSTERIOUS, "eerie": _MYSTERIOUS, "spooky": _MYSTERIOUS,
    "nostalgic": _NOSTALGIC, "retro": _NOSTALGIC,
}

#: Tempo words -> (position in the genre's tempo range 0..1 or None, energy offset, meaning).
TEMPO_WORDS: dict[str, tuple[float | None, float, str]] = {
    "slow": (0.0, -0.05, "slow tempo (bottom of the genre's range)"),
    "slower": (0.0, -0.05, "slow tempo (bottom of the genre's range)"),
    "fast": (1.0, 0.05, "fast tempo (top of the genre's range)"),
    "faster": (1.0, 0.05, "fast tempo (top of the genre's range)"),
    "upbeat": (0.85, 0.06, "upbeat: brisk tempo, more energy"),
    "uptempo": (0.9, 0.05, "up-tempo: brisk tempo"),
    "up-tempo": (0.9, 0.05, "up-tempo: brisk tempo"),
    "mid-tempo": (0.5, 0.0, "mid-tempo: middle of the genre's range"),
    "midtempo": (0.5, 0.0, "mid-tempo: middle of the genre's range"),
    "driving": (0.8, 0.08, "driving: brisk tempo, more energy"),
}

#: Arc words -> (arc name, meaning).
ARC_WORDS: dict[str, tuple[str, str]] = {
    "builds slowly": ("build", "energy builds through the song"),
    "slowly builds": ("build", "energy builds through the song"),
    "slow build": ("build", "energy builds through the song"),
    "builds up": ("build", "energy builds through the song"),
    "gradual build": ("build", "energy builds through the song"),
    "building": ("build", "energy builds through the song"),
    "starts quiet": ("build", "energy builds through the song"),
    "big final chorus": ("big_final_chorus", "a long, loudest final chorus"),
    "huge final chorus": ("big_final_chorus", "a long, loudest final chorus"),
    "big last chorus": ("big_final_chorus", "a long, loudest final chorus"),
    "big ending": ("big_final_chorus", "a long, loudest final chorus"),
    "epic ending": ("big_final_chorus", "a long, loudest final chorus"),
    "key change": ("lift", "the last chorus lifts up a whole step (key change)"),
    "modulates": ("lift", "the last chorus lifts up a whole step (key change)"),
    "modulation": ("lift", "the last chorus lifts up a whole step (key change)"),
    "lifts at the end": ("lift", "the last chorus lifts up a whole step (key change)"),
    "lift the last chorus": ("lift", "the last chorus lifts up a whole step (key change)"),
    "fade out": ("fade_out", "the outro fades out"),
    "fades out": ("fade_out", "the outro fades out"),
    "fading out": ("fade_out", "the outro fades out"),
    "soft": ("soft", "softer overall (energy -0.1)"),
    "quiet": ("soft", "softer overall (energy -0.1)"),
    "gentle": ("soft", "softer overall (energy -0.1)"),
    "intimate": ("soft", "softer overall (energy -0.1)"),
    "sparse": ("soft", "softer overall (energy -0.1)"),
    "minimal": ("soft", "softer overall (energy -0.1)"),
    "loud": ("loud", "louder overall (energy +0.1)"),
    "powerful": ("loud", "louder overall (energy +0.1)"),
    "intense": ("loud", "louder overall (energy +0.1)"),
    "heavy": ("loud", "louder overall (energy +0.1)"),
}

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_VOCAL_WORDS = r"vocals?|voice|singer|vocalist|singing"
_NEGATION = r"no|without|minus|w/o|not|skip"


@dataclass
class PromptReading:
    """What :func:`read_prompt` found; ``None`` / empty means "not said"."""

    genre: str | None = None
    genre_position: int = -1
    mood: str | None = None
    mode: str | None = None
    tempo_shift: float = 0.0
    energy_offset: float = 0.0
    tempo_position: float | None = None
    tempo_bpm: float | None = None
    key_tonic: str | None = None
    key_mode: str | None = None
    meter: tuple[int, int] | None = None
    swing: float | None = None
    add_parts: list[PartSpec] = field(default_factory=list)
    remove: tuple[str, ...] = ()
    voice: str | None = None
    instrumental: bool = False
    backing_vocals: bool | None = None
    arcs: tuple[str, ...] = ()
    duration_seconds: float | None = None
    understood: list[Understood] = field(default_factory=list)


def _phrase_re(phrase: str) -> str:
    return r"(?<![\w-])" + re.escape(phrase).replace(r"\ ", r"[\s-]+") + r"(?![\w-])"


class _Reader:
    """Finds phrases in a text, each character read at most once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = text.lower()
        self.taken = [False] * len(text)

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.taken[i] = True

    def finditer(self, pattern: str, *, flags: int = re.IGNORECASE):
        for m in re.finditer(pattern, self.text, flags):
            if m.end() > m.start() and self.free(m.start(), m.end()):
                yield m


def _normalise_tonic(letter: str, accidental: str | None) -> str:
    acc = (accidental or "").strip().lower().replace("-", "")
    acc = {"#": "#", "♯": "#", "sharp": "#", "b": "b", "♭": "b", "flat": "b"}.get(acc, "")
    return letter.upper() + acc


def read_prompt(prompt: str) -> PromptReading:
    """Read a prompt with the vocabulary of this module.

    Parameters
    ----------
    prompt : str
        Free text; unknown words are ignored.

    Returns
    -------
    PromptReading
        The settings found, and ``understood``: one entry per phrase read, in the
        order found, with its meaning.
    """
    r = PromptReading()
    rd = _Reader(prompt)
    for read_field in _FIELD_READERS:
        read_field(rd, r)
    return r


# Field readers, in the order they read (each takes the characters it reads, so an earlier
# reader wins a phrase two could match: "6/8" is a meter before it could be anything else).


def _read_tempo_bpm(rd: _Reader, r: PromptReading) -> None:
    """Reads "92 bpm", "tempo of 120"."""
    for m in rd.finditer(r"(?<![\d.])(\d{2,3}(?:\.\d+)?)\s*-?\s*bpm\b|\btempo\s*(?:of\s*)?(\d{2,3})\b"):
        bpm = float(m.group(1) or m.group(2))
        rd.take(m.start(), m.end())
        if 30.0 <= bpm <= 300.0 and r.tempo_bpm is None:
            r.tempo_bpm = bpm
            r.understood.append(Understood(m.group(0), f"tempo {bpm:g} bpm"))
        else:
            r.understood.append(Understood(m.group(0), "ignored: tempo must be in 30..300 bpm"))


def _read_length(rd: _Reader, r: PromptReading) -> None:
    """Reads "three and a half minutes", "90 seconds", "2:30"."""
    num = r"(\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")"
    for m in rd.finditer(num + r"(\s+and\s+a\s+half)?\s*-?\s*(minutes?|mins?)\b|(\d+)\s*-?\s*(seconds?|secs?)\b|(?<![\d/])(\d{1,2}):([0-5]\d)\b"):
        if m.group(3):
            value = m.group(1).lower()
            seconds = 60.0 * (float(value) if value[0].isdigit() else _NUMBER_WORDS[value]) + (30.0 if m.group(2) else 0.0)
        elif m.group(5):
            seconds = float(m.group(4))
        else:
            seconds = 60.0 * int(m.group(6)) + int(m.group(7))
        rd.take(m.start(), m.end())
        if r.duration_seconds is None and 10.0 <= seconds <= 600.0:
            r.duration_seconds = seconds
            r.understood.append(Understood(m.group(0), f"length {seconds:g} s (used when the brief's length is the default)"))
        else:
            r.understood.append(Understood(m.group(0), "ignored: length must be 10 s .. 10 min"))


def _read_meter(rd: _Reader, r: PromptReading) -> None:
    """Reads "6/8", "waltz"."""
    for m in rd.finditer(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])"):
        n, d = int(m.group(1)), int(m.group(2))
        if d in (2, 4, 8) and 2 <= n <= 12 and r.meter is None:
            rd.take(m.start(), m.end())
            r.meter = (n, d)
            r.understood.append(Understood(m.group(0), f"meter {n}/{d}"))
    for m in rd.finditer(_phrase_re("waltz")):
        rd.take(m.start(), m.end())
        if r.meter is None:
            r.meter = (3, 4)
        r.understood.append(Understood(m.group(0), "meter 3/4 (waltz)"))


def _read_key(rd: _Reader, r: PromptReading) -> None:
    """Reads "in D minor", "key of Bb", "F# major"."""
    acc = r"(#|♯|♭|b(?![a-z])|[\s-]sharp\b|[\s-]flat\b)?"
    mode = r"(?:\s*(major|minor|maj\b|min\b|m\b))?"
    for pattern, need_cap in ((r"\b(?:in\s+(?:the\s+key\s+of\s+)?|key\s+of\s+)([A-Ga-g])" + acc + mode, False), (r"\b([A-G])" + acc + r"\s+(major|minor)\b", True)):
        for m in rd.finditer(pattern, flags=re.IGNORECASE if not need_cap else 0):
            letter, accidental, mode_word = m.group(1), m.group(2), m.group(3)
            if letter.islower() and not accidental and not mode_word:
                continue  # "in a dreamy mood": not a key
            if r.key_tonic is not None:
                continue
            r.key_tonic = _normalise_tonic(letter, accidental)
            if mode_word:
                r.key_mode = "minor" if mode_word.lower() in ("minor", "min", "m") else "major"
            rd.take(m.start(), m.end())
            r.understood.append(Understood(m.group(0).strip(), f"key {r.key_tonic}" + (f" {r.key_mode}" if r.key_mode else "")))


def _read_voice(rd: _Reader, r: PromptReading) -> None:
    """Reads "female vocals", "male singer"; "instrumental", "no vocals"."""
    for m in rd.finditer(r"\b(female|woman|women|girl|male|man|men|boy)\s*-?\s*(?:" + _VOCAL_WORDS + r")\b"):
        rd.take(m.start(), m.end())
        r.voice = "voice_high" if m.group(1).lower() in ("female", "woman", "women", "girl") else "voice_low"
        r.understood.append(Understood(m.group(0), f"sung by {r.voice}"))
    for m in rd.finditer(r"\binstrumental\b|\b(?:" + _NEGATION + r")\s+(?:" + _VOCAL_WORDS + r"|lyrics|words)\b"):
        rd.take(m.start(), m.end())
        r.instrumental = True
        r.understood.append(Understood(m.group(0), "instrumental: no sung vocal"))


#: Phrases that leave out the backing vocals: refused backing singers, or one voice alone ("solo" is read
#: only before a voice word, which the voice reader may have read: "solo female voice").
_NO_BACKING = (
    r"\b(?:" + _NEGATION + r")\s+(?:any\s+|the\s+)?(?:(?:backing|backup|back-up|background|harmony|supporting)\s*-?\s*(?:"
    + _VOCAL_WORDS + r"|voices|singers|vocalists|harmon(?:y|ies)))\b"
    + r"|\b(?:" + _NEGATION + r")\s+(?:any\s+|the\s+)?(?:vocal\s+)?harmonies\b"
    + r"|\bsolo(?=\s+(?:(?:female|woman|girl|male|man|boy)\s*-?\s*)?(?:" + _VOCAL_WORDS + r")\b)"
    + r"|\b(?:a\s+)?(?:single|lone|one)\s+(?:voice|singer|vocalist)\b|\blead\s+vocals?\s+only\b|\bjust\s+(?:the|one)\s+(?:voice|singer)\b"
)


def _read_backing_vocals(rd: _Reader, r: PromptReading) -> None:
    """Reads "no backing vocals", "without harmonies", "solo voice": the backing vocals left out."""
    for m in rd.finditer(_NO_BACKING):
        rd.take(m.start(), m.end())
        r.backing_vocals = False
        r.understood.append(Understood(m.group(0), "no backing vocals: the lead voice alone"))


def _read_genre(rd: _Reader, r: PromptReading) -> None:
    """A genre name or alias (the first one in the text wins)."""
    for alias in sorted(genre_aliases(), key=len, reverse=True):
        for m in rd.finditer(_phrase_re(alias)):
            rd.take(m.start(), m.end())
            genre = genre_aliases()[alias]
            if r.genre is None or m.start() < r.genre_position:
                r.genre, r.genre_position = genre, m.start()
            r.understood.append(Understood(m.group(0), f"genre {genre}"))


def _read_parts(rd: _Reader, r: PromptReading) -> None:
    """Reads "no drums or bass" (parts left out), then "with strings" (parts added)."""
    words = sorted(INSTRUMENT_WORDS, key=len, reverse=True)
    inst_alt = "|".join(_phrase_re(w) for w in words)
    removed: list[str] = []
    for m in rd.finditer(r"\b(?:" + _NEGATION + r")\s+(?:any\s+|the\s+)?(" + inst_alt + r")((?:\s*(?:,|or|and|nor)\s*(?:no\s+)?(?:" + inst_alt + r"))*)"):
        rd.take(m.start(), m.end())
        names = [m.group(1)] + [w for w in re.split(r"\s*(?:,|\bor\b|\band\b|\bnor\b|\bno\b)\s*", m.group(2)) if w.strip()]
        for n in names:
            key = " ".join(n.lower().replace("-", " ").split())
            if key in INSTRUMENT_WORDS and key not in removed:
                removed.append(key)
        r.understood.append(Understood(m.group(0), "leave out: " + ", ".join(removed)))
    r.remove = tuple(removed)
    for w in words:
        for m in rd.finditer(_phrase_re(w)):
            rd.take(m.start(), m.end())
            spec = INSTRUMENT_WORDS[w]
            if all(p.name != spec.name for p in r.add_parts):
                r.add_parts.append(spec)
            r.understood.append(Understood(m.group(0), f"add part {spec.name} ({spec.preset})"))


def _read_arcs(rd: _Reader, r: PromptReading) -> None:
    """Words of :data:`ARC_WORDS` ("builds slowly", "key change", "fade out", ...)."""
    arcs: list[str] = []
    for phrase in sorted(ARC_WORDS, key=len, reverse=True):
        for m in rd.finditer(_phrase_re(phrase)):
            rd.take(m.start(), m.end())
            arc, meaning = ARC_WORDS[phrase]
            if arc not in arcs:
                arcs.append(arc)
            r.understood.append(Understood(m.group(0), meaning))
    r.arcs = tuple(arcs)


def _read_moods(rd: _Reader, r: PromptReading) -> None:
    """Words of :data:`MOODS`; the first names the mood and mode, all add their tempo and energy shifts."""
    found: list[tuple[int, str, Mood]] = []
    for phrase in sorted(MOODS, key=len, reverse=True):
        for m in rd.finditer(_phrase_re(phrase)):
            rd.take(m.start(), m.end())
            found.append((m.start(), m.group(0), MOODS[phrase]))
    for _start, text, mood in sorted(found, key=lambda f: f[0]):
        r.mood = r.mood or mood.name
        r.mode = r.mode or mood.mode
        r.tempo_shift += mood.tempo_shift
        r.energy_offset += mood.energy_offset
        meaning = f"mood {mood.name}" + (f", {mood.mode} mode" if mood.mode else "") + f", tempo {mood.tempo_shift:+.2f}, energy {mood.energy_offset:+.2f}"
        r.understood.append(Understood(text, meaning))


def _read_tempo_words(rd: _Reader, r: PromptReading) -> None:
    """Words of :data:`TEMPO_WORDS` ("slow", "upbeat", ...)."""
    for phrase in sorted(TEMPO_WORDS, key=len, reverse=True):
        for m in rd.finditer(_phrase_re(phrase)):
            rd.take(m.start(), m.end())
            pos, energy, meaning = TEMPO_WORDS[phrase]
            if r.tempo_position is None:
                r.tempo_position = pos
            r.energy_offset += energy
            r.understood.append(Understood(m.group(0), meaning))


def _read_swing(rd: _Reader, r: PromptReading) -> None:
    """Reads "swing", "shuffle" (0.3) or "straight" (0)."""
    for m in rd.finditer(r"\b(swing|swung|swinging|shuffle|shuffled|straight)\b"):
        rd.take(m.start(), m.end())
        r.swing = 0.0 if m.group(1).lower() == "straight" else 0.3
        r.understood.append(Understood(m.group(0), "straight eighths (no swing)" if r.swing == 0.0 else "swung eighths (swing 0.3)"))


#: The field readers :func:`read_prompt` runs, in order.
_FIELD_READERS = (
    _read_tempo_bpm, _read_length, _read_meter, _read_key, _read_backing_vocals, _read_voice, _read_genre, _read_parts, _read_arcs, _read_moods,
    _read_tempo_words, _read_swing,
)  # fmt: skip
