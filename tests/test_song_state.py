"""One song state: after composition the score (with its render and mix settings) is what every stage reads.

The plan is the composer's input and a record of how the song was made: edits never rewrite it,
the render reads the guide's start offset from the render settings, the mix and the report read
the genre from the score, and regeneration derives the composer's plan from the score
(:func:`lemm.compose.score_plan.plan_for_score`). A song.json of schema 1 (lemm before this
change) still loads and renders the audio lemm wrote for it then.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import lemm
from lemm.compose.arrange import compose_score, part_specs
from lemm.compose.brief import Brief
from lemm.compose.chord_input import apply_chords
from lemm.compose.planner import make_plan
from lemm.compose.regen import regenerate
from lemm.compose.score_plan import plan_for_score
from lemm.errors import ParameterError, ScoreError
from lemm.instruct import apply_operations, parse_instruction
from lemm.mix.targets import tilt_target_for_genre
from lemm.pipeline import mix_and_master_parts
from lemm.progress import StageTimer
from lemm.project.folder import SONG_SCHEMA_VERSION, song_to_dict
from lemm.render.settings import RenderSettings
from lemm.score.edit import remove_track, set_tempo
from lemm.score.model import Score, Section, Track
from lemm.score.timing import ticks_to_seconds
from lemm.song import song_from_dict
from tests.compose.test_arrange import LYRICS

OLD_SONG = Path(__file__).parent / "data" / "song_v1"


@pytest.mark.parametrize(
    "brief",
    [
        Brief(prompt="upbeat pop", tags=("pop",), duration_seconds=60.0, seed=3),
        Brief(prompt="a folk song", tags=("folk",), duration_seconds=45.0, seed=4, lyrics=LYRICS),
        Brief(prompt="a rock song in 6/8", tags=("rock",), duration_seconds=40.0, seed=5),
        Brief(prompt="jazz", tags=("jazz",), duration_seconds=40.0, seed=6),
    ],
)
def test_the_composers_plan_of_a_composed_score_is_its_plan(brief: Brief) -> None:
    plan = make_plan(brief)
    score = compose_score(plan, lyrics=brief.lyrics, seed=brief.seed)
    assert plan_for_score(score, plan) == plan  # so a regeneration writes what it wrote before this module existed


def test_fixed_chords_and_a_lift_survive_the_derivation() -> None:
    plan = apply_chords(make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=120.0, seed=8)), "Am F C G")
    plan = dataclasses.replace(plan, lift_semitones=2)
    score = compose_score(plan, seed=8)
    assert len(score.keys) == 2  # the lift is a key change in the score
    assert plan_for_score(score, plan) == plan


def test_the_composer_reads_edits_from_the_score() -> None:
    plan = make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=40.0, seed=2))
    score = compose_score(plan, seed=2)
    slower = set_tempo(score, 90.0)
    # independent reference: the plan a person would have had to keep in step by hand
    assert plan_for_score(slower, plan) == dataclasses.replace(plan, tempo_bpm=90.0)
    section = score.sections[-1].name
    assert regenerate(slower, plan, track="drums", section=section, seed=9) == regenerate(
        slower, dataclasses.replace(plan, tempo_bpm=90.0), track="drums", section=section, seed=9
    )
    fewer = remove_track(score, "bass")
    assert [i.name for i in plan_for_score(fewer, plan).instruments] == [i.name for i in plan.instruments if i.name != "bass"]
    new = regenerate(fewer, plan, track="drums", section=section, seed=9)
    assert [t.name for t in new.tracks] == [t.name for t in fewer.tracks]


def test_a_score_the_composer_cannot_write_into_is_refused_by_name() -> None:
    plan = make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=30.0, seed=2))
    score = compose_score(plan, seed=2)
    a, b = score.sections[:2]
    gap = dataclasses.replace(score, sections=(a, dataclasses.replace(b, start_tick=b.start_tick + 480, duration_ticks=b.duration_ticks - 480)))
    with pytest.raises(ScoreError, match=f"section {b.name!r} must start where the one before it ends"):
        plan_for_score(gap, plan)


def test_edits_change_the_score_never_the_plan() -> None:
    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=3)
    for instruction in ("transpose up 2 semitones", "make the tempo 90 bpm", "remove the cello", "swap the bass for a cello",
                        "make the drums heavier in the chorus", "add a pad"):
        new = apply_operations(song, parse_instruction(instruction, song))
        assert new.plan == song.plan and new.score != song.score, instruction
        song = new
    assert song.score.tempos[0].tempo_bpm == 90.0 and "cello" not in [t.name for t in song.score.tracks]


def test_the_guide_offset_is_a_render_setting() -> None:
    song = lemm.compose("pop", tags=("pop",), duration="0:10", seed=1, render_settings=RenderSettings(sample_rate=16000))
    assert song.render_settings == RenderSettings(sample_rate=16000, start_offset_seconds=0.0)
    with pytest.raises(ParameterError, match="render.start_offset_seconds"):
        RenderSettings(start_offset_seconds=-1.0)


def test_the_mix_reads_the_genre_from_the_score() -> None:
    rng = np.random.default_rng(0)
    stems = {"pad": (0.1 * rng.standard_normal((2, 16000))).astype(np.float32)}
    score = Score(sections=(Section("verse", "verse", 0, 1920),), tracks=(Track("pad", "pad", "synth_pad"),))
    settings = RenderSettings(sample_rate=16000)
    for genre in ("hip hop", "folk", ""):
        used = mix_and_master_parts(stems, dataclasses.replace(score, genre=genre), settings=settings, mix_settings=None, timer=StageTimer(None))[3]
        assert used.master.tilt_target_db_per_octave == tilt_target_for_genre(genre)
    assert tilt_target_for_genre("hip hop") != tilt_target_for_genre("folk")  # the comparison can fail


def test_a_schema_1_song_json_loads_with_its_facts_moved() -> None:
    data = json.loads((OLD_SONG / "song.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and "start_offset_seconds" not in data["render"] and "genre" not in data["score"]
    song = song_from_dict(data)
    assert song.render_settings.start_offset_seconds == data["plan"]["start_offset_seconds"] == pytest.approx(0.5, abs=0.05)
    assert song.score.genre == data["plan"]["genre"] == "folk"
    assert song.plan.tempo_bpm == 96.0 == song.score.tempos[0].tempo_bpm  # edited by lemm edit at the time (in both stores then)
    again = song_to_dict(song)
    assert again["schema_version"] == SONG_SCHEMA_VERSION == 2
    assert song_from_dict(json.loads(json.dumps(again))) == song


def _fingerprint(path: Path) -> dict:
    """What a written WAV file sounds like, compactly: its length, its first frame above -80 dBFS, its RMS per quarter second per channel."""
    audio, rate = sf.read(str(path), dtype="float64", always_2d=True)
    block = rate // 4
    n = audio.shape[0] // block
    rms = np.sqrt((audio[: n * block].reshape(n, block, -1) ** 2).mean(axis=1))
    loud = np.flatnonzero(np.abs(audio).max(axis=1) > 1e-4)
    return {"n_frames": audio.shape[0], "first_sound_frame": int(loud[0]) if loud.size else None, "rms_per_quarter_second": rms.T}


def test_a_schema_1_song_folder_renders_the_audio_it_had(tmp_path: Path) -> None:
    """The stems and master lemm 290079d wrote for tests/data/song_v1 (a guided folk song at 16 kHz, then 'make the tempo 96 bpm').

    ``audio_written_by_290079d.json`` holds what those files sounded like (and their sha256: on the machine that
    wrote them, this version writes the same bytes). lemm's audio is bit-identical for the same score, seed and
    settings on one machine, so the comparison allows float rounding of another machine, nothing more: a lost
    start offset moves ``first_sound_frame`` (and shortens every file by it). A deliberate change of a preset's
    sound is recorded under ``rerecorded`` (the commit, why, and the files fingerprinted again). The genre no longer changes this
    song's master (its stored mix settings hold the tilt it was mixed with), but its report still names it.
    """
    record = json.loads((OLD_SONG / "audio_written_by_290079d.json").read_text(encoding="utf-8"))
    # A preset whose sound changed on purpose since 290079d: its stem (and the master) fingerprinted again, the reason beside them.
    expected = {**record["audio"], **record["rerecorded"]["audio"]}
    assert set(record["rerecorded"]["audio"]) <= set(record["audio"]) and record["rerecorded"]["why"]
    folder = lemm.load(OLD_SONG / "song.json").save(tmp_path / "song")
    assert sorted(expected) == sorted(["master.wav", *(f"stems/{p.name}" for p in (folder / "stems").iterdir())])
    for rel, old in expected.items():
        new = _fingerprint(folder / rel)
        assert (new["n_frames"], new["first_sound_frame"]) == (old["n_frames"], old["first_sound_frame"]), rel
        np.testing.assert_allclose(new["rms_per_quarter_second"], old["rms_per_quarter_second"], rtol=1e-4, atol=1e-7, err_msg=rel)
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["genre"] == "folk"


def test_each_part_is_played_as_its_track_says() -> None:
    plan = make_plan(Brief(prompt="pop", tags=("pop",), duration_seconds=30.0, seed=2))
    bass = next(i for i in plan.instruments if i.name == "bass")
    plan = dataclasses.replace(plan, instruments=tuple(dataclasses.replace(i, style="walking", min_energy=0.5) if i is bass else i for i in plan.instruments))
    score = compose_score(plan, seed=2)
    track = next(t for t in score.tracks if t.name == "bass")
    assert (track.style, track.min_energy) == ("walking", 0.5)  # written from the plan's instrument
    assert plan_for_score(score, plan) == plan
    # the track, not the record, says how the composer plays the part now
    edited = dataclasses.replace(score, tracks=tuple(dataclasses.replace(t, style="pedal", min_energy=0.0) if t.name == "bass" else t for t in score.tracks))
    expected = dataclasses.replace(plan, instruments=tuple(dataclasses.replace(i, style="pedal", min_energy=0.0) if i.name == "bass" else i for i in plan.instruments))
    assert plan_for_score(edited, plan) == expected
    section = score.sections[-2].name
    assert regenerate(edited, plan, track="bass", section=section, seed=9) == regenerate(edited, expected, track="bass", section=section, seed=9)
    with pytest.raises(ScoreError, match="track 'bass' min_energy"):
        dataclasses.replace(track, min_energy=1.5)


def test_an_added_part_is_written_again_in_the_style_it_was_added_with() -> None:
    song = lemm.compose("pop", tags=("pop",), duration="0:20", seed=3)
    added = apply_operations(song, parse_instruction("add a cello", song))
    cello = next(t for t in added.score.tracks if t.name == "cello")
    assert (cello.style, cello.min_energy) == ("pad", 0.0)  # the cello's own idiom (lemm.compose.instruments), pop has no cello
    for sec in added.score.sections:  # a take with the song's seed is the take it was added with
        again = regenerate(added.score, added.plan, track="cello", section=sec.name, seed=song.seed, lyrics=song.brief.lyrics)
        inside = [n for n in next(t for t in again.tracks if t.name == "cello").notes if sec.start_tick <= n.start_tick < sec.end_tick]
        assert inside == [n for n in cello.notes if sec.start_tick <= n.start_tick < sec.end_tick], sec.name
    # in a score of a genre whose own cello plays otherwise (ballad: "counter" from energy 0.4), the added cello keeps its style
    ballad = dataclasses.replace(added.score, genre="ballad")
    planned = next(i for i in plan_for_score(ballad, added.plan).instruments if i.name == "cello")
    assert (planned.style, planned.min_energy) == ("pad", 0.0)
    spec = next(s for s in part_specs(plan_for_score(ballad, added.plan)) if s.name == "cello")
    assert (spec.style, spec.min_energy) == ("pad", 0.0)


def test_a_schema_1_song_regenerates_the_notes_it_did() -> None:
    """Each part's style moved from the plan to its track: takes of the old song are the ones lemm ebc96ce wrote."""
    data = json.loads((OLD_SONG / "song.json").read_text(encoding="utf-8"))
    song = song_from_dict(data)
    by_name = {(i["name"], i["role"]): i for i in data["plan"]["instruments"]}
    for t in song.score.tracks:
        i = by_name.get((t.name, t.role))
        assert (t.style, t.min_energy) == ((i["style"], i["min_energy"]) if i else ("", 0.0)), t.name
    expected = json.loads((OLD_SONG / "regen_seed7_by_ebc96ce.json").read_text(encoding="utf-8"))
    for key, notes in expected["notes"].items():
        track, section = key.split("/")
        new = regenerate(song.score, song.plan, track=track, section=section, seed=expected["seed"], lyrics=song.brief.lyrics)
        got = [[n.pitch, n.start_tick, n.duration_ticks, n.velocity] for n in next(t for t in new.tracks if t.name == track).notes]
        assert got == notes, key


def test_the_upgrade_fills_each_tracks_style_from_the_plan() -> None:
    data = json.loads((OLD_SONG / "song.json").read_text(encoding="utf-8"))
    data["plan"]["instruments"] = [dict(i, style="walking", min_energy=0.25) if i["name"] == "bass" else i for i in data["plan"]["instruments"]]
    song = song_from_dict(data)
    bass = next(t for t in song.score.tracks if t.name == "bass")
    assert (bass.style, bass.min_energy) == ("walking", 0.25)
    assert next(i for i in song.plan.instruments if i.name == "bass").style == "walking"  # the record stays as it was


def test_a_length_edit_asks_the_render_not_the_brief() -> None:
    song = lemm.compose("pop", tags=("pop",), duration="0:20", seed=3, render_settings=RenderSettings(sample_rate=16000))
    assert song.render_settings.requested_seconds is None  # as composed: the brief's duration
    for instruction in ("faster", "double the chorus"):
        new = apply_operations(song, parse_instruction(instruction, song))
        assert new.brief == song.brief
        # independent reference: the song's new length in time, to the hundredth of a second, as the brief said before
        end_seconds = float(ticks_to_seconds(new.score, new.score.end_tick))
        assert new.render_settings.requested_seconds == round(end_seconds + new.render_settings.start_offset_seconds, 2), instruction
        assert new.render_settings.length_asked_seconds(new.brief.duration_seconds) == new.render_settings.requested_seconds
    with pytest.raises(ParameterError, match="render.requested_seconds"):
        RenderSettings(requested_seconds=0.0)
