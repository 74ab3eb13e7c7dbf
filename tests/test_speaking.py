"""Speaking time in draft.docx: the table's figures come from turns.json, the chart is an image in the file, and the
gentle note appears only when one person takes more than half of the time in a group of four or more."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import docx

from pipeline.core.session import Session, read_json
from pipeline.core.types import Insights, Turn, Turns
from pipeline.review import draft as docx_draft
from pipeline.review.sections import dominant, speaking_times

DATA = Path(__file__).parent / "data" / "session"
DATE = datetime.date(2026, 3, 5)


def expected_from_turns_json(path: Path) -> dict[str, tuple[str, str, str, str]]:
    """The figures straight from the JSON file, computed here without the module: name -> table row."""
    data = json.loads(path.read_text(encoding="utf-8"))
    spoken: dict[str, float] = {}
    turns: dict[str, int] = {}
    longest: dict[str, float] = {}
    runs: list[list] = []  # [name, seconds]: consecutive entries of one name are one uninterrupted turn
    for entry in data["turns"]:
        name = data["speakers"].get(entry["speaker"]) or entry["speaker"]
        seconds = entry["end"] - entry["start"]
        spoken[name] = spoken.get(name, 0.0) + seconds
        if runs and runs[-1][0] == name:
            runs[-1][1] += seconds
        else:
            runs.append([name, seconds])
    for name, seconds in runs:
        turns[name] = turns.get(name, 0) + 1
        longest[name] = max(longest.get(name, 0.0), seconds)
    total = sum(spoken.values())

    def mmss(seconds: float) -> str:
        return f"{int(round(seconds)) // 60}:{int(round(seconds)) % 60:02d}"

    return {name: (f"{round(100 * spoken[name] / total)} %", mmss(spoken[name]), str(turns[name]),
                   mmss(longest[name])) for name in spoken}


def write(tmp_path: Path, turns_json: dict | None = None) -> tuple[Path, Path]:
    session = Session.create(tmp_path, "intervisie-2026-03-05")
    for artefact in ("turns.json", "insights.json"):
        shutil.copy(DATA / artefact, session.path(artefact))
    if turns_json is not None:
        session.path("turns.json").write_text(json.dumps(turns_json), encoding="utf-8")
    turns = Turns.from_dict(read_json(session.path("turns.json")))
    insights = Insights.from_dict(read_json(session.path("insights.json")))
    path = docx_draft.write_draft(session, turns, insights, title="Intervisie", date=DATE)
    return path, session.path("turns.json")


def section(doc: docx.document.Document, heading: str) -> list:
    """The body elements (paragraphs and tables, python-docx objects) from `heading` to the next heading 1."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    found, inside = [], False
    for element in doc.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        item = Paragraph(element, doc) if tag == "p" else Table(element, doc) if tag == "tbl" else None
        if isinstance(item, Paragraph) and item.style.name == "Heading 1":
            if inside:
                break
            inside = item.text == heading
            continue
        if inside and item is not None:
            found.append(item)
    return found


def test_table_matches_turns_json_and_the_chart_is_an_image(tmp_path):
    path, turns_path = write(tmp_path)
    doc = docx.Document(str(path))  # the real file, read back
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings.index("Spreektijd") == headings.index("Actiepunten") + 1
    items = section(doc, "Spreektijd")
    tables = [i for i in items if hasattr(i, "rows")]
    assert len(tables) == 1
    rows = [[c.text for c in row.cells] for row in tables[0].rows]
    assert rows[0] == ["Wie", "Aandeel", "Spreektijd", "Beurten", "Langste beurt"]
    expected = expected_from_turns_json(turns_path)
    assert {row[0]: tuple(row[1:]) for row in rows[1:]} == expected
    assert len(rows) - 1 == 4  # every participant of the fixture, once
    seconds = [int(r[2].split(":")[0]) * 60 + int(r[2].split(":")[1]) for r in rows[1:]]
    assert seconds == sorted(seconds, reverse=True)  # most speaking time first

    pictures = [p for p in items if not hasattr(p, "rows") and p._p.xpath(".//pic:pic")]
    assert len(pictures) == 1
    blip = pictures[0]._p.xpath(".//a:blip/@r:embed")[0]
    image = doc.part.related_parts[blip]
    assert image.content_type == "image/png" and image.blob[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(image.blob) > 5000  # a drawn chart, not an empty placeholder
    # the fixture's group of four shares the time: no note
    assert not any("van de tijd aan het woord" in p.text for p in items if hasattr(p, "text"))


def test_the_note_when_one_person_takes_more_than_half_in_a_group_of_four(tmp_path):
    speakers = {"S1": "Anna", "S2": "Bram", "S3": "Carla", "S4": "Dirk"}
    lines = [("S1", 0, 40), ("S2", 41, 50), ("S1", 51, 90), ("S3", 91, 100), ("S4", 101, 110), ("S1", 111, 130)]
    data = {"speakers": speakers, "turns": [{"speaker": s, "start": a, "end": b, "text": "tekst"}
                                            for s, a, b in lines]}
    path, turns_path = write(tmp_path, data)
    items = section(docx.Document(str(path)), "Spreektijd")
    notes = [p.text for p in items if hasattr(p, "text") and "van de tijd aan het woord" in p.text]
    assert len(notes) == 1 and notes[0].startswith("Anna was 78 % van de tijd aan het woord, in een groep van 4")


def test_no_note_in_a_group_of_three_or_when_nobody_has_half():
    def turns(lines):
        return Turns({}, tuple(Turn(s, a, b, "x") for s, a, b in lines))

    trio = turns([("A", 0, 80), ("B", 80, 90), ("C", 90, 100)])
    assert dominant(speaking_times(trio)) is None
    four_even = turns([("A", 0, 50), ("B", 50, 70), ("C", 70, 85), ("D", 85, 100)])  # exactly half: not more
    assert dominant(speaking_times(four_even)) is None
    four = turns([("A", 0, 51), ("B", 51, 70), ("C", 70, 85), ("D", 85, 100)])
    assert dominant(speaking_times(four)).name == "A"


def test_consecutive_turns_of_one_person_are_one_uninterrupted_turn():
    turns = Turns({}, tuple(Turn(s, a, b, "x") for s, a, b in
                            [("A", 0, 10), ("A", 12, 20), ("B", 20, 25), ("A", 25, 30)]))
    by_name = {p.name: p for p in speaking_times(turns)}
    assert by_name["A"].turns == 2 and by_name["A"].longest == 18 and by_name["A"].seconds == 23
    assert by_name["B"].turns == 1 and abs(sum(p.share for p in by_name.values()) - 1) < 1e-9


def test_final_document_has_no_speaking_time(tmp_path):
    insights = Insights.from_dict(read_json(DATA / "insights.json"))
    spec = docx_draft.DocSpec(title="t", date=DATE, participants=(), session_name="s", insights_hash="h",
                              kind="final", review_note=False, missing_line=False)
    doc = docx_draft.build_document(spec, insights, None)
    assert "Spreektijd" not in [p.text for p in doc.paragraphs]


def test_speakers_page_shows_the_same_figures_and_the_chart(tmp_path):
    """The web page's speakers view: the table of the draft, the chart as an image, the note when it applies."""
    import re

    from tests.web_helpers import make_client

    path, turns_path = write(tmp_path / "outputs")
    shutil.copy(DATA / "transcript.json", path.parent / "transcript.json")
    client, _ = make_client(tmp_path / "outputs", tmp_path / "state")
    page = client.get("/s/intervisie-2026-03-05/speakers")
    assert page.status_code == 200, page.text[:500]
    section = page.text[page.text.index('id="speaking-time"'):]
    cells = re.findall(r"<td>([^<]*)</td>", section)
    rows = {cells[i]: tuple(cells[i + 1:i + 5]) for i in range(0, len(cells), 5)}
    assert rows == expected_from_turns_json(turns_path)
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', section)
    assert 'id="speaking-note"' not in section
