"""The lieder rhythm model: counting against hand counts, exact sampling against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lemm.compose.context import build_context
from lemm.compose.melody.rhythm import (
    IOI_UNITS,
    LAST_UNITS,
    LENGTH_TILT,
    MIN_GAP_UNITS,
    N_KEYS,
    lied_rhythm,
    metric_key,
    rhythm_counts,
    rhythm_tables,
    song_styles,
)
from lemm.compose.plan_model import Plan, PlanSection
from lemm.seeding import make_rng
from lemm.text.syllables import Syllable

Q = 480  # ticks per quarter of the synthetic songs


def _song(onsets_q, durs_q, syl, *, num=4, den=4, n_bars=8):
    bar = num * 4 * Q // den
    return {
        "id": "x", "onset": [int(o * Q) for o in onsets_q], "dur": [int(d * Q) for d in durs_q], "syl": syl,
        "pitch": [60] * len(onsets_q), "bars": [b * bar for b in range(n_bars)], "times": [[0, num, den]],
        "keys": [[0, 0, "major"]], "chords": [],
    }


@pytest.fixture(scope="module")
def ctx():
    plan = Plan(genre="pop", tempo_bpm=100.0, sections=(PlanSection("verse", "verse", 4, 0.5),), energy_per_bar=(0.5,) * 4)
    return build_context(plan, seed=1)


def test_counts_by_hand():
    # bar 1: quarter, two eighths, half (phrase end), a quarter rest; bar 2: three quarters from beat 2 (the song's end)
    song = _song([0, 1, 1.5, 2, 5, 6, 7], [1, 0.5, 0.5, 2, 1, 1, 1], "BESSBES", n_bars=3)
    c = rhythm_counts([song], n_styles=1)
    ioi = np.asarray(c["ioi"])[0]
    start_k = len(IOI_UNITS)
    down, beat, mid = metric_key(0, level=0, compound=False), metric_key(0, level=2, compound=False), metric_key(0, level=1, compound=False)
    eighth_off = metric_key(6, level=3, compound=False)
    q, e = IOI_UNITS.index(12), IOI_UNITS.index(6)
    assert ioi[down, start_k, q] == 1  # first note: quarter from the downbeat
    assert ioi[beat, q, e] == 1 and ioi[eighth_off, e, e] == 1
    assert ioi[beat, start_k, q] == 1 and ioi[mid, q, q] == 1  # second phrase starts on beat 2 (tick 5 q)
    assert ioi.sum() == 5
    assert np.asarray(c["start"])[0, down] == 1 and np.asarray(c["start"])[0, beat] == 1
    last = np.asarray(c["last"])[0]
    assert last[mid, LAST_UNITS.index(24)] == 1 and last[beat, LAST_UNITS.index(12)] == 1 and last.sum() == 2  # song end too
    assert np.asarray(c["gap"])[12] == 1 and sum(c["gap"]) == 1  # the rest after the half note; none after the song
    stress = np.asarray(c["stress"])
    assert stress[0].tolist() == [1, 0, 1, 0, 0]  # B on the downbeat and on beat 2 (tick 5 q = bar 2, beat 2)
    assert stress.sum() == 7


def test_tables_are_distributions():
    songs = [_song(np.arange(16) * 0.5, [0.5] * 15 + [1.0], "S" * 16, n_bars=5), _song(np.arange(8) * 1.0, [1.0] * 8, "BE" * 4, n_bars=3)]
    t = rhythm_tables(rhythm_counts(songs, n_styles=2))
    assert t["ioi"].shape == (2, N_KEYS, len(IOI_UNITS) + 1, len(IOI_UNITS))
    assert np.allclose(t["ioi"].sum(axis=-1), 1.0) and np.allclose(t["last"].sum(axis=-1), 1.0)
    assert np.isclose(t["gap"].sum(), 1.0) and not t["gap"][:MIN_GAP_UNITS].any()
    assert sorted(song_styles(songs, 2).tolist()) == [0, 1]


def _syllables(n, stressed):
    return [Syllable("la", "single", bool(s)) for s in stressed[:n]]


def test_sampling_matches_brute_force_enumeration(ctx):
    """Two syllables in a 3-beat slot: sampled rhythms follow the model's exact conditional distribution.

    The last note is then held at least a beat where the slot's rest allows (the documented hold).
    """
    songs = [_song([0, 0.5, 1, 1.5, 2, 3, 3.75, 4, 5, 6], [0.5, 0.5, 0.5, 0.5, 1, 0.75, 0.25, 1, 1, 2], "SSBESSBESS", n_bars=4)]
    counts = rhythm_counts(songs, n_styles=1)
    t = rhythm_tables(counts)
    syl = _syllables(2, [1, 0])
    unit, n_grid = Q // 12, 3 * 12
    level = {1.0: 0, 0.75: 1, 0.55: 2, 0.3: 3}

    def key_level(g):
        w = ctx.metric_weight(g * unit)
        return metric_key(g % 12, level=level.get(w, 4), compound=False), level.get(w, 4)

    probs = {}
    for g0, k, li in itertools.product(range(n_grid), range(len(IOI_UNITS)), range(len(LAST_UNITS))):  # first onset: in the first bar
        g1 = g0 + IOI_UNITS[k]
        rest = n_grid - g1 - LAST_UNITS[li]
        if g1 >= n_grid or rest < MIN_GAP_UNITS:
            continue
        (k0, l0), (k1, l1) = key_level(g0), key_level(g1)
        tilt = (IOI_UNITS[k] / 12 * LAST_UNITS[li] / 12) ** LENGTH_TILT  # the documented length tilt
        p = t["start"][0, k0] * t["stress"][0, l0] * t["ioi"][0, k0, len(IOI_UNITS), k] * t["stress"][1, l1] * t["last"][0, k1, li] * t["gap"][rest] * tilt
        held = max(LAST_UNITS[li], min(12, n_grid - g1 - MIN_GAP_UNITS))  # the last syllable is held a beat where the rest allows
        key = ((g0 * unit, IOI_UNITS[k] * unit), (g1 * unit, held * unit))
        probs[key] = probs.get(key, 0.0) + p
    total = sum(probs.values())
    n_draws = 1500
    seen: dict = {}
    for i in range(n_draws):
        r = tuple(lied_rhythm(ctx, 0, 3, syl, make_rng(1000 + i), prior=counts))
        seen[r] = seen.get(r, 0) + 1
    assert set(seen) <= set(probs)
    for r, p in probs.items():
        expected = n_draws * p / total
        assert abs(seen.get(r, 0) - expected) <= 4 * np.sqrt(expected + 1) + 2, (r, seen.get(r, 0), expected)


def test_a_line_lands_on_a_held_note(ctx):
    """The last syllable lasts at least a beat unless the slot's closing rest would go under its minimum."""
    songs = [_song([0, 0.5, 1, 1.5, 2, 2.25, 2.5, 4], [0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 1], "SSBESSSS", n_bars=3)]
    counts = rhythm_counts(songs, n_styles=1)  # its only line ends on a sixteenth
    unit = Q // 12
    syl = _syllables(4, [1, 0, 1, 0])
    for i in range(60):
        notes = lied_rhythm(ctx, 0, 4, syl, make_rng(i), prior=counts)
        start, dur = notes[-1]
        assert dur >= min(Q, 4 * Q - start - MIN_GAP_UNITS * unit), notes
        assert start + dur <= 4 * Q - MIN_GAP_UNITS * unit


def test_style_is_one_per_song_with_a_contrasting_bridge(ctx):
    from dataclasses import replace

    from lemm.compose.melody import rhythm as rh

    style_p = np.full(10, 0.1)
    a = rh.song_style(ctx, style_p, kind="verse")
    assert rh.song_style(ctx, style_p, kind="chorus") == a and rh.song_style(ctx, style_p, kind="bridge") != a
    styles = {rh.song_style(replace(ctx, song_seed=s), style_p) for s in range(60)}
    assert len(styles) >= 8  # different songs (seeds) get different styles


def test_too_many_syllables_fall_back_to_the_rule_rhythm(ctx):
    songs = [_song(np.arange(16) * 0.5, [0.5] * 16, "S" * 16, n_bars=5)]
    syl = _syllables(30, [1, 0] * 15)
    r = lied_rhythm(ctx, 0, 4, syl, make_rng(0), prior=rhythm_counts(songs, n_styles=1))
    assert 0 < len(r) <= 30 and all(0 <= t < 4 * Q for t, _ in r)
