"""Matching the items of two versions of a score (notes, marks, sections, chords) by keys, for merging and for describing changes.

:func:`diff_items` pairs items key by key (the first key: unchanged items), and says which
were deleted and which added; :mod:`lemm.score.merge` and :mod:`lemm.score.changes` both use it.

Examples
--------
>>> diff_items(["a", "b", "c"], ["b", "c", "d"], [(str, str)])
([(1, 0), (2, 1)], [0], [2])
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence

__all__ = ["pair_items", "diff_items"]


def pair_items(left: Sequence, right: Sequence, free_left: list[int], free_right: list[int], key_left: Callable, key_right: Callable) -> list[tuple[int, int]]:
    """Pair still-free items whose keys are equal, first with first; removes them from the free lists."""
    queues: dict = collections.defaultdict(collections.deque)
    for j in free_right:
        queues[key_right(right[j])].append(j)
    pairs = []
    for i in free_left:
        k = key_left(left[i])
        if queues.get(k):
            pairs.append((i, queues[k].popleft()))
    used_l, used_r = {i for i, _ in pairs}, {j for _, j in pairs}
    free_left[:] = [i for i in free_left if i not in used_l]
    free_right[:] = [j for j in free_right if j not in used_r]
    return pairs


def diff_items(exported: Sequence, edited: Sequence, keys: Sequence[tuple[Callable, Callable]]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs (exported, edited) by each key in turn (the first: unchanged), then the deleted and the added."""
    free_e, free_d = list(range(len(exported))), list(range(len(edited)))
    pairs = []
    for key_e, key_d in keys:
        pairs += pair_items(exported, edited, free_e, free_d, key_e, key_d)
    return pairs, free_e, free_d
