"""The summary's paragraphs on the overview page: a plain form per paragraph (works without JavaScript), CSRF and
the version of edits.json like the top 7's forms, a save on an older page shown side by side, back to what was
said, and the note for a paragraph a re-run dropped. Fast: a session folder written by hand, no models (the
browser test is tests/test_summary_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.layers import section_keys
from pipeline.core.session import EDITS
from tests.test_summary_edits import MINE, sections, write_session
from tests.test_web_edits import main_text, version_on
from tests.web_helpers import csrf, make_client

URL = "/s/groep"


@pytest.fixture()
def web(tmp_path: Path) -> tuple[Any, Any, Any]:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    session = write_session(cfg.out_dir)
    (session.root / "groep.vtt").write_text("WEBVTT\n", encoding="utf-8")  # kept input: a change queues a re-run
    return client, cfg, session


def post(client: Any, url: str, **data: str) -> Any:
    """A form of the overview page sent (its CSRF token from the page)."""
    return client.post(url, data={"csrf": csrf(client, URL), **data}, follow_redirects=False)


def paragraph(page: str, key: str) -> str:
    found = re.search(rf'<div class="paragraph[^"]*" id="p-{key}".*?</div>\s*</div>', page, flags=re.S)
    assert found, f"no paragraph {key} on the page"
    return main_text(found[0])


def test_a_paragraph_is_rewritten_with_a_plain_form_and_goes_back(web) -> None:
    client, cfg, session = web
    key = section_keys(sections())[1]
    page = client.get(URL).text
    assert page.count('action="/s/groep/summary"') == 3  # a form per paragraph, no script needed
    assert "Alinea herschrijven" in paragraph(page, key) and "In het advies zegt de groep:" in paragraph(page, key)
    assert client.post(f"{URL}/summary", data={"key": key, "text": MINE, "do": "save"}).status_code == 403  # CSRF

    answer = post(client, f"{URL}/summary", version=version_on(page), key=key, do="save", text=MINE)
    assert answer.status_code == 303 and answer.headers["location"] == f"{URL}?saved=1#p-{key}"
    page = client.get(answer.headers["location"]).text
    shown = paragraph(page, key)
    assert MINE in shown and "in jouw woorden" in shown and "In het advies zegt de groep:" not in shown
    assert "Terug naar wat er gezegd is" in shown and "Alinea opgeslagen." in main_text(page)
    assert json.loads(session.path(EDITS).read_text(encoding="utf-8"))["summary"][key]["text"] == MINE
    assert [j.status for j in cfg.queue.list("groep", limit=5)] == ["queued"]  # the draft follows

    answer = post(client, f"{URL}/summary", version=version_on(page), key=key, do="back")
    assert answer.status_code == 303
    assert "summary" not in json.loads(session.path(EDITS).read_text(encoding="utf-8"))
    assert "In het advies zegt de groep:" in paragraph(client.get(URL).text, key)


def test_a_save_from_an_older_tab_shows_both(web) -> None:
    client, _, session = web
    key = section_keys(sections())[1]
    first, second = client.get(URL).text, client.get(URL).text
    assert post(client, f"{URL}/summary", version=version_on(first), key=key, do="save",
                text="Eerste tab.").status_code == 303
    answer = post(client, f"{URL}/summary", version=version_on(second), key=key, do="save", text=MINE)
    assert answer.status_code == 409
    shown = main_text(answer.text)
    assert "Advies Nu opgeslagen Eerste tab. Jouw wijziging " + MINE in shown
    assert session.edits().summary[key].text == "Eerste tab."  # nothing overwritten
    mine = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', answer.text, flags=re.S)
    assert mine and mine[1] == f"{URL}/summary"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', mine[2]))
    assert client.post(mine[1], data=fields, follow_redirects=False).status_code == 303  # keep mine, on purpose
    assert session.edits().summary[key].text == MINE


def test_a_paragraph_a_rerun_dropped_is_named_and_can_be_removed(web) -> None:
    client, _, session = web
    session.write(EDITS, {"summary_dropped": [{"key": "abc123abc123", "text": MINE, "heading": "Verkenning",
                                               "phase": "advice", "dropped_at": "2026-01-01T10:00:00+01:00"}]})
    page = client.get(URL).text
    assert "Na opnieuw verwerken heeft de samenvatting geen alinea ‘Verkenning’ meer." in main_text(page)
    assert MINE in main_text(page)
    answer = post(client, f"{URL}/summary", version=version_on(page), key="abc123abc123", do="back")
    assert answer.status_code == 303 and not session.edits()
    assert "Verkenning" not in main_text(client.get(URL).text)


def test_every_sentence_shows_its_moment_and_links_to_the_transcript_page_that_holds_it(web) -> None:
    """A sentence said in turn 160 of 240 links to the transcript's second page (100 lines a page), at its line,
    with its moment for the player, its time as the draft shows it; the rewritten paragraph links to its first
    sentence's."""
    import dataclasses
    import html

    from pipeline.core.types import Turn, Turns
    from pipeline.review.draft import timestamp

    client, _, session = web
    turns = Turns({"S1": "Joris", "S2": "Pieter"}, tuple(Turn("S1" if n % 2 else "S2", 5.0 * n, 5.0 * n + 4,
                                                              f"Regel {n}.") for n in range(240)))
    session.write("turns.json", turns.to_dict())
    late = dataclasses.replace(sections()[1].sentences[1], start=802.7, end=804.0)  # in turn 160 (800-804 s)
    insights = session.insights()
    parts = (insights.sections[0], dataclasses.replace(insights.sections[1], sentences=(
        insights.sections[1].sentences[0], late)), insights.sections[2])
    session.write("insights.json", dataclasses.replace(insights, sections=parts).to_dict())

    page = client.get(URL).text
    links = [(html.unescape(href), main_text(inner)) for href, inner in
             re.findall(r'<a class="said" href="([^"]+)"[^>]*>(.*?)</a>', page, flags=re.S)]
    assert links == [("/s/groep/transcript?from=0&at=10.00#t2", "0:10 De vader is boos over de cijfers."),
                     ("/s/groep/transcript?from=0&at=40.00#t8", "0:40 Ik zou de vader uitnodigen (Pieter)."),
                     ("/s/groep/transcript?from=100&at=802.70#t160", "13:22 Bel hem eerst (Sanne)."),
                     ("/s/groep/transcript?from=0&at=60.00#t12", "1:00 Ik bel dinsdag (Joris).")]
    assert timestamp(802.7) == "[13:22]"  # the second it falls in, as the draft shows it (not rounded to 13:23)
    landed = client.get(links[2][0]).text
    assert 'id="t160"' in landed and "Regel 160." in main_text(landed)  # the link lands on the line's page

    key = section_keys(parts)[1]
    assert post(client, f"{URL}/summary", version=version_on(page), key=key, do="save",
                text=MINE).status_code == 303
    moment = re.search(rf'id="p-{key}".*?<a class="said moment" href="([^"]+)"[^>]*>(.*?)</a>',
                       client.get(URL).text, flags=re.S)
    assert moment and (html.unescape(moment[1]), main_text(moment[2])) == (
        "/s/groep/transcript?from=0&at=40.00#t8", "▶ 0:40")
