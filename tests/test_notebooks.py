"""Every notebook under notebooks/ runs top to bottom without error, and is what its generator in tools/ writes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GENERATORS = sorted((ROOT / "tools").glob("notebooks_*.py"))


_COUNT_FIGURES = "import matplotlib.pyplot as _plt\nprint('open figures:', len(_plt.get_fignums()))"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs top to bottom; a notebook that plots leaves at least one figure.

    The notebooks set no backend (in Jupyter they show their figures inline); the runner sets
    ``MPLBACKEND=Agg`` for the kernel, so figures stay open and a last cell counts them.
    """
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "matplotlib.use(" not in source  # the backend is the runner's choice, never the notebook's
    nb.cells.append(nbformat.v4.new_code_cell(_COUNT_FIGURES))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    counted = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []) if o.get("output_type") == "stream")
    figures = int(counted.split("open figures:")[1])
    if "plt.subplots" in source or "plt.figure" in source:
        assert figures >= 1, f"{path.name} plots but made no figure"


def _generated() -> dict[str, nbformat.NotebookNode]:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from notebook_writer import build_notebook

        out = {}
        for path in GENERATORS:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            out.update({name: build_notebook(cells) for name, cells in module.NOTEBOOKS.items()})
        return out
    finally:
        sys.path.remove(str(ROOT / "tools"))


def test_every_notebook_is_what_its_generator_writes() -> None:
    generated = _generated()
    assert sorted(generated) == [p.name for p in NOTEBOOKS]  # one generator per notebook, none without
    for path in NOTEBOOKS:
        committed = nbformat.read(path, as_version=4)
        cells = [(c.cell_type, c.source, c.get("id")) for c in committed.cells]
        wanted = [(c.cell_type, c.source, c.get("id")) for c in generated[path.name].cells]
        assert cells == wanted, f"{path.name} differs from tools/ (edit the generator and run it, not the notebook)"
