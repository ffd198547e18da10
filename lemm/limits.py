"""What input lemm accepts: every size that sets work or memory, and the text it lets through.

Each limit is a named constant here and nowhere else; each is checked where data enters lemm
(the brief and lyrics, a plan, a score built from song.json / MIDI / MusicXML, a guide, audio
files, render) *before* the work or the allocation it would size. A value over a limit is
refused with a :class:`~lemm.errors.LimitError` that names the field, the value and the limit::

    track 'lead' notes must be at most 50000 (MAX_NOTES_PER_TRACK), got 100000

Text a person gives lemm (prompt, lyrics, title, section, track and instrument names) reaches
XML (MusicXML, DAWproject), REAPER's ``.rpp`` and MIDI text events. Characters none of those
can hold are **refused, not stripped**, with the field, the character and its position:
C0 controls (``\\t``, ``\\n`` and ``\\r`` are allowed only in the multi-line prompt and
lyrics), DEL and C1 controls, lone surrogates (what undecodable command-line bytes become)
and the non-characters U+FFFE / U+FFFF. Importers of other programs' files (MIDI, MusicXML)
clean the names they read with :func:`clean_name` instead, since a user cannot fix them there.

Examples
--------
>>> check_text("section name", "chorus 2", max_chars=MAX_NAME_CHARS)
>>> check_text("section name", "chorus\\x07", max_chars=MAX_NAME_CHARS)
Traceback (most recent call last):
...
lemm.errors.ParameterError: section name must be text without control characters, got 'chorus\\x07' (U+0007 at position 6)
>>> check_count("guide MIDI notes", 100_000, MAX_GUIDE_NOTES, "MAX_GUIDE_NOTES")
Traceback (most recent call last):
...
lemm.errors.LimitError: guide MIDI notes must be at most 20000 (MAX_GUIDE_NOTES), got 100000
>>> clean_name("bass\\x00\\x00", fallback="track 1")
'bass'
"""

from __future__ import annotations

import operator
import os
import re
from pathlib import Path

from lemm.errors import LimitError, ParameterError

__all__ = [
    "MAX_AUDIO_BYTES",
    "MAX_AUDIO_CHANNELS",
    "MAX_AUDIO_SECONDS",
    "MAX_CHANGES",
    "MAX_CURVE_POINTS",
    "MAX_GUIDE_NOTES",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_JSON_INT_DIGITS",
    "MAX_LYRICS_CHARS",
    "MAX_LYRICS_FILE_BYTES",
    "MAX_MIDI_BYTES",
    "MAX_MUSICXML_BYTES",
    "MAX_MXL_UNCOMPRESSED_BYTES",
    "MAX_NAME_CHARS",
    "MAX_NOTES_PER_TRACK",
    "MAX_NOTE_BEATS",
    "MAX_PROMPT_CHARS",
    "MAX_RENDER_BYTES",
    "MAX_SECTIONS",
    "MAX_SONG_BARS",
    "MAX_SONG_SECONDS",
    "MAX_SYLLABLE_CHARS",
    "MAX_TAGS",
    "MAX_TAG_CHARS",
    "MAX_TITLE_CHARS",
    "MAX_TOTAL_NOTES",
    "MAX_TRACKS",
    "check_count",
    "check_file_size",
    "check_plan",
    "check_render_memory",
    "check_score",
    "check_text",
    "clean_name",
    "clean_text",
    "count_midi_note_ons",
]

# --- text ---------------------------------------------------------------------------------
#: Characters in a prompt (the planner reads words; a title is made of its first 60).
MAX_PROMPT_CHARS = 2_000
#: Genre/mood tags per brief, and characters per tag.
MAX_TAGS = 32
MAX_TAG_CHARS = 64
#: Characters of lyrics (a long song has ~3,000); one syllable per note is aligned from them.
MAX_LYRICS_CHARS = 20_000
#: Bytes of a lyrics file (UTF-8 takes up to 4 bytes a character).
MAX_LYRICS_FILE_BYTES = 4 * MAX_LYRICS_CHARS
#: Characters of a song title.
MAX_TITLE_CHARS = 200
#: Characters of a track, section or instrument name (a track name is also a stem's file name).
MAX_NAME_CHARS = 64
#: Characters of one sung syllable.
MAX_SYLLABLE_CHARS = 64

# --- score and plan -----------------------------------------------------------------------
#: Tracks in a score (or instruments in a plan).
MAX_TRACKS = 64
#: Notes in one track (a 10-minute drum part at 400 bpm in sixteenths has ~16,000 per voice).
MAX_NOTES_PER_TRACK = 50_000
#: Notes in a whole score.
MAX_TOTAL_NOTES = 200_000
#: Notes in a guide MIDI file (the analysis is per bar and per note).
MAX_GUIDE_NOTES = 20_000
#: Length of one note in quarter-note beats.
MAX_NOTE_BEATS = 4_096.0
#: Sections of a score or plan.
MAX_SECTIONS = 128
#: Tempo, meter or key changes, chord symbols, dynamic marks or hairpins, each.
MAX_CHANGES = 20_000
#: Breakpoints of one track's expression curves together.
MAX_CURVE_POINTS = 200_000
#: Length of a song (a plan's or a score's end, through its tempo map), seconds.
MAX_SONG_SECONDS = 1_200.0
#: Bars of a plan.
MAX_SONG_BARS = 2_048

# --- files ----------------------------------------------------------------------------------
#: Bytes of a JSON file (song.json, a plan, a preset).
MAX_JSON_BYTES = 256 * 2**20
#: Nesting of arrays and objects in JSON (lemm's own files nest 6 deep).
MAX_JSON_DEPTH = 64
#: Digits of an integer in JSON (int64 has 19).
MAX_JSON_INT_DIGITS = 24
#: Bytes of a MIDI file.
MAX_MIDI_BYTES = 16 * 2**20
#: Bytes of a MusicXML file, and of the uncompressed members of an ``.mxl`` (zip bombs).
MAX_MUSICXML_BYTES = 64 * 2**20
MAX_MXL_UNCOMPRESSED_BYTES = 64 * 2**20
#: Bytes, seconds and channels of an audio file lemm reads (guide, reference, takes, vocals).
MAX_AUDIO_BYTES = 2 * 2**30
MAX_AUDIO_SECONDS = 1_800.0
MAX_AUDIO_CHANNELS = 8

# --- memory ---------------------------------------------------------------------------------
#: Estimated bytes of the stems of one render (tracks x 2 channels x samples x 4 bytes).
MAX_RENDER_BYTES = 12 * 2**30


def check_count(field: str, value: float, limit: float, name: str) -> None:
    """Refuse ``value`` over ``limit`` with a :class:`LimitError` naming ``field`` and the constant ``name``."""
    if value > limit:
        shown = f"{value:.6g}" if isinstance(value, float) else str(value)
        raise LimitError(f"{field} must be at most {limit:g} ({name}), got {shown}")


# C0 controls, DEL, C1 controls, lone surrogates, U+FFFE/U+FFFF: what XML 1.0, RPP lines or MIDI text cannot hold.
_BAD_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BAD_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def check_text(field: str, value: object, *, max_chars: int, multiline: bool = False) -> None:
    """Refuse text that is not a string, is longer than ``max_chars`` or holds a character no output format can hold.

    ``multiline`` text (prompt, lyrics) may hold tab, line feed and carriage return; names may not.

    Raises
    ------
    ParameterError
        Not a string, or a forbidden character (named by code point and position).
    LimitError
        More than ``max_chars`` characters.
    """
    if not isinstance(value, str):
        raise ParameterError.for_field(field, value, "a string")
    if len(value) > max_chars:
        raise LimitError(f"{field} must be at most {max_chars} characters long, got {len(value)} characters")
    bad = (_BAD_MULTILINE if multiline else _BAD_LINE).search(value)
    if bad is not None:
        shown = value if len(value) <= 40 else value[max(0, bad.start() - 15): bad.start() + 15]
        raise ParameterError(f"{field} must be text without control characters, got {shown!r} "
                             f"(U+{ord(bad.group()):04X} at position {bad.start()})")


def clean_text(text: str | None, *, max_chars: int) -> str:
    """One line of text read from another program's file, made safe: tabs and line breaks become spaces, other
    control characters are dropped, cut to ``max_chars``. (Text a person types is refused instead: :func:`check_text`.)"""
    return _BAD_MULTILINE.sub("", (text or "").replace("\t", " ").replace("\n", " ").replace("\r", " "))[:max_chars]


def clean_name(text: str | None, *, fallback: str) -> str:
    """A track or part name read from another program's file: :func:`clean_text`, file-name characters
    replaced by ``-``, at most :data:`MAX_NAME_CHARS`; ``fallback`` if nothing is left."""
    name = "".join("-" if c in '/\\:*?"<>|' else c for c in clean_text(text, max_chars=4 * MAX_NAME_CHARS))
    return name[:MAX_NAME_CHARS].strip() or fallback


def check_file_size(path: str | os.PathLike, limit: int, name: str, *, what: str) -> int:
    """The size of ``path`` in bytes; a :class:`LimitError` if it is over ``limit`` (the constant ``name``)."""
    size = Path(path).stat().st_size
    if size > limit:
        raise LimitError(f"{what} {str(path)!r} must be at most {limit} bytes ({name}), got {size} bytes")
    return size


def count_midi_note_ons(data: bytes) -> int:
    """Note-ons (velocity > 0) in Standard MIDI File bytes, by a light scan of the track chunks (no message objects).

    Used to refuse a MIDI file with too many notes *before* it is parsed (parsing 100,000 notes takes seconds).
    The scan stops quietly at anything malformed: the real reader reports that.

    Examples
    --------
    >>> track = bytes([0, 0x90, 60, 80, 10, 62, 80, 10, 0x80, 60, 0, 0, 0x90, 62, 0, 0, 0xFF, 0x2F, 0])
    >>> count_midi_note_ons(b"MThd" + (6).to_bytes(4, "big") + bytes(6) + b"MTrk" + len(track).to_bytes(4, "big") + track)
    2
    """
    count, pos, n = 0, 0, len(data)
    while pos + 8 <= n:
        kind, length = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "big")
        start, end = pos + 8, min(n, pos + 8 + length)
        pos = start + length
        if kind != b"MTrk":
            continue
        i, running = start, 0
        while i < end:
            while i < end and data[i] & 0x80:  # delta time (variable length)
                i += 1
            i += 1
            if i >= end:
                break
            status = data[i]
            if status == 0xFF or status in (0xF0, 0xF7):  # meta (type, length, data) or sysex (length, data)
                i += 2 if status == 0xFF else 1
                size = 0
                while i < end:
                    size = (size << 7) | (data[i] & 0x7F)
                    i += 1
                    if not data[i - 1] & 0x80:
                        break
                i += size
                continue
            if status & 0x80:
                running, i = status, i + 1
            elif not running:
                break  # data byte with no status: malformed
            width = 1 if 0xC0 <= running < 0xE0 else 2
            if running & 0xF0 == 0x90 and i + 1 < end and data[i + 1] > 0:
                count += 1
            i += width
    return count


_START, _DURATION, _LYRIC = operator.attrgetter("start_tick"), operator.attrgetter("duration_ticks"), operator.attrgetter("lyric")


def _seconds_at(tick: int, tempos, resolution: int) -> float:
    """Seconds at ``tick`` through a tempo map (a tuple of TempoChange sorted by tick)."""
    seconds, last_tick, bpm = 0.0, 0, tempos[0].tempo_bpm
    for change in tempos[1:]:
        if change.tick >= tick:
            break
        seconds += (change.tick - last_tick) / resolution * 60.0 / bpm
        last_tick, bpm = change.tick, change.tempo_bpm
    return seconds + (tick - last_tick) / resolution * 60.0 / bpm


def check_score(score) -> None:
    """Check a :class:`~lemm.score.model.Score`'s text and every size limit (called by ``Score.__post_init__``).

    Raises
    ------
    LimitError, ParameterError
        The first text or size that is over a limit, naming the field.
    """
    check_text("title", score.title, max_chars=MAX_TITLE_CHARS)
    check_count("tracks", len(score.tracks), MAX_TRACKS, "MAX_TRACKS")
    check_count("sections", len(score.sections), MAX_SECTIONS, "MAX_SECTIONS")
    for field, items in (("tempos", score.tempos), ("meters", score.meters), ("keys", score.keys), ("chords", score.chords)):
        check_count(field, len(items), MAX_CHANGES, "MAX_CHANGES")
    for section in score.sections:
        check_text("section name", section.name, max_chars=MAX_NAME_CHARS)
    total, end_tick = 0, max((s.end_tick for s in score.sections), default=0)
    for track in score.tracks:
        check_text("track name", track.name, max_chars=MAX_NAME_CHARS)
        check_text(f"track {track.name!r} preset", track.preset, max_chars=MAX_NAME_CHARS)
        check_count(f"track {track.name!r} notes", len(track.notes), MAX_NOTES_PER_TRACK, "MAX_NOTES_PER_TRACK")
        check_count(f"track {track.name!r} dynamics and hairpins", len(track.dynamics) + len(track.hairpins), MAX_CHANGES, "MAX_CHANGES")
        check_count(f"track {track.name!r} curve points", sum(len(c.points) for c in track.expression), MAX_CURVE_POINTS, "MAX_CURVE_POINTS")
        total += len(track.notes)
        check_count("notes in the score", total, MAX_TOTAL_NOTES, "MAX_TOTAL_NOTES")
        if track.notes:
            starts = list(map(_START, track.notes))
            durations = list(map(_DURATION, track.notes))
            check_count(f"track {track.name!r} note length in beats", max(durations) / score.resolution, MAX_NOTE_BEATS, "MAX_NOTE_BEATS")
            end_tick = max(end_tick, max(map(operator.add, starts, durations)))
            for note in filter(_LYRIC, track.notes):
                if note.lyric.text:
                    check_text(f"track {track.name!r} lyric at tick {note.start_tick}", note.lyric.text, max_chars=MAX_SYLLABLE_CHARS)
    ends = [end_tick] + [c.end_tick for c in score.chords[-1:]] + [c.tick for c in (*score.tempos, *score.meters, *score.keys)][-1:]
    last = max(ends)
    seconds = _seconds_at(last, score.tempos, score.resolution)
    check_count("song length in seconds (the score's end through its tempo map)", round(seconds, 1), MAX_SONG_SECONDS, "MAX_SONG_SECONDS")


def check_plan(plan) -> None:
    """Check a :class:`~lemm.compose.plan_model.Plan`'s text and size limits (called by ``Plan.__post_init__``).

    Refuses, before any composing, e.g. a plan of 60 sections x 256 bars at 20 bpm (51 hours).
    """
    check_count("plan sections", len(plan.sections), MAX_SECTIONS, "MAX_SECTIONS")
    for section in plan.sections:
        check_text("plan section name", section.name, max_chars=MAX_NAME_CHARS)
    check_count("plan bars", plan.total_bars, MAX_SONG_BARS, "MAX_SONG_BARS")
    check_count("plan length in seconds", round(plan.duration_seconds + plan.start_offset_seconds, 1), MAX_SONG_SECONDS, "MAX_SONG_SECONDS")
    check_count("plan instruments", len(plan.instruments), MAX_TRACKS, "MAX_TRACKS")
    for inst in plan.instruments:
        check_text("instrument name", inst.name, max_chars=MAX_NAME_CHARS)
        check_text(f"instrument {inst.name!r} preset", inst.preset, max_chars=MAX_NAME_CHARS)
    check_count("plan melody notes", len(plan.melody), MAX_NOTES_PER_TRACK, "MAX_NOTES_PER_TRACK")
    if plan.melody:
        check_count("plan melody note length in beats", max(n.duration_beats for n in plan.melody), MAX_NOTE_BEATS, "MAX_NOTE_BEATS")


def check_brief(brief) -> None:
    """Check a :class:`~lemm.compose.brief.Brief`'s text (called by ``Brief.__post_init__``)."""
    check_text("prompt", brief.prompt, max_chars=MAX_PROMPT_CHARS, multiline=True)
    check_count("tags", len(brief.tags), MAX_TAGS, "MAX_TAGS")
    for tag in brief.tags:
        check_text("tag", tag, max_chars=MAX_TAG_CHARS)
    if brief.lyrics is not None:
        check_text("lyrics", brief.lyrics, max_chars=MAX_LYRICS_CHARS, multiline=True)


def check_render_memory(*, n_tracks: int, duration_seconds: float, sample_rate: int) -> int:
    """Estimated bytes of a render's stems (float32 stereo per track); a :class:`LimitError` over :data:`MAX_RENDER_BYTES`.

    Called before the stems are allocated, so that an input that slipped past the score's limits
    (e.g. a very high sample rate) is refused with a message instead of a MemoryError.
    """
    estimate = int(max(1, n_tracks) * 2 * duration_seconds * sample_rate * 4)
    if estimate > MAX_RENDER_BYTES:
        raise LimitError(f"render memory (estimated for {n_tracks} tracks x {duration_seconds:.0f} s at {sample_rate} Hz) "
                         f"must be at most {MAX_RENDER_BYTES / 2**30:g} GiB (MAX_RENDER_BYTES), got {estimate / 2**30:.1f} GiB")
    return estimate
