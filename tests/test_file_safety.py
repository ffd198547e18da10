"""Single-file writes never replace what they must not, refuse bad outputs before any work, and
survive a failed write; the render cache checks its entries; a damaged history is a clear error."""

from __future__ import annotations

import errno
import fcntl
import io
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lemm.cli import main
from lemm.errors import FileFormatError, LemmError, OutputPathError, ParameterError
from lemm.io import atomic
from lemm.io.atomic import atomic_write_bytes, check_output_file, check_output_folder, is_temp_file_name
from lemm.io.audio import check_audio_output, read_audio, write_audio
from lemm.mix.cli import master_file
from lemm.project.history import list_versions, record_version, version_text
from lemm.render.settings import RenderSettings
from lemm.render.stems import RenderCache, render_stems, slice_digest
from lemm.score.model import Note, Score, Section, Track


def _tone(path: Path, seconds: float = 2.0) -> Path:
    t = np.arange(int(48000 * seconds)) / 48000
    sf.write(str(path), (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 48000)
    return path


def _no_work(*args, **kwargs):
    raise AssertionError("work started before the output was checked")


# --- output paths that cannot work are refused before any work -------------------------------------------------


def test_master_refuses_a_fifo_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "out.wav"
    os.mkfifo(fifo)
    monkeypatch.setattr("lemm.io.audio.read_audio", _no_work)  # the input is never read
    with pytest.raises(OutputPathError, match="is a FIFO"):
        master_file(tmp_path / "in.wav", fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_master_refuses_a_symlink_and_keeps_its_target(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = _tone(tmp_path / "in.wav")
    target = tmp_path / "precious.wav"
    target.write_bytes(b"my own bytes")
    link = tmp_path / "out.wav"
    link.symlink_to(target)
    assert main(["master", str(src), "-o", str(link)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lemm: error: ") and "symbolic link" in err and err.count("\n") == 1
    assert link.is_symlink() and os.readlink(link) == str(target) and target.read_bytes() == b"my own bytes"


def test_master_refuses_dev_null_and_leaves_it_a_device(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    before = os.lstat("/dev/null")
    src = _tone(tmp_path / "in.wav")
    assert main(["master", str(src), "-o", "/dev/null"]) == 2
    assert "is a device" in capsys.readouterr().err
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    with pytest.raises(OutputPathError, match="is a device"):
        check_output_file("/dev/null")


@pytest.mark.parametrize("name, message", [
    (".", "file path, not a folder"),
    ("/", "file path, not a folder"),
    ("sub/", "file path, not a folder"),
    ("afile/x.wav", "afile. is an existing file"),
    ("afile/deeper/x.wav", "which is a file, not a folder"),
    ("/proc/lemm-test.wav", "pseudo file system"),
    ("/sys/lemm-test.wav", "pseudo file system"),
    ("x.mp3", "must end in .wav or .flac"),
    ("x.ogg", "must end in .wav or .flac"),
    ("x", "must end in .wav or .flac"),
    ("adir", "is a folder"),
])
def test_audio_outputs_that_cannot_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("keep")
    (tmp_path / "adir.wav").mkdir()
    path = "adir.wav" if name == "adir" else name
    with pytest.raises(OutputPathError, match=message):
        check_audio_output(path)
    assert (tmp_path / "afile").read_text() == "keep"


def test_read_only_folder_is_refused_before_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "can_write_in", lambda folder: False)  # noqa: ARG005  (a stand-in for can_write_in); as a read-only mount answers access(2)
    with pytest.raises(OutputPathError, match="read-only or not writable"):
        check_output_file(tmp_path / "x.wav")
    with pytest.raises(OutputPathError, match="read-only or not writable"):
        check_output_folder(tmp_path / "song", what="song folder")


def test_compose_refuses_bad_out_before_composing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import lemm

    monkeypatch.setattr(lemm, "compose", _no_work)
    (tmp_path / "afile").write_text("keep")
    for out, message in [("/", "root folder"), (str(tmp_path / "afile" / "x"), "which is a file"), ("/proc/lemm-song", "pseudo file system"),
                         (str(tmp_path / "afile"), "is an existing file")]:
        assert main(["compose", "x", "--duration", "0:10", "--out", out]) == 2
        err = capsys.readouterr().err
        assert err.startswith("lemm: error: ") and message in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_compose_with_force_still_refuses_a_users_file_named_like_lemms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                           capsys: pytest.CaptureFixture) -> None:
    import lemm

    monkeypatch.setattr(lemm, "compose", _no_work)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "master.wav").write_bytes(b"my master")
    assert main(["compose", "x", "--out", str(folder), "--force"]) == 2
    assert "'master.wav' is there and lemm did not write it" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["master.wav"] and (folder / "master.wav").read_bytes() == b"my master"


# --- the extension says what is written ----------------------------------------------------------------------


def test_flac_and_wav_are_what_their_names_say(tmp_path: Path) -> None:
    audio = (0.1 * np.sin(np.linspace(0, 200, 9600))).astype(np.float32)[None].repeat(2, 0)
    write_audio(tmp_path / "a.flac", audio, sample_rate=48000)
    write_audio(tmp_path / "a.WAV", audio, sample_rate=48000, bit_depth=16)
    assert (tmp_path / "a.flac").read_bytes()[:4] == b"fLaC" and sf.info(str(tmp_path / "a.flac")).format == "FLAC"
    wav = (tmp_path / "a.WAV").read_bytes()
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    back, _ = read_audio(tmp_path / "a.flac")
    assert np.max(np.abs(back - audio)) < 2.0**-22  # 24-bit
    with pytest.raises(ParameterError, match="bit_depth of a FLAC file must be 16 or 24, got 32"):
        write_audio(tmp_path / "b.flac", audio, sample_rate=48000, bit_depth=32)
    assert not (tmp_path / "b.flac").exists()


def test_written_bytes_equal_soundfiles_own(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    audio = (0.2 * rng.standard_normal((2, 48000))).astype(np.float32)
    write_audio(tmp_path / "lemm.wav", audio, sample_rate=48000)
    sf.write(str(tmp_path / "sf.wav"), audio.T, 48000, subtype="PCM_24", format="WAV")
    assert (tmp_path / "lemm.wav").read_bytes() == (tmp_path / "sf.wav").read_bytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bit_depth", [16, 24, 32])
def test_a_turned_stem_is_written_as_the_product_rounded_once(tmp_path: Path, dtype, bit_depth: int) -> None:
    """The song folder's trimmed stems (one interleaving pass) give soundfile's bytes of ``(audio * gain).astype(float32)``."""
    from lemm.export.common import headroom_trim_db
    from lemm.io.audio import DITHER_SEED, interleaved_float32
    from lemm.io.dither import tpdf_dither
    from lemm.project.folder import _gain
    from lemm.units import db_to_gain

    rng = np.random.default_rng(5)
    audio = (0.5 * rng.standard_normal((2, 24000))).astype(dtype)
    audio[0, 7] = -4.25  # the peak, negative
    trim = headroom_trim_db(audio)
    assert trim == pytest.approx(-1.0 - 20 * np.log10(4.25), abs=1e-12)
    write_audio(tmp_path / "lemm.wav", _gain(audio, trim), sample_rate=48000, bit_depth=bit_depth)
    expected = (audio * np.float32(db_to_gain(trim))).astype(np.float32)
    if bit_depth == 16:
        expected = tpdf_dither(expected, bit_depth=16, seed=DITHER_SEED)
    subtype = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[bit_depth]
    sf.write(str(tmp_path / "sf.wav"), expected.T.astype(np.float32), 48000, subtype=subtype, format="WAV")
    # soundfile's float WAV has a PEAK chunk stamped with the time of writing; lemm's has padding in its place
    theirs = [c for c in riff_chunks((tmp_path / "sf.wav").read_bytes()) if c[0] != b"PEAK"]
    ours = [c for c in riff_chunks((tmp_path / "lemm.wav").read_bytes()) if c[0] != b"PAD "]
    assert ours == theirs and [c[0] for c in ours][-1] == b"data"
    assert np.array_equal(interleaved_float32(audio), audio.T.astype(np.float32))


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (id, payload) chunks of a RIFF/WAVE file after its 12-byte header, in order (the padding to even sizes skipped)."""
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        chunks.append((data[pos : pos + 4], data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return chunks


def test_a_float_wav_has_no_peak_chunk_and_keeps_its_samples(tmp_path: Path) -> None:
    """libsndfile's PEAK chunk holds the time of writing: two writes of one song a second apart differed."""
    import io

    from lemm.export.common import encode_audio

    audio = (np.random.default_rng(3).standard_normal((2, 4800)) * 0.2).astype(np.float32)
    path = write_audio(tmp_path / "x.wav", audio, sample_rate=48000, bit_depth=32)
    ids = [c[0] for c in riff_chunks(path.read_bytes())]
    assert b"PEAK" not in ids and b"data" in ids
    back, rate = sf.read(path, dtype="float32", always_2d=True)
    assert rate == 48000 and np.array_equal(back.T, audio)
    encoded = encode_audio(audio.T, sample_rate=48000, bit_depth=32)
    assert b"PEAK" not in [c[0] for c in riff_chunks(encoded)]
    assert np.array_equal(sf.read(io.BytesIO(encoded), dtype="float32")[0], audio.T)
    plain = io.BytesIO()  # what the guard is for: libsndfile's default writes the chunk
    sf.write(plain, audio.T, 48000, subtype="FLOAT", format="WAV")
    assert b"PEAK" in [c[0] for c in riff_chunks(plain.getvalue())]


# --- a failed write leaves the old file and no temp file ---------------------------------------------------------



@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_full_disk_mid_write_keeps_the_old_file(tmp_path: Path, fail_os_write, fail_at: int) -> None:
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    fail_os_write(fail_at, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(OutputPathError, match="no space left on the device") as caught:
        atomic_write_bytes(target, bytes(3 * atomic.WRITE_CHUNK_BYTES))
    assert isinstance(caught.value, LemmError) and str(target) in str(caught.value)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["big.bin"]


def test_read_only_file_system_mid_write_is_an_output_path_error(tmp_path: Path,
                                                                fail_os_write) -> None:
    fail_os_write(1, OSError(errno.EROFS, "Read-only file system"))
    with pytest.raises(OutputPathError, match="the file system is read-only"):
        write_audio(tmp_path / "x.wav", np.zeros((2, 480), np.float32), sample_rate=48000)
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_files_go_but_a_live_writers_stays(tmp_path: Path) -> None:
    stale = tmp_path / ".out.wav.lemm-abcd1234.tmp.wav"
    old_style = tmp_path / ".out.wav.k2j4h5g6.tmp.wav"  # lemm < 0.2
    live = tmp_path / ".out.wav.lemm-zzzz9999.tmp.wav"
    mine = tmp_path / ".out.wav.notes.txt"
    for p in (stale, old_style, live, mine):
        p.write_bytes(b"x")
    assert all(is_temp_file_name(p.name) for p in (stale, old_style, live)) and not is_temp_file_name(mine.name)
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a writer that is still running holds it
    try:
        write_audio(tmp_path / "out.wav", np.zeros((2, 480), np.float32), sample_rate=48000)
    finally:
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, mine.name, "out.wav"])


# --- the render cache checks its entries ------------------------------------------------------------------------


def _tiny_score() -> Score:
    return Score(sections=(Section("verse 1", "verse", 0, 1920), Section("chorus 1", "chorus", 1920, 1920)),
                 tracks=(Track("bass", "bass", "synth_bass", notes=(Note(40, 0, 480), Note(43, 1920, 480))),))


def test_a_tampered_cache_slice_is_rendered_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    score, settings, n = _tiny_score(), RenderSettings(), 48000 * 5
    cache = RenderCache(tmp_path / "cache")
    clean, _ = render_stems(score, settings=settings, seed=1, n_samples=n, cache=cache)
    entries = sorted((tmp_path / "cache").glob("*.npz"))
    assert len(entries) == 2
    victim = entries[0]
    with np.load(victim) as data:
        start, audio, digest = int(data["start"]), data["audio"].copy(), str(data["sha256"])
    assert digest == slice_digest(victim.stem, start, audio)
    audio[:, :100] += 0.5  # a changed slice that still loads, with its old hash
    buffer = io.BytesIO()
    np.savez(buffer, start=np.int64(start), audio=audio, sha256=np.str_(digest))
    victim.write_bytes(buffer.getvalue())
    (tmp_path / "cache" / "my-notes.npz").write_bytes(b"a user's file")  # not lemm's name: never pruned
    with caplog.at_level("WARNING", logger="lemm.render.stems"):
        again, stats = render_stems(score, settings=settings, seed=1, n_samples=n, cache=cache)
    assert len(stats.rendered) == 1 and len(stats.cached) == 1
    assert np.array_equal(again["bass"], clean["bass"])
    assert any("does not match its hash" in r.getMessage() for r in caplog.records)
    assert (tmp_path / "cache" / "my-notes.npz").read_bytes() == b"a user's file"
    with np.load(victim) as data:  # the entry was written again, right
        assert slice_digest(victim.stem, int(data["start"]), data["audio"]) == str(data["sha256"])


def test_cache_entries_skip_the_fsync_but_song_files_do_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache entry (checked by its hash when read) is renamed into place without an fsync; every other file is fsync-ed."""
    from lemm.io.npz_cache import read_entry, write_entry

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    entry = tmp_path / ("0" * 32 + ".npz")
    write_entry(entry, {"audio": np.arange(6, dtype=np.float32)}, sha256="abc")
    assert synced == [] and read_entry(entry, ["audio"], what="test")["audio"].tolist() == list(range(6))
    assert not [p for p in tmp_path.iterdir() if is_temp_file_name(p.name)]
    with atomic.atomic_file(tmp_path / "song.bin") as file:
        file.write(b"data")
    assert len(synced) == 1 and (tmp_path / "song.bin").read_bytes() == b"data"


def test_a_cache_entry_without_a_hash_is_not_trusted(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    key = "ab" * 16
    buffer = io.BytesIO()
    np.savez(buffer, start=np.int64(0), audio=np.ones((2, 4), np.float32))  # lemm < 0.2 wrote no hash
    (tmp_path / f"{key}.npz").write_bytes(buffer.getvalue())
    assert cache.get(key) is None
    cache.put(key, 7, np.ones((2, 4), np.float32))
    start, audio = cache.get(key)
    assert start == 7 and np.array_equal(audio, np.ones((2, 4), np.float32))


# --- a damaged history is a clear error ---------------------------------------------------------------------------


def _history_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "h"
    record_version(folder, '{"a": 1}', action="compose")
    record_version(folder, '{"a": 2}', action="edit")
    return folder


@pytest.mark.parametrize("damage, message", [
    (lambda h: (h / "log.json").write_text("[" * 100_000 + "]" * 100_000), "not readable JSON"),
    (lambda h: (h / "log.json").write_bytes(b"\xff\xfe garbage"), "not readable JSON"),
    (lambda h: (h / "log.json").write_text('{"version": 1}'), "a list of versions expected"),
    (lambda h: (h / "log.json").write_text('[{"version": 1, "action": "x"}, {"version": 1, "action": "y"}]'), "must increase"),
    (lambda h: (h / "log.json").write_text('[{"version": ' + "9" * 5000 + ', "action": "x"}]'), "not readable JSON"),
    (lambda h: (h / "log.json").write_text('[{"version": "1", "action": "x"}]'), "a row must be"),
])
def test_damaged_history_log(tmp_path: Path, damage, message: str, capsys: pytest.CaptureFixture) -> None:
    folder = _history_folder(tmp_path)
    damage(folder / "history")
    with pytest.raises(FileFormatError, match=message):
        list_versions(folder)
    for argv in (["history", str(folder)], ["diff", str(folder)], ["checkout", str(folder), "1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("lemm: error: history log") and "damaged" in err and "Traceback" not in err


@pytest.mark.parametrize("content", [None, b"\xff not json", b"[" * 100_000])
def test_missing_or_garbage_version_file(tmp_path: Path, content: bytes | None, capsys: pytest.CaptureFixture) -> None:
    folder = _history_folder(tmp_path)
    version_file = folder / "history" / "0001.json"
    if content is None:
        version_file.unlink()
        with pytest.raises(FileFormatError, match="saved version 1"):
            version_text(folder, 1)
    else:
        version_file.write_bytes(content)
    for argv in (["diff", str(folder), "1", "2"], ["checkout", str(folder), "1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("lemm: error: saved version 1") and "Traceback" not in err, err
    assert json.loads((folder / "history" / "log.json").read_text())[-1]["version"] == 2  # nothing was recorded
