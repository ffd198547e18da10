"""Guide audio -> :class:`GuideAnalysis`: tempo, beats, downbeats, meter, key, sections, energy.

The signal is mixed to mono and resampled to 22050 Hz; one STFT (2048-point,
hop 256: 86 frames per second) gives everything:

- **Onset envelopes**: half-wave rectified flux of the log-mel spectrum, over
  all bands and over a "strong" band (below 2.5 kHz: kick, snare body, bass,
  chords), and of the mel magnitude (loudness-weighted) below 150 Hz, in
  150 Hz..2.5 kHz and below 2.5 kHz, each with its local mean removed.
- **Tempo and beats**: the autocorrelation of the onset envelope gives a pulse;
  its relatives (x1/4 .. x4, x2/3, x3/2) in 50..200 bpm are each fitted as a
  constant-tempo beat grid (period and phase searched finely so that the grid
  sits on the onsets), and the beat is the one with the most evidence
  (:mod:`lemm.compose.guide.tempo`: how full its subdivision is, straight or
  swung; whether every other beat is weak; whether a bar of 4 or 3 of its
  beats stands out by chord, bass and kick; a log-normal preference around
  110 bpm). Of the grid and the grid moved onto the strongest off-beat, the
  one on the kick is kept. The tempo is 60 / period: exact for a steady guide.
- **Meter and downbeats**: per beat, the change of chroma and bass chroma
  (chords change on the bar line), the low-band onset (kick on 1) and, against
  it, the mid-band onset (snare on 2 and 4); the meter (3 or 4 beats) and the
  bar phase are the ones whose beats at the bar start stand out most.
- **Swing**: where the off-beat onsets sit between beats (0.5 straight,
  0.667 triplet).
- **Key**: chroma summed over the song against the Krumhansl-Kessler
  profiles, with the bass of the first and last bars as tonic evidence.
- **Chords per bar**: template matching of each bar's chroma.
- **Sections**: :func:`lemm.compose.guide.segment.segment_bars` on per-bar chroma,
  timbre (mel band levels) and loudness.
- **Energy**: loudness (RMS dB) per bar, mapped to 0.1..0.95 between the
  quietest and loudest bars.

Examples
--------
>>> import numpy as np
>>> sr, bpm = 22050, 100.0
>>> y = np.zeros(int(sr * 12), dtype=np.float32)
>>> click = (np.exp(-np.arange(800) / 80.0) * np.sin(2 * np.pi * 120 * np.arange(800) / sr)).astype(np.float32)
>>> for k in range(int(12 * bpm / 60)):
...     i = int(round(k * 60 / bpm * sr)); y[i:i + 800] += click * (1.0 if k % 4 == 0 else 0.6)
>>> a = analyze_audio_array(y, sample_rate=sr)
>>> round(a.tempo_bpm), a.meter_numerator
(100, 4)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lemm.compose.guide.analysis import GuideAnalysis, GuideSection
from lemm.compose.guide.segment import segment_bars
from lemm.compose.guide.tempo import at, bar_cues, beat_sync, choose_tempo, comb, fit_beat_grid
from lemm.compose.guide.tonal import chord_for_bar, estimate_key, key_evidence_from_chords
from lemm.errors import FileFormatError, LemmFileNotFoundError, ParameterError
from lemm.io.audio import check_audio_file
from lemm.validate import check_sample_rate

__all__ = ["ANALYSIS_SAMPLE_RATE", "MIN_GUIDE_SECONDS", "load_guide_audio", "analyze_audio", "analyze_audio_array", "fit_beat_grid"]  # fit_beat_grid: from .tempo

ANALYSIS_SAMPLE_RATE = 22050
MIN_GUIDE_SECONDS = 5.0
_N_FFT = 2048
_HOP = 256
_SILENCE_DBFS = -60.0
#: Measured lead of the flux peak over the true attack (2048-point window, hop 256 at 22050 Hz).
_LATENCY_SECONDS = 0.032


def load_guide_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read a guide audio file (WAV, FLAC, OGG, MP3) as mono float32 and its sample rate.

    Raises
    ------
    LemmFileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is not audio soundfile (or, failing that, librosa) can read.
    """
    import soundfile as sf

    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"guide audio {str(p)!r} does not exist or is not a file")
    check_audio_file(p, what="guide audio")  # bytes, seconds, channels before decoding (lemm.limits)
    try:
        data, sample_rate = sf.read(str(p), dtype="float32", always_2d=True)
        return np.ascontiguousarray(data.mean(axis=1), dtype=np.float32), int(sample_rate)
    except (RuntimeError, TypeError, ValueError) as err:  # soundfile raises LibsndfileError (a RuntimeError) / TypeError
        first = err
    try:
        import warnings

        import librosa

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, sample_rate = librosa.load(str(p), sr=None, mono=True)
        return np.asarray(y, dtype=np.float32), int(sample_rate)
    except Exception:  # noqa: BLE001  (librosa's decoders, soundfile and audioread's backends, raise unrelated types: any is "unreadable")
        raise FileFormatError(f"guide audio {str(p)!r} is not readable audio (WAV, FLAC, OGG, MP3): {first}") from None


def _resample(y: np.ndarray, sample_rate: int) -> np.ndarray:
    if sample_rate == ANALYSIS_SAMPLE_RATE:
        return y.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(sample_rate), ANALYSIS_SAMPLE_RATE)
    return resample_poly(y.astype(np.float64), ANALYSIS_SAMPLE_RATE // g, int(sample_rate) // g).astype(np.float32)


def _detrend(x: np.ndarray, width: int) -> np.ndarray:
    kernel = np.ones(width) / width
    return np.maximum(x - np.convolve(x, kernel, mode="same"), 0.0)


def _features(y: np.ndarray) -> dict:
    """Onset envelopes, chroma, bass chroma, mel levels and RMS per STFT frame."""
    import librosa

    spec = np.abs(librosa.stft(y, n_fft=_N_FFT, hop_length=_HOP, center=True)).astype(np.float32)
    power = spec**2
    mel_fb = librosa.filters.mel(sr=ANALYSIS_SAMPLE_RATE, n_fft=_N_FFT, n_mels=64, fmin=30.0, fmax=11000.0)
    mel = mel_fb @ power
    log_mel = 10.0 * np.log10(np.maximum(mel, 1e-10))
    log_mel = np.maximum(log_mel, log_mel.max() - 80.0)
    flux = np.maximum(np.diff(log_mel, axis=1, prepend=log_mel[:, :1]), 0.0)
    centers = librosa.mel_frequencies(n_mels=66, fmin=30.0, fmax=11000.0)[1:-1]
    fps = ANALYSIS_SAMPLE_RATE / _HOP
    width = int(fps * 0.5) | 1
    full = _detrend(flux.mean(axis=0), width)
    strong = _detrend(flux[centers < 2500.0].mean(axis=0), width)
    # loudness-weighted flux below 2.5 kHz (kick, snare, bass, chords), for the octave decision:
    # log flux rates a quiet hi-hat like a loud snare, magnitude flux does not
    mag = np.sqrt(mel)
    mag_flux = np.maximum(np.diff(mag, axis=1, prepend=mag[:, :1]), 0.0)
    weighted = _detrend(mag_flux[centers < 2500.0].sum(axis=0), width)
    low_lin = _detrend(mag_flux[centers < 150.0].sum(axis=0), width)
    mid_lin = _detrend(mag_flux[(centers >= 150.0) & (centers < 2500.0)].sum(axis=0), width)
    chroma_fb = librosa.filters.chroma(sr=ANALYSIS_SAMPLE_RATE, n_fft=_N_FFT, n_chroma=12, tuning=0.0)
    freqs = np.fft.rfftfreq(_N_FFT, 1.0 / ANALYSIS_SAMPLE_RATE)
    chroma = (chroma_fb * (freqs > 60.0)) @ spec
    bass = (chroma_fb * ((freqs > 30.0) & (freqs < 260.0))) @ spec
    rms = np.sqrt(power.sum(axis=0) / (_N_FFT * _N_FFT / 2.0 / 1.5) + 1e-12)  # Hann window power sum
    bands = np.stack([m.mean(axis=0) for m in np.array_split(log_mel, 16, axis=0)])
    return {"fps": fps, "full": full, "strong": strong, "weighted": weighted, "low_lin": low_lin, "mid_lin": mid_lin, "chroma": chroma, "bass": bass, "rms": rms, "bands": bands}


def _pick_tempo(f: dict) -> tuple[float, float, list[str]]:
    """Beat period and phase in frames, and notes (see the module docstring)."""
    env = f["full"] + f["strong"]
    best, cands = choose_tempo(f, env)
    period, phase = best["period"], best["phase"]
    notes = ["tempo candidates (bpm: evidence): " + ", ".join(f"{c['bpm']:.1f}: {c['evidence']:.2f}" for c in cands)]
    # the grid may sit on loud off-beats (open hats, off-beat bass, swung eighths): of the grid and the
    # grid shifted to where the loudness-weighted band peaks between its beats, keep the one with the
    # kick (a low band clearly stronger there), else the one where the weighted band is stronger
    phases = np.arange(0.0, period, 0.5)
    weighted = comb(f["weighted"], np.array([period]), phases)[0]
    far = np.abs((phases - phase + 0.5 * period) % period - 0.5 * period) > 0.2 * period
    if far.any():
        other = float(phases[far][int(np.nanargmax(weighted[far]))])
        n = int((len(f["low_lin"]) - 1 - max(phase, other)) / period) + 1
        grids = [p0 + np.arange(n) * period for p0 in (phase, other)]
        low = [float(at(f["low_lin"], g, radius=3).mean()) + 1e-12 for g in grids]
        w_here, w_other = (float(at(f["weighted"], g, radius=3).mean()) for g in grids)
        if low[1] > 1.55 * low[0] or (low[0] <= 3.0 * low[1] and w_other > 1.1 * w_here):
            phase = other
    if best["score"] <= 1e-9:
        raise ParameterError.for_field("guide audio beats", "none found", "audio with a beat (onsets that repeat at a steady tempo)")
    return period, phase, notes


def _meter_and_phase(f: dict, beat_frames: np.ndarray) -> tuple[int, int]:
    """Beats per bar (3 or 4) and the index of the first downbeat among the beats."""
    cue, _ = bar_cues(f, beat_frames)
    best = (4, 0, -np.inf)
    for n in (4, 3):
        if len(cue) < 2 * n:
            continue
        for phase in range(n):
            sel = cue[phase::n]
            contrast = float(sel.mean() - cue.mean()) * np.sqrt(n / 4.0 if n == 3 else 1.0)
            if contrast > best[2] + (0.05 if n == 3 else 0.0):
                best = (n, phase, contrast)
    return best[0], best[1]


def _swing(f: dict, phase: float, period: float) -> float:
    """Swing 0..0.5 from where the off-beat onsets sit between the beats."""
    env = f["full"]
    n = int((len(env) - 1 - phase) / period)
    if n < 4:
        return 0.0
    pos = np.linspace(0.4, 0.75, 36)
    prof = np.array([at(env, phase + (np.arange(n) + p) * period, radius=1).mean() for p in pos])
    base = at(env, phase + np.arange(n) * period, radius=1).mean()
    p_best = float(pos[int(np.argmax(prof))])
    if prof.max() < 0.15 * base:
        return 0.0
    return float(np.clip(round(3.0 * (p_best - 0.5), 2), 0.0, 0.5))


def analyze_audio_array(y: np.ndarray, *, sample_rate: int, source: str = "audio") -> GuideAnalysis:
    """Analyse guide audio given as samples (see the module docstring).

    Parameters
    ----------
    y : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)]
        Audio, float.
    sample_rate : int
        Its sample rate in Hz.
    source : str
        Name reported in the analysis.

    Raises
    ------
    ParameterError
        If the audio is shorter than 5 s, silent, not finite, or has no beat.
    """
    a = np.asarray(y, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=0)
    sample_rate = check_sample_rate(sample_rate, field="guide audio sample_rate")
    if a.ndim != 1:
        raise ParameterError.for_field("guide audio", f"shape {np.shape(y)}", "a 1-D or (n_channels, n_samples) array")
    if not np.all(np.isfinite(a)):
        raise ParameterError.for_field("guide audio samples", "non-finite values", "finite samples")
    duration = len(a) / sample_rate
    if duration < MIN_GUIDE_SECONDS:
        raise ParameterError.for_field("guide audio length", f"{duration:.2f} s", f"at least {MIN_GUIDE_SECONDS:g} s")
    level_db = 20.0 * np.log10(float(np.sqrt(np.mean(a.astype(np.float64) ** 2))) + 1e-12)
    if level_db < _SILENCE_DBFS:
        raise ParameterError.for_field("guide audio level", f"{level_db:.1f} dBFS RMS (silent)", f"audio louder than {_SILENCE_DBFS:g} dBFS RMS")
    y22 = _resample(a, sample_rate)
    f = _features(y22)
    fps = f["fps"]
    env = f["full"]
    n_frames = len(env)
    # a beat needs onsets: at least one onset per 2 s well above the envelope's floor
    peaks = np.flatnonzero((env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:]) & (env[1:-1] > 3.0 * (np.median(env) + 1e-6) + 0.5)) + 1
    if len(peaks) < max(4, duration / 2.0):
        raise ParameterError.for_field("guide audio beats", f"{len(peaks)} onsets in {duration:.1f} s", "audio with a beat (at least one clear onset every 2 s)")
    period, phase, notes = _pick_tempo(f)
    tempo = 60.0 * fps / period
    # onset flux peaks a little before the attack (the window reaches it first): move the grid late by
    # that latency, then extend it back to the start of the file
    phase += _LATENCY_SECONDS * fps
    phase -= period * np.floor((phase + 0.2 * period) / period)
    n_beats = int((n_frames - 1 - phase) / period) + 1
    beat_frames = phase + np.arange(n_beats) * period
    beat_frames[0] = max(beat_frames[0], 0.0)
    per_bar, first = _meter_and_phase(f, beat_frames)
    # bars start on every per_bar-th beat from `first`; earlier beats are a pickup (before bar 1)
    down_frames = beat_frames[first::per_bar]
    bar_frames = per_bar * period
    # drop a last bar that would end more than half a bar after the audio
    down_frames = down_frames[down_frames + 0.5 * bar_frames <= n_frames] if len(down_frames) > 1 else down_frames
    # leading and trailing bars more than 40 dB below the loudest bar are silence (lead-in, tail): not bars of the song
    edges = np.append(down_frames, down_frames[-1] + bar_frames)
    bar_db = 20.0 * np.log10(beat_sync(f["rms"][None, :], np.clip(edges, 0, n_frames))[:, 0] + 1e-9)
    audible = np.flatnonzero(bar_db > bar_db.max() - 40.0)
    down_frames = down_frames[audible[0] : audible[-1] + 1]
    n_bars = len(down_frames)
    if n_bars < 1:
        raise ParameterError.for_field("guide audio bars", 0, "at least one whole bar")
    edges = np.append(down_frames, down_frames[-1] + bar_frames)
    # per-bar features
    rms_bar = beat_sync(f["rms"][None, :], np.clip(edges, 0, n_frames))[:, 0]
    loud_db = 20.0 * np.log10(rms_bar + 1e-9)
    lo = max(float(loud_db.min()), float(loud_db.max()) - 30.0)
    energy = 0.1 + 0.85 * np.clip((loud_db - lo) / max(float(loud_db.max()) - lo, 1e-6), 0.0, 1.0)
    chroma_bar = beat_sync(f["chroma"], np.clip(edges, 0, n_frames), median=True)
    bass_bar = beat_sync(f["bass"], np.clip(edges, 0, n_frames), median=True)
    bands_bar = beat_sync(f["bands"], np.clip(edges, 0, n_frames))
    chroma_n = chroma_bar / (chroma_bar.sum(axis=1, keepdims=True) + 1e-9)
    feats = np.hstack([2.0 * chroma_n, bands_bar / 10.0, loud_db[:, None] / 6.0])
    segs = segment_bars(feats, energy)
    # key: whole-song chroma, tonic evidence from the bass of the first and last loud bars
    loud = np.flatnonzero(energy > 0.3)
    tonic_w = np.zeros(12)
    if len(loud):
        for b in (loud[0], loud[-1]):
            tonic_w[int(np.argmax(bass_bar[b]))] += 0.5
    # per-bar medians of the chroma: drum transients do not colour the key
    chords = tuple(chord_for_bar(chroma_n[b] ** 2, bass_pc=int(np.argmax(bass_bar[b]))) for b in range(n_bars))
    key_w = key_evidence_from_chords([chords[loud[0]], chords[loud[-1]]], [0.4, 0.6]) if len(loud) else None
    tonic, mode, confidence = estimate_key((chroma_n * energy[:, None]).sum(axis=0), tonic_weights=tonic_w, key_weights=key_w)
    to_s = lambda fr: float(fr) / fps  # noqa: E731
    beats_s = tuple(round(to_s(b), 4) for b in beat_frames)
    downs_s = tuple(round(to_s(b), 4) for b in down_frames)
    end_s = [to_s(e) for e in edges]
    sections = tuple(GuideSection(kind, end_s[s], min(end_s[s + b], max(duration, end_s[s] + 1e-3)), s, b, lab) for s, b, kind, lab in segs)
    return GuideAnalysis(
        source=source,
        kind="audio",
        duration_seconds=float(duration),
        tempo_bpm=float(round(tempo * (4.0 / 4.0), 3)),
        meter_numerator=per_bar,
        meter_denominator=4,
        key_tonic=tonic,
        key_mode=mode,
        beats_seconds=beats_s,
        downbeats_seconds=downs_s,
        sections=sections,
        energy_per_bar=tuple(float(round(e, 4)) for e in energy),
        chords_per_bar=chords,
        swing=_swing(f, phase - _LATENCY_SECONDS * fps, period),
        key_confidence=confidence,
        notes=tuple(notes),
    )


def analyze_audio(path: str | os.PathLike) -> GuideAnalysis:
    """Analyse a guide audio file (WAV, FLAC, OGG, MP3; see the module docstring).

    Raises
    ------
    LemmFileNotFoundError, FileFormatError
        Missing or unreadable file.
    ParameterError
        Too short (< 5 s), silent, or no beat found.
    """
    y, sample_rate = load_guide_audio(path)
    try:
        return analyze_audio_array(y, sample_rate=sample_rate, source=Path(path).name)
    except ParameterError as err:
        raise type(err)(f"guide audio {Path(path).name!r}: {err}") from None
