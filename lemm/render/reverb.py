"""A reverb send: FFT convolution with a parametric decaying-noise impulse response.

The impulse response is seeded white noise per channel under an exponential
decay reaching -60 dB after ``decay_seconds`` (RT60), with a high-frequency
damping that makes the tail darker as it decays, a short fade-in after
``predelay_ms`` and a fade-out over its last 5 %. The send adds
``send_db`` of wet signal (unit-energy IR per channel) to the dry input.

Examples
--------
>>> import numpy as np
>>> ir = reverb_impulse_response(decay_seconds=0.5, sample_rate=16000, seed=0)
>>> ir.shape, ir.dtype.name, round(float((ir**2).sum(1)[0]), 3)
((2, 8160), 'float32', 1.0)
>>> dry = np.zeros((2, 1600), np.float32); dry[:, 0] = 1.0
>>> wet = reverb_send(dry, send_db=-12.0, decay_seconds=0.5, sample_rate=16000, seed=0)
>>> wet.shape, bool(np.abs(wet[:, 800:]).max() > 0)
((2, 9759), True)
"""

from __future__ import annotations

import math

import numpy as np
import torch

from lemm.errors import ParameterError
from lemm.seeding import check_seed, derive_seed

__all__ = ["reverb_impulse_response", "reverb_send"]


def _check(field: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise ParameterError.for_field(field, value, f"a finite number in {low:g}..{high:g}")
    return float(value)


def reverb_impulse_response(
    *,
    decay_seconds: float,
    sample_rate: int,
    seed: int = 0,
    predelay_ms: float = 10.0,
    damping: float = 0.5,
    n_channels: int = 2,
) -> np.ndarray:
    """Decaying-noise impulse response [shape=(n_channels, n_samples)], float32, unit energy per channel.

    Parameters
    ----------
    decay_seconds : float
        RT60 in seconds (0.05..20); the IR lasts ``decay_seconds`` past the pre-delay.
    sample_rate : int
    seed : int
        Seed of the noise (channels are decorrelated).
    predelay_ms : float
        Silence before the tail starts (0..500).
    damping : float
        0..1: how much faster high frequencies decay (0 = flat decay).
    n_channels : int
    """
    rt60 = _check("decay_seconds", decay_seconds, 0.05, 20.0)
    pre = _check("predelay_ms", predelay_ms, 0.0, 500.0)
    damp = _check("damping", damping, 0.0, 1.0)
    check_seed(seed)
    n_pre = int(round(pre / 1000.0 * sample_rate))
    n_tail = int(round(rt60 * sample_rate))
    n = n_pre + n_tail
    g = torch.Generator().manual_seed(derive_seed(seed, "reverb ir"))
    noise = torch.randn(n_channels, n_tail, generator=g, dtype=torch.float64)
    t = torch.arange(n_tail, dtype=torch.float64) / sample_rate
    # Frequency-dependent decay: split into a low and high band with a one-pole split in the FFT domain.
    n_fft = 1 << math.ceil(math.log2(max(n_tail, 2)))
    freqs = torch.fft.rfftfreq(n_fft, 1.0 / sample_rate, dtype=torch.float64)
    low_gain = 1.0 / torch.sqrt(1.0 + (freqs / 2000.0) ** 2)
    spec = torch.fft.rfft(noise, n_fft)
    low = torch.fft.irfft(spec * low_gain, n_fft)[:, :n_tail]
    high = noise - low
    rate = math.log(1000.0) / rt60
    env_low = torch.exp(-rate * t)
    env_high = torch.exp(-rate * (1.0 + 2.0 * damp) * t)
    tail = low * env_low + high * env_high
    fade_in = (t / 0.005).clamp(max=1.0)
    fade_out = ((n_tail - 1 - torch.arange(n_tail, dtype=torch.float64)) / max(1.0, 0.05 * n_tail)).clamp(0.0, 1.0)
    tail = tail * fade_in * fade_out
    tail = tail / tail.pow(2).sum(1, keepdim=True).sqrt().clamp(min=1e-12)
    out = torch.zeros(n_channels, n, dtype=torch.float64)
    out[:, n_pre:] = tail
    return out.float().numpy()


def reverb_send(
    audio: np.ndarray,
    *,
    send_db: float,
    decay_seconds: float = 1.5,
    sample_rate: int,
    seed: int = 0,
    predelay_ms: float = 10.0,
    damping: float = 0.5,
    device: str = "cpu",
) -> np.ndarray:
    """Dry + wet: ``audio`` plus its convolution with :func:`reverb_impulse_response` at ``send_db``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)], float32
    send_db : float
        Level of the wet signal, dB (-120..12).
    decay_seconds, sample_rate, seed, predelay_ms, damping
        As :func:`reverb_impulse_response`.
    device : str
        Torch device of the FFT convolution.

    Returns
    -------
    np.ndarray [shape=(n_channels, n_samples + n_ir - 1)], float32
        The tail is kept (the output is longer than the input).
    """
    x = np.asarray(audio)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ParameterError.for_field("audio", getattr(x, "shape", None), "a finite array of shape (n_channels, n_samples)")
    gain = 10.0 ** (_check("send_db", send_db, -120.0, 12.0) / 20.0)
    ir = reverb_impulse_response(decay_seconds=decay_seconds, sample_rate=sample_rate, seed=seed, predelay_ms=predelay_ms, damping=damping, n_channels=x.shape[0])
    n_out = x.shape[1] + ir.shape[1] - 1
    n_fft = 1 << math.ceil(math.log2(max(n_out, 2)))
    xt = torch.as_tensor(x, dtype=torch.float32, device=device)
    it = torch.as_tensor(ir, dtype=torch.float32, device=device)
    wet = torch.fft.irfft(torch.fft.rfft(xt, n_fft) * torch.fft.rfft(it, n_fft), n_fft)[:, :n_out]
    out = gain * wet
    out[:, : x.shape[1]] += xt
    return out.cpu().numpy().astype(np.float32)
