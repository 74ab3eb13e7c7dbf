"""The language of an imported transcript (#24): detected from its text, `--language auto` resolved, an English file
without --language read as English with one line saying so, an explicit --language always kept (with a warning when
the text disagrees), and the transcribe stage's key unchanged when the language does not change."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.language import detect_language, resolve_language
from pipeline.core.session import cache_key, hash_file

ENGLISH = """WEBVTT

00:00:01.000 --> 00:00:06.000
<v Emma>Welcome everyone. Let's start with the case that Raj brought in this time.</v>

00:00:06.500 --> 00:00:14.000
<v Raj>Thanks. It is about a volunteer who keeps taking on more shifts than she can handle, and I do not know how to
bring it up with her.</v>

00:00:14.500 --> 00:00:22.000
<v Emma>What have you tried so far? And what would you like to get from the group today?</v>

00:00:22.500 --> 00:00:30.000
<v Raj>I will talk to her before our next meeting and I will bring what she says to the group.</v>
"""
DUTCH = """WEBVTT

00:00:01.000 --> 00:00:06.000
<v Sanne>Welkom allemaal. We beginnen met de casus die Joris vandaag heeft ingebracht.</v>

00:00:06.500 --> 00:00:14.000
<v Joris>Dank je. Het gaat over een vrijwilliger die steeds meer diensten op zich neemt dan ze aankan, en ik weet
niet hoe ik het met haar bespreek.</v>

00:00:14.500 --> 00:00:22.000
<v Sanne>Wat heb je tot nu toe geprobeerd? En wat wil je vandaag van de groep?</v>

00:00:22.500 --> 00:00:30.000
<v Joris>Ik spreek haar voor onze volgende bijeenkomst en ik neem mee wat ze zegt.</v>
"""


def test_the_language_of_a_text():
    assert detect_language(ENGLISH) == "en" and detect_language(DUTCH) == "nl"
    assert detect_language("Hallo allemaal, welkom!") is None  # too few words to tell
    mixed = "Ik vind het een goede meeting. " * 5 + "I think it was a good meeting and we did it well. " * 5
    assert detect_language(mixed) is None  # neither language clearly


@pytest.mark.parametrize(("text", "requested", "given", "language", "says"), [
    (ENGLISH, "nl", False, "en", "the text is English, not Dutch: analysed as English"),
    (DUTCH, "nl", False, "nl", None),
    (ENGLISH, "auto", True, "en", "--language auto: the text is English"),
    (DUTCH, "auto", True, "nl", "--language auto: the text is Dutch"),
    ("Hallo.", "auto", True, "nl", "could not be told; read as Dutch"),
    (ENGLISH, "nl", True, "nl", "--language nl was given, but the text reads as English (en); analysed as Dutch"),
    (ENGLISH, "en", True, "en", None),
    (DUTCH, "en-GB", True, "en-GB", "reads as Dutch"),
])
def test_resolving_the_language_of_an_import(text, requested, given, language, says):
    resolved, note = resolve_language(text, requested, given=given)
    assert resolved == language
    assert (note is None) if says is None else (note is not None and says in note)


def _import(tmp_path: Path, text: str, *options: str) -> tuple[dict, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "sessie.vtt"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(source), "--out-dir", str(out), "--until", "transcribe", "-q", *options]) == 0
    session = out / "sessie"
    return json.loads((session / "transcript.json").read_text(encoding="utf-8")), session


def _key(session: Path) -> str:
    return json.loads((session / ".stages.json").read_text(encoding="utf-8"))["transcribe"]["key"]


def test_an_english_file_without_language_is_read_as_english(tmp_path, caplog, monkeypatch):
    monkeypatch.delenv("OOGST_LANGUAGE", raising=False)
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    with caplog.at_level(logging.WARNING):
        transcript, _ = _import(tmp_path, ENGLISH)
    assert transcript["language"] == "en"
    lines = [r.getMessage() for r in caplog.records if "English" in r.getMessage()]
    assert lines == ["sessie.vtt: the text is English, not Dutch: analysed as English (give --language nl to keep "
                     "Dutch)"]


def test_auto_resolves_and_an_explicit_language_wins(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    transcript, _ = _import(tmp_path / "a", ENGLISH, "--language", "auto")
    assert transcript["language"] == "en"
    transcript, _ = _import(tmp_path / "b", DUTCH, "--language", "auto")
    assert transcript["language"] == "nl"
    with caplog.at_level(logging.WARNING):
        transcript, _ = _import(tmp_path / "c", ENGLISH, "--language", "nl")
    assert transcript["language"] == "nl"
    assert any("--language nl was given, but the text reads as English" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        transcript, _ = _import(tmp_path / "d", DUTCH, "--language", "nl")
    assert transcript["language"] == "nl" and not [r for r in caplog.records if "language" in r.getMessage()]


def test_the_stage_key_of_a_dutch_import_is_what_it_was(tmp_path, monkeypatch):
    monkeypatch.delenv("OOGST_LANGUAGE", raising=False)
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    _, session = _import(tmp_path, DUTCH)
    meta = {"source": "sessie.vtt", "recorded": json.loads((session / "transcript.json").read_text())["recorded"],
            "title": json.loads((session / "transcript.json").read_text())["title"]}
    assert _key(session) == cache_key("import", hash_file(tmp_path / "sessie.vtt"), "nl", meta)  # as before #24
    # an English file that earlier runs read as Dutch gets a new key, so it is read again
    _, english = _import(tmp_path / "en", ENGLISH)
    assert _key(english) != cache_key("import", hash_file(tmp_path / "en" / "sessie.vtt"), "nl", meta)


@pytest.mark.slow
def test_an_english_import_gets_english_insights(tmp_path, monkeypatch):
    monkeypatch.delenv("OOGST_LANGUAGE", raising=False)
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "none.toml"))
    source = tmp_path / "meeting.vtt"
    source.write_text(ENGLISH, encoding="utf-8")
    assert main(["run", str(source), "--out-dir", str(tmp_path / "out"), "--until", "insights", "-q",
                 "--language", "auto"]) == 0
    insights = json.loads((tmp_path / "out" / "meeting" / "insights.json").read_text(encoding="utf-8"))
    assert insights["language"] == "en" and insights["insights"]
    assert any(a["owner"] == "Raj" for a in insights["actions"])
