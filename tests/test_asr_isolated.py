"""The recogniser in a child process (`pipeline.asr.isolated`): a stop kills it at once, even in the middle of a call
that does not return for a minute; it hands the audio over in pieces and gives back the same segments; its
errors reach the worker. Then the real worker process with the real small Whisper model on a recording of a few
minutes: a cancel and a pause during transcription take effect within seconds (written to jobs-timings.json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pipeline.asr.isolated import IsolatedBackend
from pipeline.asr.options import TranscribeOptions
from pipeline.core.errors import ModelError
from pipeline.core.stages import Interrupted
from pipeline.core.types import SAMPLE_RATE, Segment, Word
from tests.test_jobs import pause_once_transcribed

BUSY = 60.0  # seconds a scripted batch takes: far longer than any stop may


class Scripted:
    """One segment per piece of audio it was given; with `busy`, the first batch takes a minute (as a recogniser's
    encoder and beam search over eight chunks does on a loaded machine) before anything comes back."""

    name = model_name = "scripted"

    def __init__(self, busy: float) -> None:
        self.busy = busy

    def transcribe_pieces(self, pieces: Iterator[tuple[float, np.ndarray]],
                          opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        taken = list(pieces)

        def segments() -> Iterator[Segment]:
            time.sleep(self.busy)
            for offset, samples in taken:
                end = offset + len(samples) / SAMPLE_RATE
                yield Segment(offset, end, f"zin {end:.0f}", (Word(offset, end, f" zin{end:.0f}", 0.9),))

        return opts.language, segments()


def quick(opts: TranscribeOptions) -> Scripted:
    return Scripted(0.0)


def busy(opts: TranscribeOptions) -> Scripted:
    return Scripted(BUSY)


def missing(opts: TranscribeOptions) -> Scripted:
    raise ModelError("models/whisper-base: not assembled; run `oogst models`", "model_missing", name="whisper-base")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_audio_goes_over_in_pieces_and_the_segments_come_back_in_place() -> None:
    backend = IsolatedBackend(TranscribeOptions(), make=quick)
    try:
        audio = np.zeros(int(1500 * SAMPLE_RATE), np.float32)  # 25 minutes of silence: pieces of about 10 minutes
        language, segments = backend.transcribe(audio, TranscribeOptions(language="en"))
        spans = [(s.start, s.end) for s in segments]
        assert language == "en" and backend.name == "scripted"
        assert len(spans) == 3 and spans[0][0] == 0 and spans[-1][1] == 1500  # each piece once, in its place
        assert all(before[1] == after[0] for before, after in zip(spans, spans[1:], strict=False))
    finally:
        backend.stop()


def test_a_stop_kills_the_recogniser_at_once_and_the_next_run_starts_it_again() -> None:
    backend = IsolatedBackend(TranscribeOptions(), make=busy, tick=0.1)
    first = backend.pid
    asked: list[float] = []

    def check() -> None:
        if asked:
            raise Interrupted("cancel")

    backend.check = check
    try:
        _, segments = backend.transcribe(np.zeros(5 * SAMPLE_RATE, np.float32), TranscribeOptions())
        threading.Timer(1.0, lambda: asked.append(time.monotonic())).start()
        with pytest.raises(Interrupted):
            list(segments)  # the child sleeps a minute before its first segment
        took = time.monotonic() - asked[0]
        assert took < 15 and first is not None and gone(first) and not backend.alive
        backend.check = None
        backend.make = quick  # the next job's run starts a new child
        _, again = backend.transcribe(np.zeros(3 * SAMPLE_RATE, np.float32), TranscribeOptions())
        assert [(s.start, s.end) for s in again] == [(0.0, 3.0)] and backend.pid != first
    finally:
        backend.stop()


def test_the_recogniser_s_error_reaches_the_caller_with_its_key() -> None:
    with pytest.raises(ModelError) as caught:
        IsolatedBackend(TranscribeOptions(), make=missing)
    assert caught.value.key == "model_missing" and "oogst models" in str(caught.value)


def test_the_worker_cancels_a_job_whose_recogniser_is_in_the_middle_of_a_batch(tmp_path: Path) -> None:
    """The worker's heartbeat thread reads the cancel and the job stops within seconds, not after the batch: the
    checkpoint keeps its header and the session is free; a resumed job transcribes the recording."""
    from conftest import tone

    from devtools.synth import write_wav
    from pipeline.core.lock import session_lock
    from pipeline.core.session import CHECKPOINT, TRANSCRIPT
    from pipeline.jobs.queue import SQLiteQueue
    from pipeline.jobs.worker import Worker

    out = tmp_path / "outputs"
    wav = write_wav(tmp_path / "lang.wav", tone(20.0))
    queue = SQLiteQueue(tmp_path / "jobs.sqlite")
    job = queue.submit("run", "lang", str(wav))
    w = Worker(queue, {"out_dir": out, "quiet": True})
    backend = IsolatedBackend(TranscribeOptions(), make=busy)
    w.backend_for = lambda settings: backend  # type: ignore[method-assign]
    asked: list[float] = []

    def cancel_when_transcribing() -> None:
        while (queue.get(job.id).progress or {}).get("stage") != "transcribe":
            time.sleep(0.1)
        time.sleep(1.0)
        asked.append(time.monotonic())
        queue.cancel(job.id)

    threading.Thread(target=cancel_when_transcribing, daemon=True).start()
    try:
        w.serve(once=True)
        took = time.monotonic() - asked[0]
        assert queue.get(job.id).status == "cancelled" and took < 15  # the batch would have taken a minute
        assert (out / "lang" / CHECKPOINT).is_file() and not (out / "lang" / TRANSCRIPT).exists()
        with session_lock(out / "lang", "test"):
            pass
        backend.make = quick
        again = queue.submit("run", "lang", str(wav))
        pause_once_transcribed(queue, w)
        w.serve(once=True)
        assert queue.get(again.id).status == "paused", queue.get(again.id).error
        assert "zin 20" in (out / "lang" / TRANSCRIPT).read_text(encoding="utf-8")
    finally:
        backend.stop()


def children(pid: int) -> set[int]:
    """The recogniser processes a worker started."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat[1]) == pid and b"pipeline.asr.isolated" in cmdline:
                found.add(int(entry.name))
    return found


@pytest.mark.slow
def test_the_real_worker_cancels_and_pauses_whisper_within_seconds(tmp_path: Path, models_dir: Path) -> None:
    """`python -m pipeline.jobs.worker` with whisper-base on the 3.7-minute sample: a cancel and then a pause,
    each asked a few seconds into transcription, take effect within 15 s (the old worker waited for the batch:
    44-47 s); the recogniser's process is gone at once (no CPU spent on a batch nobody wants)."""
    from conftest import SAMPLE

    from pipeline.core.session import CHECKPOINT
    from pipeline.jobs.queue import SQLiteQueue

    out, queue_file = tmp_path / "outputs", tmp_path / "state" / "jobs.sqlite"
    queue = SQLiteQueue(queue_file)
    recording = tmp_path / "2025-06-02_sessie.ogg"
    recording.write_bytes(SAMPLE.read_bytes())
    worker = subprocess.Popen([sys.executable, "-m", "pipeline.jobs.worker", "--queue", str(queue_file), "--out-dir",
                               str(out), "--models-dir", str(models_dir), "--ttl", "20"],
                              stdin=subprocess.DEVNULL)
    seconds: dict[str, float] = {}
    try:
        for action in ("cancel", "pause"):
            job = queue.submit("run", recording.stem, str(recording))
            deadline = time.monotonic() + 300
            while (queue.get(job.id).progress or {}).get("stage") != "transcribe" or not children(worker.pid):
                assert time.monotonic() < deadline and worker.poll() is None, "transcription never started"
                time.sleep(0.2)
            time.sleep(3.0)  # the recogniser is decoding its first batch
            recogniser = children(worker.pid)
            began = time.monotonic()
            getattr(queue, action)(job.id)
            while queue.get(job.id).status == "running":
                assert time.monotonic() - began < 60, f"the {action} did not take effect"
                time.sleep(0.1)
            seconds[action] = round(time.monotonic() - began, 2)
            assert queue.get(job.id).status == {"cancel": "cancelled", "pause": "paused"}[action]
            assert not children(worker.pid) & recogniser  # killed, not left to finish its batch
            assert (out / recording.stem / CHECKPOINT).is_file()
            if action == "pause":
                queue.cancel(job.id)
    finally:
        worker.terminate()
        worker.wait(60)
    shots = Path(__file__).resolve().parent.parent / "outputs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    timings = shots / "jobs-timings.json"
    known = json.loads(timings.read_text(encoding="utf-8")) if timings.is_file() else {}
    known.update({f"worker-{action}": took for action, took in seconds.items()},
                 load=round(os.getloadavg()[0], 1))
    timings.write_text(json.dumps(known, indent=2) + "\n", encoding="utf-8")
    assert seconds["cancel"] < 15 and seconds["pause"] < 15, seconds


def test_the_recogniser_dies_with_its_worker_even_in_the_middle_of_a_batch(tmp_path: Path) -> None:
    """A worker killed outright (SIGKILL, out of memory) leaves no recogniser decoding a batch nobody will read."""
    script = ("import sys, numpy as np\n"
              "from pipeline.asr.isolated import IsolatedBackend\nfrom pipeline.asr.options import TranscribeOptions\n"
              "from tests.test_asr_isolated import busy\n"
              "b = IsolatedBackend(TranscribeOptions(), make=busy)\n"
              "_, segments = b.transcribe(np.zeros(16000, np.float32), TranscribeOptions())\n"
              "print(b.pid, flush=True)\nlist(segments)\n")
    root = Path(__file__).resolve().parent.parent
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(root)})
    try:
        recogniser = int(worker.stdout.readline())  # type: ignore[union-attr]
        assert not gone(recogniser)
        worker.kill()
        worker.wait(10)
        deadline = time.monotonic() + 10
        while not gone(recogniser) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(recogniser)
    finally:
        worker.kill()
