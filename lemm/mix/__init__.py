"""lemm.mix: stems -> mix -> master, on numpy and scipy.

The names the pipeline and a notebook need::

    settings = auto_mix_settings(stems, roles=roles, sample_rate=48000)   # editable data
    mix = apply_mix(stems, settings, sample_rate=48000)                   # [shape=(2, n)] float32
    master_audio, report = master(mix, sample_rate=48000, settings=settings.master)  # report: MasterReport
    measure(master_audio, sample_rate=48000)                              # loudness, peaks, LRA, ...

Modules: :mod:`~lemm.mix.loudness` and :mod:`~lemm.mix.peak` (BS.1770 meters),
:mod:`~lemm.mix.meters` (the report), :mod:`~lemm.mix.filters`,
:mod:`~lemm.mix.panning`, :mod:`~lemm.mix.dynamics` (compressor),
:mod:`~lemm.mix.limiter`, :mod:`~lemm.mix.reverb`, :mod:`~lemm.mix.processors`
(objects and chains), :mod:`~lemm.mix.settings`, :mod:`~lemm.mix.auto`,
:mod:`~lemm.mix.mixer`, :mod:`~lemm.mix.mastering`, :mod:`~lemm.mix.delay`,
:mod:`~lemm.mix.sidechain`, :mod:`~lemm.mix.spectrum` (tilt), :mod:`~lemm.mix.stereo`
(width, mono fold-down), :mod:`~lemm.mix.targets`, :mod:`~lemm.mix.reference`,
:mod:`~lemm.io.dither`, :mod:`~lemm.mix.cli` (``lemm master``).

The mixer knows only audio arrays, role names and settings, never notes.
"""

from lemm.io.dither import tpdf_dither
from lemm.mix.auto import ROLE_PROFILES, auto_mix_settings, masking_eq
from lemm.mix.loudness import integrated_loudness, loudness_range, momentary_loudness, short_term_loudness
from lemm.mix.mastering import MasterReport, master
from lemm.mix.meters import measure
from lemm.mix.mixer import apply_mix, channel_strip
from lemm.mix.peak import sample_peak_db, true_peak_db
from lemm.mix.processors import Chain, Compressor, Equalizer, Gain, HighPass, Limiter, Pan, Reverb
from lemm.mix.reference import match_reference, reference_profile
from lemm.mix.settings import CompressorSettings, DelaySettings, EqBand, MasterSettings, MixSettings, ReverbSettings, TrackMix
from lemm.mix.spectrum import spectral_tilt, tilt_sos
from lemm.mix.stereo import fold_down_loss_db, low_end_correlation, stereo_width
from lemm.mix.targets import GENRE_TILT_DB_PER_OCTAVE, TARGETS, resolve_target, settings_for_target, tilt_target_for_genre

__all__ = [
    "auto_mix_settings",
    "apply_mix",
    "channel_strip",
    "master",
    "MasterReport",
    "measure",
    "integrated_loudness",
    "momentary_loudness",
    "short_term_loudness",
    "loudness_range",
    "true_peak_db",
    "sample_peak_db",
    "MixSettings",
    "TrackMix",
    "CompressorSettings",
    "EqBand",
    "ReverbSettings",
    "DelaySettings",
    "masking_eq",
    "tpdf_dither",
    "match_reference",
    "reference_profile",
    "spectral_tilt",
    "tilt_sos",
    "fold_down_loss_db",
    "low_end_correlation",
    "stereo_width",
    "TARGETS",
    "GENRE_TILT_DB_PER_OCTAVE",
    "resolve_target",
    "settings_for_target",
    "tilt_target_for_genre",
    "MasterSettings",
    "ROLE_PROFILES",
    "Gain",
    "Pan",
    "HighPass",
    "Equalizer",
    "Compressor",
    "Limiter",
    "Reverb",
    "Chain",
]
