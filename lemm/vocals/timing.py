"""Timing correction of a sung take: note onsets -> grid or melody, by piecewise-linear time warping.

Onsets (:func:`detect_onsets`) are found from the f0 track and the level:

- a voice entry (a voiced run after at least 40 ms of unvoiced frames) is
  placed where the level (of the 400..2500 Hz band, where vowels are
  strong and nasals weak) first comes within 6 dB of the run's median level,
  i.e. at the vowel, not at a voiced consonant such as "m" before it;
- inside a voiced run, a rise of the level by at least 6 dB within 50 ms
  after a dip (a voiced consonant such as "n" or "l" between two vowels)
  is placed where the level crosses the middle of the rise (in dB).

Pitch changes are not used: scoops and overshoots move a pitch-based
onset by tens of milliseconds, while the vowel's level rise is sharp.

:func:`onset_anchors` pairs each onset with a target time: the nearest
grid line (``grid_seconds``), or the start of a melody note, each melody
note taking at most one onset, in order, within ``max_shift_ms``.
:func:`time_map` turns the pairs into a monotone map from output time to
take time (slopes kept within 0.25..4), and :func:`warp_features` reads
the WORLD features along it (log-linear envelope, linear aperiodicity,
log f0 with the voicing of the nearest frame).

Examples
--------
>>> import numpy as np
>>> anchors = [(1.00, 1.03), (2.00, 1.98)]
>>> out_times = np.array([0.0, 1.0, 1.5, 2.0, 3.0])
>>> np.round(time_map(anchors, out_times, duration_seconds=3.0), 3).tolist()
[0.0, 1.03, 1.505, 1.98, 2.98]
"""

from __future__ import annotations

import numpy as np

from lemm.errors import ParameterError
from lemm.vocals.analysis import PitchTrack, VoiceFeatures
from lemm.vocals.tuning import MelodyNote, _runs

__all__ = ["detect_onsets", "melody_onsets", "onset_anchors", "time_map", "output_duration", "warp_features"]

_MIN_GAP_MS = 40.0
_LEVEL_DROP_DB = 6.0
_DIP_DB = 6.0
_BAND_HZ = (400.0, 2500.0)
_MIN_SLOPE, _MAX_SLOPE = 0.25, 4.0


def _frame_level_db(audio: np.ndarray, sample_rate: int, n_frames: int, period_ms: float) -> np.ndarray:
    """Level (dB) of the 400..2500 Hz band, where vowels are strong and nasals and "dh" weak, per frame."""
    from scipy import signal

    hop = sample_rate * period_ms / 1000.0
    win = 1 << int(np.ceil(np.log2(0.016 * sample_rate)))
    x = np.asarray(audio, dtype=np.float64)
    freqs = np.fft.rfftfreq(win, 1.0 / sample_rate)
    band = (freqs >= _BAND_HZ[0]) & (freqs <= _BAND_HZ[1])
    window = signal.windows.hann(win, sym=False)
    centres = np.round(np.arange(n_frames) * hop).astype(np.int64)
    padded = np.pad(x, (win // 2, win // 2 + 1))
    idx = centres[:, None] + np.arange(win)[None, :]
    idx = np.clip(idx, 0, padded.size - 1)
    spec = np.abs(np.fft.rfft(padded[idx] * window[None, :], axis=1)) ** 2
    return 10.0 * np.log10(spec[:, band].sum(axis=1) + 1e-12)


def detect_onsets(pitch: PitchTrack, audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Note onsets of a take, in seconds (sorted).

    Parameters
    ----------
    pitch : PitchTrack
        The take's f0 track.
    audio : np.ndarray [shape=(n_samples,)]
        The take (mono), for the level.
    sample_rate : int

    Returns
    -------
    np.ndarray [shape=(n_onsets,)], float64 seconds
    """
    times = pitch.times_seconds
    if times.size < 2:
        return np.zeros(0)
    period_ms = float(times[1] - times[0]) * 1000.0
    midi = pitch.midi
    voiced = np.isfinite(midi)
    bridged = voiced.copy()
    gap = max(int(round(_MIN_GAP_MS / period_ms)), 1)
    for a, b in _runs(~voiced):
        if a > 0 and b < voiced.size and b - a < gap:
            bridged[a:b] = True
    level = _frame_level_db(audio, sample_rate, times.size, period_ms)
    onsets: list[float] = []
    half = max(int(round(40.0 / period_ms)), 1)
    for a, b in _runs(bridged):
        if b - a < 4:
            continue
        run_level = level[a:b]
        ref = float(np.median(run_level[voiced[a:b]])) if np.any(voiced[a:b]) else float(np.median(run_level))
        look = min(b, a + int(round(150.0 / period_ms)))
        above = np.flatnonzero(level[a:look] >= ref - _LEVEL_DROP_DB)
        i0 = a + int(above[0]) if above.size else a
        if i0 > a and level[i0] > level[i0 - 1]:  # interpolate the crossing between frames
            frac = (ref - _LEVEL_DROP_DB - level[i0 - 1]) / (level[i0] - level[i0 - 1])
            onsets.append(float(times[i0 - 1] + np.clip(frac, 0.0, 1.0) * (times[i0] - times[i0 - 1])))
        else:
            onsets.append(float(times[i0]))
        # inside a run: level rises after a dip (a voiced consonant before the vowel)
        lv = level[a:b]
        k = max(int(round(50.0 / period_ms)), 1)
        for i in range(k, b - a):
            lo_i = i - k + int(np.argmin(lv[i - k : i + 1]))
            rise = lv[i] - lv[lo_i]
            if rise >= _DIP_DB and lv[i] >= np.max(lv[i : min(i + k, b - a)]) - 0.5 and i - lo_i >= 1:
                half_level = lv[lo_i] + 0.5 * rise
                j = lo_i + int(np.argmax(lv[lo_i : i + 1] >= half_level))
                frac = (half_level - lv[j - 1]) / (lv[j] - lv[j - 1]) if j > lo_i and lv[j] > lv[j - 1] else 0.0
                t_on = float(times[a + j - 1] + frac * (times[a + j] - times[a + j - 1])) if j > lo_i else float(times[a + j])
                if not onsets or t_on - onsets[-1] > 0.08:
                    onsets.append(t_on)
    return np.array(sorted(onsets))


def melody_onsets(
    pitch: PitchTrack, audio: np.ndarray, sample_rate: int, starts_seconds: np.ndarray, *, max_shift_ms: float = 120.0
) -> np.ndarray:
    """For each written note start, the take's steepest voiced band-level rise within ``max_shift_ms`` (NaN if none).

    Only rises where the take is voiced there and 10 ms later, and whose level
    40 ms later is within 6 dB of the loudest in the window, count: a vowel
    starting, not the burst or hiss of an unvoiced consonant, nor a voiced
    consonant ("m", "dh") rising out of silence.
    A rise counts when the 400..2500 Hz level gains at least 4 dB over 40 ms;
    its time is where the 20 ms-smoothed slope peaks (the middle of the
    consonant-to-vowel rise), refined by a parabola through the peak.
    """
    x = np.asarray(audio, dtype=np.float64)
    period_ms = 2.0
    n = int(x.size / sample_rate * 1000.0 / period_ms) + 1
    level = _frame_level_db(x, sample_rate, n, period_ms)
    k = int(round(20.0 / period_ms))
    slope = np.convolve(np.gradient(level), np.ones(k) / k, mode="same")
    span = int(round(40.0 / period_ms))
    gain = np.r_[level[span:] - level[:-span], np.zeros(span)]
    gain = np.roll(gain, span // 2)  # gain over the 40 ms centred on each frame
    frame_times = np.arange(n) * period_ms / 1000.0
    pitch_period = pitch.times_seconds[1] - pitch.times_seconds[0]
    voiced_idx = np.clip(np.round(frame_times / pitch_period).astype(np.int64), 0, pitch.f0_hz.size - 1)
    voiced = pitch.f0_hz[voiced_idx] > 0
    ahead = int(round(10.0 / period_ms))
    ok = voiced & np.r_[voiced[ahead:], np.zeros(ahead, dtype=bool)]
    slope = np.where(ok, slope, -np.inf)
    out = np.full(len(starts_seconds), np.nan)
    w = int(round(max_shift_ms / period_ms))
    for i, start in enumerate(np.asarray(starts_seconds, dtype=np.float64)):
        c = int(round(start * 1000.0 / period_ms))
        lo, hi = max(c - w, 1), min(c + w, n - 2)
        if hi <= lo:
            continue
        # the rise must reach the vowel: 20 ms later the level is within 6 dB of the window's loudest
        top = float(np.max(level[lo : min(hi + span, n)]))
        reach = np.r_[level[2 * k :], np.full(2 * k, -np.inf)][lo:hi] >= top - 6.0
        cand = np.where(reach, slope[lo:hi], -np.inf)
        j = lo + int(np.argmax(cand))
        if not np.isfinite(slope[j]) or gain[j] < 4.0:
            continue
        y0, y1, y2 = slope[j - 1], slope[j], slope[j + 1]
        denom = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / denom if np.isfinite(denom) and denom < 0 else 0.0
        out[i] = (j + float(np.clip(frac, -0.5, 0.5))) * period_ms / 1000.0
    return out


def onset_anchors(
    onsets_seconds: np.ndarray,
    *,
    melody: list[MelodyNote] | None = None,
    grid_seconds: float | None = None,
    grid_offset_seconds: float = 0.0,
    max_shift_ms: float = 120.0,
) -> list[tuple[float, float]]:
    """Pairs (target_seconds, take_seconds) for onsets near a melody note start or a grid line.

    Exactly one of ``melody`` and ``grid_seconds``. Returned in increasing order of both times.
    """
    if (melody is None) == (grid_seconds is None):
        raise ParameterError.for_field("melody/grid_seconds", (melody is not None, grid_seconds), "exactly one of a melody and a grid")
    if not isinstance(max_shift_ms, (int, float)) or not 0 < max_shift_ms <= 1000:
        raise ParameterError.for_field("max_shift_ms", max_shift_ms, "a number of ms in (0, 1000]")
    limit = max_shift_ms / 1000.0
    onsets = np.sort(np.asarray(onsets_seconds, dtype=np.float64))
    pairs: list[tuple[float, float]] = []
    if grid_seconds is not None:
        if not isinstance(grid_seconds, (int, float)) or not grid_seconds > 0.01:
            raise ParameterError.for_field("grid_seconds", grid_seconds, "a grid spacing > 0.01 s")
        for t in onsets:
            target = grid_offset_seconds + round((t - grid_offset_seconds) / grid_seconds) * grid_seconds
            if abs(target - t) <= min(limit, 0.45 * grid_seconds):
                pairs.append((float(target), float(t)))
    else:
        starts = sorted({round(float(s), 6) for _p, s, _e in melody})
        used = 0
        for target in starts:  # each note start takes the nearest unused onset after the last one taken
            cands = [(abs(onsets[j] - target), j) for j in range(used, onsets.size) if abs(onsets[j] - target) <= limit]
            if cands:
                _d, j = min(cands)
                pairs.append((target, float(onsets[j])))
                used = j + 1
    clean: list[tuple[float, float]] = []
    for tgt, src in pairs:
        if not clean or (tgt > clean[-1][0] + 1e-3 and src > clean[-1][1] + 1e-3):
            clean.append((tgt, src))
    return clean


def time_map(anchors: list[tuple[float, float]], out_times: np.ndarray, *, duration_seconds: float) -> np.ndarray:
    """Take time for each output time: piecewise linear through (0, 0), the anchors and the end.

    Anchors whose slope to the previous kept one falls outside 0.25..4 are dropped;
    after the last anchor the map runs at slope 1 (``duration_seconds`` bounds the anchors).
    """
    pts = [(0.0, 0.0)]
    for tgt, src in anchors:
        dt, ds = tgt - pts[-1][0], src - pts[-1][1]
        if dt > 0 and _MIN_SLOPE <= ds / dt <= _MAX_SLOPE and src < duration_seconds:
            pts.append((float(tgt), float(src)))
    tgt = np.array([p[0] for p in pts])
    src = np.array([p[1] for p in pts])
    t = np.asarray(out_times, dtype=np.float64)
    return np.where(t <= tgt[-1], np.interp(t, tgt, src), src[-1] + (t - tgt[-1]))


def output_duration(anchors: list[tuple[float, float]], *, duration_seconds: float) -> float:
    """Length of the warped take: the last kept anchor's target plus the take after its source."""
    pts = [(0.0, 0.0)]
    for tgt, src in anchors:
        dt, ds = tgt - pts[-1][0], src - pts[-1][1]
        if dt > 0 and _MIN_SLOPE <= ds / dt <= _MAX_SLOPE and src < duration_seconds:
            pts.append((float(tgt), float(src)))
    return pts[-1][0] + duration_seconds - pts[-1][1]


def warp_features(features: VoiceFeatures, source_seconds: np.ndarray) -> VoiceFeatures:
    """Read WORLD features at (fractional) take times, one output frame per entry."""
    n = features.f0_hz.size
    pos = np.clip(np.asarray(source_seconds, dtype=np.float64) * 1000.0 / features.frame_period_ms, 0.0, n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo)[:, None]
    log_sp = np.log(np.maximum(features.spectral_envelope, 1e-16))
    sp = np.exp((1.0 - w) * log_sp[lo] + w * log_sp[hi])
    ap = (1.0 - w) * features.aperiodicity[lo] + w * features.aperiodicity[hi]
    f0 = features.f0_hz
    near = np.rint(pos).astype(np.int64)
    both = (f0[lo] > 0) & (f0[hi] > 0)
    w1 = w[:, 0]
    log_f0 = np.log(np.where(f0 > 0, f0, 1.0))
    log_f0 = np.where(both, (1.0 - w1) * log_f0[lo] + w1 * log_f0[hi], log_f0[near])
    new_f0 = np.where(f0[near] > 0, np.exp(log_f0), 0.0)
    return VoiceFeatures(new_f0, sp, ap, features.sample_rate, features.frame_period_ms)
