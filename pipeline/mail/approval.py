"""The approval gate: the final top 7 is mailed only once enough of the participants who were present approved it
(their "akkoord" in the browser, counted into review.json's "approvals" when the facilitator collects or closes
the round). `[review] approval` in the config file says how many: "none" (the default: no approval needed),
"all" (every present participant) or a share such as 0.6 (rounded up: 3 of 4).

    rule = configured(settings)            # [review] approval of the settings (approval_rule: of a section)
    state = approval_state(session, rule)   # who approved, who not yet, how many are required
    check_approvals(session, rule)          # MailError with who has not approved and what to do
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, MailError
from pipeline.core.language import texts
from pipeline.core.session import REVIEW, Session
from pipeline.core.settings import Settings

RULES = ("none", "all")  # or a share: a number above 0 and at most 1


@dataclass(frozen=True)
class ApprovalRule:
    """How many present participants must approve before the final top 7 is mailed."""

    share: float = 0.0  # 0: none needed; 1: all

    def required(self, present: int) -> int:
        return math.ceil(round(self.share * present, 6)) if self.share > 0 else 0

    @property
    def needed(self) -> bool:
        return self.share > 0

    def __str__(self) -> str:
        return "none" if not self.needed else "all" if self.share >= 1 else f"{self.share:g}"


def approval_rule(section: Mapping[str, Any], where: Path | str | None = None) -> ApprovalRule:
    """The rule of a [review] section (`approval`; absent: none); ConfigError for anything else."""
    value = section.get("approval", "none")
    origin = f"{where} [review]" if where else "[review]"
    if isinstance(value, str) and value.strip().lower() in RULES:
        return ApprovalRule(0.0 if value.strip().lower() == "none" else 1.0)
    try:
        share = float(value) if not isinstance(value, bool) else -1.0
    except (TypeError, ValueError):
        share = -1.0
    if not 0 < share <= 1:
        raise ConfigError(f"{origin}: approval = {value!r}: give \"none\", \"all\" or the share of present "
                          "participants that must approve, a number above 0 and at most 1 (0.6: 3 of 4)",
                          "approval_setting", value=str(value))
    return ApprovalRule(share)


def configured(settings: Settings) -> ApprovalRule:
    """The rule of the settings' [review] section (ConfigError naming the config file when it is wrong)."""
    return approval_rule(settings.section("review"), settings.config_path)


def _key(name: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True)
class ApprovalState:
    """The gate for one session: the present participants, who of them approved (as counted at the last collect)."""

    rule: ApprovalRule
    present: tuple[str, ...]
    approved: tuple[str, ...]  # every approval in review.json, in the order given (present or not)
    collected: bool  # review.json exists (approvals are counted when collecting)

    @property
    def present_approved(self) -> tuple[str, ...]:
        keys = {_key(n) for n in self.approved}
        return tuple(n for n in self.present if _key(n) in keys)

    @property
    def waiting(self) -> tuple[str, ...]:
        """Present participants who have not approved yet."""
        keys = {_key(n) for n in self.approved}
        return tuple(n for n in self.present if _key(n) not in keys)

    @property
    def required(self) -> int:
        return self.rule.required(len(self.present))

    @property
    def open(self) -> bool:
        """True when the final may be mailed as far as approvals go."""
        return not self.rule.needed or (bool(self.present) and len(self.present_approved) >= self.required)

    def line(self, language: str | None) -> str:
        """"3 of 4 present participants approved; 4 required" in `language`."""
        words = texts(language, "approval")
        if not self.rule.needed:
            return words["not_needed"].format(n=len(self.present_approved), present=len(self.present))
        return words["state"].format(n=len(self.present_approved), present=len(self.present),
                                     required=self.required)


def approval_state(session: Session, rule: ApprovalRule) -> ApprovalState:
    """Who of the roster's present participants approved, from review.json (written by collect or close)."""
    present = tuple(str(p["name"]) for p in session.roster() if p.get("present", True))
    review = session.read_if(REVIEW)
    approvals = review.get("approvals", []) if isinstance(review, dict) else []
    approved = tuple(dict.fromkeys(str(a["name"]) for a in approvals if isinstance(a, dict) and a.get("name")))
    return ApprovalState(rule, present, approved, isinstance(review, dict))


def approvers(session: Session) -> tuple[str, ...]:
    """Everyone who approved the collected final (review.json's approvals), in the order they approved."""
    return approval_state(session, ApprovalRule()).approved


def check_approvals(session: Session, rule: ApprovalRule) -> ApprovalState:
    """The gate's state; MailError when too few present participants approved: who has not, and what to do."""
    state = approval_state(session, rule)
    if state.open:
        return state
    if not state.present:
        raise MailError(f"{session.name}: [review] approval = {rule} needs the participants who were present, and "
                        "the participants list names none; add them (participants page) or set approval = \"none\"",
                        "approval_no_roster", name=session.name, rule=str(rule))
    waiting = ", ".join(state.waiting)
    raise MailError(f"{session.name}: not mailed: {len(state.present_approved)} of {len(state.present)} present "
                    f"participants approved, {state.required} required ([review] approval = {rule}); not yet: "
                    f"{waiting}. Wait and collect again (`oogst collect {session.name}`), remind them (`oogst invite "
                    f"{session.name} --remind`), or lower approval in [review] of the config file",
                    "approval_missing", name=session.name, n=len(state.present_approved), present=len(state.present),
                    required=state.required, waiting=waiting, rule=str(rule))


def joined(names: Sequence[str], language: str | None) -> str:
    """"An, Bo and Cor" ("An, Bo en Cor")."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {texts(language, 'approval')['and']} {names[-1]}"
