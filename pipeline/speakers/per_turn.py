"""Speakers per turn: a turn moved to another speaker (or a new one), a turn split at a word with its second part
given to another speaker, two speaker labels merged into one. Kept as a layer, `speaker-changes.json`, the list of
changes in the order they were made (diarization.json, the diarizer's output, is never changed):

    {"changes": [{"op": "move", "turn": "t1222", "speaker": "S3", "was": "S2", "at": "…"},
                 {"op": "split", "turn": "t2043", "word": 7, "speaker": "S4", "was": "S3", "at": "…"},
                 {"op": "merge", "from": "S4", "into": "S1", "turns": ["t2043w7"], "name": "S4", "at": "…"}]}

A turn is named by its id (`core.types.turn_id`), which stays the same on every re-run; a part split off is
`<id>w<word>`. The names stage applies the list in order after the line corrections (a split cuts the line at word
`word`, counted from 0, at the time the recogniser heard that word, interpolated when it has no word times or the
line was corrected to other words), so a change survives every re-run; a change whose turn is gone (another
`--speakers`) is skipped with a warning and kept. Line corrections are keyed by turn id too (corrections.json): a
corrected turn that is split has its correction cut the same way, each part's words under the part's id, applied
after the split (`split_correction`; undo joins them again); a move or merge leaves the correction on its turn.
"was", "turns" and "name" are what undo restores; the names stage reads only op, turn, speaker, word, from and into.
Undo drops the last change.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pipeline.core.errors import OogstError
from pipeline.core.layers import is_time_key, time_key, with_correction
from pipeline.core.session import DIARIZATION, SPEAKER_CHANGES, TRANSCRIPT, TURNS, Session
from pipeline.core.types import Turn, Turns, Word

log = logging.getLogger(__name__)

OPS = ("move", "split", "merge")
LAYER = SPEAKER_CHANGES  # the layer's name in the session folder (`core.session`)


class SpeakerChangeError(OogstError):
    """A change that cannot be made: an unknown turn or speaker, a word outside the turn."""


def new_label(turns: Turns) -> str:
    """A speaker label no turn has yet: S<n> after the highest."""
    numbers = [int(m[1]) for label in turns.speakers if (m := re.fullmatch(r"S(\d+)", label))]
    n = max(numbers, default=0) + 1
    while f"S{n}" in turns.speakers:
        n += 1
    return f"S{n}"


def split_id(turn: str, word: int) -> str:
    """The id of the part of turn `turn` from word `word` on."""
    return f"{turn}w{word}"


def split_ids(changes: Sequence[dict[str, Any]]) -> set[str]:
    """The ids of the turns a split made or cut (their lines are corrected by id, not by start)."""
    found = set()
    for change in changes:
        if change.get("op") == "split":
            found |= {str(change.get("turn")), split_id(str(change.get("turn")), int(change.get("word", 0)))}
    return found


def merged_into(changes: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Each speaker label merged away -> the label it is part of now (merges of merges followed); the series puts
    the merged label's voice into that speaker's profile."""
    into: dict[str, str] = {}
    for change in changes:
        if change.get("op") == "merge":
            source, target = str(change.get("from")), str(change.get("into"))
            into = {label: target if now == source else now for label, now in into.items()}
            into[source] = target
    return into


def _with_speaker(speakers: dict[str, str], label: str) -> dict[str, str]:
    return speakers if label in speakers else {**speakers, label: label}


def _index(turns: Turns, turn_id: str) -> int | None:
    return next((i for i, t in enumerate(turns.turns) if t.id == turn_id), None)


def words_of(turn: Turn, words: Sequence[Word]) -> list[Word]:
    """The recogniser's words heard in this turn (their middle inside it), in order."""
    return [w for w in words if turn.start <= (w.start + w.end) / 2 < turn.end]


def cut_time(turn: Turn, word: int, words: Sequence[Word] = ()) -> float:
    """When word `word` (0-based) of the turn's text begins: the recogniser's start of that word when it heard the
    turn's words one for one (a turn not corrected to another number of words), else placed by the share of
    characters before it."""
    text = turn.text.split()
    heard = words_of(turn, words)
    if len(heard) == len(text) and turn.start < heard[word].start < turn.end:
        return round(heard[word].start, 3)
    first, second = " ".join(text[:word]), " ".join(text[word:])
    return round(turn.start + (turn.end - turn.start) * (len(first) + 1) / (len(first) + 1 + len(second)), 3)


def split_at(turn: Turn, word: int, speaker: str, words: Sequence[Word] = ()) -> tuple[Turn, Turn] | None:
    """The turn cut before word `word` (0-based): the first part keeps its id and speaker, the second gets
    `split_id` and `speaker`; the cut is at the word's time (`cut_time`: the recogniser's `words`, when they match
    the text, else interpolated) (None: no such cut)."""
    text = turn.text.split()
    if not 0 < word < len(text):
        return None
    at = cut_time(turn, word, words)
    return (replace(turn, end=at, text=" ".join(text[:word])),
            replace(turn, speaker=speaker, start=at, text=" ".join(text[word:]), id=split_id(turn.id, word)))


def apply_change(turns: Turns, change: dict[str, Any], words: Sequence[Word] = ()) -> Turns | None:
    """The turns with one change applied (None: its turn or speaker is not in these turns); `words`: the
    recogniser's (transcript.json), where a split is cut."""
    op = change.get("op")
    if op == "merge":
        source, into = str(change.get("from", "")), str(change.get("into", ""))
        if source not in turns.speakers or into not in turns.speakers or source == into:
            return None
        moved = tuple(replace(t, speaker=into) if t.speaker == source else t for t in turns.turns)
        return replace(turns, turns=moved, speakers={k: v for k, v in turns.speakers.items() if k != source})
    index = _index(turns, str(change.get("turn", "")))
    speaker = str(change.get("speaker", ""))
    if index is None or not speaker:
        return None
    turn = turns.turns[index]
    if op == "move":
        changed: tuple[Turn, ...] = (replace(turn, speaker=speaker),)
    elif op == "split":
        parts = split_at(turn, int(change.get("word", 0)), speaker, words)
        if parts is None:
            return None
        changed = parts
    else:
        return None
    return replace(turns, turns=turns.turns[:index] + changed + turns.turns[index + 1:],
                   speakers=_with_speaker(turns.speakers, speaker))


def apply_speaker_changes(turns: Turns, changes: Sequence[dict[str, Any]], words: Sequence[Word] = ()) -> Turns:
    """The turns with every change of speaker-changes.json applied in order; one whose turn is gone is skipped.
    `words`: the recogniser's (`recognised_words`), where a split is cut."""
    for change in changes:
        changed = apply_change(turns, change, words)
        if changed is None:
            log.warning("speaker change %s of %s no longer fits these turns (another number of speakers?); skipped, "
                        "kept in the layer", change.get("op"), change.get("turn") or change.get("from"))
            continue
        turns = changed
    return turns


def undo_change(turns: Turns, change: dict[str, Any]) -> Turns:
    """turns.json as it was before `change` (the last change of the layer), from what the change kept."""
    op = change.get("op")
    if op == "merge":
        source, into = str(change["from"]), str(change["into"])
        back = set(change.get("turns") or ())
        restored = tuple(replace(t, speaker=source) if t.id in back and t.speaker == into else t for t in turns.turns)
        return replace(turns, turns=restored, speakers={**turns.speakers, source: str(change.get("name") or source)})
    index = _index(turns, str(change.get("turn", "")))
    if index is None:
        return turns
    turn = turns.turns[index]
    was = str(change.get("was") or turn.speaker)
    if op == "split":
        second = _index(turns, split_id(turn.id, int(change.get("word", 0))))
        if second is None:
            return turns
        rest = turns.turns[second]
        joined = replace(turn, end=rest.end, text=f"{turn.text} {rest.text}")
        kept = tuple(t for i, t in enumerate(turns.turns) if i != second)
        turns = replace(turns, turns=kept[:index] + (joined,) + kept[index + 1:])
    else:
        turns = replace(turns, turns=turns.turns[:index] + (replace(turn, speaker=was),) + turns.turns[index + 1:])
    used = {t.speaker for t in turns.turns}
    speaker = str(change.get("speaker", ""))
    if speaker not in used and change.get("new"):  # a speaker the change made: gone again with it
        turns = replace(turns, speakers={k: v for k, v in turns.speakers.items() if k != speaker})
    return turns


def make_change(turns: Turns, op: str, *, turn: str = "", speaker: str = "", word: int = 0, source: str = "",
                into: str = "") -> dict[str, Any]:
    """A change checked against turns.json, with what undo needs. `speaker` "" or "new": a new speaker label;
    `speaker`, `source` and `into` may be a label or a speaker's shown name; `word`: the number (from 1) of the word
    the second part of a split starts with."""
    at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    if op == "merge":
        source, into = label_of(turns, source), label_of(turns, into)
        if source == into:
            raise SpeakerChangeError(f"{source} and {into} are one speaker already; choose two different speakers",
                                     "merge_same")
        moved = [t.id for t in turns.turns if t.speaker == source]
        return {"op": "merge", "from": source, "into": into, "turns": moved, "name": turns.name(source), "at": at}
    if op not in OPS:
        raise SpeakerChangeError(f"{op}: unknown change; choose move, split or merge", "speaker_op", op=op)
    index = _index(turns, turn)
    if index is None:
        raise SpeakerChangeError(f"no turn {turn!r} in this session (the ids are in turns.json, e.g. "
                                 f"{turns.turns[0].id if turns.turns else 't500'}); reload the page", "turn_gone",
                                 turn=turn)
    new = speaker.strip().casefold() in ("", "new", "nieuw")
    label = new_label(turns) if new else label_of(turns, speaker)
    change: dict[str, Any] = {"op": op, "turn": turn, "speaker": label, "was": turns.turns[index].speaker, "at": at}
    if new:
        change["new"] = True
    if op == "split":  # `word` counts from 1 here (what a person sees); the layer keeps the words before the cut
        words = len(turns.turns[index].text.split())
        if not 1 < word <= words:
            raise SpeakerChangeError(f"turn {turn} has {words} words: give the number of the word the second part "
                                     f"starts with, from 2 to {words}", "split_word", turn=turn, last=words)
        change["word"] = word - 1
    return change


def label_of(turns: Turns, speaker: str) -> str:
    """A speaker's label from its label or its shown name (one line naming the known speakers otherwise)."""
    if speaker in turns.speakers:
        return speaker
    found = [label for label, name in turns.speakers.items() if name.casefold() == speaker.strip().casefold()]
    if len(found) != 1:
        known = ", ".join(f"{k} ({v})" if v != k else k for k, v in turns.speakers.items())
        raise SpeakerChangeError(f"no speaker {speaker!r} in this session (known: {known or 'none'})",
                                 "speaker_unknown", speaker=speaker)
    return found[0]


# -- the line corrections by turn id (corrections.json, `core.layers`) -----------------------------------------------
def correction_key(session: Session, turn: Turn) -> str:
    """The key of a turn's correction in corrections.json: its id (a part of a split turn has its own)."""
    return turn.id or time_key(turn.start)


def migrate_corrections(session: Session) -> bool:
    """corrections.json written before turn ids (lines keyed by their start) rewritten by ids: a line whose turn of
    diarization.json starts there gets that turn's id; one of a turn split since is cut the way the split cut the
    line (the parts keyed by their ids, a part corrected by its id already keeps that). Keys that name no turn stay
    (the next run places them by their text, `layers.carry_corrections`). True when the file was rewritten; the
    caller holds the session's lock (or runs the session)."""
    corrections = session.corrections()
    old = [key for key in corrections if is_time_key(key)]
    if not old or not session.has(DIARIZATION):
        return False
    heard = session.diarization()
    at = {time_key(t.start): t for t in heard.turns}
    changes = session.speaker_changes()
    migrated = {key: entry for key, entry in corrections.items() if key not in old}
    for key in old:
        entry, turn = corrections[key], at.get(key)
        if turn is None:
            migrated.setdefault(key, entry)
            continue
        splits = [c for c in changes if c.get("op") == "split" and str(c.get("turn", "")).split("w")[0] == turn.id]
        if not splits:
            migrated.setdefault(turn.id, entry)
            continue
        # the correction applied to the whole line before the splits: cut its text the way they cut the line
        alone = Turns({turn.speaker: turn.speaker},
                      (replace(turn, text=str(entry.get("text", "")) or turn.text),))
        for part in apply_speaker_changes(alone, splits).turns:
            migrated.setdefault(part.id, {**entry, "text": part.text, **({"original": ""} if part.id != turn.id
                                                                          else {})})
    session.save_corrections(migrated)
    log.info("%s: %d line corrections now keyed by turn id", session.name, len(old))
    return True


def split_correction(session: Session, change: dict[str, Any]) -> None:
    """A corrected turn split: each part keeps its corrected words, by its id (applied after the split)."""
    corrections = session.corrections()
    entry = corrections.get(str(change["turn"]))
    if entry is None:
        return
    words = str(entry.get("text", "")).split()
    first, rest = words[:change["word"]], words[change["word"]:]
    corrections[str(change["turn"])] = {**entry, "text": " ".join(first)}
    corrections[split_id(str(change["turn"]), change["word"])] = {**entry, "text": " ".join(rest), "original": ""}
    session.save_corrections(corrections)


def join_corrections(session: Session, turns: Turns, change: dict[str, Any]) -> None:
    """A split undone whose parts were corrected: the whole turn keeps their corrected words, as one correction by
    its id (nothing a person typed is lost with the split)."""
    parts = (str(change["turn"]), split_id(str(change["turn"]), int(change.get("word", 0))))
    corrections = session.corrections()
    if not any(part in corrections for part in parts):
        return
    shown = {t.id: t for t in turns.turns}
    if parts[0] not in shown:
        return
    first = shown[parts[0]]
    whole = " ".join(shown[p].text for p in parts if p in shown)
    original = next((t.text for t in session.diarization().turns if t.id == parts[0]), whole)
    for part in parts:
        corrections.pop(part, None)
    session.save_corrections(with_correction(corrections, first.start, whole, original=original,
                                             speaker=first.speaker, key=first.id))


# -- the operations, under the session's lock (`service.Oogst.change_speaker`) --------------------------------------
def recognised_words(session: Session) -> tuple[Word, ...]:
    """The recogniser's words with their times (transcript.json); none for an imported transcript, whose words are
    spread evenly over a cue (an estimate: the share of characters places a cut better)."""
    if not session.has(TRANSCRIPT):
        return ()
    transcript = session.transcript()
    return () if transcript.extra.get("words_estimated") else tuple(transcript.words)


def record_change(session: Session, op: str, *, turn: str = "", speaker: str = "", word: int = 0, source: str = "",
                  into: str = "") -> dict[str, Any]:
    """Move turn `turn` to `speaker` ("new": a new one), split it at word `word` (from 1) giving the rest to
    `speaker`, or merge speaker `source` into `into`: checked, added to speaker-changes.json, turns.json rewritten
    (what the names stage writes on the re-run); "undo": `undo_last`. The caller holds the session's lock."""
    migrate_corrections(session)
    if op == "undo":
        return undo_last(session)
    turns = session.turns()
    change = make_change(turns, op, turn=turn, speaker=speaker, word=word, source=source, into=into)
    changed = apply_change(turns, change, recognised_words(session))
    assert changed is not None  # make_change checked it against these turns
    if op == "split":
        split_correction(session, change)
    session.save_speaker_changes([*session.speaker_changes(), change])
    session.write(TURNS, changed.to_dict())
    return change


def undo_last(session: Session) -> dict[str, Any]:
    """Drop the last change of speaker-changes.json and put turns.json back as it was before it."""
    changes = session.speaker_changes()
    if not changes:
        raise SpeakerChangeError(f"{session.name}: no speaker change to undo", "undo_nothing", name=session.name)
    turns = session.turns()
    if changes[-1].get("op") == "split":
        join_corrections(session, turns, changes[-1])
    session.save_speaker_changes(changes[:-1])
    session.write(TURNS, undo_change(turns, changes[-1]).to_dict())
    return changes[-1]
