"""Reading and writing audio files (WAV/FLAC through soundfile), atomically.

Audio arrays in lemm are ``np.ndarray [shape=(n_channels, n_samples)]``, float32.

lemm writes WAV (``.wav``) and FLAC (``.flac``), chosen by the output's
extension; any other extension (``.mp3``, ``.ogg``, none) is refused before
any work, so a file's name always says what it holds. (libsndfile's Ogg
writer stamps each file with a random stream number, so an ``.ogg`` would
break lemm's promise of byte-identical output.) The file is encoded by blocks
into a temp file beside it, which :func:`lemm.io.atomic.atomic_file` renames
onto it when complete (:func:`encode_to_file`).

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

from lemm.errors import FileFormatError, LemmFileNotFoundError, OutputPathError, ParameterError
from lemm.io.atomic import atomic_file, check_output_file
from lemm.io.dither import tpdf_dither
from lemm.limits import MAX_AUDIO_BYTES, MAX_AUDIO_CHANNELS, MAX_AUDIO_SECONDS, check_count, check_file_size

__all__ = [
    "write_audio", "read_audio", "check_audio_output", "check_audio_file", "interleaved_float32", "encoder_samples", "encode_to_file",
    "open_encoder", "AUDIO_FORMATS",
]

_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
DITHER_SEED = 0x1E3

#: Output extensions lemm writes -> (soundfile format, bit depths it holds).
AUDIO_FORMATS = {".wav": ("WAV", (16, 24, 32)), ".flac": ("FLAC", (16, 24))}


def check_audio_output(path: str | os.PathLike, *, bit_depth: int = 24) -> Path:
    """Check, before any work, that audio can be written at ``path`` with ``bit_depth``; returns the path.

    Raises
    ------
    OutputPathError
        The extension is not .wav or .flac, or the path cannot take a file
        (see :func:`lemm.io.atomic.check_output_file`: a folder, a link, a device, a FIFO, read-only, ...).
    ParameterError
        ``bit_depth`` is not one the format holds (FLAC: 16 or 24).

    Examples
    --------
    >>> check_audio_output("take.mp3")
    Traceback (most recent call last):
    ...
    lemm.errors.OutputPathError: output audio file 'take.mp3' must end in .wav or .flac (the formats lemm writes), got '.mp3'
    """
    target = check_output_file(path, suffixes=tuple(AUDIO_FORMATS), what="output audio file")
    fmt, depths = AUDIO_FORMATS[target.suffix.lower()]
    if bit_depth not in depths:
        raise ParameterError.for_field(f"bit_depth of a {fmt} file", bit_depth, " or ".join(map(str, depths)))
    return target


def interleaved_float32(audio: np.ndarray, *, gain: float | None = None) -> np.ndarray:
    """``audio`` (times ``gain``) as the encoders read it: float32 [shape=(n_samples, n_channels)], C-contiguous, made in one pass.

    ``audio`` is [shape=(n_channels, n_samples)]. The product with ``np.float32(gain)``
    is taken in ``audio``'s precision and rounded to float32 once: the values of
    ``(audio * np.float32(gain)).astype(np.float32).T``, without the two copies
    (the product, then soundfile's interleaving) that makes.

    >>> x = np.array([[0.5, -0.25], [1.0, 0.0]], np.float32)
    >>> y = interleaved_float32(x, gain=0.5)
    >>> y.tolist(), y.flags.c_contiguous
    ([[0.25, 0.5], [-0.125, 0.0]], True)
    """
    a = np.asarray(audio)
    if gain is None:
        return np.ascontiguousarray(a.T, dtype=np.float32)
    out = np.empty(a.shape[::-1], dtype=np.float32)
    np.multiply(a.T, np.float32(gain), out=out)
    return out


def encoder_samples(audio: np.ndarray, *, bit_depth: int, gain: float | None = None) -> np.ndarray:
    """``audio`` [shape=(n_channels, n_samples)] (times ``gain``) as lemm's files encode it at ``bit_depth``: float32 [shape=(n_samples, n_channels)].

    16-bit output gets seeded TPDF dither (:func:`lemm.io.dither.tpdf_dither`, seed
    :data:`DITHER_SEED`: same input, same bytes); other depths are the samples as
    they are (:func:`interleaved_float32`). :func:`write_audio` and the printed
    files (:func:`lemm.export.printed.write_printed`) both encode these.

    >>> x = np.array([[0.5, -0.25], [1.0, 0.0]], np.float32)
    >>> encoder_samples(x, bit_depth=24, gain=0.5).tolist()
    [[0.25, 0.5], [-0.125, 0.0]]
    """
    if bit_depth != 16:
        return interleaved_float32(audio, gain=gain)
    a = np.asarray(audio)
    scaled = a if gain is None else a * np.float32(gain)
    return interleaved_float32(tpdf_dither(scaled, bit_depth=16, seed=DITHER_SEED))


def write_audio(
    path: str | os.PathLike, audio: np.ndarray | tuple[np.ndarray, ...], *, sample_rate: int, bit_depth: int = 24, gain: float | None = None
) -> Path:
    """Write ``audio`` [shape=(n_channels, n_samples)] (times ``gain``, as :func:`encoder_samples`) as WAV or FLAC (by the extension), atomically.

    ``audio`` may be a tuple of pieces that follow each other in time (see :func:`encode_to_file`).

    Samples are clipped to [-1, 1 - 2**-(bit_depth-1)] by soundfile's PCM
    conversion; callers that care (the master) keep below full scale. 16-bit
    output gets seeded TPDF dither (:func:`lemm.io.dither.tpdf_dither`).

    Raises
    ------
    OutputPathError
        See :func:`check_audio_output`; also when the write fails (the old file is kept).
    ParameterError
        Bad shape, non-finite samples, or a bit depth other than 16, 24 or 32.
    """

    if bit_depth not in _SUBTYPES:
        raise ParameterError.for_field("bit_depth", bit_depth, "16, 24 or 32")
    target = check_audio_output(path, bit_depth=bit_depth)
    pieces = tuple(np.asarray(piece) for piece in audio) if isinstance(audio, tuple) else (np.asarray(audio),)
    for a in pieces:
        if a.ndim != 2 or a.shape[0] not in (1, 2) or a.shape[0] != pieces[0].shape[0]:
            raise ParameterError.for_field("audio shape", a.shape, "(n_channels, n_samples) with 1 or 2 channels")
        if not np.all(np.isfinite(a)):
            raise ParameterError.for_field("audio", "non-finite samples", "finite samples")
    return encode_to_file(target, pieces if len(pieces) > 1 else pieces[0], sample_rate=sample_rate, bit_depth=bit_depth, gain=gain)


#: libsndfile's SFC_SET_ADD_PEAK_CHUNK command (sndfile.h).
_SFC_SET_ADD_PEAK_CHUNK = 0x1050


def open_encoder(target, *, sample_rate: int, channels: int, subtype: str, file_format: str, **options):
    """A ``soundfile.SoundFile`` open for writing ``target`` (a path or a binary file object); use it in a ``with``.

    A float WAV gets no PEAK chunk: libsndfile stamps that chunk with the time of writing,
    so two writes of the same samples a second apart would differ in their bytes (lemm's
    files are the same bytes for the same song and seed). Every lemm file encoder opens
    its file here.
    """
    import soundfile as sf

    file = sf.SoundFile(target, "w", samplerate=int(sample_rate), channels=int(channels), subtype=subtype, format=file_format, **options)
    if subtype == "FLOAT" and file_format == "WAV":
        sf._snd.sf_command(file._file, _SFC_SET_ADD_PEAK_CHUNK, sf._ffi.NULL, 0)  # SF_FALSE, before any frame is written
    return file


#: Frames per block of :func:`encode_to_file` (1 MiB of stereo float32 at a time).
ENCODE_BLOCK_FRAMES = 1 << 17


def encode_to_file(
    path: str | os.PathLike, audio: np.ndarray | tuple[np.ndarray, ...], *, sample_rate: int, bit_depth: int,
    gain: float | None = None, compression_level: float | None = None,
) -> Path:
    """Encode ``audio`` [shape=(n_channels, n_samples)] (times ``gain``) as the WAV or FLAC file ``path`` (by its extension), atomically.

    The samples are :func:`encoder_samples`'s. They are made and encoded by blocks of
    :data:`ENCODE_BLOCK_FRAMES` straight into the file's temp file (no interleaved copy
    of the whole audio, no encoded file in memory), but at 16 bits, whose dither is
    drawn for the whole file at once. The file's bytes do not depend on the blocks.
    ``audio`` may also be a tuple of pieces [shape=(n_channels, n_i)] that follow each
    other in time: the file is that of their concatenation (made only at 16 bits).
    ``compression_level`` (0..1, FLAC) is soundfile's. The caller checks ``path``,
    ``bit_depth`` and the samples (see :func:`write_audio`).

    Raises
    ------
    OutputPathError
        libsndfile refuses (e.g. a sample rate FLAC cannot hold), or the write fails (the old file is kept).
    """

    target = Path(path)
    file_format = AUDIO_FORMATS[target.suffix.lower()][0]
    pieces = [np.asarray(piece) for piece in audio] if isinstance(audio, tuple) else [np.asarray(audio)]
    if bit_depth == 16:
        whole = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=-1)
        blocks = iter([encoder_samples(whole, bit_depth=16, gain=gain)])
    else:
        blocks = (encoder_samples(a[:, i : i + ENCODE_BLOCK_FRAMES], bit_depth=bit_depth, gain=gain)
                  for a in pieces for i in range(0, a.shape[1], ENCODE_BLOCK_FRAMES))
    options = {} if compression_level is None else {"compression_level": compression_level}
    with atomic_file(target) as out:
        try:
            with open_encoder(out, sample_rate=sample_rate, channels=pieces[0].shape[0], subtype=_SUBTYPES[bit_depth],
                              file_format=file_format, **options) as file:
                for block in blocks:
                    file.write(block)
        # libsndfile refuses (e.g. a sample rate FLAC cannot hold), or a write came short (soundfile asserts the frames written)
        except (RuntimeError, ValueError, TypeError, AssertionError) as err:
            if out.error is not None:
                raise out.error from None  # a failed write (a full disk): atomic_file names the file
            raise OutputPathError(f"cannot encode {str(target)!r}: {err}") from None
    return target


def check_audio_file(path: str | os.PathLike, *, what: str) -> None:
    """Refuse, before decoding, an audio file over the limits of :mod:`lemm.limits` (bytes, seconds, channels).

    A file soundfile cannot even open is left to the reader to report.
    """
    import soundfile as sf

    check_file_size(path, MAX_AUDIO_BYTES, "MAX_AUDIO_BYTES", what=what)
    try:
        info = sf.info(str(path))
    except (RuntimeError, TypeError, ValueError):  # not audio soundfile knows (LibsndfileError, a RuntimeError): the reader says so
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
    except (RuntimeError, TypeError, ValueError) as err:  # soundfile raises LibsndfileError (a RuntimeError) / TypeError
        raise FileFormatError(f"audio file {str(p)!r} is not readable audio (WAV, FLAC, OGG, MP3): {err}") from None
    return np.ascontiguousarray(data.T), int(sample_rate)
