"""Synthetic multitrack data sets: many songs from (seed, index), through an Executor.

``lemm.dataset.generate(n, seed=..., out=...)`` makes songs 0..n-1, each a pure
function of (seed, index) and the options, on local processes (default), a
Dask cluster (``scheduler=``) or one shard of a job array (``shard="i/M"``);
``lemm.dataset.load(out)`` yields them with stems, mix, notes and metadata.
See docs/dataset.md for the layout, the engines and the licence of the data.

Modules: :mod:`~lemm.dataset.briefs` (options, briefs, splits),
:mod:`~lemm.dataset.song` (one song's files), :mod:`~lemm.dataset.store`
(fsspec storage, atomic songs, index), :mod:`~lemm.dataset.run` (executors),
:mod:`~lemm.dataset.load` (the loader), :mod:`~lemm.dataset.cli`.
"""

from lemm.dataset.briefs import DatasetOptions, song_brief, song_split
from lemm.dataset.load import DatasetSong, load
from lemm.dataset.run import RunReport, generate
from lemm.dataset.store import build_index

__all__ = ["DatasetOptions", "DatasetSong", "RunReport", "build_index", "generate", "load", "song_brief", "song_split"]
