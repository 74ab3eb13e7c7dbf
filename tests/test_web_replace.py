"""Find and replace on the transcript page: the form, the preview of exactly the lines that change, "Vervangen", the
rule listed with its undo; in the app (HTML asserted) and in a real headless Chromium against a real `oogst serve`
(server + worker) at desktop width and 390 px. Screenshots go to outputs/screenshots/replace-*.png."""

from __future__ import annotations

import re
import shutil
import time
from html import unescape
from pathlib import Path

import pytest

from pipeline.core.session import REPLACEMENTS, TURNS, Session
from pipeline.core.settings import Settings
from pipeline.core.types import RunRequest
from pipeline.service import Oogst
from tests.test_replace import SCRIPT
from tests.web_helpers import ROOT, chromium, csrf, free_port, make_client, running_server, wait_for

SHOTS = ROOT / "outputs" / "screenshots"
PHONE = 390
CHANGED = [0, 2, 3, 6]  # the lines of SCRIPT with Fakima as a whole word (not Fakimaatje, not the speaker's name)


def uploaded_session(out: Path, tmp_path: Path) -> Session:
    """The small English transcript processed up to turns.json, kept in its folder as an upload is (so a change in
    the web app re-runs it)."""
    source = tmp_path / "fakima.txt"
    source.write_text(SCRIPT, encoding="utf-8")
    oogst = Oogst(Settings(out_dir=out, models_dir=ROOT / "models", quiet=True, language="en", language_given=True))
    oogst.run(RunRequest(str(source), until="names"))
    shutil.copyfile(source, out / "fakima" / "fakima.txt")
    return oogst.session("fakima")


def lines_of(html: str) -> dict[int, str]:
    return {int(n): unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip())
            for n, text in re.findall(r'<div class="turn" id="t(\d+)">.*?<span class="text">(.*?)</span>', html,
                                      re.S)}


def test_the_transcript_page_previews_replaces_and_undoes(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    session = uploaded_session(cfg.out_dir, tmp_path)
    before = lines_of(client.get("/s/fakima/transcript").text)
    page = client.get("/s/fakima/transcript").text
    assert 'action="/s/fakima/replace"' in page and "Zoeken en vervangen" in page and "Voorbeeld" in page

    preview = client.get("/s/fakima/replace", params={"find": "Fakima", "replace": "Fatima"})
    assert preview.status_code == 200
    shown = [int(n) for n in re.findall(r'<li data-n="(\d+)">', preview.text)]
    assert shown == CHANGED and "4 regels veranderen" in preview.text
    assert "So <del>Fakima&#39;s</del> question" in preview.text
    assert "So <ins>Fatima&#39;s</ins> question" in preview.text
    assert not session.has(REPLACEMENTS)
    english = client.get("/s/fakima/replace", params={"find": "Fakima", "replace": "Fatima"},
                         headers={"Accept-Language": "en-GB,en"}).text
    assert "4 lines change" in english and "Vervangen" not in english and ">Replace<" in english

    token = csrf(client, "/s/fakima/transcript")
    version = re.search(r'name="version" value="(\w+)"><input|name="version" value="(\w+)">\s*<input type="hidden" '
                        r'name="lines"', preview.text)
    assert version
    done = client.post("/s/fakima/replace", data={"csrf": token, "version": version[1] or version[2],
                                                  "lines": "0,2,3,6", "find": "Fakima", "replace": "Fatima"},
                       follow_redirects=False)
    assert done.status_code == 303 and "replaced=4" in done.headers["location"]
    page = client.get(done.headers["location"]).text
    assert "Vervangen in 4 regels" in page and "“Fakima” → “Fatima”" in page
    after = lines_of(page)
    assert [n for n in before if before[n] != after[n]] == CHANGED  # the page shows the rule at once
    assert after[3] == "What have you tried so far, FATIMA?" and "Fakimaatje" in after[4]
    marked = re.findall(r'<div class="turn" id="t(\d+)">(?:(?!<div class="turn").)*?title="([^"]*)">⇄ vervangen', page,
                        re.S)
    assert [(int(n), unescape(was)) for n, was in marked] == [(n, before[n]) for n in CHANGED]

    # a preview made before that rule: refused, and shown again as the lines are now (none left)
    stale = client.post("/s/fakima/replace", data={"csrf": token, "version": version[1] or version[2],
                                                   "lines": "0,2,3,6", "find": "fakima", "replace": "Fatima",
                                                   "part": "1"}, follow_redirects=True)
    assert "Sinds het voorbeeld" in stale.text and "Fatimaatje" in stale.text and len(session.replacements()) == 1

    # the names stage, as the re-run the change queued does first (the worker's whole re-run is the browser test's):
    # turns.json, which the insights read, has exactly those lines
    Oogst(Settings(out_dir=cfg.out_dir, models_dir=ROOT / "models", quiet=True)).run(
        RunRequest(str(session.root / "fakima.txt"), until="names"))
    turns = [t.text for t in session.turns().turns]
    assert [n for n in before if before[n] != turns[n]] == CHANGED
    assert lines_of(client.get("/s/fakima/transcript").text) == after  # applied once, not twice

    undo_version = re.search(r'action="/s/fakima/replace/undo">\s*<input[^>]*>\s*<input type="hidden" '
                             r'name="version" value="(\w+)">', page)
    assert undo_version
    undone = client.post("/s/fakima/replace/undo", data={"csrf": token, "version": undo_version[1], "n": "1"})
    assert "Vervanging ongedaan gemaakt" in undone.text and lines_of(undone.text) == before
    assert session.replacements() == []
    nothing = client.get("/s/fakima/replace", params={"find": "Zoltan", "replace": "Fatima"}).text
    assert "Geen enkele regel bevat “Zoltan”" in nothing and 'id="replace-apply"' not in nothing
    same = client.get("/s/fakima/replace", params={"find": "Fakima", "replace": "Fakima"}).text
    assert "door zichzelf vervangen" in same


def width(driver: object) -> int:
    return int(driver.execute_script("return document.documentElement.scrollWidth"))  # type: ignore[attr-defined]


@pytest.mark.needs_system("chromium", "chromedriver")
def test_find_and_replace_in_the_browser_changes_exactly_the_previewed_lines(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    SHOTS.mkdir(parents=True, exist_ok=True)
    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    session = uploaded_session(out, tmp_path)
    heard = [t.text for t in session.turns().turns]
    with running_server(out, state, port):
        driver = chromium(downloads)
        base = f"http://127.0.0.1:{port}"
        try:
            driver.get(base + "/s/fakima/transcript")
            wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#replace summary"), 30, "the transcript page")
            before = {e.get_attribute("id"): e.find_element(By.CSS_SELECTOR, ".text").text
                      for e in driver.find_elements(By.CSS_SELECTOR, ".turn")}
            driver.find_element(By.CSS_SELECTOR, "#replace summary").click()
            driver.find_element(By.ID, "replace-find").send_keys("Fakima")
            driver.find_element(By.ID, "replace-with").send_keys("Fatima")
            driver.save_screenshot(str(SHOTS / "replace-form-desktop.png"))
            driver.find_element(By.ID, "replace-preview").click()
            wait_for(lambda: driver.find_elements(By.ID, "replace-lines"), 30, "the preview")
            previewed = [int(li.get_attribute("data-n"))
                         for li in driver.find_elements(By.CSS_SELECTOR, "#replace-lines li")]
            assert previewed == CHANGED
            afters = [li.find_element(By.CSS_SELECTOR, ".after .text").text
                      for li in driver.find_elements(By.CSS_SELECTOR, "#replace-lines li")]
            assert [li.find_element(By.CSS_SELECTOR, "ins").text
                    for li in driver.find_elements(By.CSS_SELECTOR, "#replace-lines li")] == [
                "Fatima,", "Fatima's", "FATIMA?", "fatima"]
            driver.save_screenshot(str(SHOTS / "replace-preview-desktop.png"))
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": PHONE, "height": 844, "deviceScaleFactor": 2, "mobile": True})
            time.sleep(0.3)
            assert width(driver) <= PHONE, width(driver)
            driver.save_screenshot(str(SHOTS / "replace-preview-390.png"))
            driver.find_element(By.ID, "replace-apply").click()
            wait_for(lambda: driver.find_elements(By.ID, "replaced"), 30, "the replacement to be saved")
            assert width(driver) <= PHONE, width(driver)
            driver.save_screenshot(str(SHOTS / "replace-done-390.png"))
            after = {e.get_attribute("id"): e.find_element(By.CSS_SELECTOR, ".text").text
                     for e in driver.find_elements(By.CSS_SELECTOR, ".turn")}
            assert [int(k[1:]) for k in before if before[k] != after[k]] == CHANGED
            assert [after[f"t{n}"] for n in CHANGED] == afters
            assert "Fatima" in driver.find_element(By.ID, "replace-rules").text

            def rewritten() -> bool:  # the worker's re-run rewrote turns.json (insights and draft come next)
                return session.has(TURNS) and "replaced" in session.read(TURNS)
            wait_for(rewritten, 120, "the re-run after the replacement")
            turns = [t.text for t in session.turns().turns]
            assert [n for n, (a, b) in enumerate(zip(heard, turns, strict=True)) if a != b] == CHANGED
            assert [turns[n] for n in CHANGED] == afters
        finally:
            driver.quit()
