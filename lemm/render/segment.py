"""Cut a recording of single notes, played one after another, into one array per note (for timbre fitting).

:func:`lemm.render.fit_preset` wants one note per array. People record a few
notes in one take (a scale, or notes an octave apart) with a short gap
between them; :func:`split_notes` finds those notes from the level first:
10 ms frames (RMS over 20 ms), a frame is sounding when its level is within
``threshold_db`` of the loudest frame, gaps shorter than ``min_gap_seconds``
are bridged and sounding stretches shorter than ``min_note_seconds`` dropped.
Each note runs from 10 ms before its first sounding frame to just before the
next note's (so its release and decay tail stay with it). Notes played
legato, or with a room's reverb filling the gaps, are then split where the
pitch moves: a YIN pitch track (librosa), and a new note where the median
pitch of the 150 ms after a frame differs from that of the 150 ms before by
at least ``min_step_semitones`` while both stretches hold a steady pitch
(vibrato of up to about +/-40 cents does not split a note), the two
stretches 50 ms apart (an attack often has no clear pitch); the cut falls
10 ms before the first frame that has left the old pitch (a slow attack
under the old note's release can start up to ~0.1 s earlier). Each new
pitch is checked on the spectrum with the old note's partials masked (a
tracker reading two notes ringing together lands on a common subharmonic:
the multiple whose harmonic series holds the energy is the new note), and a
step that does not move the checked pitch is no step. Nothing splits in a
decay tail 30 dB under the stretch's loudest frame. Repeated notes of
one pitch with no drop in level between them stay one note: leave a gap.

Examples
--------
>>> sr = 16000; t = np.arange(sr // 2) / sr
>>> note = np.sin(2 * np.pi * 220 * t) * np.exp(-4 * t)
>>> take = np.concatenate([note, np.zeros(sr // 4), 0.5 * note, np.zeros(sr // 4)])
>>> [round(len(n) / sr, 2) for n in split_notes(take, sample_rate=sr)]  # the first has no room for the 10 ms before it
[0.74, 0.76]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lemm.errors import ParameterError
from lemm.units import hz_to_midi, midi_to_hz
from lemm.validate import check_sample_rate

__all__ = ["TakeNote", "split_notes", "split_take"]

_HOP_SECONDS = 0.01
_PRE_ROLL_SECONDS = 0.01
_STEADY_SECONDS = 0.15  # pitch windows either side of a step
_STEADY_SPREAD_SEMITONES = 0.8  # a window's interquartile pitch range that still counts as one note
_ATTACK_GAP_SECONDS = 0.05  # between the two windows: an attack often has no clear pitch
_NEAR_SEMITONES = 0.5  # a frame this close to a window's median is at that note's pitch
_QUIET_DB = -30.0  # frames this far under the stretch's loudest are decay tails
_PITCH_FMIN_HZ, _PITCH_FMAX_HZ = 50.0, 2000.0  # range of the pitch track
_SPECTRUM_TOP_HZ = 5000.0  # partials above this are not weighed when a pitch reading is checked
_HARMONIC_SHARE = 0.5  # share of the energy (old note's partials masked) a new note's series must carry


def _positive(value: object, field: str, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.0 < value <= high:
        raise ParameterError.for_field(field, value, f"a number in (0, {high:g}]")
    return float(value)


@dataclass(frozen=True)
class TakeNote:
    """One note cut from a take: its samples, where it starts in the take, and its pitch when a pitch step found it.

    ``midi_pitch`` is the pitch (MIDI number, fractional: the tracker's median
    over the 150 ms after the step, checked on the spectrum) of a note split
    from the one before it by pitch (legato);
    None for a note that follows a gap (its pitch is the note's own business:
    :func:`lemm.render.fit_preset` estimates it). Pass it on as ``f0_hz``: in
    a legato take the note before may still ring into this one, and a pitch
    read from the mixture can land on their common subharmonic.
    """

    audio: np.ndarray
    start_seconds: float
    midi_pitch: float | None = None

    @property
    def f0_hz(self) -> float | None:
        """``midi_pitch`` in Hz (None when it is None), for ``fit_preset(f0_hz=...)``."""
        return None if self.midi_pitch is None else midi_to_hz(self.midi_pitch)


def split_notes(
    audio: np.ndarray,
    *,
    sample_rate: int,
    threshold_db: float = -35.0,
    min_gap_seconds: float = 0.05,
    min_note_seconds: float = 0.1,
    min_step_semitones: float | None = 0.7,
) -> list[np.ndarray]:
    """One array per note of a take of single notes, separated by short gaps or played legato.

    The samples of :func:`split_take`'s notes; see there.
    """
    return [note.audio for note in split_take(audio, sample_rate=sample_rate, threshold_db=threshold_db, min_gap_seconds=min_gap_seconds,
                                              min_note_seconds=min_note_seconds, min_step_semitones=min_step_semitones)]


def split_take(
    audio: np.ndarray,
    *,
    sample_rate: int,
    threshold_db: float = -35.0,
    min_gap_seconds: float = 0.05,
    min_note_seconds: float = 0.1,
    min_step_semitones: float | None = 0.7,
) -> list[TakeNote]:
    """The notes of a take of single notes, separated by short gaps or played legato, with their start times.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)]
        The take; channels are averaged.
    sample_rate : int
        Hz, 8000..384000.
    threshold_db : float
        A frame sounds when its RMS is at most this far under the loudest
        frame's (dB, -80..-6).
    min_gap_seconds : float
        Quieter stretches shorter than this do not split a note (0..2 s).
    min_note_seconds : float
        Sounding stretches shorter than this are dropped as clicks (0..5 s).
    min_step_semitones : float or None
        Smallest pitch step that splits a sounding stretch into two notes
        (0.3..12); None splits on level alone.

    Returns
    -------
    list of TakeNote
        The notes in order; ``audio`` [shape=(n_note_samples,)] float64,
        consecutive pieces of the take from the first note's start on.

    Raises
    ------
    ParameterError
        A bad array (empty, non-finite, not 1-D or 2-D), sample rate or
        option, a silent take, or one in which no note is long enough.
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(0)
    if x.ndim != 1 or x.size == 0:
        raise ParameterError.for_field("take audio", f"shape {np.shape(audio)}", "a non-empty mono or (n_channels, n_samples) array")
    if not np.all(np.isfinite(x)):
        raise ParameterError.for_field("take audio", "non-finite samples (NaN or inf)", "finite samples")
    sample_rate = check_sample_rate(sample_rate)
    if isinstance(threshold_db, bool) or not isinstance(threshold_db, (int, float)) or not -80.0 <= threshold_db <= -6.0:
        raise ParameterError.for_field("threshold_db", threshold_db, "a number in -80..-6 dB")
    min_gap = _positive(min_gap_seconds, "min_gap_seconds", 2.0)
    min_note = _positive(min_note_seconds, "min_note_seconds", 5.0)
    if min_step_semitones is not None and (
        isinstance(min_step_semitones, bool) or not isinstance(min_step_semitones, (int, float)) or not 0.3 <= min_step_semitones <= 12.0
    ):
        raise ParameterError.for_field("min_step_semitones", min_step_semitones, "a number in 0.3..12, or None")
    hop = max(1, int(round(_HOP_SECONDS * sample_rate)))
    power = _frame_power(x, hop)
    peak = float(power.max())
    if peak < 1e-12:
        raise ParameterError.for_field("take audio", f"RMS peak {math.sqrt(peak):.2g}", "a take with sound in it")
    sounding = power >= peak * 10.0 ** (threshold_db / 10.0)
    # stretches of sounding frames: [start, end) in frames
    edges = np.flatnonzero(np.diff(np.concatenate([[0], sounding.astype(np.int8), [0]])))
    runs = [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[list[int]] = []
    for run in runs:
        if merged and (run[0] - merged[-1][1]) * hop < min_gap * sample_rate:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    notes = [r for r in merged if (r[1] - r[0]) * hop >= min_note * sample_rate]
    if not notes:
        raise ParameterError.for_field(
            "take audio", f"no sounding stretch of {min_note:g} s or more (threshold {threshold_db:g} dB)", "a take with at least one note"
        )
    pre = int(round(_PRE_ROLL_SECONDS * sample_rate))
    starts: list[tuple[int, float | None]] = []
    for a, b in notes:
        starts.append((max(0, a * hop - pre), None))
        if min_step_semitones is not None:
            steps = _pitch_steps(x[a * hop : b * hop], power[a:b], sample_rate=sample_rate, hop=hop,
                                 min_step_semitones=float(min_step_semitones), min_note_seconds=min_note)
            starts += [(max(a * hop + offset - pre, 0), pitch) for offset, pitch in steps]
    ends = [s for s, _ in starts[1:]] + [x.size]
    return [TakeNote(x[a:b].copy(), a / sample_rate, pitch) for (a, pitch), b in zip(starts, ends, strict=True)]


def _frame_power(x: np.ndarray, hop: int) -> np.ndarray:
    """Mean square over 2 * hop samples, one value per hop (frame j centred on sample j * hop)."""
    n_frames = int(math.ceil(x.size / hop))
    padded = np.pad(x, (hop // 2, hop // 2 + n_frames * hop - x.size))
    return np.convolve(padded**2, np.ones(2 * hop) / (2 * hop), mode="same")[hop // 2 :: hop][:n_frames]


def _pitch_steps(
    audio: np.ndarray, power: np.ndarray, *, sample_rate: int, hop: int, min_step_semitones: float, min_note_seconds: float
) -> list[tuple[int, float]]:
    """Samples of ``audio`` (one sounding stretch) where a new, steady pitch begins, with that pitch.

    A step is found where the 150 ms before a frame and the 150 ms after it,
    50 ms apart (the attack between two notes often has no clear pitch), each
    hold a steady pitch and their medians differ by ``min_step_semitones`` or
    more; the cut is the frame after the last one still at the old pitch.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,)]
    power : np.ndarray [shape=(n_frames,)]
        The stretch's frame power (:func:`_frame_power` of the take, as
        :func:`split_take` already has it), one value per ``hop``.
    sample_rate : int
    hop : int
        Samples between pitch frames.
    min_step_semitones : float
    min_note_seconds : float
        Cuts closer together (or to the stretch's ends) than this are not made.

    Returns
    -------
    list of (int, float)
        Sample offsets, increasing, and the new note's median pitch (MIDI number).
    """
    import librosa

    fmin, fmax = _PITCH_FMIN_HZ, min(_PITCH_FMAX_HZ, sample_rate / 4.0)
    frame_length = 1 << int(math.ceil(math.log2(2.2 * sample_rate / fmin)))
    if audio.size < frame_length:
        return []
    f0 = librosa.yin(audio, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame_length, hop_length=hop, center=True)
    midi = hz_to_midi(np.maximum(f0, 1e-6))
    n = midi.size
    level_db = 10.0 * np.log10(np.maximum(power, 1e-20))
    level_db = np.pad(level_db, (0, max(n - level_db.size, 0)), mode="edge")[:n]
    loud = level_db >= level_db.max() + _QUIET_DB  # decay tails (where pitch trackers slip an octave) never split
    w = max(int(round(_STEADY_SECONDS * sample_rate / hop)), 3)
    g = max(int(round(_ATTACK_GAP_SECONDS * sample_rate / hop)), 1)
    shortest = max(int(round(min_note_seconds * sample_rate / hop)), w)
    cuts: list[tuple[int, float]] = []
    j = w + g
    while j <= n - w - g:
        before, after = midi[j - g - w : j - g], midi[j + g : j + g + w]
        lo, hi = float(np.median(before)), float(np.median(after))
        if abs(hi - lo) < min_step_semitones or not (_steady(before) and _steady(after)) or not loud[j + g : j + g + w].all():
            j += 1
            continue
        pitch = _verified_pitch(audio, sample_rate=sample_rate, start=(j + g) * hop, stop=(j + g + w) * hop, new_midi=hi, old_midi=lo)
        if pitch is None:
            pitch = hi  # no clear series of its own beside the old note's: keep the tracker's reading
        if abs(pitch - (cuts[-1][1] if cuts else lo)) < min_step_semitones:
            j += 1  # checked on the spectrum, the pitch has not moved (a sub-octave reading, an organ's 16' stop)
            continue
        span = np.arange(j - g - w, j + g + w)
        new = span[np.abs(midi[span] - hi) <= _NEAR_SEMITONES]
        first_new = int(new[0]) if new.size else j
        old = span[(span < first_new) & (np.abs(midi[span] - lo) <= _NEAR_SEMITONES)]
        cut = int(old[-1]) + 1 if old.size else first_new
        if cut >= shortest and (not cuts or cut - cuts[-1][0] >= shortest) and n - cut >= shortest:
            cuts.append((cut, pitch))
        j = max(first_new + w, j + 1)
    return [(c * hop, pitch) for c, pitch in cuts]


def _verified_pitch(audio: np.ndarray, *, sample_rate: int, start: int, stop: int, new_midi: float, old_midi: float) -> float | None:
    """The pitch a tracker's reading ``new_midi`` stands for in ``audio[start:stop]``, checked on the spectrum; None if none.

    The partials of the old note (``old_midi``), which may still ring, are
    masked out; of the rest, the harmonic series of ``new_midi`` or of a
    multiple of it (a tracker reading two notes together, or a sub-octave
    stop, lands on a common subharmonic) must carry at least half the energy.
    The highest multiple that carries nearly all of what the reading's own
    series carries is the new note. A reading whose partials mostly coincide
    with the old note's (an octave up, say) is taken as it is.
    """
    seg = audio[max(start, 0) : stop]
    if seg.size < 64:
        return new_midi
    n_fft = 1 << int(math.ceil(math.log2(4 * seg.size)))
    power = np.abs(np.fft.rfft(seg * np.hanning(seg.size), n_fft)) ** 2
    freqs = np.arange(power.size) * sample_rate / n_fft
    top = min(_SPECTRUM_TOP_HZ, 0.45 * sample_rate)
    f_new, f_old = (midi_to_hz(m) for m in (new_midi, old_midi))

    def near(f0: float) -> np.ndarray:
        """Bins within a third of a semitone (at most 15 % of f0) of the harmonics of f0 below ``top``."""
        k = np.maximum(np.round(freqs / f0), 1.0)
        tolerance = np.minimum(k * f0 * (2.0 ** (1.0 / 36.0) - 1.0), 0.15 * f0)
        return (np.abs(freqs - k * f0) <= tolerance) & (freqs <= top) & (freqs >= 0.5 * f0)

    old_bins = near(f_old)
    new_bins = near(f_new)
    if np.sum(new_bins & old_bins) > 0.5 * np.sum(new_bins):
        return new_midi
    rest = np.where(old_bins, 0.0, power)
    rest[(freqs < 0.5 * f_new) | (freqs > top)] = 0.0
    total = float(rest.sum())
    if total <= 0.0:
        return None
    share = float(rest[new_bins].sum()) / total
    if share < _HARMONIC_SHARE:
        return None
    best = 1
    for k in range(2, 9):
        if k * f_new > _PITCH_FMAX_HZ:
            break
        if float(rest[near(k * f_new)].sum()) / total >= 0.9 * share:
            best = k
    return new_midi + 12.0 * math.log2(best)


def _steady(midi: np.ndarray) -> bool:
    """A steady pitch: the middle half of the frames within 0.8 semitone (vibrato fits, noise does not)."""
    q1, q3 = np.percentile(midi, [25, 75])
    return float(q3 - q1) <= _STEADY_SPREAD_SEMITONES
