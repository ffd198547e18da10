"""Benchmark of lemm's MusicXML page; prints one JSON line.

Per song (several genres, meters 4/4, 3/4, 6/8, lengths 0:30 and 1:00, some swung):

- the page's figures (:func:`lemm.score.notation.figures.notation_figures`): share of
  notes that are 32nds or shorter, in tuplets, pitched notes with a written
  accidental; that drums are unpitched and the voice is the first part;
- with MuseScore 3 installed (``mscore3``): pages of its PDF and pages per bar, its
  tuplet warnings, and whether its own open-and-save imports back with zero changes;
- export and import seconds, beside music21's own MusicXML writer on the same
  score as the named baseline (``music21.converter`` on lemm's MIDI, then ``write``).

Run: ``python benchmarks/notation.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lemm
from lemm.score.merge import describe_changes, import_notation_report
from lemm.score.midi import write_midi
from lemm.score.musicxml import read_musicxml, score_to_musicxml, write_musicxml
from lemm.score.notation.figures import notation_figures

LYRICS = "the sun is up and the sky is blue\nwe go home tonight and sing a song for you\nand the night is long\nwe sing along"
SONGS = [
    ("a pop song", "pop", 1, "0:30"), ("a folk waltz in 3/4", "folk", 2, "0:30"), ("a rock song in 6/8", "rock", 3, "0:30"),
    ("a funk song in a minor", "funk", 4, "0:30"), ("a lofi song", "lofi", 5, "0:30"), ("a jazzy rnb song", "rnb", 6, "0:30"),
    ("a pop song", "pop", 7, "1:00"), ("a country song", "country", 8, "1:00"),
]  # fmt: skip


def _mscore(src: Path, out: Path) -> tuple[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    t = time.perf_counter()
    run = subprocess.run(["mscore3", "-o", str(out), str(src)], env=env, capture_output=True, text=True, timeout=300, check=False)
    return run.stdout + run.stderr, time.perf_counter() - t


def _musescore_row(score, src: Path, tmp: Path) -> dict:
    log, seconds = _mscore(src, tmp / "score.pdf")
    pages = int(re.search(rb"/Count (\d+)", (tmp / "score.pdf").read_bytes()).group(1))
    _mscore(src, tmp / "saved.musicxml")
    result = import_notation_report(score, tmp / "saved.musicxml", allow_deletions=True)
    return {
        "musescore_pages": pages, "musescore_tuplet_warnings": sum(1 for line in log.splitlines() if "tuplet" in line.lower()),
        "musescore_warnings": sum(1 for line in log.splitlines() if "warning" in line.lower() or "error" in line.lower()),
        "musescore_save_changes": len(describe_changes(score, result.score)), "musescore_save_identical": result.score == score,
        "musescore_render_s": round(seconds, 2),
    }  # fmt: skip


def _baseline_seconds(score, tmp: Path) -> float | None:
    try:
        import music21
    except ImportError:
        return None
    mid = write_midi(score, tmp / "b.mid")
    t = time.perf_counter()
    music21.converter.parse(str(mid)).write("musicxml", fp=str(tmp / "b.musicxml"))
    return round(time.perf_counter() - t, 3)


def song_row(prompt: str, tag: str, seed: int, duration: str, *, musescore: bool) -> dict:
    score = lemm.compose(prompt, tags=(tag,), duration=duration, seed=seed, lyrics=LYRICS).score
    with tempfile.TemporaryDirectory(prefix="lemm-notation-") as d:
        tmp = Path(d)
        t0 = time.perf_counter()
        src = write_musicxml(score, tmp / "score.musicxml")
        t1 = time.perf_counter()
        exact = read_musicxml(src) == score
        t2 = time.perf_counter()
        fig = notation_figures(score_to_musicxml(score))
        vocal = next((t.name for t in score.tracks if t.role == "vocal"), None)
        row = {
            "song": f"{tag} seed {seed} {duration}", "meter": f"{score.meters[0].numerator}/{score.meters[0].denominator}",
            "key": score.keys[0].name, "bars": fig["measures"], "notes": fig["notes"],
            "short_share": round(fig["short_share"], 4), "tuplet_share": round(fig["tuplet_share"], 4),
            "accidental_share": round(fig["accidental_share"], 4), "drums_unpitched": fig["unpitched"] > 0 and not fig["pitched_drum_parts"],
            "voice_first": fig["parts"][0] == vocal, "exact_round_trip": exact,
            "export_s": round(t1 - t0, 3), "import_s": round(t2 - t1, 3), "music21_baseline_export_s": _baseline_seconds(score, tmp),
        }  # fmt: skip
        if musescore:
            row.update(_musescore_row(score, src, tmp))
            row["pages_per_bar"] = round(row["musescore_pages"] / max(1, row["bars"]), 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three 0:30 songs only")
    args = parser.parse_args()
    musescore = shutil.which("mscore3") is not None
    songs = SONGS[:3] if args.quick else SONGS
    rows = [song_row(*s, musescore=musescore) for s in songs]
    summary = {
        "max_short_share": max(r["short_share"] for r in rows), "max_tuplet_share": max(r["tuplet_share"] for r in rows),
        "max_accidental_share": max(r["accidental_share"] for r in rows), "all_exact": all(r["exact_round_trip"] for r in rows),
    }  # fmt: skip
    if musescore:
        summary.update({"max_pages_per_bar": max(r["pages_per_bar"] for r in rows), "tuplet_warnings": sum(r["musescore_tuplet_warnings"] for r in rows),
                        "musescore_saves_identical": all(r["musescore_save_identical"] for r in rows)})  # fmt: skip
    print(json.dumps({"benchmark": "notation", "musescore": musescore, "summary": summary, "songs": rows}))


if __name__ == "__main__":
    main()
