"""`oogst run --insights llm` through the stage runner and the command line: the settings reach the backend, the
cache key holds model and template, a failed request is not cached, the draft names the model, and a remote server
is refused with one line before anything is sent."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from llm_fake import FakeChatServer, Reply, grounded_final

from pipeline.cli import main
from pipeline.core.settings import Settings, load_settings
from pipeline.core.types import Turns
from pipeline.service import run_recording

FIXTURE = Path(__file__).resolve().parent / "data" / "insights" / "intervisie_nl.json"


@pytest.fixture
def transcript(tmp_path: Path) -> Path:
    turns = Turns.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    path = tmp_path / "sessie-2026-11-23.txt"
    path.write_text("\n".join(f"{turns.name(t.speaker)}: {t.text}" for t in turns.turns) + "\n", encoding="utf-8")
    return path


def test_the_stage_runner_uses_the_model_caches_by_model_and_template_and_retries_a_failure(
        transcript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_fake import HashEncoder

    # The extractive stand-in is the real backend; only its sentence encoder is swapped for speed.
    monkeypatch.setattr("pipeline.insights.extract.default_encoder", HashEncoder)
    failing = [True]

    def script(request: dict[str, Any]) -> Reply:
        return Reply(status=503) if failing[0] else Reply(json.dumps(grounded_final(request)))

    with FakeChatServer(script) as server:
        settings = Settings(out_dir=tmp_path / "out", language="nl", insights="llm", llm_url=server.url,
                            llm_model="fake-model", llm_context=16384, llm_api_key="sk-test")
        first = run_recording(transcript, settings)
        insights = json.loads(first.session.path("insights.json").read_text(encoding="utf-8"))
        assert "HTTP 503" in insights["llm_error"] and insights["insights"]
        assert server.headers[0]["Authorization"] == "Bearer sk-test"
        assert {i["source"] for i in insights["insights"]} == {"extractive"}
        assert first.session.path("draft.docx").is_file()

        failing[0] = False  # the server is back: the failed insights were not cached, so they are redone
        second = run_recording(transcript, settings)
        assert "insights" in second.stage_seconds and "draft" in second.stage_seconds
        insights = json.loads(second.session.path("insights.json").read_text(encoding="utf-8"))
        assert "llm_error" not in insights and insights["backend"] == "llm"
        assert [i["source"] for i in insights["insights"]] == ["llm"] * 7
        assert insights["grounding"]["kept"] == 11 and insights["template"] == "intervisie"

        import docx

        text = "\n".join(p.text for p in docx.Document(str(second.session.path("draft.docx"))).paragraphs)
        assert "fake-model" in text and server.url in text

        third = run_recording(transcript, settings)
        assert "insights" in third.skipped and len(server.requests) == 2

        fourth = run_recording(transcript, replace(settings, llm_template="team-meeting"))
        assert "insights" in fourth.stage_seconds and len(server.requests) == 3
        assert "teamoverleg" in server.requests[-1]["messages"][0]["content"]


def test_a_remote_server_is_refused_with_one_line(transcript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OOGST_CONFIG", str(tmp_path / "absent.toml"))  # no config file of this machine
    code = main(["run", str(transcript), "--out-dir", str(tmp_path / "out"), "--insights", "llm",
                 "--llm-url", "http://93.184.215.14:8080/v1", "--llm-model", "m", "-q"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "93.184.215.14" in err and "--allow-remote" in err and "Traceback" not in err
    assert not list((tmp_path / "out").rglob("insights.json"))


def test_llm_settings_come_from_the_config_file_the_environment_and_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[oogst]\ninsights = "llm"\n[llm]\nurl = "http://127.0.0.1:11434/v1"\nmodel = "llama3.1:8b"\n'
                      'template = "learning-network"\ncontext = 8192\n', encoding="utf-8")
    env = {"OOGST_CONFIG": str(config), "OOGST_LLM_MODEL": "qwen2.5:7b", "OOGST_LLM_API_KEY": "sk-local"}
    settings = load_settings({"llm_context": 16384}, env)
    assert (settings.insights, settings.llm_url, settings.llm_model, settings.llm_template) == \
        ("llm", "http://127.0.0.1:11434/v1", "qwen2.5:7b", "learning-network")
    assert settings.llm_context == 16384 and settings.llm_api_key == "sk-local" and settings.allow_remote is False
    assert "sk-local" not in repr(settings)
    config.write_text('[oogst]\ninsights = "generative"\n', encoding="utf-8")
    from pipeline.core.errors import ConfigError

    with pytest.raises(ConfigError, match="choose one of extractive, llm"):
        load_settings({}, {"OOGST_CONFIG": str(config)})
