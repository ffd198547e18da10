"""``lemm vocals ...``: cleanup and formant-preserving shifts of recorded vocals from the command line,
and a sung take brought into a song folder (:func:`import_take`).

It sits above :mod:`lemm.vocals` (the singer and the audio tools) and :mod:`lemm.song`
(the song folders), so neither of those imports the other.

::

    lemm vocals clean IN.wav -o OUT.wav [--key "A minor" | --melody score.mid:TRACK]
                      [--retune-ms 20] [--humanize] [--timing grid|melody] [--bpm 120]
                      [--grid 16] [--denoise]
    lemm vocals shift IN.wav -o OUT.wav --semitones N [--no-formants]
    lemm vocals stretch IN.wav -o OUT.wav --rate R
    lemm vocals export DIR [--track NAME] [--format ustx,svp] [-o STEM]
    lemm vocals import DIR TAKE.wav [--offset-seconds S] [--track NAME]

The lead's ``lemm/cli.py`` wires these in with
``add_vocals_subcommands(sub)``; each command sets ``func`` to a handler
taking the parsed namespace and returning an exit status. Errors are
:class:`lemm.errors.LemmError` (the main command prints them on one line).

``--melody FILE.mid:TRACK`` reads the notes of the track named TRACK (or the
first track whose name starts with "vocal", when TRACK is left out) with
the MIDI file's tempo map; ``--timing grid`` snaps onsets to a grid of
``--grid`` divisions per whole note at ``--bpm`` (the MIDI file's first
tempo when a melody is given).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="lemm")
>>> _ = add_vocals_subcommands(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["vocals", "clean", "in.wav", "-o", "out.wav", "--key", "A minor", "--humanize"])
>>> args.key, args.humanize, args.retune_ms
('A minor', True, 20.0)
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from lemm.errors import ParameterError
from lemm.io.atomic import atomic_write_text
from lemm.io.audio import check_audio_output, read_audio, write_audio
from lemm.progress import log_progress
from lemm.project.commit import locks_song_folder
from lemm.project.staging import write_song_files
from lemm.score.midi import read_midi
from lemm.score.timing import ticks_to_seconds
from lemm.song import load
from lemm.vocals.clean import clean_vocal
from lemm.vocals.handoff import svp_text, ustx_text, vocal_line
from lemm.vocals.phrases import monophonic_notes
from lemm.vocals.take_import import active_rms, align_offset, place_take
from lemm.vocals.transform import shift_pitch, stretch_time

__all__ = ["add_vocals_subcommands", "read_melody", "import_take", "ImportResult"]


def read_melody(spec: str) -> tuple[list[tuple[int, float, float]], float]:
    """``"score.mid:TRACK"`` -> (notes as (pitch, start_seconds, end_seconds), first tempo in bpm)."""
    path, name = spec, ""
    if ":" in spec:
        head, tail = spec.rsplit(":", 1)
        if head.lower().endswith((".mid", ".midi")):
            path, name = head, tail
    score = read_midi(path)
    tracks = [t for t in score.tracks if t.name == name] if name else [t for t in score.tracks if t.name.lower().startswith("vocal")]
    if not tracks:
        names = ", ".join(t.name for t in score.tracks) or "none"
        raise ParameterError.for_field("--melody track", name or "(a track named vocal...)", f"one of the file's tracks ({names})")
    notes = monophonic_notes(tracks[0].notes)
    if not notes:
        raise ParameterError.for_field("--melody track", tracks[0].name, "a track with notes")
    starts = ticks_to_seconds(score, np.array([n.start_tick for n in notes], dtype=np.float64))
    ends = ticks_to_seconds(score, np.array([n.end_tick for n in notes], dtype=np.float64))
    return [(n.pitch, float(s), float(e)) for n, s, e in zip(notes, starts, ends, strict=True)], float(score.tempos[0].tempo_bpm)


def _write(path: str, audio: np.ndarray, sample_rate: int) -> None:
    write_audio(path, audio, sample_rate=sample_rate)
    log_progress(f"wrote {Path(path)}")


def _cmd_clean(args: argparse.Namespace) -> int:
    check_audio_output(args.output)  # before any work
    if args.key is not None and args.melody is not None:
        raise ParameterError.for_field("--key/--melody", (args.key, args.melody), "one of them, not both")
    if args.key is None and args.melody is None and args.timing is None and not args.denoise:
        raise ParameterError.for_field("options", "none", "at least one of --key, --melody, --timing, --denoise (without them the take would come out unchanged)")
    if not (math.isfinite(args.bpm) and 20.0 <= args.bpm <= 400.0):
        raise ParameterError.for_field("--bpm", args.bpm, "a tempo in 20..400")
    if not 1 <= args.grid <= 64:
        raise ParameterError.for_field("--grid", args.grid, "divisions per whole note in 1..64 (16 = sixteenth notes)")
    melody, bpm = (None, args.bpm)
    if args.melody is not None:
        melody, file_bpm = read_melody(args.melody)
        bpm = args.bpm if args.bpm_given else file_bpm
    audio, sample_rate = read_audio(args.input)
    grid_seconds = 240.0 / bpm / args.grid if args.timing == "grid" else None
    result = clean_vocal(
        audio,
        sample_rate,
        key=args.key,
        melody=melody,
        retune_ms=args.retune_ms,
        humanize=args.humanize,
        timing=args.timing,
        grid_seconds=grid_seconds,
        denoise=args.denoise,
    )
    _write(args.output, result.audio, sample_rate)
    return 0


def _cmd_shift(args: argparse.Namespace) -> int:
    check_audio_output(args.output)  # before any work
    audio, sample_rate = read_audio(args.input)
    _write(args.output, shift_pitch(audio, sample_rate, semitones=args.semitones, preserve_formants=not args.no_formants), sample_rate)
    return 0


def _cmd_stretch(args: argparse.Namespace) -> int:
    check_audio_output(args.output)  # before any work
    audio, sample_rate = read_audio(args.input)
    _write(args.output, stretch_time(audio, sample_rate, rate=args.rate), sample_rate)
    return 0


def _vocal_track(score, name: str | None):
    vocals = [t for t in score.tracks if t.role == "vocal"]
    if name is not None:
        vocals = [t for t in vocals if t.name == name]
    elif len(vocals) > 1 and any(t.name == "vocal" for t in vocals):  # the lead, not its backing vocals
        vocals = [t for t in vocals if t.name == "vocal"]
    if len(vocals) != 1:
        names = ", ".join(t.name for t in score.tracks if t.role == "vocal") or "none"
        raise ParameterError.for_field("--track", name, f"the vocal track to export, one of: {names}")
    return vocals[0]


def _cmd_export(args: argparse.Namespace) -> int:
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("ustx", "svp")]
    if bad or not formats:
        raise ParameterError.for_field("--format", args.format, "ustx, svp or both (comma-separated)")
    song = load(args.folder)
    track = _vocal_track(song.score, args.track)
    line = vocal_line(track)
    stem = Path(args.output) if args.output else Path(args.folder) / track.name
    for fmt in formats:
        text = ustx_text(track, song.score, line=line) if fmt == "ustx" else svp_text(track, song.score, line=line)
        path = atomic_write_text(stem.with_name(stem.name + "." + fmt), text)
        print(f"lemm: wrote {path} ({len(line)} notes)")
    return 0


@locks_song_folder("folder")  # one writer at a time: the import reads the song and writes it back
def _cmd_import(args: argparse.Namespace) -> int:
    result = import_take(args.folder, args.take, offset_seconds=args.offset_seconds, track=args.track)
    print(
        f"lemm: {args.take} is now the {result.track!r} stem of {args.folder}: placed at {result.offset_seconds:+.4f} s "
        f"({result.offset_samples:+d} samples, {result.aligned_by}), level {result.gain_db:+.1f} dB; mixed and mastered again.\n"
        f"lemm: later renders keep this take; delete {Path(args.folder) / 'takes' / (result.track + '.wav')} to have lemm sing it again"
    )
    return 0


@dataclass(frozen=True)
class ImportResult:
    """What ``import_take`` did: the vocal track, the offset (samples and seconds), whether it was found, the gain."""

    track: str
    offset_samples: int
    offset_seconds: float
    aligned_by: str
    gain_db: float


def import_take(
    folder: str | os.PathLike, take_path: str | os.PathLike, *, offset_seconds: float | None = None, track: str | None = None
) -> ImportResult:
    """Replace a song folder's vocal stem with a sung take, and mix and master the song again.

    Parameters
    ----------
    folder : path
        A song folder (``lemm compose`` output).
    take_path : path
        The take (WAV/FLAC, any rate, mono or stereo).
    offset_seconds : float or None
        Where the take's first sample goes on the song's time line; None finds it (module notes).
    track : str or None
        The vocal track to replace; None: the song's only vocal track.

    Returns
    -------
    ImportResult

    Raises
    ------
    ParameterError
        No (or more than one) vocal track, or a silent take or stem.
    """
    folder = Path(folder)
    song = load(folder)
    vocals = [t.name for t in song.score.tracks if t.role == "vocal"]
    if track is None:
        if len(vocals) > 1 and "vocal" in vocals:  # the lead, not its backing vocals
            vocals = ["vocal"]
        if len(vocals) != 1:
            names = ", ".join(vocals) or "none (the song has no vocal)"
            raise ParameterError.for_field("track", None, f"the vocal track to replace, one of: {names}")
        track = vocals[0]
    elif track not in vocals:
        raise ParameterError.for_field("track", track, f"one of the song's vocal tracks: {', '.join(vocals) or 'none'}")
    report_path = folder / "report.json"
    trims = json.loads(report_path.read_text(encoding="utf-8")).get("stem_trim_db", {}) if report_path.exists() else {}
    stems = {}
    for t in song.score.tracks:
        audio, rate = read_audio(folder / "stems" / f"{t.name}.wav")
        if rate != song.sample_rate:
            raise ParameterError.for_field(f"stems/{t.name}.wav sample rate", rate, f"the song's rate {song.sample_rate}")
        stems[t.name] = audio * np.float32(10.0 ** (-float(trims.get(t.name, 0.0)) / 20.0))
    n_samples = stems[track].shape[1]
    take, take_rate = read_audio(take_path)
    if take_rate != song.sample_rate:
        g = np.gcd(int(take_rate), int(song.sample_rate))
        take = resample_poly(take.astype(np.float64), song.sample_rate // g, take_rate // g, axis=1).astype(np.float32)
    if offset_seconds is None:
        offset = align_offset(take, stems[track], sample_rate=song.sample_rate)
        how = "cross-correlation with the song's vocal"
    else:
        if isinstance(offset_seconds, bool) or not isinstance(offset_seconds, (int, float)) or not np.isfinite(offset_seconds):
            raise ParameterError.for_field("offset_seconds", offset_seconds, "a number of seconds (may be negative)")
        offset = int(round(offset_seconds * song.sample_rate))
        how = "stated offset"
    placed = place_take(take, offset_samples=offset, n_samples=n_samples)
    own_rms, take_rms = active_rms(stems[track], placed)
    if take_rms <= 0.0:
        raise ParameterError.for_field("take", str(take_path), "a take with sound inside the song's length")
    gain = own_rms / take_rms if own_rms > 0 else 1.0
    stems[track] = placed * np.float32(gain)
    song.stems = stems
    song.mix()
    write_song_files(song, folder, action="vocals import", takes={track: stems[track]})
    return ImportResult(track, offset, offset / song.sample_rate, how, float(20.0 * np.log10(gain)))


class _BpmAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ARG002  (argparse.Action's signature)
        setattr(namespace, self.dest, values)
        namespace.bpm_given = True


def add_vocals_subcommands(subparsers) -> argparse.ArgumentParser:
    """Add ``vocals clean|shift|stretch`` to an argparse subparsers object; returns the ``vocals`` parser."""
    vocals = subparsers.add_parser(
        "vocals", help="clean up, retune, retime or shift recorded vocals; export the vocal line to singing editors and import a sung take"
    )
    sub = vocals.add_subparsers(dest="vocals_command", required=True, metavar="clean|shift|stretch|export|import", help="what to do")

    p = sub.add_parser("clean", help="pitch/timing correction and noise reduction of a vocal take")
    p.add_argument("input", help="the take (WAV/FLAC; mono or stereo, 8..192 kHz)")
    p.add_argument("-o", "--output", required=True, help="where to write the cleaned take")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--key", default=None, help='correct pitch to this key\'s scale, e.g. "A minor", "Eb major"')
    group.add_argument("--melody", default=None, help="correct pitch (and --timing melody) to a MIDI track: FILE.mid:TRACK")
    p.add_argument("--retune-ms", dest="retune_ms", type=float, default=20.0, help="retune speed in ms, 0..1000 (default 20)")
    p.add_argument("--humanize", action="store_true", help="keep vibrato and scoops: move whole notes")
    p.add_argument("--timing", choices=["grid", "melody"], default=None, help="move note onsets to a grid or to the melody")
    p.add_argument("--bpm", type=float, default=120.0, action=_BpmAction, help="tempo of the grid (default: the melody's, else 120)")
    p.add_argument("--grid", type=int, default=16, help="grid divisions per whole note (default 16: sixteenth notes)")
    p.add_argument("--denoise", action="store_true", help="reduce stationary noise (profile from quiet stretches)")
    p.set_defaults(func=_cmd_clean, bpm_given=False)

    p = sub.add_parser("shift", help="shift pitch by semitones, keeping the formants")
    p.add_argument("input", help="the take (WAV/FLAC)")
    p.add_argument("-o", "--output", required=True, help="where to write the shifted take")
    p.add_argument("--semitones", type=float, required=True, help="-24..24")
    p.add_argument("--no-formants", dest="no_formants", action="store_true", help="move the formants with the pitch (like resampling)")
    p.set_defaults(func=_cmd_shift)

    p = sub.add_parser("stretch", help="change the speed, keeping pitch and formants")
    p.add_argument("input", help="the take (WAV/FLAC)")
    p.add_argument("-o", "--output", required=True, help="where to write the stretched take")
    p.add_argument("--rate", type=float, required=True, help="speed factor 0.25..4 (2 = twice as fast)")
    p.set_defaults(func=_cmd_stretch)

    p = sub.add_parser("export", help="write the vocal line (notes, lyrics, phonemes, tempo) for OpenUtau (.ustx) and Synthesizer V (.svp)")
    p.add_argument("folder", help="the song folder")
    p.add_argument("--track", default=None, help="the vocal track (default: the song's only one)")
    p.add_argument("--format", default="ustx,svp", help="ustx, svp or both (default ustx,svp)")
    p.add_argument("-o", "--output", default=None, help="path without extension (default: DIR/<track>)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("import", help="make a sung take the song's vocal stem (aligned, levelled, mixed like lemm's own)")
    p.add_argument("folder", help="the song folder")
    p.add_argument("take", help="the sung take (WAV/FLAC)")
    p.add_argument("--offset-seconds", dest="offset_seconds", type=float, default=None,
                   help="where the take's first sample goes on the song's time line (default: found by cross-correlation)")
    p.add_argument("--track", default=None, help="the vocal track to replace (default: the song's only one)")
    p.set_defaults(func=_cmd_import)
    return vocals
