"""The queue in the web app, in process: the jobs page with the worker's name, cancel / pause / resume / first from
the session page and the jobs page, delete of a session whose job waits, progress as server-sent events."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web_helpers import csrf, make_client, upload

VTT = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Sanne>Wat ik meeneem is dat grenzen stellen echt helpt.</v>\n\n"
       "00:00:06.000 --> 00:00:10.000\n<v Joris>Ik ga volgende week met mijn leidinggevende praten.</v>\n")


def vtt(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.vtt"
    path.write_text(VTT.replace("praten.", f"praten ({name})."), encoding="utf-8")  # each its own file
    return path


def post(client, url: str, back: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf": csrf(client, back), "back": back}, follow_redirects=False)


def test_the_queue_page_shows_the_worker_and_orders_the_jobs(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    names = [upload(client, vtt(tmp_path, n)).headers["location"].rsplit("/", 1)[1] for n in ("lang", "kort", "nog")]
    jobs = {j.session: j for j in cfg.queue.list()}
    cfg.queue.claim("vm:24026")
    cfg.queue.progress(jobs["lang"].id, {"stage": "transcribe", "fraction": 0.25, "eta": 600})
    session_page = client.get("/s/lang").text
    assert "vm:24026" not in session_page  # the worker's name is not the facilitator's business there
    assert 'id="pause-job"' in session_page and 'id="cancel-job"' in session_page
    page = client.get("/jobs").text
    assert "vm:24026" in page and "Uitschrijven 25%" in page and "Wachtrij" in page
    assert page.index("/s/lang") < page.index("/s/kort") < page.index("/s/nog")
    assert post(client, f"/jobs/{jobs['nog'].id}/first", "/jobs").headers["location"] == "/jobs"
    page = client.get("/jobs").text
    assert page.index("/s/lang") < page.index("/s/nog") < page.index("/s/kort")
    assert client.get("/s/kort/progress.json").json()["ahead"] == 2
    assert names == ["lang", "kort", "nog"]


def test_cancel_pause_and_resume_from_the_session_page(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    upload(client, vtt(tmp_path, "lang"))
    upload(client, vtt(tmp_path, "kort"))
    job = cfg.queue.claim("vm:1")
    assert job is not None and job.session == "lang"
    answer = post(client, f"/jobs/{job.id}/pause", "/s/lang")
    assert answer.status_code == 303 and answer.headers["location"] == "/s/lang"
    page = client.get("/s/lang").text
    assert "Stopt zo" in page and 'id="pause-job"' not in page  # asked; the worker stops at its next safe point
    assert '<p id="status" class="badge running stopping">Wordt gepauzeerd…</p>' in page  # taken, at once
    assert client.get("/s/lang/progress.json").json()["control"] == "pause"  # the page's script says the same
    cfg.queue.stopped(job.id, "pause")  # what the worker does at that point
    page = client.get("/s/lang").text
    assert "Gepauzeerd" in page and 'id="resume-job"' in page and "gaat verder waar ze was" in page
    assert cfg.queue.claim("vm:1").session == "kort"  # the next one goes first
    post(client, f"/jobs/{job.id}/resume", "/s/lang")
    assert client.get("/s/lang/progress.json").json()["status"] == "queued"
    running = cfg.queue.claim("vm:1")
    assert running is not None and running.id == job.id
    post(client, f"/jobs/{job.id}/cancel", "/s/lang")
    assert "Wordt geannuleerd…" in client.get("/s/lang").text
    assert "Cancelling…" in client.get("/s/lang", headers={"Accept-Language": "en"}).text
    cfg.queue.stopped(job.id, "cancel")
    post(client, f"/jobs/{job.id}/cancel", "/s/lang")
    state = client.get("/s/lang/progress.json").json()
    assert state["status"] == "cancelled"
    page = client.get("/s/lang").text
    assert "Geannuleerd" in page and 'id="rerun"' in page and "Verder verwerken" in page
    again = client.post("/s/lang/rerun", data={"csrf": csrf(client, "/s/lang")}, follow_redirects=False)
    assert again.status_code == 303
    assert client.get("/s/lang/progress.json").json()["status"] == "queued"  # a new job, the same parameters
    assert cfg.queue.list("lang")[0].params == cfg.queue.list("lang")[-1].params
    english = client.get("/jobs", headers={"Accept-Language": "en"}).text
    assert "Queue" in english and "Cancelled" in english


def test_an_unknown_job_is_a_dutch_line(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    answer = client.post("/jobs/999/cancel", data={"csrf": csrf(client)}, follow_redirects=False)
    assert answer.status_code == 404 and "Die verwerking bestaat niet (meer)" in answer.text


def test_delete_cancels_a_waiting_job_and_it_stays_cancelled(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    upload(client, vtt(tmp_path, "weg"))
    assert "verwijderen stopt dat eerst" in client.get("/s/weg/delete").text
    answer = client.post("/s/weg/delete", data={"csrf": csrf(client, "/s/weg/delete")}, follow_redirects=False)
    assert answer.status_code == 303 and not (cfg.out_dir / "weg").exists()
    assert cfg.queue.list("weg")[0].status == "cancelled" and cfg.queue.claim("vm:1") is None


def test_progress_comes_as_server_sent_events(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    upload(client, vtt(tmp_path, "lang"))
    job = cfg.queue.claim("vm:1")
    cfg.queue.progress(job.id, {"stage": "transcribe", "fraction": 0.5})
    cfg.queue.cancel(job.id)
    cfg.queue.stopped(job.id, "cancel")  # over: the stream says so once and ends
    with client.stream("GET", "/s/lang/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["x-accel-buffering"] == "no" and stream.headers["cache-control"] == "no-store"
        body = "".join(stream.iter_text())
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert body.startswith("retry: ") and len(events) == 1 and events[0]["status"] == "cancelled"
