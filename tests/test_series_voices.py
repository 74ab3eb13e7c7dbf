"""Voices across the sessions of a series, on real voices nobody on the project recorded: the same two Dutch actors
in ../shared/data/real-nl (fillets_dev_a, then fillets_dev_b). The first session is named by hand; the next one
gets its speakers' names proposed from the profiles. `oogst series forget` removes a person from the profiles file.

Real speaker stage (Silero VAD, resemblyzer, clustering); the words come from the reference clips (a scripted
recogniser), so no Whisper model runs. 75 s of each file keeps it fast."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA

from devtools.synth import write_wav
from pipeline.cli import main
from pipeline.core.session import VOICE_NAMES, VOICE_PROFILES, VOICES_CACHE, Session
from pipeline.core.settings import Settings
from pipeline.core.types import SAMPLE_RATE, Segment, Turns, Word
from pipeline.ingest.audio import load_audio
from pipeline.series.store import series_root
from pipeline.series.voices import load_profiles
from pipeline.service import run_recording
from pipeline.speakers.names import apply_names
from pipeline.testing import ScriptedBackend

REAL_NL = SHARED_DATA / "real-nl"
LENGTH = 75.0


def cut(name: str, folder: Path, day: str) -> tuple[Path, list[dict], ScriptedBackend]:
    """The first LENGTH seconds of a real file as a recording, its reference clips, and a recogniser giving their
    words (spread evenly over each clip)."""
    audio = load_audio(REAL_NL / f"{name}.flac")[: int(LENGTH * SAMPLE_RATE)]
    path = write_wav(folder / f"{day}_{name}.wav", audio)
    clips = [c for c in json.loads((REAL_NL / f"{name}.segments.json").read_text()) if c["end"] <= LENGTH]
    segments = []
    for clip in clips:
        parts = clip["text"].split()
        step = (clip["end"] - clip["start"]) / len(parts)
        words = tuple(Word(clip["start"] + k * step, clip["start"] + (k + 1) * step, " " + w, 0.95)
                      for k, w in enumerate(parts))
        segments.append(Segment(clip["start"], clip["end"], clip["text"], words))
    return path, clips, ScriptedBackend(segments, duration=len(audio) / SAMPLE_RATE)


def truth_at(clips: list[dict], t: float) -> str:
    return min(clips, key=lambda c: 0.0 if c["start"] <= t <= c["end"] else min(abs(t - c["start"]),
                                                                               abs(t - c["end"])))["speaker"]


def words_named_right(session: Session, clips: list[dict]) -> float:
    """The share of the session's words whose turn carries the right person's name (unnamed counts as wrong)."""
    turns = Turns.from_dict(json.loads(session.path("turns.json").read_text()))
    right = total = 0
    for turn in turns.turns:
        n = len(turn.text.split())
        step = (turn.end - turn.start) / max(1, n)
        for k in range(n):
            total += 1
            right += turns.name(turn.speaker) == truth_at(clips, turn.start + (k + 0.5) * step)
    return right / total


@pytest.mark.slow
@pytest.mark.needs_data(*(f"real-nl/{name}.{kind}" for name in ("fillets_dev_a", "fillets_dev_b")
                          for kind in ("flac", "segments.json")))
def test_names_proposed_from_real_voices_and_forget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(out_dir=tmp_path / "outputs")
    first_path, first_clips, first_asr = cut("fillets_dev_a", tmp_path, "2026-03-04")
    result = run_recording(first_path, settings, asr_backend=first_asr, series="stemmen", remember_voices=True,
                           date=dt.date(2026, 3, 4))
    first = result.session
    assert not first.path(VOICE_NAMES).is_file()  # nothing to match against yet
    # the facilitator names the speakers (here: the true speaker of most of each label's words)
    turns = Turns.from_dict(json.loads(first.path("turns.json").read_text()))
    votes: dict[str, Counter[str]] = {}
    for turn in turns.turns:
        votes.setdefault(turn.speaker, Counter())[truth_at(first_clips, (turn.start + turn.end) / 2)] += 1
    apply_names(first, {label: count.most_common(1)[0][0] for label, count in votes.items()})
    run_recording(first_path, settings, asr_backend=first_asr)  # the series and its voices are kept
    root = series_root(settings.out_dir, "stemmen")
    profiles = load_profiles(root)
    assert set(profiles) == {"klein", "groot"}
    assert all(p["windows"] >= 50 and len(p["centroid"]) == 256 for p in profiles.values())

    # the next session, other recordings of the same two actors: names proposed, nobody named by hand
    second_path, second_clips, second_asr = cut("fillets_dev_b", tmp_path, "2026-03-18")
    second = run_recording(second_path, settings, asr_backend=second_asr, series="stemmen",
                           date=dt.date(2026, 3, 18)).session
    proposed = json.loads(second.path(VOICE_NAMES).read_text())
    assert {v["name"] for v in proposed["proposed"].values()} == {"klein", "groot"}
    assert words_named_right(second, second_clips) >= 0.9
    assert not second.path("names.toml").is_file()  # proposals, not names written by a person

    # forget: the profile file no longer holds the person, and the voice caches it came from are gone
    assert main(["series", "forget", "stemmen", "Klein", "--out-dir", str(settings.out_dir)]) == 0
    assert "voice profile of klein removed" in capsys.readouterr().out
    text = (root / VOICE_PROFILES).read_text()
    assert "klein" not in text.lower() and set(json.loads(text)["profiles"]) == {"groot"}
    assert not first.path(VOICES_CACHE).is_file()
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]
    run_recording(first_path, settings, asr_backend=first_asr, start="names")  # a later run does not learn it again
    assert set(load_profiles(root)) == {"groot"}
    assert main(["series", "forget", "stemmen", "klein", "--out-dir", str(settings.out_dir)]) == 1


def test_unsure_matches_stay_unnamed() -> None:
    from pipeline.series.voices import MIN_WINDOWS, match_voices

    rng = np.random.default_rng(0)
    anna, bram = rng.normal(size=256), rng.normal(size=256)
    between = (anna + bram) / 2  # a voice halfway: close to both, clearly neither
    sums = {"S1": (anna * 40 + rng.normal(size=256), 40), "S2": (between * 40, 40),
            "S3": (bram * 3, MIN_WINDOWS - 1)}
    matches = {m.label: m for m in match_voices(sums, {"Anna": anna, "Bram": bram})}
    assert matches["S1"].person == "Anna"
    assert matches["S2"].person is None and matches["S2"].candidate in {"Anna", "Bram"}
    assert matches["S3"].person is None  # too little speech to go on


SCRIPTS = (  # three sessions of one group: the same four people, in another order each time
    [("Anna", "Welkom allemaal, fijn dat jullie er weer zijn vandaag."),
     ("Bram", "Ik wil graag een casus inbrengen over de overdracht tussen de teams."),
     ("Carla", "Wat bedoel je precies met de overdracht, gaat het om de dossiers?"),
     ("Dirk", "Bij ons lukt dat beter sinds we een vaste checklist gebruiken."),
     ("Bram", "Het gaat mis omdat niemand zich echt eigenaar voelt van het dossier."),
     ("Anna", "Zullen we een rondje maken met adviezen voor Bram?"),
     ("Carla", "Mijn advies is om per cliënt een eigenaar aan te wijzen."),
     ("Dirk", "En spreek een vast moment af waarop de overdracht gebeurt.")],
    [("Carla", "Vandaag breng ik een casus in over de werkdruk in mijn team."),
     ("Anna", "Wat maakt de werkdruk zo hoog op dit moment?"),
     ("Carla", "Twee collega's zijn ziek en het werk blijft gewoon liggen."),
     ("Dirk", "Heb je dat al besproken met je leidinggevende?"),
     ("Bram", "Bij ons helpt het om elke week de prioriteiten samen te kiezen."),
     ("Dirk", "Je zou ook kunnen vragen om tijdelijke hulp van een ander team."),
     ("Anna", "Wat neem je mee uit dit gesprek, Carla?"),
     ("Bram", "Ik hoop dat het snel wat rustiger wordt bij jullie.")],
    [("Dirk", "Ik wil het vandaag hebben over een lastig gesprek met een ouder."),
     ("Bram", "Wat maakte het gesprek zo lastig voor jou?"),
     ("Dirk", "De moeder werd boos en ik voelde me aangevallen door haar."),
     ("Anna", "Herken je dat gevoel ook uit andere gesprekken?"),
     ("Carla", "Mij helpt het om eerst te benoemen wat ik zie gebeuren."),
     ("Anna", "Een vast belmoment kan haar zekerheid geven."),
     ("Carla", "En neem de tijd om eerst goed te luisteren."),
     ("Bram", "Dank je Dirk, dit was een mooie casus om te bespreken.")],
)


def synthetic_session(folder: Path, day: str, script: list[tuple[str, str]]) -> tuple[Path, list[dict],
                                                                                      ScriptedBackend]:
    from devtools.synth import VOICES, Line, synthesize

    voices = dict(zip(("Anna", "Bram", "Carla", "Dirk"), VOICES, strict=False))  # a person keeps their voice
    audio, spoken = synthesize([Line(who, text) for who, text in script], voices=voices)
    path = write_wav(folder / f"{day}_groep.wav", audio)
    clips = [{"speaker": t.speaker, "start": t.start, "end": t.end, "text": t.text} for t in spoken]
    segments = []
    for clip in clips:
        parts = clip["text"].split()
        step = (clip["end"] - clip["start"]) / len(parts)
        segments.append(Segment(clip["start"], clip["end"], clip["text"], tuple(
            Word(clip["start"] + k * step, clip["start"] + (k + 1) * step, " " + w, 0.95)
            for k, w in enumerate(parts))))
    return path, clips, ScriptedBackend(segments, duration=len(audio) / SAMPLE_RATE)


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
def test_synthetic_series_of_three_sessions_with_the_same_voices(tmp_path: Path) -> None:
    settings = Settings(out_dir=tmp_path / "outputs")
    days = ("2026-03-04", "2026-03-18", "2026-04-01")
    made = [synthetic_session(tmp_path, day, script) for day, script in zip(days, SCRIPTS, strict=True)]
    path, clips, asr = made[0]
    first = run_recording(path, settings, asr_backend=asr, series="groep", remember_voices=True).session
    turns = Turns.from_dict(json.loads(first.path("turns.json").read_text()))
    votes: dict[str, Counter[str]] = {}
    for turn in turns.turns:
        votes.setdefault(turn.speaker, Counter())[truth_at(clips, (turn.start + turn.end) / 2)] += 1
    apply_names(first, {label: count.most_common(1)[0][0] for label, count in votes.items()})
    run_recording(path, settings, asr_backend=asr)
    assert set(load_profiles(series_root(settings.out_dir, "groep"))) == {"Anna", "Bram", "Carla", "Dirk"}
    for path, clips, asr in made[1:]:
        session = run_recording(path, settings, asr_backend=asr, series="groep").session
        assert words_named_right(session, clips) >= 0.9, session.name
