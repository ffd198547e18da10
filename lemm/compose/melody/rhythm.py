"""Lied rhythm: a count-based rhythm model learned from the lieder, sampled under the lyric constraints.

Used with ``method="model"`` in place of :func:`lemm.compose.lyrics_align.syllable_rhythm` (same slot
per lyric line, one note per syllable, the line's last syllable at the phrase end, a rest before
the next line). Time is on a grid of :data:`UNITS_PER_QUARTER` (12) units per quarter note, so
sixteenths, dotted rhythms and triplets all exist.

The model (:func:`rhythm_counts` counts it on the training songs; :func:`rhythm_tables` turns the
counts into probabilities) has five parts, each conditioned on the **metric key** of a note's
onset (:func:`metric_key`: simple or compound metre, offset inside the beat, and at a beat the
beat's strength: downbeat, mid-bar, other beat):

- ``ioi``: the inter-onset interval to the next note of the phrase given the key and the
  previous interval (a bigram, Witten-Bell interpolated with the key-only and the unconditional
  distributions);
- ``last``: the duration of a phrase's last note given its key;
- ``start``: the key of a phrase's first note;
- ``gap``: the rest after a phrase (half a beat or more; this also defines a phrase);
- ``stress``: how much likelier each metric strength is for a stressed, an unstressed, or a
  one-syllable word's syllable than for any syllable (the lieder's first syllable of a word of
  several stands for "stressed", its other syllables for "unstressed": German stresses the first).

:func:`lied_rhythm` samples one line's rhythm exactly from the model restricted to "``n`` notes
inside this slot" by backward filtering and forward sampling over (note, grid position, previous
interval); inside a phrase notes are legato (duration = inter-onset interval). When no rhythm of the
model fits (more syllables than sixteenths), the rule rhythm is used.

Examples
--------
>>> metric_key(0, level=0, compound=False), metric_key(6, level=3, compound=False)
(0, 9)
>>> IOI_UNITS[IOI_UNITS.index(6)] / UNITS_PER_QUARTER  # an eighth note
0.5
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from lemm.compose.context import section_of_bar
from lemm.compose.lyrics_align import syllable_rhythm
from lemm.compose.melody.mgeval import NOTE_LENGTHS
from lemm.compose.melody.rules import Phrase
from lemm.compose.text_setting import FINAL_HOLD_BEATS, downbeat_penalty, hold_penalty
from lemm.seeding import derive_seed, make_rng

__all__ = [
    "IOI_UNITS",
    "LAST_UNITS",
    "MAX_GAP_UNITS",
    "N_KEYS",
    "STRESS_CLASSES",
    "UNITS_PER_QUARTER",
    "lied_rhythm",
    "metric_key",
    "rhythm_counts",
    "rhythm_tables",
]

UNITS_PER_QUARTER = 12
#: Inter-onset intervals inside a phrase (units): 32nd-ish, 16th, triplet 8th, 8th, triplet quarter,
#: dotted 8th, quarter, ..., whole note.
IOI_UNITS = (2, 3, 4, 6, 8, 9, 12, 15, 16, 18, 21, 24, 30, 36, 42, 48)
#: Durations of a phrase's last note (units).
LAST_UNITS = (3, 4, 6, 8, 9, 12, 15, 18, 21, 24, 30, 36, 42, 48, 60, 72, 96)
#: Longest rest after a phrase that is counted (units; two 4/4 bars).
MAX_GAP_UNITS = 96
#: Shortest rest that ends a phrase (units; an eighth note), as ``phrase_counters`` uses in the tokens.
MIN_GAP_UNITS = 6
_SPAN = {False: 12, True: 18}  # units per beat: quarter (simple), dotted quarter (compound)
N_KEYS = 2 * 4 + 11 + 17
#: Stress classes: lieder syllabic ``B`` / ``M``, ``E`` / ``S`` / ``-`` (melisma note).
STRESS_CLASSES = ("stressed", "unstressed", "single", "melisma")
_STRESS_OF_SYLLABIC = {"B": 0, "M": 1, "E": 1, "S": 2, "-": 3}
_LEVELS = 5
#: Rhythm styles (clusters of the training songs by note-length histogram; one per song, another for its bridge: :func:`song_style`).
N_STYLES = 10  # metric strength 0 downbeat .. 4 finer than the subdivision
_WEIGHT_LEVEL = {1.0: 0, 0.75: 1, 0.55: 2, 0.3: 3}
#: Exponent of the tilt ``(length / quarter) ** LENGTH_TILT`` on the interval and last-note models: the
#: lieder sing quarters and longer about 43 % of the time, a pop line sampled from the untilted model about 30 %
#: (37 % with the tilt, over the form benchmark's songs).
LENGTH_TILT = 0.3


def metric_key(offset_units: int, *, level: int, compound: bool) -> int:
    """Index (0..:data:`N_KEYS` - 1) of a note onset's metric key.

    Parameters
    ----------
    offset_units : int
        Onset within its beat in units (``0..11`` simple, ``0..17`` compound; reduced modulo).
    level : int
        Metric strength of the onset (0 downbeat, 1 mid-bar, 2 other beat, 3 subdivision, 4 finer);
        only used at offset 0 (levels 3 and 4 there mean "a quarter that is not a beat").
    compound : bool
        Compound metre (6/8, 9/8, 12/8: the beat is a dotted quarter).
    """
    span = _SPAN[bool(compound)]
    off = int(offset_units) % span
    base = 0 if not compound else 4 + 11
    if off == 0:
        return base + min(int(level), 3)
    return base + 3 + off


def _nearest(value: int, choices: Sequence[int]) -> int:
    return int(np.argmin(np.abs(np.asarray(choices) - value)))


def _grid(num: int, den: int, tpq: int) -> tuple[int, int, int, int, bool]:
    bar = num * 4 * tpq // den
    compound = den == 8 and num % 3 == 0 and num > 3
    beat = max(1, 3 * tpq // 2 if compound else 4 * tpq // den)
    sub = max(1, beat // 3 if compound else beat // 2)
    return bar, beat, sub, max(1, bar // beat), compound


def _level(pos: int, bar: int, beat: int, sub: int, bpb: int) -> int:
    if pos % bar == 0:
        return 0
    pos %= bar
    if pos % beat == 0:
        return 1 if bpb % 2 == 0 and pos // beat == bpb // 2 else 2
    return 3 if pos % sub == 0 else 4


def song_styles(songs: Sequence[dict], n_styles: int, *, tpq: int = 480, n_iter: int = 30) -> np.ndarray:
    """Rhythm style per song: k-means (deterministic start) of the songs' note-length histograms.

    Returns
    -------
    np.ndarray [shape=(len(songs),)], int
        Style index per song in ``0..n_styles - 1``.
    """
    feats = np.zeros((len(songs), len(NOTE_LENGTHS)))
    for j, s in enumerate(songs):
        d = np.asarray(s["dur"], dtype=np.float64) / tpq
        feats[j] = np.bincount(np.argmin(np.abs(d[:, None] - NOTE_LENGTHS[None, :]), axis=1), minlength=len(NOTE_LENGTHS)) / max(len(d), 1)
    if n_styles <= 1 or len(songs) < n_styles:
        return np.zeros(len(songs), dtype=np.int64)
    mean_len = feats @ NOTE_LENGTHS
    order = np.argsort(mean_len, kind="stable")
    centres = feats[order[((np.arange(n_styles) + 0.5) * len(songs) / n_styles).astype(int)]]
    labels = np.zeros(len(songs), dtype=np.int64)
    for _ in range(n_iter):
        labels = np.argmin(((feats[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
        for c in range(n_styles):
            if np.any(labels == c):
                centres[c] = feats[labels == c].mean(axis=0)
    return labels


def rhythm_counts(songs: Sequence[dict], *, tpq: int = 480, n_styles: int = N_STYLES) -> dict:
    """Count the rhythm model's events on extracted songs (see the module docstring).

    Parameters
    ----------
    songs : sequence of dict
        Songs as :func:`lemm.compose.melody.data.load_dataset` returns them.
    tpq : int
        Ticks per quarter note of the songs (divisible by 12).

    Returns
    -------
    dict
        JSON-ready integer counts: ``ioi`` [shape=(N_KEYS, len(IOI_UNITS) + 1, len(IOI_UNITS))]
        (the middle axis is the previous interval, the last row "phrase start"), ``last``
        [shape=(N_KEYS, len(LAST_UNITS))], ``start`` [shape=(N_KEYS,)], ``gap``
        [shape=(MAX_GAP_UNITS + 1,)] and ``stress`` [shape=(4, 5)] (class x metric strength).
    """
    unit = tpq // UNITS_PER_QUARTER
    k_ioi = len(IOI_UNITS)
    labels = song_styles(songs, n_styles, tpq=tpq)
    ioi = np.zeros((n_styles, N_KEYS, k_ioi + 1, k_ioi), dtype=np.int64)
    last = np.zeros((n_styles, N_KEYS, len(LAST_UNITS)), dtype=np.int64)
    start = np.zeros((n_styles, N_KEYS), dtype=np.int64)
    gap = np.zeros(MAX_GAP_UNITS + 1, dtype=np.int64)
    stress = np.zeros((len(STRESS_CLASSES), _LEVELS), dtype=np.int64)
    for s, style in zip(songs, labels, strict=True):
        on, du, syl = s["onset"], s["dur"], s["syl"]
        bars, times = s["bars"] or [0], s["times"]
        t_ticks = [t[0] for t in times]
        n = len(on)
        keys = np.full(n, -1)
        for i in range(n):
            b = max(0, bisect.bisect_right(bars, on[i]) - 1)
            _, num, den = times[max(0, bisect.bisect_right(t_ticks, bars[b]) - 1)]
            bar, beat, sub, bpb, compound = _grid(num, den, tpq)
            pos = on[i] - bars[b]
            if pos % unit:
                continue
            lv = _level(pos, bar, beat, sub, bpb)
            keys[i] = metric_key(pos // unit, level=lv, compound=compound)
            stress[_STRESS_OF_SYLLABIC.get(syl[i], 2), lv] += 1
        prev = k_ioi  # phrase start
        for i in range(n):
            rest = (on[i + 1] - on[i] - du[i]) // unit if i + 1 < n else MAX_GAP_UNITS + 1
            final = rest >= MIN_GAP_UNITS
            if keys[i] >= 0 and prev == k_ioi:
                start[style, keys[i]] += 1
            if final:
                if keys[i] >= 0 and du[i] % unit == 0:
                    last[style, keys[i], _nearest(du[i] // unit, LAST_UNITS)] += 1
                if rest <= MAX_GAP_UNITS and (on[i + 1] - on[i] - du[i]) % unit == 0:
                    gap[rest] += 1
                prev = k_ioi
                continue
            step = on[i + 1] - on[i]
            if keys[i] < 0 or step % unit:
                prev = k_ioi
                continue
            k = _nearest(step // unit, IOI_UNITS)
            ioi[style, keys[i], prev, k] += 1
            prev = k
    songs_per_style = np.bincount(labels, minlength=n_styles)
    return {"ioi": ioi.tolist(), "last": last.tolist(), "start": start.tolist(), "gap": gap.tolist(), "stress": stress.tolist(), "songs_per_style": songs_per_style.tolist()}


def _witten_bell(counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Interpolate count rows [..., k] with a lower-order distribution [..., k] (broadcast)."""
    n = counts.sum(axis=-1, keepdims=True).astype(np.float64)
    types = (counts > 0).sum(axis=-1, keepdims=True).astype(np.float64)
    lam = np.where(n > 0, n / np.maximum(n + types, 1e-12), 0.0)
    ml = counts / np.maximum(n, 1.0)
    return lam * ml + (1.0 - lam) * lower


_TABLES: dict[int, tuple[dict, dict]] = {}


def rhythm_tables(counts: dict) -> dict:
    """Probabilities from :func:`rhythm_counts`'s counts (cached per counts object).

    Returns
    -------
    dict
        ``ioi`` [shape=(N_KEYS, K + 1, K)] rows summing to 1; ``last`` [shape=(N_KEYS, len(LAST_UNITS))];
        ``start`` [shape=(N_KEYS,)] relative weights (max 1); ``gap`` [shape=(MAX_GAP_UNITS + 1,)]
        (0 below :data:`MIN_GAP_UNITS`); ``stress`` [shape=(4, 5)] ratios ``P(strength | class) /
        P(strength)``.
    """
    hit = _TABLES.get(id(counts))
    if hit is not None and hit[0] is counts:
        return hit[1]
    ioi = np.asarray(counts["ioi"], dtype=np.float64)  # (styles, keys, prev, k)
    pooled = ioi.sum(axis=0)
    uni = pooled.sum(axis=(0, 1)) + 1.0
    uni /= uni.sum()
    by_key = _witten_bell(pooled.sum(axis=1), uni[None, :])
    p_pooled = _witten_bell(pooled, by_key[:, None, :])
    p_ioi = _witten_bell(ioi, _witten_bell(ioi.sum(axis=2), by_key[None])[:, :, None, :] * 0.5 + 0.5 * p_pooled[None])
    last = np.asarray(counts["last"], dtype=np.float64)
    last_uni = last.sum(axis=(0, 1)) + 1.0
    p_last_pooled = _witten_bell(last.sum(axis=0), (last_uni / last_uni.sum())[None, :])
    p_last = _witten_bell(last, p_last_pooled[None])
    start = np.asarray(counts["start"], dtype=np.float64) + 1.0
    start /= start.max(axis=1, keepdims=True)
    style_p = np.asarray(counts["songs_per_style"], dtype=np.float64)
    gap = np.asarray(counts["gap"], dtype=np.float64)
    units = np.arange(len(gap))
    gap = gap + np.where(units % 3 == 0, 0.5, 0.05)
    gap[:MIN_GAP_UNITS] = 0.0
    stress = np.asarray(counts["stress"], dtype=np.float64) + 1.0
    ratio = (stress / stress.sum(axis=1, keepdims=True)) / (stress.sum(axis=0) / stress.sum())[None, :]
    tables = {"ioi": p_ioi, "last": p_last, "start": start, "gap": gap / gap.sum(), "stress": ratio, "style_p": style_p / style_p.sum()}
    _TABLES.clear()
    _TABLES[id(counts)] = (counts, tables)
    return tables


def _stress_class(syllable) -> int:
    # The lieder data cannot tell a stressed one-syllable word from an unstressed one
    # (its "single" class mixes both); English lyrics can (CMUdict): a stressed word of
    # one syllable takes the stressed class, an unstressed one (the, a, and) the
    # unstressed class, so the words a listener hears as strong land on strong beats.
    return 0 if bool(getattr(syllable, "stressed", True)) else 1


def song_style(ctx, style_p: np.ndarray, *, kind: str = "verse") -> int:
    """The rhythm style of the song's sung lines: one per song (drawn from the song seed), so a song keeps
    one rhythmic character as a lied does; the bridge takes another style for contrast."""
    u = make_rng(derive_seed(int(getattr(ctx, "song_seed", 0)), "rhythm style")).random(2)
    cum = np.cumsum(style_p) / style_p.sum()
    base = int(min(np.searchsorted(cum, u[0], side="right"), len(style_p) - 1))
    if kind != "bridge":
        return base
    other = int(min(np.searchsorted(cum, u[1], side="right"), len(style_p) - 1))
    return other if other != base else (base + 1) % len(style_p)


def lied_rhythm(ctx, start_tick: int, n_beats: int, syllables, rng: np.random.Generator, *, prior: dict, function_words: Sequence[bool] | None = None) -> Phrase:
    """One note per syllable inside a slot, sampled from the lieder rhythm model.

    Parameters
    ----------
    ctx : ArrangeContext
    start_tick : int
        Slot start.
    n_beats : int
        Slot length in beats; the line's notes and the rest after them fill it.
    syllables : sequence of Syllable
        The line's syllables (``stressed`` and ``syllabic`` are used).
    rng : np.random.Generator
    prior : dict
        :func:`rhythm_counts` counts (the shipped model's ``config["rhythm_prior"]``).
    function_words : sequence of bool, optional
        One flag per syllable: function words (:mod:`lemm.compose.text_setting`) are kept off the
        downbeat and mid-bar (their weight there is multiplied by ``exp(-downbeat_penalty)``).
        Function words and unstressed syllables are kept off long notes the same way
        (``exp(-hold_penalty)`` on the interval to the next note).

    Returns
    -------
    list of (start_tick, duration_ticks)
        ``len(syllables)`` notes, legato, starting in the slot's first bar, ending at least half a
        beat before the slot ends (the rule rhythm when the line does not fit). The last note is
        held at least a beat where that rest allows: a line lands on a held note (its last word
        heard), whatever length the model drew for it.
    """
    n = len(syllables)
    if n == 0:
        return []
    unit = ctx.resolution // UNITS_PER_QUARTER
    slot_ticks = n_beats * ctx.beat_ticks
    n_grid = slot_ticks // unit if unit * UNITS_PER_QUARTER == ctx.resolution else 0
    if n_grid < 2 * n + MIN_GAP_UNITS:
        return syllable_rhythm(ctx, start_tick, n_beats, syllables, rng, function_words=function_words)
    tab = rhythm_tables(prior)
    style = song_style(ctx, tab["style_p"], kind=section_of_bar(ctx.plan, start_tick // ctx.bar_ticks).kind)
    span = _SPAN[bool(ctx.compound)] * ctx.resolution // UNITS_PER_QUARTER
    ticks = start_tick + unit * np.arange(n_grid)
    keys = np.array([metric_key(((t % ctx.bar_ticks) % span) // unit, level=_WEIGHT_LEVEL.get(ctx.metric_weight(int(t)), 4), compound=ctx.compound) for t in ticks])
    levels = np.array([_WEIGHT_LEVEL.get(ctx.metric_weight(int(t)), 4) for t in ticks])
    stress = np.stack([tab["stress"][_stress_class(s), levels] for s in syllables])  # (n, n_grid)
    if function_words is not None:
        weights_at = np.array([ctx.metric_weight(int(t)) for t in ticks])
        for i, fw in enumerate(function_words[:n]):
            if fw:
                stress[i] *= np.exp(-np.array([downbeat_penalty(weight=w, function_word=True, stressed=False) for w in weights_at]))
    k_ioi = len(IOI_UNITS)
    steps = np.asarray(IOI_UNITS)
    tilt = LENGTH_TILT
    p_ioi = tab["ioi"][style][keys] * (steps / UNITS_PER_QUARTER) ** tilt  # (n_grid, K + 1, K)
    # terminal: last note at g, duration L, rest n_grid - g - L >= MIN_GAP_UNITS
    lens = np.asarray(LAST_UNITS)
    rest = n_grid - np.arange(n_grid)[:, None] - lens[None, :]
    gap = tab["gap"]
    end_w = tab["last"][style][keys] * (lens[None, :] / UNITS_PER_QUARTER) ** tilt * np.where((rest >= MIN_GAP_UNITS) & (rest < len(gap)), gap[np.clip(rest, 0, len(gap) - 1)], 0.0)
    beta = np.zeros((n, n_grid, k_ioi + 1))
    beta[n - 1] = end_w.sum(axis=1)[:, None]
    weights = [None] * n  # weights[i][g, k]: note i at g, its interval k, then note i + 1
    step_beats = steps * unit / ctx.beat_ticks
    for i in range(n - 2, -1, -1):
        w = np.zeros((n_grid, k_ioi))
        for k, step in enumerate(steps):
            if step < n_grid:
                w[: n_grid - step, k] = stress[i + 1, step:] * beta[i + 1, step:, k]
        fw = function_words is not None and i < len(function_words) and bool(function_words[i])
        if fw or not syllables[i].stressed:  # note i's interval is how long syllable i is held
            w *= np.exp(-hold_penalty(beats=step_beats, function_word=fw, stressed=bool(syllables[i].stressed)))[None, :]
        scale = w.max()
        if scale <= 0:
            return syllable_rhythm(ctx, start_tick, n_beats, syllables, rng, function_words=function_words)
        w /= scale
        weights[i] = w
        beta[i] = np.einsum("gpk,gk->gp", p_ioi, w)
    first = min(n_grid, max(1, ctx.bar_ticks // unit))
    pi = tab["start"][style][keys[:first]] * stress[0, :first] * beta[0, :first, k_ioi]
    if pi.sum() <= 0:
        return syllable_rhythm(ctx, start_tick, n_beats, syllables, rng, function_words=function_words)
    g = int(rng.choice(first, p=pi / pi.sum()))
    onsets = [g]
    prev = k_ioi
    for i in range(n - 1):
        p = p_ioi[g, prev] * weights[i][g]
        k = int(rng.choice(k_ioi, p=p / p.sum()))
        g += int(steps[k])
        prev = k
        onsets.append(g)
    p = end_w[g]
    last = int(lens[int(rng.choice(len(lens), p=p / p.sum()))])
    # the line lands on a held note: its last syllable is held at least a beat where the rest after it allows
    last = max(last, min(int(FINAL_HOLD_BEATS * ctx.beat_ticks) // unit, n_grid - g - MIN_GAP_UNITS))
    out: Phrase = []
    for a, b in zip(onsets[:-1], onsets[1:], strict=False):
        out.append((start_tick + a * unit, (b - a) * unit))
    out.append((start_tick + onsets[-1] * unit, last * unit))
    return out
