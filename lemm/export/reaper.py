"""A REAPER project (``song.rpp``) for a song folder: stems on tracks, regions, the tempo map.

What the file holds
-------------------
- ``TEMPO bpm num den``: the tempo and meter at 0 s; ``<TEMPOENVEX>``: one
  square-shaped ``PT seconds bpm 1 [timesig]`` point per tempo or meter change
  (the meter packed as ``numerator + 65536 * denominator``, so 4/4 is 262148).
- One region per score section: two ``MARKER`` lines with the same index and
  the region flag 1, the first named as the section at its start, the second
  unnamed at its end (positions in seconds through the tempo map).
- Per stem, with printed files (:mod:`lemm.export.printed`, as a song folder
  has them): a ``<TRACK>`` named as the score's track playing
  ``printed/<name>.flac`` (a ``<SOURCE FLAC``; the stem as lemm's mixer processed it: EQ,
  compression, ducking, pan; ``VOLPAN`` undoes the file's headroom trim, pan
  centred), then ``"<name> (dry)"``, muted, playing ``stems/<name>.wav`` with the
  mix's fader gain and pan. Without printed files, the dry stem alone under the
  track's name. Each audio ``<ITEM>`` sits at 0 s; REAPER resolves relative
  media paths against the project file's folder, so the song folder can be moved.
- ``"reverb return"`` / ``"delay return"`` tracks play ``printed/returns/*.flac``
  (the shared effects as mixed). The unmuted tracks sum to ``mix.wav``.
- ``"<name> (MIDI)"`` (``midi_tracks=True``, the default), muted, after each
  track with notes: the notes as an in-project MIDI item (``<SOURCE MIDI`` /
  ``HASDATA 1 960 QN`` / ``E delta status d1 d2`` lines, 960 ticks per quarter
  note, ending with an all-notes-off). A ``FILE "score.mid"`` source would
  instead import every part of the type-1 file into one item, so the notes are
  written in the project. Put an instrument on it and unmute to play the part.

Not carried as REAPER devices: EQ, compression and sends are printed into the
audio instead (the dry stems are there to redo them), automation, lyrics.

Examples
--------
>>> from lemm.score.model import Score, Track, Section, Note
>>> from lemm.export.common import StemInfo
>>> s = Score(sections=(Section("verse", "verse", 0, 1920),),
...           tracks=(Track(name="piano", role="keys", preset="piano", pan=-0.5,
...                         notes=(Note(60, 0, 480),)),))
>>> text = rpp_text(s, stems=[StemInfo("piano", 96000)])
>>> [line.strip() for line in text.splitlines() if "MARKER" in line or "FILE" in line or "PT " in line]
['PT 0 120 1 262148', 'MARKER 1 0 "verse" 1', 'MARKER 1 2 "" 1', 'FILE "stems/piano.wav"']
>>> [line.strip() for line in text.splitlines() if line.strip().startswith("NAME")]
['NAME "piano"', 'NAME "piano"', 'NAME "piano (MIDI)"', 'NAME "piano"']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lemm.export.common import (
    DawTrack,
    PrintedFile,
    StemInfo,
    as_score,
    check_stems,
    fmt_num,
    project_tracks,
    read_stem_infos,
    stable_guid,
    tempo_points,
)
from lemm.io.atomic import atomic_write_text
from lemm.score.model import Score, Track
from lemm.score.timing import ticks_to_seconds

__all__ = ["REAPER_PPQ", "midi_event_lines", "rpp_quote", "rpp_text", "write_rpp"]

#: Ticks per quarter note of the in-project MIDI items.
REAPER_PPQ = 960


def rpp_quote(text: str) -> str:
    """Quote a string the way REAPER reads it: ``"..."``, else ``'...'``, else `` `...` ``.

    REAPER has no escapes; a string holding all three quote marks gets its
    backticks turned into apostrophes. Line breaks become spaces.

    Examples
    --------
    >>> rpp_quote('chorus 1'), rpp_quote('the "big" one'), rpp_quote('it\\'s "x"')
    ('"chorus 1"', '\\'the "big" one\\'', '`it\\'s "x"`')
    """
    s = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    for mark in ('"', "'", "`"):
        if mark not in s:
            return f"{mark}{s}{mark}"
    return "`" + s.replace("`", "'") + "`"


def _timesig_code(numerator: int, denominator: int) -> int:
    return numerator + 65536 * denominator


def _seconds(score: Score, tick: int) -> float:
    return float(ticks_to_seconds(score, tick))


def _tempo_lines(score: Score) -> list[str]:
    first_meter = score.meters[0]
    lines = [
        "  <TEMPOENVEX",
        "    ACT 1 -1",
        "    VIS 1 0 1",
        "    LANEHEIGHT 0 0",
        "    ARM 0",
        "    DEFSHAPE 1 -1 -1",
    ]
    for p in tempo_points(score):
        fields = [fmt_num(_seconds(score, p.tick)), fmt_num(p.tempo_bpm, 6), "1"]
        if p.meter is not None:
            fields.append(str(_timesig_code(*p.meter)))
        lines.append("    PT " + " ".join(fields))
    lines.append("  >")
    head = f"  TEMPO {fmt_num(score.tempos[0].tempo_bpm, 6)} {first_meter.numerator} {first_meter.denominator}"
    return [head] + lines


def _region_lines(score: Score) -> list[str]:
    lines = []
    for index, section in enumerate(score.sections, start=1):
        start = fmt_num(_seconds(score, section.start_tick))
        end = fmt_num(_seconds(score, section.end_tick))
        lines.append(f"  MARKER {index} {start} {rpp_quote(section.name)} 1")
        lines.append(f'  MARKER {index} {end} "" 1')
    return lines


def _item_head(key: str, name: str, length_seconds: float) -> list[str]:
    return [
        "    <ITEM",
        "      POSITION 0",
        "      SNAPOFFS 0",
        f"      LENGTH {fmt_num(length_seconds)}",
        "      LOOP 0",
        "      ALLTAKES 0",
        "      MUTE 0 0",
        "      SEL 0",
        f"      IGUID {stable_guid(key, 'item')}",
        f"      NAME {rpp_quote(name)}",
        "      VOLPAN 1 0 1 -1",
        "      SOFFS 0",
        "      PLAYRATE 1 1 0 -1 0 0.0025",
        "      CHANMODE 0",
        f"      GUID {stable_guid(key, 'take')}",
    ]


def _source_type(path: str) -> str:
    """REAPER's source type of a media file: it picks the decoder by this word, not by the file's contents."""
    return "FLAC" if path.lower().endswith(".flac") else "WAVE"


def _audio_track_lines(track: DawTrack) -> list[str]:
    key = f"{track.kind}:{track.name}"
    audio = track.audio
    return [
        f"  <TRACK {stable_guid(key, 'track')}",
        f"    NAME {rpp_quote(track.name)}",
        f"    VOLPAN {fmt_num(track.gain_linear)} {fmt_num(track.pan)} -1 -1 1",
        f"    MUTESOLO {int(track.mute)} 0 0",
        "    NCHAN 2",
        *_item_head(key, track.name, audio.duration_seconds),
        f"      <SOURCE {_source_type(audio.relative_path)}",
        f"        FILE {rpp_quote(audio.relative_path)}",
        "      >",
        "    >",
        "  >",
    ]


def midi_event_lines(track: Track, *, resolution: int, end_tick: int) -> list[str]:
    """The ``E delta status d1 d2`` lines of ``track``'s notes at :data:`REAPER_PPQ` ticks per quarter.

    Deltas are in REAPER ticks since the previous event; status and data bytes
    are hex. Drum tracks play on MIDI channel 10 (status nibble 9). The last
    line is an all-notes-off (CC 123) at ``end_tick``, which sets the source length.

    Examples
    --------
    >>> from lemm.score.model import Track, Note
    >>> t = Track(name="p", role="keys", preset="x", notes=(Note(60, 0, 480, velocity=100),))
    >>> midi_event_lines(t, resolution=480, end_tick=960)
    ['E 0 90 3c 64', 'E 960 80 3c 00', 'E 960 b0 7b 00']
    """
    channel = 9 if track.is_drum else 0

    def to_ppq(tick: int) -> int:
        return (tick * REAPER_PPQ + resolution // 2) // resolution

    events = []  # (ppq tick, order, pitch, status, velocity); note-offs sort before note-ons at one tick
    for n in track.notes:
        events.append((to_ppq(n.start_tick), 1, n.pitch, 0x90 | channel, n.velocity))
        events.append((to_ppq(n.end_tick), 0, n.pitch, 0x80 | channel, 0))
    events.sort()
    lines, last = [], 0
    for tick, _, pitch, status, velocity in events:
        lines.append(f"E {tick - last} {status:02x} {pitch:02x} {velocity:02x}")
        last = tick
    end = max(to_ppq(end_tick), last)
    lines.append(f"E {end - last} {0xB0 | channel:02x} 7b 00")
    return lines


def _midi_track_lines(score: Score, daw_track: DawTrack) -> list[str]:
    track = daw_track.notes
    key = "midi:" + track.name
    end_tick = max(score.end_tick, track.end_tick)
    return [
        f"  <TRACK {stable_guid(key, 'track')}",
        f"    NAME {rpp_quote(daw_track.name)}",
        "    VOLPAN 1 0 -1 -1 1",
        f"    MUTESOLO {int(daw_track.mute)} 0 0",
        *_item_head(key, track.name, _seconds(score, end_tick)),
        "      <SOURCE MIDI",
        f"        HASDATA 1 {REAPER_PPQ} QN",
        *("        " + line for line in midi_event_lines(track, resolution=score.resolution, end_tick=end_tick)),
        "      >",
        "    >",
        "  >",
    ]


def rpp_text(
    song_or_score: object,
    *,
    stems: Sequence[StemInfo],
    mix_settings: object | None = None,
    midi_tracks: bool = True,
    printed: Sequence[PrintedFile] = (),
) -> str:
    """The text of a REAPER project for a song folder (see the module docstring for what it holds).

    Parameters
    ----------
    song_or_score : Score or Song
        A Song gives its score (and its ``mix_settings`` when none are passed).
    stems : sequence of StemInfo
        The stems, one track each, in this order; names must be tracks of the score.
    mix_settings : lemm.mix.MixSettings or None
        Per-track fader gain, pan and mute; tracks it does not list use the
        score's ``gain_db`` / ``pan`` hints.
    midi_tracks : bool
        Add a muted ``"<name> (MIDI)"`` track with an in-project MIDI item
        after each stem track whose score track has notes.
    printed : sequence of PrintedFile
        The song folder's printed strips and returns (:func:`lemm.export.printed.write_printed`):
        each plays on a track named as the score track, the dry stem muted beside it.

    Returns
    -------
    str
        The project, LF line endings, ending in a newline.

    Raises
    ------
    ScoreError
        The score has no tracks, or a stem names no track of it.
    ParameterError
        Empty or repeated stems, or bad ``mix_settings``.
    """
    score = as_score(song_or_score)
    if mix_settings is None and not isinstance(song_or_score, Score):
        mix_settings = getattr(song_or_score, "mix_settings", None)
    check_stems(score, stems)
    tracks = project_tracks(score, stems, mix_settings, printed=printed, midi_tracks=midi_tracks)
    lines = [
        '<REAPER_PROJECT 0.1 "6.0/lemm" 0',
        "  RIPPLE 0",
        "  AUTOXFADE 1",
        f"  SAMPLERATE {stems[0].sample_rate} 0 0",
        *_tempo_lines(score),
        "  PLAYRATE 1 0 0.25 4",
        *_region_lines(score),
    ]
    for track in tracks:
        lines += _midi_track_lines(score, track) if track.kind == "midi" else _audio_track_lines(track)
    lines.append(">")
    return "\n".join(lines) + "\n"


def write_rpp(
    song_or_score: object,
    folder: str | os.PathLike,
    *,
    stem_names: Sequence[str],
    mix_settings: object | None = None,
    midi_tracks: bool = True,
    printed: Sequence[PrintedFile] = (),
    file_name: str = "song.rpp",
) -> Path:
    """Write ``folder/song.rpp`` (atomically) for the stems already in ``folder/stems/``.

    Reads each stem's length, sample rate and channels from its WAV header,
    then writes :func:`rpp_text`. Returns the path of the project file.

    Raises
    ------
    LemmFileNotFoundError
        A stem file is missing.
    ScoreError, ParameterError
        As :func:`rpp_text`.
    """
    stems = read_stem_infos(folder, stem_names)
    text = rpp_text(song_or_score, stems=stems, mix_settings=mix_settings, midi_tracks=midi_tracks, printed=printed)
    return atomic_write_text(Path(folder) / file_name, text)
