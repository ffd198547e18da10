"""A small thread-safe memo of a pure function's results, bounded in bytes (least recently used out first).

The singer speaks and analyses each phrase from a fresh synthesiser state, so
the same words in the same voice always give the same speech and the same
WORLD features (:class:`lemm.vocals.sing.SpokenPhrase`). A song sings its
chorus lines many times, in several sections (each section is a slice rendered
on its own) and in its backing vocals; :class:`Memo` keeps those results for
the process's life, so each line is spoken and analysed once per song instead
of once per section and track. Two threads asking for the same key at the same
time compute it once: the second waits for the first.

Examples
--------
>>> memo = Memo(max_bytes=100)
>>> memo.get("a", lambda: "x" * 6, size=lambda v: 10 * len(v))
'xxxxxx'
>>> _ = memo.get("b", lambda: "y" * 6, size=lambda v: 10 * len(v))  # over 100 bytes: "a" goes
>>> "a" in memo, "b" in memo
(False, True)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

from lemm.errors import ParameterError

__all__ = ["Memo"]

T = TypeVar("T")


class Memo:
    """Results of a pure function by key, at most ``max_bytes`` of them (as ``size`` counts).

    Parameters
    ----------
    max_bytes : int
        Budget, > 0; a single result larger than it is returned but not kept.
    """

    def __init__(self, *, max_bytes: int) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
            raise ParameterError.for_field("max_bytes", max_bytes, "an integer number of bytes > 0")
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._bytes = 0

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable, compute: Callable[[], T], *, size: Callable[[T], int]) -> T:
        """The result kept for ``key``, or ``compute()`` (then kept, if it fits)."""
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key][0]
                wait = self._pending.get(key)
                if wait is None:
                    self._pending[key] = threading.Event()
                    break
            wait.wait()  # another thread computes it; read it (or compute it, if it failed or did not fit)
        try:
            value = compute()
            n_bytes = int(size(value))
            with self._lock:
                if n_bytes <= self.max_bytes:
                    self._entries[key] = (value, n_bytes)
                    self._bytes += n_bytes
                    while self._bytes > self.max_bytes:
                        _old, (_value, old_bytes) = self._entries.popitem(last=False)
                        self._bytes -= old_bytes
            return value
        finally:
            with self._lock:
                self._pending.pop(key).set()

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
