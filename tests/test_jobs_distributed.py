"""The distributed queue: a real Redis (Debian's redis-server on a free loopback port) and real Celery workers as
separate `oogst worker` processes, fed imported transcripts so the jobs are short on 2 cores."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_SCRIPT

# The tests that start redis-server are marked needs_service: they fail, never skip, without it.

TTL, VISIBILITY = 3.0, 5.0  # short, so a killed worker's job comes back within seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
            time.sleep(0.05)
    yield port
    server.terminate()
    server.wait(timeout=10)


def transcript(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def script_lines() -> list[str]:
    """The `Name: text` lines of the sample's script (a Dutch intervision conversation)."""
    return [re.sub(r"\[pause [\d.]+\]", "", line).strip() for line in SAMPLE_SCRIPT.read_text("utf-8").splitlines()
            if ":" in line and not line.startswith("#")]


FILLERS = ["eigenlijk", "echt", "wel", "gewoon", "eh", "nou", "ook", "toch", "even", "dus"]


def long_lines(copies: int, seed: int = 3) -> list[str]:
    """The intervision fixture `copies` times as `Name: text` lines, each copy with other spoken fillers inserted
    (so no sentence repeats verbatim, as in bench/bench_insights.py): a longer conversation, a longer job."""
    data = json.loads((ROOT / "tests" / "data" / "insights" / "intervisie_nl.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    lines = []
    for _ in range(copies):
        for turn in data["turns"]:
            words = turn["text"].split()
            for _ in range(max(1, len(words) // 12)):
                words.insert(rng.randrange(1, len(words) + 1), rng.choice(FILLERS))
            lines.append(f"{data['speakers'][turn['speaker']]}: {' '.join(words)}")
    return lines


class Cluster:
    """A config file naming the broker and the shared outputs folder, and `oogst worker` processes on it."""

    def __init__(self, root: Path, port: int, db: int) -> None:
        self.root = root
        self.out = root / "outputs"
        self.url = f"redis://127.0.0.1:{port}/{db}"
        self.config = root / "config.toml"
        self.config.write_text(f'[oogst]\nout_dir = "{self.out}"\n[queue]\nbroker = "{self.url}"\nttl = {TTL}\n'
                               f"visibility_timeout = {VISIBILITY}\n[search]\nanswer_within = 90\n", encoding="utf-8")
        self.env = {**os.environ, "OOGST_CONFIG": str(self.config), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "PYTHONPATH": str(ROOT), "OOGST_MODELS_DIR": str(root / "no-models")}  # transcripts only
        self.env.pop("OOGST_BROKER_URL", None)
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = (self.root / f"worker{len(self.workers)}.log").open("wb")
        worker = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "worker"], cwd=ROOT, env=self.env,
                                  stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker

    # Readiness, not speed: a worker imports Celery and the pipeline; under a loaded CI machine that took over 60 s.
    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        for i, worker in enumerate(self.workers):
            while b" ready." not in (self.root / f"worker{i}.log").read_bytes():
                assert worker.poll() is None and time.monotonic() < deadline, self.log(i)
                time.sleep(0.1)

    def log(self, i: int) -> str:
        return (self.root / f"worker{i}.log").read_text("utf-8", errors="replace")[-3000:]

    def oogst(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, env=self.env, text=True,
                              capture_output=True, timeout=timeout)

    def queue(self):  # type: ignore[no-untyped-def]
        from pipeline.jobs.celery_queue import CeleryQueue

        return CeleryQueue(self.url, out_dir=self.out, ttl=TTL, visibility_timeout=VISIBILITY)

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_port: int) -> Iterator[Cluster]:
    """Two workers, one thread each, on db 0; the tests below share them in file order (the kill test last)."""
    c = Cluster(tmp_path_factory.mktemp("cluster"), redis_port, 0)
    c.start_worker()
    c.start_worker()
    c.wait_ready()
    yield c
    c.stop()


def artefacts(folder: Path) -> dict[str, object]:
    """What a run produces, comparable between machines: the JSON artefacts and the draft's text."""
    found: dict[str, object] = {}
    for name in ("transcript.json", "diarization.json", "turns.json", "insights.json"):
        found[name] = json.loads((folder / name).read_text(encoding="utf-8"))
    with zipfile.ZipFile(folder / "draft.docx") as docx:
        found["draft"] = docx.read("word/document.xml").decode("utf-8")
    return found


def local_run(inputs: list[Path], out: Path) -> None:
    from pipeline.core.settings import load_settings
    from pipeline.service import run_recording

    settings = load_settings({"out_dir": out, "quiet": True}, env={"HOME": str(out)})
    for path in inputs:
        run_recording(path, settings)


@pytest.mark.needs_service("redis-server")
def test_queue_takes_a_job_once_and_gives_up_after_three_stopped_workers(redis_port: int, tmp_path: Path) -> None:
    """The state rules in Redis, without workers: dedup, claim by id, a live job is not taken, a dead one is."""
    from pipeline.jobs.celery_queue import CeleryQueue

    queue = CeleryQueue(f"redis://127.0.0.1:{redis_port}/1", out_dir=tmp_path, ttl=0.3, max_attempts=3)
    queue.db.flushdb()
    job = queue.submit("run", "a", str(tmp_path / "a" / "a.txt"), {"language": "nl"})
    assert job.input == "a/a.txt"  # relative to the shared outputs folder
    assert queue.submit("run", "a", str(tmp_path / "a" / "a.txt"), {"language": "nl"}).id == job.id
    other = queue.submit("run", "b", str(tmp_path / "b.txt"))
    assert other.id != job.id and queue.position(other.id) == 1
    taken = queue.claim("w1", job_id=job.id)
    assert taken is not None and taken.worker == "w1" and taken.attempts == 1
    assert queue.claim("w2", job_id=job.id) is None  # alive on w1: a redelivered message does not run it
    assert queue.submit("run", "a", str(tmp_path / "a" / "a.txt"), {"language": "nl"}).id == job.id  # running
    for attempt in (2, 3):
        time.sleep(0.4)  # the worker died: no heartbeat
        again = queue.claim(f"w{attempt}", job_id=job.id)
        assert again is not None and again.attempts == attempt
    time.sleep(0.4)
    assert queue.claim("w4", job_id=job.id) is None
    failed = queue.get(job.id)
    assert failed is not None and failed.status == "failed" and "stopped 3 times" in failed.error
    assert queue.submit("run", "a", str(tmp_path / "a" / "a.txt"), {"language": "nl"}).id != job.id  # over: new
    queue.progress(other.id, {"stage": "insights", "fraction": 0.5})
    assert queue.list("b")[0].progress["fraction"] == 0.5
    queue.db.flushdb()


@pytest.mark.needs_service("redis-server")
def test_cancel_pause_resume_and_first_through_the_brokers_state(redis_port: int, tmp_path: Path) -> None:
    """The same rules as the embedded queue, in Redis: a queued job is cancelled or paused at once, a running one is
    asked through its record (its worker reads it with the heartbeat), a person's order beats the submission order,
    and a cancelled job whose worker stopped stays cancelled."""
    from pipeline.jobs.celery_queue import CeleryQueue

    queue = CeleryQueue(f"redis://127.0.0.1:{redis_port}/3", out_dir=tmp_path, ttl=0.3)
    queue.db.flushdb()
    sent: list[int] = []
    queue._send = lambda job_id, params: sent.append(job_id)  # type: ignore[method-assign]  # no worker: the tickets
    long_, short, later = (queue.submit("run", n, str(tmp_path / f"{n}.txt")) for n in ("lang", "kort", "later"))
    assert queue.claim("w1", job_id=long_.id) is not None
    queue.first(later.id)
    assert [j.id for j in queue.waiting()] == [long_.id, later.id, short.id]
    assert queue.next_queued().id == later.id and queue.position(short.id) == 2
    assert queue.pause(long_.id).status == "running" and queue.heartbeat(long_.id) == "pause"
    queue.progress(long_.id, {"stage": "transcribe", "fraction": 0.18})
    queue.stopped(long_.id, "pause")
    assert queue.get(long_.id).status == "paused" and queue.claim("w1") .id == later.id
    del sent[:]
    assert queue.resume(long_.id).status == "queued" and sent == [long_.id]  # a new ticket for it
    assert queue.cancel(short.id).status == "cancelled"
    assert queue.claim("w1", job_id=short.id) is None
    again = queue.claim("w2", job_id=long_.id)
    assert again is not None and again.control is None and again.progress == {}  # not the run before the pause's
    queue.cancel(long_.id)
    assert queue.asked(long_.id) == "cancel"
    time.sleep(0.4)  # its worker died before it read the flag
    assert queue.claim("w3", job_id=long_.id) is None and queue.get(long_.id).status == "cancelled"
    assert [j.id for j in queue.waiting()] == [later.id]  # the others are over
    queue.db.flushdb()


def test_an_unreachable_broker_is_one_line_naming_it(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    env = {**os.environ, "OOGST_BROKER_URL": url, "OOGST_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "jobs"], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and url in done.stderr and "redis-server" in done.stderr


def test_without_a_broker_celery_is_not_imported(tmp_path: Path) -> None:
    code = ("import sys; from pipeline.cli import main; main(['jobs', '--out-dir', sys.argv[1]]); "
            "assert 'celery' not in sys.modules and 'redis' not in sys.modules, 'imported'")
    env = {k: v for k, v in os.environ.items() if k != "OOGST_BROKER_URL"}
    env["OOGST_CONFIG"] = str(tmp_path / "none.toml")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "outputs")], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no jobs"


@pytest.mark.slow
@pytest.mark.needs_service("redis-server")
def test_a_meaning_search_is_a_task_a_worker_answers_for_the_cli_and_the_page(cluster: Cluster,
                                                                              tmp_path: Path) -> None:
    """`oogst search --meaning` and the search page with a broker: a worker (encoder loaded) answers through Celery;
    without a worker, one line after [search] answer_within seconds."""
    from starlette.testclient import TestClient

    from pipeline.core.settings import Settings
    from pipeline.web.serve import create_app, web_config
    from tests.search_helpers import PARENTS, make_sessions

    make_sessions(cluster.out)
    asked = cluster.oogst("search", "--meaning", "te weinig ouders komen naar school", "--limit", "3")
    assert asked.returncode == 0, asked.stderr + cluster.log(0) + cluster.log(1)
    assert "asking a worker" in asked.stderr and "loading the sentence encoder" not in asked.stderr
    assert asked.stdout.splitlines()[0].startswith(f"{PARENTS}  ")  # no word of the query needed
    assert len(asked.stdout.splitlines()) == 3  # --limit reaches the worker

    def page(url: str, within: float) -> TestClient:
        settings = Settings(out_dir=cluster.out, sections={"queue": {"broker": url},
                                                           "search": {"answer_within": within}})
        cfg = web_config(settings, host="127.0.0.1", state_dir=tmp_path / f"state{within}", env={},
                         announce=lambda line: None)
        return TestClient(create_app(cfg), base_url="http://127.0.0.1:8000")

    def meaning_part(client: TestClient, query: str) -> str:
        shown = client.get("/search", params={"q": query})
        number = re.search(r'data-url="/search/meaning/(\d+)', shown.text)
        assert shown.status_code == 200 and number, shown.text
        deadline = time.monotonic() + 100
        while (part := client.get(f"/search/meaning/{number[1]}")).status_code == 204:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        return part.text

    found = meaning_part(page(cluster.url, 90), "ik ben uitgeput en moe na het werk")
    hit = re.search(rf'data-session="{PARENTS}" data-kind="turn" data-ref="(t\d+)">(.*?)</li>', found, re.S)
    assert hit and "geen energie meer" in hit[2], found  # the turn, by its id
    nobody = f"{cluster.url[:-1]}5"  # a database no worker listens on
    assert 'id="no-worker">Geen verwerker gaf antwoord' in meaning_part(page(nobody, 1), "ouders betrekken")
    alone = tmp_path / "alone.toml"
    alone.write_text(f'[oogst]\nout_dir = "{cluster.out}"\n[queue]\nbroker = "{nobody}"\n[search]\n'
                     "answer_within = 1\n", encoding="utf-8")
    began = time.monotonic()
    none = subprocess.run([sys.executable, "-m", "pipeline.cli", "search", "--meaning", "ouders"], cwd=ROOT,
                          env={**cluster.env, "OOGST_CONFIG": str(alone)}, text=True, capture_output=True, timeout=60)
    assert none.returncode == 1 and "Traceback" not in none.stderr
    assert "no worker answered the meaning search within 1 s" in none.stderr.strip().splitlines()[-1]
    assert time.monotonic() - began < 30


@pytest.mark.slow
@pytest.mark.needs_service("redis-server")
def test_two_workers_run_four_inputs_like_a_local_run(cluster: Cluster, tmp_path: Path) -> None:
    lines = script_lines()
    inputs = [transcript(tmp_path / f"sessie-{i}.txt", lines[i * 8:i * 8 + 14]) for i in range(4)]
    done = cluster.oogst("run", *map(str, inputs))
    assert done.returncode == 0, done.stderr + cluster.log(0) + cluster.log(1)
    assert "running on" in done.stderr and done.stdout.count(": done -> ") == 4
    jobs = {job.session: job for job in cluster.queue().list()}
    assert {jobs[f"sessie-{i}"].status for i in range(4)} == {"done"}
    assert len({job.worker for job in jobs.values()}) == 2  # both workers took jobs
    listed = cluster.oogst("jobs")
    assert listed.returncode == 0 and listed.stdout.count("done at") == 4
    local_run(inputs, tmp_path / "local")
    for i in range(4):
        assert artefacts(cluster.out / f"sessie-{i}") == artefacts(tmp_path / "local" / f"sessie-{i}")
    status = cluster.oogst("status", "sessie-0")
    assert status.returncode == 0 and "done at" in status.stdout and "draft" in status.stdout


@pytest.mark.slow
@pytest.mark.needs_service("redis-server")
def test_the_same_recording_submitted_twice_runs_once(cluster: Cluster, tmp_path: Path) -> None:
    path = transcript(tmp_path / "dubbel.txt", long_lines(1))
    both = [subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--no-wait", str(path)], cwd=ROOT,
                             env=cluster.env, text=True, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
            for _ in range(2)]  # two people hand in the same recording at the same time
    said = [p.communicate(timeout=60)[1] for p in both]
    assert [p.returncode for p in both] == [0, 0], said
    numbers = [re.findall(r"job #(\d+)", text) for text in said]
    assert numbers[0] and numbers[0] == numbers[1]  # the second got the first one's job (queued or running by then)
    queue = cluster.queue()
    jobs = queue.list("dubbel")
    assert len(jobs) == 1
    deadline = time.monotonic() + 120
    while queue.get(jobs[0].id).active:  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert queue.get(jobs[0].id).status == "done"  # type: ignore[union-attr]
    again = cluster.oogst("run", str(path))  # later: a new job, and the stage cache skips every stage
    assert again.returncode == 0, again.stderr
    assert len(queue.list("dubbel")) == 2
    run = json.loads((cluster.out / "dubbel" / "run.json").read_text(encoding="utf-8"))
    assert run["stages"] == {} and "insights" in run["skipped"]


@pytest.mark.slow
@pytest.mark.needs_service("redis-server")
def test_a_bad_input_fails_once_with_its_one_line_error(cluster: Cluster, tmp_path: Path) -> None:
    bad = tmp_path / "kapot.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> nonsense\n<v Sanne>Hoi</v>\n", encoding="utf-8")
    done = cluster.oogst("run", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    job = cluster.queue().list("kapot")[0]
    assert job.status == "failed" and job.attempts == 1 and "kapot.vtt" in job.error and "\n" not in job.error
    assert f"failed: {job.error}" in done.stderr


@pytest.mark.slow
@pytest.mark.needs_service("redis-server")
def test_oogst_jobs_cancel_stops_a_running_job_within_seconds(cluster: Cluster, tmp_path: Path) -> None:
    """`oogst jobs cancel SESSION` on any machine: the worker reads it from the broker with its heartbeat, stops at
    the next safe point and lets go of the session; the job stays cancelled and the session can be run again."""
    path = transcript(tmp_path / "afbreken.txt", long_lines(4))
    queue = cluster.queue()
    assert cluster.oogst("run", "--no-wait", str(path)).returncode == 0
    job = queue.list("afbreken")[0]
    deadline = time.monotonic() + 120
    while True:
        job = queue.get(job.id)  # type: ignore[assignment]
        if job.status == "running" and job.progress.get("stage") == "insights":
            break
        assert job.active and time.monotonic() < deadline, (job, cluster.log(0), cluster.log(1))
        time.sleep(0.05)
    asked = time.monotonic()
    said = cluster.oogst("jobs", "cancel", "afbreken")
    assert said.returncode == 0 and "asked to cancel" in said.stdout, said.stderr
    while queue.get(job.id).status == "running":  # type: ignore[union-attr]
        assert time.monotonic() - asked < 30, (cluster.log(0), cluster.log(1))
        time.sleep(0.1)
    stopped_after = time.monotonic() - asked
    assert queue.get(job.id).status == "cancelled"  # type: ignore[union-attr]
    assert stopped_after < 15, stopped_after
    assert not (cluster.out / "afbreken" / ".lock.json").exists()  # the worker let go
    time.sleep(2 * VISIBILITY)  # nothing brings it back: not the broker's redelivery, not another worker
    assert queue.get(job.id).status == "cancelled"  # type: ignore[union-attr]
    listed = cluster.oogst("jobs", "--session", "afbreken")
    assert "cancelled" in listed.stdout
    again = cluster.oogst("run", str(path))  # run again: the stages done before the cancel are kept
    assert again.returncode == 0, again.stderr
    run = json.loads((cluster.out / "afbreken" / "run.json").read_text(encoding="utf-8"))
    assert "transcribe" in run["skipped"] and "insights" in run["stages"]


@pytest.mark.slow
@pytest.mark.needs_service("redis-server")
def test_a_job_whose_worker_is_killed_completes_on_the_other(cluster: Cluster, tmp_path: Path) -> None:
    path = transcript(tmp_path / "lang.txt", long_lines(3))  # long enough to be caught mid-job
    queue = cluster.queue()
    done = cluster.oogst("run", "--no-wait", str(path))
    assert done.returncode == 0, done.stderr
    job = queue.list("lang")[0]
    deadline = time.monotonic() + 120
    while True:  # wait until it is past the import, inside a later stage
        job = queue.get(job.id)  # type: ignore[assignment]
        if job.status == "running" and job.progress.get("stage") in ("names", "insights"):
            break
        assert job.active and time.monotonic() < deadline, (job, cluster.log(0), cluster.log(1))
        time.sleep(0.05)
    victim = next(w for w in cluster.workers if job.worker == f"{socket.gethostname()}:{w.pid}")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert queue.get(job.id).status == "running"  # type: ignore[union-attr]  # killed in the middle
    while queue.get(job.id).active:  # type: ignore[union-attr]
        assert time.monotonic() < deadline + 60, (cluster.log(0), cluster.log(1))
        time.sleep(0.2)
    final = queue.get(job.id)
    assert final is not None and final.status == "done", final
    assert final.worker != job.worker and final.attempts == 2
    assert len(queue.list("lang")) == 1  # one job, run to the end once
    run = json.loads((cluster.out / "lang" / "run.json").read_text(encoding="utf-8"))
    assert "transcribe" in run["skipped"]  # resumed from the stage cache
    folder = cluster.out / "lang"
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".partial")) or ".edited-" in p.name]
    assert not leftovers
    local_run([path], tmp_path / "local")
    assert artefacts(folder) == artefacts(tmp_path / "local" / "lang")


@pytest.mark.needs_service("redis-server")
def test_the_web_page_submits_to_the_broker_and_shows_the_worker(redis_port: int, tmp_path: Path) -> None:
    """`oogst serve` with a broker: an upload becomes a job in Redis; the page says which worker runs it."""
    from starlette.testclient import TestClient
    from web_helpers import upload

    from pipeline.core.settings import Settings
    from pipeline.web.serve import create_app, web_config

    url = f"redis://127.0.0.1:{redis_port}/2"  # no worker listens here: the job waits for us
    settings = Settings(out_dir=tmp_path / "outputs", sections={"queue": {"broker": url}})
    cfg = web_config(settings, host="127.0.0.1", state_dir=tmp_path / "state", env={}, announce=lambda line: None)
    cfg.queue.db.flushdb()  # type: ignore[attr-defined]
    client = TestClient(create_app(cfg), base_url="http://127.0.0.1:8000")
    vtt = tmp_path / "2025-03-04 intervisie team.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Sanne>Wat ik meeneem is dat grenzen stellen "
                   "helpt.</v>\n", encoding="utf-8")
    sent = upload(client, vtt, title="", speakers="", language="nl")
    assert sent.status_code == 303, sent.text
    name = sent.headers["location"].rsplit("/", 1)[1]
    assert client.get(f"/s/{name}/progress.json").json()["status"] == "queued"
    job = cfg.queue.list(name)[0]
    assert job.input == f"{name}/{name}.vtt"  # relative to the shared outputs folder
    assert cfg.queue.claim("werkstation-3:4242", job_id=job.id) is not None
    cfg.queue.progress(job.id, {"stage": "insights", "fraction": 0.4})
    state = client.get(f"/s/{name}/progress.json").json()
    assert state["status"] == "running" and state["worker"] == "werkstation-3:4242"
    assert "werkstation-3:4242" in client.get("/jobs").text  # the queue page names the worker
    assert "werkstation-3:4242" not in client.get(f"/s/{name}").text  # the session page does not
    cfg.queue.db.flushdb()  # type: ignore[attr-defined]
