"""Small sessions for the search tests, made from the sample session's artefacts (tests/data/session) and a few
lines of a second and third conversation: a parents' evening in a school team's series, and an English one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline.core.layers import with_correction
from pipeline.core.session import Session
from pipeline.core.types import Transcript

DATA = Path(__file__).parent / "data" / "session"
HANDOVER = "2026-11-30_intervisie-zorg"  # the sample: handovers between teams (no series)
PARENTS = "2026-04-14_intervisie-school"  # a school team's session, in the series "team-noord"
ENGLISH = "2026-05-02_peer-review"
SERIES = "team-noord"

PARENTS_TURNS = [
    ("S1", 4.0, "Welkom. Vandaag hebben we het over de ouderavonden van dit voorjaar."),
    ("S2", 11.0, "Bij de laatste ouderavond kwamen maar zes ouders opdagen, dat viel me tegen."),
    ("S3", 19.5, "Misschien plannen we de gesprekken te laat op de dag, veel ouders werken in ploegendienst."),
    ("S2", 27.0, "We zouden ook een digitale ouderavond kunnen proberen, dan hoeven ze niet te reizen."),
    ("S1", 35.0, "Wie wil uitzoeken hoe andere scholen vaders en moeders bij de school betrekken?"),
    ("S3", 42.0, "Dat doe ik, ik bel de directeur van De Regenboog voor de kerstvakantie."),
    ("S2", 50.0, "Ik merk dat ik na een lange werkdag gewoon op ben, ik heb geen energie meer voor de klas."),
]
ENGLISH_TURNS = [
    ("S1", 3.0, "Let's start with the budget for next year's training programme."),
    ("S2", 9.0, "I think we should spend less on conferences and more on coaching on the job."),
    ("S1", 16.0, "Agreed. Who will draft the proposal for the board?"),
]


def _turns_file(root: Path, turns: list[tuple[str, float, str]], names: dict[str, str]) -> None:
    data = {"speakers": names, "turns": [{"speaker": s, "start": t, "end": t + 6.0, "text": text}
                                         for s, t, text in turns]}
    (root / "turns.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    language = "en" if names.get("S1") == "Alex" else "nl"
    data = Transcript(language, turns[-1][1] + 6.0, "scripted", (), {}).to_dict()
    data["recorded"] = root.name[:10]
    (root / "transcript.json").write_text(json.dumps(data), encoding="utf-8")


def make_sessions(out_dir: Path, *, pseudonymised: bool = False) -> dict[str, Path]:
    """Three processed sessions: the sample (with insights and actions), the parents' evening (in a series) and an
    English one. `pseudonymised`: the parents' evening is shared with labels."""
    out_dir.mkdir(parents=True, exist_ok=True)
    handover = out_dir / HANDOVER
    handover.mkdir()
    shutil.copy(DATA / "turns.json", handover / "turns.json")
    shutil.copy(DATA / "transcript.json", handover / "transcript.json")
    shutil.copy(DATA / "insights.json", handover / "insights.json")
    parents = out_dir / PARENTS
    parents.mkdir()
    _turns_file(parents, PARENTS_TURNS, {"S1": "Marieke", "S2": "Youssef", "S3": "Ilse"})
    (parents / "series.json").write_text(json.dumps({"series": SERIES}), encoding="utf-8")
    series = out_dir / ".series" / SERIES
    series.mkdir(parents=True)
    (series / "series.json").write_text(json.dumps({"name": SERIES, "sessions": []}), encoding="utf-8")
    english = out_dir / ENGLISH
    english.mkdir()
    _turns_file(english, ENGLISH_TURNS, {"S1": "Alex", "S2": "Sam"})
    if pseudonymised:
        from pipeline.privacy.mapping import Pseudonyms

        Pseudonyms(parents / "pseudonyms.json", True, "labels").save("nl")
    return {"handover": handover, "parents": parents, "english": english}


def correct(root: Path, start: float, text: str, original: str, speaker: str) -> None:
    """A line correction as the transcript page saves it."""
    session = Session(root)
    session.save_corrections(with_correction(session.corrections(), start, text, original=original, speaker=speaker))


LONG = "2026-03-10_intervisie-lang"
LONG_LINE = 123  # on the transcript's second page (100 lines a page)
LONG_TEXT = "We moeten de ouderavond in maart veel beter voorbereiden met het hele team."


def long_session(out_dir: Path, lines: int = 150) -> Path:
    """A session of `lines` turns whose line LONG_LINE, corrected by hand, is the only one about the parents' evening
    in March (the original line says something else: only the corrected transcript has it)."""
    root = out_dir / LONG
    root.mkdir(parents=True)
    turns = [("S1" if n % 2 else "S2", 5.0 * n, f"Regel {n} gaat over het rooster van week {n % 9 + 1}.")
             for n in range(lines)]
    _turns_file(root, turns, {"S1": "Noor", "S2": "Pieter"})
    correct(root, 5.0 * LONG_LINE, LONG_TEXT, turns[LONG_LINE][2], turns[LONG_LINE][0])
    return root
