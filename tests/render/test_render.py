"""One shared test over every preset and every drum voice, plus the behaviour of render_track/render_tracks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lemm.errors import ParameterError, ScoreError
from lemm.render import list_drum_kits, list_presets, load_preset, render_track, render_tracks
from lemm.render.controls import note_voices
from lemm.render.drums import DRUM_KITS, GM_DRUM_VOICES, voice_for_key
from lemm.render.instrument import render_voice
from lemm.render.sampled import list_sampled
from lemm.render.stems import song_n_samples
from lemm.score.model import CurvePoint, ExpressionCurve, Note, Score, Section, TempoChange, Track
from lemm.seeding import derive_seed

SR = 16000
NAMES = (
    "acoustic_piano electric_piano steel_guitar nylon_guitar electric_guitar electric_bass synth_bass "
    "string_ensemble cello brass flute synth_lead synth_pad organ"
).split()
#: One GM key per drum voice, for every kit.
DRUM_CASES = [(kit, min(k for k, v in GM_DRUM_VOICES.items() if v == voice)) for kit in ("synth_kit", "acoustic_kit") for voice in sorted(set(GM_DRUM_VOICES.values()))]
CASES = [("preset", name, 60) for name in NAMES] + [("drum", kit, key) for kit, key in DRUM_CASES]
IDS = [f"{c[1]}-{c[2]}" if c[0] == "drum" else c[1] for c in CASES]

# 120 bpm, 480 ticks per quarter: 1 tick = 1/960 s.
SCORE_TEMPO = (TempoChange(0, 120.0),)


def make_track(kind: str, name: str, notes: tuple[Note, ...], expression: tuple = ()) -> Track:
    if kind == "drum":
        return Track(name="drums", role="drums", preset=name, is_drum=True, notes=notes, expression=expression)
    return Track(name="inst", role="keys", preset=name, notes=notes, expression=expression)


def render(track: Track, **kw) -> np.ndarray:
    return render_track(track, Score(tempos=SCORE_TEMPO, tracks=(track,)), sample_rate=kw.pop("sample_rate", SR), **kw)


def uses_randomness(kind: str, name: str) -> bool:
    if kind == "preset" and name in list_sampled():
        return False  # the sampler draws no random numbers
    return kind == "drum" or load_preset(name).uses_noise


def test_every_shared_name_exists():
    assert sorted(NAMES) == list_presets()
    assert list_drum_kits() == ["acoustic_kit", "synth_kit"]
    for kit in DRUM_KITS.values():
        assert set(GM_DRUM_VOICES.values()) <= set(kit)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shared_contract(case):
    kind, name, pitch = case
    track = make_track(kind, name, (Note(pitch, 0, 240, 100),))
    a = render(track, seed=3)
    b = render(track, seed=3)
    c = render(track, seed=4)
    assert a.shape[0] == 2 and a.shape[1] > 0 and a.dtype == np.float32
    assert np.all(np.isfinite(a))
    assert 0.01 < np.abs(a).max() < 4.0
    np.testing.assert_array_equal(a, b)  # bit-identical for a seed
    assert (not np.array_equal(a, c)) == uses_randomness(kind, name)
    empty = make_track(kind, name, ())
    assert render(empty, n_samples=1000).shape == (2, 1000)
    assert np.count_nonzero(render(empty, n_samples=1000)) == 0
    assert render(empty).shape == (2, 0)
    fixed = render(track, seed=3, n_samples=3000)  # a prefix of the full render, zeros past its end (a closed hat lasts 2080 samples)
    m = min(3000, a.shape[1])
    np.testing.assert_array_equal(fixed[:, :m], a[:, :m])
    assert fixed.shape == (2, 3000) and np.count_nonzero(fixed[:, m:]) == 0


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_no_clicks_at_note_start_and_end(case):
    kind, name, pitch = case
    onset_tick = 240  # 0.25 s
    onset = SR // 4
    a = render(make_track(kind, name, (Note(pitch, onset_tick, 300, 110),)))
    mono = np.abs(a).max(0)
    peak = mono.max()
    assert np.count_nonzero(a[:, :onset]) == 0  # silence before the note
    first_ms = SR // 1000
    assert mono[onset] < 0.05 * peak  # no step at the onset
    if kind == "drum":  # drums attack within ~1 ms, but as a ramp
        assert mono[onset : onset + first_ms // 4].max() < 0.5 * peak
    else:
        assert mono[onset : onset + first_ms // 2].max() < 0.35 * peak  # no instant jump to full level
    assert mono[-first_ms:].max() < 0.02 * peak  # fades to (almost) nothing at the end
    assert a[:, -1].max() < 0.005 * peak


@pytest.mark.parametrize("name", NAMES)
def test_pitch_of_a_sustained_note(name):
    pitch = 57  # 220 Hz
    no_vibrato = (ExpressionCurve("vibrato_depth_cents", (CurvePoint(0, 0.0),)),)
    a = render(make_track("preset", name, (Note(pitch, 0, 1440, 100),), no_vibrato), n_samples=int(1.5 * SR))
    seg = a.mean(0)[SR // 4 : SR // 4 + SR]  # 1 s, after the attack; both channels (detuned copies pan apart)
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    freqs = np.fft.rfftfreq(8 * len(seg), 1 / SR)
    near = (freqs > 220 * 2 ** (-1 / 12)) & (freqs < 220 * 2 ** (1 / 12))
    f_peak = freqs[near][np.argmax(spec[near])]
    assert abs(1200 * np.log2(f_peak / 220.0)) < 10


def test_pitch_with_librosa_yin():
    librosa = pytest.importorskip("librosa")
    a = render(make_track("preset", "electric_piano", (Note(64, 0, 960, 100),)), n_samples=SR)
    f0 = librosa.yin(a[0, 2000:14000].astype(np.float64), fmin=100, fmax=1000, sr=SR, frame_length=1024)
    cents = 1200 * np.log2(np.median(f0) / 329.6276)
    assert abs(cents) < 10


@pytest.mark.parametrize("name", NAMES)
def test_top_note_has_no_aliased_harmonics(name):
    # Harmonic part only (noise is broadband by design): C8 = 4186 Hz at 16 kHz keeps harmonic 1 only
    # (a preset with partial_divisor > 1, a drawbar organ's 16' stop, keeps its multiples of 4186 / divisor under Nyquist).
    preset = dataclasses.replace(load_preset(name), noise_level_db=None, attack_noise_db=None, vibrato_depth_cents=0.0)
    track = make_track("preset", name, (Note(108, 0, 480, 127),))
    voice = note_voices(track, Score(tempos=SCORE_TEMPO, tracks=(track,)), preset, sample_rate=SR)[0]
    y = render_voice(voice, preset, sample_rate=SR, seed=0).numpy()[0]
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    detune = max(abs(c) for c in preset.detune_cents)
    band = 4186.0 * (2 ** (detune / 1200) - 1) + 120
    partials = [4186.0 * k / preset.partial_divisor for k in range(1, 4 * preset.partial_divisor) if 4186.0 * k / preset.partial_divisor < SR / 2]
    away = np.min([np.abs(freqs - f) for f in partials], axis=0) > band
    assert spec[away].sum() < 1e-6 * spec.sum()


# Whether upper harmonics die faster is measured by the fit (FluidR3's guitar and bass samples keep
# their upper partials about as long as the fundamental), so the mechanism is checked with a set harmonic_decay.
@pytest.mark.parametrize("name", ["acoustic_piano", "steel_guitar", "electric_bass"])
def test_plucked_upper_harmonics_decay_faster(name):
    stock = load_preset(name)  # without the fitted keyframes, which move the spectrum on their own
    preset = dataclasses.replace(stock, harmonic_decay=0.35, regions=tuple(dataclasses.replace(r, keyframe_gains_db=()) for r in stock.regions))
    track = make_track("preset", name, (Note(45, 0, 1920, 100),))
    a = render_track(track, Score(tempos=SCORE_TEMPO, tracks=(track,)), sample_rate=SR, n_samples=2 * SR, preset=preset)[0]  # 110 Hz

    def ratio(start):
        seg = a[start : start + 4000] * np.hanning(4000)
        spec = np.abs(np.fft.rfft(seg, 32000))
        freqs = np.fft.rfftfreq(32000, 1 / SR)
        h = lambda f: spec[np.abs(freqs - f) < 8].max()  # noqa: E731
        return (h(440.0) + h(550.0) + h(660.0)) / h(110.0)

    assert ratio(int(1.2 * SR)) < 0.6 * ratio(int(0.05 * SR))


def _centroid(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    return float((spec * freqs).sum() / spec.sum())


@pytest.mark.parametrize("name", ["brass", "acoustic_piano", "synth_lead"])
def test_velocity_makes_louder_and_brighter(name):
    soft = render(make_track("preset", name, (Note(60, 0, 480, 40),)))[0, : SR // 2]
    hard = render(make_track("preset", name, (Note(60, 0, 480, 120),)))[0, : SR // 2]
    assert np.sqrt(np.mean(hard**2)) > 2.0 * np.sqrt(np.mean(soft**2))
    assert _centroid(hard) > 1.1 * _centroid(soft)


def test_articulations_shape_the_note():
    def rms_after(art, start_s):
        a = render(make_track("preset", "organ", (Note(60, 0, 480, 100, art),)), n_samples=SR)[0]
        return np.sqrt(np.mean(a[int(start_s * SR) : int(start_s * SR) + 800] ** 2))

    assert rms_after("staccato", 0.35) < 0.01 * rms_after("tenuto", 0.35)
    plain = render(make_track("preset", "organ", (Note(60, 0, 480, 100),)), n_samples=SR)
    accent = render(make_track("preset", "organ", (Note(60, 0, 480, 100, "accent"),)), n_samples=SR)
    assert np.abs(accent).max() > 1.3 * np.abs(plain).max()


def test_dynamics_curve_scales_level():
    half = (ExpressionCurve("dynamics", (CurvePoint(0, 0.5),)),)
    full = render(make_track("preset", "organ", (Note(60, 0, 480, 100),)))
    quiet = render(make_track("preset", "organ", (Note(60, 0, 480, 100),), half))
    assert 0.45 < np.abs(quiet).max() / np.abs(full).max() < 0.55


def test_controls_are_returned_for_plotting():
    track = make_track("preset", "flute", (Note(69, 0, 480, 100), Note(76, 480, 480, 100, "legato")))
    audio, controls = render_track(track, Score(tempos=SCORE_TEMPO, tracks=(track,)), sample_rate=SR, return_controls=True)
    t = controls["time_seconds"]
    assert {"f0_hz", "amplitude", "brightness", "time_seconds"} <= set(controls)
    assert all(len(v) == len(t) for v in controls.values())
    mid = np.argmin(np.abs(t - 0.25))
    assert abs(1200 * np.log2(controls["f0_hz"][mid] / 440.0)) < 25  # vibrato not started yet
    # portamento: the legato second note starts near the first pitch and glides up
    voices = note_voices(track, Score(tempos=SCORE_TEMPO, tracks=(track,)), load_preset("flute"), sample_rate=SR)
    assert voices[1].f0_hz[1] < 500.0 < voices[1].f0_hz[-10]


def test_pitch_bend_curve_moves_f0():
    bend = (ExpressionCurve("pitch_bend_semitones", (CurvePoint(0, 2.0),)),)
    track = make_track("preset", "organ", (Note(69, 0, 480, 100),), bend)
    _, controls = render_track(track, Score(tempos=SCORE_TEMPO, tracks=(track,)), sample_rate=SR, return_controls=True)
    assert abs(controls["f0_hz"][20] - 440.0 * 2 ** (2 / 12)) < 0.5


def test_open_hat_is_choked_by_closed_hat():
    open_only = render(make_track("drum", "synth_kit", (Note(46, 0, 120, 100),)), n_samples=SR)
    choked = render(make_track("drum", "synth_kit", (Note(46, 0, 120, 100), Note(42, 240, 120, 1))), n_samples=SR)
    late = slice(int(0.45 * SR), int(0.9 * SR))
    assert np.sqrt(np.mean(choked[:, late] ** 2)) < 0.02 * np.sqrt(np.mean(open_only[:, late] ** 2))


def test_repeated_drum_hits_vary_slightly():
    a = render(make_track("drum", "synth_kit", (Note(38, 0, 120, 100), Note(38, 960, 120, 100))), n_samples=2 * SR)
    first, second = a[:, : SR // 2], a[:, SR : SR + SR // 2]
    assert not np.array_equal(first, second)
    assert 0.8 < np.abs(second).max() / np.abs(first).max() < 1.25


def test_every_key_maps_to_a_voice():
    assert voice_for_key(36) == "kick" and voice_for_key(42) == "closed_hat" and voice_for_key(46) == "open_hat"
    assert voice_for_key(0) == "kick" and voice_for_key(127) == "ride"
    assert voice_for_key(52) == "ride"  # between 51 (ride) and 53 (ride bell): ties go low
    assert all(voice_for_key(k) in DRUM_KITS["synth_kit"] for k in range(128))


def test_bad_input():
    with pytest.raises(ParameterError, match="acoustic_piano"):
        load_preset("kazoo")
    with pytest.raises(ParameterError, match="acoustic_piano"):
        render(make_track("preset", "kazoo", (Note(60, 0, 240),)))
    with pytest.raises(ParameterError, match="synth_kit"):
        render(make_track("drum", "tr909", (Note(36, 0, 240),)))
    vocal = Track(name="vocal lead", role="vocal", preset="voice_high", notes=(Note(60, 0, 240),))
    with pytest.raises(ParameterError, match="lemm.vocals"):
        render(vocal)
    organ = make_track("preset", "organ", (Note(60, 0, 240),))
    for kw in (dict(sample_rate=0), dict(seed=-1), dict(device="tpu"), dict(n_samples=-5)):
        with pytest.raises(ParameterError):
            render(organ, **kw)
    with pytest.raises(ScoreError):
        Note(128, 0, 240)
    with pytest.raises(ScoreError):
        CurvePoint(0, float("nan"))


def test_render_tracks_seeds_each_section_like_a_song_and_skips_vocals():
    drums = make_track("drum", "synth_kit", (Note(36, 0, 240, 100), Note(42, 240, 120, 90)))
    # two sections: the flute's second note is its own slice, seeded by (track, section) as songs do
    flute = Track(name="flute", role="lead", preset="flute", notes=(Note(72, 0, 480, 90), Note(74, 1920, 480, 90)))
    vocal = Track(name="vocal", role="vocal", preset="voice_low", notes=(Note(60, 0, 240),))
    sections = (Section("verse 1", "verse", 0, 1920), Section("chorus 1", "chorus", 1920, 1920))
    score = Score(tempos=SCORE_TEMPO, sections=sections, tracks=(drums, flute, vocal))
    serial = render_tracks(score, sample_rate=SR, seed=5, n_workers=1)
    parallel = render_tracks(score, sample_rate=SR, seed=5, n_workers=2)
    assert list(serial) == ["drums", "flute"]
    for name in serial:
        np.testing.assert_array_equal(serial[name], parallel[name])
    n = song_n_samples(score, sample_rate=SR)
    assert serial["drums"].shape == serial["flute"].shape == (2, n)  # the song's length: last bar plus tail
    # independent reference: each section's notes rendered alone with its own derived seed, summed
    expected = np.zeros((2, n), np.float32)
    for section, notes in zip(sections, ((flute.notes[0],), (flute.notes[1],)), strict=True):
        part = dataclasses.replace(flute, notes=notes)
        expected += render_track(part, score, sample_rate=SR, seed=derive_seed(5, "flute", section.name), n_samples=n)
    np.testing.assert_allclose(serial["flute"], expected, atol=1e-6)
    one_seed = render_track(flute, score, sample_rate=SR, seed=derive_seed(5, "flute"), n_samples=n)
    assert not np.allclose(serial["flute"], one_seed, atol=1e-4)  # the old per-track seed is not what a song plays
    assert render_tracks(score, sample_rate=SR, track_names=["flute"]).keys() == {"flute"}
    shifted = render_tracks(score, sample_rate=SR, seed=5, track_names=["flute"], start_offset_seconds=0.5)
    np.testing.assert_array_equal(shifted["flute"][:, SR // 2 :], serial["flute"])
    assert not shifted["flute"][:, : SR // 2].any()


def test_48k_render_is_consistent():
    a = render(make_track("preset", "electric_piano", (Note(60, 0, 240, 100),)), sample_rate=48000)
    assert a.dtype == np.float32 and np.all(np.isfinite(a)) and 0.05 < np.abs(a).max() < 2.0
    assert a.shape[1] > 0.25 * 48000


def test_polyphonic_single_copy_presets_spread_notes_by_pitch_mono_safely():
    pad = load_preset("organ")  # synth_pad and string_ensemble are ensembles of drifting players (test_living_timbres)
    assert len(pad.detune_cents) == 1 and pad.stereo_width > 0 and not pad.monophonic
    notes = (Note(84, 0, 480), Note(36, 960, 480), Note(48, 1920, 480))
    stem = render(make_track("preset", "organ", notes))
    third = [stem[:, int(k * 0.5 * SR) + 400 : int((k * 0.5 + 0.45) * SR)] for k in (0, 2, 4)]
    high, low, mid = third
    rms = lambda x: float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))  # noqa: E731
    assert rms(high[1]) > 3.0 * rms(high[0]), "a high note sits right"
    assert rms(mid[0]) > rms(mid[1]), "a mid-low note sits left"
    np.testing.assert_allclose(rms(low[0]), rms(low[1]), rtol=0.05)  # the lowest octave stays centred
    # left and right carry one signal at two levels (plus centred noise): the mono sum does not cancel
    for seg in third:
        assert rms(seg[0] + seg[1]) >= max(rms(seg[0]), rms(seg[1]))
        if min(rms(seg[0]), rms(seg[1])) > 0.3 * max(rms(seg[0]), rms(seg[1])):
            assert np.corrcoef(seg[0], seg[1])[0, 1] > 0.9
    lead = render(make_track("preset", "synth_lead", (Note(84, 0, 480),)))
    np.testing.assert_allclose(lead[0], lead[1], atol=1e-6)  # monophonic: centred


def test_differentiable_voice_matches_the_fast_path():
    track = make_track("preset", "string_ensemble", (Note(62, 0, 720, velocity=90),))
    score = Score(tempos=SCORE_TEMPO, tracks=(track,))
    preset = load_preset("string_ensemble")
    voice = note_voices(track, score, preset, sample_rate=SR)[0]
    fast = render_voice(voice, preset, sample_rate=SR, seed=1).numpy()
    slow = render_voice(voice, preset, sample_rate=SR, seed=1, differentiable=True).numpy()
    assert slow.shape == fast.shape == (2, voice.n_samples)
    err = np.sqrt(np.mean((slow - fast) ** 2)) / np.sqrt(np.mean(fast**2))
    assert err < 0.02, f"relative RMS difference {err:.4f}"
