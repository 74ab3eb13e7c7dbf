"""Names from file names: the session folder name, and the title and date a recording's file name carries.

`2024-05-14_intervisie-team-west.m4a` -> session `2024-05-14_intervisie-team-west`, title "Intervisie team west",
date 2024-05-14. Used by the stage runner (meta in transcript.json) and by the mail (older sessions without meta).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})[-_ ]?(\d{2})[-_ ]?(\d{2})(?!\d)")


def session_name(path: Path) -> str:
    """outputs/<name>: the recording's file name without suffix, made safe for a folder name."""
    name = re.sub(r"[^\w.-]+", "-", Path(path).stem, flags=re.UNICODE).strip("-.")
    return name or "sessie"


def title_from(name: str, *, keep_case: bool = False) -> str:
    """A folder or file name as a title, without its date: `2024-05-14_intervisie-team-a` -> `Intervisie team a`.

    With `keep_case` (a title someone typed) only the date and the separators around it go.
    """
    text = DATE_IN_NAME.sub(" ", name)
    if not keep_case:
        text = re.sub(r"[_\-.]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" -_.,:;–—")
    return text[:1].upper() + text[1:]


def date_from(name: str) -> dt.date | None:
    """The first valid date in a name (2024-05-14_…, …_20240514, 2024 05 14), if there is one."""
    for match in DATE_IN_NAME.finditer(name):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None
