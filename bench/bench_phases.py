"""Intervision phases: boundaries found against known ones, and "no phases" on conversations that are no intervision.

    python bench/bench_phases.py [--out-dir DIR] [--quick] [--qmsum DIR] [--meetings N] [--verbose]
                                 [--sets report report2 tune] [--analysis auto|rules]

Intervision fixtures (`tests/data/phases/*.expected.json`): per phase the seconds between the start found and the
expected one (issue 15 asks for 20 s at most), tune and report set apart, among them the sample recording through
speech recognition (its turns.json); each again with every cue phrase of the lexicons blanked out ("cues garbled":
what the turn-taking alone finds); the sample recording's script (`recordings/voorbeeld-intervisie.truth.json`).
Intervisions of the insights sets with annotated `phases` (`tests/data/insights/report2/` and `tune/`, issue 24: a
Balint group, the "roddelmethode", the incident method, a socratic dialogue, a free intervision): the same within
30 s (issue 24's tolerance), per method.
No intervision: the communities of practice, learning networks, team meeting, monologues and professional learning
communities of the insights sets (also with their cues garbled), and the QMSum train and val meetings (real English
meetings, `../shared/data/qmsum`; `--quick`: the first 10 of train). Details on stderr, the table on stdout, the
figures in `DIR/phases.json` (bench_quality.py puts its headline figures in its table).

Dutch is read as `oogst run` reads it: with Frog's analysis when Frog is installed (`--analysis rules`: the word
lists, as on a machine without Frog). `--sets tune` scores only what may be tuned on (the tune files, the tune
fixture and the sample, QMSum train), so the report sets are only ever scored at the end, never looked at.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import quality_metrics as qm  # noqa: E402

from pipeline.analysis.types import Sentence  # noqa: E402
from pipeline.core.types import Turn, Turns  # noqa: E402
from pipeline.ingest.importers import import_transcript  # noqa: E402
from pipeline.insights.phases import ORDER, PhaseResult, detect_phases, without_cues  # noqa: E402

PHASES = ROOT / "tests" / "data" / "phases"
INSIGHTS = ROOT / "tests" / "data" / "insights"
TOLERANCE = 20.0  # the fixtures of tests/data/phases (issue 15)
TOLERANCE_SETS = 30.0  # the intervisions of the insights sets (issue 24)
SETS = ("report", "report2", "tune")
# The older insights-set files say in `kind` what they are, not in `method`: these are no intervision. The files of
# issue 24 carry `"method": null` when they are none.
NOT_INTERVISION = ["tune/cop_youthwork_en.vtt", "tune/leerkring_nachtdienst_nl.txt", "report/cop_newleads_en.txt",
                   "report/leernetwerk_bibliotheek_nl.txt", "report/cop_zorg_en.txt",
                   "report/leernetwerk_gemeenten_nl.vtt", "report/meeting_en.txt",
                   "report/monoloog_praktijkbegeleiders_nl.txt"]
# Older intervisions without annotated boundaries: only whether phases are found is shown.
UNANNOTATED = ["report/intervisie_onderwijs_nl.txt", "tune/intervisie_docenten_nl.txt"]


def analysis_of(turns: Turns, language: str, mode: str) -> dict[str, list[Sentence]] | None:
    """Frog's analysis of the turns, as the analysis stage makes it (None: the rules read them); read the one way the
    benches read Dutch, `bench_quality.analysis_of` (`mode` "rules" is its `--rules`)."""
    import bench_quality

    bench_quality.RULES_ONLY = mode == "rules"
    return bench_quality.analysis_of(turns, language)


def phases_of(turns: Turns, language: str, mode: str) -> PhaseResult:
    return detect_phases(turns, language, analysis=analysis_of(turns, language, mode))


def fixture_in(part: str, sets: list[str]) -> bool:
    """Whether a fixture of tests/data/phases (set "tune", "report" or "sample (ASR)") is scored with these sets:
    the sample goes with the tune set (its turn-taking was looked at when the pattern path was written)."""
    return part.split()[0] in sets or (part.startswith("sample") and "tune" in sets)


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
    return qm.phase_offsets(((p.phase, p.start) for p in result.phases), expected)


def insights_set_files(sets: list[str]) -> tuple[list[tuple[str, Path, dict]], list[tuple[str, Path, str]]]:
    """(set, transcript, expected) of the insights sets' intervisions with annotated phases, and (set, transcript,
    language) of their conversations that are no intervision."""
    annotated, negative = [], []
    for part in sets:
        for expected_path in sorted((INSIGHTS / part).glob("*.expected.json")):
            data = json.loads(expected_path.read_text(encoding="utf-8"))
            stem = expected_path.name.removesuffix(".expected.json")
            transcript = next(p for p in (expected_path.with_name(f"{stem}.txt"),
                                          expected_path.with_name(f"{stem}.vtt")) if p.is_file())
            if data.get("phases"):
                annotated.append((part, transcript, data))
            elif ("method" in data and data["method"] is None) or f"{part}/{transcript.name}" in NOT_INTERVISION:
                negative.append((part, transcript, data["language"]))
    return annotated, negative


def score_row(name: str, part: str, data: dict, cues: str, result: PhaseResult, tolerance: float) -> dict:
    off = offsets(result, data["phases"])
    return {"conversation": name, "set": part, "language": data["language"], "method": data.get("method"),
            "cues": cues, "found_by": result.found_by, "within": qm.within(off, tolerance), "phases": len(off),
            "tolerance": tolerance, "right": f"{qm.within(off, tolerance)}/{len(off)}", "seconds_off": off,
            "case_bringers": list(result.case_bringers), "expected_bringer": data["case_bringer"],
            "method_found": result.method}


def show(name: str, result: PhaseResult) -> None:
    print(f"  {name}: found={result.found} bringers={result.case_bringers} reason={result.reason}", file=sys.stderr)
    for p in result.phases:
        print(f"    {p.phase:9} {p.start:7.1f}-{p.end:7.1f}  {p.evidence[:90]}", file=sys.stderr)


def intervision_table(rows: list[dict], tolerance: float, method: bool = False) -> list[str]:
    """A row per intervision and cue condition: seconds off per phase, case-bringer found and expected."""
    order = ", ".join(ORDER)
    kind = " method (found) |" if method else ""
    lines = [f"| intervision | set |{kind} cues | found by | within {tolerance:.0f} s | seconds off ({order}) | "
             "case-bringer |",
             "|---|---|---|---|---|---|---|" + ("---|" if method else "")]
    for row in rows:
        off = ", ".join("-" if phase not in row["seconds_off"] else "missed" if row["seconds_off"][phase] is None
                        else f"{row['seconds_off'][phase]:+.1f}" for phase in ORDER)  # "-": not in this session
        kind = f" {row['method']} ({row.get('method_found') or '-'}) |" if method else ""
        lines.append(f"| {row['conversation']} | {row['set']} |{kind} {row['cues']} | {row['found_by'] or '-'} | "
                     f"{row['right']} | {off} | {', '.join(row['case_bringers'])} "
                     f"(expected {row['expected_bringer']}) |")
    return lines


def method_table(rows: list[dict]) -> list[str]:
    """Phase starts within the tolerance per method and set (as said)."""
    sets = [part for part in SETS if any(r["set"] == part for r in rows)]
    lines = ["| method | " + " | ".join(f"{part}: within {TOLERANCE_SETS:.0f} s" for part in sets) + " |",
             "|---|" + "---|" * len(sets)]
    known = ("balint", "roddelmethode", "incident", "socratisch", "vrij")
    for method in sorted({r["method"] for r in rows}, key=lambda m: (known.index(m) if m in known else 99, m)):
        cells = []
        for part in sets:
            picked = [r for r in rows if r["method"] == method and r["set"] == part and r["cues"] == "as said"]
            got, total = sum(r["within"] for r in picked), sum(r["phases"] for r in picked)
            cells.append(f"{got}/{total}" if total else "–")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    picked = [r for r in rows if r["cues"] == "as said"]
    cells = []
    for part in sets:
        got = sum(r["within"] for r in picked if r["set"] == part)
        total = sum(r["phases"] for r in picked if r["set"] == part)
        cells.append(f"**{got}/{total}**" if total else "–")
    lines.append("| **all** | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="10 QMSum train meetings instead of all of train and val")
    parser.add_argument("--qmsum", type=Path, default=ROOT.parent / "shared" / "data" / "qmsum")
    parser.add_argument("--meetings", type=int, default=None, help="at most this many meetings per QMSum split")
    parser.add_argument("--verbose", action="store_true", help="every phase found, on stderr")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS),
                        help="which sets to score (default all; `--sets tune` while tuning: the tune files, the tune "
                             "fixture and the sample, and QMSum train only)")
    parser.add_argument("--analysis", choices=("auto", "rules"), default="auto",
                        help="auto: Frog's analysis for Dutch when Frog is installed (as `oogst run`); rules: none")
    args = parser.parse_args()
    rows: list[dict] = []
    for expected in sorted(PHASES.glob("*.expected.json")):
        data = json.loads(expected.read_text(encoding="utf-8"))
        if not fixture_in(data["set"], args.sets):
            continue
        turns = load(transcript_of(expected), data["language"])
        for cues in ("as said", "cues garbled"):
            if cues != "as said":
                turns = without_cues(turns, data["language"])
            result = phases_of(turns, data["language"], args.analysis)
            rows.append(score_row(expected.name.removesuffix(".expected.json"), data["set"], data, cues, result,
                                  TOLERANCE))
            if args.verbose:
                show(f"{expected.name} ({cues})", result)
    annotated, not_intervision = insights_set_files(args.sets)
    set_rows: list[dict] = []
    for part, transcript, data in annotated:
        turns = load(transcript, data["language"])
        for cues, said in (("as said", turns), ("cues garbled", without_cues(turns, data["language"]))):
            result = phases_of(said, data["language"], args.analysis)
            set_rows.append(score_row(transcript.stem, part, data, cues, result, TOLERANCE_SETS))
            if args.verbose:
                show(f"{part}/{transcript.name} ({cues})", result)
    unannotated = {}
    for name in UNANNOTATED:
        if name.split("/")[0] not in args.sets:
            continue
        path = INSIGHTS / name
        language = "nl" if path.stem.endswith("_nl") else "en"
        result = phases_of(load(path, language), language, args.analysis)
        unannotated[name] = [p.phase for p in result.phases] or result.reason
    sample = phases_of(sample_turns(), "nl", args.analysis)
    if args.verbose:
        show("voorbeeld-intervisie (script)", sample)
    negatives: dict[str, list[str]] = {}  # conversation group -> those with phases found (should be none)
    counts: dict[str, int] = {}
    negative_rows: list[dict] = []
    for part, path, language in not_intervision:
        turns = import_transcript(path, language=language)[1]
        for cues, group, said in (("as said", "insights sets (no intervision)", turns),
                                  ("cues garbled", "the same, cues garbled", without_cues(turns, language))):
            negatives.setdefault(group, [])
            counts[group] = counts.get(group, 0) + 1
            result = phases_of(said, language, args.analysis)
            negative_rows.append({"conversation": path.stem, "set": part, "language": language, "cues": cues,
                                  "found": result.found})
            if result.found:
                negatives[group].append(f"{part}/{path.name}")
                if args.verbose:
                    show(f"{part}/{path.name} ({cues})", result)
    splits = ["train"] if args.quick else ["train"] * ("tune" in args.sets) + ["val"] * (args.sets != ["tune"])
    for split in splits:
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
    lines = intervision_table(rows, TOLERANCE)
    found = ", ".join(f"{p.phase} {p.start:.0f}-{p.end:.0f} s" for p in sample.phases) or str(sample.reason)
    lines += ["", f"Sample script (voorbeeld-intervisie): {found}", ""]
    if set_rows:
        lines += [f"Intervisions of the insights sets with annotated phases (within {TOLERANCE_SETS:.0f} s):", ""]
        lines += intervision_table(set_rows, TOLERANCE_SETS, method=True) + [""] + method_table(set_rows) + [""]
    lines += ["Intervisions of the insights sets without annotated phases: "
              + "; ".join(f"{name}: {found}" for name, found in unannotated.items()), ""]
    lines += ["| no intervision | conversations | phases found in |", "|---|---|---|"]
    lines += [f"| {group} | {counts[group]} | {len(names)} {names or ''} |" for group, names in negatives.items()]
    table = "\n".join(lines) + "\n"
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "phases.json").write_text(json.dumps(
        {"name": "phases", "title": "Intervision phases: boundaries within 20 s (fixtures) and 30 s (insights sets), "
                                    "no phases on other conversations",
         "table": table, "intervision": rows, "insights_intervision": set_rows, "unannotated": unannotated,
         "sample": [p.to_dict() for p in sample.phases],
         "no_intervision": {g: {"conversations": counts[g], "found": n} for g, n in negatives.items()},
         "no_intervision_rows": negative_rows},
        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
