"""The command line as a finished tool: version, help on everything, logging levels, --json, and
text from users reaching every output format well-formed."""

from __future__ import annotations

import argparse
import io
import json
import logging
import zipfile
from pathlib import Path

import pytest
import rpp
from lxml import etree

from lemm.cli import build_parser, main
from lemm.progress import BarHandler, configure_cli_logging, log_progress, report_step


def _walk(parser: argparse.ArgumentParser, path: str = "lemm"):
    for action in parser._actions:
        yield path, action
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", argparse.Action([name], name, help=helps.get(name))
                yield from _walk(sub, f"{path} {name}")


def test_every_subcommand_and_argument_has_help() -> None:
    missing = [f"{path}: {action.option_strings or action.dest}" for path, action in _walk(build_parser())
               if not action.help or action.help == argparse.SUPPRESS and not isinstance(action, argparse._HelpAction)]
    assert missing == []
    names = {path for path, _ in _walk(build_parser())}
    assert {"lemm compose", "lemm mix", "lemm vocals clean", "lemm timbre fit", "lemm licenses", "lemm edit"} <= names


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("lemm ")


def test_quiet_and_verbose_set_the_lemm_logger() -> None:
    stream = io.StringIO()
    for verbosity, level in ((-1, logging.WARNING), (0, logging.INFO), (2, logging.DEBUG)):
        configure_cli_logging(verbosity=verbosity, stream=stream)
        assert logging.getLogger("lemm").level == level
    handlers = [h for h in logging.getLogger("lemm").handlers if isinstance(h, BarHandler)]
    assert len(handlers) == 1  # configured again, not stacked
    configure_cli_logging(verbosity=-1, stream=stream)
    log_progress("render ...")
    assert stream.getvalue() == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_steps_draw_a_bar_on_a_terminal_and_nothing_elsewhere() -> None:
    for stream, expect_bar in ((_Terminal(), True), (io.StringIO(), False)):
        handler = configure_cli_logging(verbosity=0, stream=stream)
        log_progress("render ...")
        for i in range(4):
            report_step("render", i + 1, 4)
        log_progress("render done")
        text = stream.getvalue()
        assert ("[" + "#" * 30 + "] 4/4" in text) == expect_bar
        assert text.count("lemm: render done") == 1
        logging.getLogger("lemm").removeHandler(handler)


def test_licenses_json_and_history_json(capsys, tmp_path: Path) -> None:
    status = main(["licenses", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == (0 if data["cleared"] else 1)
    assert {"torch", "numpy", "librosa", "soxr"} <= {p["name"] for p in data["packages"]}
    assert main(["history", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_user_text_reaches_every_format_well_formed(tmp_path: Path) -> None:
    """Legal but awkward text (markup characters, quotes of every kind, emoji, right-to-left, combining marks, tabs and
    CRLF in the prompt and lyrics) gives well-formed MusicXML and DAWproject XML and a REAPER project rpp reads."""
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_bytes("Sing <a> & \"b\" 'c' `d` \u05e9\u05dc\u05d5\u05dd\r\nnai\u0308ve \U0001f3b5 night\r\n".encode())
    out = tmp_path / "song"
    prompt = 'pop <song> & "quotes" \'single\' `tick`\t\u00e9\u0301 \U0001f3b6\r\nsecond line'
    assert main(["compose", prompt, "--tags", "pop", "--lyrics", str(lyrics), "--duration", "0:10", "--seed", "3", "--out", str(out)]) == 0
    song = json.loads((out / "song.json").read_text(encoding="utf-8"))
    assert "\n" not in song["score"]["title"] and song["score"]["title"].startswith('pop <song> & "quotes"')
    etree.parse(str(out / "score.musicxml"), etree.XMLParser(resolve_entities=False))  # raises on ill-formed XML
    with zipfile.ZipFile(out / "song.dawproject") as z:
        etree.fromstring(z.read("project.xml"))
        etree.fromstring(z.read("metadata.xml"))
    project = rpp.loads((out / "song.rpp").read_text(encoding="utf-8"))
    assert project.tag == "REAPER_PROJECT"
    assert "\x00" not in (out / "song.rpp").read_text(encoding="utf-8")


def test_mix_checks_its_options_before_reading_the_song(tmp_path: Path, capsys) -> None:
    assert main(["mix", str(tmp_path / "no-such-song"), "--target", "banana"]) == 2
    err = capsys.readouterr().err
    assert "banana" in err and "song.json" not in err  # the option is named, the missing song never reached


def test_history_and_diff_json_on_a_song_folder(short_song_dir: Path, tmp_path: Path, capsys) -> None:
    import shutil

    work = tmp_path / "song"
    shutil.copytree(short_song_dir, work)
    capsys.readouterr()
    assert main(["history", str(work), "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert [v["version"] for v in versions] == [1] and versions[0]["action"].startswith("compose")
    assert main(["edit", str(work), "quieter bass", "--yes"]) == 0
    capsys.readouterr()
    assert main(["diff", str(work), "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert (diff["a"], diff["b"]) == (1, 2) and isinstance(diff["changes"], list)
    assert main(["history", str(work), "--json"]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)] == [1, 2]


def test_export_packs_a_self_contained_dawproject(daw_song, tmp_path: Path, capsys) -> None:
    """The folder's song.dawproject refers to its stems; ``lemm export`` writes one with the audio inside, the folder unchanged."""
    import shutil

    folder = tmp_path / "song"
    shutil.copytree(daw_song[1], folder)
    before = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".lemm" not in p.parts}
    out = tmp_path / "to send" / "demo.dawproject"
    out.parent.mkdir()
    assert main(["export", str(folder), "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        files = list(etree.fromstring(z.read("project.xml")).iter("File"))
    stems = {f"stems/{p.stem}.flac" for p in (folder / "stems").glob("*.wav")}
    assert stems and stems <= names and {f.get("path") for f in files} <= names and all(f.get("external") is None for f in files)
    after = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".lemm" not in p.parts}
    assert after == before  # the song folder is only read
    assert main(["export", str(folder), "-o", str(tmp_path / "demo.zip")]) == 2
    assert ".dawproject" in capsys.readouterr().err
