"""The job queue (SQLite) and the worker: dedupe, order, heartbeats, re-queue of a dead worker's job."""

from __future__ import annotations

import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.jobs.queue import Job, SQLiteQueue, default_state_dir
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


def test_a_job_is_over_only_once_its_session_is_free(tmp_path: Path) -> None:
    """Whoever sees a job over (failed, done, cancelled) can start its session again at once: the worker records the
    outcome after letting go of the session's lock, not while it still holds it."""
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    bad = tmp_path / "kapot.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> nonsense\n<v Sanne>Hoi</v>\n", encoding="utf-8")
    job = queue.submit("run", "kapot", str(bad))
    holder = tmp_path / "outputs" / "kapot" / ".lock.json"
    held_when_over: list[bool] = []
    finish = queue.finish

    def finish_and_look(job_id: int, error: str | None = None) -> None:
        held_when_over.append(holder.exists())
        finish(job_id, error)

    queue.finish = finish_and_look  # type: ignore[method-assign]
    Worker(queue, {"out_dir": tmp_path / "outputs", "quiet": True}).serve(once=True)
    assert queue.get(job.id).status == "failed"  # type: ignore[union-attr]
    assert held_when_over == [False]


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


def test_cancel_pause_resume_and_first(tmp_path: Path) -> None:
    """A queued job is cancelled or paused at once; a running one is asked (its worker reads it with the
    heartbeat) and stopped by the worker; a person's order beats the submission order."""
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    long_ = queue.submit("run", "lang", "/x/lang.m4a")
    short = queue.submit("run", "kort", "/x/kort.vtt")
    later = queue.submit("run", "later", "/x/later.vtt")
    assert queue.claim("w1").id == long_.id
    assert queue.position(later.id) == 2
    assert queue.first(later.id).rank < queue.get(short.id).rank
    assert queue.position(later.id) == 1 and queue.position(short.id) == 2  # behind the running one only
    assert queue.pause(long_.id).status == "running"  # asked, not yet done
    assert queue.asked(long_.id) == "pause" and queue.heartbeat(long_.id) == "pause"
    assert queue.get(long_.id).stopping
    queue.progress(long_.id, {"stage": "transcribe", "fraction": 0.18})
    queue.stopped(long_.id, "pause")
    paused = queue.get(long_.id)
    assert paused.status == "paused" and paused.attempts == 0 and not paused.active
    assert paused.progress["fraction"] == 0.18  # how far it got, while it waits
    assert [j.id for j in queue.waiting()] == [later.id, short.id, long_.id]
    assert queue.claim("w1").id == later.id  # moved ahead; the paused one is left alone
    queue.finish(later.id)
    assert queue.cancel(short.id).status == "cancelled"  # queued: at once
    assert queue.claim("w1") is None
    assert queue.resume(long_.id).status == "queued"
    again = queue.claim("w1")
    assert again.id == long_.id and again.control is None
    assert again.progress == {}  # the new run reports its own, not the 18 % of the run before the pause
    assert queue.cancel(long_.id).status == "running"
    queue.release(long_.id)  # the worker was stopped (a restart) before it reached a safe point: as asked
    assert queue.get(long_.id).status == "cancelled"
    assert queue.claim("w2") is None  # a cancelled job stays cancelled


def test_a_job_asked_to_stop_whose_worker_died_is_stopped(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "jobs.sqlite", ttl=0.2)
    job = queue.submit("run", "a", "/x/a.m4a")
    queue.claim("w1")
    queue.cancel(job.id)
    time.sleep(0.3)  # w1 died before it read the flag
    assert queue.claim("w2") is None and queue.get(job.id).status == "cancelled"


def test_an_old_queue_file_gets_the_new_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "jobs.sqlite"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, session TEXT NOT "
                     "NULL, input TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL DEFAULT "
                     "'queued', attempts INTEGER NOT NULL DEFAULT 0, error TEXT, progress TEXT NOT NULL DEFAULT "
                     "'{}', submitted REAL NOT NULL, started REAL, finished REAL, worker TEXT, heartbeat REAL);"
                     "INSERT INTO jobs (kind, session, input, submitted) VALUES ('run', 'oud', '/x/oud.vtt', 1.0);")
    db.commit()
    db.close()
    queue = SQLiteQueue(path)
    old = queue.get(1)
    assert old.status == "queued" and old.rank == 1.0 and old.control is None
    assert queue.claim("w1").id == 1



class SlowBackend:
    """Replays one-second segments and, after `stop_after` of them, does what a person's cancel does to the worker."""

    name = "scripted"
    model_name = "scripted"

    def __init__(self, duration: int, stop_after: int | None = None, on_stop: object = None) -> None:
        self.duration, self.stop_after, self.on_stop = duration, stop_after, on_stop
        self.calls: list[float] = []

    def transcribe(self, audio, opts):  # type: ignore[no-untyped-def]
        from pipeline.core.types import SAMPLE_RATE, Segment, Word

        offset = self.duration - len(audio) / SAMPLE_RATE
        self.calls.append(offset)

        def segments():  # type: ignore[no-untyped-def]
            for n, second in enumerate(range(int(round(offset)), self.duration)):
                if self.stop_after is not None and n == self.stop_after:
                    self.on_stop()  # type: ignore[operator]
                start = second - offset
                yield Segment(start, start + 0.9, f"zin {second}", (Word(start, start + 0.9, f" zin{second}", 0.9),))

        return "nl", segments()


def test_a_cancelled_transcription_stops_between_segments_keeps_its_checkpoint_and_resumes(tmp_path: Path) -> None:
    """The worker reads "cancel" (here as its heartbeat thread does) and the run stops after the segment it is
    on: the checkpoint keeps the segments done, the session is free again, and a new job goes on from there."""
    from conftest import tone

    from devtools.synth import write_wav
    from pipeline.core.lock import session_lock
    from pipeline.core.session import CHECKPOINT, TRANSCRIPT

    out = tmp_path / "outputs"
    wav = write_wav(tmp_path / "lang.wav", tone(20.0))
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    job = queue.submit("run", "lang", str(wav))
    w = Worker(queue, {"out_dir": out, "quiet": True})

    def cancel() -> None:
        queue.cancel(job.id)
        w._look(w.current, beat=False)  # what the heartbeat thread does every second

    w.backend_for = lambda settings: SlowBackend(20, stop_after=6, on_stop=cancel)  # type: ignore[method-assign]
    w.serve(once=True)
    stopped = queue.get(job.id)
    assert stopped.status == "cancelled" and stopped.error is None
    kept = (out / "lang" / CHECKPOINT).read_text(encoding="utf-8").splitlines()
    assert len(kept) == 2 + 7  # header, language, the six segments before the cancel and the one it was on
    assert not (out / "lang" / TRANSCRIPT).exists()
    with session_lock(out / "lang", "test"):  # the worker let go of the session
        pass
    again = queue.submit("run", "lang", str(wav))
    assert again.id != job.id
    resumed = SlowBackend(20)
    w.backend_for = lambda settings: resumed  # type: ignore[method-assign]
    pause_once_transcribed(queue, w)
    w.serve(once=True)
    assert queue.get(again.id).status == "paused"  # at the safe point after the transcription
    assert resumed.calls and resumed.calls[0] > 6  # it went on after the last kept segment
    assert (out / "lang" / TRANSCRIPT).is_file() and not (out / "lang" / CHECKPOINT).exists()
    assert "zin 19" in (out / "lang" / TRANSCRIPT).read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_paused_job_lets_the_next_one_run_and_then_goes_on(tmp_path: Path) -> None:
    """Paused at the safe point before its first stage, the job goes back to the queue as paused; the next job runs;
    resumed, it runs to the end (what the worker read before the pause does not stop it again)."""
    out = tmp_path / "outputs"
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    long_ = queue.submit("run", "eerste", str(write_vtt(tmp_path / "eerste.vtt")))
    short = queue.submit("run", "tweede", str(write_vtt(tmp_path / "tweede.vtt")))
    w = Worker(queue, {"out_dir": out, "quiet": True})
    run, paused = w.run, []

    def pause_as_it_starts(job: Job) -> Callable[[], None]:  # a person pauses it; the heartbeat thread reads that
        if job.id == long_.id and not paused:
            paused.append(job.id)
            queue.pause(job.id)
            w._look(job, beat=False)
        return run(job)

    w.run = pause_as_it_starts  # type: ignore[method-assign]
    w.serve(once=True)
    assert paused and queue.get(long_.id).status == "paused" and queue.get(short.id).status == "done"
    queue.resume(long_.id)
    w.serve(once=True)
    assert queue.get(long_.id).status == "done"


def test_oogst_jobs_cancels_pauses_resumes_and_moves_ahead(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cli import main

    monkeypatch.delenv("OOGST_BROKER_URL", raising=False)
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    out = tmp_path / "outputs"
    queue = SQLiteQueue(default_state_dir(out) / "jobs.sqlite")
    running = queue.submit("run", "lang", str(tmp_path / "lang.wav"))
    waiting = queue.submit("run", "kort", str(tmp_path / "kort.vtt"))
    queue.claim("werkplek:12")
    assert main(["jobs", "cancel", "lang", "--out-dir", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"#{running.id} lang: asked to cancel; its worker (werkplek:12) stops")
    assert main(["jobs", "--out-dir", str(out)]) == 0
    assert "(asked to cancel)" in capsys.readouterr().out
    assert main(["jobs", "pause", f"#{waiting.id}", "--out-dir", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"#{waiting.id} kort: paused"
    assert main(["jobs", "resume", "kort", "--out-dir", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"#{waiting.id} kort: queued"
    assert main(["jobs", "resume", "kort", "--out-dir", str(out)]) == 1  # nothing paused any more
    err = capsys.readouterr().err
    assert err.startswith("oogst: error: kort: no job to resume") and err.count("\n") == 1
    assert main(["jobs", "cancel", "--out-dir", str(out)]) == 1
    assert "give a job number or a session name" in capsys.readouterr().err


def test_the_same_recording_handed_in_at_once_is_copied_once_and_whole(tmp_path: Path) -> None:
    """Several submitters copy one recording into the shared outputs folder at the same moment (each `oogst run
    --no-wait` does): each gets the session's copy, it is whole, no partial copy is left, and another file of that
    name is still refused. Two processes once shared one `.partial` name and the second crashed."""
    import os
    import random

    from pipeline.core.errors import InputError
    from pipeline.jobs.engines import shared_input

    recording = tmp_path / "in" / "2026-03-05_sessie.wav"
    recording.parent.mkdir()
    recording.write_bytes(random.Random(5).randbytes(8_000_000))
    out = tmp_path / "outputs"
    start, results, errors = threading.Barrier(6), [], []

    def hand_in() -> None:
        start.wait()
        try:
            results.append(shared_input(recording, out))
        except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(exc)

    threads = [threading.Thread(target=hand_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(results)) == 1
    copy = results[0]
    assert copy.read_bytes() == recording.read_bytes() and os.listdir(copy.parent) == [copy.name]
    other = tmp_path / "other" / recording.name
    other.parent.mkdir()
    other.write_bytes(b"RIFF another recording")
    with pytest.raises(InputError, match="already holds another file"):
        shared_input(other, out)
    assert copy.read_bytes() == recording.read_bytes()



def pause_once_transcribed(queue: SQLiteQueue, w: Worker) -> None:
    """Pause the worker's job at the safe point after its transcription (the later stages need models)."""
    real_progress = queue.progress

    def progress(job_id: int, state: dict) -> None:
        real_progress(job_id, state)
        if "transcribe" in state.get("done", []):
            queue.pause(job_id)
            w._look(w.current, beat=False)

    queue.progress = progress  # type: ignore[method-assign]
