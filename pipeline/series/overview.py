"""series.docx: a series at a glance for the facilitator: attendance, speaking time per person per session, themes
over time and the action points with their status. Written by `oogst series show NAME` next to series.json."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.language import MONTHS, text_language
from pipeline.core.store import atomic_write_bytes
from pipeline.series.store import ordered_sessions
from pipeline.series.themes import ThemeWords, same_theme, theme_words

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

OVERVIEW_FILE = "series.docx"

LABELS = {
    "nl": {"title": "Reeks {name}", "sessions": "{n} sessies, van {first} tot {last}", "attendance": "Aanwezigheid",
           "who": "Wie", "speaking": "Spreektijd per sessie (aandeel van de spreektijd)",
           "themes": "Thema's door de tijd", "theme": "Thema", "times": "Keer", "when": "Wanneer",
           "actions": "Actiepunten", "what": "Wat", "from": "Uit sessie", "due": "Wanneer", "status": "Status",
           "open": "open", "done": "gedaan (volgens {by}, {on})", "nobody": "(niet genoemd)",
           "no_actions": "Er zijn in deze reeks geen actiepunten genoemd.", "axis": "aandeel van de spreektijd (%)"},
    "en": {"title": "Series {name}", "sessions": "{n} sessions, from {first} to {last}", "attendance": "Attendance",
           "who": "Who", "speaking": "Speaking time per session (share of the speaking time)",
           "themes": "Themes over time", "theme": "Theme", "times": "Times", "when": "When",
           "actions": "Action points", "what": "What", "from": "From session", "due": "When", "status": "Status",
           "open": "open", "done": "done (says {by}, {on})", "nobody": "(not named)",
           "no_actions": "No action points were mentioned in this series.", "axis": "share of the speaking time (%)"},
}


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

    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Light Grid Accent 1"]
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
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
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def write_overview(root: Path, data: dict[str, Any]) -> Path:
    """Write `<series>/series.docx` from the series record and return its path."""
    import docx
    from docx.shared import Cm

    sessions = ordered_sessions(data)
    language = str(sessions[0][1].get("language") or "nl") if sessions else "nl"
    lab = LABELS[text_language(language)]
    one_year = len({str(entry.get("date") or "")[:4] for _, entry in sessions}) <= 1
    columns = [short_date(str(entry.get("date") or name), language, year=not one_year) for name, entry in sessions]
    doc = docx.Document()
    doc.core_properties.title = lab["title"].format(name=data["name"])
    doc.core_properties.author = "Oogst"
    doc.add_heading(lab["title"].format(name=data["name"]), level=0)
    if sessions:
        doc.add_paragraph(lab["sessions"].format(n=len(sessions), first=columns[0], last=columns[-1]))

    people: list[str] = []
    for _, entry in sessions:
        people += [p for p in entry.get("participants", []) if p not in people]
    doc.add_heading(lab["attendance"], level=1)
    _table(doc, [lab["who"], *columns], [[person, *("\u2713" if person in entry.get("participants", []) else ""
                                                    for _, entry in sessions)] for person in people])

    shares = {(p["name"], i): float(p["share"]) for i, (_, entry) in enumerate(sessions)
              for p in entry.get("speaking", [])}
    doc.add_heading(lab["speaking"], level=1)
    _table(doc, [lab["who"], *columns], [[person, *(f"{round(100 * shares[(person, i)])} %"
                                                    if (person, i) in shares else "" for i in range(len(sessions)))]
                                         for person in people])
    if shares:
        doc.add_paragraph()
        doc.add_picture(io.BytesIO(_speaking_chart(people, columns, shares, lab["axis"])), width=Cm(15))

    doc.add_heading(lab["themes"], level=1)
    groups = theme_groups(sessions, language)
    _table(doc, [lab["theme"], lab["times"], lab["when"]],
           [[label, str(len(dates)), ", ".join(short_date(d, language, not one_year) for d in dates)]
            for label, dates in groups], (6.0, 1.5, 9.0))

    doc.add_heading(lab["actions"], level=1)
    done = data.get("done", {})
    rows = []
    for name, entry in sessions:
        for action in entry.get("actions", []):
            mark = done.get(f"{name}#{action['number']}")
            status = lab["open"] if mark is None else lab["done"].format(
                by=mark.get("by") or "?", on=short_date(str(data["sessions"].get(mark.get("session"), {})
                                                            .get("date") or ""), language, not one_year))
            rows.append([action.get("owner") or lab["nobody"], action["text"], action.get("due") or "",
                         short_date(str(entry.get("date") or name), language, not one_year), status])
    if rows:
        _table(doc, [lab["who"], lab["what"], lab["due"], lab["from"], lab["status"]], rows, (2.2, 6.3, 2.5, 2.3, 3.2))
    else:
        doc.add_paragraph(lab["no_actions"])
    buffer = io.BytesIO()
    doc.save(buffer)
    return atomic_write_bytes(Path(root) / OVERVIEW_FILE, buffer.getvalue())
