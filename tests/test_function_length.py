"""No function over 80 lines in the song, score and mix layers (issue 24), checked over the source with ``ast``.

A function's length is its ``def`` line to its last line, docstring and comments included: a
long function is split into named steps instead. The check is a plain function of source text,
so it also runs on a made-up function that breaks it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The layers held to the limit: the song (and its stage functions), the score, the mix.
LAYERS = ("lemm/song.py", "lemm/pipeline.py", "lemm/score", "lemm/mix")
MAX_FUNCTION_LINES = 80


def long_functions(source: str, *, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """``(qualified name, lines)`` of every function (methods and nested ones too) longer than ``limit`` lines."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef) and child.end_lineno - child.lineno + 1 > limit:
                    found.append((name, child.end_lineno - child.lineno + 1))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def layer_files() -> list[Path]:
    files = []
    for layer in LAYERS:
        path = ROOT / layer
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def test_no_function_over_80_lines_in_the_song_score_and_mix_layers() -> None:
    files = layer_files()
    assert len(files) > 20  # the layers were found
    too_long = {f"{p.relative_to(ROOT)}:{name}": n for p in files for name, n in long_functions(p.read_text(encoding="utf-8"))}
    assert too_long == {}


def test_the_check_finds_a_long_function_and_a_long_method() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(80))
    source = f"def long():\n{body}\n\nclass Mixer:\n    def short(self):\n        return 1\n\n    def long(self):\n{body.replace('    ', '        ')}"
    assert long_functions(source) == [("long", 81), ("Mixer.long", 81)]
    assert long_functions("def f():\n    return 1\n") == []
