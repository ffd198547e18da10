"""lemm: AI-assisted music production, from a brief to a finished song.

The few names a notebook needs::

    import lemm
    song = lemm.compose("a dreamy synth-pop song", tags=("pop",), duration="0:45", seed=1)
    song.plan, song.score          # inspect and edit (edits are functions returning new scores)
    song.render(); song.mix()      # stems, mix and master as numpy arrays
    song.save("my-song")           # the song folder
    song = lemm.load("my-song")

Note: ``lemm.compose`` is the function above; the composer's modules live in
the package of the same name, imported as ``from lemm.compose import planner``.
``lemm.render`` and ``lemm.mix`` are the renderer and mixer packages.
"""

# Import the package before binding the function of the same name, so the
# function stays bound to ``lemm.compose`` afterwards.
import lemm.compose  # noqa: E402,F401
from lemm.song import Song, compose, load  # noqa: E402
from lemm.version import __version__

__all__ = ["Song", "compose", "load", "__version__"]
