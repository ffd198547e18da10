"""The Whisper judge's worker: transcribes a batch of 16 kHz clips in its own process.

faster-whisper imports PyAV, whose wheel bundles FFmpeg with GPL-licensed codec libraries
(x264, x265); lemm's rule is that GPL code runs only in a separate process, so the judge
(:func:`lemm.vocals.judge.recognize_batch`) runs this script with ``python -m`` and never
imports faster-whisper itself. Evaluation only: nothing that makes a song uses it.

Usage (what the judge runs)::

    python -m lemm.vocals.whisper_worker MODEL_DIR CLIPS.npz HEARD.json

``CLIPS.npz`` holds float32 arrays ``clip0``, ``clip1``, ... (16 kHz mono, already conditioned);
``HEARD.json`` gets a JSON list of the hypotheses in the same order. Decoding is deterministic:
English, beam 5, temperature 0, no conditioning on earlier text, no timestamps, float32 on one
CPU thread.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def transcribe(model_dir: str, clips: list[np.ndarray]) -> list[str]:
    """One hypothesis per clip [each shape=(n,), float32 at 16 kHz]."""
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type="float32", cpu_threads=1, num_workers=1)
    heard = []
    for clip in clips:
        segments, _info = model.transcribe(
            np.asarray(clip, dtype=np.float32), language="en", beam_size=5, temperature=0.0,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
        )
        heard.append(" ".join(seg.text.strip() for seg in segments).strip())
    return heard


def main(argv: list[str]) -> int:
    model_dir, clips_path, heard_path = argv
    with np.load(clips_path) as data:
        clips = [data[f"clip{i}"] for i in range(len(data.files))]
    Path(heard_path).write_text(json.dumps(transcribe(model_dir, clips)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
