"""The retention policy: `[retention]` in the config, or what the settings page saved in the state folder (that
wins), and per session what goes when.

    [retention]
    days = 30            # the recording copy, its clips and cached voices go 30 days after ...
    after = "mail"       # ... the final was mailed (sent.json), or "date": after the session date
    copies_days = 180    # optional: returned copies and sent versions go after 180 days (same reference)
    enabled = true       # default when days is set; false keeps the numbers but deletes nothing

Off by default: without a `days` nothing is ever deleted. Only what is in the session folder goes: the facilitator's
own recordings elsewhere are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, OogstError
from pipeline.core.session import (
    CLIPS,
    FINAL,
    RETENTION,
    RETENTION_POLICY,
    RETURNED,
    SENT,
    SENT_LEDGER,
    TRANSCRIPT,
    VOICES_CACHE,
    Session,
    atomic_write_json,
)

AFTER = ("mail", "date")
VOICE = ("recording", "clips", "voices")  # what is derived from the sound
COPIES = ("returned", "sent")


@dataclass(frozen=True)
class Policy:
    """How long a session keeps its sound (`days`) and, optionally, its returned copies and sent versions."""

    days: int | None = None  # None: the policy is off
    after: str = "mail"  # "mail": after the final was mailed; "date": after the session date
    copies_days: int | None = None
    enabled: bool = True
    source: str = "default"  # "default" | "config" | "page": where it came from (the settings page says so)

    @property
    def on(self) -> bool:
        return self.enabled and self.days is not None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "source"}


def checked(values: dict[str, Any], where: str, source: str) -> Policy:
    """A policy from config or form values; a one-line ConfigError naming `where` for a wrong one."""
    def days(key: str) -> int | None:
        value = values.get(key)
        if value in (None, ""):
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 36500:
            raise ConfigError(f"{where}: {key} = {value!r}: give a number of days (0 or more)", "retention_days",
                              setting=key, value=value)
        return number

    after = str(values.get("after") or "mail")
    if after not in AFTER:
        raise ConfigError(f"{where}: after = {after!r}: choose mail or date", "retention_after", value=after)
    enabled = values.get("enabled", True)
    enabled = enabled if isinstance(enabled, bool) else str(enabled).lower() in ("1", "true", "yes", "on")
    return Policy(days("days"), after, days("copies_days"), enabled, source)


def load_policy(section: dict[str, Any], state_dir: Path | None) -> Policy:
    """The policy in force: the settings page's (state folder) when saved there, else [retention] of the config."""
    saved = Path(state_dir) / RETENTION_POLICY if state_dir is not None else None
    if saved is not None and saved.is_file():
        try:
            data = json.loads(saved.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(f"{saved}: damaged; save the retention settings again on the settings page",
                              "retention_damaged") from None
        return checked(data if isinstance(data, dict) else {}, str(saved), "page")
    if section:
        return checked(section, "[retention]", "config")
    return Policy()


def save_policy(state_dir: Path, policy: Policy) -> Path:
    """Keep the settings page's choice in the state folder (it wins over [retention] of the config)."""
    return atomic_write_json(Path(state_dir) / RETENTION_POLICY, policy.to_dict())


@dataclass(frozen=True)
class Due:
    """One file or folder of a session the policy deletes, and when (None: not yet known, waits for the mail)."""

    path: Path
    what: str  # recording | clips | voices | returned | sent
    when: dt.datetime | None


def _aware(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def mailed(session: Session) -> dt.datetime | None:
    """When the final top 7 was last mailed (sent.json), or None."""
    data = session.read_if(SENT_LEDGER) if session.has(SENT_LEDGER) else None
    sends = data.get("sends") if isinstance(data, dict) else None
    found = [_aware(str(s.get("sent_at") or "")) for s in sends or [] if isinstance(s, dict)
             and (s.get("source") == FINAL or s.get("draft") is False)]
    moments = [m for m in found if m is not None]
    return max(moments) if moments else None


def session_date(session: Session) -> dt.datetime | None:
    """The session's date (transcript.json's `recorded`), at midnight UTC."""
    try:
        data = session.read_if(TRANSCRIPT)
        day = dt.date.fromisoformat(str((data or {}).get("recorded") or ""))
    except (ValueError, OogstError):  # no date, or a damaged transcript: nothing planned by date
        return None
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def record(session: Session) -> dict[str, Any]:
    """The session's retention record: {"hold": bool, "recording": name, "removed": [{"at", "files"}]}."""
    data = session.read_if(RETENTION) if session.has(RETENTION) else None
    return data if isinstance(data, dict) else {}


def held(session: Session) -> bool:
    return bool(record(session).get("hold"))


def plan(session: Session, policy: Policy) -> list[Due]:
    """What of the session the policy deletes, and when (empty when the policy is off or the session is held)."""
    if not policy.on or held(session):
        return []
    reference = mailed(session) if policy.after == "mail" else session_date(session)

    def at(days: int) -> dt.datetime | None:
        return reference + dt.timedelta(days=days) if reference is not None else None

    from pipeline.ingest.audio import is_audio_file

    found: list[Due] = []
    assert policy.days is not None
    recording = session.recording()
    if recording is not None and is_audio_file(recording):
        found.append(Due(recording, "recording", at(policy.days)))
    for name, what in ((CLIPS, "clips"), (VOICES_CACHE, "voices")):
        if session.path(name).exists():
            found.append(Due(session.path(name), what, at(policy.days)))
    if policy.copies_days is not None:
        for name, what in ((RETURNED, "returned"), (SENT, "sent")):
            if session.path(name).is_dir():
                found.append(Due(session.path(name), what, at(policy.copies_days)))
    return found


def due(session: Session, policy: Policy, now: dt.datetime) -> list[Due]:
    """What of the plan is past its date at `now`."""
    return [d for d in plan(session, policy) if d.when is not None and d.when <= now]
