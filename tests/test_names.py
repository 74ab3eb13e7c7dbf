"""Speaker naming: assignments, names.toml, and renaming turns.json in place (atomically, stage stays fresh)."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from pipeline.core.errors import ConfigError, OogstError
from pipeline.core.session import Session, atomic_write_json, cache_key
from pipeline.core.types import Turn, Turns
from pipeline.speakers import names

TURNS = Turns({"S1": "Spreker 1", "S2": "Spreker 2", "S3": "Spreker 3"},
              (Turn("S1", 0.0, 2.0, "Goedemorgen."), Turn("S2", 2.5, 4.0, "Hoi."), Turn("S3", 4.5, 6.0, "Dag."),
               Turn("S1", 6.5, 8.0, "Zullen we?")),
              {"diarization": {"speakers": 3, "forced": False}})


@pytest.fixture
def session(tmp_path: Path) -> Session:
    session = Session.create(tmp_path / "outputs", "sessie")
    atomic_write_json(session.path("turns.json"), TURNS.to_dict())
    session.record("turns", cache_key("audio-hash", {"speakers": None}), ["turns.json"])
    return session


def test_parse_assignments() -> None:
    assert names.parse_assignments(["S1=Sanne", " S2 = Joris  de Vries ", "Sanne de Vries=Sanne"]) == {
        "S1": "Sanne", "S2": "Joris de Vries", "Sanne de Vries": "Sanne"}
    assert names.parse_assignments(["S1=A=B"]) == {"S1": "A=B"}


@pytest.mark.parametrize("bad", ["S1", "S1=", "=Sanne", "  =  "])
def test_parse_assignments_rejects_bad_syntax(bad: str) -> None:
    with pytest.raises(ConfigError, match="expected LABEL=Name, e.g. S1=Sanne"):
        names.parse_assignments([bad])


def test_parse_assignments_rejects_two_names_for_one_label() -> None:
    with pytest.raises(ConfigError, match="S1 is named twice"):
        names.parse_assignments(["S1=Sanne", "S1=Joris"])


def test_load_names(tmp_path: Path) -> None:
    assert names.load_names(Session(tmp_path)) == {}
    (tmp_path / "names.toml").write_text('[speakers]\nS1 = "Sanne"\n"Sanne de Vries" = "Sanne"\n', encoding="utf-8")
    assert names.load_names(Session(tmp_path)) == {"S1": "Sanne", "Sanne de Vries": "Sanne"}
    (tmp_path / "names.toml").write_text("[speakers]\nS1 = Sanne\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"names\.toml: not valid TOML .*; write lines like `S1 = \"Sanne\"`"):
        names.load_names(Session(tmp_path))
    (tmp_path / "names.toml").write_text("[speakers]\nS1 = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[speakers\] must map labels to names"):
        names.load_names(Session(tmp_path))


def test_with_names_is_pure_and_keeps_labels() -> None:
    named = names.with_names(TURNS, {"S1": "Sanne", "S9": "Niemand"})
    assert named.speakers == {"S1": "Sanne", "S2": "Spreker 2", "S3": "Spreker 3"}
    assert named.turns == TURNS.turns and named.name("S1") == "Sanne"
    assert TURNS.speakers["S1"] == "Spreker 1"
    with pytest.raises(names.UnknownSpeakerError, match=r"no speaker 'S9' \(known: S1 \(Spreker 1\)"):
        names.with_names(TURNS, {"S9": "Niemand"}, strict=True)


def test_apply_names_rewrites_turns_and_merges_names_toml(session: Session) -> None:
    before = session.path("turns.json").stat().st_ino
    renamed = names.apply_names(session, {"S1": "Sanne"})
    assert renamed.speakers == {"S1": "Sanne", "S2": "Spreker 2", "S3": "Spreker 3"}
    # A second call merges: S1 stays, S2 is added; a display name works as a key too.
    renamed = names.apply_names(session, {"Spreker 2": "Joris de Vries"})
    assert renamed.speakers == {"S1": "Sanne", "S2": "Joris de Vries", "S3": "Spreker 3"}
    on_disk = Turns.from_dict(json.loads(session.path("turns.json").read_text(encoding="utf-8")))
    assert on_disk == renamed and on_disk.turns == TURNS.turns and on_disk.extra == TURNS.extra
    toml = tomllib.loads(session.path("names.toml").read_text(encoding="utf-8"))
    assert toml == {"speakers": {"S1": "Sanne", "S2": "Joris de Vries"}}
    assert names.load_names(session) == {"S1": "Sanne", "S2": "Joris de Vries"}
    # Written by rename (a new inode), no temporary files left behind.
    assert session.path("turns.json").stat().st_ino != before
    assert sorted(p.name for p in session.root.iterdir()) == [".stages.json", "names.toml", "turns.json"]
    # The diarization stage is still fresh: renaming does not make it run again.
    assert session.is_fresh("turns", cache_key("audio-hash", {"speakers": None}))


def test_apply_names_unknown_label_names_the_known_ones(session: Session) -> None:
    before = session.path("turns.json").read_bytes()
    with pytest.raises(OogstError, match=r"turns\.json: no speaker 'S7' \(known: S1 \(Spreker 1\), S2 \(Spreker 2\), "
                                         r"S3 \(Spreker 3\)\); use one of these labels"):
        names.apply_names(session, {"S1": "Sanne", "S7": "Piet"})
    assert session.path("turns.json").read_bytes() == before
    assert not session.path("names.toml").exists()


def test_apply_names_on_imported_labels_with_spaces(tmp_path: Path) -> None:
    session = Session.create(tmp_path, "import")
    turns = Turns({"Sanne de Vries": "Sanne de Vries"}, (Turn("Sanne de Vries", 0, 1, "Hoi."),))
    atomic_write_json(session.path("turns.json"), turns.to_dict())
    renamed = names.apply_names(session, names.parse_assignments(["Sanne de Vries=Sanne"]))
    assert renamed.speakers == {"Sanne de Vries": "Sanne"}
    assert names.load_names(session) == {"Sanne de Vries": "Sanne"}


def test_apply_names_without_turns_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(OogstError, match=r"turns\.json: not found \(run the stage"):
        names.apply_names(Session.create(tmp_path, "leeg"), {"S1": "Sanne"})


def test_turns_json_is_never_half_written(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash while replacing turns.json leaves the old file whole."""
    before = session.path("turns.json").read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        names.apply_names(session, {"S1": "Sanne"})
    assert session.path("turns.json").read_bytes() == before
    assert [p.name for p in session.root.iterdir() if p.name.endswith(".tmp")] == []
