"""``lemm dataset generate`` and ``lemm dataset index``: the command line of :mod:`lemm.dataset`.

::

    lemm dataset generate --n N --seed S --out DIR [--workers K | --scheduler ADDRESS] [--shard i/M]
                          [--duration 0:30|3:30|0:30-3:30] [--genres pop,rock] [--sample-rate 44100] [--format flac]
    lemm dataset index DIR     rebuild index.jsonl, splits/ and failures.jsonl (after a job array's shards)

:func:`register` adds them to the ``lemm`` parser.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="lemm")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["dataset", "generate", "--n", "4", "--seed", "1", "--out", "ds", "--shard", "0/2"])
>>> args.n, args.seed, args.shard, args.workers, args.format
(4, 1, '0/2', None, 'flac')
"""

from __future__ import annotations

import argparse
import json
import sys

from lemm.dataset.run import generate
from lemm.dataset.store import build_index, open_store

__all__ = ["register"]


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _progress(message: str) -> None:
    print(f"lemm: {message}", file=sys.stderr, flush=True)


def _cmd_generate(args: argparse.Namespace) -> int:
    report = generate(
        args.n, seed=args.seed, out=args.out, workers=args.workers, scheduler=args.scheduler, shard=args.shard,
        duration=args.duration, genres=args.genres or (), sample_rate=args.sample_rate, audio_format=args.format,
        progress=_progress,
    )
    print(json.dumps({"made": len(report.made), "skipped": len(report.skipped), "failed": len(report.failed), **report.index}))
    return 1 if report.failed else 0


def _cmd_index(args: argparse.Namespace) -> int:
    print(json.dumps(build_index(open_store(args.dir))))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``dataset generate`` and ``dataset index`` to the ``lemm`` subcommands ``sub``."""
    ds = sub.add_parser("dataset", help="make a synthetic multitrack data set (stems, MIDI, notes, metadata) from a seed")
    dsub = ds.add_subparsers(dest="dataset_command", required=True, metavar="generate|index", help="what to do")
    p = dsub.add_parser("generate", help="make songs 0..N-1 of data set SEED into --out (skips songs already complete)")
    p.add_argument("--n", type=_int, required=True, help="number of songs in the data set")
    p.add_argument("--seed", type=_int, default=0, help="the data set's seed, 0..4294967295 (default 0)")
    p.add_argument("--out", required=True, help="a folder or an fsspec URL (s3://bucket/prefix, ...)")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--workers", type=_int, default=None, help="local worker processes (default: the CPUs this process may use)")
    engine.add_argument("--scheduler", default=None, help='a Dask scheduler address, e.g. tcp://10.0.0.5:8786 (pip install "lemm[dask]")')
    p.add_argument("--shard", default=None, help="make only songs with index = i mod M, e.g. $SLURM_ARRAY_TASK_ID/100")
    p.add_argument("--duration", default="0:30", help='song length "0:30", or a range "0:30-3:30" drawn per song (default 0:30)')
    p.add_argument("--genres", default=None, help="comma-separated genres to draw from (default: all)")
    p.add_argument("--sample-rate", type=_int, default=44100, help="Hz (default 44100)")
    p.add_argument("--format", default="flac", choices=("flac", "wav"), help="audio files, 24-bit (default flac)")
    p.set_defaults(func=_cmd_generate)
    p = dsub.add_parser("index", help="rebuild index.jsonl, splits/ and failures.jsonl from the songs in DIR")
    p.add_argument("dir", help="the data set folder (or fsspec URL) whose index.jsonl and splits to rebuild")
    p.set_defaults(func=_cmd_index)
