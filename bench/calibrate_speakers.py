"""How the automatic speaker count was chosen: the statistics behind the rule, on recordings with known speakers.

    python bench/calibrate_speakers.py [--json OUT.json]

Cases (bench/speaker_cases.py): real Dutch voice actors (real-nl: the two files, their 90 s slices, one actor
alone) and espeak-ng voices (the sample, each voice alone, three voices), each as recorded and through a simulated
phone channel. The pyannote phone call is printed apart and never used to choose anything.

Per case: the centroid cosine between reference speakers (windows labelled by the reference turns) and of the two
halves spectral clustering makes of each single speaker (what the old rule compared with 0.88); the normalised
Laplacian's eigenvalues, the count k >= 2 of the largest normalised eigengap (`clustering.eigengap_count`) and the
silhouette of that split (`clustering.split_silhouette`). Then the threshold: the silhouettes of one-speaker cases and
of two-or-more-speaker cases are each summarised by a normal distribution, and MIN_SILHOUETTE is the point where
both are equally many standard deviations away (the equal-error point; the middle of the gap when they do not
overlap). The script prints it; pipeline/speakers.py holds it rounded to two decimals.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speaker_cases as sc  # noqa: E402

from pipeline.speakers import clustering  # noqa: E402


def _spectral(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = len(x)
    neighbours = min(int(np.clip(round(m * 0.05), 10, 40)), m - 1)
    return clustering._spectral_embedding(clustering._affinity(x, neighbours), clustering.MAX_SPEAKERS)


def _halves(x: np.ndarray) -> float:
    """Centroid cosine of the two groups spectral clustering splits one speaker's windows into."""
    if len(x) < 12:
        return float("nan")
    _, vectors = _spectral(x)
    labels = clustering._kmeans(vectors[:, :2], 2)
    cents = clustering._centroids(x, labels, 2)
    return float(cents[0] @ cents[1])


def analyse(case: sc.Case) -> dict:
    x = case.windows.embeddings.astype(np.float64)
    x = x[:: max(1, int(np.ceil(len(x) / 2000)))]
    truth = sc.window_truth(case)[:: max(1, int(np.ceil(len(case.windows.embeddings) / 2000)))]
    names = sorted({t.speaker for t in case.truth})
    present = [i for i in range(len(names)) if np.sum(truth == i) >= 4]
    known = truth >= 0
    cents = clustering._centroids(x[known], truth[known], len(names))
    values, vectors = _spectral(x)
    k = clustering.eigengap_count(values, min(clustering.MAX_SPEAKERS, len(x) - 1))
    labels = clustering._kmeans(vectors[:, :k], k)
    two = clustering._kmeans(vectors[:, :2], 2)
    two_cents = clustering._centroids(x, two, 2)
    return {"name": case.name, "group": case.group, "speakers": case.speakers, "windows": len(x),
            "between": [float(cents[i] @ cents[j]) for a, i in enumerate(present) for j in present[a + 1:]],
            "halves": [_halves(x[truth == i]) for i in present],
            "closest_k2": float(two_cents[0] @ two_cents[1]),
            "eigenvalues": [float(v) for v in values[:7]], "eigengap_k": k,
            "silhouette": clustering.split_silhouette(x, labels)}


def equal_error(one: np.ndarray, many: np.ndarray) -> float:
    """The point as many standard deviations above the one-speaker mean as below the many-speaker mean."""
    m1, s1, m2, s2 = one.mean(), one.std(ddof=1), many.mean(), many.std(ddof=1)
    return float((m1 * s2 + m2 * s1) / (s1 + s2))


def count(stats: dict, threshold: float) -> int:
    return stats["eigengap_k"] if stats["silhouette"] >= threshold else 1


def old_count(stats: dict) -> str:
    return "1" if stats["closest_k2"] >= 0.88 else ">=2"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    calibration = [analyse(c) for c in sc.calibration_cases()]
    report = [analyse(c) for c in sc.report_cases()]

    one = np.array([s["silhouette"] for s in calibration if s["speakers"] == 1])
    many = np.array([s["silhouette"] for s in calibration if s["speakers"] > 1])
    threshold = equal_error(one, many)
    rounded = round(threshold, 2)

    print("| case | true | windows | between-speaker cos | one speaker's halves cos | closest k=2 (old: 1 if "
          ">= 0.88) | eigenvalues 2..5 | eigengap k | silhouette | new count |")
    print("|---|---:|---:|---|---|---:|---|---:|---:|---:|")
    for s in calibration + report:
        print(f"| {s['name']}{' (REPORT)' if s['group'] == 'report' else ''} | {s['speakers']} | {s['windows']} | "
              f"{' '.join(f'{b:.3f}' for b in s['between'])} | {' '.join(f'{h:.3f}' for h in s['halves'])} | "
              f"{s['closest_k2']:.3f} | {' '.join(f'{v:.3f}' for v in s['eigenvalues'][1:5])} | "
              f"{s['eigengap_k']} | {s['silhouette']:.3f} | {count(s, rounded)} |")

    def summary(values: list[float]) -> str:
        v = np.asarray(values)
        return f"n={len(v)} min {v.min():.3f} mean {v.mean():.3f} max {v.max():.3f}"

    clean = [s for s in calibration if "(phone)" not in s["name"]]
    phone = [s for s in calibration if "(phone)" in s["name"]]
    print("\nCentroid cosine (the old statistic), calibration cases:")
    for label, group in (("clean", clean), ("phone", phone)):
        print(f"  {label}: between speakers {summary([b for s in group for b in s['between']])}; "
              f"halves of one speaker {summary([h for s in group for h in s['halves'] if h == h])}")
    print(f"  report (pyannote): between {report[0]['between']}, halves {report[0]['halves']}")
    print("\nSilhouette of the eigengap split, calibration cases:")
    print(f"  one speaker: {summary(list(one))} sd {one.std(ddof=1):.3f}")
    print(f"  two or more: {summary(list(many))} sd {many.std(ddof=1):.3f}")
    print(f"  equal-error threshold {threshold:.4f} -> MIN_SILHOUETTE = {rounded} "
          f"(pipeline/speakers.py has {clustering.MIN_SILHOUETTE})")
    wrong = [s["name"] for s in calibration if count(s, rounded) != s["speakers"]]
    old_wrong = [s["name"] for s in calibration if (old_count(s) == "1") != (s["speakers"] == 1)]
    print(f"  calibration cases counted wrong by the new rule: {len(wrong)} of {len(calibration)}: {wrong}")
    print(f"  calibration cases where the old rule got one-vs-more wrong: {len(old_wrong)}: {old_wrong}")
    for s in report:
        print(f"  REPORT {s['name']}: new count {count(s, rounded)} (silhouette {s['silhouette']:.3f}, eigengap k "
              f"{s['eigengap_k']}); old rule: {old_count(s)} (closest {s['closest_k2']:.3f})")
    if args.json:
        args.json.write_text(json.dumps({"threshold": threshold, "calibration": calibration, "report": report},
                                        indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
