"""The sample end to end with every network connection refused: a subprocess whose sockets refuse to connect
(any address, loopback included) and whose name lookups fail, through a `sitecustomize` loaded at start-up. The run
must pass and must not even try: every attempt is written to a log, which stays empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODELS, ROOT

BLOCK = '''
"""Loaded at interpreter start-up (sitecustomize): no network for this process and its Python children."""
import os
import socket

_LOG = os.environ["OOGST_TEST_NET_LOG"]
_connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto


def _refuse(what, target):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{what} {target!r}\\n")
    raise ConnectionRefusedError(f"network refused by the test ({what} {target!r})")


def _local(sock):
    return sock.family == getattr(socket, "AF_UNIX", None)  # a pipe between processes, not a network


def connect(self, address):
    return _connect(self, address) if _local(self) else _refuse("connect", address)


def connect_ex(self, address):
    return _connect_ex(self, address) if _local(self) else _refuse("connect", address)


def sendto(self, data, *args):
    return _sendto(self, data, *args) if _local(self) else _refuse("sendto", args[-1])


def getaddrinfo(host, *args, **kwargs):
    _refuse("getaddrinfo", host)


socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
socket.getaddrinfo = getaddrinfo
'''


def _offline_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    site = tmp_path / "offline-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK, encoding="utf-8")
    log = tmp_path / "network-attempts.log"
    log.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OOGST_", "HF_"))}
    env.update(PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), OOGST_TEST_NET_LOG=str(log),
               OOGST_CONFIG=str(tmp_path / "no-config.toml"), HOME=str(tmp_path / "home"),
               XDG_CACHE_HOME=os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")))
    return env, log


def test_the_block_refuses_and_logs_every_connection(tmp_path: Path) -> None:
    env, log = _offline_env(tmp_path)
    code = ("import urllib.request\n"
            "try:\n    urllib.request.urlopen('http://127.0.0.1:9/', timeout=2)\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert "network refused by the test" in done.stdout, done.stdout + done.stderr
    assert "127.0.0.1" in log.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_sample_runs_end_to_end_with_the_network_refused(tmp_path: Path, sample: Path, models_dir: Path) -> None:
    env, log = _offline_env(tmp_path)
    out = tmp_path / "outputs"
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(sample), "--out-dir", str(out),
                           "--models-dir", str(MODELS), "-q"], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert log.read_text(encoding="utf-8") == "", "something tried the network"
    session = out / sample.stem
    for name in ("transcript.json", "turns.json", "insights.json", "draft.docx"):
        assert (session / name).is_file(), name
    transcript = json.loads((session / "transcript.json").read_text(encoding="utf-8"))
    marker = json.loads((MODELS / "whisper-base" / ".assembled.json").read_text(encoding="utf-8"))
    assert transcript["model"] == "whisper-base"
    assert transcript["model_sha256"] == marker["files"]["model.bin"]["sha256"]
    assert str(MODELS) not in json.dumps({k: v for k, v in transcript.items() if k != "segments"})  # no path

    import docx

    last = [p.text for p in docx.Document(str(session / "draft.docx")).paragraphs if p.text.strip()][-1]
    assert last.startswith("Spraakherkenning: Whisper base (faster-whisper, int8, sha256 ")
