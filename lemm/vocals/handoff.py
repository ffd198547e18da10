"""Hand-off to other singers: lemm's vocal line as OpenUtau (``.ustx``) and Synthesizer V (``.svp``) projects.

No singing synthesiser with clean weights ships in a package lemm can
depend on, but users own voicebanks. These writers put the vocal track's
notes (monophonic, in ticks), their syllables and the song's tempo map and
meters into the two editors' project files, so a user can sing lemm's melody
with a licensed voice and bring the result back with ``lemm vocals import``.

- **.ustx** (OpenUtau, YAML; format "0.6" as OpenUtau writes it): one voice
  part at tick 0 on one track, resolution 480 (lemm's ticks are rescaled).
  Lyrics follow OpenUtau's English convention: a word on its first note and
  ``+`` on each further syllable or melisma note (the phonemizer spreads the
  word's phonemes over them); the track's phonemizer is the built-in ARPAsing
  English one. Written as block YAML with double-quoted strings (a subset of
  YAML 1.2 that any YAML reader takes).
- **.svp** (Synthesizer V Studio, JSON, ``version`` 153): times in blicks
  (705 600 000 per quarter note), tempo marks and meters (by bar index), one
  track whose main group holds the notes with their syllable as ``lyrics``
  and their ARPAbet ``phonemes`` (the voice database is marked English /
  ``arpabet``); melisma notes get ``-`` as SynthV writes them.

Phonemes come from espeak-ng (in its worker process, :mod:`lemm.vocals.speech`),
mapped to ARPAbet (:func:`arpabet`) and shared over a word's syllables at its
vowels (consonants between two vowels go to the second syllable, all but the
first when there are several).

Both writers were checked against libresvip 2.9.2 (MIT), which parses the
files into its own project model with the same notes, lyrics and tempo
(see docs/vocals.md); lemm does not depend on it.

Examples
--------
>>> arpabet(["h", "@", "l", "'oU"])
['HH', 'AH', 'L', 'OW']
>>> split_phonemes(["W", "IH", "N", "T", "ER"], 2)
[['W', 'IH', 'N'], ['T', 'ER']]
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from lemm.errors import ParameterError
from lemm.io.atomic import atomic_write_text
from lemm.score.model import Score, Track
from lemm.score.timing import bar_of_tick
from lemm.vocals.phrases import NEUTRAL_VOWEL, monophonic_notes
from lemm.vocals.speech import SpeechWorker

__all__ = ["HandoffNote", "vocal_line", "arpabet", "split_phonemes", "ustx_text", "svp_text", "write_ustx", "write_svp"]

USTX_RESOLUTION = 480
BLICKS_PER_QUARTER = 705_600_000

_ARPABET = {
    "@": "AH", "@2": "AH", "@5": "AH", "V": "AH", "3": "ER", "3:": "ER", "a": "AE", "a#": "AE", "aa": "AA", "A:": "AA", "A": "AA",
    "0": "AA", "aI": "AY", "aU": "AW", "E": "EH", "e": "EH", "eI": "EY", "i": "IY", "i:": "IY", "I": "IH", "I2": "IH", "I#": "IH",
    "O": "AO", "O:": "AO", "OI": "OY", "oU": "OW", "o": "OW", "u": "UW", "u:": "UW", "U": "UH",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "f": "F", "v": "V", "T": "TH", "D": "DH", "s": "S", "z": "Z",
    "S": "SH", "Z": "ZH", "tS": "CH", "dZ": "JH", "h": "HH", "m": "M", "n": "N", "N": "NG", "l": "L", "r": "R", "w": "W", "j": "Y",
}
# espeak vowels with an r or l colouring: two ARPAbet phonemes
_ARPABET_PAIRS = {"A@": ["AA", "R"], "e@": ["EH", "R"], "i@": ["IH", "R"], "i@3": ["IH", "R"], "o@": ["AO", "R"], "O@": ["AO", "R"],
                  "U@": ["UH", "R"], "aI@": ["AY", "ER"], "aI3": ["AY", "ER"], "aU@": ["AW", "ER"], "@L": ["AH", "L"]}
_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


def arpabet(espeak_phonemes) -> list[str]:
    """espeak-ng phoneme names (ascii, stress marks allowed) -> ARPAbet (no stress digits); pauses and unknowns dropped."""
    out: list[str] = []
    for name in espeak_phonemes:
        base = name.lstrip("',%=!").replace(":", ":")
        if base in _ARPABET_PAIRS:
            out += _ARPABET_PAIRS[base]
            continue
        for cand in (base, base.rstrip("#-/235"), base.rstrip("#-/235:"), base[:2], base[:1]):
            if cand in _ARPABET:
                out.append(_ARPABET[cand])
                break
    return out


def split_phonemes(phonemes: list[str], n_syllables: int) -> list[list[str]]:
    """Share a word's ARPAbet phonemes over ``n_syllables`` sung syllables at its vowels.

    Consonants between two vowels go to the second syllable, all but the first
    when there are several ("win-ter"); with fewer vowels than syllables the last
    syllables get none, with more the extra vowels stay with the last syllable.
    """
    vowels = [i for i, p in enumerate(phonemes) if p in _VOWELS]
    if n_syllables <= 1 or len(vowels) <= 1:
        return [list(phonemes)] + [[] for _ in range(max(n_syllables - 1, 0))]
    cuts = []
    for k in range(1, min(n_syllables, len(vowels))):
        a, b = vowels[k - 1], vowels[k]
        between = b - a - 1
        cuts.append(a + 1 + (1 if between >= 2 else 0))
    bounds = [0] + cuts + [len(phonemes)]
    parts = [list(phonemes[bounds[i] : bounds[i + 1]]) for i in range(len(bounds) - 1)]
    return parts + [[] for _ in range(n_syllables - len(parts))]


@dataclass(frozen=True)
class HandoffNote:
    """One note of the vocal line as the editors need it.

    ``word`` is set on a word's first note (None on its other syllables and
    on melisma notes); ``syllable`` is the sung syllable's spelling (None on a
    melisma note); ``phonemes`` its ARPAbet phonemes (empty where unknown).
    """

    start_tick: int
    duration_ticks: int
    pitch: int
    syllable: str | None
    word: str | None
    phonemes: tuple[str, ...] = ()


def vocal_line(track: Track, *, phonemes: bool = True) -> list[HandoffNote]:
    """The vocal track's notes (highest of notes starting together) with syllables, words and phonemes.

    Parameters
    ----------
    track : Track
        A vocal track; notes without lyrics are sung on :data:`NEUTRAL_VOWEL`.
    phonemes : bool
        Ask espeak-ng (in its worker process) for each word's phonemes.
    """
    if not isinstance(track, Track):
        raise ParameterError.for_field("track", type(track).__name__, "a Track")
    notes = monophonic_notes(track.notes)
    words: list[list] = []  # [word text, [note indices of its syllables], [melisma note indices]]
    rows: list[dict] = []
    open_word = False
    for n in notes:
        lyric = n.lyric
        text = "".join(c for c in (lyric.text if lyric is not None else "") if c.isalpha() or c == "'").strip("'")
        if lyric is not None and lyric.extend or (lyric is None and rows and rows[-1]["neutral"]):
            rows.append({"note": n, "syllable": None, "word": None, "neutral": rows[-1]["neutral"] if rows else True, "w": len(words) - 1})
            continue
        if not text:
            text, neutral = NEUTRAL_VOWEL, True
            syllabic = "single"
        else:
            neutral, syllabic = False, lyric.syllabic
        if syllabic in ("middle", "end") and open_word and words:
            words[-1][0] += text.lower()
            words[-1][1].append(len(rows))
        else:
            words.append([text.lower(), [len(rows)]])
        rows.append({"note": n, "syllable": text, "word": None, "neutral": neutral, "w": len(words) - 1})
        open_word = syllabic in ("begin", "middle") and not neutral
    sung_phonemes: dict[int, list[str]] = {}
    if phonemes and words:
        sung_phonemes = _word_phonemes(words)
    for w, (text, idx) in enumerate(words):
        rows[idx[0]]["word"] = text
        parts = split_phonemes(sung_phonemes.get(w, []), len(idx))
        for i, part in zip(idx, parts, strict=True):
            rows[i]["phonemes"] = tuple(part)
    return [
        HandoffNote(r["note"].start_tick, r["note"].duration_ticks, r["note"].pitch, r["syllable"], r["word"], r.get("phonemes", ()))
        for r in rows
    ]


def _word_phonemes(words: list[list]) -> dict[int, list[str]]:
    """ARPAbet of each word (by index), from espeak-ng's dictionary in the worker process."""
    unique = sorted({text for text, _idx in words})
    found: dict[str, list[str]] = {}
    with SpeechWorker() as worker:
        for start in range(0, len(unique), 40):
            chunk = tuple(unique[start : start + 40])
            utt = worker.speak(" ".join(chunk), words=chunk)
            for text, names in zip(chunk, utt.word_phonemes, strict=True):
                found[text] = arpabet(names)
    return {w: found.get(text, []) for w, (text, _idx) in enumerate(words)}


def _scaled(ticks: int, resolution: int, target: int) -> int:
    return int(round(ticks * target / resolution))


def _yaml(value, indent: int = 0) -> list[str]:
    """Block YAML lines of dicts, lists, strings, numbers and booleans (strings double-quoted as JSON)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines += _yaml(item, indent + 2)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                sub = _yaml(item, indent + 2)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines += sub[1:]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _check(track: Track, score: Score) -> None:
    if not isinstance(score, Score) or not isinstance(track, Track):
        raise ParameterError.for_field("track, score", (type(track).__name__, type(score).__name__), "a Track and a Score")
    if track.role != "vocal" or not track.notes:
        raise ParameterError.for_field("track", track.name, "a vocal track with notes")


def ustx_text(track: Track, score: Score, *, line: list[HandoffNote] | None = None, name: str = "lemm vocal") -> str:
    """The vocal line as an OpenUtau project (YAML text); ``line`` defaults to :func:`vocal_line`."""
    _check(track, score)
    line = vocal_line(track) if line is None else line
    res = score.resolution
    notes = []
    for n in line:
        lyric = n.word if n.word is not None else "+"
        notes.append({
            "position": _scaled(n.start_tick, res, USTX_RESOLUTION),
            "duration": max(_scaled(n.duration_ticks, res, USTX_RESOLUTION), 1),
            "tone": int(n.pitch),
            "lyric": lyric,
            "pitch": {"data": [{"x": -25, "y": 0, "shape": "io"}, {"x": 25, "y": 0, "shape": "io"}], "snap_first": True},
            "vibrato": {"length": 0, "period": 175, "depth": 25, "in": 10, "out": 10, "shift": 0, "drift": 0},
            "phoneme_expressions": [],
            "phoneme_overrides": [],
        })
    first = score.tempos[0].tempo_bpm if score.tempos else 120.0
    meter = score.meters[0] if score.meters else None
    project = {
        "name": name,
        "comment": "written by lemm; lyrics: a word on its first note, + on its other syllables",
        "output_dir": "Vocal",
        "cache_dir": "UCache",
        "ustx_version": "0.6",
        "resolution": USTX_RESOLUTION,
        "bpm": float(first),
        "beat_per_bar": meter.numerator if meter else 4,
        "beat_unit": meter.denominator if meter else 4,
        "expressions": {},
        "exp_primary": 0,
        "exp_secondary": 1,
        "key": 0,
        "time_signatures": [_ustx_meter(m, score) for m in score.meters] or [{"bar_position": 0, "beat_per_bar": 4, "beat_unit": 4}],
        "tempos": [{"position": _scaled(t.tick, res, USTX_RESOLUTION), "bpm": float(t.tempo_bpm)} for t in score.tempos]
        or [{"position": 0, "bpm": 120.0}],
        "tracks": [{
            "track_name": track.name,
            "phonemizer": "OpenUtau.Plugin.Builtin.ArpasingPhonemizer",
            "renderer_settings": {},
            "mute": False,
            "solo": False,
            "volume": 0.0,
            "pan": 0.0,
        }],
        "voice_parts": [{"name": track.name, "comment": "", "track_no": 0, "position": 0, "notes": notes, "curves": []}],
        "wave_parts": [],
    }
    return "\n".join(_yaml(project)) + "\n"


def _ustx_meter(meter, score: Score) -> dict:
    return {"bar_position": int(bar_of_tick(score, meter.tick)), "beat_per_bar": meter.numerator, "beat_unit": meter.denominator}


def svp_text(track: Track, score: Score, *, line: list[HandoffNote] | None = None) -> str:
    """The vocal line as a Synthesizer V Studio project (JSON text); ``line`` defaults to :func:`vocal_line`."""
    _check(track, score)
    line = vocal_line(track) if line is None else line
    res = score.resolution
    blicks = BLICKS_PER_QUARTER // res if BLICKS_PER_QUARTER % res == 0 else BLICKS_PER_QUARTER / res
    notes = []
    for n in line:
        notes.append({
            "onset": int(round(n.start_tick * blicks)),
            "duration": int(round(n.duration_ticks * blicks)),
            "lyrics": n.syllable if n.syllable is not None else "-",
            "phonemes": " ".join(p.lower() for p in n.phonemes),
            "pitch": int(n.pitch),
            "detune": 0,
            "attributes": {},
        })
    group_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"lemm:{track.name}:main"))
    empty_curve = {"mode": "cubic", "points": []}
    curves = ("pitchDelta", "vibratoEnv", "loudness", "tension", "breathiness", "voicing", "gender", "toneShift")
    params = {k: dict(empty_curve) for k in curves}
    project = {
        "version": 153,
        "time": {
            "meter": [{"index": _bar_index(score, m.tick), "numerator": m.numerator, "denominator": m.denominator} for m in score.meters]
            or [{"index": 0, "numerator": 4, "denominator": 4}],
            "tempo": [{"position": int(round(t.tick * blicks)), "bpm": float(t.tempo_bpm)} for t in score.tempos]
            or [{"position": 0, "bpm": 120.0}],
        },
        "library": [],
        "tracks": [{
            "name": track.name,
            "dispColor": "ff7db235",
            "dispOrder": 0,
            "renderEnabled": True,
            "mixer": {"gainDecibel": 0.0, "pan": 0.0, "mute": False, "solo": False, "display": True},
            "mainGroup": {"name": "main", "uuid": group_id, "parameters": params, "vocalModes": {}, "notes": notes},
            "mainRef": {
                "groupID": group_id,
                "blickAbsoluteBegin": 0,
                "blickAbsoluteEnd": -1,
                "blickOffset": 0,
                "pitchOffset": 0,
                "isInstrumental": False,
                "systemPitchDelta": dict(empty_curve),
                "database": {"name": "", "language": "english", "phoneset": "arpabet"},
                "dictionary": "",
                "voice": {},
            },
            "groups": [],
        }],
        "renderConfig": {
            "destination": "./", "filename": track.name, "numChannels": 1, "aspirationFormat": "noAspiration",
            "bitDepth": 16, "sampleRate": 48000, "exportMixDown": True,
        },
    }
    return json.dumps(project, ensure_ascii=False, indent=1) + "\n"


def _bar_index(score: Score, tick: int) -> int:
    return int(bar_of_tick(score, tick))


def write_ustx(path: str | os.PathLike, track: Track, score: Score) -> Path:
    """Write :func:`ustx_text` atomically; returns the path."""
    return atomic_write_text(path, ustx_text(track, score))


def write_svp(path: str | os.PathLike, track: Track, score: Score) -> Path:
    """Write :func:`svp_text` atomically; returns the path."""
    return atomic_write_text(path, svp_text(track, score))
