"""A group's series: membership kept in the session folder, the series changed under a lock, open actions carried
into the next draft with the moment they were mentioned, and an action marked done in a comment not carried again.

The end-to-end test runs the real pipeline (imported transcripts written here, real insights stage, real .docx
round trip through `oogst collect`) on a series of three sessions."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import docx
import pytest
from docx_helpers import CommentSpec, add_comments

from pipeline.cli import main
from pipeline.core.errors import ConfigError, SessionError
from pipeline.core.layers import text_key
from pipeline.core.session import Session
from pipeline.core.settings import Settings
from pipeline.review.final import collect
from pipeline.series.actions import is_done_comment
from pipeline.series.store import (
    SERIES_FILE,
    check_name,
    choose_series,
    load_series,
    member_of,
    series_root,
    update_series,
)
from pipeline.service import run_recording

ROOT = Path(__file__).resolve().parents[1]

SESSION_1 = """\
[00:00:05] Anna: Welkom allemaal bij de intervisie. Vandaag bespreken we de casus van Bram over de overdracht.
[00:00:20] Bram: Bij ons gaat de overdracht van cliënten vaak mis, omdat niemand zich eigenaar voelt van het dossier.
[00:00:40] Carla: Herken ik. Bij ons ontbreekt een vast overdrachtsmoment, dus informatie valt tussen wal en schip.
[00:01:00] Dirk: Wat zou er gebeuren als je per cliënt één eigenaar aanwijst die de overdracht afrondt?
[00:01:20] Bram: Dat zou helpen. Eigenaarschap expliciet maken is volgens mij de kern van het probleem.
[00:01:40] Anna: De werkdruk speelt ook mee. Als iedereen te veel cliënten heeft, schiet de overdracht erbij in.
[00:02:00] Carla: Ja, de werkdruk is echt hoog. We zouden de werkdruk in het team vaker moeten benoemen.
[00:02:20] Dirk: Een vaste checklist voor de overdracht maakt het minder afhankelijk van wie er dienst heeft.
[00:02:40] Bram: Ik stuur vrijdag het format voor het overdrachtsdossier rond naar de groep.
[00:03:00] Carla: Ik plan volgende week een gesprek met de teamleider over de werkdruk.
[00:03:20] Anna: Mooi. Wat neem je mee, Bram?
[00:03:30] Bram: Dat ik eigenaarschap expliciet moet maken, en dat een checklist de overdracht rustiger maakt.
"""
SESSION_2 = """\
[00:00:05] Anna: Welkom terug. Voordat we beginnen: hoe staat het met de afspraken van vorige keer?
[00:00:15] Bram: Ik heb het format voor het overdrachtsdossier rondgestuurd naar de groep, jullie hebben het gekregen.
[00:00:30] Carla: Het gesprek met de teamleider heb ik nog niet gehad, dat staat nu voor volgende maand.
[00:00:45] Anna: Vandaag de casus van Dirk, over een ouder die steeds boos belt.
[00:01:00] Dirk: Een moeder belt bijna elke dag boos op, en ik merk dat ik het gesprek ga ontwijken.
[00:01:20] Carla: Wat maakt dat je het gesprek ontwijkt? Is het de toon of de inhoud?
[00:01:40] Dirk: Vooral de toon. Ik voel me aangevallen en dan word ik defensief.
[00:02:00] Bram: Grenzen stellen in het gesprek helpt mij. Ik zeg dan dat ik wil luisteren als we rustig praten.
[00:02:20] Anna: Een vast belmoment afspreken met de moeder geeft haar zekerheid en jou rust.
[00:02:40] Dirk: Ik spreek volgende week met de moeder een vast belmoment af.
[00:03:00] Anna: Wat neem je mee, Dirk?
[00:03:10] Dirk: Grenzen stellen en een vast belmoment, zodat ik niet meer defensief word.
"""
SESSION_3 = """\
[00:00:05] Anna: Welkom. Vandaag komt Carla met een casus over haar team.
[00:00:20] Carla: De werkdruk in mijn team is weer enorm opgelopen, twee collega's zitten thuis.
[00:00:40] Bram: Wordt de werkdruk in het team wel benoemd, of gaat iedereen gewoon door?
[00:01:00] Carla: Iedereen gaat door. Niemand zegt hardop dat het te veel is, dus de werkdruk blijft onzichtbaar.
[00:01:20] Dirk: Als je de werkdruk niet benoemt, kan de teamleider er ook niets mee.
[00:01:40] Anna: Een nieuwe collega inwerken kost ook tijd. Een inwerkprogramma met een vaste buddy helpt daarbij.
[00:02:00] Bram: Bij ons heeft elke nieuwe collega een buddy voor de eerste zes weken, dat werkt goed.
[00:02:20] Carla: Ik ga morgen een buddy regelen voor de nieuwe collega.
[00:02:40] Anna: Wat neem je mee, Carla?
[00:02:50] Carla: De werkdruk hardop benoemen in het team, en een buddy voor nieuwe collega's.
"""


def carried_rows(path: Path, heading: str = "Vorige keer afgesproken") -> list[list[str]]:
    """The rows of the draft's "Vorige keer afgesproken" table (read back from the file), header left out."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = docx.Document(str(path))
    body = list(doc.element.body.iterchildren())
    heading = next(i for i, el in enumerate(body)
                   if el.tag.endswith("}p") and Paragraph(el, doc).text == heading)
    table = Table(next(el for el in body[heading:] if el.tag.endswith("}tbl")), doc)
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


@pytest.mark.slow
def test_series_of_three_sessions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "outputs"
    files = []
    for day, text in (("2026-03-04", SESSION_1), ("2026-03-18", SESSION_2), ("2026-04-01", SESSION_3)):
        files.append(tmp_path / f"{day}_intervisie-west.txt")
        files[-1].write_text(text, encoding="utf-8")
    assert main(["run", "-q", "--out-dir", str(out), "--series", "west", str(files[0])]) == 0
    first = Session(out / "2026-03-04_intervisie-west")
    assert member_of(first) == "west"
    assert not first.path("series-carried.json").read_text().strip("{}\n ")  # nothing earlier to carry
    headings = [p.text for p in docx.Document(str(first.path("draft.docx"))).paragraphs]
    assert "Vorige keer afgesproken" not in headings

    # session 2 in the same series: the open actions of session 1, with the moment they came up
    assert main(["run", "-q", "--out-dir", str(out), "--series", "west", str(files[1])]) == 0
    second = Session(out / "2026-03-18_intervisie-west")
    rows = carried_rows(second.path("draft.docx"))
    bram = next(r for r in rows if r[1].startswith("Ik stuur vrijdag het format"))
    assert bram[0] == "Bram" and bram[2].startswith("vrijdag (6 maart") and bram[3] == "4 maart 2026"
    assert bram[4].startswith("[00:15] Bram: \u201cIk heb het format voor het overdrachtsdossier rondgestuurd")
    carla = next(r for r in rows if r[1].startswith("Ik plan volgende week een gesprek"))
    assert carla[4].startswith("[00:30] Carla:")
    # the pointer is a link to the transcript turn of that moment
    doc = docx.Document(str(second.path("draft.docx")))
    anchors = doc.element.body.xpath(".//w:hyperlink/@w:anchor")
    turns = json.loads(second.path("turns.json").read_text())["turns"]
    by_id = {t["id"]: t for t in turns}
    linked = [by_id[a.removeprefix("oogst_turn_")] for a in anchors]  # by the turn's id (issue 27)
    assert any(t["start"] == 15.0 and t["speaker"] == "Bram" for t in linked)
    marks = set(doc.element.body.xpath(".//w:bookmarkStart/@w:name"))
    assert {a for a in anchors} <= marks

    # a later run without --series keeps the session in its series
    assert main(["run", "-q", "--out-dir", str(out), "--from", "draft", str(files[1])]) == 0
    assert member_of(second) == "west"
    assert set(load_series(series_root(out, "west"))["sessions"]) == {first.name, second.name}

    # a participant marks Bram's action "gedaan" in their copy; `oogst collect` records it
    copy = add_comments(second.path("draft.docx"), tmp_path / "carla.docx",
                        [CommentSpec("Ik stuur vrijdag het format", "Gedaan, heb ik ontvangen.", "Carla Smit"),
                         CommentSpec("Ik plan volgende week een gesprek", "nog niet klaar", "Carla Smit")])
    capsys.readouterr()
    assert main(["collect", "--out-dir", str(out), second.name, str(copy)]) == 0
    assert "marked done by Carla Smit" in capsys.readouterr().err
    done = load_series(series_root(out, "west"))["done"]
    assert set(done) == {f"{first.name}#{text_key(a['text'])}" for a in json.loads(
        first.path("insights.json").read_text())["actions"] if a["text"].startswith("Ik stuur vrijdag")}

    # session 3: Bram's action is no longer carried; Carla's (not done) and Dirk's (session 2) are
    assert main(["run", "-q", "--out-dir", str(out), "--series", "west", str(files[2])]) == 0
    rows = carried_rows(out / "2026-04-01_intervisie-west" / "draft.docx")
    texts = [r[1] for r in rows]
    assert not any(t.startswith("Ik stuur vrijdag het format") for t in texts)
    assert any(t.startswith("Ik plan volgende week een gesprek") for t in texts)
    assert any(t.startswith("Ik spreek volgende week met de moeder") for t in texts)

    # themes: every insight of session 3 is marked; the werkdruk theme of session 1 (not session 2) recurs
    third = docx.Document(str(out / "2026-04-01_intervisie-west" / "draft.docx")).paragraphs
    marks = {p.text: third[i + 1].text for i, p in enumerate(third) if p.style.name == "List Number"}
    assert len(marks) == 7 and all(m.startswith(("Terugkerend thema (", "Nieuw thema")) for m in marks.values())
    werkdruk = [m for text, m in marks.items() if "werkdruk" in text.split(":")[0].lower()]
    assert "Terugkerend thema (2e keer, sinds 4 maart)" in werkdruk
    assert any(m == "Nieuw thema in deze reeks" for text, m in marks.items() if "buddy" in text.lower())
    first_marks = [p.text for p in docx.Document(str(first.path("draft.docx"))).paragraphs]
    assert not any(t.startswith(("Terugkerend thema", "Nieuw thema")) for t in first_marks)  # nothing to compare

    # a later session does not change what an earlier draft shows: re-running session 2 redoes nothing
    again = run_recording(files[1], Settings(out_dir=out))
    assert "draft" in again.skipped and not again.stage_seconds

    # a copy collected the way the web app does (the library call, no CLI): `series show` still sees the mark
    third_session = Session(out / "2026-04-01_intervisie-west")
    copy = docx.Document(str(third_session.path("draft.docx")))
    cell = next(c for t in copy.tables for row in t.rows for c in row.cells  # the row in the action table
                if c.text.startswith("Ik ga morgen een buddy regelen"))
    copy.add_comment(cell.paragraphs[0].runs, text="klaar", author="Dirk Bakker", initials="DB")
    copy.save(str(tmp_path / "dirk.docx"))
    collect(third_session, [tmp_path / "dirk.docx"])

    capsys.readouterr()
    assert main(["series", "show", "west", "--out-dir", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "3 session(s)" in shown and "marked done by Carla Smit" in shown
    assert "marked done by Dirk Bakker in 2026-04-01_intervisie-west" in shown
    overview = docx.Document(str(series_root(out, "west") / "series.docx"))
    attendance, speaking, themes, actions = ([[c.text for c in row.cells] for row in t.rows] for t in overview.tables)
    assert attendance[0] == ["Wie", "4 maart", "18 maart", "1 april"]
    assert {row[0] for row in attendance[1:]} == {"Anna", "Bram", "Carla", "Dirk"}
    third_turns = json.loads((out / "2026-04-01_intervisie-west" / "turns.json").read_text())["turns"]
    carla = sum(t["end"] - t["start"] for t in third_turns if t["speaker"] == "Carla")
    total = sum(t["end"] - t["start"] for t in third_turns)
    assert next(r for r in speaking if r[0] == "Carla")[3] == f"{round(100 * carla / total)} %"
    # the werkdruk theme of sessions 1 and 3 (its label is the first insight's title, which may not say "werkdruk")
    assert any("4 maart" in row[2] and "1 april" in row[2] for row in themes[1:])
    status = {row[1]: row[4] for row in actions[1:]}
    sent = next(t for t in status if t.startswith("Ik stuur vrijdag"))
    assert status[sent] == "gedaan (volgens Carla Smit, 18 maart)"
    assert status[next(t for t in status if t.startswith("Ik plan volgende week"))] == "open"


@pytest.mark.parametrize(("text", "done"), [
    ("klaar", True), ("Gedaan!", True), ("done", True), ("Is afgerond, zie mail", True), ("Done :)", True),
    ("nog niet klaar", False), ("niet gedaan", False), ("bijna klaar", False), ("not done yet", False),
    ("klaar?", False), ("+1", False), ("eens", False), ("Klaarblijkelijk lastig", False),
])
def test_done_comments(text: str, done: bool) -> None:
    assert is_done_comment(text) is done


def test_series_names_and_membership(tmp_path: Path) -> None:
    assert check_name(" intervisie west ") == "intervisie west"
    for bad in ("../elders", ".verborgen", "a/b", "", "-x", "x" * 70):
        with pytest.raises(ConfigError):
            check_name(bad)
    session = Session.create(tmp_path, "s1")
    assert choose_series(session, None) is None
    assert choose_series(session, "west") == "west"
    assert choose_series(session, None) == "west"  # kept for a later run
    assert main(["run", "--out-dir", str(tmp_path), "--remember-voices", str(tmp_path / "nergens.txt")]) == 1
    # moving a session to another series takes it out of the first one
    update_series(series_root(tmp_path, "west"), "test", lambda data: data["sessions"].update({"s1": {}}))
    assert choose_series(session, "oost") == "oost" and member_of(session) == "oost"
    assert "s1" not in load_series(series_root(tmp_path, "west"))["sessions"]
    # a damaged series record: one clear line, nothing overwritten
    (series_root(tmp_path, "west") / SERIES_FILE).write_text("{half", encoding="utf-8")
    with pytest.raises(SessionError, match="damaged, not a series record"):
        load_series(series_root(tmp_path, "west"))
    assert (series_root(tmp_path, "west") / SERIES_FILE).read_text() == "{half"


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two processes keep adding sessions to one series at the same time: every addition is there."""
    root = series_root(tmp_path, "west")
    code = textwrap.dedent("""
        import sys
        from pathlib import Path
        from pipeline.series.store import update_series
        root, who = Path(sys.argv[1]), sys.argv[2]
        for i in range(25):
            update_series(root, who, lambda data: data["sessions"].setdefault(f"{who}-{i}", {"date": ""}))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(root), who], cwd=ROOT) for who in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    sessions = json.loads((root / SERIES_FILE).read_text())["sessions"]
    assert set(sessions) == {f"{who}-{i}" for who in ("a", "b") for i in range(25)}
    update_series(root, "test", lambda data: None)  # the lock is free again


def test_theme_marks_count_the_sessions_and_the_first_date() -> None:
    from pipeline.series.themes import mark_text, theme_marks

    def session(date: str, *insights: tuple[str, str]) -> tuple[str, dict]:
        return date, {"date": date, "insights": [{"rank": r, "title": t, "text": x}
                                                 for r, (t, x) in enumerate(insights, start=1)]}

    earlier = [session("2025-11-04", ("Grenzen aangeven", "Grenzen aangeven bij ouders kost veel energie.")),
               session("2026-01-13", ("Planning", "De planning van de roosters loopt steeds uit.")),
               session("2026-02-10", ("Grenzen bewaken", "Wie grenzen bewaakt, houdt meer energie over."))]
    now = [{"rank": 1, "title": "Grenzen stellen", "text": "Grenzen stellen aan ouders geeft rust en energie."},
           {"rank": 2, "title": "Grenzen", "text": "Een mooi moment om af te sluiten."},
           {"rank": 3, "title": "Nieuwe collega's", "text": "Nieuwe collega's krijgen een vaste buddy."}]
    marks = theme_marks(now, earlier, "nl")
    assert [(m.times, m.since) for m in marks] == [(3, "2025-11-04"), (1, ""), (1, "")]
    assert mark_text(marks[0], "nl", "2026-03-04") == "Terugkerend thema (3e keer, sinds 4 november 2025)"
    assert mark_text(marks[2], "nl", "2026-03-04") == "Nieuw thema in deze reeks"
    assert mark_text(marks[0], "en", "2025-12-01") == "Recurring theme (3rd time, since 4 November)"


@pytest.mark.slow
def test_pseudonymised_draft_hides_third_parties_of_earlier_actions(tmp_path: Path) -> None:
    """A third party named in an earlier session's action is a label in a pseudonymised later draft too (English:
    the rules alone, no deduce start-up)."""
    out = tmp_path / "outputs"
    first = tmp_path / "2026-03-04_team.txt"
    first.write_text("[00:00:05] Anna: Welcome everyone. Today we talk about a difficult pupil.\n"
                     "[00:00:20] Bram: I will call the mother of Sem Bakker on Friday about his report.\n"
                     "[00:00:40] Carla: Good plan, that gives everyone some peace.\n", encoding="utf-8")
    second = tmp_path / "2026-03-18_team.txt"
    second.write_text("[00:00:05] Anna: Welcome back. How did the talk with the mother go?\n"
                      "[00:00:20] Bram: I called the mother about the report, it was a good talk.\n"
                      "[00:00:40] Carla: Good to hear.\n", encoding="utf-8")
    common = ["run", "-q", "--out-dir", str(out), "--language", "en", "--series", "team"]
    assert main([*common, str(first)]) == 0
    assert main([*common, "--pseudonymise", str(second)]) == 0
    rows = carried_rows(out / "2026-03-18_team" / "draft.docx", "Agreed last time")
    bram = next(r for r in rows if r[0] == "Bram")
    assert "Sem" not in bram[1] and "Bakker" not in bram[1] and "[Person" in bram[1], bram
    assert bram[4].startswith("[00:20] Bram:")  # the moment is still found (on the real words)


FIRST = """\
[00:00:05] Anna: Welkom bij de intervisie. Vandaag gaat het over de overdracht van dossiers in het team.
[00:00:20] Bram: Ik stuur vrijdag het format voor het overdrachtsdossier naar de groep.
[00:00:40] Carla: Ik plan volgende week een gesprek met de teamleider over de werkdruk.
[00:01:00] Dirk: Ik zoek voor de volgende sessie een artikel over eigenaarschap op.
[00:01:20] Anna: Eigenaarschap van een dossier maakt de overdracht rustiger, dat hoor ik jullie allemaal zeggen.
"""
SECOND = """\
[00:00:05] Anna: Welkom terug. Vandaag brengt Dirk een casus in over een moeder die steeds boos belt.
[00:00:20] Dirk: Een moeder belt bijna elke dag boos op, en ik merk dat ik het gesprek ga ontwijken.
[00:00:40] Carla: Grenzen stellen in het gesprek helpt mij om rustig te blijven.
[00:01:00] Dirk: Ik spreek volgende week met de moeder een vast belmoment af.
"""


def two_sessions(tmp_path: Path) -> tuple[Path, list[Path], Session, Session]:
    out = tmp_path / "outputs"
    files = []
    for day, text in (("2026-03-04", FIRST), ("2026-03-18", SECOND)):
        files.append(tmp_path / f"{day}_west.txt")
        files[-1].write_text(text, encoding="utf-8")
        assert main(["run", "-q", "--out-dir", str(out), "--series", "west", str(files[-1])]) == 0
    return out, files, Session(out / "2026-03-04_west"), Session(out / "2026-03-18_west")


def comment_on_row(src: Path, dst: Path, start: str, text: str, author: str) -> Path:
    """A copy of a draft with a comment on the table cell (an action's row) that starts with `start`."""
    copy = docx.Document(str(src))
    cell = next(c for t in copy.tables for row in t.rows for c in row.cells if c.text.startswith(start))
    copy.add_comment(cell.paragraphs[0].runs, text=text, author=author, initials=author[:2])
    copy.save(str(dst))
    return dst


def action_key(session: Session, start: str) -> str:
    actions = json.loads(session.path("insights.json").read_text())["actions"]
    return next(f"{session.name}#{text_key(a['text'])}" for a in actions if a["text"].startswith(start))


def test_a_comment_on_a_carried_row_marks_that_action_after_the_draft_is_drawn_again(tmp_path: Path) -> None:
    """The carried rows of a later session's draft renumber when it is drawn again (an action was marked done in
    the meantime); a copy of the earlier draft still marks the action its comment is on, not the row's new one."""
    out, files, first, second = two_sessions(tmp_path)
    before = [r[1] for r in carried_rows(second.path("draft.docx"))]
    assert [t.split()[1] for t in before] == ["stuur", "plan", "zoek"]
    sent = tmp_path / "second-as-sent.docx"
    sent.write_bytes(second.path("draft.docx").read_bytes())  # the copy participants got

    # the first session's own review comes back late: Bram's action is done there
    late = comment_on_row(first.path("draft.docx"), tmp_path / "first-anna.docx", "Ik stuur vrijdag het format",
                          "gedaan", "Anna de Wit")
    assert main(["collect", "--out-dir", str(out), first.name, str(late)]) == 0
    # so the second draft is drawn again: Bram's row is gone and the others move up a row
    assert main(["run", "-q", "--out-dir", str(out), "--from", "draft", str(files[1])]) == 0
    after = [r[1] for r in carried_rows(second.path("draft.docx"))]
    assert [t.split()[1] for t in after] == ["plan", "zoek"]

    # a copy of the draft as it was sent: "gedaan" on Carla's row (row 2 then, row 1 now)
    copy = comment_on_row(sent, tmp_path / "second-eva.docx", "Ik plan volgende week een gesprek",
                          "Gedaan, vorige week.", "Eva Smit")
    assert main(["collect", "--out-dir", str(out), second.name, str(copy)]) == 0
    done = load_series(series_root(out, "west"))["done"]
    carla, dirk = action_key(first, "Ik plan volgende week"), action_key(first, "Ik zoek voor de volgende")
    assert done[carla]["by"] == "Eva Smit" and done[carla]["session"] == second.name
    assert dirk not in done
    carried = json.loads(second.path("series-carried.json").read_text())
    assert action_key(first, "Ik stuur vrijdag") in carried.values()  # the earlier draft's rows are still known


def test_a_deleted_session_leaves_the_series(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A session whose folder is gone is not listed, its actions are not carried and its voices are dropped; done
    marks given in it still count."""
    import shutil

    from pipeline.core.session import VOICE_PROFILES as VOICES_FILE
    from pipeline.series.voices import load_profiles

    out, files, first, second = two_sessions(tmp_path)
    root = series_root(out, "west")
    profile = {"sum": [1.0, 0.0], "windows": 10}
    (root / VOICES_FILE).write_text(json.dumps({"profiles": {
        "Bram": {"centroid": [1.0, 0.0], "windows": 20, "sessions": {first.name: profile, second.name: profile}},
        "Anna": {"centroid": [1.0, 0.0], "windows": 10, "sessions": {first.name: profile}}}}), encoding="utf-8")

    shutil.rmtree(first.root)
    capsys.readouterr()
    assert main(["series", "show", "west", "--out-dir", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "1 session(s)" in shown and f"{first.name}: left the series" in shown
    assert "open action points: 1" in shown and "Ik stuur vrijdag" not in shown
    entry = load_series(root)["sessions"][first.name]
    assert set(entry) == {"date", "gone"} and entry["date"] == "2026-03-04"  # what was said there is not kept
    profiles = load_profiles(root)
    assert set(profiles) == {"Bram"} and set(profiles["Bram"]["sessions"]) == {second.name}
    overview = docx.Document(str(root / "series.docx"))
    assert overview.tables[0].rows[0].cells[1].text == "18 maart"  # attendance: only the session still there
    # the next draft of the second session no longer carries the deleted session's actions
    assert main(["run", "-q", "--out-dir", str(out), "--from", "draft", str(files[1])]) == 0
    headings = [p.text for p in docx.Document(str(second.path("draft.docx"))).paragraphs]
    assert "Vorige keer afgesproken" not in headings
