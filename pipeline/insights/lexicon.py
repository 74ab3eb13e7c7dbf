"""Per-language lexicon data (`lexicons/<language>.toml`, installed with the package), read once per language."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any

from pipeline.core.language import text_language


@functools.cache
def lexicon(language: str) -> dict[str, Any]:
    """The lexicon of the language's rules (Dutch or English, by the one fallback rule)."""
    name = f"{text_language(language)}.toml"
    return tomllib.loads(resources.files("pipeline.insights").joinpath("lexicons", name).read_text(encoding="utf-8"))
