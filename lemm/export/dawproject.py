"""A DAWproject file (``song.dawproject``) for a song folder; opened by Bitwig Studio, Studio One, Cubase 14.

DAWproject (https://github.com/bitwig/dawproject, MIT) is a ZIP holding
``project.xml`` and ``metadata.xml``; :data:`XSD_DIR` holds the format's own
schemas (``Project.xsd``, ``MetaData.xsd``, vendored with their MIT notice)
and :func:`schema_errors` checks XML against them (needs ``lxml``).

What the file holds
-------------------
- ``Transport``: the tempo (``unit="bpm"``) and time signature at 0.
- ``Structure``: the tracks of :func:`lemm.export.common.project_tracks`: per
  stem a printed audio track named as the score's track (the stem as lemm's
  mixer processed it, ``printed/<name>.flac``), the dry stem muted beside it
  (``"<name> (dry)"``, ``stems/<name>.wav``, with the mix's fader and pan), a
  muted ``"<name> (MIDI)"`` notes track where the part has notes, and the
  ``"reverb return"`` / ``"delay return"`` tracks; each ``Channel`` routed to a
  master track, with ``Volume`` (linear amplitude), ``Pan`` (normalized, 0
  left .. 0.5 centre .. 1 right) and ``Mute``. The unmuted tracks sum to ``mix.wav``.
- ``Arrangement`` (time in beats = quarter notes): per audio track a clip at 0
  whose ``Warps`` map beats to the file's seconds at every tempo change, around
  an ``Audio`` element with its ``File``; per notes track one clip holding
  ``Notes`` (``time``/``duration`` in beats, ``key``, ``vel`` 0..1, MIDI
  ``channel``, 9 for drums); a ``Marker`` at the start of each section;
  ``TempoAutomation`` (one ``hold`` point per tempo change) and
  ``TimeSignatureAutomation`` when the score changes tempo or meter.
- Audio files: referenced (the default: ``File path="stems/x.wav"
  external="true"``, the path relative to the ``.dawproject`` file, the
  format's rule), so a song folder's project is a few kilobytes and plays the
  very files ``song.rpp`` plays; the folder opens wherever it is moved as a
  whole. Or embedded in the ZIP (``embed_audio=True``, or
  :func:`pack_dawproject` from a song folder's project: ``lemm export DIR -o
  FILE.dawproject``), for one file to send: ``File path="stems/x.flac"`` names
  the ZIP entry. Embedded audio is FLAC (lossless, the files' own 16 or 24
  bits; 32-bit float stays WAV): the printed files are the song folder's own
  FLAC bytes, copied; each dry stem is encoded once from its WAV's integer
  samples (bit-exact), two at a time. The format does not restrict the file
  type: a ``File`` is a path (``fileReference`` in ``Project.xsd``) to "an
  audio file (embedded or referenced)" (the format's README), and FLAC clips
  are read by Bitwig Studio, Studio One and Cubase. Audio entries are stored
  (FLAC does not deflate), the XML deflated, all with a fixed timestamp, so
  the same input gives the same bytes.

Not carried as devices: EQ, compression, sends (printed into the audio
instead; the dry stems are there to redo them), lyrics.

Examples
--------
>>> from lemm.score.model import Score, Track, Section
>>> from lemm.export.common import StemInfo
>>> s = Score(title="demo", sections=(Section("verse", "verse", 0, 1920),),
...           tracks=(Track(name="piano", role="keys", preset="piano"),))
>>> project_xml, metadata_xml = dawproject_xml(s, stems=[StemInfo("piano", 96000)])
>>> '<File path="stems/piano.wav" external="true" />' in project_xml
True
>>> '<File path="stems/piano.flac" />' in dawproject_xml(s, stems=[StemInfo("piano", 96000)], embed_audio=True)[0]
True
>>> '<Marker time="0" name="verse" />' in project_xml
True
"""

from __future__ import annotations

import io
import os
import shutil
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from lemm.errors import DependencyError, FileFormatError, LemmFileNotFoundError, OutputPathError, ParameterError
from lemm.export.common import (
    DawTrack,
    PrintedFile,
    StemInfo,
    as_score,
    check_stems,
    encode_audio,
    fmt_num,
    project_tracks,
    read_stem_infos,
)
from lemm.io.atomic import atomic_path, check_output_file
from lemm.score.model import Score, Track
from lemm.score.timing import seconds_to_ticks, ticks_to_seconds
from lemm.version import __version__

__all__ = [
    "DAWPROJECT_VERSION", "XSD_DIR", "dawproject_bytes", "dawproject_xml", "pack_dawproject", "schema_errors", "write_dawproject", "write_project_file",
]

#: Version of the DAWproject format written.
DAWPROJECT_VERSION = "1.0"
#: Folder with the format's XML schemas (Project.xsd, MetaData.xsd) and their license.
XSD_DIR = Path(__file__).resolve().parent / "dawproject_xsd"

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class _Ids:
    """Hands out ``id0``, ``id1``, ... in document order (deterministic xs:ID values)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        value = f"id{self.count}"
        self.count += 1
        return value


def _el(parent: ET.Element | None, tag: str, **attrib: str) -> ET.Element:
    return ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)


def _beats(score: Score, tick: int) -> str:
    return fmt_num(tick / score.resolution)


def _channel(
    parent: ET.Element, ids: _Ids, *, role: str, n_channels: int, gain_linear: float, pan: float, mute: bool, destination: str | None
) -> ET.Element:
    attrib = {"id": ids(), "role": role, "audioChannels": str(n_channels), "solo": "false"}
    if destination is not None:
        attrib["destination"] = destination
    channel = _el(parent, "Channel", **attrib)
    _el(channel, "Mute", id=ids(), name="Mute", value="true" if mute else "false")
    _el(channel, "Pan", id=ids(), name="Pan", unit="normalized", min="0", max="1", value=fmt_num((pan + 1.0) / 2.0))
    _el(channel, "Volume", id=ids(), name="Volume", unit="linear", min="0", max=fmt_num(max(2.0, gain_linear)), value=fmt_num(gain_linear))
    return channel


def _warps(parent: ET.Element, ids: _Ids, score: Score, stem: StemInfo | PrintedFile, *, embed_audio: bool) -> None:
    """Warp markers beats -> seconds at each tempo change inside the stem, and at its end."""
    end_seconds = stem.duration_seconds
    end_beats = _seconds_to_beats(score, end_seconds)
    warps = _el(parent, "Warps", id=ids(), timeUnit="beats", contentTimeUnit="seconds")
    audio = _el(warps, "Audio", id=ids(), channels=str(stem.n_channels), sampleRate=str(stem.sample_rate), duration=fmt_num(end_seconds))
    if embed_audio:
        _el(audio, "File", path=_entry_name(stem))
    else:
        _el(audio, "File", path=stem.relative_path, external="true")
    for change in score.tempos:
        seconds = float(ticks_to_seconds(score, change.tick))
        if change.tick == 0 or seconds < end_seconds - 1e-6:
            _el(warps, "Warp", time=_beats(score, change.tick), contentTime=fmt_num(seconds))
    _el(warps, "Warp", time=fmt_num(end_beats), contentTime=fmt_num(end_seconds))


def _seconds_to_beats(score: Score, seconds: float) -> float:
    """Fractional quarter notes at ``seconds`` through the tempo map."""
    return float(seconds_to_ticks(score, seconds)) / score.resolution


def _notes_clip(parent: ET.Element, ids: _Ids, score: Score, track: Track) -> None:
    """One clip from 0 to the song's end holding the track's notes (times in beats)."""
    end_tick = max(score.end_tick, track.end_tick)
    clip = _el(parent, "Clip", time="0", duration=_beats(score, end_tick), playStart="0", contentTimeUnit="beats", name=track.name)
    notes = _el(clip, "Notes", id=ids(), timeUnit="beats")
    channel = "9" if track.is_drum else "0"
    for n in sorted(track.notes, key=lambda n: (n.start_tick, n.pitch)):
        _el(notes, "Note", time=_beats(score, n.start_tick), duration=_beats(score, n.duration_ticks), channel=channel,
            key=str(n.pitch), vel=fmt_num(n.velocity / 127.0, 6), rel=fmt_num(n.velocity / 127.0, 6))


def _arrangement(
    root: ET.Element, ids: _Ids, score: Score, tracks: Sequence[DawTrack], track_ids: list[str], tempo_id: str, meter_id: str,
    *, embed_audio: bool,
) -> None:
    arrangement = _el(root, "Arrangement", id=ids())
    lanes = _el(arrangement, "Lanes", id=ids(), timeUnit="beats")
    for track, track_id in zip(tracks, track_ids, strict=True):
        track_lanes = _el(lanes, "Lanes", id=ids(), track=track_id)
        clips = _el(track_lanes, "Clips", id=ids())
        if track.kind == "midi":
            _notes_clip(clips, ids, score, track.notes)
            continue
        duration = fmt_num(_seconds_to_beats(score, track.audio.duration_seconds))
        clip = _el(clips, "Clip", time="0", duration=duration, playStart="0", contentTimeUnit="beats", name=track.name)
        _warps(clip, ids, score, track.audio, embed_audio=embed_audio)
    if score.sections:
        markers = _el(arrangement, "Markers", id=ids(), timeUnit="beats")
        for section in score.sections:
            _el(markers, "Marker", time=_beats(score, section.start_tick), name=section.name)
    if len(score.tempos) > 1:
        tempo = _el(arrangement, "TempoAutomation", id=ids(), timeUnit="beats", unit="bpm")
        _el(tempo, "Target", parameter=tempo_id)
        for change in score.tempos:
            _el(tempo, "RealPoint", time=_beats(score, change.tick), value=fmt_num(change.tempo_bpm, 6), interpolation="hold")
    if len(score.meters) > 1:
        meter = _el(arrangement, "TimeSignatureAutomation", id=ids(), timeUnit="beats")
        _el(meter, "Target", parameter=meter_id)
        for change in score.meters:
            numerator, denominator = str(change.numerator), str(change.denominator)
            _el(meter, "TimeSignaturePoint", time=_beats(score, change.tick), numerator=numerator, denominator=denominator)


def _to_text(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def dawproject_xml(
    song_or_score: object,
    *,
    stems: Sequence[StemInfo],
    mix_settings: object | None = None,
    application_version: str | None = None,
    printed: Sequence[PrintedFile] = (),
    midi_tracks: bool = True,
    embed_audio: bool = False,
) -> tuple[str, str]:
    """The ``project.xml`` and ``metadata.xml`` texts of a DAWproject for a song folder.

    Parameters
    ----------
    song_or_score : Score or Song
        A Song gives its score (and its ``mix_settings`` when none are passed).
    stems : sequence of StemInfo
        The stems, one audio track each, in this order; names must be tracks of the score.
    mix_settings : lemm.mix.MixSettings or None
        Per-track fader gain, pan and mute; tracks it does not list use the
        score's ``gain_db`` / ``pan`` hints.
    application_version : str or None
        Written as ``Application version``; None means lemm's version.
    printed : sequence of PrintedFile
        The song folder's printed strips and returns (:func:`lemm.export.printed.write_printed`).
    midi_tracks : bool
        Add a muted notes track per part with notes.
    embed_audio : bool
        ``File`` elements name external files relative to the ``.dawproject``
        (False, the default: a song folder's project refers to its own files), or ZIP entries (True).

    Returns
    -------
    (project_xml, metadata_xml) : tuple of str
        UTF-8 XML documents with declarations.

    Raises
    ------
    ScoreError
        The score has no tracks, or a stem names no track of it.
    ParameterError
        Empty or repeated stems, or bad ``mix_settings``.
    """
    score = as_score(song_or_score)
    if mix_settings is None and not isinstance(song_or_score, Score):
        mix_settings = getattr(song_or_score, "mix_settings", None)
    check_stems(score, stems)
    if not isinstance(embed_audio, bool):
        raise ParameterError.for_field("embed_audio", embed_audio, "True or False")
    tracks = project_tracks(score, stems, mix_settings, printed=printed, midi_tracks=midi_tracks)
    if application_version is None:
        application_version = __version__
    ids = _Ids()
    root = _el(None, "Project", version=DAWPROJECT_VERSION)
    _el(root, "Application", name="lemm", version=str(application_version))
    transport = _el(root, "Transport")
    tempo_id, meter_id = ids(), ids()
    _el(transport, "Tempo", id=tempo_id, name="Tempo", unit="bpm", min="20", max="400", value=fmt_num(score.tempos[0].tempo_bpm, 6))
    first_meter = score.meters[0]
    numerator, denominator = str(first_meter.numerator), str(first_meter.denominator)
    _el(transport, "TimeSignature", id=meter_id, name="Time Signature", numerator=numerator, denominator=denominator)
    structure = _el(root, "Structure")
    pending = []
    for track in tracks:
        content = "notes" if track.kind == "midi" else "audio"
        pending.append((track, _el(structure, "Track", id=ids(), contentType=content, loaded="true", name=track.name)))
    master = _el(structure, "Track", id=ids(), contentType="audio", loaded="true", name="Master")
    master_channel = _channel(master, ids, role="master", n_channels=2, gain_linear=1.0, pan=0.0, mute=False, destination=None)
    for track, element in pending:
        _channel(
            element, ids, role="regular", n_channels=2 if track.audio is None else track.audio.n_channels,
            gain_linear=track.gain_linear, pan=track.pan, mute=track.mute, destination=master_channel.get("id"),
        )
    _arrangement(root, ids, score, tracks, [e.get("id") for _, e in pending], tempo_id, meter_id, embed_audio=embed_audio)

    metadata = _el(None, "MetaData")
    _el(metadata, "Title").text = score.title
    _el(metadata, "Comment").text = _comment(str(application_version), embed_audio=embed_audio)
    return _to_text(root), _to_text(metadata)


def _comment(application_version: str, *, embed_audio: bool) -> str:
    where = "inside this file" if embed_audio else "in stems/ and printed/ next to this file"
    return f"Exported by lemm {application_version}; audio {where}."


def _entry_name(audio: StemInfo | PrintedFile) -> str:
    """The ZIP entry of an embedded audio file: a printed file under its own name, a dry stem as ``stems/<name>.flac``."""
    return audio.compact_path if isinstance(audio, StemInfo) else audio.relative_path


def _zip_info(name: str, size: int, *, compress: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info.file_size = size
    return info


def _encoded_stem(source: Path, stem: StemInfo) -> bytes:
    """A dry stem's WAV as FLAC bytes, from its integer samples (lossless: the same samples as the WAV)."""
    import soundfile as sf

    samples, rate = sf.read(str(source), dtype="int32", always_2d=True)
    return encode_audio(samples, sample_rate=rate, bit_depth=stem.bit_depth)


def _write_zip(
    target: io.IOBase | str | os.PathLike, texts: Sequence[tuple[str, str]], files: Sequence[tuple[str, Path, StemInfo | None]],
) -> None:
    """A ZIP of ``texts`` (name, UTF-8 text; deflated) then ``files`` (entry, source, stem to encode or None to copy), stored, fixed dates.

    Files to copy are streamed; dry stems are encoded on two threads while the
    previous entries are written, in order, so the bytes do not depend on timing.
    """

    def encoded() -> Iterator[bytes | None]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending = [(i, stem) for i, (_, _, stem) in enumerate(files) if stem is not None]
            futures: dict[int, Future] = {}
            for index in range(len(files)):
                while pending and len(futures) < 2:  # at most two encoded stems held at once
                    i, stem = pending.pop(0)
                    futures[i] = pool.submit(_encoded_stem, files[i][1], stem)
                yield futures.pop(index).result() if index in futures else None

    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for name, text in texts:
            archive.writestr(_zip_info(name, 0, compress=True), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        for (name, source, _), data in zip(files, encoded(), strict=True):
            if data is not None:
                archive.writestr(_zip_info(name, len(data)), data)
                continue
            size = source.stat().st_size
            with open(source, "rb") as src, archive.open(_zip_info(name, size), "w", force_zip64=size > 2**31 - 1) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def _audio_entries(folder: str | os.PathLike, tracks: Sequence[DawTrack]) -> list[tuple[str, Path, StemInfo | None]]:
    """(ZIP entry, source file, the stem when it must be encoded) for every audio file the tracks play, each once, in track order."""
    entries: dict[str, tuple[str, Path, StemInfo | None]] = {}
    for track in tracks:
        if track.audio is not None and track.audio.relative_path not in entries:
            source = Path(folder) / track.audio.relative_path
            if not source.is_file():
                raise LemmFileNotFoundError(f"audio file of DAW track {track.name!r} does not exist: {str(source)!r}")
            name = _entry_name(track.audio)
            encode = track.audio if isinstance(track.audio, StemInfo) and name != track.audio.relative_path else None
            entries[track.audio.relative_path] = (name, source, encode)
    return list(entries.values())


def dawproject_bytes(
    song_or_score: object,
    *,
    stems: Sequence[StemInfo],
    mix_settings: object | None = None,
    application_version: str | None = None,
    printed: Sequence[PrintedFile] = (),
    midi_tracks: bool = True,
    audio_folder: str | os.PathLike | None = None,
) -> bytes:
    """The bytes of a ``.dawproject`` ZIP; see :func:`dawproject_xml`.

    With ``audio_folder`` (the song folder) the audio files are embedded;
    without, they are referenced as external files. For a whole song prefer
    :func:`write_dawproject`, which streams the audio into the file.
    """
    score = as_score(song_or_score)
    embed = audio_folder is not None
    project_xml, metadata_xml = dawproject_xml(
        song_or_score, stems=stems, mix_settings=mix_settings, application_version=application_version, printed=printed,
        midi_tracks=midi_tracks, embed_audio=embed,
    )
    files = []
    if embed:
        if mix_settings is None and not isinstance(song_or_score, Score):
            mix_settings = getattr(song_or_score, "mix_settings", None)
        files = _audio_entries(audio_folder, project_tracks(score, stems, mix_settings, printed=printed, midi_tracks=False))
    buffer = io.BytesIO()
    _write_zip(buffer, [("project.xml", project_xml), ("metadata.xml", metadata_xml)], files)
    return buffer.getvalue()


def write_dawproject(
    song_or_score: object,
    folder: str | os.PathLike,
    *,
    stem_names: Sequence[str],
    mix_settings: object | None = None,
    printed: Sequence[PrintedFile] = (),
    midi_tracks: bool = True,
    embed_audio: bool = False,
    file_name: str = "song.dawproject",
) -> Path:
    """Write ``folder/song.dawproject`` (atomically) for the stems already in ``folder/stems/``.

    Reads each stem's length, sample rate and channels from its WAV header,
    then writes :func:`dawproject_xml`'s documents. By default the project
    refers to the folder's audio files (``external="true"``, paths relative to
    the project file: a few kilobytes, and the folder can be moved as a whole);
    with ``embed_audio`` every audio file the tracks play is put inside the ZIP
    (a file that opens alone; :func:`pack_dawproject` makes one from a song
    folder's project). Returns the path of the project file.

    Raises
    ------
    LemmFileNotFoundError
        A stem or printed file is missing.
    ScoreError, ParameterError
        As :func:`dawproject_xml`.
    """
    stems = read_stem_infos(folder, stem_names)
    documents = dawproject_xml(song_or_score, stems=stems, mix_settings=mix_settings, printed=printed, midi_tracks=midi_tracks,
                               embed_audio=embed_audio)
    return write_project_file(song_or_score, folder, documents, stems=stems, mix_settings=mix_settings, printed=printed,
                              embed_audio=embed_audio, file_name=file_name)


def write_project_file(
    song_or_score: object,
    folder: str | os.PathLike,
    documents: tuple[str, str],
    *,
    stems: Sequence[StemInfo],
    mix_settings: object | None = None,
    printed: Sequence[PrintedFile] = (),
    embed_audio: bool = False,
    file_name: str = "song.dawproject",
) -> Path:
    """Write ``folder/file_name`` (atomically) from :func:`dawproject_xml`'s ``documents`` of these ``stems``; see :func:`write_dawproject`."""
    score = as_score(song_or_score)
    if mix_settings is None and not isinstance(song_or_score, Score):
        mix_settings = getattr(song_or_score, "mix_settings", None)
    files = _audio_entries(folder, project_tracks(score, stems, mix_settings, printed=printed, midi_tracks=False)) if embed_audio else []
    with atomic_path(Path(folder) / file_name) as tmp:
        _write_zip(tmp, [("project.xml", documents[0]), ("metadata.xml", documents[1])], files)
    return Path(folder) / file_name


#: Largest ``project.xml`` / ``metadata.xml`` :func:`pack_dawproject` reads (a song's is well under a megabyte).
_MAX_XML_BYTES = 64 << 20


def _read_project_documents(source: Path) -> tuple[ET.Element, ET.Element]:
    """The parsed ``project.xml`` and ``metadata.xml`` of a ``.dawproject`` file."""
    try:
        with zipfile.ZipFile(source) as archive:
            texts = []
            for name in ("project.xml", "metadata.xml"):
                if archive.getinfo(name).file_size > _MAX_XML_BYTES:
                    raise FileFormatError(f"{name} of {str(source)!r} is over {_MAX_XML_BYTES} bytes")
                texts.append(archive.read(name))
        return ET.fromstring(texts[0]), ET.fromstring(texts[1])
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError) as err:
        raise FileFormatError(f"{str(source)!r} is not a DAWproject file lemm can read: {err}") from None


def _packed_entry(folder: Path, relative: str) -> tuple[str, Path, StemInfo | None]:
    """(ZIP entry, source file, the stem to encode or None to copy) of an audio file a project refers to by ``relative``."""
    parts = relative.split("/")
    if not relative or relative.startswith("/") or "\\" in relative or any(p in ("", ".", "..") for p in parts):
        raise FileFormatError(f"DAWproject file path must be relative and inside the song folder, got {relative!r}")
    source = folder / relative
    if source.is_symlink() or not source.is_file():
        raise LemmFileNotFoundError(f"audio file {str(source)!r} the DAW project refers to does not exist (or is a link)")
    if len(parts) == 2 and parts[0] == "stems" and relative.endswith(".wav"):
        stem = read_stem_infos(folder, [parts[1][: -len(".wav")]])[0]
        return _entry_name(stem), source, stem if _entry_name(stem) != relative else None
    return relative, source, None


def pack_dawproject(folder: str | os.PathLike, output: str | os.PathLike, *, file_name: str = "song.dawproject") -> Path:
    """Write ``output``: a song folder's DAWproject with its audio inside, a single file to send.

    The folder's project (``folder/song.dawproject``) refers to the stems and
    printed files beside it; the packed copy is the same project with every
    file it refers to put in the ZIP, as :func:`write_dawproject` with
    ``embed_audio=True`` writes it (the same bytes): the printed files copied,
    each 16- or 24-bit dry stem encoded once to FLAC from its WAV's integer
    samples (lossless), a 32-bit float stem copied as its WAV. The folder is only read.

    Parameters
    ----------
    folder : path
        A song folder (or any folder holding ``file_name`` and the files it refers to).
    output : path
        The new file; it must end in ``.dawproject`` and may not be the folder's own project.
    file_name : str
        The project in ``folder`` to pack.

    Returns
    -------
    Path
        ``output``.

    Raises
    ------
    LemmFileNotFoundError
        The project, or a file it refers to, is missing.
    FileFormatError
        The project is not a readable DAWproject, or refers to a path outside the folder.
    OutputPathError
        ``output`` does not end in ``.dawproject``, cannot take a file, or is the folder's own project.
    """
    base = Path(folder)
    source = base / file_name
    if not source.is_file():
        raise LemmFileNotFoundError(f"song folder {str(base)!r} has no {file_name} (expected {str(source)!r})")
    target = check_output_file(output, suffixes=(".dawproject",), what="output DAWproject file")
    if target.resolve() == source.resolve():
        raise OutputPathError(f"output DAWproject file must not be the song folder's own project, got {str(output)!r}")
    project, metadata = _read_project_documents(source)
    entries: dict[str, tuple[str, Path, StemInfo | None]] = {}
    for element in project.iter("File"):
        if element.get("external") != "true":
            raise FileFormatError(f"{str(source)!r} already holds its audio (File {element.get('path')!r} is inside it): send it as it is")
        relative = element.get("path", "")
        if relative not in entries:
            entries[relative] = _packed_entry(base, relative)
        element.set("path", entries[relative][0])
        del element.attrib["external"]
    application = project.find("Application")
    comment = metadata.find("Comment")
    if comment is not None and application is not None:
        comment.text = _comment(application.get("version", ""), embed_audio=True)
    with atomic_path(target) as tmp:
        _write_zip(tmp, [("project.xml", _to_text(project)), ("metadata.xml", _to_text(metadata))], list(entries.values()))
    return target


def schema_errors(project_xml: str | bytes, metadata_xml: str | bytes) -> list[str]:
    """Check the two documents against the format's XSDs; returns the errors ("file:line: message"), [] if valid.

    Raises
    ------
    DependencyError
        lxml is not installed.
    """
    try:
        from lxml import etree
    except ImportError:  # pragma: no cover - depends on the environment
        raise DependencyError('checking a DAWproject against its XSD needs lxml: pip install lxml (or "lemm[test]")') from None
    errors = []
    for label, text, xsd in (("project.xml", project_xml, "Project.xsd"), ("metadata.xml", metadata_xml, "MetaData.xsd")):
        schema = etree.XMLSchema(etree.parse(str(XSD_DIR / xsd)))
        data = text.encode("utf-8") if isinstance(text, str) else text
        document = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        if not schema.validate(document):
            errors += [f"{label}:{e.line}: {e.message}" for e in schema.error_log]
    return errors
