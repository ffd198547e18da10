"""Guide MIDI -> :class:`GuideAnalysis`: tempo map, meter, key, chords per bar, melody, sections.

- **Tempo**: the tempo that lasts longest (in ticks); a file with several
  tempos is reported with a note (a plan has one tempo).
- **Meter**: the first time signature (4/4 when there is none).
- **Key**: pitch-class weights of every pitched note (duration x velocity)
  against the Krumhansl-Kessler profiles, with the bass of the first and last
  bars as tonic evidence (:func:`lemm.compose.guide.tonal.estimate_key`).
- **Chords per bar**: the file's own chord texts when it has them (lemm writes
  ``chord:Am`` texts), else template matching of the bar's pitch classes with
  its lowest note as the bass.
- **Melody**: the track whose name says melody, vocal, voice, lead or singer
  (the one with most notes), else one with role vocal/lead, else the highest
  voice (the top note at each onset over all pitched tracks).
- **Sections**: from markers when the file has them, else from repetition
  (:func:`lemm.compose.guide.segment.segment_bars` on per-bar harmony, melody,
  per-track activity and drum pattern).
- **Energy per bar**: share of tracks playing, note density and velocity.

Examples
--------
>>> import mido, tempfile, os
>>> mid = mido.MidiFile(ticks_per_beat=480)
>>> t = mido.MidiTrack(); mid.tracks.append(t)
>>> t.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100)))
>>> for p in [57, 60, 64, 69] * 8:  # A minor arpeggios, 8 bars of quarters
...     t += [mido.Message("note_on", note=p, velocity=80, time=0), mido.Message("note_off", note=p, velocity=0, time=480)]
>>> path = os.path.join(tempfile.mkdtemp(), "g.mid"); mid.save(path)
>>> a = analyze_midi(path)
>>> a.tempo_bpm, a.key_tonic, a.key_mode, a.n_bars, a.chords_per_bar[0]
(100.0, 'A', 'minor', 8, 'Am')
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lemm.compose.guide.analysis import GuideAnalysis, GuideSection
from lemm.compose.guide.segment import segment_bars
from lemm.compose.guide.tonal import chord_for_bar, estimate_key, key_evidence_from_chords
from lemm.compose.plan_model import PlanNote
from lemm.errors import FileFormatError, LemmError, LimitError, ParameterError, ScoreError
from lemm.limits import MAX_GUIDE_NOTES
from lemm.score.harmony import pitch_class
from lemm.score.midi import read_midi
from lemm.score.model import Note, Score, Track
from lemm.score.timing import ticks_to_seconds

__all__ = ["analyze_midi", "analyze_score", "melody_notes"]

_MELODY_WORDS = ("melody", "vocal", "voice", "lead", "singer", "sing")
_DRUM_CLASSES = ((35, 36), (37, 38, 39, 40), (42, 44, 46), (49, 51, 52, 53, 55, 57, 59), (41, 43, 45, 47, 48, 50))


def _pitched(score: Score) -> list[Track]:
    return [t for t in score.tracks if not t.is_drum and t.notes]


def melody_notes(score: Score) -> tuple[list[Note], str]:
    """The melody of a score and where it came from (a track name or ``"highest voice"``)."""
    pitched = _pitched(score)
    named = [t for t in pitched if any(w in t.name.lower() for w in _MELODY_WORDS)]
    if not named:
        named = [t for t in pitched if t.role in ("vocal", "lead")]
    if named:
        best = max(named, key=lambda t: len(t.notes))
        return list(best.notes), best.name
    # skyline: the highest note at each onset, cut where the next kept note starts
    by_start: dict[int, Note] = {}
    for t in pitched:
        for n in t.notes:
            if n.start_tick not in by_start or n.pitch > by_start[n.start_tick].pitch:
                by_start[n.start_tick] = n
    starts = sorted(by_start)
    out: list[Note] = []
    for tick in starts:
        n = by_start[tick]
        if out and out[-1].end_tick > tick:
            if out[-1].pitch > n.pitch:
                continue  # a higher note is still sounding
            prev = out[-1]
            out[-1] = Note(prev.pitch, prev.start_tick, tick - prev.start_tick, prev.velocity)
        out.append(n)
    return out, "highest voice"


def _dominant_tempo(score: Score, end_tick: int) -> float:
    spans = []
    for i, t in enumerate(score.tempos):
        nxt = score.tempos[i + 1].tick if i + 1 < len(score.tempos) else max(end_tick, t.tick + 1)
        spans.append((max(nxt - t.tick, 0), t.tempo_bpm))
    return float(max(spans)[1])


def _bar_weights(notes: list[Note], bar_ticks: int, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """Pitch-class weight per bar [n_bars, 12] (duration x velocity) and lowest pitch per bar (-1 = none)."""
    pcw = np.zeros((n_bars, 12))
    low = np.full(n_bars, 128)
    for n in notes:
        first, last = n.start_tick // bar_ticks, (n.end_tick - 1) // bar_ticks
        for b in range(first, min(last, n_bars - 1) + 1):
            overlap = min(n.end_tick, (b + 1) * bar_ticks) - max(n.start_tick, b * bar_ticks)
            pcw[b, n.pitch % 12] += overlap * n.velocity / 127.0
            low[b] = min(low[b], n.pitch)
    return pcw, np.where(low == 128, -1, low)


def _bar_features(score: Score, melody: list[Note], bar_ticks: int, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar features for segmentation, and energy per bar in 0..1."""
    pitched = _pitched(score)
    mel_ids = {(n.start_tick, n.pitch) for n in melody}
    harmony = [n for t in pitched for n in t.notes if (n.start_tick, n.pitch) not in mel_ids]
    h, _ = _bar_weights(harmony, bar_ticks, n_bars)
    h = h / np.maximum(h.sum(axis=1, keepdims=True), 1e-9)
    mw, _ = _bar_weights(melody, bar_ticks, n_bars)
    mw = mw / np.maximum(mw.sum(axis=1, keepdims=True), 1e-9)
    mel_pitch = np.zeros(n_bars)
    mel_count = np.zeros(n_bars)
    for n in melody:
        b = n.start_tick // bar_ticks
        if b < n_bars:
            mel_pitch[b] += n.pitch
            mel_count[b] += 1
    mel_pitch = np.where(mel_count > 0, mel_pitch / np.maximum(mel_count, 1), 0.0) / 127.0
    tracks = [t for t in score.tracks if t.notes]
    activity = np.zeros((n_bars, len(tracks)))
    velocity = np.zeros(n_bars)
    count = np.zeros(n_bars)
    drums = np.zeros((n_bars, len(_DRUM_CLASSES)))
    for j, t in enumerate(tracks):
        for n in t.notes:
            b = n.start_tick // bar_ticks
            if b >= n_bars:
                continue
            activity[b, j] += 1
            velocity[b] += n.velocity
            count[b] += 1
            if t.is_drum:
                for c, keys in enumerate(_DRUM_CLASSES):
                    if n.pitch in keys:
                        drums[b, c] += 1
    mean_vel = np.where(count > 0, velocity / np.maximum(count, 1), 0.0) / 127.0
    act = np.log1p(activity)
    feats = np.hstack([2.0 * h, 1.5 * mw, mel_pitch[:, None], np.log1p(mel_count)[:, None], act, np.log1p(drums), mean_vel[:, None]])
    playing = (activity > 0).sum(axis=1) / max(len(tracks), 1)
    density = np.log1p(count) / max(float(np.log1p(count).max()), 1e-9)
    raw = 0.5 * playing + 0.3 * density + 0.2 * mean_vel
    lo, hi = float(raw.min()), float(raw.max())
    energy = 0.1 + 0.85 * (raw - lo) / (hi - lo) if hi - lo > 1e-9 else np.full(n_bars, 0.5)
    return feats, energy


def analyze_score(score: Score, *, source: str = "score") -> GuideAnalysis:
    """Analyse a score read from a guide MIDI file (see the module docstring).

    Raises
    ------
    ParameterError
        If the score has no pitched or drum notes.
    """
    notes_end = max((t.end_tick for t in score.tracks), default=0)
    if notes_end <= 0:
        raise ParameterError.for_field("guide MIDI notes", 0, "at least one note")
    notes: list[str] = []
    meter = score.meters[0]
    if len(score.meters) > 1:
        notes.append(f"{len(score.meters)} meter changes: the first meter ({meter.numerator}/{meter.denominator}) is used")
    bar_ticks = meter.bar_ticks(score.resolution)
    beat_ticks = score.resolution * 4 // meter.denominator
    n_bars = max(1, -(-notes_end // bar_ticks))
    tempo = _dominant_tempo(score, notes_end)
    if len(score.tempos) > 1:
        notes.append(f"{len(score.tempos)} tempo changes: the longest-lasting tempo ({tempo:g} bpm) is used for the plan")
    downbeats = ticks_to_seconds(score, np.arange(n_bars) * bar_ticks)
    beats = ticks_to_seconds(score, np.arange(n_bars * (bar_ticks // beat_ticks)) * beat_ticks)
    duration = float(ticks_to_seconds(score, n_bars * bar_ticks))

    pitched_notes = [n for t in _pitched(score) for n in t.notes]
    melody, melody_source = melody_notes(score)
    if pitched_notes:
        pcw, low = _bar_weights(pitched_notes, bar_ticks, n_bars)
        used = [b for b in range(n_bars) if low[b] >= 0]
        tonic_w = np.zeros(12)
        for b in (used[0], used[-1]):
            tonic_w[low[b] % 12] += 0.5
        key0 = score.keys[0]
        if len(score.keys) > 1 or (key0.tonic, key0.mode) != ("C", "major"):
            tonic_w[pitch_class(key0.tonic)] += 0.25  # an explicit key signature is some evidence
        if score.chords:
            chords = []
            for b in range(n_bars):
                start, end = b * bar_ticks, (b + 1) * bar_ticks
                over = [(min(c.end_tick, end) - max(c.start_tick, start), -c.start_tick, c.symbol) for c in score.chords if c.start_tick < end and c.end_tick > start]
                chords.append(max(over)[2] if over else (chords[-1] if chords else chord_for_bar(pcw[b], bass_pc=int(low[b]) if low[b] >= 0 else None)))
        else:
            chords = [chord_for_bar(pcw[b], bass_pc=int(low[b]) if low[b] >= 0 else None) for b in range(n_bars)]
        key_w = key_evidence_from_chords([chords[used[0]], chords[used[-1]]], [0.4, 0.6])
        tonic, mode, confidence = estimate_key(pcw.sum(axis=0), tonic_weights=tonic_w, key_weights=key_w)
    else:
        tonic, mode, confidence, chords = "C", "major", 0.0, []
        notes.append("no pitched notes: key C major assumed, no chords")

    feats, energy = _bar_features(score, melody, bar_ticks, n_bars)
    marker_bounds = None
    if score.sections:
        marker_bounds = sorted({int(round(s.start_tick / bar_ticks)) for s in score.sections})
    segs = segment_bars(feats, energy, fixed_bounds=marker_bounds)
    if score.sections:
        by_bar = {int(round(s.start_tick / bar_ticks)): s.kind for s in score.sections}
        segs = [(s, b, by_bar.get(s, k), lab) for s, b, k, lab in segs]
    sections = tuple(
        GuideSection(kind, float(downbeats[s]), float(downbeats[s + b]) if s + b < n_bars else duration, s, b, lab) for s, b, kind, lab in segs
    )
    mel = tuple(
        PlanNote(n.pitch, round(n.start_tick / score.resolution, 6), round(n.duration_ticks / score.resolution, 6), max(1, n.velocity)) for n in melody
    )
    if melody:
        notes.append(f"melody from {melody_source}")
    return GuideAnalysis(
        source=source,
        kind="midi",
        duration_seconds=duration,
        tempo_bpm=round(tempo, 3),
        meter_numerator=meter.numerator,
        meter_denominator=meter.denominator,
        key_tonic=tonic,
        key_mode=mode,
        beats_seconds=tuple(float(t) for t in beats),
        downbeats_seconds=tuple(float(t) for t in downbeats),
        sections=sections,
        energy_per_bar=tuple(float(round(e, 4)) for e in energy),
        chords_per_bar=tuple(chords),
        melody=mel,
        swing=0.0,
        key_confidence=confidence,
        notes=tuple(notes),
    )


def analyze_midi(path: str | os.PathLike) -> GuideAnalysis:
    """Analyse a guide MIDI file (see the module docstring).

    Raises
    ------
    LemmFileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is not a Standard MIDI File, or its tempo is absurd (outside 20..400 bpm).
    ScoreError
        If it holds no notes.
    """
    p = Path(path)
    try:
        score = read_midi(p, max_notes=MAX_GUIDE_NOTES)  # bounded before decoding (lemm.limits)
    except ScoreError as err:
        raise ScoreError(f"guide MIDI {p.name!r}: {err}") from None
    except LimitError as err:
        raise LimitError(f"guide MIDI {p.name!r}: {err}") from None
    except FileFormatError as err:
        raise FileFormatError(f"guide MIDI {p.name!r}: {err}") from None
    try:
        return analyze_score(score, source=p.name)
    except LemmError:
        raise
    except (ValueError, IndexError, ZeroDivisionError) as err:  # pragma: no cover - defensive
        raise FileFormatError(f"guide MIDI {p.name!r} could not be analysed: {err}") from None
