"""Guide MIDI analysis: tempo, meter, key, chords, melody, sections, and bad files."""

from __future__ import annotations

import mido
import numpy as np
import pytest

from lemm.compose.guide import analyze_guide, analyze_midi
from lemm.errors import FileFormatError, LemmError, ScoreError
from lemm.score.harmony import chord_pitches, parse_chord

TPB = 480
BAR = 4 * TPB
# progressions by section kind, in C major / A minor as semitone roots and qualities; transposed per key
MAJOR = {"intro": ["I", "IV"], "verse": ["I", "vi", "IV", "V"], "pre-chorus": ["ii", "IV", "V", "V"], "chorus": ["IV", "V", "I", "I"], "bridge": ["vi", "iii", "IV", "V"], "outro": ["IV", "I"]}
MINOR = {"intro": ["i", "iv"], "verse": ["i", "bVI", "bIII", "V"], "pre-chorus": ["iv", "bVI", "V", "V"], "chorus": ["bVI", "V", "i", "i"], "bridge": ["bIII", "bVII", "iv", "V"], "outro": ["iv", "i"]}
DEGREE = {"I": (0, ""), "ii": (2, "m"), "iii": (4, "m"), "IV": (5, ""), "V": (7, ""), "vi": (9, "m"), "i": (0, "m"), "iv": (5, "m"), "bIII": (3, ""), "bVI": (8, ""), "bVII": (10, "")}
NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def chord_symbol(numeral, tonic_pc):
    step, quality = DEGREE[numeral]
    return NAMES[(tonic_pc + step) % 12] + quality


def build_song(path, *, tonic_pc=0, mode="major", form=(("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8), ("outro", 4)),
               tempo_bpm=100.0, markers=False, melody_name="Lead Vocal", melody_program=80, key_signature=False, numerator=4):
    """A type-1 MIDI song: chords (pad), bass, melody and drums, denser and louder in choruses."""
    bar = numerator * TPB
    table = MAJOR if mode == "major" else MINOR
    events = {name: [] for name in ("conductor", "pad", "bass", "melody", "drums")}
    events["conductor"].append((0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm))))
    events["conductor"].append((0, mido.MetaMessage("time_signature", numerator=numerator, denominator=4)))
    if key_signature:
        events["conductor"].append((0, mido.MetaMessage("key_signature", key=NAMES[tonic_pc] + ("m" if mode == "minor" else ""))))
    rng = np.random.default_rng(tonic_pc)
    b0 = 0
    truth = []
    for kind, bars in form:
        truth.append((kind, b0, bars))
        if markers:
            events["conductor"].append((b0 * bar, mido.MetaMessage("marker", text=kind.title())))
        loud = kind in ("chorus", "pre-chorus")
        vel = 100 if loud else 70 if kind in ("verse", "bridge") else 50
        motif = rng.integers(0, 3, size=8)  # a melody figure per section (repeats when the kind repeats)
        for j in range(bars):
            t0 = (b0 + j) * bar
            sym = chord_symbol(table[kind][j % len(table[kind])], tonic_pc)
            pitches = chord_pitches(sym, octave=4)
            for p in pitches:
                events["pad"].append((t0, mido.Message("note_on", note=p, velocity=vel - 20, channel=0)))
                events["pad"].append((t0 + bar - 10, mido.Message("note_off", note=p, velocity=0, channel=0)))
            root = parse_chord(sym).root_pc + 36
            step = TPB if kind != "intro" else bar
            for k in range(0, bar, step):
                events["bass"].append((t0 + k, mido.Message("note_on", note=root, velocity=vel, channel=1)))
                events["bass"].append((t0 + k + step - 10, mido.Message("note_off", note=root, velocity=0, channel=1)))
            if kind not in ("intro", "outro"):
                n_mel = 4 if loud else 2
                for k in range(n_mel):
                    p = pitches[int(motif[(j + k) % 8]) % len(pitches)] + 12
                    d = bar // n_mel
                    events["melody"].append((t0 + k * d, mido.Message("note_on", note=p, velocity=vel, channel=2)))
                    events["melody"].append((t0 + k * d + d - 10, mido.Message("note_off", note=p, velocity=0, channel=2)))
            for k in range(numerator * 2 if loud else numerator):
                dt = k * (TPB // 2 if loud else TPB)
                drum = 36 if dt % (2 * TPB) == 0 else 38 if dt % TPB == 0 else 42
                if kind in ("intro", "outro"):
                    drum = 42
                events["drums"].append((t0 + dt, mido.Message("note_on", note=drum, velocity=vel, channel=9)))
                events["drums"].append((t0 + dt + 60, mido.Message("note_off", note=drum, velocity=0, channel=9)))
        b0 += bars
    mid = mido.MidiFile(ticks_per_beat=TPB)
    for name, evs in events.items():
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name={"melody": melody_name, "conductor": "song"}.get(name, name)))
        if name in ("pad", "bass", "melody"):
            track.append(mido.Message("program_change", program={"pad": 89, "bass": 33, "melody": melody_program}[name], channel={"pad": 0, "bass": 1, "melody": 2}[name]))
        now = 0
        for tick, msg in sorted(evs, key=lambda e: (e[0], e[1].type == "note_on")):
            track.append(msg.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    mid.save(path)
    return truth


def f_measure(estimated, reference, *, tolerance=1):
    est, ref = set(estimated) - {0}, set(reference) - {0}
    hits = sum(1 for r in ref if any(abs(r - e) <= tolerance for e in est))
    precision, recall = hits / max(len(est), 1), hits / max(len(ref), 1)
    return 2 * precision * recall / max(precision + recall, 1e-9)


@pytest.mark.parametrize("tonic_pc, mode", [(0, "major"), (7, "major"), (2, "major"), (10, "major"), (9, "minor"), (4, "minor"), (0, "minor"), (6, "minor")])
def test_key_tempo_meter_and_chords(tmp_path, tonic_pc, mode):
    path = tmp_path / "song.mid"
    build_song(path, tonic_pc=tonic_pc, mode=mode, tempo_bpm=87.0)
    a = analyze_midi(path)
    assert a.kind == "midi" and a.tempo_bpm == pytest.approx(87.0, abs=1e-3)
    assert (a.meter_numerator, a.meter_denominator) == (4, 4)
    assert (parse_chord(a.key_tonic).root_pc, a.key_mode) == (tonic_pc, mode)
    table = MAJOR if mode == "major" else MINOR
    expected = chord_symbol(table["verse"][0], tonic_pc)
    assert parse_chord(a.chords_per_bar[4]).pitch_classes == parse_chord(expected).pitch_classes
    assert a.n_bars == 40 and a.downbeats_seconds[1] == pytest.approx(4 * 60.0 / 87.0)
    assert len(a.beats_seconds) == 160


def test_melody_from_named_track_else_highest_voice(tmp_path):
    path = tmp_path / "a.mid"
    build_song(path)
    a = analyze_midi(path)
    assert analyze_midi(path).melody[0].start_beats == 16.0  # the melody starts after the 4-bar intro
    assert any("Lead Vocal" in n for n in a.notes) and len(a.melody) > 0
    assert all(n.pitch >= 60 for n in a.melody)
    path2 = tmp_path / "b.mid"
    build_song(path2, melody_name="keys 2", melody_program=0)
    b = analyze_midi(path2)
    assert any("highest voice" in n for n in b.notes)
    # the highest voice follows the top note at every onset
    assert max(n.pitch for n in b.melody) == max(n.pitch for n in a.melody)


def test_sections_from_markers_and_from_repetition(tmp_path):
    form = (("intro", 4), ("verse", 8), ("pre-chorus", 4), ("chorus", 8), ("verse", 8), ("pre-chorus", 4), ("chorus", 8), ("bridge", 8), ("chorus", 8), ("outro", 4))
    marked = tmp_path / "marked.mid"
    truth = build_song(marked, form=form, markers=True)
    a = analyze_midi(marked)
    assert [(s.kind, s.start_bar, s.bars) for s in a.sections] == truth
    plain = tmp_path / "plain.mid"
    build_song(plain, form=form, tonic_pc=5)
    b = analyze_midi(plain)
    assert f_measure([s.start_bar for s in b.sections], [s for _, s, _ in truth]) >= 0.8
    kinds = [s.kind for s in b.sections]
    assert kinds.count("chorus") >= 2 and kinds[0] == "intro" and kinds[-1] == "outro"
    assert sum(s.bars for s in b.sections) == b.n_bars == 64


def test_three_four_and_tempo_map(tmp_path):
    path = tmp_path / "waltz.mid"
    build_song(path, numerator=3, form=(("verse", 8), ("chorus", 8)))
    a = analyze_midi(path)
    assert a.meter_numerator == 3 and a.n_bars == 16
    mid = mido.MidiFile(path)
    mid.tracks[0].insert(3, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(140), time=3 * TPB * 12))
    mid.save(path)
    b = analyze_guide(path)
    assert b.tempo_bpm == pytest.approx(100.0, abs=1e-3) and any("tempo changes" in n for n in b.notes)


@pytest.mark.parametrize("tempo_us", [0, mido.bpm2tempo(10000)])
def test_absurd_tempo_and_empty_files(tmp_path, tempo_us):
    mid = mido.MidiFile(ticks_per_beat=TPB)
    t = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo_us), mido.Message("note_on", note=60, velocity=80), mido.Message("note_off", note=60, time=480)])
    mid.tracks.append(t)
    path = tmp_path / "fast.mid"
    mid.save(path)
    with pytest.raises(FileFormatError, match="tempo"):
        analyze_guide(path)
    empty = mido.MidiFile(ticks_per_beat=TPB)
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    path = tmp_path / "empty.mid"
    empty.save(path)
    with pytest.raises(ScoreError, match="note"):
        analyze_guide(path)
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06garbage")
    with pytest.raises(LemmError):
        analyze_guide(bad)


def test_midi_analysis_is_deterministic(tmp_path):
    path = tmp_path / "song.mid"
    build_song(path, tonic_pc=3)
    assert analyze_midi(path) == analyze_midi(path)
