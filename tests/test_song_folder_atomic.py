"""A song folder is written as a unit and never loses a byte of the user's own files.

One short song is composed once (module fixture); every test works on copies of it.
The kill -9 test runs ``lemm render`` and ``lemm compose`` in subprocesses stopped at
named commit points (``LEMM_TEST_PAUSE_AT``, test only) and killed there.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import lemm
from lemm.cli import main
from lemm.errors import LemmError, OutputPathError
from lemm.io import atomic
from lemm.io.atomic import is_temp_file_name
from lemm.io.background import BackgroundWriteError
from lemm.project.history import list_versions
from lemm.project.staging import write_song_files
from lemm.song import rerender_song_folder, write_song_folder

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_ARGS = ["a calm folk song", "--tags", "folk", "--duration", "0:10", "--seed", "1"]


def _compose_a():
    return lemm.compose("a calm folk song", tags=("folk",), duration="0:10", seed=1)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A: the composed song. A2: A with song.json edited by hand (bass +3 dB). B: A2 rendered (the new song).

    Also the rendered, mixed Song objects of A and B, to write without rendering.
    """
    root = tmp_path_factory.mktemp("songs")
    song_a = _compose_a()
    song_a.save(root / "A")
    a2 = root / "A2"
    shutil.copytree(root / "A", a2)
    data = json.loads((a2 / "song.json").read_text())
    data["mix"]["tracks"]["bass"]["gain_db"] += 3.0
    (a2 / "song.json").write_text(json.dumps(data))  # a person's edit of song.json
    shutil.copytree(a2, root / "B")
    song_b = lemm.load(root / "B")
    song_b.stems = dict(song_a.stems)  # the same score renders the same stems (the kill test checks B against `lemm render`)
    song_b.mix()
    write_song_files(song_b, root / "B", action="render")
    return {"A": root / "A", "A2": a2, "B": root / "B", "song_a": song_a, "song_b": song_b}


FOREIGN = {
    "precious.txt": b"my notes, not lemm's",
    "album.flac": bytes(range(256)) * 64,
    "sub/deeper/take 1.wav": b"RIFF....WAVE my own take",
    "stems/my vocal take.wav": b"my own stem",
    "history/what I changed.txt": b"v2: brighter",
    ".hidden": b"dotfile",
}


def _add_foreign(folder: Path) -> None:
    for rel, data in FOREIGN.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def _tree_hash(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel] + b"\0")
    return h.hexdigest()


def _foreign_hash(folder: Path) -> str:
    """One hash over every foreign byte and name (fails if any is changed, moved or gone)."""
    return _tree_hash({rel: (folder / rel).read_bytes() for rel in FOREIGN})


FOREIGN_HASH = _tree_hash(FOREIGN)


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file of the folder (not the render cache) by its hash; report.json without its timings."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_dir() or rel.startswith("cache/"):
            continue
        data = path.read_bytes()
        if rel == "report.json":
            report = json.loads(data)
            report.pop("seconds_per_stage")
            data = json.dumps(report, sort_keys=True).encode()
        out[rel] = hashlib.sha256(data).hexdigest()
    return out


def _leftovers(folder: Path) -> list[str]:
    """Staging folders, journals and temp files under ``folder``: none may survive a run."""
    bad = [p.name for p in (folder / ".lemm").iterdir() if p.name != "manifest.json"] if (folder / ".lemm").is_dir() else []
    return bad + [p.relative_to(folder).as_posix() for p in folder.rglob("*") if is_temp_file_name(p.name)]


def _copy(src: Path, dst: Path, *, foreign: bool = True, cache: bool = True) -> Path:
    shutil.copytree(src, dst, ignore=None if cache else shutil.ignore_patterns("cache"))
    if foreign:
        _add_foreign(dst)
    return dst


def _no_work(*args, **kwargs):
    raise AssertionError("work started before the output was checked")


# --- the user's files ------------------------------------------------------------------------------------------


def test_a_foreign_folder_is_refused_before_work_or_written_beside_with_force(folders: dict, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    _add_foreign(target)
    before = _foreign_hash(target)
    fresh = _compose_a()
    monkeypatch.setattr(type(fresh), "render", _no_work)
    with pytest.raises(OutputPathError, match="is not empty and is not a lemm song folder .* --force"):
        fresh.save(target)
    assert sorted(p.name for p in target.iterdir()) == sorted({rel.split("/")[0] for rel in FOREIGN})  # not even .lemm/
    folders["song_a"].save(target, force=True)
    assert _foreign_hash(target) == before
    a = _snapshot(folders["A"])
    assert {rel: h for rel, h in _snapshot(target).items() if rel not in FOREIGN} == a  # lemm's files, byte for byte
    manifest = json.loads((target / ".lemm" / "manifest.json").read_text())["files"]
    assert sorted(manifest) == sorted(rel for rel in a if not rel.startswith(".lemm/"))
    assert not set(manifest) & set(FOREIGN)
    folders["song_b"].save(target)  # a song folder now: no force needed, the user's files stay
    assert _foreign_hash(target) == before and _leftovers(target) == []
    assert (target / "master.wav").read_bytes() == (folders["B"] / "master.wav").read_bytes()


def test_compose_cli_into_a_foreign_folder_is_one_line_before_composing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(lemm, "compose", _no_work)
    _add_foreign(tmp_path)
    before = _foreign_hash(tmp_path)
    assert main(["compose", *COMPOSE_ARGS, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lemm: error: ") and "--force" in err and err.count("\n") == 1
    assert _foreign_hash(tmp_path) == before and not (tmp_path / ".lemm").exists()


def test_an_edit_replaces_lemms_files_keeps_the_users_and_drops_a_removed_tracks_stem(folders: dict, tmp_path: Path) -> None:
    work = _copy(folders["A"], tmp_path / "w")
    before = _foreign_hash(work)
    song = lemm.load(work)
    gone = song.score.tracks[-1].name
    edited = song.with_score(dataclasses.replace(song.score, tracks=song.score.tracks[:-1]))
    rerender_song_folder(edited, work, action="edit: remove a track")
    assert _foreign_hash(work) == before and _leftovers(work) == []
    assert not (work / "stems" / f"{gone}.wav").exists() and (work / "stems" / "my vocal take.wav").exists()
    manifest = json.loads((work / ".lemm" / "manifest.json").read_text())["files"]
    assert f"stems/{gone}.wav" not in manifest and "history/0002.json" in manifest
    assert [v.action for v in list_versions(work)] == ["compose", "edit: remove a track"]


def test_a_link_or_fifo_at_one_of_lemms_names_is_never_written_through(folders: dict, tmp_path: Path) -> None:
    work = _copy(folders["A"], tmp_path / "w", cache=False)
    precious = tmp_path / "precious.wav"
    precious.write_bytes(b"not lemm's")
    (work / "master.wav").unlink()
    (work / "master.wav").symlink_to(precious)
    (work / "stems" / "bass.wav").unlink()
    os.mkfifo(work / "stems" / "bass.wav")
    with pytest.raises(OutputPathError, match=r"'master.wav' is a symbolic link; 'stems/bass.wav' is not a regular file"):
        write_song_files(folders["song_b"], work)
    assert precious.read_bytes() == b"not lemm's" and (work / "master.wav").is_symlink()
    assert (work / "stems" / "bass.wav").is_fifo() and _leftovers(work) == []


def test_a_song_folder_from_before_the_manifest_is_adopted_and_its_leftovers_cleaned(folders: dict, tmp_path: Path) -> None:
    work = _copy(folders["A"], tmp_path / "old")
    shutil.rmtree(work / ".lemm")  # as lemm < 0.2 wrote it: no manifest ...
    shutil.rmtree(work / "printed")  # ... and no printed stems
    (work / ".master.wav.k2j4h5g6.tmp.wav").write_bytes(b"half a file")  # a killed write's temp file
    swapped = tmp_path / ".old.a1b2c3d4.old"  # a killed compose's swapped-out folder
    shutil.copytree(folders["A"] / "stems", swapped / "stems")
    (swapped / "song.json").write_text("{}")
    users = tmp_path / ".old.zzzzzzzz.old"  # the same kind of name, but a user's folder: kept
    users.mkdir()
    (users / "diary.txt").write_text("mine")
    before = _foreign_hash(work)
    write_song_files(folders["song_b"], work)
    assert _foreign_hash(work) == before and _leftovers(work) == []
    assert not swapped.exists() and (users / "diary.txt").read_text() == "mine"
    assert json.loads((work / ".lemm" / "manifest.json").read_text())["files"] == json.loads(
        (folders["B"] / ".lemm" / "manifest.json").read_text())["files"]


# --- failures while writing ------------------------------------------------------------------------------------



def test_a_failure_at_any_write_leaves_the_previous_song_and_no_temp_files(folders: dict, tmp_path: Path,
                                                                           fail_os_write) -> None:
    dry = _copy(folders["A"], tmp_path / "dry", cache=False)
    calls = fail_os_write(None)
    write_song_files(folders["song_b"], dry)
    n_writes = calls[0]
    assert n_writes > 10
    threads = threading.active_count()
    cases = [(1, OSError(errno.ENOSPC, "No space left on device"), OutputPathError, "no space left"),
             (n_writes // 2, OSError(errno.ENOSPC, "No space left on device"), OutputPathError, "no space left"),
             (n_writes, OSError(errno.EROFS, "Read-only file system"), OutputPathError, "read-only"),
             (n_writes // 3, KeyboardInterrupt(), KeyboardInterrupt, None)]
    for k, err, expected, message in cases:
        work = _copy(folders["A"], tmp_path / f"w{k}", cache=False)
        before = _snapshot(work)
        fail_os_write(k, err)
        with pytest.raises(expected, match=message) as caught:
            write_song_files(folders["song_b"], work)
        if message:
            assert "the song folder is unchanged" in str(caught.value)
        assert _snapshot(work) == before, k
        assert _leftovers(work) == [], k
        assert threading.active_count() == threads  # the audio writer thread stopped too
    fail_os_write(None)  # no more failures
    write_song_files(folders["song_b"], work)  # and the next write goes through
    assert (work / "master.wav").read_bytes() == (folders["B"] / "master.wav").read_bytes()


@pytest.mark.parametrize(("target", "err", "expected", "message"), [
    ("lemm.project.staging.write_audio", OSError(errno.ENOSPC, "No space left on device"), OutputPathError, "no space left"),
    ("lemm.project.staging.write_printed", RuntimeError("encoder bug"), BackgroundWriteError, "encoder bug"),
])
def test_a_failing_background_writer_gives_one_lemm_error_and_leaves_the_previous_song(
    folders: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, err: BaseException, expected: type, message: str,
) -> None:
    """A rendered song saved unmixed: its write mixes it while writer threads stage its files (mix.wav, printed files during the master)."""
    work = _copy(folders["A"], tmp_path / "w")
    before = _snapshot(work)
    threads = threading.active_count()
    on_thread: list[str] = []

    def fail(*args, **kwargs):
        on_thread.append(threading.current_thread().name)
        raise err

    song = lemm.load(folders["B"])
    song.stems = dict(folders["song_a"].stems)
    monkeypatch.setattr(target, fail)
    with pytest.raises(expected, match=message) as caught:
        write_song_folder(song, work)
    assert isinstance(caught.value, LemmError)
    assert expected is not OutputPathError or "the song folder is unchanged" in str(caught.value)
    assert on_thread and on_thread[0].startswith("lemm-write")  # it failed on a writer thread, beside the master
    assert _snapshot(work) == before and _leftovers(work) == [] and _foreign_hash(work) == FOREIGN_HASH
    assert threading.active_count() == threads  # every writer thread ended


def test_ctrl_c_during_the_renames_finishes_them(folders: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = _copy(folders["A2"], tmp_path / "w")
    before = _snapshot(work)
    real, hit = os.replace, []

    def replace(src, dst):
        if "/.lemm/staging-" in str(src) and "/.lemm/staging-" not in str(dst) and not hit:
            hit.append(dst)
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_song_files(folders["song_b"], work)
    monkeypatch.setattr(os, "replace", real)
    foreign = {rel: h for rel, h in before.items() if rel in FOREIGN}
    assert hit and _snapshot(work) == _snapshot(folders["B"]) | foreign
    assert _leftovers(work) == [] and _foreign_hash(work) == FOREIGN_HASH


def test_a_journal_lemm_did_not_leave_changes_nothing(folders: dict, tmp_path: Path) -> None:
    from lemm.errors import FileFormatError

    work = _copy(folders["A"], tmp_path / "w")
    before = _snapshot(work)
    journal = work / ".lemm" / "journal.json"
    journal.write_text(json.dumps({"format": "lemm-folder-journal", "staging": "staging-0123abcd", "install": ["master.wav"],
                                   "remove": ["precious.txt"]}))
    with pytest.raises(FileFormatError, match="not one of lemm's file names"):
        lemm.load(work)
    assert (work / "precious.txt").read_bytes() == FOREIGN["precious.txt"]
    journal.write_text(json.dumps({"format": "lemm-folder-journal", "staging": "staging-0123abcd", "install": ["master.wav"],
                                   "remove": ["stems/bass.wav"]}))
    lemm.load(work)  # its staging folder is not there: not a commit, dropped
    assert _snapshot(work) == before and _leftovers(work) == []


def test_a_read_only_song_folder_is_refused_before_any_work(folders: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture) -> None:
    work = _copy(folders["A"], tmp_path / "w", cache=False)
    before = _snapshot(work)
    real = atomic.can_write_in
    monkeypatch.setattr(atomic, "can_write_in", lambda folder: real(folder) and Path(folder) != work)  # as a read-only mount
    monkeypatch.setattr("lemm.song.load", _no_work)
    for argv in (["render", str(work)], ["edit", str(work), "turn up the bass", "--yes"], ["mix", str(work), "--target", "loud"],
                 ["regen", str(work), "--track", "bass", "--section", "x"], ["checkout", str(work), "1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("lemm: error: song folder") and "read-only" in err and err.count("\n") == 1, err
    monkeypatch.undo()
    monkeypatch.setattr(atomic, "can_write_in", lambda folder: real(folder) and Path(folder) != work)
    assert main(["edit", str(work), "turn up the bass", "--dry-run"]) == 0  # reading is fine
    assert _snapshot(work) == before


def test_too_little_free_space_is_refused_before_rendering(folders: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = _copy(folders["A"], tmp_path / "w")
    before = _snapshot(work)
    song = lemm.load(work)
    monkeypatch.setattr(type(song), "render", _no_work)
    monkeypatch.setattr(atomic, "free_bytes", lambda folder: 1000)  # noqa: ARG005  (a stand-in for free_bytes)
    with pytest.raises(OutputPathError, match="not enough space for the song .* MB free"):
        rerender_song_folder(song, work, action="render")
    assert _snapshot(work) == before and _leftovers(work) == []


# --- one writer at a time; an edit with its history or not at all ------------------------------------------------


def test_a_busy_folder_makes_a_second_command_wait_then_fail_clearly(folders: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture) -> None:
    work = _copy(folders["A"], tmp_path / "w")
    before = _snapshot(work)
    monkeypatch.setattr("lemm.project.lock.LOCK_WAIT_SECONDS", 0.3)
    fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's lock on the folder, as far as lemm can tell
    try:
        assert main(["render", str(work)]) == 2
        assert main(["edit", str(work), "turn up the bass by 2 dB", "--yes"]) == 2
    finally:
        os.close(fd)
    err = capsys.readouterr().err
    assert err.count("is being written by another lemm command (waited 0.3 s)") == 2 and "Traceback" not in err
    assert _snapshot(work) == before


def test_two_edits_at_once_both_land(folders: dict, tmp_path: Path) -> None:
    work = _copy(folders["A"], tmp_path / "w", foreign=False)
    gains = json.loads((folders["A"] / "song.json").read_text())["mix"]["tracks"]
    status = {}

    def edit(instruction: str) -> None:
        status[instruction] = main(["edit", str(work), instruction, "--yes"])

    threads = [threading.Thread(target=edit, args=(text,)) for text in ("turn up the bass by 2 dB", "turn down the drums by 3 dB")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(status.values()) == {0}
    now = json.loads((work / "song.json").read_text())["mix"]["tracks"]
    assert now["bass"]["gain_db"] == pytest.approx(gains["bass"]["gain_db"] + 2)
    assert now["drums"]["gain_db"] == pytest.approx(gains["drums"]["gain_db"] - 3)
    assert sorted(v.action for v in list_versions(work)) == ["compose", "edit: turn down the drums by 3 dB", "edit: turn up the bass by 2 dB"]


def test_an_edit_over_a_damaged_history_changes_nothing_and_its_retry_applies_once(folders: dict, tmp_path: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                                   capsys: pytest.CaptureFixture) -> None:
    work = _copy(folders["A"], tmp_path / "w")
    log = work / "history" / "log.json"
    good = log.read_bytes()
    log.write_text("[" * 100_000 + "]" * 100_000)
    before = _snapshot(work)
    with monkeypatch.context() as m:
        m.setattr(lemm.Song, "render", _no_work)
        assert main(["edit", str(work), "turn up the bass by 4 dB", "--yes"]) == 2
        assert main(["history", str(work)]) == 2
    err = capsys.readouterr().err
    assert err.count("lemm: error: history log") == 2 and "Traceback" not in err
    assert _snapshot(work) == before
    log.write_bytes(good)
    assert main(["edit", str(work), "turn up the bass by 4 dB", "--yes"]) == 0
    start = json.loads((folders["A"] / "song.json").read_text())["mix"]["tracks"]["bass"]["gain_db"]
    assert json.loads((work / "song.json").read_text())["mix"]["tracks"]["bass"]["gain_db"] == pytest.approx(start + 4)
    assert [v.action for v in list_versions(work)] == ["compose", "edit: turn up the bass by 4 dB"]


# --- kill -9 at every commit point ---------------------------------------------------------------------------------


def _check_after_next_run(work: Path, before: dict[str, str], new: dict[str, str] | None) -> None:
    lemm.load(work)  # the next run: finishes a committed write, clears an uncommitted one
    after = _snapshot(work)
    expected = (new if new is not None else before) | {rel: h for rel, h in before.items() if rel in FOREIGN}
    assert after == expected, f"{work.name}: {sorted(set(after.items()) ^ set(expected.items()))[:6]}"
    assert _leftovers(work) == [], work.name
    assert _foreign_hash(work) == FOREIGN_HASH, work.name


def _wait_paused(marker: Path, alive, what: str) -> None:
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert alive(), f"{what} ended before it reached its pause point"
        assert time.monotonic() < deadline, f"{what} never reached its pause point"
        time.sleep(0.02)


@pytest.mark.parametrize("point, becomes_new", [
    ("rendered", False), ("staging", False), ("staged", False), ("committed", True), ("installing", True), ("installed", True),
])
def test_kill_9_at_each_commit_point_leaves_the_whole_old_or_the_whole_new_song(folders: dict, tmp_path: Path, point: str,
                                                                               becomes_new: bool) -> None:
    """A forked writer (the song already rendered, so no process start-up) is killed at ``point``."""
    from lemm.song import write_song_folder

    work = _copy(folders["A2"], tmp_path / "w", cache=False)
    before = _snapshot(work)
    marker = tmp_path / "paused"
    pid = os.fork()
    if pid == 0:  # the child writes until it pauses at the point, and is killed there
        try:
            os.environ.update(LEMM_TEST_PAUSE_AT=point, LEMM_TEST_PAUSE_FILE=str(marker))
            write_song_folder(folders["song_b"], work, action="render")
        finally:
            os._exit(3)
    try:
        _wait_paused(marker, lambda: os.waitpid(pid, os.WNOHANG) == (0, 0), f"the writer paused at {point}")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    _check_after_next_run(work, before, _snapshot(folders["B"]) if becomes_new else None)


def _start(argv: list[str], point: str, marker: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               LEMM_TEST_PAUSE_AT=point, LEMM_TEST_PAUSE_FILE=str(marker), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "lemm.cli", *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_kill_9_of_the_lemm_command_mid_render_and_mid_compose(folders: dict, tmp_path: Path) -> None:
    """``lemm render`` killed while it renames the new song in; ``lemm compose`` over a song killed with its song staged."""
    render_dir = _copy(folders["A2"], tmp_path / "render")
    compose_dir = _copy(folders["B"], tmp_path / "compose")
    runs = [(render_dir, ["render", str(render_dir)], "installing", _snapshot(render_dir), _snapshot(folders["B"])),
            (compose_dir, ["compose", *COMPOSE_ARGS, "--out", str(compose_dir)], "staged", _snapshot(compose_dir), None)]
    procs = [_start(argv, point, tmp_path / f"{work.name}.paused") for work, argv, point, _, _ in runs]  # side by side
    try:
        for (work, argv, _, _, _), proc in zip(runs, procs, strict=True):
            _wait_paused(tmp_path / f"{work.name}.paused", lambda p=proc: p.poll() is None, f"lemm {argv[0]}")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert (render_dir / ".lemm" / "journal.json").is_file()  # killed half-way through the renames: the journal finishes them
    for work, _, _, before, new in runs:
        _check_after_next_run(work, before, new)
