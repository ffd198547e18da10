"""Form benchmark: does a composed song have a song's form? One JSON line (composition only, no audio).

Songs: every genre profile at three lengths (1:00, 3:30, 6:00), sung on lyric sheets written for
this benchmark (not in lemm's examples or tests): half of them labelled (``[Verse 1]``,
``[Pre-Chorus]``, ``[Chorus]``...), half plain stanzas. Measured on the vocal track:

- ``verse_f1_mean``: onset-and-pitch F1 of every later verse against the first verse (notes
  matched on exact onset from the section start and exact pitch), averaged over verse pairs;
  the target band is 0.5 <= F1 < 0.95 (a returning tune, varied);
- ``voice_presence``: share of verse, pre-chorus and chorus bars in which a vocal note sounds;
- ``function_words_on_downbeats``: share of vocal notes starting on a downbeat whose syllable
  belongs to a function word (:data:`lemm.compose.text_setting.FUNCTION_WORDS`); chance is the
  function-word share of the syllables (``function_word_syllable_share``);
- ``tonic_share`` (also third and fifth) of the vocal notes against the key sounding at each
  note, compared with the held-out lieder test songs (mean +- std over songs), as is the
  ``quarter_or_longer_share`` (note lengths classed to the nearest MGEval length class);
- ``instrument_parts``: non-vocal tracks with notes, minimum over the full-band genres
  (:data:`FULL_BAND`);
- ``mgeval_oa``: MGEval overlapping areas (pitch-class histogram, average pitch interval,
  note-length histogram) of the songs' 32-note vocal segments against the held-out lieder;
- ``chorus_text_over_sheet``: labelled songs whose choruses sing more chorus blocks than the
  sheet has (must be 0); ``chorus_max_repeats``: most times a chorus sings its lines in one
  section (unlabelled songs);
- ``compose_seconds``: mean and max wall time of composing a song (no audio), with the
  time of composing the same song without lyrics (an instrumental lead) as the baseline.

Usage::

    python benchmarks/form_eval.py [--seed 1] [--lengths 60,210,360]
"""

from __future__ import annotations

import argparse
import bisect
import json
import time

import numpy as np

from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.lyric_sheet import parse_lyric_sheet
from lemm.compose.melody.data import TPQ, load_dataset, split_of
from lemm.compose.melody.mgeval import NOTE_LENGTHS, compare_sets, melody_features
from lemm.compose.planner import make_plan
from lemm.compose.profiles import list_genres
from lemm.compose.text_setting import is_function_word
from lemm.score.harmony import pitch_class

#: Genres whose profiles are a full band (>= 6 instrument parts expected).
FULL_BAND = ("pop", "rock", "funk", "country", "edm", "indie", "rnb", "cinematic", "hip-hop", "ballad")
SEGMENT = 32
OA_FEATURES = ("pitch_class_histogram", "avg_pitch_interval", "note_length_histogram")

LABELLED = [
    """[Verse 1]
Paper boats along the gutter
carry names we used to know
every window on the corner
holds a lamp that will not glow

[Pre-Chorus]
And the thunder keeps on rolling
over rooftops made of tin

[Chorus]
Let the weather come and find us
we will dance until it ends
leave the worry far behind us
we were strangers, now we're friends

[Verse 2]
Grandma hums a bitter ballad
while the kettle starts to sing
there is bread upon the table
and a ribbon on a string

[Pre-Chorus]
And the thunder keeps on rolling
over rooftops made of tin

[Chorus]

[Bridge]
Nobody promised us a silver morning
nobody told us where the river bends
take my hand before the final warning

[Chorus]

[Outro]
we were strangers, now we're friends""",
    """[Intro]

[Verse 1]
Copper wires humming in the valley
trucks are rolling slowly into town
Sally paints the fences by the alley
never looking up and never down

[Chorus]
Turn the radio higher
sing it out across the plain
we are sparks without a fire
we are dancing in the rain

[Verse 2]
Mister Jones is counting all his pennies
waiting for the harvest moon to rise
children chasing shadows in the meadow
summer burning slowly in their eyes

[Chorus]
Turn the radio higher
sing it out across the plain
we are sparks without a fire
we are dancing in the rain

[Verse 3]
Every road is leading back to Sally
every song is pulling me back home
I will build a cabin in the valley
where the wild horses roam

[Chorus]""",
    """[verse]
Neon signs are blinking on the freeway
midnight engines purring in the dark
I have got a pocket full of maybe
and a lighter waiting for a spark

[pre chorus]
Hold the wheel and close your eyes
we are racing with the skies

[hook]
Run, run, run into the city light
we don't need a map tonight
run, run, run till the morning comes
beating on our paper drums

[verse]
Billboards promise heaven for a dollar
sirens singing somewhere far away
you are wearing sunset on your collar
I am wearing yesterday

[pre chorus]
Hold the wheel and close your eyes
we are racing with the skies

[hook x2]
Run, run, run into the city light
we don't need a map tonight
run, run, run till the morning comes
beating on our paper drums""",
    """Verse 1:
Morning frost upon the barley
sparrows gather on the wire
Mother stirs the porridge slowly
by the crackle of the fire

Chorus:
Oh the hills will keep our secrets
oh the river keeps our song
when the autumn leaves are falling
we will carry it along

Verse 2:
Father mends the broken lantern
sister braids her golden hair
all the stories of our elders
hanging softly in the air

Chorus:
Oh the hills will keep our secrets
oh the river keeps our song
when the autumn leaves are falling
we will carry it along

Bridge:
Winter comes and winter passes
nothing ever stays the same

Chorus:
Oh the hills will keep our secrets
oh the river keeps our song
when the autumn leaves are falling
we will carry it along""",
    """[Verse 1: Mara]
Static on the television
coffee going cold again
I keep writing you a letter
but I never hold the pen

[Pre-Chorus]
Maybe in another season
maybe in another town

[Chorus]
Say my name like a melody
say it slow and say it true
every bridge I burned behind me
led me straight back home to you

[Verse 2: Mara]
Postcards pinned above the mirror
faded blue from Santa Fe
I remember every detail
of the things you didn't say

[Pre-Chorus]
Maybe in another season
maybe in another town

[Chorus]
Say my name like a melody
say it slow and say it true
every bridge I burned behind me
led me straight back home to you

[Bridge]
Oh, the distance is a liar
oh, the silence is a thief

[Chorus]
Say my name like a melody
say it soft and say it new
every bridge I burned behind me
led me straight back home to you""",
    """[VERSE 1]
Concrete gardens, plastic roses
sidewalk poets, broken noses
every hustle has a story
every scar a little glory

[CHORUS]
We rise up from the basement
we rise up from the floor
we turn the bass up louder
than it's ever been before

[VERSE 2]
Corner store and flashing sirens
summer heat and quiet tyrants
Mama praying in the kitchen
little brother learns to listen

[CHORUS]

[VERSE 3]
Counting blessings, counting dollars
wearing dreams like paper collars
if they ask you where we came from
tell them every street we ran from

[CHORUS]""",
]

PLAIN = [
    """The lighthouse keeper counts the waves
he knows them all by name
the tide comes in and washes out
but nothing stays the same

Carry me over the water
carry me over the sea
carry me home like a daughter
carry me back to me

The gulls are crying on the pier
the fishing boats are gone
the keeper lights his lonely lamp
and waits for the dawn

The storm is rolling from the west
the harbour bells are loud
he climbs the tower step by step
and whispers to the cloud""",
    """Silver bicycles in the park
summer evenings, never dark
we were seventeen and bold
nothing we could not hold

Dance with me under the sprinkler
laugh with me under the moon
hold on to the golden summer
it will be over too soon

Now the park is paved with stone
every friend has found a home
but I keep a photograph
of the way we used to laugh""",
    """Iron horses on the track
carry coal and never look back
the foreman shouts, the whistle blows
and still the river flows

Hammer down, hammer down
ring the bell across the town
hammer down, hammer down
we will never let it drown

The miners sing beneath the ground
a deep and weary sound
their lanterns flicker in the dust
in the mountain they trust""",
    """Rain upon the window pane
whispers something soft again
I can hear the city breathe
and the subway underneath

Stay a little longer
stay until the light
every heart grows stronger
in the quiet of the night

Traffic lights are turning green
on an empty movie screen
and I wonder where you are
underneath a neon star""",
    """Velvet curtains on the stage
ink is drying on the page
the orchestra begins to play
and the crowd is far away

Sing for the ones who are missing
sing for the ones who are gone
every song is a kiss in
the dark before the dawn

Dust is falling from the beams
like the ashes of our dreams
but the singer takes a breath
and she laughs at death""",
    """Bottle caps and basketball
chalk lines on the school yard wall
headphones on and volume high
watching planes go flying by

Bounce, bounce, feel the rhythm in the street
bounce, bounce, move your feet to the beat
bounce, bounce, everybody in the heat
bounce, bounce, never accept defeat

Grandpa on the folding chair
telling stories of the fair
every record that he played
in the summer lemonade""",
]


def _words(notes) -> list[str]:
    """The word each note's syllable belongs to (syllabic begin .. end joined)."""
    out, word, idx = [], [], []
    for i, n in enumerate(notes):
        if n.lyric is None:
            out.append("")
            continue
        word.append(n.lyric.text)
        idx.append(i)
        out.append("")
        if n.lyric.syllabic in ("single", "end"):
            for j in idx:
                out[j] = "".join(word)
            word, idx = [], []
    for j in idx:
        out[j] = "".join(word)
    return out


def verse_f1(score) -> list[float]:
    """Onset-and-pitch F1 of each later verse against the first (both sung)."""
    vocal = score.track("vocal").notes
    verses = [s for s in score.sections if s.kind == "verse"]
    rel = [{(n.start_tick - s.start_tick, n.pitch) for n in vocal if s.start_tick <= n.start_tick < s.end_tick} for s in verses]
    rel = [r for r in rel if r]
    return [2 * len(rel[0] & r) / (len(rel[0]) + len(r)) for r in rel[1:]]


def voice_presence(score) -> tuple[int, int]:
    """(bars with a sounding vocal note, bars) over verse, pre-chorus and chorus sections."""
    bar = score.meters[0].bar_ticks(score.resolution)
    vocal = score.track("vocal").notes
    ends = np.array([n.end_tick for n in vocal])
    starts = np.array([n.start_tick for n in vocal])
    hit = total = 0
    for s in score.sections:
        if s.kind not in ("verse", "pre-chorus", "chorus"):
            continue
        for b in range(s.start_tick, s.end_tick, bar):
            total += 1
            hit += bool(np.any((starts < b + bar) & (ends > b)))
    return hit, total


def key_pc_at(score, tick: int) -> int:
    keys = [k for k in score.keys if k.tick <= tick] or [score.keys[0]]
    return pitch_class(keys[-1].tonic)


def degree_shares(score) -> np.ndarray:
    notes = score.track("vocal").notes
    deg = np.array([(n.pitch - key_pc_at(score, n.start_tick)) % 12 for n in notes])
    return np.bincount(deg, minlength=12) / max(len(deg), 1)


def quarter_or_longer(durations_quarters) -> float:
    d = np.asarray(durations_quarters, dtype=float)
    if d.size == 0:
        return 0.0
    cls = np.argmin(np.abs(d[:, None] - NOTE_LENGTHS[None, :]), axis=1)
    return float(np.mean(NOTE_LENGTHS[cls] >= 1.0))


def segments(p, on, du) -> list[dict]:
    k = min(4, len(p) // SEGMENT)
    if k == 0:
        return []
    return [melody_features(p[s:s + SEGMENT], on[s:s + SEGMENT], du[s:s + SEGMENT]) for s in np.linspace(0, len(p) - SEGMENT, k).astype(int)]


def lieder_reference() -> dict:
    """Tonic/third/fifth shares, quarter-or-longer share and segments of the held-out lieder test songs."""
    songs = [s for s in load_dataset() if split_of(s["id"]) == "test"]
    tonic, third, fifth, ql, segs = [], [], [], [], []
    for s in songs:
        kt = [k[0] for k in s["keys"]]
        deg = np.array([(p - s["keys"][max(0, bisect.bisect_right(kt, t) - 1)][1]) % 12 for t, p in zip(s["onset"], s["pitch"], strict=True)])
        share = np.bincount(deg, minlength=12) / len(deg)
        minor = s["keys"][0][2] == "minor"
        tonic.append(share[0])
        third.append(share[3 if minor else 4])
        fifth.append(share[7])
        ql.append(quarter_or_longer(np.asarray(s["dur"]) / TPQ))
        segs += segments(np.asarray(s["pitch"]), np.asarray(s["onset"]) / TPQ, np.asarray(s["dur"]) / TPQ)
    return {"tonic": np.array(tonic), "third": np.array(third), "fifth": np.array(fifth), "ql": np.array(ql), "segments": segs}


def measure(score, lyrics: str) -> dict:
    vocal = score.track("vocal").notes
    words = _words(vocal)
    bar = score.meters[0].bar_ticks(score.resolution)
    down = [w for n, w in zip(vocal, words, strict=True) if n.start_tick % bar == 0 and w]
    share = degree_shares(score)
    minor = score.keys[0].mode == "minor"
    sheet = parse_lyric_sheet(lyrics)
    chorus_secs = [s for s in score.sections if s.kind == "chorus" and any(s.start_tick <= n.start_tick < s.end_tick for n in vocal)]
    chorus_blocks = sum(b.kind == "chorus" and bool(b.lines) for b in sheet.blocks)
    repeats = 1
    if not sheet.labelled and len(sheet.blocks) > 1:
        chorus_words = [s.text.lower() for ln in sheet.blocks[1].lines for w in ln.words for s in w.syllables]
        for s in chorus_secs:
            sung = [n.lyric.text.lower() for n in vocal if s.start_tick <= n.start_tick < s.end_tick and n.lyric]
            repeats = max(repeats, round(len(sung) / max(len(chorus_words), 1)))
    p = np.array([n.pitch for n in vocal])
    on = np.array([n.start_tick for n in vocal]) / score.resolution
    du = np.array([n.duration_ticks for n in vocal]) / score.resolution
    return {
        "f1": verse_f1(score), "presence": voice_presence(score),
        "fw_down": (sum(is_function_word(w) for w in down), len(down)),
        "fw_all": (sum(is_function_word(w) for w in words if w), sum(1 for w in words if w)),
        "tonic": float(share[0]), "third": float(share[3 if minor else 4]), "fifth": float(share[7]),
        "ql": quarter_or_longer(du), "segments": segments(p, on, du),
        "parts": sum(1 for t in score.tracks if t.role != "vocal" and t.notes),
        "chorus_over": int(sheet.labelled and len(chorus_secs) > chorus_blocks), "chorus_repeats": repeats,
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lengths", default="60,210,360")
    args = ap.parse_args(argv)
    lengths = [float(x) for x in args.lengths.split(",")]
    ref = lieder_reference()
    rows, times, base_times = [], [], []
    for g, genre in enumerate(list_genres()):
        for j, seconds in enumerate(lengths):
            k = g * len(lengths) + j
            labelled = k % 2 == 0
            lyrics = LABELLED[(k // 2) % len(LABELLED)] if labelled else PLAIN[(k // 2) % len(PLAIN)]
            seed = args.seed + k
            plan = make_plan(Brief(tags=(genre,), lyrics=lyrics, duration_seconds=seconds, seed=seed))
            t0 = time.perf_counter()
            score = compose_score(plan, lyrics=lyrics, seed=seed)
            times.append(time.perf_counter() - t0)
            bare = make_plan(Brief(tags=(genre,), duration_seconds=seconds, seed=seed))
            t0 = time.perf_counter()
            compose_score(bare, seed=seed)
            base_times.append(time.perf_counter() - t0)
            row = measure(score, lyrics)
            row.update(genre=genre, seconds=seconds, labelled=labelled, form=" ".join(s.kind for s in plan.sections))
            rows.append(row)
    f1 = [x for r in rows for x in r["f1"]]
    hit = sum(r["presence"][0] for r in rows)
    bars = sum(r["presence"][1] for r in rows)
    fw = sum(r["fw_down"][0] for r in rows) / max(1, sum(r["fw_down"][1] for r in rows))
    fw_chance = sum(r["fw_all"][0] for r in rows) / max(1, sum(r["fw_all"][1] for r in rows))
    tonic = np.array([r["tonic"] for r in rows])
    lo, hi = float(ref["tonic"].mean() - ref["tonic"].std()), float(ref["tonic"].mean() + ref["tonic"].std())
    gen_segs = [s for r in rows for s in r["segments"]]
    rng = np.random.default_rng(args.seed)
    n = min(len(gen_segs), len(ref["segments"]))
    def pick(v):
        return [v[i] for i in sorted(rng.choice(len(v), size=n, replace=False))]

    cmp = compare_sets({"generated": pick(gen_segs), "lieder_test": pick(ref["segments"])}, [("generated", "lieder_test")])["generated|lieder_test"]
    full = [r["parts"] for r in rows if r["genre"] in FULL_BAND]
    report = {
        "benchmark": "form_eval",
        "songs": len(rows), "genres": len({r["genre"] for r in rows}), "lengths_seconds": lengths,
        "labelled_songs": sum(r["labelled"] for r in rows),
        "verse_pairs": len(f1), "verse_f1_mean": round(float(np.mean(f1)), 4) if f1 else None,
        "verse_f1_min": round(float(np.min(f1)), 4) if f1 else None, "verse_f1_max": round(float(np.max(f1)), 4) if f1 else None,
        "verse_f1_in_band_share": round(float(np.mean([0.5 <= x < 0.95 for x in f1])), 4) if f1 else None,
        "voice_presence": round(hit / max(bars, 1), 4),
        "voice_presence_min_song": round(min(r["presence"][0] / max(r["presence"][1], 1) for r in rows), 4),
        "function_words_on_downbeats": round(fw, 4), "function_word_syllable_share": round(fw_chance, 4),
        "tonic_share_mean": round(float(tonic.mean()), 4), "tonic_share_lieder_band": [round(lo, 4), round(hi, 4)],
        "tonic_songs_in_band_share": round(float(np.mean((tonic >= lo) & (tonic <= hi))), 4),
        "third_share_mean": round(float(np.mean([r["third"] for r in rows])), 4), "third_share_lieder": round(float(ref["third"].mean()), 4),
        "fifth_share_mean": round(float(np.mean([r["fifth"] for r in rows])), 4), "fifth_share_lieder": round(float(ref["fifth"].mean()), 4),
        "quarter_or_longer_share": round(float(np.mean([r["ql"] for r in rows])), 4), "quarter_or_longer_lieder": round(float(ref["ql"].mean()), 4),
        "quarter_or_longer_min_song": round(float(np.min([r["ql"] for r in rows])), 4),
        "instrument_parts_min_full_band": int(min(full)) if full else None,
        "instrument_parts_by_genre": {g: int(max(r["parts"] for r in rows if r["genre"] == g)) for g in sorted({r["genre"] for r in rows})},
        "mgeval_oa": {f: round(float(cmp[f]["oa"]), 4) for f in OA_FEATURES},
        "mgeval_segments": n,
        "chorus_text_over_sheet": int(sum(r["chorus_over"] for r in rows)),
        "chorus_max_repeats": int(max(r["chorus_repeats"] for r in rows)),
        "compose_seconds_mean": round(float(np.mean(times)), 3), "compose_seconds_max": round(float(np.max(times)), 3),
        "baseline_instrumental_compose_seconds_mean": round(float(np.mean(base_times)), 3),
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
