"""Instructions in the documented grammar do what they say: checked on the changed notes, levels, presets and plan."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.compose.arrange import compose_score
from lemm.compose.instruments import PRESET_PROGRAMS, PRESET_RANGES
from lemm.compose.plan_edit import resize_section
from lemm.compose.regen import regenerate
from lemm.instruct import apply_operations, parse_instruction
from lemm.score.harmony import parse_chord, pitch_class
from lemm.seeding import derive_seed


def edit(song, text):
    return apply_operations(song, parse_instruction(text, song))


def span(score, name):
    s = score.section(name)
    return s.start_tick, s.end_tick


def inside(track, lo, hi):
    return [n for n in track.notes if lo <= n.start_tick < hi]


def outside(track, lo, hi):
    return [n for n in track.notes if not lo <= n.start_tick < hi]


def others_unchanged(old, new, *changed):
    for a, b in zip(old.score.tracks, new.score.tracks, strict=True):
        if a.name not in changed:
            assert a == b, a.name


def test_heavier_drums_in_second_chorus(song):
    new = edit(song, "make the drums heavier in the second chorus")
    lo, hi = span(song.score, "chorus 2")
    old_d, new_d = song.score.track("drums"), new.score.track("drums")
    before, after = inside(old_d, lo, hi), inside(new_d, lo, hi)
    assert np.mean([n.velocity for n in after]) >= np.mean([n.velocity for n in before]) + 8
    assert len(after) >= len(before)
    assert outside(old_d, lo, hi) == outside(new_d, lo, hi)
    others_unchanged(song, new, "drums")


def test_quieter_strings_in_bridge(song):
    new = edit(song, "quieter strings in the bridge")
    lo, hi = span(song.score, "bridge")
    old_s, new_s = song.score.track("strings"), new.score.track("strings")
    assert inside(old_s, lo, hi), "the test song needs strings in the bridge"
    assert [n.velocity for n in inside(new_s, lo, hi)] == [max(1, round(n.velocity * 0.75)) for n in inside(old_s, lo, hi)]
    assert outside(old_s, lo, hi) == outside(new_s, lo, hi)
    others_unchanged(song, new, "strings")


def test_regenerate_bass_in_verse_1(song):
    new = edit(song, "regenerate the bass in verse 1")
    expected = regenerate(song.score, song.plan, track="bass", section="verse 1", seed=derive_seed(song.seed, "regen", "bass", "verse 1"))
    assert new.score == expected
    lo, hi = span(song.score, "verse 1")
    assert inside(new.score.track("bass"), lo, hi) != inside(song.score.track("bass"), lo, hi)


def test_transpose_last_chorus_up_a_step(song):
    new = edit(song, "transpose the last chorus up a step")
    lo, hi = span(song.score, "chorus 3")
    for a, b in zip(song.score.tracks, new.score.tracks, strict=True):
        shift = 0 if a.is_drum else 2
        assert [(n.pitch + shift, n.start_tick) for n in inside(a, lo, hi)] == [(n.pitch, n.start_tick) for n in inside(b, lo, hi)], a.name
        assert outside(a, lo, hi) == outside(b, lo, hi)
    for a, b in zip(song.score.chords, new.score.chords, strict=True):
        moved = 2 if lo <= a.start_tick < hi else 0
        assert parse_chord(b.symbol).root_pc == (parse_chord(a.symbol).root_pc + moved) % 12
    key_at = {k.tick: k for k in new.score.keys}
    assert pitch_class(key_at[lo].tonic) == (pitch_class(song.score.keys[0].tonic) + 2) % 12
    assert key_at[hi].tonic == song.score.keys[0].tonic


def test_double_the_chorus_length_recomposes(song):
    new = edit(song, "double the chorus length")
    plan = song.plan
    for name in ("chorus 1", "chorus 2", "chorus 3"):
        plan = resize_section(plan, name, 8)
    assert [s.bars for s in new.plan.sections] == [2, 4, 8, 4, 8, 4, 8, 2]
    assert new.score == compose_score(plan, seed=song.seed, title=song.score.title)
    bar = song.score.meters[0].bar_ticks(song.score.resolution)
    assert new.score.section("outro").end_tick == song.score.section("outro").end_tick + 12 * bar
    asked = song.render_settings.length_asked_seconds(song.brief.duration_seconds)
    assert new.render_settings.requested_seconds == pytest.approx(asked + 24.0)  # the render's length
    assert new.brief == song.brief  # what was asked of the composer stays as it was


def test_swap_piano_for_electric_piano(song):
    new = edit(song, "swap piano for electric piano")
    old_p, new_p = song.score.track("piano"), new.score.track("piano")
    assert (new_p.preset, new_p.program) == ("electric_piano", PRESET_PROGRAMS["electric_piano"])
    assert new_p.notes == old_p.notes
    assert new.plan == song.plan  # the record of how the song was composed: edits change the score
    others_unchanged(song, new, "piano")


def test_quieter_strings_whole_song_is_a_gain_change(song):
    new = edit(song, "make the strings quieter")
    assert new.score.track("strings").gain_db == pytest.approx(song.score.track("strings").gain_db - 4.0)
    assert new.score.track("strings").notes == song.score.track("strings").notes


def test_gain_goes_to_stored_mix_settings(song):
    from lemm.mix.settings import MixSettings, TrackMix

    mixed = song.with_score(song.score)
    mixed.mix_settings = MixSettings(tracks={"bass": TrackMix(gain_db=-2.0), "drums": TrackMix(gain_db=1.0)})
    new = edit(mixed, "turn up the bass by 3 db")
    assert new.mix_settings.tracks["bass"].gain_db == pytest.approx(1.0)
    assert new.mix_settings.tracks["drums"].gain_db == pytest.approx(1.0)
    assert mixed.mix_settings.tracks["bass"].gain_db == pytest.approx(-2.0)
    assert new.score == song.score


def test_much_louder_drums_in_every_chorus(song):
    new = edit(song, "much louder drums in every chorus")
    old_d, new_d = song.score.track("drums"), new.score.track("drums")
    for name in ("chorus 1", "chorus 2", "chorus 3"):
        lo, hi = span(song.score, name)
        assert [n.velocity for n in inside(new_d, lo, hi)] == [min(127, round(n.velocity * 1.5)) for n in inside(old_d, lo, hi)]
    lo, hi = span(song.score, "verse 1")
    assert inside(new_d, lo, hi) == inside(old_d, lo, hi)


def _curve(track, ticks):
    c = track.curve("brightness")
    return np.interp(ticks, [p.tick for p in c.points], [p.value for p in c.points])


def test_brighter_piano_in_the_choruses(song):
    new = edit(song, "brighter piano in the choruses")
    ticks = np.arange(0, song.score.end_tick, 240)
    old_v, new_v = _curve(song.score.track("piano"), ticks), _curve(new.score.track("piano"), ticks)
    chorus = np.zeros(len(ticks), bool)
    for name in ("chorus 1", "chorus 2", "chorus 3"):
        lo, hi = span(song.score, name)
        chorus |= (ticks >= lo) & (ticks < hi)
    np.testing.assert_allclose(new_v[chorus], np.minimum(old_v[chorus] + 0.2, 1.0), atol=1e-3)
    np.testing.assert_allclose(new_v[~chorus], old_v[~chorus], atol=1e-3)


def test_darker_piano_in_the_bridge_leading_scope(song):
    new = edit(song, "in the bridge, make the piano darker")
    lo, hi = span(song.score, "bridge")
    ticks = np.arange(lo, hi, 120)
    np.testing.assert_allclose(_curve(new.score.track("piano"), ticks), np.maximum(_curve(song.score.track("piano"), ticks) - 0.2, 0), atol=1e-3)


def test_transpose_bass_down_an_octave_in_verse_2(song):
    new = edit(song, "transpose the bass down an octave in verse 2")
    lo, hi = span(song.score, "verse 2")
    a, b = song.score.track("bass"), new.score.track("bass")
    assert [n.pitch - 12 for n in inside(a, lo, hi)] == [n.pitch for n in inside(b, lo, hi)]
    assert outside(a, lo, hi) == outside(b, lo, hi)
    others_unchanged(song, new, "bass")


def test_transpose_whole_song_moves_the_key(song):
    new = edit(song, "transpose up 3 semitones")
    assert pitch_class(new.score.keys[0].tonic) == (pitch_class(song.score.keys[0].tonic) + 3) % 12
    assert len(new.score.keys) == 1 and new.plan == song.plan
    for a, b in zip(song.score.tracks, new.score.tracks, strict=True):
        assert [n.pitch + (0 if a.is_drum else 3) for n in a.notes] == [n.pitch for n in b.notes]


def test_halve_the_intro(song):
    new = edit(song, "halve the intro")
    assert new.plan.sections[0].bars == 1 and new.score.sections[0].duration_ticks == song.score.meters[0].bar_ticks(480)


def test_mute_guitar_in_bridge(song):
    new = edit(song, "mute the guitar in the bridge")
    lo, hi = span(song.score, "bridge")
    assert inside(new.score.track("guitar"), lo, hi) == []
    assert outside(new.score.track("guitar"), lo, hi) == outside(song.score.track("guitar"), lo, hi)
    others_unchanged(song, new, "guitar")


def test_remove_the_pad(song):
    new = edit(song, "remove the pad")
    assert "pad" not in [t.name for t in new.score.tracks]
    assert new.plan == song.plan
    assert len(new.score.tracks) == len(song.score.tracks) - 1


def test_mute_guitar_in_the_mix(song):
    new = edit(song, "mute the guitar")
    assert new.mix_settings.tracks["guitar"].mute is True
    assert new.score == song.score and song.mix_settings is None


def test_add_a_cello_in_the_bridge(song):
    new = edit(song, "add a cello in the bridge")
    cello = new.score.track("cello")
    lo, hi = span(song.score, "bridge")
    assert (cello.preset, cello.program, cello.role) == ("cello", PRESET_PROGRAMS["cello"], "strings")
    assert cello.notes and all(lo <= n.start_tick < hi for n in cello.notes)
    low, high = PRESET_RANGES["cello"]
    assert all(low <= n.pitch <= high for n in cello.notes)
    assert new.score.tracks[:-1] == song.score.tracks


def test_tempo_edits(song):
    assert edit(song, "set the tempo to 100 bpm").score.tempos[0].tempo_bpm == 100.0
    faster = edit(song, "a bit faster")
    assert faster.score.tempos[0].tempo_bpm == 126.0 and faster.plan == song.plan
    assert edit(song, "slow down by 10 bpm").score.tempos[0].tempo_bpm == 110.0
    assert edit(faster, "a bit faster").score.tempos[0].tempo_bpm == 132.0  # round(126 x 1.05): from the score's tempo, not the plan's
    assert faster.score.tracks == song.score.tracks


def test_regenerate_the_bridge_with_seed(song):
    new = edit(song, "regenerate the bridge with seed 5")
    expected = song.score
    for t in song.score.tracks:
        expected = regenerate(expected, song.plan, track=t.name, section="bridge", seed=5)
    assert new.score == expected


def test_lighter_guitar_in_two_sections(song):
    new = edit(song, "make the guitar lighter in verse 1 and chorus 1")
    for name in ("verse 1", "chorus 1"):
        lo, hi = span(song.score, name)
        before, after = inside(song.score.track("guitar"), lo, hi), inside(new.score.track("guitar"), lo, hi)
        if before:
            assert len(after) <= len(before)
            assert not after or np.mean([n.velocity for n in after]) <= np.mean([n.velocity for n in before]) - 8


def test_two_clauses_apply_in_order(song):
    new = edit(song, "quieter strings in the bridge; replace the piano with an organ")
    assert new.score.track("piano").preset == "organ"
    lo, hi = span(song.score, "bridge")
    assert [n.velocity for n in inside(new.score.track("strings"), lo, hi)] == [max(1, round(n.velocity * 0.75)) for n in inside(song.score.track("strings"), lo, hi)]


def test_heavier_vocal_changes_only_velocity(sung):
    new = edit(sung, "make the vocals heavier in chorus 1")
    lo, hi = span(sung.score, "chorus 1")
    a, b = inside(sung.score.track("vocal"), lo, hi), inside(new.score.track("vocal"), lo, hi)
    assert [(n.pitch, n.start_tick, n.lyric) for n in a] == [(n.pitch, n.start_tick, n.lyric) for n in b]
    assert [min(127, n.velocity + 12) for n in a] == [n.velocity for n in b]


def test_parse_changes_nothing_and_describes(song):
    before = song.score
    ops = parse_instruction("make the drums heavier in the second chorus", song)
    assert song.score is before
    assert [op.describe() for op in ops] == ["drums in chorus 2: written again at energy +0.25 (busier), velocity +12"]
