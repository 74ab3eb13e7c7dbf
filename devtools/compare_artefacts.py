"""Run two commits on the same inputs and compare their artefacts byte for byte (issue 23: behaviour unchanged).

    python -m devtools.compare_artefacts OLD [NEW] [--audio] [--keep DIR]

OLD and NEW are git revisions (NEW defaults to the working tree). Each is checked out into a temporary worktree and
runs `oogst run` from its own code on: the sample's script as a transcript, three transcripts of the test data (one
pseudonymised), and two sessions of one series; with `--audio` also the sample recording itself (speech
recognition and speaker detection, a few minutes on 2 cores). Then it compares `turns.json`, `insights.json`,
`diarization.json` and the draft's `word/document.xml`, after blanking what must differ (the run's time stamps and
version stamps), and a second run of NEW on OLD's session folders must skip every stage (the cache keys carry over).
Exit code 1 when anything differs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CASES: list[tuple[str, Path, list[str]]] = [
    ("sample-script", ROOT / "recordings" / "voorbeeld-intervisie.txt", ["--title", "Voorbeeld"]),
    ("thuiszorg", DATA / "insights" / "report" / "intervisie_thuiszorg_nl.vtt", ["--pseudonymise"]),
    ("wijkteam", DATA / "phases" / "intervisie_wijkteam_nl.txt", ["--series", "groep"]),
    ("youthwork", DATA / "insights" / "tune" / "cop_youthwork_en.vtt", ["--language", "en"]),
    ("wijkteam-2", DATA / "insights" / "tune" / "intervisie_docenten_nl.txt", ["--series", "groep"]),
]
AUDIO = ("sample-audio", ROOT / "recordings" / "voorbeeld-intervisie.ogg", [])
COMPARED = ("transcript.json", "diarization.json", "turns.json", "insights.json", "pseudonyms.json")
STAMPS = re.compile(r'"(finished|at|since|updated|frozen_at|created)": "[^"]*"')


def checkout(rev: str, where: Path) -> Path:
    if rev == "WORKTREE":
        return ROOT
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), rev], check=True)
    return where


def run_commit(code: Path, out: Path, inputs: Path, cases: list[tuple[str, Path, list[str]]]) -> None:
    env = {**os.environ, "PYTHONPATH": str(code), "OOGST_CONFIG": str(out.parent / "none.toml"),
           "HOME": str(out.parent), "XDG_CACHE_HOME": str(Path.home() / ".cache")}
    env.pop("OOGST_OUT_DIR", None)
    for n, (name, source, extra) in enumerate(cases):
        given = inputs / f"{name}{source.suffix}"
        if not given.exists():
            shutil.copyfile(source, given)
        command = [sys.executable, "-c", "import sys; from pipeline.cli import main; sys.exit(main(sys.argv[1:]))",
                   "run", str(given), "--out-dir", str(out), "--date", f"2025-03-{n + 4:02d}", "--models-dir",
                   str(ROOT / "models"), "--quiet", *extra]
        done = subprocess.run(command, env=env, cwd=out.parent, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{code}: oogst run {name} failed:\n{done.stderr}")


def docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def normalised(path: Path) -> str:
    if path.suffix == ".docx":
        return docx_xml(path)
    text = path.read_text(encoding="utf-8")
    return STAMPS.sub(lambda m: f'"{m[1]}": "…"', text)


def compare(old: Path, new: Path, names: list[str]) -> list[str]:
    problems = []
    for session in names:
        for artefact in (*COMPARED, "draft.docx"):
            a, b = old / session / artefact, new / session / artefact
            if not a.exists() and not b.exists():
                continue
            if a.exists() != b.exists():
                problems.append(f"{session}/{artefact}: only in {'old' if a.exists() else 'new'}")
                continue
            left, right = normalised(a), normalised(b)
            if left != right:
                diff = "\n".join(list(difflib.unified_diff(left.splitlines(), right.splitlines(), "old", "new",
                                                           lineterm="", n=1))[:20])
                problems.append(f"{session}/{artefact}: differs\n{diff}")
    return problems


def skips_everything(code: Path, out: Path, inputs: Path, cases: list[tuple[str, Path, list[str]]]) -> list[str]:
    """Run NEW on copies of OLD's session folders: every stage must be skipped (run.json's "stages" empty)."""
    run_commit(code, out, inputs, cases)
    problems = []
    for name, _, _ in cases:
        ran = json.loads((out / name / "run.json").read_text(encoding="utf-8")).get("stages", {})
        if ran:
            problems.append(f"{name}: NEW redid {', '.join(ran)} on OLD's session (cache keys changed)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new", nargs="?", default="WORKTREE")
    parser.add_argument("--audio", action="store_true", help="also the sample recording (ASR and speakers)")
    parser.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    args = parser.parse_args(argv)
    cases = CASES + ([AUDIO] if args.audio else [])
    with tempfile.TemporaryDirectory(prefix="oogst-compare-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        trees = []
        try:
            results = {}
            for label, rev in (("old", args.old), ("new", args.new)):
                code = checkout(rev, Path(tmp) / f"tree-{label}")
                if code != ROOT:
                    trees.append(code)
                work = base / label
                (work / "inputs").mkdir(parents=True, exist_ok=True)
                print(f"{label}: {rev} -> {work}/outputs", file=sys.stderr)
                run_commit(code, work / "outputs", work / "inputs", cases)
                results[label] = (code, work)
            problems = compare(results["old"][1] / "outputs", results["new"][1] / "outputs", [c[0] for c in cases])
            again = base / "new-on-old"
            shutil.copytree(results["old"][1], again, dirs_exist_ok=True)
            problems += skips_everything(results["new"][0], again / "outputs", again / "inputs", cases)
        finally:
            for tree in trees:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    for problem in problems:
        print(problem)
    print("same artefacts, and every stage skipped on the old sessions" if not problems else
          f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
