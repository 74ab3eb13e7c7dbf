"""Voice profiles of a series, `outputs/.series/<name>/voices.json`, kept only when the facilitator switched it on
(`oogst run --series NAME --remember-voices`): per person the centroid of their speaker embeddings and the number
of windows behind it. Voices are personal data: they never leave the machine, and `oogst series forget` removes a
person's profile by rewriting the file without it.

voices.json: {"profiles": {"<person>": {"centroid": [..], "windows": n, "sessions": ["<session>", ..]}}}
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from pipeline.core.errors import SessionError
from pipeline.core.store import atomic_write_json, read_json
from pipeline.series.store import series_lock

VOICES_FILE = "voices.json"


def person_key(name: str) -> str:
    """People match by name ignoring case, accents and spacing."""
    folded = unicodedata.normalize("NFKD", name)
    return " ".join("".join(ch for ch in folded if not unicodedata.combining(ch)).casefold().split())


def load_profiles(root: Path) -> dict[str, dict[str, Any]]:
    path = Path(root) / VOICES_FILE
    if not path.is_file():
        return {}
    data = read_json(path)
    profiles = data.get("profiles", {}) if isinstance(data, dict) else {}
    return profiles if isinstance(profiles, dict) else {}


def save_profiles(root: Path, profiles: dict[str, dict[str, Any]]) -> None:
    atomic_write_json(Path(root) / VOICES_FILE, {"profiles": profiles})


def forget_voice(root: Path, person: str, *, owner: str) -> str:
    """Remove `person`'s voice profile; SessionError when the series has none for them."""
    with series_lock(root, owner):
        profiles = load_profiles(root)
        matches = [name for name in profiles if person_key(name) == person_key(person)]
        if not matches:
            known = ", ".join(sorted(profiles)) or "none"
            raise SessionError(f"{Path(root) / VOICES_FILE}: no voice profile for {person!r} in series "
                               f"{Path(root).name} (profiles: {known})")
        for name in matches:
            del profiles[name]
        save_profiles(root, profiles)
    return f"series {Path(root).name}: voice profile of {', '.join(matches)} removed ({len(profiles)} left)"
