"""Sung pitch: notes -> an f0 contour with the fluctuations of a singing voice.

Following Saitou et al. (2007, "Speech-to-singing synthesis"), each note
change is shaped by second-order systems: a forward one gives the overshoot
after the change, a time-reversed one the preparation before it; their mean
is a smooth, slightly overshooting transition centred on the change. Each
change has its own dynamics, as a singer's has:

- **tempo**: between short notes the transition is quicker (natural
  frequency scaled by ``0.4 s / shorter note``, within 0.8..1.8), so a fast
  run still reaches its notes; between long notes it takes its time;
- **interval**: a leap of a fourth or more on notes longer than 0.3 s is a
  portamento (slower, better damped: a glide, not a scoop), a step of one or
  two semitones gets a little more overshoot than the original model.

Then vibrato is added on notes of at least 0.4 s: it starts late (after 30%
of the note, at least 0.18 s), ramps in over 0.3 s, and each note has its
own seeded depth (x0.65..1.35 of the default) and rate (5.0..6.2 Hz) that
drifts up by about 6% over the note, as a singer's vibrato quickens towards
a note's end; then a small seeded fine fluctuation and the pitch-bend
curve, in semitones. The track's vibrato curves, when given, replace the
default depth and rate (the per-note variation still applies to the rate).

Examples
--------
>>> import numpy as np
>>> times = np.arange(0.0, 1.0, 0.005)
>>> f0 = sung_f0_hz(times, [(69, 0.0, 0.5), (71, 0.5, 1.0)], rng=np.random.default_rng(0))
>>> bool(abs(f0[50] - 440.0) < 5.0), bool(abs(f0[180] - 493.9) < 8.0)
(True, True)
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal

from lemm.units import midi_to_hz

__all__ = ["sung_f0_hz", "DEFAULT_VIBRATO_DEPTH_CENTS", "DEFAULT_VIBRATO_RATE_HZ"]

#: Vibrato on long notes when the track has no vibrato curves: peak deviation in cents.
DEFAULT_VIBRATO_DEPTH_CENTS = 22.0
#: Vibrato rate when the track has no vibrato_rate_hz curve.
DEFAULT_VIBRATO_RATE_HZ = 5.5

_OVERSHOOT = (34.8, 0.5422)  # natural frequency rad/s, damping (Saitou et al. 2007)
_PREPARATION = (28.7, 0.6)
_STEP_DAMPING = 0.45  # steps of 1-2 semitones: a little more overshoot
_PORTAMENTO = (0.6, 0.8)  # leaps of >= 5 semitones between notes >= 0.3 s: natural frequency x0.6, damping 0.8
_PORTAMENTO_MIN_NOTE_SECONDS = 0.3
_TEMPO_REFERENCE_SECONDS = 0.4
_TEMPO_SCALE_RANGE = (0.8, 1.8)
_VIBRATO_DELAY_SHARE = 0.3
_VIBRATO_MIN_DELAY_SECONDS = 0.18
_VIBRATO_RAMP_SECONDS = 0.3
_VIBRATO_MIN_NOTE_SECONDS = 0.4
_VIBRATO_DEPTH_SPREAD = 0.35  # per-note depth x (1 +/- this)
_VIBRATO_RATE_RANGE_HZ = (5.0, 6.2)  # per-note rate (default rate curve)
_VIBRATO_RATE_DRIFT = 0.06  # the rate rises this much over a note
_FINE_STD_SEMITONES = 0.05
_PHRASE_SCOOP_SEMITONES = 0.3


@functools.lru_cache(maxsize=256)
def _coefficients(omega: float, zeta: float, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Digital (bilinear-transform) coefficients of the second-order system ``omega^2 / (s^2 + 2 zeta omega s + omega^2)``.

    The transform in closed form (``s = 2 fs (z - 1) / (z + 1)``): the same coefficients as
    ``scipy.signal.bilinear`` to within 1e-16, at a thousandth of its cost (its polynomial
    algebra took 6 ms a call, 0.47 s of a 3:30 song's singing).

    >>> b, a = _coefficients(34.8, 0.5422, 200.0)
    >>> rb, ra = signal.bilinear([34.8**2], [1.0, 2.0 * 0.5422 * 34.8, 34.8**2], fs=200.0)
    >>> bool(np.allclose(b, rb, rtol=1e-14, atol=0) and np.allclose(a, ra, rtol=1e-14, atol=0))
    True
    """
    k = 2.0 * frame_rate
    a0 = k * k + 2.0 * zeta * omega * k + omega * omega
    gain = omega * omega / a0
    return (np.array([gain, 2.0 * gain, gain]),
            np.array([1.0, 2.0 * (omega * omega - k * k) / a0, (k * k - 2.0 * zeta * omega * k + omega * omega) / a0]))


def _step_response(n: int, omega: float, zeta: float, frame_rate: float) -> np.ndarray:
    """Unit step response of the second-order system over ``n`` frames."""
    b, a = _coefficients(float(omega), float(zeta), float(frame_rate))
    return signal.lfilter(b, a, np.ones(n))


def transition_dynamics(interval_semitones: float, shorter_note_seconds: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(omega, zeta) of the overshoot and of the preparation for one note change.

    Parameters
    ----------
    interval_semitones : float
        The change, signed.
    shorter_note_seconds : float
        The shorter of the two notes' lengths.

    Returns
    -------
    overshoot, preparation : tuple of (natural frequency rad/s, damping)

    Examples
    --------
    >>> fast, slow = transition_dynamics(2, 0.2), transition_dynamics(2, 0.8)
    >>> fast[0][0] > slow[0][0]
    True
    >>> transition_dynamics(7, 0.6)[0][1]  # a leap between long notes glides
    0.8
    """
    scale = float(np.clip(_TEMPO_REFERENCE_SECONDS / max(shorter_note_seconds, 1e-3), *_TEMPO_SCALE_RANGE))
    (w_o, z_o), (w_p, z_p) = _OVERSHOOT, _PREPARATION
    size = abs(interval_semitones)
    if size >= 5 and shorter_note_seconds >= _PORTAMENTO_MIN_NOTE_SECONDS:
        return (w_o * scale * _PORTAMENTO[0], _PORTAMENTO[1]), (w_p * scale * _PORTAMENTO[0], _PORTAMENTO[1])
    if size <= 2:
        z_o = _STEP_DAMPING
    return (w_o * scale, z_o), (w_p * scale, z_p)


def _melody_contour(t: np.ndarray, notes: list[tuple[int, float, float]], frame_rate: float) -> np.ndarray:
    """The notes' pitch with each change shaped by its own overshoot and preparation (semitones)."""
    n = t.size
    starts = np.array([s for _p, s, _e in notes])
    pitches = np.array([p for p, _s, _e in notes], dtype=np.float64)
    lengths = np.array([e - s for _p, s, e in notes])
    midi = np.full(n, pitches[0])
    scoop_at = starts[0] - 0.05
    changes = [(scoop_at, _PHRASE_SCOOP_SEMITONES, max(lengths[0], 0.2))]  # a small scoop up into the phrase
    midi -= _PHRASE_SCOOP_SEMITONES
    for k in range(1, len(notes)):
        if pitches[k] != pitches[k - 1]:
            changes.append((starts[k], pitches[k] - pitches[k - 1], min(lengths[k - 1], lengths[k])))
    for at, size, shorter in changes:
        over, prep = transition_dynamics(size, shorter)
        k0 = int(np.searchsorted(t, at))
        if k0 < n:  # the overshoot: half the step, as the forward system's response
            midi[k0:] += 0.5 * size * _step_response(n - k0, *over, frame_rate)
        if k0 > 0:  # the preparation: the time-reversed system's response leads into the change
            midi[:k0] += 0.5 * size * (1.0 - _step_response(k0, *prep, frame_rate)[::-1])
        midi[k0:] += 0.5 * size
    return midi


def sung_f0_hz(
    times_seconds: np.ndarray,
    notes: list[tuple[int, float, float]],
    *,
    rng: np.random.Generator,
    vibrato_depth_cents: np.ndarray | None = None,
    vibrato_rate_hz: np.ndarray | None = None,
    pitch_bend_semitones: np.ndarray | None = None,
) -> np.ndarray:
    """The f0 contour of a sung phrase at the given frame times.

    Parameters
    ----------
    times_seconds : np.ndarray [shape=(n_frames,)]
        Evenly spaced frame times, in seconds.
    notes : list of (midi_pitch, start_seconds, end_seconds)
        The phrase's notes in time order.
    rng : np.random.Generator
        Source of the fine fluctuation and of small per-note vibrato rate changes.
    vibrato_depth_cents, vibrato_rate_hz : np.ndarray [shape=(n_frames,)] or None
        The track's vibrato curves at the frame times; None gives gentle vibrato on long notes.
    pitch_bend_semitones : np.ndarray [shape=(n_frames,)] or None
        Added to the pitch.

    Returns
    -------
    np.ndarray [shape=(n_frames,)], float64 Hz
    """
    t = np.asarray(times_seconds, dtype=np.float64)
    n = t.size
    if n == 0 or not notes:
        return np.zeros(n)
    frame_rate = 1.0 / (t[1] - t[0]) if n > 1 else 200.0
    midi = _melody_contour(t, notes, frame_rate)
    pad = int(round(0.5 * frame_rate))

    vib = np.zeros(n)
    for _p, s, e in notes:
        depth_jitter = 1.0 + _VIBRATO_DEPTH_SPREAD * (2.0 * rng.random() - 1.0)
        rate_pick = rng.uniform(*_VIBRATO_RATE_RANGE_HZ)
        if vibrato_depth_cents is None and e - s < _VIBRATO_MIN_NOTE_SECONDS:
            continue
        sel = (t >= s) & (t < e)
        if not np.any(sel):
            continue
        delay = max(_VIBRATO_DELAY_SHARE * (e - s), _VIBRATO_MIN_DELAY_SECONDS)
        local = t[sel] - s - delay
        env = 0.5 - 0.5 * np.cos(np.pi * np.clip(local / _VIBRATO_RAMP_SECONDS, 0.0, 1.0))
        depth = DEFAULT_VIBRATO_DEPTH_CENTS * depth_jitter if vibrato_depth_cents is None else vibrato_depth_cents[sel]
        base_rate = rate_pick if vibrato_rate_hz is None else vibrato_rate_hz[sel] * rate_pick / DEFAULT_VIBRATO_RATE_HZ
        drift = 1.0 + _VIBRATO_RATE_DRIFT * np.clip((t[sel] - s) / max(e - s, 1e-3), 0.0, 1.0)
        rate = np.broadcast_to(np.asarray(base_rate, dtype=np.float64), local.shape) * drift
        phase = 2.0 * np.pi * np.cumsum(np.where(local > 0, rate, 0.0)) / frame_rate
        vib[sel] = env * depth * np.sin(phase) / 100.0

    noise = rng.standard_normal(n + 2 * pad)
    b, a = signal.butter(2, min(8.0 / (0.5 * frame_rate), 0.99))
    fine = signal.lfilter(b, a, noise)[pad : pad + n]
    fine *= _FINE_STD_SEMITONES / max(float(np.std(fine)), 1e-9) if n > 1 else 0.0
    midi = midi + vib + fine
    if pitch_bend_semitones is not None:
        midi = midi + pitch_bend_semitones
    return midi_to_hz(midi)
