"""Run `oogst` as if none of the extras (web, queue, llm, privacy) were installed: `python tests/no_extras.py ARGS`.

A `sys.meta_path` finder refuses the extras' modules. Most are not installed by any core dependency, so they are
refused to every importer. httpx, jinja2 and transformers are: spaCy imports httpx (weasel) and jinja2 at import,
torch needs jinja2, faster-whisper's huggingface-hub needs httpx and KeyBERT's sentence-transformers transformers. A
core install has them anyway, so they are refused only when Oogst's own code asks for them (an import statement or
`require` in `pipeline/`), which proves the core does not use them itself.
"""

from __future__ import annotations

import importlib.abc
import sys
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

ABSENT = frozenset({"starlette", "uvicorn", "multipart", "python_multipart", "celery", "kombu", "redis", "deduce",
                    "openai"})
PULLED_IN = frozenset({"httpx", "jinja2", "transformers"})
BLOCKED = ABSENT | PULLED_IN


def _asked_by_pipeline(frame: FrameType | None) -> bool:
    """Whether the first frame outside the import machinery (and this file) belongs to `pipeline`."""
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if not (frame.f_code.co_filename.startswith("<frozen") or module.startswith("importlib")
                or module == __name__):
            return module == "pipeline" or module.startswith("pipeline.")
        frame = frame.f_back
    return False


class NoExtras(importlib.abc.MetaPathFinder):
    """Refuses the extras' modules as an absent package would: ModuleNotFoundError."""

    def find_spec(self, name: str, path: Any = None, target: ModuleType | None = None) -> None:
        top = name.partition(".")[0]
        if top in ABSENT or (top in PULLED_IN and _asked_by_pipeline(sys._getframe(1))):
            raise ModuleNotFoundError(f"No module named {name!r} (an extra, hidden by tests/no_extras.py)", name=name)
        return None


def install() -> None:
    """Hide the extras from this process (before anything imports them)."""
    assert not BLOCKED & set(sys.modules), f"already imported: {sorted(BLOCKED & set(sys.modules))}"
    sys.meta_path.insert(0, NoExtras())


if __name__ == "__main__":
    install()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pipeline.cli import main

    sys.exit(main(sys.argv[1:]))
