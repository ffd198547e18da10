"""lemm.vocals.memo: a byte-bounded, thread-safe memo of pure results."""

from __future__ import annotations

import threading
import time

import pytest

from lemm.errors import ParameterError
from lemm.vocals.memo import Memo


def test_memo_keeps_results_and_drops_the_least_recently_used():
    memo = Memo(max_bytes=10)
    calls = []

    def make(key, n):
        def compute():
            calls.append(key)
            return key * n
        return compute

    assert memo.get("a", make("a", 4), size=len) == "aaaa"
    assert memo.get("a", make("a", 4), size=len) == "aaaa"  # kept: not computed again
    memo.get("b", make("b", 4), size=len)
    memo.get("a", make("a", 4), size=len)  # "a" used last
    memo.get("c", make("c", 4), size=len)  # 12 bytes > 10: "b" (least recently used) goes
    assert calls == ["a", "b", "c"]
    assert "a" in memo and "c" in memo and "b" not in memo
    assert memo.get("big", make("x", 11), size=len) == "x" * 11  # too big to keep, still returned
    assert "big" not in memo and len(memo) == 2


def test_memo_computes_a_key_once_when_threads_ask_together():
    memo = Memo(max_bytes=100)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.05)
        return "v"

    results = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("k", slow, size=len))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["v"] * 4 and calls == [1]


def test_memo_failure_is_not_kept_and_waiters_recompute():
    memo = Memo(max_bytes=100)

    def fail():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        memo.get("k", fail, size=len)
    assert "k" not in memo
    assert memo.get("k", lambda: "ok", size=len) == "ok"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_memo_rejects_bad_budget(bad):
    with pytest.raises(ParameterError, match="max_bytes"):
        Memo(max_bytes=bad)
