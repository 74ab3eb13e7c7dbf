"""A long job in a real headless Chromium against a real `oogst serve`: a facilitator's day with two tabs. A 15-minute
recording is transcribing; in a second tab the queue shows it (with its worker) and two short sessions behind it, the
second moved ahead; the long one is paused (the page says "Wordt gepauzeerd…" at once, then "Gepauzeerd" within
seconds; the short ones run, in the new order), resumed (it goes on from its checkpoint), cancelled (within seconds,
the checkpoint kept), stays cancelled across a restart, is continued and then deleted while it runs. Progress
arrives as server-sent events. The session and queue pages are checked at desktop width and at 390 px; screenshots
go to outputs/screenshots/jobs-*.png."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.test_web_browser import SAMPLE, SHOTS, Walk
from tests.web_helpers import chromium, free_port, running_server, wait_for

SHORT = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Sanne>Wat ik meeneem is dat grenzen stellen echt helpt.</v>\n\n"
         "00:00:06.000 --> 00:00:10.000\n<v Joris>Ik ga volgende week met mijn leidinggevende praten.</v>\n")
PHONE = 390


def long_recording(path: Path, minutes: float) -> Path:
    """The sample recording repeated to `minutes` (real speech, so Whisper has work all the way)."""
    import numpy as np

    from devtools.synth import write_wav
    from pipeline.ingest.audio import load_audio

    sample = load_audio(SAMPLE)
    return write_wav(path, np.tile(sample, int(np.ceil(minutes * 60 * 16000 / len(sample)))))


def width(walk: Walk) -> int:
    """How wide the page is laid out (wider than the window: the page scrolls sideways)."""
    return int(walk.driver.execute_script("return document.documentElement.scrollWidth"))


def at_both_widths(walk: Walk, name: str) -> None:
    """Screenshots at desktop width and at 390 px; at 390 px nothing may stick out sideways."""
    walk.driver.set_window_size(1280, 1000)
    walk.driver.save_screenshot(str(SHOTS / f"jobs-{name}-desktop.png"))
    walk.driver.set_window_size(PHONE, 900)
    time.sleep(0.3)
    assert width(walk) <= PHONE, (name, width(walk))
    walk.driver.save_screenshot(str(SHOTS / f"jobs-{name}-390.png"))
    walk.driver.set_window_size(1280, 1000)


def status(walk: Walk) -> str:
    """The status line, read in one step: the page reloads itself the moment the worker has stopped."""
    return str(walk.driver.execute_script("const s = document.getElementById('status');"
                                          "return s ? s.textContent.trim() : '';"))


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_a_long_job_is_paused_moved_behind_cancelled_and_deleted_in_the_browser(tmp_path: Path) -> None:
    from pipeline.core.session import CHECKPOINT
    from pipeline.jobs.queue import SQLiteQueue

    SHOTS.mkdir(parents=True, exist_ok=True)
    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    # The sample four times (14:47; was 22 minutes): a batch of the batched recogniser's speech chunks for the pause,
    # one for the resume and more still to go at the cancel (a stop kills the recogniser at once, no batch awaited)
    recording = long_recording(tmp_path / "2025-06-02_lange-sessie.wav", 12)
    shorts = []
    for n in ("kort-a", "kort-b"):
        shorts.append(tmp_path / f"{n}.vtt")
        shorts[-1].write_text(SHORT.replace("praten.", f"praten ({n})."), encoding="utf-8")  # two files, not one twice
    name = "2025-06-02_lange-sessie"
    seconds: dict[str, float] = {}
    with running_server(out, state, port) as server:
        driver = chromium(downloads)
        walk = Walk(driver, f"http://127.0.0.1:{port}", downloads)
        try:
            walk.open("/new", "new session")
            walk.find("#file").send_keys(str(recording))
            walk.find("#upload").click()
            wait_for(lambda: driver.current_url.endswith(f"/s/{name}"), 120, "the upload")
            assert walk.find("#progress").get_attribute("data-events") == f"/s/{name}/events"
            wait_for(lambda: "%" in walk.find("#detail").text and walk.state(name)["progress"].get("fraction", 0)
                     > 0.02, 400, "transcription under way (pushed to the page)")
            worker = walk.state(name)["worker"]
            assert worker and worker not in walk.text()  # the worker's name is on the queue page only
            first_tab = driver.current_window_handle

            # -- a second tab: two short sessions queue behind it; the second is moved ahead --------------------
            driver.switch_to.new_window("tab")
            for path in shorts:
                walk.open("/new", "new session")
                walk.find("#file").send_keys(str(path))
                walk.find("#upload").click()
                wait_for(lambda p=path: driver.current_url.endswith(f"/s/{p.stem}"), 60, "the upload")
            walk.open("/jobs", "queue")
            waiting = [li.get_attribute("data-status") for li in walk.finds("#waiting li")]
            assert waiting == ["running", "queued", "queued"] and worker in walk.text()
            walk.finds("#waiting li")[2].find_element("css selector", "button[data-do=first]").click()
            wait_for(lambda: "/jobs" in driver.current_url, 30, "the queue page")
            order = [li.find_element("css selector", "a").text for li in walk.finds("#waiting li")]
            assert order == [name, "kort-b", "kort-a"]
            at_both_widths(walk, "wachtrij")

            # -- the first tab: pause the long one; the short ones run in the new order ------------------------
            driver.switch_to.window(first_tab)
            began = time.monotonic()
            walk.find("#pause-job").click()
            wait_for(lambda: status(walk) in ("Wordt gepauzeerd…", "Gepauzeerd"), 10, "the pause to be taken")
            seconds["pause-taken"] = time.monotonic() - began
            driver.save_screenshot(str(SHOTS / "jobs-pauzeren-desktop.png"))  # what the click shows at once
            wait_for(lambda: status(walk) == "Gepauzeerd", 120, "the job to pause")
            seconds["pause"] = time.monotonic() - began
            kept = (out / name / CHECKPOINT).read_text(encoding="utf-8").splitlines()
            assert len(kept) > 3  # the segments transcribed so far
            assert walk.finds("#paused-note") and walk.finds("#resume-job")
            at_both_widths(walk, "gepauzeerd")
            wait_for(lambda: all(walk.state(p.stem)["status"] == "done" for p in shorts), 300, "the short jobs")
            jobs = {j.session: j for j in SQLiteQueue(state / "oogst" / "jobs.sqlite").list()}
            assert jobs["kort-b"].finished <= jobs["kort-a"].started  # moved ahead, it ran first

            # -- resume: it goes on from the checkpoint ---------------------------------------------------------
            done_before = json.loads(kept[-1])["end"]
            walk.find("#resume-job").click()
            wait_for(lambda: walk.state(name)["status"] == "running" and walk.state(name)["progress"].get("stage")
                     == "transcribe" and walk.state(name)["progress"].get("fraction", 0) > 0, 300, "the job again")
            fraction = walk.state(name)["progress"]["fraction"]
            assert fraction * walk.state(name)["progress"]["total_seconds"] >= done_before - 1  # not from the start
            at_both_widths(walk, "bezig")

            # -- cancel: it stops within seconds, the checkpoint stays --------------------------------------------
            began = time.monotonic()
            walk.find("#cancel-job").click()
            wait_for(lambda: status(walk) in ("Wordt geannuleerd…", "Geannuleerd"), 10, "the cancel to be taken")
            seconds["cancel-taken"] = time.monotonic() - began
            wait_for(lambda: status(walk) == "Geannuleerd", 120, "the job to stop")
            seconds["cancel"] = time.monotonic() - began
            assert (out / name / CHECKPOINT).is_file() and walk.finds("#cancelled-note")
            assert walk.find("#rerun").text == "Verder verwerken"
            at_both_widths(walk, "geannuleerd")
        finally:
            driver.quit()
        server.send_signal(2)  # Ctrl-C
        server.wait(timeout=60)

    # -- a restart does not bring a cancelled job back; continuing does, and a delete stops it --------------------
    with running_server(out, state, port):
        driver = chromium(downloads)
        walk = Walk(driver, f"http://127.0.0.1:{port}", downloads)
        try:
            time.sleep(3)  # the worker is up and looking for work
            walk.open(f"/s/{name}", "session")
            assert status(walk) == "Geannuleerd" and walk.state(name)["status"] == "cancelled"
            walk.find("#rerun").click()
            wait_for(lambda: walk.state(name)["status"] == "running", 300, "the job to run again")
            walk.open(f"/s/{name}/delete", "delete")
            assert walk.finds("#delete-stops")
            at_both_widths(walk, "verwijderen")
            began = time.monotonic()
            walk.find("#confirm-delete").click()
            wait_for(lambda: driver.current_url.endswith("/"), 60, "the sessions list")
            seconds["delete"] = time.monotonic() - began
            assert not (out / name).exists() and name not in walk.text()
            assert walk.state("kort-a")["status"] == "done"
        finally:
            driver.quit()
    timings = SHOTS / "jobs-timings.json"  # test_asr_isolated adds the worker's own figures
    known = json.loads(timings.read_text(encoding="utf-8")) if timings.is_file() else {}
    timings.write_text(json.dumps({**known, **{k: round(v, 2) for k, v in seconds.items()}}, indent=2) + "\n",
                       encoding="utf-8")
    jobs = SQLiteQueue(state / "oogst" / "jobs.sqlite").list(name)
    assert {j.status for j in jobs} == {"cancelled"}  # the first, and the continued one the delete stopped
    # How long a pause and a cancel took, click to the page saying so (jobs-timings.json): 47 s and 44 s when the
    # worker waited for the recogniser's batch to end; now its process is killed at once. 15 s leaves room for a
    # loaded machine.
    assert seconds["pause"] < 15 and seconds["cancel"] < 15, seconds
