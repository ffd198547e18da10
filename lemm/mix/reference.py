"""Reference matching: aim the master at a reference track's loudness, tilt and width.

lemm's own design (no code from other matchers): three measured numbers of
the reference set three master settings, and the mastering chain does the rest.

- loudness: ``target_lufs`` = the reference's integrated loudness (clamped
  to -30..-6 LUFS); the ceiling stays where the settings had it;
- spectral tilt: ``tilt_target_db_per_octave`` = the reference's tilt
  (:func:`lemm.mix.spectrum.spectral_tilt`), ``tilt_strength`` = 1, so the
  tilt EQ moves the mix all the way (at most 1.5 dB/octave);
- stereo width: ``stereo_width`` = sqrt(reference side/mid power ratio /
  mix side/mid power ratio), clamped to 0..2 (a mono reference or mono mix
  leaves the width unchanged). The fold-down guard of the master still applies.

Examples
--------
>>> import numpy as np
>>> from lemm.mix.settings import MixSettings
>>> rng = np.random.default_rng(0)
>>> mix = rng.standard_normal((2, 48000 * 3)) * 0.05
>>> reference = rng.standard_normal((2, 48000 * 3)) * 0.2
>>> reference[1] = 0.8 * reference[0] + 0.2 * reference[1]         # narrower than the mix
>>> s = match_reference(MixSettings(), mix, reference, sample_rate=48000)
>>> s.master.stereo_width < 1.0, round(s.master.tilt_target_db_per_octave)
(True, 3)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lemm.errors import ParameterError
from lemm.mix._validate import as_audio, check_sample_rate
from lemm.mix.loudness import integrated_loudness
from lemm.mix.settings import MixSettings
from lemm.mix.spectrum import spectral_tilt
from lemm.mix.stereo import mid_side

__all__ = ["reference_profile", "match_reference"]


def _side_mid_ratio(a: np.ndarray) -> float | None:
    if a.shape[0] == 1:
        return None
    mid, side = mid_side(a.astype(np.float64))
    pm, ps = float(np.dot(mid, mid)), float(np.dot(side, side))
    return None if pm <= 0.0 else ps / pm


def reference_profile(audio: np.ndarray, *, sample_rate: int) -> dict[str, float | None]:
    """``integrated_lufs``, ``spectral_tilt_db_per_octave`` and ``side_mid_ratio`` (None for mono) of ``audio``.

    Raises
    ------
    ParameterError
        Silent audio (nothing above the -70 LUFS gate), or bad audio.
    """
    a = as_audio(audio, field="reference")
    rate = check_sample_rate(sample_rate)
    loudness = integrated_loudness(a, sample_rate=rate)
    if loudness == -math.inf:
        raise ParameterError.for_field("reference", "silence", "audio with content above -70 LUFS")
    return {"integrated_lufs": loudness, "spectral_tilt_db_per_octave": spectral_tilt(a, sample_rate=rate),
            "side_mid_ratio": _side_mid_ratio(a)}


def match_reference(
    settings: MixSettings,
    mix: np.ndarray,
    reference: np.ndarray,
    *,
    sample_rate: int,
    reference_sample_rate: int | None = None,
) -> MixSettings:
    """A copy of ``settings`` whose master matches ``reference``'s loudness, tilt and width.

    Parameters
    ----------
    settings : MixSettings
    mix : np.ndarray [shape=(n_channels, n_samples)]
        The unmastered mix (for its width).
    reference : np.ndarray [shape=(n_channels, n_samples)]
        The reference track, any length (at least 0.4 s of sound).
    sample_rate : int
        Hz, of ``mix``.
    reference_sample_rate : int, optional
        Hz, of ``reference`` (default: ``sample_rate``); no resampling is needed.
    """
    if not isinstance(settings, MixSettings):
        raise ParameterError.for_field("settings", type(settings).__name__, "a MixSettings")
    profile = reference_profile(reference, sample_rate=reference_sample_rate or sample_rate)
    m = as_audio(mix, field="mix")
    check_sample_rate(sample_rate)
    width = settings.master.stereo_width
    ratio_mix = _side_mid_ratio(m)
    if profile["side_mid_ratio"] is not None and ratio_mix is not None and ratio_mix > 0.0:
        width = float(np.clip(math.sqrt(profile["side_mid_ratio"] / ratio_mix), 0.0, 2.0))
    master = dataclasses.replace(
        settings.master,
        target_lufs=round(float(np.clip(profile["integrated_lufs"], -30.0, -6.0)), 2),
        tilt_target_db_per_octave=round(float(np.clip(profile["spectral_tilt_db_per_octave"], -12.0, 6.0)), 2),
        tilt_strength=1.0,
        stereo_width=round(width, 3),
        min_side_mid_db=None,  # the reference's own width is the target
    )
    return dataclasses.replace(settings, master=master)
