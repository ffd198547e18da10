"""Section map and energy arc: how many bars, which sections, how loud each bar is.

The song length is fitted in two steps: :func:`fit_bars` picks a bar count (and, when
allowed, nudges the tempo so that the count is a whole number of 4-bar phrases
and the length lands closer to the request); :func:`fit_form` then grows or
shrinks a genre form to exactly that many bars, keeping sections in 2/4/8-bar
phrases and absorbing any remainder in the outro (or intro).

Examples
--------
>>> fit_bars(210.0, tempo_bpm=120.0, beats_per_bar=4.0, tempo_range=(96.0, 124.0))
(104, 119.0)
>>> kinds = [k for k, _ in fit_form(("intro", "verse", "chorus", "outro"), 20, {"intro": 4, "verse": 8, "chorus": 8, "outro": 4}, ())]
>>> kinds
['intro', 'verse', 'chorus', 'outro']
>>> name_sections(["intro", "verse", "chorus", "verse", "chorus"])
['intro', 'verse 1', 'chorus 1', 'verse 2', 'chorus 2']
"""

from __future__ import annotations

from collections import Counter
from typing import Mapping, Sequence

import numpy as np

__all__ = ["fit_bars", "fit_form", "name_sections", "energy_curve", "LOW_KINDS"]

#: Section kinds that must sit at the bottom of the energy arc.
LOW_KINDS = ("intro", "outro", "break")


def _bar_seconds(tempo_bpm: float, beats_per_bar: float) -> float:
    return beats_per_bar * 60.0 / tempo_bpm


def fit_bars(
    duration_seconds: float,
    *,
    tempo_bpm: float,
    beats_per_bar: float,
    tempo_range: tuple[float, float] | None,
) -> tuple[int, float]:
    """Bar count and tempo for a requested length.

    With ``tempo_range`` (the tempo may move), an integer tempo within 4 % of
    ``tempo_bpm`` and inside the range is searched that makes the bar count a
    multiple of 4 (then of 2) with the length within a quarter bar of the
    request. Otherwise the tempo stays and the count is rounded; in every case
    ``|bars * bar_seconds - duration_seconds| <= one bar``.

    Returns
    -------
    (n_bars, tempo_bpm) : tuple[int, float]
    """
    bar_s = _bar_seconds(tempo_bpm, beats_per_bar)
    n_plain = max(1, int(round(duration_seconds / bar_s)))
    if tempo_range is not None:
        low = max(tempo_range[0], tempo_bpm * 0.96)
        high = min(tempo_range[1], tempo_bpm * 1.04)
        for multiple in (4, 2):
            best: tuple[float, int, float] | None = None
            n0 = duration_seconds / bar_s
            for n in range(max(multiple, int(n0 * 0.9) // multiple * multiple), int(n0 * 1.1) + multiple + 1, multiple):
                t = round(n * beats_per_bar * 60.0 / duration_seconds)
                if not low <= t <= high:
                    continue
                err = abs(n * _bar_seconds(t, beats_per_bar) - duration_seconds)
                if err <= 0.25 * _bar_seconds(t, beats_per_bar):
                    cand = (abs(t - tempo_bpm), n, float(t))
                    best = cand if best is None or cand < best else best
            if best is not None:
                return best[1], best[2]
    return n_plain, float(tempo_bpm)


def _total(secs: list[list]) -> int:
    return sum(b for _, b in secs)


def _last_index(secs: list[list], kind: str) -> int:
    for i in range(len(secs) - 1, -1, -1):
        if secs[i][0] == kind:
            return i
    return -1


def _shrink_steps(secs: list[list]) -> bool:
    """Apply the first reduction that applies; False when nothing is left to cut."""
    kinds = [k for k, _ in secs]
    n_chorus = kinds.count("chorus")
    # 1. long intro/outro down to 4 bars
    for kind in ("outro", "intro"):
        i = _last_index(secs, kind)
        if i >= 0 and secs[i][1] > 4:
            secs[i][1] = 4
            return True
    # 2. drop ornaments: post-chorus, break, bridge, a second pre-chorus
    for kind in ("post-chorus", "break", "bridge"):
        i = _last_index(secs, kind)
        if i >= 0:
            del secs[i]
            return True
    if kinds.count("pre-chorus") > 1:
        del secs[_last_index(secs, "pre-chorus")]
        return True
    # 3. drop a middle verse+chorus pair (keep the last chorus)
    if n_chorus > 1 and kinds.count("verse") > 1:
        i = kinds.index("verse", kinds.index("verse") + 1)
        del secs[i]
        j = next((k for k in range(i, len(secs)) if secs[k][0] == "chorus"), -1)
        if j >= 0 and j != _last_index(secs, "chorus"):
            del secs[j]
        return True
    if n_chorus > 1:
        del secs[[k for k, _ in secs].index("chorus")]
        return True
    # 4. the remaining pre-chorus, then halve long sections
    i = _last_index(secs, "pre-chorus")
    if i >= 0:
        del secs[i]
        return True
    i = _last_index(secs, "verse")
    if i >= 0 and secs[i][1] > 4:
        secs[i][1] = secs[i][1] // 2 if secs[i][1] >= 8 else 4
        return True
    for kind in ("outro", "intro"):
        i = _last_index(secs, kind)
        if i >= 0 and secs[i][1] > 2:
            secs[i][1] = 2
            return True
    i = _last_index(secs, "chorus")
    if i >= 0 and secs[i][1] > 4:
        secs[i][1] = secs[i][1] // 2 if secs[i][1] >= 8 else 4
        return True
    for kind in ("intro", "outro", "verse"):
        i = _last_index(secs, kind)
        if i >= 0 and len(secs) > 1:
            del secs[i]
            return True
    return False


def _block_bars(block: Sequence[str], section_bars: Mapping[str, int]) -> int:
    return sum(int(section_bars.get(k, 4)) for k in block)


def _insert_at(secs: list[list]) -> int:
    """Where extension blocks go: after the second-to-last chorus, else before the last chorus (and its pre-chorus)."""
    choruses = [i for i, (k, _) in enumerate(secs) if k == "chorus"]
    if len(choruses) >= 2:
        return choruses[-2] + 1
    i = choruses[-1]
    return i - 1 if i > 0 and secs[i - 1][0] == "pre-chorus" else i


def _grow(secs: list[list], n_bars: int, section_bars: Mapping[str, int], blocks: list[list[str]]) -> None:
    """Grow ``secs`` (in place) towards ``n_bars`` the way songs get longer.

    In order: the last chorus doubles (when choruses are at most 8 bars), intro
    and outro grow to 8 bars, then whole extension blocks (a verse-chorus cycle,
    a break and a chorus...) go in before the song's ending segment (bridge,
    final chorus, outro), then 4-bar steps: a post-chorus, longer intro/outro,
    a longer last chorus.
    """
    chorus_bars = int(section_bars.get("chorus", 8))

    def rest() -> int:
        return n_bars - _total(secs)

    last = _last_index(secs, "chorus")
    if chorus_bars <= 8 and rest() >= chorus_bars:
        secs[last][1] += chorus_bars
    for kind in ("intro", "outro"):
        i = _last_index(secs, kind)
        if i >= 0 and secs[i][1] < 8 and rest() >= 8 - secs[i][1]:
            secs[i][1] = 8
    at = _insert_at(secs)
    turn = 0
    while turn < 200:
        fitting = [blocks[(turn + j) % len(blocks)] for j in range(len(blocks))]
        fitting = [b for b in fitting if _block_bars(b, section_bars) <= rest()]
        if not fitting:
            break
        block = fitting[0]
        secs[at:at] = [[k, int(section_bars.get(k, 4))] for k in block]
        at += len(block)
        turn += 1
    _dedupe(secs)
    for _ in range(64):
        if rest() < 4:
            break
        kinds = [k for k, _ in secs]
        last = _last_index(secs, "chorus")
        first = kinds.index("chorus")
        bare = [i for i in range(first, last) if kinds[i] == "chorus" and kinds[i + 1] != "post-chorus"]
        if kinds.count("post-chorus") < 2 and bare:
            secs.insert(bare[0] + 1, ["post-chorus", 4])
        elif "outro" in kinds and secs[_last_index(secs, "outro")][1] < 12:
            secs[_last_index(secs, "outro")][1] += 4
        elif "intro" in kinds and secs[kinds.index("intro")][1] < 12:
            secs[kinds.index("intro")][1] += 4
        elif "outro" not in kinds:
            secs.append(["outro", 4])
        else:
            secs[last][1] += 4


def fit_form(
    form: Sequence[str],
    n_bars: int,
    section_bars: Mapping[str, int],
    extend: Sequence[Sequence[str]],
) -> list[tuple[str, int]]:
    """Grow or shrink ``form`` to exactly ``n_bars`` bars.

    Parameters
    ----------
    form : sequence of str
        Section kinds in order (the template).
    n_bars : int
        Wanted total, >= 1.
    section_bars : mapping
        Default bars per kind (4 when a kind is missing).
    extend : sequence of sequences of str
        Blocks of kinds inserted, in turn, before the ending (bridge, last
        chorus, outro) to make long songs.

    Returns
    -------
    list of (kind, bars)
        At least one chorus; every section >= 1 bar; bars sum to ``n_bars``;
        sections in 4-bar phrases except one outro (or intro) that takes a
        remainder of 1-3 bars.

    Examples
    --------
    >>> bars = {"intro": 4, "verse": 8, "pre-chorus": 4, "chorus": 8, "bridge": 8, "outro": 4}
    >>> pop = ("intro", "verse", "pre-chorus", "chorus", "verse", "pre-chorus", "chorus", "bridge", "chorus", "outro")
    >>> " ".join(f"{k}:{b}" for k, b in fit_form(pop, 80, bars, (("verse", "pre-chorus", "chorus"),)))
    'intro:8 verse:8 pre-chorus:4 chorus:8 verse:8 pre-chorus:4 chorus:8 bridge:8 chorus:16 outro:8'
    """
    secs: list[list] = [[k, int(section_bars.get(k, 4))] for k in form]
    if "chorus" not in form:
        secs.append(["chorus", int(section_bars.get("chorus", 8))])
    has_pre = "pre-chorus" in form
    blocks = [[k for k in b if has_pre or k != "pre-chorus"] for b in extend] or [["verse", "chorus"]]
    blocks = [b for b in blocks if b]  or [["verse", "chorus"]]
    _dedupe(secs)
    while _total(secs) > n_bars and _shrink_steps(secs):
        _dedupe(secs)
    if _total(secs) > n_bars:  # a single short chorus is all that is left
        secs = [["chorus", n_bars]]
    _grow(secs, n_bars, section_bars, blocks)
    # absorb the remainder (< 4 bars) in the outro, intro or last section
    rest = n_bars - _total(secs)
    for kind in ("outro", "intro"):
        i = _last_index(secs, kind)
        if i >= 0:
            secs[i][1] += rest
            break
    else:
        secs[-1][1] += rest
    # the odd remainder makes one section odd: keep it short (5 -> 3, 7 -> 3, 9 -> 5 bars) and
    # give the even rest to the intro (or the last verse), so short songs stay in 2- and 4-bar phrases
    odd = next((i for kind in ("outro", "intro") if (i := _last_index(secs, kind)) >= 0), -1)
    if odd >= 0 and secs[odd][1] % 2 == 1 and secs[odd][1] >= 5:
        moved = min(secs[odd][1] - 3, 4)
        to = next((i for kind in ("intro", "verse", "chorus") if (i := _last_index(secs, kind)) >= 0 and i != odd), -1)
        if to >= 0:
            secs[odd][1] -= moved
            secs[to][1] += moved
    merged: list[list] = []
    for k, b in secs:
        if b <= 0:
            continue
        if merged and merged[-1][0] == k:
            merged[-1][1] += b
        else:
            merged.append([k, b])
    return [(k, int(b)) for k, b in merged]


def _dedupe(secs: list[list]) -> None:
    """Drop the earlier of two adjacent sections of the same kind (in place)."""
    i = 1
    while i < len(secs):
        if secs[i][0] == secs[i - 1][0]:
            del secs[i - 1]
        else:
            i += 1


def name_sections(kinds: Sequence[str]) -> list[str]:
    """Unique names: ``"verse 1"``, ``"verse 2"`` for repeated kinds, the bare kind otherwise."""
    counts = Counter(kinds)
    seen: Counter = Counter()
    names = []
    for k in kinds:
        seen[k] += 1
        names.append(f"{k} {seen[k]}" if counts[k] > 1 else k)
    return names


def energy_curve(
    sections: Sequence[tuple[str, int]],
    base_energy: Mapping[str, float],
    *,
    offset: float = 0.0,
    arcs: Sequence[str] = (),
) -> np.ndarray:
    """Energy per bar, shaped inside sections.

    Rules: the kind's base energy plus ``offset``; repeated verses/choruses rise a
    little each time; a pre-chorus ramps up; an intro rises slightly, an outro
    falls, a break dips; ``"build"`` scales the song from 60 % to 100 %;
    ``"fade_out"`` makes the outro fall to near silence. Then the last chorus is
    lifted above every other bar and intro/outro/break bars are kept below every
    other section's bars.

    Returns
    -------
    np.ndarray [shape=(n_bars,)], float64 in [0.05, 1]
    """
    n_total = sum(b for _, b in sections)
    out = np.zeros(n_total)
    seen: Counter = Counter()
    bar = 0
    for kind, bars in sections:
        seen[kind] += 1
        base = float(base_energy.get(kind, 0.5)) + offset + 0.035 * (seen[kind] - 1) * (kind in ("verse", "chorus", "pre-chorus"))
        t = np.arange(bars) / max(bars - 1, 1)
        if kind == "pre-chorus":
            shape = base - 0.08 + 0.16 * t
        elif kind == "intro":
            shape = base - 0.04 + 0.08 * t
        elif kind == "outro":
            shape = base + 0.04 - (0.35 if "fade_out" in arcs else 0.12) * t
        elif kind == "break":
            shape = base - 0.03 + 0.06 * t**2
        elif kind == "verse":
            shape = base + 0.05 * t
        else:
            shape = np.full(bars, base)
        out[bar : bar + bars] = shape
        bar += bars
    if "build" in arcs and n_total > 1:
        out *= 0.6 + 0.4 * np.arange(n_total) / (n_total - 1)
    out = np.clip(out, 0.05, 0.95)
    kinds = [k for k, b in sections for _ in range(b)]
    is_low = np.array([k in LOW_KINDS for k in kinds])
    last_chorus = max((i for i, (k, _) in enumerate(sections) if k == "chorus"), default=None)
    in_last = np.zeros(n_total, dtype=bool)
    if last_chorus is not None:
        start = sum(b for _, b in sections[:last_chorus])
        in_last[start : start + sections[last_chorus][1]] = True
        others = out[~in_last]
        peak = max(float(others.max()) + 0.05 if others.size else 0.0, float(base_energy.get("chorus", 0.8)) + offset + 0.1)
        if "big_final_chorus" in arcs:
            peak = 1.0
        out[in_last] = np.maximum(out[in_last], min(peak, 1.0))
    mid = ~is_low & ~in_last
    if is_low.any() and mid.any():
        floor = float(out[mid].min())
        out[is_low] = np.minimum(out[is_low], max(floor - 0.03, 0.05))
    if last_chorus is not None and (~in_last).any():
        out[~in_last] = np.minimum(out[~in_last], out[in_last].min() - 0.01) if out[in_last].min() > 0.06 else out[~in_last]
    return np.clip(np.round(out, 4), 0.05, 1.0)
