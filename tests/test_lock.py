"""One writer per session: a second process (the CLI) gets a one-line "busy" error, never a mixed folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.core.errors import OogstError
from pipeline.core.lock import HOLDER_FILE, SessionBusyError, holder, is_locked, session_lock

ROOT = Path(__file__).resolve().parents[1]


def hold_in_other_process(root: Path, owner: str = "the web worker") -> subprocess.Popen[str]:
    """Another process that takes the session's lock and keeps it until killed."""
    code = textwrap.dedent(f"""
        import sys, time
        from pipeline.core.lock import session_lock
        with session_lock({str(root)!r}, {owner!r}):
            print("held", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_process_is_told_who_is_busy(tmp_path: Path) -> None:
    root = tmp_path / "outputs" / "sessie"
    holder_proc = hold_in_other_process(root)
    try:
        assert is_locked(root)
        with pytest.raises(SessionBusyError) as info:
            with session_lock(root, "oogst names"):
                pytest.fail("took a lock another process holds")
        message = str(info.value)
        assert "\n" not in message
        assert message.startswith("outputs/sessie is busy: the web worker")
        assert f"pid {holder_proc.pid}" in message and "wait for it to finish or stop it" in message
        assert holder(root)["owner"] == "the web worker"  # the failed attempt did not overwrite it
    finally:
        holder_proc.kill()
        holder_proc.wait()
    # the kernel drops the lock of a killed process: no stale lock
    assert not is_locked(root)
    with session_lock(root, "oogst names"):
        assert holder(root)["owner"] == "oogst names"
    assert not (root / HOLDER_FILE).exists()


def test_same_process_may_nest(tmp_path: Path) -> None:
    root = tmp_path / "sessie"
    with session_lock(root, "the web worker"):
        with session_lock(root, "oogst run"):
            assert holder(root)["owner"] == "the web worker"
        assert holder(root) is not None  # still held by the outer block
    assert holder(root) is None


@pytest.mark.slow
def test_cli_commands_refuse_a_busy_session(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    root = out / "sessie"
    root.mkdir(parents=True)
    turns = {"speakers": {"S1": "Spreker 1"}, "turns": [{"speaker": "S1", "start": 0.0, "end": 2.0, "text": "Hoi."}]}
    (root / "turns.json").write_text(json.dumps(turns), encoding="utf-8")
    before = (root / "turns.json").read_bytes()
    holder_proc = hold_in_other_process(root)
    try:
        env = {**os.environ, "OOGST_CONFIG": str(tmp_path / "none.toml")}
        for command in (["names", "sessie", "S1=Sanne"], ["collect", "sessie", str(tmp_path / "x.docx")],
                        ["mail", "sessie", "--to", "a@example.nl"]):
            done = subprocess.run([sys.executable, "-m", "pipeline.cli", *command, "--out-dir", str(out)],
                                  cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
            assert done.returncode == 1, done.stderr
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and "outputs/sessie is busy: the web worker" in lines[0], done.stderr
        assert (root / "turns.json").read_bytes() == before  # nothing written
        assert not (root / "names.toml").exists()
    finally:
        holder_proc.send_signal(signal.SIGKILL)
        holder_proc.wait()


def test_run_recording_takes_the_lock(tmp_path: Path) -> None:
    from pipeline.core.settings import Settings
    from pipeline.service import run_recording

    out = tmp_path / "outputs"
    vtt = tmp_path / "sessie.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Sanne>Goedemorgen.</v>\n", encoding="utf-8")
    holder_proc = hold_in_other_process(out / "sessie")
    try:
        began = time.monotonic()
        with pytest.raises(OogstError, match="busy"):
            run_recording(vtt, Settings(out_dir=out))
        assert time.monotonic() - began < 2  # refused at once, not after waiting
        assert not (out / "sessie" / "transcript.json").exists()
    finally:
        holder_proc.kill()
        holder_proc.wait()
