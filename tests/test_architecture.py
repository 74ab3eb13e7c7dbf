"""The package map holds: imports point down only, no import cycle, no module over 400 lines, README matches."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"
MAX_LINES = 400

# What each part of `pipeline` may import (besides itself). The order is the README's package map.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "ingest": {"core"},
    "analysis": {"core"},  # Frog as a separate process; the typed Dutch analysis of the turns
    "models": {"core", "ingest"},
    "asr": {"core", "ingest", "models"},
    "speakers": {"core", "ingest", "analysis"},
    "insights": {"core", "analysis"},
    "privacy": {"core", "analysis"},
    "llm": {"core", "insights", "privacy"},
    "review": {"core", "privacy"},
    "mail": {"core", "privacy"},
    "series": {"core", "insights", "speakers", "privacy", "review"},
    "run": {"core", "ingest", "analysis", "models", "asr", "speakers", "insights", "privacy", "review", "llm",
            "series"},
    "jobs": {"core", "ingest", "analysis", "asr", "run"},
    "web": {"core", "ingest", "speakers", "review", "mail", "jobs", "series"},
    "cli": {"core", "ingest", "analysis", "models", "asr", "speakers", "insights", "privacy", "review", "mail", "run",
            "jobs", "web", "llm", "series"},
    "testing": {"core", "asr"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every `pipeline.*` module imported anywhere in the file (lazy imports inside functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.startswith("pipeline")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_part_is_in_the_layer_table():
    parts = {_part(m) for m in _modules()} - {""}
    assert parts == set(ALLOWED), f"update ALLOWED and the README's package map: {parts ^ set(ALLOWED)}"


def test_imports_point_down_only():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        part = _part(name)
        for target in _imports(path):
            resolved = target if target in modules else target.rsplit(".", 1)[0]
            other = _part(resolved)
            if resolved in modules and other and other != part and other not in ALLOWED.get(part, set()):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def test_no_import_cycle():
    modules = _modules()
    graph = {name: {t if t in modules else t.rsplit(".", 1)[0] for t in _imports(path)} & set(modules) - {name}
             for name, path in modules.items()}
    # a package's __init__ re-exporting its own modules is not a cycle of the modules themselves
    graph = {name: {t for t in targets if not name.startswith(t + ".")} for name, targets in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_module_is_too_long():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


def test_every_package_says_what_it_owns():
    for path in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{path}: add a docstring saying what the package owns and may import"


def test_readme_package_map_matches_the_tree():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture"):]
    section = section[: section.index("\n## ", 4)] if "\n## " in section[4:] else section
    listed = set(re.findall(r"^  (\w+)(?:/|\.py)\s", section, flags=re.M))
    actual = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    actual |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert listed == actual, f"README package map differs from pipeline/: {sorted(listed ^ actual)}"


# Declared because something needs them at run time without `pipeline/` importing them by name.
INDIRECT = {
    "setuptools",  # resemblyzer's webrtcvad imports pkg_resources
    "spacy-lookups-data",  # spaCy's lemma tables, loaded through spaCy's registry
}


def test_declared_dependencies_are_the_imported_ones():
    import sys
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    modules: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    third_party = {m for m in modules if m != "pipeline" and m not in sys.stdlib_module_names}
    dists = packages_distributions()
    imported = {dists[m][0].lower() for m in third_party if m in dists}
    assert third_party <= set(dists), f"imported but not installed: {sorted(third_party - set(dists))}"
    normal = {d.replace("_", "-") for d in imported}
    assert not normal - declared, f"imported but not declared in pyproject.toml: {sorted(normal - declared)}"
    unused = declared - normal - INDIRECT
    assert not unused, f"declared but never imported (drop them, or say why in INDIRECT): {sorted(unused)}"


def test_lexicon_table_is_current():
    """docs/lexicons.md gives every lexicon list with its size: regenerate it when a lexicon changes."""
    from devtools.lexicon_table import DOC, table

    assert DOC.read_text(encoding="utf-8") == table(), "run: python -m devtools.lexicon_table --write"


ENGINE_LIBRARIES = {"celery", "kombu", "redis"}  # the distributed queue: only pipeline/jobs talks to it


def test_only_jobs_imports_the_queue_engine():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            if any(n.split(".")[0] in ENGINE_LIBRARIES for n in names) and "jobs" not in path.parts:
                wrong.append(str(path.relative_to(ROOT)))
    assert not wrong, f"Celery/Redis imported outside pipeline/jobs: {sorted(set(wrong))}"
