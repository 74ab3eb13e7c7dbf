"""Every facilitator page on a phone (390 px, a phone's screen emulated) and at desktop width, in a real headless
Chromium against a real `oogst serve`: nothing wider than the screen, every control on screen, the transcript's text
as wide as the screen; and the warning of a poorly recognised session on the session and top 7 pages, which leads
to the transcript, and to the line an unsure insight was taken from.

The sessions are real ones: the sample recording through the real speaker stage with a scripted recogniser that
gives the script's words with many of them uncertain (their mean log-probability under `POOR_MEAN_LOG`), named
(one long name), a line corrected (a long web address in it), the roster filled (long addresses), the draft sent
and one copy collected; and a transcript of the same series (no audio). Screenshots of the speakers, transcript
and top 7 pages at both widths go to outputs/screenshots/phone-*.png (docs/ keeps copies, linked from the README).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zlib
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.types import SAMPLE_RATE, Segment, Word
from pipeline.insights.confidence import LOW_PROBABILITY
from tests.web_helpers import ROOT, chromium, free_port, running_server, wait_for

SAMPLE = ROOT / "recordings" / "voorbeeld-intervisie.ogg"
TRUTH = ROOT / "recordings" / "voorbeeld-intervisie.truth.json"
SHOTS = ROOT / "outputs" / "screenshots"
SERIES = "intervisie-west"
UNCERTAIN = 0.6  # the share of the sample's words the scripted recogniser is unsure of (mean log-p. about -0.7)
LONG_NAME = "Sanne de Vries-van den Berghuizen"
LONG_URL = "https://www.voorbeeldschool-west.nl/protocollen/oudergesprekken-en-leerlingbesprekingen-2026.pdf"
PHONE, DESKTOP = 390, 1280


def scripted(turns: list[dict[str, Any]]) -> list[Segment]:
    """The script's words at their spoken times, `UNCERTAIN` of them (spread by a hash) under the threshold."""
    segments = []
    for turn in turns:
        parts = turn["text"].split()
        step = (turn["end"] - turn["start"]) / len(parts)
        words = []
        for k, part in enumerate(parts):
            spread = zlib.crc32(f"{turn['start']}/{k}".encode()) % 1000 / 1000
            p = LOW_PROBABILITY * (0.4 + 0.5 * spread) if spread < UNCERTAIN else 0.7 + 0.29 * spread
            words.append(Word(turn["start"] + k * step, turn["start"] + (k + 1) * step, " " + part, round(p, 3)))
        segments.append(Segment(turn["start"], turn["end"], turn["text"], tuple(words)))
    return segments


def sessions(root: Path) -> tuple[Path, str, str]:
    """The outputs folder with the two sessions of the series; their names (recording, transcript)."""
    from docx_helpers import CommentSpec, add_comments

    from devtools.synth import write_wav
    from pipeline.cli import main
    from pipeline.core.settings import Settings
    from pipeline.ingest.audio import load_audio
    from pipeline.service import Oogst, run_recording
    from pipeline.testing import ScriptedBackend
    from tests.test_web_series import MARCH

    out = root / "outputs"
    settings = Settings(out_dir=out, models_dir=ROOT / "models")
    audio = load_audio(SAMPLE)
    wav = write_wav(root / "2026-04-01_intervisie-team-west.wav", audio)
    asr = ScriptedBackend(scripted(json.loads(TRUTH.read_text(encoding="utf-8"))["turns"]),
                          duration=len(audio) / SAMPLE_RATE)
    first = root / "2026-03-04_intervisie.txt"
    first.write_text(MARCH, encoding="utf-8")
    assert main(["run", "-q", "--out-dir", str(out), "--series", SERIES, str(first)]) == 0
    session = run_recording(wav, settings, asr_backend=asr, series=SERIES, title="Intervisie team West",
                            date=dt.date(2026, 4, 1)).session
    oogst = Oogst(settings)
    names = json.loads(session.path("turns.json").read_text(encoding="utf-8"))["speakers"]
    oogst.name_speakers(session, dict(zip(sorted(names), (LONG_NAME, "Joris", "Fatima"), strict=False)))
    oogst.correct_line(session, 1, f"Ja, dank je. Het protocol staat op {LONG_URL}")
    run_recording(wav, settings, asr_backend=asr)  # names and the correction reach the insights and the draft
    shutil.copy(wav, session.root / wav.name)  # kept in its folder, as an upload is: the clips and the player
    oogst.save_roster(session, [
        {"name": LONG_NAME, "email": "sanne.devries-vandenberghuizen@voorbeeldschool-west.nl", "present": True},
        {"name": "Joris", "email": "joris@example.nl", "present": True},
        {"name": "Fatima", "email": "", "present": False}])
    sent = oogst.send_draft(session, reason="test")
    title = sent.insights().insights[0].title
    oogst.collect(session, [add_comments(sent.draft, root / "fatima.docx", [CommentSpec(title, "+1", "Fatima")])])
    return out, session.name, "2026-03-04_intervisie"


def pages(name: str, other: str) -> list[str]:
    """Every page a facilitator opens, for both sessions, plus the lists, a form, an error and the login."""
    return ["/", "/new", "/series", f"/series/{SERIES}", "/login", "/s/nergens",
            *(f"/s/{name}{tab}" for tab in ("", "/speakers", "/transcript", "/insights", "/review", "/participants",
                                             "/mail", "/delete")),
            *(f"/s/{other}{tab}" for tab in ("", "/speakers", "/transcript", "/insights"))]


def screen(driver: Any, width: int, height: int = 900) -> None:
    """A phone's screen (mobile: the page's viewport meta counts, scroll bars overlay) or a desktop window."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


OFF_SCREEN = """
    const limit = document.documentElement.clientWidth;
    return [...document.querySelectorAll(
            "main input, main button, main select, main textarea, main a, main audio, main p, main h1, main h2")]
        .filter(e => e.getClientRects().length && !e.closest(".wide, .scroll"))  // shown, not in a scroll box
        .filter(e => { const r = e.getBoundingClientRect(); return r.left < -1 || r.right > limit + 1; })
        .map(e => e.outerHTML.slice(0, 90));
"""


def check_width(driver: Any, path: str, width: int) -> None:
    """No sideways scrolling, and no control or text beyond the screen's edge."""
    seen = driver.execute_script("return [document.documentElement.scrollWidth, "
                                 "document.documentElement.clientWidth]")
    assert seen[1] <= width and seen[0] <= seen[1], f"{path} at {width} px: {seen[0]} px wide"
    off = driver.execute_script(OFF_SCREEN)
    assert not off, f"{path} at {width} px: off screen: {off}"


def shot(driver: Any, path: Path, width: int, most: int) -> None:
    """The page from its top, as tall as it is (at most `most` px)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    screen(driver, width, min(height, most))
    driver.save_screenshot(str(path))
    screen(driver, width)


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_every_page_fits_a_phone_and_poor_recognition_is_said(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    out, name, other = sessions(tmp_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with running_server(out, tmp_path / "state", port):
        driver = chromium(tmp_path / "downloads")
        base = f"http://127.0.0.1:{port}"
        try:
            for width in (PHONE, DESKTOP):
                screen(driver, width)
                for path in pages(name, other):
                    driver.get(base + path)
                    assert driver.find_element(By.TAG_NAME, "h1").text, path  # a page, not a bare error
                    check_width(driver, path, width)
                    for details in driver.find_elements(By.CSS_SELECTOR, "main details")[:2]:
                        driver.execute_script("arguments[0].open = true", details)  # the correction forms
                    check_width(driver, f"{path} (forms open)", width)

                # the speakers' name fields and the transcript's text use the screen's width
                driver.get(f"{base}/s/{name}/speakers")
                fields = driver.find_elements(By.CSS_SELECTOR, "input[name^=name_]")
                assert len(fields) >= 3 and all(f.size["width"] >= 200 for f in fields)
                assert driver.find_element(By.ID, "save-names").is_displayed()
                driver.get(f"{base}/s/{name}/transcript")
                column = driver.find_element(By.CSS_SELECTOR, ".turn > div").size["width"]
                assert column >= (0.8 * width if width == PHONE else 400), column
                assert LONG_URL[:30] in driver.find_element(By.ID, "t1").text

                # the warning: on the session page and the top 7, with the way to the transcript
                for page in (f"/s/{name}", f"/s/{name}/insights"):
                    driver.get(base + page)
                    warning = driver.find_element(By.ID, "poor-recognition")
                    assert "slecht verstaan" in warning.text and "woorden" in warning.text
                driver.find_element(By.ID, "to-transcript").click()
                wait_for(lambda: driver.current_url.endswith(f"/s/{name}/transcript"), 30, "the transcript")
                driver.get(f"{base}/s/{name}/insights")
                unsure = driver.find_elements(By.CSS_SELECTOR, "a.unsure")
                assert unsure and "onzeker verstaan" in unsure[0].text
                unsure[0].click()
                wait_for(lambda: re.search(r"/transcript\?from=\d+#t\d+$", driver.current_url), 30,
                         "the insight's transcript line")
                target = driver.execute_script("return document.querySelector(':target').id")
                assert target == driver.current_url.rsplit("#", 1)[1]
                driver.get(f"{base}/s/{other}/insights")  # an imported transcript: no probabilities, no warning
                assert not driver.find_elements(By.ID, "poor-recognition")
                assert not driver.find_elements(By.CSS_SELECTOR, "a.unsure")

                for tab, label in (("speakers", "speakers"), ("transcript", "transcript"), ("insights", "top7")):
                    driver.get(f"{base}/s/{name}/{tab}")
                    shot(driver, SHOTS / f"phone-{width}-{label}.png", width, 1700 if width == PHONE else 1300)
        finally:
            driver.quit()
