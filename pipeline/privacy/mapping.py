"""pseudonyms.json: the session's label <-> original mapping, the one source of truth for what is hidden.

    {"pseudonymise": true, "participants": "keep",
     "entities": [{"label": "[Persoon 1]", "kind": "person", "number": 1,
                   "names": ["Tim", "Timmie", "Tim de Vries"], "source": "hide"}, ...],
     "unhide": ["Utrecht"]}

An entity's identity is (kind, number); its label is rendered in the session's language. `source` is "hide"
(the facilitator said so: `oogst hide`) or "detected" (found in the conversation). Numbers are never reused, so a
label stays the same when the detector or the facilitator adds names. `unhide` lists names that are never
replaced. The file stays in the outputs folder: nothing in it goes into a shared document. A series (#15) can keep
the same file in its folder and read it before the session's own. `hide` and `unhide` are `oogst hide`/`unhide`: the
facilitator corrects the mapping.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, SessionError
from pipeline.core.language import texts
from pipeline.core.session import INSIGHTS, PSEUDONYMS, TRANSCRIPT, Session, atomic_write_json, cache_key
from pipeline.core.settings import PARTICIPANT_MODES

log = logging.getLogger(__name__)

NUMBERED = ("person", "school", "institution", "place", "name")  # "name": an unknown word of a file-name title
UNNUMBERED = ("birthdate", "phone", "email", "url", "id")  # "id": a citizen service, file or patient number
KINDS = NUMBERED + UNNUMBERED
KIND_WORDS = {"person": "person", "persoon": "person", "school": "school", "institution": "institution",
              "instelling": "institution", "place": "place", "plaats": "place"}
PARTICLES = frozenset({"van", "de", "der", "den", "het", "ter", "ten", "te", "in", "'t", "op", "la", "le", "du",
                       "von", "zu", "da", "di", "del", "dos", "el", "al", "bin", "ben"})
TITLES = frozenset({"meneer", "mevrouw", "dhr", "mevr", "mw", "juf", "meester", "dokter", "mr", "mrs", "ms", "miss",
                    "dr", "mx", "sir"})
DIMINUTIVE = ("je", "tje", "pje", "kje", "etje", "ie", "y", "ke")
ABOUT = ("Oogst's pseudonyms for this session (label <-> original). Never share this file. Change it with "
         "`oogst hide` / `oogst unhide` (or by hand), then run `oogst run` again.")


def label(kind: str, number: int, language: str) -> str:
    """ "[Persoon 1]", "[Geboortedatum]", "[Place 2]": the label of an entity in a language (nl, else English)."""
    words = texts(language, "privacy")
    return f"[{words[kind]} {number}]" if kind in NUMBERED or kind == "participant" else f"[{words[kind]}]"


def fold(name: str) -> str:
    """A name for comparing: case, accents, possessive 's and spacing ignored."""
    text = unicodedata.normalize("NFKD", name.strip())
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"['\u2019]s?$", "", text)
    return re.sub(r"\s+", " ", text).strip(" .,;:!?\"'()[]")


def name_tokens(name: str) -> list[str]:
    """The parts of a name that identify it: "Tim de Vries" -> ["tim", "vries"]."""
    return [t for t in fold(name).split() if t not in PARTICLES and t.rstrip(".") not in TITLES]


def is_diminutive(short: str, long: str) -> bool:
    """ "tim" -> "timmie", "timmetje"; "sanne" -> "sannetje" (Dutch pet forms of one first name)."""
    if len(short) < 3 or not long.startswith(short) or long == short:
        return False
    rest = long[len(short):]
    if rest[0] == short[-1] and short[-1] not in "aeiou":
        rest = rest[1:]
    return rest in DIMINUTIVE


def same_person(a: str, b: str) -> bool:
    """True when two spellings can be tied to one person: equal, a first/last name of a full name, a pet form."""
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return False
    if ta == tb:
        return True
    if len(ta) > len(tb):
        ta, tb = tb, ta
    first = ta[0] == tb[0] or is_diminutive(ta[0], tb[0]) or is_diminutive(tb[0], ta[0])
    if len(ta) == 1:
        return first or (len(tb) > 1 and ta[0] == tb[-1])
    return first and ta[-1] == tb[-1]


@dataclass
class Entity:
    kind: str
    number: int
    names: list[str]
    source: str = "detected"  # "hide": the facilitator's; "detected": found in the conversation

    def to_dict(self, language: str) -> dict[str, Any]:
        return {"label": label(self.kind, self.number, language), "kind": self.kind, "number": self.number,
                "names": list(self.names), "source": self.source}

    def matches(self, name: str) -> bool:
        folded = fold(name)
        return any(fold(n) == folded for n in self.names)


@dataclass
class Pseudonyms:
    """The mapping of one session (see the module docstring); `path` is where it is kept."""

    path: Path
    enabled: bool | None = None  # None: never set for this session
    participants: str | None = None
    entities: list[Entity] = field(default_factory=list)
    unhidden: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Pseudonyms:
        """The mapping at `path` (empty when the file does not exist); a damaged file is a one-line error."""
        path = Path(path)
        if not path.is_file():
            return cls(path)
        fix = "fix it by hand (it is JSON) or delete it to start over (labels are then numbered anew)"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entities = [Entity(str(e["kind"]), int(e.get("number", 0)), [str(n) for n in e["names"]],
                               str(e.get("source", "detected"))) for e in data.get("entities", [])]
            unhidden = [str(n) for n in data.get("unhide", [])]
            enabled, participants = data.get("pseudonymise"), data.get("participants")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError,
                AttributeError) as exc:
            raise SessionError(f"{path}: damaged pseudonym list ({type(exc).__name__}: {exc}); {fix}", "file_damaged",
                               file=path.name, folder=path.parent.name) from None
        bad = [e.kind for e in entities if e.kind not in KINDS]
        if bad:
            raise SessionError(f"{path}: unknown kind {bad[0]!r} (known: {', '.join(KINDS)}); {fix}", "file_damaged",
                               file=path.name, folder=path.parent.name)
        if participants is not None and participants not in PARTICIPANT_MODES:
            raise SessionError(f"{path}: participants = {participants!r} (known: {', '.join(PARTICIPANT_MODES)}); "
                               f"{fix}", "file_damaged", file=path.name, folder=path.parent.name)
        return cls(path, None if enabled is None else bool(enabled), participants, entities, unhidden)

    def save(self, language: str) -> Path:
        return atomic_write_json(self.path, {
            "about": ABOUT, "pseudonymise": self.enabled, "participants": self.participants,
            "entities": [e.to_dict(language) for e in self.entities], "unhide": list(self.unhidden)})

    def user_key(self) -> str:
        """What the facilitator decided (switch, participants, hide and unhide lists): part of the draft's key."""
        hidden = sorted((e.kind, e.number, sorted(e.names)) for e in self.entities if e.source == "hide")
        return cache_key(self.enabled, self.participants, hidden, sorted(self.unhidden))[:16]

    # -- lookups ---------------------------------------------------------------------------------------------
    def is_unhidden(self, name: str) -> bool:
        folded = fold(name)
        return any(fold(n) == folded for n in self.unhidden)

    def find(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.matches(name)), None)

    def _new(self, kind: str, names: list[str], source: str) -> Entity:
        number = 0
        if kind in NUMBERED:
            number = max((e.number for e in self.entities if e.kind == kind), default=0) + 1
        entity = Entity(kind, number, names, source)
        self.entities.append(entity)
        return entity

    # -- changes -----------------------------------------------------------------------------------------------
    def add_detected(self, name: str, kind: str) -> Entity | None:
        """Record a name the detector found: a spelling of a known entity when it can be tied to exactly one,
        else a new entity. None when the facilitator unhid it."""
        name = name.strip()
        if not name or self.is_unhidden(name):
            return None
        found = self.find(name)
        if found is not None:
            if name[:1].islower() and not any(n[:1].islower() for n in found.names if fold(n) == fold(name)):
                found.names.append(name)  # said in lower case too ("bram"): replaced in lower case from now on
            return found
        if kind == "person":
            # "Tims moeder": a Dutch possessive without apostrophe is tried without its s too
            for candidate in [name] + ([name[:-1]] if name.endswith("s") and len(name) > 3 else []):
                related = [e for e in self.entities
                           if e.kind == "person" and any(same_person(candidate, n) for n in e.names)]
                if len(related) == 1:
                    if candidate == name:  # a possessive is not a spelling: "Tims" is shown as "[Persoon 1]'s"
                        related[0].names.append(name)
                    return related[0]
        if kind in UNNUMBERED:
            same = next((e for e in self.entities if e.kind == kind), None)
            if same is not None:
                same.names.append(name)
                return same
        return self._new(kind, [name], "detected")

    def hide(self, groups: Iterable[list[str]], kind: str = "person") -> list[Entity]:
        """The facilitator's "always hide": each group is the spellings of one entity ("Tim=Timmie=Tim de Vries").

        Spellings already known join their entity (two known entities given as one are merged into the first).
        """
        changed: list[Entity] = []
        for names in groups:
            names = [n.strip() for n in names if n.strip()]
            self.unhidden = [u for u in self.unhidden if not any(fold(u) == fold(n) for n in names)]
            known: list[Entity] = []
            for name in names:
                entity = self.find(name)
                if entity is not None and entity not in known:
                    known.append(entity)
            if known:
                target = known[0]
                for other in known[1:]:
                    target.names += [n for n in other.names if not target.matches(n)]
                    self.entities.remove(other)
                target.names += [n for n in names if not target.matches(n)]
                target.source = "hide"
            else:
                target = self._new(kind, names, "hide")
            changed.append(target)
        return changed

    def unhide(self, names: Iterable[str], language: str = "nl") -> list[str]:
        """Never replace these names again; returns the labels they had."""
        was: list[str] = []
        for name in (n.strip() for n in names):
            if not name:
                continue
            for entity in list(self.entities):
                if entity.matches(name):
                    was.append(label(entity.kind, entity.number, language))
                    entity.names = [n for n in entity.names if fold(n) != fold(name)]
                    if not entity.names:
                        self.entities.remove(entity)
            if not self.is_unhidden(name):
                self.unhidden.append(name)
        return was


def session_choice(path: Path, pseudonymise: bool | None, participants: str | None,
                   language: str) -> Pseudonyms | None:
    """Apply `--pseudonymise` / `--participants` (None: not given) to a session's mapping at `path`.

    The choice is recorded in pseudonyms.json, so a later run, `oogst collect` and `oogst mail` follow it without
    being told. Returns the mapping when the session is pseudonymised, else None.
    """
    pseudonyms = Pseudonyms.load(path)
    before = (pseudonyms.enabled, pseudonyms.participants)
    if pseudonymise is not None:
        pseudonyms.enabled = pseudonymise
    if participants is not None:
        pseudonyms.participants = participants
    if (pseudonyms.enabled, pseudonyms.participants) != before and (pseudonyms.enabled or path.is_file()):
        pseudonyms.save(language)
    if participants is not None and not pseudonyms.enabled:
        log.warning("--participants %s changes nothing without --pseudonymise", participants)
    return pseudonyms if pseudonyms.enabled else None


def parse_hide_arguments(arguments: Iterable[str]) -> list[list[str]]:
    """`oogst hide` arguments: each is one entity, "=" ties spellings: "Tim=Timmie=Tim de Vries"."""
    groups = [[n.strip() for n in argument.split("=") if n.strip()] for argument in arguments]
    return [g for g in groups if g]


def session_language(session: Session) -> str:
    """The language of a session's labels: insights.json's, else transcript.json's, else Dutch."""
    for name in (INSIGHTS, TRANSCRIPT):
        if session.has(name):
            data = session.read(name)
            if isinstance(data, dict) and data.get("language"):
                return str(data["language"])
    return "nl"


def hide(session: Session, arguments: Sequence[str], kind: str = "person") -> list[str]:
    """Always hide these names (each argument one entity, "=" ties spellings); returns a line per entity.

    Hiding turns pseudonymisation on for the session (recorded in pseudonyms.json).
    """
    chosen = KIND_WORDS.get(kind.lower())
    if chosen is None:
        raise ConfigError(f"--as {kind}: unknown kind; choose one of {', '.join(sorted(set(KIND_WORDS)))}")
    groups = parse_hide_arguments(arguments)
    if not groups:
        raise ConfigError("no names given: e.g. oogst hide SESSION \"Tim=Timmie=Tim de Vries\" Zwolle")
    pseudonyms = Pseudonyms.load(session.path(PSEUDONYMS))
    lines = []
    if not pseudonyms.enabled:
        pseudonyms.enabled = True
        lines.append("pseudonymisation is now on for this session")
    language = session_language(session)
    kept = _participants_kept(session, pseudonyms)
    for entity in pseudonyms.hide(groups, chosen):
        lines.append(f"{label(entity.kind, entity.number, language)} = {' = '.join(entity.names)}")
        named = [n for n in entity.names if fold(n) in kept]
        if named:  # "keep": a participant's name (or a part of it) is never replaced in what is shared
            lines.append(f"  note: {', '.join(named)}: a participant's name, shown as is while participants are kept; "
                         "to hide participants too: oogst run RECORDING --participants initials (or labels)")
    pseudonyms.save(language)
    return lines


def protected_names(participants: Iterable[str]) -> set[str]:
    """Participants' names and their name parts (folded): never taken for a third party (mode "keep")."""
    out: set[str] = set()
    for name in participants:
        out.add(fold(name))
        out |= {t for t in name_tokens(name) if len(t) > 1}
    return out


def _participants_kept(session: Session, pseudonyms: Pseudonyms) -> set[str]:
    """The speakers' names and name parts (folded) that the shared texts never replace ("keep", the default)."""
    from pipeline.core.session import TURNS

    if (pseudonyms.participants or "keep") != "keep" or not session.has(TURNS):
        return set()
    turns = session.turns()
    return protected_names({turns.name(t.speaker) for t in turns.turns} | {n for n in turns.speakers.values() if n})


def unhide(session: Session, names: Sequence[str]) -> list[str]:
    """Never hide these names again; returns a line per name."""
    path = session.path(PSEUDONYMS)
    if not path.is_file():
        raise ConfigError(f"{path}: not found: this session hides nothing yet (run `oogst run --pseudonymise` "
                          "or `oogst hide` first)")
    pseudonyms = Pseudonyms.load(path)
    lines, language = [], session_language(session)
    for name in [n.strip() for n in names if n.strip()]:
        was = pseudonyms.unhide([name], language)
        lines.append(f"{name}: shown as is" + (f" (was {', '.join(was)})" if was else ""))
    pseudonyms.save(language)
    return lines
