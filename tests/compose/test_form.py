"""Song form: labelled lyric sheets, verses that return, pre-choruses that sing, text setting, fuller bands."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.context import build_context
from lemm.compose.lyric_sheet import form_from_sheet, parse_label, parse_lyric_sheet
from lemm.compose.plan_model import Plan, PlanSection
from lemm.compose.planner import make_plan
from lemm.compose.profiles import load_profile
from lemm.compose.reprise import adapt_line
from lemm.compose.text_setting import is_function_word
from lemm.errors import ParameterError

SHEET = """[Intro]

[Verse 1]
Lanterns swinging on the harbour
fishing nets are drying slow
every sailor has a sweetheart
waiting where the tulips grow

[Pre-Chorus]
Can you feel the weather turning
can you hear the morning bell

[Chorus]
Sail away, sail away with me
past the edge of the open sea
sail away where the lanterns burn
till the tide and the stars return

[Verse 2]
Grandpa carves a wooden sparrow
sister sings a silly rhyme
all the clocks along the corner
never seem to tell the time

[Pre-Chorus]

[Chorus]
"""

PLAIN = """Lanterns swinging on the harbour
fishing nets are drying slow
every sailor has a sweetheart
waiting where the tulips grow

Sail away, sail away with me
past the edge of the open sea
sail away where the lanterns burn
till the tide and the stars return

Grandpa carves a wooden sparrow
sister sings a silly rhyme
all the clocks along the corner
never seem to tell the time
"""


@pytest.fixture(scope="module")
def labelled_song():
    plan = make_plan(Brief(tags=("pop",), lyrics=SHEET, duration_seconds=120.0, seed=5))
    return plan, compose_score(plan, lyrics=SHEET, seed=5)


def _sung(score, sec) -> list:
    return [n for n in score.track("vocal").notes if sec.start_tick <= n.start_tick < sec.end_tick]


def _words(sheet_block) -> list[str]:
    return [s.text for ln in sheet_block.lines for w in ln.words for s in w.syllables]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[Verse 1]", ("verse", 1)), ("[VERSE]", ("verse", 1)), ("[Pre-Chorus]", ("pre-chorus", 1)), ("[pre chorus]", ("pre-chorus", 1)),
        ("[Prechorus 2]", ("pre-chorus", 1)), ("[Chorus x2]", ("chorus", 2)), ("[Hook]", ("chorus", 1)), ("(Refrain)", ("chorus", 1)),
        ("[Bridge]", ("bridge", 1)), ("[Outro]", ("outro", 1)), ("[Verse 2: Mara]", ("verse", 1)), ("Chorus:", ("chorus", 1)),
        ("  Verse 3:  ", ("verse", 1)), ("[Post-Chorus]", ("post-chorus", 1)), ("[Guitar Solo]", ("break", 1)),
        ("(ooh yeah)", None), ("[Spoken]", None), ("Hold on to me", None), ("the verse is long", None), ("Chorus of birds", None),
    ],
)
def test_label_parsing(line, expected):
    assert parse_label(line) == expected


def test_sheet_blocks_repeats_and_unlabelled_text():
    sheet = parse_lyric_sheet(SHEET)
    assert sheet.labelled
    assert [b.kind for b in sheet.blocks] == ["intro", "verse", "pre-chorus", "chorus", "verse", "pre-chorus", "chorus"]
    assert [len(b.lines) for b in sheet.blocks] == [0, 4, 2, 4, 4, 2, 4]
    # an empty label repeats its kind's last block; labels are never sung as words
    assert sheet.blocks[5].text == sheet.blocks[2].text and sheet.blocks[6].text == sheet.blocks[3].text
    assert all(w.text.lower() not in ("verse", "chorus", "intro") for ln in sheet.lines for w in ln.words)
    twice = parse_lyric_sheet("[Chorus x2]\nhold me now\n[Spoken]\n[Verse]\nwalking home")
    assert [(b.kind, b.text) for b in twice.blocks] == [("chorus", ("hold me now",)), ("chorus", ("hold me now",)), ("verse", ("walking home",))]
    plain = parse_lyric_sheet(PLAIN)
    assert not plain.labelled and len(plain.blocks) == 3
    with pytest.raises(ParameterError, match="lyrics"):
        parse_lyric_sheet("[Verse 1]\n[Chorus]\n")


def test_form_from_sheet_fits_any_length():
    sheet = parse_lyric_sheet(SHEET)
    bars = {"intro": 4, "verse": 8, "chorus": 8, "outro": 4, "break": 8}
    for n in (6, 17, 30, 44, 80, 160):
        form = form_from_sheet(sheet, n, bars_per_line=2, section_bars=bars)
        assert sum(b for _, b in form) == n and all(b >= 1 for _, b in form)
        kinds = [k for k, _ in form]
        assert "chorus" in kinds
        sung = [k for k in kinds if k not in ("intro", "outro", "break")]
        assert sung == [b.kind for b in sheet.blocks if b.lines][: len(sung)] or n < 20  # the sheet's order, cut at the end
    assert [k for k, _ in form_from_sheet(sheet, 44, bars_per_line=2, section_bars=bars)][-1] == "chorus"  # the sheet's own intro, no room for an outro
    assert [k for k, _ in form_from_sheet(sheet, 48, bars_per_line=2, section_bars=bars)] == ["intro", "verse", "pre-chorus", "chorus", "verse", "pre-chorus", "chorus", "outro"]


def test_labels_shape_the_plan_and_each_section_sings_its_block(labelled_song):
    plan, score = labelled_song
    sheet = parse_lyric_sheet(SHEET)
    sung_kinds = [s.kind for s in plan.sections if s.kind in ("verse", "pre-chorus", "chorus")]
    assert sung_kinds == ["verse", "pre-chorus", "chorus", "verse", "pre-chorus", "chorus"]
    blocks = [b for b in sheet.blocks if b.lines]
    secs = [s for s in score.sections if s.kind in ("verse", "pre-chorus", "chorus")]
    for sec, block in zip(secs, blocks, strict=True):
        assert [n.lyric.text for n in _sung(score, sec)] == _words(block), sec.name
    # the chorus text is sung as often as the sheet asks (twice), no more
    assert sum(bool(_sung(score, s)) for s in score.sections if s.kind == "chorus") == 2


def test_verses_share_a_varied_melody(labelled_song):
    _, score = labelled_song
    v1, v2 = (s for s in score.sections if s.kind == "verse")
    a = {(n.start_tick - v1.start_tick, n.pitch) for n in _sung(score, v1)}
    b = {(n.start_tick - v2.start_tick, n.pitch) for n in _sung(score, v2)}
    f1 = 2 * len(a & b) / (len(a) + len(b))
    assert 0.5 <= f1 < 0.95, f1
    # an unrelated tune (the chorus against the verse) shares far less
    c = next(s for s in score.sections if s.kind == "chorus")
    other = {(n.start_tick - c.start_tick, n.pitch) for n in _sung(score, c)}
    assert 2 * len(a & other) / (len(a) + len(other)) < 0.3


def test_adapt_line_splits_merges_and_keeps_function_words_off_the_downbeat():
    plan = Plan(genre="pop", tempo_bpm=100.0, sections=(PlanSection("verse", "verse", 2, 0.5),), energy_per_bar=(0.5, 0.5))
    ctx = build_context(plan, seed=0)
    q = ctx.beat_ticks
    template = [(0, q - 6, 64), (q, q - 6, 65), (2 * q, q - 6, 67), (3 * q, q - 6, 65), (4 * q, 2 * q - 6, 64)]  # sounding lengths
    same = adapt_line(ctx, template, start_tick=0, span_ticks=8 * q, stressed=[True, False, True, False, True], function_words=[False] * 5)
    assert [(t, p) for t, _, p in same] == [(t, p) for t, _, p in template]
    more = adapt_line(ctx, template, start_tick=0, span_ticks=8 * q, stressed=[True, False, True, False, True, False], function_words=[False] * 6)
    assert len(more) == 6 and {t for t, _, _ in template} <= {t for t, _, _ in more}
    assert more[-1][0] == 4 * q and more[-1][1] == 2 * q  # the phrase end and its held note stay
    fewer = adapt_line(ctx, template, start_tick=0, span_ticks=8 * q, stressed=[True, True, True, True], function_words=[False] * 4)
    assert len(fewer) == 4 and {t for t, _, _ in fewer} < {t for t, _, _ in template}
    # "the" first: the template's downbeat note is left out rather than sung on "the"
    art = adapt_line(ctx, template, start_tick=0, span_ticks=8 * q, stressed=[False, True, True, False, True], function_words=[True, False, False, False, False])
    assert art[0][0] % ctx.bar_ticks != 0


def test_pre_choruses_sing_in_unlabelled_songs():
    plan = make_plan(Brief(tags=("pop",), lyrics=PLAIN, duration_seconds=150.0, seed=2))
    score = compose_score(plan, lyrics=PLAIN, seed=2)
    pres = [s for s in score.sections if s.kind == "pre-chorus"]
    assert pres
    bar = score.meters[0].bar_ticks(score.resolution)
    vocal = score.track("vocal").notes
    for sec in pres:
        bars = range(sec.start_tick, sec.end_tick, bar)
        voiced = [any(n.start_tick < b + bar and n.end_tick > b for n in vocal) for b in bars]
        assert np.mean(voiced) >= 0.9, sec.name


def test_function_words_stay_off_downbeats(labelled_song):
    _, score = labelled_song
    bar = score.meters[0].bar_ticks(score.resolution)
    notes = score.track("vocal").notes
    words, current = [], []
    for n in notes:  # the word each syllable belongs to
        current.append(n)
        if n.lyric.syllabic in ("single", "end"):
            words += ["".join(x.lyric.text for x in current)] * len(current)
            current = []
    words += ["".join(x.lyric.text for x in current)] * len(current)
    down = [is_function_word(w) for n, w in zip(notes, words, strict=True) if n.start_tick % bar == 0]
    chance = np.mean([is_function_word(w) for w in words])
    assert len(down) >= 10 and np.mean(down) <= 0.25 and np.mean(down) < chance


def test_full_band_profiles_and_parts_that_enter_by_section(labelled_song):
    _, score = labelled_song
    for genre in ("pop", "rock", "funk", "country", "edm", "indie", "rnb", "cinematic", "hip-hop", "ballad"):
        assert 6 <= len(load_profile(genre).parts) <= 10, genre
    parts = [t for t in score.tracks if t.role != "vocal" and t.notes]
    assert len(parts) >= 6
    strings = score.track("strings")
    assert strings.notes and all(s.kind in ("chorus", "bridge", "post-chorus") for n in strings.notes for s in score.sections if s.start_tick <= n.start_tick < s.end_tick)
    riser = score.track("riser").notes
    pre = [s for s in score.sections if s.kind == "pre-chorus"]
    assert riser and all(any(s.start_tick <= n.start_tick < s.end_tick for s in pre) for n in riser)
    # the drop: the band's pitched parts rest in the pre-chorus's last beat
    for sec in pre:
        last_beat = sec.end_tick - score.resolution
        for name in ("bass", "piano"):
            assert not [n for n in score.track(name).notes if last_beat <= n.start_tick < sec.end_tick or n.start_tick < last_beat < n.end_tick]


def test_labelled_song_is_deterministic(labelled_song):
    plan, score = labelled_song
    assert compose_score(plan, lyrics=SHEET, seed=5) == score


def test_pickup_moves_a_line_by_half_bars_onto_its_first_stress():
    from lemm.compose.pickups import pickup_shift

    plan = Plan(genre="pop", tempo_bpm=100.0, sections=(PlanSection("verse", "verse", 4, 0.5),), energy_per_bar=(0.5,) * 4)
    ctx = build_context(plan, seed=1)
    bar = ctx.bar_ticks
    # "and the THUN-der" with THUN on beat 3 of the slot's bar: the line moves half a bar earlier
    onsets = [bar + 480, bar + 720, bar + 960, bar + 1440]
    args = {"slot_start": bar, "stressed": [False, False, True, False], "function_words": [True, True, False, False]}
    assert pickup_shift(ctx, onsets, earliest=bar - 960, **args) == 960
    assert pickup_shift(ctx, onsets, earliest=bar, **args) == 0  # no room after the line before
    assert pickup_shift(ctx, [bar + 240, bar + 480, bar + 720, bar + 960], earliest=0, **args) == 0  # THUN off the half bar
    assert pickup_shift(ctx, onsets, earliest=0, slot_start=bar, stressed=[True] * 4, function_words=[False] * 4) == 0  # starts stressed


def test_sung_lines_with_pickups_land_their_first_stress_on_the_bar():
    from lemm.compose import pickups

    calls = []
    original = pickups.pickup_shift

    def spy(ctx, onsets, **kw):
        shift = original(ctx, onsets, **kw)
        calls.append((shift, kw["slot_start"], onsets, kw["earliest"]))
        return shift

    plan = make_plan(Brief(tags=("pop",), lyrics=SHEET, duration_seconds=60.0, seed=1))
    pickups.pickup_shift = spy
    try:
        score = compose_score(plan, lyrics=SHEET, seed=1)
    finally:
        pickups.pickup_shift = original
    moved = [c for c in calls if c[0]]
    assert calls and moved
    vocal = {n.start_tick: n for n in score.track("vocal").notes}
    for shift, slot_start, onsets, earliest in moved:
        assert onsets[0] - shift >= earliest and (slot_start in vocal)  # a stressed syllable now on the bar line
        assert all(t - shift in vocal for t in onsets)  # the whole line moved


def test_opening_rhythm_draws_again_until_the_first_stress_is_on_a_strong_beat():
    from lemm.compose.pickups import OPENING_TRIES, opening_rhythm
    from lemm.seeding import make_rng

    plan = Plan(genre="pop", tempo_bpm=100.0, sections=(PlanSection("verse", "verse", 4, 0.5),), energy_per_bar=(0.5,) * 4)
    ctx = build_context(plan, seed=1)
    off = [(240, 240), (480, 240), (720, 240), (960, 480)]  # "and the THUN-der": THUN on beat 2.5 (weak)
    on = [(480, 240), (720, 240), (960, 480), (1440, 480)]  # THUN on beat 3 (mid-bar)
    flags = {"stressed": [False, False, True, False], "function_words": [True, True, False, False]}
    rng = make_rng(3)
    used = []

    def from_list(items):
        it = iter(items)

        def draw(g):
            used.append(g)
            return next(it)
        return draw

    assert opening_rhythm(ctx, from_list([off, off, on, off]), rng, **flags) == on
    assert used[0] is rng and all(g is used[1] and g is not rng for g in used[1:])  # redraws from one spawned generator
    assert rng.random() == make_rng(3).random()  # the section's own stream is untouched by the redraws
    draws = from_list([off] * OPENING_TRIES + [on])
    assert opening_rhythm(ctx, draws, rng, **flags) == off  # never found: the first draw, after OPENING_TRIES draws
    assert draws(rng) == on
    assert opening_rhythm(ctx, from_list([off, on]), rng, stressed=[True] * 4, function_words=[False] * 4) == off  # opens stressed


def test_section_first_lines_open_with_a_pickup_into_a_strong_beat(labelled_song):
    from lemm.compose.pickups import MAX_PICKUP_SYLLABLES, first_stress_index
    from lemm.compose.text_setting import syllable_flags

    sheet = parse_lyric_sheet(SHEET)
    songs = [labelled_song] + [(p, compose_score(p, lyrics=SHEET, seed=seed)) for p, seed in (
        (make_plan(Brief(tags=(genre,), lyrics=SHEET, duration_seconds=120.0, seed=seed)), seed) for genre, seed in (("rock", 2), ("folk", 3), ("ballad", 4)))]
    openings = landed = 0
    for plan, score in songs:
        ctx = build_context(plan, seed=0, resolution=score.resolution)
        for sec in score.sections:
            notes = _sung(score, sec)
            block = next((b for b in sheet.blocks if b.kind == sec.kind and b.lines), None)
            if not notes or block is None:
                continue
            line = block.lines[0]
            syl = [s for w in line.words for s in w.syllables]
            if [n.lyric.text.lower() for n in notes[:2]] != [s.text.lower() for s in syl[:2]]:
                continue  # a section singing another block first (verse 2...)
            k = first_stress_index([s.stressed for s in syl], syllable_flags(line))
            if k is not None and 1 <= k <= MAX_PICKUP_SYLLABLES:
                openings += 1
                landed += ctx.metric_weight(notes[k].start_tick) >= 0.75  # downbeat or mid-bar
    assert openings >= 6 and landed == openings  # one draw only: 3 of 7


def test_adapt_line_gives_the_held_note_to_a_stressed_syllable_not_a_function_word():
    # the template holds its fourth note for three beats; sung to "from end to end" (one note fewer),
    # the hold must go to "end", not to "to"
    plan = Plan(genre="pop", tempo_bpm=100.0, sections=(PlanSection("verse", "verse", 2, 0.5),), energy_per_bar=(0.5, 0.5))
    ctx = build_context(plan, seed=0)
    q = ctx.beat_ticks
    template = [(0, q - 6, 64), (q, q - 6, 65), (2 * q, q - 6, 67), (3 * q, 3 * q - 6, 65), (6 * q, 2 * q - 6, 64)]
    stressed, words = [False, True, False, True], [True, False, True, False]
    notes = adapt_line(ctx, template, start_tick=0, span_ticks=8 * q, stressed=stressed, function_words=words)
    assert len(notes) == 4 and notes[-1][0] == 6 * q  # one note per syllable; the phrase end stays
    to = notes[2]
    assert to[1] <= q, notes  # "to" is not held (main held it for three beats)
    assert notes[1][1] > 2 * q  # "end" takes the hold


def test_hold_penalty_grows_with_the_beats_held_and_spares_stressed_syllables():
    from lemm.compose.text_setting import hold_penalty

    assert hold_penalty(beats=1.0, function_word=True, stressed=False) == 0.0
    assert hold_penalty(beats=3.0, function_word=True, stressed=False) > hold_penalty(beats=3.0, function_word=False, stressed=False) > 0.0
    assert hold_penalty(beats=4.0, function_word=False, stressed=True) == 0.0
    assert list(hold_penalty(beats=np.array([0.5, 2.0]), function_word=True, stressed=False)) == [0.0, 2.0]
