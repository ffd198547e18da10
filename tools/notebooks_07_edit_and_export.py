"""Write notebooks/07_edit_and_export.ipynb (human in the loop: edit, regenerate, history, DAW exports).

Run ``python tools/notebooks_07_edit_and_export.py`` after editing the cells below; the test
suite executes every notebook (with notebooks/ as the working directory).
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

CELLS = [
    new_markdown_cell(
        "# Edit, regenerate, keep every version, and hand off to a DAW\n\n"
        "A song folder is a project: `song.json` plus everything rendered from it. Each change\n"
        "(an instruction, a regeneration, an import from a notation editor) saves a new version in\n"
        "`history/`, and re-rendering reuses the render cache, so only the changed (track, section)\n"
        "slices are rendered again."
    ),
    new_code_cell(
        "import json\n"
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import lemm\n"
        "from lemm.compose.regen import regenerate\n"
        "from lemm.instruct import apply_operations, parse_instruction\n"
        "from lemm.song import rerender_song_folder\n"
        "from lemm.project.history import list_versions\n"
        "from lemm.score.merge import describe_changes\n\n"
        "folder = Path(tempfile.mkdtemp()) / 'song'\n"
        "song = lemm.compose('a funky song with brass', tags=('funk',), duration='0:20', seed=5)\n"
        "song.save(folder)\n"
        "print(sorted(p.name for p in folder.iterdir()))"
    ),
    new_markdown_cell("## An instruction edit: shown before it is applied"),
    new_code_cell(
        "song = lemm.load(folder)\n"
        "chorus = next(s.name for s in song.score.sections if s.kind == 'chorus')\n"
        "ops = parse_instruction(f'make the drums heavier in {chorus}', song)\n"
        "for op in ops:\n"
        "    print(op.describe())\n"
        "edited = apply_operations(song, ops)\n"
        "rerender_song_folder(edited, folder, action='edit: heavier drums')\n"
        "print('rendered again:', edited.render_stats.rendered)\n"
        "assert all(track == 'drums' for track, _ in edited.render_stats.rendered)"
    ),
    new_markdown_cell("## Regenerate one (track, section); nothing else moves"),
    new_code_cell(
        "song = lemm.load(folder)\n"
        "section = song.score.sections[-1].name\n"
        "new_score = regenerate(song.score, song.plan, track='bass', section=section, seed=99)\n"
        "print(describe_changes(song.score, new_score))\n"
        "regen = song.with_score(new_score)\n"
        "rerender_song_folder(regen, folder, action=f'regen bass in {section}')\n"
        "print('rendered again:', regen.render_stats.rendered)"
    ),
    new_markdown_cell("## History: every version is kept"),
    new_code_cell(
        "for v in list_versions(folder):\n"
        "    print(v.version, v.action)\n"
        "assert [v.version for v in list_versions(folder)] == [1, 2, 3]"
    ),
    new_markdown_cell(
        "## Hand-off: stems, MIDI, MusicXML, a REAPER project and a DAWproject\n\n"
        "Both projects refer to the same files of the folder by relative paths (`stems/`, `printed/`), so the folder can be moved as a whole. "
        "Both sound like `mix.wav` (printed tracks, dry stems and MIDI muted beside them). `lemm.export.pack_dawproject` "
        "(`lemm export DIR -o FILE.dawproject`) writes a DAWproject with the audio inside, to send as one file."
    ),
    new_code_cell(
        "rpp = (folder / 'song.rpp').read_text()\n"
        "print('\\n'.join(line for line in rpp.splitlines() if 'MARKER' in line or 'FILE' in line)[:800])\n"
        "import zipfile\n"
        "with zipfile.ZipFile(folder / 'song.dawproject') as z:\n"
        "    print(z.namelist())  # the XML only: the audio is the folder's\n"
        "from lemm.export import pack_dawproject\n"
        "with zipfile.ZipFile(pack_dawproject(folder, folder.parent / 'to-send.dawproject')) as z:\n"
        "    print(z.namelist()[:6])  # the same project with its audio inside\n"
        "report = json.loads((folder / 'report.json').read_text())\n"
        "print({k: report[k] for k in ('integrated_lufs', 'true_peak_dbtp', 'duration_seconds')})"
    ),
]


NOTEBOOKS = {"07_edit_and_export.ipynb": CELLS}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
