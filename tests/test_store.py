"""The session store: atomic writes and the stage cache."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.core.errors import SessionError
from pipeline.core.session import Session, atomic_write_json, cache_key, read_json


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    atomic_write_json(path, {"x": 1})
    atomic_write_json(path, {"x": 2, "naam": "Ilse Ünal 🌱"})
    assert read_json(path) == {"x": 2, "naam": "Ilse Ünal 🌱"}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_writer_killed_midway_leaves_old_file_intact(tmp_path: Path) -> None:
    """SIGKILL while the new content is written (after the bytes, before the rename): the old file stays whole."""
    path = tmp_path / "big.json"
    atomic_write_json(path, {"old": True})
    inside = tmp_path / "inside-write"
    code = (f"import os, sys, time; sys.path.insert(0, {str(Path.cwd())!r})\n"
            "from pipeline.core import session as store\n"
            "def stuck(fd):\n"
            f"    open({str(inside)!r}, 'w').close()\n"
            "    time.sleep(60)\n"
            "store.os.fsync = stuck\n"
            f"store.atomic_write_bytes(store.Path({str(path)!r}), b'{{\"new\": ' + b'1' * 5_000_000 + b'}}')\n")
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while not inside.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert inside.exists(), "the writer never reached the write"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert read_json(path) == {"old": True}
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".big.json.")]
    assert leftovers and leftovers[0].stat().st_size > 5_000_000  # the new bytes went to the temporary file only


def test_damaged_json_gives_session_error(tmp_path: Path) -> None:
    path = tmp_path / "turns.json"
    path.write_text('{"speakers": ')
    with pytest.raises(SessionError, match="damaged JSON"):
        read_json(path)
    with pytest.raises(SessionError, match="not found"):
        read_json(tmp_path / "missing.json")


def test_stage_is_fresh_only_with_same_key_and_untouched_artefact(tmp_path: Path) -> None:
    session = Session.create(tmp_path, "s")
    atomic_write_json(session.path("transcript.json"), {"a": 1})
    key = cache_key("asr", "abc", {"language": "nl"})
    assert not session.is_fresh("transcribe", key)
    session.record("transcribe", key, ["transcript.json"])
    assert session.is_fresh("transcribe", key)
    assert not session.is_fresh("transcribe", cache_key("asr", "abc", {"language": "en"}))
    session.path("transcript.json").write_text('{"a": 2}')  # edited by hand
    assert not session.is_fresh("transcribe", key)
    session.record("transcribe", key, ["transcript.json"])
    session.path("transcript.json").unlink()
    assert not session.is_fresh("transcribe", key)


def test_the_layout_is_the_only_source_of_file_names(tmp_path: Path) -> None:
    """A session is asked for its files by their names in the layout; a name it does not hold is a bug."""
    from pipeline.core.session import LAYOUT, TURNS

    session = Session.create(tmp_path, "s")
    assert session.path(TURNS) == tmp_path / "s" / "turns.json" and TURNS in LAYOUT
    with pytest.raises(ValueError, match="not in the session layout"):
        session.path("t.json")


def test_damaged_manifest_means_run_again_not_crash(tmp_path: Path) -> None:
    session = Session.create(tmp_path, "s")
    session.path(".stages.json").write_text("{half")
    assert not session.is_fresh("transcribe", "k")


def test_open_unknown_session(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no such session"):
        Session.open("nope", tmp_path)
    Session.create(tmp_path, "ja")
    assert Session.open("ja", tmp_path).name == "ja"


def test_recording_is_the_sound_when_a_transcript_of_the_same_name_lies_beside_it(tmp_path: Path) -> None:
    """An export saved into the session folder (`<name>.txt`) sorts before `<name>.wav`: the sound is still the
    recording; a session imported from a transcript alone keeps that transcript."""
    session = Session(tmp_path / "2025-03-04_sessie")
    session.root.mkdir()
    (session.root / "2025-03-04_sessie.txt").write_text("Spreker 1: hallo\n", encoding="utf-8")
    assert session.recording() == session.root / "2025-03-04_sessie.txt"
    (session.root / "2025-03-04_sessie.wav").write_bytes(b"RIFF")
    assert session.recording() == session.root / "2025-03-04_sessie.wav"
