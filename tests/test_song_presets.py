"""A song's own presets (fitted timbres): validation, song.json round trip, rendering, cache keys, the note splitter, `lemm timbre`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

import lemm
from lemm.cli import main
from lemm.errors import ParameterError
from lemm.project.folder import song_to_dict
from lemm.render import Preset, fit_preset, render_track
from lemm.render.analysis import estimate_f0
from lemm.render.presets import preset_from_dict
from lemm.render.segment import split_notes, split_take
from lemm.render.settings import RenderSettings
from lemm.render.song_presets import check_song_presets, song_presets_from_dict, song_presets_to_dict
from lemm.render.stems import render_stems, slice_key, track_slices
from lemm.score.model import Note, Score, TempoChange, Track
from lemm.seeding import derive_seed
from lemm.song import song_from_dict

SR = 16000


def _tone(f0_hz: float, seconds: float, *, sample_rate: int = SR, decay: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    attack = np.minimum(t / 0.005, 1.0)
    return attack * np.exp(-decay * t) * sum(np.sin(2 * np.pi * k * f0_hz * t) / k for k in range(1, 6))


@pytest.fixture(scope="module")
def fitted() -> Preset:
    return fit_preset(_tone(330.0, 0.6), sample_rate=SR, name="my_tone", n_steps=3)


# --- split_notes -------------------------------------------------------------------------


def test_split_notes_finds_each_note_at_its_onset() -> None:
    onsets_seconds, pitches_hz = (0.3, 1.1, 1.9), (220.0, 330.0, 262.0)
    take = np.zeros(int(2.6 * SR))
    for onset, f0 in zip(onsets_seconds, pitches_hz, strict=True):
        note = 0.7 * _tone(f0, 0.5)
        take[int(onset * SR) : int(onset * SR) + note.size] += note
    take += 1e-4 * np.random.default_rng(0).standard_normal(take.size)  # a quiet room, 60 dB under the notes
    notes = split_notes(take, sample_rate=SR)
    assert len(notes) == 3
    starts = np.cumsum([0] + [n.size for n in notes[:-1]]) + take.size - sum(n.size for n in notes)
    # each note starts 10 ms (one frame) before its onset, give or take a frame
    assert np.allclose(starts / SR, np.array(onsets_seconds) - 0.01, atol=0.011)
    for note, f0 in zip(notes, pitches_hz, strict=True):
        assert abs(1200 * np.log2(estimate_f0(note, sample_rate=SR) / f0)) < 20


def test_split_notes_bridges_short_gaps_and_drops_clicks() -> None:
    a, b = _tone(220.0, 0.4, decay=0.0), _tone(220.0, 0.4, decay=0.0)
    click = np.zeros(int(0.02 * SR))
    click[:40] = 0.9
    take = np.concatenate([a, np.zeros(int(0.02 * SR)), b, np.zeros(int(0.3 * SR)), click, np.zeros(int(0.3 * SR))])
    assert len(split_notes(take, sample_rate=SR)) == 1  # a 20 ms dip is not a new note; a 20 ms click is not a note
    assert len(split_notes(take, sample_rate=SR, min_gap_seconds=0.01, min_note_seconds=0.01)) == 3


@given(gaps=st.lists(st.floats(0.1, 0.5), min_size=1, max_size=4), lead=st.floats(0.0, 0.3))
def test_split_notes_cuts_the_take_into_contiguous_pieces(gaps: list[float], lead: float) -> None:
    parts = [np.zeros(int(lead * SR))]
    for gap in gaps:
        parts += [_tone(196.0, 0.25), np.zeros(int(gap * SR))]
    take = np.concatenate(parts)
    notes = split_notes(take, sample_rate=SR)
    assert len(notes) == len(gaps)
    joined = np.concatenate(notes)
    assert np.array_equal(joined, take[take.size - joined.size :])


def _legato(pitches_hz: list[float], seconds: float, *, vibrato_cents: float = 0.0, crossfade_seconds: float = 0.03,
            attack_noise_seconds: float = 0.0) -> np.ndarray:
    """Sustained notes one after another with no gap (a short crossfade), optional 5.5 Hz vibrato and a noisy attack."""
    n = int(seconds * SR)
    f0 = np.repeat(pitches_hz, n)
    t = np.arange(f0.size) / SR
    f0 = f0 * 2.0 ** (vibrato_cents / 1200.0 * np.sin(2 * np.pi * 5.5 * t))
    k = int(crossfade_seconds * SR)  # glide between the notes over the crossfade
    for i in range(1, len(pitches_hz)):
        a = i * n
        f0[a - k // 2 : a + k // 2] = np.geomspace(pitches_hz[i - 1], pitches_hz[i], 2 * (k // 2))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    level = np.minimum(t / 0.01, 1.0) * np.minimum((t[-1] - t) / 0.05, 1.0)
    y = 0.5 * level * sum(np.sin(k * phase) / k for k in range(1, 6))
    burst = int(attack_noise_seconds * SR)
    noise = np.random.default_rng(1).standard_normal(y.size)
    for i in range(1, len(pitches_hz)):  # a bow or breath noise as loud as the tone: no clear pitch there
        y[i * n : i * n + burst] += 0.6 * noise[i * n : i * n + burst]
    return y


@pytest.mark.parametrize("pitches_hz, attack_noise_seconds", [
    ([196.0, 262.0, 220.0, 330.0], 0.0), ([220.0, 233.1, 220.0], 0.0), ([110.0, 440.0], 0.0), ([196.0, 220.0, 247.0, 262.0], 0.06),
])
def test_split_notes_splits_legato_notes_where_the_pitch_moves(pitches_hz: list[float], attack_noise_seconds: float) -> None:
    take = _legato(pitches_hz, 0.6, vibrato_cents=20.0, attack_noise_seconds=attack_noise_seconds)
    notes = split_notes(take, sample_rate=SR)
    assert len(notes) == len(pitches_hz)
    starts = np.cumsum([0] + [x.size for x in notes[:-1]]) / SR
    assert np.allclose(starts[1:], 0.6 * np.arange(1, len(pitches_hz)) - 0.01, atol=0.03)
    for note, f0 in zip(notes, pitches_hz, strict=True):
        assert abs(1200 * np.log2(estimate_f0(note, sample_rate=SR) / f0)) < 25
    assert len(split_notes(take, sample_rate=SR, min_step_semitones=None)) == 1  # on level alone: one note
    cut = split_take(take, sample_rate=SR)
    assert [np.array_equal(a, b.audio) for a, b in zip(notes, cut, strict=True)] == [True] * len(notes)
    assert np.allclose([c.start_seconds for c in cut], starts)
    assert cut[0].midi_pitch is None  # after a gap (here: the take's start) the fit reads the pitch itself
    midi = 69 + 12 * np.log2(np.array(pitches_hz[1:]) / 440.0)
    assert np.allclose([c.midi_pitch for c in cut[1:]], midi, atol=0.25)  # found by a pitch step: that pitch
    assert cut[0].f0_hz is None and np.allclose([c.f0_hz for c in cut[1:]], pitches_hz[1:], rtol=0.015)


@pytest.mark.parametrize("reading_midi, old_midi, expected_midi", [
    (67.0, 50.0, 67.0),  # a right reading stays
    (55.0, 50.0, 67.0),  # an octave low ...
    (30.99, 50.0, 67.0),  # ... or the common subharmonic of the old note ringing on (D3 = 3 x 49 Hz) and the new (G4 = 8 x 49 Hz)
    (62.0, 50.0, 62.0),  # the new note an octave above the old: its partials are the old one's, taken as read
])
def test_a_pitch_reading_is_checked_on_the_spectrum(reading_midi: float, old_midi: float, expected_midi: float) -> None:
    from lemm.render.segment import _verified_pitch

    t = np.arange(int(0.3 * SR)) / SR
    f_old, f_new = (440.0 * 2 ** ((m - 69) / 12) for m in (old_midi, expected_midi))
    old = 0.5 * sum(np.sin(2 * np.pi * k * f_old * t) / k for k in range(1, 9) if k * f_old < SR / 2)
    new = sum(np.sin(2 * np.pi * k * f_new * t + k) / k for k in range(1, 9) if k * f_new < SR / 2)
    got = _verified_pitch(old + new, sample_rate=SR, start=0, stop=t.size, new_midi=reading_midi, old_midi=old_midi)
    assert got == pytest.approx(expected_midi, abs=0.05)
    assert _verified_pitch(0.01 * np.random.default_rng(0).standard_normal(t.size), sample_rate=SR, start=0, stop=t.size,
                           new_midi=60.0, old_midi=50.0) is None  # noise: no series of its own


@pytest.mark.parametrize("vibrato_cents", [0.0, 25.0, 40.0])
def test_split_notes_keeps_a_note_with_vibrato_whole(vibrato_cents: float) -> None:
    assert len(split_notes(_legato([262.0], 2.0, vibrato_cents=vibrato_cents), sample_rate=SR)) == 1


@pytest.mark.parametrize("audio, options, field", [
    (np.zeros(SR), {}, "take audio"),
    (np.array([]), {}, "take audio"),
    (np.full(SR, np.nan), {}, "take audio"),
    (np.ones((2, 2, 2)), {}, "take audio"),
    (_tone(220.0, 0.05), {}, "take audio"),  # shorter than min_note_seconds
    (_tone(220.0, 0.5), {"threshold_db": 0.0}, "threshold_db"),
    (_tone(220.0, 0.5), {"min_gap_seconds": -1.0}, "min_gap_seconds"),
    (_tone(220.0, 0.5), {"min_note_seconds": float("inf")}, "min_note_seconds"),
    (_tone(220.0, 0.5), {"sample_rate": 100}, "sample_rate"),
    (_tone(220.0, 0.5), {"min_step_semitones": 0.1}, "min_step_semitones"),
])
def test_split_notes_bad_input(audio: np.ndarray, options: dict, field: str) -> None:
    kwargs = {"sample_rate": SR, **options}
    with pytest.raises(ParameterError, match=field):
        split_notes(audio, **kwargs)


# --- song presets ------------------------------------------------------------------------


def test_song_presets_are_checked(fitted: Preset) -> None:
    import dataclasses

    assert list(check_song_presets({"my_tone": fitted})) == ["my_tone"]
    for name, message in (("flute", "stock preset"), ("acoustic_kit", "stock preset"), ("voice_high", "stock preset"),
                          ("bad name!", "letters, digits"), ("", "letters, digits"), ("other", "own name 'my_tone'")):
        with pytest.raises(ParameterError, match=message):
            check_song_presets({name: fitted})
    with pytest.raises(ParameterError, match="lemm.render.Preset"):
        check_song_presets({"my_tone": {"name": "my_tone"}})
    with pytest.raises(ParameterError, match="mapping"):
        check_song_presets([fitted])
    renamed = dataclasses.replace(fitted, name="flute")
    with pytest.raises(ParameterError, match="flute"):
        check_song_presets({"flute": renamed})


def test_song_presets_json_round_trip(fitted: Preset) -> None:
    data = json.loads(json.dumps(song_presets_to_dict({"my_tone": fitted})))
    assert song_presets_from_dict(data) == {"my_tone": fitted}
    assert song_presets_from_dict(None) == {} and song_presets_to_dict({}) == {}
    with pytest.raises(ParameterError, match="presets"):
        song_presets_from_dict(["my_tone"])


def test_with_preset_switches_tracks_and_survives_song_json(fitted: Preset) -> None:
    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=3)
    changed = song.with_preset(fitted, tracks=("lead", "cello"))
    assert song.presets == {} and changed.presets == {"my_tone": fitted}
    for t_old, t_new in zip(song.score.tracks, changed.score.tracks, strict=True):
        assert t_new.preset == ("my_tone" if t_old.name in ("lead", "cello") else t_old.preset)
        assert t_new.notes == t_old.notes and t_new.program == t_old.program
    assert changed.plan == song.plan  # the record of how the song was composed: never rewritten
    back = song_from_dict(json.loads(json.dumps(song_to_dict(changed))))
    assert back.presets == changed.presets and back.score == changed.score and back.plan == changed.plan
    assert back.with_score(back.score).presets == changed.presets
    legacy = song_to_dict(song)
    del legacy["presets"]  # song.json written before song presets existed
    assert song_from_dict(legacy).presets == {}
    for track, message in (("kazoo", "kazoo"), ("drums", "pitched")):
        with pytest.raises(ParameterError, match=message):
            song.with_preset(fitted, tracks=(track,))


def _score() -> Score:
    notes = (Note(60, 0, 480, 90), Note(64, 480, 480, 90), Note(67, 960, 960, 90))
    return Score(tempos=(TempoChange(0, 120.0),), tracks=(
        Track("lead", "lead", "my_tone", notes=notes),
        Track("bass", "bass", "synth_bass", notes=(Note(36, 0, 1920, 100),)),
    ))


def test_render_stems_uses_song_presets(fitted: Preset) -> None:
    score = _score()
    settings = RenderSettings(sample_rate=SR)
    n = int(2.5 * SR)
    stems, _ = render_stems(score, settings=settings, seed=5, n_samples=n, presets={"my_tone": fitted})
    stock_score = Score(tempos=score.tempos, tracks=(Track("lead", "lead", "flute", notes=score.tracks[0].notes), score.tracks[1]))
    stock, _ = render_stems(stock_score, settings=settings, seed=5, n_samples=n)
    assert np.sqrt(np.mean(stems["lead"] ** 2)) > 1e-3
    assert not np.allclose(stems["lead"], stock["lead"], atol=1e-4)
    assert np.array_equal(stems["bass"], stock["bass"])  # other tracks untouched
    # the same as rendering the track with the preset directly (one slice: the whole song)
    direct = render_track(score.tracks[0], score, sample_rate=SR, seed=derive_seed(5, "lead", track_slices(score)[0].section_name),
                          n_samples=n, preset=fitted)
    assert np.array_equal(stems["lead"], direct)
    again, _ = render_stems(score, settings=settings, seed=5, n_samples=n, presets=song_presets_from_dict(song_presets_to_dict({"my_tone": fitted})))
    assert np.array_equal(again["lead"], stems["lead"])


def test_slice_key_follows_the_song_preset(fitted: Preset) -> None:
    import dataclasses

    score = _score()
    sl = track_slices(score)[0]
    settings = RenderSettings(sample_rate=SR)
    key = slice_key(sl, score, settings=settings, seed=1, n_samples=SR, preset=fitted)
    assert key == slice_key(sl, score, settings=settings, seed=1, n_samples=SR, preset=fitted)
    assert key != slice_key(sl, score, settings=settings, seed=1, n_samples=SR, preset=dataclasses.replace(fitted, attack_ms=fitted.attack_ms + 5))


def test_unknown_track_preset_is_refused_before_rendering() -> None:
    with pytest.raises(ParameterError, match="track 'lead' preset.*my_tone"):
        render_stems(_score(), settings=RenderSettings(sample_rate=SR), seed=1, n_samples=SR)


# --- lemm timbre ---------------------------------------------------------------------------


def test_timbre_fit_and_add_through_the_cli(short_song_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    work = tmp_path / "song"
    shutil.copytree(short_song_dir, work)
    take = np.concatenate([_tone(220.0, 0.5), np.zeros(SR // 4), _tone(330.0, 0.5), np.zeros(SR // 4)])
    sf.write(tmp_path / "take.wav", take.astype(np.float32) * 0.5, SR)
    lead = next(t.name for t in lemm.load(work).score.tracks if t.role not in ("vocal", "drums"))
    preset_file = tmp_path / "my_keys.json"
    argv = ["timbre", "fit", str(tmp_path / "take.wav"), "--split", "--name", "my_keys", "--steps", "2",
            "-o", str(preset_file), "--song", str(work), "--track", lead]
    assert main(argv) == 0
    assert "lemm: notes fitted at A3, E4" in capsys.readouterr().err  # the user sees what the take was cut into
    assert preset_from_dict(json.loads(preset_file.read_text())).name == "my_keys"
    data = json.loads((work / "song.json").read_text())
    assert [r["pitch"] for r in data["presets"]["my_keys"]["regions"]] == [57, 64]  # two notes cut from one take
    assert next(t for t in lemm.load(work).score.tracks if t.name == lead).preset == "my_keys"
    changed = (work / "stems" / f"{lead}.wav").read_bytes() != (short_song_dir / "stems" / f"{lead}.wav").read_bytes()
    others = [t.name for t in lemm.load(work).score.tracks if t.name != lead]
    assert changed
    assert all((work / "stems" / f"{n}.wav").read_bytes() == (short_song_dir / "stems" / f"{n}.wav").read_bytes() for n in others)
    fitted_stem = (work / "stems" / f"{lead}.wav").read_bytes()
    # the song's other commands keep the song preset
    section = lemm.load(work).score.sections[-1].name
    assert main(["regen", str(work), "--track", lead, "--section", section, "--seed", "4"]) == 0
    assert lemm.load(work).presets.keys() == {"my_keys"}
    assert next(t for t in lemm.load(work).score.tracks if t.name == lead).preset == "my_keys"
    # a preset file goes into another copy of the song with `timbre add`
    other = tmp_path / "song2"
    shutil.copytree(short_song_dir, other)
    assert main(["timbre", "add", str(other), str(preset_file), "--track", lead]) == 0
    assert (other / "stems" / f"{lead}.wav").read_bytes() == fitted_stem


@pytest.mark.parametrize("argv, message", [
    (["timbre", "fit", "{wav}", "--name", "flute", "-o", "{dir}/p.json"], "flute"),
    (["timbre", "fit", "{wav}", "--name", "mine"], "-o PRESET.json, --song DIR"),
    (["timbre", "fit", "{wav}", "--name", "mine", "-o", "{dir}/p.json", "--track", "lead"], "--song"),
    (["timbre", "fit", "{dir}/missing.wav", "--name", "mine", "-o", "{dir}/p.json"], "missing.wav"),
    (["timbre", "add", "{dir}", "{dir}/missing.json"], "missing.json"),
])
def test_timbre_cli_errors(tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    sf.write(tmp_path / "note.wav", _tone(220.0, 0.4).astype(np.float32) * 0.5, SR)
    args = [a.format(wav=tmp_path / "note.wav", dir=tmp_path) for a in argv]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()


def test_timbre_fit_leaves_out_pieces_of_a_take_with_no_pitch(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    gap = np.zeros(SR // 4)
    noise = 0.3 * np.random.default_rng(0).standard_normal(SR // 2)  # a slip, a cough, two notes ringing
    sf.write(tmp_path / "take.wav", np.concatenate([_tone(220.0, 0.5), gap, noise, gap, _tone(330.0, 0.5), gap]).astype(np.float32) * 0.5, SR)
    sf.write(tmp_path / "noise.wav", noise.astype(np.float32), SR)
    argv = ["timbre", "fit", str(tmp_path / "take.wav"), "--split", "--name", "mine", "--steps", "1", "-o", str(tmp_path / "p.json")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "left out (no clear pitch): " in err and "take.wav at 0.74 s" in err and "notes fitted at A3, E4" in err
    assert [r["pitch"] for r in json.loads((tmp_path / "p.json").read_text())["regions"]] == [57, 64]
    argv = ["timbre", "fit", str(tmp_path / "noise.wav"), "--split", "--name", "mine", "-o", str(tmp_path / "q.json")]
    assert main(argv) == 2
    assert "none with a clear pitch" in capsys.readouterr().err and not (tmp_path / "q.json").exists()
    argv[3:4] = []  # without --split a file is one note: no pitch is an error, not a silent drop
    assert main(argv) == 2
    assert "no stable pitch" in capsys.readouterr().err


def test_preset_from_dict_inverts_preset_to_dict_without_json() -> None:
    from lemm.render import list_presets, load_preset
    from lemm.render.presets import preset_to_dict

    for name in list_presets():
        preset = load_preset(name)
        assert preset_from_dict(preset_to_dict(preset)) == preset, name


def test_edit_grammar_swaps_to_a_song_preset(fitted: Preset) -> None:
    from lemm.instruct import apply_operations, parse_instruction
    from lemm.instruct.errors import InstructionError

    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=3).with_preset(fitted)
    new = apply_operations(song, parse_instruction("swap the cello for my tone", song))
    old_t, new_t = song.score.track("cello"), new.score.track("cello")
    assert (new_t.preset, new_t.program, new_t.notes) == ("my_tone", old_t.program, old_t.notes)
    assert new.plan == song.plan
    assert new.presets == song.presets
    back = apply_operations(new, parse_instruction("swap the cello for a flute", new))
    assert back.score.track("cello").preset == "flute" and back.presets == song.presets
    with pytest.raises(InstructionError, match="my_tone"):
        parse_instruction("swap the cello for my kazoo", song)


def test_preset_files_round_trip_and_refuse_bad_files(fitted: Preset, tmp_path: Path) -> None:
    from lemm.errors import FileFormatError, LemmFileNotFoundError
    from lemm.render.presets import read_preset, save_preset

    path = save_preset(fitted, tmp_path / "p.json")
    assert read_preset(path) == fitted
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FileFormatError, match="bad.json"):
        read_preset(tmp_path / "bad.json")
    with pytest.raises(LemmFileNotFoundError, match="nothing.json"):
        read_preset(tmp_path / "nothing.json")
    (tmp_path / "keys.json").write_text(json.dumps({"name": "x", "colour": 1}), encoding="utf-8")
    with pytest.raises(ParameterError, match="colour"):
        read_preset(tmp_path / "keys.json")


def test_edit_grammar_adds_a_part_played_by_a_song_preset(fitted: Preset) -> None:
    import dataclasses

    from lemm.compose.instruments import PRESET_PROGRAMS, PRESET_RANGES
    from lemm.instruct import AddPart, apply_operations, parse_instruction
    from lemm.instruct.errors import InstructionError

    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=3)
    song = song.with_preset(dataclasses.replace(fitted, name="my_cello")).with_preset(fitted)
    # the instrument word inside the preset's name picks the part it plays
    ops = parse_instruction("add my cello in the chorus", song)
    assert ops == (AddPart("my cello", "strings", "cello", ("chorus",), sound="my_cello"),)
    assert "my_cello" in ops[0].describe()
    new = apply_operations(song, ops)
    track = new.score.track("my cello")
    written = apply_operations(song, (dataclasses.replace(ops[0], sound=""),)).score.track("my cello")
    assert (track.preset, track.program, track.role) == ("my_cello", PRESET_PROGRAMS["cello"], "strings")
    assert track.notes == written.notes and track.notes  # the same part the stock cello would get
    low, high = PRESET_RANGES["cello"]
    assert all(low <= n.pitch <= high for n in track.notes)
    assert new.plan == song.plan
    assert new.presets == song.presets
    # "as ..." names the part when the preset's name does not
    (op,) = parse_instruction("add my tone as the bass", song)
    assert (op.name, op.role, op.preset, op.sound) == ("my tone", "bass", "electric_bass", "my_tone")
    # a part played by a song preset regenerates inside its stand-in's range
    regen = apply_operations(new, parse_instruction("regenerate my cello in the chorus", new))
    assert all(low <= n.pitch <= high for n in regen.score.track("my cello").notes)
    assert regen.score.track("my cello").preset == "my_cello"
    for text, message in (("add my tone", "which part"), ("add my cello as drums", "pitched instrument")):
        with pytest.raises(InstructionError, match=message):
            parse_instruction(text, song)
    assert parse_instruction("add a cello", song)[0].sound == ""  # a stock instrument word stays stock
    with pytest.raises(ParameterError, match="sound"):
        apply_operations(song, (AddPart("x", "strings", "cello", (), sound="no_such"),))
