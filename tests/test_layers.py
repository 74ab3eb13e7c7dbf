"""corrections.json and edits.json: people's changes applied on top of what the models wrote."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.layers import Edits, apply_corrections, apply_edits, text_key, with_correction
from pipeline.core.session import EDITS, Session
from pipeline.core.types import Action, Insight, Insights, Turn, Turns


def insights() -> Insights:
    items = tuple(Insight(n, f"Titel {n}", f"Zin nummer {n}.", ("Sanne",), 1.0 - n / 10, ()) for n in range(1, 5))
    action = Action("Joris", "Ik bel de vader.", "morgen", 12.0, "2025-03-05")
    return Insights("nl", ("Samenvatting.",), items, (action,))


def test_corrections_replace_lines_by_start_time(tmp_path: Path) -> None:
    turns = Turns({"S1": "Sanne"}, (Turn("S1", 0.5, 2.0, "Goedemorgen allemaal."),
                                    Turn("S1", 3.0, 5.0, "Fijn dat jullie er zijn.")))
    session = Session(tmp_path)
    session.save_corrections(with_correction(session.corrections(), 3.0, "Fijn dat jullie  er zijn, allemaal.",
                                             original="Fijn dat jullie er zijn.", speaker="S1"))
    fixed = apply_corrections(turns, session.corrections())
    assert [t.text for t in fixed.turns] == ["Goedemorgen allemaal.", "Fijn dat jullie er zijn, allemaal."]
    assert fixed.corrected == ("3.00",) and fixed.turns[1].start == 3.0
    assert fixed.to_dict()["corrected"] == ["3.00"]  # the key turns.json has had since the corrections existed
    session.save_corrections(with_correction(session.corrections(), 3.0, "Fijn dat jullie er zijn.",
                                             original="Fijn dat jullie er zijn.", speaker="S1"))
    assert session.corrections() == {}  # back to the original: no correction kept
    assert apply_corrections(turns, {}) is turns


def test_edits_reword_reorder_drop_add_and_set_action(tmp_path: Path) -> None:
    base = insights()
    k = [text_key(i.text) for i in base.insights]
    edits = {"insights": {k[0]: {"text": "Een betere zin."}, k[2]: {"dropped": True}},
             "order": [k[3], k[0]],
             "added": [{"key": "added-9.00", "text": "Iets wat Joris zei.", "title": "Joris", "speakers": ["Joris"],
                        "speaker": "Joris", "start": 9.0, "end": 11.0}],
             "actions": {text_key("Ik bel de vader."): {"owner": "Fatima", "due": "vrijdag"}}}
    typed = Edits.from_dict(edits)
    assert typed.to_dict() == edits  # edits.json keeps its keys
    Session(tmp_path).save_edits(typed)
    assert json.loads((tmp_path / EDITS).read_text(encoding="utf-8")) == edits
    result = apply_edits(base, Session(tmp_path).edits())
    assert [i.text for i in result.insights] == ["Zin nummer 4.", "Een betere zin.", "Zin nummer 2.",
                                                 "Iets wat Joris zei."]
    assert [i.rank for i in result.insights] == [1, 2, 3, 4]
    assert result.insights[1].edited and result.insights[1].original_text == "Zin nummer 1."
    assert result.insights[3].quotes[0].start == 9.0
    action = result.actions[0]
    assert (action.owner, action.due, action.due_date) == ("Fatima", "vrijdag", None)
    shown = apply_edits(base, typed, keep_dropped=True)
    assert [i.dropped for i in shown.insights].count(True) == 1
    assert apply_edits(base, Edits()) is base
    # an edit whose insight is gone after a re-run is simply not applied
    gone = Edits.from_dict({"insights": {"000000000000": {"text": "weg"}}})
    assert apply_edits(base, gone).insights[0].text == "Zin nummer 1."


def test_roster_round_trip(tmp_path: Path) -> None:
    session = Session(tmp_path)
    session.save_roster([{"name": " Sanne ", "email": "sanne@example.nl"}, {"name": "", "email": "x@example.nl"},
                         {"name": "Joris", "present": False}])
    assert session.roster() == [{"name": "Sanne", "email": "sanne@example.nl", "present": True},
                                     {"name": "Joris", "email": "", "present": False}]
    assert json.loads((tmp_path / "roster.json").read_text(encoding="utf-8"))["participants"][0]["name"] == "Sanne"
