"""Spectral measurements for timbre fitting: a multi-scale STFT distance and harmonic peak-picking.

:func:`multiscale_stft_distance` is the loss of the gradient-descent fit and
the metric of ``benchmarks/timbre_eval.py``: both signals are scaled to unit
RMS (so it compares timbre and envelope shape, not level), then for each FFT
size the mean absolute difference of magnitudes (relative to the reference's
mean magnitude) plus the mean absolute difference of log magnitudes.

:func:`harmonic_magnitudes` is the analytic first step of a fit: the
magnitude of harmonic ``k`` per STFT frame, read as the largest bin within a
quarter of ``f0`` of ``k * f0`` (so a slightly sharp or stretched partial is
still found).

Examples
--------
>>> import torch
>>> t = torch.arange(16000) / 16000
>>> a = torch.sin(2 * torch.pi * 440 * t)
>>> float(multiscale_stft_distance(a, a))
0.0
>>> d = float(multiscale_stft_distance(a, torch.sin(2 * torch.pi * 660 * t)))
>>> d > 1.0
True
"""

from __future__ import annotations

import math

import numpy as np
import torch

from lemm.render.synth import NOISE_BAND_CENTERS_HZ

__all__ = ["FFT_SIZES", "multiscale_stft_distance", "spectrum_envelope_distance", "harmonic_magnitudes", "harmonic_projections", "harmonic_phase_offsets", "band_noise_db", "partial_ratios", "parabolic_shift"]

#: FFT sizes of the multi-scale STFT distance (hop = size / 4).
FFT_SIZES = (2048, 1024, 512, 256, 128)

#: Floor added before the log, relative to a unit-RMS signal (-60 dB).
_LOG_FLOOR = 1e-3


def _mags(x: torch.Tensor, n_fft: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, dtype=x.dtype, device=x.device)
    spec = torch.stft(x, n_fft, hop_length=n_fft // 4, window=window, center=True, return_complex=True)
    return spec.abs() / window.sum() * 2.0


def multiscale_stft_distance(
    audio: torch.Tensor | np.ndarray,
    reference: torch.Tensor | np.ndarray,
    *,
    fft_sizes: tuple[int, ...] = FFT_SIZES,
) -> torch.Tensor:
    """Multi-scale STFT distance of two mono signals of equal length (differentiable in ``audio``).

    Parameters
    ----------
    audio, reference : torch.Tensor or np.ndarray [shape=(n_samples,)]
        Each is scaled to unit RMS first; a silent signal stays silent.
    fft_sizes : tuple of int

    Returns
    -------
    torch.Tensor, scalar float32
        Sum over FFT sizes of ``mean|A - R| / mean|R| + mean|log(A + e) - log(R + e)|``;
        0 for identical signals.
    """
    a = torch.as_tensor(audio, dtype=torch.float32).reshape(-1)
    r = torch.as_tensor(reference, dtype=torch.float32, device=a.device).reshape(-1)
    n = min(a.shape[0], r.shape[0])
    a, r = a[:n], r[:n]
    a = a / a.pow(2).mean().sqrt().clamp(min=1e-8)
    r = r / r.pow(2).mean().sqrt().clamp(min=1e-8)
    total = torch.zeros((), dtype=torch.float32, device=a.device)
    for n_fft in fft_sizes:
        if n_fft > n:
            continue
        ma, mr = _mags(a, n_fft), _mags(r, n_fft)
        total = total + (ma - mr).abs().mean() / mr.mean().clamp(min=1e-8)
        total = total + (torch.log(ma + _LOG_FLOOR) - torch.log(mr + _LOG_FLOOR)).abs().mean()
    return total


#: Mel bands of :func:`spectrum_envelope_distance` and their range (Hz; the top is held under Nyquist).
SPECTRUM_MEL_BANDS, SPECTRUM_FMIN_HZ, SPECTRUM_FMAX_HZ = 64, 30.0, 16000.0
#: Levels under the spectrum's peak by more than this (dB) count as this far under it.
_SPECTRUM_FLOOR_DB = 80.0
#: Amplitude envelope frames (s) and their floor under the peak (dB).
_ENVELOPE_FRAME_SECONDS, _ENVELOPE_FLOOR_DB = 0.01, 60.0


def _mel_basis(sample_rate: int, n_fft: int) -> torch.Tensor:
    import librosa  # noqa: PLC0415  (slow to import; only fitting needs it)

    fmax = min(SPECTRUM_FMAX_HZ, 0.5 * sample_rate)
    return torch.as_tensor(librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=SPECTRUM_MEL_BANDS, fmin=SPECTRUM_FMIN_HZ, fmax=fmax), dtype=torch.float32)


def spectrum_envelope_distance(
    audio: torch.Tensor | np.ndarray,
    reference: torch.Tensor | np.ndarray,
    *,
    sample_rate: int,
) -> torch.Tensor:
    """Distance (dB) of two notes' time-averaged log-mel spectra plus that of their amplitude envelopes (differentiable in ``audio``).

    Unlike :func:`multiscale_stft_distance` it does not compare frame by
    frame, so a note whose vibrato, waveform or noise is not in step with the
    reference's is not penalised for it: what is compared is the note's colour
    (its long-term spectrum) and its loudness over time.

    Parameters
    ----------
    audio, reference : torch.Tensor or np.ndarray [shape=(n_samples,)]
        Mono, onsets aligned; the longer is cut to the shorter.
    sample_rate : int
        Hz.

    Returns
    -------
    torch.Tensor, scalar float32
        Mean absolute difference (dB) of the two spectra (64 mel bands,
        30 Hz-16 kHz or Nyquist, 43 ms Hann frames, power averaged over the
        note, each normalised to unit total, floored 80 dB under its peak)
        plus the mean absolute difference (dB) of the two envelopes (10 ms
        RMS frames relative to the peak, floored at -60 dB). 0 for identical
        signals.

    Examples
    --------
    >>> t = torch.arange(16000) / 16000
    >>> a = torch.sin(2 * torch.pi * 440 * t)
    >>> float(spectrum_envelope_distance(a, a, sample_rate=16000)), float(spectrum_envelope_distance(a, 0.5 * a, sample_rate=16000))
    (0.0, 0.0)
    >>> float(spectrum_envelope_distance(a, torch.sin(2 * torch.pi * 880 * t), sample_rate=16000)) > 5.0
    True
    """
    a = torch.as_tensor(audio, dtype=torch.float32).reshape(-1)
    r = torch.as_tensor(reference, dtype=torch.float32, device=a.device).reshape(-1)
    n = min(a.shape[0], r.shape[0])
    a, r = a[:n], r[:n]
    n_fft = 1 << max(6, int(round(math.log2(0.0427 * sample_rate))))  # 2048 at 48 kHz
    basis = _mel_basis(int(sample_rate), n_fft).to(a.device)
    window = torch.hann_window(n_fft, dtype=torch.float32, device=a.device)

    def spectrum_db(x: torch.Tensor) -> torch.Tensor:
        frames = torch.nn.functional.pad(x, (0, n_fft)).unfold(0, n_fft, n_fft // 4) * window
        power = (torch.fft.rfft(frames, dim=1).abs().pow(2) @ basis.T).mean(0)
        db = 10.0 * torch.log10((power / power.sum().clamp(min=1e-30)).clamp(min=1e-12))
        return torch.maximum(db, db.max().detach() - _SPECTRUM_FLOOR_DB)

    hop = max(1, int(round(_ENVELOPE_FRAME_SECONDS * sample_rate)))

    def envelope_db(x: torch.Tensor) -> torch.Tensor:
        rms = (x[: x.shape[0] // hop * hop].reshape(-1, hop).pow(2).mean(1) + 1e-20).sqrt()
        db = 20.0 * torch.log10((rms / rms.max().clamp(min=1e-30)).clamp(min=1e-12))
        return db.clamp(min=-_ENVELOPE_FLOOR_DB)

    spectra = (spectrum_db(a) - spectrum_db(r)).abs().mean()
    if n < hop:
        return spectra
    return spectra + (envelope_db(a) - envelope_db(r)).abs().mean()


def harmonic_magnitudes(
    audio: np.ndarray, *, sample_rate: int, f0_hz: float, n_harmonics: int, partial_ratios: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Amplitude of harmonics ``1..n_harmonics`` per STFT frame, by peak-picking at ``k * f0_hz``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,)]
    sample_rate : int
    f0_hz : float
    n_harmonics : int
        Harmonics at or above Nyquist read as 0.
    partial_ratios : np.ndarray [shape=(n_harmonics,)], optional
        Peak-pick partial ``k`` at ``partial_ratios[k - 1] * f0_hz`` instead
        (an inharmonic sound, see :func:`partial_ratios`).

    Returns
    -------
    amplitudes : np.ndarray [shape=(n_frames, n_harmonics)]
        Linear amplitude (a sine of amplitude 1 reads about 1).
    power : np.ndarray [shape=(n_frames, n_bins)]
        The power spectrogram (same scaling), for the noise estimate.
    hop : int
        Samples between frames (frame ``j`` centred on sample ``j * hop``).

    Examples
    --------
    >>> sr = 16000; t = np.arange(sr) / sr
    >>> x = np.sin(2 * np.pi * 200 * t) + 0.25 * np.sin(2 * np.pi * 400 * t)
    >>> amps, _, _ = harmonic_magnitudes(x, sample_rate=sr, f0_hz=200.0, n_harmonics=3)
    >>> np.round(np.median(amps, 0), 1).tolist()
    [1.0, 0.3, 0.0]
    """
    n_fft = int(2 ** math.ceil(math.log2(max(1024.0, 8.0 * sample_rate / f0_hz))))
    n_fft = min(n_fft, 16384)
    hop = n_fft // 4
    x = np.asarray(audio, dtype=np.float64)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    window = np.hanning(n_fft + 1)[:-1]
    pad = np.pad(x, (n_fft // 2, n_fft // 2))
    n_frames = 1 + (len(pad) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    spec = np.abs(np.fft.rfft(pad[idx] * window, axis=1)) * 2.0 / window.sum()
    bin_hz = sample_rate / n_fft
    amps = np.zeros((n_frames, n_harmonics))
    half = max(1, int(0.25 * f0_hz / bin_hz))
    for k in range(1, n_harmonics + 1):
        f = (k if partial_ratios is None else float(partial_ratios[k - 1])) * f0_hz
        if f >= sample_rate / 2.0 - bin_hz:
            break
        centre = int(round(f / bin_hz))
        lo, hi = max(1, centre - half), min(spec.shape[1] - 1, centre + half + 1)
        m = lo + np.argmax(spec[:, lo:hi], axis=1)
        rows = np.arange(n_frames)
        a, b, c = (np.log(spec[rows, np.clip(m + d, 0, spec.shape[1] - 1)] + 1e-12) for d in (-1, 0, 1))
        amps[:, k - 1] = np.exp(b - 0.25 * (a - c) * parabolic_shift(a, b, c))  # parabolic peak (log magnitude)
    return amps, spec**2, hop


def harmonic_projections(
    audio: np.ndarray, *, sample_rate: int, f0_hz: float, harmonics: np.ndarray, starts: np.ndarray, window_samples: int
) -> np.ndarray:
    """Complex amplitude of each harmonic in each frame, its phase read at absolute time.

    Frame ``j`` is ``audio[starts[j] : starts[j] + window_samples]`` under a
    Hann window, projected on ``k * f0_hz`` for each ``k`` in ``harmonics``;
    the phase is that of ``cos(2 pi k f0 t + phi)`` with ``t`` counted from
    the start of ``audio``, so a steady partial reads the same ``phi`` in
    every frame.

    Returns
    -------
    np.ndarray [shape=(n_frames, n_harmonics)], complex128
    """
    k = np.asarray(harmonics, dtype=np.float64)
    window = np.hanning(window_samples + 2)[1:-1]
    basis = window[:, None] * np.exp(-2j * np.pi * np.outer(np.arange(window_samples), k * f0_hz / sample_rate))  # [n, K]
    frames = np.asarray(audio, dtype=np.float64)[starts[:, None] + np.arange(window_samples)[None, :]]
    return (frames @ basis) * np.exp(-2j * np.pi * np.outer(starts, k * f0_hz / sample_rate))


def harmonic_phase_offsets(
    audio: np.ndarray, *, sample_rate: int, f0_hz: float, n_harmonics: int, start_seconds: float = 0.0, end_seconds: float | None = None
) -> np.ndarray:
    """The waveform's shape: phase of each harmonic relative to the fundamental's, as lemm's synth writes it.

    Each frame (Hann window of four periods, hop one period, between
    ``start_seconds`` and ``end_seconds``) is projected on ``k * f0_hz``
    (complex amplitude ``c_k``, phase ``phi_k`` of ``cos``); ``phi_k - k phi_1``
    does not depend on where the frame starts, so it is summed over frames as
    ``c_k * conj(c_1 / |c_1|)^k`` (louder frames count more) and converted to
    the offset ``psi_k`` of ``sin(2 pi k phase + psi_k)`` (``psi_1 = 0``), the
    convention of :func:`lemm.render.synth.harmonic_synthesis`.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,)]
    sample_rate : int
    f0_hz : float
    n_harmonics : int
        Harmonics at or above Nyquist read as 0.
    start_seconds, end_seconds : float
        The stretch to measure (None: to the end); the whole note when shorter
        than one window.

    Returns
    -------
    np.ndarray [shape=(n_harmonics,)]
        Radians in -pi..pi.

    Examples
    --------
    >>> sr = 16000; t = np.arange(sr // 2) / sr
    >>> x = np.sin(2 * np.pi * 200 * t) + 0.5 * np.sin(2 * np.pi * 400 * t + 1.0)
    >>> np.round(harmonic_phase_offsets(x, sample_rate=sr, f0_hz=200.0, n_harmonics=2), 3).tolist()
    [0.0, 1.0]
    """
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    period = sample_rate / float(f0_hz)
    n = int(math.ceil(4.0 * period))
    hop = max(1, int(round(period)))
    a = int(max(0.0, start_seconds) * sample_rate)
    b = x.size if end_seconds is None else min(x.size, int(end_seconds * sample_rate))
    if b - a < n:
        a, b = 0, x.size
    if b - a < n:
        x = np.pad(x, (0, n - (b - a)))
        b = a + n
    starts = np.arange(a, b - n + 1, hop)
    k = np.arange(1, n_harmonics + 1)
    live = k * f0_hz < sample_rate / 2.0
    c = harmonic_projections(x, sample_rate=sample_rate, f0_hz=f0_hz, harmonics=k, starts=starts, window_samples=n)
    u1 = c[:, :1] / np.maximum(np.abs(c[:, :1]), 1e-300)
    relative = np.sum(c * np.conj(u1) ** k[None, :], axis=0)
    psi = np.angle(relative) + (1 - k) * (np.pi / 2.0)  # cos-phase of the measurement -> sin-phase of the synth
    psi = np.angle(np.exp(1j * psi))
    psi[0] = 0.0
    psi[~live] = 0.0
    return psi


def band_noise_db(power: np.ndarray, *, sample_rate: int, f0_hz: float, frames: slice) -> np.ndarray:
    """Noise level (dB, amplitude per bin) per :data:`NOISE_BAND_CENTERS_HZ` band between the harmonics.

    Uses the bins farther than ``0.3 * f0_hz`` from every harmonic, median over
    the bins of an octave band and the ``frames`` given; -120 dB for a band
    without such bins.
    """
    n_bins = power.shape[1]
    freqs = np.linspace(0.0, sample_rate / 2.0, n_bins)
    dist = np.abs(freqs / f0_hz - np.round(freqs / f0_hz)) * f0_hz
    between = dist > 0.3 * f0_hz
    seg = power[frames]
    out = np.full(len(NOISE_BAND_CENTERS_HZ), -120.0)
    for i, c in enumerate(NOISE_BAND_CENTERS_HZ):
        sel = between & (freqs >= c / math.sqrt(2.0)) & (freqs < c * math.sqrt(2.0)) & (freqs < sample_rate / 2.0)
        if sel.any() and seg.size:
            out[i] = 10.0 * math.log10(max(float(np.median(seg[:, sel])), 1e-12))
    return out


def parabolic_shift(a, b, c):
    """Where the parabola through ``(-1, a)``, ``(0, b)``, ``(1, c)`` peaks: an offset in -0.5..0.5 (0 where it is flat).

    The refinement of a peak found at a sample or bin ``m`` from its neighbours'
    values (spectra in dB or log magnitude, YIN's difference function); scalars or
    arrays of one shape.

    >>> y = [-(x - 0.25) ** 2 for x in (-1, 0, 1)]  # a parabola peaking at 0.25
    >>> float(parabolic_shift(*y)), float(parabolic_shift(0.0, 1.0, 1.0)), float(parabolic_shift(1.0, 1.0, 1.0))
    (0.25, 0.5, 0.0)
    """
    denom = a - 2.0 * b + c
    flat = np.abs(denom) <= 1e-12
    return np.clip(np.where(flat, 0.0, 0.5 * (a - c) / np.where(flat, 1.0, denom)), -0.5, 0.5)


#: A partial counts as off its harmonic when it stands this far (dB) above the median of the spectrum around it ...
_PARTIAL_PROMINENCE_DB = 12.0
#: ... is at most this far (dB) under the loudest partial ...
_PARTIAL_RANGE_DB = 50.0
#: ... and sits more than this share of its harmonic's frequency (and 3 analysis bins) away from it.
_INHARMONIC_TOLERANCE = 0.01


def partial_ratios(audio: np.ndarray, *, sample_rate: int, f0_hz: float, n_harmonics: int, seconds: float = 1.0) -> np.ndarray:
    """Where the partials of a note sit, as multiples of its fundamental (peak-picked).

    The power spectrum of the first ``seconds`` (Hann frames, 4x zero-padded,
    averaged) is searched within ``(k +- 0.45) * f0_hz`` for each partial ``k``;
    a clear peak (:data:`_PARTIAL_PROMINENCE_DB` over the median there, within
    :data:`_PARTIAL_RANGE_DB` of the loudest) that lies more than
    :data:`_INHARMONIC_TOLERANCE` of ``k * f0`` (and 3 bins) away gives its
    frequency over the measured fundamental's; every other partial reads ``k``.
    A vibraphone bar's third mode near 10 (10.3 on its low bars, 9.4 an octave up)
    comes out as such; a bowed or blown note (its partials locked to whole
    multiples) reads 1, 2, 3, ...

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,)]
        Mono, onset at the start.
    sample_rate : int
    f0_hz : float
        The fundamental, approximately (the ratios use the measured one).
    n_harmonics : int
    seconds : float

    Returns
    -------
    np.ndarray [shape=(n_harmonics,)]
        Ratio of partial ``k`` (within ``k`` +- 0.45).

    Examples
    --------
    >>> sr = 16000; t = np.arange(sr) / sr
    >>> x = np.sin(2 * np.pi * 200 * t) + 0.3 * np.sin(2 * np.pi * 200 * 4.0 * t) + 0.1 * np.sin(2 * np.pi * 200 * 10.3 * t)
    >>> np.round(partial_ratios(x, sample_rate=sr, f0_hz=200.0, n_harmonics=12), 2).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.3, 11.0, 12.0]
    """
    ratios = np.arange(1, n_harmonics + 1, dtype=np.float64)
    x = np.asarray(audio, dtype=np.float64)[: max(1, int(seconds * sample_rate))]
    n_win = min(16384, int(2 ** math.ceil(math.log2(max(1024.0, 32.0 * sample_rate / f0_hz)))))  # 32 periods
    if len(x) < n_win:
        x = np.pad(x, (0, n_win - len(x)))
    n_fft = 4 * n_win
    hops = np.arange(0, len(x) - n_win + 1, n_win // 4)
    window = np.hanning(n_win)
    power = np.zeros(n_fft // 2 + 1)
    for start in hops:
        power += np.abs(np.fft.rfft(x[start : start + n_win] * window, n_fft)) ** 2
    db = 10.0 * np.log10(power / max(power.max(), 1e-300) + 1e-30)
    bin_hz = sample_rate / n_fft

    def peak(lo_hz: float, hi_hz: float) -> tuple[float, float, float] | None:
        lo, hi = max(1, int(math.ceil(lo_hz / bin_hz))), min(len(db) - 1, int(hi_hz / bin_hz))
        if hi - lo < 3:
            return None
        m = lo + int(np.argmax(db[lo:hi]))
        b = db[m]
        return (m + float(parabolic_shift(db[m - 1], b, db[m + 1]))) * bin_hz, float(b), float(np.median(db[lo:hi]))

    first = peak(0.55 * f0_hz, 1.45 * f0_hz)
    if first is None:
        return ratios
    f1 = first[0]
    for k in range(2, n_harmonics + 1):
        if (k + 0.45) * f1 >= sample_rate / 2.0:
            break
        found = peak((k - 0.45) * f1, (k + 0.45) * f1)
        if found is None:
            continue
        f, level, floor = found
        off = abs(f - k * f1)
        if level - floor >= _PARTIAL_PROMINENCE_DB and level >= -_PARTIAL_RANGE_DB and off > max(_INHARMONIC_TOLERANCE * k * f1, 3.0 * sample_rate / n_win):
            ratios[k - 1] = float(np.clip(f / f1, k - 0.45, k + 0.45))
    return ratios
