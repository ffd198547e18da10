"""A composed song's DAW projects, read back as written, sound like its mix.wav.

Each project is parsed with an independent reader (the `rpp` package for REAPER,
lxml for DAWproject), each unmuted track's audio is placed at its item/clip
position with its fader volume and pan as written, the tracks are summed and
the sum compared with ``mix.wav``: integrated loudness (pyloudnorm, not lemm's
meter) within 0.5 dB and correlation >= 0.99.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lemm.export.dawproject import XSD_DIR

rpp = pytest.importorskip("rpp")
etree = pytest.importorskip("lxml.etree")
pyloudnorm = pytest.importorskip("pyloudnorm")


@pytest.fixture(scope="module")
def composed(daw_song):
    return daw_song  # (song, folder): composed once per session (tests/conftest.py), read only here


@pytest.fixture(scope="module")
def song_folder(composed) -> Path:
    return composed[1]


def _balance(audio: np.ndarray, pan: float) -> np.ndarray:
    """REAPER's / a DAW's stereo balance: the far side turned down linearly, centre unity."""
    out = audio.copy()
    if pan < 0:
        out[1] *= 1.0 + pan
    elif pan > 0:
        out[0] *= 1.0 - pan
    return out


def _place(total: np.ndarray, audio: np.ndarray, start: int) -> None:
    n = min(total.shape[1] - start, audio.shape[1])
    total[:, start:start + n] += audio[:, :n]


def _read(path: Path) -> np.ndarray:
    data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    assert rate == 48000
    audio = data.T
    return np.vstack([audio, audio]) if audio.shape[0] == 1 else audio


def _compare(total: np.ndarray, mix: np.ndarray) -> tuple[float, float]:
    meter = pyloudnorm.Meter(48000)
    difference_db = meter.integrated_loudness(total.T) - meter.integrated_loudness(mix.T)
    correlation = float(np.corrcoef(total.ravel(), mix.ravel())[0, 1])
    return difference_db, correlation


def _children(element, tag):
    return [c for c in element.children if not isinstance(c, list) and c.tag == tag]


def _line(element, tag):
    (found,) = [c for c in element.children if isinstance(c, list) and c and c[0] == tag]
    return found


def test_rpp_sums_to_the_mix(song_folder):
    import lemm

    mix = _read(song_folder / "mix.wav")
    project = rpp.loads((song_folder / "song.rpp").read_text())
    total = np.zeros_like(mix)
    playing, midi = [], {}
    for track in _children(project, "TRACK"):
        name = _line(track, "NAME")[1]
        volpan = _line(track, "VOLPAN")
        for item in _children(track, "ITEM"):
            (source,) = _children(item, "SOURCE")
            if source.attrib == ["MIDI"]:
                midi[name] = sum(1 for e in source.children if isinstance(e, list) and e[0] == "E" and int(e[2], 16) >> 4 == 9)
                continue
            if _line(track, "MUTESOLO")[1] == "1" or _line(item, "MUTE")[1] == "1":
                continue
            audio = _read(song_folder / _line(source, "FILE")[1]) * float(_line(item, "VOLPAN")[1])
            start = round(float(_line(item, "POSITION")[1]) * 48000)
            _place(total, _balance(audio * float(volpan[1]), float(volpan[2])), start)
            playing.append(name)
    difference_db, correlation = _compare(total, mix)
    assert abs(difference_db) <= 0.5 and correlation >= 0.99, (difference_db, correlation, playing)
    assert np.max(np.abs(total - mix)) < 1e-3  # printed at 24 bits: the sum is the mix itself
    song = lemm.load(song_folder)
    for track in song.score.tracks:
        if track.notes:
            assert midi[f"{track.name} (MIDI)"] == len(track.notes)  # every part's notes beside its audio
    assert set(playing) >= {t.name for t in song.score.tracks}


def _opened(song_folder: Path, tmp_path: Path, form: str) -> tuple[object, Path]:
    """The project.xml of the folder's own song.dawproject (files beside it) or of its packed copy (files inside), and where its files are."""
    from lemm.export import pack_dawproject

    if form == "folder":
        path, root = song_folder / "song.dawproject", song_folder
    else:
        path, root = pack_dawproject(song_folder, tmp_path / "sent.dawproject"), tmp_path / "alone"
    with zipfile.ZipFile(path) as archive:
        if form == "packed":
            archive.extractall(root)
        project = etree.fromstring(archive.read("project.xml"))
    return project, root


@pytest.mark.parametrize("form", ["folder", "packed"])
def test_dawproject_validates_opens_and_sums_to_the_mix(song_folder, tmp_path, form):
    """The folder's project refers to the folder's files; the packed copy holds them inside and needs nothing else."""
    import lemm

    mix = _read(song_folder / "mix.wav")
    project, root = _opened(song_folder, tmp_path, form)
    schema = etree.XMLSchema(etree.parse(str(XSD_DIR / "Project.xsd")))
    assert schema.validate(project), schema.error_log
    files = [f for f in project.iter("File")]
    external = "true" if form == "folder" else None
    assert files and all(f.get("external") == external for f in files)
    assert all((root / f.get("path")).is_file() for f in files)  # beside the project / nothing outside the container

    tracks = {t.get("id"): t for t in project.iter("Track")}
    total = np.zeros_like(mix)
    notes = {}
    tempo_bpm = float(project.find("Transport/Tempo").get("value"))
    for lane in project.findall("Arrangement/Lanes/Lanes"):
        track = tracks[lane.get("track")]
        channel = track.find("Channel")
        for clip in lane.findall("Clips/Clip"):
            if clip.find("Notes") is not None:
                notes[track.get("name")] = len(clip.findall("Notes/Note"))
                continue
            if channel.find("Mute").get("value") == "true":
                continue
            volume = float(channel.find("Volume").get("value"))
            pan = 2.0 * float(channel.find("Pan").get("value")) - 1.0
            audio = _read(root / clip.find("Warps/Audio/File").get("path"))
            start = round(float(clip.get("time")) * 60.0 / tempo_bpm * 48000)
            _place(total, _balance(audio * volume, pan), start)
    difference_db, correlation = _compare(total, mix)
    assert abs(difference_db) <= 0.5 and correlation >= 0.99, (difference_db, correlation)
    song = lemm.load(song_folder)
    assert notes == {f"{t.name} (MIDI)": len(t.notes) for t in song.score.tracks if t.notes}


def test_both_projects_play_the_same_files_of_the_folder_and_open_where_it_is_moved(song_folder, tmp_path):
    """song.rpp and song.dawproject name the same stems and printed files, by paths relative to the folder, and no copy of them."""
    with zipfile.ZipFile(song_folder / "song.dawproject") as archive:
        assert archive.namelist() == ["project.xml", "metadata.xml"]  # no second copy of the audio
        dawproject_files = sorted({f.get("path") for f in etree.fromstring(archive.read("project.xml")).iter("File")})
    project = rpp.loads((song_folder / "song.rpp").read_text())
    rpp_files = sorted({line[1] for track in _children(project, "TRACK") for item in _children(track, "ITEM")
                        for source in _children(item, "SOURCE") for line in source.children if isinstance(line, list) and line[:1] == ["FILE"]})
    stems = sorted(p.relative_to(song_folder).as_posix() for p in (song_folder / "stems").glob("*.wav"))
    assert rpp_files == dawproject_files and set(stems) <= set(rpp_files)
    assert all(not Path(f).is_absolute() and ".." not in f for f in rpp_files)
    moved = tmp_path / "elsewhere" / "renamed song"
    shutil.copytree(song_folder, moved)
    assert all((moved / f).is_file() for f in dawproject_files)  # relative to the .dawproject file, wherever the folder is


def test_dry_stems_alone_do_not_sum_to_the_mix(song_folder):
    """The check can fail: the dry stems at their faders (what the projects held before) miss the mix."""
    mix = _read(song_folder / "mix.wav")
    project = rpp.loads((song_folder / "song.rpp").read_text())
    total = np.zeros_like(mix)
    for track in _children(project, "TRACK"):
        if not _line(track, "NAME")[1].endswith(" (dry)"):
            continue
        volpan = _line(track, "VOLPAN")
        for item in _children(track, "ITEM"):
            (source,) = _children(item, "SOURCE")
            _place(total, _balance(_read(song_folder / _line(source, "FILE")[1]) * float(volpan[1]), float(volpan[2])), 0)
    difference_db, correlation = _compare(total, mix)
    assert abs(difference_db) > 0.5 or correlation < 0.99


def test_referenced_dawproject_points_next_to_itself(composed, tmp_path):
    from lemm.export import write_dawproject
    from lemm.export.printed import write_printed

    song, song_folder = composed
    folder = tmp_path / "copy"
    shutil.copytree(song_folder, folder)
    printed = write_printed(folder, song.stems, song.mix_settings, sample_rate=48000)
    path = write_dawproject(song, folder, stem_names=list(song.stems), printed=printed, embed_audio=False, file_name="ref.dawproject")
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["project.xml", "metadata.xml"]
        project = etree.fromstring(archive.read("project.xml"))
    files = list(project.iter("File"))
    assert len(files) == 2 * len(song.stems) + len(list((folder / "printed" / "returns").glob("*.flac")))
    assert all(f.get("external") == "true" and (folder / f.get("path")).is_file() for f in files)
