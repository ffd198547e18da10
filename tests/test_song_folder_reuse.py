"""A re-write of a song folder keeps the audio files whose content did not change, and writes the same bytes as a fresh write."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import lemm
from lemm.project.folder import CONTENT_KEYS_FIELD
from lemm.project.staging import write_song_files

AUDIO_GLOBS = ("stems/*.wav", "printed/*.flac", "printed/returns/*.flac", "mix.wav", "master.wav")


def _audio(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.read_bytes()) for g in AUDIO_GLOBS for p in folder.glob(g)}


def test_an_unchanged_file_is_kept_and_every_file_equals_a_fresh_write(tmp_path: Path, monkeypatch) -> None:
    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:10", seed=1)
    song.render()
    song.mix()
    write_song_files(song, tmp_path / "A", action="compose")
    before = _audio(tmp_path / "A")
    keys = json.loads((tmp_path / "A" / "report.json").read_text())[CONTENT_KEYS_FIELD]
    assert sorted(k for k in keys if k in before) == sorted(before) and len(before) >= 6
    assert {"score.mid", "score.musicxml"} <= set(keys) and not any(k.startswith("song.dawproject") for k in keys)  # it holds no audio
    scores_before = {rel: (tmp_path / "A" / rel).stat().st_ino for rel in ("score.mid", "score.musicxml")}
    inodes = {p.relative_to(tmp_path / "A").as_posix(): p.stat().st_ino for p in (tmp_path / "A").rglob("*") if p.is_file()}
    write_song_files(song, tmp_path / "A", action="save")  # nothing changed: no file of the song is written again
    again = {p.relative_to(tmp_path / "A").as_posix(): p.stat().st_ino for p in (tmp_path / "A").rglob("*") if p.is_file()}
    rewritten = sorted(rel for rel in again if again[rel] != inodes.get(rel))
    assert [rel for rel in rewritten if not rel.startswith(("history/", ".lemm/"))] == ["report.json"]  # its timings
    assert {"song.json", "song.rpp", "song.dawproject", "score.musicxml", "stems/bass.wav"} <= set(again)

    bass = song.mix_settings.tracks["bass"]
    song.mix_settings = song.mix_settings.with_track("bass", dataclasses.replace(bass, gain_db=bass.gain_db + 3.0))
    song.mix()  # the same stems, a louder bass
    from lemm.export import dawproject

    encoded, encode = [], dawproject._encoded_stem
    monkeypatch.setattr(dawproject, "_encoded_stem", lambda source, stem: encoded.append(stem) or encode(source, stem))
    write_song_files(song, tmp_path / "A", action="mix")
    assert encoded == []  # no dry stem encoded for the DAW project: it refers to stems/*.wav
    write_song_files(song, tmp_path / "fresh", action="mix")
    after, fresh = _audio(tmp_path / "A"), _audio(tmp_path / "fresh")
    assert sorted(after) == sorted(fresh) == sorted(before)
    for rel in fresh:
        assert after[rel][1] == fresh[rel][1], rel  # the same bytes as written from scratch
    kept = sorted(rel for rel in after if after[rel][0] == before[rel][0])
    changed = sorted(rel for rel in after if after[rel][1] != before[rel][1])
    assert [rel for rel in kept if rel.startswith("stems/")] == sorted(rel for rel in before if rel.startswith("stems/"))
    assert "printed/bass.flac" in changed and "mix.wav" in changed and "master.wav" in changed
    assert not set(kept) & set(changed)  # a kept file is an unchanged one
    assert any(rel.startswith("printed/") and rel != "printed/bass.flac" for rel in kept)
    assert not list((tmp_path / "A" / ".lemm").glob("staging-*"))
    # the score did not change: its exports are kept; the DAW projects are a fresh write's
    assert {rel: (tmp_path / "A" / rel).stat().st_ino for rel in scores_before} == scores_before
    for rel in ("score.mid", "score.musicxml", "song.dawproject", "song.rpp"):
        assert (tmp_path / "A" / rel).read_bytes() == (tmp_path / "fresh" / rel).read_bytes(), rel


def test_a_changed_score_and_stem_give_the_files_of_a_fresh_write(tmp_path: Path) -> None:
    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:10", seed=1)
    song.render()
    song.mix()
    write_song_files(song, tmp_path / "A", action="compose")
    track = next(t for t in song.score.tracks if t.name == "bass")
    louder = dataclasses.replace(track, notes=tuple(dataclasses.replace(n, velocity=min(127, n.velocity + 20)) for n in track.notes))
    edited = song.with_score(dataclasses.replace(song.score, tracks=tuple(louder if t.name == "bass" else t for t in song.score.tracks)))
    edited.mix_settings = song.mix_settings
    edited.mix()
    write_song_files(edited, tmp_path / "A", action="edit")
    write_song_files(edited, tmp_path / "fresh", action="edit")
    for rel in ("score.mid", "score.musicxml", "song.dawproject", "stems/bass.wav", "stems/guitar.wav" if (tmp_path / "fresh" / "stems/guitar.wav").exists() else "mix.wav"):
        assert (tmp_path / "A" / rel).read_bytes() == (tmp_path / "fresh" / rel).read_bytes(), rel


def test_regen_and_rerender_give_the_files_of_a_fresh_write_processing_one_strip(tmp_path: Path, monkeypatch) -> None:
    from lemm.compose.regen import regenerate
    from lemm.mix import mixer
    from lemm.song import rerender_song_folder

    lemm.compose("a calm folk song", tags=("folk",), duration="0:12", seed=2).save(tmp_path / "A")
    strips = sorted(p.name for p in (tmp_path / "A" / "cache" / "strips").glob("*.npz"))
    song = lemm.load(tmp_path / "A")
    assert len(song.score.tracks) <= len(strips) <= len(song.score.tracks) + 2  # a strip per track, the returns
    section = song.score.sections[-1].name
    edited = song.with_score(regenerate(song.score, song.plan, track="bass", section=section, seed=5))
    calls, strip = [], mixer.channel_strip
    monkeypatch.setattr(mixer, "channel_strip", lambda audio, track, **kw: calls.append(1) or strip(audio, track, **kw))
    rerender_song_folder(edited, tmp_path / "A", action="regen")
    assert len(calls) == 1  # the bass strip; the others come from the cache
    after = sorted(p.name for p in (tmp_path / "A" / "cache" / "strips").glob("*.npz"))
    assert len(after) == len(strips) and 1 <= len(set(after) - set(strips)) <= 3  # the bass strip (and the returns it sends to)
    lemm.load(tmp_path / "A").save(tmp_path / "fresh")  # the same song.json, from scratch (no cache)
    files = [p.relative_to(tmp_path / "fresh").as_posix() for p in (tmp_path / "fresh").rglob("*")
             if p.is_file() and p.parts[len((tmp_path / "fresh").parts)] not in ("cache", "history", ".lemm") and p.name != "report.json"]
    assert "stems/bass.wav" in files and "song.dawproject" in files
    for rel in files:
        assert (tmp_path / "A" / rel).read_bytes() == (tmp_path / "fresh" / rel).read_bytes(), rel


def test_score_keys_are_the_hash_of_kind_version_and_score() -> None:
    """The keys report.json gives score.mid and score.musicxml (made from one serialisation) are those of the documented text."""
    import hashlib

    from lemm.project.folder import score_content_key, score_content_keys
    from lemm.score.jsonio import score_to_dict
    from lemm.score.model import Note, Score, Track
    from lemm.version import __version__

    score = Score(title="t \u00e9", tracks=(Track("bass", "bass", "bass", notes=(Note(40, 0, 480),)),))
    keys = score_content_keys(score, kinds=("midi", "musicxml"))
    for kind in ("midi", "musicxml"):
        text = json.dumps([kind, __version__, score_to_dict(score)], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        assert keys[kind] == score_content_key(score, kind=kind) == hashlib.sha1(text.encode("ascii")).hexdigest()
    assert keys["midi"] != keys["musicxml"]
