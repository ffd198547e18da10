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
  single-cycle table per table frame (built by an inverse FFT of the harmonic
  amplitudes) read at the accumulated phase, crossfaded between frames, in
  chunks. Each (table, point) is stored as the four bilinear coefficients of
  its cell, so a sample costs one 16-byte gather; positions stay float64, the
  interpolation fractions are float32. Its cost per sample does not depend on
  the number of harmonics.

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
import threading

import torch

from lemm.errors import ParameterError, RenderError
from lemm.validate import check_sample_rate

__all__ = [
    "FRAME_RATE_HZ",
    "NOISE_BAND_CENTERS_HZ",
    "hop_samples",
    "n_frames_for",
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
    return max(1, round(check_sample_rate(sample_rate) / FRAME_RATE_HZ))


def n_frames_for(n_samples: int, hop: int) -> int:
    """Frames needed so that frame ``j * hop`` covers samples ``0..n_samples-1`` (at least 2)."""
    return max(2, -(-max(n_samples - 1, 0) // hop) + 1)


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
    harmonic_phases: torch.Tensor | None = None,
    partial_ratios: torch.Tensor | None = None,
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
    harmonic_phases : torch.Tensor [shape=(n_phases,)], optional
        Phase offset ``psi_k`` of harmonic ``k = 1..n_phases`` in radians (the
        waveform's shape); harmonics past ``n_phases`` take 0. None: all 0.
    partial_ratios : torch.Tensor [shape=(n_harmonics,)], optional
        Frequency of partial ``k`` as a multiple of f0 (``r_k``, replacing ``k``
        in the formula below: an inharmonic bar or stiff string). None: ``r_k = k``.

    Returns
    -------
    torch.Tensor [shape=(n_samples,)]
        ``sum_k a_k[n] * sin(2 pi k phase[n] + psi_k)`` with ``a_k`` zeroed where ``k f0 >= Nyquist``.

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
    if partial_ratios is not None:
        check_finite("partial_ratios", partial_ratios, nonnegative=True)
        if partial_ratios.shape != k.shape:
            raise ParameterError.for_field("partial_ratios", f"shape {tuple(partial_ratios.shape)}", f"one ratio per harmonic, shape ({k.shape[0]},)")
        k = partial_ratios.to(device=amps.device, dtype=torch.float64)
        inc = f0 / sample_rate  # a fractional multiple of the wrapped phase would jump at each wrap: use the whole cycle count
        phase = torch.cumsum(inc, 0) - inc + initial_phase
    harmonic_phase = phase[:, None] * k
    harmonic_phase = harmonic_phase - torch.floor(harmonic_phase.detach())
    mask = nyquist_taper(f0[:, None] * k, sample_rate=sample_rate).to(amps.dtype)
    angle = 2.0 * math.pi * harmonic_phase
    if harmonic_phases is not None:
        angle = angle + _phase_offsets(harmonic_phases, amps.shape[-1]).to(device=angle.device, dtype=torch.float64)
    return (torch.sin(angle).to(amps.dtype) * amps * mask).sum(-1)


def _phase_offsets(harmonic_phases: torch.Tensor, n_harmonics: int) -> torch.Tensor:
    """``harmonic_phases`` cut or zero-padded to ``n_harmonics`` values."""
    psi = torch.as_tensor(harmonic_phases).reshape(-1)[:n_harmonics]
    if not torch.isfinite(psi).all():
        raise RenderError("harmonic_phases holds NaN or inf")
    return torch.nn.functional.pad(psi, (0, n_harmonics - psi.shape[0]))


@functools.lru_cache(maxsize=64)
def _sine_basis(n_harmonics: int, table_size: int, device: str, dtype: torch.dtype, quarter: bool = False) -> torch.Tensor:
    """[n_harmonics, table_size + 1]: sin(2 pi k n / table_size) (``quarter``: cos); the last column wraps to the first."""
    n = torch.arange(table_size + 1, dtype=torch.float64)
    k = torch.arange(1, n_harmonics + 1, dtype=torch.float64)
    cycles = torch.remainder(k[:, None] * n[None, :], table_size) / table_size
    angle = 2.0 * math.pi * cycles
    return (torch.cos(angle) if quarter else torch.sin(angle)).to(device=device, dtype=dtype)


def _table_size(n_harmonics: int) -> int:
    """At least 16 table points per cycle of the top harmonic, 256..1024."""
    return int(min(1024, max(256, 2 ** math.ceil(math.log2(16 * max(n_harmonics, 1))))))


def harmonic_tables(harmonic_amplitudes: torch.Tensor, *, table_size: int, harmonic_phases: torch.Tensor | None = None) -> torch.Tensor:
    """Single-cycle tables [shape=(n_tables, table_size + 1)] from amplitudes [shape=(n_tables, n_harmonics)].

    ``harmonic_phases`` as in :func:`harmonic_synthesis`: table point ``n`` is
    ``sum_k a_k sin(2 pi k n / table_size + psi_k)``.

    Examples
    --------
    >>> t = harmonic_tables(torch.tensor([[1.0]]), table_size=4)
    >>> [round(v, 6) for v in t[0].tolist()]
    [0.0, 1.0, 0.0, -1.0, 0.0]
    >>> t = harmonic_tables(torch.tensor([[1.0]]), table_size=4, harmonic_phases=torch.tensor([math.pi / 2]))
    >>> [round(v, 6) + 0.0 for v in t[0].tolist()]
    [1.0, 0.0, -1.0, 0.0, 1.0]
    """
    n_harmonics, device, dtype = harmonic_amplitudes.shape[-1], str(harmonic_amplitudes.device), harmonic_amplitudes.dtype
    if harmonic_phases is None:
        return harmonic_amplitudes @ _sine_basis(n_harmonics, table_size, device, dtype)
    psi = _phase_offsets(harmonic_phases, n_harmonics).to(device=harmonic_amplitudes.device, dtype=torch.float64)
    # sin(x + psi) = sin(x) cos(psi) + cos(x) sin(psi)
    sines = (harmonic_amplitudes * torch.cos(psi).to(dtype)) @ _sine_basis(n_harmonics, table_size, device, dtype)
    return sines + (harmonic_amplitudes * torch.sin(psi).to(dtype)) @ _sine_basis(n_harmonics, table_size, device, dtype, quarter=True)


_WORKSPACE = threading.local()


def _buffer(name: str, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A per-thread scratch tensor reused across calls (fresh large allocations page-fault on every voice)."""
    cache = getattr(_WORKSPACE, "buffers", None)
    if cache is None:
        cache = _WORKSPACE.buffers = {}
    numel = math.prod(shape)
    key = (name, dtype, str(device))
    buf = cache.get(key)
    if buf is None or buf.numel() < numel:
        buf = cache[key] = torch.empty(max(numel, 1), dtype=dtype, device=device)
    return buf[:numel].view(shape)


@functools.lru_cache(maxsize=16)
def _chunk_layout(n: int, table_hop: int, size: int, device: str, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Per sample of a chunk starting on a table boundary: row offset ``table * size`` and crossfade fraction."""
    sample = torch.arange(n, device=device)
    j = torch.div(sample, table_hop, rounding_mode="floor")
    t_frac = (sample - j * table_hop).to(dtype) / table_hop
    return j * size, t_frac


def _fft_tables(harmonic_amplitudes: torch.Tensor, table_size: int, harmonic_phases: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`harmonic_tables` by an inverse real FFT (needs ``n_harmonics < table_size / 2``; no BLAS call)."""
    n_tables, n_harmonics = harmonic_amplitudes.shape
    complex_dtype = torch.complex64 if harmonic_amplitudes.dtype == torch.float32 else torch.complex128
    spec = torch.zeros(n_tables, table_size // 2 + 1, dtype=complex_dtype, device=harmonic_amplitudes.device)
    if harmonic_phases is None:
        spec.imag[:, 1 : n_harmonics + 1] = harmonic_amplitudes * (-table_size / 2.0)
    else:  # a sin(x + psi) is the real part of -i a e^(i psi) e^(i x)
        psi = _phase_offsets(harmonic_phases, n_harmonics).to(device=harmonic_amplitudes.device, dtype=torch.float64)
        spec.real[:, 1 : n_harmonics + 1] = harmonic_amplitudes * (torch.sin(psi) * (table_size / 2.0)).to(harmonic_amplitudes.dtype)
        spec.imag[:, 1 : n_harmonics + 1] = harmonic_amplitudes * (torch.cos(psi) * (-table_size / 2.0)).to(harmonic_amplitudes.dtype)
    tables = torch.fft.irfft(spec, table_size)
    return torch.cat([tables, tables[:, :1]], 1)


def _band_limited_tables(
    f0_max_hz: torch.Tensor, harmonic_amplitudes: torch.Tensor, *, sample_rate: int, max_ratio: float, harmonic_phases: torch.Tensor | None = None
) -> torch.Tensor:
    """Wavetables [shape=(n_tables, size + 1)] of ``harmonic_amplitudes`` [shape=(n_tables, n_harmonics)] with every
    harmonic at or above Nyquist at ``f0_max_hz * max_ratio`` [shape=(n_tables,)] zeroed (tapered below it);
    ``harmonic_phases`` as in :func:`harmonic_synthesis`."""
    k = torch.arange(1, harmonic_amplitudes.shape[1] + 1, device=harmonic_amplitudes.device, dtype=torch.float32)
    top = f0_max_hz.to(torch.float32)[:, None] * k * max_ratio
    amps = harmonic_amplitudes * nyquist_taper(top, sample_rate=sample_rate).to(harmonic_amplitudes.dtype)
    live = (amps.abs().amax(0) > 0).nonzero()
    n_live = int(live.max().item()) + 1 if live.numel() else 1
    return _fft_tables(amps[:, :n_live], _table_size(n_live), harmonic_phases)


def _bilinear_rows(tables: torch.Tensor) -> torch.Tensor:
    """[(n_tables - 1) * size, 4] coefficients ``(a, b, c, d)`` per (table, point), in a per-thread scratch buffer.

    The value at point ``i + frac`` crossfaded ``t`` of the way to the next table is
    ``a + b * frac + t * (c + d * frac)``, so one row read gives all four corners.
    """
    size = tables.shape[1] - 1
    rows = _buffer("bilinear", (tables.shape[0] - 1, size, 4), tables.dtype, tables.device)
    t0, t1 = tables[:-1], tables[1:]
    a = t0[:, :-1]
    rows[..., 0] = a
    torch.sub(t0[:, 1:], a, out=rows[..., 1])
    torch.sub(t1[:, :-1], a, out=rows[..., 2])
    torch.sub(t1[:, 1:], t1[:, :-1], out=rows[..., 3])
    rows[..., 3] -= rows[..., 1]
    return rows.view(-1, 4)


def _lerp_frames(frames: torch.Tensor, hop: int, n: int, name: str) -> torch.Tensor:
    """``frames`` (frame ``j`` at sample ``j * hop``) linearly interpolated to ``n`` samples (ends held), in scratch ``name``."""
    n_blocks = -(-n // hop)
    f = frames[: n_blocks + 1]
    if f.shape[0] < n_blocks + 1:
        f = torch.cat([f, f[-1:].expand(n_blocks + 1 - f.shape[0])])
    ramp = _ramp(hop, f.dtype, str(f.device))
    full = _buffer(name, (n_blocks, hop), f.dtype, f.device)
    torch.addcmul(f[:-1, None], (f[1:] - f[:-1])[:, None], ramp, out=full)
    return full.view(-1)[:n]


@functools.lru_cache(maxsize=16)
def _ramp(hop: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    return (torch.arange(hop, dtype=torch.float64, device=device) / hop).to(dtype)[None, :]


def _read_tables(
    rows: torch.Tensor, size: int, position: torch.Tensor, table_base: torch.Tensor, t_frac: torch.Tensor, out: torch.Tensor
) -> torch.Tensor:
    """Read :func:`_bilinear_rows` at ``position`` [shape=(n_copies, n)] (float64 table points, wrapped here) into ``out``.

    ``size`` is a power of two, so wrapping the integer point is a bit mask;
    the fraction between points is float32, the position float64.
    """
    shape, device = position.shape, position.device
    frac = _buffer("frac", shape, rows.dtype, device)
    index = _buffer("index", shape, torch.int64, device)
    index.copy_(position)  # truncation == floor: positions are >= 0
    torch.sub(position, index, out=frac)
    index.bitwise_and_(size - 1).add_(table_base)
    if rows.dtype == torch.float32:  # one 16-byte element per row reads several times faster
        q = _buffer("rows", (index.numel(),), torch.complex128, device)
        torch.index_select(rows.view(torch.complex128).reshape(-1), 0, index.view(-1), out=q)
        q = q.view(torch.float32)
    else:
        q = rows.index_select(0, index.view(-1))
    q = q.view(shape + (4,))
    hi = _buffer("hi", shape, rows.dtype, device)
    torch.addcmul(q[..., 0], q[..., 1], frac, out=out)
    torch.addcmul(q[..., 2], q[..., 3], frac, out=hi)
    return out.addcmul_(hi, t_frac)


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
    harmonic_phases: torch.Tensor | None = None,
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
        Samples rendered at once (bounds memory for long notes); rounded down to
        a multiple of ``hop * table_hop_frames``.
    harmonic_phases : torch.Tensor [shape=(n_phases,)], optional
        Per-harmonic phase offsets in radians, as in :func:`harmonic_synthesis`.

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
    return _wavetable_voice(
        f0_hz, amplitude, harmonic_amplitudes, hop=hop, table_hop_frames=table_hop_frames, sample_rate=sample_rate,
        n_samples=n_samples, detune_ratios=detune_ratios, initial_phases=initial_phases, chunk_samples=chunk_samples,
        harmonic_phases=harmonic_phases,
    )  # fmt: skip


def _wavetable_voice(
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
    tables: torch.Tensor | None = None,
    harmonic_phases: torch.Tensor | None = None,
    copy_f0_ratios: torch.Tensor | None = None,
) -> torch.Tensor:
    """:func:`wavetable_voice` without the finiteness checks (for callers whose controls are already checked);
    ``tables`` [shape=(n_tables, size + 1)], from :func:`_band_limited_tables`, skips building them
    (``harmonic_phases`` is then unused: the tables hold it). ``copy_f0_ratios`` [shape=(n_copies, n_frames)],
    float64, near 1, moves each copy's pitch on its own (players of an ensemble drifting apart); the
    tables must then leave headroom for them (``max_ratio``)."""
    device = f0_hz.device
    table_hop = hop * table_hop_frames
    n_tables = harmonic_amplitudes.shape[0]
    if n_tables < 2 or (n_tables - 1) * table_hop < n_samples - 1:
        raise ParameterError.for_field("harmonic_amplitudes frames", n_tables, f"enough tables to cover {n_samples} samples")
    if not detune_ratios or not all(math.isfinite(r) and r > 0 for r in detune_ratios):
        raise ParameterError.for_field("detune_ratios", detune_ratios, "one or more finite ratios > 0")
    if tables is None:
        # Highest f0 each table is heard at: frames within one table hop either side.
        f0_max = torch.nn.functional.max_pool1d(
            f0_hz.to(torch.float32)[None, None], kernel_size=2 * table_hop_frames + 1, stride=1, padding=table_hop_frames
        )[0, 0]
        idx = torch.clamp(torch.arange(n_tables, device=device) * table_hop_frames, max=f0_hz.shape[0] - 1)
        headroom = float(copy_f0_ratios.max()) if copy_f0_ratios is not None else 1.0
        tables = _band_limited_tables(
            f0_max[idx], harmonic_amplitudes, sample_rate=sample_rate, max_ratio=max(detune_ratios) * headroom,
            harmonic_phases=harmonic_phases,
        )  # fmt: skip
    phases = [float(p) % 1.0 for p in initial_phases] if initial_phases is not None else [0.0] * len(detune_ratios)
    size = tables.shape[1] - 1
    tables = torch.cat([tables, tables[-1:]], 0)  # the last table crossfades into itself
    f0_frames = f0_hz.to(torch.float64) / sample_rate  # cycles per sample at each frame
    n_copies = len(detune_ratios)
    scale = torch.tensor([r * size for r in detune_ratios], dtype=torch.float64, device=device)[:, None]
    chunk = max(table_hop, chunk_samples // table_hop * table_hop)
    out = torch.empty(n_copies, n_samples, device=device, dtype=harmonic_amplitudes.dtype)
    for start in range(0, n_samples, chunk):
        n = min(n_samples, start + chunk) - start
        frame0, table0 = start // hop, start // table_hop
        n_rows = -(-n // table_hop)
        rows = _bilinear_rows(tables[table0 : table0 + n_rows + 1])
        table_base, t_frac = _chunk_layout(chunk, table_hop, size, str(device), rows.dtype)
        inc = _lerp_frames(f0_frames[frame0:], hop, n, "inc")
        amp = _lerp_frames(amplitude[frame0:].to(out.dtype), hop, n, "amp")
        # position in table points: (phase + cycles since the chunk start * ratio) * size, float64
        position = _buffer("position", (n_copies, n), torch.float64, device)
        offset = torch.tensor([p * size for p in phases], dtype=torch.float64, device=device)[:, None]
        if copy_f0_ratios is None:
            cycles = _buffer("cycles", (n,), torch.float64, device)
            cycles[0] = 0.0
            torch.cumsum(inc[:-1], 0, out=cycles[1:])
            lasts = [float(cycles[-1]) + float(inc[-1])] * n_copies
            torch.addcmul(offset, cycles[None], scale, out=position)
        else:
            lasts = []
            for c in range(n_copies):
                inc_c = inc * _lerp_frames(copy_f0_ratios[c, frame0:], hop, n, "copy ratio")
                cycles = _buffer("cycles", (n,), torch.float64, device)
                cycles[0] = 0.0
                torch.cumsum(inc_c[:-1], 0, out=cycles[1:])
                lasts.append(float(cycles[-1]) + float(inc_c[-1]))
                torch.addcmul(offset[c], cycles, scale[c], out=position[c])
        _read_tables(rows, size, position, table_base[:n], t_frac[:n], out[:, start : start + n])
        out[:, start : start + n].mul_(amp)
        phases = [float((ph + last * ratio) % 1.0) for ph, ratio, last in zip(phases, detune_ratios, lasts, strict=True)]
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
    return _shape_noise(noise[None], band_gains[None], hop=hop, sample_rate=sample_rate)[0, :n_samples]


def _shape_noise(noise: torch.Tensor, band_gains: torch.Tensor, *, hop: int, sample_rate: int) -> torch.Tensor:
    """:func:`filtered_noise` for a batch: ``noise`` [shape=(batch, n)] (n >= 2 * hop) shaped by ``band_gains``
    [shape=(batch, n_frames, n_bands)] (last frame held); returns [shape=(batch, n)]."""
    device = noise.device
    n_fft = 2 * hop
    window = torch.hann_window(n_fft, device=device, dtype=torch.float32)
    spec = torch.stft(noise, n_fft, hop_length=hop, window=window, center=True, return_complex=True)
    n_frames = spec.shape[-1]
    gains = band_gains.to(torch.float32)
    if gains.shape[1] < n_frames:
        gains = torch.cat([gains, gains[:, -1:].expand(-1, n_frames - gains.shape[1], -1)], 1)
    bin_gains = gains[:, :n_frames] @ band_gain_matrix(n_fft, sample_rate=sample_rate, device=device)
    return _istft_half_overlap(spec * bin_gains.transpose(1, 2), window, hop=hop, length=noise.shape[-1])


def _istft_half_overlap(spec: torch.Tensor, window: torch.Tensor, *, hop: int, length: int) -> torch.Tensor:
    """``torch.istft(spec, 2 * hop, hop_length=hop, window=window, center=True, length=length)``, bit for bit, ~4x faster.

    With ``n_fft = 2 * hop`` every sample is the sum of two windowed frames (one at the
    ends), divided by the sum of their squared windows: the same inverse FFT call, the
    same products, sums and quotients as torch's (tested bit for bit, signed zeros
    included), without its general overlap-add of the signal and of the window
    envelope. ``spec`` [shape=(batch, hop + 1, n_frames)] complex; returns [shape=(batch, length)].
    """
    frames = torch.fft.irfft(spec.transpose(1, 2), 2 * hop)  # [batch, n_frames, 2 * hop], as istft calls it
    frames = frames * window
    batch, n_frames = frames.shape[0], frames.shape[1]
    summed = torch.zeros(batch, n_frames + 1, hop, dtype=frames.dtype, device=frames.device)
    summed[:, :n_frames] += frames[:, :, :hop]
    summed[:, 1:] += frames[:, :, hop:]
    squared = window * window
    envelope = (squared[:hop] + squared[hop:]).repeat(n_frames + 1, 1)
    envelope[0] = squared[:hop]
    envelope[n_frames] = squared[hop:]
    return summed.view(batch, -1)[:, hop : hop + length] / envelope.view(-1)[hop : hop + length]
