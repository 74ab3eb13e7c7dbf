"""Speakers, transcript corrections and top 7 edits through the pages; each flows into the draft on the re-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from pipeline.core.layers import text_key
from tests.web_helpers import ROOT, csrf, make_client, run_jobs, upload

VTT = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Sanne>Wat ik meeneem is dat grenzen stellen echt helpt.</v>\n\n"
       "00:00:06.000 --> 00:00:10.000\n<v Joris>Ik ga volgende week met mijn leidinggevende praten.</v>\n\n"
       "00:00:11.000 --> 00:00:15.000\n<v Sanne>De sleutel is dat je het samen bespreekt met je team.</v>\n\n"
       "00:00:16.000 --> 00:00:20.000\n<v Joris>Ik heb geleerd dat vaste belmomenten rust geven.</v>\n")


def docx_text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


@pytest.fixture()
def processed(tmp_path: Path):
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    source = tmp_path / "intervisie.vtt"
    source.write_text(VTT, encoding="utf-8")
    assert upload(client, source).status_code == 303
    run_jobs(cfg)
    return client, cfg, cfg.out_dir / "intervisie"


@pytest.mark.slow
def test_naming_speakers_does_what_oogst_names_does(processed) -> None:
    client, cfg, root = processed
    page = client.get("/s/intervisie/speakers")
    assert page.status_code == 200 and "Sanne" in page.text and "50% spreektijd" in page.text
    token = csrf(client, "/s/intervisie/speakers")
    answer = client.post("/s/intervisie/speakers", data={"csrf": token, "name_0": "Joris de Vries", "name_1": "Sanne"},
                         follow_redirects=False)
    assert answer.status_code == 303
    turns = json.loads((root / "turns.json").read_text(encoding="utf-8"))
    assert turns["speakers"]["Joris"] == "Joris de Vries"
    assert 'Joris = "Joris de Vries"' in (root / "names.toml").read_text(encoding="utf-8")
    assert cfg.queue.list("intervisie", limit=1)[0].status == "queued"  # insights and draft follow
    run_jobs(cfg)
    assert "Joris de Vries" in docx_text(root / "draft.docx")


@pytest.mark.slow
def test_a_correction_survives_reruns_and_reaches_the_draft(processed) -> None:
    client, cfg, root = processed
    page = client.get("/s/intervisie/transcript")
    assert "vaste belmomenten" in page.text and 'data-start="16.0"' in page.text
    token = csrf(client, "/s/intervisie/transcript")
    client.post("/s/intervisie/transcript", data={"csrf": token, "n": "1",
                                                  "text": "Ik ga volgende week met mijn teamleider praten."})
    corrections = json.loads((root / "corrections.json").read_text(encoding="utf-8"))
    assert corrections["turns"]["t600"]["original"].endswith("leidinggevende praten.")  # by the turn's id
    transcript = (root / "transcript.json").read_text(encoding="utf-8")
    run_jobs(cfg)
    assert (root / "transcript.json").read_text(encoding="utf-8") == transcript  # Whisper's output untouched
    turns = json.loads((root / "turns.json").read_text(encoding="utf-8"))
    assert turns["turns"][1]["text"] == "Ik ga volgende week met mijn teamleider praten."
    assert turns["corrected"] == ["6.00"] and turns["corrected_ids"] == ["t600"]  # the starts, as before; the ids
    assert "teamleider" in docx_text(root / "draft.docx")
    assert "✔ verbeterd" in client.get("/s/intervisie/transcript").text
    # a forced re-run from the start keeps it
    from pipeline.core.settings import Settings
    from pipeline.service import run_recording

    run_recording(root / "intervisie.vtt", Settings(out_dir=cfg.out_dir), force=True)
    assert "teamleider" in (root / "turns.json").read_text(encoding="utf-8")


@pytest.mark.slow
def test_insight_edits_are_a_layer_and_the_draft_still_collects(tmp_path: Path) -> None:
    from docx_helpers import CommentSpec, add_comments

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    source = tmp_path / "sessie.txt"  # the sample's script: a whole intervision with a top 7
    source.write_text((ROOT / "recordings" / "voorbeeld-intervisie.txt").read_text(encoding="utf-8"), encoding="utf-8")
    upload(client, source)
    run_jobs(cfg)
    root = cfg.out_dir / "sessie"
    original = json.loads((root / "insights.json").read_text(encoding="utf-8"))
    first = original["insights"][0]
    key = text_key(first["text"])
    token = csrf(client, "/s/sessie/insights")
    client.post("/s/sessie/insights", data={"csrf": token, "do": "save", "key": key, "title": "Grenzen",
                                                "text": "Grenzen stellen aan je bereikbaarheid helpt echt."})
    client.post("/s/sessie/insights", data={"csrf": token, "do": "promote", "n": "5"})
    edits = json.loads((root / "edits.json").read_text(encoding="utf-8"))
    assert edits["insights"][key]["text"].startswith("Grenzen stellen")
    assert edits["added"][0]["key"].startswith("added-")
    page = client.get("/s/sessie/insights").text
    assert "Grenzen stellen aan je bereikbaarheid" in page and "✎ aangepast" in page
    turns = json.loads((root / "turns.json").read_text(encoding="utf-8"))
    assert turns["turns"][5]["text"] in page
    run_jobs(cfg)
    assert json.loads((root / "insights.json").read_text(encoding="utf-8")) == original  # the layer stays apart
    draft = docx_text(root / "draft.docx")
    assert "Grenzen stellen aan je bereikbaarheid helpt echt." in draft
    # a returned copy of this edited draft is read against the edited insights
    copy = add_comments(root / "draft.docx", tmp_path / "terug-an.docx",
                        [CommentSpec("Grenzen stellen aan je bereikbaarheid", "+1", "An")])
    assert json.loads((root / "edits.json").read_text(encoding="utf-8"))  # still there
    from pipeline.core.session import Session
    from pipeline.review.final import collect

    result = collect(Session(root), [copy])
    assert not result.problems
    final = json.loads((root / "final.json").read_text(encoding="utf-8"))
    top = final["insights"][0]
    assert top["text"] == "Grenzen stellen aan je bereikbaarheid helpt echt." and top["votes"]["up"] == 1


def test_pages_of_an_unprocessed_session_say_so(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    (cfg.out_dir / "leeg").mkdir()
    for url in ("/s/leeg/speakers", "/s/leeg/transcript", "/s/leeg/insights"):
        answer = client.get(url)
        assert answer.status_code == 409 and ("Sessie leeg is nog niet verwerkt" in answer.text
                                              or "Sessie leeg heeft nog geen inzichten" in answer.text)


@pytest.mark.slow
def test_session_pages_in_english_when_the_browser_asks(processed) -> None:
    client, _, _ = processed
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    assert "speaking time" in client.get("/s/intervisie/speakers", headers=english).text
    assert "Correct" in client.get("/s/intervisie/transcript", headers=english).text
    assert "Next steps" in client.get("/s/intervisie", headers=english).text
    assert "Volgende stappen" in client.get("/s/intervisie").text
