"""Find and replace in the transcript (`core.replace`, `Oogst.replace`, `oogst replace`): whole words, the case
pattern of each match, a preview of exactly the lines that change, a rule kept in replacements.json that the names
stage applies after the line corrections, on every re-run and on the lines of a new transcription."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.core.layers import time_key, with_correction
from pipeline.core.replace import Rule, apply_rules, line_text, new_rule, replaced
from pipeline.core.session import REPLACEMENTS, Session
from pipeline.core.settings import Settings
from pipeline.core.types import RunRequest, Turn, Turns
from pipeline.service import Oogst
from tests.web_helpers import ROOT


def rule(find: str, to: str, **options: bool) -> Rule:
    return Rule(find, to, made="2026-01-01T10:00:00+01:00", **options)


# -- matching ----------------------------------------------------------------------------------------------------
def test_whole_words_keep_the_case_pattern_of_each_match() -> None:
    text = "Fakima zei het. Fakima's vraag; fakima knikte. FAKIMA! Fakimaatje en Fakimas niet, SuperFakima ook niet."
    new, count = replaced(text, rule("Fakima", "Fatima"))
    assert new == ("Fatima zei het. Fatima's vraag; fatima knikte. FATIMA! Fakimaatje en Fakimas niet, "
                   "SuperFakima ook niet.")
    assert count == 4
    # typed in lower case, the capitalised match stays capitalised
    assert replaced("Vraag het Fakima.", rule("fakima", "fatima"))[0] == "Vraag het Fatima."


def test_dutch_words_with_diacritics_are_whole_words() -> None:
    # é, ë and ï are letters: "coördinator" is one word, "één" is not inside "éénmalig"
    assert replaced("De coordinator en de coördinator.", rule("coordinator", "coördinator"))[0] == \
        "De coördinator en de coördinator."
    assert replaced("Één keer, niet éénmalig: één.", rule("één", "een"))[0] == "Een keer, niet éénmalig: een."
    assert replaced("Zoe en Zoë, ZOE.", rule("Zoe", "Zoë"))[0] == "Zoë en Zoë, ZOË."
    assert replaced("naïef of naief", rule("naief", "naïef"))[0] == "naïef of naïef"


def test_part_of_a_word_and_exact_case_are_options() -> None:
    assert replaced("Fakimaatje en fakima", rule("Fakima", "Fatima", whole_word=False))[0] == "Fatimaatje en fatima"
    exact = rule("Fakima", "Fatima", match_case=True)
    assert replaced("Fakima, fakima, FAKIMA", exact) == ("Fatima, fakima, FAKIMA", 1)
    # two words still match across a line break or a double space; punctuation in `find` is literal
    assert replaced("bij de Jan\nSteen of Jan  Steen", rule("Jan Steen", "Jan Steenschool"))[0] == \
        "bij de Jan Steenschool of Jan Steenschool"
    assert replaced("Dr. Jansen en Dr Jansen", rule("Dr.", "dokter"))[0] == "Dokter Jansen en Dr Jansen"


def test_a_rule_needs_a_find_and_a_different_replacement() -> None:
    for find, to, key in (("  ", "x", "replace_no_find"), ("Fakima", " ", "replace_no_replacement"),
                          ("Fakima", "Fakima", "replace_same"), ("x" * 201, "y", "replace_too_long")):
        with pytest.raises(InputError) as caught:
            new_rule(find, to)
        assert caught.value.key == key
    made = new_rule(" Fakima ", "Fatima")
    assert (made.find, made.replace, made.whole_word, made.match_case) == ("Fakima", "Fatima", True, False)
    assert Rule.from_dict(made.to_dict()) == made


def test_a_correction_made_after_a_rule_wins_on_its_line() -> None:
    fix = rule("Fakima", "Fatima")  # made 10:00
    before = {"text": "Fakima, dat klopt.", "at": "2026-01-01T09:00:00+01:00"}
    after = {"text": "Fakima zei ik echt.", "at": "2026-01-01T11:00:00+01:00"}
    assert line_text("Fakima, klopt.", before, [fix]) == "Fatima, dat klopt."  # the rule applies on top
    assert line_text("Fakima, klopt.", after, [fix]) == "Fakima zei ik echt."  # typed later: it stays
    assert line_text("Fakima, klopt.", None, [fix]) == "Fatima, klopt."
    turns = Turns({"S1": "Sanne"}, (Turn("S1", 0.0, 1.0, "Fakima, dat klopt."),
                                    Turn("S1", 2.0, 3.0, "Fakima zei ik echt."),
                                    Turn("S1", 4.0, 5.0, "Niets te doen.")))
    done = apply_rules(turns, [fix], {time_key(0.0): before, time_key(2.0): after})
    assert [t.text for t in done.turns] == ["Fatima, dat klopt.", "Fakima zei ik echt.", "Niets te doen."]
    assert done.to_dict()["replaced"] == ["0.00"]


# -- the service, the stages and the command line on a small imported session ----------------------------------------
SCRIPT = """[00:00:02] Sanne: Good morning. Fakima, would you start with your case?
[00:00:08] Fakima: Yes. A pupil's parents call me every evening.
[00:00:15] Joris: So Fakima's question is how to set a limit without losing the parents.
[00:00:22] Sanne: What have you tried so far, FAKIMA?
[00:00:28] Pieter: Maybe agree on a fixed weekly call. Fakimaatje is not her name.
[00:00:36] Joris: And involve your team leader, so you do not stand alone.
[00:00:44] Sanne: Good. fakima plans a talk with the parents before Friday.
"""


def small_session(tmp_path: Path, text: str = SCRIPT) -> tuple[Oogst, Session, Path]:
    source = tmp_path / "fakima.txt"
    source.write_text(text, encoding="utf-8")
    oogst = Oogst(Settings(out_dir=tmp_path / "out", models_dir=ROOT / "models", quiet=True, language="en",
                           language_given=True))
    oogst.run(RunRequest(str(source), until="names"))
    return oogst, oogst.session("fakima"), source


def texts(session: Session) -> list[str]:
    return [t.text for t in session.turns().turns]


def test_the_preview_lists_exactly_the_lines_a_replacement_changes_and_the_rule_survives_reruns(
        tmp_path: Path) -> None:
    oogst, session, source = small_session(tmp_path)
    heard = texts(session)
    shown = oogst.replace_preview(session, "Fakima", "Fatima")
    assert not session.has(REPLACEMENTS)  # a preview saves nothing
    assert [(p.n, p.speaker) for p in shown] == [(0, "Sanne"), (2, "Joris"), (3, "Sanne"), (6, "Sanne")]
    assert shown[1].before == heard[2] and shown[1].after == "So Fatima's question is how to set a limit " \
        "without losing the parents."
    assert shown[2].after.endswith("FATIMA?") and shown[3].after.startswith("Good. fatima plans")
    version = session.version(REPLACEMENTS)
    done = oogst.replace(session, "Fakima", "Fatima", base=version)
    assert done == shown
    oogst.run(RunRequest(str(source), until="names"))  # the names stage applies the rule
    after = texts(session)
    assert [n for n, (a, b) in enumerate(zip(heard, after, strict=True)) if a != b] == [p.n for p in shown]
    assert [after[p.n] for p in shown] == [p.after for p in shown]
    assert session.turns().speakers["Fakima"] == "Fakima"  # a speaker's name is oogst names' business, not this
    assert json.loads(session.path(REPLACEMENTS).read_text(encoding="utf-8"))["rules"][0]["find"] == "Fakima"
    assert session.turns().extra["replaced"] == [time_key(t) for t in (2.0, 15.0, 22.0, 44.0)]
    with pytest.raises(InputError):  # nothing left to replace: refused, no empty rule kept
        oogst.replace(session, "Fakima", "Fatima")
    from pipeline.core.errors import EditConflict

    with pytest.raises(EditConflict):  # a preview made before that rule was saved
        oogst.replace(session, "fakima", "Fatima", whole_word=False, base=version)

    oogst.run(RunRequest(str(source), until="names"), force=True)  # every stage again: the rule stays
    assert texts(session) == after

    # a new transcription (another model heard the session again): the rule reaches its lines too
    source.write_text(SCRIPT.replace("[00:00:36] Joris: And", "[00:00:36] Joris: Fakima, and") +
                      "[00:00:50] Fakima: Thank you, Fakima will do it.\n", encoding="utf-8")
    oogst.run(RunRequest(str(source), until="names"))
    again = texts(session)
    assert again[5] == "Fatima, and involve your team leader, so you do not stand alone."
    assert again[7] == "Thank you, Fatima will do it."
    assert "Fakimaatje" in again[4]

    # undo: the lines read as heard again
    assert oogst.remove_replacement(session, 1).find == "Fakima"
    oogst.run(RunRequest(str(source), until="names"))
    assert texts(session)[7] == "Thank you, Fakima will do it."
    with pytest.raises(InputError):
        oogst.remove_replacement(session, 1)


def test_a_line_corrected_after_the_rule_keeps_its_text_and_one_before_gets_the_rule(tmp_path: Path) -> None:
    oogst, session, source = small_session(tmp_path)
    turns = session.turns()
    earlier = with_correction(session.corrections(), turns.turns[0].start, "Good morning all. Fakima, start?",
                              original=turns.turns[0].text, speaker=turns.turns[0].speaker)
    earlier[time_key(turns.turns[0].start)]["at"] = "2000-01-01T00:00:00+00:00"  # corrected long before the rule
    session.save_corrections(earlier)
    oogst.replace(session, "Fakima", "Fatima")
    oogst.correct_line(session, 3, "What have you tried so far, Fakima? (she said her name so)")
    oogst.run(RunRequest(str(source), until="names"))
    after = texts(session)
    assert after[0] == "Good morning all. Fatima, start?"  # corrected before the rule: the rule applies on top
    assert after[3] == "What have you tried so far, Fakima? (she said her name so)"  # typed after: it wins
    assert after[2].startswith("So Fatima's")


def test_oogst_replace_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    oogst, session, _ = small_session(tmp_path)
    out = str(tmp_path / "out")

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["replace", *args, "--out-dir", out])
        printed = capsys.readouterr()
        return code, printed.out, printed.err

    code, printed, _ = cli("fakima", "Fakima", "Fatima", "--preview")
    assert code == 0 and "4 lines would change" in printed and "0:22" in printed and "FATIMA?" in printed
    assert not session.has(REPLACEMENTS)
    _, printed, _ = cli("fakima", "Fakima", "Fatima", "--part-of-word", "--match-case", "--preview")
    assert "Fatimaatje" in printed and "FATIMA" not in printed and "fatima plans" not in printed
    code, printed, _ = cli("fakima", "Fakima", "Fatima")
    assert code == 0 and "4 lines changed" in printed
    code, printed, _ = cli("fakima", "--list")
    assert code == 0 and "1. Fakima → Fatima" in printed
    code, _, error = cli("fakima", "Fakima", "Fatima")
    assert code == 1 and "nothing replaced" in error
    code, _, error = cli("fakima", "--remove", "3")
    assert code == 1 and "no replacement 3" in error
    code, _, _ = cli("fakima", "--remove", "1")
    assert code == 0 and session.replacements() == []
    code, _, error = cli("fakima", "Fakima")
    assert code == 1 and "give the word to find and what it should become" in error
    # the real command: one line and exit code 1, never a traceback
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "replace", "fakima", "Fakima", "Fakima",
                           "--out-dir", out], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1 and "replaced by itself" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
