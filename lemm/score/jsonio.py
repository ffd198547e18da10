"""Score <-> JSON: an exact round trip (``score_from_dict(score_to_dict(s)) == s``).

The JSON form mirrors the dataclasses field by field; tuples become lists,
``None`` becomes ``null``. Every file carries ``schema_version``. Reading
validates everything and reports the JSON path of a bad value.

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> s = Score(title="t", tracks=(Track("bass", "bass", "electric_bass", notes=(Note(40, 0, 480),)),))
>>> score_from_dict(score_to_dict(s)) == s
True
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from pathlib import Path
from typing import Any

from lemm import limits
from lemm.errors import FileFormatError, LemmFileNotFoundError, ParameterError, ScoreError
from lemm.io.atomic import atomic_write_text
from lemm.io.jsondata import loads_json
from lemm.limits import MAX_JSON_BYTES, check_file_size
from lemm.score import model as m

__all__ = ["score_to_dict", "score_from_dict", "save_score", "load_score", "to_jsonable", "from_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Turn a (nested) frozen dataclass into plain JSON types."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


_LIST_LIMITS = {  # last name of a JSON path -> the lemm.limits constant its list may not exceed
    "notes": "MAX_NOTES_PER_TRACK", "melody": "MAX_NOTES_PER_TRACK", "tracks": "MAX_TRACKS", "instruments": "MAX_TRACKS",
    "sections": "MAX_SECTIONS", "energy_per_bar": "MAX_SONG_BARS", "points": "MAX_CURVE_POINTS",
}


def _check_list_length(path: str, length: int) -> None:
    name = _LIST_LIMITS.get(path.rsplit(".", 1)[-1], "MAX_CHANGES")
    limits.check_count(f"{path} items", length, getattr(limits, name), name)


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise ScoreError(f"{path} must be a list, got {type(value).__name__}")
        _check_list_length(path, len(value))  # before building an object per item
        item = args[0]
        return tuple(_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        return from_jsonable(tp, value, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScoreError(f"{path} must be a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ScoreError(f"{path} must be an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ScoreError(f"{path} must be true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ScoreError(f"{path} must be a string, got {value!r}")
        return value
    return value


def from_jsonable(cls: type, data: Any, path: str = "score") -> Any:
    """Build dataclass ``cls`` from plain JSON data, validating every field.

    Raises
    ------
    ScoreError
        Naming the JSON path of a missing, unknown or invalid field.
    """
    if not isinstance(data, dict):
        raise ScoreError(f"{path} must be an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ScoreError(f"{path} has unknown field(s) {sorted(unknown)}; accepted: {sorted(fields)}")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ScoreError(f"{path}.{name} is missing")
            continue
        kwargs[name] = _convert(hints[name], data[name], f"{path}.{name}")
    try:
        return cls(**kwargs)
    except ParameterError as err:
        raise ScoreError(f"{path}: {err}") from None


def score_to_dict(score: m.Score) -> dict:
    """The score as plain JSON data."""
    return to_jsonable(score)


def score_from_dict(data: Any) -> m.Score:
    """Rebuild and validate a score from :func:`score_to_dict` data."""
    if isinstance(data, dict) and data.get("schema_version", m.SCHEMA_VERSION) != m.SCHEMA_VERSION:
        raise ScoreError(f"score.schema_version must be {m.SCHEMA_VERSION}, got {data.get('schema_version')!r}")
    return from_jsonable(m.Score, data, "score")


def save_score(score: m.Score, path: str | os.PathLike) -> Path:
    """Write the score as JSON, atomically. Returns the path written."""
    return atomic_write_text(Path(path), json.dumps(score_to_dict(score), indent=1) + "\n")


def load_score(path: str | os.PathLike) -> m.Score:
    """Read a score written by :func:`save_score`."""
    p = Path(path)
    if p.is_file():
        check_file_size(p, MAX_JSON_BYTES, "MAX_JSON_BYTES", what="score file")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LemmFileNotFoundError(f"score file {str(p)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise FileFormatError(f"score file {str(p)!r} cannot be read as UTF-8 JSON: {err}") from None
    data = loads_json(text, what=f"score file {str(p)!r}")  # bounded: nesting, integer digits (lemm.limits)
    return score_from_dict(data)
