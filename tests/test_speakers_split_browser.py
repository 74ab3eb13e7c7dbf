"""Splitting a turn at a word in a real headless Chromium against a real `oogst serve` (issue 27): the second part of
a turn goes to a new speaker on the transcript page; turns.json cuts the turn where the recogniser heard that word,
the speaking time and the draft follow, and a second `oogst run` keeps it. The recording is a tone transcribed by
the shipped `ScriptedBackend` (word times not spread evenly), so the run takes seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tone

import pipeline.asr.transcribe as transcribe_module
from devtools.synth import write_wav
from pipeline.asr.options import TranscribeOptions
from pipeline.core.session import DRAFT, TURNS, Session
from pipeline.core.settings import Settings
from pipeline.core.types import RunRequest, Segment, Turns, Word
from pipeline.review.sections import speaking_times
from pipeline.service import Oogst
from pipeline.testing import ScriptedBackend
from tests.test_web_browser import Walk
from tests.web_helpers import ROOT, chromium, free_port, running_server, wait_for


def words(start: float, end: float, text: str) -> tuple[Word, ...]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return tuple(Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), f" {w}", 0.9)
                 for i, w in enumerate(tokens))


# One voice to the diarizer (one turn); in the middle, the first sentence said quickly, a pause, then someone else's
# sentence from 12.2 s on (by the share of characters the cut would fall at about 11.4 s).
FIRST = "Ik merk dat de overdracht vaak misgaat."
SECOND = "Wat ik meeneem is dat grenzen stellen echt helpt."
SEGMENTS = [
    Segment(1.0, 5.0, "Goedemorgen allemaal, fijn dat jullie er zijn.", words(1.0, 5.0, "Goedemorgen allemaal, fijn "
                                                                                        "dat jullie er zijn.")),
    Segment(8.0, 16.0, f"{FIRST} {SECOND}", words(8.0, 11.0, FIRST) + words(12.2, 16.0, SECOND)),
    Segment(18.5, 22.0, "Dank je, dat neem ik mee naar het team.", words(18.5, 22.0, "Dank je, dat neem ik mee "
                                                                                     "naar het team.")),
]


def shown(session: Session) -> list[tuple[str, str, float, float, str]]:
    turns = Turns.from_dict(json.loads(session.path(TURNS).read_text(encoding="utf-8")))
    return [(t.id, turns.name(t.speaker), t.start, t.end, t.text) for t in turns.turns]


def draft_lines(session: Session) -> list[str]:
    """The draft's paragraphs that hold a line of the transcript appendix."""
    import docx

    return [p.text for p in docx.Document(str(session.path(DRAFT))).paragraphs if "Spreker" in p.text
            or "S2" in p.text]


def said_by_s2(session: Session) -> bool:
    return any("S2" in line and SECOND in line for line in draft_lines(session))


@pytest.mark.needs_system("chromium", "chromedriver")
def test_a_turn_split_at_a_word_in_the_browser_follows_into_speaking_time_and_draft_and_survives_a_rerun(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    folder = out / "2025-03-04_intervisie-west"  # the recording in its session folder, as an upload leaves it
    folder.mkdir(parents=True)
    recording = write_wav(folder / "2025-03-04_intervisie-west.wav", tone(24.0))

    def scripted(opts: TranscribeOptions) -> ScriptedBackend:
        return ScriptedBackend(list(SEGMENTS), duration=24.0)

    monkeypatch.setattr(transcribe_module, "get_backend", scripted)
    settings = Settings(out_dir=out, models_dir=ROOT / "models", quiet=True)
    Oogst(settings).run(RunRequest(str(recording), speakers=1, language="nl"))
    session = Session(out / "2025-03-04_intervisie-west")
    before = shown(session)
    whole = " ".join(segment.text for segment in SEGMENTS)
    assert before == [("t100", "Spreker 1", 1.0, 22.0, whole)]  # one speaker: one turn
    assert not said_by_s2(session) and any(whole[:40] in line for line in draft_lines(session))
    with running_server(out, state, port):
        driver = chromium(downloads)
        walk = Walk(driver, f"http://127.0.0.1:{port}", downloads)
        try:
            walk.open(f"/s/{session.name}/transcript", "transcript")
            line = walk.find("#t0")
            line.find_element(By.CSS_SELECTOR, "details.turn-speaker summary").click()
            form = line.find_element(By.CSS_SELECTOR, "form.move-turn")
            Select(form.find_element(By.NAME, "speaker")).select_by_value("new")
            form.find_element(By.NAME, "word").send_keys("15")  # "Wat", the 15th word
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            try:
                wait_for(lambda: "saved=1" in driver.current_url, 60, "the split to be saved")
            except AssertionError:
                raise AssertionError(driver.current_url + "\n" + walk.text()[:3000]) from None
            assert SECOND in walk.find("#t1").text and "misgaat." in walk.find("#t0").text
        finally:
            driver.quit()
        after = shown(session)
        split = [("t100", "Spreker 1", 1.0, 12.2), ("t100w14", "S2", 12.2, 22.0)]
        assert [row[:4] for row in after] == split  # cut at 12.2 s, where "Wat" was heard (not by characters)
        assert [row[4].split()[-1] for row in after] == ["misgaat.", "team."] and after[1][4].startswith(SECOND)
        times = {t.name: t.seconds for t in speaking_times(session.turns())}
        assert times == {"Spreker 1": pytest.approx(11.2), "S2": pytest.approx(9.8)}
        try:
            wait_for(lambda: said_by_s2(session), 240, "the draft to follow")  # the worker's re-run
        except AssertionError:
            raise AssertionError(draft_lines(session)) from None

    rerun = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(recording), "--speakers", "1",
                            "--language", "nl", "--out-dir", str(out), "--models-dir", str(ROOT / "models")],
                           cwd=ROOT, text=True, capture_output=True, timeout=300,
                           env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_STATE_HOME": str(state),
                                "OOGST_CONFIG": str(state / "none.toml")})
    assert rerun.returncode == 0, rerun.stderr
    assert [row[:4] for row in shown(session)] == split  # the layer applied again, the same cut
    assert said_by_s2(session)
