"""Strict JSON from lemm's data: non-finite floats (e.g. the loudness of silence, -inf) become null.

Examples
--------
>>> json_safe({"lufs": float("-inf"), "peaks": [0.5, float("nan")], "n": 3})
{'lufs': None, 'peaks': [0.5, None], 'n': 3}
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None; tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
