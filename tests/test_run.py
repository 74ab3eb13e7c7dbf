"""The staged runner: caching, --force/--from, inputs (scripted backend, no model); edited drafts kept, --names,
the insights cache key (imported transcript, real insights stage)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import docx
import numpy as np
import pytest
from conftest import tone
from docx_helpers import CommentSpec, add_comments

import pipeline.asr.transcribe as transcribe_module
from devtools.synth import write_wav
from pipeline.asr.options import TranscribeOptions
from pipeline.cli import main
from pipeline.core.errors import ConfigError, InputError
from pipeline.core.language import session_name
from pipeline.core.settings import Settings, load_settings
from pipeline.core.types import Segment, Transcript, Turns, Word
from pipeline.insights.extract import ExtractiveBackend
from pipeline.run import collect_inputs
from pipeline.service import run_recording
from pipeline.testing import ScriptedBackend


@pytest.fixture()
def recording(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "2025-03-04_intervisie-west.wav", tone(12.0))


@pytest.fixture()
def scripted(monkeypatch: pytest.MonkeyPatch) -> list[ScriptedBackend]:
    made: list[ScriptedBackend] = []

    def fake_backend(opts: TranscribeOptions) -> ScriptedBackend:
        words = (Word(1.0, 1.5, " Goedemorgen", 0.9), Word(1.5, 2.0, " allemaal.", 0.9))
        backend = ScriptedBackend([Segment(1.0, 2.0, "Goedemorgen allemaal.", words)], duration=12.0)
        made.append(backend)
        return backend

    monkeypatch.setattr(transcribe_module, "get_backend", fake_backend)
    return made


def test_rerun_does_no_transcription_work(recording: Path, tmp_path: Path,
                                          scripted: list[ScriptedBackend]) -> None:
    settings = Settings(out_dir=tmp_path / "out")
    first = run_recording(recording, settings, until="transcribe")
    assert "transcribe" in first.stage_seconds and len(scripted) == 1
    transcript = Transcript.from_dict(__import__("json").loads(first.session.path("transcript.json").read_text()))
    assert transcript.extra["recorded"] == "2025-03-04" and transcript.extra["title"] == "Intervisie west"
    assert transcript.extra["source"] == recording.name
    second = run_recording(recording, settings, until="transcribe")
    assert second.skipped == ["transcribe"] and second.stage_seconds == {}
    assert len(scripted) == 1  # no backend was even built
    run_recording(recording, settings, until="transcribe", force=True)
    assert len(scripted) == 2
    run_recording(recording, Settings(out_dir=tmp_path / "out", language="en"), until="transcribe")
    assert len(scripted) == 3  # another language is another transcript


def test_changed_recording_is_transcribed_again(recording: Path, tmp_path: Path,
                                                scripted: list[ScriptedBackend]) -> None:
    settings = Settings(out_dir=tmp_path / "out")
    run_recording(recording, settings, until="transcribe")
    write_wav(recording, tone(12.0, freq=330))
    run_recording(recording, settings, until="transcribe")
    assert len(scripted) == 2


def test_unknown_stage_and_file_kind(recording: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown stage"):
        run_recording(recording, Settings(out_dir=tmp_path), start="summarise")
    odd = tmp_path / "notes.pdf"
    odd.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError, match="not a recording"):
        run_recording(odd, Settings(out_dir=tmp_path))


def test_folder_input_takes_recordings_only(tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    write_wav(folder / "b.wav", tone(1))
    write_wav(folder / "a.wav", tone(1))
    (folder / "README.md").write_text("drop folder")
    (folder / "a.truth.json").write_text("{}")
    (folder / "teams.vtt").write_text("WEBVTT\n")
    assert [p.name for p in collect_inputs([folder])] == ["a.wav", "b.wav", "teams.vtt"]
    write_wav(folder / "a.mp3", np.zeros(10, np.float32))
    with pytest.raises(InputError, match="same name"):
        collect_inputs([folder])


def test_session_names_are_safe() -> None:
    assert session_name(Path("Sessie 3 (team west).m4a")) == "Sessie-3-team-west"
    assert session_name(Path("../../etc.m4a")) == "etc"


def test_settings_precedence(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[oogst]\nlanguage = "en"\nthreads = 1\nvocabulary = ["casus", "inbrenger"]\n')
    env = {"OOGST_CONFIG": str(config), "OOGST_THREADS": "2"}
    settings = load_settings({"language": None}, env)
    assert (settings.language, settings.threads, settings.vocabulary) == ("en", 2, ("casus", "inbrenger"))
    assert load_settings({"language": "nl"}, env).language == "nl"
    config.write_text('[oogst]\ncolour = "blue"\n')
    with pytest.raises(ConfigError, match=r"unknown key .colour. in \[oogst\]"):
        load_settings({}, env)


# A short typed-out intervisie: enough for the real insights stage to find something, small enough to be quick.
TRANSCRIPT = """\
[00:00:02] Anna: Goedemorgen allemaal. Bram brengt vandaag een casus in over de overdracht.
[00:00:09] Bram: Vorige week ging een cliënt naar een andere afdeling en niemand had het dossier gelezen.
[00:00:20] Carla: Wat ik meeneem is dat een warme overdracht met de cliënt erbij veel beter werkt.
[00:00:31] Anna: Precies, dat herken ik. Een warme overdracht voorkomt dat informatie verloren gaat.
[00:00:40] Bram: De sleutel is dat iemand zich eigenaar voelt van de overdracht.
[00:00:49] Carla: Mijn advies is om eigenaarschap expliciet te maken in het teamoverleg.
[00:00:58] Anna: Ik stuur voor vrijdag een voorstel voor de nieuwe werkwijze rond.
[00:01:07] Bram: Dank jullie wel, ik heb er echt wat aan gehad.
"""


@pytest.fixture()
def typed(tmp_path: Path) -> Path:
    path = tmp_path / "2025-03-04_overdracht.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    return path


@pytest.fixture()
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No OOGST_* variables or config file of the machine running the tests."""
    for name in [n for n in os.environ if n.startswith("OOGST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.mark.slow
def test_edited_draft_is_kept_aside_and_unedited_one_replaced(typed: Path, tmp_path: Path) -> None:
    settings = Settings(out_dir=tmp_path / "out")
    session = run_recording(typed, settings).session
    draft = session.path("draft.docx")
    assert draft.is_file()

    again = run_recording(typed, settings, start="draft")
    assert "draft" in again.stage_seconds and draft.is_file()
    assert not list(session.root.glob("draft.edited-*")), "an unedited draft is simply replaced"

    # somebody commented in the session's own draft.docx, then the draft is redone (--from draft)
    add_comments(draft, draft, [CommentSpec("Warme overdracht", "Dit wil ik nog bespreken", "Anna")])
    edited = draft.read_bytes()
    redone = run_recording(typed, settings, start="draft")
    assert "draft" in redone.stage_seconds
    (kept,) = session.root.glob("draft.edited-*.docx")
    assert kept.read_bytes() == edited
    assert draft.read_bytes() != edited and not list(docx.Document(str(draft)).comments), "a fresh draft"

    # edited again, then a plain re-run: the cache sees the changed draft.docx and redoes it, keeping the edit
    add_comments(draft, draft, [CommentSpec("Warme overdracht", "Nog een opmerking", "Bram")])
    edited_again = draft.read_bytes()
    rerun = run_recording(typed, settings)
    assert "draft" in rerun.stage_seconds and rerun.skipped == ["transcribe", "analysis", "names", "insights"]
    assert sorted(k.read_bytes() for k in session.root.glob("draft.edited-*.docx")) == sorted([edited, edited_again])
    assert draft.read_bytes() not in (edited, edited_again)


def _speakers(out: Path) -> dict[str, str]:
    (turns,) = out.glob("*/turns.json")
    return Turns.from_dict(json.loads(turns.read_text(encoding="utf-8"))).speakers


def test_names_option_on_run_over_names_toml(typed: Path, tmp_path: Path, clean_env: None,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    base = ["run", str(typed), "--out-dir", str(out), "--until", "names", "--quiet"]
    assert main(base) == 0
    assert _speakers(out) == {"Anna": "Anna", "Bram": "Bram", "Carla": "Carla"}
    names_toml = out / "2025-03-04_overdracht" / "names.toml"
    names_toml.write_text('[speakers]\nAnna = "Anna de Vries"\nBram = "Bram Jansen"\n', encoding="utf-8")
    written = names_toml.read_bytes()

    assert main([*base, "--names", "Anna=Annemarie", "Carla=Carla Smit"]) == 0
    assert _speakers(out) == {"Anna": "Annemarie", "Bram": "Bram Jansen", "Carla": "Carla Smit"}
    assert names_toml.read_bytes() == written, "--names is for this run; names.toml is not rewritten"
    assert main(base) == 0
    assert _speakers(out)["Anna"] == "Anna de Vries", "without --names, names.toml counts again"

    capsys.readouterr()
    assert main([*base, "--names", "Zoe=Zoë"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'Zoe'" in err and all(label in err for label in ("Anna", "Bram", "Carla"))


@pytest.mark.slow
def test_insights_rerun_when_method_version_or_language_changes(typed: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(out_dir=tmp_path / "out")
    session = run_recording(typed, settings).session
    assert "insights" in run_recording(typed, settings, until="insights").skipped

    monkeypatch.setattr(ExtractiveBackend, "version", "test-2")
    changed = run_recording(typed, settings, until="insights")
    assert "insights" in changed.stage_seconds, "a new method version re-runs the insights"
    assert "insights" in run_recording(typed, settings, until="insights").skipped

    transcript = json.loads(session.path("transcript.json").read_text(encoding="utf-8"))
    transcript["language"] = "en"
    session.path("transcript.json").write_text(json.dumps(transcript, ensure_ascii=False), encoding="utf-8")
    session.rerecord("transcribe")  # as if it had been transcribed in English; the turns stay the same
    relanguaged = run_recording(typed, settings, until="insights")
    assert "transcribe" in relanguaged.skipped
    assert "names" in relanguaged.stage_seconds, "turns.json's intervision phases are in the session's language"
    assert "insights" in relanguaged.stage_seconds, "another session language re-runs the insights"
    assert json.loads(session.path("insights.json").read_text(encoding="utf-8"))["language"] == "en"
