"""Rewrite the Python dependency table at the end of LICENSES.md from the installed metadata.

Run after adding or upgrading a dependency: ``python tools/update_licenses_table.py``.
The test suite fails when an installed dependency is missing from LICENSES.md.
"""

from __future__ import annotations

from pathlib import Path

from lemm.licenses import check_licenses

HEADER = "| package | version | license | scope |\n| --- | --- | --- | --- |\n"


def main() -> None:
    path = Path(__file__).resolve().parents[1] / "LICENSES.md"
    text = path.read_text()
    runtime = {r.name for r in check_licenses()}
    rows = []
    for r in check_licenses(extras=("test",)):
        lic = r.license.replace("|", "/")
        lic = lic if len(lic) <= 90 else lic[:87] + "..."
        rows.append(f"| {r.name} | {r.version} | {lic} | {'runtime' if r.name in runtime else 'test'} |")
    head = text[: text.index(HEADER)]
    path.write_text(head + HEADER + "\n".join(rows) + "\n")
    print(f"{len(rows)} dependencies")


if __name__ == "__main__":
    main()
