"""The intelligibility judge's input checks and the Whisper weights' pin (no recognizer needs to be installed)."""

import hashlib

import numpy as np
import pytest

from lemm.errors import DependencyError, ParameterError
from lemm.vocals import judge


def test_unknown_recognizer_is_one_clear_error():
    with pytest.raises(ParameterError, match="recognizer.*pocketsphinx, whisper"):
        judge.recognize(np.ones(1600), 16000, recognizer="sphinx4")


def test_silence_is_heard_as_nothing_by_either_recognizer():
    # digital silence never reaches a decoder, so this holds whether or not one is installed
    for recognizer in judge.RECOGNIZERS:
        assert judge.recognize(np.zeros(16000), 16000, recognizer=recognizer) == ""


def test_conditioning_is_seeded_padded_and_peak_normalised():
    x = np.sin(2 * np.pi * 220 * np.arange(8000) / 8000)
    a, b, c = (judge._conditioned(x, 8000, seed) for seed in (0, 0, 1))
    assert a.size == 16000 + 2 * 8000  # 1 s at 16 kHz and two 0.5 s pads
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(np.max(np.abs(a[8000:-8000])) - 0.7) < 0.01
    assert np.sqrt(np.mean(a[:8000] ** 2)) == pytest.approx(0.7 * 1e-3, rel=0.05)  # the -60 dB floor


def test_whisper_weights_other_than_the_pinned_file_are_refused(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"not whisper")
    with pytest.raises(DependencyError, match="SHA-256"):
        judge._checked_whisper_dir(str(tmp_path))
    with pytest.raises(DependencyError, match="missing"):
        judge._checked_whisper_dir(str(tmp_path / "absent"))
    assert hashlib.sha256(b"not whisper").hexdigest() != judge.WHISPER_TINY_EN_SHA256
