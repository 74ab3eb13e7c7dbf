"""Action points alone on the annotated sets (issue 24): precision, recall, owners and due dates, fast.

`python bench/bench_actions.py [--quick] [--sets tune] [--language nl] [--verbose] [--out-dir DIR]`. Each
conversation is imported and read as `bench_quality.py` reads it (Frog's analysis when Frog is installed, session
date 2026-11-23), but only the insights stage's first step runs: sentences and `extract_actions`, without the
embeddings of the top 7, so a run over every Dutch conversation takes a few minutes instead of half an hour on a
busy machine. Scored with `quality_metrics.score_report`, the same matching as the quality bench's headline table.
`--verbose` lists the wrong and missed actions and the wrong dues, for the tune set only: the report sets are scored,
never looked at (their rows keep only the counts). `--quick`: the tune set only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_quality as bq  # noqa: E402
import quality_metrics as qm  # noqa: E402


def measure(transcript: Path, expected_path: Path) -> dict:
    from pipeline.insights.actions import extract_actions
    from pipeline.insights.nlp import split_sentences

    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    language = expected["language"]
    turns = bq.load(transcript, language)
    said = qm.said_lines(transcript)
    linemap = qm.LineMap.build(turns, said)
    sentences = split_sentences(turns, language, bq.analysis_of(turns, language))
    names = list(dict.fromkeys(turns.name(t.speaker) for t in turns.turns))
    found = extract_actions(sentences, language, names, bq.SESSION_DATE)
    placed = [qm.PlacedAction(a.owner, a.due, a.text, linemap.line_at_time(a.start, a.text), a.due_date)
              for a in found]
    score = qm.score_report(expected, [], placed, dict(said), bq.due_resolver(language))
    return {"file": transcript.name, "language": language, "given": score.actions_predicted,
            "expected": score.actions_expected, "matched": score.actions_matched, "owners": score.owners_right,
            "dues_said": score.dues_said, "dues_right": score.dues_said_right,
            "not_action_lines": score.not_actions_hit,
            "wrong": score.details["actions_wrong"], "missed": score.details["actions_missed"],
            "dues_wrong": score.details["dues_wrong"]}


def table(rows: list[dict]) -> str:
    lines = ["| set | language | conversations | precision | recall | owners right | due right where said |"
             " from not-action lines |", "|---|---|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["set"] for r in rows):
        for lang in ("nl", "en"):
            part = [r for r in rows if r["set"] == name and r["language"] == lang]
            if not part:
                continue
            t = {k: sum(r[k] for r in part) for k in ("given", "expected", "matched", "owners", "dues_said",
                                                     "dues_right", "not_action_lines")}
            lines.append(f"| {name} | {lang} | {len(part)} | {t['matched']}/{t['given']} | {t['matched']}/"
                         f"{t['expected']} | {t['owners']}/{t['matched']} | {t['dues_right']}/{t['dues_said']} | "
                         f"{t['not_action_lines']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["report", "report2", "tune"],
                        choices=["report", "report2", "tune"])
    parser.add_argument("--quick", action="store_true", help="the tune set only")
    parser.add_argument("--language", choices=["nl", "en"], help="only conversations in this language")
    parser.add_argument("--verbose", action="store_true", help="list wrong and missed actions (tune set only)")
    parser.add_argument("--out-dir", type=Path, help="write actions.json here")
    args = parser.parse_args()
    rows = []
    for name in ["tune"] if args.quick else args.sets:
        for transcript, expected in bq.report_transcripts(bq.REPORT_SET / name):
            if args.language and json.loads(expected.read_text(encoding="utf-8"))["language"] != args.language:
                continue
            row = {"set": name, **measure(transcript, expected)}
            if name != "tune":
                row.pop("wrong"), row.pop("missed"), row.pop("dues_wrong")  # report sets: scored, never looked at
            rows.append(row)
            bq.log(f"{name}/{row['file']}: given {row['given']}, right {row['matched']} of {row['expected']}, "
                   f"due {row['dues_right']}/{row['dues_said']}")
            if args.verbose and name == "tune":
                for item in row["wrong"] + row["missed"] + row["dues_wrong"]:
                    bq.log(f"    {item}")
    text = table(rows)
    print(text)
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "actions.json").write_text(json.dumps(
            {"name": "actions", "title": "Action points on the annotated sets (issue 24)", "table": text,
             "rows": rows, "dutch_analysis": "rules" if bq.RULES_ONLY else "frog when installed"},
            ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
