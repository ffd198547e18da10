"""Derived seeds: one stable seed per (song seed, part names), so parts never share random streams.

Regenerating one (track, section) with a new seed leaves every other part's
stream untouched, because each part's seed is derived from the song seed and
its own names only.

Examples
--------
>>> derive_seed(0, "drums", "chorus 2") == derive_seed(0, "drums", "chorus 2")
True
>>> derive_seed(0, "drums", "chorus 2") != derive_seed(0, "bass", "chorus 2")
True
>>> rng = make_rng(derive_seed(7, "bass"))
>>> 0 <= rng.random() < 1
True
"""

from __future__ import annotations

import hashlib

import numpy as np

from lemm.errors import ParameterError

__all__ = ["derive_seed", "make_rng", "check_seed"]


def check_seed(seed: object, field: str = "seed") -> int:
    """Return ``seed`` if it is an integer in 0..2**32-1, else raise ParameterError."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**32:
        raise ParameterError.for_field(field, seed, "an integer in 0..4294967295")
    return int(seed)


def derive_seed(seed: int, *names: object) -> int:
    """A 32-bit seed derived from ``seed`` and the given names (stable across runs and machines)."""
    check_seed(seed)
    text = "\x1f".join([str(int(seed))] + [str(n) for n in names])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "little")


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Normalise a seed or Generator into a ``numpy.random.Generator``.

    ``None`` means seed 0 (lemm never draws from global or entropy-based state).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_seed(0 if seed is None else seed))
