"""`oogst serve` as real processes: a restart in the middle of a job loses nothing; two uploads queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.web_helpers import ROOT, free_port, running_server, upload, wait_for

CONVERSATION = """
Sanne: Goedemorgen allemaal. Fijn dat jullie er zijn vandaag.
Joris: Goedemorgen. Ik wil graag iets vertellen over een lastige ouder.
Sanne: Ga je gang Joris, vertel maar.
Joris: De vader van een leerling belt mij elke avond. Ik slaap er slecht van.
Sanne: Wat ik meeneem is dat je grenzen mag stellen aan je bereikbaarheid.
Joris: Ik ga volgende week met mijn leidinggevende praten over vaste tijden.
"""


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 30 s of two espeak-ng voices, as a WAV file."""
    from devtools.synth import parse_script, synthesize, write_wav

    audio, _ = synthesize(parse_script(CONVERSATION))
    return write_wav(tmp_path_factory.mktemp("audio") / "2025-03-04_intervisie.wav", audio)


def job_state(client: httpx.Client, name: str) -> dict:
    return json.loads(client.get(f"/s/{name}/progress.json").text)


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_restart_in_the_middle_of_a_job_loses_nothing(tmp_path: Path, recording: Path, stop: int) -> None:
    """Stopped (SIGTERM: the worker puts its job back) or killed (SIGKILL: the worker sees its server gone and
    puts the job back itself), the job finishes after a restart."""
    out, state, port = tmp_path / "outputs", tmp_path / "state", free_port()
    base = f"http://127.0.0.1:{port}"
    with running_server(out, state, port) as server:
        with httpx.Client(base_url=base, timeout=30) as client:
            sent = upload(client, recording, speakers="2")
            assert sent.status_code == 303, sent.text
            name = sent.headers["location"].rsplit("/", 1)[-1]
            wait_for(lambda: job_state(client, name)["status"] == "running", 60, "the job to start")
            # the CLI meanwhile: one line saying who is busy, and nothing written
            cli = subprocess.run([sys.executable, "-m", "pipeline.cli", "names", name, "S1=Sanne", "--out-dir",
                                  str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "OOGST_CONFIG": str(tmp_path / "none.toml")})
            assert cli.returncode == 1
            assert cli.stderr.startswith(f"oogst: error: outputs/{name} is busy: the web worker (pid ")
            assert len(cli.stderr.strip().splitlines()) == 1 and not (out / name / "names.toml").exists()
            server.send_signal(stop)
            server.wait(timeout=40)
    # the server (and its worker) stopped mid-job: the job waits in the queue, the upload is still there
    assert (out / name / f"{name}.wav").is_file()
    assert not (out / name / "draft.docx").exists()
    with running_server(out, state, port):
        with httpx.Client(base_url=base, timeout=30) as client:
            assert job_state(client, name)["status"] in ("queued", "running")
            final = wait_for(lambda: (s := job_state(client, name))["status"] in ("done", "failed") and s, 240,
                             "the job to finish after the restart")
            assert final["status"] == "done", final.get("error")
            assert final["stages"] == ["transcribe", "speakers", "analysis", "names", "insights", "draft"]
            assert client.get(f"/s/{name}/files/draft.docx").content[:2] == b"PK"
    turns = json.loads((out / name / "turns.json").read_text(encoding="utf-8"))
    assert len(turns["speakers"]) == 2 and len(turns["turns"]) >= 4
    assert not (out / name / ".lock.json").exists()  # the worker let go of the session


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
def test_two_uploads_queue_and_run_one_at_a_time(tmp_path: Path, recording: Path) -> None:
    out, state, port = tmp_path / "outputs", tmp_path / "state", free_port()
    with running_server(out, state, port):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            other = tmp_path / recording.name  # another recording of the same name (the same file asks first)
            data = bytearray(recording.read_bytes())
            data[-2:] = b"\x01\x00"  # its last sample differs
            other.write_bytes(bytes(data))
            first = upload(client, recording).headers["location"].rsplit("/", 1)[-1]
            second = upload(client, other).headers["location"].rsplit("/", 1)[-1]
            assert first != second
            assert job_state(client, first)["status"] in ("queued", "running")
            waiting = job_state(client, second)
            assert waiting["status"] == "queued" and waiting["ahead"] == 1
            wait_for(lambda: all(job_state(client, n)["status"] == "done" for n in (first, second)), 300,
                     "both jobs to finish")
    from pipeline.jobs.queue import SQLiteQueue

    jobs = {j.session: j for j in SQLiteQueue(state / "oogst" / "jobs.sqlite").list()}
    assert jobs[first].finished <= jobs[second].started  # never both at once on the 2 cores
