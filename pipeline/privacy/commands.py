"""`oogst hide` and `oogst unhide`: the facilitator corrects the session's mapping (pseudonyms.json)."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.core.errors import ConfigError
from pipeline.core.session import INSIGHTS, PSEUDONYMS, TRANSCRIPT, Session
from pipeline.privacy.mapping import KIND_WORDS, Pseudonyms, label, parse_hide_arguments


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
    for entity in pseudonyms.hide(groups, chosen):
        lines.append(f"{label(entity.kind, entity.number, language)} = {' = '.join(entity.names)}")
    pseudonyms.save(language)
    return lines


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
