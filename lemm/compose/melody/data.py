"""Extract vocal melodies, keys, meters and per-beat harmony from the OpenScore Lieder corpus.

The corpus (CC0, 1,460 songs as compressed MusicXML) is read with a small streaming
MusicXML reader (:mod:`xml.etree`), not music21: it is ~50x faster and the fields we need
are few. Per song we keep:

- the vocal line (the part with the most lyrics, its voice with the most lyrics; the top
  note of a divisi chord): onset and duration in ticks (480 per quarter), sounding MIDI pitch
  (clef octave changes and ``<transpose>`` applied), ties merged, grace and cue notes dropped;
- the first verse's lyric per note: ``syllabic`` code (``S`` single, ``B`` begin, ``M``
  middle, ``E`` end, ``-`` no syllable: a melisma continuation) and the text;
- bars (start tick, numerator, denominator), key changes (tick, tonic pitch class, mode);
- the harmony per quarter note named from the accompaniment (all other parts) by template
  matching of the duration-weighted pitch-class profile with a bass bonus
  (:func:`name_chord`), as ``root * N_QUALITIES + quality`` or ``-1`` for silence.

Songs that cannot be parsed, have no vocal part with lyrics or fewer than 16 vocal notes are
dropped and counted. The songs are split by a hash of their id (:func:`split_of`); the test
ids are committed in ``data/test_songs.txt`` and never used for training.

Run ``python -m lemm.compose.melody.data`` to rebuild ``data/lieder_melodies.jsonl.gz``
(resumable: progress is appended to a checkpoint file; a per-score time limit skips
pathological files).

Examples
--------
>>> name_chord([0, 0, 0, 0, 1.0, 0, 0, 1.0, 0, 0, 0, 0], bass_pc=0)  # E, G over C: C major
(0, 0)
>>> QUALITIES[name_chord([0, 0, 1.0, 0, 0, 1.0, 0, 0, 0, 1.0, 0, 0], bass_pc=2)[1]]  # D F A
'min'
>>> split_of("lc6583477") in ("train", "validation", "test")
True
"""

from __future__ import annotations

import gzip
import hashlib
import json
import signal
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np

from lemm.errors import LemmError

__all__ = ["TPQ", "QUALITIES", "QUALITY_TEMPLATES", "name_chord", "extract_song", "split_of", "load_dataset", "default_corpus_dir", "DATA_FILE", "TEST_LIST"]

#: Ticks per quarter note of the extracted data.
TPQ = 480
#: Chord quality classes (lemm qualities map onto these, see :data:`LEMM_QUALITY_CLASS`).
QUALITIES = ("maj", "min", "dim", "aug", "dom7", "maj7", "min7", "sus")
#: Templates (intervals above the root) per class; several templates may name one class.
QUALITY_TEMPLATES: tuple[tuple[int, tuple[int, ...]], ...] = (
    (0, (0, 4, 7)), (1, (0, 3, 7)), (2, (0, 3, 6)), (3, (0, 4, 8)), (4, (0, 4, 7, 10)),
    (5, (0, 4, 7, 11)), (6, (0, 3, 7, 10)), (7, (0, 5, 7)), (2, (0, 3, 6, 10)), (2, (0, 3, 6, 9)),
)
#: lemm chord quality (keys of ``lemm.score.harmony.QUALITY_INTERVALS``) -> class index.
LEMM_QUALITY_CLASS = {
    "": 0, "6": 0, "add9": 0, "9": 4, "5": 0, "m": 1, "m6": 1, "madd9": 1, "m9": 6, "mMaj7": 1,
    "dim": 2, "m7b5": 2, "dim7": 2, "aug": 3, "7": 4, "7sus4": 4, "maj7": 5, "maj9": 5, "m7": 6,
    "sus2": 7, "sus4": 7,
}
HERE = Path(__file__).resolve().parent
DATA_FILE = HERE / "data" / "lieder_melodies.jsonl.gz"
TEST_LIST = HERE / "data" / "test_songs.txt"
_STEP = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MAJOR_FIFTHS_TONIC = {f: (7 * f) % 12 for f in range(-7, 8)}
_KS_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KS_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def default_corpus_dir() -> Path:
    """``shared/data/openscore-lieder`` beside the repository root (``/work/shared/...`` here)."""
    return HERE.parents[2].parent / "shared" / "data" / "openscore-lieder"


def name_chord(profile, *, bass_pc: int | None = None) -> tuple[int, int]:
    """Name a chord from a 12-bin pitch-class weight profile.

    Parameters
    ----------
    profile : sequence of float [shape=(12,)]
        Duration-weighted pitch-class weights.
    bass_pc : int or None
        The lowest sounding pitch class; a root equal to it gets a bonus.

    Returns
    -------
    (root_pc, quality_index) : tuple of int
        ``quality_index`` indexes :data:`QUALITIES`. ``(-1, -1)`` for an empty profile.
    """
    w = np.asarray(profile, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        return -1, -1
    w = w / total
    best = (-1e9, -1, -1)
    for q, tpl in QUALITY_TEMPLATES:
        for root in range(12):
            idx = [(root + i) % 12 for i in tpl]
            inside = float(w[idx].sum())
            score = inside - (1.0 - inside) - 0.02 * len(tpl) + (0.08 if bass_pc == root else 0.0)
            score -= 0.5 * sum(0.15 for i in idx if w[i] == 0)  # missing chord tones
            if score > best[0]:
                best = (score, root, q)
    return best[1], best[2]


def split_of(song_id: str) -> str:
    """``test`` (10 %), ``validation`` (10 %) or ``train``, from a hash of the song id."""
    h = int(hashlib.sha1(song_id.encode()).hexdigest()[:8], 16) % 10
    return "test" if h == 0 else ("validation" if h == 1 else "train")


def _read_xml(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if not n.startswith("META-INF") and n.endswith((".xml", ".musicxml"))]
        if not names:
            raise LemmError(f"{path}: no MusicXML file inside")
        return ET.fromstring(z.read(names[0]))


def _walk_part(part: ET.Element):
    """Yield (kind, data) events in time order for one part: notes with absolute ticks."""
    divisions = 1
    bar_start = 0
    octave_shift = 0
    transpose = 0
    for measure in part.findall("measure"):
        pos = 0
        longest = 0
        last_onset = 0
        for el in measure:
            tag = el.tag
            if tag == "attributes":
                d = el.findtext("divisions")
                if d:
                    divisions = int(float(d))
                key = el.find("key")
                if key is not None and key.findtext("fifths") is not None:
                    yield "key", (bar_start + pos, int(key.findtext("fifths")), (key.findtext("mode") or "").strip())
                tm = el.find("time")
                if tm is not None and tm.findtext("beats"):
                    try:
                        num = int(tm.findtext("beats").split("+")[0]) if "+" not in tm.findtext("beats") else sum(int(x) for x in tm.findtext("beats").split("+"))
                        yield "time", (bar_start, num, int(tm.findtext("beat-type")))
                    except ValueError:
                        pass
                clef = el.find("clef")
                if clef is not None:
                    octave_shift = 12 * int(clef.findtext("clef-octave-change") or 0)
                tr = el.find("transpose")
                if tr is not None:
                    transpose = int(float(tr.findtext("chromatic") or 0)) + 12 * int(tr.findtext("octave-change") or 0)
            elif tag == "backup":
                pos -= int(round(float(el.findtext("duration")) * TPQ / divisions))
            elif tag == "forward":
                pos += int(round(float(el.findtext("duration")) * TPQ / divisions))
                longest = max(longest, pos)
            elif tag == "note":
                if el.find("grace") is not None or el.find("cue") is not None:
                    continue
                dur = int(round(float(el.findtext("duration") or 0) * TPQ / divisions))
                is_chord = el.find("chord") is not None
                onset = last_onset if is_chord else pos
                pitch_el = el.find("pitch")
                pitch = None
                if pitch_el is not None:
                    pitch = 12 * (int(pitch_el.findtext("octave")) + 1) + _STEP[pitch_el.findtext("step")] + int(round(float(pitch_el.findtext("alter") or 0))) + octave_shift + transpose
                ties = {t.get("type") for t in el.findall("tie")}
                lyric = None
                lyrics = el.findall("lyric")
                if lyrics:
                    ly = sorted(lyrics, key=lambda x: int(x.get("number", "1")) if (x.get("number") or "1").isdigit() else 99)[0]
                    text = "".join(t.text or "" for t in ly.findall("text"))
                    if text.strip():
                        lyric = ((ly.findtext("syllabic") or "single").strip(), text.strip())
                voice = el.findtext("voice") or "1"
                if dur > 0 or pitch is not None:
                    yield "note", (bar_start + onset, dur, pitch, ties, lyric, voice, is_chord)
                if not is_chord:
                    last_onset = pos
                    pos += dur
                    longest = max(longest, pos)
        yield "bar", (bar_start, longest)
        bar_start += longest


def _estimate_mode(fifths: int, pcs: np.ndarray) -> tuple[int, str]:
    major = _MAJOR_FIFTHS_TONIC[max(-7, min(7, fifths))]
    minor = (major + 9) % 12
    c_major = np.corrcoef(np.roll(_KS_MAJOR, major), pcs)[0, 1] if pcs.sum() > 0 else 1.0
    c_minor = np.corrcoef(np.roll(_KS_MINOR, minor), pcs)[0, 1] if pcs.sum() > 0 else 0.0
    return (major, "major") if c_major >= c_minor else (minor, "minor")


def extract_song(path: Path) -> dict:
    """Extract one song (see module docstring). Raises :class:`LemmError` when unusable."""
    root = _read_xml(Path(path))
    parts = root.findall("part")
    if not parts:
        raise LemmError(f"{path}: no parts")
    events = [list(_walk_part(p)) for p in parts]
    lyric_counts = [sum(1 for k, d in ev if k == "note" and d[4] is not None) for ev in events]
    vi = int(np.argmax(lyric_counts))
    if lyric_counts[vi] < 8:
        raise LemmError(f"{path}: no vocal part with lyrics")
    vev = events[vi]
    voices: dict[str, int] = {}
    for k, d in vev:
        if k == "note" and d[4] is not None:
            voices[d[5]] = voices.get(d[5], 0) + 1
    voice = max(voices, key=voices.get)
    bars = [(d[0], d[1]) for k, d in vev if k == "bar"]
    times = [d for k, d in vev if k == "time"]
    keys = [d for k, d in vev if k == "key"]
    total = bars[-1][0] + bars[-1][1] if bars else 0
    # vocal notes
    notes: list[list] = []
    for k, d in vev:
        if k != "note" or d[5] != voice or d[6]:
            continue
        onset, dur, pitch, ties, lyric, _, _ = d
        if pitch is None:
            continue
        if "stop" in ties and notes and notes[-1][2] == pitch and notes[-1][0] + notes[-1][1] == onset and lyric is None:
            notes[-1][1] += dur
            continue
        code = {"single": "S", "begin": "B", "middle": "M", "end": "E"}.get(lyric[0], "S") if lyric else "-"
        notes.append([onset, dur, pitch, code, lyric[1] if lyric else ""])
    notes = [n for n in notes if n[1] > 0]
    if len(notes) < 16:
        raise LemmError(f"{path}: fewer than 16 vocal notes")
    # harmony per quarter from the other parts
    n_q = max(1, -(-total // TPQ))
    prof = np.zeros((n_q, 12))
    bass = np.full(n_q, 200)
    for pi, ev in enumerate(events):
        if pi == vi:
            continue
        for k, d in ev:
            if k != "note" or d[2] is None or d[1] <= 0:
                continue
            onset, dur, pitch = d[0], d[1], d[2]
            q0, q1 = onset // TPQ, min(n_q, -(-(onset + dur) // TPQ))
            for q in range(q0, q1):
                ov = min(onset + dur, (q + 1) * TPQ) - max(onset, q * TPQ)
                if ov > 0:
                    prof[q, pitch % 12] += ov
                    bass[q] = min(bass[q], pitch)
    chords = []
    for q in range(n_q):
        r, qual = name_chord(prof[q], bass_pc=int(bass[q]) % 12 if bass[q] < 200 else None)
        chords.append(-1 if r < 0 else r * len(QUALITIES) + qual)
    # keys with mode estimated from the whole song's pitch classes per key segment
    pcs_all = prof.sum(axis=0)
    for n in notes:
        pcs_all[n[2] % 12] += n[1]
    key_out = []
    for i, (tick, fifths, mode) in enumerate(keys or [(0, 0, "")]):
        if key_out and key_out[-1][0] == tick:
            key_out.pop()
        end = keys[i + 1][0] if i + 1 < len(keys) else total
        seg = prof[tick // TPQ: max(tick // TPQ + 1, end // TPQ)].sum(axis=0)
        if mode in ("major", "minor"):
            tonic = _MAJOR_FIFTHS_TONIC[max(-7, min(7, fifths))] if mode == "major" else (_MAJOR_FIFTHS_TONIC[max(-7, min(7, fifths))] + 9) % 12
        else:
            tonic, mode = _estimate_mode(fifths, seg if seg.sum() > 0 else pcs_all)
        if key_out and key_out[-1][1:] == [tonic, mode]:
            continue
        key_out.append([tick, tonic, mode])
    time_out = []
    for tick, num, den in times or [(0, 4, 4)]:
        if time_out and time_out[-1][0] == tick:
            time_out.pop()
        if not time_out or time_out[-1][1:] != [num, den]:
            time_out.append([tick, num, den])
    return {
        "id": Path(path).stem, "onset": [n[0] for n in notes], "dur": [n[1] for n in notes],
        "pitch": [n[2] for n in notes], "syl": "".join(n[3] for n in notes), "text": [n[4] for n in notes],
        "bars": [b[0] for b in bars], "times": time_out, "keys": key_out, "chords": chords,
    }


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on pathological files  # noqa: ARG001  (a signal handler's signature)
    raise _Timeout()


def build_dataset(corpus_dir: Path | None = None, *, out_path: Path = DATA_FILE, timeout_seconds: int = 20, log=print) -> dict:
    """Extract every song of the corpus into ``out_path`` (gzip JSON lines) and write the test list.

    Resumable: finished songs are appended to ``out_path.with_suffix('.partial')`` and skipped
    on a rerun. Returns counts (songs tried, kept, dropped, notes, syllables, per split).
    """
    corpus_dir = Path(corpus_dir or default_corpus_dir())
    files = sorted((corpus_dir / "mxl").glob("*.mxl"))
    if not files:
        raise LemmError(f"no .mxl files under {corpus_dir / 'mxl'}")
    partial = Path(str(out_path) + ".partial")
    done: dict[str, str] = {}
    if partial.exists():
        for line in partial.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                done[rec["id"]] = line
    old = signal.signal(signal.SIGALRM, _alarm)
    t0 = time.time()
    try:
        with partial.open("a") as fh:
            for i, f in enumerate(files):
                if f.stem in done:
                    continue
                signal.alarm(timeout_seconds)
                try:
                    rec = extract_song(f)
                except (_Timeout, Exception) as exc:  # noqa: BLE001 - record and drop
                    rec = {"id": f.stem, "dropped": f"{type(exc).__name__}: {exc}"[:200]}
                finally:
                    signal.alarm(0)
                line = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
                fh.write(line + "\n")
                fh.flush()
                done[f.stem] = line
                if i % 50 == 0:
                    log(f"{i}/{len(files)} {time.time() - t0:.0f}s")
    finally:
        signal.signal(signal.SIGALRM, old)
    recs = [json.loads(done[f.stem]) for f in files if f.stem in done]
    kept = [r for r in recs if "dropped" not in r]
    with gzip.open(out_path, "wt", encoding="utf-8", compresslevel=9) as gz:
        for r in kept:
            gz.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")
    TEST_LIST.write_text("".join(r["id"] + "\n" for r in kept if split_of(r["id"]) == "test"))
    counts = {
        "songs_tried": len(recs), "songs_kept": len(kept), "songs_dropped": len(recs) - len(kept),
        "notes": sum(len(r["pitch"]) for r in kept), "syllables": sum(sum(c != "-" for c in r["syl"]) for r in kept),
        "per_split": {s: sum(split_of(r["id"]) == s for r in kept) for s in ("train", "validation", "test")},
    }
    log(json.dumps(counts))
    return counts


def load_dataset(path: Path = DATA_FILE) -> list[dict]:
    """Read the extracted songs (list of dicts, see module docstring)."""
    path = Path(path)
    if not path.exists():
        raise LemmError(f"melody dataset {path} is missing; run `python -m lemm.compose.melody.data`")
    with gzip.open(path, "rt", encoding="utf-8") as gz:
        return [json.loads(line) for line in gz if line.strip()]


if __name__ == "__main__":  # pragma: no cover
    build_dataset(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
