"""The lieder-trained melody model: shipped weights, constrained decoding, evaluation maths, data extraction."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from lemm.compose.context import build_context
from lemm.compose.lyrics_align import syllable_rhythm
from lemm.compose.melody import generate_melody, melody_range
from lemm.compose.melody.data import QUALITIES, QUALITY_TEMPLATES, TEST_LIST, extract_song, name_chord, split_of
from lemm.compose.melody.mgeval import (
    compare_sets,
    distances,
    kl_divergence,
    melody_features,
    overlap_area,
    pitch_class_entropy,
    scale_consistency,
)
from lemm.compose.melody.model import DEFAULT_WEIGHTS, load_model
from lemm.compose.melody.tokens import key_shift
from lemm.compose.plan_model import Plan, PlanSection
from lemm.errors import LemmError
from lemm.seeding import make_rng
from lemm.text.syllables import syllabify

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "openscore-lieder"
LINES = syllabify("Walking down the river road tonight\nevery little window full of light\nhold me now and never let me go\nsinging in the morning soft and slow")


@pytest.fixture(scope="module")
def ctx():
    sections = (PlanSection("verse", "verse", 8, 0.5), PlanSection("chorus", "chorus", 8, 0.8))
    plan = Plan(genre="pop", tempo_bpm=110.0, sections=sections, energy_per_bar=(0.5,) * 8 + (0.8,) * 8, key_tonic="D", key_mode="major")
    return build_context(plan, seed=3)


def _sung(ctx, index, seed, method="model"):
    rng = make_rng(seed)
    start = ctx.section_bounds(index)[0] * ctx.bar_ticks
    rhythm, sylls = [], []
    for k, line in enumerate(LINES):
        syl = [s for w in line.words for s in w.syllables]
        rhythm.append(syllable_rhythm(ctx, start + k * 2 * ctx.bar_ticks, 2 * ctx.beats_per_bar, syl, rng))
        sylls.append([s.syllabic for s in syl])
    notes = generate_melody(ctx, index, preset="voice_high", rng=rng, method=method, rhythm=rhythm, syllables=sylls)
    return notes, rhythm, sylls


def test_weights_load_and_are_small():
    m = load_model()
    n_params = sum(p.numel() for p in m.net.parameters())
    assert 2e5 < n_params < 1e7
    assert DEFAULT_WEIGHTS.stat().st_size <= 20 * 2**20
    assert load_model() is m  # cached


def test_generation_is_deterministic_and_seed_dependent(ctx):
    a = _sung(ctx, 1, 7)[0]
    b = _sung(ctx, 1, 7)[0]
    c = _sung(ctx, 1, 8)[0]
    assert a == b
    assert [n.pitch for n in a] != [n.pitch for n in c]


def test_one_note_per_syllable_in_range_and_in_key(ctx):
    for index in (0, 1):
        notes, rhythm, sylls = _sung(ctx, index, 11)
        assert len(notes) == sum(len(s) for s in sylls) == sum(len(r) for r in rhythm)
        assert [(n.start_tick) for n in notes] == [t for ph in rhythm for t, _ in ph]
        low, high = melody_range("voice_high", ctx.plan.sections[index].kind)
        assert all(low <= n.pitch <= high for n in notes)
        assert scale_consistency([n.pitch for n in notes]) >= 0.95
        strong = [n for n in notes if ctx.metric_weight(n.start_tick) >= 0.75]
        share = np.mean([n.pitch % 12 in ctx.chord_at(n.start_tick).chord.pitch_classes for n in strong])
        assert share >= 0.7


def test_instrumental_model_melody(ctx):
    notes = generate_melody(ctx, 1, preset="synth_lead", rng=make_rng(2), method="model")
    low, high = melody_range("synth_lead", "chorus")
    assert notes and all(low <= n.pitch <= high for n in notes)
    assert notes == generate_melody(ctx, 1, preset="synth_lead", rng=make_rng(2), method="model")


def test_missing_and_corrupt_weights_raise_lemm_error(tmp_path):
    missing = tmp_path / "nope.safetensors"
    with pytest.raises(LemmError, match="nope.safetensors"):
        load_model(missing)
    bad = tmp_path / "melody_v2.safetensors"
    bad.write_bytes(b"\x00\x01not a safetensors file")
    shutil.copy(DEFAULT_WEIGHTS.with_suffix(".json"), tmp_path / "melody_v2.json")
    with pytest.raises(LemmError, match=str(bad)):
        load_model(bad)
    truncated = tmp_path / "trunc" / "melody_v2.safetensors"
    truncated.parent.mkdir()
    truncated.write_bytes(DEFAULT_WEIGHTS.read_bytes()[:5000])
    shutil.copy(DEFAULT_WEIGHTS.with_suffix(".json"), truncated.with_suffix(".json"))
    with pytest.raises(LemmError, match="trunc"):
        load_model(truncated)
    no_config = tmp_path / "nocfg" / "melody_v2.safetensors"
    no_config.parent.mkdir()
    shutil.copy(DEFAULT_WEIGHTS, no_config)
    with pytest.raises(LemmError, match="melody_v2.json"):
        load_model(no_config)


def test_overlap_area_and_kl_against_closed_forms():
    grid = np.linspace(-6.0, 7.0, 4001)
    h = 0.5
    # two unit kernels one apart: OA = 2 Phi(-d / 2h); KL = d^2 / (2 h^2)
    assert overlap_area(np.array([0.0]), np.array([1.0]), grid, bandwidth=h) == pytest.approx(2 * norm.cdf(-1.0), abs=1e-4)
    assert kl_divergence(np.array([0.0]), np.array([1.0]), grid, bandwidth=h) == pytest.approx(1.0 / (2 * h * h), rel=1e-3)
    x = np.array([0.0, 0.5, 2.0])
    assert overlap_area(x, x, grid) == pytest.approx(1.0, abs=1e-4)
    assert kl_divergence(x, x, grid) == pytest.approx(0.0, abs=1e-9)
    assert overlap_area(np.array([0.0]), np.array([50.0]), np.linspace(-5, 55, 3001), bandwidth=h) < 1e-6


def test_distances_and_features_by_hand():
    d = distances(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    assert sorted(d.tolist()) == pytest.approx([1.0, np.sqrt(18.0), 5.0])
    assert distances(np.array([[0.0]]), np.array([[2.0], [5.0]])).tolist() == [2.0, 5.0]
    f = melody_features([60, 62, 64, 60], [0.0, 1.0, 1.5, 2.0], [1.0, 0.5, 0.5, 2.0])
    assert f["pitch_count"][0] == 3 and f["pitch_range"][0] == 4
    assert f["avg_pitch_interval"][0] == pytest.approx(8 / 3)
    assert f["avg_ioi"][0] == pytest.approx(2 / 3)
    assert f["pitch_class_histogram"][[0, 2, 4]].tolist() == [0.5, 0.25, 0.25]
    assert f["pitch_class_transition_matrix"][0, 2] == pytest.approx(1 / 3)
    assert f["note_length_histogram"][[2, 3, 1]].tolist() == [0.25, 0.5, 0.25]
    sets = {"a": [f, f], "b": [f, f]}
    res = compare_sets(sets, [("a", "b")], n_grid=200)
    assert set(res["a|b"]) == set(f)
    assert pitch_class_entropy([60, 62, 64, 60]) == pytest.approx(1.5)
    assert scale_consistency([60, 61, 62, 63]) == pytest.approx(0.75)


def test_name_chord_templates_every_root():
    for q, tpl in QUALITY_TEMPLATES[:8]:
        for root in range(12):
            prof = np.zeros(12)
            prof[[(root + i) % 12 for i in tpl]] = 1.0
            assert name_chord(prof, bass_pc=root) == (root, q), (QUALITIES[q], root)
    assert name_chord(np.zeros(12)) == (-1, -1)


def test_key_shift_moves_tonic_to_c():
    for tonic in range(12):
        s = key_shift(tonic)
        assert (tonic + s) % 12 == 0 and -6 <= s <= 5


def test_test_split_is_committed_and_disjoint():
    ids = TEST_LIST.read_text().split()
    assert len(ids) > 100 and all(split_of(i) == "test" for i in ids)


@pytest.mark.skipif(not (CORPUS / "mxl").is_dir(), reason=f"OpenScore Lieder corpus not found at {CORPUS}")
def test_extractor_on_lieder_files_matches_music21():
    import music21

    for name in ("lc5001925", "lc5100073"):
        path = CORPUS / "mxl" / f"{name}.mxl"
        song = extract_song(path)
        n = len(song["pitch"])
        assert n >= 16 and len(song["onset"]) == len(song["dur"]) == len(song["syl"]) == len(song["text"]) == n
        assert set(song["syl"]) <= set("SBME-")
        assert all(np.diff(song["onset"]) > 0)
        assert all(30 <= p <= 90 for p in song["pitch"])
        assert len(song["chords"]) * 480 > song["onset"][-1]  # a chord (or -1) for every quarter the voice sings in
        assert song["keys"][0][2] in ("major", "minor") and song["times"][0][1] > 0
    score = music21.converter.parse(str(CORPUS / "mxl" / "lc5001925.mxl"))
    lyric_part = max(score.parts, key=lambda p: sum(1 for n in p.recurse().notes if n.lyric))
    ref = []
    for n in lyric_part.recurse().notes:
        if n.isChord or n.duration.isGrace:
            continue
        if n.tie is not None and n.tie.type in ("stop", "continue") and ref and ref[-1] == n.pitch.midi:
            continue
        ref.append(n.pitch.midi)
    ours = extract_song(CORPUS / "mxl" / "lc5001925.mxl")["pitch"]
    assert ours[:40] == ref[:40]


def test_lied_rhythm_one_onset_per_syllable_inside_the_slot(ctx):
    from lemm.compose.melody.rhythm import MIN_GAP_UNITS, lied_rhythm

    prior = load_model().config["rhythm_prior"]
    unit = ctx.resolution // 12
    for k, line in enumerate(LINES):
        syl = [s for w in line.words for s in w.syllables]
        start = k * 2 * ctx.bar_ticks
        r = lied_rhythm(ctx, start, 8, syl, make_rng(k), prior=prior)
        assert len(r) == len(syl)
        ticks = [t for t, _ in r]
        assert ticks == sorted(set(ticks)) and start <= ticks[0] < start + ctx.bar_ticks
        assert all(t % unit == 0 and d % unit == 0 and d > 0 for t, d in r)
        assert all(t + d == t2 for (t, d), (t2, _) in zip(r, r[1:], strict=False))  # legato inside the line
        assert r[-1][0] + r[-1][1] <= start + 8 * ctx.beat_ticks - MIN_GAP_UNITS * unit  # a rest before the next line
        assert r == lied_rhythm(ctx, start, 8, syl, make_rng(k), prior=prior)


def test_model_decoding_respects_chromatic_share(ctx):
    from lemm.compose.melody.model import PitchDecoder

    rhythm = [(i * 240, 240) for i in range(64)]
    for share, bound in ((0.0, 1), (0.05, 1 + 0.05 * 64)):  # one is allowed from the start
        dec = PitchDecoder(ctx, low=57, high=76, kind="verse", rng=make_rng(4), chromatic_rate=4.0, chromatic_share=share)
        pitches = dec.phrase(rhythm[:32]) + dec.phrase(rhythm[32:])
        outside = sum(p % 12 not in ctx.scale_pcs for p in pitches)
        assert outside <= bound


def test_section_novelty_bonus_spreads_the_distinct_pitch_count(ctx):
    from lemm.compose.melody.model import NOVELTY_BONUS_RANGE, PitchDecoder, section_novelty_bonus

    draws = [section_novelty_bonus(make_rng(s)) for s in range(1000)]
    low, high = NOVELTY_BONUS_RANGE
    assert low <= min(draws) < low + 0.05 and high - 0.05 < max(draws) <= high
    assert abs(np.mean(draws) - 1.0) < 0.15  # centred on the decoder's default
    rhythm = [(i * 480, 480) for i in range(32)]

    def distinct(bonus):
        return np.mean([len(set(PitchDecoder(ctx, low=57, high=76, kind="verse", rng=make_rng(s), novelty_bonus=bonus).phrase(rhythm)))
                        for s in range(6)])

    assert distinct(high) >= distinct(low) + 1.5  # a high bonus sings more distinct pitches per 32 notes
