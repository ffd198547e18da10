"""Strict JSON from lemm's data: non-finite floats (e.g. the loudness of silence, -inf) become null;
reading JSON (a file or text) bounded by :mod:`lemm.limits`, with errors that name it.

:func:`loads_json` refuses, before parsing, text nested deeper than ``MAX_JSON_DEPTH``
and integers longer than ``MAX_JSON_INT_DIGITS`` digits (so neither a RecursionError nor
Python's int-string conversion limit ever escapes), and :func:`read_json_file` files over
``MAX_JSON_BYTES``.

Examples
--------
>>> json_safe({"lufs": float("-inf"), "peaks": [0.5, float("nan")], "n": 3})
{'lufs': None, 'peaks': [0.5, None], 'n': 3}
>>> loads_json('{"a": [1, "[[[", 2.5]}', what="plan")
{'a': [1, '[[[', 2.5]}
>>> loads_json("[" * 100 + "]" * 100, what="plan")
Traceback (most recent call last):
...
lemm.errors.LimitError: plan JSON nesting must be at most 64 (MAX_JSON_DEPTH), got 100
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from lemm.errors import FileFormatError, LemmFileNotFoundError, LimitError
from lemm.limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_JSON_INT_DIGITS, check_count, check_file_size

__all__ = ["json_safe", "read_json_file", "loads_json"]

_STRING = re.compile(r'"[^"]*"')


def _nesting_depth(text: str) -> int:
    """Deepest nesting of ``[`` / ``{`` in JSON text, strings left out (vectorised: no recursion, no Python loop per byte)."""
    unescaped = text.replace("\\\\", "").replace('\\"', "")  # escaped backslashes, then escaped quotes: strings are "[^"]*"
    skeleton = _STRING.sub("", unescaped).encode("utf-8", "surrogatepass")
    codes = np.frombuffer(skeleton, dtype=np.uint8)
    steps = (np.isin(codes, (ord("["), ord("{"))).astype(np.int32) - np.isin(codes, (ord("]"), ord("}"))).astype(np.int32))
    return int(np.cumsum(steps).max(initial=0))


def _bounded_int(digits: str) -> int:
    check_count("JSON integer digits", len(digits.lstrip("-")), MAX_JSON_INT_DIGITS, "MAX_JSON_INT_DIGITS")
    return int(digits)


def loads_json(text: str, *, what: str) -> Any:
    """Parse JSON ``text`` within :mod:`lemm.limits`; ``what`` names it in errors (e.g. ``"song file 'x/song.json'"``).

    Raises
    ------
    LimitError
        Nested deeper than ``MAX_JSON_DEPTH`` or an integer with more than ``MAX_JSON_INT_DIGITS`` digits.
    FileFormatError
        Not JSON.
    """
    depth = _nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise LimitError(f"{what} JSON nesting must be at most {MAX_JSON_DEPTH} (MAX_JSON_DEPTH), got {depth}")
    try:
        return json.loads(text, parse_int=_bounded_int)
    except LimitError as err:
        raise LimitError(f"{what}: {err}") from None
    except (json.JSONDecodeError, ValueError, RecursionError) as err:
        raise FileFormatError(f"{what} is not valid JSON: {err}") from None


def read_json_file(path: str | os.PathLike, *, what: str) -> Any:
    """The JSON data in ``path``; ``what`` names the file in errors (e.g. ``"preset file"``).

    Raises
    ------
    LemmFileNotFoundError
        If ``path`` is not a file.
    FileFormatError
        If it is not UTF-8 JSON.
    LimitError
        If it is bigger, deeper or holds longer integers than :mod:`lemm.limits` allows.
    """
    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"{what} {str(p)!r} does not exist or is not a file")
    check_file_size(p, MAX_JSON_BYTES, "MAX_JSON_BYTES", what=what)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FileFormatError(f"{what} {str(p)!r} is not valid UTF-8 JSON: {err}") from None
    return loads_json(text, what=f"{what} {str(p)!r}")


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None; tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
