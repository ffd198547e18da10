"""``lemm edit DIR "INSTRUCTION" [--yes] [--dry-run]``: edit a song folder with a plain-English instruction.

The operations are printed first (one line each); then, unless ``--dry-run``, they are
applied, the song is re-rendered and mixed, and the folder's files are rewritten. Asked
at a terminal, lemm waits for "y" before applying unless ``--yes`` is given; from a script
(stdin not a terminal) it applies at once. A refused instruction exits with status 2 and
changes nothing. The grammar: docs/instructions.md.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="lemm")
>>> _ = add_edit_subcommand(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["edit", "song", "quieter strings", "--dry-run"])
>>> args.dir, args.instruction, args.dry_run, args.yes
('song', 'quieter strings', True, False)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lemm.errors import LemmError
from lemm.instruct.apply import apply_operations
from lemm.instruct.grammar import parse_instruction
from lemm.progress import log_progress
from lemm.project.commit import locks_song_folder
from lemm.song import load, rerender_song_folder

__all__ = ["add_edit_subcommand", "run_edit", "main"]


def _progress(message: str) -> None:
    log_progress(message)


@locks_song_folder("dir")  # one writer at a time: an edit reads the song and writes it back
def run_edit(args: argparse.Namespace) -> int:
    """Carry out ``lemm edit`` for parsed arguments (``dir``, ``instruction``, ``yes``, ``dry_run``)."""
    song = load(args.dir)
    ops = parse_instruction(args.instruction, song)
    print(f"lemm edit {args.dir}: {len(ops)} operation{'s' if len(ops) != 1 else ''}")
    for op in ops:
        print(f"  - {op.describe()}")
    edited = apply_operations(song, ops)  # in memory: a dry run meets the same checks (e.g. a gain out of range) as a real one
    if args.dry_run:
        print("dry run: nothing changed")
        return 0
    if not args.yes and sys.stdin is not None and sys.stdin.isatty():
        answer = input("apply? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("nothing changed")
            return 1
    rerender_song_folder(edited, args.dir, action=f"edit: {args.instruction}", progress=_progress)
    _progress(f"applied {len(ops)} operation{'s' if len(ops) != 1 else ''}; wrote {args.dir}")
    return 0


def add_edit_subcommand(subparsers) -> argparse.ArgumentParser:
    """Add ``edit`` to the ``lemm`` command's subparsers; returns its parser."""
    p = subparsers.add_parser(
        "edit",
        help="edit a song folder with an instruction, e.g. \"make the drums heavier in the second chorus\"",
        description="Edit a song folder with a plain-English instruction (grammar: docs/instructions.md).",
    )
    p.add_argument("dir", help="song folder written by lemm compose")
    p.add_argument("instruction", help='e.g. "quieter strings in the bridge"; several joined by ";"')
    p.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    p.add_argument("--dry-run", action="store_true", help="only print the operations")
    p.set_defaults(func=run_edit)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``lemm edit`` on its own (as ``python -m lemm.instruct.cli DIR "INSTRUCTION"``); returns the exit status."""
    parser = argparse.ArgumentParser(prog="lemm")
    add_edit_subcommand(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["edit", *(argv if argv is not None else sys.argv[1:])])
    try:
        return int(args.func(args))
    except LemmError as err:
        print(f"lemm: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
