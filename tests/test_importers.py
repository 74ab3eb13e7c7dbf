"""Transcript import: each format round-trips names and times; broken files fail with a line-numbered message."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.core.errors import TranscriptImportError
from pipeline.core.types import Transcript, Turns
from pipeline.ingest.importers import import_transcript, is_transcript_file

DATA = Path(__file__).parent / "data" / "import"


def _summary(turns: Turns) -> list[tuple[str, float, float, str]]:
    return [(t.speaker, t.start, t.end, t.text) for t in turns.turns]


def _roundtrip(transcript: Transcript, turns: Turns) -> None:
    """What is written to transcript.json/turns.json reads back the same."""
    assert Transcript.from_dict(json.loads(json.dumps(transcript.to_dict()))) == transcript
    assert Turns.from_dict(json.loads(json.dumps(turns.to_dict()))) == turns


def test_suffixes() -> None:
    assert all(is_transcript_file(Path(f"x{s}")) for s in (".vtt", ".SRT", ".txt", ".docx"))
    assert not any(is_transcript_file(Path(f"x{s}")) for s in (".m4a", ".wav", ".doc", ""))


def test_teams_vtt_voice_tags() -> None:
    transcript, turns = import_transcript(DATA / "teams.vtt")
    assert turns.speakers == {"Sanne de Vries": "Sanne de Vries", "Joris": "Joris", "Fatima": "Fatima"}
    # Joris's two cues (no gap) make one turn; the transcript keeps one segment per cue.
    assert _summary(turns) == [
        ("Sanne de Vries", 1.0, 4.5, "Goedemorgen allemaal. Fijn dat jullie er zijn."),
        ("Joris", 5.2, 10.0, "Dank je. Ik heb een casus over een lastige ouder. Hij belt mij elke avond."),
        ("Fatima", 11.0, 62.25, "Weet je leidinggevende ervan?"),
    ]
    assert [(s.start, s.end) for s in transcript.segments] == [(1.0, 4.5), (5.2, 8.0), (8.0, 10.0), (11.0, 62.25)]
    assert transcript.extra["source"] == "teams.vtt" and transcript.extra["imported"] is True
    assert "times_estimated" not in transcript.extra
    assert transcript.duration == 62.25 and transcript.language == "nl"
    # Words are spread evenly over their cue.
    words = transcript.segments[0].words
    assert [w.word for w in words][:2] == [" Goedemorgen", " allemaal."]
    assert words[0].start == 1.0 and abs(words[-1].end - 4.5) < 1e-9
    _roundtrip(transcript, turns)


def test_zoom_vtt_name_prefix_and_multiline_cue() -> None:
    _transcript, turns = import_transcript(DATA / "zoom.vtt", language="en")
    assert _summary(turns) == [("Sanne de Vries", 1.0, 3.0, "Welkom bij de intervisie."),
                               ("Pieter", 3.5, 6.0, "Dank je, Sanne. Ik heb er zin in.")]


def test_vtt_with_bom_short_times_and_accents() -> None:
    transcript, turns = import_transcript(DATA / "bom.vtt")
    assert _summary(turns) == [("Renée", 1.0, 2.5, "Hé allemaal.")]
    assert transcript.text == "Hé allemaal."


def test_srt_names_and_times() -> None:
    transcript, turns = import_transcript(DATA / "sessie.srt")
    assert _summary(turns) == [("Sanne", 0.5, 3.0, "Wie wil er beginnen?"),
                               ("Joris", 3.4, 7.9, "Ik wil graag iets vertellen over mijn klas."),
                               ("Sanne", 70.0, 72.0, "Dank je wel.")]
    assert transcript.extra["format"] == "srt"
    _roundtrip(transcript, turns)


def test_text_with_stamps_and_continuation_lines() -> None:
    transcript, turns = import_transcript(DATA / "uitgetypt.txt")
    assert [(t.speaker, t.start) for t in turns.turns] == [("Sanne", 2.0), ("Joris", 6.0), ("Fatima", 15.0),
                                                          ("Sanne", 3723.0)]
    assert turns.turns[1].text == "Ik heb een vraag over een ouder die mij elke avond belt."
    assert turns.turns[0].end == 6.0  # a stamped turn lasts until the next one starts
    assert "times_estimated" not in transcript.extra
    _roundtrip(transcript, turns)


def test_text_without_stamps_estimates_times_from_words() -> None:
    transcript, turns = import_transcript(DATA / "zonder-tijden.txt")
    assert list(turns.speakers) == ["Sanne", "Joris", "Fatima"]
    assert transcript.extra["times_estimated"] is True
    durations = [t.end - t.start for t in turns.turns]
    # 7, 2 and 11 words at 150 words a minute (at least half a second each).
    assert [round(d, 1) for d in durations] == [2.8, 0.8, 4.4]
    assert all(a.end < b.start for a, b in zip(turns.turns, turns.turns[1:], strict=False))


def test_cp1252_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        _transcript, turns = import_transcript(DATA / "cp1252.txt")
    assert turns.turns[0].text == "Café om tien uur, dáárna de casus."
    assert "Windows-1252" in caplog.text


def test_docx_same_lines(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("[00:00:03] Sanne: Goedemorgen allemaal.")
    document.add_paragraph("")
    document.add_paragraph("[00:00:07] Joris: Ik heb een vraag.")
    document.add_paragraph("Over een ouder.")
    document.add_paragraph("[00:00:12] Fatima: Vertel.")
    path = document.save(tmp_path / "notulen.docx") or tmp_path / "notulen.docx"
    transcript, turns = import_transcript(path)
    assert _summary(turns)[:2] == [("Sanne", 3.0, 7.0, "Goedemorgen allemaal."),
                                   ("Joris", 7.0, 12.0, "Ik heb een vraag. Over een ouder.")]
    assert turns.speakers == {"Sanne": "Sanne", "Joris": "Joris", "Fatima": "Fatima"}
    assert transcript.extra["source"] == "notulen.docx"
    _roundtrip(transcript, turns)


def test_broken_docx_names_the_paragraph(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Verslag intervisie")
    document.save(tmp_path / "verslag.docx")
    with pytest.raises(TranscriptImportError, match=r"verslag\.docx:1: expected `Name: text`"):
        import_transcript(tmp_path / "verslag.docx")
    (tmp_path / "nep.docx").write_text("geen zip")
    with pytest.raises(TranscriptImportError, match=r"nep\.docx: not a readable Word \.docx file"):
        import_transcript(tmp_path / "nep.docx")


@pytest.mark.parametrize("name,message", [
    ("kapot.vtt", r"kapot\.vtt:6: expected a cue time like `00:01:02\.000 --> 00:01:05\.500`"),
    ("kapot.srt", r"kapot\.srt:6: the cue ends \(3\.000 s\) before it starts \(5\.000 s\); correct the time line"),
    ("kapot.txt", r"kapot\.txt:1: expected `Name: text`, found 'Notities van de intervisie van 12 maart'; start"),
    ("volgorde.txt", r"volgorde\.txt:2: time 5 s comes before the previous line's 10 s"),
])
def test_broken_files_give_a_line_numbered_message(name: str, message: str) -> None:
    with pytest.raises(TranscriptImportError, match=message) as info:
        import_transcript(DATA / name)
    assert "\n" not in str(info.value)


def test_other_broken_inputs(tmp_path: Path) -> None:
    (tmp_path / "leeg.txt").write_text("\n\n# alleen commentaar\n")
    with pytest.raises(TranscriptImportError, match=r"leeg\.txt: no spoken text found"):
        import_transcript(tmp_path / "leeg.txt")
    (tmp_path / "geen.vtt").write_text("1\n00:00:01.000 --> 00:00:02.000\nHallo\n")
    with pytest.raises(TranscriptImportError, match=r"geen\.vtt:1: expected `WEBVTT` on the first line"):
        import_transcript(tmp_path / "geen.vtt")
    (tmp_path / "tijd.srt").write_text("1\n00:00:01,000 --> 00:0x:02,000\nSanne: Hallo\n")
    with pytest.raises(TranscriptImportError, match=r"tijd\.srt:2: cannot read the time"):
        import_transcript(tmp_path / "tijd.srt")
    with pytest.raises(TranscriptImportError, match=r"weg\.vtt: not found"):
        import_transcript(tmp_path / "weg.vtt")


def test_srt_without_names_gets_a_default_speaker(tmp_path: Path) -> None:
    (tmp_path / "ondertitels.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHallo daar.\n\n"
                                              "2\n00:00:02,500 --> 00:00:04,000\nHoe gaat het?\n")
    _transcript, turns = import_transcript(tmp_path / "ondertitels.srt")
    assert turns.speakers == {"S1": "Spreker 1"}
    assert _summary(turns) == [("S1", 1.0, 4.0, "Hallo daar. Hoe gaat het?")]


def test_the_sample_script_imports() -> None:
    """Oogst's own synthesis script (comments, `[pause N]`) is a valid plain-text transcript."""
    script = Path(__file__).resolve().parents[1] / "recordings" / "voorbeeld-intervisie.txt"
    _transcript, turns = import_transcript(script)
    assert list(turns.speakers) == ["Sanne", "Pieter", "Fatima", "Joris"]


def test_teams_docx_layouts(tmp_path: Path) -> None:
    """Teams' own .docx transcripts: the name and time on a line above the text (two layouts)."""
    import docx

    document = docx.Document()
    for line in ("Intervisie west", "", "Sanne de Vries   0:03", "Goedemorgen allemaal.",
                 "Joris Jansen   1:02:05\nDank je. Ik begin.", "Sanne de Vries  1:02:09 --> 1:02:11",
                 "Ga je gang."):
        document.add_paragraph(line)
    document.save(tmp_path / "teams.docx")
    with pytest.raises(TranscriptImportError, match=r"teams\.docx:1: expected `Name: text`"):
        import_transcript(tmp_path / "teams.docx")  # a title line is not a turn: clear message, line 1

    document = docx.Document()
    for line in ("Sanne de Vries   0:03", "Goedemorgen allemaal.", "Om 10:30 begint de pauze.",
                 "Joris Jansen   1:02:05\nDank je. Ik begin.", "Sanne de Vries  1:02:09 --> 1:02:11",
                 "Ga je gang."):
        document.add_paragraph(line)
    document.save(tmp_path / "teams.docx")
    _transcript, turns = import_transcript(tmp_path / "teams.docx")
    assert _summary(turns) == [
        ("Sanne de Vries", 3.0, 5.8, "Goedemorgen allemaal. Om 10:30 begint de pauze."),  # 7 words, long gap
        ("Joris Jansen", 3725.0, 3729.0, "Dank je. Ik begin."),
        ("Sanne de Vries", 3729.0, 3731.0, "Ga je gang."),
    ]

    (tmp_path / "oud.txt").write_text("0:0:0.0 --> 0:0:3.520\nSanne de Vries\nGoedemorgen.\n\n"
                                      "0:0:4.0 --> 0:0:6.0\nJoris\nHoi.\n", encoding="utf-8")
    _transcript, turns = import_transcript(tmp_path / "oud.txt")
    assert _summary(turns) == [("Sanne de Vries", 0.0, 3.52, "Goedemorgen."), ("Joris", 4.0, 6.0, "Hoi.")]


def test_a_sentence_with_a_colon_is_not_a_new_speaker(tmp_path: Path) -> None:
    path = tmp_path / "monoloog.txt"
    path.write_text("Sanne de Vries: Ik vertel over drie jaar praktijkbegeleiding.\n"
                    "Wat niet goed ging: ik plande te weinig tijd voor de nabespreking.\n"
                    "En het belangrijkste: vraag eerst wat de student zelf ziet.\n"
                    "Project Manager: This is a name with capitals.\n"
                    "Zoë van 't Hek: En dit ook, met tussenvoegsels.\n", encoding="utf-8")
    _, turns = import_transcript(path)
    assert [t.speaker for t in turns.turns] == ["Sanne de Vries", "Project Manager", "Zoë van 't Hek"]
    assert "Wat niet goed ging: ik plande" in turns.turns[0].text
    assert turns.turns[0].text.endswith("wat de student zelf ziet.")
