"""Exports (issue 27): every format opens in a reader that Oogst did not write (webvtt-py, srt, icalendar,
python-docx and LibreOffice), through the service, the CLI and the session page; a pseudonymised session exports its
labels unless the originals are asked for."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.core.layers import text_key
from pipeline.core.settings import Settings
from pipeline.privacy.mapping import Pseudonyms
from pipeline.service import Edit, Oogst

DATA = Path(__file__).parent / "data" / "session"
NAME = "2026-11-30_intervisie-team"
REAL = ("Anna de Vries", "Bram Jansen", "Carla Smit", "Dirk Bakker")
CORRECTED = "Dank je. Bij ons gaat de overdracht vaak mis omdat niemand zich verantwoordelijk voelt."
DUE = {0: "2026-12-07", 1: "2027-03-12", 2: "2026-12-04"}  # the fourth action has no date


def make_session(out_dir: Path, *, pseudonymised: bool = False) -> Path:
    """A processed session from the sample artefacts: four named speakers, word times, three dated actions."""
    root = out_dir / NAME
    root.mkdir(parents=True)
    transcript = json.loads((DATA / "transcript.json").read_text(encoding="utf-8"))
    for segment in transcript["segments"]:  # word times, as the recogniser gives them
        words = segment["text"].split()
        step = (segment["end"] - segment["start"]) / len(words)
        segment["words"] = [{"start": segment["start"] + i * step, "end": segment["start"] + (i + 0.8) * step,
                             "word": " " + w, "probability": 0.9} for i, w in enumerate(words)]
    transcript["recorded"] = "2026-11-30"
    (root / "transcript.json").write_text(json.dumps(transcript), encoding="utf-8")
    shutil.copy(DATA / "turns.json", root / "turns.json")
    insights = json.loads((DATA / "insights.json").read_text(encoding="utf-8"))
    for n, action in enumerate(insights["actions"]):
        action["due_date"] = DUE.get(n)
    insights["actions"][0]["text"] = "Checklist maken; in het team bespreken, met Carla Smit"  # , ; to escape
    (root / "insights.json").write_text(json.dumps(insights), encoding="utf-8")
    if pseudonymised:
        pseudonyms = Pseudonyms(root / "pseudonyms.json", True, "labels")
        pseudonyms.save("nl")
    return root


@pytest.fixture()
def oogst(tmp_path: Path) -> Oogst:
    return Oogst(Settings(out_dir=tmp_path / "outputs"))


def test_txt_is_the_corrected_transcript_with_names_and_times(oogst: Oogst) -> None:
    session = oogst.session(make_session(oogst.out_dir))
    oogst.correct_line(session, 1, CORRECTED)  # what the transcript page does
    result = oogst.export(session, "txt")
    text = result.data.decode("utf-8")
    assert result.filename == f"{NAME}-transcript.txt"
    assert "[00:00:05] Anna de Vries: Welkom allemaal." in text
    assert f"[00:00:12] Bram Jansen: {CORRECTED}" in text and "eigenaar voelt van een cliënt" not in text
    assert len(text.splitlines()) == 3 + 23  # title, date, blank line; a line per turn
    oogst.name_speakers(session, {"S4": "Dirk de Boer"})  # the speakers page: names.toml, then turns.json
    renamed = oogst.export(session, "txt").data.decode("utf-8")
    assert "] Dirk de Boer: Werkt dat ook als die persoon ziek is?" in renamed and "Dirk Bakker:" not in renamed


def test_vtt_and_srt_parse_with_subtitle_libraries_in_short_cues(oogst: Oogst) -> None:
    import srt
    import webvtt

    session = oogst.session(make_session(oogst.out_dir))
    vtt = oogst.export(session, "vtt").data.decode("utf-8")
    captions = list(webvtt.from_buffer(io.StringIO(vtt)))
    subtitles = list(srt.parse(oogst.export(session, "srt").data.decode("utf-8")))
    turns = json.loads((session.root / "turns.json").read_text(encoding="utf-8"))["turns"]
    assert len(captions) == len(subtitles) > len(turns)  # long turns are split
    for caption in captions:
        assert caption.end_in_seconds - caption.start_in_seconds <= 7.2, caption
        assert len(caption.text.splitlines()) <= 2 and all(len(line) <= 42 for line in caption.text.splitlines())
        assert caption.voice in REAL
    first = captions[0]
    assert first.start_in_seconds == pytest.approx(5.0, abs=0.01) and first.voice == "Anna de Vries"
    assert subtitles[0].content.startswith("Anna de Vries: Welkom")
    said = " ".join(c.text.replace("\n", " ") for c in captions)
    assert " ".join(t["text"] for t in turns).split() == said.split()  # nothing lost or doubled
    for before, after in zip(subtitles, subtitles[1:], strict=False):
        assert before.end <= after.start  # one cue at a time


def test_ics_parses_with_icalendar_one_event_per_dated_action_and_stable_uids(oogst: Oogst) -> None:
    import icalendar

    session = oogst.session(make_session(oogst.out_dir))
    first = oogst.export(session, "ics")
    raw = first.data
    assert first.left_out == 1 and first.filename == f"{NAME}-actions.ics"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert len(events) == 3
    days = {str(e["SUMMARY"]).split(":")[0]: e.decoded("DTSTART") for e in events}
    assert days == {"Bram Jansen": dt.date(2026, 12, 7), "Dirk Bakker": dt.date(2027, 3, 12),
                    "Carla Smit": dt.date(2026, 12, 4)}
    bram = next(e for e in events if str(e["SUMMARY"]).startswith("Bram"))
    assert str(bram["SUMMARY"]) == "Bram Jansen: Checklist maken; in het team bespreken, met Carla Smit"
    assert "Intervisie team (30 november 2026)" in str(bram["DESCRIPTION"])
    assert "\u2013 Bram Jansen" in str(bram["DESCRIPTION"])  # the line it was said in
    oogst.edit(session, Edit("action", key=text_key("Notitie voor de manager over overdracht in de planning"),
                             owner="Anna de Vries", due="2027-03-19", text="Notitie voor de manager schrijven"))
    # the top 7 page: another owner, day and wording; the action keeps its id, the event its UID
    again = icalendar.Calendar.from_ical(oogst.export(session, "ics").data).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in again) == sorted(str(e["UID"]) for e in events)
    moved = next(e for e in again if str(e["SUMMARY"]).startswith("Anna"))  # the edited action: same event
    assert moved.decoded("DTSTART") == dt.date(2027, 3, 19)
    assert str(moved["SUMMARY"]) == "Anna de Vries: Notitie voor de manager schrijven"


def test_md_says_draft_until_there_is_a_final(oogst: Oogst) -> None:
    session = oogst.session(make_session(oogst.out_dir))
    draft = oogst.export(session, "md").data.decode("utf-8")
    assert draft.startswith("# Intervisie team\n") and "*Concept:" in draft
    assert draft.count("\n1. **Eigenaarschap expliciet maken**") == 1 and "\n7. " in draft and "\n8. " not in draft
    assert "| Dirk Bakker | Notitie voor de manager over overdracht in de planning | 12 maart (2027-03-12) |" in draft
    final = json.loads((session.root / "insights.json").read_text(encoding="utf-8"))
    final["insights"] = final["insights"][:3]
    final["reviewers"] = ["Carla Smit"]
    (session.root / "final.json").write_text(json.dumps(final), encoding="utf-8")
    text = oogst.export(session, "md").data.decode("utf-8")
    assert "*Definitieve top 7" in text and "Concept" not in text and "\n4. " not in text


def test_pseudonymised_session_exports_labels_unless_originals(oogst: Oogst) -> None:
    session = oogst.session(make_session(oogst.out_dir, pseudonymised=True))
    for fmt in ("txt", "vtt", "srt", "md", "ics", "docx"):
        data = oogst.export(session, fmt).data
        text = docx_text(data) if fmt == "docx" else data.decode("utf-8").replace("\r\n ", "")
        found = [name for name in REAL for part in name.split() if len(part) > 3 and part in text]
        assert not found, (fmt, found)
        assert "[Deelnemer 1]" in text or "[Participant 1]" in text, fmt
    originals = oogst.export(session, "txt", originals=True).data.decode("utf-8")
    assert all(name in originals for name in REAL)
    plain = oogst.export(session, "ics").data
    assert _uids(plain) == _uids(oogst.export(session, "ics", originals=True).data)  # one event per action


def _uids(data: bytes) -> list[str]:
    return sorted(line for line in data.decode("utf-8").split("\r\n") if line.startswith("UID:"))


def docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs] + [doc.core_properties.title or ""])


def test_docx_opens_in_python_docx(oogst: Oogst) -> None:
    from docx import Document

    session = oogst.session(make_session(oogst.out_dir))
    doc = Document(io.BytesIO(oogst.export(session, "docx").data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Intervisie team" and doc.paragraphs[0].style.name == "Title"
    assert "Datum: 30 november 2026" in texts[1] and "Deelnemers: Anna de Vries, Bram Jansen" in texts[1]
    turns = [t for t in texts if t.startswith("[")]
    assert len(turns) == 23 and turns[0] == "[00:05] Anna de Vries: Welkom allemaal. Vandaag bespreken we de " \
                                            "casus van Bram over de overdracht tussen teams."


@pytest.mark.needs_system("soffice", "pdftoppm")
def test_docx_renders_in_libreoffice(oogst: Oogst, tmp_path: Path) -> None:
    from tests.docx_helpers import convert_to_pdf, pdf_page_count

    session = oogst.session(make_session(oogst.out_dir))
    path = tmp_path / "transcript.docx"
    path.write_bytes(oogst.export(session, "docx").data)
    pdf = convert_to_pdf(path, tmp_path)
    assert pdf_page_count(pdf) >= 1
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    assert list(tmp_path.glob("page*.png"))


def test_cli_writes_atomically_never_overwrites_and_says_what_was_left_out(
        oogst: Oogst, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_session(oogst.out_dir)
    out = tmp_path / "acties.ics"
    args = ["export", NAME, "--out-dir", str(oogst.out_dir), "--format", "ics", "--out", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert f"-> {out}" in captured.out and "1 action point(s) without a due date left out" in captured.err
    before = out.read_bytes()
    assert main(args) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "already exists" in error and "--force" in error and str(out) in error
    assert out.read_bytes() == before
    assert main([*args, "--force"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acties.ics", "outputs"]  # no temporary file left
    capsys.readouterr()
    for bad, says in ((["export", "nope", "--out-dir", str(oogst.out_dir), "--format", "txt"], "no such session"),
                      (["export", NAME, "--out-dir", str(oogst.out_dir), "--format", "pdf"], "unknown format")):
        assert main(bad) == 1
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and says in error and "Traceback" not in error


def test_a_session_without_transcript_is_one_line(oogst: Oogst, capsys: pytest.CaptureFixture[str]) -> None:
    (oogst.out_dir / "leeg").mkdir(parents=True)
    assert main(["export", "leeg", "--out-dir", str(oogst.out_dir), "--format", "srt"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "no transcript yet" in error


def processed(cfg: Any, root: Path) -> None:
    """The session as the web app knows a processed one: a draft and a finished job."""
    (root / "draft.docx").write_bytes(b"")
    job = cfg.queue.submit("run", root.name, str(root / f"{root.name}.vtt"))
    cfg.queue.claim("test", job.id)
    cfg.queue.finish(job.id)


def test_session_page_downloads_every_format(tmp_path: Path) -> None:
    from tests.web_helpers import make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    processed(cfg, make_session(cfg.out_dir, pseudonymised=True))
    page = client.get(f"/s/{NAME}")
    assert page.status_code == 200 and 'id="export"' in page.text and "Exporteren" in page.text
    assert "met echte namen" in page.text
    for fmt in ("txt", "docx", "vtt", "srt", "md", "ics"):
        assert f'id="export-{fmt}"' in page.text
        answer = client.get(f"/s/{NAME}/export", params={"format": fmt})
        assert answer.status_code == 200, answer.text
        what = {"md": "top7", "ics": "actions"}.get(fmt, "transcript")
        assert answer.headers["content-disposition"] == f'attachment; filename="{NAME}-{what}.{fmt}"'
        if fmt == "txt":
            assert "Anna" not in answer.text and "[Deelnemer 1]" in answer.text
    real = client.get(f"/s/{NAME}/export", params={"format": "txt", "originals": "1"})
    assert "Anna de Vries" in real.text
    wrong = client.get(f"/s/{NAME}/export", params={"format": "exe"})
    assert wrong.status_code == 400 and "Onbekend exportformaat" in wrong.text and "Traceback" not in wrong.text


@pytest.mark.needs_system("chromium", "chromedriver")
def test_export_block_fits_a_phone_and_downloads_in_chromium(tmp_path: Path) -> None:
    from tests.web_helpers import chromium, free_port, make_client, running_server, wait_for

    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    _, cfg = make_client(out, state / "oogst")  # the queue `oogst serve` finds under XDG_STATE_HOME
    processed(cfg, make_session(out, pseudonymised=True))
    with running_server(out, state, port):
        driver = chromium(downloads)
        try:
            driver.set_window_size(390, 844)
            driver.get(f"http://127.0.0.1:{port}/s/{NAME}")
            width = driver.execute_script("return document.documentElement.clientWidth")
            block = driver.execute_script(
                "const r = document.getElementById('export').getBoundingClientRect();"
                "const b = [...document.querySelectorAll('#export button, #export label')]"
                ".map(e => e.getBoundingClientRect());"
                "return {left: r.left, right: r.right, widest: Math.max(...b.map(x => x.right)),"
                " scroll: document.documentElement.scrollWidth, buttons: b.length};")
            assert block["buttons"] == 7 and block["left"] >= 0, block
            assert block["right"] <= width and block["widest"] <= width and block["scroll"] <= width, (width, block)
            driver.execute_script("document.getElementById('export').scrollIntoView()")
            driver.save_screenshot(str(tmp_path / "export-390.png"))
            driver.execute_script("document.getElementById('export-originals').click();"
                                  "document.getElementById('export-srt').click()")
            got = wait_for(lambda: [p for p in downloads.glob("*.srt")], 30, "the .srt download")
            assert got[0].name == f"{NAME}-transcript.srt" and "Anna de Vries" in got[0].read_text(encoding="utf-8")
        finally:
            driver.quit()
