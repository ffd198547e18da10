"""Hostile inputs through the command line and the API: every case ends in a LemmError (one line, exit 2)
or documented handling, and its work is bounded by lemm.limits before it starts (no test timeouts).

Documented handling: text a person gives lemm with characters no output format can hold is refused
(lemm.limits.check_text); names read from other programs' files are cleaned (lemm.limits.clean_name).
"""

from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lemm
from lemm import limits
from lemm.cli import main
from lemm.compose.brief import Brief
from lemm.errors import LemmError, LimitError, ParameterError
from lemm.io.jsondata import loads_json
from lemm.score.model import Note, Score, Track

ROOT = Path(__file__).resolve().parents[1]


def _fails_cleanly(argv: list[str], capsys: pytest.CaptureFixture, *, status: int = 2) -> str:
    """Run ``lemm ARGV`` in-process: it must exit ``status`` with one ``lemm: error:`` line and no traceback."""
    capsys.readouterr()
    assert main(argv) == status
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("lemm: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def song_data() -> dict:
    """A valid song.json (composed, not rendered: nothing in these tests renders)."""
    from lemm.project.folder import song_to_dict

    song = lemm.compose("pop", tags=("pop",), duration="0:10", seed=1)
    return json.loads(json.dumps(song_to_dict(song)))


def _song_folder(tmp_path: Path, data: dict | str | bytes) -> Path:
    folder = tmp_path / "song"
    folder.mkdir(exist_ok=True)
    payload = data if isinstance(data, (str, bytes)) else json.dumps(data)
    (folder / "song.json").write_bytes(payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass"))
    return folder


# --- song.json ---------------------------------------------------------------------------------

@pytest.mark.parametrize("payload, words", [
    (b"", "not valid JSON"),
    (b"\xff\xfe garbage", "UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "MAX_JSON_DEPTH"),
    (b'{"format": "lemm-song", "schema_version": ' + b"9" * 5000 + b"}", "MAX_JSON_INT_DIGITS"),
    (b'{"format": "lemm-song", "schema_version": 1' , "not valid JSON"),
    (b'"just a string"', "lemm song file"),
])
def test_corrupt_song_json_is_one_error_line(tmp_path: Path, capsys, payload: bytes, words: str) -> None:
    folder = _song_folder(tmp_path, payload)
    for command in (["render", str(folder)], ["info", str(folder)], ["mix", str(folder)]):
        line = _fails_cleanly(command, capsys)
        assert words in line


def test_song_json_over_the_size_limit_is_refused_before_reading(tmp_path: Path, capsys, monkeypatch) -> None:
    folder = _song_folder(tmp_path, b" " * 2048 + b"{}")
    monkeypatch.setattr("lemm.io.jsondata.MAX_JSON_BYTES", 1024)
    assert "MAX_JSON_BYTES" in _fails_cleanly(["render", str(folder)], capsys)


@pytest.mark.parametrize("edit, words", [
    (lambda d: d["score"]["tracks"][0]["notes"].append({"pitch": 60, "start_tick": 10**12, "duration_ticks": 480}), "MAX_SONG_SECONDS"),
    (lambda d: d["score"]["tracks"][0]["notes"].append({"pitch": 60, "start_tick": 10**7, "duration_ticks": 10**9}), "MAX_NOTE_BEATS"),
    (lambda d: d["score"]["tracks"][0].update(name="x" * 300), "at most 64 characters"),
    (lambda d: d["score"]["tracks"][0].update(name="bass\x1b[31m"), "U+001B"),
    (lambda d: d["score"].update(title="a\ud800b"), "U+D800"),
    (lambda d: d["score"]["sections"][0].update(name="verse\x00"), "U+0000"),
    (lambda d: d["brief"].update(prompt="p" * 100_000), "prompt must be at most"),
    (lambda d: d["brief"].update(lyrics="la " * 100_000), "lyrics must be at most"),
    (lambda d: d["score"]["tracks"][0].update(notes=[{"pitch": 60, "start_tick": i, "duration_ticks": 1} for i in range(100_001)]), "MAX_NOTES_PER_TRACK"),
    (lambda d: d["plan"].update(sections=[dict(d["plan"]["sections"][0], name=f"s{i}", bars=1, start_bar=None) for i in range(200)],
                                energy_per_bar=[0.5] * 200), "MAX_SECTIONS"),
    (lambda d: d["score"].update(resolution=10**30), "MAX_JSON_INT_DIGITS"),
])
def test_hostile_song_json_values_are_refused_at_load(tmp_path: Path, capsys, song_data: dict, edit, words: str) -> None:
    data = copy.deepcopy(song_data)
    edit(data)
    folder = _song_folder(tmp_path, data)
    assert words in _fails_cleanly(["render", str(folder)], capsys)
    with pytest.raises(LemmError, match=re.escape(words)):
        lemm.load(folder)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60)
@given(path=st.sampled_from([("score", "title"), ("score", "resolution"), ("score", "tracks"), ("score", "sections"),
                             ("plan", "tempo_bpm"), ("plan", "sections"), ("plan", "instruments"), ("brief", "seed"),
                             ("brief", "tags"), ("score", "tempos"), ("mix",), ("render",), ("presets",)]),
       value=_JSON)
def test_any_json_value_in_song_json_loads_or_is_a_lemm_error(song_data: dict, path: tuple, value) -> None:
    data = copy.deepcopy(song_data)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    from lemm.song import song_from_dict

    text = json.dumps(data)
    try:
        song_from_dict(loads_json(text, what="song file"))
    except LemmError:
        pass


@settings(max_examples=80)
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_as_json_is_data_or_a_lemm_error(payload: bytes) -> None:
    try:
        loads_json(payload.decode("utf-8", "surrogateescape"), what="file")
    except LemmError:
        pass


# --- plans ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plan_data(song_data: dict) -> dict:
    return copy.deepcopy(song_data["plan"])


def test_a_51_hour_plan_is_refused_before_composing(tmp_path: Path, capsys, plan_data: dict) -> None:
    plan = copy.deepcopy(plan_data)
    base = plan["sections"][0]
    plan["tempo_bpm"] = 20.0
    plan["sections"] = [dict(base, name=f"part {i}", bars=256, start_bar=None) for i in range(60)]
    plan["energy_per_bar"] = [0.5] * (60 * 256)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    line = _fails_cleanly(["compose", "x", "--plan", str(path), "--out", str(tmp_path / "out")], capsys)
    assert "MAX_SECTIONS" in line or "MAX_SONG_BARS" in line or "MAX_SONG_SECONDS" in line
    assert not (tmp_path / "out").exists()


def test_an_unknown_preset_in_a_plan_is_an_error(tmp_path: Path, capsys, plan_data: dict) -> None:
    plan = copy.deepcopy(plan_data)
    plan["instruments"][0]["preset"] = "kazoo"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    line = _fails_cleanly(["compose", "x", "--plan", str(path), "--out", str(tmp_path / "out")], capsys)
    assert "'kazoo'" in line and "steel_guitar" in line  # names the value and what is accepted


@pytest.mark.parametrize("payload", [b"", b"[" * 50_000, b'{"genre": "pop", "tempo_bpm": 1' + b"0" * 4999 + b"}", b"\x00\x01"])
def test_corrupt_plan_files(tmp_path: Path, capsys, payload: bytes) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(payload)
    _fails_cleanly(["compose", "x", "--plan", str(path), "--out", str(tmp_path / "out")], capsys)


# --- the brief: prompt, lyrics, text ------------------------------------------------------------

@pytest.mark.parametrize("prompt", ["pop \udcff song", "pop\x00", "pop\x1b[2J", "pop\x85", "pop\ufffe", "p" * 3000])
def test_hostile_prompts_are_refused_before_any_work(tmp_path: Path, capsys, prompt: str) -> None:
    line = _fails_cleanly(["compose", prompt, "--duration", "0:10", "--out", str(tmp_path / "out")], capsys)
    assert "prompt" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, words", [
    (b"la la\x07 la\n", "U+0007"),
    (b"\xff\xfe\x00bad", "UTF-8"),
    (("la " * 10_000).encode(), "lyrics must be at most"),
    (b"x" * (limits.MAX_LYRICS_FILE_BYTES + 1), "MAX_LYRICS_FILE_BYTES"),
])
def test_hostile_lyrics_files(tmp_path: Path, capsys, text: bytes, words: str) -> None:
    path = tmp_path / "lyrics.txt"
    path.write_bytes(text)
    line = _fails_cleanly(["compose", "pop", "--lyrics", str(path), "--duration", "0:10", "--out", str(tmp_path / "out")], capsys)
    assert words in line


def test_windows_line_ends_in_lyrics_are_read_as_lines(tmp_path: Path) -> None:
    from lemm.compose.brief import read_lyrics_file

    path = tmp_path / "lyrics.txt"
    path.write_bytes(b"\xef\xbb\xbfone line\r\ntwo line\r\n\r\nthree\r")
    assert read_lyrics_file(path) == "one line\ntwo line\n\nthree\n"


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_any_prompt_is_a_brief_or_a_parameter_error_naming_the_prompt(prompt: str) -> None:
    try:
        brief = Brief(prompt=prompt)
    except ParameterError as err:
        assert str(err).startswith("prompt must be")
        assert any(limits._BAD_MULTILINE.search(c) for c in prompt)
    else:
        assert brief.prompt == prompt
        for fmt in ("utf-8",):  # whatever is accepted can be written as UTF-8 (no lone surrogates)
            prompt.encode(fmt)


# --- MIDI and MusicXML ----------------------------------------------------------------------------

def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.append(0x80 | (value & 0x7F))
    return bytes(reversed(out))


def _midi_bytes(n_notes: int, *, duration_ticks: int = 60, name: str = "piano") -> bytes:
    """A type-1 MIDI file of one track of ``n_notes`` notes, written byte by byte (fast for 100,000 notes)."""
    title = name.encode("latin-1", "replace")
    events = [b"\x00\xff\x03" + _varlen(len(title)) + title]
    for i in range(n_notes):
        pitch = 60 + i % 12
        events.append(_varlen(0) + bytes([0x90, pitch, 80]) + _varlen(duration_ticks) + bytes([0x80, pitch, 0]))
    events.append(b"\x00\xff\x2f\x00")
    track = b"".join(events)
    return b"MThd" + (6).to_bytes(4, "big") + (1).to_bytes(2, "big") + (1).to_bytes(2, "big") + (480).to_bytes(2, "big") \
        + b"MTrk" + len(track).to_bytes(4, "big") + track


def test_a_100000_note_guide_midi_is_refused_before_decoding(tmp_path: Path, capsys) -> None:
    path = tmp_path / "guide.mid"
    path.write_bytes(_midi_bytes(100_000))
    line = _fails_cleanly(["analyze", str(path)], capsys)
    assert "MAX_GUIDE_NOTES" in line and "100000" in line
    line = _fails_cleanly(["compose", "x", "--guide", str(path), "--duration", "0:10", "--out", str(tmp_path / "out")], capsys)
    assert "MAX_GUIDE_NOTES" in line


def test_a_guide_midi_with_one_endless_note_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "long.mid"
    path.write_bytes(_midi_bytes(1, duration_ticks=480 * 100_000))
    line = _fails_cleanly(["analyze", str(path)], capsys)
    assert "MAX_NOTE_BEATS" in line or "MAX_SONG_SECONDS" in line


@pytest.mark.parametrize("payload", [b"", b"MThd", b"MThd\x00\x00\x00\x06\x00\x01\xff\xff\x01\xe0", b"RIFF....WAVE", b"\x00" * 1000])
def test_corrupt_midi_files(tmp_path: Path, capsys, payload: bytes) -> None:
    path = tmp_path / "bad.mid"
    path.write_bytes(payload)
    _fails_cleanly(["analyze", str(path)], capsys)


def test_control_characters_in_midi_names_are_cleaned_on_import(tmp_path: Path) -> None:
    from lemm.score.midi import read_midi

    path = tmp_path / "names.mid"
    path.write_bytes(_midi_bytes(4, name="bass\x00\x00\x07/" + "x" * 300))
    score = read_midi(path)
    name = score.tracks[0].name
    assert name.startswith("bass-x") and len(name) == limits.MAX_NAME_CHARS
    assert not limits._BAD_LINE.search(name)


@settings(max_examples=60)
@given(st.binary(max_size=300))
def test_any_bytes_as_midi_is_a_score_or_a_lemm_error(tmp_path_factory, payload: bytes) -> None:
    from lemm.score.midi import read_midi

    path = tmp_path_factory.mktemp("midi") / "x.mid"
    path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk" + len(payload).to_bytes(4, "big") + payload)
    try:
        read_midi(path)
    except LemmError:
        pass


def test_an_mxl_zip_bomb_is_refused_from_its_declared_sizes(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bomb.mxl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z, z.open("score.xml", "w", force_zip64=True) as member:
        chunk = b"<a/>" * (2**20 // 4)
        for _ in range(limits.MAX_MXL_UNCOMPRESSED_BYTES // len(chunk) + 4):
            member.write(chunk)
    assert path.stat().st_size < 2**20  # small on disk
    line = _fails_cleanly(["import", str(tmp_path), str(path)], capsys)
    assert "MAX_MXL_UNCOMPRESSED_BYTES" in line or "song.json" in line
    from lemm.score.musicxml import read_musicxml

    with pytest.raises(LimitError, match="MAX_MXL_UNCOMPRESSED_BYTES"):
        read_musicxml(path)


@pytest.mark.parametrize("payload", [
    b"",
    b"<score-partwise",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><score-partwise>&e;</score-partwise>',
    (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><score-partwise>&d;</score-partwise>'),
    b"PK\x03\x04 not really a zip",
    b"<score-partwise>\x01</score-partwise>",
])
def test_corrupt_and_hostile_musicxml(tmp_path: Path, payload: bytes) -> None:
    from lemm.score.musicxml import read_musicxml

    path = tmp_path / "bad.musicxml"
    path.write_bytes(payload)
    with pytest.raises(LemmError):
        read_musicxml(path)


# --- audio, API, and the CLI's own guards ----------------------------------------------------------

def test_vocals_clean_with_grid_or_tempo_zero_is_a_clear_error(tmp_path: Path, capsys) -> None:
    take = tmp_path / "take.wav"
    take.write_bytes(b"")
    assert "--grid" in _fails_cleanly(["vocals", "clean", str(take), "-o", str(tmp_path / "o.wav"), "--timing", "grid", "--grid", "0"], capsys)
    assert "--bpm" in _fails_cleanly(["vocals", "clean", str(take), "-o", str(tmp_path / "o.wav"), "--timing", "grid", "--bpm", "0"], capsys)


def test_audio_longer_than_the_limit_is_refused_before_decoding(tmp_path: Path, monkeypatch) -> None:
    import numpy as np
    import soundfile as sf

    import lemm.io.audio
    from lemm.io.audio import read_audio

    path = tmp_path / "a.wav"
    sf.write(str(path), np.zeros(48000 * 3, np.float32), 48000)
    monkeypatch.setattr(lemm.io.audio, "MAX_AUDIO_SECONDS", 2.0)  # the limit as lemm.io.audio imported it
    with pytest.raises(LimitError, match="MAX_AUDIO_SECONDS"):
        read_audio(path)


def test_a_score_over_the_note_limits_is_refused_by_the_api() -> None:
    notes = tuple(Note(60, i, 1) for i in range(limits.MAX_NOTES_PER_TRACK + 1))
    with pytest.raises(LimitError, match="MAX_NOTES_PER_TRACK"):
        Score(tracks=(Track("keys", "keys", "acoustic_piano", notes=notes),))
    with pytest.raises(LimitError, match="MAX_SONG_SECONDS"):
        Score(tracks=(Track("keys", "keys", "acoustic_piano", notes=(Note(60, 10**9, 480),)),))


def test_render_memory_is_estimated_before_allocating() -> None:
    with pytest.raises(LimitError, match="MAX_RENDER_BYTES"):
        limits.check_render_memory(n_tracks=64, duration_seconds=1200.0, sample_rate=192_000)
    assert limits.check_render_memory(n_tracks=8, duration_seconds=210.0, sample_rate=48_000) == 8 * 2 * 210 * 48_000 * 4


def test_an_edit_that_would_be_clamped_is_refused_not_misreported() -> None:
    from lemm.instruct.apply import apply_operations
    from lemm.instruct.errors import InstructionError
    from lemm.instruct.grammar import parse_instruction

    song = lemm.compose("pop", tags=("pop",), duration="0:10", seed=1)
    ops = parse_instruction("turn up the bass by 1000 dB", song)
    with pytest.raises(InstructionError, match=r"\+1000 dB.*accepted"):
        apply_operations(song, ops)
    fine = apply_operations(song, parse_instruction("turn up the bass by 3 dB", song))
    assert fine.score.track("bass").gain_db == pytest.approx(song.score.track("bass").gain_db + 3.0)


def test_unexpected_exceptions_become_one_line_and_debug_shows_the_traceback(capsys, monkeypatch) -> None:
    from lemm import cli

    def boom(args):  # noqa: ARG001  (a stand-in for a command)
        raise MemoryError()

    monkeypatch.setattr(cli, "_cmd_info", boom)
    line = _fails_cleanly(["info", "x"], capsys, status=1)
    assert "out of memory" in line and "hint" in line
    capsys.readouterr()
    assert main(["--debug", "info", "x"]) == 1
    assert "Traceback" in capsys.readouterr().err
    for exc, words in ((RecursionError(), "nested"), (OSError(28, "No space left on device", "/x"), "No space left"),
                       (UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"), "UTF-8"), (KeyError("k"), "--debug")):
        monkeypatch.setattr(cli, "_cmd_info", lambda args, exc=exc: (_ for _ in ()).throw(exc))  # noqa: ARG005  (a stand-in for a command)
        assert words in _fails_cleanly(["info", "x"], capsys, status=1)
    monkeypatch.setattr(cli, "_cmd_info", lambda args: (_ for _ in ()).throw(KeyboardInterrupt()))  # noqa: ARG005  (a stand-in for a command)
    capsys.readouterr()
    assert main(["info", "x"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "lemm: interrupted (Ctrl-C)"


def test_subprocess_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "song.json").write_text("[" * 10_000)
    for argv in (["render", str(tmp_path)], ["compose", "pop\udcff", "--out", str(tmp_path / "o")]):
        run = subprocess.run([sys.executable, "-m", "lemm.cli", *argv], capture_output=True, text=True, errors="surrogateescape",
                             cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=False)
        assert run.returncode == 2, run.stderr
        assert run.stderr.count("lemm: error:") == 1 and "Traceback" not in run.stderr, run.stderr


@settings(max_examples=40)
@given(__import__("tests.score.strategies", fromlist=["scores"]).scores(max_tracks=3, min_notes=1))
def test_the_midi_note_pre_scan_counts_what_mido_reads(score) -> None:
    from lemm.score.midi import score_to_midi

    mid = score_to_midi(score)
    buffer = io.BytesIO()
    mid.save(file=buffer)
    expected = sum(1 for track in mid.tracks for msg in track if msg.type == "note_on" and msg.velocity > 0)
    assert limits.count_midi_note_ons(buffer.getvalue()) == expected == sum(len(t.notes) for t in score.tracks)
