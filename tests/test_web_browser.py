"""The facilitator's whole flow in a real headless Chromium against a real `oogst serve` (server + worker process).

Upload the sample recording, watch progress to done, play the speakers' clips and name two, correct a transcript
line, edit an insight, download the draft, send it (v1), upload two annotated copies, see the final, fill in the
participants, make the mail dry run and check the .eml, delete the session. A screenshot of every page goes to
outputs/screenshots/ and the page-load and job times to outputs/screenshots/timings.json.
"""

from __future__ import annotations

import email
import json
import time
from email import policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web_helpers import ROOT, chromium, free_port, running_server, wait_for

SHOTS = ROOT / "outputs" / "screenshots"
SAMPLE = ROOT / "recordings" / "voorbeeld-intervisie.ogg"


class Walk:
    """The browser, the server's address, screenshots and timings."""

    def __init__(self, driver: Any, base: str, downloads: Path) -> None:
        self.driver, self.base, self.downloads = driver, base, downloads
        self.timings: dict[str, float] = {}
        self.shot_number = 0

    def open(self, path: str, label: str) -> None:
        began = time.perf_counter()
        self.driver.get(self.base + path)
        self.timings[f"load {label}"] = round(time.perf_counter() - began, 3)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def shot(self, name: str) -> None:
        self.shot_number += 1
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(max(1000, height + 120), 3000))
        self.driver.save_screenshot(str(SHOTS / f"{self.shot_number:02d}-{name}.png"))
        self.driver.set_window_size(1280, 1000)

    def text(self) -> str:
        return str(self.find("main").text)

    def job_done(self, name: str, seconds: float = 240) -> dict[str, Any]:
        state = wait_for(lambda: (s := self.state(name))["status"] in ("done", "failed") and s, seconds,
                         f"the job of {name} to finish")
        assert state["status"] == "done", state.get("error")
        return state

    def state(self, name: str) -> dict[str, Any]:
        return dict(self.client().get(f"/s/{name}/progress.json").json())

    def client(self) -> httpx.Client:
        cookies = {c["name"]: c["value"] for c in self.driver.get_cookies()}
        return httpx.Client(base_url=self.base, cookies=cookies, timeout=30)

    def downloaded(self, suffix: str, before: set[str]) -> Path:
        def done() -> Path | None:
            new = [p for p in self.downloads.iterdir() if p.name not in before and p.name.endswith(suffix)]
            return new[0] if new else None

        found: Path = wait_for(done, 30, f"a {suffix} download")
        return found


def play(walk: Walk, element_id: str, at: float | None = None) -> dict[str, Any]:
    """Play an <audio> element for a moment; its duration, position and error as the browser reports them."""
    script = """
        const [id, at, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
        const audio = document.getElementById(id);
        const report = () => done({duration: audio.duration, time: audio.currentTime,
                                   error: audio.error && audio.error.code, paused: audio.paused});
        audio.addEventListener("error", report);
        const go = () => {
            if (at !== null) audio.currentTime = at;
            audio.play().then(() => setTimeout(report, 600), report);
        };
        if (audio.readyState >= 1) go();
        else { audio.addEventListener("loadedmetadata", go, {once: true}); audio.load(); }
    """
    walk.driver.set_script_timeout(30)
    return dict(walk.driver.execute_async_script(script, element_id, at))


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_the_whole_flow_in_a_browser(tmp_path: Path, models_dir: Path) -> None:
    from docx_helpers import CommentSpec, add_comments
    from selenium.webdriver.common.by import By

    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    recording = tmp_path / "2025-03-04_intervisie-team-west.ogg"
    recording.write_bytes(SAMPLE.read_bytes())
    with running_server(out, state, port):
        driver = chromium(downloads)
        walk = Walk(driver, f"http://127.0.0.1:{port}", downloads)
        try:
            walk.open("/", "sessions (empty)")
            assert "Nog geen sessies" in walk.text()
            walk.shot("sessies-leeg")

            # -- a file that is no recording: one line in Dutch naming the file, no session ----------------------
            fake = tmp_path / "opname.m4a"
            fake.write_text("geen geluid\n" * 100, encoding="utf-8")
            walk.open("/new", "new session")
            walk.find("#file").send_keys(str(fake))
            walk.find("#upload").click()
            wait_for(lambda: walk.finds("#problem"), 30, "the error page")
            assert "opname.m4a is geen audio- of videobestand dat te lezen is" in walk.find("#problem").text
            walk.shot("fout-geen-opname")
            assert [p.name for p in out.iterdir()] == [".uploads"]

            # -- new session: upload, then live progress ---------------------------------------------------------
            walk.open("/new", "new session")
            walk.find("input[name=title]").send_keys("Intervisie team West")
            walk.find("input[name=vocabulary]").send_keys("Sanne, Joris, Fatima, Pieter, intervisie, casus")
            walk.find("#file").send_keys(str(recording))
            walk.shot("nieuwe-sessie")
            began = time.perf_counter()
            walk.find("#upload").click()
            wait_for(lambda: "/s/" in driver.current_url, 60, "the upload to finish")
            walk.timings["upload 3.5 MB + check"] = round(time.perf_counter() - began, 3)
            name = driver.current_url.rsplit("/", 1)[-1]
            assert name == "2025-03-04_intervisie-team-west"
            wait_for(lambda: "%" in walk.find("#detail").text, 120, "transcription progress on the page")
            assert walk.find("#status").text == "Bezig"
            wait_for(lambda: walk.finds("#lines p"), 60, "the first transcript lines while it runs")
            walk.shot("voortgang")
            wait_for(lambda: walk.find("#links").is_displayed(), 240, "the page to show the job is done")
            job = walk.state(name)
            assert job["status"] == "done" and job["stages"] == ["transcribe", "speakers", "analysis", "names",
                                                                 "insights", "draft"]
            walk.shot("klaar")

            # -- speakers: play the clips, name two -----------------------------------------------------------
            walk.open(f"/s/{name}/speakers", "speakers")
            rows = walk.finds(".speaker")
            assert len(rows) >= 2
            for n in range(2):
                played = play(walk, f"clip-{n}")
                assert played["error"] is None and 1.0 < played["duration"] <= 8.5 and played["time"] > 0, played
            labels = [r.get_attribute("data-label") for r in rows]
            first, second = walk.find("input[name=name_0]"), walk.find("input[name=name_1]")
            first.clear()
            first.send_keys("Sanne")
            second.clear()
            second.send_keys("Joris")
            walk.find("#save-names").click()
            wait_for(lambda: walk.finds("#saved"), 30, "the names to be saved")
            walk.shot("sprekers")
            turns = json.loads((out / name / "turns.json").read_text(encoding="utf-8"))
            assert turns["speakers"][labels[0]] == "Sanne" and turns["speakers"][labels[1]] == "Joris"
            walk.job_done(name)

            # -- transcript: play from a line, correct a line -------------------------------------------------------
            walk.open(f"/s/{name}/transcript", "transcript")
            lines = walk.finds(".turn")
            assert len(lines) > 10 and walk.finds("mark.low")  # uncertain words are visible
            start = float(lines[3].find_element(By.CSS_SELECTOR, ".time").get_attribute("data-start"))
            lines[3].find_element(By.CSS_SELECTOR, ".time").click()
            time.sleep(1.0)
            position = driver.execute_script("return document.getElementById('player').currentTime")
            assert start - 0.1 <= position <= start + 3, (start, position)
            driver.execute_script("document.getElementById('player').pause()")
            lines[1].find_element(By.TAG_NAME, "summary").click()
            box = lines[1].find_element(By.TAG_NAME, "textarea")
            box.clear()
            box.send_keys("Ja, dank je. Wat een regen vanochtend, zeg.")
            lines[1].find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_for(lambda: walk.finds("#saved"), 30, "the correction to be saved")
            assert "✔ verbeterd" in walk.find("#t1").text
            walk.shot("transcript")
            walk.job_done(name)
            assert "Wat een regen vanochtend, zeg." in (out / name / "turns.json").read_text(encoding="utf-8")

            # -- top 7: edit an insight -------------------------------------------------------------------------
            walk.open(f"/s/{name}/insights", "top 7")
            card = walk.finds(".insight")[0]
            card.find_element(By.TAG_NAME, "summary").click()
            text = card.find_element(By.CSS_SELECTOR, "textarea[name=text]")
            text.clear()
            text.send_keys("Achter boosheid van een ouder zit vaak zorg om het kind.")
            card.find_element(By.CSS_SELECTOR, "form.edit-insight button").click()
            wait_for(lambda: walk.finds("#saved"), 30, "the edit to be saved")
            assert "✎ aangepast" in walk.finds(".insight")[0].text
            walk.shot("top7")
            walk.job_done(name)

            # -- review: download the draft, send it (v1), upload two annotated copies, see the final ------------
            walk.open(f"/s/{name}/review", "review")
            before = {p.name for p in downloads.iterdir()}
            walk.find("#download-draft").click()
            draft = walk.downloaded(".docx", before)
            from docx import Document

            assert "Achter boosheid van een ouder zit vaak zorg om het kind." in "\n".join(
                p.text for p in Document(str(draft)).paragraphs)
            walk.find("#freeze").click()
            wait_for(lambda: walk.finds("#notice"), 30, "the draft to be frozen")
            before = {p.name for p in downloads.iterdir()}
            walk.finds("a.sent-version")[0].click()
            sent = walk.downloaded(".docx", before)
            insights = json.loads((out / name / "sent" / "v1" / "insights.json").read_text(encoding="utf-8"))
            heading = insights["insights"][0]["title"]
            copies = [add_comments(sent, tmp_path / "terug-fatima.docx", [CommentSpec(heading, "+1", "Fatima")]),
                      add_comments(sent, tmp_path / "terug-pieter.docx", [CommentSpec(heading, "eens", "Pieter")])]
            walk.find("#copies").send_keys("\n".join(str(c) for c in copies))
            walk.find("#collect").click()
            wait_for(lambda: walk.finds("#final"), 60, "the final top 7")
            final_text = walk.find("#final").text
            assert "Fatima" in final_text and "Pieter" in final_text and "(+2 / −0)" in final_text
            walk.shot("review-definitief")

            # -- participants and the mail dry run -----------------------------------------------------------------
            walk.open(f"/s/{name}/participants", "participants")
            walk.find("input[name=email_0]").send_keys("sanne@example.nl")
            walk.find("textarea[name=paste]").send_keys("Fatima Bakker <fatima@example.nl>")
            walk.find("#save-roster").click()
            wait_for(lambda: walk.finds("#saved"), 30, "the roster to be saved")
            walk.shot("deelnemers")
            walk.open(f"/s/{name}/mail", "mail")
            assert "Intervisie team West" in walk.find("#preview").text
            walk.shot("mail")
            walk.find("#dry-run").click()
            wait_for(lambda: walk.finds("#download-eml"), 30, "the dry run")
            before = {p.name for p in downloads.iterdir()}
            walk.find("#download-eml").click()
            message = email.message_from_bytes(walk.downloaded(".eml", before).read_bytes(), policy=policy.default)
            assert {a.addr_spec for a in message["To"].addresses} == {"sanne@example.nl", "fatima@example.nl"}
            assert "Intervisie team West" in message["Subject"]
            attachment = next(message.iter_attachments())
            assert attachment.get_filename().endswith(".docx")
            assert "Achter boosheid" in message.get_body(("plain",)).get_content()

            walk.open("/", "sessions")
            assert "Intervisie team West" in walk.text()
            walk.shot("sessies")

            # -- delete, after confirming --------------------------------------------------------------------------
            walk.open(f"/s/{name}/delete", "delete")
            walk.shot("verwijderen")
            walk.find("#confirm-delete").click()
            wait_for(lambda: driver.current_url.endswith("/"), 30, "the sessions list")
            assert not (out / name).exists()
        finally:
            driver.quit()
    from pipeline.jobs.queue import SQLiteQueue

    jobs = SQLiteQueue(state / "oogst" / "jobs.sqlite").list()
    walk.timings.update({f"job {j.id} ({'re-run' if j.params.get('rerun') else 'first run'})":
                         round((j.finished or 0) - (j.started or 0), 2) for j in sorted(jobs, key=lambda j: j.id)})
    (SHOTS / "timings.json").write_text(json.dumps(walk.timings, indent=2) + "\n", encoding="utf-8")
    assert max(v for k, v in walk.timings.items() if k.startswith("load ")) < 5
