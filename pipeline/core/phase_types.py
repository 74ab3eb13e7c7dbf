"""The intervision phases in turns.json and insights.json (`insights.phases` and `insights.methods` find them);
`core.types` re-exports them with the other types at the seams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PHASE_ORDER = ("opening", "casus", "questions", "advice", "reaction", "closing")  # an intervision's phases


@dataclass(frozen=True)
class Phase:
    """One phase of an intervision in turns.json and insights.json (`insights.phases` finds them)."""

    phase: str  # one of PHASE_ORDER
    label: str  # in the session's language
    start: float
    end: float
    evidence: str  # the procedural sentence, or the pattern that placed it
    case: int | None = None  # which case (1, 2, ...) a casus, questions, advice or reaction phase belongs to

    def to_dict(self) -> dict[str, Any]:
        row = {"phase": self.phase, "label": self.label, "start": round(self.start, 2), "end": round(self.end, 2),
               "evidence": self.evidence}
        return row if self.case is None else {**row, "case": self.case}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Phase:
        return cls(str(d["phase"]), str(d["label"]), float(d["start"]), float(d["end"]), str(d.get("evidence", "")),
                   d.get("case"))


@dataclass(frozen=True)
class PhaseResult:
    """The phases found in a conversation, or the reason there are none."""

    phases: tuple[Phase, ...]
    reason: str | None = None  # why none were found
    case_bringers: tuple[str, ...] = ()  # display names, one per case
    found_by: str | None = None  # "cues" (announced moves), "pattern" (the turn-taking alone) or "analysis" (the
    # turn-taking and the moves in Frog's analysis); None: not found
    method: str | None = None  # balint, roddelmethode, incident, socratisch, vrij; None: not recognised
    method_reason: str | None = None  # why this method, or why none was recognised

    KEYS = ("phases", "phases_found", "phases_reason", "case_bringers", "phases_found_by", "method", "method_reason")

    @property
    def found(self) -> bool:
        return bool(self.phases)

    def to_dict(self) -> dict[str, Any]:
        """The keys turns.json and insights.json gain."""
        out: dict[str, Any] = {"phases": [p.to_dict() for p in self.phases], "phases_found": self.found}
        if self.reason:
            out["phases_reason"] = self.reason
        if self.case_bringers:
            out["case_bringers"] = list(self.case_bringers)
        if self.found and self.found_by:
            out["phases_found_by"] = self.found_by
        out["method"] = self.method
        if self.method_reason:
            out["method_reason"] = self.method_reason
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PhaseResult | None:
        """The phases recorded in an artefact; None when it predates them (no "phases_found")."""
        if "phases_found" not in d:
            return None
        return cls(tuple(Phase.from_dict(p) for p in d.get("phases", [])), d.get("phases_reason"),
                   tuple(d.get("case_bringers", ())), d.get("phases_found_by"), d.get("method"),
                   d.get("method_reason"))
