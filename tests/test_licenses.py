"""LICENSES.md is generated from lemm's own dependency closure and shipped files, and says so exactly.

The dependency table must equal, row for row, what tools/update_licenses_table.py makes from the requirements
in this checkout's pyproject.toml (core + test + notebooks) and the installed distributions' metadata: a
package missing, extra, at another version or with another license fails. Packages installed here that lemm
does not depend on are not looked at. constraints.txt must pin exactly that closure.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from lemm.licenses import check_licenses, classify, license_table_rows, project_requirements

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import update_licenses_table


def _section_rows(heading: str) -> list[str]:
    text = (ROOT / "LICENSES.md").read_text(encoding="utf-8")
    body = text.split(update_licenses_table.MARK, 1)[1].split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in body.splitlines() if line.startswith("| ") and not line.startswith(("| package |", "| shipped files", "| ---"))]


@pytest.fixture(scope="module")
def requirements() -> list[str]:
    return project_requirements(ROOT / "pyproject.toml")


def test_dependency_table_is_exactly_lemms_closure(requirements: list[str]) -> None:
    assert _section_rows("Python dependencies") == license_table_rows(requirements)


def test_shipped_data_table_covers_every_shipped_file() -> None:
    assert _section_rows("Shipped data files") == update_licenses_table.data_rows()
    assert all(int(row.split("|")[2]) > 0 for row in _section_rows("Shipped data files")), "a glob that matches no file"


def test_constraints_pin_exactly_the_closure_at_the_installed_versions(requirements: list[str]) -> None:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name] = version
    rows = check_licenses(extras=("test", "notebooks"), requirements=requirements)
    assert pins == {r.name: r.version.split("+")[0] for r in rows}
    assert pins["torch"] == "2.13.0"


def test_lemms_closure_is_cleared_and_scoped(requirements: list[str]) -> None:
    rows = check_licenses(extras=("test", "notebooks"), requirements=requirements)
    assert [r.name for r in rows if not r.cleared] == []
    espeak = next(r for r in rows if r.name == "espeakng-loader")
    assert espeak.kind == "copyleft" and "worker process" in espeak.note
    scopes = {row.split("|")[1].strip(): row.split("|")[4].strip() for row in _section_rows("Python dependencies")}
    for name in ("librosa", "soxr", "safetensors", "torch", "numpy", "music21"):
        assert scopes[name] == "runtime", name
    assert scopes["pytest"] == "test"
    assert classify(next(r.license for r in rows if r.name == "soxr")) == "weak-copyleft"


def test_espeak_notice_and_license_ship_in_the_package() -> None:
    data = ROOT / "lemm" / "vocals" / "data"
    notice = (data / "ESPEAK-NG-NOTICE.md").read_text()
    assert "GPL-3.0-or-later" in notice and "https://github.com/espeak-ng/espeak-ng" in notice and "1.52.0" in notice
    assert "GNU GENERAL PUBLIC LICENSE" in (data / "LICENSE-espeak-ng-GPL-3.0").read_text()
    assert re.search(r"LICENSE-espeak-ng-GPL-3.0", (ROOT / "LICENSES.md").read_text())


def test_lemm_licenses_exits_non_zero_on_a_package_not_cleared(monkeypatch, capsys) -> None:
    import json

    import lemm.licenses
    from lemm.cli import main

    assert main(["licenses", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cleared"] is True
    monkeypatch.setitem(lemm.licenses.OVERRIDES, "mido", "CC-BY-NC-4.0")
    assert main(["licenses", "--json"]) == 1
    out = capsys.readouterr()
    report = json.loads(out.out)
    mido = next(p for p in report["packages"] if p["name"] == "mido")
    assert report["cleared"] is False and mido["kind"] == "non-commercial" and not mido["cleared"]
    assert "1 dependency not cleared" in out.err and "mido" in out.err
