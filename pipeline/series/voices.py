"""Voice profiles of a series, `outputs/.series/<name>/voices.json`, kept only when the facilitator switched it on
(`oogst run --series NAME --remember-voices`): per person the centroid of their speaker embeddings and the number
of windows behind it. Voices are personal data: they never leave the machine, and `oogst series forget` removes a
person's profile by rewriting the file without it.

voices.json: {"profiles": {"<person>": {"centroid": [..], "windows": n, "sessions": ["<session>", ..]}}}
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import SessionError
from pipeline.core.session import (
    DIARIZATION,
    SERIES_FILE,
    VOICE_NAMES,
    VOICE_PROFILES,
    VOICES_CACHE,
    Session,
    atomic_write_json,
    read_json,
    series_file,
)
from pipeline.core.types import Turns
from pipeline.series.store import load_series, series_lock

if TYPE_CHECKING:
    import numpy as np

    from pipeline.speakers.diarize import SpeakerWindows



def person_key(name: str) -> str:
    """People match by name ignoring case, accents and spacing."""
    folded = unicodedata.normalize("NFKD", name)
    return " ".join("".join(ch for ch in folded if not unicodedata.combining(ch)).casefold().split())


def load_profiles(root: Path) -> dict[str, dict[str, Any]]:
    path = series_file(root, VOICE_PROFILES)
    if not path.is_file():
        return {}
    data = read_json(path)
    profiles = data.get("profiles", {}) if isinstance(data, dict) else {}
    return profiles if isinstance(profiles, dict) else {}


def save_profiles(root: Path, profiles: dict[str, dict[str, Any]]) -> None:
    atomic_write_json(series_file(root, VOICE_PROFILES), {"profiles": profiles})


def forget_voice(root: Path, person: str, *, owner: str) -> str:
    """Remove `person`'s voice profile for good: the profile, the sessions' cached voices it came from, and a note
    in series.json so a later run does not learn it again. SessionError when the series has no profile for them."""
    with series_lock(root, owner):
        profiles = load_profiles(root)
        matches = [name for name in profiles if person_key(name) == person_key(person)]
        if not matches:
            known = ", ".join(sorted(profiles)) or "none"
            raise SessionError(f"{series_file(root, VOICE_PROFILES)}: no voice profile for {person!r} in series "
                               f"{Path(root).name} (profiles: {known})")
        sessions = {s for name in matches for s in profiles[name].get("sessions", {})}
        for name in matches:
            del profiles[name]
        save_profiles(root, profiles)
        data = load_series(root)
        data["forgotten"] = sorted(set(data.get("forgotten", [])) | {person_key(person)})
        atomic_write_json(series_file(root, SERIES_FILE), data)
    for session in sessions:  # their summed window embeddings still hold the voice: recomputed when needed
        Session(Path(root).parent.parent / session).path(VOICES_CACHE).unlink(missing_ok=True)
    return f"series {Path(root).name}: voice profile of {', '.join(matches)} removed ({len(profiles)} left)"


def drop_sessions(root: Path, sessions: set[str], *, owner: str) -> None:
    """Take what these sessions gave out of the profiles (a deleted session's voices are not kept); a person left
    without sessions loses their profile. Nothing is written when no profile holds them."""
    if not sessions or not series_file(root, VOICE_PROFILES).is_file():
        return
    with series_lock(root, owner):
        profiles = load_profiles(root)
        if not any(s in profile.get("sessions", {}) for profile in profiles.values() for s in sessions):
            return
        for profile in profiles.values():
            for session in sessions:
                profile.get("sessions", {}).pop(session, None)
        _recount(profiles)
        save_profiles(root, profiles)


def _recount(profiles: dict[str, dict[str, Any]]) -> None:
    """Drop people without sessions; each other's centroid and window count from their sessions."""
    for person in [p for p, profile in profiles.items() if not profile.get("sessions")]:
        del profiles[person]
    for person, centroid in centroids(profiles).items():
        profiles[person]["centroid"] = [round(float(x), 5) for x in centroid]
        profiles[person]["windows"] = sum(v["windows"] for v in profiles[person]["sessions"].values())


# -- profiles from speaker windows, and matching ---------------------------------------------------------------
# Calibrated on real voices (bench/calibrate_voices.py, ../shared/data/real-nl: the same two actors in
# fillets_dev_a and fillets_dev_b); see the README's "Voices across sessions" for the figures.
MATCH_THRESHOLD = 0.85  # cosine of a speaker's centroid to a profile below which a name is not proposed
MATCH_MARGIN = 0.05  # the best profile must beat the next one by this much, else the match is unsure
MIN_WINDOWS = 8  # a speaker with less than 8 windows (about 3 s of speech) is too little to go on
TRIM = 0.25  # seconds cut from both ends of a turn: the windows at a speaker change mix two voices
MAX_SECONDS = 240.0  # speech per speaker embedded for a profile: enough for a stable centroid, bounded time


def turn_regions(turns: Turns, label: str) -> list[tuple[float, float]]:
    """The label's turns, trimmed, at least one window long; at most MAX_SECONDS of them, spread evenly."""
    from pipeline.speakers.diarize import WINDOW

    regions = [(t.start + TRIM, t.end - TRIM) for t in turns.turns
               if t.speaker == label and t.end - t.start - 2 * TRIM >= WINDOW]
    total = sum(e - s for s, e in regions)
    if total <= MAX_SECONDS:
        return regions
    step = total / MAX_SECONDS
    return [r for i, r in enumerate(regions) if int(i / step) != int((i - 1) / step) or i == 0]


def label_sums(windows: SpeakerWindows, turns: Turns) -> dict[str, tuple[np.ndarray, int]]:
    """Per speaker label, the sum of the embeddings of the windows inside its (trimmed) turns and their count."""
    import numpy as np

    found: dict[str, tuple[np.ndarray, int]] = {}
    for label in dict.fromkeys(t.speaker for t in turns.turns):
        inside = np.zeros(len(windows.starts), bool)
        for start, end in turn_regions(turns, label):
            inside |= (windows.starts >= start - 1e-6) & (windows.ends <= end + 1e-6)
        if inside.any():
            found[label] = (windows.embeddings[inside].sum(axis=0), int(inside.sum()))
    return found


def embed_label_sums(audio: np.ndarray, turns: Turns) -> dict[str, tuple[np.ndarray, int]]:
    """`label_sums` with the windows embedded now, only inside the turns (the speakers stage keeps none)."""
    from pipeline.speakers.diarize import WINDOW, embed_windows

    regions = sorted(r for label in dict.fromkeys(t.speaker for t in turns.turns) for r in turn_regions(turns, label))
    return label_sums(embed_windows(audio, regions, min_region=WINDOW), turns)


def unit(vector: np.ndarray) -> np.ndarray:
    import numpy as np

    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass(frozen=True)
class Match:
    label: str
    person: str | None  # proposed name; None when unsure
    similarity: float  # to the best profile
    candidate: str | None  # the best profile (also when unsure)
    windows: int


def match_voices(sums: dict[str, tuple[np.ndarray, int]], profiles: dict[str, np.ndarray], *,
                 threshold: float = MATCH_THRESHOLD, margin: float = MATCH_MARGIN) -> list[Match]:
    """Propose a profile for each label: one label per person, best pairs first; unsure ones stay unnamed."""
    people = list(profiles)
    scores = {label: {p: float(unit(total) @ unit(profiles[p])) for p in people} for label, (total, _) in sums.items()}
    pairs = sorted(((s, label, p) for label, row in scores.items() for p, s in row.items()), reverse=True)
    taken_labels: set[str] = set()
    taken_people: set[str] = set()
    named: dict[str, str] = {}
    for similarity, label, person in pairs:
        if label in taken_labels or person in taken_people:
            continue
        others = [s for p, s in scores[label].items() if p != person and p not in taken_people]
        sure = (similarity >= threshold and sums[label][1] >= MIN_WINDOWS
                and similarity - max(others, default=-1.0) >= margin)
        if sure:
            named[label] = person
            taken_labels.add(label)
            taken_people.add(person)
    result = []
    for label, (_, count) in sums.items():
        row = scores[label]
        best = max(row, key=lambda p: row[p]) if row else None
        chosen = named.get(label)
        result.append(Match(label, chosen, row[chosen] if chosen else (row[best] if best else 0.0),
                            chosen or best, count))
    return result


# -- a session's voices and the series' profiles ---------------------------------------------------------------


def session_sums(session: Session, audio: Callable[[], np.ndarray]) -> dict[str, tuple[np.ndarray, int]]:
    """Per speaker label of the session, its summed window embeddings and their count (cached per diarization)."""
    import numpy as np

    key = session.artefact_hash(DIARIZATION)
    cache = session.path(VOICES_CACHE)
    if cache.is_file():
        data = read_json(cache)
        if data.get("diarization") == key:
            return {label: (np.asarray(v["sum"], np.float32), int(v["windows"])) for label, v in data["labels"].items()}
    sums = embed_label_sums(audio(), session.diarization())
    labels = {label: {"sum": [round(float(x), 5) for x in total], "windows": count}
              for label, (total, count) in sums.items()}
    atomic_write_json(cache, {"diarization": key, "labels": labels})
    return sums


def centroids(profiles: dict[str, dict[str, Any]], *, leave_out: str | None = None) -> dict[str, np.ndarray]:
    """Each person's centroid over their sessions (without `leave_out`: a session is not matched to itself)."""
    import numpy as np

    found = {}
    for person, profile in profiles.items():
        shares = [v for s, v in profile.get("sessions", {}).items() if s != leave_out]
        if shares:
            found[person] = unit(np.sum([np.asarray(v["sum"], np.float32) for v in shares], axis=0))
    return found


def proposals(matches: list[Match]) -> dict[str, Any]:
    """voice-names.json: {"proposed": {label: {"name", "similarity"}}, "unsure": [...], "threshold", "margin"}."""
    return {"proposed": {m.label: {"name": m.person, "similarity": round(m.similarity, 4), "windows": m.windows}
                         for m in matches if m.person},
            "unsure": [{"label": m.label, "closest": m.candidate, "similarity": round(m.similarity, 4),
                        "windows": m.windows} for m in matches if m.person is None],
            "threshold": MATCH_THRESHOLD, "margin": MATCH_MARGIN}


def proposed_names(session: Session) -> dict[str, str]:
    """Label -> name proposed from the series' voice profiles ({} when none)."""
    data = session.read_if(VOICE_NAMES) or {}
    return {label: str(v["name"]) for label, v in data.get("proposed", {}).items() if v.get("name")}


def _named(turns: Turns) -> dict[str, str]:
    """Labels with a person's name (not "Spreker 1", not the label itself)."""
    from pipeline.speakers.diarize import default_names

    labels = list(turns.speakers)
    defaults = set(default_names(labels, "nl").values()) | set(default_names(labels, "en").values())
    return {label: name for label, name in turns.speakers.items() if name and name != label and name not in defaults}


def learn(root: Path, session: Session, sums: dict[str, tuple[np.ndarray, int]], *, owner: str) -> None:
    """Put the named speakers' voices of `session` into their profiles, replacing what this session gave before
    (so a corrected name moves the voice to the right person)."""
    import numpy as np

    from pipeline.speakers.per_turn import merged_into

    named = _named(session.turns())
    into = merged_into(session.speaker_changes())  # a speaker merged into another: its voice is that person's too
    if into:
        merged: dict[str, tuple[np.ndarray, int]] = {}
        for label, (total, count) in sums.items():
            was = merged.get(into.get(label, label))
            merged[into.get(label, label)] = (total, count) if was is None else (was[0] + total, was[1] + count)
        sums = merged
    with series_lock(root, owner):
        forgotten = set(load_series(root).get("forgotten", []))  # `oogst series forget`: never learned again
        profiles = load_profiles(root)
        for profile in profiles.values():
            profile.get("sessions", {}).pop(session.name, None)
        for label, person in named.items():
            if label not in sums or person_key(person) in forgotten:
                continue
            total, count = sums[label]
            key = next((p for p in profiles if person_key(p) == person_key(person)), person)
            share = profiles.setdefault(key, {"sessions": {}})["sessions"].setdefault(
                session.name, {"sum": [0.0] * len(total), "windows": 0})
            share["sum"] = [round(float(x), 5) for x in np.asarray(share["sum"], np.float32) + total]
            share["windows"] += count
        _recount(profiles)  # a person whose only session now names the voice otherwise has no profile left
        save_profiles(root, profiles)
