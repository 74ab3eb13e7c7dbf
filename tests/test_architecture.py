"""The package map holds: imports point down only, no import cycle, no module over 600 lines, README matches."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"
MAX_LINES = 600

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
    "export": {"core", "privacy", "review"},  # transcript, top 7 and calendar files for other programs
    "series": {"core", "insights", "speakers", "privacy", "review"},
    "retention": {"core", "ingest", "privacy", "review", "series", "search"},  # the policy, its sweep, forget a person
    "run": {"core", "ingest", "analysis", "models", "asr", "speakers", "insights", "review"},  # the stages; no plug
    "search": {"core", "insights", "privacy", "review", "export", "series"},  # across sessions: words, meaning
    "service": {"core", "ingest", "analysis", "models", "speakers", "insights", "privacy", "llm", "review", "mail",
                "series", "run", "export", "retention", "search"},
    "rounds": {"core", "review", "mail", "service"},  # the review round in the browser: review + mail, locked
    "paragraphs": {"core", "service"},  # the summary's paragraphs rewritten (edits layer), locked
    "jobs": {"core", "ingest", "analysis", "models", "asr", "run", "service", "retention", "search"},
    "web": {"core", "ingest", "speakers", "review", "mail", "jobs", "series", "run", "service", "retention",
            "search", "rounds", "paragraphs"},
    "cli": {"core", "ingest", "analysis", "models", "asr", "speakers", "insights", "privacy", "review", "mail", "run",
            "jobs", "web", "llm", "series", "service", "export", "retention", "search", "rounds", "paragraphs"},
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


def _map_blocks(text: str, indent: str) -> dict[str, str]:
    """A package map's text per top-level name: its line and the more indented lines under it."""
    blocks: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        head = re.match(rf"^{indent}(\w+)(?:/|\.py)?\s", line)
        if head and not line.startswith(indent + " "):
            current = head[1]
            blocks[current] = line
        elif current and line.startswith(indent + " "):
            blocks[current] += " " + line
        else:
            current = None
    return blocks


def _tree() -> dict[str, set[str]]:
    """Every part of pipeline/ and the modules in it (subpackages' modules by their own name)."""
    parts: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) == 1:
            if rel.stem != "__init__":
                parts.setdefault(rel.stem, set())
            continue
        parts.setdefault(rel.parts[0], set())
        if rel.stem != "__init__" or len(rel.parts) > 2:
            parts[rel.parts[0]].add(rel.stem if rel.stem != "__init__" else rel.parts[-2])
    return parts


def _unlisted(blocks: dict[str, str], tree: dict[str, set[str]]) -> list[str]:
    missing = [f"{part}/" for part in tree if part not in blocks]
    for part, modules in tree.items():
        text = blocks.get(part, "")
        missing += [f"{part}/{m}" for m in sorted(modules)
                    if m != "__init__" and not re.search(rf"(?<![\w.]){re.escape(m)}(?!\w)", text)]
    return missing + [f"{name} (not in pipeline/)" for name in blocks if name not in tree]


def test_readme_package_map_matches_the_tree():
    """The README's map names every package and every module in it, and nothing that is not there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture"):]
    section = section[: section.index("\n## ", 4)] if "\n## " in section[4:] else section
    block = section[section.index("pipeline/\n"):section.index("devtools/")]
    missing = _unlisted(_map_blocks(block, "  "), _tree())
    assert not missing, f"README package map differs from pipeline/: {missing}"


def test_the_package_docstring_names_every_module():
    import ast

    doc = ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))) or ""
    missing = _unlisted(_map_blocks(doc, "    "), _tree())
    assert not missing, f"pipeline/__init__.py's docstring differs from pipeline/: {missing}"


# Declared because something needs them at run time without `pipeline/` importing them by name.
INDIRECT = {
    "setuptools",  # resemblyzer's webrtcvad imports pkg_resources
    "spacy-lookups-data",  # spaCy's lemma tables, loaded through spaCy's registry
}


def _extra_of(path: Path, module: str) -> str:
    """Which part of pyproject declares what this file imports: an extra, or "core"."""
    parts = path.relative_to(PACKAGE).parts
    if module == "deduce":
        return "privacy"
    if parts[0] == "web":
        return "web"
    if parts[0] == "jobs" and parts[-1].startswith("celery_"):
        return "queue"
    if parts[0] == "llm":
        return "llm"
    return "core"


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0].lower().replace("_", "-") for dep in requirements}


def test_declared_dependencies_are_the_imported_ones():
    """The core declares what the core imports; each extra what only its part imports (pipeline/web -> web,
    pipeline/jobs/celery_* -> queue, pipeline/llm -> llm, deduce -> privacy); nothing is declared unused."""
    import sys
    import tomllib
    from importlib.metadata import packages_distributions

    from pipeline.core.errors import EXTRAS

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project["optional-dependencies"]
    declared = {"core": _names(project["dependencies"])} | {extra: _names(optional[extra]) for extra in EXTRAS}
    assert set(optional) == set(EXTRAS) | {"all", "test"}, "pyproject's extras and pipeline.core.errors.EXTRAS differ"
    assert optional["all"] == [f"oogst[{','.join(EXTRAS)}]"], "[all] is every extra"
    imported: dict[str, set[str]] = {part: set() for part in declared}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found = {node.module.split(".")[0]}
            else:
                continue
            for module in found - {"pipeline"} - set(sys.stdlib_module_names):
                imported[_extra_of(path, module)].add(module)
    dists = packages_distributions()
    everything = set().union(*imported.values())
    assert everything <= set(dists), f"imported but not installed: {sorted(everything - set(dists))}"
    used = {part: {dists[m][0].lower().replace("_", "-") for m in modules} for part, modules in imported.items()}
    for part, names in used.items():
        allowed = declared["core"] | declared[part]
        assert not names - allowed, f"imported by the {part} part but not declared there: {sorted(names - allowed)}"
    for part, names in declared.items():
        unused = names - used[part] - INDIRECT
        assert not unused, f"declared in {part} but never imported there (move or drop them, or say why in " \
                           f"INDIRECT): {sorted(unused)}"
    for extra, modules in EXTRAS.items():  # what require() looks up is what the extra installs
        assert {dists[m][0].lower().replace("_", "-") for m in modules} == declared[extra], extra


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
