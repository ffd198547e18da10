"""The stem store (lemm.io.stem_store): stems in lemm's own files, read one at a time, equal bit for bit to stems in memory."""

from __future__ import annotations

import gc
import os
import pickle
import time

import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.io import stem_store
from lemm.io.stem_store import STORE_PREFIX, StemStore
from lemm.mix import auto_mix_settings
from lemm.mix.mixer import apply_mix, mix_with_strips
from lemm.mix.settings import MixSettings, TrackMix
from lemm.mix.strip_cache import StripCache

SR = 16000


def _slices(rng: np.random.Generator, n: int, count: int) -> list[tuple[int, np.ndarray]]:
    out = []
    for _ in range(count):
        start = int(rng.integers(0, n - 10))
        length = int(rng.integers(1, n - start))
        out.append((start, (rng.standard_normal((2, length)) * 0.3).astype(np.float32)))
    return out


def test_a_stem_built_from_slices_in_its_file_equals_the_one_built_in_memory(tmp_path) -> None:
    rng = np.random.default_rng(5)
    n = 5000
    store = StemStore(tmp_path)
    expected = {}
    for name in ("drums", "bass", "lead vocal"):
        store.create(name, n_samples=n)
        memory = np.zeros((2, n), np.float32)
        for start, audio in _slices(rng, n, 6):  # overlapping spans: the float32 sums in the same order
            memory[:, start : start + audio.shape[1]] += audio
            store.add(name, start, audio)
        expected[name] = memory
    assert list(store) == ["drums", "bass", "lead vocal"] and len(store) == 3 and "bass" in store and "piano" not in store
    for name, memory in expected.items():
        got = store[name]
        assert type(got) is np.ndarray and got.dtype == np.float32 and got.shape == (2, n) and store.shape(name) == (2, n)
        assert got.tobytes() == memory.tobytes()
        assert not got.flags.writeable
        with pytest.raises(ValueError):
            got[0, 0] = 1.0  # read-only: the file is never changed through a reader
    with pytest.raises(KeyError):
        store["piano"]
    copied = pickle.loads(pickle.dumps(store))  # a copy for another process: arrays, not the store's files
    assert type(copied) is dict and list(copied) == list(store) and copied["bass"].tobytes() == expected["bass"].tobytes()
    with pytest.raises(ParameterError):
        store.add("bass", n - 2, np.ones((2, 3), np.float32))  # past the stem's end
    with pytest.raises(ParameterError):
        store.create("bass", n_samples=n)  # a name twice
    store.close()


def test_put_replaces_a_stem_atomically_and_an_interrupted_put_leaves_the_previous_one(tmp_path, monkeypatch) -> None:
    store = StemStore(tmp_path)
    old = np.full((2, 100), 0.25, np.float32)
    store.put("vocal", old)
    held = store["vocal"]
    new = np.linspace(-1, 1, 200, dtype=np.float32).reshape(2, 100)
    store.put("vocal", new)
    assert store["vocal"].tobytes() == new.tobytes()
    assert held.tobytes() == old.tobytes()  # a reader of the old stem keeps the old samples

    write_header = stem_store._write_header

    def header_then_full_disk(file, shape):
        write_header(file, shape)
        file.write(b"\0" * 16)
        raise OSError("no space left on device")

    monkeypatch.setattr(stem_store, "_write_header", header_then_full_disk)
    with pytest.raises(OSError, match="no space"):
        store.put("vocal", np.zeros((2, 100), np.float32))
    monkeypatch.undo()
    assert store["vocal"].tobytes() == new.tobytes() and store.shape("vocal") == (2, 100)
    assert sorted(p.name for p in store.folder.iterdir()) == [".lock", "stem-0.npy"]  # no part file left
    store.close()


def test_close_and_garbage_collection_remove_the_store_folder_and_nothing_else(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / f"{STORE_PREFIX}mine").mkdir()  # a name like a store's, made by someone else (too short to be one)
    store = StemStore(tmp_path)
    store.put("a", np.ones((2, 10), np.float32))
    kept = store["a"]
    folder = store.folder
    assert folder.parent == tmp_path and folder.name.startswith(STORE_PREFIX) and (folder / "stem-0.npy").is_file()
    store.close()
    assert not folder.exists() and store.closed and len(store) == 0
    assert kept.sum() == 20.0  # an array read before the close stays valid
    with pytest.raises(ParameterError):
        store.put("a", np.ones((2, 10), np.float32))

    other = StemStore(tmp_path)
    folder = other.folder
    del other
    gc.collect()
    assert not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{STORE_PREFIX}mine", "notes.txt"]


@pytest.mark.skipif(stem_store.fcntl is None, reason="no file locks (Windows)")
def test_a_folder_left_behind_is_pruned_a_live_or_foreign_one_never(tmp_path) -> None:
    live = StemStore(tmp_path)
    live.put("a", np.ones((2, 4), np.float32))
    left = tmp_path / f"{STORE_PREFIX}abcd1234"  # as a killed process leaves it: its lock no longer held
    left.mkdir()
    (left / ".lock").write_bytes(b"")
    (left / "stem-0.npy").write_bytes(b"x")
    foreign = tmp_path / f"{STORE_PREFIX}efgh5678"  # a store's name, but a file that is not a store's
    foreign.mkdir()
    (foreign / ".lock").write_bytes(b"")
    (foreign / "thesis.tex").write_text("mine")
    young = tmp_path / f"{STORE_PREFIX}ijkl9012"  # perhaps being made right now
    young.mkdir()
    (young / ".lock").write_bytes(b"")
    old = time.time() - 3600
    for path in (live.folder, left, foreign):
        os.utime(path, (old, old))
    StemStore(tmp_path).close()
    assert not left.exists()
    assert live.folder.is_dir() and live["a"].sum() == 8.0
    assert (foreign / "thesis.tex").read_text() == "mine" and young.is_dir()
    live.close()


@pytest.fixture(scope="module")
def stems() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    t = np.arange(3 * SR) / SR
    kick = np.where((t % 0.5) < 0.05, np.sin(2 * np.pi * 60 * t), 0.0)
    return {
        "drums": np.stack([kick, kick]).astype(np.float32) * 0.8,
        "bass": (np.sin(2 * np.pi * 55 * t)[None, :].repeat(2, 0) * 0.5).astype(np.float32),
        "pad": (rng.standard_normal((2, t.size)) * 0.05).astype(np.float32),
        "vocal": (np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 0.5 * t))[None, :].repeat(2, 0).astype(np.float32) * 0.3,
    }


def _stored(stems: dict[str, np.ndarray], parent) -> StemStore:
    store = StemStore(parent)
    for name, audio in stems.items():
        store.put(name, audio)
    return store


def test_the_mix_of_stored_stems_is_the_mix_of_stems_in_memory(stems, tmp_path) -> None:
    roles = {"drums": "drums", "bass": "bass", "pad": "pad", "vocal": "vocal"}
    settings = auto_mix_settings(stems, roles=roles, sample_rate=SR, sidechain=True, tempo_bpm=120.0)
    store = _stored(stems, tmp_path)
    assert auto_mix_settings(store, roles=roles, sample_rate=SR, sidechain=True, tempo_bpm=120.0) == settings
    settings = MixSettings(tracks={**settings.tracks, "pad": TrackMix(**{**settings.tracks["pad"].__dict__, "spread": 0.5})},
                           reverb=settings.reverb, delay=settings.delay, master=settings.master)
    expected = apply_mix(stems, settings, sample_rate=SR)
    assert apply_mix(store, settings, sample_rate=SR).tobytes() == expected.tobytes()
    in_memory = mix_with_strips(stems, settings, sample_rate=SR)
    assert in_memory.returns and isinstance(in_memory.returns, dict)
    for workers in (1, 2):
        parts = mix_with_strips(store, settings, sample_rate=SR, workers=workers, cache=StripCache(tmp_path / f"strips{workers}"))
        assert parts.mix.tobytes() == expected.tobytes()
        assert parts.strips["pad"].tobytes() == in_memory.strips["pad"].tobytes()
        assert isinstance(parts.returns, StemStore) and list(parts.returns) == list(in_memory.returns)  # kept in files
        assert all(parts.returns[name].tobytes() == wet.tobytes() for name, wet in in_memory.returns.items())
    store.close()


def test_a_stored_stem_with_nan_or_another_length_is_refused_by_the_mixer(stems, tmp_path) -> None:
    store = _stored(stems, tmp_path)
    settings = MixSettings(tracks={name: TrackMix() for name in stems})
    bad = stems["pad"].copy()
    bad[1, 7] = np.nan
    store.put("pad", bad)
    with pytest.raises(ParameterError, match=r"stems\['pad'\].*non-finite"):
        apply_mix(store, settings, sample_rate=SR)
    store.put("pad", stems["pad"][:, :-1])
    with pytest.raises(ParameterError, match="same length"):
        apply_mix(store, settings, sample_rate=SR)
    store.close()


def test_a_failed_render_keeps_the_songs_stems_and_removes_its_store(monkeypatch) -> None:
    import lemm
    import lemm.song
    from lemm.render.settings import RenderSettings

    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:10", seed=7, render_settings=RenderSettings(sample_rate=SR))
    before = {t.name: np.ones((2, 4), np.float32) for t in song.score.tracks}
    song.stems = before
    made = []

    def interrupted(_score, *, store, **kwargs):
        made.append(store.folder)
        store.create("bass", n_samples=4)
        raise KeyboardInterrupt  # Ctrl-C halfway through the render

    monkeypatch.setattr(lemm.song, "render_stems", interrupted)
    with pytest.raises(KeyboardInterrupt):
        song.render()
    assert song.stems is before and made and not made[0].exists()
