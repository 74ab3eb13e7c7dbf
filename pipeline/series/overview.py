"""series.docx: a series at a glance for the facilitator: attendance, speaking time per person per session, themes
over time and the action points with their status. Written by `oogst series show NAME` next to series.json; `show`,
`forget` (a voice profile) and `after_collect` (what collecting a session's copies tells its series) are the
commands' work."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import SessionError
from pipeline.core.language import MONTHS, text_language, texts
from pipeline.core.session import OVERVIEW, Session, atomic_write_bytes, series_file
from pipeline.review.sections import header_table, png_bytes
from pipeline.series.actions import open_actions
from pipeline.series.snapshot import refresh_series, register
from pipeline.series.store import (
    action_key,
    existing_series,
    load_series,
    member_of,
    ordered_sessions,
    series_root,
)
from pipeline.series.themes import ThemeWords, mark_text, same_theme, theme_marks, theme_words
from pipeline.series.voices import forget_voice

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument


def short_date(iso: str, language: str, year: bool = True) -> str:
    """'4 maart 2026', or '4 maart' without the year (the session's name when there is no date)."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso or "?"
    return f"{day.day} {MONTHS[text_language(language)][day.month - 1]}" + (f" {day.year}" if year else "")


def theme_groups(sessions: list[tuple[str, dict[str, Any]]], language: str) -> list[tuple[str, list[str]]]:
    """Themes over the series: (label, ISO dates of the sessions it came up in), most frequent first. An insight
    joins the first theme one of whose insights it matches (`themes.same_theme`); the label is its first title."""
    groups: list[tuple[str, list[ThemeWords], list[str]]] = []
    for _, entry in sessions:
        date = str(entry.get("date") or "")
        for insight in entry.get("insights", []):
            words = theme_words(insight["title"], insight["text"], language)
            group = next((g for g in groups if any(same_theme(words, w) for w in g[1])), None)
            if group is None:
                groups.append((insight["title"], [words], [date]))
            else:
                group[1].append(words)
                if date not in group[2]:
                    group[2].append(date)
    ordered = sorted(groups, key=lambda g: (-len(g[2]), g[2][0]))
    return [(label, dates) for label, _, dates in ordered]


def _table(doc: DocxDocument, header: list[str], rows: list[list[str]], widths: tuple[float, ...] = ()) -> None:
    from docx.shared import Cm

    table = header_table(doc, header)
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.paragraphs[0].add_run(text)
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)  # the grid (LibreOffice) and the cells (Word)
            for cell in column.cells:
                cell.width = Cm(width)


def _speaking_chart(people: list[str], columns: list[str], shares: dict[tuple[str, int], float],
                    axis: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 3.2), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for person in people:
        points = [(i, 100 * shares[(person, i)]) for i in range(len(columns)) if (person, i) in shares]
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=person)
    axes.set_xticks(range(len(columns)), columns, fontsize=8)
    axes.set_ylabel(axis, fontsize=8)
    axes.set_ylim(bottom=0)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return png_bytes(figure)


@dataclass(frozen=True)
class SessionRow:
    name: str
    date: str  # as shown ("4 maart")
    iso: str  # ISO date ("" when unknown)
    title: str
    participants: list[str]
    themes: list[tuple[str, str, int]]  # (insight title, "Terugkerend thema (2e keer, sinds 4 maart)" or "" in the
    # first session, times: 1 is new)


@dataclass(frozen=True)
class ActionRow:
    who: str
    what: str
    due: str
    session: str  # the session it comes from
    date: str  # that session's date, as shown
    done: bool
    status: str  # "open" or "gedaan (volgens Anna, 18 maart)"


@dataclass(frozen=True)
class Overview:
    """A series at a glance, in words of `language`: what series.docx and the web app's series page both show."""

    name: str
    language: str
    labels: Mapping[str, str]
    columns: list[str]  # the sessions' dates as shown, oldest first
    sessions: list[SessionRow]
    people: list[str]  # everyone who took part, in order of first appearance
    attendance: list[list[str]]  # [person, "✓" or "" per session]
    shares: dict[tuple[str, int], float]  # (person, session column) -> share of the speaking time
    speaking: list[list[str]]  # [person, "23 %" or "" per session]
    themes: list[list[str]]  # [theme, times, dates]
    actions: list[ActionRow]
    gone: list[str]  # sessions that left the series (their folder was deleted)

    @property
    def summary(self) -> str:
        """"3 sessies, van 4 maart tot 1 april" ("" without sessions)."""
        if not self.columns:
            return ""
        key = "one" if len(self.columns) == 1 else "sessions"
        return self.labels[key].format(n=len(self.columns), first=self.columns[0], last=self.columns[-1])

    def chart(self) -> bytes:
        """Speaking time per person per session as a PNG line chart (b"" when nobody spoke)."""
        return _speaking_chart(self.people, self.columns, self.shares, self.labels["axis"]) if self.shares else b""


def overview(data: dict[str, Any], language: str | None = None) -> Overview:
    """The figures of a series from its record (`store`), the words in `language` (default: the series' own).
    Themes are matched in the series' language; each session's themes are marked the way its draft marked them
    (`themes.theme_marks` against the sessions before it)."""
    sessions = ordered_sessions(data)
    spoken = str(sessions[0][1].get("language") or "nl") if sessions else "nl"
    shown = language or spoken
    lab = texts(shown, "overview")
    one_year = len({str(entry.get("date") or "")[:4] for _, entry in sessions}) <= 1
    columns = [short_date(str(entry.get("date") or name), shown, year=not one_year) for name, entry in sessions]

    people: list[str] = []
    for _, entry in sessions:
        people += [p for p in entry.get("participants", []) if p not in people]
    attendance = [[person, *("\u2713" if person in entry.get("participants", []) else "" for _, entry in sessions)]
                  for person in people]
    shares = {(p["name"], i): float(p["share"]) for i, (_, entry) in enumerate(sessions)
              for p in entry.get("speaking", [])}
    speaking = [[person, *(f"{round(100 * shares[(person, i)])} %" if (person, i) in shares else ""
                           for i in range(len(sessions)))] for person in people]
    themes = [[label, str(len(dates)), ", ".join(short_date(d, shown, not one_year) for d in dates)]
              for label, dates in theme_groups(sessions, spoken)]

    rows = []
    for k, (name, entry) in enumerate(sessions):
        date = str(entry.get("date") or "")
        marks = theme_marks(entry.get("insights", []), sessions[:k], spoken)
        rows.append(SessionRow(name, columns[k], date, str(entry.get("title") or name),
                               list(entry.get("participants", [])),
                               # the first session has nothing to compare with (its draft marks nothing either)
                               [(str(i["title"]), mark_text(m, shown, date) if k else "", m.times) for i, m in
                                zip(entry.get("insights", []), marks, strict=True)]))

    done = data.get("done", {})
    actions = []
    for k, (name, entry) in enumerate(sessions):
        for action in entry.get("actions", []):
            mark = done.get(action_key(name, action))
            status = lab["open"] if mark is None else lab["done"].format(
                by=mark.get("by") or "?", on=short_date(str(data["sessions"].get(mark.get("session"), {})
                                                            .get("date") or ""), shown, not one_year))
            actions.append(ActionRow(action.get("owner") or lab["nobody"], str(action["text"]),
                                     action.get("due") or "", name, columns[k], mark is not None, status))
    gone = [name for name, entry in ordered_sessions(data, gone=True) if entry.get("gone")]
    return Overview(str(data["name"]), shown, lab, columns, rows, people, attendance, shares, speaking, themes,
                    actions, gone)


def write_overview(root: Path, data: dict[str, Any]) -> Path:
    """Write `<series>/series.docx` from the series record and return its path."""
    import docx
    from docx.shared import Cm

    view = overview(data)
    lab = view.labels
    doc = docx.Document()
    doc.core_properties.title = lab["title"].format(name=view.name)
    doc.core_properties.author = "Oogst"
    doc.add_heading(lab["title"].format(name=view.name), level=0)
    if view.summary:
        doc.add_paragraph(view.summary)

    doc.add_heading(lab["attendance"], level=1)
    _table(doc, [lab["who"], *view.columns], view.attendance)

    doc.add_heading(lab["speaking"], level=1)
    _table(doc, [lab["who"], *view.columns], view.speaking)
    if view.shares:
        doc.add_paragraph()
        doc.add_picture(io.BytesIO(view.chart()), width=Cm(15))

    doc.add_heading(lab["themes"], level=1)
    _table(doc, [lab["theme"], lab["times"], lab["when"]], view.themes, (6.0, 1.5, 9.0))
    doc.add_heading(lab["per_session"], level=2)
    for row in view.sessions:
        doc.add_paragraph(f"{row.date}: {row.title}", style="List Bullet")
        for title, mark, _ in row.themes:
            doc.add_paragraph(f"{title} \u2013 {mark}" if mark else title, style="List Bullet 2")

    doc.add_heading(lab["actions"], level=1)
    rows = [[a.who, a.what, a.due, a.date, a.status] for a in view.actions]
    if rows:
        _table(doc, [lab["who"], lab["what"], lab["due"], lab["from"], lab["status"]], rows, (2.2, 6.3, 2.5, 2.3, 3.2))
    else:
        doc.add_paragraph(lab["no_actions"])
    buffer = io.BytesIO()
    doc.save(buffer)
    return atomic_write_bytes(series_file(root, OVERVIEW), buffer.getvalue())


def show(out_dir: Path, name: str) -> list[str]:
    """Write the overview (series.docx); lines describing the series: its sessions, open and done action points,
    whether voices are kept, and where the overview is."""
    root = existing_series(out_dir, name)
    data = refresh_series(root, out_dir, "oogst series show")
    overview = write_overview(root, data)
    sessions = ordered_sessions(data)
    lines = [f"series {data['name']}: {len(sessions)} session(s), voice profiles "
             f"{'kept' if data.get('remember_voices') else 'not kept'}"]
    for session, entry in sessions:
        people = ", ".join(entry.get("participants", []))
        lines.append(f"  {entry.get('date') or '?'}  {session}: {entry.get('title', '')} ({people})")
    for session, entry in ordered_sessions(data, gone=True):
        if entry.get("gone"):
            lines.append(f"  {session}: left the series (its folder was deleted, {entry['gone'][:10]})")
    still_open = open_actions(sessions, data.get("done", {}))
    lines.append(f"open action points: {len(still_open)}")
    for action in still_open:
        due = f" ({action.due})" if action.due else ""
        lines.append(f"  {action.owner or '?'}: {action.text}{due} [from {action.session}]")
    done = data.get("done", {})
    if done:
        lines.append(f"done: {len(done)}")
        for key, mark in sorted(done.items()):
            lines.append(f"  {key}: marked done by {mark.get('by') or '?'} in {mark.get('session')}")
    lines.append(f"-> {overview}")
    return lines


def forget(out_dir: Path, name: str, person: str) -> str:
    """Remove a person's voice profile from the series; what was removed, as one line."""
    root = existing_series(out_dir, name)
    return forget_voice(root, person, owner="oogst series forget")


def after_collect(session: Session) -> list[str]:
    """Keep the reviewed session in its series; the action points its comments marked done (none: not in one)."""
    name = member_of(session)
    if name is None:
        return []
    root = series_root(session.out_dir, name)
    before = set(load_series(root).get("done", {}))
    try:
        data = register(root, session, owner=f"oogst collect {session.name}")
    except SessionError:
        return []  # no insights yet: nothing to keep
    return [f"series {name}: {key} marked done by {mark.get('by') or '?'}"
            for key, mark in sorted(data.get("done", {}).items()) if key not in before]
