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

__all__ = ["LicenseRow", "classify", "check_licenses", "format_license_table", "ISOLATED", "OVERRIDES"]

#: Verified by reading the package's own license files where its metadata is empty.
OVERRIDES: dict[str, str] = {
    "espeakng-loader": "GPL-3.0-or-later (bundles espeak-ng; the loader code is MIT)",
    "pyworld-prebuilt": "MIT",
}

#: GPL packages lemm runs only in a separate worker process, never importing them in-process.
ISOLATED: dict[str, str] = {
    "espeakng-loader": "espeak-ng runs only in the lemm.vocals speech worker process (stdin/stdout)",
}

_NONCOMMERCIAL = re.compile(r"\bNC\b|-NC-|non[- ]?commercial|research[- ]only|academic[- ]only|personal use", re.I)
_COPYLEFT = re.compile(r"\bA?GPL(?!-?2\.1|.*LGPL)|GNU General Public|Affero", re.I)
_WEAK = re.compile(r"LGPL|Lesser General Public|MPL|Mozilla Public", re.I)
_PERMISSIVE = re.compile(
    r"\bMIT\b|MIT-CMU|\bBSD\b|BSD-\d|0BSD|Apache|\bISC\b|PSF|Python Software Foundation|CC0|Zlib|BSL-1\.0|Unlicense|HPND|"
    r"Dual License|Historical Permission",
    re.I,
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


def _walk(requirements: list[str], extras: set[str], seen: dict[str, md.Distribution | None]) -> None:
    from packaging.requirements import Requirement

    for line in requirements:
        req = Requirement(line)
        if req.marker is not None:
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if not any(req.marker.evaluate(env) for env in envs):
                continue
        key = _norm(req.name)
        if key in seen:
            continue
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            seen[key] = None
            continue
        seen[key] = dist
        _walk(dist.requires or [], set(), seen)


def check_licenses(*, extras: tuple[str, ...] = ()) -> list[LicenseRow]:
    """Verdicts for every installed distribution lemm depends on (recursively).

    Parameters
    ----------
    extras : tuple of str
        lemm extras to include as well, e.g. ``("test",)``.
    """
    lemm_dist = md.distribution("lemm")
    seen: dict[str, md.Distribution | None] = {}
    _walk(lemm_dist.requires or [], set(extras), seen)
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
