"""One settings loader for every command: CLI > OOGST_* > config file, one path rule, unknown keys named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mail_helpers import SESSION_NAME, make_session

from pipeline.cli import main
from pipeline.core.errors import ConfigError
from pipeline.core.session import Session, atomic_write_json
from pipeline.core.settings import config_file, load_settings
from pipeline.core.types import Turn, Turns

TURNS = Turns({"S1": "Spreker 1", "S2": "Spreker 2"},
              (Turn("S1", 0.0, 2.0, "Goedemorgen."), Turn("S2", 2.5, 4.0, "Hoi.")), {})


def test_config_path_rule() -> None:
    assert config_file({"OOGST_CONFIG": "/a/b.toml", "XDG_CONFIG_HOME": "/x"}) == Path("/a/b.toml")
    assert config_file({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}) == Path("/x/oogst/config.toml")
    assert config_file({"HOME": "/h"}) == Path("/h/.config/oogst/config.toml")


def test_xdg_config_home_is_honoured_by_run_settings(tmp_path: Path) -> None:
    (tmp_path / "oogst").mkdir()
    (tmp_path / "oogst" / "config.toml").write_text('[oogst]\nout_dir = "/srv/oogst"\n', encoding="utf-8")
    settings = load_settings({}, {"XDG_CONFIG_HOME": str(tmp_path)})
    assert settings.out_dir == Path("/srv/oogst")
    assert settings.config_path == tmp_path / "oogst" / "config.toml"


def test_one_file_holds_every_section(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[oogst]\nlanguage = "en"\n[smtp]\nhost = "smtp.example.nl"\n[llm]\nurl = "http://127.0.0.1:8080"\n'
                      '[queue]\nbroker_url = "redis://127.0.0.1"\n[web]\nport = 8001\n', encoding="utf-8")
    settings = load_settings({}, {"OOGST_CONFIG": str(config)})
    assert settings.language == "en"
    assert settings.section("smtp") == {"host": "smtp.example.nl"}
    assert settings.section("web") == {"port": 8001}


@pytest.mark.parametrize(("text", "named"), [
    ('[oogst]\ncolour = "blue"\n', "unknown key 'colour' in [oogst]"),
    ('[smtp]\nhots = "x"\n', "unknown key 'hots' in [smtp]"),
    ('[llm]\nmodle = "x"\n', "unknown key 'modle' in [llm]"),
    ('[mial]\nhost = "x"\n', "unknown section [mial]"),
    ('[llm]\napi_key = "sk-123"\n', "OOGST_LLM_API_KEY"),
])
def test_unknown_or_secret_keys_are_one_line_errors(tmp_path: Path, text: str, named: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings({}, {"OOGST_CONFIG": str(config)})
    assert named in str(info.value) and "\n" not in str(info.value) and str(config) in str(info.value)


def test_explicit_config_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings({}, {}, config=tmp_path / "nope.toml")


def _turns_session(out_dir: Path) -> Session:
    session = Session.create(out_dir, "sessie")
    atomic_write_json(session.path("turns.json"), TURNS.to_dict())
    return session


@pytest.mark.parametrize("how", ["environment", "config file"])
def test_names_finds_sessions_in_the_configured_out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], how: str) -> None:
    out_dir = tmp_path / "elders"
    _turns_session(out_dir)
    monkeypatch.chdir(tmp_path)  # there is no ./outputs here
    monkeypatch.delenv("OOGST_CONFIG", raising=False)
    if how == "environment":
        monkeypatch.setenv("OOGST_OUT_DIR", str(out_dir))
    else:
        monkeypatch.delenv("OOGST_OUT_DIR", raising=False)
        (tmp_path / "xdg" / "oogst").mkdir(parents=True)
        (tmp_path / "xdg" / "oogst" / "config.toml").write_text(f'[oogst]\nout_dir = "{out_dir}"\n', encoding="utf-8")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["names", "sessie", "S1=Sanne"]) == 0
    assert "S1 = Sanne" in capsys.readouterr().out
    assert Turns.from_dict(json.loads((out_dir / "sessie" / "turns.json").read_text()))\
        .speakers["S1"] == "Sanne"


def test_mail_finds_sessions_in_out_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_session(tmp_path / "elders")  # -> tmp_path/elders/outputs/<SESSION_NAME>
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OOGST_OUT_DIR", str(tmp_path / "elders" / "outputs"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("OOGST_CONFIG", raising=False)
    assert main(["mail", SESSION_NAME, "--to", "jan@example.nl"]) == 0
    assert (tmp_path / "elders" / "outputs" / SESSION_NAME / "mail.eml").is_file()


def test_quiet_run_prints_nothing_on_success(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    transcript = tmp_path / "overleg.txt"
    transcript.write_text("Anna: Goedemorgen allemaal.\nBram: Goedemorgen Anna.\n", encoding="utf-8")
    code = main(["run", str(transcript), "--out-dir", str(tmp_path / "out"), "--until", "names", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0 and (tmp_path / "out" / "overleg" / "turns.json").is_file()
    assert captured.out == "" and captured.err == ""
    main(["run", str(transcript), "--out-dir", str(tmp_path / "out"), "--until", "names"])
    assert "overleg.txt: up to date" in capsys.readouterr().out  # without --quiet the result is printed


def test_collect_finds_sessions_in_out_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    session = make_session(tmp_path / "elders", final=False)
    returned = tmp_path / "terug.docx"
    returned.write_bytes(b"not a zip")  # unusable, so collect reports it, but only after finding the session
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OOGST_OUT_DIR", str(session.root.parent))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("OOGST_CONFIG", raising=False)
    assert main(["collect", SESSION_NAME, str(returned)]) == 1
    err = capsys.readouterr().err
    assert "terug.docx: is not a Word document" in err and "not found" not in err
    assert (session.root / "review.json").is_file()
