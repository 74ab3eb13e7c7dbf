"""The retention policy with the clock moved forward, and forgetting a person across a series: real calls through
`Oogst` on session folders built from tests/data/mail, a real SMTP server on loopback, real .docx round trips."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import wave
from pathlib import Path

import pytest
from docx_helpers import CommentSpec, add_comments
from mail_helpers import Handler, make_session, smtp_server

from pipeline.core.editing import Edit
from pipeline.core.errors import ConfigError, OogstError
from pipeline.core.layers import text_key
from pipeline.core.settings import Settings
from pipeline.core.types import RunRequest
from pipeline.retention.policy import Policy, checked, load_policy, plan, save_policy
from pipeline.service import Oogst

UTC = dt.UTC
POLICY = Policy(days=30, after="mail", copies_days=60)
MAILED = "2026-01-10T10:00:00+00:00"  # the final went out: sound due 2026-02-09, copies 2026-03-11


def _wav(path: Path, seconds: float = 0.5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x01\x00" * int(16000 * seconds))
    return path


def _session(root: Path, name: str, *, mailed: str | None = MAILED, series: str = "groep",
             language: str | None = None) -> Path:
    """A reviewed session with everything the policy knows: its recording copy, clips, cached voices, a returned
    copy and a sent version, and sent.json saying when the final was mailed."""
    session = make_session(root, name=name, language=language)
    folder = session.root
    shutil.copy(folder / "turns.json", folder / "diarization.json")
    _wav(folder / f"{name}.wav")
    _wav(folder / ".clips" / "1.wav")
    (folder / ".clips" / "spans.json").write_text("{}", encoding="utf-8")
    (folder / ".voices.json").write_text('{"labels": {}}', encoding="utf-8")
    (folder / "returned").mkdir()
    shutil.copy(folder / "draft.docx", folder / "returned" / "terug-1.docx")
    (folder / "sent" / "v1").mkdir(parents=True)
    shutil.copy(folder / "draft.docx", folder / "sent" / "v1" / "draft.docx")
    shutil.copy(folder / "insights.json", folder / "sent" / "v1" / "insights.json")
    (folder / "series.json").write_text(json.dumps({"series": series, "since": "2026-01-01"}), encoding="utf-8")
    if mailed is not None:
        (folder / "sent.json").write_text(json.dumps({"sends": [
            {"sent_at": mailed, "source": "final.json", "draft": False, "to": ["a@example.nl"]}]}), encoding="utf-8")
    return folder


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.fixture()
def world(tmp_path: Path) -> tuple[Oogst, Path, Path]:
    out = tmp_path / "outputs"
    for name in ("oud", "vast", "bezig", "nieuw"):
        _session(tmp_path, name, mailed="2026-02-15T09:00:00+00:00" if name == "nieuw" else MAILED)
    own = _wav(tmp_path / "recordings" / "link.wav")  # the facilitator's own recording, outside outputs/
    link = _session(tmp_path, "link")
    (link / "link.wav").unlink()
    (link / "link.wav").symlink_to(own)
    series = out / ".series" / "groep"
    series.mkdir(parents=True)
    (series / "series.json").write_text(json.dumps({"name": "groep", "remember_voices": True, "sessions": {
        n: {"date": "2026-01-05", "title": n} for n in ("oud", "vast", "bezig", "nieuw", "link")}, "done": {}}),
        encoding="utf-8")
    share = {"sum": [1.0, 0.0], "windows": 10}
    (series / "voices.json").write_text(json.dumps({"profiles": {
        "Piet": {"centroid": [1.0, 0.0], "windows": 10, "sessions": {"oud": share}},
        "Inês Došen": {"centroid": [1.0, 0.0], "windows": 20, "sessions": {"oud": share, "vast": share}}}}),
        encoding="utf-8")
    oogst = Oogst(Settings(out_dir=out))
    oogst.hold(oogst.session("vast"))
    return oogst, out, tmp_path


def test_the_sweep_deletes_exactly_what_is_past_its_date(world: tuple[Oogst, Path, Path]) -> None:
    oogst, out, tmp = world
    before = _files(out)
    outside = _files(tmp / "recordings")
    busy = ["bezig", str((tmp / "elsewhere.wav").resolve())]  # a queued job's session and input

    early = oogst.sweep(POLICY, now=dt.datetime(2026, 2, 8, tzinfo=UTC), busy=busy)
    assert early.removed == [] and _files(out) == before  # a day before the date: nothing

    now = dt.datetime(2026, 2, 20, tzinfo=UTC)
    dry = oogst.sweep(POLICY, now=now, busy=busy, dry_run=True)
    assert _files(out) == before  # a dry run deletes nothing
    listed = {str(item.path.relative_to(out)) for _, item in dry.removed}
    assert listed == {"oud/oud.wav", "oud/.clips", "oud/.voices.json", "link/link.wav", "link/.clips",
                      "link/.voices.json"}
    assert ("bezig", "a job of it is queued, running or paused") in dry.skipped

    swept = oogst.sweep(POLICY, now=now, busy=busy)
    assert {str(item.path.relative_to(out)) for _, item in swept.removed} == listed  # the dry run listed the same
    gone = before - _files(out)
    assert gone == {"oud/oud.wav", "oud/.clips/1.wav", "oud/.clips/spans.json", "oud/.voices.json",
                    "link/link.wav", "link/.clips/1.wav", "link/.clips/spans.json", "link/.voices.json"}
    assert _files(tmp / "recordings") == outside and (tmp / "recordings" / "link.wav").stat().st_size > 1000
    ledger = json.loads((out / "oud" / "retention.json").read_text(encoding="utf-8"))
    assert ledger["recording"] == "oud.wav" and ledger["removed"][0]["at"].startswith("2026-02-20")
    # the voice profile of a person whose only session lost its sound goes; one with a kept session stays
    profiles = json.loads((out / ".series" / "groep" / "voices.json").read_text(encoding="utf-8"))["profiles"]
    assert set(profiles) == {"Inês Došen"} and set(profiles["Inês Došen"]["sessions"]) == {"vast"}

    later = oogst.sweep(POLICY, now=dt.datetime(2026, 3, 15, tzinfo=UTC), busy=busy)
    assert {str(i.path.relative_to(out)) for _, i in later.removed} == {
        "oud/returned", "oud/sent", "link/returned", "link/sent"}
    assert (out / "vast" / "vast.wav").is_file() and (out / "vast" / "returned").is_dir()  # on hold
    assert (out / "bezig" / "bezig.wav").is_file() and (out / "nieuw" / "nieuw.wav").is_file()
    off = oogst.sweep(Policy(), now=dt.datetime(2030, 1, 1, tzinfo=UTC))
    assert off.removed == [] and (out / "vast" / "vast.wav").is_file()


def test_everything_without_sound_works_after_the_sweep(world: tuple[Oogst, Path, Path]) -> None:
    oogst, out, tmp = world
    shutil.rmtree(out / "oud")
    _session(tmp, "oud", language="en")  # no Dutch analysis (Frog) in the re-run: seconds, not a minute
    oogst.sweep(POLICY, now=dt.datetime(2026, 2, 20, tzinfo=UTC))
    session = oogst.session("oud")
    assert session.recording() is None and session.removed_recording() == out / "oud" / "oud.wav"

    turns = oogst.name_speakers(session, {"S5": "Pieter"})
    assert turns.speakers["S5"] == "Pieter"
    oogst.correct_line(session, 0, "Welkom allemaal bij onze intervisie.")
    assert [c.get("text") for c in session.corrections().values()] == ["Welkom allemaal bij onze intervisie."]
    first = oogst.shown_insights(session).insights[0]
    key = first.key or text_key(first.text)
    oogst.edit(session, Edit("save", key=key, title="Casus vooraf delen", text="Een nieuwe zin."))
    assert oogst.shown_insights(session).insights[0].text == "Een nieuwe zin."

    # the later stages run again without the recording; a stage that needs the sound says so in one line
    result = oogst.run(RunRequest(str(out / "oud" / "oud.wav"), until="names"))
    assert {"transcribe", "speakers"} <= set(result.skipped) and "names" in result.stage_seconds
    assert session.turns().turns[0].text == "Welkom allemaal bij onze intervisie."  # the names stage ran
    with pytest.raises(OogstError) as info:
        oogst.run(RunRequest(str(out / "oud" / "oud.wav"), start="transcribe"))
    assert "retention policy" in str(info.value) and "\n" not in str(info.value)
    assert info.value.key == "recording_removed"

    copy = add_comments(session.path("draft.docx"), tmp / "terug-2.docx",
                        [CommentSpec("Casus", "+1 eens", "Zoë van ’t Hek")])
    result_collect, _ = oogst.collect(session, [copy])
    assert result_collect.comments == 1 and session.final() is not None

    with smtp_server(Handler()) as server:
        env = {"OOGST_SMTP_HOST": server.host, "OOGST_SMTP_PORT": str(server.port), "OOGST_SMTP_SECURITY": "none",
               "OOGST_SMTP_FROM": "Zoë <zoe@example.nl>"}
        outcome, _ = oogst.mail(session, to=["Inês Došen <ines@example.nl>"], send=True, yes=True, env=env,
                                confirm=lambda question: True)
        assert len(server.handler.messages) == 1
    assert len(json.loads(session.path("sent.json").read_text(encoding="utf-8"))["sends"]) == 2


def test_the_policy_comes_from_the_settings_page_else_the_config(tmp_path: Path) -> None:
    assert not load_policy({}, tmp_path).on  # off by default
    assert load_policy({"days": 14, "after": "date"}, tmp_path) == Policy(14, "date", None, True, "config")
    save_policy(tmp_path, Policy(days=7))
    assert load_policy({"days": 14}, tmp_path).days == 7 and load_policy({}, tmp_path).source == "page"
    for bad in ({"days": "veel"}, {"days": -1}, {"days": 3, "after": "ooit"}):
        with pytest.raises(ConfigError) as info:
            checked(bad, "[retention]", "config")
        assert "[retention]" in str(info.value)


def test_the_plan_says_what_goes_when(tmp_path: Path) -> None:
    from pipeline.core.session import Session

    folder = _session(tmp_path, "wacht", mailed=None)
    session = Session(folder)
    items = {i.what: i.when for i in plan(session, POLICY)}
    assert set(items) == {"recording", "clips", "voices", "returned", "sent"} and set(items.values()) == {None}
    by_date = {i.what: i.when for i in plan(session, Policy(days=30, after="date"))}
    assert by_date["recording"] == dt.datetime(2024, 6, 13, tzinfo=UTC)  # transcript.json: recorded 2024-05-14
    assert "returned" not in by_date  # without copies_days the copies stay


def _texts(root: Path) -> str:
    """Every file's text under `root`, Word documents and mails unpacked."""
    import email
    import zipfile
    from email import policy

    parts = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        parts.append(path.name)
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as docx:
                parts += [docx.read(n).decode("utf-8", "replace") for n in docx.namelist()]
        elif path.suffix == ".eml":
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            parts += [str(v) for v in message.values()]
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    parts.append(part.get_content())  # type: ignore[attr-defined]
        elif path.suffix == ".json":  # as JSON, so a name written as \u escapes counts too
            parts.append(json.dumps(json.loads(path.read_bytes()), ensure_ascii=False))
        else:
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_forget_a_person_across_the_series(world: tuple[Oogst, Path, Path]) -> None:
    oogst, out, tmp = world
    session = oogst.session("oud")
    session.save_roster([{"name": "Inês Došen", "email": "ines@example.nl"}, {"name": "Piet", "email": ""}])
    oogst.mail(session, to=["Inês Došen <ines@example.nl>"], send=False)  # mail.eml: names in headers and body
    add_comments(session.path("draft.docx"), session.path("returned") / "terug-Inês.docx",  # a comment's author
                 [CommentSpec("Casus", "Eens, zegt Inês.", "Inês Došen", "ID")])
    assert "Inês Došen" in _texts(out) and "Inês" in _texts(out)
    review = out / "vast" / "review.json"  # written by another program, with \u escapes: found all the same
    review.write_text(json.dumps({"comments": [{"author": "Inês Došen", "text": "Eens."}]}), encoding="utf-8")
    assert "Inês" not in review.read_text(encoding="utf-8")
    before = _files(out)

    dry = oogst.forget_person("groep", "Inês Došen", dry_run=True)
    assert _files(out) == before and "Inês Došen" in _texts(out)
    listed = {str(p.relative_to(out)) for p, _ in dry.rewritten} | {str(p.relative_to(out)) for p in dry.deleted}
    assert {"oud/turns.json", "oud/final.json", "oud/returned/terug-Inês.docx", "oud/mail.eml", "oud/roster.json",
            ".series/groep/voices.json", "oud/.clips"} <= listed

    done = oogst.forget_person("groep", "Inês Došen", dry_run=False)
    assert {str(p.relative_to(out)) for p, _ in done.rewritten} == {
        str(p.relative_to(out)) for p, _ in dry.rewritten}  # what the dry run listed
    text = _texts(out)
    assert "inês" not in text.casefold() and "došen" not in text.casefold()
    assert (out / "oud" / "returned" / "terug-Oud-deelnemer.docx").is_file()
    assert "Oud-deelnemer" in text
    for other in ("Jan-Willem de Vries", "Fatma Yılmaz", "Zoë van ’t Hek", "Piet"):  # the others stay
        assert other in text, other
    assert not (out / "oud" / ".clips").exists() and not (out / "vast" / ".voices.json").exists()
    profiles = json.loads((out / ".series" / "groep" / "voices.json").read_text(encoding="utf-8"))["profiles"]
    assert set(profiles) == {"Piet"}
    assert [p["name"] for p in session.roster()] == ["Piet"]
    assert session.turns().speakers["S1"] == "Oud-deelnemer" and session.turns().speakers["S5"] == "Piet"
    # the session still works: naming, and the draft is not taken for a hand-edited one
    oogst.name_speakers(session, {"S2": "Jan-Willem"})
    assert session.turns().speakers["S2"] == "Jan-Willem"


def test_forget_a_person_clears_the_state_folders_stores(world: tuple[Oogst, Path, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The participants' answers and the search index live beside the sessions, in the state folder: forgetting a
    person deletes their invitations and answers (the others' stay) and takes their name out of the index, also out
    of the bytes on disk."""
    from pipeline.review.answers import open_store

    oogst, out, tmp = world
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp / "state"))
    store = open_store(None, out)
    for person in ("Inês Došen", "Piet"):
        _, invitation = store.invite("oud", "v1", "h", person, f"{person[:3]}@example.nl")
        store.save(invitation, "insight-1", "remark", f"Goed punt, zegt {person}.")
    index = oogst.search_index()
    index.refresh()
    assert index.words("Inês"), "the index holds her name before"
    from pipeline.jobs.queue import SQLiteQueue

    queue = SQLiteQueue(tmp / "state" / "oogst" / "jobs.sqlite")  # the web app's queue: titles, names, errors
    over = queue.submit("run", "oud", str(tmp / "opname-Inês.wav"), {"title": "Intervisie met Inês Došen",
                                                                      "names": {"S1": "Inês Došen", "S5": "Piet"}})
    queue.claim("w1")
    queue.finish(over.id, "opname-Inês.wav: no audio stream found")
    waiting = queue.submit("run", "vast", str(tmp / "vast.wav"), {"title": "Met Inês", "rerun": True})
    other = queue.submit("run", "vast", str(tmp / "vast.wav"), {"title": "Met Piet"})
    dry = oogst.forget_person("groep", "Inês Došen", dry_run=True)
    assert dry.answers == 2 and dry.indexed > 0 and index.words("Inês")
    assert dry.jobs == 2 and queue.get(over.id).params["title"] == "Intervisie met Inês Došen"  # listed, not changed
    assert any("participants' answers" in line for line in dry.lines(out, True))
    assert any("2 job record(s)" in line for line in dry.lines(out, True))

    done = oogst.forget_person("groep", "Inês Došen")
    assert done.answers == 2 and done.jobs == 2
    ended = queue.get(over.id)
    assert ended.params == {"title": "Intervisie met Oud-deelnemer", "names": {"S1": "Oud-deelnemer", "S5": "Piet"}}
    assert ended.error == "opname-Oud-deelnemer.wav: no audio stream found" and "Inês" not in ended.input
    assert queue.get(waiting.id).params["title"] == "Met Oud-deelnemer" and queue.get(waiting.id).status == "queued"
    assert queue.get(other.id).params == {"title": "Met Piet"}  # the others' jobs as they were
    left = store.answers("oud")
    assert left and {a["participant"] for a in left} == {"Piet"}
    assert [i.participant for i in store.invitations("oud")] == ["Piet"]
    assert index.words("Inês") == [] and index.words("Oud-deelnemer")  # indexed again from the rewritten files
    for path in (tmp / "state" / "oogst").iterdir():
        assert "Inês".encode() not in path.read_bytes(), path.name


def test_the_commands(world: tuple[Oogst, Path, Path], monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    oogst, out, tmp = world
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp / "state"))
    config = tmp / "config.toml"
    config.write_text('[retention]\ndays = 30\nafter = "mail"\n', encoding="utf-8")
    common = ["--out-dir", str(out), "--config", str(config)]
    assert main(["retention", "--dry-run", "--now", "2026-02-20", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "would delete oud/oud.wav (recording, due 2026-02-09)" in lines and (out / "oud" / "oud.wav").is_file()
    assert main(["retention", "--hold", "oud", *common]) == 0
    assert main(["retention", "--now", "2026-02-20", *common]) == 0
    assert (out / "oud" / "oud.wav").is_file() and not (out / "bezig" / "bezig.wav").exists()
    assert main(["retention", "--now", "gisteren", *common]) == 1
    assert "--now gisteren" in capsys.readouterr().err
    assert main(["forget", "groep", "Piet", "--dry-run", *common]) == 0
    assert "would rewrite oud/turns.json" in capsys.readouterr().out
    assert "Piet" in (out / "oud" / "turns.json").read_text(encoding="utf-8")


def test_the_pages(world: tuple[Oogst, Path, Path]) -> None:
    from web_helpers import csrf, make_client

    oogst, out, tmp = world
    client, cfg = make_client(out, tmp / "state")
    listing = client.get("/").text
    assert 'id="retention-offer"' in listing  # no choice made yet: offered on the sessions page
    assert 'id="retention-plan"' not in client.get("/s/oud").text
    token = csrf(client, "/settings")
    bad = client.post("/settings/retention", data={"csrf": token, "enabled": "1", "days": "veel", "after": "mail"})
    assert bad.status_code == 400 and 'id="settings-problem"' in bad.text and "Traceback" not in bad.text
    saved = client.post("/settings/retention", data={"csrf": token, "enabled": "1", "days": "30", "after": "mail",
                                                    "copies_days": ""}, follow_redirects=False)
    assert saved.status_code == 303 and oogst.retention_policy(tmp / "state") == Policy(30, "mail", None, True, "page")
    page = client.get("/s/oud").text
    assert 'id="retention-plan"' in page and "De opname" in page and "vandaag" in page  # due since 2026-02-09
    listing = client.get("/").text
    assert "Verdwijnt de komende week" in listing and "Opname verdwijnt: 11 december" not in listing
    assert "Opname verdwijnt: vandaag" in listing  # each session's row says when its recording goes
    held = client.post("/s/vast/hold", data={"csrf": token, "do": "release"}, follow_redirects=False)
    assert held.status_code == 303 and not oogst.session("vast").root.joinpath("retention.json").read_text(
        encoding="utf-8").count("true")
    oogst.sweep(POLICY, now=dt.datetime(2026, 2, 20, tzinfo=UTC))  # the recording of oud goes
    again = client.post("/s/oud/rerun", data={"csrf": token}, follow_redirects=False)
    assert again.status_code == 303  # the later stages are queued again, from where the recording was
    assert [(j.input, j.params.get("rerun")) for j in cfg.queue.waiting()] == [(str(out / "oud" / "oud.wav"), True)]
    speakers = client.get("/s/oud/speakers")  # named as for a transcript: no clips to play, no error
    assert speakers.status_code == 200 and "<audio" not in speakers.text and 'name="name_' in speakers.text
    preview = client.post("/series/groep/forget", data={"csrf": token, "person": "Piet", "do": "preview"})
    assert "oud/turns.json" in preview.text and "Piet" in (out / "oud" / "turns.json").read_text(encoding="utf-8")
    done = client.post("/series/groep/forget", data={"csrf": token, "person": "Piet", "do": "forget"})
    assert 'id="forget-done"' in done.text and "Piet" not in (out / "oud" / "turns.json").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_the_pages_fit_a_phone_and_serve_sweeps_at_start(world: tuple[Oogst, Path, Path]) -> None:
    """A real `oogst serve` (its worker sweeps once at start, then daily) and a real Chromium at 390 px and desktop
    width: the settings page, the session page's "Wat verdwijnt wanneer", the sessions page's week list and the
    forget page fit; screenshots go to outputs/screenshots/retention-*.png."""
    from selenium.webdriver.common.by import By

    from tests.test_web_phone import DESKTOP, PHONE, SHOTS, check_width, screen, shot
    from tests.web_helpers import ROOT, chromium, free_port, running_server, wait_for

    oogst, out, tmp = world
    soon = (dt.datetime.now(UTC) - dt.timedelta(days=26)).isoformat(timespec="seconds")
    _session(tmp, "binnenkort-met-een-lange-naam-voor-de-telefoon", mailed=soon)
    state = tmp / "state"
    save_policy(state / "oogst", Policy(days=30, after="mail", copies_days=90))  # XDG_STATE_HOME/oogst
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with running_server(out, state, port):
        wait_for(lambda: not (out / "oud" / "oud.wav").exists(), 60, "the worker's sweep at start")
        assert (out / "vast" / "vast.wav").is_file()  # on hold
        driver = chromium(tmp / "downloads")
        base = f"http://127.0.0.1:{port}"
        try:
            for width in (PHONE, DESKTOP):
                screen(driver, width)
                for path, name in (("/settings", "settings"), ("/s/oud", "session-swept"),
                                   ("/s/binnenkort-met-een-lange-naam-voor-de-telefoon", "session"),
                                   ("/s/vast", "session-held"), ("/", "sessions"),
                                   ("/series/groep/forget", "forget")):
                    driver.get(base + path)
                    assert driver.find_element(By.TAG_NAME, "h1").text, path
                    check_width(driver, path, width)
                    shot(driver, SHOTS / f"retention-{name}-{width}.png", width, 2400)
                driver.get(base + "/s/binnenkort-met-een-lange-naam-voor-de-telefoon")
                plan_text = driver.find_element(By.ID, "retention-plan").text
                assert "De opname" in plan_text and "Teruggestuurde exemplaren" in plan_text
                driver.get(base + "/")
                assert "binnenkort" in driver.find_element(By.ID, "retention-week").text
                driver.get(base + "/series/groep/forget")
                driver.find_element(By.ID, "forget-person").send_keys("Piet")
                driver.find_element(By.ID, "forget-preview").click()
                wait_for(lambda: driver.find_elements(By.ID, "forget-changes"), 30, "the dry run's list")
                check_width(driver, "/series/groep/forget (dry run)", width)
                shot(driver, SHOTS / f"retention-forget-preview-{width}.png", width, 2400)
        finally:
            driver.quit()
    assert "Piet" in (out / "oud" / "turns.json").read_text(encoding="utf-8")  # a dry run changes nothing
    assert ROOT.is_dir()
