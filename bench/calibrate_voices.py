"""How the voice-matching threshold of a series was chosen (pipeline/series/voices.py), on real voices only.

Data: ../shared/data/real-nl, the same two Dutch voice actors (`klein`, `groot`) in fillets_dev_a and
fillets_dev_b. Each file is diarized the way Oogst does it (Silero regions, resemblyzer windows, clustering, word
labels; windows and transcripts cached by bench/speaker_cases.py). One file is the session the facilitator named:
its labels get the true name of most of their words, and a profile is kept per name (`voices.label_sums`). The other
file is the next session: its labels are matched to the profiles (`voices.match_voices`).

Similarities: every label of the next session, and every label of each 60 s slice of it (short sessions and
short speakers), against both profiles: same person vs different person. The threshold is the midpoint of the gap
between the lowest same-person and the highest different-person similarity (when they overlap: the value with the
fewest errors), then rounded up to 0.05 so a doubtful match stays unnamed rather than wrongly named. Both directions
(a named -> b, b named -> a). Reported: the share of the next session's words named right (unnamed words count
as wrong) with the chosen threshold and margin.

    .venv/bin/python bench/calibrate_voices.py [--json bench/results/<date>-calibrate-voices.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.speaker_cases import REAL_NL, cached_transcript, cached_windows, load, read_segments, subset  # noqa: E402
from pipeline.core.types import Turns, Word  # noqa: E402
from pipeline.series import voices  # noqa: E402
from pipeline.speakers import diarize as speakers  # noqa: E402

SLICE = 60.0


def truth_at(truth: list, t: float) -> str:
    """The true speaker at time t (the nearest clip when t falls in a pause)."""
    return min(truth, key=lambda r: 0.0 if r.start <= t <= r.end else min(abs(t - r.start), abs(t - r.end))).speaker


def diarized(key: str, name: str, models_dir: Path) -> tuple[list[Word], Turns, speakers.SpeakerWindows, list]:
    flac = REAL_NL / f"{name}.flac"
    windows = cached_windows(key, lambda: load(flac))
    transcript = cached_transcript(key, flac, "nl", models_dir)
    words = speakers._units(transcript)
    path, _ = speakers.label_words(words, windows)
    turns = speakers.words_to_turns(words, path, language="nl")
    return words, turns, windows, read_segments(REAL_NL / f"{name}.segments.json")


def true_names(words: list[Word], turns: Turns, truth: list) -> dict[str, str]:
    """What the facilitator would name each label: the true speaker of most of its words."""
    votes: dict[str, Counter[str]] = {}
    for turn in turns.turns:
        for w in words:
            if turn.start <= (w.start + w.end) / 2 <= turn.end:
                votes.setdefault(turn.speaker, Counter())[truth_at(truth, (w.start + w.end) / 2)] += 1
    return {label: count.most_common(1)[0][0] for label, count in votes.items()}


def profiles_of(words: list[Word], turns: Turns, windows: speakers.SpeakerWindows,
                truth: list) -> dict[str, np.ndarray]:
    names = true_names(words, turns, truth)
    sums: dict[str, np.ndarray] = {}
    for label, (total, _) in voices.label_sums(windows, turns).items():
        sums[names[label]] = sums.get(names[label], 0) + total
    return {person: voices.unit(total) for person, total in sums.items()}


def pairs(words: list[Word], turns: Turns, windows: speakers.SpeakerWindows, truth: list,
          profiles: dict[str, np.ndarray]) -> list[tuple[float, bool, str]]:
    """(similarity, same person?, where) for the whole file's labels and every 60 s slice's labels."""
    found = []
    end = max(t.end for t in turns.turns)
    cuts = [(0.0, end + 1)] + [(s, s + SLICE) for s in np.arange(0.0, end, SLICE)]
    for start, stop in cuts:
        part = Turns(turns.speakers, tuple(t for t in turns.turns if t.start >= start and t.end <= stop))
        part_words = [w for w in words if start <= w.start and w.end <= stop]
        if not part.turns:
            continue
        names = true_names(part_words, part, truth)
        for label, (total, count) in voices.label_sums(subset(windows, start, stop), Turns(part.speakers, tuple(
                type(t)(t.speaker, t.start - start, t.end - start, t.text) for t in part.turns))).items():
            if count < voices.MIN_WINDOWS or label not in names:
                continue
            for person, profile in profiles.items():
                found.append((float(voices.unit(total) @ profile), person == names[label], f"{start:.0f}-{stop:.0f}"))
    return found


def choose_threshold(scored: list[tuple[float, bool, str]]) -> tuple[float, float, float]:
    same = [s for s, ok, _ in scored if ok]
    other = [s for s, ok, _ in scored if not ok]
    low_same, high_other = min(same), max(other)
    if low_same > high_other:
        raw = (low_same + high_other) / 2
    else:
        candidates = sorted(set(same + other))
        raw = min(candidates, key=lambda t: sum(s < t for s in same) + sum(s >= t for s in other))
    return low_same, high_other, float(np.ceil(raw * 20) / 20)


def word_accuracy(words: list[Word], turns: Turns, windows: speakers.SpeakerWindows, truth: list,
                  profiles: dict[str, np.ndarray], threshold: float, margin: float) -> tuple[float, list[dict]]:
    matches = voices.match_voices(voices.label_sums(windows, turns), profiles, threshold=threshold, margin=margin)
    named = {m.label: m.person for m in matches}
    label_at = []
    for w in words:
        mid = (w.start + w.end) / 2
        turn = next((t for t in turns.turns if t.start <= mid <= t.end), None)
        label_at.append(named.get(turn.speaker) if turn else None)
    right = sum(1 for w, name in zip(words, label_at, strict=True) if name == truth_at(truth, (w.start + w.end) / 2))
    return right / len(words), [m.__dict__ for m in matches]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    args = parser.parse_args()
    files = {"a": diarized("nl-a", "fillets_dev_a", args.models_dir),
             "b": diarized("nl-b", "fillets_dev_b", args.models_dir)}
    scored, report = [], {}
    for named, following in (("a", "b"), ("b", "a")):
        profiles = profiles_of(*files[named])
        found = pairs(*files[following], profiles)
        scored += found
        report[f"{named}->{following}"] = {"pairs": len(found)}
    low_same, high_other, threshold = choose_threshold(scored)
    print(f"same person: {sum(ok for _, ok, _ in scored)} pairs, lowest {low_same:.3f}; different: "
          f"{sum(not ok for _, ok, _ in scored)} pairs, highest {high_other:.3f} -> threshold {threshold:.2f}")
    for named, following in (("a", "b"), ("b", "a")):
        profiles = profiles_of(*files[named])
        accuracy, matches = word_accuracy(*files[following], profiles, threshold, voices.MATCH_MARGIN)
        report[f"{named}->{following}"].update({"word_accuracy": round(accuracy, 4), "matches": matches})
        print(f"fillets_dev_{named} named -> fillets_dev_{following}: {100 * accuracy:.1f} % of words named right; "
              + ", ".join(f"{m['label']}={m['person'] or '?'} ({m['similarity']:.3f}, {m['windows']} windows)"
                          for m in matches))
    result = {"threshold": threshold, "margin": voices.MATCH_MARGIN, "lowest_same": round(low_same, 4),
              "highest_different": round(high_other, 4), "pairs": len(scored), "directions": report,
              "similarities": [(round(s, 4), ok, where) for s, ok, where in scored]}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
