"""MusicXML: the notation view on the page, the exact score inside, what other readers see, bad input."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import lemm
from lemm.errors import FileFormatError, LemmFileNotFoundError
from lemm.score.model import ChordSymbol, DynamicMark, Hairpin, KeyChange, Lyric, MeterChange, Note, Score, Section, TempoChange, Track
from lemm.score.musicxml import read_musicxml, read_notation, score_to_musicxml, write_musicxml
from lemm.score.notation.figures import notation_figures
from lemm.score.notation.reader import xml_to_score

from .strategies import scores

XSD = Path(__file__).parents[1] / "data" / "musicxml-4.0" / "musicxml.xsd"
LYRICS = "the sun is up and the sky is blue\nwe go home tonight and sing a song for you"

VOCAL = Track(
    "vocal lead", "vocal", "voice_high", program=52,
    notes=(
        Note(64, 0, 480, 100, lyric=Lyric("sum", "begin")),
        Note(62, 480, 480, 90, articulation="staccato", lyric=Lyric("mer", "end")),
        Note(60, 960, 2880, 80, articulation="accent", lyric=Lyric("sun", "single")),  # crosses the bar line: tied
        Note(62, 3840, 160, 70, lyric=Lyric("", "single", True)),  # triplet eighth, melisma
    ),
    dynamics=(DynamicMark(0, "mf"),), hairpins=(Hairpin(0, 960, "diminuendo"),),
)  # fmt: skip
PIANO = Track("piano", "keys", "acoustic_piano", notes=(Note(48, 0, 1920, 60), Note(55, 0, 1920, 60), Note(60, 0, 960, 70), Note(62, 480, 960, 70)))
DRUMS = Track("drums", "drums", "acoustic_kit", is_drum=True, notes=(Note(36, 0, 120, 110), Note(38, 480, 120, 100)))
SONG = Score(
    title="Sommer",
    tempos=(TempoChange(0, 96.0), TempoChange(1920, 123.5)),
    meters=(MeterChange(0, 4, 4), MeterChange(1920, 3, 4)),
    keys=(KeyChange(0, "Eb", "major"), KeyChange(1920, "C#", "minor")),
    sections=(Section("verse 1", "verse", 0, 1920, 0.3), Section("chorus 2", "chorus", 1920, 2880, 0.9)),
    chords=(ChordSymbol(0, 960, "Am7"), ChordSymbol(960, 960, "Bb/D"), ChordSymbol(1920, 1440, "F#m7b5")),
    tracks=(VOCAL, PIANO, DRUMS),
)




@pytest.fixture(scope="module")
def song_file(tmp_path_factory):
    return write_musicxml(SONG, tmp_path_factory.mktemp("x") / "song.musicxml")


@functools.cache
def composed(prompt: str, seed: int) -> Score:
    return lemm.compose(prompt, tags=(prompt.split()[1],), duration="0:30", seed=seed, lyrics=LYRICS).score


def test_round_trip_is_exact(song_file):
    assert read_musicxml(song_file) == SONG


def test_music21_reads_the_page(song_file):
    music21 = pytest.importorskip("music21")
    sc = music21.converter.parse(str(song_file), forceSource=True)
    assert sc.metadata.bestTitle == "Sommer" and "Music21" not in (sc.metadata.composer or "")
    assert list(dict.fromkeys(p.partName for p in sc.parts)) == ["vocal lead", "piano", "drums"]  # the grand staff: two PartStaffs
    vocal = sc.parts[0]
    assert [(ly.text, ly.syllabic) for n in vocal.recurse().notes for ly in n.lyrics] == [("sum", "begin"), ("mer", "end"), ("sun", "single")]
    assert [rm.content for rm in vocal.recurse().getElementsByClass("RehearsalMark")] == ["verse 1", "chorus 2"]
    figures = [(cs.root().name, cs.chordKind) for cs in vocal.recurse().getElementsByClass("ChordSymbol")]
    assert figures == [("A", "minor-seventh"), ("B-", "major"), ("F#", "half-diminished-seventh")]
    assert [mm.number for mm in vocal.recurse().getElementsByClass("MetronomeMark")] == [96.0, 123.5]
    assert [str(ts.ratioString) for ts in vocal.recurse().getElementsByClass("TimeSignature")] == ["4/4", "3/4"]
    assert [k.sharps for k in vocal.recurse().getElementsByClass("KeySignature")] == [-3, 4]
    assert [type(a).__name__ for n in vocal.recurse().notes for a in n.articulations] == ["Staccato", "Accent"]
    assert all(isinstance(n, music21.note.Unpitched) for n in sc.parts[-1].recurse().notes)


def test_the_page_notates_nominal_values(song_file):
    root = ET.parse(song_file).getroot()
    assert [p.findtext("part-name") for p in root.iter("score-part")] == ["vocal lead", "piano", "drums"]
    assert root.find("identification/creator[@type='arranger']").text == "lemm"
    drums = root.findall("part")[2]
    assert drums.find(".//key") is None and drums.find(".//clef/sign").text == "percussion"
    assert [(n.findtext("unpitched/display-step"), n.findtext("unpitched/display-octave")) for n in drums.iter("note") if n.find("rest") is None] == [("C", "5"), ("F", "4")]  # hands, then feet
    piano = root.findall("part")[1]
    assert piano.findtext(".//staves") == "2"  # a grand staff
    plain = read_notation(song_file)
    assert plain.track("vocal lead").notes[3].duration_ticks == 120  # a lone 160-tick note reads as a 16th: no triplet around it
    assert [n.duration_ticks for n in plain.track("drums").notes] == [480, 480]  # drum hits last to the next beat


def test_a_page_edit_falls_back_to_the_notation_of_that_part(song_file, tmp_path):
    text = song_file.read_text(encoding="utf-8")
    edited = tmp_path / "e.musicxml"
    edited.write_text(text.replace("<display-step>C</display-step>", "<display-step>D</display-step>", 1), encoding="utf-8")
    back = read_musicxml(edited)
    assert back.track("vocal lead") == SONG.track("vocal lead") and back.track("piano") == SONG.track("piano")
    assert [n.pitch for n in back.track("drums").notes] == [36, 38]  # the instrument (midi-unpitched) decides, not the position
    assert back.track("drums").preset == "acoustic_kit"


def test_foreign_file_without_lemm_data(song_file, tmp_path):
    text = song_file.read_text(encoding="utf-8")
    start, end = text.index("<miscellaneous>"), text.index("</miscellaneous>") + len("</miscellaneous>")
    plain = tmp_path / "plain.musicxml"
    plain.write_text(text[:start] + text[end:], encoding="utf-8")
    back = read_musicxml(plain)
    assert back.title == "Sommer" and back.resolution == 480
    assert [t.name for t in back.tracks] == ["vocal lead", "piano", "drums"]
    assert [(s.name, s.kind, s.start_tick) for s in back.sections] == [("verse 1", "verse", 0), ("chorus 2", "chorus", 1920)]
    assert [(c.start_tick, c.symbol) for c in back.chords] == [(0, "Am7"), (960, "Bb/D"), (1920, "F#m7b5")]
    assert back.tempos == SONG.tempos and back.meters == SONG.meters and back.keys == SONG.keys
    assert back.tracks[0].role == "vocal" and back.tracks[2].is_drum and back.tracks[1].role == "keys"
    assert [n.pitch for n in back.track("piano").notes] == [48, 55, 60, 62]


def test_export_is_deterministic(tmp_path):
    a = write_musicxml(SONG, tmp_path / "a.musicxml").read_bytes()
    b = write_musicxml(SONG, tmp_path / "b.musicxml").read_bytes()
    assert a == b and b"<software>lemm</software>" in a


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scores(resolutions=(96, 480), max_tracks=2, max_notes=10))
def test_hypothesis_round_trip(tmp_path, score):
    assert read_musicxml(write_musicxml(score, tmp_path / "s.musicxml")) == score


@pytest.mark.parametrize(("prompt", "seed", "numerator"), [("a folk waltz in 3/4", 1, 3), ("a pop song", 2, 4), ("a rock song in 6/8", 5, 6)])
def test_composed_songs_read_as_a_teacher_expects(prompt, seed, numerator):
    score = composed(prompt, seed)
    assert score.meters[0].numerator == numerator
    root = score_to_musicxml(score)
    f = notation_figures(root)
    assert f["short_share"] <= 0.02 and f["tuplet_share"] <= 0.05, f
    assert f["accidental_share"] <= 0.10, f
    assert f["unpitched"] > 0 and f["pitched_drum_parts"] == []
    assert f["parts"][0] == next(t.name for t in score.tracks if t.role == "vocal")
    assert root.find("work/work-title").text == score.title


def test_files_validate_against_the_musicxml_4_xsd(song_file, tmp_path):
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    for path in (song_file, write_musicxml(composed("a folk waltz in 3/4", 1), tmp_path / "folk.musicxml"), write_musicxml(composed("a rock song in 6/8", 5), tmp_path / "rock.musicxml")):
        assert schema.validate(etree.parse(str(path))), [str(e) for e in list(schema.error_log)[:5]]


def test_bad_musicxml_inputs(tmp_path):
    with pytest.raises(LemmFileNotFoundError):
        read_musicxml(tmp_path / "missing.musicxml")
    bad = tmp_path / "bad.musicxml"
    bad.write_text("this is not xml <<<")
    with pytest.raises(FileFormatError):
        read_musicxml(bad)
    bad.write_text("<opus/>")
    with pytest.raises(FileFormatError, match="score-partwise"):
        read_musicxml(bad)


def test_a_full_song_round_trips(tmp_path):
    """8 tracks, ~6000 notes, 3:30 at 120 bpm (its speed: benchmarks/compose.py)."""
    tracks = []
    for k in range(8):  # one note every 8th note; every other track with quarter notes (two voices)
        notes = tuple(Note(40 + k * 5 + (i % 7), i * 240, 480 if k % 2 else 240, 60 + i % 50) for i in range(838))
        tracks.append(Track(f"t{k}", "keys", "acoustic_piano", notes=notes))
    song = Score(title="long", tracks=tuple(tracks))
    assert 5000 <= sum(len(t.notes) for t in tracks) <= 7000
    path = write_musicxml(song, tmp_path / "long.musicxml")
    back = read_musicxml(path)
    assert back == song
TRIPLETS = Score(title="triplets", tracks=(Track("flute", "woodwind", "flute", program=73, notes=(
    tuple(Note(60 + (i % 3) * 2, i * 160 + (3 if i % 2 else -2 if i else 0), 150, 90) for i in range(6))  # humanised triplet 8ths
    + (Note(67, 960, 480, 90), Note(65, 1440, 240, 90), Note(64, 1680, 240, 90))
    + tuple(Note(62, 1920 + i * 320, 300, 80) for i in range(6)))),))  # fmt: skip


def test_real_triplets_get_brackets_and_nothing_else_does():
    root = score_to_musicxml(TRIPLETS)
    notes = [n for n in root.iter("note") if n.find("rest") is None]
    in_tuplets = [n for n in notes if n.find("time-modification") is not None]
    assert len(in_tuplets) == 6 + 8  # two beats of triplet 8ths; the quarter triplets as tied triplet 8ths and quarters per beat
    assert all(n.findtext("time-modification/actual-notes") == "3" for n in in_tuplets)
    assert sum(1 for t in root.iter("tuplet") if t.get("type") == "start") == sum(1 for t in root.iter("tuplet") if t.get("type") == "stop") == 6
    assert [(n.start_tick, n.duration_ticks) for n in xml_to_score(root).tracks[0].notes][:9] == [
        (0, 160), (160, 160), (320, 160), (480, 160), (640, 160), (800, 160), (960, 480), (1440, 240), (1680, 240)]


def test_swing_is_written_straight_under_a_swing_marking():
    eighths = tuple(Note(60 + k % 5, 480 * (k // 2) + (0 if k % 2 == 0 else 320), 200 if k % 2 == 0 else 140, 90) for k in range(32))
    root = score_to_musicxml(Score(tracks=(Track("sax", "woodwind", "flute", program=65, notes=eighths),)))
    assert [w.text for w in root.iter("words")] == ["Swing"] and root.find(".//sound/swing/first").text == "2"
    assert root.find(".//time-modification") is None
    assert {n.findtext("type") for n in root.iter("note") if n.find("rest") is None} == {"eighth"}


def test_a_triplet_beat_that_starts_with_a_rest_opens_its_bracket_on_the_rest():
    notes = (Note(62, 160, 160), Note(60, 320, 160), Note(60, 480, 320), Note(62, 800, 160))
    root = score_to_musicxml(Score(tracks=(Track("flute", "woodwind", "flute", program=73, notes=notes),)))
    first = next(root.iter("note"))
    assert first.find("rest") is not None and first.find("notations/tuplet").get("type") == "start"
    kinds = [t.get("type") for t in root.iter("tuplet")]
    assert kinds == ["start", "stop", "start", "stop"]


