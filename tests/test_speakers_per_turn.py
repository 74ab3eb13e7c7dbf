"""Stable turn ids and speakers per turn (issue 27): every turn of turns.json has an id that a re-run keeps and that
an old session gets on its next run; turns moved, split and merged in speaker-changes.json, applied by the names
stage after the line corrections, undoable, surviving a re-run. Real runs of the stages up to names on a small
imported transcript (seconds), the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.errors import OogstError
from pipeline.core.session import (
    CORRECTIONS,
    DIARIZATION,
    DRAFT,
    INSIGHTS,
    SPEAKER_CHANGES,
    TRANSCRIPT,
    TURNS,
    Session,
)
from pipeline.core.settings import Settings
from pipeline.core.types import RunRequest, Turn, Turns, Word, turn_id
from pipeline.service import Oogst
from pipeline.speakers.per_turn import apply_speaker_changes, split_at

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """[00:00:02] Anna: Welcome everyone, today we talk about the handover between the two teams.
[00:00:09] Ben: Thanks. The handover often goes wrong because nobody feels responsible for the client.
[00:00:17] Anna: I recognise that. We agreed that one person stays the contact until the handover is done.
[00:00:25] Carl: Does that also work when that person is ill? Then everything stops.
[00:00:31] Ben: Then the team leader steps in. The main thing is that it is written down.
"""


def said(n: int) -> str:
    return SCRIPT.splitlines()[n].split(": ", 1)[1]


def run_until_names(tmp: Path, oogst: Oogst) -> Session:
    source = tmp / "handover.txt"
    if not source.exists():
        source.write_text(SCRIPT, encoding="utf-8")
    oogst.run(RunRequest(str(source), language="en", until="names"))
    return oogst.session("handover")


@pytest.fixture
def oogst(tmp_path: Path) -> Oogst:
    return Oogst(Settings(out_dir=tmp_path / "outputs", models_dir=ROOT / "models", quiet=True))


def ids_and_speakers(session: Session) -> list[tuple[str, str, str]]:
    turns = session.turns()
    return [(t.id, turns.name(t.speaker), t.text) for t in turns.turns]


def test_every_turn_has_an_id_a_rerun_keeps_and_an_old_session_gets(tmp_path: Path, oogst: Oogst) -> None:
    session = run_until_names(tmp_path, oogst)
    raw = session.read(TURNS)["turns"]
    assert [t["id"] for t in raw] == [turn_id(t["start"]) for t in raw] == ["t200", "t900", "t1700", "t2500", "t3100"]
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", start="names", until="names"))
    assert [t["id"] for t in session.read(TURNS)["turns"]] == [t["id"] for t in raw]
    old = session.read(TURNS)  # a session made before ids: no key "id"; the stage's record still matches
    for turn in old["turns"]:
        del turn["id"]
    session.write(TURNS, old)
    assert [t.id for t in session.turns().turns] == [t["id"] for t in raw]  # read: filled in from the start
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", until="names"))
    assert [t["id"] for t in session.read(TURNS)["turns"]] == [t["id"] for t in raw]  # written on the next run


def test_moved_split_and_merged_speakers_survive_a_rerun_and_undo(tmp_path: Path, oogst: Oogst) -> None:
    session = run_until_names(tmp_path, oogst)
    oogst.correct_line(session, 3, "Does that also work when that person is sick? Then everything stops.")
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", until="names"))
    oogst.change_speaker(session, "move", turn="t900", speaker="Carl")
    oogst.change_speaker(session, "split", turn="t2500", word=10, speaker="new")  # "Then everything stops."
    oogst.change_speaker(session, "merge", source="Anna", into="Ben")
    shown = ids_and_speakers(session)
    assert shown == [("t200", "Ben", said(0)),
                     ("t900", "Carl", said(1)),
                     ("t1700", "Ben", said(2)),
                     ("t2500", "Carl", "Does that also work when that person is sick?"),
                     ("t2500w9", "S1", "Then everything stops."),
                     ("t3100", "Ben", said(4))]
    assert set(session.turns().speakers) == {"Ben", "Carl", "S1"}
    assert session.diarization().turns[3].text.endswith("ill? Then everything stops.")  # the diarizer's: untouched
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", until="names"))
    assert ids_and_speakers(session) == shown  # the names stage applies the layer the same way
    oogst.name_speakers(session, {"S1": "Dana"})  # the new label: an import names its speakers
    oogst.correct_line(session, 4, "Then it all stops.")  # a split-off part: corrected by its id
    assert "t2500w9" in session.corrections()
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", until="names"))
    assert ids_and_speakers(session)[4] == ("t2500w9", "Dana", "Then it all stops.")

    for _ in range(3):
        oogst.change_speaker(session, "undo")
    assert [(i, who) for i, who, _ in ids_and_speakers(session)] == [
        ("t200", "Anna"), ("t900", "Ben"), ("t1700", "Anna"), ("t2500", "Carl"), ("t3100", "Ben")]
    joined = "Does that also work when that person is sick? Then it all stops."  # both parts' corrections kept
    assert session.turns().turns[3].text == joined and session.corrections()["t2500"]["text"] == joined
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", until="names"))
    assert session.turns().turns[3].text == joined
    assert [(i, who) for i, who, _ in ids_and_speakers(session)] == [
        ("t200", "Anna"), ("t900", "Ben"), ("t1700", "Anna"), ("t2500", "Carl"), ("t3100", "Ben")]
    with pytest.raises(OogstError, match="no speaker change to undo"):
        oogst.change_speaker(session, "undo")


def test_wrong_changes_are_one_line_errors_and_change_nothing(tmp_path: Path, oogst: Oogst) -> None:
    session = run_until_names(tmp_path, oogst)
    before = session.path(TURNS).read_bytes()
    for op, kwargs, key in (("move", {"turn": "t999", "speaker": "Ben"}, "turn_gone"),
                            ("move", {"turn": "t900", "speaker": "Zoe"}, "speaker_unknown"),
                            ("split", {"turn": "t900", "word": 1, "speaker": "Ben"}, "split_word"),
                            ("split", {"turn": "t900", "word": 99, "speaker": "Ben"}, "split_word"),
                            ("merge", {"source": "Ben", "into": "Ben"}, "merge_same")):
        with pytest.raises(OogstError) as caught:
            oogst.change_speaker(session, op, **kwargs)  # type: ignore[arg-type]
        assert caught.value.key == key and "\n" not in str(caught.value)
    assert session.path(TURNS).read_bytes() == before and not session.has(SPEAKER_CHANGES)


def test_a_change_whose_turn_is_gone_is_skipped_and_kept() -> None:
    turns = Turns.from_dict({"speakers": {"S1": "S1", "S2": "S2"}, "turns": [
        {"speaker": "S1", "start": 1.0, "end": 2.0, "text": "een twee drie"},
        {"speaker": "S2", "start": 3.0, "end": 4.0, "text": "vier vijf"}]})
    changes = [{"op": "move", "turn": "t777", "speaker": "S2"}, {"op": "split", "turn": "t100", "word": 1,
                                                                   "speaker": "S2"}]
    out = apply_speaker_changes(turns, changes)
    assert [(t.id, t.speaker, t.text, t.start, t.end) for t in out.turns] == [
        ("t100", "S1", "een", 1.0, 1.308), ("t100w1", "S2", "twee drie", 1.308, 2.0),
        ("t300", "S2", "vier vijf", 3.0, 4.0)]


def test_the_cli_lists_moves_merges_and_undoes(tmp_path: Path, oogst: Oogst) -> None:
    session = run_until_names(tmp_path, oogst)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", "speakers", str(session.root), *args,
                               "--no-run"], cwd=ROOT, capture_output=True, text=True)  # the follow-up: below

    listed = cli("list")
    assert listed.returncode == 0 and "t900" in listed.stdout and "Ben" in listed.stdout
    assert cli("move", "t900", "Anna").returncode == 0
    assert session.turns().turns[1].speaker == "Anna"
    assert cli("merge", "Carl", "Ben").returncode == 0
    assert "Carl" not in session.turns().speakers
    bad = cli("split", "t900", "one", "Ben")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert cli("undo").returncode == 0 and cli("undo").returncode == 0
    assert [t.speaker for t in session.turns().turns] == ["Anna", "Ben", "Anna", "Carl", "Ben"]
    assert json.loads(session.path(SPEAKER_CHANGES).read_text())["changes"] == []
    assert not session.corrections() and not session.has(CORRECTIONS) and session.has(DIARIZATION)


def test_draft_bookmarks_name_turns_by_id_and_old_numbered_ones_still_read() -> None:
    from pipeline.review.ooxml import Target, target_from_bookmark
    from pipeline.series.actions import OpenAction, find_mentions

    assert target_from_bookmark("oogst_turn_t2500w9") == Target("transcript", None, "oogst_turn_t2500w9", "t2500w9")
    assert target_from_bookmark("oogst_turn_12") == Target("transcript", 12, "oogst_turn_12")  # a draft sent before
    turns = Turns.from_dict({"speakers": {"S1": "Anna"}, "turns": [
        {"speaker": "S1", "start": 1.0, "end": 2.0, "text": "Goedemorgen allemaal."},
        {"speaker": "S1", "start": 3.0, "end": 9.0, "text": "De checklist voor de overdracht heb ik gemaakt."}]})
    action = OpenAction("s#1", None, "Een checklist voor de overdracht maken", None, "s", "2026-03-01", "s")
    assert find_mentions([action], turns, "nl")["s#1"].turn == "t300"


def test_the_web_form_splits_a_line_and_refuses_a_wrong_word_or_an_old_page(tmp_path: Path, oogst: Oogst) -> None:
    from tests.web_helpers import csrf, make_client

    session = run_until_names(tmp_path, oogst)
    (session.root / "handover.txt").write_text(SCRIPT, encoding="utf-8")  # kept in its folder, as an upload is
    client, _ = make_client(session.out_dir, tmp_path / "state")
    page = client.get("/s/handover/transcript", headers={"accept-language": "nl"}).text
    assert 'name="turn" value="t2500"' in page and '<option value="new">nieuwe spreker</option>' in page
    token, version = csrf(client, "/s/handover/transcript"), session.version(SPEAKER_CHANGES)
    form = {"csrf": token, "version": version, "do": "move", "turn": "t2500", "speaker": "new", "word": "twee"}
    wrong = client.post("/s/handover/speakers/change", data=form, headers={"accept-language": "nl"})
    assert wrong.status_code == 400 and "vanaf woord" in wrong.text and "Traceback" not in wrong.text
    done = client.post("/s/handover/speakers/change", data={**form, "word": "10"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("saved=1#t3"), done.text[-1500:]
    assert [(t.id, t.speaker) for t in session.turns().turns][3:5] == [("t2500", "Carl"), ("t2500w9", "S1")]
    stale = client.post("/s/handover/speakers/change", data={**form, "word": "", "turn": "t900", "speaker": "Anna"})
    assert stale.status_code == 409 and session.turns().turns[1].speaker == "Ben"  # made on the page before: asked
    page = client.get("/s/handover/speakers").text
    assert 'id="merge-speakers"' in page and 'id="undo-speaker"' in page
    # a line corrected on a page shown before the split: its number (4) is another line now; its turn id is not
    fixed = "Then the team leader takes over. The main thing is that it is written down."
    corrected = client.post("/s/handover/transcript", data={"csrf": token, "version": session.version(CORRECTIONS),
                                                            "n": "4", "turn": "t3100", "text": fixed},
                            follow_redirects=False)
    assert corrected.status_code == 303 and corrected.headers["location"].endswith("saved=1#t5")
    assert {k: v["text"] for k, v in session.corrections().items()} == {"t3100": fixed}


def test_a_merged_speakers_voice_goes_into_the_persons_series_profile(tmp_path: Path) -> None:
    import numpy as np

    from pipeline.series.voices import learn, load_profiles
    from pipeline.speakers.per_turn import merged_into

    assert merged_into([{"op": "merge", "from": "S3", "into": "S2"}, {"op": "move", "turn": "t1", "speaker": "S1"},
                        {"op": "merge", "from": "S2", "into": "S1"}]) == {"S3": "S1", "S2": "S1"}
    session = Session.create(tmp_path / "outputs", "sessie")
    session.write(TURNS, {"speakers": {"S1": "Sanne", "S2": "Joris"}, "turns": [
        {"speaker": "S1", "start": 0.0, "end": 9.0, "text": "een"}, {"speaker": "S2", "start": 9.0, "end": 19.0,
                                                                      "text": "twee"}]})
    session.save_speaker_changes([{"op": "merge", "from": "S3", "into": "S1"}])
    root = tmp_path / "outputs" / ".series" / "groep"
    root.mkdir(parents=True)
    sums = {"S1": (np.ones(4, np.float32), 10), "S2": (np.full(4, 2.0, np.float32), 12),
            "S3": (np.full(4, 3.0, np.float32), 5)}  # by the diarization's labels: S3 was merged into Sanne
    learn(root, session, sums, owner="test")
    profiles = load_profiles(root)
    assert profiles["Sanne"]["sessions"]["sessie"] == {"sum": [4.0] * 4, "windows": 15}
    assert profiles["Joris"]["sessions"]["sessie"]["windows"] == 12


def test_a_correction_is_keyed_by_turn_id_and_stays_through_move_merge_split_and_rerun(tmp_path: Path,
                                                                                       oogst: Oogst) -> None:
    session = run_until_names(tmp_path, oogst)
    fixed = "Thanks. The handover often fails because nobody feels responsible for the client."
    oogst.correct_line(session, 1, fixed)
    assert list(session.corrections()) == ["t900"]  # by the turn's id, not its start
    oogst.change_speaker(session, "move", turn="t900", speaker="Carl")
    oogst.change_speaker(session, "merge", source="Anna", into="Ben")
    oogst.change_speaker(session, "split", turn="t900", word=2, speaker="Ben")
    assert {k: v["text"] for k, v in session.corrections().items()} == {
        "t900": "Thanks.", "t900w1": fixed.split(" ", 1)[1]}  # each part keeps its corrected words
    expected = [("t900", "Carl", "Thanks."), ("t900w1", "Ben", fixed.split(" ", 1)[1])]
    assert transcript_texts(session)[1:3] == [text for _, _, text in expected]  # the page, before a run
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", until="names"))
    assert ids_and_speakers(session)[1:3] == expected  # the names stage applies them the same way
    assert session.read(TURNS)["corrected_ids"] == ["t900", "t900w1"]


def test_an_old_corrections_file_keyed_by_start_still_works_and_is_rewritten_by_ids(tmp_path: Path,
                                                                                   oogst: Oogst) -> None:
    session = run_until_names(tmp_path, oogst)
    # a session made before ids: lines keyed by their start; turn 25.00 corrected, then split (main's semantics:
    # the correction applied to the whole line before the split)
    session.write(SPEAKER_CHANGES, {"changes": [{"op": "split", "turn": "t2500", "word": 9, "speaker": "Ben",
                                                 "was": "Carl", "at": "2026-12-01T10:00:00+01:00"}]})
    session.write(CORRECTIONS, {"turns": {
        "9.00": {"text": "Thanks. It goes wrong.", "original": said(1), "speaker": "S2", "at": "2026-12-01T10:00:00"},
        "25.00": {"text": "Does that also work when that person is sick? Then it all stops.", "original": said(3),
                  "speaker": "S3", "at": "2026-12-01T10:00:00"}}})
    page = transcript_texts(session)  # read before any run: by start
    assert page[1] == "Thanks. It goes wrong."
    oogst.run(RunRequest(str(tmp_path / "handover.txt"), language="en", until="names"))
    assert json.loads(session.path(CORRECTIONS).read_text(encoding="utf-8"))["turns"].keys() == {
        "t900", "t2500", "t2500w9"}  # rewritten by ids on the next run
    assert [text for _, _, text in ids_and_speakers(session)] == [
        said(0), "Thanks. It goes wrong.", said(2), "Does that also work when that person is sick?",
        "Then it all stops.", said(4)]
    assert transcript_texts(session)[4] == "Then it all stops."


def transcript_texts(session: Session) -> list[str]:
    from pipeline.web.pages_session import transcript_lines

    return [line["text"] for line in transcript_lines(session)]


def test_a_correction_follows_its_line_when_a_new_transcript_shifts_the_times() -> None:
    from pipeline.core.layers import carry_corrections

    old = Turns.from_dict({"speakers": {"S1": "S1"}, "turns": [
        {"speaker": "S1", "start": 9.0, "end": 12.0, "text": "the handover often goes wrong"}]})
    new = Turns.from_dict({"speakers": {"S1": "S1"}, "turns": [
        {"speaker": "S1", "start": 2.1, "end": 8.7, "text": "welcome everyone"},
        {"speaker": "S1", "start": 9.3, "end": 12.2, "text": "the handover often goes wrong"}]})
    corrections = {old.turns[0].id: {"text": "the hand-over often goes wrong", "original": old.turns[0].text}}
    placed, left = carry_corrections(new, corrections, [])
    assert left == [] and list(placed) == ["t930"] and placed["t930"]["moved_from"] == "t900"
    assert carry_corrections(old, corrections, []) == (corrections, [])  # same times: nothing moves


def draft_text(session: Session) -> str:
    from docx import Document

    doc = Document(str(session.path(DRAFT)))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.mark.slow  # the insights stage's sentence encoder (about 30 s on a busy machine)
def test_oogst_speakers_brings_insights_speaking_time_and_draft_up_to_date(
        tmp_path: Path, oogst: Oogst, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    source = tmp_path / "handover.txt"
    source.write_text(SCRIPT, encoding="utf-8")
    oogst.run(RunRequest(str(source), language="en"))  # the whole run: insights and draft
    session = oogst.session("handover")
    assert "Carl" in draft_text(session) and session.has(INSIGHTS)
    heard = [session.path(name).read_bytes() for name in (TRANSCRIPT, DIARIZATION)]
    assert main(["speakers", str(session.root), "merge", "Carl", "Ben"]) == 0  # in this process: the encoder is loaded
    assert "brought up to date" in capsys.readouterr().out
    assert "Carl" not in draft_text(session)  # speaking time and the transcript appendix: Carl's turns are Ben's
    assert "Carl" not in json.dumps(session.read(INSIGHTS))
    assert [session.path(name).read_bytes() for name in (TRANSCRIPT, DIARIZATION)] == heard  # kept as heard


def test_a_split_is_cut_where_the_recogniser_heard_the_word() -> None:
    turn = Turn("S1", 10.0, 20.0, "een twee drie vier", id="t1000")
    heard = (Word(9.0, 9.8, " eerder", 0.9), Word(10.0, 10.4, " een", 0.9), Word(10.5, 11.0, " twee", 0.9),
             Word(11.0, 11.5, " drie", 0.9), Word(17.2, 19.5, " vier", 0.9), Word(25.0, 26.0, " later", 0.9))
    first, second = split_at(turn, 3, "S2", heard)  # type: ignore[misc]
    assert (first.end, second.start, first.text, second.text) == (17.2, 17.2, "een twee drie", "vier")
    assert (second.speaker, second.id, second.end) == ("S2", "t1000w3", 20.0)
    without = split_at(turn, 3, "S2")  # no word times (an imported transcript): by the share of characters
    assert without is not None and without[1].start == round(10.0 + 10.0 * 14 / 18, 3)
    corrected = Turn("S1", 10.0, 20.0, "een twee drie vier vijf", id="t1000")  # other words than were heard
    assert split_at(corrected, 3, "S2", heard)[1].start == round(10.0 + 10.0 * 14 / 23, 3)  # type: ignore[index]
    assert split_at(turn, 4, "S2", heard) is None
