"""The top 7 with its action points as Markdown: the final top 7 after the review, or the draft's (insights.json
with the facilitator's edits) when there is no final yet; the file says which."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.core.language import format_date, texts
from pipeline.core.types import TOP_N

if TYPE_CHECKING:
    from pipeline.export import Material

_SPECIAL = re.compile(r"([\\`*_<>#|]|\](?=[(\[]))")  # a label "[Deelnemer 1]" stays readable; "](" is no link


def inline(text: str) -> str:
    """Text in a Markdown paragraph or table cell: one line, the characters Markdown reads escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def clock(seconds: float) -> str:
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def to_markdown(what: Material) -> str:
    assert what.insights is not None
    draft, lab = texts(what.language, "draft"), texts(what.language, "export")
    insights = sorted((i for i in what.insights.insights if not i.dropped), key=lambda i: i.rank)[:TOP_N]
    out = [f"# {inline(what.title)}", ""]
    if what.date:
        out += [f"**{draft['date']}:** {format_date(what.date, what.language)}  "]
    reviewers = what.insights.reviewers if what.final else None
    out += [f"*{lab['md_final'] if what.final else lab['md_draft']}*"
            + (f" ({inline(', '.join(reviewers))})" if reviewers else ""), ""]
    out += [f"## {draft['top']}", ""]
    for n, insight in enumerate(insights, start=1):
        head = f"**{inline(insight.title)}**: {inline(insight.text)}" if insight.title else inline(insight.text)
        out.append(f"{n}. {head}")
        if insight.speakers:
            out.append(f"   - *{draft['raised_by']}:* {inline(', '.join(insight.speakers))}")
        for quote in insight.quotes[:2]:
            out.append(f"   - \u201c{inline(quote.text)}\u201d \u2013 {inline(quote.speaker)} [{clock(quote.start)}]")
    if not insights:
        out.append(lab["md_none"])
    out += ["", f"## {draft['actions']}", ""]
    if what.insights.actions:
        out += [f"| {draft['who']} | {draft['what']} | {draft['when']} |", "|---|---|---|"]
        for action in what.insights.actions:
            when = action.due or ""
            if action.due_date and action.due_date not in when:
                when = f"{when} ({action.due_date})" if when else action.due_date
            out.append(f"| {inline(action.owner or draft['nobody'])} | {inline(action.text)} | {inline(when)} |")
    else:
        out.append(draft["no_actions"])
    if what.pseudonymised:
        out += ["", f"*{lab['md_pseudonymised']}*"]
    return "\n".join(out) + "\n"
