"""Pseudonymisation (#16): the mapping, the detector rules, the shared texts, and end to end on planted fixtures.

Sentences here are written for these tests; the detector's figures come from the report set in
bench/bench_privacy.py, never from these.
"""

from __future__ import annotations

import json
import re
import zipfile
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.settings import load_settings
from pipeline.core.types import Action, Insight, Insights, Quote, Turn, Turns
from pipeline.privacy.detect import RuleDetector
from pipeline.privacy.mapping import Pseudonyms, parse_hide_arguments, same_person
from pipeline.privacy.shared import Shared, participant_map

DATA = Path(__file__).parent / "data" / "privacy"


def _mapping(tmp_path: Path, *entities: tuple[str, list[str]], mode: str = "keep") -> Pseudonyms:
    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, mode)
    for kind, names in entities:
        for name in names:
            pseudonyms.add_detected(name, kind)
    return pseudonyms


# -- the mapping ---------------------------------------------------------------------------------------------------
def test_spellings_of_one_person_are_tied():
    assert same_person("Tim", "Tim de Vries") and same_person("Timmie", "Tim") and same_person("Timmetje", "Tim")
    assert same_person("De Vries", "Tim de Vries") and same_person("mevrouw Bakker", "Ellen Bakker")
    assert not same_person("Jan", "Janneke") and not same_person("Tim de Vries", "Tim Bakker")


def test_detected_names_join_their_entity_and_labels_stay(tmp_path):
    pseudonyms = _mapping(tmp_path, ("person", ["Tim de Vries", "Timmie", "Tims", "Daan"]), ("place", ["Zwolle"]))
    labels = {e.names[0]: (e.kind, e.number) for e in pseudonyms.entities}
    assert labels == {"Tim de Vries": ("person", 1), "Daan": ("person", 2), "Zwolle": ("place", 1)}
    pseudonyms.save("nl")
    again = Pseudonyms.load(tmp_path / "pseudonyms.json")
    again.add_detected("Sophie", "person")
    assert [(e.number, e.names) for e in again.entities if e.kind == "person"] == [
        (1, ["Tim de Vries", "Timmie"]), (2, ["Daan"]), (3, ["Sophie"])]


def test_hide_ties_spellings_and_unhide_wins(tmp_path):
    pseudonyms = _mapping(tmp_path, ("person", ["Timmy"]))
    assert parse_hide_arguments(["Tim=Timmy=Tim de Vries", " Zwolle "]) == [["Tim", "Timmy", "Tim de Vries"],
                                                                               ["Zwolle"]]
    [tim] = pseudonyms.hide([["Tim", "Timmy", "Tim de Vries"]])
    assert tim.number == 1 and tim.source == "hide" and set(tim.names) == {"Tim", "Timmy", "Tim de Vries"}
    key = pseudonyms.user_key()
    pseudonyms.unhide(["Timmy"])
    assert pseudonyms.add_detected("Timmy", "person") is None and pseudonyms.user_key() != key


def test_a_damaged_mapping_is_one_line(tmp_path):
    (tmp_path / "pseudonyms.json").write_text('{"entities": [{"kind": "alien", "names": ["X"]}]}', encoding="utf-8")
    with pytest.raises(Exception, match=r"pseudonyms.json: unknown kind 'alien'.*delete it"):
        Pseudonyms.load(tmp_path / "pseudonyms.json")


# -- rules and shared texts ------------------------------------------------------------------------------------------
def test_english_rules_find_planted_entities():
    text = ("Yesterday I spoke with Jasmine Okafor about her son. He goes to St Mary's Academy in Norwich and "
            "was born on 12 June 2013. You can reach her on +44 7911 123456 or jas.okafor@example.com.")
    found = {(s.kind, s.text) for s in RuleDetector("en").detect(text)}
    assert {("person", "Jasmine Okafor"), ("place", "Norwich"), ("birthdate", "12 June 2013"),
            ("phone", "+44 7911 123456"), ("email", "jas.okafor@example.com")} <= found
    assert any(k == "school" and "Academy" in t for k, t in found)


def test_ordinary_dates_and_due_dates_stay():
    text = "Ik bel dinsdag terug en stuur het voor 1 maart; op 3 april 2024 was de vergadering."
    assert RuleDetector("nl").contacts(text) == []


def test_shared_text_replaces_variants_and_keeps_participants(tmp_path):
    pseudonyms = _mapping(tmp_path, ("person", ["Tim de Vries", "Sanne"]), ("place", ["Zwolle"]))
    shared = Shared(pseudonyms, "nl", ["Sanne", "Joris"])
    out = shared.text("Sanne zag Tim in Zwolle; Tims moeder belt 06-12345678. Timmetje is blij. de tim-toets")
    assert out == ("Sanne zag [Persoon 1] in [Plaats 1]; [Persoon 1]'s moeder belt [Telefoon]. [Persoon 1] is blij. "
                   "de tim-toets")
    assert shared.text("2026-02-10_casus_tim", any_case=True) == "2026-02-10_casus_[Persoon 1]"


def test_participants_as_initials_and_labels(tmp_path):
    assert participant_map(["Sanne de Vries", "Joris", "Sara de Vos"], "initials", "nl") == {
        "Sanne de Vries": "SdV", "Joris": "J.", "Sara de Vos": "SadV"}
    assert participant_map(["Emma", "Raj"], "labels", "en") == {"Emma": "[Participant 1]", "Raj": "[Participant 2]"}
    shared = Shared(_mapping(tmp_path, ("person", ["Tim"]), mode="initials"), "nl", ["Sanne de Vries", "Joris"])
    turns = Turns({"S1": "Sanne de Vries", "S2": "Joris"}, (Turn("S1", 0, 1, "Joris, hoe gaat het met Tim?"),))
    shown = shared.turns(turns)
    assert shown.speakers == {"S1": "SdV", "S2": "J."} and shown.turns[0].text == "J., hoe gaat het met [Persoon 1]?"
    insights = Insights("nl", ("Sanne de Vries: Tim loopt weg.",), (Insight(
        1, "Tim", "Tim loopt weg.", ("Sanne de Vries",), 0.5, (Quote("Sanne de Vries", 0, 1, "Tim loopt weg."),)),),
        (Action("Joris", "Joris belt Tim dinsdag", "dinsdag", 1.0),))
    out = shared.insights(insights)
    assert out.summary == ("SdV: [Persoon 1] loopt weg.",) and out.insights[0].speakers == ("SdV",)
    assert out.insights[0].quotes[0].speaker == "SdV" and out.actions[0].owner == "J."
    assert out.actions[0].text == "J. belt [Persoon 1] dinsdag" and out.actions[0].due == "dinsdag"


def test_settings_order_cli_env_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[oogst]\npseudonymise = true\nparticipants = "initials"\n', encoding="utf-8")
    env = {"HOME": str(tmp_path)}
    assert load_settings({}, env, config=config).pseudonymise is True
    assert load_settings({}, {**env, "OOGST_PARTICIPANTS": "labels"}, config=config).participants == "labels"
    assert load_settings({"pseudonymise": False}, env, config=config).pseudonymise is False
    assert load_settings({}, env).pseudonymise is None
    # "false" outside the command line is no opinion: a pseudonymised session stays so until --no-pseudonymise
    assert load_settings({}, {**env, "OOGST_PSEUDONYMISE": "false"}).pseudonymise is None
    assert load_settings({}, {"XDG_CACHE_HOME": str(tmp_path)}).cache_dir == tmp_path / "oogst"
    config.write_text('[oogst]\nparticipants = "everyone"\n', encoding="utf-8")
    with pytest.raises(Exception, match="participants = 'everyone': choose one of keep, initials, labels"):
        load_settings({}, env, config=config)


def test_hide_and_unhide_commands(tmp_path, capsys):
    session = tmp_path / "sessie"
    session.mkdir()
    assert main(["hide", str(session), "Tim=Timmie=Tim de Vries", "Zwolle", "--as", "plaats"]) == 0
    data = json.loads((session / "pseudonyms.json").read_text(encoding="utf-8"))
    assert data["pseudonymise"] is True
    assert [(e["label"], e["names"]) for e in data["entities"]] == [
        ("[Plaats 1]", ["Tim", "Timmie", "Tim de Vries"]), ("[Plaats 2]", ["Zwolle"])]
    assert main(["unhide", str(session), "Zwolle"]) == 0
    assert "Zwolle: shown as is (was [Plaats 2])" in capsys.readouterr().out
    assert main(["hide", str(session), "X", "--as", "pupil"]) == 1
    assert "--as pupil: unknown kind" in capsys.readouterr().err
    (session / "pseudonyms.json").write_text("{", encoding="utf-8")
    assert main(["hide", str(session), "Tim"]) == 1
    err = capsys.readouterr().err
    assert "pseudonyms.json: damaged pseudonym list" in err and "Traceback" not in err


def test_hiding_a_participants_name_says_it_stays_shown(tmp_path, capsys):
    """Participants are kept by default ("keep"): hiding one's first name changes nothing in what is shared, and
    `oogst hide` says so instead of printing a label as if it were hidden."""
    session = tmp_path / "sessie"
    session.mkdir()
    turns = Turns({"S1": "Bram Jansen"}, (Turn("S1", 0, 4, "Ik breng een casus in over Ellen."),))
    (session / "turns.json").write_text(json.dumps(turns.to_dict()), encoding="utf-8")
    assert main(["hide", str(session), "Bram", "Ellen"]) == 0
    out = capsys.readouterr().out
    assert "note: Bram: a participant's name" in out and "--participants initials" in out
    assert "note: Ellen" not in out  # a third party: hidden as asked, no note
    shared = Shared(Pseudonyms.load(session / "pseudonyms.json"), "nl", ["Bram Jansen"])
    assert shared.text("Bram vertelt over Ellen.") == "Bram vertelt over [Persoon 2]."  # what the note says


# -- end to end ------------------------------------------------------------------------------------------------------
NL_ORIGINALS = ["Tim", "Timmie", "Tims", "Vries", "Ellen", "Bakker", "Daan", "Daantje", "Regenboog", "Zwolle",
                "14 februari 2015", "06-12345678", "ellen.bakker@gmail.com"]
EN_ORIGINALS = ["Liam", "Carter", "Patel", "Priya", "Noah", "Riverside", "Leeds", "3 May 2014", "07700 900123",
                "priya.patel@example.co.uk"]


def docx_text(path: Path) -> str:
    """Every XML part of a .docx (document, comments, docProps, ...) as one text, entities unescaped."""
    import html

    with zipfile.ZipFile(path) as archive:
        parts = [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                 if n.endswith((".xml", ".rels"))]
    return html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))


def eml_text(path: Path) -> str:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    parts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
        if part.get_filename():
            parts.append(part.get_filename())
    return "\n".join(parts)


def leaked(text: str, originals: list[str]) -> list[str]:
    return [o for o in originals if re.search(rf"(?<!\w){re.escape(o)}(?!\w)", text)]


def _round(tmp_path: Path, fixture: str, language: str, title: str) -> Path:
    out = tmp_path / "out"
    assert main(["run", str(DATA / fixture), "--out-dir", str(out), "--language", language, "--pseudonymise",
                 "--date", "2026-02-10", "--title", title, "-q"]) == 0
    return out / Path(fixture).stem


def _collect_and_mail(tmp_path: Path, session: Path, people: list[str], rewording: str,
                      missing: str = "") -> dict:
    from docx_helpers import CommentSpec, add_comments

    from pipeline.core.session import Session
    from pipeline.core.types import Insights as Ins
    from pipeline.privacy.shared import load_shared

    insights = Ins.from_dict(json.loads((session / "insights.json").read_text(encoding="utf-8")))
    shared = load_shared(Session(session))
    assert shared is not None and shared.pseudonyms.entities, "nothing was detected"
    shown = shared.insights(insights).insights  # comment on the texts as the draft shows them
    labelled = next(i for i in shown if re.search(r"\[(Persoon|Person) \d\]", i.text))
    other = next(i for i in shown if i.rank != labelled.rank)
    with_label = f"{labelled.title}: {labelled.text}"
    copies = []
    for n, person in enumerate(people):
        comments = [CommentSpec(with_label[:40], "+1", person),
                    CommentSpec(f"{other.title}: {other.text}"[:40], "-1", person)]
        if n == 0:
            comments.append(CommentSpec(with_label[:40], rewording, person))
            if missing:
                comments.append(CommentSpec("Zet hier een opmerking", missing, person))
        copies.append(add_comments(session / "draft.docx", tmp_path / f"copy{n}.docx", comments))
    assert main(["collect", str(session), *map(str, copies)]) == 0
    assert main(["mail", str(session), "--to", "groep@example.nl"]) == 0
    review = json.loads((session / "review.json").read_text(encoding="utf-8"))
    final = json.loads((session / "final.json").read_text(encoding="utf-8"))
    return {"review": review, "final": final, "target_rank": labelled.rank, "down": other.rank}


def _check_shared(session: Path, originals: list[str], participants: list[str], result: dict) -> None:
    draft, final, mail = docx_text(session / "draft.docx"), docx_text(session / "final.docx"), eml_text(
        session / "mail.eml")
    assert leaked(draft, originals) == [] and leaked(final, originals) == [] and leaked(mail, originals) == []
    assert all(p in draft for p in participants)
    mapping = json.loads((session / "pseudonyms.json").read_text(encoding="utf-8"))
    for text in (draft, final, mail):
        assert "pseudonyms" not in text and not any(name in text for e in mapping["entities"] for name in e["names"]
                                                    if len(name) > 3)
    # votes land on the insight commented on, through the labels
    votes = {c["target"]["index"]: c["interpretation"]["vote"] for c in result["review"]["comments"]
             if c["target"] and c["target"]["kind"] == "insight" and c["interpretation"]["vote"]}
    assert votes[result["target_rank"]] == 1 and votes[result["down"]] == -1
    reworded = [i for i in result["final"]["insights"] if i.get("reworded_by")]
    assert reworded and reworded[0]["original_rank"] == result["target_rank"]


@pytest.mark.slow
def test_dutch_session_end_to_end(tmp_path):
    session = _round(tmp_path, "casus-nl.txt", "nl", "Casus Tim de Vries")
    result = _collect_and_mail(tmp_path, session, ["Sanne", "Joris"],
                               "beter: Timmie heeft vaste afspraken nodig met zijn moeder Ellen.",
                               missing="Een gesprek met oma Greet van Dam plannen.")
    _check_shared(session, NL_ORIGINALS + ["Greet", "Dam"], ["Sanne", "Joris", "Fatima"], result)
    draft = docx_text(session / "draft.docx")
    assert "[Persoon 1]'s moeder" in draft and "Casus [Persoon 1]" in draft
    assert "dinsdag" in draft and "voor 1 maart" in draft
    assert "[Geboortedatum]" in draft and "[School 1]" in draft and "[Plaats 1]" in draft
    assert "[Telefoon]" in draft and "[E-mail]" in draft
    final = docx_text(session / "final.docx")
    assert "[Persoon 1] heeft vaste afspraken nodig" in final  # the reviewer's own words, pseudonymised
    assert "oma [Persoon 4]" in final  # a name only a reviewer wrote (a proposal): learnt at collect
    # internal artefacts keep the originals
    assert "Timmie" in (session / "turns.json").read_text(encoding="utf-8")
    # unhide invalidates the draft: the town is shown again
    assert main(["unhide", str(session), "Zwolle"]) == 0
    assert main(["run", str(DATA / "casus-nl.txt"), "--out-dir", str(session.parent), "--date", "2026-02-10",
                 "--title", "Casus Tim de Vries", "-q"]) == 0
    assert "Zwolle" in docx_text(session / "draft.docx") and "Timmie" not in docx_text(session / "draft.docx")


@pytest.mark.slow
def test_english_session_end_to_end(tmp_path):
    session = _round(tmp_path, "casus-en.txt", "en", "Case Liam")
    result = _collect_and_mail(tmp_path, session, ["Emma", "Raj"],
                               "better: Liam needs fixed agreements with Mrs Patel.")
    _check_shared(session, EN_ORIGINALS, ["Emma", "Raj", "Olivia"], result)
    draft = docx_text(session / "draft.docx")
    assert "Tuesday" in draft and "before 1 March" in draft and "[Date of birth]" in draft
    assert "[Place 1]" in draft and "[School 1]" in draft


def _without_bookmarks(src: Path, dst: Path) -> Path:
    """A copy as a program that drops bookmarks saves it: comments must then be matched by their paragraph's text."""
    import docx
    from docx.oxml.ns import qn

    doc = docx.Document(str(src))
    for tag in ("w:bookmarkStart", "w:bookmarkEnd"):
        for element in list(doc.element.body.iter(qn(tag))):
            element.getparent().remove(element)
    doc.save(str(dst))
    return dst


@pytest.mark.slow
def test_comments_without_bookmarks_match_the_pseudonymised_text(tmp_path):
    from docx_helpers import CommentSpec, add_comments

    from pipeline.core.session import Session
    from pipeline.privacy.shared import load_shared

    session = _round(tmp_path, "casus-en.txt", "en", "Case")
    insights = Insights.from_dict(json.loads((session / "insights.json").read_text(encoding="utf-8")))
    shared = load_shared(Session(session))
    assert shared is not None
    labelled = next(i for i in shared.insights(insights).insights if re.search(r"\[Person \d\]", i.text))
    commented = add_comments(session / "draft.docx", tmp_path / "c.docx",
                             [CommentSpec(f"{labelled.title}: {labelled.text}"[:40], "+1", "Emma")])
    stripped = _without_bookmarks(commented, tmp_path / "stripped.docx")
    assert main(["collect", str(session), str(stripped), "--fresh"]) == 0
    review = json.loads((session / "review.json").read_text(encoding="utf-8"))
    [comment] = review["comments"]
    assert comment["target"] == {"kind": "insight", "index": labelled.rank, "via": "text",
                                 "title": insights.insights[labelled.rank - 1].title}


@pytest.mark.slow
def test_participants_as_initials_end_to_end(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(DATA / "casus-en.txt"), "--out-dir", str(out), "--language", "en", "--pseudonymise",
                 "--participants", "initials", "--date", "2026-02-10", "-q"]) == 0
    draft = docx_text(out / "casus-en" / "draft.docx")
    assert leaked(draft, ["Emma", "Raj", "Olivia"]) == [] and "O.:" in draft
    # only --no-pseudonymise turns it back
    assert main(["run", str(DATA / "casus-en.txt"), "--out-dir", str(out), "--language", "en", "--date",
                 "2026-02-10", "--no-pseudonymise", "-q"]) == 0
    assert "Liam" in docx_text(out / "casus-en" / "draft.docx")


@pytest.mark.slow
def test_a_name_in_the_file_name_is_hidden_in_title_properties_and_mail(tmp_path, capsys):
    recording = tmp_path / "2026-02-10_case-pietje-puk.txt"
    recording.write_text((DATA / "casus-en.txt").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(recording), "--out-dir", str(out), "--language", "en", "--pseudonymise", "-q"]) == 0
    session = out / recording.stem
    assert main(["mail", str(session), "--to", "groep@example.nl", "--draft"]) == 0
    for text in (docx_text(session / "draft.docx"), eml_text(session / "mail.eml")):
        assert not re.search(r"(?i)pietje|puk", text) and "[Name 1] [Name 2]" in text
    capsys.readouterr()
    assert main(["collect", str(session), str(session / "draft.docx")]) == 0
    assert "was made for session folder" not in capsys.readouterr().err  # its pseudonymised session name is known


def test_a_participant_keeps_their_initials_when_a_third_party_shares_the_first_name(tmp_path):
    pseudonyms = _mapping(tmp_path, ("person", ["Sanne Bos"]), mode="initials")
    shared = Shared(pseudonyms, "nl", ["Sanne de Vries"])
    assert shared.text("Sanne belde Sanne Bos.") == "SdV belde [Persoon 1]."
