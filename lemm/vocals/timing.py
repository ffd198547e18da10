"""Timing correction of a sung take: note onsets -> grid or melody, by piecewise-linear time warping.

Onsets are vowel onsets, found from the level of the 400..2500 Hz band
(where vowels are strong and nasals, "dh" and closures weak) every 2 ms and
the f0 track: a vowel starts where that level rises steeply (its 20 ms-
smoothed slope peaks) while the take is voiced, and the rise gets to the
vowel's level. After an approximant following a stop ("br", "pl") the
steepest rise is the consonant's; the level stalls there and climbs on into
the vowel, and the onset is the halfway point of that climb.
:func:`melody_onsets` looks for one onset near each written note start,
:func:`detect_onsets` for all of them (for a grid). This is the same
halfway-up-the-level rule by which :mod:`lemm.vocals.boundaries` places
the sung vowel starts on the beat.

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
from lemm.vocals.analysis import PitchTrack, VoiceFeatures, _pyworld
from lemm.vocals.tuning import MelodyNote

__all__ = ["detect_onsets", "melody_onsets", "onset_anchors", "time_map", "output_duration", "warp_features"]

_PERIOD_MS = 2.0  # frames of the onset analysis
_REACH_DB = 6.0
_MIN_GAIN_DB = 4.0  # a rise gains at least this over 40 ms
_BAND_HZ = (400.0, 2500.0)
_MIN_SLOPE, _MAX_SLOPE = 0.25, 4.0
_SECOND_RISE_MS = 100.0  # a second rise (approximant -> vowel) is looked for this long after the first


def _envelope_level_db(pitch: PitchTrack, audio: np.ndarray, sample_rate: int, n_frames: int) -> np.ndarray:
    """Level (dB) of the 400..2500 Hz band of the WORLD spectral envelope, every ``_PERIOD_MS``.

    The band is where vowels are strong and nasals, "dh" and closures weak.
    The envelope (CheapTrick, on a 16 kHz copy, with the take's f0) does not
    depend on where the harmonics fall, so a scoop or vibrato moving them
    across a formant does not move the level, and it is the same quantity
    that places the sung vowel starts (:mod:`lemm.vocals.boundaries`).
    """
    import librosa

    pw = _pyworld()
    rate = 16000
    x = np.asarray(audio, dtype=np.float64)
    if sample_rate != rate:
        x = librosa.resample(x, orig_sr=sample_rate, target_sr=rate, res_type="soxr_hq")
    times = np.arange(n_frames) * _PERIOD_MS / 1000.0
    f0 = np.interp(times, pitch.times_seconds, pitch.f0_hz)
    near = np.clip(np.round(times / (pitch.times_seconds[1] - pitch.times_seconds[0])).astype(np.int64), 0, pitch.f0_hz.size - 1)
    f0 = np.where(pitch.f0_hz[near] > 0, np.maximum(f0, 40.0), 0.0)
    sp = pw.cheaptrick(np.ascontiguousarray(x), np.ascontiguousarray(f0), np.ascontiguousarray(times), rate)
    freqs = np.arange(sp.shape[1]) * rate / (2 * (sp.shape[1] - 1))
    band = (freqs >= _BAND_HZ[0]) & (freqs <= _BAND_HZ[1])
    return 10.0 * np.log10(sp[:, band].sum(axis=1) + 1e-12)


def _rises(pitch: PitchTrack, audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Band level (dB), its 20 ms-smoothed slope (-inf where a vowel cannot start) and its 40 ms gain, per 2 ms frame."""
    x = np.asarray(audio, dtype=np.float64)
    n = int(x.size / sample_rate * 1000.0 / _PERIOD_MS) + 1
    level = _envelope_level_db(pitch, x, sample_rate, n)
    k = int(round(20.0 / _PERIOD_MS))
    slope = np.convolve(np.gradient(level), np.ones(k) / k, mode="same")
    span = int(round(40.0 / _PERIOD_MS))
    gain = np.r_[level[span:] - level[:-span], np.zeros(span)] if n > span else np.zeros(n)
    gain = np.roll(gain, span // 2)  # gain over the 40 ms centred on each frame
    frame_times = np.arange(n) * _PERIOD_MS / 1000.0
    pitch_period = pitch.times_seconds[1] - pitch.times_seconds[0]
    voiced_idx = np.clip(np.round(frame_times / pitch_period).astype(np.int64), 0, pitch.f0_hz.size - 1)
    voiced = pitch.f0_hz[voiced_idx] > 0
    ahead = int(round(10.0 / _PERIOD_MS))
    ok = voiced & np.r_[voiced[ahead:], np.zeros(ahead, dtype=bool)][:n]
    return level, np.where(ok, slope, -np.inf), gain


def _reaches(level: np.ndarray, top: np.ndarray | float) -> np.ndarray:
    """True where the level 40 ms later is within ``_REACH_DB`` of ``top``: the rise gets to the vowel."""
    later = int(round(40.0 / _PERIOD_MS))
    return np.r_[level[later:], np.full(min(later, level.size), -np.inf)] >= np.asarray(top) - _REACH_DB


def _onset_seconds(level: np.ndarray, slope: np.ndarray, gain: np.ndarray, j: int) -> float:
    """The last rise into the vowel from the steepest one at frame j, its peak refined by a parabola (seconds)."""
    j = _last_rise(level, slope, gain, j)
    y0, y1, y2 = slope[max(j - 1, 0)], slope[j], slope[min(j + 1, slope.size - 1)]
    denom = y0 - 2 * y1 + y2
    frac = 0.5 * (y0 - y2) / denom if np.isfinite(denom) and denom < 0 else 0.0
    return (j + float(np.clip(frac, -0.5, 0.5))) * _PERIOD_MS / 1000.0


def detect_onsets(pitch: PitchTrack, audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Vowel onsets of a take, in seconds (sorted), for timing to a grid.

    Every voiced rise of the band level that gains at least 4 dB over 40 ms
    and reaches the vowel (40 ms later within 6 dB of the loudest level
    from 100 ms before to 200 ms after) is an onset where its slope is the
    largest within 60 ms either side; of two onsets closer than 80 ms the
    steeper is kept. Each is placed as in :func:`melody_onsets`.

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
    from scipy.ndimage import maximum_filter1d

    if pitch.times_seconds.size < 2:
        return np.zeros(0)
    level, slope, gain = _rises(pitch, audio, sample_rate)
    back, ahead = int(round(100.0 / _PERIOD_MS)), int(round(200.0 / _PERIOD_MS))
    top = maximum_filter1d(level, size=back + ahead + 1, origin=(back - ahead) // 2, mode="nearest")
    cand = np.where(_reaches(level, top) & (gain >= _MIN_GAIN_DB), slope, -np.inf)
    local = maximum_filter1d(cand, size=2 * int(round(60.0 / _PERIOD_MS)) + 1, mode="nearest")
    peaks = np.flatnonzero(np.isfinite(cand) & (cand >= local))
    kept: list[int] = []
    min_gap = int(round(80.0 / _PERIOD_MS))
    for j in sorted(peaks.tolist(), key=lambda i: (-cand[i], i)):
        if all(abs(j - q) >= min_gap for q in kept):
            kept.append(j)
    return np.array(sorted(_onset_seconds(level, slope, gain, j) for j in kept))


def _last_rise(level: np.ndarray, slope: np.ndarray, gain: np.ndarray, j: int) -> int:
    """The last rise into the vowel, from the steepest rise at frame j.

    After a stop, a fricative or a nasal the vowel comes in one steep step.
    After an approximant following a stop ("br", "pl", "kw") there are two:
    the steepest is the consonant's own start; the level levels off on the
    approximant and rises again into the vowel. A later local maximum of the
    slope within ``_SECOND_RISE_MS``, after the slope has fallen below half of
    it, whose rise gains at least ``_MIN_GAIN_DB`` and gets to the vowel, is
    that second step, and the onset.
    """
    lo = j + int(round(10.0 / _PERIOD_MS))
    hi = min(j + int(round(_SECOND_RISE_MS / _PERIOD_MS)), slope.size - 1)
    half_width = int(round(10.0 / _PERIOD_MS))
    top = float(np.max(level[j : min(hi + int(round(40.0 / _PERIOD_MS)), level.size)]))
    best = j
    for i in range(lo, hi):
        s = slope[i]
        if not np.isfinite(s) or s <= 0 or gain[i] < _MIN_GAIN_DB:
            continue
        if s < np.max(slope[max(i - half_width, 0) : i + half_width + 1]):
            continue
        if np.min(slope[j:i]) >= 0.5 * s or not _reaches(level[i:], top)[0]:
            continue
        best = i
    return best


def melody_onsets(
    pitch: PitchTrack, audio: np.ndarray, sample_rate: int, starts_seconds: np.ndarray, *, max_shift_ms: float = 120.0
) -> np.ndarray:
    """For each written note start, the take's vowel onset within ``max_shift_ms`` (NaN if none).

    The onset is the steepest voiced rise of the 400..2500 Hz level of the
    spectral envelope near the start. Only rises where the take is voiced
    there and 10 ms later, and whose level 40 ms later is within 6 dB of the
    loudest in the window, count: a vowel starting, not the burst or hiss of
    an unvoiced consonant, nor a voiced consonant ("m", "dh") rising out of
    silence; and the rise must gain at least 4 dB over 40 ms. Its time is
    where the 20 ms-smoothed slope peaks (the middle of the consonant-to-vowel
    rise), refined by a parabola through the peak; when the level levels off
    and rises again within 100 ms (an approximant after a stop, "br"), the
    second rise (:func:`_last_rise`).
    """
    level, slope, gain = _rises(pitch, audio, sample_rate)
    n = level.size
    out = np.full(len(starts_seconds), np.nan)
    w = int(round(max_shift_ms / _PERIOD_MS))
    span = int(round(40.0 / _PERIOD_MS))
    for i, start in enumerate(np.asarray(starts_seconds, dtype=np.float64)):
        c = int(round(start * 1000.0 / _PERIOD_MS))
        lo, hi = max(c - w, 1), min(c + w, n - 2)
        if hi <= lo:
            continue
        top = float(np.max(level[lo : min(hi + span, n)]))
        cand = np.where(_reaches(level, top)[lo:hi], slope[lo:hi], -np.inf)
        j = lo + int(np.argmax(cand))
        if not np.isfinite(cand[j - lo]) or gain[j] < _MIN_GAIN_DB:
            continue
        out[i] = _onset_seconds(level, slope, gain, j)
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
