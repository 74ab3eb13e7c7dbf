"""The staged runner: caching, --force/--from, inputs, with the scripted backend (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import tone

import pipeline.asr.transcribe as transcribe_module
from devtools.synth import write_wav
from pipeline.asr.options import TranscribeOptions
from pipeline.core.errors import ConfigError, InputError
from pipeline.core.naming import session_name
from pipeline.core.settings import Settings, load_settings
from pipeline.core.types import Segment, Transcript, Word
from pipeline.run import collect_inputs, run_recording
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
