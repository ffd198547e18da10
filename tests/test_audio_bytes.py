"""lemm's audio files are the same bytes for the same samples: no write-time stamp in a float WAV."""

import io

import numpy as np
import soundfile as sf

from lemm.export.common import encode_audio
from lemm.io.audio import write_audio


def _chunks(data: bytes) -> list[bytes]:
    """The RIFF chunk ids of a WAV file, in order."""
    ids, pos = [], 12
    while pos + 8 <= len(data):
        ids.append(data[pos : pos + 4])
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "little") + (int.from_bytes(data[pos + 4 : pos + 8], "little") & 1)
    return ids


def test_a_float_wav_has_no_peak_chunk_and_keeps_its_samples(tmp_path):
    # libsndfile's PEAK chunk holds the time of writing: two writes a second apart differed
    audio = (np.random.default_rng(3).standard_normal((2, 4800)) * 0.2).astype(np.float32)
    path = write_audio(tmp_path / "x.wav", audio, sample_rate=48000, bit_depth=32)
    data = path.read_bytes()
    assert b"PEAK" not in _chunks(data) and b"data" in _chunks(data)
    back, rate = sf.read(path, dtype="float32", always_2d=True)
    assert rate == 48000 and np.array_equal(back.T, audio)
    encoded = encode_audio(audio.T, sample_rate=48000, bit_depth=32)
    assert b"PEAK" not in _chunks(encoded)
    assert np.array_equal(sf.read(io.BytesIO(encoded), dtype="float32")[0], audio.T)
    # what the guard is for: libsndfile's default writes the chunk
    plain = io.BytesIO()
    sf.write(plain, audio.T, 48000, subtype="FLOAT", format="WAV")
    assert b"PEAK" in _chunks(plain.getvalue())
