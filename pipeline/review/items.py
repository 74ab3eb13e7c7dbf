"""What a participant answers on in a sent version, and how those things match across versions.

The items (the answer store's names, `review.browser.item_of`): "insight:<rank>" for the top 7, "action:<n>" for the
session's own action points, "carried:<id>" for an action carried from an earlier session of the series (a row of
the sent draft's section "Vorige keer afgesproken", `oogst_carried_<id>_<column>` bookmarks), "missing" and "all".

When a new version is sent during a round, an item still exists when the new version has the same thing: an insight
with the same key (the edits layer's key of its original text, kept when the facilitator rewords or reorders it), an
action with the same id, the same carried row. `carry_over` says which old item is which new one and what changed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import ReviewError
from pipeline.core.layers import action_id, text_key
from pipeline.core.types import TOP_N, Insight, Insights

_CARRIED = re.compile(r"oogst_(carried_[0-9a-f]+)_(\d)")


@dataclass(frozen=True)
class CarriedRow:
    """An open action of an earlier session as the sent draft shows it (pseudonymised when the session is)."""

    id: str  # "carried_<hex>": stays the same action in every draft (`series.actions.carried_id`)
    owner: str
    text: str
    due: str
    source: str  # the session it was agreed in (its date)

    @property
    def item(self) -> str:
        return f"carried:{self.id}"


def carried_rows(draft: Path) -> tuple[CarriedRow, ...]:
    """The carried action rows of a (sent) draft, in its order; none for a draft without the section."""
    path = Path(draft)
    try:
        return _carried_rows(str(path), path.stat().st_mtime_ns)
    except (OSError, ReviewError):
        return ()


@functools.lru_cache(maxsize=32)
def _carried_rows(path: str, _mtime: int) -> tuple[CarriedRow, ...]:
    from pipeline.review.ooxml import read_docx

    cells: dict[str, dict[int, str]] = {}
    for paragraph in read_docx(Path(path)).paragraphs:
        m = _CARRIED.fullmatch(paragraph.target.label) if paragraph.target is not None else None
        if m:
            cells.setdefault(m.group(1), {})[int(m.group(2))] = paragraph.text.strip()
    return tuple(CarriedRow(row_id, c.get(0, ""), c.get(1, ""), c.get(2, ""), c.get(3, ""))
                 for row_id, c in cells.items() if c.get(1))


def insight_identity(insight: Insight) -> str:
    return insight.key or text_key(insight.text)


def identities(insights: Insights, carried: tuple[CarriedRow, ...] = ()) -> dict[str, str]:
    """Item -> what it is across versions."""
    out = {f"insight:{i.rank}": "i:" + insight_identity(i) for i in insights.insights[:TOP_N]}
    out.update({f"action:{n}": "a:" + action_id(a) for n, a in enumerate(insights.actions, start=1)})
    out.update({row.item: row.item for row in carried})
    out.update({"missing": "missing", "all": "all"})
    return out


@dataclass(frozen=True)
class Update:
    """What changed for a participant between the version they answered on and the new one."""

    items: dict[str, str]  # old item -> new item, for every item that still exists
    reworded: list[str] = field(default_factory=list)  # titles (as shown) of insights reworded
    new: list[str] = field(default_factory=list)  # titles of insights new in the top 7
    gone: list[str] = field(default_factory=list)  # titles of insights no longer in the top 7
    moved: bool = False  # the insights that stayed are in another order
    actions: bool = False  # action points (own or carried) added, removed or changed

    def to_dict(self) -> dict[str, Any]:
        return {"reworded": self.reworded, "new": self.new, "gone": self.gone, "moved": self.moved,
                "actions": self.actions}


def carry_over(old: Insights, new: Insights, old_carried: tuple[CarriedRow, ...] = (),
               new_carried: tuple[CarriedRow, ...] = (), *, old_shown: Insights | None = None,
               new_shown: Insights | None = None) -> Update:
    """Which items of `old` still exist in `new`, and what changed (titles from the shown, pseudonymised, versions
    when given)."""
    old_ids, new_ids = identities(old, old_carried), identities(new, new_carried)
    by_identity = {identity: item for item, identity in new_ids.items()}
    items = {item: by_identity[identity] for item, identity in old_ids.items() if identity in by_identity}
    old_titles = _titles(old_shown or old)
    new_titles = _titles(new_shown or new)
    old_top = {insight_identity(i): i for i in old.insights[:TOP_N]}
    new_top = {insight_identity(i): i for i in new.insights[:TOP_N]}
    reworded = [new_titles[i.rank] for key, i in new_top.items()
                if key in old_top and (old_top[key].text, old_top[key].title) != (i.text, i.title)]
    fresh = [new_titles[i.rank] for key, i in new_top.items() if key not in old_top]
    gone = [old_titles[i.rank] for key, i in old_top.items() if key not in new_top]
    stayed_old = [key for key in old_top if key in new_top]
    stayed_new = [key for key in new_top if key in old_top]
    actions = ([(a.owner, a.text, a.due) for a in old.actions] != [(a.owner, a.text, a.due) for a in new.actions]
               or old_carried != new_carried)
    return Update(items, reworded, fresh, gone, stayed_old != stayed_new, actions)


def _titles(insights: Insights) -> dict[int, str]:
    return {i.rank: i.title for i in insights.insights}
