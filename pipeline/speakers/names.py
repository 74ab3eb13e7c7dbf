"""Speaker names: `S1=Sanne` assignments, the session's `names.toml`, and renaming in turns.json without
re-running diarization.

`names.toml` in the session folder (written by `oogst names`, editable by hand):

    [speakers]
    S1 = "Sanne"
    "Sanne de Vries" = "Sanne"   # labels with spaces (imported transcripts) are quoted

A key is a speaker label from turns.json ("S1".. after diarization, the name from the file after an import).
`oogst names` also accepts a speaker's current display name instead of its label ("Spreker 2=Joris").
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Iterable
from dataclasses import replace

from pipeline.core.errors import ConfigError, OogstError
from pipeline.core.session import NAMES, TURNS, Session
from pipeline.core.types import Turns

log = logging.getLogger(__name__)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class UnknownSpeakerError(OogstError):
    """A name was given for a speaker label that turns.json does not have."""


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`["S1=Sanne", "S2=Joris de Vries"]` -> `{"S1": "Sanne", "S2": "Joris de Vries"}`."""
    mapping: dict[str, str] = {}
    for item in items:
        label, sep, name = item.partition("=")
        label, name = label.strip(), re.sub(r"\s+", " ", name).strip()
        if not sep or not label or not name:
            raise ConfigError(f"{item!r}: expected LABEL=Name, e.g. S1=Sanne (quote names with spaces: "
                              "\"S2=Joris de Vries\")")
        if label in mapping and mapping[label] != name:
            raise ConfigError(f"{label} is named twice ({mapping[label]!r} and {name!r}); give each label one name")
        mapping[label] = name
    return mapping


def load_names(session: Session) -> dict[str, str]:
    """The `[speakers]` table of the session's names.toml; empty when there is no such file."""
    path = session.path(NAMES)
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); write lines like `S1 = \"Sanne\"` under "
                          "`[speakers]`, or delete the file and use `oogst names`", "names_damaged",
                          name=session.name) from None
    table = data.get("speakers", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) and v.strip() for v in table.values()):
        raise ConfigError(f"{path}: [speakers] must map labels to names, like `S1 = \"Sanne\"`; "
                          "correct it or delete the file and use `oogst names`", "names_damaged", name=session.name)
    return {str(k): re.sub(r"\s+", " ", v).strip() for k, v in table.items()}


def _known(turns: Turns) -> str:
    return ", ".join(f"{label} ({name})" if name != label else label for label, name in turns.speakers.items())


def resolve_labels(turns: Turns, mapping: dict[str, str], *, source: str = TURNS) -> dict[str, str]:
    """Map each key to a speaker label of `turns`: a label itself, or a speaker's current display name.

    Raises UnknownSpeakerError naming the known labels when a key matches neither.
    """
    resolved: dict[str, str] = {}
    for key, name in mapping.items():
        if key in turns.speakers:
            resolved[key] = name
            continue
        by_name = [label for label, shown in turns.speakers.items() if shown.casefold() == key.casefold()]
        if len(by_name) != 1:
            raise UnknownSpeakerError(f"{source}: no speaker {key!r} (known: {_known(turns) or 'none'}); "
                                      "use one of these labels, e.g. S1=Sanne")
        resolved[by_name[0]] = name
    return resolved


def with_names(turns: Turns, mapping: dict[str, str], *, strict: bool = False) -> Turns:
    """Turns with display names from `mapping` (label -> name); labels and turn text stay as they are.

    Args:
        strict: raise UnknownSpeakerError for a label that `turns` lacks; otherwise such labels are skipped
            (names.toml may hold names for a speaker a re-run with another `--speakers` no longer finds).
    """
    if strict:
        mapping = resolve_labels(turns, mapping)
    else:
        unknown = [label for label in mapping if label not in turns.speakers]
        if unknown:
            log.warning("no speaker %s in this session's turns; their names are not used", ", ".join(unknown))
    speakers = {label: mapping.get(label, shown) for label, shown in turns.speakers.items()}
    return replace(turns, speakers=speakers)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def write_names(session: Session, names: dict[str, str]) -> None:
    """Write names.toml (atomically) with a `[speakers]` table."""
    lines = ["# Speaker names for this session: `oogst names SESSION S1=Sanne` writes this file; editing it by hand",
             "# works too. Keys are the labels in turns.json.", "[speakers]"]
    lines += [f"{_toml_key(label)} = {json.dumps(name, ensure_ascii=False)}" for label, name in names.items()]
    session.write_text(NAMES, "\n".join(lines) + "\n")


def _keep_turns_stage_fresh(session: Session) -> None:
    """Re-record the stage(s) that wrote turns.json with their own key, so a rename is not mistaken for a damaged
    artefact and diarization does not run again. Stages that read turns.json see its new hash and re-run."""
    for stage in session.stages():
        if TURNS in session.recorded(stage):
            session.rerecord(stage)


def apply_names(session: Session, mapping: dict[str, str]) -> Turns:
    """Name speakers of a session: check the labels, merge them into names.toml, rewrite turns.json.

    Returns the renamed Turns. Diarization is not re-run; later stages (insights, draft) see a new turns.json.
    """
    turns = session.turns()
    resolved = resolve_labels(turns, mapping, source=str(session.path(TURNS)))
    names = {**load_names(session), **resolved}
    write_names(session, names)
    renamed = with_names(turns, names)
    session.write(TURNS, renamed.to_dict())
    _keep_turns_stage_fresh(session)
    log.info("named %s in %s", ", ".join(f"{k}={v}" for k, v in resolved.items()), session.path(TURNS))
    return renamed
