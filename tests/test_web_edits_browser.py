"""Nothing lost and plain about it, in a real headless Chromium against a real `oogst serve` (server + worker), at
desktop width and at 390 px where the layout matters: two tabs on one top 7 (a conflict page, not a silent
overwrite), the facilitator's order kept into the final, the participants form refilled after a wrong line, a
dropped insight renumbering the list and making it a "Top 6", and the back button after a send and a delete.

The sessions are the sample's script imported once and copied, so every test has its own. Screenshots go to
outputs/screenshots/edits/; the conflict page's to docs/ (README, `oogst serve`).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web_helpers import ROOT, chromium, sessions_served, wait_for

SHOTS = ROOT / "outputs" / "screenshots" / "edits"
SCRIPT = ROOT / "recordings" / "voorbeeld-intervisie.txt"
PHONE = 390
SESSIONS = ("tabs", "tabs-390", "volgorde", "deelnemers", "deelnemers-390", "weglaten", "terug")

pytestmark = [pytest.mark.slow, pytest.mark.needs_system("chromium", "chromedriver")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[dict[str, Any]]:
    """`oogst serve` over an outputs folder with one processed session per test (the sample's script)."""
    with sessions_served(tmp_path_factory.mktemp("edits-browser"), SCRIPT, SESSIONS, "Intervisie", models_dir,
                         SHOTS) as served:
        yield served


class Browser:
    """One Chromium: pages, elements, the width, screenshots."""

    def __init__(self, server: dict[str, Any], downloads: Path, width: int | None = None) -> None:
        self.driver = chromium(downloads)
        self.base, self.out, self.downloads = server["base"], server["out"], downloads
        if width is not None:  # a phone: the page is laid out for `width` CSS pixels, as on a 390 px screen
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        self.width = width

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def new_tab(self) -> str:
        """A second tab, as wide as the first."""
        self.driver.switch_to.new_window("tab")
        if self.width is not None:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": self.width, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        return str(self.driver.current_window_handle)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def text(self, css: str = "main") -> str:
        return str(self.find(css).text)

    def submit(self, form: Any) -> None:
        """Click a form's button and wait for the page that answers it."""
        old = self.find("html")
        form.find_element("css selector", "button[type=submit]").click()
        wait_for(lambda: _gone(old), 30, "the answer to the form")
        wait_for(lambda: self.driver.execute_script("return document.readyState") == "complete", 30, "the page")

    def sideways(self) -> int:
        """How far the page scrolls sideways (0: it fits the width)."""
        return int(self.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"))

    def shot(self, name: str, *also: Path) -> Path:
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        if self.width is None:
            self.driver.set_window_size(1280, min(max(900, height + 120), 3000))
        else:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": self.width, "height": min(max(844, height), 3000), "deviceScaleFactor": 2, "mobile": True})
        path = SHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        for copy in also:
            shutil.copyfile(path, copy)
        if self.width is None:
            self.driver.set_window_size(1280, 1000)
        else:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": self.width, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        return path

    def job_done(self, name: str, since: float) -> None:
        """Wait for the session's re-run queued after a change (`since`: when it was made) to finish."""
        from pipeline.jobs.queue import SQLiteQueue

        queue = SQLiteQueue(self.out.parent / "state" / "oogst" / "jobs.sqlite")

        def finished() -> bool:
            jobs = [j for j in queue.list(name, limit=20) if j.submitted >= since - 1]
            return bool(jobs) and all(j.status in ("done", "failed") for j in jobs)

        wait_for(finished, 240, f"the re-run of {name}")
        assert all(j.status == "done" for j in queue.list(name, limit=20) if j.submitted >= since - 1)

    def quit(self) -> None:
        self.driver.quit()


def _gone(element: Any) -> bool:
    try:
        element.is_enabled()
        return False
    except Exception as exc:  # the old page is gone once its elements are stale
        return type(exc).__name__ == "StaleElementReferenceException"


@pytest.fixture()
def browser(server: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    width = getattr(request, "param", None)
    opened = Browser(server, tmp_path, width)
    try:
        yield opened
    finally:
        opened.quit()


def card(b: Browser, n: int) -> Any:
    """The n-th insight on the top 7 page (1 is the first)."""
    return b.finds(".insight")[n - 1]


def edit_insight(b: Browser, n: int, *, title: str | None = None, text: str | None = None) -> None:
    item = card(b, n)
    item.find_element("tag name", "summary").click()
    if title is not None:
        box = item.find_element("css selector", "input[name=title]")
        box.clear()
        box.send_keys(title)
    if text is not None:
        box = item.find_element("css selector", "textarea[name=text]")
        box.clear()
        box.send_keys(text)
    b.submit(item.find_element("css selector", "form.edit-insight"))


# -- two tabs on one top 7 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("browser", [None, PHONE], indirect=True, ids=["desktop", "390px"])
def test_two_tabs_on_one_top_7_lose_nothing(browser: Browser) -> None:
    """The title changed in the first tab, then the sentence saved in the second tab (loaded before): the second
    save is refused with both shown, side by side (one above the other at 390 px); saving it on purpose keeps what
    the second tab shows, and keeping the saved one keeps the first tab's title."""
    b = browser
    name = "tabs" if b.width is None else "tabs-390"
    url = f"/s/{name}/insights"
    b.open(url)
    first_tab = b.driver.current_window_handle
    second_tab = b.new_tab()
    b.open(url)
    original = card(b, 1).find_element("css selector", "textarea[name=text]").get_attribute("value")

    b.driver.switch_to.window(first_tab)
    began = time.time()
    edit_insight(b, 1, title="Zorg achter boosheid")
    assert "Zorg achter boosheid" in card(b, 1).text
    b.job_done(name, began)  # the draft follows; the second tab saves after that (a save meanwhile would wait)

    b.driver.switch_to.window(second_tab)
    edit_insight(b, 1, text="Achter de boosheid van een ouder zit vaak zorg om het kind.")
    assert "Intussen ergens anders opgeslagen" in b.text()
    rows = {r.find_element("tag name", "h3").text: r for r in b.finds(".conflict-row")}
    title, sentence = rows["Titel"], rows["Zin"]
    assert "Zorg achter boosheid" in title.find_element("css selector", ".theirs").text
    assert "Achter de boosheid van een ouder" in sentence.find_element("css selector", ".yours").text
    assert original in sentence.find_element("css selector", ".theirs").text
    assert "differs" in title.get_attribute("class") and "differs" in sentence.get_attribute("class")
    edits = json.loads((b.out / name / "edits.json").read_text(encoding="utf-8"))
    assert next(iter(edits["insights"].values()))["title"] == "Zorg achter boosheid"  # nothing overwritten
    theirs, yours = (title.find_element("css selector", css).rect for css in (".theirs", ".yours"))
    if b.width is None:
        assert theirs["y"] == yours["y"] and theirs["x"] < yours["x"]  # side by side
        b.shot("conflict-desktop", ROOT / "docs" / "web-conflict.png")
    else:
        assert theirs["y"] < yours["y"] and b.sideways() == 0  # one above the other, nothing off screen
        assert b.find("#keep-mine").rect["x"] + b.find("#keep-mine").rect["width"] <= PHONE
        b.shot("conflict-390", ROOT / "docs" / "web-conflict-390.png")

    if b.width is None:  # the facilitator keeps what this tab shows: its title and its sentence, whole
        b.submit(b.find(".choices form"))
        assert b.driver.current_url.split("#")[0].endswith(f"{url}?saved=1")
        saved = next(iter(json.loads((b.out / name / "edits.json").read_text(encoding="utf-8"))["insights"].values()))
        assert saved["text"].startswith("Achter de boosheid") and saved.get("title") != "Zorg achter boosheid"
    else:  # or keeps the saved one: back to the page, the first tab's title there
        b.find("#keep-theirs").click()
        wait_for(lambda: b.finds(".insight"), 30, "the top 7 page")
        assert "Zorg achter boosheid" in card(b, 1).text and original in card(b, 1).text


# -- the facilitator's order into the final ----------------------------------------------------------------------------
def test_the_facilitators_order_is_kept_into_the_final(browser: Browser, tmp_path: Path) -> None:
    """An insight the ranking scored lower is moved up above the one before it; the draft is sent, a copy comes
    back without votes on either: the final keeps the order as sent, and says it started from it."""
    from docx_helpers import CommentSpec, add_comments

    b, name = browser, "volgorde"
    insights = json.loads((b.out / name / "insights.json").read_text(encoding="utf-8"))["insights"]
    # the first place where the ranking's order goes against its own scores when one moves up
    at = next(n for n in range(1, len(insights)) if insights[n]["score"] < insights[n - 1]["score"])
    moved, passed = insights[at]["title"], insights[at - 1]["title"]
    b.open(f"/s/{name}/insights")
    began = time.time()
    up = card(b, at + 1).find_elements("css selector", "form")
    b.submit(next(f for f in up if f.find_element("css selector", "input[name=do]").get_attribute("value") == "up"))
    titles = [c.find_element("tag name", "h3").text for c in b.finds(".insight")]
    assert moved in titles[at - 1] and passed in titles[at]
    b.job_done(name, began)

    b.open(f"/s/{name}/review")
    b.submit(b.find("#freeze").find_element("xpath", ".."))
    assert "Vastgezet als v1. Mail het concept via de pagina Mail, of download het en stuur het zelf." in b.text(
        "#notice")
    sent = b.out / name / "sent" / "v1" / "draft.docx"
    copy = add_comments(sent, tmp_path / "terug-an.docx", [CommentSpec(insights[0]["title"], "Mooi verwoord", "An")])
    b.find("#copies").send_keys(str(copy))
    b.find("#collect").click()
    wait_for(lambda: b.finds("#final"), 90, "the final top 7")
    final = [li.find_element("tag name", "strong").text for li in b.finds("ol.final li")]
    assert final.index(moved) == at - 1 and final.index(passed) == at  # where the facilitator put it
    changes = b.text("ul.changes")
    assert "De top 7 is niet veranderd: de volgorde is die van het verstuurde concept." in changes
    assert "Uitgangspunt is de volgorde van het concept zoals het verstuurd is" in changes
    ranks = {i["title"]: i["original_rank"] for i in json.loads(
        (b.out / name / "final.json").read_text(encoding="utf-8"))["insights"]}
    assert ranks[moved] == at and ranks[passed] == at + 1  # the rank as sent
    b.shot("volgorde-definitief")


# -- a form comes back filled in ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("browser", [None, PHONE], indirect=True, ids=["desktop", "390px"])
def test_the_participants_form_comes_back_filled_in_after_a_wrong_line(browser: Browser) -> None:
    b = browser
    name = "deelnemers" if b.width is None else "deelnemers-390"
    b.open(f"/s/{name}/participants")
    b.find("input[name=email_0]").send_keys("sanne@example.nl")
    pasted = "Fatima Bakker <fatima@example.nl>\nPieter, pieter@example\nJoris de Vries <joris@example.nl>"
    b.find("textarea[name=paste]").send_keys(pasted)
    b.submit(b.find("#roster-form"))
    assert "Geplakte regel 2:" in b.text("#problem") and "geen geldig e-mailadres" in b.text("#problem")
    assert b.find("input[name=email_0]").get_attribute("value") == "sanne@example.nl"  # what was typed is there
    box = b.find("textarea[name=paste]")
    assert box.get_attribute("value") == pasted and box.get_attribute("aria-invalid") == "true"
    chosen = b.driver.execute_script("const t = arguments[0]; return t.value.slice(t.selectionStart, t.selectionEnd)",
                                     box)
    assert chosen == "Pieter, pieter@example"  # the wrong line is selected, ready to be fixed
    assert not (b.out / name / "roster.json").exists()
    if b.width is not None:  # one person per block: a name and an address fit their fields
        assert b.sideways() == 0 and b.find("input[name=email_0]").rect["width"] >= 150
    b.shot(f"deelnemers-fout-{'desktop' if b.width is None else '390'}")
    # fix the line where it is selected: the rest stays as typed
    box.send_keys("Pieter <pieter@example.nl>")
    b.submit(b.find("#roster-form"))
    assert b.finds("#saved")
    roster = json.loads((b.out / name / "roster.json").read_text(encoding="utf-8"))["participants"]
    emails = {p["name"]: p["email"] for p in roster}
    assert emails["Sanne"] == "sanne@example.nl" and emails["Pieter"] == "pieter@example.nl"
    assert emails["Joris de Vries"] == "joris@example.nl" and "Joris" not in emails  # filled in, not beside


# -- a dropped insight -------------------------------------------------------------------------------------------------
def test_a_dropped_insight_renumbers_and_it_is_a_top_6_everywhere(browser: Browser, tmp_path: Path) -> None:
    import docx
    from docx_helpers import CommentSpec, add_comments

    b, name = browser, "weglaten"
    b.open(f"/s/{name}/insights")
    dropped = card(b, 2).find_element("tag name", "h3").text
    began = time.time()
    forms = card(b, 2).find_elements("css selector", "form")
    b.submit(next(f for f in forms if f.find_element("css selector", "input[name=do]").get_attribute("value")
                  == "drop"))
    assert b.text("#top-heading") == "Top 6"
    numbers = [n.text for n in b.finds(".insight .number")]
    assert numbers == ["1.", "2.", "3.", "4.", "5.", "6."]  # no gap where the dropped one was
    assert "dropped" in card(b, 2).get_attribute("class") and not card(b, 2).find_elements("css selector", ".number")
    b.shot("weglaten-top7")
    b.job_done(name, began)

    draft = b.out / name / "draft.docx"
    paragraphs = docx.Document(str(draft)).paragraphs
    assert "Top 6 inzichten" in [p.text for p in paragraphs]
    assert len([p for p in paragraphs if p.style.name == "List Number"]) == 6
    b.open(f"/s/{name}/review")
    b.submit(b.find("#freeze").find_element("xpath", ".."))
    copy = add_comments(b.out / name / "sent" / "v1" / "draft.docx", tmp_path / "terug.docx",
                        [CommentSpec("Top 6 inzichten", "Duidelijk", "An")])
    b.find("#copies").send_keys(str(copy))
    b.find("#collect").click()
    wait_for(lambda: b.finds("#final"), 90, "the final top 7")
    assert b.text("#final-heading") == "Definitieve top 6" and len(b.finds("ol.final li")) == 6
    assert dropped.split(". ", 1)[-1] not in b.text("ol.final")
    assert "De top 6 is niet veranderd" in b.text("ul.changes")
    title = docx.Document(str(b.out / name / "final.docx")).paragraphs[0].text
    assert title.endswith("definitieve top 6")
    b.open(f"/s/{name}/mail")
    preview = b.text("#preview")
    assert "definitieve top 6" in preview and "\nTop 6\n" in preview and "\n7. " not in preview


# -- the back button ---------------------------------------------------------------------------------------------------
def test_the_back_button_shows_the_session_as_it_is_after_a_send_and_a_delete(browser: Browser) -> None:
    b, name = browser, "terug"
    b.open(f"/s/{name}/review")
    assert b.finds("#freeze")
    b.submit(b.find("#freeze").find_element("xpath", ".."))
    assert b.finds("#notice")
    b.driver.back()  # the review page from before the send
    wait_for(lambda: b.driver.execute_script("return document.readyState") == "complete", 30, "the page")
    wait_for(lambda: b.finds("#frozen-as"), 30, "the review page as it is now")
    assert not b.finds("#freeze") and "vastgezet als v1" in b.text("#frozen-as")

    b.open(f"/s/{name}/delete")
    b.find("#confirm-delete").click()
    wait_for(lambda: b.driver.current_url.rstrip("/") == b.base, 30, "the sessions list")
    assert not (b.out / name).exists()
    b.driver.back()  # the confirmation page of a session that is gone
    wait_for(lambda: b.finds("#problem"), 30, "the page saying the session is gone")
    assert f"Er is geen sessie '{name}'." in b.text("#problem") and not b.finds("#confirm-delete")
