"""The core installs and runs alone; a feature whose extra is missing says, in one line, which extra to install.

The subprocesses run `oogst` through tests/no_extras.py, which hides the extras' modules from the process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, SAMPLE_SCRIPT
from no_extras import ABSENT, PULLED_IN

from pipeline.core.errors import EXTRAS, MissingExtra, OogstError, require

# Every distribution an extra brings, spelled as pip does; none of them may be in the core list.
EXTRA_DISTRIBUTIONS = {"starlette", "uvicorn", "jinja2", "python-multipart", "celery", "kombu", "redis", "httpx",
                       "transformers", "deduce"}


def oogst_without_extras(*args: str, env: dict[str, str] | None = None,
                         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "tests" / "no_extras.py"), *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def one_error_line(done: subprocess.CompletedProcess[str], extra: str) -> str:
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].endswith(f"needs the {extra} extra: pip install 'oogst[{extra}]'"), lines[0]
    return lines[0]


def test_the_core_dependencies_hold_no_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    assert not core & EXTRA_DISTRIBUTIONS, f"in the core list: {sorted(core & EXTRA_DISTRIBUTIONS)}"
    assert set(project["optional-dependencies"]) == {"web", "queue", "llm", "privacy", "all", "test"}


def test_the_hidden_modules_are_the_extras_modules():
    """tests/no_extras.py hides every module an extra brings (kombu and openai besides: Celery's and never used)."""
    assert set().union(*EXTRAS.values()) <= ABSENT | PULLED_IN


def test_require_names_the_extra(monkeypatch: pytest.MonkeyPatch):
    require("web", "oogst serve")  # installed here: no error
    monkeypatch.setitem(sys.modules, "deduce", None)  # what an absent package looks like to the import system
    with pytest.raises(MissingExtra) as caught:
        require("privacy", "pseudonymising Dutch (--pseudonymise)")
    assert isinstance(caught.value, OogstError)
    assert str(caught.value) == ("pseudonymising Dutch (--pseudonymise) needs the privacy extra: "
                                 "pip install 'oogst[privacy]'")


def test_pseudonymising_dutch_without_deduce_names_the_privacy_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No quiet fall-back to the rules alone: they miss names deduce finds, and the draft's key names deduce."""
    from pipeline.privacy.shared import detector_for

    monkeypatch.setitem(sys.modules, "deduce", None)
    with pytest.raises(MissingExtra, match=r"needs the privacy extra: pip install 'oogst\[privacy\]'"):
        detector_for("nl", tmp_path)


def test_every_module_but_the_web_app_imports_without_the_extras():
    """The extras' modules are imported where they are used, not when a module is loaded (pipeline/web aside:
    the web app is the web extra, and says so when imported)."""
    code = ("import importlib, sys, no_extras; no_extras.install(); from pathlib import Path\n"
            "for path in sorted(p for p in Path('pipeline').rglob('*.py') if p.name != '__main__.py'):\n"
            "    name = '.'.join(path.with_suffix('').parts).removesuffix('.__init__')\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except Exception as exc:\n"
            "        print(name, type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, text=True, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])})
    assert done.returncode == 0, done.stderr
    failed = [line for line in done.stdout.splitlines() if not line.startswith("pipeline.web")]
    assert not failed, "\n".join(failed)
    web = "MissingExtra oogst serve needs the web extra: pip install 'oogst[web]'"
    assert all(line.endswith(web) for line in done.stdout.splitlines()) and "pipeline.web.serve" in done.stdout


def test_serve_without_the_web_extra_says_so_in_one_line(tmp_path: Path):
    line = one_error_line(oogst_without_extras("serve", "--out-dir", str(tmp_path)), "web")
    assert line == "oogst: error: oogst serve needs the web extra: pip install 'oogst[web]'"


def test_insights_llm_without_the_llm_extra_says_so_in_one_line(tmp_path: Path):
    """An imported transcript, so the run reaches the insights stage at once (the check is made there)."""
    done = oogst_without_extras("run", str(SAMPLE_SCRIPT), "--insights", "llm", "--llm-url", "http://127.0.0.1:9",
                                "--llm-model", "m", "--out-dir", str(tmp_path), "--quiet")
    assert one_error_line(done, "llm") == "oogst: error: --insights llm needs the llm extra: pip install 'oogst[llm]'"


def test_a_broker_without_the_queue_extra_says_so_in_one_line(tmp_path: Path):
    done = oogst_without_extras("jobs", "--out-dir", str(tmp_path), env={"OOGST_BROKER_URL": "redis://127.0.0.1:9/0"})
    one_error_line(done, "queue")


@pytest.mark.slow
def test_the_core_runs_the_sample_without_any_extra(models_dir: Path, tmp_path: Path):
    done = oogst_without_extras("run", str(SAMPLE), "--out-dir", str(tmp_path), "--models-dir", str(models_dir),
                                "--quiet", timeout=1200)
    assert done.returncode == 0, done.stderr
    session = tmp_path / SAMPLE.stem
    for artefact in ("turns.json", "insights.json", "draft.docx"):
        assert (session / artefact).is_file(), artefact
