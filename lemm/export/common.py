"""What the DAW project writers share: stem facts, input checks, channel levels, tempo points.

A DAW project written by lemm places one stem file per track at 0 s. The
writers need, per stem, its length, sample rate and channel count
(:class:`StemInfo`, read from the WAV header by :func:`read_stem_infos`), and
per track the fader gain, pan and mute (:func:`channel_levels`, from the mix
settings where given, else from the score's hints).

Examples
--------
>>> from lemm.score.model import Score, Track, TempoChange, MeterChange
>>> s = Score(tempos=(TempoChange(0, 120.0), TempoChange(1920, 90.0)),
...           meters=(MeterChange(0, 4, 4), MeterChange(3840, 3, 4)),
...           tracks=(Track(name="bass", role="bass", preset="bass"),))
>>> [(p.tick, p.tempo_bpm, p.meter) for p in tempo_points(s)]
[(0, 120.0, (4, 4)), (1920, 90.0, None), (3840, 90.0, (3, 4))]
>>> fmt_num(1.0), fmt_num(2.5), fmt_num(1 / 3)
('1', '2.5', '0.333333333')
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lemm.errors import FileFormatError, LemmFileNotFoundError, ParameterError, ScoreError
from lemm.io.audio import open_encoder
from lemm.mix.settings import MixSettings
from lemm.score.model import Score, Track
from lemm.units import db_to_gain
from lemm.validate import check_sample_rate
from lemm.version import __version__

__all__ = [
    "FILE_PEAK_DBFS",
    "audio_content_key",
    "headroom_trim_db",
    "trim_for_peak",
    "FLAC_COMPRESSION_LEVEL",
    "ChannelLevel",
    "DawTrack",
    "PrintedFile",
    "StemInfo",
    "TempoPoint",
    "as_score",
    "channel_levels",
    "check_stems",
    "compact_suffix",
    "encode_audio",
    "fmt_num",
    "project_tracks",
    "read_stem_infos",
    "stable_guid",
    "stem_path",
    "tempo_points",
]


@dataclass(frozen=True)
class StemInfo:
    """One stem file of a song folder, as a DAW project refers to it.

    Parameters
    ----------
    name : str
        Track name; the file is ``stems/<name>.wav`` relative to the song folder.
    n_samples : int
        Length in samples (> 0).
    sample_rate : int
        Samples per second.
    n_channels : int
        1 or 2.
    bit_depth : int
        16 or 24 (integer PCM) or 32 (float) as the file holds it.
    """

    name: str
    n_samples: int
    sample_rate: int = 48000
    n_channels: int = 2
    bit_depth: int = 24

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ParameterError.for_field("stem name", self.name, "a non-empty track name")
        if not isinstance(self.n_samples, int) or isinstance(self.n_samples, bool) or self.n_samples <= 0:
            raise ParameterError.for_field(f"stem {self.name!r} n_samples", self.n_samples, "an integer > 0")
        check_sample_rate(self.sample_rate, field=f"stem {self.name!r} sample_rate")
        if self.n_channels not in (1, 2) or isinstance(self.n_channels, bool):
            raise ParameterError.for_field(f"stem {self.name!r} n_channels", self.n_channels, "1 or 2")
        if self.bit_depth not in (16, 24, 32) or isinstance(self.bit_depth, bool):
            raise ParameterError.for_field(f"stem {self.name!r} bit_depth", self.bit_depth, "16, 24 or 32")

    @property
    def duration_seconds(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sample_rate

    @property
    def relative_path(self) -> str:
        """Path of the file relative to the song folder, with forward slashes."""
        return stem_path(self.name)

    @property
    def compact_path(self) -> str:
        """Name of the stem in compact form (``stems/<name>.flac``; ``.wav`` for 32-bit float, which FLAC cannot hold)."""
        return self.relative_path[: -len(".wav")] + compact_suffix(self.bit_depth)


@dataclass(frozen=True)
class PrintedFile:
    """A printed file of a song folder (see :mod:`lemm.export.printed`): a track as lemm's mixer processed it, or a return.

    Parameters
    ----------
    name : str
        The score track's name, or a return's name (``"reverb return"``).
    relative_path : str
        Path relative to the song folder, forward slashes (``printed/<name>.flac``).
    n_samples, sample_rate, n_channels : int
        As :class:`StemInfo`.
    gain_db : float
        Fader gain that brings the file back to its level in ``mix.wav`` (it
        undoes the file's headroom trim and applies ``mix.wav``'s).
    is_return : bool
        True for a shared return (reverb, delay), False for a track's strip.
    """

    name: str
    relative_path: str
    n_samples: int
    sample_rate: int = 48000
    n_channels: int = 2
    gain_db: float = 0.0
    is_return: bool = False

    def __post_init__(self) -> None:
        StemInfo(self.name, self.n_samples, self.sample_rate, self.n_channels)  # same checks
        if not isinstance(self.relative_path, str) or not self.relative_path or self.relative_path.startswith("/") or ".." in self.relative_path:
            raise ParameterError.for_field(f"printed {self.name!r} relative_path", self.relative_path, "a relative path inside the song folder")
        if not math.isfinite(float(self.gain_db)):
            raise ParameterError.for_field(f"printed {self.name!r} gain_db", self.gain_db, "a finite number")

    @property
    def duration_seconds(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sample_rate


@dataclass(frozen=True)
class DawTrack:
    """One track of a written DAW project.

    ``kind`` is ``"printed"`` (a track as mixed: plays), ``"return"`` (a shared
    reverb/delay return as mixed: plays), ``"dry"`` (the unprocessed stem; muted
    when a printed track stands beside it) or ``"midi"`` (the part's notes, muted,
    no instrument). ``audio`` is the file an audio track plays; ``notes`` the score
    track a MIDI track holds.
    """

    name: str
    kind: str
    gain_db: float
    pan: float
    mute: bool
    audio: StemInfo | PrintedFile | None = None
    notes: Track | None = None

    @property
    def gain_linear(self) -> float:
        """Fader gain as an amplitude factor."""
        return db_to_gain(self.gain_db)


def project_tracks(
    score: Score,
    stems: Sequence[StemInfo],
    mix_settings: object | None = None,
    *,
    printed: Sequence[PrintedFile] = (),
    midi_tracks: bool = True,
) -> list[DawTrack]:
    """The tracks both DAW writers write, in order.

    Per stem: its printed track (named as the score track, fader from
    :attr:`PrintedFile.gain_db`, centred: the pan is in the file) and the dry stem
    muted beside it (``"<name> (dry)"``, with the mix's fader and pan), or, without
    a printed file, the dry stem alone under the track's name; then, where the
    track has notes and ``midi_tracks``, ``"<name> (MIDI)"`` (muted). The returns
    come last. So the unmuted tracks sum to ``mix.wav`` when ``printed`` is given.

    Raises
    ------
    ParameterError
        A printed file names no stem, or one is given twice.
    """
    if not isinstance(midi_tracks, bool):
        raise ParameterError.for_field("midi_tracks", midi_tracks, "True or False")
    levels = channel_levels(score, stems, mix_settings)
    strips: dict[str, PrintedFile] = {}
    returns: list[PrintedFile] = []
    names = {s.name for s in stems}
    for p in printed:
        if not isinstance(p, PrintedFile):
            raise ParameterError.for_field("printed item", p, "a PrintedFile")
        if p.is_return:
            returns.append(p)
        elif p.name not in names or p.name in strips:
            raise ParameterError.for_field("printed name", p.name, f"one printed file per stem ({', '.join(sorted(names))})")
        else:
            strips[p.name] = p
    out = []
    for stem in stems:
        level = levels[stem.name]
        strip = strips.get(stem.name)
        if strip is not None:
            out.append(DawTrack(stem.name, "printed", strip.gain_db, 0.0, level.mute, strip))
            out.append(DawTrack(f"{stem.name} (dry)", "dry", level.gain_db, level.pan, True, stem))
        else:
            out.append(DawTrack(stem.name, "dry", level.gain_db, level.pan, level.mute, stem))
        track = score.track(stem.name)
        if midi_tracks and track.notes:
            out.append(DawTrack(f"{stem.name} (MIDI)", "midi", 0.0, 0.0, True, notes=track))
    out += [DawTrack(p.name, "return", p.gain_db, 0.0, False, p) for p in returns]
    return out


@dataclass(frozen=True)
class ChannelLevel:
    """A track's fader: ``gain_db`` (dB), ``pan`` (-1 left .. +1 right) and ``mute``."""

    gain_db: float
    pan: float
    mute: bool = False

    @property
    def gain_linear(self) -> float:
        """Fader gain as an amplitude factor, ``10 ** (gain_db / 20)``."""
        return db_to_gain(self.gain_db)


@dataclass(frozen=True)
class TempoPoint:
    """A point of the tempo map: tempo from ``tick`` on, and the meter if one starts here."""

    tick: int
    tempo_bpm: float
    meter: tuple[int, int] | None


#: libsndfile's FLAC compression level (0 fastest .. 1 smallest); 0.5 is FLAC level 4: about 700x real time
#: per core for 24-bit stereo at 48 kHz, within a few percent of level 8's size.
FLAC_COMPRESSION_LEVEL = 0.5

_SUBTYPE_BITS = {"PCM_16": 16, "PCM_24": 24}


def compact_suffix(bit_depth: int) -> str:
    """``".flac"`` for 16- and 24-bit audio (lossless, about half the size), ``".wav"`` for 32-bit float (FLAC holds integers only)."""
    return ".flac" if bit_depth in (16, 24) else ".wav"


def encode_audio(samples: np.ndarray, *, sample_rate: int, bit_depth: int) -> bytes:
    """The bytes of an audio file holding ``samples``: FLAC at 16/24 bits, else a 32-bit float WAV (:func:`compact_suffix`).

    Parameters
    ----------
    samples : np.ndarray [shape=(n_samples, n_channels)]
        int32 (full-scale integers, as ``soundfile.read(..., dtype="int32")``
        gives them: copied bit-exactly) or float32 in [-1, 1].
    sample_rate : int
        Hz.
    bit_depth : int
        16, 24 or 32.

    Returns
    -------
    bytes
        A complete file, to write or to store in a ZIP as it is.

    Examples
    --------
    >>> import io, soundfile as sf
    >>> x = (np.arange(-4, 4, dtype=np.int32) << 8).reshape(-1, 2)
    >>> data = encode_audio(x, sample_rate=48000, bit_depth=24)
    >>> data[:4], bool(np.array_equal(sf.read(io.BytesIO(data), dtype="int32")[0], x))
    (b'fLaC', True)
    """
    import io

    buffer = io.BytesIO()
    frames = np.asarray(samples)
    channels = 1 if frames.ndim == 1 else frames.shape[1]
    if compact_suffix(bit_depth) == ".flac":
        subtype = "PCM_16" if bit_depth == 16 else "PCM_24"
        encoder = open_encoder(buffer, sample_rate=sample_rate, channels=channels, subtype=subtype, file_format="FLAC",
                               compression_level=FLAC_COMPRESSION_LEVEL)
    else:
        encoder = open_encoder(buffer, sample_rate=sample_rate, channels=channels, subtype="FLOAT", file_format="WAV")
    with encoder as file:
        file.write(frames)
    return buffer.getvalue()


def stem_path(name: str) -> str:
    """``stems/<name>.wav``: where the stem of track ``name`` lies in the song folder."""
    return f"stems/{name}.wav"


def as_score(song_or_score: object) -> Score:
    """The Score of a Score or of anything with a ``score`` attribute holding one (a Song)."""
    if isinstance(song_or_score, Score):
        return song_or_score
    score = getattr(song_or_score, "score", None)
    if isinstance(score, Score):
        return score
    raise ParameterError.for_field("song_or_score", type(song_or_score).__name__, "a lemm Score or Song")


def check_stems(score: Score, stems: Sequence[StemInfo]) -> None:
    """Check that ``stems`` name distinct tracks of a non-empty ``score``.

    Raises
    ------
    ScoreError
        The score has no tracks, or a stem names no track of the score.
    ParameterError
        ``stems`` is empty, holds a non-StemInfo, or names a track twice.
    """
    if not score.tracks:
        raise ScoreError("score must have at least one track to export a DAW project, got a score with no tracks")
    if isinstance(stems, (str, bytes)) or not isinstance(stems, Sequence) or len(stems) == 0:
        raise ParameterError.for_field("stems", stems, "a non-empty sequence of StemInfo")
    known = [t.name for t in score.tracks]
    seen: set[str] = set()
    for s in stems:
        if not isinstance(s, StemInfo):
            raise ParameterError.for_field("stems item", s, "a StemInfo")
        if s.name not in known:
            raise ScoreError(f"stem name must be one of the score's tracks ({', '.join(known)}), got {s.name!r}")
        if s.name in seen:
            raise ParameterError.for_field("stem names", s.name, "distinct track names (each at most once)")
        seen.add(s.name)


def read_stem_infos(folder: str | os.PathLike, stem_names: Sequence[str]) -> tuple[StemInfo, ...]:
    """Read length, sample rate and channels of ``folder/stems/<name>.wav`` for each name (headers only).

    Raises
    ------
    ParameterError
        ``stem_names`` is not a non-empty sequence of strings.
    LemmFileNotFoundError
        A stem file does not exist.
    FileFormatError
        A stem file is not readable audio, or is empty.
    """
    import soundfile as sf

    if isinstance(stem_names, (str, bytes)) or not isinstance(stem_names, Sequence) or len(stem_names) == 0:
        raise ParameterError.for_field("stem_names", stem_names, "a non-empty sequence of track names")
    out = []
    for name in stem_names:
        if not isinstance(name, str) or not name:
            raise ParameterError.for_field("stem_names item", name, "a non-empty track name")
        path = Path(folder) / "stems" / f"{name}.wav"
        if not path.is_file():
            raise LemmFileNotFoundError(f"stem file for track {name!r} does not exist: {str(path)!r}")
        try:
            info = sf.info(str(path))
        except (RuntimeError, TypeError, ValueError) as err:  # soundfile raises LibsndfileError (a RuntimeError)
            raise FileFormatError(f"stem file {str(path)!r} is not readable audio: {err}") from None
        if info.frames <= 0:
            raise FileFormatError(f"stem file {str(path)!r} must hold at least one sample, got 0")
        out.append(StemInfo(name=name, n_samples=int(info.frames), sample_rate=int(info.samplerate), n_channels=int(info.channels),
                            bit_depth=_SUBTYPE_BITS.get(info.subtype, 32)))
    return tuple(out)


def channel_levels(score: Score, stems: Sequence[StemInfo], mix_settings: object | None = None) -> dict[str, ChannelLevel]:
    """Fader gain, pan and mute per stem: from ``mix_settings.tracks[name]`` where present, else the track's hints.

    Parameters
    ----------
    score : Score
    stems : sequence of StemInfo
    mix_settings : lemm.mix.MixSettings or None
        Its per-track ``gain_db``, ``pan`` and ``mute`` win over the score's
        ``Track.gain_db`` / ``Track.pan``. EQ, compression and the sends are
        carried by the printed files (:mod:`lemm.export.printed`), not here.

    Returns
    -------
    dict[str, ChannelLevel]
    """
    tracks: Mapping[str, object] = {}
    if mix_settings is not None:
        if not isinstance(mix_settings, MixSettings):
            raise ParameterError.for_field("mix_settings", type(mix_settings).__name__, "None or a lemm.mix.MixSettings")
        tracks = mix_settings.tracks
    out = {}
    for s in stems:
        mix = tracks.get(s.name)
        if mix is not None:
            out[s.name] = ChannelLevel(gain_db=float(mix.gain_db), pan=float(mix.pan), mute=bool(mix.mute))
        else:
            t = score.track(s.name)
            out[s.name] = ChannelLevel(gain_db=float(t.gain_db), pan=float(t.pan), mute=False)
    return out


def tempo_points(score: Score) -> list[TempoPoint]:
    """The tempo map as points: one per tempo change and per meter change (merged where they share a tick).

    Each point carries the tempo that holds from its tick, and the meter
    ``(numerator, denominator)`` where a meter change starts there (else None).
    """
    ticks = sorted({t.tick for t in score.tempos} | {m.tick for m in score.meters})
    meters = {m.tick: (m.numerator, m.denominator) for m in score.meters}
    out = []
    tempo_index = 0
    for tick in ticks:
        while tempo_index + 1 < len(score.tempos) and score.tempos[tempo_index + 1].tick <= tick:
            tempo_index += 1
        out.append(TempoPoint(tick=tick, tempo_bpm=float(score.tempos[tempo_index].tempo_bpm), meter=meters.get(tick)))
    return out


def fmt_num(value: float, digits: int = 9) -> str:
    """A number as short, locale-free, deterministic text: at most ``digits`` decimals, no trailing zeros."""
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError.for_field("number", value, "a finite number")
    text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def stable_guid(*parts: str) -> str:
    """A GUID in braces derived from ``parts`` (same parts -> same GUID), for deterministic project files."""
    digest = hashlib.sha256("\x1f".join(("lemm",) + parts).encode("utf-8")).digest()
    return "{" + str(uuid.UUID(bytes=digest[:16], version=4)).upper() + "}"


#: Peak level of written stems and mix.wav: louder ones are turned down so 24-bit files never clip.
FILE_PEAK_DBFS = -1.0


def headroom_trim_db(audio: np.ndarray, *, peak_dbfs: float = FILE_PEAK_DBFS) -> float:
    """Gain in dB (<= 0) that brings ``audio``'s sample peak down to ``peak_dbfs``.

    Dry stems are float and may peak above full scale (a chord of many notes);
    written to PCM they would clip. The stems are written turned down by this
    trim, report.json lists it per stem, and the DAW projects raise each
    track's fader by the same amount, so the DAW session sums to the mix.

    >>> round(headroom_trim_db(np.array([[2.0, -0.5]])), 2)
    -7.02
    >>> headroom_trim_db(np.array([[0.1, 0.0]]))
    0.0
    """
    a = np.asarray(audio)
    peak = float(np.maximum(a.max(), -a.min())) if a.size else 0.0  # max(abs(a)) without a copy of the audio
    return trim_for_peak(peak, peak_dbfs=peak_dbfs)


def trim_for_peak(peak: float, *, peak_dbfs: float = FILE_PEAK_DBFS) -> float:
    """:func:`headroom_trim_db` of audio whose sample peak ``max(abs(audio))`` is ``peak`` (linear).

    >>> trim_for_peak(2.0) == headroom_trim_db(np.array([[2.0, -0.5]]))
    True
    """
    if peak <= 0.0:
        return 0.0
    return min(0.0, peak_dbfs - 20.0 * float(np.log10(peak)))


def audio_content_key(
    audio: np.ndarray | None, *, kind: str, trim_db: float, sample_rate: int, bit_depth: int, samples_key: str | None = None,
    shape: tuple[int, ...] | None = None,
) -> str:
    """The key of an audio file's content: a hash of the samples and of everything else its bytes depend on.

    Two writes with the same key give the same bytes (same samples, trim, rate,
    bit depth, file kind and lemm version), so an unchanged file is kept
    rather than encoded again (:class:`_Reuse`). ``samples_key``, where given,
    is a key made elsewhere that already names the samples exactly (a
    :func:`lemm.mix.strip_cache.stem_digest`, a strip's
    :func:`lemm.mix.strip_cache.strip_key`): it is hashed instead of the samples,
    and ``audio`` may then be None, with its ``shape`` given. ``audio`` may also be a
    tuple of 2-D pieces that follow each other in time (the key of their concatenation).

    >>> a = np.zeros((2, 4), np.float32)
    >>> k = audio_content_key(a, kind="wav", trim_db=0.0, sample_rate=48000, bit_depth=24)
    >>> k == audio_content_key(a.copy(), kind="wav", trim_db=0.0, sample_rate=48000, bit_depth=24), len(k)
    (True, 40)
    >>> k == audio_content_key(a, kind="wav", trim_db=-1.0, sample_rate=48000, bit_depth=24)
    False
    >>> k == audio_content_key((a[:, :3], a[:, 3:].copy()), kind="wav", trim_db=0.0, sample_rate=48000, bit_depth=24)
    True
    """
    if samples_key is not None:
        head = json.dumps([kind, list(audio.shape if audio is not None else shape), "samples key", samples_key, float(trim_db), int(sample_rate), int(bit_depth), __version__])
        return hashlib.sha1(head.encode("utf-8"), usedforsecurity=False).hexdigest()
    if isinstance(audio, tuple):  # pieces along time: hashed as their concatenation (C order: each channel's pieces in turn)
        pieces = [np.asarray(piece) for piece in audio]
        shape, dtype = [*pieces[0].shape[:-1], sum(piece.shape[-1] for piece in pieces)], np.result_type(*pieces)
        rows = [[np.ascontiguousarray(piece[c], dtype=dtype) for piece in pieces] for c in range(pieces[0].shape[0])]
    else:
        a = np.ascontiguousarray(audio)
        shape, dtype, rows = list(a.shape), a.dtype, [[a]]
    head = json.dumps([kind, shape, dtype.str, float(trim_db), int(sample_rate), int(bit_depth), __version__])
    digest = hashlib.sha1(head.encode("utf-8"), usedforsecurity=False)
    for row in rows:
        for piece in row:
            digest.update(memoryview(piece).cast("B"))
    return digest.hexdigest()
