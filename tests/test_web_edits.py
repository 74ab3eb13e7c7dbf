"""Nothing lost: every edit carries the version it was made on, a save on an older one is refused with a page that
shows both; a form that cannot be saved comes back filled in with the wrong value marked; action points keep their
ids; the roster merges by name. Fast: a session folder written by hand, no models (the browser tests are in
tests/test_web_edits_browser.py)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.errors import EditConflict
from pipeline.core.layers import text_key
from pipeline.core.session import CORRECTIONS, EDITS, NAMES, ROSTER, Session
from pipeline.core.settings import Settings
from pipeline.core.types import Action, Insight, Insights, Turn, Turns
from pipeline.service import Edit, Oogst
from tests.web_helpers import csrf, make_client

NAME = "2025-03-04_groep"
ACTIONS = (Action("Joris", "Ik bel de vader dinsdag terug.", "dinsdag", 12.0, "2025-03-11"),
           Action("Sanne", "Ik stuur voor vrijdag het protocol rond.", "voor vrijdag", 30.0),
           Action("Fatima", "Ik vraag de leidinggevende om ruimte.", None, 50.0))


def write_session(out: Path, name: str = NAME, *, insights: int = 7) -> Session:
    """A processed session as the stages leave it (transcript, turns, insights) with its recording, so a change
    queues a re-run as in the web app."""
    session = Session.create(out, name)
    turns = Turns({"S1": "Spreker 1", "S2": "Joris"},
                  tuple(Turn("S1" if n % 2 else "S2", 10.0 * n, 10.0 * n + 8, f"Regel {n} van het gesprek.")
                        for n in range(12)))
    session.write("turns.json", turns.to_dict())
    session.write("transcript.json", {"language": "nl", "duration": 120.0, "model": "test", "title": "Groep",
                                      "recorded": "2025-03-04", "segments": []})
    items = tuple(Insight(n, f"Thema {n}", f"Zin van inzicht {n}.", ("Joris",), 1.0 - n / 10, ())
                  for n in range(1, insights + 1))
    session.write("insights.json", Insights("nl", ("Samenvatting.",), items, ACTIONS).to_dict())
    (session.root / f"{name}.vtt").write_text("WEBVTT\n", encoding="utf-8")
    return session


@pytest.fixture()
def web(tmp_path: Path) -> tuple[Any, Any, Session]:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    return client, cfg, write_session(cfg.out_dir)


def version_on(page: str) -> str:
    found = re.search(r'name="version" value="(\w+)"', page)
    assert found, "no version on the page"
    return found[1]


def main_text(page: str) -> str:
    main = re.search(r"<main>(.*)</main>", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main[1] if main else page)).split())


def post(client: Any, url: str, **data: str) -> Any:
    return client.post(url, data={"csrf": csrf(client, url), **data}, follow_redirects=False)


# -- the service: a save on an older version is refused ----------------------------------------------------------------
def test_every_layer_refuses_a_save_made_on_an_older_version(tmp_path: Path) -> None:
    session = write_session(tmp_path)
    oogst = Oogst(Settings(out_dir=tmp_path))
    key = text_key("Zin van inzicht 1.")
    saves = {
        EDITS: lambda base, n: oogst.edit(session, Edit("save", key, f"Titel {n}", f"Zin {n}."), base=base),
        NAMES: lambda base, n: oogst.name_speakers(session, {"S1": f"Sanne {n}"}, base=base),
        CORRECTIONS: lambda base, n: oogst.correct_line(session, 2, f"Verbeterd {n}.", base=base),
        ROSTER: lambda base, n: oogst.save_roster(session, [{"name": f"Sanne {n}", "email": ""}], base=base),
    }
    for layer, save in saves.items():
        first = oogst.version(session, layer)
        assert first == "0"  # nothing saved yet
        save(first, 1)  # the first tab
        saved = session.path(layer).read_bytes()
        with pytest.raises(EditConflict) as refused:
            save(first, 2)  # the second tab, loaded before the first saved
        assert refused.value.version == oogst.version(session, layer) != first
        assert session.path(layer).read_bytes() == saved, f"{layer}: the older page overwrote the newer save"
        save(refused.value.version, 2)  # the facilitator chose to save theirs over it
        assert session.path(layer).read_bytes() != saved
        save(None, 3)  # the command line names no version: not checked


def test_two_tabs_on_one_insight_keep_the_title_and_the_sentence(web) -> None:
    """The reported loss: the title changed in the first tab, the sentence saved in the second put the old title
    back. Now the second save is refused with both shown, and saving it on purpose keeps what the tab shows."""
    client, _, session = web
    url = f"/s/{NAME}/insights"
    key = text_key("Zin van inzicht 1.")
    first, second = client.get(url).text, client.get(url).text
    assert post(client, url, version=version_on(first), do="save", key=key, title="Nieuwe titel",
                text="Zin van inzicht 1.").status_code == 303
    answer = post(client, url, version=version_on(second), do="save", key=key, title="Thema 1",
                  text="Een betere zin.")
    assert answer.status_code == 409
    shown = main_text(answer.text)
    assert "Intussen ergens anders opgeslagen" in shown
    assert "Nu opgeslagen Nieuwe titel" in shown and "Jouw wijziging Thema 1" in shown
    assert "Nu opgeslagen Zin van inzicht 1." in shown and "Jouw wijziging Een betere zin." in shown
    assert json.loads(session.path(EDITS).read_text(encoding="utf-8"))["insights"][key]["title"] == "Nieuwe titel"
    # "keep mine": the page's own form, on the version saved now
    mine = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', answer.text, flags=re.S)
    assert mine and mine[1] == url
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', mine[2]))
    assert fields["version"] == Session(session.root).version(EDITS) and fields["text"] == "Een betere zin."
    assert client.post(url, data=fields, follow_redirects=False).status_code == 303
    edit = json.loads(session.path(EDITS).read_text(encoding="utf-8"))["insights"][key]
    assert edit == {"title": "Thema 1", "text": "Een betere zin."}  # what the facilitator chose, whole
    assert 'href="/s/' in answer.text and 'id="keep-theirs"' in answer.text


def test_names_corrections_and_the_roster_show_both_on_a_conflict(web) -> None:
    client, _, session = web
    speakers, lines, people = (f"/s/{NAME}/{page}" for page in ("speakers", "transcript", "participants"))
    old = {url: version_on(client.get(url).text) for url in (speakers, lines, people)}
    assert post(client, speakers, version=old[speakers], name_0="Sanne").status_code == 303
    answer = post(client, speakers, version=old[speakers], name_0="Ineke")
    assert answer.status_code == 409 and "S1 Nu opgeslagen Sanne Jouw wijziging Ineke" in main_text(answer.text)
    assert post(client, lines, version=old[lines], n="3", text="Eerste verbetering.").status_code == 303
    answer = post(client, lines, version=old[lines], n="3", text="Tweede verbetering.")
    assert answer.status_code == 409
    assert "Nu opgeslagen Eerste verbetering. Jouw wijziging Tweede verbetering." in main_text(answer.text)
    assert post(client, people, version=old[people], name_0="Sanne", email_0="sanne@example.nl",
                present_0="on").status_code == 303
    answer = post(client, people, version=old[people], name_0="Sanne", email_0="s.devries@example.nl",
                  present_0="on")
    assert answer.status_code == 409
    assert "Sanne Nu opgeslagen sanne@example.nl · aanwezig Jouw wijziging s.devries@example.nl" in main_text(
        answer.text)
    assert session.roster()[0]["email"] == "sanne@example.nl"


# -- a form that cannot be saved comes back filled in ------------------------------------------------------------------
def test_a_wrong_pasted_line_brings_the_roster_back_filled_in_with_the_line_marked(web) -> None:
    client, _, session = web
    url = f"/s/{NAME}/participants"
    paste = "Fatima Bakker <fatima@example.nl>\nnee-geen-adres\nPieter <pieter@example.nl>"
    answer = post(client, url, version=version_on(client.get(url).text), name_0="Sanne",
                  email_0="sanne@example.nl", present_0="on", name_1="Joris", email_1="", paste=paste)
    assert answer.status_code == 400
    assert "Geplakte regel 2: 'nee-geen-adres' is geen geldig e-mailadres" in main_text(answer.text)
    assert 'value="sanne@example.nl"' in answer.text and 'value="Joris"' in answer.text  # the rows as typed
    assert html.escape(paste, quote=False) in answer.text and 'data-bad-line="2"' in answer.text
    assert not session.has(ROSTER)  # nothing saved
    answer = post(client, url, name_0="Sanne", email_0="sanne(at)example", present_0="on", name_1="Joris")
    assert answer.status_code == 400 and "Rij 1 (Sanne)" in main_text(answer.text)
    row = re.search(r'<tr class="bad">(.*?)</tr>', answer.text, flags=re.S)
    assert row and 'value="sanne(at)example"' in row[1] and 'aria-invalid="true"' in row[1]


def test_an_empty_sentence_brings_the_top_7_back_with_the_form_open(web) -> None:
    client, _, session = web
    url = f"/s/{NAME}/insights"
    key = text_key("Zin van inzicht 3.")
    answer = post(client, url, version=version_on(client.get(url).text), do="save", key=key,
                  title="Getypte titel", text="  ")
    assert answer.status_code == 400
    card = re.search(rf'<div class="insight bad" id="i-{key}".*?</details>', answer.text, flags=re.S)
    assert card and "Een inzicht heeft een zin nodig" in card[0] and "<details open>" in card[0]
    assert 'value="Getypte titel"' in card[0]
    assert not session.has(EDITS)
    answer = post(client, url, do="add_action", key="", text=" ", owner="Joris", due="morgen")
    assert answer.status_code == 400 and "Een actiepunt heeft een tekst nodig" in main_text(answer.text)
    assert re.search(r'id="add-action" open>.*value="Joris".*value="morgen"', answer.text, flags=re.S)


# -- action points: ids, rewording, dropping, adding -------------------------------------------------------------------
def test_actions_keep_their_ids_when_others_are_added_dropped_or_reworded(tmp_path: Path) -> None:
    from pipeline.core.layers import apply_edits

    session = write_session(tmp_path)
    oogst = Oogst(Settings(out_dir=tmp_path))
    ids = [text_key(a.text) for a in ACTIONS]

    def current() -> list[tuple[str, str, str | None]]:
        return [(a.id or "", a.text, a.owner) for a in apply_edits(session.insights(), session.edits()).actions]

    oogst.edit(session, Edit("action", ids[1], text="Sanne stuurt het protocol vrijdag rond.", owner="Sanne",
                             due="voor vrijdag"))
    oogst.edit(session, Edit("drop_action", ids[0]))
    oogst.edit(session, Edit("add_action", text="Pieter plant de volgende sessie.", owner="Pieter"))
    assert current() == [(ids[1], "Sanne stuurt het protocol vrijdag rond.", "Sanne"),
                         (ids[2], "Ik vraag de leidinggevende om ruimte.", "Fatima"),
                         ("added-1", "Pieter plant de volgende sessie.", "Pieter")]
    kept = apply_edits(session.insights(), session.edits()).actions[0]
    assert kept.due_date is None and kept.confidence is None  # the due day as found stays only when due does
    oogst.edit(session, Edit("drop_action", "added-1"))
    oogst.edit(session, Edit("add_action", text="Een nieuw actiepunt."))
    assert current()[-1][0] == "added-2"  # a dropped id is never given again
    oogst.edit(session, Edit("restore_action", ids[0]))
    assert [a[0] for a in current()] == [ids[0], ids[1], ids[2], "added-2"]
    unchanged = Edit("action", ids[0], text=ACTIONS[0].text, owner="Joris", due="dinsdag")
    oogst.edit(session, unchanged)  # saved as it was found: the due day stays
    assert apply_edits(session.insights(), session.edits()).actions[0].due_date == "2025-03-11"


def test_the_top_7_page_edits_actions_and_numbers_without_gaps(web) -> None:
    client, _, session = web
    url = f"/s/{NAME}/insights"
    drop = text_key("Zin van inzicht 2.")
    assert post(client, url, version=version_on(client.get(url).text), do="drop", key=drop).status_code == 303
    page = client.get(url).text
    assert re.search(r'<h2 id="top-heading">Top 6</h2>', page)
    numbers = re.findall(r'<span class="number">(\d+)\.</span>', page)
    assert numbers == ["1", "2", "3", "4", "5", "6"]  # the dropped one has no number and leaves no gap
    action = text_key(ACTIONS[2].text)
    assert post(client, url, version=version_on(page), do="action", key=action, text="Fatima vraagt om ruimte.",
                owner="Fatima", due="maandag").status_code == 303
    page = client.get(url).text
    assert "Fatima vraagt om ruimte." in page and 'value="maandag"' in page


def test_a_done_mark_stays_with_its_action_when_an_earlier_one_is_dropped_or_one_is_added(tmp_path: Path) -> None:
    from pipeline.series.actions import open_actions
    from pipeline.series.snapshot import snapshot
    from pipeline.series.store import action_key

    session = write_session(tmp_path)
    oogst = Oogst(Settings(out_dir=tmp_path))
    entry = snapshot(session)
    done = {action_key(session.name, entry["actions"][1]): {"session": "later", "by": "Eva"}}  # Sanne's: done
    assert [a.text for a in open_actions([(session.name, entry)], done)] == [ACTIONS[0].text, ACTIONS[2].text]
    oogst.edit(session, Edit("drop_action", text_key(ACTIONS[0].text)))
    oogst.edit(session, Edit("add_action", text="Pieter plant de volgende sessie."))
    oogst.edit(session, Edit("action", text_key(ACTIONS[1].text), text="Sanne stuurt het protocol.", owner="Sanne"))
    entry = snapshot(session)
    assert [a["number"] for a in entry["actions"]] == [1, 2, 3]  # the rows renumber ...
    still_open = open_actions([(session.name, entry)], done)  # ... the done mark stays on Sanne's action
    assert [a.text for a in still_open] == [ACTIONS[2].text, "Pieter plant de volgende sessie."]


def test_a_series_from_before_action_ids_moves_its_done_marks_to_the_ids(tmp_path: Path) -> None:
    """series.json and the carried rows of a session's draft written when actions were known by their number."""
    from pipeline.core.session import CARRIED, REVIEW, SERIES_FILE, atomic_write_json, series_file, series_folder
    from pipeline.series.snapshot import gather_done
    from pipeline.series.store import load_series

    out = tmp_path / "outputs"
    first, second = write_session(out, "2025-03-04_groep"), write_session(out, "2025-03-18_groep")
    numbered = [{"number": n, "owner": a.owner, "text": a.text} for n, a in enumerate(ACTIONS, start=1)]
    root = series_folder(out, "groep")
    atomic_write_json(series_file(root, SERIES_FILE), {
        "name": "groep", "sessions": {first.name: {"date": "2025-03-04", "actions": numbered},
                                      second.name: {"date": "2025-03-18", "actions": []}},
        "done": {f"{first.name}#2": {"session": second.name, "by": "Eva"}}})
    data = load_series(root)
    ids = [text_key(a.text) for a in ACTIONS]
    assert set(data["done"]) == {f"{first.name}#{ids[1]}"}
    assert [a["id"] for a in data["sessions"][first.name]["actions"]] == ids
    # the second session's draft carried the first's actions as rows known by number; a comment "klaar" on row 3
    second.write(CARRIED, {"carried_abc": f"{first.name}#3"})
    second.write(REVIEW, {"comments": [{"text": "klaar", "author": "Eva", "target": {
        "kind": "other", "via": "oogst_carried_abc_1"}}]})
    gather_done(data, out)
    assert f"{first.name}#{ids[2]}" in data["done"] and f"{first.name}#3" not in data["done"]


def test_a_save_while_the_session_is_busy_comes_back_to_be_sent_again(web) -> None:
    """The worker re-runs the session after every save; a save meanwhile waits a moment and, still busy, gets the
    same form back, filled in, to send again: nothing typed is lost."""
    from test_lock import hold_in_other_process

    client, _, session = web
    url = f"/s/{NAME}/insights"
    key = text_key("Zin van inzicht 4.")
    page = client.get(url).text
    holder = hold_in_other_process(session.root)
    try:
        answer = post(client, url, version=version_on(page), do="save", key=key, title="Titel", text="Getypte zin.")
    finally:
        holder.kill()
        holder.wait()
    assert answer.status_code == 409 and "is bezig" in main_text(answer.text)
    retry = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', answer.text, flags=re.S)
    assert retry and retry[1] == url
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', retry[2]))
    assert fields["text"] == "Getypte zin." and fields["version"] == version_on(page)
    assert client.post(url, data=fields, follow_redirects=False).status_code == 303  # sent again: saved
    assert json.loads(session.path(EDITS).read_text(encoding="utf-8"))["insights"][key]["text"] == "Getypte zin."


def test_moving_an_insight_up_works_as_the_first_change(tmp_path: Path) -> None:
    """Before any edit the insights carry no keys; "up" found none and did nothing."""
    from pipeline.core.layers import apply_edits

    session = write_session(tmp_path)
    Oogst(Settings(out_dir=tmp_path)).edit(session, Edit("up", text_key("Zin van inzicht 4.")))
    titles = [i.title for i in apply_edits(session.insights(), session.edits()).insights]
    assert titles[2:4] == ["Thema 4", "Thema 3"]
