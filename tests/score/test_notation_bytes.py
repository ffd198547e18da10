"""The MusicXML page of fixed, varied scores is byte for byte what the Fraction-based notation code wrote.

The notation view and the rhythm cuts compute in exact integers (session 12, for speed); the digests
below were recorded from the writer before that change, on scores that exercise swing, humanised
onsets, triplet beats, strums, meter changes (4/4, 6/8, 7/8, 12/8, 3/4), a grand staff, drums,
lyrics, chords and marks. A digest that changes means the page changed: check it, do not re-record blindly.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from lemm.score.model import ChordSymbol, DynamicMark, KeyChange, Lyric, MeterChange, Note, Score, Section, TempoChange, Track
from lemm.score.musicxml import write_musicxml

RES = 480


def _notes(
    rng: np.random.Generator,
    *,
    bars: int,
    bar_ticks: int,
    low: int,
    high: int,
    swing: int = 0,
    triplets: bool = False,
    jitter: int = 0,
    lyrics: bool = False,
    chords: bool = False,
) -> tuple[Note, ...]:
    out = []
    for b in range(bars):
        t = b * bar_ticks
        while t < (b + 1) * bar_ticks:
            step = int(rng.choice([80, 160, 240, 480]) if triplets and rng.random() < 0.3 else rng.choice([120, 240, 480, 720, 960]))
            onset = t + (swing if (t // 240) % 2 == 1 and t % 240 == 0 else 0) + int(rng.integers(-jitter, jitter + 1))
            onset = max(0, onset)
            length = max(30, int(step * rng.uniform(0.5, 1.1)))
            pitches = [int(rng.integers(low, high))] + ([int(rng.integers(low, high))] if chords and rng.random() < 0.5 else [])
            for k, p in enumerate(pitches):
                text = str(rng.choice(["la", "sun", "go", ""]))
                lyric = Lyric(text, "single", text == "" or bool(rng.random() < 0.1)) if lyrics and k == 0 else None
                out.append(Note(p, onset + k * int(rng.integers(0, 20)), length, int(rng.integers(40, 120)), lyric=lyric))
            t += step
    out.sort(key=lambda n: (n.start_tick, n.pitch))
    return tuple(out)


def _drums(rng: np.random.Generator, bars: int, bar_ticks: int, swing: int) -> tuple[Note, ...]:
    out = []
    for t in range(0, bars * bar_ticks, 240):
        out.append(Note(42, t + (swing if t % 480 == 240 else 0) + int(rng.integers(0, 8)), 60, 70))
        if t % 960 == 0:
            out.append(Note(36, t, 60, 100))
        if t % 960 == 480:
            out.append(Note(38, t + 3, 60, 95))
    return tuple(sorted(out, key=lambda n: (n.start_tick, n.pitch)))


def _score(seed: int, meters: tuple[tuple[int, int], ...], *, swing: int = 0, triplets: bool = False) -> Score:
    rng = np.random.default_rng(seed)
    bars_each = 4
    meter_changes, tick = [], 0
    for num, den in meters:
        meter_changes.append(MeterChange(tick, num, den))
        tick += bars_each * MeterChange(0, num, den).bar_ticks(RES)
    total, bar_ticks = tick, MeterChange(0, *meters[0]).bar_ticks(RES)
    bars = total // bar_ticks
    return Score(
        title=f"bytes {seed}", resolution=RES,
        tempos=(TempoChange(0, 100.0), TempoChange(total // 2, 132.5)), meters=tuple(meter_changes),
        keys=(KeyChange(0, "Eb", "major"), KeyChange(total // 2, "E", "minor")),
        sections=(Section("verse", "verse", 0, total // 2), Section("chorus", "chorus", total // 2, total - total // 2)),
        chords=(ChordSymbol(0, 960, "Cm7"), ChordSymbol(960, 960, "Ab/C"), ChordSymbol(1920, total - 1920, "Bb7")),
        tracks=(
            Track("vocal", "vocal", "voice_high", program=52, dynamics=(DynamicMark(0, "mf"), DynamicMark(total // 2, "f")),
                  notes=_notes(rng, bars=bars, bar_ticks=bar_ticks, low=60, high=76, swing=swing, triplets=triplets, jitter=6, lyrics=True)),
            Track("piano", "keys", "acoustic_piano", notes=_notes(rng, bars=bars, bar_ticks=bar_ticks, low=45, high=80, swing=swing, chords=True)),
            Track("bass", "bass", "electric_bass", program=33, notes=_notes(rng, bars=bars, bar_ticks=bar_ticks, low=28, high=50, swing=swing, jitter=10)),
            Track("drums", "drums", "acoustic_kit", is_drum=True, notes=_drums(rng, bars, bar_ticks, swing)),
        ),
    )  # fmt: skip


CASES = {  # name: (seed, meters, swing delay in ticks, triplet figures)
    "swing": (1, ((4, 4),), 80, False),  # detected as swing of 17/96 quarter
    "meters": (2, ((4, 4), (6, 8), (7, 8), (3, 4)), 0, True),  # six triplet beats
    "compound": (3, ((12, 8),), 0, True),
}
DIGESTS = {
    "swing": "67074269cb54d26334d0bf250a4eeb72055d85d9cb133cacb4466aa8e04af639",
    "meters": "ad8295f47667595884490e89f6abb991b01b359d3d1a36c87311535368f0870e",
    "compound": "6a2544eb63bf9cddf8701f8454d008b88b3f0519206772303e34229bb4b5f92c",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_page_bytes_are_the_fraction_writers(name, tmp_path):
    seed, meters, swing, triplets = CASES[name]
    data = write_musicxml(_score(seed, meters, swing=swing, triplets=triplets), tmp_path / "s.musicxml").read_bytes()
    assert hashlib.sha256(data).hexdigest() == DIGESTS[name]
