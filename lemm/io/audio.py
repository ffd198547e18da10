"""Reading and writing audio files (WAV/FLAC through soundfile), atomically.

Audio arrays in lemm are ``np.ndarray [shape=(n_channels, n_samples)]``, float32.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.wav"
>>> _ = write_audio(p, np.zeros((2, 480), np.float32), sample_rate=48000)
>>> audio, sr = read_audio(p)
>>> audio.shape, sr
((2, 480), 48000)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lemm.errors import FileFormatError, LemmFileNotFoundError, ParameterError
from lemm.io.atomic import atomic_path

__all__ = ["write_audio", "read_audio", "check_audio_file"]

_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
DITHER_SEED = 0x1E3


def write_audio(path: str | os.PathLike, audio: np.ndarray, *, sample_rate: int, bit_depth: int = 24) -> Path:
    """Write ``audio`` [shape=(n_channels, n_samples)] as WAV (or FLAC by suffix), atomically.

    Samples are clipped to [-1, 1 - 2**-(bit_depth-1)] by soundfile's PCM
    conversion; callers that care (the master) keep below full scale. 16-bit
    output gets seeded TPDF dither (:func:`lemm.mix.dither.tpdf_dither`).
    """
    import soundfile as sf

    a = np.asarray(audio)
    if a.ndim != 2 or a.shape[0] not in (1, 2):
        raise ParameterError.for_field("audio shape", a.shape, "(n_channels, n_samples) with 1 or 2 channels")
    if not np.all(np.isfinite(a)):
        raise ParameterError.for_field("audio", "non-finite samples", "finite samples")
    if bit_depth not in _SUBTYPES:
        raise ParameterError.for_field("bit_depth", bit_depth, "16, 24 or 32")
    if bit_depth == 16:
        from lemm.mix.dither import tpdf_dither

        a = tpdf_dither(a, bit_depth=16, seed=DITHER_SEED)  # seeded: same input, same bytes
    target = Path(path)
    fmt = "FLAC" if target.suffix.lower() == ".flac" else "WAV"
    with atomic_path(target) as tmp:
        sf.write(str(tmp), a.T.astype(np.float32), int(sample_rate), subtype=_SUBTYPES[bit_depth], format=fmt)
    return target


def check_audio_file(path: str | os.PathLike, *, what: str) -> None:
    """Refuse, before decoding, an audio file over the limits of :mod:`lemm.limits` (bytes, seconds, channels).

    A file soundfile cannot even open is left to the reader to report.
    """
    import soundfile as sf

    from lemm.limits import MAX_AUDIO_BYTES, MAX_AUDIO_CHANNELS, MAX_AUDIO_SECONDS, check_count, check_file_size

    check_file_size(path, MAX_AUDIO_BYTES, "MAX_AUDIO_BYTES", what=what)
    try:
        info = sf.info(str(path))
    except Exception:  # not audio soundfile knows: the reader says so
        return
    check_count(f"{what} {str(path)!r} channels", info.channels, MAX_AUDIO_CHANNELS, "MAX_AUDIO_CHANNELS")
    if info.samplerate > 0:
        check_count(f"{what} {str(path)!r} length in seconds", round(info.frames / info.samplerate, 1), MAX_AUDIO_SECONDS, "MAX_AUDIO_SECONDS")


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 [shape=(n_channels, n_samples)] and its sample rate.

    Reads what soundfile reads (WAV, FLAC, OGG, MP3 with libsndfile >= 1.1);
    raises a LemmError for missing or non-audio files.
    """
    import soundfile as sf

    p = Path(path)
    if not p.exists():
        raise LemmFileNotFoundError(f"audio file {str(p)!r} does not exist")
    check_audio_file(p, what="audio file")
    try:
        data, sample_rate = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception as err:  # soundfile raises LibsndfileError / RuntimeError / TypeError
        raise FileFormatError(f"audio file {str(p)!r} is not readable audio (WAV, FLAC, OGG, MP3): {err}") from None
    return np.ascontiguousarray(data.T), int(sample_rate)
