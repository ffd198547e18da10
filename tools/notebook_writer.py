"""Build and write the notebooks under ``notebooks/`` from the cell lists in ``tools/notebooks_*.py``.

Cell ids are numbered (``cell-00``, ``cell-01``, ...) instead of nbformat's random
ones, so writing a notebook twice gives the same file and
``tests/test_notebooks.py`` can check that every committed notebook is what its
generator writes (a notebook edited by hand and not in its generator fails).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def build_notebook(cells: list) -> nbformat.NotebookNode:
    """A notebook of ``cells`` with numbered cell ids and the python3 kernel."""
    nb = new_notebook(cells=cells, metadata=KERNELSPEC)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def write_notebooks(notebooks: dict[str, list]) -> None:
    """Write each ``{file name: cells}`` entry to ``notebooks/<file name>``."""
    for name, cells in notebooks.items():
        path = ROOT / "notebooks" / name
        nbformat.write(build_notebook(cells), str(path))
        print(f"wrote {path}")
