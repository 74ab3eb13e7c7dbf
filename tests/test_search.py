"""Search across sessions (issue 27): by word from the FTS5 index in the state folder, by meaning with the real
sentence encoder (multilingual-e5-small), through the service, the command line, the worker's answering thread and
the search page; the index follows corrections, names and deletions, and keeps a pseudonymised session's labels."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.errors import OogstError
from pipeline.core.settings import Settings
from pipeline.search.index import match_query, stem
from pipeline.search.meaning import answer, ask, meaning
from pipeline.service import Oogst
from tests.search_helpers import ENGLISH, HANDOVER, PARENTS, SERIES, correct, make_sessions
from tests.web_helpers import make_client


def service(tmp_path: Path, **sections: dict[str, object]) -> Oogst:
    return Oogst(Settings(out_dir=tmp_path / "outputs", sections=dict(sections)), state_dir=tmp_path / "state")


@pytest.fixture(scope="module")
def encoder():  # the real one, loaded once for the module
    from pipeline.insights.nlp import default_encoder

    return default_encoder()


def places(hits) -> list[tuple[str, str, str]]:
    return [(h.session, h.kind, h.ref) for h in hits]


def test_stems_and_queries() -> None:
    assert [stem(w) for w in ("ouderavonden", "gesprekken", "meetings", "ouders", "kind")] == [
        "ouderavond", "gesprek", "meeting", "ouder", "kind"]
    assert match_query('ouderavonden "warme overdracht"') == '"warme overdracht" AND "ouderavond"*'
    assert match_query("a b") == '"a" AND "b"' and match_query('"" ...') == ""


def test_words_find_the_session_and_the_moment(tmp_path: Path) -> None:
    make_sessions(tmp_path / "outputs")
    oogst = service(tmp_path)
    hits = oogst.search_index().words("ouderavonden")  # the plural finds the singular too
    assert places(hits)[:3] == [(PARENTS, "turn", "t400"), (PARENTS, "turn", "t1100"), (PARENTS, "turn", "t2700")]
    assert hits[1].speaker == "Youssef" and hits[1].start == 11.0 and hits[1].day == "2026-04-14"
    assert ("ouderavond", True) in hits[1].parts()
    assert places(oogst.search_index().words("gesprek"))[0] == (PARENTS, "turn", "t1950")  # gesprekken (by id)
    client = oogst.search_index().words("client")  # without the diaeresis: cliënt, cliënten
    assert client and all(h.session == HANDOVER for h in client) and len(client) >= 5
    kinds = {h.kind for h in oogst.search_index().words("checklist")}
    assert kinds == {"turn", "insight", "action"}  # the top 7 and the actions are searched too
    assert places(oogst.search_index().words('"warme overdracht"'))[0][0] == HANDOVER
    assert [h.session for h in oogst.search_index().words("budget training")] == [ENGLISH]
    in_series = oogst.search_index().words("ouders", series=SERIES)
    assert in_series and all(h.series == SERIES for h in in_series)
    assert oogst.search_index().words("overdracht", series=SERIES) == []
    assert oogst.search_index().words("zzzq ouderavond")[0].session == PARENTS  # no place has both words: any of them
    assert oogst.search_index().words('"') == []
    typed = oogst.search_index().words("NEAR( overdracht* OR")  # FTS5 syntax typed is only words
    assert places(typed)[0][0] == HANDOVER
    with pytest.raises(OogstError, match="no series 'nope'"):
        oogst.search_index().words("ouders", series="nope")


def test_the_index_follows_corrections_names_and_deletions(tmp_path: Path) -> None:
    roots = make_sessions(tmp_path / "outputs")
    oogst = service(tmp_path)
    assert oogst.search_index().words("kerstvakantie")
    assert oogst.search_index().words("voorjaarsvakantie") == []
    correct(roots["parents"], 42.0, "Dat doe ik, ik bel de directeur voor de voorjaarsvakantie.",
            "Dat doe ik, ik bel de directeur van De Regenboog voor de kerstvakantie.", "S3")
    found = oogst.search_index().words("voorjaarsvakantie")
    assert places(found) == [(PARENTS, "turn", "t4200")]  # what the transcript page shows
    assert oogst.search_index().words("kerstvakantie") == []
    oogst.name_speakers(oogst.session(PARENTS), {"S3": "Ilse van Dam"})
    assert oogst.search_index().words("voorjaarsvakantie")[0].speaker == "Ilse van Dam"
    shutil.rmtree(roots["english"])
    assert oogst.search_index().words("budget") == []
    assert oogst.search_index().counts()[0] == 2


def test_a_pseudonymised_session_is_found_by_its_labels_unless_chosen(tmp_path: Path) -> None:
    make_sessions(tmp_path / "outputs", pseudonymised=True)
    labels = service(tmp_path)
    hits = labels.search_index().words("ouderavond")
    assert hits and all(h.speaker.startswith("[") for h in hits if h.session == PARENTS)
    assert labels.search_index().words("Youssef") == []  # the real name is not in the index
    originals = Oogst(Settings(out_dir=tmp_path / "outputs", sections={"search": {"originals": True}}),
                      state_dir=tmp_path / "state")
    assert [h.speaker for h in originals.search_index().words("Youssef")][:1] == ["Youssef"]
    assert labels.search_index().words("Youssef") == []  # and back: the choice is part of what was indexed


def test_meaning_finds_a_paraphrase(tmp_path: Path, encoder) -> None:
    make_sessions(tmp_path / "outputs")
    oogst = service(tmp_path)
    assert oogst.search_index().words("uitgeput moe") == []  # no word in common
    hits = meaning(oogst.search_index(), "ik ben uitgeput en moe na het werk", encoder=encoder, limit=3)
    assert places(hits)[0] == (PARENTS, "turn", "t5000")  # "... na een lange werkdag gewoon op, geen energie meer"
    hits = meaning(oogst.search_index(), "de nieuwe begeleider leert de cliënt kennen", encoder=encoder, limit=3)
    assert hits[0].session == HANDOVER
    assert meaning(oogst.search_index(), "money for courses", encoder=encoder, limit=1)[0].session == ENGLISH
    only = meaning(oogst.search_index(), "ik ben uitgeput", encoder=encoder, series=SERIES, limit=20)
    assert only and {h.session for h in only} == {PARENTS}


def test_the_worker_answers_what_the_web_app_asks(tmp_path: Path, encoder) -> None:
    from pipeline.search.meaning import start_answering

    make_sessions(tmp_path / "outputs")
    oogst = service(tmp_path)
    number = ask(oogst.search_index(), "te weinig ouders komen naar school")
    assert answer(oogst.search_index(), number) == (None, None)  # nobody answered yet
    stop = start_answering(oogst.search_index(), lambda: encoder)
    try:
        deadline = time.monotonic() + 60
        while (answered := answer(oogst.search_index(), number))[0] is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    hits, error = answered
    assert error is None and hits and hits[0].session == PARENTS


def test_oogst_search_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_sessions(tmp_path / "outputs")
    out = ["--out-dir", str(tmp_path / "outputs")]
    assert main(["search", "ouderavonden", *out]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{PARENTS}  00:00:04  turn     Marieke: ") and "«ouderavonden»" in lines[0]
    assert main(["search", "ouders", "--series", "nope", *out]) == 1
    assert "no series 'nope'" in capsys.readouterr().err
    assert main(["search", "zzzq", *out]) == 0
    assert "nothing found" in capsys.readouterr().out


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_search_page_links_to_the_moment(tmp_path: Path, language: str) -> None:
    make_sessions(tmp_path / "outputs")
    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    headers = {"accept-language": "en-GB,en" if language == "en" else "nl-NL,nl"}
    page = client.get("/search", params={"q": "ouderavonden"}, headers=headers)
    assert page.status_code == 200
    assert f'href="/s/{PARENTS}/transcript?turn=t1100#turn-t1100"' in page.text  # by the turn's id
    assert "<mark>ouderavond</mark>" in page.text
    assert ("Op betekenis" if language == "nl" else "By meaning") in page.text
    front = client.get("/", headers=headers).text  # every page's header has the box; the search page its own
    assert 'action="/search"' in front
    assert ("Zoek in alle sessies" if language == "nl" else "Search all sessions") in front
    assert 'class="find"' not in page.text and 'id="search-query"' in page.text
    assert 'data-url="/search/meaning/' in page.text
    number = int(page.text.split('data-url="/search/meaning/')[1].split("?")[0])
    assert client.get(f"/search/meaning/{number}").status_code == 204  # no worker in this test: not yet
    action = client.get("/search", params={"q": "checklist"}, headers=headers).text
    assert f'href="/s/{HANDOVER}/insights#a-' in action and f'href="/s/{HANDOVER}/insights#i-' in action
    empty = client.get("/search", params={"q": "zzzq"}, headers=headers).text
    assert ("Geen van de sessies" if language == "nl" else "None of the sessions") in empty


def test_an_idle_worker_embeds_new_sessions_ahead(tmp_path: Path, encoder) -> None:
    from pipeline.search.meaning import start_answering

    make_sessions(tmp_path / "outputs")
    index = service(tmp_path).search_index()
    index.refresh()

    def embedded() -> tuple[int, int]:
        with index.db() as db:
            return (db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0],
                    db.execute("SELECT COUNT(DISTINCT hash) FROM units").fetchone()[0])

    busy = start_answering(index, lambda: encoder, idle=lambda: False)  # a job runs: nothing is embedded ahead
    time.sleep(1.0)
    busy.set()
    assert embedded()[0] == 0
    stop = start_answering(index, lambda: encoder, idle=lambda: True)
    try:
        deadline = time.monotonic() + 60
        while (counts := embedded())[0] < counts[1] and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
    assert counts[0] == counts[1] > 40  # every text has its vector before anyone asked


def test_vectors_embedded_later_reach_a_warm_meaning_search(tmp_path: Path, encoder) -> None:
    from pipeline.search.meaning import embed_missing

    make_sessions(tmp_path / "outputs")
    index = service(tmp_path).search_index()
    query = "ik ben uitgeput en moe na het werk"
    first = meaning(index, query, encoder, embed_limit=5, limit=50)  # a web request: only 5 texts embedded now
    assert len(first) == 5 and (PARENTS, "turn", "t5000") not in places(first)
    assert embed_missing(index, encoder) >= 40  # the worker's idle time embeds the rest
    later = meaning(index, query, encoder, embed_limit=0, limit=3)  # nothing embedded by the request itself
    assert places(later)[0] == (PARENTS, "turn", "t5000")  # the matrix in memory was read again


def test_a_result_links_to_its_line_by_id_after_a_split_renumbered_the_lines(tmp_path: Path) -> None:
    roots = make_sessions(tmp_path / "outputs")
    oogst = service(tmp_path)
    session = oogst.session(roots["parents"].name)
    oogst.change_speaker(session, "split", turn="t1100", word=4, speaker="new")  # line 1 becomes lines 1 and 2
    hit = next(h for h in oogst.search_index().words("digitale ouderavond") if h.kind == "turn")
    assert hit.ref == "t2700"  # by id: the index refreshed after the split, the id did not change
    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    page = client.get("/search", params={"q": "digitale ouderavond"}).text
    href = f"/s/{PARENTS}/transcript?turn=t2700#turn-t2700"
    assert f'href="{href}"' in page
    transcript = client.get(href.split("#")[0]).text
    line = transcript.split('id="turn-t2700"')[1].split('class="turn"')[0]
    assert "digitale ouderavond" in line
    assert 'id="turn-t2700"' in transcript.split('<div class="turn" id="t4">')[1].split('class="turn"')[0]
    # the line's number moved from 3 to 4 (the old #t3 would land on another line); its id stayed
