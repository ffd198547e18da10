"""REAPER .rpp export: re-parsed with the independent `rpp` package (BSD-3)."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import LemmFileNotFoundError, ParameterError, ScoreError
from lemm.export import write_daw_projects
from lemm.export.common import StemInfo
from lemm.export.reaper import REAPER_PPQ, rpp_quote, rpp_text, write_rpp
from lemm.mix.settings import MixSettings, TrackMix
from lemm.score.model import Score, Section, TempoChange, Track

from .conftest import SECTION_SECONDS, TEMPO_POINT_SECONDS
from .strategies import tempo_maps

rpp = pytest.importorskip("rpp")


def _stems(score: Score, seconds: float = 12.0) -> list[StemInfo]:
    return [StemInfo(t.name, int(seconds * 48000)) for t in score.tracks]


def _lines(element, tag: str) -> list[list[str]]:
    return [c for c in element.children if isinstance(c, list) and c and c[0] == tag]


def _blocks(element, tag: str) -> list:
    return [c for c in element.children if not isinstance(c, list) and c.tag == tag]


def _only(element, tag: str) -> list[str]:
    found = _lines(element, tag)
    assert len(found) == 1, (tag, found)
    return found[0]


def test_tracks_regions_and_tempo_points(score):
    project = rpp.loads(rpp_text(score, stems=_stems(score), midi_tracks=False))
    assert project.tag == "REAPER_PROJECT"
    tracks = _blocks(project, "TRACK")
    assert [_only(t, "NAME")[1] for t in tracks] == ["drums", "bass", "pad"]
    # one region (two MARKER lines with the region flag) per section, named as the section
    markers = _lines(project, "MARKER")
    assert len(markers) == 2 * len(score.sections)
    for i, (section, (start, end)) in enumerate(zip(score.sections, SECTION_SECONDS, strict=True)):
        first, second = markers[2 * i], markers[2 * i + 1]
        assert first[1] == second[1] == str(i + 1)
        assert int(first[4]) & 1 and int(second[4]) & 1
        assert first[3] == section.name and second[3] == ""
        assert float(first[2]) == pytest.approx(start, abs=1e-8)
        assert float(second[2]) == pytest.approx(end, abs=1e-8)
    # project tempo + meter, and one square point per tempo/meter change
    assert _only(project, "TEMPO")[1:] == ["120", "4", "4"]
    envelope = _blocks(project, "TEMPOENVEX")[0]
    points = _lines(envelope, "PT")
    assert len(points) == 4
    assert [float(p[1]) for p in points] == pytest.approx(TEMPO_POINT_SECONDS, abs=1e-8)
    assert [float(p[2]) for p in points] == [120.0, 90.0, 90.0, 140.0]
    assert all(p[3] == "1" for p in points)
    assert points[0][4] == str(4 + 4 * 65536)  # 4/4 at 0 s
    assert points[2][4] == str(3 + 4 * 65536)  # 3/4 at beat 12
    assert len(points[1]) == len(points[3]) == 4  # no meter there


def test_stem_items_are_relative_wavs_at_zero(score):
    project = rpp.loads(rpp_text(score, stems=_stems(score, 12.5), midi_tracks=False))
    for track in _blocks(project, "TRACK"):
        name = _only(track, "NAME")[1]
        (item,) = _blocks(track, "ITEM")
        assert float(_only(item, "POSITION")[1]) == 0.0
        assert float(_only(item, "LENGTH")[1]) == 12.5
        assert _only(item, "LOOP")[1] == "0"
        (source,) = _blocks(item, "SOURCE")
        assert source.attrib == ["WAVE"]
        path = _only(source, "FILE")[1]
        assert path == f"stems/{name}.wav" and not os.path.isabs(path)


def test_volume_and_pan_from_hints_and_from_mix_settings(score):
    project = rpp.loads(rpp_text(score, stems=_stems(score)))
    volpan = {(_only(t, "NAME")[1]): _only(t, "VOLPAN") for t in _blocks(project, "TRACK")}
    assert float(volpan["bass"][1]) == pytest.approx(10 ** (-6 / 20), abs=1e-9)
    assert float(volpan["bass"][2]) == -0.5
    assert float(volpan["pad"][1]) == 1.0 and float(volpan["pad"][2]) == 0.25

    mix = MixSettings(tracks={"pad": TrackMix(gain_db=-12.0, pan=0.75, mute=True)})
    project = rpp.loads(rpp_text(score, stems=_stems(score), mix_settings=mix))
    tracks = {(_only(t, "NAME")[1]): t for t in _blocks(project, "TRACK")}
    assert float(_only(tracks["pad"], "VOLPAN")[1]) == pytest.approx(10 ** (-12 / 20), abs=1e-9)
    assert float(_only(tracks["pad"], "VOLPAN")[2]) == 0.75
    assert _only(tracks["pad"], "MUTESOLO")[1] == "1"
    assert float(_only(tracks["bass"], "VOLPAN")[2]) == -0.5  # not in the mix settings: the hint
    assert _only(tracks["bass"], "MUTESOLO")[1] == "0"


def _decode_midi(source) -> list[tuple[int, int, int, int, int]]:
    """(start, end, pitch, velocity, channel) from a REAPER MIDI source's E lines, in REAPER ticks."""
    assert _only(source, "HASDATA")[1:] == ["1", str(REAPER_PPQ), "QN"]
    now, open_notes, notes = 0, {}, []
    for line in _lines(source, "E"):
        now += int(line[1])
        status, data1, data2 = (int(x, 16) for x in line[2:5])
        kind, channel = status >> 4, status & 0x0F
        if kind == 9 and data2 > 0:
            open_notes.setdefault((channel, data1), []).append((now, data2))
        elif kind == 8 or (kind == 9 and data2 == 0):
            start, velocity = open_notes[(channel, data1)].pop(0)
            notes.append((start, now, data1, velocity, channel))
    assert not any(open_notes.values())
    return sorted(notes)


def test_midi_tracks_carry_the_notes(score):
    project = rpp.loads(rpp_text(score, stems=_stems(score), midi_tracks=True))
    tracks = {(_only(t, "NAME")[1]): t for t in _blocks(project, "TRACK")}
    assert set(tracks) == {"drums", "drums (MIDI)", "bass", "bass (MIDI)", "pad"}  # pad has no notes
    assert all(_only(tracks[f"{n} (MIDI)"], "MUTESOLO")[1] == "1" for n in ("drums", "bass"))
    scale = REAPER_PPQ // score.resolution
    for name, channel in (("drums", 9), ("bass", 0)):
        (item,) = _blocks(tracks[f"{name} (MIDI)"], "ITEM")
        (source,) = _blocks(item, "SOURCE")
        assert source.attrib == ["MIDI"]
        expected = sorted((n.start_tick * scale, n.end_tick * scale, n.pitch, n.velocity, channel) for n in score.track(name).notes)
        assert _decode_midi(source) == expected
        last = _lines(source, "E")[-1]
        assert last[2:] == [f"{0xB0 | channel:02x}", "7b", "00"]
        # the item lasts to the score's end (beat 19): 10.619 s by hand
        assert float(_only(item, "LENGTH")[1]) == pytest.approx(SECTION_SECONDS[-1][1], abs=1e-8)
        assert sum(int(e[1]) for e in _lines(source, "E")) == score.end_tick * scale


def test_quoting_round_trips_through_the_parser():
    for text in ["plain", "two words", 'say "hi"', "it's \"x\"", "a`b'c\"d"]:
        (parsed,) = rpp.loads(f"<X\n  N {rpp_quote(text)}\n>").children
        assert parsed[1] == text.replace("`", "'")


def test_write_rpp_is_deterministic_and_relocatable(score, song_folder, tmp_path):
    names = [t.name for t in score.tracks]
    path = write_rpp(score, song_folder, stem_names=names, midi_tracks=False)
    assert path == song_folder / "song.rpp"
    first = path.read_bytes()
    assert write_rpp(score, song_folder, stem_names=names, midi_tracks=False).read_bytes() == first
    moved = tmp_path / "elsewhere" / "moved"
    shutil.move(str(song_folder), str(moved))
    project = rpp.loads((moved / "song.rpp").read_text())
    for track in _blocks(project, "TRACK"):
        (item,) = _blocks(track, "ITEM")
        (source,) = _blocks(item, "SOURCE")
        assert (moved / _only(source, "FILE")[1]).is_file()
        assert float(_only(item, "LENGTH")[1]) == 12.0  # read from the WAV header
    assert str(tmp_path) not in first.decode()


def test_song_like_object_gives_its_mix_settings(score):
    class SongLike:
        pass

    song = SongLike()
    song.score = score
    song.mix_settings = MixSettings(tracks={"bass": TrackMix(pan=1.0)})
    project = rpp.loads(rpp_text(song, stems=_stems(score)))
    tracks = {(_only(t, "NAME")[1]): t for t in _blocks(project, "TRACK")}
    assert float(_only(tracks["bass"], "VOLPAN")[2]) == 1.0


def test_bad_input_raises_clear_errors(score, song_folder):
    with pytest.raises(ScoreError, match="stem name must be one of the score's tracks.*got 'vocals'"):
        rpp_text(score, stems=[StemInfo("vocals", 48000)])
    with pytest.raises(ScoreError, match="at least one track"):
        rpp_text(Score(), stems=[StemInfo("x", 48000)])
    with pytest.raises(ParameterError, match="stems must be a non-empty sequence"):
        rpp_text(score, stems=[])
    with pytest.raises(ParameterError, match="distinct"):
        rpp_text(score, stems=[StemInfo("bass", 48000), StemInfo("bass", 48000)])
    with pytest.raises(ParameterError, match="mix_settings must be None or a lemm.mix.MixSettings"):
        rpp_text(score, stems=_stems(score), mix_settings={"bass": 1})
    with pytest.raises(ParameterError, match="song_or_score"):
        rpp_text("a score", stems=_stems(score))
    with pytest.raises(ParameterError, match="n_samples"):
        StemInfo("bass", 0)
    with pytest.raises(LemmFileNotFoundError, match="stem file for track 'vocals'"):
        write_rpp(score, song_folder, stem_names=["vocals"])
    with pytest.raises(ParameterError, match="stem_names"):
        write_daw_projects(score, song_folder, stem_names="bass")
    # a stem file that exists for a track the score lacks: ScoreError, and nothing written
    shutil.copy(song_folder / "stems" / "bass.wav", song_folder / "stems" / "vocals.wav")
    with pytest.raises(ScoreError, match="got 'vocals'"):
        write_daw_projects(score, song_folder, stem_names=["bass", "vocals"])
    assert not (song_folder / "song.rpp").exists() and not (song_folder / "song.dawproject").exists()


def test_constant_tempo_score_has_one_point():
    score = Score(tempos=(TempoChange(0, 97.5),), sections=(Section("a", "verse", 0, 1920),),
                  tracks=(Track(name="t", role="keys", preset="p"),))
    project = rpp.loads(rpp_text(score, stems=[StemInfo("t", 1000)]))
    (envelope,) = _blocks(project, "TEMPOENVEX")
    assert [p[1:] for p in _lines(envelope, "PT")] == [["0", "97.5", "1", "262148"]]
    assert _only(project, "TEMPO")[1:] == ["97.5", "4", "4"]


@settings(max_examples=25, deadline=None)
@given(score=tempo_maps(), seconds=st.floats(0.5, 60.0))
def test_any_tempo_map_parses_with_one_point_per_change(score, seconds):
    project = rpp.loads(rpp_text(score, stems=[StemInfo("t", int(seconds * 48000))], midi_tracks=True))
    (envelope,) = _blocks(project, "TEMPOENVEX")
    points = _lines(envelope, "PT")
    change_ticks = sorted({c.tick for c in score.tempos} | {m.tick for m in score.meters})
    assert len(points) == len(change_ticks)
    times = [float(p[1]) for p in points]
    assert times[0] == 0.0 and all(a < b for a, b in zip(times, times[1:], strict=False))
    meter_codes = [int(p[4]) for p in points if len(p) > 4]
    assert meter_codes == [m.numerator + 65536 * m.denominator for m in score.meters]
    markers = _lines(project, "MARKER")
    assert len(markers) == 2 * len(score.sections)
    assert [float(m[2]) for m in markers] == sorted(float(m[2]) for m in markers)
    assert len(_blocks(project, "TRACK")) == 1  # no notes: no MIDI track
