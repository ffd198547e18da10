"""A singer's spectrum from espeak-ng's speech: harmonics above 4 kHz, breath, and the presence region.

Why the speech source is muffled: espeak-ng's Klatt voices (``en-us+klatt5``,
the source of lemm's singing) synthesise voiced sounds with a cascade of
formant resonators that ends near 4 kHz; above it the voiced spectrum falls
by 40-60 dB within a few hundred hertz (the speech is 22.05 kHz, so the
cut-off is the synthesiser's, not the sample rate's). Only the noise of
fricatives and bursts reaches higher. Sung from that envelope, every harmonic
stops near 4.5 kHz and the voice sounds muffled; the 3 kHz region sits about
24 dB under 500 Hz, where a singer's sits 10-15 dB under it.

:func:`brighten_envelope` mends the envelope of voiced frames after it is
mapped onto the output rate's bins:

- **bandwidth extension**: above ``crossover_hz`` the log envelope is raised to
  at least the level of the 2.5-3.8 kHz region continued with a
  ``slope_db_per_octave`` roll-off (the spectral tilt of a voice's upper
  harmonics), faded in over 600 Hz, so the harmonics go on to the top;
- **breath**: above ``breath_start_hz`` the aperiodicity of voiced frames
  rises to ``breath_top`` by one octave higher: the upper harmonics come with
  breath noise, as in a real voice, instead of a comb of pure partials;
- **presence**: a bell of ``presence_db`` centred on 3 kHz (a third of an
  octave wide, standard deviation in octaves) lifts the region where a
  singer's higher formants cluster.

Unvoiced frames (fricatives, bursts) keep their envelope: their noise already
reaches the top. ``voiced_weight`` (0..1 per frame) crossfades the two.

Examples
--------
>>> import numpy as np
>>> freqs = np.arange(1025) * 12000.0 / 1024
>>> dull = np.where(freqs < 4200.0, 1.0, 1e-6)[None, :]  # flat to 4.2 kHz, -60 dB above
>>> sp, ap = brighten_envelope(dull, np.full_like(dull, 0.05), np.ones(1), sample_rate=24000, presence_db=0.0)
>>> level_db = 10 * np.log10(sp[0])
>>> bool(-26.0 < level_db[np.searchsorted(freqs, 6300.0)] < -22.0)  # one octave above 3.15 kHz: ~ -24 dB
True
>>> round(float(ap[0, np.searchsorted(freqs, 10000.0)]), 2)
0.3
"""

from __future__ import annotations

import numpy as np

from lemm.errors import ParameterError

__all__ = ["brighten_envelope"]

_REFERENCE_BAND_HZ = (2500.0, 3800.0)
_REFERENCE_CENTRE_HZ = 3150.0
_FADE_HZ = 600.0
_PRESENCE_CENTRE_HZ = 3000.0
_PRESENCE_WIDTH_OCTAVES = 0.3
_LN_PER_DB = np.log(10.0) / 10.0


def brighten_envelope(
    spectral_envelope: np.ndarray,
    aperiodicity: np.ndarray,
    voiced_weight: np.ndarray,
    *,
    sample_rate: int,
    crossover_hz: float = 3800.0,
    slope_db_per_octave: float = 24.0,
    presence_db: float = 6.0,
    breath_start_hz: float = 4500.0,
    breath_top: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """Extend voiced harmonics past the speech source's 4 kHz cut-off, add breath and presence.

    Parameters
    ----------
    spectral_envelope : np.ndarray [shape=(n_frames, fft_size // 2 + 1)]
        Power envelope at ``sample_rate``'s bins.
    aperiodicity : np.ndarray [shape=(n_frames, fft_size // 2 + 1)]
        0 (periodic) .. 1 (noise).
    voiced_weight : np.ndarray [shape=(n_frames,)]
        1 on voiced frames, 0 on unvoiced ones (crossfaded in between).
    sample_rate : int
        Rate whose FFT bins the envelopes are on, Hz.
    crossover_hz : float
        The extension fades in from here (over 600 Hz).
    slope_db_per_octave : float
        Roll-off of the extended harmonics from the 2.5-3.8 kHz level, >= 0.
    presence_db : float
        Gain of the 3 kHz bell on voiced frames, 0..18 dB.
    breath_start_hz : float
        Aperiodicity of voiced frames rises from here ...
    breath_top : float
        ... to this, one octave higher, 0..1.

    Returns
    -------
    spectral_envelope, aperiodicity : np.ndarray, the input shapes

    Raises
    ------
    ParameterError
        For shapes that do not match or options out of range.
    """
    sp = np.asarray(spectral_envelope, dtype=np.float64)
    ap = np.asarray(aperiodicity, dtype=np.float64)
    weight = np.clip(np.asarray(voiced_weight, dtype=np.float64), 0.0, 1.0)
    if sp.ndim != 2 or ap.shape != sp.shape or weight.shape != (sp.shape[0],):
        raise ParameterError.for_field("envelope shapes", (sp.shape, ap.shape, weight.shape), "(n_frames, n_bins) twice and (n_frames,)")
    if not 0.0 <= presence_db <= 18.0:
        raise ParameterError.for_field("presence_db", presence_db, "a gain in 0..18 dB")
    if not slope_db_per_octave >= 0.0:
        raise ParameterError.for_field("slope_db_per_octave", slope_db_per_octave, "a roll-off >= 0 dB per octave")
    if not 0.0 <= breath_top <= 1.0:
        raise ParameterError.for_field("breath_top", breath_top, "an aperiodicity in 0..1")
    n_bins = sp.shape[1]
    freqs = np.arange(n_bins) * (0.5 * sample_rate / (n_bins - 1))
    log_sp = np.log(np.maximum(sp, 1e-16))
    band = (freqs >= _REFERENCE_BAND_HZ[0]) & (freqs <= min(_REFERENCE_BAND_HZ[1], 0.5 * sample_rate))
    if not np.any(band) or sp.shape[0] == 0:
        return sp, ap
    reference = np.log(np.mean(sp[:, band], axis=1, keepdims=True))
    octaves = np.log2(np.maximum(freqs, _REFERENCE_CENTRE_HZ) / _REFERENCE_CENTRE_HZ)
    extension = reference - slope_db_per_octave * _LN_PER_DB * octaves[None, :]
    fade = 0.5 - 0.5 * np.cos(np.pi * np.clip((freqs - crossover_hz) / _FADE_HZ, 0.0, 1.0))
    w = weight[:, None]
    lift = np.maximum(extension - log_sp, 0.0) * fade[None, :]
    bell = presence_db * _LN_PER_DB * np.exp(-0.5 * (np.log2(np.maximum(freqs, 1.0) / _PRESENCE_CENTRE_HZ) / _PRESENCE_WIDTH_OCTAVES) ** 2)
    out_sp = np.exp(log_sp + w * (lift + bell[None, :]))
    ramp = np.clip(np.log2(np.maximum(freqs, 1.0) / breath_start_hz), 0.0, 1.0)
    breath = breath_top * ramp[None, :]
    out_ap = ap + w * (ramp[None, :] > 0) * (breath - ap)
    return out_sp, out_ap
