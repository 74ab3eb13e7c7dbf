"""Pieces every Word section Oogst writes is built from: a table with a bold header row in the house style, and a
matplotlib chart as PNG bytes (the draft's speaking time and phases, the series overview)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from matplotlib.figure import Figure

TABLE_STYLE = "Light Grid Accent 1"


def header_table(doc: DocxDocument, header: Sequence[str]) -> Table:
    """A new table in the house style whose first row is `header`, in bold; rows are added by the caller."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles[TABLE_STYLE]
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    return table


def png_bytes(figure: Figure) -> bytes:
    """A matplotlib figure laid out tight, as PNG bytes."""
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
