"""Strict JSON from lemm's data: non-finite floats (e.g. the loudness of silence, -inf) become null;
reading a JSON file with errors that name it.

Examples
--------
>>> json_safe({"lufs": float("-inf"), "peaks": [0.5, float("nan")], "n": 3})
{'lufs': None, 'peaks': [0.5, None], 'n': 3}
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from lemm.errors import FileFormatError, LemmFileNotFoundError

__all__ = ["json_safe", "read_json_file"]


def read_json_file(path: str | os.PathLike, *, what: str) -> Any:
    """The JSON data in ``path``; ``what`` names the file in errors (e.g. ``"preset file"``).

    Raises
    ------
    LemmFileNotFoundError
        If ``path`` is not a file.
    FileFormatError
        If it is not UTF-8 JSON.
    """
    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"{what} {str(p)!r} does not exist or is not a file")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FileFormatError(f"{what} {str(p)!r} is not valid UTF-8 JSON: {err}") from None


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None; tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
