"""Frog's tagger lexicon read as data (frogdata's files, GPL-3; nothing of Frog is linked), once per process: how
often each word was seen in lower case, and capitalised as a proper name (`names`, `context`)."""

from __future__ import annotations

import functools
import logging
import re
import shutil
import unicodedata
from pathlib import Path

log = logging.getLogger(__name__)


class Lexicon:
    """Frog's tagger lexicon as counts: how often a word was seen in lower case, and capitalised as a proper name."""

    def __init__(self, lower: dict[str, int], proper: dict[str, int]) -> None:
        self.lower = lower
        self.proper = proper

    def compound(self, word: str, depth: int = 0) -> bool:
        """Two (or three) words the lexicon knows in lower case, joined with or without a linking -s-, -e- or -en-
        ("zorgbalans", "keukentafelgesprek"): a Dutch compound, not a name the lexicon never saw."""
        folded = word.lower()

        def seen(part: str) -> bool:
            return part in self.lower

        for cut in range(3, len(folded) - 2):
            left, right = folded[:cut], folded[cut:]
            if not (seen(right) or len(right) >= 6 and depth < 1 and self.compound(right, depth + 1)):
                continue
            if seen(left) or left[-1] in "se" and seen(left[:-1]) or left.endswith("en") and seen(left[:-2]):
                return True
        return False

    def name_like(self, word: str, ratio: float = 1.0) -> bool | None:
        """True when the word is more often (`ratio` times as often) a proper name than a lower-case word; None when
        neither was seen."""
        folded = word.lower()
        proper, lower = self.proper.get(folded, 0), self.lower.get(folded, 0)
        if not proper and not lower:
            return None
        return proper > ratio * lower

    @classmethod
    def read(cls, path: Path) -> Lexicon:
        """A lexicon file of Frog's tagger (MBT): "count word tag:count tag:count ..." per line."""
        lower: dict[str, int] = {}
        proper: dict[str, int] = {}
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                parts = line.split(" ", 2)
                if len(parts) < 3 or not parts[1].isalpha():
                    continue
                count, word, tags = parts
                if word.islower():
                    lower[word] = lower.get(word, 0) + int(count)
                elif word[0].isupper() and word[1:].islower() and "SPEC(deeleigen):" in tags:  # not "HAVO"
                    seen = int(tags.split("SPEC(deeleigen):", 1)[1].split(" ", 1)[0])
                    proper[word.lower()] = proper.get(word.lower(), 0) + seen
        return cls(lower, proper)


def lexicon_path(binary: str = "frog") -> Path | None:
    """Frog's tagger lexicon (frogdata's Dutch configuration names its settings file; the lexicon sits beside it)."""
    found = shutil.which(binary)
    if found is None:
        return None
    folder = Path(found).resolve().parent.parent / "share" / "frog" / "nld"
    try:
        config = (folder / "frog.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"\[\[tagger\]\][^\[]*?settings=\"?([^\"\n]+?)\.settings\"?\s*$", config, flags=re.M)
    candidates = [folder / f"{match.group(1)}.lex"] if match else []
    candidates += sorted(folder.glob("*.mbt.*.lex"))
    return next((p for p in candidates if p.is_file()), None)


@functools.cache
def shared_lexicon() -> Lexicon | None:
    """Frog's lexicon, read once per process; None without frogdata (lower-case names are then not guessed)."""
    path = lexicon_path()
    if path is None:
        log.info("Frog's tagger lexicon not found: lower-case names are only caught when known in the session")
        return None
    return Lexicon.read(path)


def plain(word: str) -> str:
    """The word without accents ("háár" -> "haar")."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))
