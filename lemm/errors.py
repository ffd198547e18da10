"""The one exception tree of lemm.

Every error lemm raises on purpose is a :class:`LemmError`. Subclasses also
inherit the matching builtin, so ``except ValueError`` keeps working for
callers who do not know lemm.

Messages name the field, the value received and what is accepted::

    tempo_bpm must be in 20..400, got 0

Examples
--------
>>> from lemm.errors import ParameterError, LemmError
>>> try:
...     raise ParameterError.for_field("tempo_bpm", 0, "a number in 20..400")
... except LemmError as err:
...     print(err)
tempo_bpm must be a number in 20..400, got 0
"""

from __future__ import annotations

__all__ = [
    "LemmError",
    "ParameterError",
    "ScoreError",
    "LimitError",
    "FileFormatError",
    "LemmFileNotFoundError",
    "OutputPathError",
    "DependencyError",
    "RenderError",
    "WorkerError",
]


class LemmError(Exception):
    """Base of every error lemm raises on purpose."""


class ParameterError(LemmError, ValueError):
    """A value given to lemm is out of range or of the wrong kind."""

    @classmethod
    def for_field(cls, field: str, value: object, accepted: str) -> "ParameterError":
        """Build the standard message: ``FIELD must be ACCEPTED, got VALUE``."""
        return cls(f"{field} must be {accepted}, got {value!r}")


class ScoreError(ParameterError):
    """A score (or a hand-edited song.json) breaks the score's rules."""


class LimitError(ParameterError):
    """An input is over one of the size limits of :mod:`lemm.limits` (notes, length, file size, nesting...)."""


class FileFormatError(LemmError, ValueError):
    """A file exists but cannot be read as what it claims to be."""


class LemmFileNotFoundError(LemmError, FileNotFoundError):
    """A file lemm was asked to read does not exist or cannot be opened."""


class OutputPathError(LemmError, OSError):
    """An output location cannot be used (e.g. it is a file, not a folder)."""


class DependencyError(LemmError, ImportError):
    """An optional dependency is missing; the message says what to install."""


class RenderError(LemmError, RuntimeError):
    """Audio could not be rendered from valid input (e.g. NaN controls)."""


class WorkerError(LemmError, RuntimeError):
    """A helper process (e.g. the speech worker) failed or timed out."""
