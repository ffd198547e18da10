"""WORLD vocoder steps for speech-to-singing: analyse, time-warp, reshape the envelope, synthesise.

Speech is analysed at its own (low) sample rate with DIO + StoneMask (f0),
CheapTrick (spectral envelope) and D4C (aperiodicity). The frames are then
read at warped times (linear interpolation of the log envelope), the
envelope's frequency axis is mapped onto the output rate's FFT bins with an
optional formant scale (``> 1`` shifts formants up: a smaller vocal tract),
and WORLD synthesises the singing at the output rate with the sung f0.
Above the speech's Nyquist frequency the envelope continues its level at
the top with a -12 dB/octave slope, so a 48 kHz voice keeps some air.

pyworld is imported inside the functions, so importing this module is cheap.

Examples
--------
>>> import numpy as np
>>> sp = np.ones((3, 513))
>>> reshape_envelope(sp, source_rate=22050, target_rate=48000, formant_scale=1.0).shape
(3, 1025)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lemm.errors import DependencyError, ParameterError

__all__ = ["SpeechFeatures", "analyse_speech", "warp_features", "reshape_envelope", "smooth_envelope_for_f0", "synthesize"]

FRAME_PERIOD_MS = 5.0
_MAX_SCALE_GROUPS = 32  # reshape_envelope: per-frame scales taking at most this many values are mapped group by group


def _pyworld():
    try:
        import pyworld
    except ImportError as err:  # pragma: no cover
        raise DependencyError('the WORLD vocoder is needed for singing: pip install "pyworld-prebuilt>=0.3.6"') from err
    return pyworld


@dataclass(frozen=True)
class SpeechFeatures:
    """WORLD features of speech, one row per frame of ``frame_period_ms``.

    Attributes
    ----------
    f0_hz : np.ndarray [shape=(n_frames,)]
        0 where unvoiced.
    spectral_envelope : np.ndarray [shape=(n_frames, fft_size // 2 + 1)]
        Power spectral envelope.
    aperiodicity : np.ndarray [shape=(n_frames, fft_size // 2 + 1)]
        0 (periodic) .. 1 (noise).
    sample_rate : int
    frame_period_ms : float
    """

    f0_hz: np.ndarray
    spectral_envelope: np.ndarray
    aperiodicity: np.ndarray
    sample_rate: int
    frame_period_ms: float


def analyse_speech(audio: np.ndarray, sample_rate: int, *, frame_period_ms: float = FRAME_PERIOD_MS) -> SpeechFeatures:
    """WORLD analysis of mono speech.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,)]
    sample_rate : int
    frame_period_ms : float

    Returns
    -------
    SpeechFeatures
    """
    pw = _pyworld()
    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, times = pw.dio(x, sample_rate, f0_floor=60.0, f0_ceil=500.0, frame_period=frame_period_ms)
    f0 = pw.stonemask(x, f0, times, sample_rate)
    sp = pw.cheaptrick(x, f0, times, sample_rate)
    ap = pw.d4c(x, f0, times, sample_rate)
    return SpeechFeatures(f0, sp, ap, int(sample_rate), float(frame_period_ms))


def warp_features(features: SpeechFeatures, source_seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read the features at (fractional) source times.

    Parameters
    ----------
    features : SpeechFeatures
    source_seconds : np.ndarray [shape=(n_frames,)]
        For each output frame, the time in the speech to take it from.

    Returns
    -------
    spectral_envelope, aperiodicity : np.ndarray [shape=(n_frames, n_bins)]
        Log-linear interpolation of the envelope, linear of the aperiodicity.
    voiced : np.ndarray [shape=(n_frames,)], bool
        Voicing of the nearest source frame.
    """
    n_src = features.f0_hz.size
    pos = np.clip(np.asarray(source_seconds, dtype=np.float64) * 1000.0 / features.frame_period_ms, 0.0, n_src - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n_src - 1)
    w = (pos - lo)[:, None]
    log_sp = np.log(np.maximum(features.spectral_envelope, 1e-16))
    sp = np.exp((1.0 - w) * log_sp[lo] + w * log_sp[hi])
    ap = (1.0 - w) * features.aperiodicity[lo] + w * features.aperiodicity[hi]
    voiced = features.f0_hz[np.rint(pos).astype(np.int64)] > 0
    return sp, ap, voiced


def reshape_envelope(
    envelope: np.ndarray,
    *,
    source_rate: int,
    target_rate: int,
    formant_scale: float | np.ndarray = 1.0,
    is_aperiodicity: bool = False,
    fft_size: int | None = None,
) -> np.ndarray:
    """Map envelope bins from the analysis rate's FFT onto the output rate's, scaling formants.

    Parameters
    ----------
    envelope : np.ndarray [shape=(n_frames, n_source_bins)]
        Power envelope (or aperiodicity with ``is_aperiodicity``).
    source_rate, target_rate : int
        Sample rates of analysis and synthesis.
    formant_scale : float or np.ndarray [shape=(n_frames,)]
        Output frequency ``f`` takes the source's ``f / formant_scale``; one per frame
        scales some frames (vowels) more than others (consonants).
    is_aperiodicity : bool
        Interpolate linearly and hold the top value instead of the log roll-off.
    fft_size : int or None
        The synthesis FFT size (even); None: CheapTrick's for ``target_rate`` (1024 at 24 kHz).
        WORLD's cost per pulse grows with it; it only has to hold a pulse's impulse response.

    Returns
    -------
    np.ndarray [shape=(n_frames, fft_size // 2 + 1)]
    """
    pw = _pyworld()
    n_frames, n_src_bins = envelope.shape
    src_fft = 2 * (n_src_bins - 1)
    if fft_size is not None and (isinstance(fft_size, bool) or not isinstance(fft_size, int) or fft_size < 16 or fft_size % 2):
        raise ParameterError.for_field("fft_size", fft_size, "None or an even integer >= 16")
    tgt_fft = pw.get_cheaptrick_fft_size(target_rate) if fft_size is None else fft_size
    f_out = np.arange(tgt_fft // 2 + 1) * (target_rate / tgt_fft)
    scale = np.asarray(formant_scale, dtype=np.float64)
    per_frame = scale.ndim == 1
    if per_frame and scale.shape != (n_frames,):
        raise ValueError(f"formant_scale must be a float or one value per frame ({n_frames}), got shape {scale.shape}")
    if per_frame and np.all(scale == scale[0]) and n_frames:
        scale, per_frame = scale[:1].reshape(()), False
    if per_frame:
        # a voice's frames take a few scales (vowel, consonant, the steps of the crossfade between):
        # each group of rows through the one-scale path (a column gather; bit for bit the per-frame result)
        values, group = np.unique(scale, return_inverse=True)
        if values.size <= _MAX_SCALE_GROUPS:
            out = np.empty((n_frames, f_out.size))
            for k, value in enumerate(values):
                rows = group == k
                out[rows] = reshape_envelope(envelope[rows], source_rate=source_rate, target_rate=target_rate, formant_scale=float(value),
                                             is_aperiodicity=is_aperiodicity, fft_size=tgt_fft)
            return out
    src_pos = (f_out[None, :] / scale[:, None] if per_frame else f_out / scale) * src_fft / source_rate
    top = n_src_bins - 1
    inside = np.clip(src_pos, 0.0, top)
    lo = np.floor(inside).astype(np.int64)
    hi = np.minimum(lo + 1, top)
    w = inside - lo
    rows = np.arange(n_frames)[:, None] if per_frame else slice(None)
    if is_aperiodicity:
        return (1.0 - w) * envelope[rows, lo] + w * envelope[rows, hi]
    log_env = np.log(np.maximum(envelope, 1e-16))
    out = (1.0 - w) * log_env[rows, lo] + w * log_env[rows, hi]
    over = src_pos > top
    if np.any(over):
        ref = log_env[:, int(0.85 * top) : top + 1].mean(axis=1, keepdims=True)
        octaves = np.log2(np.maximum(src_pos, top) / top)
        out = np.where(over, ref + octaves * (-12.0 / 10.0 * np.log(10.0)) - 0.5, out)
    return np.exp(out)


def smooth_envelope_for_f0(
    envelope: np.ndarray, f0_hz: np.ndarray, sample_rate: int, *, width: float = 1.0, max_width_hz: float | None = None
) -> np.ndarray:
    """Smooth each frame's log envelope over ``width`` harmonic spacings (a sinc lifter, as CheapTrick's).

    A voice samples its envelope only at its harmonics; at a high f0 a formant
    peak narrower than the harmonic spacing falls between two harmonics and
    vanishes, or one harmonic inside it sticks out, depending on the pitch.
    Smoothed over one harmonic spacing, each harmonic carries the level of the
    formant region around it instead, and the voice keeps its vowels at any
    pitch. Unvoiced frames (f0 = 0) are left as they are.

    Parameters
    ----------
    envelope : np.ndarray [shape=(n_frames, fft_size // 2 + 1)]
        Power envelope.
    f0_hz : np.ndarray [shape=(n_frames,)]
    sample_rate : int
    width : float
        Smoothing width in harmonic spacings (0: none).
    max_width_hz : float or None
        Upper bound of the smoothing width in Hz (None: no bound). Wider
        than a formant's spacing from its neighbour, smoothing merges formants
        (F1 and F2 of /ɔ/, /o/ and /u/ lie about 300-600 Hz apart) and flattens the
        vowel, which costs more than the harmonic sampling it evens out.

    Returns
    -------
    np.ndarray, the envelope's shape
    """
    if max_width_hz is not None and (isinstance(max_width_hz, bool) or not isinstance(max_width_hz, (int, float)) or not max_width_hz > 0):
        raise ParameterError.for_field("max_width_hz", max_width_hz, "None or a number of Hz > 0")
    f0 = np.asarray(f0_hz, dtype=np.float64)
    voiced = f0 > 0
    if width <= 0 or not np.any(voiced):
        return envelope
    from scipy.fft import dct, idct

    out = np.array(envelope, dtype=np.float64, copy=True)
    # the log envelope is even around 0 and Nyquist: its cepstrum is a DCT-I (half the work of a full FFT)
    cep = dct(np.log(np.maximum(envelope[voiced], 1e-16)), type=1, axis=1)
    quefrency = np.arange(envelope.shape[1]) / sample_rate
    width_hz = width * f0[voiced]
    if max_width_hz is not None:
        width_hz = np.minimum(width_hz, float(max_width_hz))
    cep *= np.sinc(width_hz[:, None] * quefrency[None, :])
    out[voiced] = np.exp(idct(cep, type=1, axis=1))
    return out


def synthesize(
    f0_hz: np.ndarray,
    spectral_envelope: np.ndarray,
    aperiodicity: np.ndarray,
    sample_rate: int,
    *,
    frame_period_ms: float = FRAME_PERIOD_MS,
) -> np.ndarray:
    """WORLD synthesis; returns float64 mono audio [shape=(n_frames * frame_period * sample_rate,)]."""
    pw = _pyworld()
    return pw.synthesize(
        np.ascontiguousarray(f0_hz, dtype=np.float64),
        np.ascontiguousarray(spectral_envelope, dtype=np.float64),
        np.ascontiguousarray(np.clip(aperiodicity, 0.001, 0.999), dtype=np.float64),
        int(sample_rate),
        float(frame_period_ms),
    )
