"""The synth core: harmonic oscillator bank and filtered noise, as pure torch functions.

Controls live on a frame grid (frame ``j`` sits at sample ``j * hop``, see
:data:`FRAME_RATE_HZ`) and are upsampled linearly to the sample rate. Phase is
accumulated in float64 and wrapped to [0, 1) cycles, so a long note keeps its
pitch to a fraction of a cent. Every harmonic at or above Nyquist is zeroed
(with a short taper just below it so a vibrato crossing does not click).

Two paths make the same sound:

- :func:`harmonic_synthesis` sums sines directly; pure autograd-friendly torch
  ops, used for timbre fitting and as the reference. It builds an
  ``[n_samples, n_harmonics]`` tensor, so callers feed it short spans.
- :func:`wavetable_voice` is the fast path used for rendering: one
  single-cycle table per table frame (harmonic amplitudes times a sine basis)
  read at the accumulated phase, crossfaded between frames, in chunks. Its cost
  per sample does not depend on the number of harmonics.

:func:`filtered_noise` shapes white noise frame by frame in the STFT domain
and overlap-adds it back (DDSP's filtered noise, with a band-gain
parameterisation).

Examples
--------
>>> import torch
>>> f0 = torch.full((5,), 440.0)
>>> amps = torch.tensor([[1.0, 0.5]]).repeat(5, 1)
>>> y = harmonic_synthesis(f0, amps, hop=64, sample_rate=16000, n_samples=256)
>>> tuple(y.shape), bool(torch.isfinite(y).all())
((256,), True)
"""

from __future__ import annotations

import functools
import math

import torch

from lemm.errors import ParameterError, RenderError

__all__ = [
    "FRAME_RATE_HZ",
    "NOISE_BAND_CENTERS_HZ",
    "hop_samples",
    "n_frames_for",
    "midi_to_hz",
    "check_finite",
    "upsample_frames",
    "accumulate_phase",
    "nyquist_taper",
    "harmonic_synthesis",
    "harmonic_tables",
    "wavetable_voice",
    "band_gain_matrix",
    "filtered_noise",
]

#: Rate of the control frames, in frames per second (hop = sample_rate / FRAME_RATE_HZ, rounded).
FRAME_RATE_HZ = 250.0

#: Centre frequencies of the noise bands (octaves); presets give one gain in dB per band.
NOISE_BAND_CENTERS_HZ = (62.5, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)

#: Harmonics above this fraction of Nyquist fade out linearly; at Nyquist and above they are zero.
_TAPER_START = 0.85


def hop_samples(sample_rate: int) -> int:
    """Samples between control frames at ``sample_rate`` (192 at 48 kHz, 64 at 16 kHz)."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not 8000 <= sample_rate <= 192000:
        raise ParameterError.for_field("sample_rate", sample_rate, "an integer in 8000..192000 Hz")
    return max(1, round(sample_rate / FRAME_RATE_HZ))


def n_frames_for(n_samples: int, hop: int) -> int:
    """Frames needed so that frame ``j * hop`` covers samples ``0..n_samples-1`` (at least 2)."""
    return max(2, -(-max(n_samples - 1, 0) // hop) + 1)


def midi_to_hz(pitch: torch.Tensor | float) -> torch.Tensor:
    """Equal-tempered frequency in Hz of a (fractional) MIDI pitch, A4 = 69 = 440 Hz."""
    p = torch.as_tensor(pitch, dtype=torch.float64)
    return 440.0 * torch.pow(2.0, (p - 69.0) / 12.0)


def check_finite(name: str, values: torch.Tensor, *, nonnegative: bool = False) -> None:
    """Raise RenderError if ``values`` holds NaN or inf (or, with ``nonnegative``, a value < 0)."""
    if not bool(torch.isfinite(values).all()):
        bad = values[~torch.isfinite(values)].flatten()[0].item()
        raise RenderError(f"{name} must be finite numbers, got {bad!r}")
    if nonnegative and values.numel() and bool((values < 0).any()):
        raise RenderError(f"{name} must be >= 0, got {values.min().item()!r}")


def upsample_frames(frames: torch.Tensor, *, hop: int, n_samples: int) -> torch.Tensor:
    """Linearly interpolate frame-rate controls to the sample rate.

    Parameters
    ----------
    frames : torch.Tensor [shape=(n_frames, ...)]
        Frame ``j`` holds the value at sample ``j * hop``.
    hop : int
        Samples per frame.
    n_samples : int

    Returns
    -------
    torch.Tensor [shape=(n_samples, ...)]; samples past the last frame hold its value.

    Examples
    --------
    >>> upsample_frames(torch.tensor([0.0, 1.0]), hop=4, n_samples=6).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    n_frames = frames.shape[0]
    if n_frames == 1:
        return frames.expand((n_samples,) + tuple(frames.shape[1:]))
    flat = frames.reshape(n_frames, -1).T[None]  # [1, channels, n_frames]
    span = (n_frames - 1) * hop + 1
    up = torch.nn.functional.interpolate(flat, size=span, mode="linear", align_corners=True)[0].T
    if span < n_samples:
        up = torch.cat([up, up[-1:].expand(n_samples - span, -1)], 0)
    return up[:n_samples].reshape((n_samples,) + tuple(frames.shape[1:]))


def accumulate_phase(f0_hz: torch.Tensor, *, sample_rate: int, initial_phase: float = 0.0) -> tuple[torch.Tensor, float]:
    """Phase in cycles (float64, wrapped to [0, 1)) of an oscillator following ``f0_hz``.

    ``phase[n] = initial_phase + sum(f0_hz[:n]) / sample_rate`` (mod 1), so
    ``sin(2 pi phase)`` starts at ``sin(2 pi initial_phase)``.

    Returns
    -------
    phase : torch.Tensor [shape=(n_samples,)], float64 cycles
    next_phase : float
        The phase of the sample after the last, to continue in the next chunk.
    """
    inc = f0_hz.to(torch.float64) / sample_rate
    total = torch.cumsum(inc, 0)
    phase = total - inc + initial_phase
    next_phase = float((initial_phase + total[-1].detach()) % 1.0) if inc.numel() else float(initial_phase)
    return phase - torch.floor(phase.detach()), next_phase


def nyquist_taper(frequency_hz: torch.Tensor, *, sample_rate: int) -> torch.Tensor:
    """Gain 1 below 0.85 * Nyquist, falling linearly to 0 at Nyquist, 0 at and above it."""
    nyquist = sample_rate / 2.0
    start = _TAPER_START * nyquist
    gain = ((nyquist - frequency_hz) / (nyquist - start)).clamp(0.0, 1.0)
    return torch.where(frequency_hz >= nyquist, torch.zeros_like(gain), gain)


def harmonic_synthesis(
    f0_hz: torch.Tensor,
    harmonic_amplitudes: torch.Tensor,
    *,
    hop: int,
    sample_rate: int,
    n_samples: int,
    initial_phase: float = 0.0,
) -> torch.Tensor:
    """Sum of harmonics of ``f0_hz`` with per-harmonic amplitudes (differentiable reference path).

    Parameters
    ----------
    f0_hz : torch.Tensor [shape=(n_frames,)]
        Fundamental per frame, Hz >= 0.
    harmonic_amplitudes : torch.Tensor [shape=(n_frames, n_harmonics)]
        Linear amplitude of harmonic ``k = 1..n_harmonics`` per frame.
    hop, sample_rate, n_samples : int
        Frame spacing in samples, sample rate in Hz, output length.
    initial_phase : float
        Starting phase of the fundamental in cycles.

    Returns
    -------
    torch.Tensor [shape=(n_samples,)]
        ``sum_k a_k[n] * sin(2 pi k phase[n])`` with ``a_k`` zeroed where ``k f0 >= Nyquist``.

    Raises
    ------
    RenderError
        If a control holds NaN or inf, or ``f0_hz`` is negative.

    Examples
    --------
    >>> y = harmonic_synthesis(torch.full((2,), 1000.0), torch.ones(2, 1), hop=8, sample_rate=8000, n_samples=3)
    >>> [round(v, 6) for v in y.tolist()]
    [0.0, 0.707107, 1.0]
    """
    check_finite("f0_hz", f0_hz, nonnegative=True)
    check_finite("harmonic_amplitudes", harmonic_amplitudes)
    f0 = upsample_frames(f0_hz.to(torch.float64), hop=hop, n_samples=n_samples)
    amps = upsample_frames(harmonic_amplitudes, hop=hop, n_samples=n_samples)
    phase, _ = accumulate_phase(f0, sample_rate=sample_rate, initial_phase=initial_phase)
    k = torch.arange(1, amps.shape[-1] + 1, device=amps.device, dtype=torch.float64)
    harmonic_phase = phase[:, None] * k
    harmonic_phase = harmonic_phase - torch.floor(harmonic_phase.detach())
    mask = nyquist_taper(f0[:, None] * k, sample_rate=sample_rate).to(amps.dtype)
    return (torch.sin(2.0 * math.pi * harmonic_phase).to(amps.dtype) * amps * mask).sum(-1)


@functools.lru_cache(maxsize=64)
def _sine_basis(n_harmonics: int, table_size: int, device: str, dtype: torch.dtype) -> torch.Tensor:
    """[n_harmonics, table_size + 1]: sin(2 pi k n / table_size); the last column wraps to the first."""
    n = torch.arange(table_size + 1, dtype=torch.float64)
    k = torch.arange(1, n_harmonics + 1, dtype=torch.float64)
    cycles = torch.remainder(k[:, None] * n[None, :], table_size) / table_size
    return torch.sin(2.0 * math.pi * cycles).to(device=device, dtype=dtype)


def _table_size(n_harmonics: int) -> int:
    """At least 16 table points per cycle of the top harmonic, 256..1024."""
    return int(min(1024, max(256, 2 ** math.ceil(math.log2(16 * max(n_harmonics, 1))))))


def harmonic_tables(harmonic_amplitudes: torch.Tensor, *, table_size: int) -> torch.Tensor:
    """Single-cycle tables [shape=(n_tables, table_size + 1)] from amplitudes [shape=(n_tables, n_harmonics)].

    Examples
    --------
    >>> t = harmonic_tables(torch.tensor([[1.0]]), table_size=4)
    >>> [round(v, 6) for v in t[0].tolist()]
    [0.0, 1.0, 0.0, -1.0, 0.0]
    """
    basis = _sine_basis(harmonic_amplitudes.shape[-1], table_size, str(harmonic_amplitudes.device), harmonic_amplitudes.dtype)
    return harmonic_amplitudes @ basis


def _table_positions(first_sample: int, n: int, n_tables: int, width: int, table_hop: int, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat offset of the current table and the crossfade fraction towards the next, per sample."""
    sample = torch.arange(first_sample, first_sample + n, device=device)
    j = torch.div(sample, table_hop, rounding_mode="floor").clamp(max=n_tables - 2)
    t_frac = ((sample - j * table_hop).to(dtype) / table_hop).clamp(0.0, 1.0)
    return j * width, t_frac


def _read_tables(flat: torch.Tensor, size: int, width: int, phase: torch.Tensor, table_base: torch.Tensor, t_frac: torch.Tensor) -> torch.Tensor:
    """Read flattened tables (rows of ``width = size + 1``) at ``phase`` (cycles), crossfading to the next row."""
    pos = phase * size
    i0 = pos.long().clamp_(0, size - 1)
    frac = (pos - i0).to(flat.dtype)
    base0 = table_base + i0
    a0 = flat[base0]
    a = a0 + (flat[base0 + 1] - a0) * frac
    base0 += width
    b0 = flat[base0]
    b = b0 + (flat[base0 + 1] - b0) * frac
    return a + (b - a) * t_frac


def wavetable_voice(
    f0_hz: torch.Tensor,
    amplitude: torch.Tensor,
    harmonic_amplitudes: torch.Tensor,
    *,
    hop: int,
    table_hop_frames: int,
    sample_rate: int,
    n_samples: int,
    detune_ratios: tuple[float, ...] = (1.0,),
    initial_phases: tuple[float, ...] | None = None,
    chunk_samples: int = 65536,
) -> torch.Tensor:
    """Fast harmonic voice: wavetables per table frame read at a float64 phase, in chunks.

    Parameters
    ----------
    f0_hz : torch.Tensor [shape=(n_frames,)]
        Fundamental per control frame (frame ``j`` at sample ``j * hop``).
    amplitude : torch.Tensor [shape=(n_frames,)]
        Linear output gain per control frame.
    harmonic_amplitudes : torch.Tensor [shape=(n_tables, n_harmonics)]
        Spectral shape per table frame (table ``i`` at sample ``i * hop * table_hop_frames``).
    hop, table_hop_frames, sample_rate, n_samples : int
    detune_ratios : tuple of float
        One copy of the voice per ratio (frequency multiplier), e.g. for chorus.
    initial_phases : tuple of float, optional
        Starting phase (cycles) of each copy; zeros by default.
    chunk_samples : int
        Samples rendered at once (bounds memory for long notes).

    Returns
    -------
    torch.Tensor [shape=(n_copies, n_samples)]
        Band-limited: harmonics at or above Nyquist (for the highest f0 a table
        is used at, times the largest ratio) are zero.

    Examples
    --------
    >>> f0 = torch.full((9,), 500.0); amp = torch.ones(9)
    >>> y = wavetable_voice(f0, amp, torch.ones(3, 1), hop=64, table_hop_frames=4, sample_rate=16000, n_samples=512)
    >>> ref = torch.sin(2 * torch.pi * 500.0 * torch.arange(512) / 16000)
    >>> bool((y[0] - ref).abs().max() < 1e-3)
    True
    """
    check_finite("f0_hz", f0_hz, nonnegative=True)
    for name, v in (("amplitude", amplitude), ("harmonic_amplitudes", harmonic_amplitudes)):
        check_finite(name, v)
    device = f0_hz.device
    table_hop = hop * table_hop_frames
    n_tables = harmonic_amplitudes.shape[0]
    if n_tables < 2 or (n_tables - 1) * table_hop < n_samples - 1:
        raise ParameterError.for_field("harmonic_amplitudes frames", n_tables, f"enough tables to cover {n_samples} samples")
    # Highest f0 each table is heard at: frames within one table hop either side.
    f0_max = torch.nn.functional.max_pool1d(
        f0_hz.to(torch.float32)[None, None], kernel_size=2 * table_hop_frames + 1, stride=1, padding=table_hop_frames
    )[0, 0]
    idx = torch.clamp(torch.arange(n_tables, device=device) * table_hop_frames, max=f0_hz.shape[0] - 1)
    k = torch.arange(1, harmonic_amplitudes.shape[1] + 1, device=device, dtype=torch.float32)
    top = f0_max[idx][:, None] * k * max(detune_ratios)
    amps = harmonic_amplitudes * nyquist_taper(top, sample_rate=sample_rate).to(harmonic_amplitudes.dtype)
    live = (amps.abs().amax(0) > 0).nonzero()
    n_live = int(live.max().item()) + 1 if live.numel() else 1
    tables = harmonic_tables(amps[:, :n_live], table_size=_table_size(n_live))
    phases = list(initial_phases) if initial_phases is not None else [0.0] * len(detune_ratios)
    out = torch.empty(len(detune_ratios), n_samples, device=device, dtype=harmonic_amplitudes.dtype)
    for start in range(0, n_samples, chunk_samples):
        stop = min(n_samples, start + chunk_samples)
        f0_first = start // hop
        f0_last = min(f0_hz.shape[0], -(-stop // hop) + 1)
        f0_chunk = upsample_frames(f0_hz[f0_first:f0_last].to(torch.float64), hop=hop, n_samples=stop - f0_first * hop)[start - f0_first * hop :]
        amp_chunk = upsample_frames(amplitude[f0_first:f0_last], hop=hop, n_samples=stop - f0_first * hop)[start - f0_first * hop :]
        inc = f0_chunk / sample_rate
        total = torch.cumsum(inc, 0)
        cycles = total - inc
        t_first = start // table_hop
        t_last = min(n_tables, -(-stop // table_hop) + 1)
        sub = tables[t_first:t_last]
        if sub.shape[0] < 2:
            sub = torch.cat([sub, sub], 0)
        width = sub.shape[1]
        flat = sub.reshape(-1)
        table_base, t_frac = _table_positions(start - t_first * table_hop, stop - start, sub.shape[0], width, table_hop, device, sub.dtype)
        for c, ratio in enumerate(detune_ratios):
            ph = cycles * ratio + phases[c] if ratio != 1.0 else cycles + phases[c]
            ph = ph - torch.floor(ph)
            out[c, start:stop] = _read_tables(flat, width - 1, width, ph, table_base, t_frac) * amp_chunk
            phases[c] = float((phases[c] + float(total[-1]) * ratio) % 1.0)
    return out


def band_gain_matrix(n_fft: int, *, sample_rate: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """[n_bands, n_fft // 2 + 1] weights mapping band gains to FFT-bin gains (linear in log-frequency)."""
    return _band_gain_matrix(n_fft, sample_rate, str(device))


@functools.lru_cache(maxsize=32)
def _band_gain_matrix(n_fft: int, sample_rate: int, device: str) -> torch.Tensor:
    freqs = torch.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1, dtype=torch.float64)
    centers = torch.log2(torch.tensor(NOISE_BAND_CENTERS_HZ, dtype=torch.float64))
    x = torch.log2(freqs.clamp(min=NOISE_BAND_CENTERS_HZ[0])).clamp(max=float(centers[-1]))
    pos = torch.searchsorted(centers, x, right=True).clamp(1, len(centers) - 1)
    lo, hi = centers[pos - 1], centers[pos]
    w_hi = ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
    m = torch.zeros(len(centers), freqs.numel(), dtype=torch.float64)
    cols = torch.arange(freqs.numel())
    m[pos - 1, cols] += 1.0 - w_hi
    m[pos, cols] += w_hi
    return m.to(device=device, dtype=torch.float32)


def filtered_noise(
    band_gains: torch.Tensor,
    *,
    hop: int,
    sample_rate: int,
    n_samples: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """White noise shaped per frame by band gains (STFT multiply, overlap-add).

    Parameters
    ----------
    band_gains : torch.Tensor [shape=(n_frames, n_bands)]
        Linear gain per :data:`NOISE_BAND_CENTERS_HZ` band per frame (frame
        ``j`` at sample ``j * hop``); a flat gain ``g`` gives noise of RMS ``g``.
    hop, sample_rate, n_samples : int
    generator : torch.Generator
        Source of the noise (on the device of ``band_gains``); seeded by the caller.

    Returns
    -------
    torch.Tensor [shape=(n_samples,)]

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> y = filtered_noise(torch.full((65, 9), 0.5), hop=64, sample_rate=16000, n_samples=4096, generator=g)
    >>> 0.45 < float(y.pow(2).mean().sqrt()) < 0.55
    True
    """
    check_finite("noise band_gains", band_gains)
    device = band_gains.device
    n_fft = 2 * hop
    n_noise = max(n_samples, n_fft)
    noise = torch.randn(n_noise, generator=generator, device=device, dtype=torch.float32)
    window = torch.hann_window(n_fft, device=device, dtype=torch.float32)
    spec = torch.stft(noise, n_fft, hop_length=hop, window=window, center=True, return_complex=True)
    n_frames = spec.shape[1]
    gains = band_gains.to(torch.float32)
    if gains.shape[0] < n_frames:
        gains = torch.cat([gains, gains[-1:].expand(n_frames - gains.shape[0], -1)], 0)
    bin_gains = gains[:n_frames] @ band_gain_matrix(n_fft, sample_rate=sample_rate, device=device)
    return torch.istft(spec * bin_gains.T, n_fft, hop_length=hop, window=window, center=True, length=n_noise)[:n_samples]
