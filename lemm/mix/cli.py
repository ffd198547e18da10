"""``lemm master IN -o OUT``: master any mono or stereo WAV/FLAC file, print the report as JSON.

The lead's :mod:`lemm.cli` adds the subcommand with :func:`add_mix_subcommands`.
Handling of input:

- mono: duplicated to both channels (documented; the master is stereo);
- more than two channels (e.g. 5.1): a ParameterError (exit status 2);
- any sample rate in 8..384 kHz: mastered at its own rate;
- silence: written unchanged (report ``silent: true``); NaN samples are
  rejected (soundfile cannot store them in PCM anyway);
- a reference that is not audio: FileFormatError; nothing is written.

The output is written atomically (:func:`lemm.io.audio.write_audio`); 16-bit
output gets TPDF dither (:func:`lemm.io.dither.tpdf_dither`, fixed seed).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="lemm")
>>> add_mix_subcommands(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["master", "in.wav", "-o", "out.wav", "--target", "apple"])
>>> args.target, args.bit_depth
('apple', 24)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from lemm.errors import ParameterError
from lemm.io.audio import check_audio_output, read_audio, write_audio
from lemm.io.dither import tpdf_dither
from lemm.io.jsondata import json_safe
from lemm.mix.mastering import master
from lemm.mix.reference import match_reference
from lemm.mix.settings import MixSettings
from lemm.mix.targets import resolve_target, settings_for_target

__all__ = ["add_mix_subcommands", "master_file", "json_safe"]

DITHER_SEED = 0x1E3


def master_file(
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    target: str | float = "streaming",
    reference: str | os.PathLike | None = None,
    bit_depth: int = 24,
) -> dict:
    """Master the audio file ``in_path`` into ``out_path``; returns the report.

    Raises
    ------
    LemmError
        Missing or unreadable files, more than two channels, NaN samples, a
        bad target or bit depth, a silent or non-audio reference; an output
        that is not a .wav/.flac file path lemm may write (checked first).
    """
    if bit_depth not in (16, 24):
        raise ParameterError.for_field("bit_depth", bit_depth, "16 or 24")
    check_audio_output(out_path, bit_depth=bit_depth)  # before any work: never a device, FIFO, link or folder
    settings = settings_for_target(MixSettings(), target)
    audio, rate = read_audio(in_path)
    if audio.shape[0] > 2:
        raise ParameterError.for_field("input channels", audio.shape[0], "1 (mono, duplicated to stereo) or 2")
    if audio.shape[0] == 1:
        audio = np.concatenate([audio, audio])
    if reference is not None:
        ref_audio, ref_rate = read_audio(reference)
        if ref_audio.shape[0] > 2:
            raise ParameterError.for_field("reference channels", ref_audio.shape[0], "1 or 2")
        settings = match_reference(settings, audio, ref_audio, sample_rate=rate, reference_sample_rate=ref_rate)
    out, report = master(audio, sample_rate=rate, settings=settings.master)
    if bit_depth == 16:
        out = tpdf_dither(out, bit_depth=16, seed=DITHER_SEED)
    write_audio(out_path, out, sample_rate=rate, bit_depth=bit_depth)
    report = dict(report.to_dict(), input=str(in_path), output=str(Path(out_path)), sample_rate=rate, bit_depth=bit_depth,
                  reference=None if reference is None else str(reference), master_settings=dataclasses.asdict(settings.master))
    return json_safe(report)


def _target(text: str) -> str:
    try:
        resolve_target(text)
    except ParameterError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def _cmd_master(args: argparse.Namespace) -> int:
    report = master_file(args.input, args.output, target=args.target, reference=args.reference, bit_depth=args.bit_depth)
    print(json.dumps(report))
    return 0


def add_mix_subcommands(subparsers) -> None:
    """Add ``master`` to the ``lemm`` command's subparsers (``args.func`` runs it; returns the exit status)."""
    p = subparsers.add_parser("master", help="master any mono/stereo WAV or FLAC file; print the report as JSON")
    p.add_argument("input", help="input WAV/FLAC (mono is duplicated to stereo; more than 2 channels is an error)")
    p.add_argument("-o", "--output", required=True, help="output WAV/FLAC (written atomically)")
    p.add_argument("--target", type=_target, default="streaming",
                   help="streaming (-14 LUFS, default), apple (-16), loud (-9), broadcast (-23) or a number of LUFS")
    p.add_argument("--reference", default=None, help="reference track: match its loudness, tilt and width")
    p.add_argument("--bit-depth", type=int, choices=(16, 24), default=24, help="16 (TPDF-dithered) or 24 (default)")
    p.set_defaults(func=_cmd_master)
