"""The summary's paragraphs rewritten on the overview page, in a real headless Chromium against a real `oogst serve`
(server + worker), at desktop width and at 390 px: the facilitator's text in place of the paragraph, the draft
rewritten with it, back to what was said; two tabs on one paragraph get the conflict page, not a silent overwrite.

The sessions are a Balint group of the tune set (a Dutch intervision whose exploration is the advice phase)
imported once and copied, so every test has its own. Screenshots go to
outputs/screenshots/summary/; the overview page's with a rewritten paragraph to docs/ (README, "The summary").
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest

from tests.test_web_edits_browser import PHONE, Browser
from tests.web_helpers import ROOT, sessions_served, wait_for

SHOTS = ROOT / "outputs" / "screenshots" / "summary"
SCRIPT = ROOT / "tests" / "data" / "insights" / "tune" / "balint_verpleging_nl.txt"
SESSIONS = ("balintgroep", "balintgroep-390", "tabs")
MINE = ("In de verkenning voelde de groep vooral benauwdheid, en een band waar Marloes niet uit kan: \"jij bent de "
        "enige die me begrijpt\" is een cadeautje met een haakje eraan. Koen vroeg zich af of meneer bang is om "
        "alleen te sterven. Een vaste tijd voor het afscheid en een tweede vast gezicht uit het team kunnen hem "
        "juist houvast geven.")

pytestmark = [pytest.mark.slow, pytest.mark.needs_system("chromium", "chromedriver", "frog")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[dict[str, Any]]:
    with sessions_served(tmp_path_factory.mktemp("summary-browser"), SCRIPT, SESSIONS, "Balintgroep verpleging",
                         models_dir, SHOTS) as served:
        yield served


@pytest.fixture()
def browser(server: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    opened = Browser(server, tmp_path, getattr(request, "param", None))
    try:
        yield opened
    finally:
        opened.quit()


def advice(b: Browser) -> Any:
    """The exploration (advice) paragraph of the overview page (the third: case, questions, exploration)."""
    return b.finds("#summary .paragraph")[2]


def rewrite(b: Browser, text: str) -> None:
    part = advice(b)
    part.find_element("css selector", "details.rewrite summary").click()
    box = part.find_element("css selector", "textarea[name=text]")
    box.clear()
    box.send_keys(text)
    b.submit(part.find_element("css selector", "form.edit-paragraph"))


def shot(b: Browser, name: str, copy: Path) -> None:
    """The page down to the end of the summary, as it is laid out at the browser's width, into SHOTS and `copy`."""
    height = int(b.driver.execute_script(
        "return document.querySelector('#summary').getBoundingClientRect().bottom + window.scrollY + 24"))
    if b.width is None:
        b.driver.set_window_size(1280, min(height + 200, 3000))  # (the window is taller than its page)
    else:
        b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": b.width, "height": min(height, 3000), "deviceScaleFactor": 2, "mobile": True})
    b.driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    b.driver.save_screenshot(str(SHOTS / f"{name}.png"))
    shutil.copyfile(SHOTS / f"{name}.png", copy)


def draft_summary(path: Path) -> str:
    """The draft's summary as text (from its heading to the top 7's)."""
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    start = paragraphs.index("Samenvatting")
    end = next(n for n, p in enumerate(paragraphs) if p.startswith("Top ") and n > start)
    return "\n".join(paragraphs[start:end])


@pytest.mark.parametrize("browser", [None, PHONE], indirect=True, ids=["desktop", "390px"])
def test_a_paragraph_in_the_facilitators_words_reaches_the_draft_and_goes_back(browser: Browser) -> None:
    b = browser
    name = "balintgroep" if b.width is None else "balintgroep-390"
    b.open(f"/s/{name}")
    heading = advice(b).find_element("tag name", "h3").text
    said = advice(b).find_element("css selector", ".text").text
    assert said.startswith("In de verkenning zegt de groep:") and heading == "Verkenning"
    moments = [a.text for a in advice(b).find_elements("css selector", "a.said .at")]  # a time per sentence
    assert moments and all(re.fullmatch(r"\d+:\d\d", m) for m in moments)
    assert b.sideways() == 0  # the times fit in the running text, also at 390 px
    began = time.time()
    rewrite(b, MINE)
    wait_for(lambda: "Alinea opgeslagen." in b.text("#saved"), 30, "the saved notice")  # (the page reloads as the
    b.job_done(name, began)  # re-run goes: it is read once the draft is rewritten)
    b.open(f"/s/{name}")
    part = advice(b)
    assert MINE in part.text and "in jouw woorden" in part.text and said not in part.text
    assert re.search(rf"/s/{name}/transcript\?from=0&at=[\d.]+#t\d+$",
                     part.find_element("css selector", "a.moment").get_attribute("href"))
    assert b.sideways() == 0
    summary = draft_summary(b.out / name / "draft.docx")
    assert re.search(rf"{heading}\n\[\d\d:\d\d\] {re.escape(MINE)}\n", summary)  # at its first sentence's moment
    assert re.sub(r"\d+:\d\d ", "", said.split(": ", 1)[1])[:40] not in summary  # (the sentences said, untimed)
    if b.width is None:
        shot(b, "alinea-desktop", ROOT / "docs" / "web-summary.png")
    else:
        shot(b, "alinea-390", ROOT / "docs" / "web-summary-390.png")

    began = time.time()
    b.submit(advice(b).find_element("css selector", "form.back-to-said"))
    assert "summary" not in json.loads((b.out / name / "edits.json").read_text(encoding="utf-8"))
    b.job_done(name, began)
    b.open(f"/s/{name}")
    assert advice(b).find_element("css selector", ".text").text == said
    assert MINE not in draft_summary(b.out / name / "draft.docx")


def test_two_tabs_on_one_paragraph_lose_nothing(browser: Browser) -> None:
    b, name = browser, "tabs"
    b.open(f"/s/{name}")
    first = b.driver.current_window_handle
    second = b.new_tab()
    b.open(f"/s/{name}")
    b.driver.switch_to.window(first)
    began = time.time()
    rewrite(b, "Eerste tab: de groep voelde vooral benauwdheid.")
    b.job_done(name, began)
    b.driver.switch_to.window(second)
    rewrite(b, MINE)
    assert "Intussen ergens anders opgeslagen" in b.text()
    row = b.find(".conflict-row")
    assert "Eerste tab" in row.find_element("css selector", ".theirs").text
    assert MINE in row.find_element("css selector", ".yours").text
    edits = json.loads((b.out / name / "edits.json").read_text(encoding="utf-8"))
    assert next(iter(edits["summary"].values()))["text"].startswith("Eerste tab")  # nothing overwritten
    b.submit(b.find(".choices form"))  # keep mine, on purpose
    wait_for(lambda: MINE in advice(b).text, 30, "the paragraph in this tab's words")  # (stale: read again)
    edits = json.loads((b.out / name / "edits.json").read_text(encoding="utf-8"))
    assert next(iter(edits["summary"].values()))["text"] == MINE
