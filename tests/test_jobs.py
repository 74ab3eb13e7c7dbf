"""The job queue (SQLite) and the worker: dedupe, order, heartbeats, re-queue of a dead worker's job."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.jobs.queue import SQLiteQueue, default_state_dir
from pipeline.jobs.worker import JobReporter, Worker

VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Sanne>{a}</v>\n\n00:00:05.000 --> 00:00:09.000\n<v Joris>{b}</v>\n"


def write_vtt(path: Path, a: str = "Wat ik meeneem is dat grenzen stellen helpt.",
              b: str = "Ik ga volgende week met mijn leidinggevende praten.") -> Path:
    path.write_text(VTT.format(a=a, b=b), encoding="utf-8")
    return path


def test_submit_twice_runs_once_and_claims_in_order(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    first = queue.submit("run", "a", "/x/a.m4a", {"language": "nl"})
    again = queue.submit("run", "a", "/x/a.m4a", {"language": "nl"})
    second = queue.submit("run", "b", "/x/b.m4a")
    assert again.id == first.id and second.id != first.id
    claimed = queue.claim("w1")
    assert claimed is not None and claimed.id == first.id and claimed.status == "running" and claimed.attempts == 1
    assert queue.submit("run", "a", "/x/a.m4a", {"language": "nl"}).id == first.id  # running: still once
    assert queue.position(second.id) == 1
    queue.finish(first.id)
    assert queue.get(first.id).status == "done"
    assert queue.submit("run", "a", "/x/a.m4a", {"language": "nl"}).id != first.id  # done: a new run is new


def test_dead_workers_job_is_queued_again_then_given_up(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "jobs.sqlite", ttl=0.2, max_attempts=2)
    job = queue.submit("run", "a", "/x/a.m4a")
    assert queue.claim("w1").id == job.id
    queue.heartbeat(job.id)
    assert queue.claim("w2") is None  # alive: nobody else gets it
    time.sleep(0.3)  # w1 died: no heartbeat
    again = queue.claim("w2")
    assert again is not None and again.id == job.id and again.attempts == 2 and again.worker == "w2"
    time.sleep(0.3)
    assert queue.claim("w3") is None
    failed = queue.get(job.id)
    assert failed.status == "failed" and "stopped 2 times" in failed.error


def test_release_puts_the_job_back(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    job = queue.submit("run", "a", "/x/a.m4a")
    queue.claim("w1")
    queue.release(job.id)
    back = queue.get(job.id)
    assert back.status == "queued" and back.attempts == 0


def test_state_dir_is_beside_outputs_or_xdg(tmp_path: Path) -> None:
    assert default_state_dir(tmp_path / "outputs", {}) == tmp_path.resolve() / ".oogst-state"
    assert default_state_dir(tmp_path / "outputs", {"XDG_STATE_HOME": str(tmp_path / "st")}) == tmp_path / "st/oogst"


def test_reporter_writes_stage_share_and_eta(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    job = queue.submit("run", "a", "/x/a.m4a")
    reporter = JobReporter(queue, job.id, every=0.0)
    progress = reporter.begin("a", "transcribe", 120.0)
    assert progress is not None
    time.sleep(0.05)
    progress(0.5)
    state = queue.get(job.id).progress
    assert state["stage"] == "transcribe" and state["fraction"] == 0.5 and state["total_seconds"] == 120.0
    assert state["eta"] is not None and 0 < state["eta"] < 5
    reporter.end("a", "transcribe", 1.0, False)
    assert queue.get(job.id).progress["done"] == ["transcribe"]


@pytest.mark.slow
def test_worker_runs_two_queued_jobs_one_after_the_other(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    queue = SQLiteQueue(tmp_path / "state" / "jobs.sqlite")
    a = queue.submit("run", "eerste", str(write_vtt(tmp_path / "eerste.vtt")), {"title": "Eerste"})
    b = queue.submit("run", "tweede", str(write_vtt(tmp_path / "tweede.vtt", a="Goedemorgen allemaal.")))
    Worker(queue, {"out_dir": out, "quiet": True}).serve(once=True)
    first, second = queue.get(a.id), queue.get(b.id)
    assert first.status == "done" and second.status == "done", (first.error, second.error)
    assert first.finished <= second.started  # one at a time
    assert (out / "eerste" / "draft.docx").is_file() and (out / "tweede" / "draft.docx").is_file()
    assert "draft" in first.progress["done"]


def test_worker_reports_a_bad_input_as_one_line(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    bad = tmp_path / "kapot.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> nonsense\n<v Sanne>Hoi</v>\n", encoding="utf-8")
    job = queue.submit("run", "kapot", str(bad))
    Worker(queue, {"out_dir": tmp_path / "outputs", "quiet": True}).serve(once=True)
    failed = queue.get(job.id)
    assert failed.status == "failed" and "kapot.vtt" in failed.error and "\n" not in failed.error


def test_worker_stops_and_releases_its_job(tmp_path: Path) -> None:
    """A stop while a job runs puts the job back in the queue (the next worker redoes it)."""
    from pipeline.jobs import worker as worker_module

    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    job = queue.submit("run", "a", str(write_vtt(tmp_path / "a.vtt")))
    w = Worker(queue, {"out_dir": tmp_path / "outputs", "quiet": True})
    started = threading.Event()

    def run(claimed: object) -> None:
        started.set()
        raise worker_module.Stopped()

    w.run = run  # type: ignore[method-assign]  # the signal handler raises Stopped in the middle of a job
    with pytest.raises(worker_module.Stopped):
        w.serve(once=True)
    assert started.is_set() and queue.get(job.id).status == "queued"


@pytest.mark.slow
def test_worker_keeps_the_recogniser_loaded_between_jobs(tmp_path: Path, models_dir: Path) -> None:
    from pipeline.core.settings import load_settings

    w = Worker(SQLiteQueue(tmp_path / "jobs.sqlite"), {"out_dir": tmp_path / "outputs", "models_dir": models_dir})
    began = time.perf_counter()
    first = w.backend_for(load_settings({"out_dir": tmp_path, "models_dir": models_dir, "language": "nl"}))
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    again = w.backend_for(load_settings({"out_dir": tmp_path, "models_dir": models_dir, "language": "en"}))
    assert again is first  # language and vocabulary are per call; the model stays
    assert time.perf_counter() - began < loaded / 10


@pytest.mark.slow
def test_a_job_can_pseudonymise_like_the_command_line(tmp_path: Path) -> None:
    """The web page's switch travels as a job parameter: the run hides the third party and records the choice."""
    out = tmp_path / "outputs"
    queue = SQLiteQueue(tmp_path / "state" / "jobs.sqlite")
    vtt = write_vtt(tmp_path / "casus.vtt", a="Wat ik meeneem is dat Dylan de Boer rust nodig heeft in de klas.",
                    b="Ik ga volgende week met de moeder van Dylan praten.")
    job = queue.submit("run", "casus", str(vtt), {"pseudonymise": True, "language": "nl"})
    Worker(queue, {"out_dir": out, "quiet": True}).serve(once=True)
    assert queue.get(job.id).status == "done", queue.get(job.id).error
    with zipfile.ZipFile(out / "casus" / "draft.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert "Dylan" not in body and "[Persoon 1]" in body
    assert (out / "casus" / "pseudonyms.json").is_file()
    assert "Dylan" in (out / "casus" / "turns.json").read_text(encoding="utf-8")  # internal artefacts keep it


def test_jobs_and_status_read_the_embedded_queue(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a broker, `oogst jobs` and `oogst status` show the queue `oogst serve` and `oogst worker` use."""
    from pipeline.cli import main

    monkeypatch.delenv("OOGST_BROKER_URL", raising=False)
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    out = tmp_path / "outputs"
    queue = SQLiteQueue(default_state_dir(out) / "jobs.sqlite")
    first = queue.submit("run", "eerste", str(tmp_path / "eerste.vtt"))
    queue.submit("run", "tweede", str(tmp_path / "tweede.vtt"))
    queue.claim("werkplek:12")
    queue.progress(first.id, {"stage": "insights", "fraction": 0.5, "eta": 12.0})
    assert main(["jobs", "--out-dir", str(out)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "tweede" in listed[0] and "queued" in listed[0]
    assert "eerste" in listed[1] and "running on werkplek:12: ranking insights 50%, about 12 s left" in listed[1]
    queue.finish(first.id, "eerste.vtt: line 3: no time; export it again")
    (out / "tweede").mkdir(parents=True)
    assert main(["status", "--out-dir", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("eerste") and "failed: eerste.vtt: line 3" in lines[0]
    assert lines[1].startswith("tweede") and "queued" in lines[1]


def test_run_with_a_broker_leaves_decoding_to_the_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cli import main

    monkeypatch.setenv("OOGST_BROKER_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    assert main(["run", "--fast", str(write_vtt(tmp_path / "a.vtt")), "--out-dir", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("oogst: error: --fast: with a job broker the workers decode") and err.count("\n") == 1
