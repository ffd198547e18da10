"""Benchmark of the DAW hand-off files (printed/ and song.dawproject); prints one JSON line.

For a song folder (``--song DIR``, else a song composed and rendered here at
``--duration``, default 0:30), times in one run, wall and CPU seconds
(``time.process_time``: all threads of this process):

- ``printed_strips``: the mix's channel strips and returns recomputed (DSP only);
- ``flac``: what lemm writes now: ``printed/*.flac`` (:func:`lemm.export.write_printed`)
  and ``song.rpp`` + ``song.dawproject`` with the audio embedded as FLAC
  (:func:`lemm.export.write_daw_projects`);
- ``wav_baseline``: the same audio the way it was written before: every printed
  file as a 24-bit WAV and a ZIP storing the dry and printed WAVs.

with the bytes each form writes. Run on an idle machine for wall figures; on a
shared one read the CPU seconds.

Run: ``python benchmarks/handoff.py [--song DIR] [--duration 3:30] [--seed 1]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _clock(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}


def _size(paths) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--song", type=Path, help="an existing song folder (read only)")
    parser.add_argument("--duration", default="0:30")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import lemm
    from lemm.export import write_daw_projects, write_printed
    from lemm.export.common import headroom_trim_db
    from lemm.io.audio import read_audio, write_audio
    from lemm.mix.printed import printed_strips
    from lemm.song import read_song_json

    with tempfile.TemporaryDirectory(prefix="lemm-handoff-") as scratch:
        source = args.song
        if source is None:
            source = Path(scratch) / "song"
            lemm.compose("an upbeat pop song", tags=("pop",), duration=args.duration, seed=args.seed).save(source)
        song = read_song_json(source)
        names = [t.name for t in song.score.tracks if (source / "stems" / f"{t.name}.wav").is_file()]
        stems = {name: read_audio(source / "stems" / f"{name}.wav")[0] for name in names}
        rate = song.render_settings.sample_rate
        n_samples = next(iter(stems.values())).shape[1]

        _, strips_time = _clock(lambda: printed_strips(stems, song.mix_settings, sample_rate=rate))

        new = Path(scratch) / "flac"
        shutil.copytree(source / "stems", new / "stems")

        def flac_form():
            printed = write_printed(new, stems, song.mix_settings, sample_rate=rate, bit_depth=24)
            write_daw_projects(song.score, new, stem_names=names, mix_settings=song.mix_settings, printed=printed)

        _, flac_time = _clock(flac_form)

        old = Path(scratch) / "wav"
        shutil.copytree(source / "stems", old / "stems")

        def wav_form():
            strips, returns = printed_strips(stems, song.mix_settings, sample_rate=rate)
            files = [(f"printed/{k}.wav", a) for k, a in strips.items()] + [(f"printed/returns/{k.split()[0]}.wav", a) for k, a in returns.items()]
            for relative, audio in files:
                trim = headroom_trim_db(audio)
                write_audio(old / relative, audio * 10.0 ** (trim / 20.0), sample_rate=rate, bit_depth=24)
            with zipfile.ZipFile(old / "song.dawproject", "w") as archive:  # stored, as the old writer did
                for relative in [f"stems/{k}.wav" for k in names] + [r for r, _ in files]:
                    archive.write(old / relative, relative)

        _, wav_time = _clock(wav_form)

        row = {
            "benchmark": "handoff",
            "song_seconds": round(n_samples / rate, 2),
            "tracks": len(names),
            "printed_strips": strips_time,
            "flac": {**flac_time, "printed_bytes": _size((new / "printed").rglob("*")), "dawproject_bytes": _size([new / "song.dawproject"])},
            "wav_baseline": {**wav_time, "printed_bytes": _size((old / "printed").rglob("*")), "dawproject_bytes": _size([old / "song.dawproject"])},
        }
    print(json.dumps(row))
    return row


if __name__ == "__main__":
    main()
