"""A group's series in the web app: upload into a series (like `oogst run --series`), the session page's link, the
series page with the same figures as series.docx, bad series names refused, a deleted session leaving its series,
and the series page in a real headless Chromium against a real `oogst serve` (screenshots to outputs/screenshots/).

The sessions are transcripts written here (the real pipeline from import on; no speech recognition)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import docx
import pytest

from pipeline.cli import main
from pipeline.core.session import Session
from pipeline.review.final import collect
from pipeline.series.store import load_series, member_of, series_root
from tests.web_helpers import ROOT, csrf, free_port, make_client, run_jobs, running_server, upload, wait_for

MARCH = """\
[00:00:05] Anna: Welkom bij de intervisie. Vandaag bespreken we de werkdruk in het team van Bram.
[00:00:20] Bram: De werkdruk in mijn team is hoog, omdat twee collega's ziek thuis zitten en niemand het zegt.
[00:00:40] Carla: Herken ik. Als niemand de werkdruk benoemt, kan de teamleider er ook niets mee.
[00:01:00] Dirk: Een vast moment in het teamoverleg om de werkdruk te bespreken maakt het gewoon om erover te praten.
[00:01:20] Bram: Ik stuur vrijdag een voorstel voor dat vaste moment naar de teamleider.
[00:01:40] Carla: Ik zoek voor de volgende keer een artikel over werkdruk en eigenaarschap op.
[00:02:00] Anna: Ik geef het woord aan Bram: wat neem je mee?
[00:02:10] Bram: Dat ik de werkdruk hardop moet benoemen, in plaats van alles zelf op te vangen.
"""
APRIL = """\
[00:00:05] Anna: Welkom terug. Hoe staat het met de afspraken van vorige keer?
[00:00:15] Bram: Ik heb het voorstel voor het vaste moment naar de teamleider gestuurd, ze vond het goed.
[00:00:30] Anna: Vandaag brengt Dirk een casus in over een moeder die steeds boos belt.
[00:00:45] Dirk: Een moeder belt bijna elke dag boos op, en ik merk dat ik het gesprek steeds ga ontwijken.
[00:01:05] Carla: Grenzen stellen in het gesprek helpt mij. Ik zeg dat ik wil luisteren als we rustig praten.
[00:01:25] Bram: De werkdruk maakt het erger: met een volle agenda heb je geen geduld voor een boze moeder.
[00:01:45] Dirk: Ik spreek volgende week met de moeder een vast belmoment af.
[00:02:00] Anna: Wat neem je mee, Dirk?
[00:02:10] Dirk: Grenzen stellen en een vast belmoment, zodat ik het gesprek niet meer ontwijk.
"""


def transcript(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cells(path: Path) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in table.rows] for table in docx.Document(str(path)).tables]


@pytest.mark.slow
def test_upload_into_a_series_and_the_series_page(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    assert "<option value=" not in client.get("/new").text.split("known-series")[1]  # no series yet
    sent = upload(client, transcript(tmp_path, "2026-03-04_intervisie.txt", MARCH), series=" intervisie west ",
                  remember_voices="", language="nl")
    assert sent.status_code == 303, sent.text
    first = Session(cfg.out_dir / sent.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/s/{first.name}").text  # queued: the page already says where it goes
    assert 'href="/series/intervisie%20west"' in page
    run_jobs(cfg)
    assert member_of(first) == "intervisie west"  # recorded in the session folder, as `oogst run --series` does
    assert not load_series(series_root(cfg.out_dir, "intervisie west"))["remember_voices"]

    # the new-session form offers the series; the second session joins it
    form = client.get("/new").text
    assert '<option value="intervisie west">' in form
    sent = upload(client, transcript(tmp_path, "2026-04-01_intervisie.txt", APRIL), series="intervisie west",
                  remember_voices="1")
    second = Session(cfg.out_dir / sent.headers["location"].rsplit("/", 1)[1])
    run_jobs(cfg)
    assert client.get(f"/s/{second.name}/progress.json").json()["status"] == "done"
    assert load_series(series_root(cfg.out_dir, "intervisie west"))["remember_voices"]  # --remember-voices
    # processing it again from the page keeps the series the session folder recorded (like `oogst run` without it)
    token = csrf(client)
    assert client.post(f"/s/{second.name}/rerun", data={"csrf": token}, follow_redirects=False).status_code == 303
    again = cfg.queue.list(second.name, limit=1)[0]
    assert again.params["rerun"] and "series" not in again.params and "remember_voices" not in again.params
    run_jobs(cfg)
    headings = [p.text for p in docx.Document(str(second.path("draft.docx"))).paragraphs]
    assert "Vorige keer afgesproken" in headings  # the first session's actions carried, as on the CLI

    # a participant marks Bram's action done in a copy of the second draft (collected as the review page does)
    copy = docx.Document(str(second.path("draft.docx")))
    cell = next(c for t in copy.tables for row in t.rows for c in row.cells if c.text.startswith("Ik stuur vrijdag"))
    copy.add_comment(cell.paragraphs[0].runs, text="gedaan", author="Carla Smit", initials="CS")
    copy.save(str(tmp_path / "carla.docx"))
    collect(second, [tmp_path / "carla.docx"])

    listing = re.sub(r' data-label="[^"]*"', "", client.get("/series").text)  # the cells' names for a phone
    assert 'href="/series/intervisie%20west"' in listing and "<td>2</td>" in listing
    page = client.get("/series/intervisie%20west")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Reeks intervisie west" in html and "2 sessies, van 4 maart tot 1 april · Open actiepunten: 2" in html
    assert f'href="/s/{first.name}"' in html and f'href="/s/{second.name}"' in html
    assert "Terugkerend thema (2e keer, sinds 4 maart)" in html and "Nieuw thema in deze reeks" in html
    assert "gedaan (volgens Carla Smit, 1 april)" in html  # Bram's action, marked in the copy
    assert "Ik zoek voor de volgende keer een artikel" in html
    assert "Ik geef het woord aan Bram" not in html  # handing the turn over is not an action
    assert "Vandaag bespreken we" not in html  # nor the agenda
    assert 'id="series-chart"' in html and "data:image/png;base64," in html
    assert "Stemprofielen van benoemde sprekers worden bewaard" in html
    english = client.get("/series/intervisie%20west", headers={"Accept-Language": "en"}).text
    assert "Series intervisie west" in english and "2 sessions, from 4 March to 1 April" in english
    assert "done (says Carla Smit, 1 April)" in english

    # the page and series.docx show the same figures (one function makes both)
    answer = client.get("/series/intervisie%20west/series.docx")
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    (tmp_path / "series.docx").write_bytes(answer.content)
    attendance, speaking, themes, actions = cells(tmp_path / "series.docx")
    assert speaking[0] == ["Wie", "4 maart", "1 april"]
    shown = re.sub(r' data-label="[^"]*"', "", unescape(html))
    for row in speaking[1:]:
        assert f"<tr><td>{row[0]}</td>" + "".join(f'<td class="num">{c}</td>' for c in row[1:]) in shown
    for row in themes[1:]:
        assert "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(*row) in shown
    for who, what, due, _when, status in actions[1:]:
        assert f"<td>{who}</td><td>{what}</td><td>{due}</td>" in shown and status in shown
    turns = json.loads(second.path("turns.json").read_text())["turns"]
    dirk = sum(t["end"] - t["start"] for t in turns if t["speaker"] == "Dirk") / sum(
        t["end"] - t["start"] for t in turns)
    assert next(r for r in speaking if r[0] == "Dirk")[2] == f"{round(100 * dirk)} %"
    assert f'<td class="num">{round(100 * dirk)} %</td>' in html

    # deleting the first session in the web app takes it out of the series
    token = csrf(client, f"/s/{first.name}/delete")
    gone = client.post(f"/s/{first.name}/delete", data={"csrf": token}, follow_redirects=False)
    assert gone.status_code == 303 and not first.root.exists()
    html = client.get("/series/intervisie%20west").text
    assert "1 sessie, op 1 april" in html and f'data-session="{first.name}"' not in html
    assert "Ik zoek voor de volgende keer een artikel" not in html and first.name in html  # named as gone
    assert set(load_series(series_root(cfg.out_dir, "intervisie west"))["sessions"][first.name]) == {"date", "gone"}


def test_bad_series_names_are_refused(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    text = transcript(tmp_path, "2026-03-04_intervisie.txt", MARCH)
    for bad in ("../../etc", ".series", "a/b", "-west", "x" * 70):
        answer = upload(client, text, series=bad)
        assert answer.status_code == 400, bad
        assert f"Reeks '{bad}': gebruik letters, cijfers, spaties" in unescape(answer.text)
        assert "Traceback" not in answer.text
    answer = upload(client, text, remember_voices="1")
    assert answer.status_code == 400 and "kies ook een reeks" in answer.text
    assert [p.name for p in cfg.out_dir.iterdir()] == [".uploads"]  # no session made
    assert not list((cfg.out_dir / ".uploads").iterdir())
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "series.json").write_text('{"name": "secret"}')
    for path in ("/series/..%2F..%2Fsecret", "/series/%2E%2E", "/series/.hidden",
                 "/series/west%2F..%2F..%2Fsecret", "/series/nergens"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "secret" not in answer.text.replace(path, "") or "geen naam van een reeks" in answer.text
    assert "Er is geen reeks 'nergens'" in unescape(client.get("/series/nergens").text)
    assert "Nog geen reeksen" in client.get("/series").text


def full_shot(driver: Any, path: Path) -> None:
    """A screenshot of the whole page (the window made as tall as the page for it)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height + 120, 800), 4000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)


@pytest.mark.slow
def test_series_in_a_browser(tmp_path: Path) -> None:
    """Upload a transcript into an existing series in headless Chromium; the session page links to the series
    page, which shows the actions carried and their themes. Screenshots: outputs/screenshots/series-*.png."""
    from selenium.webdriver.common.by import By

    from tests.web_helpers import chromium

    out = tmp_path / "outputs"
    assert main(["run", "-q", "--out-dir", str(out), "--series", "intervisie-west",
                 str(transcript(tmp_path, "2026-03-04_intervisie.txt", MARCH))]) == 0
    april = transcript(tmp_path, "2026-04-01_intervisie.txt", APRIL)
    shots = ROOT / "outputs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with running_server(out, tmp_path / "state", port):
        driver = chromium(tmp_path / "downloads")
        try:
            base = f"http://127.0.0.1:{port}"
            driver.get(base + "/new")
            driver.find_element(By.ID, "file").send_keys(str(april))
            driver.find_element(By.ID, "series").send_keys("intervisie-west")
            full_shot(driver, shots / "series-1-new.png")
            driver.find_element(By.ID, "upload").click()
            wait_for(lambda: driver.find_element(By.ID, "status").text == "Klaar", 240, "the job to finish")
            full_shot(driver, shots / "series-2-session.png")
            link = driver.find_element(By.ID, "series-link")
            assert link.text == "intervisie-west"
            link.click()
            wait_for(lambda: "Reeks intervisie-west" in driver.find_element(By.TAG_NAME, "h1").text, 30,
                     "the series page")
            text = driver.find_element(By.TAG_NAME, "main").text
            assert "2 sessies, van 4 maart tot 1 april" in text
            assert "Ik stuur vrijdag een voorstel" in text and "Terugkerend thema (2e keer, sinds 4 maart)" in text
            chart = driver.find_element(By.ID, "series-chart")
            assert driver.execute_script("return arguments[0].naturalWidth", chart) > 300  # the image loaded
            full_shot(driver, shots / "series-3-page.png")
            driver.get(base + "/series")
            assert "intervisie-west" in driver.find_element(By.TAG_NAME, "main").text
            full_shot(driver, shots / "series-4-list.png")
            driver.get(base + "/")
            assert "Reeks intervisie-west" in driver.find_element(By.TAG_NAME, "main").text
            full_shot(driver, shots / "series-5-sessions.png")
        finally:
            driver.quit()
