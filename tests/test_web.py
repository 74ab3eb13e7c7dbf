"""The web app in-process (Starlette's test client): pages, upload checks, security. Jobs run in this process."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from tests.web_helpers import ROOT, csrf, make_client, run_jobs, upload

VTT = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Sanne>Wat ik meeneem is dat grenzen stellen echt helpt.</v>\n\n"
       "00:00:06.000 --> 00:00:10.000\n<v Joris>Ik ga volgende week met mijn leidinggevende praten.</v>\n\n"
       "00:00:11.000 --> 00:00:15.000\n<v Sanne>De sleutel is dat je het samen bespreekt.</v>\n")


@pytest.fixture()
def vtt(tmp_path: Path) -> Path:
    path = tmp_path / "2025-03-04_intervisie team.vtt"
    path.write_text(VTT, encoding="utf-8")
    return path


def test_sessions_list_is_dutch_and_english_on_request(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    page = client.get("/")
    assert page.status_code == 200 and "Nog geen sessies" in page.text
    assert "Set-Cookie" in page.headers or "set-cookie" in page.headers
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"})
    assert "No sessions yet" in english.text
    assert "Nog geen sessies" in client.get("/", headers={"Accept-Language": "nl-NL,en;q=0.5"}).text
    assert "http://" not in page.text and "https://" not in page.text  # nothing fetched from elsewhere


@pytest.mark.slow
def test_upload_transcript_runs_to_a_draft(tmp_path: Path, vtt: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    sent = upload(client, vtt, title="Intervisie West", speakers="", language="nl")
    assert sent.status_code == 303, sent.text
    name = "2025-03-04_intervisie-team"
    assert sent.headers["location"] == f"/s/{name}"
    assert (cfg.out_dir / name / f"{name}.vtt").read_text(encoding="utf-8") == VTT
    assert not list((cfg.out_dir / ".uploads").iterdir())  # nothing left in staging
    state = client.get(f"/s/{name}/progress.json").json()
    assert state["status"] == "queued"
    assert "In de wachtrij" in client.get("/").text
    run_jobs(cfg)
    state = client.get(f"/s/{name}/progress.json").json()
    assert state["status"] == "done" and state["stages"] == ["transcribe", "analysis", "names", "insights", "draft"]
    listing = client.get("/").text
    assert "Intervisie West" in listing and "2025-03-04" in listing
    draft = client.get(f"/s/{name}/files/draft.docx")
    assert draft.status_code == 200 and draft.content[:2] == b"PK"
    assert "attachment" in draft.headers["content-disposition"]
    # the same name again gets its own folder
    assert upload(client, vtt).headers["location"] == f"/s/{name}-2"


def test_upload_over_the_limit_is_refused(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state", max_mb=1)
    big = tmp_path / "lang.wav"
    big.write_bytes(b"RIFF" + bytes(2 * 2**20))
    answer = upload(client, big)
    assert answer.status_code == 400
    assert "De upload is groter dan de grens van 1 MB" in answer.text and "max_upload_mb" in answer.text
    assert "Traceback" not in answer.text
    assert [p.name for p in cfg.out_dir.iterdir()] == [".uploads"]
    assert not list((cfg.out_dir / ".uploads").iterdir())


def test_non_audio_upload_gets_a_message_naming_the_upload(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    fake = tmp_path / "opname.m4a"
    fake.write_text("dit is geen geluid, maar een tekstbestand\n" * 50, encoding="utf-8")
    answer = upload(client, fake)
    assert answer.status_code == 400
    assert "opname.m4a is geen audio- of videobestand dat te lezen is" in answer.text
    assert str(tmp_path) not in answer.text  # the message names the file as uploaded, not a server path
    pdf = tmp_path / "notulen.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert "notulen.pdf is geen audio- of videobestand dat te lezen is" in upload(client, pdf).text
    client.headers["Accept-Language"] = "en"
    assert "notulen.pdf is not an audio or video file that can be read" in upload(client, pdf).text
    assert [p.name for p in cfg.out_dir.iterdir()] == [".uploads"]
    assert not cfg.queue.list()


def test_uploaded_name_is_cleaned(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    token = csrf(client)
    answer = client.post(f"/new?csrf={token}", files={"file": ("../../etc/x<script>.vtt", VTT.encode())},
                         follow_redirects=False)
    assert answer.status_code == 303
    folders = [p.name for p in cfg.out_dir.iterdir() if p.name != ".uploads"]
    assert folders == ["x-script"]
    assert (cfg.out_dir / "x-script" / "x-script.vtt").is_file()


@pytest.mark.parametrize("name", ["..%2F..%2Fetc", "%2E%2E", "%2e%2e%2fsecret.json", ".uploads", "a%00b",
                                  "x%2F..%2F..%2Fpasswd"])
def test_session_ids_are_names_never_paths(tmp_path: Path, name: str) -> None:
    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    (tmp_path / "outputs" / ".uploads").mkdir(exist_ok=True)
    (tmp_path / "secret.json").write_text("{}")
    for url in (f"/s/{name}", f"/s/{name}/progress.json", f"/s/{name}/files/draft.docx"):
        answer = client.get(url)
        assert answer.status_code == 404, url


def test_downloads_are_a_fixed_list(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    (cfg.out_dir / "sessie").mkdir()
    (cfg.out_dir / "sessie" / "transcript.json").write_text("{}")
    assert client.get("/s/sessie/files/transcript.json").status_code == 404
    assert client.get("/s/sessie/files/draft.docx").status_code == 404  # not written yet
    (cfg.out_dir / "sessie" / "sent" / "v1").mkdir(parents=True)
    (cfg.out_dir / "sessie" / "sent" / "v1" / "draft.docx").write_bytes(b"PK v1")
    assert client.get("/s/sessie/files/sent-v1.docx").content == b"PK v1"
    for odd in ("sent-v..%2F..%2Fx.docx", "sent-v1.docx.bak", "sent-x.docx", "..%2Ftranscript.json"):
        assert client.get(f"/s/sessie/files/{odd}").status_code == 404, odd


def test_form_post_without_csrf_token_is_refused(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    (cfg.out_dir / "sessie").mkdir()
    client.get("/")  # has a cookie, but posts no token
    answer = client.post("/s/sessie/delete", data={}, follow_redirects=False)
    assert answer.status_code == 403 and "Het formulier is verlopen" in answer.text
    wrong = client.post("/s/sessie/delete", data={"csrf": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    assert (cfg.out_dir / "sessie").is_dir()
    # a token of another browser does not work either
    other, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    stolen = csrf(other, "/s/sessie/delete")
    assert client.post("/s/sessie/delete", data={"csrf": stolen}).status_code == 403
    ok = client.post("/s/sessie/delete", data={"csrf": csrf(client, "/s/sessie/delete")}, follow_redirects=False)
    assert ok.status_code == 303 and not (cfg.out_dir / "sessie").exists()


def test_non_loopback_needs_login(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state", password="geheim-1234", host="192.0.2.10")
    (cfg.out_dir / "sessie").mkdir()
    (cfg.out_dir / "sessie" / "draft.docx").write_bytes(b"PK")
    for url in ("/", "/new", "/s/sessie", "/s/sessie/files/draft.docx", "/s/sessie/progress.json"):
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), url
    assert client.post("/s/sessie/delete", data={}).status_code == 403
    token = csrf(client, "/login")
    bad = client.post("/login", data={"csrf": token, "password": "raden", "next": "/"}, follow_redirects=False)
    assert bad.status_code == 403 and "Onjuist wachtwoord" in bad.text
    good = client.post("/login", data={"csrf": token, "password": "geheim-1234", "next": "/s/sessie"},
                       follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/s/sessie"
    assert client.get("/s/sessie/files/draft.docx").content == b"PK"


def test_non_loopback_without_password_generates_one(tmp_path: Path) -> None:
    from pipeline.core.settings import Settings
    from pipeline.web.serve import web_config

    said: list[str] = []
    cfg = web_config(Settings(out_dir=tmp_path / "outputs"), host="0.0.0.0", state_dir=tmp_path / "state", env={},
                     announce=said.append)
    assert cfg.guard.password and len(cfg.guard.password) >= 12 and cfg.guard.password in said[0]
    local = web_config(Settings(out_dir=tmp_path / "outputs"), host="127.0.0.1", state_dir=tmp_path / "state",
                       env={}, announce=said.append)
    assert local.guard.password is None


def test_delete_refuses_a_busy_session(tmp_path: Path, vtt: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    name = upload(client, vtt).headers["location"].rsplit("/", 1)[-1]
    answer = client.post(f"/s/{name}/delete", data={"csrf": csrf(client, f"/s/{name}/delete")})
    assert answer.status_code == 409 and f"Sessie {name} wordt nu verwerkt" in answer.text
    assert (cfg.out_dir / name).is_dir()
    assert json.loads(client.get(f"/s/{name}/progress.json").text)["status"] == "queued"


def test_other_host_names_are_refused_on_loopback(tmp_path: Path) -> None:
    """No password on 127.0.0.1, so a page elsewhere must not reach it through DNS rebinding."""
    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200


def test_bad_form_values_are_one_line(tmp_path: Path, vtt: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    answer = upload(client, vtt, speakers="veel")
    assert answer.status_code == 400 and "geef een getal van 1 tot 10" in answer.text
    assert "geef de datum als JJJJ-MM-DD" in upload(client, vtt, date="4 maart").text
    assert not cfg.queue.list()


def test_a_page_write_while_the_worker_holds_the_session_is_busy(tmp_path: Path) -> None:
    from test_lock import hold_in_other_process

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    root = cfg.out_dir / "sessie"
    root.mkdir()
    (root / "turns.json").write_text(json.dumps({"speakers": {"S1": "Spreker 1"}, "turns": [
        {"speaker": "S1", "start": 0.0, "end": 2.0, "text": "Hoi."}]}), encoding="utf-8")
    holder = hold_in_other_process(root)
    try:
        answer = client.post("/s/sessie/speakers", data={"csrf": csrf(client, "/s/sessie/speakers"),
                                                         "name_0": "Sanne"})
        assert answer.status_code == 409 and "Sessie sessie is bezig: er wordt sinds" in answer.text
        assert not (root / "names.toml").exists()
    finally:
        holder.kill()
        holder.wait()


def test_every_label_is_in_both_languages() -> None:
    from pipeline.core.language import texts
    from pipeline.web.app import preferred_language

    assert set(texts("nl", "web")) == set(texts("en", "web"))
    templates = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipeline/web/templates").glob("*.html"))
    used = set(re.findall(r"\bt\.(\w+)", templates))
    assert used <= set(texts("nl", "web")), sorted(used - set(texts("nl", "web")))
    assert preferred_language("en-US,en;q=0.9") == "en" and preferred_language("de-DE,nl;q=0.5,en;q=0.4") == "nl"
    assert preferred_language(None) == "nl" and preferred_language("fr") == "nl"


def test_a_recording_is_known_by_its_content_not_its_name(tmp_path: Path) -> None:
    from conftest import tone

    from devtools.synth import write_wav

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    odd = write_wav(tmp_path / "opname.wav", tone(3.0))
    renamed = odd.rename(tmp_path / "opname-van-telefoon.dat")
    answer = upload(client, renamed)
    assert answer.status_code == 303, answer.text
    assert (cfg.out_dir / "opname-van-telefoon" / "opname-van-telefoon.wav").is_file()
    notes = tmp_path / "notities.dat"
    notes.write_text("geen geluid\n" * 20, encoding="utf-8")
    assert "opname.dat" not in (text := upload(client, notes).text) and "notities.dat is geen audio" in text


def test_a_failed_job_can_be_processed_again_from_its_page(tmp_path: Path, vtt: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    name = upload(client, vtt, title="West").headers["location"].rsplit("/", 1)[-1]
    job = cfg.queue.claim("test")
    cfg.queue.finish(job.id, "the worker ran out of memory; close other programs")
    page = html.unescape(client.get(f"/s/{name}").text)  # a message without a key: Dutch in general words
    assert "Het verwerken is mislukt" in page and "out of memory" not in page and 'id="rerun"' in page
    english = client.get(f"/s/{name}", headers={"Accept-Language": "en"}).text
    assert "the worker ran out of memory" in english
    answer = client.post(f"/s/{name}/rerun", data={"csrf": csrf(client, f"/s/{name}")}, follow_redirects=False)
    assert answer.status_code == 303
    again = cfg.queue.list(name, limit=1)[0]
    assert again.status == "queued" and again.id != job.id and again.params["title"] == "West"


def test_a_session_oogst_run_made_opens_in_the_web_app(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    folder = cfg.out_dir / "vergadering"
    folder.mkdir(parents=True)
    for artefact in ("transcript.json", "turns.json", "insights.json"):  # no job in the web app's queue
        (folder / artefact).write_bytes((ROOT / "tests" / "data" / "session" / artefact).read_bytes())
    page = client.get("/s/vergadering")
    assert page.status_code == 200, page.text
    assert 'href="/s/vergadering/transcript"' in page.text and 'id="job-error"' not in page.text
