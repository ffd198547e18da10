"""A user's sung take as a song's vocal stem: align it to the song's time line, level it, mix it like lemm's own.

``lemm vocals import DIR take.wav`` is for a take sung elsewhere (OpenUtau,
Synthesizer V, a microphone) over lemm's vocal line (``lemm vocals export``).
Its start rarely matches the song's time zero (an editor renders from its
first note, a recording from when the button was pressed), so:

- with ``offset_seconds`` the take's first sample goes there (trusted as given;
  negative cuts the take's head);
- otherwise the offset is found by cross-correlating the take against the
  song's current vocal stem (lemm's own singing of the same line):
  first their level envelopes (RMS in 5 ms hops, log-compressed and
  mean-removed) over every lag, which finds where the phrases line up even
  when the voices differ; then, within +/-10 ms of that lag, the waveforms
  themselves, whose peak is kept when it is clear (normalised correlation
  >= 0.5, i.e. the take is the same performance, e.g. lemm's own vocal
  processed elsewhere), giving the offset to the sample. Otherwise the
  envelope lag stands, refined by a parabola through its peak (a few ms).

The placed take is resampled to the song's rate, made stereo, and levelled
to the RMS of the vocal stem it replaces (over the frames where either
sounds), then the song is mixed and mastered with its stored mix settings
(the vocal's bus, EQ, compression and reverb as for lemm's own) and every
file of the folder is rewritten atomically, recorded in the song's history
as "vocals import" (:func:`lemm.cli_vocals.import_take`; this module holds the audio steps).
The placed take is kept in the folder as ``takes/<track>.wav``: every later
render (``lemm render``, ``edit``, ``regen``, ``mix``, ...) uses it as the
track's stem instead of singing the track again, until that file is deleted.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> ref = np.zeros(48000)
>>> ref[12000:30000] = rng.standard_normal(18000)
>>> take = np.concatenate([np.zeros(1234), ref])[:48000]
>>> align_offset(take, ref, sample_rate=48000)
-1234
"""

from __future__ import annotations

import numpy as np

from lemm.errors import ParameterError

__all__ = ["align_offset", "place_take", "active_rms"]

_HOP_SECONDS = 0.005
_REFINE_SECONDS = 0.01
_WAVEFORM_CLEAR = 0.5
_REFINE_WINDOW_SECONDS = 10.0


def _mono(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio, dtype=np.float64)
    return a.mean(axis=0) if a.ndim == 2 else a


def _envelope(x: np.ndarray, hop: int) -> np.ndarray:
    n = x.size // hop
    frames = x[: n * hop].reshape(n, hop)
    env = np.log(np.sqrt(np.mean(frames**2, axis=1)) + 1e-4)
    return env - env.mean() if n else env


def _xcorr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full cross-correlation c[k] = sum_i a[i + k] b[i], lags -(len(b)-1)..len(a)-1, by FFT."""
    n = a.size + b.size - 1
    size = 1 << int(np.ceil(np.log2(max(n, 1))))
    c = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    return np.concatenate([c[size - (b.size - 1) :], c[: a.size]])


def align_offset(take: np.ndarray, reference: np.ndarray, *, sample_rate: int) -> int:
    """Samples to add to the take's positions so it lines up with ``reference`` (take sample i -> song sample i + offset).

    Parameters
    ----------
    take, reference : np.ndarray [shape=(n,) or (n_channels, n)]
        At the same ``sample_rate``.
    sample_rate : int

    Returns
    -------
    int
        The offset in samples (negative: the take starts late and loses its head).

    Raises
    ------
    ParameterError
        If either is silent.
    """
    x, r = _mono(take), _mono(reference)
    if not np.any(x) or not np.any(r):
        raise ParameterError.for_field("take/reference", "silent", "audio with sound in both (nothing to align)")
    hop = max(int(round(_HOP_SECONDS * sample_rate)), 1)
    ex, er = _envelope(x, hop), _envelope(r, hop)
    c = _xcorr(er, ex)  # c[k]: reference frame i + k against take frame i
    lags = np.arange(-(ex.size - 1), er.size)
    j = int(np.argmax(c))
    frac = 0.0
    if 0 < j < c.size - 1:
        denom = c[j - 1] - 2 * c[j] + c[j + 1]
        frac = float(np.clip(0.5 * (c[j - 1] - c[j + 1]) / denom, -0.5, 0.5)) if denom < 0 else 0.0
    coarse = int(round((lags[j] + frac) * hop))
    # refine on the waveform within +/- 10 ms of the envelope lag, over (at most) 10 s around the reference's loudest frame
    reach = int(round(_REFINE_SECONDS * sample_rate))
    s0, s1 = max(coarse, 0) + reach, min(x.size + coarse, r.size) - reach  # song samples both cover at every lag tried
    centre = int(np.argmax(er)) * hop
    half = int(_REFINE_WINDOW_SECONDS * sample_rate) // 2
    s0, s1 = max(s0, min(centre - half, s1 - 2 * half)), min(s1, max(centre + half, s0 + 2 * half))
    best, best_score = coarse, -np.inf
    if s1 - s0 > 16:
        xs = x[s0 - coarse : s1 - coarse]
        rs = r[s0 - reach : s1 + reach]
        cc = _xcorr(rs, xs)[xs.size - 1 : xs.size + 2 * reach]  # shifts d = -reach..reach
        d = int(np.argmax(cc)) - reach
        norm = np.sqrt(np.sum(xs**2) * np.sum(r[s0 + d : s1 + d] ** 2))
        if norm > 0:
            best, best_score = coarse + d, float(np.max(cc)) / norm
    return best if best_score >= _WAVEFORM_CLEAR else coarse


def place_take(take: np.ndarray, *, offset_samples: int, n_samples: int) -> np.ndarray:
    """The take on the song's time line [shape=(2, n_samples)], float32: shifted, cut or padded."""
    a = np.asarray(take, dtype=np.float32)
    a = np.stack([a, a]) if a.ndim == 1 else (np.repeat(a, 2, axis=0) if a.shape[0] == 1 else a[:2])
    out = np.zeros((2, n_samples), dtype=np.float32)
    src0 = max(-offset_samples, 0)
    dst0 = max(offset_samples, 0)
    n = min(a.shape[1] - src0, n_samples - dst0)
    if n > 0:
        out[:, dst0 : dst0 + n] = a[:, src0 : src0 + n]
    return out


def active_rms(*stems: np.ndarray) -> tuple[float, ...]:
    """RMS of each stem over the 50 ms frames where any of them is within 40 dB of its own peak frame."""
    hop = 2400
    levels = []
    for s in stems:
        m = _mono(s)
        n = m.size // hop
        levels.append(np.sqrt(np.mean(m[: n * hop].reshape(n, hop) ** 2, axis=1)) if n else np.zeros(0))
    n = min(v.size for v in levels)
    active = np.zeros(n, dtype=bool)
    for v in levels:
        active |= v[:n] > (np.max(v[:n]) if n else 0.0) * 0.01
    return tuple(float(np.sqrt(np.mean(v[:n][active] ** 2))) if np.any(active) else 0.0 for v in levels)
