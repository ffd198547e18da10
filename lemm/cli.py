"""The ``lemm`` command.

::

    lemm compose "PROMPT" [--tags pop,upbeat] [--lyrics FILE] [--duration 3:30] [--seed N] --out DIR [--force]
                 [--guide FILE [--keep-chords] [--keep-melody]] [--plan FILE] [--chords "Am F C G"]
    lemm analyze FILE    tempo, meter, key, beats, downbeats, sections, energy of a guide (JSON)
    lemm render DIR      re-render stems, mix and master from DIR/song.json after edits
    lemm regen DIR --track T --section S [--seed N]
                         rewrite one track in one section; every other note stays as it is
    lemm edit DIR "make the drums heavier in the second chorus" [--dry-run] [--yes]
                         an instruction from a small documented grammar (docs/instructions.md)
    lemm mix DIR [--target streaming|apple|loud|broadcast|-14] [--reference FILE]
    lemm master IN.wav -o OUT.wav [--target ...] [--reference FILE] [--bit-depth 16|24]
    lemm import DIR FILE bring edits of score.musicxml / score.mid back; re-render what changed
    lemm diff DIR A B    what changed between versions A and B ("chorus 2 drums: 34 notes changed")
    lemm vocals clean IN.wav -o OUT.wav [--key K | --melody F.mid:TRACK] [--retune-ms 20] [--humanize]
                         [--timing grid|melody] [--denoise];  lemm vocals shift IN -o OUT --semitones N
    lemm timbre fit NOTE.wav [NOTE.wav ...] --name NAME [-o PRESET.json] [--song DIR [--track T ...]] [--split]
                         fit an instrument preset to recorded notes; keep it in a file and/or a song
    lemm timbre add DIR PRESET.json [--track T ...]
                         put a preset file into a song (and play tracks with it), then re-render
    lemm history DIR     the saved versions of song.json
    lemm checkout DIR N  make version N current again (as a new version) and re-render
    lemm info DIR        summary: plan, tracks, loudness
    lemm export DIR -o FILE.dawproject
                         a self-contained DAWproject (audio inside) of the song folder, to send as one file
    lemm licenses [--json] [--extra test]   audit the dependency closure's licenses; non-zero exit if any is not cleared
    lemm history DIR [--json] / lemm diff DIR [A [B]] [--json]

Global options (before the command): ``--version``, ``--debug`` (tracebacks), ``-q/--quiet``, ``-v``.
Errors print one line (``lemm: error: ...``) and exit non-zero (2 for bad input); never a traceback
unless ``--debug``. Progress goes to the ``lemm`` logger (stderr; a bar on a terminal).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import lemm
from lemm.bridge.cli import register as register_bridge_commands
from lemm.cli_vocals import add_vocals_subcommands
from lemm.compose.brief import read_lyrics_file
from lemm.compose.guide import analyze_guide
from lemm.compose.profiles import genre_for_word, list_genres
from lemm.compose.regen import regenerate
from lemm.dataset.cli import register as register_dataset_commands
from lemm.errors import LemmError, ParameterError
from lemm.export import pack_dawproject
from lemm.instruct.cli import add_edit_subcommand
from lemm.io.atomic import check_output_file
from lemm.io.audio import read_audio
from lemm.io.jsondata import json_safe, read_json_file
from lemm.licenses import check_licenses, format_license_table
from lemm.mix.cli import add_mix_subcommands
from lemm.mix.reference import match_reference
from lemm.mix.targets import resolve_target, settings_for_target
from lemm.progress import cli_logging, log_progress
from lemm.project.commit import check_song_output, locks_song_folder
from lemm.project.folder import CACHE_FOLDER
from lemm.project.history import list_versions
from lemm.render import fit_preset
from lemm.render.analysis import estimate_f0
from lemm.render.presets import read_preset, save_preset
from lemm.render.segment import split_take
from lemm.render.song_presets import check_song_preset_name
from lemm.score.merge import describe_changes, import_notation_report
from lemm.score.timing import ticks_to_seconds
from lemm.seeding import check_seed, derive_seed
from lemm.song import load, read_song_version, rerender_song_folder

if TYPE_CHECKING:
    from lemm.song import Song

__all__ = ["build_parser", "main"]


def _progress(message: str) -> None:
    log_progress(message)


def _int_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _cmd_compose(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_song_output(out, force=args.force)  # before any work: a folder lemm may write the song into
    lyrics = None
    if args.lyrics is not None:
        lyrics = read_lyrics_file(args.lyrics)
    tags = tuple(t.strip() for t in args.tags.split(",") if t.strip()) if args.tags else ()
    start = time.perf_counter()
    if args.plan is not None and args.guide is not None:
        raise ParameterError.for_field("--guide", args.guide, "no --guide together with --plan (the plan already fixes the time line)")
    song = lemm.compose(
        args.prompt, tags=tags, lyrics=lyrics, duration=args.duration, seed=args.seed, plan=args.plan,
        guide=args.guide, keep_chords=args.keep_chords, keep_melody=args.keep_melody, chords=args.chords,
        progress=_progress,
    )
    _progress(_plan_summary(song.plan, tags if args.plan is None else ()))  # a plan file was followed, not the tags
    song.save(out, force=args.force, progress=_progress)
    report = song.report()
    _progress(
        f"wrote {out}: {report['duration_seconds']:.1f} s, {report['integrated_lufs']:.1f} LUFS, "
        f"{report['true_peak_dbtp']:.1f} dBTP in {time.perf_counter() - start:.1f} s"
    )
    return 0


def _plan_summary(plan, tags: tuple[str, ...]) -> str:
    """One line: what the plan is, what the prompt and tags were read as, and the tags nothing was made of."""
    import re

    read = {w for u in plan.understood for w in re.findall(r"[\w'-]+", u.words.lower())}
    unread = [t for t in tags if not read & set(re.findall(r"[\w'-]+", t.lower()))]  # no word of the tag was read
    line = (f"plan: {plan.genre}, {plan.tempo_bpm:g} bpm, {plan.key_tonic} {plan.key_mode}, "
            f"{plan.meter_numerator}/{plan.meter_denominator}; read as: "
            + ("; ".join(f"{u.words or '-'} = {u.meaning}" for u in plan.understood) or "nothing"))
    other_genres = [t for t in unread if genre_for_word(t) is not None]
    unknown = [t for t in unread if t not in other_genres]
    if other_genres:
        line += f"\nlemm: tags ignored: {', '.join(other_genres)} (one genre per song: the first genre tag, {plan.genre}, wins)"
    if unknown:
        line += f"\nlemm: tags not understood (ignored): {', '.join(unknown)}; genres: {', '.join(list_genres())}"
    return line


def _rerender(song: Song, folder: str, *, action: str) -> None:
    rerender_song_folder(song, folder, action=action, progress=_progress)


@locks_song_folder("dir")
def _cmd_mix(args: argparse.Namespace) -> int:
    if args.target is not None:
        resolve_target(args.target)  # every option is checked before any work
    song = load(args.dir)
    reference = read_audio(args.reference) if args.reference else None
    if reference is not None or song.mix_settings is None:
        # matching measures the mix as it is now (and a song never mixed gets its automatic settings): render
        # (from the cache) and mix it first
        song.render(cache_dir=Path(args.dir) / CACHE_FOLDER, progress=_progress)
        song.mix(progress=_progress, cache_dir=Path(args.dir) / CACHE_FOLDER)  # the strips the re-render below reuses
    settings = song.mix_settings
    if args.target is not None:
        settings = settings_for_target(settings, args.target)
    if reference is not None:
        settings = match_reference(settings, song.mix_audio, reference[0], sample_rate=song.sample_rate,
                                   reference_sample_rate=reference[1])
    song.mix_settings = settings
    # one render (every slice from the cache) and one mix with the new settings, then the files
    _rerender(song, args.dir, action="mix" + (f" --target {args.target}" if args.target else "") + (" --reference" if reference is not None else ""))
    print(json.dumps(json_safe(song.report()), indent=1))
    return 0


@locks_song_folder("dir")
def _cmd_import(args: argparse.Namespace) -> int:
    song = load(args.dir)
    result = import_notation_report(song.score, args.file, allow_deletions=args.yes)
    for line in result.kept:
        print(f"kept from the song: {line}")
    for line in result.unmatched:
        print(f"matching: {line}")
    changes = describe_changes(song.score, result.score)
    if not changes:
        print(f"{args.file}: no changes")
        return 0
    for line in changes:
        print(line)
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    _rerender(song.with_score(result.score), args.dir, action=f"import {Path(args.file).name}")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    versions = [v.version for v in list_versions(args.dir)]
    va, vb = args.a, args.b
    if vb is None:
        vb = versions[-1] if versions else None
    if va is None:
        older = [v for v in versions if vb is not None and v < vb]
        if not older:
            raise ParameterError(f"{args.dir}: no version before {vb} to compare with (saved: {', '.join(map(str, versions)) or 'none'}); "
                                 "name two versions, e.g. lemm diff DIR 1 3")
        va = older[-1]
    a, b = (read_song_version(args.dir, v).score for v in (va, vb))
    lines = describe_changes(a, b)
    if args.json:
        print(json.dumps({"a": va, "b": vb, "changes": lines}, indent=1))
        return 0
    print(f"version {va} -> {vb}:")
    print("\n".join(lines) if lines else f"versions {va} and {vb} have the same score")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    print(json.dumps(json_safe(analyze_guide(args.file).to_dict()), indent=1))
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    versions = list_versions(args.dir)
    if args.json:
        print(json.dumps([{"version": v.version, "action": v.action} for v in versions], indent=1))
        return 0
    if not versions:
        print(f"{args.dir}: no saved versions")
    for v in versions:
        print(f"{v.version:4d}  {v.action}")
    return 0


@locks_song_folder("dir")
def _cmd_checkout(args: argparse.Namespace) -> int:
    song = read_song_version(args.dir, args.version)
    _rerender(song, args.dir, action=f"checkout {args.version}")
    _progress(f"{args.dir} is now at the content of version {args.version}")
    return 0


@locks_song_folder("dir")
def _cmd_render(args: argparse.Namespace) -> int:
    song = load(args.dir)
    _rerender(song, args.dir, action="render")
    report = song.report()
    _progress(f"re-rendered {args.dir}: {report['integrated_lufs']:.1f} LUFS, {report['true_peak_dbtp']:.1f} dBTP")
    return 0


@locks_song_folder("dir")
def _cmd_regen(args: argparse.Namespace) -> int:
    song = load(args.dir)
    seed = derive_seed(song.seed, "regen", args.track, args.section) if args.seed is None else check_seed(args.seed)
    score = regenerate(song.score, song.plan, track=args.track, section=args.section, seed=seed, lyrics=song.brief.lyrics)
    song = song.with_score(score)
    _rerender(song, args.dir, action=f"regen {args.track} in {args.section} (seed {seed})")
    _progress(f"regenerated {args.track!r} in {args.section!r} with seed {seed}; wrote {args.dir}")
    return 0


def _use_song_preset(preset, folder: str, tracks: list[str], *, action: str) -> None:
    """Keep ``preset`` in the song at ``folder``, switch ``tracks`` to it and re-render."""
    song = load(folder).with_preset(preset, tracks=tuple(tracks))
    _rerender(song, folder, action=action)
    played = f"; {', '.join(tracks)} play{'s' if len(tracks) == 1 else ''} it" if tracks else ""
    _progress(f"{folder} keeps the preset {preset.name!r}{played}")


@locks_song_folder("song")
def _cmd_timbre_fit(args: argparse.Namespace) -> int:
    import numpy as np

    check_song_preset_name(args.name)
    if args.output is not None:
        check_output_file(args.output, what="-o preset file")  # before any work
    if args.output is None and args.song is None:
        raise ParameterError.for_field("output", "neither -o nor --song", "-o PRESET.json, --song DIR, or both")
    if args.track and args.song is None:
        raise ParameterError.for_field("--track", args.track, "used together with --song DIR")
    notes, f0s, rates, left_out = [], [], set(), []
    for path in args.notes:
        audio, sample_rate = read_audio(path)
        rates.add(sample_rate)
        if not args.split:
            notes.append(np.asarray(audio, dtype=np.float64).mean(0))
            f0s.append(None)
            continue
        for piece in split_take(audio, sample_rate=sample_rate):
            if piece.midi_pitch is not None:  # found by its pitch step: the note before may ring into it, so use that pitch
                notes.append(piece.audio)
                f0s.append(piece.f0_hz)
                continue
            try:  # a piece of a take with no clear pitch (a slip, a cough) is left out, not fatal
                estimate_f0(piece.audio, sample_rate=sample_rate)
                notes.append(piece.audio)
                f0s.append(None)
            except ParameterError:
                left_out.append(f"{path} at {piece.start_seconds:.2f} s")
    if len(rates) > 1:
        raise ParameterError.for_field("note files' sample rates", sorted(rates), "one sample rate for all the notes")
    if left_out:
        _progress(f"left out (no clear pitch): {'; '.join(left_out)}")
    if not notes:
        raise ParameterError.for_field("notes", "none with a clear pitch", "a take of single pitched notes (leave gaps between them)")
    _progress(f"fitting {args.name!r} to {len(notes)} note{'s' if len(notes) != 1 else ''}")
    preset = fit_preset(notes, sample_rate=rates.pop(), f0_hz=f0s, name=args.name, velocity=args.velocity, n_steps=args.steps)
    _progress("notes fitted at " + ", ".join(_pitch_name(r.pitch) for r in preset.regions))
    if args.output is not None:
        save_preset(preset, args.output)
        _progress(f"wrote {args.output}")
    if args.song is not None:
        _use_song_preset(preset, args.song, args.track, action=f"timbre fit {args.name}")
    return 0


def _pitch_name(midi: float) -> str:
    """``57.02`` -> ``"A3"``, ``57.4`` -> ``"A3+40c"`` (sharps; middle C is C4)."""
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    k = int(round(midi))
    cents = int(round((midi - k) * 100))
    return f"{names[k % 12]}{k // 12 - 1}" + (f"{cents:+d}c" if abs(cents) >= 10 else "")


@locks_song_folder("dir")
def _cmd_timbre_add(args: argparse.Namespace) -> int:
    preset = read_preset(args.preset)
    _use_song_preset(preset, args.dir, args.track, action=f"timbre add {preset.name}")
    return 0


@locks_song_folder("dir")
def _cmd_export(args: argparse.Namespace) -> int:
    out = pack_dawproject(args.dir, args.output)
    _progress(f"wrote {out}: {Path(args.dir) / 'song.dawproject'} with its audio inside ({out.stat().st_size / 2**20:.1f} MB)")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    song = load(args.dir)
    score = song.score  # the song as it is now; the plan is the record of how it was composed (what the brief was read as)
    bar_ticks = score.meters[0].bar_ticks(score.resolution)
    end_tick = score.sections[-1].end_tick if score.sections else score.end_tick
    info = {
        "title": score.title,
        "genre": score.genre,
        "tempo_bpm": score.tempos[0].tempo_bpm,
        "key": f"{score.keys[0].tonic} {score.keys[0].mode}",
        "meter": f"{score.meters[0].numerator}/{score.meters[0].denominator}",
        "duration_seconds": round(float(ticks_to_seconds(score, end_tick)), 2),
        "sections": [{"name": s.name, "kind": s.kind, "bars": s.duration_ticks // bar_ticks, "energy": round(s.energy, 2)} for s in score.sections],
        "tracks": [{"name": t.name, "role": t.role, "preset": t.preset, "notes": len(t.notes)} for t in score.tracks],
        "song_presets": sorted(song.presets),
        "understood": [{"words": u.words, "meaning": u.meaning} for u in song.plan.understood],
    }
    report_file = Path(args.dir) / "report.json"
    if report_file.is_file():
        report = read_json_file(report_file, what="report file")
        if not isinstance(report, dict):
            raise ParameterError.for_field(f"{report_file}", type(report).__name__, "a JSON object (as lemm writes report.json)")
        info["loudness"] = {k: report.get(k) for k in ("integrated_lufs", "true_peak_dbtp", "lra_lu", "duration_seconds")}
    print(json.dumps(info, indent=1))
    return 0


def _cmd_licenses(args: argparse.Namespace) -> int:
    rows = check_licenses(extras=tuple(args.extra))
    bad = [r for r in rows if not r.cleared]
    if args.json:
        print(json.dumps({"cleared": not bad, "packages": [dataclasses.asdict(r) for r in rows]}, indent=1))
    else:
        print(format_license_table(rows))
    if bad:
        print(f"lemm: error: {len(bad)} dependenc{'y' if len(bad) == 1 else 'ies'} not cleared for commercial use: "
              + ", ".join(r.name for r in bad), file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lemm`` command."""
    parser = argparse.ArgumentParser(
        prog="lemm", description="AI-assisted music production: from a brief to a finished song folder.",
        epilog="Global options go before the command: lemm --quiet compose ...; lemm --debug render DIR.")
    parser.add_argument("--version", action="version", version=f"lemm {_version()}", help="print lemm's version and exit")
    parser.add_argument("--debug", action="store_true", help="on an error, show the Python traceback too")
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors (no progress lines)")
    loud.add_argument("-v", "--verbose", action="count", default=0, help="print debug messages too")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="one of:")

    p = sub.add_parser("compose", help="plan, compose, render, mix and master a song into a new folder")
    p.add_argument("prompt", help='what the song should be, e.g. "an upbeat pop song in D major" (may be "")')
    p.add_argument("--tags", default="", help="comma-separated genre/mood tags, e.g. pop,upbeat")
    p.add_argument("--lyrics", default=None, help="UTF-8 text file with the lyrics (blank lines between stanzas)")
    p.add_argument("--duration", default="3:30", help="length as M:SS or seconds, 0:10..10:00 (default 3:30)")
    p.add_argument("--seed", type=_int_arg, default=0, help="seed of every random choice, 0..4294967295 (default 0)")
    p.add_argument("--chords", default=None,
                   help='fix the harmony: "Am F C G" for every section, or per section "verse=Am F C G; chorus=F G C Am"')
    p.add_argument("--guide", default=None, help="guide audio (WAV/FLAC/OGG/MP3) or MIDI file to plan from")
    p.add_argument("--keep-chords", action="store_true", help="with --guide: keep the guide's chords")
    p.add_argument("--keep-melody", action="store_true", help="with --guide: keep the guide MIDI's melody")
    p.add_argument("--plan", default=None, help="a plan JSON file (save_plan), or a song folder / its song.json, whose (edited) plan is followed exactly instead of planning")
    p.add_argument("-o", "--out", required=True,
                   help="output folder: new, empty, or a song folder (lemm replaces only its own files there)")
    p.add_argument("--force", action="store_true",
                   help="also write into a non-empty folder that is not a song folder, beside its files (never over them)")
    p.set_defaults(func=_cmd_compose)

    p = sub.add_parser("analyze", help="analyse a guide audio or MIDI file; print tempo, meter, key, beats, sections, energy as JSON")
    p.add_argument("file", help="guide audio (WAV/FLAC/OGG/MP3) or MIDI file")
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser("render", help="re-render stems, mix and master from DIR/song.json")
    p.add_argument("dir", help="song folder written by lemm compose")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("regen", help="regenerate one track in one section, then re-render")
    p.add_argument("dir", help="song folder written by lemm compose")
    p.add_argument("--track", required=True, help="track name as in song.json / score.mid, e.g. drums")
    p.add_argument("--section", required=True, help='section name, e.g. "chorus 2"')
    p.add_argument("--seed", type=_int_arg, default=None, help="seed of the new take (default: derived from the song seed)")
    p.set_defaults(func=_cmd_regen)

    p = sub.add_parser("history", help="list the saved versions of a song folder")
    p.add_argument("dir", help="song folder")
    p.add_argument("--json", action="store_true", help="print the versions as JSON")
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser("checkout", help="make a saved version current again (saved as a new version) and re-render")
    p.add_argument("dir", help="song folder")
    p.add_argument("version", type=_int_arg, help="version number, as lemm history lists them")
    p.set_defaults(func=_cmd_checkout)

    p = sub.add_parser("import", help="bring edits made in a notation editor or DAW (MusicXML or MIDI) back into the song")
    p.add_argument("dir", help="song folder the file was exported from")
    p.add_argument("file", help="the edited score.musicxml / .mxl / score.mid (parts matched by name, else by their notes)")
    p.add_argument("--dry-run", action="store_true", help="print the changes and what was kept, write nothing")
    p.add_argument("--yes", action="store_true", help="accept an import that deletes lyrics, chord symbols or sections")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("diff", help="describe what changed between two saved versions, in musical terms")
    p.add_argument("dir", help="song folder")
    p.add_argument("a", type=_int_arg, nargs="?", default=None, help="older version (default: the one before b; see lemm history)")
    p.add_argument("b", type=_int_arg, nargs="?", default=None, help="newer version (default: the latest)")
    p.add_argument("--json", action="store_true", help='print {"a": A, "b": B, "changes": [...]} as JSON')
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("info", help="print a summary of a song folder as JSON")
    p.add_argument("dir", help="song folder")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("export", help="write a self-contained DAWproject of a song folder (its audio inside), to send as one file")
    p.add_argument("dir", help="song folder")
    p.add_argument("-o", "--output", required=True,
                   help="the .dawproject file to write (the folder's own song.dawproject refers to its stems instead)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("mix", help="re-mix and re-master a song folder (to a target, or matched to a reference)")
    p.add_argument("dir", help="song folder")
    p.add_argument("--target", default=None,
                   help="streaming (-14 LUFS), apple (-16), loud (-9), broadcast (-23) or a number of LUFS")
    p.add_argument("--reference", default=None, help="reference track (WAV/FLAC): match its loudness, tilt and width")
    p.set_defaults(func=_cmd_mix)

    timbre = sub.add_parser("timbre", help="fit instrument presets to your recordings and use them in a song")
    tsub = timbre.add_subparsers(dest="timbre_command", required=True, metavar="fit|add", help="what to do")
    p = tsub.add_parser("fit", help="fit a preset to recorded single notes (one note per file, or --split)")
    p.add_argument("notes", nargs="+", help="audio files (WAV/FLAC/OGG/MP3), one note each unless --split")
    p.add_argument("--name", required=True, help="the preset's name (not a stock preset's), e.g. my_cello")
    p.add_argument("-o", "--output", default=None, help="write the preset JSON here")
    p.add_argument("--song", default=None, help="keep the preset in this song folder and re-render it")
    p.add_argument("--track", action="append", default=[], help="with --song: a track to play with the preset (repeatable)")
    p.add_argument("--split", action="store_true", help="each file holds several notes, with gaps or legato: cut them apart (pieces with no clear pitch are left out)")
    p.add_argument("--velocity", type=_int_arg, default=100, help="velocity the notes were played at, 1..127 (default 100)")
    p.add_argument("--steps", type=_int_arg, default=80, help="gradient-descent steps per note, 0..2000 (default 80)")
    p.set_defaults(func=_cmd_timbre_fit)
    p = tsub.add_parser("add", help="put a preset JSON file into a song folder (and play tracks with it), then re-render")
    p.add_argument("dir", help="song folder")
    p.add_argument("preset", help="a preset JSON file, e.g. from lemm timbre fit -o")
    p.add_argument("--track", action="append", default=[], help="a track to play with the preset (repeatable)")
    p.set_defaults(func=_cmd_timbre_add)

    add_edit_subcommand(sub)
    add_mix_subcommands(sub)
    add_vocals_subcommands(sub)

    p = sub.add_parser("licenses", help="audit the licenses of lemm's installed dependency closure; exit 1 on any not cleared")
    p.add_argument("--json", action="store_true", help='print {"cleared": bool, "packages": [...]} as JSON')
    p.add_argument("--extra", action="append", default=[], choices=["test", "notebooks", "train", "eval"],
                   help="include an extra's dependencies too (repeatable), e.g. --extra test")
    p.set_defaults(func=_cmd_licenses)
    register_bridge_commands(sub)
    register_dataset_commands(sub)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("lemm")
    except Exception:  # noqa: BLE001 - running from a checkout that was never installed
        return "unknown (not installed)"


#: Exit statuses: a LemmError (bad input, named), any other failure, Ctrl-C.
EXIT_USAGE, EXIT_FAILURE, EXIT_INTERRUPTED = 2, 1, 130


def _one_line(err: BaseException) -> tuple[str, int]:
    """The ``lemm: error: ...`` line (with a hint) and the exit status for an exception that left a command."""
    if isinstance(err, LemmError):
        return f"lemm: error: {err}", EXIT_USAGE
    if isinstance(err, MemoryError):
        return ("lemm: error: out of memory (MemoryError); hint: a shorter song or fewer tracks, or close other programs "
                "(limits on every input are in lemm.limits)"), EXIT_FAILURE
    if isinstance(err, RecursionError):
        return "lemm: error: an input is nested too deeply (RecursionError); hint: check the file you gave for runaway nesting", EXIT_FAILURE
    if isinstance(err, UnicodeError):
        return (f"lemm: error: text that is not valid UTF-8 ({type(err).__name__}: {err}); hint: save text files as UTF-8 and "
                "use printable characters in arguments"), EXIT_FAILURE
    if isinstance(err, OSError):
        where = f": {err.filename!r}" if getattr(err, "filename", None) else ""
        reason = err.strerror or str(err) or type(err).__name__
        return (f"lemm: error: {reason}{where} ({type(err).__name__}); hint: check that the path exists, is writable "
                "and that the disk has space"), EXIT_FAILURE
    return (f"lemm: error: unexpected {type(err).__name__}: {str(err)[:300]}; hint: rerun with --debug for the traceback "
            "and report it"), EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lemm`` command; returns the exit status.

    Every failure ends in one ``lemm: error: ...`` line on stderr and a non-zero status, never a
    traceback: 2 for a :class:`~lemm.errors.LemmError` (the message names the field, the value and
    what is accepted), 1 for anything else (out of memory, a disk error, a bug: with a hint), 130 on
    Ctrl-C. ``lemm --debug ...`` prints the traceback as well.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    with cli_logging(verbosity=-1 if args.quiet else args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; every failure becomes one line and an exit status (see :func:`main`)."""
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `lemm info DIR | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        if args.debug:
            import traceback

            traceback.print_exc()
        print("lemm: interrupted (Ctrl-C)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - the one place every error becomes one line
        if args.debug:
            import traceback

            traceback.print_exc()
        line, status = _one_line(err)
        print(line, file=sys.stderr)
        return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
