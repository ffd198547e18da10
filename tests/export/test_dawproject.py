"""DAWproject export: validated with lxml against the format's own XSDs (vendored from bitwig/dawproject)."""

from __future__ import annotations

import io
import os
import shutil
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import ScoreError
from lemm.export import write_daw_projects
from lemm.export.common import StemInfo
from lemm.export.dawproject import XSD_DIR, dawproject_bytes, dawproject_xml, schema_errors, write_dawproject
from lemm.io.audio import write_audio
from lemm.mix.settings import MixSettings, TrackMix
from lemm.score.model import Score, TempoChange, Track

from .conftest import TEMPO_POINT_SECONDS
from .strategies import tempo_maps

etree = pytest.importorskip("lxml.etree")

PROJECT_SCHEMA = etree.XMLSchema(etree.parse(str(XSD_DIR / "Project.xsd")))
METADATA_SCHEMA = etree.XMLSchema(etree.parse(str(XSD_DIR / "MetaData.xsd")))


def _stems(score: Score, seconds: float = 12.0) -> list[StemInfo]:
    return [StemInfo(t.name, int(seconds * 48000)) for t in score.tracks]


def _parse_valid(project_xml: str, metadata_xml: str):
    project = etree.fromstring(project_xml.encode("utf-8"))
    metadata = etree.fromstring(metadata_xml.encode("utf-8"))
    assert PROJECT_SCHEMA.validate(project), PROJECT_SCHEMA.error_log
    assert METADATA_SCHEMA.validate(metadata), METADATA_SCHEMA.error_log
    return project, metadata


def test_validates_and_counts_match(score):
    project, metadata = _parse_valid(*dawproject_xml(score, stems=_stems(score), midi_tracks=False))
    tracks = project.findall("Structure/Track")
    assert [t.get("name") for t in tracks] == ["drums", "bass", "pad", "Master"]
    master_channel = tracks[-1].find("Channel")
    assert master_channel.get("role") == "master"
    assert all(t.find("Channel").get("destination") == master_channel.get("id") for t in tracks[:-1])
    markers = project.findall("Arrangement/Markers/Marker")
    assert [m.get("name") for m in markers] == [s.name for s in score.sections]
    assert [float(m.get("time")) for m in markers] == [0.0, 8.0, 16.0]  # beats
    assert project.find("Transport/Tempo").get("value") == "120"
    assert project.find("Transport/Tempo").get("unit") == "bpm"
    signature = project.find("Transport/TimeSignature")
    assert (signature.get("numerator"), signature.get("denominator")) == ("4", "4")
    tempo = project.find("Arrangement/TempoAutomation")
    assert tempo.find("Target").get("parameter") == project.find("Transport/Tempo").get("id")
    assert [(float(p.get("time")), float(p.get("value"))) for p in tempo.findall("RealPoint")] == [(0, 120), (8, 90), (16, 140)]
    assert {p.get("interpolation") for p in tempo.findall("RealPoint")} == {"hold"}
    meter = project.find("Arrangement/TimeSignatureAutomation")
    assert [(p.get("time"), p.get("numerator"), p.get("denominator")) for p in meter.findall("TimeSignaturePoint")] == [
        ("0", "4", "4"), ("12", "3", "4")]
    assert metadata.find("Title").text == "changes"


def test_audio_clips_are_relative_external_files_warped_through_the_tempo_map(score):
    project, _ = _parse_valid(*dawproject_xml(score, stems=_stems(score, 12.0), midi_tracks=False, embed_audio=False))
    track_ids = {t.get("id"): t.get("name") for t in project.findall("Structure/Track")}
    lanes = project.findall("Arrangement/Lanes/Lanes")
    assert project.find("Arrangement/Lanes").get("timeUnit") == "beats"
    assert [track_ids[lane.get("track")] for lane in lanes] == ["drums", "bass", "pad"]
    # 12 s: beat 16 at 9.3333 s, then 140 bpm -> 16 + (12 - 9.3333) * 140 / 60 beats
    end_beats = 16 + (12.0 - TEMPO_POINT_SECONDS[3]) * 140 / 60
    for lane in lanes:
        (clip,) = lane.findall("Clips/Clip")
        assert float(clip.get("time")) == 0.0
        assert float(clip.get("duration")) == pytest.approx(end_beats, abs=1e-8)
        warps = clip.find("Warps")
        assert (warps.get("timeUnit"), warps.get("contentTimeUnit")) == ("beats", "seconds")
        audio = warps.find("Audio")
        assert (audio.get("sampleRate"), audio.get("channels"), float(audio.get("duration"))) == ("48000", "2", 12.0)
        file = audio.find("File")
        assert file.get("path") == f"stems/{track_ids[lane.get('track')]}.wav"
        assert file.get("external") == "true" and not os.path.isabs(file.get("path"))
        points = [(float(w.get("time")), float(w.get("contentTime"))) for w in warps.findall("Warp")]
        expected = [(0, 0.0), (8, 4.0), (16, TEMPO_POINT_SECONDS[3]), (end_beats, 12.0)]
        assert points == [pytest.approx(p, abs=1e-8) for p in expected]


def test_volume_pan_mute(score):
    mix = MixSettings(tracks={"drums": TrackMix(gain_db=6.0, pan=-1.0, mute=True)})
    project, _ = _parse_valid(*dawproject_xml(score, stems=_stems(score), mix_settings=mix))
    channels = {t.get("name"): t.find("Channel") for t in project.findall("Structure/Track")}
    assert float(channels["drums"].find("Volume").get("value")) == pytest.approx(10 ** (6 / 20), abs=1e-9)
    assert channels["drums"].find("Volume").get("unit") == "linear"
    assert float(channels["drums"].find("Pan").get("value")) == 0.0  # hard left, normalized
    assert channels["drums"].find("Mute").get("value") == "true"
    assert float(channels["bass"].find("Volume").get("value")) == pytest.approx(10 ** (-6 / 20), abs=1e-9)
    assert float(channels["bass"].find("Pan").get("value")) == 0.25  # hint -0.5
    assert float(channels["pad"].find("Pan").get("value")) == 0.625  # hint 0.25
    assert channels["pad"].find("Mute").get("value") == "false"


def test_zip_is_deterministic_and_relocatable(score, song_folder, tmp_path):
    names = [t.name for t in score.tracks]
    rpp_path, dp_path = write_daw_projects(score, song_folder, stem_names=names, embed_audio=False)
    assert (rpp_path.name, dp_path.name) == ("song.rpp", "song.dawproject")
    first = dp_path.read_bytes()
    assert write_dawproject(score, song_folder, stem_names=names, embed_audio=False).read_bytes() == first
    assert dawproject_bytes(score, stems=_stems(score)) == dawproject_bytes(score, stems=_stems(score))
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["project.xml", "metadata.xml"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        project, _ = _parse_valid(archive.read("project.xml").decode(), archive.read("metadata.xml").decode())
    assert len(first) < 20000
    moved = tmp_path / "moved"
    shutil.move(str(song_folder), str(moved))
    for file in project.iter("File"):
        assert (moved / file.get("path")).is_file()  # relative to the .dawproject file's folder


def test_schema_errors_catches_broken_documents(score):
    project_xml, metadata_xml = dawproject_xml(score, stems=_stems(score))
    assert schema_errors(project_xml, metadata_xml) == []
    broken = project_xml.replace('<Application name="lemm"', '<Application bogus="1" name="lemm"')
    errors = schema_errors(broken, metadata_xml.replace("<Title>", "<Year>1</Year><Title>"))
    assert any(e.startswith("project.xml:") and "bogus" in e for e in errors)
    assert any(e.startswith("metadata.xml:") and "Title" in e for e in errors)


def test_no_sections_and_constant_tempo_leave_optional_parts_out():
    score = Score(title="plain", tempos=(TempoChange(0, 100.0),), tracks=(Track(name="t", role="keys", preset="p"),))
    project, _ = _parse_valid(*dawproject_xml(score, stems=[StemInfo("t", 48000, n_channels=1)]))
    arrangement = project.find("Arrangement")
    assert arrangement.find("Markers") is None and arrangement.find("TempoAutomation") is None
    assert arrangement.find("TimeSignatureAutomation") is None
    assert project.find("Structure/Track/Channel").get("audioChannels") == "1"
    warps = project.findall("Arrangement/Lanes/Lanes/Clips/Clip/Warps/Warp")
    assert [(float(w.get("time")), float(w.get("contentTime"))) for w in warps] == [(0, 0), pytest.approx((100 / 60, 1.0), abs=1e-8)]


def test_bad_input(score):
    with pytest.raises(ScoreError, match="got 'vocals'"):
        dawproject_xml(score, stems=[StemInfo("vocals", 48000)])
    with pytest.raises(ScoreError, match="at least one track"):
        dawproject_xml(Score(), stems=[StemInfo("x", 48000)])


@settings(max_examples=25, deadline=None)
@given(score=tempo_maps(), seconds=st.floats(0.5, 60.0))
def test_any_tempo_map_validates_with_monotonic_warps(score, seconds):
    stems = [StemInfo("t", int(seconds * 48000))]
    project, _ = _parse_valid(*dawproject_xml(score, stems=stems))
    assert len(project.findall("Arrangement/Markers/Marker")) == len(score.sections)
    warps = [(float(w.get("time")), float(w.get("contentTime"))) for w in project.iter("Warp")]
    assert warps[0] == (0.0, 0.0) and warps[-1][1] == pytest.approx(stems[0].duration_seconds, abs=1e-9)
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in zip(warps, warps[1:], strict=False))
    n_points = len(project.findall("Arrangement/TempoAutomation/RealPoint"))
    assert n_points == (len(score.tempos) if len(score.tempos) > 1 else 0)
    n_meters = len(project.findall("Arrangement/TimeSignatureAutomation/TimeSignaturePoint"))
    assert n_meters == (len(score.meters) if len(score.meters) > 1 else 0)


def test_composed_song_folder(tmp_path, daw_song):
    """A real composed song (with tiny stems written by hand) exports valid projects for all its tracks."""
    song = daw_song[0]
    names = [t.name for t in song.score.tracks]
    for name in names:
        write_audio(tmp_path / "stems" / f"{name}.wav", np.zeros((2, 4800), np.float32), sample_rate=48000)
    _, dp_path = write_daw_projects(song, tmp_path, stem_names=names)
    with zipfile.ZipFile(dp_path) as archive:
        project, metadata = _parse_valid(archive.read("project.xml").decode(), archive.read("metadata.xml").decode())
    expected = [x for t in song.score.tracks for x in ([t.name, f"{t.name} (MIDI)"] if t.notes else [t.name])]
    assert [t.get("name") for t in project.findall("Structure/Track")] == expected + ["Master"]
    assert len(project.findall("Arrangement/Markers/Marker")) == len(song.score.sections)
    assert float(project.find("Transport/Tempo").get("value")) == song.score.tempos[0].tempo_bpm


def test_embedded_audio_is_stored_flac_bit_exact_and_the_printed_bytes_are_the_folders(score, song_folder):
    """Dry stems go in as FLAC holding the WAV's very samples; printed files are the folder's own FLAC bytes; nothing deflated twice."""
    import soundfile as sf

    from lemm.export.printed import write_printed

    rng = np.random.default_rng(7)
    names = [t.name for t in score.tracks]
    t = np.arange(48000) / 48000
    audio = {name: (0.3 * np.sin(2 * np.pi * 110 * (i + 1) * t) + 0.001 * rng.standard_normal((2, 48000))).astype(np.float32)
             for i, name in enumerate(names)}  # tones with a little noise: music-like, compressible
    for name in names:
        write_audio(song_folder / "stems" / f"{name}.wav", audio[name], sample_rate=48000)
    settings = MixSettings(tracks={name: TrackMix(pan=0.5 * i - 0.5) for i, name in enumerate(names)})
    printed = write_printed(song_folder, audio, settings, sample_rate=48000)
    assert [p.relative_path for p in printed] == [f"printed/{name}.flac" for name in names]
    path = write_dawproject(score, song_folder, stem_names=names, printed=printed, embed_audio=True)
    first = path.read_bytes()
    assert write_dawproject(score, song_folder, stem_names=names, printed=printed, embed_audio=True).read_bytes() == first  # deterministic
    with zipfile.ZipFile(path) as archive:
        infos = {i.filename: i for i in archive.infolist()}
        project, _ = _parse_valid(archive.read("project.xml").decode(), archive.read("metadata.xml").decode())
        paths = [f.get("path") for f in project.iter("File")]
        assert sorted(paths) == sorted([f"stems/{n}.flac" for n in names] + [f"printed/{n}.flac" for n in names])
        assert set(infos) == {"project.xml", "metadata.xml", *paths}
        assert {infos[p].compress_type for p in paths} == {zipfile.ZIP_STORED}
        assert infos["project.xml"].compress_type == zipfile.ZIP_DEFLATED
        for name in names:
            assert archive.read(f"printed/{name}.flac") == (song_folder / "printed" / f"{name}.flac").read_bytes()
            data = archive.read(f"stems/{name}.flac")
            assert data[:4] == b"fLaC"
            embedded, rate = sf.read(io.BytesIO(data), dtype="int32")
            on_disk, _ = sf.read(str(song_folder / "stems" / f"{name}.wav"), dtype="int32")
            assert rate == 48000 and np.array_equal(embedded, on_disk)  # lossless: the WAV's samples
            assert len(data) < 0.9 * (song_folder / "stems" / f"{name}.wav").stat().st_size


@pytest.mark.parametrize(("bit_depth", "suffix", "magic"), [(16, ".flac", b"fLaC"), (32, ".wav", b"RIFF")])
def test_embedded_form_keeps_the_stems_bit_depth(score, tmp_path, bit_depth, suffix, magic):
    """16-bit stems stay 16-bit FLAC; 32-bit float stems (which FLAC cannot hold) go in as their WAV."""
    import soundfile as sf

    names = [t.name for t in score.tracks]
    x = np.linspace(-0.5, 0.5, 9600, dtype=np.float32).reshape(2, -1)
    for name in names:
        write_audio(tmp_path / "stems" / f"{name}.wav", x, sample_rate=48000, bit_depth=bit_depth)
    path = write_dawproject(score, tmp_path, stem_names=names, embed_audio=True)
    with zipfile.ZipFile(path) as archive:
        project = etree.fromstring(archive.read("project.xml"))
        assert sorted(f.get("path") for f in project.iter("File")) == sorted(f"stems/{n}{suffix}" for n in names)
        data = archive.read(f"stems/bass{suffix}")
    assert data[:4] == magic
    assert sf.info(io.BytesIO(data)).subtype == {16: "PCM_16", 32: "FLOAT"}[bit_depth]
    if bit_depth == 32:
        assert data == (tmp_path / "stems" / "bass.wav").read_bytes()  # copied, not re-encoded
    else:
        assert np.array_equal(sf.read(io.BytesIO(data), dtype="int32")[0], sf.read(str(tmp_path / "stems" / "bass.wav"), dtype="int32")[0])


def test_packing_the_folders_project_gives_the_embedded_write(score, song_folder, tmp_path):
    """pack_dawproject of the referring project is, byte for byte, the project written with its audio inside."""
    from lemm.errors import FileFormatError, OutputPathError
    from lemm.export import pack_dawproject
    from lemm.export.printed import write_printed

    names = [t.name for t in score.tracks]
    audio = {name: np.full((2, 4800), 0.1 * (i + 1), np.float32) for i, name in enumerate(names)}
    printed = write_printed(song_folder, audio, MixSettings(tracks={name: TrackMix() for name in names}), sample_rate=48000)
    referring = write_dawproject(score, song_folder, stem_names=names, printed=printed)
    with zipfile.ZipFile(referring) as archive:
        assert archive.namelist() == ["project.xml", "metadata.xml"]
    embedded = write_dawproject(score, song_folder, stem_names=names, printed=printed, embed_audio=True, file_name="inside.dawproject")
    packed = pack_dawproject(song_folder, tmp_path / "sent.dawproject")
    assert packed.read_bytes() == embedded.read_bytes()
    with zipfile.ZipFile(packed) as archive:
        assert len(archive.namelist()) == 2 + 2 * len(names)
    with pytest.raises(OutputPathError, match="own project"):
        pack_dawproject(song_folder, song_folder / "song.dawproject")
    with pytest.raises(OutputPathError, match=".dawproject"):
        pack_dawproject(song_folder, tmp_path / "sent.zip")
    with pytest.raises(FileFormatError, match="already holds its audio"):
        pack_dawproject(song_folder, tmp_path / "again.dawproject", file_name="inside.dawproject")
    with zipfile.ZipFile(referring) as archive:
        texts = {n: archive.read(n).decode() for n in archive.namelist()}
    texts["project.xml"] = texts["project.xml"].replace('path="stems/bass.wav"', 'path="../outside.wav"')
    with zipfile.ZipFile(song_folder / "bad.dawproject", "w") as archive:
        for name, text in texts.items():
            archive.writestr(name, text)
    with pytest.raises(FileFormatError, match="inside the song folder"):
        pack_dawproject(song_folder, tmp_path / "bad.dawproject", file_name="bad.dawproject")
