"""The counts issue 23 asks for, on any checkout: where the session layout, the lock, the stage list, `.extra` and
the fixed texts are spelled, and how many modules are tiny.

    python -m devtools.layer_counts [ROOT]       # ROOT: a checkout (default: this one)

Run it on the old and the new commit (e.g. in a `git worktree`) and compare; the closing note of issue 23 gives both.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

# Every file or folder name a session holds (as of issue 23); a module "spells" one when it has it as a string literal.
ARTEFACT_NAMES = {
    "transcript.json", "diarization.json", "turns.json", "insights.json", "draft.docx", "final.json", "final.docx",
    "review.json", "names.toml", "corrections.json", "edits.json", "roster.json", "pseudonyms.json", "series.json",
    "series-carried.json", "voice-names.json", "sent.json", "mail.eml", "run.json", ".stages.json",
    ".transcript.partial.jsonl", "sent", "returned", ".clips", "version.json", ".lock", ".lock.json", "turns.sha",
    ".voices.json",
}
STAGES = ("transcribe", "speakers", "names", "insights", "draft")
TINY = 80


def _literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _is_label_dict(node: ast.AST) -> bool:
    """{"nl": {...: "text"}, "en": {...}}: a table of texts per language spelled in Python."""
    if not isinstance(node, ast.Dict) or not node.keys:
        return False
    languages = {k.value for k in node.keys if isinstance(k, ast.Constant)}
    inner = [v for v in node.values if isinstance(v, ast.Dict)]
    return languages >= {"nl", "en"} and len(inner) == len(node.values) and all(
        isinstance(val, ast.Constant) and isinstance(val.value, str) for d in inner for val in d.values)


def label_dictionaries(root: Path) -> list[str]:
    """Where a label dictionary is spelled in pipeline/ (issue 23's target: none, the texts are in TOML files)."""
    found = []
    for path in sorted((root / "pipeline").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(root)}:{node.lineno}" for node in ast.walk(tree) if _is_label_dict(node)]
    return found


def text_sources(root: Path) -> list[str]:
    """The files the fixed texts come from, one per language (pipeline/core/texts/<language>.toml)."""
    return sorted(str(p.relative_to(root)) for p in (root / "pipeline" / "core" / "texts").glob("*.toml"))


def counts(root: Path) -> dict[str, object]:
    package = root / "pipeline"
    modules = sorted(package.rglob("*.py"))
    spelling = sorted(str(p.relative_to(root)) for p in modules if _literals(p) & ARTEFACT_NAMES)
    lock_sites = []
    stage_lists = []
    extra_uses = []
    for path in modules:
        rel = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\bsession_lock\(", line) and not line.lstrip().startswith(("def ", "#")):
                lock_sites.append(f"{rel}:{n}")
            # a typed seam's own methods keep its open keys (`self.extra`, in core/types.py or core/layers.py)
            if re.search(r"(?<!self)\.extra\b", line) and rel != "pipeline/core/types.py":
                extra_uses.append(f"{rel}:{n}")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Tuple, ast.List)):
                values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                if tuple(values[:5]) == STAGES or (len(values) >= 4 and set(values) <= set(STAGES)
                                                  and {"transcribe", "draft"} <= set(values)):
                    stage_lists.append(f"{rel}:{node.lineno}")
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)} if isinstance(node, ast.Dict) else set()
            if set(STAGES) <= keys:  # a table keyed by stage (labels, progress words)
                stage_lists.append(f"{rel}:{node.lineno}")
    for path in sorted((package / "web" / "templates").glob("*.html")) if (package / "web").is_dir() else []:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if all(f"'{s}'" in line or f'"{s}"' in line for s in ("transcribe", "speakers", "draft")):
                stage_lists.append(f"{path.relative_to(root)}:{n}")
    tiny = sorted(f"{p.relative_to(root)} ({n})" for p in modules
                  if p.name != "__init__.py" and (n := len(p.read_text(encoding="utf-8").splitlines())) < TINY)
    duplicates = None
    try:
        out = subprocess.run(["duplicates", "--repo", str(package), "--seconds", "60", "--most", "1"],
                             capture_output=True, text=True, timeout=120).stdout
        found = re.search(r"(\d+) pairs? of places", out)
        duplicates = int(found[1]) if found else (0 if "no duplicates" in out else None)
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"modules spelling an artefact file name": spelling, "session_lock( call sites": lock_sites,
            "places spelling the stage list": stage_lists, ".extra uses outside core/types.py": extra_uses,
            "label dictionaries (nl/en dicts of texts in Python)": label_dictionaries(root),
            "text sources (one file per language)": text_sources(root), f"modules under {TINY} lines": tiny,
            "duplicates pairs in pipeline/": duplicates}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(__file__).resolve().parents[1]
    for what, found in counts(root).items():
        if isinstance(found, list):
            print(f"{what}: {len(found)}")
            for item in found:
                print(f"    {item}")
        else:
            print(f"{what}: {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
