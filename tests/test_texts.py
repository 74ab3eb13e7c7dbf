"""The fixed texts: one TOML file per language (pipeline/core/texts/), the same sections, keys and placeholders in
each, every section the code asks for present, and no label dictionary left in the Python code."""

from __future__ import annotations

import ast
import string
import tomllib
from pathlib import Path

import pytest

from pipeline.core.language import SUPPORTED, texts

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ROOT / "pipeline" / "core" / "texts"


def _load(language: str) -> dict[str, dict[str, str]]:
    return tomllib.loads((TEXTS / f"{language}.toml").read_text(encoding="utf-8"))


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_there_is_one_file_per_language_and_it_is_package_data() -> None:
    assert sorted(p.stem for p in TEXTS.glob("*.toml")) == sorted(SUPPORTED)
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "texts/*.toml" in data["tool"]["setuptools"]["package-data"]["pipeline.core"]


def test_both_languages_have_the_same_sections_and_keys() -> None:
    nl, en = _load("nl"), _load("en")
    assert list(nl) == list(en)
    for section in nl:
        assert set(nl[section]) == set(en[section]), (section, sorted(set(nl[section]) ^ set(en[section])))
        for key, text in nl[section].items():
            assert isinstance(text, str) and text.strip(), (section, key)
            assert isinstance(en[section][key], str) and en[section][key].strip(), (section, key)


def test_placeholders_agree_between_languages() -> None:
    nl, en = _load("nl"), _load("en")
    for section in nl:
        for key, text in nl[section].items():
            assert _placeholders(text) == _placeholders(en[section][key]), f"[{section}] {key}"
            assert all(p.isidentifier() for p in _placeholders(text)), f"[{section}] {key}: name each placeholder"


def _sections_asked_for() -> dict[str, list[str]]:
    """Every `texts(language, "section")` in pipeline/, with where it is."""
    asked: dict[str, list[str]] = {}
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "texts" and len(node.args) == 2:
                section = node.args[1]
                if isinstance(section, ast.Constant) and isinstance(section.value, str):
                    asked.setdefault(section.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return asked


def test_every_section_the_code_reads_exists() -> None:
    asked = _sections_asked_for()
    assert {"draft", "mail", "web", "speaking", "timeline", "phases", "themes", "carried", "overview", "llm",
            "privacy", "stages", "status"} <= set(asked)
    missing = {section: where for section, where in asked.items() if section not in _load("nl")}
    assert not missing, missing


@pytest.mark.parametrize("language", ["nl", "nl-BE", "Dutch", "en", "de", None])
def test_the_loader_follows_the_one_fallback_rule(language: str | None) -> None:
    expected = "nl" if language and language.lower().startswith(("nl", "dut")) else "en"
    assert dict(texts(language, "draft")) == _load(expected)["draft"]
    with pytest.raises(TypeError):
        texts("nl", "draft")["date"] = "changed"  # type: ignore[index]  # shared by every caller: read-only


def test_no_label_dictionary_is_left_in_the_code() -> None:
    from devtools.layer_counts import label_dictionaries, text_sources

    assert label_dictionaries(ROOT) == []
    assert text_sources(ROOT) == ["pipeline/core/texts/en.toml", "pipeline/core/texts/nl.toml"]


def _message_keys_named() -> dict[str, str]:
    """The [messages] keys the code names where it raises or shows a message: an error's second argument (or
    `key=`), `PageError`'s and `Message`'s first, the key argument of the problem helpers."""
    named: dict[str, str] = {}
    position = {"PageError": 0, "Message": 0, "_problem": 2, "_error": 4}
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None) or ""
            at = position.get(name, 1 if name.endswith("Error") or name in ("MissingExtra", "UploadTooLarge") else None)
            args = [a for a in node.args if not isinstance(a, ast.Starred)]
            found = [args[at]] if at is not None and len(args) > at else []
            found += [k.value for k in node.keywords if k.arg in ("key", "generic")]
            for value in found:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    named[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return named


def test_every_message_the_code_names_is_in_both_languages() -> None:
    named = _message_keys_named()
    assert len(named) > 80  # the scan finds the raise sites
    missing = {key: where for key, where in named.items() if key not in _load("nl")["messages"]}
    assert not missing, missing


def test_every_message_is_used() -> None:
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipeline").rglob("*.py"))
    unused = [key for key in _load("nl")["messages"]
              if f'"{key}"' not in source and not (key.endswith("_now") and f'"{key[:-4]}"' in source)]
    assert not unused, unused


def test_a_message_shows_in_the_language_asked_for_and_the_cli_keeps_its_english() -> None:
    from pipeline.core.errors import ConfigError, Message, OogstError

    error = ConfigError("--date 4 maart: give the date as YYYY-MM-DD", "date_format", value="4 maart")
    assert str(error) == "--date 4 maart: give the date as YYYY-MM-DD"  # the command line's line, unchanged
    assert error.text("nl") == _load("nl")["messages"]["date_format"].format(value="4 maart")
    assert error.text("en-GB") == _load("en")["messages"]["date_format"].format(value="4 maart")
    problem = Message("address_invalid", {"address": "x"})
    nested = Message("address_row", {"row": 2, "name": "Sanne", "problem": problem})
    assert nested.text("nl").startswith("Rij 2 (Sanne): 'x' is geen geldig e-mailadres")
    assert Message.from_dict(nested.to_dict()) == nested
    keyless = OogstError("/srv/oogst/outputs/x/turns.json: something English")
    assert keyless.text("nl") == _load("nl")["messages"]["generic"]  # never the English text on a Dutch page
    assert keyless.text("en") == "/srv/oogst/outputs/x/turns.json: something English"
    broken = OogstError("English", "date_format")  # a parameter missing: the generic sentence, not a crash
    assert broken.text("nl") == _load("nl")["messages"]["generic"]
