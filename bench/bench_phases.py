"""Intervision phases: boundaries found against known ones, and "no phases" on conversations that are no intervision.

    python bench/bench_phases.py [--out-dir DIR] [--quick] [--qmsum DIR] [--meetings N] [--verbose]

Intervision fixtures (`tests/data/phases/*.expected.json`): per phase the seconds between the start found and the
expected one (the issue asks for 20 s at most), tune and report set apart, among them the sample recording through
speech recognition (its turns.json); each again with every cue phrase of the lexicons blanked out ("cues garbled":
what the turn-taking alone finds); the sample recording's script (`recordings/voorbeeld-intervisie.truth.json`).
No-intervision: the community-of-practice and learning-network fixtures of the insights sets (also with their cues
garbled), and the QMSum train and val meetings (real English meetings, `../shared/data/qmsum`;
`--quick`: the first 10 of train). Details on stderr, the table on stdout, the figures in `DIR/phases.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from pipeline.core.types import Turn, Turns  # noqa: E402
from pipeline.ingest.importers import import_transcript  # noqa: E402
from pipeline.insights.phases import ORDER, PhaseResult, detect_phases, without_cues  # noqa: E402

PHASES = ROOT / "tests" / "data" / "phases"
TOLERANCE = 20.0
NOT_INTERVISION = [ROOT / "tests" / "data" / "insights" / "tune" / "cop_youthwork_en.vtt",
                   ROOT / "tests" / "data" / "insights" / "tune" / "leerkring_nachtdienst_nl.txt",
                   ROOT / "tests" / "data" / "insights" / "report" / "cop_newleads_en.txt",
                   ROOT / "tests" / "data" / "insights" / "report" / "leernetwerk_bibliotheek_nl.txt"]


def transcript_of(expected: Path) -> Path:
    data = json.loads(expected.read_text(encoding="utf-8"))
    if "transcript" in data:
        return (expected.parent / data["transcript"]).resolve()
    stem = expected.name.removesuffix(".expected.json")
    return next(p for p in expected.parent.iterdir() if p.stem == stem and not p.name.endswith(".json"))


def load(path: Path, language: str) -> Turns:
    """A transcript file, or a turns.json as `oogst run` wrote it."""
    if path.name.endswith(".turns.json"):
        return Turns.from_dict(json.loads(path.read_text(encoding="utf-8")))
    return import_transcript(path, language=language)[1]


def sample_turns() -> Turns:
    truth = json.loads((ROOT / "recordings" / "voorbeeld-intervisie.truth.json").read_text(encoding="utf-8"))
    return Turns({s: s for s in truth["speakers"]},
                 tuple(Turn(t["speaker"], t["start"], t["end"], t["text"]) for t in truth["turns"]))


def offsets(result: PhaseResult, expected: list[dict]) -> dict[str, float | None]:
    found = {p.phase: p.start for p in result.phases}
    return {row["phase"]: (round(found[row["phase"]] - row["start"], 1) if row["phase"] in found else None)
            for row in expected}


def show(name: str, result: PhaseResult) -> None:
    print(f"  {name}: found={result.found} bringers={result.case_bringers} reason={result.reason}", file=sys.stderr)
    for p in result.phases:
        print(f"    {p.phase:9} {p.start:7.1f}-{p.end:7.1f}  {p.evidence[:90]}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="10 QMSum train meetings instead of all of train and val")
    parser.add_argument("--qmsum", type=Path, default=ROOT.parent / "shared" / "data" / "qmsum")
    parser.add_argument("--meetings", type=int, default=None, help="at most this many meetings per QMSum split")
    parser.add_argument("--verbose", action="store_true", help="every phase found, on stderr")
    args = parser.parse_args()
    rows: list[dict] = []
    for expected in sorted(PHASES.glob("*.expected.json")):
        data = json.loads(expected.read_text(encoding="utf-8"))
        turns = load(transcript_of(expected), data["language"])
        for cues in ("as said", "cues garbled"):
            if cues != "as said":
                turns = without_cues(turns, data["language"])
            result = detect_phases(turns, data["language"])
            off = offsets(result, data["phases"])
            within = sum(v is not None and abs(v) <= TOLERANCE for v in off.values())
            rows.append({"conversation": expected.name.removesuffix(".expected.json"), "set": data["set"],
                         "cues": cues, "found_by": result.found_by, "right": f"{within}/{len(off)}",
                         "seconds_off": off, "case_bringers": list(result.case_bringers),
                         "expected_bringer": data["case_bringer"]})
            if args.verbose:
                show(f"{expected.name} ({cues})", result)
    sample = detect_phases(sample_turns(), "nl")
    if args.verbose:
        show("voorbeeld-intervisie (script)", sample)
    negatives: dict[str, list[str]] = {}  # conversation group -> those with phases found (should be none)
    counts: dict[str, int] = {}
    for path in NOT_INTERVISION:
        language = "nl" if path.stem.endswith("_nl") else "en"
        turns = import_transcript(path, language=language)[1]
        for group, said in (("insights sets (CoP, learning network)", turns),
                            ("the same, cues garbled", without_cues(turns, language))):
            negatives.setdefault(group, [])
            counts[group] = counts.get(group, 0) + 1
            if detect_phases(said, language).found:
                negatives[group].append(path.name)
    for split in (("train",) if args.quick else ("train", "val")):
        folder = args.qmsum / split
        if not folder.is_dir():
            print(f"{folder}: not found, QMSum {split} left out", file=sys.stderr)
            continue
        meetings = sorted(folder.glob("*.txt"))[:10 if args.quick else args.meetings]
        group = f"QMSum {split}"
        negatives[group], counts[group] = [], len(meetings)
        for path in meetings:
            result = detect_phases(import_transcript(path, language="en")[1], "en")
            if result.found:
                negatives[group].append(path.stem)
                if args.verbose:
                    show(path.name, result)
    order = ", ".join(ORDER)
    lines = ["| intervision | set | cues | found by | within 20 s | seconds off (" + order + ") | case-bringer |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        off = ", ".join("-" if phase not in row["seconds_off"] else "missed" if row["seconds_off"][phase] is None
                        else f"{row['seconds_off'][phase]:+.1f}" for phase in ORDER)  # "-": not in this session
        lines.append(f"| {row['conversation']} | {row['set']} | {row['cues']} | {row['found_by'] or '-'} | "
                     f"{row['right']} | {off} | {', '.join(row['case_bringers'])} "
                     f"(expected {row['expected_bringer']}) |")
    found = ", ".join(f"{p.phase} {p.start:.0f}-{p.end:.0f} s" for p in sample.phases) or str(sample.reason)
    lines += ["", f"Sample script (voorbeeld-intervisie): {found}", "",
              "| no intervision | conversations | phases found in |", "|---|---|---|"]
    lines += [f"| {group} | {counts[group]} | {len(names)} {names or ''} |" for group, names in negatives.items()]
    table = "\n".join(lines) + "\n"
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "phases.json").write_text(json.dumps(
        {"name": "phases", "title": "Intervision phases: boundaries within 20 s, no phases on other conversations",
         "table": table, "intervision": rows, "sample": [p.to_dict() for p in sample.phases],
         "no_intervision": {g: {"conversations": counts[g], "found": n} for g, n in negatives.items()}},
        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
