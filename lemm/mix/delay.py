"""The shared delay (echo) bus: band-limited, feedback repeats, optionally ping-pong.

The send is band-passed once (``highpass_hz`` .. ``lowpass_hz``, 2nd-order
Butterworth each) and repeated every ``time_ms`` with gain ``feedback ** (k - 1)``
for repeat ``k``, until the repeats fall below -60 dB (at most 32). This is a
feedback delay whose loop holds no filter, written as a sum of shifted copies
(exact, vectorised, no per-sample loop). Ping-pong sends the mono sum of the
send to the left channel on odd repeats and to the right on even ones;
otherwise each channel echoes itself. The tail is cut at the input's length.

Examples
--------
>>> import numpy as np
>>> click = np.zeros((1, 8000)); click[0, 0] = 1.0
>>> wet = delay(click, sample_rate=8000, time_ms=100.0, feedback=0.5, highpass_hz=0.0, lowpass_hz=4000.0, ping_pong=True)
>>> [int(np.argmax(np.abs(wet[c]))) for c in range(2)]      # first echo left at 100 ms, second right at 200 ms
[800, 1600]
>>> round(float(np.abs(wet[1]).max() / np.abs(wet[0]).max()), 2)
0.5
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal

from lemm.mix._validate import as_audio, check_number, check_sample_rate

__all__ = ["delay"]

_MAX_REPEATS = 32


def delay(
    audio: np.ndarray,
    *,
    sample_rate: int,
    time_ms: float = 375.0,
    feedback: float = 0.3,
    highpass_hz: float = 300.0,
    lowpass_hz: float = 6000.0,
    ping_pong: bool = True,
) -> np.ndarray:
    """The wet delay signal of ``audio`` [shape=(2, n_samples)], float32, same length.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)]
        The send bus, mono or stereo.
    sample_rate : int
        Hz.
    time_ms : float
        Time between repeats, 1..4000 ms.
    feedback : float
        Gain of each repeat relative to the previous one, 0..0.95.
    highpass_hz, lowpass_hz : float
        Band of the echoes (``highpass_hz`` 0 = none; ``lowpass_hz`` at or
        above 0.45 * sample_rate = none).
    ping_pong : bool
        Alternate the repeats between left and right.
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    time_ms = check_number(time_ms, "time_ms", 1.0, 4000.0)
    feedback = check_number(feedback, "feedback", 0.0, 0.95)
    highpass_hz = check_number(highpass_hz, "highpass_hz", 0.0, 2000.0)
    lowpass_hz = check_number(lowpass_hz, "lowpass_hz", 500.0, 24000.0)
    n = a.shape[1]
    out = np.zeros((2, n), dtype=np.float32)
    step = max(1, int(round(time_ms * 1e-3 * rate)))
    if n <= step or not np.any(a):
        return out
    x = (a.sum(axis=0, keepdims=True) * np.float32(0.5 if a.shape[0] == 2 else 1.0)) if ping_pong else a
    sections = []
    if highpass_hz > 0.0:
        sections.append(scipy.signal.butter(2, highpass_hz, btype="highpass", fs=rate, output="sos"))
    if lowpass_hz < 0.45 * rate:
        sections.append(scipy.signal.butter(2, lowpass_hz, btype="lowpass", fs=rate, output="sos"))
    if sections:
        x = scipy.signal.sosfilt(np.concatenate(sections).astype(np.float32), x, axis=-1).astype(np.float32, copy=False)
    n_repeats = 1 if feedback == 0.0 else min(_MAX_REPEATS, 1 + int(math.log(1e-3) / math.log(feedback)))
    for k in range(1, n_repeats + 1):
        shift = k * step
        if shift >= n:
            break
        gain = np.float32(feedback ** (k - 1))
        if ping_pong:
            channel = out[0 if k % 2 == 1 else 1]
            channel[shift:] += gain * x[0, : n - shift]
        else:
            out[:, shift:] += gain * x[:, : n - shift]  # a mono send broadcasts to both channels
    return out
